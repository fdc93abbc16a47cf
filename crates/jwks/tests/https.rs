//! HyperHttpClient over real TLS on 127.0.0.1: a private CA and a server certificate are
//! generated inside each test, a hyper server (HTTP/1.1 and HTTP/2) answers behind rustls,
//! and the client must trust exactly what it was told to trust.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failure here should fail the test loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use http::Version;
use integration_tests::http::{Reply, TestServer};
use integration_tests::{clerk_payload, keys};
use jwks::client::{HttpClient, HttpRequest, HyperHttpClient};
use jwks::{KeyProvider, KeyRequest, RemoteJwks};
use jwt_core::{Algorithm, Claims, Timestamp, Validation};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

const NOW: i64 = 1_750_000_000;

/// A private certificate authority, as a company would run one.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "jwks test private CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// The CA certificate, DER-encoded: what a user hands to the client.
    fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `names` (DNS names or IP addresses) and its private key.
    fn server_cert(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }
}

/// A TLS server on 127.0.0.1 with `cert` and `key`, offering the `alpn` protocols and
/// answering every request with the JWKS document.
async fn tls_server(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
) -> TestServer {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let reply = Reply::json(jwks_document()).header("cache-control", "max-age=300");
    TestServer::builder()
        .reply(reply)
        .tls(Arc::new(config))
        .start()
        .await
}

/// `https://{host}:PORT/jwks`.
fn url(server: &TestServer, host: &str) -> String {
    format!("https://{host}:{}/jwks", server.addr().port())
}

/// The HTTP version of each request the server has served.
fn versions(server: &TestServer) -> Vec<Version> {
    server.requests().iter().map(|r| r.version).collect()
}

const BOTH: &[&[u8]] = &[b"h2", b"http/1.1"];
const HTTP1_ONLY: &[&[u8]] = &[b"http/1.1"];

fn jwks_document() -> String {
    json!({ "keys": [keys::rsa2048_a().public_jwk("a", None)] }).to_string()
}

/// A server for `localhost` and `127.0.0.1` certified by `ca`.
async fn server(ca: &Ca, alpn: &[&[u8]]) -> TestServer {
    let (cert, key) = ca.server_cert(&["localhost", "127.0.0.1"]);
    tls_server(cert, key, alpn).await
}

fn request(url: &str) -> HttpRequest {
    HttpRequest::get(url.parse().unwrap()).with_timeout(Duration::from_secs(2))
}

#[tokio::test]
async fn a_remote_jwks_over_https_with_a_private_ca_verifies_a_token_over_http2() {
    let ca = Ca::new();
    let server = server(&ca, BOTH).await;
    let client = HyperHttpClient::with_root_certificates([ca.der()]).unwrap();
    let src = RemoteJwks::builder(url(&server, "localhost"))
        .http_client(client)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let key = src
        .key(KeyRequest {
            kid: Some("a"),
            alg: Algorithm::RS256,
        })
        .await
        .unwrap();
    let token = keys::rsa2048_a().sign(
        Algorithm::RS256,
        &json!({ "kid": "a" }),
        &clerk_payload(NOW),
    );
    let verified = Validation::new([Algorithm::RS256])
        .verify::<Claims>(&token, &key, Timestamp::from_unix_seconds(NOW))
        .unwrap();
    assert_eq!(
        verified.claims().sub(),
        Some("user_2abc3def4ghi5jkl6mno7pqr8st")
    );
    // The server offered h2 and the client took it.
    assert_eq!(versions(&server), [Version::HTTP_2]);
}

#[tokio::test]
async fn http1_when_the_server_offers_only_http1() {
    let ca = Ca::new();
    let server = server(&ca, HTTP1_ONLY).await;
    let client = HyperHttpClient::with_root_certificates([ca.der()]).unwrap();
    let resp = client
        .get(&request(&url(&server, "localhost")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, jwks_document().as_bytes());
    assert_eq!(versions(&server), [Version::HTTP_11]);
}

#[tokio::test]
async fn an_ip_address_in_the_certificate_is_checked_too() {
    let ca = Ca::new();
    let server = server(&ca, BOTH).await;
    let client = HyperHttpClient::with_root_certificates([ca.der()]).unwrap();
    let resp = client
        .get(&request(&url(&server, "127.0.0.1")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    // A certificate without the address is refused for it.
    let (cert, key) = ca.server_cert(&["localhost"]);
    let named_only = tls_server(cert, key, BOTH).await;
    let err = client
        .get(&request(&url(&named_only, "127.0.0.1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "source-transport", "{err}");
    assert!(err.to_string().contains("not valid for name"), "{err}");
    assert!(versions(&named_only).is_empty());
}

#[tokio::test]
async fn extra_roots_are_trusted_alongside_the_mozilla_ones() {
    let ca = Ca::new();
    let server = server(&ca, BOTH).await;
    let client = HyperHttpClient::with_extra_root_certificates([ca.der()]).unwrap();
    let resp = client
        .get(&request(&url(&server, "localhost")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(versions(&server), [Version::HTTP_2]);
}

#[tokio::test]
async fn without_the_private_root_the_handshake_fails() {
    let ca = Ca::new();
    let server = server(&ca, BOTH).await;
    // The default client trusts only the Mozilla roots.
    let err = HyperHttpClient::new()
        .unwrap()
        .get(&request(&url(&server, "localhost")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "source-transport", "{err}");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    // Another private CA does not vouch for this server either.
    let other = Ca::new();
    let err = HyperHttpClient::with_root_certificates([other.der()])
        .unwrap()
        .get(&request(&url(&server, "localhost")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "source-transport", "{err}");
    // Same CA name, other key: the server's certificate signature does not check out.
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    assert!(versions(&server).is_empty());
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let ca = Ca::new();
    let (cert, key) = ca.server_cert(&["jwks.other.example"]);
    let server = tls_server(cert, key, BOTH).await;
    let client = HyperHttpClient::with_root_certificates([ca.der()]).unwrap();
    let err = client
        .get(&request(&url(&server, "localhost")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "source-transport", "{err}");
    assert!(err.to_string().contains("not valid for name"), "{err}");
    assert!(versions(&server).is_empty());
}

#[test]
fn root_certificates_that_cannot_be_trust_anchors_are_refused() {
    let none: [&[u8]; 0] = [];
    let err = HyperHttpClient::with_root_certificates(none).unwrap_err();
    assert_eq!(err.code(), "source-config");
    let err = HyperHttpClient::with_root_certificates([b"not a certificate"]).unwrap_err();
    assert_eq!(err.code(), "source-config");
    let ca = Ca::new();
    let err = HyperHttpClient::with_extra_root_certificates([ca.der().to_vec(), vec![0x30, 0x00]])
        .unwrap_err();
    assert_eq!(err.code(), "source-config");
}
