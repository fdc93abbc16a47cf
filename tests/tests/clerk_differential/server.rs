//! A fake Clerk Backend API on 127.0.0.1 for the remote-key cases: one JWKS route per case,
//! `GET /{case}/v1/jwks`, so that both sides (and Clerk's process-wide key cache) see each
//! case in isolation. The workspace's test server (`integration_tests::http`, a real hyper
//! server), asked over real HTTP by node and by us.

use std::collections::HashMap;

use integration_tests::http::{self, Request, TestServer};
use serde_json::{Value, json};

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
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves `routes` (case id → reply) until dropped, on a thread of its own: node runs as a
    /// child process while the test thread waits for it.
    pub(crate) fn start(routes: HashMap<String, Reply>) -> Server {
        let server = TestServer::builder()
            .handler(move |req| answer(req, &routes))
            .start_on_own_thread();
        Server(server)
    }

    /// The `apiUrl` of one case: `http://127.0.0.1:PORT/{case}`.
    pub(crate) fn api_url(&self, case: &str) -> String {
        self.0.url(&format!("/{case}"))
    }
}

fn answer(req: &Request, routes: &HashMap<String, Reply>) -> http::Reply {
    let reply = |status: u16, body: &Value| http::Reply::json(body).with_status(status);
    let route = req
        .path()
        .strip_suffix("/v1/jwks")
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|case| routes.get(case));
    match route {
        None => reply(404, &json!({"errors": [{"code": "resource_not_found"}]})),
        Some(_) if req.bearer() != Some(SECRET) => reply(401, &clerk_key_invalid()),
        Some(Reply::Jwks(jwks)) => reply(200, jwks),
        Some(Reply::Status(status, body)) => reply(*status, body),
    }
}
