//! The derivation: a model path → its engine step log ([`super::steps`]). It reads model states
//! only, never an engine, so the log is an exam any implementation can sit.
//!
//! Engine calls are derived from the difference between consecutive model states (plus the
//! action, for the values a message carries: the replica's durable log in a probe reply, the
//! LSN a catch-up or rebuild acknowledgement reports). Per step:
//!
//! 1. **Incarnations.** A node that serves (role primary, not crashed) has one incarnation: an
//!    engine registry and a storage built from its WAL (`start_primary`). It ends when the node
//!    steps down or crashes (`end_primary`), or takes office again: a serving node's epoch
//!    never rises and its log never shrinks except by taking office anew (D86, D87), which
//!    builds a fresh primary state, so either starts a new incarnation. At time zero the first
//!    primary's replicas are in sync: each is bootstrapped with a zero-gap handshake at its
//!    flushed LSN.
//! 2. **Endpoints.** A changed endpoint (`Reassign`) is an assignment with the new endpoint. It
//!    ends the session it fences, and its pins are released.
//! 3. **Storage.** The primary's WAL is mirrored: appends, flush, commit (the recovery boundary:
//!    the primary's head, decision D23, see [`recovery_boundary`]), checkpoint (trusted) and
//!    recycling; it only grows while the incarnation lasts (D87). The storage refuses to move
//!    the checkpoint under a snapshot pin (`snapshot_pinned`) or to recycle past a WAL pin
//!    (`tail_pinned`); the log expects exactly those refusals (the derivation knows every pin)
//!    and retries on the next step: the engine keeps more history than the model, which is
//!    safe.
//! 4. **Senders**, per replica, by (phase before, phase after):
//!    - a new model session (`Connecting`) → attach (or supersede) a catch-up session with the
//!      log's budget, then `connect`;
//!    - `Connecting` → anything (the probe reply) → `handshake` by identity with the replica's
//!      durable log, expecting the outcome the model reached; zero gap → `complete`; catch-up →
//!      `pin_wal` after the prefix the replica keeps (none for a truncation only, as the planner
//!      does) and `begin_catch_up`;
//!    - a catch-up acknowledgement → `record_truncation` (first chunk) and `catch_up_progress`;
//!      the WAL pin moves up to the acknowledged LSN, as the model's reservation does; reaching
//!      the live stream → `complete`; a new round (the head moved during the last one) →
//!      `confirm_outrun`, then a new session (`supersede_session`), connected and handshaken
//!      toward the head of that moment (D23: the engine never moves a frozen target);
//!    - an escalation by timeout → the clock jumps past the stall budget and `check_budget`
//!      must refuse `budget_exceeded`; the round budget (the head moved past the round's frozen
//!      target) → `abandon_outrun` with the primary's head; any other escalation →
//!      `check_budget` at the current tick, answer observed (the view decides);
//!    - a rebuild intent → an assignment granting a rebuild session, `connect`,
//!      `handshake_range((0, committed])`, `select_rebuild_source` (expecting the model's base),
//!      pins for it (snapshot + WAL after it, or a full base), `begin_rebuild_transfer`;
//!    - a rebuild acknowledgement → transfer progress, tail replay, `complete_rebuild` (or
//!      `abandon_outrun` when the model's round budget escalates because the head moved).
//!
//! 5. **Boundaries and observations** (D95..D97): after each catch-up start or progress the
//!    budget is probed at its edges on a copy (`probe_budget`: a tick before the last progress
//!    is `tick_regressed`, exactly the budget holds, one tick more is `budget_exceeded`); before
//!    a session that reached its target completes or is given up, an outrun claim at the target
//!    is refused (`not_outrun`); at the end of the step the engine reports the recovery events
//!    each accepted call recorded (`read_events`), the storage's marks (`read_storage`) and, after
//!    an assignment, the senders it added and removed (`read_assignment`).
//!
//! An action whose state change has no engine counterpart (a write the primary has not yet
//! logged, a re-sent request, an unknown action) derives no call: only state differences count.
//!
//! Decisions a reviewer will question:
//! - The log drives the registry and the senders directly rather than a recovery driver: the
//!   model connects (sends its probe) in one step and handshakes when the reply arrives.
//! - Catch-up sessions are attached with a budget, not through the assignment's recovery
//!   targets: an assignment attaches sessions without a budget (engine.md §6.8... `docs/engine.md`
//!   §13), and a session without a budget can never escalate, which the model's timeouts need.
//! - Ticks: one per model step; a catch-up timeout advances the clock by more than the stall
//!   budget, the model's "the replica was slow".

use stateright::actor::{ActorModelAction, Id};
use std::collections::BTreeMap;
use swb_engine::types::{Epoch, Lsn, SessionId};
use swb_model::msg::{Msg, RebuildSource as ModelRebuildSource};
use swb_model::node::{EscalationReason, NodeState, NodeTimer, Sender as ModelSender, SenderPhase};
use swb_model::system::{node_of, nodes_of, SwbTimer};
use swb_model::trace::describe_action;
use swb_model::wal::Slots;
use swb_model::{Action, State};

use super::steps::{
    self, Assigned, Budget, Call, Entry, Expect, ExpectedView, Handle, HandshakeOutcome, Header,
    Kind, ModelStep, Op, PinHandle, RebuildSource, RefusalClass, Resend, StepLog, StorageState,
    Target,
};
use super::view::{model_view, StepView};

/// The stall budget of every catch-up session the log attaches, in ticks. No model step takes
/// this long; a catch-up timeout jumps the clock past it.
pub const STALL_TICKS_MAX: u64 = 1_000_000;

/// A deliberately broken mapping (tests only): each drops one engine-side guarantee that the
/// engine's observable fields do not show, so the replay still conforms and only the
/// engine-side judgement ([`super::judge`]) can catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingMutant {
    /// Every WAL pin a catch-up takes is released at once (breaks the retention pin, A6).
    DropWalPins,
    /// Catch-up sessions are attached without a budget (breaks A5's escalation).
    NoCatchUpBudget,
}

/// The step log of `states` (the initial state first) reached by `actions`.
///
/// Invariant: `states.len() == actions.len() + 1`.
pub fn derive(
    source: &str,
    protocol: &str,
    states: &[State],
    actions: &[Action],
    mutant: Option<MappingMutant>,
) -> StepLog {
    assert_eq!(
        states.len(),
        actions.len() + 1,
        "a path has one more state than actions"
    );
    let mut derivation = Derivation {
        mutant,
        ..Derivation::default()
    };
    let mut log = Vec::with_capacity(states.len());
    log.push(derivation.start(&states[0]));
    for (index, action) in actions.iter().enumerate() {
        log.push(derivation.step(index + 1, &states[index], action, &states[index + 1]));
    }
    StepLog {
        header: Header {
            format: steps::FORMAT.to_string(),
            source: source.to_string(),
            protocol: protocol.to_string(),
            stall_ticks_max: STALL_TICKS_MAX,
            expected_differences: steps::expected_differences(),
        },
        steps: log,
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

/// The views of `state` as the log carries them.
fn expected_views(state: &State) -> Vec<ExpectedView> {
    model_views(state)
        .into_iter()
        .map(|((primary, replica), view)| {
            let [state, session, epoch, endpoint, recovered_to, target, truncation, rebuild] =
                view.fields().map(|field| field.value);
            ExpectedView {
                primary,
                replica,
                state,
                session,
                epoch,
                endpoint,
                recovered_to,
                target,
                truncation,
                rebuild,
            }
        })
        .collect()
}

/// The recovery boundary given to the engine's storage as its committed LSN (the
/// `CommittedLSN` input of PROTOCOL.md §6.5/§6.10): the primary's head, which the engine freezes
/// at the handshake as the target of every session it opens (decision D23 of `docs/design.md`).
///
/// Why the head and not the primary's confirmed committed LSN C: the model has one replication
/// line. Entries above C reach a recovering replica only through its recovery session, so the
/// boundary a recovery must reach before the replica rejoins is the head frozen at the
/// handshake (the model's W2 "freeze target H0"). With C instead, the engine would declare a
/// replica in sync that lacks entries nobody will ever send it.
fn recovery_boundary(node: &NodeState) -> Lsn {
    node.disk.wal.received()
}

/// A pin the derivation knows the storage holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pinned {
    Wal { after: Lsn },
    Snapshot,
    FullBase,
}

/// What the log has made of one primary's storage so far (only accepted calls count).
#[derive(Debug, Default)]
struct StorageShadow {
    head: Lsn,
    flushed: Lsn,
    committed: Lsn,
    checkpoint: Lsn,
    recycled_through: Lsn,
    pins: BTreeMap<PinHandle, Pinned>,
}

impl StorageShadow {
    /// Why the model's full base is one, read from the marks the log gave the storage (§7.6, in
    /// the order the rules apply): nothing committed, no checkpoint, a checkpoint beyond
    /// committed, or a WAL after it no longer retained. The model's checkpoints are trusted.
    fn full_base_reason(&self) -> steps::FullBaseReason {
        if self.committed == Lsn::ZERO {
            steps::FullBaseReason::NothingCommitted
        } else if self.checkpoint == Lsn::ZERO {
            steps::FullBaseReason::NoCheckpoint
        } else if self.checkpoint > self.committed {
            steps::FullBaseReason::CheckpointBeyondCommitted
        } else {
            steps::FullBaseReason::TailNotReplayable
        }
    }

    fn lowest_wal_pin(&self) -> Option<Lsn> {
        self.pins
            .values()
            .filter_map(|pin| match pin {
                Pinned::Wal { after } => Some(*after),
                _ => None,
            })
            .min()
    }

    fn has_snapshot_pin(&self) -> bool {
        self.pins.values().any(|pin| *pin == Pinned::Snapshot)
    }
}

/// The engine session standing for the model's current session of one replica, and its pins.
#[derive(Debug)]
struct Link {
    handle: Handle,
    /// False once the engine ended the session on its own (escalation, needs-rebuild
    /// handshake): no further call goes to it, its pins are released at the end of the step.
    alive: bool,
    pins: Vec<PinHandle>,
    /// The rebuild base chosen, for a rebuild session.
    source: Option<RebuildSource>,
    /// The session's target once the log has fixed it (a catch-up's frozen target, a
    /// rebuild's range end): an outrun claim at it must be refused (D95).
    target: Option<Lsn>,
    /// The tick of the catch-up's last progress (its start until the first report): the
    /// budget's edges are measured from it (D95).
    progress_tick: Option<u64>,
}

/// One primary incarnation as the log has built it.
#[derive(Debug)]
struct Shadow {
    epoch: Epoch,
    storage: StorageShadow,
    /// The endpoint version of every replica the engine knows.
    endpoints: BTreeMap<u8, u64>,
    links: BTreeMap<u8, Link>,
    /// The last session attached to each replica's sender (it stays its latest after it ends).
    latest: BTreeMap<u8, Handle>,
    /// The last handle opened for each (replica, model session): where a message naming that
    /// model session goes.
    model_sessions: BTreeMap<(u8, SessionId), Handle>,
}

/// The derivation's state across a path.
#[derive(Debug, Default)]
struct Derivation {
    tick: u64,
    primaries: BTreeMap<u8, Shadow>,
    handles: Handle,
    pin_handles: PinHandle,
    calls: Vec<Call>,
    mutant: Option<MappingMutant>,
    /// Messages already offered to an engine as fenced: (primary, sender, message).
    offered: std::collections::BTreeSet<(u8, u8, Msg)>,
}

fn node_index(node: Id) -> u8 {
    usize::from(node) as u8
}

/// The nodes that serve in `state`: role primary and not crashed.
pub(super) fn serving(state: &State) -> Vec<(Id, &NodeState)> {
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

/// The replica whose recovery deadline (handshake, catch-up chunk, rebuild) the step fires on
/// primary `id`, if it is one.
fn expired_deadline(action: &Action, id: Id) -> Option<Id> {
    match action {
        Action::Actor(ActorModelAction::Timeout(
            node,
            SwbTimer::Node(
                NodeTimer::HandshakeDeadline(replica)
                | NodeTimer::CatchUpChunkDeadline(replica)
                | NodeTimer::RebuildDeadline(replica),
            ),
        )) if *node == id => Some(*replica),
        _ => None,
    }
}

/// True when the step put one more message from `src` to `dst` in flight.
fn resent(before: &State, after: &State, src: Id, dst: Id) -> bool {
    let count = |state: &State| {
        state
            .network
            .iter_all()
            .filter(|envelope| envelope.src == src && envelope.dst == dst)
            .count()
    };
    count(after) > count(before)
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

/// The replica's durable log: every entry through its flushed LSN.
fn durable_of(state: &State, replica: Id) -> Slots {
    let wal = node_of(state, replica).disk.wal;
    wal.slots().range(Lsn::ZERO, wal.flushed())
}

fn entries_of(durable: &Slots) -> Vec<Entry> {
    durable
        .entries()
        .map(|(lsn, epoch)| Entry {
            lsn: lsn.get(),
            epoch: epoch.get(),
        })
        .collect()
}

impl Derivation {
    fn budget(&self) -> Option<Budget> {
        (self.mutant != Some(MappingMutant::NoCatchUpBudget)).then_some(Budget {
            stall_ticks_max: STALL_TICKS_MAX,
        })
    }

    fn call(&mut self, primary: u8, op: Op) {
        self.calls.push(Call {
            primary,
            op,
            expect: Expect::Accept,
        });
    }

    fn call_expecting(&mut self, primary: u8, op: Op, expect: Expect) {
        self.calls.push(Call {
            primary,
            op,
            expect,
        });
    }

    fn finish(&mut self, step: usize, action: String, state: &State) -> ModelStep {
        self.read_events();
        self.read_storage();
        ModelStep {
            step,
            action,
            tick: self.tick,
            calls: std::mem::take(&mut self.calls),
            views: expected_views(state),
        }
    }

    /// Step 0: an incarnation for every serving node of `init`.
    fn start(&mut self, init: &State) -> ModelStep {
        for (id, node) in serving(init) {
            self.start_primary(id, node, init);
        }
        self.finish(0, "initial state".to_string(), init)
    }

    /// One model step `before --action--> after`.
    fn step(&mut self, index: usize, before: &State, action: &Action, after: &State) -> ModelStep {
        self.tick += 1;
        if is_catch_up_timeout(action) {
            self.tick += STALL_TICKS_MAX + 1;
        }
        let serving_after = serving(after);
        let ended: Vec<u8> = self
            .primaries
            .iter()
            .filter(|(index, shadow)| {
                !serving_after.iter().any(|(id, node)| {
                    node_index(*id) == **index && !took_office_again(shadow, node)
                })
            })
            .map(|(index, _)| *index)
            .collect();
        for primary in ended {
            self.end_primary(primary);
        }
        for (id, node) in serving_after {
            if self.primaries.contains_key(&node_index(id)) {
                self.step_primary(id, before, action, after);
            } else {
                self.start_primary(id, node, after);
            }
        }
        self.finish(index, describe_action(action), after)
    }

    fn shadow(&mut self, primary: u8) -> &mut Shadow {
        self.primaries
            .get_mut(&primary)
            .expect("a call goes to a serving primary")
    }

    fn new_handle(&mut self) -> Handle {
        self.handles += 1;
        self.handles
    }

    /// A new incarnation of `id` as it serves in `state`: storage from its WAL, one sender per
    /// replica, and each replica's session as the model has it.
    fn start_primary(&mut self, id: Id, node: &NodeState, state: &State) {
        let primary = node_index(id);
        self.primaries.insert(
            primary,
            Shadow {
                epoch: node.disk.epoch,
                storage: StorageShadow::default(),
                endpoints: BTreeMap::new(),
                links: BTreeMap::new(),
                latest: BTreeMap::new(),
                model_sessions: BTreeMap::new(),
            },
        );
        self.call(
            primary,
            Op::StartPrimary {
                epoch: node.disk.epoch.get(),
            },
        );
        self.storage_of(primary, node);
        self.assign(primary, node);
        for (replica, sender) in senders_of(node) {
            let replica = node_index(replica);
            match sender.phase {
                SenderPhase::InSync { .. } => {
                    let durable = durable_of(state, Id::from(usize::from(replica)));
                    self.bootstrap(primary, replica, &durable);
                }
                SenderPhase::Connecting { session } => {
                    self.open_catch_up(primary, replica, Kind::CatchUp, session)
                }
                _ => {}
            }
        }
        self.settle(primary);
    }

    /// The storage of a new incarnation, flushed, committed and checkpointed as the model has
    /// it: the whole log is appended and then recycled, so the storage's lineage covers it (D5).
    /// The model knows the writer epoch of every entry a node holds, recycled or not (D85); a
    /// log with a hole (only a mutant leaves one) appends up to the hole, and the engine then
    /// refuses the flush or recycle above it.
    fn storage_of(&mut self, primary: u8, node: &NodeState) {
        let wal = node.disk.wal;
        let recycled = wal.recycled_through();
        self.mirror_progress(primary, node);
        let storage = &self.shadow(primary).storage;
        if wal.checkpoint() > storage.checkpoint {
            self.shadow(primary).storage.checkpoint = wal.checkpoint();
            self.call(
                primary,
                Op::Checkpoint {
                    at: wal.checkpoint().get(),
                },
            );
        }
        if recycled > self.shadow(primary).storage.recycled_through {
            self.shadow(primary).storage.recycled_through = recycled;
            self.call(
                primary,
                Op::Recycle {
                    through: recycled.get(),
                },
            );
        }
    }

    /// Appends the primary's entries above the storage head, then raises flushed and the
    /// recovery boundary where the primary is ahead (the storage flushes only what it holds and
    /// commits only what it flushed). A mark that did not move costs no call.
    fn mirror_progress(&mut self, primary: u8, node: &NodeState) {
        let wal = node.disk.wal;
        let mut lsn = self.shadow(primary).storage.head.next();
        while lsn <= wal.received() {
            // A hole in the primary's log appends nothing more: the flush below then refuses.
            let Some(epoch) = wal.epoch_at(lsn) else {
                break;
            };
            self.shadow(primary).storage.head = lsn;
            self.call(
                primary,
                Op::Append {
                    lsn: lsn.get(),
                    epoch: epoch.get(),
                },
            );
            lsn = lsn.next();
        }
        if wal.flushed() > self.shadow(primary).storage.flushed {
            self.shadow(primary).storage.flushed = wal.flushed();
            self.call(
                primary,
                Op::Flush {
                    through: wal.flushed().get(),
                },
            );
        }
        let committed = recovery_boundary(node);
        if committed > self.shadow(primary).storage.committed {
            self.shadow(primary).storage.committed = committed;
            self.call(
                primary,
                Op::Commit {
                    through: committed.get(),
                },
            );
        }
    }

    /// Mirrors the primary's WAL into the storage (step 3 of the module documentation).
    fn sync_storage(&mut self, primary: u8, node: &NodeState) {
        let wal = node.disk.wal;
        self.mirror_progress(primary, node);
        if wal.checkpoint() > self.shadow(primary).storage.checkpoint {
            let op = Op::Checkpoint {
                at: wal.checkpoint().get(),
            };
            if self.shadow(primary).storage.has_snapshot_pin() {
                let class = RefusalClass::SnapshotPinned;
                self.call_expecting(primary, op, Expect::Refuse { class });
            } else {
                self.shadow(primary).storage.checkpoint = wal.checkpoint();
                self.call(primary, op);
            }
        }
        let storage = &self.shadow(primary).storage;
        let recycle_through = wal.recycled_through().min(storage.checkpoint);
        if recycle_through > storage.recycled_through {
            let op = Op::Recycle {
                through: recycle_through.get(),
            };
            if storage
                .lowest_wal_pin()
                .is_some_and(|after| recycle_through > after)
            {
                let class = RefusalClass::TailPinned;
                self.call_expecting(primary, op, Expect::Refuse { class });
            } else {
                self.shadow(primary).storage.recycled_through = recycle_through;
                self.call(primary, op);
            }
        }
    }

    /// The incarnation ends: every sender stops, every pin is released.
    fn end_primary(&mut self, primary: u8) {
        self.call(primary, Op::EndPrimary);
        self.primaries.remove(&primary);
    }

    fn step_primary(&mut self, id: Id, before: &State, action: &Action, after: &State) {
        let primary = node_index(id);
        let node = node_of(after, id);
        let shadow = self.shadow(primary);
        let moved = senders_of(node).iter().any(|(replica, sender)| {
            shadow
                .endpoints
                .get(&node_index(*replica))
                .is_some_and(|version| *version != sender.endpoint.get())
        });
        if moved {
            self.assign(primary, node);
        }
        self.settle(primary);
        self.sync_storage(primary, node);
        if let Action::Actor(ActorModelAction::Deliver { src, dst, msg }) = action {
            if *dst == id {
                self.offer_if_fenced(primary, node_index(*src), msg);
            }
        }
        let before_node = node_of(before, id);
        let before_senders: BTreeMap<Id, ModelSender> = if before_node.primary().is_none() {
            BTreeMap::new()
        } else {
            senders_of(before_node).into_iter().collect()
        };
        let head = node.disk.wal.received();
        for (replica, sender) in senders_of(node) {
            let durable = durable_of(after, replica);
            let change = Change {
                before: before_senders.get(&replica).copied(),
                after: sender,
                from_replica: delivered(action, replica, id),
                reassigned: matches!(
                    delivered(action, swb_model::coordinator_id(), id),
                    Some(Msg::Reassign { replica: target, .. }) if *target == replica
                ),
                head,
                durable,
            };
            self.transition(primary, node_index(replica), change);
        }
        if let Some(replica) = expired_deadline(action, id) {
            if let Some(sender) = node.primary().and_then(|office| office.sender(replica)) {
                self.expire_deadline(primary, replica, sender, resent(before, after, id, replica));
            }
        }
        self.settle(primary);
        self.offer_in_flight(id, before, action, after);
    }

    /// A recovery deadline of the primary fired and the model sent the awaited request to
    /// `replica` again (D41): the engine's live session must name the same request and change
    /// nothing (D90). A deadline whose request the model could not send (a chunk no longer
    /// retained) changed nothing and derives nothing.
    fn expire_deadline(&mut self, primary: u8, replica: Id, sender: ModelSender, resent: bool) {
        let replica = node_index(replica);
        let Some(handle) = self.live(primary, replica).filter(|_| resent) else {
            return;
        };
        let expect_resend = match sender.phase {
            SenderPhase::Connecting { .. } => Resend::Probe,
            SenderPhase::CatchingUp(catch_up) => Resend::CatchUp {
                after: catch_up.progress.get(),
                truncate_to: catch_up.truncate.then_some(catch_up.progress.get()),
            },
            SenderPhase::Rebuilding { .. } => match self.shadow(primary).links.get(&replica) {
                Some(Link {
                    source: Some(base), ..
                }) => Resend::Rebuild { base: *base },
                _ => return,
            },
            _ => return,
        };
        self.call(
            primary,
            Op::ExpireDeadline {
                replica,
                handle,
                expect_resend,
            },
        );
    }

    /// Negative conformance for traffic the model never delivers: a message to this primary
    /// that is in flight before or after the step (the delivered one excepted) is offered to
    /// the engine once, when its delivery would be fenced ([`Derivation::offer_if_fenced`]).
    /// The model prunes a delivery that changes nothing and discards traffic a newer epoch
    /// fences (D35), so this is where such messages meet the engine.
    fn offer_in_flight(&mut self, id: Id, before: &State, action: &Action, after: &State) {
        let delivered = match action {
            Action::Actor(ActorModelAction::Deliver { src, dst, msg }) => Some((*src, *dst, msg)),
            _ => None,
        };
        let mut in_flight: Vec<(Id, &Msg)> = Vec::new();
        let mut skipped_delivered = false;
        for envelope in before.network.iter_all() {
            if !skipped_delivered && delivered == Some((envelope.src, envelope.dst, envelope.msg)) {
                skipped_delivered = true;
                continue;
            }
            if envelope.dst == id {
                in_flight.push((envelope.src, envelope.msg));
            }
        }
        for envelope in after.network.iter_all() {
            if envelope.dst == id {
                in_flight.push((envelope.src, envelope.msg));
            }
        }
        in_flight.sort();
        in_flight.dedup();
        for (src, msg) in in_flight {
            self.offer_if_fenced(node_index(id), node_index(src), msg);
        }
    }

    /// Negative conformance: a message from `src` to this primary that the engine has a
    /// counterpart for, and whose delivery the model fences, becomes the engine call it stands
    /// for, expected refused with its class (once per message):
    /// - a replica's probe reply, catch-up or rebuild acknowledgement naming a model session
    ///   whose engine session is no longer live (superseded, completed, or invalidated by an
    ///   epoch bump, an endpoint change or an escalation) → the call on that session's handle,
    ///   refused `inactive` when it is still the sender's latest session, `stale_session` when a
    ///   newer one was attached;
    /// - the coordinator's recovery intent (`Reassign`) at an epoch older than the primary's →
    ///   an assignment with that target at that epoch, refused `stale_epoch`.
    ///
    /// Messages naming a session this incarnation never opened (an earlier primary's) have no
    /// counterpart in this engine and derive nothing.
    fn offer_if_fenced(&mut self, primary: u8, src: u8, msg: &Msg) {
        let key = (primary, src, *msg);
        if self.offered.contains(&key) {
            return;
        }
        let replica = src;
        let session = match msg {
            Msg::ProbeReply { session, .. }
            | Msg::CatchUpAck { session, .. }
            | Msg::RebuildAck { session, .. } => *session,
            Msg::Reassign {
                epoch,
                replica: target,
                endpoint,
                kind,
            } if *epoch < self.shadow(primary).epoch => {
                self.offered.insert(key);
                return self.stale_intent(
                    primary,
                    node_index(*target),
                    *epoch,
                    endpoint.get(),
                    *kind,
                );
            }
            _ => return,
        };
        let shadow = self.shadow(primary);
        let Some(&handle) = shadow.model_sessions.get(&(replica, session)) else {
            return;
        };
        if shadow
            .links
            .get(&replica)
            .is_some_and(|link| link.alive && link.handle == handle)
        {
            return;
        }
        let class = if shadow.latest.get(&replica) == Some(&handle) {
            RefusalClass::Inactive
        } else {
            RefusalClass::StaleSession
        };
        let op = match msg {
            Msg::ProbeReply { entries, .. } => Op::Handshake {
                replica,
                handle,
                log: entries_of(entries),
                expect_outcome: HandshakeOutcome::NeedsRebuild,
                expect_reason: steps::ProofReason::GapBeyondRetention,
            },
            Msg::CatchUpAck { through, .. } => Op::CatchUpProgress {
                replica,
                handle,
                through: through.get(),
            },
            Msg::RebuildAck { through, .. } => Op::RebuildTransferProgress {
                replica,
                handle,
                through: through.get(),
            },
            _ => return,
        };
        self.offered.insert(key);
        self.call_expecting(primary, op, Expect::Refuse { class });
    }

    /// A recovery intent older than the primary's epoch, for a replica the engine has a sender
    /// for: refused `stale_epoch`, changing nothing.
    fn stale_intent(
        &mut self,
        primary: u8,
        replica: u8,
        epoch: Epoch,
        endpoint: u64,
        kind: swb_model::msg::SessionKind,
    ) {
        let shadow = self.shadow(primary);
        if !shadow.endpoints.contains_key(&replica) {
            return;
        }
        let replicas = shadow
            .endpoints
            .iter()
            .map(|(assigned, current)| Assigned {
                replica: *assigned,
                endpoint: if *assigned == replica {
                    endpoint
                } else {
                    *current
                },
            })
            .collect();
        let kind = match kind {
            swb_model::msg::SessionKind::Rebuild => Kind::Rebuild,
            _ => Kind::Reassign,
        };
        let handle = self.new_handle();
        let class = RefusalClass::StaleEpoch;
        self.call_expecting(
            primary,
            Op::Assign {
                epoch: epoch.get(),
                replicas,
                target: Some(Target {
                    replica,
                    kind,
                    handle,
                }),
            },
            Expect::Refuse { class },
        );
    }

    /// One replica's calls for the model's `before → after` sender change.
    fn transition(&mut self, primary: u8, replica: u8, change: Change<'_>) {
        let Change {
            before,
            after,
            from_replica,
            reassigned,
            head,
            durable,
        } = change;
        match (before.map(|sender| sender.phase), after.phase) {
            (_, SenderPhase::Connecting { session })
                if before.and_then(|sender| sender.session()) != Some(session) =>
            {
                let kind = if reassigned {
                    Kind::Reassign
                } else {
                    Kind::CatchUp
                };
                self.open_catch_up(primary, replica, kind, session)
            }
            (
                Some(SenderPhase::Connecting { .. }),
                SenderPhase::InSync { .. }
                | SenderPhase::CatchingUp(_)
                | SenderPhase::NeedsRebuild { .. },
            ) => {
                if let (Some(Msg::ProbeReply { entries, .. }), Some(outcome)) =
                    (from_replica, reached_outcome(after.phase))
                {
                    self.handshake(primary, replica, entries, outcome, false);
                }
            }
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::CatchingUp(next))
                if first.session == next.session =>
            {
                let truncated = (first.truncate && !next.truncate).then_some(first.progress);
                let progress = (next.progress > first.progress).then_some(next.progress);
                self.progress(primary, replica, truncated, progress);
                if next.rounds > first.rounds {
                    // The round reached its frozen target and the head had moved: the engine
                    // never chases the head inside a session; its next round is a new session
                    // toward the head now (D23).
                    self.next_round(primary, replica, after.phase, &durable, head);
                }
            }
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::InSync { acked, .. }) => {
                let truncated = first.truncate.then_some(first.progress);
                let progress = (acked > first.progress).then_some(acked);
                self.progress(primary, replica, truncated, progress);
                self.refuse_unmoved_head(primary, replica);
                self.end_session(primary, replica, |replica, handle| Op::Complete {
                    replica,
                    handle,
                });
            }
            (Some(SenderPhase::CatchingUp(first)), SenderPhase::NeedsRebuild { reason }) => {
                if let Some(Msg::CatchUpAck { through, .. }) = from_replica {
                    let truncated = first.truncate.then_some(first.progress);
                    let progress = (*through > first.progress).then_some(*through);
                    self.progress(primary, replica, truncated, progress);
                }
                match reason {
                    // The round reached its frozen target and the head had moved: the model's
                    // round budget is the caller's tail-chasing policy (D23).
                    EscalationReason::BudgetExceeded => {
                        self.refuse_unmoved_head(primary, replica);
                        self.end_session(primary, replica, |replica, handle| Op::AbandonOutrun {
                            replica,
                            handle,
                            head: head.get(),
                        })
                    }
                    EscalationReason::CatchUpTimeout => self.escalate(primary, replica, true),
                    _ => self.escalate(primary, replica, false),
                }
            }
            (
                Some(SenderPhase::Rebuilding { .. }),
                SenderPhase::InSync { .. }
                | SenderPhase::CatchingUp(_)
                | SenderPhase::NeedsRebuild { .. },
            ) => {
                if let Some(Msg::RebuildAck { through, .. }) = from_replica {
                    let outrun = matches!(
                        after.phase,
                        SenderPhase::NeedsRebuild {
                            reason: EscalationReason::BudgetExceeded
                        }
                    );
                    self.complete_rebuild(primary, replica, *through, outrun.then_some(head));
                    if matches!(after.phase, SenderPhase::CatchingUp(_)) {
                        // The rebuilt replica chases the head that moved during the rebuild.
                        self.next_round(primary, replica, after.phase, &durable, head);
                    }
                }
            }
            (
                Some(SenderPhase::NeedsRebuild { .. }),
                SenderPhase::Rebuilding {
                    session, source, ..
                },
            ) => self.open_rebuild(primary, replica, session, source),
            _ => {}
        }
    }

    /// An assignment of the node's current replica set at the incarnation's epoch, without a
    /// recovery target. Sessions at a changed endpoint end.
    fn assign(&mut self, primary: u8, node: &NodeState) {
        let replicas: Vec<Assigned> = senders_of(node)
            .into_iter()
            .map(|(replica, sender)| Assigned {
                replica: node_index(replica),
                endpoint: sender.endpoint.get(),
            })
            .collect();
        let shadow = self.shadow(primary);
        let (added, removed) = reconciled(&shadow.endpoints, &replicas);
        for replica in &removed {
            shadow.endpoints.remove(replica);
        }
        for assigned in &replicas {
            let previous = shadow.endpoints.insert(assigned.replica, assigned.endpoint);
            if previous.is_some_and(|version| version != assigned.endpoint) {
                if let Some(link) = shadow.links.get_mut(&assigned.replica) {
                    link.alive = false;
                }
            }
        }
        let epoch = shadow.epoch.get();
        self.call(
            primary,
            Op::Assign {
                epoch,
                replicas,
                target: None,
            },
        );
        let op = Op::ReadAssignment {
            expect_added: added,
            expect_removed: removed,
        };
        self.call(primary, op);
    }

    /// Releases the pins of sessions that ended on their own and forgets them.
    fn settle(&mut self, primary: u8) {
        let shadow = self.shadow(primary);
        let ended: Vec<u8> = shadow
            .links
            .iter()
            .filter(|(_, link)| !link.alive)
            .map(|(replica, _)| *replica)
            .collect();
        for replica in ended {
            self.release(primary, replica);
        }
    }

    /// Releases every pin of the replica's link and forgets the link.
    fn release(&mut self, primary: u8, replica: u8) {
        let Some(link) = self.shadow(primary).links.remove(&replica) else {
            return;
        };
        for pin in link.pins {
            self.release_pin(primary, pin);
        }
    }

    fn release_pin(&mut self, primary: u8, pin: PinHandle) {
        self.shadow(primary).storage.pins.remove(&pin);
        self.call(primary, Op::Release { pin });
    }

    /// Takes a pin for the replica's live session.
    fn pin(&mut self, primary: u8, replica: u8, pinned: Pinned, op: impl FnOnce(PinHandle) -> Op) {
        self.pin_handles += 1;
        let pin = self.pin_handles;
        self.call(primary, op(pin));
        let shadow = self.shadow(primary);
        shadow.storage.pins.insert(pin, pinned);
        if let Some(link) = shadow.links.get_mut(&replica) {
            link.pins.push(pin);
        }
    }

    /// Pins the WAL after `after` for the replica's catch-up (released at once under the
    /// `DropWalPins` test mutant).
    fn pin_wal(&mut self, primary: u8, replica: u8, after: Lsn) {
        self.pin(primary, replica, Pinned::Wal { after }, |pin| Op::PinWal {
            pin,
            after: after.get(),
        });
        if self.mutant == Some(MappingMutant::DropWalPins) {
            let pins = self
                .shadow(primary)
                .links
                .get_mut(&replica)
                .map(|link| std::mem::take(&mut link.pins))
                .unwrap_or_default();
            for pin in pins {
                self.release_pin(primary, pin);
            }
        }
    }

    /// The live session of the replica, if the log has one.
    fn live(&mut self, primary: u8, replica: u8) -> Option<Handle> {
        self.shadow(primary)
            .links
            .get(&replica)
            .filter(|link| link.alive)
            .map(|link| link.handle)
    }

    /// A new session for `replica`: attached, or superseding the live one (whose pins are
    /// released first).
    fn new_session(
        &mut self,
        primary: u8,
        replica: u8,
        kind: Kind,
        budget: Option<Budget>,
        model_session: Option<SessionId>,
    ) -> Handle {
        let superseding = self.live(primary, replica).is_some();
        self.release(primary, replica);
        let handle = self.new_handle();
        let op = if superseding {
            Op::SupersedeSession {
                replica,
                handle,
                kind,
                budget,
            }
        } else {
            Op::AttachSession {
                replica,
                handle,
                kind,
                budget,
            }
        };
        self.call(primary, op);
        self.opened(primary, replica, handle, model_session, None);
        handle
    }

    /// Records a session the engine opened for `replica`: its live link, the sender's latest
    /// session, and the model session it stands for.
    fn opened(
        &mut self,
        primary: u8,
        replica: u8,
        handle: Handle,
        model_session: Option<SessionId>,
        source: Option<RebuildSource>,
    ) {
        let shadow = self.shadow(primary);
        shadow.links.insert(
            replica,
            Link {
                handle,
                alive: true,
                pins: Vec::new(),
                source,
                target: None,
                progress_tick: None,
            },
        );
        shadow.latest.insert(replica, handle);
        if let Some(session) = model_session {
            shadow.model_sessions.insert((replica, session), handle);
        }
    }

    /// Time zero: the replica is in sync with the primary; a zero-gap handshake says so.
    fn bootstrap(&mut self, primary: u8, replica: u8, durable: &Slots) {
        self.new_session(primary, replica, Kind::Bootstrap, None, None);
        self.handshake(primary, replica, durable, HandshakeOutcome::ZeroGap, true);
    }

    /// A new model session: attach (or supersede) a catch-up session and connect it.
    fn open_catch_up(&mut self, primary: u8, replica: u8, kind: Kind, model_session: SessionId) {
        let budget = self.budget();
        let handle = self.new_session(primary, replica, kind, budget, Some(model_session));
        self.call(primary, Op::Connect { replica, handle });
    }

    /// The handshake by entry identity (D5) against retained history, expecting `outcome` (what
    /// the model reached), and what it implies: zero gap completes; a catch-up pins the WAL
    /// after the prefix the replica keeps (a truncation only pins nothing, as the planner does)
    /// and begins; a gap beyond retention ends the session (the replica needs a rebuild).
    fn handshake(
        &mut self,
        primary: u8,
        replica: u8,
        durable: &Slots,
        outcome: HandshakeOutcome,
        connect: bool,
    ) {
        let Some(handle) = self.live(primary, replica) else {
            return;
        };
        if connect {
            self.call(primary, Op::Connect { replica, handle });
        }
        let committed = self.shadow(primary).storage.committed;
        self.call(
            primary,
            Op::Handshake {
                replica,
                handle,
                log: entries_of(durable),
                expect_outcome: outcome,
                expect_reason: steps::ProofReason::of(outcome, committed.get()),
            },
        );
        match outcome {
            HandshakeOutcome::ZeroGap => self.end_session(primary, replica, |replica, handle| {
                Op::Complete { replica, handle }
            }),
            HandshakeOutcome::NeedsRebuild => self.mark_ended(primary, replica),
            HandshakeOutcome::CatchUp { kept } => {
                if kept < committed.get() {
                    self.pin_wal(primary, replica, Lsn::new(kept));
                }
                self.call(primary, Op::BeginCatchUp { replica, handle });
                self.made_progress(primary, replica, Some(committed));
            }
        }
    }

    /// The engine ended the replica's session on its own.
    fn mark_ended(&mut self, primary: u8, replica: u8) {
        if let Some(link) = self.shadow(primary).links.get_mut(&replica) {
            link.alive = false;
        }
    }

    /// Ends the replica's live session with `op` and releases its pins.
    fn end_session(&mut self, primary: u8, replica: u8, op: impl FnOnce(u8, Handle) -> Op) {
        let Some(handle) = self.live(primary, replica) else {
            return;
        };
        self.call(primary, op(replica, handle));
        self.release(primary, replica);
    }

    /// A catch-up acknowledgement: the first chunk's truncation, then progress; the WAL pin
    /// follows the acknowledged LSN.
    fn progress(
        &mut self,
        primary: u8,
        replica: u8,
        truncated: Option<Lsn>,
        progress: Option<Lsn>,
    ) {
        let Some(handle) = self.live(primary, replica) else {
            return;
        };
        if let Some(to) = truncated {
            self.call(
                primary,
                Op::RecordTruncation {
                    replica,
                    handle,
                    to: to.get(),
                },
            );
        }
        let Some(to) = progress else { return };
        self.call(
            primary,
            Op::CatchUpProgress {
                replica,
                handle,
                through: to.get(),
            },
        );
        self.made_progress(primary, replica, None);
        let held = self
            .shadow(primary)
            .links
            .get(&replica)
            .map(|link| link.pins.clone())
            .unwrap_or_default();
        if !held.is_empty() {
            self.pin_wal(primary, replica, to);
            for pin in held {
                if let Some(link) = self.shadow(primary).links.get_mut(&replica) {
                    link.pins.retain(|held| *held != pin);
                }
                self.release_pin(primary, pin);
            }
        }
    }

    /// The model gave up on catch-up: the engine's budget check decides. After a timeout the
    /// clock is past the stall budget and the check must escalate; otherwise its answer is
    /// observed and the view decides.
    fn escalate(&mut self, primary: u8, replica: u8, timed_out: bool) {
        let Some(handle) = self.live(primary, replica) else {
            return;
        };
        let expect = if timed_out && self.budget().is_some() {
            Expect::Refuse {
                class: RefusalClass::BudgetExceeded,
            }
        } else {
            Expect::Observe
        };
        self.call_expecting(primary, Op::CheckBudget { replica, handle }, expect);
        self.mark_ended(primary, replica);
    }

    /// A further round toward the head (D23): the engine is asked whether the old session was
    /// outrun (on a copy: nothing changes), then a new catch-up session is connected and
    /// handshaken by identity with the replica's durable log as it stands.
    fn next_round(
        &mut self,
        primary: u8,
        replica: u8,
        after: SenderPhase,
        durable: &Slots,
        head: Lsn,
    ) {
        self.refuse_unmoved_head(primary, replica);
        if let Some(handle) = self.live(primary, replica) {
            self.call_expecting(
                primary,
                Op::ConfirmOutrun {
                    replica,
                    handle,
                    head: head.get(),
                },
                Expect::Observe,
            );
        }
        let SenderPhase::CatchingUp(catch_up) = after else {
            return;
        };
        self.open_catch_up(primary, replica, Kind::CatchUp, catch_up.session);
        if let Some(outcome) = reached_outcome(after) {
            self.handshake(primary, replica, durable, outcome, false);
        }
    }

    /// The coordinator's rebuild intent: a rebuild session granted by an assignment, connected,
    /// handshaken over `(0, committed]`, its base chosen from retained history and pinned, and
    /// its transfer begun.
    fn open_rebuild(
        &mut self,
        primary: u8,
        replica: u8,
        model_session: SessionId,
        source: ModelRebuildSource,
    ) {
        self.release(primary, replica);
        let handle = self.new_handle();
        let shadow = self.shadow(primary);
        let epoch = shadow.epoch.get();
        let replicas = shadow
            .endpoints
            .iter()
            .map(|(replica, endpoint)| Assigned {
                replica: *replica,
                endpoint: *endpoint,
            })
            .collect();
        self.call(
            primary,
            Op::Assign {
                epoch,
                replicas,
                target: Some(Target {
                    replica,
                    kind: Kind::Rebuild,
                    handle,
                }),
            },
        );
        let source = match source {
            ModelRebuildSource::SnapshotTail { checkpoint } => RebuildSource::SnapshotTail {
                snapshot: checkpoint.get(),
            },
            ModelRebuildSource::FullBase { .. } => RebuildSource::FullBase {
                reason: self.shadow(primary).storage.full_base_reason(),
            },
        };
        self.opened(primary, replica, handle, Some(model_session), Some(source));
        let committed = self.shadow(primary).storage.committed;
        if let Some(link) = self.shadow(primary).links.get_mut(&replica) {
            link.target = Some(committed);
        }
        self.call(primary, Op::Connect { replica, handle });
        self.call(
            primary,
            Op::HandshakeRange {
                replica,
                handle,
                through: committed.get(),
            },
        );
        self.call(
            primary,
            Op::SelectRebuildSource {
                replica,
                handle,
                expect_source: source,
            },
        );
        match source {
            RebuildSource::SnapshotTail { snapshot } => {
                self.pin(primary, replica, Pinned::Snapshot, |pin| Op::PinSnapshot {
                    pin,
                    at: snapshot,
                });
                let after = Lsn::new(snapshot);
                self.pin(primary, replica, Pinned::Wal { after }, |pin| Op::PinWal {
                    pin,
                    after: snapshot,
                });
            }
            RebuildSource::FullBase { .. } => {
                // The engine's full base is cut at its target, the committed LSN (§9).
                self.pin(primary, replica, Pinned::FullBase, |pin| Op::PinFullBase {
                    pin,
                    through: committed.get(),
                });
            }
        }
        self.call(primary, Op::BeginRebuildTransfer { replica, handle });
    }

    /// The rebuild acknowledgement: the base (and its tail) reached `through`. With
    /// `outrun_by`, the primary's head had moved past the rebuild's target and the model gives
    /// up on the round instead of completing (D23).
    fn complete_rebuild(&mut self, primary: u8, replica: u8, through: Lsn, outrun_by: Option<Lsn>) {
        let Some(handle) = self.live(primary, replica) else {
            return;
        };
        let source = self
            .shadow(primary)
            .links
            .get(&replica)
            .and_then(|link| link.source);
        match source {
            Some(RebuildSource::SnapshotTail { snapshot }) => {
                self.call(
                    primary,
                    Op::RebuildTransferProgress {
                        replica,
                        handle,
                        through: snapshot,
                    },
                );
                self.call(primary, Op::BeginRebuildTailReplay { replica, handle });
                if through.get() > snapshot {
                    self.call(
                        primary,
                        Op::RebuildTailProgress {
                            replica,
                            handle,
                            through: through.get(),
                        },
                    );
                }
            }
            Some(RebuildSource::FullBase { .. }) => {
                if through > Lsn::ZERO {
                    self.call(
                        primary,
                        Op::RebuildTransferProgress {
                            replica,
                            handle,
                            through: through.get(),
                        },
                    );
                }
            }
            None => return,
        }
        self.refuse_unmoved_head(primary, replica);
        match outrun_by {
            Some(head) => self.end_session(primary, replica, |replica, handle| Op::AbandonOutrun {
                replica,
                handle,
                head: head.get(),
            }),
            None => self.end_session(primary, replica, |replica, handle| Op::CompleteRebuild {
                replica,
                handle,
            }),
        }
    }
}

/// True when a node the log has an incarnation for serves at a newer epoch or with a shorter
/// log than that incarnation: only taking office (`become_primary`) changes a serving node's
/// epoch or cuts its log, and it builds a fresh primary state, so it is a new incarnation. The
/// model never takes office while it serves (D86, D87: a node adopts a newer epoch by stepping
/// down first, and truncates only as it takes office); a mutant can, and this keeps its log
/// one the engine can follow.
fn took_office_again(shadow: &Shadow, node: &NodeState) -> bool {
    node.disk.epoch > shadow.epoch || node.disk.wal.received() < shadow.storage.head
}

/// Boundary expectations (decisions D95, D96): calls at the edges of the rules the other calls
/// only cross far from them, each expected from what the log has already fixed.
impl Derivation {
    /// The replica's catch-up made progress at this tick (or began, fixing its frozen target
    /// `target`): the budget is probed at its edges, on a copy of the sender. A tick before the
    /// last progress is refused `tick_regressed`; exactly `stall_ticks_max` ticks after it the
    /// budget holds; one tick more it is exceeded (`budget_exceeded`).
    fn made_progress(&mut self, primary: u8, replica: u8, target: Option<Lsn>) {
        let tick = self.tick;
        let Some(link) = self.shadow(primary).links.get_mut(&replica) else {
            return;
        };
        link.progress_tick = Some(tick);
        link.target = target.or(link.target);
        let handle = link.handle;
        let Some(Budget { stall_ticks_max }) = self.budget() else {
            return;
        };
        let probe = |at| Op::ProbeBudget {
            replica,
            handle,
            at,
        };
        if let Some(before) = tick.checked_sub(1) {
            let class = RefusalClass::TickRegressed;
            self.call_expecting(primary, probe(before), Expect::Refuse { class });
        }
        self.call(primary, probe(tick + stall_ticks_max));
        let class = RefusalClass::BudgetExceeded;
        self.call_expecting(
            primary,
            probe(tick + stall_ticks_max + 1),
            Expect::Refuse { class },
        );
    }

    /// The live session has reached its target (it is about to complete, or to be given up as
    /// outrun): a claim that the head moved past it while the head stands *at* it must be
    /// refused `not_outrun`, changing nothing.
    fn refuse_unmoved_head(&mut self, primary: u8, replica: u8) {
        let Some(link) = self.shadow(primary).links.get(&replica) else {
            return;
        };
        let (Some(target), true) = (link.target, link.alive) else {
            return;
        };
        let handle = link.handle;
        let class = RefusalClass::NotOutrun;
        self.call_expecting(
            primary,
            Op::AbandonOutrun {
                replica,
                handle,
                head: target.get(),
            },
            Expect::Refuse { class },
        );
    }

    /// After a step's calls: every replica a call of the step must have recorded a recovery
    /// event about reports those events' names, in call order ([`expected_event`]).
    fn read_events(&mut self) {
        let mut expected: BTreeMap<(u8, u8), Vec<String>> = BTreeMap::new();
        for call in &self.calls {
            if let Some((replica, names)) = expected_event(call) {
                expected
                    .entry((call.primary, replica))
                    .or_default()
                    .extend(names.iter().map(|name| name.to_string()));
            }
        }
        for ((primary, replica), expect_events) in expected {
            if self.primaries.contains_key(&primary) {
                let op = Op::ReadEvents {
                    replica,
                    expect_events,
                };
                self.call(primary, op);
            }
        }
    }

    /// After a step's calls: every primary whose storage the step touched reports its marks,
    /// which must be what the log's accepted storage calls made of them.
    fn read_storage(&mut self) {
        let touched: std::collections::BTreeSet<u8> = self
            .calls
            .iter()
            .filter(|call| call.op.is_storage())
            .map(|call| call.primary)
            .collect();
        for primary in touched {
            let Some(shadow) = self.primaries.get(&primary) else {
                continue;
            };
            let storage = &shadow.storage;
            let expect_storage = StorageState {
                head: storage.head.get(),
                flushed: storage.flushed.get(),
                committed: storage.committed.get(),
                checkpoint: (storage.checkpoint > Lsn::ZERO).then(|| storage.checkpoint.get()),
                recycled_through: storage.recycled_through.get(),
            };
            self.call(primary, Op::ReadStorage { expect_storage });
        }
    }
}

/// The senders an assignment of `replicas` creates and removes, given the replicas the engine
/// has senders for (each sorted).
fn reconciled(known: &BTreeMap<u8, u64>, replicas: &[Assigned]) -> (Vec<u8>, Vec<u8>) {
    let listed: std::collections::BTreeSet<u8> =
        replicas.iter().map(|assigned| assigned.replica).collect();
    let added = listed
        .iter()
        .filter(|replica| !known.contains_key(replica))
        .copied()
        .collect();
    let removed = known
        .keys()
        .filter(|replica| !listed.contains(replica))
        .copied()
        .collect();
    (added, removed)
}

/// The recovery event a call must record about its replica (docs/step-log.md, "Recovery
/// events"): each accepted sender call names the event of its rule; a budget escalation
/// invalidates the session and is logged as such. Refusals (other than the escalation) and questions record nothing
/// the log fixes.
fn expected_event(call: &Call) -> Option<(u8, &'static [&'static str])> {
    let accepted = call.expect == Expect::Accept;
    let escalated = call.expect
        == Expect::Refuse {
            class: RefusalClass::BudgetExceeded,
        };
    let names: (u8, &'static [&'static str]) = match &call.op {
        Op::AttachSession { replica, .. } | Op::SupersedeSession { replica, .. } if accepted => {
            (*replica, &["session_created"])
        }
        Op::Assign {
            target: Some(target),
            ..
        } if accepted => (target.replica, &["session_created"]),
        Op::Connect { replica, .. } if accepted => (*replica, &["connected"]),
        Op::Handshake {
            replica,
            expect_outcome: HandshakeOutcome::NeedsRebuild,
            ..
        } if accepted => (*replica, &["session_invalidated"]),
        Op::Handshake { replica, .. } | Op::HandshakeRange { replica, .. } if accepted => {
            (*replica, &["handshake_recorded"])
        }
        Op::BeginCatchUp { replica, .. } if accepted => (*replica, &["catch_up_started"]),
        Op::RecordTruncation { replica, .. } if accepted => (*replica, &["truncation_recorded"]),
        Op::CatchUpProgress { replica, .. } if accepted => (*replica, &["catch_up_progress"]),
        Op::Complete { replica, .. } | Op::CompleteRebuild { replica, .. } if accepted => {
            (*replica, &["completed"])
        }
        Op::AbandonOutrun { replica, .. } if accepted => (*replica, &["session_invalidated"]),
        Op::CheckBudget { replica, .. } if escalated => {
            (*replica, &["session_invalidated", "budget_escalated"])
        }
        Op::SelectRebuildSource { replica, .. } if accepted => {
            (*replica, &["rebuild_source_selected"])
        }
        Op::BeginRebuildTransfer { replica, .. } | Op::BeginRebuildTailReplay { replica, .. }
            if accepted =>
        {
            (*replica, &["rebuild_phase_started"])
        }
        Op::RebuildTransferProgress { replica, .. } | Op::RebuildTailProgress { replica, .. }
            if accepted =>
        {
            (*replica, &["rebuild_progress"])
        }
        Op::ExpireDeadline { replica, .. } if accepted => (*replica, &["deadline_expired"]),
        _ => return None,
    };
    Some(names)
}

/// The handshake outcome a sender phase shows the model reached: in sync (zero gap), catching
/// up from the prefix the replica keeps, or needing a rebuild.
fn reached_outcome(phase: SenderPhase) -> Option<HandshakeOutcome> {
    match phase {
        SenderPhase::InSync { .. } => Some(HandshakeOutcome::ZeroGap),
        SenderPhase::CatchingUp(catch_up) => Some(HandshakeOutcome::CatchUp {
            kept: catch_up.progress.get(),
        }),
        SenderPhase::NeedsRebuild { .. } => Some(HandshakeOutcome::NeedsRebuild),
        _ => None,
    }
}

/// What one replica's sender change brings to [`Derivation::transition`].
struct Change<'a> {
    before: Option<ModelSender>,
    after: ModelSender,
    /// The message the step delivered from this replica to the primary, if any.
    from_replica: Option<&'a Msg>,
    /// The step delivered the coordinator's `Reassign` of this replica.
    reassigned: bool,
    /// The primary's head after the step.
    head: Lsn,
    /// The replica's durable log after the step.
    durable: Slots,
}
