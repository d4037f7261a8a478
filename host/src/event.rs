//! [`Event`]: Node's events as [`crate::NodeHttp::poll`] returns them.

use crate::{IncomingMessage, NodeError, ServerResponse, SocketInfo};

/// One of Node's events, in the order Node emits them. Each names its emitter
/// by id: a [`crate::Server`], an [`IncomingMessage`] or a [`ServerResponse`].
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
    /// `server.on('clientError', err, socket)`, after Node's default handling
    /// (a 400/431 written where possible, the socket destroyed).
    ClientError {
        server: u32,
        socket: u32,
        error: NodeError,
    },
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
}
