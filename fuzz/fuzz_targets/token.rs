//! Token parsing and full verification with fixed keys of every family.
//!
//! The input is used as the token text (lossily converted to UTF-8, as a web framework would
//! hand a header value to us). It goes through `UnverifiedToken::parse`,
//! `danger::insecure_decode` and `Validation::verify` against an RSA, a P-256, an Ed25519 and
//! an HMAC key, with every claim check switched on. Nothing may panic, and nothing forged may
//! verify: the fixed keys' private halves are not in the corpus.
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
            VerifyingKey::hmac(b"fuzzing-secret-that-is-at-least-32-bytes").expect("secret"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = UnverifiedToken::parse(&text, &Limits::default());
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
            assert_eq!(v.algorithm().family(), jwt_core::KeyFamily::Hmac, "forged signature");
        }
    }
});
