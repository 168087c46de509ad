//! The replica: passive (SRP principle 1). It applies what the primary of its epoch ships, in
//! order, reports its durable progress, and never decides its own recovery.
//!
//! Every node, whatever its role, also obeys the coordinator's epoch authority here: `NewEpoch`
//! fences the old primary (a primary that hears it steps down) and `Assign` names who serves.
//! All other traffic is fenced first, in one place (`on_msg`), the way raft-rs's `Raft::step`
//! settles the term before dispatching: stale epochs are dropped, newer ones wait until the
//! coordinator's word arrives, and traffic addressed to an old endpoint never lands.

use crate::msg::Msg;
use crate::node::{Effect, NodeOut, NodeState, Role};
use crate::policy::Mutant;
use crate::{coordinator_id, primary, Params};
use stateright::actor::Id;
use std::cmp::Ordering;

/// Every message to a storage node.
pub fn on_msg(
    params: &Params,
    me: Id,
    node: &NodeState,
    src: Id,
    msg: &Msg,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    match *msg {
        Msg::NewEpoch { epoch, committed } => {
            if epoch == node.disk.epoch && params.is_lossy() {
                // A repeated notice (D42): the first answer may be the message that was lost.
                o.send(
                    coordinator_id(),
                    Msg::EpochAck {
                        epoch,
                        recoverable: node.disk.wal.recoverable(),
                        at_committed: node.disk.wal.epoch_at(committed),
                    },
                );
                return Effect::Drop;
            }
            if epoch <= node.disk.epoch && !params.has(Mutant::AdoptOlderEpoch) {
                return Effect::Drop;
            }
            let mut next = *node;
            next.disk.epoch = epoch;
            if next.role != Role::Joining {
                next.role = Role::Replica;
            }
            o.send(
                coordinator_id(),
                Msg::EpochAck {
                    epoch,
                    recoverable: next.disk.wal.recoverable(),
                    at_committed: next.disk.wal.epoch_at(committed),
                },
            );
            return Effect::Update(next);
        }
        Msg::Assign {
            epoch,
            primary,
            committed,
            endpoints,
        } => {
            let already = match node.disk.epoch.cmp(&epoch) {
                Ordering::Greater => true,
                Ordering::Equal => match node.role {
                    Role::Joining => false,
                    Role::Replica => primary != me,
                    Role::Primary(_) => primary == me,
                },
                Ordering::Less => false,
            };
            if already && !params.has(Mutant::ReapplyAssignment) {
                return Effect::Drop;
            }
            let mut next = *node;
            next.disk.epoch = epoch;
            if primary == me {
                return Effect::Update(primary::become_primary(
                    params, &next, committed, &endpoints, me, o,
                ));
            }
            next.role = Role::Replica;
            return Effect::Update(next);
        }
        _ => {}
    }
    if node.role == Role::Joining && !params.has(Mutant::JoiningNodeAcceptsTraffic) {
        return Effect::Wait;
    }
    let stale_accepted = match msg {
        Msg::Write { .. } => params.has(Mutant::ReplicaAcceptsStaleEpoch),
        _ => params.has(Mutant::PrimaryAcceptsStaleReply) && node.primary().is_some(),
    };
    match msg.epoch().cmp(&node.disk.epoch) {
        Ordering::Less if !stale_accepted => return Effect::Drop,
        Ordering::Greater if !params.has(Mutant::ReplicaAcceptsNewerEpoch) => return Effect::Wait,
        _ => {}
    }
    match node.role {
        Role::Primary(_) => primary::on_msg(params, node, src, msg, o),
        Role::Replica => apply(params, node, src, msg, o),
        Role::Joining if params.has(Mutant::JoiningNodeAcceptsTraffic) => {
            apply(params, node, src, msg, o)
        }
        Role::Joining => Effect::Wait,
    }
}

/// What a replica does with the primary's traffic, once the epoch is settled.
fn apply(
    params: &Params,
    node: &NodeState,
    src: Id,
    msg: &Msg,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    if let Some(addressed) = msg.addressed_endpoint() {
        // Sent to an address the replica has left: it never arrives (an unbounded delay).
        if addressed != node.disk.endpoint && !params.has(Mutant::ReplicaIgnoresEndpointVersion) {
            return Effect::Wait;
        }
    }
    let wal = &node.disk.wal;
    match *msg {
        Msg::Write {
            epoch,
            lsn,
            previous,
            admitted_by,
            ..
        } => {
            if lsn <= wal.received() && !params.has(Mutant::ReplicaReappliesWrite) {
                // A repeated write this replica holds durably is acknowledged again (D42).
                let held = lsn <= wal.flushed()
                    && wal.epoch_at(lsn) == Some(epoch)
                    && lsn.prev().and_then(|before| wal.epoch_at(before)) == previous;
                if held && params.is_lossy() {
                    acknowledge_write(node, src, lsn, admitted_by, o);
                    return Effect::Drop;
                }
                return Effect::Wait;
            }
            if lsn > wal.received().next() {
                return Effect::Wait;
            }
            let mut next = *node;
            let appended = if params.has(Mutant::ReplicaReappliesWrite) && lsn <= wal.received() {
                next.disk.wal.overwrite(lsn, epoch)
            } else if params.has(Mutant::AppendWithoutLogMatching) {
                next.disk
                    .wal
                    .append(lsn, epoch, wal.epoch_at(wal.received()))
            } else {
                next.disk.wal.append(lsn, epoch, previous)
            };
            if !appended {
                return Effect::Wait;
            }
            // Only a durable write is acknowledged (A8), unless mutated.
            if !params.has(Mutant::AckBeforeFlush) {
                next.disk.wal.flush_through(lsn);
            }
            acknowledge_write(node, src, lsn, admitted_by, o);
            Effect::Update(next)
        }
        Msg::Probe { epoch, session, .. } => {
            let key = Some((epoch, session));
            if key < node.disk.last_session && !params.has(Mutant::ProbeOfOlderSessionAccepted) {
                return Effect::Wait;
            }
            if key == node.disk.last_session && params.has(Mutant::ReplicaIgnoresRepeatedProbe) {
                return Effect::Drop;
            }
            // The handshake is against the durable log: the unacknowledged volatile tail is
            // discarded, so nothing the primary was not told about can later be flushed.
            let mut next = *node;
            if !params.has(Mutant::ProbeKeepsVolatileTail) {
                next.disk.wal.crash();
            }
            next.disk.last_session = key;
            o.send(
                src,
                Msg::ProbeReply {
                    epoch: node.disk.epoch,
                    session,
                    flushed: wal.flushed(),
                    entries: wal
                        .slots()
                        .range(swb_engine::types::Lsn::ZERO, wal.flushed()),
                },
            );
            Effect::Update(next)
        }
        Msg::CatchUp {
            epoch,
            session,
            truncate,
            after,
            through,
            ref entries,
            ..
        } => {
            let key = Some((epoch, session));
            // Only the session this replica was last probed in may change its log.
            if key != node.disk.last_session && !params.has(Mutant::CatchUpOfOtherSessionApplied) {
                return Effect::Wait;
            }
            let mut next = *node;
            let first_delivery =
                node.disk.last_truncation != key || params.has(Mutant::TruncateOnEveryDelivery);
            if truncate && first_delivery {
                // The first chunk truncates once, however often it is delivered.
                let above_head = after > wal.received() && !params.has(Mutant::TruncateAboveHead);
                let truncated = if params.has(Mutant::TruncateInsideBase) {
                    next.disk.wal.truncate_into_base(after);
                    true
                } else {
                    next.disk.wal.truncate_after(after).is_ok()
                };
                if above_head || !truncated {
                    return Effect::Wait;
                }
                next.disk.last_truncation = key;
            } else if !wal.can_merge(after, through, entries)
                && !params.has(Mutant::MergeWithoutOverlapCheck)
            {
                return Effect::Wait;
            }
            next.disk.wal.merge_chunk(after, through, entries);
            o.send(
                src,
                Msg::CatchUpAck {
                    epoch: node.disk.epoch,
                    session,
                    through,
                },
            );
            Effect::Update(next)
        }
        Msg::Rebuild {
            epoch,
            session,
            source,
            through,
            ref entries,
            ..
        } => {
            let key = Some((epoch, session));
            if key == node.disk.last_session && wal.received() >= through && params.is_lossy() {
                // A repeated rebuild this replica installed is acknowledged again (D42).
                acknowledge_rebuild(node, src, session, through, o);
                return Effect::Drop;
            }
            if key <= node.disk.last_session && !params.has(Mutant::RebuildOfOlderSessionApplied) {
                return Effect::Wait;
            }
            let mut next = *node;
            next.disk.wal.install(source.base(), through, entries);
            next.disk.last_session = key;
            acknowledge_rebuild(node, src, session, through, o);
            Effect::Update(next)
        }
        _ => Effect::Wait,
    }
}

/// Tells the primary that `(0, lsn]` is durable here, echoing the barrier's admission tag.
fn acknowledge_write(
    node: &NodeState,
    primary: Id,
    lsn: swb_engine::types::Lsn,
    admitted_by: Option<swb_engine::types::SessionId>,
    o: &mut NodeOut,
) {
    o.send(
        primary,
        Msg::BarrierAck {
            epoch: node.disk.epoch,
            through: lsn,
            admitted_by,
        },
    );
}

/// Tells the primary that the rebuild of `session` is installed, durably, through `through`.
fn acknowledge_rebuild(
    node: &NodeState,
    primary: Id,
    session: swb_engine::types::SessionId,
    through: swb_engine::types::Lsn,
    o: &mut NodeOut,
) {
    o.send(
        primary,
        Msg::RebuildAck {
            epoch: node.disk.epoch,
            session,
            through,
        },
    );
}
