//! `net.Socket` and `net.connect`.

use crate::bindings::exports::nodehttp::http::net::{Error, GuestSocket, SocketAddress};
use crate::runtime::{self, error, socket::SocketView};

/// A handle on a raw socket the runtime owns.
pub struct Socket(pub u32);

impl Socket {
    fn view<R>(&self, gone: R, f: impl FnOnce(SocketView) -> R) -> R {
        runtime::with(|rt| rt.socket_view(self.0)).map_or(gone, f)
    }
}

/// Node's error for a call on a destroyed socket.
fn destroyed() -> Error {
    error(
        "ERR_STREAM_DESTROYED",
        "Cannot call write after a stream was destroyed",
    )
}

impl GuestSocket for Socket {
    fn id(&self) -> u32 {
        self.0
    }

    fn remote_address(&self) -> Option<SocketAddress> {
        self.view(None, |v| v.remote)
    }

    fn local_address(&self) -> Option<SocketAddress> {
        self.view(None, |v| v.local)
    }

    fn write(&self, data: Vec<u8>) -> Result<bool, Error> {
        if self.view(true, |v| v.destroyed) {
            return Err(destroyed());
        }
        Ok(runtime::with(|rt| rt.with_socket(self.0, |raw| raw.write(&data))).unwrap_or(false))
    }

    fn end(&self, data: Option<Vec<u8>>) -> Result<(), Error> {
        runtime::with(|rt| rt.with_socket(self.0, |raw| raw.end(data.as_deref())));
        Ok(())
    }

    fn destroy(&self, error: Option<Error>) {
        runtime::with(|rt| rt.destroy_socket_with(self.0, error))
    }

    fn pause(&self) {
        runtime::with(|rt| rt.with_socket(self.0, |raw| raw.pause()));
    }

    fn resume(&self) {
        runtime::with(|rt| rt.with_socket(self.0, |raw| raw.resume()));
    }

    fn set_timeout(&self, msecs: u32) {
        let now = runtime::now_ms();
        runtime::with(|rt| rt.with_socket(self.0, |raw| raw.set_timeout(u64::from(msecs), now)));
    }

    fn set_no_delay(&self, _no_delay: bool) {
        // WASI 0.2 has no TCP_NODELAY.
    }

    fn set_keep_alive(&self, enable: bool, initial_delay_ms: u32) {
        runtime::with(|rt| rt.set_socket_keep_alive(self.0, enable, initial_delay_ms))
    }

    fn bytes_read(&self) -> u64 {
        self.view(0, |v| v.bytes_read)
    }

    fn bytes_written(&self) -> u64 {
        self.view(0, |v| v.bytes_written)
    }

    fn writable(&self) -> bool {
        self.view(false, |v| v.writable)
    }

    fn destroyed(&self) -> bool {
        self.view(true, |v| v.destroyed)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        runtime::with(|rt| rt.release_socket(self.0))
    }
}

/// `net.connect(port, host)`.
pub fn connect(port: u16, host: String) -> Socket {
    Socket(runtime::with(|rt| rt.net_connect(port, &host)))
}
