//! The facade's cost, networkless and with remote keys, on a Clerk-like RS256 token, and
//! networkless on ES256 and EdDSA tokens, in one run.
//!
//! Rows (group `facade-rs256`):
//!
//! - `floor`: the bare *ring* check of the same signing input and signature with the same
//!   key (`RsaPublicKeyComponents::verify`, which parses the key on every call: *ring* keeps
//!   no parsed RSA public key) — no verifier on *ring* can go below it;
//! - `jwt-core`: `Validation::verify::<Map>` with the same rules and key — what the facade
//!   builds on;
//! - `verifier-session`: `Verifier::verify_at` — typed `SessionClaims`, deserialized straight
//!   from the payload (what `Verifier::verify` does);
//! - `verifier-map`: `Verifier::verify_as_at::<Map>` with a `jwt_key` — the payload as signed;
//! - `verifier-remote-hit`: `verify_as_at::<Map>` with keys from a `RemoteJwks` served by a
//!   local JWKS server (the workspace's test server, `integration_tests::http`), the cache
//!   warm;
//! - `token-cache-hit-session` / `token-cache-hit-map`: a repeat of a token the verifier's
//!   opt-in token cache holds, through `verify_at` and `verify_as_at::<Map>`;
//! - `paired-*`: two paths alternate in blocks of 16 inside every sample, so load from other
//!   processes hits both alike; the median of the per-sample ratios is the figure to quote on
//!   a shared machine: `verifier-session / floor`, `floor / floor` (the same closure on both
//!   sides: its distance from 1 and its spread are the measurement's own error in that run),
//!   `verifier-map / floor`,
//!   `verifier-session / verifier-map`, `verifier-map / jwt-core`,
//!   `verifier-remote-hit / verifier-map`.
//!
//! Groups `facade-es256` (P-256) and `facade-eddsa` (Ed25519): a token of the same length
//! (the same Clerk-like payload, padded for the shorter signature), a `Verifier` with that
//! algorithm's `jwt_key` PEM, that algorithm allowed and `authorized_parties` set. Rows:
//! `floor` (the bare *ring* check, `UnparsedPublicKey::verify` with the public key's bytes
//! decoded once, of the same signing input and signature), `verifier-session`
//! (`Verifier::verify_at`) and `paired-session-floor` (`verifier-session / floor`, paired as
//! above).
//!
//! Group `threads`: one shared `Verifier`, the same number of calls on each of 2 threads as on
//! 1 thread; 2-thread / 1-thread throughput = 2 × t1 / t2, where each side's time runs from
//! the first worker's first call to the last worker's last call (the workers are spawned and
//! meet at a barrier before either clock starts, so thread start-up is not measured). Rows:
//! `session` (`verify_at`), `map` (`verify_as_at::<Map>`), `cache-hit-session` (the same
//! cached token from both threads: the token cache's worst case) and a share-nothing
//! `baseline`, the parallelism the machine actually gave the run (the ceiling for the
//! others). Also recorded: the CPU time per call on 2 threads against 1
//! (`CLOCK_THREAD_CPUTIME_ID`; above 1 means the threads slow each other down, as a shared
//! lock or a contended cache line would) and the share of each side's span its workers spent
//! on a CPU, 2 threads against 1 (below 1 means the two did not really run at the same time:
//! a worker waited for a core or started late). Throughput = 2 × that share ratio / the CPU
//! time ratio, so the two tell the code's part from the machine's.
//!
//! Ratios are the median over criterion's measurement samples (warm-up samples, which start
//! at a single iteration, are left out); the table is printed at the end.
//!
//! The verifier's future completes on its first poll (no await is pending on these paths),
//! so it is polled once with a no-op waker: no executor cost is measured.
//!
//! Run with `cargo bench -p clerk-verify --bench facade`. For instruction counts, the bench
//! binary with `--repeat ROW N` runs `N` calls of one row, each in `verify_and_drop`, and
//! exits, for `valgrind --tool=callgrind --toggle-collect='*verify_and_drop*'` (total Ir / N
//! is the cost of one call; rows: `floor`, `jwt-core`, `verifier-session`, `verifier-map`,
//! `verifier-remote-hit`, `token-cache-hit-session`, `token-cache-hit-map`, and
//! `floor-es256`, `verifier-session-es256`, `floor-eddsa`, `verifier-session-eddsa`).
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench setup on fixed, bundled fixtures (a failure is a broken bench); the paired \
              and threaded measurements read the clock through criterion's iter_custom"
)]

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_verify::{Timestamp, TokenCacheOptions, Verifier, VerifyTokenOptions};
use criterion::Criterion;
use integration_tests::bench::{clerk_payload_of_len, interleaved, ready, rs256_floor};
use integration_tests::http::{Reply, TestServer};
use integration_tests::{TestKey, keys};
use jwt_core::Algorithm;
use ring::signature;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_700_000_000;
/// The token length the jwt-core bench uses: a Clerk session token with a custom claim.
const TARGET_LEN: usize = 750;
/// Criterion samples of a paired row (its default) and of a threads row.
const PAIRED_SAMPLES: usize = 100;
const THREAD_SAMPLES: usize = 20;

/// One call of a row, for instruction counts: callgrind collects inside this function only.
#[inline(never)]
fn verify_and_drop(row: &dyn Fn()) {
    row();
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`), for the threads rows.
fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

/// Per-sample values of one ratio; the report uses the last `keep` (criterion's measurement
/// samples, which follow its warm-up calls).
struct Ratios {
    name: String,
    keep: usize,
    values: RefCell<Vec<f64>>,
}

impl Ratios {
    fn new(name: impl Into<String>, keep: usize) -> Ratios {
        Ratios {
            name: name.into(),
            keep,
            values: RefCell::new(Vec::new()),
        }
    }

    fn push(&self, v: f64) {
        if v.is_finite() {
            self.values.borrow_mut().push(v);
        }
    }

    /// Median, minimum and maximum of the measurement samples, and their number.
    fn summary(&self) -> Option<(f64, f64, f64, usize)> {
        let all = self.values.borrow();
        let mut v = all[all.len().saturating_sub(self.keep)..].to_vec();
        v.sort_by(f64::total_cmp);
        Some((*v.get(v.len() / 2)?, *v.first()?, *v.last()?, v.len()))
    }
}

/// Runs `a` and `b` alternately in blocks inside one sample of `iters` each; records
/// `time(a) / time(b)` and reports `a`'s time.
fn paired(iters: u64, ratios: &Ratios, a: &dyn Fn(), b: &dyn Fn()) -> Duration {
    let times = interleaved(iters, &[a, b]);
    let (ta, tb) = (times[0], times[1]);
    ratios.push(ta.as_secs_f64() / tb.as_secs_f64());
    ta
}

/// A paired row: its id, the ratio's name, and the two sides.
type Pair<'a> = (&'a str, &'a str, &'a dyn Fn(), &'a dyn Fn());

/// What the workers of one side of a threads sample did.
struct Run {
    /// From the first worker's first call to the last worker's last call.
    span: Duration,
    /// CPU time of all workers together.
    cpu: Option<Duration>,
}

/// `n` calls of `work` on each of `threads` threads, timed by the workers themselves. The
/// threads are spawned first and start together from a barrier, so neither the spawning nor
/// the joining is inside the span.
fn run_threads(threads: usize, n: u64, work: &(dyn Fn() + Sync)) -> Run {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant, Option<Duration>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let cpu0 = thread_cpu_time();
                    let start = Instant::now();
                    for _ in 0..n {
                        work();
                    }
                    let end = Instant::now();
                    let cpu = thread_cpu_time().zip(cpu0).map(|(b, a)| b - a);
                    (start, end, cpu)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let first_start = spans.iter().map(|s| s.0).min().unwrap();
    let last_end = spans.iter().map(|s| s.1).max().unwrap();
    Run {
        span: last_end - first_start,
        cpu: spans.iter().map(|s| s.2).sum(),
    }
}

/// The ratios one threads row records. With `busy` the share of the span the workers were on
/// a CPU (CPU time / (threads × span)), throughput = 2 × busy ratio / CPU-per-call ratio: a
/// CPU-per-call ratio above 1 is the code (threads slowing each other down), a busy ratio
/// below 1 is the machine (a worker waiting for a core, or starting late).
struct ThreadRatios {
    throughput: Ratios,
    cpu_per_call: Ratios,
    busy: Ratios,
    /// Samples so far, to alternate which side runs first.
    samples: Cell<u64>,
}

impl ThreadRatios {
    fn new(row: &str) -> ThreadRatios {
        let name = |what: &str| format!("threads {row}: 2-thread / 1-thread {what}");
        ThreadRatios {
            throughput: Ratios::new(name("throughput"), THREAD_SAMPLES),
            cpu_per_call: Ratios::new(name("CPU time per call"), THREAD_SAMPLES),
            busy: Ratios::new(name("share of the span on a CPU"), THREAD_SAMPLES),
            samples: Cell::new(0),
        }
    }

    /// One sample: `iters` calls on 1 thread and on each of 2 threads, in alternating order
    /// from sample to sample. Returns the time of both sides together.
    fn sample(&self, iters: u64, work: &(dyn Fn() + Sync)) -> Duration {
        let k = self.samples.get();
        self.samples.set(k + 1);
        let (one, two) = if k.is_multiple_of(2) {
            let one = run_threads(1, iters, work);
            (one, run_threads(2, iters, work))
        } else {
            let two = run_threads(2, iters, work);
            (run_threads(1, iters, work), two)
        };
        self.throughput
            .push(2.0 * one.span.as_secs_f64() / two.span.as_secs_f64());
        if let (Some(c1), Some(c2)) = (one.cpu, two.cpu) {
            let (c1, c2) = (c1.as_secs_f64(), c2.as_secs_f64());
            self.cpu_per_call.push(c2 / (2.0 * c1));
            let busy1 = c1 / one.span.as_secs_f64();
            let busy2 = c2 / (2.0 * two.span.as_secs_f64());
            self.busy.push(busy2 / busy1);
        }
        one.span + two.span
    }
}

/// A Clerk-like payload padded with a custom claim so that the token is about `TARGET_LEN`.
fn payload_for(sign: &dyn Fn(&Value) -> String) -> Value {
    clerk_payload_of_len(NOW, TARGET_LEN, sign)
}

/// A networkless ES256 or EdDSA case: its token, a `Verifier` with the key as `jwt_key`, and
/// the floor's key and inputs.
struct Case {
    alg: Algorithm,
    /// The suffix of the group name and of the `--repeat` rows.
    id: &'static str,
    token: String,
    verifier: Verifier,
    /// The public key's bytes (an uncompressed P-256 point, or the Ed25519 key), decoded
    /// once, as *ring* takes them.
    public: signature::UnparsedPublicKey<Vec<u8>>,
    input: Vec<u8>,
    sig: Vec<u8>,
    now: Timestamp,
}

impl Case {
    fn new(alg: Algorithm, key: TestKey, now: Timestamp) -> Case {
        let header = json!({"typ": "JWT", "kid": "ins_1"});
        let payload = payload_for(&|p| key.sign(alg, &header, p));
        let token = key.sign(alg, &header, &payload);
        let jwk = key.verifying_key().to_jwk().unwrap();
        let b64 = |s: Option<String>| URL_SAFE_NO_PAD.decode(s.unwrap()).unwrap();
        let (id, public) = match alg {
            Algorithm::ES256 => {
                let mut point = vec![4u8]; // SEC 1: an uncompressed point
                point.extend(b64(jwk.x));
                point.extend(b64(jwk.y));
                (
                    "es256",
                    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point),
                )
            }
            Algorithm::EdDSA => (
                "eddsa",
                signature::UnparsedPublicKey::new(&signature::ED25519, b64(jwk.x)),
            ),
            other => panic!("no {other} case"),
        };
        let (input, sig) = token.rsplit_once('.').unwrap();
        let (input, sig) = (
            input.as_bytes().to_vec(),
            URL_SAFE_NO_PAD.decode(sig).unwrap(),
        );
        let verifier = Verifier::new(
            &VerifyTokenOptions::default()
                .with_jwt_key(key.public_pem)
                .with_algorithms([alg])
                .with_authorized_parties(["https://app.example.com"]),
        )
        .unwrap();
        let case = Case {
            alg,
            id,
            token,
            verifier,
            public,
            input,
            sig,
            now,
        };
        // Both paths agree that the token is good, and the typed claims are the payload.
        case.floor();
        let claims = ready(case.verifier.verify_at(&case.token, now)).unwrap();
        assert_eq!(serde_json::to_value(&claims).unwrap(), payload);
        case
    }

    fn floor(&self) {
        self.public
            .verify(black_box(&self.input), black_box(&self.sig))
            .unwrap();
    }

    fn session(&self) {
        black_box(ready(self.verifier.verify_at(black_box(&self.token), self.now)).unwrap());
    }
}

fn main() {
    let key = keys::rsa2048_a();
    let header = json!({"typ": "JWT", "kid": "ins_1"});
    let payload = payload_for(&|p| key.sign(Algorithm::RS256, &header, p));
    let token = key.sign(Algorithm::RS256, &header, &payload);
    let now = Timestamp::from_unix_seconds(NOW);

    // The floor: ring's own check, key components decoded once.
    let floor = rs256_floor(&key, &token);

    let local_options = VerifyTokenOptions::default()
        .with_jwt_key(key.public_pem)
        .with_authorized_parties(["https://app.example.com"]);
    let verifier = Verifier::new(&local_options).unwrap();
    let rules = jwt_core::Validation::new([Algorithm::RS256, Algorithm::RS384, Algorithm::RS512])
        .with_authorized_parties(["https://app.example.com"])
        .with_header_types(["JWT"]);
    let vk = key.verifying_key();
    let core = || {
        black_box(
            rules
                .verify::<Map<String, Value>>(black_box(&token), &vk, now)
                .unwrap(),
        );
    };
    let cached = Verifier::new(
        &local_options
            .clone()
            .with_token_cache(TokenCacheOptions::default()),
    )
    .unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The Backend API's `/v1/jwks`: the workspace's test server, on the runtime's worker.
    let jwks_server = rt.block_on(TestServer::start(Reply::json(
        json!({"keys": [key.public_jwk("ins_1", Some(Algorithm::RS256))]}),
    )));
    let remote = Verifier::new(
        &VerifyTokenOptions::default()
            .with_secret_key("sk_bench")
            .with_api_url(jwks_server.url(""))
            .with_authorized_parties(["https://app.example.com"]),
    )
    .unwrap();
    rt.block_on(remote.key_set()).unwrap(); // pre-warmed
    assert_eq!(jwks_server.count(), 1);
    assert_eq!(jwks_server.request(0).path(), "/v1/jwks");
    assert_eq!(jwks_server.request(0).bearer(), Some("sk_bench"));
    let _runtime = rt.enter(); // a refresh ahead of expiry would spawn on it

    let map = |v: &Verifier| {
        black_box(ready(v.verify_as_at::<Map<String, Value>>(black_box(&token), now)).unwrap());
    };
    let session = |v: &Verifier| {
        black_box(ready(v.verify_at(black_box(&token), now)).unwrap());
    };
    // Every path agrees that the token is good before anything is timed, and the typed
    // claims are the map's.
    floor();
    core();
    map(&verifier);
    session(&verifier);
    map(&remote);
    map(&cached);
    session(&cached);
    assert_eq!(cached.cached_tokens(), 1);
    let claims = ready(verifier.verify_at(&token, now)).unwrap();
    assert_eq!(serde_json::to_value(&claims).unwrap(), payload);
    let es256 = Case::new(Algorithm::ES256, keys::p256(), now);
    let eddsa = Case::new(Algorithm::EdDSA, keys::ed25519(), now);

    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        let (Some(row), Some(count)) = (args.get(i + 1), args.get(i + 2)) else {
            panic!("usage: --repeat ROW N");
        };
        let count: u64 = count.parse().expect("N: a number of calls");
        let run: &dyn Fn() = match row.as_str() {
            "floor" => &floor,
            "jwt-core" => &core,
            "verifier-session" => &|| session(&verifier),
            "verifier-map" => &|| map(&verifier),
            "verifier-remote-hit" => &|| map(&remote),
            "token-cache-hit-session" => &|| session(&cached),
            "token-cache-hit-map" => &|| map(&cached),
            "floor-es256" => &|| es256.floor(),
            "verifier-session-es256" => &|| es256.session(),
            "floor-eddsa" => &|| eddsa.floor(),
            "verifier-session-eddsa" => &|| eddsa.session(),
            other => panic!("unknown row {other}"),
        };
        for _ in 0..count {
            verify_and_drop(run);
        }
        // The remote row ran on the warm cache: no verification reached the server.
        assert_eq!(jwks_server.count(), 1);
        println!("ran {row} {count} times");
        return;
    }

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("facade-rs256");
    g.bench_function("floor", |b| b.iter(&floor));
    g.bench_function("jwt-core", |b| b.iter(core));
    g.bench_function("verifier-session", |b| b.iter(|| session(&verifier)));
    g.bench_function("verifier-map", |b| b.iter(|| map(&verifier)));
    g.bench_function("verifier-remote-hit", |b| b.iter(|| map(&remote)));
    g.bench_function("token-cache-hit-session", |b| b.iter(|| session(&cached)));
    g.bench_function("token-cache-hit-map", |b| b.iter(|| map(&cached)));

    let pairs: [Pair<'_>; 6] = [
        (
            "session-floor",
            "RS256 verifier-session / floor",
            &|| session(&verifier),
            &floor,
        ),
        // The same closure on both sides: the ratio is 1 but for the measurement itself, so
        // its median and spread show what this run can resolve.
        (
            "floor-floor",
            "RS256 floor / floor (the measurement's own error)",
            &floor,
            &floor,
        ),
        (
            "map-floor",
            "RS256 verifier-map / floor",
            &|| map(&verifier),
            &floor,
        ),
        (
            "session-map",
            "RS256 verifier-session / verifier-map",
            &|| session(&verifier),
            &|| map(&verifier),
        ),
        (
            "map-jwtcore",
            "RS256 verifier-map / jwt-core",
            &|| map(&verifier),
            &core,
        ),
        (
            "remote-local",
            "RS256 verifier-remote-hit / verifier-map",
            &|| map(&remote),
            &|| map(&verifier),
        ),
    ];
    let mut paired_ratios = Vec::new();
    g.sample_size(PAIRED_SAMPLES);
    for (id, name, a, b) in pairs {
        let ratios = Ratios::new(name, PAIRED_SAMPLES);
        g.bench_function(format!("paired-{id}"), |bench| {
            bench.iter_custom(|iters| paired(iters, &ratios, a, b))
        });
        paired_ratios.push(ratios);
    }
    g.finish();

    for case in [&es256, &eddsa] {
        let mut g = c.benchmark_group(format!("facade-{}", case.id));
        g.bench_function("floor", |b| b.iter(|| case.floor()));
        g.bench_function("verifier-session", |b| b.iter(|| case.session()));
        let name = format!("{} verifier-session / floor", case.alg.name());
        let ratios = Ratios::new(name, PAIRED_SAMPLES);
        g.sample_size(PAIRED_SAMPLES);
        g.bench_function("paired-session-floor", |bench| {
            bench.iter_custom(|iters| paired(iters, &ratios, &|| case.session(), &|| case.floor()))
        });
        g.finish();
        paired_ratios.push(ratios);
    }

    // Shares nothing: the parallelism the machine gives this run.
    let baseline = || {
        let mut a = black_box(7u64);
        for b in 0..64 {
            a = black_box(a.wrapping_mul(31).wrapping_add(b));
        }
    };
    let threads: [(&str, &(dyn Fn() + Sync)); 4] = [
        ("session", &|| session(&verifier)),
        ("map", &|| map(&verifier)),
        ("cache-hit-session", &|| session(&cached)),
        ("baseline", &baseline),
    ];
    let mut thread_ratios = Vec::new();
    let mut g = c.benchmark_group("threads");
    g.sample_size(THREAD_SAMPLES);
    for (row, work) in threads {
        let ratios = ThreadRatios::new(row);
        g.bench_function(row, |b| b.iter_custom(|iters| ratios.sample(iters, work)));
        thread_ratios.push(ratios);
    }
    g.finish();
    c.final_summary();

    println!();
    println!("| facade ratio (median of the measurement samples) | median | min | max | samples |");
    println!("|---|---|---|---|---|");
    let all = paired_ratios.iter().chain(
        thread_ratios
            .iter()
            .flat_map(|t| [&t.throughput, &t.cpu_per_call, &t.busy]),
    );
    for r in all {
        if let Some((median, min, max, n)) = r.summary() {
            println!("| {} | {median:.3} | {min:.3} | {max:.3} | {n} |", r.name);
        }
    }
    println!(
        "facade tokens: RS256 {} bytes, ES256 {} bytes, EdDSA {} bytes",
        token.len(),
        es256.token.len(),
        eddsa.token.len()
    );
}
