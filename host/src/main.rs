//! `nodehttp`: runs the nodehttp component as an HTTP server.
//!
//! `nodehttp serve` listens, prints `listening on ADDR:PORT` once it accepts
//! connections, and serves the echo application (or `--hello`) until SIGINT
//! or SIGTERM, then closes the server and exits 0. Any failure (a bad address,
//! `EADDRINUSE`, a trap in the component) is reported on stderr, exit 1.

use std::error::Error as StdError;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tokio::signal::unix::{signal, SignalKind};

use nodehttp_host::echo::Echo;
use nodehttp_host::hello::Hello;
use nodehttp_host::{AddressPolicy, Config, IpNetwork, NodeHttp, ServerOptions};

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
    let Command::Serve(args) = cli.command;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(serve(args)),
        Err(err) => Err(err.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nodehttp: {err}");
            ExitCode::FAILURE
        }
    }
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
        let host_bits = if ip.is_ipv4() { 32 } else { 128 };
        policy = policy.allow(IpNetwork::new(ip, host_bits).ok_or("invalid listen address")?);
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

    if args.hello {
        node.serve(server, &mut Hello, shutdown).await?;
    } else {
        node.serve(server, &mut Echo::default(), shutdown).await?;
    }
    Ok(())
}
