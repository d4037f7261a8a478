//! What the unit tests that drive a component share.

use std::time::{Duration, Instant};

use crate::{Event, NodeHttp};

/// Polls until `done` accepts an event (at most 5 s); returns every event
/// up to and including it (the rest of that poll's are dropped).
pub(crate) async fn until(node: &mut NodeHttp, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    let give_up = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while Instant::now() < give_up {
        for event in node.poll(Duration::from_millis(50)).await.unwrap() {
            let finished = done(&event);
            seen.push(event);
            if finished {
                return seen;
            }
        }
    }
    panic!("timed out after {seen:?}");
}
