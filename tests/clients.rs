//! Real clients against `nodehttp serve`: curl and Node's own `http` client must see exactly what
//! they see from the Node reference (`node_echo.js`), after `Date` and port normalization.
//! Each test is skipped with a notice when its client, or `node` for the reference, is missing.

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use support::golden::normalize_date;
use support::serve::Serve;

/// curl invocations: (name, arguments before the URL paths, URL paths, stdin).
/// `%{num_connects}` is 0 for a transfer that reused the previous connection.
const CURL_CASES: &[(&str, &[&str], &[&str], &str)] = &[
    ("get", &["-H", "X-Test: a"], &["/get?x=1"], ""),
    ("head", &["-I"], &["/set-cookie"], ""),
    (
        "post",
        &["--data-binary", "hello body"],
        &["/status/201"],
        "",
    ),
    (
        "chunked-upload",
        &["-H", "Transfer-Encoding: chunked", "--data-binary", "@-"],
        &["/chunked"],
        "streamed through stdin",
    ),
    (
        "keep-alive-reuse",
        &["-w", "[connects=%{num_connects}]\n"],
        &["/ka/1", "/trailers", "/ka/3"],
        "",
    ),
    ("close", &[], &["/close"], ""),
];

#[test]
fn curl_sees_what_it_sees_from_node() {
    if !available("curl", "--version") {
        eprintln!("notice: `curl` is not on PATH; skipping");
        return;
    }
    let Some(node) = Serve::node_echo() else {
        return;
    };
    let ours = Serve::start(&[]);
    let mut failures = Vec::new();
    for (name, args, paths, stdin) in CURL_CASES {
        let curl = |addr: SocketAddr| {
            let mut cmd = Command::new("curl");
            cmd.args(["-s", "-i", "--max-time", "10"]).args(*args);
            cmd.args(paths.iter().map(|p| format!("http://{addr}{p}")));
            normalize(&run(cmd, stdin), addr)
        };
        let (expected, actual) = (curl(node.addr), curl(ours.addr));
        if expected != actual {
            failures.push(format!(
                "curl {name}:\n--- node\n{expected}\n--- nodehttp\n{actual}"
            ));
        } else if *name == "keep-alive-reuse" && actual.matches("[connects=0]").count() != 2 {
            failures.push(format!(
                "curl {name}: the connection was not reused:\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn node_http_client_sees_what_it_sees_from_node() {
    let Some(node) = Serve::node_echo() else {
        return;
    };
    let ours = Serve::start(&[]);
    let client = |addr: SocketAddr| {
        let mut cmd = Command::new("node");
        cmd.arg(support::tests_dir().join("node/client.js"))
            .arg(addr.port().to_string());
        String::from_utf8_lossy(&run(cmd, "")).into_owned()
    };
    let (expected, actual) = (client(node.addr), client(ours.addr));
    assert_eq!(
        actual, expected,
        "Node's http client saw a different exchange from nodehttp (left) than from node_echo.js (right)"
    );
    // Equal to the reference, and the reference shows the Agent reusing its socket.
    assert_eq!(
        actual.matches("\"reusedSocket\": true").count(),
        2,
        "{actual}"
    );
}

fn available(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a client to completion with `stdin` as its input; returns its stdout.
fn run(mut cmd: Command, stdin: &str) -> Vec<u8> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {shown}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    input
        .write_all(stdin.as_bytes())
        .expect("writing client stdin");
    drop(input);
    let output = child.wait_with_output().expect("client output");
    assert!(
        output.status.success(),
        "{shown} failed: {:?}",
        output.status
    );
    output.stdout
}

/// Makes two servers' transcripts comparable text: fixed `Date:` values, `PORT` for the port.
/// Bytes are shown as latin1 so that any byte survives.
fn normalize(transcript: &[u8], addr: SocketAddr) -> String {
    let text: String = normalize_date(transcript)
        .iter()
        .map(|&b| char::from(b))
        .collect();
    text.replace(&addr.to_string(), "127.0.0.1:PORT")
}
