//! Symmetry reduction: storage nodes are interchangeable, so states that differ only by a
//! renaming of nodes are explored once.
//!
//! stateright's `ActorModelState::representative` sorts actor states and renames every id it can
//! see, but it copies timers unchanged. Our per-replica timers name a replica, so the model
//! supplies its own representative (`representative` below), which renames timer ids too.

use stateright::actor::Id;
use stateright::RewritePlan;
use std::hash::{Hash, Hasher};

/// Moves each per-actor value of a fixed array (longer than the actor count) to its actor's new
/// index: `out[plan(i)] = values[i]`. Slots past the last actor must hold `T::default()` (the
/// plan cannot rename them), so only non-default values move; every default slot is already
/// where it belongs.
pub fn permute_array<T: Copy + Default + PartialEq, S, const N: usize>(
    plan: &RewritePlan<Id, S>,
    values: &[T; N],
) -> [T; N] {
    let mut out = [T::default(); N];
    for (index, value) in values.iter().enumerate() {
        if *value != T::default() {
            out[usize::from(plan.rewrite(&Id::from(index)))] = *value;
        }
    }
    out
}

/// The tie-breaking hash of a candidate representative: the same on every run, every thread and
/// every machine (no random keys, no CPU-dependent code path), so the representative chosen for a
/// class, and hence every trace, is reproducible.
pub fn stable_hash<T: Hash>(value: &T) -> u64 {
    let mut hasher = CandidateHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A word-at-a-time multiplicative hasher (the Fx scheme) with a final avalanche. It only breaks
/// ties among at most `NODES_MAX!` rewritings of one state, so speed matters more than
/// resistance to crafted input; SipHash here cost a third of the whole search.
#[derive(Default)]
struct CandidateHasher {
    hash: u64,
}

impl CandidateHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for CandidateHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        // splitmix64's finaliser: every input bit reaches every output bit.
        let mut z = self.hash;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
