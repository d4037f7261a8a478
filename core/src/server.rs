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
//! - keep-alive: whether another request may follow ([`ServerConnection::is_done`]).

use std::collections::VecDeque;

use crate::common::has_word;
use crate::decode::Decoder;
use crate::error::{ParseError, ParseErrorCode};
use crate::incoming::{IncomingHeaders, IncomingValue};
use crate::outgoing::{OutgoingMessage, ResponseContext, HIGH_WATER_MARK};
use crate::parse::{HeadParser, ParserOptions, RequestHead};

/// Node's fixed replies to a request that does not parse (`socketOnError`):
/// no `Date`, no body, then the socket is destroyed.
const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const HEADER_FIELDS_TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n";

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            parser: ParserOptions::default(),
            keep_alive_timeout: 5000,
            timeout: 120_000,
            headers_timeout: 60_000,
        }
    }
}

/// Identifies a request (and its response) within one connection, in arrival order.
pub type RequestId = u64;

/// What the connection tells the application, in Node's order.
#[derive(Debug)]
pub enum ConnEvent {
    /// `server.on('request')`: a head arrived; its response is ready for calls.
    Request {
        id: RequestId,
        head: Box<RequestHead>,
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
    /// `server.on('clientError')`, after Node's default handling (a 400/431
    /// written if no response had started, then the socket destroyed).
    ClientError { error: ParseError },
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
    },
    /// The last request said the connection closes after it: nothing more is read.
    Closed,
}

/// A response whose last byte is queued, waiting for it to be written.
#[derive(Debug)]
struct Finishing {
    /// `written_total` at which its last byte has left.
    mark: u64,
    id: RequestId,
    visible: bool,
    message: OutgoingMessage,
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
    /// Reading is paused by the application (`req.pause()`).
    paused: bool,
    /// The peer finished its side (FIN): no more requests come.
    peer_ended: bool,
    /// Close once `output` is flushed (Node's `_last` / `destroySoon`).
    closing: bool,
    /// Destroyed: stop everything; the runtime closes the socket now.
    destroyed: bool,
    /// Last read or write (ms, the caller's clock): the socket timeout runs from here.
    last_activity: u64,
    /// A response was served and the next request has not arrived: the
    /// socket timeout is `keepAliveTimeout` instead of `server.timeout`.
    keep_alive_wait: bool,
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
            paused: false,
            peer_ended: false,
            closing: false,
            destroyed: false,
            last_activity: now,
            keep_alive_wait: false,
            head_started: Some(now),
            date: String::new(),
        }
    }

    /// Bytes arrived from the peer at `now` (ms).
    pub fn handle_input(&mut self, data: &[u8], now: u64) {
        if self.destroyed || self.closing {
            // Nothing more is read once the socket is ending.
            return;
        }
        self.last_activity = now;
        self.input.extend_from_slice(data);
        self.process();
        if matches!(self.reading, Reading::Head) && !only_line_ends(&self.input) {
            // Node checks `headersTimeout` whenever head bytes arrive (not on a
            // timer): a head trickling in for too long destroys the socket.
            let start = *self.head_started.get_or_insert(now);
            let limit = self.config.headers_timeout;
            if limit > 0 && now.saturating_sub(start) > limit {
                self.destroy();
                return;
            }
        }
        self.update_idle();
    }

    /// The peer closed its write side (read returned end of stream).
    ///
    /// Node's `socketOnEnd` (no `allowHalfOpen`): a read-until-close body ends
    /// here; an incomplete message is a parse error (400); otherwise every
    /// request still owed a response is aborted (`abortIncoming`) and the
    /// socket ends once what is already written has left (`socket.end()`).
    pub fn handle_eof(&mut self) {
        if self.destroyed || self.peer_ended {
            return;
        }
        self.peer_ended = true;
        match &mut self.reading {
            Reading::Head if !only_line_ends(&self.input) => {
                self.client_error(ParseError::new(
                    ParseErrorCode::InvalidEofState,
                    "Invalid EOF state",
                ));
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
                        self.client_error(e);
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

    /// The socket failed or was reset: every request in flight is aborted.
    pub fn handle_reset(&mut self) {
        self.destroy();
    }

    /// Destroy the connection now (`socket.destroy()`): requests not complete
    /// get `aborted`, every owed request and response gets `close`.
    pub fn destroy(&mut self) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        self.output.clear();
        self.output_sent = 0;
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
        self.keep_alive_wait = false;
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

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    /// The response to request `id`, until its `close` event hands it back.
    /// After a call that may write (`write_head`, `write`, `end`, ...), call
    /// [`Self::pump`].
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

    /// Pause or resume reading (`req.pause()` / `req.resume()`).
    pub fn set_paused(&mut self, paused: bool) {
        let was = self.paused;
        self.paused = paused;
        if was && !paused {
            self.process();
        }
    }

    /// Move what the responses produced onto the socket buffer, in order.
    /// Call after every response call.
    pub fn pump(&mut self) {
        while let Some(front) = self.pending.front_mut() {
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
                message: done.message,
            });
            if last {
                // Node's `_last` (`Connection: close`): the socket ends after
                // this response; requests behind it are abandoned.
                self.closing = true;
                self.stop_reading();
                break;
            }
        }
        self.check_finished();
    }

    /// Bytes to write to the socket now.
    pub fn output(&self) -> &[u8] {
        &self.output[self.output_sent..]
    }

    /// `n` bytes of [`Self::output`] were handed to the socket at `now` (ms).
    pub fn consume_output(&mut self, n: usize, now: u64) {
        if n > 0 {
            self.last_activity = now;
        }
        self.output_sent += n;
        self.written_total += n as u64;
        if self.output_sent == self.output.len() {
            self.output.clear();
            self.output_sent = 0;
        }
        self.check_finished();
        self.update_idle();
        // `drain` for responses that were over the mark and are now below it.
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
    /// everything written.
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

    /// The earliest time (ms) at which [`Self::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<u64> {
        let limit = self.socket_timeout();
        (limit > 0 && !self.destroyed).then(|| self.last_activity + limit)
    }

    /// Time passed: the socket timeout fired. Node emits `'timeout'`, and with
    /// no listener (none can be attached yet) destroys the socket.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            self.destroy();
        }
    }

    /// The socket timeout in force, as Node sets it: `server.timeout` from the
    /// start, swapped for `keepAliveTimeout` (exact, no grace period) after a
    /// response while the connection waits for the next request, and back
    /// when it arrives. With `keepAliveTimeout` 0 the swap does not happen.
    fn socket_timeout(&self) -> u64 {
        if self.keep_alive_wait && self.config.keep_alive_timeout > 0 {
            self.config.keep_alive_timeout
        } else {
            self.config.timeout
        }
    }

    /// Waiting between requests = a response was served and no request is in
    /// flight or waiting to be written (a partial head may be arriving).
    fn update_idle(&mut self) {
        self.keep_alive_wait = self.pending.is_empty()
            && matches!(self.reading, Reading::Head)
            && self.output.is_empty()
            && !self.closing
            && self.next_id > 0;
    }

    /// Emit `finish`/`close` for responses whose last byte has been written.
    fn check_finished(&mut self) {
        while self
            .finishing
            .front()
            .is_some_and(|f| f.mark <= self.written_total)
        {
            let Some(f) = self.finishing.pop_front() else {
                break;
            };
            if f.visible {
                self.events.push_back(ConnEvent::Finish { id: f.id });
                self.events.push_back(ConnEvent::ResponseClose {
                    id: f.id,
                    response: Box::new(f.message),
                });
            }
        }
        if self.peer_ended && self.pending.is_empty() {
            self.closing = true;
        }
    }

    /// Parse as much of `input` as the state allows.
    fn process(&mut self) {
        while !self.destroyed && !self.paused {
            let progressed = match self.reading {
                Reading::Head => self.read_head(),
                Reading::Body { .. } => self.read_body(),
                Reading::Closed => {
                    if !self.input.is_empty() {
                        self.closed_connection_data();
                    }
                    false
                }
            };
            if !progressed {
                break;
            }
        }
    }

    /// Bytes after a request that closes the connection. llhttp (strict)
    /// refuses them; v12's parser ignored them.
    fn closed_connection_data(&mut self) {
        if only_line_ends(&self.input) {
            // Stray CR/LF after the last message are skipped, not refused.
            self.input.clear();
        } else if self.config.parser.insecure {
            self.input.clear();
        } else {
            self.client_error(ParseError::new(
                ParseErrorCode::ClosedConnection,
                "Data after `Connection: close`",
            ));
        }
    }

    fn read_head(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        let (head, consumed) = match self.head_parser.parse(&self.input, &self.config.parser) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => {
                if self.input.len() > self.config.parser.raw_head_limit() {
                    self.client_error(ParseError::new(
                        ParseErrorCode::HeaderOverflow,
                        "Header overflow",
                    ));
                }
                return false;
            }
            Err(e) => {
                self.client_error(e);
                return false;
            }
        };
        self.input.drain(..consumed);
        // The head is complete: `headersTimeout` stops until the next one.
        self.head_started = None;
        let mut head = Box::new(head);
        let id = self.next_id;
        self.next_id += 1;

        if head.upgrade && head.method == "CONNECT" {
            // No 'connect' listener: Node closes the connection, no response.
            self.destroy();
            return false;
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
        let mut visible = true;
        if let (true, Some(IncomingValue::Single(expect))) = (http_1_1, head.headers.get("expect"))
        {
            if expects_continue(&expect) {
                message.write_continue();
            } else {
                // No 'checkExpectation' listener: `res.writeHead(417); res.end()`.
                visible = false;
                let _ = message.write_head(417, None, &[], &self.date);
                let _ = message.end(None, &self.date);
            }
        }
        self.pending.push_back(Pending {
            id,
            message,
            request_complete: false,
            visible,
            needs_drain: false,
            started: false,
        });
        if visible {
            self.events.push_back(ConnEvent::Request { id, head });
        }
        self.reading = Reading::Body {
            id,
            decoder,
            visible,
            keep_alive,
            upgrade: head_upgrade,
        };
        self.pump();
        true
    }

    fn read_body(&mut self) -> bool {
        let Reading::Body {
            id,
            ref mut decoder,
            visible,
            keep_alive,
            upgrade,
        } = self.reading
        else {
            return false;
        };
        let decoded = match decoder.decode(&self.input, &self.config.parser) {
            Ok(d) => d,
            Err(e) => {
                self.client_error(e);
                return false;
            }
        };
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
            return true;
        }
        if decoded.consumed == 0 && self.input.len() > self.config.parser.raw_head_limit() {
            // A chunk-size line or trailer section that never ends.
            self.client_error(ParseError::new(
                ParseErrorCode::HeaderOverflow,
                "Header overflow",
            ));
        }
        decoded.consumed > 0
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

    /// Node's `socketOnError` without a `clientError` listener: reply 400 (431
    /// for an oversized head) unless the in-flight response has started, then
    /// destroy the socket.
    fn client_error(&mut self, error: ParseError) {
        let started = self.pending.front().is_some_and(|p| p.started);
        if !started {
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
        self.events.push_back(ConnEvent::ClientError { error });
        // `socket.destroy()` right after the write: the reply still leaves,
        // nothing else does.
        self.stop_reading();
        self.closing = true;
    }
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
                ConnEvent::ClientError { error } => format!("clientError {}", error.code.as_str()),
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
}
