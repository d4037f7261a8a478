//! Which socket addresses the component may use: the embedder's network
//! sandbox, enforced by wasmtime-wasi on every bind, listen and connect.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use wasmtime_wasi::sockets::SocketAddrUse;

/// An IP network in CIDR notation: `127.0.0.0/8`, `::1/128`, or a bare
/// address (a network of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix_len: u8,
}

impl IpNetwork {
    /// The network of the addresses whose first `prefix_len` bits equal those
    /// of `address`. `None` when the prefix is longer than the address.
    pub fn new(address: IpAddr, prefix_len: u8) -> Option<Self> {
        let bits = match address {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix_len <= bits).then_some(IpNetwork {
            address,
            prefix_len,
        })
    }

    /// Whether `ip` is in this network. An IPv4-mapped IPv6 address
    /// (`::ffff:127.0.0.1`) counts as the IPv4 address it maps, since that is
    /// what the kernel connects to.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix_len)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix_len)
            }
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let whole = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[whole] & mask) == (b[whole] & mask)
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid IP network {s:?} (expected e.g. 10.0.0.0/8 or ::1)");
        let (address, prefix_len) = match s.split_once('/') {
            Some((address, len)) => (address, Some(len)),
            None => (s, None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix_len = match prefix_len {
            Some(len) => len.parse().map_err(|_| invalid())?,
            None if address.is_ipv4() => 32,
            None => 128,
        };
        IpNetwork::new(address, prefix_len).ok_or_else(invalid)
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

/// The addresses the component may bind, listen on and connect to.
///
/// The default is loopback only (`127.0.0.0/8` and `::1`): a component can
/// serve this machine and reach nothing else. Accepting is always allowed,
/// since a listener only exists on an address the policy allowed; UDP is
/// never enabled. Host names resolve (see [`crate::Config`]), and what they
/// resolve to is judged here when connected to: wasmtime-wasi checks every
/// `connect` against its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressPolicy {
    allowed: Vec<IpNetwork>,
}

impl AddressPolicy {
    /// No address at all: the component cannot listen or connect.
    pub fn deny_all() -> Self {
        AddressPolicy {
            allowed: Vec::new(),
        }
    }

    /// `127.0.0.0/8` and `::1`.
    pub fn loopback() -> Self {
        AddressPolicy::deny_all()
            .allow(IpNetwork {
                address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix_len: 8,
            })
            .allow(IpNetwork {
                address: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix_len: 128,
            })
    }

    /// This policy, also allowing `network`.
    pub fn allow(mut self, network: IpNetwork) -> Self {
        self.allowed.push(network);
        self
    }

    /// This policy, also allowing the one address `ip`.
    pub fn allow_address(self, ip: IpAddr) -> Self {
        let host_bits = if ip.is_ipv4() { 32 } else { 128 };
        self.allow(IpNetwork {
            address: ip,
            prefix_len: host_bits,
        })
    }

    /// Whether the component may bind, listen on or connect to `ip`.
    /// Binding the wildcard (`0.0.0.0`, `::`) needs that address itself allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|network| network.contains(ip))
    }

    /// The check wasmtime-wasi runs for each use of a socket address.
    ///
    /// A `connect` on a socket not yet bound is checked twice by
    /// wasmtime-wasi: as a bind of the unspecified address with port 0 (the
    /// kernel's implicit bind to an ephemeral port) and as a connect to the
    /// destination. That bind is always permitted, so a connect is judged by
    /// its destination alone. It cannot open a server: `listen` is checked
    /// against the address actually bound, and the wildcard is not allowed.
    pub(crate) fn permits(&self, addr: SocketAddr, use_: SocketAddrUse) -> bool {
        match use_ {
            SocketAddrUse::TcpBind if addr.ip().is_unspecified() && addr.port() == 0 => true,
            SocketAddrUse::TcpBind | SocketAddrUse::TcpListen | SocketAddrUse::TcpConnect => {
                self.allows(addr.ip())
            }
            SocketAddrUse::TcpAccept => true,
            SocketAddrUse::UdpBind | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => false,
        }
    }
}

impl Default for AddressPolicy {
    fn default() -> Self {
        AddressPolicy::loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_by_default() {
        let policy = AddressPolicy::default();
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(policy.allows(ip("127.255.1.2")));
        assert!(policy.allows(ip("::1")));
        assert!(policy.allows(ip("::ffff:127.0.0.1")));
        assert!(!policy.allows(ip("0.0.0.0")));
        assert!(!policy.allows(ip("::")));
        assert!(!policy.allows(ip("128.0.0.1")));
        assert!(!policy.allows(ip("10.0.0.1")));
        assert!(!policy.allows(ip("::2")));
    }

    #[test]
    fn uses() {
        let policy = AddressPolicy::default();
        let outside: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let inside: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert!(policy.permits(inside, SocketAddrUse::TcpBind));
        assert!(policy.permits(inside, SocketAddrUse::TcpConnect));
        assert!(!policy.permits(outside, SocketAddrUse::TcpBind));
        assert!(!policy.permits(outside, SocketAddrUse::TcpListen));
        assert!(!policy.permits(outside, SocketAddrUse::TcpConnect));
        assert!(policy.permits(outside, SocketAddrUse::TcpAccept));
        assert!(!policy.permits(inside, SocketAddrUse::UdpBind));
    }

    /// wasmtime-wasi checks a connect without bind as a bind of `0.0.0.0:0`
    /// (or `[::]:0`): permitted, so the destination decides; listening there
    /// stays refused.
    #[test]
    fn connect_without_bind() {
        let policy = AddressPolicy::default();
        for implicit in ["0.0.0.0:0", "[::]:0"] {
            let implicit: SocketAddr = implicit.parse().unwrap();
            assert!(policy.permits(implicit, SocketAddrUse::TcpBind));
            assert!(!policy.permits(implicit, SocketAddrUse::TcpListen));
        }
        let wildcard_port: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(!policy.permits(wildcard_port, SocketAddrUse::TcpBind));
    }

    #[test]
    fn networks() {
        let net: IpNetwork = "10.1.0.0/15".parse().unwrap();
        assert!(net.contains(ip("10.0.0.1")));
        assert!(net.contains(ip("10.1.255.255")));
        assert!(!net.contains(ip("10.2.0.0")));
        assert!(!net.contains(ip("::1")));
        assert_eq!(net.to_string(), "10.1.0.0/15");
        let policy = AddressPolicy::deny_all().allow_address(ip("192.0.2.7"));
        assert!(policy.allows(ip("192.0.2.7")));
        assert!(!policy.allows(ip("192.0.2.6")));
        let one: IpNetwork = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let all: IpNetwork = "::/0".parse().unwrap();
        assert!(all.contains(ip("2001:db8::1")));
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("10.0.0/8".parse::<IpNetwork>().is_err());
        assert!("::1/129".parse::<IpNetwork>().is_err());
    }
}
