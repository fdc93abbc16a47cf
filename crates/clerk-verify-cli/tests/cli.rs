//! End-to-end tests of the `clerk-verify` binary: every exit status, every key source, the
//! environment, stdin and argv, and the exact bytes of each output shape.
//!
//! The tests run the binary cargo built for this package (`CARGO_BIN_EXE_clerk-verify`), so
//! they always test the current code, whatever the target directory or profile. Tokens are
//! signed by the test kit with real keys, relative to the real clock (the binary reads it);
//! the fake Backend API is a real HTTP server on 127.0.0.1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failure is a bug in the test and should fail it loudly"
)]

mod support;

use integration_tests::http::TestServer;
use integration_tests::{TestKey, clerk_payload, keys};
use jwt_core::Algorithm;
use serde_json::{Value, json};
use support::{Behaviour, clerk_key_invalid_body, fake_backend_api, run};

const SECRET: &str = "sk_test_cli_e2e_secret";
const KID: &str = "ins_cli_key_1";
const ENSURE_CLERK_JWT: &str = "Make sure that this is a valid Clerk-generated JWT.";

#[allow(clippy::disallowed_methods)] // reason: the binary reads the real clock, so must we
fn now_s() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(d.as_secs()).expect("fits")
}

fn a() -> TestKey {
    keys::rsa2048_a()
}

fn header() -> Value {
    json!({"typ": "JWT", "kid": KID})
}

/// A valid token (signed by key A, valid for a minute) and its payload.
fn valid() -> (String, Value) {
    let payload = clerk_payload(now_s());
    (a().sign(Algorithm::RS256, &header(), &payload), payload)
}

fn token_with(payload: &Value) -> String {
    a().sign(Algorithm::RS256, &header(), payload)
}

fn jwks_of(key: &TestKey, kid: &str) -> Value {
    json!({"keys": [key.public_jwk(kid, Some(Algorithm::RS256))]})
}

/// Writes `contents` to a file `name` in `dir` (a test's own directory, removed when the test
/// drops it) and returns its path.
fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn bapi(jwks: Value) -> TestServer {
    fake_backend_api(Behaviour {
        secret_key: SECRET.to_owned(),
        jwks,
        fail_status: None,
    })
}

fn payload_line(payload: &Value) -> String {
    format!("{payload}\n")
}

fn error_line(reason: &str, message: &str, action: Option<&str>) -> String {
    format!(
        "{}\n",
        json!({"error": {"reason": reason, "message": message, "action": action}})
    )
}

#[track_caller]
fn assert_usage_error(args: &[&str], env: &[(&str, &str)], stderr_says: &str) {
    let r = run(args, env, None);
    assert_eq!(r.code, 2, "{args:?}: {r:?}");
    assert_eq!(
        r.stdout, "",
        "{args:?}: nothing on stdout for a usage error"
    );
    assert!(
        r.stderr.contains(stderr_says),
        "{args:?}: stderr should mention {stderr_says:?}: {}",
        r.stderr
    );
}

// --- Success: exit 0, the payload as one line, byte for byte ---------------------------------

#[test]
fn verified_token_from_argv_prints_the_payload_exactly() {
    let (token, payload) = valid();
    let r = run(&["verify", "--jwt-key", a().public_pem, &token], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, payload_line(&payload));
    assert_eq!(r.stderr, "");
}

#[test]
fn payload_member_order_and_custom_claims_are_kept() {
    let mut payload = json!({"zeta": 1, "sub": "user_1", "alpha": {"nested": [1, "two", null]}});
    payload["exp"] = json!(now_s() + 60);
    payload["name"] = json!("Zoë ✓");
    let r = run(
        &["verify", "--jwt-key", a().public_pem, &token_with(&payload)],
        &[],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, payload_line(&payload));
}

#[test]
fn token_from_stdin_when_absent_or_dash() {
    let (token, payload) = valid();
    for (args, input) in [
        (
            vec!["verify", "--jwt-key", a().public_pem],
            format!("{token}\n"),
        ),
        (
            vec!["verify", "--jwt-key", a().public_pem, "-"],
            format!("{token}\r\n"),
        ),
        (
            vec!["verify", "--jwt-key", a().public_pem, "-"],
            token.clone(),
        ),
    ] {
        let r = run(&args, &[], Some(input.as_bytes()));
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(r.stdout, payload_line(&payload));
    }
}

#[test]
fn every_key_source_flag_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (token, payload) = valid();
    let pem_path = temp_file(&dir, "a.pem", a().public_pem);
    let jwks_path = temp_file(&dir, "a.jwks.json", &jwks_of(&a(), KID).to_string());
    let server = bapi(jwks_of(&a(), KID));
    let jwks_url = server.url("/jwks.json");
    let api_url = server.url("");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--jwt-key", a().public_pem],
        vec!["--jwt-key-file", pem_path.to_str().expect("utf-8 path")],
        vec!["--jwks-file", jwks_path.to_str().expect("utf-8 path")],
        vec!["--jwks-url", &jwks_url],
        vec!["--secret-key", SECRET, "--api-url", &api_url],
        vec![
            "--secret-key",
            SECRET,
            "--api-url",
            &api_url,
            "--api-version",
            "v1",
        ],
    ];
    for flags in cases {
        let mut args = vec!["verify"];
        args.extend(&flags);
        args.push(&token);
        let r = run(&args, &[], None);
        assert_eq!(r.code, 0, "{flags:?}: {r:?}");
        assert_eq!(r.stdout, payload_line(&payload), "{flags:?}");
    }
}

#[test]
fn key_sources_from_the_environment() {
    let (token, payload) = valid();
    let server = bapi(jwks_of(&a(), KID));
    let api_url = server.url("");
    let r = run(
        &["verify", &token],
        &[("CLERK_JWT_KEY", a().public_pem)],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, payload_line(&payload).as_str()),
        "{r:?}"
    );

    let r = run(
        &["verify", &token],
        &[("CLERK_SECRET_KEY", SECRET), ("CLERK_API_URL", &api_url)],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, payload_line(&payload).as_str()),
        "{r:?}"
    );
    assert_eq!(server.count(), 1);

    // Both set: the JWT key wins, as in Clerk, and the Backend API is not asked.
    let r = run(
        &["verify", &token],
        &[
            ("CLERK_JWT_KEY", a().public_pem),
            ("CLERK_SECRET_KEY", "sk_test_not_used"),
            ("CLERK_API_URL", &api_url),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        server.count(),
        1,
        "no Backend API request when CLERK_JWT_KEY is set"
    );

    // An empty CLERK_JWT_KEY counts as unset.
    let r = run(
        &["verify", &token],
        &[
            ("CLERK_JWT_KEY", ""),
            ("CLERK_SECRET_KEY", SECRET),
            ("CLERK_API_URL", &api_url),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(server.count(), 2);
}

#[test]
fn a_flag_overrides_the_environment() {
    let (token, _) = valid();
    // The environment names key B; the flag names key A, which signed the token.
    let r = run(
        &["verify", "--jwt-key", a().public_pem, &token],
        &[("CLERK_JWT_KEY", keys::rsa2048_b().public_pem)],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(
        &["verify", &token],
        &[("CLERK_JWT_KEY", keys::rsa2048_b().public_pem)],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stdout,
        error_line("token-invalid-signature", "JWT signature is invalid.", None)
    );
}

// --- The Backend API source against a fake Backend API --------------------------------------

#[test]
fn backend_api_request_carries_clerks_headers() {
    let (token, _) = valid();
    let server = bapi(jwks_of(&a(), KID));
    let r = run(
        &[
            "verify",
            "--secret-key",
            SECRET,
            "--api-url",
            &server.url(""),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path_and_query(), "/v1/jwks");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert!(seen[0].header("clerk-api-version").is_some(), "{seen:?}");
    assert!(
        seen[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("clerk-verify")),
        "{seen:?}"
    );
}

#[test]
fn refused_secret_key_is_secret_key_invalid() {
    let (token, _) = valid();
    let server = bapi(jwks_of(&a(), KID));
    let r = run(
        &[
            "verify",
            "--secret-key",
            "sk_test_wrong",
            "--api-url",
            &server.url(""),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    let message = clerk_key_invalid_body()["errors"][0]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert_eq!(
        r.stdout,
        error_line(
            "secret-key-invalid",
            &message,
            Some("Contact support@clerk.com")
        )
    );
    assert_eq!(server.count(), 1, "a refused key is not retried");
}

#[test]
fn backend_api_failures_are_jwk_remote_failed_to_load() {
    let (token, _) = valid();
    let server = fake_backend_api(Behaviour {
        secret_key: SECRET.to_owned(),
        jwks: jwks_of(&a(), KID),
        fail_status: Some(500),
    });
    let r = run(
        &[
            "verify",
            "--secret-key",
            SECRET,
            "--api-url",
            &server.url(""),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-remote-failed-to-load");
    assert!((1..=2).contains(&server.count()), "at most one retry");

    // A version the server does not serve: 404, not a secret key problem.
    let server = bapi(jwks_of(&a(), KID));
    let r = run(
        &[
            "verify",
            "--secret-key",
            SECRET,
            "--api-url",
            &server.url(""),
            "--api-version",
            "v9",
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-remote-failed-to-load");
    assert_eq!(server.requests()[0].path_and_query(), "/v9/jwks");
}

#[test]
fn empty_key_set_from_the_backend_api() {
    let (token, _) = valid();
    let server = bapi(json!({"keys": []}));
    let r = run(
        &[
            "verify",
            "--secret-key",
            SECRET,
            "--api-url",
            &server.url(""),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-remote-failed-to-load");
}

#[test]
fn unknown_kid_is_jwk_kid_mismatch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = a().sign(
        Algorithm::RS256,
        &json!({"typ": "JWT", "kid": "ins_other"}),
        &clerk_payload(now_s()),
    );
    let server = bapi(jwks_of(&a(), KID));
    let jwks_path = temp_file(&dir, "kid.jwks.json", &jwks_of(&a(), KID).to_string());
    for source in [
        vec!["--secret-key", SECRET, "--api-url", &server.url("")],
        vec!["--jwks-file", jwks_path.to_str().expect("utf-8")],
    ] {
        let mut args = vec!["verify"];
        args.extend(&source);
        args.push(&token);
        let r = run(&args, &[], None);
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(
            r.stdout,
            error_line(
                "jwk-kid-mismatch",
                "Unable to find a signing key in JWKS that matches the kid='ins_other' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.",
                Some(
                    "Go to your Dashboard and validate your secret and public keys are correct. Contact support@clerk.com if the issue persists."
                ),
            ),
            "{source:?}"
        );
    }
}

#[test]
fn unreachable_jwks_url_is_jwk_remote_failed_to_load() {
    let (token, _) = valid();
    // Bind and drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind")
        .port();
    let url = format!("http://127.0.0.1:{port}/jwks.json");
    let r = run(&["verify", "--jwks-url", &url, &token], &[], None);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-remote-failed-to-load");
}

// --- Rejections: exit 1 and one line, byte for byte ------------------------------------------

#[test]
fn rejections_have_the_exact_shape() {
    let now = now_s();
    let pem = a().public_pem;
    let p = clerk_payload(now);
    let with = |k: &str, v: Value| {
        let mut p = p.clone();
        p[k] = v;
        p
    };
    let cases: Vec<(Vec<&str>, String, String)> = vec![
        (
            vec![],
            "not-a-token".to_owned(),
            error_line(
                "token-invalid",
                "Invalid JWT form. A JWT consists of three parts separated by dots.",
                None,
            ),
        ),
        (
            vec![],
            keys::rsa2048_b().sign(Algorithm::RS256, &header(), &p),
            error_line("token-invalid-signature", "JWT signature is invalid.", None),
        ),
        (
            vec!["--authorized-party", "https://other.example.com"],
            token_with(&p),
            error_line(
                "token-invalid-authorized-parties",
                "Invalid JWT Authorized party claim (azp) \"https://app.example.com\". Expected \"https://other.example.com\".",
                None,
            ),
        ),
        (
            vec![
                "--issuer",
                "https://a.example",
                "--issuer",
                "https://b.example",
            ],
            token_with(&p),
            error_line(
                "token-invalid-issuer",
                "Invalid JWT issuer claim (iss) \"https://clerk.example.com\". Expected \"https://a.example,https://b.example\".",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
        (
            vec!["--audience", "api://one"],
            token_with(&with("aud", json!("api://two"))),
            error_line(
                "token-verification-failed",
                "Invalid JWT audience claim (aud) \"api://two\". Is not included in \"[\"api://one\"]\".",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
        (
            vec!["--algorithm", "RS384"],
            token_with(&p),
            error_line(
                "token-invalid-algorithm",
                "Invalid JWT algorithm \"RS256\". Supported: RS384.",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
        (
            vec!["--header-type", "at+jwt"],
            token_with(&p),
            error_line(
                "token-invalid",
                "Invalid JWT type \"JWT\". Expected \"at+jwt\".",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
        (
            vec![],
            token_with(&with("sub", json!(42))),
            error_line(
                "token-verification-failed",
                "Subject claim (sub) is required and must be a string. Received 42.",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
        (
            vec![],
            a().sign(
                Algorithm::RS256,
                &json!({"typ": "JWT", "cat": "cl_B7d4PD333AAA"}),
                &p,
            ),
            error_line(
                "token-invalid",
                "Invalid session token category.",
                Some(ENSURE_CLERK_JWT),
            ),
        ),
    ];
    for (checks, token, expected) in cases {
        let mut args = vec!["verify", "--jwt-key", pem];
        args.extend(&checks);
        args.push(&token);
        let r = run(&args, &[], None);
        assert_eq!(r.code, 1, "{checks:?}: {r:?}");
        assert_eq!(r.stdout, expected, "{checks:?}");
        assert_eq!(r.stderr, "", "{checks:?}");
    }
}

#[test]
fn time_checks_use_the_clock_skew_flag() {
    let now = now_s();
    let pem = a().public_pem;
    // Expired 2023-11-14T22:13:20Z: the message quotes the date as JavaScript prints it.
    let mut expired = clerk_payload(1_700_000_000);
    expired["exp"] = json!(1_700_000_000);
    let r = run(
        &["verify", "--jwt-key", pem, &token_with(&expired)],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    let err = &r.json()["error"];
    assert_eq!(err["reason"], "token-expired");
    assert_eq!(err["action"], Value::Null);
    let message = err["message"].as_str().expect("message");
    assert!(
        message.starts_with(
            "JWT is expired. Expiry date: Tue, 14 Nov 2023 22:13:20 GMT, Current date: "
        ) && message.ends_with(" GMT."),
        "{message}"
    );

    // Expired 3 s ago: accepted with 10 s of skew, rejected with none.
    let mut p = clerk_payload(now);
    p["exp"] = json!(now - 3);
    let token = token_with(&p);
    let ok = run(
        &[
            "verify",
            "--jwt-key",
            pem,
            "--clock-skew-ms",
            "10000",
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    let r = run(
        &["verify", "--jwt-key", pem, "--clock-skew-ms", "0", &token],
        &[],
        None,
    );
    assert_eq!(r.json()["error"]["reason"], "token-expired");

    // A negative skew shortens the lifetime: valid for 30 s more, but not with -60 s. (It
    // also moves nbf and iat checks the other way, so the token has neither.)
    let mut p = clerk_payload(now);
    p["exp"] = json!(now + 30);
    let map = p.as_object_mut().expect("object");
    map.shift_remove("iat");
    map.shift_remove("nbf");
    let token = token_with(&p);
    let r = run(
        &[
            "verify",
            "--jwt-key",
            pem,
            "--clock-skew-ms",
            "-60000",
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.json()["error"]["reason"], "token-expired", "{r:?}");
    let r = run(
        &["verify", "--jwt-key", pem, "--clock-skew-ms=-1000", &token],
        &[],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");

    // nbf and iat an hour ahead.
    let mut p = clerk_payload(now);
    p["nbf"] = json!(now + 3600);
    let r = run(&["verify", "--jwt-key", pem, &token_with(&p)], &[], None);
    assert_eq!(r.json()["error"]["reason"], "token-not-active-yet");
    let mut p = clerk_payload(now);
    p["iat"] = json!(now + 3600);
    let r = run(&["verify", "--jwt-key", pem, &token_with(&p)], &[], None);
    assert_eq!(r.json()["error"]["reason"], "token-iat-in-the-future");
}

#[test]
fn other_algorithms_can_be_allowed_explicitly() {
    let payload = clerk_payload(now_s());
    let key = keys::p256();
    let token = key.sign(Algorithm::ES256, &header(), &payload);
    let r = run(&["verify", "--jwt-key", key.public_pem, &token], &[], None);
    // An EC key cannot verify any of the default RSA algorithms: the key is unusable as set up.
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-failed-to-load");
    let r = run(
        &[
            "verify",
            "--jwt-key",
            key.public_pem,
            "--algorithm",
            "ES256",
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, payload_line(&payload));
}

#[test]
fn unusable_key_material_is_jwk_failed_to_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (token, _) = valid();
    let r = run(&["verify", "--jwt-key", "not a key", &token], &[], None);
    assert_eq!(r.code, 1, "{r:?}");
    let err = &r.json()["error"];
    assert_eq!(err["reason"], "jwk-failed-to-load");
    assert_eq!(err["action"], "Set the CLERK_JWT_KEY environment variable.");

    let no_usable = temp_file(
        &dir,
        "unusable.jwks.json",
        &json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "x"}]}).to_string(),
    );
    let r = run(
        &[
            "verify",
            "--jwks-file",
            no_usable.to_str().expect("utf-8"),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-failed-to-load");

    let not_jwks = temp_file(&dir, "not.jwks.json", "[1, 2, 3]");
    let r = run(
        &[
            "verify",
            "--jwks-file",
            not_jwks.to_str().expect("utf-8"),
            &token,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-failed-to-load");
}

#[test]
fn oversized_stdin_is_rejected_as_a_token_not_read_without_bound() {
    let big = vec![b'a'; 4 * 1024 * 1024];
    let r = run(&["verify", "--jwt-key", a().public_pem], &[], Some(&big));
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "token-invalid");
}

// --- Usage errors: exit 2, nothing on stdout, a message on stderr ----------------------------

#[test]
fn usage_errors_exit_2() {
    let pem = a().public_pem;
    let (token, _) = valid();
    assert_usage_error(&["verify", &token], &[], "no key source");
    assert_usage_error(
        &[
            "verify",
            "--jwt-key",
            pem,
            "--jwks-url",
            "https://example.com/jwks",
            &token,
        ],
        &[],
        "cannot be used with",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--secret-key", SECRET, &token],
        &[],
        "cannot be used with",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--algorithm", "none", &token],
        &[],
        "not an algorithm",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--algorithm", "HS256", &token],
        &[],
        "shared secret",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--algorithm", "rs256", &token],
        &[],
        "case-sensitive",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--no-such-flag", &token],
        &[],
        "--no-such-flag",
    );
    assert_usage_error(
        &[
            "verify",
            "--jwt-key",
            pem,
            "--clock-skew-ms",
            "soon",
            &token,
        ],
        &[],
        "--clock-skew-ms",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, "--authorized-party", "", &token],
        &[],
        "authorized party",
    );
    assert_usage_error(
        &[
            "verify",
            "--jwt-key",
            pem,
            "--api-url",
            "https://x.example",
            &token,
        ],
        &[],
        "--api-url applies only",
    );
    assert_usage_error(
        &["verify", "--jwt-key", pem, &token, "extra"],
        &[],
        "unexpected argument",
    );
    assert_usage_error(
        &["verify", "--jwt-key-file", "/nonexistent/key.pem", &token],
        &[],
        "cannot open",
    );
    assert_usage_error(
        &["verify", "--jwks-url", "http://example.com/jwks", &token],
        &[],
        "loopback",
    );
    assert_usage_error(
        &["verify", "--jwks-url", "ftp://127.0.0.1/jwks", &token],
        &[],
        "https",
    );
    assert_usage_error(
        &[
            "verify",
            "--secret-key",
            SECRET,
            "--api-url",
            "http://example.com",
            &token,
        ],
        &[],
        "api_url",
    );
    assert_usage_error(
        &["verify", &token],
        &[
            ("CLERK_SECRET_KEY", SECRET),
            ("CLERK_API_URL", "http://example.com"),
        ],
        "CLERK_API_URL",
    );
    assert_usage_error(&[], &[], "Usage");
    assert_usage_error(&["frobnicate"], &[], "unrecognized subcommand");
    assert_usage_error(&["jwks"], &[], "no key source");
    assert_usage_error(
        &["jwks", "--jwt-key", pem, "--jwks-file", "x"],
        &[],
        "cannot be used with",
    );
    assert_usage_error(&["decode", "a.b.c", "d"], &[], "unexpected argument");
}

#[test]
fn empty_stdin_is_a_usage_error() {
    let r = run(&["verify", "--jwt-key", a().public_pem], &[], Some(b"\n"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no token"), "{r:?}");
    let r = run(&["decode"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["-h"],
        vec!["verify", "--help"],
        vec!["verify", "-h"],
        vec!["decode", "--help"],
        vec!["decode", "-h"],
        vec!["jwks", "--help"],
        vec!["jwks", "-h"],
        vec!["help", "verify"],
    ] {
        let r = run(&args, &[], None);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        assert!(
            r.stdout.contains("Usage: clerk-verify"),
            "{args:?}: {}",
            r.stdout
        );
        assert_eq!(r.stderr, "", "{args:?}");
    }
    let r = run(&["verify", "--help"], &[], None);
    for flag in [
        "--jwt-key",
        "--jwt-key-file",
        "--jwks-file",
        "--jwks-url",
        "--secret-key",
        "--api-url",
        "--api-version",
        "--authorized-party",
        "--audience",
        "--issuer",
        "--clock-skew-ms",
        "--header-type",
        "--algorithm",
        "CLERK_JWT_KEY",
        "CLERK_SECRET_KEY",
        "CLERK_API_URL",
    ] {
        assert!(r.stdout.contains(flag), "verify --help lacks {flag}");
    }
}

// --- decode ----------------------------------------------------------------------------------

#[test]
fn decode_prints_header_and_payload_marked_unverified() {
    // Expired and signed by a key nobody configured: decode does not care, and needs no key.
    let payload = json!({"sub": "user_1", "exp": 1, "z": [1, {"b": 2, "a": 1}]});
    let token = keys::rsa2048_b().sign(Algorithm::RS512, &header(), &payload);
    let expected = format!(
        "{{\"unverified\":true,\"header\":{{\"typ\":\"JWT\",\"kid\":\"{KID}\",\"alg\":\"RS512\"}},\"payload\":{payload}}}\n"
    );
    let r = run(&["decode", &token], &[], None);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, expected.as_str(), "")
    );
    let r = run(&["decode"], &[], Some(format!("{token}\n").as_bytes()));
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()));
    let r = run(
        &["decode", "-"],
        &[("CLERK_JWT_KEY", "not a key")],
        Some(token.as_bytes()),
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()));
}

#[test]
fn decode_rejects_what_is_not_a_token() {
    for bad in ["not-a-token", "a.b.c", "e30.e30"] {
        let r = run(&["decode", bad], &[], None);
        assert_eq!(r.code, 1, "{bad}: {r:?}");
        assert_eq!(r.json()["error"]["reason"], "token-invalid", "{bad}");
    }
}

// --- jwks ------------------------------------------------------------------------------------

#[test]
fn jwks_prints_the_keys_each_source_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = json!({"keys": [
        a().public_jwk(KID, Some(Algorithm::RS256)),
        keys::rsa2048_b().public_jwk("ins_cli_key_2", None),
    ]});
    let server = bapi(served.clone());
    let file = temp_file(&dir, "served.jwks.json", &served.to_string());
    let jwks_url = server.url("/jwks.json");
    let api_url = server.url("");
    type Source<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let sources: Vec<Source<'_>> = vec![
        (vec!["--jwks-file", file.to_str().expect("utf-8")], vec![]),
        (vec!["--jwks-url", &jwks_url], vec![]),
        (vec!["--secret-key", SECRET, "--api-url", &api_url], vec![]),
        (
            vec![],
            vec![("CLERK_SECRET_KEY", SECRET), ("CLERK_API_URL", &api_url)],
        ),
    ];
    for (flags, env) in sources {
        let mut args = vec!["jwks"];
        args.extend(&flags);
        let r = run(&args, &env, None);
        assert_eq!(r.code, 0, "{flags:?}: {r:?}");
        let printed = r.json();
        let keys = printed["keys"].as_array().expect("keys array");
        assert_eq!(keys.len(), 2, "{flags:?}");
        for (got, want) in keys.iter().zip(served["keys"].as_array().expect("array")) {
            for member in ["kty", "n", "e", "kid"] {
                assert_eq!(got[member], want[member], "{flags:?} {member}");
            }
        }
    }

    let r = run(&["jwks", "--jwt-key", a().public_pem], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    let printed = r.json();
    assert_eq!(printed["keys"][0]["n"], served["keys"][0]["n"]);

    let r = run(
        &[
            "jwks",
            "--secret-key",
            "sk_test_wrong",
            "--api-url",
            &api_url,
        ],
        &[],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "secret-key-invalid");

    let r = run(&["jwks", "--jwt-key", "not a key"], &[], None);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["reason"], "jwk-failed-to-load");
}

#[cfg(unix)]
#[test]
fn a_non_utf8_clerk_jwt_key_is_an_unusable_key_not_an_unset_one() {
    use std::os::unix::ffi::OsStrExt as _;
    let (token, _) = valid();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-verify"))
        .args(["verify", &token])
        .env_clear()
        .env("CLERK_JWT_KEY", std::ffi::OsStr::from_bytes(b"\xff\xfe"))
        .env("CLERK_SECRET_KEY", "sk_test_must_not_be_used")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["error"]["reason"], "jwk-failed-to-load");
}
