//! The catalog: the scenario files under `scenarios/` (one TOML file per scenario, the format
//! of `file.rs`), embedded in the binary in PROTOCOL.md order: S1-S20 (§4.1), the
//! version-comparison scenarios (§4.3), then the other groups (§4.6). The files are the one
//! source of truth; `INEXPRESSIBLE` lists the backlog entries the model cannot state, with the
//! reason.
//!
//! A scenario turns on only the faults its story needs over the quiet base (every fault off),
//! so the matrix stays small and each verdict is about that story. Writes are bounded per
//! scenario by what its story needs: `{ at_most = 1 }` where one write tells it (a failover, a
//! crash or a move during a one-write recovery: a second write adds states, not behaviour the
//! story is about), the base's writes where a moving head is part of the story, and
//! `{ base_plus = 1 }` where the story is a chase. The cost of a second write where it is not
//! needed was measured: s3 went from 0.06 M to 2.05 M states over its three cells.

use super::file::{Format, ScenarioFile};
use super::{Inexpressible, Scenario};
use std::sync::OnceLock;

/// The embedded scenario files, in catalog order.
const FILES: &[&str] = &[
    include_str!("../../../scenarios/s1-ack-then-primary-crash.toml"),
    include_str!("../../../scenarios/s2-non-quorum-write-then-failover.toml"),
    include_str!("../../../scenarios/s3-zombie-old-primary-fenced.toml"),
    include_str!("../../../scenarios/s4-brief-disconnect-catch-up.toml"),
    include_str!("../../../scenarios/s5-flapping-replica.toml"),
    include_str!("../../../scenarios/s6-tail-chasing-under-load.toml"),
    include_str!("../../../scenarios/s7-retention-pressure-mid-catch-up.toml"),
    include_str!("../../../scenarios/s9-snapshot-tail-rebuild.toml"),
    include_str!("../../../scenarios/s10-mixed-states-sync-quorum.toml"),
    include_str!("../../../scenarios/s11-mixed-states-sync-all.toml"),
    include_str!("../../../scenarios/s12-promotion-chooses-valid-lineage.toml"),
    include_str!("../../../scenarios/s16-replica-restarts-during-catch-up.toml"),
    include_str!("../../../scenarios/s17-replica-restarts-during-rebuild.toml"),
    include_str!("../../../scenarios/s18-primary-restart-without-failover.toml"),
    include_str!("../../../scenarios/s20-partition-with-concurrent-writes.toml"),
    include_str!("../../../scenarios/changed-address-restart.toml"),
    include_str!("../../../scenarios/same-address-transient-outage.toml"),
    include_str!("../../../scenarios/slow-control-plane-recovery.toml"),
    include_str!("../../../scenarios/brief-disconnect.toml"),
    include_str!("../../../scenarios/non-convergent-tail-chasing.toml"),
    include_str!("../../../scenarios/restart-rejoin.toml"),
    include_str!("../../../scenarios/endpoint-change-during-catch-up.toml"),
    include_str!("../../../scenarios/duplicated-delivery.toml"),
    include_str!("../../../scenarios/lost-messages.toml"),
];

/// Every scenario the model can express, in PROTOCOL.md order, read once per process from the
/// embedded files. A file that does not parse is a defect of the build, caught by the tests.
pub fn catalog() -> Vec<Scenario> {
    static CATALOG: OnceLock<Vec<Scenario>> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            FILES
                .iter()
                .map(|text| {
                    ScenarioFile::parse(text, Format::Toml)
                        .unwrap_or_else(|error| panic!("an embedded scenario file: {error}"))
                        .into_scenario()
                })
                .collect()
        })
        .clone()
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
        reason: "not in the matrix: the chain needs three promotions and a write committed under each primary, too deep to finish \
                 from time zero (issue 18: 21 M states in 600 s of one thread without a single commit), where the whole matrix \
                 must take a few minutes; `examples/scenarios/chain-of-custody.toml` checks it exhaustively past a scripted \
                 prefix (`swb-check check --scenario-file examples/scenarios/chain-of-custody.toml --from-script`, V2: its \
                 witness reached, every property holding), and each single promotion is covered by s1, s2, s3, s12 and s20",
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
