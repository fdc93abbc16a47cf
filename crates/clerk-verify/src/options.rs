//! `VerifyTokenOptions`: Clerk's option names, in Rust style, with Clerk's defaults.

use core::fmt;
use std::sync::Arc;

use jwks::KeyProvider;
use jwt_core::{Algorithm, AlgorithmSet};

use crate::error::ConfigError;
use crate::token_cache::TokenCacheOptions;

/// Clerk's Backend API, the default [`api_url`](VerifyTokenOptions::api_url).
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The default [`api_version`](VerifyTokenOptions::api_version).
pub const DEFAULT_API_VERSION: &str = "v1";
/// The default clock skew, in milliseconds (Clerk's `clockSkewInMs`).
pub const DEFAULT_CLOCK_SKEW_MS: i64 = jwt_core::DEFAULT_LEEWAY_MS;

/// How to verify a Clerk session token: the options of Clerk's `verifyToken()`, with the
/// same defaults, plus the algorithm allow-list, strict audience mode and a pluggable key
/// provider.
///
/// Fields are public so they can be set directly; the `with_*` methods do the same in a
/// builder style. Key sources, in order of precedence: [`jwt_key`](Self::jwt_key) (networkless,
/// Clerk's PEM public key), then [`key_provider`](Self::key_provider) (any
/// [`KeyProvider`]), then [`secret_key`](Self::secret_key) (the instance's JWKS from Clerk's
/// Backend API).
///
/// ```
/// use clerk_verify::VerifyTokenOptions;
/// let options = VerifyTokenOptions::default()
///     .with_jwt_key("-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----")
///     .with_authorized_parties(["https://app.example.com"])
///     .with_clock_skew_ms(2_000);
/// assert_eq!(options.api_url, "https://api.clerk.com");
/// assert_eq!(options.clock_skew_ms, 2_000);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct VerifyTokenOptions {
    /// Clerk's PEM public key (`jwtKey`, `CLERK_JWT_KEY`): verification without network.
    /// SPKI or PKCS#1 PEM, also pasted on one line, with CRLF or with literal `\n` escapes.
    pub jwt_key: Option<String>,
    /// The instance's secret key (`secretKey`, `CLERK_SECRET_KEY`), used to fetch the JWKS
    /// from the Backend API when no `jwt_key` is set. That source fetches on tokio: verify
    /// inside a tokio runtime with the time driver (as `#[tokio::main]` gives).
    pub secret_key: Option<String>,
    /// The Backend API URL (`apiUrl`, `CLERK_API_URL`). Default `https://api.clerk.com`.
    /// A path is kept: keys come from `{api_url}/{api_version}/jwks`.
    pub api_url: String,
    /// The Backend API version (`apiVersion`, `CLERK_API_VERSION`). Default `v1`.
    pub api_version: String,
    /// Accepted audiences (`audience`). Empty strings are ignored, as in Clerk.
    pub audience: Vec<String>,
    /// Accepted authorized parties (`authorizedParties`): when non-empty, `azp` must be
    /// present and listed exactly.
    pub authorized_parties: Vec<String>,
    /// Accepted issuers (`issuer`). Empty strings are ignored, as in Clerk.
    pub issuer: Vec<String>,
    /// Allowed clock difference for `exp`, `nbf` and `iat`, in milliseconds
    /// (`clockSkewInMs`). Default 5000; 0 and negative values are honoured.
    pub clock_skew_ms: i64,
    /// Accepted `typ` header values (`headerType`). `None` (the default): `typ` may be absent,
    /// and when present must be `JWT`. `Some(list)`: `typ` must be present and listed.
    pub header_type: Option<Vec<String>>,
    /// Fetch the JWKS for every token instead of using the cache (`skipJwksCache`). Applies
    /// to the Backend API source; a custom [`key_provider`](Self::key_provider) caches as it
    /// sees fit.
    pub skip_jwks_cache: bool,
    /// The algorithm allow-list. Default RS256, RS384, RS512.
    pub algorithms: AlgorithmSet,
    /// Strict audience mode: with an audience configured, a token without a non-empty `aud`
    /// is rejected. Off by default, as in Clerk.
    pub strict_audience: bool,
    /// A custom key source, used instead of the Backend API (a `jwt_key` still wins).
    pub key_provider: Option<Arc<dyn KeyProvider>>,
    /// The verified-token cache of a [`Verifier`](crate::Verifier). `None` (the default):
    /// every call verifies in full.
    ///
    /// With a cache, a token this verifier already verified is answered from memory: no
    /// decoding, no JSON, no signature check. What still happens on every call: the token is
    /// compared byte for byte with the one verified (the seeded hash that finds it is only an
    /// index); the key source is asked again for the token's `kid` and `alg`, and must answer
    /// with a key that verified this token before, so a key removed from the set fails the
    /// token as it would without the cache (and the entry is dropped); `exp`, `nbf` and `iat`
    /// are checked against the time of the call with [`clock_skew_ms`](Self::clock_skew_ms).
    /// Verdicts are the same as without the cache. Keys are recognised by identity (the
    /// `Arc` the source hands out; up to four copies per token, for sources that give each
    /// thread its own copy), so a custom source that builds a new key object on every lookup
    /// gets no hits, only correct answers. The cache belongs to one verifier (and its
    /// clones): other options never see its entries. The one-off
    /// [`verify_token`](crate::verify_token) builds a verifier per call and caches nothing.
    ///
    /// **The trade-off.** Nothing here tracks sessions, with or without the cache: a session
    /// revoked at Clerk keeps its token valid until `exp` (about a minute for Clerk session
    /// tokens), exactly as for a full verification. What the cache adds is memory: up to
    /// [`max_entries`](TokenCacheOptions::max_entries) tokens of at most
    /// [`max_token_len`](TokenCacheOptions::max_token_len) bytes each, with their decoded
    /// claims, for as long as they stay among the newest entries — bearer tokens that a
    /// memory dump of the process would reveal. Only successfully verified tokens are stored,
    /// so invalid tokens cannot fill it. docs/SECURITY.md has the full reasoning.
    ///
    /// ```
    /// # let pem = include_str!("../../../tests/fixtures/keys/rsa2048-a.pub.pem");
    /// use clerk_verify::{TokenCacheOptions, Verifier, VerifyTokenOptions};
    /// let options = VerifyTokenOptions::default()
    ///     .with_jwt_key(pem)
    ///     .with_token_cache(TokenCacheOptions::default().with_max_entries(10_000));
    /// let verifier = Verifier::new(&options)?;
    /// assert_eq!(verifier.cached_tokens(), 0);
    /// # Ok::<(), clerk_verify::ConfigError>(())
    /// ```
    pub token_cache: Option<TokenCacheOptions>,
}

impl Default for VerifyTokenOptions {
    fn default() -> Self {
        VerifyTokenOptions {
            jwt_key: None,
            secret_key: None,
            api_url: DEFAULT_API_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            audience: Vec::new(),
            authorized_parties: Vec::new(),
            issuer: Vec::new(),
            clock_skew_ms: DEFAULT_CLOCK_SKEW_MS,
            header_type: None,
            skip_jwks_cache: false,
            algorithms: AlgorithmSet::RSA_PKCS1,
            strict_audience: false,
            key_provider: None,
            token_cache: None,
        }
    }
}

impl VerifyTokenOptions {
    /// Options from the process environment: `CLERK_JWT_KEY`, `CLERK_SECRET_KEY`,
    /// `CLERK_API_URL`, `CLERK_API_VERSION`; empty variables count as unset.
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for tests, or
    /// configuration systems other than the process environment).
    ///
    /// ```
    /// use clerk_verify::VerifyTokenOptions;
    /// let env = |name: &str| (name == "CLERK_SECRET_KEY").then(|| "sk_test_123".to_owned());
    /// let options = VerifyTokenOptions::from_env_with(env);
    /// assert_eq!(options.secret_key.as_deref(), Some("sk_test_123"));
    /// assert_eq!(options.api_version, "v1");
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let defaults = Self::default();
        VerifyTokenOptions {
            jwt_key: get("CLERK_JWT_KEY"),
            secret_key: get("CLERK_SECRET_KEY"),
            api_url: get("CLERK_API_URL").unwrap_or(defaults.api_url),
            api_version: get("CLERK_API_VERSION").unwrap_or(defaults.api_version),
            ..defaults
        }
    }

    /// Sets [`jwt_key`](Self::jwt_key).
    #[must_use]
    pub fn with_jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// Sets [`secret_key`](Self::secret_key).
    #[must_use]
    pub fn with_secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(secret_key.into());
        self
    }

    /// Sets [`api_url`](Self::api_url).
    #[must_use]
    pub fn with_api_url(mut self, api_url: impl Into<String>) -> Self {
        self.api_url = api_url.into();
        self
    }

    /// Sets [`api_version`](Self::api_version).
    #[must_use]
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// Sets [`audience`](Self::audience).
    #[must_use]
    pub fn with_audience<S: Into<String>>(mut self, audience: impl IntoIterator<Item = S>) -> Self {
        self.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`authorized_parties`](Self::authorized_parties).
    #[must_use]
    pub fn with_authorized_parties<S: Into<String>>(
        mut self,
        parties: impl IntoIterator<Item = S>,
    ) -> Self {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`issuer`](Self::issuer).
    #[must_use]
    pub fn with_issuer<S: Into<String>>(mut self, issuer: impl IntoIterator<Item = S>) -> Self {
        self.issuer = issuer.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`clock_skew_ms`](Self::clock_skew_ms).
    #[must_use]
    pub fn with_clock_skew_ms(mut self, ms: i64) -> Self {
        self.clock_skew_ms = ms;
        self
    }

    /// Sets [`header_type`](Self::header_type).
    #[must_use]
    pub fn with_header_type<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.header_type = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`skip_jwks_cache`](Self::skip_jwks_cache).
    #[must_use]
    pub fn with_skip_jwks_cache(mut self, skip: bool) -> Self {
        self.skip_jwks_cache = skip;
        self
    }

    /// Sets the algorithm allow-list.
    #[must_use]
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Sets the algorithm allow-list from names (`RS256`, exact and case-sensitive), as a
    /// command line or a configuration file gives them. `none`, in any casing, is refused:
    /// it is not an algorithm; so is any name this library does not verify.
    ///
    /// ```
    /// use clerk_verify::{ConfigError, VerifyTokenOptions};
    /// let o = VerifyTokenOptions::default().with_algorithm_names(["RS256", "ES256"])?;
    /// assert_eq!(o.algorithms.iter().count(), 2);
    /// let none = VerifyTokenOptions::default().with_algorithm_names(["none"]);
    /// assert_eq!(none.unwrap_err(), ConfigError::NoneAlgorithm);
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn with_algorithm_names<S: AsRef<str>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<Self, ConfigError> {
        let mut set = AlgorithmSet::EMPTY;
        for name in names {
            let name = name.as_ref();
            if name.eq_ignore_ascii_case("none") {
                return Err(ConfigError::NoneAlgorithm);
            }
            let alg = Algorithm::from_name(name).ok_or_else(|| ConfigError::UnknownAlgorithm {
                name: name.chars().take(64).collect(),
            })?;
            set = set.with(alg);
        }
        self.algorithms = set;
        Ok(self)
    }

    /// Sets [`strict_audience`](Self::strict_audience).
    #[must_use]
    pub fn with_strict_audience(mut self, strict: bool) -> Self {
        self.strict_audience = strict;
        self
    }

    /// Turns on the verified-token cache (see [`token_cache`](Self::token_cache)).
    #[must_use]
    pub fn with_token_cache(mut self, cache: TokenCacheOptions) -> Self {
        self.token_cache = Some(cache);
        self
    }

    /// Sets a custom [`key_provider`](Self::key_provider).
    #[must_use]
    pub fn with_key_provider(mut self, provider: impl KeyProvider + 'static) -> Self {
        self.key_provider = Some(Arc::new(provider));
        self
    }
}

impl fmt::Debug for VerifyTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret key never appears in Debug output; the jwt key is public but long.
        f.debug_struct("VerifyTokenOptions")
            .field(
                "jwt_key",
                &self
                    .jwt_key
                    .as_ref()
                    .map(|k| format!("<{} bytes>", k.len())),
            )
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("api_url", &self.api_url)
            .field("api_version", &self.api_version)
            .field("audience", &self.audience)
            .field("authorized_parties", &self.authorized_parties)
            .field("issuer", &self.issuer)
            .field("clock_skew_ms", &self.clock_skew_ms)
            .field("header_type", &self.header_type)
            .field("skip_jwks_cache", &self.skip_jwks_cache)
            .field("algorithms", &self.algorithms)
            .field("strict_audience", &self.strict_audience)
            .field("key_provider", &self.key_provider)
            .field("token_cache", &self.token_cache)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_clerks() {
        let o = VerifyTokenOptions::default();
        assert_eq!(o.api_url, "https://api.clerk.com");
        assert_eq!(o.api_version, "v1");
        assert_eq!(o.clock_skew_ms, 5_000);
        assert_eq!(o.algorithms, AlgorithmSet::RSA_PKCS1);
        assert!(o.header_type.is_none());
        assert!(!o.skip_jwks_cache && !o.strict_audience);
        assert!(o.token_cache.is_none(), "the token cache is opt-in");
    }

    #[test]
    fn env_is_read_through_the_lookup() {
        let env = |name: &str| -> Option<String> {
            match name {
                "CLERK_JWT_KEY" => Some("pem".into()),
                "CLERK_SECRET_KEY" => Some("sk_test_abc".into()),
                "CLERK_API_URL" => Some("http://127.0.0.1:1/x".into()),
                "CLERK_API_VERSION" => Some(String::new()),
                _ => None,
            }
        };
        let o = VerifyTokenOptions::from_env_with(env);
        assert_eq!(o.jwt_key.as_deref(), Some("pem"));
        assert_eq!(o.secret_key.as_deref(), Some("sk_test_abc"));
        assert_eq!(o.api_url, "http://127.0.0.1:1/x");
        assert_eq!(o.api_version, "v1", "empty counts as unset");
        let none = VerifyTokenOptions::from_env_with(|_| None);
        assert!(none.jwt_key.is_none() && none.secret_key.is_none());
    }

    #[test]
    fn algorithm_names() {
        let o = VerifyTokenOptions::default()
            .with_algorithm_names(["RS512", "PS256"])
            .unwrap();
        assert!(
            o.algorithms.contains(Algorithm::PS256) && !o.algorithms.contains(Algorithm::RS256)
        );
        for none in ["none", "None", "NONE"] {
            let e = VerifyTokenOptions::default()
                .with_algorithm_names([none])
                .unwrap_err();
            assert_eq!(e, ConfigError::NoneAlgorithm);
            assert_eq!(e.code(), "none-algorithm");
        }
        // ES256K is refused by every jwt-core backend (ES512 is accepted with aws-lc-rs).
        for bad in ["rs256", "ES256K", "HS1024", ""] {
            let e = VerifyTokenOptions::default()
                .with_algorithm_names([bad])
                .unwrap_err();
            assert_eq!(e.code(), "unknown-algorithm", "{bad}");
        }
        let long = "X".repeat(1000);
        let e = VerifyTokenOptions::default()
            .with_algorithm_names([long])
            .unwrap_err();
        assert!(e.to_string().len() < 120);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let o = VerifyTokenOptions::default().with_secret_key("sk_live_supersecret");
        let dbg = format!("{o:?}");
        assert!(!dbg.contains("supersecret"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
    }
}
