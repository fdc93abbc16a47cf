//! The paired measurement the benches share.
//!
//! On a shared machine the load from other processes changes a path's time from one moment to
//! the next, so a path and its baseline measured one after the other do not make a stable
//! ratio. Interleaving them in short blocks inside one measurement makes that load hit every
//! side alike; the ratio of the sides' times is then the figure to quote.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// The typed claims struct of the benches: the registered claims and a few of Clerk's, as an
/// application would define it, for the paths that deserialize the caller's own type.
#[derive(Debug, Deserialize)]
pub struct SessionClaims {
    /// `sub`.
    pub sub: String,
    /// `sid`.
    pub sid: String,
    /// `iss`.
    pub iss: String,
    /// `azp`.
    pub azp: Option<String>,
    /// `exp`.
    pub exp: i64,
    /// `iat`.
    pub iat: i64,
    /// `nbf`.
    pub nbf: i64,
    /// `v`.
    pub v: Option<u8>,
}

/// How many calls of one side run before the next side's turn.
pub const PAIR_BLOCK: u64 = 16;

/// Runs every side in turn, [`PAIR_BLOCK`] calls at a time, until each has run `iters` times,
/// and returns the time each side took, in the order given.
///
/// ```
/// use std::cell::Cell;
/// use integration_tests::bench::interleaved;
///
/// let (a, b) = (Cell::new(0), Cell::new(0));
/// let times = interleaved(40, &[&|| a.set(a.get() + 1), &|| b.set(b.get() + 1)]);
/// assert_eq!((a.get(), b.get(), times.len()), (40, 40, 2));
/// ```
#[allow(
    clippy::disallowed_methods,
    reason = "a bench measures wall time by reading the clock, as criterion's iter_custom asks"
)]
pub fn interleaved(iters: u64, sides: &[&dyn Fn()]) -> Vec<Duration> {
    let mut times = vec![Duration::ZERO; sides.len()];
    let mut left = iters;
    while left > 0 {
        let n = left.min(PAIR_BLOCK);
        left -= n;
        for (side, time) in sides.iter().zip(times.iter_mut()) {
            let start = Instant::now();
            for _ in 0..n {
                side();
            }
            *time += start.elapsed();
        }
    }
    times
}
