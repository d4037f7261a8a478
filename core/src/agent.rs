//! The Agent's connection pool, as Node's `lib/_http_agent.js` runs it, sans-IO.
//!
//! [`Agent`] owns no socket. The runtime asks it what to do with a request
//! ([`Agent::add_request`]) and tells it what happened to a socket: its request
//! is done and it may be reused ([`Agent::free`]), or it closed
//! ([`Agent::remove_socket`]). Sockets are named by [`SocketId`]s the pool
//! chooses; the runtime maps them to real connections.
//!
//! The decisions are Node v20's, with v12's defaults (not keep-alive, `fifo`):
//! - a request takes a free socket of its origin name if there is one, else a
//!   new socket if under `maxSockets` (per name) and `maxTotalSockets` (all
//!   names), else waits in `requests[name]`;
//! - a freed socket goes to the oldest waiting request of its name; with none
//!   waiting it joins the free pool (keep-alive agents, within the limits) or
//!   is destroyed;
//! - a socket that leaves the in-use set (closed, or moved to the free pool)
//!   makes room: Node then creates a socket for a waiting request, of the same
//!   name or else of the first name in `requests`, if that name has no socket
//!   in use. That creation checks no limit, so, as in Node, `maxTotalSockets`
//!   gates the sockets `addRequest` creates and the pooling of freed ones, but
//!   does not bound the sockets alive.
//!
//! A socket stays counted (`totalSocketCount`) from its creation until the
//! runtime reports it gone with [`Agent::remove_socket`] (Node's `'close'` or
//! `'agentRemove'`), even after the pool asked for it to be destroyed.

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;

use crate::error::NodeError;

/// A socket of the pool; chosen by the pool, increasing, never reused.
pub type SocketId = u64;

/// A request waiting for a socket; chosen by the runtime.
pub type RequestId = u64;

/// `new Agent(options)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentOptions {
    /// Keep sockets in the free pool once their request is done.
    pub keep_alive: bool,
    /// Initial delay of TCP keep-alive probes on pooled sockets.
    pub keep_alive_msecs: u64,
    /// Sockets per origin name; `None` is Node's `Infinity`.
    pub max_sockets: Option<u32>,
    /// Sockets over all names; `None` is Node's `Infinity`.
    pub max_total_sockets: Option<u32>,
    /// Free sockets kept per origin name.
    pub max_free_sockets: u32,
    /// Which free socket a request takes.
    pub scheduling: Scheduling,
    /// Socket timeout in ms; a free socket that times out is destroyed.
    pub timeout: Option<u64>,
}

impl Default for AgentOptions {
    /// v12's defaults: the global agent is not keep-alive and schedules `fifo`.
    fn default() -> Self {
        AgentOptions {
            keep_alive: false,
            keep_alive_msecs: 1000,
            max_sockets: None,
            max_total_sockets: None,
            max_free_sockets: 256,
            scheduling: Scheduling::Fifo,
            timeout: None,
        }
    }
}

impl AgentOptions {
    /// What Node's constructor throws on: `maxTotalSockets` below 1
    /// (`validateNumber(this.maxTotalSockets, 'maxTotalSockets', 1)`).
    pub fn validate(&self) -> Result<(), NodeError> {
        match self.max_total_sockets {
            Some(0) => Err(NodeError::new(
                "ERR_OUT_OF_RANGE",
                "The value of \"maxTotalSockets\" is out of range. It must be >= 1. Received 0",
            )),
            _ => Ok(()),
        }
    }

    /// The values Node's constructor stores: it reads `keepAliveMsecs`,
    /// `maxSockets`, `maxFreeSockets` and `timeout` with `||`, so a 0 means the
    /// default (`agent.maxFreeSockets` is 256 after `{maxFreeSockets: 0}`).
    fn effective(self) -> Self {
        let default = AgentOptions::default();
        AgentOptions {
            keep_alive_msecs: nonzero_or(self.keep_alive_msecs, default.keep_alive_msecs),
            max_sockets: self.max_sockets.filter(|&n| n != 0),
            max_free_sockets: nonzero_or(self.max_free_sockets, default.max_free_sockets),
            timeout: self.timeout.filter(|&ms| ms != 0),
            ..self
        }
    }
}

fn nonzero_or<T: Default + PartialEq>(value: T, default: T) -> T {
    if value == T::default() {
        default
    } else {
        value
    }
}

/// The `scheduling` option: which free socket of a name a request takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheduling {
    /// The least recently used (Node shifts the oldest free socket).
    #[default]
    Fifo,
    /// The most recently used (Node pops the newest), so idle sockets age out.
    Lifo,
}

impl FromStr for Scheduling {
    type Err = NodeError;

    /// `'fifo'` or `'lifo'`; anything else is what Node's `validateOneOf`
    /// throws. (Node reads the option with `||`: the caller maps an absent or
    /// empty value to [`Scheduling::default`].)
    fn from_str(value: &str) -> Result<Self, NodeError> {
        match value {
            "fifo" => Ok(Scheduling::Fifo),
            "lifo" => Ok(Scheduling::Lifo),
            _ => Err(NodeError::new(
                "ERR_INVALID_ARG_VALUE",
                format!(
                    "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received '{value}'"
                ),
            )),
        }
    }
}

/// `agent.getName(options)`: `host:port:localAddress`, then `:family` only for
/// 4 or 6. Parts are JS-falsy-tested as in Node: an empty host is
/// `localhost`, port 0 and an empty local address leave their part empty.
pub fn get_name(host: &str, port: u16, local_address: Option<&str>, family: Option<u8>) -> String {
    let host = if host.is_empty() { "localhost" } else { host };
    let port = if port == 0 {
        String::new()
    } else {
        port.to_string()
    };
    let mut name = format!("{host}:{port}:{}", local_address.unwrap_or(""));
    if let Some(family @ (4 | 6)) = family {
        name.push_str(&format!(":{family}"));
    }
    name
}

/// Where [`Agent::add_request`] put a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    /// A free socket of its name (Node sets `req.reusedSocket = true`).
    Reuse(SocketId),
    /// A new socket for the runtime to connect.
    Create(SocketId),
    /// At the limits: it waits in `agent.requests`, and a later [`Freed::Assign`]
    /// or a creation from [`Agent::remove_socket`] or [`Freed::Keep`] serves it.
    Queued,
}

/// What to do with a socket whose request is done ([`Agent::free`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freed {
    /// Hand it to this waiting request. Node goes straight to `req.onSocket`
    /// here, without `reuseSocket`: `reusedSocket` stays false.
    Assign(RequestId),
    /// It is in the free pool now. Leaving the in-use set may have made room
    /// for a waiting request of another name: `create` is a new socket for the
    /// runtime to connect and hand to that request.
    Keep {
        create: Option<(SocketId, RequestId)>,
    },
    /// Destroy it (the agent is not keep-alive, or a limit is reached); report
    /// its close with [`Agent::remove_socket`].
    Destroy,
}

/// One socket the pool counts (Node's `totalSocketCount`).
#[derive(Debug)]
struct Tracked {
    name: String,
    /// The pool asked the runtime to destroy it; it is never handed out again.
    destroyed: bool,
}

/// Per-name entries in insertion order, as a JS object's string keys are
/// listed: `agent.sockets` and friends are read in that order, and
/// `removeSocket` serves "the first name" in `requests` by it.
#[derive(Debug)]
struct ByName<V>(Vec<(String, V)>);

impl<V: Default> ByName<V> {
    fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.0.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `this.x[name] || (this.x[name] = [])`: a new name goes last.
    fn entry(&mut self, name: &str) -> &mut V {
        let index = match self.0.iter().position(|(n, _)| n == name) {
            Some(index) => index,
            None => {
                self.0.push((name.to_owned(), V::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[index].1
    }

    /// `delete this.x[name]`.
    fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    fn first_name(&self) -> Option<&str> {
        self.0.first().map(|(n, _)| n.as_str())
    }

    fn counts(&self, len: impl Fn(&V) -> usize) -> Vec<(String, u32)> {
        self.0
            .iter()
            .map(|(n, v)| (n.clone(), u32::try_from(len(v)).unwrap_or(u32::MAX)))
            .collect()
    }
}

impl<V> Default for ByName<V> {
    fn default() -> Self {
        ByName(Vec::new())
    }
}

/// Node's `new http.Agent(options)`: the pool of one agent.
#[derive(Debug)]
pub struct Agent {
    options: AgentOptions,
    /// `agent.sockets`: in use, per name. As in Node, a name whose request
    /// was queued has an entry even with no socket.
    sockets: ByName<Vec<SocketId>>,
    /// `agent.freeSockets`: oldest first.
    free_sockets: ByName<VecDeque<SocketId>>,
    /// `agent.requests`: waiting, oldest first.
    requests: ByName<VecDeque<RequestId>>,
    /// Every socket created and not yet removed; its size is `totalSocketCount`.
    tracked: HashMap<SocketId, Tracked>,
    next_socket: SocketId,
}

impl Agent {
    /// `new Agent(options)`; see [`AgentOptions::validate`] for what Node
    /// refuses.
    pub fn new(options: AgentOptions) -> Self {
        Agent {
            options: options.effective(),
            sockets: ByName::default(),
            free_sockets: ByName::default(),
            requests: ByName::default(),
            tracked: HashMap::new(),
            next_socket: 1,
        }
    }

    /// The options as the agent stores them (Node's defaults for zeros).
    pub fn options(&self) -> &AgentOptions {
        &self.options
    }

    /// `agent.addRequest(req, options)` for a request to origin `name`
    /// ([`get_name`]).
    pub fn add_request(&mut self, name: &str, req: RequestId) -> Assignment {
        self.sockets.entry(name);
        let reused = self.take_free_socket(name);
        let free_len = self.free_sockets.get(name).map_or(0, VecDeque::len);
        let sock_len = free_len + self.sockets.get(name).map_or(0, Vec::len);
        if let Some(socket) = reused {
            self.sockets.entry(name).push(socket);
            Assignment::Reuse(socket)
        } else if below(sock_len, self.options.max_sockets)
            && below(self.tracked.len(), self.options.max_total_sockets)
        {
            Assignment::Create(self.create_socket(name))
        } else {
            self.requests.entry(name).push_back(req);
            Assignment::Queued
        }
    }

    /// A waiting request went away (aborted before it got a socket); false if
    /// it was not waiting. Node leaves an aborted request queued and, when it
    /// is served, passes the socket on with `'free'`; dropping it here makes
    /// the same decisions without a needless connection.
    pub fn remove_request(&mut self, name: &str, req: RequestId) -> bool {
        let Some(queue) = self.requests.get_mut(name) else {
            return false;
        };
        let Some(index) = queue.iter().position(|&r| r == req) else {
            return false;
        };
        queue.remove(index);
        if queue.is_empty() {
            self.requests.remove(name);
            // The entry `addRequest` made for the queued request; Node drops it
            // once the socket that request would have received is gone.
            if self.sockets.get(name).is_some_and(Vec::is_empty) {
                self.sockets.remove(name);
            }
        }
        true
    }

    /// Node's `'free'` handler: the socket's request is done and the socket may
    /// be reused (the client emits `'free'` only when `req.shouldKeepAlive` and
    /// the response was read to its end). A socket already free stays free.
    pub fn free(&mut self, socket: SocketId) -> Freed {
        let name = match self.tracked.get(&socket) {
            Some(tracked) if !tracked.destroyed => tracked.name.clone(),
            // Node: `if (!socket.writable) { socket.destroy(); return; }`.
            _ => return Freed::Destroy,
        };
        if !self.sockets.get(&name).is_some_and(|s| s.contains(&socket)) {
            return Freed::Keep { create: None };
        }
        if let Some(req) = self.next_request(&name) {
            return Freed::Assign(req);
        }
        // A name can hold more than `maxSockets`: a destroyed free socket that
        // `add_request` dropped still makes room for a waiting request when
        // it closes.
        let free_len = self.free_sockets.get(&name).map_or(0, VecDeque::len);
        let count = free_len + self.sockets.get(&name).map_or(0, Vec::len);
        if !self.options.keep_alive
            || above(self.tracked.len(), self.options.max_total_sockets)
            || above(count, self.options.max_sockets)
            || free_len >= self.options.max_free_sockets as usize
        {
            self.mark_destroyed(socket);
            return Freed::Destroy;
        }
        self.free_sockets.entry(&name).push_back(socket);
        self.forget_in_use(&name, socket);
        Freed::Keep {
            create: self.serve_waiting(&name),
        }
    }

    /// Node's `removeSocket` from `'close'` or `'agentRemove'`: the socket is
    /// gone, in use or free. The room it leaves may go to a waiting request:
    /// then the pool returns a new socket for the runtime to connect and hand
    /// to that request. An unknown socket changes nothing.
    pub fn remove_socket(&mut self, socket: SocketId) -> Option<(SocketId, RequestId)> {
        let tracked = self.tracked.remove(&socket)?;
        self.forget_in_use(&tracked.name, socket);
        if let Some(free) = self.free_sockets.get_mut(&tracked.name) {
            free.retain(|&s| s != socket);
            if free.is_empty() {
                self.free_sockets.remove(&tracked.name);
            }
        }
        self.serve_waiting(&tracked.name)
    }

    /// `agent.destroy()`: every socket, free ones first, for the runtime to
    /// destroy; none of them is handed out again. Each stays counted until
    /// its close is reported with [`Agent::remove_socket`] (waiting requests
    /// then get new sockets, as in Node).
    pub fn destroy(&mut self) -> Vec<SocketId> {
        let free = self.free_sockets.0.iter().flat_map(|(_, s)| s.iter());
        let in_use = self.sockets.0.iter().flat_map(|(_, s)| s.iter());
        let all: Vec<SocketId> = free.chain(in_use).copied().collect();
        all.into_iter()
            .filter(|&s| self.mark_destroyed(s))
            .collect()
    }

    /// Node's `onTimeout` test: a free socket that times out is destroyed; one
    /// in use only tells its request.
    pub fn is_free(&self, socket: SocketId) -> bool {
        self.tracked.get(&socket).is_some_and(|t| {
            self.free_sockets
                .get(&t.name)
                .is_some_and(|free| free.contains(&socket))
        })
    }

    /// `agent.sockets`, as counts per name in Node's key order.
    pub fn sockets(&self) -> Vec<(String, u32)> {
        self.sockets.counts(Vec::len)
    }

    /// `agent.freeSockets`, as counts per name in Node's key order.
    pub fn free_sockets(&self) -> Vec<(String, u32)> {
        self.free_sockets.counts(VecDeque::len)
    }

    /// `agent.requests`, as counts per name in Node's key order.
    pub fn requests(&self) -> Vec<(String, u32)> {
        self.requests.counts(VecDeque::len)
    }

    /// `agent.totalSocketCount`.
    pub fn total_sockets(&self) -> u32 {
        u32::try_from(self.tracked.len()).unwrap_or(u32::MAX)
    }

    /// The free socket a request of `name` takes, by `scheduling`. Node first
    /// drops destroyed sockets from the front; only [`Agent::destroy`] marks
    /// free sockets, all at once, so they are all at the front.
    fn take_free_socket(&mut self, name: &str) -> Option<SocketId> {
        let free = self.free_sockets.get_mut(name)?;
        let tracked = &self.tracked;
        free.retain(|s| tracked.get(s).is_some_and(|t| !t.destroyed));
        let socket = match self.options.scheduling {
            Scheduling::Fifo => free.pop_front(),
            Scheduling::Lifo => free.pop_back(),
        };
        if free.is_empty() {
            self.free_sockets.remove(name);
        }
        socket
    }

    /// `createSocket`: a new socket of `name`, in use and counted.
    fn create_socket(&mut self, name: &str) -> SocketId {
        let socket = self.next_socket;
        self.next_socket += 1;
        self.tracked.insert(
            socket,
            Tracked {
                name: name.to_owned(),
                destroyed: false,
            },
        );
        self.sockets.entry(name).push(socket);
        socket
    }

    /// The oldest waiting request of `name`, out of the queue.
    fn next_request(&mut self, name: &str) -> Option<RequestId> {
        let queue = self.requests.get_mut(name)?;
        let req = queue.pop_front();
        if queue.is_empty() {
            self.requests.remove(name);
        }
        req
    }

    /// The end of `removeSocket`: a socket of `name` left the in-use set, so
    /// create one for `requests[name][0]`, or else for the first request of
    /// the first name in `requests` if that name has no socket in use ("this
    /// logic will not be FIFO across origins", says Node). The new socket's
    /// `'free'` then hands it to that same request.
    fn serve_waiting(&mut self, name: &str) -> Option<(SocketId, RequestId)> {
        let target = if self.requests.get(name).is_some() {
            name.to_owned()
        } else {
            let first = self.requests.first_name()?;
            if self.sockets.get(first).is_some_and(|s| !s.is_empty()) {
                return None;
            }
            first.to_owned()
        };
        let req = self.next_request(&target)?;
        Some((self.create_socket(&target), req))
    }

    /// Out of `sockets[name]`, deleting the entry once empty ("Don't leak").
    fn forget_in_use(&mut self, name: &str, socket: SocketId) {
        if let Some(in_use) = self.sockets.get_mut(name) {
            if let Some(index) = in_use.iter().position(|&s| s == socket) {
                in_use.remove(index);
                if in_use.is_empty() {
                    self.sockets.remove(name);
                }
            }
        }
    }

    /// Marks a counted socket destroyed; false if it already was (or is
    /// unknown), so no socket is reported for destruction twice.
    fn mark_destroyed(&mut self, socket: SocketId) -> bool {
        match self.tracked.get_mut(&socket) {
            Some(t) if !t.destroyed => {
                t.destroyed = true;
                true
            }
            _ => false,
        }
    }
}

/// `count < limit`, with `None` as `Infinity`.
fn below(count: usize, limit: Option<u32>) -> bool {
    limit.is_none_or(|limit| count < limit as usize)
}

/// `count > limit`, with `None` as `Infinity`.
fn above(count: usize, limit: Option<u32>) -> bool {
    limit.is_some_and(|limit| count > limit as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a:80:";
    const B: &str = "b:80:";

    fn agent(options: AgentOptions) -> Agent {
        Agent::new(options)
    }

    fn keep_alive() -> AgentOptions {
        AgentOptions {
            keep_alive: true,
            ..AgentOptions::default()
        }
    }

    fn counts(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
        pairs.iter().map(|&(n, c)| (n.to_owned(), c)).collect()
    }

    #[test]
    fn get_name_is_nodes() {
        assert_eq!(
            get_name("h", 80, Some("1.2.3.4"), Some(4)),
            "h:80:1.2.3.4:4"
        );
        assert_eq!(get_name("::1", 8080, None, Some(6)), "::1:8080::6");
        assert_eq!(get_name("", 0, None, None), "localhost::");
        assert_eq!(get_name("h", 80, Some(""), Some(5)), "h:80:");
    }

    #[test]
    fn scheduling_parses_as_node_validates() {
        assert_eq!("fifo".parse(), Ok(Scheduling::Fifo));
        assert_eq!("lifo".parse(), Ok(Scheduling::Lifo));
        let err = "x".parse::<Scheduling>().unwrap_err();
        assert_eq!(err.code, "ERR_INVALID_ARG_VALUE");
        assert_eq!(
            err.message,
            "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received 'x'"
        );
    }

    #[test]
    fn options_take_nodes_defaults_for_zeros() {
        let zeros = AgentOptions {
            keep_alive_msecs: 0,
            max_sockets: Some(0),
            max_free_sockets: 0,
            timeout: Some(0),
            ..AgentOptions::default()
        };
        assert_eq!(agent(zeros).options(), &AgentOptions::default());
        let total = AgentOptions {
            max_total_sockets: Some(0),
            ..AgentOptions::default()
        };
        assert_eq!(
            total.validate().map_err(|e| e.code),
            Err("ERR_OUT_OF_RANGE")
        );
        assert_eq!(AgentOptions::default().validate(), Ok(()));
    }

    #[test]
    fn requests_create_sockets_up_to_max_sockets_then_wait() {
        let mut a = agent(AgentOptions {
            max_sockets: Some(2),
            ..AgentOptions::default()
        });
        assert_eq!(a.add_request(A, 1), Assignment::Create(1));
        assert_eq!(a.add_request(A, 2), Assignment::Create(2));
        assert_eq!(a.add_request(A, 3), Assignment::Queued);
        assert_eq!(a.add_request(B, 4), Assignment::Create(3));
        assert_eq!(a.sockets(), counts(&[(A, 2), (B, 1)]));
        assert_eq!(a.requests(), counts(&[(A, 1)]));
        assert_eq!(a.total_sockets(), 3);
    }

    #[test]
    fn max_total_sockets_queues_across_names_with_an_empty_sockets_entry() {
        let mut a = agent(AgentOptions {
            max_total_sockets: Some(1),
            ..AgentOptions::default()
        });
        assert_eq!(a.add_request(A, 1), Assignment::Create(1));
        assert_eq!(a.add_request(B, 2), Assignment::Queued);
        // Node: `if (!this.sockets[name]) this.sockets[name] = []` comes first.
        assert_eq!(a.sockets(), counts(&[(A, 1), (B, 0)]));
        // A's socket closes: no request of A waits, B is first and has none in use.
        assert_eq!(a.remove_socket(1), Some((2, 2)));
        assert_eq!(a.sockets(), counts(&[(B, 1)]));
        assert_eq!(a.requests(), vec![]);
    }

    #[test]
    fn a_freed_socket_serves_the_oldest_waiting_request_of_its_name() {
        let mut a = agent(AgentOptions {
            max_sockets: Some(1),
            ..AgentOptions::default()
        });
        a.add_request(A, 1);
        assert_eq!(a.add_request(A, 2), Assignment::Queued);
        assert_eq!(a.add_request(A, 3), Assignment::Queued);
        // Even a non-keep-alive agent hands it on: the queue is checked first.
        assert_eq!(a.free(1), Freed::Assign(2));
        assert_eq!(a.free(1), Freed::Assign(3));
        assert_eq!(a.requests(), vec![]);
        assert_eq!(a.free(1), Freed::Destroy);
        assert_eq!(a.sockets(), counts(&[(A, 1)]));
        assert_eq!(a.remove_socket(1), None);
        assert_eq!(a.sockets(), vec![]);
    }

    #[test]
    fn keep_alive_pools_and_reuses_by_name() {
        let mut a = agent(keep_alive());
        a.add_request(A, 1);
        assert_eq!(a.free(1), Freed::Keep { create: None });
        assert!(a.is_free(1));
        assert_eq!(a.sockets(), vec![]);
        assert_eq!(a.free_sockets(), counts(&[(A, 1)]));
        assert_eq!(a.add_request(B, 2), Assignment::Create(2));
        assert_eq!(a.add_request(A, 3), Assignment::Reuse(1));
        assert!(!a.is_free(1));
        assert_eq!(a.free_sockets(), vec![]);
        // Freeing it twice does not put it in the pool twice.
        assert_eq!(a.free(2), Freed::Keep { create: None });
        assert_eq!(a.free(2), Freed::Keep { create: None });
        assert_eq!(a.free_sockets(), counts(&[(B, 1)]));
        assert_eq!(a.free(99), Freed::Destroy);
    }

    #[test]
    fn scheduling_picks_the_oldest_or_newest_free_socket() {
        for (scheduling, first) in [(Scheduling::Fifo, 1), (Scheduling::Lifo, 2)] {
            let mut a = agent(AgentOptions {
                scheduling,
                ..keep_alive()
            });
            a.add_request(A, 1);
            a.add_request(A, 2);
            a.free(1);
            a.free(2);
            assert_eq!(a.add_request(A, 3), Assignment::Reuse(first));
        }
    }

    #[test]
    fn max_free_sockets_destroys_the_surplus() {
        let mut a = agent(AgentOptions {
            max_free_sockets: 1,
            ..keep_alive()
        });
        a.add_request(A, 1);
        a.add_request(A, 2);
        assert_eq!(a.free(1), Freed::Keep { create: None });
        assert_eq!(a.free(2), Freed::Destroy);
        // Asked to be destroyed: never pooled or handed out, still counted.
        assert_eq!(a.free(2), Freed::Destroy);
        assert_eq!(a.total_sockets(), 2);
        assert_eq!(a.remove_socket(2), None);
        assert_eq!(a.total_sockets(), 1);
    }

    #[test]
    fn pooling_makes_room_for_another_name_past_max_total_sockets() {
        let mut a = agent(AgentOptions {
            max_total_sockets: Some(1),
            ..keep_alive()
        });
        a.add_request(A, 1);
        assert_eq!(a.add_request(B, 2), Assignment::Queued);
        // As Node: the socket leaves `sockets`, `removeSocket` creates one for B.
        assert_eq!(
            a.free(1),
            Freed::Keep {
                create: Some((2, 2))
            }
        );
        assert_eq!(a.total_sockets(), 2);
        // Over the total, a freed socket is destroyed rather than pooled.
        assert_eq!(a.free(2), Freed::Destroy);
        assert_eq!(a.add_request(A, 3), Assignment::Reuse(1));
    }

    #[test]
    fn a_close_serves_its_own_name_before_the_first_name() {
        let mut a = agent(AgentOptions {
            max_total_sockets: Some(2),
            ..AgentOptions::default()
        });
        a.add_request(A, 1);
        a.add_request(B, 2);
        assert_eq!(a.add_request(B, 3), Assignment::Queued);
        assert_eq!(a.add_request(A, 4), Assignment::Queued);
        assert_eq!(a.remove_socket(1), Some((3, 4)));
        // B waits but has a socket in use: the close of A's socket creates none.
        assert_eq!(a.remove_socket(3), None);
        assert_eq!(a.requests(), counts(&[(B, 1)]));
        assert_eq!(a.remove_socket(2), Some((4, 3)));
        assert_eq!(a.remove_socket(2), None);
    }

    #[test]
    fn a_closed_free_socket_leaves_the_pool() {
        let mut a = agent(keep_alive());
        a.add_request(A, 1);
        a.free(1);
        assert_eq!(a.remove_socket(1), None);
        assert_eq!(a.free_sockets(), vec![]);
        assert_eq!(a.add_request(A, 2), Assignment::Create(2));
    }

    #[test]
    fn remove_request_drops_a_waiting_request() {
        let mut a = agent(AgentOptions {
            max_total_sockets: Some(1),
            ..AgentOptions::default()
        });
        a.add_request(A, 1);
        a.add_request(B, 2);
        a.add_request(B, 3);
        assert!(a.remove_request(B, 2));
        assert!(!a.remove_request(B, 2));
        assert!(!a.remove_request(A, 3));
        assert_eq!(a.sockets(), counts(&[(A, 1), (B, 0)]));
        assert!(a.remove_request(B, 3));
        assert_eq!(a.sockets(), counts(&[(A, 1)]));
        assert_eq!(a.requests(), vec![]);
        assert_eq!(a.remove_socket(1), None);
    }

    #[test]
    fn destroy_reports_each_socket_once_and_none_is_handed_out_again() {
        let mut a = agent(AgentOptions {
            max_sockets: Some(2),
            ..keep_alive()
        });
        a.add_request(A, 1);
        a.add_request(A, 2);
        a.add_request(B, 3);
        a.free(2);
        // Free ones first, then those in use, as Node walks them.
        assert_eq!(a.destroy(), vec![2, 1, 3]);
        assert_eq!(a.destroy(), vec![]);
        assert_eq!(a.free(1), Freed::Destroy);
        assert!(a.is_free(2));
        // The destroyed free socket is dropped, not reused, though still counted.
        assert_eq!(a.add_request(A, 4), Assignment::Create(4));
        assert_eq!(a.free_sockets(), vec![]);
        assert_eq!(a.add_request(A, 5), Assignment::Queued);
        // Its close still makes room, as in Node: A now holds 3 > maxSockets.
        assert_eq!(a.remove_socket(2), Some((5, 5)));
        assert_eq!(a.sockets(), counts(&[(A, 3), (B, 1)]));
        assert_eq!(a.free(4), Freed::Destroy);
        a.remove_socket(1);
        a.remove_socket(3);
        a.remove_socket(4);
        assert_eq!(a.destroy(), vec![5]);
        a.remove_socket(5);
        assert_eq!(a.sockets(), vec![]);
        assert_eq!(a.free_sockets(), vec![]);
        assert_eq!(a.requests(), vec![]);
        assert_eq!(a.total_sockets(), 0);
    }
}
