//! A fake Clerk Backend API (and a plain JWKS endpoint) served by the workspace's test server
//! (`integration_tests::http`, a real hyper server on 127.0.0.1), and helpers to run the built
//! `clerk-verify` binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support: a failure here is a bug in the test and should fail it loudly"
)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use integration_tests::http::{Reply, Request, TestServer};
use serde_json::{Value, json};

/// What the fake server answers.
#[derive(Clone, Debug)]
pub(crate) struct Behaviour {
    /// The only secret key the Backend API accepts.
    pub(crate) secret_key: String,
    /// The JWKS document served by `GET /v1/jwks` (with the secret) and `GET /jwks.json`.
    pub(crate) jwks: Value,
    /// When set, `GET /v1/jwks` answers with this status and a plain error body instead.
    pub(crate) fail_status: Option<u16>,
}

/// The body Clerk's Backend API sends for a secret key it does not know: an `errors` array
/// whose entry has `code: "clerk_key_invalid"`. `@clerk/backend` finds the entry by `code`
/// and reports its `message`.
pub(crate) fn clerk_key_invalid_body() -> Value {
    json!({
        "errors": [{
            "message": "The provided secret key is invalid.",
            "long_message": "The secret key in the Authorization header does not belong to any instance.",
            "code": "clerk_key_invalid"
        }],
        "clerk_trace_id": "trace_0123456789"
    })
}

/// Starts the fake Backend API on 127.0.0.1, on a thread of its own: the binary runs as a
/// child process while the test thread waits for it.
///
/// It serves `GET /jwks.json` (the JWKS, no credentials) and `GET /v1/jwks` (the JWKS for
/// `Bearer <secret_key>`, Clerk's `clerk_key_invalid` answer with a 401 otherwise, or the
/// failure status); anything else is a 404.
pub(crate) fn fake_backend_api(behaviour: Behaviour) -> TestServer {
    TestServer::builder()
        .handler(move |req| answer(&behaviour, req))
        .start_on_own_thread()
}

fn answer(behaviour: &Behaviour, req: &Request) -> Reply {
    let reply = |status: u16, body: &Value| Reply::json(body).with_status(status);
    match (req.method.as_str(), req.path_and_query()) {
        ("GET", "/jwks.json") => reply(200, &behaviour.jwks),
        ("GET", "/v1/jwks") => {
            if req.bearer() != Some(behaviour.secret_key.as_str()) {
                return reply(401, &clerk_key_invalid_body());
            }
            match behaviour.fail_status {
                Some(status) => reply(status, &json!({"errors": [{"code": "internal"}]})),
                None => reply(200, &behaviour.jwks),
            }
        }
        _ => reply(404, &json!({"errors": [{"code": "resource_not_found"}]})),
    }
}

/// The result of one run of the binary.
#[derive(Debug)]
pub(crate) struct Run {
    /// Exit status code.
    pub(crate) code: i32,
    /// Standard output, as text.
    pub(crate) stdout: String,
    /// Standard error, as text.
    pub(crate) stderr: String,
}

impl Run {
    /// The single stdout line, parsed as JSON (asserts there is exactly one line).
    pub(crate) fn json(&self) -> Value {
        assert!(
            self.stdout.ends_with('\n') && self.stdout.matches('\n').count() == 1,
            "stdout must be exactly one line: {:?} (stderr {:?})",
            self.stdout,
            self.stderr
        );
        serde_json::from_str(&self.stdout).expect("stdout is JSON")
    }
}

/// Runs the binary with `args`, `stdin` and an environment holding only `env` (plus PATH),
/// so that the tester's own CLERK_* variables never leak in.
pub(crate) fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clerk-verify"));
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin piped");
    let input = stdin.unwrap_or_default().to_vec();
    // Written from a thread so a child that exits early (or never reads) cannot block us.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("the binary runs");
    let _ = writer.join();
    Run {
        code: status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}
