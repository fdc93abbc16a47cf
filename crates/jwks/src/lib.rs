//! Key sources for `jwt-core`.
//!
//! This crate answers one question: *which key verifies this token?* It defines the async
//! [`KeyProvider`] seam, parses JWK Set documents ([`JwkSet`]) with the selection rules every
//! source shares, and implements the seam for static keys ([`StaticKeys`]: one PEM, one JWK, a
//! JWKS string or file) and for a hardened, caching HTTP source ([`RemoteJwks`]) that fetches
//! through a small [`HttpClient`](client::HttpClient) trait (default: hyper + rustls).
//!
//! It **does not** parse tokens or check signatures (that is `jwt-core`), never trusts keys
//! named by a token header (`jwk`, `jku`, `x5u`, `x5c`), never reads the clock except
//! through its [`Clock`] trait, and knows nothing of any particular identity provider:
//! credentials and provider-specific headers are the caller's to add.
//!
//! ```
//! use jwks::{KeyProvider, KeyRequest, StaticKeys};
//! use jwt_core::Algorithm;
//!
//! let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
//!     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//! let keys = StaticKeys::from_jwks(jwks)?;
//! # let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! # rt.block_on(async {
//! let key = keys.key(KeyRequest { kid: Some("k1"), alg: Algorithm::EdDSA }).await?;
//! assert!(key.supports(Algorithm::EdDSA));
//! let err = keys.key(KeyRequest { kid: Some("k2"), alg: Algorithm::EdDSA }).await.unwrap_err();
//! assert_eq!(err.code(), "key-not-found");
//! # Ok::<(), jwks::KeyLookupError>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod client;
mod clock;
mod error;
mod provider;
mod remote;
mod set;
mod static_keys;

pub use async_trait::async_trait;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{MAX_ERROR_BODY, SourceError, SourceErrorKind};
pub use http;
pub use provider::{KeyLookupError, KeyProvider, KeyRequest};
pub use remote::{
    DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_AGE, DEFAULT_MAX_MAX_AGE, DEFAULT_MAX_RETRIES,
    DEFAULT_MIN_MAX_AGE, DEFAULT_NEGATIVE_CACHE_CAPACITY, DEFAULT_NEGATIVE_CACHE_TTL,
    DEFAULT_REFRESH_AHEAD, DEFAULT_REFRESH_JITTER, DEFAULT_RETRY_BACKOFF, DEFAULT_STALE_IF_ERROR,
    DEFAULT_TIMEOUT, DEFAULT_UNKNOWN_KID_COOLDOWN, JwksSnapshot, RemoteJwks, RemoteJwksBuilder,
};
pub use set::{DEFAULT_MAX_DOCUMENT_LEN, DEFAULT_MAX_KEYS, JwkEntry, JwkSet, SkippedKey};
pub use static_keys::StaticKeys;
