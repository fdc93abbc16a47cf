//! Heap allocations per verification, counted exactly, per algorithm and token size.
//!
//! A counting global allocator (`stats_alloc`, a thin wrapper around the system allocator)
//! wraps one call of `Validation::verify` at a time; the table it prints is the number of
//! allocations (and bytes) one verification makes, for the claims handed back as `Claims`
//! (an owned map of every claim) and as a typed struct. The same count is shown for
//! `jsonwebtoken` verifying the same token into a map.
//!
//! `cargo bench -p jwt-core --bench allocations` prints the table. With
//! `-- --repeat ALG N [SIZE [typed|plain]]` it instead runs N full verifications (into
//! `Claims`, or the typed struct, dropped; `plain`: the "written plainly" reference verifier of
//! `common::plain_verify` into the typed struct) of that case and nothing else: a fixed workload for instruction counts,
//! `valgrind --tool=callgrind --toggle-collect='*verify_and_drop*' BENCH_BINARY --repeat HS256 2000`
//! (the bench binary that `cargo bench --no-run` names), divided by N.
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench setup on fixed, bundled fixtures: a failure is a broken bench; \
              jsonwebtoken's rules need the real clock"
)]

mod common;

use std::alloc::System;
use std::hint::black_box;

use common::{ALGORITHMS, Case, SessionClaims, TARGET_LEN, case, peer_rules, rules};
use jwt_core::{Algorithm, Claims, Timestamp, Validation};
use serde_json::{Map, Value};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations and bytes allocated while `f` runs (its result dropped inside the region).
fn count<T>(f: impl FnOnce() -> T) -> (usize, usize) {
    let region = Region::new(GLOBAL);
    drop(black_box(f()));
    let s = region.change();
    (s.allocations + s.reallocations, s.bytes_allocated)
}

fn repeat(args: &[String]) {
    let alg = Algorithm::from_name(&args[0]).expect("an algorithm name");
    let n: u64 = args[1].parse().expect("an iteration count");
    let size = args
        .get(2)
        .map_or(TARGET_LEN, |s| s.parse().expect("a token size"));
    let c = case(alg, size);
    let v = rules(alg);
    let now = Timestamp::from_unix_seconds(common::NOW);
    let mode = args.get(3).map_or("", String::as_str);
    for _ in 0..n {
        match mode {
            "typed" => verify_and_drop_typed(&v, &c, now),
            "plain" => verify_and_drop_plain(&c),
            _ => verify_and_drop(&v, &c, now),
        }
    }
}

/// The "written plainly" reference verifier into the typed struct, for comparison.
#[inline(never)]
fn verify_and_drop_plain(c: &Case) {
    drop(black_box(
        common::plain_verify(black_box(c), common::NOW).unwrap(),
    ));
}

/// Like [`verify_and_drop`], into a typed claims struct.
#[inline(never)]
fn verify_and_drop_typed(v: &Validation, c: &Case, now: Timestamp) {
    drop(black_box(
        v.verify::<SessionClaims>(black_box(&c.token), &c.key, now)
            .unwrap(),
    ));
}

/// One verification, its result dropped: what callgrind's `--toggle-collect` measures.
#[inline(never)]
fn verify_and_drop(v: &Validation, c: &Case, now: Timestamp) {
    drop(black_box(
        v.verify::<Claims>(black_box(&c.token), &c.key, now)
            .unwrap(),
    ));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        repeat(&args[i + 1..]);
        return;
    }
    let now = Timestamp::from_unix_seconds(common::NOW);
    println!("Allocations per verification (count / bytes), {TARGET_LEN}-byte token:");
    println!("| alg | jwt-core, Claims | jwt-core, typed struct | jsonwebtoken 9, map |");
    println!("|---|---|---|---|");
    for alg in ALGORITHMS {
        let c = case(alg, TARGET_LEN);
        let v = rules(alg);
        let peer = peer_rules(alg);
        // Warm up once so that lazily initialised statics are not counted.
        v.verify::<Claims>(&c.token, &c.key, now).unwrap();
        v.verify::<SessionClaims>(&c.token, &c.key, now).unwrap();
        jsonwebtoken::decode::<Map<String, Value>>(&c.token, &c.peer_key, &peer).unwrap();
        let ours = count(|| v.verify::<Claims>(&c.token, &c.key, now).unwrap());
        let typed = count(|| v.verify::<SessionClaims>(&c.token, &c.key, now).unwrap());
        let theirs = count(|| {
            jsonwebtoken::decode::<Map<String, Value>>(&c.token, &c.peer_key, &peer).unwrap()
        });
        println!(
            "| {alg} | {} / {} B | {} / {} B | {} / {} B |",
            ours.0, ours.1, typed.0, typed.1, theirs.0, theirs.1
        );
    }
    println!();
    println!("Allocations per HS256 verification by token size (count, Claims / typed):");
    println!("| token bytes | Claims | typed struct |");
    println!("|---|---|---|");
    for size in [750, 1_500, 3_000, 6_000, 12_000, 22_000] {
        let c = case(Algorithm::HS256, size);
        let v = rules(Algorithm::HS256);
        v.verify::<Claims>(&c.token, &c.key, now).unwrap();
        let ours = count(|| v.verify::<Claims>(&c.token, &c.key, now).unwrap());
        let typed = count(|| v.verify::<SessionClaims>(&c.token, &c.key, now).unwrap());
        println!("| {} | {} | {} |", c.token.len(), ours.0, typed.0);
    }
}
