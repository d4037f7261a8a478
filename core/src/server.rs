//! One server-side HTTP/1.1 connection, as Node's `lib/_http_server.js` runs it.
//!
//! [`ServerConnection`] is sans-IO: the runtime feeds it the bytes it read
//! ([`ServerConnection::handle_input`]), the end of the peer's stream
//! ([`ServerConnection::handle_eof`]) and the time
//! ([`ServerConnection::handle_timeout`]); it answers with [`ConnEvent`]s for the
//! application and bytes for the socket ([`ServerConnection::output`]), and says
//! when it is done. The application's `ServerResponse` calls arrive through
//! [`ServerConnection::response`] followed by [`ServerConnection::pump`].
//!
//! What it keeps in one place, so each question has one answer:
//! - reading: where the parser is (a head, a body, or closed for reading);
//! - writing: the responses owed, strictly in request order (pipelining): only
//!   the front one reaches the socket, the others buffer, as Node's
//!   `state.outgoing` does;
//! - keep-alive: whether another request may follow ([`ServerConnection::is_done`]);
//! - the socket timeout, as Node's `socket.setTimeout` calls leave it.
//!
//! Which server events have listeners ([`Listeners`]) changes what happens,
//! as Node decides by `listenerCount`: with a `clientError`, `upgrade` or
//! `connect` listener the socket is *handed over* to the application
//! ([`ServerConnection::is_handed_over`]). The connection then reads nothing
//! more and keeps only the responses still owed: the runtime moves their
//! bytes into the raw socket's own write queue with
//! [`ServerConnection::take_pending_output`] after each response call, so
//! they interleave with the application's raw writes in call order, as both
//! go to one `net.Socket` in Node.

use std::collections::VecDeque;

use crate::common::has_word;
use crate::decode::Decoder;
use crate::error::{NodeError, ParseError, ParseErrorCode};
use crate::incoming::{IncomingHeaders, IncomingValue};
use crate::outgoing::{OutgoingMessage, ResponseContext, HIGH_WATER_MARK};
use crate::parse::{HeadParser, ParserOptions, RequestHead};

/// Node's fixed replies to a request that does not parse (`socketOnError`):
/// no `Date`, no body, then the socket is destroyed.
const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const HEADER_FIELDS_TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n";

/// Which `http.Server` events have listeners. Node looks at
/// `listenerCount` (or at what `emit` returns) at the moment it decides, so
/// the runtime updates these as the application adds and removes listeners
/// ([`ServerConnection::set_listeners`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listeners {
    /// `'timeout'`: a timed-out socket is left to the listener, not destroyed.
    pub timeout: bool,
    /// `'checkContinue'`: `Expect: 100-continue` requests go there, with no
    /// automatic `100 Continue`.
    pub check_continue: bool,
    /// `'checkExpectation'`: other expectations go there instead of the
    /// automatic 417.
    pub check_expectation: bool,
    /// `'clientError'`: the listener owns the socket; no automatic 400/431.
    pub client_error: bool,
    /// `'upgrade'`: upgrade requests hand the socket over instead of being
    /// served as normal requests.
    pub upgrade: bool,
    /// `'connect'`: `CONNECT` hands the socket over instead of closing it.
    pub connect: bool,
}

/// Server settings that shape a connection (`http.createServer` options and
/// the `server.*` properties).
#[derive(Clone, Copy, Debug)]
pub struct ServerConfig {
    pub parser: ParserOptions,
    /// `server.keepAliveTimeout` in ms; 0 disables.
    pub keep_alive_timeout: u64,
    /// `server.timeout`: ms of socket inactivity before it is destroyed; 0 disables.
    pub timeout: u64,
    /// `server.headersTimeout`: ms a head may take to arrive; 0 disables.
    pub headers_timeout: u64,
    /// The server events that have listeners when the connection starts.
    pub listeners: Listeners,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            parser: ParserOptions::default(),
            keep_alive_timeout: 5000,
            timeout: 120_000,
            headers_timeout: 60_000,
            listeners: Listeners::default(),
        }
    }
}

/// Identifies a request (and its response) within one connection, in arrival order.
pub type RequestId = u64;

/// Which half of a request/response pair a call is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The `IncomingMessage` (`req`).
    Request,
    /// The `ServerResponse` (`res`).
    Response,
}

/// What the connection tells the application, in Node's order.
#[derive(Debug)]
pub enum ConnEvent {
    /// `server.on('request')`: a head arrived; its response is ready for calls.
    Request {
        id: RequestId,
        head: Box<RequestHead>,
    },
    /// `server.on('checkContinue')` (with a listener), instead of `request`:
    /// nothing was written; `response.writeContinue()` invites the body.
    CheckContinue {
        id: RequestId,
        head: Box<RequestHead>,
    },
    /// `server.on('checkExpectation')` (with a listener), instead of
    /// `request` and the automatic 417.
    CheckExpectation {
        id: RequestId,
        head: Box<RequestHead>,
    },
    /// `server.on('upgrade', req, socket, head)` (with a listener). `rest` is
    /// Node's `head`: every byte read after the request head (a body the
    /// request announced included, as llhttp stops there). The request has
    /// no response and no further events (`req.complete` is true); the
    /// socket is handed over.
    Upgrade {
        id: RequestId,
        head: Box<RequestHead>,
        rest: Vec<u8>,
    },
    /// `server.on('connect', req, socket, head)`: as [`ConnEvent::Upgrade`],
    /// for `CONNECT`.
    Connect {
        id: RequestId,
        head: Box<RequestHead>,
        rest: Vec<u8>,
    },
    /// `req.on('data')`.
    Data { id: RequestId, chunk: Vec<u8> },
    /// `req.on('end')`, with the trailers (empty unless chunked with trailers).
    End {
        id: RequestId,
        trailers: IncomingHeaders,
    },
    /// `req.on('aborted')`: the connection ended before the request completed.
    Aborted { id: RequestId },
    /// `req.on('close')`.
    RequestClose { id: RequestId },
    /// A write's callback (`res.write(chunk, cb)`): the bytes of the write
    /// that [`ServerConnection::note_write_callback`] returned `ticket` for
    /// were handed to the socket.
    WriteCallback { id: RequestId, ticket: u64 },
    /// `res.on('finish')`: the response's last byte went to the socket.
    Finish { id: RequestId },
    /// `res.on('close')`: the response's last event. It hands the response
    /// back, so its getters (`statusCode`, `getHeader`, ...) keep answering
    /// as Node's do after `close`.
    ResponseClose {
        id: RequestId,
        response: Box<OutgoingMessage>,
    },
    /// `res.on('drain')`.
    Drain { id: RequestId },
    /// The socket timed out and someone listens (Node's `socketOnTimeout`),
    /// so it was not destroyed. Emit `'timeout'` on, in this order: the
    /// incomplete request being read, the response that has the socket (each
    /// only if it has a listener), and the server. The timer stays quiet
    /// until the socket is active again (a read, a write, a `setTimeout`).
    Timeout {
        request: Option<RequestId>,
        response: Option<RequestId>,
        server: bool,
    },
    /// `server.on('clientError', err, socket)`. `error` is a parse error
    /// (`HPE_*`) or a socket error (`ECONNRESET`). `bytes_parsed` and
    /// `raw_packet` are Node's `err.bytesParsed` / `err.rawPacket` (the read
    /// being parsed), absent where Node leaves them undefined (socket errors,
    /// a message cut short by the end of the stream).
    ///
    /// `handed_over`: a listener owns the socket (it may write a response and
    /// end it); nothing was written. Otherwise this reports Node's default
    /// handling, already done: a 400/431 written if no response had started,
    /// then the socket destroyed.
    ClientError {
        /// Boxed, as the other large payloads, to keep events small.
        error: Box<NodeError>,
        bytes_parsed: Option<usize>,
        raw_packet: Option<Vec<u8>>,
        handed_over: bool,
    },
}

/// Where reading stands.
#[derive(Debug)]
enum Reading {
    /// Waiting for (the rest of) a request head.
    Head,
    /// Reading a request body. `visible` is false for requests the server
    /// answers itself (417) whose body is discarded unseen.
    Body {
        id: RequestId,
        decoder: Decoder,
        visible: bool,
        /// The parser's keep-alive verdict: false means nothing is read after
        /// this request (llhttp's closed state).
        keep_alive: bool,
        /// An `Upgrade` request served as a normal one (no 'upgrade' listener).
        upgrade: bool,
        /// `req.on('timeout')` has a listener (`req.setTimeout(ms, cb)`).
        timeout_listener: bool,
    },
    /// The last request said the connection closes after it, or the socket
    /// was handed over: nothing more is read.
    Closed,
}

/// How a parsed request reaches the application.
enum Delivery {
    Request,
    CheckContinue,
    CheckExpectation,
    /// Answered by the server itself (the automatic 417).
    Hidden,
}

/// A response whose last byte is queued, waiting for it to be written.
#[derive(Debug)]
struct Finishing {
    /// `written_total` at which its last byte has left.
    mark: u64,
    id: RequestId,
    visible: bool,
    /// `res.on('timeout')` has a listener: it still has the socket.
    timeout_listener: bool,
    message: OutgoingMessage,
}

/// A write callback whose bytes are queued on the socket.
#[derive(Debug)]
struct WriteMark {
    /// `written_total` at which the write's last byte has left.
    mark: u64,
    id: RequestId,
    ticket: u64,
}

/// What a pipelined response does once it reaches the front (Node's
/// `'socket'` event), kept out of [`Pending`] as it is rare.
#[derive(Debug)]
enum OnFront {
    /// `res.setTimeout(ms)`: Node sets it once the response has the socket.
    SetTimeout(u64),
    /// A write callback; its write ends `end` bytes into the response (a
    /// response behind the front has queued nothing yet).
    WriteCallback { end: u64, ticket: u64 },
}

/// A response owed to the client, in request order.
#[derive(Debug)]
struct Pending {
    id: RequestId,
    message: OutgoingMessage,
    /// Request fully received (`req.complete`), so no `aborted` on close.
    request_complete: bool,
    /// The application sees this request (false for automatic 417s).
    visible: bool,
    /// `write` returned false; a `drain` is owed.
    needs_drain: bool,
    /// Bytes of its head went to the socket (Node's `_headerSent`).
    started: bool,
    /// `res.cork()` count: while above 0 its bytes stay in the response.
    corked: u32,
    /// `res.on('timeout')` has a listener.
    timeout_listener: bool,
}

impl Pending {
    fn new(id: RequestId, message: OutgoingMessage, visible: bool) -> Self {
        Pending {
            id,
            message,
            request_complete: false,
            visible,
            needs_drain: false,
            started: false,
            corked: 0,
            timeout_listener: false,
        }
    }
}

/// One server connection. See the module docs.
#[derive(Debug)]
pub struct ServerConnection {
    config: ServerConfig,
    input: Vec<u8>,
    /// Resumes a head across reads, so a head trickling in is not re-read.
    head_parser: HeadParser,
    reading: Reading,
    /// Responses owed, front first. The front one writes straight to `output`.
    pending: VecDeque<Pending>,
    next_id: RequestId,
    events: VecDeque<ConnEvent>,
    /// Bytes for the socket; `output[output_sent..]` is not yet written.
    output: Vec<u8>,
    output_sent: usize,
    /// Total bytes ever handed to the socket and ever queued, and the ended
    /// responses waiting for their last byte to leave (for `finish`).
    written_total: u64,
    queued_total: u64,
    finishing: VecDeque<Finishing>,
    /// Write callbacks waiting for their last byte to leave, and the next ticket.
    write_marks: VecDeque<WriteMark>,
    next_ticket: u64,
    /// Calls on responses behind the front, for when they reach it.
    on_front: Vec<(RequestId, OnFront)>,
    /// Reading is paused by the application (`req.pause()`).
    paused: bool,
    /// The peer finished its side (FIN): no more requests come.
    peer_ended: bool,
    /// Close once `output` is flushed (Node's `_last` / `destroySoon`).
    closing: bool,
    /// Destroyed: stop everything; the runtime closes the socket now.
    destroyed: bool,
    /// The application owns the socket (clientError, upgrade, CONNECT).
    handed_over: bool,
    /// Node's `socketOnError` runs once per socket: later errors are not reported.
    socket_error_seen: bool,
    /// The latest time (ms) the runtime passed in.
    clock: u64,
    /// The socket's timeout (`socket.setTimeout`), 0 = none, and when its
    /// timer last (re)started: at the last read, write or `setTimeout`.
    socket_timeout: u64,
    timer_start: u64,
    /// The timer fired; it stays quiet until the next activity (Node's
    /// `timeout.refresh()` re-arms a fired timer).
    timer_fired: bool,
    /// Node's `state.keepAliveTimeoutSet`: the socket timeout is
    /// `keepAliveTimeout` until the next request head.
    keep_alive_timeout_set: bool,
    /// When the head being read began (the connection's start for the
    /// first), for `headersTimeout`; `None` between heads.
    head_started: Option<u64>,
    /// See [`Self::set_date`].
    date: String,
}

impl ServerConnection {
    /// A new connection, accepted at `now` (ms).
    pub fn new(config: ServerConfig, now: u64) -> Self {
        ServerConnection {
            config,
            input: Vec::new(),
            head_parser: HeadParser::new(),
            reading: Reading::Head,
            pending: VecDeque::new(),
            next_id: 0,
            events: VecDeque::new(),
            output: Vec::new(),
            output_sent: 0,
            written_total: 0,
            queued_total: 0,
            finishing: VecDeque::new(),
            write_marks: VecDeque::new(),
            next_ticket: 0,
            on_front: Vec::new(),
            paused: false,
            peer_ended: false,
            closing: false,
            destroyed: false,
            handed_over: false,
            socket_error_seen: false,
            clock: now,
            // Node: `if (server.timeout) socket.setTimeout(server.timeout)`.
            socket_timeout: config.timeout,
            timer_start: now,
            timer_fired: false,
            keep_alive_timeout_set: false,
            head_started: Some(now),
            date: String::new(),
        }
    }

    /// The server's listeners changed (`server.on(...)` / `removeListener`).
    pub fn set_listeners(&mut self, listeners: Listeners) {
        self.config.listeners = listeners;
    }

    /// `server.timeout = msecs` (`server.setTimeout(msecs)`). As the v12 docs
    /// say, a live connection keeps its socket timeout; the new value is
    /// what Node's `resetSocketTimeout` restores when the next request
    /// arrives after a keep-alive wait.
    pub fn set_server_timeout(&mut self, msecs: u64) {
        self.config.timeout = msecs;
    }

    /// `socket.setTimeout(msecs)` at `now`: the timer restarts; 0 disables it.
    pub fn set_socket_timeout(&mut self, msecs: u64, now: u64) {
        self.socket_timeout = msecs;
        self.restart_timer(now);
    }

    /// The socket's timeout in ms (0 = none): what a handed-over socket keeps.
    pub fn socket_timeout(&self) -> u64 {
        self.socket_timeout
    }

    /// `req.setTimeout(msecs[, cb])` / `res.setTimeout(msecs[, cb])` (`msecs`
    /// `None`: only `on('timeout', cb)`). Both set the socket's timeout;
    /// `listener` adds a `'timeout'` listener to that message. A response
    /// that does not have the socket yet (pipelined) sets it when it gets
    /// it, as Node's `once('socket')` does.
    pub fn set_message_timeout(
        &mut self,
        id: RequestId,
        role: Role,
        msecs: Option<u64>,
        listener: bool,
        now: u64,
    ) {
        if self.destroyed {
            return;
        }
        match role {
            Role::Request => {
                if let Reading::Body {
                    id: reading,
                    timeout_listener,
                    ..
                } = &mut self.reading
                {
                    *timeout_listener |= listener && *reading == id;
                }
            }
            Role::Response => {
                let front = self.pending.front().map(|p| p.id);
                if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
                    p.timeout_listener |= listener;
                    if front != Some(id) {
                        if let Some(msecs) = msecs {
                            self.on_front.push((id, OnFront::SetTimeout(msecs)));
                        }
                        return;
                    }
                } else if let Some(f) = self.finishing.iter_mut().find(|f| f.id == id) {
                    f.timeout_listener |= listener;
                } else {
                    // Closed: `res.socket` is null and stays so.
                    return;
                }
            }
        }
        if let Some(msecs) = msecs {
            self.set_socket_timeout(msecs, now);
        }
    }

    /// Bytes arrived from the peer at `now` (ms).
    pub fn handle_input(&mut self, data: &[u8], now: u64) {
        if self.destroyed || self.closing || self.handed_over {
            // Nothing more is read once the socket is ending or not ours.
            return;
        }
        self.restart_timer(now);
        self.input.extend_from_slice(data);
        if let Err(e) = self.process() {
            // Node's `err.rawPacket` is the read being parsed and
            // `err.bytesParsed` llhttp's error position in it. The failing
            // parser was given `input`, which ends with this read: bytes of
            // earlier reads it still held come before the read, messages
            // already taken from the read are gone from `input`. llhttp
            // keeps its state between reads, so an error is never placed
            // before the read.
            let bytes_parsed = (e.at + data.len()).saturating_sub(self.input.len());
            self.client_error(e, Some(bytes_parsed), Some(data.to_vec()));
            return;
        }
        if matches!(self.reading, Reading::Head) && !only_line_ends(&self.input) {
            // v12 checks `headersTimeout` whenever head bytes arrive (not on a
            // timer): a head trickling in for too long times out, as the
            // server's `'timeout'` or, with no listener, destroyed.
            let start = *self.head_started.get_or_insert(now);
            let limit = self.config.headers_timeout;
            if limit > 0 && now.saturating_sub(start) > limit {
                if self.config.listeners.timeout {
                    self.events.push_back(ConnEvent::Timeout {
                        request: None,
                        response: None,
                        server: true,
                    });
                } else {
                    self.destroy();
                }
            }
        }
    }

    /// The peer closed its write side (read returned end of stream).
    ///
    /// Node's `socketOnEnd` (no `allowHalfOpen`): a read-until-close body ends
    /// here; an incomplete message is a parse error (400); otherwise every
    /// request still owed a response is aborted (`abortIncoming`) and the
    /// socket ends once what is already written has left (`socket.end()`).
    /// A handed-over socket's end is the application's.
    pub fn handle_eof(&mut self) {
        if self.destroyed || self.peer_ended || self.handed_over {
            return;
        }
        self.peer_ended = true;
        match &mut self.reading {
            Reading::Head if !only_line_ends(&self.input) => {
                self.client_error(
                    ParseError::new(ParseErrorCode::InvalidEofState, "Invalid EOF state"),
                    None,
                    None,
                );
                return;
            }
            Reading::Body {
                id,
                decoder,
                visible,
                ..
            } => {
                let (id, visible) = (*id, *visible);
                match decoder.finish_eof() {
                    Ok(trailers) => self.request_complete(id, visible, false, trailers),
                    Err(e) => {
                        self.client_error(e, None, None);
                        return;
                    }
                }
            }
            Reading::Head | Reading::Closed => {}
        }
        self.stop_reading();
        self.closing = true;
    }

    /// The `Date` value for the responses the connection writes itself (the
    /// automatic 417); the runtime refreshes it as its clock's second turns.
    pub fn set_date(&mut self, date: &str) {
        if self.date != date {
            self.date.clear();
            self.date.push_str(date);
        }
    }

    /// The peer reset the connection (`read ECONNRESET`): see
    /// [`Self::handle_socket_error`].
    pub fn handle_reset(&mut self) {
        self.handle_socket_error(NodeError::new("ECONNRESET", "read ECONNRESET"));
    }

    /// The socket failed (a read or write error): Node's `socketOnError`
    /// reports it to a `clientError` listener (once per socket, and not after
    /// a hand-over), then the socket is destroyed and every request in flight
    /// aborted. Node v20, a client resetting mid-body:
    /// `clientError ECONNRESET` (no `bytesParsed`), `aborted`, res `close`,
    /// req `close`.
    pub fn handle_socket_error(&mut self, error: NodeError) {
        if self.destroyed {
            return;
        }
        if self.config.listeners.client_error && !self.handed_over && !self.socket_error_seen {
            self.events.push_back(ConnEvent::ClientError {
                error: Box::new(error),
                bytes_parsed: None,
                raw_packet: None,
                handed_over: false,
            });
        }
        self.socket_error_seen = true;
        self.destroy();
    }

    /// Destroy the connection now (`socket.destroy()`): requests not complete
    /// get `aborted`, every owed request and response gets `close`. Write
    /// callbacks not yet called never are.
    pub fn destroy(&mut self) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        self.output.clear();
        self.output_sent = 0;
        self.write_marks.clear();
        self.abandon_finishing();
        self.stop_reading();
    }

    /// Ended responses whose bytes will never leave: `close` without `finish`.
    fn abandon_finishing(&mut self) {
        for f in std::mem::take(&mut self.finishing) {
            if f.visible {
                self.events.push_back(ConnEvent::ResponseClose {
                    id: f.id,
                    response: Box::new(f.message),
                });
            }
        }
    }

    /// Read nothing more; requests still owed a response are abandoned
    /// (Node's `abortIncoming`): `aborted` if incomplete, then `close`.
    fn stop_reading(&mut self) {
        self.input = Vec::new();
        self.reading = Reading::Closed;
        // Callbacks of writes that will never be queued are never called.
        let queued = self.queued_total;
        self.write_marks.retain(|w| w.mark <= queued);
        self.on_front.clear();
        for p in std::mem::take(&mut self.pending) {
            if !p.visible {
                continue;
            }
            if !p.request_complete {
                self.events.push_back(ConnEvent::Aborted { id: p.id });
                self.events.push_back(ConnEvent::RequestClose { id: p.id });
            }
            self.events.push_back(ConnEvent::ResponseClose {
                id: p.id,
                response: Box::new(p.message),
            });
        }
    }

    /// The application takes the socket (Node removes its parser and socket
    /// listeners): nothing more is read or timed here. Responses still owed
    /// stay, to be written as they end (see the module docs).
    fn hand_over(&mut self) {
        self.handed_over = true;
        self.input = Vec::new();
        self.reading = Reading::Closed;
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    /// The response to request `id`, until its `close` event hands it back.
    /// After a call that may write (`write_head`, `write`, `end`,
    /// `write_continue`, ...), call [`Self::pump`].
    pub fn response(&mut self, id: RequestId) -> Option<&mut OutgoingMessage> {
        match self.pending.iter().position(|p| p.id == id) {
            Some(at) => self.pending.get_mut(at).map(|p| &mut p.message),
            None => self
                .finishing
                .iter_mut()
                .find(|f| f.id == id)
                .map(|f| &mut f.message),
        }
    }

    /// `response.write()`'s return value for request `id`: false once what is
    /// buffered for it (in the response, and on the socket if it is the front
    /// one) reaches the high-water mark; a `drain` event then follows.
    pub fn note_write(&mut self, id: RequestId) -> bool {
        let unsent = self.output.len() - self.output_sent;
        let front_id = self.pending.front().map(|p| p.id);
        let Some(p) = self.pending.iter_mut().find(|p| p.id == id) else {
            return false;
        };
        let mut buffered = p.message.buffered_len();
        if front_id == Some(id) {
            buffered += unsent;
        }
        let ok = buffered < HIGH_WATER_MARK;
        if !ok {
            p.needs_drain = true;
        }
        ok
    }

    /// A callback for the write just made on response `id`
    /// (`res.write(chunk, cb)`): [`ConnEvent::WriteCallback`] with the
    /// returned ticket follows once that write's last byte is handed to the
    /// socket, before the response's `finish`. `None` once the response
    /// has ended (Node calls such a callback with an error). `end(cb)` needs
    /// none: its callback is a `finish` listener.
    pub fn note_write_callback(&mut self, id: RequestId) -> Option<u64> {
        let at = self.pending.iter().position(|p| p.id == id)?;
        let end = self.pending.get(at)?.message.buffered_len() as u64;
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        if at == 0 {
            // Only the front response queues bytes, so its write's last byte
            // is known now, corked or not.
            self.write_marks.push_back(WriteMark {
                mark: self.queued_total + end,
                id,
                ticket,
            });
            self.release_written();
        } else {
            self.on_front
                .push((id, OnFront::WriteCallback { end, ticket }));
        }
        Some(ticket)
    }

    /// `res.cork()`: the response's bytes stay in it until as many
    /// `uncork()`s or its `end()` (which uncorks fully, as Node's does).
    pub fn cork(&mut self, id: RequestId) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.corked += 1;
        }
    }

    /// `res.uncork()`; then call [`Self::pump`].
    pub fn uncork(&mut self, id: RequestId) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.corked = p.corked.saturating_sub(1);
        }
    }

    /// Pause or resume reading (`req.pause()` / `req.resume()`).
    pub fn set_paused(&mut self, paused: bool) {
        let was = self.paused;
        self.paused = paused;
        if was && !paused && !self.destroyed && !self.handed_over {
            if let Err(e) = self.process() {
                // What the parser held is the packet here (Node's
                // `parser.getCurrentBuffer()`).
                let packet = self.input.clone();
                self.client_error(e, Some(e.at), Some(packet));
            }
        }
    }

    /// Move what the responses produced onto the socket buffer, in order.
    /// Call after every response call.
    pub fn pump(&mut self) {
        while let Some(front) = self.pending.front_mut() {
            if front.corked > 0 && !front.message.writable_ended() {
                break;
            }
            let head_composed = front.message.headers_sent();
            let out = front.message.output();
            if !out.is_empty() {
                front.started |= head_composed;
                self.queued_total += out.len() as u64;
                self.output.extend_from_slice(out);
                out.clear();
            }
            if !front.message.writable_ended() {
                break;
            }
            // The front response is complete: its last byte is queued. It
            // finishes when that byte is written; the next one takes its place.
            let Some(done) = self.pending.pop_front() else {
                break;
            };
            let last = done.message.is_last();
            self.finishing.push_back(Finishing {
                mark: self.queued_total,
                id: done.id,
                visible: done.visible,
                timeout_listener: done.timeout_listener,
                message: done.message,
            });
            if last {
                // Node's `_last` (`Connection: close`): the socket ends after
                // this response; requests behind it are abandoned.
                self.closing = true;
                self.stop_reading();
                break;
            }
            if !self.on_front.is_empty() {
                self.reached_front();
            }
        }
        self.release_written();
    }

    /// The next response reached the front: it "has the socket" now (Node's
    /// `assignSocket`), so the calls made on it before take effect.
    fn reached_front(&mut self) {
        let Some(id) = self.pending.front().map(|p| p.id) else {
            return;
        };
        let calls: Vec<OnFront> = self
            .on_front
            .extract_if(.., |(of, _)| *of == id)
            .map(|(_, call)| call)
            .collect();
        for call in calls {
            match call {
                OnFront::SetTimeout(msecs) => self.set_socket_timeout(msecs, self.clock),
                OnFront::WriteCallback { end, ticket } => self.write_marks.push_back(WriteMark {
                    mark: self.queued_total + end,
                    id,
                    ticket,
                }),
            }
        }
    }

    /// Bytes to write to the socket now.
    pub fn output(&self) -> &[u8] {
        &self.output[self.output_sent..]
    }

    /// `n` bytes of [`Self::output`] were handed to the socket at `now` (ms).
    pub fn consume_output(&mut self, n: usize, now: u64) {
        let n = n.min(self.output.len() - self.output_sent);
        if n > 0 {
            self.restart_timer(now);
        }
        self.output_sent += n;
        if self.output_sent == self.output.len() {
            self.output.clear();
            self.output_sent = 0;
        }
        self.written(n);
    }

    /// For a handed-over socket: the bytes the responses still owe, in
    /// order, for the runtime to queue on the raw socket (call after each
    /// response call and [`Self::pump`]). They count as written: `finish`
    /// and write callbacks follow.
    pub fn take_pending_output(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.output);
        out.drain(..self.output_sent);
        self.output_sent = 0;
        self.written(out.len());
        out
    }

    /// `n` more bytes left: callbacks, `finish`es, and `drain` for a response
    /// that was over the mark and is now below it.
    fn written(&mut self, n: usize) {
        self.written_total += n as u64;
        self.release_written();
        let unsent = self.output.len() - self.output_sent;
        if unsent < HIGH_WATER_MARK {
            if let Some(front) = self.pending.front_mut() {
                if front.needs_drain && front.message.buffered_len() + unsent < HIGH_WATER_MARK {
                    front.needs_drain = false;
                    let id = front.id;
                    self.events.push_back(ConnEvent::Drain { id });
                }
            }
        }
    }

    /// True while the runtime should read from the socket.
    pub fn wants_read(&self) -> bool {
        !self.destroyed
            && !self.paused
            && !self.peer_ended
            && !matches!(self.reading, Reading::Closed)
    }

    /// True when the socket should be closed now: destroyed, or closing with
    /// everything written. A handed-over socket is closed by its owner, so
    /// this only turns true for it when a response it still owed was the
    /// last (Node's `destroySoon`) or on [`Self::destroy`].
    pub fn is_done(&self) -> bool {
        self.destroyed || (self.closing && self.output.is_empty() && self.finishing.is_empty())
    }

    /// True when no request is in flight, owed or arriving (at most empty
    /// lines are buffered) and nothing is left to write: the connection only
    /// waits for the next request, so `server.close()` may close it.
    pub fn is_idle(&self) -> bool {
        !self.destroyed
            && self.pending.is_empty()
            && self.finishing.is_empty()
            && self.output.is_empty()
            && matches!(self.reading, Reading::Head)
            && only_line_ends(&self.input)
    }

    /// True when the connection was destroyed (close at once, don't linger).
    pub fn is_destroyed(&self) -> bool {
        self.destroyed
    }

    /// True once a `clientError`, `upgrade` or `connect` listener was given
    /// the socket: read it raw from now on (see the module docs).
    pub fn is_handed_over(&self) -> bool {
        self.handed_over
    }

    /// True while a response is owed or has bytes to leave: a handed-over
    /// connection is kept for these, and may be dropped after.
    pub fn has_responses_owed(&self) -> bool {
        !self.pending.is_empty() || !self.finishing.is_empty() || !self.output.is_empty()
    }

    /// The earliest time (ms) at which [`Self::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<u64> {
        let limit = self.socket_timeout;
        (limit > 0 && !self.timer_fired && !self.destroyed && !self.handed_over)
            .then(|| self.timer_start.saturating_add(limit))
    }

    /// Time passed. If the socket timeout fired: Node's `socketOnTimeout`
    /// emits `'timeout'` on the incomplete request, the response holding the
    /// socket and the server, and destroys the socket when none of them
    /// listens ([`ConnEvent::Timeout`]).
    pub fn handle_timeout(&mut self, now: u64) {
        self.clock = self.clock.max(now);
        if self.poll_timeout().is_none_or(|deadline| now < deadline) {
            return;
        }
        self.timer_fired = true;
        let request = match self.reading {
            Reading::Body {
                id,
                timeout_listener: true,
                ..
            } => Some(id),
            _ => None,
        };
        // `socket._httpMessage`: an ended response keeps the socket until its
        // `finish`.
        let response = match (self.finishing.front(), self.pending.front()) {
            (Some(f), _) => f.timeout_listener.then_some(f.id),
            (None, Some(p)) => p.timeout_listener.then_some(p.id),
            (None, None) => None,
        };
        let server = self.config.listeners.timeout;
        if request.is_none() && response.is_none() && !server {
            self.destroy();
        } else {
            self.events.push_back(ConnEvent::Timeout {
                request,
                response,
                server,
            });
        }
    }

    /// Socket activity at `now` (a read, a write, `setTimeout`) restarts the
    /// timer, a fired one included.
    fn restart_timer(&mut self, now: u64) {
        self.clock = self.clock.max(now);
        self.timer_start = now;
        self.timer_fired = false;
    }

    /// Node's `resetSocketTimeout`, as a request head arrives: after a
    /// keep-alive wait the socket timeout is `server.timeout` again.
    fn reset_socket_timeout(&mut self) {
        if self.keep_alive_timeout_set {
            self.keep_alive_timeout_set = false;
            self.set_socket_timeout(self.config.timeout, self.clock);
        }
    }

    /// Emit, in the order their bytes leave, the write callbacks and the
    /// `finish`/`close` of responses whose last byte has been written (a
    /// response's callbacks before its `finish`, as in Node).
    fn release_written(&mut self) {
        let written = self.written_total;
        loop {
            let callback = self.write_marks.front().map(|w| w.mark);
            let finish = self.finishing.front().map(|f| f.mark);
            match (callback, finish) {
                (Some(c), f) if c <= written && f.is_none_or(|f| c <= f) => {
                    if let Some(WriteMark { id, ticket, .. }) = self.write_marks.pop_front() {
                        self.events
                            .push_back(ConnEvent::WriteCallback { id, ticket });
                    }
                }
                (_, Some(f)) if f <= written => {
                    if let Some(done) = self.finishing.pop_front() {
                        self.response_finished(done);
                    }
                }
                _ => break,
            }
        }
        if self.peer_ended && self.pending.is_empty() && !self.handed_over {
            self.closing = true;
        }
    }

    /// Node's `resOnFinish`: `finish` and `close`, and once no response is
    /// owed, the socket timeout becomes `keepAliveTimeout` (exact: v12 adds
    /// no grace period) until the next request head.
    fn response_finished(&mut self, f: Finishing) {
        if f.visible {
            self.events.push_back(ConnEvent::Finish { id: f.id });
            self.events.push_back(ConnEvent::ResponseClose {
                id: f.id,
                response: Box::new(f.message),
            });
        }
        let keep_alive = self.config.keep_alive_timeout;
        if keep_alive > 0
            && !self.closing
            && !self.handed_over
            && self.pending.is_empty()
            && self.finishing.is_empty()
        {
            self.keep_alive_timeout_set = true;
            self.set_socket_timeout(keep_alive, self.clock);
        }
    }

    /// Parse as much of `input` as the state allows.
    fn process(&mut self) -> Result<(), ParseError> {
        while !self.destroyed && !self.paused {
            let progressed = match self.reading {
                Reading::Head => self.read_head()?,
                Reading::Body { .. } => self.read_body()?,
                Reading::Closed => {
                    if !self.input.is_empty() {
                        self.closed_connection_data()?;
                    }
                    false
                }
            };
            if !progressed {
                break;
            }
        }
        Ok(())
    }

    /// Bytes after a request that closes the connection. llhttp (strict)
    /// refuses them; v12's parser ignored them.
    fn closed_connection_data(&mut self) -> Result<(), ParseError> {
        match self.input.iter().position(|&b| b != b'\r' && b != b'\n') {
            Some(at) if !self.config.parser.insecure => Err(ParseError::new(
                ParseErrorCode::ClosedConnection,
                "Data after `Connection: close`",
            )
            // llhttp consumes the first byte, then fails (Node v20).
            .at(at + 1)),
            _ => {
                // Stray CR/LF after the last message are skipped, not refused.
                self.input.clear();
                Ok(())
            }
        }
    }

    fn read_head(&mut self) -> Result<bool, ParseError> {
        if self.input.is_empty() {
            return Ok(false);
        }
        let Some((head, consumed)) = self.head_parser.parse(&self.input, &self.config.parser)?
        else {
            if self.input.len() > self.config.parser.raw_head_limit() {
                return Err(header_overflow().at(self.input.len()));
            }
            return Ok(false);
        };
        self.input.drain(..consumed);
        // The head is complete: `headersTimeout` stops until the next one.
        self.head_started = None;
        self.reset_socket_timeout();
        let mut head = Box::new(head);
        let id = self.next_id;
        self.next_id += 1;

        if head.upgrade {
            // Node's `parserOnIncoming`: an upgrade is taken only with an
            // 'upgrade' listener; CONNECT always is, and without a 'connect'
            // listener the socket is destroyed, no response.
            let connect = head.method == "CONNECT";
            let listeners = self.config.listeners;
            if (connect && listeners.connect) || (!connect && listeners.upgrade) {
                let rest = std::mem::take(&mut self.input);
                self.hand_over();
                self.events.push_back(if connect {
                    ConnEvent::Connect { id, head, rest }
                } else {
                    ConnEvent::Upgrade { id, head, rest }
                });
                return Ok(false);
            }
            if connect {
                self.destroy();
                return Ok(false);
            }
        }

        let http_1_1 = head.version_major == 1 && head.version_minor == 1;
        // Node's ServerResponse: `httpVersionMajor < 1 || httpVersionMinor < 1`
        // (so HTTP/2.0 over HTTP/1 framing is treated like 1.0).
        let http_1_0_or_older = head.version_major < 1 || head.version_minor < 1;
        let ctx = ResponseContext {
            head_request: head.method == "HEAD",
            http_version_minor_or_lower: http_1_0_or_older,
            request_te_chunked: http_1_0_or_older && te_is_chunked(&head.headers),
            should_keep_alive: head.keep_alive,
            keep_alive_timeout_ms: self.config.keep_alive_timeout,
        };
        let mut message = OutgoingMessage::server_response(ctx);
        let keep_alive = head.keep_alive;
        let head_upgrade = head.upgrade;
        let decoder = std::mem::replace(&mut head.body, Decoder::length(0));

        // `Expect` is only honoured on HTTP/1.1 (Node: httpVersionMajor === 1
        // && httpVersionMinor === 1).
        let mut delivery = Delivery::Request;
        if let (true, Some(IncomingValue::Single(expect))) = (http_1_1, head.headers.get("expect"))
        {
            let listeners = self.config.listeners;
            if expects_continue(&expect) {
                if listeners.check_continue {
                    // Node sets `res._expect_continue`: a final status sent
                    // without `writeContinue()` closes the connection.
                    message.set_expect_continue();
                    delivery = Delivery::CheckContinue;
                } else {
                    message.write_continue();
                }
            } else if listeners.check_expectation {
                delivery = Delivery::CheckExpectation;
            } else {
                // No 'checkExpectation' listener: `res.writeHead(417); res.end()`.
                delivery = Delivery::Hidden;
                let _ = message.write_head(417, None, &[], &self.date);
                let _ = message.end(None, &self.date);
            }
        }
        let visible = !matches!(delivery, Delivery::Hidden);
        self.pending.push_back(Pending::new(id, message, visible));
        match delivery {
            Delivery::Request => self.events.push_back(ConnEvent::Request { id, head }),
            Delivery::CheckContinue => self.events.push_back(ConnEvent::CheckContinue { id, head }),
            Delivery::CheckExpectation => self
                .events
                .push_back(ConnEvent::CheckExpectation { id, head }),
            Delivery::Hidden => {}
        }
        self.reading = Reading::Body {
            id,
            decoder,
            visible,
            keep_alive,
            upgrade: head_upgrade,
            timeout_listener: false,
        };
        self.pump();
        Ok(true)
    }

    fn read_body(&mut self) -> Result<bool, ParseError> {
        let Reading::Body {
            id,
            ref mut decoder,
            visible,
            keep_alive,
            upgrade,
            ..
        } = self.reading
        else {
            return Ok(false);
        };
        let decoded = decoder.decode(&self.input, &self.config.parser)?;
        if visible && !decoded.data.is_empty() {
            let chunk = self.input[decoded.data.clone()].to_vec();
            self.events.push_back(ConnEvent::Data { id, chunk });
        }
        self.input.drain(..decoded.consumed);
        if let Some(trailers) = decoded.end {
            self.request_complete(id, visible, keep_alive, trailers);
            if upgrade {
                // llhttp pauses after an upgrade request and Node, with no
                // 'upgrade' listener, drops the rest of that read.
                self.input.clear();
            }
            return Ok(true);
        }
        if decoded.consumed == 0 && self.input.len() > self.config.parser.raw_head_limit() {
            // A chunk-size line or trailer section that never ends.
            return Err(header_overflow().at(self.input.len()));
        }
        Ok(decoded.consumed > 0)
    }

    fn request_complete(
        &mut self,
        id: RequestId,
        visible: bool,
        keep_alive: bool,
        trailers: IncomingHeaders,
    ) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.request_complete = true;
        }
        if visible {
            self.events.push_back(ConnEvent::End { id, trailers });
            self.events.push_back(ConnEvent::RequestClose { id });
        }
        self.reading = if keep_alive {
            Reading::Head
        } else {
            Reading::Closed
        };
    }

    /// Node's `socketOnError` for a request that does not parse. With a
    /// `clientError` listener the socket is handed over as it is. Without
    /// one: reply 400 (431 for an oversized head) unless the in-flight
    /// response has started, then destroy the socket.
    fn client_error(
        &mut self,
        error: ParseError,
        bytes_parsed: Option<usize>,
        raw_packet: Option<Vec<u8>>,
    ) {
        self.socket_error_seen = true;
        let handed_over = self.config.listeners.client_error;
        if handed_over {
            self.hand_over();
        } else if !self.pending.front().is_some_and(|p| p.started) {
            let reply = if error.code == ParseErrorCode::HeaderOverflow {
                HEADER_FIELDS_TOO_LARGE
            } else {
                BAD_REQUEST
            };
            // What is already in `output` Node has handed to the socket
            // (an automatic 417, a `100 Continue`, an ended front response):
            // it leaves first. Responses not yet written are lost.
            self.output.extend_from_slice(reply);
        }
        self.events.push_back(ConnEvent::ClientError {
            // Node's `prepareError`: `err.message = 'Parse Error: ' + reason`.
            error: Box::new(error.into()),
            bytes_parsed,
            raw_packet,
            handed_over,
        });
        if !handed_over {
            // `socket.destroy()` right after the write: the reply still
            // leaves, nothing else does.
            self.stop_reading();
            self.closing = true;
        }
    }
}

fn header_overflow() -> ParseError {
    ParseError::new(ParseErrorCode::HeaderOverflow, "Header overflow")
}

/// Only CR and LF bytes: what llhttp skips between messages.
fn only_line_ends(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Node's `continueExpression`: `/(?:^|\W)100-continue(?:$|\W)/i`.
fn expects_continue(expect: &str) -> bool {
    has_word(expect, "100-continue")
}

/// Node's `chunkExpression` on `req.headers.te`.
fn te_is_chunked(headers: &IncomingHeaders) -> bool {
    matches!(headers.get("te"), Some(IncomingValue::Single(te)) if has_word(&te, "chunked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Thu, 26 Nov 2026 21:54:52 GMT";

    fn conn() -> ServerConnection {
        ServerConnection::new(ServerConfig::default(), 0)
    }

    fn events(c: &mut ServerConnection) -> Vec<ConnEvent> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    /// Event names with ids, for compact assertions.
    fn names(events: &[ConnEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                ConnEvent::Request { id, head } => {
                    format!("request{id} {} {}", head.method, head.url)
                }
                ConnEvent::Data { id, chunk } => {
                    format!("data{id} {}", String::from_utf8_lossy(chunk))
                }
                ConnEvent::End { id, .. } => format!("end{id}"),
                ConnEvent::Aborted { id } => format!("aborted{id}"),
                ConnEvent::RequestClose { id } => format!("reqclose{id}"),
                ConnEvent::Finish { id } => format!("finish{id}"),
                ConnEvent::ResponseClose { id, .. } => format!("resclose{id}"),
                ConnEvent::Drain { id } => format!("drain{id}"),
                ConnEvent::ClientError {
                    error, handed_over, ..
                } => {
                    let how = if *handed_over { " handed over" } else { "" };
                    format!("clientError {}{how}", error.code)
                }
                ConnEvent::CheckContinue { id, head } => {
                    format!("checkContinue{id} {} {}", head.method, head.url)
                }
                ConnEvent::CheckExpectation { id, head } => {
                    format!("checkExpectation{id} {} {}", head.method, head.url)
                }
                ConnEvent::Upgrade { id, head, rest } => {
                    format!("upgrade{id} {} {}", head.url, String::from_utf8_lossy(rest))
                }
                ConnEvent::Connect { id, head, rest } => {
                    format!("connect{id} {} {}", head.url, String::from_utf8_lossy(rest))
                }
                ConnEvent::WriteCallback { id, ticket } => format!("cb{id}.{ticket}"),
                ConnEvent::Timeout {
                    request,
                    response,
                    server,
                } => format!("timeout req={request:?} res={response:?} server={server}"),
            })
            .collect()
    }

    fn take_output(c: &mut ServerConnection) -> String {
        let out = String::from_utf8_lossy(c.output()).into_owned();
        let n = c.output().len();
        c.consume_output(n, 0);
        out
    }

    fn end_with(c: &mut ServerConnection, id: RequestId, body: &str) {
        let res = c.response(id).expect("response owed");
        res.end(Some(body.as_bytes()), DATE).expect("end");
        c.pump();
    }

    #[test]
    fn keep_alive_request_and_response() {
        let mut c = conn();
        c.handle_input(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 0);
        assert_eq!(
            names(&events(&mut c)),
            ["request0 GET /a", "end0", "reqclose0"]
        );
        end_with(&mut c, 0, "hi");
        assert_eq!(
            take_output(&mut c),
            format!("HTTP/1.1 200 OK\r\nDate: {DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nhi")
        );
        assert_eq!(names(&events(&mut c)), ["finish0", "resclose0"]);
        assert!(!c.is_done());
        assert!(c.wants_read());
        // Idle: Node's keepAliveTimeout, exactly.
        assert_eq!(c.poll_timeout(), Some(5000));
        c.handle_timeout(4999);
        assert!(!c.is_done());
        c.handle_timeout(5000);
        assert!(c.is_done());
    }

    #[test]
    fn body_is_streamed_then_ends() {
        let mut c = conn();
        c.handle_input(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 0);
        c.handle_input(b"cde", 0);
        assert_eq!(
            names(&events(&mut c)),
            [
                "request0 POST /",
                "data0 ab",
                "data0 cde",
                "end0",
                "reqclose0"
            ]
        );
    }

    #[test]
    fn pipelined_responses_leave_in_request_order() {
        let mut c = conn();
        c.handle_input(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 0);
        assert_eq!(
            names(&events(&mut c)),
            [
                "request0 GET /1",
                "end0",
                "reqclose0",
                "request1 GET /2",
                "end1",
                "reqclose1"
            ]
        );
        end_with(&mut c, 1, "two");
        assert_eq!(c.output(), b"", "the second response waits for the first");
        end_with(&mut c, 0, "one");
        let out = take_output(&mut c);
        let one = out.find("\r\n\r\none").expect("first response");
        let two = out.find("\r\n\r\ntwo").expect("second response");
        assert!(one < two);
        assert_eq!(
            names(&events(&mut c)),
            ["finish0", "resclose0", "finish1", "resclose1"]
        );
    }

    #[test]
    fn every_split_gives_the_same_events() {
        let input: &[u8] = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /y HTTP/1.1\r\n\r\n";
        let mut whole = conn();
        whole.handle_input(input, 0);
        let expected: Vec<String> = names(&events(&mut whole))
            .into_iter()
            .filter(|n| !n.starts_with("data"))
            .collect();
        assert_eq!(
            expected,
            [
                "request0 POST /x",
                "end0",
                "reqclose0",
                "request1 GET /y",
                "end1",
                "reqclose1"
            ]
        );
        for at in 1..input.len() {
            let mut c = conn();
            c.handle_input(&input[..at], 0);
            c.handle_input(&input[at..], 0);
            let got = events(&mut c);
            let body: String = got
                .iter()
                .filter_map(|e| match e {
                    ConnEvent::Data { chunk, .. } => {
                        Some(String::from_utf8_lossy(chunk).into_owned())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(body, "abc", "split at {at}");
            let rest: Vec<String> = names(&got)
                .into_iter()
                .filter(|n| !n.starts_with("data"))
                .collect();
            assert_eq!(rest, expected, "split at {at}");
        }
    }

    #[test]
    fn connection_close_ends_the_socket_after_the_response() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0);
        events(&mut c);
        assert!(!c.wants_read());
        end_with(&mut c, 0, "x");
        let out = take_output(&mut c);
        assert!(out.contains("Connection: close\r\n"), "{out}");
        assert!(c.is_done());
    }

    #[test]
    fn bytes_after_connection_close_replace_the_response_with_400() {
        let mut c = conn();
        c.handle_input(
            b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            0,
        );
        let ev = names(&events(&mut c));
        assert!(
            ev.contains(&"clientError HPE_CLOSED_CONNECTION".to_string()),
            "{ev:?}"
        );
        assert_eq!(take_output(&mut c), String::from_utf8_lossy(BAD_REQUEST));
        assert!(c.is_done());
        assert!(c.response(0).is_none());
    }

    #[test]
    fn oversized_head_gets_431() {
        let mut c = conn();
        let long = "a".repeat(9000);
        c.handle_input(format!("GET /{long} HTTP/1.1\r\n").as_bytes(), 0);
        assert_eq!(names(&events(&mut c)), ["clientError HPE_HEADER_OVERFLOW"]);
        assert_eq!(
            take_output(&mut c),
            String::from_utf8_lossy(HEADER_FIELDS_TOO_LARGE)
        );
        assert!(c.is_done());
    }

    #[test]
    fn continue_is_sent_before_the_body_is_read() {
        let mut c = conn();
        c.handle_input(
            b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
            0,
        );
        assert_eq!(take_output(&mut c), "HTTP/1.1 100 Continue\r\n\r\n");
        c.handle_input(b"ok", 0);
        assert_eq!(
            names(&events(&mut c)),
            ["request0 POST /", "data0 ok", "end0", "reqclose0"]
        );
    }

    #[test]
    fn other_expectations_get_417_without_a_request_event() {
        let mut c = conn();
        c.handle_input(b"POST / HTTP/1.1\r\nExpect: nope\r\nContent-Length: 2\r\n\r\nokGET /next HTTP/1.1\r\n\r\n", 0);
        let out = take_output(&mut c);
        assert!(
            out.starts_with("HTTP/1.1 417 Expectation Failed\r\n"),
            "{out}"
        );
        assert!(
            out.ends_with("Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            "{out}"
        );
        assert_eq!(
            names(&events(&mut c)),
            ["request1 GET /next", "end1", "reqclose1"]
        );
    }

    #[test]
    fn eof_inside_a_request_is_a_400() {
        let mut c = conn();
        c.handle_input(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 0);
        c.handle_eof();
        let ev = names(&events(&mut c));
        assert_eq!(
            ev,
            [
                "request0 POST /",
                "data0 ab",
                "clientError HPE_INVALID_EOF_STATE",
                "aborted0",
                "reqclose0",
                "resclose0"
            ]
        );
        assert_eq!(take_output(&mut c), String::from_utf8_lossy(BAD_REQUEST));
        assert!(c.is_done());
    }

    #[test]
    fn half_close_aborts_what_is_owed_and_closes_after_what_is_written() {
        let mut c = conn();
        c.handle_input(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        end_with(&mut c, 0, "one");
        c.handle_eof();
        // Node's abortIncoming: the unanswered request is dropped; the
        // answered one is still written, then the socket ends.
        assert_eq!(names(&events(&mut c)), ["resclose1"]);
        assert!(c.response(1).is_none());
        assert!(!c.is_done());
        assert!(take_output(&mut c).ends_with("one"));
        assert!(c.is_done());
    }

    #[test]
    fn eof_ends_a_read_until_close_body() {
        let insecure = ServerConfig {
            parser: ParserOptions {
                insecure: true,
                ..ParserOptions::default()
            },
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(insecure, 0);
        c.handle_input(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nzz", 0);
        c.handle_eof();
        let ev = names(&events(&mut c));
        assert_eq!(
            ev,
            [
                "request0 POST /",
                "data0 zz",
                "end0",
                "reqclose0",
                "resclose0"
            ]
        );
        assert_eq!(
            c.output(),
            b"",
            "Node answers nothing: the request was aborted"
        );
        assert!(c.is_done());
    }

    #[test]
    fn keep_alive_timer_runs_through_a_partial_head() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        end_with(&mut c, 0, "x");
        let n = c.output().len();
        c.consume_output(n, 100);
        assert_eq!(c.poll_timeout(), Some(5100));
        c.handle_input(b"GET /slow HT", 1000);
        assert_eq!(c.poll_timeout(), Some(6000), "activity restarts the timer");
        c.handle_timeout(6000);
        assert!(c.is_done());
    }

    #[test]
    fn http_1_0_closes_after_the_response() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.0\r\n\r\n", 0);
        events(&mut c);
        end_with(&mut c, 0, "old");
        let out = take_output(&mut c);
        assert_eq!(
            out,
            format!("HTTP/1.1 200 OK\r\nDate: {DATE}\r\nConnection: close\r\n\r\nold")
        );
        assert!(c.is_done());
    }

    #[test]
    fn connect_without_listener_closes_silently() {
        let mut c = conn();
        c.handle_input(
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            0,
        );
        assert!(names(&events(&mut c)).is_empty());
        assert_eq!(c.output(), b"");
        assert!(c.is_done());
    }

    #[test]
    fn client_reset_aborts_the_request() {
        let mut c = conn();
        c.handle_input(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab", 0);
        c.handle_reset();
        let ev = names(&events(&mut c));
        assert_eq!(
            ev,
            [
                "request0 POST /",
                "data0 ab",
                "aborted0",
                "reqclose0",
                "resclose0"
            ]
        );
        assert!(c.is_done());
    }

    #[test]
    fn write_reports_the_high_water_mark_and_drains() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        let big = vec![b'x'; HIGH_WATER_MARK];
        c.response(0)
            .expect("owed")
            .write(&big, DATE)
            .expect("write");
        c.pump();
        assert!(!c.note_write(0));
        take_output(&mut c);
        assert_eq!(names(&events(&mut c)), ["drain0"]);
    }

    #[test]
    fn stray_line_ends_are_not_requests() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n\r\n", 0);
        assert_eq!(
            names(&events(&mut c)),
            ["request0 GET /", "end0", "reqclose0"]
        );
        let mut c = conn();
        c.handle_input(b"\r\n", 0);
        c.handle_eof();
        assert!(names(&events(&mut c)).is_empty());
        assert_eq!(c.output(), b"");
        assert!(c.is_done());
    }

    #[test]
    fn upgrade_without_listener_is_served_and_drops_the_rest_of_the_read() {
        let mut c = conn();
        c.handle_input(
            b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
            0,
        );
        assert_eq!(
            names(&events(&mut c)),
            ["request0 GET /ws", "end0", "reqclose0"]
        );
        c.handle_input(b"GET /next HTTP/1.1\r\n\r\n", 0);
        assert_eq!(
            names(&events(&mut c)),
            ["request1 GET /next", "end1", "reqclose1"]
        );
    }

    #[test]
    fn a_response_stays_readable_until_close_hands_it_back() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        let res = c.response(0).expect("owed");
        res.set_status_code(404);
        res.end(None, DATE).expect("end");
        c.pump();
        assert_eq!(
            c.response(0).map(|r| r.status_code()),
            Some(404),
            "ended, not yet written"
        );
        take_output(&mut c);
        let closed = events(&mut c).into_iter().find_map(|e| match e {
            ConnEvent::ResponseClose { response, .. } => Some(response),
            _ => None,
        });
        assert_eq!(closed.map(|r| r.status_code()), Some(404));
        assert!(c.response(0).is_none());
    }

    #[test]
    fn server_timeout_destroys_an_inactive_socket() {
        let config = ServerConfig {
            timeout: 1000,
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        assert_eq!(
            c.poll_timeout(),
            Some(1000),
            "runs from the connection's start"
        );
        c.handle_input(b"GET / HTT", 600);
        assert_eq!(c.poll_timeout(), Some(1600), "reads restart it");
        c.handle_timeout(1599);
        assert!(!c.is_done());
        c.handle_timeout(1600);
        assert!(c.is_done());
        let mut off = ServerConnection::new(
            ServerConfig {
                timeout: 0,
                ..config
            },
            0,
        );
        assert_eq!(off.poll_timeout(), None, "0 disables it");
        off.handle_timeout(u64::MAX);
        assert!(!off.is_done());
    }

    #[test]
    fn headers_timeout_cuts_off_a_head_that_trickles_in() {
        let config = ServerConfig {
            headers_timeout: 1000,
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        for (i, byte) in b"GET / HTTP/1.1\r\nX: ".iter().enumerate() {
            c.handle_input(&[*byte], i as u64 * 60);
        }
        // 19 bytes at 60 ms apart: the 18th arrives at 1020 ms, past the limit.
        assert!(c.is_done());
        assert!(names(&events(&mut c)).is_empty());
        assert_eq!(c.output(), b"", "no response: the socket is destroyed");

        // A second request's clock starts at its own first byte.
        let mut c = ServerConnection::new(config, 0);
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 10);
        events(&mut c);
        end_with(&mut c, 0, "x");
        take_output(&mut c);
        events(&mut c);
        c.handle_input(b"GET /2 HT", 5000);
        c.handle_input(b"TP/1.1\r\n\r\n", 5900);
        assert_eq!(
            names(&events(&mut c)),
            ["request1 GET /2", "end1", "reqclose1"]
        );
    }

    #[test]
    fn idle_means_waiting_for_the_next_request() {
        let mut c = conn();
        assert!(c.is_idle(), "a new connection");
        c.handle_input(b"GET / HT", 0);
        assert!(!c.is_idle(), "a head is arriving");
        c.handle_input(b"TP/1.1\r\n\r\n", 0);
        events(&mut c);
        assert!(!c.is_idle(), "a response is owed");
        end_with(&mut c, 0, "x");
        assert!(!c.is_idle(), "bytes are left to write");
        take_output(&mut c);
        assert!(c.is_idle());
    }

    #[test]
    fn expectation_words() {
        assert!(expects_continue("100-continue"));
        assert!(expects_continue("foo, 100-Continue"));
        assert!(!expects_continue("100-continuex"));
        assert!(!expects_continue(""));
    }

    fn conn_with(listeners: Listeners) -> ServerConnection {
        let config = ServerConfig {
            listeners,
            ..ServerConfig::default()
        };
        ServerConnection::new(config, 0)
    }

    /// Feed `input` split at `at`, the two reads at time 0.
    fn split_feed(c: &mut ServerConnection, input: &[u8], at: usize) {
        c.handle_input(&input[..at], 0);
        c.handle_input(&input[at..], 0);
    }

    // Timeouts. Node v20 recordings (/tmp/j2/timeout.js: a server as
    // node_echo.js configures it, a raw client on 127.0.0.1):
    // A. `server.setTimeout(200, cb)`, idle client, a request at 1000 ms:
    //    `211ms server timeout`, `1212ms server timeout` (once while idle,
    //    re-armed by the read).
    // B. `server.timeout = 0`; in 'request': `req.setTimeout(200, cb)`,
    //    `res.on('timeout')`; body `ab` then `cd` 500 ms later: `202ms req
    //    timeout complete=false`, `202ms res timeout`, `501ms data cd`,
    //    `502ms end`, `702ms res timeout` (the complete request is not told).
    // C. `server.timeout = 0`, `res.setTimeout(100, cb)`: `101ms res timeout`.

    #[test]
    fn a_server_timeout_listener_keeps_the_socket_and_hears_once_per_idle_spell() {
        let listeners = Listeners {
            timeout: true,
            ..Listeners::default()
        };
        let config = ServerConfig {
            timeout: 200,
            listeners,
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        c.handle_timeout(200);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=None res=None server=true"]
        );
        assert!(!c.is_done());
        assert_eq!(c.poll_timeout(), None, "quiet until the socket is active");
        c.handle_timeout(900);
        assert!(names(&events(&mut c)).is_empty());
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 1000);
        assert_eq!(c.poll_timeout(), Some(1200), "the read re-armed it");
        events(&mut c);
        c.handle_timeout(1200);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=None res=None server=true"]
        );
    }

    #[test]
    fn request_and_response_timeout_listeners_keep_the_socket() {
        let config = ServerConfig {
            timeout: 0,
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        assert_eq!(c.poll_timeout(), None);
        c.handle_input(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", 1);
        events(&mut c);
        c.set_message_timeout(0, Role::Request, Some(200), true, 2);
        c.set_message_timeout(0, Role::Response, None, true, 2);
        assert_eq!(c.poll_timeout(), Some(202));
        c.handle_timeout(202);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=Some(0) res=Some(0) server=false"]
        );
        c.handle_input(b"cd", 501);
        assert_eq!(names(&events(&mut c)), ["data0 cd", "end0", "reqclose0"]);
        c.handle_timeout(701);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=None res=Some(0) server=false"],
            "a complete request is not told"
        );
        assert!(!c.is_done());
    }

    #[test]
    fn response_set_timeout_sets_the_socket_timeout() {
        let config = ServerConfig {
            timeout: 0,
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 1);
        events(&mut c);
        c.set_message_timeout(0, Role::Response, Some(100), true, 1);
        c.handle_timeout(101);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=None res=Some(0) server=false"]
        );
        // Without a listener anywhere the socket is destroyed.
        let mut c = ServerConnection::new(config, 0);
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 1);
        events(&mut c);
        c.set_message_timeout(0, Role::Response, Some(100), false, 1);
        c.handle_timeout(101);
        assert!(c.is_done());
        assert_eq!(names(&events(&mut c)), ["resclose0"]);
    }

    #[test]
    fn a_pipelined_response_sets_the_timeout_when_it_gets_the_socket() {
        let mut c = conn();
        c.handle_input(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        c.set_message_timeout(1, Role::Response, Some(50), true, 10);
        assert_eq!(c.poll_timeout(), Some(120_000), "not yet its socket");
        end_with(&mut c, 0, "one");
        assert_eq!(c.socket_timeout(), 50);
        assert_eq!(c.poll_timeout(), Some(50));
    }

    #[test]
    fn server_timeout_changes_apply_after_a_keep_alive_wait() {
        // v12 docs: "changing this value only affects new connections";
        // Node's `resetSocketTimeout` reads it when a request follows a
        // keep-alive wait. (Node v20: `server.setTimeout(100)` 50 ms into an
        // idle connection: no timeout within 600 ms.)
        let mut c = conn();
        c.set_server_timeout(1000);
        assert_eq!(c.poll_timeout(), Some(120_000));
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        end_with(&mut c, 0, "x");
        let n = c.output().len();
        c.consume_output(n, 10);
        assert_eq!(c.socket_timeout(), 5000, "keepAliveTimeout, exactly");
        c.handle_input(b"GET /2 HT", 20);
        assert_eq!(c.socket_timeout(), 5000, "a partial head does not reset it");
        c.handle_input(b"TP/1.1\r\n\r\n", 30);
        assert_eq!(c.socket_timeout(), 1000);
        assert_eq!(c.poll_timeout(), Some(1030));
    }

    #[test]
    fn headers_timeout_goes_to_a_server_timeout_listener() {
        let config = ServerConfig {
            headers_timeout: 1000,
            listeners: Listeners {
                timeout: true,
                ..Listeners::default()
            },
            ..ServerConfig::default()
        };
        let mut c = ServerConnection::new(config, 0);
        c.handle_input(b"GET / HTTP/1.1\r\n", 500);
        c.handle_input(b"X: 1\r\n", 1001);
        assert_eq!(
            names(&events(&mut c)),
            ["timeout req=None res=None server=true"]
        );
        assert!(!c.is_done());
    }

    // Expectations. Node v20 (/tmp/j2/expect.js), with a 'checkContinue'
    // listener that, for /yes, calls writeProcessing(), writeContinue() and
    // ends with 'ok' after the body; for /no, writeHead(401); end('no'):
    // events `checkContinue /yes`, `data hi`, `end`, `checkContinue /no`, then
    // the socket closes; bytes (Date removed) below.

    const CHECK_CONTINUE_INPUT: &[u8] = b"POST /yes HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhiPOST /no HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";

    fn check_continue_app(c: &mut ServerConnection) -> Vec<String> {
        fn res(c: &mut ServerConnection, id: RequestId) -> &mut OutgoingMessage {
            c.response(id).expect("owed")
        }
        let mut seen = Vec::new();
        while let Some(event) = c.poll_event() {
            seen.extend(names(std::slice::from_ref(&event)));
            match event {
                ConnEvent::CheckContinue { id, head } if head.url == "/yes" => {
                    res(c, id).write_processing();
                    res(c, id).write_continue();
                }
                ConnEvent::End { id: 0, .. } => {
                    res(c, 0).end(Some(b"ok"), DATE).expect("end");
                }
                ConnEvent::CheckContinue { id, .. } => {
                    res(c, id).write_head(401, None, &[], DATE).expect("head");
                    res(c, id).end(Some(b"no"), DATE).expect("end");
                }
                _ => {}
            }
            c.pump();
        }
        seen
    }

    #[test]
    fn check_continue_leaves_the_100_to_the_application() {
        let listeners = Listeners {
            check_continue: true,
            ..Listeners::default()
        };
        let expected = format!(
            "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n\
             HTTP/1.1 200 OK\r\nDate: {DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok\
             HTTP/1.1 401 Unauthorized\r\nDate: {DATE}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"
        );
        for at in 1..CHECK_CONTINUE_INPUT.len() {
            let mut c = conn_with(listeners);
            c.handle_input(&CHECK_CONTINUE_INPUT[..at], 0);
            let mut seen = check_continue_app(&mut c);
            c.handle_input(&CHECK_CONTINUE_INPUT[at..], 0);
            seen.extend(check_continue_app(&mut c));
            let out = take_output(&mut c);
            seen.extend(check_continue_app(&mut c));
            seen.retain(|e| !e.starts_with("data"));
            assert_eq!(out, expected, "split at {at}");
            assert_eq!(
                seen,
                [
                    "checkContinue0 POST /yes",
                    "end0",
                    "reqclose0",
                    "checkContinue1 POST /no",
                    "finish0",
                    "resclose0",
                    "finish1",
                    "resclose1"
                ],
                "split at {at}"
            );
            assert!(c.is_done(), "a final status without 100 closes");
        }
    }

    #[test]
    fn check_expectation_replaces_the_automatic_417() {
        // Node v20: `checkExpectation foo`, `data hi`, `end`, then with no
        // 'checkContinue' listener `request /100` after an automatic 100.
        let listeners = Listeners {
            check_expectation: true,
            ..Listeners::default()
        };
        let mut c = conn_with(listeners);
        c.handle_input(
            b"POST / HTTP/1.1\r\nExpect: foo\r\nContent-Length: 2\r\n\r\nhi",
            0,
        );
        assert_eq!(
            names(&events(&mut c)),
            ["checkExpectation0 POST /", "data0 hi", "end0", "reqclose0"]
        );
        end_with(&mut c, 0, "x");
        assert_eq!(
            take_output(&mut c),
            format!("HTTP/1.1 200 OK\r\nDate: {DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx")
        );
        events(&mut c);
        c.handle_input(b"GET /100 HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 0);
        assert_eq!(take_output(&mut c), "HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(
            names(&events(&mut c)),
            ["request1 GET /100", "end1", "reqclose1"]
        );
    }

    // clientError with a listener. Node v20 (/tmp/j2/cerr.js), a listener
    // that writes nothing; `GET /a` answered 300 ms later: `request /a`,
    // `clientError HPE_INVALID_HEADER_TOKEN bytesParsed=45 raw="GET /a
    // ...BAD LINE\r\n\r\n" writable=true`, `res0 end`, `finish`, `res close`;
    // the client got only the 200 (no 400), and the socket stayed open.

    #[test]
    fn client_error_listener_takes_the_socket_and_owed_responses_still_go() {
        let listeners = Listeners {
            client_error: true,
            ..Listeners::default()
        };
        let input: &[u8] = b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nX: 1\r\nBAD LINE\r\n\r\n";
        for at in 1..input.len() {
            let mut c = conn_with(listeners);
            split_feed(&mut c, input, at);
            let got = events(&mut c);
            assert_eq!(
                names(&got),
                [
                    "request0 GET /a",
                    "end0",
                    "reqclose0",
                    "clientError HPE_INVALID_HEADER_TOKEN handed over"
                ],
                "split at {at}"
            );
            let Some(ConnEvent::ClientError {
                raw_packet,
                bytes_parsed,
                ..
            }) = got.last()
            else {
                panic!("clientError last");
            };
            let packet = raw_packet.as_deref().expect("rawPacket");
            assert!(
                packet == &input[..at] || packet == &input[at..],
                "the read that failed, split at {at}"
            );
            // The space in "BAD LINE" is byte 45, in whichever read has it.
            let expected = if at > 45 { 45 } else { 45 - at };
            assert_eq!(*bytes_parsed, Some(expected), "split at {at}");
            assert!(c.is_handed_over());
            assert!(!c.wants_read());
            assert_eq!(c.poll_timeout(), None);
            assert_eq!(c.output(), b"", "no 400");
            assert!(!c.is_done(), "the socket is the listener's");
            assert!(c.has_responses_owed());
            c.handle_input(b"MORE\r\n\r\n", 0);
            assert!(names(&events(&mut c)).is_empty(), "read raw now");
            end_with(&mut c, 0, "late");
            assert_eq!(
                String::from_utf8_lossy(&c.take_pending_output()),
                format!("HTTP/1.1 200 OK\r\nDate: {DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 4\r\n\r\nlate")
            );
            assert_eq!(names(&events(&mut c)), ["finish0", "resclose0"]);
            assert!(!c.has_responses_owed());
            assert!(!c.is_done());
        }
    }

    #[test]
    fn client_error_without_listener_reports_the_packet() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\n\r\nBAD LINE\r\n\r\n", 0);
        let got = events(&mut c);
        let Some(ConnEvent::ClientError {
            error,
            bytes_parsed,
            raw_packet,
            handed_over,
        }) = got
            .iter()
            .find(|e| matches!(e, ConnEvent::ClientError { .. }))
        else {
            panic!("clientError");
        };
        assert_eq!(error.code, "HPE_INVALID_METHOD");
        assert_eq!(error.message, "Parse Error: Invalid method encountered");
        // Node v20: 19, the `A` of `BAD` (no method starts with `BA`).
        assert_eq!(*bytes_parsed, Some(19));
        assert_eq!(raw_packet.as_deref().map(<[u8]>::len), Some(30));
        assert!(!handed_over);
    }

    #[test]
    fn eof_in_a_head_goes_to_the_client_error_listener() {
        let listeners = Listeners {
            client_error: true,
            ..Listeners::default()
        };
        let mut c = conn_with(listeners);
        c.handle_input(b"GET / HT", 0);
        c.handle_eof();
        let got = events(&mut c);
        assert_eq!(
            names(&got),
            ["clientError HPE_INVALID_EOF_STATE handed over"]
        );
        assert!(matches!(
            got.first(),
            Some(ConnEvent::ClientError {
                bytes_parsed: None,
                raw_packet: None,
                ..
            })
        ));
        assert_eq!(c.output(), b"");
        assert!(!c.is_done());
    }

    #[test]
    fn a_reset_goes_to_the_client_error_listener_once() {
        // Node v20, a client resetting mid-body: `clientError ECONNRESET read
        // ECONNRESET bytesParsed=undefined writable=false`, `aborted`, res
        // `close`, req `close`.
        let listeners = Listeners {
            client_error: true,
            ..Listeners::default()
        };
        let mut c = conn_with(listeners);
        c.handle_input(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", 0);
        events(&mut c);
        c.handle_reset();
        let got = events(&mut c);
        assert_eq!(
            names(&got),
            [
                "clientError ECONNRESET",
                "aborted0",
                "reqclose0",
                "resclose0"
            ]
        );
        assert!(
            matches!(got.first(), Some(ConnEvent::ClientError { error, .. }) if error.message == "read ECONNRESET")
        );
        assert!(c.is_done());
        c.handle_reset();
        assert!(events(&mut c).is_empty());
    }

    // Upgrade and CONNECT. Node v20 (/tmp/j2/upg.js), 'upgrade' listener,
    // `GET /a` (answered 200 ms later) pipelined before `GET /ws` (Connection:
    // Upgrade, Content-Length: 3) and `xyzREST`: `request /a`, `upgrade /ws
    // head="xyzREST" complete=true` at once, then `res0 end`, `finish`, `res
    // close`; the 101 the listener wrote reached the wire before /a's 200.

    #[test]
    fn upgrade_listener_takes_the_socket_with_the_bytes_after_the_head() {
        let listeners = Listeners {
            upgrade: true,
            ..Listeners::default()
        };
        let input: &[u8] = b"GET /a HTTP/1.1\r\n\r\nGET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nxyzREST";
        let head_end = input.len() - b"xyzREST".len();
        for at in 1..input.len() {
            let mut c = conn_with(listeners);
            c.handle_input(&input[..at], 0);
            let mut got = events(&mut c);
            let handed_before = c.is_handed_over();
            c.handle_input(&input[at..], 0);
            got.extend(events(&mut c));
            // Bytes after a hand-over are the raw socket's first read.
            let raw = if handed_before { &input[at..] } else { b"" };
            let rest = match got.last() {
                Some(ConnEvent::Upgrade { rest, .. }) => [rest.as_slice(), raw].concat(),
                _ => panic!("upgrade last, split at {at}"),
            };
            assert_eq!(rest, b"xyzREST", "split at {at}");
            assert_eq!(handed_before, at >= head_end, "split at {at}");
            assert_eq!(
                names(&got)[..3],
                ["request0 GET /a", "end0", "reqclose0"],
                "split at {at}"
            );
            assert!(c.is_handed_over() && !c.wants_read() && !c.is_done());
            end_with(&mut c, 0, "first");
            assert!(String::from_utf8_lossy(&c.take_pending_output()).ends_with("\r\n\r\nfirst"));
            assert_eq!(names(&events(&mut c)), ["finish0", "resclose0"]);
        }
    }

    #[test]
    fn upgrade_needs_connection_upgrade() {
        // Node v20: with an 'upgrade' listener, `Upgrade: websocket` alone
        // is a `request`.
        let listeners = Listeners {
            upgrade: true,
            ..Listeners::default()
        };
        let mut c = conn_with(listeners);
        c.handle_input(b"GET /x HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", 0);
        assert_eq!(
            names(&events(&mut c)),
            ["request0 GET /x", "end0", "reqclose0"]
        );
        assert!(!c.is_handed_over());
    }

    #[test]
    fn connect_listener_takes_the_socket_with_everything_after_the_head() {
        // Node v20: `connect a:1 head="hiGET / HTTP/1.1\r\n\r\n"` (the
        // Content-Length is not honoured; the tunnel starts after the head).
        let listeners = Listeners {
            connect: true,
            ..Listeners::default()
        };
        let mut c = conn_with(listeners);
        c.handle_input(
            b"CONNECT a:1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\n\r\n",
            0,
        );
        assert_eq!(
            names(&events(&mut c)),
            ["connect0 a:1 hiGET / HTTP/1.1\r\n\r\n"]
        );
        assert!(c.is_handed_over());
        assert!(!c.has_responses_owed());
        assert!(!c.is_done());
        // An 'upgrade' request with only a 'connect' listener is served.
        let mut c = conn_with(listeners);
        c.handle_input(
            b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            0,
        );
        assert_eq!(
            names(&events(&mut c)),
            ["request0 GET /ws", "end0", "reqclose0"]
        );
    }

    // cork and write callbacks. Node v20 (/tmp/j2/cork.js): cork() twice,
    // write('a', cb), write('b', cb), `writableCorked` 2, one uncork(),
    // 100 ms later uncork(), write('c', cb), end(cb): `cb a`, `cb b`, `cb c`,
    // `end cb` (a 'finish' listener), `finish`; the body as chunks 1/a 1/b 1/c.

    #[test]
    fn corked_bytes_stay_until_fully_uncorked_and_callbacks_precede_finish() {
        let mut c = conn();
        c.handle_input(b"GET / HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        c.cork(0);
        c.cork(0);
        let write = |c: &mut ServerConnection, chunk: &[u8]| {
            c.response(0)
                .expect("owed")
                .write(chunk, DATE)
                .expect("write");
            c.pump();
            c.note_write_callback(0).expect("ticket")
        };
        assert_eq!(write(&mut c, b"a"), 0);
        assert_eq!(write(&mut c, b"b"), 1);
        c.uncork(0);
        c.pump();
        assert_eq!(c.output(), b"", "still corked once");
        c.uncork(0);
        c.pump();
        assert!(take_output(&mut c).ends_with("1\r\na\r\n1\r\nb\r\n"));
        assert_eq!(names(&events(&mut c)), ["cb0.0", "cb0.1"]);
        c.cork(0);
        assert_eq!(write(&mut c, b"c"), 2);
        c.response(0).expect("owed").end(None, DATE).expect("end");
        c.pump();
        assert_eq!(
            String::from_utf8_lossy(c.output()),
            "1\r\nc\r\n0\r\n\r\n",
            "end() uncorks fully"
        );
        c.consume_output(5, 0);
        assert!(
            names(&events(&mut c)).is_empty(),
            "c's last byte not yet out"
        );
        c.consume_output(1, 0);
        assert_eq!(names(&events(&mut c)), ["cb0.2"]);
        take_output(&mut c);
        assert_eq!(names(&events(&mut c)), ["finish0", "resclose0"]);
    }

    #[test]
    fn a_pipelined_write_callback_follows_the_earlier_response() {
        let mut c = conn();
        c.handle_input(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 0);
        events(&mut c);
        c.response(1)
            .expect("owed")
            .write(b"two", DATE)
            .expect("write");
        c.pump();
        let ticket = c.note_write_callback(1).expect("ticket");
        assert!(names(&events(&mut c)).is_empty());
        end_with(&mut c, 0, "one");
        take_output(&mut c);
        assert_eq!(
            names(&events(&mut c)),
            ["finish0", "resclose0", format!("cb1.{ticket}").as_str()]
        );
        assert_eq!(c.note_write_callback(0), None, "ended and gone");
    }
}
