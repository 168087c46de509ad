//! The scenarios, one constant-like entry each, in PROTOCOL.md order: S1-S20 (§4.1), the
//! version-comparison scenarios (§4.3), then the other groups (§4.6). `INEXPRESSIBLE` lists the
//! backlog entries the model cannot state, with the reason.
//!
//! Every fault is off in [`quiet`]; a scenario turns on only the faults its story needs, so the
//! matrix stays small and each verdict is about that story.

use super::{Cost, Expected, Inexpressible, Scenario, Verdicts};
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
const COMMIT_NEEDS_DURABLE_COPIES: &str = "commit_needs_durable_copies";
const COMMITTED_DATA_SURVIVES_FAILOVER: &str = "committed_data_survives_failover";
const COMMITTED_PREFIX_IS_LINEAGE: &str = "committed_prefix_is_lineage";
const IN_SYNC_REPLICA_REACHED_ITS_TARGET: &str = "in_sync_replica_reached_its_target";
const IN_SYNC_REPLICAS_MATCH_PRIMARY: &str = "in_sync_replicas_match_primary";
const FULL_BASE_REBUILD_HAPPENS: &str = "full_base_rebuild_happens";
const OVER_BUDGET_CATCH_UP_ESCALATES: &str = "over_budget_catch_up_escalates";
const PROMOTION_HAPPENS: &str = "promotion_happens";
const PROMOTION_PICKS_ELIGIBLE_CANDIDATE: &str = "promotion_picks_eligible_candidate";
const RESERVATION_HOLDS_BACK_RECYCLING: &str = "reservation_holds_back_recycling";
const SNAPSHOT_TAIL_REBUILD_HAPPENS: &str = "snapshot_tail_rebuild_happens";
const STALE_MESSAGE_FENCED: &str = "stale_message_fenced";
const TRUNCATION_HAPPENS: &str = "truncation_happens";

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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, TRUNCATION_HAPPENS] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
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
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, TRUNCATION_HAPPENS] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, TRUNCATION_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, TRUNCATION_HAPPENS] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, TRUNCATION_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[], unreached: &[FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE], unreached: &[] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE], unreached: &[] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE], unreached: &[FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS] },
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, TRUNCATION_HAPPENS] },
                Expected { violated: &[], unreached: &[FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
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
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[], unreached: &[FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
            finding: None,
        },
        Scenario {
            name: "s17-replica-restarts-during-rebuild",
            description: "A replica crashes and restarts while it is rebuilt (no retention window).",
            source: "S17 (§4.1)",
            targets: &[],
            cost: Cost::Light,
            restrict: |base| Config {
                timeouts_max: 1,
                crashes_max: 1,
                retention_entries: 0,
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE], unreached: &[FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, COMMIT_NEEDS_DURABLE_COPIES, COMMITTED_PREFIX_IS_LINEAGE, IN_SYNC_REPLICA_REACHED_ITS_TARGET, IN_SYNC_REPLICAS_MATCH_PRIMARY, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
            finding: Some(
                "at the default bounds (2 writes) V2 itself violates commit_needs_durable_copies (A8), \
                 in_sync_replica_reached_its_target (A4), in_sync_replicas_match_primary (A7) and \
                 committed_prefix_is_lineage (T9), and so does V1.5: a replica that crashes and restarts while it \
                 recovers, with no retention window, is counted in sync for entries it does not hold. The \
                 expectation keeps V2 clean, so `swb-check compare` at the default bounds marks the cell ≠: a model \
                 issue reported to the model's owner, not a version difference. The quick bounds (1 write) do not \
                 reach it.",
            ),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BARRIER_EXPIRES, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS],
                expected: [
                    Expected { violated: &[COMMITTED_DATA_SURVIVES_FAILOVER, PROMOTION_PICKS_ELIGIBLE_CANDIDATE], unreached: &[CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS, TRUNCATION_HAPPENS] },
                Expected { violated: &[], unreached: &[FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
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
            verdicts: Verdicts {
                out_of_scope: &[BARRIER_EXPIRES, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[BARRIER_EXPIRES, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
            finding: None,
        },
        Scenario {
            name: "slow-control-plane-recovery",
            description: "A replica is cut off through several writes; the data path heals before any failover.",
            source: "§4.3 slow control-plane recovery, L2, A4",
            targets: &["V1-F4"],
            cost: Cost::Light,
            restrict: |base| Config {
                partitions_max: 1,
                timeouts_max: 1,
                writes_max: base.writes_max + 1,
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE], unreached: &[] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: None,
            finding: Some(V1_TAIL_CHASING_FINDING),
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
                ..quiet(base)
            },
            verdicts: Verdicts {
                out_of_scope: &[BUDGET_ESCALATION_HAPPENS, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, FULL_BASE_REBUILD_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
            verdicts: Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS, PROMOTION_HAPPENS, SNAPSHOT_TAIL_REBUILD_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[CATCH_UP_COMPLETES, RESERVATION_HOLDS_BACK_RECYCLING] },
                Expected::ALL_HOLD,
                    Expected::ALL_HOLD,
                ],
            },
            default_verdicts: Some(Verdicts {
                out_of_scope: &[ADDRESS_CHANGE_THEN_RECOVERY, PROMOTION_HAPPENS, STALE_MESSAGE_FENCED, TRUNCATION_HAPPENS],
                expected: [
                    Expected { violated: &[], unreached: &[BUDGET_ESCALATION_HAPPENS, CATCH_UP_COMPLETES, FULL_BASE_REBUILD_HAPPENS, RESERVATION_HOLDS_BACK_RECYCLING, SNAPSHOT_TAIL_REBUILD_HAPPENS] },
                    Expected { violated: &[CATCH_UP_ONLY_ON_RESERVED_RANGE, OVER_BUDGET_CATCH_UP_ESCALATES], unreached: &[BUDGET_ESCALATION_HAPPENS, FULL_BASE_REBUILD_HAPPENS] },
                    Expected::ALL_HOLD,
                ],
            }),
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
        reason: "two promotions in a row (two lease expiries, even at one write) exceed 1.7 million states per cell and did not finish in 400 s, too much for the matrix; each single promotion is covered by s1, s2, s3, s12 and s20, and `swb-check check` with lease_expiries_max = 2 checks the chain directly",
    },
    Inexpressible {
        name: "restart-rejoin",
        source: "§4.3 restart rejoin (policy), L1, L3",
        reason: "a crash and a move together (even at one write) exceed 2.3 million states for V2 and did not finish in 400 s; the two halves are the scenarios s18-primary-restart-without-failover (same address) and changed-address-restart",
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
