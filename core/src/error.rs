//! Errors with Node's codes.
//!
//! Two families, as in Node: parse errors from the HTTP parser carry llhttp's
//! `HPE_*` codes (what `clientError` sees as `err.code`), and API misuse carries
//! Node's `ERR_*` codes (what Node throws).

use std::fmt;

/// An error as Node reports it: a stable `code` and a human `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeError {
    pub code: &'static str,
    pub message: String,
}

impl NodeError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        NodeError {
            code,
            message: message.into(),
        }
    }

    /// `ERR_HTTP_HEADERS_SENT`: the head is already on its way.
    pub fn headers_sent(action: &str) -> Self {
        Self::new(
            "ERR_HTTP_HEADERS_SENT",
            format!("Cannot {action} headers after they are sent to the client"),
        )
    }

    /// `ERR_INVALID_HTTP_TOKEN` for a header name that is not an RFC 7230 token.
    pub fn invalid_token(what: &str, name: &str) -> Self {
        Self::new(
            "ERR_INVALID_HTTP_TOKEN",
            format!("{what} must be a valid HTTP token [\"{name}\"]"),
        )
    }

    /// `ERR_INVALID_CHAR` for a header value with a forbidden byte.
    pub fn invalid_char(name: &str) -> Self {
        Self::new(
            "ERR_INVALID_CHAR",
            format!("Invalid character in header content [\"{name}\"]"),
        )
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for NodeError {}

/// A parse error: llhttp's error code (as Node names it in `err.code`), its
/// reason, and where the parser stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub code: ParseErrorCode,
    pub reason: &'static str,
    /// llhttp's error position (`llhttp_get_error_pos`) as an offset in the
    /// buffer the parser was given: what Node reports as `err.bytesParsed`
    /// when that buffer is the read. Usually the refused byte, or the one
    /// after it where llhttp consumes a byte before failing; for limits
    /// Node checks in its callbacks (header size, chunk extensions), the end
    /// of the span that crossed the limit, or of the buffer if the span goes
    /// on past it.
    pub at: usize,
}

impl ParseError {
    /// An error at offset 0; place it with [`Self::at`].
    pub const fn new(code: ParseErrorCode, reason: &'static str) -> Self {
        ParseError {
            code,
            reason,
            at: 0,
        }
    }

    /// The same error at offset `at`.
    pub const fn at(self, at: usize) -> Self {
        ParseError { at, ..self }
    }

    /// The same error from a parser given a slice that starts `offset`
    /// bytes into the buffer: its position in the buffer.
    pub const fn offset(self, offset: usize) -> Self {
        self.at(self.at.saturating_add(offset))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parse Error: {} ({})", self.reason, self.code.as_str())
    }
}

impl std::error::Error for ParseError {}

impl From<ParseError> for NodeError {
    /// As Node reports a parser error on a socket: `err.code` is the
    /// `HPE_*` code, the message `Parse Error: <reason>`.
    fn from(e: ParseError) -> Self {
        NodeError::new(e.code.as_str(), format!("Parse Error: {}", e.reason))
    }
}

/// llhttp's error codes, as Node exposes them (`HPE_` + the llhttp name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorCode {
    /// Head (request target + header names and values) reached `maxHeaderSize`: 431.
    HeaderOverflow,
    InvalidMethod,
    InvalidUrl,
    InvalidVersion,
    InvalidHeaderToken,
    InvalidConstant,
    InvalidContentLength,
    UnexpectedContentLength,
    InvalidTransferEncoding,
    InvalidChunkSize,
    InvalidStatus,
    /// Bytes after a message that closes the connection (`Connection: close`, HTTP/1.0).
    ClosedConnection,
    /// Bare CR or LF where CRLF is required.
    CrExpected,
    LfExpected,
    Strict,
    InvalidEofState,
    /// A header line starting with whitespace right after the start line.
    UnexpectedSpace,
    /// Chunk extensions of one chunk longer than Node's 16 KiB limit.
    ChunkExtensionsOverflow,
    /// `PRI * HTTP/2.0` with the HTTP/2 preface: llhttp stops, Node answers 400.
    PausedH2Upgrade,
}

impl ParseErrorCode {
    /// The code as Node reports it in `err.code`.
    pub const fn as_str(self) -> &'static str {
        use ParseErrorCode::*;
        match self {
            HeaderOverflow => "HPE_HEADER_OVERFLOW",
            InvalidMethod => "HPE_INVALID_METHOD",
            InvalidUrl => "HPE_INVALID_URL",
            InvalidVersion => "HPE_INVALID_VERSION",
            InvalidHeaderToken => "HPE_INVALID_HEADER_TOKEN",
            InvalidConstant => "HPE_INVALID_CONSTANT",
            InvalidContentLength => "HPE_INVALID_CONTENT_LENGTH",
            UnexpectedContentLength => "HPE_UNEXPECTED_CONTENT_LENGTH",
            InvalidTransferEncoding => "HPE_INVALID_TRANSFER_ENCODING",
            InvalidChunkSize => "HPE_INVALID_CHUNK_SIZE",
            InvalidStatus => "HPE_INVALID_STATUS",
            ClosedConnection => "HPE_CLOSED_CONNECTION",
            CrExpected => "HPE_CR_EXPECTED",
            LfExpected => "HPE_LF_EXPECTED",
            Strict => "HPE_STRICT",
            InvalidEofState => "HPE_INVALID_EOF_STATE",
            UnexpectedSpace => "HPE_UNEXPECTED_SPACE",
            ChunkExtensionsOverflow => "HPE_CHUNK_EXTENSIONS_OVERFLOW",
            PausedH2Upgrade => "HPE_PAUSED_H2_UPGRADE",
        }
    }
}
