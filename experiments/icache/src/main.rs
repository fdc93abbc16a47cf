//! How much of a verification's time is the instruction cache?
//!
//! A facade `verify()` runs the RSA check (*ring*'s code) and our parsing (jwt-core's and the
//! facade's code) one after the other; together they touch more code than the 32 KiB L1
//! instruction cache holds, so in cachegrind's model of this machine each `verify()` takes
//! about 720 more L1i misses than the bare check (docs/PERFORMANCE.md). Whether that costs
//! time natively is measured here: each side is timed hot (called back to back, its code
//! cached) and cold (right after `pollute`, about 48 KiB of other code that evicts the L1i
//! and touches no data, itself outside the timed span), and scrambled (right after
//! `scramble`, as much code made of branches on pseudo-random bits, which also leaves the
//! branch predictor's state random: scrambled − cold is what the predictor's lost state
//! costs). Sides:
//!
//! - `floor`: *ring*'s RS256 check, key components decoded once (the facade bench's floor);
//! - `parse`: `Validation::prepare::<SessionClaims>` on the same token (jwt-core's one-pass
//!   reader into the facade's claims type: the parse half of a verification);
//! - `verify`: the facade's `Verifier::verify_at` with the key as `jwt_key`;
//! - the EdDSA floor (*ring*'s Ed25519 check, the key's bytes decoded once) and `verify` with
//!   an Ed25519 `jwt_key`, on the same payload.
//!
//! The sides and the two modes alternate, 16 calls at a time, over 400 rounds; the
//! median ns per call of each is printed, with cold − hot.
//!
//! Run: `cargo run --release --manifest-path experiments/icache/Cargo.toml`.
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_methods,
    reason = "an experiment measures wall time by reading the clock"
)]

include!(concat!(env!("OUT_DIR"), "/polluter.rs"));

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_verify::{SessionClaims, Timestamp, Verifier, VerifyTokenOptions};
use integration_tests::bench::{clerk_payload_of_len, ready, rs256_floor};
use integration_tests::keys;
use jwt_core::{Algorithm, Validation};
use ring::signature;
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const TARGET_LEN: usize = 750;
const BLOCK: usize = 16;
const ROUNDS: usize = 400;

/// `BLOCK` calls back to back: ns per call.
fn hot(f: &dyn Fn()) -> f64 {
    let start = Instant::now();
    for _ in 0..BLOCK {
        f();
    }
    start.elapsed().as_secs_f64() * 1e9 / BLOCK as f64
}

/// `BLOCK` calls, each right after `before` (`pollute` or `scramble`, not timed): ns per call.
fn after(before: fn(u64) -> u64, f: &dyn Fn(), seed: &mut u64) -> f64 {
    let mut total = Duration::ZERO;
    for _ in 0..BLOCK {
        *seed = before(black_box(*seed));
        let start = Instant::now();
        f();
        total += start.elapsed();
    }
    total.as_secs_f64() * 1e9 / BLOCK as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let key = keys::rsa2048_a();
    let header = json!({"typ": "JWT", "kid": "ins_1"});
    // The facade bench's token and floor.
    let sign = |p: &serde_json::Value| key.sign(Algorithm::RS256, &header, p);
    let token = sign(&clerk_payload_of_len(NOW, TARGET_LEN, &sign));
    let floor = rs256_floor(&key, &token);
    let rules = Validation::new([Algorithm::RS256]).with_header_types(["JWT"]);
    let parse = || {
        black_box(rules.prepare::<SessionClaims>(black_box(&token)).unwrap());
    };
    let now = Timestamp::from_unix_seconds(NOW);
    let verifier = |pem: &str, alg: Algorithm| {
        let options = VerifyTokenOptions::default()
            .with_jwt_key(pem)
            .with_algorithms([alg])
            .with_authorized_parties(["https://app.example.com"]);
        Verifier::new(&options).unwrap()
    };
    let rs256 = verifier(key.public_pem, Algorithm::RS256);
    let verify = || {
        black_box(ready(rs256.verify_at(black_box(&token), now)).unwrap());
    };

    // The same for EdDSA, its floor *ring*'s Ed25519 check with the key's bytes decoded once.
    let ed = keys::ed25519();
    let sign_ed = |p: &serde_json::Value| ed.sign(Algorithm::EdDSA, &header, p);
    let ed_token = sign_ed(&clerk_payload_of_len(NOW, TARGET_LEN, &sign_ed));
    let x = ed.verifying_key().to_jwk().unwrap().x.unwrap();
    let public =
        signature::UnparsedPublicKey::new(&signature::ED25519, URL_SAFE_NO_PAD.decode(x).unwrap());
    let (input, sig) = ed_token.rsplit_once('.').unwrap();
    let (input, sig) = (
        input.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
    );
    let floor_ed = || {
        public.verify(black_box(&input), black_box(&sig)).unwrap();
    };
    let eddsa = verifier(ed.public_pem, Algorithm::EdDSA);
    let verify_ed = || {
        black_box(ready(eddsa.verify_at(black_box(&ed_token), now)).unwrap());
    };

    let sides: [(&str, &dyn Fn()); 5] = [
        ("RS256 floor", &floor),
        ("parse", &parse),
        ("RS256 verify", &verify),
        ("EdDSA floor", &floor_ed),
        ("EdDSA verify", &verify_ed),
    ];
    let mut seed = 1u64;
    let mut times = vec![(Vec::new(), Vec::new(), Vec::new()); sides.len()];
    for round in 0..ROUNDS {
        for (i, (_, f)) in sides.iter().enumerate() {
            // Rotate which mode goes first.
            for mode in 0..3 {
                match (mode + round) % 3 {
                    0 => times[i].0.push(hot(*f)),
                    1 => times[i].1.push(after(pollute, *f, &mut seed)),
                    _ => times[i].2.push(after(scramble, *f, &mut seed)),
                }
            }
        }
    }
    println!(
        "tokens {} and {} bytes; median ns per call over {ROUNDS} rounds of {BLOCK} calls",
        token.len(),
        ed_token.len()
    );
    println!("| side | hot | cold | cold - hot | scrambled | scrambled - cold |");
    println!("|---|---|---|---|---|---|");
    let mut medians = Vec::new();
    for ((name, _), (h, c, b)) in sides.iter().zip(times) {
        let (h, c, b) = (median(h), median(c), median(b));
        medians.push((h, c, b));
        println!(
            "| {name} | {h:.0} | {c:.0} | {:.0} | {b:.0} | {:.0} |",
            c - h,
            b - c
        );
    }
    for (name, floor, verify) in [
        ("RS256", medians[0], medians[2]),
        ("EdDSA", medians[3], medians[4]),
    ] {
        println!(
            "{name} verify / floor: hot {:.3}, cold {:.3}, scrambled {:.3}; verify - floor: hot {:.0} ns, cold {:.0} ns, scrambled {:.0} ns",
            verify.0 / floor.0,
            verify.1 / floor.1,
            verify.2 / floor.2,
            verify.0 - floor.0,
            verify.1 - floor.1,
            verify.2 - floor.2
        );
    }
    black_box(seed);
}
