//! Hostile input through the clerk-verify facade never panics: arbitrary tokens, headers,
//! cookies and compact permission claims.

use clerk_verify::{
    AuthObject, SessionClaims, Timestamp, Verifier, VerifyTokenOptions, expand_org_permissions,
    org_features, session_token,
};
use http::{HeaderMap, HeaderValue};
use integration_tests::keys;
use proptest::prelude::*;

fn verifier() -> Verifier {
    Verifier::new(&VerifyTokenOptions::default().with_jwt_key(keys::rsa2048_a().public_pem))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_tokens_are_rejected_with_a_reason(token in ".{0,300}", dots in "[A-Za-z0-9_.=-]{0,300}") {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let v = verifier();
        for t in [token, dots] {
            let e = rt.block_on(v.verify_at(&t, Timestamp::from_unix_seconds(0))).unwrap_err();
            prop_assert!(e.is_token_invalid());
            prop_assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn arbitrary_headers_never_panic(auth in proptest::collection::vec(any::<u8>(), 0..200),
                                     cookie in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&auth) {
            h.insert("authorization", v);
        }
        if let Ok(v) = HeaderValue::from_bytes(&cookie) {
            h.insert("cookie", v);
        }
        let _ = session_token(&h);
    }

    #[test]
    fn arbitrary_compact_permissions_never_panic(fea in ".{0,100}", per in ".{0,100}", fpm in "[0-9, x-]{0,400}") {
        if let Ok(features) = org_features(Some(&fea)) {
            let perms = expand_org_permissions(&features, &per, &fpm);
            prop_assert!(perms.len() <= features.len() * (per.split(',').count()));
        }
        let claims: SessionClaims = serde_json::from_value(serde_json::json!({
            "sub": "u", "exp": 1, "v": 2, "fea": fea, "o": {"id": "org", "per": per, "fpm": fpm}
        })).unwrap();
        let _ = AuthObject::from_claims(&claims);
    }
}
