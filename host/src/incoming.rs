//! [`IncomingMessage`]: `http.IncomingMessage`, a request as the server sees it.

use crate::node::{call_guest, getters, Handle};
use crate::{Error, Header, NodeError, NodeHttp, SocketInfo};

/// `http.IncomingMessage`, the `req` of a `request` event. The head is fixed
/// when the event arrives; `trailers` / `raw_trailers` are filled at `end`.
/// Its body arrives as `Event::Data` / `Event::End` naming [`Self::id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IncomingMessage {
    id: u32,
}

impl IncomingMessage {
    pub(crate) fn new(id: u32) -> Self {
        IncomingMessage { id }
    }

    fn handle(&self) -> Handle {
        Handle::Request(self.id)
    }

    /// Identifies this message in events.
    pub fn id(&self) -> u32 {
        self.id
    }

    getters! { incoming_message;
        /// `message.method`, e.g. `"GET"`.
        method -> String = call_method;
        /// `message.url`: the request target exactly as received.
        url -> String = call_url;
        /// `message.httpVersion`, e.g. `"1.1"`.
        http_version -> String = call_http_version;
        /// `message.httpVersionMajor`.
        http_version_major -> u8 = call_http_version_major;
        /// `message.httpVersionMinor`.
        http_version_minor -> u8 = call_http_version_minor;
        /// `message.headers`: lower-cased names in order of first occurrence,
        /// duplicates merged by Node's rules, bytes decoded as latin1.
        headers -> Vec<Header> = call_headers;
        /// `message.rawHeaders`: `[name, value, name, value, ...]` as received.
        raw_headers -> Vec<String> = call_raw_headers;
        /// `message.trailers` (filled at `end`), by the rules of `headers`.
        trailers -> Vec<Header> = call_trailers;
        /// `message.rawTrailers` (filled at `end`).
        raw_trailers -> Vec<String> = call_raw_trailers;
        /// `message.complete`: the whole message was received and parsed.
        complete -> bool = call_complete;
        /// `message.aborted`: the connection closed before the message completed.
        aborted -> bool = call_aborted;
        /// `message.socket`: the connection's addresses.
        socket -> SocketInfo = call_socket;
        /// `readable.pause()`: stop `data` events; the connection stops
        /// reading, so TCP flow control slows the client.
        pause -> () = call_pause;
        /// `readable.resume()`.
        resume -> () = call_resume;
    }

    /// `message.destroy([error])`: destroy the connection.
    pub async fn destroy(
        &self,
        node: &mut NodeHttp,
        error: Option<NodeError>,
    ) -> Result<(), Error> {
        let this = node.resource(self.handle())?;
        call_guest!(node, |guest, store| guest.incoming_message().call_destroy(
            store,
            this,
            error.as_ref()
        ));
        Ok(())
    }

    /// Releases the handle now rather than at the poll after `Event::RequestClose`.
    /// The request itself goes on; only this handle ends.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}
