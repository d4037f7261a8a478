//! Opening an outgoing TCP connection as Node's `net.connect` does: look the
//! name up (unless it is an IP address), pick an address as v12's
//! `dns.lookup` would, connect. Used by client requests' sockets and by
//! `net.connect`.

use std::net::{IpAddr, SocketAddr};

use nodehttp_core::error::NodeError;
use wasip2::io::poll::Pollable;
use wasip2::sockets::network::ErrorCode;

use crate::net::{self, Connecting, Lookup, Stream};

/// Where to connect.
#[derive(Clone, Debug)]
pub struct Target {
    /// A name or an IP address (IPv6 with or without brackets).
    pub host: String,
    pub port: u16,
    /// `family`: 4 or 6 to use only that kind of address.
    pub family: Option<u8>,
    /// `localAddress`.
    pub local: Option<IpAddr>,
}

/// A connection on its way.
pub enum Dial {
    Resolving(Lookup, Target),
    Connecting(Connecting),
}

/// What a ready dial came to.
pub enum Progress {
    Pending(Dial),
    Open(Stream),
    Failed(NodeError),
}

impl Dial {
    pub fn start(target: Target) -> Result<Dial, NodeError> {
        let host = bare(&target.host).to_string();
        match host.parse::<IpAddr>() {
            Ok(ip) => connect(ip, &target),
            Err(_) => Lookup::start(&host)
                .map(|lookup| Dial::Resolving(lookup, target))
                .map_err(|e| lookup_error(e, &host)),
        }
    }

    /// Ready when the dial can advance.
    pub fn pollable(&self) -> &Pollable {
        match self {
            Dial::Resolving(lookup, _) => &lookup.ready,
            Dial::Connecting(c) => &c.ready,
        }
    }

    /// Advance after the pollable was ready.
    pub fn advance(self) -> Progress {
        match self {
            Dial::Resolving(mut lookup, target) => {
                let host = bare(&target.host);
                let found = match lookup.poll() {
                    Ok(None) => return Progress::Pending(Dial::Resolving(lookup, target)),
                    Ok(Some(found)) => found,
                    Err(e) => return Progress::Failed(lookup_error(e, host)),
                };
                // `dns.lookup` as v12 calls it: the first address of the
                // wanted family, IPv4 before IPv6 when either will do
                // (`verbatim: false`).
                let pick = match target.family {
                    Some(6) => found.iter().find(|ip| ip.is_ipv6()),
                    Some(4) => found.iter().find(|ip| ip.is_ipv4()),
                    _ => found
                        .iter()
                        .find(|ip| ip.is_ipv4())
                        .or_else(|| found.first()),
                };
                let Some(&ip) = pick else {
                    return Progress::Failed(NodeError::new(
                        "ENOTFOUND",
                        format!("getaddrinfo ENOTFOUND {host}"),
                    ));
                };
                match connect(ip, &target) {
                    Ok(dial) => Progress::Pending(dial),
                    Err(e) => Progress::Failed(e),
                }
            }
            Dial::Connecting(connecting) => {
                let remote = connecting.remote;
                match connecting.finish() {
                    Ok(Ok(stream)) => Progress::Open(stream),
                    Ok(Err(still)) => Progress::Pending(Dial::Connecting(still)),
                    Err(e) => Progress::Failed(connect_error(e, remote)),
                }
            }
        }
    }
}

fn connect(ip: IpAddr, target: &Target) -> Result<Dial, NodeError> {
    let addr = SocketAddr::new(ip, target.port);
    Connecting::start(addr, target.local)
        .map(Dial::Connecting)
        .map_err(|e| connect_error(e, addr))
}

/// `[::1]` → `::1`.
fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Node's `connect ECONNREFUSED 127.0.0.1:9`.
fn connect_error(e: ErrorCode, addr: SocketAddr) -> NodeError {
    let code = net::error_code(e);
    NodeError::new(code, format!("connect {code} {addr}"))
}

/// Node's `getaddrinfo ENOTFOUND name`.
fn lookup_error(e: ErrorCode, host: &str) -> NodeError {
    let code = match net::error_code(e) {
        "EAI_AGAIN" => "EAI_AGAIN",
        _ => "ENOTFOUND",
    };
    NodeError::new(code, format!("getaddrinfo {code} {host}"))
}
