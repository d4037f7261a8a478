//! Micro-benchmark of the per-request hot path: one keep-alive connection
//! answering `GET /` (Host + a few headers, as `wrk` sends) with
//! `res.setHeader('Content-Type', 'text/plain'); res.end('hello world')`,
//! the way `nodehttp serve --hello` drives the core.
//!
//! Run: `cargo run --release -p nodehttp-core --example hot_path [cycles]`.
//! Prints ns/request and heap allocations/request; the allocations matter
//! more than the time, since in wasm each one is a dlmalloc call.
//!
//! Then a slow peer: a head just under `maxHeaderSize` arriving one byte at
//! a time, parsed statelessly from the start on every byte
//! (`parse_request_head`) and resumed ([`HeadParser`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use nodehttp_core::outgoing::HeaderValue;
use nodehttp_core::parse::{parse_request_head, HeadParser, ParserOptions};
use nodehttp_core::server::{ConnEvent, ServerConfig, ServerConnection};

/// The system allocator, counting allocations (reallocations included).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What `wrk` sends.
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n";
const DATE: &str = "Thu, 26 Nov 2026 21:54:52 GMT";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Thu, 26 Nov 2026 21:54:52 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\nhello world";

/// One request/response cycle; returns the response's byte count.
fn cycle(conn: &mut ServerConnection) -> usize {
    conn.handle_input(REQUEST, 0);
    while let Some(event) = conn.poll_event() {
        if let ConnEvent::Request { id, .. } = event {
            let Some(res) = conn.response(id) else {
                continue;
            };
            let content_type = HeaderValue::Text("text/plain".to_string());
            if res.set_header("Content-Type", content_type).is_err()
                || res.end(Some(b"hello world"), DATE).is_err()
            {
                conn.destroy();
            }
            conn.pump();
        }
    }
    let n = conn.output().len();
    conn.consume_output(n, 0);
    n
}

fn main() {
    let cycles: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut conn = ServerConnection::new(ServerConfig::default(), 0);

    // Check the bytes once, then warm up.
    conn.handle_input(REQUEST, 0);
    let mut wire = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let ConnEvent::Request { id, .. } = event {
            if let Some(res) = conn.response(id) {
                let ct = HeaderValue::Text("text/plain".to_string());
                let ok = res.set_header("Content-Type", ct).is_ok()
                    && res.end(Some(b"hello world"), DATE).is_ok();
                assert!(ok, "the response must succeed");
            }
            conn.pump();
        }
    }
    wire.extend_from_slice(conn.output());
    conn.consume_output(wire.len(), 0);
    assert_eq!(
        String::from_utf8_lossy(&wire),
        String::from_utf8_lossy(RESPONSE)
    );
    for _ in 0..10_000 {
        cycle(&mut conn);
    }

    let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..cycles {
        bytes += cycle(&mut conn);
    }
    let elapsed = start.elapsed();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
    assert_eq!(bytes, RESPONSE.len() * cycles as usize);
    println!(
        "{cycles} keep-alive cycles: {:.0} ns/request, {:.2} allocations/request",
        elapsed.as_nanos() as f64 / cycles as f64,
        allocations as f64 / cycles as f64
    );
    byte_at_a_time();
}

/// A head of about 8 KB (100 header lines) fed one byte at a time.
fn byte_at_a_time() {
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        head.extend_from_slice(format!("X-Header-{i:03}: {}\r\n", "v".repeat(60)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let opts = ParserOptions::default();

    let start = Instant::now();
    let mut parsed = false;
    for end in 1..=head.len() {
        parsed = matches!(parse_request_head(&head[..end], &opts), Ok(Some(_)));
    }
    let stateless = start.elapsed();
    assert!(parsed, "the head must parse");

    let start = Instant::now();
    let mut parser = HeadParser::new();
    let mut parsed = false;
    for end in 1..=head.len() {
        parsed = matches!(parser.parse(&head[..end], &opts), Ok(Some(_)));
    }
    let resumed = start.elapsed();
    assert!(parsed, "the head must parse");
    println!(
        "{}-byte head, one byte at a time: {:.2} ms re-parsed from the start, {:.3} ms resumed",
        head.len(),
        stateless.as_secs_f64() * 1e3,
        resumed.as_secs_f64() * 1e3
    );
}
