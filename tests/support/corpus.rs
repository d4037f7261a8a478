//! The corpus: `tests/corpus/*.json`, each an array of cases or `{"options": {...}, "cases": [...]}`
//! (format in `tests/README.md`).

use serde_json::{Map, Value};
use std::fs;
use std::time::Duration;

/// How long an exchange may stay quiet before it ends, unless the case sets `quiet_ms`.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(300);

/// One corpus case: a name (also its golden file's name), the server options it runs under and
/// what the client does.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub options: ServerOptions,
    /// The exchange ends once nothing was sent or received for this long (`quiet_ms`).
    pub quiet: Duration,
    pub steps: Vec<Step>,
}

/// One client action. Before every step but the first the client waits `exchange::GAP`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Bytes sent with one `write`.
    Write(Vec<u8>),
    /// An extra pause.
    Pause(Duration),
    /// Shut down the client's write side (TCP FIN), still reading.
    HalfClose,
}

/// The server options a corpus file names, by Node's names; unset means Node's default (as
/// configured in `node_echo.js`). `record.js` applies them to Node through
/// `node_echo_options.js`; [`ServerOptions::serve_args`] gives the matching `nodehttp serve` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerOptions {
    /// `insecureHTTPParser`.
    pub insecure_http_parser: bool,
    /// `maxHeaderSize`.
    pub max_header_size: Option<u64>,
    /// `server.maxHeadersCount`.
    pub max_headers_count: Option<u64>,
    /// `server.keepAliveTimeout`, in ms.
    pub keep_alive_timeout: Option<u64>,
}

impl ServerOptions {
    /// Whether these are the defaults, served by `node_echo.js` itself.
    pub fn is_default(&self) -> bool {
        *self == ServerOptions::default()
    }

    /// The `nodehttp serve` flags that configure the same server.
    pub fn serve_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.insecure_http_parser {
            args.push("--insecure-http-parser".to_owned());
        }
        let numbers = [
            ("--max-header-size", self.max_header_size),
            ("--max-headers-count", self.max_headers_count),
            ("--keep-alive-timeout", self.keep_alive_timeout),
        ];
        for (flag, value) in numbers {
            if let Some(value) = value {
                args.extend([flag.to_owned(), value.to_string()]);
            }
        }
        args
    }

    /// The JSON argument of `node_echo_options.js` (Node's option names).
    pub fn node_json(&self) -> String {
        let mut json = Map::new();
        if self.insecure_http_parser {
            json.insert("insecureHTTPParser".into(), Value::Bool(true));
        }
        let numbers = [
            ("maxHeaderSize", self.max_header_size),
            ("maxHeadersCount", self.max_headers_count),
            ("keepAliveTimeout", self.keep_alive_timeout),
        ];
        for (name, value) in numbers {
            if let Some(value) = value {
                json.insert(name.into(), Value::from(value));
            }
        }
        Value::Object(json).to_string()
    }

    /// Parses a corpus file's `options` object; unknown names are errors, so a typo cannot
    /// silently run cases under the defaults.
    fn parse(options: &Value) -> Result<ServerOptions, String> {
        let obj = options.as_object().ok_or("options must be an object")?;
        let mut parsed = ServerOptions::default();
        for (name, value) in obj {
            let bad = || format!("bad option {name}: {value}");
            match name.as_str() {
                "insecureHTTPParser" => {
                    parsed.insecure_http_parser = value.as_bool().ok_or_else(bad)?
                }
                "maxHeaderSize" => parsed.max_header_size = Some(value.as_u64().ok_or_else(bad)?),
                "maxHeadersCount" => {
                    parsed.max_headers_count = Some(value.as_u64().ok_or_else(bad)?)
                }
                "keepAliveTimeout" => {
                    parsed.keep_alive_timeout = Some(value.as_u64().ok_or_else(bad)?)
                }
                _ => return Err(format!("unknown option {name}")),
            }
        }
        Ok(parsed)
    }
}

/// Loads every case of `tests/corpus/*.json`, files in name order, cases in file order.
/// Panics with the file and case name on any malformed entry: the corpus is test input we own.
pub fn load_corpus() -> Vec<Case> {
    let dir = super::tests_dir().join("corpus");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases: Vec<Case> = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("corpus file is UTF-8");
        let content: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (options, entries) =
            split_file(&content).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for entry in entries {
            let case = parse_case(entry, &options)
                .unwrap_or_else(|e| panic!("{}: {e}: {entry}", file.display()));
            assert!(
                cases.iter().all(|c| c.name != case.name),
                "{}: duplicate case name {}",
                file.display(),
                case.name
            );
            cases.push(case);
        }
    }
    cases
}

/// A file's options and cases: a bare array runs under the defaults.
fn split_file(content: &Value) -> Result<(ServerOptions, &[Value]), String> {
    if let Value::Array(cases) = content {
        return Ok((ServerOptions::default(), cases));
    }
    let cases = content["cases"]
        .as_array()
        .ok_or("neither an array of cases nor {\"options\", \"cases\"}")?;
    let options = match content.get("options") {
        Some(options) => ServerOptions::parse(options)?,
        None => ServerOptions::default(),
    };
    Ok((options, cases))
}

fn parse_case(entry: &Value, options: &ServerOptions) -> Result<Case, String> {
    let name = entry["name"].as_str().ok_or("case without a name")?;
    let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        return Err(format!("bad case name {name:?}"));
    }
    let send = entry["send"].as_array().ok_or("case without send")?;
    if send.is_empty() {
        return Err("empty send".into());
    }
    let steps = send.iter().map(parse_step).collect::<Result<_, _>>()?;
    let quiet = match entry.get("quiet_ms") {
        None => DEFAULT_QUIET,
        Some(ms) => match ms.as_u64() {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => return Err(format!("bad quiet_ms {ms}")),
        },
    };
    Ok(Case {
        name: name.to_owned(),
        options: options.clone(),
        quiet,
        steps,
    })
}

fn parse_step(step: &Value) -> Result<Step, String> {
    match step {
        Value::String(_) | Value::Array(_) => write_bytes(step).map(Step::Write),
        Value::Object(obj) => {
            if let Some(ms) = obj.get("pause_ms").and_then(Value::as_u64) {
                Ok(Step::Pause(Duration::from_millis(ms)))
            } else if obj.get("half_close") == Some(&Value::Bool(true)) {
                Ok(Step::HalfClose)
            } else {
                Err(format!("bad step {step}"))
            }
        }
        _ => Err(format!("bad step {step}")),
    }
}

/// A write step: a string, or an array of strings and `{"repeat": s, "times": n}` parts.
pub fn write_bytes(step: &Value) -> Result<Vec<u8>, String> {
    let parts = match step {
        Value::Array(parts) => parts.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut bytes = Vec::new();
    for part in parts {
        match part {
            Value::String(s) => bytes.extend(latin1_bytes(s)?),
            Value::Object(obj) => {
                let repeat = obj.get("repeat").and_then(Value::as_str);
                let times = obj.get("times").and_then(Value::as_u64);
                let (Some(repeat), Some(times)) = (repeat, times) else {
                    return Err(format!("bad write part {part}"));
                };
                let unit = latin1_bytes(repeat)?;
                for _ in 0..times {
                    bytes.extend_from_slice(&unit);
                }
            }
            _ => return Err(format!("bad write part {part}")),
        }
    }
    Ok(bytes)
}

/// Each code point of a corpus string is one byte, so it must be at most U+00FF.
fn latin1_bytes(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c)).map_err(|_| format!("code point above U+00FF in {s:?}"))
        })
        .collect()
}
