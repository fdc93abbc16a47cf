//! clerk-verify end to end against a fake Clerk Backend API served on 127.0.0.1 by the test:
//! the workspace's test server (`integration_tests::http`, a real hyper server) with a handler
//! that checks the Bearer secret and can answer `clerk_key_invalid`, server errors or an empty
//! key set; the server counts and records the requests.

use clerk_verify::{
    Algorithm, Reason, Timestamp, Verifier, VerifyTokenOptions, action, verify_token_as,
    verify_token_at,
};
use integration_tests::http::{Reply, Request, TestServer};
use integration_tests::keys;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

const SECRET: &str = "sk_test_fake_backend_api_secret";
const NOW_S: i64 = 1_795_788_000;
const KEY_INVALID_MESSAGE: &str =
    "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.";

/// What the fake Backend API answers.
#[derive(Clone)]
enum Mode {
    /// 200 with this JWKS (to a request with the right secret).
    Keys(Value),
    /// 500 with an HTML body.
    ServerError,
}

/// The fake Backend API: the workspace's test server, answering `GET {prefix}/v1/jwks`.
struct FakeBackendApi {
    server: TestServer,
    prefix: &'static str,
}

impl FakeBackendApi {
    /// Serves `GET {prefix}/v1/jwks`.
    async fn start(prefix: &'static str, mode: Mode) -> FakeBackendApi {
        let server = TestServer::builder()
            .handler(move |req| answer(prefix, req, &mode))
            .start()
            .await;
        FakeBackendApi { server, prefix }
    }

    fn api_url(&self, prefix: &str) -> String {
        self.server.url(prefix)
    }

    fn requests(&self) -> usize {
        self.server.count()
    }

    fn set_mode(&self, mode: Mode) {
        let prefix = self.prefix;
        self.server
            .set_handler(move |req| answer(prefix, req, &mode));
    }

    /// The last request the server saw.
    fn last(&self) -> Request {
        self.server.requests().pop().unwrap()
    }
}

fn answer(prefix: &str, req: &Request, mode: &Mode) -> Reply {
    if req.path() != format!("{prefix}/v1/jwks") {
        return Reply::json(json!({"errors": [{"code": "resource_not_found"}]})).with_status(404);
    }
    if req.bearer() != Some(SECRET) {
        let body = json!({"errors": [{
            "message": KEY_INVALID_MESSAGE,
            "long_message": "The provided Clerk Secret Key is invalid.",
            "code": "clerk_key_invalid"
        }]});
        return Reply::json(body).with_status(401);
    }
    match mode {
        Mode::Keys(jwks) => Reply::json(jwks),
        Mode::ServerError => Reply::status(500, "<html>oops</html>"),
    }
}

fn instance_jwks() -> Value {
    json!({"keys": [
        keys::rsa2048_a().public_jwk("ins_a", Some(Algorithm::RS256)),
        keys::rsa2048_b().public_jwk("ins_b", Some(Algorithm::RS256)),
    ]})
}

fn token(kid: &str) -> String {
    let key = if kid == "ins_b" {
        keys::rsa2048_b()
    } else {
        keys::rsa2048_a()
    };
    key.sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": kid}),
        &integration_tests::clerk_payload(NOW_S),
    )
}

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW_S)
}

fn options(api: &FakeBackendApi, secret: &str) -> VerifyTokenOptions {
    VerifyTokenOptions::default()
        .with_secret_key(secret)
        .with_api_url(api.api_url(""))
}

#[tokio::test]
async fn verifies_with_keys_from_the_backend_api_and_caches_them() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    assert_eq!(api.requests(), 0, "building makes no request");
    let debug = format!("{v:?} {:?}", options(&api, SECRET));
    assert!(!debug.contains(SECRET), "{debug}");
    let claims = v.verify_at(&token("ins_a"), now()).await.unwrap();
    assert_eq!(claims.sub(), "user_2abc3def4ghi5jkl6mno7pqr8st");
    assert!(v.verify_at(&token("ins_b"), now()).await.is_ok());
    assert!(v.verify_at(&token("ins_a"), now()).await.is_ok());
    assert_eq!(api.requests(), 1, "one fetch serves every later token");

    let last = api.last();
    let (path, headers) = (last.path(), &last.headers);
    assert_eq!(path, "/v1/jwks");
    assert_eq!(
        headers["authorization"],
        format!("Bearer {SECRET}").as_str()
    );
    assert_eq!(
        headers["clerk-api-version"],
        clerk_verify::CLERK_API_VERSION_HEADER
    );
    assert_eq!(
        headers["user-agent"],
        format!("clerk-verify-rust/{}", env!("CARGO_PKG_VERSION")).as_str()
    );

    let set = v.key_set().await.unwrap().unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(api.requests(), 1);
}

#[tokio::test]
async fn an_api_url_with_a_path_keeps_it() {
    let api = FakeBackendApi::start("/proxy/clerk", Mode::Keys(instance_jwks())).await;
    let o = VerifyTokenOptions::default()
        .with_secret_key(SECRET)
        .with_api_url(api.api_url("/proxy/clerk/"));
    let v = Verifier::new(&o).unwrap();
    assert!(v.verify_at(&token("ins_a"), now()).await.is_ok());
    let path = api.last().path().to_owned();
    assert_eq!(path, "/proxy/clerk/v1/jwks");
}

#[tokio::test]
async fn repeated_one_off_calls_share_one_cache_per_secret() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let o = options(&api, SECRET);
    for _ in 0..5 {
        assert!(verify_token_at(&token("ins_a"), &o, now()).await.is_ok());
    }
    // verify_token_as reads the real clock, so give it a token valid now.
    #[allow(clippy::disallowed_methods)] // reason: a token that is valid at the real time
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let fresh = keys::rsa2048_b().sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": "ins_b"}),
        &integration_tests::clerk_payload(real_now),
    );
    let raw: Map<String, Value> = verify_token_as(&fresh, &o).await.unwrap();
    assert_eq!(
        Value::Object(raw),
        integration_tests::clerk_payload(real_now)
    );
    assert_eq!(api.requests(), 1);

    // Many concurrent first calls with a new secret scope share one fetch as well.
    let api2 = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let o2 = options(&api2, SECRET);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let o2 = o2.clone();
            tokio::spawn(async move { verify_token_at(&token("ins_a"), &o2, now()).await.is_ok() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(api2.requests(), 1);
}

#[tokio::test]
async fn the_cache_is_scoped_per_secret_key() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    assert!(
        verify_token_at(&token("ins_a"), &options(&api, SECRET), now())
            .await
            .is_ok()
    );
    assert_eq!(api.requests(), 1);
    // Same URL, another secret: the cached keys are not reused; the Backend API refuses it.
    let e = verify_token_at(&token("ins_a"), &options(&api, "sk_test_wrong"), now())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::SecretKeyInvalid);
    assert_eq!(api.requests(), 2);
}

#[tokio::test]
async fn an_invalid_secret_key_is_secret_key_invalid() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let v = Verifier::new(&options(&api, "sk_test_not_the_right_one")).unwrap();
    let e = v.verify_at(&token("ins_a"), now()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::SecretKeyInvalid);
    assert_eq!(e.reason().as_str(), "secret-key-invalid");
    assert_eq!(e.message(), KEY_INVALID_MESSAGE);
    assert_eq!(e.action(), Some(action::CONTACT_SUPPORT));
    assert!(e.is_key_infrastructure_unavailable());
    assert!(!e.is_token_invalid());
    assert_eq!(
        e.key_lookup_error()
            .unwrap()
            .source_error()
            .unwrap()
            .http_status(),
        Some(401)
    );
    assert_eq!(api.requests(), 1, "a 401 is not retried");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["reason"], "secret-key-invalid");
}

#[tokio::test]
async fn server_errors_are_jwk_remote_failed_to_load() {
    let api = FakeBackendApi::start("", Mode::ServerError).await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    let e = v.verify_at(&token("ins_a"), now()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkRemoteFailedToLoad);
    assert_eq!(
        e.message(),
        format!(
            "Error loading Clerk JWKS from http://{}/v1/jwks with code=500",
            api.server.addr()
        )
    );
    assert_eq!(e.action(), Some(action::CONTACT_SUPPORT));
    assert!(e.is_key_infrastructure_unavailable());
    assert_eq!(api.requests(), 2, "a 5xx is retried once");
}

#[tokio::test]
async fn an_empty_key_set_is_jwk_remote_failed_to_load() {
    let api = FakeBackendApi::start("", Mode::Keys(json!({"keys": []}))).await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    let e = v.verify_at(&token("ins_a"), now()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkRemoteFailedToLoad);
    assert_eq!(
        e.message(),
        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com."
    );
    assert!(e.is_key_infrastructure_unavailable());
}

#[tokio::test]
async fn an_unreachable_backend_api_is_jwk_remote_failed_to_load() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let o = VerifyTokenOptions::default()
        .with_secret_key(SECRET)
        .with_api_url(format!("http://{addr}"));
    let e = Verifier::new(&o)
        .unwrap()
        .verify_at(&token("ins_a"), now())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::JwkRemoteFailedToLoad);
    assert!(
        e.message().starts_with(&format!(
            "Error loading Clerk JWKS from http://{addr}/v1/jwks: "
        )),
        "{}",
        e.message()
    );
    assert!(e.is_key_infrastructure_unavailable());
}

#[tokio::test]
async fn an_unknown_kid_after_a_refresh_is_jwk_kid_mismatch() {
    let api = FakeBackendApi::start(
        "",
        Mode::Keys(json!({"keys": [
            keys::rsa2048_a().public_jwk("ins_a", Some(Algorithm::RS256)),
        ]})),
    )
    .await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    assert!(v.verify_at(&token("ins_a"), now()).await.is_ok());
    let e = v.verify_at(&token("ins_b"), now()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
    assert_eq!(
        e.message(),
        "Unable to find a signing key in JWKS that matches the kid='ins_b' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    );
    assert_eq!(e.action(), Some(action::KID_MISMATCH));
    assert!(e.is_token_invalid());
    assert_eq!(api.requests(), 2, "one refetch for the unknown kid");
    // A rotated-in key is found by that refetch.
    api.set_mode(Mode::Keys(instance_jwks()));
    let later = Verifier::new(&options(&api, SECRET)).unwrap();
    assert!(later.verify_at(&token("ins_b"), now()).await.is_ok());
}

#[tokio::test]
async fn malformed_tokens_never_reach_the_network() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    let hs = integration_tests::hmac_sign(
        Algorithm::HS256,
        &[1; 32],
        &json!({"typ": "JWT", "kid": "ins_a"}),
        &integration_tests::clerk_payload(NOW_S),
    );
    let m2m = keys::rsa2048_a().sign(
        Algorithm::RS256,
        &json!({"kid": "ins_a", "cat": "cl_B7d4PD333AAA"}),
        &integration_tests::clerk_payload(NOW_S),
    );
    let typ = keys::rsa2048_a().sign(
        Algorithm::RS256,
        &json!({"kid": "ins_a", "typ": "at+jwt"}),
        &integration_tests::clerk_payload(NOW_S),
    );
    for (t, reason) in [
        ("garbage".to_owned(), Reason::TokenInvalid),
        ("a.b.c".to_owned(), Reason::TokenInvalid),
        (hs, Reason::TokenInvalidAlgorithm),
        (m2m, Reason::TokenInvalid),
        (typ, Reason::TokenInvalid),
    ] {
        assert_eq!(
            v.verify_at(&t, now()).await.unwrap_err().reason(),
            reason,
            "{t}"
        );
    }
    assert_eq!(api.requests(), 0);
}

#[tokio::test]
async fn skip_jwks_cache_fetches_for_every_token() {
    let api = FakeBackendApi::start("", Mode::Keys(instance_jwks())).await;
    let o = options(&api, SECRET).with_skip_jwks_cache(true);
    let v = Verifier::new(&o).unwrap();
    for _ in 0..3 {
        assert!(v.verify_at(&token("ins_a"), now()).await.is_ok());
    }
    assert_eq!(api.requests(), 3);
    assert!(verify_token_at(&token("ins_a"), &o, now()).await.is_ok());
    assert_eq!(api.requests(), 4);
}

#[test]
fn plain_http_is_refused_for_other_hosts() {
    for url in ["http://api.example.com", "ftp://127.0.0.1", "https://"] {
        let o = VerifyTokenOptions::default()
            .with_secret_key(SECRET)
            .with_api_url(url);
        assert_eq!(
            Verifier::new(&o).unwrap_err().code(),
            "invalid-api-url",
            "{url}"
        );
    }
    let ok = VerifyTokenOptions::default()
        .with_secret_key(SECRET)
        .with_api_url("https://api.clerk.com");
    assert!(Verifier::new(&ok).is_ok());
}

#[tokio::test]
async fn a_token_without_kid_names_no_backend_api_key() {
    // Clerk looks keys up by kid only, so even a one-key set does not verify a kid-less token.
    let api = FakeBackendApi::start(
        "",
        Mode::Keys(json!({"keys": [
            keys::rsa2048_a().public_jwk("ins_a", Some(Algorithm::RS256)),
        ]})),
    )
    .await;
    let v = Verifier::new(&options(&api, SECRET)).unwrap();
    let no_kid = keys::rsa2048_a().sign(
        Algorithm::RS256,
        &json!({"typ": "JWT"}),
        &integration_tests::clerk_payload(NOW_S),
    );
    let e = v.verify_at(&no_kid, now()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::JwkKidMismatch);
    assert_eq!(
        e.message(),
        "Unable to find a signing key in JWKS that matches the kid='undefined' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    );
    assert!(e.is_token_invalid());
    assert_eq!(api.requests(), 0, "nothing to look up, nothing fetched");
}
