//! The client half through the Rust API over real loopback TCP: Node's
//! documented event orders, the Agent's pool (reuse, limits, queueing,
//! scheduling, removal of dead sockets, `destroy`), a randomized stress run,
//! and the request side (backpressure, 1xx, timeouts, name lookup, Node's
//! synchronous throws).
//!
//! The servers are either [`Counting`], a plain `std::net` HTTP/1.1 server
//! on its own threads that counts connections and records request heads, or
//! a `NodeHttp` server in the same component instance as the client.
//!
//! Every expected sequence was observed from Node v20 doing the same against
//! an equivalent server and is quoted above its test as "Node v20: [...]".
//! Where v12's documentation fixes an order that v20 changed (abort after
//! the response), the test follows v12 and says so. Every wait is bounded.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nodehttp_host::{
    Agent, AgentChoice, AgentOptions, ClientRequest, Config, Error, Event, NodeHttp,
    RequestOptions, Scheduling, ServerOptions, ServerResponse,
};

/// The longest any one wait may take before the test fails.
const STEP: Duration = Duration::from_secs(5);

/// How long one `poll` waits for events.
const TICK: Duration = Duration::from_millis(20);

// --- a counting server --------------------------------------------------------------------------

/// What a [`Counting`] server saw. Shared by two servers to count across
/// origins.
#[derive(Default)]
struct Stats {
    /// Connections accepted.
    accepted: AtomicUsize,
    /// Connections accepted and not yet closed by the client (as the
    /// server's read sees it).
    open: AtomicUsize,
    /// The most connections open at once.
    max_open: AtomicUsize,
    /// Every request head (without its final CRLF CRLF), with the port the
    /// request came from (the client's local port).
    heads: Mutex<Vec<(u16, String)>>,
}

/// A minimal HTTP/1.1 server on `127.0.0.1:0`: one thread per connection,
/// bodiless requests, keep-alive unless the request or the path says
/// otherwise. What it answers depends on the path (see [`respond`]).
struct Counting {
    port: u16,
    stats: Arc<Stats>,
}

impl Counting {
    fn start() -> Self {
        Self::sharing(Arc::default())
    }

    /// A server that counts into `stats`.
    fn sharing(stats: Arc<Stats>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::clone(&stats);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
                shared.max_open.fetch_max(open, Ordering::SeqCst);
                let stats = Arc::clone(&shared);
                std::thread::spawn(move || {
                    serve_connection(conn, &stats);
                    stats.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Counting { port, stats }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn accepted(&self) -> usize {
        self.stats.accepted.load(Ordering::SeqCst)
    }

    fn open(&self) -> usize {
        self.stats.open.load(Ordering::SeqCst)
    }

    fn max_open(&self) -> usize {
        self.stats.max_open.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<(u16, String)> {
        self.stats.heads.lock().unwrap().clone()
    }
}

/// Reads request heads and answers each until the client closes (or 30 s
/// of silence).
fn serve_connection(mut conn: TcpStream, stats: &Stats) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let peer = conn.peer_addr().map(|a| a.port()).unwrap_or(0);
    let mut pending = Vec::new();
    let mut buf = [0; 4096];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..end + 4);
            stats.heads.lock().unwrap().push((peer, head.clone()));
            if !respond(&mut conn, &head) {
                return;
            }
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

/// Answers one request by its path; false when the connection is to close.
///
/// | path | answer |
/// |---|---|
/// | `/delay/MS` | `200 hello` after MS ms |
/// | `/close` | `200 hello` with `Connection: close`, then closes |
/// | `/close-later` | `200 hello` (keep-alive), closes 100 ms later |
/// | `/partial` | a head promising 10 bytes, then 4 of them; waits for the client to close |
/// | `/info` | `100 Continue`, `103 Early Hints`, then `200 hello` |
/// | `/headers` | `200` with headers `A`..`D` and an empty body |
/// | other | `200 hello` |
///
/// A request with `Connection: close` is answered, then the connection closes.
fn respond(conn: &mut TcpStream, head: &str) -> bool {
    let path = head.split(' ').nth(1).unwrap_or("/");
    let client_closes = head.to_ascii_lowercase().contains("\r\nconnection: close");
    let keep_open = match path {
        "/close" => {
            let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello";
            let _ = conn.write_all(close);
            false
        }
        "/close-later" => {
            let _ = conn.write_all(HELLO);
            std::thread::sleep(Duration::from_millis(100));
            false
        }
        "/partial" => {
            let partial = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhell";
            if conn.write_all(partial).is_ok() {
                // Whatever the request said: the client must end it.
                let _ = conn.read(&mut [0; 1]);
            }
            false
        }
        "/headers" => {
            let head =
                b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 0\r\n\r\n";
            conn.write_all(head).is_ok()
        }
        "/info" => {
            let interim = b"HTTP/1.1 100 Continue\r\n\r\n\
                            HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
            conn.write_all(interim).is_ok() && conn.write_all(HELLO).is_ok()
        }
        _ => {
            let delay = path.strip_prefix("/delay/").and_then(|ms| ms.parse().ok());
            std::thread::sleep(Duration::from_millis(delay.unwrap_or(0)));
            conn.write_all(HELLO).is_ok()
        }
    };
    keep_open && !client_closes
}

/// A port on which nothing listens (bound, then released).
fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// --- the client's side --------------------------------------------------------------------------

/// Node's name of a client event of request `id`, as the logs quoted in this
/// file write it (`res …` for the response's events); `None` for any other
/// event.
fn client_name(event: &Event, id: u32) -> Option<String> {
    let (of, name) = match event {
        Event::Socket { request } => (*request, "socket".to_string()),
        Event::ClientRequestFinish { request } => (*request, "finish".to_string()),
        Event::ClientRequestDrain { request } => (*request, "drain".to_string()),
        Event::Continue { request } => (*request, "continue".to_string()),
        Event::Information { request, info } => {
            (*request, format!("information {}", info.status_code))
        }
        Event::Response { request, .. } => (*request, "response".to_string()),
        Event::Abort { request } => (*request, "abort".to_string()),
        Event::Timeout { request } => (*request, "timeout".to_string()),
        Event::ClientRequestError { request, error } => {
            (*request, format!("error {}: {}", error.code, error.message))
        }
        Event::ClientRequestClose { request } => (*request, "close".to_string()),
        Event::ClientResponseData { response, .. } => (*response, "res data".to_string()),
        Event::ClientResponseEnd { response } => (*response, "res end".to_string()),
        Event::ClientResponseAborted { response } => (*response, "res aborted".to_string()),
        Event::ClientResponseClose { response } => (*response, "res close".to_string()),
        _ => return None,
    };
    (of == id).then_some(name)
}

/// What a request's `response` event found: `req.socket.localPort` and
/// `req.reusedSocket`.
#[derive(Clone, Copy, Debug)]
struct Assigned {
    local_port: u16,
    reused: bool,
}

/// One component instance and everything it emitted. Its polls answer the
/// requests of any server in the instance with `res.end('hello')` once
/// their body ended, and note each client request's socket at `response`.
struct Run {
    node: NodeHttp,
    seen: Vec<Event>,
    /// The client requests made through this run, until their `close`.
    requests: HashMap<u32, ClientRequest>,
    /// Per client request, what its `response` event found.
    assigned: HashMap<u32, Assigned>,
    /// The server's responses whose request has not ended yet.
    answers: HashMap<u32, ServerResponse>,
    /// The server's requests per connection, by the client's port.
    served: HashMap<u16, usize>,
    /// The bytes of the server's `data` events.
    server_body: usize,
}

impl Run {
    async fn new() -> Self {
        Run {
            node: NodeHttp::new(Config::default()).await.unwrap(),
            seen: Vec::new(),
            requests: HashMap::new(),
            assigned: HashMap::new(),
            answers: HashMap::new(),
            served: HashMap::new(),
            server_body: 0,
        }
    }

    /// A server in this instance, listening on `127.0.0.1:0`; its port.
    async fn listen(&mut self) -> u16 {
        let node = &mut self.node;
        let server = node.create_server(ServerOptions::default()).await.unwrap();
        server.listen(node, 0, "127.0.0.1").await.unwrap();
        server.address(node).await.unwrap().unwrap().port
    }

    /// `http.request(url, options)`.
    async fn request(&mut self, url: &str, options: RequestOptions) -> ClientRequest {
        let req = self.node.request(Some(url), options).await.unwrap();
        self.requests.insert(req.id(), req);
        req
    }

    /// `http.get(url, {agent})`.
    async fn get(&mut self, url: &str, agent: AgentChoice) -> ClientRequest {
        let options = RequestOptions {
            agent,
            ..RequestOptions::default()
        };
        let req = self.node.get(Some(url), options).await.unwrap();
        self.requests.insert(req.id(), req);
        req
    }

    /// One poll; returns the index in `seen` of its first event.
    async fn step(&mut self) -> usize {
        let first = self.seen.len();
        let events = self.node.poll(TICK).await.unwrap();
        for event in events {
            self.hear(&event).await;
            self.seen.push(event);
        }
        first
    }

    async fn hear(&mut self, event: &Event) {
        let node = &mut self.node;
        match event {
            Event::Request {
                request, response, ..
            } => {
                let port = request.socket(node).await.unwrap().remote.port;
                *self.served.entry(port).or_default() += 1;
                self.answers.insert(response.id(), *response);
            }
            Event::Data { chunk, .. } => self.server_body += chunk.len(),
            Event::End { request } => {
                if let Some(response) = self.answers.remove(request) {
                    response.end(node, Some(b"hello")).await.unwrap();
                }
            }
            Event::Response { request, .. } => {
                if let Some(req) = self.requests.get(request) {
                    let socket = req.socket(node).await.unwrap();
                    let local_port = socket.map(|s| s.local.port).unwrap_or(0);
                    let reused = req.reused_socket(node).await.unwrap();
                    let found = Assigned { local_port, reused };
                    self.assigned.insert(*request, found);
                }
            }
            Event::ClientRequestClose { request } => {
                self.requests.remove(request);
            }
            _ => {}
        }
    }

    /// Polls until an event `matches` arrives that was not seen before the
    /// call, or fails after [`STEP`].
    async fn until(&mut self, what: &str, matches: impl Fn(&Event) -> bool) {
        let from = self.seen.len();
        self.wait(what, |run| run.seen[from..].iter().any(&matches))
            .await;
    }

    /// Polls until `done` holds, or fails after [`STEP`].
    async fn wait(&mut self, what: &str, done: impl Fn(&Run) -> bool) {
        let deadline = Instant::now() + STEP;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.step().await;
        }
    }

    /// Polls for `window`.
    async fn watch(&mut self, window: Duration) {
        let deadline = Instant::now() + window;
        while Instant::now() < deadline {
            self.step().await;
        }
    }

    /// The names of request `id`'s events, in order; consecutive `res data`
    /// as one (how a body is split is not part of the contract).
    fn names(&self, id: u32) -> Vec<String> {
        let mut names: Vec<String> = self
            .seen
            .iter()
            .filter_map(|e| client_name(e, id))
            .collect();
        names.dedup_by(|a, b| a == "res data" && b == "res data");
        names
    }

    /// Whether every event of request `id` came: its `close`, and its
    /// response's `close` if it had a response.
    fn finished(&self, id: u32) -> bool {
        let names = self.names(id);
        let has = |name: &str| names.iter().any(|n| n == name);
        has("close") && (!has("response") || has("res close"))
    }

    /// Polls until every request in `ids` finished.
    async fn finish(&mut self, ids: &[u32]) {
        self.wait("every request to finish", |run| {
            ids.iter().all(|&id| run.finished(id))
        })
        .await;
    }

    /// `http.get(url, {agent})`, then polls until it finished; what its
    /// `response` found.
    async fn fetch(&mut self, url: &str, agent: AgentChoice) -> Assigned {
        let id = self.get(url, agent).await.id();
        self.finish(&[id]).await;
        assert_eq!(self.names(id), SUCCESS, "request {id} to {url}");
        self.assigned[&id]
    }

    /// `agent.sockets`, `agent.freeSockets` and `agent.requests`.
    async fn views(&mut self, agent: Agent) -> [Vec<(String, u32)>; 3] {
        let node = &mut self.node;
        [
            agent.sockets(node).await.unwrap(),
            agent.free_sockets(node).await.unwrap(),
            agent.requests(node).await.unwrap(),
        ]
    }

    /// Polls until `agent.freeSockets` has `count` sockets in all.
    async fn until_free(&mut self, agent: Agent, count: u32) {
        let deadline = Instant::now() + STEP;
        loop {
            let free = agent.free_sockets(&mut self.node).await.unwrap();
            if total(&free) == count {
                return;
            }
            assert!(Instant::now() < deadline, "freeSockets stayed {free:?}");
            self.step().await;
        }
    }

    /// Polls until `check` holds of a server's counters (they change on
    /// other threads).
    async fn until_server(&mut self, what: &str, check: impl Fn() -> bool) {
        self.wait(what, |_| check()).await;
    }
}

/// The sockets in an agent view, over all origins.
fn total(view: &[(String, u32)]) -> u32 {
    view.iter().map(|(_, count)| count).sum()
}

/// A keep-alive agent with `options` otherwise.
async fn keep_alive_agent(run: &mut Run, options: AgentOptions) -> Agent {
    let options = AgentOptions {
        keep_alive: true,
        ..options
    };
    Agent::new(&mut run.node, options).await.unwrap()
}

/// The documented order of a successful request, with `finish`.
const SUCCESS: [&str; 7] = [
    "socket",
    "finish",
    "response",
    "res data",
    "res end",
    "close",
    "res close",
];

// --- the four documented orders -----------------------------------------------------------------

/// Node v20, `http.get` answered `hello`, from a plain TCP server and from
/// an `http` server in the same process (here: the same instance): ["socket","finish","response",
/// "res data","res end","close","res close"].
#[tokio::test]
async fn order_of_a_successful_request() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let own = run.listen().await;
    for url in [counting.url("/"), format!("http://127.0.0.1:{own}/")] {
        let req = run.get(&url, AgentChoice::Global).await;
        run.finish(&[req.id()]).await;
        assert_eq!(run.names(req.id()), SUCCESS, "{url}");
    }
}

/// Node v20, `http.get` to a port nobody listens on: ["socket",
/// "error(ECONNREFUSED connect ECONNREFUSED 127.0.0.1:PORT)","close"].
#[tokio::test]
async fn order_of_a_connection_error() {
    let port = refused_port();
    let mut run = Run::new().await;
    let req = run
        .get(&format!("http://127.0.0.1:{port}/"), AgentChoice::Global)
        .await;
    run.finish(&[req.id()]).await;
    let error = format!("error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:{port}");
    assert_eq!(run.names(req.id()), ["socket", error.as_str(), "close"]);
}

/// Node v20, `req.abort()` in the `socket` listener: ["socket","abort",
/// "error(ECONNRESET socket hang up)","close"]; no `finish`.
#[tokio::test]
async fn order_of_an_abort_before_connect() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let req = run.get(&counting.url("/"), AgentChoice::Global).await;
    let id = req.id();
    run.until("socket", |e| {
        client_name(e, id).as_deref() == Some("socket")
    })
    .await;
    req.abort(&mut run.node).await.unwrap();
    run.finish(&[id]).await;
    run.watch(Duration::from_millis(200)).await;
    assert_eq!(
        run.names(id),
        [
            "socket",
            "abort",
            "error ECONNRESET: socket hang up",
            "close"
        ]
    );
}

/// v12's documented order for `req.abort()` after the response came:
/// `'abort'`, `'aborted'` on res, `'close'`, `'end'` on res, `'close'` on
/// res. (Node v20 differs: ["abort","res aborted","close","res error",
/// "res close"].) The response here promises 10 bytes and sends 4.
#[tokio::test]
async fn order_of_an_abort_after_the_response() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let req = run
        .get(&counting.url("/partial"), AgentChoice::Global)
        .await;
    let id = req.id();
    run.until("res data", |e| {
        client_name(e, id).as_deref() == Some("res data")
    })
    .await;
    req.abort(&mut run.node).await.unwrap();
    run.finish(&[id]).await;
    run.watch(Duration::from_millis(200)).await;
    assert_eq!(
        run.names(id),
        [
            "socket",
            "finish",
            "response",
            "res data",
            "abort",
            "res aborted",
            "close",
            "res end",
            "res close"
        ]
    );
}

// --- the Agent's pool ---------------------------------------------------------------------------

/// Node v20, `new Agent({keepAlive: true})`, five sequential gets: one
/// connection; `reusedSocket` false, then true; `Connection: keep-alive`.
#[tokio::test]
async fn keep_alive_agent_reuses_one_connection() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let agent = keep_alive_agent(&mut run, AgentOptions::default()).await;
    let mut reused = Vec::new();
    for _ in 0..5 {
        let assigned = run
            .fetch(&counting.url("/"), AgentChoice::Agent(agent))
            .await;
        reused.push(assigned.reused);
    }
    assert_eq!(reused, [false, true, true, true, true]);
    assert_eq!(counting.accepted(), 1);
    let heads = counting.heads();
    assert_eq!(heads.len(), 5);
    for (_, head) in &heads {
        assert!(head.contains("\r\nConnection: keep-alive"), "{head}");
    }
    let name = format!("127.0.0.1:{}:", counting.port);
    let [sockets, free, requests] = run.views(agent).await;
    assert_eq!((sockets, requests), (vec![], vec![]));
    assert_eq!(free, [(name, 1)]);
}

/// Node v20, `{keepAlive: true, maxSockets: 2}`, ten gets at once to a
/// server answering after 50 ms: `agent.requests` holds 8 at once, two
/// connections serve all ten.
#[tokio::test]
async fn max_sockets_queues_the_rest() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let options = AgentOptions {
        max_sockets: Some(2),
        ..AgentOptions::default()
    };
    let agent = keep_alive_agent(&mut run, options).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        let req = run
            .get(&counting.url("/delay/50"), AgentChoice::Agent(agent))
            .await;
        ids.push(req.id());
    }
    let name = agent
        .get_name(&mut run.node, "127.0.0.1", counting.port, None, None)
        .await
        .unwrap();
    assert_eq!(name, format!("127.0.0.1:{}:", counting.port));
    let [sockets, free, requests] = run.views(agent).await;
    assert_eq!(sockets, [(name.clone(), 2)]);
    assert!(free.is_empty(), "{free:?}");
    assert_eq!(requests, [(name.clone(), 8)]);
    run.finish(&ids).await;
    for &id in &ids {
        assert_eq!(run.names(id), SUCCESS, "request {id}");
    }
    assert_eq!(counting.accepted(), 2);
    assert_eq!(counting.max_open(), 2);
    let [sockets, free, requests] = run.views(agent).await;
    assert_eq!((sockets, requests), (vec![], vec![]));
    assert_eq!(free, [(name, 2)]);
}

/// Node v20, `{keepAlive: true, maxTotalSockets: 2}`, three gets to each of
/// two origins, alternating: `agent.requests` {A: 2, B: 2}; two
/// connections in all (one per origin), all six answered, one free socket
/// per origin after.
#[tokio::test]
async fn max_total_sockets_across_origins() {
    let stats = Arc::new(Stats::default());
    let (a, b) = (
        Counting::sharing(Arc::clone(&stats)),
        Counting::sharing(Arc::clone(&stats)),
    );
    let mut run = Run::new().await;
    let options = AgentOptions {
        max_total_sockets: Some(2),
        ..AgentOptions::default()
    };
    let agent = keep_alive_agent(&mut run, options).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        for server in [&a, &b] {
            let url = server.url("/delay/50");
            ids.push(run.get(&url, AgentChoice::Agent(agent)).await.id());
        }
    }
    let (name_a, name_b) = (
        format!("127.0.0.1:{}:", a.port),
        format!("127.0.0.1:{}:", b.port),
    );
    let [sockets, _, mut requests] = run.views(agent).await;
    requests.sort();
    let mut expected = vec![(name_a.clone(), 2), (name_b.clone(), 2)];
    expected.sort();
    assert_eq!(requests, expected);
    assert_eq!(total(&sockets), 2);
    run.finish(&ids).await;
    for &id in &ids {
        assert_eq!(run.names(id), SUCCESS, "request {id}");
    }
    // The two servers count into one `stats`.
    assert_eq!((a.accepted(), a.max_open()), (2, 2));
    let [_, mut free, _] = run.views(agent).await;
    free.sort();
    let mut expected = vec![(name_a, 1), (name_b, 1)];
    expected.sort();
    assert_eq!(free, expected);
}

/// Node v20, `{keepAlive: true, maxFreeSockets: 1}`, three gets at once:
/// one socket kept free, the other two closed.
#[tokio::test]
async fn max_free_sockets_closes_the_surplus() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let options = AgentOptions {
        max_free_sockets: Some(1),
        ..AgentOptions::default()
    };
    let agent = keep_alive_agent(&mut run, options).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let req = run.get(&counting.url("/"), AgentChoice::Agent(agent)).await;
        ids.push(req.id());
    }
    run.finish(&ids).await;
    assert_eq!(counting.accepted(), 3);
    run.until_free(agent, 1).await;
    run.until_server("two connections closed", || counting.open() == 1)
        .await;
    let [sockets, free, _] = run.views(agent).await;
    assert!(sockets.is_empty(), "{sockets:?}");
    assert_eq!(free, [(format!("127.0.0.1:{}:", counting.port), 1)]);
}

/// Node v20, a keep-alive agent: two gets at once (answered after 0 and
/// 200 ms), then a third. `fifo` reuses the socket freed first, `lifo` the
/// one freed last.
#[tokio::test]
async fn scheduling_picks_the_free_socket() {
    for (scheduling, freed_last) in [(Scheduling::Fifo, false), (Scheduling::Lifo, true)] {
        let counting = Counting::start();
        let mut run = Run::new().await;
        let options = AgentOptions {
            scheduling: Some(scheduling),
            ..AgentOptions::default()
        };
        let agent = keep_alive_agent(&mut run, options).await;
        let fast = run.get(&counting.url("/"), AgentChoice::Agent(agent)).await;
        let slow = run
            .get(&counting.url("/delay/200"), AgentChoice::Agent(agent))
            .await;
        run.finish(&[fast.id(), slow.id()]).await;
        let third = run
            .fetch(&counting.url("/"), AgentChoice::Agent(agent))
            .await;
        let expected = if freed_last { slow } else { fast };
        assert!(third.reused, "{scheduling:?}");
        assert_eq!(
            third.local_port,
            run.assigned[&expected.id()].local_port,
            "{scheduling:?}"
        );
        assert_eq!(counting.accepted(), 2);
    }
}

/// A free socket the server closes leaves `agent.freeSockets`; the next
/// request gets a new connection (never the dead one) and succeeds.
#[tokio::test]
async fn a_free_socket_closed_by_the_server_is_dropped() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let agent = keep_alive_agent(&mut run, AgentOptions::default()).await;
    run.fetch(&counting.url("/close-later"), AgentChoice::Agent(agent))
        .await;
    run.until_free(agent, 0).await;
    let next = run
        .fetch(&counting.url("/"), AgentChoice::Agent(agent))
        .await;
    assert!(!next.reused);
    assert_eq!(counting.accepted(), 2);
}

/// A response with `Connection: close`: the socket is not pooled, the next
/// request connects anew.
#[tokio::test]
async fn connection_close_is_not_reused() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let agent = keep_alive_agent(&mut run, AgentOptions::default()).await;
    run.fetch(&counting.url("/close"), AgentChoice::Agent(agent))
        .await;
    let [sockets, free, _] = run.views(agent).await;
    assert_eq!((total(&sockets), total(&free)), (0, 0));
    let next = run
        .fetch(&counting.url("/"), AgentChoice::Agent(agent))
        .await;
    assert!(!next.reused);
    assert_eq!(counting.accepted(), 2);
}

/// A response not read to its end (the request aborted): its socket is
/// destroyed, not pooled; the server sees it close.
#[tokio::test]
async fn an_unfinished_response_is_not_reused() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let agent = keep_alive_agent(&mut run, AgentOptions::default()).await;
    let req = run
        .get(&counting.url("/partial"), AgentChoice::Agent(agent))
        .await;
    let id = req.id();
    run.until(
        "response",
        |e| matches!(e, Event::Response { request, .. } if *request == id),
    )
    .await;
    req.abort(&mut run.node).await.unwrap();
    run.finish(&[id]).await;
    run.until_server("the aborted connection closed", || counting.open() == 0)
        .await;
    let [sockets, free, _] = run.views(agent).await;
    assert_eq!((total(&sockets), total(&free)), (0, 0));
    let next = run
        .fetch(&counting.url("/"), AgentChoice::Agent(agent))
        .await;
    assert!(!next.reused);
    assert_eq!(counting.accepted(), 2);
}

/// `agent.destroy()` closes every socket, free or in use: the views empty,
/// the server sees its connections closed.
#[tokio::test]
async fn destroy_closes_every_socket() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let agent = keep_alive_agent(&mut run, AgentOptions::default()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let req = run.get(&counting.url("/"), AgentChoice::Agent(agent)).await;
        ids.push(req.id());
    }
    run.finish(&ids).await;
    run.until_free(agent, 3).await;
    assert_eq!(counting.open(), 3);
    agent.destroy(&mut run.node).await.unwrap();
    let [sockets, free, requests] = run.views(agent).await;
    assert_eq!((sockets, free, requests), (vec![], vec![], vec![]));
    run.until_server("every connection closed", || counting.open() == 0)
        .await;
}

/// Node v20, `agent: false`: a one-time Agent with default options, so each
/// request connects anew and sends `Connection: close`.
#[tokio::test]
async fn agent_false_is_a_one_time_agent() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    for _ in 0..2 {
        let assigned = run.fetch(&counting.url("/"), AgentChoice::None).await;
        assert!(!assigned.reused);
    }
    assert_eq!(counting.accepted(), 2);
    for (_, head) in counting.heads() {
        assert!(head.contains("\r\nConnection: close"), "{head}");
    }
}

/// v12's `http.globalAgent` is not keep-alive: every request connects anew
/// and sends `Connection: close`; nothing stays pooled.
#[tokio::test]
async fn global_agent_is_not_keep_alive() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    for _ in 0..3 {
        let assigned = run.fetch(&counting.url("/"), AgentChoice::Global).await;
        assert!(!assigned.reused);
    }
    assert_eq!(counting.accepted(), 3);
    for (_, head) in counting.heads() {
        assert!(head.contains("\r\nConnection: close"), "{head}");
    }
    let global = run.node.global_agent().await.unwrap();
    let [sockets, free, requests] = run.views(global).await;
    assert_eq!((sockets, free, requests), (vec![], vec![], vec![]));
}

// --- stress -------------------------------------------------------------------------------------

/// xorshift64: a repeatable sequence for the stress test.
struct Rng(u64);

impl Rng {
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 100 < percent
    }
}

/// 200 gets through `{keepAlive: true, maxSockets: 8}` to a server in the
/// same instance, at most 24 outstanding, some aborted at random (before a
/// socket, at `socket`, at `response`). Every request closes exactly once
/// (its response too, if it had one); at most 8 sockets are in use at any
/// poll; a socket serves one request at a time (no request's `response`
/// arrives on a socket whose previous request is still running); the
/// server saw at least as many requests on each connection as the client
/// got responses on it; after `destroy` the views are empty.
#[tokio::test]
async fn stress_with_random_aborts() {
    const TOTAL: usize = 200;
    const OUTSTANDING: usize = 24;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut run = Run::new().await;
    let port = run.listen().await;
    let url = format!("http://127.0.0.1:{port}/");
    let options = AgentOptions {
        max_sockets: Some(8),
        ..AgentOptions::default()
    };
    let agent = keep_alive_agent(&mut run, options).await;

    let mut made: Vec<ClientRequest> = Vec::new();
    let mut running: HashSet<u32> = HashSet::new();
    // Which request holds each socket (by local port), from its `response`
    // until its end, abort or error.
    let mut holder: HashMap<u16, u32> = HashMap::new();
    let mut responses_per_port: HashMap<u16, usize> = HashMap::new();
    let mut aborted = 0;
    let mut most_queued = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while made.len() < TOTAL || !running.is_empty() {
        assert!(
            Instant::now() < deadline,
            "stress: {} of {TOTAL} made, {} still running",
            made.len(),
            running.len()
        );
        while made.len() < TOTAL && running.len() < OUTSTANDING {
            let req = run.get(&url, AgentChoice::Agent(agent)).await;
            if rng.chance(5) {
                req.abort(&mut run.node).await.unwrap();
                aborted += 1;
            }
            running.insert(req.id());
            made.push(req);
        }
        let first = run.step().await;
        for at in first..run.seen.len() {
            let event = run.seen[at].clone();
            match event {
                Event::Socket { request } if rng.chance(10) => {
                    if let Some(req) = run.requests.get(&request).copied() {
                        req.abort(&mut run.node).await.unwrap();
                        aborted += 1;
                    }
                }
                Event::Response { request, .. } => {
                    let port = run.assigned[&request].local_port;
                    if let Some(other) = holder.insert(port, request) {
                        panic!("socket :{port} handed to request {request} while {other} ran");
                    }
                    *responses_per_port.entry(port).or_default() += 1;
                    if rng.chance(10) {
                        if let Some(req) = run.requests.get(&request).copied() {
                            req.abort(&mut run.node).await.unwrap();
                            aborted += 1;
                        }
                    }
                }
                Event::ClientResponseEnd { response: id }
                | Event::ClientResponseAborted { response: id }
                | Event::Abort { request: id }
                | Event::ClientRequestError { request: id, .. }
                | Event::ClientRequestClose { request: id } => {
                    holder.retain(|_, holder| *holder != id);
                }
                _ => {}
            }
        }
        running.retain(|&id| !run.finished(id));
        let [sockets, _, requests] = run.views(agent).await;
        assert!(total(&sockets) <= 8, "{sockets:?} in use");
        most_queued = most_queued.max(total(&requests));
    }
    assert!(most_queued > 0, "no request ever waited for a socket");
    println!(
        "stress: {TOTAL} requests, {aborted} aborted, {} connections, at most {most_queued} queued",
        run.served.len()
    );

    for req in &made {
        let names = run.names(req.id());
        let count = |name: &str| names.iter().filter(|n| *n == name).count();
        assert_eq!(count("close"), 1, "request {}: {names:?}", req.id());
        assert_eq!(
            count("res close"),
            count("response"),
            "request {}: {names:?}",
            req.id()
        );
        assert!(count("response") <= 1, "request {}: {names:?}", req.id());
    }
    for (port, responses) in &responses_per_port {
        let served = run.served.get(port).copied().unwrap_or(0);
        assert!(
            *responses <= served,
            "port {port}: {responses} responses, {served} requests served"
        );
    }
    // Aborted sockets leave the views once closed; the rest are free.
    let deadline = Instant::now() + STEP;
    while total(&agent.sockets(&mut run.node).await.unwrap()) > 0 {
        assert!(Instant::now() < deadline, "sockets still in use");
        run.step().await;
    }
    let [_, free, requests] = run.views(agent).await;
    assert!(total(&free) <= 8, "{free:?}");
    assert!(requests.is_empty(), "{requests:?}");
    agent.destroy(&mut run.node).await.unwrap();
    let [sockets, free, requests] = run.views(agent).await;
    assert_eq!((sockets, free, requests), (vec![], vec![], vec![]));
}

// --- the request side ---------------------------------------------------------------------------

/// Node v20: `req.write(Buffer.alloc(20000))` returns false (over the
/// 16 KiB high-water mark); `'drain'` follows; the server gets all 20000
/// bytes.
#[tokio::test]
async fn write_above_the_high_water_mark_then_drain() {
    let mut run = Run::new().await;
    let port = run.listen().await;
    let options = RequestOptions {
        method: Some("POST".into()),
        ..RequestOptions::default()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let req = run.request(&url, options).await;
    let id = req.id();
    assert!(!req.write(&mut run.node, &[b'x'; 20_000]).await.unwrap());
    run.until("drain", |e| client_name(e, id).as_deref() == Some("drain"))
        .await;
    assert!(req.write(&mut run.node, b"y").await.unwrap());
    req.end(&mut run.node, None).await.unwrap();
    run.finish(&[id]).await;
    assert_eq!(run.server_body, 20_001);
    let names = run.names(id);
    assert_eq!(names[..2], ["socket", "drain"]);
    assert_eq!(names[2..], SUCCESS[1..]);
}

/// Node v20, a server sending `100 Continue` and `103 Early Hints` before
/// its response: ["socket","finish","continue","information 100",
/// "information 103","response","res data","res end","close","res close"]
/// (v12 too emits `'information'` for every 1xx but 101, 100 included,
/// after `'continue'`).
#[tokio::test]
async fn interim_responses() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let req = run.get(&counting.url("/info"), AgentChoice::Global).await;
    let id = req.id();
    run.finish(&[id]).await;
    let info = run.seen.iter().find_map(|e| match e {
        Event::Information { request, info } if *request == id && info.status_code == 103 => {
            Some(info.clone())
        }
        _ => None,
    });
    if let Some(info) = info {
        assert_eq!(info.status_message, "Early Hints");
        assert_eq!(info.http_version, "1.1");
        assert_eq!(info.raw_headers, ["Link", "</a>"]);
    }
    assert_eq!(
        run.names(id),
        [
            "socket",
            "finish",
            "continue",
            "information 100",
            "information 103",
            "response",
            "res data",
            "res end",
            "close",
            "res close"
        ]
    );
}

/// Node v20 (`tests/node` style raw server answering `A`..`D`):
/// `req.maxHeadersCount` unset keeps Node's parser limit (1000 lines, what our
/// getter reports); with 2, `res.headers` is `{"a":"1","b":"2"}` while
/// `res.rawHeaders` keeps all 10 entries.
#[tokio::test]
async fn max_headers_count_limits_the_response_headers() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let req = run
        .request(&counting.url("/headers"), RequestOptions::default())
        .await;
    let node = &mut run.node;
    assert_eq!(req.max_headers_count(node).await.unwrap(), 1000);
    req.set_max_headers_count(node, 2).await.unwrap();
    assert_eq!(req.max_headers_count(node).await.unwrap(), 2);
    req.end(node, None).await.unwrap();
    let id = req.id();
    run.until(
        "response",
        |e| matches!(e, Event::Response { request, .. } if *request == id),
    )
    .await;
    let response = run
        .seen
        .iter()
        .find_map(|e| match e {
            Event::Response { response, .. } => Some(*response),
            _ => None,
        })
        .unwrap();
    let node = &mut run.node;
    let names: Vec<String> = response
        .headers(node)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(response.raw_headers(node).await.unwrap().len(), 10);
}

/// Node v20, `req.setTimeout(100)` and a response after 400 ms:
/// ["socket","finish","timeout","response","res data","res end","close",
/// "res close"]: the timeout aborts nothing.
#[tokio::test]
async fn set_timeout_only_emits_timeout() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let req = run
        .get(&counting.url("/delay/400"), AgentChoice::Global)
        .await;
    req.set_timeout(&mut run.node, 100).await.unwrap();
    run.finish(&[req.id()]).await;
    assert_eq!(
        run.names(req.id()),
        [
            "socket",
            "finish",
            "timeout",
            "response",
            "res data",
            "res end",
            "close",
            "res close"
        ]
    );
}

/// `localhost` resolves (through `wasi:sockets/ip-name-lookup`) to the
/// server on 127.0.0.1, as Node's `dns.lookup` puts IPv4 first.
#[tokio::test]
async fn localhost_resolves() {
    let counting = Counting::start();
    let mut run = Run::new().await;
    let url = format!("http://localhost:{}/", counting.port);
    let assigned = run.fetch(&url, AgentChoice::Global).await;
    assert!(!assigned.reused);
    assert_eq!(counting.accepted(), 1);
    let (_, head) = &counting.heads()[0];
    assert!(
        head.contains(&format!("\r\nHost: localhost:{}", counting.port)),
        "{head}"
    );
}

/// Node v20, a name that does not resolve: ["socket","error(ENOTFOUND
/// getaddrinfo ENOTFOUND does-not-exist.invalid)","close"]. A machine
/// without a resolver says `EAI_AGAIN` instead; both are accepted.
#[tokio::test]
async fn an_unknown_name_is_enotfound() {
    let mut run = Run::new().await;
    let req = run
        .get("http://does-not-exist.invalid/", AgentChoice::Global)
        .await;
    let id = req.id();
    run.finish(&[id]).await;
    let names = run.names(id);
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!((names[0].as_str(), names[2].as_str()), ("socket", "close"));
    let code = ["ENOTFOUND", "EAI_AGAIN"].into_iter().find(|code| {
        names[1] == format!("error {code}: getaddrinfo {code} does-not-exist.invalid")
    });
    println!("does-not-exist.invalid: {}", names[1]);
    assert!(code.is_some(), "{names:?}");
}

/// Node v20's synchronous throws of `http.request`, code and message.
#[tokio::test]
async fn node_throws_for_bad_options() {
    let mut run = Run::new().await;
    let cases = [
        (
            Some("https://127.0.0.1/"),
            RequestOptions::default(),
            "ERR_INVALID_PROTOCOL",
            "Protocol \"https:\" not supported. Expected \"http:\"",
        ),
        (
            None,
            RequestOptions {
                host: Some("127.0.0.1".into()),
                path: Some("/a b".into()),
                ..RequestOptions::default()
            },
            "ERR_UNESCAPED_CHARACTERS",
            "Request path contains unescaped characters",
        ),
        (
            None,
            RequestOptions {
                host: Some("127.0.0.1".into()),
                method: Some("G T".into()),
                ..RequestOptions::default()
            },
            "ERR_INVALID_HTTP_TOKEN",
            "Method must be a valid HTTP token [\"G T\"]",
        ),
    ];
    for (url, options, code, message) in cases {
        match run.node.request(url, options).await {
            Err(Error::Node(err)) => {
                assert_eq!((err.code.as_str(), err.message.as_str()), (code, message))
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}
