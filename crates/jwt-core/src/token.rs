//! Compact JWS parsing: from untrusted text to a header and claims that nobody trusts yet.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{Error, Part, truncate};
use crate::json::parse_object;
use crate::{Algorithm, VerifyingKey};

/// Longest `kid` accepted, in bytes. `kid` is an opaque map key; nothing longer is plausible.
pub const MAX_KID_LEN: usize = 256;

/// Limits applied while parsing, before any cryptography.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest token accepted, in bytes, checked before any other work. Default 64 KiB.
    pub max_token_len: usize,
    /// Deepest nesting of arrays and objects inside the header or payload. Default 32.
    /// Values above 100 act as 100: the JSON parser underneath has a hard limit just above
    /// that, and over-deep input must still be reported as `nesting-too-deep`.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_len: 64 * 1024,
            max_depth: 32,
        }
    }
}

/// The protected header of a token, as the token claims it to be.
///
/// Nothing here is trusted: it is what the key selection step reads (`alg`, `kid`) before the
/// signature is checked. `jwk`, `jku`, `x5u` and `x5c` are never used to find a key; they
/// are only visible through [`Header::get`].
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    cat: Option<String>,
    members: Map<String, Value>,
}

impl Header {
    fn from_map(members: Map<String, Value>) -> Result<Header, Error> {
        // One pass over the (few) members rather than a hash lookup per parameter.
        let [
            mut alg,
            mut kid,
            mut crit,
            mut b64,
            mut typ,
            mut cty,
            mut cat,
        ] = [None; 7];
        for (name, value) in &members {
            let slot = match name.as_str() {
                "alg" => &mut alg,
                "kid" => &mut kid,
                "crit" => &mut crit,
                "b64" => &mut b64,
                "typ" => &mut typ,
                "cty" => &mut cty,
                "cat" => &mut cat,
                _ => continue,
            };
            *slot = Some(value);
        }
        let string = |name: &'static str, v: Option<&Value>| -> Result<Option<String>, Error> {
            match v {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::HeaderParameterType { name }),
            }
        };
        // The checks run in a fixed order, so a header with several faults always reports the
        // same one.
        let alg = string("alg", alg)?.ok_or(Error::HeaderParameterType { name: "alg" })?;
        let kid = string("kid", kid)?;
        if kid.as_ref().is_some_and(|k| k.len() > MAX_KID_LEN) {
            return Err(Error::KidTooLong);
        }
        if crit.is_some() {
            return Err(Error::CriticalHeader);
        }
        match b64 {
            None | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => return Err(Error::UnencodedPayload),
            Some(_) => return Err(Error::HeaderParameterType { name: "b64" }),
        }
        Ok(Header {
            alg,
            kid,
            typ: string("typ", typ)?,
            cty: string("cty", cty)?,
            cat: string("cat", cat)?,
            members,
        })
    }

    /// The `alg` parameter exactly as written.
    pub fn alg_name(&self) -> &str {
        &self.alg
    }

    /// The `alg` parameter as a supported [`Algorithm`].
    ///
    /// `none` (any casing), ES512, ES256K and unknown names are
    /// [`Error::UnsupportedAlgorithm`].
    pub fn algorithm(&self) -> Result<Algorithm, Error> {
        Algorithm::from_name(&self.alg).ok_or_else(|| Error::UnsupportedAlgorithm {
            name: truncate(&self.alg),
        })
    }

    /// The `kid` parameter (at most [`MAX_KID_LEN`] bytes).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `typ` parameter.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The `cty` parameter.
    pub fn cty(&self) -> Option<&str> {
        self.cty.as_deref()
    }

    /// The `cat` parameter (a token category some issuers set to tell kinds of tokens apart).
    pub fn cat(&self) -> Option<&str> {
        self.cat.as_deref()
    }

    /// Any header parameter by name, including the ones above.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// All header parameters.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }
}

/// A parsed, unverified token.
///
/// Holds the decoded header, payload and signature, and borrows the signing input
/// (`header.payload`) from the original text: the token is never copied whole.
#[derive(Clone, Debug)]
pub struct UnverifiedToken<'a> {
    signing_input: &'a str,
    header: Header,
    payload: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> UnverifiedToken<'a> {
    /// Parses a compact JWS: length limit first, then exactly three segments, canonical
    /// unpadded base64url, strict UTF-8, JSON objects with unique member names, and header
    /// rules (`alg` a string, `kid` capped, no `crit`, no `b64: false`).
    ///
    /// The `alg` value is not looked up here, so a token naming an unsupported algorithm
    /// still parses; [`Header::algorithm`] reports it.
    pub fn parse(token: &'a str, limits: &Limits) -> Result<Self, Error> {
        if token.len() > limits.max_token_len {
            return Err(Error::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len,
            });
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::MalformedSegments);
        };
        let header_bytes = b64(h, Part::Header)?;
        let header_text = utf8(&header_bytes, Part::Header)?;
        let header_map = parse_object(header_text, Part::Header, limits.max_depth)?;
        let payload_bytes = b64(p, Part::Payload)?;
        let payload_text = utf8(&payload_bytes, Part::Payload)?;
        let payload = parse_object(payload_text, Part::Payload, limits.max_depth)?;
        let signature = b64(s, Part::Signature)?;
        let header = Header::from_map(header_map)?;
        // h.len() + 1 + p.len() <= token.len(), so the slice is in bounds.
        let signing_input = token
            .get(..h.len().saturating_add(1).saturating_add(p.len()))
            .unwrap_or(token);
        Ok(UnverifiedToken {
            signing_input,
            header,
            payload,
            signature,
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload's members, unverified.
    pub fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// The bytes the signature covers: the first two segments and the dot between them.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks the signature with `key`, using the header's algorithm, without any claim or
    /// allow-list checks. Prefer [`crate::Validation::verify`], which does all of them.
    pub fn verify_signature(&self, key: &VerifyingKey) -> Result<(), Error> {
        let alg = self.header.algorithm()?;
        key.verify_signature(alg, self.signing_input.as_bytes(), &self.signature)
    }

    pub(crate) fn into_parts(self) -> (Header, Map<String, Value>) {
        (self.header, self.payload)
    }
}

fn b64(segment: &str, part: Part) -> Result<Vec<u8>, Error> {
    // The base64 engine rejects padding, non-alphabet bytes and non-zero trailing bits.
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Error::MalformedBase64 { part })
}

fn utf8(bytes: &[u8], part: Part) -> Result<&str, Error> {
    core::str::from_utf8(bytes).map_err(|_| Error::MalformedUtf8 { part })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn tok(h: &str, p: &str) -> String {
        format!("{}.{}.c2ln", enc(h), enc(p))
    }

    fn parse(t: &str) -> Result<UnverifiedToken<'_>, Error> {
        UnverifiedToken::parse(t, &Limits::default())
    }

    #[test]
    fn segments() {
        for t in ["", "a", "a.b", "a.b.c.d", "...", "a..b.c"] {
            assert_eq!(parse(t).unwrap_err(), Error::MalformedSegments, "{t:?}");
        }
    }

    #[test]
    fn canonical_base64() {
        let good = tok(r#"{"alg":"RS256"}"#, "{}");
        assert!(parse(&good).is_ok());
        // Padding, standard alphabet, whitespace, non-zero trailing bits.
        let padded = format!("{}=.e30.c2ln", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&padded).unwrap_err(),
            Error::MalformedBase64 { part: Part::Header }
        );
        let trailing = format!("{}.e31.c2ln", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&trailing).unwrap_err(),
            Error::MalformedBase64 {
                part: Part::Payload
            }
        );
        let sig = format!("{}.e30.c2l+", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&sig).unwrap_err(),
            Error::MalformedBase64 {
                part: Part::Signature
            }
        );
    }

    #[test]
    fn header_rules() {
        let e = |h: &str| parse(&tok(h, "{}")).unwrap_err();
        assert_eq!(
            e(r#"{"alg":1}"#),
            Error::HeaderParameterType { name: "alg" }
        );
        assert_eq!(e(r#"{}"#), Error::HeaderParameterType { name: "alg" });
        assert_eq!(
            e(r#"{"alg":"RS256","kid":7}"#),
            Error::HeaderParameterType { name: "kid" }
        );
        assert_eq!(
            e(r#"{"alg":"RS256","crit":["exp"]}"#),
            Error::CriticalHeader
        );
        assert_eq!(e(r#"{"alg":"RS256","crit":[]}"#), Error::CriticalHeader);
        assert_eq!(e(r#"{"alg":"RS256","b64":false}"#), Error::UnencodedPayload);
        assert_eq!(
            e(r#"{"alg":"RS256","alg":"HS256"}"#),
            Error::DuplicateMember {
                part: Part::Header,
                name: "alg".into()
            }
        );
        let long = format!(
            r#"{{"alg":"RS256","kid":"{}"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        assert_eq!(e(&long), Error::KidTooLong);
        let t = tok(r#"{"alg":"none","typ":"JWT","jku":"https://evil"}"#, "{}");
        let p = parse(&t).unwrap();
        assert_eq!(
            p.header().algorithm().unwrap_err().code(),
            "unsupported-algorithm"
        );
        assert_eq!(p.header().typ(), Some("JWT"));
        assert!(p.header().get("jku").is_some());
    }

    #[test]
    fn utf8_and_length() {
        let bad = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(b"{\"alg\":\"\xff\"}"));
        assert_eq!(
            parse(&bad).unwrap_err(),
            Error::MalformedUtf8 { part: Part::Header }
        );
        let long = "a".repeat(70_000);
        assert_eq!(
            parse(&long).unwrap_err(),
            Error::TokenTooLong {
                len: 70_000,
                max: 65_536
            }
        );
    }
}
