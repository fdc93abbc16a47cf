//! The opt-in verified-token cache: hits give the verdicts of a full verification, expiry
//! is re-checked on every hit, only the exact token hits, the bound holds, and a key removed
//! from a remote key set (a real JWKS server on 127.0.0.1: the workspace's test server,
//! `integration_tests::http`) drops the entry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should fail loudly"
)]

use clerk_verify::{
    Algorithm, Reason, SessionClaims, Timestamp, TokenCacheOptions, TokenVerificationError,
    Verifier, VerifyTokenOptions,
};
use integration_tests::http::{Reply, TestServer};
use integration_tests::{TestKey, clerk_payload, keys};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_700_000_000;

fn at(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s)
}

fn options(key: &TestKey) -> VerifyTokenOptions {
    VerifyTokenOptions::default()
        .with_jwt_key(key.public_pem)
        .with_authorized_parties(["https://app.example.com"])
}

/// The same options, with and without the cache.
fn pair(options: &VerifyTokenOptions) -> (Verifier, Verifier) {
    let cached = options
        .clone()
        .with_token_cache(TokenCacheOptions::default());
    (
        Verifier::new(&cached).unwrap(),
        Verifier::new(options).unwrap(),
    )
}

fn rs256(key: &TestKey, payload: &Value) -> String {
    key.sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": "k1"}),
        payload,
    )
}

/// Two errors say the same thing.
fn same(a: &TokenVerificationError, b: &TokenVerificationError) {
    assert_eq!(
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap()
    );
}

#[tokio::test]
async fn off_by_default() {
    let key = keys::rsa2048_a();
    let v = Verifier::new(&options(&key)).unwrap();
    let token = rs256(&key, &clerk_payload(NOW));
    v.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn hits_return_identical_claims() {
    let key = keys::rsa2048_a();
    let (cached, plain) = pair(&options(&key));
    let mut payload = clerk_payload(NOW);
    payload["custom"] = json!({"b": [1, 2.5, null], "a": "x"});
    let token = rs256(&key, &payload);
    let expected_map = plain
        .verify_as_at::<Map<String, Value>>(&token, at(NOW))
        .await
        .unwrap();
    let expected_session = plain.verify_at(&token, at(NOW)).await.unwrap();
    for round in 0..3 {
        let map = cached
            .verify_as_at::<Map<String, Value>>(&token, at(NOW))
            .await
            .unwrap();
        assert_eq!(map, expected_map, "round {round}");
        // Members in their signed order, as Clerk returns them.
        assert!(map.keys().eq(expected_map.keys()));
        let session: SessionClaims = cached.verify_at(&token, at(NOW)).await.unwrap();
        assert_eq!(session, expected_session, "round {round}");
        let claims = cached
            .verify_as_at::<jwt_core::Claims>(&token, at(NOW))
            .await
            .unwrap();
        assert_eq!(claims.sub(), Some("user_2abc3def4ghi5jkl6mno7pqr8st"));
        assert_eq!(cached.cached_tokens(), 1);
    }
    // A clone shares the cache.
    let clone = cached.clone();
    clone.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(clone.cached_tokens(), 1);
}

#[tokio::test]
async fn a_custom_type_that_does_not_fit_fails_the_same_on_a_hit() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "only deserialized")]
    struct Template {
        tier: String,
    }
    let key = keys::rsa2048_a();
    let (cached, plain) = pair(&options(&key));
    let token = rs256(&key, &clerk_payload(NOW));
    let expected = plain
        .verify_as_at::<Template>(&token, at(NOW))
        .await
        .unwrap_err();
    assert_eq!(expected.reason(), Reason::TokenVerificationFailed);
    for _ in 0..2 {
        let e = cached
            .verify_as_at::<Template>(&token, at(NOW))
            .await
            .unwrap_err();
        same(&e, &expected);
    }
    // The token itself verified: the map is served from the entry.
    assert_eq!(cached.cached_tokens(), 1);
    cached
        .verify_as_at::<Map<String, Value>>(&token, at(NOW))
        .await
        .unwrap();

    // A verified token whose claims do not fit SessionClaims (a numeric sid).
    let mut payload = clerk_payload(NOW);
    payload["sid"] = json!(5);
    let token = rs256(&key, &payload);
    let expected = plain.verify_at(&token, at(NOW)).await.unwrap_err();
    assert_eq!(expected.reason(), Reason::TokenVerificationFailed);
    for _ in 0..2 {
        same(
            &cached.verify_at(&token, at(NOW)).await.unwrap_err(),
            &expected,
        );
    }
    assert_eq!(cached.cached_tokens(), 2);
}

#[tokio::test]
async fn expiry_not_before_and_issued_at_are_checked_on_every_hit() {
    let key = keys::rsa2048_a();
    let skew_ms = 2_000;
    let (cached, plain) = pair(&options(&key).with_clock_skew_ms(skew_ms));
    // exp = NOW + 60, nbf = NOW - 10, iat = NOW.
    let token = rs256(&key, &clerk_payload(NOW));
    cached.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(cached.cached_tokens(), 1);
    // Still valid within the skew: exp_ms <= now_ms - skew is expired.
    cached.verify_at(&token, at(NOW + 61)).await.unwrap();
    assert_eq!(cached.cached_tokens(), 1);
    // Expired: the same error as a full verification, and the entry is gone.
    let late = at(NOW + 62);
    let e = cached.verify_at(&token, late).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenExpired);
    same(&e, &plain.verify_at(&token, late).await.unwrap_err());
    assert_eq!(cached.cached_tokens(), 0);

    // Not before, on a hit: nbf_ms > now_ms + skew (a token without iat).
    let mut payload = clerk_payload(NOW);
    payload.as_object_mut().unwrap().remove("iat");
    let token = rs256(&key, &payload);
    cached.verify_at(&token, at(NOW)).await.unwrap();
    cached.verify_at(&token, at(NOW - 12)).await.unwrap();
    let early = at(NOW - 13);
    let e = cached.verify_at(&token, early).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenNotActiveYet);
    same(&e, &plain.verify_at(&token, early).await.unwrap_err());

    // Issued in the future, on a hit (a token without nbf).
    let mut payload = clerk_payload(NOW);
    payload.as_object_mut().unwrap().remove("nbf");
    let token = rs256(&key, &payload);
    cached.verify_at(&token, at(NOW)).await.unwrap();
    let before = cached.cached_tokens();
    let e = cached.verify_at(&token, at(NOW - 3)).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenIatInTheFuture);
    same(&e, &plain.verify_at(&token, at(NOW - 3)).await.unwrap_err());
    assert_eq!(cached.cached_tokens(), before - 1);
}

#[tokio::test]
async fn only_the_exact_token_hits() {
    let key = keys::rsa2048_a();
    let other = keys::rsa2048_b();
    let (cached, _) = pair(&options(&key));
    let payload = clerk_payload(NOW);
    let token = rs256(&key, &payload);
    cached.verify_at(&token, at(NOW)).await.unwrap();
    // The same claims, signed by another key.
    let forged = rs256(&other, &payload);
    let e = cached.verify_at(&forged, at(NOW)).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    // The same header and claims with the signature changed in its last character.
    let (input, sig) = token.rsplit_once('.').unwrap();
    let last = if sig.ends_with('A') { "Q" } else { "A" };
    let tampered = format!("{input}.{}{last}", &sig[..sig.len() - 1]);
    let e = cached.verify_at(&tampered, at(NOW)).await.unwrap_err();
    assert!(
        matches!(
            e.reason(),
            Reason::TokenInvalidSignature | Reason::TokenInvalid
        ),
        "{e}"
    );
    // The same claims under another header.
    let rekeyed = key.sign(Algorithm::RS256, &json!({"kid": "k2"}), &payload);
    assert_ne!(rekeyed, token);
    cached.verify_at(&rekeyed, at(NOW)).await.unwrap();
    assert_eq!(cached.cached_tokens(), 2, "a second, separate entry");
    // A token with trailing garbage is not the cached one.
    let e = cached
        .verify_at(&format!("{token}x"), at(NOW))
        .await
        .unwrap_err();
    assert_ne!(e.reason(), Reason::TokenExpired);
    cached.verify_at(&token, at(NOW)).await.unwrap();
}

#[tokio::test]
async fn the_bounds_hold() {
    let key = keys::rsa2048_a();
    let opts = options(&key).with_token_cache(TokenCacheOptions::default().with_max_entries(8));
    let v = Verifier::new(&opts).unwrap();
    let mut tokens = Vec::new();
    for i in 0..40 {
        let mut payload = clerk_payload(NOW);
        payload["jti"] = json!(format!("jti-{i}"));
        let token = rs256(&key, &payload);
        v.verify_at(&token, at(NOW)).await.unwrap();
        assert!(v.cached_tokens() <= 8, "{} after {i}", v.cached_tokens());
        tokens.push(token);
    }
    assert!(v.cached_tokens() > 0);
    // Evicted tokens still verify (in full).
    v.verify_at(&tokens[0], at(NOW)).await.unwrap();

    // Tokens longer than max_token_len are verified every time and never stored.
    let opts = options(&key).with_token_cache(TokenCacheOptions::default().with_max_token_len(600));
    let v = Verifier::new(&opts).unwrap();
    let mut payload = clerk_payload(NOW);
    payload["pad"] = json!("x".repeat(400));
    let long = rs256(&key, &payload);
    assert!(long.len() > 600);
    v.verify_at(&long, at(NOW)).await.unwrap();
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn one_off_calls_cache_nothing_and_agree() {
    let key = keys::rsa2048_a();
    let opts = options(&key).with_token_cache(TokenCacheOptions::default());
    let token = rs256(&key, &clerk_payload(NOW));
    let a = clerk_verify::verify_token_at(&token, &opts, at(NOW))
        .await
        .unwrap();
    let (cached, _) = pair(&options(&key));
    assert_eq!(cached.verify_at(&token, at(NOW)).await.unwrap(), a);
}

#[tokio::test]
async fn a_key_removed_from_a_remote_set_drops_the_entry() {
    let a = keys::rsa2048_a();
    let b = keys::rsa2048_b();
    let both = json!({"keys": [
        a.public_jwk("k1", Some(Algorithm::RS256)),
        b.public_jwk("k2", Some(Algorithm::RS256)),
    ]});
    let server = TestServer::start(Reply::json(&both)).await;
    let remote = jwks::RemoteJwks::new(server.url("/jwks")).unwrap();
    let opts = VerifyTokenOptions::default()
        .with_key_provider(remote.clone())
        .with_token_cache(TokenCacheOptions::default());
    let v = Verifier::new(&opts).unwrap();
    let token = rs256(&a, &clerk_payload(NOW));
    let other = b.sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": "k2"}),
        &clerk_payload(NOW),
    );
    v.verify_at(&token, at(NOW)).await.unwrap();
    v.verify_at(&other, at(NOW)).await.unwrap();
    v.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(v.cached_tokens(), 2);
    assert_eq!(server.count(), 1);
    assert_eq!(server.request(0).path(), "/jwks");

    // The same keys fetched again (new key objects): the token still verifies.
    remote.force_refresh().await.unwrap();
    v.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(v.cached_tokens(), 2);

    // k1 leaves the set: its token fails as without the cache, and its entry is dropped.
    server.set(Reply::json(
        json!({"keys": [b.public_jwk("k2", Some(Algorithm::RS256))]}),
    ));
    remote.force_refresh().await.unwrap();
    let e = v.verify_at(&token, at(NOW)).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch, "{e}");
    assert_eq!(v.cached_tokens(), 1);
    v.verify_at(&other, at(NOW)).await.unwrap();

    // k1 returns with other key material: the cached token no longer verifies.
    server.set(Reply::json(json!({"keys": [
        b.public_jwk("k1", Some(Algorithm::RS256)),
        b.public_jwk("k2", Some(Algorithm::RS256)),
    ]})));
    remote.force_refresh().await.unwrap();
    let e = v.verify_at(&token, at(NOW)).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature, "{e}");

    // And with the original key back, it verifies again.
    server.set(Reply::json(both));
    remote.force_refresh().await.unwrap();
    v.verify_at(&token, at(NOW)).await.unwrap();
}

#[tokio::test]
async fn a_key_replaced_under_a_cached_token_is_checked_before_the_hit() {
    // A cached token, then the same kid with other key material: the entry must not answer.
    let a = keys::rsa2048_a();
    let b = keys::rsa2048_b();
    let server = TestServer::start(Reply::json(json!({"keys": [a.public_jwk("k1", None)]}))).await;
    let remote = jwks::RemoteJwks::new(server.url("/jwks")).unwrap();
    let v = Verifier::new(
        &VerifyTokenOptions::default()
            .with_key_provider(remote.clone())
            .with_token_cache(TokenCacheOptions::default()),
    )
    .unwrap();
    let token = rs256(&a, &clerk_payload(NOW));
    v.verify_at(&token, at(NOW)).await.unwrap();
    assert_eq!(v.cached_tokens(), 1);
    server.set(Reply::json(json!({"keys": [b.public_jwk("k1", None)]})));
    remote.force_refresh().await.unwrap();
    let e = v.verify_at(&token, at(NOW)).await.unwrap_err();
    assert_eq!(e.reason(), Reason::TokenInvalidSignature);
    assert_eq!(v.cached_tokens(), 0, "a token that failed is not kept");
}
