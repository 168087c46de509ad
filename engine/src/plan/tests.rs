//! Planner rules (§6.10, §7.6, §7.7) and the pin-failure scenarios of §4.6.

use super::*;
use crate::error::OrchestrateError;
use crate::fixtures::{driver_with_sessions, lsn, primary, replica};
use crate::history::CheckpointTrust::{Trusted, Untrusted};
use crate::sender::Sender;
use crate::session::phase::SessionPhase;
use crate::storage::{InMemoryStorage, PinAccounting};
use crate::types::{ReplicaState, SessionKind};

fn state(driver: &RecoveryDriver<InMemoryStorage>, id: u32) -> Option<ReplicaState> {
    driver.orchestrator().sender(replica(id)).map(Sender::state)
}

fn last_phase(driver: &RecoveryDriver<InMemoryStorage>, id: u32) -> Option<SessionPhase> {
    driver
        .orchestrator()
        .sender(replica(id))
        .and_then(Sender::latest_session)
        .map(|session| session.phase())
}

#[test]
fn catch_up_plan_pins_wal_after_replica_position() {
    let mut driver = driver_with_sessions(primary(100, 100, None, 50), &[1], SessionKind::CatchUp);
    let plan = driver.plan_recovery(replica(1), lsn(60), Tick::new(0));
    let RecoveryPlan::CatchUp(plan) = plan.unwrap_or_else(|error| panic!("{error}")) else {
        panic!("expected catch-up")
    };
    assert_eq!(plan.range, LsnRange::new(lsn(60), lsn(100)));
    assert_eq!(plan.truncation(), None);
    assert_eq!(
        driver.storage().active_pins(),
        vec![(PinId::new(1), PinKind::Wal, lsn(60))]
    );
    // The pin holds back tail advance past its start.
    assert_eq!(
        driver.storage_mut().advance_tail(lsn(61)),
        Err(StorageError::TailPinned {
            requested: lsn(61),
            pinned_after: lsn(60)
        })
    );
    assert_eq!(driver.storage_mut().advance_tail(lsn(60)), Ok(()));
    driver.cancel_catch_up(plan, CancelReason::Requested);
    assert_eq!(
        driver.storage().pin_accounting(),
        PinAccounting {
            taken: 1,
            released: 1
        }
    );
    assert_eq!(
        last_phase(&driver, 1),
        Some(SessionPhase::Invalidated(InvalidateReason::PlanCancelled(
            CancelReason::Requested
        )))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::Disconnected));
}

#[test]
fn zero_gap_and_needs_rebuild_plans_hold_no_pins() {
    let mut driver =
        driver_with_sessions(primary(100, 100, None, 50), &[1, 2], SessionKind::CatchUp);
    let zero = driver.plan_recovery(replica(1), lsn(100), Tick::new(0));
    assert!(matches!(zero, Ok(RecoveryPlan::ZeroGap { .. })), "{zero:?}");
    let beyond = driver.plan_recovery(replica(2), lsn(49), Tick::new(0));
    assert!(
        matches!(beyond, Ok(RecoveryPlan::NeedsRebuild { .. })),
        "{beyond:?}"
    );
    assert_eq!(driver.storage().pin_accounting(), PinAccounting::default());
    assert_eq!(
        (state(&driver, 1), state(&driver, 2)),
        (Some(ReplicaState::InSync), Some(ReplicaState::NeedsRebuild))
    );
}

#[test]
fn replica_ahead_plans_truncation_only_without_pin() {
    let mut driver = driver_with_sessions(primary(100, 80, None, 0), &[1], SessionKind::CatchUp);
    let plan = driver.plan_recovery(replica(1), lsn(95), Tick::new(0));
    let RecoveryPlan::CatchUp(plan) = plan.unwrap_or_else(|error| panic!("{error}")) else {
        panic!("expected catch-up")
    };
    assert_eq!(plan.work, CatchUpWork::TruncateOnly { to: lsn(80) });
    assert_eq!(plan.range, LsnRange::new(lsn(80), lsn(80)));
    assert_eq!(driver.storage().active_pins(), vec![]);
    driver.cancel_catch_up(plan, CancelReason::Shutdown);
}

#[test]
fn wal_pin_failure_invalidates_catch_up_session() {
    // Goal: §4.6 — a pin failure cleans up its session (wal_pin_failed, disconnected).
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    driver.storage_mut().inject_pin_failure(PinKind::Wal);
    assert_eq!(
        driver.plan_recovery(replica(1), lsn(60), Tick::new(0)),
        Err(PlanError::PinFailed {
            kind: PinKind::Wal,
            source: StorageError::InjectedPinFailure { kind: PinKind::Wal }
        })
    );
    assert_eq!(
        last_phase(&driver, 1),
        Some(SessionPhase::Invalidated(InvalidateReason::WalPinFailed))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::Disconnected));
    assert!(driver
        .orchestrator()
        .log()
        .kinds_for(replica(1))
        .contains(&EventKind::PinFailed(PinKind::Wal)));
}

#[test]
fn rebuild_pin_failures_each_clean_up_their_session() {
    // Goal: §4.6 — snapshot, WAL-during-rebuild and full-base pin failures; every pin taken is
    // released and the replica still needs a rebuild.
    let snapshot_tail = || primary(100, 100, Some((50, Trusted)), 30);
    let rows = [
        (
            snapshot_tail(),
            PinKind::Snapshot,
            InvalidateReason::SnapshotPinFailed,
            0,
        ),
        (
            snapshot_tail(),
            PinKind::Wal,
            InvalidateReason::WalPinFailedDuringRebuild,
            1,
        ),
        (
            primary(100, 100, None, 30),
            PinKind::FullBase,
            InvalidateReason::FullBasePinFailed,
            0,
        ),
    ];
    for (row, (storage, kind, reason, taken)) in rows.into_iter().enumerate() {
        let mut driver = driver_with_sessions(storage, &[1], SessionKind::Rebuild);
        driver.storage_mut().inject_pin_failure(kind);
        let planned = driver.plan_rebuild(replica(1));
        assert_eq!(
            planned,
            Err(PlanError::PinFailed {
                kind,
                source: StorageError::InjectedPinFailure { kind }
            }),
            "row {row}"
        );
        assert_eq!(
            last_phase(&driver, 1),
            Some(SessionPhase::Invalidated(reason)),
            "row {row}"
        );
        assert_eq!(
            state(&driver, 1),
            Some(ReplicaState::NeedsRebuild),
            "row {row}"
        );
        assert_eq!(
            driver.storage().pin_accounting(),
            PinAccounting {
                taken,
                released: taken
            },
            "row {row}"
        );
    }
}

#[test]
fn rebuild_source_table_through_planner() {
    // Goal: §4.6 — trusted base with unreplayable tail → full base; untrusted checkpoint → full
    // base; committed 0 → full base at target 0 (no head fallback, docs/engine.md).
    let rows = [
        (
            primary(100, 100, Some((50, Trusted)), 30),
            RebuildSource::SnapshotTail { snapshot: lsn(50) },
            lsn(100),
        ),
        (
            primary(100, 100, Some((50, Trusted)), 80),
            RebuildSource::FullBase(FullBaseReason::TailNotReplayable),
            lsn(100),
        ),
        (
            primary(100, 100, Some((50, Untrusted)), 30),
            RebuildSource::FullBase(FullBaseReason::UntrustedCheckpoint),
            lsn(100),
        ),
        (
            primary(100, 0, None, 0),
            RebuildSource::FullBase(FullBaseReason::NothingCommitted),
            lsn(0),
        ),
    ];
    for (row, (storage, source, target)) in rows.into_iter().enumerate() {
        let mut driver = driver_with_sessions(storage, &[1], SessionKind::Rebuild);
        let plan = driver
            .plan_rebuild(replica(1))
            .unwrap_or_else(|error| panic!("row {row}: {error}"));
        assert_eq!((plan.source(), plan.target), (source, target), "row {row}");
        driver.cancel_rebuild(plan, CancelReason::Requested);
        assert_eq!(driver.storage().active_pins(), vec![], "row {row}");
    }
}

#[test]
fn plan_rebuild_fails_closed_without_a_rebuild_session() {
    let mut driver = driver_with_sessions(primary(10, 10, None, 0), &[1], SessionKind::CatchUp);
    assert_eq!(
        driver.plan_rebuild(replica(9)),
        Err(PlanError::Orchestrate(OrchestrateError::UnknownReplica {
            replica: replica(9)
        }))
    );
    assert_eq!(
        driver.plan_rebuild(replica(1)),
        Err(PlanError::NotRebuildSession {
            session: SessionId::FIRST,
            kind: SessionKind::CatchUp
        })
    );
    driver
        .orchestrator_mut()
        .update_sender_epoch(replica(1), crate::types::Epoch::new(2))
        .ok();
    assert_eq!(
        driver.plan_rebuild(replica(1)),
        Err(PlanError::Orchestrate(OrchestrateError::NoActiveSession {
            replica: replica(1)
        }))
    );
    assert_eq!(driver.storage().pin_accounting(), PinAccounting::default());
}

#[test]
fn cancel_of_a_superseded_plan_leaves_the_successor_alone() {
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    let plan = driver.plan_recovery(replica(1), lsn(60), Tick::new(0));
    let RecoveryPlan::CatchUp(plan) = plan.unwrap_or_else(|error| panic!("{error}")) else {
        panic!("expected catch-up")
    };
    let successor = driver.orchestrator_mut().supersede_session(
        replica(1),
        SessionKind::CatchUp,
        InvalidateReason::AssignmentIntent,
        None,
    );
    let successor = successor.map(|supersession| supersession.session);
    driver.cancel_catch_up(plan, CancelReason::Reassigned);
    assert_eq!(
        driver
            .orchestrator()
            .sender(replica(1))
            .and_then(Sender::active_session_id),
        successor.ok()
    );
    assert_eq!(driver.storage().active_pins(), vec![]);
}

#[test]
fn pins_read_back_what_they_hold_and_name_themselves() {
    // Goal: a pin reports the LSN it holds and its id (the planner's and the executors'
    // accounting read them); kinds and ids print as the recovery log names them.
    let mut storage = primary(100, 100, Some((100, Trusted)), 40);
    let wal = storage
        .pin_wal_retention(lsn(60))
        .unwrap_or_else(|error| panic!("{error}"));
    let base = storage
        .pin_full_base(lsn(100))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(wal.after(), lsn(60));
    assert_eq!(base.committed(), lsn(100));
    assert_ne!(wal.id(), base.id());
    assert_eq!(PinId::new(7).get(), 7);
    assert_eq!(PinId::new(7).to_string(), "p7");
    let kinds = [
        (PinKind::Wal, "wal"),
        (PinKind::Snapshot, "snapshot"),
        (PinKind::FullBase, "full_base"),
    ];
    for (kind, name) in kinds {
        assert_eq!(kind.to_string(), name);
    }
    wal.release(&mut storage);
    base.release(&mut storage);
}
