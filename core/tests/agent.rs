//! The Agent's pool under random operation sequences: every decision is checked
//! against a model of Node's rules, and the pool's promises hold throughout.
//!
//! Randomized, but deterministic: each case draws from a [`Rng`] with a fixed
//! seed, and a failure names the case. The runtime side is simulated: requests
//! arrive, are aborted while waiting, finish (the socket is freed) or lose
//! their socket (it closes), and the agent is destroyed now and then. Checked:
//! - a socket is handed to one request at a time, only while free and not
//!   destroyed, and a new socket has an id never seen before;
//! - waiting requests are served oldest first, each exactly once;
//! - `maxFreeSockets` always holds; `maxSockets` and `maxTotalSockets` hold
//!   where Node keeps them (see `Model::check_limits`);
//! - the views (`sockets`, `freeSockets`, `requests`, `totalSocketCount`,
//!   `is_free`) agree with where each socket is;
//! - `destroy` and the closes it causes leave the agent empty, with every
//!   request served or aborted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use nodehttp_core::agent::{
    get_name, Agent, AgentOptions, Assignment, Freed, RequestId, Scheduling, SocketId,
};

mod support {
    pub mod rng;
}

use support::rng::Rng;

const NAMES: usize = 3;

fn name(index: usize) -> String {
    get_name(&format!("h{index}"), 80, None, None)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    InUse,
    Free,
    /// A destroyed free socket `add_request` dropped; counted until it closes.
    Dropped,
}

#[derive(Debug)]
struct Socket {
    name: usize,
    place: Place,
    destroyed: bool,
}

/// What the runtime knows, and what Node's rules say should happen next.
struct Model {
    options: AgentOptions,
    sockets: BTreeMap<SocketId, Socket>,
    /// Free sockets per name, oldest first.
    free: Vec<VecDeque<SocketId>>,
    queues: Vec<VecDeque<RequestId>>,
    seen: BTreeSet<SocketId>,
    served: BTreeSet<RequestId>,
    aborted: BTreeSet<RequestId>,
    added: u64,
    /// A dropped socket's close can put a name past `maxSockets`, as in Node.
    ever_dropped: bool,
}

impl Model {
    fn new(options: AgentOptions) -> Self {
        Model {
            options,
            sockets: BTreeMap::new(),
            free: vec![VecDeque::new(); NAMES],
            queues: vec![VecDeque::new(); NAMES],
            seen: BTreeSet::new(),
            served: BTreeSet::new(),
            aborted: BTreeSet::new(),
            added: 0,
            ever_dropped: false,
        }
    }

    fn count(&self, name: usize, place: Place) -> usize {
        self.sockets
            .values()
            .filter(|s| s.name == name && s.place == place)
            .count()
    }

    fn in_use(&self) -> Vec<SocketId> {
        self.sockets
            .iter()
            .filter(|(_, s)| s.place == Place::InUse && !s.destroyed)
            .map(|(&id, _)| id)
            .collect()
    }

    /// A request gets a socket: once, and the socket is not someone else's.
    fn serve(&mut self, req: RequestId, socket: SocketId, name: usize) {
        assert!(self.served.insert(req), "request {req} served twice");
        let s = self.sockets.get_mut(&socket).expect("a known socket");
        assert_eq!(s.name, name);
        assert!(!s.destroyed, "destroyed socket {socket} handed out");
        s.place = Place::InUse;
    }

    /// A socket the pool just created, for `req` of `name`.
    fn create(&mut self, socket: SocketId, name: usize, req: RequestId) {
        assert!(self.seen.insert(socket), "socket id {socket} reused");
        self.sockets.insert(
            socket,
            Socket {
                name,
                place: Place::InUse,
                destroyed: false,
            },
        );
        self.serve(req, socket, name);
    }

    /// Node's `removeSocket` tail: whom a departure serves, given the key
    /// order of `agent.requests` before it.
    fn expected_creation(&self, name: usize, first_waiting: Option<usize>) -> Option<usize> {
        if !self.queues[name].is_empty() {
            return Some(name);
        }
        first_waiting.filter(|&first| self.count(first, Place::InUse) == 0)
    }

    fn check_creation(
        &mut self,
        created: Option<(SocketId, RequestId)>,
        name: usize,
        first_waiting: Option<usize>,
    ) {
        match (self.expected_creation(name, first_waiting), created) {
            (None, None) => {}
            (Some(target), Some((socket, req))) => {
                assert_eq!(self.queues[target].pop_front(), Some(req), "not the oldest");
                self.create(socket, target, req);
            }
            (expected, got) => panic!("expected a creation for {expected:?}, got {got:?}"),
        }
    }

    fn add_request(&mut self, agent: &mut Agent, name: usize) {
        self.added += 1;
        let req = self.added;
        let total_before = self.sockets.len();
        // Destroyed free sockets are dropped, never handed out.
        let free = std::mem::take(&mut self.free[name]);
        let (dropped, mut free): (VecDeque<_>, VecDeque<_>) =
            free.into_iter().partition(|s| self.sockets[s].destroyed);
        for s in dropped {
            self.sockets.get_mut(&s).expect("known").place = Place::Dropped;
            self.ever_dropped = true;
        }
        let expected_reuse = match self.options.scheduling {
            Scheduling::Fifo => free.pop_front(),
            Scheduling::Lifo => free.pop_back(),
        };
        self.free[name] = free;
        let held = self.count(name, Place::InUse) + self.free[name].len();
        match agent.add_request(&self::name(name), req) {
            Assignment::Reuse(socket) => {
                assert_eq!(Some(socket), expected_reuse, "reuse order");
                self.serve(req, socket, name);
            }
            Assignment::Create(socket) => {
                assert_eq!(expected_reuse, None, "created with a free socket at hand");
                assert!(under(held, self.options.max_sockets), "over maxSockets");
                assert!(under(total_before, self.options.max_total_sockets));
                self.create(socket, name, req);
            }
            Assignment::Queued => {
                assert_eq!(expected_reuse, None, "queued with a free socket at hand");
                assert!(
                    !under(held, self.options.max_sockets)
                        || !under(total_before, self.options.max_total_sockets),
                    "queued under the limits"
                );
                self.queues[name].push_back(req);
            }
        }
    }

    fn remove_request(&mut self, agent: &mut Agent, name: usize, req: RequestId) {
        let waiting = self.queues[name].iter().position(|&r| r == req);
        assert_eq!(
            agent.remove_request(&self::name(name), req),
            waiting.is_some()
        );
        if let Some(index) = waiting {
            self.queues[name].remove(index);
            self.aborted.insert(req);
        }
    }

    fn free(&mut self, agent: &mut Agent, socket: SocketId, first_waiting: Option<usize>) {
        let (name, place, destroyed) = {
            let s = &self.sockets[&socket];
            (s.name, s.place, s.destroyed)
        };
        let freed = agent.free(socket);
        if destroyed {
            assert_eq!(freed, Freed::Destroy);
            return;
        }
        if place != Place::InUse {
            assert_eq!(
                freed,
                Freed::Keep { create: None },
                "a free socket freed again"
            );
            return;
        }
        let free_len = self.free[name].len();
        let held = self.count(name, Place::InUse) + free_len;
        let poolable = self.options.keep_alive
            && !over(self.sockets.len(), self.options.max_total_sockets)
            && !over(held, self.options.max_sockets)
            && free_len < self.options.max_free_sockets as usize;
        match freed {
            Freed::Assign(req) => {
                assert_eq!(self.queues[name].pop_front(), Some(req), "not the oldest");
                assert!(self.served.insert(req), "request {req} served twice");
            }
            Freed::Keep { create } => {
                assert!(poolable, "pooled past a limit or by a non-keep-alive agent");
                assert!(self.queues[name].is_empty(), "pooled while requests wait");
                self.sockets.get_mut(&socket).expect("known").place = Place::Free;
                self.free[name].push_back(socket);
                self.check_creation(create, name, first_waiting);
            }
            Freed::Destroy => {
                assert!(
                    self.queues[name].is_empty(),
                    "destroyed while requests wait"
                );
                assert!(!poolable, "destroyed though poolable");
                self.sockets.get_mut(&socket).expect("known").destroyed = true;
            }
        }
    }

    fn close(&mut self, agent: &mut Agent, socket: SocketId, first_waiting: Option<usize>) {
        let created = agent.remove_socket(socket);
        let Some(gone) = self.sockets.remove(&socket) else {
            assert_eq!(created, None, "an unknown socket changed the pool");
            return;
        };
        self.free[gone.name].retain(|&s| s != socket);
        self.check_creation(created, gone.name, first_waiting);
    }

    fn destroy(&mut self, agent: &mut Agent) {
        let reported = agent.destroy();
        let free: BTreeSet<SocketId> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.place == Place::Free && !s.destroyed)
            .map(|(&id, _)| id)
            .collect();
        let in_use: BTreeSet<SocketId> = self.in_use().into_iter().collect();
        let (first, rest) = reported.split_at(free.len());
        assert_eq!(first.iter().copied().collect::<BTreeSet<_>>(), free);
        assert_eq!(rest.iter().copied().collect::<BTreeSet<_>>(), in_use);
        assert_eq!(reported.len(), free.len() + in_use.len(), "reported twice");
        for s in reported {
            self.sockets.get_mut(&s).expect("known").destroyed = true;
        }
    }

    /// The views agree with the model, and the limits hold.
    fn check(&self, agent: &Agent) {
        let view = |pairs: Vec<(String, u32)>| -> BTreeMap<String, usize> {
            pairs.into_iter().map(|(n, c)| (n, c as usize)).collect()
        };
        let sockets = view(agent.sockets());
        let free = view(agent.free_sockets());
        let requests = view(agent.requests());
        for n in 0..NAMES {
            let key = name(n);
            let in_use = self.count(n, Place::InUse);
            let waiting = self.queues[n].len();
            match sockets.get(&key) {
                // Node's empty `sockets[name]` exists only for a waiting request.
                Some(0) => assert!(waiting > 0, "an empty sockets entry for {key}"),
                Some(&c) => assert_eq!(c, in_use, "sockets[{key}]"),
                None => assert_eq!(in_use, 0, "sockets[{key}] missing"),
            }
            assert_eq!(free.get(&key).copied().unwrap_or(0), self.free[n].len());
            assert_ne!(free.get(&key), Some(&0));
            assert_eq!(requests.get(&key).copied().unwrap_or(0), waiting);
            assert_ne!(requests.get(&key), Some(&0));
            self.check_limits(n);
        }
        assert_eq!(agent.total_sockets() as usize, self.sockets.len());
        for (&id, s) in &self.sockets {
            assert_eq!(agent.is_free(id), s.place == Place::Free, "is_free({id})");
        }
    }

    /// `maxFreeSockets` always holds. `maxSockets` holds unless a dropped
    /// destroyed socket's close made room it did not take. `maxTotalSockets`
    /// only gates `add_request`'s creations (checked there): as in Node, a
    /// socket moving to the free pool makes room for another name's request.
    fn check_limits(&self, name: usize) {
        let free = self.free[name].len();
        assert!(free <= self.options.max_free_sockets as usize);
        if !self.options.keep_alive {
            assert_eq!(free, 0);
        }
        if !self.ever_dropped {
            let held = self.count(name, Place::InUse) + free;
            assert!(!over(held, self.options.max_sockets), "over maxSockets");
        }
    }

    /// The first name in `agent.requests`, as a model index.
    fn first_waiting(agent: &Agent) -> Option<usize> {
        let requests = agent.requests();
        let (first, _) = requests.first()?;
        (0..NAMES).find(|&n| name(n) == *first)
    }
}

fn under(count: usize, limit: Option<u32>) -> bool {
    limit.is_none_or(|l| count < l as usize)
}

fn over(count: usize, limit: Option<u32>) -> bool {
    limit.is_some_and(|l| count > l as usize)
}

fn random_options(rng: &mut Rng) -> AgentOptions {
    AgentOptions {
        keep_alive: !rng.chance(4),
        max_sockets: *rng.pick(&[None, Some(1), Some(2), Some(3)]),
        max_total_sockets: *rng.pick(&[None, Some(1), Some(2), Some(4)]),
        max_free_sockets: *rng.pick(&[1, 2, 256]),
        scheduling: *rng.pick(&[Scheduling::Fifo, Scheduling::Lifo]),
        ..AgentOptions::default()
    }
}

/// One random step of the runtime.
fn step(rng: &mut Rng, agent: &mut Agent, model: &mut Model) {
    let first = Model::first_waiting(agent);
    let all: Vec<SocketId> = model.sockets.keys().copied().collect();
    match rng.below(20) {
        0..=7 => model.add_request(agent, rng.below(NAMES)),
        8..=9 => {
            let waiting: Vec<(usize, RequestId)> = (0..NAMES)
                .flat_map(|n| model.queues[n].iter().map(move |&r| (n, r)))
                .collect();
            if let Some(&(n, r)) = waiting.get(rng.below(waiting.len().max(1))) {
                model.remove_request(agent, n, r);
            }
        }
        10..=14 => {
            let in_use = model.in_use();
            if !in_use.is_empty() {
                model.free(agent, *rng.pick(&in_use), first);
            }
        }
        15 if !all.is_empty() => model.free(agent, *rng.pick(&all), first),
        16..=18 if !all.is_empty() => model.close(agent, *rng.pick(&all), first),
        16..=18 => model.close(agent, 1_000_000, first),
        _ => model.destroy(agent),
    }
}

/// `destroy`, then every socket closes, until nothing is left: each close may
/// serve a waiting request, so this ends within one round per request.
fn drain(agent: &mut Agent, model: &mut Model) {
    for _ in 0..=model.added {
        if model.sockets.is_empty() {
            break;
        }
        model.destroy(agent);
        let live: Vec<SocketId> = model.sockets.keys().copied().collect();
        for socket in live {
            let first = Model::first_waiting(agent);
            model.close(agent, socket, first);
            model.check(agent);
        }
    }
    assert!(model.sockets.is_empty(), "sockets left after destroy");
    assert_eq!(agent.sockets(), vec![]);
    assert_eq!(agent.free_sockets(), vec![]);
    assert_eq!(agent.requests(), vec![]);
    assert_eq!(agent.total_sockets(), 0);
    assert!(model.served.is_disjoint(&model.aborted));
    assert_eq!(
        (model.served.len() + model.aborted.len()) as u64,
        model.added
    );
}

#[test]
fn random_operation_sequences_keep_the_pools_promises() {
    for case in 0..3000u64 {
        let mut rng = Rng(case);
        let options = random_options(&mut rng);
        let mut agent = Agent::new(options.clone());
        let mut model = Model::new(options);
        let steps = 20 + rng.below(200);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for _ in 0..steps {
                step(&mut rng, &mut agent, &mut model);
                model.check(&agent);
            }
            drain(&mut agent, &mut model);
        }));
        if let Err(panic) = outcome {
            eprintln!("case {case} failed");
            std::panic::resume_unwind(panic);
        }
    }
}
