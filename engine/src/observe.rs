//! Observability: the recovery log and read-only views (PROTOCOL.md §6.13).
//!
//! Every change of a sender's state, session or phase is recorded as a [`RecoveryEvent`] at the
//! point where it happens (the sender keeps an outbox; the registry and orchestrator drain it
//! into the [`RecoveryLog`]), so the log explains every state change by construction.
//! Read-only copies of engine state are `…View` types; "snapshot" means only a rebuild base.

use crate::budget::BudgetViolation;
use crate::deadline::Retransmit;
use crate::error::CompletionRefusal;
use crate::history::{FullBaseReason, ProofReason, RebuildSource};
use crate::outcome::RecoveryOutcome;
use crate::plan::PinKind;
use crate::rebuild::RebuildPhase;
use crate::registry::AssignmentFailure;
use crate::sender::SenderLifecycle;
use crate::session::phase::{CancelReason, InvalidateReason, SessionPhase};
use crate::session::{Session, SessionWork};
use crate::types::{
    Endpoint, EndpointVersion, Epoch, Lsn, LsnRange, ReplicaId, ReplicaState, SessionId,
    SessionKind,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an executor released its plan's pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// The recovery completed.
    Completed,
    /// A step failed (stale session, IO failure, budget …).
    Failed,
    /// The caller cancelled the plan.
    Cancelled(CancelReason),
}

impl fmt::Display for ReleaseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseReason::Completed => f.write_str("completed"),
            ReleaseReason::Failed => f.write_str("failed"),
            ReleaseReason::Cancelled(reason) => write!(f, "cancelled_{reason}"),
        }
    }
}

/// What happened. `Display` gives the stable snake_case event name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The registry created a sender.
    SenderAdded {
        /// Its epoch.
        epoch: Epoch,
        /// Its endpoint version.
        endpoint: EndpointVersion,
    },
    /// The registry stopped and removed a sender.
    SenderRemoved,
    /// The sender was stopped.
    SenderStopped,
    /// The sender adopted a newer epoch.
    EpochAdvanced {
        /// The old epoch.
        from: Epoch,
        /// The new epoch.
        to: Epoch,
    },
    /// The sender adopted a changed endpoint.
    EndpointChanged {
        /// The new endpoint version.
        version: EndpointVersion,
    },
    /// The sender's replica state changed.
    StateChanged {
        /// The old state.
        from: ReplicaState,
        /// The new state.
        to: ReplicaState,
    },
    /// A session's deadline expired; the request is sent again (`docs/engine.md` §21).
    DeadlineExpired(Retransmit),
    /// A session was attached.
    SessionCreated {
        /// Its kind.
        kind: SessionKind,
        /// Its epoch.
        epoch: Epoch,
    },
    /// A session ended early.
    SessionInvalidated(InvalidateReason),
    /// A session began connecting.
    Connected,
    /// A handshake fixed the session range.
    HandshakeRecorded {
        /// `(start, target]`.
        range: LsnRange,
    },
    /// The orchestrator's handshake decision.
    Handshake {
        /// The outcome.
        outcome: RecoveryOutcome,
        /// Its proof.
        reason: ProofReason,
    },
    /// The handshake escalated the replica to needs-rebuild.
    Escalated(ProofReason),
    /// Catch-up replay began.
    CatchUpStarted {
        /// The frozen target.
        frozen_target: Lsn,
    },
    /// Catch-up progress was recorded.
    CatchUpProgress {
        /// The new progress.
        to: Lsn,
    },
    /// The divergent tail truncation was recorded.
    TruncationRecorded {
        /// The truncation point.
        to: Lsn,
    },
    /// A budget check escalated the replica to needs-rebuild.
    BudgetEscalated(BudgetViolation),
    /// A completion attempt was refused.
    CompletionRejected(CompletionRefusal),
    /// A session completed; the replica holds `achieved`.
    SessionCompleted {
        /// The LSN the replica now holds.
        achieved: Lsn,
    },
    /// A rebuild source was selected.
    RebuildSourceSelected(RebuildSource),
    /// A rebuild phase began.
    RebuildPhaseStarted(RebuildPhase),
    /// Rebuild progress (base or tail) was recorded.
    RebuildProgress {
        /// The phase the progress belongs to.
        phase: RebuildPhase,
        /// The new progress.
        to: Lsn,
    },
    /// An assignment target could not get a session.
    AssignmentFailed(AssignmentFailure),
    /// The planner pinned WAL for a catch-up.
    PlanCatchUp {
        /// The planned replay range.
        range: LsnRange,
    },
    /// The planner planned a truncation only (replica ahead; no pin needed).
    PlanTruncateOnly {
        /// The truncation point.
        to: Lsn,
    },
    /// The planner pinned a snapshot and its tail.
    PlanRebuildSnapshotTail {
        /// The snapshot LSN.
        snapshot: Lsn,
        /// The rebuild target.
        target: Lsn,
    },
    /// The planner pinned a full base.
    PlanRebuildFullBase {
        /// Why not snapshot + tail.
        reason: FullBaseReason,
        /// The rebuild target.
        target: Lsn,
    },
    /// A pin failed; the session was invalidated.
    PinFailed(PinKind),
    /// The caller cancelled a plan.
    PlanCancelled(CancelReason),
    /// A catch-up executor began.
    ExecCatchUpStarted,
    /// A catch-up executor truncated the divergent tail.
    ExecTruncation {
        /// The truncation point.
        to: Lsn,
    },
    /// Truncation was unsafe; the replica needs a rebuild.
    TruncationEscalated,
    /// A catch-up executor completed.
    ExecCompleted {
        /// The LSN the replica now holds.
        achieved: Lsn,
    },
    /// A rebuild executor began.
    ExecRebuildStarted(RebuildSource),
    /// A rebuild executor completed.
    ExecRebuildCompleted {
        /// The LSN the replica now holds.
        achieved: Lsn,
    },
    /// An executor released its plan's pins.
    ResourcesReleased(ReleaseReason),
}

impl EventKind {
    /// The stable snake_case event name.
    pub const fn name(&self) -> &'static str {
        match self {
            EventKind::SenderAdded { .. } => "sender_added",
            EventKind::SenderRemoved => "sender_removed",
            EventKind::SenderStopped => "sender_stopped",
            EventKind::EpochAdvanced { .. } => "epoch_advanced",
            EventKind::EndpointChanged { .. } => "endpoint_changed",
            EventKind::StateChanged { .. } => "state_changed",
            EventKind::SessionCreated { .. } => "session_created",
            EventKind::SessionInvalidated(_) => "session_invalidated",
            EventKind::Connected => "connected",
            EventKind::HandshakeRecorded { .. } => "handshake_recorded",
            EventKind::Handshake { .. } => "handshake",
            EventKind::Escalated(_) => "escalated",
            EventKind::CatchUpStarted { .. } => "catch_up_started",
            EventKind::CatchUpProgress { .. } => "catch_up_progress",
            EventKind::TruncationRecorded { .. } => "truncation_recorded",
            EventKind::BudgetEscalated(_) => "budget_escalated",
            EventKind::CompletionRejected(_) => "completion_rejected",
            EventKind::SessionCompleted { .. } => "completed",
            EventKind::RebuildSourceSelected(_) => "rebuild_source_selected",
            EventKind::RebuildPhaseStarted(_) => "rebuild_phase_started",
            EventKind::RebuildProgress { .. } => "rebuild_progress",
            EventKind::AssignmentFailed(_) => "session_failed",
            EventKind::PlanCatchUp { .. } => "plan_catch_up",
            EventKind::PlanTruncateOnly { .. } => "plan_truncate_only",
            EventKind::PlanRebuildSnapshotTail { .. } => "plan_rebuild_snapshot_tail",
            EventKind::PlanRebuildFullBase { .. } => "plan_rebuild_full_base",
            EventKind::PinFailed(PinKind::Wal) => "wal_pin_failed",
            EventKind::PinFailed(PinKind::Snapshot) => "snapshot_pin_failed",
            EventKind::PinFailed(PinKind::FullBase) => "full_base_pin_failed",
            EventKind::PlanCancelled(_) => "plan_cancelled",
            EventKind::ExecCatchUpStarted => "exec_catch_up_started",
            EventKind::ExecTruncation { .. } => "exec_truncation",
            EventKind::TruncationEscalated => "truncation_escalated",
            EventKind::ExecCompleted { .. } => "exec_completed",
            EventKind::ExecRebuildStarted(_) => "exec_rebuild_started",
            EventKind::ExecRebuildCompleted { .. } => "exec_rebuild_completed",
            EventKind::ResourcesReleased(_) => "exec_resources_released",
            EventKind::DeadlineExpired(_) => "deadline_expired",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of the recovery log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecoveryEvent {
    /// The replica concerned.
    pub replica: ReplicaId,
    /// The session concerned, if any.
    pub session: Option<SessionId>,
    /// What happened.
    pub kind: EventKind,
}

impl fmt::Display for RecoveryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.session {
            Some(session) => write!(f, "{} {} {}", self.replica, session, self.kind),
            None => write!(f, "{} - {}", self.replica, self.kind),
        }
    }
}

/// The ordered record of everything the engine did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryLog {
    /// Events in the order they happened.
    events: Vec<RecoveryEvent>,
}

impl RecoveryLog {
    /// An empty log.
    pub fn new() -> RecoveryLog {
        RecoveryLog::default()
    }

    /// Appends one event.
    pub fn record(&mut self, event: RecoveryEvent) {
        self.events.push(event);
    }

    /// Appends events in order.
    pub fn extend(&mut self, events: impl IntoIterator<Item = RecoveryEvent>) {
        self.events.extend(events);
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[RecoveryEvent] {
        &self.events
    }

    /// The events of one replica, oldest first.
    pub fn events_for(&self, replica: ReplicaId) -> impl Iterator<Item = &RecoveryEvent> + '_ {
        self.events
            .iter()
            .filter(move |event| event.replica == replica)
    }

    /// The event kinds of one replica, oldest first (convenient for tests).
    pub fn kinds_for(&self, replica: ReplicaId) -> Vec<EventKind> {
        self.events_for(replica).map(|event| event.kind).collect()
    }

    /// How many events were recorded.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// A read-only copy of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionView {
    /// The session id.
    pub id: SessionId,
    /// The replica.
    pub replica: ReplicaId,
    /// The session epoch.
    pub epoch: Epoch,
    /// The kind.
    pub kind: SessionKind,
    /// The phase (with the invalidation reason, if any).
    pub phase: SessionPhase,
    /// True until completed or invalidated.
    pub active: bool,
    /// `(start, target]` once handshaken.
    pub range: Option<LsnRange>,
    /// Catch-up progress or rebuild state.
    pub work: SessionWork,
}

impl From<&Session> for SessionView {
    fn from(session: &Session) -> SessionView {
        SessionView {
            id: session.id(),
            replica: session.replica(),
            epoch: session.epoch(),
            kind: session.kind(),
            phase: session.phase(),
            active: session.is_active(),
            range: session.range(),
            work: *session.work(),
        }
    }
}

/// A read-only copy of a sender.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SenderView {
    /// The replica identity.
    pub replica: ReplicaId,
    /// Where it is reached.
    pub endpoint: Endpoint,
    /// The sender's epoch.
    pub epoch: Epoch,
    /// The replica state.
    pub state: ReplicaState,
    /// Running or stopped.
    pub lifecycle: SenderLifecycle,
    /// The latest session (active or ended), if any.
    pub session: Option<SessionView>,
}

impl SenderView {
    /// The active session's id, if one is active.
    pub fn active_session(&self) -> Option<SessionId> {
        self.session
            .filter(|session| session.active)
            .map(|session| session.id)
    }
}

/// A read-only summary of the registry, senders sorted by replica id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegistryStatusView {
    /// Every sender, sorted by replica id.
    pub senders: Vec<SenderView>,
    /// How many senders.
    pub total: usize,
    /// Senders in sync.
    pub in_sync: usize,
    /// Senders connecting or catching up.
    pub recovering: usize,
    /// Senders receiving a rebuild (upstream counts needs-rebuild senders here; see
    /// `docs/engine.md`).
    pub rebuilding: usize,
    /// Senders that need a rebuild.
    pub needs_rebuild: usize,
    /// Senders disconnected.
    pub disconnected: usize,
}

impl RegistryStatusView {
    /// Summarises sender views (already sorted by replica id).
    pub fn from_senders(senders: Vec<SenderView>) -> RegistryStatusView {
        let count = |wanted: &[ReplicaState]| {
            senders
                .iter()
                .filter(|view| wanted.contains(&view.state))
                .count()
        };
        RegistryStatusView {
            total: senders.len(),
            in_sync: count(&[ReplicaState::InSync]),
            recovering: count(&[ReplicaState::Connecting, ReplicaState::CatchingUp]),
            rebuilding: count(&[ReplicaState::Rebuilding]),
            needs_rebuild: count(&[ReplicaState::NeedsRebuild]),
            disconnected: count(&[ReplicaState::Disconnected]),
            senders,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_stable_snake_case() {
        let rows = [
            (
                EventKind::PinFailed(PinKind::Snapshot),
                "snapshot_pin_failed",
            ),
            (
                EventKind::SessionInvalidated(InvalidateReason::EndpointChanged),
                "session_invalidated",
            ),
            (
                EventKind::ResourcesReleased(ReleaseReason::Failed),
                "exec_resources_released",
            ),
            (
                EventKind::PlanTruncateOnly { to: Lsn::ZERO },
                "plan_truncate_only",
            ),
        ];
        for (kind, name) in rows {
            assert_eq!(kind.to_string(), name);
        }
    }

    #[test]
    fn release_reasons_and_events_read_as_stable_text() {
        // Goal: the texts a log reader greps for: release reasons, and an event with and
        // without its session.
        let rows = [
            (ReleaseReason::Completed, "completed"),
            (ReleaseReason::Failed, "failed"),
            (
                ReleaseReason::Cancelled(CancelReason::Requested),
                "cancelled_requested",
            ),
        ];
        for (reason, text) in rows {
            assert_eq!(reason.to_string(), text);
        }
        let event = |session| RecoveryEvent {
            replica: ReplicaId::new(2),
            session,
            kind: EventKind::Connected,
        };
        assert_eq!(
            event(Some(SessionId::new(7))).to_string(),
            "r2 s7 connected"
        );
        assert_eq!(event(None).to_string(), "r2 - connected");
    }

    #[test]
    fn log_filters_events_by_replica_in_order() {
        let mut log = RecoveryLog::new();
        assert!(log.is_empty());
        let first = ReplicaId::new(1);
        let second = ReplicaId::new(2);
        log.record(RecoveryEvent {
            replica: first,
            session: None,
            kind: EventKind::SenderRemoved,
        });
        log.record(RecoveryEvent {
            replica: second,
            session: None,
            kind: EventKind::SenderStopped,
        });
        log.record(RecoveryEvent {
            replica: first,
            session: None,
            kind: EventKind::Connected,
        });
        assert_eq!(
            log.kinds_for(first),
            vec![EventKind::SenderRemoved, EventKind::Connected]
        );
        assert_eq!(log.len(), 3);
        assert!(!log.is_empty());
    }
}
