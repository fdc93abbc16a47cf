//! jwt-core on its aws-lc-rs backend against the aws-lc-rs floor and the *ring* floor, per
//! algorithm, in one run.
//!
//! Built only with the `aws-lc-rs` feature, so `full` below goes through the aws-lc-rs
//! backend (keys parsed once, when loaded). For each algorithm (RS256 and PS256 with a 2048-bit
//! key, ES256, ES384, ES512, EdDSA, HS256) the same Clerk-like token of about 750 bytes is
//! measured as:
//!
//! - `full`: `Validation::verify::<Claims>` with issuer and authorized-party checks — parse,
//!   header rules, allow-list, key family, signature, claims, every claim handed back as an
//!   owned map;
//! - `typed`: the same into a typed claims struct such as an application defines,
//!   deserialized straight from the payload (the cheapest path);
//! - `aws-lc floor`: the bare aws-lc-rs check of the same signing input and signature with a
//!   key parsed once (`ParsedPublicKey::verify_sig`, `hmac::verify` with a pre-built key) —
//!   the cost no verifier on aws-lc-rs can go below;
//! - `ring floor`: the bare *ring* check of the same bytes, as in the `verify` bench
//!   (`RsaPublicKeyComponents::verify`, which parses the RSA key on every call,
//!   `UnparsedPublicKey::verify`, `hmac::verify`); *ring* has no ES512;
//! - `jsonwebtoken 11`: `jsonwebtoken::decode` (11.x on aws-lc-rs, the peer on the same crypto
//!   library) of the same token into a JSON value, with its closest equivalent of our rules;
//!   it has no ES512;
//! - `paired`: blocks of 16 of each of the above alternate inside every sample, so load from
//!   other processes hits all of them alike; the medians of the per-sample ratios are the
//!   figures to quote on a shared machine.
//!
//! Run with `cargo bench -p jwt-core --features aws-lc-rs,integration-tests/aws-lc-rs --bench
//! backends`; it prints the paired ratios and the independent criterion medians at the end.
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
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self as aws_sig, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use integration_tests::bench::{SessionClaims, interleaved};
use integration_tests::jsonwebtoken11 as peer;
use integration_tests::{TestKey, clerk_payload, hmac_sign, keys, pem_der, signing_input};
use jwt_core::{Algorithm, Claims, Timestamp, Validation, VerifyingKey};
use ring::signature as ring_sig;
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const TARGET_LEN: usize = 750;
const SECRET: &[u8] = b"bench-hmac-secret-of-thirty-two-bytes-or-more";

/// The bare aws-lc-rs check, with the key parsed once.
enum AwsFloor {
    Parsed(ParsedPublicKey),
    /// Boxed: an aws-lc-rs HMAC key holds its HMAC context inline (over a kilobyte).
    Hmac(Box<aws_lc_rs::hmac::Key>),
}

impl AwsFloor {
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            AwsFloor::Parsed(key) => key.verify_sig(msg, sig).is_ok(),
            AwsFloor::Hmac(key) => aws_lc_rs::hmac::verify(key, msg, sig).is_ok(),
        }
    }
}

/// The bare *ring* check, with key material prepared once (*ring* parses it on every call).
enum RingFloor {
    Rsa {
        params: &'static ring_sig::RsaParameters,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Unparsed {
        alg: &'static dyn ring_sig::VerificationAlgorithm,
        public: Vec<u8>,
    },
    Hmac(ring::hmac::Key),
}

impl RingFloor {
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            RingFloor::Rsa { params, n, e } => ring_sig::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok(),
            RingFloor::Unparsed { alg, public } => ring_sig::UnparsedPublicKey::new(*alg, public)
                .verify(msg, sig)
                .is_ok(),
            RingFloor::Hmac(key) => ring::hmac::verify(key, msg, sig).is_ok(),
        }
    }
}

struct Case {
    alg: Algorithm,
    token: String,
    key: VerifyingKey,
    aws: AwsFloor,
    ring: Option<RingFloor>,
    /// The same key for `jsonwebtoken` 11, which has no ES512.
    peer: Option<peer::DecodingKey>,
}

/// `jsonwebtoken`'s closest equivalent of our rules: the algorithm, `exp` and `sub` required,
/// `exp` and `nbf` checked, the issuer checked (it has no authorized-party or `iat` check, so
/// it does slightly less work). It reads the clock itself, so its leeway is widened by the
/// distance between the bench's fixed `now` and the real clock; the comparisons still run.
fn peer_rules(alg: Algorithm) -> peer::Validation {
    let peer_alg = match alg {
        Algorithm::RS256 => peer::Algorithm::RS256,
        Algorithm::PS256 => peer::Algorithm::PS256,
        Algorithm::ES256 => peer::Algorithm::ES256,
        Algorithm::ES384 => peer::Algorithm::ES384,
        Algorithm::EdDSA => peer::Algorithm::EdDSA,
        Algorithm::HS256 => peer::Algorithm::HS256,
        other => panic!("jsonwebtoken has no {other}"),
    };
    let mut v = peer::Validation::new(peer_alg);
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    v.leeway = real_now.saturating_sub(NOW.unsigned_abs()) + 3_600;
    v.validate_nbf = true;
    v.set_issuer(&["https://clerk.example.com"]);
    v.set_required_spec_claims(&["exp", "sub"]);
    v
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

fn header() -> Value {
    json!({"typ": "JWT", "kid": "ins_2abc3def4ghi5jkl6mno7pqr8st"})
}

/// ES512 tokens are signed with aws-lc-rs: the test kit signs with *ring*, which has no P-521.
fn es512_sign(kit: TestKey, payload: &Value) -> String {
    let mut h = header();
    h["alg"] = "ES512".into();
    let input = signing_input(&h, payload);
    let pair = aws_sig::EcdsaKeyPair::from_pkcs8(
        &aws_sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        &pem_der(kit.private_pem),
    )
    .unwrap();
    let sig = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

fn public_case(kit: TestKey, alg: Algorithm) -> Case {
    let token = if alg == Algorithm::ES512 {
        token_for(&|p| es512_sign(kit, p))
    } else {
        token_for(&|p| kit.sign(alg, &header(), p))
    };
    let key = kit.verifying_key();
    let jwk = key.to_jwk().unwrap();
    let point = || {
        let mut point = vec![4u8];
        point.extend(b64d(jwk.x.as_deref().unwrap()));
        point.extend(b64d(jwk.y.as_deref().unwrap()));
        point
    };
    let jwk_str = |v: &Option<String>| v.as_deref().unwrap().to_owned();
    let peer = match alg {
        Algorithm::RS256 | Algorithm::PS256 => Some(
            peer::DecodingKey::from_rsa_components(&jwk_str(&jwk.n), &jwk_str(&jwk.e)).unwrap(),
        ),
        Algorithm::ES256 | Algorithm::ES384 => {
            Some(peer::DecodingKey::from_ec_components(&jwk_str(&jwk.x), &jwk_str(&jwk.y)).unwrap())
        }
        Algorithm::EdDSA => Some(peer::DecodingKey::from_ed_components(&jwk_str(&jwk.x)).unwrap()),
        _ => None,
    };
    let (aws, ring): (AwsFloor, Option<RingFloor>) = match alg {
        Algorithm::RS256 | Algorithm::PS256 => {
            let (n, e) = (
                b64d(jwk.n.as_deref().unwrap()),
                b64d(jwk.e.as_deref().unwrap()),
            );
            let (aws_params, ring_params) = if alg == Algorithm::RS256 {
                (
                    &aws_sig::RSA_PKCS1_2048_8192_SHA256,
                    &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                )
            } else {
                (
                    &aws_sig::RSA_PSS_2048_8192_SHA256,
                    &ring_sig::RSA_PSS_2048_8192_SHA256,
                )
            };
            let parsed = RsaPublicKeyComponents { n: &n, e: &e }
                .to_parsed_public_key(aws_params)
                .unwrap();
            (
                AwsFloor::Parsed(parsed),
                Some(RingFloor::Rsa {
                    params: ring_params,
                    n,
                    e,
                }),
            )
        }
        Algorithm::ES256 => (
            AwsFloor::Parsed(
                ParsedPublicKey::new(&aws_sig::ECDSA_P256_SHA256_FIXED, point()).unwrap(),
            ),
            Some(RingFloor::Unparsed {
                alg: &ring_sig::ECDSA_P256_SHA256_FIXED,
                public: point(),
            }),
        ),
        Algorithm::ES384 => (
            AwsFloor::Parsed(
                ParsedPublicKey::new(&aws_sig::ECDSA_P384_SHA384_FIXED, point()).unwrap(),
            ),
            Some(RingFloor::Unparsed {
                alg: &ring_sig::ECDSA_P384_SHA384_FIXED,
                public: point(),
            }),
        ),
        Algorithm::ES512 => (
            AwsFloor::Parsed(
                ParsedPublicKey::new(&aws_sig::ECDSA_P521_SHA512_FIXED, point()).unwrap(),
            ),
            None,
        ),
        Algorithm::EdDSA => {
            let x = b64d(jwk.x.as_deref().unwrap());
            (
                AwsFloor::Parsed(ParsedPublicKey::new(&aws_sig::ED25519, &x).unwrap()),
                Some(RingFloor::Unparsed {
                    alg: &ring_sig::ED25519,
                    public: x,
                }),
            )
        }
        other => panic!("{other} is not a public-key algorithm"),
    };
    Case {
        alg,
        token,
        key,
        aws,
        ring,
        peer,
    }
}

fn cases() -> Vec<Case> {
    let mut all = vec![
        public_case(keys::rsa2048_a(), Algorithm::RS256),
        public_case(keys::rsa2048_a(), Algorithm::PS256),
        public_case(keys::p256(), Algorithm::ES256),
        public_case(keys::p384(), Algorithm::ES384),
        public_case(keys::p521(), Algorithm::ES512),
        public_case(keys::ed25519(), Algorithm::EdDSA),
    ];
    all.push(Case {
        alg: Algorithm::HS256,
        token: token_for(&|p| hmac_sign(Algorithm::HS256, SECRET, &json!({"typ": "JWT"}), p)),
        key: VerifyingKey::hmac(SECRET).unwrap(),
        aws: AwsFloor::Hmac(Box::new(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            SECRET,
        ))),
        ring: Some(RingFloor::Hmac(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            SECRET,
        ))),
        peer: Some(peer::DecodingKey::from_secret(SECRET)),
    });
    all
}

/// Medians of the per-sample paired ratios for one algorithm.
struct Paired {
    alg: Algorithm,
    full_over_aws: f64,
    typed_over_aws: f64,
    full_over_ring: Option<f64>,
    aws_over_ring: Option<f64>,
    peer_over_aws: Option<f64>,
    full_over_peer: Option<f64>,
    samples: usize,
}

/// Criterion's medians of the independent rows, in nanoseconds.
struct Rows {
    alg: Algorithm,
    full: Option<f64>,
    aws: Option<f64>,
    ring: Option<f64>,
    peer: Option<f64>,
}

thread_local! {
    static PAIRED: RefCell<Vec<Paired>> = const { RefCell::new(Vec::new()) };
    static ROWS: RefCell<Vec<Rows>> = const { RefCell::new(Vec::new()) };
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Times `f` over `iters` calls.
fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let t0 = Instant::now();
    for _ in 0..iters {
        f();
    }
    t0.elapsed()
}

/// The median of one benchmark's per-iteration times, from a plain `iter_custom` loop that
/// also keeps each sample's time (criterion's own estimates stay on disk; this keeps the
/// summary to this run). `None` when a criterion filter skipped the row.
fn row(c: &mut Criterion, group: &str, id: &str, f: &mut dyn FnMut()) -> Option<f64> {
    let per_iter = RefCell::new(Vec::new());
    c.benchmark_group(group).bench_function(id, |b| {
        b.iter_custom(|iters| {
            let d = timed(iters, &mut *f);
            per_iter
                .borrow_mut()
                .push(d.as_secs_f64() * 1e9 / iters as f64);
            d
        })
    });
    median(per_iter.into_inner())
}

fn bench_backends(c: &mut Criterion) {
    assert_eq!(jwt_core::BACKEND, "aws-lc-rs");
    let now = Timestamp::from_unix_seconds(NOW);
    for case in cases() {
        let rules = Validation::new([case.alg])
            .with_issuers(["https://clerk.example.com"])
            .with_authorized_parties(["https://app.example.com"]);
        // Every path must agree that the token is good before anything is timed.
        let verified = rules.verify::<Claims>(&case.token, &case.key, now).unwrap();
        assert_eq!(verified.algorithm(), case.alg);
        rules
            .verify::<SessionClaims>(&case.token, &case.key, now)
            .unwrap();
        let (msg, sig) = case.token.rsplit_once('.').unwrap();
        let (msg, sig) = (msg.as_bytes().to_vec(), b64d(sig));
        assert!(case.aws.verify(&msg, &sig));
        assert!(case.ring.as_ref().is_none_or(|r| r.verify(&msg, &sig)));
        let peer_rules = case.peer.as_ref().map(|_| peer_rules(case.alg));
        if let (Some(k), Some(v)) = (&case.peer, &peer_rules) {
            peer::decode::<Value>(&case.token, k, v).unwrap();
        }

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
        let aws = || assert!(case.aws.verify(black_box(&msg), black_box(&sig)));
        let ring = || {
            if let Some(r) = &case.ring {
                assert!(r.verify(black_box(&msg), black_box(&sig)));
            }
        };
        let peer = || {
            if let (Some(k), Some(v)) = (&case.peer, &peer_rules) {
                black_box(peer::decode::<Value>(black_box(&case.token), k, v).unwrap());
            }
        };

        let group = format!("backends {}", case.alg);
        let full_ns = row(c, &group, "full", &mut { full });
        let aws_ns = row(c, &group, "aws-lc floor", &mut { aws });
        let ring_ns = case
            .ring
            .is_some()
            .then(|| row(c, &group, "ring floor", &mut { ring }))
            .flatten();
        let peer_ns = case
            .peer
            .is_some()
            .then(|| row(c, &group, "jsonwebtoken 11", &mut { peer }))
            .flatten();

        // Paired: the three sides alternate in blocks inside every sample; criterion reports
        // the `full` side, and each ratio is the median of the per-sample ratios.
        let ratios = RefCell::new(Vec::new());
        c.benchmark_group(&group).bench_function("paired", |b| {
            b.iter_custom(|iters| {
                // The sides this case has, in order: full, typed, aws-lc floor, then the ring
                // floor and the peer when there are such.
                let mut sides: Vec<&dyn Fn()> = vec![&full, &typed, &aws];
                if case.ring.is_some() {
                    sides.push(&ring);
                }
                if case.peer.is_some() {
                    sides.push(&peer);
                }
                let mut times = interleaved(iters, &sides).into_iter();
                // A side's time, in the same order; zero for a side the case does not have.
                let mut next = |present: bool| {
                    present
                        .then(|| times.next())
                        .flatten()
                        .unwrap_or(Duration::ZERO)
                };
                let (f, t, a) = (next(true), next(true), next(true));
                let (r, p) = (next(case.ring.is_some()), next(case.peer.is_some()));
                let full_time = f;
                let (f, t, a, r, p) = (
                    f.as_secs_f64(),
                    t.as_secs_f64(),
                    a.as_secs_f64(),
                    r.as_secs_f64(),
                    p.as_secs_f64(),
                );
                ratios
                    .borrow_mut()
                    .push([f / a, f / r, a / r, p / a, f / p, t / a]);
                full_time
            })
        });
        let ratios = ratios.into_inner();
        let (has_ring, has_peer) = (case.ring.is_some(), case.peer.is_some());
        let pick = |i: usize| -> Option<f64> { median(ratios.iter().map(|t| t[i]).collect()) };
        if let Some(full_over_aws) = pick(0) {
            PAIRED.with(|p| {
                p.borrow_mut().push(Paired {
                    alg: case.alg,
                    full_over_aws,
                    typed_over_aws: pick(5).unwrap_or(f64::NAN),
                    full_over_ring: pick(1).filter(|_| has_ring),
                    aws_over_ring: pick(2).filter(|_| has_ring),
                    peer_over_aws: pick(3).filter(|_| has_peer),
                    full_over_peer: pick(4).filter(|_| has_peer),
                    samples: ratios.len(),
                })
            });
        }
        ROWS.with(|r| {
            r.borrow_mut().push(Rows {
                alg: case.alg,
                full: full_ns,
                aws: aws_ns,
                ring: ring_ns,
                peer: peer_ns,
            })
        });
        println!("{} token: {} bytes", case.alg, case.token.len());
    }
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |r| format!("{r:.3}×"))
}

fn micros(ns: Option<f64>) -> String {
    ns.map_or_else(|| "—".to_owned(), |ns| format!("{:.2} µs", ns / 1e3))
}

fn print_summary() {
    println!();
    println!(
        "Paired (interleaved in each sample; the figures to quote on a shared machine), \
         full = jwt-core on aws-lc-rs, jwt 11 = jsonwebtoken 11 on aws-lc-rs:"
    );
    println!(
        "| alg | full / aws-lc floor | typed / aws-lc floor | full / ring floor \
         | aws-lc floor / ring floor | jwt 11 / aws-lc floor | full / jwt 11 | samples |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    PAIRED.with(|p| {
        for r in p.borrow().iter() {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.alg,
                ratio(Some(r.full_over_aws)),
                ratio(Some(r.typed_over_aws)),
                ratio(r.full_over_ring),
                ratio(r.aws_over_ring),
                ratio(r.peer_over_aws),
                ratio(r.full_over_peer),
                r.samples
            );
        }
    });
    println!();
    println!("Independent rows (medians of criterion's samples, measured one after the other):");
    println!("| alg | full | aws-lc floor | ring floor | jsonwebtoken 11 |");
    println!("|---|---|---|---|---|");
    ROWS.with(|rows| {
        for r in rows.borrow().iter() {
            println!(
                "| {} | {} | {} | {} | {} |",
                r.alg,
                micros(r.full),
                micros(r.aws),
                micros(r.ring),
                micros(r.peer)
            );
        }
    });
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    bench_backends(&mut c);
    c.final_summary();
    print_summary();
}
