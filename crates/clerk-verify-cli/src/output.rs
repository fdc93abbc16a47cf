//! The one-line JSON documents the tool prints. External tools parse these byte for byte:
//! member order is fixed, and each document is one line ending in `\n`.

use serde_json::{Map, Value, json};

/// `{"error":{"reason":...,"message":...,"action":...}}` with `action` null when there is none.
pub(crate) fn error_line(reason: &str, message: &str, action: Option<&str>) -> String {
    line(&json!({
        "error": {
            "reason": reason,
            "message": message,
            "action": action,
        }
    }))
}

/// The verified payload, exactly as the token holds it.
pub(crate) fn payload_line(payload: &Map<String, Value>) -> String {
    let mut out = serde_json::to_string(payload).unwrap_or_else(|_| "{}".to_owned());
    out.push('\n');
    out
}

/// `{"unverified":true,"header":{...},"payload":{...}}`.
pub(crate) fn decoded_line(header: &Map<String, Value>, payload: &Map<String, Value>) -> String {
    line(&json!({
        "unverified": true,
        "header": header,
        "payload": payload,
    }))
}

/// A JWKS document, `{"keys":[...]}`.
pub(crate) fn jwks_line(jwks: &Value) -> String {
    line(jwks)
}

fn line(value: &Value) -> String {
    // Serializing a `Value` cannot fail: its keys are strings and its numbers finite.
    let mut out = value.to_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_have_a_fixed_shape() {
        assert_eq!(
            error_line("token-expired", "JWT is expired.", None),
            "{\"error\":{\"reason\":\"token-expired\",\"message\":\"JWT is expired.\",\"action\":null}}\n"
        );
        assert_eq!(
            error_line("token-invalid", "a \"b\"\n", Some("Do this.")),
            "{\"error\":{\"reason\":\"token-invalid\",\"message\":\"a \\\"b\\\"\\n\",\"action\":\"Do this.\"}}\n"
        );
    }

    #[test]
    fn payloads_keep_their_member_order() {
        let payload: Map<String, Value> =
            serde_json::from_str(r#"{"z":1,"a":{"y":[1,2],"b":null},"sub":"u"}"#).unwrap();
        assert_eq!(
            payload_line(&payload),
            "{\"z\":1,\"a\":{\"y\":[1,2],\"b\":null},\"sub\":\"u\"}\n"
        );
    }

    #[test]
    fn decoded_lines_are_marked_unverified_first() {
        let header: Map<String, Value> = serde_json::from_str(r#"{"alg":"RS256"}"#).unwrap();
        let payload: Map<String, Value> = serde_json::from_str(r#"{"sub":"u"}"#).unwrap();
        assert_eq!(
            decoded_line(&header, &payload),
            "{\"unverified\":true,\"header\":{\"alg\":\"RS256\"},\"payload\":{\"sub\":\"u\"}}\n"
        );
    }
}
