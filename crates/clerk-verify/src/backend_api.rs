//! The Backend API key source: the instance's JWKS from `{api_url}/{api_version}/jwks`.

use core::fmt;
use std::sync::Arc;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, OnceLock};

use jwks::{
    JwkSet, KeyLookupError, KeyProvider, KeyRequest, RemoteJwks, SourceError, SourceErrorKind,
};
use jwt_core::VerifyingKey;

use crate::error::ConfigError;

/// What error messages say about a Backend API source.
#[derive(Clone, Debug)]
pub(crate) struct BackendApiInfo {
    /// The JWKS URL.
    pub(crate) jwks_url: String,
}

/// The JWKS URL for an API URL and version: a path in `api_url` is kept, slashes are not
/// doubled, and `.`/`..` segments are refused (as Clerk's `joinPaths` does).
pub(crate) fn jwks_url(api_url: &str, api_version: &str) -> Result<String, ConfigError> {
    let bad = |detail: &str| ConfigError::InvalidApiUrl {
        detail: detail.to_owned(),
    };
    let (scheme, rest) = api_url
        .split_once("://")
        .ok_or_else(|| bad("it has no scheme"))?;
    if rest.contains(['?', '#']) {
        return Err(bad("it has a query or fragment"));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(bad("it has no host"));
    }
    let segments: Vec<&str> = path
        .split('/')
        .chain(api_version.split('/'))
        .chain(["jwks"])
        .filter(|s| !s.is_empty())
        .collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(bad("\".\" and \"..\" path segments are not allowed"));
    }
    Ok(format!("{scheme}://{authority}/{}", segments.join("/")))
}

/// The message of a `clerk_key_invalid` error in a Backend API error answer, if any.
pub(crate) fn invalid_secret_key(e: &SourceError) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(e.body()?).ok()?;
    let errors = body.get("errors")?.as_array()?;
    let found = errors
        .iter()
        .find(|err| err.get("code").and_then(|c| c.as_str()) == Some("clerk_key_invalid"))?;
    Some(
        found
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("The provided secret key is invalid.")
            .to_owned(),
    )
}

/// The `Clerk-API-Version` header value, the Backend API version `@clerk/backend` 3.25 sends.
pub const CLERK_API_VERSION_HEADER: &str = "2026-05-12";
/// Our user agent: `clerk-verify-rust/<version>`.
pub const USER_AGENT: &str = concat!("clerk-verify-rust/", env!("CARGO_PKG_VERSION"));

/// The instance's keys from the Backend API, on a [`RemoteJwks`] with Clerk's headers.
///
/// One source per (api_url, api_version, secret key): the cache is never shared across
/// secret keys, so one instance's keys never verify another instance's tokens.
pub(crate) struct BackendApiKeys {
    info: BackendApiInfo,
    remote: RemoteJwks,
    /// Keyed hash of (api_url, api_version, secret key), for the registry.
    scope: u64,
}

impl fmt::Debug for BackendApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret key.
        f.debug_struct("BackendApiKeys")
            .field("jwks_url", &self.info.jwks_url)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl BackendApiKeys {
    /// A new source with its own cache (or none, with `skip_cache`).
    pub(crate) fn new(
        api_url: &str,
        api_version: &str,
        secret_key: &str,
        skip_cache: bool,
    ) -> Result<Self, ConfigError> {
        let jwks_url = jwks_url(api_url, api_version)?;
        let remote = RemoteJwks::builder(jwks_url.clone())
            .header(http::header::AUTHORIZATION, format!("Bearer {secret_key}"))
            .header("clerk-api-version", CLERK_API_VERSION_HEADER)
            .header(http::header::USER_AGENT, USER_AGENT)
            .fetch_every_time(skip_cache)
            .build()
            .map_err(|e| match e.kind() {
                SourceErrorKind::Config => ConfigError::InvalidApiUrl {
                    detail: e.to_string(),
                },
                _ => ConfigError::KeySource {
                    detail: e.to_string(),
                },
            })?;
        Ok(BackendApiKeys {
            info: BackendApiInfo { jwks_url },
            remote,
            // Set by the registry for the sources it shares; unused otherwise.
            scope: 0,
        })
    }

    /// The process-wide source for (api_url, api_version, secret key), so that one-off
    /// verifications share one cache. Skipping the cache needs no sharing.
    pub(crate) fn shared(
        api_url: &str,
        api_version: &str,
        secret_key: &str,
        skip_cache: bool,
    ) -> Result<Arc<Self>, ConfigError> {
        if skip_cache {
            return Self::new(api_url, api_version, secret_key, true).map(Arc::new);
        }
        Registry::get().source(api_url, api_version, secret_key)
    }

    pub(crate) fn info(&self) -> &BackendApiInfo {
        &self.info
    }

    pub(crate) async fn key(
        &self,
        req: KeyRequest<'_>,
    ) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        self.remote.key(req).await
    }

    pub(crate) async fn key_set(&self) -> Result<Arc<JwkSet>, SourceError> {
        match self.remote.key_set().await {
            Some(result) => result,
            None => self.remote.prefetch().await,
        }
    }
}

/// The most Backend API sources the one-off registry keeps; past it the oldest is dropped
/// (its cache goes with it; verifiers built from it keep working).
const MAX_SHARED_SOURCES: usize = 64;

/// The process-wide registry behind one-off [`verify_token`](crate::verify_token) calls.
struct Registry {
    hasher: RandomState,
    sources: Mutex<Vec<(String, String, Arc<BackendApiKeys>)>>,
}

impl Registry {
    fn new() -> Registry {
        Registry {
            hasher: RandomState::new(),
            sources: Mutex::new(Vec::new()),
        }
    }

    fn get() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(Registry::new)
    }

    /// A keyed hash of the scope. The key is random per process, so the hash reveals nothing
    /// about the secret outside it and collisions cannot be chosen.
    fn scope(&self, api_url: &str, api_version: &str, secret_key: &str) -> u64 {
        self.hasher.hash_one((api_url, api_version, secret_key))
    }

    fn source(
        &self,
        api_url: &str,
        api_version: &str,
        secret_key: &str,
    ) -> Result<Arc<BackendApiKeys>, ConfigError> {
        let scope = self.scope(api_url, api_version, secret_key);
        let find = |sources: &[(String, String, Arc<BackendApiKeys>)]| {
            sources
                .iter()
                .find(|(u, v, s)| s.scope == scope && u == api_url && v == api_version)
                .map(|(_, _, s)| Arc::clone(s))
        };
        if let Some(found) = find(&self.lock()) {
            return Ok(found);
        }
        // Built outside the lock: building loads TLS roots.
        let mut built = BackendApiKeys::new(api_url, api_version, secret_key, false)?;
        built.scope = scope;
        let built = Arc::new(built);
        let mut sources = self.lock();
        if let Some(found) = find(&sources) {
            return Ok(found);
        }
        if sources.len() >= MAX_SHARED_SOURCES {
            sources.remove(0);
        }
        sources.push((
            api_url.to_owned(),
            api_version.to_owned(),
            Arc::clone(&built),
        ));
        Ok(built)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, String, Arc<BackendApiKeys>)>> {
        // A panic while holding this lock cannot leave the list inconsistent.
        self.sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_keep_the_path() {
        let u = |a: &str, v: &str| jwks_url(a, v);
        assert_eq!(
            u("https://api.clerk.com", "v1").unwrap(),
            "https://api.clerk.com/v1/jwks"
        );
        assert_eq!(
            u("https://api.clerk.com/", "/v1/").unwrap(),
            "https://api.clerk.com/v1/jwks"
        );
        assert_eq!(
            u("http://127.0.0.1:8080/proxy/clerk//", "v1").unwrap(),
            "http://127.0.0.1:8080/proxy/clerk/v1/jwks"
        );
        assert_eq!(
            u("api.clerk.com", "v1").unwrap_err().code(),
            "invalid-api-url"
        );
        assert_eq!(u("https://", "v1").unwrap_err().code(), "invalid-api-url");
        assert_eq!(
            u("https://a.example/x?y=1", "v1").unwrap_err().code(),
            "invalid-api-url"
        );
        assert_eq!(
            u("https://a.example", "../v1").unwrap_err().code(),
            "invalid-api-url"
        );
    }

    #[test]
    fn clerk_key_invalid_is_recognised() {
        let body = br#"{"errors":[{"code":"other"},{"code":"clerk_key_invalid","message":"The provided Clerk Secret Key is invalid.","long_message":"x"}]}"#;
        let e = SourceError::status(401, Some(body));
        assert_eq!(
            invalid_secret_key(&e).as_deref(),
            Some("The provided Clerk Secret Key is invalid.")
        );
        assert_eq!(
            invalid_secret_key(&SourceError::status(401, Some(b"{}"))),
            None
        );
        assert_eq!(
            invalid_secret_key(&SourceError::status(500, Some(b"<html>"))),
            None
        );
        assert_eq!(invalid_secret_key(&SourceError::status(500, None)), None);
    }

    #[test]
    fn registry_is_bounded_and_drops_the_oldest() {
        let r = Registry::new();
        let url = |i: usize| format!("https://i{i}.example");
        let first = r.source(&url(0), "v1", "sk").unwrap();
        for i in 1..MAX_SHARED_SOURCES {
            r.source(&url(i), "v1", "sk").unwrap();
        }
        assert_eq!(r.lock().len(), MAX_SHARED_SOURCES);
        assert!(Arc::ptr_eq(&first, &r.source(&url(0), "v1", "sk").unwrap()));
        r.source(&url(MAX_SHARED_SOURCES), "v1", "sk").unwrap();
        assert_eq!(r.lock().len(), MAX_SHARED_SOURCES);
        assert!(!Arc::ptr_eq(
            &first,
            &r.source(&url(0), "v1", "sk").unwrap()
        ));
    }

    #[test]
    fn registry_scopes_by_url_version_and_secret() {
        let r = Registry::new();
        let a = r.source("https://a.example", "v1", "sk_1").unwrap();
        assert!(Arc::ptr_eq(
            &a,
            &r.source("https://a.example", "v1", "sk_1").unwrap()
        ));
        for (u, v, s) in [
            ("https://a.example", "v1", "sk_2"),
            ("https://a.example", "v2", "sk_1"),
            ("https://b.example", "v1", "sk_1"),
        ] {
            assert!(!Arc::ptr_eq(&a, &r.source(u, v, s).unwrap()), "{u} {v} {s}");
        }
        assert!(!format!("{a:?}").contains("sk_1"));
    }
}
