//! The interpreter: a step log ([`super::steps`]) → calls on the Rust engine, each result checked
//! against the log's expectation, then every replica's view compared with the log's.
//!
//! It decides nothing: every value comes from the log. Its own state is one engine (a
//! `RecoveryOrchestrator`, the registry with its recovery log, and an `InMemoryStorage`) per
//! serving primary, and two name tables: the log's
//! session handles → the engine's session ids, and pin handles → the pins the storage gave.
//! A port to another language keeps this shape: [`Interpreter::run`] for the calls,
//! [`Interpreter::compare`] for the views.
//!
//! A call's result is judged by the log's `expect`:
//! - `accept` and the engine refuses: `engine-refused` (the call, the refusal class, the error);
//! - `refuse` and the engine accepts: `engine-accepted` (the engine took what it must fence);
//!   refused with another class: `engine-refused` naming the class found;
//! - `observe`: any answer is fine (the engine-side judgements count `confirm_outrun` answers);
//! - a reported value other than the log's (a handshake outcome, a rebuild base, the storage's
//!   marks, a replica's recovery events, an assignment's result) ends the model step's calls
//!   (the views decide; equal views report the value itself as the divergence). Names are read
//!   from the engine's own (`RecoveryOutcome::name`, the rebuild source's and events' names), so a
//!   wrong name is a difference.

use std::collections::BTreeMap;
use swb_engine::budget::CatchUpBudget;
use swb_engine::deadline::Retransmit;
use swb_engine::error::{OrchestrateError, SenderError};
use swb_engine::history::{CheckpointTrust, ProofReason, RebuildSource as EngineSource};
use swb_engine::lineage::Lineage;
use swb_engine::orchestrate::RecoveryOrchestrator;
use swb_engine::outcome::RecoveryOutcome;
use swb_engine::plan::{FullBasePin, RetentionPin, SnapshotPin, StorageAdapter};
use swb_engine::registry::{AssignmentIntent, Registry, ReplicaAssignment};
use swb_engine::sender::Sender;
use swb_engine::session::phase::InvalidateReason;
use swb_engine::storage::InMemoryStorage;
use swb_engine::types::{
    Endpoint, EndpointVersion, Epoch, Lsn, LsnRange, ReplicaId, SessionId, SessionKind, Tick,
};

use super::steps::{
    Budget, Call, Expect, ExpectedView, Handle, HandshakeOutcome, Kind, ModelStep, Op, PinHandle,
    RebuildSource, RefusalClass, Resend, StorageState,
};
use super::view::{engine_view, ReplicaView};

/// Why a model step's calls stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A call the log expected accepted (or refused with another class) was refused.
    Refused {
        /// The call's entry point.
        call: &'static str,
        /// The refusal class (the engine error's innermost variant, snake_case).
        rule: String,
        /// The engine's message.
        error: String,
    },
    /// A call the log expected refused was accepted.
    Accepted {
        /// The call's entry point.
        call: &'static str,
        /// The class it should have been refused with.
        expected: String,
    },
    /// A value the engine reported differs from the log's (handshake outcome, rebuild base).
    Reported {
        /// `handshake` or `rebuild_source`, with the replica: `nP/nR.handshake`.
        field: String,
        /// The log's value.
        expected: String,
        /// The engine's value.
        found: String,
    },
}

/// A view field that differs: `nP/nR.field`, the log's value and the engine's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewDifference {
    /// `nP/nR.field` (`sender` when one side has no view of the replica).
    pub field: String,
    /// The log's value.
    pub expected: String,
    /// The engine's value.
    pub found: String,
}

/// A pin the storage gave.
#[derive(Debug)]
enum Pin {
    Wal(RetentionPin),
    Snapshot(SnapshotPin),
    FullBase(FullBasePin),
}

/// One primary incarnation's engine.
#[derive(Debug, Default)]
struct Engine {
    /// The registry and its recovery log (every call goes through it, so the log is complete).
    orchestrator: RecoveryOrchestrator,
    storage: InMemoryStorage,
    sessions: BTreeMap<Handle, SessionId>,
    pins: BTreeMap<PinHandle, Pin>,
    /// Per replica: how much of the recovery log its last `read_events` had seen.
    events_read: BTreeMap<u8, usize>,
    /// The last accepted assignment's senders added and removed.
    assigned: (Vec<u8>, Vec<u8>),
}

/// What the interpreter counted: calls, refusals the log expected (by entry point and class),
/// and the answers the engine-side judgements cite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Engine calls made.
    pub calls: u64,
    /// Storage calls the log expected refused under a pin (checkpoint, recycle).
    pub storage_deferrals: u64,
    /// `confirm_outrun` questions the engine answered yes.
    pub outruns_confirmed: u64,
    /// Calls per entry point, and expected refusals per class (`refused:<class>`).
    pub coverage: BTreeMap<String, u64>,
}

/// The engines of one replay, driven by a step log.
#[derive(Debug, Default)]
pub struct Interpreter {
    engines: BTreeMap<u8, Engine>,
    now: Tick,
    /// What was counted so far.
    pub counts: Counts,
}

/// The engine endpoint of node `replica` at `version` (addresses follow distsim's naming).
fn endpoint_of(replica: u8, version: u64) -> Endpoint {
    Endpoint {
        data_addr: format!("n{replica}:v{version}"),
        ctrl_addr: format!("n{replica}:v{version}:ctrl"),
        version: EndpointVersion::new(version),
    }
}

fn kind_of(kind: Kind) -> SessionKind {
    match kind {
        Kind::Bootstrap => SessionKind::Bootstrap,
        Kind::CatchUp => SessionKind::CatchUp,
        Kind::Reassign => SessionKind::Reassign,
        Kind::Rebuild => SessionKind::Rebuild,
    }
}

fn budget_of(budget: Option<Budget>) -> Option<CatchUpBudget> {
    budget.map(|budget| CatchUpBudget {
        duration_ticks_max: None,
        entries_max: None,
        progress_gap_ticks_max: Some(budget.stall_ticks_max),
    })
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

/// An engine refusal: its class (what a log's `expect` names), the rule reported (the error's
/// innermost variant) and the message.
struct Refusal {
    class: String,
    rule: String,
    error: String,
}

fn refusal<E: std::fmt::Debug + std::fmt::Display>(error: E) -> Refusal {
    let rule = rule_name(&format!("{error:?}"));
    Refusal {
        class: rule.clone(),
        rule,
        error: error.to_string(),
    }
}

/// An interpreter-side refusal (an unknown handle, pin, replica or primary).
fn unknown(class: &str, error: String) -> Refusal {
    Refusal {
        class: class.to_string(),
        rule: class.to_string(),
        error,
    }
}

/// A sender refusal; a budget escalation is the class `budget_exceeded` whatever violation it
/// carries (the rule names the violation).
fn sender_refusal(error: OrchestrateError) -> Refusal {
    let violation = match &error {
        OrchestrateError::Sender(SenderError::BudgetExceeded(violation)) => Some(*violation),
        _ => None,
    };
    let mut refused = refusal(error);
    if let Some(violation) = violation {
        refused.class = "budget_exceeded".to_string();
        refused.rule = violation.name().to_string();
    }
    refused
}

/// The limit a `budget_exceeded` refusal must name: the log's budgets have a stall limit only
/// (`Budget`), so no other limit can be exceeded (D100).
const BUDGET_LIMIT: &str = "progress_stalled";

/// What a call returned: nothing to check, or a value the log names.
enum Answer {
    Done,
    Value { field: &'static str, found: String },
}

impl Interpreter {
    /// Runs one model step's calls at its tick; the first finding stops the step.
    pub fn run(&mut self, step: &ModelStep) -> Result<(), Finding> {
        self.now = Tick::new(step.tick);
        for call in &step.calls {
            self.counts.calls += 1;
            let entry = call.op.entry_point();
            *self.counts.coverage.entry(entry.to_string()).or_default() += 1;
            let result = self.call(call);
            match (result, call.expect) {
                (Ok(Answer::Value { field, found }), _) => {
                    let expected = expected_value(&call.op);
                    if found != expected {
                        let at = match replica_of(&call.op) {
                            Some(replica) => format!("n{}/n{replica}", call.primary),
                            None => format!("n{}", call.primary),
                        };
                        return Err(Finding::Reported {
                            field: format!("{at}.{field}"),
                            expected,
                            found,
                        });
                    }
                }
                (Ok(Answer::Done), Expect::Refuse { class }) => {
                    return Err(Finding::Accepted {
                        call: entry,
                        expected: class.name().to_string(),
                    })
                }
                (Err(refused), Expect::Refuse { class })
                    if refused.class == class.name()
                        && (class != RefusalClass::BudgetExceeded
                            || refused.rule == BUDGET_LIMIT) =>
                {
                    *self
                        .counts
                        .coverage
                        .entry(format!("refused:{class}"))
                        .or_default() += 1;
                    if matches!(call.op, Op::Checkpoint { .. } | Op::Recycle { .. }) {
                        self.counts.storage_deferrals += 1;
                    }
                }
                (Err(_), Expect::Observe) | (Ok(Answer::Done), _) => {}
                (Err(refused), _) => {
                    return Err(Finding::Refused {
                        call: entry,
                        rule: refused.rule,
                        error: refused.error,
                    })
                }
            }
        }
        Ok(())
    }

    /// The engine's view of every replica of every serving primary.
    pub fn views(&self) -> BTreeMap<(u8, u8), ReplicaView> {
        let mut views = BTreeMap::new();
        for (primary, engine) in &self.engines {
            for sender in engine.orchestrator.registry().views() {
                views.insert((*primary, sender.replica.get() as u8), engine_view(&sender));
            }
        }
        views
    }

    /// The first view field (in (primary, replica), then field order) where the engine differs
    /// from the log.
    pub fn compare(&self, expected: &[ExpectedView]) -> Option<ViewDifference> {
        let found = self.views();
        let expected: BTreeMap<(u8, u8), &ExpectedView> = expected
            .iter()
            .map(|view| ((view.primary, view.replica), view))
            .collect();
        let keys: std::collections::BTreeSet<(u8, u8)> =
            expected.keys().chain(found.keys()).copied().collect();
        for key in keys {
            let name = |field: &str| format!("n{}/n{}.{field}", key.0, key.1);
            match (expected.get(&key), found.get(&key)) {
                (Some(expected), Some(found)) => {
                    for ((field, value), found) in expected.fields().into_iter().zip(found.fields())
                    {
                        assert_eq!(field, found.field, "the log and the view list fields alike");
                        if value != found.value {
                            return Some(ViewDifference {
                                field: name(field),
                                expected: value.to_string(),
                                found: found.value,
                            });
                        }
                    }
                }
                (expected, found) => {
                    let presence = |present: bool| if present { "present" } else { "absent" };
                    return Some(ViewDifference {
                        field: name("sender"),
                        expected: presence(expected.is_some()).to_string(),
                        found: presence(found.is_some()).to_string(),
                    });
                }
            }
        }
        None
    }

    /// The registries and storages, for the engine-side judgements (by primary).
    pub fn engines(&self) -> impl Iterator<Item = (u8, &Registry, &InMemoryStorage)> {
        self.engines
            .iter()
            .map(|(primary, engine)| (*primary, engine.orchestrator.registry(), &engine.storage))
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.now
    }

    fn call(&mut self, call: &Call) -> Result<Answer, Refusal> {
        let now = self.now;
        if let Op::StartPrimary { .. } = call.op {
            self.engines.insert(call.primary, Engine::default());
            return Ok(Answer::Done);
        }
        if let Op::EndPrimary = call.op {
            if let Some(mut engine) = self.engines.remove(&call.primary) {
                for (_, pin) in std::mem::take(&mut engine.pins) {
                    engine.release(pin);
                }
                let replicas: Vec<ReplicaId> = engine
                    .orchestrator
                    .registry()
                    .views()
                    .iter()
                    .map(|sender| sender.replica)
                    .collect();
                for replica in replicas {
                    let _ = engine.orchestrator.with_sender(replica, |sender| {
                        sender.stop();
                        Ok(())
                    });
                }
            }
            return Ok(Answer::Done);
        }
        let engine = self
            .engines
            .get_mut(&call.primary)
            .ok_or_else(|| unknown("unknown_primary", format!("no engine n{}", call.primary)))?;
        engine.call(&call.op, now, &mut self.counts)
    }
}

/// The value the log names for a call that reports one.
fn expected_value(op: &Op) -> String {
    match op {
        Op::Handshake {
            expect_outcome,
            expect_reason,
            ..
        } => reasoned(
            match expect_outcome {
                HandshakeOutcome::ZeroGap => outcome_name("zero_gap", None),
                HandshakeOutcome::CatchUp { kept } => outcome_name("catch_up", Some(*kept)),
                HandshakeOutcome::NeedsRebuild => outcome_name("needs_rebuild", None),
            },
            expect_reason.name(),
        ),
        Op::SelectRebuildSource { expect_source, .. } => log_source_name(*expect_source),
        Op::ExpireDeadline { expect_resend, .. } => match expect_resend {
            Resend::Probe => resend_name("probe", None, None, None),
            Resend::CatchUp { after, truncate_to } => {
                resend_name("catch_up", Some(*after), *truncate_to, None)
            }
            Resend::Rebuild { base } => {
                resend_name("rebuild", None, None, Some(log_source_name(*base)))
            }
        },
        Op::ReadStorage { expect_storage } => expect_storage.to_string(),
        Op::ReadEvents { expect_events, .. } => expect_events.join(", "),
        Op::ReadAssignment {
            expect_added,
            expect_removed,
        } => assignment_name(expect_added, expect_removed),
        _ => String::new(),
    }
}

/// The replica a reported value belongs to (`None`: the primary's own storage).
fn replica_of(op: &Op) -> Option<u8> {
    match op {
        Op::Handshake { replica, .. }
        | Op::SelectRebuildSource { replica, .. }
        | Op::ExpireDeadline { replica, .. }
        | Op::ReadEvents { replica, .. } => Some(*replica),
        _ => None,
    }
}

/// A handshake outcome as the log names it: `zero_gap`, `catch_up(kept K)`, `needs_rebuild`.
/// The engine's side is rendered from the engine's own names (D97), so a wrong name is a
/// difference.
fn outcome_name(name: &str, kept: Option<u64>) -> String {
    match kept {
        Some(kept) => format!("{name}(kept {kept})"),
        None => name.to_string(),
    }
}

/// An assignment's result: `added [2, 3] removed []`.
fn assignment_name(added: &[u8], removed: &[u8]) -> String {
    format!("added {added:?} removed {removed:?}")
}

/// An outcome with the reason its proof names: `catch_up(kept K) by gap_within_retention`.
fn reasoned(outcome: String, reason: &str) -> String {
    format!("{outcome} by {reason}")
}

/// A rebuild base as the log names it: `snapshot_tail@S`, `full_base(<reason>)`.
fn source_name(name: &str, snapshot: Option<u64>) -> String {
    match snapshot {
        Some(snapshot) => format!("{name}@{snapshot}"),
        None => name.to_string(),
    }
}

/// The log's rebuild base, named as [`source_name`] names the engine's.
fn log_source_name(source: RebuildSource) -> String {
    match source {
        RebuildSource::SnapshotTail { snapshot } => source_name("snapshot_tail", Some(snapshot)),
        RebuildSource::FullBase { reason } => {
            source_name(&format!("full_base({})", reason.name()), None)
        }
    }
}

/// The engine's rebuild base, by its own names (D97, D100).
fn engine_source_name(source: EngineSource) -> String {
    match source {
        EngineSource::SnapshotTail { snapshot } => {
            source_name(&source.to_string(), Some(snapshot.get()))
        }
        EngineSource::FullBase(reason) => {
            source_name(&format!("{source}({})", reason.name()), None)
        }
    }
}

/// A re-sent request as the log names it (D90): `probe`, `catch_up after A` (then
/// ` truncating to T` while owed), `rebuild from <base>`.
fn resend_name(
    request: &str,
    after: Option<u64>,
    truncate_to: Option<u64>,
    base: Option<String>,
) -> String {
    let mut name = request.to_string();
    if let Some(after) = after {
        name.push_str(&format!(" after {after}"));
    }
    if let Some(to) = truncate_to {
        name.push_str(&format!(" truncating to {to}"));
    }
    if let Some(base) = base {
        name.push_str(&format!(" from {base}"));
    }
    name
}

/// The engine's re-sent request, by its own names.
fn retransmit_name(request: Retransmit) -> String {
    match request {
        Retransmit::Probe => resend_name(request.name(), None, None, None),
        Retransmit::CatchUp { range, truncate_to } => resend_name(
            request.name(),
            Some(range.after.get()),
            truncate_to.map(Lsn::get),
            None,
        ),
        Retransmit::Rebuild { source, .. } => {
            resend_name(request.name(), None, None, Some(engine_source_name(source)))
        }
    }
}

impl Engine {
    fn release(&mut self, pin: Pin) {
        match pin {
            Pin::Wal(pin) => pin.release(&mut self.storage),
            Pin::Snapshot(pin) => pin.release(&mut self.storage),
            Pin::FullBase(pin) => pin.release(&mut self.storage),
        }
    }

    fn session(&self, handle: Handle) -> Result<SessionId, Refusal> {
        self.sessions.get(&handle).copied().ok_or_else(|| {
            unknown(
                "unknown_handle",
                format!("no session under handle {handle}"),
            )
        })
    }

    /// Asks a question of a copy of the sender of `replica` on the session of `handle`: the
    /// engine's answer counts, the copy (and whatever it recorded) is dropped.
    fn on_copy<T>(
        &self,
        replica: u8,
        handle: Handle,
        question: impl FnOnce(&mut Sender, SessionId) -> Result<T, SenderError>,
    ) -> Result<T, Refusal> {
        let session = self.session(handle)?;
        let mut copy = self
            .orchestrator
            .sender(ReplicaId::new(u32::from(replica)))
            .cloned()
            .ok_or_else(|| unknown("unknown_replica", format!("no sender for n{replica}")))?;
        question(&mut copy, session).map_err(|error| sender_refusal(error.into()))
    }

    /// Calls the orchestrator for the replica `replica` on the session of `handle`.
    fn on_session<T>(
        &mut self,
        replica: u8,
        handle: Handle,
        call: impl FnOnce(
            &mut RecoveryOrchestrator,
            ReplicaId,
            SessionId,
        ) -> Result<T, OrchestrateError>,
    ) -> Result<T, Refusal> {
        let session = self.session(handle)?;
        let replica = ReplicaId::new(u32::from(replica));
        call(&mut self.orchestrator, replica, session).map_err(sender_refusal)
    }

    /// Calls the sender of `replica` on the session of `handle` (through the orchestrator, for
    /// the sender operations it has no method of its own for).
    fn on_sender<T>(
        &mut self,
        replica: u8,
        handle: Handle,
        call: impl FnOnce(&mut Sender, SessionId) -> Result<T, SenderError>,
    ) -> Result<(), Refusal> {
        self.on_session(replica, handle, |orchestrator, replica, session| {
            orchestrator.with_sender(replica, |sender| call(sender, session))
        })
        .map(drop)
    }

    fn call(&mut self, op: &Op, now: Tick, counts: &mut Counts) -> Result<Answer, Refusal> {
        let lsn = Lsn::new;
        match op {
            Op::StartPrimary { .. } | Op::EndPrimary => unreachable!("handled by the interpreter"),
            Op::Append { lsn: at, epoch } => {
                let appended = self.storage.append(Epoch::new(*epoch), *at);
                assert_eq!(appended, lsn(*at), "an append lands at head + 1");
            }
            Op::Flush { through } => self.storage.flush(lsn(*through)).map_err(refusal)?,
            Op::Commit { through } => self.storage.commit(lsn(*through)).map_err(refusal)?,
            Op::Checkpoint { at } => self
                .storage
                .checkpoint_at(lsn(*at), CheckpointTrust::Trusted)
                .map_err(refusal)?,
            Op::Recycle { through } => self.storage.advance_tail(lsn(*through)).map_err(refusal)?,
            Op::Assign {
                epoch,
                replicas,
                target,
            } => {
                let intent = AssignmentIntent {
                    replicas: replicas
                        .iter()
                        .map(|assigned| ReplicaAssignment {
                            replica: ReplicaId::new(u32::from(assigned.replica)),
                            endpoint: endpoint_of(assigned.replica, assigned.endpoint),
                        })
                        .collect(),
                    epoch: Epoch::new(*epoch),
                    recovery_targets: target
                        .iter()
                        .map(|target| {
                            (
                                ReplicaId::new(u32::from(target.replica)),
                                kind_of(target.kind),
                            )
                        })
                        .collect(),
                };
                let result = self.orchestrator.process_assignment(&intent);
                if let Some((_, failure)) = result.failed.first() {
                    return Err(refusal(*failure));
                }
                let nodes = |replicas: &[ReplicaId]| {
                    replicas.iter().map(|replica| replica.get() as u8).collect()
                };
                self.assigned = (nodes(&result.added), nodes(&result.removed));
                if let Some(grant) = target {
                    let granted = result
                        .created
                        .iter()
                        .map(|(_, session)| *session)
                        .chain(
                            result
                                .superseded
                                .iter()
                                .map(|(_, superseded)| superseded.session),
                        )
                        .next()
                        .ok_or_else(|| {
                            unknown(
                                "no_session_granted",
                                "the recovery intent granted no session".to_string(),
                            )
                        })?;
                    self.sessions.insert(grant.handle, granted);
                }
            }
            Op::AttachSession {
                replica,
                handle,
                kind,
                budget,
            } => {
                let replica = ReplicaId::new(u32::from(*replica));
                let session = self
                    .orchestrator
                    .attach_session(replica, kind_of(*kind), budget_of(*budget))
                    .map_err(refusal)?;
                self.sessions.insert(*handle, session);
            }
            Op::SupersedeSession {
                replica,
                handle,
                kind,
                budget,
            } => {
                let replica = ReplicaId::new(u32::from(*replica));
                let superseded = self
                    .orchestrator
                    .supersede_session(
                        replica,
                        kind_of(*kind),
                        InvalidateReason::AssignmentIntent,
                        budget_of(*budget),
                    )
                    .map_err(refusal)?;
                self.sessions.insert(*handle, superseded.session);
            }
            Op::Connect { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.begin_connect(replica, session)
                })?;
            }
            Op::Handshake {
                replica,
                handle,
                log,
                ..
            } => {
                let history = self.storage.retained_history().map_err(refusal)?;
                let replica_lineage = Lineage::from_entries(
                    log.iter()
                        .map(|entry| (lsn(entry.lsn), Epoch::new(entry.epoch))),
                )
                .map_err(refusal)?;
                // A storage that installed a base without identity matches nothing.
                let primary_lineage = self.storage.lineage().cloned().unwrap_or_default();
                let report =
                    self.on_session(*replica, *handle, |orchestrator, replica, session| {
                        orchestrator.with_sender(replica, |sender| {
                            sender.record_handshake_by_identity(
                                session,
                                &replica_lineage,
                                &primary_lineage,
                                &history,
                            )
                        })
                    })?;
                let kept = match (report.outcome, report.proof.reason) {
                    (RecoveryOutcome::CatchUp, ProofReason::GapWithinRetention { gap }) => {
                        Some(gap.after.get())
                    }
                    (RecoveryOutcome::CatchUp, _) => Some(report.proof.committed.get()),
                    _ => None,
                };
                return Ok(Answer::Value {
                    field: "handshake",
                    found: reasoned(
                        outcome_name(report.outcome.name(), kept),
                        &report.proof.reason.to_string(),
                    ),
                });
            }
            Op::HandshakeRange {
                replica,
                handle,
                through,
            } => {
                let range = LsnRange::new(Lsn::ZERO, lsn(*through));
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.record_handshake(replica, session, range)
                })?;
            }
            Op::PinWal { pin, after } => {
                let taken = self
                    .storage
                    .pin_wal_retention(lsn(*after))
                    .map_err(refusal)?;
                self.pins.insert(*pin, Pin::Wal(taken));
            }
            Op::PinSnapshot { pin, at } => {
                let taken = self.storage.pin_snapshot(lsn(*at)).map_err(refusal)?;
                self.pins.insert(*pin, Pin::Snapshot(taken));
            }
            Op::PinFullBase { pin, through } => {
                let taken = self.storage.pin_full_base(lsn(*through)).map_err(refusal)?;
                self.pins.insert(*pin, Pin::FullBase(taken));
            }
            Op::Release { pin } => {
                let held = self
                    .pins
                    .remove(pin)
                    .ok_or_else(|| unknown("unknown_pin", format!("no pin under handle {pin}")))?;
                self.release(held);
            }
            Op::BeginCatchUp { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.begin_catch_up(replica, session, now)
                })?;
            }
            Op::RecordTruncation {
                replica,
                handle,
                to,
            } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.record_truncation(replica, session, lsn(*to))
                })?;
            }
            Op::CatchUpProgress {
                replica,
                handle,
                through,
            } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.record_catch_up_progress(replica, session, lsn(*through), now)
                })?;
            }
            Op::CheckBudget { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.check_budget(replica, session, now)
                })?;
            }
            Op::Complete { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.complete(replica, session, now)
                })?;
            }
            Op::AbandonOutrun {
                replica,
                handle,
                head,
            } => {
                self.on_sender(*replica, *handle, |sender, session| {
                    sender.abandon_outrun(session, lsn(*head))
                })?;
            }
            Op::ConfirmOutrun {
                replica,
                handle,
                head,
            } => {
                self.on_copy(*replica, *handle, |copy, session| {
                    copy.abandon_outrun(session, lsn(*head))
                })?;
                counts.outruns_confirmed += 1;
            }
            Op::SelectRebuildSource {
                replica, handle, ..
            } => {
                let history = self.storage.retained_history().map_err(refusal)?;
                let source =
                    self.on_session(*replica, *handle, |orchestrator, replica, session| {
                        orchestrator.select_rebuild_from_history(replica, session, &history)
                    })?;
                return Ok(Answer::Value {
                    field: "rebuild_source",
                    found: engine_source_name(source),
                });
            }
            Op::BeginRebuildTransfer { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.begin_rebuild_transfer(replica, session)
                })?;
            }
            Op::RebuildTransferProgress {
                replica,
                handle,
                through,
            } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.record_rebuild_transfer_progress(replica, session, lsn(*through))
                })?;
            }
            Op::BeginRebuildTailReplay { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.begin_rebuild_tail_replay(replica, session)
                })?;
            }
            Op::RebuildTailProgress {
                replica,
                handle,
                through,
            } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.record_rebuild_tail_progress(replica, session, lsn(*through))
                })?;
            }
            Op::CompleteRebuild { replica, handle } => {
                self.on_session(*replica, *handle, |orchestrator, replica, session| {
                    orchestrator.complete_rebuild(replica, session)
                })?;
            }
            Op::ExpireDeadline {
                replica, handle, ..
            } => {
                let request =
                    self.on_session(*replica, *handle, |orchestrator, replica, session| {
                        orchestrator.expire_deadline(replica, session, now)
                    })?;
                return Ok(Answer::Value {
                    field: "resend",
                    found: retransmit_name(request),
                });
            }
            Op::ProbeBudget {
                replica,
                handle,
                at,
            } => {
                self.on_copy(*replica, *handle, |copy, session| {
                    copy.check_budget(session, Tick::new(*at))
                })?;
            }
            Op::ReadStorage { .. } => {
                let history = self.storage.retained_history().map_err(refusal)?;
                let found = StorageState {
                    head: history.head().get(),
                    flushed: self.storage.flushed().get(),
                    committed: history.committed().get(),
                    checkpoint: history.checkpoint().map(|checkpoint| checkpoint.lsn.get()),
                    recycled_through: history.recycled_through().get(),
                };
                return Ok(Answer::Value {
                    field: "storage",
                    found: found.to_string(),
                });
            }
            Op::ReadAssignment { .. } => {
                let (added, removed) = &self.assigned;
                return Ok(Answer::Value {
                    field: "assignment",
                    found: assignment_name(added, removed),
                });
            }
            Op::ReadEvents {
                replica,
                expect_events,
            } => {
                let log = self.orchestrator.log();
                let seen = self.events_read.insert(*replica, log.len());
                let names: Vec<&str> = log.events()[seen.unwrap_or(0)..]
                    .iter()
                    .filter(|event| event.replica == ReplicaId::new(u32::from(*replica)))
                    .map(|event| event.kind.name())
                    .collect();
                // The log's names in order, other events between them allowed.
                let mut found = names.iter();
                let contained = expect_events
                    .iter()
                    .all(|expected| found.any(|name| name == expected));
                return Ok(Answer::Value {
                    field: "events",
                    found: if contained {
                        expect_events.join(", ")
                    } else {
                        names.join(", ")
                    },
                });
            }
        }
        Ok(Answer::Done)
    }
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
