//! Self-check of the conformance harness: replaying the corpus against Node's own `node_echo.js`
//! must reproduce the goldens exactly. This proves the goldens are deterministic and that the Rust
//! replayer (tests/support) agrees with the recorder (tests/node/record.js).

#[path = "support/mod.rs"]
mod support;

use support::golden::check_corpus;
use support::serve::Serve;

#[test]
fn node_echo_matches_node_goldens() {
    let Some(server) = Serve::node_echo() else {
        return;
    };
    check_corpus("node", server.addr);
}
