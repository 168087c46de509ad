//! Where each guard mutant (`swb_model::Mutant`, `Mutant::guard`) is looked for: the ladder of
//! bounds `swb-check mutants` climbs, smallest first (issue 16, D71).
//!
//! Every ladder starts at reduced bounds with only the fault kind the guard is about (a lease
//! expiry for the epoch and promotion guards, a move for the endpoint guards, a crash for the
//! durability guards, a timeout for the recovery guards), then the base bounds (one fault of
//! any kind), then two faults of the guard's kind. A mutant is killed at the first rung where an
//! `always` property fails; it is equivalent when every rung's reachable graph has the
//! unmutated model's unique and total counts; otherwise it survives.

use swb_model::{Config, Mutant};

/// One rung: V2 bounds with the named faults enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bounds {
    /// Client writes.
    pub writes: u8,
    /// Crashes.
    pub crashes: u8,
    /// Address changes.
    pub moves: u8,
    /// Lease expiries.
    pub lease_expiries: u8,
    /// Partitions.
    pub partitions: u8,
    /// Barrier and catch-up timeouts.
    pub timeouts: u8,
    /// Faults per run, of all kinds together.
    pub faults: u8,
    /// Whether the network loses messages: the recovery deadlines' guards act only then (D40).
    pub lossy: bool,
}

impl Bounds {
    /// The base bounds (`Config::default`): two writes, one fault of any kind.
    pub const BASE: Bounds = Bounds {
        writes: 2,
        crashes: 1,
        moves: 1,
        lease_expiries: 1,
        partitions: 1,
        timeouts: 1,
        faults: 1,
        lossy: false,
    };

    /// The configuration of these bounds, with `mutant` set (or none, for the unmutated model).
    pub fn config(self, mutant: Option<Mutant>) -> Config {
        Config {
            writes_max: self.writes,
            crashes_max: self.crashes,
            address_changes_max: self.moves,
            lease_expiries_max: self.lease_expiries,
            partitions_max: self.partitions,
            timeouts_max: self.timeouts,
            faults_max: self.faults,
            message_loss: if self.lossy {
                swb_model::MessageLoss::Lossy
            } else {
                swb_model::MessageLoss::Reliable
            },
            mutant,
            ..Config::default()
        }
    }

    /// The bounds in one short phrase, for tables.
    pub fn describe(self) -> String {
        if self == Bounds::BASE {
            return String::from("base");
        }
        let kinds = [
            ("crash", self.crashes),
            ("move", self.moves),
            ("lease", self.lease_expiries),
            ("partition", self.partitions),
            ("timeout", self.timeouts),
        ];
        let named: Vec<String> = kinds
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        format!(
            "{} writes, {} fault(s) of {}{}",
            self.writes,
            self.faults,
            named.join(", "),
            if self.lossy { ", lossy" } else { "" }
        )
    }
}

/// The fault kind a guard is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Epochs, promotion, commit reports, assignments.
    LeaseExpiry,
    /// Endpoints and rejoins.
    Move,
    /// Durability and volatile tails.
    Crash,
    /// Barriers, catch-up, rebuild, sessions.
    Timeout,
}

/// The fault kind `mutant`'s guard is about.
pub const fn fault_kind(mutant: Mutant) -> FaultKind {
    use Mutant::*;
    match mutant {
        PromoteWithoutLineageCheck
        | KeepUncommittedTailOnPromotion
        | ReplicaAcceptsStaleEpoch
        | PromoteAnyResponder
        | CoordinatorAcceptsStaleEpoch
        | PromoteOnOtherEpochAck
        | PromoteWhileServing
        | PromoteWithoutRecoverablePrefix
        | CommitReportOfOtherEpoch
        | CommitReportFromNonPrimary
        | CommitBoundaryMayDecrease
        | RebuildIntentOfOtherEpoch
        | RebuildIntentFromNonPrimary
        | TakeOfficeAtAssignedCommitted
        | TruncateOwnEpochTailOnPromotion
        | CommitAckMayLower
        | AdoptOlderEpoch
        | ReapplyAssignment
        | ReplicaAcceptsNewerEpoch
        | PrimaryAcceptsStaleReply
        | HandshakeComparesLsnOnly
        | HandshakeNeverTruncates
        | ZeroGapIgnoresAheadTail => FaultKind::LeaseExpiry,
        ReplicaIgnoresEndpointVersion
        | EndpointCacheAcceptsOlder
        | ReassignThePrimary
        | RejoinControlPlaneOnly
        | EndpointChangeKeepsSession
        | ReassignKeepsOldEndpoint
        | FollowStaleRecoveryIntent
        | JoiningNodeAcceptsTraffic => FaultKind::Move,
        AckBeforeFlush | ProbeKeepsVolatileTail | ReplicaReappliesWrite => FaultKind::Crash,
        _ => FaultKind::Timeout,
    }
}

/// The ladder of `mutant`, smallest rung first.
pub fn ladder(mutant: Mutant) -> Vec<Bounds> {
    let only = |count: u8| {
        let none = Bounds {
            writes: 2,
            crashes: 0,
            moves: 0,
            lease_expiries: 0,
            partitions: 0,
            timeouts: 0,
            faults: count,
            lossy: false,
        };
        match fault_kind(mutant) {
            FaultKind::LeaseExpiry => Bounds {
                lease_expiries: count,
                ..none
            },
            FaultKind::Move => Bounds {
                moves: count,
                ..none
            },
            FaultKind::Crash => Bounds {
                crashes: count,
                ..none
            },
            FaultKind::Timeout => Bounds {
                timeouts: count,
                ..none
            },
        }
    };
    if matches!(
        mutant,
        Mutant::NoHandshakeDeadline | Mutant::ReplicaIgnoresRepeatedProbe
    ) {
        // A deadline acts only on a lossy network (D40), and the lossy space grows fast: one
        // write and one timeout open the session whose messages are lost.
        return vec![Bounds {
            writes: 1,
            lossy: true,
            ..only(1)
        }];
    }
    let mut rungs = vec![only(1), Bounds::BASE, only(2)];
    if matches!(mutant, Mutant::CatchUpOfOtherSessionApplied) {
        // An older session's first chunk truncates only a replica with a divergent tail, which
        // takes an epoch change, and a second session, which takes a second timeout.
        rungs.push(Bounds {
            lease_expiries: 1,
            faults: 3,
            ..only(2)
        });
    }
    rungs
}

/// The guard that masks `mutant`'s, where one does: removing `mutant`'s guard alone changes the
/// reachable graph but no property can fail, because the masking guard refuses the same steps
/// further on; removing both is caught (`swb-check mutants` runs the pair, and
/// `docs/properties.md` lists it). Each entry says which steps the mask refuses.
pub const fn masked_by(mutant: Mutant) -> Option<Mutant> {
    use Mutant::*;
    match mutant {
        // Without the fence first, a stale report waits instead of being consumed; the
        // coordinator's per-message epoch checks still refuse it.
        CoordinatorAcceptsStaleEpoch => Some(CommitReportOfOtherEpoch),
        // A joining node applies the epoch's primary traffic as a replica would; only traffic
        // to an endpoint it has left could hurt it, and the endpoint check refuses that.
        JoiningNodeAcceptsTraffic => Some(ReplicaIgnoresEndpointVersion),
        // A replica that answers a newer epoch's probe before adopting it replies under its own
        // older epoch, and the primary fences the reply, so no session of the newer epoch starts.
        ReplicaAcceptsNewerEpoch => Some(PrimaryAcceptsStaleReply),
        // A primary that takes a replica's reply of an older epoch only ever gets one from a
        // replica that answered a newer epoch before adopting it, which the replica refuses.
        PrimaryAcceptsStaleReply => Some(ReplicaAcceptsNewerEpoch),
        _ => None,
    }
}
