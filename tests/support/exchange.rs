//! Replays one case over a real TCP connection and reports what came back.

use super::corpus::{Case, Step};
use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Pause before every step but the first, so each write lands in its own server read
/// (Node's "same read" rules, e.g. bytes after `Connection: close`, depend on it).
pub const GAP: Duration = Duration::from_millis(50);
/// Hard cap on one exchange.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection ended, as the client saw it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The server closed (FIN): a read returned end of stream.
    Eof,
    /// The server reset the connection (RST).
    Reset,
    /// Still open when the exchange went quiet.
    Open,
    /// Any other socket error, by its kind.
    Error(String),
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Closed::Eof => f.write_str("eof"),
            Closed::Reset => f.write_str("reset"),
            Closed::Open => f.write_str("open"),
            Closed::Error(kind) => write!(f, "error {kind}"),
        }
    }
}

/// What one exchange produced: the raw response bytes and how the connection ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub bytes: Vec<u8>,
    pub closed: Closed,
}

/// State shared by the sending thread and the reading thread. Once `closed` is set, nothing more
/// is recorded: the first terminal event wins.
struct Shared {
    bytes: Vec<u8>,
    last_activity: Instant,
    closed: Option<Closed>,
}

/// Connects to `addr`, runs the case's steps and collects everything the server sends until it
/// closes or the connection stays quiet for the case's `quiet` period. A dedicated thread reads all
/// the time, so response bytes are consumed as they arrive (as Node's client does), even while we
/// pause.
pub fn exchange(addr: SocketAddr, case: &Case) -> Outcome {
    let stream = TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("{}: connect to {addr}: {e}", case.name));
    // Ignored on failure: it only affects how quickly small writes leave.
    let _ = stream.set_nodelay(true);
    let shared = Arc::new(Mutex::new(Shared {
        bytes: Vec::new(),
        last_activity: Instant::now(),
        closed: None,
    }));
    let reader = {
        let mut stream = stream.try_clone().expect("clone TcpStream");
        let shared = Arc::clone(&shared);
        thread::spawn(move || read_until_closed(&mut stream, &shared))
    };
    send_steps(&stream, &case.steps, &shared);
    wait_until_closed_or_quiet(&shared, case.quiet);
    // Unblocks the reader; its end of stream is not recorded because `closed` is already set.
    let _ = stream.shutdown(Shutdown::Both);
    reader.join().expect("reader thread");
    let mut shared = shared.lock().expect("exchange state");
    Outcome {
        bytes: std::mem::take(&mut shared.bytes),
        closed: shared.closed.clone().unwrap_or(Closed::Open),
    }
}

fn read_until_closed(stream: &mut TcpStream, shared: &Mutex<Shared>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let result = stream.read(&mut buf);
        let mut state = shared.lock().expect("exchange state");
        if state.closed.is_some() {
            return;
        }
        match result {
            Ok(0) => state.closed = Some(Closed::Eof),
            Ok(n) => {
                state.bytes.extend_from_slice(&buf[..n]);
                state.last_activity = Instant::now();
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => state.closed = Some(Closed::Reset),
            Err(e) => state.closed = Some(Closed::Error(format!("{:?}", e.kind()))),
        }
        return;
    }
}

/// Runs the steps, stopping early once the server has closed (later writes could only fail).
fn send_steps(mut stream: &TcpStream, steps: &[Step], shared: &Mutex<Shared>) {
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            thread::sleep(GAP);
        }
        if shared.lock().expect("exchange state").closed.is_some() {
            return;
        }
        let sent = match step {
            Step::Write(bytes) => stream.write_all(bytes),
            Step::Pause(pause) => {
                thread::sleep(*pause);
                Ok(())
            }
            Step::HalfClose => stream.shutdown(Shutdown::Write),
        };
        shared.lock().expect("exchange state").last_activity = Instant::now();
        // A failed write means the server is gone; the reader records how.
        if sent.is_err() {
            return;
        }
    }
}

fn wait_until_closed_or_quiet(shared: &Mutex<Shared>, quiet_period: Duration) {
    let started = Instant::now();
    loop {
        {
            let mut state = shared.lock().expect("exchange state");
            let quiet = state.last_activity.elapsed() >= quiet_period;
            if state.closed.is_some() {
                return;
            }
            if quiet || started.elapsed() >= CASE_TIMEOUT {
                state.closed = Some(Closed::Open);
                return;
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
}
