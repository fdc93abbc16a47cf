//! The verifier: Clerk's check order on top of `jwt-core` and a key source.

use core::any::{Any, TypeId};
use core::fmt;
use std::sync::Arc;

use jwks::{JwkSet, KeyProvider, KeyRequest};
use jwt_core::{
    Algorithm, GaveUp, MemberReader, Prepared, Timestamp, UnverifiedToken, Validation, VerifyingKey,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::backend_api::BackendApiKeys;
use crate::claims::SessionClaims;
use crate::error::{self, ConfigError, MessageContext, TokenVerificationError};
use crate::js;
use crate::options::VerifyTokenOptions;
use crate::token_cache::{self, Entry, TokenCache};

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
    /// The verified-token cache, when turned on.
    token_cache: Option<TokenCache>,
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
            .field("token_cache", &self.inner.token_cache)
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
                // A one-off call builds its verifier for one token: nothing to remember.
                token_cache: options
                    .token_cache
                    .filter(|_| !shared)
                    .and_then(TokenCache::new),
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
    ///
    /// The claims are read straight from the payload, without building a map of all of them.
    /// When a token verifies but its claims do not fit [`SessionClaims`] (a numeric `sid`,
    /// say), its payload is read once more as the map of all claims, so that the error names
    /// the first such claim in a fixed order whatever the order of the members.
    pub async fn verify_at(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<SessionClaims, TokenVerificationError> {
        if let Some(key) = self.static_uncached() {
            let fast = self.verify_static::<SessionClaims>(token, now, key);
            return self.session_claims(token, fast);
        }
        if let Some(entry) = self.verify_cached(token, now).await? {
            // Built once per entry; a hit clones the typed claims, not the JSON map.
            return entry
                .session_claims(SessionClaims::from_payload)
                .clone()
                .map_err(|detail| self.claims_error(detail));
        }
        let fast = Box::pin(self.verify_full::<SessionClaims>(token, now, None)).await;
        self.session_claims(token, fast.map(|(verified, _)| verified.into_claims()))
    }

    /// The session claims of the one-pass verification `fast` of `token` (the claims read
    /// straight from the payload); when the token verified but its claims do not fit
    /// [`SessionClaims`], from [`claims_by_map`](Self::claims_by_map).
    fn session_claims(
        &self,
        token: &str,
        fast: Result<SessionClaims, TokenVerificationError>,
    ) -> Result<SessionClaims, TokenVerificationError> {
        match fast {
            Ok(claims) => Ok(claims),
            Err(e) if is_claims_error(&e) => self.claims_by_map(token),
            Err(e) => Err(e),
        }
    }

    /// The session claims of `token`, which verified but whose claims did not fit
    /// [`SessionClaims`] on the one-pass route.
    ///
    /// jwt-core reports claims that do not fit only after the signature and every claim check
    /// passed, so the token has verified and its payload needs no second check: it is read
    /// again as the map of all claims and converted by [`SessionClaims::from_payload`]. serde
    /// names the first member that does not fit in the payload's order; `from_payload` names
    /// the first in a fixed order, whatever the order of the members, as the map route does.
    /// Such tokens are rare (Clerk signs the documented claims with the documented types).
    #[cold]
    fn claims_by_map(&self, token: &str) -> Result<SessionClaims, TokenVerificationError> {
        // It parsed a moment ago; the error is for form's sake.
        let payload = UnverifiedToken::parse(token, self.inner.validation.limits())
            .map_err(|e| self.token_error(token, e))?
            .payload()
            .clone();
        SessionClaims::from_payload(payload).map_err(|detail| self.claims_error(detail))
    }

    /// A claims error of a verified token, in Clerk's words.
    fn claims_error(&self, detail: String) -> TokenVerificationError {
        let e = jwt_core::Error::ClaimsDeserialize { detail };
        error::from_token_error(e, &self.inner.messages, || None)
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
    /// `iss`, `exp`, `nbf`, `iat`). With the [token cache](VerifyTokenOptions::token_cache)
    /// on, a token this verifier already verified skips decoding and the signature check; the
    /// key lookup and the `exp`, `nbf` and `iat` checks still run.
    pub async fn verify_as_at<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<C, TokenVerificationError> {
        if let Some(key) = self.static_uncached() {
            return self.verify_static::<C>(token, now, key);
        }
        if let Some(entry) = self.verify_cached(token, now).await? {
            return self.claims_from_map(Map::clone(&entry.payload));
        }
        let (verified, _) = Box::pin(self.verify_full::<C>(token, now, None)).await?;
        Ok(verified.into_claims())
    }

    /// With the token cache on (and the token short enough to cache), verifies through it:
    /// the entry of a token that passes, from the cache or just verified and stored.
    /// `Ok(None)`: no cache applies; verify in full.
    async fn verify_cached(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Arc<Entry>>, TokenVerificationError> {
        let inner = &*self.inner;
        let Some((cache, h)) = inner
            .token_cache
            .as_ref()
            .and_then(|c| Some((c, c.hash(token)?)))
        else {
            return Ok(None);
        };
        let mut resolved = None;
        if let Some(entry) = cache.get(token, h) {
            let key = match self.resolve_key(entry.kid.as_deref(), entry.alg).await {
                Ok(key) => key,
                Err(e) => {
                    // The key left the set (or the source cannot answer): a full
                    // verification would fail the same way, here.
                    cache.remove(token, h);
                    return Err(e);
                }
            };
            if entry.verified_with(&key) {
                if let Err(e) = inner.validation.check_claims(&entry.payload, now) {
                    cache.remove(token, h);
                    return Err(error::from_token_error(e, &inner.messages, || {
                        Some(Map::clone(&entry.payload))
                    }));
                }
                return Ok(Some(entry));
            }
            // The source now answers with a key that never verified this token (a new copy,
            // or new key material under the same kid): verify in full with it.
            resolved = Some(key);
        }
        let result = Box::pin(self.verify_full::<Map<String, Value>>(token, now, resolved)).await;
        let (verified, key) = match result {
            Ok(ok) => ok,
            Err(e) => {
                cache.remove(token, h);
                return Err(e);
            }
        };
        let kid = verified.header().kid().map(str::to_owned);
        let alg = verified.algorithm();
        Ok(Some(cache.insert(
            h,
            token_cache::Verified {
                token,
                kid: kid.as_deref(),
                alg,
                key: key.into_arc(),
                payload: verified.into_claims(),
            },
        )))
    }

    /// The number of verified tokens the [token cache](VerifyTokenOptions::token_cache) holds
    /// (0 when it is off): for metrics, and to see the bound hold.
    pub fn cached_tokens(&self) -> usize {
        self.inner.token_cache.as_ref().map_or(0, TokenCache::len)
    }

    /// The full verification; `resolved` is the key already looked up for this token's
    /// header, if any. Returns the key that verified the token along with the result.
    async fn verify_full<'v, C: DeserializeOwned + 'static>(
        &'v self,
        token: &str,
        now: Timestamp,
        resolved: Option<Resolved<'v>>,
    ) -> Result<(jwt_core::Verified<C>, Resolved<'v>), TokenVerificationError> {
        let prepared = self.prepare::<C>(token)?;
        // `typ` and `alg` before any key lookup, so that a token refused by its header never
        // causes a fetch (`finish` checks them again, in the same order).
        let alg = self
            .inner
            .validation
            .check_header(prepared.token().header())
            .map_err(|e| self.token_error(token, e))?;
        let key = match resolved {
            Some(key) => key,
            None => {
                self.resolve_key(prepared.token().header().kid(), alg)
                    .await?
            }
        };
        let verified = self.finish(token, prepared, &key, now)?;
        Ok((verified, key))
    }

    /// The one static key, when there is no token cache: then verification needs no future
    /// (networkless and uncached, nothing waits), and no async state holds it.
    fn static_uncached(&self) -> Option<&VerifyingKey> {
        match (&self.inner.token_cache, &self.inner.keys) {
            (None, Keys::Static(key)) => Some(key),
            _ => None,
        }
    }

    /// [`verify_full`](Self::verify_full) with the one static key, without a future: nothing
    /// waits, and nothing of the verification is kept in an async state across a lookup.
    fn verify_static<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        now: Timestamp,
        key: &VerifyingKey,
    ) -> Result<C, TokenVerificationError> {
        // No lookup comes between the header and the signature here: `verify_prepared_claims`
        // checks `typ` and `alg` first, as the route with a lookup does before it. Only the
        // claims are wanted, so a header the rules kept is not copied.
        let prepared = self.prepare::<C>(token)?;
        self.inner
            .validation
            .verify_prepared_claims::<C>(prepared, key, now)
            .map_err(|e| self.token_error(token, e))
    }

    /// The verification's first steps: decode and `cat`. The claims type is read from the
    /// payload in the same pass that checks it; it is handed out only if the signature and
    /// the claims pass.
    fn prepare<'a, C: DeserializeOwned + 'static>(
        &'a self,
        token: &'a str,
    ) -> Result<Prepared<'a, C>, TokenVerificationError> {
        let prepared =
            parse::<C>(&self.inner.validation, token).map_err(|e| self.token_error(token, e))?;
        if prepared.token().header().cat() == Some(error::M2M_TOKEN_CATEGORY) {
            return Err(error::invalid_category());
        }
        Ok(prepared)
    }

    /// The verification's last steps: `typ`, `alg`, signature and claims.
    fn finish<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        prepared: Prepared<'_, C>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<jwt_core::Verified<C>, TokenVerificationError> {
        self.inner
            .validation
            .verify_prepared::<C>(prepared, key, now)
            .map_err(|e| self.token_error(token, e))
    }

    /// A `jwt-core` error of `token` in Clerk's words (with the unverified payload, for the
    /// errors that carry it).
    #[cold]
    fn token_error(&self, token: &str, e: jwt_core::Error) -> TokenVerificationError {
        let limits = self.inner.validation.limits();
        error::from_token_error(e, &self.inner.messages, || {
            UnverifiedToken::parse(token, limits)
                .ok()
                .map(|t| t.payload().clone())
        })
    }

    /// The key for a token whose header names `kid` and `alg`, from the configured source.
    async fn resolve_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Resolved<'_>, TokenVerificationError> {
        match &self.inner.keys {
            // Borrowed: threads verifying with the one static key never touch its count.
            Keys::Static(key) => Ok(Resolved::Static(key)),
            Keys::Provider(p) => p
                .key(KeyRequest { kid, alg })
                .await
                .map(Resolved::Source)
                .map_err(|e| error::from_key_lookup_error(e, kid, None)),
            Keys::BackendApi(b) => {
                let not_found = |e| error::from_key_lookup_error(e, kid, Some(b.info()));
                // Clerk looks Backend API keys up by kid only: a token without one names no
                // key, even when the set holds a single key that would verify it.
                if kid.is_none() {
                    return Err(not_found(jwks::KeyLookupError::KeyNotFound { kid: None }));
                }
                b.key(KeyRequest { kid, alg })
                    .await
                    .map(Resolved::Source)
                    .map_err(not_found)
            }
        }
    }

    /// A verified payload as the caller's claims type: the map itself, [`jwt_core::Claims`],
    /// or anything serde can build from it.
    fn claims_from_map<C: DeserializeOwned + 'static>(
        &self,
        payload: Map<String, Value>,
    ) -> Result<C, TokenVerificationError> {
        let mut as_map = Some(payload);
        if let Some(c) = (&mut as_map as &mut dyn Any)
            .downcast_mut::<Option<C>>()
            .and_then(Option::take)
        {
            return Ok(c);
        }
        let mut as_claims = as_map.map(jwt_core::Claims::from);
        if let Some(c) = (&mut as_claims as &mut dyn Any)
            .downcast_mut::<Option<C>>()
            .and_then(Option::take)
        {
            return Ok(c);
        }
        let payload = as_claims
            .map(jwt_core::Claims::into_map)
            .unwrap_or_default();
        serde_json::from_value(Value::Object(payload)).map_err(|e| {
            let detail: String = e.to_string().chars().take(64).collect();
            error::from_token_error(
                jwt_core::Error::ClaimsDeserialize { detail },
                &self.inner.messages,
                || None,
            )
        })
    }
}

/// Parses `token` and reads its payload into `C` in the same pass: the session claims by
/// their own member reader, any other type by its `Deserialize` (a header `rules` verified
/// a token with before is not read again).
fn parse<'a, C: DeserializeOwned + 'static>(
    rules: &'a Validation,
    token: &'a str,
) -> Result<Prepared<'a, C>, jwt_core::Error> {
    if TypeId::of::<C>() != TypeId::of::<SessionClaims>() {
        return rules.prepare::<C>(token);
    }
    // `C` is `SessionClaims` here. Its strings are places in the payload text, which the
    // claims keep once the token verifies.
    let read = |members: &mut MemberReader<'_, '_>| {
        let mut claims = Some(SessionClaims::read(members)?);
        (&mut claims as &mut dyn Any)
            .downcast_mut::<Option<C>>()
            .and_then(Option::take)
            .ok_or(GaveUp)
    };
    let keep = |claims: &mut C, text: String| {
        if let Some(claims) = (claims as &mut dyn Any).downcast_mut::<SessionClaims>() {
            claims.keep_text(text);
        }
    };
    rules.prepare_with_text(token, read, keep)
}

/// Whether verification failed only because the verified claims do not fit the claims type.
fn is_claims_error(e: &TokenVerificationError) -> bool {
    matches!(
        e.token_error(),
        Some(jwt_core::Error::ClaimsDeserialize { .. })
    )
}

/// The key that verifies a token: borrowed from the verifier, or handed out by the source.
enum Resolved<'a> {
    Static(&'a Arc<VerifyingKey>),
    Source(Arc<VerifyingKey>),
}

impl Resolved<'_> {
    fn into_arc(self) -> Arc<VerifyingKey> {
        match self {
            Resolved::Static(key) => Arc::clone(key),
            Resolved::Source(key) => key,
        }
    }
}

impl core::ops::Deref for Resolved<'_> {
    type Target = Arc<VerifyingKey>;

    fn deref(&self) -> &Arc<VerifyingKey> {
        match self {
            Resolved::Static(key) => key,
            Resolved::Source(key) => key,
        }
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
    use crate::claims::agreement;
    use crate::token_cache::TokenCacheOptions;
    use serde_json::json;

    /// `verify_at` as it was before the one-pass claims: the map of all claims, then
    /// `SessionClaims::from_payload`.
    async fn map_route(
        v: &Verifier,
        token: &str,
        now: Timestamp,
    ) -> Result<SessionClaims, TokenVerificationError> {
        let payload = v.verify_as_at::<Map<String, Value>>(token, now).await?;
        SessionClaims::from_payload(payload).map_err(|detail| {
            let e = jwt_core::Error::ClaimsDeserialize { detail };
            error::from_token_error(e, &v.inner.messages, || None)
        })
    }

    fn same(
        a: &Result<SessionClaims, TokenVerificationError>,
        b: &Result<SessionClaims, TokenVerificationError>,
        what: &str,
    ) {
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{what}");
                // Member order too, nested members included.
                let text = |c| serde_json::to_string(c).unwrap();
                assert_eq!(text(a), text(b), "{what}");
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.reason(), b.reason(), "{what}");
                assert_eq!(a.message(), b.message(), "{what}");
                assert_eq!(a.action(), b.action(), "{what}");
                assert_eq!(a.token_error(), b.token_error(), "{what}");
            }
            (a, b) => panic!("{what}\none-pass {a:?}\nmap route {b:?}"),
        }
    }

    #[test]
    fn futures_stay_small() {
        // The full verification (which holds the parsed token across the key lookup) is
        // boxed, so the futures a caller holds stay small: about 1,000 bytes before.
        let v = Verifier::new(
            &VerifyTokenOptions::default()
                .with_jwt_key(integration_tests::keys::ed25519().public_pem)
                .with_algorithms([Algorithm::EdDSA]),
        )
        .unwrap();
        let now = Timestamp::from_unix_seconds(0);
        let sizes = [
            core::mem::size_of_val(&v.verify("t")),
            core::mem::size_of_val(&v.verify_at("t", now)),
            core::mem::size_of_val(&v.verify_as::<Map<String, Value>>("t")),
            core::mem::size_of_val(&v.verify_as_at::<Map<String, Value>>("t", now)),
        ];
        assert!(sizes.iter().all(|s| *s <= 512), "{sizes:?}");
    }

    #[tokio::test]
    async fn verify_gives_what_the_map_route_gives() {
        let secret = [7u8; 32];
        let options = VerifyTokenOptions::default()
            .with_key_provider(jwks::StaticKeys::from_key(
                VerifyingKey::hmac(&secret).unwrap(),
            ))
            .with_algorithms([Algorithm::HS256])
            .with_authorized_parties(["https://app.example.com"]);
        let plain = Verifier::new(&options).unwrap();
        let cached =
            Verifier::new(&options.with_token_cache(TokenCacheOptions::default())).unwrap();
        // A `jwt_key`, without the token cache: the route that never waits.
        let ed25519 = integration_tests::keys::ed25519();
        let static_key = Verifier::new(
            &VerifyTokenOptions::default()
                .with_jwt_key(ed25519.public_pem)
                .with_algorithms([Algorithm::EdDSA])
                .with_authorized_parties(["https://app.example.com"]),
        )
        .unwrap();
        assert!(matches!(static_key.inner.keys, Keys::Static(_)));
        let now = Timestamp::from_unix_seconds(agreement::NOW);
        let (mut ok, mut claims_errors, mut other_errors) = (0, 0, 0);
        for m in agreement::payloads() {
            let what = Value::Object(m.clone()).to_string();
            let header = json!({"typ": "JWT"});
            let payload = Value::Object(m);
            let token = integration_tests::hmac_sign(Algorithm::HS256, &secret, &header, &payload);
            let expected = map_route(&plain, &token, now).await;
            let got = plain.verify_at(&token, now).await;
            same(&got, &expected, &what);
            match &got {
                Ok(_) => ok += 1,
                Err(e) if is_claims_error(e) => claims_errors += 1,
                Err(_) => other_errors += 1,
            }
            // With the token cache on: the miss that fills it, then a hit.
            for _ in 0..2 {
                same(&cached.verify_at(&token, now).await, &expected, &what);
            }
            let token = ed25519.sign(Algorithm::EdDSA, &header, &payload);
            let expected = map_route(&static_key, &token, now).await;
            same(&static_key.verify_at(&token, now).await, &expected, &what);
            // `verify_as::<SessionClaims>` reads through the same member reader, the claims
            // keeping the payload text; claims that do not fit are named by serde, in the
            // payload's order, so only the kind of error is the map route's there.
            let as_claims = static_key.verify_as_at::<SessionClaims>(&token, now).await;
            match (&as_claims, &expected) {
                (Err(a), Err(b)) if is_claims_error(b) => {
                    assert!(
                        is_claims_error(a),
                        "{what}
{a:?}"
                    );
                }
                _ => same(&as_claims, &expected, &what),
            }
        }
        // Every outcome is well represented: accepted tokens, claims that do not fit
        // SessionClaims (reported through the map route), and tokens jwt-core refuses first.
        assert!(ok > 700, "{ok}");
        assert!(claims_errors > 1000, "{claims_errors}");
        assert!(other_errors > 1000, "{other_errors}");
    }

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn verifier_is_send_sync_clone() {
        assert_send_sync::<Verifier>();
    }
}
