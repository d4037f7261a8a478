//! What `nodehttp request` runs: a request through the client API, as a
//! small Node script would make it, and the response it read, printed like
//! `curl -i` or as one JSON line.

use std::time::Duration;

use crate::json::Object;
use crate::{
    Agent, AgentChoice, ClientRequest, Error, Event, Header, HeaderValue, IncomingMessage,
    NodeError, NodeHttp, RequestOptions,
};

/// How long one `poll` waits. There is no overall limit: like Node's client,
/// a request waits for its server as long as it takes.
const POLL: Duration = Duration::from_millis(500);

/// One request to make: `http.request(url, {method, agent})`, then
/// `setHeader` for each header in order, one `write(data)` if there is data,
/// and `end()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    pub url: String,
    /// `None`: `POST` when there is data, else `GET` (as curl chooses).
    pub method: Option<String>,
    /// Set with `setHeader` in this order: a name given twice keeps the last
    /// value, as Node's `setHeader` replaces.
    pub headers: Vec<(String, String)>,
    /// The body, written with one `write` (so, without a `Content-Length`
    /// header, it goes chunked, as in Node).
    pub data: Option<Vec<u8>>,
}

impl Fetch {
    /// The method sent.
    pub fn method(&self) -> &str {
        match (&self.method, &self.data) {
            (Some(method), _) => method,
            (None, Some(_)) => "POST",
            (None, None) => "GET",
        }
    }

    /// Makes the request through `agent` and reads its response until both
    /// the request and the response emitted `close` (so a keep-alive
    /// socket is back in the pool for the next request).
    ///
    /// Errors: Node's synchronous throws (`ERR_INVALID_URL`,
    /// `ERR_INVALID_HTTP_TOKEN`, ...), the request's `error` event
    /// (`ECONNREFUSED`, `ECONNRESET`, `HPE_*`, ...), and a response cut
    /// short (`aborted`), reported as Node v20 destroys it: `ECONNRESET`,
    /// "aborted". A request `error` wins over `aborted`: Node emits both
    /// when the body fails to parse.
    pub async fn send(&self, node: &mut NodeHttp, agent: Agent) -> Result<Response, Error> {
        let options = RequestOptions {
            method: Some(self.method().to_string()),
            agent: AgentChoice::Agent(agent),
            ..RequestOptions::default()
        };
        let req = node.request(Some(&self.url), options).await?;
        if let Err(err) = self.write_request(node, req).await {
            // A throw (an invalid header, ...) leaves a request nobody will
            // end: destroyed, it closes (and its handle goes) instead of
            // holding a socket until the server gives up on it.
            req.destroy(node, None).await?;
            return Err(err);
        }
        let mut exchange = Exchange::new(req);
        while !exchange.closed() {
            for event in node.poll(POLL).await? {
                exchange.hear(node, event).await?;
            }
        }
        exchange.outcome()
    }

    /// The `setHeader` calls, the `write` and the `end`.
    async fn write_request(&self, node: &mut NodeHttp, req: ClientRequest) -> Result<(), Error> {
        for (name, value) in &self.headers {
            req.set_header(node, name, &HeaderValue::Text(value.clone()))
                .await?;
        }
        if let Some(data) = &self.data {
            req.write(node, data).await?;
        }
        req.end(node, None).await
    }
}

/// A response as `nodehttp request` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status_code: u16,
    pub status_message: String,
    pub http_version: String,
    pub headers: Vec<Header>,
    pub raw_headers: Vec<String>,
    /// The body after transfer decoding.
    pub body: Vec<u8>,
    pub trailers: Vec<Header>,
    /// `req.reusedSocket`.
    pub reused_socket: bool,
}

impl Response {
    /// As `curl -i` prints it: `HTTP/1.1 200 OK`, the header lines as
    /// received (`rawHeaders`), a blank line, the body; lines end in CRLF
    /// as on the wire, and text is written back as the latin1 it was read
    /// as, so the head's bytes are the server's.
    pub fn to_http(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/{} {} {}\r\n",
            self.http_version, self.status_code, self.status_message
        );
        for pair in self.raw_headers.chunks(2) {
            if let [name, value] = pair {
                head.push_str(name);
                head.push_str(": ");
                head.push_str(value);
                head.push_str("\r\n");
            }
        }
        head.push_str("\r\n");
        let mut out = latin1_bytes(&head);
        out.extend_from_slice(&self.body);
        out
    }

    /// `JSON.stringify({statusCode, statusMessage, httpVersion, headers,
    /// rawHeaders, body, trailers, reusedSocket})`, the body decoded as
    /// latin1 (each byte one code point).
    pub fn to_json(&self) -> String {
        Object::with_capacity(256 + self.body.len())
            .number("statusCode", f64::from(self.status_code))
            .string("statusMessage", &self.status_message)
            .string("httpVersion", &self.http_version)
            .headers("headers", &self.headers)
            .strings("rawHeaders", &self.raw_headers)
            .latin1("body", &self.body)
            .headers("trailers", &self.trailers)
            .bool("reusedSocket", self.reused_socket)
            .finish()
    }
}

/// A string as Node's `Buffer.from(text, 'latin1')` encodes it: each UTF-16
/// code unit becomes its low byte (so U+00E9 is `e9`, and a character
/// beyond latin1 loses its high bits, as in Node).
pub fn latin1_bytes(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    text.encode_utf16()
        .map(|unit| unit.to_le_bytes()[0])
        .collect()
}

/// One request's events as they arrive, until its pair closed.
struct Exchange {
    req: ClientRequest,
    /// The response, once `response` came, and what has been read of it.
    response: Option<(IncomingMessage, Response)>,
    request_error: Option<NodeError>,
    aborted: bool,
    request_closed: bool,
    response_closed: bool,
}

impl Exchange {
    fn new(req: ClientRequest) -> Self {
        Exchange {
            req,
            response: None,
            request_error: None,
            aborted: false,
            request_closed: false,
            response_closed: false,
        }
    }

    /// Both halves emitted `close` (the response's only if it came).
    fn closed(&self) -> bool {
        self.request_closed && (self.response.is_none() || self.response_closed)
    }

    /// Takes in one event; those of other requests are not ours.
    async fn hear(&mut self, node: &mut NodeHttp, event: Event) -> Result<(), Error> {
        let id = self.req.id();
        match event {
            Event::Response { request, response } if request == id => {
                let head = Response {
                    status_code: response.status_code(node).await?.unwrap_or_default(),
                    status_message: response.status_message(node).await?.unwrap_or_default(),
                    http_version: response.http_version(node).await?,
                    headers: response.headers(node).await?,
                    raw_headers: response.raw_headers(node).await?,
                    body: Vec::new(),
                    trailers: Vec::new(),
                    reused_socket: self.req.reused_socket(node).await?,
                };
                self.response = Some((response, head));
            }
            Event::ClientResponseData { response, chunk } if response == id => {
                if let Some((_, read)) = &mut self.response {
                    read.body.extend_from_slice(&chunk);
                }
            }
            Event::ClientResponseEnd { response } if response == id => {
                if let Some((message, read)) = &mut self.response {
                    read.trailers = message.trailers(node).await?;
                }
            }
            Event::ClientResponseAborted { response } if response == id => self.aborted = true,
            Event::ClientRequestError { request, error } if request == id => {
                self.request_error.get_or_insert(error);
            }
            Event::ClientRequestClose { request } if request == id => self.request_closed = true,
            Event::ClientResponseClose { response } if response == id => {
                self.response_closed = true
            }
            _ => {}
        }
        Ok(())
    }

    /// The response, or why there is none to show.
    fn outcome(self) -> Result<Response, Error> {
        if let Some(error) = self.request_error {
            return Err(Error::Node(error));
        }
        match self.response {
            _ if self.aborted => Err(node_error("ECONNRESET", "aborted")),
            Some((_, read)) => Ok(read),
            // Closed with neither response nor error: what Node reports for
            // a socket that ends before a response.
            None => Err(node_error("ECONNRESET", "socket hang up")),
        }
    }
}

fn node_error(code: &str, message: &str) -> Error {
    Error::Node(NodeError {
        code: code.into(),
        message: message.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::until;
    use crate::{AgentOptions, Config};

    /// A `setHeader` that throws fails the fetch with Node's error, and the
    /// request it leaves is destroyed: it closes (so its handle and the
    /// component's request are released) rather than waiting on its socket
    /// for an `end` that never comes.
    #[tokio::test]
    async fn a_throw_while_writing_closes_the_request() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let agent = Agent::new(&mut node, AgentOptions::default())
            .await
            .unwrap();
        let fetch = Fetch {
            url: format!("http://127.0.0.1:{port}/"),
            method: None,
            headers: vec![("bad name".into(), "x".into())],
            data: None,
        };
        match fetch.send(&mut node, agent).await {
            Err(Error::Node(e)) => assert_eq!(e.code, "ERR_INVALID_HTTP_TOKEN"),
            other => panic!("{other:?}"),
        }
        until(&mut node, |e| matches!(e, Event::ClientRequestClose { .. })).await;
        drop(listener);
    }

    fn response() -> Response {
        Response {
            status_code: 200,
            status_message: "OK".into(),
            http_version: "1.1".into(),
            headers: vec![
                Header {
                    name: "x".into(),
                    value: HeaderValue::Text("\u{e9}".into()),
                },
                Header {
                    name: "set-cookie".into(),
                    value: HeaderValue::List(vec!["a=1".into(), "b=2".into()]),
                },
            ],
            raw_headers: ["X", "\u{e9}", "Set-Cookie", "a=1", "Set-Cookie", "b=2"]
                .map(String::from)
                .to_vec(),
            body: vec![b'h', b'i', 0x00, 0xff],
            trailers: vec![],
            reused_socket: true,
        }
    }

    #[test]
    fn http_output_is_the_head_as_received_then_the_body() {
        assert_eq!(
            response().to_http(),
            b"HTTP/1.1 200 OK\r\nX: \xe9\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhi\x00\xff"
        );
    }

    /// Node v20: `JSON.stringify` of the same values.
    #[test]
    fn json_output_in_the_documented_key_order() {
        assert_eq!(
            response().to_json(),
            "{\"statusCode\":200,\"statusMessage\":\"OK\",\"httpVersion\":\"1.1\",\
             \"headers\":{\"x\":\"\u{e9}\",\"set-cookie\":[\"a=1\",\"b=2\"]},\
             \"rawHeaders\":[\"X\",\"\u{e9}\",\"Set-Cookie\",\"a=1\",\"Set-Cookie\",\"b=2\"],\
             \"body\":\"hi\\u0000\u{ff}\",\"trailers\":{},\"reusedSocket\":true}"
        );
    }

    /// Node v20: `Buffer.from('aé€😀', 'latin1')` is `61 e9 ac 3d 00`.
    #[test]
    fn latin1_keeps_the_low_byte_of_each_code_unit() {
        assert_eq!(
            latin1_bytes("a\u{e9}\u{20ac}\u{1f600}"),
            b"a\xe9\xac\x3d\x00"
        );
        assert_eq!(latin1_bytes("plain"), b"plain");
    }

    #[test]
    fn method_defaults_like_curl() {
        let mut fetch = Fetch {
            url: "http://127.0.0.1/".into(),
            method: None,
            headers: vec![],
            data: None,
        };
        assert_eq!(fetch.method(), "GET");
        fetch.data = Some(b"x".to_vec());
        assert_eq!(fetch.method(), "POST");
        fetch.method = Some("PUT".into());
        assert_eq!(fetch.method(), "PUT");
    }
}
