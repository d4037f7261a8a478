//! The component's one event loop, over `wasi:io/poll`.
//!
//! Servers, their connections and every live request live here; the client
//! half (Agents, their sockets, client requests) is in [`client`]. Each turn
//! polls only what can make progress (listeners, connections that want to
//! read, connections whose writes are blocked) plus one clock pollable for the
//! earliest deadline, handles every ready pollable, and turns the sans-IO
//! connections' events into Node's events for the embedder. A connection never
//! waits on another: reads drain until empty, writes go as far as the host's
//! grant allows and resume when their pollable is ready.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;

use nodehttp_core::date::http_date;
use nodehttp_core::error::NodeError;
use nodehttp_core::incoming::IncomingHeaders;
use nodehttp_core::outgoing::OutgoingMessage;
use nodehttp_core::parse::RequestHead;
use nodehttp_core::server::{ConnEvent, Listeners, RequestId, ServerConfig, ServerConnection};
use rustc_hash::FxHashMap as HashMap;
use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::io::poll::{poll, Pollable};

use crate::api::incoming::Incoming;
use crate::bindings::exports::nodehttp::http::events::{
    ClientErrorEvent, Error, Event, IncomingMessage, RequestEvent, ServerResponse, Socket,
    SocketInfo, UpgradeEvent,
};
use crate::bindings::exports::nodehttp::http::types::SocketAddress;
use crate::net::{self, Listener, ReadOutcome, Stream};
use nodehttp_core::socket::RawSocket;

pub mod client;
mod dial;
pub mod socket;

/// The most one connection reads per turn. A fast sender's bytes otherwise
/// pile up in guest memory faster than `pause()` can act (it takes effect
/// between turns); the rest stays in the kernel, and the socket, still ready,
/// is read again next turn.
const READ_BUDGET: usize = 256 * 1024;

thread_local! {
    static RUNTIME: RefCell<Runtime> = RefCell::new(Runtime::default());
}

/// Run `f` on the component's runtime. Calls never nest: the embedder calls
/// one export at a time and nothing here calls back out to it.
pub fn with<R>(f: impl FnOnce(&mut Runtime) -> R) -> R {
    RUNTIME.with(|rt| f(&mut rt.borrow_mut()))
}

/// Milliseconds on the monotonic clock: the time the sans-IO core sees.
pub fn now_ms() -> u64 {
    monotonic_clock::now() / 1_000_000
}

/// A request and its response, shared by the embedder's two resources and the runtime.
pub struct Message {
    pub id: u32,
    pub conn: u32,
    pub seq: RequestId,
    pub head: RequestHead,
    pub socket: Rc<SocketInfo>,
    pub trailers: RefCell<IncomingHeaders>,
    pub complete: Cell<bool>,
    pub aborted: Cell<bool>,
    /// `finish` was emitted: `response.writableFinished`.
    pub finished: Cell<bool>,
    /// The response, once its `close` handed it back from the connection.
    pub retired: RefCell<Option<Box<OutgoingMessage>>>,
}

struct ServerSlot {
    config: ServerConfig,
    listener: Option<Listener>,
    address: Option<SocketAddr>,
    closing: bool,
    connections: usize,
    /// No handle refers to it any more: forgotten once closed and without
    /// connections.
    released: bool,
}

struct Conn {
    server: u32,
    stream: Stream,
    http: ServerConnection,
    info: Rc<SocketInfo>,
    /// A write is waiting for the output stream's grant.
    write_blocked: bool,
    /// This connection's requests until their response's `close`, in
    /// arrival order (a handful at most: pipelining depth).
    messages: Vec<Rc<Message>>,
}

/// The `Date` header value, formatted once per second as Node caches it.
#[derive(Default)]
struct DateCache {
    secs: u64,
    value: String,
}

impl DateCache {
    /// Refresh once per loop turn, not per response: a clock read is a host call.
    fn refresh(&mut self) {
        let secs = wall_clock::now().seconds;
        if secs != self.secs || self.value.is_empty() {
            self.secs = secs;
            self.value = http_date(secs);
        }
    }
}

/// What a ready pollable belongs to.
#[derive(Clone, Copy)]
enum Source {
    Accept(u32),
    Read(u32),
    Write(u32),
    /// A client socket's dial (lookup, connect), read, write.
    Dial(client::SocketKey),
    /// A raw socket's dial, read, write.
    SocketDial(u32),
    SocketRead(u32),
    SocketWrite(u32),
    ClientRead(client::SocketKey),
    ClientWrite(client::SocketKey),
    Clock,
}

#[derive(Default)]
pub struct Runtime {
    servers: HashMap<u32, ServerSlot>,
    conns: HashMap<u32, Conn>,
    events: VecDeque<Event>,
    /// Events Node emits on a later tick: delivered by the next `poll`.
    next_tick: Vec<Event>,
    next_id: u32,
    date: DateCache,
    clients: client::Clients,
    sockets: socket::Sockets,
}

impl Runtime {
    pub(crate) fn next_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// `http.createServer(options)`: a server that does not listen yet.
    pub fn create_server(&mut self, config: ServerConfig) -> u32 {
        let id = self.next_id();
        self.servers.insert(
            id,
            ServerSlot {
                config,
                listener: None,
                address: None,
                closing: false,
                connections: 0,
                released: false,
            },
        );
        id
    }

    /// `server.listen(port, host)`.
    pub fn listen(&mut self, server: u32, port: u16, host: &str) -> Result<(), Error> {
        let ip = resolve_host(host)?;
        let slot = self
            .servers
            .get_mut(&server)
            .ok_or_else(|| error("ERR_SERVER_NOT_RUNNING", "Server is not running."))?;
        if slot.listener.is_some() {
            return Err(error(
                "ERR_SERVER_ALREADY_LISTEN",
                "Listen method has been called more than once without closing.",
            ));
        }
        let listener = Listener::bind(SocketAddr::new(ip, port)).map_err(|e| {
            let code = net::error_code(e);
            let what = net::describe(code);
            error(code, format!("listen {code}: {what} {host}:{port}"))
        })?;
        slot.address = listener.local_address();
        slot.listener = Some(listener);
        slot.closing = false;
        self.events.push_back(Event::Listening(server));
        Ok(())
    }

    pub fn address(&self, server: u32) -> Option<SocketAddress> {
        let slot = self.servers.get(&server)?;
        slot.listener.as_ref()?;
        slot.address.map(socket_address)
    }

    pub fn listening(&self, server: u32) -> bool {
        self.servers
            .get(&server)
            .is_some_and(|s| s.listener.is_some())
    }

    /// `server.close()`: stop accepting; `close` once no connection is left.
    pub fn close_server(&mut self, server: u32) {
        let Some(slot) = self.servers.get_mut(&server) else {
            return;
        };
        if slot.listener.take().is_none() && slot.closing {
            return;
        }
        slot.closing = true;
        if slot.connections == 0 {
            self.events.push_back(Event::ServerClose(server));
            self.forget_server_if_done(server);
            return;
        }
        // Connections waiting for a request are closed now (Node's
        // `closeIdleConnections()` in `close()`); busy ones finish first.
        let idle: Vec<u32> = self
            .conns
            .iter()
            .filter(|(_, c)| c.server == server && c.http.is_idle())
            .map(|(&id, _)| id)
            .collect();
        for id in idle {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.http.destroy();
            }
            self.after_io(id);
        }
    }

    /// The embedder dropped its `server` handle. A listening server goes on
    /// serving (as a Node server the event loop holds on to); a closed one is
    /// forgotten once its last connection closed.
    pub fn release_server(&mut self, server: u32) {
        if let Some(slot) = self.servers.get_mut(&server) {
            slot.released = true;
        }
        self.forget_server_if_done(server);
    }

    fn forget_server_if_done(&mut self, server: u32) {
        let done = self
            .servers
            .get(&server)
            .is_some_and(|s| s.released && s.listener.is_none() && s.connections == 0);
        if done {
            self.servers.remove(&server);
        }
    }

    /// Run a `ServerResponse` call on the message's response, then move what
    /// it produced toward the socket at once (no waiting for the next poll:
    /// the head and first body bytes leave in one write). After its `close`,
    /// the call runs on the retired response (reads answer, writes fail as
    /// Node's do after `end`).
    pub fn with_response<R>(
        &mut self,
        msg: &Message,
        f: impl FnOnce(&mut OutgoingMessage, &str) -> R,
    ) -> Option<R> {
        let live = self
            .conns
            .get_mut(&msg.conn)
            .and_then(|conn| conn.http.response(msg.seq));
        let Some(res) = live else {
            let mut retired = msg.retired.borrow_mut();
            return retired.as_mut().map(|res| f(res, &self.date.value));
        };
        let out = f(res, &self.date.value);
        if let Some(conn) = self.conns.get_mut(&msg.conn) {
            conn.http.pump();
        }
        self.after_io(msg.conn);
        Some(out)
    }

    /// Run a call on the connection a message belongs to (by the message's
    /// place on it), then do the I/O it asks for.
    pub fn with_connection<R>(
        &mut self,
        msg: &Message,
        f: impl FnOnce(&mut ServerConnection, RequestId) -> R,
    ) -> Option<R> {
        let conn = self.conns.get_mut(&msg.conn)?;
        let out = f(&mut conn.http, msg.seq);
        conn.http.pump();
        self.after_io(msg.conn);
        Some(out)
    }

    /// `server.getConnections()`.
    pub fn connections(&self, server: u32) -> u32 {
        self.servers
            .get(&server)
            .map_or(0, |s| u32::try_from(s.connections).unwrap_or(u32::MAX))
    }

    pub fn server_config(&self, server: u32) -> Option<&ServerConfig> {
        self.servers.get(&server).map(|s| &s.config)
    }

    /// Change a server's settings for the connections it accepts from now on.
    pub fn update_server_config(&mut self, server: u32, f: impl FnOnce(&mut ServerConfig)) {
        if let Some(slot) = self.servers.get_mut(&server) {
            f(&mut slot.config);
        }
    }

    /// `server.on(...)` / `removeListener`: listeners count at once, on
    /// live connections too.
    pub fn set_listeners(&mut self, server: u32, listeners: Listeners) {
        self.update_server_config(server, |c| c.listeners = listeners);
        for conn in self.conns.values_mut().filter(|c| c.server == server) {
            conn.http.set_listeners(listeners);
        }
    }

    /// `response.write()`'s boolean, once the write went through.
    pub fn write_ok(&mut self, msg: &Message) -> bool {
        self.conns
            .get_mut(&msg.conn)
            .is_some_and(|c| c.http.note_write(msg.seq))
    }

    pub fn set_paused(&mut self, msg: &Message, paused: bool) {
        if let Some(conn) = self.conns.get_mut(&msg.conn) {
            conn.http.set_paused(paused);
            self.after_io(msg.conn);
        }
    }

    /// `message.destroy()`: destroy the message's connection.
    pub fn destroy(&mut self, msg: &Message) {
        if let Some(conn) = self.conns.get_mut(&msg.conn) {
            conn.http.destroy();
            self.after_io(msg.conn);
        }
    }

    /// The embedder's pull: run until events are ready or `timeout_ms` passes.
    pub fn poll(&mut self, timeout_ms: u32) -> Vec<Event> {
        self.date.refresh();
        self.events.extend(self.next_tick.drain(..));
        self.client_tick();
        let deadline = now_ms() + u64::from(timeout_ms);
        loop {
            if !self.events.is_empty() {
                return self.events.drain(..).collect();
            }
            let now = now_ms();
            if now >= deadline {
                return Vec::new();
            }
            self.turn(now, deadline);
            self.date.refresh();
        }
    }

    /// One turn of the loop: wait for whatever is ready first, handle all of it.
    fn turn(&mut self, now: u64, deadline: u64) {
        let mut wake = deadline;
        let mut sources = Vec::new();
        let mut pollables: Vec<&Pollable> = Vec::new();
        for (&id, slot) in &self.servers {
            if let Some(l) = &slot.listener {
                sources.push(Source::Accept(id));
                pollables.push(&l.ready);
            }
        }
        for (&id, conn) in &self.conns {
            if conn.http.wants_read() {
                sources.push(Source::Read(id));
                pollables.push(&conn.stream.readable);
            }
            if conn.write_blocked {
                sources.push(Source::Write(id));
                pollables.push(&conn.stream.writable);
            }
            if let Some(t) = conn.http.poll_timeout() {
                wake = wake.min(t);
            }
        }
        self.client_pollables(&mut sources, &mut pollables, &mut wake);
        self.socket_pollables(&mut sources, &mut pollables, &mut wake);
        let clock = monotonic_clock::subscribe_instant(wake.max(now) * 1_000_000);
        sources.push(Source::Clock);
        pollables.push(&clock);
        let ready: Vec<Source> = poll(&pollables)
            .into_iter()
            .filter_map(|i| sources.get(i as usize).copied())
            .collect();
        drop(pollables);
        drop(clock);

        for source in ready {
            match source {
                Source::Accept(server) => self.accept(server),
                Source::Read(conn) => self.read(conn),
                Source::Write(conn) => self.after_io(conn),
                Source::Dial(key) => self.dial_ready(key),
                Source::SocketDial(id) => self.socket_dial_ready(id),
                Source::SocketRead(id) => self.socket_read(id),
                Source::SocketWrite(id) => self.socket_write_ready(id),
                Source::ClientRead(key) => self.client_read(key),
                Source::ClientWrite(key) => self.client_write(key),
                Source::Clock => self.expire_timers(),
            }
        }
    }

    fn accept(&mut self, server: u32) {
        loop {
            let Some(slot) = self.servers.get(&server) else {
                return;
            };
            let Some(listener) = &slot.listener else {
                return;
            };
            let config = slot.config;
            let stream = match listener.accept() {
                Ok(Some(stream)) => stream,
                Ok(None) => return,
                Err(e) => {
                    let code = net::error_code(e);
                    self.events.push_back(Event::ServerError((
                        server,
                        error(code, format!("accept {code}: {}", net::describe(code))),
                    )));
                    return;
                }
            };
            let id = self.next_id();
            let info = socket_info(id, Some(&stream));
            if let Some(slot) = self.servers.get_mut(&server) {
                slot.connections += 1;
            }
            self.events
                .push_back(Event::Connection((server, info.clone())));
            self.conns.insert(
                id,
                Conn {
                    server,
                    stream,
                    http: ServerConnection::new(config, now_ms()),
                    info: Rc::new(info),
                    write_blocked: false,
                    messages: Vec::new(),
                },
            );
        }
    }

    /// A connection's socket is readable.
    fn read(&mut self, id: u32) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.http.set_date(&self.date.value);
        read_into(&mut conn.stream, &mut conn.http);
        self.after_io(id);
    }

    fn expire_timers(&mut self) {
        let now = now_ms();
        let due: Vec<u32> = self
            .conns
            .iter()
            .filter(|(_, c)| c.http.poll_timeout().is_some_and(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.http.handle_timeout(now);
            }
            self.after_io(id);
        }
        self.client_timers(now);
        self.socket_timers(now);
    }

    /// After anything happened on a connection: write what is owed, deliver
    /// its events, and close it when it is done.
    fn after_io(&mut self, id: u32) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.write_blocked = flush(&conn.stream, &mut conn.http);
        let (server, info) = (conn.server, conn.info.clone());
        let events: Vec<ConnEvent> = std::iter::from_fn(|| conn.http.poll_event()).collect();
        for event in events {
            self.deliver(id, server, &info, event);
        }
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if conn.http.is_done() {
            self.close_conn(id);
        }
    }

    fn close_conn(&mut self, id: u32) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        if !conn.http.is_destroyed() {
            conn.stream.shutdown();
        }
        let server = conn.server;
        drop(conn);
        self.connection_closed(server);
    }

    /// One of `server`'s connections closed (an HTTP one, or a socket it
    /// handed over): `close` once the server stopped and none is left, as
    /// Node's `net.Server` counts its sockets.
    pub(crate) fn connection_closed(&mut self, server: u32) {
        if let Some(slot) = self.servers.get_mut(&server) {
            slot.connections = slot.connections.saturating_sub(1);
            if slot.closing && slot.connections == 0 {
                self.events.push_back(Event::ServerClose(server));
                self.forget_server_if_done(server);
            }
        }
    }

    /// Hand the connection's socket to the embedder (after `upgrade`,
    /// `connect`, or `clientError` with a listener) in the event `announce`
    /// makes: what earlier responses still owe goes out first, then the
    /// socket is raw. Responses still being written on it are abandoned.
    /// Nothing happens (and no event) if the connection is already gone.
    fn hand_over(
        &mut self,
        conn_id: u32,
        server: u32,
        info: &Rc<SocketInfo>,
        announce: impl FnOnce(Socket) -> Event,
    ) {
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        let owed = conn.http.take_pending_output();
        // Responses not yet ended can no longer reach the socket, which is
        // the embedder's now: they close (Node's would keep writing into
        // the raw stream), so their handles are released.
        conn.http.destroy();
        let events: Vec<ConnEvent> = std::iter::from_fn(|| conn.http.poll_event()).collect();
        for event in events {
            self.deliver(conn_id, server, info, event);
        }
        let Some(conn) = self.conns.remove(&conn_id) else {
            return;
        };
        // The socket is the server's (`allowHalfOpen: true`).
        let mut raw = RawSocket::new(now_ms(), true);
        raw.write(&owed);
        self.adopt_stream(conn.stream, raw, Some(server), announce);
    }

    /// Turn one connection event into the embedder's event.
    fn deliver(&mut self, conn_id: u32, server: u32, info: &Rc<SocketInfo>, event: ConnEvent) {
        let (seq, event) = match event {
            ConnEvent::Request { id, head } => {
                let event = self.new_request(conn_id, server, info, id, *head);
                self.events.push_back(Event::Request(event));
                return;
            }
            ConnEvent::CheckContinue { id, head } => {
                let event = self.new_request(conn_id, server, info, id, *head);
                self.events.push_back(Event::CheckContinue(event));
                return;
            }
            ConnEvent::CheckExpectation { id, head } => {
                let event = self.new_request(conn_id, server, info, id, *head);
                self.events.push_back(Event::CheckExpectation(event));
                return;
            }
            ConnEvent::Upgrade { id, head, rest } | ConnEvent::Connect { id, head, rest } => {
                let connect = head.method == "CONNECT";
                let message = self.new_message(conn_id, info, id, *head);
                self.hand_over(conn_id, server, info, |socket| {
                    let event = UpgradeEvent {
                        server: Some(server),
                        id: message.id,
                        message: IncomingMessage::new(Incoming::Request(message)),
                        socket,
                        head: rest,
                    };
                    upgrade_or_connect(connect, event)
                });
                return;
            }
            ConnEvent::ClientError {
                error: e,
                bytes_parsed,
                raw_packet,
                handed_over,
            } => {
                let announce = |socket| {
                    Event::ClientError(ClientErrorEvent {
                        server,
                        connection: conn_id,
                        error: error(e.code, e.message),
                        bytes_parsed: bytes_parsed.unwrap_or(0) as u64,
                        raw_packet: raw_packet.unwrap_or_default(),
                        socket,
                    })
                };
                if handed_over {
                    self.hand_over(conn_id, server, info, |socket| announce(Some(socket)));
                } else {
                    self.events.push_back(announce(None));
                }
                return;
            }
            ConnEvent::Timeout {
                request,
                response,
                server: to_server,
            } => {
                let id_of = |seq: Option<RequestId>, conns: &HashMap<u32, Conn>| {
                    let conn = conns.get(&conn_id)?;
                    let seq = seq?;
                    conn.messages.iter().find(|m| m.seq == seq).map(|m| m.id)
                };
                // Node's `socketOnTimeout`: the request, the response, the server.
                if let Some(m) = id_of(request, &self.conns) {
                    self.events.push_back(Event::Timeout(m));
                }
                if let Some(m) = id_of(response, &self.conns) {
                    self.events.push_back(Event::ResponseTimeout(m));
                }
                if to_server {
                    self.events
                        .push_back(Event::ServerTimeout((server, conn_id)));
                }
                return;
            }
            ConnEvent::Data { id, .. }
            | ConnEvent::End { id, .. }
            | ConnEvent::Aborted { id }
            | ConnEvent::RequestClose { id }
            | ConnEvent::Finish { id }
            | ConnEvent::Drain { id }
            | ConnEvent::WriteCallback { id, .. }
            | ConnEvent::ResponseClose { id, .. } => (id, event),
        };
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        let Some(at) = conn.messages.iter().position(|m| m.seq == seq) else {
            return;
        };
        let msg = if matches!(event, ConnEvent::ResponseClose { .. }) {
            // The last event of a request/response pair: the runtime forgets it.
            conn.messages.remove(at)
        } else {
            conn.messages[at].clone()
        };
        let m = msg.id;
        let out = match event {
            ConnEvent::Data { chunk, .. } => Event::Data((m, chunk)),
            ConnEvent::End { trailers, .. } => {
                msg.complete.set(true);
                *msg.trailers.borrow_mut() = trailers;
                Event::End(m)
            }
            ConnEvent::Aborted { .. } => {
                msg.aborted.set(true);
                Event::Aborted(m)
            }
            ConnEvent::RequestClose { .. } => {
                // Node emits `req 'close'` ticks after `'end'`/`'aborted'`
                // (autoDestroy): after whatever the listeners of those events
                // did. Here that is the next `poll`, after the embedder's
                // calls in between (a response ended there closes first).
                self.next_tick.push(Event::RequestClose(m));
                return;
            }
            ConnEvent::Finish { .. } => {
                msg.finished.set(true);
                Event::Finish(m)
            }
            ConnEvent::Drain { .. } => Event::Drain(m),
            ConnEvent::WriteCallback { ticket, .. } => Event::WriteCallback((m, ticket)),
            ConnEvent::ResponseClose { response, .. } => {
                // The resources keep the retired response.
                *msg.retired.borrow_mut() = Some(response);
                Event::ResponseClose(m)
            }
            _ => return,
        };
        self.events.push_back(out);
    }

    /// A `request` event's arguments: the message both resources share.
    fn new_request(
        &mut self,
        conn_id: u32,
        server: u32,
        info: &Rc<SocketInfo>,
        seq: RequestId,
        head: RequestHead,
    ) -> RequestEvent {
        let message = self.new_message(conn_id, info, seq, head);
        RequestEvent {
            server,
            id: message.id,
            request: IncomingMessage::new(Incoming::Request(message.clone())),
            response: ServerResponse::new(crate::api::server::Response(message)),
        }
    }

    /// A request's message, registered on its connection under a new id.
    fn new_message(
        &mut self,
        conn_id: u32,
        info: &Rc<SocketInfo>,
        seq: RequestId,
        head: RequestHead,
    ) -> Rc<Message> {
        let id = self.next_id();
        let message = Rc::new(Message {
            id,
            conn: conn_id,
            seq,
            head,
            socket: info.clone(),
            trailers: RefCell::new(IncomingHeaders::new()),
            complete: Cell::new(false),
            aborted: Cell::new(false),
            finished: Cell::new(false),
            retired: RefCell::new(None),
        });
        if let Some(conn) = self.conns.get_mut(&conn_id) {
            conn.messages.push(message.clone());
        }
        message
    }
}

/// `'connect'` for the answer to (or of) a `CONNECT`, else `'upgrade'`.
pub(crate) fn upgrade_or_connect(connect: bool, event: UpgradeEvent) -> Event {
    if connect {
        Event::Connect(event)
    } else {
        Event::Upgrade(event)
    }
}

/// The sans-IO side of a socket (a server connection, a client request, a
/// raw socket): what it owes the socket, and what it takes from it. Its I/O
/// is [`flush`] and [`read_into`], the same for all three.
pub(crate) trait Duplex {
    fn output(&self) -> &[u8];
    fn consume_output(&mut self, n: usize, now: u64);
    /// The socket failed while writing.
    fn write_failed(&mut self);
    fn wants_read(&self) -> bool;
    fn handle_input(&mut self, data: &[u8], now: u64);
    /// The peer sent FIN.
    fn handle_eof(&mut self);
    /// The socket failed while reading (a reset).
    fn read_failed(&mut self);
}

impl Duplex for ServerConnection {
    fn output(&self) -> &[u8] {
        ServerConnection::output(self)
    }
    fn consume_output(&mut self, n: usize, now: u64) {
        ServerConnection::consume_output(self, n, now)
    }
    fn write_failed(&mut self) {
        self.handle_reset()
    }
    fn wants_read(&self) -> bool {
        ServerConnection::wants_read(self)
    }
    fn handle_input(&mut self, data: &[u8], now: u64) {
        ServerConnection::handle_input(self, data, now)
    }
    fn handle_eof(&mut self) {
        ServerConnection::handle_eof(self)
    }
    fn read_failed(&mut self) {
        self.handle_reset()
    }
}

/// Feed `side` what the stream holds, up to [`READ_BUDGET`] and while it
/// wants to read: a read that stops short of empty leaves the socket ready,
/// so it is read again next turn.
pub(crate) fn read_into(stream: &mut Stream, side: &mut impl Duplex) {
    let mut budget = READ_BUDGET;
    while side.wants_read() && budget > 0 {
        match stream.read() {
            ReadOutcome::Data(bytes) if bytes.is_empty() => break,
            ReadOutcome::Data(bytes) => {
                budget = budget.saturating_sub(bytes.len());
                side.handle_input(&bytes, now_ms());
            }
            ReadOutcome::End => {
                side.handle_eof();
                break;
            }
            ReadOutcome::Failed => {
                side.read_failed();
                break;
            }
        }
    }
}

/// Write what `owed` owes, as far as the host's grant goes. Returns true when
/// the grant ran out first: wait for the stream's `writable` pollable.
pub(crate) fn flush(stream: &Stream, owed: &mut impl Duplex) -> bool {
    loop {
        let out = owed.output();
        if out.is_empty() {
            return false;
        }
        match stream.write(out) {
            Ok(0) => return true,
            Ok(n) => owed.consume_output(n, now_ms()),
            Err(()) => {
                owed.write_failed();
                return false;
            }
        }
    }
}

/// The address `server.listen` binds: an IP literal, or `localhost`.
fn resolve_host(host: &str) -> Result<IpAddr, Error> {
    match host {
        // Node binds every interface when no host is given.
        "" => Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        "localhost" => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        _ => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| error("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}"))),
    }
}

/// What the embedder sees of a connection: its addresses, or the unspecified
/// address for any the host does not report (or before there is a stream).
pub(crate) fn socket_info(id: u32, stream: Option<&Stream>) -> SocketInfo {
    let unspecified = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
    let (remote, local) = stream.map_or((None, None), Stream::addresses);
    SocketInfo {
        id,
        remote: socket_address(remote.unwrap_or(unspecified)),
        local: socket_address(local.unwrap_or(unspecified)),
    }
}

/// Node's error for a reset socket (`read ECONNRESET`).
pub(crate) fn reset_error() -> NodeError {
    NodeError::new("ECONNRESET", "read ECONNRESET")
}

/// The error an embedder destroyed a request or socket with
/// (`destroy(error)`). The sans-IO core carries Node's own codes only, so it
/// gets a placeholder with an empty code, and the embedder's error is
/// delivered in the placeholder's place.
#[derive(Default)]
pub(crate) struct GivenError(Option<Error>);

impl GivenError {
    /// Keep `given`; returns what to hand the core's `destroy`.
    pub(crate) fn keep(&mut self, given: Option<Error>) -> Option<NodeError> {
        let placeholder = given
            .as_ref()
            .map(|e| NodeError::new("", e.message.clone()));
        self.0 = given;
        placeholder
    }

    /// The error to deliver for the core's `e`.
    pub(crate) fn deliver(&mut self, e: NodeError) -> Error {
        match self.0.take() {
            Some(given) if e.code.is_empty() => given,
            _ => error(e.code, e.message),
        }
    }
}

pub(crate) fn socket_address(addr: SocketAddr) -> SocketAddress {
    SocketAddress {
        address: addr.ip().to_string(),
        family: if addr.is_ipv4() { "IPv4" } else { "IPv6" }.to_string(),
        port: addr.port(),
    }
}

pub fn error(code: &str, message: impl Into<String>) -> Error {
    Error {
        code: code.to_string(),
        message: message.into(),
    }
}
