//! Executor rules (§6.11): plan values only, pins released exactly once on every exit, a fenced
//! session does no further IO, and the budget is checked on the IO path.

use super::*;
use crate::budget::{BudgetViolation, CatchUpBudget};
use crate::error::{AuthorityError, SenderError};
use crate::fixtures::{driver_with_sessions, lsn, primary, replica};
use crate::history::CheckpointTrust::Trusted;
use crate::history::FullBaseReason;
use crate::plan::{RebuildPlan, RecoveryPlan};
use crate::sender::Sender;
use crate::session::phase::SessionPhase;
use crate::storage::{InMemoryReplica, InMemoryStorage, PinAccounting};
use crate::types::{Epoch, ReplicaState, SessionKind};

type Driver = RecoveryDriver<InMemoryStorage>;

fn catch_up_plan(driver: &mut Driver, id: u32, flushed: u64) -> CatchUpPlan {
    match driver.plan_recovery(replica(id), lsn(flushed), Tick::new(0)) {
        Ok(RecoveryPlan::CatchUp(plan)) => plan,
        other => panic!("expected a catch-up plan, got {other:?}"),
    }
}

fn rebuild_plan(driver: &mut Driver, id: u32) -> RebuildPlan {
    driver
        .plan_rebuild(replica(id))
        .unwrap_or_else(|error| panic!("{error}"))
}

/// A replica holding the primary's first `flushed` entries.
fn replica_at(driver: &Driver, flushed: u64, batch_max: u64) -> InMemoryReplica {
    let mut wal = InMemoryStorage::new();
    let entries = driver
        .storage()
        .entries(LsnRange::new(lsn(0), lsn(flushed)))
        .unwrap_or_default();
    for entry in entries {
        assert_eq!(wal.append_entry(entry), Ok(()));
    }
    assert_eq!(wal.flush(lsn(flushed)), Ok(()));
    InMemoryReplica::new(wal, driver.storage().clone(), batch_max)
}

fn state(driver: &Driver, id: u32) -> Option<ReplicaState> {
    driver.orchestrator().sender(replica(id)).map(Sender::state)
}

fn balanced(driver: &Driver) -> bool {
    let accounting = driver.storage().pin_accounting();
    accounting.taken == accounting.released && driver.storage().active_pins().is_empty()
}

#[test]
fn catch_up_executor_replays_in_batches_to_in_sync() {
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 70);
    let mut io = replica_at(&driver, 70, 7);
    assert_eq!(
        CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
        Ok(lsn(100))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::InSync));
    assert_eq!(
        io.wal.entries(LsnRange::new(lsn(0), lsn(100))),
        driver.storage().entries(LsnRange::new(lsn(0), lsn(100)))
    );
    assert!(balanced(&driver));
    let kinds = driver.orchestrator().log().kinds_for(replica(1));
    assert_eq!(
        kinds.last(),
        Some(&EventKind::ResourcesReleased(ReleaseReason::Completed))
    );
}

#[test]
fn epoch_bump_between_executor_steps_stops_without_further_io() {
    // Goal: §4.6 — the step after an epoch bump is refused by the authority check, the pin is
    // released, and the replica's WAL does not move.
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 70);
    let mut io = replica_at(&driver, 70, 10);
    let executor = match CatchUpExecutor::new(plan).step(&mut driver, &mut io, Tick::new(1)) {
        Ok(CatchUpStep::Continue(executor)) => executor,
        other => panic!("{other:?}"),
    };
    let executor = match executor.step(&mut driver, &mut io, Tick::new(2)) {
        Ok(CatchUpStep::Continue(executor)) => executor,
        other => panic!("{other:?}"),
    };
    assert_eq!(io.wal.head(), lsn(80));
    assert_eq!(
        driver
            .orchestrator_mut()
            .update_sender_epoch(replica(1), Epoch::new(2)),
        Ok(Some(SessionId::FIRST))
    );
    let phase = SessionPhase::Invalidated(InvalidateReason::EpochAdvanced {
        from: Epoch::FIRST,
        to: Epoch::new(2),
    });
    assert_eq!(
        executor
            .step(&mut driver, &mut io, Tick::new(3))
            .map(|_| ()),
        Err(ExecuteError::Orchestrate(OrchestrateError::Sender(
            SenderError::Authority(AuthorityError::Inactive {
                session: SessionId::FIRST,
                phase,
            })
        )))
    );
    assert_eq!(io.wal.head(), lsn(80));
    assert_eq!(state(&driver, 1), Some(ReplicaState::Disconnected));
    assert!(balanced(&driver));
}

#[test]
fn io_catch_up_path_checks_the_budget_and_escalates() {
    // Goal: docs/engine.md "The IO catch-up path checks the budget" (§7.12, §8).
    let mut driver = RecoveryDriver::new(primary(100, 100, None, 0));
    driver
        .orchestrator_mut()
        .process_assignment(&crate::fixtures::intent(1, &[1], &[]));
    let budget = CatchUpBudget {
        entries_max: Some(15),
        ..CatchUpBudget::default()
    };
    assert_eq!(
        driver
            .orchestrator_mut()
            .attach_session(replica(1), SessionKind::CatchUp, Some(budget)),
        Ok(SessionId::FIRST)
    );
    let plan = catch_up_plan(&mut driver, 1, 70);
    let mut io = replica_at(&driver, 70, 10);
    let violation = BudgetViolation::EntriesExceeded {
        replayed: 20,
        max: 15,
    };
    assert_eq!(
        CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
        Err(ExecuteError::Orchestrate(OrchestrateError::Sender(
            SenderError::BudgetExceeded(violation)
        )))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::NeedsRebuild));
    assert!(balanced(&driver));
    assert!(driver
        .orchestrator()
        .log()
        .kinds_for(replica(1))
        .contains(&EventKind::BudgetEscalated(violation)));
}

#[test]
fn replica_ahead_truncates_through_executor_then_completes() {
    // Goal: §4.6 replica ahead with truncation.
    let mut driver = driver_with_sessions(primary(100, 80, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 95);
    let mut io = replica_at(&driver, 95, 10);
    assert_eq!(
        CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
        Ok(lsn(80))
    );
    assert_eq!(io.wal.head(), lsn(80));
    assert_eq!(state(&driver, 1), Some(ReplicaState::InSync));
    assert!(driver
        .orchestrator()
        .log()
        .kinds_for(replica(1))
        .contains(&EventKind::ExecTruncation { to: lsn(80) }));
}

#[test]
fn replica_ahead_of_committed_zero_completes_through_planner_and_executor() {
    // Goal: docs/engine.md "Truncation to 0" — unreachable upstream (§7.5), reachable here.
    let mut driver = driver_with_sessions(primary(10, 0, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 6);
    assert_eq!(plan.truncation(), Some(lsn(0)));
    let mut io = replica_at(&driver, 6, 10);
    assert_eq!(
        CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
        Ok(lsn(0))
    );
    assert_eq!(io.wal.head(), lsn(0));
    assert_eq!(state(&driver, 1), Some(ReplicaState::InSync));
}

#[test]
fn unsafe_truncation_escalates_to_needs_rebuild() {
    // Goal: §2.11 — ahead entries already in the extent → flushed_ahead_needs_rebuild.
    let mut driver = driver_with_sessions(primary(100, 80, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 95);
    let mut io = replica_at(&driver, 95, 10);
    io.extent_applied = lsn(90);
    assert_eq!(
        CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
        Err(ExecuteError::Io(IoError::TruncationUnsafe))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::NeedsRebuild));
    let phase = driver
        .orchestrator()
        .sender(replica(1))
        .and_then(Sender::latest_session)
        .map(|session| session.phase());
    assert_eq!(
        phase,
        Some(SessionPhase::Invalidated(
            InvalidateReason::FlushedAheadNeedsRebuild
        ))
    );
}

/// An IO port that reports whatever it is told to.
struct ScriptedIo {
    reached: Result<Lsn, IoError>,
}

impl CatchUpIo for ScriptedIo {
    fn stream_wal_entries(&mut self, _range: LsnRange) -> Result<Lsn, IoError> {
        self.reached
    }

    fn truncate_wal(&mut self, _to: Lsn) -> Result<(), IoError> {
        Ok(())
    }
}

#[test]
fn impossible_or_failed_io_stops_executor_and_cleans_up() {
    // Goal: the executor never records an IO report outside the planned range, and an IO
    // failure ends the session (a session never outlives its pins).
    let rows = [
        (
            Ok(lsn(70)),
            ExecuteError::IoOutOfRange {
                expected: LsnRange::new(lsn(70), lsn(100)),
                presented: lsn(70),
            },
        ),
        (
            Ok(lsn(101)),
            ExecuteError::IoOutOfRange {
                expected: LsnRange::new(lsn(70), lsn(100)),
                presented: lsn(101),
            },
        ),
        (
            Err(IoError::Transport),
            ExecuteError::Io(IoError::Transport),
        ),
    ];
    for (row, (reached, expected)) in rows.into_iter().enumerate() {
        let mut driver =
            driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
        let plan = catch_up_plan(&mut driver, 1, 70);
        let mut io = ScriptedIo { reached };
        assert_eq!(
            CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1)),
            Err(expected),
            "row {row}"
        );
        assert_eq!(
            state(&driver, 1),
            Some(ReplicaState::Disconnected),
            "row {row}"
        );
        assert!(balanced(&driver), "row {row}");
    }
}

#[test]
fn cancelled_executor_releases_and_invalidates() {
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    let plan = catch_up_plan(&mut driver, 1, 70);
    CatchUpExecutor::new(plan).cancel(&mut driver, CancelReason::Shutdown);
    assert!(balanced(&driver));
    assert_eq!(state(&driver, 1), Some(ReplicaState::Disconnected));
}

#[test]
fn snapshot_tail_rebuild_executor_reaches_in_sync() {
    let mut driver = driver_with_sessions(
        primary(100, 100, Some((50, Trusted)), 30),
        &[1],
        SessionKind::Rebuild,
    );
    let plan = rebuild_plan(&mut driver, 1);
    assert_eq!(
        plan.source(),
        RebuildSource::SnapshotTail { snapshot: lsn(50) }
    );
    let mut io = InMemoryReplica::new(InMemoryStorage::new(), driver.storage().clone(), 8);
    assert_eq!(
        RebuildExecutor::new(plan).run(&mut driver, &mut io),
        Ok(lsn(100))
    );
    assert_eq!(
        (io.wal.head(), io.wal.recycled_through()),
        (lsn(100), lsn(50))
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::InSync));
    assert!(balanced(&driver));
}

#[test]
fn full_base_rebuild_executor_reaches_in_sync_including_target_zero() {
    let rows = [
        (primary(100, 100, None, 30), lsn(100)),
        (primary(5, 0, None, 0), lsn(0)),
    ];
    for (row, (storage, target)) in rows.into_iter().enumerate() {
        let mut driver = driver_with_sessions(storage, &[1], SessionKind::Rebuild);
        let plan = rebuild_plan(&mut driver, 1);
        assert!(
            matches!(plan.source(), RebuildSource::FullBase(_)),
            "row {row}"
        );
        let mut io = InMemoryReplica::new(InMemoryStorage::new(), driver.storage().clone(), 8);
        assert_eq!(
            RebuildExecutor::new(plan).run(&mut driver, &mut io),
            Ok(target),
            "row {row}"
        );
        assert_eq!(state(&driver, 1), Some(ReplicaState::InSync), "row {row}");
        assert!(balanced(&driver), "row {row}");
    }
}

#[test]
fn rebuild_fenced_mid_transfer_still_needs_rebuild() {
    // Goal: docs/engine.md "An interrupted rebuild still needs a rebuild" (§8.2, S17).
    let mut driver = driver_with_sessions(
        primary(100, 100, Some((50, Trusted)), 30),
        &[1],
        SessionKind::Rebuild,
    );
    let plan = rebuild_plan(&mut driver, 1);
    let mut io = InMemoryReplica::new(InMemoryStorage::new(), driver.storage().clone(), 8);
    let mut executor = RebuildExecutor::new(plan);
    for _ in 0..3 {
        executor = match executor.step(&mut driver, &mut io) {
            Ok(RebuildStep::Continue(next)) => next,
            other => panic!("{other:?}"),
        };
    }
    assert_eq!(state(&driver, 1), Some(ReplicaState::Rebuilding));
    driver.orchestrator_mut().invalidate_epoch(Epoch::new(2));
    assert!(executor.step(&mut driver, &mut io).is_err());
    assert_eq!(state(&driver, 1), Some(ReplicaState::NeedsRebuild));
    assert!(balanced(&driver));
}

/// A rebuild port whose full base falls short of the target.
struct ShortBase;

impl RebuildIo for ShortBase {
    fn transfer_snapshot(&mut self, _snapshot: Lsn) -> Result<(), IoError> {
        Ok(())
    }

    fn transfer_full_base(&mut self, target: Lsn) -> Result<Lsn, IoError> {
        Ok(target.prev().unwrap_or(Lsn::ZERO))
    }

    fn stream_wal_entries(&mut self, range: LsnRange) -> Result<Lsn, IoError> {
        Ok(range.through)
    }
}

#[test]
fn full_base_short_of_target_fails_the_rebuild() {
    // Goal: T16 — a full base completes only at an achieved LSN ≥ target.
    let mut driver = driver_with_sessions(primary(100, 100, None, 30), &[1], SessionKind::Rebuild);
    let plan = rebuild_plan(&mut driver, 1);
    assert_eq!(
        plan.source(),
        RebuildSource::FullBase(FullBaseReason::NoCheckpoint)
    );
    assert_eq!(
        RebuildExecutor::new(plan).run(&mut driver, &mut ShortBase),
        Err(ExecuteError::FullBaseShort {
            target: lsn(100),
            achieved: lsn(99)
        })
    );
    assert_eq!(state(&driver, 1), Some(ReplicaState::NeedsRebuild));
    assert!(balanced(&driver));
    assert_eq!(
        driver.storage().pin_accounting(),
        PinAccounting {
            taken: 1,
            released: 1
        }
    );
}

#[test]
fn catch_up_executor_with_empty_replay_range_streams_nothing() {
    // Goal: §6.11, the executor carries out the plan's values and never decides again: a replay
    // plan whose range is already empty goes straight to finishing without asking the IO port
    // for entries (streaming an empty range could only fail out of range), and the sender, which
    // recorded (70, 100] at handshake, refuses to complete a session that never reached 100.
    let mut driver = driver_with_sessions(primary(100, 100, None, 0), &[1], SessionKind::CatchUp);
    let mut plan = catch_up_plan(&mut driver, 1, 70);
    plan.range = LsnRange::new(lsn(100), lsn(100));
    let mut io = replica_at(&driver, 100, 7);
    let result = CatchUpExecutor::new(plan).run(&mut driver, &mut io, Tick::new(1));
    assert_eq!(
        result,
        Err(ExecuteError::from(SenderError::CompletionRefused(
            crate::error::CompletionRefusal::NotConverged {
                recovered_to: lsn(70),
                target: lsn(100),
            }
        )))
    );
    assert!(balanced(&driver));
}
