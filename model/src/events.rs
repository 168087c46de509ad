//! The protocol events a scenario witness is written in: what one step of the model did, read
//! from the step itself (the state before, the action, the state after), as the ghost history's
//! own observations are.
//!
//! Every event has a kind and up to three arguments: the node it is about, an epoch and an LSN
//! (which of them each kind fills is listed on [`EventKind`] and in `docs/scenarios.md`). The
//! events of one step come in a fixed order (coordinator first, then the action, then every
//! primary's senders by replica), so matching a pattern against them is deterministic.
//!
//! Partitions and heals are steps of the wrapper, not of an actor, and are not events: a
//! scenario about a partition names what it causes (a barrier timeout, a catch-up).

use crate::coordinator::CoordinatorTimer;
use crate::msg::Msg;
use crate::node::{NodeTimer, SenderPhase};
use crate::system::{coordinator_of, node_of, nodes_of, sender_phase, State, SwbTimer};
use serde::{Deserialize, Serialize};
use stateright::actor::{ActorModelAction, Id};
use swb_engine::types::{Epoch, Lsn};

/// What happened. The arguments each kind fills: node, epoch, LSN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A primary took a client write: the primary, the writer epoch, the write's LSN.
    Write,
    /// A replica appended a live write: the replica, the write's epoch, the write's LSN.
    Append,
    /// The coordinator recorded a higher committed boundary: the primary it names, the epoch,
    /// the new boundary C.
    Commit,
    /// A lease expiry bumped the epoch: no node, the new epoch, the committed boundary C then.
    EpochBump,
    /// The coordinator chose a primary for the epoch: the node, the epoch.
    Promote,
    /// A node crashed: the node.
    Crash,
    /// A crashed node restarted from its durable state: the node.
    Restart,
    /// A replica restarted at a new address: the replica.
    AddressChange,
    /// A barrier to a replica timed out at its primary: the replica.
    BarrierTimeout,
    /// A catch-up to a replica timed out at its primary: the replica.
    CatchUpTimeout,
    /// A message from an older epoch was fenced: the receiver, the message's epoch.
    Fenced,
    /// A replica's sender started a catch-up: the replica.
    CatchUpStarts,
    /// A catch-up brought a replica back to the live stream: the replica.
    CatchUpCompletes,
    /// A catch-up over its round budget escalated: the replica.
    BudgetEscalation,
    /// A replica's sender gave up catching up and waits for a rebuild: the replica.
    NeedsRebuild,
    /// A replica's rebuild was started by its primary: the replica, the rebuild's target LSN.
    RebuildStarts,
    /// A replica installed a rebuild (snapshot plus tail, or full base): the replica.
    RebuildCompletes,
    /// A replica's divergent or ahead tail was truncated: the replica, the LSN kept.
    Truncation,
    /// A replica's sender, out of the live stream, put it back in: the replica.
    InSync,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 19] = [
        EventKind::Write,
        EventKind::Append,
        EventKind::Commit,
        EventKind::EpochBump,
        EventKind::Promote,
        EventKind::Crash,
        EventKind::Restart,
        EventKind::AddressChange,
        EventKind::BarrierTimeout,
        EventKind::CatchUpTimeout,
        EventKind::Fenced,
        EventKind::CatchUpStarts,
        EventKind::CatchUpCompletes,
        EventKind::BudgetEscalation,
        EventKind::NeedsRebuild,
        EventKind::RebuildStarts,
        EventKind::RebuildCompletes,
        EventKind::Truncation,
        EventKind::InSync,
    ];

    /// The name patterns use (snake_case).
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::Write => "write",
            EventKind::Append => "append",
            EventKind::Commit => "commit",
            EventKind::EpochBump => "epoch_bump",
            EventKind::Promote => "promote",
            EventKind::Crash => "crash",
            EventKind::Restart => "restart",
            EventKind::AddressChange => "address_change",
            EventKind::BarrierTimeout => "barrier_timeout",
            EventKind::CatchUpTimeout => "catch_up_timeout",
            EventKind::Fenced => "fenced",
            EventKind::CatchUpStarts => "catch_up_starts",
            EventKind::CatchUpCompletes => "catch_up_completes",
            EventKind::BudgetEscalation => "budget_escalation",
            EventKind::NeedsRebuild => "needs_rebuild",
            EventKind::RebuildStarts => "rebuild_starts",
            EventKind::RebuildCompletes => "rebuild_completes",
            EventKind::Truncation => "truncation",
            EventKind::InSync => "in_sync",
        }
    }

    /// The kind of a pattern's name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// One protocol event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The node it is about, if any.
    pub node: Option<Id>,
    /// The epoch it is about, if any.
    pub epoch: Option<Epoch>,
    /// The LSN it is about, if any.
    pub lsn: Option<Lsn>,
}

impl Event {
    /// A message stamped with `epoch` was fenced by `receiver`, at a newer epoch: on delivery,
    /// or when the fenced-traffic reduction delivers it at once (D35, `reduction.rs`).
    pub fn fenced(receiver: Id, epoch: Epoch) -> Event {
        Event::about(EventKind::Fenced, Some(receiver), Some(epoch), None)
    }

    fn about(kind: EventKind, node: Option<Id>, epoch: Option<Epoch>, lsn: Option<Lsn>) -> Event {
        Event {
            kind,
            node,
            epoch,
            lsn,
        }
    }
}

/// The events of one actor step, in the order the module documentation gives.
pub fn step_events(
    last: &State,
    action: &ActorModelAction<Msg, SwbTimer, ()>,
    next: &State,
) -> Vec<Event> {
    let mut events = Vec::new();
    let coordinator_before = coordinator_of(last);
    let coordinator_after = coordinator_of(next);
    if coordinator_after.epoch > coordinator_before.epoch {
        events.push(Event::about(
            EventKind::EpochBump,
            None,
            Some(coordinator_after.epoch),
            Some(coordinator_after.committed),
        ));
    }
    if coordinator_before.primary.is_none() {
        if let Some(chosen) = coordinator_after.primary {
            events.push(Event::about(
                EventKind::Promote,
                Some(chosen),
                Some(coordinator_after.epoch),
                None,
            ));
        }
    }
    if coordinator_after.committed > coordinator_before.committed {
        events.push(Event::about(
            EventKind::Commit,
            coordinator_after.primary,
            Some(coordinator_after.epoch),
            Some(coordinator_after.committed),
        ));
    }

    let changed = |id: Id| {
        let index = usize::from(id);
        last.actor_states[index] != next.actor_states[index]
    };
    match action {
        ActorModelAction::Crash(id) => {
            events.push(Event::about(EventKind::Crash, Some(*id), None, None))
        }
        ActorModelAction::Recover(id) => {
            events.push(Event::about(EventKind::Restart, Some(*id), None, None))
        }
        ActorModelAction::Timeout(id, timer) if changed(*id) => match timer {
            SwbTimer::Node(NodeTimer::ClientWrite) => {
                let log = &node_of(next, *id).disk.wal;
                events.push(Event::about(
                    EventKind::Write,
                    Some(*id),
                    log.epoch_at(log.received()),
                    Some(log.received()),
                ));
            }
            SwbTimer::Node(NodeTimer::BarrierTimeout(replica)) => events.push(Event::about(
                EventKind::BarrierTimeout,
                Some(*replica),
                None,
                None,
            )),
            SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)) => events.push(Event::about(
                EventKind::CatchUpTimeout,
                Some(*replica),
                None,
                None,
            )),
            SwbTimer::Node(NodeTimer::AddressChange) => events.push(Event::about(
                EventKind::AddressChange,
                Some(*id),
                None,
                None,
            )),
            SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry) => {}
            // A recovery deadline re-sends a request and changes its sender's state only through
            // the resent exchange (D41): what it leads to shows as the delivery's events.
            _ => {}
        },
        ActorModelAction::Deliver { dst, msg, .. } => {
            let receiver_epoch = match last.actor_states[usize::from(*dst)].as_ref() {
                crate::system::ActorState::Coordinator(coordinator) => coordinator.epoch,
                crate::system::ActorState::Node(node) => node.disk.epoch,
            };
            if msg.is_epoch_fenced() && msg.epoch() < receiver_epoch {
                events.push(Event::fenced(*dst, msg.epoch()));
            }
            if changed(*dst) {
                delivery_events(last, *dst, msg, next, &mut events);
            }
        }
        _ => {}
    }

    sender_events(last, next, &mut events);
    events
}

/// What a delivery that changed its receiver did to it.
fn delivery_events(last: &State, dst: Id, msg: &Msg, next: &State, events: &mut Vec<Event>) {
    if !is_node(last, dst) {
        return;
    }
    let before = &node_of(last, dst).disk.wal;
    let after = &node_of(next, dst).disk.wal;
    match msg {
        Msg::Write { .. } if after.received() > before.received() => {
            events.push(Event::about(
                EventKind::Append,
                Some(dst),
                after.epoch_at(after.received()),
                Some(after.received()),
            ));
        }
        Msg::CatchUp {
            truncate: true,
            after: kept,
            ..
        } if before.received() > *kept => {
            events.push(Event::about(
                EventKind::Truncation,
                Some(dst),
                None,
                Some(*kept),
            ));
        }
        Msg::Rebuild { .. } => {
            events.push(Event::about(
                EventKind::RebuildCompletes,
                Some(dst),
                None,
                Some(after.received()),
            ));
        }
        _ => {}
    }
}

/// True when `id` is a storage node (the coordinator is actor 0).
fn is_node(state: &State, id: Id) -> bool {
    usize::from(id) != 0 && usize::from(id) < state.actor_states.len()
}

/// Transitions of every serving primary's senders, by primary then replica. A sender that a
/// new primary creates has no phase before, so it starts no event.
fn sender_events(last: &State, next: &State, events: &mut Vec<Event>) {
    use SenderPhase::{CatchingUp, InSync, NeedsRebuild, Rebuilding};
    for (id, node_after) in nodes_of(next) {
        let Some(primary_after) = node_after.primary() else {
            continue;
        };
        for (index, sender_after) in primary_after.senders.iter().enumerate() {
            let Some(sender_after) = sender_after else {
                continue;
            };
            let replica = Id::from(index);
            let Some(before) = sender_phase(last, id, replica) else {
                continue;
            };
            let after = sender_after.phase;
            let mut push = |kind: EventKind, lsn: Option<Lsn>| {
                events.push(Event::about(kind, Some(replica), None, lsn))
            };
            match (before, after) {
                (CatchingUp(_), InSync { .. }) => {
                    push(EventKind::CatchUpCompletes, None);
                    push(EventKind::InSync, None);
                }
                (InSync { .. }, InSync { .. }) => {}
                (_, InSync { .. }) => push(EventKind::InSync, None),
                (CatchingUp(_), CatchingUp(_)) => {}
                (_, CatchingUp(_)) => push(EventKind::CatchUpStarts, None),
                (NeedsRebuild { .. }, NeedsRebuild { .. }) => {}
                (_, NeedsRebuild { reason }) => {
                    if matches!(before, CatchingUp(_))
                        && reason == crate::node::EscalationReason::BudgetExceeded
                    {
                        push(EventKind::BudgetEscalation, None);
                    }
                    push(EventKind::NeedsRebuild, None);
                }
                (Rebuilding { .. }, Rebuilding { .. }) => {}
                (_, Rebuilding { target, .. }) => push(EventKind::RebuildStarts, Some(target)),
                _ => {}
            }
        }
    }
}
