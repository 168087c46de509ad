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
//! The counterexample is a lasso: the path to the first unmarked state in breadth-first order (a
//! shortest path to a state from which no valid end state is reachable), then protocol steps
//! within the unmarked states until one repeats. Every protocol step from an unmarked state leads
//! to another one (else it could reach a goal), so no fair scheduling leaves that region: the
//! repeated state closes a cycle the protocol can take forever, or the walk ends in an invalid end
//! state (no cycle; `end_states_are_valid` fails there too). The search holds every state, so it
//! is for small bounds: past `states_max` it stops, incomplete.
//!
//! A `check` run adds the progress property on its own bounds with `--progress`; the main job
//! adds it on [`Config::embedded_progress`] (D49), since the main job's own graph is far too big
//! to hold whole.

use crate::check::{CheckOutcome, Completion, Kind, Limit, PropertyOutcome, Status};
use crate::counterexample::replay;
use serde::Serialize;
use stateright::{Model, Path};
use std::any::Any;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use swb_model::deadline::is_fault;
use swb_model::{Action, Config, State, SwbModel};
use swb_properties::progress::{changes, stuck};

/// The catalogue name of the progress property.
pub const PROGRESS_PROPERTY: &str = "valid_end_state_stays_reachable";

/// The default bound on the states the progress search holds.
pub const STATES_MAX_DEFAULT: NonZeroUsize = match NonZeroUsize::new(400_000) {
    Some(states_max) => states_max,
    None => unreachable!(),
};

/// A progress check a `check` run adds.
#[derive(Clone, Debug)]
pub struct ProgressRun {
    /// The bounds of the graph: `None` for the checked model's own (`--progress`), or the main
    /// job's progress bounds.
    pub config: Option<Config>,
    /// The most states the graph may hold.
    pub states_max: NonZeroUsize,
}

impl ProgressRun {
    /// The main job's progress check: at [`Config::embedded_progress`] (D49).
    pub fn main_job(states_max: NonZeroUsize) -> ProgressRun {
        ProgressRun {
            config: Some(Config::embedded_progress()),
            states_max,
        }
    }
}

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
    /// The lasso (see the module documentation): a shortest path to a state from which no valid
    /// end state is reachable, then protocol steps until a state repeats.
    pub counterexample: Option<Path<State, Action>>,
    /// The steps at the end of the counterexample that return to the state they start from;
    /// `None` when it ends in an invalid end state instead (or holds).
    pub cycle_steps: Option<usize>,
}

/// The progress line of a `check` report and its JSON object `progress`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgressSummary {
    /// The bounds the graph was built at.
    pub bounds: String,
    pub states: usize,
    pub valid_end_states: usize,
    /// States from which no valid end state is reachable (0 when it holds).
    pub stuck_states: usize,
    /// False when the graph was cut at its state bound (no verdict).
    pub complete: bool,
    /// Steps on the counterexample's cycle: its last `cycle_steps` steps return to the state
    /// they start from. `null` when it holds or ends in an invalid end state.
    pub cycle_steps: Option<usize>,
}

impl ProgressSummary {
    /// The report's one-line value.
    pub fn line(&self) -> String {
        let verdict = match (self.complete, self.stuck_states, self.cycle_steps) {
            (false, _, _) => "cut by the state bound: not judged".to_owned(),
            (true, 0, _) => "every state can reach a valid end state".to_owned(),
            (true, stuck, Some(cycle)) => {
                format!("{stuck} states cannot reach one; the trace ends in a {cycle}-step cycle")
            }
            (true, stuck, None) => {
                format!("{stuck} states cannot reach one; the trace ends in an invalid end state")
            }
        };
        format!(
            "{} states, {} valid end states: {verdict} (at {})",
            self.states, self.valid_end_states, self.bounds
        )
    }
}

fn fingerprint(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Judges the progress property on every state of `model` reachable within `states_max`.
pub fn check_progress(model: &SwbModel, states_max: NonZeroUsize) -> ProgressOutcome {
    let states_max = states_max.get();
    // A state is held only until it is expanded: the graph is ids, parent steps and reversed
    // edges, and the counterexample is rebuilt by replaying steps.
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut unexpanded: VecDeque<(u32, State)> = VecDeque::new();
    let mut parents: Vec<Option<(u32, Action)>> = Vec::new();
    let mut reversed: Vec<Vec<u32>> = Vec::new();
    let mut goals: Vec<u32> = Vec::new();
    let mut complete = true;

    let mut admit = |state: State,
                     parent: Option<(u32, Action)>,
                     unexpanded: &mut VecDeque<(u32, State)>,
                     parents: &mut Vec<Option<(u32, Action)>>,
                     reversed: &mut Vec<Vec<u32>>|
     -> Option<u32> {
        let key = fingerprint(&state);
        if let Some(id) = index.get(&key) {
            return Some(*id);
        }
        if parents.len() >= states_max {
            return None;
        }
        let id = u32::try_from(parents.len()).expect("states_max fits in u32");
        index.insert(key, id);
        unexpanded.push_back((id, state));
        parents.push(parent);
        reversed.push(Vec::new());
        Some(id)
    };
    for init in model.init_states() {
        admit(init, None, &mut unexpanded, &mut parents, &mut reversed);
    }
    let mut actions = Vec::new();
    while let Some((id, state)) = unexpanded.pop_front() {
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
                &mut unexpanded,
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
    let states = parents.len();

    // Backward from the goals: every state that can still reach one.
    let mut can_progress = vec![false; states];
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
    let stuck_ids: Vec<usize> = (0..states).filter(|id| !can_progress[*id]).collect();
    // An incomplete graph has unexpanded states, which look like dead ends: judge none.
    let (counterexample, cycle_steps) = match (complete, stuck_ids.first()) {
        (true, Some(first)) => {
            let mut actions = parent_actions(&parents, *first);
            let (walk, cycle_steps) = replay(model, &actions)
                .map(|prefix| walk_to_repeat(model, prefix.last_state(), &index, &can_progress))
                .unwrap_or_default();
            actions.extend(walk);
            (replay(model, &actions), cycle_steps)
        }
        _ => (None, None),
    };
    ProgressOutcome {
        states,
        valid_end_states: goals.len(),
        stuck_states: if complete { stuck_ids.len() } else { 0 },
        complete,
        counterexample,
        cycle_steps,
    }
}

/// From `from`, a state that cannot reach a valid end state, takes the first protocol step
/// (in the model's action order) that changes the state, until a state repeats: the steps, and
/// how many of the last ones form the cycle (`None` when the walk stops at an end state). Every
/// such step stays among the states that cannot progress (else `from` could), and the graph is
/// complete, so every successor has an id.
fn walk_to_repeat(
    model: &SwbModel,
    from: &State,
    index: &HashMap<u64, u32>,
    can_progress: &[bool],
) -> (Vec<Action>, Option<usize>) {
    let mut walk = Vec::new();
    let mut position_of: HashMap<u64, usize> = HashMap::new();
    let mut state = from.clone();
    let mut actions = Vec::new();
    loop {
        let key = fingerprint(&state);
        if let Some(start) = position_of.get(&key) {
            let cycle = walk.len() - start;
            return (walk, Some(cycle));
        }
        position_of.insert(key, walk.len());
        actions.clear();
        model.actions(&state, &mut actions);
        let step = actions.drain(..).find_map(|action| {
            if is_fault(&action) {
                return None;
            }
            let next = model.next_state(&state, action.clone())?;
            let id = *index.get(&fingerprint(&next))? as usize;
            (changes(&state, &next) && !can_progress[id]).then_some((action, next))
        });
        match step {
            Some((action, next)) => {
                walk.push(action);
                state = next;
            }
            None => return (walk, None),
        }
    }
}

/// Judges the progress property of `run` (on `checked`, the checked model, or on the run's own
/// bounds) and adds its verdict and summary to `outcome`, properties kept sorted by name; a cut
/// progress search makes the whole run incomplete. Returns the model the graph was built from
/// and its counterexample. The counterexample is attached to the outcome's property only when
/// the graph is the checked model's: a path of other bounds must be saved with its own
/// configuration ([`crate::counterexample::save_progress`]).
pub fn add_progress_outcome<S: 'static, A: 'static>(
    checked: &SwbModel,
    run: &ProgressRun,
    outcome: &mut CheckOutcome<S, A>,
) -> (SwbModel, Option<Path<State, Action>>) {
    let model = match &run.config {
        Some(config) => swb_properties::build_model(config),
        None => checked.clone(),
    };
    let progress = check_progress(&model, run.states_max);
    let violated = progress.counterexample.is_some();
    let discovery = progress
        .counterexample
        .clone()
        .filter(|_| run.config.is_none())
        .and_then(|path| {
            let boxed: Box<dyn Any> = Box::new(path);
            boxed.downcast::<Path<S, A>>().ok().map(|path| *path)
        });
    outcome.properties.push(PropertyOutcome {
        name: PROGRESS_PROPERTY,
        kind: Kind::Progress,
        status: Status::of(Kind::Progress, violated),
        discovery,
    });
    outcome.properties.sort_by_key(|property| property.name);
    if !progress.complete && outcome.completion == Completion::Complete {
        outcome.completion = Completion::Incomplete(Limit::MaxStates);
    }
    outcome.progress = Some(ProgressSummary {
        bounds: model.config.to_string(),
        states: progress.states,
        valid_end_states: progress.valid_end_states,
        stuck_states: progress.stuck_states,
        complete: progress.complete,
        cycle_steps: progress.cycle_steps,
    });
    (model, progress.counterexample)
}

/// The parent steps from an initial state to `id`.
fn parent_actions(parents: &[Option<(u32, Action)>], id: usize) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut at = id;
    while let Some((parent, action)) = &parents[at] {
        actions.push(action.clone());
        at = *parent as usize;
    }
    actions.reverse();
    actions
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
        // The shortest path into the region that cannot progress (4 steps), the protocol's other
        // steps there (the write commits), then the loop: the deadline re-sends the probe and the
        // replica swallows it, back to the state before the re-send.
        assert_eq!(
            steps,
            vec![
                "n1: client write",
                "n1: barrier to n2 times out",
                "n1 → n2: probe(e1, s1, to v1)",
                "network drops n2 → n1: probe_reply(e1, s1, flushed 0)",
                "n1 → n2: write(e1, lsn 1, to v1)",
                "n1 → n3: write(e1, lsn 1, to v1)",
                "n3 → n1: barrier_ack(e1, 1)",
                "n1 → coordinator: commit_report(e1, 1)",
                "coordinator → n1: commit_ack(e1, C=1)",
                "n1: handshake with n2 overdue: probe sent again",
                "n1 → n2: probe(e1, s1, to v1)",
            ]
        );
        let steps = path.clone().into_vec();
        let (cycle_start, _) = &steps[steps.len() - 3];
        assert_eq!(
            cycle_start,
            path.last_state(),
            "the last two steps close a cycle"
        );
        assert_eq!(outcome.cycle_steps, Some(2));
        let info = swb_properties::find(PROGRESS_PROPERTY).expect("catalogued");
        assert!(!(info.condition)(&model, path.last_state()));
        assert_eq!(info.mutant, Some(Mutant::ReplicaIgnoresRepeatedProbe));
    }
}
