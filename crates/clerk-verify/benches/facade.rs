//! The facade's cost over `jwt-core`, networkless, on a Clerk-like RS256 token.
//!
//! Measured in one run, same token and key:
//!
//! - `signature`: `VerifyingKey::verify_signature` alone (the *ring* check through jwt-core);
//! - `jwt-core`: `Validation::verify::<Claims>` with Clerk's rules;
//! - `verifier-map`: `Verifier::verify_as_at::<Map>` — the payload as signed;
//! - `verifier-session`: `Verifier::verify_at` — typed `SessionClaims`;
//! - `verifier-remote-hit`: `verify_as_at::<Map>` with keys from a (fake, local) Backend API,
//!   the cache warm: the cost of a remote cache hit.
//!
//! The verifier's future completes on its first poll with a PEM key (no await is pending),
//! so it is polled once with a no-op waker: no executor cost is measured. Prints
//! `verifier / jwt-core` and `verifier / signature` ratios from criterion's medians.
//! Run with `cargo bench -p clerk-verify --bench facade`.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "bench setup on fixed, bundled fixtures; a failure is a broken bench"
)]

use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use clerk_verify::{Timestamp, Verifier, VerifyTokenOptions};
use criterion::Criterion;
use integration_tests::{clerk_payload, keys};
use jwt_core::{Algorithm, Claims, Limits, UnverifiedToken, Validation};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_700_000_000;

fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the networkless path never waits"),
    }
}

/// A local Backend API serving `jwks` at `/v1/jwks`, on the runtime's worker.
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

fn main() {
    let key = keys::rsa2048_a();
    let payload = clerk_payload(NOW);
    let token = key.sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": "ins_1"}),
        &payload,
    );
    let now = Timestamp::from_unix_seconds(NOW);
    let vk = key.verifying_key();
    let parsed = UnverifiedToken::parse(&token, &Limits::default()).unwrap();
    let (input, sig) = (
        parsed.signing_input().to_owned(),
        parsed.signature().to_vec(),
    );
    let rules = Validation::new([Algorithm::RS256, Algorithm::RS384, Algorithm::RS512])
        .with_header_types(["JWT"]);
    let verifier =
        Verifier::new(&VerifyTokenOptions::default().with_jwt_key(key.public_pem)).unwrap();
    assert!(ready(verifier.verify_at(&token, now)).is_ok());

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
            .with_api_url(format!("http://{addr}")),
    )
    .unwrap();
    rt.block_on(remote.key_set()).unwrap();
    let _runtime = rt.enter(); // a refresh ahead of expiry would spawn on it
    assert!(ready(remote.verify_at(&token, now)).is_ok());

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("facade-rs256");
    g.bench_function("signature", |b| {
        b.iter(|| {
            vk.verify_signature(
                Algorithm::RS256,
                black_box(input.as_bytes()),
                black_box(&sig),
            )
        })
    });
    g.bench_function("jwt-core", |b| {
        b.iter(|| rules.verify::<Claims>(black_box(&token), &vk, now).unwrap())
    });
    g.bench_function("verifier-map", |b| {
        b.iter(|| {
            ready(verifier.verify_as_at::<Map<String, Value>>(black_box(&token), now)).unwrap()
        })
    });
    g.bench_function("verifier-session", |b| {
        b.iter(|| ready(verifier.verify_at(black_box(&token), now)).unwrap())
    });
    g.bench_function("verifier-remote-hit", |b| {
        b.iter(|| ready(remote.verify_as_at::<Map<String, Value>>(black_box(&token), now)).unwrap())
    });
    g.finish();
    c.final_summary();

    let median = |name: &str| -> Option<f64> {
        let path = PathBuf::from(
            std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "../../target".into()),
        )
        .join("criterion/facade-rs256")
        .join(name)
        .join("new/estimates.json");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        v.pointer("/median/point_estimate")?.as_f64()
    };
    if let (Some(s), Some(j), Some(m), Some(t), Some(r)) = (
        median("signature"),
        median("jwt-core"),
        median("verifier-map"),
        median("verifier-session"),
        median("verifier-remote-hit"),
    ) {
        println!("facade ratio verifier-map / jwt-core = {:.3}", m / j);
        println!("facade ratio verifier-map / signature = {:.3}", m / s);
        println!("facade ratio verifier-session / signature = {:.3}", t / s);
        println!(
            "facade ratio verifier-remote-hit / verifier-map = {:.3}",
            r / m
        );
    }
}
