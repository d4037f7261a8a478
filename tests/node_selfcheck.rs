//! Self-check of the conformance harness: replaying the corpus against Node's own `node_echo.js`
//! (and `node_echo_options.js` for the files that name server options) must reproduce the goldens
//! exactly. This proves the goldens are deterministic and that the Rust replayer (tests/support)
//! agrees with the recorder (tests/node/record.js).

#[path = "support/mod.rs"]
mod support;

use support::golden::check_corpus;
use support::serve::{node_or_notice, Serve};

#[test]
fn node_echo_matches_node_goldens() {
    if !node_or_notice() {
        return;
    }
    check_corpus("node", Serve::node_echo_with);
}
