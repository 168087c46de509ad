//! Progress: no replica is left stuck (SPIN's "invalid end state", for this protocol).
//!
//! An **end state** is a reachable state in which no protocol step is enabled: no delivery, no
//! timer, no deadline, no restart and no healing changes anything, and only a fault (a crash, a
//! lost message, a partition, a lease expiry, a move, a slow-path timeout: see
//! `swb_model::deadline::is_fault`) could move the system on. A **valid** end state is one the
//! protocol may rest in (decision D45):
//! 1. the coordinator's primary serves at the current epoch;
//! 2. every other node replicates from it at that epoch, at the endpoint the primary addresses
//!    it at, and is in the live stream with every write the primary holds acknowledged (no
//!    session, no outstanding barrier);
//! 3. every write the primary holds has an outcome: the coordinator has committed through the
//!    primary's head (a write of an ended epoch that was not committed is orphaned, its outcome,
//!    and is no longer in the serving primary's log).
//!
//! There is no escalation that may rest: in this model every escalation (NeedsRebuild) has a
//! rebuild that follows it, so a replica left in one is stuck. [`end_state`] is the one function
//! the checker calls; the property [`end_states_are_valid`] is its verdict.

use stateright::actor::{ActorModelAction, Envelope, Id};
use stateright::Model;
use swb_model::cfg::MessageDuplication;
use swb_model::deadline::is_fault;
use swb_model::msg::Msg;
use swb_model::node::{NodeState, Role, SenderPhase};
use swb_model::system::Action;
use swb_model::system::{coordinator_of, current_primary, nodes_of};
use swb_model::{State, SwbModel};

/// Why a state is not a valid end state: the first rule (module documentation) it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stuck {
    /// No primary serves at the coordinator's epoch (rule 1).
    NoServingPrimary,
    /// A node is down, unassigned, at an older epoch or serving without the coordinator's word
    /// (rule 2).
    NotReplicating(Id),
    /// A replica is out of the live stream, or in it with writes unacknowledged (rule 2).
    NotInSync(Id, SenderPhase),
    /// The primary addresses a replica at an endpoint it has left (rule 2).
    StaleEndpoint(Id),
    /// Writes the primary holds are not committed (rule 3).
    WritesWithoutOutcome,
}

/// What kind of end state a state is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndState {
    /// An end state the protocol may rest in.
    Valid,
    /// An end state with a replica, a session or a write stuck.
    Invalid(Stuck),
}

/// The end-state verdict of `state`: `None` when a protocol step is still enabled.
pub fn end_state(model: &SwbModel, state: &State) -> Option<EndState> {
    if has_protocol_step(model, state) {
        return None;
    }
    Some(match stuck(state) {
        None => EndState::Valid,
        Some(reason) => EndState::Invalid(reason),
    })
}

/// True when some step that is not a fault changes the state. A delivery that changes nothing
/// (a duplicate on a duplicating network) is no step.
pub fn has_protocol_step(model: &SwbModel, state: &State) -> bool {
    if has_obvious_step(model, state) {
        return true;
    }
    // The steps `actions` lists, read without building its sorted list (`SwbModel::deliveries`).
    let exactly_once = model.config.message_duplication == MessageDuplication::Exactly;
    let step_changes = |action: Action| {
        model
            .next_state(state, action)
            .is_some_and(|next| changes(state, &next))
    };
    let delivery_changes = |envelope: Envelope<&Msg>| {
        if exactly_once {
            delivery_is_taken(model, state, envelope.src, envelope.dst, *envelope.msg)
        } else {
            step_changes(Action::Actor(ActorModelAction::Deliver {
                src: envelope.src,
                dst: envelope.dst,
                msg: *envelope.msg,
            }))
        }
    };
    if model.deliveries(state).any(delivery_changes) {
        return true;
    }
    let mut actions = Vec::new();
    model.actions_without_messages(state, &mut actions);
    actions
        .into_iter()
        .filter(|action| !is_fault(action))
        .any(step_changes)
}

/// True when the receiver takes the delivery (stateright's own test: the handler touched its
/// state or sent something), without building the successor. On a network that delivers each
/// message once, a taken delivery removes the message, so it always changes the state.
fn delivery_is_taken(model: &SwbModel, state: &State, src: Id, dst: Id, msg: Msg) -> bool {
    let (receiver, out) = model.handle_delivery(state, src, dst, msg);
    !stateright::actor::is_no_op(&receiver, &out)
}

/// The steps that are enabled whenever their precondition holds, read from the state without
/// taking them (the end-state check runs at every state, so this shortcut is most of its cost):
/// a crashed node can restart, a partition can heal, and a serving node with room in its log
/// takes a client write while writes remain. Each implies [`has_protocol_step`]'s full answer.
fn has_obvious_step(model: &SwbModel, state: &State) -> bool {
    let writes_left = state.history.issued.len() < u32::from(model.config.writes_max);
    state.crashed.iter().any(|crashed| *crashed)
        || model
            .params
            .nodes()
            .any(|node| state.history.is_isolated(node))
        || (writes_left
            && nodes_of(state).any(|(_, node)| {
                node.primary().is_some()
                    && node.disk.wal.received().get() < swb_model::cfg::WAL_CAPACITY as u64
            }))
}

/// True when `next` differs from `state` in anything but the duplicating network's record of
/// the last delivered message.
pub fn changes(state: &State, next: &State) -> bool {
    state.actor_states != next.actor_states
        || state.history != next.history
        || state.crashed != next.crashed
        || state.timers_set != next.timers_set
        || state.network.len() != next.network.len()
        || !state.network.iter_all().eq(next.network.iter_all())
}

/// The first rule of a valid end state that `state` breaks, if any (module documentation).
pub fn stuck(state: &State) -> Option<Stuck> {
    let coordinator = coordinator_of(state);
    let Some((primary_id, primary)) = current_primary(state) else {
        return Some(Stuck::NoServingPrimary);
    };
    let office = primary.primary()?;
    let head = primary.disk.wal.received();
    for (id, node) in nodes_of(state) {
        if id == primary_id {
            continue;
        }
        if !replicates_at(state, id, node, coordinator.epoch) {
            return Some(Stuck::NotReplicating(id));
        }
        let Some(sender) = office.senders.get(usize::from(id)).copied().flatten() else {
            return Some(Stuck::NotReplicating(id));
        };
        let in_sync = matches!(
            sender.phase,
            SenderPhase::InSync { acked, barrier: None, .. } if acked == head
        );
        if !in_sync {
            return Some(Stuck::NotInSync(id, sender.phase));
        }
        if sender.endpoint != node.disk.endpoint {
            return Some(Stuck::StaleEndpoint(id));
        }
    }
    (coordinator.committed < head).then_some(Stuck::WritesWithoutOutcome)
}

fn replicates_at(state: &State, id: Id, node: &NodeState, epoch: swb_engine::types::Epoch) -> bool {
    !state.crashed[usize::from(id)] && node.role == Role::Replica && node.disk.epoch == epoch
}

/// Progress (D45): no replica is left stuck. Every end state, a state only a fault could move
/// on, has the serving primary at its head with every other node in sync and every write
/// committed. A protocol that is safe because it stops doing anything fails here.
pub fn end_states_are_valid(model: &SwbModel, state: &State) -> bool {
    !matches!(end_state(model, state), Some(EndState::Invalid(_)))
}

/// The system comes to rest with every replica in sync.
pub fn valid_end_state_reached(model: &SwbModel, state: &State) -> bool {
    stuck(state).is_none() && !has_protocol_step(model, state)
}

/// The states [`valid_end_state_stays_reachable`] may visit from one state before it stops
/// looking and answers that it cannot judge (true).
pub const PROGRESS_SEARCH_STATES_MAX: usize = 200_000;

/// Progress under fairness (D47): from this state the protocol alone, with no further fault,
/// can still reach a valid end state. On a finite graph, a run that is strongly fair to every
/// protocol step (a message retransmitted forever is eventually delivered, a deadline that
/// keeps expiring eventually fires) then reaches one, so a state from which none is reachable
/// is a replica stuck for good: a session retrying forever without progress, or an invalid end
/// state. The checker judges this on the whole explored graph at once (`swb-check check
/// --progress`); this function judges one state, by a search bounded by
/// [`PROGRESS_SEARCH_STATES_MAX`] (beyond it, true: not judged), and is what a saved trace is
/// re-checked with.
pub fn valid_end_state_stays_reachable(model: &SwbModel, state: &State) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([state.clone()]);
    seen.insert(state.clone());
    while let Some(current) = queue.pop_front() {
        let mut actions = Vec::new();
        model.actions(&current, &mut actions);
        let mut end = true;
        for action in actions.into_iter().filter(|action| !is_fault(action)) {
            let Some(next) = model.next_state(&current, action) else {
                continue;
            };
            if !changes(&current, &next) {
                continue;
            }
            end = false;
            if seen.len() >= PROGRESS_SEARCH_STATES_MAX {
                return true;
            }
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
        if end && stuck(&current).is_none() {
            return true;
        }
    }
    false
}
