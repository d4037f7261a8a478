//! Replays `tests/facts/bytes-parsed.json`, recorded from Node v20 by
//! `tests/node/bytes_parsed.js`: requests that do not parse, each part one
//! read, against a `ServerConnection` with a `clientError` listener. For
//! each, the error's code, `err.bytesParsed` (llhttp's error position in the
//! read), the length of `err.rawPacket` and which read it was.

use nodehttp_core::server::{ConnEvent, Listeners, ServerConfig, ServerConnection};

mod support {
    // Shared with the other replays; this one reads no request options.
    #[allow(dead_code)]
    pub mod facts;
}

use support::facts::{self, items, text};

/// Code, bytesParsed, rawPacket length, index of the read.
type Outcome = (Option<String>, Option<u64>, Option<u64>, Option<u64>);

/// The first `clientError` of `parts` fed as reads.
fn client_error(parts: &[Vec<u8>]) -> Outcome {
    let config = ServerConfig {
        listeners: Listeners {
            client_error: true,
            ..Listeners::default()
        },
        ..ServerConfig::default()
    };
    let mut c = ServerConnection::new(config, 0);
    for (read, part) in parts.iter().enumerate() {
        c.handle_input(part, 0);
        while let Some(event) = c.poll_event() {
            if let ConnEvent::ClientError {
                error,
                bytes_parsed,
                raw_packet,
                ..
            } = event
            {
                return (
                    Some(error.code.to_owned()),
                    bytes_parsed.map(|n| n as u64),
                    raw_packet.map(|p| p.len() as u64),
                    Some(read as u64),
                );
            }
        }
    }
    (None, None, None, None)
}

#[test]
fn node_bytes_parsed_replay() {
    let cases = facts::load("bytes-parsed.json");
    let cases = items(&cases);
    assert!(
        cases.len() >= 100,
        "the recorded cases, got {}",
        cases.len()
    );
    let mut wrong = Vec::new();
    for case in cases {
        // The recorder sends each part as latin1.
        let parts: Vec<Vec<u8>> = items(&case["parts"])
            .iter()
            .map(|p| text(p).chars().map(|c| c as u8).collect())
            .collect();
        let node: Outcome = (
            case["code"].as_str().map(str::to_owned),
            case["bytesParsed"].as_u64(),
            case["rawPacketLength"].as_u64(),
            case["read"].as_u64(),
        );
        let ours = client_error(&parts);
        if ours != node {
            wrong.push(format!("{}: {ours:?}, Node {node:?}", text(&case["name"])));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
