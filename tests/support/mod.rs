//! Harness shared by the conformance test binaries (`#[path = "support/mod.rs"] mod support;`).
//!
//! Every test binary compiles this whole module but uses only part of it, hence the `dead_code`
//! allowance below. The replay and rendering rules mirror `tests/node/record.js`, which records the
//! goldens from Node; `tests/README.md` describes the corpus and golden formats.
#![allow(dead_code)]

pub mod corpus;
pub mod exchange;
pub mod golden;
pub mod scenario;
pub mod serve;

use std::path::PathBuf;

/// The `tests/` directory of the repository (the host package sits beside it).
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests")
}
