//! [`Server`]: `http.Server`, and the options of `http.createServer`.

use crate::bindings::wit_server;
use crate::node::{calls, throwing, Handle};
use crate::{Error, NodeHttp, SocketAddress};

/// Options of `http.createServer([options])` plus the `server.*` settings Node
/// exposes as properties; `None` means Node v12's default.
pub type ServerOptions = wit_server::ServerOptions;

impl Default for ServerOptions {
    /// Node v12's defaults: every option unset, the strict parser.
    fn default() -> Self {
        ServerOptions {
            max_header_size: None,
            max_headers_count: None,
            insecure_http_parser: false,
            keep_alive_timeout: None,
            headers_timeout: None,
            timeout: None,
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
    }

    /// Releases the server's handle. It is not closed by this; close it first
    /// if it is listening.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}
