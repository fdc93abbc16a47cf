//! The default HTTP client: hyper 1 with hyper-util's pooled client and rustls.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;

use super::{HttpClient, HttpRequest, HttpResponse, check_url};
use crate::{MAX_ERROR_BODY, SourceError, SourceErrorKind};

/// How long an idle pooled connection is kept for the next fetch.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The default [`HttpClient`]: hyper 1 on tokio, TLS by rustls with the *ring* provider and
/// the Mozilla (webpki) root certificates, HTTP/1.1 and HTTP/2 (negotiated by ALPN), pooled
/// connections.
///
/// - `https` URLs always; plain `http` only for loopback hosts (`localhost`, `127.0.0.0/8`,
///   `::1`) unless [`allow_plain_http`](Self::allow_plain_http) is set.
/// - Redirects are never followed: a 3xx comes back as it is.
/// - The whole exchange, body included, runs under the request's timeout; a `200` body is
///   read through a hard cap and refused as soon as it passes it (a `Content-Length` over
///   the cap is refused before reading anything); for other statuses only the first
///   [`MAX_ERROR_BODY`] bytes are read.
///
/// To trust a private certificate authority, build the client with
/// [`with_root_certificates`](Self::with_root_certificates) (only those roots) or
/// [`with_extra_root_certificates`](Self::with_extra_root_certificates) (the Mozilla roots
/// and those). Certificate and host-name checks cannot be switched off.
///
/// Needs a tokio runtime with the time driver enabled (`#[tokio::main]` has it).
#[derive(Clone)]
pub struct HyperHttpClient {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    allow_plain_http: bool,
}

impl fmt::Debug for HyperHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperHttpClient")
            .field("allow_plain_http", &self.allow_plain_http)
            .finish_non_exhaustive()
    }
}

impl HyperHttpClient {
    /// A client with the defaults above.
    pub fn new() -> Result<Self, SourceError> {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots)
    }

    /// A client that trusts *only* the given root certificates (DER-encoded X.509), not the
    /// Mozilla roots: for a key source behind a private certificate authority, such as a
    /// company CA, where no public CA should be able to vouch for the server.
    ///
    /// Everything else is as in [`new`](Self::new): host names are checked against the
    /// certificate, HTTP/2 and HTTP/1.1 are offered by ALPN, redirects are not followed.
    /// A certificate in PEM form (`-----BEGIN CERTIFICATE-----`) is the base64 of the DER
    /// between those lines; decode it first.
    ///
    /// # Errors
    ///
    /// [`SourceErrorKind::Config`] when no certificate is given (the client could trust no
    /// server) or when one of them is not a certificate usable as a trust anchor.
    ///
    /// # Example
    ///
    /// ```
    /// use jwks::RemoteJwks;
    /// use jwks::client::HyperHttpClient;
    ///
    /// fn company_keys(ca_der: &[u8]) -> Result<RemoteJwks, jwks::SourceError> {
    ///     let client = HyperHttpClient::with_root_certificates([ca_der])?;
    ///     RemoteJwks::builder("https://auth.corp.example/.well-known/jwks.json")
    ///         .http_client(client)
    ///         .build()
    /// }
    ///
    /// // Bytes that are not a certificate are refused when the client is built.
    /// let err = company_keys(b"not a certificate").unwrap_err();
    /// assert_eq!(err.code(), "source-config");
    /// ```
    pub fn with_root_certificates<I>(ders: I) -> Result<Self, SourceError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut roots = rustls::RootCertStore::empty();
        add_roots(&mut roots, ders)?;
        if roots.is_empty() {
            return Err(SourceError::new(
                SourceErrorKind::Config,
                "no root certificate given: the client would trust no server",
            ));
        }
        Self::with_roots(roots)
    }

    /// A client that trusts the Mozilla roots *and* the given root certificates
    /// (DER-encoded X.509): for a deployment that fetches keys from both public and
    /// privately certified hosts. Otherwise as [`with_root_certificates`](Self::with_root_certificates).
    ///
    /// # Errors
    ///
    /// [`SourceErrorKind::Config`] when one of the certificates is not usable as a trust
    /// anchor.
    pub fn with_extra_root_certificates<I>(ders: I) -> Result<Self, SourceError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        add_roots(&mut roots, ders)?;
        Self::with_roots(roots)
    }

    /// The one place the connector is built, so every constructor offers the same TLS
    /// versions, ALPN protocols and pool settings.
    fn with_roots(roots: rustls::RootCertStore) -> Result<Self, SourceError> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| SourceError::new(SourceErrorKind::Config, format!("tls setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        // TLS and plain http both go through this connector; the scheme policy is ours.
        http.enforce_http(false);
        http.set_nodelay(true);
        // ALPN is left empty above: the builder sets it to `h2, http/1.1` from these calls.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        Ok(HyperHttpClient {
            client,
            allow_plain_http: false,
        })
    }

    /// Allows plain `http` to any host, not only loopback ones. Keys fetched over plain
    /// http can be replaced by anyone on the path: use this only inside a trusted network.
    #[must_use]
    pub fn allow_plain_http(mut self, yes: bool) -> Self {
        self.allow_plain_http = yes;
        self
    }

    async fn exchange(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        let mut builder = http::Request::get(req.url.clone());
        if let Some(h) = builder.headers_mut() {
            h.extend(req.headers.clone());
        }
        let request = builder.body(Empty::new()).map_err(|_| {
            SourceError::new(SourceErrorKind::Config, "the request could not be built")
        })?;
        let response = self.client.request(request).await.map_err(|e| {
            let what = if e.is_connect() {
                "connect failed"
            } else {
                "request failed"
            };
            SourceError::new(SourceErrorKind::Transport, describe(what, &e))
        })?;
        let (parts, body) = response.into_parts();
        let body = if parts.status == http::StatusCode::OK {
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > req.max_body as u64) {
                return Err(too_large(req.max_body));
            }
            match Limited::new(body, req.max_body).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Err(too_large(req.max_body));
                }
                Err(e) => {
                    return Err(SourceError::new(
                        SourceErrorKind::Transport,
                        describe("reading the body failed", &*e),
                    ));
                }
            }
        } else {
            read_prefix(body, MAX_ERROR_BODY).await
        };
        Ok(HttpResponse::new(parts.status, parts.headers, body))
    }
}

#[async_trait]
impl HttpClient for HyperHttpClient {
    async fn get(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        check_url(&req.url, self.allow_plain_http)?;
        match tokio::time::timeout(req.timeout, self.exchange(req)).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::new(
                SourceErrorKind::Timeout,
                format!("no complete answer within {} ms", req.timeout.as_millis()),
            )),
        }
    }
}

/// Adds each DER certificate to `roots` as a trust anchor.
fn add_roots<I>(roots: &mut rustls::RootCertStore, ders: I) -> Result<(), SourceError>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    for (n, der) in ders.into_iter().enumerate() {
        let cert = CertificateDer::from(der.as_ref().to_vec());
        roots.add(cert).map_err(|e| {
            SourceError::new(
                SourceErrorKind::Config,
                format!("root certificate {n} is not usable as a trust anchor: {e}"),
            )
        })?;
    }
    Ok(())
}

fn too_large(max: usize) -> SourceError {
    SourceError::new(
        SourceErrorKind::BodyTooLarge,
        format!("response body is larger than {max} bytes"),
    )
}

/// Reads at most about `max` bytes of an error body; a failure just ends the prefix.
async fn read_prefix(mut body: hyper::body::Incoming, max: usize) -> Bytes {
    let mut buf = BytesMut::new();
    while buf.len() < max {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = max.saturating_sub(buf.len());
                    buf.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    buf.freeze()
}

/// `what: cause: cause...`, lowercase, bounded, with no URL query or header values (hyper
/// and rustls errors carry neither).
fn describe(what: &str, e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{what}: {e}");
    let mut source = e.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth == 4 || out.len() > 300 {
            break;
        }
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    out
}
