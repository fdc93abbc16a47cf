//! A fake Clerk Backend API (and a plain JWKS endpoint) served by a real hyper server on
//! 127.0.0.1, and helpers to run the built `clerk-verify` binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support: a failure here is a bug in the test and should fail it loudly"
)]

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

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

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct SeenRequest {
    /// Path and query.
    pub(crate) path: String,
    /// The `Authorization` header.
    pub(crate) authorization: Option<String>,
    /// The `Clerk-API-Version` header.
    pub(crate) clerk_api_version: Option<String>,
    /// The `User-Agent` header.
    pub(crate) user_agent: Option<String>,
}

/// A running fake server; stops when dropped.
pub(crate) struct FakeBackendApi {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeBackendApi {
    /// Starts the server on a fresh 127.0.0.1 port, on its own thread and runtime.
    pub(crate) fn start(behaviour: Behaviour) -> FakeBackendApi {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let state = (Arc::new(behaviour), requests.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    let (stream, _) = tokio::select! {
                        _ = &mut stopped => return,
                        accepted = listener.accept() => match accepted {
                            Ok(s) => s,
                            Err(_) => continue,
                        },
                    };
                    let (behaviour, requests, seen) = state.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            answer(req, behaviour.clone(), requests.clone(), seen.clone())
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        FakeBackendApi {
            addr,
            requests,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests the server has answered.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The requests seen so far.
    pub(crate) fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

impl Drop for FakeBackendApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer(
    req: Request<Incoming>,
    behaviour: Arc<Behaviour>,
    requests: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let authorization = header("authorization");
    seen.lock().expect("not poisoned").push(SeenRequest {
        path: path.clone(),
        authorization: authorization.clone(),
        clerk_api_version: header("clerk-api-version"),
        user_agent: header("user-agent"),
    });
    let reply = |status: u16, body: &Value| {
        let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
        *resp.status_mut() = StatusCode::from_u16(status).expect("valid status");
        resp.headers_mut()
            .insert("content-type", "application/json".parse().expect("header"));
        Ok(resp)
    };
    match (req.method().as_str(), path.as_str()) {
        ("GET", "/jwks.json") => reply(200, &behaviour.jwks),
        ("GET", "/v1/jwks") => {
            if authorization.as_deref() != Some(&format!("Bearer {}", behaviour.secret_key)) {
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
