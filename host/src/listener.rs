//! [`RequestListener`] and [`NodeHttp::serve`]: handling a server's events
//! in Node's callback shape instead of a hand-written poll loop.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::{
    Error, Event, IncomingMessage, NodeError, NodeHttp, Server, ServerResponse, Socket, SocketInfo,
};

/// How long one `poll` of the serve loop may wait: the most a shutdown request
/// waits to be noticed. A call into the component cannot be abandoned halfway
/// (its state would be torn), so the loop checks for shutdown between polls.
const SERVE_POLL: Duration = Duration::from_millis(100);

/// How long [`NodeHttp::serve`] lets in-flight responses finish after
/// shutdown before it returns anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The listeners of Node's `request`, `req` and `res` events, and of the raw
/// sockets' events, as methods. Every method defaults to doing nothing, as
/// an event without a listener, except those that hand over a socket: their
/// default destroys it, since nobody else holds it. Each gets the instance
/// to call back into (e.g. `res.end(node, ..)`); an `Err` stops
/// [`NodeHttp::serve`].
///
/// Request bodies arrive as [`RequestListener::data`] calls naming the
/// request's id, as Node's `req.on('data')` does.
///
/// The events Node emits only to a listener (`checkContinue`,
/// `checkExpectation`, `upgrade`, `connect`, `timeout`, `clientError` with
/// its socket) reach these methods only when the server's
/// [`crate::ServerListeners`] says so; otherwise the component does Node's
/// default (an automatic `100 Continue` and a `request` event, a 417, ...).
/// Implementing the method is not enough: set the listener too, and only
/// for methods implemented.
// The futures need not be `Send`: the component runs on the caller's task.
#[allow(async_fn_in_trait)]
pub trait RequestListener {
    /// `server.on('request', (req, res))`.
    async fn request(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        let _ = (node, req, res);
        Ok(())
    }

    /// `server.on('listening')`.
    async fn listening(&mut self, node: &mut NodeHttp, server: u32) -> Result<(), Error> {
        let _ = (node, server);
        Ok(())
    }

    /// `server.on('connection', socket)`.
    async fn connection(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        socket: SocketInfo,
    ) -> Result<(), Error> {
        let _ = (node, server, socket);
        Ok(())
    }

    /// `server.on('checkContinue', (req, res))`, with
    /// [`crate::ServerListeners::check_continue`] set: no `request` follows;
    /// call `res.write_continue` to have the body sent, or answer at once.
    async fn check_continue(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        let _ = (node, req, res);
        Ok(())
    }

    /// `server.on('checkExpectation', (req, res))`, with
    /// [`crate::ServerListeners::check_expectation`] set: no `request`
    /// follows.
    async fn check_expectation(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        let _ = (node, req, res);
        Ok(())
    }

    /// `server.on('clientError', err, socket)`: `connection` is the
    /// connection's id. Without [`crate::ServerListeners::client_error`] it
    /// comes after Node's default handling and `socket` is `None`; with it,
    /// a parse error's socket is the listener's to answer on and end (a
    /// socket that failed comes already destroyed, as `None`). The default
    /// destroys it. (`err.bytesParsed` and `err.rawPacket` are on
    /// [`Event::ClientError`].)
    async fn client_error(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        connection: u32,
        error: NodeError,
        socket: Option<Socket>,
    ) -> Result<(), Error> {
        let _ = (server, connection, error);
        match socket {
            Some(socket) => socket.destroy(node, None).await,
            None => Ok(()),
        }
    }

    /// `server.on('upgrade', (req, socket, head))`, with
    /// [`crate::ServerListeners::upgrade`] set: the socket left HTTP and is
    /// the listener's; `head` is what the client sent after the request's
    /// head. The default destroys the socket.
    async fn upgrade(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    ) -> Result<(), Error> {
        let _ = (req, head);
        socket.destroy(node, None).await
    }

    /// `server.on('connect', (req, socket, head))`, with
    /// [`crate::ServerListeners::connect`] set: as [`Self::upgrade`], for a
    /// `CONNECT` request (its url is the tunnel's `host:port`). The default
    /// destroys the socket.
    async fn connect(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    ) -> Result<(), Error> {
        let _ = (req, head);
        socket.destroy(node, None).await
    }

    /// `server.on('timeout', socket)`, with
    /// [`crate::ServerListeners::timeout`] set: connection `connection` was
    /// idle for the server's timeout; it stays open.
    async fn server_timeout(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        connection: u32,
    ) -> Result<(), Error> {
        let _ = (node, server, connection);
        Ok(())
    }

    /// `server.on('error', err)`.
    async fn server_error(
        &mut self,
        node: &mut NodeHttp,
        server: u32,
        error: NodeError,
    ) -> Result<(), Error> {
        let _ = (node, server, error);
        Ok(())
    }

    /// `server.on('close')`.
    async fn server_close(&mut self, node: &mut NodeHttp, server: u32) -> Result<(), Error> {
        let _ = (node, server);
        Ok(())
    }

    /// `req.on('data', chunk)`.
    async fn data(&mut self, node: &mut NodeHttp, req: u32, chunk: Vec<u8>) -> Result<(), Error> {
        let _ = (node, req, chunk);
        Ok(())
    }

    /// `req.on('end')`.
    async fn end(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        let _ = (node, req);
        Ok(())
    }

    /// `req.on('aborted')`.
    async fn aborted(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        let _ = (node, req);
        Ok(())
    }

    /// `req.on('close')`.
    async fn request_close(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        let _ = (node, req);
        Ok(())
    }

    /// `res.on('finish')`.
    async fn finish(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        let _ = (node, res);
        Ok(())
    }

    /// `res.on('close')`.
    async fn response_close(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        let _ = (node, res);
        Ok(())
    }

    /// `res.on('drain')`.
    async fn drain(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        let _ = (node, res);
        Ok(())
    }

    /// `req.on('timeout')`, on a request that set a timeout with a listener.
    async fn request_timeout(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        let _ = (node, req);
        Ok(())
    }

    /// `res.on('timeout')`, on a response that set a timeout with a listener.
    async fn response_timeout(&mut self, node: &mut NodeHttp, res: u32) -> Result<(), Error> {
        let _ = (node, res);
        Ok(())
    }

    /// The callback of `res.write_with_callback` that returned `ticket`.
    async fn write_callback(
        &mut self,
        node: &mut NodeHttp,
        res: u32,
        ticket: u64,
    ) -> Result<(), Error> {
        let _ = (node, res, ticket);
        Ok(())
    }

    /// `socket.on('connect')`.
    async fn socket_connect(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        let _ = (node, socket);
        Ok(())
    }

    /// `socket.on('data', chunk)`.
    async fn socket_data(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        chunk: Vec<u8>,
    ) -> Result<(), Error> {
        let _ = (node, socket, chunk);
        Ok(())
    }

    /// `socket.on('end')`.
    async fn socket_end(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        let _ = (node, socket);
        Ok(())
    }

    /// `socket.on('drain')`.
    async fn socket_drain(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        let _ = (node, socket);
        Ok(())
    }

    /// `socket.on('timeout')`.
    async fn socket_timeout(&mut self, node: &mut NodeHttp, socket: u32) -> Result<(), Error> {
        let _ = (node, socket);
        Ok(())
    }

    /// `socket.on('error', err)`.
    async fn socket_error(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        error: NodeError,
    ) -> Result<(), Error> {
        let _ = (node, socket, error);
        Ok(())
    }

    /// `socket.on('close', hadError)`.
    async fn socket_close(
        &mut self,
        node: &mut NodeHttp,
        socket: u32,
        had_error: bool,
    ) -> Result<(), Error> {
        let _ = (node, socket, had_error);
        Ok(())
    }
}

impl NodeHttp {
    /// Runs the event loop, handing every event to `listener`, until
    /// `shutdown` resolves; then closes `server` (`server.close()`) and keeps
    /// going until its `close` event, or for at most 2 s, so responses in
    /// flight can finish.
    ///
    /// Events of other servers on this instance go to `listener` too.
    pub async fn serve<L: RequestListener>(
        &mut self,
        server: Server,
        listener: &mut L,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let mut shutdown = pin!(shutdown);
        while !is_ready(shutdown.as_mut()).await {
            self.dispatch(listener).await?;
        }
        server.close(self).await?;
        let give_up = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < give_up {
            if self.dispatch(listener).await? == Some(server.id()) {
                break;
            }
        }
        Ok(())
    }

    /// Polls once and hands the events to `listener`. Returns the id of a
    /// server whose `close` event was among them.
    async fn dispatch<L: RequestListener>(
        &mut self,
        listener: &mut L,
    ) -> Result<Option<u32>, Error> {
        let mut closed = None;
        for event in self.poll(SERVE_POLL).await? {
            match event {
                Event::Listening { server } => listener.listening(self, server).await?,
                Event::Connection { server, socket } => {
                    listener.connection(self, server, socket).await?
                }
                Event::Request {
                    request, response, ..
                } => listener.request(self, request, response).await?,
                Event::CheckContinue {
                    request, response, ..
                } => listener.check_continue(self, request, response).await?,
                Event::CheckExpectation {
                    request, response, ..
                } => listener.check_expectation(self, request, response).await?,
                Event::ClientError {
                    server,
                    connection,
                    error,
                    socket,
                    ..
                } => {
                    listener
                        .client_error(self, server, connection, error, socket)
                        .await?
                }
                Event::Upgrade {
                    server: Some(_),
                    message,
                    socket,
                    head,
                } => listener.upgrade(self, message, socket, head).await?,
                Event::Connect {
                    server: Some(_),
                    message,
                    socket,
                    head,
                } => listener.connect(self, message, socket, head).await?,
                Event::ServerTimeout { server, connection } => {
                    listener.server_timeout(self, server, connection).await?
                }
                Event::ServerClose { server } => {
                    closed = Some(server);
                    listener.server_close(self, server).await?
                }
                Event::ServerError { server, error } => {
                    listener.server_error(self, server, error).await?
                }
                Event::Data { request, chunk } => listener.data(self, request, chunk).await?,
                Event::End { request } => listener.end(self, request).await?,
                Event::Aborted { request } => listener.aborted(self, request).await?,
                Event::RequestClose { request } => listener.request_close(self, request).await?,
                Event::Finish { response } => listener.finish(self, response).await?,
                Event::ResponseClose { response } => {
                    listener.response_close(self, response).await?
                }
                Event::Drain { response } => listener.drain(self, response).await?,
                Event::RequestTimeout { request } => {
                    listener.request_timeout(self, request).await?
                }
                Event::ResponseTimeout { response } => {
                    listener.response_timeout(self, response).await?
                }
                Event::WriteCallback { response, ticket } => {
                    listener.write_callback(self, response, ticket).await?
                }
                Event::SocketConnect { socket } => listener.socket_connect(self, socket).await?,
                Event::SocketData { socket, chunk } => {
                    listener.socket_data(self, socket, chunk).await?
                }
                Event::SocketEnd { socket } => listener.socket_end(self, socket).await?,
                Event::SocketDrain { socket } => listener.socket_drain(self, socket).await?,
                Event::SocketTimeout { socket } => listener.socket_timeout(self, socket).await?,
                Event::SocketError { socket, error } => {
                    listener.socket_error(self, socket, error).await?
                }
                Event::SocketClose { socket, had_error } => {
                    listener.socket_close(self, socket, had_error).await?
                }
                // A request listener hears the server's events only; the
                // client's are for whoever made the requests.
                Event::Upgrade { server: None, .. }
                | Event::Connect { server: None, .. }
                | Event::Socket { .. }
                | Event::Continue { .. }
                | Event::Information { .. }
                | Event::Response { .. }
                | Event::ClientRequestFinish { .. }
                | Event::ClientRequestDrain { .. }
                | Event::Abort { .. }
                | Event::Timeout { .. }
                | Event::ClientRequestError { .. }
                | Event::ClientRequestClose { .. }
                | Event::ClientResponseData { .. }
                | Event::ClientResponseEnd { .. }
                | Event::ClientResponseAborted { .. }
                | Event::ClientResponseClose { .. } => {}
            }
        }
        Ok(closed)
    }
}

/// Whether `future` has completed, without waiting for it.
async fn is_ready<F: Future<Output = ()>>(mut future: Pin<&mut F>) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready())).await
}

/// These run the embedded component over loopback.
#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::hello::Hello;
    use crate::{Config, ServerOptions};

    #[tokio::test]
    async fn serve_answers_until_shutdown() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let server = node.create_server(ServerOptions::default()).await.unwrap();
        server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
        let port = server.address(&mut node).await.unwrap().unwrap().port;

        let done = Arc::new(AtomicBool::new(false));
        let client = std::thread::spawn({
            let done = done.clone();
            move || {
                let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                conn.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                    .unwrap();
                let mut response = String::new();
                let _ = conn.read_to_string(&mut response);
                done.store(true, Ordering::SeqCst);
                response
            }
        });
        // Checked between polls, so it needs no waker.
        let shutdown = std::future::poll_fn(|_| {
            if done.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let mut hello = Hello;
        let serve = node.serve(server, &mut hello, shutdown);
        let served = tokio::time::timeout(Duration::from_secs(10), serve).await;
        served.unwrap().unwrap();
        let response = client.join().unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
        assert!(
            response.contains("\r\nContent-Type: text/plain\r\n"),
            "{response:?}"
        );
        assert!(response.ends_with("\r\n\r\nhello world"), "{response:?}");
        assert!(!server.listening(&mut node).await.unwrap());
    }
}
