//! Full verification against the bare *ring* signature check, per algorithm, in one run.
//!
//! For each algorithm (RS256 and PS256 with a 2048-bit key, ES256, ES384, EdDSA, HS256) the
//! same Clerk-like token of about 750 bytes is measured three ways:
//!
//! - `full`: `Validation::verify::<Claims>` — parse, header rules, allow-list, key family,
//!   signature, claim checks, and the claims handed back;
//! - `parse`: `UnverifiedToken::parse` alone (the non-crypto share of `full`);
//! - `floor`: the bare *ring* check of the same signing input and signature bytes with the
//!   same key material (`RsaPublicKeyComponents::verify`, `UnparsedPublicKey::verify`,
//!   `hmac::verify` with a pre-built key) — the cost no verifier on *ring* can go below.
//!
//! - `paired`: full verifications and floor checks alternate in blocks of 16 inside every
//!   sample, so load from other processes hits both sides alike; the median of the per-sample
//!   `full / floor` ratios is the figure to quote on a shared machine.
//!
//! After the measurements it prints the paired ratios, then `full / floor` from criterion's
//! independent median estimates. Run with `cargo bench -p jwt-core --bench verify`.
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

use std::cell::RefCell;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use integration_tests::{TestKey, clerk_payload, hmac_sign, keys};
use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken, Validation, VerifyingKey};
use ring::{hmac, signature};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const TARGET_LEN: usize = 750;
const SECRET: &[u8] = b"bench-hmac-secret-of-thirty-two-bytes-or-more";
/// Iterations per side before the paired measurement switches to the other side.
const PAIR_BLOCK: u64 = 16;

thread_local! {
    /// (algorithm, median paired ratio, samples) per algorithm, filled by `bench_verify`.
    static PAIRED: RefCell<Vec<(Algorithm, f64, usize)>> = const { RefCell::new(Vec::new()) };
}

/// The bare ring check for one algorithm, with key material prepared once.
enum Floor {
    Rsa {
        params: &'static signature::RsaParameters,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Unparsed {
        alg: &'static dyn signature::VerificationAlgorithm,
        public: Vec<u8>,
    },
    Hmac(hmac::Key),
}

impl Floor {
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Floor::Rsa { params, n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok(),
            Floor::Unparsed { alg, public } => signature::UnparsedPublicKey::new(*alg, public)
                .verify(msg, sig)
                .is_ok(),
            Floor::Hmac(key) => hmac::verify(key, msg, sig).is_ok(),
        }
    }
}

struct Case {
    alg: Algorithm,
    token: String,
    key: VerifyingKey,
    floor: Floor,
}

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// A Clerk-like payload padded with a custom claim so that the token is about `TARGET_LEN`.
fn token_for(sign: &dyn Fn(&Value) -> String) -> String {
    let mut payload = clerk_payload(NOW);
    let unpadded = sign(&payload).len();
    if unpadded < TARGET_LEN {
        // Four base64 characters per three bytes of JSON.
        let pad = (TARGET_LEN - unpadded) * 3 / 4;
        payload["org_slug"] = Value::String("x".repeat(pad.saturating_sub(14)));
    }
    sign(&payload)
}

fn public_case(kit: TestKey, alg: Algorithm) -> Case {
    let header = json!({"typ": "JWT", "kid": "ins_2abc3def4ghi5jkl6mno7pqr8st"});
    let token = token_for(&|p| kit.sign(alg, &header, p));
    let key = kit.verifying_key();
    let jwk = key.to_jwk().unwrap();
    let floor = match alg {
        Algorithm::RS256 | Algorithm::PS256 => Floor::Rsa {
            params: if alg == Algorithm::RS256 {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            },
            n: b64d(jwk.n.as_deref().unwrap()),
            e: b64d(jwk.e.as_deref().unwrap()),
        },
        Algorithm::ES256 | Algorithm::ES384 => {
            let mut point = vec![4u8];
            point.extend(b64d(jwk.x.as_deref().unwrap()));
            point.extend(b64d(jwk.y.as_deref().unwrap()));
            Floor::Unparsed {
                alg: if alg == Algorithm::ES256 {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                },
                public: point,
            }
        }
        Algorithm::EdDSA => Floor::Unparsed {
            alg: &signature::ED25519,
            public: b64d(jwk.x.as_deref().unwrap()),
        },
        other => panic!("{other} is not a public-key algorithm"),
    };
    Case {
        alg,
        token,
        key,
        floor,
    }
}

fn cases() -> Vec<Case> {
    let hs_header = json!({"typ": "JWT"});
    let mut all = vec![
        public_case(keys::rsa2048_a(), Algorithm::RS256),
        public_case(keys::rsa2048_a(), Algorithm::PS256),
        public_case(keys::p256(), Algorithm::ES256),
        public_case(keys::p384(), Algorithm::ES384),
        public_case(keys::ed25519(), Algorithm::EdDSA),
    ];
    all.push(Case {
        alg: Algorithm::HS256,
        token: token_for(&|p| hmac_sign(Algorithm::HS256, SECRET, &hs_header, p)),
        key: VerifyingKey::hmac(SECRET).unwrap(),
        floor: Floor::Hmac(hmac::Key::new(hmac::HMAC_SHA256, SECRET)),
    });
    all
}

fn group_name(alg: Algorithm) -> String {
    format!("jwt-core {alg}")
}

fn bench_verify(c: &mut Criterion) {
    let now = Timestamp::from_unix_seconds(NOW);
    for case in cases() {
        let rules = Validation::new([case.alg])
            .with_issuers(["https://clerk.example.com"])
            .with_authorized_parties(["https://app.example.com"]);
        // Both paths must agree that the token is good before anything is timed.
        let verified = rules.verify::<Claims>(&case.token, &case.key, now).unwrap();
        assert_eq!(verified.algorithm(), case.alg);
        let (msg, sig) = case.token.rsplit_once('.').unwrap();
        let (msg, sig) = (msg.as_bytes().to_vec(), b64d(sig));
        assert!(case.floor.verify(&msg, &sig));

        let mut g = c.benchmark_group(group_name(case.alg));
        g.bench_function("full", |b| {
            b.iter(|| {
                rules
                    .verify::<Claims>(black_box(&case.token), &case.key, now)
                    .unwrap()
            })
        });
        g.bench_function("parse", |b| {
            b.iter(|| UnverifiedToken::parse(black_box(&case.token), &Limits::default()).unwrap())
        });
        g.bench_function("floor", |b| {
            b.iter(|| assert!(case.floor.verify(black_box(&msg), black_box(&sig))))
        });
        // Paired: blocks of full verifications and floor checks alternate inside every sample,
        // so a neighbour's load hits both sides alike; criterion reports the full side, and the
        // ratio is the median of the per-sample ratios.
        let ratios = RefCell::new(Vec::new());
        g.bench_function("paired", |b| {
            b.iter_custom(|iters| {
                let (mut full, mut floor) = (Duration::ZERO, Duration::ZERO);
                let mut left = iters;
                while left > 0 {
                    let n = left.min(PAIR_BLOCK);
                    left -= n;
                    let t0 = Instant::now();
                    for _ in 0..n {
                        black_box(
                            rules
                                .verify::<Claims>(black_box(&case.token), &case.key, now)
                                .unwrap(),
                        );
                    }
                    let t1 = Instant::now();
                    for _ in 0..n {
                        assert!(case.floor.verify(black_box(&msg), black_box(&sig)));
                    }
                    let t2 = Instant::now();
                    full += t1 - t0;
                    floor += t2 - t1;
                }
                ratios
                    .borrow_mut()
                    .push(full.as_secs_f64() / floor.as_secs_f64());
                full
            })
        });
        g.finish();
        let mut r = ratios.into_inner();
        r.sort_by(f64::total_cmp);
        if let Some(median) = r.get(r.len() / 2) {
            PAIRED.with(|p| p.borrow_mut().push((case.alg, *median, r.len())));
        }
        println!("{} token: {} bytes", case.alg, case.token.len());
    }
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

fn print_ratios() {
    println!();
    println!("Paired (interleaved in each sample; the figure to quote on a shared machine):");
    println!("| alg | full / floor, median of samples | samples |");
    println!("|---|---|---|");
    PAIRED.with(|p| {
        for (alg, ratio, n) in p.borrow().iter() {
            println!("| {alg} | {ratio:.3}× | {n} |");
        }
    });
    println!();
    println!("Independent rows (criterion medians, measured one after the other):");
    println!("| alg | full | parse | ring floor | full / floor |");
    println!("|---|---|---|---|---|");
    for alg in [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ] {
        let g = group_name(alg);
        let (full, parse, floor) = (
            median_ns(&g, "full"),
            median_ns(&g, "parse"),
            median_ns(&g, "floor"),
        );
        // With a criterion filter, rows it skipped have no estimate from this run.
        if full.is_none() && parse.is_none() && floor.is_none() {
            continue;
        }
        let ratio = full
            .zip(floor)
            .map_or_else(|| "—".to_owned(), |(a, b)| format!("{:.3}×", a / b));
        println!(
            "| {alg} | {} | {} | {} | {ratio} |",
            micros(full),
            micros(parse),
            micros(floor)
        );
    }
}

fn main() {
    STARTED.get_or_init(SystemTime::now);
    let mut c = Criterion::default().configure_from_args();
    bench_verify(&mut c);
    c.final_summary();
    print_ratios();
}
