//! One error enum per concern. Every refused call leaves the engine unchanged unless the error
//! says otherwise (`SenderError::BudgetExceeded` reports an escalation that did happen).

use crate::budget::BudgetViolation;
use crate::plan::PinKind;
use crate::rebuild::RebuildPhase;
use crate::session::phase::SessionPhase;
use crate::types::{Epoch, Lsn, LsnRange, ReplicaId, SessionId, SessionKind, Tick};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A retained-history description that contradicts itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum HistoryError {
    /// More was recycled than was ever written.
    #[error("recycled through {recycled_through} beyond head {head}")]
    RecycledBeyondHead {
        /// The claimed recycle point.
        recycled_through: Lsn,
        /// The head.
        head: Lsn,
    },
    /// Committed beyond the primary's own head.
    #[error("committed {committed} beyond head {head}")]
    CommittedBeyondHead {
        /// The claimed committed LSN.
        committed: Lsn,
        /// The head.
        head: Lsn,
    },
    /// A checkpoint beyond the head.
    #[error("checkpoint {checkpoint} beyond head {head}")]
    CheckpointBeyondHead {
        /// The claimed checkpoint.
        checkpoint: Lsn,
        /// The head.
        head: Lsn,
    },
    /// A checkpoint at 0 (no checkpoint is `None`).
    #[error("checkpoint at lsn 0")]
    CheckpointAtZero,
}

/// A lineage that would describe a log with a hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum LineageError {
    /// An entry not at head + 1.
    #[error("lineage entry at {presented}, expected {expected}")]
    OutOfOrder {
        /// The LSN after the head.
        expected: Lsn,
        /// The LSN presented.
        presented: Lsn,
    },
}

/// Why an execution call was refused by the authority check (T7). Checked first, in this
/// order: stopped, no session, stale session id, inactive session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum AuthorityError {
    /// The sender was stopped.
    #[error("sender {replica} is stopped")]
    Stopped {
        /// The sender's replica.
        replica: ReplicaId,
    },
    /// The sender never had a session.
    #[error("sender {replica} has no session")]
    NoSession {
        /// The sender's replica.
        replica: ReplicaId,
    },
    /// The id presented is not the sender's current session.
    #[error("session {presented} is stale; the current session is {current}")]
    StaleSession {
        /// The id the caller presented.
        presented: SessionId,
        /// The sender's current session.
        current: SessionId,
    },
    /// The id is current but its session has ended.
    #[error("session {session} is no longer active ({phase})")]
    Inactive {
        /// The ended session.
        session: SessionId,
        /// How it ended.
        phase: SessionPhase,
    },
}

/// A phase change outside the legal edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
#[error("illegal session phase edge {from} -> {to}")]
pub struct PhaseError {
    /// The current phase.
    pub from: SessionPhase,
    /// The requested phase.
    pub to: SessionPhase,
}

/// A refused rebuild step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum RebuildError {
    /// The step needs another phase.
    #[error("rebuild step needs phase {expected}, found {found}")]
    WrongPhase {
        /// The phase the step needs.
        expected: RebuildPhase,
        /// The current phase.
        found: RebuildPhase,
    },
    /// A snapshot source at LSN 0.
    #[error("snapshot source at lsn 0")]
    SnapshotAtZero,
    /// The snapshot lies beyond the rebuild target.
    #[error("snapshot {snapshot} beyond target {target}")]
    SnapshotBeyondTarget {
        /// The snapshot LSN.
        snapshot: Lsn,
        /// The frozen target.
        target: Lsn,
    },
    /// Progress did not strictly increase.
    #[error("progress regression: {presented} is not beyond {current}")]
    ProgressRegression {
        /// The recorded progress.
        current: Lsn,
        /// The refused progress.
        presented: Lsn,
    },
    /// Snapshot transfer progress past the snapshot.
    #[error("transfer progress {presented} beyond snapshot {snapshot}")]
    ProgressBeyondSnapshot {
        /// The snapshot LSN.
        snapshot: Lsn,
        /// The refused progress.
        presented: Lsn,
    },
    /// Tail progress past the frozen target.
    #[error("tail progress {presented} beyond target {target}")]
    ProgressBeyondTarget {
        /// The frozen target.
        target: Lsn,
        /// The refused progress.
        presented: Lsn,
    },
    /// Tail replay asked of a full-base rebuild.
    #[error("a full-base rebuild has no tail to replay")]
    FullBaseHasNoTail,
    /// Tail replay before the snapshot is installed.
    #[error("snapshot transfer incomplete: {transferred_to} of {snapshot}")]
    TransferIncomplete {
        /// The installed progress.
        transferred_to: Lsn,
        /// The snapshot LSN.
        snapshot: Lsn,
    },
    /// Completion before the rebuild is ready.
    #[error("rebuild not ready to complete (phase {phase})")]
    NotReady {
        /// The current phase.
        phase: RebuildPhase,
    },
}

/// Why a catch-up completion was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum CompletionRefusal {
    /// A rebuild session completes only through `complete_rebuild`.
    #[error("rebuild sessions complete through complete_rebuild")]
    RebuildSession,
    /// The divergent tail has not been truncated yet (T9).
    #[error("truncation to {to} required before completion")]
    TruncationUnrecorded {
        /// The required truncation point.
        to: Lsn,
    },
    /// Catch-up has not reached the frozen target.
    #[error("not converged: recovered {recovered_to} of {target}")]
    NotConverged {
        /// Progress so far.
        recovered_to: Lsn,
        /// The frozen target.
        target: Lsn,
    },
    /// Completion from the handshake needs an empty range.
    #[error("handshake range {range} is not empty")]
    RangeNotEmpty {
        /// The handshake range.
        range: LsnRange,
    },
    /// Completion is impossible from this phase.
    #[error("cannot complete from phase {phase}")]
    WrongPhase {
        /// The current phase.
        phase: SessionPhase,
    },
}

/// A refused sender call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum SenderError {
    /// The authority check failed.
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The call needs a different session phase.
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// The rebuild state machine refused the step.
    #[error(transparent)]
    Rebuild(#[from] RebuildError),
    /// A session cannot be attached to a stopped sender.
    #[error("sender {replica} is stopped")]
    Stopped {
        /// The sender's replica.
        replica: ReplicaId,
    },
    /// A session must carry the sender's epoch.
    #[error("session epoch {requested} differs from sender epoch {sender}")]
    EpochMismatch {
        /// The epoch asked for.
        requested: Epoch,
        /// The sender's epoch.
        sender: Epoch,
    },
    /// Only one session may be active per replica.
    #[error("session {current} is still active")]
    SessionActive {
        /// The active session.
        current: SessionId,
    },
    /// A budget was offered to a rebuild session, which never checks one.
    #[error("a rebuild session cannot carry a catch-up budget")]
    BudgetOnRebuild,
    /// A catch-up call on a rebuild session.
    #[error("session {session} is a rebuild session")]
    RebuildSession {
        /// The session.
        session: SessionId,
    },
    /// A rebuild call on a catch-up session.
    #[error("session {session} is a {kind} session, not a rebuild")]
    NotRebuildSession {
        /// The session.
        session: SessionId,
        /// Its kind.
        kind: SessionKind,
    },
    /// A handshake range whose target lies below its start.
    #[error("handshake target below start in {range}")]
    TargetBelowStart {
        /// The refused range.
        range: LsnRange,
    },
    /// Catch-up progress that did not strictly increase (§7.9).
    #[error("progress regression: {presented} is not beyond {recovered_to}")]
    ProgressRegression {
        /// Progress so far.
        recovered_to: Lsn,
        /// The refused progress.
        presented: Lsn,
    },
    /// Catch-up progress past the frozen target (§7.8).
    #[error("progress {presented} beyond frozen target {frozen_target}")]
    BeyondFrozenTarget {
        /// The frozen target.
        frozen_target: Lsn,
        /// The refused progress.
        presented: Lsn,
    },
    /// A tick earlier than one the session already saw.
    #[error("tick {presented} is before {latest}")]
    TickRegressed {
        /// The latest tick seen.
        latest: Tick,
        /// The refused tick.
        presented: Tick,
    },
    /// No truncation is required for this session.
    #[error("no truncation is required")]
    TruncationNotRequired,
    /// A deadline expired for a session that waits on nothing (`docs/engine.md` §21).
    #[error("session in phase {phase} waits on no request")]
    NothingAwaited {
        /// The session's phase.
        phase: SessionPhase,
    },
    /// Only a session that reached its frozen target while the head moved past it may be
    /// abandoned as outrun.
    #[error("session not outrun: target reached {reached:?}, head {head}")]
    NotOutrun {
        /// The frozen target, when the session has reached it.
        reached: Option<Lsn>,
        /// The head presented.
        head: Lsn,
    },
    /// The truncation point differs from the required one.
    #[error("truncation to {presented} but {required} is required")]
    TruncationMismatch {
        /// The required point.
        required: Lsn,
        /// The refused point.
        presented: Lsn,
    },
    /// The truncation was already recorded.
    #[error("truncation to {to} already recorded")]
    TruncationAlreadyRecorded {
        /// The recorded point.
        to: Lsn,
    },
    /// Completion was refused (nothing changed).
    #[error("completion refused: {0}")]
    CompletionRefused(CompletionRefusal),
    /// The budget was exceeded: the session was invalidated and the replica needs a rebuild.
    #[error("budget exceeded ({0}); escalated to needs_rebuild")]
    BudgetExceeded(BudgetViolation),
}

/// A refused storage operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum StorageError {
    /// No trusted snapshot exists at the requested LSN.
    #[error("no trusted snapshot at {requested}")]
    NoSnapshot {
        /// The requested LSN.
        requested: Lsn,
    },
    /// The WAL from the requested point is already (partly) recycled.
    #[error("wal after {from} already recycled through {recycled_through}")]
    Recycled {
        /// The requested start (exclusive).
        from: Lsn,
        /// The recycle point.
        recycled_through: Lsn,
    },
    /// A full base at a point the store has not committed.
    #[error("full base at {requested} unavailable; committed is {committed}")]
    FullBaseUnavailable {
        /// The requested LSN.
        requested: Lsn,
        /// The store's committed LSN.
        committed: Lsn,
    },
    /// A fault injected by a test or replay harness.
    #[error("injected {kind} pin failure")]
    InjectedPinFailure {
        /// The pin that failed.
        kind: PinKind,
    },
    /// An append not at head + 1 (the WAL is contiguous).
    #[error("append at {presented}, expected {expected}")]
    AppendOutOfOrder {
        /// The next LSN.
        expected: Lsn,
        /// The refused LSN.
        presented: Lsn,
    },
    /// A boundary moved past its upper bound (flushed ≤ head, committed ≤ flushed, …).
    #[error("{presented} beyond bound {bound}")]
    BeyondBound {
        /// The upper bound.
        bound: Lsn,
        /// The refused value.
        presented: Lsn,
    },
    /// A boundary that only rises was asked to fall.
    #[error("{presented} below current {current}")]
    Regression {
        /// The current value.
        current: Lsn,
        /// The refused value.
        presented: Lsn,
    },
    /// Tail advance past an active WAL pin.
    #[error("tail {requested} would recycle wal pinned after {pinned_after}")]
    TailPinned {
        /// The requested recycle point.
        requested: Lsn,
        /// The lowest active pin start.
        pinned_after: Lsn,
    },
    /// A checkpoint change while a snapshot pin holds the current image.
    #[error("snapshot at {pinned} is pinned")]
    SnapshotPinned {
        /// The pinned snapshot.
        pinned: Lsn,
    },
    /// Truncation below the committed prefix or into recycled history.
    #[error("truncation to {requested} below floor {floor}")]
    TruncateBelowFloor {
        /// The requested point.
        requested: Lsn,
        /// The lowest legal point.
        floor: Lsn,
    },
    /// The store's figures do not form a valid retained history.
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// A failure reported by an IO port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum IoError {
    /// The transfer failed (connection lost, remote refused).
    #[error("transport failed")]
    Transport,
    /// The divergent tail already reached the replica's extent: truncation is unsafe.
    #[error("truncation unsafe: ahead entries already applied to the extent")]
    TruncationUnsafe,
}

/// A refused orchestrator call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum OrchestrateError {
    /// No sender for that replica.
    #[error("no sender for replica {replica}")]
    UnknownReplica {
        /// The replica asked for.
        replica: ReplicaId,
    },
    /// The sender has no active session.
    #[error("replica {replica} has no active session")]
    NoActiveSession {
        /// The replica asked for.
        replica: ReplicaId,
    },
    /// The sender refused.
    #[error(transparent)]
    Sender(#[from] SenderError),
}

/// A refused or failed plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum PlanError {
    /// The orchestrator refused (unknown replica, authority, phase …).
    #[error(transparent)]
    Orchestrate(#[from] OrchestrateError),
    /// A rebuild plan needs a rebuild session.
    #[error("session {session} is a {kind} session, not a rebuild")]
    NotRebuildSession {
        /// The session.
        session: SessionId,
        /// Its kind.
        kind: SessionKind,
    },
    /// Reading the retained history failed.
    #[error("retained history unavailable: {0}")]
    History(StorageError),
    /// A pin could not be taken; the session was invalidated.
    #[error("{kind} pin failed: {source}")]
    PinFailed {
        /// The pin that failed.
        kind: PinKind,
        /// The storage refusal.
        source: StorageError,
    },
}

/// Why an executor stopped. Every executor exit has released the plan's pins and, if the
/// session was still current, invalidated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum ExecuteError {
    /// The orchestrator or sender refused a step (stale session, phase, budget …).
    #[error(transparent)]
    Orchestrate(#[from] OrchestrateError),
    /// An IO port failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// An IO port reported progress outside the range it was asked for.
    #[error("io reported {presented}, outside {expected}")]
    IoOutOfRange {
        /// The range asked for.
        expected: LsnRange,
        /// What the port reported.
        presented: Lsn,
    },
    /// A full-base transfer achieved less than the target (T16).
    #[error("full base achieved {achieved}, below target {target}")]
    FullBaseShort {
        /// The target.
        target: Lsn,
        /// What the port achieved.
        achieved: Lsn,
    },
}

impl From<SenderError> for ExecuteError {
    fn from(error: SenderError) -> ExecuteError {
        ExecuteError::Orchestrate(OrchestrateError::Sender(error))
    }
}

impl From<SenderError> for PlanError {
    fn from(error: SenderError) -> PlanError {
        PlanError::Orchestrate(OrchestrateError::Sender(error))
    }
}
