//! Runs the nodehttp WebAssembly component — Node's `http` module (v12 API)
//! built for `wasm32-wasip2` — under wasmtime, with real TCP sockets, and
//! offers it to Rust in Node's shape.
//!
//! ```no_run
//! use nodehttp_host::{hello::Hello, Config, NodeHttp, ServerOptions};
//!
//! # async fn run() -> Result<(), nodehttp_host::Error> {
//! let mut node = NodeHttp::new(Config::default()).await?;
//! let server = node.create_server(ServerOptions::default()).await?;
//! server.listen(&mut node, 8080, "127.0.0.1").await?;
//! node.serve(server, &mut Hello, async { let _ = tokio::signal::ctrl_c().await; })
//!     .await
//! # }
//! ```
//!
//! The component is sandboxed ([`Config`]): it may bind and connect only where
//! the [`AddressPolicy`] allows (loopback by default), has no filesystem,
//! environment or arguments, grows its memory only to a limit, and a call into
//! it that runs too long traps. A trap is an [`Error::Guest`], never a crash of
//! the host.
//!
//! Drive it on a current-thread tokio runtime: the component's event loop runs
//! inside [`NodeHttp::poll`], on the caller's task.
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`], [`policy`] | the sandbox: [`Config`], [`AddressPolicy`] |
//! | `node` | [`NodeHttp`]: one component instance; every call into it |
//! | `server`, `incoming`, `response` | the server's handles: [`Server`], [`IncomingMessage`], [`ServerResponse`] |
//! | `client`, `request_options`, `agent` | the client's: [`ClientRequest`] (and its response, an [`IncomingMessage`]), [`RequestOptions`], [`Agent`] |
//! | `socket` | [`Socket`]: `net.Socket`, handed over or from [`NodeHttp::net_connect`] |
//! | `event`, `listener` | [`Event`]; [`RequestListener`] and [`NodeHttp::serve`] |
//! | [`echo`], [`hello`], [`proxy`] | the applications `nodehttp serve` runs |
//! | [`fetch`] | what `nodehttp request` runs |
//! | [`json`] | `JSON.stringify`'s output, for [`echo`] and [`fetch`] |

mod agent;
mod bindings;
mod client;
pub mod config;
pub mod echo;
mod engine;
mod error;
mod event;
pub mod fetch;
pub mod hello;
mod incoming;
pub mod json;
mod listener;
mod node;
pub mod policy;
pub mod proxy;
mod request_options;
mod response;
mod server;
mod socket;
#[cfg(test)]
mod testing;

pub use agent::{Agent, AgentOptions, Scheduling};
pub use bindings::wit_types::{Header, HeaderValue, SocketAddress, SocketInfo};
pub use client::ClientRequest;
pub use config::Config;
pub use error::{Error, NodeError};
pub use event::{Event, Information};
pub use incoming::IncomingMessage;
pub use listener::RequestListener;
pub use node::NodeHttp;
pub use policy::{AddressPolicy, IpNetwork};
pub use request_options::{AgentChoice, RequestOptions};
pub use response::ServerResponse;
pub use server::{Server, ServerListeners, ServerOptions};
pub use socket::Socket;
