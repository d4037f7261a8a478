//! The hello application (`nodehttp serve --hello`): the smallest useful
//! server, for benchmarks.

use crate::{Error, HeaderValue, IncomingMessage, NodeHttp, RequestListener, ServerResponse};

/// Answers every request with
/// `res.setHeader('Content-Type', 'text/plain'); res.end('hello world')`.
#[derive(Debug, Default)]
pub struct Hello;

impl RequestListener for Hello {
    async fn request(
        &mut self,
        node: &mut NodeHttp,
        req: IncomingMessage,
        res: ServerResponse,
    ) -> Result<(), Error> {
        let content_type = HeaderValue::Text("text/plain".into());
        let answered = match res.set_header(node, "Content-Type", &content_type).await {
            Ok(()) => res.end(node, Some(b"hello world")).await,
            Err(err) => Err(err),
        };
        match answered {
            // Node threw (e.g. the connection is already gone): that ends
            // this connection, never the server.
            Err(Error::Node(_)) => req.destroy(node, None).await,
            other => other,
        }
    }
}
