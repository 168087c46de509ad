//! The frontier every shard computes: the states at exactly `depth` actions from the initial
//! states, one per symmetry class, found breadth-first in a deterministic order, with every
//! property checked on the states before it.
//!
//! 1. Level 0 is the model's initial states (within its boundary). Level d+1 is every successor
//!    of level d, in the order of level d and then of the model's action list, kept only if its
//!    key was never seen at any level: the class digest with symmetry on (the key DFS
//!    fingerprints, so the frontier holds one state per class, as the DFS would), a hash of the
//!    whole state with it off. Nothing iterates a hash set, so every process computes the same
//!    levels in the same order.
//! 2. Every state of levels 0..depth-1 (the *prefix*) is checked against every property here, in
//!    every shard; the states of level `depth` (the frontier) are checked by the shard that owns
//!    them, whose depth-first search starts from them. So every state of the prefix and of the
//!    frontier is checked by some shard, and every state below the frontier is reached from a
//!    frontier state (symmetry reduction is sound for the same reason as in one search:
//!    successors of renamed states are the renamed successors).
//! 3. Each kept state remembers its parent and the action that reached it, so any state's path
//!    from the initial state (a discovery here, or the start of a shard's path) is rebuilt
//!    exactly, and a counterexample found by a shard starts at the real initial state.
//! 4. The first violation of an `always` and the first witness of a `sometimes` are kept: in
//!    breadth-first order the first is a shortest one.

use crate::check::{requested_stop, CheckOptions, Completion, Limit};
use crate::supervise::{EndStateCount, EndStates};
use stateright::{Expectation, Model, Path};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};
use swb_model::{Action, State, SwbModel};

/// How often (in expanded states) the breadth-first search looks at the clock, memory and Ctrl-C.
const STOP_POLL_STATES: usize = 256;

/// How the breadth-first search tells states apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// One state per class of states equal up to node renaming (`--no-symmetry` absent).
    Class,
    /// Every state on its own (`--no-symmetry`).
    State,
}

/// One state reached by the breadth-first search, as a link of a path tree.
struct Link {
    /// The link of the state it was reached from; `None` for an initial state.
    parent: Option<usize>,
    /// The index of the initial state at the root of the path.
    init_index: usize,
    /// The action from the parent; `None` for an initial state.
    action: Option<Action>,
}

/// A frontier state and the means to rebuild its path from the initial state.
pub struct FrontierState {
    pub state: State,
    /// Its link in the path tree.
    link: usize,
}

/// The frontier at a depth and what the search before it found.
pub struct Frontier {
    /// The depth, in actions from the initial state.
    pub depth: usize,
    /// The states at `depth` this shard owns, in breadth-first order. Empty when no path is
    /// that long.
    pub states: Vec<FrontierState>,
    /// Every state at `depth`, whichever shard owns it.
    pub states_total: usize,
    /// Unique states at depths below `depth`, each checked here.
    pub prefix_unique: usize,
    /// States generated at depths below `depth`, counting repeats (the initial states included),
    /// as stateright counts its total.
    pub prefix_total: usize,
    /// The deepest level holding a state (below `depth` when the state space ends first).
    pub deepest: usize,
    /// The end states among the prefix's unique states (the frontier's own are counted by
    /// their shards' searches).
    pub prefix_end_states: EndStateCount,
    /// The first discovery of each property in the prefix, by name.
    pub discoveries: BTreeMap<&'static str, Path<State, Action>>,
    /// `Incomplete` when a stop (timeout, memory, Ctrl-C) cut the search: then `states` is empty.
    pub completion: Completion,
    pub elapsed: Duration,
    links: Vec<Link>,
}

impl Frontier {
    /// Explores `model` breadth-first to `depth` (see the module documentation), obeying the
    /// timeout, memory limit and interrupt of `options`, and keeps the frontier states whose
    /// [`share_key`] `owned` accepts (only those are held: the frontier level is the widest).
    pub fn explore(
        model: &SwbModel,
        identity: Identity,
        depth: usize,
        options: &CheckOptions,
        owned: impl Fn(u64) -> bool,
    ) -> anyhow::Result<Frontier> {
        let properties = model.properties();
        anyhow::ensure!(
            properties
                .iter()
                .all(|property| property.expectation != Expectation::Eventually),
            "--shard cannot split the check of an `eventually` property (judged on whole paths)"
        );
        let started = Instant::now();
        let mut frontier = Frontier {
            depth,
            states: Vec::new(),
            states_total: 0,
            prefix_unique: 0,
            prefix_total: 0,
            deepest: 0,
            prefix_end_states: EndStateCount::default(),
            discoveries: BTreeMap::new(),
            completion: Completion::Complete,
            elapsed: Duration::ZERO,
            links: Vec::new(),
        };
        let mut seen = HashSet::new();
        let mut level: Vec<FrontierState> = Vec::new();
        for (init_index, state) in model.init_states().into_iter().enumerate() {
            if model.within_boundary(&state) && seen.insert(key(identity, &state)) {
                frontier.links.push(Link {
                    parent: None,
                    init_index,
                    action: None,
                });
                let link = frontier.links.len() - 1;
                level.push(FrontierState { state, link });
            }
        }
        let mut expanded = 0usize;
        for level_depth in 0..depth {
            if level.is_empty() {
                break;
            }
            frontier.deepest = level_depth;
            frontier.prefix_unique += level.len();
            if level_depth == 0 {
                frontier.prefix_total += level.len();
            }
            let mut next = Vec::new();
            for reached in &level {
                expanded += 1;
                if expanded % STOP_POLL_STATES == 0 {
                    if let Some(limit) = requested_stop(options, started.elapsed()) {
                        return Ok(frontier.stopped(limit, started));
                    }
                }
                frontier.check(model, &properties, reached);
                if level_depth + 1 == depth {
                    // The frontier's own states are counted and checked by their shards.
                    // Only this shard's are held, so the widest level never is whole.
                    let before = next.len();
                    frontier.expand(model, identity, reached, &mut seen, &mut next, None);
                    frontier.states_total += next.len() - before;
                    let successors: Vec<FrontierState> = next.drain(before..).collect();
                    next.extend(
                        successors
                            .into_iter()
                            .filter(|state| owned(share_key(state))),
                    );
                } else {
                    let mut generated = 0;
                    frontier.expand(
                        model,
                        identity,
                        reached,
                        &mut seen,
                        &mut next,
                        Some(&mut generated),
                    );
                    frontier.prefix_total += generated;
                }
            }
            level = next;
        }
        if depth == 0 {
            frontier.states_total = level.len();
            level.retain(|state| owned(share_key(state)));
        }
        if frontier.states_total > 0 {
            frontier.deepest = depth;
        }
        frontier.states = level;
        frontier.elapsed = started.elapsed();
        Ok(frontier)
    }

    /// Records the first violation or witness of each property at `reached`.
    fn check(
        &mut self,
        model: &SwbModel,
        properties: &[stateright::Property<SwbModel>],
        reached: &FrontierState,
    ) {
        self.prefix_end_states
            .tally(model.end_state_is_valid(&reached.state));
        for property in properties {
            if self.discoveries.contains_key(property.name) {
                continue;
            }
            let holds = (property.condition)(model, &reached.state);
            let discovered = match property.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => unreachable!("refused before the search"),
            };
            if discovered {
                let path = self.path_to(model, reached.link, &[]);
                self.discoveries.insert(property.name, path);
            }
        }
    }

    /// Pushes the unseen successors of `reached` onto `next`; counts every successor within
    /// the boundary into `generated`, when given.
    fn expand(
        &mut self,
        model: &SwbModel,
        identity: Identity,
        reached: &FrontierState,
        seen: &mut HashSet<u64>,
        next: &mut Vec<FrontierState>,
        mut generated: Option<&mut usize>,
    ) {
        let mut actions = Vec::new();
        model.actions(&reached.state, &mut actions);
        for action in actions {
            let Some(successor) = model.next_state(&reached.state, action.clone()) else {
                continue;
            };
            if !model.within_boundary(&successor) {
                continue;
            }
            if let Some(count) = generated.as_deref_mut() {
                *count += 1;
            }
            if !seen.insert(key(identity, &successor)) {
                continue;
            }
            self.links.push(Link {
                parent: Some(reached.link),
                init_index: self.links[reached.link].init_index,
                action: Some(action),
            });
            next.push(FrontierState {
                state: successor,
                link: self.links.len() - 1,
            });
        }
    }

    /// The path from the initial state to `state` (a frontier state) and on along `actions`.
    /// Panics if the actions are not a path of `model` from there: the shard's search found
    /// them in this very model, so that would be a broken invariant.
    pub fn full_path(
        &self,
        model: &SwbModel,
        state: &FrontierState,
        actions: &[Action],
    ) -> Path<State, Action> {
        self.path_to(model, state.link, actions)
    }

    fn path_to(&self, model: &SwbModel, link: usize, tail: &[Action]) -> Path<State, Action> {
        let mut prefix = Vec::new();
        let mut current = Some(link);
        while let Some(index) = current {
            let link = &self.links[index];
            prefix.extend(link.action.clone());
            current = link.parent;
        }
        prefix.reverse();
        let init_index = self.links[link].init_index;
        let init = model.init_states().swap_remove(init_index);
        Path::from_actions(model, init, prefix.iter().chain(tail))
            .expect("a path found in the model replays in the model")
    }

    fn stopped(mut self, limit: Limit, started: Instant) -> Frontier {
        self.states.clear();
        self.completion = Completion::Incomplete(limit);
        self.elapsed = started.elapsed();
        self
    }
}

/// The key the search tells states apart by (see [`Identity`]). The class digest is the one
/// stateright's DFS fingerprints (through `SwbModel::representative`); the whole-state hash is
/// used within this process only.
fn key(identity: Identity, state: &State) -> u64 {
    match identity {
        Identity::Class => swb_model::symmetry::class_digest(state),
        Identity::State => {
            let mut hasher = DefaultHasher::new();
            state.hash(&mut hasher);
            hasher.finish()
        }
    }
}

/// The share key of a frontier state: its class digest, the same in every process (fixed-key
/// hashing), so every shard agrees on who owns which state.
pub fn share_key(state: &FrontierState) -> u64 {
    swb_model::symmetry::class_digest(&state.state)
}
