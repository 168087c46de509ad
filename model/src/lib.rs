//! The sw-block V2 WAL-replication recovery and promotion protocol as a stateright actor model.
//!
//! # The protocol, as this model tells it
//!
//! A volume is one primary and a few replicas, plus a coordinator that owns the epoch and the
//! committed boundary C.
//!
//! 1. **Writes.** A client write takes the primary's next LSN, is durable on the primary at once,
//!    and is shipped to every replica the primary counts as in sync. A barrier asks a replica to
//!    flush and acknowledge; only acknowledged flushes count toward a commit (A8). When enough
//!    copies are durable for the commit mode, the primary proposes a new boundary and the
//!    coordinator records it for the current epoch: that record is the promise (C).
//! 2. **Fencing.** Every message carries its sender's epoch. A node fences older epochs, waits
//!    for newer ones until the coordinator's word arrives, and never accepts traffic addressed to
//!    an endpoint it has left (A3, A10).
//! 3. **Failover.** A lease expiry (a fault) bumps the epoch. Every node adopts it, which fences
//!    the old primary, and reports its lineage. The coordinator promotes the first eligible
//!    answer: its recoverable LSN reaches C and its entry at C is the committed one (lineage
//!    first, A9). The new primary truncates its log to C, so an uncommitted tail of an ended
//!    epoch can never be committed (A2), and opens a recovery session with every replica.
//! 4. **Recovery.** A session's handshake compares the replica's durable epoch history with the
//!    primary's log: equal is a zero gap; a divergent or ahead tail is truncated (T9); a gap in
//!    retained history is replayed toward a frozen target under a reservation and a round
//!    budget (A4, A5, A6); a gap below retention, a lost reservation, a timeout or a spent budget
//!    escalates to NeedsRebuild, and the coordinator's rebuild intent installs a snapshot at the
//!    checkpoint plus the tail, or a full base cut at C (A7).
//! 5. **Restarts and moves.** A crash loses what was not flushed. A restarted or moved node asks
//!    the coordinator for its role; the coordinator refreshes its endpoint cache and sends the
//!    primary a recovery intent at the new endpoint, which invalidates the old session (A10).
//!
//! # Layout
//! `cfg` every bound; `wal` a node's log; `msg` the one message enum; `coordinator`, `primary`,
//! `replica` one module per role (`node` the shared node state); `policy` the V1 / V1.5 / V2
//! decision points and the test mutants; `history` the ghost history that properties read and
//! actors never do; `system` the actor model, partitions, fault budgets and symmetry; `trace`
//! readable actions and states; `events` the protocol events a step shows and `witness` the
//! scenario witnesses matched over them.
//!
//! # The decision a reviewer will question first
//! Faults are bounded (crashes, moves, lease expiries, partitions, slow-path timeouts); the
//! protocol's own recovery steps never are. That makes every state the model reaches one the real
//! protocol can reach with at most that many faults, and nothing the protocol does is cut short.
#![deny(missing_docs)]

pub mod cfg;
pub mod coordinator;
pub mod deadline;
pub mod endpoints;
pub mod events;
pub mod guard;
pub mod history;
pub mod msg;
pub mod node;
pub mod policy;
pub mod primary;
pub mod reduction;
pub mod replica;
pub mod symmetry;
pub mod system;
pub mod trace;
pub mod wal;
pub mod witness;

pub use cfg::{
    CommitMode, Config, ConfigError, FencedTraffic, MessageDuplication, MessageLoss,
    ProtocolVersion,
};
pub use policy::{Mutant, Policy};
pub use system::{Action, State, SwbModel};

use stateright::actor::Id;

/// The coordinator's actor id (always index 0).
pub fn coordinator_id() -> Id {
    Id::from(0)
}

/// The configuration as the actors read it: small, `Copy`, with the derived figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The version's decision points.
    pub policy: Policy,
    /// The broken rule under test, if any.
    pub mutant: Option<Mutant>,
    /// A second broken rule (only with `mutant`): the guard that masks it, removed too.
    pub masking_mutant: Option<Mutant>,
    /// Storage nodes.
    pub node_count: u8,
    /// The highest LSN a client write may take.
    pub writes_max: u8,
    /// Address changes per node.
    pub address_changes_max: u8,
    /// Lease expiries at the coordinator.
    pub lease_expiries_max: u8,
    /// Catch-up rounds per session.
    pub catch_up_rounds_max: u8,
    /// Entries per catch-up chunk.
    pub catch_up_batch: u8,
    /// Durable copies a commit needs.
    pub durable_copies_required: u8,
    /// WAL entries kept behind the head when recycling.
    pub retention_entries: u8,
    /// The scenario witnesses the ghost matches (none by default).
    pub witnesses: witness::Patterns,
    /// Whether the network loses messages: on a lossy network a node answers a repeated request
    /// again, since its first answer may be the one that was lost (`deadline`, D42).
    pub message_loss: MessageLoss,
}

impl Params {
    /// The actors' view of a configuration.
    pub fn from_config(config: &Config) -> Params {
        Params {
            policy: Policy::of(config.protocol),
            mutant: config.mutant,
            masking_mutant: config.masking_mutant,
            node_count: config.nodes,
            writes_max: config.writes_max,
            address_changes_max: config.address_changes_max,
            lease_expiries_max: config.lease_expiries_max,
            catch_up_rounds_max: config.catch_up_rounds_max,
            catch_up_batch: config.catch_up_batch,
            durable_copies_required: config.durable_copies_required(),
            retention_entries: config.retention_entries,
            // `Config::validate` refuses a pattern that does not compile; an unvalidated one is
            // matched as no pattern at all rather than half of one.
            witnesses: witness::Patterns::compile(&config.witnesses).unwrap_or_default(),
            message_loss: config.message_loss,
        }
    }

    /// True on a network that may lose messages.
    pub fn is_lossy(&self) -> bool {
        self.message_loss == MessageLoss::Lossy
    }

    /// True when the broken rule `mutant` is on.
    pub fn has(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant) || self.masking_mutant == Some(mutant)
    }

    /// The coordinator plus every node.
    pub fn actor_count(&self) -> usize {
        1 + usize::from(self.node_count)
    }

    /// The node that serves at time zero.
    pub fn initial_primary(&self) -> Id {
        Id::from(1)
    }

    /// True when `id` is a storage node.
    pub fn is_node(&self, id: Id) -> bool {
        let index = usize::from(id);
        index >= 1 && index <= usize::from(self.node_count)
    }

    /// Every storage node, lowest id first.
    pub fn nodes(&self) -> impl Iterator<Item = Id> {
        (1..=usize::from(self.node_count)).map(Id::from)
    }
}
