//! RemoteJwks against a real HTTP server on 127.0.0.1: every policy of the remote key source,
//! with the exact error code of each failure and the exact number of requests it costs.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::http::{Reply, TestServer};
use integration_tests::{TestKey, keys};
use jwks::{
    JwksSnapshot, KeyLookupError, KeyProvider, KeyRequest, ManualClock, RemoteJwks,
    RemoteJwksBuilder,
};
use jwt_core::{Algorithm, VerifyingKey};
use serde_json::json;

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn jwks(keys: &[(TestKey, &str)]) -> String {
    let keys: Vec<_> = keys
        .iter()
        .map(|(k, kid)| k.public_jwk(kid, None))
        .collect();
    json!({ "keys": keys }).to_string()
}

fn a_only() -> String {
    jwks(&[(keys::rsa2048_a(), "a")])
}

/// Short timeouts and backoffs so failure paths stay fast.
fn builder(server: &TestServer) -> RemoteJwksBuilder {
    RemoteJwks::builder(server.url("/jwks"))
        .timeout(Duration::from_millis(300))
        .retries(1, Duration::from_millis(10))
}

async fn lookup(src: &RemoteJwks, kid: &str) -> Result<Arc<VerifyingKey>, KeyLookupError> {
    src.key(KeyRequest {
        kid: Some(kid),
        alg: Algorithm::RS256,
    })
    .await
}

fn code(r: Result<Arc<VerifyingKey>, KeyLookupError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[tokio::test]
async fn first_fetch_then_cache_hits() {
    let server = TestServer::start(Reply::json(a_only()).header("etag", "\"v1\"")).await;
    let src = builder(&server)
        .header("authorization", "Bearer test-secret")
        .header("x-extra", "1")
        .build()
        .unwrap();
    assert_eq!(src.url(), server.url("/jwks"));
    assert!(lookup(&src, "a").await.is_ok());
    for _ in 0..100 {
        assert!(lookup(&src, "a").await.is_ok());
    }
    assert_eq!(server.count(), 1);
    let request = server.request(0);
    let (path, headers) = (request.path(), &request.headers);
    assert_eq!(path, "/jwks");
    assert_eq!(headers["authorization"], "Bearer test-secret");
    assert_eq!(headers["x-extra"], "1");
    assert_eq!(headers["accept"], "application/json");
    assert!(headers["user-agent"].to_str().unwrap().starts_with("jwks/"));
    assert!(!headers.contains_key("if-none-match"));
    assert!(!format!("{src:?}").contains("test-secret"));
    let listed = src.key_set().await.unwrap().unwrap();
    assert_eq!(listed.iter().next().unwrap().kid(), Some("a"));
    let snap = src.snapshot().unwrap();
    assert_eq!(snap.etag(), Some("\"v1\""));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn rotation_new_kid_appears_old_kid_removed() {
    let server = TestServer::start(Reply::json(a_only())).await;
    let src = builder(&server).build().unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    server.set(Reply::json(jwks(&[(keys::rsa2048_b(), "b")])));
    // The new kid is unknown to the cache: one refetch finds it.
    assert!(lookup(&src, "b").await.is_ok());
    assert_eq!(server.count(), 2);
    // The old kid is gone from the new set; within the cooldown, no fetch to find that out.
    assert_eq!(code(lookup(&src, "a").await), "key-not-found");
    assert!(lookup(&src, "b").await.is_ok());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn max_age_is_honoured_and_refresh_runs_ahead_in_the_background() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=120")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    clock.advance(SECS(95)); // refresh point is 0.8 × 120 s = 96 s
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 1);
    clock.advance(SECS(2));
    // Answered from the cache at once; the refresh happens in the background.
    assert!(lookup(&src, "a").await.is_ok());
    server.wait_for_count(2).await;
    // Fresh again for 120 s from the refresh (at 97 s).
    clock.advance(SECS(90));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn max_age_bounds_and_default() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=5")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .refresh_ahead(1.0)
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    clock.advance(SECS(59)); // max-age=5 is raised to the 60 s minimum
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 1);
    clock.advance(SECS(2));
    // Expired after an idle period: this lookup waits for the fetch.
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);

    // No Cache-Control: 10 minutes.
    server.set(Reply::json(a_only()));
    clock.advance(SECS(61));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 3);
    clock.advance(SECS(599));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 3);
    clock.advance(SECS(2));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn not_modified_keeps_the_set_and_renews_freshness() {
    let clock = ManualClock::new();
    let body = a_only();
    let server = TestServer::scripted(move |n| {
        if n == 0 {
            Reply::json(body.clone())
                .header("etag", "\"v1\"")
                .header("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                .header("cache-control", "max-age=60")
        } else {
            Reply::status(304, "").header("cache-control", "max-age=300")
        }
    })
    .await;
    let src = builder(&server)
        .clock(clock.clone())
        .refresh_ahead(1.0)
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    clock.advance(SECS(61));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);
    let h = server.request(1).headers;
    assert_eq!(h["if-none-match"], "\"v1\"");
    assert_eq!(h["if-modified-since"], "Wed, 21 Oct 2015 07:28:00 GMT");
    // The 304's own max-age (300 s) renews freshness.
    clock.advance(SECS(299));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);
    clock.advance(SECS(2));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 3);
    assert_eq!(src.snapshot().unwrap().etag(), Some("\"v1\""));
}

#[tokio::test]
async fn unconditional_304_is_an_error() {
    let server = TestServer::start(Reply::status(304, "")).await;
    let src = builder(&server).build().unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert_eq!(err.code(), "source-status");
    assert_eq!(err.source_error().unwrap().http_status(), Some(304));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_once_and_keep_their_body() {
    let server = TestServer::start(Reply::status(500, r#"{"errors":[{"code":"boom"}]}"#)).await;
    let src = builder(&server).build().unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert!(err.is_unavailable());
    let source = err.source_error().unwrap();
    assert_eq!(source.code(), "source-status");
    assert_eq!(source.http_status(), Some(500));
    assert!(source.body().unwrap().contains("boom"));
    assert_eq!(server.count(), 2, "one request and one retry");
    // Within the failure backoff, the last error is answered without a request.
    assert_eq!(code(lookup(&src, "a").await), "source-status");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn too_many_requests_is_retried_once() {
    let server = TestServer::start(Reply::status(429, "slow down")).await;
    let src = builder(&server).build().unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert_eq!(err.source_error().unwrap().http_status(), Some(429));
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = TestServer::start(Reply::status(
        404,
        r#"{"errors":[{"code":"resource_not_found"}]}"#,
    ))
    .await;
    let src = builder(&server).build().unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert_eq!(err.code(), "source-status");
    let source = err.source_error().unwrap();
    assert_eq!(source.http_status(), Some(404));
    assert!(source.body().unwrap().contains("resource_not_found"));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_retry_can_succeed() {
    let body = a_only();
    let server = TestServer::scripted(move |n| {
        if n == 0 {
            Reply::status(503, "")
        } else {
            Reply::json(body.clone())
        }
    })
    .await;
    let src = builder(&server).build().unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn malformed_documents() {
    let cases = [
        ("{\"keys\":[", "source-invalid-document"),
        ("<html>oops</html>", "source-invalid-document"),
        (
            r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#,
            "source-no-usable-keys",
        ),
        (r#"{"keys":[]}"#, "source-no-usable-keys"),
    ];
    for (body, expected) in cases {
        let server = TestServer::start(Reply::json(body)).await;
        let src = builder(&server).build().unwrap();
        assert_eq!(code(lookup(&src, "a").await), expected, "{body}");
        assert_eq!(server.count(), 1, "not retried: {body}");
    }
    let many = format!("{{\"keys\":[{}]}}", ["{}"; 11].join(","));
    let server = TestServer::start(Reply::json(many)).await;
    let src = builder(&server).max_keys(10).build().unwrap();
    assert_eq!(code(lookup(&src, "a").await), "source-too-many-keys");
    let latin1 = Reply::Full {
        status: 200,
        headers: vec![],
        body: bytes::Bytes::from_static(b"{\"keys\":[\xe9]}"),
    };
    let server = TestServer::start(latin1).await;
    let src = builder(&server).build().unwrap();
    assert_eq!(code(lookup(&src, "a").await), "source-invalid-document");
}

#[tokio::test]
async fn twenty_megabyte_bodies_are_refused_without_reading_them() {
    const TOTAL: usize = 20 * 1024 * 1024;
    for declare_length in [true, false] {
        let server = TestServer::start(Reply::Huge {
            total: TOTAL,
            declare_length,
        })
        .await;
        let src = builder(&server).timeout(SECS(5)).build().unwrap();
        assert_eq!(code(lookup(&src, "a").await), "source-body-too-large");
        assert_eq!(server.count(), 1, "not retried");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let taken = server.body_bytes_taken();
        // The client stops at the 1 MiB cap (plus what socket buffers hold), never 20 MB.
        assert!(
            taken < 8 * 1024 * 1024,
            "declare_length={declare_length}: {taken} bytes taken"
        );
    }
}

#[tokio::test]
async fn slow_drip_bodies_time_out() {
    let server = TestServer::start(Reply::Drip {
        chunk: bytes::Bytes::from_static(b" "),
        every: Duration::from_millis(20),
        count: 10_000,
    })
    .await;
    let src = builder(&server).build().unwrap();
    assert_eq!(code(lookup(&src, "a").await), "source-timeout");
    assert_eq!(server.count(), 2, "a timeout is transient: one retry");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = TestServer::start(Reply::Hang).await;
    let src = builder(&server).build().unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert!(err.source_error().unwrap().is_timeout());
    assert_eq!(err.code(), "source-timeout");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn redirects_are_refused_not_followed() {
    for status in [301, 302, 307, 308] {
        let server = TestServer::scripted(move |n| {
            if n == 0 {
                Reply::redirect(status, "/elsewhere")
            } else {
                Reply::json(a_only())
            }
        })
        .await;
        let src = builder(&server).build().unwrap();
        let err = lookup(&src, "a").await.unwrap_err();
        assert_eq!(err.code(), "source-status");
        assert_eq!(err.source_error().unwrap().http_status(), Some(status));
        assert_eq!(server.count(), 1, "the redirect target is never requested");
    }
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let src = RemoteJwks::builder(format!("http://{addr}/jwks"))
        .retries(1, Duration::from_millis(1))
        .build()
        .unwrap();
    let err = lookup(&src, "a").await.unwrap_err();
    assert_eq!(err.code(), "source-transport");
    assert!(err.source_error().unwrap().is_transport());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_flood_costs_one_fetch_per_cooldown() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=3600")).await;
    let src = builder(&server).clock(clock.clone()).build().unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 1);

    let mut tasks = Vec::new();
    for t in 0..10 {
        let src = src.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..1_000 {
                let kid = format!("bogus-{t}-{i}");
                assert_eq!(code(lookup(&src, &kid).await), "key-not-found");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.count(), 2, "10,000 unknown kids: one refetch");
    // Good keys are not evicted by misses.
    assert!(lookup(&src, "a").await.is_ok());

    // After the cooldown, a kid never seen before may refetch once more...
    clock.advance(SECS(31));
    assert_eq!(code(lookup(&src, "new-kid").await), "key-not-found");
    assert_eq!(server.count(), 3);
    // ...and a kid known to be absent (negative cache) does not, even after the next
    // cooldown. (Which of the 10,000 flood kids are still in the bounded negative cache
    // depends on task scheduling, so only the most recent absent kid is asserted here; the
    // bound itself is tested in `negative_cache_is_bounded_and_expires`.)
    clock.advance(SECS(31));
    assert_eq!(code(lookup(&src, "new-kid").await), "key-not-found");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn negative_cache_is_bounded_and_expires() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=86400")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .unknown_kid_cooldown(Duration::ZERO)
        .negative_cache(2, SECS(60))
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    for kid in ["x", "y", "z"] {
        assert_eq!(code(lookup(&src, kid).await), "key-not-found");
    }
    assert_eq!(
        server.count(),
        4,
        "no cooldown: one refetch per new unknown kid"
    );
    // x and y are remembered; z did not fit.
    assert_eq!(code(lookup(&src, "x").await), "key-not-found");
    assert_eq!(code(lookup(&src, "y").await), "key-not-found");
    assert_eq!(server.count(), 4);
    assert_eq!(code(lookup(&src, "z").await), "key-not-found");
    assert_eq!(server.count(), 5);
    // Entries expire; a kid that then appears is found.
    clock.advance(SECS(61));
    server.set(Reply::json(jwks(&[
        (keys::rsa2048_a(), "a"),
        (keys::rsa2048_b(), "x"),
    ])));
    assert!(lookup(&src, "x").await.is_ok());
    assert_eq!(server.count(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_requests_make_one_fetch() {
    let server = TestServer::start(Reply::json(a_only()).delayed(Duration::from_millis(200))).await;
    let src = builder(&server).timeout(SECS(5)).build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let src = src.clone();
        tasks.push(tokio::spawn(async move { lookup(&src, "a").await.is_ok() }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn stale_keys_are_served_while_the_server_is_down_then_fail_closed() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=60")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .stale_if_error(SECS(600))
        .failure_backoff(SECS(5))
        .refresh_ahead(1.0)
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    server.set(Reply::status(503, "down"));

    clock.advance(SECS(61));
    // The refresh fails (request + retry); the last good key is served.
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 3);
    // Within the failure backoff: served stale without a request.
    clock.advance(SECS(2));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 3);
    // After it: still served at once, with a background retry.
    clock.advance(SECS(4));
    assert!(lookup(&src, "a").await.is_ok());
    server.wait_for_count(5).await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Past the stale-if-error bound (60 s fresh + 600 s): fail closed, as "unavailable".
    clock.advance(SECS(600));
    let err = lookup(&src, "a").await.unwrap_err();
    assert!(err.is_unavailable());
    assert_eq!(err.code(), "source-stale-expired");
    assert!(err.to_string().contains("source-status"), "{err}");
    let fetched = server.count();
    assert_eq!(code(lookup(&src, "a").await), "source-stale-expired");
    assert_eq!(
        server.count(),
        fetched,
        "failing closed does not hammer the server"
    );

    // The server comes back: after the backoff the next lookup fetches and succeeds.
    server.set(Reply::json(a_only()).header("cache-control", "max-age=60"));
    clock.advance(SECS(6));
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), fetched + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_caller_that_started_a_fetch_does_not_cancel_it() {
    let server = TestServer::start(Reply::json(a_only()).delayed(Duration::from_millis(300))).await;
    let src = builder(&server).timeout(SECS(5)).build().unwrap();

    let starter = {
        let src = src.clone();
        tokio::spawn(async move { lookup(&src, "a").await.is_ok() })
    };
    server.wait_for_count(1).await;
    let others: Vec<_> = (0..10)
        .map(|_| {
            let src = src.clone();
            tokio::spawn(async move { lookup(&src, "a").await.is_ok() })
        })
        .collect();
    starter.abort();
    assert!(starter.await.unwrap_err().is_cancelled());
    for t in others {
        assert!(t.await.unwrap(), "joiners still get the key");
    }
    assert_eq!(server.count(), 1);

    // A lone caller cancelled by its own timeout: the fetch still fills the cache.
    let server = TestServer::start(Reply::json(a_only()).delayed(Duration::from_millis(200))).await;
    let src = builder(&server).timeout(SECS(5)).build().unwrap();
    let cut = tokio::time::timeout(Duration::from_millis(50), lookup(&src, "a")).await;
    assert!(cut.is_err(), "the caller gave up");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn fetch_every_time_mode() {
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=3600")).await;
    let src = builder(&server).fetch_every_time(true).build().unwrap();
    for i in 1..=3 {
        assert!(lookup(&src, "a").await.is_ok());
        assert_eq!(server.count(), i);
    }
    assert_eq!(code(lookup(&src, "zz").await), "key-not-found");
    assert_eq!(server.count(), 4);
    assert!(src.snapshot().is_none(), "nothing is cached");
    let _ = src.key_set().await.unwrap().unwrap();
    assert_eq!(server.count(), 5);
}

#[tokio::test]
async fn prefetch_and_force_refresh() {
    let server = TestServer::start(Reply::json(a_only())).await;
    let src = builder(&server).build().unwrap();
    let set = src.prefetch().await.unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(server.count(), 1);
    src.prefetch().await.unwrap();
    assert_eq!(server.count(), 1, "prefetch of a fresh cache is free");
    assert!(lookup(&src, "a").await.is_ok());
    server.set(Reply::json(jwks(&[(keys::rsa2048_b(), "b")])));
    let set = src.force_refresh().await.unwrap();
    assert!(set.contains_kid("b"));
    assert_eq!(server.count(), 2);
    assert!(lookup(&src, "b").await.is_ok());
    server.set(Reply::status(500, ""));
    let err = src.force_refresh().await.unwrap_err();
    assert_eq!(err.code(), "source-status");
    // The failed refresh did not evict the good set.
    assert!(lookup(&src, "b").await.is_ok());
}

#[tokio::test]
async fn seeded_keys_serve_while_the_server_is_down() {
    let snapshot = JwksSnapshot::new(a_only()).with_etag("\"seed\"");
    let server = TestServer::start(Reply::status(502, "")).await;
    let src = builder(&server).seed(snapshot.clone()).build().unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 2);
    let h = server.request(0).headers;
    assert_eq!(h["if-none-match"], "\"seed\"");

    // A server that confirms the seed with 304.
    let server = TestServer::start(Reply::status(304, "")).await;
    let src = builder(&server).seed(snapshot).build().unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    assert!(lookup(&src, "a").await.is_ok());
    assert_eq!(server.count(), 1);

    let bad = builder(&server).seed(JwksSnapshot::new("{}")).build();
    assert_eq!(bad.unwrap_err().code(), "source-invalid-document");
    let empty = builder(&server)
        .seed(JwksSnapshot::new(r#"{"keys":[]}"#))
        .build();
    assert_eq!(empty.unwrap_err().code(), "source-no-usable-keys");
}

#[tokio::test]
async fn configuration_errors() {
    for url in [
        "http://example.com/jwks",
        "ftp://127.0.0.1/jwks",
        "not a url",
        "/relative",
    ] {
        let err = RemoteJwks::builder(url).build().unwrap_err();
        assert_eq!(err.code(), "source-config", "{url}");
    }
    assert!(
        RemoteJwks::builder("http://example.com/jwks")
            .allow_plain_http(true)
            .build()
            .is_ok()
    );
    assert!(RemoteJwks::new("https://example.com/jwks").is_ok());
    assert!(RemoteJwks::new("http://localhost:1/jwks").is_ok());
    let err = RemoteJwks::builder("https://example.com/jwks")
        .header("bad header", "x")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "source-config");
    let err = RemoteJwks::builder("https://example.com/jwks")
        .header("x-ok", "bad\nvalue")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "source-config");
}

#[tokio::test]
async fn ambiguous_kids_are_not_refetched() {
    let doc = jwks(&[(keys::rsa2048_a(), "dup"), (keys::rsa2048_b(), "dup")]);
    let server = TestServer::start(Reply::json(doc)).await;
    let src = builder(&server).build().unwrap();
    assert_eq!(code(lookup(&src, "dup").await), "ambiguous-key");
    assert_eq!(code(lookup(&src, "dup").await), "ambiguous-key");
    assert_eq!(server.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_a_failing_fetch_too() {
    let server =
        TestServer::start(Reply::status(500, "").delayed(Duration::from_millis(100))).await;
    let src = builder(&server).build().unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let src = src.clone();
            tokio::spawn(async move { code(lookup(&src, "a").await) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "source-status");
    }
    assert_eq!(server.count(), 2, "one shared fetch and its one retry");
}

#[tokio::test]
async fn tokens_without_kid() {
    let doc = jwks(&[(keys::rsa2048_a(), "a"), (keys::p256(), "p")]);
    let server = TestServer::start(Reply::json(doc)).await;
    let src = builder(&server).build().unwrap();
    let es = KeyRequest {
        kid: None,
        alg: Algorithm::ES256,
    };
    assert!(src.key(es).await.is_ok());
    let ps = KeyRequest {
        kid: None,
        alg: Algorithm::EdDSA,
    };
    let err = src.key(ps).await.unwrap_err();
    assert!(matches!(err, KeyLookupError::KeyNotFound { kid: None }));
    // One refetch for the miss, then the cooldown.
    assert_eq!(server.count(), 2);
    assert_eq!(code(src.key(ps).await), "key-not-found");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn over_long_kids_are_refused_without_a_fetch() {
    let server = TestServer::start(Reply::json(a_only())).await;
    let src = builder(&server).build().unwrap();
    let kid = "k".repeat(jwt_core::MAX_KID_LEN + 1);
    assert_eq!(code(lookup(&src, &kid).await), "key-not-found");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn an_unknown_kid_while_the_server_is_down_is_unavailable_not_invalid() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=60")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .refresh_ahead(1.0)
        .build()
        .unwrap();
    assert!(lookup(&src, "a").await.is_ok());
    server.set(Reply::status(503, ""));
    clock.advance(SECS(61));
    // The expired set triggers a fetch that fails: "a" is served stale, but nothing can be
    // said about "b", so it is unavailable (503), not an invalid token (401).
    let err = lookup(&src, "b").await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert_eq!(err.code(), "source-status");
    assert!(lookup(&src, "a").await.is_ok());
    // Within the failure backoff, unknown kids are unavailable at once, without a request.
    let before = server.count();
    assert_eq!(code(lookup(&src, "c").await), "source-status");
    assert_eq!(server.count(), before);
    // After it, an unknown kid joins the background retry (request + one retry)...
    clock.advance(SECS(6));
    assert_eq!(code(lookup(&src, "d").await), "source-status");
    assert_eq!(server.count(), before + 2);
    // ...and the next one is inside the new backoff again.
    assert_eq!(code(lookup(&src, "e").await), "source-status");
    assert_eq!(server.count(), before + 2);
}

#[tokio::test]
async fn retry_count_is_configurable_and_capped() {
    for (asked, requests) in [(0, 1), (2, 3), (10, 4)] {
        let server = TestServer::start(Reply::status(502, "")).await;
        let src = builder(&server)
            .retries(asked, Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(code(lookup(&src, "a").await), "source-status");
        assert_eq!(server.count(), requests, "retries({asked})");
    }
}

#[tokio::test]
async fn seeded_validators_and_a_shared_client() {
    let snapshot = JwksSnapshot::new(a_only()).with_last_modified("Wed, 21 Oct 2015 07:28:00 GMT");
    assert_eq!(
        snapshot.last_modified(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    let server = TestServer::start(Reply::status(304, "")).await;
    let client: Arc<dyn jwks::client::HttpClient> =
        Arc::new(jwks::client::HyperHttpClient::new().unwrap());
    let first = builder(&server)
        .shared_http_client(Arc::clone(&client))
        .seed(snapshot)
        .build()
        .unwrap();
    assert!(lookup(&first, "a").await.is_ok());
    let h = server.request(0).headers;
    assert_eq!(h["if-modified-since"], "Wed, 21 Oct 2015 07:28:00 GMT");
    assert!(!h.contains_key("if-none-match"));
    // A second source on the same client keeps its own cache (and asks for itself).
    server.set(Reply::json(jwks(&[(keys::rsa2048_b(), "b")])));
    let second = builder(&server).shared_http_client(client).build().unwrap();
    assert!(lookup(&second, "b").await.is_ok());
    assert_eq!(code(lookup(&second, "a").await), "key-not-found");
    assert!(lookup(&first, "a").await.is_ok());
}

#[tokio::test]
async fn listing_keys_also_refreshes_ahead() {
    let clock = ManualClock::new();
    let server =
        TestServer::start(Reply::json(a_only()).header("cache-control", "max-age=120")).await;
    let src = builder(&server)
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    assert_eq!(src.key_set().await.unwrap().unwrap().len(), 1);
    assert_eq!(server.count(), 1);
    clock.advance(SECS(97));
    assert_eq!(src.key_set().await.unwrap().unwrap().len(), 1);
    server.wait_for_count(2).await;
}
