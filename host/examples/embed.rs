//! Embedding nodehttp in a Rust program: a server whose handler receives
//! Node's request and response objects. Run it with
//! `cargo run --release -p nodehttp-host --example embed`, then
//! `curl http://127.0.0.1:8081/anything`.

use nodehttp_host::{
    Config, Error, HeaderValue, IncomingMessage, NodeHttp, RequestListener, ServerOptions,
    ServerResponse,
};

/// `http.createServer((req, res) => { ... })`'s listener, as a type.
struct Greeter;

impl RequestListener for Greeter {
    async fn request(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        // A server's request always has a URL (only a client's response lacks one).
        let url = req.url(node).await?.unwrap_or_default();
        let text = HeaderValue::Text("text/plain".into());
        res.set_header(node, "Content-Type", &text).await?;
        res.end(node, Some(format!("you asked for {url}\n").as_bytes()))
            .await
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // The sandbox: loopback only, bounded memory (see `Config`).
    let mut node = NodeHttp::new(Config::default()).await?;
    let server = node.create_server(ServerOptions::default()).await?;
    server.listen(&mut node, 8081, "127.0.0.1").await?;
    if let Some(address) = server.address(&mut node).await? {
        println!("listening on {}:{}", address.address, address.port);
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    node.serve(server, &mut Greeter, shutdown).await
}
