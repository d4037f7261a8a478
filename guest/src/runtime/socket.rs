//! Raw sockets: connections the HTTP layer handed to the embedder
//! (`'upgrade'`, `'connect'`, `'clientError'` with a listener) and those
//! `net.connect` opens. Each is a sans-IO [`RawSocket`] over a stream; this
//! module does its I/O and turns its events into Node's socket events.

use nodehttp_core::error::NodeError;
use nodehttp_core::socket::{RawSocket, SocketEvent};

use super::dial::{Dial, Progress, Target};
use super::{
    flush, now_ms, read_into, reset_error, socket_address, Duplex, GivenError, Runtime, Source,
};
use crate::bindings::exports::nodehttp::http::events::{Error, Event, Socket};
use crate::bindings::exports::nodehttp::http::types::SocketAddress;
use crate::net::Stream;

enum Link {
    Dialing(Dial),
    Open(Stream),
    /// Closed, or between phases while a dial advances.
    Gone,
}

struct RawConn {
    link: Link,
    raw: RawSocket,
    write_blocked: bool,
    /// The embedder dropped its handle.
    released: bool,
    /// The error the embedder destroyed it with.
    destroy_error: GivenError,
    keep_alive: Option<(bool, u32)>,
    /// The server whose connection this was.
    server: Option<u32>,
}

/// Every raw socket, by id.
#[derive(Default)]
pub struct Sockets(rustc_hash::FxHashMap<u32, RawConn>);

/// What a `socket` handle reads: addresses and counters.
pub struct SocketView {
    pub remote: Option<SocketAddress>,
    pub local: Option<SocketAddress>,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub writable: bool,
    pub destroyed: bool,
}

impl Runtime {
    /// `net.connect(port, host)`.
    pub fn net_connect(&mut self, port: u16, host: &str) -> u32 {
        let id = self.next_id();
        let target = Target {
            host: host.to_string(),
            port,
            family: None,
            local: None,
        };
        // Node's `net.Socket` default: not half-open.
        let mut raw = RawSocket::new(now_ms(), false);
        let link = match Dial::start(target) {
            Ok(dial) => Link::Dialing(dial),
            Err(e) => {
                raw.handle_error(e);
                Link::Gone
            }
        };
        self.insert_socket(id, link, raw, None);
        self.after_socket_io(id);
        id
    }

    /// Take over a connection's stream as a raw socket (a hand-over): first
    /// the event `announce` makes gives the embedder its handle, then the
    /// socket's I/O starts. In that order, because its first write (what the
    /// connection still owed) may fail at once, and `socket-error` or
    /// `socket-close` must not come before the socket itself. (The handle
    /// must leave in that event: dropping it here would run its `Drop`,
    /// which enters the runtime, while the runtime is borrowed.) A server's
    /// socket still counts as its connection until it closes.
    pub(super) fn adopt_stream(
        &mut self,
        stream: Stream,
        raw: RawSocket,
        server: Option<u32>,
        announce: impl FnOnce(Socket) -> Event,
    ) {
        let id = self.next_id();
        self.insert_socket(id, Link::Open(stream), raw, server);
        let event = announce(Socket::new(crate::api::net::Socket(id)));
        self.events.push_back(event);
        self.after_socket_io(id);
    }

    fn insert_socket(&mut self, id: u32, link: Link, raw: RawSocket, server: Option<u32>) {
        self.sockets.0.insert(
            id,
            RawConn {
                link,
                raw,
                server,
                write_blocked: false,
                released: false,
                destroy_error: GivenError::default(),
                keep_alive: None,
            },
        );
    }

    /// Run an embedder call on a raw socket, then do the I/O it asks for.
    pub fn with_socket<R>(&mut self, id: u32, f: impl FnOnce(&mut RawSocket) -> R) -> Option<R> {
        let conn = self.sockets.0.get_mut(&id)?;
        let out = f(&mut conn.raw);
        self.after_socket_io(id);
        Some(out)
    }

    /// `socket.destroy([error])`; the embedder's error comes back as `socket-error`.
    pub fn destroy_socket_with(&mut self, id: u32, error: Option<Error>) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        let placeholder = conn.destroy_error.keep(error);
        self.with_socket(id, |raw| raw.destroy(placeholder));
    }

    /// `socket.setKeepAlive(enable, initialDelay)`: now, or once connected.
    pub fn set_socket_keep_alive(&mut self, id: u32, enable: bool, initial_delay_ms: u32) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        conn.keep_alive = Some((enable, initial_delay_ms));
        if let Link::Open(stream) = &conn.link {
            stream.set_keep_alive(enable, initial_delay_ms);
        }
    }

    pub fn socket_view(&self, id: u32) -> Option<SocketView> {
        let conn = self.sockets.0.get(&id)?;
        let (remote, local) = match &conn.link {
            Link::Open(stream) => stream.addresses(),
            _ => (None, None),
        };
        Some(SocketView {
            remote: remote.map(socket_address),
            local: local.map(socket_address),
            bytes_read: conn.raw.bytes_read(),
            bytes_written: conn.raw.bytes_written(),
            writable: conn.raw.is_writable(),
            destroyed: conn.raw.is_done(),
        })
    }

    /// The embedder dropped its handle: a socket nobody can use any more is
    /// destroyed (Node's would be garbage, never closed).
    pub fn release_socket(&mut self, id: u32) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        conn.released = true;
        if conn.raw.is_done() {
            self.sockets.0.remove(&id);
        } else {
            self.with_socket(id, |raw| raw.destroy(None));
        }
    }

    /// Add what the raw sockets wait on to the loop's list.
    pub(super) fn socket_pollables<'a>(
        &'a self,
        sources: &mut Vec<Source>,
        pollables: &mut Vec<&'a wasip2::io::poll::Pollable>,
        wake: &mut u64,
    ) {
        for (&id, conn) in &self.sockets.0 {
            match &conn.link {
                Link::Dialing(dial) => {
                    sources.push(Source::SocketDial(id));
                    pollables.push(dial.pollable());
                }
                Link::Open(stream) => {
                    if conn.raw.wants_read() {
                        sources.push(Source::SocketRead(id));
                        pollables.push(&stream.readable);
                    }
                    if conn.write_blocked {
                        sources.push(Source::SocketWrite(id));
                        pollables.push(&stream.writable);
                    }
                }
                Link::Gone => {}
            }
            if let Some(t) = conn.raw.poll_timeout() {
                *wake = (*wake).min(t);
            }
        }
    }

    /// A `net.connect` dial made progress.
    pub(super) fn socket_dial_ready(&mut self, id: u32) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        let Link::Dialing(dial) = std::mem::replace(&mut conn.link, Link::Gone) else {
            return;
        };
        match dial.advance() {
            Progress::Pending(dial) => conn.link = Link::Dialing(dial),
            Progress::Failed(e) => conn.raw.handle_error(e),
            Progress::Open(stream) => {
                if let Some((enable, delay)) = conn.keep_alive {
                    stream.set_keep_alive(enable, delay);
                }
                conn.link = Link::Open(stream);
                self.events.push_back(Event::SocketConnect(id));
            }
        }
        self.after_socket_io(id);
    }

    /// A raw socket is readable.
    pub(super) fn socket_read(&mut self, id: u32) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        let Link::Open(stream) = &mut conn.link else {
            return;
        };
        read_into(stream, &mut conn.raw);
        self.after_socket_io(id);
    }

    pub(super) fn socket_write_ready(&mut self, id: u32) {
        self.after_socket_io(id);
    }

    pub(super) fn socket_timers(&mut self, now: u64) {
        let due: Vec<u32> = self
            .sockets
            .0
            .iter()
            .filter(|(_, c)| c.raw.poll_timeout().is_some_and(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.with_socket(id, |raw| raw.handle_timeout(now));
        }
    }

    /// Write what the socket owes, send its FIN when due, deliver its
    /// events, and close it after `close`.
    fn after_socket_io(&mut self, id: u32) {
        let Some(conn) = self.sockets.0.get_mut(&id) else {
            return;
        };
        if let Link::Open(stream) = &conn.link {
            conn.write_blocked = flush(stream, &mut conn.raw);
            if !conn.write_blocked && conn.raw.shutdown_write() {
                stream.shutdown_send();
            }
        }
        while let Some(event) = conn.raw.poll_event() {
            let out = match event {
                SocketEvent::Data(chunk) => Event::SocketData((id, chunk)),
                SocketEvent::End => Event::SocketEnd(id),
                SocketEvent::Drain => Event::SocketDrain(id),
                // `finish` has no WIT event: `end` succeeded and `close` follows.
                SocketEvent::Finish => continue,
                SocketEvent::Timeout => Event::SocketTimeout(id),
                SocketEvent::Error(e) => Event::SocketError((id, conn.destroy_error.deliver(e))),
                SocketEvent::Close { had_error } => Event::SocketClose((id, had_error)),
            };
            self.events.push_back(out);
        }
        if conn.raw.is_done() && !matches!(conn.link, Link::Gone) {
            // Dropping the stream closes the connection.
            conn.link = Link::Gone;
            if let Some(server) = conn.server.take() {
                self.connection_closed(server);
            }
        }
        if let Some(conn) = self.sockets.0.get(&id) {
            if conn.raw.is_done() && conn.released {
                self.sockets.0.remove(&id);
            }
        }
    }
}

impl Duplex for RawSocket {
    fn output(&self) -> &[u8] {
        RawSocket::output(self)
    }
    fn consume_output(&mut self, n: usize, now: u64) {
        RawSocket::consume_output(self, n, now)
    }
    fn write_failed(&mut self) {
        self.handle_error(NodeError::new("EPIPE", "write EPIPE"))
    }
    fn wants_read(&self) -> bool {
        RawSocket::wants_read(self)
    }
    fn handle_input(&mut self, data: &[u8], now: u64) {
        RawSocket::handle_input(self, data, now)
    }
    fn handle_eof(&mut self) {
        RawSocket::handle_eof(self)
    }
    fn read_failed(&mut self) {
        self.handle_error(reset_error())
    }
}
