//! The scenarios, one constant-like entry each, in PROTOCOL.md order: S1-S20 (§4.1), the
//! version-comparison scenarios (§4.3), then the other groups (§4.6). `INEXPRESSIBLE` lists the
//! backlog entries the model cannot state, with the reason.
//!
//! Every fault is off in [`quiet`]; a scenario turns on only the faults its story needs, so the
//! matrix stays small and each verdict is about that story.

use super::{Cost, Expected, FaultsPerRun, Inexpressible, Scenario, Verdicts};
use swb_model::{CommitMode, Config, MessageDuplication, MessageLoss};

/// The base bounds with every fault off: no crash, move, lease expiry, partition or timeout.
fn quiet(base: &Config) -> Config {
    Config {
        crashes_max: 0,
        address_changes_max: 0,
        lease_expiries_max: 0,
        partitions_max: 0,
        timeouts_max: 0,
        ..base.clone()
    }
}

// The property names the expectations use, spelled once.
const ADDRESS_CHANGE_THEN_RECOVERY: &str = "address_change_then_recovery";
const BARRIER_EXPIRES: &str = "barrier_expires";
const BUDGET_ESCALATION_HAPPENS: &str = "budget_escalation_happens";
const CATCH_UP_COMPLETES: &str = "catch_up_completes";
const CATCH_UP_ONLY_ON_RESERVED_RANGE: &str = "catch_up_only_on_reserved_range";
const COMMITTED_DATA_SURVIVES_FAILOVER: &str = "committed_data_survives_failover";
const END_STATES_ARE_VALID: &str = "end_states_are_valid";
const FULL_BASE_REBUILD_HAPPENS: &str = "full_base_rebuild_happens";
const OVER_BUDGET_CATCH_UP_ESCALATES: &str = "over_budget_catch_up_escalates";
const PROMOTION_HAPPENS: &str = "promotion_happens";
const PROMOTION_PICKS_ELIGIBLE_CANDIDATE: &str = "promotion_picks_eligible_candidate";
const RESERVATION_HOLDS_BACK_RECYCLING: &str = "reservation_holds_back_recycling";
const SNAPSHOT_TAIL_REBUILD_HAPPENS: &str = "snapshot_tail_rebuild_happens";
const STALE_MESSAGE_FENCED: &str = "stale_message_fenced";
const TRUNCATION_HAPPENS: &str = "truncation_happens";

// ---- Shared verdicts ----
//
// Most scenarios fall into a few families whose verdicts are the same table: a failover, a short
// gap, a gap the flusher may recycle, a head that moves during a recovery. Each family's table is
// spelled once here, named after what it shows, so a scenario's entry reads as "V1 does X, V1.5
// does Y, V2 holds" and a change to a family changes every member at once.

/// Witnesses a single failover never reaches, in every version: nothing moves, nothing times
/// out, nothing catches up far enough to need a budget or a rebuild (s1, s2, s3).
const FAILOVER_OUT_OF_SCOPE: &[&str] = &[
    ADDRESS_CHANGE_THEN_RECOVERY,
    BARRIER_EXPIRES,
    BUDGET_ESCALATION_HAPPENS,
    FULL_BASE_REBUILD_HAPPENS,
    SNAPSHOT_TAIL_REBUILD_HAPPENS,
];

/// A one-write recovery from one timeout (or partition) with the gap retained: no move, no
/// promotion, no budget to exceed, no rebuild.
const SHORT_GAP_OUT_OF_SCOPE: &[&str] = &[
    ADDRESS_CHANGE_THEN_RECOVERY,
    BUDGET_ESCALATION_HAPPENS,
    FULL_BASE_REBUILD_HAPPENS,
    PROMOTION_HAPPENS,
    SNAPSHOT_TAIL_REBUILD_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// As [`SHORT_GAP_OUT_OF_SCOPE`], but the gap may be recycled, so a snapshot rebuild is in
/// scope (there is a checkpoint by then, so never a full base).
const RECYCLED_GAP_OUT_OF_SCOPE: &[&str] = &[
    ADDRESS_CHANGE_THEN_RECOVERY,
    BUDGET_ESCALATION_HAPPENS,
    FULL_BASE_REBUILD_HAPPENS,
    PROMOTION_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// A recovery interrupted by a second fault at one write: both rebuild kinds in scope.
const INTERRUPTED_RECOVERY_OUT_OF_SCOPE: &[&str] = &[
    ADDRESS_CHANGE_THEN_RECOVERY,
    BUDGET_ESCALATION_HAPPENS,
    PROMOTION_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// A recovery while the primary keeps writing (two writes or more): budgets and both rebuild
/// kinds in scope; still no move and no promotion.
const MOVING_HEAD_OUT_OF_SCOPE: &[&str] = &[
    ADDRESS_CHANGE_THEN_RECOVERY,
    PROMOTION_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// A replica restart at one write with no timeout (changed-address restart, restart rejoin):
/// no barrier expires, nobody is promoted, nothing is stale or divergent, nothing is rebuilt.
const RESTART_OUT_OF_SCOPE: &[&str] = &[
    BARRIER_EXPIRES,
    BUDGET_ESCALATION_HAPPENS,
    FULL_BASE_REBUILD_HAPPENS,
    PROMOTION_HAPPENS,
    SNAPSHOT_TAIL_REBUILD_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// [`RESTART_OUT_OF_SCOPE`] while the head moves: budgets and rebuilds come into scope.
const RESTART_MOVING_HEAD_OUT_OF_SCOPE: &[&str] = &[
    BARRIER_EXPIRES,
    PROMOTION_HAPPENS,
    STALE_MESSAGE_FENCED,
    TRUNCATION_HAPPENS,
];

/// V1 in a failover: `PromotionRule::AnyResponder` promotes a replica without the committed
/// write (A1, A9 violated), and V1 repairs nothing afterwards.
const V1_PROMOTES_ANY_RESPONDER: Expected = Expected {
    violated: &[
        COMMITTED_DATA_SURVIVES_FAILOVER,
        END_STATES_ARE_VALID,
        PROMOTION_PICKS_ELIGIBLE_CANDIDATE,
    ],
    unreached: &[
        CATCH_UP_COMPLETES,
        RESERVATION_HOLDS_BACK_RECYCLING,
        TRUNCATION_HAPPENS,
    ],
};

/// [`V1_PROMOTES_ANY_RESPONDER`] where a timeout also makes a rebuild possible, which V1 never
/// runs either.
const V1_PROMOTES_ANY_RESPONDER_NO_REBUILD: Expected = Expected {
    violated: &[
        COMMITTED_DATA_SURVIVES_FAILOVER,
        END_STATES_ARE_VALID,
        PROMOTION_PICKS_ELIGIBLE_CANDIDATE,
    ],
    unreached: &[
        CATCH_UP_COMPLETES,
        FULL_BASE_REBUILD_HAPPENS,
        RESERVATION_HOLDS_BACK_RECYCLING,
        SNAPSHOT_TAIL_REBUILD_HAPPENS,
        TRUNCATION_HAPPENS,
    ],
};

/// V1 with a short gap: `CatchUpAttempt::Degrade`, so no catch-up (A4) and nothing to reserve.
const V1_NO_CATCH_UP: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING],
};

/// V1 where the gap may be recycled: no catch-up and no snapshot rebuild either.
const V1_NO_CATCH_UP_NO_SNAPSHOT: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[
        CATCH_UP_COMPLETES,
        RESERVATION_HOLDS_BACK_RECYCLING,
        SNAPSHOT_TAIL_REBUILD_HAPPENS,
    ],
};

/// V1 where both rebuild kinds are in scope: it never catches up and never rebuilds.
const V1_NO_CATCH_UP_NO_REBUILD: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[
        CATCH_UP_COMPLETES,
        FULL_BASE_REBUILD_HAPPENS,
        RESERVATION_HOLDS_BACK_RECYCLING,
        SNAPSHOT_TAIL_REBUILD_HAPPENS,
    ],
};

/// V1 while the head moves: no catch-up, so no budget to exceed and no rebuild.
const V1_NO_RECOVERY: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[
        BUDGET_ESCALATION_HAPPENS,
        CATCH_UP_COMPLETES,
        FULL_BASE_REBUILD_HAPPENS,
        RESERVATION_HOLDS_BACK_RECYCLING,
        SNAPSHOT_TAIL_REBUILD_HAPPENS,
    ],
};

/// V1 and V1.5 when a replica moves: a changed address is `RejoinAction::ControlPlaneOnly` in
/// both, so the moved replica never rejoins (A10) and nothing is caught up.
const MOVED_REPLICA_NEVER_REJOINS: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[
        ADDRESS_CHANGE_THEN_RECOVERY,
        CATCH_UP_COMPLETES,
        RESERVATION_HOLDS_BACK_RECYCLING,
    ],
};

/// [`MOVED_REPLICA_NEVER_REJOINS`] while the head moves: no budget escalation or rebuild either.
const MOVED_REPLICA_NEVER_REJOINS_MOVING_HEAD: Expected = Expected {
    violated: &[END_STATES_ARE_VALID],
    unreached: &[
        ADDRESS_CHANGE_THEN_RECOVERY,
        BUDGET_ESCALATION_HAPPENS,
        CATCH_UP_COMPLETES,
        FULL_BASE_REBUILD_HAPPENS,
        RESERVATION_HOLDS_BACK_RECYCLING,
        SNAPSHOT_TAIL_REBUILD_HAPPENS,
    ],
};

/// V1.5 where a recovery could end in a rebuild: it stalls or chases instead of escalating.
const V15_NO_REBUILD: Expected = Expected {
    violated: &[],
    unreached: &[FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS],
};

/// V1.5 where the gap may be recycled: `Recoverability::RetentionWindow` holds no reservation,
/// so a running catch-up loses its range (A6).
const V15_NO_RESERVATION: Expected = Expected {
    violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE],
    unreached: &[],
};

/// [`V15_NO_RESERVATION`] where a full-base rebuild is in scope too, which V1.5 never reaches.
const V15_NO_RESERVATION_NO_FULL_BASE: Expected = Expected {
    violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE],
    unreached: &[FULL_BASE_REBUILD_HAPPENS],
};

/// V1.5 while the head moves: it chases past its round budget (A5) on a range it does not
/// reserve (A6), and never escalates to a full-base rebuild.
const V15_CHASES_UNRESERVED: Expected = Expected {
    violated: &[
        CATCH_UP_ONLY_ON_RESERVED_RANGE,
        OVER_BUDGET_CATCH_UP_ESCALATES,
    ],
    unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS],
};

/// A failover at one write (s1, s2, s3): V1 breaks A1 and A9, V1.5 and V2 hold.
const FAILOVER: Verdicts = Verdicts {
    out_of_scope: FAILOVER_OUT_OF_SCOPE,
    expected: [
        V1_PROMOTES_ANY_RESPONDER,
        Expected::ALL_HOLD,
        Expected::ALL_HOLD,
    ],
};

/// A failover after a replica timed out (s12, s20): V1 breaks A1 and A9; V1.5 holds them but
/// never rebuilds the stale replica.
const FAILOVER_AFTER_TIMEOUT: Verdicts = Verdicts {
    out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS],
    expected: [
        V1_PROMOTES_ANY_RESPONDER_NO_REBUILD,
        V15_NO_REBUILD,
        Expected::ALL_HOLD,
    ],
};

/// A one-write gap inside retention: V1 never catches up (A4), V1.5 and V2 do.
const SHORT_GAP: Verdicts = Verdicts {
    out_of_scope: SHORT_GAP_OUT_OF_SCOPE,
    expected: [V1_NO_CATCH_UP, Expected::ALL_HOLD, Expected::ALL_HOLD],
};

/// A gap the flusher may recycle while it is replayed: V1 never catches up, V1.5's catch-up
/// loses its range (A6), V2 reserves it or rebuilds from a snapshot.
const RECYCLED_GAP: Verdicts = Verdicts {
    out_of_scope: RECYCLED_GAP_OUT_OF_SCOPE,
    expected: [
        V1_NO_CATCH_UP_NO_SNAPSHOT,
        V15_NO_RESERVATION,
        Expected::ALL_HOLD,
    ],
};

/// A recovery a second fault interrupts, with the gap retained: V1 never recovers, V1.5
/// recovers by catch-up but never rebuilds.
const INTERRUPTED_RECOVERY: Verdicts = Verdicts {
    out_of_scope: INTERRUPTED_RECOVERY_OUT_OF_SCOPE,
    expected: [
        V1_NO_CATCH_UP_NO_REBUILD,
        V15_NO_REBUILD,
        Expected::ALL_HOLD,
    ],
};

/// [`INTERRUPTED_RECOVERY`] with no retention window: V1.5's catch-up also loses its range.
const INTERRUPTED_RECOVERY_NO_RETENTION: Verdicts = Verdicts {
    out_of_scope: INTERRUPTED_RECOVERY_OUT_OF_SCOPE,
    expected: [
        V1_NO_CATCH_UP_NO_REBUILD,
        V15_NO_RESERVATION_NO_FULL_BASE,
        Expected::ALL_HOLD,
    ],
};

/// V1.5 when commits recycle the range its catch-up replays: besides chasing without a budget on
/// an unreserved range, the session stalls for good once the range is gone (no clean abort), an
/// invalid end state (D45).
const V15_CHASES_UNRESERVED_AND_STALLS: Expected = Expected {
    violated: &[
        CATCH_UP_ONLY_ON_RESERVED_RANGE,
        END_STATES_ARE_VALID,
        OVER_BUDGET_CATCH_UP_ESCALATES,
    ],
    unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS],
};

/// [`MOVING_HEAD`] where V1.5's catch-up can lose its range to recycling: its stalled session
/// never ends (measured: s7 at both bound sets; s6, s9, s10, s17, brief-disconnect,
/// non-convergent-tail-chasing and lost-messages at the default bounds).
const MOVING_HEAD_STALLS: Verdicts = Verdicts {
    out_of_scope: MOVING_HEAD_OUT_OF_SCOPE,
    expected: [
        V1_NO_RECOVERY,
        V15_CHASES_UNRESERVED_AND_STALLS,
        Expected::ALL_HOLD,
    ],
};

/// A recovery while the primary keeps writing: V1 never recovers; V1.5 chases without a
/// budget on an unreserved range (A5, A6); V2 converges or escalates explicitly.
const MOVING_HEAD: Verdicts = Verdicts {
    out_of_scope: MOVING_HEAD_OUT_OF_SCOPE,
    expected: [V1_NO_RECOVERY, V15_CHASES_UNRESERVED, Expected::ALL_HOLD],
};

/// V1 breaks A1 and A9 wherever a lease expires, which upstream does not predict.
const V1_PROMOTION_FINDING: &str = "V1 violates A1 (committed_data_survives_failover) and A9 \
    (promotion_picks_eligible_candidate), although §5.2 expects neither older version to break A1-A3. The cause is \
    the promotion hook, not shared machinery: upstream calls V1's promotion \"weaker lineage reasoning\" and never \
    modelled it (§5.2); we chose the weakest epoch-respecting reading, `PromotionRule::AnyResponder` \
    (docs/versions.md), and under it the coordinator promotes a replica that missed the committed write. V1.5's \
    `CommittedPrefixCounter` already prevents it at these bounds.";

/// V1 passes A5 and A6 only because it never catches up.
const V1_TAIL_CHASING_FINDING: &str = "upstream expects V1 to fail A5 here (\"degrades instead of an explicit \
    recovery decision\", §5.2). In the model V1 holds over_budget_catch_up_escalates and \
    catch_up_only_on_reserved_range vacuously, because `CatchUpAttempt::Degrade` never starts a catch-up; its \
    failure shows as A4 instead (catch_up_completes unreached).";

/// Every scenario the model can express, in PROTOCOL.md order.
///
/// Writes are bounded per scenario by what its story needs: `base.writes_max.min(1)` where one
/// write tells it (a failover, a crash or a move during a one-write recovery: a second write adds
/// states, not behaviour the story is about), the base's writes where a moving head is part of
/// the story, and one more than the base where the story is a chase. The cost of a second write
/// where it is not needed was measured: s3 went from 0.06 M to 2.05 M states over its three cells.
pub fn catalog() -> Vec<Scenario> {
    vec![
        // ---- §4.1 S1-S20 ----
        Scenario {
            name: "s1-ack-then-primary-crash",
            description: "A write is committed, then the primary crashes and its lease expires; another node is promoted.",
            source: "S1 (§4.1), A1",
            targets: &[],
            cost: Cost::Heavy,
            restrict: |base| Config {
                lease_expiries_max: 1,
                crashes_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: FAILOVER,
            default_verdicts: None,
            finding: Some(V1_PROMOTION_FINDING),
        },
        Scenario {
            name: "s2-non-quorum-write-then-failover",
            description: "A write reaches the primary but no quorum; the lease expires and another node is promoted.",
            source: "S2 (§4.1), A2",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                lease_expiries_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: FAILOVER,
            default_verdicts: None,
            finding: Some(V1_PROMOTION_FINDING),
        },
        Scenario {
            name: "s3-zombie-old-primary-fenced",
            description: "The old primary is partitioned away and keeps taking writes after its lease expired and a new primary serves.",
            source: "S3 (§4.1), A3",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                lease_expiries_max: 1,
                partitions_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: FAILOVER,
            default_verdicts: None,
            finding: Some(V1_PROMOTION_FINDING),
        },
        Scenario {
            name: "s4-brief-disconnect-catch-up",
            description: "A replica is partitioned briefly, its barrier times out, the primary keeps writing; the partition heals.",
            source: "S4 (§4.1), A4",
            targets: &["V1-F1", "V2-S1"],
            cost: Cost::Light,
            restrict: |base| Config {
                partitions_max: 1,
                timeouts_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: SHORT_GAP,
            default_verdicts: Some(MOVING_HEAD),
            finding: None,
        },
        Scenario {
            name: "s5-flapping-replica",
            description: "Replicas drop out of the live stream twice (two barrier timeouts) with gaps inside retention.",
            source: "S5 (§4.1), L2",
            targets: &["V1-F3"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 2,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: INTERRUPTED_RECOVERY,
            default_verdicts: Some(MOVING_HEAD),
            finding: None,
        },
        Scenario {
            name: "s6-tail-chasing-under-load",
            description: "A replica catches up while the primary keeps writing; the budget allows two rounds.",
            source: "S6 (§4.1), L4, A5",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                writes_max: base.writes_max + 1,
                catch_up_rounds_max: 2,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: RECYCLED_GAP,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
        Scenario {
            name: "s7-retention-pressure-mid-catch-up",
            description: "A catch-up is admitted, then commits recycle the WAL with no retention window behind the head.",
            source: "S7 (§4.1), A6",
            targets: &["V15-F3", "V2-S3"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                writes_max: base.writes_max + 1,
                retention_entries: 0,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: MOVING_HEAD_STALLS,
            default_verdicts: None,
            finding: None,
        },
        Scenario {
            name: "s9-snapshot-tail-rebuild",
            description: "A replica's gap falls below retention; it is rebuilt from a snapshot at the checkpoint plus the tail.",
            source: "S9 (§4.1), A7",
            targets: &["V2-S5"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                retention_entries: 0,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: RECYCLED_GAP,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
        Scenario {
            name: "s10-mixed-states-sync-quorum",
            description: "Both replicas may leave the live stream (two timeouts, no retention): commits continue only with a durable quorum.",
            source: "S10 (§4.1), A8",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 2,
                retention_entries: 0,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: INTERRUPTED_RECOVERY_NO_RETENTION,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
        Scenario {
            name: "s11-mixed-states-sync-all",
            description: "Under sync_all a barrier times out and the replica recovers: no commit without every copy.",
            source: "S11 (§4.1), §4.6 timeouts, A8",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                commit_mode: CommitMode::SyncAll,
                timeouts_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            // Under sync_all nothing commits while a replica is out, so nothing is recycled
            // under a catch-up: no reservation is needed and no snapshot rebuild happens.
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[END_STATES_ARE_VALID], unreached: &[CATCH_UP_COMPLETES] },
                    Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[END_STATES_ARE_VALID], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS] },
                    Expected { violated: &[OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
            finding: None,
        },
        Scenario {
            name: "s12-promotion-chooses-valid-lineage",
            description: "A replica has left the live stream when the lease expires: candidates differ in lineage.",
            source: "S12 (§4.1), §4.6 candidates, A9",
            targets: &["V2-S4"],
            cost: Cost::Light,
            restrict: |base| Config {
                lease_expiries_max: 1,
                timeouts_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: FAILOVER_AFTER_TIMEOUT,
            default_verdicts: None,
            finding: Some(V1_PROMOTION_FINDING),
        },
        Scenario {
            name: "s16-replica-restarts-during-catch-up",
            description: "A replica crashes and restarts while it catches up.",
            source: "S16 (§4.1)",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                crashes_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: INTERRUPTED_RECOVERY,
            default_verdicts: None,
            finding: None,
        },
        Scenario {
            name: "s17-replica-restarts-during-rebuild",
            description: "A replica crashes and restarts while it is rebuilt (no retention window).",
            source: "S17 (§4.1)",
            targets: &[],
            cost: Cost::Light,
            // The base's writes, unlike s16: a write landing while the rebuild runs is the case
            // that found the same-epoch restart rule (docs/design.md D21, D22).
            restrict: |base| Config {
                timeouts_max: 1,
                crashes_max: 1,
                retention_entries: 0,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: INTERRUPTED_RECOVERY_NO_RETENTION,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
        Scenario {
            name: "s18-primary-restart-without-failover",
            description: "A node (the primary included) crashes and restarts; no lease expires.",
            source: "S18 (§4.1), L1-L3",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                crashes_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [V1_NO_CATCH_UP, Expected::ALL_HOLD, Expected::ALL_HOLD],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [V1_NO_RECOVERY, V15_CHASES_UNRESERVED, Expected::ALL_HOLD],
            }),
            finding: None,
        },
        Scenario {
            name: "s20-partition-with-concurrent-writes",
            description: "A partitioned old primary keeps writing while a new one is promoted; the partition heals and the stale side recovers.",
            source: "S20 (§4.1), A3",
            targets: &[],
            cost: Cost::Heavy,
            restrict: |base| Config {
                lease_expiries_max: 1,
                partitions_max: 1,
                timeouts_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: FAILOVER_AFTER_TIMEOUT,
            default_verdicts: None,
            finding: Some(V1_PROMOTION_FINDING),
        },
        // ---- §4.3 version comparison ----
        Scenario {
            name: "changed-address-restart",
            description: "A replica restarts at a new address; recovery must wait for the control plane's endpoint update.",
            source: "§4.3 changed-address restart (CP13-8 T4b), L1, A10",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                address_changes_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            // V1.5 fails exactly as V1 does: a changed address is control-plane-only in both.
            verdicts: Verdicts {
                out_of_scope: RESTART_OUT_OF_SCOPE,
                expected: [MOVED_REPLICA_NEVER_REJOINS, MOVED_REPLICA_NEVER_REJOINS, Expected::ALL_HOLD],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: RESTART_MOVING_HEAD_OUT_OF_SCOPE,
                expected: [MOVED_REPLICA_NEVER_REJOINS_MOVING_HEAD, MOVED_REPLICA_NEVER_REJOINS_MOVING_HEAD, Expected::ALL_HOLD],
            }),
            finding: None,
        },
        Scenario {
            name: "same-address-transient-outage",
            description: "A barrier to a replica times out; the replica is still at its address and its gap is retained.",
            source: "§4.3 same-address transient outage, A4",
            targets: &["V1-F1", "V1-F4", "V2-S1"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: SHORT_GAP,
            default_verdicts: Some(MOVING_HEAD),
            finding: None,
        },
        Scenario {
            name: "slow-control-plane-recovery",
            description: "A replica is cut off through several writes; the data path heals before any failover.",
            source: "§4.3 slow control-plane recovery, L2, A4",
            targets: &["V1-F4"],
            cost: Cost::Light,
            // Two writes at either bound set: both can land while the replica is cut off, a gap
            // longer than the retention window. A third raises the three cells from 0.03 M to
            // 0.76 M states and gives the same verdicts (measured at the default bounds).
            restrict: |base| Config {
                partitions_max: 1,
                timeouts_max: 1,
                writes_max: 2,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: MOVING_HEAD,
            default_verdicts: None,
            finding: None,
        },
        Scenario {
            name: "brief-disconnect",
            description: "A brief partition with no retention window: catch-up if the gap is still retained, else an explicit rebuild.",
            source: "§4.3 brief disconnect (policy), A4, A6",
            targets: &["V1-F1"],
            cost: Cost::Light,
            restrict: |base| Config {
                partitions_max: 1,
                timeouts_max: 1,
                retention_entries: 0,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: RECYCLED_GAP,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
        Scenario {
            name: "non-convergent-tail-chasing",
            description: "The primary writes during a catch-up whose budget is one round: it cannot converge.",
            source: "§4.3 tail chasing, non-convergent (policy), L4, A5",
            targets: &["V15-F1", "V2-S2"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                writes_max: base.writes_max + 1,
                catch_up_rounds_max: 1,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: MOVING_HEAD,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: Some(V1_TAIL_CHASING_FINDING),
        },
        Scenario {
            name: "restart-rejoin",
            description: "A replica restarts, at the same address or at a new one (one restart per run), and rejoins.",
            source: "§4.3 restart rejoin (policy), L1, L3",
            targets: &["V1-F4"],
            cost: Cost::Light,
            restrict: |base| Config {
                crashes_max: 1,
                address_changes_max: 1,
                ..quiet(base)
            },
            // The policy row is per address: a run with one restart covers both, one address
            // each; a crash and a move in one run (2.3 M states and more for V2) is not the story.
            faults_per_run: FaultsPerRun::AtMost(1),
            // V1 rejoins at neither address (A4, A10); V1.5 at the same address only (A10).
            verdicts: Verdicts {
                out_of_scope: RESTART_OUT_OF_SCOPE,
                expected: [
                    MOVED_REPLICA_NEVER_REJOINS,
                    Expected { violated: &[END_STATES_ARE_VALID], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: RESTART_MOVING_HEAD_OUT_OF_SCOPE,
                expected: [
                    MOVED_REPLICA_NEVER_REJOINS_MOVING_HEAD,
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, END_STATES_ARE_VALID, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
            finding: None,
        },
        // ---- §4.6 other groups ----
        Scenario {
            name: "endpoint-change-during-catch-up",
            description: "A replica moves to a new address while it catches up: the old session is invalidated.",
            source: "§4.6 ownership (Phase 04a), A10",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                address_changes_max: 1,
                writes_max: base.writes_max.min(1),
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: Verdicts {
                out_of_scope: &[BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[END_STATES_ARE_VALID], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[END_STATES_ARE_VALID], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: None,
            finding: None,
        },
        Scenario {
            name: "duplicated-delivery",
            description: "The network may deliver any message twice while a replica recovers.",
            source: "§4.6 network (Phase 02), A3, A11",
            targets: &["V1-F2"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                message_duplication: MessageDuplication::Duplicating,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: SHORT_GAP,
            default_verdicts: Some(MOVING_HEAD),
            finding: None,
        },
        Scenario {
            name: "lost-messages",
            description: "The network may drop any message; a lost barrier ack times out.",
            source: "§4.6 network (Phase 02), A11",
            targets: &["V1-F2"],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                message_loss: MessageLoss::Lossy,
                ..quiet(base)
            },
            faults_per_run: FaultsPerRun::All,
            verdicts: SHORT_GAP,
            default_verdicts: Some(MOVING_HEAD_STALLS),
            finding: None,
        },
    ]
}

/// The backlog scenarios the model cannot express, and why.
pub const INEXPRESSIBLE: &[Inexpressible] = &[
    Inexpressible {
        name: "s8-current-extent-cannot-recover-old-lsn",
        source: "S8 (§4.1), L5, A7",
        reason: "the model has no extent separate from the WAL; the exact-cut rule it guards is the property rebuild_base_is_exact_committed_cut, proven able to fail by the mutant snapshot_from_current_log",
    },
    Inexpressible {
        name: "s19-chain-of-custody",
        source: "S19 (§4.1), A1",
        reason: "the chain needs two promotions and a write committed under each primary (two lease expiries, two writes); \
                 measured for V2 alone: 0.69 million states and still incomplete after 180 s of one thread (`swb-check check` \
                 with lease_expiries_max = 2, writes_max = 2, every other fault off), where the whole matrix must take a few \
                 minutes; each single promotion is covered by s1, s2, s3, s12 and s20, and `swb-check check` with those bounds \
                 checks the chain directly",
    },
    Inexpressible {
        name: "s13-s15-smart-wal-payload-classes",
        source: "S13-S15 (§4.1), A6",
        reason: "WAL entries carry their data inline; there are no WALInline / ExtentReferenced record classes and no payload that can be lost while its metadata survives",
    },
    Inexpressible {
        name: "v15-f2-wal-pinned-too-long",
        source: "V15-F2 (§4.4)",
        reason: "how long WAL stays pinned is a resource measure, not a safety property of an untimed model",
    },
    Inexpressible {
        name: "v15-f4-slow-restart-recovery-under-sync-all",
        source: "V15-F4 (§4.4), L2",
        reason: "recovery latency: the model has no time, only order (its restart-rejoin and s11 scenarios show the recovery is correct)",
    },
    Inexpressible {
        name: "v15-f5-several-lagging-replicas-poison-progress",
        source: "V15-F5 (§4.4)",
        reason: "a stall of commit progress is liveness; stateright judges eventually-properties only at terminal states, which this model with periodic timers rarely has (s10 shows commits stay safe with both replicas out)",
    },
    Inexpressible {
        name: "v1-f3-rebuild-churn",
        source: "V1-F3 (§4.4), S5",
        reason: "churn is a count of rebuilds over time; s5-flapping-replica shows the safety side (V1 never returns a flapping replica to the live stream)",
    },
    Inexpressible {
        name: "phase-4.5-crash-consistency",
        source: "§4.6 Phase 4.5 (I1-I5)",
        reason: "a node's durable state is its flushed WAL and base; there is no extent that can run ahead of the checkpoint across a crash",
    },
    Inexpressible {
        name: "candidate-tie-breaks",
        source: "§4.6 candidate selection (Phase 02)",
        reason: "the coordinator promotes the first eligible epoch acknowledgement; the alphabetical and highest-LSN tie-breaks are ordering choices among eligible nodes, which no safety property distinguishes",
    },
];
