//! The nodehttp component: Node's `http` module on WASI 0.2.
//!
//! [`api`] implements the exported WIT resources, [`runtime`] runs the one
//! event loop, [`net`] is the only code that touches `wasi:sockets`. The HTTP
//! semantics themselves live in the sans-IO `nodehttp-core` crate.

mod api;
mod net;
mod runtime;

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "nodehttp",
        with: {
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasip2::clocks::wall_clock,
            "wasi:sockets/network@0.2.12": wasip2::sockets::network,
            "wasi:sockets/instance-network@0.2.12": wasip2::sockets::instance_network,
            "wasi:sockets/tcp@0.2.12": wasip2::sockets::tcp,
            "wasi:sockets/tcp-create-socket@0.2.12": wasip2::sockets::tcp_create_socket,
            "wasi:sockets/ip-name-lookup@0.2.12": wasip2::sockets::ip_name_lookup,
        },
    });
}

use bindings::exports::nodehttp::http::net as wit_net;
use bindings::exports::nodehttp::http::{client, events, incoming, server, types};
use nodehttp_core::parse::ParserOptions;
use nodehttp_core::{methods::METHODS, status_codes::STATUS_CODES};

struct Component;

impl types::Guest for Component {
    fn status_codes() -> Vec<(u16, String)> {
        STATUS_CODES
            .iter()
            .map(|&(code, text)| (code, text.to_string()))
            .collect()
    }

    fn methods() -> Vec<String> {
        METHODS.iter().map(|m| m.to_string()).collect()
    }

    fn max_header_size() -> u32 {
        ParserOptions::default().max_header_size as u32
    }
}

impl wit_net::Guest for Component {
    type Socket = api::net::Socket;

    fn connect(port: u16, host: String) -> wit_net::Socket {
        wit_net::Socket::new(api::net::connect(port, host))
    }
}

impl incoming::Guest for Component {
    type IncomingMessage = api::incoming::Incoming;
}

impl server::Guest for Component {
    type Server = api::server::Server;
    type ServerResponse = api::server::Response;
}

impl client::Guest for Component {
    type Agent = api::client::Agent;
    type ClientRequest = api::client::Request;

    fn request(
        url: Option<String>,
        options: client::RequestOptions,
    ) -> Result<client::ClientRequest, client::Error> {
        api::client::request(url, options)
    }

    fn get(
        url: Option<String>,
        options: client::RequestOptions,
    ) -> Result<client::ClientRequest, client::Error> {
        api::client::get(url, options)
    }

    fn global_agent() -> client::Agent {
        client::Agent::new(api::client::global_agent())
    }
}

impl events::Guest for Component {
    fn poll(timeout_ms: u32) -> Vec<events::Event> {
        runtime::with(|rt| rt.poll(timeout_ms))
    }
}

bindings::export!(Component with_types_in bindings);
