//! Builds the guest component (`nodehttp-guest`, wasm32-wasip2) and places it
//! in `OUT_DIR`, so the host embeds it and a new user never builds it by hand.
//!
//! The guest is built by a nested `cargo` with its own target directory
//! (`target/guest`): the outer build holds the lock on `target/`, so sharing it
//! would deadlock. Every variable through which the outer cargo steers its
//! compilations (flags, target, target dir) is cleared from the child's
//! environment, since those belong to the host's build, not the guest's.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const GUEST_TARGET: &str = "wasm32-wasip2";
const GUEST_WASM: &str = "nodehttp_guest.wasm";
/// Names a prebuilt guest component to embed instead of building one.
const PREBUILT_VAR: &str = "NODEHTTP_GUEST_WASM";

/// Variables the outer cargo sets for (or passes through to) this build that
/// must not leak into the guest build.
const OUTER_BUILD_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = manifest_dir.parent().unwrap_or(&manifest_dir).to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());

    // A prebuilt component (packaging, CI caches, machines without the
    // wasm32-wasip2 target) skips the guest build.
    println!("cargo:rerun-if-env-changed={PREBUILT_VAR}");
    if let Some(prebuilt) = env::var_os(PREBUILT_VAR) {
        println!("cargo:rerun-if-changed={}", Path::new(&prebuilt).display());
        copy(Path::new(&prebuilt), &out_dir.join(GUEST_WASM));
        return;
    }
    for watched in ["guest", "core", "wit", "Cargo.lock", "Cargo.toml"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    if !target_installed() {
        fail(&format!(
            "the {GUEST_TARGET} target is not installed; the guest component cannot be built.\n\
             run: rustup target add {GUEST_TARGET}"
        ));
    }

    let guest_target_dir = workspace.join("target").join("guest");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&workspace)
        .args(["build", "--release", "--target", GUEST_TARGET])
        .args(["-p", "nodehttp-guest", "--target-dir"])
        .arg(&guest_target_dir);
    for var in OUTER_BUILD_VARS {
        build.env_remove(var);
    }
    // `CARGO_CFG_*` and `CARGO_FEATURE_*` describe the host build only.
    for (var, _) in env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("CARGO_CFG_") || name.starts_with("CARGO_FEATURE_") {
            build.env_remove(&var);
        }
    }
    match build.status() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("building the guest component failed ({status})")),
        Err(err) => fail(&format!("could not run cargo to build the guest: {err}")),
    }

    let built = guest_target_dir
        .join(GUEST_TARGET)
        .join("release")
        .join(GUEST_WASM);
    copy(&built, &out_dir.join(GUEST_WASM));
}

fn copy(from: &Path, to: &Path) {
    if let Err(err) = std::fs::copy(from, to) {
        fail(&format!("could not copy {}: {err}", from.display()));
    }
}

/// Whether the active toolchain has the standard library for the guest target:
/// checked up front, because cargo's own error for a missing target ("can't
/// find crate for `core`") does not say how to fix it.
fn target_installed() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        // Cannot tell; let the guest build report what is wrong.
        return true;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout);
    Path::new(sysroot.trim())
        .join("lib")
        .join("rustlib")
        .join(GUEST_TARGET)
        .exists()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    exit(1)
}
