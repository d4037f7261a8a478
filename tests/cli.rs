//! The `nodehttp serve` command line: its one stdout line, its exit on SIGTERM/SIGINT, `--hello`.

#[path = "support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::serve::Serve;

/// Sends one request with `Connection: close` and returns the whole response.
fn fetch(server: &Serve, request: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    response
}

#[test]
fn serve_prints_exactly_one_line_with_the_actual_address() {
    let server = Serve::start(&[]);
    assert_ne!(server.addr.port(), 0, "the line must name the bound port");
    assert_eq!(server.first_line, format!("listening on {}", server.addr));
    let response = fetch(&server, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let (status, rest) = server.stop_with("TERM");
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(rest, "", "nothing but the listening line goes to stdout");
}

#[test]
fn sigterm_exits_with_status_0() {
    let server = Serve::start(&[]);
    let (status, _) = server.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
}

#[test]
fn sigint_exits_with_status_0() {
    let server = Serve::start(&[]);
    let (status, _) = server.stop_with("INT");
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
}

#[test]
fn sigterm_with_an_open_connection_exits_with_status_0() {
    let server = Serve::start(&[]);
    let mut idle = TcpStream::connect(server.addr).expect("connect");
    idle.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
    let mut head = [0u8; 17];
    idle.read_exact(&mut head).expect("response starts");
    assert_eq!(&head, b"HTTP/1.1 200 OK\r\n");
    let (status, _) = server.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
}

#[test]
fn hello_answers_200_text_plain_hello_world() {
    let server = Serve::start(&["--hello"]);
    let response = fetch(&server, "GET /any HTTP/1.1\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let mut lines = head.split("\r\n");
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"), "{text}");
    let content_type = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim());
    assert_eq!(
        content_type.and_then(|v| v.split(';').next()),
        Some("text/plain"),
        "{text}"
    );
    // Content-Length framing, or chunked with a single chunk.
    assert!(
        body == "hello world" || body == "b\r\nhello world\r\n0\r\n\r\n",
        "{text}"
    );
}

#[test]
fn a_port_in_use_is_nodes_eaddrinuse_and_exit_status_1() {
    let first = Serve::start(&[]);
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_nodehttp"))
        .args(["serve", "--listen", &first.addr.to_string()])
        .output()
        .expect("run nodehttp");
    assert_eq!(second.status.code(), Some(1));
    assert!(second.stdout.is_empty(), "no listening line");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "listen EADDRINUSE: address already in use {}",
            first.addr
        )),
        "{stderr}"
    );
}
