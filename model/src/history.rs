//! The ghost history: what the properties read and the actors never do.
//!
//! Auxiliary variables in the TLA sense. The model updates them after every step from the step
//! itself (the state before, the action, the state after), so the properties can judge rules
//! about transitions ("a fenced message changed nothing") as plain predicates over one state.
//! It also carries the fault budgets the environment has spent and the network partition.
//!
//! The reference oracle `Ref(l)` is the committed lineage: slot `l` names the writer epoch of the
//! entry the coordinator committed at `l` (PROTOCOL.md §1.10, made lineage-aware as §8.4 asks: a
//! write that was never committed is not part of `Ref`, whatever LSN it was allocated).

use crate::cfg::ACTORS_MAX;
use crate::wal::Slots;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use stateright::{Rewrite, RewritePlan};
use std::hash::{Hash, Hasher};
use swb_engine::types::{Epoch, Lsn};

/// A set of client writes `(lsn, writer epoch)`, as a bit set (LSN ≤ 6, epoch ≤ 4).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct WriteSet(u32);

/// The most epochs a run can reach (1 + the lease expiry bound).
pub const EPOCHS_MAX: u64 = 4;

impl WriteSet {
    fn bit(lsn: Lsn, epoch: Epoch) -> u32 {
        assert!(
            lsn.get() >= 1 && epoch.get() >= 1 && epoch.get() <= EPOCHS_MAX,
            "write ({lsn}, {epoch}) outside the ghost's range"
        );
        1 << ((lsn.get() - 1) * EPOCHS_MAX + (epoch.get() - 1))
    }

    /// Adds a write.
    pub fn insert(&mut self, lsn: Lsn, epoch: Epoch) {
        self.0 |= WriteSet::bit(lsn, epoch);
    }

    /// True when the set holds the write.
    pub fn contains(&self, lsn: Lsn, epoch: Epoch) -> bool {
        self.0 & WriteSet::bit(lsn, epoch) != 0
    }

    /// How many writes the set holds.
    pub fn len(&self) -> u32 {
        self.0.count_ones()
    }

    /// True when the set holds no write.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The writes, by LSN then epoch: the set bits, lowest first (a property reads this on
    /// every state, so it visits only the bits that are set).
    pub fn iter(&self) -> impl Iterator<Item = (Lsn, Epoch)> + '_ {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = u64::from(bits.trailing_zeros());
            bits &= bits - 1;
            Some((
                Lsn::new(index / EPOCHS_MAX + 1),
                Epoch::new(index % EPOCHS_MAX + 1),
            ))
        })
    }
}

/// Events a `sometimes` property needs to have seen at least once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Witness {
    /// A stale-epoch message was fenced (consumed without effect).
    FencedStaleMessage,
    /// A catch-up session brought a replica back to the live stream.
    CatchUpCompleted,
    /// A replica's divergent or ahead tail was truncated.
    Truncation,
    /// A replica installed a snapshot + tail rebuild.
    SnapshotTailRebuild,
    /// A replica installed a full-base rebuild.
    FullBaseRebuild,
    /// A catch-up over its round budget escalated to NeedsRebuild.
    BudgetEscalation,
}

/// Rules about transitions that a step broke (each one is what an `always` property forbids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Breach {
    /// A message stamped with an older epoch than its receiver's changed the receiver (A3).
    StaleTrafficChangedState,
    /// A message addressed to a replica's old endpoint changed the replica (A10).
    StaleEndpointAccepted,
    /// The coordinator promoted a node that was not eligible (A9).
    IneligiblePromotion,
    /// A barrier ack that arrived after its barrier expired was counted (A11).
    LateAckCounted,
    /// A node's epoch went back (A3: a node holds the newest epoch it adopted).
    EpochRegressed,
    /// A sender's endpoint changed while its session kept running (T8, §2.6).
    SessionKeptAcrossEndpointChange,
    /// A recovery (a handshake or a rebuild) started under the sender's previous session id
    /// (T7, §3.8).
    SessionReused,
    /// A replica was put in the live stream below the primary's head, or holding entries the
    /// primary does not (T3, T9: completion only at the target, after truncation).
    AdmittedBehindOrAhead,
    /// A primary's confirmed boundary went back within its office (A1, T1).
    ConfirmedBoundaryRegressed,
    /// The coordinator's endpoint cache went back to an older endpoint version (§2.6).
    EndpointCacheRegressed,
    /// A catch-up timeout fired and the session kept catching up (A5, T4).
    TimedOutCatchUpKeptChasing,
    /// The flusher recycled history inside the retention window behind the head (§6.5).
    RecycledInsideWindow,
    /// A client write was shipped to a replica outside the live stream (§2.3).
    LiveWriteOutsideLiveStream,
    /// A primary acted on a recovery intent but kept addressing the replica elsewhere (T8).
    IntentEndpointIgnored,
    /// The coordinator learned a newer endpoint while a primary served and sent it no recovery
    /// intent (§2.6, V2's rejoin policy).
    RejoinWithoutIntent,
}

/// A small set of enum values, as bits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Flags(u16);

impl Flags {
    /// Adds a flag (its discriminant).
    pub fn insert(&mut self, flag: u16) {
        self.0 |= 1 << flag;
    }

    /// Removes a flag (its discriminant).
    pub fn remove(&mut self, flag: u16) {
        self.0 &= !(1 << flag);
    }

    /// True when the flag is set.
    pub fn contains(&self, flag: u16) -> bool {
        self.0 & (1 << flag) != 0
    }
}

/// Faults the environment has spent so far (each bounded by the configuration).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FaultsUsed {
    /// Node crashes.
    pub crashes: u8,
    /// Partitions (a node isolated from everyone).
    pub partitions: u8,
    /// Barrier and catch-up timeouts that acted.
    pub timeouts: u8,
    /// Replicas that restarted at a new address.
    pub moves: u8,
    /// Lease expiries at the coordinator.
    pub lease_expiries: u8,
}

impl FaultsUsed {
    /// Faults of every kind spent so far.
    pub fn total(&self) -> u8 {
        self.crashes + self.partitions + self.timeouts + self.moves + self.lease_expiries
    }
}

/// The ghost history. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ghost {
    /// `Ref`: the committed lineage through `committed_high`.
    pub lineage: Slots,
    /// The highest committed boundary the coordinator ever recorded.
    pub committed_high: Lsn,
    /// Every client write the primaries issued.
    pub issued: WriteSet,
    /// Writes that were not committed when their epoch ended: they must never be committed.
    pub orphaned: WriteSet,
    /// Per actor index: LSNs (bit `l`) whose barrier expired at a primary (a witness only).
    pub expired_barriers: [u8; ACTORS_MAX],
    /// Per actor index: true while a partition cuts the node off from every other actor.
    pub isolated: [bool; ACTORS_MAX],
    /// Faults spent.
    pub faults: FaultsUsed,
    /// [`Witness`]es seen.
    pub witnessed: Flags,
    /// [`Breach`]es seen.
    pub breaches: Flags,
    /// How far the run has matched each scenario witness (`witness.rs`); all zeros, always,
    /// when the configuration names none.
    pub scenario: crate::witness::Progress,
    /// Zero in every state the model reaches. Only the symmetry stand-in sets it: stateright
    /// fingerprints a class through an otherwise empty state carrying the class's digest here
    /// (`symmetry::class_stand_in`).
    #[serde(skip)]
    pub class_digest: u64,
}

/// Every field, as `derive(Hash)` would hash them, with one exception: the symmetry stand-in
/// (a nonzero `class_digest`, which no reachable state has) hashes its digest alone. stateright
/// fingerprints a stand-in for every state it generates, and the digest already covers the
/// whole class, so hashing the stand-in's other, default fields again was work for nothing.
/// Equal ghosts still hash alike: they take the same branch. The fields come from
/// `hashed_parts`, whose destructuring names every one, so a new field cannot be left out
/// unnoticed.
impl Hash for Ghost {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.class_digest != 0 {
            self.class_digest.hash(state);
            return;
        }
        let (first, second, third) = self.hashed_parts();
        first.hash(state);
        second.hash(state);
        third.hash(state);
    }
}

/// The ghost's fields but the class digest, in three groups, in declaration order (tuples hash
/// their members in order, so hashing the groups in turn writes what hashing the fields does).
type HashedParts<'a> = (
    (&'a Slots, &'a Lsn, &'a WriteSet, &'a WriteSet),
    (&'a [u8; ACTORS_MAX], &'a [bool; ACTORS_MAX], &'a FaultsUsed),
    (&'a Flags, &'a Flags, &'a crate::witness::Progress),
);

impl Ghost {
    /// Every field but the class digest, in three groups: `Hash` writes them in turn, and the
    /// symmetry digest hashes each group with a hasher of its own (D107). The destructuring
    /// names every field, so a new field cannot be left out unnoticed.
    pub fn hashed_parts(&self) -> HashedParts<'_> {
        let Ghost {
            lineage,
            committed_high,
            issued,
            orphaned,
            expired_barriers,
            isolated,
            faults,
            witnessed,
            breaches,
            scenario,
            class_digest: _,
        } = self;
        (
            (lineage, committed_high, issued, orphaned),
            (expired_barriers, isolated, faults),
            (witnessed, breaches, scenario),
        )
    }

    /// The ghost at time zero.
    pub fn new() -> Ghost {
        Ghost::default()
    }

    /// Records a witness.
    pub fn witness(&mut self, witness: Witness) {
        self.witnessed.insert(witness as u16);
    }

    /// Forgets a witness: for comparing states modulo when a witness was recorded (the
    /// fenced-traffic reduction records `FencedStaleMessage` when a message dies, D35).
    pub fn forget_witness(&mut self, witness: Witness) {
        self.witnessed.remove(witness as u16);
    }

    /// True when the witness was seen.
    pub fn has_witnessed(&self, witness: Witness) -> bool {
        self.witnessed.contains(witness as u16)
    }

    /// Records a breach.
    pub fn breach(&mut self, breach: Breach) {
        self.breaches.insert(breach as u16);
    }

    /// True when the breach was seen.
    pub fn has_breached(&self, breach: Breach) -> bool {
        self.breaches.contains(breach as u16)
    }

    /// True when the node is cut off by a partition.
    pub fn is_isolated(&self, node: Id) -> bool {
        self.isolated
            .get(usize::from(node))
            .copied()
            .unwrap_or(false)
    }

    /// `Ref(l)`'s entry at `lsn`: the writer epoch of the committed entry there.
    pub fn reference_at(&self, lsn: Lsn) -> Option<Epoch> {
        self.lineage.at(lsn)
    }
}

impl Rewrite<Id> for Ghost {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        Ghost {
            expired_barriers: crate::symmetry::permute_array(plan, &self.expired_barriers),
            isolated: crate::symmetry::permute_array(plan, &self.isolated),
            scenario: self.scenario.rewrite(plan),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `iter` lists exactly the writes `contains` holds, by LSN then epoch, for every set of
    /// writes of one LSN and a spread of sets across LSNs.
    #[test]
    fn write_set_iter_lists_what_it_contains_in_order() {
        let all: Vec<(Lsn, Epoch)> = (1..=crate::cfg::WAL_CAPACITY as u64)
            .flat_map(|lsn| (1..=EPOCHS_MAX).map(move |epoch| (Lsn::new(lsn), Epoch::new(epoch))))
            .collect();
        for pattern in [0u32, 1, 0b1010_0110, 0x00ff_0f0f, 0x00ff_ffff, 0x0080_0001] {
            let mut set = WriteSet::default();
            for (index, write) in all.iter().enumerate() {
                if pattern & (1 << index) != 0 {
                    set.insert(write.0, write.1);
                }
            }
            let expected: Vec<(Lsn, Epoch)> = all
                .iter()
                .copied()
                .filter(|(lsn, epoch)| set.contains(*lsn, *epoch))
                .collect();
            assert_eq!(set.iter().collect::<Vec<_>>(), expected, "{pattern:#x}");
        }
    }
}
