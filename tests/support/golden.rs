//! Golden files: `tests/golden/<case>.txt`, recorded from Node by `node tests/node/record.js`.
//!
//! A golden file is `closed: eof|reset|open` on its first line, then the response bytes rendered
//! by [`render`] after [`normalize_date`]. The same rendering lives in `record.js`.

use super::corpus::{load_corpus, Case, ServerOptions};
use super::exchange::{exchange, Outcome};
use super::serve::Serve;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

/// Cases replayed at once, each on its own connection (as `record.js` does).
const CONCURRENCY: usize = 6;
/// What replaces every `Date:` header value.
const DATE_TOKEN: &[u8] = b"<DATE>";

/// Replaces the value of every `\r\nDate: ` header line with a fixed token; nothing else changes.
pub fn normalize_date(bytes: &[u8]) -> Vec<u8> {
    const MARK: &[u8] = b"\r\nDate: ";
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = find(rest, MARK) {
        let value_start = at + MARK.len();
        let Some(value_len) = find(&rest[value_start..], b"\r\n") else {
            break;
        };
        out.extend_from_slice(&rest[..value_start]);
        out.extend_from_slice(DATE_TOKEN);
        rest = &rest[value_start + value_len..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Renders bytes as readable, unambiguous text: printable ASCII as is, `\\`, `\r`, `\t`, `\n`,
/// and every other byte (controls, all bytes >= 0x80) as `\xHH`. Real line breaks carry no data:
/// one follows every `\n`, and one precedes an `HTTP/1.` that would not start a line (a response
/// following a body), so pipelined responses each start a line.
pub fn render(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for (i, &b) in bytes.iter().enumerate() {
        if !out.is_empty() && !out.ends_with('\n') && bytes[i..].starts_with(b"HTTP/1.") {
            out.push('\n');
        }
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

/// The golden file text of one outcome.
pub fn golden_text(outcome: &Outcome) -> String {
    let mut text = format!("closed: {}\n", outcome.closed);
    text.push_str(&render(&normalize_date(&outcome.bytes)));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn golden_dir() -> PathBuf {
    super::tests_dir().join("golden")
}

/// Replays every case against the server `addr_of` names for it, `CONCURRENCY` at a time,
/// returning outcomes in case order.
pub fn replay_all(cases: &[Case], addr_of: impl Fn(&Case) -> SocketAddr + Sync) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    thread::scope(|scope| {
        for _ in 0..CONCURRENCY {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let outcome = exchange(addr_of(case), case);
                results.lock().expect("results")[i] = Some(outcome);
            });
        }
    });
    results
        .into_inner()
        .expect("results")
        .into_iter()
        .map(|o| o.expect("every case replayed"))
        .collect()
}

/// Replays the whole corpus and compares each case with its golden file. `start` starts a server
/// configured with the given options; it is called once per distinct option set in the corpus,
/// and all those servers run at once (as in `record.js`). Panics listing every failing case (not
/// only the first). The actual outputs are written under `$CARGO_TARGET_TMPDIR/<label>/` so
/// `diff -ru tests/golden <that dir>` shows everything.
pub fn check_corpus(label: &str, start: impl Fn(&ServerOptions) -> Serve) {
    let cases = load_corpus();
    let mut servers: BTreeMap<&ServerOptions, Serve> = BTreeMap::new();
    for case in &cases {
        if !servers.contains_key(&case.options) {
            servers.insert(&case.options, start(&case.options));
        }
    }
    let outcomes = replay_all(&cases, |case| servers[&case.options].addr);
    let actual_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(label);
    let _ = fs::remove_dir_all(&actual_dir);
    fs::create_dir_all(&actual_dir).expect("create actual-output dir");

    let mut failures = Vec::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let actual = golden_text(outcome);
        let file = format!("{}.txt", case.name);
        fs::write(actual_dir.join(&file), &actual).expect("write actual output");
        match fs::read_to_string(golden_dir().join(&file)) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(mismatch(&case.name, &expected, &actual)),
            Err(e) => failures.push(format!("case {}: no golden file ({e})", case.name)),
        }
    }
    failures.extend(stale_goldens(&cases));

    assert!(
        failures.is_empty(),
        "{label}: {} problem(s) over {} cases against tests/golden (regenerate goldens with \
         `node tests/node/record.js`; full outputs: diff -ru tests/golden {}):\n\n{}",
        failures.len(),
        cases.len(),
        actual_dir.display(),
        failures.join("\n")
    );
}

/// Golden files with no case: a renamed or deleted case whose golden was left behind.
fn stale_goldens(cases: &[Case]) -> Vec<String> {
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let Ok(entries) = fs::read_dir(golden_dir()) else {
        return vec!["tests/golden is missing".into()];
    };
    let mut stale: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".txt").map(str::to_owned))
        .filter(|name| !names.contains(name.as_str()))
        .map(|name| format!("golden {name}.txt has no corpus case"))
        .collect();
    stale.sort();
    stale
}

/// A readable report of one mismatch: the first differing line with a little context.
fn mismatch(name: &str, expected: &str, actual: &str) -> String {
    const CONTEXT: usize = 2;
    const MAX_LINE: usize = 300;
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let first = exp
        .iter()
        .zip(&act)
        .position(|(e, a)| e != a)
        .unwrap_or(exp.len().min(act.len()));
    let clip = |line: &str| -> String {
        match line.char_indices().nth(MAX_LINE) {
            Some((at, _)) => format!("{}…", &line[..at]),
            None => line.to_owned(),
        }
    };
    let mut out = format!("case {name}: differs at line {}\n", first + 1);
    let from = first.saturating_sub(CONTEXT);
    for line in &exp[from..first] {
        let _ = writeln!(out, "    {}", clip(line));
    }
    for line in exp.iter().skip(first).take(CONTEXT + 1) {
        let _ = writeln!(out, "  - {}", clip(line));
    }
    for line in act.iter().skip(first).take(CONTEXT + 1) {
        let _ = writeln!(out, "  + {}", clip(line));
    }
    out
}
