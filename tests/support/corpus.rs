//! The corpus: `tests/corpus/*.json`, each an array of cases (format in `tests/README.md`).

use serde_json::Value;
use std::fs;
use std::time::Duration;

/// One corpus case: a name (also its golden file's name) and what the client does.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
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
        let entries: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for entry in entries {
            let case =
                parse_case(&entry).unwrap_or_else(|e| panic!("{}: {e}: {entry}", file.display()));
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

fn parse_case(entry: &Value) -> Result<Case, String> {
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
    Ok(Case {
        name: name.to_owned(),
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
fn write_bytes(step: &Value) -> Result<Vec<u8>, String> {
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
