//! Upgrade, `CONNECT` and raw sockets through the Rust host API over real
//! loopback TCP: the server's `'upgrade'` and `'connect'` (and Node's
//! handling without them), the client's `'upgrade'` and `'connect'`, a
//! `CONNECT` proxy ([`Proxy`]) in front of our own server and Node's
//! `node_echo.js`, and `net.connect` (refused, event order, backpressure,
//! pause, timeout).
//!
//! Every expected order was observed from Node v20 with
//! `tests/node/tunnels.js`, which runs the same scenarios (servers configured
//! like `node_echo.js`, raw `net.Socket` clients) and prints one log per
//! scenario; the logs are quoted above each test as "Node v20: [...]". Each
//! test drives [`NodeHttp::poll`] on its own task while raw clients run on
//! threads; every wait is bounded.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nodehttp_host::echo::Echo;
use nodehttp_host::proxy::Proxy;
use nodehttp_host::{
    Config, Error, Event, Header, HeaderValue, NodeHttp, RequestListener, RequestOptions, Server,
    ServerListeners, ServerOptions, Socket,
};
use support::serve::Serve;

/// The longest any one wait may take before the test fails.
const STEP: Duration = Duration::from_secs(10);

/// How long a test watches for events that must *not* arrive.
const QUIET: Duration = Duration::from_millis(300);

/// How much each direction of a tunnel carries.
const MIB: usize = 1 << 20;

/// A WebSocket-style opening handshake (RFC 6455 §4.1, the parts HTTP sees).
const HANDSHAKE: &[u8] =
    b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

/// The server's answer to [`HANDSHAKE`], written by the app on the raw socket.
const SWITCHING: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

/// What Node's documented proxy example (and [`Proxy`]) answers a tunnel.
const ESTABLISHED: &[u8] =
    b"HTTP/1.1 200 Connection Established\r\nProxy-agent: Node.js-Proxy\r\n\r\n";

/// `len` bytes of a pattern that does not repeat every 256 bytes, so a lost,
/// doubled or reordered chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251 + i / 4096) as u8).collect()
}

// --- polling --------------------------------------------------------------------------------

/// Every event the instance delivered, and how far the test consumed them.
#[derive(Default)]
struct Log {
    seen: Vec<Event>,
    cursor: usize,
}

impl Log {
    /// The next unconsumed event, polling until one arrives (at most [`STEP`]).
    async fn next(&mut self, node: &mut NodeHttp) -> Event {
        let deadline = Instant::now() + STEP;
        while self.cursor == self.seen.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out after {:?}", self.seen);
            let events = node.poll(left.min(Duration::from_millis(50))).await;
            self.seen.extend(events.unwrap());
        }
        self.cursor += 1;
        self.seen[self.cursor - 1].clone()
    }

    /// The first unconsumed event `matches` accepts; those before it count
    /// as consumed.
    async fn until(&mut self, node: &mut NodeHttp, matches: impl Fn(&Event) -> bool) -> Event {
        loop {
            let event = self.next(node).await;
            if matches(&event) {
                return event;
            }
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

    /// Node's names of the events seen that concern `ids` (a socket, a
    /// client request or a server), in order.
    fn names_of(&self, ids: &[u32]) -> Vec<&'static str> {
        self.seen
            .iter()
            .filter(|e| emitter(e).is_some_and(|id| ids.contains(&id)))
            .map(name)
            .collect()
    }
}

/// The id of the object that emitted `event`, for the events these tests
/// follow.
fn emitter(event: &Event) -> Option<u32> {
    Some(match event {
        Event::Connection { server, .. } => *server,
        Event::Request { server, .. } => *server,
        Event::Upgrade {
            server: Some(server),
            ..
        }
        | Event::Connect {
            server: Some(server),
            ..
        } => *server,
        Event::Upgrade { message, .. } | Event::Connect { message, .. } => message.id(),
        Event::Socket { request }
        | Event::ClientRequestFinish { request }
        | Event::ClientRequestError { request, .. }
        | Event::ClientRequestClose { request }
        | Event::Abort { request } => *request,
        Event::Response { request, .. } => *request,
        Event::ClientResponseData { response, .. }
        | Event::ClientResponseEnd { response }
        | Event::ClientResponseAborted { response }
        | Event::ClientResponseClose { response } => *response,
        Event::SocketConnect { socket }
        | Event::SocketData { socket, .. }
        | Event::SocketEnd { socket }
        | Event::SocketDrain { socket }
        | Event::SocketTimeout { socket }
        | Event::SocketError { socket, .. }
        | Event::SocketClose { socket, .. } => *socket,
        _ => return None,
    })
}

/// Node's name of an event, as `tests/node/tunnels.js` logs it.
fn name(event: &Event) -> &'static str {
    match event {
        Event::Connection { .. } => "connection",
        Event::Request { .. } => "request",
        Event::Upgrade { .. } => "upgrade",
        Event::Connect { .. } => "connect",
        Event::Socket { .. } => "socket",
        Event::ClientRequestFinish { .. } => "finish",
        Event::Response { .. } => "response",
        Event::ClientRequestError { .. } => "error",
        Event::ClientRequestClose { .. } => "close",
        Event::Abort { .. } => "abort",
        Event::ClientResponseData { .. } => "res data",
        Event::ClientResponseEnd { .. } => "res end",
        Event::ClientResponseAborted { .. } => "res aborted",
        Event::ClientResponseClose { .. } => "res close",
        Event::SocketConnect { .. } => "socket connect",
        Event::SocketData { .. } => "socket data",
        Event::SocketEnd { .. } => "socket end",
        Event::SocketDrain { .. } => "socket drain",
        Event::SocketTimeout { .. } => "socket timeout",
        Event::SocketError { .. } => "socket error",
        Event::SocketClose {
            had_error: false, ..
        } => "socket close false",
        Event::SocketClose {
            had_error: true, ..
        } => "socket close true",
        _ => "other",
    }
}

/// `names` without `socket drain` and with consecutive duplicates merged:
/// how many `data` events a stream takes, and where the writes fill the
/// buffer, is the transport's business, not Node's order.
fn runs(names: Vec<&'static str>) -> Vec<&'static str> {
    let mut names: Vec<_> = names.into_iter().filter(|n| *n != "socket drain").collect();
    names.dedup();
    names
}

/// A fresh instance with a server on `127.0.0.1:0` that listens to `listeners`.
async fn listening(listeners: ServerListeners) -> (NodeHttp, Server, u16) {
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let server = add_server(&mut node, listeners).await;
    let port = server.address(&mut node).await.unwrap().unwrap().port;
    (node, server, port)
}

/// Another server on the instance, listening on `127.0.0.1:0`.
async fn add_server(node: &mut NodeHttp, listeners: ServerListeners) -> Server {
    let options = ServerOptions {
        listeners,
        ..ServerOptions::default()
    };
    let server = node.create_server(options).await.unwrap();
    server.listen(node, 0, "127.0.0.1").await.unwrap();
    server
}

/// Serves `proxy` (and the other servers of the instance) until `client`
/// finished; returns what it returned. At most 30 s.
async fn serve_until<T: Send + 'static>(
    node: &mut NodeHttp,
    server: Server,
    proxy: &mut Proxy<Echo>,
    client: impl FnOnce() -> T + Send + 'static,
) -> T {
    let done = Arc::new(AtomicBool::new(false));
    /// Sets its flag when dropped: when the client returns, or panics.
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let client = std::thread::spawn({
        let done = Done(done.clone());
        move || {
            let _done = done;
            client()
        }
    });
    let shutdown = std::future::poll_fn(|_| match done.load(Ordering::SeqCst) {
        true => Poll::Ready(()),
        false => Poll::Pending,
    });
    tokio::time::timeout(Duration::from_secs(30), node.serve(server, proxy, shutdown))
        .await
        .expect("serving took over 30 s")
        .unwrap();
    client.join().unwrap()
}

// --- raw clients ----------------------------------------------------------------------------

/// A client connected to `port`, with reads bounded by [`STEP`].
fn connect(port: u16) -> TcpStream {
    let conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(STEP)).unwrap();
    conn
}

/// Reads until `len` bytes were read, the peer closes, or [`STEP`] passes.
fn read_len(conn: &mut TcpStream, len: usize) -> Vec<u8> {
    let deadline = Instant::now() + STEP;
    let mut got = Vec::with_capacity(len.min(MIB));
    let mut buf = vec![0; 64 << 10];
    while got.len() < len && Instant::now() < deadline {
        let want = (len - got.len()).min(buf.len());
        match conn.read(&mut buf[..want]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// Reads until the peer closes (or [`STEP`] passes).
fn read_to_close(conn: &mut TcpStream) -> Vec<u8> {
    read_len(conn, usize::MAX)
}

/// Reads one HTTP/1.1 response with a `Content-Length` body.
fn read_response(conn: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let head_end = loop {
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let more = read_len(conn, 1);
        assert!(!more.is_empty(), "no complete head: {got:?}");
        got.extend(more);
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .split("\r\n")
        .find_map(|line| line.strip_prefix("content-length: "))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let body = read_len(conn, head_end + length - got.len());
    got.extend(body);
    got
}

/// A response with its `Date` line removed (it varies).
fn without_date(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    let lines: Vec<&str> = text
        .split("\r\n")
        .filter(|line| !line.starts_with("Date: "))
        .collect();
    lines.join("\r\n")
}

/// Sends `request` on a new connection to `port`; returns the response.
fn fetch(port: u16, request: &[u8]) -> Vec<u8> {
    let mut conn = connect(port);
    conn.write_all(request).unwrap();
    read_response(&mut conn)
}

/// Writes `data` on its own thread, so the caller can read the echo at once.
fn write_in_background(conn: &TcpStream, data: Vec<u8>) -> JoinHandle<()> {
    let mut writer = conn.try_clone().unwrap();
    std::thread::spawn(move || writer.write_all(&data).unwrap())
}

// --- 1. the server's 'upgrade' --------------------------------------------------------------

/// A WebSocket-style handshake whose first frame bytes ride with the head;
/// the app answers 101 on the raw socket and echoes (the head too), pausing
/// the socket while its writes are above the high-water mark; 1 MiB goes
/// each way. After the client's FIN the half-open socket still writes
/// (`bye`), then ends.
///
/// Node v20: ["connection","upgrade head=\"early\" allowHalfOpen=true",
/// "data \"later\"","end","finish","close false","client got
/// \"earlylaterbye\""].
#[tokio::test]
async fn server_upgrade_echoes_a_mib_each_way_and_half_closes() {
    let listeners = ServerListeners {
        upgrade: true,
        ..ServerListeners::default()
    };
    let (mut node, server, port) = listening(listeners).await;
    let payload = pattern(MIB);
    let client = std::thread::spawn({
        let payload = payload.clone();
        move || {
            let mut conn = connect(port);
            conn.write_all(&[HANDSHAKE, b"early"].concat()).unwrap();
            let answer = read_len(&mut conn, SWITCHING.len() + 5);
            let writer = write_in_background(&conn, payload.clone());
            let echo = read_len(&mut conn, payload.len());
            writer.join().unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            let after_fin = read_to_close(&mut conn);
            (answer, echo == payload, after_fin)
        }
    });

    let mut log = Log::default();
    let Event::Upgrade {
        server: Some(from),
        message: request,
        socket,
        head,
    } = log
        .until(&mut node, |e| matches!(e, Event::Upgrade { .. }))
        .await
    else {
        unreachable!("`until` returns an upgrade");
    };
    assert_eq!(from, server.id());
    assert_eq!(head, b"early");
    assert_eq!(
        request.url(&mut node).await.unwrap().as_deref(),
        Some("/chat")
    );
    let headers = request.headers(&mut node).await.unwrap();
    assert!(
        headers.contains(&Header {
            name: "upgrade".into(),
            value: HeaderValue::Text("websocket".into())
        }),
        "{headers:?}"
    );
    let peer = socket.remote_address(&mut node).await.unwrap().unwrap();
    assert_eq!(peer.address, "127.0.0.1");
    socket.write(&mut node, SWITCHING).await.unwrap();
    socket.write(&mut node, &head).await.unwrap();

    let mut echoed = 0;
    let mut paused = 0;
    loop {
        match log.next(&mut node).await {
            Event::SocketData { socket: s, chunk } if s == socket.id() => {
                echoed += chunk.len();
                if !socket.write(&mut node, &chunk).await.unwrap() {
                    paused += 1;
                    socket.pause(&mut node).await.unwrap();
                }
            }
            Event::SocketDrain { socket: s } if s == socket.id() => {
                socket.resume(&mut node).await.unwrap();
            }
            Event::SocketEnd { socket: s } if s == socket.id() => {
                // Half-open: the client's FIN does not end our side.
                assert!(socket.writable(&mut node).await.unwrap());
                socket.end(&mut node, Some(b"bye")).await.unwrap();
            }
            Event::SocketClose { socket: s, .. } if s == socket.id() => break,
            _ => {}
        }
    }
    let (answer, echo_intact, after_fin) = client.join().unwrap();
    assert_eq!(answer, [SWITCHING, b"early"].concat());
    assert!(echo_intact, "the 1 MiB echo differs from what was sent");
    assert_eq!(after_fin, b"bye");
    assert_eq!(echoed, MIB);
    eprintln!("upgrade echo: 1 MiB each way, the socket paused {paused} times for drain");
    assert_eq!(
        runs(log.names_of(&[server.id(), socket.id()])),
        [
            "connection",
            "upgrade",
            "socket data",
            "socket end",
            "socket close false"
        ]
    );
    // The request went with its socket.
    node.poll(Duration::ZERO).await.unwrap();
    let gone = request.url(&mut node).await;
    assert!(matches!(gone, Err(Error::Disposed { .. })), "{gone:?}");
}

/// Without an `'upgrade'` listener the handshake is an ordinary request:
/// the echo app answers it, byte for byte as `node_echo.js` does.
///
/// Node v20: ["request websocket","client status HTTP/1.1 200 OK"].
#[tokio::test]
async fn server_upgrade_without_listener_is_served_as_a_request() {
    let (mut node, server, port) = listening(ServerListeners::default()).await;
    // Without the `connect` listener the proxy hands everything to the echo app.
    let mut echo = Proxy::new(Echo::default());
    let ours = serve_until(&mut node, server, &mut echo, move || fetch(port, HANDSHAKE)).await;
    let text = without_date(&ours);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains(r#""upgrade":"websocket""#), "{text}");
    if let Some(reference) = Serve::node_echo() {
        let theirs = fetch(reference.addr.port(), HANDSHAKE);
        assert_eq!(text, without_date(&theirs));
    }
}

// --- 2. the server's 'connect' --------------------------------------------------------------

/// A `CONNECT` with a listener: the request's url is the tunnel's target,
/// `head` the bytes after the request's head; the app answers on the raw
/// socket and ends it.
///
/// Node v20: ["connection","connect url=127.0.0.1:1 head=\"GET\"","close
/// false"] (Node's log listens to no `end`).
#[tokio::test]
async fn server_connect_hands_over_url_head_and_socket() {
    let listeners = ServerListeners {
        connect: true,
        ..ServerListeners::default()
    };
    let (mut node, server, port) = listening(listeners).await;
    let client = std::thread::spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\nGET")
            .unwrap();
        let got = read_to_close(&mut conn);
        conn.shutdown(Shutdown::Write).unwrap();
        got
    });
    let mut log = Log::default();
    let Event::Connect {
        server: Some(_),
        message: request,
        socket,
        head,
    } = log
        .until(&mut node, |e| matches!(e, Event::Connect { .. }))
        .await
    else {
        unreachable!("`until` returns a connect");
    };
    assert_eq!(
        request.method(&mut node).await.unwrap().as_deref(),
        Some("CONNECT")
    );
    assert_eq!(
        request.url(&mut node).await.unwrap().as_deref(),
        Some("127.0.0.1:1")
    );
    assert_eq!(head, b"GET");
    socket
        .end(
            &mut node,
            Some(b"HTTP/1.1 200 Connection Established\r\n\r\n"),
        )
        .await
        .unwrap();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(
        client.join().unwrap(),
        b"HTTP/1.1 200 Connection Established\r\n\r\n"
    );
    assert_eq!(
        log.names_of(&[server.id(), socket.id()]),
        ["connection", "connect", "socket end", "socket close false"]
    );
}

/// A request pipelined before an upgrade, still unanswered when the socket is
/// handed over: its response can no longer reach the socket (the embedder owns
/// it), so it closes, and its handles are released, rather than waiting forever.
/// Without this it never closed (its handle leaked in the host).
/// (Node would let it write into the raw stream; we close it instead.)
#[tokio::test]
async fn a_response_owed_at_the_hand_over_closes() {
    let listeners = ServerListeners {
        upgrade: true,
        ..ServerListeners::default()
    };
    let (mut node, _server, port) = listening(listeners).await;
    let mut conn = connect(port);
    let mut pipelined = b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    pipelined.extend_from_slice(HANDSHAKE);
    conn.write_all(&pipelined).unwrap();
    let mut log = Log::default();
    let Event::Request { response, .. } = log
        .until(&mut node, |e| matches!(e, Event::Request { .. }))
        .await
    else {
        unreachable!("`until` returns a request");
    };
    let id = response.id();
    // The owed response closes as the connection is handed over, just
    // before the `upgrade` event.
    log.until(
        &mut node,
        |e| matches!(e, Event::ResponseClose { response } if *response == id),
    )
    .await;
    let Event::Upgrade { socket, .. } = log.next(&mut node).await else {
        panic!(
            "the upgrade follows the owed response's close: {:?}",
            log.seen
        );
    };
    // The socket is the embedder's: it still carries bytes both ways.
    socket.end(&mut node, Some(b"raw")).await.unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(read_to_close(&mut conn), b"raw");
}

/// Without a `'connect'` listener Node closes the connection without a byte,
/// and emits no `request`.
///
/// Node v20: ["connection","client end","client close, got \"\""].
#[tokio::test]
async fn server_connect_without_listener_closes_the_connection() {
    let (mut node, server, port) = listening(ServerListeners::default()).await;
    let client = std::thread::spawn(move || {
        let mut conn = connect(port);
        conn.write_all(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n")
            .unwrap();
        let mut byte = [0; 1];
        conn.read(&mut byte).map_err(|e| e.kind())
    });
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::Connection { .. }))
        .await;
    log.watch(&mut node, QUIET).await;
    // EOF (or a reset), not a timeout and not a byte.
    assert!(matches!(
        client.join().unwrap(),
        Ok(0) | Err(std::io::ErrorKind::ConnectionReset)
    ));
    assert_eq!(log.names_of(&[server.id()]), ["connection"]);
}

/// `CONNECT` through [`Proxy`] (Node's documented example on the
/// `'connect'` listener) to our own echo server in the same instance, and to
/// Node's `node_echo.js` when `node` exists: after `200 Connection
/// Established` a request goes through the tunnel and its response is the
/// one the target gives directly; 1 MiB goes through as a request body and
/// back as the echo's JSON. Every tunnel end closes.
#[tokio::test]
async fn connect_proxy_tunnels_to_our_server_and_to_node() {
    let (mut node, proxy_server, proxy_port) = listening(Proxy::<Echo>::listeners()).await;
    let target = add_server(&mut node, ServerListeners::default()).await;
    let target_port = target.address(&mut node).await.unwrap().unwrap().port;
    let reference = Serve::node_echo();
    let mut ports = vec![target_port];
    ports.extend(reference.as_ref().map(|r| r.addr.port()));

    let mut proxy = Proxy::new(Echo::default());
    let results = serve_until(&mut node, proxy_server, &mut proxy, move || {
        ports
            .into_iter()
            .map(|port| {
                let body = pattern(MIB);
                let request = [
                    format!(
                        "POST /x HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                    &body,
                ]
                .concat();
                let direct = fetch(port, &request);
                let mut conn = connect(proxy_port);
                let connect =
                    format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
                conn.write_all(connect.as_bytes()).unwrap();
                let established = read_len(&mut conn, ESTABLISHED.len());
                let writer = write_in_background(&conn, request);
                let tunnelled = read_response(&mut conn);
                writer.join().unwrap();
                conn.shutdown(Shutdown::Write).unwrap();
                let rest = read_to_close(&mut conn);
                (port, established, direct, tunnelled, rest)
            })
            .collect::<Vec<_>>()
    })
    .await;
    for (port, established, direct, tunnelled, rest) in results {
        assert_eq!(established, ESTABLISHED, "to {port}");
        let direct = without_date(&direct);
        assert!(direct.starts_with("HTTP/1.1 200 OK\r\n"), "{direct:.200}");
        assert!(direct.len() > MIB, "the echo carries the 1 MiB body");
        assert!(
            direct == without_date(&tunnelled),
            "to {port}: the tunnelled response differs"
        );
        assert!(rest.is_empty(), "to {port}: {rest:?}");
    }
    assert_eq!(proxy.open_ends(), 0);
}

// --- 3. the client's 'upgrade' and 'connect' ------------------------------------------------

/// A raw server answering any request `101` with `hi` after the head, then
/// echoing; it ends when the client ends.
fn switching_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(STEP)).unwrap();
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let more = read_len(&mut conn, 1);
            if more.is_empty() {
                return;
            }
            got.extend(more);
        }
        let _ = conn.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhi",
        );
        let mut buf = vec![0; 64 << 10];
        while let Ok(n @ 1..) = conn.read(&mut buf) {
            if conn.write_all(&buf[..n]).is_err() {
                return;
            }
        }
        let _ = conn.shutdown(Shutdown::Write);
    });
    port
}

/// The options of a `GET /` with `Connection: Upgrade` to `port`.
fn upgrade_request(port: u16) -> RequestOptions {
    let text = |name: &str, value: &str| Header {
        name: name.into(),
        value: HeaderValue::Text(value.into()),
    };
    RequestOptions {
        port: Some(port),
        host: Some("127.0.0.1".into()),
        headers: vec![text("Connection", "Upgrade"), text("Upgrade", "echo")],
        ..RequestOptions::default()
    }
}

/// The client's `'upgrade'`: the 101 response, the socket, and the bytes
/// after the 101's head as `head`; then 1 MiB goes out through the socket
/// and comes back from the server's echo; our FIN ends the exchange.
///
/// Node v20: ["socket","finish","upgrade 101 head=\"hi\"","close","socket
/// data \"ping\"","socket end","socket close false"] (no `res end` or `res
/// close`: Node v20 emits neither for the upgrade's response).
#[tokio::test]
async fn client_upgrade_carries_a_mib_both_ways() {
    let port = switching_server();
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let req = node.request(None, upgrade_request(port)).await.unwrap();
    req.listen_upgrade(&mut node, true).await.unwrap();
    req.end(&mut node, None).await.unwrap();
    let mut log = Log::default();
    let Event::Upgrade {
        server: None,
        message: response,
        socket,
        head,
    } = log
        .until(&mut node, |e| matches!(e, Event::Upgrade { .. }))
        .await
    else {
        panic!("not a client's upgrade: {:?}", log.seen);
    };
    assert_eq!(response.id(), req.id());
    assert_eq!(response.status_code(&mut node).await.unwrap(), Some(101));
    assert_eq!(head, b"hi");

    let payload = pattern(MIB);
    let mut sent = 0;
    let mut echo = Vec::new();
    while sent < payload.len() {
        let chunk = &payload[sent..(sent + (64 << 10)).min(payload.len())];
        sent += chunk.len();
        if !socket.write(&mut node, chunk).await.unwrap() {
            // Node's pipe: wait for drain, taking the echo meanwhile.
            loop {
                match log.next(&mut node).await {
                    Event::SocketDrain { socket: s } if s == socket.id() => break,
                    Event::SocketData { socket: s, chunk } if s == socket.id() => {
                        echo.extend(chunk)
                    }
                    _ => {}
                }
            }
        }
    }
    while echo.len() < payload.len() {
        if let Event::SocketData { socket: s, chunk } = log.next(&mut node).await {
            if s == socket.id() {
                echo.extend(chunk);
            }
        }
    }
    assert!(echo == payload, "the 1 MiB echo differs from what was sent");
    socket.end(&mut node, None).await.unwrap();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    log.watch(&mut node, QUIET).await;
    assert_eq!(
        runs(log.names_of(&[req.id(), socket.id()])),
        [
            "socket",
            "finish",
            "upgrade",
            "close",
            "socket data",
            "socket end",
            "socket close false"
        ]
    );
}

/// Without an `'upgrade'` listener the client destroys the socket and the
/// request closes, with no `response` and no `error`.
///
/// Node v20: ["socket","finish","close"].
#[tokio::test]
async fn client_upgrade_without_listener_closes_without_response() {
    let port = switching_server();
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let req = node.request(None, upgrade_request(port)).await.unwrap();
    req.end(&mut node, None).await.unwrap();
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::ClientRequestClose { .. }))
        .await;
    log.watch(&mut node, QUIET).await;
    assert_eq!(log.names_of(&[req.id()]), ["socket", "finish", "close"]);
}

/// Hands a server-side event to `proxy`, as [`NodeHttp::serve`] would; the
/// client's events stay with the test.
async fn hand(proxy: &mut Proxy<Echo>, node: &mut NodeHttp, event: Event) {
    let result = match event {
        Event::Request {
            request, response, ..
        } => proxy.request(node, request, response).await,
        Event::Data { request, chunk } => proxy.data(node, request, chunk).await,
        Event::End { request } => proxy.end(node, request).await,
        Event::RequestClose { request } => proxy.request_close(node, request).await,
        Event::Connect {
            server: Some(_),
            message,
            socket,
            head,
        } => proxy.connect(node, message, socket, head).await,
        Event::SocketConnect { socket } => proxy.socket_connect(node, socket).await,
        Event::SocketData { socket, chunk } => proxy.socket_data(node, socket, chunk).await,
        Event::SocketEnd { socket } => proxy.socket_end(node, socket).await,
        Event::SocketDrain { socket } => proxy.socket_drain(node, socket).await,
        Event::SocketClose { socket, had_error } => {
            proxy.socket_close(node, socket, had_error).await
        }
        _ => Ok(()),
    };
    result.unwrap();
}

/// The full chain inside one component: our client's `CONNECT` to our
/// proxy, `'connect'` with the 200 response and the tunnel's socket, a `GET`
/// through it to our echo server, and the echo's response back.
///
/// Node v20 (client side): ["socket","finish","connect 200 head=\"\"",
/// "close","socket end \"HTTP/1.1 200 OK\" \"target /x\"","socket close
/// false"]. Without a `'connect'` listener: ["socket","finish","close"].
#[tokio::test]
async fn client_connect_through_our_proxy_to_our_server() {
    let (mut node, _proxy_server, proxy_port) = listening(Proxy::<Echo>::listeners()).await;
    let target = add_server(&mut node, ServerListeners::default()).await;
    let target_port = target.address(&mut node).await.unwrap().unwrap().port;
    let mut proxy = Proxy::new(Echo::default());
    let connect = || RequestOptions {
        port: Some(proxy_port),
        host: Some("127.0.0.1".into()),
        method: Some("CONNECT".into()),
        path: Some(format!("127.0.0.1:{target_port}")),
        ..RequestOptions::default()
    };

    for listen in [true, false] {
        let req = node.request(None, connect()).await.unwrap();
        req.listen_connect(&mut node, listen).await.unwrap();
        req.end(&mut node, None).await.unwrap();
        let mut log = Log::default();
        let mut tunnel: Option<Socket> = None;
        let mut got = Vec::new();
        loop {
            let event = log.next(&mut node).await;
            match &event {
                Event::Connect {
                    server: None,
                    message,
                    socket,
                    head,
                } => {
                    assert_eq!(message.status_code(&mut node).await.unwrap(), Some(200));
                    assert!(head.is_empty());
                    let get = format!(
                        "GET /x HTTP/1.1\r\nHost: 127.0.0.1:{target_port}\r\nConnection: close\r\n\r\n"
                    );
                    socket.write(&mut node, get.as_bytes()).await.unwrap();
                    tunnel = Some(*socket);
                }
                Event::SocketData { socket, chunk } if Some(*socket) == tunnel.map(|s| s.id()) => {
                    got.extend_from_slice(chunk)
                }
                Event::SocketClose { socket, .. } if Some(*socket) == tunnel.map(|s| s.id()) => {
                    break
                }
                Event::ClientRequestClose { request } if *request == req.id() && !listen => break,
                _ => hand(&mut proxy, &mut node, event.clone()).await,
            }
        }
        // Let the proxy's ends close.
        let deadline = Instant::now() + STEP;
        while proxy.open_ends() > 0 && Instant::now() < deadline {
            for event in node.poll(Duration::from_millis(50)).await.unwrap() {
                log.seen.push(event.clone());
                hand(&mut proxy, &mut node, event).await;
            }
        }
        assert_eq!(proxy.open_ends(), 0, "tunnel ends left open");
        let ids: Vec<u32> = [Some(req.id()), tunnel.map(|s| s.id())]
            .into_iter()
            .flatten()
            .collect();
        if listen {
            let text = without_date(&got);
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            assert!(text.contains(r#""url":"/x""#), "{text}");
            assert_eq!(
                runs(log.names_of(&ids)),
                [
                    "socket",
                    "finish",
                    "connect",
                    "close",
                    "socket data",
                    "socket end",
                    "socket close false"
                ]
            );
        } else {
            assert_eq!(log.names_of(&ids), ["socket", "finish", "close"]);
        }
    }
}

// --- 4. net.connect -------------------------------------------------------------------------

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A refused connect: `error` with `ECONNREFUSED`, then `close(true)`.
///
/// Node v20: ["error ECONNREFUSED","close true"].
#[tokio::test]
async fn net_connect_refused() {
    let port = closed_port();
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(
        log.names_of(&[socket.id()]),
        ["socket error", "socket close true"]
    );
    let code = log.seen.iter().find_map(|e| match e {
        Event::SocketError { error, .. } => Some(error.code.as_str()),
        _ => None,
    });
    assert_eq!(code, Some("ECONNREFUSED"));
}

/// To a server that writes `hello` and ends: `connect`, `data`, `end`, and
/// (the socket ending itself, as `net.connect`'s does) `close(false)`.
///
/// Node v20: ["connect","data \"hello\"","end","finish","close false"].
#[tokio::test]
async fn net_connect_connect_data_end_close() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(STEP)).unwrap();
        conn.write_all(b"hello").unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        // Our FIN follows theirs.
        read_to_close(&mut conn)
    });
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(server.join().unwrap(), b"");
    assert_eq!(
        runs(log.names_of(&[socket.id()])),
        [
            "socket connect",
            "socket data",
            "socket end",
            "socket close false"
        ]
    );
    let data: Vec<u8> = log
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::SocketData { chunk, .. } => Some(chunk.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(data, b"hello");
}

/// Backpressure: a 4 MiB write to a peer that does not read yet returns
/// `false`; `drain` follows once the peer reads, and every byte arrives.
///
/// Node v20: ["write 16383 -> true","write 1 -> true","write 4 MiB ->
/// false","drain","close false"] (what a small write returns depends on
/// how much the kernel took at once; a 4 MiB one is above the mark).
#[tokio::test]
async fn net_connect_write_false_then_drain() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(STEP)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        read_to_close(&mut conn)
    });
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::SocketConnect { .. }))
        .await;
    let payload = pattern(4 * MIB);
    assert!(!socket.write(&mut node, &payload).await.unwrap());
    log.until(&mut node, |e| matches!(e, Event::SocketDrain { .. }))
        .await;
    socket.end(&mut node, None).await.unwrap();
    let received = reader.join().unwrap();
    assert!(
        received == payload,
        "{} of {} bytes arrived",
        received.len(),
        payload.len()
    );
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(
        log.names_of(&[socket.id()]),
        [
            "socket connect",
            "socket drain",
            "socket end",
            "socket close false"
        ]
    );
}

/// `pause()` stops `data` while the peer keeps sending; `resume()` brings
/// the rest, every byte in order.
#[tokio::test]
async fn net_connect_pause_stops_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let go_on = Arc::new(AtomicBool::new(false));
    let writer = std::thread::spawn({
        let go_on = go_on.clone();
        move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.write_all(b"first").unwrap();
            let deadline = Instant::now() + STEP;
            while !go_on.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            conn.write_all(b"second").unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
        }
    });
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
    let mut log = Log::default();
    log.until(&mut node, |e| matches!(e, Event::SocketData { .. }))
        .await;
    socket.pause(&mut node).await.unwrap();
    go_on.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let before = log.seen.len();
    log.watch(&mut node, QUIET).await;
    let while_paused: Vec<_> = log.seen[before..].iter().map(name).collect();
    assert!(
        while_paused.is_empty(),
        "events while paused: {while_paused:?}"
    );
    socket.resume(&mut node).await.unwrap();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    let data: Vec<u8> = log
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::SocketData { chunk, .. } => Some(chunk.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(data, b"firstsecond");
    assert_eq!(
        runs(log.names_of(&[socket.id()])),
        [
            "socket connect",
            "socket data",
            "socket end",
            "socket close false"
        ]
    );
}

/// `setTimeout`: `timeout` after the idle time, and the socket stays open
/// and usable; it closes only when ended.
///
/// Node v20: ["connect","timeout destroyed=false writable=true","200 ms
/// later destroyed=false","end","close false"].
#[tokio::test]
async fn net_connect_timeout_keeps_the_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(STEP)).unwrap();
        let got = read_to_close(&mut conn);
        conn.shutdown(Shutdown::Write).unwrap();
        got
    });
    let mut node = NodeHttp::new(Config::default()).await.unwrap();
    let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
    socket.set_timeout(&mut node, 100).await.unwrap();
    let mut log = Log::default();
    let started = Instant::now();
    log.until(&mut node, |e| matches!(e, Event::SocketTimeout { .. }))
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert!(!socket.destroyed(&mut node).await.unwrap());
    assert!(socket.writable(&mut node).await.unwrap());
    socket.set_timeout(&mut node, 0).await.unwrap();
    log.watch(&mut node, Duration::from_millis(200)).await;
    assert!(!socket.destroyed(&mut node).await.unwrap());
    socket.end(&mut node, Some(b"still here")).await.unwrap();
    log.until(&mut node, |e| matches!(e, Event::SocketClose { .. }))
        .await;
    assert_eq!(peer.join().unwrap(), b"still here");
    assert_eq!(
        log.names_of(&[socket.id()]),
        [
            "socket connect",
            "socket timeout",
            "socket end",
            "socket close false"
        ]
    );
}
