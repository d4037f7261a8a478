//! The echo application (`nodehttp serve`): answers each request with a JSON
//! description of it, exactly as `node_echo.js` does on Node's `http`.
//! The contract is `echo-contract.md`: §3 builds the JSON, §4 picks the route.

use rustc_hash::FxHashMap as HashMap;

use crate::json::Object;
use crate::{
    Error, Header, HeaderValue, IncomingMessage, NodeHttp, RequestListener, ServerResponse,
};

/// The echo application: collects each request's body and answers at `end`.
#[derive(Debug, Default)]
pub struct Echo {
    pending: HashMap<u32, Pending>,
}

/// A request whose body is still arriving.
#[derive(Debug)]
struct Pending {
    req: IncomingMessage,
    res: ServerResponse,
    body: Vec<u8>,
}

impl RequestListener for Echo {
    async fn request(
        &mut self,
        _node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        let pending = Pending {
            req,
            res,
            body: Vec::new(),
        };
        self.pending.insert(req.id(), pending);
        Ok(())
    }

    async fn data(&mut self, _node: &mut NodeHttp, req: u32, chunk: Vec<u8>) -> Result<(), Error> {
        if let Some(pending) = self.pending.get_mut(&req) {
            pending.body.extend_from_slice(&chunk);
        }
        Ok(())
    }

    async fn end(&mut self, node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        let Some(Pending { req, res, body }) = self.pending.remove(&req) else {
            return Ok(());
        };
        let report = Report::read(node, &req, &body).await?;
        let json = report.to_json();
        match Route::of(&report.url).respond(node, &res, &json).await {
            // node_echo.js's try/catch: Node threw before writing anything
            // (ERR_HTTP_TRAILER_INVALID, an invalid status code), so write
            // nothing more and destroy the connection.
            Err(Error::Node(_)) => req.destroy(node, None).await,
            other => other,
        }
    }

    async fn request_close(&mut self, _node: &mut NodeHttp, req: u32) -> Result<(), Error> {
        // A request that never ended gets no response (contract §3.1).
        self.pending.remove(&req);
        Ok(())
    }
}

/// What the echo answers about a request: node_echo.js's object, member by
/// member, in its order.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub method: String,
    pub url: String,
    pub http_version: String,
    pub headers: Vec<Header>,
    pub raw_headers: Vec<String>,
    /// The body after transfer decoding, as received.
    pub body: Vec<u8>,
    pub trailers: Vec<Header>,
    pub raw_trailers: Vec<String>,
    pub complete: bool,
}

impl Report {
    /// Reads `req` (at its `end`, so trailers are in) with its collected body.
    pub async fn read(
        node: &mut NodeHttp,
        req: &IncomingMessage,
        body: &[u8],
    ) -> Result<Self, Error> {
        Ok(Report {
            // A server's request always has both (only a client's response
            // lacks them).
            method: req.method(node).await?.unwrap_or_default(),
            url: req.url(node).await?.unwrap_or_default(),
            http_version: req.http_version(node).await?,
            headers: req.headers(node).await?,
            raw_headers: req.raw_headers(node).await?,
            body: body.to_vec(),
            trailers: req.trailers(node).await?,
            raw_trailers: req.raw_trailers(node).await?,
            complete: req.complete(node).await?,
        })
    }

    /// `JSON.stringify` of the object. The body is decoded as latin1 (each
    /// byte the code point of its value), as `Buffer#toString('latin1')`.
    /// The result is a Rust string, so writing it writes UTF-8, as Node's
    /// `res.end(json)` does.
    pub fn to_json(&self) -> String {
        Object::with_capacity(256 + self.body.len())
            .string("method", &self.method)
            .string("url", &self.url)
            .string("httpVersion", &self.http_version)
            .headers("headers", &self.headers)
            .strings("rawHeaders", &self.raw_headers)
            .latin1("body", &self.body)
            .headers("trailers", &self.trailers)
            .strings("rawTrailers", &self.raw_trailers)
            .bool("complete", self.complete)
            .finish()
    }
}

/// How the echo answers, chosen from the path (contract §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/status/NNN`: that status code, JSON body.
    Status(u16),
    /// `/chunked`: `writeHead` then the JSON in two `write`s.
    Chunked,
    /// `/trailers`: chunked with an `X-Checksum` trailer.
    Trailers,
    /// `/nobody`: 204.
    NoBody,
    /// `/close`: `Connection: close`.
    Close,
    /// `/set-cookie`: a `Set-Cookie` list and a number header.
    SetCookie,
    /// Anything else: the JSON.
    Json,
}

impl Route {
    /// The route for `url`: its path is everything before the first `?`.
    pub fn of(url: &str) -> Self {
        let path = url.split_once('?').map_or(url, |(path, _)| path);
        match path {
            "/chunked" => Route::Chunked,
            "/trailers" => Route::Trailers,
            "/nobody" => Route::NoBody,
            "/close" => Route::Close,
            "/set-cookie" => Route::SetCookie,
            _ => match path.strip_prefix("/status/") {
                Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
                    code.parse().map_or(Route::Json, Route::Status)
                }
                _ => Route::Json,
            },
        }
    }

    /// Answers with `json` on this route, as `respond()` in node_echo.js.
    pub async fn respond(
        self,
        node: &mut NodeHttp,
        res: &ServerResponse,
        json: &str,
    ) -> Result<(), Error> {
        let content_type = || header("Content-Type", "application/json");
        match self {
            Route::Status(code) => {
                res.set_status_code(node, code).await?;
                res.set_header(node, "Content-Type", &text("application/json"))
                    .await?;
                res.end(node, Some(json.as_bytes())).await
            }
            Route::Chunked => {
                res.write_head(node, 200, None, &[content_type()]).await?;
                // `json.slice(0, floor(json.length / 2))`: every code point is
                // at most U+00FF (latin1 decoding), so JavaScript's length in
                // UTF-16 units is the number of chars.
                let half = json.chars().count() / 2;
                let split = json.char_indices().nth(half).map_or(json.len(), |(i, _)| i);
                let (first, second) = json.split_at(split);
                res.write(node, first.as_bytes()).await?;
                res.write(node, second.as_bytes()).await?;
                res.end(node, None).await
            }
            Route::Trailers => {
                let headers = [content_type(), header("Trailer", "X-Checksum")];
                res.write_head(node, 200, None, &headers).await?;
                res.write(node, json.as_bytes()).await?;
                let checksum = json.chars().count().to_string();
                res.add_trailers(node, &[("X-Checksum".into(), checksum)])
                    .await?;
                res.end(node, None).await
            }
            Route::NoBody => {
                res.write_head(node, 204, None, &[]).await?;
                res.end(node, None).await
            }
            Route::Close => {
                res.set_header(node, "Connection", &text("close")).await?;
                res.end(node, Some(json.as_bytes())).await
            }
            Route::SetCookie => {
                let cookies = HeaderValue::List(vec!["a=1".into(), "b=2".into()]);
                res.set_header(node, "Set-Cookie", &cookies).await?;
                res.set_header(node, "X-Num", &HeaderValue::Number(42.0))
                    .await?;
                res.end(node, Some(json.as_bytes())).await
            }
            Route::Json => {
                res.set_header(node, "Content-Type", &text("application/json"))
                    .await?;
                res.end(node, Some(json.as_bytes())).await
            }
        }
    }
}

fn text(value: &str) -> HeaderValue {
    HeaderValue::Text(value.into())
}

fn header(name: &str, value: &str) -> Header {
    Header {
        name: name.into(),
        value: text(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::of("/status/418"), Route::Status(418));
        assert_eq!(Route::of("/status/099?x=1"), Route::Status(99));
        assert_eq!(Route::of("/status/000"), Route::Status(0));
        assert_eq!(Route::of("/status/1000"), Route::Json);
        assert_eq!(Route::of("/status/42"), Route::Json);
        assert_eq!(Route::of("/status/4a2"), Route::Json);
        assert_eq!(Route::of("/status/４２１"), Route::Json);
        assert_eq!(Route::of("/chunked"), Route::Chunked);
        assert_eq!(Route::of("/chunked?"), Route::Chunked);
        assert_eq!(Route::of("/chunked/"), Route::Json);
        assert_eq!(Route::of("/trailers?a?b"), Route::Trailers);
        assert_eq!(Route::of("/nobody"), Route::NoBody);
        assert_eq!(Route::of("/close"), Route::Close);
        assert_eq!(Route::of("/set-cookie"), Route::SetCookie);
        assert_eq!(Route::of("http://h/chunked"), Route::Json);
        assert_eq!(Route::of("*"), Route::Json);
        assert_eq!(Route::of(""), Route::Json);
    }

    /// Byte for byte what node_echo.js answers for
    /// `POST /a%b HTTP/1.1` with headers `X: é\t`, `Content-Length: 4`,
    /// `Connection: close` and body `00 ff 22 5c` (latin1 on the wire), as
    /// observed from Node v20.
    #[test]
    fn report_json_matches_node() {
        let report = Report {
            method: "POST".into(),
            url: "/a%b".into(),
            http_version: "1.1".into(),
            headers: vec![
                header("x", "\u{e9}"),
                header("content-length", "4"),
                header("connection", "close"),
            ],
            raw_headers: ["X", "\u{e9}", "Content-Length", "4", "Connection", "close"]
                .map(String::from)
                .to_vec(),
            body: vec![0x00, 0xff, b'"', b'\\'],
            trailers: vec![],
            raw_trailers: vec![],
            complete: true,
        };
        assert_eq!(
            report.to_json(),
            "{\"method\":\"POST\",\"url\":\"/a%b\",\"httpVersion\":\"1.1\",\
             \"headers\":{\"x\":\"\u{e9}\",\"content-length\":\"4\",\"connection\":\"close\"},\
             \"rawHeaders\":[\"X\",\"\u{e9}\",\"Content-Length\",\"4\",\"Connection\",\"close\"],\
             \"body\":\"\\u0000\u{ff}\\\"\\\\\",\"trailers\":{},\"rawTrailers\":[],\
             \"complete\":true}"
        );
    }
}
