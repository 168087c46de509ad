//! The guard each [`Mutant`] breaks: the protocol handler's file and the rule, as data.
//!
//! A guard is a condition in a handler that refuses, fences, escalates, truncates or waits
//! (issue 16). Every mutant removes or weakens exactly one guard, the others intact, so
//! `swb-check mutants` can say of each guard whether some property notices its absence. The
//! first twelve mutants predate the table: each was written to break one property, and is
//! listed here by the guard it breaks like the others (D70 in `docs/design.md`).

use crate::policy::Mutant;
use serde::Serialize;

/// The model file a guard lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardFile {
    /// `model/src/coordinator.rs`.
    Coordinator,
    /// `model/src/primary.rs`.
    Primary,
    /// `model/src/replica.rs`.
    Replica,
    /// `model/src/wal.rs`.
    Wal,
    /// `model/src/policy.rs` (a V2 decision point).
    Policy,
    /// `model/src/deadline.rs` (a recovery deadline, D40).
    Deadline,
}

impl GuardFile {
    /// The file's path in the workspace.
    pub const fn path(self) -> &'static str {
        match self {
            GuardFile::Coordinator => "model/src/coordinator.rs",
            GuardFile::Primary => "model/src/primary.rs",
            GuardFile::Replica => "model/src/replica.rs",
            GuardFile::Wal => "model/src/wal.rs",
            GuardFile::Deadline => "model/src/deadline.rs",
            GuardFile::Policy => "model/src/policy.rs",
        }
    }
}

/// One guard: where it is and the rule it enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The file.
    pub file: GuardFile,
    /// The handler (function) holding the guard.
    pub handler: &'static str,
    /// The rule, as the guard states it.
    pub rule: &'static str,
}

impl std::fmt::Display for Guard {
    /// `file (handler): rule`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.file.path(), self.handler, self.rule)
    }
}

const fn guard(file: GuardFile, handler: &'static str, rule: &'static str) -> Guard {
    Guard {
        file,
        handler,
        rule,
    }
}

impl Mutant {
    /// The guard this mutant removes or weakens.
    pub const fn guard(self) -> Guard {
        use GuardFile::*;
        use Mutant::*;
        match self {
            PromoteWithoutLineageCheck => guard(
                Policy,
                "promotion / eligible",
                "V2 promotes lineage first: the candidate's entry at C is the committed entry",
            ),
            KeepUncommittedTailOnPromotion => guard(
                Primary,
                "become_primary",
                "a new primary cuts its log at the first older-epoch entry above C",
            ),
            ReplicaAcceptsStaleEpoch => guard(
                Replica,
                "on_msg",
                "traffic stamped with an older epoch than the node's is dropped",
            ),
            CatchUpWithoutReservation => guard(
                Policy,
                "recoverability / retire_history",
                "V2 pins every running catch-up's and rebuild's range against recycling",
            ),
            HandshakeComparesLsnOnly => guard(
                Primary,
                "handshake",
                "the match point is the common prefix of the two logs by entry, not by LSN counter",
            ),
            AckBeforeFlush => guard(
                Replica,
                "apply / Write",
                "a live write is flushed before it is acknowledged",
            ),
            PromoteAnyResponder => guard(
                Coordinator,
                "eligible",
                "only a candidate that holds Ref(C) may be promoted",
            ),
            ReplicaIgnoresEndpointVersion => guard(
                Replica,
                "apply",
                "traffic addressed to an endpoint the replica has left never lands",
            ),
            CountLateBarrierAck => guard(
                Primary,
                "on_msg / BarrierAck",
                "an ack counts only while its sender is in the live stream",
            ),
            CompleteAtFirstChunk => guard(
                Primary,
                "on_msg / CatchUpAck",
                "a catch-up completes only when its progress reaches the frozen target",
            ),
            IgnoreCatchUpBudget => guard(
                Primary,
                "finish_round",
                "a session over its round budget escalates to NeedsRebuild",
            ),
            SnapshotFromCurrentLog => guard(
                Primary,
                "start_rebuild",
                "a snapshot+tail rebuild's base is the checkpoint, not the head",
            ),
            CoordinatorAcceptsStaleEpoch => guard(
                Coordinator,
                "on_msg",
                "traffic stamped with an older epoch than E is dropped first",
            ),
            PromoteOnOtherEpochAck => guard(
                Coordinator,
                "on_msg / EpochAck",
                "only an ack of the current epoch E is a candidacy",
            ),
            PromoteWhileServing => guard(
                Coordinator,
                "on_msg / EpochAck",
                "no promotion while the epoch has a primary",
            ),
            PromoteWithoutRecoverablePrefix => guard(
                Coordinator,
                "eligible",
                "the candidate's recoverable LSN reaches C",
            ),
            CommitReportOfOtherEpoch => guard(
                Coordinator,
                "on_msg / CommitReport",
                "only a report of the current epoch E moves C",
            ),
            CommitReportFromNonPrimary => guard(
                Coordinator,
                "on_msg / CommitReport",
                "only the epoch's primary moves C",
            ),
            CommitBoundaryMayDecrease => {
                guard(Coordinator, "on_msg / CommitReport", "C only rises")
            }
            RebuildIntentOfOtherEpoch => guard(
                Coordinator,
                "on_msg / NeedsRebuild",
                "only a report of the current epoch E gets a rebuild intent",
            ),
            RebuildIntentFromNonPrimary => guard(
                Coordinator,
                "on_msg / NeedsRebuild",
                "only the epoch's primary gets a rebuild intent",
            ),
            EndpointCacheAcceptsOlder => guard(
                Coordinator,
                "on_msg / Heartbeat",
                "the endpoint cache only moves to a newer endpoint version",
            ),
            ReassignThePrimary => guard(
                Coordinator,
                "on_msg / Heartbeat",
                "the primary's own heartbeat sends no recovery intent",
            ),
            RejoinControlPlaneOnly => guard(
                Policy,
                "rejoin",
                "V2 sends the primary a recovery intent on every rejoin",
            ),
            BarrierTimeoutInAnyPhase => guard(
                Primary,
                "on_barrier_timeout",
                "a barrier timer fires only while its barrier is outstanding",
            ),
            CatchUpTimeoutInAnyPhase => guard(
                Primary,
                "on_catch_up_timeout",
                "a catch-up timer fires only while the sender catches up",
            ),
            IgnoreCatchUpTimeout => guard(
                Policy,
                "catch_up_convergence / on_catch_up_timeout",
                "V2 escalates a catch-up that timed out",
            ),
            StallOnLostReservation => guard(
                Policy,
                "recoverability / send_chunk",
                "V2 escalates a catch-up whose range is no longer retained",
            ),
            RebuildWithoutReservation => guard(
                Primary,
                "retire_history",
                "a running rebuild's base pins history against recycling",
            ),
            RecycleInsideRetentionWindow => guard(
                Primary,
                "retire_history",
                "the flusher keeps the retention window behind the head",
            ),
            RecycleBeyondCommitted => guard(
                Primary,
                "retire_history",
                "the flusher recycles at most through the confirmed boundary C",
            ),
            JoinBehindHead => guard(
                Primary,
                "finish_round",
                "a replica joins the live stream only at the head",
            ),
            CommitWithoutQuorum => guard(
                Primary,
                "try_commit",
                "an LSN is proposed only with the required durable copies",
            ),
            CommitCountsSentWrites => guard(
                Primary,
                "try_commit",
                "only acknowledged flushes count, never sends",
            ),
            TakeOfficeAtAssignedCommitted => guard(
                Primary,
                "become_primary",
                "office is taken at the newer of the assignment's C and the own checkpoint (D37)",
            ),
            TruncateOwnEpochTailOnPromotion => guard(
                Primary,
                "become_primary",
                "the new primary keeps its own current-epoch entries above C",
            ),
            ShipWritesToAllSenders => guard(
                Primary,
                "on_client_write",
                "live writes go only to replicas in the live stream",
            ),
            BarrierAckMayRegress => guard(
                Primary,
                "on_msg / BarrierAck",
                "an ack only raises the acknowledged point",
            ),
            BarrierAckBeyondOutstanding => guard(
                Primary,
                "on_msg / BarrierAck",
                "an ack never exceeds the outstanding barrier",
            ),
            BarrierAckOfOtherAdmission => guard(
                Primary,
                "on_msg / BarrierAck",
                "an ack counts only for the admission (session) its write was sent under",
            ),
            ProbeReplyOfOtherSession => guard(
                Primary,
                "on_msg / ProbeReply",
                "a probe reply counts only for the session the sender is connecting",
            ),
            CatchUpAckOfOtherSession => guard(
                Primary,
                "on_msg / CatchUpAck",
                "a catch-up ack counts only for the running session",
            ),
            CatchUpAckMayRegress => guard(
                Primary,
                "on_msg / CatchUpAck",
                "a catch-up ack must advance progress",
            ),
            CatchUpAckBeyondTarget => guard(
                Primary,
                "on_msg / CatchUpAck",
                "a catch-up ack never exceeds the frozen target",
            ),
            RebuildAckOfOtherSession => guard(
                Primary,
                "on_msg / RebuildAck",
                "a rebuild ack counts only for the running rebuild",
            ),
            RebuildAckShortOfTarget => guard(
                Primary,
                "on_msg / RebuildAck",
                "a rebuild completes only at its frozen target",
            ),
            CommitAckMayLower => guard(
                Primary,
                "on_msg / CommitAck",
                "the primary's confirmed boundary only rises",
            ),
            RebuildWithoutEscalation => guard(
                Primary,
                "on_msg / Reassign",
                "a rebuild intent starts a rebuild only of a replica in NeedsRebuild",
            ),
            EndpointChangeKeepsSession => guard(
                Primary,
                "on_msg / Reassign",
                "an endpoint change invalidates the running session: a new one starts (T8)",
            ),
            ReassignKeepsOldEndpoint => guard(
                Primary,
                "on_msg / Reassign",
                "the sender takes the intent's endpoint",
            ),
            HandshakeNeverTruncates => guard(
                Primary,
                "handshake",
                "a replica tail beyond the match point is truncated by the first chunk (T9)",
            ),
            ZeroGapIgnoresAheadTail => guard(
                Primary,
                "handshake",
                "zero gap needs no tail beyond the match point (T2)",
            ),
            CatchUpBeyondRetention => guard(
                Primary,
                "handshake",
                "a gap not in retained history escalates at once (T10)",
            ),
            RebuildReusesSession => guard(
                Primary,
                "start_rebuild",
                "every rebuild gets a new session id",
            ),
            ReconnectReusesSession => guard(
                Primary,
                "start_session",
                "every reconnect gets a new session id",
            ),
            AdoptOlderEpoch => guard(
                Replica,
                "on_msg / NewEpoch",
                "a node adopts only a newer epoch",
            ),
            ReapplyAssignment => guard(
                Replica,
                "on_msg / Assign",
                "an assignment already applied, or of an older epoch, is dropped",
            ),
            JoiningNodeAcceptsTraffic => guard(
                Replica,
                "on_msg",
                "a joining node waits for its assignment before any replication traffic",
            ),
            ReplicaAcceptsNewerEpoch => guard(
                Replica,
                "on_msg",
                "traffic of a newer epoch waits until the coordinator's word arrives",
            ),
            ReplicaReappliesWrite => guard(
                Replica,
                "apply / Write",
                "a live write at or below the head is not applied again",
            ),
            ProbeOfOlderSessionAccepted => guard(
                Replica,
                "apply / Probe",
                "a probe of an older session than the last accepted is ignored",
            ),
            ProbeKeepsVolatileTail => guard(
                Replica,
                "apply / Probe",
                "the handshake discards the volatile tail",
            ),
            CatchUpOfOtherSessionApplied => guard(
                Replica,
                "apply / CatchUp",
                "only the session last probed may change the log",
            ),
            TruncateOnEveryDelivery => guard(
                Replica,
                "apply / CatchUp",
                "a session's truncation is carried out once",
            ),
            TruncateAboveHead => guard(
                Replica,
                "apply / CatchUp",
                "a truncation point above the head is refused",
            ),
            RebuildOfOlderSessionApplied => guard(
                Replica,
                "apply / Rebuild",
                "only a rebuild of a newer session is installed",
            ),
            AppendWithoutLogMatching => guard(
                Wal,
                "append",
                "an append names the entry it follows (log matching)",
            ),
            TruncateInsideBase => guard(
                Wal,
                "truncate_after",
                "a truncation inside the trusted base image is refused",
            ),
            MergeWithoutOverlapCheck => guard(
                Wal,
                "can_merge",
                "a chunk starts at or below the head and agrees where it overlaps",
            ),
            PrimaryAcceptsStaleReply => guard(
                Replica,
                "on_msg",
                "a reply stamped with an older epoch than the primary's is dropped",
            ),
            NoHandshakeDeadline => guard(
                Deadline,
                "offer_expired / HandshakeDeadline",
                "a connecting sender whose probe exchange is gone re-sends the probe (D40, D41)",
            ),
            ReplicaIgnoresRepeatedProbe => guard(
                Replica,
                "on_msg / Probe",
                "a repeated probe of the session the replica last answered is answered again (D42)",
            ),
            FollowStaleRecoveryIntent => guard(
                Primary,
                "on_msg / Reassign",
                "a recovery intent naming an older endpoint than the sender addresses is dropped (D38)",
            ),
        }
    }
}
