//! A recovery session: one attempt to bring one replica to the committed prefix (§6.2).
//!
//! A session has an identity (id, replica, epoch, kind), a phase from [`phase`], the range
//! `(start, target]` fixed at handshake, and the work it does. Catch-up work (progress, frozen
//! target, truncation requirement, budget) and rebuild work (the [`RebuildState`]) are separate
//! variants, so a catch-up call on a rebuild session has nothing to touch.
//!
//! Sessions are mutated only through their [`Sender`](crate::sender::Sender), which runs the
//! authority check first; every mutator here checks all its preconditions before changing
//! anything.

pub mod phase;

use crate::budget::{BudgetTracker, CatchUpBudget};
use crate::error::{CompletionRefusal, PhaseError, SenderError};
use crate::rebuild::RebuildState;
use crate::types::{Epoch, Lsn, LsnRange, ReplicaId, SessionId, SessionKind, Tick};
use phase::{InvalidateReason, SessionPhase};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Hands out session ids. One counter per registry (never process-wide), so a replay of the
/// same calls sees the same ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionIdCounter {
    /// The id the next allocation returns. Invariant: greater than every id handed out.
    next: SessionId,
}

impl Default for SessionIdCounter {
    fn default() -> SessionIdCounter {
        SessionIdCounter::new()
    }
}

impl SessionIdCounter {
    /// A counter whose first id is [`SessionId::FIRST`].
    pub const fn new() -> SessionIdCounter {
        SessionIdCounter {
            next: SessionId::FIRST,
        }
    }

    /// A fresh id, never handed out before by this counter.
    pub fn allocate(&mut self) -> SessionId {
        let id = self.next;
        self.next = id.next();
        id
    }

    /// The id the next allocation will return.
    pub const fn peek(&self) -> SessionId {
        self.next
    }
}

/// Whether a replica ahead of committed must first drop its divergent tail (T9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// The replica is not ahead.
    NotRequired,
    /// The replica must truncate to `to` before completion.
    Required {
        /// The truncation point (the committed LSN at handshake; may be 0).
        to: Lsn,
    },
    /// The truncation to `to` was recorded.
    Recorded {
        /// The truncation point.
        to: Lsn,
    },
}

impl fmt::Display for Truncation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Truncation::NotRequired => f.write_str("not_required"),
            Truncation::Required { to } => write!(f, "required_to_{to}"),
            Truncation::Recorded { to } => write!(f, "recorded_to_{to}"),
        }
    }
}

/// The catch-up side of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CatchUpProgress {
    /// How far replay has reached; the handshake start until the first progress.
    /// Invariant: only rises.
    pub recovered_to: Lsn,
    /// The target frozen when catch-up began; `None` before. Never chases the head (§2.9).
    /// Invariant: `recovered_to <= frozen_target` once set.
    pub frozen_target: Option<Lsn>,
    /// The divergent-tail requirement.
    pub truncation: Truncation,
    /// The limits, if the session was attached with a budget.
    pub budget: Option<CatchUpBudget>,
    /// What has been spent; `None` until catch-up begins.
    pub tracker: Option<BudgetTracker>,
}

/// What a session does: catch-up replay or a rebuild.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionWork {
    /// Replay from retained WAL (kinds bootstrap, catch-up, reassign).
    CatchUp(CatchUpProgress),
    /// Installation of a base image (kind rebuild).
    Rebuild(RebuildState),
}

/// One recovery attempt for one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    /// Unique within the owning registry.
    id: SessionId,
    /// The replica being recovered.
    replica: ReplicaId,
    /// The epoch the session belongs to. Invariant: equal to the sender's epoch when attached.
    epoch: Epoch,
    /// Why the session exists. Invariant: `kind.is_rebuild()` ⇔ `work` is `Rebuild`.
    kind: SessionKind,
    /// Where the session is. Invariant: changes only along `SessionPhase::can_advance_to`.
    phase: SessionPhase,
    /// `(start, target]`, fixed at handshake. Invariant: `after <= through`.
    range: Option<LsnRange>,
    /// The work done.
    work: SessionWork,
}

impl Session {
    /// A fresh session in phase init. A rebuild session refuses a catch-up budget.
    pub(crate) fn new(
        id: SessionId,
        replica: ReplicaId,
        epoch: Epoch,
        kind: SessionKind,
        budget: Option<CatchUpBudget>,
    ) -> Result<Session, SenderError> {
        let work = if kind.is_rebuild() {
            if budget.is_some() {
                return Err(SenderError::BudgetOnRebuild);
            }
            SessionWork::Rebuild(RebuildState::Init)
        } else {
            SessionWork::CatchUp(CatchUpProgress {
                recovered_to: Lsn::ZERO,
                frozen_target: None,
                truncation: Truncation::NotRequired,
                budget,
                tracker: None,
            })
        };
        Ok(Session {
            id,
            replica,
            epoch,
            kind,
            phase: SessionPhase::Init,
            range: None,
            work,
        })
    }

    /// The session id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The replica being recovered.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The session's epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The session kind.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The current phase.
    pub fn phase(&self) -> SessionPhase {
        self.phase
    }

    /// True until completed or invalidated.
    pub fn is_active(&self) -> bool {
        self.phase.is_active()
    }

    /// The handshake range `(start, target]`, once recorded.
    pub fn range(&self) -> Option<LsnRange> {
        self.range
    }

    /// The session's work.
    pub fn work(&self) -> &SessionWork {
        &self.work
    }

    /// The catch-up side, or `None` for a rebuild session.
    pub fn catch_up(&self) -> Option<&CatchUpProgress> {
        match &self.work {
            SessionWork::CatchUp(progress) => Some(progress),
            SessionWork::Rebuild(_) => None,
        }
    }

    /// The rebuild side, or `None` for a catch-up session.
    pub fn rebuild(&self) -> Option<&RebuildState> {
        match &self.work {
            SessionWork::Rebuild(state) => Some(state),
            SessionWork::CatchUp(_) => None,
        }
    }

    /// True when catch-up has reached its frozen target (the target may be 0; absence of a
    /// target — no catch-up begun — is never convergence).
    pub fn is_converged(&self) -> bool {
        self.catch_up().is_some_and(|progress| {
            progress
                .frozen_target
                .is_some_and(|target| progress.recovered_to >= target)
        })
    }

    /// The latest tick the session has seen, if catch-up began.
    pub fn latest_tick(&self) -> Option<Tick> {
        self.catch_up()
            .and_then(|progress| progress.tracker)
            .map(|tracker| tracker.latest())
    }

    /// Refuses a phase change outside the legal edges.
    pub(crate) fn check_advance(&self, to: SessionPhase) -> Result<(), PhaseError> {
        if self.phase.can_advance_to(&to) {
            Ok(())
        } else {
            Err(PhaseError {
                from: self.phase,
                to,
            })
        }
    }

    fn advance(&mut self, to: SessionPhase) -> Result<(), PhaseError> {
        self.check_advance(to)?;
        self.phase = to;
        Ok(())
    }

    /// Refuses with the catch-up side missing.
    pub(crate) fn require_catch_up(&self) -> Result<(), SenderError> {
        match self.work {
            SessionWork::CatchUp(_) => Ok(()),
            SessionWork::Rebuild(_) => Err(SenderError::RebuildSession { session: self.id }),
        }
    }

    /// Refuses with the rebuild side missing.
    pub(crate) fn require_rebuild(&self) -> Result<(), SenderError> {
        match self.work {
            SessionWork::Rebuild(_) => Ok(()),
            SessionWork::CatchUp(_) => Err(SenderError::NotRebuildSession {
                session: self.id,
                kind: self.kind,
            }),
        }
    }

    /// Refuses a tick earlier than the latest one seen.
    pub(crate) fn check_tick(&self, now: Tick) -> Result<(), SenderError> {
        match self.latest_tick() {
            Some(latest) if now < latest => Err(SenderError::TickRegressed {
                latest,
                presented: now,
            }),
            _ => Ok(()),
        }
    }

    /// init → connecting.
    pub(crate) fn connect(&mut self) -> Result<(), SenderError> {
        self.advance(SessionPhase::Connecting)?;
        Ok(())
    }

    /// connecting → handshake with the range `(start, target]` and the truncation requirement.
    /// Progress starts at `start`, so entry budgets count only the delta (§7.11).
    pub(crate) fn handshake(
        &mut self,
        range: LsnRange,
        truncation: Truncation,
    ) -> Result<(), SenderError> {
        if range.through < range.after {
            return Err(SenderError::TargetBelowStart { range });
        }
        self.check_advance(SessionPhase::Handshake)?;
        self.phase = SessionPhase::Handshake;
        self.range = Some(range);
        if let SessionWork::CatchUp(progress) = &mut self.work {
            progress.recovered_to = range.after;
            progress.truncation = truncation;
        }
        Ok(())
    }

    /// handshake → catch-up: freezes the target and starts the budget clock.
    pub(crate) fn begin_catch_up(&mut self, now: Tick) -> Result<(), SenderError> {
        self.require_catch_up()?;
        self.check_advance(SessionPhase::CatchUp)?;
        let target = match self.range {
            Some(range) => range.through,
            None => unreachable_range(self.id),
        };
        self.phase = SessionPhase::CatchUp;
        if let SessionWork::CatchUp(progress) = &mut self.work {
            progress.frozen_target = Some(target);
            progress.tracker = Some(BudgetTracker::start(now));
        }
        Ok(())
    }

    /// Records catch-up progress to `to` at `now`. Preconditions, in order: catch-up session;
    /// phase catch-up; tick not earlier than the latest; strictly increasing; not past the
    /// frozen target (equal is accepted, §7.8).
    pub(crate) fn record_progress(&mut self, to: Lsn, now: Tick) -> Result<(), SenderError> {
        self.require_catch_up()?;
        if self.phase != SessionPhase::CatchUp {
            return Err(PhaseError {
                from: self.phase,
                to: SessionPhase::CatchUp,
            }
            .into());
        }
        self.check_tick(now)?;
        let SessionWork::CatchUp(progress) = &mut self.work else {
            return Err(SenderError::RebuildSession { session: self.id });
        };
        if to <= progress.recovered_to {
            return Err(SenderError::ProgressRegression {
                recovered_to: progress.recovered_to,
                presented: to,
            });
        }
        if let Some(frozen_target) = progress.frozen_target {
            if to > frozen_target {
                return Err(SenderError::BeyondFrozenTarget {
                    frozen_target,
                    presented: to,
                });
            }
        }
        let replayed = progress.recovered_to.entries_through(to);
        progress.recovered_to = to;
        if let Some(tracker) = &mut progress.tracker {
            tracker.entries_replayed = tracker.entries_replayed.saturating_add(replayed);
            tracker.last_progress = now;
        }
        Ok(())
    }

    /// Records the truncation of the divergent tail to exactly the required point.
    pub(crate) fn record_truncation(&mut self, to: Lsn) -> Result<(), SenderError> {
        let SessionWork::CatchUp(progress) = &mut self.work else {
            return Err(SenderError::RebuildSession { session: self.id });
        };
        match progress.truncation {
            Truncation::NotRequired => Err(SenderError::TruncationNotRequired),
            Truncation::Recorded { to: recorded } => {
                Err(SenderError::TruncationAlreadyRecorded { to: recorded })
            }
            Truncation::Required { to: required } if required != to => {
                Err(SenderError::TruncationMismatch {
                    required,
                    presented: to,
                })
            }
            Truncation::Required { .. } => {
                progress.truncation = Truncation::Recorded { to };
                Ok(())
            }
        }
    }

    /// The first reason this session may not complete as a catch-up, if any (§6.3).
    pub(crate) fn completion_refusal(&self) -> Option<CompletionRefusal> {
        let SessionWork::CatchUp(progress) = &self.work else {
            return Some(CompletionRefusal::RebuildSession);
        };
        if let Truncation::Required { to } = progress.truncation {
            return Some(CompletionRefusal::TruncationUnrecorded { to });
        }
        match (self.phase, self.range, progress.frozen_target) {
            (SessionPhase::CatchUp, _, Some(target)) if progress.recovered_to < target => {
                Some(CompletionRefusal::NotConverged {
                    recovered_to: progress.recovered_to,
                    target,
                })
            }
            (SessionPhase::CatchUp, _, Some(_)) => None,
            (SessionPhase::Handshake, Some(range), _) if !range.is_empty() => {
                Some(CompletionRefusal::RangeNotEmpty { range })
            }
            (SessionPhase::Handshake, Some(_), _) => None,
            (phase, _, _) => Some(CompletionRefusal::WrongPhase { phase }),
        }
    }

    /// Completes a catch-up session that has no completion refusal.
    pub(crate) fn complete_catch_up(&mut self) -> Result<(), SenderError> {
        if let Some(refusal) = self.completion_refusal() {
            return Err(SenderError::CompletionRefused(refusal));
        }
        self.advance(SessionPhase::Completed)?;
        Ok(())
    }

    /// Runs one rebuild step on the rebuild state, after checking the session phase (a rebuild
    /// session does all its work in phase handshake).
    pub(crate) fn rebuild_step<T>(
        &mut self,
        step: impl FnOnce(&mut RebuildState) -> Result<T, crate::error::RebuildError>,
    ) -> Result<T, SenderError> {
        self.require_rebuild()?;
        if self.phase != SessionPhase::Handshake {
            return Err(PhaseError {
                from: self.phase,
                to: SessionPhase::Handshake,
            }
            .into());
        }
        let SessionWork::Rebuild(state) = &mut self.work else {
            return Err(SenderError::NotRebuildSession {
                session: self.id,
                kind: self.kind,
            });
        };
        // RebuildState methods check every precondition before mutating, so a refused step
        // leaves the state as it was.
        Ok(step(state)?)
    }

    /// Completes a rebuild session whose rebuild is ready; returns the achieved LSN.
    pub(crate) fn complete_rebuild(&mut self) -> Result<Lsn, SenderError> {
        self.require_rebuild()?;
        self.check_advance(SessionPhase::Completed)?;
        let achieved = self.rebuild_step(RebuildState::complete)?;
        self.phase = SessionPhase::Completed;
        Ok(achieved)
    }

    /// Ends an active session with `reason` (and aborts its rebuild). Returns false, changing
    /// nothing, when the session had already ended.
    pub(crate) fn invalidate(&mut self, reason: InvalidateReason) -> bool {
        if self.advance(SessionPhase::Invalidated(reason)).is_err() {
            return false;
        }
        if let SessionWork::Rebuild(state) = &mut self.work {
            state.abort();
        }
        true
    }
}

/// Catch-up can only begin from phase handshake, and the handshake always sets the range.
fn unreachable_range(id: SessionId) -> ! {
    panic!("invariant broken: session {id} in phase handshake has no range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::CatchUpBudget;

    #[test]
    fn truncation_display_is_stable_snake_case_table() {
        // Goal: the truncation's text in views and traces names the variant and its point.
        let rows = [
            (Truncation::NotRequired, "not_required"),
            (Truncation::Required { to: lsn(3) }, "required_to_3"),
            (Truncation::Recorded { to: lsn(0) }, "recorded_to_0"),
        ];
        for (truncation, text) in rows {
            assert_eq!(truncation.to_string(), text);
        }
    }

    fn lsn(value: u64) -> Lsn {
        Lsn::new(value)
    }

    fn session(kind: SessionKind) -> Session {
        match Session::new(
            SessionId::FIRST,
            ReplicaId::new(1),
            Epoch::FIRST,
            kind,
            None,
        ) {
            Ok(session) => session,
            Err(error) => panic!("{error}"),
        }
    }

    fn catching_up(start: u64, target: u64) -> Session {
        let mut session = session(SessionKind::CatchUp);
        assert_eq!(session.connect(), Ok(()));
        assert_eq!(
            session.handshake(
                LsnRange::new(lsn(start), lsn(target)),
                Truncation::NotRequired
            ),
            Ok(())
        );
        assert_eq!(session.begin_catch_up(Tick::new(0)), Ok(()));
        session
    }

    #[test]
    fn session_id_counter_starts_at_first_and_never_repeats() {
        let mut ids = SessionIdCounter::new();
        assert_eq!(ids.allocate(), SessionId::new(1));
        assert_eq!(ids.allocate(), SessionId::new(2));
        assert_eq!(ids.peek(), SessionId::new(3));
    }

    #[test]
    fn rebuild_session_with_budget_is_refused() {
        assert_eq!(
            Session::new(
                SessionId::FIRST,
                ReplicaId::new(1),
                Epoch::FIRST,
                SessionKind::Rebuild,
                Some(CatchUpBudget::default())
            ),
            Err(SenderError::BudgetOnRebuild)
        );
    }

    #[test]
    fn frozen_target_exact_boundary() {
        // Goal: §7.8 — progress equal to the frozen target is accepted, target + 1 refused.
        let mut over = catching_up(70, 100);
        assert_eq!(
            over.record_progress(lsn(101), Tick::new(1)),
            Err(SenderError::BeyondFrozenTarget {
                frozen_target: lsn(100),
                presented: lsn(101)
            })
        );
        assert_eq!(over.record_progress(lsn(100), Tick::new(1)), Ok(()));
        assert!(over.is_converged());
    }

    #[test]
    fn frozen_target_zero_caps_at_zero() {
        // Goal: docs/engine.md "A frozen target of 0 is a cap" — upstream treats 0 as no cap.
        let mut session = catching_up(0, 0);
        assert_eq!(
            session.record_progress(lsn(1), Tick::new(1)),
            Err(SenderError::BeyondFrozenTarget {
                frozen_target: lsn(0),
                presented: lsn(1)
            })
        );
        assert!(session.is_converged());
    }

    #[test]
    fn progress_must_strictly_increase() {
        let mut session = catching_up(70, 100);
        assert_eq!(
            session.record_progress(lsn(70), Tick::new(1)),
            Err(SenderError::ProgressRegression {
                recovered_to: lsn(70),
                presented: lsn(70)
            })
        );
        assert_eq!(session.record_progress(lsn(71), Tick::new(1)), Ok(()));
        assert_eq!(
            session.record_progress(lsn(71), Tick::new(2)),
            Err(SenderError::ProgressRegression {
                recovered_to: lsn(71),
                presented: lsn(71)
            })
        );
    }

    #[test]
    fn entries_are_counted_from_the_handshake_start() {
        let mut session = catching_up(70, 100);
        assert_eq!(session.record_progress(lsn(100), Tick::new(3)), Ok(()));
        let tracker = session.catch_up().and_then(|progress| progress.tracker);
        assert_eq!(
            tracker,
            Some(BudgetTracker {
                started: Tick::new(0),
                entries_replayed: 30,
                last_progress: Tick::new(3)
            })
        );
    }

    #[test]
    fn progress_with_earlier_tick_is_refused() {
        let mut session = catching_up(0, 10);
        assert_eq!(session.record_progress(lsn(1), Tick::new(5)), Ok(()));
        assert_eq!(
            session.record_progress(lsn(2), Tick::new(4)),
            Err(SenderError::TickRegressed {
                latest: Tick::new(5),
                presented: Tick::new(4)
            })
        );
    }

    #[test]
    fn handshake_with_target_below_start_is_refused_without_change() {
        let mut session = session(SessionKind::CatchUp);
        assert_eq!(session.connect(), Ok(()));
        let range = LsnRange::new(lsn(10), lsn(9));
        assert_eq!(
            session.handshake(range, Truncation::NotRequired),
            Err(SenderError::TargetBelowStart { range })
        );
        assert_eq!(session.phase(), SessionPhase::Connecting);
        assert_eq!(session.range(), None);
    }

    #[test]
    fn completion_refusals_table() {
        let mut not_converged = catching_up(70, 100);
        assert_eq!(
            not_converged.completion_refusal(),
            Some(CompletionRefusal::NotConverged {
                recovered_to: lsn(70),
                target: lsn(100)
            })
        );
        assert_eq!(
            not_converged.record_progress(lsn(100), Tick::new(1)),
            Ok(())
        );
        assert_eq!(not_converged.completion_refusal(), None);

        let mut handshake = session(SessionKind::Reassign);
        assert_eq!(
            handshake.completion_refusal(),
            Some(CompletionRefusal::WrongPhase {
                phase: SessionPhase::Init
            })
        );
        assert_eq!(handshake.connect(), Ok(()));
        let range = LsnRange::new(lsn(5), lsn(6));
        assert_eq!(handshake.handshake(range, Truncation::NotRequired), Ok(()));
        assert_eq!(
            handshake.completion_refusal(),
            Some(CompletionRefusal::RangeNotEmpty { range })
        );

        let mut ahead = session(SessionKind::CatchUp);
        assert_eq!(ahead.connect(), Ok(()));
        assert_eq!(
            ahead.handshake(
                LsnRange::new(lsn(0), lsn(0)),
                Truncation::Required { to: lsn(0) }
            ),
            Ok(())
        );
        assert_eq!(
            ahead.completion_refusal(),
            Some(CompletionRefusal::TruncationUnrecorded { to: lsn(0) })
        );
        assert_eq!(ahead.record_truncation(lsn(0)), Ok(()));
        assert_eq!(ahead.completion_refusal(), None);

        assert_eq!(
            session(SessionKind::Rebuild).completion_refusal(),
            Some(CompletionRefusal::RebuildSession)
        );
    }

    #[test]
    fn record_truncation_rules_table() {
        let mut ahead = session(SessionKind::CatchUp);
        assert_eq!(ahead.connect(), Ok(()));
        assert_eq!(
            ahead.handshake(
                LsnRange::new(lsn(50), lsn(50)),
                Truncation::Required { to: lsn(50) }
            ),
            Ok(())
        );
        assert_eq!(
            ahead.record_truncation(lsn(49)),
            Err(SenderError::TruncationMismatch {
                required: lsn(50),
                presented: lsn(49)
            })
        );
        assert_eq!(ahead.record_truncation(lsn(50)), Ok(()));
        assert_eq!(
            ahead.record_truncation(lsn(50)),
            Err(SenderError::TruncationAlreadyRecorded { to: lsn(50) })
        );
        let mut behind = catching_up(10, 20);
        assert_eq!(
            behind.record_truncation(lsn(20)),
            Err(SenderError::TruncationNotRequired)
        );
    }

    #[test]
    fn invalidate_ends_an_active_session_once_and_aborts_its_rebuild() {
        let mut rebuild = session(SessionKind::Rebuild);
        assert!(rebuild.invalidate(InvalidateReason::EndpointChanged));
        assert!(!rebuild.invalidate(InvalidateReason::SenderStopped));
        assert_eq!(
            rebuild.phase(),
            SessionPhase::Invalidated(InvalidateReason::EndpointChanged)
        );
        assert_eq!(rebuild.rebuild(), Some(&RebuildState::Aborted));
    }

    #[test]
    fn catch_up_calls_on_rebuild_session_are_refused() {
        let mut rebuild = session(SessionKind::Rebuild);
        assert_eq!(rebuild.connect(), Ok(()));
        assert_eq!(
            rebuild.handshake(LsnRange::new(lsn(0), lsn(10)), Truncation::NotRequired),
            Ok(())
        );
        let refused = Err(SenderError::RebuildSession {
            session: SessionId::FIRST,
        });
        assert_eq!(rebuild.begin_catch_up(Tick::new(0)), refused);
        assert_eq!(rebuild.record_progress(lsn(1), Tick::new(0)), refused);
        assert_eq!(rebuild.record_truncation(lsn(1)), refused);
        assert_eq!(rebuild.phase(), SessionPhase::Handshake);
    }
}
