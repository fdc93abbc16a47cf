//! Standard test vectors (RFC 7515 Appendix A, RFC 7520 Section 4, RFC 8037 Appendix A) run
//! through jwt-core.
//!
//! The vectors live in `tests/vectors/*.json`; each file names its RFC and section. A vector
//! whose signature verifies proves its own transcription. Each case says which layer checks it:
//!
//! - `full`: `Validation::verify::<Claims>` on the compact token (parsing, header rules,
//!   allow-list, key family, signature, claims).
//! - `signature`: the payload is not JSON, so the token can never pass our parser. The test
//!   asserts that it fails to parse with `malformed-json` on the payload, then splits it on `.`,
//!   reads `alg` from the decoded header, and calls `VerifyingKey::verify_signature` on the raw
//!   `header.payload` bytes.
//!
//! The files record the verdicts of the default (*ring*) build, where ES512 and P-521 keys are
//! refused. With jwt-core's `aws-lc-rs` backend (`--features integration-tests/aws-lc-rs`)
//! ES512 is supported: those cases' P-521 keys must load and their signatures verify at the
//! `signature` layer (their payloads are not JSON), as `expectation` says.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::keys;
use jwt_core::{
    Algorithm, Claims, Error, Limits, Part, Timestamp, UnverifiedToken, Validation, VerifyingKey,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let source = doc["source"].as_str().unwrap();
    assert!(source.starts_with("RFC "), "{name} must name its source");
    doc
}

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// Loads a case's key the way a user would: a public JWK through `from_jwk_json`, an `oct` JWK
/// (which jwt-core refuses) through an explicit `VerifyingKey::hmac` of its decoded `k`.
fn case_key(jwk: &Value) -> Result<VerifyingKey, jwt_core::KeyError> {
    if jwk["kty"] == "oct" {
        // Symmetric JWKs are refused by the JWK loader: no HMAC key from key documents.
        let refused = VerifyingKey::from_jwk_json(&jwk.to_string()).unwrap_err();
        assert_eq!(refused.code(), "symmetric-jwk");
        return VerifyingKey::hmac(&b64(jwk["k"].as_str().unwrap()));
    }
    VerifyingKey::from_jwk_json(&jwk.to_string())
}

/// Splits a compact token without our parser: (alg name, signing input, signature bytes).
fn raw_split(token: &str) -> (String, &str, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let (header, _payload) = input.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&b64(header)).unwrap();
    (header["alg"].as_str().unwrap().to_owned(), input, b64(sig))
}

/// A different algorithm of the same family, to show a vector does not verify under it.
fn sibling(alg: Algorithm) -> Option<Algorithm> {
    use Algorithm::*;
    Some(match alg {
        RS256 => RS384,
        PS384 => PS256,
        HS256 => HS512,
        RS384 | RS512 | PS256 | PS512 => RS256,
        _ => return None,
    })
}

/// A case's layer, expected verdict and expected key refusal in this build (see the module
/// docs): the file's, except ES512 with the aws-lc-rs backend.
fn expectation(case: &Value) -> (&str, &str, Option<&str>) {
    if cfg!(feature = "aws-lc-rs") && case["alg"] == "ES512" {
        return ("signature", "valid", None);
    }
    (
        case["layer"].as_str().unwrap(),
        case["expect"].as_str().unwrap(),
        case["key_expect"].as_str(),
    )
}

struct Counts {
    valid: usize,
    refused: usize,
}

fn run_file(name: &str) -> Counts {
    let doc = load(name);
    let mut counts = Counts {
        valid: 0,
        refused: 0,
    };
    for case in doc["cases"].as_array().unwrap() {
        let section = case["section"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let (layer, expect, key_expect) = expectation(case);
        let ctx = format!("{name} {section}");

        // The key, or the exact reason it is refused.
        let key = match &case["key"] {
            Value::Null => None,
            jwk => match (case_key(jwk), key_expect) {
                (Ok(k), None) => Some(k),
                (Err(e), Some(code)) => {
                    assert_eq!(e.code(), code, "{ctx}: key");
                    None
                }
                (r, want) => panic!("{ctx}: key {r:?}, expected {want:?}"),
            },
        };
        // Keys the case itself cannot provide: any real key shows the refusal is key-independent.
        let fallback = keys::rsa2048_a().verifying_key();

        match layer {
            "full" => {
                let alg_name = case["alg"].as_str().unwrap();
                let rules = match Algorithm::from_name(alg_name) {
                    Some(a) => Validation::new([a]),
                    None => Validation::new(Algorithm::ALL),
                }
                .require_sub(false);
                let now = Timestamp::from_unix_seconds(case["now"].as_i64().unwrap());
                let key = key.as_ref().unwrap_or(&fallback);
                if expect == "valid" {
                    let v = rules
                        .verify::<Claims>(token, key, now)
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    assert_eq!(v.claims().iss(), Some("joe"), "{ctx}");
                    assert_eq!(v.claims().exp(), Some(1_300_819_380), "{ctx}");
                    assert_eq!(
                        v.claims().get("http://example.com/is_root"),
                        Some(&true.into())
                    );
                    // Past exp (plus the default 5 s leeway) the same token is expired.
                    let late = Timestamp::from_unix_seconds(1_300_819_385);
                    assert_eq!(
                        rules.verify::<Claims>(token, key, late).unwrap_err().code(),
                        "expired",
                        "{ctx}"
                    );
                    counts.valid += 1;
                } else {
                    // Refusal on the header, before any key is used. A.4's payload is not JSON,
                    // so its header is read at the raw layer; A.5 parses fully.
                    let (alg, _, _) = raw_split(token);
                    let err = alg.parse::<Algorithm>().unwrap_err();
                    assert_eq!(err.code(), expect, "{ctx}");
                    match UnverifiedToken::parse(token, &Limits::default()) {
                        Ok(parsed) => {
                            assert_eq!(parsed.header().algorithm().unwrap_err().code(), expect);
                            assert_eq!(
                                rules.verify::<Claims>(token, key, now).unwrap_err().code(),
                                expect,
                                "{ctx}"
                            );
                        }
                        Err(e) => assert_eq!(
                            e,
                            Error::MalformedJson {
                                part: Part::Payload
                            },
                            "{ctx}"
                        ),
                    }
                    counts.refused += 1;
                }
            }
            "signature" => {
                assert_eq!(
                    UnverifiedToken::parse(token, &Limits::default()).unwrap_err(),
                    Error::MalformedJson {
                        part: Part::Payload
                    },
                    "{ctx}: the payload is not JSON"
                );
                let (alg_name, input, sig) = raw_split(token);
                assert_eq!(alg_name, case["alg"].as_str().unwrap(), "{ctx}");
                if expect == "valid" {
                    let alg: Algorithm = alg_name.parse().unwrap();
                    let key = key.unwrap_or_else(|| panic!("{ctx}: a valid case needs its key"));
                    key.verify_signature(alg, input.as_bytes(), &sig)
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    // The same bytes fail under a sibling algorithm and with one bit flipped.
                    if let Some(other) = sibling(alg) {
                        assert_eq!(
                            key.verify_signature(other, input.as_bytes(), &sig),
                            Err(Error::InvalidSignature),
                            "{ctx}: {other}"
                        );
                    }
                    let mut bad = sig.clone();
                    bad[0] ^= 1;
                    assert_eq!(
                        key.verify_signature(alg, input.as_bytes(), &bad),
                        Err(Error::InvalidSignature),
                        "{ctx}"
                    );
                    counts.valid += 1;
                } else {
                    let err = alg_name.parse::<Algorithm>().unwrap_err();
                    assert_eq!(err.code(), expect, "{ctx}");
                    assert!(Algorithm::is_known_unsupported(&alg_name), "{ctx}");
                    counts.refused += 1;
                }
            }
            other => panic!("{ctx}: unknown layer {other}"),
        }
    }
    counts
}

#[test]
fn rfc7515_appendix_a() {
    let c = run_file("rfc7515-appendix-a.json");
    // A.1 HS256, A.2 RS256, A.3 ES256 verify; A.4 ES512 and A.5 none are refused. A.4
    // verifies with the aws-lc-rs backend.
    let es512 = usize::from(cfg!(feature = "aws-lc-rs"));
    assert_eq!((c.valid, c.refused), (3 + es512, 2 - es512));
}

#[test]
fn rfc7520_section_4() {
    let c = run_file("rfc7520-section-4.json");
    // 4.1 RS256, 4.2 PS384, 4.4 HS256 verify; 4.3 ES512 is refused, and verifies with the
    // aws-lc-rs backend.
    let es512 = usize::from(cfg!(feature = "aws-lc-rs"));
    assert_eq!((c.valid, c.refused), (3 + es512, 1 - es512));
}

#[test]
fn rfc8037_appendix_a() {
    let c = run_file("rfc8037-appendix-a.json");
    assert_eq!((c.valid, c.refused), (1, 0));

    let doc = load("rfc8037-appendix-a.json");
    for (section, jwk) in doc["keys"].as_object().unwrap() {
        let mut jwk = jwk.clone();
        let want = jwk.as_object_mut().unwrap().remove("key_expect").unwrap();
        let got = VerifyingKey::from_jwk_json(&jwk.to_string());
        match want.as_str().unwrap() {
            "valid" => {
                // The public key round-trips through our JWK form unchanged.
                let key = got.unwrap_or_else(|e| panic!("{section}: {e}"));
                let back = serde_json::to_value(key.to_jwk().unwrap()).unwrap();
                assert_eq!(back, jwk, "{section}");
            }
            code => assert_eq!(got.unwrap_err().code(), code, "{section}"),
        }
    }
}

/// The RFC 7515 A.2 key pinned to another RSA algorithm (as a JWK `alg` would) refuses the
/// RS256 token before any cryptography.
#[test]
fn rfc7515_a2_with_a_pinned_key() {
    let doc = load("rfc7515-appendix-a.json");
    let case = &doc["cases"][1];
    assert_eq!(case["section"], "A.2");
    let mut jwk = case["key"].clone();
    jwk["alg"] = "PS256".into();
    let key = VerifyingKey::from_jwk_json(&jwk.to_string()).unwrap();
    let err = Validation::new([Algorithm::RS256])
        .require_sub(false)
        .verify::<Claims>(
            case["token"].as_str().unwrap(),
            &key,
            Timestamp::from_unix_seconds(1_300_819_370),
        )
        .unwrap_err();
    assert_eq!(err.code(), "key-algorithm-mismatch");
}
