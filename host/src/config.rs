//! How an embedder configures a component instance: what it may touch and how
//! much it may use.

use std::path::PathBuf;
use std::time::Duration;

use crate::policy::AddressPolicy;

/// The sandbox and resources of one component instance ([`crate::NodeHttp`]).
///
/// The default is the embedded component, loopback networking only (names
/// resolve, but only loopback addresses can be connected to), 512 MiB of
/// memory, 10 s of guest time per call, and no stdio, filesystem,
/// environment or arguments.
#[derive(Clone, Debug)]
pub struct Config {
    /// Load the component from this file instead of the one built into this
    /// crate (e.g. a newer build of the guest).
    pub component: Option<PathBuf>,
    /// Which addresses the component may bind, listen on and connect to.
    pub address_policy: AddressPolicy,
    /// Let the component resolve host names (`wasi:sockets/ip-name-lookup`,
    /// through this process's resolver), as `http.request` with a `host`
    /// name needs. The addresses a name resolves to still pass the
    /// `address_policy` when connected to. Off: every name but an IP
    /// literal fails to resolve (`ENOTFOUND`).
    pub allow_name_lookup: bool,
    /// The most linear memory the component may grow to, in bytes. A guest
    /// that needs more traps (and the call returns [`crate::Error::Guest`]).
    pub memory_limit: usize,
    /// How long one call into the component may run beyond the time it was
    /// asked to wait (`poll`'s timeout); `None` = no limit. This bounds the
    /// CPU a runaway guest (an endless loop) can take: it traps instead.
    pub call_time_limit: Option<Duration>,
    /// Let the component write to this process's stdout.
    pub inherit_stdout: bool,
    /// Let the component write to this process's stderr (e.g. guest panics).
    pub inherit_stderr: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            component: None,
            address_policy: AddressPolicy::default(),
            allow_name_lookup: true,
            memory_limit: 512 << 20,
            call_time_limit: Some(Duration::from_secs(10)),
            inherit_stdout: false,
            inherit_stderr: false,
        }
    }
}
