//! [`IncomingMessage`]: `http.IncomingMessage`, a server's request or a
//! client's response.

use crate::node::{calls, Handle};
use crate::{Error, Header, NodeError, NodeHttp, SocketInfo};

/// `http.IncomingMessage`: the `req` of a server's `request` event or the
/// `res` of a client's `response` event. The head is fixed when the event
/// arrives; `trailers` / `raw_trailers` are filled at `end`. Its body arrives
/// as `Event::Data` / `Event::End` (a server's request) or
/// `Event::ClientResponseData` / `Event::ClientResponseEnd` (a client's
/// response) naming [`Self::id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IncomingMessage {
    /// `Handle::Request` or `Handle::ClientResponse`.
    handle: Handle,
}

impl IncomingMessage {
    pub(crate) fn new(handle: Handle) -> Self {
        IncomingMessage { handle }
    }

    fn handle(&self) -> Handle {
        self.handle
    }

    /// Identifies this message in events: a server's request shares it with
    /// its response, a client's response with its request.
    pub fn id(&self) -> u32 {
        self.handle.id()
    }

    calls! { nodehttp_http_incoming.incoming_message;
        /// `message.method`, e.g. `"GET"`; `None` on a client's response
        /// (Node's `null`).
        method() -> Option<String> = call_method();
        /// `message.url`: the request target exactly as received; `None` on
        /// a client's response (where Node has `''`).
        url() -> Option<String> = call_url();
        /// `message.statusCode`, e.g. `200`; `None` on a server's request.
        status_code() -> Option<u16> = call_status_code();
        /// `message.statusMessage` as received (`""` when the status line has
        /// none); `None` on a server's request.
        status_message() -> Option<String> = call_status_message();
        /// `message.httpVersion`, e.g. `"1.1"`.
        http_version() -> String = call_http_version();
        /// `message.httpVersionMajor`.
        http_version_major() -> u8 = call_http_version_major();
        /// `message.httpVersionMinor`.
        http_version_minor() -> u8 = call_http_version_minor();
        /// `message.headers`: lower-cased names in order of first occurrence,
        /// duplicates merged by Node's rules, bytes decoded as latin1.
        headers() -> Vec<Header> = call_headers();
        /// `message.rawHeaders`: `[name, value, name, value, ...]` as received.
        raw_headers() -> Vec<String> = call_raw_headers();
        /// `message.trailers` (filled at `end`), by the rules of `headers`.
        trailers() -> Vec<Header> = call_trailers();
        /// `message.rawTrailers` (filled at `end`).
        raw_trailers() -> Vec<String> = call_raw_trailers();
        /// `message.complete`: the whole message was received and parsed.
        complete() -> bool = call_complete();
        /// `message.aborted`: the connection closed before the message completed.
        aborted() -> bool = call_aborted();
        /// `message.socket`: the connection's addresses.
        socket() -> SocketInfo = call_socket();
        /// `readable.pause()`: stop `data` events; the connection stops
        /// reading, so TCP flow control slows the peer.
        pause() -> () = call_pause();
        /// `readable.resume()`.
        resume() -> () = call_resume();
        /// `message.destroy([error])`: destroy the connection. On a client's
        /// response before its end, the response gets `aborted`.
        destroy(error: Option<NodeError>) -> () = call_destroy(error.as_ref());
        /// `message.setTimeout(msecs[, callback])`: the socket's timeout.
        /// `listener` is whether a callback was given: on a server's
        /// request, `Event::RequestTimeout` then comes while the request is
        /// incomplete, and the socket stays open.
        set_timeout(msecs: u32, listener: bool) -> () = call_set_timeout(msecs, listener);
    }

    /// Releases the handle now rather than at the poll after its `close`
    /// event. The message itself goes on; only this handle ends.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}
