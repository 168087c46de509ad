//! The decision points where V1, V1.5 and V2 differ, and nowhere else (PROTOCOL.md §5.1).
//!
//! One model core serves every version: the actors ask these hooks at each decision point, and
//! every other rule (epoch fencing, endpoint checks, commit counting, the handshake's lineage
//! comparison) is shared code. Each hook is named after upstream's policy axis; where upstream
//! left a version's behaviour open, the choice and its source are written in
//! `docs/design.md` ("Protocol versions").
//!
//! [`Mutant`] is the other kind of variation: a deliberately broken rule, one per safety
//! property, used by the tests to prove each property can fail. No mutant is ever on by default.

use crate::cfg::ProtocolVersion;
use serde::{Deserialize, Serialize};

/// Whether the primary may bring a lagging replica back by replaying its WAL
/// (`CanAttemptCatchup`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchUpAttempt {
    /// Catch-up is possible (V1.5, V2).
    Allowed,
    /// A lagging replica is degraded for good (V1: "degrade quickly; no catch-up window").
    Degrade,
}

/// What makes a catch-up stop chasing a moving head (`CatchupConvergencePolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchUpConvergence {
    /// V2: a frozen target per round, a round budget and a catch-up timeout; breaking either
    /// escalates explicitly to NeedsRebuild.
    EscalateOnBudget,
    /// V1.5: keep chasing; a catch-up timeout stalls nothing and escalates nothing.
    ChaseWithoutBudget,
}

/// How a catch-up's range is kept replayable (`RecoverabilityPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recoverability {
    /// V2: the range is checked at admission and pinned (a reservation) until the session ends,
    /// so retention cannot recycle it mid-recovery; losing it aborts to NeedsRebuild.
    CheckAndReserve,
    /// V1.5: the range is checked at admission only; retention may recycle it afterwards.
    RetentionWindow,
}

/// What the control plane does when a replica rejoins (`RestartRejoinPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejoinAction {
    /// The coordinator sends the primary a recovery intent at the replica's current endpoint.
    Reassign,
    /// Nothing: the replica stays where the data path left it ("control_plane_only").
    ControlPlaneOnly,
}

/// Whether a replica restarted at the same address or at a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressChange {
    /// The endpoint version is unchanged.
    Same,
    /// The endpoint version rose.
    Changed,
}

/// Which election replies the coordinator may promote (`PromotionPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromotionRule {
    /// V2: lineage first. The candidate adopted the new epoch, its recoverable LSN reaches the
    /// committed boundary C, and its entry at C is the committed entry (same writer epoch).
    LineageFirst,
    /// V1.5: the committed-prefix counter only: recoverable LSN ≥ C, no identity check.
    CommittedPrefixCounter,
    /// V1: any node that adopted the new epoch ("weaker lineage reasoning").
    AnyResponder,
}

/// The policy of one protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The version.
    pub version: ProtocolVersion,
}

impl Policy {
    /// The policy of `version`.
    pub const fn of(version: ProtocolVersion) -> Policy {
        Policy { version }
    }

    /// `CanAttemptCatchup`.
    pub const fn catch_up_attempt(self) -> CatchUpAttempt {
        match self.version {
            ProtocolVersion::V1 => CatchUpAttempt::Degrade,
            ProtocolVersion::V1_5 | ProtocolVersion::V2 => CatchUpAttempt::Allowed,
        }
    }

    /// `CatchupConvergencePolicy`.
    pub const fn catch_up_convergence(self) -> CatchUpConvergence {
        match self.version {
            ProtocolVersion::V2 => CatchUpConvergence::EscalateOnBudget,
            ProtocolVersion::V1 | ProtocolVersion::V1_5 => CatchUpConvergence::ChaseWithoutBudget,
        }
    }

    /// `RecoverabilityPolicy`.
    pub const fn recoverability(self) -> Recoverability {
        match self.version {
            ProtocolVersion::V2 => Recoverability::CheckAndReserve,
            ProtocolVersion::V1 | ProtocolVersion::V1_5 => Recoverability::RetentionWindow,
        }
    }

    /// `RestartRejoinPolicy` (and `ChangedAddressRestartAction`).
    pub const fn rejoin(self, address: AddressChange) -> RejoinAction {
        match (self.version, address) {
            (ProtocolVersion::V2, _) => RejoinAction::Reassign,
            (ProtocolVersion::V1_5, AddressChange::Same) => RejoinAction::Reassign,
            (ProtocolVersion::V1_5, AddressChange::Changed) => RejoinAction::ControlPlaneOnly,
            (ProtocolVersion::V1, _) => RejoinAction::ControlPlaneOnly,
        }
    }

    /// `PromotionPolicy`.
    pub const fn promotion(self) -> PromotionRule {
        match self.version {
            ProtocolVersion::V2 => PromotionRule::LineageFirst,
            ProtocolVersion::V1_5 => PromotionRule::CommittedPrefixCounter,
            ProtocolVersion::V1 => PromotionRule::AnyResponder,
        }
    }
}

/// A deliberately broken protocol rule. Each one breaks the rule one safety property guards,
/// so the tests can show that property failing with a shortest trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mutant {
    /// The coordinator promotes a candidate whose committed prefix is only counted, not
    /// compared by identity (breaks A1).
    PromoteWithoutLineageCheck,
    /// A new primary keeps its uncommitted tail instead of truncating it to C (breaks A2).
    KeepUncommittedTailOnPromotion,
    /// A replica accepts writes stamped with an older epoch (breaks A3).
    ReplicaAcceptsStaleEpoch,
    /// Catch-up holds no reservation, so retention may recycle its range (breaks A6).
    CatchUpWithoutReservation,
    /// The handshake compares LSN counters only, not the epoch history (breaks A7).
    HandshakeComparesLsnOnly,
    /// A replica acknowledges a barrier before flushing (breaks A8).
    AckBeforeFlush,
    /// The coordinator promotes any node that answered the new epoch (breaks A9).
    PromoteAnyResponder,
    /// A replica accepts traffic addressed to its old endpoint (breaks A10).
    ReplicaIgnoresEndpointVersion,
    /// The primary counts a barrier ack that arrives after the barrier timed out (breaks A11).
    CountLateBarrierAck,
    /// A catch-up session is reported complete at its first chunk (breaks A4's bounded response).
    CompleteAtFirstChunk,
    /// The catch-up round budget is never checked (breaks A5's bounded response).
    IgnoreCatchUpBudget,
    /// A snapshot+tail rebuild ships the current log as the base instead of the exact cut at
    /// the checkpoint (breaks the snapshot exact-cut rule).
    SnapshotFromCurrentLog,
    /// The handshake has no deadline: a lost probe or probe reply leaves the sender connecting
    /// forever (breaks the valid-end-state rule, D45).
    NoHandshakeDeadline,
    /// A replica silently consumes a repeated probe of the session it already answered, so a
    /// lost probe reply is retried forever without progress (breaks progress, D47).
    ReplicaIgnoresRepeatedProbe,
    // Guard-by-guard mutants (issue 16, D70): each removes or weakens exactly one guard of the
    // protocol handlers; `Mutant::guard` names the file and the rule.
    /// The coordinator does not fence traffic stamped with an older epoch.
    CoordinatorAcceptsStaleEpoch,
    /// The coordinator promotes on an epoch ack of another epoch than its own.
    PromoteOnOtherEpochAck,
    /// The coordinator promotes again while a primary already serves the epoch.
    PromoteWhileServing,
    /// Promotion checks the entry at C but not that the recoverable log reaches C.
    PromoteWithoutRecoverablePrefix,
    /// The coordinator records a commit report of another epoch than its own.
    CommitReportOfOtherEpoch,
    /// The coordinator records a commit report from a node that is not the epoch's primary.
    CommitReportFromNonPrimary,
    /// The coordinator records a commit report below its boundary, lowering C.
    CommitBoundaryMayDecrease,
    /// The coordinator answers a NeedsRebuild report of another epoch than its own.
    RebuildIntentOfOtherEpoch,
    /// The coordinator answers a NeedsRebuild report from a node that is not the primary.
    RebuildIntentFromNonPrimary,
    /// The endpoint cache takes any reported endpoint, older ones included.
    EndpointCacheAcceptsOlder,
    /// A heartbeat from the primary itself also sends the primary a recovery intent for itself.
    ReassignThePrimary,
    /// A rejoin sends no recovery intent (the V1 control-plane-only policy under V2).
    RejoinControlPlaneOnly,
    /// A barrier timeout acts whatever the sender's phase (a stale timer is not dropped).
    BarrierTimeoutInAnyPhase,
    /// A catch-up timeout acts whatever the sender's phase (a stale timer is not dropped).
    CatchUpTimeoutInAnyPhase,
    /// A catch-up timeout neither escalates nor stops the chase (the V1.5 policy under V2).
    IgnoreCatchUpTimeout,
    /// A catch-up whose range is no longer retained stalls instead of escalating (V1.5).
    StallOnLostReservation,
    /// The flusher pins nothing for a running rebuild (catch-up pins stay).
    RebuildWithoutReservation,
    /// The flusher recycles inside the retention window behind the head.
    RecycleInsideRetentionWindow,
    /// The flusher's recycle point is not capped at the confirmed boundary C.
    RecycleBeyondCommitted,
    /// A catch-up round that ends below the head puts the replica in the live stream anyway.
    JoinBehindHead,
    /// A commit is proposed without the required number of durable copies.
    CommitWithoutQuorum,
    /// A commit counts writes sent to a replica (its outstanding barrier), not acknowledged.
    CommitCountsSentWrites,
    /// A new primary takes office at the assignment's C even when its own checkpoint is newer
    /// (D37 removed).
    TakeOfficeAtAssignedCommitted,
    /// A new primary also truncates its own current-epoch entries above C.
    TruncateOwnEpochTailOnPromotion,
    /// Live writes are shipped to every replica's sender, in the live stream or not.
    ShipWritesToAllSenders,
    /// A barrier ack below the replica's acknowledged point lowers it.
    BarrierAckMayRegress,
    /// A barrier ack beyond the outstanding barrier is counted.
    BarrierAckBeyondOutstanding,
    /// A barrier ack of a write sent under an older admission (session) is counted.
    BarrierAckOfOtherAdmission,
    /// A probe reply of an older session is taken as the current session's handshake.
    ProbeReplyOfOtherSession,
    /// A catch-up ack of another session advances the current catch-up.
    CatchUpAckOfOtherSession,
    /// A catch-up ack that does not advance progress is taken (progress may go back).
    CatchUpAckMayRegress,
    /// A catch-up ack beyond the round's frozen target is taken.
    CatchUpAckBeyondTarget,
    /// A rebuild ack of another session completes the current rebuild.
    RebuildAckOfOtherSession,
    /// A rebuild ack short of the rebuild's target completes it.
    RebuildAckShortOfTarget,
    /// A commit confirmation below the primary's known boundary lowers it.
    CommitAckMayLower,
    /// A rebuild intent starts a rebuild of a replica that is not waiting for one.
    RebuildWithoutEscalation,
    /// An endpoint change keeps the replica's running session at the new address.
    EndpointChangeKeepsSession,
    /// A recovery intent's new endpoint is not recorded by the sender.
    ReassignKeepsOldEndpoint,
    /// The handshake never asks for a truncation of the replica's divergent or ahead tail.
    HandshakeNeverTruncates,
    /// The zero-gap test ignores a tail the replica holds beyond the match.
    ZeroGapIgnoresAheadTail,
    /// The handshake starts a catch-up whose range is no longer retained.
    CatchUpBeyondRetention,
    /// A rebuild reuses the sender's current session id instead of a new one.
    RebuildReusesSession,
    /// A reconnect reuses the sender's last session id instead of a new one.
    ReconnectReusesSession,
    /// A node adopts a NewEpoch that is not newer than its own (its epoch may go back).
    AdoptOlderEpoch,
    /// A node applies an assignment it already applied or one of an older epoch.
    ReapplyAssignment,
    /// A joining node handles replication traffic before its assignment.
    JoiningNodeAcceptsTraffic,
    /// A replica handles traffic of a newer epoch before adopting that epoch.
    ReplicaAcceptsNewerEpoch,
    /// A replica handles a live write it already holds (LSN at or below its head).
    ReplicaReappliesWrite,
    /// A replica answers a probe of an older session than the last one it accepted.
    ProbeOfOlderSessionAccepted,
    /// A probe keeps the replica's volatile (unflushed) tail.
    ProbeKeepsVolatileTail,
    /// A replica applies a catch-up chunk of another session than the one it was last probed in.
    CatchUpOfOtherSessionApplied,
    /// A replica re-truncates on every delivery of a session's first chunk.
    TruncateOnEveryDelivery,
    /// A replica truncates at a point above its head.
    TruncateAboveHead,
    /// A replica installs a rebuild of a session not newer than its last one.
    RebuildOfOlderSessionApplied,
    /// An append does not check the previous entry (the log-matching rule, `Wal::append`).
    AppendWithoutLogMatching,
    /// A truncation cuts inside the trusted base image (`Wal::truncate_after`).
    TruncateInsideBase,
    /// A catch-up chunk is merged without checking it continues the log (`Wal::can_merge`).
    MergeWithoutOverlapCheck,
    /// A primary handles a replica's reply stamped with an older epoch than its own.
    PrimaryAcceptsStaleReply,
    /// A recovery intent naming an older endpoint than the sender addresses is followed (D38
    /// removed).
    FollowStaleRecoveryIntent,
}

impl Mutant {
    /// Every mutant, in declaration order.
    pub const ALL: [Mutant; 73] = [
        Mutant::PromoteWithoutLineageCheck,
        Mutant::KeepUncommittedTailOnPromotion,
        Mutant::ReplicaAcceptsStaleEpoch,
        Mutant::CatchUpWithoutReservation,
        Mutant::HandshakeComparesLsnOnly,
        Mutant::AckBeforeFlush,
        Mutant::PromoteAnyResponder,
        Mutant::ReplicaIgnoresEndpointVersion,
        Mutant::CountLateBarrierAck,
        Mutant::CompleteAtFirstChunk,
        Mutant::IgnoreCatchUpBudget,
        Mutant::SnapshotFromCurrentLog,
        Mutant::NoHandshakeDeadline,
        Mutant::ReplicaIgnoresRepeatedProbe,
        Mutant::CoordinatorAcceptsStaleEpoch,
        Mutant::PromoteOnOtherEpochAck,
        Mutant::PromoteWhileServing,
        Mutant::PromoteWithoutRecoverablePrefix,
        Mutant::CommitReportOfOtherEpoch,
        Mutant::CommitReportFromNonPrimary,
        Mutant::CommitBoundaryMayDecrease,
        Mutant::RebuildIntentOfOtherEpoch,
        Mutant::RebuildIntentFromNonPrimary,
        Mutant::EndpointCacheAcceptsOlder,
        Mutant::ReassignThePrimary,
        Mutant::RejoinControlPlaneOnly,
        Mutant::BarrierTimeoutInAnyPhase,
        Mutant::CatchUpTimeoutInAnyPhase,
        Mutant::IgnoreCatchUpTimeout,
        Mutant::StallOnLostReservation,
        Mutant::RebuildWithoutReservation,
        Mutant::RecycleInsideRetentionWindow,
        Mutant::RecycleBeyondCommitted,
        Mutant::JoinBehindHead,
        Mutant::CommitWithoutQuorum,
        Mutant::CommitCountsSentWrites,
        Mutant::TakeOfficeAtAssignedCommitted,
        Mutant::TruncateOwnEpochTailOnPromotion,
        Mutant::ShipWritesToAllSenders,
        Mutant::BarrierAckMayRegress,
        Mutant::BarrierAckBeyondOutstanding,
        Mutant::BarrierAckOfOtherAdmission,
        Mutant::ProbeReplyOfOtherSession,
        Mutant::CatchUpAckOfOtherSession,
        Mutant::CatchUpAckMayRegress,
        Mutant::CatchUpAckBeyondTarget,
        Mutant::RebuildAckOfOtherSession,
        Mutant::RebuildAckShortOfTarget,
        Mutant::CommitAckMayLower,
        Mutant::RebuildWithoutEscalation,
        Mutant::EndpointChangeKeepsSession,
        Mutant::ReassignKeepsOldEndpoint,
        Mutant::HandshakeNeverTruncates,
        Mutant::ZeroGapIgnoresAheadTail,
        Mutant::CatchUpBeyondRetention,
        Mutant::RebuildReusesSession,
        Mutant::ReconnectReusesSession,
        Mutant::AdoptOlderEpoch,
        Mutant::ReapplyAssignment,
        Mutant::JoiningNodeAcceptsTraffic,
        Mutant::ReplicaAcceptsNewerEpoch,
        Mutant::ReplicaReappliesWrite,
        Mutant::ProbeOfOlderSessionAccepted,
        Mutant::ProbeKeepsVolatileTail,
        Mutant::CatchUpOfOtherSessionApplied,
        Mutant::TruncateOnEveryDelivery,
        Mutant::TruncateAboveHead,
        Mutant::RebuildOfOlderSessionApplied,
        Mutant::AppendWithoutLogMatching,
        Mutant::TruncateInsideBase,
        Mutant::MergeWithoutOverlapCheck,
        Mutant::PrimaryAcceptsStaleReply,
        Mutant::FollowStaleRecoveryIntent,
    ];
}
