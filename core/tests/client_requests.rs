//! `OutgoingMessage::client_request` writes the bytes Node's `http.request`
//! writes: every scenario of `tests/facts/client-requests.json` (recorded by
//! `tests/node/record_requests.js`) is replayed, and the output after the
//! constructor and after each call must equal what Node had sent by then.

use nodehttp_core::error::NodeError;
use nodehttp_core::outgoing::{HeaderValue, OutgoingMessage, RequestContext};

use json::Value;

const FACTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/facts/client-requests.json"
);

/// `http.Agent`'s `defaultPort`.
const AGENT_DEFAULT_PORT: u16 = 80;

/// A JSON string as latin1 bytes (the facts hold one code point per byte).
fn latin1(v: &Value) -> Vec<u8> {
    v.str().chars().map(|c| c as u32 as u8).collect()
}

/// A header value as JavaScript passed it: a string, a number or an array.
fn header_value(v: &Value) -> HeaderValue {
    match v {
        Value::Str(s) => HeaderValue::Text(s.clone()),
        Value::Num(n) => HeaderValue::Number(*n),
        Value::Arr(items) => HeaderValue::List(items.iter().map(|i| i.str().to_string()).collect()),
        other => panic!("not a header value: {other:?}"),
    }
}

fn pairs(v: &Value) -> Vec<(String, HeaderValue)> {
    v.arr()
        .iter()
        .map(|p| (p.arr()[0].str().to_string(), header_value(&p.arr()[1])))
        .collect()
}

/// What the client machine makes of `http.request(options)`, as Node's
/// `ClientRequest` constructor resolves it before `_storeHeader`.
fn request_context(options: &Value) -> RequestContext {
    let text = |key: &str| options.get(key).map(|v| v.str().to_string());
    let port_of = |key: &str| options.get(key).map(|v| v.num() as u16);
    let host = text("hostname")
        .or_else(|| text("host"))
        .unwrap_or_else(|| "localhost".to_string());
    let default_port = port_of("defaultPort").unwrap_or(AGENT_DEFAULT_PORT);
    let port = port_of("port").unwrap_or(default_port);
    let set_host = options.get("setHost").is_none_or(Value::truthy);
    // No `agent`: v12's global agent, `new Agent()`. `false`: a one-time
    // `new Agent()`. An object: `new Agent(options)`.
    let should_keep_alive = match options.get("agent") {
        Some(agent @ Value::Obj(_)) => {
            agent.get("keepAlive").is_some_and(Value::truthy) || agent.get("maxSockets").is_some()
        }
        _ => false,
    };
    RequestContext {
        method: text("method").unwrap_or_default(),
        path: text("path").unwrap_or_default(),
        host_header: set_host.then(|| RequestContext::host_header_for(&host, port, default_port)),
        auth: text("auth"),
        headers: options.get("headers").map(pairs).unwrap_or_default(),
        should_keep_alive,
    }
}

/// Runs one recorded call: `["write", body]`, `["end"]`, `["end", body]`,
/// `["flushHeaders"]`, `["setHeader", name, value]`, `["removeHeader", name]`,
/// `["addTrailers", [[name, value], ...]]`.
fn run_call(req: &mut OutgoingMessage, call: &Value) -> Result<(), NodeError> {
    let call = call.arr();
    match (call[0].str(), &call[1..]) {
        ("write", [body]) => req.write(&latin1(body), "").map(drop),
        ("end", []) => req.end(None, ""),
        ("end", [body]) => req.end(Some(&latin1(body)), ""),
        ("flushHeaders", []) => req.flush_headers(""),
        ("setHeader", [name, value]) => req.set_header(name.str(), header_value(value)),
        ("removeHeader", [name]) => req.remove_header(name.str()),
        ("addTrailers", [list]) => {
            let trailers: Vec<(String, String)> = list
                .arr()
                .iter()
                .map(|p| (p.arr()[0].str().to_string(), p.arr()[1].str().to_string()))
                .collect();
            req.add_trailers(&trailers)
        }
        (verb, args) => panic!("unknown call {verb} with {} arguments", args.len()),
    }
}

/// Replays one scenario; `Err` describes the first difference from Node.
fn replay(scenario: &Value) -> Result<(), String> {
    let sent: Vec<Vec<u8>> = scenario["sent"].arr().iter().map(latin1).collect();
    let error = scenario.get("error");
    let failed_at = error.map(|e| e["step"].num() as usize);
    let check_error = |step: usize, got: NodeError| match error {
        Some(want) if failed_at == Some(step) => {
            let want = (want["code"].str(), want["message"].str());
            if (got.code, got.message.as_str()) == want {
                Ok(())
            } else {
                Err(format!("step {step}: {got}, Node: {want:?}"))
            }
        }
        _ => Err(format!("step {step}: unexpected {got}")),
    };
    let compare = |step: usize, req: &OutgoingMessage, got: &[u8]| {
        let want = &sent[step];
        if got == want.as_slice() {
            return Ok(());
        }
        let show = |b: &[u8]| b.iter().map(|&c| c as char).collect::<String>();
        Err(format!(
            "after step {step} ({} buffered):\n  ours: {:?}\n  node: {:?}",
            req.buffered_len(),
            show(got),
            show(want)
        ))
    };

    let mut req = match OutgoingMessage::client_request(request_context(&scenario["options"])) {
        Ok(req) => req,
        Err(e) => return check_error(0, e),
    };
    let got = req.output().clone();
    compare(0, &req, &got)?;
    for (i, call) in scenario["calls"].arr().iter().enumerate() {
        let step = i + 1;
        match run_call(&mut req, call) {
            Ok(()) if failed_at == Some(step) => {
                return Err(format!("step {step}: Node failed, we did not"))
            }
            Ok(()) => {}
            Err(e) => check_error(step, e)?,
        }
        let got = req.output().clone();
        compare(step, &req, &got)?;
        if failed_at == Some(step) {
            break;
        }
    }
    Ok(())
}

#[test]
fn every_recorded_request_is_byte_identical() {
    let text = std::fs::read_to_string(FACTS).expect("tests/facts/client-requests.json");
    let facts = json::parse(&text).expect("valid JSON");
    let scenarios = facts["scenarios"].arr();
    assert!(scenarios.len() >= 30, "only {} scenarios", scenarios.len());
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|s| replay(s).err().map(|e| format!("{}: {e}", s["name"].str())))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn request_accessors() {
    let ctx = RequestContext {
        method: "patch".to_string(),
        path: String::new(),
        host_header: None,
        auth: None,
        headers: vec![(
            "Connection".to_string(),
            HeaderValue::Text("keep-alive".to_string()),
        )],
        should_keep_alive: false,
    };
    let mut req = OutgoingMessage::client_request(ctx).expect("valid request");
    assert_eq!((req.method(), req.path()), ("PATCH", "/"));
    assert!(!req.headers_sent());
    req.end(None, "").expect("end");
    assert!(req.writable_ended());
    // A `Connection` header other than `close` turns `shouldKeepAlive` on.
    assert!(req.should_keep_alive());
}

/// Just enough JSON for the facts file (which `JSON.stringify` wrote).
mod json {
    use std::ops::Index;

    #[derive(Debug)]
    pub enum Value {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Value>),
        Obj(Vec<(String, Value)>),
    }

    static NULL: Value = Value::Null;

    impl Value {
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }

        pub fn str(&self) -> &str {
            match self {
                Value::Str(s) => s,
                other => panic!("not a string: {other:?}"),
            }
        }

        pub fn num(&self) -> f64 {
            match self {
                Value::Num(n) => *n,
                other => panic!("not a number: {other:?}"),
            }
        }

        pub fn arr(&self) -> &[Value] {
            match self {
                Value::Arr(items) => items,
                other => panic!("not an array: {other:?}"),
            }
        }

        /// JavaScript's `Boolean(value)`.
        pub fn truthy(&self) -> bool {
            match self {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Num(n) => *n != 0.0 && !n.is_nan(),
                Value::Str(s) => !s.is_empty(),
                Value::Arr(_) | Value::Obj(_) => true,
            }
        }
    }

    impl Index<&str> for Value {
        type Output = Value;
        fn index(&self, key: &str) -> &Value {
            self.get(key).unwrap_or(&NULL)
        }
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let v = p.value()?;
        p.skip_ws();
        if p.at == p.chars.len() {
            Ok(v)
        } else {
            Err(format!("trailing text at {}", p.at))
        }
    }

    struct Parser {
        chars: Vec<char>,
        at: usize,
    }

    impl Parser {
        fn skip_ws(&mut self) {
            while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
                self.at += 1;
            }
        }

        fn next(&mut self) -> Result<char, String> {
            let c = self.chars.get(self.at).copied().ok_or("unexpected end")?;
            self.at += 1;
            Ok(c)
        }

        fn eat(&mut self, word: &str) -> bool {
            let end = self.at + word.chars().count();
            let matches = self
                .chars
                .get(self.at..end)
                .is_some_and(|s| s.iter().copied().eq(word.chars()));
            if matches {
                self.at = end;
            }
            matches
        }

        fn value(&mut self) -> Result<Value, String> {
            self.skip_ws();
            match self.chars.get(self.at).copied() {
                Some('{') => self.list('}').map(Value::Obj),
                Some('[') => self
                    .list(']')
                    .map(|items| Value::Arr(items.into_iter().map(|(_, v)| v).collect())),
                Some('"') => self.string().map(Value::Str),
                _ if self.eat("null") => Ok(Value::Null),
                _ if self.eat("true") => Ok(Value::Bool(true)),
                _ if self.eat("false") => Ok(Value::Bool(false)),
                _ => self.number(),
            }
        }

        /// An object's members or an array's items (keyless), up to `close`.
        fn list(&mut self, close: char) -> Result<Vec<(String, Value)>, String> {
            self.at += 1;
            let mut items = Vec::new();
            loop {
                self.skip_ws();
                if self.eat(&close.to_string()) {
                    return Ok(items);
                }
                if !items.is_empty() && !self.eat(",") {
                    return Err(format!("expected , at {}", self.at));
                }
                let key = if close == '}' {
                    self.skip_ws();
                    let key = self.string()?;
                    self.skip_ws();
                    if !self.eat(":") {
                        return Err(format!("expected : at {}", self.at));
                    }
                    key
                } else {
                    String::new()
                };
                items.push((key, self.value()?));
            }
        }

        fn string(&mut self) -> Result<String, String> {
            if self.next()? != '"' {
                return Err(format!("expected a string at {}", self.at));
            }
            let mut out = String::new();
            let mut pending_high: Option<u32> = None;
            loop {
                let c = match self.next()? {
                    '"' => return Ok(out),
                    '\\' => match self.next()? {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => {
                            let hex: String =
                                (0..4).map(|_| self.next()).collect::<Result<_, _>>()?;
                            let unit = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                            if (0xd800..0xdc00).contains(&unit) {
                                pending_high = Some(unit);
                                continue;
                            }
                            let code = match pending_high.take() {
                                Some(high) => 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00),
                                None => unit,
                            };
                            char::from_u32(code).ok_or("bad \\u escape")?
                        }
                        other => other,
                    },
                    c => c,
                };
                out.push(c);
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            while self
                .chars
                .get(self.at)
                .is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(*c))
            {
                self.at += 1;
            }
            let text: String = self.chars[start..self.at].iter().collect();
            text.parse()
                .map(Value::Num)
                .map_err(|_| format!("bad value at {start}"))
        }
    }
}
