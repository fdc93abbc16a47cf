//! The paired measurement the benches share.
//!
//! On a shared machine the load from other processes changes a path's time from one moment to
//! the next, so a path and its baseline measured one after the other do not make a stable
//! ratio. Interleaving them in short blocks inside one measurement makes that load hit every
//! side alike; the ratio of the sides' times is then the figure to quote.

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature;
use serde::Deserialize;
use serde_json::Value;

use crate::{TestKey, clerk_payload};

/// The typed claims struct of the benches: the registered claims and a few of Clerk's, as an
/// application would define it, for the paths that deserialize the caller's own type.
#[derive(Debug, Deserialize)]
pub struct SessionClaims {
    /// `sub`.
    pub sub: String,
    /// `sid`.
    pub sid: String,
    /// `iss`.
    pub iss: String,
    /// `azp`.
    pub azp: Option<String>,
    /// `exp`.
    pub exp: i64,
    /// `iat`.
    pub iat: i64,
    /// `nbf`.
    pub nbf: i64,
    /// `v`.
    pub v: Option<u8>,
}

/// [`clerk_payload`] at `now`, padded with a custom claim (a long `org_slug`) so that `sign`
/// makes a token of about `len` bytes: the facade benches' token.
///
/// ```
/// use integration_tests::{bench::clerk_payload_of_len, keys};
/// use jwt_core::Algorithm;
///
/// let key = keys::ed25519();
/// let header = serde_json::json!({"typ": "JWT"});
/// let sign = |p: &serde_json::Value| key.sign(Algorithm::EdDSA, &header, p);
/// let token = sign(&clerk_payload_of_len(1_700_000_000, 750, &sign));
/// assert!((740..=760).contains(&token.len()), "{}", token.len());
/// ```
pub fn clerk_payload_of_len(now: i64, len: usize, sign: &dyn Fn(&Value) -> String) -> Value {
    let mut payload = clerk_payload(now);
    let unpadded = sign(&payload).len();
    if unpadded < len {
        let pad = (len - unpadded) * 3 / 4;
        payload["org_slug"] = Value::String("x".repeat(pad.saturating_sub(14)));
    }
    payload
}

/// The RS256 floor of the benches: *ring*'s own check of `token`'s signature with `key`'s
/// public components, decoded once (the check re-parses them on every call, as every check
/// through *ring* does). It panics if the signature does not verify.
///
/// ```
/// use integration_tests::{bench::rs256_floor, keys};
/// use jwt_core::Algorithm;
///
/// let key = keys::rsa2048_a();
/// let token = key.sign(Algorithm::RS256, &serde_json::json!({}), &serde_json::json!({"sub": "u"}));
/// rs256_floor(&key, &token)();
/// ```
pub fn rs256_floor(key: &TestKey, token: &str) -> impl Fn() + Sync + use<> {
    let jwk = key.verifying_key().to_jwk().expect("an RSA key");
    let decode = |b64: Option<String>| {
        URL_SAFE_NO_PAD
            .decode(b64.expect("RSA components"))
            .expect("base64url")
    };
    let (n, e) = (decode(jwk.n), decode(jwk.e));
    let (input, sig) = token.rsplit_once('.').expect("a compact token");
    let input = input.as_bytes().to_vec();
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
    move || {
        signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                std::hint::black_box(&input),
                std::hint::black_box(&sig),
            )
            .expect("the signature verifies");
    }
}

/// The output of a future that is ready when first polled (a `Verifier` with a static key and
/// no token cache never waits), without an executor. It panics if the future is pending.
///
/// ```
/// assert_eq!(integration_tests::bench::ready(async { 7 }), 7);
/// ```
pub fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("this path never waits"),
    }
}

/// How many calls of one side run before the next side's turn.
pub const PAIR_BLOCK: u64 = 16;

/// Runs every side in turn, [`PAIR_BLOCK`] calls at a time, until each has run `iters` times,
/// and returns the time each side took, in the order given.
///
/// ```
/// use std::cell::Cell;
/// use integration_tests::bench::interleaved;
///
/// let (a, b) = (Cell::new(0), Cell::new(0));
/// let times = interleaved(40, &[&|| a.set(a.get() + 1), &|| b.set(b.get() + 1)]);
/// assert_eq!((a.get(), b.get(), times.len()), (40, 40, 2));
/// ```
#[allow(
    clippy::disallowed_methods,
    reason = "a bench measures wall time by reading the clock, as criterion's iter_custom asks"
)]
pub fn interleaved(iters: u64, sides: &[&dyn Fn()]) -> Vec<Duration> {
    let mut times = vec![Duration::ZERO; sides.len()];
    let mut left = iters;
    while left > 0 {
        let n = left.min(PAIR_BLOCK);
        left -= n;
        for (side, time) in sides.iter().zip(times.iter_mut()) {
            let start = Instant::now();
            for _ in 0..n {
                side();
            }
            *time += start.elapsed();
        }
    }
    times
}
