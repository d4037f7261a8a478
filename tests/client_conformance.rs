//! The client half against Node's own client: `nodehttp request --json` must print what Node's
//! `http.request` saw for the same scenario (`tests/client_corpus.json`), fail with the same
//! `CODE: message`, and put the same bytes on the wire; the goldens in `tests/golden/client/` are
//! recorded by `tests/node/record_client.js`.
//!
//! * scenario servers (`tests/support/scenario.rs`): scripted raw responses, FIN, RST, a closed
//!   port; the golden also holds the connection count and every request's bytes;
//! * the echo application: `nodehttp request` against `node_echo.js` and against `nodehttp serve`
//!   must both print what Node's client printed against `node_echo.js`;
//! * a self-check re-running `record_client.js --check`, proving the goldens current.

#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use support::scenario::{
    closed_port, golden_text, load_scenarios, ClientOutcome, Scenario, ScenarioServer, ServerKind,
};
use support::serve::{node_or_notice, Serve};

/// Scenarios run at once, each with its own server and `nodehttp` process.
const CONCURRENCY: usize = 4;

/// Every non-echo scenario against the Rust scenario server (or a closed port).
#[test]
fn nodehttp_request_matches_node_client_goldens() {
    let scenarios: Vec<Scenario> = load_scenarios()
        .into_iter()
        .filter(|s| !matches!(s.server, ServerKind::Echo))
        .collect();
    let actual = run_all(&scenarios, |scenario| match &scenario.server {
        ServerKind::Respond(steps) => {
            let server = ScenarioServer::start(steps.clone());
            let port = server.addr.port();
            let outcome = run_cli(scenario, port);
            golden_text(&outcome, port, Some(&server.seen()))
        }
        ServerKind::Refused => {
            let port = closed_port();
            let outcome = run_cli(scenario, port);
            golden_text(&outcome, port, Some(&Default::default()))
        }
        ServerKind::Echo => unreachable!("filtered out above"),
    });
    check("scenarios", &scenarios, &actual);
}

/// The echo scenarios against `nodehttp serve` and, when `node` is installed, `node_echo.js`.
#[test]
fn nodehttp_request_against_echo_servers_matches_node_client_goldens() {
    let scenarios: Vec<Scenario> = load_scenarios()
        .into_iter()
        .filter(|s| matches!(s.server, ServerKind::Echo))
        .collect();
    let ours = Serve::start(&[]);
    let node = Serve::node_echo();
    let mut servers = vec![("echo-nodehttp", &ours)];
    if let Some(node) = &node {
        servers.push(("echo-node", node));
    }
    for (label, server) in servers {
        let port = server.addr.port();
        let actual = run_all(&scenarios, |scenario| {
            golden_text(&run_cli(scenario, port), port, None)
        });
        check(label, &scenarios, &actual);
    }
}

/// Node's client against Node's scenario servers still produces the goldens (skipped without
/// `node`): the goldens are current and deterministic.
#[test]
fn node_client_goldens_are_current() {
    if !node_or_notice() {
        return;
    }
    let output = Command::new("node")
        .arg(support::tests_dir().join("node/record_client.js"))
        .arg("--check")
        .output()
        .expect("running node record_client.js --check");
    assert!(
        output.status.success(),
        "record_client.js --check: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `nodehttp request --json` for `scenario` against `port`: its stdout lines and, when it
/// exits non-zero, its stderr (Node's `CODE: message`). A zero exit with stderr output, or a
/// non-zero one without, is reported as an error line of its own so it cannot match a golden.
fn run_cli(scenario: &Scenario, port: u16) -> ClientOutcome {
    let output = Command::new(env!("CARGO_BIN_EXE_nodehttp"))
        .args(scenario.request.cli_args(port))
        .output()
        .unwrap_or_else(|e| panic!("{}: running nodehttp request: {e}", scenario.name));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.trim_end_matches('\n');
    let error = match (output.status.success(), stderr.is_empty()) {
        (true, true) => None,
        (false, false) => Some(stderr.to_owned()),
        (true, false) => Some(format!("(exit 0 with stderr) {stderr}")),
        (false, true) => Some(format!("(empty stderr, {})", output.status)),
    };
    ClientOutcome {
        lines: stdout.lines().map(str::to_owned).collect(),
        error,
    }
}

/// Runs `run` for every scenario, `CONCURRENCY` at a time; results in scenario order.
fn run_all(scenarios: &[Scenario], run: impl Fn(&Scenario) -> String + Sync) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![String::new(); scenarios.len()]);
    thread::scope(|scope| {
        for _ in 0..CONCURRENCY {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(scenario) = scenarios.get(i) else {
                    break;
                };
                let text = run(scenario);
                results.lock().expect("results")[i] = text;
            });
        }
    });
    results.into_inner().expect("results")
}

/// Compares each scenario's text with its golden, writes every actual text under
/// `$CARGO_TARGET_TMPDIR/client/<label>/` (for `diff -ru tests/golden/client <that dir>`) and
/// panics listing every failing scenario with both texts.
fn check(label: &str, scenarios: &[Scenario], actual: &[String]) {
    let golden_dir = support::tests_dir().join("golden/client");
    let actual_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("client")
        .join(label);
    let _ = fs::remove_dir_all(&actual_dir);
    fs::create_dir_all(&actual_dir).expect("create the actual-output dir");
    let mut failures = Vec::new();
    for (scenario, actual) in scenarios.iter().zip(actual) {
        let file = format!("{}.txt", scenario.name);
        fs::write(actual_dir.join(&file), actual).expect("write actual output");
        match fs::read_to_string(golden_dir.join(&file)) {
            Ok(expected) if expected == *actual => {}
            Ok(expected) => failures.push(format!(
                "scenario {}:\n--- node (golden)\n{}--- nodehttp\n{}",
                scenario.name,
                clip(&expected),
                clip(actual)
            )),
            Err(e) => failures.push(format!("scenario {}: no golden ({e})", scenario.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{label}: {} of {} scenarios differ from Node's client (goldens: node tests/node/record_client.js; \
         all outputs: diff -ru {} {}):\n\n{}",
        failures.len(),
        scenarios.len(),
        golden_dir.display(),
        actual_dir.display(),
        failures.join("\n")
    );
}

/// Long lines cut to keep the report readable (the files under the actual-output dir are whole).
fn clip(text: &str) -> String {
    const MAX: usize = 400;
    text.lines()
        .map(|line| match line.char_indices().nth(MAX) {
            Some((at, _)) => format!("{}…\n", &line[..at]),
            None => format!("{line}\n"),
        })
        .collect()
}
