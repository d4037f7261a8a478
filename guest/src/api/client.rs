//! `http.request`, `http.get`, `http.ClientRequest` and `http.Agent`.

use std::rc::Rc;

use nodehttp_core::agent::{self, AgentOptions as CoreAgentOptions, Scheduling as CoreScheduling};
use nodehttp_core::client::ClientRequest as CoreRequest;
use nodehttp_core::outgoing::{OutgoingMessage, RequestContext};
use nodehttp_core::parse::{ParserOptions, RequestKind};
use nodehttp_core::request_options::{self, RequestOptions as CoreOptions};

use super::{from_core, header_entries, to_core, to_wit};
use crate::bindings::exports::nodehttp::http::client::{
    AgentChoice, AgentOptions, Error, GuestAgent, GuestClientRequest, HeaderValue, RequestOptions,
    Scheduling, SocketInfo,
};
use crate::runtime::client::RequestInfo;
use crate::runtime::{self, now_ms};

/// `http.Agent`: a handle on a pool the runtime owns.
pub struct Agent(u32);

impl GuestAgent for Agent {
    fn new(options: AgentOptions) -> Self {
        let options = CoreAgentOptions {
            keep_alive: options.keep_alive,
            keep_alive_msecs: options.keep_alive_msecs.map_or(1000, u64::from),
            max_sockets: options.max_sockets,
            max_total_sockets: options.max_total_sockets,
            max_free_sockets: options.max_free_sockets.unwrap_or(256),
            scheduling: match options.scheduling {
                Some(Scheduling::Lifo) => CoreScheduling::Lifo,
                _ => CoreScheduling::Fifo,
            },
            timeout: options.timeout.map(u64::from),
        };
        Agent(runtime::with(|rt| rt.create_agent(options, false)))
    }

    fn id(&self) -> u32 {
        self.0
    }

    fn get_name(
        &self,
        host: String,
        port: u16,
        local_address: Option<String>,
        family: Option<u8>,
    ) -> String {
        agent::get_name(&host, port, local_address.as_deref(), family)
    }

    fn sockets(&self) -> Vec<(String, u32)> {
        self.view(|a| a.sockets())
    }

    fn free_sockets(&self) -> Vec<(String, u32)> {
        self.view(|a| a.free_sockets())
    }

    fn requests(&self) -> Vec<(String, u32)> {
        self.view(|a| a.requests())
    }

    fn max_sockets(&self) -> Option<u32> {
        self.view(|a| a.options().max_sockets)
    }

    fn max_total_sockets(&self) -> Option<u32> {
        self.view(|a| a.options().max_total_sockets)
    }

    fn max_free_sockets(&self) -> u32 {
        self.view(|a| a.options().max_free_sockets)
    }

    fn keep_alive(&self) -> bool {
        self.view(|a| a.options().keep_alive)
    }

    fn destroy(&self) {
        runtime::with(|rt| rt.destroy_agent(self.0))
    }
}

impl Agent {
    fn view<R: Default>(&self, f: impl FnOnce(&agent::Agent) -> R) -> R {
        runtime::with(|rt| rt.agent(self.0).map(f).unwrap_or_default())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        runtime::with(|rt| rt.release_agent(self.0))
    }
}

/// `http.globalAgent`.
pub fn global_agent() -> Agent {
    Agent(runtime::with(|rt| rt.global_agent()))
}

/// `http.request([url][, options])`.
pub fn request(url: Option<String>, options: RequestOptions) -> Result<ClientRequest, Error> {
    let parser = ParserOptions {
        max_header_size: options
            .max_header_size
            .map_or(ParserOptions::default().max_header_size, |n| n as usize),
        // Node's parser default when `maxHeadersCount` is unset: 2000 names
        // and values, i.e. 1000 header lines.
        max_headers_count: ParserOptions::default().max_headers_count,
        insecure: options.insecure_http_parser,
    };
    let agent = match &options.agent {
        AgentChoice::Global => None,
        AgentChoice::None => Some(None),
        AgentChoice::Agent(a) => Some(Some(a.get::<Agent>().0)),
    };
    let given = core_options(options);
    let merged = match url {
        Some(url) => {
            request_options::merge(request_options::parse_url(&url).map_err(to_wit)?, given)
        }
        None => given,
    };
    // Only `http:` exists here, so every agent's `defaultPort` is 80.
    let target = request_options::resolve(merged, 80).map_err(to_wit)?;
    runtime::with(|rt| {
        let agent = match agent {
            None => rt.global_agent(),
            Some(Some(id)) => id,
            // `agent: false`: a one-time Agent with default options.
            Some(None) => rt.create_agent(CoreAgentOptions::default(), true),
        };
        let pool = rt
            .agent(agent)
            .map(|a| a.options().clone())
            .unwrap_or_default();
        // Node: the socket can only be reused (so `Connection: keep-alive` is
        // sent) if the agent keeps sockets or limits them.
        let should_keep_alive = pool.keep_alive || pool.max_sockets.is_some();
        let message = OutgoingMessage::client_request(RequestContext {
            method: target.method.clone(),
            path: target.path.clone(),
            host_header: target.host_header.clone(),
            auth: target.auth.clone(),
            headers: target.headers.clone(),
            should_keep_alive,
        });
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                rt.forget_agent_if_idle(agent);
                return Err(to_wit(e));
            }
        };
        let kind = RequestKind {
            head: target.method == "HEAD",
            connect: target.method == "CONNECT",
        };
        let mut http = CoreRequest::new(message, kind, parser);
        if let Some(ms) = target.timeout.map(u64::from).or(pool.timeout) {
            http.set_timeout(ms, now_ms());
        }
        // The getter reports lines, as `set-max-headers-count` takes them.
        let lines = u32::try_from(parser.max_headers_count / 2).unwrap_or(u32::MAX);
        let info = rt.client_request(agent, target, http, lines);
        Ok(ClientRequest::new(Request(info)))
    })
}

/// `http.get(...)`: `request`, then `end()`.
pub fn get(url: Option<String>, options: RequestOptions) -> Result<ClientRequest, Error> {
    let options = RequestOptions {
        method: Some(options.method.unwrap_or_else(|| "GET".to_string())),
        ..options
    };
    let req = request(url, options)?;
    req.get::<Request>().end(None)?;
    Ok(req)
}

pub use crate::bindings::exports::nodehttp::http::client::ClientRequest;

/// The options the core validates, from the WIT record.
fn core_options(o: RequestOptions) -> CoreOptions {
    CoreOptions {
        protocol: o.protocol,
        host: o.host,
        hostname: o.hostname,
        family: o.family,
        port: o.port,
        default_port: o.default_port,
        local_address: o.local_address,
        socket_path: o.socket_path,
        method: o.method,
        path: o.path,
        headers: o
            .headers
            .into_iter()
            .map(|h| (h.name, to_core(h.value)))
            .collect(),
        auth: o.auth,
        timeout: o.timeout,
        set_host: o.set_host,
    }
}

/// `http.ClientRequest`: a handle on a request the runtime owns.
pub struct Request(Rc<RequestInfo>);

impl Request {
    /// Run `f` on the live request; `gone` once it was forgotten.
    fn call<R>(&self, gone: R, f: impl FnOnce(&mut CoreRequest) -> R) -> R {
        runtime::with(|rt| rt.with_client_request(self.0.id, f)).unwrap_or(gone)
    }

    fn read<R>(&self, gone: R, f: impl FnOnce(&CoreRequest) -> R) -> R {
        runtime::with(|rt| rt.client_request_ref(self.0.id).map(f)).unwrap_or(gone)
    }
}

impl GuestClientRequest for Request {
    fn id(&self) -> u32 {
        self.0.id
    }

    fn set_header(&self, name: String, value: HeaderValue) -> Result<(), Error> {
        self.call(Ok(()), |r| r.message().set_header(&name, to_core(value)))
            .map_err(to_wit)
    }

    fn get_header(&self, name: String) -> Option<HeaderValue> {
        self.read(None, |r| r.message_ref().get_header(&name).cloned())
            .map(from_core)
    }

    fn get_header_names(&self) -> Vec<String> {
        self.read(Vec::new(), |r| r.message_ref().get_header_names())
    }

    fn has_header(&self, name: String) -> bool {
        self.read(false, |r| r.message_ref().has_header(&name))
    }

    fn remove_header(&self, name: String) -> Result<(), Error> {
        self.call(Ok(()), |r| r.message().remove_header(&name))
            .map_err(to_wit)
    }

    fn headers_sent(&self) -> bool {
        self.read(false, |r| r.message_ref().headers_sent())
    }

    fn write(&self, chunk: Vec<u8>) -> Result<bool, Error> {
        self.call(Ok(false), |r| {
            r.message().write(&chunk, "")?;
            r.pump();
            Ok(r.note_write())
        })
        .map_err(to_wit)
    }

    fn end(&self, data: Option<Vec<u8>>) -> Result<(), Error> {
        self.call(Ok(()), |r| r.message().end(data.as_deref(), ""))
            .map_err(to_wit)
    }

    fn flush_headers(&self) -> Result<(), Error> {
        self.call(Ok(()), |r| r.message().flush_headers(""))
            .map_err(to_wit)
    }

    fn abort(&self) {
        self.call((), |r| r.abort())
    }

    fn aborted(&self) -> bool {
        self.read(false, |r| r.aborted())
    }

    fn destroy(&self, error: Option<Error>) {
        runtime::with(|rt| rt.destroy_client_request(self.0.id, error))
    }

    fn path(&self) -> String {
        self.0.path.clone()
    }

    fn method(&self) -> String {
        self.0.method.clone()
    }

    fn host(&self) -> String {
        self.0.host.clone()
    }

    fn protocol(&self) -> String {
        self.0.protocol.clone()
    }

    fn reused_socket(&self) -> bool {
        self.0.reused_socket.get()
    }

    fn max_headers_count(&self) -> u32 {
        self.0.max_headers_count.get()
    }

    fn set_max_headers_count(&self, count: u32) {
        self.0.max_headers_count.set(count);
        self.call((), |r| r.set_max_headers_count(header_entries(count)))
    }

    fn set_timeout(&self, msecs: u32) {
        self.call((), |r| r.set_timeout(u64::from(msecs), now_ms()))
    }

    fn set_no_delay(&self, _no_delay: bool) {
        // WASI 0.2 has no TCP_NODELAY; heads already leave with their first
        // body bytes in one write.
    }

    fn set_socket_keep_alive(&self, enable: bool, initial_delay_ms: u32) {
        runtime::with(|rt| rt.set_client_keep_alive(self.0.id, enable, initial_delay_ms))
    }

    fn writable_ended(&self) -> bool {
        self.read(true, |r| r.message_ref().writable_ended())
    }

    fn writable_finished(&self) -> bool {
        self.read(false, |r| r.writable_finished())
    }

    fn socket(&self) -> Option<SocketInfo> {
        self.0.socket.borrow().clone()
    }

    fn listen_upgrade(&self, listening: bool) {
        self.call((), |r| r.set_upgrade_listener(listening))
    }

    fn listen_connect(&self, listening: bool) {
        self.call((), |r| r.set_connect_listener(listening))
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        runtime::with(|rt| rt.release_client_request(self.0.id))
    }
}
