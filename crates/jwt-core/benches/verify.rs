//! Full verification against the bare *ring* signature check and against `jsonwebtoken`, per
//! algorithm, in one run.
//!
//! For each algorithm (RS256 and PS256 with a 2048-bit key, ES256, ES384, EdDSA, HS256) the
//! same Clerk-like token of about 750 bytes is measured as:
//!
//! - `full`: `Validation::verify::<Claims>` — parse, header rules, allow-list, key family,
//!   signature, claim checks, and every claim handed back as an owned map;
//! - `typed`: the same into a typed claims struct, deserialized straight from the payload;
//! - `parse`: `UnverifiedToken::parse` alone (the non-crypto share of `full`);
//! - `floor`: the bare *ring* check of the same signing input and signature bytes with the
//!   same key material (`RsaPublicKeyComponents::verify`, `UnparsedPublicKey::verify`,
//!   `hmac::verify` with a pre-built key) — the cost no verifier on *ring* can go below;
//! - `jsonwebtoken`: `jsonwebtoken::decode` (9.x, on *ring*) of the same token into a map,
//!   with its closest equivalent of our rules;
//! - `paired plain`: the issue's reference "ring + base64 + serde_json + claim checks, written
//!   plainly" into the same typed struct (`common::plain_verify`), without jwt-core's
//!   strictness, measured only paired with the floor; `paired typed-vs-plain` pairs the typed
//!   path directly with it (its ratio is typed / plain, not over the floor), and `paired
//!   parse typed-vs-plain` their parses alone (`UnverifiedToken::prepare` into the typed
//!   struct against `common::plain_parse`: decoding and JSON, no signature, no checks);
//! - `paired` (for `full`, `typed` and `jsonwebtoken`): the measured path and the floor
//!   alternate in blocks of 16 inside every sample, so load from other processes hits both
//!   sides alike; the median of the per-sample `path / floor` ratios is the figure to quote
//!   on a shared machine.
//!
//! A last group measures HS256 `full` and `floor` for payloads from 0.5 KB to 16 KB (cost
//! against token size). After the measurements it prints the paired ratios, the independent
//! criterion medians, and the size table. Run with `cargo bench -p jwt-core --bench verify`.
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench setup on fixed, bundled fixtures (a failure is a broken bench); the paired \
              measurement reads the clock through criterion's iter_custom, as benches must"
)]

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::SystemTime;

use common::{
    ALGORITHMS, Case, SessionClaims, TARGET_LEN, case, peer_rules, plain_parse, plain_verify, rules,
};
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use integration_tests::bench::interleaved;
use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken};
use serde_json::{Map, Value};

/// Payload sizes of the size group, in bytes of JSON.
const PAYLOAD_SIZES: [usize; 6] = [512, 1_024, 2_048, 4_096, 8_192, 16_384];

/// One paired result: algorithm, path, median ratio, samples.
type PairedRow = (Algorithm, &'static str, f64, usize);

thread_local! {
    static PAIRED: RefCell<Vec<PairedRow>> = const { RefCell::new(Vec::new()) };
    /// (payload bytes, token bytes) of the size group.
    static SIZES: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
}

fn group_name(alg: Algorithm) -> String {
    format!("jwt-core {alg}")
}

/// Measures `path` against the case's floor, interleaved in blocks inside every sample, and
/// records the median of the per-sample ratios.
fn paired(g: &mut BenchmarkGroup<'_, WallTime>, c: &Case, id: &'static str, path: &dyn Fn()) {
    let floor = || assert!(c.floor.verify(black_box(&c.msg), black_box(&c.sig)));
    paired_against(g, c, id, path, &floor);
}

/// Measures `path` against `base` the same way (the floor, or another path).
fn paired_against(
    g: &mut BenchmarkGroup<'_, WallTime>,
    c: &Case,
    id: &'static str,
    path: &dyn Fn(),
    base: &dyn Fn(),
) {
    let ratios = RefCell::new(Vec::new());
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let times = interleaved(iters, &[path, base]);
            let (ours, floor) = (times[0], times[1]);
            ratios
                .borrow_mut()
                .push(ours.as_secs_f64() / floor.as_secs_f64());
            ours
        })
    });
    let mut r = ratios.into_inner();
    r.sort_by(f64::total_cmp);
    if let Some(median) = r.get(r.len() / 2) {
        PAIRED.with(|p| p.borrow_mut().push((c.alg, id, *median, r.len())));
    }
}

fn bench_verify(c: &mut Criterion) {
    let now = Timestamp::from_unix_seconds(common::NOW);
    for case in ALGORITHMS.map(|alg| case(alg, TARGET_LEN)) {
        let rules = rules(case.alg);
        let peer = peer_rules(case.alg);
        // Every path must agree that the token is good before anything is timed.
        let verified = rules.verify::<Claims>(&case.token, &case.key, now).unwrap();
        assert_eq!(verified.algorithm(), case.alg);
        rules
            .verify::<SessionClaims>(&case.token, &case.key, now)
            .unwrap();
        jsonwebtoken::decode::<Map<String, Value>>(&case.token, &case.peer_key, &peer).unwrap();
        plain_verify(&case, common::NOW).unwrap();

        let full = || {
            black_box(
                rules
                    .verify::<Claims>(black_box(&case.token), &case.key, now)
                    .unwrap(),
            );
        };
        let typed = || {
            black_box(
                rules
                    .verify::<SessionClaims>(black_box(&case.token), &case.key, now)
                    .unwrap(),
            );
        };
        let theirs = || {
            black_box(
                jsonwebtoken::decode::<Map<String, Value>>(
                    black_box(&case.token),
                    &case.peer_key,
                    &peer,
                )
                .unwrap(),
            );
        };
        let plain = || {
            black_box(plain_verify(black_box(&case), common::NOW).unwrap());
        };
        let limits = Limits::default();
        let typed_parse = || {
            black_box(
                UnverifiedToken::prepare::<SessionClaims>(black_box(&case.token), &limits).unwrap(),
            );
        };
        let plain_parsed = || {
            black_box(plain_parse(black_box(&case)).unwrap());
        };
        let mut g = c.benchmark_group(group_name(case.alg));
        g.bench_function("full", |b| b.iter(full));
        g.bench_function("typed", |b| b.iter(typed));
        g.bench_function("parse", |b| {
            b.iter(|| UnverifiedToken::parse(black_box(&case.token), &Limits::default()).unwrap())
        });
        g.bench_function("floor", |b| {
            b.iter(|| {
                assert!(
                    case.floor
                        .verify(black_box(&case.msg), black_box(&case.sig))
                )
            })
        });
        g.bench_function("jsonwebtoken", |b| b.iter(theirs));
        paired(&mut g, &case, "paired", &full);
        paired(&mut g, &case, "paired typed", &typed);
        paired(&mut g, &case, "paired jsonwebtoken", &theirs);
        paired(&mut g, &case, "paired plain", &plain);
        // Directly against each other, so that the host's drift between rows cancels too.
        paired_against(&mut g, &case, "paired typed-vs-plain", &typed, &plain);
        paired_against(
            &mut g,
            &case,
            "paired parse typed-vs-plain",
            &typed_parse,
            &plain_parsed,
        );
        g.finish();
        println!("{} token: {} bytes", case.alg, case.token.len());
    }
}

/// HS256 full verification and the floor for growing payloads: both should grow linearly.
fn bench_sizes(c: &mut Criterion) {
    let now = Timestamp::from_unix_seconds(common::NOW);
    let mut g = c.benchmark_group("jwt-core size HS256");
    for payload in PAYLOAD_SIZES {
        // Header, dots and signature add about 80 characters to the encoded payload.
        let case = case(Algorithm::HS256, payload * 4 / 3 + 80);
        let rules = rules(case.alg);
        rules.verify::<Claims>(&case.token, &case.key, now).unwrap();
        g.bench_function(format!("full {payload}"), |b| {
            b.iter(|| {
                rules
                    .verify::<Claims>(black_box(&case.token), &case.key, now)
                    .unwrap()
            })
        });
        g.bench_function(format!("floor {payload}"), |b| {
            b.iter(|| {
                assert!(
                    case.floor
                        .verify(black_box(&case.msg), black_box(&case.sig))
                )
            })
        });
        SIZES.with(|s| s.borrow_mut().push((payload, case.token.len())));
    }
    g.finish();
}

/// Where criterion keeps its estimates: `CRITERION_HOME`, else `<target dir>/criterion`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// When this bench process started: estimates written before it are from another run.
static STARTED: OnceLock<SystemTime> = OnceLock::new();

/// Criterion's median for one benchmark, if it was measured in this run.
fn median_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if STARTED.get().is_none_or(|started| written < *started) {
        return None;
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn micros(ns: Option<f64>) -> String {
    ns.map_or_else(|| "—".to_owned(), |ns| format!("{:.2} µs", ns / 1e3))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    a.zip(b)
        .map_or_else(|| "—".to_owned(), |(a, b)| format!("{:.3}×", a / b))
}

fn print_ratios() {
    println!();
    println!("Paired (interleaved in each sample; the figure to quote on a shared machine):");
    println!("| alg | path | path / floor (or / the path named), median of samples | samples |");
    println!("|---|---|---|---|");
    PAIRED.with(|p| {
        for (alg, id, ratio, n) in p.borrow().iter() {
            let path = match *id {
                "paired" => "jwt-core, Claims",
                "paired typed" => "jwt-core, typed struct",
                "paired plain" => {
                    "written plainly (ring + base64 + serde_json + checks), typed struct"
                }
                "paired typed-vs-plain" => "jwt-core typed / written plainly (not / floor)",
                "paired parse typed-vs-plain" => {
                    "parse alone: jwt-core prepare (typed) / written plainly's parse (not / floor)"
                }
                _ => "jsonwebtoken 9, map",
            };
            println!("| {alg} | {path} | {ratio:.3}× | {n} |");
        }
    });
    println!();
    println!("Independent rows (criterion medians, measured one after the other):");
    println!(
        "| alg | full | typed | parse | ring floor | jsonwebtoken | full / floor | jsonwebtoken / floor |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for alg in ALGORITHMS {
        let g = group_name(alg);
        let m = |id| median_ns(&g, id);
        let (full, typed, parse, floor, peer) = (
            m("full"),
            m("typed"),
            m("parse"),
            m("floor"),
            m("jsonwebtoken"),
        );
        // With a criterion filter, rows it skipped have no estimate from this run.
        if [full, typed, parse, floor, peer]
            .iter()
            .all(Option::is_none)
        {
            continue;
        }
        println!(
            "| {alg} | {} | {} | {} | {} | {} | {} | {} |",
            micros(full),
            micros(typed),
            micros(parse),
            micros(floor),
            micros(peer),
            ratio(full, floor),
            ratio(peer, floor)
        );
    }
    let sizes = SIZES.with(|s| s.borrow().clone());
    if sizes.is_empty() {
        return;
    }
    println!();
    println!("HS256 cost against payload size (criterion medians):");
    println!(
        "| payload | token | full | floor | full − floor | added µs per added KB (from the row above) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut previous: Option<(usize, f64)> = None;
    for (payload, token) in sizes {
        let g = "jwt-core size HS256";
        let full = median_ns(g, &format!("full {payload}"));
        let floor = median_ns(g, &format!("floor {payload}"));
        let extra = full.zip(floor).map(|(a, b)| a - b);
        // Linear cost shows as a constant marginal cost per KB, whatever the size.
        let marginal = previous.zip(extra).map_or_else(
            || "—".to_owned(),
            |((p0, e0), e)| micros(Some((e - e0) / ((payload - p0) as f64 / 1024.0))),
        );
        previous = extra.map(|e| (payload, e));
        println!(
            "| {payload} B | {token} B | {} | {} | {} | {marginal} |",
            micros(full),
            micros(floor),
            micros(extra)
        );
    }
}

fn main() {
    STARTED.get_or_init(SystemTime::now);
    let mut c = Criterion::default().configure_from_args();
    bench_verify(&mut c);
    bench_sizes(&mut c);
    c.final_summary();
    print_ratios();
}
