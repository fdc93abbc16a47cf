//! A fake Clerk Backend API on 127.0.0.1 for the remote-key cases: one JWKS route per case,
//! `GET /{case}/v1/jwks`, so that both sides (and Clerk's process-wide key cache) see each
//! case in isolation. A real hyper server, asked over real HTTP by node and by us.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The secret key the fake Backend API accepts.
pub(crate) const SECRET: &str = "sk_test_differential_0123456789";

/// What one case's route answers (to a request with the right secret).
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// 200 with this JWKS document.
    Jwks(Value),
    /// This status with this JSON body.
    Status(u16, Value),
}

/// Clerk's answer to a secret key it does not know.
pub(crate) fn clerk_key_invalid() -> Value {
    json!({
        "errors": [{
            "message": "The provided secret key is invalid.",
            "long_message": "No instance has this secret key.",
            "code": "clerk_key_invalid"
        }]
    })
}

/// A running server; stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `routes` (case id → reply) until dropped.
    pub(crate) fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let routes = Arc::new(routes);
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let stream = tokio::select! {
                        _ = &mut stopped => return,
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => stream,
                            Err(_) => continue,
                        },
                    };
                    let routes = Arc::clone(&routes);
                    tokio::spawn(async move {
                        let service = service_fn(move |req| answer(req, Arc::clone(&routes)));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The `apiUrl` of one case: `http://127.0.0.1:PORT/{case}`.
    pub(crate) fn api_url(&self, case: &str) -> String {
        format!("http://{}/{case}", self.addr)
    }
}

impl Drop for Server {
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
    routes: Arc<HashMap<String, Reply>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: u16, body: &Value| {
        let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
        *resp.status_mut() = StatusCode::from_u16(status).expect("status");
        resp.headers_mut().insert(
            "content-type",
            "application/json".parse().expect("header value"),
        );
        Ok(resp)
    };
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {SECRET}").as_str());
    let route = req
        .uri()
        .path()
        .strip_suffix("/v1/jwks")
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|case| routes.get(case));
    match route {
        None => reply(404, &json!({"errors": [{"code": "resource_not_found"}]})),
        Some(_) if !authorized => reply(401, &clerk_key_invalid()),
        Some(Reply::Jwks(jwks)) => reply(200, jwks),
        Some(Reply::Status(status, body)) => reply(*status, body),
    }
}
