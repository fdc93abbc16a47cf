//! Verify Clerk session tokens in Rust, with the semantics of `@clerk/backend`'s
//! `verifyToken()`.
//!
//! This crate is the Clerk facade over [`jwt_core`] (parsing, signatures, claim checks) and
//! [`jwks`] (key sources). It reproduces Clerk's option names and defaults, check order,
//! reason codes, messages and action hints; fetches the instance's keys from Clerk's Backend
//! API with the secret key, or verifies without network with the PEM public key; finds the
//! token in a request; and derives Clerk's auth object (user, session, organization,
//! permissions) from the claims.
//!
//! It **does not** contain cryptography or HTTP code of its own (that is `jwt-core` on
//! *ring* and `jwks` on hyper), does not mint or refresh tokens, does not call Clerk's
//! Backend API for anything but the JWKS, does not implement Clerk's full
//! `authenticateRequest` (handshakes, satellite domains, machine tokens), and never reads
//! the clock except in the `verify`/`verify_token` conveniences (`*_at` variants take `now`).
//! Where it deliberately differs from Clerk — stricter decoding, cheap checks before any key
//! lookup, configuration refused up front — docs/clerk-compat.md lists each difference and why.
//!
//! ```
//! # let pem = include_str!("../../../tests/fixtures/keys/rsa2048-a.pub.pem");
//! # let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! # rt.block_on(async {
//! use clerk_verify::{Reason, Verifier, VerifyTokenOptions};
//!
//! // Built once at startup; from_env() reads CLERK_JWT_KEY / CLERK_SECRET_KEY instead.
//! let options = VerifyTokenOptions::default()
//!     .with_jwt_key(pem)
//!     .with_authorized_parties(["https://app.example.com"]);
//! let verifier = Verifier::new(&options)?;
//!
//! // In a handler: find the token, verify it, answer 401 with Clerk's reason when invalid.
//! let mut headers = http::HeaderMap::new();
//! headers.insert("authorization", "Bearer not.a.token".parse()?);
//! let token = clerk_verify::session_token(&headers).expect("a token");
//! match verifier.verify(&token.token).await {
//!     Ok(claims) => println!("signed in as {}", claims.sub()),
//!     Err(e) => {
//!         assert_eq!(e.reason(), Reason::TokenInvalid);
//!         assert!(e.is_token_invalid()); // 401; is_key_infrastructure_unavailable() → 503
//!         println!("{}", serde_json::to_string(&e)?); // {"reason":...,"message":...,"action":...}
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Which call
//!
//! - [`Verifier::new`] once at startup (it refuses options that cannot work with a
//!   [`ConfigError`]), then [`Verifier::verify`] per request: typed [`SessionClaims`];
//!   [`Verifier::verify_as`] with `serde_json::Map<String, Value>` for the payload exactly as
//!   signed (what Clerk's `verifyToken` returns), or with your own type for JWT templates.
//!   The `*_at` variants take the time of the check instead of reading the clock.
//! - [`verify_token`] for one-off use, like Clerk's `verifyToken(token, options)`: same verdicts,
//!   and the Backend API key cache is shared across calls per (api_url, api_version, secret).
//! - [`session_token`] to find the token in request headers; [`AuthObject::from_claims`] for
//!   Clerk's user/session/organization view, with v2 permissions expanded.
//! - [`Verifier::key_set`] to warm the Backend API cache at startup or list the keys in use.
//! - [`VerifyTokenOptions::with_token_cache`] (off by default) to answer repeats of a token
//!   the verifier already verified from memory, still checking the key and `exp`/`nbf`/`iat`
//!   on every call; read [`VerifyTokenOptions::token_cache`] for the trade-off first.
//!
//! Errors are [`TokenVerificationError`]s with Clerk's [`Reason`] strings, messages and action
//! hints; `is_token_invalid()` (401), `is_key_infrastructure_unavailable()` (503) and
//! `is_configuration_error()` (500) say how to answer.
#![forbid(unsafe_code)]

mod auth;
mod backend_api;
mod claims;
mod error;
mod js;
mod options;
mod request;
mod token_cache;
mod verifier;

pub use auth::{AuthObject, InvalidFeatureClaim, expand_org_permissions, org_features};
pub use backend_api::{CLERK_API_VERSION_HEADER, USER_AGENT};
pub use claims::{Actor, OrgClaims, SessionClaims};
pub use error::{ConfigError, Reason, TokenVerificationError, action};
pub use options::{
    DEFAULT_API_URL, DEFAULT_API_VERSION, DEFAULT_CLOCK_SKEW_MS, VerifyTokenOptions,
};
pub use request::{
    SESSION_COOKIE, SessionToken, TokenCarrier, session_token, token_in_cookie, token_in_header,
};
pub use token_cache::{
    DEFAULT_TOKEN_CACHE_ENTRIES, DEFAULT_TOKEN_CACHE_MAX_TOKEN_LEN, TokenCacheOptions,
};
pub use verifier::{Verifier, verify_token, verify_token_as, verify_token_as_at, verify_token_at};

pub use jwks::{JwkSet, KeyProvider};
pub use jwt_core::{Algorithm, AlgorithmSet, Timestamp};
