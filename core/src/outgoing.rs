//! The outgoing side, as Node's `lib/_http_outgoing.js` does it for its two
//! subclasses, the `ServerResponse` of `lib/_http_server.js` and the
//! `ClientRequest` of `lib/_http_client.js`: the `setHeader` store, the head
//! (`_storeHeader`, one for both roles) with Node's keep-alive and framing
//! decisions, and the body (`write`, `end`, chunked encoding, trailers).
//!
//! Sans-IO: serialized bytes collect in [`OutgoingMessage::output`], which the
//! connection drains; the `Date` value is passed in by the caller, since the
//! core reads no clock (see [`crate::date::http_date`]).
//!
//! This is the per-response hot path, so the head is written straight into
//! one byte buffer (which then becomes the output buffer) with no `format!`
//! and no per-header allocation; the bytes are exactly Node's.

use std::borrow::Cow;

use crate::common::has_word;
use crate::common::{is_http_token, is_invalid_header_value};
use crate::error::NodeError;
use crate::request_options::{request_method, validate_path};
use crate::status_codes::status_text;

/// The writable stream's default `highWaterMark`: `write()` returns false once
/// this many bytes wait in the output.
pub const HIGH_WATER_MARK: usize = 16 * 1024;

/// Room for a typical head (status line, a few app headers, `Date`,
/// `Connection`, `Keep-Alive`, framing), so composing it allocates once.
const HEAD_CAPACITY: usize = 256;

/// A header value as `setHeader` stores it: Node keeps the JavaScript value
/// and only turns it into header lines when the head is written.
#[derive(Clone, Debug, PartialEq)]
pub enum HeaderValue {
    Text(String),
    /// One header line per element; a `Cookie` list of two or more is joined
    /// with `"; "` into one line instead.
    List(Vec<String>),
    /// Sent as JavaScript's `String(n)` writes it (42 → `42`, 1e21 → `1e+21`).
    Number(f64),
}

impl HeaderValue {
    /// Node's `checkInvalidHeaderChar(value)`: a list is checked as its
    /// elements, a number can never hold a forbidden character.
    fn has_invalid_char(&self) -> bool {
        match self {
            HeaderValue::Text(s) => is_invalid_header_value(s),
            HeaderValue::List(items) => items.iter().any(|s| is_invalid_header_value(s)),
            HeaderValue::Number(_) => false,
        }
    }

    /// JavaScript truthiness, as `if (this.getHeader('expect'))` tests it:
    /// `''`, `0` and `NaN` are false, every array (even `[]`) is true.
    fn is_truthy(&self) -> bool {
        match self {
            HeaderValue::Text(s) => !s.is_empty(),
            HeaderValue::List(_) => true,
            HeaderValue::Number(n) => *n != 0.0 && !n.is_nan(),
        }
    }
}

/// JavaScript's `Number.prototype.toString()` (ECMA-262 `Number::toString`),
/// which is what `'X: ' + value` writes for a number header value.
///
/// Rust's `{:e}` already gives the shortest digits that round-trip, as the
/// spec requires; only the placement of the decimal point differs.
pub fn js_number_to_string(n: f64) -> String {
    if let Some(int) = Digits::of_integral(n) {
        return int.as_str().to_string();
    }
    if n.is_nan() {
        return "NaN".to_string();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    if n.is_infinite() {
        return format!("{sign}Infinity");
    }
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    // `n` of the spec: the value is 0.d1d2...dk × 10^point.
    let point = exp.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e_sign = if e >= 0 { "+" } else { "-" };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{rest}e{e_sign}{}", e.abs())
    };
    format!("{sign}{body}")
}

/// The digits of an integer (decimal or hexadecimal) in a stack buffer: numbers on
/// the hot path (`Content-Length`, `Keep-Alive`, chunk sizes) without
/// `format!` or an allocation.
struct Digits {
    buf: [u8; 21],
    start: usize,
}

impl Digits {
    /// `n` in base `radix` (10 or 16, lower-case digits), `-` first if negative.
    fn new(n: u64, radix: u64, negative: bool) -> Self {
        let mut d = Digits {
            buf: [0; 21],
            start: 21,
        };
        let mut rest = n;
        loop {
            d.start -= 1;
            d.buf[d.start] = b"0123456789abcdef"[(rest % radix) as usize];
            rest /= radix;
            if rest == 0 {
                break;
            }
        }
        if negative {
            d.start -= 1;
            d.buf[d.start] = b'-';
        }
        d
    }

    fn decimal(n: u64) -> Self {
        Self::new(n, 10, false)
    }

    fn hex(n: u64) -> Self {
        Self::new(n, 16, false)
    }

    /// An integral `f64` as JavaScript writes it, for the magnitudes where
    /// that is its plain decimal digits (below 2^53 every integer is exact;
    /// -0 is `0`). `None` for anything else.
    fn of_integral(n: f64) -> Option<Self> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        if n.fract() != 0.0 || !(-EXACT..=EXACT).contains(&n) {
            return None;
        }
        Some(Self::new(n.abs() as u64, 10, n < 0.0))
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and `-` are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// Append a head or trailer string as Node's `'latin1'` encoding writes it:
/// every char (all are at most U+00FF once validated) is one byte.
fn extend_latin1(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.extend(s.chars().map(|c| c as u32 as u8));
    }
}

/// Append one header line, `name: value\r\n`.
fn extend_line(out: &mut Vec<u8>, name: &str, value: &str) {
    extend_latin1(out, name);
    out.extend_from_slice(b": ");
    extend_latin1(out, value);
    out.extend_from_slice(b"\r\n");
}

/// `name.toLowerCase() === lower` (`lower` an ASCII lower-case name), as
/// Node compares header names: no allocation unless `name` is not ASCII
/// (JavaScript lower-cases e.g. the Kelvin sign U+212A to `k`).
fn is_name(name: &str, lower: &str) -> bool {
    if name.is_ascii() {
        name.eq_ignore_ascii_case(lower)
    } else {
        name.to_lowercase() == lower
    }
}

/// Two names equal once lower-cased, as two keys of `kOutHeaders`.
fn same_name(stored: &str, name: &str) -> bool {
    if stored.is_ascii() && name.is_ascii() {
        stored.eq_ignore_ascii_case(name)
    } else {
        stored.to_lowercase() == name.to_lowercase()
    }
}

/// A JavaScript array index (`"0"`, `"17"`, never `"017"`): such object keys
/// enumerate before all others, in numeric order, so `setHeader('1', ..)`
/// comes first on the wire however late it was set.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

/// One stored header: the name as the caller spelled it (its lower-cased
/// form is the store's key), the value.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    value: HeaderValue,
}

impl Entry {
    /// The store's key (`name.toLowerCase()`).
    fn key(&self) -> String {
        self.name.to_lowercase()
    }
}

/// The `setHeader` store (Node's `kOutHeaders`): one entry per lower-cased
/// name, keeping the caller's spelling and the value's type. Re-setting a
/// name keeps its place but takes the new spelling, as assigning to an
/// existing key of a JavaScript object does.
#[derive(Clone, Debug, Default)]
pub struct OutgoingHeaders {
    entries: Vec<Entry>,
}

impl OutgoingHeaders {
    /// `setHeader(name, value)`: validates like Node, then stores.
    pub fn set(&mut self, name: &str, value: HeaderValue) -> Result<(), NodeError> {
        validate_header_name(name, "Header name")?;
        if value.has_invalid_char() {
            return Err(NodeError::invalid_char(name));
        }
        match self.entries.iter_mut().find(|e| same_name(&e.name, name)) {
            Some(entry) => {
                entry.name.clear();
                entry.name.push_str(name);
                entry.value = value;
            }
            None => self.entries.push(Entry {
                name: name.to_string(),
                value,
            }),
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&HeaderValue> {
        self.entries
            .iter()
            .find(|e| same_name(&e.name, name))
            .map(|e| &e.value)
    }

    /// `getHeaderNames()`: lower-cased, in JavaScript key order.
    pub fn names(&self) -> Vec<String> {
        self.ordered().map(Entry::key).collect()
    }

    /// `getHeaders()`: lower-cased names with their values, in key order.
    pub fn entries(&self) -> Vec<(String, HeaderValue)> {
        self.ordered().map(|e| (e.key(), e.value.clone())).collect()
    }

    /// The names as the caller spelled them, with their values, in key order:
    /// what goes on the wire (`getRawHeaderNames()` plus values).
    pub fn raw_entries(&self) -> Vec<(String, HeaderValue)> {
        self.ordered()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Deletes the header; true if it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !same_name(&e.name, name));
        self.entries.len() != before
    }

    /// Entries in JavaScript's own-key order: array indices ascending, then
    /// the rest in insertion order. Allocates only if there are array indices.
    fn ordered(&self) -> impl Iterator<Item = &Entry> {
        let mut indices: Vec<(u32, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| array_index(&e.name).map(|i| (i, e)))
            .collect();
        indices.sort_by_key(|&(i, _)| i);
        let rest = self
            .entries
            .iter()
            .filter(|e| array_index(&e.name).is_none());
        indices.into_iter().map(|(_, e)| e).chain(rest)
    }
}

/// Node's `validateHeaderName`; `what` is `Header name` or `Trailer name`.
fn validate_header_name(name: &str, what: &str) -> Result<(), NodeError> {
    if is_http_token(name) {
        Ok(())
    } else {
        Err(NodeError::invalid_token(what, name))
    }
}

/// What a ServerResponse learns from its request (Node's ServerResponse
/// constructor + server settings).
#[derive(Clone, Debug)]
pub struct ResponseContext {
    /// `req.method === 'HEAD'`: the response has no body.
    pub head_request: bool,
    /// The request's version is below 1.1: no chunked encoding by default,
    /// the body is delimited by closing the connection.
    pub http_version_minor_or_lower: bool,
    /// A 1.0 request carrying `TE: chunked` (Node's `chunkExpression`):
    /// `useChunkedEncodingByDefault` stays on.
    pub request_te_chunked: bool,
    /// The parser's keep-alive verdict (`res.shouldKeepAlive = keepAlive`,
    /// assigned after the constructor, so it wins even for HTTP/1.0).
    pub should_keep_alive: bool,
    /// `server.keepAliveTimeout`; 0 sends no `Keep-Alive` header.
    pub keep_alive_timeout_ms: u64,
}

/// What `new ClientRequest(options)` needs, once the caller has chosen the
/// agent and resolved the options (`hostname || host`, `port || defaultPort`).
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// `options.method`: validated as a token and upper-cased here (as v12
    /// does too); empty means `GET`.
    pub method: String,
    /// `options.path`: refused here if it holds a character outside
    /// U+0021..=U+00FF (Node's `INVALID_PATH_REGEX`); empty means `/`.
    pub path: String,
    /// The `Host` value to add unless `options.headers` has a non-empty one
    /// (as [`crate::request_options::resolve`] composes it); `None` for
    /// `setHost: false`.
    pub host_header: Option<String>,
    /// `options.auth` (`user:pass`): sent as `Authorization: Basic ...`
    /// unless `options.headers` has a non-empty `Authorization`.
    pub auth: Option<String>,
    /// `options.headers` in `Object.keys` order, each `setHeader` in turn.
    pub headers: Vec<(String, HeaderValue)>,
    /// Node's `this.shouldKeepAlive` from the agent: its `keepAlive`, or a
    /// finite `maxSockets` (only then can the socket be reused at all).
    pub should_keep_alive: bool,
}

/// Node's `useChunkedEncodingByDefault` for a request: every method but
/// those whose requests rarely carry a body.
fn chunked_by_default(method: &str) -> bool {
    !matches!(
        method,
        "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE" | "CONNECT"
    )
}

/// RFC 4648 §4 base64 with padding, as `Buffer#toString('base64')` writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let byte = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let bits = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[((bits >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Which of `OutgoingMessage`'s two subclasses a message is.
#[derive(Clone, Debug)]
enum Role {
    /// A `ServerResponse`: a status line, `Date`, `Keep-Alive: timeout=`.
    Response,
    /// A `ClientRequest`: a request line and no `Date`. It always has an
    /// agent (Node's `this.agent`), which lets `_storeHeader` announce
    /// `Connection: keep-alive` even on a request without a body.
    Request { method: String, path: String },
}

/// What `_storeHeader` notices while writing the header lines (its `state`).
#[derive(Default)]
struct HeadState {
    connection: bool,
    cont_len: bool,
    te: bool,
    date: bool,
    expect: bool,
    trailer: bool,
}

/// The headers whose lines steer `_storeHeader` (Node's `matchHeader`).
#[derive(Clone, Copy)]
enum Steering {
    Connection,
    TransferEncoding,
    ContentLength,
    Date,
    Expect,
    Trailer,
    KeepAlive,
}

impl Steering {
    const ALL: [(&'static str, Steering); 7] = [
        ("connection", Steering::Connection),
        ("transfer-encoding", Steering::TransferEncoding),
        ("content-length", Steering::ContentLength),
        ("date", Steering::Date),
        ("expect", Steering::Expect),
        ("trailer", Steering::Trailer),
        ("keep-alive", Steering::KeepAlive),
    ];

    /// Header names are validated tokens here, so ASCII case-folding is
    /// Node's `toLowerCase()`.
    fn of(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(lower, _)| name.eq_ignore_ascii_case(lower))
            .map(|&(_, s)| s)
    }
}

/// A ServerResponse or a ClientRequest: Node's `OutgoingMessage` state
/// machine in either role. Field names follow Node's properties.
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    role: Role,
    /// The response's status; unused by a request.
    status_code: u16,
    /// Borrowed from the status table unless the app set its own.
    status_message: Option<Cow<'static, str>>,
    send_date: bool,
    headers: OutgoingHeaders,
    /// `kOutHeaders !== null`: once `setHeader` succeeded, `writeHead` merges
    /// its headers into the store instead of writing them as given.
    headers_touched: bool,
    has_body: bool,
    use_chunked_encoding_by_default: bool,
    should_keep_alive: bool,
    keep_alive_timeout_ms: u64,
    /// False once the app sets its own `Keep-Alive` header.
    default_keep_alive: bool,
    removed_connection: bool,
    removed_cont_len: bool,
    removed_te: bool,
    /// `_contentLength`: the body length when `end(data)` writes the head.
    content_length: Option<usize>,
    chunked_encoding: bool,
    last: bool,
    /// `_trailer`: serialized trailer lines (latin1) for the last chunk.
    trailer: Vec<u8>,
    /// `_header`: the composed head (latin1), once `writeHead` ran; emptied
    /// when its bytes move to `output`.
    header: Option<Vec<u8>>,
    /// `_headerSent`: the head went to `output`.
    header_sent: bool,
    finished: bool,
    /// Node's `_expect_continue && !_sent100`: the request expects `100
    /// Continue` and the app (a `checkContinue` listener) has not sent it.
    awaiting_continue: bool,
    output: Vec<u8>,
}

impl OutgoingMessage {
    /// `new OutgoingMessage()` as the subclasses go on to configure it: no
    /// `Date`, no `Keep-Alive` timeout, a body, chunked by default.
    fn new(role: Role, should_keep_alive: bool) -> Self {
        OutgoingMessage {
            role,
            status_code: 200,
            status_message: None,
            send_date: false,
            headers: OutgoingHeaders::default(),
            headers_touched: false,
            has_body: true,
            use_chunked_encoding_by_default: true,
            should_keep_alive,
            keep_alive_timeout_ms: 0,
            default_keep_alive: true,
            removed_connection: false,
            removed_cont_len: false,
            removed_te: false,
            content_length: None,
            chunked_encoding: false,
            last: false,
            trailer: Vec::new(),
            header: None,
            header_sent: false,
            finished: false,
            awaiting_continue: false,
            output: Vec::new(),
        }
    }

    /// `new ServerResponse(req)` with the server's settings applied.
    pub fn server_response(ctx: ResponseContext) -> Self {
        let mut res = Self::new(Role::Response, ctx.should_keep_alive);
        res.send_date = true;
        res.has_body = !ctx.head_request;
        res.use_chunked_encoding_by_default =
            !ctx.http_version_minor_or_lower || ctx.request_te_chunked;
        res.keep_alive_timeout_ms = ctx.keep_alive_timeout_ms;
        res
    }

    /// `new ClientRequest(options)`, in Node's order: the path is checked
    /// before the method; `options.headers` are set, then `Host` and
    /// `Authorization` unless already there. With an `Expect` header the head
    /// is written at once, so it goes out before any body and the server can
    /// answer `100 Continue` (RFC 9110 §10.1.1).
    pub fn client_request(ctx: RequestContext) -> Result<Self, NodeError> {
        validate_path(&ctx.path)?;
        let method = request_method(&ctx.method)?;
        let path = if ctx.path.is_empty() {
            "/".to_string()
        } else {
            ctx.path
        };
        let use_chunked = chunked_by_default(&method);
        let mut req = Self::new(Role::Request { method, path }, ctx.should_keep_alive);
        req.use_chunked_encoding_by_default = use_chunked;
        req.last = !ctx.should_keep_alive;
        // A request's head is always written from the store (`kOutHeaders`).
        req.headers_touched = true;

        for (name, value) in ctx.headers {
            req.headers.set(&name, value)?;
        }
        if let Some(host) = ctx.host_header {
            if !req.has_truthy_header("host") {
                req.headers.set("Host", HeaderValue::Text(host))?;
            }
        }
        if let Some(auth) = ctx.auth {
            if !req.has_truthy_header("authorization") {
                let basic = format!("Basic {}", base64(auth.as_bytes()));
                req.headers.set("Authorization", HeaderValue::Text(basic))?;
            }
        }
        if req.has_truthy_header("expect") {
            req.implicit_header("")?;
        }
        Ok(req)
    }

    /// `!!this.getHeader(name)`, as the `ClientRequest` constructor asks.
    fn has_truthy_header(&self, name: &str) -> bool {
        self.headers.get(name).is_some_and(HeaderValue::is_truthy)
    }

    /// `req.method`, upper-cased; empty for a response.
    pub fn method(&self) -> &str {
        match &self.role {
            Role::Request { method, .. } => method,
            Role::Response => "",
        }
    }

    /// `req.path`; empty for a response.
    pub fn path(&self) -> &str {
        match &self.role {
            Role::Request { path, .. } => path,
            Role::Response => "",
        }
    }

    /// Node's `shouldKeepAlive`: for a request, whether the socket may go
    /// back to the agent once the response allows it (a `Connection`
    /// header other than `close` turns it on).
    pub fn should_keep_alive(&self) -> bool {
        self.should_keep_alive
    }

    pub fn status_code(&self) -> u16 {
        self.status_code
    }

    /// `res.statusCode = c`; Node checks the range only when the head is written.
    pub fn set_status_code(&mut self, c: u16) {
        self.status_code = c;
    }

    /// `res.statusMessage`: `None` until set or until `writeHead` fills in the
    /// standard reason.
    pub fn status_message(&self) -> Option<&str> {
        self.status_message.as_deref()
    }

    pub fn set_status_message(&mut self, m: String) {
        self.status_message = Some(Cow::Owned(m));
    }

    pub fn send_date(&self) -> bool {
        self.send_date
    }

    pub fn set_send_date(&mut self, v: bool) {
        self.send_date = v;
    }

    /// `res.setHeader(name, value)`.
    pub fn set_header(&mut self, name: &str, v: HeaderValue) -> Result<(), NodeError> {
        if self.header.is_some() {
            return Err(NodeError::headers_sent("set"));
        }
        self.headers.set(name, v)?;
        self.headers_touched = true;
        Ok(())
    }

    pub fn get_header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.get(name)
    }

    pub fn get_header_names(&self) -> Vec<String> {
        self.headers.names()
    }

    pub fn get_headers(&self) -> Vec<(String, HeaderValue)> {
        self.headers.entries()
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers.has(name)
    }

    /// `res.removeHeader(name)`. Removing `Connection`, `Content-Length`,
    /// `Transfer-Encoding` or `Date` also stops Node from adding its own.
    pub fn remove_header(&mut self, name: &str) -> Result<(), NodeError> {
        if self.header.is_some() {
            return Err(NodeError::headers_sent("remove"));
        }
        if is_name(name, "connection") {
            self.removed_connection = true;
        } else if is_name(name, "content-length") {
            self.removed_cont_len = true;
        } else if is_name(name, "transfer-encoding") {
            self.removed_te = true;
        } else if is_name(name, "date") {
            self.send_date = false;
        }
        self.headers.remove(name);
        Ok(())
    }

    /// `res.writeHead(code[, message][, headers])`: composes the head; it
    /// reaches `output` with the first body bytes (or `end`/`flush_headers`).
    ///
    /// After a `setHeader`, `headers` are set one by one over the store (an
    /// existing name keeps its place, takes the new spelling; an empty name
    /// is skipped); otherwise they are written as given, validated on the way.
    pub fn write_head(
        &mut self,
        code: u16,
        message: Option<&str>,
        headers: &[(String, HeaderValue)],
        date: &str,
    ) -> Result<(), NodeError> {
        if let Role::Request { .. } = self.role {
            // `writeHead` exists on `ServerResponse.prototype` only.
            return Err(NodeError::new(
                "ERR_METHOD_NOT_IMPLEMENTED",
                "The writeHead() method is not implemented",
            ));
        }
        if self.header.is_some() {
            return Err(NodeError::headers_sent("write"));
        }
        if !(100..=999).contains(&code) {
            return Err(NodeError::new(
                "ERR_HTTP_INVALID_STATUS_CODE",
                format!("Invalid status code: {code}"),
            ));
        }
        match message {
            Some(m) => self.status_message = Some(Cow::Owned(m.to_string())),
            None if self
                .status_message
                .as_deref()
                .is_some_and(|m| !m.is_empty()) => {}
            None => {
                self.status_message = Some(Cow::Borrowed(status_text(code).unwrap_or("unknown")))
            }
        }
        self.status_code = code;

        if self.headers_touched {
            for (name, value) in headers.iter().filter(|(name, _)| !name.is_empty()) {
                self.set_header(name, value.clone())?;
            }
        }

        let reason = self.status_message.as_deref().unwrap_or_default();
        if is_invalid_header_value(reason) {
            return Err(NodeError::new(
                "ERR_INVALID_CHAR",
                "Invalid character in statusMessage",
            ));
        }
        // Node: "Don't keep alive connections where the client expects 100
        // Continue but we sent a final status; they may put extra bytes on
        // the wire."
        if self.awaiting_continue {
            self.should_keep_alive = false;
        }
        // RFC 9110 §15.2, §15.3.5, §15.4.5: 1xx, 204 and 304 end at the head.
        if code == 204 || code == 304 || (100..=199).contains(&code) {
            self.has_body = false;
        }
        let mut head = Vec::with_capacity(HEAD_CAPACITY + self.content_length.unwrap_or(0));
        head.extend_from_slice(b"HTTP/1.1 ");
        head.extend_from_slice(Digits::decimal(u64::from(code)).as_bytes());
        head.push(b' ');
        extend_latin1(&mut head, reason);
        head.extend_from_slice(b"\r\n");
        self.store_header(head, headers, date)
    }

    /// `_implicitHeader()`: a response's `writeHead(this.statusCode)`; a
    /// request's `_storeHeader(method + ' ' + path + ' HTTP/1.1\r\n')`.
    fn implicit_header(&mut self, date: &str) -> Result<(), NodeError> {
        let Role::Request { method, path } = &self.role else {
            return self.write_head(self.status_code, None, &[], date);
        };
        let mut head = Vec::with_capacity(HEAD_CAPACITY + self.content_length.unwrap_or(0));
        extend_latin1(&mut head, method);
        head.push(b' ');
        extend_latin1(&mut head, path);
        head.extend_from_slice(b" HTTP/1.1\r\n");
        self.store_header(head, &[], date)
    }

    /// `_storeHeader(firstLine, headers)`: the header lines (the store's,
    /// once `setHeader` was used, else `given`, validated), then the ones
    /// Node adds itself — `Date`, `Connection` (+ `Keep-Alive`), and the body
    /// framing (`Content-Length` or `Transfer-Encoding: chunked`).
    fn store_header(
        &mut self,
        mut header: Vec<u8>,
        given: &[(String, HeaderValue)],
        date: &str,
    ) -> Result<(), NodeError> {
        let mut state = HeadState::default();
        if self.headers_touched {
            // Moved out for the loop (no copy): the lines read the store
            // while `process_header` updates the message's flags.
            let store = std::mem::take(&mut self.headers);
            let written = store.ordered().try_for_each(|e| {
                self.process_header(&mut header, &mut state, &e.name, &e.value, false)
            });
            self.headers = store;
            written?;
        } else {
            for (name, value) in given {
                self.process_header(&mut header, &mut state, name, value, true)?;
            }
        }

        if self.send_date && !state.date {
            extend_line(&mut header, "Date", date);
        }

        let is_request = matches!(self.role, Role::Request { .. });
        // Node: a 204 or 304 the app marked chunked sends no zero chunk and
        // closes the connection instead, so no proxy is confused by it.
        if self.chunked_encoding
            && !is_request
            && (self.status_code == 204 || self.status_code == 304)
        {
            self.chunked_encoding = false;
            self.should_keep_alive = false;
        }

        if self.removed_connection {
            self.last = !self.should_keep_alive;
        } else if !state.connection {
            // Node's `|| this.agent`: a request announces keep-alive even
            // when unframed (a GET), since its agent may reuse the socket.
            let send_keep_alive = self.should_keep_alive
                && (state.cont_len || self.use_chunked_encoding_by_default || is_request);
            if send_keep_alive {
                header.extend_from_slice(b"Connection: keep-alive\r\n");
                if self.keep_alive_timeout_ms > 0 && self.default_keep_alive {
                    let secs = Digits::decimal(self.keep_alive_timeout_ms / 1000);
                    header.extend_from_slice(b"Keep-Alive: timeout=");
                    header.extend_from_slice(secs.as_bytes());
                    header.extend_from_slice(b"\r\n");
                }
            } else {
                self.last = true;
                header.extend_from_slice(b"Connection: close\r\n");
            }
        }

        if !state.cont_len && !state.te {
            if !self.has_body {
                self.chunked_encoding = false;
            } else if !self.use_chunked_encoding_by_default {
                // RFC 9112 §6.3: without framing the body ends at close.
                self.last = true;
            } else if let (false, false, Some(len)) =
                (state.trailer, self.removed_cont_len, self.content_length)
            {
                header.extend_from_slice(b"Content-Length: ");
                header.extend_from_slice(Digits::decimal(len as u64).as_bytes());
                header.extend_from_slice(b"\r\n");
            } else if !self.removed_te {
                header.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
                self.chunked_encoding = true;
            } else {
                // Both framing headers removed by the app: close-delimited.
                self.last = true;
            }
        }

        // RFC 9112 §6.1/§7.1.2: only a chunked body can carry trailers.
        if !self.chunked_encoding && state.trailer {
            return Err(NodeError::new(
                "ERR_HTTP_TRAILER_INVALID",
                "Trailers are invalid with this transfer encoding",
            ));
        }

        header.extend_from_slice(b"\r\n");
        self.header = Some(header);
        self.header_sent = false;
        // An `Expect` header goes out at once, not with the first body chunk.
        if state.expect {
            self.send(&[]);
        }
        Ok(())
    }

    /// `processHeader`: a list is one line per element, except that a
    /// `Cookie` list of two or more becomes one line joined with `"; "`.
    fn process_header(
        &mut self,
        header: &mut Vec<u8>,
        state: &mut HeadState,
        name: &str,
        value: &HeaderValue,
        validate: bool,
    ) -> Result<(), NodeError> {
        if validate {
            validate_header_name(name, "Header name")?;
        }
        match value {
            HeaderValue::List(items) if items.len() < 2 || !name.eq_ignore_ascii_case("cookie") => {
                for item in items {
                    self.store_line(header, state, name, item, validate)?;
                }
                Ok(())
            }
            HeaderValue::List(items) => {
                self.store_line(header, state, name, &items.join("; "), validate)
            }
            HeaderValue::Text(s) => self.store_line(header, state, name, s, validate),
            HeaderValue::Number(n) => match Digits::of_integral(*n) {
                Some(int) => self.store_line(header, state, name, int.as_str(), validate),
                None => self.store_line(header, state, name, &js_number_to_string(*n), validate),
            },
        }
    }

    /// `storeHeader` + `matchHeader`: writes one line and notes the headers
    /// that steer Node's own decisions.
    fn store_line(
        &mut self,
        header: &mut Vec<u8>,
        state: &mut HeadState,
        name: &str,
        value: &str,
        validate: bool,
    ) -> Result<(), NodeError> {
        if validate && is_invalid_header_value(value) {
            return Err(NodeError::invalid_char(name));
        }
        extend_line(header, name, value);
        match Steering::of(name) {
            Some(Steering::Connection) => {
                state.connection = true;
                self.removed_connection = false;
                if has_word(value, "close") {
                    self.last = true;
                } else {
                    self.should_keep_alive = true;
                }
            }
            Some(Steering::TransferEncoding) => {
                state.te = true;
                self.removed_te = false;
                if has_word(value, "chunked") {
                    self.chunked_encoding = true;
                }
            }
            Some(Steering::ContentLength) => {
                state.cont_len = true;
                self.removed_cont_len = false;
            }
            Some(Steering::Date) => state.date = true,
            Some(Steering::Expect) => state.expect = true,
            Some(Steering::Trailer) => state.trailer = true,
            Some(Steering::KeepAlive) => self.default_keep_alive = false,
            None => {}
        }
        Ok(())
    }

    /// `_send`: the first bytes sent carry the head in front of them, in one
    /// buffer, so the connection writes both at once. `parts` are written in
    /// order. Returns `write()`'s backpressure verdict.
    fn send(&mut self, parts: &[&[u8]]) -> bool {
        if !self.header_sent {
            if let Some(header) = self.header.as_mut() {
                if self.output.is_empty() {
                    // The head's buffer (sized for the body too) becomes
                    // the output buffer: no copy, no second allocation.
                    std::mem::swap(&mut self.output, header);
                } else {
                    self.output.extend_from_slice(header);
                }
                header.clear();
            }
            self.header_sent = true;
        }
        for part in parts {
            self.output.extend_from_slice(part);
        }
        self.output.len() < HIGH_WATER_MARK
    }

    /// `res.write(chunk)`: false once `HIGH_WATER_MARK` bytes are waiting.
    /// Writing after `end` is `ERR_STREAM_WRITE_AFTER_END` (Node emits it as
    /// an `'error'` event rather than throwing).
    pub fn write(&mut self, chunk: &[u8], date: &str) -> Result<bool, NodeError> {
        self.write_chunk(chunk, false, date)
    }

    /// Node's `write_(msg, chunk, .., fromEnd)`.
    fn write_chunk(&mut self, chunk: &[u8], from_end: bool, date: &str) -> Result<bool, NodeError> {
        if self.finished {
            return Err(write_after_end());
        }
        if self.header.is_none() {
            if from_end {
                self.content_length = Some(chunk.len());
            }
            self.implicit_header(date)?;
        }
        if !self.has_body {
            // HEAD, 1xx, 204, 304: Node ignores the bytes.
            return Ok(true);
        }
        if self.chunked_encoding && !chunk.is_empty() {
            // RFC 9112 §7.1: chunk-size (hex) CRLF chunk-data CRLF.
            let size = Digits::hex(chunk.len() as u64);
            Ok(self.send(&[size.as_bytes(), b"\r\n", chunk, b"\r\n"]))
        } else {
            Ok(self.send(&[chunk]))
        }
    }

    /// `res.end([data])`. `Some(&[])` counts as data (an empty Buffer is
    /// truthy in JavaScript); pass `None` for `end()` or `end('')`. Ending
    /// twice without data is a no-op, with data `ERR_STREAM_WRITE_AFTER_END`.
    pub fn end(&mut self, data: Option<&[u8]>, date: &str) -> Result<(), NodeError> {
        if let Some(chunk) = data {
            if self.finished {
                return Err(write_after_end());
            }
            self.write_chunk(chunk, true, date)?;
        } else if self.finished {
            return Ok(());
        } else if self.header.is_none() {
            self.content_length = Some(0);
            self.implicit_header(date)?;
        }

        if self.has_body && self.chunked_encoding {
            // The last chunk, then the trailer section and its empty line.
            let trailer = std::mem::take(&mut self.trailer);
            self.send(&[b"0\r\n", &trailer, b"\r\n"]);
            self.trailer = trailer;
        } else if !self.header_sent || data.is_some() {
            self.send(&[]);
        }
        self.finished = true;
        Ok(())
    }

    /// `res.flushHeaders()`: composes the head if needed and sends it now.
    pub fn flush_headers(&mut self, date: &str) -> Result<(), NodeError> {
        if self.header.is_none() {
            self.implicit_header(date)?;
        }
        self.send(&[]);
        Ok(())
    }

    /// `res.writeContinue()`: an interim `100 Continue`, queued in order.
    pub fn write_continue(&mut self) {
        self.output
            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        self.awaiting_continue = false;
    }

    /// `res.writeProcessing()`: an interim `102 Processing`, queued in order.
    pub fn write_processing(&mut self) {
        self.output
            .extend_from_slice(b"HTTP/1.1 102 Processing\r\n\r\n");
    }

    /// The request expects `100 Continue` and a `checkContinue` listener
    /// decides (Node's `res._expect_continue = true`).
    pub fn set_expect_continue(&mut self) {
        self.awaiting_continue = true;
    }

    /// `res.addTrailers(headers)`: replaces earlier trailers; they are sent
    /// after the last chunk, and silently dropped if the body is not chunked.
    pub fn add_trailers(&mut self, t: &[(String, String)]) -> Result<(), NodeError> {
        self.trailer.clear();
        for (field, value) in t {
            validate_header_name(field, "Trailer name")?;
            if is_invalid_header_value(value) {
                return Err(NodeError::new(
                    "ERR_INVALID_CHAR",
                    format!("Invalid character in trailer content [\"{field}\"]"),
                ));
            }
            extend_line(&mut self.trailer, field, value);
        }
        Ok(())
    }

    /// `res.headersSent`: true once the head is composed, even before its
    /// bytes reach `output`.
    pub fn headers_sent(&self) -> bool {
        self.header.is_some()
    }

    pub fn writable_ended(&self) -> bool {
        self.finished
    }

    /// Node's `_last`: the connection closes after this message.
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// Serialized bytes not yet taken by the connection, in order; the
    /// caller drains from the front.
    pub fn output(&mut self) -> &mut Vec<u8> {
        &mut self.output
    }

    pub fn buffered_len(&self) -> usize {
        self.output.len()
    }
}

fn write_after_end() -> NodeError {
    NodeError::new("ERR_STREAM_WRITE_AFTER_END", "write after end")
}

#[cfg(test)]
mod tests {
    //! Expected bytes were recorded from Node v20 with /tmp/probe/probe.js: a
    //! server configured like `node_echo.js` runs the quoted handler, a raw
    //! socket sends the request and prints every response byte (the `Date`
    //! value replaced by `<date>`). "open"/"closed" is whether Node kept the
    //! connection afterwards, i.e. `is_last()`.
    use super::*;

    const DATE: &str = "Thu, 26 Nov 2026 21:54:52 GMT";

    fn ctx(minor_or_lower: bool, keep_alive: bool) -> ResponseContext {
        ResponseContext {
            head_request: false,
            http_version_minor_or_lower: minor_or_lower,
            request_te_chunked: false,
            should_keep_alive: keep_alive,
            keep_alive_timeout_ms: 5000,
        }
    }

    /// `GET / HTTP/1.1` with no `Connection` header.
    fn res11() -> OutgoingMessage {
        OutgoingMessage::server_response(ctx(false, true))
    }

    /// `GET / HTTP/1.0`.
    fn res10() -> OutgoingMessage {
        OutgoingMessage::server_response(ctx(true, false))
    }

    fn text(s: &str) -> HeaderValue {
        HeaderValue::Text(s.to_string())
    }

    fn hdr(name: &str, value: HeaderValue) -> (String, HeaderValue) {
        (name.to_string(), value)
    }

    /// Asserts the output equals Node's bytes (with `<date>` filled in).
    fn assert_wire(res: &mut OutgoingMessage, node: &str) {
        let got: String = res.output().iter().map(|&b| b as char).collect();
        assert_eq!(got, node.replace("<date>", DATE));
    }

    #[test]
    fn end_with_data_sends_content_length() {
        // res.setHeader('Content-Type','application/json'); res.end('hi') -> open
        let mut res = res11();
        res.set_header("Content-Type", text("application/json"))
            .unwrap();
        res.end(Some(b"hi"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nhi");
        assert!(!res.is_last());
        assert!(res.writable_ended());
    }

    #[test]
    fn write_head_then_end_is_chunked() {
        // res.writeHead(417); res.end() -> open
        let mut res = res11();
        res.write_head(417, None, &[], DATE).unwrap();
        assert!(res.headers_sent());
        assert_eq!(res.buffered_len(), 0, "the head waits for the body");
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 417 Expectation Failed\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assert_eq!(res.status_message(), Some("Expectation Failed"));
    }

    #[test]
    fn write_head_merges_over_set_header_in_place() {
        // res.setHeader('A','1'); res.setHeader('B','2');
        // res.writeHead(200, {'X':'x','a':'3'}); res.end('x') -> open
        let mut res = res11();
        res.set_header("A", text("1")).unwrap();
        res.set_header("B", text("2")).unwrap();
        res.write_head(200, None, &[hdr("X", text("x")), hdr("a", text("3"))], DATE)
            .unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\na: 3\r\nB: 2\r\nX: x\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    }

    #[test]
    fn write_head_alone_writes_headers_as_given() {
        // res.writeHead(200, [['X-A','1'],['x-a','2']]); res.end() -> open
        let mut res = res11();
        res.write_head(
            200,
            None,
            &[hdr("X-A", text("1")), hdr("x-a", text("2"))],
            DATE,
        )
        .unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    #[test]
    fn array_index_names_come_first() {
        // res.setHeader('B','2'); res.setHeader('1','one'); res.setHeader('A','1'); res.end('x')
        let mut res = res11();
        res.set_header("B", text("2")).unwrap();
        res.set_header("1", text("one")).unwrap();
        res.set_header("A", text("1")).unwrap();
        assert_eq!(res.get_header_names(), ["1", "b", "a"]);
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\n1: one\r\nB: 2\r\nA: 1\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx");
    }

    #[test]
    fn http10_is_close_delimited() {
        // GET / HTTP/1.0; res.end('hi') -> closed
        let mut res = res10();
        res.end(Some(b"hi"), DATE).unwrap();
        assert_wire(
            &mut res,
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\nhi",
        );
        assert!(res.is_last());
    }

    #[test]
    fn http10_keep_alive_with_app_content_length() {
        // GET / HTTP/1.0 + Connection: keep-alive;
        // res.setHeader('Content-Length', 2); res.end('hi') -> open
        let mut res = OutgoingMessage::server_response(ctx(true, true));
        res.set_header("Content-Length", HeaderValue::Number(2.0))
            .unwrap();
        res.end(Some(b"hi"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nhi");
        assert!(!res.is_last());
    }

    #[test]
    fn http10_keep_alive_without_length_still_closes() {
        // GET / HTTP/1.0 + Connection: keep-alive; res.end('hi') -> closed
        let mut res = OutgoingMessage::server_response(ctx(true, true));
        res.end(Some(b"hi"), DATE).unwrap();
        assert_wire(
            &mut res,
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\nhi",
        );
        assert!(res.is_last());
    }

    #[test]
    fn http10_te_chunked_enables_chunking() {
        // GET / HTTP/1.0 + TE: chunked; res.write('ab'); res.end('cd') -> closed
        let mut res = OutgoingMessage::server_response(ResponseContext {
            request_te_chunked: true,
            ..ctx(true, false)
        });
        assert!(res.write(b"ab", DATE).unwrap());
        res.end(Some(b"cd"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
        assert!(res.is_last());
    }

    #[test]
    fn head_request_has_no_body_and_no_framing() {
        // HEAD / HTTP/1.1; res.end('hi') -> open
        let mut res = OutgoingMessage::server_response(ResponseContext {
            head_request: true,
            ..ctx(false, true)
        });
        res.end(Some(b"hi"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n");
    }

    #[test]
    fn no_body_statuses() {
        // res.writeHead(204); res.end() -> open
        let mut res = res11();
        res.write_head(204, None, &[], DATE).unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 204 No Content\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n");
        // res.statusCode=304; res.end('x') -> open
        let mut res = res11();
        res.set_status_code(304);
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 304 Not Modified\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n");
    }

    #[test]
    fn app_chunked_204_closes_instead() {
        // res.setHeader('Transfer-Encoding','chunked'); res.writeHead(204); res.end() -> closed
        let mut res = res11();
        res.set_header("Transfer-Encoding", text("chunked"))
            .unwrap();
        res.write_head(204, None, &[], DATE).unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nDate: <date>\r\nConnection: close\r\n\r\n");
        assert!(res.is_last());
    }

    #[test]
    fn list_number_and_cookie_values() {
        // res.setHeader('Set-Cookie',['a=1','b=2']); res.setHeader('X-Num', 42);
        // res.setHeader('X-F', 1.5); res.setHeader('Cookie',['c=1','d=2']); res.end('x')
        let mut res = res11();
        let list = |v: &[&str]| HeaderValue::List(v.iter().map(|s| s.to_string()).collect());
        res.set_header("Set-Cookie", list(&["a=1", "b=2"])).unwrap();
        res.set_header("X-Num", HeaderValue::Number(42.0)).unwrap();
        res.set_header("X-F", HeaderValue::Number(1.5)).unwrap();
        res.set_header("Cookie", list(&["c=1", "d=2"])).unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Num: 42\r\nX-F: 1.5\r\nCookie: c=1; d=2\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx");
        // res.writeHead(200, {'X-L': ['a','b'], 'X-E': []}); res.end()
        let mut res = res11();
        res.write_head(
            200,
            None,
            &[hdr("X-L", list(&["a", "b"])), hdr("X-E", list(&[]))],
            DATE,
        )
        .unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nX-L: a\r\nX-L: b\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    #[test]
    fn numbers_as_javascript_writes_them() {
        // res.setHeader('A',1e21) ... -> A: 1e+21, B: 1e-7, C: 0, D: NaN,
        // E: 123456789.125, F: 0.000001, G: -Infinity
        let cases = [
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (123456789.125, "123456789.125"),
            (0.000001, "0.000001"),
            (f64::NEG_INFINITY, "-Infinity"),
            (42.0, "42"),
            (1.5, "1.5"),
            (-2.5e-9, "-2.5e-9"),
            (1.2345e25, "1.2345e+25"),
            (1e20, "100000000000000000000"),
            (0.1, "0.1"),
            (123e-20, "1.23e-18"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-42.0, "-42"),
            (9007199254740992.0, "9007199254740992"),
            (-9007199254740992.0, "-9007199254740992"),
            (9007199254740994.0, "9007199254740994"),
        ];
        for (n, want) in cases {
            assert_eq!(js_number_to_string(n), want, "{n}");
        }
    }

    #[test]
    fn status_line_reasons() {
        // res.writeHead(200,'Custom Thing'); res.end()
        let mut res = res11();
        res.write_head(200, Some("Custom Thing"), &[], DATE)
            .unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 Custom Thing\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        // res.statusMessage=''; res.writeHead(404); res.end()
        let mut res = res11();
        res.set_status_message(String::new());
        res.write_head(404, None, &[], DATE).unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 404 Not Found\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        // res.writeHead(299); res.end()
        let mut res = res11();
        res.write_head(299, None, &[], DATE).unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 299 unknown\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    #[test]
    fn chunked_writes_and_trailers() {
        // res.writeHead(200, {'Content-Type':'application/json'});
        // res.write('abc'); res.write('defg'); res.end()
        let mut res = res11();
        res.write_head(
            200,
            None,
            &[hdr("Content-Type", text("application/json"))],
            DATE,
        )
        .unwrap();
        res.write(b"abc", DATE).unwrap();
        res.write(b"defg", DATE).unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
        // res.writeHead(200, {'Content-Type':'application/json','Trailer':'X-Checksum'});
        // res.write('abc'); res.addTrailers({'X-Checksum':'3'}); res.end()
        let mut res = res11();
        let head = [
            hdr("Content-Type", text("application/json")),
            hdr("Trailer", text("X-Checksum")),
        ];
        res.write_head(200, None, &head, DATE).unwrap();
        res.write(b"abc", DATE).unwrap();
        res.add_trailers(&[("X-Checksum".to_string(), "3".to_string())])
            .unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTrailer: X-Checksum\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 3\r\n\r\n");
        // res.write('ab'); res.end('cd')
        let mut res = res11();
        res.write(b"ab", DATE).unwrap();
        res.end(Some(b"cd"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
    }

    #[test]
    fn chunk_sizes_are_lower_case_hex() {
        // res.flushHeaders(); res.write('x'.repeat(26)); res.write('y'.repeat(4096))
        let mut res = res11();
        res.flush_headers(DATE).unwrap();
        res.output().clear();
        res.write(&[b'x'; 26], DATE).unwrap();
        res.write(&[b'y'; 4096], DATE).unwrap();
        let out = res.output().split_off(0);
        assert!(out.starts_with(b"1a\r\nxxx"));
        assert_eq!(&out[26 + 4..26 + 4 + 6], b"\r\n1000");
    }

    #[test]
    fn integral_numbers_are_written_without_formatting() {
        // res.setHeader('X-N', -42); res.setHeader('Content-Length', 1); res.end('x')
        let mut res = res11();
        res.set_header("X-N", HeaderValue::Number(-42.0)).unwrap();
        res.set_header("Content-Length", HeaderValue::Number(1.0))
            .unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nX-N: -42\r\nContent-Length: 1\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nx");
    }

    #[test]
    fn first_write_carries_the_head() {
        let mut res = res11();
        res.write_head(200, None, &[], DATE).unwrap();
        res.write(b"abc", DATE).unwrap();
        let head_and_chunk = res.output().split_off(0);
        assert!(head_and_chunk.ends_with(b"\r\n\r\n3\r\nabc\r\n"));
        res.write(b"d", DATE).unwrap();
        assert_wire(&mut res, "1\r\nd\r\n");
    }

    #[test]
    fn trailers_dropped_without_chunking() {
        // res.addTrailers({'X-T':'1'}); res.end('x') -> open
        let mut res = res11();
        res.add_trailers(&[("X-T".to_string(), "1".to_string())])
            .unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx");
    }

    #[test]
    fn empty_write_and_flush_headers_send_the_head() {
        // res.writeHead(200); res.write(''); ... res.end()
        let want = "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut res = res11();
        res.write_head(200, None, &[], DATE).unwrap();
        res.write(b"", DATE).unwrap();
        assert_wire(&mut res, want);
        // res.flushHeaders(); ... res.end()
        let mut res = res11();
        res.flush_headers(DATE).unwrap();
        assert_wire(&mut res, want);
        res.output().clear();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "0\r\n\r\n");
    }

    #[test]
    fn app_framing_and_connection_headers() {
        // res.writeHead(200, {'Content-Length': 5}); res.write('hel'); res.end('lo') -> open
        let mut res = res11();
        res.write_head(
            200,
            None,
            &[hdr("Content-Length", HeaderValue::Number(5.0))],
            DATE,
        )
        .unwrap();
        res.write(b"hel", DATE).unwrap();
        res.end(Some(b"lo"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nhello");
        // res.setHeader('Connection','close'); res.end('x') -> closed
        let mut res = res11();
        res.set_header("Connection", text("close")).unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(
            &mut res,
            "HTTP/1.1 200 OK\r\nConnection: close\r\nDate: <date>\r\nContent-Length: 1\r\n\r\nx",
        );
        assert!(res.is_last());
        // Request `Connection: close`; res.setHeader('Connection','keep-alive'); res.end('x') -> open
        let mut res = OutgoingMessage::server_response(ctx(false, false));
        res.set_header("Connection", text("keep-alive")).unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nDate: <date>\r\nContent-Length: 1\r\n\r\nx");
        assert!(!res.is_last());
        // res.setHeader('Keep-Alive','timeout=9'); res.end('x') -> open
        let mut res = res11();
        res.set_header("Keep-Alive", text("timeout=9")).unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=9\r\nDate: <date>\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx");
    }

    #[test]
    fn removed_headers_stay_removed() {
        // res.removeHeader('Connection'); res.end('x') -> open
        let mut res = res11();
        res.remove_header("Connection").unwrap();
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(
            &mut res,
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 1\r\n\r\nx",
        );
        assert!(!res.is_last());
        // res.removeHeader('Content-Length'); res.removeHeader('Transfer-Encoding');
        // res.end('abc') -> closed
        let mut res = res11();
        res.remove_header("Content-Length").unwrap();
        res.remove_header("Transfer-Encoding").unwrap();
        res.end(Some(b"abc"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nabc");
        assert!(res.is_last());
        // res.sendDate=false; res.end('x') -> open
        let mut res = res11();
        res.set_send_date(false);
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx");
    }

    #[test]
    fn request_connection_close() {
        // GET / HTTP/1.1 + Connection: close; res.end('x') -> closed
        let mut res = OutgoingMessage::server_response(ctx(false, false));
        res.end(Some(b"x"), DATE).unwrap();
        assert_wire(
            &mut res,
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        );
        assert!(res.is_last());
    }

    #[test]
    fn expect_header_flushes_the_head_at_once() {
        // res.setHeader('Expect','100-continue'); res.writeHead(200); ... res.end('x')
        let mut res = res11();
        res.set_header("Expect", text("100-continue")).unwrap();
        res.write_head(200, None, &[], DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nExpect: 100-continue\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n");
    }

    #[test]
    fn header_store_accessors() {
        let mut res = res11();
        res.set_header("X-Foo", text("1")).unwrap();
        res.set_header("x-FOO", text("2")).unwrap();
        assert_eq!(res.get_header("X-FOO"), Some(&text("2")));
        assert!(res.has_header("x-foo"));
        assert_eq!(res.get_headers(), vec![("x-foo".to_string(), text("2"))]);
        res.remove_header("X-foo").unwrap();
        assert!(!res.has_header("x-foo"));
        assert_eq!(res.get_header_names(), Vec::<String>::new());
    }

    #[test]
    fn write_head_skips_empty_names_only_after_set_header() {
        // res.setHeader('x','1'); res.writeHead(200,{'':'z'}); res.end()
        let mut res = res11();
        res.set_header("x", text("1")).unwrap();
        res.write_head(200, None, &[hdr("", text("z"))], DATE)
            .unwrap();
        res.end(None, DATE).unwrap();
        assert_wire(&mut res, "HTTP/1.1 200 OK\r\nx: 1\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        // res.writeHead(200,{'':'z'}) throws
        let err = res11()
            .write_head(200, None, &[hdr("", text("z"))], DATE)
            .unwrap_err();
        assert_eq!(err.code, "ERR_INVALID_HTTP_TOKEN");
        assert_eq!(err.message, "Header name must be a valid HTTP token [\"\"]");
    }

    /// Each error as Node v20 throws it (code, message).
    #[test]
    fn errors_match_node() {
        let check = |r: Result<(), NodeError>, code: &str, message: &str| {
            let err = r.unwrap_err();
            assert_eq!((err.code, err.message.as_str()), (code, message));
        };
        check(
            res11().set_header("a b", text("x")),
            "ERR_INVALID_HTTP_TOKEN",
            "Header name must be a valid HTTP token [\"a b\"]",
        );
        check(
            res11().set_header("X", text("a\nb")),
            "ERR_INVALID_CHAR",
            "Invalid character in header content [\"X\"]",
        );
        check(
            res11().write_head(42, None, &[], DATE),
            "ERR_HTTP_INVALID_STATUS_CODE",
            "Invalid status code: 42",
        );
        check(
            res11().write_head(1000, None, &[], DATE),
            "ERR_HTTP_INVALID_STATUS_CODE",
            "Invalid status code: 1000",
        );
        // res.statusCode=42; res.end()
        let mut res = res11();
        res.set_status_code(42);
        check(
            res.end(None, DATE),
            "ERR_HTTP_INVALID_STATUS_CODE",
            "Invalid status code: 42",
        );
        assert_eq!(res.buffered_len(), 0);
        // res.statusMessage='a\nb'; res.end()
        let mut res = res11();
        res.set_status_message("a\nb".to_string());
        check(
            res.end(None, DATE),
            "ERR_INVALID_CHAR",
            "Invalid character in statusMessage",
        );
        // HEAD or HTTP/1.0: res.writeHead(200,{'Trailer':'X'})
        let trailer = [hdr("Trailer", text("X"))];
        let head = ResponseContext {
            head_request: true,
            ..ctx(false, true)
        };
        for mut res in [OutgoingMessage::server_response(head), res10()] {
            check(
                res.write_head(200, None, &trailer, DATE),
                "ERR_HTTP_TRAILER_INVALID",
                "Trailers are invalid with this transfer encoding",
            );
            assert_eq!(res.buffered_len(), 0);
        }
        check(
            res11().add_trailers(&[("a b".to_string(), "x".to_string())]),
            "ERR_INVALID_HTTP_TOKEN",
            "Trailer name must be a valid HTTP token [\"a b\"]",
        );
        check(
            res11().add_trailers(&[("X".to_string(), "a\rb".to_string())]),
            "ERR_INVALID_CHAR",
            "Invalid character in trailer content [\"X\"]",
        );
        // res.writeHead(200) then setHeader / writeHead / removeHeader
        let mut res = res11();
        res.write_head(200, None, &[], DATE).unwrap();
        let sent =
            |action: &str| format!("Cannot {action} headers after they are sent to the client");
        check(
            res.set_header("a", text("b")),
            "ERR_HTTP_HEADERS_SENT",
            &sent("set"),
        );
        check(
            res.write_head(200, None, &[], DATE),
            "ERR_HTTP_HEADERS_SENT",
            &sent("write"),
        );
        check(
            res.remove_header("a"),
            "ERR_HTTP_HEADERS_SENT",
            &sent("remove"),
        );
        // res.end('a'); res.write('b') -> 'error' event ERR_STREAM_WRITE_AFTER_END
        let mut res = res11();
        res.end(Some(b"a"), DATE).unwrap();
        check(
            res.write(b"b", DATE).map(drop),
            "ERR_STREAM_WRITE_AFTER_END",
            "write after end",
        );
        check(
            res.end(Some(b"b"), DATE),
            "ERR_STREAM_WRITE_AFTER_END",
            "write after end",
        );
        assert_eq!(res.end(None, DATE), Ok(()));
    }

    /// A request as `http.request({path: '/', method})` through v12's
    /// global agent (not keep-alive), with no `Host`.
    fn request(method: &str) -> OutgoingMessage {
        OutgoingMessage::client_request(RequestContext {
            method: method.to_string(),
            path: "/".to_string(),
            host_header: None,
            auth: None,
            headers: Vec::new(),
            should_keep_alive: false,
        })
        .unwrap()
    }

    #[test]
    fn base64_is_buffers() {
        // Buffer.from(s).toString('base64')
        for (s, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("user:pass", "dXNlcjpwYXNz"),
            ("us\u{e9}r:p\u{e4}ss", "dXPDqXI6cMOkc3M="),
        ] {
            assert_eq!(base64(s.as_bytes()), want, "{s}");
        }
    }

    /// Node checks the path before the method, whoever built the context.
    #[test]
    fn request_path_is_checked_before_the_method() {
        let err = OutgoingMessage::client_request(RequestContext {
            method: "a b".to_string(),
            path: "/a\tb".to_string(),
            host_header: None,
            auth: None,
            headers: Vec::new(),
            should_keep_alive: false,
        })
        .err();
        assert_eq!(err.map(|e| e.code), Some("ERR_UNESCAPED_CHARACTERS"));
    }

    #[test]
    fn request_has_no_write_head_and_no_date() {
        let mut req = request("POST");
        let err = req.write_head(200, None, &[], DATE).unwrap_err();
        assert_eq!(err.code, "ERR_METHOD_NOT_IMPLEMENTED");
        req.end(Some(b"x"), DATE).unwrap();
        assert_wire(
            &mut req,
            "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        );
        assert!(req.is_last());
    }

    #[test]
    fn request_write_reports_backpressure() {
        let mut req = request("PUT");
        assert!(req.write(&[b'a'; 100], "").unwrap());
        assert!(!req.write(&[b'a'; HIGH_WATER_MARK], "").unwrap());
        req.output().clear();
        assert!(req.write(b"a", "").unwrap());
    }

    #[test]
    fn write_reports_backpressure() {
        let mut res = res11();
        assert!(res.write(&[b'a'; 100], DATE).unwrap());
        assert!(!res.write(&[b'a'; HIGH_WATER_MARK], DATE).unwrap());
        res.output().clear();
        assert!(res.write(b"a", DATE).unwrap());
    }
}
