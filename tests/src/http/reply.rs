//! What the server answers: [`Reply`], and the channel-fed body that carries it.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use tokio::sync::mpsc;

/// How the server answers one request.
///
/// Build one with [`Reply::json`], [`Reply::status`] or [`Reply::redirect`] and adjust it with
/// [`Reply::header`], [`Reply::with_status`] and [`Reply::delayed`]; the misbehaving variants
/// ([`Reply::Hang`], [`Reply::Drip`], [`Reply::Huge`]) are written out.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response: status, headers in order, and a body with a `Content-Length`.
    Full {
        /// The status code.
        status: u16,
        /// Header names (lowercase) and values, sent in this order.
        headers: Vec<(&'static str, String)>,
        /// The body, sent whole.
        body: Bytes,
    },
    /// The inner reply, after a pause (the request is counted and recorded at once).
    Delay(Duration, Box<Reply>),
    /// A `200` without `Content-Length` whose body arrives `chunk` by `chunk`, one every
    /// `every`, `count` times: a server that is slow but never silent.
    Drip {
        /// What each step sends.
        chunk: Bytes,
        /// The pause after each chunk.
        every: Duration,
        /// How many chunks in all.
        count: usize,
    },
    /// Read the request and never answer.
    Hang,
    /// A `200` streaming `total` bytes of `[` in 64 KiB chunks, with or without a
    /// `Content-Length`; the server only runs one chunk ahead of the client, so
    /// [`TestServer::body_bytes_taken`](super::TestServer::body_bytes_taken) tells how much the
    /// client actually read.
    Huge {
        /// How many bytes the body has.
        total: usize,
        /// Whether the response declares its length up front.
        declare_length: bool,
    },
}

impl Reply {
    /// A `200` with a JSON body (`content-type: application/json`); any `Display` value
    /// (a `serde_json::Value`, a `String`, a `&str`) is sent as its text.
    pub fn json(body: impl ToString) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Bytes::from(body.to_string()),
        }
    }

    /// Any status with a body and no headers.
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    /// A redirect (`status`, say 302) to `location`, with an empty body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("location", location.to_owned())],
            body: Bytes::new(),
        }
    }

    /// This reply with one more header. Only a [`Reply::Full`] (delayed or not) has headers
    /// to add to; the streaming variants are left as they are.
    pub fn header(self, name: &'static str, value: impl Into<String>) -> Reply {
        match self {
            Reply::Full {
                status,
                mut headers,
                body,
            } => {
                headers.push((name, value.into()));
                Reply::Full {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Delay(by, inner) => Reply::Delay(by, Box::new(inner.header(name, value))),
            streamed => streamed,
        }
    }

    /// This reply with another status (for a [`Reply::Full`], delayed or not), so that
    /// `Reply::json(body).with_status(401)` is a JSON error answer.
    pub fn with_status(self, code: u16) -> Reply {
        match self {
            Reply::Full { headers, body, .. } => Reply::Full {
                status: code,
                headers,
                body,
            },
            Reply::Delay(by, inner) => Reply::Delay(by, Box::new(inner.with_status(code))),
            streamed => streamed,
        }
    }

    /// This reply after a pause.
    pub fn delayed(self, by: Duration) -> Reply {
        Reply::Delay(by, Box::new(self))
    }

    /// Turns the reply into a response, waiting out delays (and forever for [`Reply::Hang`]).
    /// Streamed bodies are fed by a task of their own, so the response goes out at once.
    pub(super) async fn into_response(mut self, taken: Arc<AtomicU64>) -> Response<ChanBody> {
        loop {
            match self {
                Reply::Delay(by, inner) => {
                    tokio::time::sleep(by).await;
                    self = *inner;
                }
                Reply::Hang => std::future::pending::<()>().await,
                Reply::Full {
                    status,
                    headers,
                    body,
                } => {
                    let (tx, chan) = ChanBody::new(Some(body.len() as u64), taken);
                    // Capacity 1: the whole body fits; dropping the sender ends it.
                    let _ = tx.try_send(body);
                    drop(tx);
                    let mut resp = Response::new(chan);
                    *resp.status_mut() = StatusCode::from_u16(status)
                        .unwrap_or_else(|_| panic!("test reply with an invalid status {status}"));
                    for (name, value) in headers {
                        let name = HeaderName::from_static(name);
                        let value = HeaderValue::try_from(value)
                            .unwrap_or_else(|e| panic!("test reply header {name}: {e}"));
                        resp.headers_mut().append(name, value);
                    }
                    return resp;
                }
                Reply::Drip {
                    chunk,
                    every,
                    count,
                } => {
                    let (tx, body) = ChanBody::new(None, taken);
                    tokio::spawn(async move {
                        for _ in 0..count {
                            if tx.send(chunk.clone()).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(every).await;
                        }
                    });
                    return Response::new(body);
                }
                Reply::Huge {
                    total,
                    declare_length,
                } => {
                    let (tx, body) = ChanBody::new(declare_length.then_some(total as u64), taken);
                    tokio::spawn(async move {
                        let chunk = Bytes::from(vec![b'['; 64 * 1024]);
                        let mut sent = 0;
                        while sent < total {
                            let n = chunk.len().min(total - sent);
                            if tx.send(chunk.slice(..n)).await.is_err() {
                                return;
                            }
                            sent += n;
                        }
                    });
                    return Response::new(body);
                }
            }
        }
    }
}

/// A response body fed through a channel of capacity 1, so a streaming sender runs at most one
/// chunk ahead of the client; every chunk hyper takes is added to `taken`.
pub(super) struct ChanBody {
    rx: mpsc::Receiver<Bytes>,
    len: Option<u64>,
    taken: Arc<AtomicU64>,
}

impl ChanBody {
    fn new(len: Option<u64>, taken: Arc<AtomicU64>) -> (mpsc::Sender<Bytes>, ChanBody) {
        let (tx, rx) = mpsc::channel(1);
        (tx, ChanBody { rx, len, taken })
    }
}

impl Body for ChanBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|chunk| {
            chunk.map(|b| {
                self.taken.fetch_add(b.len() as u64, Ordering::SeqCst);
                Ok(Frame::data(b))
            })
        })
    }

    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
