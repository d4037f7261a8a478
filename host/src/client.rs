//! [`ClientRequest`]: `http.ClientRequest`, made by `http.request` /
//! `http.get` ([`NodeHttp::request`], [`NodeHttp::get`]).

use crate::node::{call_guest, calls, throwing, Handle};
use crate::{Error, HeaderValue, NodeError, NodeHttp, RequestOptions, SocketInfo};

/// `http.ClientRequest`: an outgoing request and, later, its response (an
/// [`crate::IncomingMessage`] with the same id, from `Event::Response`). Its
/// events come from [`NodeHttp::poll`] naming [`Self::id`], in Node's orders:
/// `Socket`, `Response`, then the response's `ClientResponseData`…,
/// `ClientResponseEnd`, then `ClientRequestClose`, `ClientResponseClose`;
/// on failure `Socket`, `ClientRequestError`, `ClientRequestClose`. Where
/// Node throws, methods return [`Error::Node`] with Node's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientRequest {
    id: u32,
}

impl ClientRequest {
    fn handle(&self) -> Handle {
        Handle::ClientRequest(self.id)
    }

    /// Identifies this request and its response in events.
    pub fn id(&self) -> u32 {
        self.id
    }

    throwing! { nodehttp_http_client.client_request;
        /// `request.setHeader(name, value)`. Errors: `ERR_HTTP_HEADERS_SENT`,
        /// `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`.
        set_header(name: &str, value: &HeaderValue) -> () = call_set_header(name, value);
        /// `request.removeHeader(name)`. Error: `ERR_HTTP_HEADERS_SENT`.
        remove_header(name: &str) -> () = call_remove_header(name);
        /// `request.write(chunk)`: `false` when the buffer is above its
        /// high-water mark (16 KiB); `Event::ClientRequestDrain` follows.
        /// The head goes out with the first write: without a
        /// `Content-Length` header the body is chunked, as in Node.
        /// Error: `ERR_STREAM_WRITE_AFTER_END`.
        write(chunk: &[u8]) -> bool = call_write(chunk);
        /// `request.end([data])`: `Event::ClientRequestFinish` follows once
        /// the last byte is handed to the socket. `end(data)` as the first
        /// write sends a `Content-Length` body.
        end(data: Option<&[u8]>) -> () = call_end(data);
        /// `request.flushHeaders()`: send the head now, before any body.
        flush_headers() -> () = call_flush_headers();
    }

    calls! { nodehttp_http_client.client_request;
        /// `request.getHeader(name)`, the value as it was set.
        get_header(name: &str) -> Option<HeaderValue> = call_get_header(name);
        /// `request.getHeaderNames()`.
        get_header_names() -> Vec<String> = call_get_header_names();
        /// `request.hasHeader(name)`.
        has_header(name: &str) -> bool = call_has_header(name);
        /// `request.headersSent`.
        headers_sent() -> bool = call_headers_sent();
        /// `request.abort()`: drop the response and destroy the socket;
        /// `Event::Abort` follows, then Node's documented order for the
        /// stage the request was in.
        abort() -> () = call_abort();
        /// `request.aborted`.
        aborted() -> bool = call_aborted();
        /// `request.destroy([error])`: as `abort` without `Event::Abort`;
        /// `Event::ClientRequestError` carries `error` if given.
        destroy(error: Option<NodeError>) -> () = call_destroy(error.as_ref());
        /// `request.path`.
        path() -> String = call_path();
        /// `request.method`.
        method() -> String = call_method();
        /// `request.host`.
        host() -> String = call_host();
        /// `request.protocol`.
        protocol() -> String = call_protocol();
        /// `request.reusedSocket`: the request went out on a pooled socket.
        reused_socket() -> bool = call_reused_socket();
        /// `request.maxHeadersCount` in header lines (default 1000: Node's
        /// parser limit of 2000 names and values; 0: no limit).
        max_headers_count() -> u32 = call_max_headers_count();
        /// `request.maxHeadersCount = count`; applies to a response not yet
        /// parsed.
        set_max_headers_count(count: u32) -> () = call_set_max_headers_count(count);
        /// `request.setTimeout(msecs)`: an `Event::Timeout` after `msecs` of
        /// socket inactivity, once a socket is assigned; 0 disables. It does
        /// not abort.
        set_timeout(msecs: u32) -> () = call_set_timeout(msecs);
        /// `request.setNoDelay([noDelay])`: accepted and without effect, as
        /// WASI 0.2 has no `TCP_NODELAY` (the component writes a head with
        /// its first body bytes in one write).
        set_no_delay(no_delay: bool) -> () = call_set_no_delay(no_delay);
        /// `request.setSocketKeepAlive([enable][, initialDelay])`: TCP
        /// keep-alive on the socket once assigned.
        set_socket_keep_alive(enable: bool, initial_delay_ms: u32) -> ()
            = call_set_socket_keep_alive(enable, initial_delay_ms);
        /// `request.writableEnded` (`request.finished`).
        writable_ended() -> bool = call_writable_ended();
        /// `request.writableFinished`.
        writable_finished() -> bool = call_writable_finished();
        /// `request.socket`: the socket's addresses, once connected.
        socket() -> Option<SocketInfo> = call_socket();
        /// `req.on('upgrade')` (`true`) or no listener (`false`, the
        /// default): with a listener, a `101` answer comes as an
        /// `Event::Upgrade` with the socket; without, the socket is
        /// destroyed and the request closes.
        listen_upgrade(listening: bool) -> () = call_listen_upgrade(listening);
        /// `req.on('connect')`: the same for the answer to a `CONNECT`
        /// request (`Event::Connect`).
        listen_connect(listening: bool) -> () = call_listen_connect(listening);
    }

    /// Releases the handle now rather than at the poll after
    /// `Event::ClientRequestClose`. The request itself goes on.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}

impl NodeHttp {
    /// `http.request([url][, options])`. `url` is parsed as a WHATWG URL
    /// (`ERR_INVALID_URL`); `options` override its parts. The request is
    /// queued on its agent at once; the head goes out with the first
    /// `write`, `end` or `flush_headers`. Errors are Node's synchronous
    /// throws (`ERR_INVALID_PROTOCOL`, `ERR_INVALID_HTTP_TOKEN`,
    /// `ERR_UNESCAPED_CHARACTERS`, ...); later failures (`ECONNREFUSED`,
    /// `ENOTFOUND`, `HPE_*`) come as `Event::ClientRequestError`.
    pub async fn request(
        &mut self,
        url: Option<&str>,
        options: RequestOptions,
    ) -> Result<ClientRequest, Error> {
        let options = options.into_wit(self)?;
        let resource = call_guest!(self, |guest, store| guest
            .nodehttp_http_client()
            .call_request(store, url, &options))?;
        self.adopt_request(resource).await
    }

    /// `http.get([url][, options])`: [`NodeHttp::request`] with method GET,
    /// then `end()`.
    pub async fn get(
        &mut self,
        url: Option<&str>,
        options: RequestOptions,
    ) -> Result<ClientRequest, Error> {
        let options = options.into_wit(self)?;
        let resource = call_guest!(self, |guest, store| guest
            .nodehttp_http_client()
            .call_get(store, url, &options))?;
        self.adopt_request(resource).await
    }

    /// Registers a new request: its handle, and its id as a client pair's.
    async fn adopt_request(
        &mut self,
        resource: wasmtime::component::ResourceAny,
    ) -> Result<ClientRequest, Error> {
        let id = call_guest!(self, |guest, store| guest
            .nodehttp_http_client()
            .client_request()
            .call_id(store, resource));
        self.register(Handle::ClientRequest(id), resource);
        self.clients.open(id);
        Ok(ClientRequest { id })
    }
}

/// These run the embedded component over loopback: a client and a server in
/// one instance, so the routing of the events both roles share is tested.
#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{Config, Event, ServerOptions};

    /// Polls until `done` accepts an event (at most 5 s), answering every
    /// server request with `res.end('hello')`; returns the client events of
    /// request `id`, by Node's name.
    async fn client_events(
        node: &mut NodeHttp,
        id: u32,
        done: impl Fn(&Event) -> bool,
    ) -> Vec<&'static str> {
        let give_up = Instant::now() + Duration::from_secs(5);
        let mut names = Vec::new();
        while Instant::now() < give_up {
            for event in node.poll(Duration::from_millis(100)).await.unwrap() {
                let finished = done(&event);
                let name = match event {
                    Event::Request { response, .. } => {
                        response.end(node, Some(b"hello")).await.unwrap();
                        None
                    }
                    Event::Socket { request } if request == id => Some("socket"),
                    Event::ClientRequestFinish { request } if request == id => Some("finish"),
                    Event::Response { request, .. } if request == id => Some("response"),
                    Event::ClientResponseData { response, .. } if response == id => {
                        Some("res data")
                    }
                    Event::ClientResponseEnd { response } if response == id => Some("res end"),
                    Event::ClientRequestError { request, .. } if request == id => Some("error"),
                    Event::ClientRequestClose { request } if request == id => Some("close"),
                    Event::ClientResponseClose { response } if response == id => Some("res close"),
                    _ => None,
                };
                names.extend(name);
                if finished {
                    return names;
                }
            }
        }
        panic!("timed out after {names:?}");
    }

    /// Node v20, `http.get` to a server answering `res.end('hello')`:
    /// `req socket, req finish, response, res data, res end, req close,
    /// res close`.
    #[tokio::test]
    async fn get_from_a_server_in_the_same_instance() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let server = node.create_server(ServerOptions::default()).await.unwrap();
        server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
        let port = server.address(&mut node).await.unwrap().unwrap().port;
        let url = format!("http://127.0.0.1:{port}/");
        let req = node
            .get(Some(&url), RequestOptions::default())
            .await
            .unwrap();
        let id = req.id();
        let closed =
            |e: &Event| matches!(e, Event::ClientResponseClose { response } if *response == id);
        let names = client_events(&mut node, id, closed).await;
        assert_eq!(
            names,
            [
                "socket",
                "finish",
                "response",
                "res data",
                "res end",
                "close",
                "res close"
            ]
        );
        // Both handles are released by the poll after their close events.
        node.poll(Duration::ZERO).await.unwrap();
        let released = req.reused_socket(&mut node).await;
        assert!(
            matches!(
                released,
                Err(Error::Disposed {
                    kind: "client request",
                    ..
                })
            ),
            "{released:?}"
        );
    }

    /// Node v20, a refused connection: `req socket, req error, req close`,
    /// the error `ECONNREFUSED` "connect ECONNREFUSED 127.0.0.1:PORT".
    #[tokio::test]
    async fn refused_connection() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let url = format!("http://127.0.0.1:{port}/");
        let req = node
            .get(Some(&url), RequestOptions::default())
            .await
            .unwrap();
        let id = req.id();
        let closed =
            |e: &Event| matches!(e, Event::ClientRequestClose { request } if *request == id);
        assert_eq!(
            client_events(&mut node, id, closed).await,
            ["socket", "error", "close"]
        );
    }
}
