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
use either::Either;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, LossyNetwork, Network, Out,
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

impl ActorState {
    /// True when a renaming of actors can change this state (`rewrite` is the identity
    /// otherwise): the coordinator names the primary and caches endpoints by actor, and a primary
    /// keeps its senders by replica; a replica's or joining node's state names no actor.
    pub fn names_actors(&self) -> bool {
        match self {
            ActorState::Coordinator(_) => true,
            ActorState::Node(state) => matches!(state.role, node::Role::Primary(_)),
        }
    }
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

/// The standing timers of `state`, in stateright's order (actor, then timer): the timers armed
/// whenever their actor is up. They are the coordinator's lease expiry (in a run with lease
/// expiries) and each up node's client write and address change (the latter in a run with
/// moves).
///
/// They used to be armed in stateright's timer sets at start and re-armed on every firing. A
/// crash cancels them and a restart arms them again, so their presence was always a function of
/// the crash flags and the bounds, and never told two states apart. Yet every state carried
/// them in a hash set per actor, which each step copied and the digest hashed. So they are
/// offered as actions where stateright would have listed them (`SwbModel::actions`), and are
/// not kept in the state. The unique and total counts are unchanged (the pinned counts in
/// `model/tests/state_space.rs`). Views of a state list them with the armed timers
/// (`armed_timers`). They are added to `timers` (the action listing passes a stack buffer, as
/// this runs for every state).
pub fn standing_timers(params: &Params, state: &State, timers: &mut impl Extend<(Id, SwbTimer)>) {
    if params.lease_expiries_max > 0 {
        timers.extend([(
            coordinator_id(),
            SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry),
        )]);
    }
    for node in params.nodes() {
        if state.crashed[usize::from(node)] {
            continue;
        }
        timers.extend([(node, SwbTimer::Node(NodeTimer::ClientWrite))]);
        if params.address_changes_max > 0 {
            timers.extend([(node, SwbTimer::Node(NodeTimer::AddressChange))]);
        }
    }
}

/// Every timer armed for actor `index` in `state`: the standing ones and stateright's set,
/// sorted.
pub fn armed_timers(params: &Params, state: &State, index: usize) -> Vec<SwbTimer> {
    let mut standing = Vec::new();
    standing_timers(params, state, &mut standing);
    let mut timers: Vec<SwbTimer> = standing
        .into_iter()
        .filter(|(actor, _)| usize::from(*actor) == index)
        .map(|(_, timer)| timer)
        .chain(state.timers_set[index].iter().cloned())
        .collect();
    timers.sort();
    timers
}

/// True for a timer that [`standing_timers`] offers.
fn is_standing(timer: &SwbTimer) -> bool {
    match timer {
        SwbTimer::Coordinator(timer) => *timer == CoordinatorTimer::LeaseExpiry,
        SwbTimer::Node(timer) => timer.is_periodic(),
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
            // Replaced, not written through `to_mut`, which would first copy the old state only
            // to overwrite it.
            *state = Cow::Owned(next);
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
            // Neither arms its standing timers: they are offered as actions (`standing_timers`).
            SwbActor::Coordinator(params) => ActorState::Coordinator(coordinator::initial(params)),
            SwbActor::Node(params) => {
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
                let effect = coordinator::on_lease_expiry(params, current, o);
                apply(state, effect, ActorState::Coordinator, o);
            }
            (ActorState::Coordinator(current), SwbTimer::Coordinator(deadline)) => {
                let effect = crate::deadline::on_coordinator_deadline(params, current, deadline, o);
                apply(state, effect, ActorState::Coordinator, o);
            }
            (ActorState::Node(current), SwbTimer::Node(node_timer)) => {
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
    pub(crate) inner: ActorModel<SwbActor, Params, Ghost>,
    properties: Vec<Property<SwbModel>>,
    /// The state a search starts from instead of time zero (`check --from`), if any.
    start: Option<Arc<State>>,
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
            start: None,
        }
    }

    /// The same model without the fenced-traffic reduction (D35): every stale message stays in
    /// flight until it is delivered. For the tests that prove the reduction sound.
    pub fn keeping_fenced_traffic(mut self) -> SwbModel {
        self.config.fenced_traffic = crate::cfg::FencedTraffic::Keep;
        self
    }

    /// The same model, its search starting from `state` (a state it reaches) instead of time
    /// zero: `check --from` searches exhaustively past a given prefix.
    pub fn starting_from(mut self, state: State) -> SwbModel {
        self.start = Some(Arc::new(state));
        self
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

    /// What stateright fingerprints for a state's symmetry class: a stand-in carrying the class's
    /// digest, the same for every renaming of the state (see `symmetry`). stateright's DFS does
    /// nothing else with it; [`crate::symmetry::canonical_state`] gives the renamed state itself.
    pub fn representative(state: &State) -> State {
        crate::symmetry::class_stand_in(crate::symmetry::class_digest(state))
    }

    /// The deliveries [`Model::actions`] offers in `state`, read in place (no message copied, none
    /// sorted), in no particular order. With [`SwbModel::actions_without_messages`] this is all
    /// of `actions` except the losses. A check that only asks whether some step exists (the
    /// end-state check runs on every state) needs no sorted list: building one, a copy and a sort
    /// of every message in flight, was most of that check's cost.
    pub fn deliveries<'a>(
        &'a self,
        state: &'a State,
    ) -> impl Iterator<Item = Envelope<&'a Msg>> + 'a {
        state.network.iter_deliverable().filter(move |envelope| {
            usize::from(envelope.dst) < self.inner.actors.len()
                && self.delivers(state, envelope.src, envelope.dst)
        })
    }

    /// Every action [`Model::actions`] offers in `state` except deliveries and losses, in the
    /// same order. With [`SwbModel::deliveries`] this is all of `actions` but the losses (a test
    /// below checks it).
    pub fn actions_without_messages(&self, state: &State, actions: &mut Vec<Action>) {
        self.offer_timers_crashes_and_restarts(state, actions);
        self.offer_partitions_and_deadlines(state, actions);
    }

    /// The timers, crashes and restarts of stateright's actor model, in the order its
    /// `ActorModel::actions` sorts them: timers by actor and timer (stateright's armed ones and
    /// the standing ones together), then crashes, then restarts, each by actor. The actors never
    /// choose at random, so stateright's random choices never appear.
    fn offer_timers_crashes_and_restarts(&self, state: &State, actions: &mut Vec<Action>) {
        let mut timers: SmallVec<[(Id, SwbTimer); TIMERS_INLINE]> = SmallVec::new();
        standing_timers(&self.params, state, &mut timers);
        for (index, armed) in state.timers_set.iter().enumerate() {
            for timer in armed.iter() {
                timers.push((Id::from(index), timer.clone()));
            }
        }
        timers.sort_unstable();
        for (actor, timer) in timers {
            self.offer(state, ActorModelAction::Timeout(actor, timer), actions);
        }
        let crashes = state.crashed.iter().filter(|crashed| **crashed).count();
        if crashes < self.inner.max_crashes {
            for (index, _) in state.crashed.iter().enumerate().filter(|(_, c)| !**c) {
                self.offer(state, ActorModelAction::Crash(Id::from(index)), actions);
            }
        }
        for (index, _) in state.crashed.iter().enumerate().filter(|(_, c)| **c) {
            self.offer(state, ActorModelAction::Recover(Id::from(index)), actions);
        }
    }

    /// Adds `action` to `actions` if the run's bounds allow it.
    fn offer(
        &self,
        state: &State,
        action: ActorModelAction<Msg, SwbTimer, ()>,
        actions: &mut Vec<Action>,
    ) {
        if self.allows(state, &action) {
            actions.push(Action::Actor(action));
        }
    }

    /// The steps the model adds to stateright's actor model: a partition's start and healing,
    /// and the recovery deadlines.
    fn offer_partitions_and_deadlines(&self, state: &State, actions: &mut Vec<Action>) {
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
        crate::deadline::offer_expired(self, state, actions);
    }

    /// `dst`'s handler run on a delivery of `msg` from `src`, against `state`'s copy of `dst`
    /// borrowed: the first half of stateright's delivery step, without building the successor.
    /// Returns the receiver as the handler left it (still borrowed unless the handler touched
    /// it) and what the handler sent or armed. Checks that only ask what a delivery would do (the
    /// end-state check, the fenced-traffic reduction) read this.
    pub fn handle_delivery<'a>(
        &self,
        state: &'a State,
        src: Id,
        dst: Id,
        msg: Msg,
    ) -> (Cow<'a, ActorState>, Out<SwbActor>) {
        let index = usize::from(dst);
        let mut receiver = Cow::Borrowed(&*state.actor_states[index]);
        let mut out = Out::new();
        self.inner.actors[index].on_msg(dst, &mut receiver, src, msg, &mut out);
        (receiver, out)
    }

    /// True when `timer` firing at `actor` changes nothing and sends nothing (stateright's
    /// `is_no_op`). stateright refuses such a firing of an armed timer that re-arms itself; a
    /// standing timer is not armed (`standing_timers`), so the model refuses it here, the same
    /// way.
    fn fires_without_effect(&self, state: &State, actor: Id, timer: &SwbTimer) -> bool {
        let index = usize::from(actor);
        let mut actor_state = Cow::Borrowed(&*state.actor_states[index]);
        let mut out = Out::new();
        self.inner.actors[index].on_timeout(actor, &mut actor_state, timer, &mut out);
        stateright::actor::is_no_op(&actor_state, &out)
    }

    /// True when a message from `src` to `dst` can be delivered: neither end is cut off.
    fn delivers(&self, state: &State, src: Id, dst: Id) -> bool {
        !state.history.is_isolated(src) && !state.history.is_isolated(dst)
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
            ActorModelAction::Deliver { src, dst, .. } => self.delivers(state, *src, *dst),
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
        if let Some(start) = &self.start {
            return vec![State::clone(start)];
        }
        self.inner.init_states()
    }

    /// The actions of stateright's actor model that the run's bounds allow, in the order its
    /// `ActorModel::actions` lists them (it sorts its list: losses, then deliveries, each by
    /// sender, receiver and message; then timers, crashes and restarts), then partitions and
    /// deadlines. The list is built here in that order rather than taken from stateright: its
    /// list copies every message in flight and sorts the copies, and it cannot offer the
    /// standing timers (`standing_timers`). The order is the one the search always met, so its
    /// paths are the ones it always found (a test below compares both lists).
    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        assert!(
            !matches!(state.network, Network::Ordered(_)),
            "the model's networks are unordered (SwbModel::new)"
        );
        let mut envelopes: SmallVec<[Envelope<&Msg>; ENVELOPES_INLINE]> = SmallVec::new();
        envelopes.extend(state.network.iter_deliverable());
        envelopes.sort_unstable_by(|a, b| (a.src, a.dst, a.msg).cmp(&(b.src, b.dst, b.msg)));
        if self.inner.lossy_network == LossyNetwork::Yes {
            for envelope in &envelopes {
                self.offer(
                    state,
                    ActorModelAction::Drop(envelope.to_cloned_msg()),
                    actions,
                );
            }
        }
        for envelope in envelopes
            .iter()
            .filter(|envelope| usize::from(envelope.dst) < self.inner.actors.len())
        {
            self.offer(
                state,
                ActorModelAction::Deliver {
                    src: envelope.src,
                    dst: envelope.dst,
                    msg: *envelope.msg,
                },
                actions,
            );
        }
        self.offer_timers_crashes_and_restarts(state, actions);
        self.offer_partitions_and_deadlines(state, actions);
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        match action {
            Action::Actor(inner_action) => {
                if let ActorModelAction::Timeout(actor, timer) = &inner_action {
                    if is_standing(timer) && self.fires_without_effect(last, *actor, timer) {
                        return None;
                    }
                }
                let mut next = self.inner.next_state(last, inner_action.clone())?;
                next.history = observe(&self.params, last, &inner_action, &next);
                if self.config.fenced_traffic == crate::cfg::FencedTraffic::Discard {
                    crate::reduction::discard_fenced_traffic(self, &mut next);
                }
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

/// Every distinct message in flight with its number of copies, in the network's iteration order.
/// The reliable network, a multiset, is read as the map it is: the model walks the network
/// after every step and for every generated state, and stateright's iterator, which yields each
/// copy of a message through an enum, costs several times a plain walk over the map. The other
/// networks yield what stateright's iterator yields, one copy at a time.
pub(crate) fn messages_in_flight(
    network: &Network<Msg>,
) -> impl Iterator<Item = (Envelope<&Msg>, usize)> {
    match network {
        Network::UnorderedNonDuplicating(multiset) => {
            Either::Left(multiset.iter().map(|(envelope, copies)| {
                let envelope = Envelope {
                    src: envelope.src,
                    dst: envelope.dst,
                    msg: &envelope.msg,
                };
                (envelope, *copies)
            }))
        }
        network => Either::Right(network.iter_all().map(|envelope| (envelope, 1))),
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
pub(crate) fn epoch_of(actor: &ActorState) -> swb_engine::types::Epoch {
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
                    if write_shipped_outside_live_stream(last, *id, next) {
                        ghost.breach(Breach::LiveWriteOutsideLiveStream);
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
                SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)) => {
                    let catching_up = |state: &State| {
                        matches!(
                            sender_phase(state, *id, *replica),
                            Some(SenderPhase::CatchingUp(_))
                        )
                    };
                    if changed {
                        ghost.faults.timeouts += 1;
                    }
                    let escalates = params.policy.catch_up_convergence()
                        == crate::policy::CatchUpConvergence::EscalateOnBudget;
                    if escalates && catching_up(last) && catching_up(next) {
                        ghost.breach(Breach::TimedOutCatchUpKeptChasing);
                    }
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
            // The `Arc`s compare by address first: an untouched receiver costs no comparison.
            let changed = last.actor_states[index] != next.actor_states[index];
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
                Msg::Reassign {
                    replica, endpoint, ..
                } if changed => {
                    let addressed = node_of(next, *dst)
                        .primary()
                        .and_then(|office| office.senders[usize::from(*replica)])
                        .map(|sender| sender.endpoint);
                    if addressed.is_some_and(|addressed| addressed != *endpoint) {
                        ghost.breach(Breach::IntentEndpointIgnored);
                    }
                }
                Msg::Heartbeat { endpoint, .. }
                    if rejoin_unanswered(params, last, *src, *endpoint, next) =>
                {
                    ghost.breach(Breach::RejoinWithoutIntent);
                }
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

    // The rules below compare each node before and after the step. A node whose `Arc` is the
    // same allocation in both states is the same value, so it breaks none of them and completes
    // no recovery: only the other nodes are read. (stateright gives an actor a new `Arc` only
    // when its handler changed it, so those are the nodes the step changed.)
    let changed_nodes = || {
        nodes_of(next).filter(|(id, _)| {
            let index = usize::from(*id);
            !Arc::ptr_eq(&last.actor_states[index], &next.actor_states[index])
        })
    };
    // A node's epoch never goes back; a crashed node keeps its durable epoch.
    if changed_nodes().any(|(id, node)| node.disk.epoch < node_of(last, id).disk.epoch) {
        ghost.breach(Breach::EpochRegressed);
    }
    // The endpoint cache only moves to newer endpoint versions.
    let cache_regressed = coordinator_after
        .endpoints
        .iter()
        .zip(coordinator_before.endpoints.iter())
        .any(|(after, before)| after < before);
    if cache_regressed {
        ghost.breach(Breach::EndpointCacheRegressed);
    }
    // The flusher never recycles inside the retention window behind the head.
    let recycled_inside_window = changed_nodes().any(|(id, node)| {
        let wal = &node.disk.wal;
        node.primary().is_some()
            && node_of(last, id).primary().is_some()
            && wal.recycled_through() > node_of(last, id).disk.wal.recycled_through()
            && wal.recycled_through().get()
                > wal
                    .received()
                    .get()
                    .saturating_sub(u64::from(params.retention_entries))
    });
    if recycled_inside_window {
        ghost.breach(Breach::RecycledInsideWindow);
    }
    // A primary's confirmed boundary only rises while it holds office at one epoch.
    let boundary_regressed = changed_nodes().any(|(id, node)| {
        let before = node_of(last, id);
        match (before.primary(), node.primary()) {
            (Some(was), Some(is)) => {
                before.disk.epoch == node.disk.epoch && is.committed < was.committed
            }
            _ => false,
        }
    });
    if boundary_regressed {
        ghost.breach(Breach::ConfirmedBoundaryRegressed);
    }

    // Sender transitions of any primary: completions, escalations, barriers (re)sent.
    for (id, node_after) in changed_nodes() {
        let Some(primary_after) = node_after.primary() else {
            continue;
        };
        for breach in sender_breaches(last, id, next) {
            ghost.breach(breach);
        }
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
    crate::witness::observe_step(&params.witnesses, last, action, next, &mut ghost.scenario);
    ghost
}

/// §2.6 under V2's rejoin policy: a heartbeat that taught the coordinator a newer endpoint of
/// `node` while a primary serves (another node) must send that primary a recovery intent for
/// `node` at `endpoint`. True when it did not.
fn rejoin_unanswered(
    params: &Params,
    last: &State,
    node: Id,
    endpoint: swb_engine::types::EndpointVersion,
    next: &State,
) -> bool {
    let coordinator = coordinator_of(last);
    let learned = Some(endpoint) > coordinator.endpoints.get(node);
    let promised = params.policy.rejoin(crate::policy::AddressChange::Changed)
        == crate::policy::RejoinAction::Reassign;
    let Some(primary) = coordinator.primary else {
        return false;
    };
    let intents = |state: &State| {
        state
            .network
            .iter_all()
            .filter(|envelope| {
                envelope.dst == primary
                    && matches!(envelope.msg, Msg::Reassign { replica, endpoint: sent, .. }
                        if *replica == node && *sent == endpoint)
            })
            .count()
    };
    promised && learned && primary != node && intents(next) <= intents(last)
}

/// True when the client write `primary` took in this step was sent to a replica whose sender
/// was not in the live stream: a write from `primary` at the new head, more of them in flight
/// to that replica after the step than before.
fn write_shipped_outside_live_stream(last: &State, primary: Id, next: &State) -> bool {
    let head = node_of(next, primary).disk.wal.received();
    let writes_at_head = |state: &State, replica: Id| {
        state
            .network
            .iter_all()
            .filter(|envelope| {
                envelope.src == primary
                    && envelope.dst == replica
                    && matches!(envelope.msg, Msg::Write { lsn, .. } if *lsn == head)
            })
            .count()
    };
    nodes_of(next).any(|(replica, _)| {
        writes_at_head(next, replica) > writes_at_head(last, replica)
            && !matches!(
                sender_phase(last, primary, replica),
                Some(SenderPhase::InSync { .. })
            )
    })
}

/// The step rules about one primary's senders that a step broke (T3, T7, T8, T9): an endpoint
/// change ends the running session, every new handshake or rebuild has a new session id, and a
/// replica enters the serving primary's live stream only at the head, holding nothing the
/// primary does not.
fn sender_breaches(last: &State, primary: Id, next: &State) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let node_after = node_of(next, primary);
    let Some(office_after) = node_after.primary() else {
        return breaches;
    };
    let office_before = node_of(last, primary).primary();
    for (index, after) in office_after.senders.iter().enumerate() {
        let Some(after) = after else { continue };
        let before = office_before.and_then(|office| office.senders[index]);
        let Some(before) = before else { continue };
        if before == *after {
            continue;
        }
        if before.endpoint != after.endpoint
            && before.session().is_some()
            && after.session() == before.session()
        {
            breaches.push(Breach::SessionKeptAcrossEndpointChange);
        }
        let previous = match before.phase {
            SenderPhase::InSync { admitted_by, .. } => admitted_by,
            _ => before.session(),
        };
        let starts = match after.phase {
            SenderPhase::Connecting { session } => Some(session),
            SenderPhase::Rebuilding { session, .. } => Some(session),
            _ => None,
        };
        if starts.is_some() && before.phase != after.phase && starts == previous {
            breaches.push(Breach::SessionReused);
        }
        // Judged at the serving primary only: a deposed one may still admit a replica on a
        // handshake its replica has since outgrown (it has moved on to a newer epoch), and no
        // property reads a deposed primary's counts.
        let serving = current_primary(next).is_some_and(|(serving, _)| serving == primary);
        if let (SenderPhase::InSync { acked, .. }, true) = (after.phase, serving) {
            let joined = !matches!(before.phase, SenderPhase::InSync { .. });
            let replica = &node_of(next, Id::from(index)).disk.wal;
            let head = node_after.disk.wal.received();
            let holds_only_primary_entries = replica.received() <= head
                && replica
                    .slots()
                    .agrees_through(node_after.disk.wal.slots(), replica.received());
            if joined && (acked != head || !holds_only_primary_entries) {
                breaches.push(Breach::AdmittedBehindOrAhead);
            }
        }
    }
    breaches
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

/// Room on the stack for a state's timers and for its messages in flight when its actions are
/// listed: more than most states hold, so listing allocates nothing (a longer list moves to the
/// heap). Listing runs for every state.
const TIMERS_INLINE: usize = 16;
const ENVELOPES_INLINE: usize = 16;

#[cfg(test)]
pub(crate) mod tests {
    //! Symmetry reduction is sound only when replicas really are interchangeable: the
    //! representative must be the same for every renaming of a state, and a renamed state must
    //! step to renamings of the original's successors. A transition that depends on node names
    //! (for example, numbering sessions in id order) breaks the second rule, and the search then
    //! explores a different set of classes depending on which member it meets first: counts differ
    //! between thread counts and behaviours can be missed.

    use super::*;
    use crate::cfg::ProtocolVersion;
    use crate::symmetry;
    use std::collections::{HashSet, VecDeque};

    /// The first `limit` reachable states, breadth first, without symmetry.
    pub(crate) fn reachable(model: &SwbModel, limit: usize) -> Vec<State> {
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
    pub(crate) fn successor_classes(model: &SwbModel, state: &State) -> HashSet<State> {
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        actions
            .into_iter()
            .filter_map(|action| model.next_state(state, action))
            .map(|next| SwbModel::representative(&next))
            .collect()
    }

    /// The versions, each at bounds that reach every kind of state: two writes, two faults.
    fn sample_models() -> Vec<SwbModel> {
        [
            ProtocolVersion::V1,
            ProtocolVersion::V1_5,
            ProtocolVersion::V2,
        ]
        .into_iter()
        .map(|protocol| {
            SwbModel::new(&Config {
                protocol,
                writes_max: 2,
                faults_max: 2,
                ..Config::default()
            })
        })
        .collect()
    }

    /// Runs `check` on the first 3,000 reachable states of the sample bounds (two writes, two
    /// faults) on each kind of network: reliable, lossy, duplicating. `check` gets the model, the
    /// state and the network's name.
    fn on_every_network(mut check: impl FnMut(&SwbModel, &State, &str)) {
        use crate::cfg::{MessageDuplication, MessageLoss};
        let networks = [
            (MessageLoss::Reliable, MessageDuplication::Exactly),
            (MessageLoss::Lossy, MessageDuplication::Exactly),
            (MessageLoss::Reliable, MessageDuplication::Duplicating),
        ];
        for (message_loss, message_duplication) in networks {
            let model = SwbModel::new(&Config {
                writes_max: 2,
                faults_max: 2,
                message_loss,
                message_duplication,
                ..Config::default()
            });
            let network = format!("{message_loss:?}, {message_duplication:?}");
            for state in reachable(&model, 3_000) {
                check(&model, &state, &network);
            }
        }
    }

    /// The end-state check enumerates a state's steps without building `actions`' list:
    /// deliveries in place, then the other steps. Together they must be exactly the actions
    /// `actions` lists, but the losses (which the check skips as faults).
    #[test]
    fn deliveries_and_other_actions_are_all_of_actions() {
        on_every_network(|model, state, network| {
            let mut listed = Vec::new();
            model.actions(state, &mut listed);
            listed.retain(|action| !matches!(action, Action::Actor(ActorModelAction::Drop(_))));
            listed.sort();
            let mut enumerated: Vec<Action> = model
                .deliveries(state)
                .map(|envelope| {
                    Action::Actor(ActorModelAction::Deliver {
                        src: envelope.src,
                        dst: envelope.dst,
                        msg: *envelope.msg,
                    })
                })
                .collect();
            model.actions_without_messages(state, &mut enumerated);
            enumerated.sort();
            assert_eq!(enumerated, listed, "{network}: {state:?}");
        });
    }

    /// `actions` builds its list itself, in the order stateright's actor model sorts its own:
    /// it must be exactly the list stateright gives (with each standing timer where stateright
    /// would have sorted it as an armed timer), filtered by the bounds, on every kind of network.
    #[test]
    fn actions_are_listed_in_stateright_order() {
        on_every_network(|model, state, network| {
            let mut listed = Vec::new();
            model.actions(state, &mut listed);
            let mut inner = Vec::new();
            model.inner.actions(state, &mut inner);
            let mut standing = Vec::new();
            standing_timers(&model.params, state, &mut standing);
            for (actor, timer) in standing {
                inner.push(ActorModelAction::Timeout(actor, timer));
            }
            // stateright's comparator: losses before deliveries (the derived order has them the
            // other way round), then the derived order within a kind.
            let rank = |action: &ActorModelAction<Msg, SwbTimer, ()>| match action {
                ActorModelAction::Drop(_) => 0,
                ActorModelAction::Deliver { .. } => 1,
                _ => 2,
            };
            inner.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut expected: Vec<Action> = inner
                .into_iter()
                .filter(|action| model.allows(state, action))
                .map(Action::Actor)
                .collect();
            model.offer_partitions_and_deadlines(state, &mut expected);
            assert_eq!(listed, expected, "{network}: {state:?}");
        });
    }

    /// Swap the replicas, and rotate all three nodes.
    const RENAMINGS: [[usize; 4]; 2] = [[0, 1, 3, 2], [0, 2, 3, 1]];

    #[test]
    fn replicas_are_interchangeable() {
        for model in sample_models() {
            let protocol = model.config.protocol;
            for state in reachable(&model, 4_000) {
                let representative = SwbModel::representative(&state);
                let canonical = symmetry::canonical_state(&state);
                let successors = successor_classes(&model, &state);
                for order in RENAMINGS {
                    let renamed = symmetry::rename(&state, &order);
                    assert!(
                        SwbModel::representative(&renamed) == representative,
                        "{protocol:?}: the representative depends on names: {state:?}"
                    );
                    assert!(
                        symmetry::canonical_state(&renamed) == canonical,
                        "{protocol:?}: the canonical form depends on names: {state:?}"
                    );
                    assert!(
                        successor_classes(&model, &renamed) == successors,
                        "{protocol:?}: a renamed state steps differently: {state:?}"
                    );
                }
            }
        }
    }

    /// The digest hashes a state's parts renamed one at a time; it must read exactly what hashing
    /// the renamed state would (a part left unrenamed, or left out, fails here).
    #[test]
    fn digest_reads_the_renamed_state() {
        for model in sample_models() {
            let protocol = model.config.protocol;
            for state in reachable(&model, 4_000) {
                for order in RENAMINGS {
                    let renamed = symmetry::rename(&state, &order);
                    assert_eq!(
                        symmetry::digest_in_order(&state, &order),
                        symmetry::digest_in_order(&renamed, &[0, 1, 2, 3]),
                        "{protocol:?}: renamed part by part differs: {state:?}"
                    );
                }
            }
        }
    }

    /// The digest leaves out actors' storages because each is a function of its actor's state:
    /// a node's storage is its state's durable part, crashed or not, and the coordinator has none.
    #[test]
    fn storage_is_the_durable_part_of_the_node() {
        for model in sample_models() {
            let protocol = model.config.protocol;
            let mut crashed = 0;
            for state in reachable(&model, 4_000) {
                for (index, actor) in state.actor_states.iter().enumerate() {
                    let expected = match actor.as_ref() {
                        ActorState::Coordinator(_) => None,
                        ActorState::Node(node) => Some(node.durable()),
                    };
                    assert_eq!(
                        state.actor_storages[index], expected,
                        "{protocol:?}: actor {index}'s storage: {state:?}"
                    );
                    crashed += usize::from(state.crashed[index]);
                }
            }
            assert!(
                crashed > 0,
                "{protocol:?}: no crashed node among the samples"
            );
        }
    }

    /// Two states share a digest exactly when they share a canonical form: the digest names
    /// classes, no more and no fewer (over these samples, no collision either).
    #[test]
    fn digest_names_classes_exactly() {
        for model in sample_models() {
            let protocol = model.config.protocol;
            let mut class_of_digest = std::collections::HashMap::new();
            let mut digest_of_class = std::collections::HashMap::new();
            for state in reachable(&model, 4_000) {
                let digest = symmetry::class_digest(&state);
                let canonical = symmetry::canonical_state(&state);
                assert!(
                    *class_of_digest.entry(digest).or_insert(canonical.clone()) == canonical,
                    "{protocol:?}: two classes share a digest: {state:?}"
                );
                assert!(
                    *digest_of_class.entry(canonical).or_insert(digest) == digest,
                    "{protocol:?}: one class has two digests: {state:?}"
                );
            }
            assert!(
                class_of_digest.len() > 1_000,
                "{protocol:?}: too few classes"
            );
        }
    }
}
