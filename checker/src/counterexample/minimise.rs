//! Minimal traces.
//!
//! stateright does not return shortest counterexamples: a later discovery overwrites an earlier
//! one, even in BFS on one thread, and DFS or simulation paths are as long as they happen to be.
//! A saved counterexample is therefore chosen by a total order that no search detail can move:
//! shortest first, then the lexicographically smallest sequence of action descriptions (then of
//! actions, for two actions described alike).
//!
//! [`shortest_violations`] finds that trace with its own level-by-level breadth-first search
//! (one thread, no symmetry reduction) rather than stateright's BFS, because stateright's queue
//! order does not give the tie-break: a state's successors are visited in the order of
//! (description, action), and levels are expanded in the order their states were first reached,
//! so the first time a state is reached is along its smallest shortest path, and the first
//! violating state of the first level with one ends the smallest shortest trace. This is
//! stateright's iterative deepening with `target_max_depth` done in one pass (a test checks both
//! give the same length). The search is bounded by the found trace's length and a state budget;
//! when the state budget runs out, [`shrink`] drops steps from the found trace while what remains
//! is still a path of the model that violates the property, which gives a trace no single step
//! can be removed from, but not a proven shortest one.
//!
//! Both phases also stop for `--memory-limit` (the breadth-first search holds a whole level of
//! states, about 3 KB each, so a deep trace can need far more memory than the search that found
//! it) and for Ctrl-C: resident memory is polled every [`MEMORY_POLL_VISITS`] visited states and
//! before every shrinking candidate, the interrupt flag at every state. A minimisation stopped
//! that way keeps whatever it has: the trace shrunk so far, at worst the found trace cut at its
//! first violating state, marked [`Minimality::Partial`] with the reason in
//! [`Minimised::stopped_by`], so `check` saves it and says so instead of losing the violation.

use crate::memory::MemoryLimit;
use serde::{Deserialize, Serialize};
use stateright::{Model, Path};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use swb_model::trace::describe_action;
use swb_model::{Action, State, SwbModel};
use swb_properties::PropertyInfo;

/// How far the minimisation got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Minimality {
    /// Proven shortest, and the smallest of the shortest by description.
    Shortest,
    /// No single step can be dropped, but a shorter trace may exist (the search budget ran out).
    Shrunk,
    /// The minimisation was stopped (memory limit, Ctrl-C) before it finished: the trace still
    /// violates the property, but steps may still be droppable.
    Partial,
    /// Not minimised: the path the search found (a witness's trace, or a trace past a
    /// `check --from` prefix, which minimisation would not keep).
    AsFound,
}

impl Minimality {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Minimality::Shortest => "shortest",
            Minimality::Shrunk => "shrunk",
            Minimality::AsFound => "as_found",
            Minimality::Partial => "partial",
        }
    }
}

/// The bounds of the shortest-trace search.
#[derive(Clone, Copy, Debug)]
pub struct SearchBudget {
    /// Unique states the search may visit before it gives up.
    pub states_max: usize,
    /// A flag set from outside (Ctrl-C) that ends the search early.
    pub interrupt: Option<&'static AtomicBool>,
}

impl SearchBudget {
    /// The budget `swb-check check` uses. Measured at about 3 KB per visited state (the states
    /// of the widest level are held whole), so at most about 450 MB.
    pub const DEFAULT_STATES_MAX: usize = 150_000;
}

/// What ended a minimisation before it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MinimiseStop {
    /// The shortest-trace search visited [`SearchBudget::states_max`] states; the found trace
    /// was shrunk instead.
    StatesMax,
    /// Resident memory reached `--memory-limit`.
    MemoryLimit,
    /// Ctrl-C.
    Interrupted,
}

impl MinimiseStop {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            MinimiseStop::StatesMax => "states_max",
            MinimiseStop::MemoryLimit => "memory_limit",
            MinimiseStop::Interrupted => "interrupted",
        }
    }
}

/// How often (in visited states) the breadth-first search reads resident memory: reading
/// `/proc/self/status` costs tens of microseconds, a visit about one, and 1024 visits hold
/// about 3 MB of states, far below any useful limit.
pub const MEMORY_POLL_VISITS: usize = 1024;

/// The stops a minimisation polls as it goes: the interrupt flag and the memory limit.
#[derive(Clone, Copy, Debug)]
struct ExternalStops {
    interrupt: Option<&'static AtomicBool>,
    memory_limit: Option<MemoryLimit>,
}

impl ExternalStops {
    fn new(budget: SearchBudget, memory_limit: Option<MemoryLimit>) -> Self {
        Self {
            interrupt: budget.interrupt,
            memory_limit,
        }
    }

    fn interrupted(self) -> bool {
        self.interrupt
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Ctrl-C first, then memory (which costs a read of `/proc`).
    fn requested(self) -> Option<MinimiseStop> {
        if self.interrupted() {
            return Some(MinimiseStop::Interrupted);
        }
        if self.memory_limit.is_some_and(MemoryLimit::is_reached) {
            return Some(MinimiseStop::MemoryLimit);
        }
        None
    }
}

/// A minimised trace.
#[derive(Clone, Debug)]
pub struct Minimised {
    /// The trace: starts at the initial state, its last state violates the property.
    pub path: Path<State, Action>,
    /// How minimal it is.
    pub minimality: Minimality,
    /// Unique states the breadth-first search visited.
    pub states_visited: usize,
    /// Why the minimisation did not prove the trace shortest; `None` when it did.
    pub stopped_by: Option<MinimiseStop>,
}

/// What the breadth-first search found.
#[derive(Clone, Debug)]
pub struct ShortestViolations {
    /// Per property name: the smallest shortest violating trace.
    pub traces: BTreeMap<&'static str, Path<State, Action>>,
    /// Unique states visited.
    pub states_visited: usize,
    /// Why the search ended before it reached its depth; `None` when it did not (the traces
    /// are then proven shortest, and a missing one does not exist within the depth).
    pub stopped_by: Option<MinimiseStop>,
}

/// One visited state in the search tree: how it was first reached.
struct Visit {
    parent: Option<usize>,
    action: Option<Action>,
}

fn fingerprint(state: &State) -> u64 {
    // `DefaultHasher::new` has fixed keys: the same state always gives the same fingerprint.
    // Like stateright, the search treats equal fingerprints as equal states.
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Finds, for every property in `properties` (all `always`), its smallest shortest violating
/// trace of at most `actions_max` actions (see the module documentation). The search ends early
/// at `budget` or at `memory_limit`.
pub fn shortest_violations(
    model: &SwbModel,
    properties: &[PropertyInfo],
    actions_max: usize,
    budget: SearchBudget,
    memory_limit: Option<MemoryLimit>,
) -> ShortestViolations {
    let stops = ExternalStops::new(budget, memory_limit);
    let mut traces = BTreeMap::new();
    let mut visits: Vec<Visit> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut level: Vec<(usize, State)> = Vec::new();
    let mut initial_states = model.init_states();
    initial_states.sort_by_key(fingerprint);
    for state in initial_states {
        if seen.insert(fingerprint(&state)) {
            visits.push(Visit {
                parent: None,
                action: None,
            });
            level.push((visits.len() - 1, state));
        }
    }
    let mut stopped_by = None;
    let mut depth = 0;
    loop {
        for (index, state) in &level {
            for property in properties {
                if !traces.contains_key(property.name) && !(property.condition)(model, state) {
                    traces.insert(property.name, rebuild(model, &visits, *index, state));
                }
            }
        }
        let all_found = properties
            .iter()
            .all(|property| traces.contains_key(property.name));
        if all_found || depth >= actions_max || level.is_empty() {
            break;
        }
        // A level can be wide: look at memory and Ctrl-C before growing the next one.
        stopped_by = stops.requested();
        if stopped_by.is_some() {
            break;
        }
        let mut next_level = Vec::new();
        // Consumed while expanding, so a level's states are freed as the next one grows.
        'expand: for (index, state) in std::mem::take(&mut level) {
            if !model.within_boundary(&state) {
                continue;
            }
            let mut steps: Vec<(String, Action, State)> = model
                .next_steps(&state)
                .into_iter()
                .map(|(action, next)| (describe_action(&action), action, next))
                .collect();
            steps.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            for (_, action, next) in steps {
                if !seen.insert(fingerprint(&next)) {
                    continue;
                }
                visits.push(Visit {
                    parent: Some(index),
                    action: Some(action),
                });
                next_level.push((visits.len() - 1, next));
                stopped_by = if visits.len() >= budget.states_max {
                    Some(MinimiseStop::StatesMax)
                } else if visits.len() % MEMORY_POLL_VISITS == 0 {
                    stops.requested()
                } else if stops.interrupted() {
                    Some(MinimiseStop::Interrupted)
                } else {
                    None
                };
                if stopped_by.is_some() {
                    break 'expand;
                }
            }
        }
        if stopped_by.is_some() {
            break;
        }
        level = next_level;
        depth += 1;
    }
    ShortestViolations {
        traces,
        states_visited: visits.len(),
        stopped_by,
    }
}

/// The path from an initial state to the visit `index`, replayed through the model so every
/// state on it is the model's own.
fn rebuild(model: &SwbModel, visits: &[Visit], index: usize, last: &State) -> Path<State, Action> {
    let mut actions = Vec::new();
    let mut cursor = Some(index);
    while let Some(at) = cursor {
        if let Some(action) = &visits[at].action {
            actions.push(action.clone());
        }
        cursor = visits[at].parent;
    }
    actions.reverse();
    let path = replay(model, &actions).expect("a path the search walked replays");
    assert!(
        path.last_state() == last,
        "the replayed search path ends in the state the search reached"
    );
    path
}

/// Replays `actions` from the model's initial state; `None` when some action is not enabled
/// where it is taken.
pub fn replay(model: &SwbModel, actions: &[Action]) -> Option<Path<State, Action>> {
    let initial = model.init_states().into_iter().next()?;
    Path::from_actions(model, initial, actions)
}

/// The shortest prefix of `actions` that is a path of the model ending in a state violating
/// `property`, or `None` when no prefix is.
fn violating_prefix(
    model: &SwbModel,
    property: &PropertyInfo,
    actions: &[Action],
) -> Option<Path<State, Action>> {
    let path = replay(model, actions)?;
    let states = path.clone().into_states();
    let first_violation = states
        .iter()
        .position(|state| !(property.condition)(model, state))?;
    replay(model, &actions[..first_violation])
}

/// Drops steps from `found` while what remains still violates `property`, last steps first,
/// until no single step can be dropped. `None` when `found` itself is not a violating path.
/// `stops` is polled before every candidate: a requested stop ends the shrinking with the trace
/// shrunk so far (at worst `found` cut at its first violating state) and the reason.
fn shrink(
    model: &SwbModel,
    property: &PropertyInfo,
    found: &Path<State, Action>,
    stops: ExternalStops,
) -> Option<(Path<State, Action>, Option<MinimiseStop>)> {
    let mut current = violating_prefix(model, property, &found.clone().into_actions())?;
    // Each pass either removes a step or ends the loop: at most `len` passes.
    loop {
        let actions = current.clone().into_actions();
        let mut stopped_by = None;
        let shorter = (0..actions.len()).rev().find_map(|drop| {
            stopped_by = stopped_by.or_else(|| stops.requested());
            if stopped_by.is_some() {
                return None;
            }
            let mut candidate = actions.clone();
            candidate.remove(drop);
            violating_prefix(model, property, &candidate)
        });
        match (shorter, stopped_by) {
            (Some(path), _) => current = path,
            (None, stopped_by) => return Some((current, stopped_by)),
        }
    }
}

/// Minimises `found`, a trace violating `property`: the smallest shortest trace when the search
/// fits the budget and the memory limit, else `found` shrunk (as far as the memory limit and
/// Ctrl-C let it go). `None` when `found` is not a violating path of `model` and the search did
/// not find one either.
pub fn minimise(
    model: &SwbModel,
    property: &PropertyInfo,
    found: &Path<State, Action>,
    budget: SearchBudget,
    memory_limit: Option<MemoryLimit>,
) -> Option<Minimised> {
    let found_actions = found.clone().into_actions();
    let search = shortest_violations(
        model,
        &[*property],
        found_actions.len(),
        budget,
        memory_limit,
    );
    if let Some(path) = search.traces.get(property.name) {
        return Some(Minimised {
            path: path.clone(),
            minimality: Minimality::Shortest,
            states_visited: search.states_visited,
            stopped_by: None,
        });
    }
    let stops = ExternalStops::new(budget, memory_limit);
    let (path, shrink_stopped_by) = shrink(model, property, found, stops)?;
    let minimality = match shrink_stopped_by {
        Some(_) => Minimality::Partial,
        None => Minimality::Shrunk,
    };
    Some(Minimised {
        path,
        minimality,
        states_visited: search.states_visited,
        stopped_by: search.stopped_by.or(shrink_stopped_by),
    })
}
