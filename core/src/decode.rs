//! Body framing: how many bytes after the head belong to the message (RFC 9112 §6).
//!
//! A [`Decoder`] is one of three framings: a known `Content-Length`, the chunked
//! transfer coding, or "until the connection closes" (responses without a
//! length, and lenient requests with a non-chunked Transfer-Encoding). It is
//! fed consecutive slices of the connection's bytes and consumes everything it
//! is given up to the end of the body; what follows belongs to the next message.

use std::ops::Range;

use crate::error::{ParseError, ParseErrorCode as Code};
use crate::incoming::IncomingHeaders;
use crate::parse::{ParserOptions, Role, TrailerParser};

/// Node's limit on the chunk extensions of one chunk (`kMaxChunkExtensionsSize`
/// in `node_http_parser.cc`): name and value bytes, quotes included.
const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

/// The body framing of one message and how far decoding has come.
#[derive(Debug)]
pub struct Decoder {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// `Content-Length`: bytes still to come.
    Length(u64),
    Chunked(Chunked),
    /// Read until the peer closes.
    Eof,
    /// A chunked or read-until-close body that has ended.
    Done,
}

/// The result of one [`Decoder::decode`] call.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    /// Bytes of `buf` used (framing and data).
    pub consumed: usize,
    /// Body bytes, as a range of `buf`; may be empty.
    pub data: Range<usize>,
    /// `Some(trailers)` (maybe empty) once the body has ended.
    pub end: Option<IncomingHeaders>,
}

impl Decoder {
    pub fn length(n: u64) -> Self {
        Decoder {
            kind: Kind::Length(n),
        }
    }

    /// A chunked request body.
    pub fn chunked() -> Self {
        Decoder {
            kind: Kind::Chunked(Chunked::new(Role::Request)),
        }
    }

    /// A chunked response body: its trailer section follows the response's
    /// header rules (llhttp lets a response's trailers carry a
    /// `Transfer-Encoding`, which a request's may not).
    pub fn chunked_response() -> Self {
        Decoder {
            kind: Kind::Chunked(Chunked::new(Role::Response)),
        }
    }

    pub fn eof() -> Self {
        Decoder { kind: Kind::Eof }
    }

    /// Consume from `buf`. Returns after at most one span of body bytes; the
    /// caller loops while progress is made. Every byte before the end of the
    /// body is consumed (a partial chunk line or trailer section is kept inside).
    pub fn decode(&mut self, buf: &[u8], opts: &ParserOptions) -> Result<Decoded, ParseError> {
        match &mut self.kind {
            Kind::Length(remaining) => {
                let n = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                *remaining -= n as u64;
                let end = (*remaining == 0).then(IncomingHeaders::new);
                Ok(Decoded {
                    consumed: n,
                    data: 0..n,
                    end,
                })
            }
            Kind::Eof => Ok(Decoded {
                consumed: buf.len(),
                data: 0..buf.len(),
                end: None,
            }),
            Kind::Done => Ok(Decoded {
                consumed: 0,
                data: 0..0,
                end: Some(IncomingHeaders::new()),
            }),
            Kind::Chunked(chunked) => {
                let decoded = chunked.decode(buf, opts)?;
                if decoded.end.is_some() {
                    self.kind = Kind::Done;
                }
                Ok(decoded)
            }
        }
    }

    /// The peer closed its write side: a read-until-close body ends here (with
    /// no trailers); a length or chunked body that is not complete is an error.
    pub fn finish_eof(&mut self) -> Result<IncomingHeaders, ParseError> {
        if matches!(self.kind, Kind::Eof) {
            self.kind = Kind::Done;
        }
        if self.is_complete() {
            Ok(IncomingHeaders::new())
        } else {
            Err(ParseError::new(Code::InvalidEofState, "Invalid EOF state"))
        }
    }

    pub fn is_complete(&self) -> bool {
        matches!(self.kind, Kind::Length(0) | Kind::Done)
    }
}

/// The chunked coding (RFC 9112 §7.1), one state per position in its grammar:
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// ```
///
/// llhttp allows no whitespace in chunk lines (no BWS) unless lenient.
#[derive(Debug)]
struct Chunked {
    state: State,
    /// The chunk size while reading it, then the data bytes still to come.
    size: u64,
    /// Extension bytes of the current chunk, for Node's limit.
    extensions: usize,
    /// The trailer section read so far (its lines are parsed as they
    /// complete; an incomplete one is kept here until it is).
    trailers: Vec<u8>,
    trailer_parser: Option<TrailerParser>,
    /// Whose trailers these are.
    role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// The first hex digit of a chunk size.
    SizeStart,
    Size,
    /// Lenient only: whitespace after the size.
    SizeWs,
    /// After `;`.
    ExtStart,
    ExtName,
    ExtValue,
    ExtQuoted,
    /// After a backslash in a quoted value.
    ExtQuotedPair,
    /// After the closing quote.
    ExtQuotedDone,
    /// After the CR that ends the chunk line.
    SizeLf,
    Data,
    /// After the data: CRLF must follow.
    DataCr,
    DataLf,
    Trailers,
}

/// What one byte of a chunk line does.
enum Step {
    /// The byte belongs to the line.
    Consume,
    /// The line is over; the byte is read again in the next state (lenient).
    Reread,
}

impl Chunked {
    fn new(role: Role) -> Self {
        Chunked {
            state: State::SizeStart,
            size: 0,
            extensions: 0,
            trailers: Vec::new(),
            trailer_parser: None,
            role,
        }
    }

    fn decode(&mut self, buf: &[u8], opts: &ParserOptions) -> Result<Decoded, ParseError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Data => {
                    let n = usize::try_from(self.size)
                        .unwrap_or(usize::MAX)
                        .min(buf.len() - pos);
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok(Decoded {
                        consumed: pos + n,
                        data: pos..pos + n,
                        end: None,
                    });
                }
                State::Trailers => return self.trailers(buf, pos, opts),
                _ => {}
            }
            let Some(&b) = buf.get(pos) else {
                return Ok(Decoded {
                    consumed: pos,
                    data: pos..pos,
                    end: None,
                });
            };
            let step = self.line_byte(b, opts).map_err(|e| match e.code {
                Code::ChunkExtensionsOverflow => e.at(extension_span_end(buf, pos)),
                _ => e.offset(pos),
            })?;
            if let Step::Consume = step {
                pos += 1;
            }
        }
    }

    /// The trailer section is buffered until its empty line arrives; its lines
    /// are parsed with the header rules as each completes, so bytes arriving
    /// one at a time are not read again and again.
    fn trailers(
        &mut self,
        buf: &[u8],
        pos: usize,
        opts: &ParserOptions,
    ) -> Result<Decoded, ParseError> {
        let before = self.trailers.len();
        self.trailers.extend_from_slice(&buf[pos..]);
        if self.trailers.len() > opts.raw_head_limit() {
            return Err(ParseError::new(Code::HeaderOverflow, "Header overflow").at(buf.len()));
        }
        let role = self.role;
        let parser = self
            .trailer_parser
            .get_or_insert_with(|| TrailerParser::new(opts, role));
        // The section's first `before` bytes came in earlier calls.
        let parsed = parser
            .parse(&self.trailers, opts)
            .map_err(|e| e.at((pos + e.at).saturating_sub(before)))?;
        match parsed {
            None => Ok(Decoded {
                consumed: buf.len(),
                data: buf.len()..buf.len(),
                end: None,
            }),
            Some((trailers, used)) => {
                let consumed = pos + used.saturating_sub(before);
                self.trailers = Vec::new();
                self.trailer_parser = None;
                Ok(Decoded {
                    consumed,
                    data: consumed..consumed,
                    end: Some(trailers),
                })
            }
        }
    }

    /// One byte of a chunk-size line, or of the CRLF after chunk data.
    fn line_byte(&mut self, b: u8, opts: &ParserOptions) -> Result<Step, ParseError> {
        let lenient = opts.insecure;
        // Errors are placed from the byte: Node v20 fails on it (0) or, where
        // llhttp consumes it first, after it (1).
        let strict = |reason, at| Err(ParseError::new(Code::Strict, reason).at(at));
        let cr_expected = |reason, at| Err(ParseError::new(Code::CrExpected, reason).at(at));
        let next = match (self.state, b) {
            (State::SizeStart, _) => {
                self.size = 0;
                self.extensions = 0;
                self.add_digit(b)?;
                State::Size
            }
            (State::Size, _) if b.is_ascii_hexdigit() => {
                self.add_digit(b)?;
                State::Size
            }
            (State::Size | State::SizeWs, b' ' | b'\t') if lenient => State::SizeWs,
            (State::Size | State::SizeWs, b'\r') => State::SizeLf,
            (State::Size | State::SizeWs, b';') => State::ExtStart,
            (State::Size | State::SizeWs, b'\n') if lenient => {
                return Ok(self.end_chunk_line(Step::Consume))
            }
            (State::Size | State::SizeWs, b'\n') => {
                return cr_expected("Missing expected CR after chunk size", 1)
            }
            (State::Size | State::SizeWs, _) => return Err(invalid_chunk_size()),
            (State::ExtStart, b' ' | b'\r') => {
                return strict("Invalid character in chunk extensions", 1)
            }
            (State::ExtStart, _) => {
                self.state = State::ExtName;
                return Ok(Step::Reread);
            }
            (State::ExtName | State::ExtValue | State::ExtQuotedDone, b';') => State::ExtStart,
            (State::ExtName | State::ExtValue | State::ExtQuotedDone, b'\r') => State::SizeLf,
            (State::ExtName | State::ExtValue | State::ExtQuotedDone, b'\n') if lenient => {
                return Ok(self.end_chunk_line(Step::Consume))
            }
            (State::ExtName, b'\n') => {
                return cr_expected("Missing expected CR after chunk extension name", 0)
            }
            (State::ExtValue | State::ExtQuotedDone, b'\n') => {
                return cr_expected("Missing expected CR after chunk extension value", 0)
            }
            (State::ExtName, b'=') => State::ExtValue,
            (State::ExtName, _) if crate::common::is_token_byte(b) => {
                self.add_extension_byte()?;
                State::ExtName
            }
            (State::ExtName, _) => return strict("Invalid character in chunk extensions name", 1),
            (State::ExtValue, b'"') => {
                self.add_extension_byte()?;
                State::ExtQuoted
            }
            (State::ExtValue, _) if crate::common::is_token_byte(b) => {
                self.add_extension_byte()?;
                State::ExtValue
            }
            (State::ExtValue, _) => {
                return strict("Invalid character in chunk extensions value", 1)
            }
            (State::ExtQuoted, _) => {
                self.add_extension_byte()?;
                match b {
                    b'"' => State::ExtQuotedDone,
                    b'\\' => State::ExtQuotedPair,
                    _ if is_qdtext(b) => State::ExtQuoted,
                    _ => return strict("Invalid character in chunk extensions quoted value", 1),
                }
            }
            (State::ExtQuotedPair, _) if b == b'\t' || b == b' ' || is_vchar_or_obs(b) => {
                self.add_extension_byte()?;
                State::ExtQuoted
            }
            (State::ExtQuotedPair, _) => {
                return strict("Invalid quoted-pair in chunk extensions quoted value", 1)
            }
            (State::ExtQuotedDone, _) => {
                return strict("Invalid character in chunk extensions quote value", 0)
            }
            (State::SizeLf, b'\n') => return Ok(self.end_chunk_line(Step::Consume)),
            // Lenient llhttp ends the line at a CR alone.
            (State::SizeLf, _) if lenient => return Ok(self.end_chunk_line(Step::Reread)),
            (State::SizeLf, _) => return strict("Expected LF after chunk size", 0),
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataCr, b'\n') if lenient => State::SizeStart,
            (State::DataCr, b'\n') => {
                return cr_expected("Missing expected CR after chunk data", 1)
            }
            (State::DataLf, b'\n') => State::SizeStart,
            (State::DataCr | State::DataLf, _) if lenient => {
                self.state = State::SizeStart;
                return Ok(Step::Reread);
            }
            (State::DataCr | State::DataLf, _) => return strict("Expected LF after chunk data", 0),
            (State::Data | State::Trailers, _) => return Ok(Step::Reread),
        };
        self.state = next;
        Ok(Step::Consume)
    }

    /// `size = size * 16 + digit`, refusing overflow past `u64`.
    fn add_digit(&mut self, b: u8) -> Result<(), ParseError> {
        let digit = char::from(b).to_digit(16).ok_or_else(invalid_chunk_size)?;
        self.size = self
            .size
            .checked_mul(16)
            .and_then(|n| n.checked_add(u64::from(digit)))
            // Node v20 fails after the digit that overflows.
            .ok_or(ParseError::new(Code::InvalidChunkSize, "Chunk size overflow").at(1))?;
        Ok(())
    }

    fn add_extension_byte(&mut self) -> Result<(), ParseError> {
        self.extensions += 1;
        if self.extensions > MAX_CHUNK_EXTENSIONS {
            Err(ParseError::new(
                Code::ChunkExtensionsOverflow,
                "Chunk extensions overflow",
            ))
        } else {
            Ok(())
        }
    }

    /// The chunk line is over; `step` says whether the byte that ended it is
    /// part of it.
    fn end_chunk_line(&mut self, step: Step) -> Step {
        self.state = self.after_chunk_line();
        step
    }

    /// RFC 9112 §7.1: "The chunked transfer coding is complete when a chunk with
    /// a chunk-size of zero is received, possibly followed by a trailer section".
    fn after_chunk_line(&self) -> State {
        if self.size == 0 {
            State::Trailers
        } else {
            State::Data
        }
    }
}

/// Where Node refuses chunk extensions past its limit, the overflow being
/// at `pos`: it counts them in llhttp's callbacks, so at the end of the
/// name or value (Node v20: one byte past the CR after an overlong value),
/// or at the end of `buf` if that span goes on past it.
fn extension_span_end(buf: &[u8], pos: usize) -> usize {
    buf.get(pos..)
        .and_then(|rest| rest.iter().position(|b| b"\r\n;=".contains(b)))
        .map_or(buf.len(), |end| pos + end + 1)
}

fn invalid_chunk_size() -> ParseError {
    ParseError::new(Code::InvalidChunkSize, "Invalid character in chunk size")
}

/// RFC 9110 §5.6.4 `qdtext`: HTAB, SP, `!`, `#`-`[`, `]`-`~`, obs-text.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | b'!' | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff)
}

fn is_vchar_or_obs(b: u8) -> bool {
    matches!(b, 0x21..=0x7e | 0x80..=0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded body: its bytes, its raw trailers, and the bytes it used.
    type Body = (Vec<u8>, Vec<(String, String)>, usize);

    fn strict() -> ParserOptions {
        ParserOptions::default()
    }

    /// Feed `input` to `decoder` as consecutive slices cut at `cuts`.
    /// `Ok(None)`: the input ended before the body did.
    fn feed(
        mut decoder: Decoder,
        input: &[u8],
        cuts: &[usize],
        opts: &ParserOptions,
    ) -> Result<Option<Body>, ParseError> {
        let mut bounds = cuts.to_vec();
        bounds.push(input.len());
        let (mut from, mut body) = (0, Vec::new());
        for to in bounds {
            let mut slice = &input[from..to];
            from = to;
            loop {
                let start = to - slice.len();
                let d = decoder.decode(slice, opts).map_err(|e| e.offset(start))?;
                body.extend_from_slice(&slice[d.data.clone()]);
                let used = start + d.consumed;
                if let Some(trailers) = d.end {
                    return Ok(Some((
                        body,
                        trailers
                            .raw()
                            .map(|(n, v)| (n.to_string(), v.to_string()))
                            .collect(),
                        used,
                    )));
                }
                slice = &slice[d.consumed..];
                if d.consumed == 0 {
                    assert!(slice.is_empty(), "a decoder consumes all it is given");
                    break;
                }
            }
        }
        Ok(None)
    }

    /// The chunked body in `input`, the same at every split, byte by byte, and
    /// followed by the next message.
    fn chunked(input: &[u8], opts: &ParserOptions) -> Body {
        let whole = feed(Decoder::chunked(), input, &[], opts)
            .expect("valid body")
            .expect("complete body");
        assert_eq!(whole.2, input.len());
        for cut in 1..input.len() {
            let split = feed(Decoder::chunked(), input, &[cut], opts);
            assert_eq!(split, Ok(Some(whole.clone())), "cut at {cut}");
        }
        let every: Vec<usize> = (1..input.len()).collect();
        let bytes = feed(Decoder::chunked(), input, &every, opts);
        assert_eq!(bytes, Ok(Some(whole.clone())), "byte by byte");
        let next = [input, b"GET / HTTP/1.1\r\n\r\n"].concat();
        let pipelined = feed(Decoder::chunked(), &next, &[], opts);
        assert_eq!(pipelined, Ok(Some(whole.clone())), "followed by a request");
        whole
    }

    fn chunked_error(input: &[u8], opts: &ParserOptions) -> (&'static str, &'static str) {
        let whole = feed(Decoder::chunked(), input, &[], opts).expect_err("refused body");
        let every: Vec<usize> = (1..input.len()).collect();
        let bytes = feed(Decoder::chunked(), input, &every, opts);
        assert_eq!(bytes, Err(whole), "byte by byte");
        (whole.code.as_str(), whole.reason)
    }

    #[test]
    fn content_length() {
        let input = b"abcdefGET";
        for cut in 0..input.len() {
            let body = feed(Decoder::length(6), input, &[cut], &strict());
            assert_eq!(
                body,
                Ok(Some((b"abcdef".to_vec(), vec![], 6))),
                "cut at {cut}"
            );
        }
        assert_eq!(
            feed(Decoder::length(0), b"GET", &[], &strict()),
            Ok(Some((vec![], vec![], 0)))
        );
        let mut partial = Decoder::length(6);
        assert_eq!(feed(Decoder::length(6), b"abc", &[], &strict()), Ok(None));
        assert!(partial.decode(b"abc", &strict()).is_ok());
        assert_eq!(
            partial.finish_eof().map_err(|e| e.code.as_str()),
            Err("HPE_INVALID_EOF_STATE")
        );
    }

    #[test]
    fn read_until_close() {
        let mut eof = Decoder::eof();
        let d = eof.decode(b"abc", &strict()).expect("any bytes");
        assert_eq!((d.consumed, d.data, d.end), (3, 0..3, None));
        assert!(!eof.is_complete());
        assert_eq!(eof.finish_eof(), Ok(IncomingHeaders::new()));
        assert!(eof.is_complete());
    }

    #[test]
    fn chunked_bodies_node_accepts() {
        let (body, trailers, _) = chunked(
            b"3;a=b;c=\"d e\"\r\nabc\r\n0;x\r\nT: v\r\nT: w\r\n\r\n",
            &strict(),
        );
        assert_eq!(body, b"abc");
        assert_eq!(trailers.len(), 2);
        let cases: &[(&[u8], &[u8])] = &[
            (b"0\r\n\r\n", b""),
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"0003\r\nabc\r\n00\r\n\r\n", b"abc"),
            (b"00000000000000001\r\na\r\n0\r\n\r\n", b"a"),
            (b"3;a=\"x\\\"y\"\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;=b\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;a=\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"1;a;;b\r\nx\r\n0;a=b\r\n\r\n", b"x"),
            (b"1\r\nx\r\n1\r\ny\r\n0\r\n\r\n", b"xy"),
        ];
        for (input, expected) in cases {
            assert_eq!(chunked(input, &strict()).0, *expected, "{input:?}");
        }
    }

    #[test]
    fn trailer_rules_follow_the_role() {
        // Node v20's client takes a Transfer-Encoding trailer in a response
        // (tests/node/record_responses.js, `chunked_trailer_te`); its server
        // refuses one in a request. A Content-Length trailer is refused in both.
        let te = b"0\r\nTransfer-Encoding: chunked\r\n\r\n";
        let response = feed(Decoder::chunked_response(), te, &[], &strict());
        let expected = vec![("Transfer-Encoding".to_string(), "chunked".to_string())];
        assert_eq!(response, Ok(Some((vec![], expected, te.len()))));
        let request = feed(Decoder::chunked(), te, &[], &strict()).map_err(|e| e.code.as_str());
        assert_eq!(request, Err("HPE_INVALID_TRANSFER_ENCODING"));
        let cl = b"0\r\nContent-Length: 3\r\n\r\n";
        for decoder in [Decoder::chunked(), Decoder::chunked_response()] {
            let refused =
                feed(decoder, cl, &[], &strict()).map_err(|e| (e.code.as_str(), e.reason));
            assert_eq!(
                refused,
                Err((
                    "HPE_INVALID_CONTENT_LENGTH",
                    "Content-Length can't be present with Transfer-Encoding"
                ))
            );
        }
    }

    #[test]
    fn chunked_errors_match_node() {
        let cases: &[(&[u8], &str, &str)] = &[
            (
                b"zz\r\n",
                "HPE_INVALID_CHUNK_SIZE",
                "Invalid character in chunk size",
            ),
            (
                b"\r\nabc",
                "HPE_INVALID_CHUNK_SIZE",
                "Invalid character in chunk size",
            ),
            (
                b"3 \r\nabc",
                "HPE_INVALID_CHUNK_SIZE",
                "Invalid character in chunk size",
            ),
            (
                b"3 ;a=b\r\n",
                "HPE_INVALID_CHUNK_SIZE",
                "Invalid character in chunk size",
            ),
            (
                b"11111111111111111\r\n",
                "HPE_INVALID_CHUNK_SIZE",
                "Chunk size overflow",
            ),
            (
                b"3; a = b\r\n",
                "HPE_STRICT",
                "Invalid character in chunk extensions",
            ),
            (
                b"3;\r\nabc",
                "HPE_STRICT",
                "Invalid character in chunk extensions",
            ),
            (
                b"3;a\x01\r\n",
                "HPE_STRICT",
                "Invalid character in chunk extensions name",
            ),
            (
                b"1;a\t\r\n",
                "HPE_STRICT",
                "Invalid character in chunk extensions name",
            ),
            (
                b"1;a=\"b\"x\r\n",
                "HPE_STRICT",
                "Invalid character in chunk extensions quote value",
            ),
            (
                b"3\nabc",
                "HPE_CR_EXPECTED",
                "Missing expected CR after chunk size",
            ),
            (b"1\rx", "HPE_STRICT", "Expected LF after chunk size"),
            (
                b"3\r\nabcX\r\n",
                "HPE_STRICT",
                "Expected LF after chunk data",
            ),
            (b"1\r\nx\rX", "HPE_STRICT", "Expected LF after chunk data"),
            (
                b"1\r\nx\n0\r\n\r\n",
                "HPE_CR_EXPECTED",
                "Missing expected CR after chunk data",
            ),
        ];
        for (input, code, reason) in cases {
            assert_eq!(
                chunked_error(input, &strict()),
                (*code, *reason),
                "{input:?}"
            );
        }
    }

    #[test]
    fn chunk_size_limits() {
        // Node accepts the largest u64 size and waits for its data.
        let mut max = Decoder::chunked();
        let d = max
            .decode(b"ffffffffffffffff\r\nab", &strict())
            .expect("u64::MAX");
        assert_eq!(d.data, 18..20);
        assert_eq!(
            max.finish_eof().map_err(|e| e.code),
            Err(Code::InvalidEofState)
        );
    }

    #[test]
    fn chunk_extensions_limit_per_chunk() {
        let ext = |n: usize| format!("1;a={}\r\nx\r\n", "v".repeat(n));
        // Name + value = 16384 bytes is allowed, one more is not.
        let ok = format!("{}0\r\n\r\n", ext(16383));
        assert_eq!(
            feed(Decoder::chunked(), ok.as_bytes(), &[], &strict()).map(|b| b.is_some()),
            Ok(true)
        );
        let over = feed(Decoder::chunked(), ext(16384).as_bytes(), &[], &strict());
        assert_eq!(
            over.map_err(|e| e.code.as_str()),
            Err("HPE_CHUNK_EXTENSIONS_OVERFLOW")
        );
        // Quotes count; the count starts again with each chunk.
        let quoted = |n: usize| format!("1;a=\"{}\"\r\nx\r\n0\r\n\r\n", "v".repeat(n));
        assert!(feed(Decoder::chunked(), quoted(16381).as_bytes(), &[], &strict()).is_ok());
        assert!(feed(Decoder::chunked(), quoted(16382).as_bytes(), &[], &strict()).is_err());
        let two = format!("{}{}0\r\n\r\n", ext(10000), ext(10000));
        assert_eq!(
            feed(Decoder::chunked(), two.as_bytes(), &[], &strict()).map(|b| b.is_some()),
            Ok(true)
        );
    }

    #[test]
    fn incomplete_chunked_body_at_eof() {
        for input in [&b""[..], b"3\r\nab", b"0\r\n", b"0\r\nT: v\r\n"] {
            let mut decoder = Decoder::chunked();
            decoder.decode(input, &strict()).expect("valid so far");
            assert_eq!(
                decoder.finish_eof().map_err(|e| e.code),
                Err(Code::InvalidEofState)
            );
        }
        let mut done = Decoder::chunked();
        assert!(done
            .decode(b"0\r\n\r\n", &strict())
            .expect("valid")
            .end
            .is_some());
        assert!(done.is_complete());
        assert_eq!(done.finish_eof(), Ok(IncomingHeaders::new()));
    }

    #[test]
    fn insecure_chunk_lines() {
        let lenient = ParserOptions {
            insecure: true,
            ..strict()
        };
        assert_eq!(chunked(b"3 \r\nabc\r\n0\r\n\r\n", &lenient).0, b"abc");
        assert_eq!(chunked(b"3\nabc\n0\n\n", &lenient).0, b"abc");
        // Missing CRLF after data: the next byte starts the next chunk line.
        assert_eq!(chunked(b"1\r\nx1\r\ny\r\n0\r\n\r\n", &lenient).0, b"xy");
        let bad = chunked_error(b"3\r\nabcX0\r\n\r\n", &lenient);
        assert_eq!(bad.0, "HPE_INVALID_CHUNK_SIZE");
    }
}
