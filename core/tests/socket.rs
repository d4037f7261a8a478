//! `RawSocket`'s events, one test per order Node v20 was observed in.
//!
//! The recordings come from `net` sockets over loopback (a server socket with
//! `allowHalfOpen` as the test says, and a plain `net.connect` peer); each
//! test quotes what v20 printed for the server's socket. Half-open `true` is
//! an `http.Server`'s socket (server `'upgrade'`/`'connect'`), `false` an
//! `http.Agent`'s (client `'upgrade'`/`'connect'`: v20 logs `allowHalfOpen`
//! false there, and the peer's FIN gives `end`, `finish`, `close`).

use nodehttp_core::error::NodeError;
use nodehttp_core::socket::{RawSocket, SocketEvent};

const HALF_OPEN: bool = true;
const NOT_HALF_OPEN: bool = false;

fn events(socket: &mut RawSocket) -> Vec<SocketEvent> {
    std::iter::from_fn(|| socket.poll_event()).collect()
}

fn data(bytes: &[u8]) -> SocketEvent {
    SocketEvent::Data(bytes.to_vec())
}

const CLOSE: SocketEvent = SocketEvent::Close { had_error: false };
const CLOSE_WITH_ERROR: SocketEvent = SocketEvent::Close { had_error: true };

/// The runtime writes everything, then sends the FIN if one is owed.
fn flush(socket: &mut RawSocket, now: u64) -> bool {
    let n = socket.output().len();
    socket.consume_output(n, now);
    socket.shutdown_write()
}

// v20 (allowHalfOpen true, app ends 50 ms after `end`):
// data(2) end APP end() finish close(false)
#[test]
fn peer_fin_on_a_half_open_socket_waits_for_the_app() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.handle_input(b"hi", 1);
    socket.handle_eof();
    assert_eq!(events(&mut socket), [data(b"hi"), SocketEvent::End]);
    assert!(!socket.wants_read());
    // Still writable: nothing happens until the app ends its side.
    assert!(socket.write(b"still here"));
    assert!(!flush(&mut socket, 2));
    assert_eq!(events(&mut socket), []);
    assert!(!socket.is_done());

    socket.end(Some(b"bye"));
    assert_eq!(socket.output(), b"bye");
    assert!(
        !socket.shutdown_write(),
        "the FIN follows the buffered bytes"
    );
    assert!(flush(&mut socket, 3));
    assert_eq!(events(&mut socket), [SocketEvent::Finish, CLOSE]);
    assert!(socket.is_done());
    assert!(!socket.shutdown_write(), "one FIN");
}

// v20 (allowHalfOpen false): data(2) end finish close(false)
#[test]
fn peer_fin_on_a_socket_that_is_not_half_open_ends_it() {
    let mut socket = RawSocket::new(0, NOT_HALF_OPEN);
    socket.handle_input(b"hi", 1);
    socket.handle_eof();
    assert!(flush(&mut socket, 2));
    assert_eq!(
        events(&mut socket),
        [data(b"hi"), SocketEvent::End, SocketEvent::Finish, CLOSE]
    );
    assert!(socket.is_done());
}

// v20 (allowHalfOpen false, 1 MiB being written when the FIN arrives):
// end finish close(false) — `finish` once the buffer is out.
#[test]
fn self_ending_socket_writes_its_buffer_first() {
    let mut socket = RawSocket::new(0, NOT_HALF_OPEN);
    socket.write(&vec![b'x'; 1 << 20]);
    socket.handle_eof();
    assert_eq!(events(&mut socket), [SocketEvent::End]);
    assert!(!socket.shutdown_write());
    socket.consume_output(1000, 1);
    assert!(!socket.shutdown_write());
    assert!(flush(&mut socket, 2));
    assert_eq!(events(&mut socket), [SocketEvent::Finish, CLOSE]);
}

// v20, both settings: data(2) APP end() finish end close(false)
#[test]
fn app_ends_first_then_the_peer() {
    for half_open in [HALF_OPEN, NOT_HALF_OPEN] {
        let mut socket = RawSocket::new(0, half_open);
        socket.handle_input(b"hi", 1);
        socket.end(Some(b"x"));
        assert!(flush(&mut socket, 2));
        assert_eq!(events(&mut socket), [data(b"hi"), SocketEvent::Finish]);
        // The peer's side is still open: keep reading.
        assert!(socket.wants_read());
        socket.handle_input(b"more", 3);
        socket.handle_eof();
        assert_eq!(
            events(&mut socket),
            [data(b"more"), SocketEvent::End, CLOSE]
        );
        assert!(socket.is_done());
    }
}

// v20: data(2) APP destroy() close(false)
// v20: data(2) APP destroy(err) error(EX) close(true)
#[test]
fn destroy_with_and_without_an_error() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.write(b"unsent");
    socket.destroy(None);
    assert_eq!(events(&mut socket), [CLOSE]);
    assert!(socket.output().is_empty(), "destroy drops unsent bytes");
    assert!(socket.is_done());
    socket.destroy(None);
    assert_eq!(events(&mut socket), []);

    let mut socket = RawSocket::new(0, HALF_OPEN);
    let error = NodeError::new("EX", "x");
    socket.destroy(Some(error.clone()));
    assert_eq!(
        events(&mut socket),
        [SocketEvent::Error(error), CLOSE_WITH_ERROR]
    );
}

// v20 (the peer calls `resetAndDestroy()`): data(2) error(ECONNRESET) close(true)
#[test]
fn a_reset_fails_the_socket() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.handle_input(b"hi", 1);
    let reset = NodeError::new("ECONNRESET", "read ECONNRESET");
    socket.handle_error(reset.clone());
    assert_eq!(
        events(&mut socket),
        [data(b"hi"), SocketEvent::Error(reset), CLOSE_WITH_ERROR]
    );
    assert!(!socket.wants_read());
    // Nothing reaches a closed socket's app.
    socket.handle_input(b"late", 2);
    socket.handle_eof();
    socket.handle_error(NodeError::new("EPIPE", "write EPIPE"));
    assert_eq!(events(&mut socket), []);
}

// v20: data(2) write->false cb(ERR_STREAM_WRITE_AFTER_END)
// error(ERR_STREAM_WRITE_AFTER_END) close(true) — no `finish`
#[test]
fn write_after_end_fails_the_socket() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.end(None);
    assert!(!socket.write(b"zz"));
    assert_eq!(
        events(&mut socket),
        [
            SocketEvent::Error(NodeError::new(
                "ERR_STREAM_WRITE_AFTER_END",
                "write after end"
            )),
            CLOSE_WITH_ERROR
        ]
    );
    assert!(!socket.shutdown_write());
}

// v20 (allowHalfOpen false), writing in the `end` listener:
// end write->true finish close(false); two ticks later:
// end write->false error(EPIPE This socket has been ended by the other party)
// close(true); once closed: write->false and nothing more.
#[test]
fn writes_after_the_peer_ended_a_socket_that_is_not_half_open() {
    let mut socket = RawSocket::new(0, NOT_HALF_OPEN);
    socket.handle_eof();
    assert_eq!(events(&mut socket), [SocketEvent::End]);
    assert!(socket.write(b"reply"), "handling `end`: before the FIN");
    assert_eq!(socket.output(), b"reply");
    assert!(flush(&mut socket, 1));
    assert_eq!(events(&mut socket), [SocketEvent::Finish, CLOSE]);
    assert!(!socket.write(b"zz"));
    assert_eq!(events(&mut socket), []);

    // Node's `writeAfterFIN`: once the socket ended itself, a write fails it.
    let mut socket = RawSocket::new(0, NOT_HALF_OPEN);
    socket.write(b"pending");
    socket.handle_eof();
    assert!(!socket.shutdown_write(), "the FIN waits for the buffer");
    assert!(!socket.write(b"zz"));
    assert_eq!(
        events(&mut socket),
        [
            SocketEvent::End,
            SocketEvent::Error(NodeError::new(
                "EPIPE",
                "This socket has been ended by the other party"
            )),
            CLOSE_WITH_ERROR
        ]
    );
}

// v20: data(2) write->false cb(ERR_STREAM_DESTROYED) close(false) — no error
// v20 (end, end, destroy in one tick): data(2) APP destroy() close(false)
#[test]
fn write_and_end_after_destroy_do_nothing() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.destroy(None);
    assert!(!socket.write(b"zz"));
    socket.end(Some(b"zz"));
    assert!(socket.output().is_empty());
    assert_eq!(events(&mut socket), [CLOSE]);

    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.end(None);
    socket.end(None);
    socket.destroy(None);
    assert!(!socket.shutdown_write());
    assert_eq!(events(&mut socket), [CLOSE]);
}

// Node's Writable: `write()` is false once `length >= highWaterMark`
// (16384), and `drain` comes when the buffer is empty again.
#[test]
fn backpressure_at_sixteen_kib_then_drain() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    assert!(socket.write(&[b'a'; 16383]));
    assert!(!socket.write(b"b"));
    assert!(!socket.write(b"c"), "still above the mark");
    socket.consume_output(16000, 1);
    assert_eq!(
        events(&mut socket),
        [],
        "no drain before the buffer is empty"
    );
    assert!(!flush(&mut socket, 2));
    assert_eq!(events(&mut socket), [SocketEvent::Drain]);
    assert!(socket.write(b"d"));
    flush(&mut socket, 3);
    assert_eq!(events(&mut socket), [], "no drain without a false write");
    assert_eq!(socket.bytes_written(), 16386);
}

// Node's `afterWrite`: no `drain` for a socket that is ending.
#[test]
fn no_drain_once_ending() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    assert!(!socket.write(&[b'a'; 20000]));
    socket.end(None);
    assert!(flush(&mut socket, 1));
    assert_eq!(events(&mut socket), [SocketEvent::Finish]);
}

// v20 (paused, the peer sends "hi" and its FIN, resume 100 ms later):
// APP resume() data(2) end finish close(false)
#[test]
fn paused_socket_holds_data_and_end_until_resume() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.pause();
    assert!(socket.is_paused());
    assert!(!socket.wants_read());
    // A runtime that read anyway: the bytes wait.
    socket.handle_input(b"h", 1);
    socket.handle_input(b"i", 2);
    socket.handle_eof();
    assert_eq!(events(&mut socket), []);
    assert_eq!(socket.bytes_read(), 2);
    socket.resume();
    assert!(!socket.is_paused());
    assert_eq!(events(&mut socket), [data(b"hi"), SocketEvent::End]);
    assert!(!socket.wants_read());
    socket.end(None);
    assert!(flush(&mut socket, 3));
    assert_eq!(events(&mut socket), [SocketEvent::Finish, CLOSE]);
}

// v20 (`setTimeout(50)`, then a write at 150): timeout@50 write@150
// timeout@200; and with no activity: timeout, then APP end() finish end
// close(false) — the timeout closes nothing.
#[test]
fn timeout_fires_once_per_idle_period() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    assert_eq!(socket.poll_timeout(), None);
    socket.set_timeout(50, 0);
    assert_eq!(socket.poll_timeout(), Some(50));
    socket.handle_timeout(49);
    assert_eq!(events(&mut socket), []);
    socket.handle_timeout(50);
    assert_eq!(events(&mut socket), [SocketEvent::Timeout]);
    assert_eq!(socket.poll_timeout(), None, "one-shot until activity");
    socket.handle_timeout(500);
    assert_eq!(events(&mut socket), []);
    assert!(socket.wants_read() && !socket.is_done());

    socket.write(b"x");
    flush(&mut socket, 150);
    assert_eq!(socket.poll_timeout(), Some(200));
    socket.handle_input(b"y", 180);
    assert_eq!(socket.poll_timeout(), Some(230));
    socket.handle_timeout(230);
    assert_eq!(events(&mut socket), [data(b"y"), SocketEvent::Timeout]);

    socket.set_timeout(0, 300);
    socket.handle_input(b"z", 301);
    assert_eq!(socket.poll_timeout(), None);
    socket.destroy(None);
    socket.set_timeout(10, 400);
    assert_eq!(socket.poll_timeout(), None);
}

// v20, the client's socket after `'upgrade'`: the request took 75 bytes, the
// 101 head 70 and `head` "abc" 3; then "ping" written and "more" read:
// bytesRead=77 bytesWritten=79 — Node's counters include the HTTP bytes.
#[test]
fn counters_start_at_the_hand_off() {
    let mut socket = RawSocket::new(0, NOT_HALF_OPEN).with_counts(73, 75);
    socket.write(b"ping");
    socket.handle_input(b"more", 1);
    assert_eq!(socket.bytes_read(), 77);
    assert_eq!(socket.bytes_written(), 79);
    socket.destroy(None);
    assert_eq!(socket.bytes_written(), 79, "kept after destroy, as Node's");
}

// A runtime that reports more than it was given, or nothing, does not panic.
#[test]
fn odd_runtime_calls_are_harmless() {
    let mut socket = RawSocket::new(0, HALF_OPEN);
    socket.consume_output(10, 1);
    socket.write(b"abc");
    socket.consume_output(usize::MAX, 2);
    assert!(socket.output().is_empty());
    socket.handle_input(b"", 3);
    socket.resume();
    socket.handle_eof();
    socket.handle_eof();
    assert_eq!(events(&mut socket), [SocketEvent::End]);
}
