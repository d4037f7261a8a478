//! `http.Server` and `http.ServerResponse`. Each call translates WIT values
//! to the core's and runs on the [`runtime`](crate::runtime).

use std::rc::Rc;

use nodehttp_core::outgoing;
use nodehttp_core::parse::ParserOptions;
use nodehttp_core::server::{Listeners, Role, ServerConfig};

use super::{from_core, header_entries, to_core, to_wit};
use crate::bindings::exports::nodehttp::http::server::{
    Error, GuestServer, GuestServerResponse, Header, HeaderValue, ServerListeners, ServerOptions,
    SocketAddress, SocketInfo,
};
use crate::runtime::{self, Message};

/// `http.Server`.
pub struct Server(u32);

impl GuestServer for Server {
    fn new(options: ServerOptions) -> Self {
        let defaults = ServerConfig::default();
        let parser = ParserOptions {
            max_header_size: options
                .max_header_size
                .map_or(defaults.parser.max_header_size, |n| n as usize),
            max_headers_count: options
                .max_headers_count
                .map_or(defaults.parser.max_headers_count, header_entries),
            insecure: options.insecure_http_parser,
        };
        let config = ServerConfig {
            parser,
            keep_alive_timeout: options
                .keep_alive_timeout
                .map_or(defaults.keep_alive_timeout, u64::from),
            timeout: options.timeout.map_or(defaults.timeout, u64::from),
            headers_timeout: options
                .headers_timeout
                .map_or(defaults.headers_timeout, u64::from),
            listeners: listeners(options.listeners),
        };
        Server(runtime::with(|rt| rt.create_server(config)))
    }

    fn id(&self) -> u32 {
        self.0
    }

    fn listen(&self, port: u16, host: String) -> Result<(), Error> {
        runtime::with(|rt| rt.listen(self.0, port, &host))
    }

    fn address(&self) -> Option<SocketAddress> {
        runtime::with(|rt| rt.address(self.0))
    }

    fn listening(&self) -> bool {
        runtime::with(|rt| rt.listening(self.0))
    }

    fn close(&self) {
        runtime::with(|rt| rt.close_server(self.0))
    }

    fn set_listeners(&self, given: ServerListeners) {
        let given = listeners(given);
        runtime::with(|rt| rt.set_listeners(self.0, given))
    }

    fn set_timeout(&self, msecs: u32) {
        self.update(|c| c.timeout = u64::from(msecs))
    }

    fn timeout(&self) -> u32 {
        self.read(|c| c.timeout)
    }

    fn set_keep_alive_timeout(&self, msecs: u32) {
        self.update(|c| c.keep_alive_timeout = u64::from(msecs))
    }

    fn keep_alive_timeout(&self) -> u32 {
        self.read(|c| c.keep_alive_timeout)
    }

    fn set_headers_timeout(&self, msecs: u32) {
        self.update(|c| c.headers_timeout = u64::from(msecs))
    }

    fn headers_timeout(&self) -> u32 {
        self.read(|c| c.headers_timeout)
    }

    fn set_max_headers_count(&self, count: u32) {
        self.update(|c| c.parser.max_headers_count = header_entries(count))
    }

    fn get_connections(&self) -> u32 {
        runtime::with(|rt| rt.connections(self.0))
    }

    fn max_headers_count(&self) -> u32 {
        let entries =
            runtime::with(|rt| rt.server_config(self.0).map(|c| c.parser.max_headers_count));
        entries.map_or(0, |n| u32::try_from(n / 2).unwrap_or(u32::MAX))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        runtime::with(|rt| rt.release_server(self.0))
    }
}

impl Server {
    /// A `server.*` setting, for connections accepted from now on (Node
    /// reads them when a connection starts).
    fn update(&self, f: impl FnOnce(&mut ServerConfig)) {
        runtime::with(|rt| rt.update_server_config(self.0, f))
    }

    fn read(&self, f: impl FnOnce(&ServerConfig) -> u64) -> u32 {
        runtime::with(|rt| rt.server_config(self.0).map(f))
            .map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX))
    }
}

fn listeners(l: ServerListeners) -> Listeners {
    Listeners {
        timeout: l.timeout,
        check_continue: l.check_continue,
        check_expectation: l.check_expectation,
        client_error: l.client_error,
        upgrade: l.upgrade,
        connect: l.connect,
    }
}

/// `http.ServerResponse`.
pub struct Response(pub Rc<Message>);

impl Response {
    /// Run a call on the response; once the connection is gone, Node's
    /// response methods quietly do nothing, and so do these (`gone`).
    fn call<R>(&self, gone: R, f: impl FnOnce(&mut outgoing::OutgoingMessage, &str) -> R) -> R {
        runtime::with(|rt| rt.with_response(&self.0, f)).unwrap_or(gone)
    }
}

impl GuestServerResponse for Response {
    fn id(&self) -> u32 {
        self.0.id
    }

    fn status_code(&self) -> u16 {
        self.call(200, |res, _| res.status_code())
    }

    fn set_status_code(&self, code: u16) {
        self.call((), |res, _| res.set_status_code(code))
    }

    fn status_message(&self) -> Option<String> {
        self.call(None, |res, _| res.status_message().map(str::to_owned))
    }

    fn set_status_message(&self, message: String) {
        self.call((), |res, _| res.set_status_message(message))
    }

    fn set_header(&self, name: String, value: HeaderValue) -> Result<(), Error> {
        self.call(Ok(()), |res, _| res.set_header(&name, to_core(value)))
            .map_err(to_wit)
    }

    fn get_header(&self, name: String) -> Option<HeaderValue> {
        self.call(None, |res, _| res.get_header(&name).cloned())
            .map(from_core)
    }

    fn get_header_names(&self) -> Vec<String> {
        self.call(Vec::new(), |res, _| res.get_header_names())
    }

    fn get_headers(&self) -> Vec<Header> {
        self.call(Vec::new(), |res, _| res.get_headers())
            .into_iter()
            .map(|(name, value)| Header {
                name,
                value: from_core(value),
            })
            .collect()
    }

    fn has_header(&self, name: String) -> bool {
        self.call(false, |res, _| res.has_header(&name))
    }

    fn remove_header(&self, name: String) -> Result<(), Error> {
        self.call(Ok(()), |res, _| res.remove_header(&name))
            .map_err(to_wit)
    }

    fn headers_sent(&self) -> bool {
        self.call(true, |res, _| res.headers_sent())
    }

    fn send_date(&self) -> bool {
        self.call(true, |res, _| res.send_date())
    }

    fn set_send_date(&self, value: bool) {
        self.call((), |res, _| res.set_send_date(value))
    }

    fn write_head(
        &self,
        status_code: u16,
        status_message: Option<String>,
        headers: Vec<Header>,
    ) -> Result<(), Error> {
        let headers: Vec<(String, outgoing::HeaderValue)> = headers
            .into_iter()
            .map(|h| (h.name, to_core(h.value)))
            .collect();
        self.call(Ok(()), |res, date| {
            res.write_head(status_code, status_message.as_deref(), &headers, date)
        })
        .map_err(to_wit)
    }

    fn write(&self, chunk: Vec<u8>) -> Result<bool, Error> {
        let wrote = self.call(Ok(false), |res, date| res.write(&chunk, date));
        match wrote {
            Ok(_) => Ok(runtime::with(|rt| rt.write_ok(&self.0))),
            Err(e) => Err(to_wit(e)),
        }
    }

    fn end(&self, data: Option<Vec<u8>>) -> Result<(), Error> {
        self.call(Ok(()), |res, date| res.end(data.as_deref(), date))
            .map_err(to_wit)
    }

    fn flush_headers(&self) -> Result<(), Error> {
        self.call(Ok(()), |res, date| res.flush_headers(date))
            .map_err(to_wit)
    }

    fn add_trailers(&self, headers: Vec<(String, String)>) -> Result<(), Error> {
        self.call(Ok(()), |res, _| res.add_trailers(&headers))
            .map_err(to_wit)
    }

    fn writable_ended(&self) -> bool {
        self.call(true, |res, _| res.writable_ended())
    }

    fn writable_finished(&self) -> bool {
        self.0.finished.get()
    }

    fn socket(&self) -> Option<SocketInfo> {
        // Node nulls `response.socket` once `end()` is called.
        let ended = self.writable_ended();
        (!ended).then(|| SocketInfo::clone(&self.0.socket))
    }

    fn write_continue(&self) {
        self.call((), |res, _| res.write_continue())
    }

    fn write_processing(&self) {
        self.call((), |res, _| res.write_processing())
    }

    fn write_with_callback(&self, chunk: Vec<u8>) -> Result<(bool, u64), Error> {
        let ok = self.write(chunk)?;
        let ticket = runtime::with(|rt| {
            rt.with_connection(&self.0, |http, seq| http.note_write_callback(seq))
        })
        .flatten()
        .unwrap_or(0);
        Ok((ok, ticket))
    }

    fn cork(&self) {
        runtime::with(|rt| rt.with_connection(&self.0, |http, seq| http.cork(seq)));
    }

    fn uncork(&self) {
        runtime::with(|rt| rt.with_connection(&self.0, |http, seq| http.uncork(seq)));
    }

    fn set_timeout(&self, msecs: u32, listener: bool) {
        let now = runtime::now_ms();
        runtime::with(|rt| {
            rt.with_connection(&self.0, |http, seq| {
                http.set_message_timeout(seq, Role::Response, Some(u64::from(msecs)), listener, now)
            })
        });
    }
}
