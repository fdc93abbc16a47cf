//! A real HTTP server on 127.0.0.1 for tests, built on hyper (feature `http`).
//!
//! Every test in the workspace that needs a server starts a [`TestServer`]: the key-source
//! tests of `jwks` (plain HTTP and HTTPS), the command-line tool's end-to-end tests, the fake
//! Clerk Backend API and the differential test's JWKS routes. Clients talk to it over real
//! sockets, so what is tested is the real client stack, never a mock of one of our traits.
//!
//! What it does:
//! - answers each request with a [`Reply`] picked by a handler that sees the [`Request`]
//!   (its index, method, path, version and headers): one fixed reply ([`TestServer::start`]),
//!   a script by request index ([`TestServer::scripted`]), or any routing
//!   ([`Builder::handler`]); the handler can be swapped while the server runs;
//! - replies can be delayed, hang, drip a body slowly, stream a huge body, or redirect;
//! - records every request and counts them, and counts the body bytes the client took;
//! - speaks HTTP/1.1 and HTTP/2; with [`Builder::tls`] it serves HTTPS with the caller's
//!   rustls configuration (certificates, ALPN);
//! - runs on the test's own tokio runtime ([`Builder::start`]), where paused or slow clocks
//!   apply to its delays too, or on a thread and runtime of its own
//!   ([`Builder::start_on_own_thread`]) for blocking tests, such as one that runs a child
//!   process that talks to it;
//! - stops when dropped: it stops accepting at once, lets requests in flight finish for up
//!   to [`GRACE`] and closes idle connections ([`TestServer::shutdown`] waits for that).
//!
//! It does not record request bodies (every client here sends `GET`), and it binds to
//! 127.0.0.1 only.
//!
//! ```
//! use integration_tests::http::{Reply, TestServer};
//! use std::io::{Read as _, Write as _};
//!
//! // A fake API that wants a bearer token, run on its own thread so plain blocking code can
//! // talk to it.
//! let server = TestServer::builder()
//!     .handler(|req| match req.bearer() {
//!         Some("s3cret") => Reply::json(r#"{"keys":[]}"#),
//!         _ => Reply::status(401, "who are you?"),
//!     })
//!     .start_on_own_thread();
//!
//! let mut tcp = std::net::TcpStream::connect(server.addr()).unwrap();
//! tcp.write_all(b"GET /jwks HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
//! let mut answer = String::new();
//! tcp.read_to_string(&mut answer).unwrap();
//! assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
//!
//! assert_eq!(server.count(), 1);
//! assert_eq!(server.request(0).path(), "/jwks");
//! assert_eq!(server.request(0).header("authorization"), None);
//! ```

mod reply;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Response, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use reply::ChanBody;
pub use reply::Reply;

/// How long a stopping server waits for requests in flight before it cuts them off (a
/// [`Reply::Hang`] never finishes; a long [`Reply::Drip`] may not).
pub const GRACE: Duration = Duration::from_secs(1);

/// One request, as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    /// Its position in arrival order, from 0.
    pub index: usize,
    /// The method.
    pub method: Method,
    /// The request target (over HTTP/2 it carries the scheme and authority too).
    pub uri: Uri,
    /// The HTTP version the client spoke.
    pub version: Version,
    /// All request headers.
    pub headers: HeaderMap,
}

impl Request {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The path and the query, as sent (`""` if the target had neither).
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("", |pq| pq.as_str())
    }

    /// The value of header `name`, if it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// What the server and the test share.
struct State {
    handler: Mutex<Handler>,
    requests: Mutex<Vec<Request>>,
    body_bytes_taken: Arc<AtomicU64>,
}

/// A handler panicking on one connection must not take the recording down with it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the accept loop runs.
enum Runner {
    /// A task on the test's runtime.
    Task(tokio::task::JoinHandle<()>),
    /// A thread with a runtime of its own.
    Thread(std::thread::JoinHandle<()>),
}

/// Configures a [`TestServer`] before it starts: [`TestServer::builder`].
pub struct Builder {
    handler: Handler,
    tls: Option<Arc<ServerConfig>>,
}

impl Builder {
    /// Answers every request with `reply`.
    pub fn reply(self, reply: Reply) -> Builder {
        self.handler(move |_| reply.clone())
    }

    /// Answers request `n` (counting from 0) with `script(n)`.
    pub fn script(self, script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Builder {
        self.handler(move |req| script(req.index))
    }

    /// Answers each request with `handler(request)`, which can route on the path, check
    /// headers, or count.
    pub fn handler(
        mut self,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Builder {
        self.handler = Arc::new(handler);
        self
    }

    /// Serves HTTPS with `config` (its certificate, and the ALPN protocols it offers: with
    /// `h2` a client may pick HTTP/2). A client that refuses the certificate is simply
    /// disconnected; nothing is recorded for it.
    pub fn tls(mut self, config: Arc<ServerConfig>) -> Builder {
        self.tls = Some(config);
        self
    }

    /// Starts the server on a fresh 127.0.0.1 port, as a task on the current tokio runtime.
    /// It serves until it is dropped or the runtime ends.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or when no port can be bound.
    pub async fn start(self) -> TestServer {
        let (listener, addr) = bind();
        let (stop, stopped) = oneshot::channel();
        let https = self.tls.is_some();
        let state = self.state();
        let task = tokio::spawn(serve(listener, self.tls, Arc::clone(&state), stopped));
        TestServer {
            addr,
            https,
            state,
            stop: Some(stop),
            runner: Some(Runner::Task(task)),
        }
    }

    /// Starts the server on a fresh 127.0.0.1 port, on a thread with its own single-threaded
    /// runtime, for tests that block (a sync `#[test]`, a child process talking to the
    /// server). Dropping the server stops it and waits for the thread (at most [`GRACE`]
    /// while a request is still in flight).
    ///
    /// # Panics
    ///
    /// When no port can be bound or the thread or its runtime cannot start.
    pub fn start_on_own_thread(self) -> TestServer {
        let (listener, addr) = bind();
        let (stop, stopped) = oneshot::channel();
        let https = self.tls.is_some();
        let state = self.state();
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("test-server-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the test server");
                // Ending the runtime afterwards cuts off whatever GRACE did not finish.
                rt.block_on(serve(listener, self.tls, shared, stopped));
            })
            .expect("a thread for the test server");
        TestServer {
            addr,
            https,
            state,
            stop: Some(stop),
            runner: Some(Runner::Thread(thread)),
        }
    }

    fn state(&self) -> Arc<State> {
        Arc::new(State {
            handler: Mutex::new(Arc::clone(&self.handler)),
            requests: Mutex::new(Vec::new()),
            body_bytes_taken: Arc::new(AtomicU64::new(0)),
        })
    }
}

/// A running server on 127.0.0.1; it stops when dropped (see the [module docs](self)).
pub struct TestServer {
    addr: SocketAddr,
    https: bool,
    state: Arc<State>,
    /// Dropping it tells the accept loop to stop.
    stop: Option<oneshot::Sender<()>>,
    runner: Option<Runner>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("https", &self.https)
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A server that answers `404` with an empty body until it is given a handler; see the
    /// [`Builder`] methods.
    pub fn builder() -> Builder {
        Builder {
            handler: Arc::new(|_| Reply::status(404, "")),
            tls: None,
        }
    }

    /// Starts a plain HTTP server on the current runtime answering every request with `reply`.
    pub async fn start(reply: Reply) -> TestServer {
        TestServer::builder().reply(reply).start().await
    }

    /// Starts a plain HTTP server on the current runtime answering request `n` (from 0) with
    /// `script(n)`.
    pub async fn scripted(script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> TestServer {
        TestServer::builder().script(script).start().await
    }

    /// Answers every later request with `reply`.
    pub fn set(&self, reply: Reply) {
        self.set_handler(move |_| reply.clone());
    }

    /// Answers later requests with `script(n)`, `n` counting all requests so far.
    pub fn set_script(&self, script: impl Fn(usize) -> Reply + Send + Sync + 'static) {
        self.set_handler(move |req| script(req.index));
    }

    /// Answers later requests with `handler(request)`.
    pub fn set_handler(&self, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        *lock(&self.state.handler) = Arc::new(handler);
    }

    /// The address the server listens on (127.0.0.1 and its port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}` (`https://` for a TLS server); `path` is appended as
    /// given, so `""` gives the bare origin.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// How many requests have arrived so far (answered or not).
    pub fn count(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.state.requests).clone()
    }

    /// Request `n` (from 0).
    ///
    /// # Panics
    ///
    /// If fewer than `n + 1` requests have arrived.
    pub fn request(&self, n: usize) -> Request {
        let requests = lock(&self.state.requests);
        match requests.get(n) {
            Some(req) => req.clone(),
            None => panic!("request {n} asked for, the server saw {}", requests.len()),
        }
    }

    /// Response body bytes the server has handed to the connection so far, all replies
    /// together. A [`Reply::Huge`] or [`Reply::Drip`] body is produced only as fast as the
    /// client reads (plus socket buffers), so this tells how much a client that gives up
    /// really took.
    pub fn body_bytes_taken(&self) -> u64 {
        self.state.body_bytes_taken.load(Ordering::SeqCst)
    }

    /// Waits (up to 5 s of the runtime's clock) until at least `n` requests have arrived.
    ///
    /// # Panics
    ///
    /// If they have not by then.
    pub async fn wait_for_count(&self, n: usize) {
        for _ in 0..500 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("server saw {} requests, expected {n}", self.count());
    }

    /// Stops the server and waits until it has stopped: the port is closed at once, requests
    /// in flight get up to [`GRACE`] to finish, idle connections are closed. Dropping the
    /// server does the same without waiting (except for a server on its own thread, whose
    /// drop waits for the thread).
    pub async fn shutdown(mut self) {
        drop(self.stop.take());
        match self.runner.take() {
            Some(Runner::Task(task)) => {
                let _ = task.await;
            }
            Some(Runner::Thread(thread)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            None => {}
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(Runner::Thread(thread)) = self.runner.take() {
            // A panic on the server thread has already failed the request that caused it.
            let _ = thread.join();
        }
    }
}

/// Binds a fresh 127.0.0.1 port now, so the server's address is known before it runs.
fn bind() -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let addr = listener.local_addr().expect("the listener's address");
    (listener, addr)
}

/// The accept loop: one task per connection, until `stopped`; then the graceful part.
async fn serve(
    listener: std::net::TcpListener,
    tls: Option<Arc<ServerConfig>>,
    state: Arc<State>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    let tls = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    loop {
        let tcp = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let (tls, state, watcher) = (tls.clone(), Arc::clone(&state), graceful.watcher());
        tokio::spawn(async move {
            match tls {
                None => serve_connection(tcp, state, watcher).await,
                // A client that refuses our certificate ends the handshake here.
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        serve_connection(stream, state, watcher).await;
                    }
                }
            }
        });
    }
    // New connections are refused from here on.
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}

/// Serves one connection, HTTP/1.1 or HTTP/2 (whichever the client speaks), until it closes
/// or a graceful shutdown closes it.
async fn serve_connection<I>(io: I, state: Arc<State>, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| answer(Arc::clone(&state), req));
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let _ = watcher.watch(connection.into_owned()).await;
}

/// Records the request, asks the handler, and answers.
async fn answer(
    state: Arc<State>,
    req: hyper::Request<Incoming>,
) -> Result<Response<ChanBody>, Infallible> {
    let (parts, _body) = req.into_parts();
    let handler = Arc::clone(&lock(&state.handler));
    let request = {
        let mut requests = lock(&state.requests);
        let request = Request {
            index: requests.len(),
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
        };
        requests.push(request.clone());
        request
    };
    let reply = handler(&request);
    Ok(reply
        .into_response(Arc::clone(&state.body_bytes_taken))
        .await)
}
