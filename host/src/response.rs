//! [`ServerResponse`]: `http.ServerResponse`, the `res` of a `request` event.

use crate::node::{calls, throwing, Handle};
use crate::{Error, Header, HeaderValue, NodeHttp, SocketInfo};

/// `http.ServerResponse`. Its events (`finish`, `close`, `drain`, `timeout`,
/// write callbacks) come from [`NodeHttp::poll`] naming [`Self::id`]. Where
/// Node throws, methods return [`Error::Node`] with Node's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerResponse {
    id: u32,
}

impl ServerResponse {
    pub(crate) fn new(id: u32) -> Self {
        ServerResponse { id }
    }

    fn handle(&self) -> Handle {
        Handle::Response(self.id)
    }

    /// Identifies this response in events.
    pub fn id(&self) -> u32 {
        self.id
    }

    calls! { nodehttp_http_server.server_response;
        /// `response.statusCode` (default 200).
        status_code() -> u16 = call_status_code();
        /// `response.statusMessage`; `None` = the standard reason for the code.
        status_message() -> Option<String> = call_status_message();
        /// `response.getHeaderNames()`: lower-cased, in the order first set.
        get_header_names() -> Vec<String> = call_get_header_names();
        /// `response.getHeaders()`: lower-cased names and values.
        get_headers() -> Vec<Header> = call_get_headers();
        /// `response.headersSent`.
        headers_sent() -> bool = call_headers_sent();
        /// `response.sendDate` (default true).
        send_date() -> bool = call_send_date();
        /// `response.writableEnded` (`response.finished`).
        writable_ended() -> bool = call_writable_ended();
        /// `response.writableFinished`: every byte was handed to the socket.
        writable_finished() -> bool = call_writable_finished();
        /// `response.socket`: the connection's addresses, `None` after `end`.
        socket() -> Option<SocketInfo> = call_socket();
        /// `response.getHeader(name)`, case-insensitive: the value as it was set.
        get_header(name: &str) -> Option<HeaderValue> = call_get_header(name);
        /// `response.hasHeader(name)`.
        has_header(name: &str) -> bool = call_has_header(name);
        /// `response.statusCode = code`; checked when the head is written.
        set_status_code(code: u16) -> () = call_set_status_code(code);
        /// `response.statusMessage = message`.
        set_status_message(message: &str) -> () = call_set_status_message(message);
        /// `response.sendDate = value`.
        set_send_date(value: bool) -> () = call_set_send_date(value);
        /// `response.writeContinue()`: send `100 Continue` now (the answer
        /// to an `Event::CheckContinue`).
        write_continue() -> () = call_write_continue();
        /// `response.writeProcessing()`: send `102 Processing` now.
        write_processing() -> () = call_write_processing();
        /// `response.cork()`: hold writes until [`Self::uncork`] (counted:
        /// as many `uncork` as `cork`; `end` uncorks fully).
        cork() -> () = call_cork();
        /// `response.uncork()`.
        uncork() -> () = call_uncork();
        /// `response.setTimeout(msecs[, callback])`: the socket's timeout.
        /// `listener` is whether a callback was given: then
        /// `Event::ResponseTimeout` comes on expiry and the socket stays
        /// open.
        set_timeout(msecs: u32, listener: bool) -> () = call_set_timeout(msecs, listener);
    }

    throwing! { nodehttp_http_server.server_response;
        /// `response.setHeader(name, value)`. Errors: `ERR_HTTP_HEADERS_SENT`,
        /// `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`.
        set_header(name: &str, value: &HeaderValue) -> () = call_set_header(name, value);
        /// `response.removeHeader(name)`. Error: `ERR_HTTP_HEADERS_SENT`.
        remove_header(name: &str) -> () = call_remove_header(name);
        /// `response.writeHead(statusCode[, statusMessage][, headers])`:
        /// `headers` win over those from `set_header` with the same name.
        /// Errors: `ERR_HTTP_INVALID_STATUS_CODE`, `ERR_HTTP_HEADERS_SENT`,
        /// `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`,
        /// `ERR_HTTP_TRAILER_INVALID` (a `Trailer` header on a response that
        /// cannot be chunked).
        write_head(status_code: u16, status_message: Option<&str>, headers: &[Header]) -> ()
            = call_write_head(status_code, status_message, headers);
        /// `response.write(chunk)`: `false` when the buffer is above its
        /// high-water mark (16 KiB); `Event::Drain` follows once it empties.
        /// Error: `ERR_STREAM_WRITE_AFTER_END`.
        write(chunk: &[u8]) -> bool = call_write(chunk);
        /// `response.write(chunk, callback)`: as [`Self::write`], plus a
        /// ticket that `Event::WriteCallback` names once the chunk was
        /// handed to the socket.
        write_with_callback(chunk: &[u8]) -> (bool, u64) = call_write_with_callback(chunk);
        /// `response.end([data])`: `Event::Finish` follows once the last byte
        /// is handed to the socket. Errors: those of `write_head` when the head
        /// is still unsent (e.g. an invalid `statusCode`).
        end(data: Option<&[u8]>) -> () = call_end(data);
        /// `response.flushHeaders()`.
        flush_headers() -> () = call_flush_headers();
        /// `response.addTrailers(headers)`: sent after the last chunk when the
        /// body is chunked, silently dropped otherwise.
        add_trailers(headers: &[(String, String)]) -> () = call_add_trailers(headers);
    }

    /// Releases the handle now rather than at the poll after
    /// `Event::ResponseClose`. This does not end the response.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}
