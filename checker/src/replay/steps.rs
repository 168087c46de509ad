//! The engine step log (`swb-steps/1`): what a model path asks of an engine, one engine call at a
//! time, with the result the engine must give and the view of every replica after each model
//! step. It is the language-neutral exam of issue 17: [`super::derive`] writes it from a model
//! path, [`super::interpret`] drives the Rust engine from it, and an implementation in another
//! language reads the same JSON lines (`docs/step-log.md` is the reference for them).
//!
//! A log is JSON lines: a [`Header`] first, then one [`ModelStep`] per model step (step 0 is the
//! initial state). Every type here serialises with stable snake_case names; nothing holds a
//! map, so the same path always gives the same bytes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The format tag of the first line. A reader refuses any other.
pub const FORMAT: &str = "swb-steps/1";

/// The first line of a step log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Where the path came from: a trace file, or a `conform` walk (`seed S walk W`).
    pub source: String,
    /// The protocol version the model ran (`V1`, `V1.5`, `V2`).
    pub protocol: String,
    /// The stall budget (ticks) every catch-up session is attached with.
    pub stall_ticks_max: u64,
    /// The `docs/engine.md` decisions where a conforming implementation may differ in an
    /// observable view (see [`EXPECTED_DIFFERENCES`]).
    pub expected_differences: Vec<ExpectedDifference>,
}

/// An engine decision that changes an observable view, by its `docs/engine.md` id, and the
/// view fields it can change. An interpreter whose first difference is in one of these fields,
/// at a step that exercises the decision, reports "differs as decision <id> allows" rather
/// than "diverges".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedDifference {
    /// The decision's id in `docs/engine.md` (`§6.2`, ...).
    pub decision: String,
    /// The view fields it can change.
    pub fields: Vec<String>,
    /// The decision in one sentence.
    pub rule: String,
}

/// The engine decisions of `docs/engine.md` (numbered sections) that change an observable
/// view of the step log, by id `engine.md#N`: where another implementation may reasonably
/// show something else. Sorted by section.
pub const EXPECTED_DIFFERENCES: [(&str, &[&str], &str); 9] = [
    (
        "engine.md#5",
        &["truncation"],
        "0 is a legal truncation point: a replica ahead of committed 0 owes a truncation to 0 (upstream: none)",
    ),
    (
        "engine.md#6",
        &["target"],
        "the frozen target is absent before catch-up begins and may be 0 after (upstream: 0 means no cap)",
    ),
    (
        "engine.md#9",
        &["rebuild", "target"],
        "a checkpoint beyond committed is never a rebuild base (full base instead); the rebuild target is always the committed LSN",
    ),
    (
        "engine.md#11",
        &["state"],
        "the replica is rebuilding from the start of the base transfer (upstream: connecting for the whole rebuild)",
    ),
    (
        "engine.md#12",
        &["state", "session"],
        "a budget violation escalates to needs_rebuild inside the engine, in the same call",
    ),
    (
        "engine.md#13",
        &["session"],
        "bootstrap, catch-up and reassign sessions run the same machinery: only the class (catch_up or rebuild) is observable",
    ),
    (
        "engine.md#14",
        &["state", "session"],
        "supersede ends the active session and resets the state before attaching the new one",
    ),
    (
        "engine.md#18",
        &["state", "recovered_to", "target", "truncation"],
        "the handshake compares entry identity (writer epochs), not counters: equal counters with a deposed writer are a truncation, not a zero gap",
    ),
    (
        "engine.md#19",
        &["state", "session"],
        "a session the head outran ends (abandon_outrun) and the next round is a new session; the engine never moves a frozen target",
    ),
];

/// The expected differences as the header carries them.
pub fn expected_differences() -> Vec<ExpectedDifference> {
    EXPECTED_DIFFERENCES
        .iter()
        .map(|(decision, fields, rule)| ExpectedDifference {
            decision: (*decision).to_string(),
            fields: fields.iter().map(|field| (*field).to_string()).collect(),
            rule: (*rule).to_string(),
        })
        .collect()
}

/// One model step: the engine calls it implies, in order, and every replica's view after them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelStep {
    /// 0 for the initial state, `i` for the state after the `i`-th model action.
    pub step: usize,
    /// The model action in the protocol's words (for a reader; an interpreter ignores it).
    pub action: String,
    /// The engine clock for every call of this step (`now`). Never decreases.
    pub tick: u64,
    /// The engine calls, in the order they must be made.
    pub calls: Vec<Call>,
    /// Every replica view of every serving primary after the calls, sorted by (primary, replica).
    pub views: Vec<ExpectedView>,
}

/// One engine call and the result it must have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The serving primary whose engine (registry + storage) the call goes to, by node index.
    pub primary: u8,
    /// What to call.
    #[serde(flatten)]
    pub op: Op,
    /// Whether the engine must accept it or refuse it.
    pub expect: Expect,
}

/// What the engine must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Expect {
    /// The call succeeds.
    Accept,
    /// The call is refused with this class and changes nothing.
    Refuse {
        /// The refusal class.
        class: RefusalClass,
    },
    /// A question whose answer the log does not fix (the engine-side judgements read it).
    Observe,
}

/// Why an engine refuses a call: the classes a step log can expect. An implementation maps
/// its own errors onto them (the Rust engine: the innermost error variant, snake_case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalClass {
    /// The session id is not the sender's current one (a superseded or never-issued handle).
    StaleSession,
    /// The session is no longer active: completed, or invalidated (by an epoch bump, an
    /// endpoint change, an escalation).
    Inactive,
    /// The call carries an epoch older than the engine's.
    StaleEpoch,
    /// A catch-up budget ran out: the session escalates to needs-rebuild.
    BudgetExceeded,
    /// Storage: the checkpoint cannot move while a snapshot is pinned.
    SnapshotPinned,
    /// Storage: the WAL cannot be recycled past a retention pin.
    TailPinned,
    /// A tick earlier than the latest one the session has seen (decision D95).
    TickRegressed,
    /// An outrun claim whose head has not moved past the session's target (decision D95).
    NotOutrun,
}

impl RefusalClass {
    /// Every class, in order (the coverage report lists them all).
    pub const ALL: [RefusalClass; 8] = [
        RefusalClass::StaleSession,
        RefusalClass::Inactive,
        RefusalClass::StaleEpoch,
        RefusalClass::BudgetExceeded,
        RefusalClass::SnapshotPinned,
        RefusalClass::TailPinned,
        RefusalClass::TickRegressed,
        RefusalClass::NotOutrun,
    ];

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            RefusalClass::StaleSession => "stale_session",
            RefusalClass::Inactive => "inactive",
            RefusalClass::StaleEpoch => "stale_epoch",
            RefusalClass::BudgetExceeded => "budget_exceeded",
            RefusalClass::SnapshotPinned => "snapshot_pinned",
            RefusalClass::TailPinned => "tail_pinned",
            RefusalClass::TickRegressed => "tick_regressed",
            RefusalClass::NotOutrun => "not_outrun",
        }
    }
}

impl fmt::Display for RefusalClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A session handle local to the log (`1, 2, ...` in order of first use): names one engine
/// session across calls without the engine's own id, which an implementation chooses.
pub type Handle = u32;

/// A storage pin handle local to the log, like [`Handle`].
pub type PinHandle = u32;

/// A session kind, as `attach_session` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A replica's first recovery (time zero).
    Bootstrap,
    /// Replay of a gap from retained WAL.
    CatchUp,
    /// Recovery opened by a changed assignment (a new address).
    Reassign,
    /// A rebuild from a base image.
    Rebuild,
}

/// The one catch-up budget a log attaches sessions with: no progress for more than
/// `stall_ticks_max` ticks escalates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Ticks without progress before the session escalates.
    pub stall_ticks_max: u64,
}

/// One entry of a replica's durable log: its LSN and the epoch of the primary that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's LSN.
    pub lsn: u64,
    /// Its writer epoch.
    pub epoch: u64,
}

/// A replica in an assignment, at an endpoint version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assigned {
    /// The replica's node index.
    pub replica: u8,
    /// The endpoint version the primary addresses it at.
    pub endpoint: u64,
}

/// The result a handshake must report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HandshakeOutcome {
    /// The replica holds exactly the primary's committed prefix.
    ZeroGap,
    /// The replica keeps its log through `kept` (truncating anything above) and replays
    /// `(kept, committed]` from retained WAL (`kept == committed`: a truncation only).
    CatchUp {
        /// The last LSN the replica keeps.
        kept: u64,
    },
    /// The gap is beyond retained history.
    NeedsRebuild,
}

/// The base a rebuild must choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum RebuildSource {
    /// The trusted checkpoint at `snapshot`, then the WAL after it.
    SnapshotTail {
        /// The checkpoint LSN.
        snapshot: u64,
    },
    /// A full base image at the rebuild's target, and why not snapshot + tail (D100).
    FullBase {
        /// Why the checkpoint cannot be the base.
        reason: FullBaseReason,
    },
}

/// Why a rebuild takes a full base (PROTOCOL.md §7.6), by the names an engine reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullBaseReason {
    /// Nothing is committed: no committed prefix to anchor a snapshot to.
    NothingCommitted,
    /// The primary has no checkpoint.
    NoCheckpoint,
    /// The checkpoint lies beyond committed.
    CheckpointBeyondCommitted,
    /// The WAL after the checkpoint is (partly) recycled.
    TailNotReplayable,
}

impl FullBaseReason {
    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            FullBaseReason::NothingCommitted => "nothing_committed",
            FullBaseReason::NoCheckpoint => "no_checkpoint",
            FullBaseReason::CheckpointBeyondCommitted => "checkpoint_beyond_committed",
            FullBaseReason::TailNotReplayable => "tail_not_replayable",
        }
    }
}

/// Why a handshake reached its outcome (the recoverability proof's reason, D100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofReason {
    /// The replica holds exactly the committed prefix.
    ZeroGap,
    /// The replica holds the committed prefix and more: a truncation only.
    ReplicaAheadNeedsTruncation,
    /// The gap after the kept prefix is inside retained WAL.
    GapWithinRetention,
    /// The gap reaches recycled history.
    GapBeyondRetention,
}

impl ProofReason {
    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ProofReason::ZeroGap => "zero_gap",
            ProofReason::ReplicaAheadNeedsTruncation => "replica_ahead_needs_truncation",
            ProofReason::GapWithinRetention => "gap_within_retention",
            ProofReason::GapBeyondRetention => "gap_beyond_retention",
        }
    }

    /// The reason behind `outcome` when the primary's committed LSN is `committed`: a catch-up
    /// that keeps the whole committed prefix only truncates.
    pub fn of(outcome: HandshakeOutcome, committed: u64) -> ProofReason {
        match outcome {
            HandshakeOutcome::ZeroGap => ProofReason::ZeroGap,
            HandshakeOutcome::NeedsRebuild => ProofReason::GapBeyondRetention,
            HandshakeOutcome::CatchUp { kept } if kept < committed => {
                ProofReason::GapWithinRetention
            }
            HandshakeOutcome::CatchUp { .. } => ProofReason::ReplicaAheadNeedsTruncation,
        }
    }
}

/// An engine call. `replica` is a node index; `handle`/`pin` are the log's own names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// A new primary incarnation: an empty registry and an empty storage.
    StartPrimary {
        /// The epoch it serves in.
        epoch: u64,
    },
    /// The incarnation ends (steps down or crashes): every sender stops, every pin is released.
    EndPrimary,
    /// Storage: append the entry at `lsn` (always the head's successor) written in `epoch`.
    Append {
        /// The LSN.
        lsn: u64,
        /// The writer epoch.
        epoch: u64,
    },
    /// Storage: the log is durable through `through`.
    Flush {
        /// Inclusive.
        through: u64,
    },
    /// Storage: the recovery boundary (committed input) is `through`.
    Commit {
        /// Inclusive.
        through: u64,
    },
    /// Storage: a trusted checkpoint at `at`.
    Checkpoint {
        /// The checkpoint LSN.
        at: u64,
    },
    /// Storage: recycle the WAL through `through`.
    Recycle {
        /// Inclusive.
        through: u64,
    },
    /// Registry: the replica set at `epoch` (new senders created, changed endpoints and the
    /// epoch reconciled, sessions at a changed endpoint or an older epoch invalidated). With
    /// `target`, a recovery session of its kind is granted to that replica under `handle`; an
    /// intent older than the replica's sender is refused `stale_epoch`.
    Assign {
        /// The assignment's epoch.
        epoch: u64,
        /// Every replica, sorted.
        replicas: Vec<Assigned>,
        /// The replica given a recovery session, its kind and the handle naming it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
    },
    /// Registry: attach a new session to a replica that has none.
    AttachSession {
        /// The replica.
        replica: u8,
        /// The new session's handle.
        handle: Handle,
        /// Its kind.
        kind: Kind,
        /// Its budget (`null`: none).
        budget: Option<Budget>,
    },
    /// Registry: replace the replica's active session with a new one.
    SupersedeSession {
        /// The replica.
        replica: u8,
        /// The new session's handle.
        handle: Handle,
        /// Its kind.
        kind: Kind,
        /// Its budget (`null`: none).
        budget: Option<Budget>,
    },
    /// Sender: the session starts connecting.
    Connect {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: handshake by entry identity with the replica's durable log.
    Handshake {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The replica's durable log, every entry through its flushed LSN.
        log: Vec<Entry>,
        /// The outcome the engine must report.
        expect_outcome: HandshakeOutcome,
        /// Why: the reason the engine's recoverability proof must name.
        expect_reason: ProofReason,
    },
    /// Sender: a rebuild handshake over `(0, through]`.
    HandshakeRange {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The primary's committed LSN.
        through: u64,
    },
    /// Storage: pin the WAL after `after` (entries above it are kept).
    PinWal {
        /// The pin's handle.
        pin: PinHandle,
        /// Exclusive.
        after: u64,
    },
    /// Storage: pin the checkpoint image at `at`.
    PinSnapshot {
        /// The pin's handle.
        pin: PinHandle,
        /// The checkpoint LSN.
        at: u64,
    },
    /// Storage: pin a full base through `through`.
    PinFullBase {
        /// The pin's handle.
        pin: PinHandle,
        /// Inclusive.
        through: u64,
    },
    /// Storage: release a pin.
    Release {
        /// The pin's handle.
        pin: PinHandle,
    },
    /// Sender: the handshaken session starts replaying (freezes its target at `now`).
    BeginCatchUp {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: the divergent or ahead tail above `to` was truncated.
    RecordTruncation {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The last LSN kept.
        to: u64,
    },
    /// Sender: the replica is durable through `through`.
    CatchUpProgress {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// Inclusive.
        through: u64,
    },
    /// Sender: check the session's budget at `now` (refused `budget_exceeded`: it escalated).
    CheckBudget {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: the session reached its target; the replica is in sync.
    Complete {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: end the session because the head moved past its frozen target.
    AbandonOutrun {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The primary's head now.
        head: u64,
    },
    /// A question, on a copy of the sender (nothing changes): would `abandon_outrun` accept?
    ConfirmOutrun {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The primary's head now.
        head: u64,
    },
    /// Sender: choose the rebuild's base from retained history.
    SelectRebuildSource {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The base it must choose.
        expect_source: RebuildSource,
    },
    /// Sender: the rebuild's transfer starts.
    BeginRebuildTransfer {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: the base is transferred through `through`.
    RebuildTransferProgress {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// Inclusive.
        through: u64,
    },
    /// Sender: the tail after the snapshot starts replaying.
    BeginRebuildTailReplay {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: the tail replayed through `through`.
    RebuildTailProgress {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// Inclusive.
        through: u64,
    },
    /// Sender: the rebuild reached its target; the replica is in sync.
    CompleteRebuild {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
    },
    /// Sender: the session's deadline expired at `now` (the request or its answer was lost);
    /// the engine must name the request it sends again, identical to the outstanding one, and
    /// change nothing else (a rebuild restarts from its base).
    ExpireDeadline {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The request the engine must send again.
        expect_resend: Resend,
    },
    /// A question, on a copy of the sender (nothing changes): `check_budget` at `now = at`
    /// instead of the step's tick. The log asks it at the budget's edges (decision D95).
    ProbeBudget {
        /// The replica.
        replica: u8,
        /// The session.
        handle: Handle,
        /// The tick to check at.
        at: u64,
    },
    /// A question: the storage's retained history (and flushed LSN) as the log's accepted
    /// storage calls left it (decision D96).
    ReadStorage {
        /// What the storage must report.
        expect_storage: StorageState,
    },
    /// A question: the names of the recovery events the engine recorded about `replica` since
    /// the previous `read_events` of that replica must contain `expect_events`, in order
    /// (other events may come between; decision D97).
    ReadEvents {
        /// The replica.
        replica: u8,
        /// The event names, in order.
        expect_events: Vec<String>,
    },
    /// A question about the previous `assign` call's result: the replicas whose senders it
    /// created and those it stopped and removed, each sorted (decision D97).
    ReadAssignment {
        /// Senders created.
        expect_added: Vec<u8>,
        /// Senders removed.
        expect_removed: Vec<u8>,
    },
}

/// The request an expired deadline sends again (`expire_deadline`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resend {
    /// The handshake probe (the session is connecting).
    Probe,
    /// Catch-up replay from `after` (the last LSN the replica acknowledged) to the session's
    /// frozen target (the view's `target`), first truncating to `truncate_to` while that
    /// truncation is owed.
    CatchUp {
        /// Exclusive: the session's progress.
        after: u64,
        /// The truncation point, while owed (`null`: none).
        truncate_to: Option<u64>,
    },
    /// The rebuild from `base` to the session's target, from its start.
    Rebuild {
        /// The base the rebuild chose.
        base: RebuildSource,
    },
}

/// The storage a `read_storage` call must report: every mark as the accepted storage calls of
/// the log set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageState {
    /// The highest LSN in the WAL.
    pub head: u64,
    /// Durable through.
    pub flushed: u64,
    /// The recovery boundary (committed input).
    pub committed: u64,
    /// The trusted checkpoint (`null`: none).
    pub checkpoint: Option<u64>,
    /// Every LSN at or below it is recycled.
    pub recycled_through: u64,
}

impl fmt::Display for StorageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let checkpoint = self
            .checkpoint
            .map_or_else(|| "none".to_string(), |lsn| lsn.to_string());
        write!(
            f,
            "head {} flushed {} committed {} checkpoint {checkpoint} recycled_through {}",
            self.head, self.flushed, self.committed, self.recycled_through
        )
    }
}

/// The recovery session an assignment grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The replica.
    pub replica: u8,
    /// The session's kind.
    pub kind: Kind,
    /// The new session's handle.
    pub handle: Handle,
}

impl Op {
    /// The engine entry point the call exercises (the coverage report's key).
    pub fn entry_point(&self) -> &'static str {
        match self {
            Op::StartPrimary { .. } => "start_primary",
            Op::EndPrimary => "end_primary",
            Op::Append { .. } => "append",
            Op::Flush { .. } => "flush",
            Op::Commit { .. } => "commit",
            Op::Checkpoint { .. } => "checkpoint",
            Op::Recycle { .. } => "recycle",
            Op::Assign { .. } => "assign",
            Op::AttachSession { .. } => "attach_session",
            Op::SupersedeSession { .. } => "supersede_session",
            Op::Connect { .. } => "connect",
            Op::Handshake { .. } => "handshake",
            Op::HandshakeRange { .. } => "handshake_range",
            Op::PinWal { .. } => "pin_wal",
            Op::PinSnapshot { .. } => "pin_snapshot",
            Op::PinFullBase { .. } => "pin_full_base",
            Op::Release { .. } => "release",
            Op::BeginCatchUp { .. } => "begin_catch_up",
            Op::RecordTruncation { .. } => "record_truncation",
            Op::CatchUpProgress { .. } => "catch_up_progress",
            Op::CheckBudget { .. } => "check_budget",
            Op::Complete { .. } => "complete",
            Op::AbandonOutrun { .. } => "abandon_outrun",
            Op::ConfirmOutrun { .. } => "confirm_outrun",
            Op::SelectRebuildSource { .. } => "select_rebuild_source",
            Op::BeginRebuildTransfer { .. } => "begin_rebuild_transfer",
            Op::RebuildTransferProgress { .. } => "rebuild_transfer_progress",
            Op::BeginRebuildTailReplay { .. } => "begin_rebuild_tail_replay",
            Op::RebuildTailProgress { .. } => "rebuild_tail_progress",
            Op::CompleteRebuild { .. } => "complete_rebuild",
            Op::ExpireDeadline { .. } => "expire_deadline",
            Op::ProbeBudget { .. } => "probe_budget",
            Op::ReadStorage { .. } => "read_storage",
            Op::ReadEvents { .. } => "read_events",
            Op::ReadAssignment { .. } => "read_assignment",
        }
    }

    /// True for the calls that change the primary's storage (a `read_storage` follows them).
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            Op::Append { .. }
                | Op::Flush { .. }
                | Op::Commit { .. }
                | Op::Checkpoint { .. }
                | Op::Recycle { .. }
        )
    }

    /// Every entry point, in the order of [`Op`] (the coverage report lists them all). The
    /// engine's `install_base`, `truncate` (of the primary's own storage) and `invalidate_epoch`
    /// are not in the exam: no model step needs them (design.md D85..D87).
    pub const ENTRY_POINTS: [&'static str; 35] = [
        "start_primary",
        "end_primary",
        "append",
        "flush",
        "commit",
        "checkpoint",
        "recycle",
        "assign",
        "attach_session",
        "supersede_session",
        "connect",
        "handshake",
        "handshake_range",
        "pin_wal",
        "pin_snapshot",
        "pin_full_base",
        "release",
        "begin_catch_up",
        "record_truncation",
        "catch_up_progress",
        "check_budget",
        "complete",
        "abandon_outrun",
        "confirm_outrun",
        "select_rebuild_source",
        "begin_rebuild_transfer",
        "rebuild_transfer_progress",
        "begin_rebuild_tail_replay",
        "rebuild_tail_progress",
        "complete_rebuild",
        "expire_deadline",
        "probe_budget",
        "read_storage",
        "read_events",
        "read_assignment",
    ];
}

/// One replica's expected view after a model step: the fields `replay` compares, each rendered
/// as `docs/step-log.md` says (`none` for an absent value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedView {
    /// The serving primary, by node index.
    pub primary: u8,
    /// The replica, by node index.
    pub replica: u8,
    /// `in_sync`, `disconnected`, `connecting`, `catching_up`, `needs_rebuild`, `rebuilding`.
    pub state: String,
    /// `none`, or `<catch_up|rebuild>/<init|connecting|handshake|catch_up>`.
    pub session: String,
    /// The sender's epoch.
    pub epoch: String,
    /// The endpoint version.
    pub endpoint: String,
    /// An active catch-up's progress, or `none`.
    pub recovered_to: String,
    /// An active catch-up's or rebuild's frozen target, or `none`.
    pub target: String,
    /// The truncation point a catch-up still owes, or `none`.
    pub truncation: String,
    /// `none`, `snapshot_tail@<lsn>/<phase>` or `full_base/<phase>`.
    pub rebuild: String,
}

impl ExpectedView {
    /// The compared fields in comparison order: (name, value).
    pub fn fields(&self) -> [(&'static str, &str); 8] {
        [
            ("state", &self.state),
            ("session", &self.session),
            ("epoch", &self.epoch),
            ("endpoint", &self.endpoint),
            ("recovered_to", &self.recovered_to),
            ("target", &self.target),
            ("truncation", &self.truncation),
            ("rebuild", &self.rebuild),
        ]
    }
}

/// A whole step log: the header and every model step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepLog {
    /// The first line.
    pub header: Header,
    /// One per model step, step 0 first.
    pub steps: Vec<ModelStep>,
}

/// Why a step log cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StepLogError {
    /// A line is not the JSON it should be.
    #[error("line {line}: {error}")]
    Json {
        /// 1-based.
        line: usize,
        /// The parser's message.
        error: serde_json::Error,
    },
    /// The file is empty.
    #[error("empty step log (no header line)")]
    Empty,
    /// The header names another format.
    #[error("format {found:?} is not {FORMAT:?}")]
    Format {
        /// The format found.
        found: String,
    },
    /// Steps are not numbered 0, 1, 2, ...
    #[error("line {line}: step {found}, expected {expected}")]
    Order {
        /// 1-based.
        line: usize,
        /// The number found.
        found: usize,
        /// The number expected.
        expected: usize,
    },
}

impl StepLog {
    /// The log as JSON lines (header first, one line per model step, each ending in `\n`).
    pub fn to_jsonl(&self) -> String {
        let mut text = serde_json::to_string(&self.header).expect("a header serialises");
        text.push('\n');
        for step in &self.steps {
            text.push_str(&serde_json::to_string(step).expect("a step serialises"));
            text.push('\n');
        }
        text
    }

    /// Reads JSON lines written by [`StepLog::to_jsonl`] (or by another tool).
    pub fn from_jsonl(text: &str) -> Result<StepLog, StepLogError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty());
        let (_, first) = lines.next().ok_or(StepLogError::Empty)?;
        let header: Header =
            serde_json::from_str(first).map_err(|error| StepLogError::Json { line: 1, error })?;
        if header.format != FORMAT {
            return Err(StepLogError::Format {
                found: header.format,
            });
        }
        let mut steps = Vec::new();
        for (index, line) in lines {
            let step: ModelStep =
                serde_json::from_str(line).map_err(|error| StepLogError::Json {
                    line: index + 1,
                    error,
                })?;
            if step.step != steps.len() {
                return Err(StepLogError::Order {
                    line: index + 1,
                    found: step.step,
                    expected: steps.len(),
                });
            }
            steps.push(step);
        }
        Ok(StepLog { header, steps })
    }
}

/// Engine-call coverage: every entry point and every refusal class (`refused:<class>`, counted
/// when the engine gave the refusal the log expected), with how often it was exercised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Every entry point and refusal class, zero counts included, sorted by name.
    pub coverage: std::collections::BTreeMap<String, u64>,
    /// The names whose count is zero, sorted.
    pub never_called: Vec<String>,
}

impl Coverage {
    /// The coverage of the counts `found` (as the interpreter keys them).
    pub fn of<'a>(
        found: impl IntoIterator<Item = &'a std::collections::BTreeMap<String, u64>>,
    ) -> Coverage {
        let mut coverage: std::collections::BTreeMap<String, u64> = Op::ENTRY_POINTS
            .iter()
            .map(|entry| (entry.to_string(), 0))
            .chain(
                RefusalClass::ALL
                    .iter()
                    .map(|class| (format!("refused:{class}"), 0)),
            )
            .collect();
        for counts in found {
            for (name, count) in counts {
                *coverage.entry(name.clone()).or_default() += count;
            }
        }
        let never_called = coverage
            .iter()
            .filter(|(_, count)| **count == 0)
            .map(|(name, _)| name.clone())
            .collect();
        Coverage {
            coverage,
            never_called,
        }
    }
}
