//! The primary's retained history and the recoverability proof (PROTOCOL.md §6.5, §7.1–7.3, §7.6).
//!
//! Retained WAL is `(recycled_through, head]`: every LSN at or below `recycled_through` has been
//! recycled (upstream calls it the exclusive `TailLSN`). A gap `(after, through]` is replayable
//! when `after ≥ recycled_through` and `through ≤ head` — the replica must already hold the last
//! recycled entry.
//!
//! Unlike upstream, a `RetainedHistory` is validated when built: `committed`, `recycled_through`
//! and the checkpoint never exceed `head`. That makes the outcome classification (which ignores
//! head) and the proof (which checks it) agree by construction (§7.3; `docs/engine.md`).

use crate::error::HistoryError;
use crate::outcome::{HandshakeResult, RecoveryOutcome};
use crate::types::{Lsn, LsnRange};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a checkpoint's base image may be used as a rebuild source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointTrust {
    /// The superblock validates and the checkpoint image exists.
    Trusted,
    /// The checkpoint cannot be relied on as a base image.
    Untrusted,
}

/// A durable base image built by replaying exactly up to `lsn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The LSN the image reflects exactly. Invariant: greater than zero (no checkpoint is `None`).
    pub lsn: Lsn,
    /// Whether the image may serve as a rebuild base.
    pub trust: CheckpointTrust,
}

/// The primary's retained history as seen by the planner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedHistory {
    /// The highest LSN in the primary's WAL.
    head: Lsn,
    /// Every LSN at or below this one is recycled. Invariant: `recycled_through <= head`.
    recycled_through: Lsn,
    /// The lineage-safe committed LSN: the target of every recovery. Invariant: `committed <= head`.
    committed: Lsn,
    /// The latest checkpoint, if any. Invariant: `0 < checkpoint.lsn <= head`.
    checkpoint: Option<Checkpoint>,
}

impl RetainedHistory {
    /// Builds a history, refusing inconsistent figures.
    pub fn new(
        head: Lsn,
        recycled_through: Lsn,
        committed: Lsn,
        checkpoint: Option<Checkpoint>,
    ) -> Result<RetainedHistory, HistoryError> {
        if recycled_through > head {
            return Err(HistoryError::RecycledBeyondHead {
                recycled_through,
                head,
            });
        }
        if committed > head {
            return Err(HistoryError::CommittedBeyondHead { committed, head });
        }
        if let Some(checkpoint) = checkpoint {
            if checkpoint.lsn == Lsn::ZERO {
                return Err(HistoryError::CheckpointAtZero);
            }
            if checkpoint.lsn > head {
                return Err(HistoryError::CheckpointBeyondHead {
                    checkpoint: checkpoint.lsn,
                    head,
                });
            }
        }
        Ok(RetainedHistory {
            head,
            recycled_through,
            committed,
            checkpoint,
        })
    }

    /// The highest LSN in the primary's WAL.
    pub fn head(&self) -> Lsn {
        self.head
    }

    /// The last recycled LSN (upstream's exclusive `TailLSN`).
    pub fn recycled_through(&self) -> Lsn {
        self.recycled_through
    }

    /// The committed LSN.
    pub fn committed(&self) -> Lsn {
        self.committed
    }

    /// The latest checkpoint, if any.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.checkpoint
    }

    /// The first retained LSN, or `None` when nothing was ever recycled (§7.2).
    pub fn retention_start(&self) -> Option<Lsn> {
        match self.recycled_through {
            Lsn::ZERO => None,
            tail => Some(tail.next()),
        }
    }

    /// True when the gap `(after, through]` can be replayed from retained WAL: the replica holds
    /// the last recycled entry (`after ≥ recycled_through`, equality allowed) and the WAL
    /// reaches `through` (§7.1). Bounds only: the storage adapter guarantees the retained WAL is
    /// contiguous (`docs/engine.md`, "Contiguity").
    pub fn is_recoverable(&self, gap: LsnRange) -> bool {
        gap.after >= self.recycled_through && gap.through <= self.head
    }

    /// The numbers a handshake with a replica durable at `flushed` compares, for a caller that
    /// has established the replica's history is a prefix of the primary's (counters suffice).
    pub fn handshake_result(&self, flushed: Lsn) -> HandshakeResult {
        self.handshake_result_matched(flushed, flushed)
    }

    /// The numbers a handshake compares, for a replica durable at `flushed` whose history equals
    /// the primary's through `matched` (D5). `matched` is clamped to `flushed`.
    pub fn handshake_result_matched(&self, flushed: Lsn, matched: Lsn) -> HandshakeResult {
        HandshakeResult {
            replica_flushed: flushed,
            matched_through: matched.min(flushed),
            committed: self.committed,
            retention_start: self.retention_start(),
        }
    }

    /// Proves (or refutes) that a replica durable at `flushed`, whose history is a prefix of
    /// the primary's, can reach `committed` by replay.
    pub fn prove_recoverability(&self, flushed: Lsn) -> RecoverabilityProof {
        self.prove_recoverability_matched(flushed, flushed)
    }

    /// Proves (or refutes) that a replica durable at `flushed`, equal to the primary through
    /// `matched`, can reach `committed`: it keeps `min(matched, committed)`, truncates what is
    /// above, and replays the gap after what it keeps (the same rule as
    /// [`HandshakeResult::classify`]).
    pub fn prove_recoverability_matched(&self, flushed: Lsn, matched: Lsn) -> RecoverabilityProof {
        let matched = matched.min(flushed);
        let kept = matched.min(self.committed);
        let gap = LsnRange::new(kept, self.committed);
        let reason = if kept == self.committed && flushed == self.committed {
            ProofReason::ZeroGap
        } else if kept == self.committed {
            ProofReason::ReplicaAheadNeedsTruncation {
                truncate_to: self.committed,
            }
        } else if self.is_recoverable(gap) {
            ProofReason::GapWithinRetention { gap }
        } else {
            ProofReason::GapBeyondRetention { gap }
        };
        RecoverabilityProof {
            flushed,
            matched_through: matched,
            committed: self.committed,
            recycled_through: self.recycled_through,
            head: self.head,
            reason,
        }
    }

    /// Chooses the rebuild source (§6.5, §7.6, T11).
    ///
    /// Snapshot + tail needs, in this order: something committed, a checkpoint, trust in it, a
    /// checkpoint not beyond committed (a base above the target would install uncommitted
    /// writes — an engine decision, `docs/engine.md`), and a replayable tail
    /// `(checkpoint, committed]`. Anything else is a full base, with the reason.
    pub fn rebuild_source(&self) -> RebuildSource {
        if self.committed == Lsn::ZERO {
            return RebuildSource::FullBase(FullBaseReason::NothingCommitted);
        }
        let Some(checkpoint) = self.checkpoint else {
            return RebuildSource::FullBase(FullBaseReason::NoCheckpoint);
        };
        if checkpoint.trust == CheckpointTrust::Untrusted {
            return RebuildSource::FullBase(FullBaseReason::UntrustedCheckpoint);
        }
        if checkpoint.lsn > self.committed {
            return RebuildSource::FullBase(FullBaseReason::CheckpointBeyondCommitted);
        }
        if !self.is_recoverable(LsnRange::new(checkpoint.lsn, self.committed)) {
            return RebuildSource::FullBase(FullBaseReason::TailNotReplayable);
        }
        RebuildSource::SnapshotTail {
            snapshot: checkpoint.lsn,
        }
    }
}

/// Why a replica can or cannot recover by replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofReason {
    /// The replica holds exactly the committed prefix.
    ZeroGap,
    /// The replica holds the committed prefix and a tail beyond it; it recovers by truncating.
    ReplicaAheadNeedsTruncation {
        /// The LSN to truncate to (the committed LSN).
        truncate_to: Lsn,
    },
    /// The gap after the prefix the replica keeps lies inside retained WAL (a divergent tail
    /// above that prefix is truncated first).
    GapWithinRetention {
        /// The gap to replay.
        gap: LsnRange,
    },
    /// The gap reaches recycled history.
    GapBeyondRetention {
        /// The gap that cannot be replayed.
        gap: LsnRange,
    },
}

impl fmt::Display for ProofReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofReason::ZeroGap => f.write_str("zero_gap"),
            ProofReason::ReplicaAheadNeedsTruncation { .. } => {
                f.write_str("replica_ahead_needs_truncation")
            }
            ProofReason::GapWithinRetention { .. } => f.write_str("gap_within_retention"),
            ProofReason::GapBeyondRetention { .. } => f.write_str("gap_beyond_retention"),
        }
    }
}

/// The evidence behind a recovery decision: the figures compared and the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecoverabilityProof {
    /// The replica's durable LSN.
    pub flushed: Lsn,
    /// How far the replica's history equals the primary's. Invariant: `<= flushed`.
    pub matched_through: Lsn,
    /// The primary's committed LSN.
    pub committed: Lsn,
    /// The primary's last recycled LSN.
    pub recycled_through: Lsn,
    /// The primary's head.
    pub head: Lsn,
    /// The verdict with its reason.
    pub reason: ProofReason,
}

impl RecoverabilityProof {
    /// True unless the gap reaches recycled history.
    pub fn is_recoverable(&self) -> bool {
        !matches!(self.reason, ProofReason::GapBeyondRetention { .. })
    }

    /// The outcome this proof supports; equals the handshake classification for any validated
    /// history.
    pub fn outcome(&self) -> RecoveryOutcome {
        match self.reason {
            ProofReason::ZeroGap => RecoveryOutcome::ZeroGap,
            ProofReason::ReplicaAheadNeedsTruncation { .. } => RecoveryOutcome::CatchUp,
            ProofReason::GapWithinRetention { .. } => RecoveryOutcome::CatchUp,
            ProofReason::GapBeyondRetention { .. } => RecoveryOutcome::NeedsRebuild,
        }
    }
}

/// Where a rebuild's base image comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildSource {
    /// The trusted checkpoint image at `snapshot`, then WAL `(snapshot, target]`.
    SnapshotTail {
        /// The checkpoint LSN of the base image.
        snapshot: Lsn,
    },
    /// A full base image streamed from the primary, with the reason snapshot + tail was refused.
    FullBase(FullBaseReason),
}

impl fmt::Display for RebuildSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebuildSource::SnapshotTail { .. } => f.write_str("snapshot_tail"),
            RebuildSource::FullBase(_) => f.write_str("full_base"),
        }
    }
}

/// Why a rebuild falls back to a full base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullBaseReason {
    /// Committed is 0: there is no committed prefix to anchor a snapshot to (§7.6).
    NothingCommitted,
    /// The primary has no checkpoint.
    NoCheckpoint,
    /// The checkpoint exists but is not trusted.
    UntrustedCheckpoint,
    /// The checkpoint lies beyond committed: its image would hold uncommitted writes.
    CheckpointBeyondCommitted,
    /// The WAL after the checkpoint has been (partly) recycled.
    TailNotReplayable,
}

impl FullBaseReason {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            FullBaseReason::NothingCommitted => "nothing_committed",
            FullBaseReason::NoCheckpoint => "no_checkpoint",
            FullBaseReason::UntrustedCheckpoint => "untrusted_checkpoint",
            FullBaseReason::CheckpointBeyondCommitted => "checkpoint_beyond_committed",
            FullBaseReason::TailNotReplayable => "trusted_checkpoint_unreplayable_tail",
        }
    }
}

impl fmt::Display for FullBaseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lsn(value: u64) -> Lsn {
        Lsn::new(value)
    }

    fn trusted(at: u64) -> Option<Checkpoint> {
        Some(Checkpoint {
            lsn: lsn(at),
            trust: CheckpointTrust::Trusted,
        })
    }

    fn history(
        head: u64,
        tail: u64,
        committed: u64,
        checkpoint: Option<Checkpoint>,
    ) -> RetainedHistory {
        match RetainedHistory::new(lsn(head), lsn(tail), lsn(committed), checkpoint) {
            Ok(history) => history,
            Err(error) => panic!("test history must be valid: {error}"),
        }
    }

    #[test]
    fn reasons_have_stable_snake_case_names_table() {
        // Goal: the names reports, traces and the recovery log print are the protocol's words,
        // one per variant (STYLE: "`Display` or serde gives the stable snake_case text").
        let full_base = [
            (FullBaseReason::NothingCommitted, "nothing_committed"),
            (FullBaseReason::NoCheckpoint, "no_checkpoint"),
            (FullBaseReason::UntrustedCheckpoint, "untrusted_checkpoint"),
            (
                FullBaseReason::CheckpointBeyondCommitted,
                "checkpoint_beyond_committed",
            ),
            (
                FullBaseReason::TailNotReplayable,
                "trusted_checkpoint_unreplayable_tail",
            ),
        ];
        for (reason, name) in full_base {
            assert_eq!(reason.name(), name);
            assert_eq!(reason.to_string(), name);
        }
        let gap = LsnRange::new(lsn(10), lsn(20));
        let proof = [
            (ProofReason::ZeroGap, "zero_gap"),
            (
                ProofReason::ReplicaAheadNeedsTruncation {
                    truncate_to: lsn(20),
                },
                "replica_ahead_needs_truncation",
            ),
            (
                ProofReason::GapWithinRetention { gap },
                "gap_within_retention",
            ),
            (
                ProofReason::GapBeyondRetention { gap },
                "gap_beyond_retention",
            ),
        ];
        for (reason, name) in proof {
            assert_eq!(reason.to_string(), name);
        }
    }

    #[test]
    fn retained_history_reads_back_what_it_was_built_from() {
        // Goal: the accessors the planner and the rebuild selector read return the values the
        // history was validated with, none of them a default (cargo-mutants: `head`,
        // `recycled_through` and `checkpoint` replaced by `Default::default()` / `None`).
        let history = history(90, 40, 70, trusted(60));
        assert_eq!(history.head(), lsn(90));
        assert_eq!(history.recycled_through(), lsn(40));
        assert_eq!(history.committed(), lsn(70));
        assert_eq!(history.checkpoint(), trusted(60));
    }

    #[test]
    fn is_recoverable_tail_is_exclusive_boundary_table() {
        // Goal: §7.1 — tail 50: (50, 100] recoverable, (49, 100] not; head 80 caps the end.
        let rows = [
            (100, 50, 50, 100, true),
            (100, 50, 49, 100, false),
            (100, 50, 51, 100, true),
            (80, 50, 50, 80, true),
            (80, 50, 50, 81, false),
            (80, 50, 50, 100, false),
            (100, 0, 0, 100, true),
        ];
        for (row, (head, tail, after, through, expected)) in rows.into_iter().enumerate() {
            let history = history(head, tail, head, None);
            assert_eq!(
                history.is_recoverable(LsnRange::new(lsn(after), lsn(through))),
                expected,
                "row {row}"
            );
        }
    }

    #[test]
    fn retention_start_is_none_until_something_is_recycled() {
        assert_eq!(history(100, 0, 100, None).retention_start(), None);
        assert_eq!(history(100, 50, 100, None).retention_start(), Some(lsn(51)));
    }

    #[test]
    fn new_history_with_inconsistent_figures_is_refused() {
        assert_eq!(
            RetainedHistory::new(lsn(10), lsn(11), lsn(5), None),
            Err(HistoryError::RecycledBeyondHead {
                recycled_through: lsn(11),
                head: lsn(10)
            })
        );
        assert_eq!(
            RetainedHistory::new(lsn(80), lsn(0), lsn(100), None),
            Err(HistoryError::CommittedBeyondHead {
                committed: lsn(100),
                head: lsn(80)
            })
        );
        assert_eq!(
            RetainedHistory::new(lsn(80), lsn(0), lsn(10), trusted(81)),
            Err(HistoryError::CheckpointBeyondHead {
                checkpoint: lsn(81),
                head: lsn(80)
            })
        );
        assert_eq!(
            RetainedHistory::new(lsn(80), lsn(0), lsn(10), trusted(0)),
            Err(HistoryError::CheckpointAtZero)
        );
    }

    #[test]
    fn prove_recoverability_reasons_table() {
        let history = history(100, 50, 90, None);
        let rows = [
            (90, ProofReason::ZeroGap, true),
            (
                95,
                ProofReason::ReplicaAheadNeedsTruncation {
                    truncate_to: lsn(90),
                },
                true,
            ),
            (
                50,
                ProofReason::GapWithinRetention {
                    gap: LsnRange::new(lsn(50), lsn(90)),
                },
                true,
            ),
            (
                49,
                ProofReason::GapBeyondRetention {
                    gap: LsnRange::new(lsn(49), lsn(90)),
                },
                false,
            ),
        ];
        for (row, (flushed, reason, recoverable)) in rows.into_iter().enumerate() {
            let proof = history.prove_recoverability(lsn(flushed));
            assert_eq!(
                proof,
                RecoverabilityProof {
                    flushed: lsn(flushed),
                    matched_through: lsn(flushed),
                    committed: lsn(90),
                    recycled_through: lsn(50),
                    head: lsn(100),
                    reason,
                },
                "row {row}"
            );
            assert_eq!(proof.is_recoverable(), recoverable, "row {row}");
        }
    }

    #[test]
    fn proof_outcome_agrees_with_handshake_classification() {
        // Goal: §7.3 — with committed ≤ head enforced, proof and classification never disagree.
        for tail in [0, 1, 30, 50, 90] {
            let history = history(100, tail, 90, None);
            for flushed in [0, 1, 29, 30, 31, 49, 50, 51, 89, 90, 91, 100] {
                let flushed = lsn(flushed);
                assert_eq!(
                    history.prove_recoverability(flushed).outcome(),
                    history.handshake_result(flushed).classify(),
                    "tail {tail} flushed {flushed}"
                );
                // D5: the same agreement for every matched prefix of the replica's history.
                for matched in [0, 1, 29, 30, 31, 49, 50, 51, 89, 90, 91, 100] {
                    let matched = lsn(matched);
                    assert_eq!(
                        history
                            .prove_recoverability_matched(flushed, matched)
                            .outcome(),
                        history
                            .handshake_result_matched(flushed, matched)
                            .classify(),
                        "tail {tail} flushed {flushed} matched {matched}"
                    );
                }
            }
        }
    }

    #[test]
    fn rebuild_source_decision_table() {
        // Goal: §6.5 examples and §7.6 boundaries.
        let untrusted = Some(Checkpoint {
            lsn: lsn(50),
            trust: CheckpointTrust::Untrusted,
        });
        let rows = [
            (
                history(100, 30, 100, trusted(50)),
                RebuildSource::SnapshotTail { snapshot: lsn(50) },
            ),
            // Checkpoint equal to the tail is still replayable.
            (
                history(100, 50, 100, trusted(50)),
                RebuildSource::SnapshotTail { snapshot: lsn(50) },
            ),
            // Trusted base with unreplayable tail (51..80 recycled) → full base.
            (
                history(100, 80, 100, trusted(50)),
                RebuildSource::FullBase(FullBaseReason::TailNotReplayable),
            ),
            (
                history(100, 30, 100, untrusted),
                RebuildSource::FullBase(FullBaseReason::UntrustedCheckpoint),
            ),
            (
                history(100, 30, 100, None),
                RebuildSource::FullBase(FullBaseReason::NoCheckpoint),
            ),
            // Committed 0 is always a full base, even with a trusted checkpoint.
            (
                history(100, 0, 0, trusted(50)),
                RebuildSource::FullBase(FullBaseReason::NothingCommitted),
            ),
            // Checkpoint beyond committed would install uncommitted writes.
            (
                history(100, 30, 40, trusted(50)),
                RebuildSource::FullBase(FullBaseReason::CheckpointBeyondCommitted),
            ),
            // Checkpoint exactly at committed: empty tail, still snapshot + tail.
            (
                history(100, 30, 50, trusted(50)),
                RebuildSource::SnapshotTail { snapshot: lsn(50) },
            ),
        ];
        for (row, (history, expected)) in rows.into_iter().enumerate() {
            assert_eq!(history.rebuild_source(), expected, "row {row}");
        }
    }
}
