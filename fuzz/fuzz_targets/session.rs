//! Arbitrary payload text in a correctly signed Clerk session token: the facade's one-pass
//! `SessionClaims` reader against its map route.
//!
//! The input (if it is UTF-8) becomes the payload of an EdDSA token signed here with the test
//! kit's Ed25519 key, whose public key a `Verifier` holds as its `jwt_key`, so every input reaches
//! the claims stage. `Verifier::verify_at` reads `SessionClaims` straight from the payload
//! (jwt-core's member reader, the claims' shared string buffer); `verify_as_at` into the map
//! of all claims, then `SessionClaims`' own `Deserialize` from that map (the same member
//! logic fed by serde_json's map instead of the member reader), is one reference. A second
//! `Verifier` with the verified-token cache answers each token twice (the miss that fills the
//! cache, then a hit); the cache converts its entry's map with the separate, fixed-order
//! conversion the facade names claims errors with, so it is an independent second reference.
//! Nothing may panic, and the verdicts must agree: the same reason wherever the map route
//! fails; equal claims, serialized alike, wherever the map and `SessionClaims` accept the
//! payload; a claims error (and only that) where the map is accepted and `SessionClaims`
//! refuses it.
#![no_main]
#![forbid(unsafe_code)]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_verify::{
    Algorithm, SessionClaims, Timestamp, TokenCacheOptions, TokenVerificationError, Verifier,
    VerifyTokenOptions,
};
use integration_tests::{keys, pem_der, signing_input_raw};
use libfuzzer_sys::fuzz_target;
use ring::signature::Ed25519KeyPair;
use serde_json::{Map, Value};

/// The time every token is verified at (the seeds' claims are valid around it).
const NOW: i64 = 1_700_000_000;

struct Fixture {
    /// Parsed once: the test kit's own signing parses the key for every token.
    key: Ed25519KeyPair,
    plain: Verifier,
    cached: Verifier,
    runtime: tokio::runtime::Runtime,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let kit = keys::ed25519();
    let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(kit.private_pem))
        .expect("the test kit's Ed25519 key");
    let options = VerifyTokenOptions::default()
        .with_jwt_key(kit.public_pem)
        .with_algorithms([Algorithm::EdDSA])
        .with_authorized_parties(["https://app.example.com"]);
    Fixture {
        plain: Verifier::new(&options).expect("the options are valid"),
        cached: Verifier::new(&options.with_token_cache(TokenCacheOptions::default()))
            .expect("the options are valid"),
        key,
        runtime: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime"),
    }
});

fn is_claims_error(e: &TokenVerificationError) -> bool {
    matches!(
        e.token_error(),
        Some(jwt_core::Error::ClaimsDeserialize { .. })
    )
}

/// The same outcome: equal claims serialized alike, or errors with the same reason and the
/// same jwt-core error.
fn same(
    a: &Result<SessionClaims, TokenVerificationError>,
    b: &Result<SessionClaims, TokenVerificationError>,
    what: &str,
) {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{what}");
            assert_eq!(
                serde_json::to_string(a).expect("claims serialize"),
                serde_json::to_string(b).expect("claims serialize"),
                "{what}"
            );
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.reason(), b.reason(), "{what}");
            assert_eq!(a.token_error(), b.token_error(), "{what}");
        }
        (a, b) => panic!("{what}\n{a:?}\n{b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = &*FIXTURE;
    let input = signing_input_raw(r#"{"typ":"JWT","alg":"EdDSA"}"#, text);
    let signature = f.key.sign(input.as_bytes());
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()));
    let now = Timestamp::from_unix_seconds(NOW);
    let one_pass = f.runtime.block_on(f.plain.verify_at(&token, now));
    let map = f
        .runtime
        .block_on(f.plain.verify_as_at::<Map<String, Value>>(&token, now));
    match (&one_pass, map) {
        (_, Err(map_error)) => same(&one_pass, &Err(map_error), text),
        (Ok(claims), Ok(map)) => {
            let reference = serde_json::from_value::<SessionClaims>(Value::Object(map));
            match reference {
                Ok(reference) => same(&one_pass, &Ok(reference), text),
                Err(e) => panic!("{text}\none pass accepted {claims:?}\nserde refused: {e}"),
            }
        }
        (Err(e), Ok(map)) => {
            assert!(is_claims_error(e), "{text}\n{e:?}");
            assert!(
                serde_json::from_value::<SessionClaims>(Value::Object(map)).is_err(),
                "{text}\none pass refused what serde accepts: {e:?}"
            );
        }
    }
    // The token cache: the miss that fills it, then a hit, each as the plain verifier.
    for _ in 0..2 {
        let cached = f.runtime.block_on(f.cached.verify_at(&token, now));
        same(&cached, &one_pass, text);
    }
});
