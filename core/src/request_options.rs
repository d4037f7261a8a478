//! `http.request`'s URL and options (Node's `ClientRequest` constructor),
//! validated and normalized before any I/O.
//!
//! `http.request(url[, options])` runs `urlToHttpOptions(new URL(url))`
//! ([`parse_url`]), lays the options over it (`ObjectAssign`, [`merge`]) and
//! hands the result to the `ClientRequest` constructor, whose checks and
//! defaults [`resolve`] repeats in Node's order. Options are typed here, so
//! Node's type checks (`ERR_INVALID_ARG_TYPE` for a non-string `host`, ...)
//! belong to whoever builds a [`RequestOptions`] from JavaScript-like values.

mod host;
mod whatwg_url;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::common::is_http_token;
use crate::error::NodeError;
use crate::outgoing::HeaderValue;

/// `http.request` options as the embedder gives them; `None` = not given.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub hostname: Option<String>,
    pub family: Option<u8>,
    pub port: Option<u16>,
    pub default_port: Option<u16>,
    pub local_address: Option<String>,
    pub socket_path: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Vec<(String, HeaderValue)>,
    pub auth: Option<String>,
    pub timeout: Option<u32>,
    pub set_host: Option<bool>,
}

/// What the `ClientRequest` constructor settles, before any I/O.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestTarget {
    /// `req.protocol`: always `"http:"` once resolved.
    pub protocol: String,
    /// `req.host`: what to resolve and connect to, and what `agent.getName`
    /// uses (`hostname || host || 'localhost'`; IPv6 without brackets).
    pub host: String,
    /// `port || defaultPort || 80`; a port of 0 counts as not given.
    pub port: u16,
    /// `options.defaultPort || agent.defaultPort`.
    pub default_port: u16,
    /// As given: Node ignores it when `host` is an IP address.
    pub family: Option<u8>,
    pub local_address: Option<String>,
    /// `req.method`: upper-cased, `GET` when not given.
    pub method: String,
    /// `req.path`: `/` when not given.
    pub path: String,
    /// The `Host` value Node sets after the user's headers; `None` when
    /// `setHost` is false or the user's headers already hold a Host (see
    /// [`resolve`] for the one case where Node replaces the user's).
    pub host_header: Option<String>,
    /// `options.auth` (`user:password`) for the `Basic` Authorization
    /// header, which Node adds only when the headers hold none.
    pub auth: Option<String>,
    pub headers: Vec<(String, HeaderValue)>,
    /// Milliseconds; Node's `timeout` option.
    pub timeout: Option<u32>,
}

/// `new URL(input)` + `urlToHttpOptions`, for the parts http.request uses:
/// `protocol`, `hostname` (IPv6 brackets stripped, as urlToHttpOptions
/// does), `port` (absent when the URL's is empty or the scheme's default),
/// `path` (pathname + search, percent-encoded as WHATWG does) and `auth`
/// (`decodeURIComponent(username) + ':' + decodeURIComponent(password)`,
/// only when either is non-empty).
///
/// Errors: `ERR_INVALID_URL` "Invalid URL" (Node v20's message; Node also
/// sets `err.input`, which [`NodeError`] has no field for), and a URIError
/// "URI malformed" when the user info holds a bad escape such as `%zz` or
/// `%ff` — JavaScript's `decodeURIComponent` throws a plain URIError with no
/// `code`, so its name stands in for one.
pub fn parse_url(input: &str) -> Result<RequestOptions, NodeError> {
    let url =
        whatwg_url::parse(input).ok_or_else(|| NodeError::new("ERR_INVALID_URL", "Invalid URL"))?;
    let hostname = match url.hostname.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').unwrap_or(inner).to_owned(),
        None => url.hostname,
    };
    let auth = if url.username.is_empty() && url.password.is_empty() {
        None
    } else {
        Some(format!(
            "{}:{}",
            decode_uri_component(&url.username)?,
            decode_uri_component(&url.password)?
        ))
    };
    Ok(RequestOptions {
        protocol: Some(url.protocol),
        hostname: Some(hostname),
        port: url.port,
        path: Some(url.pathname + &url.search),
        auth,
        ..RequestOptions::default()
    })
}

/// JavaScript's `decodeURIComponent`: every `%XX` decoded, the bytes read as
/// UTF-8; a `%` without two hex digits or bytes that are not UTF-8 throw.
fn decode_uri_component(text: &str) -> Result<String, NodeError> {
    let malformed = || NodeError::new("URIError", "URI malformed");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(malformed)?;
            let hex = std::str::from_utf8(hex).map_err(|_| malformed())?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return Err(malformed());
            }
            out.push(u8::from_str_radix(hex, 16).map_err(|_| malformed())?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| malformed())
}

/// Options over URL: every `Some` field of `options` wins (Node:
/// `ObjectAssign(urlOptions, options)`); headers: options' headers replace
/// the URL's (URLs have none).
pub fn merge(url: RequestOptions, options: RequestOptions) -> RequestOptions {
    RequestOptions {
        protocol: options.protocol.or(url.protocol),
        host: options.host.or(url.host),
        hostname: options.hostname.or(url.hostname),
        family: options.family.or(url.family),
        port: options.port.or(url.port),
        default_port: options.default_port.or(url.default_port),
        local_address: options.local_address.or(url.local_address),
        socket_path: options.socket_path.or(url.socket_path),
        method: options.method.or(url.method),
        path: options.path.or(url.path),
        headers: options.headers,
        auth: options.auth.or(url.auth),
        timeout: options.timeout.or(url.timeout),
        set_host: options.set_host.or(url.set_host),
    }
}

/// Node's constructor checks, in Node's order, then the two that `net.connect`
/// makes synchronously inside `http.request`:
///
/// 1. a non-empty `path` with a character outside U+0021..=U+00FF
///    (`INVALID_PATH_REGEX`): `ERR_UNESCAPED_CHARACTERS` — before the
///    protocol, as in Node;
/// 2. `protocol || 'http:'` other than `http:`: `ERR_INVALID_PROTOCOL`;
/// 3. `socketPath`: `ERR_INVALID_ARG_VALUE` (ours: WASI 0.2 has no Unix
///    domain sockets, and silence would connect somewhere else);
/// 4. a non-empty `method` that is not a token: `ERR_INVALID_HTTP_TOKEN`;
/// 5. a non-empty `localAddress` that is not an IP: `ERR_INVALID_IP_ADDRESS`;
/// 6. `family` not 0, 4 or 6 when `host` needs a lookup (Node skips the
///    lookup, and the check, for an IP address): `ERR_INVALID_ARG_VALUE`.
///
/// The Host header follows Node: `host`, bracketed when it holds two colons
/// and does not start with `[`, `:port` unless the port is the default one.
/// Node adds it only when `getHeader('host')` is falsy, so a user's Host of
/// `''` or `0` is replaced where it stands; that case is settled here by
/// rewriting the user's entry (and `host_header` is `None`).
pub fn resolve(
    options: RequestOptions,
    agent_default_port: u16,
) -> Result<RequestTarget, NodeError> {
    let given = |s: Option<String>| s.filter(|s| !s.is_empty());
    let path = given(options.path);
    validate_path(path.as_deref().unwrap_or_default())?;
    let protocol = given(options.protocol).unwrap_or_else(|| EXPECTED_PROTOCOL.to_owned());
    if protocol != EXPECTED_PROTOCOL {
        return Err(NodeError::new(
            "ERR_INVALID_PROTOCOL",
            format!("Protocol \"{protocol}\" not supported. Expected \"{EXPECTED_PROTOCOL}\""),
        ));
    }
    if let Some(socket_path) = options.socket_path {
        return Err(NodeError::new(
            "ERR_INVALID_ARG_VALUE",
            format!(
                "The property 'options.socketPath' is not supported: WASI 0.2 has no Unix \
                 domain sockets. Received '{socket_path}'"
            ),
        ));
    }
    let nonzero = |p: Option<u16>| p.filter(|&p| p != 0);
    let default_port = nonzero(options.default_port).unwrap_or(agent_default_port);
    let port = nonzero(options.port)
        .or(nonzero(Some(default_port)))
        .unwrap_or(80);
    let host = given(options.hostname)
        .or(given(options.host))
        .unwrap_or_else(|| "localhost".to_owned());
    let set_host = options.set_host.unwrap_or(true);
    let method = request_method(options.method.as_deref().unwrap_or_default())?;
    let mut headers = options.headers;
    let mut host_header = None;
    // `getHeader('host')`: the last entry wins, as successive setHeader calls do.
    let user_host = headers
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| is_truthy(value));
    if set_host && user_host != Some(true) {
        let value = host_header_value(&host, port, default_port);
        if user_host.is_some() {
            let user_entries = headers
                .iter_mut()
                .filter(|(n, _)| n.eq_ignore_ascii_case("host"));
            for (name, old) in user_entries {
                *name = "Host".to_owned();
                *old = HeaderValue::Text(value.clone());
            }
        } else {
            host_header = Some(value);
        }
    }
    let local_address = given(options.local_address);
    if let Some(address) = local_address.as_deref().filter(|a| !is_ip(a)) {
        return Err(NodeError::new(
            "ERR_INVALID_IP_ADDRESS",
            format!("Invalid IP address: {address}"),
        ));
    }
    if let Some(family) = options.family.filter(|f| !matches!(f, 0 | 4 | 6)) {
        if !is_ip(&host) {
            return Err(NodeError::new(
                "ERR_INVALID_ARG_VALUE",
                format!("The property 'options.family' must be one of: 0, 4, 6. Received {family}"),
            ));
        }
    }
    Ok(RequestTarget {
        protocol,
        host,
        port,
        default_port,
        family: options.family,
        local_address,
        method,
        path: path.unwrap_or_else(|| "/".to_owned()),
        host_header,
        auth: given(options.auth),
        headers,
        timeout: options.timeout,
    })
}

/// The one protocol `http.Agent` speaks.
const EXPECTED_PROTOCOL: &str = "http:";

/// `options.path`, refused when it matches Node's `INVALID_PATH_REGEX`,
/// `/[^\u0021-\u00ff]/`: spaces, controls and anything above latin1 must be
/// percent-encoded by the caller. Empty passes (it means `/`).
///
/// Shared with [`crate::outgoing::OutgoingMessage::client_request`], which
/// repeats Node's constructor checks for callers that skip [`resolve`].
pub(crate) fn validate_path(path: &str) -> Result<(), NodeError> {
    if path.chars().any(|c| !('\u{21}'..='\u{ff}').contains(&c)) {
        return Err(NodeError::new(
            "ERR_UNESCAPED_CHARACTERS",
            "Request path contains unescaped characters",
        ));
    }
    Ok(())
}

/// `req.method` from `options.method`: empty means `GET`; anything else must
/// be a token (`checkIsHttpToken`, else `ERR_INVALID_HTTP_TOKEN`) and is
/// upper-cased (a token is ASCII, so this is JavaScript's `toUpperCase()`).
pub(crate) fn request_method(method: &str) -> Result<String, NodeError> {
    if method.is_empty() {
        Ok("GET".to_owned())
    } else if is_http_token(method) {
        Ok(method.to_ascii_uppercase())
    } else {
        Err(NodeError::invalid_token("Method", method))
    }
}

/// JavaScript truthiness of a header value as `getHeader` returns it.
fn is_truthy(value: &HeaderValue) -> bool {
    match value {
        HeaderValue::Text(s) => !s.is_empty(),
        HeaderValue::List(_) => true,
        HeaderValue::Number(n) => *n != 0.0 && !n.is_nan(),
    }
}

/// The `Host` value `ClientRequest` composes: the host, bracketed if it is
/// an IPv6 address (two colons and no `[` yet; RFC 3986 §3.2.2 writes IPv6
/// bracketed in a URI), then `:port` unless the port is the default one.
fn host_header_value(host: &str, port: u16, default_port: u16) -> String {
    let mut value = match host.find(':') {
        Some(first) if host[first + 1..].contains(':') && !host.starts_with('[') => {
            format!("[{host}]")
        }
        _ => host.to_owned(),
    };
    if port != default_port {
        value.push_str(&format!(":{port}"));
    }
    value
}

/// Node's `net.isIP(text) !== 0`: dotted-quad IPv4 without leading zeros, or
/// IPv6, which may carry a `%zone` suffix.
fn is_ip(text: &str) -> bool {
    if text.parse::<Ipv4Addr>().is_ok() {
        return true;
    }
    let address = match text.split_once('%') {
        Some((address, zone)) if !zone.is_empty() => address,
        Some(_) => return false,
        None => text,
    };
    address.parse::<Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, options: RequestOptions) -> Result<RequestTarget, NodeError> {
        resolve(merge(parse_url(url)?, options), 80)
    }

    #[test]
    fn url_with_ipv6_and_credentials() {
        let t = request("http://u%41:p%40@[::1]:8080/x?y", RequestOptions::default());
        let t = t.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 8080, "/x?y")
        );
        assert_eq!(t.host_header.as_deref(), Some("[::1]:8080"));
        assert_eq!(t.auth.as_deref(), Some("uA:p@"));
    }

    #[test]
    fn checks_in_node_order() {
        let options = RequestOptions {
            protocol: Some("https:".into()),
            path: Some("/a b".into()),
            ..RequestOptions::default()
        };
        assert_eq!(
            resolve(options, 80).map_err(|e| e.code),
            Err("ERR_UNESCAPED_CHARACTERS")
        );
        let err = request("ftp://h/", RequestOptions::default()).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("Protocol \"ftp:\" not supported. Expected \"http:\"")
        );
        assert_eq!(
            parse_url("http://a%zz@x/").map_err(|e| e.code).err(),
            Some("URIError")
        );
    }

    #[test]
    fn falsy_user_host_is_replaced_in_place() {
        let options = RequestOptions {
            host: Some("a".into()),
            port: Some(81),
            headers: vec![
                ("x".into(), HeaderValue::Text("1".into())),
                ("host".into(), HeaderValue::Text(String::new())),
            ],
            ..RequestOptions::default()
        };
        let t = resolve(options, 80).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.host_header, None);
        assert_eq!(
            t.headers[1],
            ("Host".into(), HeaderValue::Text("a:81".into()))
        );
    }

    #[test]
    fn host_header_brackets_ipv6_and_drops_the_default_port() {
        assert_eq!(host_header_value("example.com", 80, 80), "example.com");
        assert_eq!(
            host_header_value("example.com", 8080, 80),
            "example.com:8080"
        );
        assert_eq!(host_header_value("::1", 8080, 80), "[::1]:8080");
        assert_eq!(host_header_value("[::1]", 80, 80), "[::1]");
        // One colon is not an IPv6 address (Node's test is two).
        assert_eq!(host_header_value("a:b", 80, 80), "a:b");
    }

    #[test]
    fn method_and_path_as_node_checks_them() {
        assert_eq!(request_method("").as_deref(), Ok("GET"));
        assert_eq!(request_method("patch").as_deref(), Ok("PATCH"));
        let err = request_method("GE T").err();
        assert_eq!(
            err.map(|e| (e.code, e.message)),
            Some((
                "ERR_INVALID_HTTP_TOKEN",
                "Method must be a valid HTTP token [\"GE T\"]".to_owned()
            ))
        );
        assert!(validate_path("").is_ok());
        assert!(validate_path("/\u{ff}!").is_ok());
        for path in ["/a b", "/a\tb", "/\u{100}"] {
            assert_eq!(
                validate_path(path).map_err(|e| e.code),
                Err("ERR_UNESCAPED_CHARACTERS")
            );
        }
    }

    #[test]
    fn family_is_checked_only_for_names() {
        let with = |host: &str| RequestOptions {
            host: Some(host.into()),
            family: Some(5),
            ..RequestOptions::default()
        };
        assert!(resolve(with("127.0.0.1"), 80).is_ok());
        assert_eq!(
            resolve(with("localhost"), 80).map_err(|e| e.code),
            Err("ERR_INVALID_ARG_VALUE")
        );
    }
}
