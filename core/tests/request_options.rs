//! Replays `tests/facts/request-options.json`, recorded from Node's own
//! `http.request` by `tests/node/record_request_options.js`, against
//! `request_options::{parse_url, merge, resolve}`: for each URL and options,
//! the request line, `req.host`/`protocol`, the port and family the Agent was
//! asked to connect with, the Host and Basic Authorization headers, or the
//! error Node threw (code and message).

use nodehttp_core::error::NodeError;
use nodehttp_core::outgoing::HeaderValue;
use nodehttp_core::request_options::{merge, parse_url, resolve, RequestTarget};
use serde_json::Value;

mod support {
    pub mod facts;
}

use support::facts::{self, items, text};

/// `http.globalAgent.defaultPort`, which the recorder's Agent inherits.
const AGENT_DEFAULT_PORT: u16 = 80;

#[test]
fn node_request_options_replay() {
    let cases = facts::load("request-options.json");
    let cases = items(&cases);
    assert!(
        cases.len() >= 40,
        "expected the recorded cases, got {}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(check_case).collect();
    assert!(
        failures.is_empty(),
        "{} cases differ from Node:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One case: `None` when we agree with Node, else what differs.
fn check_case(case: &Value) -> Option<String> {
    let name = text(&case["name"]);
    let options = facts::request_options(&case["options"]);
    let result = match &case["url"] {
        Value::String(url) => parse_url(url).map(|from_url| merge(from_url, options)),
        _ => Ok(options),
    }
    .and_then(|merged| resolve(merged, AGENT_DEFAULT_PORT));
    let problem = match (&case["ok"], result) {
        (Value::Null, Ok(target)) => {
            format!("Node threw {}, we accepted: {target:?}", case["error"])
        }
        (Value::Null, Err(err)) => compare_error(&case["error"], &err)?,
        (ok, Ok(target)) => compare_target(ok, &target)?,
        (_, Err(err)) => format!("Node accepted, we threw {err}"),
    };
    Some(format!("  {name}: {problem}"))
}

fn compare_error(expected: &Value, err: &NodeError) -> Option<String> {
    let want = (text(&expected["code"]), text(&expected["message"]));
    (want != (err.code, err.message.as_str())).then(|| format!("want {want:?}, got {err}"))
}

fn compare_target(ok: &Value, t: &RequestTarget) -> Option<String> {
    let head: Vec<&str> = items(&ok["head"]).iter().map(text).collect();
    let request_line = format!("{} {} HTTP/1.1", t.method, t.path);
    let mut diffs = Vec::new();
    let mut differ = |what: &str, want: String, got: String| {
        if want != got {
            diffs.push(format!("{what}: want {want:?}, got {got:?}"));
        }
    };
    differ(
        "request line",
        head.first().copied().unwrap_or("").into(),
        request_line,
    );
    differ("req.method", text(&ok["method"]).into(), t.method.clone());
    differ("req.path", text(&ok["path"]).into(), t.path.clone());
    differ("req.host", text(&ok["host"]).into(), t.host.clone());
    differ(
        "req.protocol",
        text(&ok["protocol"]).into(),
        t.protocol.clone(),
    );
    let connect = &ok["connect"];
    if !connect.is_null() {
        differ(
            "connect host",
            text(&connect["host"]).into(),
            t.host.clone(),
        );
        differ(
            "connect port",
            format!("{:?}", connect["port"].as_f64()),
            format!("{:?}", Some(f64::from(t.port))),
        );
        let family = connect["family"].as_f64();
        differ(
            "connect family",
            format!("{family:?}"),
            format!("{:?}", t.family.map(f64::from)),
        );
    }
    differ(
        "Host",
        format!("{:?}", header(&head, "host")),
        format!("{:?}", effective_host(t)),
    );
    let authorization = header(&head, "authorization");
    let user_authorization = t
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    if !user_authorization {
        let sent = authorization
            .and_then(|v| v.strip_prefix("Basic "))
            .map(base64_decode);
        differ("auth", format!("{sent:?}"), format!("{:?}", t.auth));
    }
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

/// The Host Node would send: ours, or the user's entry (which [`resolve`]
/// rewrites in place when Node replaces it).
fn effective_host(t: &RequestTarget) -> Option<String> {
    let user = t
        .headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"));
    match (&t.host_header, user) {
        (Some(ours), _) => Some(ours.clone()),
        (None, Some((_, HeaderValue::Text(v)))) => Some(v.clone()),
        (None, Some((_, other))) => Some(format!("{other:?}")),
        (None, None) => None,
    }
}

fn header<'a>(head: &[&'a str], name: &str) -> Option<&'a str> {
    head.iter().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim_start())
    })
}

/// Standard base64 back to text (Node encoded `Buffer.from(auth)`, UTF-8).
fn base64_decode(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextets: Vec<u32> = text
        .bytes()
        .filter_map(|b| ALPHABET.iter().position(|&a| a == b))
        .map(|i| i as u32)
        .collect();
    let mut bytes = Vec::new();
    for group in sextets.chunks(4) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, s)| n | s << (18 - 6 * i));
        bytes.extend(n.to_be_bytes()[1..group.len()].iter());
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
