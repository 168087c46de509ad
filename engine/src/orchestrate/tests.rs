//! Orchestrator rules (§6.9) and the named engine scenarios of §4.6 at this level.

use super::*;
use crate::error::CompletionRefusal;
use crate::fixtures::{endpoint, intent, lsn, replica};
use crate::history::{Checkpoint, CheckpointTrust, ProofReason};
use crate::registry::ReplicaAssignment;
use crate::session::phase::SessionPhase;

fn history(head: u64, tail: u64, committed: u64) -> RetainedHistory {
    let checkpoint = Some(Checkpoint {
        lsn: lsn(committed.max(1)),
        trust: CheckpointTrust::Trusted,
    });
    match RetainedHistory::new(lsn(head), lsn(tail), lsn(committed), checkpoint) {
        Ok(history) => history,
        Err(error) => panic!("{error}"),
    }
}

fn orchestrator_with_sessions(ids: &[u32]) -> RecoveryOrchestrator {
    let mut orchestrator = RecoveryOrchestrator::new();
    let targets: Vec<(u32, SessionKind)> =
        ids.iter().map(|&id| (id, SessionKind::CatchUp)).collect();
    orchestrator.process_assignment(&intent(1, ids, &targets));
    orchestrator
}

fn session_of(orchestrator: &RecoveryOrchestrator, id: u32) -> SessionId {
    match orchestrator
        .sender(replica(id))
        .and_then(Sender::active_session_id)
    {
        Some(session) => session,
        None => panic!("replica {id} has no active session"),
    }
}

#[test]
fn three_replicas_three_outcomes() {
    // Goal: §4.6 — zero gap, catch-up and needs-rebuild from one history (head 100, tail 50,
    // committed 100).
    let mut orchestrator = orchestrator_with_sessions(&[1, 2, 3]);
    let history = history(100, 50, 100);
    let now = Tick::new(0);
    let outcomes: Vec<(RecoveryOutcome, ReplicaState)> = [(1, 100), (2, 70), (3, 20)]
        .into_iter()
        .map(|(id, flushed)| {
            match orchestrator.execute_recovery(replica(id), lsn(flushed), &history, now) {
                Ok(result) => (result.outcome, result.state),
                Err(error) => panic!("{error}"),
            }
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (RecoveryOutcome::ZeroGap, ReplicaState::InSync),
            (RecoveryOutcome::CatchUp, ReplicaState::Connecting),
            (RecoveryOutcome::NeedsRebuild, ReplicaState::NeedsRebuild),
        ]
    );
    let status = orchestrator.status();
    assert_eq!(
        (status.in_sync, status.recovering, status.needs_rebuild),
        (1, 1, 1)
    );
    assert!(orchestrator
        .log()
        .kinds_for(replica(3))
        .contains(&EventKind::Escalated(ProofReason::GapBeyondRetention {
            gap: LsnRange::new(lsn(20), lsn(100))
        })));
}

#[test]
fn changed_address_through_orchestrator_recovers_with_new_session() {
    // Goal: §4.6 / A10 — an address change fences the old session; recovery runs only in the
    // session of the refreshed assignment, and the old id stays refused.
    let mut orchestrator = orchestrator_with_sessions(&[1]);
    let old = session_of(&orchestrator, 1);
    let moved = AssignmentIntent {
        replicas: vec![ReplicaAssignment {
            replica: replica(1),
            endpoint: endpoint(1, 2),
        }],
        epoch: Epoch::FIRST,
        recovery_targets: [(replica(1), SessionKind::Reassign)].into_iter().collect(),
    };
    let result = orchestrator.process_assignment(&moved);
    assert_eq!(result.created, vec![(replica(1), SessionId::new(2))]);
    let kinds = orchestrator.log().kinds_for(replica(1));
    assert!(kinds.contains(&EventKind::SessionInvalidated(
        InvalidateReason::EndpointChanged
    )));
    assert_eq!(
        orchestrator.begin_connect(replica(1), old),
        Err(OrchestrateError::Sender(SenderError::Authority(
            crate::error::AuthorityError::StaleSession {
                presented: old,
                current: SessionId::new(2),
            }
        )))
    );
    let history = history(100, 0, 100);
    let recovery = orchestrator.execute_recovery(replica(1), lsn(90), &history, Tick::new(0));
    assert_eq!(
        recovery.map(|result| (result.session, result.outcome)),
        Ok((SessionId::new(2), RecoveryOutcome::CatchUp))
    );
    let session = SessionId::new(2);
    assert_eq!(
        orchestrator.begin_catch_up(replica(1), session, Tick::new(1)),
        Ok(())
    );
    assert_eq!(
        orchestrator.record_catch_up_progress(replica(1), session, lsn(100), Tick::new(2)),
        Ok(())
    );
    assert_eq!(
        orchestrator.complete(replica(1), session, Tick::new(2)),
        Ok(lsn(100))
    );
    assert_eq!(
        orchestrator.sender(replica(1)).map(Sender::endpoint),
        Some(&endpoint(1, 2))
    );
    assert_eq!(
        orchestrator.sender(replica(1)).map(Sender::state),
        Some(ReplicaState::InSync)
    );
}

#[test]
fn replica_ahead_without_truncation_is_rejected_and_logged() {
    // Goal: §4.6 / T9.
    let mut orchestrator = orchestrator_with_sessions(&[1]);
    let history = history(100, 0, 80);
    let result = orchestrator.execute_recovery(replica(1), lsn(95), &history, Tick::new(0));
    assert_eq!(
        result.map(|result| result.outcome),
        Ok(RecoveryOutcome::CatchUp)
    );
    let session = session_of(&orchestrator, 1);
    let refusal = CompletionRefusal::TruncationUnrecorded { to: lsn(80) };
    assert_eq!(
        orchestrator.complete(replica(1), session, Tick::new(0)),
        Err(OrchestrateError::Sender(SenderError::CompletionRefused(
            refusal
        )))
    );
    assert_eq!(
        orchestrator.log().kinds_for(replica(1)).last(),
        Some(&EventKind::CompletionRejected(refusal))
    );
    assert_eq!(
        orchestrator.record_truncation(replica(1), session, lsn(80)),
        Ok(())
    );
    assert_eq!(
        orchestrator.complete(replica(1), session, Tick::new(0)),
        Ok(lsn(80))
    );
}

#[test]
fn budget_escalation_is_logged() {
    // Goal: §4.6 budget escalation — the orchestrator logs budget_escalated.
    let mut orchestrator = RecoveryOrchestrator::new();
    orchestrator.process_assignment(&intent(1, &[1], &[]));
    let budget = CatchUpBudget {
        progress_gap_ticks_max: Some(5),
        ..CatchUpBudget::default()
    };
    let attached = orchestrator.attach_session(replica(1), SessionKind::CatchUp, Some(budget));
    assert_eq!(attached, Ok(SessionId::FIRST));
    let history = history(100, 0, 100);
    assert!(orchestrator
        .execute_recovery(replica(1), lsn(70), &history, Tick::new(0))
        .is_ok());
    assert_eq!(
        orchestrator.begin_catch_up(replica(1), SessionId::FIRST, Tick::new(0)),
        Ok(())
    );
    assert_eq!(
        orchestrator.record_catch_up_progress(replica(1), SessionId::FIRST, lsn(80), Tick::new(12)),
        Ok(())
    );
    assert_eq!(
        orchestrator.check_budget(replica(1), SessionId::FIRST, Tick::new(17)),
        Ok(())
    );
    let violation = crate::budget::BudgetViolation::ProgressStalled { idle: 6, max: 5 };
    assert_eq!(
        orchestrator.check_budget(replica(1), SessionId::FIRST, Tick::new(18)),
        Err(OrchestrateError::Sender(SenderError::BudgetExceeded(
            violation
        )))
    );
    assert_eq!(
        orchestrator.log().kinds_for(replica(1)).last(),
        Some(&EventKind::BudgetEscalated(violation))
    );
    assert_eq!(
        orchestrator.sender(replica(1)).map(Sender::state),
        Some(ReplicaState::NeedsRebuild)
    );
}

#[test]
fn execute_recovery_refuses_unknown_replica_and_missing_session() {
    let mut orchestrator = RecoveryOrchestrator::new();
    orchestrator.process_assignment(&intent(1, &[1], &[]));
    let history = history(10, 0, 10);
    assert_eq!(
        orchestrator.execute_recovery(replica(9), lsn(0), &history, Tick::new(0)),
        Err(OrchestrateError::UnknownReplica {
            replica: replica(9)
        })
    );
    assert_eq!(
        orchestrator.execute_recovery(replica(1), lsn(0), &history, Tick::new(0)),
        Err(OrchestrateError::NoActiveSession {
            replica: replica(1)
        })
    );
}

#[test]
fn epoch_updates_are_logged_with_their_reason() {
    let mut orchestrator = orchestrator_with_sessions(&[1, 2]);
    assert_eq!(
        orchestrator.update_sender_epoch(replica(1), Epoch::new(2)),
        Ok(Some(SessionId::new(1)))
    );
    assert_eq!(
        orchestrator.invalidate_epoch(Epoch::new(2)),
        vec![(replica(2), SessionId::new(2))]
    );
    let phase = |id| {
        orchestrator
            .sender(replica(id))
            .and_then(Sender::latest_session)
            .map(|session| session.phase())
    };
    assert_eq!(
        phase(1),
        Some(SessionPhase::Invalidated(InvalidateReason::EpochAdvanced {
            from: Epoch::FIRST,
            to: Epoch::new(2)
        }))
    );
    assert_eq!(
        phase(2),
        Some(SessionPhase::Invalidated(InvalidateReason::EpochBump {
            to: Epoch::new(2)
        }))
    );
    assert!(orchestrator
        .log()
        .kinds_for(replica(2))
        .contains(&EventKind::SessionInvalidated(
            InvalidateReason::EpochBump { to: Epoch::new(2) }
        )));
}

#[test]
fn execute_recovery_on_rebuild_session_is_refused_before_connecting() {
    let mut orchestrator = RecoveryOrchestrator::new();
    orchestrator.process_assignment(&intent(1, &[1], &[(1, SessionKind::Rebuild)]));
    let history = history(10, 0, 10);
    assert_eq!(
        orchestrator.execute_recovery(replica(1), lsn(0), &history, Tick::new(0)),
        Err(OrchestrateError::Sender(SenderError::RebuildSession {
            session: SessionId::FIRST
        }))
    );
    let phase = orchestrator
        .sender(replica(1))
        .and_then(Sender::active_session)
        .map(|session| session.phase());
    assert_eq!(phase, Some(SessionPhase::Init));
}

#[test]
fn the_registry_read_back_is_the_one_the_orchestrator_drives() {
    // Goal: `registry()` shows the senders and sessions the orchestrator made, and an expired
    // deadline goes through the orchestrator to the sender (docs/engine.md §21).
    let mut orchestrator = orchestrator_with_sessions(&[1, 2]);
    assert_eq!(orchestrator.registry().len(), 2);
    assert!(!orchestrator.registry().is_empty());
    let session = session_of(&orchestrator, 1);
    assert_eq!(
        orchestrator
            .registry()
            .sender(replica(1))
            .and_then(Sender::active_session_id),
        Some(session)
    );
    assert_eq!(orchestrator.begin_connect(replica(1), session), Ok(()));
    assert_eq!(
        orchestrator.expire_deadline(replica(1), session, Tick::new(0)),
        Ok(crate::deadline::Retransmit::Probe)
    );
    assert!(orchestrator
        .log()
        .kinds_for(replica(1))
        .iter()
        .any(|kind| kind.name() == "deadline_expired"));
}

#[test]
fn an_endpoint_update_returns_the_session_it_ended() {
    // Goal: §7.15 — the caller learns which session a fence ended (to release its pins), and
    // that an unchanged endpoint ends none.
    let mut orchestrator = orchestrator_with_sessions(&[1]);
    let session = session_of(&orchestrator, 1);
    assert_eq!(
        orchestrator.update_sender_endpoint(replica(1), endpoint(1, 1)),
        Ok(None)
    );
    assert_eq!(
        orchestrator.update_sender_endpoint(replica(1), endpoint(1, 2)),
        Ok(Some(session))
    );
    assert!(orchestrator
        .update_sender_endpoint(replica(9), endpoint(9, 1))
        .is_err());
}
