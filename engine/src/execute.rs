//! Executors: carry out a plan through IO ports, step by step (§6.11).
//!
//! An executor owns its plan (and so its pins) and is consumed by every step, which returns it
//! back only to continue. Every exit — completion, a refused step, an IO failure, a budget
//! violation, a fenced session, cancellation — releases the pins exactly once and, when the
//! session is still current, invalidates it: a session never outlives its resources.
//!
//! Executors use only the plan's values (range, truncation point, source, target) and never
//! re-derive policy. Before each IO call they re-run the authority check, so a session fenced
//! between two steps (an epoch bump, an endpoint change, a supersede) does no further IO.
//!
//! Unlike upstream, the catch-up executor checks the budget after every replay step on every
//! path, including the IO path (`docs/engine.md`, "The IO catch-up path checks the budget").

use crate::error::{ExecuteError, IoError, OrchestrateError};
use crate::history::RebuildSource;
use crate::observe::{EventKind, ReleaseReason};
use crate::plan::{CatchUpPlan, CatchUpWork, RebuildPlan, RecoveryDriver, StorageAdapter};
use crate::sender::Fallback;
use crate::session::phase::{CancelReason, InvalidateReason};
use crate::types::{Lsn, LsnRange, ReplicaId, SessionId, Tick};

/// The replica-side IO a catch-up needs.
pub trait CatchUpIo {
    /// Ships retained WAL entries of `range` to the replica; returns the LSN the replica now
    /// durably holds, which must lie in `range` (a batch may stop short of `range.through`).
    fn stream_wal_entries(&mut self, range: LsnRange) -> Result<Lsn, IoError>;
    /// Drops the replica's divergent tail so its WAL head, next LSN and receiver progress are
    /// exactly `to`. [`IoError::TruncationUnsafe`] when the tail already reached the extent.
    fn truncate_wal(&mut self, to: Lsn) -> Result<(), IoError>;
}

/// The replica-side IO a rebuild needs.
pub trait RebuildIo {
    /// Installs the snapshot at `snapshot` on the replica.
    fn transfer_snapshot(&mut self, snapshot: Lsn) -> Result<(), IoError>;
    /// Installs a full base at least at `target`; returns the LSN achieved (T16).
    fn transfer_full_base(&mut self, target: Lsn) -> Result<Lsn, IoError>;
    /// Ships WAL entries of `range`; returns the LSN reached, which must lie in `range`.
    fn stream_wal_entries(&mut self, range: LsnRange) -> Result<Lsn, IoError>;
}

/// Checks that an IO port's reported position lies in `(after, through]`.
fn within(range: LsnRange, reached: Lsn) -> Result<Lsn, ExecuteError> {
    if range.contains(reached) {
        Ok(reached)
    } else {
        Err(ExecuteError::IoOutOfRange {
            expected: range,
            presented: reached,
        })
    }
}

/// Refuses a step whose session is no longer the sender's active one.
fn authorize<S: StorageAdapter>(
    driver: &RecoveryDriver<S>,
    replica: ReplicaId,
    session: SessionId,
) -> Result<(), ExecuteError> {
    let sender = driver
        .orchestrator()
        .sender(replica)
        .ok_or(OrchestrateError::UnknownReplica { replica })?;
    sender
        .authorize(session)
        .map_err(|error| ExecuteError::Orchestrate(OrchestrateError::Sender(error.into())))
}

/// Ends a session that is still current; a fenced or finished session is left as it is.
fn invalidate_if_current<S: StorageAdapter>(
    driver: &mut RecoveryDriver<S>,
    replica: ReplicaId,
    session: SessionId,
    reason: InvalidateReason,
    fallback: Fallback,
) {
    let current = driver
        .orchestrator()
        .sender(replica)
        .and_then(|sender| sender.active_session_id());
    if current == Some(session) {
        // Authorised just above; nothing else can run in between.
        let _ = driver
            .orchestrator_mut()
            .invalidate_session(replica, session, reason, fallback);
    }
}

/// Ends an execution that stops short of completion, after the caller released its plan's pins:
/// a still-current session is invalidated with `reason` and `fallback`, then the release is
/// logged, so the log shows the session ended before its resources were reported free.
fn end_unfinished<S: StorageAdapter>(
    driver: &mut RecoveryDriver<S>,
    replica: ReplicaId,
    session: SessionId,
    reason: InvalidateReason,
    fallback: Fallback,
    release: ReleaseReason,
) {
    invalidate_if_current(driver, replica, session, reason, fallback);
    driver.orchestrator_mut().record(
        replica,
        Some(session),
        EventKind::ResourcesReleased(release),
    );
}

/// Where a catch-up execution is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CatchUpStage {
    /// Begin catch-up (freeze the target, start the budget clock).
    Begin,
    /// Replay from `recovered_to` toward the target.
    Replay { recovered_to: Lsn },
    /// Truncate if planned, then complete.
    Finish,
}

/// What a catch-up step left.
#[must_use = "a continuing executor holds pins that must be released"]
#[derive(Debug)]
pub enum CatchUpStep {
    /// More steps to run.
    Continue(CatchUpExecutor),
    /// The replica is in sync at `achieved`; the pins are released.
    Done {
        /// The LSN the replica holds.
        achieved: Lsn,
    },
}

/// Runs a [`CatchUpPlan`]: begin, replay batches until the frozen target, truncate if the
/// replica was ahead, complete.
#[must_use = "an executor holds pins that must be released"]
#[derive(Debug)]
pub struct CatchUpExecutor {
    /// The plan and its pins.
    plan: CatchUpPlan,
    /// The next step.
    stage: CatchUpStage,
}

impl CatchUpExecutor {
    /// An executor for `plan`.
    pub fn new(plan: CatchUpPlan) -> CatchUpExecutor {
        CatchUpExecutor {
            plan,
            stage: CatchUpStage::Begin,
        }
    }

    /// The plan being executed.
    pub fn plan(&self) -> &CatchUpPlan {
        &self.plan
    }

    /// Runs the next step at `now`.
    pub fn step<S: StorageAdapter, Io: CatchUpIo>(
        self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
        now: Tick,
    ) -> Result<CatchUpStep, ExecuteError> {
        let (replica, session, range) = (self.plan.replica, self.plan.session, self.plan.range);
        match self.stage {
            CatchUpStage::Begin => {
                if let Err(error) = driver
                    .orchestrator_mut()
                    .begin_catch_up(replica, session, now)
                {
                    return Err(self.fail(driver, error.into()));
                }
                driver.orchestrator_mut().record(
                    replica,
                    Some(session),
                    EventKind::ExecCatchUpStarted,
                );
                let stage = match self.plan.work {
                    CatchUpWork::Replay { .. } if !range.is_empty() => CatchUpStage::Replay {
                        recovered_to: range.after,
                    },
                    _ => CatchUpStage::Finish,
                };
                Ok(CatchUpStep::Continue(CatchUpExecutor { stage, ..self }))
            }
            CatchUpStage::Replay { recovered_to } => {
                let remaining = LsnRange::new(recovered_to, range.through);
                let reached = authorize(driver, replica, session)
                    .and_then(|()| io.stream_wal_entries(remaining).map_err(ExecuteError::from))
                    .and_then(|reached| within(remaining, reached));
                let reached = match reached {
                    Ok(reached) => reached,
                    Err(error) => return Err(self.fail(driver, error)),
                };
                let orchestrator = driver.orchestrator_mut();
                let recorded = orchestrator
                    .record_catch_up_progress(replica, session, reached, now)
                    .and_then(|()| orchestrator.check_budget(replica, session, now));
                if let Err(error) = recorded {
                    return Err(self.fail(driver, error.into()));
                }
                let stage = if reached >= range.through {
                    CatchUpStage::Finish
                } else {
                    CatchUpStage::Replay {
                        recovered_to: reached,
                    }
                };
                Ok(CatchUpStep::Continue(CatchUpExecutor { stage, ..self }))
            }
            CatchUpStage::Finish => self.finish(driver, io, now),
        }
    }

    fn finish<S: StorageAdapter, Io: CatchUpIo>(
        self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
        now: Tick,
    ) -> Result<CatchUpStep, ExecuteError> {
        let (replica, session) = (self.plan.replica, self.plan.session);
        if let Some(to) = self.plan.truncation() {
            if let Err(error) = authorize(driver, replica, session) {
                return Err(self.fail(driver, error));
            }
            match io.truncate_wal(to) {
                Ok(()) => {}
                Err(IoError::TruncationUnsafe) => {
                    let reason = InvalidateReason::FlushedAheadNeedsRebuild;
                    invalidate_if_current(driver, replica, session, reason, Fallback::NeedsRebuild);
                    driver.orchestrator_mut().record(
                        replica,
                        Some(session),
                        EventKind::TruncationEscalated,
                    );
                    return Err(self.fail(driver, IoError::TruncationUnsafe.into()));
                }
                Err(error) => return Err(self.fail(driver, error.into())),
            }
            if let Err(error) = driver
                .orchestrator_mut()
                .record_truncation(replica, session, to)
            {
                return Err(self.fail(driver, error.into()));
            }
            driver.orchestrator_mut().record(
                replica,
                Some(session),
                EventKind::ExecTruncation { to },
            );
        }
        let achieved = match driver.orchestrator_mut().complete(replica, session, now) {
            Ok(achieved) => achieved,
            Err(error) => return Err(self.fail(driver, error.into())),
        };
        self.plan.release(driver.storage_mut());
        let orchestrator = driver.orchestrator_mut();
        orchestrator.record(
            replica,
            Some(session),
            EventKind::ExecCompleted { achieved },
        );
        orchestrator.record(
            replica,
            Some(session),
            EventKind::ResourcesReleased(ReleaseReason::Completed),
        );
        Ok(CatchUpStep::Done { achieved })
    }

    /// Releases the pins, ends a still-current session (`execution_failed`, disconnected) and
    /// returns `error`.
    fn fail<S: StorageAdapter>(
        self,
        driver: &mut RecoveryDriver<S>,
        error: ExecuteError,
    ) -> ExecuteError {
        let (replica, session) = (self.plan.replica, self.plan.session);
        self.plan.release(driver.storage_mut());
        end_unfinished(
            driver,
            replica,
            session,
            InvalidateReason::ExecutionFailed,
            Fallback::Disconnected,
            ReleaseReason::Failed,
        );
        error
    }

    /// Stops the execution: releases the pins and ends a still-current session.
    pub fn cancel<S: StorageAdapter>(self, driver: &mut RecoveryDriver<S>, reason: CancelReason) {
        let (replica, session) = (self.plan.replica, self.plan.session);
        self.plan.release(driver.storage_mut());
        end_unfinished(
            driver,
            replica,
            session,
            InvalidateReason::PlanCancelled(reason),
            Fallback::Disconnected,
            ReleaseReason::Cancelled(reason),
        );
    }

    /// Runs every step: begin at `start`, step `i` at `start + i`. Bounded: each replay step
    /// strictly advances within the planned range, so at most `range.len() + 2` steps run.
    pub fn run<S: StorageAdapter, Io: CatchUpIo>(
        self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
        start: Tick,
    ) -> Result<Lsn, ExecuteError> {
        let steps_max = self.plan.range.len().saturating_add(2);
        let mut executor = self;
        for step in 0..=steps_max {
            match executor.step(driver, io, start.after(step))? {
                CatchUpStep::Continue(next) => executor = next,
                CatchUpStep::Done { achieved } => return Ok(achieved),
            }
        }
        panic!(
            "invariant broken: catch-up did not finish within {steps_max} strictly advancing steps"
        )
    }
}

/// Where a rebuild execution is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RebuildStage {
    /// Connect, handshake `(0, target]`, select the planned source, begin the transfer.
    Begin,
    /// Install the base.
    Transfer,
    /// Replay the tail from `replayed_to`.
    TailReplay { replayed_to: Lsn },
    /// Complete.
    Finish,
}

/// What a rebuild step left.
#[must_use = "a continuing executor holds pins that must be released"]
#[derive(Debug)]
pub enum RebuildStep {
    /// More steps to run.
    Continue(RebuildExecutor),
    /// The replica is in sync at `achieved`; the pins are released.
    Done {
        /// The LSN the replica holds.
        achieved: Lsn,
    },
}

/// Runs a [`RebuildPlan`] with the plan's source and target only.
#[must_use = "an executor holds pins that must be released"]
#[derive(Debug)]
pub struct RebuildExecutor {
    /// The plan and its pins.
    plan: RebuildPlan,
    /// The next step.
    stage: RebuildStage,
}

impl RebuildExecutor {
    /// An executor for `plan`.
    pub fn new(plan: RebuildPlan) -> RebuildExecutor {
        RebuildExecutor {
            plan,
            stage: RebuildStage::Begin,
        }
    }

    /// The plan being executed.
    pub fn plan(&self) -> &RebuildPlan {
        &self.plan
    }

    /// Runs the next step.
    pub fn step<S: StorageAdapter, Io: RebuildIo>(
        self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
    ) -> Result<RebuildStep, ExecuteError> {
        let (replica, session, target) = (self.plan.replica, self.plan.session, self.plan.target);
        let source = self.plan.source();
        let next = match self.stage {
            RebuildStage::Begin => {
                let orchestrator = driver.orchestrator_mut();
                let begun = orchestrator
                    .begin_connect(replica, session)
                    .and_then(|()| {
                        orchestrator.record_handshake(
                            replica,
                            session,
                            LsnRange::new(Lsn::ZERO, target),
                        )
                    })
                    .and_then(|()| orchestrator.select_rebuild_source(replica, session, source));
                if let Err(error) = begun {
                    return Err(self.fail(driver, error.into()));
                }
                driver.orchestrator_mut().record(
                    replica,
                    Some(session),
                    EventKind::ExecRebuildStarted(source),
                );
                if let Err(error) = driver
                    .orchestrator_mut()
                    .begin_rebuild_transfer(replica, session)
                {
                    return Err(self.fail(driver, error.into()));
                }
                Ok(RebuildStage::Transfer)
            }
            RebuildStage::Transfer => self.transfer(driver, io, source),
            RebuildStage::TailReplay { replayed_to } => {
                let remaining = LsnRange::new(replayed_to, target);
                authorize(driver, replica, session)
                    .and_then(|()| io.stream_wal_entries(remaining).map_err(ExecuteError::from))
                    .and_then(|reached| within(remaining, reached))
                    .and_then(|reached| {
                        driver
                            .orchestrator_mut()
                            .record_rebuild_tail_progress(replica, session, reached)?;
                        Ok(if reached >= target {
                            RebuildStage::Finish
                        } else {
                            RebuildStage::TailReplay {
                                replayed_to: reached,
                            }
                        })
                    })
            }
            RebuildStage::Finish => {
                let achieved = match driver.orchestrator_mut().complete_rebuild(replica, session) {
                    Ok(achieved) => achieved,
                    Err(error) => return Err(self.fail(driver, error.into())),
                };
                self.plan.release(driver.storage_mut());
                let orchestrator = driver.orchestrator_mut();
                orchestrator.record(
                    replica,
                    Some(session),
                    EventKind::ExecRebuildCompleted { achieved },
                );
                orchestrator.record(
                    replica,
                    Some(session),
                    EventKind::ResourcesReleased(ReleaseReason::Completed),
                );
                return Ok(RebuildStep::Done { achieved });
            }
        };
        match next {
            Ok(stage) => Ok(RebuildStep::Continue(RebuildExecutor { stage, ..self })),
            Err(error) => Err(self.fail(driver, error)),
        }
    }

    fn transfer<S: StorageAdapter, Io: RebuildIo>(
        &self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
        source: RebuildSource,
    ) -> Result<RebuildStage, ExecuteError> {
        let (replica, session, target) = (self.plan.replica, self.plan.session, self.plan.target);
        authorize(driver, replica, session)?;
        match source {
            RebuildSource::SnapshotTail { snapshot } => {
                io.transfer_snapshot(snapshot)?;
                let orchestrator = driver.orchestrator_mut();
                orchestrator.record_rebuild_transfer_progress(replica, session, snapshot)?;
                orchestrator.begin_rebuild_tail_replay(replica, session)?;
                Ok(if snapshot >= target {
                    RebuildStage::Finish
                } else {
                    RebuildStage::TailReplay {
                        replayed_to: snapshot,
                    }
                })
            }
            RebuildSource::FullBase(_) => {
                let achieved = io.transfer_full_base(target)?;
                if achieved < target {
                    return Err(ExecuteError::FullBaseShort { target, achieved });
                }
                // Progress strictly increases from 0, so an empty base (target 0) records none.
                if achieved > Lsn::ZERO {
                    driver
                        .orchestrator_mut()
                        .record_rebuild_transfer_progress(replica, session, achieved)?;
                }
                Ok(RebuildStage::Finish)
            }
        }
    }

    /// Releases the pins, ends a still-current session (`execution_failed`, needs-rebuild: a
    /// partly installed base is never valid) and returns `error`.
    fn fail<S: StorageAdapter>(
        self,
        driver: &mut RecoveryDriver<S>,
        error: ExecuteError,
    ) -> ExecuteError {
        let (replica, session) = (self.plan.replica, self.plan.session);
        self.plan.release(driver.storage_mut());
        end_unfinished(
            driver,
            replica,
            session,
            InvalidateReason::ExecutionFailed,
            Fallback::NeedsRebuild,
            ReleaseReason::Failed,
        );
        error
    }

    /// Stops the execution: releases the pins and ends a still-current session.
    pub fn cancel<S: StorageAdapter>(self, driver: &mut RecoveryDriver<S>, reason: CancelReason) {
        let (replica, session) = (self.plan.replica, self.plan.session);
        self.plan.release(driver.storage_mut());
        end_unfinished(
            driver,
            replica,
            session,
            InvalidateReason::PlanCancelled(reason),
            Fallback::NeedsRebuild,
            ReleaseReason::Cancelled(reason),
        );
    }

    /// Runs every step. Bounded: each tail step strictly advances toward the target.
    pub fn run<S: StorageAdapter, Io: RebuildIo>(
        self,
        driver: &mut RecoveryDriver<S>,
        io: &mut Io,
    ) -> Result<Lsn, ExecuteError> {
        let steps_max = self.plan.target.get().saturating_add(4);
        let mut executor = self;
        for _ in 0..=steps_max {
            match executor.step(driver, io)? {
                RebuildStep::Continue(next) => executor = next,
                RebuildStep::Done { achieved } => return Ok(achieved),
            }
        }
        panic!(
            "invariant broken: rebuild did not finish within {steps_max} strictly advancing steps"
        )
    }
}

#[cfg(test)]
mod tests;
