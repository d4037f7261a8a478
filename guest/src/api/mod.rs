//! The exported WIT resources and functions, one module per interface. Each
//! call translates WIT values to the core's and runs on the
//! [`runtime`](crate::runtime).

pub mod client;
pub mod incoming;
pub mod net;
pub mod server;

use nodehttp_core::error::NodeError;
use nodehttp_core::incoming::{IncomingHeaders, IncomingValue};
use nodehttp_core::outgoing;

use crate::bindings::exports::nodehttp::http::types::{Error, Header, HeaderValue};
use crate::runtime;

pub(crate) fn merged(headers: &IncomingHeaders) -> Vec<Header> {
    headers
        .merged()
        .into_iter()
        .map(|(name, value)| Header {
            name,
            value: match value {
                IncomingValue::Single(v) => HeaderValue::Text(v),
                IncomingValue::List(v) => HeaderValue::List(v),
            },
        })
        .collect()
}

pub(crate) fn to_core(value: HeaderValue) -> outgoing::HeaderValue {
    match value {
        HeaderValue::Text(s) => outgoing::HeaderValue::Text(s),
        HeaderValue::List(l) => outgoing::HeaderValue::List(l),
        HeaderValue::Number(n) => outgoing::HeaderValue::Number(n),
    }
}

pub(crate) fn from_core(value: outgoing::HeaderValue) -> HeaderValue {
    match value {
        outgoing::HeaderValue::Text(s) => HeaderValue::Text(s),
        outgoing::HeaderValue::List(l) => HeaderValue::List(l),
        outgoing::HeaderValue::Number(n) => HeaderValue::Number(n),
    }
}

/// The parser's limit for `maxHeadersCount = count`: Node's parser counts
/// names and values (`maxHeaderPairs = maxHeadersCount << 1`); 0 stays 0,
/// no limit.
pub(crate) fn header_entries(count: u32) -> usize {
    (count as usize).saturating_mul(2)
}

pub(crate) fn to_wit(e: NodeError) -> Error {
    runtime::error(e.code, e.message)
}
