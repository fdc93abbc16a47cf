//! HyperHttpClient against a real HTTP server on 127.0.0.1, and RemoteJwks's own enforcement
//! of the HttpClient contract around clients that break it.

use std::time::Duration;

use bytes::Bytes;
use integration_tests::http::{Reply, TestServer};
use jwks::client::{HttpClient, HttpRequest, HttpResponse, HyperHttpClient};
use jwks::{KeyProvider, KeyRequest, MAX_ERROR_BODY, RemoteJwks, SourceError, async_trait};
use jwt_core::Algorithm;

#[allow(clippy::unwrap_used, reason = "the test server's URL always parses")]
fn get(server: &TestServer) -> HttpRequest {
    HttpRequest::get(server.url("/jwks").parse().unwrap()).with_timeout(Duration::from_secs(2))
}

#[tokio::test]
async fn a_plain_get() {
    let server = TestServer::start(Reply::json("{\"keys\":[]}").header("etag", "\"x\"")).await;
    let client = HyperHttpClient::new().unwrap();
    let mut headers = jwks::http::HeaderMap::new();
    headers.insert("x-test", "1".parse().unwrap());
    let resp = client
        .get(&get(&server).with_headers(headers))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.headers["etag"], "\"x\"");
    assert_eq!(resp.body, Bytes::from_static(b"{\"keys\":[]}"));
    assert_eq!(server.request(0).headers["x-test"], "1");
    // The pooled connection is reused for the next request.
    client.get(&get(&server)).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn error_bodies_are_cut_to_a_prefix() {
    let big = "e".repeat(100_000);
    let server = TestServer::start(Reply::status(500, &big)).await;
    let client = HyperHttpClient::new().unwrap();
    let resp = client.get(&get(&server)).await.unwrap();
    assert_eq!(resp.status, 500);
    assert_eq!(resp.body.len(), MAX_ERROR_BODY);
}

#[tokio::test]
async fn redirects_come_back_as_they_are() {
    let server = TestServer::start(Reply::redirect(302, "https://elsewhere.example/")).await;
    let client = HyperHttpClient::new().unwrap();
    let resp = client.get(&get(&server)).await.unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.headers["location"], "https://elsewhere.example/");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn body_cap_with_and_without_content_length() {
    for declare_length in [true, false] {
        let server = TestServer::start(Reply::Huge {
            total: 2000,
            declare_length,
        })
        .await;
        let client = HyperHttpClient::new().unwrap();
        let err = client
            .get(&get(&server).with_max_body(1000))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "source-body-too-large", "{declare_length}");
        let ok = client.get(&get(&server).with_max_body(2000)).await.unwrap();
        assert_eq!(ok.body.len(), 2000);
    }
}

#[tokio::test]
async fn the_whole_exchange_is_under_the_timeout() {
    let server = TestServer::start(Reply::Hang).await;
    let client = HyperHttpClient::new().unwrap();
    let req = get(&server).with_timeout(Duration::from_millis(100));
    let err = client.get(&req).await.unwrap_err();
    assert_eq!(err.code(), "source-timeout");
    assert!(err.is_timeout() && err.is_transient());
}

#[tokio::test]
async fn plain_http_only_for_loopback_unless_allowed() {
    let client = HyperHttpClient::new().unwrap();
    let req = HttpRequest::get("http://192.0.2.1/jwks".parse().unwrap());
    assert_eq!(client.get(&req).await.unwrap_err().code(), "source-config");
    // Allowed: the request is attempted (and fails quickly at the transport or timeout).
    let open = HyperHttpClient::new().unwrap().allow_plain_http(true);
    let req = req.with_timeout(Duration::from_millis(50));
    let code = open.get(&req).await.unwrap_err().code();
    assert!(
        code == "source-timeout" || code == "source-transport",
        "{code}"
    );
}

/// A client that breaks the contract: ignores the body cap, or never answers.
#[derive(Debug)]
enum Rogue {
    HugeBody,
    Never,
}

#[async_trait]
impl HttpClient for Rogue {
    async fn get(&self, _req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        match self {
            Rogue::HugeBody => Ok(HttpResponse::new(
                jwks::http::StatusCode::OK,
                jwks::http::HeaderMap::new(),
                Bytes::from(vec![b' '; 2 * 1024 * 1024]),
            )),
            Rogue::Never => std::future::pending().await,
        }
    }
}

#[tokio::test]
async fn remote_source_enforces_the_contract_around_any_client() {
    let req = KeyRequest {
        kid: Some("a"),
        alg: Algorithm::RS256,
    };
    let src = RemoteJwks::builder("https://idp.example/jwks")
        .http_client(Rogue::HugeBody)
        .build()
        .unwrap();
    assert_eq!(
        src.key(req).await.unwrap_err().code(),
        "source-body-too-large"
    );
    let src = RemoteJwks::builder("https://idp.example/jwks")
        .http_client(Rogue::Never)
        .timeout(Duration::from_millis(50))
        .retries(0, Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(src.key(req).await.unwrap_err().code(), "source-timeout");
}

#[tokio::test]
async fn https_to_a_server_without_tls_is_a_transport_error() {
    // The TLS handshake is attempted (rustls, webpki roots) and fails against a plain-http
    // listener; certificate checks cannot be switched off, so no request is ever answered.
    let server = TestServer::start(Reply::json("{}")).await;
    let url = server.url("/jwks").replacen("http://", "https://", 1);
    let client = HyperHttpClient::new().unwrap();
    let req = HttpRequest::get(url.parse().unwrap()).with_timeout(Duration::from_secs(2));
    let err = client.get(&req).await.unwrap_err();
    assert_eq!(err.code(), "source-transport", "{err}");
    assert_eq!(server.count(), 0);
}
