//! The echo conformance suite: every corpus case replayed against `nodehttp serve` over real TCP
//! and compared byte for byte (after `Date` normalization) with the goldens recorded from Node.

#[path = "support/mod.rs"]
mod support;

use support::golden::check_corpus;
use support::serve::Serve;

/// One test for the whole corpus, so one run reports every failing case at once. Each option set
/// a corpus file names gets its own `nodehttp serve` with the matching flags.
#[test]
fn nodehttp_serve_matches_node_goldens() {
    check_corpus("nodehttp", |options| {
        let args = options.serve_args();
        Serve::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    });
}
