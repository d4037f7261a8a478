//! [`RequestOptions`]: the options of `http.request([url][, options])`.

use crate::bindings::wit_client;
use crate::{Agent, Error, Header, NodeHttp};

/// `options.agent` of `http.request`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AgentChoice {
    /// `undefined`: `http.globalAgent`.
    #[default]
    Global,
    /// `false`: a one-time Agent with default options, for this request only.
    None,
    /// An [`Agent`] of this instance.
    Agent(Agent),
}

/// The options of `http.request([url][, options])`; with a URL, those set
/// here override its parts. `None` means Node's default.
///
/// This is the WIT `request-options` record with the agent named by an
/// [`Agent`] handle. (`createConnection` and `lookup` are functions, which
/// the component cannot take; names always resolve through WASI.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestOptions {
    /// `protocol`. Default `"http:"`; anything else is `ERR_INVALID_PROTOCOL`.
    pub protocol: Option<String>,
    /// `host`. Default `"localhost"`.
    pub host: Option<String>,
    /// `hostname`: wins over `host`.
    pub hostname: Option<String>,
    /// `family`: 4 or 6 to resolve only IPv4 or IPv6 addresses.
    pub family: Option<u8>,
    /// `port`. Default `default_port`, else 80.
    pub port: Option<u16>,
    /// `defaultPort`: the port left out of the `Host` header. Default 80.
    pub default_port: Option<u16>,
    /// `localAddress`: the local IP address to bind before connecting.
    pub local_address: Option<String>,
    /// `socketPath`: WASI 0.2 has no Unix domain sockets, so any value is
    /// refused with `ERR_INVALID_ARG_VALUE`.
    pub socket_path: Option<String>,
    /// `method`. Default `"GET"`; must be a token (`ERR_INVALID_HTTP_TOKEN`).
    pub method: Option<String>,
    /// `path`, with any query. Default `"/"`; a space or control character
    /// is `ERR_UNESCAPED_CHARACTERS`.
    pub path: Option<String>,
    /// `headers`, set in order (a header named twice: the last wins, as in a
    /// JavaScript object).
    pub headers: Vec<Header>,
    /// `auth`: `"user:password"` for a Basic `Authorization` header, unless
    /// `headers` has one.
    pub auth: Option<String>,
    /// `timeout` in ms: `request.setTimeout(timeout)` once a socket is assigned.
    pub timeout: Option<u32>,
    /// `setHost`: add a `Host` header. Default true.
    pub set_host: Option<bool>,
    /// `maxHeaderSize` for the response head. Default 8192.
    pub max_header_size: Option<u32>,
    /// `insecureHTTPParser`: accept what Node v12's parser accepted.
    pub insecure_http_parser: bool,
    /// `agent`.
    pub agent: AgentChoice,
}

impl RequestOptions {
    /// The WIT record, the agent handle resolved to its resource. Error:
    /// [`Error::Disposed`] for an agent whose handle was disposed.
    pub(crate) fn into_wit(self, node: &NodeHttp) -> Result<wit_client::RequestOptions, Error> {
        let agent = match self.agent {
            AgentChoice::Global => wit_client::AgentChoice::Global,
            AgentChoice::None => wit_client::AgentChoice::None,
            AgentChoice::Agent(agent) => wit_client::AgentChoice::Agent(agent.resource(node)?),
        };
        Ok(wit_client::RequestOptions {
            protocol: self.protocol,
            host: self.host,
            hostname: self.hostname,
            family: self.family,
            port: self.port,
            default_port: self.default_port,
            local_address: self.local_address,
            socket_path: self.socket_path,
            method: self.method,
            path: self.path,
            headers: self.headers,
            auth: self.auth,
            timeout: self.timeout,
            set_host: self.set_host,
            max_header_size: self.max_header_size,
            insecure_http_parser: self.insecure_http_parser,
            agent,
        })
    }
}
