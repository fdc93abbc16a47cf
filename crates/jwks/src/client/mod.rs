//! The HTTP seam: what the remote key source asks of an HTTP stack.

use core::fmt;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};

use crate::{SourceError, SourceErrorKind};

mod hyper_client;

pub use hyper_client::HyperHttpClient;

/// One GET request the key source wants made.
///
/// Implementations of [`HttpClient`] must honour every field: send exactly these headers,
/// finish the whole exchange (connect, TLS, headers and body) within `timeout`, and never
/// hold more than `max_body` bytes of a body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The URL to GET.
    pub url: Uri,
    /// Request headers (they may carry credentials: never log their values).
    pub headers: HeaderMap,
    /// Deadline for the whole exchange, body included.
    pub timeout: Duration,
    /// Largest body to read for a `200` answer; a longer one is an error.
    pub max_body: usize,
}

impl HttpRequest {
    /// A GET of `url` with no headers, a 5 s timeout and a 1 MiB body cap.
    pub fn get(url: Uri) -> Self {
        HttpRequest {
            url,
            headers: HeaderMap::new(),
            timeout: Duration::from_secs(5),
            max_body: crate::DEFAULT_MAX_DOCUMENT_LEN,
        }
    }

    /// This request with another timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// This request with another body cap.
    #[must_use]
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// This request with other headers.
    #[must_use]
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }
}

/// What the server answered.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status, as received (a redirect is *not* followed).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body: all of it for a `200` (at most the request's `max_body`), or at least the
    /// first [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY) bytes for other statuses.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response from its parts.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        HttpResponse {
            status,
            headers,
            body,
        }
    }
}

/// The HTTP stack the remote key source fetches with.
///
/// One method: make a GET, return the status, headers and a capped body. The default is
/// [`HyperHttpClient`] (hyper, rustls, webpki roots). Bring your own to reuse your
/// application's HTTP stack, proxy settings or trust roots.
///
/// # Contract
///
/// - Send a GET to `req.url` with exactly `req.headers`.
/// - **Do not follow redirects.** Return a 3xx as it is; the key source refuses it.
/// - Finish everything, body included, within `req.timeout`; otherwise fail with
///   [`SourceErrorKind::Timeout`].
/// - For a `200`, read at most `req.max_body` bytes; fail with
///   [`SourceErrorKind::BodyTooLarge`] when the body is longer (do not read it all first).
///   For other statuses, returning only the first [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY)
///   bytes is enough: callers read error codes from it.
/// - Map failures below HTTP (DNS, connect, TLS, protocol) to
///   [`SourceErrorKind::Transport`]. Only transport errors, timeouts, 5xx and 429 are retried.
///
/// The key source also enforces the timeout and the body cap around every call, so a client
/// that gets them wrong wastes work but cannot hang or flood it.
///
/// # Implementing your own
///
/// A client that serves a fixed document, plugged into [`RemoteJwks`](crate::RemoteJwks). A
/// real one calls `reqwest` or your own stack in the same place and maps its errors to
/// [`SourceError`] kinds (a timeout to `Timeout`, a refused connection to `Transport`):
///
/// ```
/// use jwks::client::{HttpClient, HttpRequest, HttpResponse};
/// use jwks::http::{HeaderMap, StatusCode, header::CACHE_CONTROL};
/// use jwks::{KeyProvider, KeyRequest, RemoteJwks, SourceError, SourceErrorKind, async_trait};
///
/// #[derive(Debug)]
/// struct Fixed(&'static str);
///
/// #[async_trait]
/// impl HttpClient for Fixed {
///     async fn get(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
///         // A real client: send req.headers to req.url within req.timeout, no redirects.
///         if self.0.len() > req.max_body {
///             return Err(SourceError::new(SourceErrorKind::BodyTooLarge, "body too large"));
///         }
///         let mut headers = HeaderMap::new();
///         headers.insert(CACHE_CONTROL, "max-age=300".parse().unwrap());
///         Ok(HttpResponse::new(StatusCode::OK, headers, self.0.into()))
///     }
/// }
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # rt.block_on(async {
/// let keys = RemoteJwks::builder("https://idp.example/jwks")
///     .http_client(Fixed(r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
///         "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#))
///     .build()
///     .unwrap();
/// let key = keys.key(KeyRequest { kid: Some("k1"), alg: jwt_core::Algorithm::EdDSA }).await;
/// assert!(key.is_ok());
/// # });
/// ```
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Makes the GET described by `req`.
    async fn get(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError>;
}

#[async_trait]
impl<T: HttpClient + ?Sized> HttpClient for std::sync::Arc<T> {
    async fn get(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        (**self).get(req).await
    }
}

#[async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    async fn get(&self, req: &HttpRequest) -> Result<HttpResponse, SourceError> {
        (**self).get(req).await
    }
}

/// Whether `url` may be fetched: `https` always; plain `http` only for loopback hosts
/// (`localhost`, `127.0.0.0/8`, `::1`) unless `allow_plain_http`.
pub(crate) fn check_url(url: &Uri, allow_plain_http: bool) -> Result<(), SourceError> {
    let host = url
        .host()
        .ok_or_else(|| SourceError::new(SourceErrorKind::Config, "the url has no host"))?;
    match url.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if allow_plain_http || is_loopback(host) => Ok(()),
        Some("http") => Err(SourceError::new(
            SourceErrorKind::Config,
            "plain http is only allowed for loopback hosts; use https",
        )),
        _ => Err(SourceError::new(
            SourceErrorKind::Config,
            "the url scheme must be https (or http for a loopback host)",
        )),
    }
}

/// `localhost`, or a loopback IP address (IPv6 possibly in brackets).
pub(crate) fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let ok = |u: &str, plain| check_url(&u.parse().unwrap(), plain).is_ok();
        assert!(ok("https://example.com/jwks", false));
        // https is accepted for any host, loopback or not, with or without a port.
        assert!(ok("https://example.com:8443/.well-known/jwks.json", false));
        assert!(ok("https://localhost:8443/jwks", false));
        assert!(ok("https://127.0.0.1:8443/jwks", false));
        assert!(ok("https://[::1]:8443/jwks", false));
        assert!(ok("https://10.0.0.1/jwks", false));
        assert!(ok("HTTPS://example.com/jwks", false));
        assert!(ok("http://127.0.0.1:8080/jwks", false));
        assert!(ok("http://127.9.9.9/jwks", false));
        assert!(ok("http://localhost/jwks", false));
        assert!(ok("http://LOCALHOST:1/jwks", false));
        assert!(ok("http://[::1]:9/jwks", false));
        assert!(!ok("http://example.com/jwks", false));
        assert!(!ok("http://10.0.0.1/jwks", false));
        assert!(!ok("http://localhost.example.com/jwks", false));
        assert!(ok("http://example.com/jwks", true));
        assert!(!ok("ftp://example.com/jwks", true));
        let err = check_url(&"/relative".parse().unwrap(), true).unwrap_err();
        assert_eq!(err.code(), "source-config");
        let err = check_url(&"http://example.com/".parse().unwrap(), false).unwrap_err();
        assert_eq!(err.code(), "source-config");
    }
}
