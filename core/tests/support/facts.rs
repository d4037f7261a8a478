//! The facts Node recorded (`tests/facts/*.json`, written by the scripts in
//! `tests/node/`), read with serde_json and turned into the core's types.
//!
//! Reading is lenient, as JavaScript's property access is: a member that is
//! missing or of another type reads as `""` or `[]`, so a facts file that
//! lacks something shows up as a difference from Node, not a panic.

use nodehttp_core::outgoing::HeaderValue;
use nodehttp_core::request_options::RequestOptions;
use serde_json::Value;

/// `tests/facts/{name}`, parsed.
pub fn load(name: &str) -> Value {
    let path = format!("{}/../tests/facts/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A string, or `""`.
pub fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// An array's items, or none.
pub fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// A header value as JavaScript passed it: a number, an array of strings,
/// or a string.
pub fn header_value(v: &Value) -> HeaderValue {
    match v {
        Value::Number(n) => HeaderValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(list) => HeaderValue::List(list.iter().map(|i| text(i).to_owned()).collect()),
        other => HeaderValue::Text(text(other).to_owned()),
    }
}

/// `http.request`'s options object as the recorders wrote it (`headers` as
/// `[name, value]` pairs, in `Object.keys` order).
pub fn request_options(json: &Value) -> RequestOptions {
    let string = |key: &str| json[key].as_str().map(str::to_owned);
    let number = |key: &str| json[key].as_f64();
    RequestOptions {
        protocol: string("protocol"),
        host: string("host"),
        hostname: string("hostname"),
        family: number("family").map(|n| n as u8),
        port: number("port").map(|n| n as u16),
        default_port: number("defaultPort").map(|n| n as u16),
        local_address: string("localAddress"),
        socket_path: string("socketPath"),
        method: string("method"),
        path: string("path"),
        headers: items(&json["headers"])
            .iter()
            .map(|pair| (text(&pair[0]).to_owned(), header_value(&pair[1])))
            .collect(),
        auth: string("auth"),
        timeout: number("timeout").map(|n| n as u32),
        set_host: json["setHost"].as_bool(),
    }
}
