//! The seam between verification and wherever keys come from.

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use jwt_core::{Algorithm, VerifyingKey};

use crate::{JwkSet, SourceError};

/// What the (still unverified) token header says about its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRequest<'a> {
    /// The header's `kid`, if any. An opaque string, at most [`jwt_core::MAX_KID_LEN`] bytes.
    pub kid: Option<&'a str>,
    /// The header's algorithm, already checked against the caller's allow-list.
    pub alg: Algorithm,
}

/// A source of verifying keys.
///
/// Given what the unverified header says (`kid`, `alg`), return the one key to verify the
/// token with. Trust comes only from here: header fields such as `jwk`, `jku`, `x5u` or `x5c`
/// are never consulted.
///
/// The answer distinguishes two failures that callers must treat differently:
///
/// - [`KeyLookupError::KeyNotFound`] and [`KeyLookupError::AmbiguousKey`]: the source works,
///   and the token names no usable key. The token is invalid (HTTP 401).
/// - [`KeyLookupError::Unavailable`]: the source could not answer (network, server error,
///   stale keys past their bound). Nothing is known about the token (HTTP 503).
///
/// Implementations must be cheap to call on the hot path: every request of every service
/// calls this once.
///
/// # Implementing your own KeyProvider
///
/// A provider backed by a map (a database or a KMS works the same way):
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use jwks::{KeyLookupError, KeyProvider, KeyRequest, async_trait};
/// use jwt_core::VerifyingKey;
///
/// #[derive(Debug)]
/// struct MapProvider(HashMap<String, Arc<VerifyingKey>>);
///
/// #[async_trait]
/// impl KeyProvider for MapProvider {
///     async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
///         let kid = req.kid.ok_or(KeyLookupError::KeyNotFound { kid: None })?;
///         self.0
///             .get(kid)
///             .cloned()
///             .ok_or_else(|| KeyLookupError::KeyNotFound { kid: Some(kid.to_owned()) })
///     }
/// }
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// let key = Arc::new(VerifyingKey::from_jwk_json(jwk).unwrap());
/// let provider = MapProvider(HashMap::from([("k1".to_owned(), key)]));
/// let req = KeyRequest { kid: Some("k1"), alg: jwt_core::Algorithm::EdDSA };
/// assert!(provider.key(req).await.is_ok());
/// let req = KeyRequest { kid: Some("k2"), alg: jwt_core::Algorithm::EdDSA };
/// assert!(provider.key(req).await.unwrap_err().is_not_found());
/// # });
/// ```
#[async_trait]
pub trait KeyProvider: Send + Sync + fmt::Debug {
    /// Returns the key to verify a token whose header says `req`.
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError>;

    /// The keys this provider currently serves, for tools that display them (the way a
    /// `jwks` command prints a key set). A remote source may fetch to answer.
    ///
    /// Providers that cannot list their keys (a KMS, for example) keep the default, `None`.
    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        None
    }
}

#[async_trait]
impl<T: KeyProvider + ?Sized> KeyProvider for Arc<T> {
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        (**self).key(req).await
    }

    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        (**self).key_set().await
    }
}

#[async_trait]
impl<T: KeyProvider + ?Sized> KeyProvider for Box<T> {
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        (**self).key(req).await
    }

    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        (**self).key_set().await
    }
}

#[async_trait]
impl<T: KeyProvider + ?Sized> KeyProvider for &T {
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        (**self).key(req).await
    }

    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        (**self).key_set().await
    }
}

/// Why a [`KeyProvider`] returned no key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum KeyLookupError {
    /// No usable key matches the token's `kid` (and `alg`), even after any refresh the source
    /// was allowed to make. The token is invalid.
    KeyNotFound {
        /// The `kid` asked for (truncated), if the token had one.
        kid: Option<String>,
    },
    /// More than one usable key matches; the source refuses to guess. The token is invalid.
    AmbiguousKey {
        /// The `kid` asked for, if the token had one.
        kid: Option<String>,
    },
    /// The key source could not answer. Nothing is known about the token.
    Unavailable(SourceError),
}

impl KeyLookupError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            KeyLookupError::KeyNotFound { .. } => "key-not-found",
            KeyLookupError::AmbiguousKey { .. } => "ambiguous-key",
            KeyLookupError::Unavailable(e) => e.code(),
        }
    }

    /// Whether the token names no usable key (the token is at fault, not the source).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            KeyLookupError::KeyNotFound { .. } | KeyLookupError::AmbiguousKey { .. }
        )
    }

    /// Whether the key source itself is unavailable (answer with a retryable error).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, KeyLookupError::Unavailable(_))
    }

    /// The source failure, when the source is unavailable.
    pub fn source_error(&self) -> Option<&SourceError> {
        match self {
            KeyLookupError::Unavailable(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for KeyLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLookupError::KeyNotFound { kid: Some(k) } => {
                write!(f, "no usable key with kid {k:?}")
            }
            KeyLookupError::KeyNotFound { kid: None } => {
                f.write_str("no usable key for a token without kid")
            }
            KeyLookupError::AmbiguousKey { kid: Some(k) } => {
                write!(f, "several usable keys share kid {k:?}")
            }
            KeyLookupError::AmbiguousKey { kid: None } => {
                f.write_str("several usable keys and the token has no kid")
            }
            KeyLookupError::Unavailable(e) => write!(f, "key source unavailable: {e}"),
        }
    }
}

impl std::error::Error for KeyLookupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyLookupError::Unavailable(e) => Some(e),
            _ => None,
        }
    }
}
