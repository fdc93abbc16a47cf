//! One fetch: request, limited retries, response checks, and the new snapshot.

use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, USER_AGENT};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::freshness::{lifetime, refresh_after};
use super::{Failure, FetchReason, FlightResult, Inner, Snapshot, stale_expired};
use crate::client::{HttpRequest, HttpResponse};
use crate::{JwkSet, SourceError, SourceErrorKind};

const USER_AGENT_VALUE: &str = concat!("jwks/", env!("CARGO_PKG_VERSION"));

impl Inner {
    /// Fetches (conditionally when a set is cached), then publishes the new snapshot:
    /// the new set, the renewed old one (304), or the old one marked as failing.
    pub(super) async fn refresh(&self, reason: FetchReason) -> FlightResult {
        let old = self.snap.load_full();
        let conditional = old.set.is_some();
        let mut headers = self.base_headers();
        if conditional {
            if let Some(etag) = &old.etag {
                headers.insert(IF_NONE_MATCH, etag.clone());
            }
            if let Some(lm) = &old.last_modified {
                headers.insert(IF_MODIFIED_SINCE, lm.clone());
            }
        }
        tracing::debug!(url = %self.log_url, reason = reason.name(), conditional, "jwks fetch started");
        let outcome = self.fetch_with_retries(headers).await;
        let now = self.clock.now();
        let result = match outcome {
            Ok(resp) if resp.status == StatusCode::NOT_MODIFIED && conditional => {
                let life = self.lifetime(&resp.headers);
                let renewed = Snapshot {
                    set: old.set.clone(),
                    etag: resp.headers.get(ETAG).cloned().or_else(|| old.etag.clone()),
                    last_modified: resp
                        .headers
                        .get(LAST_MODIFIED)
                        .cloned()
                        .or_else(|| old.last_modified.clone()),
                    ..self.timing(now, life)
                };
                tracing::debug!(url = %self.log_url, max_age_s = life.as_secs(), "jwks not modified; freshness renewed");
                self.snap.store(Arc::new(renewed));
                return Ok(());
            }
            Ok(resp) => self.parse(resp).map(|(set, resp)| (set, resp.headers)),
            Err(e) => Err(e),
        };
        match result {
            Ok((set, headers)) => {
                let life = self.lifetime(&headers);
                tracing::info!(
                    url = %self.log_url,
                    keys = set.len(),
                    skipped = set.skipped().len(),
                    max_age_s = life.as_secs(),
                    "jwks fetched"
                );
                for skipped in set.skipped() {
                    tracing::warn!(url = %self.log_url, index = skipped.index(), kid = ?skipped.kid(), reason = skipped.code(), "jwks key skipped: {}", skipped.error());
                }
                let fresh = Snapshot {
                    set: Some(Arc::new(set)),
                    etag: headers.get(ETAG).cloned(),
                    last_modified: headers.get(LAST_MODIFIED).cloned(),
                    ..self.timing(now, life)
                };
                self.snap.store(Arc::new(fresh));
                Ok(())
            }
            Err(error) => {
                tracing::warn!(
                    url = %self.log_url,
                    code = error.code(),
                    status = error.http_status(),
                    reason = reason.name(),
                    "jwks fetch failed: {error}"
                );
                if old.set.is_some() {
                    if now >= old.stale_until {
                        let closed = stale_expired(&self.cfg, Some(&error));
                        tracing::error!(url = %self.log_url, "jwks failing closed: {closed}");
                    } else if now >= old.fresh_until {
                        tracing::warn!(
                            url = %self.log_url,
                            stale_for_s = (now.saturating_sub(old.fresh_until)).as_secs(),
                            bound_left_s = (old.stale_until.saturating_sub(now)).as_secs(),
                            "serving stale jwks while the key server fails"
                        );
                    }
                }
                let failing = Snapshot {
                    set: old.set.clone(),
                    etag: old.etag.clone(),
                    last_modified: old.last_modified.clone(),
                    refresh_at: old.refresh_at,
                    fresh_until: old.fresh_until,
                    stale_until: old.stale_until,
                    failure: Some(Failure {
                        error: error.clone(),
                        next_attempt_at: now.saturating_add(self.cfg.failure_backoff),
                    }),
                };
                self.snap.store(Arc::new(failing));
                Err(error)
            }
        }
    }

    /// Fetch-every-time mode: an unconditional fetch whose set is returned, not cached.
    pub(super) async fn fetch_uncached(&self) -> Result<Arc<JwkSet>, SourceError> {
        let resp = self.fetch_with_retries(self.base_headers()).await?;
        let (set, _) = self.parse(resp)?;
        Ok(Arc::new(set))
    }

    fn base_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        // The caller's headers win over the defaults above.
        for name in self.cfg.headers.keys() {
            headers.remove(name);
        }
        headers.extend(self.cfg.headers.clone());
        headers
    }

    fn lifetime(&self, headers: &HeaderMap) -> Duration {
        lifetime(
            headers,
            self.cfg.default_max_age,
            self.cfg.min_max_age,
            self.cfg.max_max_age,
        )
    }

    /// The timing fields of a snapshot validated at `now` for `life`.
    fn timing(&self, now: Duration, life: Duration) -> Snapshot {
        let ahead = refresh_after(
            life,
            self.cfg.refresh_ahead,
            self.cfg.refresh_jitter,
            self.jitter.unit(),
        );
        let fresh_until = now.saturating_add(life);
        Snapshot {
            refresh_at: now.saturating_add(ahead),
            fresh_until,
            stale_until: fresh_until.saturating_add(self.cfg.stale_if_error),
            ..Snapshot::empty()
        }
    }

    /// A `200` whose body is a JWKS document with at least one usable key.
    fn parse(&self, resp: HttpResponse) -> Result<(JwkSet, HttpResponse), SourceError> {
        if resp.status != StatusCode::OK {
            return Err(SourceError::status(resp.status.as_u16(), Some(&resp.body)));
        }
        let text = std::str::from_utf8(&resp.body).map_err(|_| {
            SourceError::new(SourceErrorKind::InvalidDocument, "the body is not utf-8")
        })?;
        let set = JwkSet::parse_with_max_keys(text, self.cfg.max_keys)?;
        if set.is_empty() {
            return Err(set.no_usable_keys_error());
        }
        Ok((set, resp))
    }

    /// One request, and up to `max_retries` more for transient failures.
    async fn fetch_with_retries(&self, headers: HeaderMap) -> Result<HttpResponse, SourceError> {
        let req = HttpRequest::get(self.url.clone())
            .with_headers(headers)
            .with_timeout(self.cfg.timeout)
            .with_max_body(self.cfg.max_body);
        let mut attempt = 0;
        loop {
            let outcome = self.fetch_once(&req).await;
            let transient = match &outcome {
                Ok(resp) => {
                    resp.status.is_server_error() || resp.status == StatusCode::TOO_MANY_REQUESTS
                }
                Err(e) => e.is_transient(),
            };
            if !transient || attempt >= self.cfg.max_retries {
                return outcome;
            }
            attempt += 1;
            let pause = self.cfg.retry_backoff.mul_f64(1.0 + self.jitter.unit());
            tracing::debug!(url = %self.log_url, attempt, pause_ms = pause.as_millis() as u64, "jwks fetch retry after a transient failure");
            tokio::time::sleep(pause).await;
        }
    }

    /// One exchange, with the timeout and body cap enforced here too, whatever the client.
    async fn fetch_once(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        let resp = match tokio::time::timeout(self.cfg.timeout, self.client.get(req)).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(SourceError::new(
                    SourceErrorKind::Timeout,
                    format!(
                        "no complete answer within {} ms",
                        self.cfg.timeout.as_millis()
                    ),
                ));
            }
        };
        if resp.status == StatusCode::OK && resp.body.len() > self.cfg.max_body {
            return Err(SourceError::new(
                SourceErrorKind::BodyTooLarge,
                format!("response body is larger than {} bytes", self.cfg.max_body),
            ));
        }
        Ok(resp)
    }
}
