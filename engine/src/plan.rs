//! The planner: decides a recovery and acquires the resources it needs (§6.10).
//!
//! The planner handshakes through the orchestrator, then pins what the recovery will read
//! through the [`StorageAdapter`]: the WAL after the replica's position for a catch-up; a
//! snapshot and the WAL after it, or a full base, for a rebuild. A pin failure invalidates the
//! session before the error is returned, so no session runs without its resources. Pins are
//! `#[must_use]` values released by a method taking `self`: a double release does not compile,
//! and every plan is either handed to an executor (which releases on every exit path) or
//! cancelled. Executors carry out a plan's values and never decide again.

use crate::error::{PlanError, StorageError};
use crate::history::ProofReason;
use crate::history::{FullBaseReason, RebuildSource, RecoverabilityProof, RetainedHistory};
use crate::observe::EventKind;
use crate::orchestrate::RecoveryOrchestrator;
use crate::outcome::RecoveryOutcome;
use crate::sender::Fallback;
use crate::session::phase::{CancelReason, InvalidateReason};
use crate::types::{Lsn, LsnRange, ReplicaId, SessionId, Tick};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which resource a pin holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinKind {
    /// Retained WAL after a point.
    Wal,
    /// A snapshot (checkpoint base image).
    Snapshot,
    /// A full base image.
    FullBase,
}

impl fmt::Display for PinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinKind::Wal => f.write_str("wal"),
            PinKind::Snapshot => f.write_str("snapshot"),
            PinKind::FullBase => f.write_str("full_base"),
        }
    }
}

/// A pin's id, from a counter owned by the storage adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PinId(u64);

impl PinId {
    /// A pin id with the given number.
    pub const fn new(value: u64) -> PinId {
        PinId(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for PinId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// Holds retained WAL after `after` against recycling (the tail cannot pass `after`).
#[must_use = "a pin must be released"]
#[derive(Debug, PartialEq, Eq)]
pub struct RetentionPin {
    id: PinId,
    after: Lsn,
}

impl RetentionPin {
    /// A pin (for storage adapters).
    pub fn new(id: PinId, after: Lsn) -> RetentionPin {
        RetentionPin { id, after }
    }

    /// The pin id.
    pub fn id(&self) -> PinId {
        self.id
    }

    /// The WAL after this LSN is held.
    pub fn after(&self) -> Lsn {
        self.after
    }

    /// Gives the pin back to `storage`.
    pub fn release(self, storage: &mut impl StorageAdapter) {
        storage.release_wal_retention(self);
    }
}

/// Holds the snapshot at `snapshot`.
#[must_use = "a pin must be released"]
#[derive(Debug, PartialEq, Eq)]
pub struct SnapshotPin {
    id: PinId,
    snapshot: Lsn,
}

impl SnapshotPin {
    /// A pin (for storage adapters).
    pub fn new(id: PinId, snapshot: Lsn) -> SnapshotPin {
        SnapshotPin { id, snapshot }
    }

    /// The pin id.
    pub fn id(&self) -> PinId {
        self.id
    }

    /// The pinned snapshot's LSN.
    pub fn snapshot(&self) -> Lsn {
        self.snapshot
    }

    /// Gives the pin back to `storage`.
    pub fn release(self, storage: &mut impl StorageAdapter) {
        storage.release_snapshot(self);
    }
}

/// Holds a full base image at `committed`.
#[must_use = "a pin must be released"]
#[derive(Debug, PartialEq, Eq)]
pub struct FullBasePin {
    id: PinId,
    committed: Lsn,
}

impl FullBasePin {
    /// A pin (for storage adapters).
    pub fn new(id: PinId, committed: Lsn) -> FullBasePin {
        FullBasePin { id, committed }
    }

    /// The pin id.
    pub fn id(&self) -> PinId {
        self.id
    }

    /// The committed LSN the base is pinned at.
    pub fn committed(&self) -> Lsn {
        self.committed
    }

    /// Gives the pin back to `storage`.
    pub fn release(self, storage: &mut impl StorageAdapter) {
        storage.release_full_base(self);
    }
}

/// What the engine needs from the primary's storage (§6.12).
pub trait StorageAdapter {
    /// The current retained history.
    fn retained_history(&self) -> Result<RetainedHistory, StorageError>;
    /// Pins the trusted snapshot at exactly `snapshot`.
    fn pin_snapshot(&mut self, snapshot: Lsn) -> Result<SnapshotPin, StorageError>;
    /// Releases a snapshot pin.
    fn release_snapshot(&mut self, pin: SnapshotPin);
    /// Pins the WAL after `after` against recycling.
    fn pin_wal_retention(&mut self, after: Lsn) -> Result<RetentionPin, StorageError>;
    /// Releases a WAL pin.
    fn release_wal_retention(&mut self, pin: RetentionPin);
    /// Pins a full base image at `committed`.
    fn pin_full_base(&mut self, committed: Lsn) -> Result<FullBasePin, StorageError>;
    /// Releases a full-base pin.
    fn release_full_base(&mut self, pin: FullBasePin);
}

/// How a planned catch-up proceeds.
#[must_use = "a plan holds pins that must be released"]
#[derive(Debug, PartialEq, Eq)]
pub enum CatchUpWork {
    /// Replay `(start, target]` from WAL held by the pin.
    Replay {
        /// Holds the WAL after the replica's position.
        pin: RetentionPin,
    },
    /// The replica is ahead: truncate to `to` (committed), nothing to replay, nothing pinned.
    TruncateOnly {
        /// The truncation point (may be 0).
        to: Lsn,
    },
}

/// A planned catch-up: the session in phase handshake and its resources.
#[must_use = "a plan holds pins that must be released"]
#[derive(Debug, PartialEq, Eq)]
pub struct CatchUpPlan {
    /// The replica.
    pub replica: ReplicaId,
    /// The session that will run it.
    pub session: SessionId,
    /// The handshake evidence.
    pub proof: RecoverabilityProof,
    /// `(start, target]` as recorded at handshake.
    pub range: LsnRange,
    /// Replay or truncation.
    pub work: CatchUpWork,
}

impl CatchUpPlan {
    /// The truncation point, for a replica ahead.
    pub fn truncation(&self) -> Option<Lsn> {
        match self.work {
            CatchUpWork::TruncateOnly { to } => Some(to),
            CatchUpWork::Replay { .. } => None,
        }
    }

    /// Releases the plan's pins.
    pub fn release(self, storage: &mut impl StorageAdapter) {
        if let CatchUpWork::Replay { pin } = self.work {
            pin.release(storage);
        }
    }
}

/// The pins a rebuild holds, by source.
#[must_use = "a plan holds pins that must be released"]
#[derive(Debug, PartialEq, Eq)]
pub enum RebuildPins {
    /// A snapshot and the WAL after it.
    SnapshotTail {
        /// The base image.
        snapshot: SnapshotPin,
        /// The tail after it.
        tail: RetentionPin,
    },
    /// A full base.
    FullBase {
        /// The base image.
        base: FullBasePin,
        /// Why not snapshot + tail.
        reason: FullBaseReason,
    },
}

/// A planned rebuild: a fresh rebuild session, its frozen target and its pins.
#[must_use = "a plan holds pins that must be released"]
#[derive(Debug, PartialEq, Eq)]
pub struct RebuildPlan {
    /// The replica.
    pub replica: ReplicaId,
    /// The rebuild session.
    pub session: SessionId,
    /// The rebuild target: the committed LSN when planned (also when 0; see `docs/engine.md`).
    pub target: Lsn,
    /// The resources.
    pub pins: RebuildPins,
}

impl RebuildPlan {
    /// The source the pins implement.
    pub fn source(&self) -> RebuildSource {
        match &self.pins {
            RebuildPins::SnapshotTail { snapshot, .. } => RebuildSource::SnapshotTail {
                snapshot: snapshot.snapshot(),
            },
            RebuildPins::FullBase { reason, .. } => RebuildSource::FullBase(*reason),
        }
    }

    /// Releases the plan's pins.
    pub fn release(self, storage: &mut impl StorageAdapter) {
        match self.pins {
            RebuildPins::SnapshotTail { snapshot, tail } => {
                tail.release(storage);
                snapshot.release(storage);
            }
            RebuildPins::FullBase { base, .. } => base.release(storage),
        }
    }
}

/// What [`RecoveryDriver::plan_recovery`] decided.
#[must_use = "a catch-up plan holds pins that must be released"]
#[derive(Debug, PartialEq, Eq)]
pub enum RecoveryPlan {
    /// The replica already held committed; its session completed.
    ZeroGap {
        /// The replica.
        replica: ReplicaId,
        /// The completed session.
        session: SessionId,
        /// The evidence.
        proof: RecoverabilityProof,
    },
    /// A catch-up to execute.
    CatchUp(CatchUpPlan),
    /// The gap is beyond retention; the session ended and a rebuild assignment is needed.
    NeedsRebuild {
        /// The replica.
        replica: ReplicaId,
        /// The ended session.
        session: SessionId,
        /// The evidence.
        proof: RecoverabilityProof,
    },
}

/// The orchestrator and the primary's storage: plans recoveries and owns their resources.
#[derive(Debug)]
pub struct RecoveryDriver<S: StorageAdapter> {
    /// The senders and the recovery log.
    orchestrator: RecoveryOrchestrator,
    /// The primary's storage.
    storage: S,
}

impl<S: StorageAdapter> RecoveryDriver<S> {
    /// A driver with no senders over `storage`.
    pub fn new(storage: S) -> RecoveryDriver<S> {
        RecoveryDriver {
            orchestrator: RecoveryOrchestrator::new(),
            storage,
        }
    }

    /// The orchestrator.
    pub fn orchestrator(&self) -> &RecoveryOrchestrator {
        &self.orchestrator
    }

    /// The orchestrator, for assignments, epoch and endpoint updates.
    pub fn orchestrator_mut(&mut self) -> &mut RecoveryOrchestrator {
        &mut self.orchestrator
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, for writes, commits, checkpoints and tail advance.
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Both halves at once (executors need the orchestrator and the storage together).
    pub fn parts_mut(&mut self) -> (&mut RecoveryOrchestrator, &mut S) {
        (&mut self.orchestrator, &mut self.storage)
    }

    /// Plans the recovery of `replica`, durable at `flushed`, at `now` (§6.10): handshake
    /// against the current retained history; a zero gap completes; a replica ahead gets a
    /// truncation-only plan without pins; a gap within retention pins the WAL after `flushed`
    /// (failure → session invalidated `wal_pin_failed`, replica disconnected); a gap beyond
    /// retention has already escalated to needs-rebuild.
    pub fn plan_recovery(
        &mut self,
        replica: ReplicaId,
        flushed: Lsn,
        now: Tick,
    ) -> Result<RecoveryPlan, PlanError> {
        let history = self
            .storage
            .retained_history()
            .map_err(PlanError::History)?;
        let result = self
            .orchestrator
            .execute_recovery(replica, flushed, &history, now)?;
        let session = result.session;
        let proof = result.proof;
        match result.outcome {
            RecoveryOutcome::ZeroGap => Ok(RecoveryPlan::ZeroGap {
                replica,
                session,
                proof,
            }),
            RecoveryOutcome::NeedsRebuild => Ok(RecoveryPlan::NeedsRebuild {
                replica,
                session,
                proof,
            }),
            RecoveryOutcome::CatchUp => {
                let range = LsnRange::new(flushed.min(history.committed()), history.committed());
                if let ProofReason::ReplicaAheadNeedsTruncation { truncate_to } = proof.reason {
                    self.orchestrator.record(
                        replica,
                        Some(session),
                        EventKind::PlanTruncateOnly { to: truncate_to },
                    );
                    let work = CatchUpWork::TruncateOnly { to: truncate_to };
                    return Ok(RecoveryPlan::CatchUp(CatchUpPlan {
                        replica,
                        session,
                        proof,
                        range,
                        work,
                    }));
                }
                match self.storage.pin_wal_retention(flushed) {
                    Ok(pin) => {
                        self.orchestrator.record(
                            replica,
                            Some(session),
                            EventKind::PlanCatchUp { range },
                        );
                        let work = CatchUpWork::Replay { pin };
                        Ok(RecoveryPlan::CatchUp(CatchUpPlan {
                            replica,
                            session,
                            proof,
                            range,
                            work,
                        }))
                    }
                    Err(source) => {
                        self.fail_pin(
                            replica,
                            session,
                            PinKind::Wal,
                            InvalidateReason::WalPinFailed,
                            Fallback::Disconnected,
                        );
                        Err(PlanError::PinFailed {
                            kind: PinKind::Wal,
                            source,
                        })
                    }
                }
            }
        }
    }

    /// Plans the rebuild of `replica`, which must have an active rebuild session (§6.10). The
    /// source comes from the retained history; the target is the committed LSN. Each pin
    /// failure releases what was already pinned, invalidates the session and leaves the
    /// replica needing a rebuild.
    pub fn plan_rebuild(&mut self, replica: ReplicaId) -> Result<RebuildPlan, PlanError> {
        let active = self.orchestrator.active_session(replica)?;
        let session = active.id();
        if !active.kind().is_rebuild() {
            return Err(PlanError::NotRebuildSession {
                session,
                kind: active.kind(),
            });
        }
        let history = self
            .storage
            .retained_history()
            .map_err(PlanError::History)?;
        let target = history.committed();
        match history.rebuild_source() {
            RebuildSource::SnapshotTail { snapshot } => {
                let snapshot_pin = match self.storage.pin_snapshot(snapshot) {
                    Ok(pin) => pin,
                    Err(source) => {
                        let reason = InvalidateReason::SnapshotPinFailed;
                        self.fail_pin(
                            replica,
                            session,
                            PinKind::Snapshot,
                            reason,
                            Fallback::NeedsRebuild,
                        );
                        return Err(PlanError::PinFailed {
                            kind: PinKind::Snapshot,
                            source,
                        });
                    }
                };
                let tail = match self.storage.pin_wal_retention(snapshot) {
                    Ok(pin) => pin,
                    Err(source) => {
                        snapshot_pin.release(&mut self.storage);
                        let reason = InvalidateReason::WalPinFailedDuringRebuild;
                        self.fail_pin(
                            replica,
                            session,
                            PinKind::Wal,
                            reason,
                            Fallback::NeedsRebuild,
                        );
                        return Err(PlanError::PinFailed {
                            kind: PinKind::Wal,
                            source,
                        });
                    }
                };
                self.orchestrator.record(
                    replica,
                    Some(session),
                    EventKind::PlanRebuildSnapshotTail { snapshot, target },
                );
                let pins = RebuildPins::SnapshotTail {
                    snapshot: snapshot_pin,
                    tail,
                };
                Ok(RebuildPlan {
                    replica,
                    session,
                    target,
                    pins,
                })
            }
            RebuildSource::FullBase(reason) => match self.storage.pin_full_base(target) {
                Ok(base) => {
                    self.orchestrator.record(
                        replica,
                        Some(session),
                        EventKind::PlanRebuildFullBase { reason, target },
                    );
                    Ok(RebuildPlan {
                        replica,
                        session,
                        target,
                        pins: RebuildPins::FullBase { base, reason },
                    })
                }
                Err(source) => {
                    let invalidate = InvalidateReason::FullBasePinFailed;
                    self.fail_pin(
                        replica,
                        session,
                        PinKind::FullBase,
                        invalidate,
                        Fallback::NeedsRebuild,
                    );
                    Err(PlanError::PinFailed {
                        kind: PinKind::FullBase,
                        source,
                    })
                }
            },
        }
    }

    fn fail_pin(
        &mut self,
        replica: ReplicaId,
        session: SessionId,
        kind: PinKind,
        reason: InvalidateReason,
        fallback: Fallback,
    ) {
        self.orchestrator
            .record(replica, Some(session), EventKind::PinFailed(kind));
        // The session was authorised a moment ago in this same call; a refusal here would mean
        // it already ended, which is the state we want anyway.
        let _ = self
            .orchestrator
            .invalidate_session(replica, session, reason, fallback);
    }

    /// Cancels a catch-up plan: releases its pins and, if its session is still current,
    /// invalidates it (`plan_cancelled_<reason>`), leaving the replica disconnected.
    pub fn cancel_catch_up(&mut self, plan: CatchUpPlan, reason: CancelReason) {
        let (replica, session) = (plan.replica, plan.session);
        plan.release(&mut self.storage);
        self.cancel_session(replica, session, reason, Fallback::Disconnected);
    }

    /// Cancels a rebuild plan: releases its pins and, if its session is still current,
    /// invalidates it, leaving the replica needing a rebuild.
    pub fn cancel_rebuild(&mut self, plan: RebuildPlan, reason: CancelReason) {
        let (replica, session) = (plan.replica, plan.session);
        plan.release(&mut self.storage);
        self.cancel_session(replica, session, reason, Fallback::NeedsRebuild);
    }

    fn cancel_session(
        &mut self,
        replica: ReplicaId,
        session: SessionId,
        reason: CancelReason,
        fallback: Fallback,
    ) {
        let current = self
            .orchestrator
            .sender(replica)
            .and_then(|sender| sender.active_session_id());
        if current == Some(session) {
            let _ = self.orchestrator.invalidate_session(
                replica,
                session,
                InvalidateReason::PlanCancelled(reason),
                fallback,
            );
        }
        self.orchestrator
            .record(replica, Some(session), EventKind::PlanCancelled(reason));
    }
}

#[cfg(test)]
mod tests;
