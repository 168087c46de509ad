//! The recovery deadlines: what upstream does when an exchange it waits for never completes
//! (PROTOCOL.md §6, §7), and which steps of the model are faults.
//!
//! # The rule
//! Every exchange a node waits on has a deadline: the handshake (`Connecting`), each catch-up
//! chunk, the rebuild (`Rebuilding`, upstream's rebuild-too-slow abort), the rebuild intent
//! (`NeedsRebuild`), the live writes under a barrier, the commit report, a restarted node's
//! heartbeat, the coordinator's new-epoch notice, assignment and recovery intent. When it expires
//! the node sends the identical request again: same epoch, same session, same contents
//! (decision D41). The receiver answers a repeated request again and changes nothing
//! (idempotent redelivery, D42), so a retransmission restores exactly a network the reliable
//! model reaches (the request in flight) and the actors' states never see it.
//!
//! # When a deadline fires
//! A deadline is longer than any round trip (D40): it fires only when neither the request nor
//! its answer is in the network any more, which on a lossy network means one of them was lost.
//! So the model offers a deadline's firing exactly when that guard holds. The guard reads the
//! network, which only the system wrapper may do; nothing here stores a timer, so a deadline adds
//! no state, and on a reliable network (where nothing is lost) only the assignment retry is ever
//! offered (D43: a node that restarted during an election is never told its role otherwise).
//! Deadlines are protocol steps, never faults: they are not bounded by `faults_max`.
//!
//! # Faults
//! [`is_fault`] names the steps the environment imposes (crash, loss, partition, lease expiry,
//! address change, the slow-path timeouts). A state in which only faults can move the protocol is
//! an end state (`swb_properties::progress`).

use crate::coordinator::{CoordinatorState, CoordinatorTimer};
use crate::msg::{Msg, SessionKind};
use crate::node::{Effect, NodeOut, NodeState, NodeTimer, Role, Sender, SenderPhase};
use crate::policy::{AddressChange, Mutant, RejoinAction};
use crate::system::{
    coordinator_of, nodes_of, Action, ActorState, State, SwbActor, SwbModel, SwbTimer,
};
use crate::wal::lsns;
use crate::{coordinator_id, Params};
use stateright::actor::{ActorModelAction, Envelope, Id, Out};
use swb_engine::types::{Lsn, SessionId};

/// True for the steps the environment imposes rather than the protocol takes: a crash, a lost
/// message, a partition, a lease expiry, an address change and the two slow-path timeouts. The
/// second halves of a fault (a restart after a crash, a healed partition) are not faults: the
/// protocol may wait for them.
pub fn is_fault(action: &Action) -> bool {
    match action {
        Action::Isolate(_) => true,
        Action::Heal(_) => false,
        Action::Actor(actor) => match actor {
            ActorModelAction::Crash(_) | ActorModelAction::Drop(_) => true,
            ActorModelAction::Timeout(_, SwbTimer::Coordinator(timer)) => {
                *timer == CoordinatorTimer::LeaseExpiry
            }
            ActorModelAction::Timeout(_, SwbTimer::Node(timer)) => {
                timer.is_timeout_fault() || *timer == NodeTimer::AddressChange
            }
            ActorModelAction::Deliver { .. }
            | ActorModelAction::Recover(_)
            | ActorModelAction::SelectRandom { .. } => false,
        },
    }
}

/// The in-flight messages, read once per state.
struct InFlight<'a>(Vec<Envelope<&'a Msg>>);

impl<'a> InFlight<'a> {
    fn of(state: &'a State) -> InFlight<'a> {
        InFlight(state.network.iter_all().collect())
    }

    /// True when a message from `src` to `dst` matching `awaited` is in flight.
    fn any(&self, src: Id, dst: Id, awaited: impl Fn(&Msg) -> bool) -> bool {
        self.0
            .iter()
            .any(|envelope| envelope.src == src && envelope.dst == dst && awaited(envelope.msg))
    }
}

/// Adds the firing of every deadline whose exchange is gone (see the module documentation).
pub fn offer_expired(model: &SwbModel, state: &State, actions: &mut Vec<Action>) {
    let params = &model.params;
    let lossy = params.is_lossy();
    let coordinator = coordinator_of(state);
    // On a reliable network only the assignment retry can fire, and only for a node that does
    // not hold its assigned role: most states have none, and need no look at the network.
    let misassigned = |id: Id, node: &NodeState| {
        coordinator.primary.is_some_and(|primary| {
            !state.crashed[usize::from(id)] && !holds_assigned_role(node, id, primary, coordinator)
        })
    };
    if !lossy && !nodes_of(state).any(|(id, node)| misassigned(id, node)) {
        return;
    }
    let network = InFlight::of(state);
    let mut fire = |actor: Id, timer: SwbTimer| {
        actions.push(Action::Actor(ActorModelAction::Timeout(actor, timer)));
    };
    let coordinator_id = coordinator_id();
    for (id, node) in nodes_of(state) {
        if state.crashed[usize::from(id)] {
            continue;
        }
        if lossy {
            for timer in expired_node_deadlines(params, id, node, coordinator, &network) {
                fire(id, SwbTimer::Node(timer));
            }
        }
        // The coordinator's side of this node.
        let epoch = coordinator.epoch;
        match coordinator.primary {
            None => {
                let notice_gone = !network.any(
                    coordinator_id,
                    id,
                    |msg| matches!(msg, Msg::NewEpoch { epoch: e, .. } if *e == epoch),
                ) && !network.any(
                    id,
                    coordinator_id,
                    |msg| matches!(msg, Msg::EpochAck { epoch: e, .. } if *e == epoch),
                );
                if lossy && notice_gone {
                    fire(
                        coordinator_id,
                        SwbTimer::Coordinator(CoordinatorTimer::NewEpochRetry(id)),
                    );
                }
            }
            Some(primary) => {
                let assignment_gone = !network.any(coordinator_id, id, |msg| {
                    matches!(msg, Msg::Assign { .. } | Msg::NewEpoch { .. })
                }) && !network.any(id, coordinator_id, |msg| {
                    matches!(msg, Msg::Heartbeat { .. })
                });
                let known_address = coordinator.endpoints.get(id) == Some(node.disk.endpoint);
                if assignment_gone
                    && known_address
                    && !holds_assigned_role(node, id, primary, coordinator)
                {
                    fire(
                        coordinator_id,
                        SwbTimer::Coordinator(CoordinatorTimer::AssignRetry(id)),
                    );
                }
                if lossy && reassignment_gone(params, state, id, primary, &network) {
                    fire(
                        coordinator_id,
                        SwbTimer::Coordinator(CoordinatorTimer::ReassignRetry(id)),
                    );
                }
            }
        }
    }
}

/// True when `node` serves or replicates as the coordinator's current assignment says.
fn holds_assigned_role(
    node: &NodeState,
    id: Id,
    primary: Id,
    coordinator: &CoordinatorState,
) -> bool {
    let at_epoch = node.disk.epoch == coordinator.epoch;
    match node.role {
        Role::Joining => false,
        Role::Primary(_) => at_epoch && id == primary,
        Role::Replica => at_epoch && id != primary,
    }
}

/// True when the serving primary still addresses `replica` at an endpoint older than the
/// coordinator's, and no recovery intent for it (nor the heartbeat that causes one) is in flight.
fn reassignment_gone(
    params: &Params,
    state: &State,
    replica: Id,
    primary: Id,
    network: &InFlight,
) -> bool {
    if params.policy.rejoin(AddressChange::Changed) != RejoinAction::Reassign
        || state.crashed[usize::from(primary)]
    {
        return false;
    }
    let coordinator = coordinator_of(state);
    let Some(known) = coordinator.endpoints.get(replica) else {
        return false;
    };
    let primary_node = match state.actor_states[usize::from(primary)].as_ref() {
        ActorState::Node(node) => node,
        ActorState::Coordinator(_) => return false,
    };
    if primary_node.disk.epoch != coordinator.epoch {
        return false;
    }
    let Some(sender) = sender_of(primary_node, replica) else {
        return false;
    };
    sender.endpoint < known
        && !network.any(
            coordinator_id(),
            primary,
            |msg| matches!(msg, Msg::Reassign { replica: r, .. } if *r == replica),
        )
        && !network.any(replica, coordinator_id(), |msg| {
            matches!(msg, Msg::Heartbeat { .. })
        })
}

fn sender_of(node: &NodeState, replica: Id) -> Option<Sender> {
    node.primary()?.sender(replica)
}

/// The catch-up chunk a sender in `CatchingUp` is waiting on: `(after, through]` and whether it
/// truncates. The same arithmetic as the primary's `send_chunk`.
fn awaited_chunk(params: &Params, catch_up: &crate::node::CatchUp) -> (Lsn, Lsn) {
    let after = catch_up.progress;
    let through =
        Lsn::new((after.get() + u64::from(params.catch_up_batch)).min(catch_up.target.get()));
    (after, through)
}

/// The node deadlines of `node` whose exchange is gone (lossy networks only).
fn expired_node_deadlines(
    params: &Params,
    id: Id,
    node: &NodeState,
    coordinator: &CoordinatorState,
    network: &InFlight,
) -> Vec<NodeTimer> {
    let coordinator_id = coordinator_id();
    let mut expired = Vec::new();
    let office = match &node.role {
        Role::Joining => {
            let heartbeat_gone = !network.any(id, coordinator_id, |msg| {
                matches!(msg, Msg::Heartbeat { .. })
            }) && !network
                .any(coordinator_id, id, |msg| matches!(msg, Msg::Assign { .. }));
            // With the address known, the coordinator's assignment retry answers instead.
            let address_unknown = coordinator.endpoints.get(id) != Some(node.disk.endpoint);
            if heartbeat_gone && address_unknown {
                expired.push(NodeTimer::HeartbeatRetry);
            }
            return expired;
        }
        Role::Replica => return expired,
        Role::Primary(office) => office,
    };
    let epoch = node.disk.epoch;
    if office.proposed > office.committed {
        let proposed = office.proposed;
        let gone = !network.any(id, coordinator_id, |msg| {
            matches!(msg, Msg::CommitReport { epoch: e, committed } if *e == epoch && *committed == proposed)
        }) && !network.any(coordinator_id, id, |msg| {
            matches!(msg, Msg::CommitAck { epoch: e, committed } if *e == epoch && *committed == proposed)
        });
        if gone {
            expired.push(NodeTimer::CommitReportRetry);
        }
    }
    for (index, sender) in office.senders.iter().enumerate() {
        let Some(sender) = sender else {
            continue;
        };
        let replica = Id::from(index);
        let session_gone = |session: SessionId| {
            !network.any(id, replica, |msg| session_of(msg) == Some(session))
                && !network.any(replica, id, |msg| session_of(msg) == Some(session))
        };
        match sender.phase {
            SenderPhase::Connecting { session }
                if session_gone(session) && !params.has(Mutant::NoHandshakeDeadline) =>
            {
                expired.push(NodeTimer::HandshakeDeadline(replica))
            }
            SenderPhase::CatchingUp(catch_up) => {
                let (after, through) = awaited_chunk(params, &catch_up);
                let session = catch_up.session;
                let gone = !network.any(id, replica, |msg| {
                    matches!(msg, Msg::CatchUp { session: s, after: a, through: t, .. }
                        if *s == session && *a == after && *t == through)
                }) && !network.any(replica, id, |msg| {
                    matches!(msg, Msg::CatchUpAck { session: s, through: t, .. }
                        if *s == session && *t == through)
                });
                if gone && node.disk.wal.retains(after, through) {
                    expired.push(NodeTimer::CatchUpChunkDeadline(replica));
                }
            }
            SenderPhase::Rebuilding { session, .. } if session_gone(session) => {
                expired.push(NodeTimer::RebuildDeadline(replica))
            }
            SenderPhase::NeedsRebuild { .. } => {
                let gone = !network.any(id, coordinator_id, |msg| {
                    matches!(msg, Msg::NeedsRebuild { replica: r, .. } if *r == replica)
                }) && !network.any(coordinator_id, id, |msg| {
                    matches!(msg, Msg::Reassign { replica: r, kind: SessionKind::Rebuild, .. } if *r == replica)
                });
                if gone {
                    expired.push(NodeTimer::RebuildIntentRetry(replica));
                }
            }
            SenderPhase::InSync {
                acked,
                barrier: Some(through),
                admitted_by,
            } => {
                // The lowest write under the barrier that is neither in flight nor answered by an
                // acknowledgement in flight: the replica cannot apply anything above it.
                let answered = network.any(replica, id, |msg| {
                    matches!(msg, Msg::BarrierAck { through: t, admitted_by: tag, .. }
                        if *t > acked && *tag == admitted_by)
                });
                let missing = lsns(acked, through).find(|lsn| {
                    !network.any(id, replica, |msg| {
                        matches!(msg, Msg::Write { lsn: l, admitted_by: tag, .. }
                            if l == lsn && *tag == admitted_by)
                    })
                });
                if let (false, Some(lsn)) = (answered, missing) {
                    expired.push(NodeTimer::BarrierRetry(replica, lsn));
                }
            }
            _ => {}
        }
    }
    expired
}

/// The recovery session a primary↔replica message belongs to.
fn session_of(msg: &Msg) -> Option<SessionId> {
    match msg {
        Msg::Probe { session, .. }
        | Msg::ProbeReply { session, .. }
        | Msg::CatchUp { session, .. }
        | Msg::CatchUpAck { session, .. }
        | Msg::Rebuild { session, .. }
        | Msg::RebuildAck { session, .. } => Some(*session),
        _ => None,
    }
}

/// A node deadline fires: the awaited request is sent again, identical, and nothing else
/// changes. A deadline whose exchange has moved on since it was offered changes nothing.
pub fn on_node_deadline(
    params: &Params,
    node: &NodeState,
    timer: &NodeTimer,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    let sent_before = o.len();
    resend_node_request(params, node, timer, o);
    if o.len() == sent_before {
        Effect::Wait
    } else {
        Effect::Drop
    }
}

fn resend_node_request(params: &Params, node: &NodeState, timer: &NodeTimer, o: &mut NodeOut) {
    let epoch = node.disk.epoch;
    if let (NodeTimer::HeartbeatRetry, Role::Joining) = (timer, &node.role) {
        o.send(
            coordinator_id(),
            Msg::Heartbeat {
                epoch,
                endpoint: node.disk.endpoint,
            },
        );
        return;
    }
    let Some(office) = node.primary() else {
        return;
    };
    let wal = &node.disk.wal;
    if *timer == NodeTimer::CommitReportRetry {
        if office.proposed > office.committed {
            o.send(
                coordinator_id(),
                Msg::CommitReport {
                    epoch,
                    committed: office.proposed,
                },
            );
        }
        return;
    }
    let replica = match timer {
        NodeTimer::HandshakeDeadline(replica)
        | NodeTimer::CatchUpChunkDeadline(replica)
        | NodeTimer::RebuildDeadline(replica)
        | NodeTimer::RebuildIntentRetry(replica)
        | NodeTimer::BarrierRetry(replica, _) => *replica,
        _ => return,
    };
    let Some(sender) = sender_of(node, replica) else {
        return;
    };
    let endpoint = sender.endpoint;
    match (timer, sender.phase) {
        (NodeTimer::HandshakeDeadline(_), SenderPhase::Connecting { session }) => o.send(
            replica,
            Msg::Probe {
                epoch,
                endpoint,
                session,
            },
        ),
        (NodeTimer::CatchUpChunkDeadline(_), SenderPhase::CatchingUp(catch_up)) => {
            let (after, through) = awaited_chunk(params, &catch_up);
            if wal.retains(after, through) {
                o.send(
                    replica,
                    Msg::CatchUp {
                        epoch,
                        endpoint,
                        session: catch_up.session,
                        truncate: catch_up.truncate,
                        after,
                        through,
                        entries: wal.slots().range(after, through),
                    },
                );
            }
        }
        (
            NodeTimer::RebuildDeadline(_),
            SenderPhase::Rebuilding {
                session,
                source,
                target,
            },
        ) => o.send(
            replica,
            Msg::Rebuild {
                epoch,
                endpoint,
                session,
                source,
                through: target,
                entries: wal.slots().range(Lsn::ZERO, target),
            },
        ),
        (NodeTimer::RebuildIntentRetry(_), SenderPhase::NeedsRebuild { .. }) => {
            o.send(coordinator_id(), Msg::NeedsRebuild { epoch, replica })
        }
        (
            &NodeTimer::BarrierRetry(_, lsn),
            SenderPhase::InSync {
                acked,
                barrier: Some(through),
                admitted_by,
            },
        ) if lsn > acked && lsn <= through => o.send(
            replica,
            Msg::Write {
                epoch,
                endpoint,
                lsn,
                previous: lsn.prev().and_then(|before| wal.epoch_at(before)),
                admitted_by,
            },
        ),
        _ => {}
    }
}

/// A coordinator deadline fires: the notice, assignment or intent is sent again as the
/// coordinator's state says it now, and the coordinator's state does not change.
pub fn on_coordinator_deadline(
    params: &Params,
    state: &CoordinatorState,
    timer: &CoordinatorTimer,
    o: &mut Out<SwbActor>,
) -> Effect<CoordinatorState> {
    let sent_before = o.len();
    match (*timer, state.primary) {
        (CoordinatorTimer::NewEpochRetry(node), None) if params.is_node(node) => o.send(
            node,
            Msg::NewEpoch {
                epoch: state.epoch,
                committed: state.committed,
            },
        ),
        (CoordinatorTimer::AssignRetry(node), Some(primary)) => o.send(
            node,
            Msg::Assign {
                epoch: state.epoch,
                primary,
                committed: state.committed,
                endpoints: state.endpoints,
            },
        ),
        (CoordinatorTimer::ReassignRetry(replica), Some(primary)) => {
            if let Some(endpoint) = state.endpoints.get(replica) {
                o.send(
                    primary,
                    Msg::Reassign {
                        epoch: state.epoch,
                        replica,
                        endpoint,
                        kind: SessionKind::CatchUp,
                    },
                );
            }
        }
        _ => {}
    }
    if o.len() == sent_before {
        Effect::Wait
    } else {
        Effect::Drop
    }
}
