//! [`Agent`]: `http.Agent`, the client's connection pool, and
//! `http.globalAgent`.

use wasmtime::component::ResourceAny;

use crate::bindings::wit_client;
use crate::node::{call_guest, calls, Handle};
use crate::{Error, NodeHttp};

/// Options of `new Agent([options])`; `None` means Node's default.
pub type AgentOptions = wit_client::AgentOptions;

/// The `scheduling` option of `new Agent`: which free socket a request gets.
pub type Scheduling = wit_client::Scheduling;

impl Default for AgentOptions {
    /// Node v12's defaults: not keep-alive, every limit unset.
    fn default() -> Self {
        AgentOptions {
            keep_alive: false,
            keep_alive_msecs: None,
            max_sockets: None,
            max_total_sockets: None,
            max_free_sockets: None,
            scheduling: None,
            timeout: None,
        }
    }
}

/// `http.Agent`: sockets shared by the requests to one origin, up to its
/// limits. Created by [`Agent::new`] or [`NodeHttp::global_agent`]; pass it
/// to a request as [`crate::AgentChoice::Agent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Agent {
    id: u32,
}

impl Agent {
    /// `new http.Agent(options)`. Error: `ERR_OUT_OF_RANGE` for a
    /// `maxTotalSockets` of 0, as Node's constructor throws.
    pub async fn new(node: &mut NodeHttp, options: AgentOptions) -> Result<Agent, Error> {
        // The WIT constructor cannot fail, so Node's throw is checked here,
        // by the core's rule.
        let checked = nodehttp_core::agent::AgentOptions {
            max_total_sockets: options.max_total_sockets,
            ..Default::default()
        };
        checked.validate()?;
        let resource = call_guest!(node, |guest, store| guest
            .nodehttp_http_client()
            .agent()
            .call_constructor(store, options));
        node.adopt_agent(resource).await
    }

    fn handle(&self) -> Handle {
        Handle::Agent(self.id)
    }

    /// The component resource behind this handle, to lend to a request.
    pub(crate) fn resource(&self, node: &NodeHttp) -> Result<ResourceAny, Error> {
        node.resource(self.handle())
    }

    /// Identifies this agent.
    pub fn id(&self) -> u32 {
        self.id
    }

    calls! { nodehttp_http_client.agent;
        /// `agent.getName({host, port, localAddress, family})`:
        /// `host:port:localAddress[:family]`.
        get_name(host: &str, port: u16, local_address: Option<&str>, family: Option<u8>) -> String
            = call_get_name(host, port, local_address, family);
        /// `agent.sockets`: sockets in use, counted per origin name.
        sockets() -> Vec<(String, u32)> = call_sockets();
        /// `agent.freeSockets`: idle sockets kept for reuse, per origin name.
        free_sockets() -> Vec<(String, u32)> = call_free_sockets();
        /// `agent.requests`: requests waiting for a socket, per origin name.
        requests() -> Vec<(String, u32)> = call_requests();
        /// `agent.maxSockets` (`None`: unlimited).
        max_sockets() -> Option<u32> = call_max_sockets();
        /// `agent.maxTotalSockets` (`None`: unlimited).
        max_total_sockets() -> Option<u32> = call_max_total_sockets();
        /// `agent.maxFreeSockets`.
        max_free_sockets() -> u32 = call_max_free_sockets();
        /// `agent.keepAlive`.
        keep_alive() -> bool = call_keep_alive();
        /// `agent.destroy()`: destroy every socket the agent holds, in use or
        /// free. Requests on them fail as Node's do (`ECONNRESET`, "socket
        /// hang up").
        destroy() -> () = call_destroy();
    }

    /// Releases the handle. The agent itself lives on while requests use it
    /// (and the global agent always); call [`Agent::destroy`] to close its
    /// sockets.
    pub async fn dispose(self, node: &mut NodeHttp) -> Result<(), Error> {
        node.release(self.handle()).await
    }
}

impl NodeHttp {
    /// `http.globalAgent`: the Agent of requests made with
    /// [`crate::AgentChoice::Global`] (v12 defaults: not keep-alive). Every
    /// call returns the same handle.
    pub async fn global_agent(&mut self) -> Result<Agent, Error> {
        let resource = call_guest!(self, |guest, store| guest
            .nodehttp_http_client()
            .call_global_agent(store));
        self.adopt_agent(resource).await
    }

    /// Registers an agent resource the component handed over, unless its
    /// agent has a handle already (each `global-agent` call hands over a new
    /// resource for the same agent): then the new one is dropped.
    async fn adopt_agent(&mut self, resource: ResourceAny) -> Result<Agent, Error> {
        let id = call_guest!(self, |guest, store| guest
            .nodehttp_http_client()
            .agent()
            .call_id(store, resource));
        let agent = Agent { id };
        if self.is_live(agent.handle()) {
            self.drop_resource(resource).await?;
        } else {
            self.register(agent.handle(), resource);
        }
        Ok(agent)
    }
}

/// These run the embedded component.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[tokio::test]
    async fn global_agent_is_one_handle() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let first = node.global_agent().await.unwrap();
        let second = node.global_agent().await.unwrap();
        assert_eq!(first, second);
        assert!(!first.keep_alive(&mut node).await.unwrap());
        assert_eq!(first.max_sockets(&mut node).await.unwrap(), None);
    }

    /// Node v20: `new http.Agent({maxTotalSockets: 0})` throws this; a
    /// `maxSockets` of 0 is read with `||`, so it means unlimited.
    #[tokio::test]
    async fn options_as_node_reads_them() {
        let mut node = NodeHttp::new(Config::default()).await.unwrap();
        let zero_total = AgentOptions {
            max_total_sockets: Some(0),
            ..AgentOptions::default()
        };
        match Agent::new(&mut node, zero_total).await {
            Err(Error::Node(err)) => assert_eq!(
                format!("{}: {}", err.code, err.message),
                "ERR_OUT_OF_RANGE: The value of \"maxTotalSockets\" is out of range. \
                 It must be >= 1. Received 0"
            ),
            other => panic!("{other:?}"),
        }
        let options = AgentOptions {
            keep_alive: true,
            max_sockets: Some(0),
            ..AgentOptions::default()
        };
        let agent = Agent::new(&mut node, options).await.unwrap();
        assert!(agent.keep_alive(&mut node).await.unwrap());
        assert_eq!(agent.max_sockets(&mut node).await.unwrap(), None);
        assert_eq!(agent.max_free_sockets(&mut node).await.unwrap(), 256);
        agent.dispose(&mut node).await.unwrap();
        assert!(matches!(
            agent.keep_alive(&mut node).await,
            Err(Error::Disposed { kind: "agent", .. })
        ));
    }
}
