//! Patched (swb-check): the DFS checker's set of generated fingerprints.
//!
//! A fingerprint's slot is a cache miss once the set outgrows the caches, paid once per generated
//! state. `DashSet` pays it twice (a control byte, then the bucket, in two arrays) behind a shard
//! lock, and a lock is a full barrier, so one lookup's miss cannot overlap the next's. This set
//! keeps the fingerprints themselves in one open-addressed array per shard (a lookup reads one
//! cache line, rarely two), and [`FingerprintSet::prefetch`] asks for that line without a lock, so
//! the DFS loop can request it while it builds the state's other successors.

use crate::Fingerprint;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Shards are chosen by a fingerprint's top bits; its other bits place it in the shard. 64 shards
/// keep a resize short (it moves a sixty-fourth of the set) and two threads rarely on one lock.
const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;
/// Slots per shard before the first insert: small, so a small search allocates little.
const SLOTS_INITIAL: usize = 64;
/// A shard grows (by half) when more than 3/4 of its slots are taken. Linear probing then reads
/// at most about 8 slots on average for a fingerprint that is absent (one or two cache lines),
/// and growing by half rather than doubling keeps the array between 50% and 75% full: 11 to 16
/// bytes per fingerprint.
const LOAD_NUMERATOR: usize = 3;
const LOAD_DENOMINATOR: usize = 4;

pub(crate) struct FingerprintSet {
    shards: Box<[Shard]>,
}

/// A shard on a cache line of its own, so that two threads' locks do not share one.
#[repr(align(64))]
struct Shard {
    table: Mutex<Table>,
    /// The table's slots and their count, for `prefetch` only. Written under the lock when the
    /// table is replaced and read without it, so a reader may pair an old pointer with a new
    /// length: it then prefetches a useless address, which is harmless (a prefetch never faults
    /// and never dereferences in Rust's sense).
    slots: AtomicPtr<u64>,
    capacity: AtomicUsize,
}

/// Open addressing with linear probing. A slot holds a fingerprint, or 0 when it is free (a
/// fingerprint is never 0).
struct Table {
    slots: Box<[u64]>,
    len: usize,
}

impl FingerprintSet {
    pub(crate) fn new() -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                let mut table = Table {
                    slots: vec![0; SLOTS_INITIAL].into_boxed_slice(),
                    len: 0,
                };
                Shard {
                    slots: AtomicPtr::new(table.slots.as_mut_ptr()),
                    capacity: AtomicUsize::new(SLOTS_INITIAL),
                    table: Mutex::new(table),
                }
            })
            .collect();
        FingerprintSet { shards }
    }

    /// Adds `fingerprint`; true if it was not in the set.
    pub(crate) fn insert(&self, fingerprint: Fingerprint) -> bool {
        let key = fingerprint.get();
        let shard = &self.shards[shard_of(key)];
        let mut table = shard.table.lock();
        if !table.insert(key) {
            return false;
        }
        if table.len * LOAD_DENOMINATOR > table.slots.len() * LOAD_NUMERATOR {
            table.grow();
            shard
                .slots
                .store(table.slots.as_mut_ptr(), Ordering::Relaxed);
            shard.capacity.store(table.slots.len(), Ordering::Relaxed);
        }
        true
    }

    /// Asks the processor to bring `fingerprint`'s slot into the cache, for an `insert` that
    /// follows. A hint only: it changes no result.
    #[inline]
    pub(crate) fn prefetch(&self, fingerprint: Fingerprint) {
        let key = fingerprint.get();
        let shard = &self.shards[shard_of(key)];
        let slots = shard.slots.load(Ordering::Relaxed);
        let capacity = shard.capacity.load(Ordering::Relaxed);
        let address = slots.wrapping_add(home_of(key, capacity));
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch reads nothing in the program's sense and never faults, whatever the
        // address; SSE, which provides it, is part of every x86-64 processor.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                address as *const i8,
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = address;
    }

    /// How many fingerprints the set holds. Locks every shard in turn: for reports, not loops.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.table.lock().len).sum()
    }
}

impl Table {
    fn insert(&mut self, key: u64) -> bool {
        let capacity = self.slots.len();
        let mut index = home_of(key, capacity);
        loop {
            match self.slots[index] {
                0 => break,
                slot if slot == key => return false,
                _ => index = if index + 1 == capacity { 0 } else { index + 1 },
            }
        }
        self.slots[index] = key;
        self.len += 1;
        true
    }

    fn grow(&mut self) {
        let capacity = self.slots.len() + self.slots.len() / 2;
        let old = std::mem::replace(&mut self.slots, vec![0; capacity].into_boxed_slice());
        self.len = 0;
        for key in old.iter().copied().filter(|key| *key != 0) {
            self.insert(key);
        }
    }
}

fn shard_of(key: u64) -> usize {
    (key >> (u64::BITS - SHARD_BITS)) as usize
}

/// The first slot probed for `key` in a table of `capacity` slots: the key's bits below the
/// shard bits, scaled to the capacity (a multiply, not a modulo, so any capacity works).
fn home_of(key: u64, capacity: usize) -> usize {
    let below_shard_bits = key << SHARD_BITS;
    ((u128::from(below_shard_bits) * capacity as u128) >> u64::BITS) as usize
}

#[cfg(test)]
mod test {
    use super::*;

    fn fingerprint(n: u64) -> Fingerprint {
        // Spreads small numbers over all bits, as a hash would: a multiply by an odd constant is
        // one-to-one, and only 0 maps to 0.
        Fingerprint::new((n + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)).unwrap()
    }

    #[test]
    fn inserts_each_fingerprint_once() {
        let set = FingerprintSet::new();
        for n in 0..100_000 {
            assert!(set.insert(fingerprint(n)), "{n} is new");
        }
        for n in 0..100_000 {
            set.prefetch(fingerprint(n));
            assert!(!set.insert(fingerprint(n)), "{n} was inserted");
        }
        assert_eq!(set.len(), 100_000);
    }

    #[test]
    fn two_threads_each_key_is_new_exactly_once() {
        // Both threads insert every key, so every shard grows while the other thread inserts
        // and prefetches; each key must be reported new to exactly one of them.
        let set = FingerprintSet::new();
        let news: Vec<Vec<u64>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2)
                .map(|worker| {
                    let set = &set;
                    scope.spawn(move || {
                        let mut new = Vec::new();
                        for n in 0..200_000u64 {
                            // The two threads walk the keys in opposite orders.
                            let n = if worker == 0 { n } else { 199_999 - n };
                            set.prefetch(fingerprint(n));
                            if set.insert(fingerprint(n)) {
                                new.push(n);
                            }
                        }
                        new
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut all: Vec<u64> = news.concat();
        all.sort_unstable();
        assert_eq!(all, (0..200_000).collect::<Vec<_>>());
        assert_eq!(set.len(), 200_000);
    }

    #[test]
    fn keys_that_share_a_home_slot_all_stay() {
        let set = FingerprintSet::new();
        // The same bits below the shard bits, in every shard, then colliding within one shard.
        let keys: Vec<u64> = (1..=SHARDS as u64)
            .map(|shard| (shard - 1) << (u64::BITS - SHARD_BITS) | 7)
            .chain((1..1_000).map(|n| 7 + (n << 20)))
            .collect();
        for key in &keys {
            assert!(set.insert(Fingerprint::new(*key).unwrap()));
        }
        for key in &keys {
            assert!(!set.insert(Fingerprint::new(*key).unwrap()));
        }
        assert_eq!(set.len(), keys.len());
    }
}
