//! The facade's cost, networkless and with remote keys, on a Clerk-like RS256 token, in one
//! run.
//!
//! Rows (group `facade-rs256`):
//!
//! - `floor`: the bare *ring* check of the same signing input and signature with the same
//!   key (`RsaPublicKeyComponents::verify`, which parses the key on every call: *ring* keeps
//!   no parsed RSA public key) — no verifier on *ring* can go below it;
//! - `jwt-core`: `Validation::verify::<Map>` with the same rules and key — what the facade
//!   builds on;
//! - `verifier-map`: `Verifier::verify_as_at::<Map>` with a `jwt_key` — the payload as signed;
//! - `verifier-session`: `Verifier::verify_at` — typed `SessionClaims`;
//! - `verifier-remote-hit`: `verify_as_at::<Map>` with keys from a `RemoteJwks` served by a
//!   local JWKS server, the cache warm;
//! - `token-cache-hit-map` / `token-cache-hit-session`: a repeat of a token the verifier's
//!   opt-in token cache holds;
//! - `paired-*`: two paths alternate in blocks of 16 inside every sample, so load from other
//!   processes hits both alike; the median of the per-sample ratios is the figure to quote on
//!   a shared machine: `verifier-map / floor`, `verifier-session / floor`,
//!   `verifier-map / jwt-core`, `verifier-remote-hit / verifier-map`;
//! - `threads`: tokens per second through one shared `Verifier` on 2 threads against 1 thread
//!   (the same number of tokens, split in two), alternating, with the CPU time each thread
//!   used per token (`CLOCK_THREAD_CPUTIME_ID`) — wall-clock scaling depends on
//!   whether the machine has a free core; CPU time per token shows whether the threads slow
//!   each other down (a shared lock or a contended cache line would).
//!
//! The verifier's future completes on its first poll (no await is pending on these paths),
//! so it is polled once with a no-op waker: no executor cost is measured.
//!
//! Run with `cargo bench -p clerk-verify --bench facade`. For instruction counts, set
//! `FACADE_COUNT=<row>:<n>` (rows: `floor`, `jwt-core`, `verifier-map`, `verifier-session`,
//! `verifier-remote-hit`, `token-cache-hit-map`, `token-cache-hit-session`): the bench then
//! runs that row `n` times and exits, for `valgrind --tool=callgrind`; the difference between
//! two counts divided by the difference in `n` is the cost of one call.
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

use std::cell::RefCell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_verify::{Timestamp, TokenCacheOptions, Verifier, VerifyTokenOptions};
use criterion::Criterion;
use integration_tests::{clerk_payload, keys};
use jwt_core::Algorithm;
use ring::signature;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_700_000_000;
/// The token length the jwt-core bench uses: a Clerk session token with a custom claim.
const TARGET_LEN: usize = 750;
/// Iterations per side before a paired measurement switches to the other side.
const PAIR_BLOCK: u64 = 16;
/// Tokens per side of one threads sample.
const THREAD_BATCH: u64 = 200;

fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("these paths never wait"),
    }
}

/// A local JWKS server (the Backend API's `/v1/jwks`), on the runtime's worker.
fn serve_jwks(rt: &tokio::runtime::Runtime, jwks: Value) -> std::net::SocketAddr {
    use http_body_util::Full;
    use hyper::service::service_fn;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let body = bytes::Bytes::from(jwks.to_string());
    rt.spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(body)))
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    addr
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`), for the threads row.
fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

/// Median of the values collected by a paired or threaded row.
fn median(v: &RefCell<Vec<f64>>) -> Option<f64> {
    let mut v = v.borrow().clone();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Runs `a` and `b` alternately in blocks inside one sample of `iters` each; records
/// `time(a) / time(b)` and reports `a`'s time.
fn paired(iters: u64, ratios: &RefCell<Vec<f64>>, a: &dyn Fn(), b: &dyn Fn()) -> Duration {
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    let mut left = iters;
    while left > 0 {
        let n = left.min(PAIR_BLOCK);
        left -= n;
        let t0 = Instant::now();
        for _ in 0..n {
            a();
        }
        let t1 = Instant::now();
        for _ in 0..n {
            b();
        }
        let t2 = Instant::now();
        ta += t1 - t0;
        tb += t2 - t1;
    }
    ratios
        .borrow_mut()
        .push(ta.as_secs_f64() / tb.as_secs_f64());
    ta
}

/// Verifies `n` tokens on each of `threads` scoped threads; returns the wall time and the
/// CPU time all threads used.
fn run_threads(threads: u64, n: u64, verify: &(dyn Fn() + Sync)) -> (Duration, Option<Duration>) {
    let start = Instant::now();
    let cpu: Option<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let c0 = thread_cpu_time();
                    for _ in 0..n {
                        verify();
                    }
                    Some(thread_cpu_time()? - c0?)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    (start.elapsed(), cpu)
}

/// A Clerk-like payload padded with a custom claim so that the token is about `TARGET_LEN`.
fn payload_for(sign: &dyn Fn(&Value) -> String) -> Value {
    let mut payload = clerk_payload(NOW);
    let unpadded = sign(&payload).len();
    if unpadded < TARGET_LEN {
        let pad = (TARGET_LEN - unpadded) * 3 / 4;
        payload["org_slug"] = Value::String("x".repeat(pad.saturating_sub(14)));
    }
    payload
}

fn main() {
    let key = keys::rsa2048_a();
    let header = json!({"typ": "JWT", "kid": "ins_1"});
    let payload = payload_for(&|p| key.sign(Algorithm::RS256, &header, p));
    let token = key.sign(Algorithm::RS256, &header, &payload);
    let now = Timestamp::from_unix_seconds(NOW);

    // The floor: ring's own check, key components decoded once.
    let jwk = key.verifying_key().to_jwk().unwrap();
    let n = URL_SAFE_NO_PAD.decode(jwk.n.unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwk.e.unwrap()).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let (input, sig) = (
        input.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
    );
    let floor = || {
        signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                black_box(&input),
                black_box(&sig),
            )
            .unwrap();
    };

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
    let addr = serve_jwks(
        &rt,
        json!({"keys": [key.public_jwk("ins_1", Some(Algorithm::RS256))]}),
    );
    let remote = Verifier::new(
        &VerifyTokenOptions::default()
            .with_secret_key("sk_bench")
            .with_api_url(format!("http://{addr}"))
            .with_authorized_parties(["https://app.example.com"]),
    )
    .unwrap();
    rt.block_on(remote.key_set()).unwrap(); // pre-warmed
    let _runtime = rt.enter(); // a refresh ahead of expiry would spawn on it

    let map = |v: &Verifier| {
        black_box(ready(v.verify_as_at::<Map<String, Value>>(black_box(&token), now)).unwrap());
    };
    let session = |v: &Verifier| {
        black_box(ready(v.verify_at(black_box(&token), now)).unwrap());
    };
    // Every path agrees that the token is good before anything is timed.
    floor();
    core();
    map(&verifier);
    session(&verifier);
    map(&remote);
    map(&cached);
    assert_eq!(cached.cached_tokens(), 1);

    if let Ok(spec) = std::env::var("FACADE_COUNT") {
        let (row, count) = spec.split_once(':').expect("FACADE_COUNT=<row>:<n>");
        let count: u64 = count.parse().unwrap();
        let run: Box<dyn Fn()> = match row {
            "floor" => Box::new(floor),
            "jwt-core" => Box::new(core),
            "verifier-map" => Box::new(|| map(&verifier)),
            "verifier-session" => Box::new(|| session(&verifier)),
            "verifier-remote-hit" => Box::new(|| map(&remote)),
            "token-cache-hit-map" => Box::new(|| map(&cached)),
            "token-cache-hit-session" => Box::new(|| session(&cached)),
            other => panic!("unknown row {other}"),
        };
        for _ in 0..count {
            run();
        }
        println!("ran {row} {count} times");
        return;
    }

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("facade-rs256");
    g.bench_function("floor", |b| b.iter(floor));
    g.bench_function("jwt-core", |b| b.iter(core));
    g.bench_function("verifier-map", |b| b.iter(|| map(&verifier)));
    g.bench_function("verifier-session", |b| b.iter(|| session(&verifier)));
    g.bench_function("verifier-remote-hit", |b| b.iter(|| map(&remote)));
    g.bench_function("token-cache-hit-map", |b| b.iter(|| map(&cached)));
    g.bench_function("token-cache-hit-session", |b| b.iter(|| session(&cached)));

    let map_floor = RefCell::new(Vec::new());
    g.bench_function("paired-map-floor", |b| {
        b.iter_custom(|iters| paired(iters, &map_floor, &|| map(&verifier), &floor))
    });
    let session_floor = RefCell::new(Vec::new());
    g.bench_function("paired-session-floor", |b| {
        b.iter_custom(|iters| paired(iters, &session_floor, &|| session(&verifier), &floor))
    });
    let map_core = RefCell::new(Vec::new());
    g.bench_function("paired-map-jwtcore", |b| {
        b.iter_custom(|iters| paired(iters, &map_core, &|| map(&verifier), &core))
    });
    let remote_local = RefCell::new(Vec::new());
    g.bench_function("paired-remote-local", |b| {
        b.iter_custom(|iters| paired(iters, &remote_local, &|| map(&remote), &|| map(&verifier)))
    });

    // Threads: the same number of tokens on 1 thread, then split over 2; one sample covers
    // `iters` such rounds. Reports the 1-thread time; records throughput and CPU ratios.
    let (speedup, cpu_ratio) = (RefCell::new(Vec::new()), RefCell::new(Vec::new()));
    let shared = verifier.clone();
    let one = |v: &Verifier| map(v);
    g.sample_size(20);
    g.bench_function("threads", |b| {
        b.iter_custom(|iters| {
            let (mut wall1, mut wall2) = (Duration::ZERO, Duration::ZERO);
            let (mut cpu1, mut cpu2) = (Some(Duration::ZERO), Some(Duration::ZERO));
            for _ in 0..iters {
                let (w, c) = run_threads(1, THREAD_BATCH, &|| one(&shared));
                wall1 += w;
                cpu1 = cpu1.zip(c).map(|(a, b)| a + b);
                let (w, c) = run_threads(2, THREAD_BATCH / 2, &|| one(&shared));
                wall2 += w;
                cpu2 = cpu2.zip(c).map(|(a, b)| a + b);
            }
            speedup
                .borrow_mut()
                .push(wall1.as_secs_f64() / wall2.as_secs_f64());
            if let (Some(c1), Some(c2)) = (cpu1, cpu2) {
                cpu_ratio
                    .borrow_mut()
                    .push(c2.as_secs_f64() / c1.as_secs_f64());
            }
            wall1
        })
    });
    g.finish();
    c.final_summary();

    let show = |name: &str, v: &RefCell<Vec<f64>>| {
        if let Some(m) = median(v) {
            println!(
                "facade paired {name} = {m:.3} (median of {} samples)",
                v.borrow().len()
            );
        }
    };
    show("verifier-map / floor", &map_floor);
    show("verifier-session / floor", &session_floor);
    show("verifier-map / jwt-core", &map_core);
    show("verifier-remote-hit / verifier-map", &remote_local);
    show("threads 2-thread / 1-thread throughput", &speedup);
    show("threads 2-thread / 1-thread CPU time per token", &cpu_ratio);
    println!("facade token: {} bytes", token.len());
}
