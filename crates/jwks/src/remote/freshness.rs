//! How long a fetched key set stays fresh, and when to refresh it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::HeaderMap;
use http::header::{AGE, CACHE_CONTROL};

/// The freshness lifetime a response grants: `Cache-Control: max-age` minus `Age`, clamped
/// to `[min, max]`; `no-cache`/`no-store` count as zero (so the minimum); `default` (also
/// clamped) when no usable `max-age` is present. Several `max-age` values: the smallest wins.
pub(crate) fn lifetime(
    headers: &HeaderMap,
    default: Duration,
    min: Duration,
    max: Duration,
) -> Duration {
    let mut max_age: Option<u64> = None;
    let mut no_cache = false;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                no_cache = true;
            } else if name.eq_ignore_ascii_case("max-age") {
                // delta-seconds: digits only; overflow saturates (RFC 9111 §1.2.2).
                if let Some(secs) = arg.and_then(delta_seconds) {
                    max_age = Some(max_age.map_or(secs, |m| m.min(secs)));
                }
            }
        }
    }
    let granted = if no_cache {
        Duration::ZERO
    } else if let Some(secs) = max_age {
        let age = headers
            .get(AGE)
            .and_then(|v| v.to_str().ok())
            .and_then(delta_seconds)
            .unwrap_or(0);
        Duration::from_secs(secs.saturating_sub(age))
    } else {
        default
    };
    clamp(granted, min, max)
}

fn clamp(d: Duration, min: Duration, max: Duration) -> Duration {
    d.max(min).min(max.max(min))
}

fn delta_seconds(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// A cheap source of jitter: std's randomly keyed hasher over a counter.
#[derive(Debug)]
pub(crate) struct Jitter {
    hasher: RandomState,
    counter: AtomicU64,
}

impl Jitter {
    pub(crate) fn new() -> Self {
        Jitter {
            hasher: RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&self) -> f64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let h = self.hasher.hash_one(n);
        // 53 random bits make an evenly spread f64 in [0, 1).
        (h >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// When to refresh ahead: `lifetime × ahead × (1 − jitter × u)`, `u` uniform in `[0, 1)`.
pub(crate) fn refresh_after(lifetime: Duration, ahead: f64, jitter: f64, u: f64) -> Duration {
    let factor = (ahead * (1.0 - jitter * u)).clamp(0.0, 1.0);
    lifetime.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    const MAX: Duration = Duration::from_secs(86_400);
    const DEF: Duration = Duration::from_secs(600);

    fn life(cc: &[&str], age: Option<&str>) -> u64 {
        let mut h = HeaderMap::new();
        for v in cc {
            h.append(CACHE_CONTROL, v.parse().unwrap());
        }
        if let Some(a) = age {
            h.insert(AGE, a.parse().unwrap());
        }
        lifetime(&h, DEF, MIN, MAX).as_secs()
    }

    #[test]
    fn max_age_is_clamped() {
        assert_eq!(life(&[], None), 600);
        assert_eq!(life(&["public, max-age=3600"], None), 3600);
        assert_eq!(life(&["max-age=5"], None), 60);
        assert_eq!(life(&["max-age=999999999"], None), 86_400);
        assert_eq!(life(&["max-age=99999999999999999999999"], None), 86_400);
        assert_eq!(life(&["MAX-AGE=\"120\""], None), 120);
        assert_eq!(life(&["max-age=300", "max-age=200"], None), 200);
        assert_eq!(life(&["no-cache"], None), 60);
        assert_eq!(life(&["no-store, max-age=3600"], None), 60);
        assert_eq!(life(&["max-age=-1"], None), 600);
        assert_eq!(life(&["max-age=abc"], None), 600);
        assert_eq!(life(&["max-age="], None), 600);
        assert_eq!(life(&["max-age=3600"], Some("3000")), 600);
        assert_eq!(life(&["max-age=3600"], Some("9000")), 60);
        assert_eq!(life(&["max-age=3600"], Some("x")), 3600);
    }

    #[test]
    fn refresh_point_is_before_expiry() {
        let l = Duration::from_secs(1000);
        assert_eq!(refresh_after(l, 0.8, 0.1, 0.0), Duration::from_secs(800));
        let late = refresh_after(l, 0.8, 0.1, 0.999_999);
        assert!(late >= Duration::from_secs(720) && late <= Duration::from_secs(800));
        assert_eq!(refresh_after(l, 5.0, 0.0, 0.0), l);
        let j = Jitter::new();
        let a = j.unit();
        let b = j.unit();
        assert!((0.0..1.0).contains(&a) && (0.0..1.0).contains(&b));
        assert_ne!(a, b);
    }
}
