//! The whole system: stateright's `ActorModel` of the coordinator and the storage nodes, wrapped
//! by [`SwbModel`], which adds what the actor model cannot express on its own.
//!
//! `ActorModel` supplies the network (unordered; lossy and duplicating when configured), timers,
//! and crash / recover with non-volatile storage. The wrapper adds:
//! - partitions: a node cut off from every other actor; its messages wait until it is healed
//!   (a partition is an unbounded delay; with loss enabled, a drop as well);
//! - the fault budgets: total crashes (stateright bounds only concurrent ones), partitions,
//!   and slow-path timeouts; the coordinator never crashes;
//! - the ghost history (`history.rs`), updated after every step from the step itself;
//! - a symmetry representative that also renames the replica ids inside timers, which
//!   stateright's own representative copies unchanged.

use crate::coordinator::{self, CoordinatorState, CoordinatorTimer};
use crate::history::{Breach, Ghost, Witness};
use crate::msg::Msg;
use crate::node::{self, Disk, Effect, NodeState, NodeTimer, SenderPhase};
use crate::wal::lsns;
use crate::{coordinator_id, Config, Params};
use serde::{Deserialize, Serialize};
use stateright::actor::{
    model_timeout, Actor, ActorModel, ActorModelAction, ActorModelState, Id, LossyNetwork, Network,
    Out,
};
use stateright::{Model, Property, Rewrite, RewritePlan};
use std::borrow::Cow;
use std::sync::Arc;
use swb_engine::types::Lsn;

/// The state of one actor.
// `Copy` on purpose (see `node::Role`): the size difference between variants is the price.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ActorState {
    /// The coordinator. Declared first so symmetry's sort keeps it at index 0.
    Coordinator(CoordinatorState),
    /// A storage node.
    Node(NodeState),
}

impl Rewrite<Id> for ActorState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            ActorState::Coordinator(state) => ActorState::Coordinator(state.rewrite(plan)),
            ActorState::Node(state) => ActorState::Node(state.rewrite(plan)),
        }
    }
}

impl Rewrite<Id> for Disk {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

/// The timers of any actor.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SwbTimer {
    /// A coordinator timer.
    Coordinator(CoordinatorTimer),
    /// A storage-node timer.
    Node(NodeTimer),
}

/// An actor of the system. Every storage node runs the same code; only its id differs, which is
/// what makes the nodes interchangeable for symmetry reduction.
#[derive(Clone, Debug)]
pub enum SwbActor {
    /// The coordinator.
    Coordinator(Params),
    /// A storage node.
    Node(Params),
}

impl SwbActor {
    fn params(&self) -> &Params {
        match self {
            SwbActor::Coordinator(params) | SwbActor::Node(params) => params,
        }
    }
}

fn arm_periodic_timers(params: &Params, o: &mut Out<SwbActor>) {
    o.set_timer(SwbTimer::Node(NodeTimer::ClientWrite), model_timeout());
    if params.address_changes_max > 0 {
        o.set_timer(SwbTimer::Node(NodeTimer::AddressChange), model_timeout());
    }
}

/// Applies a handler's decision to stateright's copy-on-write state.
fn apply<T: Clone>(
    state: &mut Cow<ActorState>,
    effect: Effect<T>,
    wrap: fn(T) -> ActorState,
    o: &mut Out<SwbActor>,
) {
    match effect {
        Effect::Wait => {}
        Effect::Drop => {
            // Touching the state makes stateright take the step (consuming the message or the
            // timer) even though nothing changed.
            let _ = state.to_mut();
        }
        Effect::Update(next) => {
            let next = wrap(next);
            if let (ActorState::Node(before), ActorState::Node(after)) = (state.as_ref(), &next) {
                if before.durable() != after.durable() {
                    o.save(after.durable());
                }
            }
            *state.to_mut() = next;
        }
    }
}

impl Actor for SwbActor {
    type Msg = Msg;
    type State = ActorState;
    type Timer = SwbTimer;
    type Storage = Disk;
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<Disk>, o: &mut Out<Self>) -> ActorState {
        match self {
            SwbActor::Coordinator(params) => {
                if params.lease_expiries_max > 0 {
                    o.set_timer(
                        SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry),
                        model_timeout(),
                    );
                }
                ActorState::Coordinator(coordinator::initial(params))
            }
            SwbActor::Node(params) => {
                arm_periodic_timers(params, o);
                let node = match storage {
                    Some(disk) => node::restarted_node(disk, o),
                    None => {
                        let node = node::initial_node(params, id);
                        o.save(node.durable());
                        node
                    }
                };
                ActorState::Node(node)
            }
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<ActorState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let params = self.params();
        match state.as_ref() {
            ActorState::Coordinator(current) => {
                let effect = coordinator::on_msg(params, current, src, &msg, o);
                apply(state, effect, ActorState::Coordinator, o);
            }
            ActorState::Node(current) => {
                let effect = crate::replica::on_msg(params, id, current, src, &msg, o);
                apply(state, effect, ActorState::Node, o);
            }
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<ActorState>,
        timer: &SwbTimer,
        o: &mut Out<Self>,
    ) {
        let params = self.params();
        match (state.as_ref(), timer) {
            (
                ActorState::Coordinator(current),
                SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry),
            ) => {
                o.set_timer(timer.clone(), model_timeout());
                let effect = coordinator::on_lease_expiry(params, current, o);
                apply(state, effect, ActorState::Coordinator, o);
            }
            (ActorState::Node(current), SwbTimer::Node(node_timer)) => {
                if node_timer.is_periodic() {
                    o.set_timer(timer.clone(), model_timeout());
                }
                let effect = node::on_timer(params, current, node_timer, o);
                apply(state, effect, ActorState::Node, o);
            }
            _ => {}
        }
    }
}

/// The state of the whole system.
pub type State = ActorModelState<SwbActor, Ghost>;

/// A step of the whole system: an actor step, or a partition fault.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// A step of stateright's actor model (delivery, drop, timer, crash, recovery).
    Actor(ActorModelAction<Msg, SwbTimer, ()>),
    /// A partition cuts the node off from every other actor.
    Isolate(Id),
    /// The node's partition heals.
    Heal(Id),
}

/// The protocol model: stateright's actor model plus partitions, fault budgets, the ghost
/// history and symmetry. Properties are attached by `swb-properties`.
#[derive(Clone)]
pub struct SwbModel {
    /// The configuration the model was built from.
    pub config: Config,
    /// The configuration as the actors read it.
    pub params: Params,
    inner: ActorModel<SwbActor, Params, Ghost>,
    properties: Vec<Property<SwbModel>>,
}

impl SwbModel {
    /// Builds the model of a valid configuration, with no properties yet.
    pub fn new(config: &Config) -> SwbModel {
        let params = Params::from_config(config);
        let mut inner = ActorModel::new(params, Ghost::new())
            .actor(SwbActor::Coordinator(params))
            .actors((0..params.node_count).map(|_| SwbActor::Node(params)))
            .init_network(match config.message_duplication {
                crate::cfg::MessageDuplication::Duplicating => {
                    Network::new_unordered_duplicating([])
                }
                crate::cfg::MessageDuplication::Exactly => {
                    Network::new_unordered_nonduplicating([])
                }
            })
            .lossy_network(match config.message_loss {
                crate::cfg::MessageLoss::Lossy => LossyNetwork::Yes,
                crate::cfg::MessageLoss::Reliable => LossyNetwork::No,
            });
        inner.max_crashes = usize::from(config.crashes_max);
        SwbModel {
            config: config.clone(),
            params,
            inner,
            properties: Vec::new(),
        }
    }

    /// Attaches properties (names must be unique).
    pub fn with_properties(mut self, properties: Vec<Property<SwbModel>>) -> SwbModel {
        for (index, property) in properties.iter().enumerate() {
            assert!(
                !properties[..index]
                    .iter()
                    .any(|earlier| earlier.name == property.name),
                "property {} registered twice",
                property.name
            );
        }
        self.properties = properties;
        self
    }

    /// The symmetry representative of a state (see the module documentation).
    ///
    /// Canonical, so the count of unique states does not depend on which member of a class a
    /// thread meets first: nodes are ordered by a key that does not depend on node names (the
    /// kind of role, then the disk, both descending; the coordinator stays first), every ordering
    /// within a tie is tried, and the rewritten state with the smallest hash wins. Every member of
    /// a class has the same set of candidates, hence the same winner.
    ///
    /// Descending, so that the common shape (the primary, with the longest log, at node 1) is
    /// already in order and is its own representative: rewriting a state is most of this
    /// function's cost, and it runs on every state the search generates.
    pub fn representative(state: &State) -> State {
        // By reference: a disk is a few hundred bytes, and the sort compares keys often.
        let key = |index: usize| -> (bool, Option<std::cmp::Reverse<(u8, &Disk)>>) {
            match state.actor_states[index].as_ref() {
                ActorState::Coordinator(_) => (false, None),
                ActorState::Node(node) => (
                    true,
                    Some(std::cmp::Reverse((role_rank(&node.role), &node.disk))),
                ),
            }
        };
        let mut order: Vec<usize> = (0..state.actor_states.len()).collect();
        order.sort_by(|a, b| key(*a).cmp(&key(*b)));
        // Most states have no tie: their one ordering needs no hash, and when it is already the
        // identity the state is its own representative and needs no rewrite either.
        let tied = order.windows(2).any(|pair| key(pair[0]) == key(pair[1]));
        if !tied {
            let identity = order.iter().enumerate().all(|(new, old)| new == *old);
            return if identity {
                state.clone()
            } else {
                rewrite_in_order(state, &order)
            };
        }
        let mut candidates = vec![Vec::new()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && key(order[end]) == key(order[start]) {
                end += 1;
            }
            let run = &order[start..end];
            candidates = candidates
                .into_iter()
                .flat_map(|prefix: Vec<usize>| {
                    permutations(run).into_iter().map(move |tail| {
                        let mut joined = prefix.clone();
                        joined.extend(tail);
                        joined
                    })
                })
                .collect();
            start = end;
        }
        candidates
            .iter()
            .map(|order| rewrite_in_order(state, order))
            .min_by_key(crate::symmetry::stable_hash)
            .expect("at least one ordering")
    }

    fn allows(&self, state: &State, action: &ActorModelAction<Msg, SwbTimer, ()>) -> bool {
        let ghost = &state.history;
        let fault_left = ghost.faults.total() < self.config.faults_max;
        match action {
            ActorModelAction::Crash(_)
            | ActorModelAction::Timeout(_, SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry))
            | ActorModelAction::Timeout(
                _,
                SwbTimer::Node(
                    NodeTimer::AddressChange
                    | NodeTimer::BarrierTimeout(_)
                    | NodeTimer::CatchUpTimeout(_),
                ),
            ) if !fault_left => false,
            ActorModelAction::Deliver { src, dst, .. } => {
                !ghost.is_isolated(*src) && !ghost.is_isolated(*dst)
            }
            ActorModelAction::Crash(id) => {
                *id != coordinator_id() && ghost.faults.crashes < self.config.crashes_max
            }
            ActorModelAction::Timeout(_, SwbTimer::Node(timer)) if timer.is_timeout_fault() => {
                ghost.faults.timeouts < self.config.timeouts_max
            }
            // Client writes are the environment's input: at most `writes_max` in the whole run,
            // whichever primary (current or deposed) takes them.
            ActorModelAction::Timeout(_, SwbTimer::Node(NodeTimer::ClientWrite)) => {
                ghost.issued.len() < u32::from(self.config.writes_max)
            }
            _ => true,
        }
    }
}

impl Model for SwbModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        let mut inner = Vec::new();
        self.inner.actions(state, &mut inner);
        actions.extend(
            inner
                .into_iter()
                .filter(|action| self.allows(state, action))
                .map(Action::Actor),
        );
        let ghost = &state.history;
        for node in self.params.nodes() {
            if ghost.is_isolated(node) {
                actions.push(Action::Heal(node));
            } else if ghost.faults.partitions < self.config.partitions_max
                && ghost.faults.total() < self.config.faults_max
            {
                actions.push(Action::Isolate(node));
            }
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        match action {
            Action::Actor(inner_action) => {
                let mut next = self.inner.next_state(last, inner_action.clone())?;
                next.history = observe(&self.params, last, &inner_action, &next);
                Some(next)
            }
            Action::Isolate(node) => {
                let mut next = last.clone();
                next.history.isolated[usize::from(node)] = true;
                next.history.faults.partitions += 1;
                Some(next)
            }
            Action::Heal(node) => {
                let mut next = last.clone();
                next.history.isolated[usize::from(node)] = false;
                Some(next)
            }
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties.clone()
    }

    fn format_action(&self, action: &Action) -> String {
        crate::trace::describe_action(action)
    }
}

/// The kind of a role, for ordering nodes independently of their names.
fn role_rank(role: &crate::node::Role) -> u8 {
    match role {
        crate::node::Role::Joining => 0,
        crate::node::Role::Replica => 1,
        crate::node::Role::Primary(_) => 2,
    }
}

/// Every ordering of `items` (at most `NODES_MAX`! of them).
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
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

/// The state with the actor at `order[j]` moved to index `j` and every actor id renamed to match.
fn rewrite_in_order(state: &State, order: &[usize]) -> State {
    let mut renaming = vec![Id::from(0); order.len()];
    for (new, old) in order.iter().enumerate() {
        renaming[*old] = Id::from(new);
    }
    let plan = RewritePlan::new(
        stateright::util::DenseNatMap::from(renaming),
        |id: &Id, map: &stateright::util::DenseNatMap<Id, Id>| {
            *map.get(*id).expect("every actor id is renamed")
        },
    );
    // Each actor's timers move to its new index; only a timer naming a replica is rebuilt, and a
    // set without one is copied as it is (rebuilding every set was a sixth of the search).
    let timers_set = order
        .iter()
        .map(|old| {
            let timers = &state.timers_set[*old];
            let names_replica = timers.iter().any(|timer| match timer {
                SwbTimer::Node(node_timer) => node_timer.rewrite_ids(&plan) != *node_timer,
                SwbTimer::Coordinator(_) => false,
            });
            if !names_replica {
                return timers.clone();
            }
            let mut renamed = stateright::actor::Timers::new();
            for timer in timers.iter() {
                renamed.set(match timer {
                    SwbTimer::Node(node_timer) => SwbTimer::Node(node_timer.rewrite_ids(&plan)),
                    other => other.clone(),
                });
            }
            renamed
        })
        .collect();
    ActorModelState {
        actor_states: plan.reindex(&state.actor_states),
        network: state.network.rewrite(&plan),
        timers_set,
        random_choices: plan.reindex(&state.random_choices),
        crashed: plan.reindex(&state.crashed),
        actor_storages: plan.reindex(&state.actor_storages),
        history: state.history.rewrite(&plan),
    }
}

/// The coordinator's state.
pub fn coordinator_of(state: &State) -> &CoordinatorState {
    match state.actor_states[0].as_ref() {
        ActorState::Coordinator(coordinator) => coordinator,
        ActorState::Node(_) => unreachable!("actor 0 is the coordinator"),
    }
}

/// A storage node's state (also while it is crashed: its last state before the crash).
pub fn node_of(state: &State, node: Id) -> &NodeState {
    match state.actor_states[usize::from(node)].as_ref() {
        ActorState::Node(node) => node,
        ActorState::Coordinator(_) => unreachable!("only actor 0 is the coordinator"),
    }
}

/// Every storage node with its id, lowest id first.
pub fn nodes_of(state: &State) -> impl Iterator<Item = (Id, &NodeState)> {
    state
        .actor_states
        .iter()
        .enumerate()
        .filter_map(|(index, actor)| match actor.as_ref() {
            ActorState::Node(node) => Some((Id::from(index), node)),
            ActorState::Coordinator(_) => None,
        })
}

/// The current primary: the coordinator's choice, when that node is up, serving, and at E.
pub fn current_primary(state: &State) -> Option<(Id, &NodeState)> {
    let coordinator = coordinator_of(state);
    let id = coordinator.primary?;
    let node = node_of(state, id);
    let serving = !state.crashed[usize::from(id)]
        && node.primary().is_some()
        && node.disk.epoch == coordinator.epoch;
    serving.then_some((id, node))
}

/// The epoch an actor holds: E for the coordinator, its adopted epoch for a node.
fn epoch_of(actor: &ActorState) -> swb_engine::types::Epoch {
    match actor {
        ActorState::Coordinator(coordinator) => coordinator.epoch,
        ActorState::Node(node) => node.disk.epoch,
    }
}

/// Updates the ghost after one actor step (see `history.rs`).
fn observe(
    params: &Params,
    last: &State,
    action: &ActorModelAction<Msg, SwbTimer, ()>,
    next: &State,
) -> Ghost {
    let mut ghost = next.history;
    let coordinator_before = coordinator_of(last);
    let coordinator_after = coordinator_of(next);

    // The committed lineage grows from the committing primary's log.
    if coordinator_after.committed > coordinator_before.committed {
        if let Some(primary) = coordinator_after.primary {
            let log = node_of(next, primary).disk.wal.slots();
            for lsn in lsns(coordinator_before.committed, coordinator_after.committed) {
                ghost.lineage = ghost.lineage.with(lsn, log.at(lsn));
            }
        }
        ghost.committed_high = ghost.committed_high.max(coordinator_after.committed);
    }

    // An epoch ended: every write it issued that is not committed is orphaned for good.
    if coordinator_after.epoch > coordinator_before.epoch {
        let committed = coordinator_after.committed;
        for (lsn, epoch) in ghost.issued.iter().collect::<Vec<_>>() {
            let is_committed = lsn <= committed && ghost.lineage.at(lsn) == Some(epoch);
            if epoch < coordinator_after.epoch && !is_committed {
                ghost.orphaned.insert(lsn, epoch);
            }
        }
    }

    // A promotion: the chosen node's real lineage must make it eligible (A9).
    if coordinator_before.primary.is_none() {
        if let Some(chosen) = coordinator_after.primary {
            let node = node_of(next, chosen);
            let committed = coordinator_after.committed;
            let eligible = node.disk.epoch == coordinator_after.epoch
                && node.disk.wal.recoverable() >= committed
                && node
                    .disk
                    .wal
                    .slots()
                    .agrees_through(&ghost.lineage, committed);
            if !eligible {
                ghost.breach(Breach::IneligiblePromotion);
            }
        }
    }

    match action {
        ActorModelAction::Crash(_) => ghost.faults.crashes += 1,
        ActorModelAction::Timeout(id, timer) => {
            let index = usize::from(*id);
            let changed = last.actor_states[index] != next.actor_states[index];
            match timer {
                SwbTimer::Node(NodeTimer::ClientWrite) if changed => {
                    let log = &node_of(next, *id).disk.wal;
                    if let Some(epoch) = log.epoch_at(log.received()) {
                        ghost.issued.insert(log.received(), epoch);
                    }
                }
                SwbTimer::Node(NodeTimer::BarrierTimeout(replica)) if changed => {
                    ghost.faults.timeouts += 1;
                    if let Some(SenderPhase::InSync {
                        acked,
                        barrier: Some(through),
                        ..
                    }) = sender_phase(last, *id, *replica)
                    {
                        for lsn in lsns(acked, through) {
                            ghost.expired_barriers[usize::from(*replica)] |= lsn_bit(lsn);
                        }
                    }
                }
                SwbTimer::Node(NodeTimer::CatchUpTimeout(_)) if changed => {
                    ghost.faults.timeouts += 1
                }
                SwbTimer::Node(NodeTimer::AddressChange) if changed => ghost.faults.moves += 1,
                SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry) if changed => {
                    ghost.faults.lease_expiries += 1
                }
                _ => {}
            }
        }
        ActorModelAction::Deliver { src, dst, msg } => {
            let index = usize::from(*dst);
            let receiver_before = last.actor_states[index].as_ref();
            let changed = receiver_before != next.actor_states[index].as_ref();
            if msg.is_epoch_fenced() && msg.epoch() < epoch_of(receiver_before) {
                ghost.witness(Witness::FencedStaleMessage);
                if changed {
                    ghost.breach(Breach::StaleTrafficChangedState);
                }
            }
            if let (Some(addressed), ActorState::Node(receiver)) =
                (msg.addressed_endpoint(), receiver_before)
            {
                if addressed != receiver.disk.endpoint && changed {
                    ghost.breach(Breach::StaleEndpointAccepted);
                }
            }
            match msg {
                // After a barrier expires the replica is out of the live stream; an ack that puts
                // it back (counts as durable progress) without a recovery session is a late ack
                // counted.
                Msg::BarrierAck { .. } => {
                    let in_sync = |state: &State| {
                        matches!(
                            sender_phase(state, *dst, *src),
                            Some(SenderPhase::InSync { .. })
                        )
                    };
                    if !in_sync(last) && in_sync(next) {
                        ghost.breach(Breach::LateAckCounted);
                    }
                }
                Msg::CatchUp {
                    truncate: true,
                    after,
                    ..
                } if changed => {
                    if let ActorState::Node(receiver) = receiver_before {
                        if receiver.disk.wal.received() > *after {
                            ghost.witness(Witness::Truncation);
                        }
                    }
                }
                Msg::Rebuild { source, .. } if changed => ghost.witness(match source {
                    crate::msg::RebuildSource::SnapshotTail { .. } => Witness::SnapshotTailRebuild,
                    crate::msg::RebuildSource::FullBase { .. } => Witness::FullBaseRebuild,
                }),
                _ => {}
            }
        }
        _ => {}
    }

    // Sender transitions of any primary: completions, escalations, barriers (re)sent.
    for (id, node_after) in nodes_of(next) {
        let Some(primary_after) = node_after.primary() else {
            continue;
        };
        for (index, sender_after) in primary_after.senders.iter().enumerate() {
            let Some(sender_after) = sender_after else {
                continue;
            };
            let before = sender_phase(last, id, Id::from(index));
            match (before, sender_after.phase) {
                (Some(SenderPhase::CatchingUp(_)), SenderPhase::InSync { .. }) => {
                    ghost.witness(Witness::CatchUpCompleted)
                }
                (
                    Some(SenderPhase::CatchingUp(_)),
                    SenderPhase::NeedsRebuild {
                        reason: node::EscalationReason::BudgetExceeded,
                    },
                ) => ghost.witness(Witness::BudgetEscalation),
                _ => {}
            }
        }
    }
    let _ = params;
    ghost
}

fn lsn_bit(lsn: Lsn) -> u8 {
    1u8.checked_shl(lsn.get() as u32).unwrap_or(0)
}

/// The phase of `replica`'s sender at `primary`, if `primary` is serving and has one.
pub fn sender_phase(state: &State, primary: Id, replica: Id) -> Option<SenderPhase> {
    let node = node_of(state, primary);
    let sender = node
        .primary()?
        .senders
        .get(usize::from(replica))
        .copied()
        .flatten()?;
    Some(sender.phase)
}

/// The actor states as shared by stateright (for callers that need the `Arc`s).
pub fn actor_states(state: &State) -> &[Arc<ActorState>] {
    &state.actor_states
}

#[cfg(test)]
mod tests {
    //! Symmetry reduction is sound only when replicas really are interchangeable: the
    //! representative must be the same for every renaming of a state, and a renamed state must
    //! step to renamings of the original's successors. A transition that depends on node names
    //! (for example, numbering sessions in id order) breaks the second rule, and the search then
    //! explores a different set of classes depending on which member it meets first: counts differ
    //! between thread counts and behaviours can be missed.

    use super::*;
    use crate::cfg::ProtocolVersion;
    use std::collections::{HashSet, VecDeque};

    /// The first `limit` reachable states, breadth first, without symmetry.
    fn reachable(model: &SwbModel, limit: usize) -> Vec<State> {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<State> = model.init_states().into();
        let mut out = Vec::new();
        while let Some(state) = queue.pop_front() {
            if out.len() >= limit {
                break;
            }
            if !seen.insert(state.clone()) {
                continue;
            }
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            queue.extend(
                actions
                    .into_iter()
                    .filter_map(|action| model.next_state(&state, action)),
            );
            out.push(state);
        }
        out
    }

    /// The symmetry classes of a state's successors, each as its representative.
    fn successor_classes(model: &SwbModel, state: &State) -> HashSet<State> {
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        actions
            .into_iter()
            .filter_map(|action| model.next_state(state, action))
            .map(|next| SwbModel::representative(&next))
            .collect()
    }

    #[test]
    fn replicas_are_interchangeable() {
        for protocol in [
            ProtocolVersion::V1,
            ProtocolVersion::V1_5,
            ProtocolVersion::V2,
        ] {
            let config = Config {
                protocol,
                writes_max: 2,
                faults_max: 2,
                ..Config::default()
            };
            let model = SwbModel::new(&config);
            for state in reachable(&model, 4_000) {
                let representative = SwbModel::representative(&state);
                let successors = successor_classes(&model, &state);
                // Swap the replicas, and rotate all three nodes.
                for order in [[0, 1, 3, 2], [0, 2, 3, 1]] {
                    let renamed = rewrite_in_order(&state, &order);
                    assert!(
                        SwbModel::representative(&renamed) == representative,
                        "{protocol:?}: the representative depends on names: {state:?}"
                    );
                    assert!(
                        successor_classes(&model, &renamed) == successors,
                        "{protocol:?}: a renamed state steps differently: {state:?}"
                    );
                }
            }
        }
    }
}
