//! `http.IncomingMessage`: a server's request or a client's response (Node
//! uses one class for both; so does the WIT).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use nodehttp_core::incoming::IncomingHeaders;
use nodehttp_core::server::Role;

use super::merged;
use crate::bindings::exports::nodehttp::http::incoming::{
    Error, GuestIncomingMessage, Header, SocketInfo,
};
use crate::runtime::client::ClientResponse;
use crate::runtime::{self, Message};

/// The message behind an `incoming-message` handle.
pub enum Incoming {
    Request(Rc<Message>),
    Response(Rc<ClientResponse>),
}

impl Incoming {
    /// The parts both kinds share: (id, version, headers, trailers, complete, aborted).
    fn parts(&self) -> Parts<'_> {
        match self {
            Incoming::Request(m) => Parts {
                id: m.id,
                version: (m.head.version_major, m.head.version_minor),
                headers: &m.head.headers,
                trailers: &m.trailers,
                complete: &m.complete,
                aborted: &m.aborted,
            },
            Incoming::Response(r) => Parts {
                id: r.id,
                version: (r.head.version_major, r.head.version_minor),
                headers: &r.head.headers,
                trailers: &r.trailers,
                complete: &r.complete,
                aborted: &r.aborted,
            },
        }
    }
}

struct Parts<'a> {
    id: u32,
    version: (u8, u8),
    headers: &'a IncomingHeaders,
    trailers: &'a RefCell<IncomingHeaders>,
    complete: &'a Cell<bool>,
    aborted: &'a Cell<bool>,
}

impl GuestIncomingMessage for Incoming {
    fn id(&self) -> u32 {
        self.parts().id
    }

    fn method(&self) -> Option<String> {
        match self {
            Incoming::Request(m) => Some(m.head.method.clone()),
            Incoming::Response(_) => None,
        }
    }

    fn url(&self) -> Option<String> {
        match self {
            Incoming::Request(m) => Some(m.head.url.clone()),
            Incoming::Response(_) => None,
        }
    }

    fn status_code(&self) -> Option<u16> {
        match self {
            Incoming::Request(_) => None,
            Incoming::Response(r) => Some(r.head.status_code),
        }
    }

    fn status_message(&self) -> Option<String> {
        match self {
            Incoming::Request(_) => None,
            Incoming::Response(r) => Some(r.head.status_message.clone()),
        }
    }

    fn http_version(&self) -> String {
        let (major, minor) = self.parts().version;
        format!("{major}.{minor}")
    }

    fn http_version_major(&self) -> u8 {
        self.parts().version.0
    }

    fn http_version_minor(&self) -> u8 {
        self.parts().version.1
    }

    fn headers(&self) -> Vec<Header> {
        merged(self.parts().headers)
    }

    fn raw_headers(&self) -> Vec<String> {
        self.parts().headers.raw_flat()
    }

    fn trailers(&self) -> Vec<Header> {
        merged(&self.parts().trailers.borrow())
    }

    fn raw_trailers(&self) -> Vec<String> {
        self.parts().trailers.borrow().raw_flat()
    }

    fn complete(&self) -> bool {
        self.parts().complete.get()
    }

    fn aborted(&self) -> bool {
        self.parts().aborted.get()
    }

    fn socket(&self) -> SocketInfo {
        match self {
            Incoming::Request(m) => SocketInfo::clone(&m.socket),
            Incoming::Response(r) => SocketInfo::clone(&r.socket),
        }
    }

    fn pause(&self) {
        self.set_paused(true)
    }

    fn resume(&self) {
        self.set_paused(false)
    }

    fn set_timeout(&self, msecs: u32, listener: bool) {
        let now = runtime::now_ms();
        match self {
            Incoming::Request(m) => {
                runtime::with(|rt| {
                    rt.with_connection(m, |http, seq| {
                        http.set_message_timeout(
                            seq,
                            Role::Request,
                            Some(u64::from(msecs)),
                            listener,
                            now,
                        )
                    })
                });
            }
            // A client's response: its socket's timeout, reported on the
            // request (`listener` has no use there).
            Incoming::Response(r) => {
                runtime::with(|rt| {
                    rt.with_client_request(r.id, |http| http.set_timeout(u64::from(msecs), now))
                });
            }
        }
    }

    fn destroy(&self, error: Option<Error>) {
        match self {
            Incoming::Request(m) => runtime::with(|rt| rt.destroy(m)),
            Incoming::Response(r) => runtime::with(|rt| rt.destroy_client_request(r.id, error)),
        }
    }
}

impl Incoming {
    fn set_paused(&self, paused: bool) {
        match self {
            Incoming::Request(m) => runtime::with(|rt| rt.set_paused(m, paused)),
            Incoming::Response(r) => runtime::with(|rt| rt.set_response_paused(r.id, paused)),
        }
    }
}
