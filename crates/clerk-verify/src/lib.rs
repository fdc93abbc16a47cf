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
//!     Ok(claims) => println!("signed in as {}", claims.sub),
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
#![forbid(unsafe_code)]

mod auth;
mod backend_api;
mod claims;
mod error;
mod js;
mod options;
mod request;
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
pub use verifier::{Verifier, verify_token, verify_token_as, verify_token_at};

pub use jwks::KeyProvider;
pub use jwt_core::{Algorithm, AlgorithmSet, Timestamp};
