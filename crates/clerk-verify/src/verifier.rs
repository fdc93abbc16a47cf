//! The verifier: Clerk's check order on top of `jwt-core` and a key source.

use core::fmt;
use std::sync::Arc;

use jwks::{JwkSet, KeyProvider, KeyRequest};
use jwt_core::{Timestamp, UnverifiedToken, Validation, VerifyingKey};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::backend_api::BackendApiKeys;
use crate::claims::SessionClaims;
use crate::error::{self, ConfigError, MessageContext, TokenVerificationError};
use crate::js;
use crate::options::VerifyTokenOptions;

/// A reusable verifier, built once from [`VerifyTokenOptions`] and shared by every request.
///
/// Cheap to clone (one `Arc`), `Send + Sync`. Building it does the work that would otherwise
/// be repeated per token: the `jwt_key` is parsed, the options are checked, the Backend API
/// key source and its cache are set up. Nonsensical options are refused here with a
/// [`ConfigError`] instead of failing every token.
///
/// ```
/// # let pem = include_str!("../../../tests/fixtures/keys/rsa2048-a.pub.pem");
/// use clerk_verify::{Verifier, VerifyTokenOptions};
/// let verifier = Verifier::new(&VerifyTokenOptions::default().with_jwt_key(pem))?;
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// let err = verifier.verify("not-a-token").await.unwrap_err();
/// assert_eq!(err.reason().as_str(), "token-invalid");
/// assert_eq!(err.message(), "Invalid JWT form. A JWT consists of three parts separated by dots.");
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    validation: Validation,
    keys: Keys,
    messages: MessageContext,
}

enum Keys {
    /// Clerk's PEM public key: one key, whatever the `kid`, as Clerk does.
    Static(Arc<VerifyingKey>),
    /// A user-supplied key source.
    Provider(Arc<dyn KeyProvider>),
    /// The instance's JWKS from the Backend API.
    BackendApi(Arc<BackendApiKeys>),
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: &dyn fmt::Debug = match &self.inner.keys {
            Keys::Static(k) => k,
            Keys::Provider(p) => p,
            Keys::BackendApi(b) => b,
        };
        f.debug_struct("Verifier")
            .field("validation", &self.inner.validation)
            .field("keys", keys)
            .finish()
    }
}

impl Verifier {
    /// Builds a verifier, refusing options that cannot work.
    pub fn new(options: &VerifyTokenOptions) -> Result<Self, ConfigError> {
        Self::build(options, false)
    }

    /// Builds a verifier whose Backend API source comes from the process-wide registry, so
    /// one-off calls with the same (api_url, api_version, secret_key) share one cache.
    pub(crate) fn shared(options: &VerifyTokenOptions) -> Result<Self, ConfigError> {
        Self::build(options, true)
    }

    fn build(options: &VerifyTokenOptions, shared: bool) -> Result<Self, ConfigError> {
        let algorithms = options.algorithms;
        if algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if options.authorized_parties.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyAuthorizedParty);
        }
        if options.header_type.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::EmptyHeaderTypes);
        }
        let jwt_key = options.jwt_key.as_deref().filter(|k| !k.is_empty());
        let secret_key = options.secret_key.as_deref().filter(|k| !k.is_empty());
        let keys = if let Some(pem) = jwt_key {
            if algorithms.has_hmac() {
                return Err(ConfigError::HmacWithPublicKeySource);
            }
            let key = VerifyingKey::from_pem(pem).map_err(ConfigError::InvalidJwtKey)?;
            if !algorithms.iter().any(|a| key.supports(a)) {
                return Err(ConfigError::KeyCannotVerifyAllowedAlgorithms {
                    family: key.family(),
                    allowed: algorithms,
                });
            }
            Keys::Static(Arc::new(key))
        } else if let Some(provider) = &options.key_provider {
            Keys::Provider(Arc::clone(provider))
        } else if let Some(secret) = secret_key {
            if algorithms.has_hmac() {
                return Err(ConfigError::HmacWithPublicKeySource);
            }
            let (url, version, skip) = (
                &options.api_url,
                &options.api_version,
                options.skip_jwks_cache,
            );
            let source = if shared {
                BackendApiKeys::shared(url, version, secret, skip)?
            } else {
                Arc::new(BackendApiKeys::new(url, version, secret, skip)?)
            };
            Keys::BackendApi(source)
        } else {
            return Err(ConfigError::NoKeySource);
        };

        let audience: Vec<&str> = options
            .audience
            .iter()
            .map(String::as_str)
            .filter(|a| !a.is_empty())
            .collect();
        let issuer: Vec<&str> = options
            .issuer
            .iter()
            .map(String::as_str)
            .filter(|i| !i.is_empty())
            .collect();
        let header_types: Vec<String> = options
            .header_type
            .clone()
            .unwrap_or_else(|| vec!["JWT".to_owned()]);
        let validation = Validation::new(algorithms.iter())
            .with_leeway_ms(options.clock_skew_ms)
            .with_audiences(audience.iter().copied())
            .require_aud(options.strict_audience)
            .with_authorized_parties(options.authorized_parties.iter().cloned())
            .with_issuers(issuer.iter().copied())
            .with_header_types(header_types.iter().cloned())
            .require_typ(options.header_type.is_some());
        let messages = MessageContext {
            algorithms: algorithms
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(","),
            header_types: header_types.join(", "),
            audiences: js::json(&serde_json::Value::Array(
                audience
                    .iter()
                    .map(|a| serde_json::Value::String((*a).to_owned()))
                    .collect(),
            )),
            authorized_parties: options.authorized_parties.join(","),
            issuers: issuer.join(","),
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                validation,
                keys,
                messages,
            }),
        })
    }

    /// The keys this verifier currently verifies with, as a key set: for a `jwks` command,
    /// a health check, or to warm the Backend API cache at startup (the source fetches when
    /// it holds no fresh set). `Ok(None)` for a custom provider that cannot list its keys.
    pub async fn key_set(&self) -> Result<Option<Arc<JwkSet>>, TokenVerificationError> {
        let unavailable = |e, remote| {
            error::from_key_lookup_error(jwks::KeyLookupError::Unavailable(e), None, remote)
        };
        match &self.inner.keys {
            Keys::Static(key) => Ok(Some(Arc::new(JwkSet::from_keys([(
                None,
                VerifyingKey::clone(key),
            )])))),
            Keys::Provider(p) => p
                .key_set()
                .await
                .transpose()
                .map_err(|e| unavailable(e, None)),
            Keys::BackendApi(b) => b
                .key_set()
                .await
                .map(Some)
                .map_err(|e| unavailable(e, Some(b.info()))),
        }
    }

    /// Verifies a Clerk session token now, returning its typed claims.
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, TokenVerificationError> {
        self.verify_at(token, now()).await
    }

    /// Verifies a Clerk session token at time `now`.
    pub async fn verify_at(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<SessionClaims, TokenVerificationError> {
        let payload = self.verify_as_at::<Map<String, Value>>(token, now).await?;
        SessionClaims::from_payload(payload).map_err(|detail| {
            let e = jwt_core::Error::ClaimsDeserialize { detail };
            error::from_token_error(e, &self.inner.messages, || None)
        })
    }

    /// Verifies a token now, deserializing its payload into `C`: a JWT template's claims
    /// type, [`jwt_core::Claims`], or `serde_json::Map<String, Value>` for the payload exactly
    /// as signed (what Clerk's `verifyToken` returns).
    pub async fn verify_as<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
    ) -> Result<C, TokenVerificationError> {
        self.verify_as_at(token, now()).await
    }

    /// Verifies a token at time `now`, deserializing its payload into `C`.
    ///
    /// The order: decode, `cat`, `typ`, `alg` (all before any key lookup, so a malformed
    /// token never causes a fetch), key resolution, signature, claims (`sub`, `aud`, `azp`,
    /// `iss`, `exp`, `nbf`, `iat`).
    pub async fn verify_as_at<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<C, TokenVerificationError> {
        let inner = &*self.inner;
        let v = &inner.validation;
        let map_token_error = |e: jwt_core::Error| {
            error::from_token_error(e, &inner.messages, || {
                UnverifiedToken::parse(token, v.limits())
                    .ok()
                    .map(|t| t.payload().clone())
            })
        };
        let parsed = UnverifiedToken::parse(token, v.limits()).map_err(map_token_error)?;
        if parsed.header().cat() == Some(error::M2M_TOKEN_CATEGORY) {
            return Err(error::invalid_category());
        }
        let alg = v.check_header(parsed.header()).map_err(map_token_error)?;
        let key = match &inner.keys {
            Keys::Static(key) => Arc::clone(key),
            Keys::Provider(p) => {
                let kid = parsed.header().kid();
                p.key(KeyRequest { kid, alg })
                    .await
                    .map_err(|e| error::from_key_lookup_error(e, kid, None))?
            }
            Keys::BackendApi(b) => {
                let kid = parsed.header().kid();
                let not_found = |e| error::from_key_lookup_error(e, kid, Some(b.info()));
                // Clerk looks Backend API keys up by kid only: a token without one names no
                // key, even when the set holds a single key that would verify it.
                if kid.is_none() {
                    return Err(not_found(jwks::KeyLookupError::KeyNotFound { kid: None }));
                }
                b.key(KeyRequest { kid, alg }).await.map_err(not_found)?
            }
        };
        v.verify_parsed::<C>(parsed, &key, now)
            .map(jwt_core::Verified::into_claims)
            .map_err(map_token_error)
    }
}

/// The current time: the one place this crate reads the clock.
#[allow(clippy::disallowed_methods)] // reason: the default for callers that do not pass `now`
fn now() -> Timestamp {
    Timestamp::from_system_time(std::time::SystemTime::now())
}

/// Verifies a Clerk session token once, like Clerk's `verifyToken(token, options)`.
///
/// Gives the same verdicts as a [`Verifier`] built from the same options; options that
/// cannot work are reported as a [`TokenVerificationError`] (`jwk-failed-to-resolve` when
/// there is no key source, as in Clerk). The Backend API key cache is shared per
/// (api_url, api_version, secret_key) across calls, so repeated calls do not refetch. For
/// many tokens, build a [`Verifier`] once instead: it parses the `jwt_key` only once.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// use clerk_verify::{verify_token, VerifyTokenOptions};
/// let err = verify_token("a.b.c", &VerifyTokenOptions::default()).await.unwrap_err();
/// assert_eq!(err.reason().as_str(), "jwk-failed-to-resolve");
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn verify_token(
    token: &str,
    options: &VerifyTokenOptions,
) -> Result<SessionClaims, TokenVerificationError> {
    verify_token_at(token, options, now()).await
}

/// [`verify_token`] at time `now`.
pub async fn verify_token_at(
    token: &str,
    options: &VerifyTokenOptions,
    now: Timestamp,
) -> Result<SessionClaims, TokenVerificationError> {
    let verifier = Verifier::shared(options).map_err(ConfigError::into_token_error)?;
    verifier.verify_at(token, now).await
}

/// [`verify_token`] deserializing the payload into `C` (see [`Verifier::verify_as`]).
pub async fn verify_token_as<C: DeserializeOwned + 'static>(
    token: &str,
    options: &VerifyTokenOptions,
) -> Result<C, TokenVerificationError> {
    verify_token_as_at(token, options, now()).await
}

/// [`verify_token_as`] at time `now`.
pub async fn verify_token_as_at<C: DeserializeOwned + 'static>(
    token: &str,
    options: &VerifyTokenOptions,
    now: Timestamp,
) -> Result<C, TokenVerificationError> {
    let verifier = Verifier::shared(options).map_err(ConfigError::into_token_error)?;
    verifier.verify_as_at(token, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn verifier_is_send_sync_clone() {
        assert_send_sync::<Verifier>();
    }
}
