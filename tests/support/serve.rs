//! Starting and stopping the server under test: `nodehttp serve` or the Node reference.

use super::corpus::ServerOptions;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a server may take to print its `listening on` line (the first start compiles the
/// guest component).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a signalled server may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server process, killed on drop.
pub struct Serve {
    child: Child,
    /// The address it listens on, from its first stdout line.
    pub addr: SocketAddr,
    /// Its first stdout line, without the line end.
    pub first_line: String,
    /// Collects the rest of stdout until the process exits.
    rest: Option<JoinHandle<String>>,
}

impl Serve {
    /// Starts `nodehttp serve --listen 127.0.0.1:0 ARGS`; its first stdout line must be exactly
    /// `listening on 127.0.0.1:PORT`.
    pub fn start(args: &[&str]) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nodehttp"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(args);
        Serve::spawn(cmd, |line| line.strip_prefix("listening on ")?.parse().ok())
    }

    /// Starts the reference with the default options, `node tests/node/node_echo.js 0`, or
    /// returns `None` with a printed notice when `node` is not on PATH.
    pub fn node_echo() -> Option<Serve> {
        node_or_notice().then(|| Serve::node_echo_with(&ServerOptions::default()))
    }

    /// Starts the reference configured with `options`: `node_echo.js 0` for the defaults (the
    /// verbatim reference), `node_echo_options.js 0 OPTIONS_JSON` otherwise. Both print
    /// `listening on PORT`. Needs `node` on PATH (see [`node_or_notice`]).
    pub fn node_echo_with(options: &ServerOptions) -> Serve {
        let node_dir = super::tests_dir().join("node");
        let mut cmd = Command::new("node");
        if options.is_default() {
            cmd.arg(node_dir.join("node_echo.js")).arg("0");
        } else {
            cmd.arg(node_dir.join("node_echo_options.js"))
                .arg("0")
                .arg(options.node_json());
        }
        Serve::spawn(cmd, |line| {
            let port: u16 = line.strip_prefix("listening on ")?.parse().ok()?;
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        })
    }

    fn spawn(mut cmd: Command, parse: fn(&str) -> Option<SocketAddr>) -> Serve {
        let shown = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {shown}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (first_tx, first_rx) = mpsc::channel();
        let rest = thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut first = String::new();
            let _ = stdout.read_line(&mut first);
            let _ = first_tx.send(first);
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
            rest
        });
        let line = match first_rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("{shown} printed no line within {START_TIMEOUT:?}");
            }
        };
        let first_line = line.strip_suffix('\n').unwrap_or(&line).to_owned();
        let Some(addr) = parse(&first_line) else {
            let _ = child.kill();
            let status = child.wait();
            panic!("{shown}: unexpected first stdout line {line:?} (exit: {status:?})");
        };
        Serve {
            child,
            addr,
            first_line,
            rest: Some(rest),
        }
    }

    /// Sends `signal` (e.g. `"TERM"`, `"INT"`) with the `kill` command and waits for the process to
    /// exit. Returns its exit status and everything it printed to stdout after the first line.
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill -{signal} {pid} failed");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if started.elapsed() > STOP_TIMEOUT {
                panic!("server did not exit within {STOP_TIMEOUT:?} of SIG{signal}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let rest = self
            .rest
            .take()
            .map(|h| h.join().expect("stdout reader"))
            .unwrap_or_default();
        (status, rest)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `node` can be run; if not, prints a notice that the Node side of the test is skipped.
pub fn node_or_notice() -> bool {
    let available = node_available();
    if !available {
        eprintln!("notice: `node` is not on PATH; skipping the Node side of this test");
    }
    available
}

/// Whether `node` can be run.
pub fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
