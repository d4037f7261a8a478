//! [`NodeHttp`]: one instance of the component, and the one door through
//! which every call into it passes.

use rustc_hash::FxHashMap as HashMap;
use std::time::Duration;

use wasmtime::component::ResourceAny;
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::WasiCtx;

use crate::bindings::{Nodehttp, State};
use crate::engine::{deadline_ticks, engine, instance_pre};
use crate::event::{ClientPairs, Event};
use crate::{Config, Error, Server, ServerOptions};

/// Calls into the component: sets the call's time limit, runs the call outside
/// tokio's cooperative budget, and records a failure (the instance is unusable
/// after a trap). Evaluates to the call's result; returns early with
/// [`Error::Guest`] on failure.
///
/// Why `unconstrained`: the component's `poll` waits on many pollables in one
/// host call; under tokio's budget (128 polls per task turn) the later ones
/// read as never ready, which starves connections and livelocks at ~1000.
macro_rules! call_guest {
    ($node:expr, $wait:expr, |$guest:ident, $store:ident| $call:expr) => {{
        let node: &mut $crate::NodeHttp = $node;
        let result = {
            let ($guest, $store) = node.enter($wait)?;
            ::tokio::task::unconstrained($call).await
        };
        node.leave(result)?
    }};
    ($node:expr, |$guest:ident, $store:ident| $call:expr) => {
        $crate::node::call_guest!($node, ::std::time::Duration::ZERO, |$guest, $store| $call)
    };
}
pub(crate) use call_guest;

/// Methods of a resource handle that call into the component and cannot
/// fail in Node, all of one shape: look up the resource, call `$call` on the
/// resource `$resource` of the interface `$iface`.
macro_rules! calls {
    ($iface:ident.$resource:ident; $($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $call:ident($($pass:expr),*);)*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, node: &mut $crate::NodeHttp, $($arg: $ty),*) -> Result<$ret, $crate::Error> {
            let this = node.resource(self.handle())?;
            Ok($crate::node::call_guest!(node, |guest, store| guest
                .$iface()
                .$resource()
                .$call(store, this, $($pass),*)))
        }
    )*};
}
pub(crate) use calls;

/// Methods that can throw in Node, as [`calls!`]: the call's WIT `result`
/// becomes [`Error::Node`].
macro_rules! throwing {
    ($iface:ident.$resource:ident; $($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $call:ident($($pass:expr),*);)*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, node: &mut $crate::NodeHttp, $($arg: $ty),*) -> Result<$ret, $crate::Error> {
            let this = node.resource(self.handle())?;
            Ok($crate::node::call_guest!(node, |guest, store| guest
                .$iface()
                .$resource()
                .$call(store, this, $($pass),*))?)
        }
    )*};
}
pub(crate) use throwing;

/// Names a resource the component exported to us, by kind and `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Handle {
    Server(u32),
    /// A server's request (an incoming message).
    Request(u32),
    /// A server's response.
    Response(u32),
    ClientRequest(u32),
    /// A client's response (an incoming message).
    ClientResponse(u32),
    Agent(u32),
    /// A raw socket (`net.Socket`).
    Socket(u32),
}

impl Handle {
    /// The `id` of the resource, as events name it.
    pub(crate) fn id(self) -> u32 {
        match self {
            Handle::Server(id)
            | Handle::Request(id)
            | Handle::Response(id)
            | Handle::ClientRequest(id)
            | Handle::ClientResponse(id)
            | Handle::Agent(id)
            | Handle::Socket(id) => id,
        }
    }

    fn disposed(self) -> Error {
        let kind = match self {
            Handle::Server(_) => "server",
            Handle::Request(_) => "request",
            Handle::Response(_) => "response",
            Handle::ClientRequest(_) => "client request",
            Handle::ClientResponse(_) => "client response",
            Handle::Agent(_) => "agent",
            Handle::Socket(_) => "socket",
        };
        Error::Disposed {
            kind,
            id: self.id(),
        }
    }
}

/// One instance of the nodehttp component: Node's `http` module with its own
/// event loop, memory and sockets. Everything runs on the caller's task: the
/// component only makes progress inside [`NodeHttp::poll`] (or
/// [`NodeHttp::serve`]), like a Node process only runs its event loop between
/// callbacks.
///
/// Handles ([`Server`], [`crate::IncomingMessage`], [`crate::ServerResponse`],
/// [`crate::ClientRequest`], [`crate::Agent`], [`crate::Socket`]) are plain
/// ids; the instance owns the component resources behind them. Requests,
/// responses and sockets are released automatically by the `poll` after the
/// one that delivered their `close` event (`socket-close` for a socket, and
/// for the message of an `upgrade`/`connect`, a server's request or a
/// client's response, which never closes as HTTP, that of its socket), so
/// they stay usable while that batch of events is handled;
/// [`crate::IncomingMessage::dispose`] and friends release earlier.
pub struct NodeHttp {
    store: Store<State>,
    guest: Nodehttp,
    /// The component resources behind live handles.
    handles: HashMap<Handle, ResourceAny>,
    /// Requests, responses and sockets whose `close` event the last `poll`
    /// delivered.
    pub(crate) closed: Vec<Handle>,
    /// The request of a server's `upgrade`/`connect`, by its socket's id: it
    /// gets no `close` of its own, so it goes with the socket.
    pub(crate) upgraded: HashMap<u32, Handle>,
    /// Which ids name client pairs, so their events read as the client's.
    pub(crate) clients: ClientPairs,
    call_time_limit: Option<Duration>,
    /// Set once a call failed: the instance must not be entered again.
    failure: Option<String>,
}

impl NodeHttp {
    /// Instantiates the component in a new sandbox configured by `config`.
    pub async fn new(config: Config) -> Result<Self, Error> {
        let pre = instance_pre(&config)?;
        let mut wasi = WasiCtx::builder();
        let policy = config.address_policy.clone();
        wasi.allow_tcp(true)
            .allow_udp(false)
            .allow_ip_name_lookup(config.allow_name_lookup)
            .socket_addr_check(move |addr, use_| {
                let permitted = policy.permits(addr, use_);
                Box::pin(async move { permitted })
            });
        if config.inherit_stdout {
            wasi.inherit_stdout();
        }
        if config.inherit_stderr {
            wasi.inherit_stderr();
        }
        let state = State {
            wasi: wasi.build(),
            table: Default::default(),
            limits: MemoryLimits::new(
                StoreLimitsBuilder::new()
                    .memory_size(config.memory_limit)
                    .trap_on_grow_failure(true)
                    .build(),
            ),
        };
        let mut store = Store::new(engine()?, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(
            config.call_time_limit.unwrap_or(Duration::MAX),
        ));
        let guest = tokio::task::unconstrained(pre.instantiate_async(&mut store)).await?;
        Ok(NodeHttp {
            store,
            guest,
            handles: HashMap::default(),
            closed: Vec::new(),
            upgraded: HashMap::default(),
            clients: ClientPairs::default(),
            call_time_limit: config.call_time_limit,
            failure: None,
        })
    }

    /// `http.createServer(options)`. Handle its requests with [`NodeHttp::poll`]
    /// or [`NodeHttp::serve`].
    pub async fn create_server(&mut self, options: ServerOptions) -> Result<Server, Error> {
        let resource = call_guest!(self, |guest, store| guest
            .nodehttp_http_server()
            .server()
            .call_constructor(store, options));
        let id = call_guest!(self, |guest, store| guest
            .nodehttp_http_server()
            .server()
            .call_id(store, resource));
        self.register(Handle::Server(id), resource);
        Ok(Server::new(id))
    }

    /// Runs the component's event loop until at least one event is ready or
    /// `timeout` passes, and returns every ready event in Node's order (empty:
    /// the timeout passed). First releases the handles whose
    /// `close` event the previous call returned.
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<Event>, Error> {
        for handle in std::mem::take(&mut self.closed) {
            self.release(handle).await?;
        }
        let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let events = call_guest!(self, timeout, |guest, store| guest
            .nodehttp_http_events()
            .call_poll(store, timeout_ms));
        let mut adopted = Vec::with_capacity(events.len());
        for event in events {
            adopted.push(self.adopt(event).await?);
        }
        Ok(adopted)
    }

    /// The bytes of linear memory the component holds now (all its
    /// memories). WebAssembly memory never shrinks, so this is also the
    /// most it ever needed: what a streaming test reads to show that a
    /// body passed through without being held.
    pub fn memory_bytes(&self) -> usize {
        self.store.data().limits.bytes
    }

    /// `http.STATUS_CODES`, in ascending order of code.
    pub async fn status_codes(&mut self) -> Result<Vec<(u16, String)>, Error> {
        Ok(call_guest!(self, |guest, store| guest
            .nodehttp_http_types()
            .call_status_codes(store)))
    }

    /// `http.METHODS`, sorted as Node sorts them.
    pub async fn methods(&mut self) -> Result<Vec<String>, Error> {
        Ok(call_guest!(self, |guest, store| guest
            .nodehttp_http_types()
            .call_methods(store)))
    }

    /// `http.maxHeaderSize`: the default limit of a head, 8192 (v12).
    pub async fn max_header_size(&mut self) -> Result<u32, Error> {
        Ok(call_guest!(self, |guest, store| guest
            .nodehttp_http_types()
            .call_max_header_size(store)))
    }

    /// Makes `resource` the one behind `handle`.
    pub(crate) fn register(&mut self, handle: Handle, resource: ResourceAny) {
        self.handles.insert(handle, resource);
    }

    /// Whether `handle` names a live resource.
    pub(crate) fn is_live(&self, handle: Handle) -> bool {
        self.handles.contains_key(&handle)
    }

    /// The component resource behind a live handle.
    pub(crate) fn resource(&self, handle: Handle) -> Result<ResourceAny, Error> {
        self.handles
            .get(&handle)
            .copied()
            .ok_or_else(|| handle.disposed())
    }

    /// Drops the component resource behind `handle`, if still live. Dropping
    /// a request or response does not end it (the component keeps its own
    /// reference while the connection needs it); it only lets the component
    /// free it once done.
    pub(crate) async fn release(&mut self, handle: Handle) -> Result<(), Error> {
        if let Some(resource) = self.handles.remove(&handle) {
            self.drop_resource(resource).await?;
        }
        Ok(())
    }

    /// Drops a component resource no handle names.
    pub(crate) async fn drop_resource(&mut self, resource: ResourceAny) -> Result<(), Error> {
        call_guest!(self, |_guest, store| resource.resource_drop_async(store));
        Ok(())
    }

    /// Starts a call that may wait up to `wait` (plus the call time limit):
    /// refuses if an earlier call failed.
    pub(crate) fn enter(
        &mut self,
        wait: Duration,
    ) -> Result<(&Nodehttp, &mut Store<State>), Error> {
        if let Some(failure) = &self.failure {
            return Err(Error::Guest(wasmtime::format_err!(
                "the component instance failed earlier: {failure}"
            )));
        }
        let limit = match self.call_time_limit {
            Some(limit) => wait.saturating_add(limit),
            None => Duration::MAX,
        };
        self.store.set_epoch_deadline(deadline_ticks(limit));
        Ok((&self.guest, &mut self.store))
    }

    /// Ends a call: a failure poisons the instance.
    pub(crate) fn leave<R>(&mut self, result: wasmtime::Result<R>) -> Result<R, Error> {
        result.map_err(|err| {
            self.failure = Some(format!("{err:#}"));
            Error::Guest(err)
        })
    }
}

/// The store's [`StoreLimits`], counting the linear memory they grant so
/// [`NodeHttp::memory_bytes`] can report it (wasmtime has no public way to
/// list a component's core memories).
pub(crate) struct MemoryLimits {
    limits: StoreLimits,
    /// Bytes of every memory, as granted.
    bytes: usize,
    /// The growth granted last, taken back if the grow then fails.
    pending: usize,
}

impl MemoryLimits {
    fn new(limits: StoreLimits) -> Self {
        MemoryLimits {
            limits,
            bytes: 0,
            pending: 0,
        }
    }
}

impl ResourceLimiter for MemoryLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let granted = self.limits.memory_growing(current, desired, maximum)?;
        if granted {
            // A memory's creation is a growth from 0, so this counts it too.
            self.pending = desired.saturating_sub(current);
            self.bytes = self.bytes.saturating_add(self.pending);
        }
        Ok(granted)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.bytes = self.bytes.saturating_sub(std::mem::take(&mut self.pending));
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// These run the embedded component over loopback.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn address_policy_refuses_binding_elsewhere() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let server = node.create_server(ServerOptions::default()).await.unwrap();
        let refused = server.listen(&mut node, 0, "0.0.0.0").await;
        assert!(matches!(refused, Err(Error::Node(_))), "{refused:?}");
        // A refusal is Node's error, not a failure: the instance goes on.
        server.listen(&mut node, 0, "127.0.0.1").await.unwrap();
        let address = server.address(&mut node).await.unwrap().unwrap();
        assert_eq!(address.address, "127.0.0.1");
        assert_ne!(address.port, 0);
    }

    #[tokio::test]
    async fn memory_limit_is_an_error_not_a_crash() {
        let config = Config {
            memory_limit: 64 << 10,
            ..Config::default()
        };
        assert!(matches!(NodeHttp::new(config).await, Err(Error::Guest(_))));
    }

    #[tokio::test]
    async fn memory_bytes_counts_the_instance_memory() {
        let node = NodeHttp::new(Config::default()).await.unwrap();
        let bytes = node.memory_bytes();
        // At least one 64 KiB page, within the 512 MiB default limit.
        assert!((64 << 10..=512 << 20).contains(&bytes), "{bytes}");
    }

    #[tokio::test]
    async fn disposed_handles_are_refused() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let server = node.create_server(ServerOptions::default()).await.unwrap();
        let id = server.id();
        server.dispose(&mut node).await.unwrap();
        let refused = server.listening(&mut node).await;
        assert!(matches!(refused, Err(Error::Disposed { kind: "server", id: i }) if i == id));
        assert!(!node.methods().await.unwrap().is_empty());
    }
}
