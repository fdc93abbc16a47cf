//! Key sources for `jwt-core`.
//!
//! This crate answers one question: *which key verifies this token?* It defines the async
//! [`KeyProvider`] seam, parses JWK Set documents ([`JwkSet`]) with the selection rules every
//! source shares, and implements the seam for static keys ([`StaticKeys`]: one PEM, one JWK, a
//! JWKS string or file). It **does not** parse tokens or check signatures (that is
//! `jwt-core`), never trusts keys named by a token header (`jwk`, `jku`, `x5u`, `x5c`), and
//! knows nothing of any particular identity provider.
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
mod error;
mod provider;
mod set;
mod static_keys;

pub use async_trait::async_trait;
pub use error::{MAX_ERROR_BODY, SourceError, SourceErrorKind};
pub use http;
pub use provider::{KeyLookupError, KeyProvider, KeyRequest};
pub use set::{DEFAULT_MAX_DOCUMENT_LEN, DEFAULT_MAX_KEYS, JwkEntry, JwkSet, SkippedKey};
pub use static_keys::StaticKeys;
