//! The host API's error: what Node would throw, or the component failing.

use std::fmt;

use crate::bindings::wit_types;

/// An error as Node reports it: `err.code` (`ERR_HTTP_HEADERS_SENT`,
/// `EADDRINUSE`, ...) and `err.message`. This is the WIT `error` record.
pub type NodeError = wit_types::Error;

/// Why a call on the component failed.
#[derive(Debug)]
pub enum Error {
    /// The call did what Node does when it throws (or reports an error
    /// through a callback): the component is fine and can be used further.
    Node(NodeError),
    /// The handle no longer names a live object: it was disposed, or its
    /// `close` event was delivered and a later `poll` released it.
    Disposed {
        /// `"server"`, `"request"`, `"response"`, `"client request"`,
        /// `"client response"`, `"agent"` or `"socket"`.
        kind: &'static str,
        /// The object's `id`.
        id: u32,
    },
    /// The component failed: a trap (a guest bug, the memory limit or the
    /// call time limit) or a host failure. The instance is unusable
    /// afterwards: every later call returns this kind of error too.
    Guest(wasmtime::Error),
}

impl Error {
    /// Node's `err.code` when this is a Node error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Node(err) => Some(&err.code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Node's system errors name their code in the message already
            // ("listen EADDRINUSE: address already in use 127.0.0.1:80").
            Error::Node(err) if err.message.contains(&err.code) => f.write_str(&err.message),
            Error::Node(err) => write!(f, "{}: {}", err.code, err.message),
            Error::Disposed { kind, id } => write!(f, "{kind} {id} was already disposed"),
            Error::Guest(err) => write!(f, "the nodehttp component failed: {err:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<NodeError> for Error {
    fn from(err: NodeError) -> Self {
        Error::Node(err)
    }
}

/// The core's checks (the same code the component runs) report Node's
/// errors too.
impl From<nodehttp_core::error::NodeError> for Error {
    fn from(err: nodehttp_core::error::NodeError) -> Self {
        Error::Node(NodeError {
            code: err.code.to_string(),
            message: err.message,
        })
    }
}

impl From<wasmtime::Error> for Error {
    fn from(err: wasmtime::Error) -> Self {
        Error::Guest(err)
    }
}
