//! The client conformance scenarios (`tests/client_corpus.json`, format in `tests/README.md`) and
//! the scenario server that plays their responses: a raw TCP server on 127.0.0.1 that reads each
//! request, answers it with scripted bytes, pauses, a FIN or a RST, and records how many
//! connections it accepted and the bytes of every request. `tests/node/record_client.js` serves
//! the same scripts from a `net` server to Node's own client and renders goldens the same way.

use super::corpus::write_bytes;
use super::golden::render;
use serde_json::Value;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long the server waits for a request's bytes before it gives up on the connection.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// JSON lines longer than this are shown in goldens as their length and hash (the 1 MiB bodies).
const MAX_LINE: usize = 2000;

/// One scenario: a name (also its golden file's name), the request `nodehttp request` makes and
/// what answers it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub request: RequestSpec,
    pub server: ServerKind,
}

/// What the request goes to.
#[derive(Debug, Clone)]
pub enum ServerKind {
    /// The scenario server, answering every request with these steps.
    Respond(Vec<Step>),
    /// A port nothing listens on.
    Refused,
    /// The echo application: `node_echo.js` or `nodehttp serve`.
    Echo,
}

/// One step of a scripted response.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Bytes sent with one write.
    Write(Vec<u8>),
    Pause(Duration),
    /// Shut down the server's write side (FIN); the connection closes once the client closes.
    End,
    /// Close with SO_LINGER 0, so the kernel sends RST.
    Reset,
}

/// The `nodehttp request` invocation of a scenario, by the fields of its `request` object.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// `-X`; unset lets the CLI choose (POST with data, else GET), as the recorder does.
    pub method: Option<String>,
    pub path: String,
    /// `-H 'Name: value'`, in order.
    pub headers: Vec<(String, String)>,
    /// `-d`: every character one latin1 byte.
    pub data: Option<String>,
    pub repeat: u64,
    pub keep_alive: bool,
}

impl RequestSpec {
    /// The arguments of `nodehttp request --json` for this request to `port`.
    pub fn cli_args(&self, port: u16) -> Vec<String> {
        let mut args = vec![
            "request".to_owned(),
            format!("http://127.0.0.1:{port}{}", self.path),
            "--json".to_owned(),
        ];
        if let Some(method) = &self.method {
            args.extend(["-X".to_owned(), method.clone()]);
        }
        for (name, value) in &self.headers {
            args.extend(["-H".to_owned(), format!("{name}: {value}")]);
        }
        if let Some(data) = &self.data {
            args.extend(["-d".to_owned(), data.clone()]);
        }
        if self.repeat != 1 {
            args.extend(["--repeat".to_owned(), self.repeat.to_string()]);
        }
        if self.keep_alive {
            args.push("--keep-alive".to_owned());
        }
        args
    }
}

/// Loads `tests/client_corpus.json`. Panics naming the scenario on any malformed entry: the
/// corpus is test input we own.
pub fn load_scenarios() -> Vec<Scenario> {
    let file = super::tests_dir().join("client_corpus.json");
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let entries: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let scenarios: Vec<Scenario> = entries
        .iter()
        .map(|entry| parse_scenario(entry).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
        .collect();
    for (i, scenario) in scenarios.iter().enumerate() {
        assert!(
            scenarios[..i].iter().all(|s| s.name != scenario.name),
            "duplicate scenario {}",
            scenario.name
        );
    }
    scenarios
}

fn parse_scenario(entry: &Value) -> Result<Scenario, String> {
    let name = entry["name"].as_str().ok_or("scenario without a name")?;
    let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        return Err(format!("bad scenario name {name:?}"));
    }
    let server = match (
        entry.get("respond"),
        entry.get("refused"),
        entry.get("echo"),
    ) {
        (Some(Value::Array(steps)), None, None) => ServerKind::Respond(
            steps
                .iter()
                .map(parse_step)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{name}: {e}"))?,
        ),
        (None, Some(Value::Bool(true)), None) => ServerKind::Refused,
        (None, None, Some(Value::Bool(true))) => ServerKind::Echo,
        _ => return Err(format!("{name}: exactly one of respond, refused, echo")),
    };
    let request = parse_request(entry.get("request")).map_err(|e| format!("{name}: {e}"))?;
    Ok(Scenario {
        name: name.to_owned(),
        request,
        server,
    })
}

fn parse_request(request: Option<&Value>) -> Result<RequestSpec, String> {
    let empty = serde_json::Map::new();
    let obj = match request {
        None => &empty,
        Some(value) => value.as_object().ok_or("request must be an object")?,
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("bad {key}: {other}")),
        }
    };
    let mut headers = Vec::new();
    for pair in obj
        .get("headers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(name), Value::String(value)]) => {
                headers.push((name.clone(), value.clone()))
            }
            _ => return Err(format!("bad header {pair}")),
        }
    }
    Ok(RequestSpec {
        method: text("method")?,
        path: text("path")?.unwrap_or_else(|| "/".to_owned()),
        headers,
        data: text("data")?,
        repeat: obj
            .get("repeat")
            .map_or(Some(1), Value::as_u64)
            .ok_or("bad repeat")?,
        keep_alive: obj.get("keepAlive") == Some(&Value::Bool(true)),
    })
}

fn parse_step(step: &Value) -> Result<Step, String> {
    match step {
        Value::String(_) | Value::Array(_) => write_bytes(step).map(Step::Write),
        Value::Object(obj) => {
            if let Some(ms) = obj.get("pause_ms").and_then(Value::as_u64) {
                Ok(Step::Pause(Duration::from_millis(ms)))
            } else if obj.get("end") == Some(&Value::Bool(true)) {
                Ok(Step::End)
            } else if obj.get("reset") == Some(&Value::Bool(true)) {
                Ok(Step::Reset)
            } else {
                Err(format!("bad step {step}"))
            }
        }
        _ => Err(format!("bad step {step}")),
    }
}

/// What the scenario server saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub connections: usize,
    /// Every complete request: the connection it came on (from 1) and its bytes.
    pub requests: Vec<(usize, Vec<u8>)>,
}

/// A scenario server on 127.0.0.1; stops accepting when dropped.
pub struct ScenarioServer {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
}

impl ScenarioServer {
    /// Listens on a free loopback port and answers every request on every connection with `steps`.
    pub fn start(steps: Vec<Step>) -> ScenarioServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the scenario server");
        let addr = listener.local_addr().expect("scenario server address");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let steps = Arc::new(steps);
        {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let connection = {
                        let mut seen = seen.lock().expect("seen");
                        seen.connections += 1;
                        seen.connections
                    };
                    let (seen, steps) = (Arc::clone(&seen), Arc::clone(&steps));
                    thread::spawn(move || serve_connection(stream, connection, &steps, &seen));
                }
            });
        }
        ScenarioServer { addr, seen, stop }
    }

    /// What it saw so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for ScenarioServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads requests until the client closes, answering each with `steps`.
fn serve_connection(mut stream: TcpStream, connection: usize, steps: &[Step], seen: &Mutex<Seen>) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(len) = request_length(&buf) {
            let request: Vec<u8> = buf.drain(..len).collect();
            seen.lock()
                .expect("seen")
                .requests
                .push((connection, request));
            for step in steps {
                match step {
                    // A failed write means the client is gone; the reads below see it.
                    Step::Write(bytes) => {
                        let _ = stream.write_all(bytes);
                    }
                    Step::Pause(pause) => thread::sleep(*pause),
                    Step::End => {
                        let _ = stream.shutdown(Shutdown::Write);
                    }
                    Step::Reset => {
                        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                        return;
                    }
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// How many bytes of `buf` make one whole request (a head, then a Content-Length or chunked
/// body), or `None` while it is incomplete. The clients under test send nothing else.
fn request_length(buf: &[u8]) -> Option<usize> {
    let head_end = find(buf, b"\r\n\r\n", 0)? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    if let Some(length) = header("content-length") {
        let end = head_end + length.parse::<usize>().ok()?;
        return (buf.len() >= end).then_some(end);
    }
    if header("transfer-encoding") != Some("chunked") {
        return Some(head_end);
    }
    let mut at = head_end;
    loop {
        let line_end = find(buf, b"\r\n", at)?;
        let size_line = String::from_utf8_lossy(&buf[at..line_end]);
        let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(find(buf, b"\r\n\r\n", line_end)? + 4);
        }
        at = line_end + 2 + size + 2;
        if buf.len() < at {
            return None;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
}

/// A loopback port nothing listens on: one the system just handed out, closed again.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind for a free port");
    listener.local_addr().expect("address").port()
}

/// What a client run produced: its JSON lines and, if it failed, its `CODE: message`.
#[derive(Debug, Clone)]
pub struct ClientOutcome {
    pub lines: Vec<String>,
    pub error: Option<String>,
}

/// The golden text of a scenario (the same as `record_client.js` writes): the JSON lines, the
/// error, then (for scenario servers, `seen`) the connection count and every request's bytes.
/// Everything that differs from run to run is masked: `127.0.0.1:PORT` and `Date` values.
pub fn golden_text(outcome: &ClientOutcome, port: u16, seen: Option<&Seen>) -> String {
    let mask =
        |text: &str| mask_dates(&text.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:<PORT>"));
    let mut text = String::from("responses:\n");
    for line in &outcome.lines {
        let masked = mask(line);
        let chars = masked.encode_utf16().count();
        if chars > MAX_LINE {
            text.push_str(&format!(
                "<{chars} chars, fnv1a {:08x}>\n",
                fnv1a(masked.as_bytes())
            ));
        } else {
            text.push_str(&masked);
            text.push('\n');
        }
    }
    let error = outcome.error.as_deref().map_or("none".to_owned(), mask);
    text.push_str(&format!("error: {error}\n"));
    if let Some(seen) = seen {
        text.push_str(&format!("connections: {}\n", seen.connections));
        for (i, (connection, bytes)) in seen.requests.iter().enumerate() {
            text.push_str(&format!("request {} on connection {connection}:\n", i + 1));
            text.push_str(&mask(&render(bytes)));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    text
}

/// Replaces the value of every `"date":"…"` and `"Date","…"` in JSON text (a response's
/// `headers` and `rawHeaders`) with `<DATE>`.
fn mask_dates(json: &str) -> String {
    let mut out = json.to_owned();
    for mark in ["\"date\":\"", "\"Date\",\""] {
        let mut from = 0;
        while let Some(at) = out[from..].find(mark) {
            let value_start = from + at + mark.len();
            let Some(len) = out[value_start..].find('"') else {
                break;
            };
            out.replace_range(value_start..value_start + len, "<DATE>");
            from = value_start + "<DATE>".len();
        }
    }
    out
}

/// 32-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
