//! One client request on its socket, as Node's `lib/_http_client.js` runs it.
//!
//! [`ClientRequest`] is sans-IO. The runtime creates it with the serialized
//! request ([`OutgoingMessage`] in the client role), tells it when its socket
//! is assigned ([`ClientRequest::assign_socket`]) and connected, feeds it the
//! bytes read ([`ClientRequest::handle_input`]), the peer's end of stream, a
//! socket error, or the time; the embedder's calls reach the request through
//! [`ClientRequest::message`] followed by [`ClientRequest::pump`]. Out come
//! Node's events ([`ClientEvent`]), bytes for the socket, and finally the
//! socket's [`SocketFate`]: back to the Agent's pool, destroyed, or handed
//! to the app after an upgrade or CONNECT.
//!
//! Event orders are v12's documented ones (`http.request` in the reference):
//! - success: `socket`, `finish`, `response`, `data`…, `end`, `close`, then the
//!   response's `close`;
//! - connection error: `socket`, `error`, `close`;
//! - `abort()` before a response: `socket`, `abort`, `error` (`ECONNRESET`
//!   "socket hang up"), `close`;
//! - `abort()` after the response: `abort`, `aborted` (response), `close`,
//!   `end` (response), the response's `close`. A socket that closes under an
//!   incomplete response gives the same tail (v12's `socketCloseListener`);
//! - an upgrade (101) or any answer to CONNECT, with an `'upgrade'` /
//!   `'connect'` listener: `socket`, `finish`, `upgrade`/`connect`, `close`,
//!   then the bodiless response's `end` and `close` (what v20 shows for a
//!   response the app reads; no `response` event), and the socket leaves
//!   HTTP ([`SocketFate::Detach`]). Without the listener: `close` alone, and
//!   the socket is destroyed.

use std::collections::VecDeque;

use crate::decode::Decoder;
use crate::error::{NodeError, ParseError};
use crate::incoming::IncomingHeaders;
use crate::outgoing::{OutgoingMessage, HIGH_WATER_MARK};
use crate::parse::{ParserOptions, RequestKind, ResponseHead, ResponseHeadParser};

/// What the request tells the embedder, in Node's order.
#[derive(Debug)]
pub enum ClientEvent {
    /// `req 'socket'`: a socket (new or pooled) was assigned.
    Socket,
    /// `req 'finish'`: the last request byte was handed to the socket.
    Finish,
    /// `req 'drain'`: the request's buffer fell below the high-water mark.
    Drain,
    /// `req 'continue'`: a `100 Continue` arrived.
    Continue,
    /// `req 'information'`: a 1xx interim response other than 101.
    Information(Box<ResponseHead>),
    /// `req 'response'`.
    Response(Box<ResponseHead>),
    /// `req 'upgrade'`: a 101 with `Upgrade` to a request with an
    /// `'upgrade'` listener. `rest` is Node's `head` argument: the bytes read
    /// after the response head, which belong to the new protocol.
    Upgrade {
        head: Box<ResponseHead>,
        rest: Vec<u8>,
    },
    /// `req 'connect'`: any answer to a CONNECT request with a `'connect'`
    /// listener (Node looks at no status: a 407 opens the tunnel too).
    Connect {
        head: Box<ResponseHead>,
        rest: Vec<u8>,
    },
    /// `res 'data'`.
    Data(Vec<u8>),
    /// `res 'end'`, with the trailers (empty unless chunked with trailers).
    End { trailers: IncomingHeaders },
    /// `res 'aborted'`: the socket closed before the response completed.
    Aborted,
    /// `req 'abort'`.
    Abort,
    /// `req 'timeout'`: the socket was idle for the request's timeout.
    Timeout,
    /// `req 'error'`.
    Error(NodeError),
    /// `req 'close'`.
    RequestClose,
    /// `res 'close'`.
    ResponseClose,
}

/// What becomes of the socket once the request is done with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketFate {
    /// Node's `'free'`: the exchange completed on a kept-alive socket; the
    /// Agent may pool it or hand it to a queued request.
    Free,
    /// Close it once its output is written (`destroySoon`): the response
    /// said `Connection: close`, or the request was not kept alive.
    End,
    /// Close it now (`destroy`): an error, an abort, a peer that went away.
    Destroy,
    /// The socket leaves HTTP after an upgrade or CONNECT (Node's
    /// `agentRemove`): out of the Agent, handed to the app as a
    /// [`crate::socket::RawSocket`] (not half-open, as the Agent's sockets
    /// are), still open.
    Detach,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Socket {
    /// Waiting in the Agent's queue (or for the next tick).
    Unassigned,
    /// Assigned; `connect` has not completed yet: writes wait.
    Connecting,
    Connected,
    /// Detached: freed to the pool or destroyed.
    Released,
}

#[derive(Debug)]
enum Reading {
    /// Waiting for a status line (after any number of 1xx heads).
    Head,
    Body(Decoder),
    /// The response is complete (or the socket is gone).
    Done,
}

/// Where the response is in its life, for the close sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Response {
    None,
    /// `response` emitted, `end` not yet.
    Reading,
    /// Every body byte arrived (`res.complete`), `end` emitted.
    Ended,
}

/// A `ClientRequest` bound (eventually) to one socket.
#[derive(Debug)]
pub struct ClientRequest {
    message: OutgoingMessage,
    kind: RequestKind,
    parser: ParserOptions,
    head_parser: ResponseHeadParser,
    socket: Socket,
    reading: Reading,
    response: Response,
    /// Head bytes not parsed yet.
    input: Vec<u8>,
    /// Serialized request bytes taken from the message, not yet written.
    output: Vec<u8>,
    output_sent: usize,
    /// False once the response ruled out reuse (`Connection: close`, a
    /// body read until close, bytes after the response). Node's
    /// `req.shouldKeepAlive` is this and the message's own (the Agent's rule,
    /// or an explicit `Connection` header).
    reusable: bool,
    aborted: bool,
    destroyed: bool,
    /// Node's `socket._hadError`: an `error` was emitted; no "socket hang up" follows.
    had_error: bool,
    closed: bool,
    /// `'finish'` emitted (`writableFinished`).
    finished: bool,
    need_drain: bool,
    paused: bool,
    /// Data events stop after `abort()`/`destroy()` (Node's `res._dump()`).
    dumped: bool,
    /// An `'upgrade'` / `'connect'` listener is attached.
    upgrade_listener: bool,
    connect_listener: bool,
    /// Socket inactivity timeout in ms (0: none), and when the socket was last active.
    timeout: u64,
    last_activity: u64,
    /// `'timeout'` was emitted: it never is again for this request.
    timeout_fired: bool,
    fate: Option<SocketFate>,
    events: VecDeque<ClientEvent>,
}

impl ClientRequest {
    /// `new ClientRequest(...)` once the message is built: `kind` says how the
    /// response is framed (HEAD, CONNECT).
    pub fn new(message: OutgoingMessage, kind: RequestKind, parser: ParserOptions) -> Self {
        ClientRequest {
            message,
            kind,
            parser,
            head_parser: ResponseHeadParser::new(),
            socket: Socket::Unassigned,
            reading: Reading::Head,
            response: Response::None,
            input: Vec::new(),
            output: Vec::new(),
            output_sent: 0,
            reusable: true,
            aborted: false,
            destroyed: false,
            had_error: false,
            closed: false,
            finished: false,
            need_drain: false,
            paused: false,
            dumped: false,
            upgrade_listener: false,
            connect_listener: false,
            timeout: 0,
            last_activity: 0,
            timeout_fired: false,
            fate: None,
            events: VecDeque::new(),
        }
    }

    /// The request as an outgoing message, for the embedder's calls (header
    /// methods, `write`, `end`); call [`Self::pump`] after each.
    pub fn message(&mut self) -> &mut OutgoingMessage {
        &mut self.message
    }

    /// Node's `req.shouldKeepAlive` as the response leaves it.
    fn should_keep_alive(&self) -> bool {
        self.reusable && self.message.should_keep_alive()
    }

    /// `request.maxHeadersCount = n`, as the parser counts it (names and
    /// values); applies to heads not parsed yet.
    pub fn set_max_headers_count(&mut self, entries: usize) {
        self.parser.max_headers_count = entries;
    }

    /// Whether an `'upgrade'` listener is attached (`req.on('upgrade')`).
    pub fn set_upgrade_listener(&mut self, listening: bool) {
        self.upgrade_listener = listening;
    }

    /// Whether a `'connect'` listener is attached (`req.on('connect')`).
    pub fn set_connect_listener(&mut self, listening: bool) {
        self.connect_listener = listening;
    }

    /// Read-only view of the message.
    pub fn message_ref(&self) -> &OutgoingMessage {
        &self.message
    }

    /// Move what the message serialized toward the socket.
    pub fn pump(&mut self) {
        if self.closed {
            // Node drops output that never reached a socket (`outputData.length = 0`).
            self.message.output().clear();
            return;
        }
        let out = self.message.output();
        if !out.is_empty() {
            self.output.extend_from_slice(out);
            out.clear();
        }
        self.check_finished();
    }

    /// `request.write()`'s return value, after the write went through: false
    /// once `HIGH_WATER_MARK` bytes wait (before a socket, or on it); a
    /// `drain` event then follows.
    pub fn note_write(&mut self) -> bool {
        let ok = self.unsent() + self.message.buffered_len() < HIGH_WATER_MARK;
        if !ok {
            self.need_drain = true;
        }
        ok
    }

    /// `req.onSocket(socket)` on the next tick (`onSocketNT`): emits `socket`,
    /// or, for a request destroyed while it waited, ends it as Node's
    /// `_destroy` does (a "socket hang up" unless it was aborted) and gives the
    /// socket back.
    pub fn assign_socket(&mut self, now: u64) {
        if self.socket != Socket::Unassigned {
            return;
        }
        if self.destroyed {
            self.close_without_socket();
            self.fate = Some(SocketFate::Free);
            return;
        }
        self.socket = Socket::Connecting;
        self.last_activity = now;
        self.events.push_back(ClientEvent::Socket);
    }

    /// The socket's `connect` completed (at once for a pooled socket): the
    /// request's bytes may flow.
    pub fn connected(&mut self, now: u64) {
        if self.socket == Socket::Connecting {
            self.socket = Socket::Connected;
            self.last_activity = now;
        }
    }

    /// True for a request destroyed while it waits for a socket: the runtime
    /// takes it out of the Agent's queue and calls [`Self::drop_unassigned`].
    pub fn is_abandoned(&self) -> bool {
        self.socket == Socket::Unassigned && self.destroyed && !self.closed
    }

    /// A request the Agent never gave a socket to (aborted while queued):
    /// Node's `onSocketNT` path without a socket.
    pub fn drop_unassigned(&mut self) {
        if self.is_abandoned() {
            self.close_without_socket();
        }
    }

    /// Bytes to write to the socket now (none before it is connected).
    pub fn output(&self) -> &[u8] {
        if self.socket == Socket::Connected {
            &self.output[self.output_sent..]
        } else {
            &[]
        }
    }

    /// `n` bytes of [`Self::output`] were handed to the socket at `now` (ms).
    pub fn consume_output(&mut self, n: usize, now: u64) {
        if n > 0 {
            self.activity(now);
        }
        self.output_sent += n;
        if self.output_sent >= self.output.len() {
            self.output.clear();
            self.output_sent = 0;
        }
        if self.need_drain && self.unsent() + self.message.buffered_len() < HIGH_WATER_MARK {
            self.need_drain = false;
            if !self.message.writable_ended() {
                self.events.push_back(ClientEvent::Drain);
            }
        }
        self.check_finished();
    }

    /// Bytes read from the socket at `now` (ms).
    pub fn handle_input(&mut self, data: &[u8], now: u64) {
        if self.destroyed || self.closed {
            return;
        }
        self.activity(now);
        let mut data = data;
        while !data.is_empty() && !self.destroyed {
            match &mut self.reading {
                Reading::Head => {
                    self.input.extend_from_slice(data);
                    data = &[];
                    self.parse_heads();
                }
                Reading::Body(decoder) => match decoder.decode(data, &self.parser) {
                    Err(e) => return self.parse_error(e),
                    Ok(decoded) => {
                        if !decoded.data.is_empty() && !self.dumped {
                            let chunk = data[decoded.data.clone()].to_vec();
                            self.events.push_back(ClientEvent::Data(chunk));
                        }
                        data = &data[decoded.consumed..];
                        if let Some(trailers) = decoded.end {
                            self.response_complete(trailers);
                        } else if decoded.consumed == 0 {
                            break;
                        }
                    }
                },
                Reading::Done => break,
            }
        }
        if !data.is_empty() {
            // Bytes after a complete response: a server that answered twice.
            // Node frees the parser and leaves them unread; the socket cannot
            // carry another exchange, even if the response already freed it
            // (in the same read).
            self.reusable = false;
            if self.fate == Some(SocketFate::Free) {
                self.fate = Some(SocketFate::Destroy);
            }
        }
    }

    /// Parse heads from `input`: 1xx interim responses, then the response.
    fn parse_heads(&mut self) {
        while matches!(self.reading, Reading::Head) && !self.destroyed {
            let (head, consumed) =
                match self.head_parser.parse(&self.input, &self.parser, self.kind) {
                    Err(e) => return self.parse_error(e),
                    Ok(None) => return,
                    Ok(Some(parsed)) => parsed,
                };
            self.input.drain(..consumed);
            if head.upgrade {
                return self.switch_protocols(head);
            }
            if (100..200).contains(&head.status_code) {
                if head.status_code == 100 {
                    self.events.push_back(ClientEvent::Continue);
                }
                self.events
                    .push_back(ClientEvent::Information(Box::new(head)));
                continue;
            }
            if !head.keep_alive {
                // The server must answer keep-alive for the socket to be reused.
                self.reusable = false;
            }
            let mut head = head;
            let body = std::mem::replace(&mut head.body, Decoder::length(0));
            let rest = std::mem::take(&mut self.input);
            self.response = Response::Reading;
            self.events.push_back(ClientEvent::Response(Box::new(head)));
            self.reading = Reading::Body(body);
            if let Reading::Body(decoder) = &self.reading {
                if decoder.is_complete() {
                    self.response_complete(IncomingHeaders::new());
                }
            }
            if !rest.is_empty() {
                self.handle_input(&rest, self.last_activity);
            }
            return;
        }
    }

    /// An upgrade (101) or an answer to CONNECT (`res.upgrade`), as Node's
    /// `socketOnData` ends HTTP on the socket: with a listener for the
    /// event (`'connect'` for CONNECT, else `'upgrade'`) the socket is
    /// detached and the request closes (`req.emit(eventName, res, socket,
    /// bodyHead); req.destroyed = true; req.emit('close')`); without one
    /// the socket is destroyed, and the request closes with no response and
    /// no error (`req.res` is set, so `socketCloseListener` skips the hang-up).
    fn switch_protocols(&mut self, head: ResponseHead) {
        let rest = std::mem::take(&mut self.input);
        self.reading = Reading::Done;
        let listening = if self.kind.connect {
            self.connect_listener
        } else {
            self.upgrade_listener
        };
        self.response = Response::Ended;
        self.socket = Socket::Released;
        self.mark_closed();
        if !listening {
            // The app never saw the response: no `end` or `close` for it.
            self.events.push_back(ClientEvent::RequestClose);
            self.fate = Some(SocketFate::Destroy);
            return;
        }
        let head = Box::new(head);
        self.events.push_back(if self.kind.connect {
            ClientEvent::Connect { head, rest }
        } else {
            ClientEvent::Upgrade { head, rest }
        });
        // Node (v12 and v20) hands the socket over and never ends that
        // response: no `end`, no `close` for it.
        self.events.push_back(ClientEvent::RequestClose);
        self.fate = Some(SocketFate::Detach);
    }

    /// Every body byte arrived: `res 'end'`, then Node's `responseOnEnd`.
    fn response_complete(&mut self, trailers: IncomingHeaders) {
        self.reading = Reading::Done;
        self.response = Response::Ended;
        self.events.push_back(ClientEvent::End { trailers });
        if !self.should_keep_alive() {
            self.end_socket();
        } else if self.finished && !self.aborted {
            self.response_keep_alive();
        }
        // Else keep-alive with the request body still going: `finish` frees it.
    }

    /// `socket.destroySoon()`: the socket ends once written, and its close
    /// ends the request.
    fn end_socket(&mut self) {
        self.close_sequence();
        self.fate = Some(SocketFate::End);
        self.socket = Socket::Released;
    }

    /// Node's `responseKeepAlive`: `close`, then the socket is free for the pool.
    fn response_keep_alive(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.destroyed = true;
        self.events.push_back(ClientEvent::RequestClose);
        self.events.push_back(ClientEvent::ResponseClose);
        self.socket = Socket::Released;
        self.fate = Some(SocketFate::Free);
    }

    /// `'finish'` once the message ended and every byte is written; a kept-alive
    /// socket whose response already ended is freed then (`requestOnFinish`).
    fn check_finished(&mut self) {
        if self.finished
            || !self.message.writable_ended()
            || self.message.buffered_len() > 0
            || self.unsent() > 0
            || self.socket != Socket::Connected
        {
            return;
        }
        self.finished = true;
        self.events.push_back(ClientEvent::Finish);
        if self.response == Response::Ended && !self.aborted {
            if self.should_keep_alive() {
                self.response_keep_alive();
            } else {
                // The response ended kept-alive, then bytes after it ruled
                // reuse out: the socket is done now that the request is.
                self.end_socket();
            }
        }
    }

    /// The peer ended its side (Node's `socketOnEnd`).
    pub fn handle_eof(&mut self) {
        if self.closed || self.socket == Socket::Released {
            return;
        }
        if self.response == Response::None && !self.had_error {
            self.emit_error(hang_up());
        }
        // `parser.finish()`: a read-until-close body ends here.
        if let Reading::Body(decoder) = &mut self.reading {
            if let Ok(trailers) = decoder.finish_eof() {
                self.reusable = false;
                self.response_complete(trailers);
                return;
            }
        }
        self.destroy_socket(None);
    }

    /// The socket failed: a refused or failed connect, a name that did not
    /// resolve, a reset (Node's `socketErrorListener`).
    pub fn handle_error(&mut self, error: NodeError) {
        if self.closed || self.socket == Socket::Released {
            return;
        }
        self.destroy_socket(Some(error));
    }

    /// `request.abort()`.
    pub fn abort(&mut self) {
        if self.aborted {
            return;
        }
        self.aborted = true;
        self.events.push_back(ClientEvent::Abort);
        self.destroy(None);
    }

    /// `request.destroy([error])`.
    pub fn destroy(&mut self, error: Option<NodeError>) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        self.dumped = true;
        match self.socket {
            Socket::Connecting | Socket::Connected => self.destroy_socket(error),
            // `onSocketNT` finishes it once the socket comes.
            Socket::Unassigned => {
                if let Some(e) = error {
                    self.emit_error(e);
                }
            }
            Socket::Released => {}
        }
    }

    /// `socket.destroy([err])`: `error` first if given (`socketErrorListener`),
    /// then the close sequence.
    fn destroy_socket(&mut self, error: Option<NodeError>) {
        self.destroyed = true;
        if let Some(e) = error {
            self.emit_error(e);
        }
        self.close_sequence();
        self.fate = Some(SocketFate::Destroy);
        self.socket = Socket::Released;
        self.reading = Reading::Done;
    }

    /// `onSocketNT`'s `_destroy` for a request destroyed before it had a
    /// socket: a "socket hang up" unless it was aborted or `destroy(err)`
    /// already emitted its error, then `close`.
    fn close_without_socket(&mut self) {
        self.socket = Socket::Released;
        if !self.aborted && !self.had_error {
            self.emit_error(hang_up());
        }
        self.mark_closed();
        self.events.push_back(ClientEvent::RequestClose);
    }

    /// v12's `socketCloseListener`.
    fn close_sequence(&mut self) {
        if self.closed {
            return;
        }
        self.mark_closed();
        match self.response {
            Response::None => {
                if !self.had_error {
                    self.emit_error(hang_up());
                }
                self.events.push_back(ClientEvent::RequestClose);
            }
            Response::Reading => {
                self.events.push_back(ClientEvent::Aborted);
                self.events.push_back(ClientEvent::RequestClose);
                self.events.push_back(ClientEvent::End {
                    trailers: IncomingHeaders::new(),
                });
                self.events.push_back(ClientEvent::ResponseClose);
                self.response = Response::Ended;
            }
            Response::Ended => {
                self.events.push_back(ClientEvent::RequestClose);
                self.events.push_back(ClientEvent::ResponseClose);
            }
        }
    }

    /// The request is over (`destroyed`, `_closed`): nothing more is written.
    fn mark_closed(&mut self) {
        self.closed = true;
        self.destroyed = true;
        self.output.clear();
        self.output_sent = 0;
        self.message.output().clear();
    }

    /// A response that does not parse: `error` with the parser's code, then
    /// the socket is destroyed.
    fn parse_error(&mut self, e: ParseError) {
        self.input.clear();
        self.destroy_socket(Some(e.into()));
    }

    fn emit_error(&mut self, error: NodeError) {
        self.had_error = true;
        self.events.push_back(ClientEvent::Error(error));
    }

    /// `response.pause()` / `resume()`: reading stops while paused.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// `request.setTimeout(msecs)` (0 disables): `socket.setTimeout` re-arms
    /// the idle timer from `now` (from the socket's connect if it has none
    /// yet; [`Self::connected`] restarts it).
    pub fn set_timeout(&mut self, msecs: u64, now: u64) {
        self.timeout = msecs;
        self.last_activity = now;
    }

    /// When [`Self::handle_timeout`] must be called (ms), if ever. Node stops
    /// listening once the response ended (`responseOnEnd` removes
    /// `req.timeoutCb`).
    pub fn poll_timeout(&self) -> Option<u64> {
        let live = matches!(self.socket, Socket::Connecting | Socket::Connected)
            && self.response != Response::Ended;
        (self.timeout > 0 && live && !self.timeout_fired)
            .then(|| self.last_activity.saturating_add(self.timeout))
    }

    /// Time passed: `'timeout'`, once per request: Node (v12 as v20)
    /// delegates the socket's `'timeout'` with `socket.once`, and a later
    /// `setTimeout` does not listen again (`req.timeoutCb` is set). It does
    /// not abort.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.poll_timeout().is_some_and(|at| now >= at) {
            self.timeout_fired = true;
            self.events.push_back(ClientEvent::Timeout);
        }
    }

    fn activity(&mut self, now: u64) {
        self.last_activity = now;
    }

    fn unsent(&self) -> usize {
        self.output.len() - self.output_sent
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// True while the runtime should read from the socket.
    pub fn wants_read(&self) -> bool {
        self.socket == Socket::Connected
            && !self.closed
            && !(self.paused && matches!(self.reading, Reading::Body(_)))
    }

    /// What to do with the socket, once decided. With [`SocketFate::End`]
    /// the remaining [`Self::output`] is dropped: the request is over.
    pub fn socket_fate(&self) -> Option<SocketFate> {
        self.fate
    }

    /// `request.aborted`.
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// `request.writableFinished`.
    pub fn writable_finished(&self) -> bool {
        self.finished
    }

    /// True once the request has emitted `close`: nothing more will happen.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// True once a socket was assigned and connected (`request.socket`).
    pub fn has_socket(&self) -> bool {
        self.socket == Socket::Connected
    }
}

/// Node's `ConnResetException('socket hang up')`.
fn hang_up() -> NodeError {
    NodeError::new("ECONNRESET", "socket hang up")
}
