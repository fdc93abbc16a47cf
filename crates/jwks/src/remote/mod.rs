//! The caching HTTP key source.

use core::fmt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Uri};
use jwt_core::VerifyingKey;
use tokio::sync::watch;

use crate::client::{HttpClient, HyperHttpClient, check_url};
use crate::{
    Clock, JwkSet, KeyLookupError, KeyProvider, KeyRequest, SourceError, SourceErrorKind,
    SystemClock, async_trait,
};

mod fetch;
mod freshness;

use freshness::Jitter;

/// Freshness when the server sends no usable `Cache-Control: max-age`: 10 minutes.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Shortest freshness honoured (a smaller `max-age`, or `no-cache`, is raised to it): 1 minute.
pub const DEFAULT_MIN_MAX_AGE: Duration = Duration::from_secs(60);
/// Longest freshness honoured: 24 hours.
pub const DEFAULT_MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Fraction of the freshness lifetime after which a background refresh starts: 0.8.
pub const DEFAULT_REFRESH_AHEAD: f64 = 0.8;
/// Random share taken off the refresh point so that many instances spread out: 0.1 (the
/// refresh starts between 72% and 80% of the lifetime).
pub const DEFAULT_REFRESH_JITTER: f64 = 0.1;
/// How long past its freshness the last good set is served while refreshing fails: 24 hours.
pub const DEFAULT_STALE_IF_ERROR: Duration = Duration::from_secs(24 * 60 * 60);
/// After an unknown-`kid` refetch, how long other unknown kids are rejected without a fetch.
pub const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);
/// How many absent kids the negative cache remembers.
pub const DEFAULT_NEGATIVE_CACHE_CAPACITY: usize = 1024;
/// How long the negative cache remembers an absent kid: 5 minutes.
pub const DEFAULT_NEGATIVE_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// Deadline of one HTTP exchange, body included: 5 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries after a transient failure (transport error, timeout, 5xx, 429): 1.
pub const DEFAULT_MAX_RETRIES: u32 = 1;
/// Pause before a retry (plus up to the same again at random): 250 ms.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(250);
/// After a failed refresh, the minimum pause before the next attempt: 5 seconds. Requests
/// in between are answered from the cache (or with the last error) without a fetch.
pub const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(5);
/// Most retries that can be configured.
const MAX_RETRIES_CAP: u32 = 3;

/// A key set persisted across restarts: the JWKS text and its HTTP validators.
///
/// Take one with [`RemoteJwks::snapshot`], store it, and give it to
/// [`RemoteJwksBuilder::seed`] on the next start: the service can then verify tokens even if
/// the key server is down when it starts (within the stale-if-error bound), and the first
/// fetch can be a cheap conditional one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwksSnapshot {
    jwks: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl JwksSnapshot {
    /// A snapshot of a JWKS document's text, without validators.
    pub fn new(jwks_json: impl Into<String>) -> Self {
        JwksSnapshot {
            jwks: jwks_json.into(),
            etag: None,
            last_modified: None,
        }
    }

    /// This snapshot with the `ETag` the server sent with it.
    #[must_use]
    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    /// This snapshot with the `Last-Modified` the server sent with it.
    #[must_use]
    pub fn with_last_modified(mut self, last_modified: impl Into<String>) -> Self {
        self.last_modified = Some(last_modified.into());
        self
    }

    /// The JWKS document text.
    pub fn jwks_json(&self) -> &str {
        &self.jwks
    }

    /// The `ETag`, if known.
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    /// The `Last-Modified`, if known.
    pub fn last_modified(&self) -> Option<&str> {
        self.last_modified.as_deref()
    }
}

/// Everything configurable, with the documented defaults.
#[derive(Clone, Debug)]
struct Config {
    headers: HeaderMap,
    allow_plain_http: bool,
    timeout: Duration,
    max_body: usize,
    max_keys: usize,
    default_max_age: Duration,
    min_max_age: Duration,
    max_max_age: Duration,
    refresh_ahead: f64,
    refresh_jitter: f64,
    stale_if_error: Duration,
    unknown_kid_cooldown: Duration,
    negative_capacity: usize,
    negative_ttl: Duration,
    max_retries: u32,
    retry_backoff: Duration,
    failure_backoff: Duration,
    fetch_every_time: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            headers: HeaderMap::new(),
            allow_plain_http: false,
            timeout: DEFAULT_TIMEOUT,
            max_body: crate::DEFAULT_MAX_DOCUMENT_LEN,
            max_keys: crate::DEFAULT_MAX_KEYS,
            default_max_age: DEFAULT_MAX_AGE,
            min_max_age: DEFAULT_MIN_MAX_AGE,
            max_max_age: DEFAULT_MAX_MAX_AGE,
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            stale_if_error: DEFAULT_STALE_IF_ERROR,
            unknown_kid_cooldown: DEFAULT_UNKNOWN_KID_COOLDOWN,
            negative_capacity: DEFAULT_NEGATIVE_CACHE_CAPACITY,
            negative_ttl: DEFAULT_NEGATIVE_CACHE_TTL,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            failure_backoff: DEFAULT_FAILURE_BACKOFF,
            fetch_every_time: false,
        }
    }
}

/// Builds a [`RemoteJwks`]; every setting has a documented default.
#[derive(Debug)]
#[must_use]
pub struct RemoteJwksBuilder {
    url: String,
    cfg: Config,
    client: Option<Arc<dyn HttpClient>>,
    clock: Option<Arc<dyn Clock>>,
    seed: Option<JwksSnapshot>,
    bad_header: bool,
}

impl RemoteJwksBuilder {
    /// Adds a request header sent with every fetch (for example `Authorization`). Values of
    /// `Authorization`, `Cookie` and `Proxy-Authorization` are marked sensitive so that HTTP
    /// stacks do not log them.
    pub fn header(
        mut self,
        name: impl TryInto<HeaderName>,
        value: impl TryInto<HeaderValue>,
    ) -> Self {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(mut value)) => {
                if name == http::header::AUTHORIZATION
                    || name == http::header::COOKIE
                    || name == http::header::PROXY_AUTHORIZATION
                {
                    value.set_sensitive(true);
                }
                self.cfg.headers.append(name, value);
            }
            _ => self.bad_header = true,
        }
        self
    }

    /// The HTTP stack to fetch with (default: [`HyperHttpClient`]).
    pub fn http_client(mut self, client: impl HttpClient + 'static) -> Self {
        self.client = Some(Arc::new(client));
        self
    }

    /// The HTTP stack to fetch with, shared with other sources.
    pub fn shared_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    /// The clock for all cache timing (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Allows a plain `http` URL for a non-loopback host (default: `false`; `https` is
    /// always allowed, plain `http` only for `localhost`, `127.0.0.0/8` and `::1`). Keys
    /// fetched over plain http can be replaced by anyone on the path.
    pub fn allow_plain_http(mut self, yes: bool) -> Self {
        self.cfg.allow_plain_http = yes;
        self
    }

    /// Deadline of one HTTP exchange, body included (default: [`DEFAULT_TIMEOUT`], 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.cfg.timeout = timeout;
        self
    }

    /// Largest response body accepted (default: 1 MiB,
    /// [`DEFAULT_MAX_DOCUMENT_LEN`](crate::DEFAULT_MAX_DOCUMENT_LEN)).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.cfg.max_body = bytes;
        self
    }

    /// Most keys a document may hold (default: 100, [`DEFAULT_MAX_KEYS`](crate::DEFAULT_MAX_KEYS)).
    pub fn max_keys(mut self, keys: usize) -> Self {
        self.cfg.max_keys = keys;
        self
    }

    /// Freshness when the server sends no `max-age` (default: [`DEFAULT_MAX_AGE`], 10 min).
    pub fn default_max_age(mut self, age: Duration) -> Self {
        self.cfg.default_max_age = age;
        self
    }

    /// Bounds for the server's `max-age` (default: [`DEFAULT_MIN_MAX_AGE`], 1 min, to
    /// [`DEFAULT_MAX_MAX_AGE`], 24 h).
    pub fn max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.cfg.min_max_age = min;
        self.cfg.max_max_age = max.max(min);
        self
    }

    /// Fraction of the freshness lifetime after which a background refresh starts
    /// (default: [`DEFAULT_REFRESH_AHEAD`], 0.8; clamped to `0.1..=1.0`).
    pub fn refresh_ahead(mut self, fraction: f64) -> Self {
        self.cfg.refresh_ahead = if fraction.is_finite() {
            fraction.clamp(0.1, 1.0)
        } else {
            DEFAULT_REFRESH_AHEAD
        };
        self
    }

    /// Random share taken off the refresh point (default: [`DEFAULT_REFRESH_JITTER`], 0.1;
    /// clamped to `0.0..=0.5`).
    pub fn refresh_jitter(mut self, fraction: f64) -> Self {
        self.cfg.refresh_jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 0.5)
        } else {
            DEFAULT_REFRESH_JITTER
        };
        self
    }

    /// How long past its freshness the last good set is served while refreshing fails
    /// (default: [`DEFAULT_STALE_IF_ERROR`], 24 h). Past it, lookups fail closed with
    /// [`SourceErrorKind::StaleExpired`].
    pub fn stale_if_error(mut self, bound: Duration) -> Self {
        self.cfg.stale_if_error = bound;
        self
    }

    /// After a refetch caused by an unknown `kid`, how long further unknown kids are
    /// rejected without a fetch (default: [`DEFAULT_UNKNOWN_KID_COOLDOWN`], 30 s).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.cfg.unknown_kid_cooldown = cooldown;
        self
    }

    /// Size and lifetime of the negative cache of absent kids (default:
    /// [`DEFAULT_NEGATIVE_CACHE_CAPACITY`] entries, [`DEFAULT_NEGATIVE_CACHE_TTL`]).
    /// Capacity 0 disables it.
    pub fn negative_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.cfg.negative_capacity = capacity;
        self.cfg.negative_ttl = ttl;
        self
    }

    /// Retries after a transient failure (default: [`DEFAULT_MAX_RETRIES`], 1; at most 3)
    /// and the pause before each (default: [`DEFAULT_RETRY_BACKOFF`], plus up to as much
    /// again at random).
    pub fn retries(mut self, max_retries: u32, backoff: Duration) -> Self {
        self.cfg.max_retries = max_retries.min(MAX_RETRIES_CAP);
        self.cfg.retry_backoff = backoff;
        self
    }

    /// After a failed refresh, the minimum pause before the next attempt (default:
    /// [`DEFAULT_FAILURE_BACKOFF`], 5 s).
    pub fn failure_backoff(mut self, pause: Duration) -> Self {
        self.cfg.failure_backoff = pause;
        self
    }

    /// Fetch-every-time mode (default: `false`): every lookup fetches the document anew and
    /// nothing is cached — no freshness, single-flight, cooldown or stale serving. For
    /// callers that must see a key removal at once and accept one request per token (the
    /// equivalent of a "skip the JWKS cache" option). Timeouts, limits and retries still apply.
    pub fn fetch_every_time(mut self, yes: bool) -> Self {
        self.cfg.fetch_every_time = yes;
        self
    }

    /// Starts from a stored key set (see [`JwksSnapshot`]). The seeded set counts as
    /// expired: the first lookup fetches, and if that fetch fails the seeded keys are served
    /// within the stale-if-error bound, counted from the build.
    pub fn seed(mut self, snapshot: JwksSnapshot) -> Self {
        self.seed = Some(snapshot);
        self
    }

    /// Checks the configuration and builds the source. No request is made; call
    /// [`RemoteJwks::prefetch`] to warm the cache.
    ///
    /// Fails with [`SourceErrorKind::Config`] for a URL that does not parse, a scheme that
    /// is not allowed, or an invalid header; a seed that does not parse fails with its
    /// parsing error.
    pub fn build(self) -> Result<RemoteJwks, SourceError> {
        let config = |d: &str| SourceError::new(SourceErrorKind::Config, d.to_owned());
        if self.bad_header {
            return Err(config("a request header name or value is invalid"));
        }
        let url: Uri = self
            .url
            .parse()
            .map_err(|_| config("the jwks url does not parse"))?;
        check_url(&url, self.cfg.allow_plain_http)?;
        let client: Arc<dyn HttpClient> = match self.client {
            Some(c) => c,
            None => Arc::new(HyperHttpClient::new()?.allow_plain_http(self.cfg.allow_plain_http)),
        };
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock::new()));
        let now = clock.now();
        let mut snapshot = Snapshot::empty();
        if let Some(seed) = self.seed {
            let set = JwkSet::parse_with_max_keys(&seed.jwks, self.cfg.max_keys)?;
            if set.is_empty() {
                return Err(set.no_usable_keys_error());
            }
            snapshot = Snapshot {
                set: Some(Arc::new(set)),
                etag: seed.etag.and_then(|v| HeaderValue::try_from(v).ok()),
                last_modified: seed
                    .last_modified
                    .and_then(|v| HeaderValue::try_from(v).ok()),
                refresh_at: now,
                fresh_until: now,
                stale_until: now.saturating_add(self.cfg.stale_if_error),
                failure: None,
            };
        }
        let log_url = log_url(&url);
        Ok(RemoteJwks {
            inner: Arc::new(Inner {
                url,
                log_url,
                cfg: self.cfg,
                client,
                clock,
                snap: ArcSwap::from_pointee(snapshot),
                ctl: Mutex::new(Control::default()),
                refreshing: AtomicBool::new(false),
                jitter: Jitter::new(),
            }),
        })
    }
}

/// A hardened, caching JWKS source fetched over HTTP(S).
///
/// One `RemoteJwks` serves one URL with one set of request headers; the cache is never
/// shared between sources, so two sources with different credentials never see each
/// other's keys. Cloning is cheap and shares the cache.
///
/// # Policy (every value configurable on [`RemoteJwksBuilder`])
///
/// - **Freshness**: `Cache-Control: max-age` (minus `Age`) clamped to 1 min – 24 h; 10 min
///   when absent. Refreshes are conditional (`If-None-Match` from `ETag`,
///   `If-Modified-Since` from `Last-Modified`); a `304` keeps the set and renews its
///   freshness from the `304`'s own headers.
/// - **Refresh ahead**: a lookup after ~80% of the lifetime (minus up to 10% of that at
///   random) starts a refresh in the background and is served from the cache at once, so
///   with steady traffic no request ever waits for a fetch. A lookup after the lifetime
///   (an idle source) waits for the refresh.
/// - **Stale-if-error**: when a refresh fails, the last good set is served for up to 24 h
///   past its freshness, refreshing in the background at most every 5 s
///   ([`failure_backoff`](RemoteJwksBuilder::failure_backoff)); past that bound lookups fail
///   closed with [`SourceErrorKind::StaleExpired`] inside
///   [`KeyLookupError::Unavailable`] (a 503, not a 401).
/// - **Unknown `kid`**: one refetch (shared by everyone asking meanwhile), then a 30 s
///   cooldown during which unknown kids are rejected at once without a fetch. Kids still
///   absent after a refetch go into a bounded negative cache (1024 kids, 5 min). A miss
///   never evicts a good key: only a successful fetch replaces the set. While the key
///   server is failing, an unknown kid is [`KeyLookupError::Unavailable`] (nothing can be
///   said about it), not "not found", and causes no request before the failure backoff ends.
/// - **Single flight**: concurrent lookups that need a fetch share one; it runs as its own
///   tokio task, so it completes and fills the cache even if the caller that started it is
///   cancelled.
/// - **Every fetch**: 5 s deadline for the whole exchange, status must be `200` (a
///   redirect is an error, never followed), body at most 1 MiB, at most 100 keys; one retry
///   after 250–500 ms, only for transport errors, timeouts, 5xx and 429. A non-200 answer
///   keeps the start of its body in the [`SourceError`] for callers that understand the
///   server's error format.
/// - **Hit path**: a lookup that the cache answers reads an atomic snapshot (`arc-swap`)
///   and takes no lock a fetch holds.
/// - **Observability**: `tracing` events for fetches (debug/info), failures (warn), stale
///   serving (warn), failing closed (error) and rejected unknown kids (debug). The URL is
///   logged without its query; header values never are.
///
/// Needs a tokio runtime with the time driver (`#[tokio::main]` has it).
///
/// ```no_run
/// use std::time::Duration;
/// use jwks::{KeyProvider, KeyRequest, RemoteJwks};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let keys = RemoteJwks::builder("https://idp.example.com/.well-known/jwks.json")
///     .header("authorization", "Bearer secret")
///     .stale_if_error(Duration::from_secs(6 * 3600))
///     .build()?;
/// keys.prefetch().await?; // warm the cache at startup
/// let key = keys.key(KeyRequest { kid: Some("k1"), alg: jwt_core::Algorithm::RS256 }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteJwks {
    inner: Arc<Inner>,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.inner.log_url)
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

struct Inner {
    url: Uri,
    /// The URL without its query, for logs and errors.
    log_url: String,
    cfg: Config,
    client: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    /// What lookups read: replaced whole, never mutated.
    snap: ArcSwap<Snapshot>,
    /// Coordination of fetches; never held across an await, never taken on a cache hit.
    ctl: Mutex<Control>,
    /// Whether a fetch is in flight (a hint that spares the refresh-ahead path the lock).
    refreshing: AtomicBool,
    jitter: Jitter,
}

/// The cache state at one moment.
#[derive(Debug)]
struct Snapshot {
    set: Option<Arc<JwkSet>>,
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    refresh_at: Duration,
    fresh_until: Duration,
    stale_until: Duration,
    failure: Option<Failure>,
}

impl Snapshot {
    fn empty() -> Self {
        Snapshot {
            set: None,
            etag: None,
            last_modified: None,
            refresh_at: Duration::ZERO,
            fresh_until: Duration::ZERO,
            stale_until: Duration::ZERO,
            failure: None,
        }
    }
}

/// The last refresh failed.
#[derive(Clone, Debug)]
struct Failure {
    error: SourceError,
    next_attempt_at: Duration,
}

#[derive(Default)]
struct Control {
    flight: Option<watch::Receiver<Option<FlightResult>>>,
    cooldown_until: Duration,
    negative: HashMap<Box<str>, Duration>,
}

type FlightResult = Result<(), SourceError>;

/// What a lookup does with the snapshot it read.
enum Plan {
    /// Answer from the cache; maybe start a background refresh.
    Serve { refresh: bool },
    /// Wait for a fetch (join one, or start one).
    Wait,
    /// Fail without a fetch.
    Fail(SourceError),
}

impl RemoteJwks {
    /// Starts building a source for `url` (checked by [`RemoteJwksBuilder::build`]).
    pub fn builder(url: impl Into<String>) -> RemoteJwksBuilder {
        RemoteJwksBuilder {
            url: url.into(),
            cfg: Config::default(),
            client: None,
            clock: None,
            seed: None,
            bad_header: false,
        }
    }

    /// A source for `url` with every default.
    pub fn new(url: impl Into<String>) -> Result<RemoteJwks, SourceError> {
        Self::builder(url).build()
    }

    /// Warms the cache: fetches unless a fresh set is cached, and returns the set. Call it
    /// at startup so the first request does not wait (and to fail fast on a wrong URL or
    /// credentials).
    pub async fn prefetch(&self) -> Result<Arc<JwkSet>, SourceError> {
        let now = self.inner.clock.now();
        let snap = self.inner.snap.load();
        if let Some(set) = &snap.set
            && now < snap.fresh_until
        {
            return Ok(Arc::clone(set));
        }
        drop(snap);
        self.force_refresh().await
    }

    /// Fetches now (or joins a fetch already in flight) and returns the resulting set.
    /// Unlike lookups, this ignores the cooldown and the failure backoff.
    pub async fn force_refresh(&self) -> Result<Arc<JwkSet>, SourceError> {
        if self.inner.cfg.fetch_every_time {
            return self.inner.fetch_uncached().await;
        }
        let result = self.inner.join_or_start(FetchReason::Forced).await;
        let snap = self.inner.snap.load();
        match (result, &snap.set) {
            (Ok(()), Some(set)) => Ok(Arc::clone(set)),
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(SourceError::new(
                SourceErrorKind::NoUsableKeys,
                "no key set after the fetch",
            )),
        }
    }

    /// The cached key set and its validators, for [`RemoteJwksBuilder::seed`] on a later
    /// start. `None` until a set has been fetched (or seeded).
    pub fn snapshot(&self) -> Option<JwksSnapshot> {
        let snap = self.inner.snap.load();
        let set = snap.set.as_ref()?;
        let header =
            |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok()).map(str::to_owned);
        Some(JwksSnapshot {
            jwks: set.to_jwks().to_string(),
            etag: header(&snap.etag),
            last_modified: header(&snap.last_modified),
        })
    }

    /// The URL this source fetches, without its query string.
    pub fn url(&self) -> &str {
        &self.inner.log_url
    }
}

#[async_trait]
impl KeyProvider for RemoteJwks {
    async fn key(&self, req: KeyRequest<'_>) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        // No token header can carry a longer kid; refusing it here keeps a hostile caller
        // from filling the negative cache with huge entries or causing fetches.
        if let Some(kid) = req.kid
            && kid.len() > jwt_core::MAX_KID_LEN
        {
            return Err(KeyLookupError::KeyNotFound {
                kid: Some(crate::set::truncate_kid(kid)),
            });
        }
        match self.inner.hit(req) {
            Some(answer) => answer,
            // Boxed apart, so that the future of a cache hit stays small (cheap to allocate).
            None => Box::pin(self.inner.key(req)).await,
        }
    }

    async fn key_set(&self) -> Option<Result<Arc<JwkSet>, SourceError>> {
        if self.inner.cfg.fetch_every_time {
            return Some(self.inner.fetch_uncached().await);
        }
        let now = self.inner.clock.now();
        let snap = self.inner.snap.load_full();
        Some(match self.inner.plan(&snap, now) {
            Plan::Serve { refresh } => {
                if refresh {
                    self.inner.refresh_in_background();
                }
                snap.set
                    .clone()
                    .ok_or_else(|| SourceError::new(SourceErrorKind::NoUsableKeys, "no key set"))
            }
            Plan::Fail(e) => Err(e),
            Plan::Wait => {
                let result = self.inner.join_or_start(FetchReason::Expired).await;
                self.inner.servable_set(result).map_err(|e| match e {
                    KeyLookupError::Unavailable(e) => e,
                    other => SourceError::new(SourceErrorKind::NoUsableKeys, other.to_string()),
                })
            }
        })
    }
}

/// Why a fetch was started (for logs).
#[derive(Clone, Copy, Debug)]
enum FetchReason {
    Expired,
    RefreshAhead,
    UnknownKid,
    Forced,
}

impl FetchReason {
    fn name(self) -> &'static str {
        match self {
            FetchReason::Expired => "no fresh key set",
            FetchReason::RefreshAhead => "refresh ahead of expiry",
            FetchReason::UnknownKid => "unknown kid",
            FetchReason::Forced => "forced",
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Control> {
        self.ctl.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn plan(&self, snap: &Snapshot, now: Duration) -> Plan {
        let can_attempt = snap
            .failure
            .as_ref()
            .is_none_or(|f| now >= f.next_attempt_at);
        match (&snap.set, &snap.failure) {
            (None, Some(f)) if !can_attempt => Plan::Fail(f.error.clone()),
            (None, _) => Plan::Wait,
            (Some(_), _) if now < snap.refresh_at => Plan::Serve { refresh: false },
            (Some(_), _) if now < snap.fresh_until => Plan::Serve {
                refresh: can_attempt,
            },
            // Known to be failing: serve stale at once and retry in the background.
            (Some(_), Some(_)) if now < snap.stale_until => Plan::Serve {
                refresh: can_attempt,
            },
            // Expired after an idle period: wait for the refresh (stale if it fails).
            (Some(_), None) if now < snap.stale_until => Plan::Wait,
            (Some(_), _) if can_attempt => Plan::Wait,
            (Some(_), failure) => {
                Plan::Fail(stale_expired(&self.cfg, failure.as_ref().map(|f| &f.error)))
            }
        }
    }

    /// The hot path: a fresh set that answers the question, with nothing else to do.
    fn hit(&self, req: KeyRequest<'_>) -> Option<Result<Arc<VerifyingKey>, KeyLookupError>> {
        if self.cfg.fetch_every_time {
            return None;
        }
        let now = self.clock.now();
        let snap = self.snap.load();
        if now >= snap.refresh_at {
            return None;
        }
        match snap.set.as_ref()?.select(req) {
            Ok(key) => Some(Ok(Arc::clone(key))),
            Err(KeyLookupError::KeyNotFound { .. }) => None,
            Err(e) => Some(Err(e)),
        }
    }

    async fn key(
        self: &Arc<Self>,
        req: KeyRequest<'_>,
    ) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        if self.cfg.fetch_every_time {
            let set = self
                .fetch_uncached()
                .await
                .map_err(KeyLookupError::Unavailable)?;
            return set.select(req).cloned();
        }
        let now = self.clock.now();
        let snap = self.snap.load();
        let fetched = match self.plan(&snap, now) {
            Plan::Serve { refresh } => {
                if let Some(set) = &snap.set {
                    let found = set.select(req);
                    if refresh {
                        self.refresh_in_background();
                    }
                    match found {
                        Ok(key) => return Ok(Arc::clone(key)),
                        Err(KeyLookupError::KeyNotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                false
            }
            Plan::Fail(e) => return Err(KeyLookupError::Unavailable(e)),
            Plan::Wait => {
                drop(snap);
                let result = self.join_or_start(FetchReason::Expired).await;
                let set = self.servable_set(result.clone())?;
                match (set.select(req), result) {
                    (Ok(key), _) => return Ok(Arc::clone(key)),
                    // Served stale after a failed fetch: whether the kid exists is unknown.
                    (Err(KeyLookupError::KeyNotFound { .. }), Err(e)) => {
                        return Err(KeyLookupError::Unavailable(e));
                    }
                    (Err(KeyLookupError::KeyNotFound { .. }), Ok(())) => {}
                    (Err(e), _) => return Err(e),
                }
                true
            }
        };
        self.unknown_kid(req, fetched).await
    }

    /// The set to answer from after waiting for a fetch that ended with `result`.
    fn servable_set(&self, result: FlightResult) -> Result<Arc<JwkSet>, KeyLookupError> {
        let now = self.clock.now();
        let snap = self.snap.load();
        match (&snap.set, result) {
            (Some(set), Ok(())) => Ok(Arc::clone(set)),
            (Some(set), Err(_)) if now < snap.stale_until => Ok(Arc::clone(set)),
            (Some(_), Err(e)) => Err(KeyLookupError::Unavailable(stale_expired(
                &self.cfg,
                Some(&e),
            ))),
            (None, Err(e)) => Err(KeyLookupError::Unavailable(e)),
            (None, Ok(())) => Err(KeyLookupError::Unavailable(SourceError::new(
                SourceErrorKind::NoUsableKeys,
                "no key set after the fetch",
            ))),
        }
    }

    /// The token names a key the cached set lacks: refetch once, unless the cooldown or the
    /// negative cache says not to. `fetched` tells that this lookup already waited for a
    /// fetch, which then answered the question.
    async fn unknown_kid(
        self: &Arc<Self>,
        req: KeyRequest<'_>,
        fetched: bool,
    ) -> Result<Arc<VerifyingKey>, KeyLookupError> {
        let not_found = || KeyLookupError::KeyNotFound {
            kid: req.kid.map(crate::set::truncate_kid),
        };
        if fetched {
            self.remember_absent(req.kid);
            return Err(not_found());
        }
        let now = self.clock.now();
        let rx = {
            let mut ctl = self.lock();
            // A fetch may have landed since the snapshot was read.
            if let Some(set) = &self.snap.load().set {
                match set.select(req) {
                    Ok(key) => return Ok(Arc::clone(key)),
                    Err(KeyLookupError::KeyNotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            if let Some(kid) = req.kid
                && ctl.negative.get(kid).is_some_and(|until| now < *until)
            {
                tracing::debug!(url = %self.log_url, kid = %crate::set::truncate_kid(kid), "unknown kid rejected: known to be absent");
                return Err(not_found());
            }
            let snap = self.snap.load();
            let failing = snap.failure.as_ref().filter(|f| now < f.next_attempt_at);
            match (&ctl.flight, failing) {
                (Some(rx), _) => rx.clone(),
                // The key server just failed: nothing can be said about this kid, and asking
                // again before the failure backoff ends would only add load.
                (None, Some(f)) => return Err(KeyLookupError::Unavailable(f.error.clone())),
                (None, None) if now < ctl.cooldown_until => {
                    tracing::debug!(url = %self.log_url, kid = ?req.kid.map(crate::set::truncate_kid), "unknown kid rejected during the refetch cooldown");
                    return Err(not_found());
                }
                (None, None) => {
                    ctl.cooldown_until = now.saturating_add(self.cfg.unknown_kid_cooldown);
                    match self.start(&mut ctl, FetchReason::UnknownKid) {
                        Ok(rx) => rx,
                        Err(e) => return Err(KeyLookupError::Unavailable(e)),
                    }
                }
            }
        };
        let result = wait(rx).await;
        let set = self.servable_set(result.clone())?;
        match set.select(req) {
            Ok(key) => Ok(Arc::clone(key)),
            Err(KeyLookupError::KeyNotFound { .. }) => match result {
                // The refetch failed: whether the kid exists is unknown.
                Err(e) => Err(KeyLookupError::Unavailable(e)),
                Ok(()) => {
                    self.remember_absent(req.kid);
                    Err(not_found())
                }
            },
            Err(e) => Err(e),
        }
    }

    fn remember_absent(&self, kid: Option<&str>) {
        let Some(kid) = kid else { return };
        if self.cfg.negative_capacity == 0 {
            return;
        }
        let now = self.clock.now();
        let mut ctl = self.lock();
        if ctl.negative.len() >= self.cfg.negative_capacity {
            ctl.negative.retain(|_, until| now < *until);
        }
        // Full of live entries: the cooldown still bounds fetches; do not grow.
        if ctl.negative.len() < self.cfg.negative_capacity {
            ctl.negative
                .insert(kid.into(), now.saturating_add(self.cfg.negative_ttl));
        }
    }

    fn refresh_in_background(self: &Arc<Self>) {
        if self.refreshing.load(Ordering::Acquire) {
            return;
        }
        let mut ctl = self.lock();
        if ctl.flight.is_some() {
            return;
        }
        // Re-check under the lock: a fetch may have just renewed the set.
        let now = self.clock.now();
        let snap = self.snap.load();
        if !matches!(self.plan(&snap, now), Plan::Serve { refresh: true }) {
            return;
        }
        let reason = if now < snap.fresh_until {
            FetchReason::RefreshAhead
        } else {
            FetchReason::Expired
        };
        if let Err(e) = self.start(&mut ctl, reason) {
            tracing::warn!(url = %self.log_url, error = %e, "jwks background refresh not started");
        }
    }

    /// Joins the fetch in flight, or starts one, and waits for it.
    async fn join_or_start(self: &Arc<Self>, reason: FetchReason) -> FlightResult {
        let rx = {
            let mut ctl = self.lock();
            match &ctl.flight {
                Some(rx) => rx.clone(),
                None => {
                    // A fetch may have landed since the caller looked.
                    let now = self.clock.now();
                    let snap = self.snap.load();
                    if !matches!(reason, FetchReason::Forced) {
                        match self.plan(&snap, now) {
                            Plan::Wait => {}
                            Plan::Serve { .. } => return Ok(()),
                            Plan::Fail(e) => return Err(e),
                        }
                    }
                    self.start(&mut ctl, reason)?
                }
            }
        };
        wait(rx).await
    }

    /// Starts a fetch as its own task; the caller holds the control lock.
    fn start(
        self: &Arc<Self>,
        ctl: &mut Control,
        reason: FetchReason,
    ) -> Result<watch::Receiver<Option<FlightResult>>, SourceError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| {
            SourceError::new(
                SourceErrorKind::Config,
                "the remote key source needs a tokio runtime",
            )
        })?;
        let (tx, rx) = watch::channel(None);
        ctl.flight = Some(rx.clone());
        self.refreshing.store(true, Ordering::Release);
        let inner = Arc::clone(self);
        handle.spawn(async move {
            let guard = FlightGuard(Arc::clone(&inner));
            let result = inner.refresh(reason).await;
            // Clear the flight before publishing, so a caller woken by the result that
            // needs another fetch can start one.
            drop(guard);
            tx.send_replace(Some(result));
        });
        Ok(rx)
    }
}

/// Clears the flight when the fetch task ends, however it ends.
struct FlightGuard(Arc<Inner>);

impl Drop for FlightGuard {
    fn drop(&mut self) {
        self.0.lock().flight = None;
        self.0.refreshing.store(false, Ordering::Release);
    }
}

async fn wait(mut rx: watch::Receiver<Option<FlightResult>>) -> FlightResult {
    match rx.wait_for(Option::is_some).await {
        Ok(v) => v.clone().unwrap_or(Ok(())),
        Err(_) => Err(SourceError::new(
            SourceErrorKind::Transport,
            "the fetch task ended without an answer",
        )),
    }
}

fn stale_expired(cfg: &Config, cause: Option<&SourceError>) -> SourceError {
    let bound = cfg.stale_if_error.as_secs();
    let detail = match cause {
        Some(e) => format!(
            "cached keys are stale past the {bound} s stale-if-error bound and refreshing failed ({}: {e})",
            e.code()
        ),
        None => format!("cached keys are stale past the {bound} s stale-if-error bound"),
    };
    SourceError::new(SourceErrorKind::StaleExpired, detail)
}

/// `scheme://authority/path`, without the query (which may carry credentials).
fn log_url(url: &Uri) -> String {
    format!(
        "{}://{}{}",
        url.scheme_str().unwrap_or(""),
        url.authority().map(|a| a.as_str()).unwrap_or(""),
        url.path()
    )
}
