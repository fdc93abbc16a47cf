//! Key sources for `jwt-core`.
//!
//! This crate answers one question: *which key verifies this token?* It defines the async
//! [`KeyProvider`] seam, and implements it for static keys (PEM, JWK, JWKS) and for a
//! hardened, caching HTTP JWKS source. It **does not** parse tokens or check signatures
//! (that is `jwt-core`), and knows nothing of any particular identity provider.
#![forbid(unsafe_code)]

mod error;
mod provider;

pub use async_trait::async_trait;
pub use error::{MAX_ERROR_BODY, SourceError, SourceErrorKind};
pub use provider::{KeyLookupError, KeyProvider, KeyRequest};
