//! Handshake results and the recovery-outcome classification (PROTOCOL.md §6.4).
//!
//! A handshake compares what the replica durably holds with what the primary has committed and
//! still retains. The classification is pure and looks only at those three numbers; it never
//! looks at the primary's head, because external promises are stated against the committed
//! LSN (T1).

use crate::types::Lsn;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The three numbers a handshake compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeResult {
    /// The replica's durable (flushed) LSN.
    pub replica_flushed: Lsn,
    /// The primary's committed LSN: the recovery target.
    pub committed: Lsn,
    /// The first LSN the primary still retains, or `None` when nothing was ever recycled
    /// (upstream encodes that as 0).
    pub retention_start: Option<Lsn>,
}

impl HandshakeResult {
    /// Classifies the gap (PROTOCOL.md §6.4):
    /// 1. flushed == committed → zero gap (exact equality, T2; includes 0 == 0);
    /// 2. nothing recycled, or flushed + 1 ≥ retention start → catch-up (includes a replica
    ///    ahead of committed, which catches up by truncating);
    /// 3. otherwise → needs rebuild.
    pub fn classify(&self) -> RecoveryOutcome {
        if self.replica_flushed == self.committed {
            return RecoveryOutcome::ZeroGap;
        }
        match self.retention_start {
            None => RecoveryOutcome::CatchUp,
            Some(start) if self.replica_flushed.next() >= start => RecoveryOutcome::CatchUp,
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

    fn handshake(flushed: u64, committed: u64, retention_start: Option<u64>) -> HandshakeResult {
        HandshakeResult {
            replica_flushed: Lsn::new(flushed),
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
        ];
        for (row, (flushed, committed, start, expected)) in rows.into_iter().enumerate() {
            assert_eq!(
                handshake(flushed, committed, start).classify(),
                expected,
                "row {row}"
            );
        }
    }
}
