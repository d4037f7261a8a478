//! The component's exported API as Rust types, generated from `wit/` by
//! wasmtime's `bindgen!`, and the store state its WASI imports run against.
//!
//! The world's imports are all WASI 0.2 interfaces, so they are mapped onto
//! wasmtime-wasi's p2 bindings (`with:`) and no host trait is generated. The
//! exports are `async` because the component's `poll` blocks (in
//! `wasi:io/poll.poll`) and must yield to the tokio runtime while it waits.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    world: "nodehttp",
    path: "../wit",
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub use exports::nodehttp::http::client as wit_client;
pub use exports::nodehttp::http::events as wit_events;
pub use exports::nodehttp::http::server as wit_server;
pub use exports::nodehttp::http::types as wit_types;

/// What a component instance's `Store` holds: its WASI context and resource
/// table (sockets, streams, pollables) and the memory limits it grows under.
pub struct State {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: crate::node::MemoryLimits,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
