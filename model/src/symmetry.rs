//! Symmetry reduction: storage nodes are interchangeable, so states that differ only by a
//! renaming of nodes are explored once.
//!
//! A class of states (every renaming of one state) is named by its *digest*: the nodes are put
//! in a canonical order, and the digest is the hash of the state as it reads in that order, every
//! actor id renamed (timer ids too, which stateright's own representative copies unchanged).
//!
//! stateright's DFS does one thing with the symmetry function's result: it fingerprints it. So
//! [`SwbModel::representative`](crate::SwbModel::representative) does not build the renamed state;
//! it returns an otherwise empty stand-in that carries the digest ([`class_stand_in`]). Building
//! the renamed state (stateright's network and timer sets rebuilt, every node copied) and then
//! hashing it was about 40% of the whole search; hashing the renamed parts one at a time, as
//! [`class_digest`] does, copies no collection of stateright's. [`canonical_state`] still
//! builds the renamed state, for tests and for reading.

use crate::cfg::ACTORS_MAX;
use crate::history::Ghost;
use crate::node::{Disk, NodeState, Role};
use crate::system::{messages_in_flight, ActorState, State, SwbTimer};
use stateright::actor::{ActorModelState, Envelope, Id, Network};
use stateright::{Rewrite, RewritePlan};
use std::cmp::Reverse;
use std::hash::{BuildHasher, Hash, Hasher};

/// Moves each per-actor value of a fixed array (longer than the actor count) to its actor's new
/// index: `out[plan(i)] = values[i]`. Slots past the last actor must hold `T::default()` (the
/// plan cannot rename them), so only non-default values move; every default slot is already
/// where it belongs.
pub fn permute_array<T: Copy + Default + PartialEq, S, const N: usize>(
    plan: &RewritePlan<Id, S>,
    values: &[T; N],
) -> [T; N] {
    let mut out = [T::default(); N];
    for (index, value) in values.iter().enumerate() {
        if *value != T::default() {
            out[usize::from(plan.rewrite(&Id::from(index)))] = *value;
        }
    }
    out
}

/// A renaming of actors: `order[new] = old`, the actor at index `old` moves to index `new`.
pub type Order = Vec<usize>;

/// The digest of a state's class: the same for every renaming of the state, different (up to a
/// 64-bit hash collision, as for stateright's own fingerprints) for states of different classes.
pub fn class_digest(state: &State) -> u64 {
    canonical(state).1
}

/// The renaming that puts a state in its class's canonical form.
pub fn canonical_order(state: &State) -> Order {
    let (order, _) = canonical(state);
    order[..state.actor_states.len()].to_vec()
}

/// The state renamed into its class's canonical form: equal for every member of a class.
pub fn canonical_state(state: &State) -> State {
    rename(state, &canonical_order(state))
}

/// The state stateright fingerprints in place of a class: empty but for the digest. Nothing else
/// ever reads it (see the module documentation).
pub fn class_stand_in(digest: u64) -> State {
    ActorModelState {
        actor_states: Vec::new(),
        network: Network::new_unordered_nonduplicating([]),
        timers_set: Default::default(),
        random_choices: Default::default(),
        crashed: Default::default(),
        history: Ghost {
            class_digest: digest,
            ..Ghost::default()
        },
        actor_storages: Default::default(),
    }
}

/// What a node looks like without its name, for ordering nodes: every part is unchanged by a
/// renaming of the nodes (a count of messages, never an id). Two nodes that tie on it are tried
/// in both orders, which doubles the digest's cost, so it includes what cheaply tells apart two
/// replicas with the same disk: whether each is up, and its timers and messages in flight.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct NodeKey<'a> {
    role_rank: u8,
    disk: &'a Disk,
    crashed: bool,
    timers: usize,
    inbound: usize,
    outbound: usize,
}

/// The canonical renaming and the digest it gives.
///
/// Nodes are ordered by a key that does not depend on their names ([`NodeKey`]: the kind of
/// role, then the disk, ...), descending; the coordinator stays first. Every ordering within a
/// tie is tried and the smallest digest wins. Every member of a class has the same set of
/// renamed candidates, hence the same winner: the digest is canonical, and the count of unique
/// states does not depend on which member of a class a thread meets first.
///
/// Descending, so that the common shape (the primary, with the longest log, at node 1) is
/// already in order: an identity renaming hashes the state's parts as they are, copying nothing.
///
/// The renaming is returned in a fixed array (its first `actor_states.len()` entries): the digest
/// runs for every generated state, and a list would be an allocation each time.
fn canonical(state: &State) -> ([usize; ACTORS_MAX], u64) {
    let actors = state.actor_states.len();
    let (inbound, outbound) = traffic(&state.network);
    // An array, not a collected list: the digest runs for every generated state.
    let keys: [Option<Reverse<NodeKey>>; ACTORS_MAX] =
        std::array::from_fn(|index| match state.actor_states.get(index)?.as_ref() {
            ActorState::Coordinator(_) => None,
            ActorState::Node(node) => Some(Reverse(NodeKey {
                role_rank: role_rank(&node.role),
                disk: &node.disk,
                crashed: state.crashed[index],
                timers: state.timers_set[index].iter().count(),
                inbound: inbound[index],
                outbound: outbound[index],
            })),
        });
    let key = |index: usize| keys[index];
    let mut order: [usize; ACTORS_MAX] = std::array::from_fn(|index| index);
    let sorted = &mut order[..actors];
    sorted.sort_by(|a, b| key(*a).cmp(&key(*b)));
    let tied = sorted.windows(2).any(|pair| key(pair[0]) == key(pair[1]));
    if !tied {
        let digest = digest_in_order(state, sorted);
        return (order, digest);
    }
    let mut candidates: Vec<Order> = vec![Vec::new()];
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && key(sorted[end]) == key(sorted[start]) {
            end += 1;
        }
        let run = &sorted[start..end];
        candidates = candidates
            .into_iter()
            .flat_map(|prefix: Order| {
                permutations(run).into_iter().map(move |tail| {
                    let mut joined = prefix.clone();
                    joined.extend(tail);
                    joined
                })
            })
            .collect();
        start = end;
    }
    let (winner, digest) = candidates
        .into_iter()
        .map(|candidate| {
            let digest = digest_in_order(state, &candidate);
            (candidate, digest)
        })
        .min_by_key(|(_, digest)| *digest)
        .expect("at least one ordering");
    order[..actors].copy_from_slice(&winner);
    (order, digest)
}

/// The messages in flight to and from each actor, by actor index.
fn traffic(network: &Network<crate::msg::Msg>) -> ([usize; ACTORS_MAX], [usize; ACTORS_MAX]) {
    let mut inbound = [0usize; ACTORS_MAX];
    let mut outbound = [0usize; ACTORS_MAX];
    for (envelope, copies) in messages_in_flight(network) {
        inbound[usize::from(envelope.dst)] += copies;
        outbound[usize::from(envelope.src)] += copies;
    }
    (inbound, outbound)
}

/// The kind of a role, for ordering nodes independently of their names.
fn role_rank(role: &Role) -> u8 {
    match role {
        Role::Joining => 0,
        Role::Replica => 1,
        Role::Primary(_) => 2,
    }
}

/// Every ordering of `items` (at most `NODES_MAX`! of them).
fn permutations(items: &[usize]) -> Vec<Order> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (position, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(position);
        for mut tail in permutations(&rest) {
            tail.insert(0, *first);
            out.push(tail);
        }
    }
    out
}

/// The plan that renames every actor id by `order`. Its table is a fixed array: the digest
/// builds a plan for most generated states, and a list would be an allocation each time.
fn plan_for(order: &[usize]) -> RewritePlan<Id, [Id; ACTORS_MAX]> {
    let mut renaming = [Id::from(0); ACTORS_MAX];
    for (new, old) in order.iter().enumerate() {
        renaming[*old] = Id::from(new);
    }
    RewritePlan::new(renaming, |id: &Id, renaming| renaming[usize::from(*id)])
}

/// A timer with every replica id it names renamed.
fn rename_timer<S>(timer: &SwbTimer, plan: &RewritePlan<Id, S>) -> SwbTimer {
    match timer {
        SwbTimer::Node(node_timer) => SwbTimer::Node(node_timer.rewrite_ids(plan)),
        SwbTimer::Coordinator(coordinator_timer) => SwbTimer::Coordinator(*coordinator_timer),
    }
}

/// The state with the actor at `order[new]` moved to index `new` and every actor id renamed.
pub fn rename(state: &State, order: &[usize]) -> State {
    let plan = plan_for(order);
    let timers_set = order
        .iter()
        .map(|old| {
            let mut renamed = stateright::actor::Timers::new();
            for timer in state.timers_set[*old].iter() {
                renamed.set(rename_timer(timer, &plan));
            }
            renamed
        })
        .collect();
    ActorModelState {
        actor_states: reindex(&state.actor_states, order, &plan),
        network: state.network.rewrite(&plan),
        timers_set,
        random_choices: reindex(&state.random_choices, order, &plan).into(),
        crashed: reindex(&state.crashed, order, &plan).into(),
        actor_storages: reindex(&state.actor_storages, order, &plan).into(),
        history: state.history.rewrite(&plan),
    }
}

/// What stateright's `RewritePlan::reindex` does: the value at `order[new]`, renamed, at `new`.
fn reindex<T: Rewrite<Id>, S>(values: &[T], order: &[usize], plan: &RewritePlan<Id, S>) -> Vec<T> {
    order.iter().map(|old| values[*old].rewrite(plan)).collect()
}

/// The hasher of digests: ahash with fixed keys (stateright fingerprints with the same scheme),
/// so a digest is the same on every run and every thread.
const DIGEST_HASHER: ahash::RandomState = ahash::RandomState::with_seeds(
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
);

/// The hash of `state` renamed by `order`, read part by part: what hashing `rename(state,
/// order)` would read, with sets hashed as sorted lists of their members' hashes so their
/// iteration order does not matter, and without the actors' storages (a function of their
/// states, see below).
///
/// Each actor, the network and three parts of the history are hashed by hashers of their own (a
/// node's disk and role too, see `hash_actor`), and the digest is the hash of those hashes. A
/// hasher is a chain of dependent multiplies, one per value written: in one chain through the
/// whole state the processor waits on every link, while separate chains for the parts run side
/// by side (D107). A class is still named up to a 64-bit collision, now of a part's hash or of
/// the digest.
pub(crate) fn digest_in_order(state: &State, order: &[usize]) -> u64 {
    let identity = order.iter().enumerate().all(|(new, old)| new == *old);
    // An identity renaming changes nothing: its parts are hashed as they are, uncopied.
    let plan = (!identity).then(|| plan_for(order));
    let plan = plan.as_ref();
    let mut parts = [0u64; ACTORS_MAX + 1];
    for (part, &old) in parts.iter_mut().zip(order) {
        let mut hasher = DIGEST_HASHER.build_hasher();
        // Renamed only when the renaming changes it (most nodes are replicas).
        let actor = &*state.actor_states[old];
        hash_actor(actor, plan.filter(|_| actor.names_actors()), &mut hasher);
        hash_set(
            state.timers_set[old].iter().map(|timer| match plan {
                None => DIGEST_HASHER.hash_one(timer),
                Some(plan) => DIGEST_HASHER.hash_one(rename_timer(timer, plan)),
            }),
            &mut hasher,
        );
        // As a set of its entries' hashes, like the timers: stateright's own `Hash` for this map
        // reaches for a thread-local buffer, a real share of the digest's cost for a map that is
        // always empty here (the actors never choose at random). Random values and keys name no
        // actor, so they need no renaming.
        hash_set(
            state.random_choices[old]
                .map
                .iter()
                .map(|entry| DIGEST_HASHER.hash_one(entry)),
            &mut hasher,
        );
        state.crashed[old].hash(&mut hasher);
        // Not hashed: the actor's storage. It is a function of the actor's state (a node's is
        // always its state's durable part, saved on every change; the coordinator has none),
        // so it tells apart no two states the rest does not, and hashing it again was a
        // second hash of every disk. `storage_is_the_durable_part_of_the_node` checks the rule.
        *part = hasher.finish();
    }
    let actors = order.len();
    parts[actors] = {
        let mut hasher = DIGEST_HASHER.build_hasher();
        hash_network(&state.network, plan, &mut hasher);
        hasher.finish()
    };
    let history = match plan {
        None => history_parts(&state.history),
        Some(plan) => history_parts(&state.history.rewrite(plan)),
    };
    let mut hasher = DIGEST_HASHER.build_hasher();
    actors.hash(&mut hasher);
    for part in parts[..=actors].iter().chain(&history) {
        hasher.write_u64(*part);
    }
    hasher.finish()
}

/// Hashes an actor's state, renamed by `plan` when given, into `hasher`: its kind, then a
/// node's disk and role each hashed apart (two more chains side by side, see
/// `digest_in_order`). A node's renaming is its role's (`NodeState::rewrite`): the disk names no
/// actor, so it is hashed in place and only the role is copied to be renamed.
fn hash_actor<H: Hasher, S>(actor: &ActorState, plan: Option<&RewritePlan<Id, S>>, hasher: &mut H) {
    match actor {
        ActorState::Coordinator(coordinator) => {
            0u8.hash(hasher);
            match plan {
                None => coordinator.hash(hasher),
                Some(plan) => coordinator.rewrite(plan).hash(hasher),
            }
        }
        ActorState::Node(NodeState { disk, role }) => {
            1u8.hash(hasher);
            hasher.write_u64(DIGEST_HASHER.hash_one(disk));
            hasher.write_u64(match plan {
                None => DIGEST_HASHER.hash_one(role),
                Some(plan) => DIGEST_HASHER.hash_one(role.rewrite(plan)),
            });
        }
    }
}

/// The history's hash in three parts, each from a hasher of its own (see `digest_in_order`).
/// The class digest is not among them: it is 0 in every real state (only the symmetry stand-in
/// carries one).
fn history_parts(ghost: &Ghost) -> [u64; 3] {
    let (first, second, third) = ghost.hashed_parts();
    [
        DIGEST_HASHER.hash_one(first),
        DIGEST_HASHER.hash_one(second),
        DIGEST_HASHER.hash_one(third),
    ]
}

/// Hashes a set given by its members' hashes, in sorted order.
fn hash_set<H: Hasher>(mut members: impl Iterator<Item = u64>, hasher: &mut H) {
    // Most sets here are an actor's timers or random choices, empty or of one member: those are
    // hashed without a buffer (the same bytes as the sorted path writes for them).
    let Some(first) = members.next() else {
        0usize.hash(hasher);
        return;
    };
    let Some(second) = members.next() else {
        1usize.hash(hasher);
        hasher.write_u64(first);
        return;
    };
    // Larger sets are the messages in flight: they fit on the stack, so the digest, which runs
    // on every generated state, needs no heap buffer per set.
    const INLINE: usize = 32;
    let mut inline = [0u64; INLINE];
    let mut spilled = Vec::new();
    let mut len = 0;
    for member in [first, second].into_iter().chain(members) {
        if len < INLINE {
            inline[len] = member;
        } else {
            if spilled.is_empty() {
                spilled.extend_from_slice(&inline);
            }
            spilled.push(member);
        }
        len += 1;
    }
    let hashes = if len <= INLINE {
        &mut inline[..len]
    } else {
        &mut spilled[..]
    };
    hashes.sort_unstable();
    hashes.len().hash(hasher);
    for hash in hashes.iter() {
        hasher.write_u64(*hash);
    }
}

/// Hashes the messages in flight, renamed, as a multiset.
fn hash_network<S, H: Hasher>(
    network: &Network<crate::msg::Msg>,
    plan: Option<&RewritePlan<Id, S>>,
    hasher: &mut H,
) {
    // The same bytes as hashing `(envelope, count)`, the envelope renamed: its sender, receiver
    // and message in order. A message that names no actor is its own renaming, so it is hashed
    // in place; only the few that name one are copied to be renamed.
    let envelope_hash = |envelope: &Envelope<crate::msg::Msg>, count: usize| match plan {
        None => DIGEST_HASHER.hash_one((envelope.src, envelope.dst, &envelope.msg, count)),
        Some(plan) => {
            let (src, dst) = (plan.rewrite(&envelope.src), plan.rewrite(&envelope.dst));
            match envelope.msg.renamed(plan) {
                Some(msg) => DIGEST_HASHER.hash_one((src, dst, &msg, count)),
                None => DIGEST_HASHER.hash_one((src, dst, &envelope.msg, count)),
            }
        }
    };
    match network {
        Network::UnorderedNonDuplicating(multiset) => {
            0u8.hash(hasher);
            hash_set(
                multiset
                    .iter()
                    .map(|(envelope, count)| envelope_hash(envelope, *count)),
                hasher,
            );
        }
        Network::UnorderedDuplicating(set, last) => {
            1u8.hash(hasher);
            hash_set(
                set.iter().map(|envelope| envelope_hash(envelope, 1)),
                hasher,
            );
            last.as_ref()
                .map(|envelope| envelope_hash(envelope, 1))
                .hash(hasher);
        }
        // The model never orders its network; were it to, the renamed copy is still exact.
        Network::Ordered(_) => {
            2u8.hash(hasher);
            match plan {
                None => network.hash(hasher),
                Some(plan) => network.rewrite(plan).hash(hasher),
            }
        }
    }
}
