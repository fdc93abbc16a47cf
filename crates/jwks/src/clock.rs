//! Time for the cache, behind a trait so tests can drive it.

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock for cache timing (freshness, stale bounds, cooldowns).
///
/// `now` is the time elapsed since a fixed, arbitrary origin; only differences matter. It
/// must never go backwards. [`SystemClock`] is the real one; [`ManualClock`] lets tests move
/// time by hand.
///
/// ```
/// use std::time::Duration;
/// use jwks::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now() - before, Duration::from_secs(90));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time elapsed since this clock's origin.
    fn now(&self) -> Duration;
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// The real monotonic clock (`std::time::Instant`), with its origin at construction.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Self::instant(),
        }
    }

    #[allow(
        clippy::disallowed_methods,
        reason = "SystemClock is the one place in the library that reads the real clock"
    )]
    fn instant() -> Instant {
        Instant::now()
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        Self::instant().saturating_duration_since(self.origin)
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Sets the clock to `to`, if that is not earlier than its current time (a monotonic
    /// clock never goes back).
    pub fn set(&self, to: Duration) {
        let to = u64::try_from(to.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_max(to, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_monotonic_and_shared() {
        let c = ManualClock::new();
        let c2 = c.clone();
        c.advance(Duration::from_secs(5));
        assert_eq!(c2.now(), Duration::from_secs(5));
        c.set(Duration::from_secs(1));
        assert_eq!(c.now(), Duration::from_secs(5));
        c.set(Duration::from_secs(7));
        assert_eq!(c.now(), Duration::from_secs(7));
        c.advance(Duration::MAX);
        assert_eq!(c.now(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn system_clock_moves_forward() {
        let c = SystemClock::new();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
    }
}
