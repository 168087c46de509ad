//! The recovery orchestrator: the registry plus its recovery log (§6.9).
//!
//! Every call reaches a sender through the registry and then drains the events it produced
//! into the log, so the log is complete after every call. The orchestrator adds the decision
//! events a sender cannot know about (the handshake verdict, escalations, rejections).

use crate::budget::CatchUpBudget;
use crate::deadline::Retransmit;
use crate::error::{OrchestrateError, SenderError};
use crate::history::{RebuildSource, RecoverabilityProof, RetainedHistory};
use crate::observe::{EventKind, RecoveryEvent, RecoveryLog, RegistryStatusView};
use crate::outcome::RecoveryOutcome;
use crate::registry::{AssignmentIntent, AssignmentResult, Registry};
use crate::sender::{Fallback, Sender, Supersession};
use crate::session::phase::InvalidateReason;
use crate::session::Session;
use crate::types::{
    Endpoint, Epoch, Lsn, LsnRange, ReplicaId, ReplicaState, SessionId, SessionKind, Tick,
};
use serde::{Deserialize, Serialize};

/// What [`RecoveryOrchestrator::execute_recovery`] decided and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryResult {
    /// The session the handshake ran in.
    pub session: SessionId,
    /// The classification.
    pub outcome: RecoveryOutcome,
    /// Its evidence.
    pub proof: RecoverabilityProof,
    /// The replica state afterwards.
    pub state: ReplicaState,
    /// For a zero gap, the LSN the replica holds (the session completed).
    pub achieved: Option<Lsn>,
}

/// The registry and the log of everything it did.
#[derive(Clone, Debug, Default)]
pub struct RecoveryOrchestrator {
    /// The senders.
    registry: Registry,
    /// Every event, in order. Invariant: holds every event the registry produced (drained
    /// after each call).
    log: RecoveryLog,
}

impl RecoveryOrchestrator {
    /// An orchestrator with no senders.
    pub fn new() -> RecoveryOrchestrator {
        RecoveryOrchestrator::default()
    }

    /// The registry (read-only; mutate through the orchestrator so the log stays complete).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The recovery log.
    pub fn log(&self) -> &RecoveryLog {
        &self.log
    }

    /// The sender of `replica`.
    pub fn sender(&self, replica: ReplicaId) -> Option<&Sender> {
        self.registry.sender(replica)
    }

    /// The active session of `replica`'s sender. Refused for an unknown replica and for a
    /// sender without an active session: every session-scoped step needs one.
    pub fn active_session(&self, replica: ReplicaId) -> Result<&Session, OrchestrateError> {
        self.sender(replica)
            .ok_or(OrchestrateError::UnknownReplica { replica })?
            .active_session()
            .ok_or(OrchestrateError::NoActiveSession { replica })
    }

    /// A status summary.
    pub fn status(&self) -> RegistryStatusView {
        self.registry.status()
    }

    fn flush(&mut self) {
        let events = self.registry.drain_events();
        self.log.extend(events);
    }

    /// Records a decision event (used by the planner and executors).
    pub fn record(&mut self, replica: ReplicaId, session: Option<SessionId>, kind: EventKind) {
        self.flush();
        self.log.record(RecoveryEvent {
            replica,
            session,
            kind,
        });
    }

    /// Runs one sender call and logs what it changed (for calls without a method of their own).
    pub fn with_sender<R>(
        &mut self,
        replica: ReplicaId,
        call: impl FnOnce(&mut Sender) -> Result<R, SenderError>,
    ) -> Result<R, OrchestrateError> {
        let sender = self
            .registry
            .sender_mut(replica)
            .ok_or(OrchestrateError::UnknownReplica { replica })?;
        let result = call(sender);
        self.flush();
        Ok(result?)
    }

    /// Applies an assignment intent and logs it (§6.9).
    pub fn process_assignment(&mut self, intent: &AssignmentIntent) -> AssignmentResult {
        let result = self.registry.apply_assignment(intent);
        self.flush();
        result
    }

    /// Attaches a session with an optional budget at the sender's epoch.
    pub fn attach_session(
        &mut self,
        replica: ReplicaId,
        kind: SessionKind,
        budget: Option<CatchUpBudget>,
    ) -> Result<SessionId, OrchestrateError> {
        let attached = self.registry.attach_session(replica, kind, budget);
        self.flush();
        attached
    }

    /// Replaces the active session (if any) with a new one.
    pub fn supersede_session(
        &mut self,
        replica: ReplicaId,
        kind: SessionKind,
        reason: InvalidateReason,
        budget: Option<CatchUpBudget>,
    ) -> Result<Supersession, OrchestrateError> {
        let superseded = self
            .registry
            .supersede_session(replica, kind, reason, budget);
        self.flush();
        superseded
    }

    /// Moves one sender to a newer epoch; returns the session it invalidated, if any.
    pub fn update_sender_epoch(
        &mut self,
        replica: ReplicaId,
        epoch: Epoch,
    ) -> Result<Option<SessionId>, OrchestrateError> {
        self.with_sender(replica, |sender| Ok(sender.update_epoch(epoch)))
    }

    /// Gives one sender a new endpoint; returns the session it invalidated, if any.
    pub fn update_sender_endpoint(
        &mut self,
        replica: ReplicaId,
        endpoint: Endpoint,
    ) -> Result<Option<SessionId>, OrchestrateError> {
        self.with_sender(replica, |sender| Ok(sender.update_endpoint(endpoint)))
    }

    /// Fences every session older than `epoch`.
    pub fn invalidate_epoch(&mut self, epoch: Epoch) -> Vec<(ReplicaId, SessionId)> {
        let invalidated = self.registry.invalidate_epoch(epoch);
        self.flush();
        invalidated
    }

    /// Abandons session `id` of `replica` with `reason`, moving to `fallback`.
    pub fn invalidate_session(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        reason: InvalidateReason,
        fallback: Fallback,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| {
            sender.invalidate_session(id, reason, fallback)
        })
    }

    /// Connects and handshakes `replica`'s active catch-up session against `history` (§6.9): a
    /// needs-rebuild outcome escalates, a zero gap completes at `now`, a catch-up returns with
    /// the session in phase handshake for the planner.
    pub fn execute_recovery(
        &mut self,
        replica: ReplicaId,
        flushed: Lsn,
        history: &RetainedHistory,
        now: Tick,
    ) -> Result<RecoveryResult, OrchestrateError> {
        let active = self.active_session(replica)?;
        let session = active.id();
        // A rebuild session handshakes with its own range; refuse before connecting so a
        // misdirected call leaves it untouched for the rebuild planner.
        if active.kind().is_rebuild() {
            return Err(SenderError::RebuildSession { session }.into());
        }
        self.with_sender(replica, |sender| sender.begin_connect(session))?;
        let report = self.with_sender(replica, |sender| {
            sender.record_handshake_from_history(session, flushed, history)
        })?;
        self.record(
            replica,
            Some(session),
            EventKind::Handshake {
                outcome: report.outcome,
                reason: report.proof.reason,
            },
        );
        let achieved = match report.outcome {
            RecoveryOutcome::NeedsRebuild => {
                self.record(
                    replica,
                    Some(session),
                    EventKind::Escalated(report.proof.reason),
                );
                None
            }
            RecoveryOutcome::ZeroGap => Some(self.complete(replica, session, now)?),
            RecoveryOutcome::CatchUp => None,
        };
        let state = self
            .registry
            .sender(replica)
            .map_or(ReplicaState::Disconnected, Sender::state);
        Ok(RecoveryResult {
            session,
            outcome: report.outcome,
            proof: report.proof,
            state,
            achieved,
        })
    }

    /// Connects a session (init → connecting).
    pub fn begin_connect(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.begin_connect(id))
    }

    /// Records an explicit handshake range (rebuild sessions use `(0, target]`).
    pub fn record_handshake(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        range: LsnRange,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.record_handshake(id, range))
    }

    /// Begins catch-up replay at `now`.
    pub fn begin_catch_up(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        now: Tick,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.begin_catch_up(id, now))
    }

    /// Records catch-up progress.
    pub fn record_catch_up_progress(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        to: Lsn,
        now: Tick,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| {
            sender.record_catch_up_progress(id, to, now)
        })
    }

    /// Records the divergent-tail truncation.
    pub fn record_truncation(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        to: Lsn,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.record_truncation(id, to))
    }

    /// Checks the budget; a violation escalates and is logged as `budget_escalated`.
    pub fn check_budget(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        now: Tick,
    ) -> Result<(), OrchestrateError> {
        let checked = self.with_sender(replica, |sender| sender.check_budget(id, now));
        self.log_refusal(replica, id, &checked);
        checked
    }

    /// A deadline of the session expired: the request to send again, logged as
    /// `deadline_expired` (`docs/engine.md` §21).
    pub fn expire_deadline(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        now: Tick,
    ) -> Result<Retransmit, OrchestrateError> {
        self.with_sender(replica, |sender| sender.expire_deadline(id, now))
    }

    /// Completes a catch-up session; a refusal is logged as `completion_rejected`.
    pub fn complete(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        now: Tick,
    ) -> Result<Lsn, OrchestrateError> {
        let completed = self.with_sender(replica, |sender| sender.complete(id, now));
        self.log_refusal(replica, id, &completed);
        completed
    }

    fn log_refusal<T>(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        result: &Result<T, OrchestrateError>,
    ) {
        match result {
            Err(OrchestrateError::Sender(SenderError::BudgetExceeded(violation))) => {
                self.record(replica, Some(id), EventKind::BudgetEscalated(*violation));
            }
            Err(OrchestrateError::Sender(SenderError::CompletionRefused(refusal))) => {
                self.record(replica, Some(id), EventKind::CompletionRejected(*refusal));
            }
            _ => {}
        }
    }

    /// Fixes a rebuild source.
    pub fn select_rebuild_source(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        source: RebuildSource,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.select_rebuild_source(id, source))
    }

    /// Fixes the rebuild source from retained history.
    pub fn select_rebuild_from_history(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        history: &RetainedHistory,
    ) -> Result<RebuildSource, OrchestrateError> {
        self.with_sender(replica, |sender| {
            sender.select_rebuild_from_history(id, history)
        })
    }

    /// Starts a rebuild's base transfer.
    pub fn begin_rebuild_transfer(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.begin_rebuild_transfer(id))
    }

    /// Records base-transfer progress.
    pub fn record_rebuild_transfer_progress(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        to: Lsn,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| {
            sender.record_rebuild_transfer_progress(id, to)
        })
    }

    /// Moves from the snapshot to its tail.
    pub fn begin_rebuild_tail_replay(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| sender.begin_rebuild_tail_replay(id))
    }

    /// Records tail-replay progress.
    pub fn record_rebuild_tail_progress(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
        to: Lsn,
    ) -> Result<(), OrchestrateError> {
        self.with_sender(replica, |sender| {
            sender.record_rebuild_tail_progress(id, to)
        })
    }

    /// Completes a ready rebuild.
    pub fn complete_rebuild(
        &mut self,
        replica: ReplicaId,
        id: SessionId,
    ) -> Result<Lsn, OrchestrateError> {
        self.with_sender(replica, |sender| sender.complete_rebuild(id))
    }
}

#[cfg(test)]
mod tests;
