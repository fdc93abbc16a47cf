//! The auth object derived from session claims, against worked examples computed by the real
//! `@clerk/shared` function (see `data/auth_objects.json` for its source and generator).

use clerk_verify::{AuthObject, SessionClaims};
use serde_json::{Value, json};

#[test]
fn auth_objects_match_clerks_derivation() {
    let data: Value = serde_json::from_str(include_str!("data/auth_objects.json")).unwrap();
    assert!(data["source"].as_str().unwrap().contains("@clerk/shared"));
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 25);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let claims: SessionClaims = serde_json::from_value(case["claims"].clone())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &case["expected"];
        match AuthObject::from_claims(&claims) {
            Ok(auth) => {
                assert!(expected.get("error").is_none(), "{name}: Clerk throws");
                assert_eq!(&serde_json::to_value(&auth).unwrap(), expected, "{name}");
            }
            Err(e) => assert_eq!(expected["error"], json!(e.to_string()), "{name}"),
        }
    }
}

#[test]
fn a_float_version_two_is_version_two() {
    let claims: SessionClaims =
        serde_json::from_str(r#"{"sub":"u","exp":1,"v":2.0,"o":{"id":"org_1"}}"#).unwrap();
    assert!(claims.is_v2());
    let auth = AuthObject::from_claims(&claims).unwrap();
    assert_eq!(auth.org_id.as_deref(), Some("org_1"));
    assert_eq!(auth.org_permissions, Some(vec![]));
}
