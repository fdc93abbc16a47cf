//! RemoteJwks reports fetches, failures, stale serving, failing closed and rejected unknown
//! kids as `tracing` events, and never logs header values.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use integration_tests::http::{Reply, TestServer};
use integration_tests::keys;
use jwks::{KeyProvider, KeyRequest, ManualClock, RemoteJwks};
use jwt_core::Algorithm;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event as `LEVEL message field=value ...`.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Recorder {
    /// The events since the last call (all of them stay in `seen`).
    fn take(&self, seen: &mut Vec<String>) -> Vec<String> {
        let lines = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        seen.extend(lines.iter().cloned());
        lines
    }
}

fn has(lines: &[String], level: &str, text: &str) -> bool {
    lines
        .iter()
        .any(|l| l.starts_with(level) && l.contains(text))
}

// A current-thread runtime: the server, the source and its fetch tasks all run on the test's
// thread, where the recorder is the default subscriber.
#[tokio::test]
async fn events_for_every_policy_decision() {
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let mut seen = Vec::new();
    let clock = ManualClock::new();
    let doc = json!({ "keys": [
        keys::rsa2048_a().public_jwk("a", None),
        { "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" },
    ]})
    .to_string();
    let server = TestServer::start(Reply::json(doc).header("cache-control", "max-age=60")).await;
    let src = RemoteJwks::builder(server.url("/jwks?tenant=t1"))
        .header("authorization", "Bearer very-secret")
        .clock(clock.clone())
        .stale_if_error(Duration::from_secs(120))
        .retries(0, Duration::ZERO)
        .refresh_ahead(1.0)
        .build()
        .unwrap();
    let req = |kid| KeyRequest {
        kid: Some(kid),
        alg: Algorithm::RS256,
    };

    assert!(src.key(req("a")).await.is_ok());
    let lines = rec.take(&mut seen);
    assert!(has(&lines, "DEBUG", "jwks fetch started"), "{lines:#?}");
    assert!(has(&lines, "INFO", "jwks fetched"), "{lines:#?}");
    assert!(has(&lines, "WARN", "jwks key skipped"), "{lines:#?}");
    assert!(has(&lines, "WARN", "symmetric-jwk"), "{lines:#?}");

    assert!(src.key(req("zz")).await.is_err());
    assert!(src.key(req("yy")).await.is_err());
    let lines = rec.take(&mut seen);
    assert!(has(&lines, "DEBUG", "unknown kid"), "{lines:#?}");
    assert!(
        has(
            &lines,
            "DEBUG",
            "unknown kid rejected during the refetch cooldown"
        ),
        "{lines:#?}"
    );

    server.set(Reply::status(500, "down"));
    clock.advance(Duration::from_secs(61));
    assert!(src.key(req("a")).await.is_ok());
    let lines = rec.take(&mut seen);
    assert!(has(&lines, "WARN", "jwks fetch failed"), "{lines:#?}");
    assert!(has(&lines, "WARN", "serving stale jwks"), "{lines:#?}");

    clock.advance(Duration::from_secs(200));
    assert_eq!(
        src.key(req("a")).await.unwrap_err().code(),
        "source-stale-expired"
    );
    let lines = rec.take(&mut seen);
    assert!(has(&lines, "ERROR", "jwks failing closed"), "{lines:#?}");

    let all = seen.join("\n");
    assert!(
        !all.contains("very-secret") && !all.contains("tenant=t1"),
        "{all}"
    );
}
