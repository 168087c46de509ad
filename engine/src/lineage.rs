//! A log's identity: the writer epoch of every entry, kept as runs of one epoch (decision D5 of
//! `docs/design.md`; PROTOCOL.md T2, §8.13).
//!
//! Counters alone cannot tell two logs apart: after a failover a deposed primary can hold its
//! own uncommitted entry at the very LSN the new primary committed a different one, so
//! `flushed == committed` is no proof of a zero gap. Entry identity can: an entry is named by
//! its LSN and the epoch that wrote it, and every log is a prefix of its writer's log (log
//! matching, D17), so two logs that agree on the epoch at an LSN agree on everything below it.
//! The handshake therefore compares the replica's durable lineage with the primary's and
//! recovers from the last LSN they share ([`Lineage::matched_through`]).
//!
//! A lineage is metadata: it survives recycling of the entries it describes (like a leader-epoch
//! cache), so a replica whose old entries the primary recycled can still be matched. It holds
//! one run per epoch change, not one record per entry.

use crate::error::LineageError;
use crate::types::{Epoch, Lsn};
use serde::{Deserialize, Serialize};

/// Consecutive entries `first..=last` written in one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Run {
    /// The writer epoch of every entry of the run.
    pub epoch: Epoch,
    /// The first LSN of the run.
    pub first: Lsn,
    /// The last LSN of the run. Invariant: `first <= last`.
    pub last: Lsn,
}

/// The writer epoch of every entry `1..=head` of a log, as runs.
///
/// Invariant: the runs are contiguous from LSN 1 (each starts right after the previous one
/// ends) and two neighbours never share an epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lineage {
    runs: Vec<Run>,
}

impl Lineage {
    /// The lineage of an empty log.
    pub fn new() -> Lineage {
        Lineage::default()
    }

    /// The lineage of the entries `(lsn, writer epoch)`, lowest LSN first, contiguous from 1.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (Lsn, Epoch)>,
    ) -> Result<Lineage, LineageError> {
        let mut lineage = Lineage::new();
        for (lsn, epoch) in entries {
            lineage.push(lsn, epoch)?;
        }
        Ok(lineage)
    }

    /// The last LSN described (0 for an empty log).
    pub fn head(&self) -> Lsn {
        self.runs.last().map_or(Lsn::ZERO, |run| run.last)
    }

    /// The runs, lowest LSN first.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The writer epoch of the entry at `lsn`, if the log holds one.
    pub fn epoch_at(&self, lsn: Lsn) -> Option<Epoch> {
        self.runs
            .iter()
            .find(|run| run.first <= lsn && lsn <= run.last)
            .map(|run| run.epoch)
    }

    /// Records the entry at `lsn` written in `epoch`; it must be exactly at head + 1, because a
    /// lineage with a hole would make every later match meaningless.
    pub fn push(&mut self, lsn: Lsn, epoch: Epoch) -> Result<(), LineageError> {
        let expected = self.head().next();
        if lsn != expected {
            return Err(LineageError::OutOfOrder {
                expected,
                presented: lsn,
            });
        }
        match self.runs.last_mut() {
            Some(run) if run.epoch == epoch => run.last = lsn,
            _ => self.runs.push(Run {
                epoch,
                first: lsn,
                last: lsn,
            }),
        }
        Ok(())
    }

    /// Forgets every entry above `to` (a truncation); a no-op at or above the head.
    pub fn truncate_after(&mut self, to: Lsn) {
        self.runs.retain(|run| run.first <= to);
        if let Some(run) = self.runs.last_mut() {
            run.last = run.last.min(to);
        }
    }

    /// The highest LSN through which `self` and `other` hold the same entries: walk both runs in
    /// step from LSN 1 and stop at the first LSN whose writer epochs differ or that one log does
    /// not hold. By log matching the logs then agree on every LSN up to the result.
    pub fn matched_through(&self, other: &Lineage) -> Lsn {
        let mut matched = Lsn::ZERO;
        let (mut mine, mut theirs) = (self.runs.iter().peekable(), other.runs.iter().peekable());
        while let (Some(a), Some(b)) = (mine.peek(), theirs.peek()) {
            if a.epoch != b.epoch {
                break;
            }
            // Both runs cover `matched + 1`: they agree through the earlier of their ends.
            let end = a.last.min(b.last);
            matched = end;
            if a.last == end {
                mine.next();
            }
            if b.last == end {
                theirs.next();
            }
        }
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lineage(epochs: &[u64]) -> Lineage {
        Lineage::from_entries(
            epochs
                .iter()
                .enumerate()
                .map(|(index, epoch)| (Lsn::new(index as u64 + 1), Epoch::new(*epoch))),
        )
        .expect("contiguous")
    }

    // Goal: D5 — the match is by entry identity: (replica, primary, matched through), including
    // the same-length divergent tail that a counter comparison calls a zero gap.
    #[test]
    fn matched_through_table() {
        let rows: [(&[u64], &[u64], u64); 8] = [
            (&[], &[], 0),
            (&[1, 1], &[1, 1], 2),
            (&[1], &[2], 0),          // same length, divergent: no match
            (&[1, 1], &[1, 2], 1),    // diverges at LSN 2
            (&[1, 1, 1], &[1, 1], 2), // replica ahead of the primary
            (&[1], &[1, 1, 2], 1),    // replica behind
            (&[1, 2, 2], &[1, 2, 3], 2),
            (&[1, 3], &[1, 2, 3], 1), // a later equal epoch after a mismatch never counts
        ];
        for (row, (replica, primary, expected)) in rows.into_iter().enumerate() {
            let (replica, primary) = (lineage(replica), lineage(primary));
            assert_eq!(
                primary.matched_through(&replica),
                Lsn::new(expected),
                "row {row}"
            );
            assert_eq!(
                replica.matched_through(&primary),
                Lsn::new(expected),
                "row {row} swapped"
            );
        }
    }

    // Goal: runs are merged per epoch, a hole is refused, and truncation keeps the prefix.
    #[test]
    fn push_merges_refuses_holes_and_truncates() {
        let mut log = lineage(&[1, 1, 2]);
        assert_eq!(log.runs().len(), 2);
        assert_eq!(
            log.push(Lsn::new(5), Epoch::new(2)),
            Err(LineageError::OutOfOrder {
                expected: Lsn::new(4),
                presented: Lsn::new(5)
            })
        );
        log.truncate_after(Lsn::new(1));
        assert_eq!(log, lineage(&[1]));
        assert_eq!(log.epoch_at(Lsn::new(1)), Some(Epoch::new(1)));
        assert_eq!(log.epoch_at(Lsn::new(2)), None);
    }
}
