//! Token parsing and full verification with fixed keys of every family.
//!
//! The input is used as the token text (lossily converted to UTF-8, as a web framework would
//! hand a header value to us). It goes through `UnverifiedToken::parse`,
//! `danger::insecure_decode` and `Validation::verify` against an RSA, a P-256, an Ed25519 and
//! an HMAC key, with every claim check switched on. Nothing may panic, and nothing forged may
//! verify: the fixed keys' private halves are not in the corpus. Rules that have kept the
//! headers of the seeds' HMAC tokens must prepare every input exactly as rules that have kept
//! none (same header, same error).
#![no_main]
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken, Validation, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static [VerifyingKey] {
    static KEYS: OnceLock<Vec<VerifyingKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pem = |p: &str| VerifyingKey::from_pem(p).expect("bundled test key");
        vec![
            pem(include_str!("../../tests/fixtures/keys/rsa2048-a.pub.pem")),
            pem(include_str!("../../tests/fixtures/keys/p256.pub.pem")),
            pem(include_str!("../../tests/fixtures/keys/ed25519.pub.pem")),
            VerifyingKey::hmac(SECRET).expect("secret"),
        ]
    })
}

const SECRET: &[u8] = b"fuzzing-secret-that-is-at-least-32-bytes";

/// HMAC tokens with the headers that the `kept` rules keep (the seeds hold tokens with them).
const KEPT_HEADERS: [&str; 3] = [
    r#"{"alg":"HS256","typ":"JWT"}"#,
    r#"{"alg":"HS256","kid":"ins_1","typ":"JWT"}"#,
    r#"{"typ":"JWT",
 "alg":"HS256"}"#,
];

/// Rules that have verified a token with each of [`KEPT_HEADERS`].
fn kept() -> &'static Validation {
    static KEPT: OnceLock<Validation> = OnceLock::new();
    KEPT.get_or_init(|| {
        use base64::Engine as _;
        let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let rules = Validation::new([Algorithm::HS256]).require_exp(false);
        let key = VerifyingKey::hmac(SECRET).expect("secret");
        for header in KEPT_HEADERS {
            let input = format!("{}.{}", enc(header.as_bytes()), enc(br#"{"sub":"u"}"#));
            let tag = ring::hmac::sign(
                &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET),
                input.as_bytes(),
            );
            let token = format!("{input}.{}", enc(tag.as_ref()));
            rules
                .verify::<Claims>(&token, &key, Timestamp::from_unix_seconds(0))
                .expect("a token with a kept header");
        }
        rules
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = UnverifiedToken::parse(&text, &Limits::default());
    let fresh = kept().clone(); // a clone keeps no headers
    match (
        kept().prepare::<Claims>(&text),
        fresh.prepare::<Claims>(&text),
    ) {
        (Ok(k), Ok(f)) => {
            assert_eq!(k.token().header(), f.token().header());
            assert_eq!(k.token().payload(), f.token().payload());
            assert_eq!(k.token().signature(), f.token().signature());
        }
        (Err(k), Err(f)) => assert_eq!(k.code(), f.code()),
        (k, f) => panic!("kept headers changed the parse: {k:?} vs {f:?}"),
    }
    let _ = jwt_core::danger::insecure_decode(&text);
    let rules = Validation::new(Algorithm::ALL)
        .with_audiences(["api"])
        .with_issuers(["https://clerk.example.com"])
        .with_authorized_parties(["https://app.example.com"])
        .with_header_types(["JWT"]);
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    for key in keys() {
        if let Ok(v) = rules.verify::<Claims>(&text, key, now) {
            // Only the HMAC key's secret is public here (it is in this file); a forged
            // public-key signature would be a real finding.
            assert_eq!(
                v.algorithm().family(),
                jwt_core::KeyFamily::Hmac,
                "forged signature"
            );
        }
    }
});
