//! [`Proxy`]: a `CONNECT` tunnelling proxy in front of an application, as
//! `nodehttp serve --proxy` runs it. It is Node's documented example (the
//! `'connect'` event of `http.Server`) made a [`RequestListener`]:
//!
//! ```js
//! proxy.on('connect', (req, clientSocket, head) => {
//!   const { port, hostname } = new URL(`http://${req.url}`);
//!   const serverSocket = net.connect(port || 80, hostname, () => {
//!     clientSocket.write('HTTP/1.1 200 Connection Established\r\n' +
//!                     'Proxy-agent: Node.js-Proxy\r\n' +
//!                     '\r\n');
//!     serverSocket.write(head);
//!     serverSocket.pipe(clientSocket);
//!     clientSocket.pipe(serverSocket);
//!   });
//! });
//! ```
//!
//! with what the example leaves out: a target that cannot be reached is
//! answered `502 Bad Gateway`, a target that does not parse `400 Bad
//! Request`, and a side that fails destroys the other. `pipe` is done as
//! Node's `Readable.pipe` does it: a `write` that returns `false` pauses the
//! source until the destination's `drain`, and the source's `end` ends the
//! destination.
//!
//! Which targets may be reached is the instance's [`crate::AddressPolicy`]:
//! the sandbox refuses a connect elsewhere, and the client gets the 502.

use rustc_hash::FxHashMap as HashMap;

use nodehttp_core::request_options::parse_url;

use crate::{
    Error, IncomingMessage, NodeError, NodeHttp, RequestListener, ServerListeners, ServerResponse,
    Socket, SocketInfo,
};

/// What the proxy answers once the target connected (Node's example).
const ESTABLISHED: &[u8] =
    b"HTTP/1.1 200 Connection Established\r\nProxy-agent: Node.js-Proxy\r\n\r\n";

/// What the proxy answers when the target cannot be reached.
const BAD_GATEWAY: &[u8] =
    b"HTTP/1.1 502 Bad Gateway\r\nProxy-agent: Node.js-Proxy\r\nConnection: close\r\n\r\n";

/// What the proxy answers when the `CONNECT` target is not a `host:port`.
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nProxy-agent: Node.js-Proxy\r\nConnection: close\r\n\r\n";

/// A `CONNECT` proxy in front of `app`, which gets every other event. Serve
/// it on a server with [`Proxy::listeners`] (at least `connect: true`).
#[derive(Debug, Default)]
pub struct Proxy<L> {
    app: L,
    /// Both ends of every tunnel, by socket id.
    ends: HashMap<u32, End>,
}

/// One end of a tunnel.
#[derive(Debug)]
struct End {
    /// The other end.
    peer: Socket,
    /// The target's end, before it connected: the `head` to send it then.
    dialing: Option<Vec<u8>>,
}

impl<L> Proxy<L> {
    /// A proxy in front of `app`.
    pub fn new(app: L) -> Self {
        Proxy {
            app,
            ends: HashMap::default(),
        }
    }

    /// The server listeners a proxy needs: `'connect'`.
    pub fn listeners() -> ServerListeners {
        ServerListeners {
            connect: true,
            ..ServerListeners::default()
        }
    }

    /// How many tunnel ends are open (two per tunnel, until each closes).
    pub fn open_ends(&self) -> usize {
        self.ends.len()
    }

    /// The other end of `socket`, if it is a tunnel's and that end is open.
    fn peer(&self, socket: u32) -> Option<Socket> {
        let peer = self.ends.get(&socket)?.peer;
        self.ends.contains_key(&peer.id()).then_some(peer)
    }
}

/// A call's result with Node's errors (a write to a socket destroyed
/// meanwhile) dropped: a tunnel end that fails closes, and its `close`
/// cleans up. Only a failure of the component stops the proxy.
fn tolerate<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Node(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The target of `CONNECT host:port`, read as Node's example reads it:
/// `new URL('http://' + req.url)`, port 80 when none is given.
fn target(url: &str) -> Option<(String, u16)> {
    let options = parse_url(&format!("http://{url}")).ok()?;
    let host = options.hostname.filter(|host| !host.is_empty())?;
    Some((host, options.port.unwrap_or(80)))
}

impl<L: RequestListener> RequestListener for Proxy<L> {
    async fn connect(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    ) -> Result<(), Error> {
        let url = req.url(node).await?.unwrap_or_default();
        let Some((host, port)) = target(&url) else {
            tolerate(socket.end(node, Some(BAD_REQUEST)).await)?;
            return Ok(());
        };
        // Nothing is read from the client until the target is there to take
        // it (Node's socket is not flowing before `pipe`).
        socket.pause(node).await?;
        let server = node.net_connect(port, &host).await?;
        self.ends.insert(
            socket.id(),
            End {
                peer: server,
                dialing: None,
            },
        );
        self.ends.insert(
            server.id(),
            End {
                peer: socket,
                dialing: Some(head),
            },
        );
        Ok(())
    }

    async fn socket_connect(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        let Some(end) = self.ends.get_mut(&socket) else {
            return self.app.socket_connect(node, socket).await;
        };
        let (client, head) = (end.peer, end.dialing.take().unwrap_or_default());
        let Some(server) = self.peer(client.id()) else {
            return Ok(());
        };
        tolerate(client.write(node, ESTABLISHED).await)?;
        if !head.is_empty() && tolerate(server.write(node, &head).await)? == Some(false) {
            // The head alone filled the target's buffer: its drain resumes.
            return Ok(());
        }
        client.resume(node).await
    }

    async fn socket_data(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        chunk: Vec<u8>,
    ) -> Result<(), Error> {
        if !self.ends.contains_key(&socket) {
            return self.app.socket_data(node, socket, chunk).await;
        }
        let Some(peer) = self.peer(socket) else {
            // The other end is gone: nothing takes the bytes.
            return Ok(());
        };
        if tolerate(peer.write(node, &chunk).await)? == Some(false) {
            // The peer's end names this socket: pause it until the peer drains.
            if let Some(source) = self.peer(peer.id()) {
                source.pause(node).await?;
            }
        }
        Ok(())
    }

    async fn socket_drain(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        if !self.ends.contains_key(&socket) {
            return self.app.socket_drain(node, socket).await;
        }
        match self.peer(socket) {
            Some(source) => source.resume(node).await,
            None => Ok(()),
        }
    }

    async fn socket_end(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        if !self.ends.contains_key(&socket) {
            return self.app.socket_end(node, socket).await;
        }
        match self.peer(socket) {
            Some(peer) => tolerate(peer.end(node, None).await).map(drop),
            None => Ok(()),
        }
    }

    async fn socket_close(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        had_error: bool,
    ) -> Result<(), Error> {
        let peer = self.peer(socket);
        let Some(end) = self.ends.remove(&socket) else {
            return self.app.socket_close(node, socket, had_error).await;
        };
        let Some(peer) = peer else {
            return Ok(());
        };
        if end.dialing.is_some() {
            // The target was never reached: answer the client and let it
            // go (resumed, so its FIN is read and it closes).
            peer.resume(node).await?;
            tolerate(peer.end(node, Some(BAD_GATEWAY)).await)?;
        } else if had_error {
            peer.destroy(node, None).await?;
        } else {
            tolerate(peer.end(node, None).await)?;
        }
        Ok(())
    }

    // Tunnel ends have nothing to do on these; other sockets are the app's.

    async fn socket_error(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        error: NodeError,
    ) -> Result<(), Error> {
        if self.ends.contains_key(&socket) {
            return Ok(());
        }
        self.app.socket_error(node, socket, error).await
    }

    async fn socket_timeout(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        if self.ends.contains_key(&socket) {
            return Ok(());
        }
        self.app.socket_timeout(node, socket).await
    }

    // Everything else is the app's.

    async fn request(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        self.app.request(node, req, res).await
    }

    async fn listening(&mut self, node: &mut NodeHttp, server: u32) -> Result<(), Error> {
        self.app.listening(node, server).await
    }

    async fn connection(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        socket: SocketInfo,
    ) -> Result<(), Error> {
        self.app.connection(node, server, socket).await
    }

    async fn check_continue(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        self.app.check_continue(node, req, res).await
    }

    async fn check_expectation(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        self.app.check_expectation(node, req, res).await
    }

    async fn client_error(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        connection: u32,
        error: NodeError,
        socket: Option<Socket>,
    ) -> Result<(), Error> {
        self.app
            .client_error(node, server, connection, error, socket)
            .await
    }

    async fn upgrade(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    ) -> Result<(), Error> {
        self.app.upgrade(node, req, socket, head).await
    }

    async fn server_timeout(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        connection: u32,
    ) -> Result<(), Error> {
        self.app.server_timeout(node, server, connection).await
    }

    async fn server_error(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        error: NodeError,
    ) -> Result<(), Error> {
        self.app.server_error(node, server, error).await
    }

    async fn server_close(&mut self, node: &mut NodeHttp, server: u32) -> Result<(), Error> {
        self.app.server_close(node, server).await
    }

    async fn data(&mut self, node: &mut NodeHttp, req: u32, chunk: Vec<u8>) -> Result<(), Error> {
        self.app.data(node, req, chunk).await
    }

    async fn end(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        self.app.end(node, req).await
    }

    async fn aborted(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        self.app.aborted(node, req).await
    }

    async fn request_close(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        self.app.request_close(node, req).await
    }

    async fn finish(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        self.app.finish(node, res).await
    }

    async fn response_close(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        self.app.response_close(node, res).await
    }

    async fn drain(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        self.app.drain(node, res).await
    }

    async fn request_timeout(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        self.app.request_timeout(node, req).await
    }

    async fn response_timeout(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        self.app.response_timeout(node, res).await
    }

    async fn write_callback(
        &mut self,
        node: &mut NodeHttp,
        res: u32,
        ticket: u64,
    ) -> Result<(), Error> {
        self.app.write_callback(node, res, ticket).await
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Duration;

    use super::*;
    use crate::hello::Hello;
    use crate::{Config, ServerOptions};

    /// Sends `CONNECT target` with `head` to the proxy, then `more` and a
    /// FIN; returns everything the proxy sent until its FIN.
    fn tunnel(proxy: u16, target: &str, head: &[u8], more: &[u8]) -> Vec<u8> {
        let mut conn = TcpStream::connect(("127.0.0.1", proxy)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request =
            format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").into_bytes();
        request.extend_from_slice(head);
        conn.write_all(&request).unwrap();
        let mut reply = vec![0; ESTABLISHED.len()];
        conn.read_exact(&mut reply).unwrap();
        // A 502 ends the connection; a tunnel takes more.
        let _ = conn.write_all(more);
        let _ = conn.shutdown(Shutdown::Write);
        conn.read_to_end(&mut reply).unwrap();
        reply
    }

    /// Through the proxy to an echo server: the head and later bytes reach
    /// the target, its answer comes back after Node's 200, FINs pass both
    /// ways; an unreachable target is a 502; every tunnel end closes.
    #[tokio::test]
    async fn tunnels_to_a_target_and_answers_502_when_unreachable() {
        let target = TcpListener::bind("127.0.0.1:0").unwrap();
        let target_port = target.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut conn, _) = target.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            conn.write_all(&got).unwrap();
        });
        let refused = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();

        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let options = ServerOptions {
            listeners: Proxy::<Hello>::listeners(),
            ..ServerOptions::default()
        };
        let server = node.create_server(options).await.unwrap();
        server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
        let port = server.address(&mut node).await.unwrap().unwrap().port;

        let done = Arc::new(AtomicBool::new(false));
        let client = std::thread::spawn({
            let done = done.clone();
            move || {
                let tunnelled = tunnel(port, &format!("127.0.0.1:{target_port}"), b"abc", b"def");
                let failed = tunnel(port, &format!("127.0.0.1:{refused}"), b"", b"");
                done.store(true, Ordering::SeqCst);
                (tunnelled, failed)
            }
        });
        let shutdown = std::future::poll_fn(|_| {
            if done.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let mut proxy = Proxy::new(Hello);
        let serve = node.serve(server, &mut proxy, shutdown);
        tokio::time::timeout(Duration::from_secs(15), serve)
            .await
            .unwrap()
            .unwrap();
        let (tunnelled, failed) = client.join().unwrap();
        assert_eq!(tunnelled, [ESTABLISHED, b"abcdef"].concat());
        assert_eq!(failed, BAD_GATEWAY);
        assert_eq!(proxy.open_ends(), 0);
    }

    #[test]
    fn targets_as_nodes_example_reads_them() {
        assert_eq!(target("127.0.0.1:8080"), Some(("127.0.0.1".into(), 8080)));
        assert_eq!(target("[::1]:443"), Some(("::1".into(), 443)));
        assert_eq!(target("example.com"), Some(("example.com".into(), 80)));
        assert_eq!(target(""), None);
        assert_eq!(target("a b:80"), None);
    }
}
