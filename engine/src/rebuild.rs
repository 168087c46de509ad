//! The rebuild state machine (PROTOCOL.md §6.7), owned by a rebuild session.
//!
//! ```text
//! init → source_selected → transfer → (tail_replay) → completed
//!   any non-terminal phase → aborted
//! ```
//! Progress lives in the variant where it is meaningful: a full base never has tail progress.
//! All progress strictly increases (§7.9). Beyond upstream, progress is capped where the
//! protocol freezes a boundary: a snapshot transfer never passes the snapshot LSN (T17) and tail
//! replay never passes the frozen target (`docs/engine.md`, "Rebuild progress caps").

use crate::error::RebuildError;
use crate::history::RebuildSource;
use crate::types::Lsn;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The rebuild phase names, without their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildPhase {
    /// No source chosen yet.
    Init,
    /// The source and target are fixed.
    SourceSelected,
    /// The base image is being transferred.
    Transfer,
    /// The WAL tail after the snapshot is being replayed.
    TailReplay,
    /// The replica holds the target.
    Completed,
    /// The rebuild was abandoned.
    Aborted,
}

impl RebuildPhase {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            RebuildPhase::Init => "init",
            RebuildPhase::SourceSelected => "source_selected",
            RebuildPhase::Transfer => "transfer",
            RebuildPhase::TailReplay => "tail_replay",
            RebuildPhase::Completed => "completed",
            RebuildPhase::Aborted => "aborted",
        }
    }
}

impl fmt::Display for RebuildPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rebuild's phase together with the figures valid in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildState {
    /// No source chosen yet.
    #[default]
    Init,
    /// Source and frozen target fixed. Invariant: a snapshot source has `snapshot <= target`.
    SourceSelected {
        /// Where the base comes from.
        source: RebuildSource,
        /// The frozen rebuild target (the committed LSN at handshake).
        target: Lsn,
    },
    /// Transferring the base. `transferred_to` starts at 0 and strictly increases.
    Transfer {
        /// Where the base comes from.
        source: RebuildSource,
        /// The frozen rebuild target.
        target: Lsn,
        /// How far the base has been installed.
        transferred_to: Lsn,
    },
    /// Replaying `(snapshot, target]`. `tail_replayed_to` starts at the snapshot LSN.
    TailReplay {
        /// The base image's LSN.
        snapshot: Lsn,
        /// The frozen rebuild target.
        target: Lsn,
        /// How far the tail has been replayed. Invariant: `snapshot <= tail_replayed_to <= target`.
        tail_replayed_to: Lsn,
    },
    /// Done: the replica holds `achieved` (≥ target; a full base may achieve more, T16).
    Completed {
        /// The LSN the replica now holds.
        achieved: Lsn,
    },
    /// Abandoned.
    Aborted,
}

impl RebuildState {
    /// The phase name.
    pub const fn phase(&self) -> RebuildPhase {
        match self {
            RebuildState::Init => RebuildPhase::Init,
            RebuildState::SourceSelected { .. } => RebuildPhase::SourceSelected,
            RebuildState::Transfer { .. } => RebuildPhase::Transfer,
            RebuildState::TailReplay { .. } => RebuildPhase::TailReplay,
            RebuildState::Completed { .. } => RebuildPhase::Completed,
            RebuildState::Aborted => RebuildPhase::Aborted,
        }
    }

    /// The chosen source, once selected (and until completion).
    pub const fn source(&self) -> Option<RebuildSource> {
        match self {
            RebuildState::SourceSelected { source, .. } | RebuildState::Transfer { source, .. } => {
                Some(*source)
            }
            RebuildState::TailReplay { snapshot, .. } => Some(RebuildSource::SnapshotTail {
                snapshot: *snapshot,
            }),
            _ => None,
        }
    }

    fn wrong_phase(&self, expected: RebuildPhase) -> RebuildError {
        RebuildError::WrongPhase {
            expected,
            found: self.phase(),
        }
    }

    /// Fixes the source and the frozen target. A snapshot beyond the target is refused: its
    /// image would hold writes past the point the replica is promised to equal.
    pub fn select_source(
        &mut self,
        source: RebuildSource,
        target: Lsn,
    ) -> Result<(), RebuildError> {
        if *self != RebuildState::Init {
            return Err(self.wrong_phase(RebuildPhase::Init));
        }
        if let RebuildSource::SnapshotTail { snapshot } = source {
            if snapshot == Lsn::ZERO {
                return Err(RebuildError::SnapshotAtZero);
            }
            if snapshot > target {
                return Err(RebuildError::SnapshotBeyondTarget { snapshot, target });
            }
        }
        *self = RebuildState::SourceSelected { source, target };
        Ok(())
    }

    /// Starts the base transfer.
    pub fn begin_transfer(&mut self) -> Result<(), RebuildError> {
        let RebuildState::SourceSelected { source, target } = *self else {
            return Err(self.wrong_phase(RebuildPhase::SourceSelected));
        };
        *self = RebuildState::Transfer {
            source,
            target,
            transferred_to: Lsn::ZERO,
        };
        Ok(())
    }

    /// Records base progress: strictly increasing; a snapshot transfer never passes the snapshot.
    pub fn record_transfer_progress(&mut self, to: Lsn) -> Result<(), RebuildError> {
        let RebuildState::Transfer {
            source,
            target,
            transferred_to,
        } = *self
        else {
            return Err(self.wrong_phase(RebuildPhase::Transfer));
        };
        if to <= transferred_to {
            return Err(RebuildError::ProgressRegression {
                current: transferred_to,
                presented: to,
            });
        }
        if let RebuildSource::SnapshotTail { snapshot } = source {
            if to > snapshot {
                return Err(RebuildError::ProgressBeyondSnapshot {
                    snapshot,
                    presented: to,
                });
            }
        }
        *self = RebuildState::Transfer {
            source,
            target,
            transferred_to: to,
        };
        Ok(())
    }

    /// Moves from the base to the tail: snapshot sources only, and only once the whole
    /// snapshot is installed (§7.13).
    pub fn begin_tail_replay(&mut self) -> Result<(), RebuildError> {
        let RebuildState::Transfer {
            source,
            target,
            transferred_to,
        } = *self
        else {
            return Err(self.wrong_phase(RebuildPhase::Transfer));
        };
        let RebuildSource::SnapshotTail { snapshot } = source else {
            return Err(RebuildError::FullBaseHasNoTail);
        };
        if transferred_to < snapshot {
            return Err(RebuildError::TransferIncomplete {
                transferred_to,
                snapshot,
            });
        }
        *self = RebuildState::TailReplay {
            snapshot,
            target,
            tail_replayed_to: snapshot,
        };
        Ok(())
    }

    /// Records tail progress: strictly increasing and never past the frozen target.
    pub fn record_tail_progress(&mut self, to: Lsn) -> Result<(), RebuildError> {
        let RebuildState::TailReplay {
            snapshot,
            target,
            tail_replayed_to,
        } = *self
        else {
            return Err(self.wrong_phase(RebuildPhase::TailReplay));
        };
        if to <= tail_replayed_to {
            return Err(RebuildError::ProgressRegression {
                current: tail_replayed_to,
                presented: to,
            });
        }
        if to > target {
            return Err(RebuildError::ProgressBeyondTarget {
                target,
                presented: to,
            });
        }
        *self = RebuildState::TailReplay {
            snapshot,
            target,
            tail_replayed_to: to,
        };
        Ok(())
    }

    /// The LSN the replica would hold if completed now, when the rebuild may complete:
    /// snapshot + tail in tail replay with the tail at the target; full base in transfer with
    /// the base at or beyond the target.
    pub fn ready_to_complete(&self) -> Option<Lsn> {
        match *self {
            RebuildState::TailReplay {
                target,
                tail_replayed_to,
                ..
            } if tail_replayed_to >= target => Some(tail_replayed_to),
            RebuildState::Transfer {
                source: RebuildSource::FullBase(_),
                target,
                transferred_to,
            } if transferred_to >= target => Some(transferred_to),
            _ => None,
        }
    }

    /// Completes a ready rebuild, returning the achieved LSN.
    pub fn complete(&mut self) -> Result<Lsn, RebuildError> {
        let Some(achieved) = self.ready_to_complete() else {
            return Err(RebuildError::NotReady {
                phase: self.phase(),
            });
        };
        *self = RebuildState::Completed { achieved };
        Ok(achieved)
    }

    /// Starts the rebuild again from its base (upstream's rebuild-too-slow abort, whose deadline
    /// re-sends the same source and target under the same session, `docs/engine.md` §21): the
    /// transfer's progress, and the tail's, are forgotten. Only while the base or its tail is
    /// on the way.
    pub fn restart(&mut self) -> Result<(), RebuildError> {
        let (source, target) = match *self {
            RebuildState::Transfer { source, target, .. } => (source, target),
            RebuildState::TailReplay {
                snapshot, target, ..
            } => (RebuildSource::SnapshotTail { snapshot }, target),
            _ => return Err(self.wrong_phase(RebuildPhase::Transfer)),
        };
        *self = RebuildState::Transfer {
            source,
            target,
            transferred_to: Lsn::ZERO,
        };
        Ok(())
    }

    /// Abandons the rebuild; a no-op once completed or aborted.
    pub fn abort(&mut self) {
        if !matches!(self, RebuildState::Completed { .. } | RebuildState::Aborted) {
            *self = RebuildState::Aborted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::FullBaseReason;

    fn lsn(value: u64) -> Lsn {
        Lsn::new(value)
    }

    const FULL: RebuildSource = RebuildSource::FullBase(FullBaseReason::NoCheckpoint);

    #[test]
    fn phases_have_stable_names_and_states_report_their_source() {
        // Goal: the phase names the views and the recovery log print, and the source a state
        // reports in each phase (none before selection and after completion).
        let rows = [
            (RebuildPhase::Init, "init"),
            (RebuildPhase::SourceSelected, "source_selected"),
            (RebuildPhase::Transfer, "transfer"),
            (RebuildPhase::TailReplay, "tail_replay"),
            (RebuildPhase::Completed, "completed"),
            (RebuildPhase::Aborted, "aborted"),
        ];
        for (phase, name) in rows {
            assert_eq!(phase.name(), name);
            assert_eq!(phase.to_string(), name);
        }
        let target = lsn(9);
        let sources = [
            (RebuildState::Init, None),
            (
                RebuildState::SourceSelected {
                    source: FULL,
                    target,
                },
                Some(FULL),
            ),
            (in_transfer(FULL, 9), Some(FULL)),
            (
                RebuildState::TailReplay {
                    snapshot: lsn(4),
                    target,
                    tail_replayed_to: lsn(4),
                },
                Some(snapshot_at(4)),
            ),
            (RebuildState::Completed { achieved: target }, None),
            (RebuildState::Aborted, None),
        ];
        for (state, source) in sources {
            assert_eq!(state.source(), source, "{state:?}");
        }
    }

    fn snapshot_at(snapshot: u64) -> RebuildSource {
        RebuildSource::SnapshotTail {
            snapshot: lsn(snapshot),
        }
    }

    fn in_transfer(source: RebuildSource, target: u64) -> RebuildState {
        let mut state = RebuildState::Init;
        assert_eq!(state.select_source(source, lsn(target)), Ok(()));
        assert_eq!(state.begin_transfer(), Ok(()));
        state
    }

    #[test]
    fn snapshot_tail_rebuild_runs_through_every_phase() {
        let mut state = in_transfer(snapshot_at(50), 100);
        assert_eq!(state.record_transfer_progress(lsn(50)), Ok(()));
        assert_eq!(state.begin_tail_replay(), Ok(()));
        assert_eq!(state.ready_to_complete(), None);
        assert_eq!(state.record_tail_progress(lsn(100)), Ok(()));
        assert_eq!(state.complete(), Ok(lsn(100)));
        assert_eq!(state, RebuildState::Completed { achieved: lsn(100) });
    }

    #[test]
    fn full_base_completes_from_transfer_at_or_beyond_target() {
        let mut state = in_transfer(FULL, 100);
        assert_eq!(state.record_transfer_progress(lsn(99)), Ok(()));
        assert_eq!(
            state.complete(),
            Err(RebuildError::NotReady {
                phase: RebuildPhase::Transfer
            })
        );
        assert_eq!(state.record_transfer_progress(lsn(105)), Ok(()));
        assert_eq!(state.complete(), Ok(lsn(105)));
    }

    #[test]
    fn full_base_at_target_zero_completes_without_progress() {
        // Goal: docs/engine.md "Rebuild target is committed" — committed 0 installs the empty
        // base; a transfer progress to 0 is still refused (§7.9).
        let mut state = in_transfer(RebuildSource::FullBase(FullBaseReason::NothingCommitted), 0);
        assert_eq!(
            state.record_transfer_progress(lsn(0)),
            Err(RebuildError::ProgressRegression {
                current: lsn(0),
                presented: lsn(0)
            })
        );
        assert_eq!(state.complete(), Ok(lsn(0)));
    }

    #[test]
    fn progress_must_strictly_increase() {
        let mut state = in_transfer(FULL, 100);
        assert_eq!(state.record_transfer_progress(lsn(10)), Ok(()));
        assert_eq!(
            state.record_transfer_progress(lsn(10)),
            Err(RebuildError::ProgressRegression {
                current: lsn(10),
                presented: lsn(10)
            })
        );
        let mut tail = in_transfer(snapshot_at(50), 100);
        assert_eq!(tail.record_transfer_progress(lsn(50)), Ok(()));
        assert_eq!(tail.begin_tail_replay(), Ok(()));
        assert_eq!(
            tail.record_tail_progress(lsn(50)),
            Err(RebuildError::ProgressRegression {
                current: lsn(50),
                presented: lsn(50)
            })
        );
        assert_eq!(tail.record_tail_progress(lsn(51)), Ok(()));
    }

    #[test]
    fn snapshot_transfer_and_tail_are_capped_boundary_table() {
        let mut state = in_transfer(snapshot_at(50), 100);
        assert_eq!(
            state.record_transfer_progress(lsn(51)),
            Err(RebuildError::ProgressBeyondSnapshot {
                snapshot: lsn(50),
                presented: lsn(51)
            })
        );
        assert_eq!(state.record_transfer_progress(lsn(50)), Ok(()));
        assert_eq!(state.begin_tail_replay(), Ok(()));
        assert_eq!(
            state.record_tail_progress(lsn(101)),
            Err(RebuildError::ProgressBeyondTarget {
                target: lsn(100),
                presented: lsn(101)
            })
        );
        assert_eq!(state.record_tail_progress(lsn(100)), Ok(()));
    }

    #[test]
    fn tail_replay_needs_the_whole_snapshot() {
        // Goal: §7.13 — TransferredTo ≥ SnapshotLSN.
        let mut state = in_transfer(snapshot_at(50), 100);
        assert_eq!(state.record_transfer_progress(lsn(49)), Ok(()));
        assert_eq!(
            state.begin_tail_replay(),
            Err(RebuildError::TransferIncomplete {
                transferred_to: lsn(49),
                snapshot: lsn(50)
            })
        );
        let mut full = in_transfer(FULL, 100);
        assert_eq!(
            full.begin_tail_replay(),
            Err(RebuildError::FullBaseHasNoTail)
        );
    }

    #[test]
    fn snapshot_tail_completes_only_from_tail_replay() {
        // Goal: §7.13 — snapshot_tail never completes from transfer.
        let mut state = in_transfer(snapshot_at(100), 100);
        assert_eq!(state.record_transfer_progress(lsn(100)), Ok(()));
        assert_eq!(
            state.complete(),
            Err(RebuildError::NotReady {
                phase: RebuildPhase::Transfer
            })
        );
        assert_eq!(state.begin_tail_replay(), Ok(()));
        assert_eq!(state.complete(), Ok(lsn(100)));
    }

    #[test]
    fn select_source_refuses_snapshot_beyond_target_and_wrong_phase() {
        let mut state = RebuildState::Init;
        assert_eq!(
            state.select_source(snapshot_at(60), lsn(50)),
            Err(RebuildError::SnapshotBeyondTarget {
                snapshot: lsn(60),
                target: lsn(50)
            })
        );
        assert_eq!(
            state.select_source(snapshot_at(0), lsn(50)),
            Err(RebuildError::SnapshotAtZero)
        );
        assert_eq!(state, RebuildState::Init);
        assert_eq!(state.select_source(FULL, lsn(50)), Ok(()));
        assert_eq!(
            state.select_source(FULL, lsn(50)),
            Err(RebuildError::WrongPhase {
                expected: RebuildPhase::Init,
                found: RebuildPhase::SourceSelected
            })
        );
    }

    #[test]
    fn operations_out_of_order_are_refused_without_change() {
        let mut state = RebuildState::Init;
        assert_eq!(
            state.begin_transfer(),
            Err(RebuildError::WrongPhase {
                expected: RebuildPhase::SourceSelected,
                found: RebuildPhase::Init
            })
        );
        assert_eq!(
            state.record_transfer_progress(lsn(1)),
            Err(RebuildError::WrongPhase {
                expected: RebuildPhase::Transfer,
                found: RebuildPhase::Init
            })
        );
        assert_eq!(
            state.record_tail_progress(lsn(1)),
            Err(RebuildError::WrongPhase {
                expected: RebuildPhase::TailReplay,
                found: RebuildPhase::Init
            })
        );
        assert_eq!(state, RebuildState::Init);
    }

    #[test]
    fn abort_is_a_no_op_once_terminal() {
        let mut state = in_transfer(FULL, 0);
        assert_eq!(state.complete(), Ok(lsn(0)));
        state.abort();
        assert_eq!(state, RebuildState::Completed { achieved: lsn(0) });
        let mut running = in_transfer(FULL, 10);
        running.abort();
        assert_eq!(running, RebuildState::Aborted);
    }
}
