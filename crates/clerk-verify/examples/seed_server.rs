//! A protected HTTP endpoint: 401 with a JSON error when the session token is missing or
//! invalid, the verified claims otherwise.
//!
//! ```text
//! CLERK_JWT_KEY="$(cat instance.pub.pem)" cargo run -p clerk-verify --example seed_server
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/
//! ```
//!
//! Configuration comes from Clerk's environment variables (`CLERK_JWT_KEY`, or
//! `CLERK_SECRET_KEY` with optional `CLERK_API_URL`/`CLERK_API_VERSION`), plus
//! `CLERK_AUTHORIZED_PARTIES` (comma-separated origins) and `PORT` (default 3000).

#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use clerk_verify::{Verifier, VerifyTokenOptions, session_token};
use http::{HeaderMap, StatusCode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};

/// The endpoint's logic, independent of the server: what to answer for these headers.
async fn handle(verifier: &Verifier, headers: &HeaderMap) -> (StatusCode, Value) {
    let Some(found) = session_token(headers) else {
        let error = json!({"message": "Token not found. User must sign in."});
        return (StatusCode::UNAUTHORIZED, json!({ "error": error }));
    };
    match verifier.verify_as::<Map<String, Value>>(&found.token).await {
        Ok(claims) => (StatusCode::OK, Value::Object(claims)),
        Err(e) => {
            // The token is at fault: 401. Keys could not be fetched: 503, try again later.
            let status = if e.is_key_infrastructure_unavailable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else if e.is_configuration_error() {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::UNAUTHORIZED
            };
            (status, json!({ "error": e }))
        }
    }
}

fn options_from_env(lookup: impl Fn(&str) -> Option<String>) -> VerifyTokenOptions {
    let parties: Vec<String> = lookup("CLERK_AUTHORIZED_PARTIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    VerifyTokenOptions::from_env_with(lookup).with_authorized_parties(parties)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lookup = |name: &str| std::env::var(name).ok();
    let verifier = Verifier::new(&options_from_env(lookup))?;
    let port: u16 = lookup("PORT").map_or(Ok(3000), |p| p.parse())?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{addr}");
    loop {
        let (stream, _) = listener.accept().await?;
        let verifier = verifier.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let verifier = verifier.clone();
                async move {
                    let (status, body) = handle(&verifier, req.headers()).await;
                    let response = Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body.to_string())));
                    Ok::<_, Infallible>(response.unwrap_or_default())
                }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_verify::Algorithm;
    use integration_tests::keys;

    fn verifier() -> Verifier {
        let pem = keys::rsa2048_a().public_pem.to_owned();
        let env = move |name: &str| match name {
            "CLERK_JWT_KEY" => Some(pem.clone()),
            "CLERK_AUTHORIZED_PARTIES" => {
                Some("https://app.example.com, https://admin.example.com".into())
            }
            _ => None,
        };
        Verifier::new(&options_from_env(env)).unwrap()
    }

    #[allow(clippy::disallowed_methods)] // reason: the example verifies at the real time
    fn now_s() -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        i64::try_from(since.unwrap().as_secs()).unwrap()
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[tokio::test]
    async fn answers_the_seed_scenario() {
        let v = verifier();
        let payload = integration_tests::clerk_payload(now_s());
        let token = keys::rsa2048_a().sign(Algorithm::RS256, &json!({"typ": "JWT"}), &payload);

        let (status, body) = handle(
            &v,
            &headers(&[("authorization", format!("Bearer {token}"))]),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, payload);

        let (status, body) = handle(
            &v,
            &headers(&[("cookie", format!("a=b; __session={token}"))]),
        )
        .await;
        assert_eq!((status, body), (StatusCode::OK, payload.clone()));

        let (status, body) = handle(&v, &HeaderMap::new()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body["error"]["message"],
            "Token not found. User must sign in."
        );

        let (status, body) = handle(&v, &headers(&[("authorization", "Bearer abc".into())])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["reason"], "token-invalid");

        let mut expired = payload.clone();
        expired["exp"] = json!(now_s() - 3600);
        let expired = keys::rsa2048_a().sign(Algorithm::RS256, &json!({}), &expired);
        let (status, body) = handle(
            &v,
            &headers(&[("authorization", format!("Bearer {expired}"))]),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["reason"], "token-expired");

        let mut other_origin = payload.clone();
        other_origin["azp"] = json!("https://evil.example.com");
        let other_origin = keys::rsa2048_a().sign(Algorithm::RS256, &json!({}), &other_origin);
        let (status, body) = handle(
            &v,
            &headers(&[("authorization", format!("Bearer {other_origin}"))]),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["reason"], "token-invalid-authorized-parties");
        assert_eq!(body["error"]["action"], Value::Null);
    }

    #[tokio::test]
    async fn key_infrastructure_failures_are_503() {
        // A Backend API that does not listen: nothing is known about the token.
        let addr = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let options = VerifyTokenOptions::default()
            .with_secret_key("sk_test_x")
            .with_api_url(format!("http://{addr}"));
        let v = Verifier::new(&options).unwrap();
        let token = keys::rsa2048_a().sign(
            Algorithm::RS256,
            &json!({"kid": "ins_1"}),
            &integration_tests::clerk_payload(now_s()),
        );
        let (status, body) = handle(
            &v,
            &headers(&[("authorization", format!("Bearer {token}"))]),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["reason"], "jwk-remote-failed-to-load");
    }
}
