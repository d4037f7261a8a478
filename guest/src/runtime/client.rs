//! The client half of the runtime: Agents, their sockets, and the requests on
//! them, driven by the same loop as the servers.
//!
//! Each request is a sans-IO [`ClientRequest`]; each Agent a sans-IO
//! [`Agent`] pool that decides which socket a request gets. This module does
//! the I/O they ask for: name lookup, connect, reads and writes, closing; and
//! turns their events into Node's.

use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::rc::Rc;

use nodehttp_core::agent::{self, Agent, AgentOptions, Assignment, Freed, SocketId};
use nodehttp_core::client::{ClientEvent, ClientRequest, SocketFate};
use nodehttp_core::error::NodeError;
use nodehttp_core::incoming::IncomingHeaders;
use nodehttp_core::parse::ResponseHead;
use nodehttp_core::request_options::RequestTarget;

use super::dial::{Dial, Progress, Target};
use super::{
    flush, now_ms, read_into, reset_error, socket_info, upgrade_or_connect, Duplex, GivenError,
    Runtime, Source,
};
use crate::api::incoming::Incoming;
use crate::api::merged;
use crate::bindings::exports::nodehttp::http::events::{
    Error, Event, IncomingMessage, InformationEvent, ResponseEvent, SocketInfo, UpgradeEvent,
};
use crate::net::{ReadOutcome, Stream};
use nodehttp_core::socket::RawSocket;

/// A socket of one Agent.
pub(super) type SocketKey = (u32, SocketId);

/// A client's response, shared by its `incoming-message` handle and the runtime.
pub struct ClientResponse {
    pub id: u32,
    pub head: ResponseHead,
    pub socket: Rc<SocketInfo>,
    pub trailers: RefCell<IncomingHeaders>,
    pub complete: Cell<bool>,
    pub aborted: Cell<bool>,
}

/// What a `client-request` handle reads without the runtime.
pub struct RequestInfo {
    pub id: u32,
    pub method: String,
    pub path: String,
    pub host: String,
    pub protocol: String,
    pub reused_socket: Cell<bool>,
    pub max_headers_count: Cell<u32>,
    pub socket: RefCell<Option<SocketInfo>>,
}

struct AgentSlot {
    pool: Agent,
    /// `agent: false`: forgotten once its last socket is gone.
    one_time: bool,
    /// No handle refers to it any more.
    released: bool,
}

struct RequestSlot {
    http: ClientRequest,
    agent: u32,
    name: String,
    target: RequestTarget,
    socket: Option<SocketId>,
    info: Rc<RequestInfo>,
    response: Option<Rc<ClientResponse>>,
    /// The embedder dropped its handle: forget the request once it closes.
    released: bool,
    /// The error the embedder destroyed the request with.
    destroy_error: GivenError,
    /// `setSocketKeepAlive(enable, initialDelay)`, applied once connected.
    keep_alive: Option<(bool, u32)>,
}

impl RequestSlot {
    /// The response `head` starts: shared with its `incoming-message` handle.
    fn respond(&mut self, head: ResponseHead) -> Rc<ClientResponse> {
        let socket = self.info.socket.borrow().clone();
        let response = Rc::new(ClientResponse {
            id: self.info.id,
            head,
            socket: Rc::new(socket.unwrap_or_else(unknown_socket)),
            trailers: RefCell::new(IncomingHeaders::new()),
            complete: Cell::new(false),
            aborted: Cell::new(false),
        });
        self.response = Some(response.clone());
        response
    }
}

/// Where a socket is in its life.
enum Phase {
    Dialing(Dial),
    Open(Stream),
    /// Between phases while a dial advances (never seen by the loop).
    Gone,
}

struct ClientSocket {
    phase: Phase,
    /// The request it serves; `None` while free in the pool.
    request: Option<u32>,
    info: Option<Rc<SocketInfo>>,
    id: u32,
    write_blocked: bool,
    /// For a free socket with an Agent `timeout`: when it is destroyed.
    idle_deadline: Option<u64>,
}

#[derive(Default)]
pub struct Clients {
    agents: rustc_hash::FxHashMap<u32, AgentSlot>,
    global_agent: Option<u32>,
    requests: rustc_hash::FxHashMap<u32, RequestSlot>,
    sockets: rustc_hash::FxHashMap<SocketKey, ClientSocket>,
    /// Requests given a socket whose `socket` event comes on the next tick.
    assigning: Vec<u32>,
    /// Requests whose socket failed before any I/O (a lookup or connect that
    /// could not start); their error comes on the next tick.
    failed_sockets: Vec<(u32, NodeError)>,
}

impl Runtime {
    /// `http.globalAgent`, created on first use with v12's defaults.
    pub fn global_agent(&mut self) -> u32 {
        if let Some(id) = self.clients.global_agent {
            return id;
        }
        let id = self.create_agent(AgentOptions::default(), false);
        self.clients.global_agent = Some(id);
        id
    }

    /// `new http.Agent(options)` (or the one-time agent of `agent: false`).
    pub fn create_agent(&mut self, options: AgentOptions, one_time: bool) -> u32 {
        let id = self.next_id();
        self.clients.agents.insert(
            id,
            AgentSlot {
                pool: Agent::new(options),
                one_time,
                released: false,
            },
        );
        id
    }

    pub fn agent(&self, id: u32) -> Option<&Agent> {
        self.clients.agents.get(&id).map(|a| &a.pool)
    }

    /// The embedder dropped an Agent handle. Its sockets and requests live on
    /// (Node's sockets keep their agent alive); it is forgotten when idle.
    pub fn release_agent(&mut self, id: u32) {
        if Some(id) == self.clients.global_agent {
            return;
        }
        if let Some(slot) = self.clients.agents.get_mut(&id) {
            slot.released = true;
        }
        self.forget_agent_if_idle(id);
    }

    /// Forget a one-time or released Agent that holds nothing (a request
    /// that failed before it was queued leaves its `agent: false` Agent so).
    pub fn forget_agent_if_idle(&mut self, id: u32) {
        let Some(slot) = self.clients.agents.get(&id) else {
            return;
        };
        let idle = slot.pool.total_sockets() == 0 && slot.pool.requests().is_empty();
        if idle && (slot.released || slot.one_time) {
            self.clients.agents.remove(&id);
        }
    }

    /// `agent.destroy()`: every socket it holds, in use or free.
    pub fn destroy_agent(&mut self, id: u32) {
        let Some(slot) = self.clients.agents.get_mut(&id) else {
            return;
        };
        for sock in slot.pool.destroy() {
            self.destroy_socket((id, sock), reset_error());
        }
    }

    /// `http.request(...)`: register the request and queue it on its agent.
    pub fn client_request(
        &mut self,
        agent: u32,
        target: RequestTarget,
        http: ClientRequest,
        max_headers_count: u32,
    ) -> Rc<RequestInfo> {
        let id = self.next_id();
        let name = agent::get_name(
            &target.host,
            target.port,
            target.local_address.as_deref(),
            target.family,
        );
        let info = Rc::new(RequestInfo {
            id,
            method: target.method.clone(),
            path: target.path.clone(),
            host: target.host.clone(),
            protocol: target.protocol.clone(),
            reused_socket: Cell::new(false),
            max_headers_count: Cell::new(max_headers_count),
            socket: RefCell::new(None),
        });
        self.clients.requests.insert(
            id,
            RequestSlot {
                http,
                agent,
                name: name.clone(),
                target,
                socket: None,
                info: info.clone(),
                response: None,
                released: false,
                destroy_error: GivenError::default(),
                keep_alive: None,
            },
        );
        let assignment = match self.clients.agents.get_mut(&agent) {
            Some(slot) => slot.pool.add_request(&name, u64::from(id)),
            None => Assignment::Queued,
        };
        self.assign(agent, id, assignment);
        info
    }

    /// Carry out the Agent's decision for request `id`.
    fn assign(&mut self, agent: u32, id: u32, assignment: Assignment) {
        let (sock, reused) = match assignment {
            Assignment::Queued => return,
            Assignment::Reuse(sock) => (sock, true),
            Assignment::Create(sock) => {
                let Some(slot) = self.clients.requests.get(&id) else {
                    return;
                };
                let target = slot.target.clone();
                self.open_socket((agent, sock), id, &target);
                (sock, false)
            }
        };
        if let Some(socket) = self.clients.sockets.get_mut(&(agent, sock)) {
            socket.request = Some(id);
            socket.idle_deadline = None;
        }
        if let Some(slot) = self.clients.requests.get_mut(&id) {
            slot.socket = Some(sock);
            slot.info.reused_socket.set(reused);
        }
        self.clients.assigning.push(id);
    }

    /// Start a socket toward the request's target: look the name up unless it
    /// is an IP address, then connect.
    fn open_socket(&mut self, key: SocketKey, req: u32, target: &RequestTarget) {
        let id = self.next_id();
        let phase = Dial::start(Target {
            host: target.host.clone(),
            port: target.port,
            family: target.family,
            local: target
                .local_address
                .as_deref()
                .and_then(|a| a.parse::<IpAddr>().ok()),
        })
        .map(Phase::Dialing);
        match phase {
            Ok(phase) => {
                self.clients.sockets.insert(
                    key,
                    ClientSocket {
                        phase,
                        request: None,
                        info: None,
                        id,
                        write_blocked: false,
                        idle_deadline: None,
                    },
                );
            }
            Err(e) => {
                // Fails on the next tick, after `socket`, as Node's do.
                self.clients.failed_sockets.push((req, e));
            }
        }
    }

    /// Run a call on a client request, then move its output toward the socket.
    pub fn with_client_request<R>(
        &mut self,
        id: u32,
        f: impl FnOnce(&mut ClientRequest) -> R,
    ) -> Option<R> {
        let slot = self.clients.requests.get_mut(&id)?;
        let out = f(&mut slot.http);
        slot.http.pump();
        self.after_client_io(id);
        Some(out)
    }

    /// A client socket can take more bytes.
    pub(super) fn client_write(&mut self, key: SocketKey) {
        if let Some(req) = self.clients.sockets.get(&key).and_then(|s| s.request) {
            self.after_client_io(req);
        }
    }

    /// `request.setSocketKeepAlive(enable, initialDelay)`: now if the socket
    /// is connected, else once it is (Node's `_deferToConnect`).
    pub fn set_client_keep_alive(&mut self, id: u32, enable: bool, initial_delay_ms: u32) {
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        slot.keep_alive = Some((enable, initial_delay_ms));
        let key = slot.socket.map(|s| (slot.agent, s));
        if let Some(ClientSocket {
            phase: Phase::Open(stream),
            ..
        }) = key.and_then(|k| self.clients.sockets.get(&k))
        {
            stream.set_keep_alive(enable, initial_delay_ms);
        }
    }

    /// Read a client request's state.
    pub fn client_request_ref(&self, id: u32) -> Option<&ClientRequest> {
        self.clients.requests.get(&id).map(|s| &s.http)
    }

    /// The embedder dropped its `client-request` handle; the request runs on
    /// until it closes.
    pub fn release_client_request(&mut self, id: u32) {
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        slot.released = true;
        if slot.http.is_closed() {
            self.clients.requests.remove(&id);
        }
    }

    pub fn set_response_paused(&mut self, id: u32, paused: bool) {
        self.with_client_request(id, |http| http.set_paused(paused));
    }

    /// `req.destroy([error])` / `res.destroy([error])`: destroys the
    /// request's socket; `error` comes back as the request's `error`.
    pub fn destroy_client_request(&mut self, id: u32, error: Option<Error>) {
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        let placeholder = slot.destroy_error.keep(error);
        self.with_client_request(id, |http| http.destroy(placeholder));
    }

    /// The next tick: `socket` for requests that got one; sockets that could
    /// not even start fail now.
    pub(super) fn client_tick(&mut self) {
        let now = now_ms();
        for id in std::mem::take(&mut self.clients.assigning) {
            let Some(slot) = self.clients.requests.get_mut(&id) else {
                continue;
            };
            slot.http.assign_socket(now);
            let key = slot.socket.map(|s| (slot.agent, s));
            if let Some(socket) = key.and_then(|k| self.clients.sockets.get(&k)) {
                if let Phase::Open(_) = socket.phase {
                    *slot.info.socket.borrow_mut() = socket.info.as_deref().cloned();
                    slot.http.connected(now);
                }
            }
            slot.http.pump();
            self.after_client_io(id);
        }
        for (req, e) in std::mem::take(&mut self.clients.failed_sockets) {
            self.with_client_request(req, |http| http.handle_error(e));
        }
    }

    /// Add what the client sockets wait on to the loop's list.
    pub(super) fn client_pollables<'a>(
        &'a self,
        sources: &mut Vec<Source>,
        pollables: &mut Vec<&'a wasip2::io::poll::Pollable>,
        wake: &mut u64,
    ) {
        for (&key, socket) in &self.clients.sockets {
            match &socket.phase {
                Phase::Dialing(dial) => {
                    sources.push(Source::Dial(key));
                    pollables.push(dial.pollable());
                }
                Phase::Open(stream) => {
                    let wants_read = match socket.request {
                        // A free socket is watched for the server closing it.
                        None => true,
                        Some(req) => self
                            .clients
                            .requests
                            .get(&req)
                            .is_some_and(|s| s.http.wants_read()),
                    };
                    if wants_read {
                        sources.push(Source::ClientRead(key));
                        pollables.push(&stream.readable);
                    }
                    if socket.write_blocked {
                        sources.push(Source::ClientWrite(key));
                        pollables.push(&stream.writable);
                    }
                }
                Phase::Gone => {}
            }
            if let Some(t) = socket.idle_deadline {
                *wake = (*wake).min(t);
            }
        }
        for slot in self.clients.requests.values() {
            if let Some(t) = slot.http.poll_timeout() {
                *wake = (*wake).min(t);
            }
        }
    }

    /// A socket's name lookup or connect made progress.
    pub(super) fn dial_ready(&mut self, key: SocketKey) {
        let Some(socket) = self.clients.sockets.get_mut(&key) else {
            return;
        };
        let Phase::Dialing(dial) = std::mem::replace(&mut socket.phase, Phase::Gone) else {
            return;
        };
        let stream = match dial.advance() {
            Progress::Pending(dial) => {
                socket.phase = Phase::Dialing(dial);
                return;
            }
            Progress::Failed(e) => return self.destroy_socket(key, e),
            Progress::Open(stream) => stream,
        };
        let info = Rc::new(socket_info(socket.id, Some(&stream)));
        socket.info = Some(info.clone());
        socket.phase = Phase::Open(stream);
        let Some(req) = socket.request else {
            return;
        };
        if let Some(slot) = self.clients.requests.get_mut(&req) {
            *slot.info.socket.borrow_mut() = Some(SocketInfo::clone(&info));
            if let (Some((enable, delay)), Phase::Open(stream)) = (slot.keep_alive, &socket.phase) {
                stream.set_keep_alive(enable, delay);
            }
            slot.http.connected(now_ms());
            slot.http.pump();
        }
        self.after_client_io(req);
    }

    /// Read from a client socket: into its request, or, for a free socket,
    /// only to notice the server closing it (Node removes it from the pool).
    pub(super) fn client_read(&mut self, key: SocketKey) {
        let Some(socket) = self.clients.sockets.get_mut(&key) else {
            return;
        };
        let Phase::Open(stream) = &mut socket.phase else {
            return;
        };
        let Some(req) = socket.request else {
            // Anything on a free socket (bytes, the end, an error) retires it:
            // it can carry no further exchange.
            return match stream.read() {
                ReadOutcome::Data(bytes) if bytes.is_empty() => {}
                _ => self.drop_socket(key),
            };
        };
        let Some(slot) = self.clients.requests.get_mut(&req) else {
            return;
        };
        read_into(stream, &mut slot.http);
        self.after_client_io(req);
    }

    /// After anything happened to a request: write what it owes, deliver its
    /// events, and settle its socket once it is done with it.
    pub(super) fn after_client_io(&mut self, id: u32) {
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        if slot.socket.is_none() && slot.http.is_abandoned() {
            // Destroyed while queued: it leaves the Agent's queue and closes
            // now rather than when a socket would have come.
            if let Some(agent) = self.clients.agents.get_mut(&slot.agent) {
                if agent.pool.remove_request(&slot.name, u64::from(id)) {
                    slot.http.drop_unassigned();
                }
            }
        }
        let key = slot.socket.map(|s| (slot.agent, s));
        if let Some(socket) = key.and_then(|k| self.clients.sockets.get_mut(&k)) {
            if let Phase::Open(stream) = &socket.phase {
                socket.write_blocked = flush(stream, &mut slot.http);
            }
        }
        let events: Vec<ClientEvent> = std::iter::from_fn(|| slot.http.poll_event()).collect();
        for event in events {
            self.deliver_client(id, event);
        }
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        if let (Some(fate), Some(sock)) = (slot.http.socket_fate(), slot.socket) {
            slot.socket = None;
            let agent = slot.agent;
            self.settle_socket((agent, sock), fate);
        }
        let Some(slot) = self.clients.requests.get(&id) else {
            return;
        };
        if slot.http.is_closed() && slot.released {
            self.clients.requests.remove(&id);
        }
    }

    /// The request is done with its socket: pool it, or close it.
    fn settle_socket(&mut self, key: SocketKey, fate: SocketFate) {
        let (agent, sock) = key;
        if let Some(socket) = self.clients.sockets.get_mut(&key) {
            socket.request = None;
        }
        match fate {
            SocketFate::Free => {
                let freed = match self.clients.agents.get_mut(&agent) {
                    Some(slot) => slot.pool.free(sock),
                    None => Freed::Destroy,
                };
                match freed {
                    // Node hands the socket straight to the waiting request
                    // (`reusedSocket` stays false); our request ids are u32.
                    Freed::Assign(next) => {
                        self.assign(agent, next as u32, Assignment::Reuse(sock));
                        if let Some(slot) = self.clients.requests.get(&(next as u32)) {
                            slot.info.reused_socket.set(false);
                        }
                    }
                    Freed::Keep { create } => {
                        let Some(options) =
                            self.clients.agents.get(&agent).map(|a| a.pool.options())
                        else {
                            return;
                        };
                        let (timeout, delay) = (options.timeout, options.keep_alive_msecs);
                        if let Some(socket) = self.clients.sockets.get_mut(&key) {
                            socket.idle_deadline = timeout.map(|t| now_ms() + t);
                            // Node's `keepSocketAlive`: TCP keep-alive while pooled.
                            if let Phase::Open(stream) = &socket.phase {
                                stream
                                    .set_keep_alive(true, u32::try_from(delay).unwrap_or(u32::MAX));
                            }
                        }
                        if let Some((new_sock, req)) = create {
                            self.assign(agent, req as u32, Assignment::Create(new_sock));
                        }
                    }
                    Freed::Destroy => self.drop_socket(key),
                }
            }
            SocketFate::End => {
                if let Some(ClientSocket {
                    phase: Phase::Open(stream),
                    ..
                }) = self.clients.sockets.get(&key)
                {
                    stream.shutdown();
                }
                self.drop_socket(key);
            }
            SocketFate::Destroy => self.drop_socket(key),
            // Already taken over as a raw socket when `upgrade`/`connect`
            // was delivered: the Agent forgets it (`agentRemove`).
            SocketFate::Detach => self.drop_socket(key),
        }
    }

    /// A socket failed before or while serving its request: the request gets
    /// the error, the socket goes.
    fn destroy_socket(&mut self, key: SocketKey, e: NodeError) {
        let req = self.clients.sockets.get(&key).and_then(|s| s.request);
        match req {
            Some(req) => {
                if let Some(slot) = self.clients.requests.get_mut(&req) {
                    slot.http.handle_error(e);
                }
                self.after_client_io(req);
                // `after_client_io` settled the socket through the request's fate.
                if self.clients.sockets.contains_key(&key) {
                    self.drop_socket(key);
                }
            }
            None => self.drop_socket(key),
        }
    }

    /// Close a socket and take it out of its Agent; a request queued for the
    /// same origin may get a new socket in its place.
    fn drop_socket(&mut self, key: SocketKey) {
        let (agent, sock) = key;
        self.clients.sockets.remove(&key);
        let replacement = self
            .clients
            .agents
            .get_mut(&agent)
            .and_then(|slot| slot.pool.remove_socket(sock));
        if let Some((new_sock, req)) = replacement {
            self.assign(agent, req as u32, Assignment::Create(new_sock));
        }
        self.forget_agent_if_idle(agent);
    }

    /// Timers: request timeouts, and free sockets past the Agent's `timeout`.
    pub(super) fn client_timers(&mut self, now: u64) {
        let due: Vec<u32> = self
            .clients
            .requests
            .iter()
            .filter(|(_, s)| s.http.poll_timeout().is_some_and(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.with_client_request(id, |http| http.handle_timeout(now));
        }
        let idle: Vec<SocketKey> = self
            .clients
            .sockets
            .iter()
            .filter(|(_, s)| s.request.is_none() && s.idle_deadline.is_some_and(|t| t <= now))
            .map(|(&k, _)| k)
            .collect();
        for key in idle {
            self.drop_socket(key);
        }
    }

    /// Take a socket away from its Agent's bookkeeping here, for its stream
    /// to be handed to the embedder as a raw socket (the Agent hears of it
    /// when the request's fate, `Detach`, is settled).
    fn detach(&mut self, key: SocketKey) -> Option<Stream> {
        match self.clients.sockets.remove(&key)?.phase {
            Phase::Open(stream) => Some(stream),
            Phase::Dialing(_) | Phase::Gone => None,
        }
    }

    /// Turn one request event into the embedder's event.
    fn deliver_client(&mut self, id: u32, event: ClientEvent) {
        let Some(slot) = self.clients.requests.get_mut(&id) else {
            return;
        };
        let out = match event {
            ClientEvent::Socket => Event::Socket(id),
            ClientEvent::Finish => Event::Finish(id),
            ClientEvent::Drain => Event::Drain(id),
            ClientEvent::Continue => Event::Continue(id),
            ClientEvent::Information(head) => Event::Information(InformationEvent {
                id,
                status_code: head.status_code,
                status_message: head.status_message.clone(),
                http_version_major: head.version_major,
                http_version_minor: head.version_minor,
                headers: merged(&head.headers),
                raw_headers: head.headers.raw_flat(),
            }),
            ClientEvent::Response(head) => {
                let response = slot.respond(*head);
                Event::Response(ResponseEvent {
                    id,
                    response: IncomingMessage::new(Incoming::Response(response)),
                })
            }
            ClientEvent::Data(chunk) => Event::Data((id, chunk)),
            ClientEvent::End { trailers } => {
                if let Some(res) = &slot.response {
                    if !res.aborted.get() {
                        res.complete.set(true);
                        *res.trailers.borrow_mut() = trailers;
                    }
                }
                Event::End(id)
            }
            ClientEvent::Aborted => {
                if let Some(res) = &slot.response {
                    res.aborted.set(true);
                }
                Event::Aborted(id)
            }
            ClientEvent::Upgrade { head, rest } | ClientEvent::Connect { head, rest } => {
                let connect = slot.info.method == "CONNECT";
                let response = slot.respond(*head);
                let key = slot.socket.map(|s| (slot.agent, s));
                let Some(stream) = key.and_then(|k| self.detach(k)) else {
                    return;
                };
                // An Agent's socket is not half-open (`net.createConnection`'s default).
                let raw = RawSocket::new(now_ms(), false);
                self.adopt_stream(stream, raw, None, |socket| {
                    let event = UpgradeEvent {
                        server: None,
                        id,
                        message: IncomingMessage::new(Incoming::Response(response)),
                        socket,
                        head: rest,
                    };
                    upgrade_or_connect(connect, event)
                });
                return;
            }
            ClientEvent::Abort => Event::Abort(id),
            ClientEvent::Timeout => Event::Timeout(id),
            ClientEvent::Error(e) => Event::RequestError((id, slot.destroy_error.deliver(e))),
            ClientEvent::RequestClose => Event::RequestClose(id),
            ClientEvent::ResponseClose => {
                slot.response = None;
                Event::ResponseClose(id)
            }
        };
        self.events.push_back(out);
    }
}

impl Duplex for ClientRequest {
    fn output(&self) -> &[u8] {
        ClientRequest::output(self)
    }
    fn consume_output(&mut self, n: usize, now: u64) {
        ClientRequest::consume_output(self, n, now)
    }
    fn write_failed(&mut self) {
        self.handle_error(reset_error())
    }
    fn wants_read(&self) -> bool {
        ClientRequest::wants_read(self)
    }
    fn handle_input(&mut self, data: &[u8], now: u64) {
        ClientRequest::handle_input(self, data, now)
    }
    fn handle_eof(&mut self) {
        ClientRequest::handle_eof(self)
    }
    fn read_failed(&mut self) {
        self.handle_error(reset_error())
    }
}

/// The socket view of a response whose socket has no addresses (never seen).
fn unknown_socket() -> SocketInfo {
    socket_info(0, None)
}
