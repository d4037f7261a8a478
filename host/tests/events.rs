//! Event order and API behaviour of the Rust host API over real loopback TCP.
//!
//! Every expected sequence was observed from Node v20 with a server configured
//! like `node_echo.js` (`{requireHostHeader: false, maxHeaderSize: 8192}`), a
//! listener on every server, `req` and `res` event, and a raw `net.Socket`
//! client doing what the test's client does. `clientError` was observed without
//! replacing Node's default handling (the 400 reply and the socket's destroy),
//! which is what `Event::ClientError` reports. The observed logs are quoted
//! above each test as "Node v20: [...]".
//!
//! Each test drives `NodeHttp::poll` itself, on the test's task, while a
//! client thread talks plain `std::net::TcpStream`. Every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nodehttp_host::{
    Config, Error, Event, Header, HeaderValue, IncomingMessage, NodeHttp, Server, ServerOptions,
    ServerResponse,
};

/// The longest any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(5);

/// How long a test watches for events that must *not* arrive.
const QUIET: Duration = Duration::from_millis(300);

/// A fresh instance with one server listening on `127.0.0.1:0`.
async fn listening() -> (NodeHttp, Server, u16) {
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let server = node.create_server(ServerOptions::default()).await.unwrap();
    server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
    let port = server.address(&mut node).await.unwrap().unwrap().port;
    (node, server, port)
}

/// Node's name of the event, as the logs quoted in this file write it.
fn name(event: &Event) -> &'static str {
    match event {
        Event::Listening { .. } => "listening",
        Event::Connection { .. } => "connection",
        Event::Request { .. } => "request",
        Event::ClientError { .. } => "client-error",
        Event::ServerClose { .. } => "server-close",
        Event::ServerError { .. } => "server-error",
        Event::Data { .. } => "data",
        Event::End { .. } => "end",
        Event::Aborted { .. } => "aborted",
        Event::RequestClose { .. } => "request-close",
        Event::Finish { .. } => "finish",
        Event::ResponseClose { .. } => "response-close",
        Event::Drain { .. } => "drain",
        Event::CheckContinue { .. } => "check-continue",
        Event::CheckExpectation { .. } => "check-expectation",
        Event::Upgrade { .. } => "upgrade",
        Event::Connect { .. } => "connect",
        Event::ServerTimeout { .. } => "server-timeout",
        Event::RequestTimeout { .. } => "timeout",
        Event::ResponseTimeout { .. } => "response-timeout",
        Event::WriteCallback { .. } => "write-callback",
        Event::SocketConnect { .. }
        | Event::SocketData { .. }
        | Event::SocketEnd { .. }
        | Event::SocketDrain { .. }
        | Event::SocketTimeout { .. }
        | Event::SocketError { .. }
        | Event::SocketClose { .. } => "socket",
        // These tests make no client requests.
        Event::Socket { .. }
        | Event::Continue { .. }
        | Event::Information { .. }
        | Event::Response { .. }
        | Event::ClientRequestFinish { .. }
        | Event::ClientRequestDrain { .. }
        | Event::Abort { .. }
        | Event::Timeout { .. }
        | Event::ClientRequestError { .. }
        | Event::ClientRequestClose { .. }
        | Event::ClientResponseData { .. }
        | Event::ClientResponseEnd { .. }
        | Event::ClientResponseAborted { .. }
        | Event::ClientResponseClose { .. } => "client",
    }
}

/// Every event the instance delivered, in order, and how far a test has
/// consumed them.
#[derive(Default)]
struct Log {
    seen: Vec<Event>,
    cursor: usize,
}

impl Log {
    /// The first unconsumed event `matches` accepts, polling until one arrives
    /// (for at most [`STEP`]). Events before it count as consumed.
    async fn until(&mut self, node: &mut NodeHttp, matches: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(at) = self.seen[self.cursor..].iter().position(&matches) {
                self.cursor += at + 1;
                return self.seen[self.cursor - 1].clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out; events so far: {:?}",
                self.names()
            );
            let events = node.poll(left.min(Duration::from_millis(50))).await;
            self.seen.extend(events.unwrap());
        }
    }

    /// Polls for `window`, recording whatever arrives.
    async fn watch(&mut self, node: &mut NodeHttp, window: Duration) {
        let deadline = Instant::now() + window;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let events = node.poll(left.min(Duration::from_millis(50))).await;
            self.seen.extend(events.unwrap());
        }
    }

    /// The names of the events not yet consumed; consumes them.
    fn take_names(&mut self) -> Vec<&'static str> {
        let names = self.seen[self.cursor..].iter().map(name).collect();
        self.cursor = self.seen.len();
        names
    }

    /// The names of every event seen.
    fn names(&self) -> Vec<&'static str> {
        self.seen.iter().map(name).collect()
    }

    /// The `request` event's handles.
    async fn request(&mut self, node: &mut NodeHttp) -> (IncomingMessage, ServerResponse) {
        match self
            .until(node, |e| matches!(e, Event::Request { .. }))
            .await
        {
            Event::Request {
                request, response, ..
            } => (request, response),
            _ => unreachable!("`until` returns a matching event"),
        }
    }

    /// The bytes of every `data` event seen.
    fn body(&self) -> Vec<u8> {
        let chunks = self.seen.iter().filter_map(|e| match e {
            Event::Data { chunk, .. } => Some(chunk.as_slice()),
            _ => None,
        });
        chunks.flatten().copied().collect()
    }
}

fn is(wanted: &'static str) -> impl Fn(&Event) -> bool {
    move |event| name(event) == wanted
}

/// A client connected to `port`, with reads bounded by [`STEP`].
fn connect(port: u16) -> TcpStream {
    let conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(STEP)).unwrap();
    conn
}

/// Runs `client` on its own thread: the test's task must keep polling.
fn spawn<T: Send + 'static>(client: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    std::thread::spawn(client)
}

/// Reads until `done` accepts what was read, the peer closes, or [`STEP`]
/// passes; returns what was read.
/// A client on its own thread: sends `parts` (100 ms apart, so each arrives
/// in its own read), then reads until the response ends in the body `ends`.
fn client(
    port: u16,
    parts: &'static [&'static [u8]],
    ends: &'static [u8],
) -> std::thread::JoinHandle<(TcpStream, Vec<u8>)> {
    spawn(move || {
        let mut conn = connect(port);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            conn.write_all(part).unwrap();
        }
        let response = read_until(&mut conn, |got| {
            got.ends_with(ends) && got.windows(4).any(|w| w == b"\r\n\r\n")
        });
        (conn, response)
    })
}

fn read_until(conn: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + STEP;
    let mut got = Vec::new();
    let mut buf = vec![0; 64 << 10];
    while !done(&got) && Instant::now() < deadline {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// A response as text with its `Date` line removed (it varies).
fn without_date(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    lines.retain(|line| !line.starts_with("Date: "));
    lines.join("\r\n")
}

/// Whether the peer closed the connection (EOF or reset) within [`STEP`].
fn closed_by_peer(conn: &mut TcpStream) -> bool {
    let mut byte = [0; 1];
    match conn.read(&mut byte) {
        Ok(0) => true,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        Ok(_) => false,
    }
}

/// The response Node v20 writes for `res.end(body)` on a keep-alive request,
/// without its `Date` line.
fn keep_alive_ok(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// 1. A keep-alive GET answered from `req.on('end')`.
///
/// Node v20: ["listening","connection","request","end","finish",
/// "response-close","request-close"]; the client reads
/// "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n
/// Content-Length: 2\r\n\r\nok". Node v20 emits req 'close' a few ticks
/// after 'end' (its `autoDestroy`), so a response ended from 'end' finishes
/// and closes first.
#[tokio::test]
async fn keep_alive_get_answered_at_end() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(port, &[b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"], b"\r\n\r\nok");
    let (req, res) = log.request(&mut node).await;
    assert_eq!(req.method(&mut node).await.unwrap().as_deref(), Some("GET"));
    log.until(&mut node, is("end")).await;
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    log.until(&mut node, is("request-close")).await;
    log.watch(&mut node, QUIET).await;
    let (_conn, response) = client.join().unwrap();
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
    assert_eq!(
        log.names(),
        [
            "listening",
            "connection",
            "request",
            "end",
            "finish",
            "response-close",
            "request-close"
        ]
    );
}

/// 1b. A keep-alive GET answered in the `request` event, before its `end`.
///
/// Node v20: ["listening","connection","request","finish","end",
/// "response-close","request-close"]. We deliver `end` with `request` (the
/// head completes the bodiless request in the same read), so `end` precedes
/// a `finish` the listener caused; Node puts `end` one tick later, between
/// `finish` and `res 'close'`. That interleaving is an accident of Node's
/// tick scheduling, not documented order; what both share — `finish` before
/// `response-close` before `request-close` — is asserted.
#[tokio::test]
async fn keep_alive_get_answered_at_request() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(port, &[b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"], b"\r\n\r\nok");
    let (_req, res) = log.request(&mut node).await;
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    log.until(&mut node, is("request-close")).await;
    log.watch(&mut node, QUIET).await;
    let (_conn, response) = client.join().unwrap();
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
    assert_eq!(
        log.names(),
        [
            "listening",
            "connection",
            "request",
            "end",
            "finish",
            "response-close",
            "request-close"
        ]
    );
}

/// 2. A body sent in two TCP writes.
///
/// Node v20: ["listening","connection","request","data \"hello\"",
/// "data \" world\"","end complete=true","finish","response-close",
/// "request-close"]. How a body is split into `data` chunks is not part of
/// the contract, only that they concatenate to it and precede `end`.
#[tokio::test]
async fn body_in_two_writes_arrives_as_data_then_end() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(
        port,
        &[
            b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello",
            b" world",
        ],
        b"\r\n\r\nok",
    );
    let (req, res) = log.request(&mut node).await;
    assert!(!req.complete(&mut node).await.unwrap());
    log.until(&mut node, is("end")).await;
    assert!(req.complete(&mut node).await.unwrap());
    assert_eq!(log.body(), b"hello world");
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    log.until(&mut node, is("request-close")).await;
    let (_conn, response) = client.join().unwrap();

    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
    let mut names = log.names();
    names.dedup(); // one "data" however many chunks
    assert_eq!(
        names,
        [
            "listening",
            "connection",
            "request",
            "data",
            "end",
            "finish",
            "response-close",
            "request-close"
        ]
    );
}

/// 2b. A chunked body with trailers: they are readable at `end`.
///
/// Node v20 at 'end': trailers {"x-checksum":"11","x-other":"a, b"},
/// rawTrailers ["X-Checksum","11","X-Other","a","x-other","b"].
#[tokio::test]
async fn chunked_trailers_are_readable_at_end() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(
        port,
        &[
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            b"6\r\n world\r\n0\r\nX-Checksum: 11\r\nX-Other: a\r\nx-other: b\r\n\r\n",
        ],
        b"\r\n\r\nok",
    );
    let (req, res) = log.request(&mut node).await;
    log.until(&mut node, is("end")).await;
    assert!(req.complete(&mut node).await.unwrap());
    assert_eq!(log.body(), b"hello world");
    let text = |name: &str, value: &str| Header {
        name: name.into(),
        value: HeaderValue::Text(value.into()),
    };
    assert_eq!(
        req.trailers(&mut node).await.unwrap(),
        [text("x-checksum", "11"), text("x-other", "a, b")]
    );
    assert_eq!(
        req.raw_trailers(&mut node).await.unwrap(),
        ["X-Checksum", "11", "X-Other", "a", "x-other", "b"]
    );
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    let (_conn, response) = client.join().unwrap();
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
}

/// 3. The client half-closes mid-body (a FIN, as `socket.end()` or a process
/// exit sends).
///
/// Node v20: ["listening","connection","request","data \"hello\"",
/// "client-error HPE_INVALID_EOF_STATE","aborted","response-close",
/// "request-close aborted=true"], and the client reads
/// "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n" then EOF. With a
/// reset instead of a FIN the client error is ECONNRESET and the rest is the
/// same.
#[tokio::test]
async fn client_leaving_mid_body_aborts_the_request() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nhello")
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        conn.shutdown(Shutdown::Write).unwrap();
        let rest = read_until(&mut conn, |_| false);
        drop(conn);
        rest
    });
    let (req, _res) = log.request(&mut node).await;
    assert!(!req.aborted(&mut node).await.unwrap());
    let error = log.until(&mut node, is("client-error")).await;
    let Event::ClientError { error, .. } = error else {
        unreachable!()
    };
    assert_eq!(error.code, "HPE_INVALID_EOF_STATE");
    log.until(&mut node, is("aborted")).await;
    assert!(req.aborted(&mut node).await.unwrap());
    assert!(!req.complete(&mut node).await.unwrap());
    log.until(&mut node, is("request-close")).await;
    log.watch(&mut node, QUIET).await;
    // Node v20 still answers 400: the socket is half-open (http servers
    // `allowHalfOpen`) and no response head was sent yet.
    assert_eq!(
        String::from_utf8_lossy(&client.join().unwrap()),
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(log.body(), b"hello");
    assert_eq!(
        log.names(),
        [
            "listening",
            "connection",
            "request",
            "data",
            "client-error",
            "aborted",
            "response-close",
            "request-close"
        ]
    );
}

/// 4. `pause()` stops `data` while the client keeps sending; `resume()`
/// delivers the rest. (Node: `readable.pause()` switches the stream out of
/// flowing mode, so no 'data' is emitted until `resume()`.) The body is larger
/// than loopback's socket buffers can hold (tcp_rmem max 32 MiB + tcp_wmem
/// max 4 MiB here), so while paused the client cannot finish sending: the
/// connection really stops reading.
#[tokio::test]
async fn pause_stops_data_until_resume() {
    const SIZE: usize = 64 << 20;
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let sent_all = Arc::new(AtomicBool::new(false));
    let client = spawn({
        let sent_all = sent_all.clone();
        move || {
            let mut conn = connect(port);
            let head = format!("POST / HTTP/1.1\r\nContent-Length: {SIZE}\r\n\r\n");
            conn.write_all(head.as_bytes()).unwrap();
            // Blocks under TCP flow control while the server is paused; that
            // is the point. Bounded by the write timeout.
            conn.set_write_timeout(Some(STEP)).unwrap();
            let sent = conn.write_all(&vec![b'p'; SIZE]);
            sent_all.store(sent.is_ok(), Ordering::SeqCst);
            let response = read_until(&mut conn, |got| got.ends_with(b"\r\n\r\nok"));
            (sent.is_ok(), conn, response)
        }
    });
    let (req, res) = log.request(&mut node).await;
    req.pause(&mut node).await.unwrap();
    // What the poll that delivered `request` also delivered came before pause().
    log.take_names();
    let before = log.body().len();
    log.watch(&mut node, QUIET).await;
    let during_pause = log.take_names();
    assert!(!during_pause.contains(&"data"), "{during_pause:?}");
    assert_eq!(log.body().len(), before);
    assert!(
        !sent_all.load(Ordering::SeqCst),
        "the client sent it all while paused"
    );

    req.resume(&mut node).await.unwrap();
    log.until(&mut node, is("end")).await;
    let body = log.body();
    assert_eq!(body.len(), SIZE);
    assert!(body.iter().all(|&b| b == b'p'));
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    let (sent, _conn, response) = client.join().unwrap();
    assert!(sent);
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
}

/// 5. `write` past the high-water mark returns false; `drain` waits for the
/// client to read.
///
/// Node v20 (16 MiB written to a client that pauses reading for 300 ms):
/// ["listening","connection","request","write returned false","end",
/// "request-close","client resumes","drain","finish","response-close"].
#[tokio::test]
async fn write_beyond_high_water_mark_drains_once_the_client_reads() {
    // Far more than loopback's socket buffers hold, so the write really waits.
    const SIZE: usize = 16 << 20;
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let (go, read) = std::sync::mpsc::channel::<()>();
    let client = spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        read.recv_timeout(STEP).unwrap();
        let head_end = |got: &[u8]| got.windows(4).position(|w| w == b"\r\n\r\n");
        let response = read_until(&mut conn, |got| {
            head_end(got).is_some_and(|at| got.len() - (at + 4) >= SIZE)
        });
        let body = head_end(&response).map_or(0, |at| response.len() - (at + 4));
        (conn, body)
    });
    let (_req, res) = log.request(&mut node).await;
    let length = HeaderValue::Number(SIZE as f64);
    res.set_header(&mut node, "Content-Length", &length)
        .await
        .unwrap();
    assert!(!res.write(&mut node, &vec![b'a'; SIZE]).await.unwrap());
    log.take_names();
    log.watch(&mut node, QUIET).await;
    let before_reading = log.take_names();
    assert!(
        !before_reading.contains(&"drain") && !before_reading.contains(&"finish"),
        "{before_reading:?}"
    );
    go.send(()).unwrap();
    log.until(&mut node, is("drain")).await;
    res.end(&mut node, None).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    let (_conn, body) = client.join().unwrap();
    assert_eq!(body, SIZE);
    let mut names = log.names();
    names.retain(|n| !["end", "request-close"].contains(n)); // the GET's own, any time
    assert_eq!(
        names,
        [
            "listening",
            "connection",
            "request",
            "drain",
            "finish",
            "response-close"
        ]
    );
}

/// Node's `err.code` of a failed call.
fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> Option<String> {
    match result {
        Err(Error::Node(error)) => Some(error.code),
        other => panic!("expected a Node error, got {other:?}"),
    }
}

/// 6. What Node throws comes back as `Error::Node` with Node's code, and the
/// instance (and the response) goes on working.
///
/// Node v20, in the request listener: `setHeader('bad name', ..)` throws
/// ERR_INVALID_HTTP_TOKEN; `writeHead(42)` throws ERR_HTTP_INVALID_STATUS_CODE;
/// after `statusCode = 404; end('gone')`: `setHeader` throws
/// ERR_HTTP_HEADERS_SENT and `write` emits ERR_STREAM_WRITE_AFTER_END on
/// `res` (this API returns it); the client reads
/// "HTTP/1.1 404 Not Found\r\n...Content-Length: 4\r\n\r\ngone".
#[tokio::test]
async fn thrown_errors_carry_node_codes_and_leave_the_instance_working() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(port, &[b"GET / HTTP/1.1\r\n\r\n"], b"\r\n\r\ngone");
    let (_req, res) = log.request(&mut node).await;
    let value = HeaderValue::Text("x".into());

    let bad_name = res.set_header(&mut node, "bad name", &value).await;
    assert_eq!(code(bad_name).as_deref(), Some("ERR_INVALID_HTTP_TOKEN"));
    let bad_status = res.write_head(&mut node, 42, None, &[]).await;
    assert_eq!(
        code(bad_status).as_deref(),
        Some("ERR_HTTP_INVALID_STATUS_CODE")
    );
    assert!(!res.headers_sent(&mut node).await.unwrap());

    res.set_status_code(&mut node, 404).await.unwrap();
    res.end(&mut node, Some(b"gone")).await.unwrap();
    let late_header = res.set_header(&mut node, "X-A", &value).await;
    assert_eq!(code(late_header).as_deref(), Some("ERR_HTTP_HEADERS_SENT"));
    let late_write = res.write(&mut node, b"x").await;
    assert_eq!(
        code(late_write).as_deref(),
        Some("ERR_STREAM_WRITE_AFTER_END")
    );

    log.until(&mut node, is("response-close")).await;
    let (_conn, response) = client.join().unwrap();
    assert_eq!(
        without_date(&response),
        keep_alive_ok("404 Not Found", "gone")
    );
    assert!(!node.methods().await.unwrap().is_empty());
}

/// 9. The response's getters after `end()` and after `finish`.
///
/// Node v20, right after `statusCode = 404; end('gone')`: statusCode=404
/// headersSent=true writableEnded=true (writableFinished=true already, as the
/// socket took every byte synchronously); at 'finish': writableFinished=true.
#[tokio::test]
async fn response_getters_after_end_and_finish() {
    let (mut node, _server, port) = listening().await;
    let mut log = Log::default();
    let client = client(port, &[b"GET / HTTP/1.1\r\n\r\n"], b"\r\n\r\ngone");
    let (_req, res) = log.request(&mut node).await;
    assert_eq!(res.status_code(&mut node).await.unwrap(), 200);
    assert!(!res.writable_ended(&mut node).await.unwrap());
    let socket = res
        .socket(&mut node)
        .await
        .unwrap()
        .expect("response.socket");
    assert_eq!(socket.remote.address, "127.0.0.1");
    assert_eq!(socket.local.port, port);
    res.set_status_code(&mut node, 404).await.unwrap();
    res.end(&mut node, Some(b"gone")).await.unwrap();
    // Node: "After response.end(), the property is nulled."
    assert!(res.socket(&mut node).await.unwrap().is_none());
    assert_eq!(res.status_code(&mut node).await.unwrap(), 404);
    assert!(res.headers_sent(&mut node).await.unwrap());
    assert!(res.writable_ended(&mut node).await.unwrap());
    // `until` returns from the poll that delivered `finish`: the handle is
    // released only by the poll after `response-close`.
    log.until(&mut node, is("finish")).await;
    assert!(res.writable_finished(&mut node).await.unwrap());
    log.until(&mut node, is("response-close")).await;
    let (_conn, response) = client.join().unwrap();
    assert_eq!(
        without_date(&response),
        keep_alive_ok("404 Not Found", "gone")
    );
}

/// 7. `server.close()` while a keep-alive request is in flight: new
/// connections are refused at once; the busy connection finishes its
/// response and stays open (Node v20 still answers `Connection: keep-alive`);
/// 'close' waits until that connection closes.
///
/// Node v20: ["listening","connection","request","end","request-close",
/// "close() called","new connect ECONNREFUSED","res.end called","finish",
/// "response-close","client got \"HTTP/1.1 200 OK\r\nConnection: keep-alive
/// \r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok\"", (client
/// closes) "server-close"].
#[tokio::test]
async fn server_close_refuses_new_connections_and_waits_for_busy_ones() {
    let (mut node, server, port) = listening().await;
    let mut log = Log::default();
    let (hang_up, hung_up) = std::sync::mpsc::channel::<()>();
    let client = spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let response = read_until(&mut conn, |got| got.ends_with(b"\r\n\r\nok"));
        hung_up.recv_timeout(STEP).unwrap();
        response
    });
    let (_req, res) = log.request(&mut node).await;
    server.close(&mut node).await.unwrap();
    assert!(!server.listening(&mut node).await.unwrap());
    let refused = TcpStream::connect(("127.0.0.1", port));
    assert_eq!(
        refused.err().map(|e| e.kind()),
        Some(ErrorKind::ConnectionRefused)
    );

    log.watch(&mut node, QUIET).await;
    assert!(!log.names().contains(&"server-close"), "{:?}", log.names());
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    log.watch(&mut node, QUIET).await;
    assert!(!log.names().contains(&"server-close"), "{:?}", log.names());

    hang_up.send(()).unwrap();
    let response = client.join().unwrap();
    log.until(&mut node, is("server-close")).await;
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
    assert_eq!(
        log.names(),
        [
            "listening",
            "connection",
            "request",
            "end",
            "request-close",
            "finish",
            "response-close",
            "server-close"
        ]
    );
}

/// 7b. `server.close()` with an idle keep-alive connection closes it
/// (Node >= 19 calls `closeIdleConnections()` in `close()`), then emits
/// 'close'.
///
/// Node v20: [...,"finish","end","response-close","request-close",
/// "close() called","server-close","client sees EOF"].
#[tokio::test]
async fn server_close_closes_idle_keep_alive_connections() {
    let (mut node, server, port) = listening().await;
    let mut log = Log::default();
    let client = spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let response = read_until(&mut conn, |got| got.ends_with(b"\r\n\r\nok"));
        (response, closed_by_peer(&mut conn))
    });
    let (_req, res) = log.request(&mut node).await;
    res.end(&mut node, Some(b"ok")).await.unwrap();
    log.until(&mut node, is("response-close")).await;
    log.until(&mut node, is("request-close")).await;
    log.watch(&mut node, QUIET).await;
    log.take_names();

    let closing = Instant::now();
    server.close(&mut node).await.unwrap();
    log.until(&mut node, is("server-close")).await;
    // At once, not when keepAliveTimeout (5 s) would have closed it anyway.
    assert!(
        closing.elapsed() < Duration::from_secs(1),
        "{:?}",
        closing.elapsed()
    );
    log.watch(&mut node, QUIET).await;
    let (response, closed) = client.join().unwrap();
    assert_eq!(without_date(&response), keep_alive_ok("200 OK", "ok"));
    assert!(closed, "the idle connection stayed open");
    let after_close: Vec<_> = log.seen[log.cursor - 1..].iter().map(name).collect();
    assert_eq!(after_close, ["server-close"]);
}

/// 8. Bytes that do not parse: `client-error` with llhttp's code, and
/// Node's default reply before the socket is destroyed.
///
/// Node v20, for both "G@T / HTTP/1.1" and "FOO / HTTP/1.1":
/// ["listening","connection","client-error HPE_INVALID_METHOD"], and the
/// client reads "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
/// then EOF.
#[tokio::test]
async fn unparsable_request_is_a_client_error_with_nodes_400() {
    let (mut node, _server, port) = listening().await;
    for head in ["G@T / HTTP/1.1\r\n\r\n", "FOO / HTTP/1.1\r\n\r\n"] {
        let mut log = Log::default();
        let client = spawn(move || {
            let mut conn = connect(port);
            conn.write_all(head.as_bytes()).unwrap();
            read_until(&mut conn, |_| false)
        });
        let error = log.until(&mut node, is("client-error")).await;
        let Event::ClientError { error, .. } = error else {
            unreachable!()
        };
        assert_eq!(error.code, "HPE_INVALID_METHOD", "{head:?}");
        log.watch(&mut node, QUIET).await;
        let reply = client.join().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&reply),
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
            "{head:?}"
        );
        let names = log.names();
        let names: Vec<_> = names.into_iter().filter(|n| *n != "listening").collect();
        assert_eq!(names, ["connection", "client-error"], "{head:?}");
    }
}
