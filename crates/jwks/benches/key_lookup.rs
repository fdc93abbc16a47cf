//! Cost of resolving a key on a cache hit, for `RemoteJwks` against `StaticKeys`, with one
//! and two threads, and with 1 or 100 keys in the set.
//!
//! Groups:
//!
//! - `hit`: one `KeyProvider::key` call answered from memory (`static` = `StaticKeys` from a
//!   JWKS, `remote` = a warmed `RemoteJwks`), alone and followed by the full RS256
//!   (2048-bit) verification of a typical session token with that key (`*_verify_rs256`). The
//!   future completes on its first poll, so it is polled once with a no-op waker: no
//!   executor cost is measured.
//! - `paired`: ratios measured inside each criterion sample, both sides back to back, so
//!   that load from other processes on a shared machine affects both alike: remote / static
//!   hit time (alone and with an RS256 verification), and 2-thread / 1-thread throughput
//!   (each of 2 threads makes as many calls as the single thread; ratio = 2 × t1 / t2) for a
//!   share-nothing `baseline` (the parallelism the machine gave the run, the ceiling for the
//!   others), `static`, `remote` and `remote_verify_rs256` (hit plus RS256 verification).
//! - `set_size`: `JwkSet::select` by `kid` in a set of 1 and of 100 keys.
//!
//! Ratios from criterion's median estimates are printed at the end. Run with
//! `cargo bench -p jwks --bench key_lookup`.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench setup on fixed, bundled fixtures; a failure is a broken bench"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::Criterion;
use integration_tests::{clerk_payload, keys};
use jwks::client::{HttpClient, HttpRequest, HttpResponse};
use jwks::http::{HeaderMap, StatusCode, header::CACHE_CONTROL};
use jwks::{JwkSet, KeyProvider, KeyRequest, RemoteJwks, SourceError, StaticKeys, async_trait};
use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken, Validation, VerifyingKey};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const REQ: KeyRequest<'static> = KeyRequest {
    kid: Some("a"),
    alg: Algorithm::RS256,
};

/// Serves one fixed document, fresh for a day; only used to warm the remote source.
#[derive(Debug)]
struct Fixed(String);

#[async_trait]
impl HttpClient for Fixed {
    async fn get(&self, _req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, "max-age=86400".parse().unwrap());
        Ok(HttpResponse::new(
            StatusCode::OK,
            headers,
            self.0.clone().into(),
        ))
    }
}

/// Polls a future that is expected to be ready at once (a cache hit).
fn now_or_never<T>(fut: impl Future<Output = T>) -> T {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a cache hit must not wait"),
    }
}

fn resolve(p: &dyn KeyProvider) -> Arc<VerifyingKey> {
    now_or_never(p.key(black_box(REQ))).unwrap()
}

fn document() -> String {
    json!({ "keys": [keys::rsa2048_a().public_jwk("a", None)] }).to_string()
}

fn sources() -> (StaticKeys, RemoteJwks) {
    let doc = document();
    let fixed = StaticKeys::from_jwks(&doc).unwrap();
    let remote = RemoteJwks::builder("https://idp.example/jwks")
        .http_client(Fixed(doc))
        .build()
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(remote.prefetch())
        .unwrap();
    (fixed, remote)
}

#[allow(
    clippy::disallowed_methods,
    reason = "a multi-threaded throughput bench measures wall time itself (iter_custom)"
)]
fn wall<F: Fn() + Sync>(threads: usize, iters: u64, work: &F) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    work();
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Leaving the scope joins every thread.
        start
    })
    .elapsed()
}

fn bench(c: &mut Criterion) {
    let (fixed, remote) = sources();

    let token = keys::rsa2048_a().sign(
        Algorithm::RS256,
        &json!({ "typ": "JWT", "kid": "a" }),
        &clerk_payload(NOW),
    );
    let rules = Validation::new([Algorithm::RS256]);
    let verify = |p: &dyn KeyProvider| {
        let parsed = UnverifiedToken::parse(black_box(&token), &Limits::default()).unwrap();
        let key = now_or_never(p.key(KeyRequest {
            kid: parsed.header().kid(),
            alg: Algorithm::RS256,
        }))
        .unwrap();
        rules
            .verify_parsed::<Claims>(parsed, &key, Timestamp::from_unix_seconds(NOW))
            .unwrap();
    };

    let mut g = c.benchmark_group("hit");
    g.bench_function("static", |b| b.iter(|| resolve(&fixed)));
    g.bench_function("remote", |b| b.iter(|| resolve(&remote)));
    g.bench_function("static_verify_rs256", |b| b.iter(|| verify(&fixed)));
    g.bench_function("remote_verify_rs256", |b| b.iter(|| verify(&remote)));
    g.finish();

    // Paired measurements: both sides of a ratio run back to back inside every criterion
    // sample, and the ratio is recorded per sample. On a machine shared with other work, load
    // moves between criterion's separate rows; within one sample it is (nearly) the same.
    let static_hit = || drop(resolve(&fixed));
    let remote_hit = || drop(resolve(&remote));
    let static_verify = || verify(&fixed);
    let remote_verify = || verify(&remote);
    // Shares nothing: the parallelism the machine actually gave the run, the ceiling for the
    // other thread ratios.
    let baseline = || {
        let mut a = black_box(7u64);
        for b in 0..64 {
            a = black_box(a.wrapping_mul(31).wrapping_add(b));
        }
    };
    let mut g = c.benchmark_group("paired");
    g.bench_function("hit_remote_vs_static", |b| {
        b.iter_custom(|iters| {
            let s = wall(1, iters, &static_hit);
            let r = wall(1, iters, &remote_hit);
            record(
                "hit: remote / static time",
                r.as_secs_f64() / s.as_secs_f64(),
            );
            s + r
        });
    });
    g.bench_function("verify_remote_vs_static", |b| {
        b.iter_custom(|iters| {
            let s = wall(1, iters, &static_verify);
            let r = wall(1, iters, &remote_verify);
            record(
                "hit + RS256 verify: remote / static time",
                r.as_secs_f64() / s.as_secs_f64(),
            );
            s + r
        });
    });
    let cases: [(&str, &(dyn Fn() + Sync)); 4] = [
        ("baseline", &baseline),
        ("static", &static_hit),
        ("remote", &remote_hit),
        ("remote_verify_rs256", &remote_verify),
    ];
    for (name, work) in cases {
        g.bench_function(format!("threads_{name}"), |b| {
            b.iter_custom(|iters| {
                let one = wall(1, iters, &work);
                let two = wall(2, iters, &work);
                // Each of the two threads did `iters` calls in `two`.
                record(
                    &format!("threads: {name} 2-thread / 1-thread throughput"),
                    2.0 * one.as_secs_f64() / two.as_secs_f64(),
                );
                one + two
            });
        });
    }
    g.finish();

    let key = keys::rsa2048_a().verifying_key();
    let one = JwkSet::from_keys([(Some("a".to_owned()), key.clone())]);
    let hundred = JwkSet::from_keys((0..100).map(|i| {
        let kid = if i == 99 {
            "a".to_owned()
        } else {
            format!("key-{i}")
        };
        (Some(kid), key.clone())
    }));
    assert_eq!(hundred.len(), 100);
    let mut g = c.benchmark_group("set_size");
    g.bench_function("1", |b| b.iter(|| one.select(black_box(REQ)).is_ok()));
    g.bench_function("100", |b| b.iter(|| hundred.select(black_box(REQ)).is_ok()));
    g.finish();
}

/// Ratios measured inside criterion samples, by name.
static PAIRED: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

fn record(name: &str, ratio: f64) {
    if ratio.is_finite() {
        PAIRED
            .lock()
            .unwrap()
            .entry(name.to_owned())
            .or_default()
            .push(ratio);
    }
}

fn median_of(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Where criterion writes its estimates (`CRITERION_HOME`, else the target dir).
fn estimates_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
            PathBuf::from,
        )
        .join("criterion")
}

fn median(group: &str, id: &str) -> Option<f64> {
    // Criterion turns the `/` of a benchmark id into `_` in directory names.
    let id = id.replace('/', "_");
    let path = estimates_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn report() {
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
        _ => "n/a".to_owned(),
    };
    println!();
    println!("ratios from median estimates (independent rows):");
    println!(
        "  hit: remote / static time                 {}",
        ratio(median("hit", "remote"), median("hit", "static"))
    );
    println!(
        "  hit + RS256 verify: remote / static time  {}",
        ratio(
            median("hit", "remote_verify_rs256"),
            median("hit", "static_verify_rs256")
        )
    );
    println!(
        "  set_size: 100 keys / 1 key time           {}",
        ratio(median("set_size", "100"), median("set_size", "1"))
    );
    println!("paired ratios (median over samples):");
    let mut paired = PAIRED.lock().unwrap();
    for (name, values) in paired.iter_mut() {
        let n = values.len();
        if let Some(m) = median_of(values) {
            println!("  {name:<55} {m:.3}  ({n} samples)");
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    report();
}
