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
}

impl Mutant {
    /// Every mutant, in declaration order.
    pub const ALL: [Mutant; 14] = [
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
    ];
}
