//! Sans-IO HTTP/1.1 core of nodehttp.
//!
//! Everything here is plain Rust: it consumes bytes and time (milliseconds, as
//! arguments) and produces bytes and events. Nothing touches a socket or a
//! clock, so the whole of Node's `http` semantics is unit-tested natively and
//! fuzzable. Modules are named after Node's own split of `lib/_http_*.js`:
//!
//! | module | Node | what it owns |
//! |---|---|---|
//! | [`common`] | `_http_common` | token and header-value validation |
//! | [`error`] | `errors` | Node's error codes (`HPE_*`, `ERR_*`) |
//! | [`status_codes`], [`methods`] | `http.STATUS_CODES`, `http.METHODS` | the tables |
//! | [`parse`] | llhttp | message heads: request line, status line, headers, limits |
//! | [`decode`] | llhttp | body framing: Content-Length, chunked, read-until-close |
//! | [`incoming`] | `_http_incoming` | `headers` / `rawHeaders` with Node's duplicate rules |
//! | [`outgoing`] | `_http_outgoing` | the outgoing header store and message serialization |
//! | [`date`] | `utcDate()` | the `Date` header |
//! | [`server`] | `_http_server` | one server connection: keep-alive, pipelining, expectations, errors |
//! | [`client`] | `_http_client` | one client request on its socket: serialization in, response and events out |
//! | [`request_options`] | `_http_client` (constructor) | `http.request`'s URL and options, validated and normalized |
//! | [`agent`] | `_http_agent` | the connection pool: per-origin limits, free sockets, queued requests |
//! | [`socket`] | `net.Socket` | a socket handed to the app (upgrade, CONNECT): data, half-close, backpressure |

pub mod agent;
pub mod client;
pub mod common;
pub mod date;
pub mod decode;
pub mod error;
pub mod incoming;
pub mod methods;
pub mod outgoing;
pub mod parse;
pub mod request_options;
pub mod server;
pub mod socket;
pub mod status_codes;
