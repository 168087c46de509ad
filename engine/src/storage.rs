//! An in-memory primary store implementing the [`StorageAdapter`], and an in-memory replica
//! implementing the IO ports, for tests and the model-trace replay harness.
//!
//! The WAL is contiguous by construction (appends only at head + 1), which is what lets the
//! engine's bounds-only recoverability check stand in for the prototype's per-LSN check
//! (§8.8). Boundaries keep the clamp chain `recycled_through ≤ head`,
//! `committed ≤ flushed ≤ head`, `checkpoint ≤ flushed`, and a WAL pin after `a` forbids
//! recycling past `a`.

use crate::error::{IoError, StorageError};
use crate::execute::{CatchUpIo, RebuildIo};
use crate::history::{Checkpoint, CheckpointTrust, RetainedHistory};
use crate::lineage::Lineage;
use crate::plan::{FullBasePin, PinId, PinKind, RetentionPin, SnapshotPin, StorageAdapter};
use crate::types::{Epoch, Lsn, LsnRange};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One WAL entry: the synthetic write convention of the protocol (one block per write, value =
/// LSN), stamped with the epoch it was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WalEntry {
    /// The entry's LSN.
    pub lsn: Lsn,
    /// The epoch of the primary that wrote it.
    pub epoch: Epoch,
    /// The block written.
    pub block: u64,
}

/// Pins taken and released so far, per kind (for the "released exactly once" property).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PinAccounting {
    /// Pins handed out.
    pub taken: u64,
    /// Pins given back.
    pub released: u64,
}

/// An in-memory WAL store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InMemoryStorage {
    /// Retained entries. Invariant: keys are exactly `(recycled_through, head]`.
    entries: BTreeMap<Lsn, WalEntry>,
    /// The highest LSN written.
    head: Lsn,
    /// Durable high-water mark. Invariant: `flushed <= head`.
    flushed: Lsn,
    /// Committed prefix. Invariant: `committed <= flushed`.
    committed: Lsn,
    /// Everything at or below is recycled. Invariant: `recycled_through <= head`.
    recycled_through: Lsn,
    /// The latest checkpoint. Invariant: `0 < checkpoint.lsn <= flushed`.
    checkpoint: Option<Checkpoint>,
    /// Active pins by id.
    pins: BTreeMap<PinId, (PinKind, Lsn)>,
    /// The next pin id. Invariant: greater than every id handed out.
    next_pin: u64,
    /// Totals for the pin accounting.
    accounting: PinAccounting,
    /// One-shot pin failures injected by a harness.
    injected_failures: BTreeSet<PinKind>,
    /// The writer epoch of every entry ever written `1..=head`, kept across recycling (D5).
    lineage: Lineage,
    /// True once a base image without entry identity was installed: the lineage is unknown.
    lineage_unknown: bool,
}

impl InMemoryStorage {
    /// An empty store.
    pub fn new() -> InMemoryStorage {
        InMemoryStorage::default()
    }

    /// The highest LSN written.
    pub fn head(&self) -> Lsn {
        self.head
    }

    /// The durable LSN.
    pub fn flushed(&self) -> Lsn {
        self.flushed
    }

    /// The committed LSN.
    pub fn committed(&self) -> Lsn {
        self.committed
    }

    /// The last recycled LSN.
    pub fn recycled_through(&self) -> Lsn {
        self.recycled_through
    }

    /// The latest checkpoint.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.checkpoint
    }

    /// Pins currently held, sorted by id.
    pub fn active_pins(&self) -> Vec<(PinId, PinKind, Lsn)> {
        self.pins
            .iter()
            .map(|(&id, &(kind, lsn))| (id, kind, lsn))
            .collect()
    }

    /// How many pins were taken and released.
    pub fn pin_accounting(&self) -> PinAccounting {
        self.accounting
    }

    /// Makes the next pin of `kind` fail (once).
    pub fn inject_pin_failure(&mut self, kind: PinKind) {
        self.injected_failures.insert(kind);
    }

    /// The lineage of the log (the writer epoch of every entry through head, recycled ones
    /// included), or `None` when a base image without entry identity was installed.
    pub fn lineage(&self) -> Option<&Lineage> {
        (!self.lineage_unknown).then_some(&self.lineage)
    }

    /// Records the identity of the entry just written at head.
    fn record_identity(&mut self, lsn: Lsn, epoch: Epoch) {
        if !self.lineage_unknown && self.lineage.push(lsn, epoch).is_err() {
            self.lineage_unknown = true;
        }
    }

    /// Appends a write at head + 1 and returns its LSN.
    pub fn append(&mut self, epoch: Epoch, block: u64) -> Lsn {
        let lsn = self.head.next();
        self.entries.insert(lsn, WalEntry { lsn, epoch, block });
        self.head = lsn;
        self.record_identity(lsn, epoch);
        lsn
    }

    /// Appends a shipped entry; it must be exactly at head + 1.
    pub fn append_entry(&mut self, entry: WalEntry) -> Result<(), StorageError> {
        let expected = self.head.next();
        if entry.lsn != expected {
            return Err(StorageError::AppendOutOfOrder {
                expected,
                presented: entry.lsn,
            });
        }
        self.entries.insert(entry.lsn, entry);
        self.head = entry.lsn;
        self.record_identity(entry.lsn, entry.epoch);
        Ok(())
    }

    fn raise(current: Lsn, to: Lsn, bound: Lsn) -> Result<(), StorageError> {
        if to > bound {
            return Err(StorageError::BeyondBound {
                bound,
                presented: to,
            });
        }
        if to < current {
            return Err(StorageError::Regression {
                current,
                presented: to,
            });
        }
        Ok(())
    }

    /// Marks the WAL durable through `through` (≤ head; only rises).
    pub fn flush(&mut self, through: Lsn) -> Result<(), StorageError> {
        InMemoryStorage::raise(self.flushed, through, self.head)?;
        self.flushed = through;
        Ok(())
    }

    /// Raises the committed LSN to `through` (≤ flushed; only rises).
    pub fn commit(&mut self, through: Lsn) -> Result<(), StorageError> {
        InMemoryStorage::raise(self.committed, through, self.flushed)?;
        self.committed = through;
        Ok(())
    }

    /// Records a checkpoint at `lsn` (0 < lsn ≤ flushed; only rises) with the given trust.
    /// Refused while a snapshot pin holds the current image.
    pub fn checkpoint_at(&mut self, lsn: Lsn, trust: CheckpointTrust) -> Result<(), StorageError> {
        let current = self
            .checkpoint
            .map_or(Lsn::ZERO, |checkpoint| checkpoint.lsn);
        InMemoryStorage::raise(current, lsn, self.flushed)?;
        if lsn == Lsn::ZERO {
            return Err(StorageError::History(
                crate::error::HistoryError::CheckpointAtZero,
            ));
        }
        if let Some(pinned) = self.lowest_pin(PinKind::Snapshot) {
            return Err(StorageError::SnapshotPinned { pinned });
        }
        self.checkpoint = Some(Checkpoint { lsn, trust });
        Ok(())
    }

    fn lowest_pin(&self, kind: PinKind) -> Option<Lsn> {
        self.pins
            .values()
            .filter(|(pinned, _)| *pinned == kind)
            .map(|&(_, lsn)| lsn)
            .min()
    }

    /// Recycles the WAL through `through` (≤ head; only rises). Refused past an active WAL
    /// pin's start: a pin after `a` holds every entry above `a`.
    pub fn advance_tail(&mut self, through: Lsn) -> Result<(), StorageError> {
        InMemoryStorage::raise(self.recycled_through, through, self.head)?;
        if let Some(pinned_after) = self.lowest_pin(PinKind::Wal) {
            if through > pinned_after {
                return Err(StorageError::TailPinned {
                    requested: through,
                    pinned_after,
                });
            }
        }
        self.entries = self.entries.split_off(&through.next());
        self.recycled_through = through;
        Ok(())
    }

    /// Drops every entry above `to`; head becomes `to`. Refused below the committed prefix,
    /// the checkpoint or the recycle point (those entries are no longer a divergent tail).
    pub fn truncate(&mut self, to: Lsn) -> Result<(), StorageError> {
        let checkpoint = self
            .checkpoint
            .map_or(Lsn::ZERO, |checkpoint| checkpoint.lsn);
        let floor = self.committed.max(checkpoint).max(self.recycled_through);
        if to < floor {
            return Err(StorageError::TruncateBelowFloor {
                requested: to,
                floor,
            });
        }
        if to > self.head {
            return Err(StorageError::BeyondBound {
                bound: self.head,
                presented: to,
            });
        }
        self.entries.split_off(&to.next());
        self.head = to;
        self.flushed = self.flushed.min(to);
        self.lineage.truncate_after(to);
        Ok(())
    }

    /// Replaces the whole store with a base image at `at` (rebuild on a replica): nothing is
    /// retained below it and everything up to it is durable, committed and checkpointed.
    pub fn install_base(&mut self, at: Lsn) {
        self.entries.clear();
        // The image carries no entry identity: nothing below it can be matched (a handshake by
        // identity then sees no shared prefix and recovers conservatively).
        self.lineage = Lineage::new();
        self.lineage_unknown = at > Lsn::ZERO;
        self.head = at;
        self.flushed = at;
        self.committed = at;
        self.recycled_through = at;
        self.checkpoint = (at > Lsn::ZERO).then_some(Checkpoint {
            lsn: at,
            trust: CheckpointTrust::Trusted,
        });
    }

    /// The retained entries of `range`.
    pub fn entries(&self, range: LsnRange) -> Result<Vec<WalEntry>, StorageError> {
        if range.after < self.recycled_through {
            return Err(StorageError::Recycled {
                from: range.after,
                recycled_through: self.recycled_through,
            });
        }
        if range.through > self.head {
            return Err(StorageError::BeyondBound {
                bound: self.head,
                presented: range.through,
            });
        }
        Ok(self
            .entries
            .range(range.after.next()..=range.through)
            .map(|(_, entry)| *entry)
            .collect())
    }

    fn take_pin(&mut self, kind: PinKind, at: Lsn) -> Result<PinId, StorageError> {
        if self.injected_failures.remove(&kind) {
            return Err(StorageError::InjectedPinFailure { kind });
        }
        self.next_pin += 1;
        let id = PinId::new(self.next_pin);
        self.pins.insert(id, (kind, at));
        self.accounting.taken += 1;
        Ok(id)
    }

    fn give_back(&mut self, id: PinId, kind: PinKind) {
        let held = self.pins.remove(&id);
        assert_eq!(
            held.map(|(held, _)| held),
            Some(kind),
            "invariant broken: released {kind} pin {id} was not held"
        );
        self.accounting.released += 1;
    }
}

impl StorageAdapter for InMemoryStorage {
    fn retained_history(&self) -> Result<RetainedHistory, StorageError> {
        Ok(RetainedHistory::new(
            self.head,
            self.recycled_through,
            self.committed,
            self.checkpoint,
        )?)
    }

    fn pin_snapshot(&mut self, snapshot: Lsn) -> Result<SnapshotPin, StorageError> {
        let available = self.checkpoint
            == Some(Checkpoint {
                lsn: snapshot,
                trust: CheckpointTrust::Trusted,
            });
        if !available && !self.injected_failures.contains(&PinKind::Snapshot) {
            return Err(StorageError::NoSnapshot {
                requested: snapshot,
            });
        }
        Ok(SnapshotPin::new(
            self.take_pin(PinKind::Snapshot, snapshot)?,
            snapshot,
        ))
    }

    fn release_snapshot(&mut self, pin: SnapshotPin) {
        self.give_back(pin.id(), PinKind::Snapshot);
    }

    fn pin_wal_retention(&mut self, after: Lsn) -> Result<RetentionPin, StorageError> {
        if after < self.recycled_through && !self.injected_failures.contains(&PinKind::Wal) {
            return Err(StorageError::Recycled {
                from: after,
                recycled_through: self.recycled_through,
            });
        }
        Ok(RetentionPin::new(
            self.take_pin(PinKind::Wal, after)?,
            after,
        ))
    }

    fn release_wal_retention(&mut self, pin: RetentionPin) {
        self.give_back(pin.id(), PinKind::Wal);
    }

    fn pin_full_base(&mut self, committed: Lsn) -> Result<FullBasePin, StorageError> {
        if committed > self.committed && !self.injected_failures.contains(&PinKind::FullBase) {
            return Err(StorageError::FullBaseUnavailable {
                requested: committed,
                committed: self.committed,
            });
        }
        Ok(FullBasePin::new(
            self.take_pin(PinKind::FullBase, committed)?,
            committed,
        ))
    }

    fn release_full_base(&mut self, pin: FullBasePin) {
        self.give_back(pin.id(), PinKind::FullBase);
    }
}

/// A replica reached through the IO ports: its own WAL store plus a frozen copy of the
/// primary it copies from. Each stream call copies at most `batch_max` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InMemoryReplica {
    /// The replica's WAL.
    pub wal: InMemoryStorage,
    /// The primary's store as of the start of the transfer.
    pub source: InMemoryStorage,
    /// Most entries copied per stream call. Invariant: at least 1.
    batch_max: u64,
    /// Every entry at or below this LSN has reached the replica's extent (truncating below it
    /// is unsafe).
    pub extent_applied: Lsn,
}

impl InMemoryReplica {
    /// A replica holding `wal`, copying from `source` in batches of `batch_max` (at least 1).
    pub fn new(wal: InMemoryStorage, source: InMemoryStorage, batch_max: u64) -> InMemoryReplica {
        InMemoryReplica {
            wal,
            source,
            batch_max: batch_max.max(1),
            extent_applied: Lsn::ZERO,
        }
    }

    fn copy(&mut self, range: LsnRange) -> Result<Lsn, IoError> {
        let batch_end =
            Lsn::new(range.after.get().saturating_add(self.batch_max)).min(range.through);
        let entries = self
            .source
            .entries(LsnRange::new(range.after, batch_end))
            .map_err(|_| IoError::Transport)?;
        for entry in entries {
            self.wal
                .append_entry(entry)
                .map_err(|_| IoError::Transport)?;
        }
        self.wal.flush(batch_end).map_err(|_| IoError::Transport)?;
        Ok(batch_end)
    }
}

impl CatchUpIo for InMemoryReplica {
    fn stream_wal_entries(&mut self, range: LsnRange) -> Result<Lsn, IoError> {
        self.copy(range)
    }

    fn truncate_wal(&mut self, to: Lsn) -> Result<(), IoError> {
        if to < self.extent_applied {
            return Err(IoError::TruncationUnsafe);
        }
        self.wal.truncate(to).map_err(|_| IoError::TruncationUnsafe)
    }
}

impl RebuildIo for InMemoryReplica {
    fn transfer_snapshot(&mut self, snapshot: Lsn) -> Result<(), IoError> {
        let available = self.source.checkpoint()
            == Some(Checkpoint {
                lsn: snapshot,
                trust: CheckpointTrust::Trusted,
            });
        if !available {
            return Err(IoError::Transport);
        }
        self.wal.install_base(snapshot);
        self.extent_applied = snapshot;
        Ok(())
    }

    fn transfer_full_base(&mut self, target: Lsn) -> Result<Lsn, IoError> {
        if target > self.source.committed() {
            return Err(IoError::Transport);
        }
        self.wal.install_base(target);
        self.extent_applied = target;
        Ok(target)
    }

    fn stream_wal_entries(&mut self, range: LsnRange) -> Result<Lsn, IoError> {
        self.copy(range)
    }
}

#[cfg(test)]
mod tests;
