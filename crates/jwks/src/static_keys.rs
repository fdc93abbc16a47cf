//! Keys given once, at startup: one PEM, one JWK, or a JWKS document.

use std::path::Path;
use std::sync::Arc;

use jwt_core::{Jwk, KeyError, VerifyingKey};

use crate::set::{DEFAULT_MAX_DOCUMENT_LEN, read_capped};
use crate::{JwkSet, KeyLookupError, KeyProvider, KeyRequest, SourceError, async_trait};

/// A fixed set of keys that never changes and never does I/O after it is built.
///
/// Two shapes, with different selection rules:
///
/// - **A single key** ([`from_pem`](Self::from_pem), [`from_jwk`](Self::from_jwk),
///   [`from_key`](Self::from_key)): the token's `kid` is ignored and this key is always the
///   answer, as identity-provider SDKs do when configured with one PEM key. If the key
///   cannot verify the token's algorithm, verification reports that precisely
///   (`key-algorithm-mismatch` in `jwt-core`).
/// - **A key set** ([`from_jwks`](Self::from_jwks), [`from_jwks_file`](Self::from_jwks_file),
///   [`from_set`](Self::from_set)): the [`JwkSet` selection rules](JwkSet#selection-rules)
///   apply (by `kid`, filtered by algorithm support; ambiguity is an error).
///
/// Every key is parsed when the source is built, so a bad key is reported at startup, not per
/// token; a key set with no usable key is refused ([`SourceErrorKind::NoUsableKeys`]).
///
/// ```
/// use jwks::{KeyProvider, KeyRequest, StaticKeys};
/// use jwt_core::Algorithm;
///
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
/// -----END PUBLIC KEY-----";
/// let keys = StaticKeys::from_pem(pem)?;
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// // The kid is ignored for a single key.
/// let key = keys.key(KeyRequest { kid: Some("anything"), alg: Algorithm::EdDSA }).await?;
/// assert!(key.supports(Algorithm::EdDSA));
/// # Ok::<(), jwks::KeyLookupError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`SourceErrorKind::NoUsableKeys`]: crate::SourceErrorKind::NoUsableKeys
#[derive(Clone, Debug)]
pub struct StaticKeys {
    set: Arc<JwkSet>,
    single: bool,
}

impl StaticKeys {
    /// A single key from PEM text (SPKI or PKCS#1; see
    /// [`VerifyingKey::from_pem`](jwt_core::VerifyingKey::from_pem)). The token's `kid` is
    /// ignored.
    pub fn from_pem(pem: &str) -> Result<StaticKeys, KeyError> {
        Ok(Self::from_key(VerifyingKey::from_pem(pem)?))
    }

    /// A single key the caller already loaded (a public key, or an HMAC key built from an
    /// explicit secret). The token's `kid` is ignored.
    pub fn from_key(key: VerifyingKey) -> StaticKeys {
        Self::single(None, key)
    }

    /// A single key from one JWK's JSON text. The token's `kid` is ignored (the JWK's own
    /// `kid`, if any, is kept for [`key_set`](KeyProvider::key_set) listings).
    pub fn from_jwk(json: &str) -> Result<StaticKeys, KeyError> {
        if json.len() > jwt_core::MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        let jwk = Jwk::from_json(json)?;
        let key = VerifyingKey::from_jwk(&jwk)?;
        Ok(Self::single(jwk.kid, key))
    }

    fn single(kid: Option<String>, key: VerifyingKey) -> StaticKeys {
        StaticKeys {
            set: Arc::new(JwkSet::from_keys([(kid, key)])),
            single: true,
        }
    }

    /// A key set from a JWKS document's text (at most
    /// [`DEFAULT_MAX_KEYS`](crate::DEFAULT_MAX_KEYS) keys). Unusable keys are skipped and
    /// listed in [`keys().skipped()`](JwkSet::skipped); a document with no usable key fails.
    pub fn from_jwks(json: &str) -> Result<StaticKeys, SourceError> {
        Self::from_set(JwkSet::parse(json)?)
    }

    /// A key set from a JWKS file (at most
    /// [`DEFAULT_MAX_DOCUMENT_LEN`](crate::DEFAULT_MAX_DOCUMENT_LEN) bytes, UTF-8).
    pub fn from_jwks_file(path: impl AsRef<Path>) -> Result<StaticKeys, SourceError> {
        Self::from_jwks(&read_capped(path.as_ref(), DEFAULT_MAX_DOCUMENT_LEN)?)
    }

    /// A key set from a parsed [`JwkSet`]; fails when it has no usable key.
    pub fn from_set(set: JwkSet) -> Result<StaticKeys, SourceError> {
        if set.is_empty() {
            return Err(set.no_usable_keys_error());
        }
        Ok(StaticKeys {
            set: Arc::new(set),
            single: false,
        })
    }

    /// The keys this source serves.
    pub fn keys(&self) -> &Arc<JwkSet> {
        &self.set
    }

    /// Whether this is a single-key source (the token's `kid` is ignored).
    pub fn is_single_key(&self) -> bool {
        self.single
    }
}

#[async_trait]
impl KeyProvider for StaticKeys {
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        if self.single {
            // Built from exactly one key, so `first_key` is always that key.
            return self
                .set
                .first_key()
                .cloned()
                .ok_or(KeyLookupError::KeyNotFound { kid: None });
        }
        self.set.select(req).cloned()
    }

    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        Some(Ok(Arc::clone(&self.set)))
    }
}
