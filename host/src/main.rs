//! `nodehttp`: runs the nodehttp component as an HTTP server or client.
//!
//! `nodehttp serve` listens, prints `listening on ADDR:PORT` once it accepts
//! connections, and serves the echo application (or `--hello`; with
//! `--proxy`, behind a CONNECT tunnelling proxy) until SIGINT or SIGTERM,
//! then closes the server and exits 0. Any failure (a bad address,
//! `EADDRINUSE`, a trap in the component) is reported on stderr, exit 1.
//!
//! `nodehttp request URL` makes requests with the component's `http.request`
//! and prints each response (like `curl -i`, or `--json`); a failure is
//! printed as Node's `CODE: message` on stderr, exit 1.

use std::error::Error as StdError;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use nodehttp_core::request_options::{parse_url, RequestOptions};
use tokio::signal::unix::{signal, SignalKind};

use nodehttp_host::echo::Echo;
use nodehttp_host::fetch::{latin1_bytes, Fetch};
use nodehttp_host::hello::Hello;
use nodehttp_host::proxy::Proxy;
use nodehttp_host::{
    AddressPolicy, Agent, AgentOptions, Config, Error as NodeHttpError, IpNetwork, NodeHttp,
    ServerListeners, ServerOptions,
};

#[derive(Parser)]
#[command(
    name = "nodehttp",
    version,
    about = "Node's http module as a WebAssembly component"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP/1.1: the echo application by default.
    Serve(ServeArgs),
    /// Make HTTP/1.1 requests with Node's http.request and print the responses.
    #[command(after_long_help = REQUEST_HELP)]
    Request(RequestArgs),
}

/// The long help of `nodehttp request` after its options.
const REQUEST_HELP: &str = "\
What it does, as a Node script would:
  req = http.request(URL, {method, agent}); req.setHeader(name, value) for
  each -H in order; req.write(DATA) once if -d; req.end().
  With -d the body goes chunked (one write, no Content-Length), as in Node;
  add -H 'Content-Length: N' to send it with a length instead.

Output:
  Default, like curl -i: 'HTTP/<version> <code> <message>', the header lines
  as received, a blank line, then the body bytes as received (after
  chunked decoding). Lines end in CRLF.
  --json: one line per response, JSON.stringify of {statusCode,
  statusMessage, httpVersion, headers, rawHeaders, body, trailers,
  reusedSocket}; body is the bytes as latin1 (each byte one code point).

Agent:
  All requests go through one new Agent: new Agent({keepAlive: true}) with
  --keep-alive, else one with v12's defaults (not keep-alive, as v12's
  globalAgent). With --repeat N, each request is sent after the previous
  response ended and both request and response closed, so a keep-alive
  socket is back in the pool (reusedSocket: true).

Failure:
  A thrown error (ERR_INVALID_URL, ERR_INVALID_HTTP_TOKEN, ...), the
  request's 'error' (ECONNREFUSED, ECONNRESET, ENOTFOUND, HPE_*, ...) or a
  response cut short ('aborted': ECONNRESET, aborted) prints 'CODE: message'
  on stderr and exits 1, e.g.
    ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9
  Responses already complete were printed.

Sandbox:
  The component may connect to loopback and to the URL's host only: an IP
  address in the URL is allowed as such; a name is resolved here first and
  the addresses it resolves to are allowed (the component then resolves it
  again itself).";

#[derive(Args)]
struct RequestArgs {
    /// The URL to request (WHATWG syntax; http: only).
    url: String,
    /// The method. Default: POST with -d (as curl), else GET.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A header, set with setHeader in the order given. A name given twice
    /// keeps the last value: setHeader replaces.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The body, written with one write() before end(). Its characters are
    /// taken as latin1 bytes, as Buffer.from(DATA, 'latin1').
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Option<String>,
    /// Print one JSON line per response instead of curl -i's format.
    #[arg(long)]
    json: bool,
    /// Send N requests, one after another, through the same Agent.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Make the Agent keep-alive, so --repeat reuses its socket.
    #[arg(long)]
    keep_alive: bool,
    /// Run this component file instead of the built-in one.
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,
}

/// `-H 'Name: value'`: split at the first colon, the value trimmed of
/// surrounding whitespace, as curl does. Whether the name is a token and the
/// value valid is setHeader's to say.
fn parse_header(line: &str) -> Result<(String, String), String> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| format!("a header is 'Name: value', got {line:?}"))?;
    Ok((name.to_string(), value.trim().to_string()))
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port). It is added to the
    /// component's address policy, which otherwise allows loopback only.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Answer every request with "hello world" instead of echoing it.
    #[arg(long)]
    hello: bool,
    /// Also be a CONNECT tunnelling proxy (Node's documented example): a
    /// CONNECT host:port request is tunnelled to that target, if the address
    /// policy allows it (see --allow); other requests get the application.
    #[arg(long)]
    proxy: bool,
    /// Also allow the component to connect to (and listen on) this network,
    /// e.g. 192.0.2.0/24 or 2001:db8::1. Repeatable. The default policy is
    /// loopback only (127.0.0.0/8, ::1) plus the --listen address.
    #[arg(long, value_name = "CIDR")]
    allow: Vec<IpNetwork>,
    /// Run this component file instead of the built-in one.
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,
    /// Node's maxHeaderSize: request target plus header names and values.
    #[arg(long, value_name = "N")]
    max_header_size: Option<u32>,
    /// Node's server.maxHeadersCount (0 = no limit).
    #[arg(long, value_name = "N")]
    max_headers_count: Option<u32>,
    /// Node's insecureHTTPParser: accept what Node v12's parser accepted.
    #[arg(long)]
    insecure_http_parser: bool,
    /// Node's server.keepAliveTimeout (0 disables).
    #[arg(long, value_name = "MS")]
    keep_alive_timeout: Option<u32>,
    /// Node's server.headersTimeout (0 disables).
    #[arg(long, value_name = "MS")]
    headers_timeout: Option<u32>,
    /// Node's server.timeout, socket inactivity (0 disables).
    #[arg(long, value_name = "MS")]
    timeout: Option<u32>,
}

fn main() -> ExitCode {
    // Usage errors exit 1 like every other failure (clap's own default is 2).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Serve(args) => block_on(serve(args)),
        Command::Request(args) => block_on(request(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // What Node would throw or emit as 'error': its code and message,
        // as a Node script printing `${err.code}: ${err.message}` would.
        Err(err) => match err.downcast_ref::<NodeHttpError>() {
            Some(NodeHttpError::Node(node)) => {
                eprintln!("{}: {}", node.code, node.message);
                ExitCode::FAILURE
            }
            _ => {
                eprintln!("nodehttp: {err}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Runs `future` on a current-thread runtime: the component's event loop
/// runs on the caller's task.
fn block_on(
    future: impl std::future::Future<Output = Result<(), Box<dyn StdError>>>,
) -> Result<(), Box<dyn StdError>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn StdError>> {
    // Installed before listening, so a signal sent as soon as the
    // "listening" line appears is not lost.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    };

    let ip = args.listen.ip();
    let mut policy = AddressPolicy::default();
    if !policy.allows(ip) {
        policy = policy.allow_address(ip);
    }
    for network in args.allow {
        policy = policy.allow(network);
    }
    let config = Config {
        component: args.component.clone(),
        address_policy: policy,
        inherit_stderr: true,
        ..Config::default()
    };
    let options = ServerOptions {
        max_header_size: args.max_header_size,
        max_headers_count: args.max_headers_count,
        insecure_http_parser: args.insecure_http_parser,
        keep_alive_timeout: args.keep_alive_timeout,
        headers_timeout: args.headers_timeout,
        timeout: args.timeout,
        listeners: if args.proxy {
            Proxy::<Echo>::listeners()
        } else {
            ServerListeners::default()
        },
    };

    let mut node = NodeHttp::new(config).await?;
    let server = node.create_server(options).await?;
    server
        .listen(&mut node, args.listen.port(), &ip.to_string())
        .await?;
    let bound = server
        .address(&mut node)
        .await?
        .ok_or("the server has no address after listen")?;
    let bound = SocketAddr::new(bound.address.parse::<IpAddr>()?, bound.port);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);

    match (args.hello, args.proxy) {
        (true, true) => node.serve(server, &mut Proxy::new(Hello), shutdown).await?,
        (true, false) => node.serve(server, &mut Hello, shutdown).await?,
        (false, true) => {
            let mut proxy = Proxy::new(Echo::default());
            node.serve(server, &mut proxy, shutdown).await?
        }
        (false, false) => node.serve(server, &mut Echo::default(), shutdown).await?,
    }
    Ok(())
}

async fn request(args: RequestArgs) -> Result<(), Box<dyn StdError>> {
    let config = Config {
        component: args.component.clone(),
        address_policy: target_policy(&args.url).await,
        inherit_stderr: true,
        ..Config::default()
    };
    let fetch = Fetch {
        url: args.url,
        method: args.method,
        headers: args.headers,
        data: args.data.as_deref().map(latin1_bytes),
    };
    let mut node = NodeHttp::new(config).await?;
    let options = AgentOptions {
        keep_alive: args.keep_alive,
        ..AgentOptions::default()
    };
    let agent = Agent::new(&mut node, options).await?;
    let mut stdout = std::io::stdout().lock();
    for _ in 0..args.repeat {
        let response = fetch.send(&mut node, agent).await?;
        if args.json {
            writeln!(stdout, "{}", response.to_json())?;
        } else {
            stdout.write_all(&response.to_http())?;
        }
        stdout.flush()?;
    }
    // As a Node script would end: nothing left open.
    agent.destroy(&mut node).await?;
    Ok(())
}

/// The default policy (loopback) plus the URL's host: its address, or the
/// addresses its name resolves to now. The URL is parsed as the component
/// parses it (`request_options::parse_url`, Node's WHATWG rules), so the host
/// allowed is the one the component will look up. A URL that does not parse,
/// or a name that does not resolve, adds nothing: the component reports it
/// (`ERR_INVALID_URL`, `ENOTFOUND`) as Node would.
async fn target_policy(url: &str) -> AddressPolicy {
    let mut policy = AddressPolicy::default();
    let Ok(RequestOptions {
        hostname: Some(host),
        port,
        ..
    }) = parse_url(url)
    else {
        return policy;
    };
    // `hostname` has IPv6 brackets stripped, and WHATWG writes an IP host in
    // its canonical form, which `IpAddr` parses.
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) if host.is_empty() => Vec::new(),
        Err(_) => match tokio::net::lookup_host((host.as_str(), port.unwrap_or(80))).await {
            Ok(resolved) => resolved.map(|addr| addr.ip()).collect(),
            Err(_) => Vec::new(),
        },
    };
    for ip in addresses {
        if !policy.allows(ip) {
            policy = policy.allow_address(ip);
        }
    }
    policy
}
