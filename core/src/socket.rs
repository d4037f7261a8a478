//! A raw socket the HTTP layer handed to the app, as Node's `net.Socket`.
//!
//! Once a connection leaves HTTP — the server's `'upgrade'`, `'connect'` and
//! `'clientError'`, the client's `'upgrade'` and `'connect'` — the app holds
//! the bare duplex stream. [`RawSocket`] is that stream, sans-IO: the runtime
//! feeds it what it read ([`RawSocket::handle_input`]), the peer's FIN, a
//! socket error or the time; the app's calls (`write`, `end`, `destroy`,
//! `pause`…) go straight to it; out come Node's socket events
//! ([`SocketEvent`]) and the bytes to write.
//!
//! Event orders, as Node v20 emits them on loopback (`net` server sockets):
//! - peer FIN, `allowHalfOpen: true` (every socket of an `http.Server`):
//!   `end`; nothing more until the app calls `end()`, then `finish`, `close`;
//! - peer FIN, `allowHalfOpen: false` (the sockets of `http.Agent`): `end`,
//!   and the socket ends itself (after its buffered writes): `finish`, `close`;
//! - `end()` first: `finish` once the FIN is out, then `end`, `close` when the
//!   peer's FIN arrives;
//! - `destroy()`: `close(false)`; `destroy(err)` or a failing socket (a
//!   reset): `error`, `close(true)`;
//! - `write()` after `end()`: `error` (`ERR_STREAM_WRITE_AFTER_END`),
//!   `close(true)` — and no `finish`, when it comes before the FIN went out;
//!   `write()` after `destroy()`: nothing (the callback gets
//!   `ERR_STREAM_DESTROYED`);
//! - idle for the timeout: `timeout`, once; the socket stays open, and the
//!   timer runs again from the next read or write (Node's `timer.refresh()`);
//! - paused: `data` and `end` wait for `resume()`.

use std::collections::VecDeque;

use crate::error::NodeError;
use crate::outgoing::HIGH_WATER_MARK;

/// What the socket tells the app, named as Node's `net.Socket` events.
#[derive(Debug, PartialEq, Eq)]
pub enum SocketEvent {
    /// `'data'`: bytes read (not while paused).
    Data(Vec<u8>),
    /// `'end'`: the peer sent its FIN and every byte before it was emitted.
    End,
    /// `'drain'`: a `write()` returned false, and the buffer is empty again.
    Drain,
    /// `'finish'`: `end()` was called and the FIN went out after every byte.
    Finish,
    /// `'timeout'`: idle for the socket's timeout. Nothing is closed.
    Timeout,
    /// `'error'`, always followed by `Close { had_error: true }`.
    Error(NodeError),
    /// `'close'`: the last event; the runtime closes the socket now.
    Close { had_error: bool },
}

/// One duplex byte stream handed to the app.
#[derive(Debug)]
pub struct RawSocket {
    /// `allowHalfOpen`: false ends the writable side when the peer's FIN is read.
    allow_half_open: bool,
    /// Read while paused (or before a pending `end`): emitted on `resume()`.
    unread: Vec<u8>,
    paused: bool,
    /// The peer's FIN arrived (`end` may still wait for `resume()`).
    eof: bool,
    /// `'end'` emitted (`readableEnded`).
    read_ended: bool,
    output: Vec<u8>,
    output_sent: usize,
    /// `end()` was called (`writableEnded`).
    ending: bool,
    /// The peer's FIN ended a socket that may not stay half-open: Node's
    /// Duplex calls `end()` on the next tick (`onEndNT`), so writes made while
    /// handling `end` still go out before the FIN. Here that tick is the
    /// runtime's next [`RawSocket::shutdown_write`].
    end_owed: bool,
    /// The FIN went out and `'finish'` was emitted (`writableFinished`).
    finished: bool,
    need_drain: bool,
    destroyed: bool,
    /// `'close'` emitted.
    closed: bool,
    /// Idle timeout in ms (0: none), when the socket was last active, and
    /// whether the one-shot timer is armed.
    timeout: u64,
    last_activity: u64,
    timer_armed: bool,
    bytes_read: u64,
    bytes_written: u64,
    events: VecDeque<SocketEvent>,
}

impl RawSocket {
    /// A socket handed over at `now` (ms). `allow_half_open` is the socket's
    /// own: true for the sockets an `http.Server` accepted, false for those
    /// an `http.Agent` connected (Node's `net.createConnection` default).
    pub fn new(now: u64, allow_half_open: bool) -> Self {
        RawSocket {
            allow_half_open,
            unread: Vec::new(),
            paused: false,
            eof: false,
            read_ended: false,
            output: Vec::new(),
            output_sent: 0,
            ending: false,
            end_owed: false,
            finished: false,
            need_drain: false,
            destroyed: false,
            closed: false,
            timeout: 0,
            last_activity: now,
            timer_armed: false,
            bytes_read: 0,
            bytes_written: 0,
            events: VecDeque::new(),
        }
    }

    /// Start the counters at what the HTTP layer already moved: Node's
    /// `bytesRead` / `bytesWritten` belong to the socket, so after a hand-off
    /// they include the HTTP heads.
    pub fn with_counts(mut self, bytes_read: u64, bytes_written: u64) -> Self {
        self.bytes_read = bytes_read;
        self.bytes_written = bytes_written;
        self
    }

    /// Bytes read from the socket at `now` (ms): `data` now, or on `resume()`.
    pub fn handle_input(&mut self, data: &[u8], now: u64) {
        if self.destroyed || self.eof || data.is_empty() {
            return;
        }
        self.bytes_read = self.bytes_read.saturating_add(data.len() as u64);
        self.activity(now);
        if self.paused {
            self.unread.extend_from_slice(data);
        } else {
            self.events.push_back(SocketEvent::Data(data.to_vec()));
        }
    }

    /// The peer sent its FIN: `end` (after any unread bytes, so on `resume()`
    /// if paused).
    pub fn handle_eof(&mut self) {
        if self.destroyed || self.eof {
            return;
        }
        self.eof = true;
        if !self.paused {
            self.emit_end();
        }
    }

    /// The socket failed (a reset, a broken pipe): `error`, `close(true)`.
    pub fn handle_error(&mut self, error: NodeError) {
        self.destroy(Some(error));
    }

    /// `socket.write(data)`: false once `HIGH_WATER_MARK` (16 KiB, a socket's
    /// `writableHighWaterMark` as every stream's) bytes wait, and
    /// `drain` follows when they are written. After `end()` it fails the
    /// socket as Node does; after `destroy()` it does nothing.
    pub fn write(&mut self, data: &[u8]) -> bool {
        if self.destroyed {
            return false;
        }
        if self.ending {
            let error = if self.read_ended && !self.allow_half_open {
                // Node's `writeAfterFIN`: the socket ended itself on the peer's FIN.
                NodeError::new("EPIPE", "This socket has been ended by the other party")
            } else {
                NodeError::new("ERR_STREAM_WRITE_AFTER_END", "write after end")
            };
            self.destroy(Some(error));
            return false;
        }
        self.output.extend_from_slice(data);
        self.bytes_written = self.bytes_written.saturating_add(data.len() as u64);
        let ok = self.unsent() < HIGH_WATER_MARK;
        if !ok {
            self.need_drain = true;
        }
        ok
    }

    /// `socket.end([data])`: the FIN follows the buffered bytes (see
    /// [`Self::shutdown_write`]). A second call does nothing.
    pub fn end(&mut self, data: Option<&[u8]>) {
        if self.destroyed || self.ending {
            return;
        }
        if let Some(data) = data {
            self.write(data);
        }
        self.ending = true;
    }

    /// `socket.destroy([err])`: unsent bytes are dropped; `error` if given,
    /// then `close`.
    pub fn destroy(&mut self, error: Option<NodeError>) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        self.output.clear();
        self.output_sent = 0;
        self.unread.clear();
        let had_error = error.is_some();
        if let Some(e) = error {
            self.events.push_back(SocketEvent::Error(e));
        }
        self.close(had_error);
    }

    /// `socket.pause()`: no `data` or `end` until [`Self::resume`]; the
    /// runtime stops reading ([`Self::wants_read`]).
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// `socket.resume()`: what was read while paused comes out, then a FIN
    /// that arrived meanwhile.
    pub fn resume(&mut self) {
        if !self.paused {
            return;
        }
        self.paused = false;
        if self.destroyed {
            return;
        }
        if !self.unread.is_empty() {
            let data = std::mem::take(&mut self.unread);
            self.events.push_back(SocketEvent::Data(data));
        }
        if self.eof {
            self.emit_end();
        }
    }

    /// `socket.isPaused()`.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// True while the runtime should read: not paused, no FIN yet, open.
    pub fn wants_read(&self) -> bool {
        !self.paused && !self.eof && !self.destroyed
    }

    /// Bytes to write to the socket now.
    pub fn output(&self) -> &[u8] {
        &self.output[self.output_sent..]
    }

    /// `n` bytes of [`Self::output`] were written at `now` (ms).
    pub fn consume_output(&mut self, n: usize, now: u64) {
        if n == 0 || self.destroyed {
            return;
        }
        self.activity(now);
        self.output_sent = self.output_sent.saturating_add(n).min(self.output.len());
        if self.output_sent < self.output.len() {
            return;
        }
        self.output.clear();
        self.output_sent = 0;
        // Node's `afterWrite`: `drain` only once the buffer is empty, and not
        // once the socket is ending.
        if self.need_drain && !self.ending {
            self.need_drain = false;
            self.events.push_back(SocketEvent::Drain);
        }
    }

    /// The FIN is owed: `end()` was called (by the app, or by the socket
    /// itself after the peer's FIN when not half-open) and every byte was
    /// written. True once; the runtime then shuts the socket's write side
    /// down. `finish` is emitted here (Node emits it when the shutdown
    /// completes), and `close` too if the peer's side already ended. The
    /// runtime calls it after each flush.
    pub fn shutdown_write(&mut self) -> bool {
        if std::mem::take(&mut self.end_owed) {
            self.end(None);
        }
        if !self.ending || self.finished || self.destroyed || self.unsent() > 0 {
            return false;
        }
        self.finished = true;
        self.events.push_back(SocketEvent::Finish);
        self.close_if_both_ended();
        true
    }

    /// `socket.setTimeout(msecs)` at `now` (0 disables): a one-shot idle timer.
    pub fn set_timeout(&mut self, msecs: u64, now: u64) {
        self.timeout = msecs;
        self.last_activity = now;
        self.timer_armed = msecs > 0;
    }

    /// When [`Self::handle_timeout`] must be called (ms), if ever.
    pub fn poll_timeout(&self) -> Option<u64> {
        (self.timer_armed && !self.destroyed)
            .then(|| self.last_activity.saturating_add(self.timeout))
    }

    /// Time passed: `timeout` if the socket was idle that long. The timer
    /// then waits for the next read or write to run again.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.poll_timeout().is_some_and(|at| now >= at) {
            self.timer_armed = false;
            self.events.push_back(SocketEvent::Timeout);
        }
    }

    /// `socket.bytesRead`.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// `socket.bytesWritten`: every byte accepted by `write()`, buffered or
    /// not (Node adds the pending buffer to what the handle wrote).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// `socket.writable`: open and not ended.
    pub fn is_writable(&self) -> bool {
        !self.destroyed && !self.ending
    }

    /// True once `close` was emitted: the runtime closes the socket now
    /// (dropping any unsent bytes, as `destroy` does).
    pub fn is_done(&self) -> bool {
        self.closed
    }

    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        self.events.pop_front()
    }

    /// `'end'`; a socket that may not stay half-open owes its own `end()`.
    fn emit_end(&mut self) {
        if self.read_ended {
            return;
        }
        self.read_ended = true;
        self.events.push_back(SocketEvent::End);
        self.end_owed = !self.allow_half_open && !self.ending;
        self.close_if_both_ended();
    }

    /// `autoDestroy`: both sides are done.
    fn close_if_both_ended(&mut self) {
        if self.read_ended && self.finished {
            self.destroyed = true;
            self.close(false);
        }
    }

    fn close(&mut self, had_error: bool) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.timer_armed = false;
        self.events.push_back(SocketEvent::Close { had_error });
    }

    /// A read or a write: Node's `_unrefTimer` re-arms the idle timer.
    fn activity(&mut self, now: u64) {
        self.last_activity = now;
        self.timer_armed = self.timeout > 0;
    }

    fn unsent(&self) -> usize {
        self.output.len() - self.output_sent
    }
}
