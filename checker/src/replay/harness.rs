//! The mapping layer: walks a model path and drives one `swb_engine` registry plus an in-memory
//! storage adapter per primary incarnation through the same history.
//!
//! Engine calls are derived from the difference between consecutive model states (plus the
//! action, for the values a message carries: the replica's flushed LSN in a probe reply, the
//! LSN a catch-up or rebuild acknowledgement reports). Per step:
//!
//! 1. **Incarnations.** A node that serves (role primary, not crashed) has one incarnation: a
//!    [`Registry`] and an [`InMemoryStorage`] built from its WAL. It ends when the node steps down
//!    or crashes (every sender stopped, every pin released). At time zero the first primary's
//!    replicas are in sync: each is bootstrapped with a zero-gap handshake at its flushed LSN.
//! 2. **Epoch and endpoints.** An epoch change of a serving node (`Assign` at a newer epoch) is
//!    an assignment at the new epoch (reconcile: `update_endpoint`, `update_epoch`) followed by
//!    `invalidate_epoch`. A changed endpoint (`Reassign`) is an assignment with the new endpoint.
//! 3. **Storage.** The primary's WAL is mirrored: appends, flush, commit (the primary's confirmed
//!    recovery boundary: the primary's head, decision D23, see [`recovery_boundary`]),
//!    checkpoint (trusted) and recycling. The storage adapter refuses to move the
//!    checkpoint under a snapshot pin or to recycle past a WAL pin; the harness then retries on
//!    the next step and counts the deferral (the engine keeps more history than the model, which
//!    is safe; if it changes a later decision, the comparison reports it there).
//! 4. **Senders**, per replica, by (phase before, phase after):
//!    - a new model session (`Connecting`) → attach (or supersede) a catch-up session with the
//!      harness's budget, then `begin_connect`;
//!    - `Connecting` → anything (the probe reply) → `record_handshake_by_identity` with the
//!      lineage of the replica's reported durable log against the storage's (D5); zero gap →
//!      `complete`; catch-up → pin the WAL after the prefix the replica keeps (none for a
//!      truncation only, as the planner does) and `begin_catch_up`;
//!    - a catch-up acknowledgement → `record_truncation` (first chunk) and
//!      `record_catch_up_progress`; the WAL pin moves up to the acknowledged LSN, as the model's
//!      reservation does; reaching the live stream → `complete`; a new round (the head moved
//!      during the last one) → a new session (`supersede_session`), connected and handshaken by
//!      identity toward the head of that moment (D23: the engine never moves a frozen target);
//!    - an escalation by timeout → the clock jumps past the stall budget and `check_budget`
//!      escalates; the round budget (the head moved past the round's frozen target) →
//!      `abandon_outrun` with the primary's head, which the engine refuses unless that is so;
//!      any other escalation → `check_budget` at the current tick (if it does not escalate, the
//!      comparison says so);
//!    - a rebuild intent → an assignment with a rebuild target, `begin_connect`,
//!      `record_handshake((0, committed])`, `select_rebuild_from_history`, pins for the source
//!      chosen (snapshot + WAL after it, or a full base), `begin_rebuild_transfer`;
//!    - a rebuild acknowledgement → transfer progress, tail replay, `complete_rebuild` (or
//!      `abandon_outrun` when the model's round budget escalates because the head moved).
//!
//! Decisions a reviewer will question:
//! - The harness uses the registry and the senders directly rather than `RecoveryDriver`:
//!   `plan_recovery` connects and handshakes in one call, while the model connects (sends its
//!   probe) in one step and handshakes when the reply arrives; the orchestrator offers no way to
//!   handshake a session it already connected. The pins are taken as the planner takes them.
//! - Catch-up sessions are attached by the harness with a budget, not through the assignment's
//!   recovery targets: `apply_assignment` attaches sessions without a budget (§6.8), and a
//!   session without a budget can never escalate, which the model's timeouts require (A5).
//! - Ticks: one per model step; a catch-up timeout advances the clock by more than the stall
//!   budget, the model's "the replica was slow".
//! - For the engine-side judgements (`judge`, D28) the harness exposes what the engine holds
//!   ([`Harness::snapshot`]: active sessions, budgets checked at the current tick without
//!   touching the session, WAL pins, recycling) and counts, before each further catch-up round,
//!   the sessions the engine confirms outrun (`abandon_outrun` on a copy of the sender; the real
//!   sender is untouched, so the replay itself is unchanged).

use stateright::actor::{ActorModelAction, Id};
use std::collections::BTreeMap;
use std::fmt;
use swb_engine::budget::CatchUpBudget;
use swb_engine::history::{CheckpointTrust, ProofReason, RebuildSource, RetainedHistory};
use swb_engine::lineage::Lineage;
use swb_engine::outcome::RecoveryOutcome;
use swb_engine::plan::{FullBasePin, PinKind, RetentionPin, SnapshotPin, StorageAdapter};
use swb_engine::registry::{AssignmentFailure, AssignmentIntent, Registry, ReplicaAssignment};
use swb_engine::sender::Sender as EngineSender;
use swb_engine::session::phase::InvalidateReason;
use swb_engine::session::Truncation;
use swb_engine::storage::InMemoryStorage;
use swb_engine::types::{
    Endpoint, EndpointVersion, Epoch, Lsn, LsnRange, ReplicaId, SessionId, SessionKind, Tick,
};
use swb_model::msg::Msg;
use swb_model::node::{EscalationReason, NodeState, NodeTimer, Sender as ModelSender, SenderPhase};
use swb_model::system::{node_of, nodes_of, SwbTimer};
use swb_model::wal::Slots;
use swb_model::{Action, State};

use super::judge::{ActiveSession, ActiveWork, EngineSnapshot, PrimarySnapshot};
use super::view::{engine_view, model_view, StepView};

/// The stall budget of every catch-up session the harness attaches, in ticks. No model step
/// takes this long; a catch-up timeout jumps the clock past it.
pub const STALL_TICKS_MAX: u64 = 1_000_000;

fn catch_up_budget() -> CatchUpBudget {
    CatchUpBudget {
        duration_ticks_max: None,
        entries_max: None,
        progress_gap_ticks_max: Some(STALL_TICKS_MAX),
    }
}

/// An engine call the engine refused: the call, the rule (the error's variant, snake_case) and
/// the error as the engine words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The engine call.
    pub call: &'static str,
    /// The rule that refused it.
    pub rule: String,
    /// The engine's message.
    pub error: String,
}

impl Refusal {
    fn of<E: fmt::Debug + fmt::Display>(call: &'static str, error: E) -> Refusal {
        Refusal {
            call,
            rule: rule_name(&format!("{error:?}")),
            error: error.to_string(),
        }
    }
}

/// The innermost variant name of an error's `Debug` rendering, in snake_case: the wrapper
/// variants (`Sender(Authority(StaleSession { .. }))`) are peeled until a variant with fields or
/// a unit variant remains.
pub fn rule_name(debug: &str) -> String {
    let mut name = debug;
    for token in debug.split('(') {
        let identifier: &str = token
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if identifier.is_empty() {
            break;
        }
        name = identifier;
        if identifier.len() != token.len() {
            break;
        }
    }
    let mut snake = String::new();
    for (index, character) in name.chars().enumerate() {
        if character.is_uppercase() {
            if index > 0 {
                snake.push('_');
            }
            snake.extend(character.to_lowercase());
        } else {
            snake.push(character);
        }
    }
    snake
}

/// What an incarnation holds for a replica's running session.
#[derive(Debug)]
enum Held {
    Nothing,
    Wal(RetentionPin),
    SnapshotTail {
        snapshot: SnapshotPin,
        tail: RetentionPin,
    },
    FullBase(FullBasePin),
}

impl Held {
    fn release(self, storage: &mut InMemoryStorage) {
        match self {
            Held::Nothing => {}
            Held::Wal(pin) => pin.release(storage),
            Held::SnapshotTail { snapshot, tail } => {
                tail.release(storage);
                snapshot.release(storage);
            }
            Held::FullBase(pin) => pin.release(storage),
        }
    }
}

/// The engine session standing for the model's current session of one replica, and its pins.
#[derive(Debug)]
struct Link {
    session: Option<SessionId>,
    held: Held,
}

/// The recovery boundary the harness gives the engine's storage as its committed LSN (the
/// `CommittedLSN` input of PROTOCOL.md §6.5/§6.10): the primary's head, which the engine freezes
/// at the handshake as the target of every session it opens (decision D23 of `docs/design.md`).
///
/// Why the head and not the primary's confirmed committed LSN C: the model has one replication
/// line. Entries above C reach a recovering replica only through its recovery session (the
/// SRP's second live line is not modelled), so the boundary a recovery must reach before the
/// replica rejoins is the head frozen at the handshake (the model's W2 "freeze target H0"). In
/// a one-line system that is exactly what the engine's committed input means: what recovery
/// must reach. With C instead, the engine would declare a replica in sync that lacks entries
/// nobody will ever send it.
fn recovery_boundary(node: &NodeState) -> Lsn {
    node.disk.wal.received()
}

/// What a step leaves for one replica: the primary's head and the replica's durable log.
struct Reached {
    head: Lsn,
    durable: Slots,
}

/// The clock and the counters shared by every incarnation of one replay.
#[derive(Clone, Copy, Debug, Default)]
struct Context {
    tick: Tick,
    engine_calls: u64,
    storage_deferrals: u64,
    /// Sessions replaced for a further round after the engine confirmed them outrun.
    outruns_confirmed: u64,
    /// A deliberately broken mapping, for the tests that show a judgement can fail.
    #[cfg(test)]
    mutant: Option<MappingMutant>,
}

/// A deliberately broken mapping (tests only): each drops one engine-side guarantee that the
/// engine's observable fields do not show, so the replay still conforms and only the
/// engine-side judgement ([`super::judge`]) can catch it.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingMutant {
    /// Every WAL pin a catch-up takes is released at once (breaks the retention pin, A6).
    DropWalPins,
    /// Catch-up sessions are attached without a budget (breaks A5's escalation).
    NoCatchUpBudget,
}

impl Context {
    /// Whether a catch-up keeps the WAL pin it takes.
    fn keeps_wal_pins(&self) -> bool {
        #[cfg(test)]
        if self.mutant == Some(MappingMutant::DropWalPins) {
            return false;
        }
        true
    }

    /// The budget of a catch-up session the harness attaches.
    fn catch_up_budget(&self) -> Option<CatchUpBudget> {
        #[cfg(test)]
        if self.mutant == Some(MappingMutant::NoCatchUpBudget) {
            return None;
        }
        Some(catch_up_budget())
    }
}

impl Context {
    fn call<T, E: fmt::Debug + fmt::Display>(
        &mut self,
        call: &'static str,
        result: Result<T, E>,
    ) -> Result<T, Refusal> {
        self.engine_calls += 1;
        result.map_err(|error| Refusal::of(call, error))
    }
}

/// One primary incarnation: its engine registry and its storage.
#[derive(Debug)]
struct Incarnation {
    node: Id,
    epoch: Epoch,
    registry: Registry,
    storage: InMemoryStorage,
    links: BTreeMap<ReplicaId, Link>,
}

/// The engine side of a replay: one incarnation per serving primary.
#[derive(Debug, Default)]
pub struct Harness {
    incarnations: BTreeMap<u8, Incarnation>,
    context: Context,
}

fn replica_id(node: Id) -> ReplicaId {
    ReplicaId::new(usize::from(node) as u32)
}

fn node_index(node: Id) -> u8 {
    usize::from(node) as u8
}

/// The engine endpoint of model node `node` at `version` (addresses follow distsim's naming).
fn endpoint_of(node: Id, version: EndpointVersion) -> Endpoint {
    let index = usize::from(node);
    Endpoint {
        data_addr: format!("n{index}:v{}", version.get()),
        ctrl_addr: format!("n{index}:v{}:ctrl", version.get()),
        version,
    }
}

/// The nodes that serve in `state`: role primary and not crashed.
fn serving(state: &State) -> Vec<(Id, &NodeState)> {
    nodes_of(state)
        .filter(|(id, node)| node.primary().is_some() && !state.crashed[usize::from(*id)])
        .collect()
}

fn senders_of(node: &NodeState) -> Vec<(Id, ModelSender)> {
    node.primary()
        .map(|primary| {
            primary
                .senders
                .iter()
                .enumerate()
                .filter_map(|(index, sender)| sender.map(|sender| (Id::from(index), sender)))
                .collect()
        })
        .unwrap_or_default()
}

fn assignments(node: &NodeState) -> Vec<ReplicaAssignment> {
    senders_of(node)
        .into_iter()
        .map(|(replica, sender)| ReplicaAssignment {
            replica: replica_id(replica),
            endpoint: endpoint_of(replica, sender.endpoint),
        })
        .collect()
}

/// The message `action` delivers from `src` to `dst`, if it is one.
fn delivered(action: &Action, src: Id, dst: Id) -> Option<&Msg> {
    match action {
        Action::Actor(ActorModelAction::Deliver {
            src: from,
            dst: to,
            msg,
        }) if *from == src && *to == dst => Some(msg),
        _ => None,
    }
}

fn is_catch_up_timeout(action: &Action) -> bool {
    matches!(
        action,
        Action::Actor(ActorModelAction::Timeout(
            _,
            SwbTimer::Node(NodeTimer::CatchUpTimeout(_))
        ))
    )
}

impl Harness {
    /// The engine side at time zero: an incarnation for every serving node of `init`.
    pub fn start(init: &State) -> Result<Harness, Refusal> {
        let mut harness = Harness::default();
        for (id, node) in serving(init) {
            let incarnation = Incarnation::start(id, node, init, &mut harness.context)?;
            harness.incarnations.insert(node_index(id), incarnation);
        }
        Ok(harness)
    }

    /// Engine calls made so far.
    pub fn engine_calls(&self) -> u64 {
        self.context.engine_calls
    }

    /// Storage changes the adapter refused under a pin and the harness deferred.
    pub fn storage_deferrals(&self) -> u64 {
        self.context.storage_deferrals
    }

    /// Sessions the harness replaced for a further round (the model's next round) after the
    /// engine confirmed them outrun: `abandon_outrun`, called on a copy of the sender, accepted
    /// them (the session reached its frozen target and the head had moved past it).
    pub fn outruns_confirmed(&self) -> u64 {
        self.context.outruns_confirmed
    }

    /// The engine side at time zero with a broken mapping (tests only).
    #[cfg(test)]
    pub fn start_with_mutant(init: &State, mutant: MappingMutant) -> Result<Harness, Refusal> {
        let mut harness = Harness::default();
        harness.context.mutant = Some(mutant);
        for (id, node) in serving(init) {
            let incarnation = Incarnation::start(id, node, init, &mut harness.context)?;
            harness.incarnations.insert(node_index(id), incarnation);
        }
        Ok(harness)
    }

    /// What the engine-side judgements read: every incarnation's storage (head, recycling,
    /// WAL pins) and its active sessions that replay or rebuild, with each catch-up's budget
    /// checked at the current tick without touching the session.
    pub fn snapshot(&self) -> EngineSnapshot {
        let now = self.context.tick;
        let primaries = self
            .incarnations
            .iter()
            .map(|(index, incarnation)| {
                let storage = &incarnation.storage;
                let sessions = incarnation
                    .registry
                    .senders()
                    .filter_map(|sender| {
                        let session = sender.active_session()?;
                        let work = match (session.catch_up(), session.rebuild()) {
                            (Some(progress), _) => ActiveWork::CatchingUp {
                                recovered_to: progress.recovered_to,
                                frozen_target: progress.frozen_target?,
                                truncation_pending: matches!(
                                    progress.truncation,
                                    Truncation::Required { .. }
                                ),
                                budget: progress.budget.map(|budget| match progress.tracker {
                                    Some(tracker) => budget.check(&tracker, now),
                                    None => Ok(()),
                                }),
                            },
                            (None, Some(rebuild)) => match rebuild.source()? {
                                RebuildSource::SnapshotTail { snapshot } => {
                                    ActiveWork::RebuildingFromSnapshot { snapshot }
                                }
                                RebuildSource::FullBase(_) => return None,
                            },
                            (None, None) => return None,
                        };
                        Some(ActiveSession {
                            replica: sender.replica().get() as u8,
                            session: session.id(),
                            work,
                        })
                    })
                    .collect();
                PrimarySnapshot {
                    primary: *index,
                    head: storage.head(),
                    recycled_through: storage.recycled_through(),
                    wal_pins: storage
                        .active_pins()
                        .into_iter()
                        .filter(|(_, kind, _)| *kind == PinKind::Wal)
                        .map(|(_, _, after)| after)
                        .collect(),
                    sessions,
                }
            })
            .collect();
        EngineSnapshot { primaries }
    }

    /// Drives the engine through one model step `before --action--> after`.
    pub fn step(&mut self, before: &State, action: &Action, after: &State) -> Result<(), Refusal> {
        self.context.tick = self.context.tick.after(1);
        if is_catch_up_timeout(action) {
            self.context.tick = self.context.tick.after(STALL_TICKS_MAX + 1);
        }
        let serving_after = serving(after);
        let ended: Vec<u8> = self
            .incarnations
            .keys()
            .copied()
            .filter(|index| {
                !serving_after
                    .iter()
                    .any(|(id, _)| node_index(*id) == *index)
            })
            .collect();
        for index in ended {
            if let Some(incarnation) = self.incarnations.remove(&index) {
                incarnation.end(&mut self.context);
            }
        }
        for (id, node) in serving_after {
            match self.incarnations.get_mut(&node_index(id)) {
                Some(incarnation) => incarnation.step(before, action, after, &mut self.context)?,
                None => {
                    let incarnation = Incarnation::start(id, node, after, &mut self.context)?;
                    self.incarnations.insert(node_index(id), incarnation);
                }
            }
        }
        Ok(())
    }

    /// The engine's view of every replica of every incarnation.
    pub fn views(&self) -> StepView {
        let mut views = StepView::new();
        for (index, incarnation) in &self.incarnations {
            for sender in incarnation.registry.views() {
                views.insert((*index, sender.replica.get() as u8), engine_view(&sender));
            }
        }
        views
    }
}

/// The model's view of every replica of every serving primary.
pub fn model_views(state: &State) -> StepView {
    let mut views = StepView::new();
    for (id, node) in serving(state) {
        for (replica, sender) in senders_of(node) {
            views.insert(
                (node_index(id), node_index(replica)),
                model_view(&sender, node.disk.epoch),
            );
        }
    }
    views
}

impl Incarnation {
    /// A new incarnation of `id` as it serves in `state`: storage from its WAL, one sender per
    /// replica, and each replica's session as the model has it.
    fn start(
        id: Id,
        node: &NodeState,
        state: &State,
        context: &mut Context,
    ) -> Result<Incarnation, Refusal> {
        let mut incarnation = Incarnation {
            node: id,
            epoch: node.disk.epoch,
            registry: Registry::new(),
            storage: storage_of(node, context)?,
            links: BTreeMap::new(),
        };
        incarnation.reconcile(node, context)?;
        for (replica, sender) in senders_of(node) {
            match sender.phase {
                SenderPhase::InSync { .. } => {
                    let wal = node_of(state, replica).disk.wal;
                    let durable = wal.slots().range(Lsn::ZERO, wal.flushed());
                    incarnation.bootstrap(replica_id(replica), &durable, context)?;
                }
                SenderPhase::Connecting { .. } => {
                    incarnation.open_catch_up(replica_id(replica), SessionKind::CatchUp, context)?
                }
                _ => {}
            }
        }
        incarnation.settle();
        Ok(incarnation)
    }

    /// Stops every sender and releases every pin.
    fn end(mut self, context: &mut Context) {
        for (_, link) in std::mem::take(&mut self.links) {
            link.held.release(&mut self.storage);
        }
        context.engine_calls += 1;
        self.registry.stop_all();
    }

    fn step(
        &mut self,
        before: &State,
        action: &Action,
        after: &State,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let node = node_of(after, self.node);
        let epoch_changed = node.disk.epoch > self.epoch;
        if epoch_changed {
            self.epoch = node.disk.epoch;
            self.reconcile(node, context)?;
            context.engine_calls += 1;
            self.registry.invalidate_epoch(self.epoch);
        } else {
            let moved = senders_of(node).iter().any(|(replica, sender)| {
                self.registry
                    .sender(replica_id(*replica))
                    .is_some_and(|engine| engine.endpoint().version != sender.endpoint)
            });
            if moved {
                self.reconcile(node, context)?;
            }
        }
        self.settle();
        self.sync_storage(node, context)?;
        let before_node = node_of(before, self.node);
        let before_senders: BTreeMap<Id, ModelSender> =
            if epoch_changed || before_node.primary().is_none() {
                BTreeMap::new()
            } else {
                senders_of(before_node).into_iter().collect()
            };
        let head = node.disk.wal.received();
        for (replica, sender) in senders_of(node) {
            let wal = node_of(after, replica).disk.wal;
            let durable = wal.slots().range(Lsn::ZERO, wal.flushed());
            self.transition(
                replica,
                before_senders.get(&replica).copied(),
                sender,
                action,
                Reached { head, durable },
                context,
            )?;
        }
        self.settle();
        Ok(())
    }

    /// One replica's engine calls for the model's `before → after` sender change.
    fn transition(
        &mut self,
        replica: Id,
        before: Option<ModelSender>,
        after: ModelSender,
        action: &Action,
        reached: Reached,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let head = reached.head;
        let id = replica_id(replica);
        let from_replica = delivered(action, replica, self.node);
        let before_phase = before.map(|sender| sender.phase);
        match (before_phase, after.phase) {
            (_, SenderPhase::Connecting { session })
                if before.and_then(|sender| sender.session()) != Some(session) =>
            {
                let reassigned = matches!(delivered(action, swb_model::coordinator_id(), self.node), Some(Msg::Reassign { replica: target, .. }) if *target == replica);
                let kind = if reassigned {
                    SessionKind::Reassign
                } else {
                    SessionKind::CatchUp
                };
                self.open_catch_up(id, kind, context)
            }
            (
                Some(SenderPhase::Connecting { .. }),
                SenderPhase::InSync { .. }
                | SenderPhase::CatchingUp(_)
                | SenderPhase::NeedsRebuild { .. },
            ) => match from_replica {
                Some(Msg::ProbeReply { entries, .. }) => self.handshake(id, entries, context),
                _ => Ok(()),
            },
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::CatchingUp(next))
                if first.session == next.session =>
            {
                let truncated = (first.truncate && !next.truncate).then_some(first.progress);
                let progress = (next.progress > first.progress).then_some(next.progress);
                self.progress(id, truncated, progress, context)?;
                if next.rounds > first.rounds {
                    // The round reached its frozen target and the head had moved: the engine
                    // never chases the head inside a session; its next round is a new session
                    // toward the head now (D23).
                    self.next_round(id, &reached.durable, context)?;
                }
                Ok(())
            }
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::InSync { acked, .. }) => {
                let truncated = first.truncate.then_some(first.progress);
                let progress = (acked > first.progress).then_some(acked);
                self.progress(id, truncated, progress, context)?;
                self.complete(id, context)
            }
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::NeedsRebuild { reason }) => {
                if let Some(Msg::CatchUpAck { through, .. }) = from_replica {
                    let truncated = first.truncate.then_some(first.progress);
                    let progress = (*through > first.progress).then_some(*through);
                    self.progress(id, truncated, progress, context)?;
                }
                match reason {
                    // The round reached its frozen target and the head had moved: the model's
                    // round budget is the caller's tail-chasing policy (D23).
                    EscalationReason::BudgetExceeded => self.abandon_outrun(id, head, context),
                    _ => self.escalate(id, context),
                }
            }
            (
                Some(SenderPhase::Rebuilding { .. }),
                SenderPhase::InSync { .. }
                | SenderPhase::CatchingUp(_)
                | SenderPhase::NeedsRebuild { .. },
            ) => match from_replica {
                Some(Msg::RebuildAck { through, .. }) => {
                    let outrun = matches!(
                        after.phase,
                        SenderPhase::NeedsRebuild {
                            reason: EscalationReason::BudgetExceeded
                        }
                    );
                    self.complete_rebuild(id, *through, outrun.then_some(head), context)?;
                    if matches!(after.phase, SenderPhase::CatchingUp(_)) {
                        // The rebuilt replica chases the head that moved during the rebuild.
                        self.next_round(id, &reached.durable, context)?;
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            (Some(SenderPhase::NeedsRebuild { .. }), SenderPhase::Rebuilding { .. }) => {
                self.open_rebuild(id, context)
            }
            _ => Ok(()),
        }
    }

    /// An assignment of the node's current replica set at the incarnation's epoch, without
    /// recovery targets (reconcile: endpoints, then epoch).
    fn reconcile(&mut self, node: &NodeState, context: &mut Context) -> Result<(), Refusal> {
        let intent = AssignmentIntent {
            replicas: assignments(node),
            epoch: self.epoch,
            recovery_targets: BTreeMap::new(),
        };
        context.engine_calls += 1;
        let result = self.registry.apply_assignment(&intent);
        match result.failed.first() {
            Some((_, failure)) => Err(assignment_refusal(*failure)),
            None => Ok(()),
        }
    }

    /// Forgets links whose engine session ended (a fence) and releases their pins.
    fn settle(&mut self) {
        let replicas: Vec<ReplicaId> = self.links.keys().copied().collect();
        for replica in replicas {
            let active = self
                .registry
                .sender(replica)
                .and_then(EngineSender::active_session_id);
            let ended = self
                .links
                .get(&replica)
                .is_some_and(|link| link.session.is_some() && link.session != active);
            if ended {
                if let Some(link) = self.links.remove(&replica) {
                    link.held.release(&mut self.storage);
                }
            }
        }
        let _ = self.registry.drain_events();
    }

    /// Keeps a catch-up's WAL pin (released at once under the `DropWalPins` test mutant).
    fn hold_wal(&mut self, pin: RetentionPin, context: &Context) -> Held {
        if context.keeps_wal_pins() {
            Held::Wal(pin)
        } else {
            pin.release(&mut self.storage);
            Held::Nothing
        }
    }

    fn link(&mut self, replica: ReplicaId, session: SessionId, held: Held) {
        if let Some(previous) = self.links.insert(
            replica,
            Link {
                session: Some(session),
                held,
            },
        ) {
            previous.held.release(&mut self.storage);
        }
    }

    fn release(&mut self, replica: ReplicaId) {
        if let Some(link) = self.links.remove(&replica) {
            link.held.release(&mut self.storage);
        }
    }

    fn session(&self, replica: ReplicaId) -> Option<SessionId> {
        self.links.get(&replica).and_then(|link| link.session)
    }

    fn sender(&mut self, replica: ReplicaId) -> Result<&mut EngineSender, Refusal> {
        self.registry.sender_mut(replica).ok_or_else(|| Refusal {
            call: "registry.sender",
            rule: "unknown_replica".to_string(),
            error: format!("no sender for {replica}"),
        })
    }

    fn history(&self, context: &mut Context) -> Result<RetainedHistory, Refusal> {
        context.call("storage.retained_history", self.storage.retained_history())
    }

    /// Time zero: the replica is in sync with an empty primary; a zero-gap handshake says so.
    fn bootstrap(
        &mut self,
        replica: ReplicaId,
        durable: &Slots,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let session = context.call(
            "registry.attach_session",
            self.registry
                .attach_session(replica, SessionKind::Bootstrap, None),
        )?;
        self.link(replica, session, Held::Nothing);
        self.handshake_connected(replica, session, durable, true, context)
    }

    /// A new model session: attach (or supersede) a catch-up session and connect it.
    fn open_catch_up(
        &mut self,
        replica: ReplicaId,
        kind: SessionKind,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        self.release(replica);
        let active = self
            .registry
            .sender(replica)
            .and_then(EngineSender::active_session_id);
        let session = match active {
            Some(_) => {
                context
                    .call(
                        "registry.supersede_session",
                        self.registry.supersede_session(
                            replica,
                            kind,
                            InvalidateReason::AssignmentIntent,
                            context.catch_up_budget(),
                        ),
                    )?
                    .session
            }
            None => context.call(
                "registry.attach_session",
                self.registry
                    .attach_session(replica, kind, context.catch_up_budget()),
            )?,
        };
        self.link(replica, session, Held::Nothing);
        let connected = self.sender(replica)?.begin_connect(session);
        context.call("sender.begin_connect", connected)
    }

    /// The probe reply: handshake the connected session by entry identity (D5) against retained
    /// history. `durable` is the replica's reported log through its flushed LSN.
    fn handshake(
        &mut self,
        replica: ReplicaId,
        durable: &Slots,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        self.handshake_connected(replica, session, durable, false, context)
    }

    fn handshake_connected(
        &mut self,
        replica: ReplicaId,
        session: SessionId,
        durable: &Slots,
        connect: bool,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let history = self.history(context)?;
        let replica_lineage = Lineage::from_entries(durable.entries())
            .map_err(|error| Refusal::of("replica.lineage", error))?;
        // A storage that installed a base without identity matches nothing (conservative).
        let primary_lineage = self.storage.lineage().cloned().unwrap_or_default();
        let tick = context.tick;
        let sender = self.sender(replica)?;
        if connect {
            context.call("sender.begin_connect", sender.begin_connect(session))?;
        }
        let report = context.call(
            "sender.record_handshake_by_identity",
            sender.record_handshake_by_identity(
                session,
                &replica_lineage,
                &primary_lineage,
                &history,
            ),
        )?;
        match report.outcome {
            RecoveryOutcome::ZeroGap => {
                context.call("sender.complete", sender.complete(session, tick))?;
            }
            RecoveryOutcome::NeedsRebuild => {}
            RecoveryOutcome::CatchUp => {
                // As the planner: a truncation only pins nothing; a gap pins the WAL after the
                // prefix the replica keeps.
                let held = match report.proof.reason {
                    ProofReason::GapWithinRetention { gap } => {
                        let pin = context.call(
                            "storage.pin_wal_retention",
                            self.storage.pin_wal_retention(gap.after),
                        )?;
                        self.hold_wal(pin, context)
                    }
                    _ => Held::Nothing,
                };
                self.link(replica, session, held);
                let begun = self.sender(replica)?.begin_catch_up(session, tick);
                context.call("sender.begin_catch_up", begun)?;
            }
        }
        Ok(())
    }

    /// A catch-up acknowledgement: the first chunk's truncation, then progress; the WAL pin
    /// follows the acknowledged LSN.
    fn progress(
        &mut self,
        replica: ReplicaId,
        truncated: Option<Lsn>,
        progress: Option<Lsn>,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        let tick = context.tick;
        if let Some(to) = truncated {
            let recorded = self.sender(replica)?.record_truncation(session, to);
            context.call("sender.record_truncation", recorded)?;
        }
        let Some(to) = progress else { return Ok(()) };
        let recorded = self
            .sender(replica)?
            .record_catch_up_progress(session, to, tick);
        context.call("sender.record_catch_up_progress", recorded)?;
        let has_pin = matches!(
            self.links.get(&replica),
            Some(Link {
                held: Held::Wal(_),
                ..
            })
        );
        if has_pin {
            let pin = context.call(
                "storage.pin_wal_retention",
                self.storage.pin_wal_retention(to),
            )?;
            let held = self.hold_wal(pin, context);
            self.link(replica, session, held);
        }
        Ok(())
    }

    fn complete(&mut self, replica: ReplicaId, context: &mut Context) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        let tick = context.tick;
        let completed = self.sender(replica)?.complete(session, tick);
        context.call("sender.complete", completed)?;
        self.release(replica);
        Ok(())
    }

    /// The model gave up on catch-up: the engine's budget check decides. A violation is the
    /// expected escalation, not a refusal.
    fn escalate(&mut self, replica: ReplicaId, context: &mut Context) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        let tick = context.tick;
        context.engine_calls += 1;
        match self.sender(replica)?.check_budget(session, tick) {
            Ok(()) | Err(swb_engine::error::SenderError::BudgetExceeded(_)) => Ok(()),
            Err(error) => Err(Refusal::of("sender.check_budget", error)),
        }
    }

    /// A further round toward the head (D23): a new catch-up session, connected and handshaken
    /// by identity with the replica's durable log as it stands.
    fn next_round(
        &mut self,
        replica: ReplicaId,
        durable: &Slots,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        self.confirm_outrun(replica, context);
        self.open_catch_up(replica, SessionKind::CatchUp, context)?;
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        self.handshake_connected(replica, session, durable, false, context)
    }

    /// Before the model's further round replaces the session: asks the engine, on a copy of the
    /// sender (the real one is untouched), whether the session was outrun — reached its frozen
    /// target while the head moved past it — and counts it when `abandon_outrun` accepts. This
    /// is the engine-side fact behind A5 (see `judge`): the point where V2's round budget ends
    /// the session and an old protocol chases on.
    fn confirm_outrun(&mut self, replica: ReplicaId, context: &mut Context) {
        let Some(session) = self.session(replica) else {
            return;
        };
        let head = self.storage.head();
        let Some(mut copy) = self.registry.sender(replica).cloned() else {
            return;
        };
        if copy.abandon_outrun(session, head).is_ok() {
            context.outruns_confirmed += 1;
        }
    }

    /// The model's round budget ran out: the session reached its frozen target while the head
    /// moved on (D23). The engine ends it only if that is really so (`abandon_outrun`).
    fn abandon_outrun(
        &mut self,
        replica: ReplicaId,
        head: Lsn,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        let abandoned = self.sender(replica)?.abandon_outrun(session, head);
        context.call("sender.abandon_outrun", abandoned)?;
        self.release(replica);
        Ok(())
    }

    /// The coordinator's rebuild intent: a rebuild session from an assignment, connected,
    /// handshaken over `(0, committed]`, its source chosen from retained history and pinned, and
    /// its transfer begun.
    fn open_rebuild(&mut self, replica: ReplicaId, context: &mut Context) -> Result<(), Refusal> {
        self.release(replica);
        let intent_replicas: Vec<ReplicaAssignment> = self
            .registry
            .senders()
            .map(|sender| ReplicaAssignment {
                replica: sender.replica(),
                endpoint: sender.endpoint().clone(),
            })
            .collect();
        let intent = AssignmentIntent {
            replicas: intent_replicas,
            epoch: self.epoch,
            recovery_targets: BTreeMap::from([(replica, SessionKind::Rebuild)]),
        };
        context.engine_calls += 1;
        let result = self.registry.apply_assignment(&intent);
        if let Some((_, failure)) = result.failed.first() {
            return Err(assignment_refusal(*failure));
        }
        let granted = result
            .created
            .iter()
            .map(|(_, session)| *session)
            .chain(
                result
                    .superseded
                    .iter()
                    .map(|(_, supersession)| supersession.session),
            )
            .next();
        let Some(session) = granted else {
            return Err(Refusal {
                call: "registry.apply_assignment",
                rule: "no_session_granted".to_string(),
                error: format!("the rebuild intent for {replica} granted no session"),
            });
        };
        self.link(replica, session, Held::Nothing);
        let history = self.history(context)?;
        let target = history.committed();
        let sender = self.sender(replica)?;
        context.call("sender.begin_connect", sender.begin_connect(session))?;
        context.call(
            "sender.record_handshake",
            sender.record_handshake(session, LsnRange::new(Lsn::ZERO, target)),
        )?;
        let source = context.call(
            "sender.select_rebuild_from_history",
            sender.select_rebuild_from_history(session, &history),
        )?;
        let held = match source {
            RebuildSource::SnapshotTail { snapshot } => {
                let snapshot_pin =
                    context.call("storage.pin_snapshot", self.storage.pin_snapshot(snapshot))?;
                match self.storage.pin_wal_retention(snapshot) {
                    Ok(tail) => Held::SnapshotTail {
                        snapshot: snapshot_pin,
                        tail,
                    },
                    Err(error) => {
                        snapshot_pin.release(&mut self.storage);
                        return Err(context
                            .call::<(), _>("storage.pin_wal_retention", Err(error))
                            .unwrap_err());
                    }
                }
            }
            RebuildSource::FullBase(_) => Held::FullBase(
                context.call("storage.pin_full_base", self.storage.pin_full_base(target))?,
            ),
        };
        self.link(replica, session, held);
        let begun = self.sender(replica)?.begin_rebuild_transfer(session);
        context.call("sender.begin_rebuild_transfer", begun)
    }

    /// The rebuild acknowledgement: the base (and its tail) reached `through`. With
    /// `outrun_by`, the primary's head had moved past the rebuild's target and the model gives
    /// up on the round instead of completing (D23).
    fn complete_rebuild(
        &mut self,
        replica: ReplicaId,
        through: Lsn,
        outrun_by: Option<Lsn>,
        context: &mut Context,
    ) -> Result<(), Refusal> {
        let Some(session) = self.session(replica) else {
            return Ok(());
        };
        let sender = self.sender(replica)?;
        let source = sender
            .active_session()
            .and_then(|active| active.rebuild())
            .and_then(|rebuild| rebuild.source());
        match source {
            Some(RebuildSource::SnapshotTail { snapshot }) => {
                context.call(
                    "sender.record_rebuild_transfer_progress",
                    sender.record_rebuild_transfer_progress(session, snapshot),
                )?;
                context.call(
                    "sender.begin_rebuild_tail_replay",
                    sender.begin_rebuild_tail_replay(session),
                )?;
                if through > snapshot {
                    context.call(
                        "sender.record_rebuild_tail_progress",
                        sender.record_rebuild_tail_progress(session, through),
                    )?;
                }
            }
            Some(RebuildSource::FullBase(_)) => {
                if through > Lsn::ZERO {
                    context.call(
                        "sender.record_rebuild_transfer_progress",
                        sender.record_rebuild_transfer_progress(session, through),
                    )?;
                }
            }
            None => return Ok(()),
        }
        let sender = self.sender(replica)?;
        match outrun_by {
            Some(head) => {
                context.call(
                    "sender.abandon_outrun",
                    sender.abandon_outrun(session, head),
                )?;
            }
            None => {
                context.call("sender.complete_rebuild", sender.complete_rebuild(session))?;
            }
        }
        self.release(replica);
        Ok(())
    }

    /// Mirrors the primary's WAL into the storage adapter (step 3 of the module documentation).
    fn sync_storage(&mut self, node: &NodeState, context: &mut Context) -> Result<(), Refusal> {
        let wal = node.disk.wal;
        let storage = &mut self.storage;
        if wal.received() < storage.head() {
            context.call("storage.truncate", storage.truncate(wal.received()))?;
        }
        mirror_progress(storage, node, context)?;
        if wal.checkpoint() > checkpoint_lsn(storage) {
            context.engine_calls += 1;
            match storage.checkpoint_at(wal.checkpoint(), CheckpointTrust::Trusted) {
                Ok(()) => {}
                Err(swb_engine::error::StorageError::SnapshotPinned { .. }) => {
                    context.storage_deferrals += 1
                }
                Err(error) => return Err(Refusal::of("storage.checkpoint_at", error)),
            }
        }
        let recycle_through = wal.recycled_through().min(checkpoint_lsn(storage));
        if recycle_through > storage.recycled_through() {
            context.engine_calls += 1;
            match storage.advance_tail(recycle_through) {
                Ok(()) => {}
                Err(swb_engine::error::StorageError::TailPinned { .. }) => {
                    context.storage_deferrals += 1
                }
                Err(error) => return Err(Refusal::of("storage.advance_tail", error)),
            }
        }
        if wal.recycled_through() > recycle_through {
            context.storage_deferrals += 1;
        }
        Ok(())
    }
}

fn assignment_refusal(failure: AssignmentFailure) -> Refusal {
    Refusal {
        call: "registry.apply_assignment",
        rule: rule_name(&format!("{failure:?}")),
        error: format!("{failure}: {failure:?}"),
    }
}

/// Appends the primary's entries above the storage head, each with its writer epoch.
fn append_through(
    storage: &mut InMemoryStorage,
    node: &NodeState,
    context: &mut Context,
) -> Result<(), Refusal> {
    let wal = node.disk.wal;
    let mut lsn = storage.head().next();
    while lsn <= wal.received() {
        let Some(epoch) = wal.epoch_at(lsn) else {
            return Err(Refusal {
                call: "storage.append",
                rule: "primary_log_has_hole".to_string(),
                error: format!("the primary holds no entry at {lsn}"),
            });
        };
        context.engine_calls += 1;
        storage.append(epoch, lsn.get());
        lsn = lsn.next();
    }
    Ok(())
}

/// Brings the storage up to the primary's received, flushed and committed (recovery boundary)
/// LSNs, in the order the storage accepts them: it flushes only what it holds and commits only
/// what it flushed. A mark is raised only where the primary is ahead of it, so a mark that did
/// not move costs no engine call.
fn mirror_progress(
    storage: &mut InMemoryStorage,
    node: &NodeState,
    context: &mut Context,
) -> Result<(), Refusal> {
    let wal = node.disk.wal;
    append_through(storage, node, context)?;
    if wal.flushed() > storage.flushed() {
        context.call("storage.flush", storage.flush(wal.flushed()))?;
    }
    let committed = recovery_boundary(node);
    if committed > storage.committed() {
        context.call("storage.commit", storage.commit(committed))?;
    }
    Ok(())
}

/// The LSN of the storage's latest checkpoint; zero before the first.
fn checkpoint_lsn(storage: &InMemoryStorage) -> Lsn {
    storage
        .checkpoint()
        .map_or(Lsn::ZERO, |checkpoint| checkpoint.lsn)
}

/// The storage of a new incarnation, flushed, committed and checkpointed as the model has it.
/// When the model still knows the writer epoch of every recycled entry (it keeps them as
/// slots), the whole log is appended and then recycled, so the storage's lineage covers it
/// (D5); otherwise the retained WAL goes over a base at the recycle point, whose identity is
/// unknown.
fn storage_of(node: &NodeState, context: &mut Context) -> Result<InMemoryStorage, Refusal> {
    let wal = node.disk.wal;
    let mut storage = InMemoryStorage::new();
    let recycled = wal.recycled_through();
    // `lsns` stops at the WAL's capacity: every recycled LSN must be one of its slots.
    let identity_known = swb_model::wal::lsns(Lsn::ZERO, recycled).count() as u64 == recycled.get()
        && swb_model::wal::lsns(Lsn::ZERO, recycled).all(|lsn| wal.epoch_at(lsn).is_some());
    if !identity_known {
        context.engine_calls += 1;
        storage.install_base(recycled);
    }
    mirror_progress(&mut storage, node, context)?;
    if wal.checkpoint() > checkpoint_lsn(&storage) {
        context.call(
            "storage.checkpoint_at",
            storage.checkpoint_at(wal.checkpoint(), CheckpointTrust::Trusted),
        )?;
    }
    if recycled > storage.recycled_through() {
        context.call("storage.advance_tail", storage.advance_tail(recycled))?;
    }
    Ok(storage)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: a refusal names the innermost variant of the engine error, in snake_case.
    #[test]
    fn rule_name_peels_wrapper_variants() {
        let rows = [
            ("Sender(Authority(StaleSession { presented: SessionId(3), current: SessionId(4) }))", "stale_session"),
            ("Sender(TruncationNotRequired)", "truncation_not_required"),
            ("Authority(Inactive { session: SessionId(1), phase: Invalidated(EndpointChanged) })", "inactive"),
            ("TailPinned { requested: Lsn(3), pinned_after: Lsn(1) }", "tail_pinned"),
            ("StaleEpoch { intent: Epoch(1), sender: Epoch(2) }", "stale_epoch"),
        ];
        for (debug, expected) in rows {
            assert_eq!(rule_name(debug), expected, "{debug}");
        }
    }
}
