//! Why a key source could not produce keys.

use core::fmt;

/// What kind of failure a [`SourceError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// The request did not complete in time (connect, headers or body).
    Timeout,
    /// Connecting, TLS, or the HTTP exchange failed below the HTTP status level.
    Transport,
    /// The server answered with a status other than 200 (redirects included).
    Status,
    /// The body was larger than the configured cap.
    BodyTooLarge,
    /// The body was not a JWKS document.
    InvalidDocument,
    /// The document held more keys than the configured cap.
    TooManyKeys,
    /// The document held no usable key.
    NoUsableKeys,
    /// The last good key set is older than the stale-if-error bound and refreshing failed.
    StaleExpired,
    /// The source is configured wrongly (bad URL, scheme not allowed...).
    Config,
    /// A local key file could not be read.
    Io,
}

/// An opaque key-source failure with predicates, so HTTP and TLS types stay out of the API.
#[derive(Clone, Debug)]
pub struct SourceError {
    kind: SourceErrorKind,
    status: Option<u16>,
    body: Option<String>,
    detail: String,
}

/// Longest part of an error response body kept for callers to inspect.
pub const MAX_ERROR_BODY: usize = 4096;

impl SourceError {
    /// A new error of `kind` with a lowercase description (no secrets).
    pub fn new(kind: SourceErrorKind, detail: impl Into<String>) -> Self {
        SourceError {
            kind,
            status: None,
            body: None,
            detail: detail.into(),
        }
    }

    /// An error for a non-200 answer, keeping at most [`MAX_ERROR_BODY`] bytes of its body.
    pub fn status(status: u16, body: Option<&[u8]>) -> Self {
        let body = body.map(|b| {
            let b = b.get(..MAX_ERROR_BODY).unwrap_or(b);
            String::from_utf8_lossy(b).into_owned()
        });
        SourceError {
            kind: SourceErrorKind::Status,
            status: Some(status),
            body,
            detail: format!("unexpected http status {status}"),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> SourceErrorKind {
        self.kind
    }

    /// Whether the failure was a timeout.
    pub fn is_timeout(&self) -> bool {
        self.kind == SourceErrorKind::Timeout
    }

    /// Whether the failure happened below HTTP (connect, TLS, protocol).
    pub fn is_transport(&self) -> bool {
        self.kind == SourceErrorKind::Transport
    }

    /// The HTTP status of a non-200 answer.
    pub fn http_status(&self) -> Option<u16> {
        self.status
    }

    /// The start of a non-200 answer's body (at most [`MAX_ERROR_BODY`] bytes, lossy UTF-8),
    /// for callers that understand the server's error format.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// Whether a retry could plausibly succeed (timeouts, transport errors, 5xx and 429).
    pub fn is_transient(&self) -> bool {
        match self.kind {
            SourceErrorKind::Timeout | SourceErrorKind::Transport => true,
            SourceErrorKind::Status => self.status.is_some_and(|s| s == 429 || s >= 500),
            _ => false,
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self.kind {
            SourceErrorKind::Timeout => "source-timeout",
            SourceErrorKind::Transport => "source-transport",
            SourceErrorKind::Status => "source-status",
            SourceErrorKind::BodyTooLarge => "source-body-too-large",
            SourceErrorKind::InvalidDocument => "source-invalid-document",
            SourceErrorKind::TooManyKeys => "source-too-many-keys",
            SourceErrorKind::NoUsableKeys => "source-no-usable-keys",
            SourceErrorKind::StaleExpired => "source-stale-expired",
            SourceErrorKind::Config => "source-config",
            SourceErrorKind::Io => "source-io",
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for SourceError {}
