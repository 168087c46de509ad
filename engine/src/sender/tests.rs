//! Sender rules (§6.3, §7.4, §7.5, §7.8–7.11, §7.14–7.16) and the §8 decisions on sender state.

use super::*;
use crate::budget::BudgetTracker;
use crate::error::PhaseError;
use crate::history::{Checkpoint, CheckpointTrust, FullBaseReason, ProofReason};
use crate::types::EndpointVersion;

fn lsn(value: u64) -> Lsn {
    Lsn::new(value)
}

fn endpoint(version: u64) -> Endpoint {
    Endpoint {
        data_addr: format!("r1:v{version}"),
        ctrl_addr: "r1:ctrl".into(),
        version: EndpointVersion::new(version),
    }
}

fn sender() -> Sender {
    Sender::new(ReplicaId::new(1), endpoint(1), Epoch::FIRST)
}

fn attached(
    kind: SessionKind,
    budget: Option<CatchUpBudget>,
) -> (Sender, SessionIdCounter, SessionId) {
    let mut sender = sender();
    let mut ids = SessionIdCounter::new();
    let id = sender.attach_session(&mut ids, Epoch::FIRST, kind, budget);
    assert_eq!(id, Ok(SessionId::FIRST));
    (sender, ids, SessionId::FIRST)
}

fn history(head: u64, tail: u64, committed: u64) -> RetainedHistory {
    let checkpoint = Some(Checkpoint {
        lsn: lsn(head.max(1)),
        trust: CheckpointTrust::Trusted,
    });
    match RetainedHistory::new(lsn(head), lsn(tail), lsn(committed), checkpoint) {
        Ok(history) => history,
        Err(error) => panic!("{error}"),
    }
}

/// A catch-up session handshaken against (head 100, tail 50, committed `committed`) from
/// `flushed`.
fn handshaken(
    flushed: u64,
    committed: u64,
    budget: Option<CatchUpBudget>,
) -> (Sender, SessionIdCounter, SessionId) {
    let (mut sender, ids, id) = attached(SessionKind::CatchUp, budget);
    assert_eq!(sender.begin_connect(id), Ok(()));
    let report =
        sender.record_handshake_from_history(id, lsn(flushed), &history(100, 0, committed));
    assert!(report.is_ok(), "{report:?}");
    (sender, ids, id)
}

/// A rebuild session handshaken with the range `(0, target]`.
fn rebuild_handshaken(target: u64) -> (Sender, SessionIdCounter, SessionId) {
    let (mut sender, ids, id) = attached(SessionKind::Rebuild, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    assert_eq!(
        sender.record_handshake(id, LsnRange::new(lsn(0), lsn(target))),
        Ok(())
    );
    (sender, ids, id)
}

fn in_sync_sender() -> Sender {
    let (mut sender, _, id) = handshaken(100, 100, None);
    assert_eq!(sender.complete(id, Tick::new(0)), Ok(lsn(100)));
    assert_eq!(sender.state(), ReplicaState::InSync);
    sender
}

#[test]
fn authority_check_fails_closed_in_order_stopped_none_stale_inactive() {
    // Goal: §6.3 / T7 — the four refusals, each row showing the earlier check wins.
    let mut fresh = sender();
    assert_eq!(
        fresh.authorize(SessionId::FIRST),
        Err(AuthorityError::NoSession {
            replica: ReplicaId::new(1)
        })
    );
    fresh.stop();
    assert_eq!(
        fresh.authorize(SessionId::FIRST),
        Err(AuthorityError::Stopped {
            replica: ReplicaId::new(1)
        })
    );

    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    let stale = SessionId::new(9);
    assert_eq!(
        sender.authorize(stale),
        Err(AuthorityError::StaleSession {
            presented: stale,
            current: id
        })
    );
    assert_eq!(sender.update_endpoint(endpoint(2)), Some(id));
    let ended = SessionPhase::Invalidated(InvalidateReason::EndpointChanged);
    assert_eq!(
        sender.authorize(id),
        Err(AuthorityError::Inactive {
            session: id,
            phase: ended
        })
    );
    assert_eq!(
        sender.authorize(stale),
        Err(AuthorityError::StaleSession {
            presented: stale,
            current: id
        })
    );
    sender.stop();
    assert_eq!(
        sender.authorize(stale),
        Err(AuthorityError::Stopped {
            replica: ReplicaId::new(1)
        })
    );
}

#[test]
fn every_execution_call_rejects_a_stale_session_id_without_change() {
    // Goal: T7 / §3.8 — a superseded id is refused by every execution API.
    let (mut sender, mut ids, old) = handshaken(70, 100, None);
    let replaced = sender.supersede_session(
        &mut ids,
        SessionKind::CatchUp,
        InvalidateReason::AssignmentIntent,
        None,
    );
    let current = SessionId::new(2);
    assert_eq!(
        replaced,
        Ok(Supersession {
            replaced: Some(old),
            session: current
        })
    );
    let before = sender.view();
    let stale = Err(SenderError::Authority(AuthorityError::StaleSession {
        presented: old,
        current,
    }));
    let history = history(100, 0, 100);
    let now = Tick::new(1);
    assert_eq!(sender.begin_connect(old), stale);
    assert_eq!(
        sender.record_handshake(old, LsnRange::new(lsn(0), lsn(1))),
        stale
    );
    assert_eq!(
        sender
            .record_handshake_from_history(old, lsn(70), &history)
            .map(|_| ()),
        stale
    );
    assert_eq!(sender.begin_catch_up(old, now), stale);
    assert_eq!(sender.record_catch_up_progress(old, lsn(80), now), stale);
    assert_eq!(sender.record_truncation(old, lsn(100)), stale);
    assert_eq!(sender.check_budget(old, now), stale);
    assert_eq!(sender.complete(old, now).map(|_| ()), stale);
    assert_eq!(
        sender.select_rebuild_source(old, RebuildSource::FullBase(FullBaseReason::NoCheckpoint)),
        stale
    );
    assert_eq!(
        sender
            .select_rebuild_from_history(old, &history)
            .map(|_| ()),
        stale
    );
    assert_eq!(sender.begin_rebuild_transfer(old), stale);
    assert_eq!(sender.record_rebuild_transfer_progress(old, lsn(1)), stale);
    assert_eq!(sender.begin_rebuild_tail_replay(old), stale);
    assert_eq!(sender.record_rebuild_tail_progress(old, lsn(1)), stale);
    assert_eq!(sender.complete_rebuild(old).map(|_| ()), stale);
    assert_eq!(
        sender.invalidate_session(
            old,
            InvalidateReason::ExecutionFailed,
            Fallback::Disconnected
        ),
        stale
    );
    assert_eq!(sender.view(), before);
}

#[test]
fn update_epoch_ignores_equal_or_lower_and_fences_older_session() {
    // Goal: §7.15 — equal/lower epochs ignored; a newer one ends the session.
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(sender.update_epoch(Epoch::FIRST), None);
    assert_eq!(sender.active_session_id(), Some(id));
    assert_eq!(sender.update_epoch(Epoch::new(2)), Some(id));
    assert_eq!(sender.epoch(), Epoch::new(2));
    assert_eq!(sender.state(), ReplicaState::Disconnected);
    let reason = InvalidateReason::EpochAdvanced {
        from: Epoch::FIRST,
        to: Epoch::new(2),
    };
    assert_eq!(
        sender.latest_session().map(Session::phase),
        Some(SessionPhase::Invalidated(reason))
    );
    assert_eq!(sender.update_epoch(Epoch::new(1)), None);
    assert_eq!(sender.epoch(), Epoch::new(2));
}

#[test]
fn in_sync_sender_without_session_is_demoted_by_epoch_bump() {
    // Goal: docs/engine.md "No sender state survives a fence" (§8.9, §7.15) — upstream keeps
    // it in_sync; here it must handshake again in the new epoch.
    let mut sender = in_sync_sender();
    assert_eq!(sender.update_epoch(Epoch::new(2)), None);
    assert_eq!(sender.state(), ReplicaState::Disconnected);
    let events: Vec<EventKind> = sender
        .drain_events()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        events.last(),
        Some(&EventKind::StateChanged {
            from: ReplicaState::InSync,
            to: ReplicaState::Disconnected
        })
    );
}

#[test]
fn in_sync_sender_without_session_is_demoted_by_endpoint_change() {
    // Goal: docs/engine.md "No sender state survives a fence" (§8.9).
    let mut sender = in_sync_sender();
    assert_eq!(sender.update_endpoint(endpoint(2)), None);
    assert_eq!(sender.state(), ReplicaState::Disconnected);
    assert_eq!(sender.endpoint(), &endpoint(2));
}

#[test]
fn needs_rebuild_survives_epoch_and_endpoint_changes() {
    // Goal: docs/engine.md "No sender state survives a fence" — needs-rebuild is sticky.
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    let report = sender.record_handshake_from_history(id, lsn(10), &history(100, 50, 100));
    assert_eq!(
        report.map(|report| report.outcome),
        Ok(RecoveryOutcome::NeedsRebuild)
    );
    assert_eq!(sender.update_epoch(Epoch::new(2)), None);
    assert_eq!(sender.update_endpoint(endpoint(2)), None);
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
}

#[test]
fn fenced_catch_up_session_falls_back_to_disconnected() {
    // Goal: docs/engine.md "Epoch change during recovery" (§8.2).
    let (mut sender, _, id) = handshaken(10, 100, None);
    assert_eq!(sender.state(), ReplicaState::Connecting);
    assert_eq!(sender.update_epoch(Epoch::new(2)), Some(id));
    assert_eq!(sender.state(), ReplicaState::Disconnected);
}

#[test]
fn fenced_rebuild_session_leaves_replica_needing_rebuild() {
    // Goal: docs/engine.md "An interrupted rebuild still needs a rebuild" (§8.2).
    let (mut sender, _, id) = attached(SessionKind::Rebuild, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    assert_eq!(sender.update_endpoint(endpoint(2)), Some(id));
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
}

#[test]
fn update_endpoint_unchanged_or_stopped_is_ignored() {
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.update_endpoint(endpoint(1)), None);
    assert_eq!(sender.active_session_id(), Some(id));
    sender.stop();
    assert_eq!(sender.update_endpoint(endpoint(2)), None);
    assert_eq!(sender.endpoint(), &endpoint(1));
}

#[test]
fn attach_session_refusals_in_order_and_no_id_consumed() {
    let mut ids = SessionIdCounter::new();
    let mut sender = sender();
    assert_eq!(
        sender.attach_session(&mut ids, Epoch::new(2), SessionKind::CatchUp, None),
        Err(SenderError::EpochMismatch {
            requested: Epoch::new(2),
            sender: Epoch::FIRST
        })
    );
    assert_eq!(
        sender.attach_session(
            &mut ids,
            Epoch::FIRST,
            SessionKind::Rebuild,
            Some(CatchUpBudget::default())
        ),
        Err(SenderError::BudgetOnRebuild)
    );
    assert_eq!(ids.peek(), SessionId::FIRST);
    assert_eq!(
        sender.attach_session(&mut ids, Epoch::FIRST, SessionKind::Bootstrap, None),
        Ok(SessionId::FIRST)
    );
    assert_eq!(
        sender.attach_session(&mut ids, Epoch::FIRST, SessionKind::CatchUp, None),
        Err(SenderError::SessionActive {
            current: SessionId::FIRST
        })
    );
    sender.stop();
    assert_eq!(
        sender.attach_session(&mut ids, Epoch::FIRST, SessionKind::CatchUp, None),
        Err(SenderError::Stopped {
            replica: ReplicaId::new(1)
        })
    );
    assert_eq!(
        sender.supersede_session(
            &mut ids,
            SessionKind::CatchUp,
            InvalidateReason::AssignmentIntent,
            None
        ),
        Err(SenderError::Stopped {
            replica: ReplicaId::new(1)
        })
    );
    assert_eq!(ids.peek(), SessionId::new(2));
}

#[test]
fn supersede_ends_active_session_and_resets_state() {
    // Goal: §7.16 — the old id becomes stale; the state falls back (engine decision).
    let (mut sender, mut ids, old) = handshaken(70, 100, None);
    assert_eq!(sender.begin_catch_up(old, Tick::new(0)), Ok(()));
    assert_eq!(sender.state(), ReplicaState::CatchingUp);
    let superseded = sender.supersede_session(
        &mut ids,
        SessionKind::Reassign,
        InvalidateReason::AssignmentIntent,
        None,
    );
    assert_eq!(
        superseded,
        Ok(Supersession {
            replaced: Some(old),
            session: SessionId::new(2)
        })
    );
    assert_eq!(sender.state(), ReplicaState::Disconnected);
    assert_eq!(
        sender.active_session().map(Session::phase),
        Some(SessionPhase::Init)
    );
}

#[test]
fn stop_is_idempotent_and_keeps_state() {
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(sender.stop(), Some(id));
    assert_eq!(sender.stop(), None);
    assert_eq!(sender.state(), ReplicaState::Connecting);
    let phase = sender.latest_session().map(Session::phase);
    assert_eq!(
        phase,
        Some(SessionPhase::Invalidated(InvalidateReason::SenderStopped))
    );
}

#[test]
fn handshake_outcome_fixes_range_and_truncation_table() {
    // Goal: §6.3 RecordHandshakeWithOutcome — (flushed, committed) → outcome, range, truncation.
    let rows = [
        (
            100,
            100,
            RecoveryOutcome::ZeroGap,
            LsnRange::new(lsn(100), lsn(100)),
            Truncation::NotRequired,
        ),
        (
            0,
            0,
            RecoveryOutcome::ZeroGap,
            LsnRange::new(lsn(0), lsn(0)),
            Truncation::NotRequired,
        ),
        (
            70,
            100,
            RecoveryOutcome::CatchUp,
            LsnRange::new(lsn(70), lsn(100)),
            Truncation::NotRequired,
        ),
        (
            100,
            80,
            RecoveryOutcome::CatchUp,
            LsnRange::new(lsn(80), lsn(80)),
            Truncation::Required { to: lsn(80) },
        ),
        (
            5,
            0,
            RecoveryOutcome::CatchUp,
            LsnRange::new(lsn(0), lsn(0)),
            Truncation::Required { to: lsn(0) },
        ),
    ];
    for (row, (flushed, committed, outcome, range, truncation)) in rows.into_iter().enumerate() {
        let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
        assert_eq!(sender.begin_connect(id), Ok(()));
        let handshake = HandshakeResult {
            replica_flushed: lsn(flushed),
            matched_through: lsn(flushed),
            committed: lsn(committed),
            retention_start: None,
        };
        assert_eq!(
            sender.record_handshake_with_outcome(id, handshake),
            Ok(outcome),
            "row {row}"
        );
        let session = sender.active_session();
        assert_eq!(session.and_then(Session::range), Some(range), "row {row}");
        assert_eq!(
            session
                .and_then(Session::catch_up)
                .map(|progress| progress.truncation),
            Some(truncation),
            "row {row}"
        );
    }
}

#[test]
fn handshake_beyond_retention_needs_rebuild() {
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    let report = sender.record_handshake_from_history(id, lsn(49), &history(100, 50, 100));
    assert_eq!(
        report.map(|report| report.outcome),
        Ok(RecoveryOutcome::NeedsRebuild)
    );
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
    assert_eq!(sender.active_session_id(), None);
    let phase = sender.latest_session().map(Session::phase);
    assert_eq!(
        phase,
        Some(SessionPhase::Invalidated(
            InvalidateReason::GapExceedsRetention
        ))
    );
}

#[test]
fn handshake_needs_phase_connecting_and_catch_up_session() {
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    let handshake = HandshakeResult {
        replica_flushed: lsn(1),
        matched_through: lsn(1),
        committed: lsn(5),
        retention_start: None,
    };
    assert_eq!(
        sender.record_handshake_with_outcome(id, handshake),
        Err(SenderError::Phase(PhaseError {
            from: SessionPhase::Init,
            to: SessionPhase::Handshake
        }))
    );
    let (mut rebuild, _, rebuild_id) = attached(SessionKind::Rebuild, None);
    assert_eq!(rebuild.begin_connect(rebuild_id), Ok(()));
    assert_eq!(
        rebuild.record_handshake_with_outcome(rebuild_id, handshake),
        Err(SenderError::RebuildSession {
            session: rebuild_id
        })
    );
}

#[test]
fn zero_gap_at_zero_completes_straight_to_in_sync() {
    // Goal: §7.4 — flushed = committed = 0 is zero gap and completes from handshake.
    let (mut sender, _, id) = handshaken(0, 0, None);
    assert_eq!(sender.complete(id, Tick::new(0)), Ok(lsn(0)));
    assert_eq!(sender.state(), ReplicaState::InSync);
}

#[test]
fn replica_ahead_completes_only_after_truncation() {
    // Goal: §7.5 / T9 — replica ahead without truncation → rejected; with it → in sync.
    let (mut sender, _, id) = handshaken(100, 80, None);
    let before = sender.view();
    assert_eq!(
        sender.complete(id, Tick::new(0)),
        Err(SenderError::CompletionRefused(
            CompletionRefusal::TruncationUnrecorded { to: lsn(80) }
        ))
    );
    assert_eq!(sender.view(), before);
    assert_eq!(sender.record_truncation(id, lsn(80)), Ok(()));
    assert_eq!(sender.complete(id, Tick::new(0)), Ok(lsn(80)));
    assert_eq!(sender.state(), ReplicaState::InSync);
}

#[test]
fn replica_ahead_of_committed_zero_truncates_to_zero_and_completes() {
    // Goal: docs/engine.md "Truncation to 0" (§7.5, §8) — reachable here, not upstream.
    let (mut sender, _, id) = handshaken(7, 0, None);
    assert_eq!(sender.record_truncation(id, lsn(0)), Ok(()));
    assert_eq!(sender.complete(id, Tick::new(0)), Ok(lsn(0)));
}

#[test]
fn catch_up_completes_only_when_converged() {
    // Goal: §7.10 — completion in catch-up needs recovered ≥ frozen target.
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert_eq!(sender.state(), ReplicaState::CatchingUp);
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(99), Tick::new(2)),
        Ok(())
    );
    assert_eq!(
        sender.complete(id, Tick::new(2)),
        Err(SenderError::CompletionRefused(
            CompletionRefusal::NotConverged {
                recovered_to: lsn(99),
                target: lsn(100)
            }
        ))
    );
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(100), Tick::new(3)),
        Ok(())
    );
    assert_eq!(sender.complete(id, Tick::new(3)), Ok(lsn(100)));
    assert_eq!(sender.state(), ReplicaState::InSync);
    assert_eq!(sender.active_session_id(), None);
}

#[test]
fn handshake_with_gap_cannot_complete_without_catch_up() {
    let (mut sender, _, id) = handshaken(70, 100, None);
    let range = LsnRange::new(lsn(70), lsn(100));
    assert_eq!(
        sender.complete(id, Tick::new(0)),
        Err(SenderError::CompletionRefused(
            CompletionRefusal::RangeNotEmpty { range }
        ))
    );
}

#[test]
fn progress_precondition_order_authority_kind_phase_tick_regression_target() {
    // Goal: STYLE "preconditions checked in a tested order" — each row breaks one more rule.
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(80), Tick::new(0)),
        Err(SenderError::Phase(PhaseError {
            from: SessionPhase::Handshake,
            to: SessionPhase::CatchUp
        }))
    );
    assert_eq!(sender.begin_catch_up(id, Tick::new(5)), Ok(()));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(200), Tick::new(4)),
        Err(SenderError::TickRegressed {
            latest: Tick::new(5),
            presented: Tick::new(4)
        })
    );
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(70), Tick::new(5)),
        Err(SenderError::ProgressRegression {
            recovered_to: lsn(70),
            presented: lsn(70)
        })
    );
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(101), Tick::new(5)),
        Err(SenderError::BeyondFrozenTarget {
            frozen_target: lsn(100),
            presented: lsn(101)
        })
    );
    assert_eq!(
        sender.record_catch_up_progress(SessionId::new(7), lsn(101), Tick::new(4)),
        Err(SenderError::Authority(AuthorityError::StaleSession {
            presented: SessionId::new(7),
            current: id
        }))
    );
}

#[test]
fn budget_violation_escalates_to_needs_rebuild() {
    // Goal: A5 / §6.6 — a violated budget invalidates the session and marks needs-rebuild.
    let budget = CatchUpBudget {
        entries_max: Some(20),
        ..CatchUpBudget::default()
    };
    let (mut sender, _, id) = handshaken(70, 100, Some(budget));
    assert_eq!(sender.begin_catch_up(id, Tick::new(0)), Ok(()));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(90), Tick::new(1)),
        Ok(())
    );
    assert_eq!(sender.check_budget(id, Tick::new(1)), Ok(()));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(91), Tick::new(2)),
        Ok(())
    );
    let violation = BudgetViolation::EntriesExceeded {
        replayed: 21,
        max: 20,
    };
    assert_eq!(
        sender.check_budget(id, Tick::new(2)),
        Err(SenderError::BudgetExceeded(violation))
    );
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
    let phase = sender.latest_session().map(Session::phase);
    assert_eq!(
        phase,
        Some(SessionPhase::Invalidated(InvalidateReason::Budget(
            violation
        )))
    );
}

#[test]
fn completion_past_budget_escalates_instead_of_completing() {
    // Goal: A5 — "on entering InSync … no budget violated"; completion checks the budget.
    let budget = CatchUpBudget {
        duration_ticks_max: Some(10),
        ..CatchUpBudget::default()
    };
    let (mut sender, _, id) = handshaken(70, 100, Some(budget));
    assert_eq!(sender.begin_catch_up(id, Tick::new(0)), Ok(()));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(100), Tick::new(11)),
        Ok(())
    );
    let violation = BudgetViolation::DurationExceeded {
        elapsed: 11,
        max: 10,
    };
    assert_eq!(
        sender.complete(id, Tick::new(11)),
        Err(SenderError::BudgetExceeded(violation))
    );
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
}

#[test]
fn budget_check_with_earlier_tick_is_refused_without_change() {
    // Goal: docs/engine.md "Ticks never run backwards" (§7.11).
    let budget = CatchUpBudget {
        duration_ticks_max: Some(1),
        ..CatchUpBudget::default()
    };
    let (mut sender, _, id) = handshaken(70, 100, Some(budget));
    assert_eq!(sender.begin_catch_up(id, Tick::new(10)), Ok(()));
    let before = sender.view();
    assert_eq!(
        sender.check_budget(id, Tick::new(3)),
        Err(SenderError::TickRegressed {
            latest: Tick::new(10),
            presented: Tick::new(3)
        })
    );
    assert_eq!(sender.view(), before);
    let tracker = sender
        .active_session()
        .and_then(Session::catch_up)
        .and_then(|progress| progress.tracker);
    assert_eq!(tracker, Some(BudgetTracker::start(Tick::new(10))));
}

#[test]
fn rebuild_session_runs_snapshot_tail_to_in_sync() {
    // Goal: §6.3 rebuild execution; the replica is `rebuilding` during transfer (§7.14 decision).
    let (mut sender, _, id) = rebuild_handshaken(100);
    let source = sender.select_rebuild_from_history(id, &history(100, 30, 100));
    assert_eq!(
        source,
        Ok(RebuildSource::SnapshotTail { snapshot: lsn(100) })
    );
    assert_eq!(sender.begin_rebuild_transfer(id), Ok(()));
    assert_eq!(sender.state(), ReplicaState::Rebuilding);
    assert_eq!(
        sender.record_rebuild_transfer_progress(id, lsn(100)),
        Ok(())
    );
    assert_eq!(
        sender.complete_rebuild(id),
        Err(SenderError::Rebuild(crate::error::RebuildError::NotReady {
            phase: RebuildPhase::Transfer
        }))
    );
    assert_eq!(sender.begin_rebuild_tail_replay(id), Ok(()));
    assert_eq!(sender.complete_rebuild(id), Ok(lsn(100)));
    assert_eq!(sender.state(), ReplicaState::InSync);
}

#[test]
fn catch_up_and_rebuild_calls_are_confined_to_their_session_kind() {
    let (mut rebuild, _, id) = rebuild_handshaken(10);
    assert_eq!(
        rebuild.begin_catch_up(id, Tick::new(0)),
        Err(SenderError::RebuildSession { session: id })
    );
    assert_eq!(
        rebuild.complete(id, Tick::new(0)),
        Err(SenderError::CompletionRefused(
            CompletionRefusal::RebuildSession
        ))
    );
    let (mut catch_up, _, catch_up_id) = handshaken(70, 100, None);
    assert_eq!(
        catch_up.begin_rebuild_transfer(catch_up_id),
        Err(SenderError::NotRebuildSession {
            session: catch_up_id,
            kind: SessionKind::CatchUp
        })
    );
}

#[test]
fn invalidate_session_moves_to_fallback() {
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(
        sender.invalidate_session(id, InvalidateReason::WalPinFailed, Fallback::Disconnected),
        Ok(())
    );
    assert_eq!(sender.state(), ReplicaState::Disconnected);
    assert_eq!(sender.active_session_id(), None);
}

#[test]
fn every_state_change_is_recorded_in_the_outbox() {
    let (mut sender, _, id) = handshaken(70, 100, None);
    assert_eq!(sender.begin_catch_up(id, Tick::new(0)), Ok(()));
    let kinds: Vec<EventKind> = sender
        .drain_events()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::SessionCreated {
                kind: SessionKind::CatchUp,
                epoch: Epoch::FIRST
            },
            EventKind::StateChanged {
                from: ReplicaState::Disconnected,
                to: ReplicaState::Connecting
            },
            EventKind::Connected,
            EventKind::HandshakeRecorded {
                range: LsnRange::new(lsn(70), lsn(100))
            },
            EventKind::StateChanged {
                from: ReplicaState::Connecting,
                to: ReplicaState::CatchingUp
            },
            EventKind::CatchUpStarted {
                frozen_target: lsn(100)
            },
        ]
    );
    assert_eq!(sender.drain_events(), Vec::new());
}

fn lineage_of(epochs: &[u64]) -> Lineage {
    Lineage::from_entries(
        epochs
            .iter()
            .enumerate()
            .map(|(index, epoch)| (lsn(index as u64 + 1), Epoch::new(*epoch))),
    )
    .expect("contiguous")
}

#[test]
fn handshake_by_identity_never_calls_a_divergent_committed_entry_a_zero_gap() {
    // Goal: D5 — flushed == committed == 1, but the replica's entry at 1 was written in epoch 1
    // and the primary's in epoch 2: truncate to 0 and catch up (0, 1], never zero gap.
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    let report = sender.record_handshake_by_identity(
        id,
        &lineage_of(&[1]),
        &lineage_of(&[2]),
        &history(1, 0, 1),
    );
    let report = report.expect("handshake");
    assert_eq!(report.outcome, RecoveryOutcome::CatchUp);
    assert_eq!(
        report.proof.reason,
        ProofReason::GapWithinRetention {
            gap: LsnRange::new(lsn(0), lsn(1))
        }
    );
    let session = sender.active_session().expect("session");
    assert_eq!(session.range(), Some(LsnRange::new(lsn(0), lsn(1))));
    assert_eq!(
        session.catch_up().map(|progress| progress.truncation),
        Some(Truncation::Required { to: lsn(0) })
    );
    // The same counters with matching identity are a zero gap.
    let (mut same, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(same.begin_connect(id), Ok(()));
    let report = same.record_handshake_by_identity(
        id,
        &lineage_of(&[2]),
        &lineage_of(&[2]),
        &history(1, 0, 1),
    );
    assert_eq!(
        report.map(|report| report.outcome),
        Ok(RecoveryOutcome::ZeroGap)
    );
}

#[test]
fn abandon_outrun_only_ends_a_converged_session_the_head_passed() {
    // Goal: D23 — a catch-up that reached its frozen target 3 may be abandoned to rebuild when
    // the head is 4, never before it converged and never when the head did not move.
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.begin_connect(id), Ok(()));
    let handshake = sender.record_handshake_from_history(id, lsn(1), &history(3, 0, 3));
    assert!(handshake.is_ok(), "{handshake:?}");
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert_eq!(
        sender.abandon_outrun(id, lsn(4)),
        Err(SenderError::NotOutrun {
            reached: None,
            head: lsn(4)
        })
    );
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(3), Tick::new(2)),
        Ok(())
    );
    assert_eq!(
        sender.abandon_outrun(id, lsn(3)),
        Err(SenderError::NotOutrun {
            reached: Some(lsn(3)),
            head: lsn(3)
        })
    );
    assert_eq!(sender.state(), ReplicaState::CatchingUp);
    assert_eq!(sender.abandon_outrun(id, lsn(4)), Ok(()));
    assert_eq!(sender.state(), ReplicaState::NeedsRebuild);
    assert_eq!(sender.active_session_id(), None);
}

// ----- deadlines (docs/engine.md §21) -------------------------------------------------------

#[test]
fn a_deadline_resends_the_outstanding_request_and_changes_nothing() {
    // Goal: D41 / §21 — what each phase waits on, re-sent identical; the view is unchanged.
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    assert_eq!(
        sender.expire_deadline(id, Tick::new(0)),
        Err(SenderError::NothingAwaited {
            phase: SessionPhase::Init
        })
    );
    assert_eq!(sender.begin_connect(id), Ok(()));
    let view = sender.view();
    assert_eq!(
        sender.expire_deadline(id, Tick::new(0)),
        Ok(Retransmit::Probe)
    );
    assert_eq!(sender.view(), view);
    let report = sender.record_handshake_from_history(id, lsn(40), &history(100, 0, 100));
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(
        sender.expire_deadline(id, Tick::new(0)),
        Err(SenderError::NothingAwaited {
            phase: SessionPhase::Handshake
        })
    );
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(70), Tick::new(2)),
        Ok(())
    );
    let view = sender.view();
    assert_eq!(
        sender.expire_deadline(id, Tick::new(9)),
        Ok(Retransmit::CatchUp {
            range: LsnRange::new(lsn(70), lsn(100)),
            truncate_to: None
        })
    );
    assert_eq!(sender.view(), view);
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(100), Tick::new(9)),
        Ok(())
    );
    assert_eq!(
        sender.expire_deadline(id, Tick::new(9)),
        Err(SenderError::NothingAwaited {
            phase: SessionPhase::CatchUp
        })
    );
    assert_eq!(
        sender
            .drain_events()
            .iter()
            .filter(|event| event.kind.name() == "deadline_expired")
            .count(),
        2
    );
}

#[test]
fn a_deadline_resends_an_owed_truncation_even_with_nothing_to_replay() {
    // Goal: §21 — a replica ahead of committed 60 waits on the truncating first chunk (60, 60].
    let (mut sender, _, id) = handshaken(100, 60, None);
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert_eq!(
        sender.expire_deadline(id, Tick::new(1)),
        Ok(Retransmit::CatchUp {
            range: LsnRange::new(lsn(60), lsn(60)),
            truncate_to: Some(lsn(60))
        })
    );
    assert_eq!(sender.record_truncation(id, lsn(60)), Ok(()));
    assert_eq!(
        sender.expire_deadline(id, Tick::new(1)),
        Err(SenderError::NothingAwaited {
            phase: SessionPhase::CatchUp
        })
    );
}

#[test]
fn a_deadline_of_a_stale_ended_or_earlier_session_is_refused_without_change() {
    // Goal: A11 — a stale timer never regresses recovered state: superseded, completed, and a
    // tick before the session's latest are all refused.
    let (mut sender, mut ids, first) = attached(SessionKind::CatchUp, None);
    assert_eq!(sender.begin_connect(first), Ok(()));
    let replaced = sender.supersede_session(
        &mut ids,
        SessionKind::CatchUp,
        InvalidateReason::AssignmentIntent,
        None,
    );
    let Ok(Supersession {
        session: second, ..
    }) = replaced
    else {
        panic!("{replaced:?}");
    };
    let view = sender.view();
    assert!(matches!(
        sender.expire_deadline(first, Tick::new(5)),
        Err(SenderError::Authority(AuthorityError::StaleSession { .. }))
    ));
    assert_eq!(sender.view(), view);
    assert_eq!(sender.begin_connect(second), Ok(()));
    let report = sender.record_handshake_from_history(second, lsn(40), &history(100, 0, 100));
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(sender.begin_catch_up(second, Tick::new(5)), Ok(()));
    assert_eq!(
        sender.expire_deadline(second, Tick::new(4)),
        Err(SenderError::TickRegressed {
            latest: Tick::new(5),
            presented: Tick::new(4)
        })
    );
    assert_eq!(
        sender.record_catch_up_progress(second, lsn(100), Tick::new(6)),
        Ok(())
    );
    assert_eq!(sender.complete(second, Tick::new(6)), Ok(lsn(100)));
    assert!(matches!(
        sender.expire_deadline(second, Tick::new(7)),
        Err(SenderError::Authority(AuthorityError::Inactive { .. }))
    ));
    assert_eq!(sender.state(), ReplicaState::InSync);
}

#[test]
fn a_rebuild_deadline_restarts_the_transfer_from_its_base() {
    // Goal: §21 — upstream's rebuild-too-slow abort: the same source and target under the same
    // session, transfer and tail progress forgotten; before the transfer nothing is awaited.
    let (mut sender, _, id) = rebuild_handshaken(100);
    let source = RebuildSource::SnapshotTail { snapshot: lsn(60) };
    assert_eq!(sender.select_rebuild_source(id, source), Ok(()));
    assert!(matches!(
        sender.expire_deadline(id, Tick::new(1)),
        Err(SenderError::NothingAwaited { .. })
    ));
    assert_eq!(sender.begin_rebuild_transfer(id), Ok(()));
    assert_eq!(sender.record_rebuild_transfer_progress(id, lsn(60)), Ok(()));
    assert_eq!(sender.begin_rebuild_tail_replay(id), Ok(()));
    assert_eq!(sender.record_rebuild_tail_progress(id, lsn(80)), Ok(()));
    let resent = Retransmit::Rebuild {
        source,
        target: lsn(100),
    };
    assert_eq!(sender.expire_deadline(id, Tick::new(1)), Ok(resent));
    assert_eq!(
        sender.active_session().and_then(Session::rebuild),
        Some(&RebuildState::Transfer {
            source,
            target: lsn(100),
            transferred_to: lsn(0)
        })
    );
    assert_eq!(sender.state(), ReplicaState::Rebuilding);
    assert_eq!(sender.expire_deadline(id, Tick::new(2)), Ok(resent));
    assert_eq!(sender.record_rebuild_transfer_progress(id, lsn(60)), Ok(()));
    assert_eq!(sender.begin_rebuild_tail_replay(id), Ok(()));
    assert_eq!(sender.record_rebuild_tail_progress(id, lsn(100)), Ok(()));
    assert_eq!(sender.complete_rebuild(id), Ok(lsn(100)));
}

#[test]
fn lifecycles_print_their_names() {
    assert_eq!(SenderLifecycle::Running.to_string(), "running");
    assert_eq!(SenderLifecycle::Stopped.to_string(), "stopped");
    let mut sender = sender();
    assert_eq!(sender.lifecycle(), SenderLifecycle::Running);
    sender.stop();
    assert_eq!(sender.lifecycle(), SenderLifecycle::Stopped);
}

#[test]
fn completion_refusal_is_asked_without_changing_anything() {
    // Goal: §7.10 — the question `complete` would answer, on a session still catching up, on
    // one that converged, and on a stale id.
    let (mut sender, _, id) = handshaken(40, 100, None);
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert_eq!(
        sender.completion_refusal(id),
        Ok(Some(CompletionRefusal::NotConverged {
            recovered_to: lsn(40),
            target: lsn(100)
        }))
    );
    assert_eq!(sender.state(), ReplicaState::CatchingUp);
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(100), Tick::new(2)),
        Ok(())
    );
    assert_eq!(sender.completion_refusal(id), Ok(None));
    assert!(sender.completion_refusal(SessionId::new(9)).is_err());
}

#[test]
fn supersede_refuses_only_a_budget_on_a_rebuild_and_then_changes_nothing() {
    // Goal: §7.16 fail closed — a budgeted catch-up and an unbudgeted rebuild supersede; a
    // budgeted rebuild is refused before the active session is touched.
    let budget = Some(CatchUpBudget {
        duration_ticks_max: None,
        entries_max: None,
        progress_gap_ticks_max: Some(5),
    });
    let (mut sender, mut ids, first) = attached(SessionKind::CatchUp, None);
    let reason = InvalidateReason::AssignmentIntent;
    let refused = sender.supersede_session(&mut ids, SessionKind::Rebuild, reason, budget);
    assert_eq!(refused, Err(SenderError::BudgetOnRebuild));
    assert_eq!(sender.active_session_id(), Some(first));
    let catch_up = sender.supersede_session(&mut ids, SessionKind::CatchUp, reason, budget);
    let Ok(Supersession {
        session: second, ..
    }) = catch_up
    else {
        panic!("{catch_up:?}");
    };
    let rebuild = sender.supersede_session(&mut ids, SessionKind::Rebuild, reason, None);
    assert!(
        matches!(rebuild, Ok(Supersession { replaced: Some(replaced), .. }) if replaced == second),
        "{rebuild:?}"
    );
}

#[test]
fn a_catch_up_session_is_refused_rebuild_calls_whatever_its_phase() {
    // Goal: §6.3 — the kind check comes first: a catch-up session that has not even connected
    // is refused as not a rebuild, not for its phase.
    let (mut sender, _, id) = attached(SessionKind::CatchUp, None);
    let source = RebuildSource::SnapshotTail { snapshot: lsn(1) };
    assert_eq!(
        sender.select_rebuild_source(id, source),
        Err(SenderError::NotRebuildSession {
            session: id,
            kind: SessionKind::CatchUp
        })
    );
}

#[test]
fn a_session_is_converged_only_at_its_frozen_target() {
    // Goal: §7.10 — converged means catch-up began and reached its frozen target; a rebuild
    // session never is.
    let (mut sender, _, id) = handshaken(40, 100, None);
    let converged = |sender: &Sender| sender.active_session().is_some_and(Session::is_converged);
    assert!(!converged(&sender));
    assert_eq!(sender.begin_catch_up(id, Tick::new(1)), Ok(()));
    assert!(!converged(&sender));
    assert_eq!(
        sender.record_catch_up_progress(id, lsn(100), Tick::new(2)),
        Ok(())
    );
    assert!(converged(&sender));
    let (rebuild, _, _) = attached(SessionKind::Rebuild, None);
    assert!(!converged(&rebuild));
}
