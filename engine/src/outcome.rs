//! Handshake results and the recovery-outcome classification (PROTOCOL.md §6.4).
//!
//! A handshake compares what the replica durably holds with what the primary has committed and
//! still retains. The classification is pure and never looks at the primary's head, because
//! external promises are stated against the committed LSN (T1).
//!
//! Unlike upstream it does not trust counters alone (decision D5 of `docs/design.md`): besides
//! the replica's flushed LSN it takes how far the replica's durable history *equals* the
//! primary's ([`HandshakeResult::matched_through`], found by comparing lineages,
//! `crate::lineage`). Upstream's zero gap `flushed == committed` declares a replica in sync
//! whose entry at the committed LSN was written by a deposed primary; here that replica
//! truncates its divergent tail and catches up.

use crate::types::Lsn;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The numbers a handshake compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeResult {
    /// The replica's durable (flushed) LSN.
    pub replica_flushed: Lsn,
    /// The highest LSN through which the replica's durable history equals the primary's.
    /// Invariant: `matched_through <= replica_flushed`.
    pub matched_through: Lsn,
    /// The primary's committed LSN: the recovery target.
    pub committed: Lsn,
    /// The first LSN the primary still retains, or `None` when nothing was ever recycled
    /// (upstream encodes that as 0).
    pub retention_start: Option<Lsn>,
}

impl HandshakeResult {
    /// The prefix the replica keeps: what it shares with the primary, cut at the committed LSN.
    pub fn kept(&self) -> Lsn {
        self.matched_through.min(self.committed)
    }

    /// Classifies the gap (PROTOCOL.md §6.4, with identity per D5):
    /// 1. the replica holds exactly the committed prefix (flushed == committed and it matches
    ///    the primary through it) → zero gap (T2; includes 0 == 0);
    /// 2. it holds the committed prefix with more above it → catch-up (truncation only);
    /// 3. nothing recycled, or kept + 1 ≥ retention start → catch-up (after truncating a
    ///    divergent tail above the kept prefix, if any);
    /// 4. otherwise → needs rebuild.
    ///
    /// With `matched_through == replica_flushed` (a replica whose history is a prefix of the
    /// primary's) this is upstream's table, except that a replica ahead of committed always
    /// catches up: it holds the committed prefix, so truncation alone recovers it.
    pub fn classify(&self) -> RecoveryOutcome {
        let kept = self.kept();
        if kept == self.committed {
            return if self.replica_flushed == self.committed {
                RecoveryOutcome::ZeroGap
            } else {
                RecoveryOutcome::CatchUp
            };
        }
        match self.retention_start {
            None => RecoveryOutcome::CatchUp,
            Some(start) if kept.next() >= start => RecoveryOutcome::CatchUp,
            Some(_) => RecoveryOutcome::NeedsRebuild,
        }
    }
}

/// How a replica recovers, decided from a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryOutcome {
    /// The replica already holds exactly the committed prefix.
    ZeroGap,
    /// The gap is replayable from retained WAL (or is a divergent tail to truncate).
    CatchUp,
    /// The gap reaches into recycled history: only a rebuild can help.
    NeedsRebuild,
}

impl RecoveryOutcome {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            RecoveryOutcome::ZeroGap => "zero_gap",
            RecoveryOutcome::CatchUp => "catch_up",
            RecoveryOutcome::NeedsRebuild => "needs_rebuild",
        }
    }
}

impl fmt::Display for RecoveryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_have_stable_snake_case_names_table() {
        // Goal: the outcome's name is the one reports and the recovery log print, per variant.
        let rows = [
            (RecoveryOutcome::ZeroGap, "zero_gap"),
            (RecoveryOutcome::CatchUp, "catch_up"),
            (RecoveryOutcome::NeedsRebuild, "needs_rebuild"),
        ];
        for (outcome, name) in rows {
            assert_eq!(outcome.name(), name);
            assert_eq!(outcome.to_string(), name);
        }
    }

    fn handshake(flushed: u64, committed: u64, retention_start: Option<u64>) -> HandshakeResult {
        HandshakeResult {
            replica_flushed: Lsn::new(flushed),
            matched_through: Lsn::new(flushed),
            committed: Lsn::new(committed),
            retention_start: retention_start.map(Lsn::new),
        }
    }

    #[test]
    fn classify_boundary_table_covers_both_sides_of_each_edge() {
        use RecoveryOutcome::*;
        // (flushed, committed, retention start, expected)
        let rows = [
            (100, 100, Some(51), ZeroGap),
            (0, 0, None, ZeroGap), // fact 4: an empty replica on an empty volume
            (0, 0, Some(5), ZeroGap),
            (50, 100, Some(51), CatchUp), // flushed + 1 == retention start
            (49, 100, Some(51), NeedsRebuild), // one below
            (10, 100, None, CatchUp),     // nothing recycled: every gap is catch-up
            (120, 100, Some(51), CatchUp), // replica ahead: catch-up with truncation
            (0, 100, Some(1), CatchUp),   // tail 0 but recycled_through reported as 0 → start 1
            (0, 100, Some(2), NeedsRebuild),
            (60, 50, Some(55), CatchUp), // ahead, recycled beyond flushed: truncation alone
        ];
        for (row, (flushed, committed, start, expected)) in rows.into_iter().enumerate() {
            assert_eq!(
                handshake(flushed, committed, start).classify(),
                expected,
                "row {row}"
            );
        }
    }

    // Goal: D5 — identity, not counters: (flushed, matched, committed, retention start, expected).
    #[test]
    fn classify_by_identity_table() {
        use RecoveryOutcome::*;
        let rows = [
            (1, 1, 1, None, ZeroGap),
            (1, 0, 1, None, CatchUp), // same length, divergent entry at C: truncate, replay
            (1, 0, 1, Some(2), NeedsRebuild), // ... but LSN 1 is recycled
            (3, 2, 2, None, CatchUp), // divergent above C only: truncation
            (3, 1, 2, Some(2), CatchUp), // kept 1, retention from 2
            (3, 0, 2, Some(2), NeedsRebuild),
        ];
        for (row, (flushed, matched, committed, start, expected)) in rows.into_iter().enumerate() {
            let handshake = HandshakeResult {
                replica_flushed: Lsn::new(flushed),
                matched_through: Lsn::new(matched),
                committed: Lsn::new(committed),
                retention_start: start.map(Lsn::new),
            };
            assert_eq!(handshake.classify(), expected, "row {row}");
        }
    }
}
