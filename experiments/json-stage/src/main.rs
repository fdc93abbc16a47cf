//! Does a vectorised JSON reader make the parse of a session token cheaper?
//!
//! Four ways to parse the same HS256 token of about 750 bytes (the jwt-core benches' token:
//! `clerk_payload` padded with a long `org_slug`) into the same typed claims struct:
//!
//! - `jwt-core prepare`: `UnverifiedToken::prepare` (strict: unique names at every depth,
//!   depth limit, header rules, registered claims captured for the checks);
//! - `serde_json`, `sonic-rs`, `simd-json`: split at the dots, decode the three segments with
//!   `base64-simd` (the decoder jwt-core uses, so that only the JSON reader differs), read the
//!   header's `alg` with serde_json, and read the claims with the library named (none of
//!   jwt-core's strictness).
//!
//! The four alternate in blocks of 16 calls (`integration_tests::bench::interleaved`) in each
//! of 25 rounds, so that the machine's load hits all alike; printed are the median time per
//! call and the median of the per-round ratios to the `serde_json` row.
//!
//! Run: `cargo run --release --manifest-path experiments/json-stage/Cargo.toml`.
#![forbid(unsafe_code)]

use std::hint::black_box;

use integration_tests::bench::{SessionClaims, interleaved};
use integration_tests::{clerk_payload, hmac_sign};
use jwt_core::{Algorithm, Limits, UnverifiedToken};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: &'a str,
}

/// The jwt-core benches' HS256 token of about `len` bytes.
fn token(len: usize) -> String {
    let secret = b"bench-hmac-secret-of-thirty-two-bytes-or-more";
    let sign = |p: &Value| hmac_sign(Algorithm::HS256, secret, &json!({"typ": "JWT"}), p);
    let mut payload = clerk_payload(1_700_000_000);
    let pad = len.saturating_sub(sign(&payload).len()) * 3 / 4;
    payload["org_slug"] = Value::String("x".repeat(pad.saturating_sub(14)));
    sign(&payload)
}

/// Split, decode, check `alg`; then `claims` reads the decoded payload.
fn parse_with<C>(token: &str, claims: impl FnOnce(Vec<u8>) -> Option<C>) -> Option<(C, Vec<u8>)> {
    let b64 = base64_simd::URL_SAFE_NO_PAD;
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let header = b64.decode_to_vec(header).ok()?;
    if serde_json::from_slice::<Header<'_>>(&header).ok()?.alg != "HS256" {
        return None;
    }
    let signature = b64.decode_to_vec(signature).ok()?;
    let claims = claims(b64.decode_to_vec(payload).ok()?)?;
    Some((claims, signature))
}

fn main() {
    let t = token(750);
    let limits = Limits::default();
    let names = ["serde_json", "jwt-core prepare", "sonic-rs", "simd-json"];
    let sides: [&dyn Fn(); 4] = [
        &|| {
            let p = parse_with(black_box(&t), |p| {
                serde_json::from_slice::<SessionClaims>(&p).ok()
            });
            black_box(p.unwrap());
        },
        &|| {
            let p = UnverifiedToken::prepare::<SessionClaims>(black_box(&t), &limits);
            black_box(p.unwrap());
        },
        &|| {
            let p = parse_with(black_box(&t), |p| {
                sonic_rs::from_slice::<SessionClaims>(&p).ok()
            });
            black_box(p.unwrap());
        },
        &|| {
            let p = parse_with(black_box(&t), |mut p| {
                simd_json::serde::from_slice::<SessionClaims>(&mut p).ok()
            });
            black_box(p.unwrap());
        },
    ];
    const ROUNDS: usize = 25;
    const CALLS: u64 = 40_000;
    interleaved(CALLS / 4, &sides);
    let mut ns = vec![Vec::new(); sides.len()];
    for _ in 0..ROUNDS {
        let times = interleaved(CALLS, &sides);
        for (n, t) in ns.iter_mut().zip(times) {
            n.push(t.as_nanos() as f64 / CALLS as f64);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "token: {} bytes; {ROUNDS} rounds of {CALLS} calls per row",
        t.len()
    );
    println!("| parse | median ns per call | / serde_json (median of rounds) |");
    println!("|---|---|---|");
    for (name, n) in names.iter().zip(&ns) {
        let ratios = n.iter().zip(&ns[0]).map(|(a, b)| a / b).collect();
        println!(
            "| {name} | {:.0} | {:.3} |",
            median(n.clone()),
            median(ratios)
        );
    }
}
