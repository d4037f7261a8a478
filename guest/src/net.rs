//! TCP on `wasi:sockets`: listening, accepting, connecting, name lookup,
//! non-blocking reads and writes.
//!
//! The platform's rules (see the project's platform notes) live here and only
//! here: bind and listen are two-phase (`start_*`, wait, `finish_*`); each
//! stream's pollable is created once and kept; a read drains until empty; a
//! write never exceeds `check-write`'s grant; children (pollables, streams) are
//! dropped before their socket — Rust drops fields in declaration order.

use std::net::{IpAddr, SocketAddr};

use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::{resolve_addresses, ResolveAddressStream};
use wasip2::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;

/// How much a `read` asks for. The host allocates and zeroes what is asked
/// (wasmtime-wasi's `BytesMut::zeroed`) whatever arrives, so a request-sized
/// read asks for little; a read that fills its ask doubles the next one, up
/// to the host's 64 KiB, for bodies.
const READ_MIN: u64 = 4 * 1024;
const READ_MAX: u64 = 64 * 1024;

/// Node's default `server.listen` backlog.
const BACKLOG: u64 = 511;

/// A listening socket.
pub struct Listener {
    /// Ready when a connection can be accepted.
    pub ready: Pollable,
    socket: TcpSocket,
}

/// An accepted connection's socket and streams.
pub struct Stream {
    /// Ready when `input` has bytes or reached its end.
    pub readable: Pollable,
    /// Ready when `output` can take more bytes.
    pub writable: Pollable,
    input: InputStream,
    output: OutputStream,
    socket: TcpSocket,
    /// The next read's ask (see [`READ_MIN`]).
    read_size: u64,
}

/// An outgoing connection between `start-connect` and `finish-connect`.
pub struct Connecting {
    /// Ready when the connect completed or failed.
    pub ready: Pollable,
    /// Where it connects to (for error messages).
    pub remote: SocketAddr,
    socket: TcpSocket,
}

/// A name being resolved (`dns.lookup`).
pub struct Lookup {
    /// Ready when more addresses (or the end) can be read.
    pub ready: Pollable,
    stream: ResolveAddressStream,
    found: Vec<IpAddr>,
}

/// What one round of reading found.
pub enum ReadOutcome {
    /// Bytes (maybe none: nothing more right now).
    Data(Vec<u8>),
    /// The peer closed its side.
    End,
    /// The connection failed (reset).
    Failed,
}

impl Listener {
    /// `server.listen(port, host)`: bind and listen, waiting out the two phases.
    pub fn bind(addr: SocketAddr) -> Result<Listener, ErrorCode> {
        let network = instance_network();
        let socket = create_tcp_socket(family_of(addr.ip()))?;
        let ready = socket.subscribe();
        socket.start_bind(&network, to_wasi(addr))?;
        finish(&ready, || socket.finish_bind())?;
        // Best effort: not every host lets the guest choose a backlog.
        let _ = socket.set_listen_backlog_size(BACKLOG);
        socket.start_listen()?;
        finish(&ready, || socket.finish_listen())?;
        Ok(Listener { ready, socket })
    }

    /// The bound address (the actual port when 0 was asked for).
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.socket.local_address().ok().map(from_wasi)
    }

    /// One pending connection, if any.
    pub fn accept(&self) -> Result<Option<Stream>, ErrorCode> {
        match self.socket.accept() {
            Ok((socket, input, output)) => Ok(Some(Stream::new(socket, input, output))),
            Err(ErrorCode::WouldBlock) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Connecting {
    /// `net.connect`: start connecting to `addr`, from `local` if given
    /// (`localAddress`, any port).
    pub fn start(addr: SocketAddr, local: Option<IpAddr>) -> Result<Connecting, ErrorCode> {
        let network = instance_network();
        let socket = create_tcp_socket(family_of(addr.ip()))?;
        let ready = socket.subscribe();
        if let Some(ip) = local {
            socket.start_bind(&network, to_wasi(SocketAddr::new(ip, 0)))?;
            finish(&ready, || socket.finish_bind())?;
        }
        socket.start_connect(&network, to_wasi(addr))?;
        Ok(Connecting {
            ready,
            remote: addr,
            socket,
        })
    }

    /// `Ok(Ok(stream))` once connected, `Ok(Err(self))` while still connecting.
    pub fn finish(self) -> Result<Result<Stream, Connecting>, ErrorCode> {
        match self.socket.finish_connect() {
            Ok((input, output)) => {
                let Connecting { ready, socket, .. } = self;
                drop(ready);
                Ok(Ok(Stream::new(socket, input, output)))
            }
            Err(ErrorCode::WouldBlock) => Ok(Err(self)),
            Err(e) => Err(e),
        }
    }
}

impl Lookup {
    /// Start resolving `name` through `wasi:sockets/ip-name-lookup`.
    pub fn start(name: &str) -> Result<Lookup, ErrorCode> {
        let stream = resolve_addresses(&instance_network(), name)?;
        Ok(Lookup {
            ready: stream.subscribe(),
            stream,
            found: Vec::new(),
        })
    }

    /// Read what has been resolved: `Ok(Some(addresses))` once the lookup is
    /// complete, `Ok(None)` while it goes on.
    pub fn poll(&mut self) -> Result<Option<Vec<IpAddr>>, ErrorCode> {
        loop {
            match self.stream.resolve_next_address() {
                Ok(Some(IpAddress::Ipv4((a, b, c, d)))) => {
                    self.found.push(IpAddr::from([a, b, c, d]))
                }
                Ok(Some(IpAddress::Ipv6((a, b, c, d, e, f, g, h)))) => {
                    self.found.push(IpAddr::from([a, b, c, d, e, f, g, h]))
                }
                Ok(None) => return Ok(Some(std::mem::take(&mut self.found))),
                Err(ErrorCode::WouldBlock) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }
}

impl Stream {
    /// A connected socket's streams, each with its pollable made once.
    fn new(socket: TcpSocket, input: InputStream, output: OutputStream) -> Stream {
        Stream {
            readable: input.subscribe(),
            writable: output.subscribe(),
            input,
            output,
            socket,
            read_size: READ_MIN,
        }
    }

    /// (remote, local) addresses.
    pub fn addresses(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        (
            self.socket.remote_address().ok().map(from_wasi),
            self.socket.local_address().ok().map(from_wasi),
        )
    }

    /// Read what is available now, up to one chunk.
    pub fn read(&mut self) -> ReadOutcome {
        match self.input.read(self.read_size) {
            Ok(bytes) => {
                self.read_size = if bytes.len() as u64 == self.read_size {
                    (self.read_size * 2).min(READ_MAX)
                } else {
                    READ_MIN
                };
                ReadOutcome::Data(bytes)
            }
            Err(StreamError::Closed) => ReadOutcome::End,
            Err(StreamError::LastOperationFailed(_)) => ReadOutcome::Failed,
        }
    }

    /// Write as much of `bytes` as the host grants now. `Ok(n)` with n == 0
    /// means wait for `writable`.
    pub fn write(&self, bytes: &[u8]) -> Result<usize, ()> {
        let grant = self.output.check_write().map_err(|_| ())?;
        let n = bytes
            .len()
            .min(usize::try_from(grant).unwrap_or(usize::MAX));
        if n > 0 {
            self.output.write(&bytes[..n]).map_err(|_| ())?;
        }
        Ok(n)
    }

    /// `socket.setKeepAlive(enable, initialDelay)`. Best effort: a host may
    /// refuse either setting, as an OS may.
    pub fn set_keep_alive(&self, enable: bool, initial_delay_ms: u32) {
        let _ = self.socket.set_keep_alive_enabled(enable);
        if enable && initial_delay_ms > 0 {
            let _ = self
                .socket
                .set_keep_alive_idle_time(u64::from(initial_delay_ms) * 1_000_000);
        }
    }

    /// Send FIN and keep reading: a raw socket's `end()` (half-close).
    pub fn shutdown_send(&self) {
        let _ = self.socket.shutdown(ShutdownType::Send);
    }

    /// Send FIN: Node's `socket.end()` once everything is written.
    pub fn shutdown(&self) {
        let _ = self.socket.shutdown(ShutdownType::Both);
    }
}

/// Drive a two-phase socket operation to completion.
fn finish(
    ready: &Pollable,
    mut step: impl FnMut() -> Result<(), ErrorCode>,
) -> Result<(), ErrorCode> {
    loop {
        match step() {
            Err(ErrorCode::WouldBlock) => ready.block(),
            other => return other,
        }
    }
}

/// Node's `err.code` for a socket error.
pub fn error_code(e: ErrorCode) -> &'static str {
    match e {
        ErrorCode::AccessDenied => "EACCES",
        ErrorCode::AddressInUse => "EADDRINUSE",
        ErrorCode::AddressNotBindable => "EADDRNOTAVAIL",
        ErrorCode::ConnectionRefused => "ECONNREFUSED",
        ErrorCode::ConnectionReset => "ECONNRESET",
        ErrorCode::ConnectionAborted => "ECONNABORTED",
        ErrorCode::Timeout => "ETIMEDOUT",
        ErrorCode::RemoteUnreachable => "EHOSTUNREACH",
        ErrorCode::NewSocketLimit => "EMFILE",
        ErrorCode::OutOfMemory => "ENOMEM",
        ErrorCode::InvalidArgument => "EINVAL",
        ErrorCode::NotSupported => "ENOTSUP",
        ErrorCode::NameUnresolvable => "ENOTFOUND",
        ErrorCode::TemporaryResolverFailure => "EAI_AGAIN",
        _ => "EIO",
    }
}

/// libuv's description of a Node error code, as Node puts it in messages
/// (`listen EADDRINUSE: address already in use 127.0.0.1:8080`).
pub fn describe(code: &str) -> &'static str {
    match code {
        "EACCES" => "permission denied",
        "EADDRINUSE" => "address already in use",
        "EADDRNOTAVAIL" => "address not available",
        "ECONNREFUSED" => "connection refused",
        "ECONNRESET" => "connection reset by peer",
        "ECONNABORTED" => "software caused connection abort",
        "ETIMEDOUT" => "connection timed out",
        "EHOSTUNREACH" => "host is unreachable",
        "EMFILE" => "too many open files",
        "ENOMEM" => "not enough memory",
        "EINVAL" => "invalid argument",
        "ENOTSUP" => "operation not supported on socket",
        "ENOTFOUND" | "EAI_AGAIN" => "name lookup failed",
        _ => "i/o error",
    }
}

fn family_of(ip: IpAddr) -> IpAddressFamily {
    match ip {
        IpAddr::V4(_) => IpAddressFamily::Ipv4,
        IpAddr::V6(_) => IpAddressFamily::Ipv6,
    }
}

fn to_wasi(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(a) => {
            let [a0, a1, a2, a3] = a.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: a.port(),
                address: (a0, a1, a2, a3),
            })
        }
        SocketAddr::V6(a) => {
            let s = a.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: a.port(),
                flow_info: a.flowinfo(),
                address: (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                scope_id: a.scope_id(),
            })
        }
    }
}

fn from_wasi(addr: IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(a) => {
            let (a0, a1, a2, a3) = a.address;
            SocketAddr::from(([a0, a1, a2, a3], a.port))
        }
        IpSocketAddress::Ipv6(a) => {
            let (s0, s1, s2, s3, s4, s5, s6, s7) = a.address;
            SocketAddr::from(([s0, s1, s2, s3, s4, s5, s6, s7], a.port))
        }
    }
}
