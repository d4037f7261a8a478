//! `nodehttp serve --proxy` as a process: a `CONNECT` tunnelling proxy (Node's
//! documented example) in front of a second `nodehttp serve`, driven by
//! `curl -p -x` and by Node's own client. What comes back through the tunnel
//! must be what the target serves directly.

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, Output, Stdio};

use support::serve::{node_or_notice, Serve};

/// What the proxy answers a `CONNECT` once the target connected (Node's
/// example).
const ESTABLISHED: &str =
    "HTTP/1.1 200 Connection Established\r\nProxy-agent: Node.js-Proxy\r\n\r\n";

/// Runs `program args`, with no stdin; `None` with a notice when the program
/// is not installed.
fn run(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => Some(output),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("notice: `{program}` is not on PATH; skipping this test");
            None
        }
        Err(err) => panic!("running {program}: {err}"),
    }
}

/// `text` with its `Date` header lines removed (they vary).
fn without_date(text: &str) -> String {
    let lines: Vec<&str> = text
        .split("\r\n")
        .filter(|line| !line.starts_with("Date: "))
        .collect();
    lines.join("\r\n")
}

/// curl through the proxy (`-p`: a `CONNECT` tunnel, then `GET /x` through
/// it) prints Node's `200 Connection Established` and then exactly what curl
/// gets from the target directly.
#[test]
fn curl_through_the_proxy_gets_what_the_target_serves() {
    let target = Serve::start(&[]);
    let proxy = Serve::start(&["--proxy"]);
    let url = format!("http://{}/x", target.addr);
    let proxy_url = format!("http://{}", proxy.addr);
    let curl = |extra: &[&str]| {
        let mut args = vec!["-s", "-S", "-i", "--max-time", "10"];
        args.extend_from_slice(extra);
        args.push(&url);
        run("curl", &args).map(|output| {
            assert!(output.status.success(), "curl {extra:?}: {output:?}");
            String::from_utf8_lossy(&output.stdout).into_owned()
        })
    };
    let Some(direct) = curl(&[]) else { return };
    let tunnelled = curl(&["-p", "-x", &proxy_url]).expect("curl ran a moment ago");

    assert!(direct.starts_with("HTTP/1.1 200 OK\r\n"), "{direct}");
    assert!(direct.contains(r#""url":"/x""#), "{direct}");
    let rest = tunnelled
        .strip_prefix(ESTABLISHED)
        .unwrap_or_else(|| panic!("no tunnel established: {tunnelled}"));
    assert_eq!(without_date(rest), without_date(&direct));
    for server in [proxy, target] {
        let (status, _) = server.stop_with("TERM");
        assert!(status.success(), "exit status {status:?}");
    }
}

/// Node's client: `http.request({method: 'CONNECT'})` to the proxy, then
/// `http.get` on the tunnel's socket (`tests/node/connect_client.js`); the
/// response equals the one Node's client gets from the target directly.
#[test]
fn node_client_through_the_proxy_gets_what_the_target_serves() {
    if !node_or_notice() {
        return;
    }
    let target = Serve::start(&[]);
    let proxy = Serve::start(&["--proxy"]);
    let script = support::tests_dir().join("node/connect_client.js");
    let output = run(
        "node",
        &[
            script.to_str().expect("a UTF-8 path"),
            &proxy.addr.port().to_string(),
            &target.addr.port().to_string(),
        ],
    )
    .expect("node ran a moment ago");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    let [direct, tunnelled] = lines[..] else {
        panic!("expected two lines: {stdout}");
    };
    let direct_json: serde_json::Value = serde_json::from_str(direct).expect("JSON");
    assert_eq!(direct_json["statusCode"], 200, "{direct}");
    assert!(direct.contains(r#"\"url\":\"/x\""#), "{direct}");
    assert_eq!(tunnelled, direct);
    for server in [proxy, target] {
        let (status, _) = server.stop_with("TERM");
        assert!(status.success(), "exit status {status:?}");
    }
}
