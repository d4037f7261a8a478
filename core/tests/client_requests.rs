//! `request_options::resolve` then `OutgoingMessage::client_request` (as the
//! guest makes a request) write the bytes Node's `http.request` writes: every
//! scenario of `tests/facts/client-requests.json` (recorded by
//! `tests/node/record_requests.js`) is replayed, and the output after the
//! constructor and after each call must equal what Node had sent by then.

use nodehttp_core::error::NodeError;
use nodehttp_core::outgoing::{HeaderValue, OutgoingMessage, RequestContext};
use nodehttp_core::request_options::resolve;
use serde_json::Value;

mod support {
    pub mod facts;
}

use support::facts::{self, header_value, items, text};

/// `http.Agent`'s `defaultPort`.
const AGENT_DEFAULT_PORT: u16 = 80;

/// A JSON string as latin1 bytes (the facts hold one code point per byte).
fn latin1(v: &Value) -> Vec<u8> {
    text(v).chars().map(|c| c as u32 as u8).collect()
}

/// What the `ClientRequest` constructor makes of `http.request(options)`
/// before `_storeHeader`: the options resolved, and the agent's
/// `shouldKeepAlive`.
fn request_context(options: &Value) -> Result<RequestContext, NodeError> {
    let target = resolve(facts::request_options(options), AGENT_DEFAULT_PORT)?;
    // No `agent`: v12's global agent, `new Agent()`. `false`: a one-time
    // `new Agent()`. An object: `new Agent(options)`.
    let should_keep_alive = match &options["agent"] {
        Value::Object(agent) => {
            agent.get("keepAlive").and_then(Value::as_bool) == Some(true)
                || agent.contains_key("maxSockets")
        }
        _ => false,
    };
    Ok(RequestContext {
        method: target.method,
        path: target.path,
        host_header: target.host_header,
        auth: target.auth,
        headers: target.headers,
        should_keep_alive,
    })
}

/// Runs one recorded call: `["write", body]`, `["end"]`, `["end", body]`,
/// `["flushHeaders"]`, `["setHeader", name, value]`, `["removeHeader", name]`,
/// `["addTrailers", [[name, value], ...]]`.
fn run_call(req: &mut OutgoingMessage, call: &Value) -> Result<(), NodeError> {
    match (text(&call[0]), items(call).get(1..).unwrap_or_default()) {
        ("write", [body]) => req.write(&latin1(body), "").map(drop),
        ("end", []) => req.end(None, ""),
        ("end", [body]) => req.end(Some(&latin1(body)), ""),
        ("flushHeaders", []) => req.flush_headers(""),
        ("setHeader", [name, value]) => req.set_header(text(name), header_value(value)),
        ("removeHeader", [name]) => req.remove_header(text(name)),
        ("addTrailers", [list]) => {
            let trailers: Vec<(String, String)> = items(list)
                .iter()
                .map(|p| (text(&p[0]).to_string(), text(&p[1]).to_string()))
                .collect();
            req.add_trailers(&trailers)
        }
        (verb, args) => panic!("unknown call {verb} with {} arguments", args.len()),
    }
}

/// Replays one scenario; `Err` describes the first difference from Node.
fn replay(scenario: &Value) -> Result<(), String> {
    let sent: Vec<Vec<u8>> = items(&scenario["sent"]).iter().map(latin1).collect();
    let error = scenario.get("error");
    let failed_at = error
        .and_then(|e| e["step"].as_u64())
        .map(|step| step as usize);
    let check_error = |step: usize, got: NodeError| match error {
        Some(want) if failed_at == Some(step) => {
            let want = (text(&want["code"]), text(&want["message"]));
            if (got.code, got.message.as_str()) == want {
                Ok(())
            } else {
                Err(format!("step {step}: {got}, Node: {want:?}"))
            }
        }
        _ => Err(format!("step {step}: unexpected {got}")),
    };
    let compare = |step: usize, req: &OutgoingMessage, got: &[u8]| {
        let want = sent.get(step).map_or(&[][..], Vec::as_slice);
        if got == want {
            return Ok(());
        }
        let show = |b: &[u8]| b.iter().map(|&c| c as char).collect::<String>();
        Err(format!(
            "after step {step} ({} buffered):\n  ours: {:?}\n  node: {:?}",
            req.buffered_len(),
            show(got),
            show(want)
        ))
    };

    let context = request_context(&scenario["options"]);
    let mut req = match context.and_then(OutgoingMessage::client_request) {
        Ok(req) => req,
        Err(e) => return check_error(0, e),
    };
    let got = req.output().clone();
    compare(0, &req, &got)?;
    for (i, call) in items(&scenario["calls"]).iter().enumerate() {
        let step = i + 1;
        match run_call(&mut req, call) {
            Ok(()) if failed_at == Some(step) => {
                return Err(format!("step {step}: Node failed, we did not"))
            }
            Ok(()) => {}
            Err(e) => check_error(step, e)?,
        }
        let got = req.output().clone();
        compare(step, &req, &got)?;
        if failed_at == Some(step) {
            break;
        }
    }
    Ok(())
}

#[test]
fn every_recorded_request_is_byte_identical() {
    let facts = facts::load("client-requests.json");
    let scenarios = items(&facts["scenarios"]);
    assert!(scenarios.len() >= 30, "only {} scenarios", scenarios.len());
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|s| {
            replay(s)
                .err()
                .map(|e| format!("{}: {e}", text(&s["name"])))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn request_accessors() {
    let ctx = RequestContext {
        method: "patch".to_string(),
        path: String::new(),
        host_header: None,
        auth: None,
        headers: vec![(
            "Connection".to_string(),
            HeaderValue::Text("keep-alive".to_string()),
        )],
        should_keep_alive: false,
    };
    let mut req = OutgoingMessage::client_request(ctx).expect("valid request");
    assert_eq!((req.method(), req.path()), ("PATCH", "/"));
    assert!(!req.headers_sent());
    req.end(None, "").expect("end");
    assert!(req.writable_ended());
    // A `Connection` header other than `close` turns `shouldKeepAlive` on.
    assert!(req.should_keep_alive());
}
