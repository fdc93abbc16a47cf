//! The server's own mechanics, spoken to over raw HTTP/1.1 on real sockets. What each reply
//! does to a real HTTP client (timeouts, caps, redirects, TLS) is tested where that client is:
//! in the `jwks` tests.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::{Reply, TestServer};

/// A response as the raw client read it.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: String,
}

/// `GET path` with `headers`, `connection: close`, and the whole answer read.
fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> std::io::Result<Raw> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes())?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {answer:?}")))?;
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    Ok(Raw {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    })
}

#[test]
fn a_script_answers_by_index_and_every_request_is_recorded() {
    let server = TestServer::builder()
        .script(|n| match n {
            0 => Reply::json(serde_json::json!({"keys": []})).header("etag", "\"v1\""),
            _ => Reply::json(r#"{"errors":[]}"#)
                .delayed(Duration::from_millis(10))
                .with_status(503)
                .header("retry-after", "1"),
        })
        .start_on_own_thread();
    assert_eq!(server.count(), 0);

    let first = get(
        server.addr(),
        "/jwks?x=1",
        &[("authorization", "Bearer sk_1")],
    )
    .unwrap();
    assert_eq!(first.status, 200);
    assert!(
        first.head.contains("content-type: application/json"),
        "{first:?}"
    );
    assert!(first.head.contains("etag: \"v1\""), "{first:?}");
    assert!(first.head.contains("content-length: 11"), "{first:?}");
    assert_eq!(first.body, r#"{"keys":[]}"#);

    let second = get(server.addr(), "/other", &[("x-test", "2")]).unwrap();
    assert_eq!(second.status, 503);
    assert!(second.head.contains("retry-after: 1"), "{second:?}");
    assert_eq!(second.body, r#"{"errors":[]}"#);

    assert_eq!(server.count(), 2);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].index, 0);
    assert_eq!(seen[0].method, hyper::Method::GET);
    assert_eq!(seen[0].version, hyper::Version::HTTP_11);
    assert_eq!(seen[0].path(), "/jwks");
    assert_eq!(seen[0].path_and_query(), "/jwks?x=1");
    assert_eq!(seen[0].bearer(), Some("sk_1"));
    assert_eq!(seen[1].index, 1);
    assert_eq!(seen[1].bearer(), None);
    assert_eq!(server.request(1).header("x-test"), Some("2"));
    assert_eq!(server.body_bytes_taken(), 11 + 13);
}

#[test]
fn a_handler_routes_and_can_be_swapped_while_the_server_runs() {
    let server = TestServer::builder()
        .handler(|req| match (req.path(), req.bearer()) {
            ("/v1/jwks", Some("right")) => Reply::json("{}"),
            ("/v1/jwks", _) => Reply::status(401, "no"),
            _ => Reply::redirect(302, "/v1/jwks"),
        })
        .start_on_own_thread();
    let url = |path: &str| format!("{}{path}", server.url(""));
    assert_eq!(url("/a"), format!("http://{}/a", server.addr()));
    let addr = server.addr();
    assert_eq!(
        get(addr, "/v1/jwks", &[("authorization", "Bearer right")])
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        get(addr, "/v1/jwks", &[("authorization", "Basic right")])
            .unwrap()
            .status,
        401
    );
    let moved = get(addr, "/elsewhere", &[]).unwrap();
    assert_eq!(moved.status, 302);
    assert!(moved.head.contains("location: /v1/jwks"), "{moved:?}");

    server.set(Reply::status(500, "down"));
    assert_eq!(get(addr, "/v1/jwks", &[]).unwrap().body, "down");
    // A script set later still counts every request so far.
    server.set_script(|n| Reply::status(200, &n.to_string()));
    assert_eq!(get(addr, "/", &[]).unwrap().body, "4");
    server.set_handler(|req| Reply::status(200, req.path()));
    assert_eq!(get(addr, "/echo", &[]).unwrap().body, "/echo");
    assert_eq!(server.count(), 6);
}

#[test]
fn the_default_handler_answers_404() {
    let server = TestServer::builder().start_on_own_thread();
    assert_eq!(get(server.addr(), "/", &[]).unwrap().status, 404);
}

#[test]
fn a_dropped_server_refuses_connections() {
    let server = TestServer::builder()
        .reply(Reply::json("{}"))
        .start_on_own_thread();
    let addr = server.addr();
    assert_eq!(get(addr, "/", &[]).unwrap().status, 200);
    drop(server);
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn a_request_that_never_ends_is_cut_when_the_server_stops() {
    let server = TestServer::builder()
        .reply(Reply::Hang)
        .start_on_own_thread();
    let addr = server.addr();
    let client = std::thread::spawn(move || get(addr, "/", &[]));
    for _ in 0..1000 {
        if server.count() > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.count(), 1, "the request arrived");
    // Waits out GRACE, then ends the server's runtime and with it the connection.
    drop(server);
    let err = client.join().unwrap().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Other,
        "closed without an answer: {err}"
    );
    assert!(err.to_string().contains("no header end in \"\""), "{err}");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_closes_the_port() {
    let server = TestServer::start(Reply::json("late").delayed(Duration::from_millis(200))).await;
    let addr = server.addr();
    let client = tokio::task::spawn_blocking(move || get(addr, "/", &[]));
    server.wait_for_count(1).await;
    server.shutdown().await;
    let answer = client.await.unwrap().unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "late"));
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn a_huge_body_is_produced_only_as_fast_as_the_client_reads() {
    let server = TestServer::start(Reply::Huge {
        total: 64 << 20,
        declare_length: true,
    })
    .await;
    let addr = server.addr();
    // Read the head and a little of the body, then hang up.
    let read = tokio::task::spawn_blocking(move || {
        let mut tcp = TcpStream::connect(addr).unwrap();
        tcp.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        let mut buf = vec![0; 4096];
        let n = tcp.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase()
    })
    .await
    .unwrap();
    assert!(read.contains("content-length: 67108864"), "{read}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let taken = server.body_bytes_taken();
    assert!(taken > 0 && taken < 16 << 20, "{taken} of 64 MiB taken");
}
