//! Property tests for jwt-core.
//!
//! 1. Changing any single character of a valid token (RS256, ES256, EdDSA, HS256) makes
//!    verification fail, and never panics. A `&str` cannot hold a lone byte >= 0x80, so "any
//!    byte" means: any position, replaced by any other `char` (ASCII or multi-byte). Every
//!    position is also checked exhaustively with a base64url neighbour, which keeps the token
//!    decodable so the change reaches the JSON and signature layers.
//! 2. Arbitrary input to the parser, `danger::insecure_decode`, `Validation::verify`, and the
//!    PEM, DER and JWK key loaders never panics (errors are fine).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::{clerk_payload, hmac_sign, keys};
use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken, Validation, VerifyingKey};
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const SECRET: &[u8] = b"property-test-hmac-secret-32-bytes-long";

/// One valid token per algorithm family, with the key and rules that accept it.
fn fixtures() -> Vec<(Algorithm, String, VerifyingKey)> {
    let p = clerk_payload(NOW);
    let h = json!({"typ": "JWT", "kid": "k1"});
    vec![
        (
            Algorithm::RS256,
            keys::rsa2048_a().sign(Algorithm::RS256, &h, &p),
            keys::rsa2048_a().verifying_key(),
        ),
        (
            Algorithm::ES256,
            keys::p256().sign(Algorithm::ES256, &h, &p),
            keys::p256().verifying_key(),
        ),
        (
            Algorithm::EdDSA,
            keys::ed25519().sign(Algorithm::EdDSA, &h, &p),
            keys::ed25519().verifying_key(),
        ),
        (
            Algorithm::HS256,
            hmac_sign(Algorithm::HS256, SECRET, &h, &p),
            VerifyingKey::hmac(SECRET).unwrap(),
        ),
    ]
}

fn accepts(alg: Algorithm, token: &str, key: &VerifyingKey) -> bool {
    Validation::new([alg])
        .verify::<Claims>(token, key, Timestamp::from_unix_seconds(NOW))
        .is_ok()
}

/// `token` with the character at byte `at` replaced by `with`.
fn replace_at(token: &str, at: usize, with: char) -> String {
    let mut out = String::with_capacity(token.len() + 4);
    out.push_str(&token[..at]);
    out.push(with);
    out.push_str(&token[at + 1..]);
    out
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn every_position_changed_to_a_base64url_neighbour_fails() {
    for (alg, token, key) in fixtures() {
        assert!(accepts(alg, &token, &key), "{alg} fixture must verify");
        for (at, b) in token.bytes().enumerate() {
            // The next alphabet character, or a letter in place of a dot.
            let with = match ALPHABET.iter().position(|c| *c == b) {
                Some(i) => ALPHABET[(i + 1) % ALPHABET.len()] as char,
                None => 'A',
            };
            let changed = replace_at(&token, at, with);
            assert!(
                !accepts(alg, &changed, &key),
                "{alg}: position {at} {:?} -> {with:?} still verifies",
                b as char
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn any_single_character_change_fails(which in 0usize..4, pos in any::<prop::sample::Index>(), with in any::<char>()) {
        let all = fixtures();
        let (alg, token, key) = &all[which];
        let at = pos.index(token.len());
        prop_assume!(token.as_bytes()[at] as char != with);
        let changed = replace_at(token, at, with);
        prop_assert!(!accepts(*alg, &changed, key));
    }

    #[test]
    fn parse_and_decode_never_panic(s in any::<String>()) {
        let _ = UnverifiedToken::parse(&s, &Limits::default());
        let _ = jwt_core::danger::insecure_decode(&s);
        let key = VerifyingKey::hmac(SECRET).unwrap();
        let _ = Validation::new(Algorithm::ALL).verify::<Claims>(&s, &key, Timestamp::from_unix_seconds(NOW));
    }

    #[test]
    fn token_shaped_input_never_panics(
        h in "[A-Za-z0-9_=+/ -]{0,64}",
        p in "[A-Za-z0-9_=+/ -]{0,64}",
        s in "[A-Za-z0-9_=+/ -]{0,64}",
    ) {
        let t = format!("{h}.{p}.{s}");
        let _ = jwt_core::danger::insecure_decode(&t);
        for key in [keys::rsa2048_a().verifying_key(), keys::p256().verifying_key()] {
            let _ = Validation::new(Algorithm::ALL).verify::<Claims>(&t, &key, Timestamp::from_unix_seconds(NOW));
        }
    }

    /// Arbitrary JSON (as text) in the header and payload of a well-formed token reaches the
    /// JSON, header and claim layers; none of them may panic.
    #[test]
    fn arbitrary_json_segments_never_panic(header in json_text(), payload in json_text()) {
        let t = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(&header),
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode([7u8; 32]),
        );
        let key = VerifyingKey::hmac(SECRET).unwrap();
        let rules = Validation::new(Algorithm::ALL)
            .with_audiences(["a"]).with_issuers(["i"]).with_authorized_parties(["p"])
            .with_header_types(["JWT"]);
        let _ = rules.verify::<Claims>(&t, &key, Timestamp::from_unix_seconds(NOW));
        let _ = jwt_core::danger::insecure_decode(&t);
    }

    #[test]
    fn key_loaders_never_panic(s in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = VerifyingKey::from_pem(&s);
        let _ = VerifyingKey::from_jwk_json(&s);
        let _ = VerifyingKey::from_spki_der(&bytes);
        let _ = VerifyingKey::from_pkcs1_der(&bytes);
        let _ = VerifyingKey::rsa(&bytes, &bytes);
        let _ = VerifyingKey::hmac(&bytes);
    }

    /// PEM-ish and JWK-ish input that gets past the first checks.
    #[test]
    fn structured_key_input_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..400),
        label in prop::sample::select(vec!["PUBLIC KEY", "RSA PUBLIC KEY", "PRIVATE KEY", "X"]),
        kty in prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "x"]),
        crv in prop::sample::select(vec!["P-256", "P-384", "P-521", "Ed25519", "x"]),
        alg in prop::sample::select(vec!["RS256", "ES256", "EdDSA", "HS256", "none", "ES512"]),
        a in prop::collection::vec(any::<u8>(), 0..600),
        b in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = VerifyingKey::from_pem(&pem);
        let _ = VerifyingKey::from_pem(&pem.replace('\n', "\\n"));
        let _ = VerifyingKey::from_pem(&b64);
        let enc = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        let jwk = json!({"kty":kty,"crv":crv,"alg":alg,"n":enc(&a),"e":enc(&b),"x":enc(&a),"y":enc(&b)});
        let _ = VerifyingKey::from_jwk_json(&jwk.to_string());
    }
}

/// Arbitrary JSON documents as text: scalars, arrays and objects, nested a few levels, plus
/// the registered claim and header names so the typed checks are reached.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        "[a-zA-Z0-9 ]{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((key_name(), inner), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    });
    prop_oneof![
        value.clone().prop_map(|v| v.to_string()),
        prop::collection::vec((key_name(), value), 0..8)
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect()).to_string()),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "alg", "kid", "typ", "cty", "cat", "crit", "b64", "jwk", "sub", "aud", "azp", "iss",
            "exp", "nbf", "iat",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,4}",
    ]
}
