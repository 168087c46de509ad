//! Readable actions: the words a counterexample and the explorer show.

use crate::msg::Msg;
use crate::system::{Action, SwbTimer};
use stateright::actor::{ActorModelAction, Id};

/// The name of an actor: `coordinator`, or `n1`, `n2`, ... for storage nodes.
pub fn actor_name(id: Id) -> String {
    match usize::from(id) {
        0 => "coordinator".to_string(),
        index => format!("n{index}"),
    }
}

/// One line describing an action, in the protocol's words.
pub fn describe_action(action: &Action) -> String {
    match action {
        Action::Actor(ActorModelAction::Deliver { src, dst, msg }) => {
            format!(
                "{} → {}: {}",
                actor_name(*src),
                actor_name(*dst),
                describe_msg(msg)
            )
        }
        Action::Actor(ActorModelAction::Drop(envelope)) => format!(
            "network drops {} → {}: {}",
            actor_name(envelope.src),
            actor_name(envelope.dst),
            describe_msg(&envelope.msg)
        ),
        Action::Actor(ActorModelAction::Timeout(id, timer)) => {
            format!("{}: {}", actor_name(*id), describe_timer(timer))
        }
        Action::Actor(ActorModelAction::Crash(id)) => format!("{} crashes", actor_name(*id)),
        Action::Actor(ActorModelAction::Recover(id)) => format!("{} restarts", actor_name(*id)),
        Action::Actor(ActorModelAction::SelectRandom { actor, .. }) => {
            format!("{} chooses", actor_name(*actor))
        }
        Action::Isolate(id) => format!("partition isolates {}", actor_name(*id)),
        Action::Heal(id) => format!("partition around {} heals", actor_name(*id)),
    }
}

fn describe_timer(timer: &SwbTimer) -> String {
    use crate::coordinator::CoordinatorTimer;
    use crate::node::NodeTimer;
    match timer {
        SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry) => "lease expires".to_string(),
        SwbTimer::Node(NodeTimer::ClientWrite) => "client write".to_string(),
        SwbTimer::Node(NodeTimer::AddressChange) => "restarts at a new address".to_string(),
        SwbTimer::Node(NodeTimer::BarrierTimeout(replica)) => {
            format!("barrier to {} times out", actor_name(*replica))
        }
        SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)) => {
            format!("catch-up of {} times out", actor_name(*replica))
        }
        SwbTimer::Node(NodeTimer::HandshakeDeadline(replica)) => {
            format!(
                "handshake with {} overdue: probe sent again",
                actor_name(*replica)
            )
        }
        SwbTimer::Node(NodeTimer::CatchUpChunkDeadline(replica)) => format!(
            "catch-up chunk to {} overdue: chunk sent again",
            actor_name(*replica)
        ),
        SwbTimer::Node(NodeTimer::RebuildDeadline(replica)) => format!(
            "rebuild of {} too slow: rebuild sent again",
            actor_name(*replica)
        ),
        SwbTimer::Node(NodeTimer::RebuildIntentRetry(replica)) => format!(
            "no rebuild intent for {}: NeedsRebuild sent again",
            actor_name(*replica)
        ),
        SwbTimer::Node(NodeTimer::BarrierRetry(replica, lsn)) => format!(
            "write {lsn} to {} overdue: sent again",
            actor_name(*replica)
        ),
        SwbTimer::Node(NodeTimer::CommitReportRetry) => {
            "commit report overdue: proposed again".to_string()
        }
        SwbTimer::Node(NodeTimer::HeartbeatRetry) => {
            "no assignment: heartbeat sent again".to_string()
        }
        SwbTimer::Coordinator(CoordinatorTimer::NewEpochRetry(node)) => format!(
            "no epoch answer from {}: new epoch sent again",
            actor_name(*node)
        ),
        SwbTimer::Coordinator(CoordinatorTimer::AssignRetry(node)) => format!(
            "{} not in its assigned role: assignment sent again",
            actor_name(*node)
        ),
        SwbTimer::Coordinator(CoordinatorTimer::ReassignRetry(replica)) => format!(
            "primary addresses {} at an old endpoint: recovery intent sent again",
            actor_name(*replica)
        ),
    }
}

/// One message, in the protocol's words.
pub fn describe_msg(msg: &Msg) -> String {
    match msg {
        Msg::NewEpoch { epoch, committed } => format!("new_epoch(e{epoch}, C={committed})"),
        Msg::Assign {
            epoch,
            primary,
            committed,
            ..
        } => format!(
            "assign(e{epoch}, primary={}, C={committed})",
            actor_name(*primary)
        ),
        Msg::Reassign {
            epoch,
            replica,
            endpoint,
            kind,
        } => format!(
            "reassign(e{epoch}, {} at {endpoint}, {kind:?})",
            actor_name(*replica)
        ),
        Msg::CommitAck { epoch, committed } => format!("commit_ack(e{epoch}, C={committed})"),
        Msg::EpochAck {
            epoch,
            recoverable,
            at_committed,
        } => format!("epoch_ack(e{epoch}, recoverable={recoverable}, at_C={at_committed:?})"),
        Msg::Heartbeat { epoch, endpoint } => format!("heartbeat(e{epoch}, {endpoint})"),
        Msg::CommitReport { epoch, committed } => format!("commit_report(e{epoch}, {committed})"),
        Msg::NeedsRebuild { epoch, replica } => {
            format!("needs_rebuild(e{epoch}, {})", actor_name(*replica))
        }
        Msg::Write {
            epoch,
            endpoint,
            lsn,
            ..
        } => format!("write(e{epoch}, lsn {lsn}, to {endpoint})"),
        Msg::Probe {
            epoch,
            endpoint,
            session,
        } => format!("probe(e{epoch}, {session}, to {endpoint})"),
        Msg::CatchUp {
            epoch,
            session,
            truncate,
            after,
            through,
            ..
        } => {
            format!(
                "catch_up(e{epoch}, {session}, ({after}, {through}]{})",
                if *truncate { ", truncate" } else { "" }
            )
        }
        Msg::Rebuild {
            epoch,
            session,
            source,
            through,
            ..
        } => format!("rebuild(e{epoch}, {session}, {source:?}, through {through})"),
        Msg::BarrierAck { epoch, through, .. } => format!("barrier_ack(e{epoch}, {through})"),
        Msg::ProbeReply {
            epoch,
            session,
            flushed,
            ..
        } => format!("probe_reply(e{epoch}, {session}, flushed {flushed})"),
        Msg::CatchUpAck {
            epoch,
            session,
            through,
        } => format!("catch_up_ack(e{epoch}, {session}, {through})"),
        Msg::RebuildAck {
            epoch,
            session,
            through,
        } => format!("rebuild_ack(e{epoch}, {session}, {through})"),
    }
}
