//! [`Socket`]: `net.Socket`, a raw duplex TCP socket — a connection a server
//! or client request handed over (`'upgrade'`, `'connect'`, `'clientError'`
//! with a listener), or one [`NodeHttp::net_connect`] opened.

use wasmtime::component::ResourceAny;

use crate::node::{call_guest, calls, throwing, Handle};
use crate::{Error, NodeError, NodeHttp, SocketAddress};

/// `net.Socket`. Its events (`Event::SocketConnect`, `SocketData`,
/// `SocketEnd`, `SocketDrain`, `SocketTimeout`, `SocketError`, and last
/// `SocketClose`) come from [`NodeHttp::poll`] naming [`Self::id`]; the
/// handle is released by the poll after `SocketClose`.
///
/// A socket handed over by a server is half-open (Node's `allowHalfOpen:
/// true`): after `SocketEnd` it still takes writes until [`Self::end`]. One
/// from [`NodeHttp::net_connect`] or a client request ends itself after
/// `SocketEnd`, as Node's `net.connect` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Socket {
    id: u32,
}

impl Socket {
    fn handle(&self) -> Handle {
        Handle::Socket(self.id)
    }

    /// Identifies this socket in events.
    pub fn id(&self) -> u32 {
        self.id
    }

    throwing! { nodehttp_http_net.socket;
        /// `socket.write(data)`: `false` when 16 KiB or more wait to be
        /// sent; `Event::SocketDrain` follows. Error: `ERR_STREAM_DESTROYED`.
        /// A write after [`Self::end`] fails the socket as Node's does
        /// (`SocketError` with `ERR_STREAM_WRITE_AFTER_END`).
        write(data: &[u8]) -> bool = call_write(data);
        /// `socket.end([data])`: send FIN once everything is written.
        end(data: Option<&[u8]>) -> () = call_end(data);
    }

    calls! { nodehttp_http_net.socket;
        /// `socket.remoteAddress` / `remotePort` / `remoteFamily`, once
        /// connected.
        remote_address() -> Option<SocketAddress> = call_remote_address();
        /// `socket.localAddress` / `localPort`, once connected.
        local_address() -> Option<SocketAddress> = call_local_address();
        /// `socket.destroy([error])`: close now, unsent bytes dropped;
        /// `Event::SocketError` carries `error` if given, then
        /// `Event::SocketClose`.
        destroy(error: Option<NodeError>) -> () = call_destroy(error.as_ref());
        /// `socket.pause()`: no `SocketData` until [`Self::resume`]; the
        /// socket is not read, so TCP flow control slows the peer.
        pause() -> () = call_pause();
        /// `socket.resume()`.
        resume() -> () = call_resume();
        /// `socket.setTimeout(msecs)`: `Event::SocketTimeout` after that much
        /// inactivity; 0 disables. The socket stays open.
        set_timeout(msecs: u32) -> () = call_set_timeout(msecs);
        /// `socket.setNoDelay([noDelay])`: accepted and without effect (WASI
        /// 0.2 has no `TCP_NODELAY`).
        set_no_delay(no_delay: bool) -> () = call_set_no_delay(no_delay);
        /// `socket.setKeepAlive([enable][, initialDelay])`.
        set_keep_alive(enable: bool, initial_delay_ms: u32) -> ()
            = call_set_keep_alive(enable, initial_delay_ms);
        /// `socket.bytesRead`.
        bytes_read() -> u64 = call_bytes_read();
        /// `socket.bytesWritten`.
        bytes_written() -> u64 = call_bytes_written();
        /// `socket.writable`.
        writable() -> bool = call_writable();
        /// `socket.destroyed`.
        destroyed() -> bool = call_destroyed();
    }

    /// Releases the handle now rather than at the poll after
    /// `Event::SocketClose`. A socket nobody holds can never be used again,
    /// so the component destroys it if still open (`SocketClose` follows).
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}

impl NodeHttp {
    /// `net.connect(port, host)`: resolve `host` and connect, within the
    /// [`crate::AddressPolicy`]. `Event::SocketConnect` follows, or
    /// `SocketError` (`ECONNREFUSED`, `ENOTFOUND`, an address the policy
    /// refuses, ...) and `SocketClose`.
    pub async fn net_connect(&mut self, port: u16, host: &str) -> Result<Socket, Error> {
        let resource = call_guest!(self, |guest, store| guest
            .nodehttp_http_net()
            .call_connect(store, port, host));
        self.adopt_socket(resource).await
    }

    /// Registers a socket the component handed over, under its id.
    pub(crate) async fn adopt_socket(&mut self, resource: ResourceAny) -> Result<Socket, Error> {
        let id = call_guest!(self, |guest, store| guest
            .nodehttp_http_net()
            .socket()
            .call_id(store, resource));
        self.register(Handle::Socket(id), resource);
        Ok(Socket { id })
    }
}

/// These run the embedded component over loopback.
#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;
    use crate::testing::until;
    use crate::{Config, Event};

    /// `net.connect` to an echo server: `connect`, the echo as `data`, then
    /// the server's FIN after ours: `end`, `close(false)`; the handle is
    /// released by the poll after `close`.
    #[tokio::test]
    async fn net_connect_round_trip() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let echo = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            conn.write_all(&got).unwrap();
        });
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let socket = node.net_connect(port, "127.0.0.1").await.unwrap();
        let id = socket.id();
        until(
            &mut node,
            |e| matches!(e, Event::SocketConnect { socket } if *socket == id),
        )
        .await;
        let remote = socket.remote_address(&mut node).await.unwrap().unwrap();
        assert_eq!((remote.address.as_str(), remote.port), ("127.0.0.1", port));
        assert!(socket.write(&mut node, b"ping").await.unwrap());
        socket.end(&mut node, None).await.unwrap();
        let events = until(&mut node, |e| matches!(e, Event::SocketClose { .. })).await;
        echo.join().unwrap();
        let data: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                Event::SocketData { socket, chunk } if *socket == id => Some(chunk.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(data, b"ping");
        assert!(events.contains(&Event::SocketEnd { socket: id }));
        assert_eq!(
            events.last(),
            Some(&Event::SocketClose {
                socket: id,
                had_error: false
            })
        );
        assert_eq!(socket.bytes_written(&mut node).await.unwrap(), 4);
        node.poll(Duration::ZERO).await.unwrap();
        let released = socket.bytes_read(&mut node).await;
        assert!(
            matches!(released, Err(Error::Disposed { kind: "socket", .. })),
            "{released:?}"
        );
    }

    /// A refused connect: `error` (`ECONNREFUSED`), `close(true)`; one the
    /// address policy refuses fails the same way, without leaving the host.
    #[tokio::test]
    async fn refused_connects_are_socket_errors() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        for host in ["127.0.0.1", "192.0.2.1"] {
            let socket = node.net_connect(port, host).await.unwrap();
            let id = socket.id();
            let events = until(&mut node, |e| matches!(e, Event::SocketClose { .. })).await;
            assert!(
                matches!(&events[..], [Event::SocketError { socket, error }, Event::SocketClose { had_error: true, .. }]
                    if *socket == id && !error.code.is_empty()),
                "{host}: {events:?}"
            );
        }
    }
}
