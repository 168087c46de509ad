//! The `progress` property kind: from every reachable state a valid end state stays reachable
//! (AG EF, decision D47), judged on the explicit state graph.
//!
//! stateright's `eventually` is judged at terminal states only, so it cannot see a session that
//! retries forever (no state of that loop is terminal). Here the graph is built whole:
//! 1. a breadth-first search from the initial states (one thread, no symmetry reduction, states
//!    numbered in the order they are first reached) records every state, its parent step, and
//!    every protocol step (not a fault: `swb_model::deadline::is_fault`) that changes it, as a
//!    reversed edge;
//! 2. a state with no such step is an end state; the valid ones
//!    (`swb_properties::progress::stuck` finds nothing) are the goals;
//! 3. a backward search from the goals over the reversed protocol edges marks every state that
//!    can still reach one; any other reachable state violates the property.
//!
//! The counterexample is the path to the first unmarked state in breadth-first order, which is a
//! shortest path to a state from which no valid end state is reachable; every protocol step from
//! there leads to another such state, so the protocol is caught in a loop or stuck. The search
//! holds every state, so it is for small bounds: past `states_max` it stops, incomplete.

use crate::check::{CheckOutcome, Completion, Kind, Limit, PropertyOutcome, Status};
use crate::counterexample::replay;
use stateright::{Model, Path};
use std::any::Any;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use swb_model::deadline::is_fault;
use swb_model::{Action, State, SwbModel};
use swb_properties::progress::{changes, stuck};

/// The catalogue name of the progress property.
pub const PROGRESS_PROPERTY: &str = "valid_end_state_stays_reachable";

/// The default bound on the states the progress search holds.
pub const STATES_MAX_DEFAULT: NonZeroUsize = match NonZeroUsize::new(400_000) {
    Some(states_max) => states_max,
    None => unreachable!(),
};

/// What the progress search found.
#[derive(Clone, Debug)]
pub struct ProgressOutcome {
    /// Reachable states explored.
    pub states: usize,
    /// Of those, valid end states (the goals).
    pub valid_end_states: usize,
    /// Reachable states from which no valid end state is reachable.
    pub stuck_states: usize,
    /// False when `states_max` cut the search (no verdict on the rest of the graph).
    pub complete: bool,
    /// A shortest path to a state from which no valid end state is reachable.
    pub counterexample: Option<Path<State, Action>>,
}

fn fingerprint(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Judges the progress property on every state of `model` reachable within `states_max`.
pub fn check_progress(model: &SwbModel, states_max: NonZeroUsize) -> ProgressOutcome {
    let states_max = states_max.get();
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut states: Vec<State> = Vec::new();
    let mut parents: Vec<Option<(u32, Action)>> = Vec::new();
    let mut reversed: Vec<Vec<u32>> = Vec::new();
    let mut goals: Vec<u32> = Vec::new();
    let mut complete = true;

    let mut admit = |state: State,
                     parent: Option<(u32, Action)>,
                     states: &mut Vec<State>,
                     parents: &mut Vec<Option<(u32, Action)>>,
                     reversed: &mut Vec<Vec<u32>>|
     -> Option<u32> {
        let key = fingerprint(&state);
        if let Some(id) = index.get(&key) {
            return Some(*id);
        }
        if states.len() >= states_max {
            return None;
        }
        let id = u32::try_from(states.len()).expect("states_max fits in u32");
        index.insert(key, id);
        states.push(state);
        parents.push(parent);
        reversed.push(Vec::new());
        Some(id)
    };
    for init in model.init_states() {
        admit(init, None, &mut states, &mut parents, &mut reversed);
    }
    let mut next_to_expand = 0usize;
    let mut actions = Vec::new();
    while next_to_expand < states.len() {
        let id = u32::try_from(next_to_expand).expect("states_max fits in u32");
        let state = states[next_to_expand].clone();
        next_to_expand += 1;
        actions.clear();
        model.actions(&state, &mut actions);
        let mut end = true;
        for action in actions.drain(..) {
            let protocol_step = !is_fault(&action);
            let Some(next) = model.next_state(&state, action.clone()) else {
                continue;
            };
            let moves = changes(&state, &next);
            let Some(next_id) = admit(
                next,
                Some((id, action)),
                &mut states,
                &mut parents,
                &mut reversed,
            ) else {
                complete = false;
                continue;
            };
            if protocol_step && moves {
                end = false;
                reversed[next_id as usize].push(id);
            }
        }
        if end && stuck(&state).is_none() {
            goals.push(id);
        }
    }

    // Backward from the goals: every state that can still reach one.
    let mut can_progress = vec![false; states.len()];
    let mut queue: VecDeque<u32> = goals.iter().copied().collect();
    for goal in &goals {
        can_progress[*goal as usize] = true;
    }
    while let Some(id) = queue.pop_front() {
        for before in &reversed[id as usize] {
            if !can_progress[*before as usize] {
                can_progress[*before as usize] = true;
                queue.push_back(*before);
            }
        }
    }
    let stuck_ids: Vec<usize> = (0..states.len()).filter(|id| !can_progress[*id]).collect();
    // An incomplete graph has unexpanded states, which look like dead ends: judge none.
    let counterexample = match (complete, stuck_ids.first()) {
        (true, Some(first)) => path_to(model, &parents, *first),
        _ => None,
    };
    ProgressOutcome {
        states: states.len(),
        valid_end_states: goals.len(),
        stuck_states: if complete { stuck_ids.len() } else { 0 },
        complete,
        counterexample,
    }
}

/// Judges the progress property of `model` and adds its verdict to `outcome` (a check of the
/// protocol model, whose generic paths are the protocol model's), kept sorted by name. A cut
/// progress search makes the whole run incomplete.
pub fn add_progress_outcome<S: 'static, A: 'static>(
    model: &SwbModel,
    states_max: NonZeroUsize,
    outcome: &mut CheckOutcome<S, A>,
) {
    let progress = check_progress(model, states_max);
    let discovery = progress.counterexample.and_then(|path| {
        let boxed: Box<dyn Any> = Box::new(path);
        boxed.downcast::<Path<S, A>>().ok().map(|path| *path)
    });
    outcome.properties.push(PropertyOutcome {
        name: PROGRESS_PROPERTY,
        kind: Kind::Progress,
        status: Status::of(Kind::Progress, discovery.is_some()),
        discovery,
    });
    outcome.properties.sort_by_key(|property| property.name);
    if !progress.complete && outcome.completion == Completion::Complete {
        outcome.completion = Completion::Incomplete(Limit::MaxStates);
    }
    eprintln!(
        "swb-check: progress: {} states, {} valid end states, {} states that cannot reach one{}",
        progress.states,
        progress.valid_end_states,
        progress.stuck_states,
        if progress.complete {
            ""
        } else {
            " (cut by --progress-states-max: not judged)"
        }
    );
}

/// The path of parent steps from an initial state to `id`, rebuilt through the model.
fn path_to(
    model: &SwbModel,
    parents: &[Option<(u32, Action)>],
    id: usize,
) -> Option<Path<State, Action>> {
    let mut actions = Vec::new();
    let mut at = id;
    while let Some((parent, action)) = &parents[at] {
        actions.push(action.clone());
        at = *parent as usize;
    }
    actions.reverse();
    replay(model, &actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use swb_model::{Config, MessageLoss, Mutant};

    /// Small lossy bounds: one write, one timeout (which opens the session whose messages are
    /// lost), every other fault off.
    fn lossy_one_timeout(mutant: Option<Mutant>) -> Config {
        Config {
            writes_max: 1,
            crashes_max: 0,
            address_changes_max: 0,
            lease_expiries_max: 0,
            partitions_max: 0,
            timeouts_max: 1,
            message_loss: MessageLoss::Lossy,
            mutant,
            ..Config::default()
        }
    }

    // Goal (D47): with the deadlines, every state of the small lossy bounds can still reach a
    // valid end state.
    #[test]
    fn lossy_recovery_always_can_reach_a_valid_end_state() {
        let model = swb_properties::build_model(&lossy_one_timeout(None));
        let outcome = check_progress(&model, STATES_MAX_DEFAULT);
        assert!(outcome.complete);
        assert_eq!(outcome.stuck_states, 0);
        assert!(outcome.valid_end_states > 0);
        assert!(outcome.counterexample.is_none());
    }

    // Goal (D47): a replica that silently consumes a repeated probe makes the handshake retry
    // forever without progress; no end state is ever reached (the end-state check cannot see
    // it), and the progress property catches it with a shortest trace to the looping state:
    // the probe reply is lost, and from there every retry is swallowed.
    #[test]
    fn session_retrying_forever_is_caught_by_progress() {
        let model = swb_properties::build_model(&lossy_one_timeout(Some(
            Mutant::ReplicaIgnoresRepeatedProbe,
        )));
        let outcome = check_progress(&model, STATES_MAX_DEFAULT);
        assert!(outcome.complete);
        assert!(outcome.stuck_states > 0);
        let path = outcome.counterexample.expect("a trace to a stuck state");
        let steps: Vec<String> = path
            .clone()
            .into_actions()
            .iter()
            .map(|action| model.format_action(action))
            .collect();
        assert_eq!(
            steps,
            vec![
                "n1: client write",
                "n1: barrier to n2 times out",
                "n1 → n2: probe(e1, s1, to v1)",
                "network drops n2 → n1: probe_reply(e1, s1, flushed 0)",
            ]
        );
        let info = swb_properties::find(PROGRESS_PROPERTY).expect("catalogued");
        assert!(!(info.condition)(&model, path.last_state()));
        assert_eq!(info.mutant, Some(Mutant::ReplicaIgnoresRepeatedProbe));
    }
}
