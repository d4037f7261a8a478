//! `server.timeout` and `server.headersTimeout` over real TCP, as Node v12's
//! documentation states them (Node v20 changed both: there is no golden to
//! record, so these assert the documented behaviour with short values).

#[path = "support/mod.rs"]
mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::serve::Serve;

/// Waits for the server to close the connection; returns how long it took,
/// or `None` if it was still open after `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    let mut buf = [0u8; 4096];
    while start.elapsed() < within {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

#[test]
fn an_inactive_socket_is_destroyed_after_server_timeout() {
    let server = Serve::start(&["--timeout", "300"]);
    let mut silent = TcpStream::connect(server.addr).expect("connect");
    let mut partial = TcpStream::connect(server.addr).expect("connect");
    partial.write_all(b"GET / HTTP/1.1\r\nHo").expect("send");
    let waited = closed_within(&mut silent, Duration::from_secs(5));
    assert!(
        waited.is_some_and(|d| d >= Duration::from_millis(250)),
        "{waited:?}"
    );
    assert!(closed_within(&mut partial, Duration::from_secs(5)).is_some());
}

#[test]
fn activity_keeps_a_socket_alive_past_server_timeout() {
    let server = Serve::start(&["--timeout", "400"]);
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    // A byte every 150 ms for 900 ms: never 400 ms without activity.
    for byte in b"GET / H" {
        stream.write_all(&[*byte]).expect("send");
        std::thread::sleep(Duration::from_millis(150));
    }
    stream.write_all(b"TTP/1.1\r\n\r\n").expect("send");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut buf = [0u8; 12];
    stream.read_exact(&mut buf).expect("a response");
    assert_eq!(&buf, b"HTTP/1.1 200");
}

#[test]
fn a_head_trickling_in_is_cut_off_by_headers_timeout() {
    let server = Serve::start(&["--headers-timeout", "500"]);
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    let start = Instant::now();
    let mut cut = false;
    // A slowloris: a valid start, then a header byte every 100 ms, never
    // finishing the head (and never idle long enough for server.timeout).
    stream
        .write_all(b"GET / HTTP/1.1\r\nX-Slow: ")
        .expect("send");
    for _ in 0..40 {
        if stream.write_all(b"a").is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() > Duration::from_millis(700)
            && closed_within(&mut stream, Duration::from_millis(100)).is_some()
        {
            cut = true;
            break;
        }
    }
    assert!(
        cut,
        "the server kept reading a head for {:?}",
        start.elapsed()
    );

    // A connection that sends nothing falls under server.timeout (120 s), not headersTimeout.
    let mut silent = TcpStream::connect(server.addr).expect("connect");
    assert_eq!(closed_within(&mut silent, Duration::from_millis(900)), None);
}
