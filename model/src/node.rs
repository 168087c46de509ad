//! A storage node: one actor type whose role is primary or replica.
//!
//! A node's state splits the way a real one does: `Disk` survives a crash (it is saved to
//! stateright's non-volatile storage on every change), everything else is rebuilt after a
//! restart from the coordinator's assignment. The role-specific rules live in `primary.rs` and
//! `replica.rs`; this module holds the shared nouns and the per-node actions that are not
//! messages (client writes, barriers, the flusher, address changes, timeouts).

use crate::cfg::ACTORS_MAX;
use crate::msg::{Msg, RebuildSource};
use crate::wal::Wal;
use crate::Params;
use serde::{Deserialize, Serialize};
use stateright::actor::{Id, Out};
use stateright::{Rewrite, RewritePlan};
use swb_engine::types::{EndpointVersion, Epoch, Lsn, SessionId};

/// What a node keeps across a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Disk {
    /// The newest epoch this node adopted. Traffic stamped with an older one is fenced.
    pub epoch: Epoch,
    /// The log. In a saved `Disk` only its durable part is kept.
    pub wal: Wal,
    /// The node's current address version. Traffic addressed to an older one never arrives.
    pub endpoint: EndpointVersion,
    /// The next recovery session id this node hands out as a primary. Durable, so a restarted
    /// primary never reuses an id whose replies may still be in flight.
    pub next_session: SessionId,
    /// The newest recovery session `(epoch, id)` this node took part in as a replica (it is
    /// recorded when the session's probe arrives). Durable, so a message of an older session,
    /// delayed or duplicated, can never apply after a newer one began.
    pub last_session: Option<(Epoch, SessionId)>,
    /// The session whose truncating first chunk this node applied. Durable, so a duplicated first
    /// chunk merges like any other instead of truncating a second time.
    pub last_truncation: Option<(Epoch, SessionId)>,
}

/// Why a sender gave up on catch-up (PROTOCOL.md §2.9, A5, A6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EscalationReason {
    /// The replica's gap starts below the retained history.
    GapBeyondRetention,
    /// The session spent its round budget chasing a moving head.
    BudgetExceeded,
    /// The catch-up timeout fired.
    CatchUpTimeout,
    /// The retained range the session needed was recycled (its reservation was lost).
    ReservationLost,
}

/// A catch-up in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CatchUp {
    /// The session.
    pub session: SessionId,
    /// The LSN the replica durably reached in this session.
    pub progress: Lsn,
    /// The frozen target of the current round. Invariant: `progress ≤ target`.
    pub target: Lsn,
    /// Rounds started in this session (1 for the first frozen target).
    pub rounds: u8,
    /// True until the first chunk, which truncates the replica's divergent or ahead tail.
    pub truncate: bool,
}

/// The primary's view of one replica: its recovery state and session (PROTOCOL.md §1.6, §1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SenderPhase {
    /// In the live stream: receives every write and barrier.
    InSync {
        /// The highest LSN the replica acknowledged as durable.
        acked: Lsn,
        /// The outstanding barrier, if any (at most one per replica).
        barrier: Option<Lsn>,
        /// The session that admitted the replica to the live stream (`None` from time zero).
        /// Barriers carry it and acks echo it, so an ack from before a recovery can never be
        /// taken for the ack of a newer barrier at the same LSN (A11).
        admitted_by: Option<SessionId>,
    },
    /// Out of the live stream, no session yet.
    Lagging,
    /// V1 only: left behind for good (no catch-up window).
    Degraded,
    /// A session's handshake is in flight.
    Connecting {
        /// The session.
        session: SessionId,
    },
    /// Replaying the replica's gap.
    CatchingUp(CatchUp),
    /// Catch-up is impossible or gave up; waiting for the coordinator's rebuild intent.
    NeedsRebuild {
        /// Why.
        reason: EscalationReason,
    },
    /// A rebuild is in flight.
    Rebuilding {
        /// The session.
        session: SessionId,
        /// The base chosen.
        source: RebuildSource,
        /// The LSN the rebuild reaches.
        target: Lsn,
    },
}

/// The primary's per-replica sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sender {
    /// The endpoint version the primary addresses this replica at (its endpoint cache entry).
    pub endpoint: EndpointVersion,
    /// The replica's recovery state.
    pub phase: SenderPhase,
}

impl Sender {
    /// The session this sender runs, if any.
    pub fn session(&self) -> Option<SessionId> {
        match self.phase {
            SenderPhase::Connecting { session } | SenderPhase::Rebuilding { session, .. } => {
                Some(session)
            }
            SenderPhase::CatchingUp(catch_up) => Some(catch_up.session),
            _ => None,
        }
    }
}

/// The primary's volatile state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PrimaryState {
    /// One sender per replica, by actor index (`None` for the coordinator's and this node's slot).
    pub senders: [Option<Sender>; ACTORS_MAX],
    /// The highest committed boundary this primary proposed to the coordinator.
    pub proposed: Lsn,
    /// The highest committed boundary the coordinator confirmed. Invariant: `committed ≤ proposed`.
    pub committed: Lsn,
}

impl PrimaryState {
    /// The sender of `replica`, if this primary has one.
    pub fn sender(&self, replica: Id) -> Option<Sender> {
        self.senders.get(usize::from(replica)).copied().flatten()
    }
}

/// What a node does now.
// States are `Copy` on purpose: cloning one never allocates, which keeps exploration fast. A
// boxed primary variant would trade that for a smaller `Joining`, which nothing needs.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Restarted: waits for the coordinator's assignment and handles nothing else.
    Joining,
    /// Replicates from the primary of its epoch.
    Replica,
    /// Serves writes and drives every replica's recovery.
    Primary(PrimaryState),
}

/// A storage node's whole state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeState {
    /// What survives a crash.
    pub disk: Disk,
    /// What the node does now (volatile).
    pub role: Role,
}

impl NodeState {
    /// The primary state, when this node serves.
    pub fn primary(&self) -> Option<&PrimaryState> {
        match &self.role {
            Role::Primary(primary) => Some(primary),
            _ => None,
        }
    }

    /// What a crash would leave: the disk with only the durable part of the log.
    pub fn durable(&self) -> Disk {
        Disk {
            wal: self.disk.wal.durable(),
            ..self.disk
        }
    }
}

/// A node's renaming is its role's: the disk names no actor (the digest relies on it, hashing a
/// renamed node's disk in place).
impl Rewrite<Id> for NodeState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        NodeState {
            disk: self.disk,
            role: self.role.rewrite(plan),
        }
    }
}

/// A primary keeps its senders by replica; the other roles name no actor.
impl Rewrite<Id> for Role {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            Role::Primary(primary) => Role::Primary(PrimaryState {
                senders: crate::symmetry::permute_array(plan, &primary.senders),
                ..*primary
            }),
            other => *other,
        }
    }
}

/// The non-message events of a node. Fault timers are bounded by the model (see `system.rs`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeTimer {
    /// A client write arrives at the primary.
    ClientWrite,
    /// A replica restarts at a new address (a fault).
    AddressChange,
    /// The barrier outstanding to this replica timed out (a fault: the network was slow).
    BarrierTimeout(Id),
    /// The catch-up of this replica timed out (a fault: the replica was slow).
    CatchUpTimeout(Id),
    // The recovery deadlines (`deadline.rs`, decisions D40..D44). Protocol steps, not faults:
    // never armed in stateright's timer set; the model offers a firing exactly when its guard
    // holds (the awaited exchange is gone from the network).
    /// The handshake with this replica is overdue: the probe is sent again (connect deadline).
    HandshakeDeadline(Id),
    /// The catch-up chunk to this replica is overdue: the same chunk is sent again.
    CatchUpChunkDeadline(Id),
    /// The rebuild of this replica is overdue (rebuild-too-slow): the same rebuild is sent again.
    RebuildDeadline(Id),
    /// The coordinator has not answered this replica's NeedsRebuild: the intent is asked again.
    RebuildIntentRetry(Id),
    /// The live write at this LSN, under this replica's outstanding barrier, is overdue: it is
    /// sent again.
    BarrierRetry(Id, Lsn),
    /// The coordinator has not confirmed the proposed committed boundary: it is proposed again.
    CommitReportRetry,
    /// A restarted node heard no assignment: it reports its address again.
    HeartbeatRetry,
}

impl NodeTimer {
    /// Renames the replica a per-replica timer names (symmetry).
    pub fn rewrite_ids<S>(&self, plan: &RewritePlan<Id, S>) -> NodeTimer {
        match self {
            NodeTimer::BarrierTimeout(id) => NodeTimer::BarrierTimeout(plan.rewrite(id)),
            NodeTimer::CatchUpTimeout(id) => NodeTimer::CatchUpTimeout(plan.rewrite(id)),
            NodeTimer::HandshakeDeadline(id) => NodeTimer::HandshakeDeadline(plan.rewrite(id)),
            NodeTimer::CatchUpChunkDeadline(id) => {
                NodeTimer::CatchUpChunkDeadline(plan.rewrite(id))
            }
            NodeTimer::RebuildDeadline(id) => NodeTimer::RebuildDeadline(plan.rewrite(id)),
            NodeTimer::RebuildIntentRetry(id) => NodeTimer::RebuildIntentRetry(plan.rewrite(id)),
            NodeTimer::BarrierRetry(id, lsn) => NodeTimer::BarrierRetry(plan.rewrite(id), *lsn),
            other => other.clone(),
        }
    }

    /// True for the timers that stay armed for the node's whole life (while it is up): they fire
    /// whenever their guard holds, and a firing that changes nothing is refused. They are
    /// offered as actions rather than kept in stateright's timer set (`system::standing_timers`,
    /// D102).
    pub fn is_periodic(&self) -> bool {
        matches!(self, NodeTimer::ClientWrite | NodeTimer::AddressChange)
    }

    /// True for the timers whose firing is a bounded fault.
    pub fn is_timeout_fault(&self) -> bool {
        matches!(
            self,
            NodeTimer::BarrierTimeout(_) | NodeTimer::CatchUpTimeout(_)
        )
    }
}

/// What a handler decided about an event.
pub enum Effect<T> {
    /// The event does not apply yet: leave the message in flight (stateright prunes the step).
    Wait,
    /// The event is consumed and changes nothing (a fenced, duplicate or stale message).
    Drop,
    /// The event produced this new state.
    Update(T),
}

/// The shape of every handler: the current node, and room for messages to send.
pub type NodeOut = Out<crate::system::SwbActor>;

/// The endpoint version of a node's first address.
pub const FIRST_ENDPOINT: EndpointVersion = EndpointVersion::FIRST;

/// A fresh node as configured at time zero.
pub fn initial_node(params: &Params, id: Id) -> NodeState {
    let disk = Disk {
        epoch: Epoch::FIRST,
        wal: Wal::default(),
        endpoint: FIRST_ENDPOINT,
        next_session: SessionId::FIRST,
        last_session: None,
        last_truncation: None,
    };
    let role = if id == params.initial_primary() {
        Role::Primary(PrimaryState {
            senders: std::array::from_fn(|index| {
                let peer = Id::from(index);
                (params.is_node(peer) && peer != id).then_some(Sender {
                    endpoint: FIRST_ENDPOINT,
                    phase: SenderPhase::InSync {
                        acked: Lsn::ZERO,
                        barrier: None,
                        admitted_by: None,
                    },
                })
            }),
            proposed: Lsn::ZERO,
            committed: Lsn::ZERO,
        })
    } else {
        Role::Replica
    };
    NodeState { disk, role }
}

/// A node restarting from its durable disk: it knows nothing of the cluster until assigned.
pub fn restarted_node(disk: &Disk, o: &mut NodeOut) -> NodeState {
    o.send(
        crate::coordinator_id(),
        Msg::Heartbeat {
            epoch: disk.epoch,
            endpoint: disk.endpoint,
        },
    );
    NodeState {
        disk: *disk,
        role: Role::Joining,
    }
}

/// Handles a node's non-message event.
pub fn on_timer(
    params: &Params,
    node: &NodeState,
    timer: &NodeTimer,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    match timer {
        NodeTimer::ClientWrite => crate::primary::on_client_write(params, node, o),
        NodeTimer::BarrierTimeout(replica) => {
            crate::primary::on_barrier_timeout(params, node, *replica, o)
        }
        NodeTimer::CatchUpTimeout(replica) => {
            crate::primary::on_catch_up_timeout(params, node, *replica, o)
        }
        NodeTimer::AddressChange => on_address_change(params, node, o),
        NodeTimer::HandshakeDeadline(_)
        | NodeTimer::CatchUpChunkDeadline(_)
        | NodeTimer::RebuildDeadline(_)
        | NodeTimer::RebuildIntentRetry(_)
        | NodeTimer::BarrierRetry(..)
        | NodeTimer::CommitReportRetry
        | NodeTimer::HeartbeatRetry => crate::deadline::on_node_deadline(params, node, timer, o),
    }
}

/// A replica restarts at a new address: its endpoint version rises, its volatile log is lost,
/// and it asks the coordinator for its role (PROTOCOL.md §2.6).
fn on_address_change(params: &Params, node: &NodeState, o: &mut NodeOut) -> Effect<NodeState> {
    let moves_used = node.disk.endpoint.get() - FIRST_ENDPOINT.get();
    if node.primary().is_some() || moves_used >= u64::from(params.address_changes_max) {
        return Effect::Wait;
    }
    let mut disk = node.disk;
    disk.endpoint = disk.endpoint.next();
    disk.wal.crash();
    Effect::Update(restarted_node(&disk, o))
}
