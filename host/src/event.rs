//! [`Event`]: Node's events as [`crate::NodeHttp::poll`] returns them, and
//! how the component's events become them.

use rustc_hash::FxHashMap as HashMap;

use crate::bindings::wit_events;
use crate::node::Handle;
use crate::{
    Error, Header, IncomingMessage, NodeError, NodeHttp, ServerResponse, Socket, SocketInfo,
};

/// One of Node's events, in the order Node emits them. Each names its emitter
/// by id: a [`crate::Server`], an [`IncomingMessage`], a [`ServerResponse`],
/// a [`crate::ClientRequest`] (whose response shares its id) or a
/// [`Socket`].
///
/// The server's events keep their short names (`Data`, `Finish`, ...). A
/// client event whose Node name the server half already uses is named after
/// its emitter: `ClientRequest…` for `http.ClientRequest`, `ClientResponse…`
/// for the client's response (`res` of `req.on('response')`); a raw socket's
/// are `Socket…`.
///
/// The server events that Node only emits to a listener (`CheckContinue`,
/// `CheckExpectation`, `Upgrade`, `Connect`, `ServerTimeout`, and
/// `ClientError` with its socket) come only when [`crate::ServerListeners`]
/// says so; otherwise the component does Node's default.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `server.on('listening')`.
    Listening { server: u32 },
    /// `server.on('connection', socket)`.
    Connection { server: u32, socket: SocketInfo },
    /// `server.on('request', (req, res))`.
    Request {
        server: u32,
        request: IncomingMessage,
        response: ServerResponse,
    },
    /// `server.on('checkContinue', (req, res))`: a request with `Expect:
    /// 100-continue`, with [`crate::ServerListeners::check_continue`] set.
    /// No `Request` follows and no `100 Continue` was sent: call
    /// [`ServerResponse::write_continue`] to have the body sent, or answer
    /// at once.
    CheckContinue {
        server: u32,
        request: IncomingMessage,
        response: ServerResponse,
    },
    /// `server.on('checkExpectation', (req, res))`: any other `Expect`, with
    /// [`crate::ServerListeners::check_expectation`] set (else Node answers
    /// 417 itself). No `Request` follows.
    CheckExpectation {
        server: u32,
        request: IncomingMessage,
        response: ServerResponse,
    },
    /// `server.on('clientError', err, socket)`: the connection sent bytes
    /// that do not parse, or (with a listener only) failed mid-request, e.g.
    /// a reset. Without [`crate::ServerListeners::client_error`], Node's
    /// default handling has already happened (a 400/431 written where
    /// possible, the socket destroyed) and `socket` is `None`. With it, a
    /// parse error's `socket` is the listener's to answer on and end or
    /// destroy; a failed socket is already destroyed (`None`).
    ClientError {
        server: u32,
        /// The connection's id ([`SocketInfo::id`], as in `Connection`).
        connection: u32,
        error: NodeError,
        /// `err.bytesParsed`: bytes of the packet parsed before the error.
        bytes_parsed: u64,
        /// `err.rawPacket`: the packet being parsed.
        raw_packet: Vec<u8>,
        socket: Option<Socket>,
    },
    /// `'upgrade'` (request, socket, head) on a server with
    /// [`crate::ServerListeners::upgrade`] (`server` is `Some`, `message` the
    /// request), or (response, socket, head) on a client request that
    /// listens ([`crate::ClientRequest::listen_upgrade`]; `server` is
    /// `None`, `message` the response, whose id is the request's). `head`:
    /// the first bytes of the new protocol, already read. The socket is the
    /// embedder's from now on; the message goes with it.
    Upgrade {
        server: Option<u32>,
        message: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    },
    /// `'connect'` (request, socket, head) on a server with
    /// [`crate::ServerListeners::connect`], or (response, socket, head) on a
    /// client `CONNECT` request that listens
    /// ([`crate::ClientRequest::listen_connect`]); fields as `Upgrade`. A
    /// server's request has the tunnel's `host:port` as its url.
    Connect {
        server: Option<u32>,
        message: IncomingMessage,
        socket: Socket,
        head: Vec<u8>,
    },
    /// `server.on('timeout', socket)`: a connection was idle for the
    /// server's timeout, with [`crate::ServerListeners::timeout`] set. The
    /// socket stays open.
    ServerTimeout { server: u32, connection: u32 },
    /// `server.on('close')`: the server stopped and every connection closed.
    ServerClose { server: u32 },
    /// `server.on('error', err)`: an accept failure.
    ServerError { server: u32, error: NodeError },
    /// `req.on('data', chunk)`.
    Data { request: u32, chunk: Vec<u8> },
    /// `req.on('end')`: the body is complete; trailers are readable.
    End { request: u32 },
    /// `req.on('aborted')`: the client went away before the request completed.
    Aborted { request: u32 },
    /// `req.on('close')`. The request's handle is released by the next poll.
    RequestClose { request: u32 },
    /// `res.on('finish')`: the last byte was handed to the socket.
    Finish { response: u32 },
    /// `res.on('close')`. The response's handle is released by the next poll.
    ResponseClose { response: u32 },
    /// `res.on('drain')`: the response's buffer fell below its high-water mark.
    Drain { response: u32 },
    /// `req.on('timeout')` on a server's request that listens
    /// ([`IncomingMessage::set_timeout`] with a listener): its socket was
    /// idle for the timeout while the request was incomplete.
    RequestTimeout { request: u32 },
    /// `res.on('timeout')` on a response that listens
    /// ([`ServerResponse::set_timeout`] with a listener).
    ResponseTimeout { response: u32 },
    /// The callback of [`ServerResponse::write_with_callback`]: the chunk of
    /// that `ticket` was handed to the socket.
    WriteCallback { response: u32, ticket: u64 },

    /// `req.on('socket', socket)`: a socket, new or pooled, was assigned.
    Socket { request: u32 },
    /// `req.on('continue')`: the server sent `100 Continue`.
    Continue { request: u32 },
    /// `req.on('information', info)`: a 1xx interim response other than 101 (100 included, after `Continue`).
    Information { request: u32, info: Information },
    /// `req.on('response', res)`. `response.id()` is the request's id.
    Response {
        request: u32,
        response: IncomingMessage,
    },
    /// `req.on('finish')`: the request's last byte was handed to the socket.
    ClientRequestFinish { request: u32 },
    /// `req.on('drain')`: the request's buffer fell below its high-water mark.
    ClientRequestDrain { request: u32 },
    /// `req.on('abort')`: `abort()` was called.
    Abort { request: u32 },
    /// `req.on('timeout')`: the socket was idle for the request's timeout.
    /// Nothing is aborted.
    Timeout { request: u32 },
    /// `req.on('error', err)`: `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`
    /// ("socket hang up"), `HPE_*`, ...
    ClientRequestError { request: u32, error: NodeError },
    /// `req.on('close')`. The request's handle is released by the next poll.
    ClientRequestClose { request: u32 },
    /// `res.on('data', chunk)` on the client's response.
    ClientResponseData { response: u32, chunk: Vec<u8> },
    /// `res.on('end')` on the client's response: the body is complete;
    /// trailers are readable.
    ClientResponseEnd { response: u32 },
    /// `res.on('aborted')`: the response was cut short (the connection
    /// closed, or the request was aborted) before it completed.
    ClientResponseAborted { response: u32 },
    /// `res.on('close')` on the client's response. Its handle is released by
    /// the next poll.
    ClientResponseClose { response: u32 },

    /// `socket.on('connect')`: a socket from [`NodeHttp::net_connect`]
    /// connected.
    SocketConnect { socket: u32 },
    /// `socket.on('data', chunk)`.
    SocketData { socket: u32, chunk: Vec<u8> },
    /// `socket.on('end')`: the peer sent FIN.
    SocketEnd { socket: u32 },
    /// `socket.on('drain')`: the socket's buffer emptied after a `write`
    /// returned `false`.
    SocketDrain { socket: u32 },
    /// `socket.on('timeout')`: idle for [`Socket::set_timeout`]'s time.
    SocketTimeout { socket: u32 },
    /// `socket.on('error', err)`.
    SocketError { socket: u32, error: NodeError },
    /// `socket.on('close', hadError)`: the socket's last event. Its handle
    /// is released by the next poll.
    SocketClose { socket: u32, had_error: bool },
}

/// The `info` of `req.on('information', info)`: a 1xx interim response.
#[derive(Clone, Debug, PartialEq)]
pub struct Information {
    /// `info.statusCode`.
    pub status_code: u16,
    /// `info.statusMessage`.
    pub status_message: String,
    /// `info.httpVersion`, e.g. `"1.1"`.
    pub http_version: String,
    /// `info.httpVersionMajor`.
    pub http_version_major: u8,
    /// `info.httpVersionMinor`.
    pub http_version_minor: u8,
    /// `info.headers`, merged by Node's rules.
    pub headers: Vec<Header>,
    /// `info.rawHeaders`.
    pub raw_headers: Vec<String>,
}

impl From<wit_events::InformationEvent> for Information {
    fn from(info: wit_events::InformationEvent) -> Self {
        Information {
            status_code: info.status_code,
            status_message: info.status_message,
            // Node's `${major}.${minor}`.
            http_version: format!("{}.{}", info.http_version_major, info.http_version_minor),
            http_version_major: info.http_version_major,
            http_version_minor: info.http_version_minor,
            headers: info.headers,
            raw_headers: info.raw_headers,
        }
    }
}

/// The client pairs (a `ClientRequest` and its response, one id) whose
/// events may still come. The component names `data`, `end`, `finish`,
/// `close`, ... by id alone for both roles; ids are unique across roles, so
/// an id found here is a client's.
///
/// A pair stays until both halves closed: Node emits the response's `end`
/// and `close` after the request's `close` when the request is aborted after
/// its response came.
#[derive(Debug, Default)]
pub(crate) struct ClientPairs {
    pairs: HashMap<u32, PairState>,
}

/// Which halves of a client pair have yet to emit `close`.
#[derive(Clone, Copy, Debug)]
struct PairState {
    request_open: bool,
    response_open: bool,
}

impl ClientPairs {
    /// A request was created: its events are the client's from now on.
    pub(crate) fn open(&mut self, id: u32) {
        self.pairs.insert(
            id,
            PairState {
                request_open: true,
                response_open: false,
            },
        );
    }

    fn contains(&self, id: u32) -> bool {
        self.pairs.contains_key(&id)
    }

    /// The pair's response arrived; it will emit `close` too.
    fn respond(&mut self, id: u32) {
        self.update(id, |pair| pair.response_open = true);
    }

    /// The pair's request emitted `close`.
    fn close_request(&mut self, id: u32) {
        self.update(id, |pair| pair.request_open = false);
    }

    /// The pair's response emitted `close`.
    fn close_response(&mut self, id: u32) {
        self.update(id, |pair| pair.response_open = false);
    }

    /// Changes the pair's state; forgets the pair once both halves closed.
    fn update(&mut self, id: u32, change: impl FnOnce(&mut PairState)) {
        if let Some(pair) = self.pairs.get_mut(&id) {
            change(pair);
            if !pair.request_open && !pair.response_open {
                self.pairs.remove(&id);
            }
        }
    }
}

impl NodeHttp {
    /// Turns a WIT event into ours: registers the resources an event hands
    /// over, routes the events both roles share by the role of their id, and
    /// schedules release of the handles whose `close` it reports.
    pub(crate) async fn adopt(&mut self, event: wit_events::Event) -> Result<Event, Error> {
        use wit_events::Event as Wit;
        Ok(match event {
            Wit::Listening(server) => Event::Listening { server },
            Wit::Connection((server, socket)) => Event::Connection { server, socket },
            Wit::Request(e) => {
                let (server, request, response) = self.adopt_pair(e);
                Event::Request {
                    server,
                    request,
                    response,
                }
            }
            Wit::CheckContinue(e) => {
                let (server, request, response) = self.adopt_pair(e);
                Event::CheckContinue {
                    server,
                    request,
                    response,
                }
            }
            Wit::CheckExpectation(e) => {
                let (server, request, response) = self.adopt_pair(e);
                Event::CheckExpectation {
                    server,
                    request,
                    response,
                }
            }
            Wit::ClientError(e) => {
                let socket = match e.socket {
                    Some(resource) => Some(self.adopt_socket(resource).await?),
                    None => None,
                };
                Event::ClientError {
                    server: e.server,
                    connection: e.connection,
                    error: e.error,
                    bytes_parsed: e.bytes_parsed,
                    raw_packet: e.raw_packet,
                    socket,
                }
            }
            Wit::Upgrade(e) => {
                let (server, message, socket, head) = self.adopt_upgrade(e).await?;
                Event::Upgrade {
                    server,
                    message,
                    socket,
                    head,
                }
            }
            Wit::Connect(e) => {
                let (server, message, socket, head) = self.adopt_upgrade(e).await?;
                Event::Connect {
                    server,
                    message,
                    socket,
                    head,
                }
            }
            Wit::ServerTimeout((server, connection)) => Event::ServerTimeout { server, connection },
            Wit::ServerClose(server) => Event::ServerClose { server },
            Wit::ServerError((server, error)) => Event::ServerError { server, error },
            Wit::Data((id, chunk)) if self.clients.contains(id) => Event::ClientResponseData {
                response: id,
                chunk,
            },
            Wit::Data((request, chunk)) => Event::Data { request, chunk },
            Wit::End(id) if self.clients.contains(id) => Event::ClientResponseEnd { response: id },
            Wit::End(request) => Event::End { request },
            Wit::Aborted(id) if self.clients.contains(id) => {
                Event::ClientResponseAborted { response: id }
            }
            Wit::Aborted(request) => Event::Aborted { request },
            Wit::RequestClose(id) if self.clients.contains(id) => {
                self.clients.close_request(id);
                self.closed.push(Handle::ClientRequest(id));
                Event::ClientRequestClose { request: id }
            }
            Wit::RequestClose(request) => {
                self.closed.push(Handle::Request(request));
                Event::RequestClose { request }
            }
            Wit::Finish(id) if self.clients.contains(id) => {
                Event::ClientRequestFinish { request: id }
            }
            Wit::Finish(response) => Event::Finish { response },
            Wit::ResponseClose(id) if self.clients.contains(id) => {
                self.clients.close_response(id);
                self.closed.push(Handle::ClientResponse(id));
                Event::ClientResponseClose { response: id }
            }
            Wit::ResponseClose(response) => {
                self.closed.push(Handle::Response(response));
                Event::ResponseClose { response }
            }
            Wit::Drain(id) if self.clients.contains(id) => {
                Event::ClientRequestDrain { request: id }
            }
            Wit::Drain(response) => Event::Drain { response },
            Wit::Timeout(id) if self.clients.contains(id) => Event::Timeout { request: id },
            Wit::Timeout(request) => Event::RequestTimeout { request },
            Wit::ResponseTimeout(response) => Event::ResponseTimeout { response },
            Wit::WriteCallback((response, ticket)) => Event::WriteCallback { response, ticket },
            Wit::Socket(request) => Event::Socket { request },
            Wit::Continue(request) => Event::Continue { request },
            Wit::Information(info) => Event::Information {
                request: info.id,
                info: info.into(),
            },
            Wit::Response(response) => {
                let id = response.id;
                self.clients.respond(id);
                self.register(Handle::ClientResponse(id), response.response);
                Event::Response {
                    request: id,
                    response: IncomingMessage::new(Handle::ClientResponse(id)),
                }
            }
            Wit::Abort(request) => Event::Abort { request },
            Wit::RequestError((request, error)) => Event::ClientRequestError { request, error },
            Wit::SocketConnect(socket) => Event::SocketConnect { socket },
            Wit::SocketData((socket, chunk)) => Event::SocketData { socket, chunk },
            Wit::SocketEnd(socket) => Event::SocketEnd { socket },
            Wit::SocketDrain(socket) => Event::SocketDrain { socket },
            Wit::SocketTimeout(socket) => Event::SocketTimeout { socket },
            Wit::SocketError((socket, error)) => Event::SocketError { socket, error },
            Wit::SocketClose((socket, had_error)) => {
                self.closed.push(Handle::Socket(socket));
                self.closed.extend(self.upgraded.remove(&socket));
                Event::SocketClose { socket, had_error }
            }
        })
    }

    /// Registers the request and response of a `request`-shaped event.
    fn adopt_pair(
        &mut self,
        event: wit_events::RequestEvent,
    ) -> (u32, IncomingMessage, ServerResponse) {
        let id = event.id;
        self.register(Handle::Request(id), event.request);
        self.register(Handle::Response(id), event.response);
        (
            event.server,
            IncomingMessage::new(Handle::Request(id)),
            ServerResponse::new(id),
        )
    }

    /// Registers the message and socket of an `upgrade`/`connect` event.
    /// Neither a server's upgraded request nor a client's upgraded response
    /// ever closes as HTTP (Node never ends them): each is released with its
    /// socket.
    async fn adopt_upgrade(
        &mut self,
        event: wit_events::UpgradeEvent,
    ) -> Result<(Option<u32>, IncomingMessage, Socket, Vec<u8>), Error> {
        let id = event.id;
        let handle = match event.server {
            Some(_) => Handle::Request(id),
            None => Handle::ClientResponse(id),
        };
        self.register(handle, event.message);
        let socket = self.adopt_socket(event.socket).await?;
        self.upgraded.insert(socket.id(), handle);
        Ok((
            event.server,
            IncomingMessage::new(handle),
            socket,
            event.head,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::until;
    use crate::{Config, HeaderValue, RequestOptions, ServerListeners, ServerOptions};

    /// An upgrade with listeners on both sides, client and server in one
    /// instance: the server's `upgrade` hands it the socket (the request
    /// as message), the client's its own (the 101 response as message,
    /// with the bytes after the 101's head as `head`); bytes then flow both
    /// ways, and every handle goes once its socket closed.
    #[tokio::test]
    async fn upgrade_hands_over_sockets_on_both_sides() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let options = ServerOptions {
            listeners: ServerListeners {
                upgrade: true,
                ..ServerListeners::default()
            },
            ..ServerOptions::default()
        };
        let server = node.create_server(options).await.unwrap();
        server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
        let port = server.address(&mut node).await.unwrap().unwrap().port;
        let text = |name: &str, value: &str| Header {
            name: name.into(),
            value: HeaderValue::Text(value.into()),
        };
        let options = RequestOptions {
            port: Some(port),
            host: Some("127.0.0.1".into()),
            headers: vec![text("Connection", "Upgrade"), text("Upgrade", "echo")],
            ..RequestOptions::default()
        };
        let req = node.request(None, options).await.unwrap();
        req.listen_upgrade(&mut node, true).await.unwrap();
        req.end(&mut node, None).await.unwrap();

        let events = until(&mut node, |e| matches!(e, Event::Upgrade { .. })).await;
        let Some(Event::Upgrade {
            server: Some(s),
            message: request,
            socket: theirs,
            head,
        }) = events.last().cloned()
        else {
            panic!("{events:?}");
        };
        assert_eq!(s, server.id());
        assert!(head.is_empty());
        assert_eq!(request.url(&mut node).await.unwrap().as_deref(), Some("/"));
        let answer =
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhi";
        theirs.write(&mut node, answer).await.unwrap();

        let events = until(&mut node, |e| matches!(e, Event::Upgrade { .. })).await;
        let Some(Event::Upgrade {
            server: None,
            message: response,
            socket: ours,
            head,
        }) = events.last().cloned()
        else {
            panic!("{events:?}");
        };
        assert_eq!(response.id(), req.id());
        assert_eq!(response.status_code(&mut node).await.unwrap(), Some(101));
        assert_eq!(head, b"hi");
        ours.end(&mut node, Some(b"yo")).await.unwrap();

        let events = until(&mut node, |e| matches!(e, Event::SocketEnd { .. })).await;
        assert!(
            events.contains(&Event::SocketData {
                socket: theirs.id(),
                chunk: b"yo".to_vec()
            }),
            "{events:?}"
        );
        // Half-open: the server's socket still writes after the client's FIN.
        theirs.end(&mut node, None).await.unwrap();
        let closes = std::cell::Cell::new(0);
        until(&mut node, |e| {
            closes.set(closes.get() + usize::from(matches!(e, Event::SocketClose { .. })));
            closes.get() == 2
        })
        .await;
        node.poll(Duration::ZERO).await.unwrap();
        for gone in [
            request.url(&mut node).await.map(drop),
            response.status_code(&mut node).await.map(drop),
            theirs.writable(&mut node).await.map(drop),
            ours.writable(&mut node).await.map(drop),
        ] {
            assert!(matches!(gone, Err(Error::Disposed { .. })), "{gone:?}");
        }
    }

    #[test]
    fn a_pair_lasts_until_both_halves_closed() {
        let mut pairs = ClientPairs::default();
        pairs.open(7);
        pairs.respond(7);
        // Aborted after the response: the request closes first.
        pairs.close_request(7);
        assert!(pairs.contains(7));
        pairs.close_response(7);
        assert!(!pairs.contains(7));
    }

    #[test]
    fn a_pair_without_response_ends_with_its_request() {
        let mut pairs = ClientPairs::default();
        pairs.open(3);
        pairs.close_request(3);
        assert!(!pairs.contains(3));
        // Events of an unknown id are the server's; nothing to close.
        pairs.close_response(3);
        assert!(!pairs.contains(3));
    }
}
