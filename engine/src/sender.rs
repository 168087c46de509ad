//! The per-replica sender: owner of a replica's recovery (PROTOCOL.md §6.3). One per replica id.
//!
//! Every execution call passes [`Sender::authorize`] first — fence first, as `Raft::step`
//! does — and is refused, in this order, when the sender is stopped, has no session, is
//! presented a stale session id, or its session has ended (T7). Epoch and endpoint currency
//! are enforced through the session id: an epoch or endpoint change ends the session, so the
//! old id fails the check. After the authority check each call verifies all its preconditions
//! before changing anything, so a refused call changes nothing.
//!
//! Every change of state, session or phase is recorded in the sender's outbox of
//! [`RecoveryEvent`]s, which the registry drains into the recovery log.

use crate::budget::BudgetViolation;
use crate::budget::CatchUpBudget;
use crate::deadline::{self, Retransmit};
use crate::error::{AuthorityError, CompletionRefusal, SenderError};
use crate::history::{RebuildSource, RecoverabilityProof, RetainedHistory};
use crate::lineage::Lineage;
use crate::observe::{EventKind, RecoveryEvent, SenderView, SessionView};
use crate::outcome::{HandshakeResult, RecoveryOutcome};
use crate::rebuild::{RebuildPhase, RebuildState};
use crate::session::phase::{InvalidateReason, SessionPhase};
use crate::session::{Session, SessionIdCounter, SessionWork, Truncation};
use crate::types::{
    Endpoint, Epoch, Lsn, LsnRange, ReplicaId, ReplicaState, SessionId, SessionKind, Tick,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a sender still runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderLifecycle {
    /// Accepting calls.
    Running,
    /// Stopped for good; every execution call is refused.
    Stopped,
}

impl fmt::Display for SenderLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SenderLifecycle::Running => f.write_str("running"),
            SenderLifecycle::Stopped => f.write_str("stopped"),
        }
    }
}

/// The state a sender falls back to when a caller abandons its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Recovery can be retried with a fresh handshake.
    Disconnected,
    /// Only a rebuild can help.
    NeedsRebuild,
}

impl From<Fallback> for ReplicaState {
    fn from(fallback: Fallback) -> ReplicaState {
        match fallback {
            Fallback::Disconnected => ReplicaState::Disconnected,
            Fallback::NeedsRebuild => ReplicaState::NeedsRebuild,
        }
    }
}

/// The result of a supersede: the session that ended (if one was active) and its successor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Supersession {
    /// The session that was invalidated, if one was active.
    pub replaced: Option<SessionId>,
    /// The new session.
    pub session: SessionId,
}

/// What a handshake from retained history decided, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeReport {
    /// The outcome.
    pub outcome: RecoveryOutcome,
    /// The evidence.
    pub proof: RecoverabilityProof,
}

/// The owner of one replica's recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// The replica's stable identity (T8).
    replica: ReplicaId,
    /// Where the replica is reached; changing it never changes the identity.
    endpoint: Endpoint,
    /// The epoch the sender works in. Invariant: only rises.
    epoch: Epoch,
    /// What the sender believes about its replica.
    state: ReplicaState,
    /// Running or stopped. Invariant: a stopped sender never has an active session.
    lifecycle: SenderLifecycle,
    /// The latest session. Invariant: at most one, and only an active one carries authority; an
    /// ended session stays (for observation) until the next attach.
    session: Option<Session>,
    /// Events not yet drained into the recovery log.
    outbox: Vec<RecoveryEvent>,
}

impl Sender {
    /// A running, disconnected sender without a session.
    pub fn new(replica: ReplicaId, endpoint: Endpoint, epoch: Epoch) -> Sender {
        Sender {
            replica,
            endpoint,
            epoch,
            state: ReplicaState::Disconnected,
            lifecycle: SenderLifecycle::Running,
            session: None,
            outbox: Vec::new(),
        }
    }

    /// The replica identity.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The replica's endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The sender's epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The replica state.
    pub fn state(&self) -> ReplicaState {
        self.state
    }

    /// Running or stopped.
    pub fn lifecycle(&self) -> SenderLifecycle {
        self.lifecycle
    }

    /// True once stopped.
    pub fn is_stopped(&self) -> bool {
        self.lifecycle == SenderLifecycle::Stopped
    }

    /// The latest session, active or ended.
    pub fn latest_session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The active session, if any.
    pub fn active_session(&self) -> Option<&Session> {
        self.session.as_ref().filter(|session| session.is_active())
    }

    /// The active session's id, if any (upstream returns 0 for none).
    pub fn active_session_id(&self) -> Option<SessionId> {
        self.active_session().map(Session::id)
    }

    /// A read-only copy.
    pub fn view(&self) -> SenderView {
        SenderView {
            replica: self.replica,
            endpoint: self.endpoint.clone(),
            epoch: self.epoch,
            state: self.state,
            lifecycle: self.lifecycle,
            session: self.session.as_ref().map(SessionView::from),
        }
    }

    /// Takes the events recorded since the last drain.
    pub fn drain_events(&mut self) -> Vec<RecoveryEvent> {
        std::mem::take(&mut self.outbox)
    }

    fn emit(&mut self, session: Option<SessionId>, kind: EventKind) {
        self.outbox.push(RecoveryEvent {
            replica: self.replica,
            session,
            kind,
        });
    }

    /// The one place the replica state changes; every change is logged.
    fn set_state(&mut self, to: ReplicaState) {
        if self.state != to {
            let from = self.state;
            self.state = to;
            let session = self.session.as_ref().map(Session::id);
            self.emit(session, EventKind::StateChanged { from, to });
        }
    }

    /// Ends the active session, if any, with `reason`; returns its id.
    fn end_active_session(&mut self, reason: InvalidateReason) -> Option<SessionId> {
        let session = self.session.as_mut()?;
        if !session.invalidate(reason) {
            return None;
        }
        let id = session.id();
        self.emit(Some(id), EventKind::SessionInvalidated(reason));
        Some(id)
    }

    /// The state after a fence (epoch advance, endpoint change, supersede, epoch bump) takes
    /// the session away: a replica whose base was being replaced, or that already needed a
    /// rebuild, still needs one; anyone else must handshake again, including an in-sync
    /// replica without a session (`docs/engine.md`, "No sender state survives a fence").
    pub fn fence_fallback(&self) -> Fallback {
        let rebuilding = self
            .active_session()
            .is_some_and(|session| session.kind().is_rebuild());
        match self.state {
            ReplicaState::NeedsRebuild | ReplicaState::Rebuilding => Fallback::NeedsRebuild,
            _ if rebuilding => Fallback::NeedsRebuild,
            _ => Fallback::Disconnected,
        }
    }

    /// The authority check (T7), fail-closed in the order stopped, no session, stale id,
    /// inactive.
    pub fn authorize(&self, id: SessionId) -> Result<(), AuthorityError> {
        if self.is_stopped() {
            return Err(AuthorityError::Stopped {
                replica: self.replica,
            });
        }
        let Some(session) = &self.session else {
            return Err(AuthorityError::NoSession {
                replica: self.replica,
            });
        };
        if session.id() != id {
            return Err(AuthorityError::StaleSession {
                presented: id,
                current: session.id(),
            });
        }
        if !session.is_active() {
            return Err(AuthorityError::Inactive {
                session: id,
                phase: session.phase(),
            });
        }
        Ok(())
    }

    fn authorized(&mut self, id: SessionId) -> Result<&mut Session, SenderError> {
        self.authorize(id)?;
        match self.session.as_mut() {
            Some(session) => Ok(session),
            None => Err(AuthorityError::NoSession {
                replica: self.replica,
            }
            .into()),
        }
    }

    // ----- lifecycle -------------------------------------------------------------------------

    /// Adopts a newer epoch. Ignored when stopped or when `epoch` is not newer (§7.15). An
    /// active session (necessarily older) is invalidated; the state then follows the fence
    /// rule, which also demotes an in-sync sender without a session (§8.9 decision).
    pub fn update_epoch(&mut self, epoch: Epoch) -> Option<SessionId> {
        if self.is_stopped() || epoch <= self.epoch {
            return None;
        }
        let fallback = self.fence_fallback();
        let from = self.epoch;
        self.epoch = epoch;
        self.emit(
            self.active_session_id(),
            EventKind::EpochAdvanced { from, to: epoch },
        );
        let session_epoch = self.active_session().map(Session::epoch);
        let ended = match session_epoch {
            Some(session_epoch) if session_epoch < epoch => {
                self.end_active_session(InvalidateReason::EpochAdvanced {
                    from: session_epoch,
                    to: epoch,
                })
            }
            _ => None,
        };
        self.set_state(fallback.into());
        ended
    }

    /// Adopts a changed endpoint. Ignored when stopped or unchanged. An active session is
    /// invalidated (`endpoint_changed`) and the state follows the fence rule.
    pub fn update_endpoint(&mut self, endpoint: Endpoint) -> Option<SessionId> {
        if self.is_stopped() || !self.endpoint.changed(&endpoint) {
            return None;
        }
        let fallback = self.fence_fallback();
        let version = endpoint.version;
        self.endpoint = endpoint;
        self.emit(
            self.active_session_id(),
            EventKind::EndpointChanged { version },
        );
        let ended = self.end_active_session(InvalidateReason::EndpointChanged);
        self.set_state(fallback.into());
        ended
    }

    /// Attaches a new session at `epoch`. Refused when stopped, when `epoch` is not the
    /// sender's, when a session is active, or when a rebuild session is offered a budget.
    /// The state is unchanged.
    pub fn attach_session(
        &mut self,
        ids: &mut SessionIdCounter,
        epoch: Epoch,
        kind: SessionKind,
        budget: Option<CatchUpBudget>,
    ) -> Result<SessionId, SenderError> {
        if self.is_stopped() {
            return Err(SenderError::Stopped {
                replica: self.replica,
            });
        }
        if epoch != self.epoch {
            return Err(SenderError::EpochMismatch {
                requested: epoch,
                sender: self.epoch,
            });
        }
        if let Some(current) = self.active_session_id() {
            return Err(SenderError::SessionActive { current });
        }
        self.attach_unchecked(ids, kind, budget)
    }

    fn attach_unchecked(
        &mut self,
        ids: &mut SessionIdCounter,
        kind: SessionKind,
        budget: Option<CatchUpBudget>,
    ) -> Result<SessionId, SenderError> {
        if kind.is_rebuild() && budget.is_some() {
            return Err(SenderError::BudgetOnRebuild);
        }
        let id = ids.allocate();
        let session = Session::new(id, self.replica, self.epoch, kind, budget)?;
        self.session = Some(session);
        self.emit(
            Some(id),
            EventKind::SessionCreated {
                kind,
                epoch: self.epoch,
            },
        );
        Ok(id)
    }

    /// Replaces any active session with a new one at the sender's epoch (§7.16: the old id
    /// becomes stale). Refused when stopped (upstream returns id 0). If a session was active
    /// the state follows the fence rule.
    pub fn supersede_session(
        &mut self,
        ids: &mut SessionIdCounter,
        kind: SessionKind,
        reason: InvalidateReason,
        budget: Option<CatchUpBudget>,
    ) -> Result<Supersession, SenderError> {
        if self.is_stopped() {
            return Err(SenderError::Stopped {
                replica: self.replica,
            });
        }
        if kind.is_rebuild() && budget.is_some() {
            return Err(SenderError::BudgetOnRebuild);
        }
        let fallback = self.fence_fallback();
        let replaced = self.end_active_session(reason);
        if replaced.is_some() {
            self.set_state(fallback.into());
        }
        let session = self.attach_unchecked(ids, kind, budget)?;
        Ok(Supersession { replaced, session })
    }

    /// Stops the sender for good (idempotent). An active session is invalidated
    /// (`sender_stopped`); the state is unchanged.
    pub fn stop(&mut self) -> Option<SessionId> {
        if self.is_stopped() {
            return None;
        }
        self.lifecycle = SenderLifecycle::Stopped;
        self.emit(self.active_session_id(), EventKind::SenderStopped);
        self.end_active_session(InvalidateReason::SenderStopped)
    }

    /// Abandons session `id` with `reason` and moves to `fallback`. Used by the planner and
    /// executors; unlike upstream it names the session, so a stale caller cannot end a
    /// successor.
    pub fn invalidate_session(
        &mut self,
        id: SessionId,
        reason: InvalidateReason,
        fallback: Fallback,
    ) -> Result<(), SenderError> {
        self.authorize(id)?;
        self.end_active_session(reason);
        self.set_state(fallback.into());
        Ok(())
    }

    /// Gives up on a session the primary's head outran: it reached its frozen target (a
    /// catch-up converged, or a rebuild ready to complete), but `head` has moved past that
    /// target and the caller's tail-chasing policy says no further round (W2: tail chasing is
    /// bounded, "abort to rebuild", never perpetual CatchingUp). Ends the session
    /// (`head_outran`) and marks the replica needs-rebuild. Refused, changing nothing, when the
    /// session has not reached its target or the head has not moved past it: a caller cannot
    /// use this to end a session that is still working or could simply complete.
    pub fn abandon_outrun(&mut self, id: SessionId, head: Lsn) -> Result<(), SenderError> {
        let session = self.authorized(id)?;
        let reached = match (session.catch_up(), session.rebuild()) {
            (Some(progress), _) => progress
                .frozen_target
                .filter(|target| progress.recovered_to >= *target),
            (None, Some(rebuild)) => rebuild
                .ready_to_complete()
                .and(session.range().map(|range| range.through)),
            (None, None) => None,
        };
        match reached {
            Some(target) if head > target => {
                self.end_active_session(InvalidateReason::HeadOutran { target, head });
                self.set_state(ReplicaState::NeedsRebuild);
                Ok(())
            }
            reached => Err(SenderError::NotOutrun { reached, head }),
        }
    }

    // ----- catch-up execution ----------------------------------------------------------------

    /// init → connecting; the replica is connecting.
    pub fn begin_connect(&mut self, id: SessionId) -> Result<(), SenderError> {
        self.authorized(id)?.connect()?;
        self.set_state(ReplicaState::Connecting);
        self.emit(Some(id), EventKind::Connected);
        Ok(())
    }

    /// connecting → handshake with an explicit range `(start, target]` (target ≥ start). Used
    /// directly by rebuild sessions with `(0, target]`.
    pub fn record_handshake(&mut self, id: SessionId, range: LsnRange) -> Result<(), SenderError> {
        self.authorized(id)?
            .handshake(range, Truncation::NotRequired)?;
        self.emit(Some(id), EventKind::HandshakeRecorded { range });
        Ok(())
    }

    /// Classifies a handshake and records it (§6.3): needs-rebuild ends the session
    /// (`gap_exceeds_retention`) and marks the replica; zero gap fixes `(f, f]`; a replica
    /// holding the committed prefix and more fixes `(C, C]` and requires truncation to C;
    /// otherwise `(k, C]` from the prefix `k` the replica keeps, with truncation to `k` when
    /// its durable history goes beyond `k` (a divergent tail, D5). Catch-up sessions only (a
    /// rebuild session handshakes with [`Sender::record_handshake`]).
    pub fn record_handshake_with_outcome(
        &mut self,
        id: SessionId,
        handshake: HandshakeResult,
    ) -> Result<RecoveryOutcome, SenderError> {
        let outcome = handshake.classify();
        let session = self.authorized(id)?;
        session.require_catch_up()?;
        session.check_advance(SessionPhase::Handshake)?;
        let flushed = handshake.replica_flushed;
        let committed = handshake.committed;
        let kept = handshake.kept();
        let (range, truncation) = match outcome {
            RecoveryOutcome::NeedsRebuild => {
                self.end_active_session(InvalidateReason::GapExceedsRetention);
                self.set_state(ReplicaState::NeedsRebuild);
                return Ok(outcome);
            }
            RecoveryOutcome::ZeroGap => (LsnRange::new(flushed, flushed), Truncation::NotRequired),
            RecoveryOutcome::CatchUp if flushed > kept => (
                LsnRange::new(kept, committed),
                Truncation::Required { to: kept },
            ),
            RecoveryOutcome::CatchUp => (LsnRange::new(kept, committed), Truncation::NotRequired),
        };
        session.handshake(range, truncation)?;
        self.emit(Some(id), EventKind::HandshakeRecorded { range });
        Ok(outcome)
    }

    /// Handshakes against the primary's retained history: proves recoverability, classifies,
    /// records, and returns both. Counters only: for a caller that has established the
    /// replica's durable history is a prefix of the primary's. A caller holding the replica's
    /// reported lineage uses [`Sender::record_handshake_by_identity`] (D5).
    pub fn record_handshake_from_history(
        &mut self,
        id: SessionId,
        flushed: Lsn,
        history: &RetainedHistory,
    ) -> Result<HandshakeReport, SenderError> {
        self.record_handshake_matched(id, flushed, flushed, history)
    }

    /// Handshakes by entry identity (D5): the replica reports the lineage of its durable log
    /// (through its flushed LSN); the primary compares it with its own and recovers from the
    /// last LSN both hold with the same writer epoch. A replica whose entry at the committed LSN
    /// was written by a deposed primary is therefore never a zero gap, however equal the
    /// counters: it truncates to the shared prefix and catches up.
    pub fn record_handshake_by_identity(
        &mut self,
        id: SessionId,
        replica: &Lineage,
        primary: &Lineage,
        history: &RetainedHistory,
    ) -> Result<HandshakeReport, SenderError> {
        let flushed = replica.head();
        let matched = primary.matched_through(replica);
        self.record_handshake_matched(id, flushed, matched, history)
    }

    fn record_handshake_matched(
        &mut self,
        id: SessionId,
        flushed: Lsn,
        matched: Lsn,
        history: &RetainedHistory,
    ) -> Result<HandshakeReport, SenderError> {
        let proof = history.prove_recoverability_matched(flushed, matched);
        let outcome = self.record_handshake_with_outcome(
            id,
            history.handshake_result_matched(flushed, matched),
        )?;
        assert_eq!(
            outcome,
            proof.outcome(),
            "invariant broken: proof and classification disagree for {proof:?}"
        );
        Ok(HandshakeReport { outcome, proof })
    }

    /// handshake → catch-up at `now`: freezes the target, starts the budget clock; the replica
    /// is catching up.
    pub fn begin_catch_up(&mut self, id: SessionId, now: Tick) -> Result<(), SenderError> {
        let session = self.authorized(id)?;
        session.begin_catch_up(now)?;
        let frozen_target = session.range().map_or(Lsn::ZERO, |range| range.through);
        self.set_state(ReplicaState::CatchingUp);
        self.emit(Some(id), EventKind::CatchUpStarted { frozen_target });
        Ok(())
    }

    /// Records replay progress to `to` at `now` (strictly increasing, at most the frozen
    /// target, tick not earlier than the last).
    pub fn record_catch_up_progress(
        &mut self,
        id: SessionId,
        to: Lsn,
        now: Tick,
    ) -> Result<(), SenderError> {
        self.authorized(id)?.record_progress(to, now)?;
        self.emit(Some(id), EventKind::CatchUpProgress { to });
        Ok(())
    }

    /// Records that the divergent tail was truncated to exactly the required point.
    pub fn record_truncation(&mut self, id: SessionId, to: Lsn) -> Result<(), SenderError> {
        self.authorized(id)?.record_truncation(to)?;
        self.emit(Some(id), EventKind::TruncationRecorded { to });
        Ok(())
    }

    /// Checks the budget at `now`. A violation invalidates the session (`budget_<violation>`),
    /// marks the replica needs-rebuild and is returned as [`SenderError::BudgetExceeded`].
    pub fn check_budget(&mut self, id: SessionId, now: Tick) -> Result<(), SenderError> {
        let session = self.authorized(id)?;
        session.check_tick(now)?;
        let verdict = match session.work() {
            SessionWork::CatchUp(progress) => match (progress.budget, progress.tracker) {
                (Some(budget), Some(tracker)) => budget.check(&tracker, now),
                _ => Ok(()),
            },
            SessionWork::Rebuild(_) => Ok(()),
        };
        verdict.map_err(|violation| self.escalate_budget(violation))
    }

    fn escalate_budget(&mut self, violation: BudgetViolation) -> SenderError {
        self.end_active_session(InvalidateReason::Budget(violation));
        self.set_state(ReplicaState::NeedsRebuild);
        SenderError::BudgetExceeded(violation)
    }

    /// Completes a catch-up session at `now` and returns the LSN the replica holds.
    ///
    /// Order: authority; tick; budget (a violation escalates, as [`Sender::check_budget`]);
    /// then the completion rules — not a rebuild session, truncation recorded if required,
    /// converged in phase catch-up or an empty range in phase handshake. A refusal by the
    /// completion rules changes nothing.
    pub fn complete(&mut self, id: SessionId, now: Tick) -> Result<Lsn, SenderError> {
        self.check_budget(id, now)?;
        let session = self.authorized(id)?;
        if let Some(refusal) = session.completion_refusal() {
            return Err(SenderError::CompletionRefused(refusal));
        }
        let achieved = session
            .catch_up()
            .map_or(Lsn::ZERO, |progress| progress.recovered_to);
        session.complete_catch_up()?;
        self.set_state(ReplicaState::InSync);
        self.emit(Some(id), EventKind::SessionCompleted { achieved });
        Ok(achieved)
    }

    /// The first completion refusal for session `id`, without changing anything.
    pub fn completion_refusal(
        &self,
        id: SessionId,
    ) -> Result<Option<CompletionRefusal>, SenderError> {
        self.authorize(id)?;
        Ok(self.session.as_ref().and_then(Session::completion_refusal))
    }

    // ----- rebuild execution -----------------------------------------------------------------

    /// Fixes the rebuild source; the target is the handshake target. Rebuild sessions in phase
    /// handshake only.
    pub fn select_rebuild_source(
        &mut self,
        id: SessionId,
        source: RebuildSource,
    ) -> Result<(), SenderError> {
        let session = self.authorized(id)?;
        session.require_rebuild()?;
        let Some(range) = session.range() else {
            return Err(crate::error::PhaseError {
                from: session.phase(),
                to: SessionPhase::Handshake,
            }
            .into());
        };
        session.rebuild_step(|state| state.select_source(source, range.through))?;
        self.emit(Some(id), EventKind::RebuildSourceSelected(source));
        Ok(())
    }

    /// Fixes the rebuild source from the primary's retained history (§6.5).
    pub fn select_rebuild_from_history(
        &mut self,
        id: SessionId,
        history: &RetainedHistory,
    ) -> Result<RebuildSource, SenderError> {
        let source = history.rebuild_source();
        self.select_rebuild_source(id, source)?;
        Ok(source)
    }

    /// Starts the base transfer; the replica is rebuilding.
    pub fn begin_rebuild_transfer(&mut self, id: SessionId) -> Result<(), SenderError> {
        self.authorized(id)?
            .rebuild_step(RebuildState::begin_transfer)?;
        self.set_state(ReplicaState::Rebuilding);
        self.emit(
            Some(id),
            EventKind::RebuildPhaseStarted(RebuildPhase::Transfer),
        );
        Ok(())
    }

    /// Records base-transfer progress.
    pub fn record_rebuild_transfer_progress(
        &mut self,
        id: SessionId,
        to: Lsn,
    ) -> Result<(), SenderError> {
        self.authorized(id)?
            .rebuild_step(|state| state.record_transfer_progress(to))?;
        self.emit(
            Some(id),
            EventKind::RebuildProgress {
                phase: RebuildPhase::Transfer,
                to,
            },
        );
        Ok(())
    }

    /// Moves from the snapshot to its tail.
    pub fn begin_rebuild_tail_replay(&mut self, id: SessionId) -> Result<(), SenderError> {
        self.authorized(id)?
            .rebuild_step(RebuildState::begin_tail_replay)?;
        self.emit(
            Some(id),
            EventKind::RebuildPhaseStarted(RebuildPhase::TailReplay),
        );
        Ok(())
    }

    /// Records tail-replay progress.
    pub fn record_rebuild_tail_progress(
        &mut self,
        id: SessionId,
        to: Lsn,
    ) -> Result<(), SenderError> {
        self.authorized(id)?
            .rebuild_step(|state| state.record_tail_progress(to))?;
        self.emit(
            Some(id),
            EventKind::RebuildProgress {
                phase: RebuildPhase::TailReplay,
                to,
            },
        );
        Ok(())
    }

    // ----- deadlines ---------------------------------------------------------------------------

    /// A deadline of session `id` expired at `now` (`docs/engine.md` §21): returns the request
    /// to send again, identical to the one outstanding ([`deadline::awaited`]). Refused, changing
    /// nothing, for a stale or ended session (so a stale timer never regresses recovered state,
    /// A11), a tick before the session's latest, or a session that waits on nothing. A rebuild
    /// starts again from its base (upstream's rebuild-too-slow abort); nothing else changes.
    pub fn expire_deadline(&mut self, id: SessionId, now: Tick) -> Result<Retransmit, SenderError> {
        let session = self.authorized(id)?;
        session.check_tick(now)?;
        let Some(request) = deadline::awaited(session) else {
            return Err(SenderError::NothingAwaited {
                phase: session.phase(),
            });
        };
        if let Retransmit::Rebuild { .. } = request {
            session.rebuild_step(RebuildState::restart)?;
        }
        self.emit(Some(id), EventKind::DeadlineExpired(request));
        Ok(request)
    }

    /// Completes a ready rebuild; the replica is in sync at the returned LSN.
    pub fn complete_rebuild(&mut self, id: SessionId) -> Result<Lsn, SenderError> {
        let achieved = self.authorized(id)?.complete_rebuild()?;
        self.set_state(ReplicaState::InSync);
        self.emit(Some(id), EventKind::SessionCompleted { achieved });
        Ok(achieved)
    }
}

#[cfg(test)]
mod tests;
