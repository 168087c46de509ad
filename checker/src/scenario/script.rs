//! A scenario's script: protocol events the model is driven through, in order, to reach the
//! start of a deep scenario, from which `check --from-script` searches exhaustively.
//!
//! Each event is reached by a breadth-first search from where the previous one left the model,
//! so the prefix is the shortest way to each event in turn (greedy: a shortest way to one event
//! may make a later one unreachable, which the error then says). The events are the vocabulary
//! of scenario witnesses (`swb_model::events`), matched by the same automaton, so a script reads
//! like the witness it leads to.

use stateright::Model;
use std::collections::{HashSet, VecDeque};
use swb_model::witness::{PatternError, Patterns, Progress, ScenarioWitness};
use swb_model::{Action, State, SwbModel};

/// The most states one event's search may visit before the script is refused.
pub const STATES_MAX: usize = 500_000;

/// A compiled script.
#[derive(Clone, Debug)]
pub struct Script {
    events: Vec<String>,
    pattern: Patterns,
}

impl Script {
    /// Compiles the events (none is an empty script).
    pub fn compile(events: &[String]) -> Result<Script, PatternError> {
        let pattern = if events.is_empty() {
            Patterns::default()
        } else {
            Patterns::compile(&[ScenarioWitness {
                name: "script".to_owned(),
                events: events.to_vec(),
            }])?
        };
        Ok(Script {
            events: events.to_vec(),
            pattern,
        })
    }

    /// True when the script lists no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The actions that drive `model` from its initial state through every event in turn.
    pub fn drive(&self, model: &SwbModel) -> anyhow::Result<Vec<Action>> {
        let mut state = model
            .init_states()
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("the model has no initial state"))?;
        let mut progress = Progress::default();
        let mut actions = Vec::new();
        while progress.matched(0) < self.events.len() {
            let (steps, reached, advanced) = self.next_event(model, &state, progress)?;
            actions.extend(steps);
            state = reached;
            progress = advanced;
        }
        Ok(actions)
    }

    /// The shortest way from `start` to a step that takes the script's next event.
    fn next_event(
        &self,
        model: &SwbModel,
        start: &State,
        progress: Progress,
    ) -> anyhow::Result<(Vec<Action>, State, Progress)> {
        let wanted = progress.matched(0);
        // Parent links: (parent index, action) per visited node; index 0 is `start`.
        let mut links: Vec<(usize, Option<Action>)> = vec![(0, None)];
        // Fingerprints, not states: the frontier holds the states it needs, and a 64-bit
        // fingerprint per visited state keeps the search in a few megabytes.
        let mut seen: HashSet<u64> = HashSet::from([fingerprint(start, progress)]);
        let mut queue = VecDeque::from([(0usize, start.clone(), progress)]);
        while let Some((index, state, progress)) = queue.pop_front() {
            let mut enabled = Vec::new();
            model.actions(&state, &mut enabled);
            for action in enabled {
                let Some(next) = model.next_state(&state, action.clone()) else {
                    continue;
                };
                let mut advanced = progress;
                if let Action::Actor(step) = &action {
                    let events = swb_model::events::step_events(&state, step, &next);
                    advanced.advance(&self.pattern, &events);
                }
                links.push((index, Some(action)));
                let here = links.len() - 1;
                if advanced.matched(0) > wanted {
                    return Ok((path_to(&links, here), next, advanced));
                }
                if seen.len() >= STATES_MAX {
                    anyhow::bail!(
                        "script event {} ({:?}) not reached within {STATES_MAX} states",
                        wanted + 1,
                        self.events[wanted]
                    );
                }
                if seen.insert(fingerprint(&next, advanced)) {
                    queue.push_back((here, next, advanced));
                }
            }
        }
        anyhow::bail!(
            "script event {} ({:?}) cannot happen after the events before it (every state from there was searched)",
            wanted + 1,
            self.events[wanted]
        )
    }
}

/// A fixed-key hash of a state and the script's progress (`DefaultHasher::new` has fixed keys,
/// so the search, and the prefix it finds, are the same on every run).
fn fingerprint(state: &State, progress: Progress) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    progress.hash(&mut hasher);
    hasher.finish()
}

/// The actions from the root (node 0) to node `index` of a breadth-first search that keeps one
/// `(parent, action)` link per visited node (the script's search and the coverage scans).
pub(crate) fn path_to(links: &[(usize, Option<Action>)], mut index: usize) -> Vec<Action> {
    let mut actions = Vec::new();
    while let (parent, Some(action)) = &links[index] {
        actions.push(action.clone());
        index = *parent;
    }
    actions.reverse();
    actions
}
