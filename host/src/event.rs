//! [`Event`]: Node's events as [`crate::NodeHttp::poll`] returns them, and
//! how the component's events become them.

use rustc_hash::FxHashMap as HashMap;

use crate::bindings::wit_events;
use crate::node::Handle;
use crate::{Header, IncomingMessage, NodeError, NodeHttp, ServerResponse, SocketInfo};

/// One of Node's events, in the order Node emits them. Each names its emitter
/// by id: a [`crate::Server`], an [`IncomingMessage`], a [`ServerResponse`]
/// or a [`crate::ClientRequest`] (whose response shares its id).
///
/// The server's events keep their short names (`Data`, `Finish`, ...). A
/// client event whose Node name the server half already uses is named after
/// its emitter: `ClientRequest…` for `http.ClientRequest`, `ClientResponse…`
/// for the client's response (`res` of `req.on('response')`).
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
    pub(crate) fn adopt(&mut self, event: wit_events::Event) -> Event {
        use wit_events::Event as Wit;
        match event {
            Wit::Listening(server) => Event::Listening { server },
            Wit::Connection((server, socket)) => Event::Connection { server, socket },
            Wit::Request(request) => {
                let id = request.id;
                self.register(Handle::Request(id), request.request);
                self.register(Handle::Response(id), request.response);
                Event::Request {
                    server: request.server,
                    request: IncomingMessage::new(Handle::Request(id)),
                    response: ServerResponse::new(id),
                }
            }
            Wit::ClientError(e) => Event::ClientError {
                server: e.server,
                socket: e.socket,
                error: e.error,
            },
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
            Wit::Timeout(request) => Event::Timeout { request },
            Wit::RequestError((request, error)) => Event::ClientRequestError { request, error },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
