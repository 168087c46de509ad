//! The file's own nouns for a step and a state: [`StepView`] and [`StateView`].
//!
//! stateright's `ActorModelAction` has no serde and its network maps do not serialise to JSON
//! (non-string keys), so a counterexample never stores model values directly. A view is a pure
//! projection of a model action or state, with actors named (`coordinator`, `n1`, ...) and every
//! list sorted, so the same state always gives the same bytes. The loader compares views, never
//! stateright action indices: a step is found again as the one enabled action whose view equals
//! the stored one.

use serde::{Deserialize, Serialize};
use stateright::actor::{ActorModelAction, Id};
use swb_engine::types::{EndpointVersion, Epoch, Lsn, SessionId};
use swb_model::history::{Breach, FaultsUsed, Ghost, Witness, WriteSet};
use swb_model::msg::Msg;
use swb_model::node::{NodeState, Role, SenderPhase};
use swb_model::system::{armed_timers, coordinator_of, nodes_of, Action, SwbTimer};
use swb_model::trace::{actor_name, describe_msg};
use swb_model::wal::{Slots, Wal};
use swb_model::{Params, State};

/// The actor name the file uses for steps the environment takes (drops, partitions).
pub const NETWORK: &str = "network";

/// One step, structured: what happened and to whom. Serialised externally tagged in
/// snake_case, e.g. `{"deliver": {"from": "n1", "to": "n3", "msg": {...}}}` or `{"crash": "n2"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepView {
    /// A message is delivered to its receiver, which handles it.
    Deliver {
        /// The sender.
        from: String,
        /// The receiver (the acting actor).
        to: String,
        /// The message.
        msg: Msg,
    },
    /// A lossy network drops a message in flight.
    Drop {
        /// The sender.
        from: String,
        /// The receiver it never reaches.
        to: String,
        /// The message.
        msg: Msg,
    },
    /// A timer fires at an actor.
    Timeout {
        /// The actor whose timer fires.
        actor: String,
        /// The timer.
        timer: SwbTimer,
    },
    /// A node crashes, losing its volatile state.
    Crash(String),
    /// A crashed node restarts from its durable storage.
    Recover(String),
    /// An actor makes a random choice (the protocol model has none; kept for completeness).
    SelectRandom {
        /// The actor.
        actor: String,
        /// The choice's key.
        key: String,
    },
    /// A partition cuts the node off from every other actor.
    Isolate(String),
    /// The node's partition heals.
    Heal(String),
}

impl StepView {
    /// The view of a model action.
    pub fn of(action: &Action) -> StepView {
        match action {
            Action::Actor(ActorModelAction::Deliver { src, dst, msg }) => StepView::Deliver {
                from: actor_name(*src),
                to: actor_name(*dst),
                msg: *msg,
            },
            Action::Actor(ActorModelAction::Drop(envelope)) => StepView::Drop {
                from: actor_name(envelope.src),
                to: actor_name(envelope.dst),
                msg: envelope.msg,
            },
            Action::Actor(ActorModelAction::Timeout(id, timer)) => StepView::Timeout {
                actor: actor_name(*id),
                timer: timer.clone(),
            },
            Action::Actor(ActorModelAction::Crash(id)) => StepView::Crash(actor_name(*id)),
            Action::Actor(ActorModelAction::Recover(id)) => StepView::Recover(actor_name(*id)),
            Action::Actor(ActorModelAction::SelectRandom { actor, key, .. }) => {
                StepView::SelectRandom {
                    actor: actor_name(*actor),
                    key: key.clone(),
                }
            }
            Action::Isolate(id) => StepView::Isolate(actor_name(*id)),
            Action::Heal(id) => StepView::Heal(actor_name(*id)),
        }
    }

    /// The actor that takes the step: the receiver of a delivery, the owner of a timer, the node
    /// that crashes or restarts; [`NETWORK`] for drops and partitions.
    pub fn actor(&self) -> &str {
        match self {
            StepView::Deliver { to, .. } => to,
            StepView::Timeout { actor, .. } | StepView::SelectRandom { actor, .. } => actor,
            StepView::Crash(node) | StepView::Recover(node) => node,
            StepView::Drop { .. } | StepView::Isolate(_) | StepView::Heal(_) => NETWORK,
        }
    }
}

/// The whole abstract state after a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateView {
    /// The coordinator.
    pub coordinator: CoordinatorView,
    /// Every storage node, `n1` first.
    pub nodes: Vec<NodeView>,
    /// Messages in flight, sorted by sender, receiver, then message (a message sent twice and
    /// not yet delivered appears twice).
    pub network: Vec<EnvelopeView>,
    /// The ghost history the properties read.
    pub ghost: GhostView,
}

/// The coordinator's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorView {
    /// The current epoch E.
    pub epoch: Epoch,
    /// The primary of E; `null` while an election is open.
    pub primary: Option<String>,
    /// The committed boundary C.
    pub committed: Lsn,
    /// The writer epoch of the entry at C.
    pub committed_epoch: Option<Epoch>,
    /// The endpoint cache, one entry per node it knows.
    pub endpoints: Vec<EndpointEntry>,
    /// Armed timers, sorted.
    pub timers: Vec<SwbTimer>,
}

/// One endpoint-cache entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointEntry {
    /// The node.
    pub node: String,
    /// The endpoint version the coordinator holds for it.
    pub endpoint: EndpointVersion,
}

/// One storage node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeView {
    /// `n1`, `n2`, ...
    pub name: String,
    /// True while crashed (the fields below are then its last state before the crash).
    pub crashed: bool,
    /// True while a partition cuts it off.
    pub isolated: bool,
    /// `primary`, `replica` or `joining`.
    pub role: String,
    /// The newest epoch it adopted.
    pub epoch: Epoch,
    /// Its current endpoint version.
    pub endpoint: EndpointVersion,
    /// The next session id it hands out as a primary.
    pub next_session: SessionId,
    /// The newest session whose first message it applied as a replica.
    pub last_session: Option<SessionRef>,
    /// Its log.
    pub wal: WalView,
    /// Its primary state, when it serves.
    pub primary: Option<PrimaryView>,
    /// Armed timers, sorted.
    pub timers: Vec<SwbTimer>,
}

/// A recovery session named by its epoch and id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRef {
    /// The epoch it ran under.
    pub epoch: Epoch,
    /// Its id.
    pub session: SessionId,
}

/// A node's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalView {
    /// The entries held, lowest LSN first.
    pub entries: Vec<EntryView>,
    /// Highest LSN appended.
    pub received: Lsn,
    /// Highest durable LSN.
    pub flushed: Lsn,
    /// LSN of the trusted base image.
    pub checkpoint: Lsn,
    /// Entries at or below this LSN can no longer be shipped.
    pub recycled_through: Lsn,
}

/// One log entry: its LSN and writer epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryView {
    /// The LSN.
    pub lsn: Lsn,
    /// The epoch it was written under.
    pub epoch: Epoch,
}

/// A serving primary's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryView {
    /// The highest boundary it proposed.
    pub proposed: Lsn,
    /// The highest boundary the coordinator confirmed to it.
    pub committed: Lsn,
    /// One sender per replica, lowest replica first.
    pub senders: Vec<SenderView>,
}

/// The primary's view of one replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderView {
    /// The replica.
    pub replica: String,
    /// The endpoint version the primary addresses it at.
    pub endpoint: EndpointVersion,
    /// Its recovery phase.
    pub phase: SenderPhase,
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeView {
    /// The sender.
    pub from: String,
    /// The receiver.
    pub to: String,
    /// The message in words.
    pub description: String,
    /// The message.
    pub msg: Msg,
}

/// The ghost history, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GhostView {
    /// The highest committed boundary ever recorded.
    pub committed_high: Lsn,
    /// `Ref`: the committed lineage.
    pub lineage: Vec<EntryView>,
    /// Every client write issued.
    pub issued: Vec<EntryView>,
    /// Writes not committed when their epoch ended.
    pub orphaned: Vec<EntryView>,
    /// Per node (only nodes with some): barrier LSNs that expired and were not re-sent.
    pub expired_barriers: Vec<ExpiredBarriers>,
    /// Faults spent.
    pub faults: FaultsUsed,
    /// Witnesses seen, by name.
    pub witnessed: Vec<String>,
    /// Breaches seen, by name.
    pub breaches: Vec<String>,
}

/// The expired barriers towards one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiredBarriers {
    /// The node.
    pub node: String,
    /// The barrier LSNs.
    pub lsns: Vec<Lsn>,
}

/// Every witness, for decoding the ghost's bit set. [`witness_listed`] fails to compile when the
/// model adds a variant, so this list cannot silently fall behind.
const WITNESSES: [Witness; 6] = [
    Witness::FencedStaleMessage,
    Witness::CatchUpCompleted,
    Witness::Truncation,
    Witness::SnapshotTailRebuild,
    Witness::FullBaseRebuild,
    Witness::BudgetEscalation,
];

/// Every breach (see [`WITNESSES`]).
const BREACHES: [Breach; 15] = [
    Breach::StaleTrafficChangedState,
    Breach::StaleEndpointAccepted,
    Breach::IneligiblePromotion,
    Breach::LateAckCounted,
    Breach::EpochRegressed,
    Breach::SessionKeptAcrossEndpointChange,
    Breach::SessionReused,
    Breach::AdmittedBehindOrAhead,
    Breach::ConfirmedBoundaryRegressed,
    Breach::EndpointCacheRegressed,
    Breach::TimedOutCatchUpKeptChasing,
    Breach::RecycledInsideWindow,
    Breach::LiveWriteOutsideLiveStream,
    Breach::IntentEndpointIgnored,
    Breach::RejoinWithoutIntent,
];

/// Compile-time guard: a new `Witness` variant breaks this match until [`WITNESSES`] lists it.
#[allow(dead_code)]
fn witness_listed(witness: Witness) {
    match witness {
        Witness::FencedStaleMessage
        | Witness::CatchUpCompleted
        | Witness::Truncation
        | Witness::SnapshotTailRebuild
        | Witness::FullBaseRebuild
        | Witness::BudgetEscalation => {}
    }
}

/// Compile-time guard: a new `Breach` variant breaks this match until [`BREACHES`] lists it.
#[allow(dead_code)]
fn breach_listed(breach: Breach) {
    match breach {
        Breach::StaleTrafficChangedState
        | Breach::StaleEndpointAccepted
        | Breach::IneligiblePromotion
        | Breach::LateAckCounted
        | Breach::EpochRegressed
        | Breach::SessionKeptAcrossEndpointChange
        | Breach::SessionReused
        | Breach::AdmittedBehindOrAhead
        | Breach::ConfirmedBoundaryRegressed
        | Breach::EndpointCacheRegressed
        | Breach::TimedOutCatchUpKeptChasing
        | Breach::RecycledInsideWindow
        | Breach::LiveWriteOutsideLiveStream
        | Breach::IntentEndpointIgnored
        | Breach::RejoinWithoutIntent => {}
    }
}

impl StateView {
    /// The view of a model state.
    pub fn of(params: &Params, state: &State) -> StateView {
        let coordinator = coordinator_of(state);
        let endpoints = coordinator
            .endpoints
            .iter()
            .enumerate()
            .filter_map(|(index, endpoint)| {
                endpoint.map(|endpoint| EndpointEntry {
                    node: actor_name(Id::from(index)),
                    endpoint,
                })
            })
            .collect();
        let coordinator = CoordinatorView {
            epoch: coordinator.epoch,
            primary: coordinator.primary.map(actor_name),
            committed: coordinator.committed,
            committed_epoch: coordinator.committed_epoch,
            endpoints,
            timers: armed_timers(params, state, 0),
        };
        let nodes = nodes_of(state)
            .map(|(id, node)| node_view(params, state, id, node))
            .collect();
        let mut envelopes: Vec<(Id, Id, &Msg)> = state
            .network
            .iter_all()
            .map(|envelope| (envelope.src, envelope.dst, envelope.msg))
            .collect();
        // The network is a hash set or multiset: its iteration order is arbitrary.
        envelopes.sort();
        let network = envelopes
            .into_iter()
            .map(|(src, dst, msg)| EnvelopeView {
                from: actor_name(src),
                to: actor_name(dst),
                description: describe_msg(msg),
                msg: *msg,
            })
            .collect();
        StateView {
            coordinator,
            nodes,
            network,
            ghost: ghost_view(&state.history),
        }
    }
}

fn node_view(params: &Params, state: &State, id: Id, node: &NodeState) -> NodeView {
    let index = usize::from(id);
    let role = match node.role {
        Role::Joining => "joining",
        Role::Replica => "replica",
        Role::Primary(_) => "primary",
    };
    let primary = node.primary().map(|primary| PrimaryView {
        proposed: primary.proposed,
        committed: primary.committed,
        senders: primary
            .senders
            .iter()
            .enumerate()
            .filter_map(|(replica, sender)| {
                sender.map(|sender| SenderView {
                    replica: actor_name(Id::from(replica)),
                    endpoint: sender.endpoint,
                    phase: sender.phase,
                })
            })
            .collect(),
    });
    NodeView {
        name: actor_name(id),
        crashed: state.crashed.get(index).copied().unwrap_or(false),
        isolated: state.history.is_isolated(id),
        role: role.to_owned(),
        epoch: node.disk.epoch,
        endpoint: node.disk.endpoint,
        next_session: node.disk.next_session,
        last_session: node
            .disk
            .last_session
            .map(|(epoch, session)| SessionRef { epoch, session }),
        wal: wal_view(&node.disk.wal),
        primary,
        timers: armed_timers(params, state, index),
    }
}

fn wal_view(wal: &Wal) -> WalView {
    WalView {
        entries: entries(wal.slots()),
        received: wal.received(),
        flushed: wal.flushed(),
        checkpoint: wal.checkpoint(),
        recycled_through: wal.recycled_through(),
    }
}

fn entries(slots: &Slots) -> Vec<EntryView> {
    slots
        .entries()
        .map(|(lsn, epoch)| EntryView { lsn, epoch })
        .collect()
}

fn writes(set: &WriteSet) -> Vec<EntryView> {
    set.iter()
        .map(|(lsn, epoch)| EntryView { lsn, epoch })
        .collect()
}

fn ghost_view(ghost: &Ghost) -> GhostView {
    let expired_barriers = ghost
        .expired_barriers
        .iter()
        .enumerate()
        .filter(|(_, bits)| **bits != 0)
        .map(|(index, bits)| ExpiredBarriers {
            node: actor_name(Id::from(index)),
            lsns: (0..u8::BITS)
                .filter(|bit| bits & (1 << bit) != 0)
                .map(|bit| Lsn::new(u64::from(bit)))
                .collect(),
        })
        .collect();
    GhostView {
        committed_high: ghost.committed_high,
        lineage: entries(&ghost.lineage),
        issued: writes(&ghost.issued),
        orphaned: writes(&ghost.orphaned),
        expired_barriers,
        faults: ghost.faults,
        witnessed: WITNESSES
            .iter()
            .filter(|witness| ghost.has_witnessed(**witness))
            .map(|witness| format!("{witness:?}"))
            .collect(),
        breaches: BREACHES
            .iter()
            .filter(|breach| ghost.has_breached(**breach))
            .map(|breach| format!("{breach:?}"))
            .collect(),
    }
}
