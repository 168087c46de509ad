//! Registry rules (§6.8, §7.16): reconcile by replica id, assignment intents, epoch fencing.

use super::*;
use crate::fixtures::{endpoint, intent, replica};
use crate::session::phase::SessionPhase;
use crate::types::{Lsn, LsnRange, Tick};

#[test]
fn registry_is_empty_exactly_without_senders() {
    // Goal: `is_empty` and `len` agree with the senders reconcile leaves (§6.8).
    let mut registry = Registry::new();
    assert!(registry.is_empty());
    registry.reconcile(&intent(1, &[1, 2], &[]).replicas, Epoch::FIRST);
    assert!(!registry.is_empty());
    assert_eq!(registry.len(), 2);
    registry.reconcile(&intent(1, &[], &[]).replicas, Epoch::FIRST);
    assert!(registry.is_empty());
}

#[test]
fn apply_assignment_reports_senders_added_and_removed() {
    // Goal: §6.8, an assignment's result names the senders its reconcile created and stopped,
    // sorted by replica id, beside the sessions it attached.
    let mut registry = Registry::new();
    let first = registry.apply_assignment(&intent(1, &[2, 1], &[]));
    assert_eq!(
        (first.added, first.removed),
        (vec![replica(1), replica(2)], vec![])
    );
    let second = registry.apply_assignment(&intent(1, &[3], &[]));
    assert_eq!(
        (second.added, second.removed),
        (vec![replica(3)], vec![replica(1), replica(2)])
    );
}

#[test]
fn reconcile_adds_updates_and_removes_by_replica_id_sorted() {
    let mut registry = Registry::new();
    let (added, removed) = registry.reconcile(&intent(1, &[3, 1, 2], &[]).replicas, Epoch::FIRST);
    assert_eq!(
        (added, removed),
        (vec![replica(1), replica(2), replica(3)], vec![])
    );
    let (added, removed) = registry.reconcile(&intent(1, &[2, 4], &[]).replicas, Epoch::FIRST);
    assert_eq!(
        (added, removed),
        (vec![replica(4)], vec![replica(1), replica(3)])
    );
    let ids: Vec<ReplicaId> = registry.senders().map(Sender::replica).collect();
    assert_eq!(ids, vec![replica(2), replica(4)]);
}

#[test]
fn reconcile_duplicate_replica_last_endpoint_wins() {
    let mut registry = Registry::new();
    let replicas = vec![
        ReplicaAssignment {
            replica: replica(1),
            endpoint: endpoint(1, 1),
        },
        ReplicaAssignment {
            replica: replica(1),
            endpoint: endpoint(1, 2),
        },
    ];
    registry.reconcile(&replicas, Epoch::FIRST);
    assert_eq!(registry.len(), 1);
    assert_eq!(
        registry.sender(replica(1)).map(Sender::endpoint),
        Some(&endpoint(1, 2))
    );
}

#[test]
fn address_change_keeps_sender_and_invalidates_session() {
    // Goal: T8 — identity is stable; the endpoint change fences the session, never the sender.
    let mut registry = Registry::new();
    let first = registry.apply_assignment(&intent(1, &[1], &[(1, SessionKind::CatchUp)]));
    assert_eq!(first.created, vec![(replica(1), SessionId::FIRST)]);
    let moved = vec![ReplicaAssignment {
        replica: replica(1),
        endpoint: endpoint(1, 2),
    }];
    let (added, removed) = registry.reconcile(&moved, Epoch::FIRST);
    assert_eq!((added, removed), (vec![], vec![]));
    let sender = registry.sender(replica(1));
    assert_eq!(sender.and_then(Sender::active_session_id), None);
    assert_eq!(
        sender
            .and_then(Sender::latest_session)
            .map(|session| session.phase()),
        Some(SessionPhase::Invalidated(InvalidateReason::EndpointChanged))
    );
}

#[test]
fn same_assignment_resent_supersedes_active_session() {
    // Goal: §7.16 — a new id, the old one stale.
    let mut registry = Registry::new();
    let assignment = intent(1, &[1], &[(1, SessionKind::CatchUp)]);
    registry.apply_assignment(&assignment);
    let again = registry.apply_assignment(&assignment);
    assert_eq!(again.created, vec![]);
    assert_eq!(
        again.superseded,
        vec![(
            replica(1),
            Supersession {
                replaced: Some(SessionId::FIRST),
                session: SessionId::new(2)
            }
        )]
    );
}

#[test]
fn assignment_failures_unknown_replica_and_stale_epoch() {
    // Goal: engine.md §22, a stale assignment changes nothing: its targets fail (stale_epoch,
    // or unknown_replica without a sender), and its topology (a moved endpoint, a dropped and
    // an added replica) is not applied, so the live session at the current endpoint survives.
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(2, &[1, 2], &[(1, SessionKind::CatchUp)]));
    let before = registry.views();
    let mut stale = intent(
        1,
        &[1, 3],
        &[(1, SessionKind::CatchUp), (9, SessionKind::Rebuild)],
    );
    stale.replicas[0].endpoint = endpoint(1, 7);
    let stale = registry.apply_assignment(&stale);
    assert_eq!((stale.added, stale.removed), (vec![], vec![]));
    assert_eq!(
        registry.views(),
        before,
        "a stale assignment changes no sender"
    );
    assert_eq!(
        stale.failed,
        vec![
            (
                replica(1),
                AssignmentFailure::StaleEpoch {
                    intent: Epoch::FIRST,
                    sender: Epoch::new(2)
                }
            ),
            (replica(9), AssignmentFailure::UnknownReplica),
        ]
    );
    assert_eq!(
        registry.sender(replica(1)).map(Sender::epoch),
        Some(Epoch::new(2))
    );
}

#[test]
fn assignment_at_the_registry_epoch_is_not_stale() {
    // Goal: engine.md §22 fences only older epochs: an intent at the registry's own epoch
    // reconciles and grants its target (the boundary of `stale`).
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(2, &[1], &[]));
    let current = registry.apply_assignment(&intent(2, &[1, 2], &[(1, SessionKind::CatchUp)]));
    assert_eq!(current.added, vec![replica(2)]);
    assert_eq!(current.created, vec![(replica(1), SessionId::FIRST)]);
    assert_eq!(current.failed, vec![]);
}

#[test]
fn assignment_at_newer_epoch_fences_then_attaches() {
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(1, &[1], &[(1, SessionKind::CatchUp)]));
    let newer = registry.apply_assignment(&intent(2, &[1], &[(1, SessionKind::Rebuild)]));
    assert_eq!(newer.created, vec![(replica(1), SessionId::new(2))]);
    let session = registry
        .sender(replica(1))
        .and_then(Sender::active_session)
        .map(|session| (session.epoch(), session.kind()));
    assert_eq!(session, Some((Epoch::new(2), SessionKind::Rebuild)));
}

#[test]
fn invalidate_epoch_fences_only_older_sessions_and_keeps_sender_epochs() {
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(
        1,
        &[1, 2],
        &[(1, SessionKind::CatchUp), (2, SessionKind::CatchUp)],
    ));
    assert_eq!(registry.invalidate_epoch(Epoch::FIRST), vec![]);
    assert_eq!(
        registry.invalidate_epoch(Epoch::new(2)),
        vec![
            (replica(1), SessionId::new(1)),
            (replica(2), SessionId::new(2))
        ]
    );
    assert_eq!(
        registry.sender(replica(1)).map(Sender::epoch),
        Some(Epoch::FIRST)
    );
    let phase = registry
        .sender(replica(2))
        .and_then(Sender::latest_session)
        .map(|session| session.phase());
    assert_eq!(
        phase,
        Some(SessionPhase::Invalidated(InvalidateReason::EpochBump {
            to: Epoch::new(2)
        }))
    );
}

#[test]
fn session_ids_come_from_the_registry_counter() {
    // Goal: determinism — two registries replaying the same calls hand out the same ids.
    let run = || {
        let mut registry = Registry::new();
        registry.apply_assignment(&intent(
            1,
            &[1, 2],
            &[(2, SessionKind::CatchUp), (1, SessionKind::Rebuild)],
        ));
        registry.views()
    };
    assert_eq!(run(), run());
    let views = run();
    let ids: Vec<Option<SessionId>> = views.iter().map(SenderView::active_session).collect();
    assert_eq!(ids, vec![Some(SessionId::new(1)), Some(SessionId::new(2))]);
}

#[test]
fn removed_sender_events_are_kept_in_order() {
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(1, &[1], &[(1, SessionKind::CatchUp)]));
    registry.drain_events();
    registry.reconcile(&[], Epoch::FIRST);
    let kinds: Vec<EventKind> = registry
        .drain_events()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::SenderStopped,
            EventKind::SessionInvalidated(InvalidateReason::SenderStopped),
            EventKind::SenderRemoved,
        ]
    );
}

#[test]
fn status_counts_states() {
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(1, &[1, 2], &[]));
    let status = registry.status();
    assert_eq!(
        (
            status.total,
            status.disconnected,
            status.in_sync,
            status.rebuilding
        ),
        (2, 2, 0, 0)
    );
    registry.stop_all();
    assert!(registry.senders().all(Sender::is_stopped));
}

#[test]
fn in_sync_count_counts_only_senders_in_sync() {
    // Goal: §6.8 status — with two senders, one recovered to in-sync and one not, one is counted.
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(1, &[1, 2], &[(1, SessionKind::CatchUp)]));
    assert_eq!(registry.in_sync_count(), 0);
    let sender = registry.sender_mut(replica(1)).expect("assigned");
    let session = sender.active_session_id().expect("a target gets a session");
    assert_eq!(sender.begin_connect(session), Ok(()));
    let empty = LsnRange::new(Lsn::ZERO, Lsn::ZERO);
    assert_eq!(sender.record_handshake(session, empty), Ok(()));
    assert_eq!(sender.complete(session, Tick::new(0)), Ok(Lsn::ZERO));
    assert_eq!(registry.in_sync_count(), 1);
    assert_eq!(registry.status().in_sync, 1);
}

#[test]
fn events_keep_the_order_of_the_calls_across_senders() {
    // Goal: §6.9 the recovery log explains changes in the order they happened: a sender's
    // events are collected when the registry acts on it, before the next sender's.
    let mut registry = Registry::new();
    registry.apply_assignment(&intent(1, &[1], &[]));
    let _ = registry.drain_events();
    let mut moved = intent(1, &[1, 2], &[]);
    moved.replicas[0].endpoint = endpoint(1, 2);
    registry.apply_assignment(&moved);
    let names: Vec<(u32, &str)> = registry
        .drain_events()
        .iter()
        .map(|event| (event.replica.get(), event.kind.name()))
        .collect();
    let first_of = |replica: u32| names.iter().position(|(of, _)| *of == replica);
    assert!(
        first_of(1) < first_of(2),
        "replica 1's endpoint change is logged before replica 2 is added: {names:?}"
    );
    assert!(names.contains(&(1, "endpoint_changed")), "{names:?}");
    assert!(names.contains(&(2, "sender_added")), "{names:?}");
}

#[test]
fn assignment_failures_print_their_class() {
    let rows = [
        (AssignmentFailure::UnknownReplica, "unknown_replica"),
        (
            AssignmentFailure::StaleEpoch {
                intent: Epoch::FIRST,
                sender: Epoch::new(2),
            },
            "stale_epoch",
        ),
        (
            AssignmentFailure::Refused(SenderError::BudgetOnRebuild),
            "refused",
        ),
    ];
    for (failure, name) in rows {
        assert_eq!(failure.to_string(), name);
    }
}
