//! [`Server`]: `http.Server`, and the options of `http.createServer`.

use crate::bindings::wit_server;
use crate::node::{calls, throwing, Handle};
use crate::{Error, NodeHttp, SocketAddress};

/// Options of `http.createServer([options])` plus the `server.*` settings Node
/// exposes as properties; `None` means Node v12's default.
pub type ServerOptions = wit_server::ServerOptions;

impl Default for ServerOptions {
    /// Node v12's defaults: every option unset, the strict parser, no
    /// listener beyond `'request'`.
    fn default() -> Self {
        ServerOptions {
            max_header_size: None,
            max_headers_count: None,
            insecure_http_parser: false,
            keep_alive_timeout: None,
            headers_timeout: None,
            timeout: None,
            listeners: ServerListeners::default(),
        }
    }
}

/// Which of a server's events the embedder listens to. Node changes what it
/// does by `listenerCount` (a `'checkContinue'` listener means no automatic
/// `100 Continue`, an `'upgrade'` listener means the socket leaves HTTP, ...),
/// so the embedder says which it handles: a field set to `true` is
/// `server.on(name, ...)`, and its events come from [`NodeHttp::poll`];
/// `false` leaves Node's default handling. Fields: `timeout`,
/// `check_continue`, `check_expectation`, `client_error`, `upgrade`,
/// `connect` (see [`crate::Event`] for each event).
///
/// A [`crate::RequestListener`] receives these events only when they are set
/// here, so set only those it overrides.
pub type ServerListeners = wit_server::ServerListeners;

impl Default for ServerListeners {
    /// No listener: Node's default handling of every event.
    fn default() -> Self {
        ServerListeners {
            timeout: false,
            check_continue: false,
            check_expectation: false,
            client_error: false,
            upgrade: false,
            connect: false,
        }
    }
}

/// `http.Server`: created by [`NodeHttp::create_server`]. Its events
/// (`listening`, `connection`, `request`, `close`, ...) come from
/// [`NodeHttp::poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    id: u32,
}

impl Server {
    pub(crate) fn new(id: u32) -> Self {
        Server { id }
    }

    fn handle(&self) -> Handle {
        Handle::Server(self.id)
    }

    /// Identifies this server in events.
    pub fn id(&self) -> u32 {
        self.id
    }

    throwing! { nodehttp_http_server.server;
        /// `server.listen(port, host)`: bind and listen (`port` 0 picks a free
        /// port). Binding errors (`EADDRINUSE`, `EACCES` when the address
        /// policy refuses the address, ...) are returned; an
        /// `Event::Listening` follows success.
        listen(port: u16, host: &str) -> () = call_listen(port, host);
    }

    calls! { nodehttp_http_server.server;
        /// `server.address()`: the bound address, once listening.
        address() -> Option<SocketAddress> = call_address();
        /// `server.listening`.
        listening() -> bool = call_listening();
        /// `server.close()`: stop accepting connections. Idle kept-alive
        /// connections are closed, busy ones finish their responses; an
        /// `Event::ServerClose` follows once every connection has closed.
        close() -> () = call_close();
        /// `server.on(...)` / `removeListener(...)`: which events have
        /// listeners, for live connections too.
        set_listeners(listeners: ServerListeners) -> () = call_set_listeners(listeners);
        /// `server.setTimeout(msecs)` / `server.timeout = msecs`: the socket
        /// inactivity timeout of connections accepted from now on (0
        /// disables). Node's callback argument is a `'timeout'` listener:
        /// [`ServerListeners::timeout`].
        set_timeout(msecs: u32) -> () = call_set_timeout(msecs);
        /// `server.timeout` (default 120000).
        timeout() -> u32 = call_timeout();
        /// `server.keepAliveTimeout = msecs` (0 disables).
        set_keep_alive_timeout(msecs: u32) -> () = call_set_keep_alive_timeout(msecs);
        /// `server.keepAliveTimeout` (default 5000).
        keep_alive_timeout() -> u32 = call_keep_alive_timeout();
        /// `server.headersTimeout = msecs` (0 disables).
        set_headers_timeout(msecs: u32) -> () = call_set_headers_timeout(msecs);
        /// `server.headersTimeout` (default 60000).
        headers_timeout() -> u32 = call_headers_timeout();
        /// `server.maxHeadersCount = count` (0: no limit).
        set_max_headers_count(count: u32) -> () = call_set_max_headers_count(count);
        /// `server.maxHeadersCount`.
        max_headers_count() -> u32 = call_max_headers_count();
        /// `server.getConnections()`: open connections, HTTP or handed over
        /// (an upgraded, tunnelled or `clientError` socket counts until it
        /// closes).
        get_connections() -> u32 = call_get_connections();
    }

    /// Releases the server's handle. It is not closed by this; close it first
    /// if it is listening.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}
