//! Load test (not timed): many tasks verify tokens through `RemoteJwks` and `jwt-core` while
//! the key server rotates keys. No valid token may be rejected, no invalid one accepted, and
//! the number of fetches must stay within the cache policy.
//!
//! Rotation follows what identity providers do: a new key is published first, signing
//! switches to it once caches had time to pick it up, and the previous key stays published
//! for a while so tokens already issued keep verifying.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use integration_tests::http::{Reply, TestServer};
use integration_tests::{TestKey, clerk_payload, keys};
use jwks::{KeyProvider, KeyRequest, RemoteJwks};
use jwt_core::{Algorithm, Claims, Limits, Timestamp, UnverifiedToken, Validation};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const GENERATIONS: usize = 8;
const TOKENS_PER_GENERATION: usize = 8;
const TASKS: usize = 8;
/// Freshness the source grants each fetch (the server says `max-age=0`; this is the floor).
const FRESH: Duration = Duration::from_millis(100);
/// The unknown-kid cooldown.
const COOLDOWN: Duration = Duration::from_millis(500);

fn key_of(generation: usize) -> (TestKey, Algorithm) {
    match generation % 5 {
        0 => (keys::rsa2048_a(), Algorithm::RS256),
        1 => (keys::p256(), Algorithm::ES256),
        2 => (keys::ed25519(), Algorithm::EdDSA),
        3 => (keys::rsa2048_b(), Algorithm::RS384),
        _ => (keys::p384(), Algorithm::ES384),
    }
}

fn kid(generation: usize) -> String {
    format!("key-{generation}")
}

/// The published set once generation `g` is published: `g`, the key being signed with
/// (`g - 1`) and the one before it (`g - 2`), whose tokens are still in use.
fn document(g: usize) -> String {
    let keys: Vec<Value> = (g.saturating_sub(2)..=g)
        .map(|i| key_of(i).0.public_jwk(&kid(i), None))
        .collect();
    json!({ "keys": keys }).to_string()
}

/// Why an invalid token is invalid, and the code its rejection must carry.
#[derive(Clone, Copy, Debug)]
enum Bad {
    UnknownKid,
    WrongSignature,
    Expired,
}

impl Bad {
    fn code(self) -> &'static str {
        match self {
            Bad::UnknownKid => "key-not-found",
            Bad::WrongSignature => "invalid-signature",
            Bad::Expired => "expired",
        }
    }
}

struct Tokens {
    valid: Vec<Vec<String>>,
    invalid: Vec<Vec<(String, Bad)>>,
}

fn sign_all() -> Tokens {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for g in 0..GENERATIONS {
        let (key, alg) = key_of(g);
        let header = json!({ "typ": "JWT", "kid": kid(g) });
        let mut v = Vec::new();
        let mut bad = Vec::new();
        for i in 0..TOKENS_PER_GENERATION {
            let mut payload = clerk_payload(NOW);
            payload["sub"] = json!(format!("user_{g}_{i}"));
            let token = key.sign(alg, &header, &payload);
            // The same signature over another payload.
            let mut parts: Vec<&str> = token.split('.').collect();
            let mut other = payload.clone();
            other["sub"] = json!("user_admin");
            let forged_payload = integration_tests::signing_input(&json!({}), &other);
            let forged_payload = forged_payload.split('.').nth(1).unwrap().to_owned();
            parts[1] = &forged_payload;
            bad.push((parts.join("."), Bad::WrongSignature));
            let unknown = json!({ "typ": "JWT", "kid": format!("bogus-{g}-{i}") });
            bad.push((key.sign(alg, &unknown, &payload), Bad::UnknownKid));
            let mut expired = payload.clone();
            expired["exp"] = json!(NOW - 3600);
            bad.push((key.sign(alg, &header, &expired), Bad::Expired));
            v.push(token);
        }
        valid.push(v);
        invalid.push(bad);
    }
    Tokens { valid, invalid }
}

async fn verify(src: &RemoteJwks, rules: &Validation, token: &str) -> Result<(), String> {
    let parsed =
        UnverifiedToken::parse(token, &Limits::default()).map_err(|e| e.code().to_owned())?;
    let alg = rules
        .check_header(parsed.header())
        .map_err(|e| e.code().to_owned())?;
    let req = KeyRequest {
        kid: parsed.header().kid(),
        alg,
    };
    let key = src.key(req).await.map_err(|e| e.code().to_owned())?;
    rules
        .verify_parsed::<Claims>(parsed, &key, Timestamp::from_unix_seconds(NOW))
        .map(|_| ())
        .map_err(|e| e.code().to_owned())
}

#[allow(
    clippy::disallowed_methods,
    reason = "the fetch budget depends on how long the test really ran"
)]
fn start_timer() -> Instant {
    Instant::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_stays_correct_while_keys_rotate() {
    let tokens = Arc::new(sign_all());
    let docs: Arc<Vec<String>> = Arc::new((0..GENERATIONS).map(document).collect());
    let published = Arc::new(AtomicUsize::new(0));
    let server = {
        let docs = Arc::clone(&docs);
        let published = Arc::clone(&published);
        TestServer::scripted(move |_| {
            let g = published.load(Ordering::SeqCst);
            Reply::json(docs[g].clone()).header("cache-control", "max-age=0")
        })
        .await
    };
    let src = RemoteJwks::builder(server.url("/jwks"))
        .max_age_bounds(FRESH, FRESH)
        .unknown_kid_cooldown(COOLDOWN)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let rules = Arc::new(Validation::new([
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ]));
    let started = start_timer();
    src.prefetch().await.unwrap();

    let signing = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let rejected = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (src, rules, tokens) = (src.clone(), Arc::clone(&rules), Arc::clone(&tokens));
        let (signing, stop) = (Arc::clone(&signing), Arc::clone(&stop));
        let (accepted, rejected) = (Arc::clone(&accepted), Arc::clone(&rejected));
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            while !stop.load(Ordering::SeqCst) {
                let g = signing.load(Ordering::SeqCst);
                // Tokens of the signing generation, and of the one before (issued earlier,
                // still valid and still published).
                let g = if i % 4 == 0 { g.saturating_sub(1) } else { g };
                let valid = &tokens.valid[g][i % TOKENS_PER_GENERATION];
                if let Err(code) = verify(&src, &rules, valid).await {
                    panic!("valid token of generation {g} rejected: {code}");
                }
                accepted.fetch_add(1, Ordering::Relaxed);
                let (bad, why) = &tokens.invalid[g][i % tokens.invalid[g].len()];
                match verify(&src, &rules, bad).await {
                    Ok(()) => panic!("invalid token ({why:?}) accepted"),
                    Err(code) => assert_eq!(code, why.code(), "{why:?}"),
                }
                rejected.fetch_add(1, Ordering::Relaxed);
                i += 1;
                tokio::task::yield_now().await;
            }
        }));
    }

    for g in 1..GENERATIONS {
        // Publish the new key; caches pick it up on their next refresh.
        published.store(g, Ordering::SeqCst);
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let set = src.key_set().await.unwrap().unwrap();
            if set.contains_kid(&kid(g)) {
                break;
            }
        }
        // Start signing with it; the previous keys stay published for two more generations.
        signing.store(g, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();

    let accepted = accepted.load(Ordering::SeqCst);
    let rejected = rejected.load(Ordering::SeqCst);
    assert!(accepted > 100 && rejected > 100, "{accepted} / {rejected}");

    // Fetch budget: the first fetch; at most one refresh per refresh-ahead window (72% of the
    // freshness at the earliest); at most one unknown-kid refetch per cooldown window.
    let windows = |d: Duration| (elapsed.as_secs_f64() / d.as_secs_f64()).ceil() as usize + 1;
    let budget = 1 + windows(FRESH.mul_f64(0.72)) + windows(COOLDOWN);
    let fetches = server.count();
    println!(
        "{accepted} valid accepted, {rejected} invalid rejected, {fetches} fetches \
         (budget {budget}) in {elapsed:?}"
    );
    assert!(
        fetches <= budget,
        "{fetches} fetches in {elapsed:?}, budget {budget}"
    );
    assert!(fetches >= GENERATIONS, "every rotation was fetched");
}
