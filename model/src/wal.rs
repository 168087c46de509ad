//! One node's write-ahead log, as the model sees it.
//!
//! A write's value follows the synthetic convention of the upstream simulator: the data of the
//! write at LSN `l` written under epoch `e` is the pair `(l, e)`. Two nodes therefore hold the
//! same data at LSN `l` exactly when their slots at `l` name the same writer epoch, and the
//! reference state `Ref(l)` is the committed lineage's slots through `l` (see `history.rs`).
//! Comparing identities is strictly stronger than comparing block contents, so no block dimension
//! is modelled (decision D3 in `docs/design.md`).
//!
//! Boundaries, lowest first (each an `Invariant` kept by the operations below):
//! `recycled_through ≤ checkpoint ≤ flushed ≤ received`.
//! - `(0, checkpoint]` is the trusted base image (a checkpoint, or a rebuild's installed base).
//! - `(recycled_through, received]` is retained history: only these entries can be shipped.
//! - `(0, flushed]` is durable and survives a crash; `(flushed, received]` is lost by one.

use crate::cfg::WAL_CAPACITY;
use serde::{Deserialize, Serialize};
use swb_engine::types::{Epoch, Lsn};

/// The slots of a log: slot `l - 1` names the writer epoch of the entry at LSN `l`, `None` where
/// the node holds no entry (above its head, or a hole a broken recovery left behind).
///
/// Stored as one byte per slot (0 for no entry, else the epoch's number): a log is copied and
/// hashed in every state and message that carries one, and 16 bytes per `Option<Epoch>` made
/// it the bulk of the state. Epochs in a bounded run stay far below 256 (`set` asserts it). The
/// order, equality, `Debug` and serde forms are those of `[Option<Epoch>; WAL_CAPACITY]`.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slots([u8; WAL_CAPACITY]);

impl Slots {
    /// The writer epoch of the entry at `lsn`; `None` at LSN 0, above the capacity, or in a hole.
    pub fn at(&self, lsn: Lsn) -> Option<Epoch> {
        let index = lsn.get().checked_sub(1)? as usize;
        Self::decode(*self.0.get(index)?)
    }

    fn set(&mut self, lsn: Lsn, epoch: Option<Epoch>) {
        let index = lsn.get().checked_sub(1).expect("slot of LSN 0") as usize;
        assert!(
            index < WAL_CAPACITY,
            "LSN {lsn} beyond the WAL capacity {WAL_CAPACITY}"
        );
        self.0[index] = Self::encode(epoch);
    }

    fn encode(epoch: Option<Epoch>) -> u8 {
        epoch.map_or(0, |epoch| {
            u8::try_from(epoch.get())
                .ok()
                .filter(|byte| *byte != 0)
                .unwrap_or_else(|| panic!("epoch {epoch} does not fit a WAL slot (1..=255)"))
        })
    }

    fn decode(byte: u8) -> Option<Epoch> {
        (byte != 0).then(|| Epoch::new(u64::from(byte)))
    }

    /// The slots as the array they stand for.
    fn expanded(&self) -> [Option<Epoch>; WAL_CAPACITY] {
        self.0.map(Self::decode)
    }

    /// A copy with the entry at `lsn` replaced.
    #[must_use]
    pub fn with(mut self, lsn: Lsn, epoch: Option<Epoch>) -> Slots {
        self.set(lsn, epoch);
        self
    }

    /// A copy holding only the entries in `(after, through]`.
    pub fn range(&self, after: Lsn, through: Lsn) -> Slots {
        let mut out = Slots::default();
        for lsn in lsns(after, through) {
            out.set(lsn, self.at(lsn));
        }
        out
    }

    /// True when every LSN in `(after, through]` holds an entry.
    pub fn is_complete(&self, after: Lsn, through: Lsn) -> bool {
        lsns(after, through).all(|lsn| self.at(lsn).is_some())
    }

    /// True when both hold the same entry (or both none) at every LSN in `(0, through]`.
    pub fn agrees_through(&self, other: &Slots, through: Lsn) -> bool {
        lsns(Lsn::ZERO, through).all(|lsn| self.at(lsn) == other.at(lsn))
    }

    /// The longest `l ≤ through` such that both hold the same entries at every LSN in `(0, l]`.
    pub fn common_prefix(&self, other: &Slots, through: Lsn) -> Lsn {
        let mut common = Lsn::ZERO;
        for lsn in lsns(Lsn::ZERO, through) {
            match (self.at(lsn), other.at(lsn)) {
                (Some(mine), Some(theirs)) if mine == theirs => common = lsn,
                _ => break,
            }
        }
        common
    }

    /// The non-empty slots as `(lsn, writer epoch)` pairs, lowest LSN first.
    pub fn entries(&self) -> impl Iterator<Item = (Lsn, Epoch)> + '_ {
        self.0.iter().enumerate().filter_map(|(index, slot)| {
            Self::decode(*slot).map(|epoch| (Lsn::new(index as u64 + 1), epoch))
        })
    }
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Slots").field(&self.expanded()).finish()
    }
}

impl Serialize for Slots {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.expanded().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Slots {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Slots, D::Error> {
        let slots = <[Option<Epoch>; WAL_CAPACITY]>::deserialize(deserializer)?;
        let mut out = Slots::default();
        for (index, epoch) in slots.into_iter().enumerate() {
            if epoch.is_some_and(|epoch| epoch.get() == 0 || epoch.get() > u64::from(u8::MAX)) {
                return Err(serde::de::Error::custom(format!(
                    "slot {}: epoch out of range 1..=255",
                    index + 1
                )));
            }
            out.0[index] = Self::encode(epoch);
        }
        Ok(out)
    }
}

/// The LSNs in `(after, through]`, clamped to the WAL capacity.
pub fn lsns(after: Lsn, through: Lsn) -> impl Iterator<Item = Lsn> {
    let last = through.get().min(WAL_CAPACITY as u64);
    (after.get() + 1..=last).map(Lsn::new)
}

/// Why a truncation could not be carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncationError {
    /// The cut lies inside the trusted base image: those entries were folded into the base and
    /// cannot be removed one by one (upstream's `ErrTruncationUnsafe`).
    InsideBase {
        /// The requested cut.
        after: Lsn,
        /// The base image's LSN.
        checkpoint: Lsn,
    },
}

/// One node's log. See the module documentation for the boundaries and their invariants.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Wal {
    slots: Slots,
    /// Highest LSN appended. Invariant: `flushed ≤ received`.
    received: Lsn,
    /// Highest durable LSN. Invariant: `checkpoint ≤ flushed`.
    flushed: Lsn,
    /// LSN of the trusted base image. Invariant: `recycled_through ≤ checkpoint`.
    checkpoint: Lsn,
    /// Entries at or below this LSN are folded into the base and can no longer be shipped.
    recycled_through: Lsn,
}

impl Wal {
    /// The entries held, including the base image and volatile entries.
    pub fn slots(&self) -> &Slots {
        &self.slots
    }

    /// Highest LSN appended (the head).
    pub fn received(&self) -> Lsn {
        self.received
    }

    /// Highest durable LSN.
    pub fn flushed(&self) -> Lsn {
        self.flushed
    }

    /// LSN of the trusted base image (0 when there is none).
    pub fn checkpoint(&self) -> Lsn {
        self.checkpoint
    }

    /// Entries at or below this LSN are no longer retained for shipping.
    pub fn recycled_through(&self) -> Lsn {
        self.recycled_through
    }

    /// The writer epoch of the entry at `lsn`, if held.
    pub fn epoch_at(&self, lsn: Lsn) -> Option<Epoch> {
        self.slots.at(lsn)
    }

    /// The highest LSN `l ≤ flushed` such that `(0, l]` holds every entry: what a restart can
    /// rebuild exactly (upstream's `RecoverableLSN`).
    pub fn recoverable(&self) -> Lsn {
        let mut recoverable = Lsn::ZERO;
        for lsn in lsns(Lsn::ZERO, self.flushed) {
            if self.slots.at(lsn).is_none() {
                break;
            }
            recoverable = lsn;
        }
        recoverable
    }

    /// True when the entries `(after, through]` are retained and can be shipped.
    pub fn retains(&self, after: Lsn, through: Lsn) -> bool {
        after >= self.recycled_through && through <= self.received
    }

    /// Appends `epoch`'s write at the next LSN. Returns false, changing nothing, when `lsn` is
    /// not the next LSN or `previous` does not name the entry at `lsn - 1` (the log-matching
    /// check that keeps every log a prefix of its writer's log).
    pub fn append(&mut self, lsn: Lsn, epoch: Epoch, previous: Option<Epoch>) -> bool {
        if lsn != self.received.next() || lsn.get() as usize > WAL_CAPACITY {
            return false;
        }
        if self.slots.at(self.received) != previous {
            return false;
        }
        self.slots.set(lsn, Some(epoch));
        self.received = lsn;
        true
    }

    /// Makes `(0, through]` durable (clamped to the head); never lowers `flushed`.
    pub fn flush_through(&mut self, through: Lsn) {
        self.flushed = self.flushed.max(through.min(self.received));
    }

    /// Loses every entry above `flushed`, as a crash does.
    pub fn crash(&mut self) {
        self.clear_above(self.flushed);
        self.received = self.flushed;
    }

    /// Removes every entry above `after`. Refused inside the base image.
    pub fn truncate_after(&mut self, after: Lsn) -> Result<(), TruncationError> {
        if after < self.checkpoint {
            return Err(TruncationError::InsideBase {
                after,
                checkpoint: self.checkpoint,
            });
        }
        self.clear_above(after);
        self.received = self.received.min(after);
        self.flushed = self.flushed.min(after);
        Ok(())
    }

    /// Mutant `TruncateInsideBase` only: removes every entry above `after` even inside the base
    /// image, which shrinks to the cut (the guard of [`Wal::truncate_after`] removed).
    pub fn truncate_into_base(&mut self, after: Lsn) {
        self.clear_above(after);
        self.received = self.received.min(after);
        self.flushed = self.flushed.min(after);
        self.checkpoint = self.checkpoint.min(after);
        self.recycled_through = self.recycled_through.min(after);
    }

    /// Mutant `ReplicaReappliesWrite` only: replaces the entry at `lsn ≤ received` and drops every
    /// entry above it, as re-applying an old live write over a newer log would. Returns false
    /// above the head.
    pub fn overwrite(&mut self, lsn: Lsn, epoch: Epoch) -> bool {
        if lsn > self.received || lsn <= self.checkpoint {
            return false;
        }
        self.clear_above(lsn);
        self.slots.set(lsn, Some(epoch));
        self.received = lsn;
        self.flushed = self.flushed.min(lsn);
        true
    }

    /// True when a catch-up chunk `(after, through]` continues this log: it starts at or below
    /// the head, and where the two overlap they hold the same entries. Merging such a chunk is
    /// idempotent, so a delayed or duplicated chunk can never lower what the log holds.
    pub fn can_merge(&self, after: Lsn, through: Lsn, source: &Slots) -> bool {
        after <= self.received
            && lsns(after, through.min(self.received))
                .all(|lsn| self.slots.at(lsn) == source.at(lsn))
    }

    /// Merges a catch-up chunk `(after, through]` (see [`Wal::can_merge`]) and makes it durable.
    pub fn merge_chunk(&mut self, after: Lsn, through: Lsn, source: &Slots) {
        for lsn in lsns(after, through) {
            self.slots.set(lsn, source.at(lsn));
        }
        self.received = self.received.max(through);
        self.flushed = self.flushed.max(through);
    }

    /// Installs a rebuild: a base image `(0, base_through]` plus a tail `(base_through, through]`,
    /// replacing the whole log. The base becomes this node's checkpoint.
    pub fn install(&mut self, base_through: Lsn, through: Lsn, source: &Slots) {
        self.slots = source.range(Lsn::ZERO, through);
        self.received = through;
        self.flushed = through;
        self.checkpoint = base_through;
        self.recycled_through = base_through;
    }

    /// Takes a checkpoint at `at` (clamped to `flushed`) and recycles the WAL through
    /// `recycle_through` (clamped to the checkpoint). Never lowers either boundary.
    pub fn checkpoint_and_recycle(&mut self, at: Lsn, recycle_through: Lsn) {
        self.checkpoint = self.checkpoint.max(at.min(self.flushed));
        self.recycled_through = self
            .recycled_through
            .max(recycle_through.min(self.checkpoint));
    }

    /// The durable part of this log: what survives a crash.
    pub fn durable(&self) -> Wal {
        let mut durable = *self;
        durable.crash();
        durable
    }

    fn clear_above(&mut self, after: Lsn) {
        for lsn in lsns(after, Lsn::new(WAL_CAPACITY as u64)) {
            self.slots.set(lsn, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lsn(n: u64) -> Lsn {
        Lsn::new(n)
    }

    fn wal_with(epochs: &[u64]) -> Wal {
        let mut wal = Wal::default();
        for (index, epoch) in epochs.iter().enumerate() {
            let previous = wal.epoch_at(wal.received());
            assert!(wal.append(lsn(index as u64 + 1), Epoch::new(*epoch), previous));
        }
        wal
    }

    #[test]
    fn append_requires_next_lsn_and_matching_previous_entry() {
        let mut wal = wal_with(&[1]);
        assert!(
            !wal.append(lsn(3), Epoch::new(1), Some(Epoch::new(1))),
            "gap refused"
        );
        assert!(
            !wal.append(lsn(2), Epoch::new(2), Some(Epoch::new(2))),
            "previous mismatch refused"
        );
        assert!(wal.append(lsn(2), Epoch::new(2), Some(Epoch::new(1))));
        assert_eq!(wal.received(), lsn(2));
    }

    #[test]
    fn crash_loses_entries_above_flushed() {
        let mut wal = wal_with(&[1, 1, 1]);
        wal.flush_through(lsn(2));
        wal.crash();
        assert_eq!(
            (wal.received(), wal.flushed(), wal.epoch_at(lsn(3))),
            (lsn(2), lsn(2), None)
        );
    }

    #[test]
    fn truncation_inside_base_refused() {
        let mut wal = wal_with(&[1, 1, 1]);
        wal.flush_through(lsn(3));
        wal.checkpoint_and_recycle(lsn(2), lsn(2));
        assert_eq!(
            wal.truncate_after(lsn(1)),
            Err(TruncationError::InsideBase {
                after: lsn(1),
                checkpoint: lsn(2)
            })
        );
        assert_eq!(wal.truncate_after(lsn(2)), Ok(()));
        assert_eq!(wal.received(), lsn(2));
    }

    #[test]
    fn retention_boundary_is_exclusive_tail() {
        // Recycled through 2: (2, 3] is shippable, (1, 3] is not (PROTOCOL.md fact 1).
        let mut wal = wal_with(&[1, 1, 1]);
        wal.flush_through(lsn(3));
        wal.checkpoint_and_recycle(lsn(2), lsn(2));
        assert!(wal.retains(lsn(2), lsn(3)));
        assert!(!wal.retains(lsn(1), lsn(3)));
        assert!(!wal.retains(lsn(2), lsn(4)));
    }

    #[test]
    fn recoverable_stops_at_first_hole() {
        let mut wal = Wal::default();
        let mut source = wal_with(&[1, 1, 1]).slots;
        source.set(lsn(2), None);
        wal.merge_chunk(lsn(0), lsn(3), &source);
        assert_eq!((wal.flushed(), wal.recoverable()), (lsn(3), lsn(1)));
    }

    #[test]
    fn common_prefix_finds_divergence() {
        let ours = wal_with(&[1, 2, 2]);
        let theirs = wal_with(&[1, 1]);
        assert_eq!(ours.slots().common_prefix(theirs.slots(), lsn(3)), lsn(1));
        assert_eq!(ours.slots().common_prefix(ours.slots(), lsn(3)), lsn(3));
    }
}
