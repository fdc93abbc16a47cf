//! A real HTTP/1.1 server on 127.0.0.1 for the key-source tests, built on hyper.
//!
//! Each request is answered by a script (a function of the request's index); the server
//! counts requests, records their headers, and can delay, drip a body slowly, hang, redirect
//! or stream a huge body while counting how much of it the client actually took.
#![allow(
    dead_code,
    reason = "each test file uses a different part of the server"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test server: a failure here is a bug in the test and should fail it loudly"
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How the server answers one request.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    },
    /// The inner reply, after a pause.
    Delay(Duration, Box<Reply>),
    /// A `200` whose body arrives `chunk` by `chunk`, one every `every`, `count` times.
    Drip {
        chunk: Bytes,
        every: Duration,
        count: usize,
    },
    /// Read the request, never answer.
    Hang,
    /// A `200` streaming `total` bytes of `[` in 64 KiB chunks, with or without a
    /// `Content-Length`.
    Huge { total: usize, declare_length: bool },
}

impl Reply {
    /// A `200` JSON answer.
    pub(crate) fn json(body: impl Into<String>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: Bytes::from(body.into()),
        }
    }

    /// Any status with a text body.
    pub(crate) fn status(status: u16, body: &str) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    /// A redirect to `location`.
    pub(crate) fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("location", location.to_owned())],
            body: Bytes::new(),
        }
    }

    /// This reply with one more header (for `Full` replies).
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name, value.into()));
        }
        self
    }

    /// This reply after a pause.
    pub(crate) fn delayed(self, by: Duration) -> Reply {
        Reply::Delay(by, Box::new(self))
    }
}

type Script = Box<dyn Fn(usize) -> Reply + Send + Sync>;

struct State {
    script: Mutex<Script>,
    count: AtomicUsize,
    requests: Mutex<Vec<(String, HeaderMap)>>,
    body_bytes_taken: AtomicU64,
}

/// The running server; it stops when the test's runtime ends.
#[derive(Clone)]
pub(crate) struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
}

impl TestServer {
    /// Starts a server answering every request with `reply`.
    pub(crate) async fn start(reply: Reply) -> TestServer {
        Self::scripted(move |_| reply.clone()).await
    }

    /// Starts a server answering request `n` (from 0) with `script(n)`.
    pub(crate) async fn scripted(
        script: impl Fn(usize) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            script: Mutex::new(Box::new(script)),
            count: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            body_bytes_taken: AtomicU64::new(0),
        });
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let st = Arc::clone(&st);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&st), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer { addr, state }
    }

    /// Answers every later request with `reply`.
    pub(crate) fn set(&self, reply: Reply) {
        self.set_script(move |_| reply.clone());
    }

    /// Answers later requests with `script(n)`, `n` counting all requests so far.
    pub(crate) fn set_script(&self, script: impl Fn(usize) -> Reply + Send + Sync + 'static) {
        *self.state.script.lock().unwrap() = Box::new(script);
    }

    /// `http://127.0.0.1:port/path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests received so far.
    pub(crate) fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    /// Path and headers of request `n`.
    pub(crate) fn request(&self, n: usize) -> (String, HeaderMap) {
        self.state.requests.lock().unwrap()[n].clone()
    }

    /// Body bytes of streamed replies that the client has taken from the server so far.
    pub(crate) fn body_bytes_taken(&self) -> u64 {
        self.state.body_bytes_taken.load(Ordering::SeqCst)
    }

    /// Waits (up to 5 s) until `count() >= n`.
    pub(crate) async fn wait_for_count(&self, n: usize) {
        for _ in 0..500 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("server saw {} requests, expected {n}", self.count());
    }
}

async fn handle(st: Arc<State>, req: Request<Incoming>) -> Result<Response<ChanBody>, Infallible> {
    let n = st.count.fetch_add(1, Ordering::SeqCst);
    st.requests
        .lock()
        .unwrap()
        .push((req.uri().path().to_owned(), req.headers().clone()));
    let reply = (st.script.lock().unwrap())(n);
    Ok(respond(st, reply).await)
}

async fn respond(st: Arc<State>, mut reply: Reply) -> Response<ChanBody> {
    loop {
        match reply {
            Reply::Delay(by, inner) => {
                tokio::time::sleep(by).await;
                reply = *inner;
            }
            Reply::Hang => std::future::pending::<()>().await,
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let (tx, chan) = ChanBody::new(Some(body.len() as u64), None);
                // Capacity 1: the whole body fits; dropping the sender ends it.
                let _ = tx.try_send(body);
                drop(tx);
                let mut resp = Response::new(chan);
                *resp.status_mut() = StatusCode::from_u16(status).unwrap();
                for (name, value) in headers {
                    resp.headers_mut().append(name, value.parse().unwrap());
                }
                return resp;
            }
            Reply::Drip {
                chunk,
                every,
                count,
            } => {
                let (tx, body) = ChanBody::new(None, Some(Arc::clone(&st)));
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
                let (tx, body) = ChanBody::new(
                    declare_length.then_some(total as u64),
                    Some(Arc::clone(&st)),
                );
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

/// A response body fed through a channel (capacity 1, so the sender only runs ahead of the
/// client by one chunk).
pub(crate) struct ChanBody {
    rx: mpsc::Receiver<Bytes>,
    len: Option<u64>,
    taken: Option<Arc<State>>,
}

impl ChanBody {
    fn new(len: Option<u64>, taken: Option<Arc<State>>) -> (mpsc::Sender<Bytes>, ChanBody) {
        let (tx, rx) = mpsc::channel(1);
        let body = ChanBody { rx, len, taken };
        (tx, body)
    }
}

impl Body for ChanBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(b)) => {
                if let Some(st) = &self.taken {
                    st.body_bytes_taken
                        .fetch_add(b.len() as u64, Ordering::SeqCst);
                }
                Poll::Ready(Some(Ok(Frame::data(b))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
