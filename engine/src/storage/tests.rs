//! In-memory storage rules: the clamp chain, pins holding back the tail, truncation floors.

use super::*;
use crate::fixtures::{lsn, primary};
use crate::history::CheckpointTrust::{Trusted, Untrusted};

#[test]
fn append_is_contiguous() {
    let mut storage = InMemoryStorage::new();
    assert_eq!(storage.append(Epoch::FIRST, 3), lsn(1));
    let entry = WalEntry {
        lsn: lsn(3),
        epoch: Epoch::FIRST,
        block: 0,
    };
    assert_eq!(
        storage.append_entry(entry),
        Err(StorageError::AppendOutOfOrder {
            expected: lsn(2),
            presented: lsn(3)
        })
    );
    assert_eq!(
        storage.append_entry(WalEntry {
            lsn: lsn(2),
            ..entry
        }),
        Ok(())
    );
    assert_eq!(storage.head(), lsn(2));
}

#[test]
fn boundaries_keep_the_clamp_chain() {
    let mut storage = primary(10, 5, None, 0);
    assert_eq!(
        storage.flush(lsn(11)),
        Err(StorageError::BeyondBound {
            bound: lsn(10),
            presented: lsn(11)
        })
    );
    assert_eq!(
        storage.commit(lsn(4)),
        Err(StorageError::Regression {
            current: lsn(5),
            presented: lsn(4)
        })
    );
    assert_eq!(storage.commit(lsn(10)), Ok(()));
    assert_eq!(
        storage.checkpoint_at(lsn(11), Trusted),
        Err(StorageError::BeyondBound {
            bound: lsn(10),
            presented: lsn(11)
        })
    );
    assert_eq!(
        storage.advance_tail(lsn(11)),
        Err(StorageError::BeyondBound {
            bound: lsn(10),
            presented: lsn(11)
        })
    );
}

#[test]
fn advance_tail_recycles_and_refuses_past_pins() {
    let mut storage = primary(10, 10, None, 0);
    let pin = storage.pin_wal_retention(lsn(4));
    let Ok(pin) = pin else { panic!("{pin:?}") };
    assert_eq!(
        storage.advance_tail(lsn(5)),
        Err(StorageError::TailPinned {
            requested: lsn(5),
            pinned_after: lsn(4)
        })
    );
    assert_eq!(storage.advance_tail(lsn(4)), Ok(()));
    assert_eq!(
        storage.entries(LsnRange::new(lsn(3), lsn(10))),
        Err(StorageError::Recycled {
            from: lsn(3),
            recycled_through: lsn(4)
        })
    );
    assert_eq!(
        storage
            .entries(LsnRange::new(lsn(4), lsn(6)))
            .map(|entries| entries.len()),
        Ok(2)
    );
    pin.release(&mut storage);
    assert_eq!(storage.advance_tail(lsn(10)), Ok(()));
    assert_eq!(
        storage.pin_accounting(),
        PinAccounting {
            taken: 1,
            released: 1
        }
    );
}

#[test]
fn pins_are_refused_when_the_resource_is_gone() {
    let mut storage = primary(10, 8, Some((6, Untrusted)), 5);
    assert_eq!(
        storage.pin_wal_retention(lsn(4)).err(),
        Some(StorageError::Recycled {
            from: lsn(4),
            recycled_through: lsn(5)
        })
    );
    assert_eq!(
        storage.pin_snapshot(lsn(6)).err(),
        Some(StorageError::NoSnapshot { requested: lsn(6) })
    );
    assert_eq!(
        storage.pin_full_base(lsn(9)).err(),
        Some(StorageError::FullBaseUnavailable {
            requested: lsn(9),
            committed: lsn(8)
        })
    );
    assert_eq!(storage.checkpoint_at(lsn(7), Trusted), Ok(()));
    let pinned = storage.pin_snapshot(lsn(7));
    let Ok(pinned) = pinned else {
        panic!("{pinned:?}")
    };
    assert_eq!(
        storage.checkpoint_at(lsn(8), Trusted),
        Err(StorageError::SnapshotPinned { pinned: lsn(7) })
    );
    pinned.release(&mut storage);
    assert_eq!(storage.checkpoint_at(lsn(8), Trusted), Ok(()));
}

#[test]
fn truncate_drops_divergent_tail_but_not_below_floor() {
    let mut storage = primary(10, 6, None, 2);
    assert_eq!(
        storage.truncate(lsn(5)),
        Err(StorageError::TruncateBelowFloor {
            requested: lsn(5),
            floor: lsn(6)
        })
    );
    assert_eq!(
        storage.truncate(lsn(11)),
        Err(StorageError::BeyondBound {
            bound: lsn(10),
            presented: lsn(11)
        })
    );
    // Truncating to the head itself drops nothing and is accepted.
    assert_eq!(storage.truncate(lsn(10)), Ok(()));
    assert_eq!(storage.head(), lsn(10));
    assert_eq!(storage.truncate(lsn(6)), Ok(()));
    assert_eq!((storage.head(), storage.flushed()), (lsn(6), lsn(6)));
    assert_eq!(storage.append(Epoch::new(2), 0), lsn(7));
}

#[test]
fn retained_history_reflects_the_store() {
    let storage = primary(100, 90, Some((50, Trusted)), 30);
    let expected = RetainedHistory::new(
        lsn(100),
        lsn(30),
        lsn(90),
        Some(Checkpoint {
            lsn: lsn(50),
            trust: Trusted,
        }),
    );
    assert_eq!(
        storage.retained_history(),
        expected.map_err(StorageError::from)
    );
}

#[test]
fn injected_pin_failure_fires_once() {
    let mut storage = primary(10, 10, None, 0);
    storage.inject_pin_failure(PinKind::Wal);
    assert_eq!(
        storage.pin_wal_retention(lsn(0)).err(),
        Some(StorageError::InjectedPinFailure { kind: PinKind::Wal })
    );
    let pin = storage.pin_wal_retention(lsn(0));
    let Ok(pin) = pin else { panic!("{pin:?}") };
    pin.release(&mut storage);
}

#[test]
fn appends_keep_the_lineage_known_and_a_base_image_hides_it_table() {
    // Goal: §18 (handshake by identity), the store knows the writer epoch of every entry it
    // wrote itself; a base image above 0 carries no identity (lineage unknown) and is its
    // trusted checkpoint, while an empty image at 0 hides nothing and is no checkpoint.
    let mut storage = InMemoryStorage::new();
    storage.append(Epoch::FIRST, 7);
    assert_eq!(
        storage
            .lineage()
            .and_then(|lineage| lineage.epoch_at(lsn(1))),
        Some(Epoch::FIRST)
    );
    let trusted = |at| Checkpoint {
        lsn: lsn(at),
        trust: Trusted,
    };
    let rows = [(0, Some(Lineage::new()), None), (4, None, Some(trusted(4)))];
    for (at, lineage, checkpoint) in rows {
        let mut storage = InMemoryStorage::new();
        storage.install_base(lsn(at));
        assert_eq!(storage.lineage().cloned(), lineage, "base at {at}");
        assert_eq!(storage.checkpoint(), checkpoint, "base at {at}");
    }
}

#[test]
fn a_replica_takes_a_full_base_only_up_to_the_committed_lsn() {
    // Goal: §7.6 — a full base is cut at or below the source's committed LSN; past it the
    // transfer fails rather than installing uncommitted entries.
    let source = primary(10, 6, None, 0);
    let mut replica = InMemoryReplica::new(InMemoryStorage::new(), source, 4);
    assert_eq!(
        replica.transfer_full_base(lsn(7)),
        Err(crate::error::IoError::Transport)
    );
    assert_eq!(replica.transfer_full_base(lsn(5)), Ok(lsn(5)));
    assert_eq!(replica.transfer_full_base(lsn(6)), Ok(lsn(6)));
}
