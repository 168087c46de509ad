//! Fenced-traffic discarding: a sound reduction of the state space (decision D35).
//!
//! After a lease expiry the old epoch's traffic still in flight can only ever be fenced: its
//! receiver adopted a newer epoch, epochs never fall, and fencing is the first rule every
//! receiver applies. Delivering such a message consumes it and changes nothing but the network
//! (and records the `FencedStaleMessage` witness); leaving it in flight changes nothing the
//! properties read either. Yet every such message doubles the states that differ only in whether
//! it was delivered yet. So after every step the model delivers it at once: the message leaves
//! the network and the witness is recorded, exactly what its delivery would do, in the step that
//! made it dead.
//!
//! A message is discarded only when both of these hold, so a mutant that accepts stale traffic
//! is never masked:
//! 1. the rule: it is stamped with an epoch its receiver can never accept again (fenced traffic
//!    older than the receiver's epoch, or a new-epoch notice or role assignment older than it),
//!    and the receiver is up (a crashed node's epoch is read again when it restarts);
//! 2. the receiver's own handler, run on its current state, consumes it without changing
//!    anything or sending anything.
//!
//! Why this is sound for every property (the argument `docs/design.md` D35 gives in full, and
//! `properties/tests/reductions.rs` checks at small bounds): a message that satisfies (1) in the
//! unmutated model satisfies it forever, because a node's epoch is durable and only rises, the
//! coordinator's only rises, and every receiver fences such a message before reading anything
//! else, whatever its role (a joining node waits, so (2) leaves its messages alone until it has a
//! role). Its delivery is then a step that changes only the network and the witness, at any time.
//! Discarding it eagerly therefore reaches, projected to what the properties read (actor states,
//! timers, crash flags and the ghost history without the network), exactly the states the model
//! reaches without discarding, except that the witness is recorded when the message dies rather
//! than when it is delivered.

use crate::events::Event;
use crate::history::Witness;
use crate::msg::Msg;
use crate::system::{epoch_of, messages_in_flight, State, SwbModel, SwbTimer};
use stateright::actor::{ActorModelAction, Envelope, Network};
use stateright::Model;
use std::borrow::Cow;
use swb_engine::types::Epoch;

/// Rule (1): a receiver at `receiver_epoch` can never accept `msg` again.
///
/// Fenced traffic older than the receiver is fenced by every receiver (`Msg::is_epoch_fenced`);
/// a new-epoch notice at or below the receiver's epoch, and a role assignment below it, are
/// ignored by every node (`replica::on_msg`). An assignment at the receiver's own epoch is not
/// dead: whether it applies depends on the node's role, which a restart changes.
pub fn is_dead_at(msg: &Msg, receiver_epoch: Epoch) -> bool {
    match msg {
        Msg::NewEpoch { epoch, .. } => *epoch <= receiver_epoch,
        Msg::Assign { epoch, .. } => *epoch < receiver_epoch,
        other => other.is_epoch_fenced() && other.epoch() < receiver_epoch,
    }
}

/// Rule (2): the receiver's handler consumes the message without changing anything or sending
/// anything (stateright would take such a delivery as a step that only empties the network slot).
fn consumed_without_effect(model: &SwbModel, state: &State, envelope: &Envelope<&Msg>) -> bool {
    let before = state.actor_states[usize::from(envelope.dst)].as_ref();
    let (after, out) = model.handle_delivery(state, envelope.src, envelope.dst, *envelope.msg);
    matches!(after, Cow::Owned(ref next) if next == before) && out.is_empty()
}

/// True when `envelope` is dead in `state` by both rules.
fn is_dead(model: &SwbModel, state: &State, envelope: &Envelope<&Msg>) -> bool {
    let index = usize::from(envelope.dst);
    !state.crashed[index]
        && is_dead_at(envelope.msg, epoch_of(&state.actor_states[index]))
        && consumed_without_effect(model, state, envelope)
}

/// Delivers, at once, every message in flight that its receiver can only ever fence (see the
/// module documentation): each leaves the network, and a fenced stale message records the
/// witness and the scenario event its delivery would have recorded.
pub fn discard_fenced_traffic(model: &SwbModel, state: &mut State) {
    // Bounded by the messages in flight: each round removes one copy.
    while let Some(envelope) = first_dead(model, state) {
        let fenced = envelope
            .msg
            .is_epoch_fenced()
            .then(|| Event::fenced(envelope.dst, envelope.msg.epoch()));
        // A drop changes the network only; the ghost is carried over unchanged.
        drop_in_place(model, state, envelope);
        // What the delivery would have recorded: the witness, and the `fenced` event for a
        // scenario witness's pattern (D52).
        if let Some(event) = fenced {
            state.history.witness(Witness::FencedStaleMessage);
            state
                .history
                .scenario
                .advance(&model.params.witnesses, &[event]);
        }
    }
}

/// The first message in flight, in the network's iteration order, that is dead in `state`.
fn first_dead(model: &SwbModel, state: &State) -> Option<Envelope<Msg>> {
    messages_in_flight(&state.network)
        .map(|(envelope, _)| envelope)
        .find(|envelope| is_dead(model, state, envelope))
        .map(|envelope| envelope.to_cloned_msg())
}

/// Takes one copy of `envelope` out of `state`'s network: what stateright's `Drop` step does,
/// without the copy of the whole state that step makes (this runs after every step that leaves
/// dead traffic behind). The unordered networks the model uses are changed in place, as
/// stateright's own drop changes them; an ordered network goes through stateright's step.
fn drop_in_place(model: &SwbModel, state: &mut State, envelope: Envelope<Msg>) {
    match &mut state.network {
        Network::UnorderedNonDuplicating(multiset) => {
            let count = multiset
                .get_mut(&envelope)
                .expect("a dead message is in flight");
            *count -= 1;
            if *count == 0 {
                multiset.remove(&envelope);
            }
        }
        Network::UnorderedDuplicating(set, _) => {
            set.remove(&envelope);
        }
        Network::Ordered(_) => {
            *state = model
                .inner
                .next_state(state, ActorModelAction::<Msg, SwbTimer, ()>::Drop(envelope))
                .expect("stateright always takes a drop");
        }
    }
}
