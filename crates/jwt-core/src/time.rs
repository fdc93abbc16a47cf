//! Time as a value. This crate never reads the clock; callers pass `now`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time, in whole milliseconds since the Unix epoch (negative before it).
///
/// ```
/// use jwt_core::Timestamp;
/// let t = Timestamp::from_unix_seconds(1_700_000_000);
/// assert_eq!(t.as_unix_millis(), 1_700_000_000_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From milliseconds since the epoch.
    pub const fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// From whole seconds since the epoch (saturating at the ends of the range).
    pub const fn from_unix_seconds(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// From a `SystemTime` the caller obtained (saturating; before-epoch times are negative).
    pub fn from_system_time(t: SystemTime) -> Self {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(ms(d)),
            Err(e) => Timestamp(ms(e.duration()).saturating_neg()),
        }
    }

    /// Milliseconds since the epoch.
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }
}
