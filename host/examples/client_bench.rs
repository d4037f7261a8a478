//! Client throughput: GETs through one keep-alive [`Agent`] for a fixed time,
//! `CONCURRENCY` of them in flight at once; the client side of
//! `bench/client.sh`, whose Node twin is `bench/node_client.js` (same
//! arguments, same output line).
//!
//! ```sh
//! cargo run --release -p nodehttp-host --example client_bench -- URL CONCURRENCY SECONDS [WARMUP]
//! ```
//!
//! Each request is `http.get(URL, {agent})`; the next one starts at a
//! request's `close`, when its socket is back in the pool (Node frees it
//! just after `close`, so `node_client.js` starts the next one a tick
//! later). Only closes within the `SECONDS` after `WARMUP` (default 1 s) are
//! counted.
//! The first response must be `200` with the body `hello world` (the answer
//! of `bench/node_hello.js`); any failed request makes the exit status 1.
//!
//! Output, one line: `requests=N errors=E seconds=S rps=R pool=P` (`pool`:
//! the agent's sockets once the load stopped).

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nodehttp_host::{
    Agent, AgentChoice, AgentOptions, Config, Error, Event, NodeHttp, RequestOptions,
};

/// The body `bench/node_hello.js` answers.
const HELLO: &[u8] = b"hello world";

/// How long the in-flight requests may take to finish once the load stops.
const DRAIN: Duration = Duration::from_secs(5);

const USAGE: &str = "usage: client_bench URL CONCURRENCY SECONDS [WARMUP]";

struct Args {
    url: String,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, name: &str| -> Result<f64, String> {
        let text = args.get(at).ok_or(USAGE)?;
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(format!(
                "{name} must be a non-negative number (got '{text}')"
            )),
        }
    };
    let url = args.first().ok_or(USAGE)?.clone();
    let concurrency = number(1, "CONCURRENCY")? as usize;
    if concurrency == 0 {
        return Err("CONCURRENCY must be at least 1".into());
    }
    let seconds = number(2, "SECONDS")?;
    let warmup = if args.len() > 3 {
        number(3, "WARMUP")?
    } else {
        1.0
    };
    Ok(Args {
        url,
        concurrency,
        seconds,
        warmup,
    })
}

/// What the load measured.
#[derive(Default)]
struct Tally {
    /// Requests that closed with a complete response in the window.
    requests: u64,
    /// Requests that failed (an `error` event, or a response cut short).
    errors: u64,
    /// Whether the first response was `200 hello world`.
    first_ok: Option<bool>,
    /// The agent's sockets, in use and free, after the load.
    pool: u32,
}

/// Keeps `concurrency` requests in flight until the window closes, then
/// lets the in-flight ones finish.
async fn load(node: &mut NodeHttp, agent: Agent, args: &Args) -> Result<Tally, Error> {
    let start = Instant::now();
    let window_start = start + Duration::from_secs_f64(args.warmup);
    let window_end = window_start + Duration::from_secs_f64(args.seconds);
    let mut tally = Tally::default();
    let mut in_flight: u64 = 0;
    // Requests whose response ended (complete), until their `close`.
    let mut ended = HashSet::new();
    // The first request's status and body.
    let mut first: Option<(u32, bool, Vec<u8>)> = None;
    let options = RequestOptions {
        agent: AgentChoice::Agent(agent),
        ..RequestOptions::default()
    };
    for _ in 0..args.concurrency {
        let req = node.get(Some(&args.url), options.clone()).await?;
        first.get_or_insert((req.id(), false, Vec::new()));
        in_flight += 1;
    }
    while in_flight > 0 {
        let now = Instant::now();
        if now > window_end + DRAIN {
            break;
        }
        for event in node.poll(Duration::from_millis(100)).await? {
            match event {
                Event::Response { request, response } => {
                    if let Some((id, ok, _)) = &mut first {
                        if *id == request {
                            *ok = response.status_code(node).await? == Some(200);
                        }
                    }
                }
                Event::ClientResponseData { response, chunk } => {
                    if let Some((id, _, body)) = &mut first {
                        if *id == response {
                            body.extend_from_slice(&chunk);
                        }
                    }
                }
                Event::ClientResponseEnd { response } => {
                    ended.insert(response);
                    if let Some((_, ok, body)) = first.take_if(|(id, ..)| *id == response) {
                        tally.first_ok = Some(ok && body == HELLO);
                    }
                }
                Event::ClientRequestClose { request } => {
                    in_flight -= 1;
                    let now = Instant::now();
                    let complete = ended.remove(&request);
                    if !complete {
                        tally.errors += 1;
                    } else if now >= window_start && now < window_end {
                        tally.requests += 1;
                    }
                    if now < window_end {
                        node.get(Some(&args.url), options.clone()).await?;
                        in_flight += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let [sockets, free] = [agent.sockets(node).await?, agent.free_sockets(node).await?];
    tally.pool = sockets.iter().chain(&free).map(|(_, n)| n).sum();
    tally.errors += in_flight;
    Ok(tally)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("client_bench: {message}");
            return ExitCode::from(2);
        }
    };
    let result = async {
        let mut node = NodeHttp::new(Config::default()).await?;
        let options = AgentOptions {
            keep_alive: true,
            ..AgentOptions::default()
        };
        let agent = Agent::new(&mut node, options).await?;
        load(&mut node, agent, &args).await
    }
    .await;
    let tally = match result {
        Ok(tally) => tally,
        Err(err) => {
            eprintln!("client_bench: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "requests={} errors={} seconds={} rps={:.0} pool={}",
        tally.requests,
        tally.errors,
        args.seconds,
        tally.requests as f64 / args.seconds,
        tally.pool
    );
    match tally.first_ok {
        Some(true) if tally.errors == 0 => ExitCode::SUCCESS,
        Some(true) => {
            eprintln!("client_bench: {} requests failed", tally.errors);
            ExitCode::FAILURE
        }
        _ => {
            eprintln!("client_bench: the first response was not 200 'hello world'");
            ExitCode::FAILURE
        }
    }
}
