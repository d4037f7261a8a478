//! Replays `tests/facts/request-options.json`, recorded from Node's own
//! `http.request` by `tests/node/record_request_options.js`, against
//! `request_options::{parse_url, merge, resolve}`: for each URL and options,
//! the request line, `req.host`/`protocol`, the port and family the Agent was
//! asked to connect with, the Host and Basic Authorization headers, or the
//! error Node threw (code and message).
//!
//! The core has no dependencies, so the file is read with the small JSON
//! reader at the end (enough for what the recorder writes).

use nodehttp_core::error::NodeError;
use nodehttp_core::outgoing::HeaderValue;
use nodehttp_core::request_options::{merge, parse_url, resolve, RequestOptions, RequestTarget};

/// `http.globalAgent.defaultPort`, which the recorder's Agent inherits.
const AGENT_DEFAULT_PORT: u16 = 80;

#[test]
fn node_request_options_replay() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/facts/request-options.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/facts/request-options.json");
    let cases = Json::parse(&text).expect("valid JSON");
    let cases = cases.array();
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
fn check_case(case: &Json) -> Option<String> {
    let name = case.get("name").str();
    let options = options_from(case.get("options"));
    let result = match case.get("url") {
        Json::Str(url) => parse_url(url).map(|from_url| merge(from_url, options)),
        _ => Ok(options),
    }
    .and_then(|merged| resolve(merged, AGENT_DEFAULT_PORT));
    let problem = match (case.get("ok"), result) {
        (Json::Null, Ok(target)) => format!(
            "Node threw {:?}, we accepted: {target:?}",
            case.get("error")
        ),
        (Json::Null, Err(err)) => compare_error(case.get("error"), &err)?,
        (ok, Ok(target)) => compare_target(ok, &target)?,
        (_, Err(err)) => format!("Node accepted, we threw {err}"),
    };
    Some(format!("  {name}: {problem}"))
}

fn compare_error(expected: &Json, err: &NodeError) -> Option<String> {
    let want = (expected.get("code").str(), expected.get("message").str());
    (want != (err.code, err.message.as_str())).then(|| format!("want {want:?}, got {err}"))
}

fn compare_target(ok: &Json, t: &RequestTarget) -> Option<String> {
    let head: Vec<&str> = ok.get("head").array().iter().map(Json::str).collect();
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
    differ(
        "req.method",
        ok.get("method").str().into(),
        t.method.clone(),
    );
    differ("req.path", ok.get("path").str().into(), t.path.clone());
    differ("req.host", ok.get("host").str().into(), t.host.clone());
    differ(
        "req.protocol",
        ok.get("protocol").str().into(),
        t.protocol.clone(),
    );
    let connect = ok.get("connect");
    if *connect != Json::Null {
        differ(
            "connect host",
            connect.get("host").str().into(),
            t.host.clone(),
        );
        differ(
            "connect port",
            format!("{:?}", connect.get("port").num()),
            format!("{:?}", Some(f64::from(t.port))),
        );
        let family = connect.get("family").num();
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

fn options_from(json: &Json) -> RequestOptions {
    let text = |key: &str| match json.get(key) {
        Json::Str(s) => Some(s.clone()),
        _ => None,
    };
    let number = |key: &str| json.get(key).num();
    RequestOptions {
        protocol: text("protocol"),
        host: text("host"),
        hostname: text("hostname"),
        family: number("family").map(|n| n as u8),
        port: number("port").map(|n| n as u16),
        default_port: number("defaultPort").map(|n| n as u16),
        local_address: text("localAddress"),
        socket_path: text("socketPath"),
        method: text("method"),
        path: text("path"),
        headers: json
            .get("headers")
            .array()
            .iter()
            .map(header_from)
            .collect(),
        auth: text("auth"),
        timeout: number("timeout").map(|n| n as u32),
        set_host: match json.get("setHost") {
            Json::Bool(b) => Some(*b),
            _ => None,
        },
    }
}

fn header_from(pair: &Json) -> (String, HeaderValue) {
    let pair = pair.array();
    let name = pair.first().map_or("", Json::str).to_owned();
    let value = match pair.get(1) {
        Some(Json::Num(n)) => HeaderValue::Number(*n),
        Some(Json::Arr(items)) => {
            HeaderValue::List(items.iter().map(|i| i.str().to_owned()).collect())
        }
        Some(other) => HeaderValue::Text(other.str().to_owned()),
        None => HeaderValue::Text(String::new()),
    };
    (name, value)
}

/// Just enough JSON for the facts file.
#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

const NULL: Json = Json::Null;

impl Json {
    fn parse(text: &str) -> Option<Json> {
        let mut chars = text.chars().peekable();
        let value = Self::value(&mut chars)?;
        Self::skip_ws(&mut chars);
        chars.peek().is_none().then_some(value)
    }

    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    fn array(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            _ => &[],
        }
    }

    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => "",
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn skip_ws(chars: &mut std::iter::Peekable<std::str::Chars>) {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
    }

    fn value(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<Json> {
        Self::skip_ws(chars);
        match chars.next()? {
            'n' => Self::word(chars, "ull", Json::Null),
            't' => Self::word(chars, "rue", Json::Bool(true)),
            'f' => Self::word(chars, "alse", Json::Bool(false)),
            '"' => Self::string(chars).map(Json::Str),
            '[' => {
                let mut items = Vec::new();
                loop {
                    Self::skip_ws(chars);
                    if chars.next_if_eq(&']').is_some() {
                        return Some(Json::Arr(items));
                    }
                    items.push(Self::value(chars)?);
                    Self::skip_ws(chars);
                    chars.next_if_eq(&',');
                }
            }
            '{' => {
                let mut fields = Vec::new();
                loop {
                    Self::skip_ws(chars);
                    match chars.next()? {
                        '}' => return Some(Json::Obj(fields)),
                        '"' => {
                            let key = Self::string(chars)?;
                            Self::skip_ws(chars);
                            chars.next_if_eq(&':')?;
                            fields.push((key, Self::value(chars)?));
                            Self::skip_ws(chars);
                            chars.next_if_eq(&',');
                        }
                        _ => return None,
                    }
                }
            }
            c => {
                let mut number = String::from(c);
                while let Some(d) = chars.next_if(|d| d.is_ascii_digit() || "+-.eE".contains(*d)) {
                    number.push(d);
                }
                number.parse().ok().map(Json::Num)
            }
        }
    }

    fn word(
        chars: &mut std::iter::Peekable<std::str::Chars>,
        rest: &str,
        value: Json,
    ) -> Option<Json> {
        rest.chars()
            .all(|c| chars.next() == Some(c))
            .then_some(value)
    }

    fn string(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<String> {
        let mut out = String::new();
        loop {
            match chars.next()? {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let unit = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                            let hex: String = chars.take(4).collect();
                            u32::from_str_radix(&hex, 16).ok()
                        };
                        let high = unit(chars)?;
                        let code = if (0xd800..0xdc00).contains(&high) {
                            chars.next_if_eq(&'\\')?;
                            chars.next_if_eq(&'u')?;
                            0x10000 + ((high - 0xd800) << 10) + (unit(chars)? - 0xdc00)
                        } else {
                            high
                        };
                        out.push(char::from_u32(code)?);
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
    }
}
