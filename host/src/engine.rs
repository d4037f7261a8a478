//! The process-wide wasmtime engine and the compiled component, shared by
//! every [`crate::NodeHttp`] so each new instance costs an instantiation, not
//! a compilation.

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Cache, CacheConfig, Engine};

use crate::bindings::{NodehttpPre, State};
use crate::Config;

/// The component built by `build.rs` from `guest/`.
static EMBEDDED_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nodehttp_guest.wasm"));

/// How often the engine's epoch advances. Epoch checks are how a call's time
/// limit is enforced: they cost a load and compare at loop heads, far less
/// than fuel's per-instruction counting, and a limit of seconds needs no finer
/// clock than this.
const EPOCH_TICK: Duration = Duration::from_millis(50);

static ENGINE: OnceLock<Engine> = OnceLock::new();
static EMBEDDED_PRE: OnceLock<NodehttpPre<State>> = OnceLock::new();

/// The shared engine; the first call starts the thread that ticks its epoch.
pub(crate) fn engine() -> wasmtime::Result<&'static Engine> {
    if let Some(engine) = ENGINE.get() {
        return Ok(engine);
    }
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    // Compiling the guest takes ~190 ms here; with wasmtime's on-disk cache
    // (`~/.cache/wasmtime`, keyed by the component and compiler settings)
    // later starts take ~6 ms. No usable cache directory: compile every time.
    if let Ok(cache) = Cache::new(CacheConfig::new()) {
        config.cache(Some(cache));
    }
    let engine = Engine::new(&config)?;
    if ENGINE.set(engine.clone()).is_ok() {
        std::thread::Builder::new()
            .name("nodehttp-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            })?;
    }
    ENGINE
        .get()
        .ok_or_else(|| wasmtime::format_err!("the wasmtime engine was not initialized"))
}

/// Epoch ticks covering `time`, rounded up, plus one for the tick in progress.
/// Capped at 2^62: wasmtime adds this to the current epoch without saturating,
/// and at 20 ticks a second the epoch never gets near that.
pub(crate) fn deadline_ticks(time: Duration) -> u64 {
    const NEVER: u64 = 1 << 62;
    let ticks = time.as_millis().div_ceil(EPOCH_TICK.as_millis()) + 1;
    u64::try_from(ticks).map_or(NEVER, |ticks| ticks.min(NEVER))
}

/// The component ready to instantiate: the embedded one (compiled once per
/// process) or the one `config.component` names.
pub(crate) fn instance_pre(config: &Config) -> wasmtime::Result<NodehttpPre<State>> {
    if let Some(path) = &config.component {
        return prepare(&Component::from_file(engine()?, path)?);
    }
    if let Some(pre) = EMBEDDED_PRE.get() {
        return Ok(pre.clone());
    }
    let pre = prepare(&Component::new(engine()?, EMBEDDED_COMPONENT)?)?;
    Ok(EMBEDDED_PRE.get_or_init(|| pre).clone())
}

/// Links the component's WASI 0.2 imports to wasmtime-wasi's async host.
fn prepare(component: &Component) -> wasmtime::Result<NodehttpPre<State>> {
    let mut linker = Linker::new(component.engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    NodehttpPre::new(linker.instantiate_pre(component)?)
}
