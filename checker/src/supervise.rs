//! A model wrapper that lets the checker stop a stateright search from outside.
//!
//! stateright 0.31 offers no way to stop a running search: `.timeout()` closes the job market but
//! a single DFS thread keeps draining its own stack (so the timeout is ignored with one thread),
//! and the state-count target is fixed when the search starts. What every strategy (DFS, BFS,
//! simulation) does honour is `finish_when`: after each block of states a worker thread returns
//! once the named properties have discoveries. So [`Supervised`] adds one extra `sometimes`
//! property, [`STOP_PROPERTY`], whose condition reads a shared flag, and the checker is built with
//! `finish_when(AnyOf({STOP_PROPERTY}))`. Setting the flag ends the run within one block per
//! thread; a discovery of [`STOP_PROPERTY`] afterwards proves that the flag, not exhaustion, ended
//! it. Threads return without treating unexplored states as terminal, so a stop never fabricates
//! an `eventually` counterexample.
//!
//! The same `finish_when` choice also means a run no longer ends early when every property has a
//! discovery (stateright's default): a run without a limit always exhausts the state space, so its
//! counts do not depend on which thread found what first.
//!
//! stateright 0.31's simulation cannot record a path through a refused action (`next_state`
//! returning `None`, which the protocol model does for a delivery that changes nothing): it
//! removes the refused action from its list with `swap_remove` and records later choices as
//! indices into the shortened list, which path reconstruction then reads against the full list,
//! so a discovery after a refusal is rebuilt as another path or panics ("Unable to reconstruct
//! a `Path` based on action indices"). With [`Supervised::hiding_refused_actions`] the wrapper
//! offers only actions the inner model takes, so no choice is ever refused and every recorded
//! index means what reconstruction reads. It costs one `next_state` per offered action, which is
//! why only simulations use it (DFS and BFS compute every successor anyway and record paths by
//! fingerprint).
//!
//! Property conditions are plain `fn` pointers, so the wrapper cannot forward to the inner
//! model's conditions with closures; it forwards through a table of monomorphised functions, one
//! per property index ([`PROPERTY_COUNT_MAX`] of them).
//!
//! A `sometimes` property is forwarded until it is first witnessed, and reads false from then
//! on. stateright 0.31 evaluates every `sometimes` at every state and, wherever one holds, writes
//! the state's whole action path into its shared discovery map again; a witness such as "a commit
//! happened" holds in most states, so those rewrites (a lock and a path copy per state and
//! property, and contention between threads) were a real share of the search. Reporting each
//! witness once changes no verdict and no state count: a `sometimes` is reached when any state
//! satisfies it, and which state is recorded only decides which witness path is shown, now the
//! first one found instead of the last one.

//!
//! End states (a state no protocol step moves on, D45) are counted here too, because this is
//! the one place that sees every explored state exactly once without a second pass: the
//! property the model names in [`EndStates::END_STATE_PROPERTY`] is forwarded through
//! [`EndStates::end_state_is_valid`], whose three-way answer is tallied (end state or not, valid
//! or not) before it becomes the property's verdict. DFS and BFS evaluate a state's properties
//! once per unique state, so the tally counts unique end states and does not depend on the
//! thread count; a simulation visits states again and its tally counts visits.

use stateright::{Expectation, HasDiscoveries, Model, Path, Property};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A model's end states, as the checker counts them. The default says the model has none to
/// judge (the reference and self-test models).
pub trait EndStates: Model {
    /// The `always` property whose verdict is the end-state check, if the model has one.
    const END_STATE_PROPERTY: Option<&'static str> = None;

    /// `None` when a protocol step still moves `state` on; otherwise whether the end state is
    /// valid. The property named [`EndStates::END_STATE_PROPERTY`] must read the same verdict.
    fn end_state_is_valid(&self, _state: &Self::State) -> Option<bool> {
        None
    }
}

/// End states counted during one search (`check --json`'s `end_states`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndStateCount {
    /// Explored states no protocol step moves on.
    pub total: usize,
    /// Of those, the ones that are not valid end states.
    pub invalid: usize,
}

impl EndStateCount {
    /// Counts one explored state by `M`'s judgement of it (`None`: not an end state).
    pub fn tally(&mut self, valid: Option<bool>) {
        if let Some(valid) = valid {
            self.total += 1;
            self.invalid += usize::from(!valid);
        }
    }
}

impl std::ops::Add for EndStateCount {
    type Output = EndStateCount;

    fn add(self, other: EndStateCount) -> EndStateCount {
        EndStateCount {
            total: self.total + other.total,
            invalid: self.invalid + other.invalid,
        }
    }
}

/// The name of the extra property that reports a requested stop. Chosen so that it cannot clash
/// with a property name of the protocol model (those are snake_case identifiers).
pub const STOP_PROPERTY: &str = "swb-check: stop requested";

/// The most properties a supervised model may have (the size of the forwarding table).
pub const PROPERTY_COUNT_MAX: usize = 128;

/// A model whose search can be stopped by setting a shared flag. States, actions and paths are
/// the inner model's own, so a discovered [`Path`] can be used with the inner model directly.
pub struct Supervised<M: EndStates> {
    inner: M,
    /// Invariant: `inner_properties.len() <= PROPERTY_COUNT_MAX`, and no name equals `STOP_PROPERTY`.
    inner_properties: Vec<Property<M>>,
    /// One flag per inner property: set once a `sometimes` has been reported witnessed in this
    /// search (one wrapper serves one search, so the flags start clear with it).
    witnessed: Box<[AtomicBool]>,
    stop: Arc<AtomicBool>,
    refused_actions: RefusedActions,
    /// The states the search starts from instead of the inner model's initial states (a shard's
    /// share of the frontier); `None` to start where the inner model does.
    start: Option<Vec<M::State>>,
    /// The index of [`EndStates::END_STATE_PROPERTY`] among `inner_properties`, if present.
    end_state_property: Option<usize>,
    end_states_total: AtomicUsize,
    end_states_invalid: AtomicUsize,
}

/// Whether the wrapper offers the actions the inner model refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedActions {
    /// Offered as the inner model lists them (stateright then skips them).
    Offered,
    /// Left out of `actions`, so a choice among the offered ones is never refused.
    Hidden,
}

impl<M: EndStates> Supervised<M> {
    /// Wraps `inner`; the search stops soon after `stop` becomes true.
    pub fn new(inner: M, stop: Arc<AtomicBool>) -> anyhow::Result<Self> {
        let inner_properties = inner.properties();
        anyhow::ensure!(
            inner_properties.len() <= PROPERTY_COUNT_MAX,
            "the model has {} properties; the checker supports at most {PROPERTY_COUNT_MAX}",
            inner_properties.len()
        );
        anyhow::ensure!(
            inner_properties.iter().all(|p| p.name != STOP_PROPERTY),
            "the model has a property named {STOP_PROPERTY:?}, which the checker reserves"
        );
        let mut names = BTreeSet::new();
        for property in &inner_properties {
            anyhow::ensure!(
                names.insert(property.name),
                "the model registers the property {:?} twice",
                property.name
            );
        }
        let witnessed = inner_properties
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        let end_state_property = M::END_STATE_PROPERTY
            .and_then(|name| inner_properties.iter().position(|p| p.name == name));
        Ok(Self {
            inner,
            inner_properties,
            witnessed,
            stop,
            refused_actions: RefusedActions::Offered,
            start: None,
            end_state_property,
            end_states_total: AtomicUsize::new(0),
            end_states_invalid: AtomicUsize::new(0),
        })
    }

    /// The same wrapper whose search starts from `states` rather than the inner model's initial
    /// states. Paths the search discovers then begin at one of `states`; a shard prepends the
    /// path that reached it (`shard::frontier`).
    pub fn starting_from(self, states: Vec<M::State>) -> Self {
        Self {
            start: Some(states),
            ..self
        }
    }

    /// The same wrapper offering only the actions the inner model takes (see the module
    /// documentation: simulations need it for their paths to be right).
    pub fn hiding_refused_actions(self) -> Self {
        Self {
            refused_actions: RefusedActions::Hidden,
            ..self
        }
    }

    /// The end states counted so far; `None` when the model has no end-state property attached.
    pub fn end_states(&self) -> Option<EndStateCount> {
        self.end_state_property?;
        Some(EndStateCount {
            total: self.end_states_total.load(Ordering::Relaxed),
            invalid: self.end_states_invalid.load(Ordering::Relaxed),
        })
    }

    /// The wrapped model.
    pub fn inner(&self) -> &M {
        &self.inner
    }

    /// The inner model's properties, in the model's own order.
    pub fn inner_properties(&self) -> &[Property<M>] {
        &self.inner_properties
    }

    /// The `finish_when` setting the checker must be built with for the stop flag to work.
    pub fn finish_when() -> HasDiscoveries {
        HasDiscoveries::AnyOf(BTreeSet::from([STOP_PROPERTY]))
    }
}

fn stop_requested<M: EndStates>(model: &Supervised<M>, _: &M::State) -> bool {
    model.stop.load(Ordering::Relaxed)
}

fn forward<M: EndStates, const INDEX: usize>(model: &Supervised<M>, state: &M::State) -> bool {
    if model.end_state_property == Some(INDEX) {
        let verdict = model.inner.end_state_is_valid(state);
        if verdict.is_some() {
            model.end_states_total.fetch_add(1, Ordering::Relaxed);
        }
        if verdict == Some(false) {
            model.end_states_invalid.fetch_add(1, Ordering::Relaxed);
        }
        return verdict != Some(false);
    }
    let property = &model.inner_properties[INDEX];
    match property.expectation {
        // Witnessed once per search (see the module documentation). The swap makes exactly one
        // thread report the witness when several find one at the same time.
        Expectation::Sometimes => {
            let witnessed = &model.witnessed[INDEX];
            !witnessed.load(Ordering::Relaxed)
                && (property.condition)(&model.inner, state)
                && !witnessed.swap(true, Ordering::Relaxed)
        }
        Expectation::Always | Expectation::Eventually => (property.condition)(&model.inner, state),
    }
}

type Condition<M> = fn(&Supervised<M>, &<M as Model>::State) -> bool;

macro_rules! forwarding_table {
    ($($index:literal)*) => {
        fn forwarding_table<M: EndStates>() -> [Condition<M>; PROPERTY_COUNT_MAX] {
            [$(forward::<M, $index>),*]
        }
    };
}

forwarding_table!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
    64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95
    96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119
    120 121 122 123 124 125 126 127
);

impl<M: EndStates> Model for Supervised<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        match &self.start {
            Some(states) => states.clone(),
            None => self.inner.init_states(),
        }
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        match self.refused_actions {
            RefusedActions::Offered => self.inner.actions(state, actions),
            RefusedActions::Hidden => {
                let mut listed = Vec::new();
                self.inner.actions(state, &mut listed);
                actions.extend(
                    listed
                        .into_iter()
                        .filter(|action| self.inner.next_state(state, action.clone()).is_some()),
                );
            }
        }
    }

    fn next_state(&self, last_state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(last_state, action)
    }

    fn format_action(&self, action: &Self::Action) -> String
    where
        Self::Action: Debug,
    {
        self.inner.format_action(action)
    }

    fn format_step(&self, last_state: &Self::State, action: Self::Action) -> Option<String>
    where
        Self::State: Debug,
    {
        self.inner.format_step(last_state, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let table = forwarding_table::<M>();
        let mut properties: Vec<Property<Self>> = self
            .inner_properties
            .iter()
            .zip(table)
            .map(|(inner, condition)| Property {
                expectation: inner.expectation.clone(),
                name: inner.name,
                condition,
            })
            .collect();
        properties.push(Property {
            expectation: Expectation::Sometimes,
            name: STOP_PROPERTY,
            condition: stop_requested::<M>,
        });
        properties
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.inner.within_boundary(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// A counter from 0 to 5: one path, six states.
    struct Climb;

    impl EndStates for Climb {}

    impl Model for Climb {
        type State = u8;
        type Action = ();

        fn init_states(&self) -> Vec<u8> {
            vec![0]
        }

        fn actions(&self, state: &u8, actions: &mut Vec<()>) {
            if *state < 5 {
                actions.push(());
            }
        }

        fn next_state(&self, state: &u8, _: ()) -> Option<u8> {
            Some(state + 1)
        }

        fn properties(&self) -> Vec<Property<Self>> {
            vec![
                Property::sometimes("climbed", |_, state| *state > 0),
                Property::always("below_six", |_, state| *state < 6),
            ]
        }
    }

    /// A `sometimes` that holds in five states is reported at the first of them, and reporting
    /// it once changes neither the state count nor the other verdicts.
    #[test]
    fn sometimes_is_reported_at_its_first_witness() {
        assert_first_witness(climb().spawn_dfs().join());
        assert_first_witness(climb().spawn_bfs().join());
    }

    fn climb() -> stateright::CheckerBuilder<Supervised<Climb>> {
        Supervised::new(Climb, Arc::new(AtomicBool::new(false)))
            .unwrap()
            .checker()
            .finish_when(Supervised::<Climb>::finish_when())
    }

    fn assert_first_witness(checker: impl Checker<Supervised<Climb>>) {
        assert_eq!(checker.unique_state_count(), 6);
        let witness = checker.discovery("climbed").expect("climbed is reached");
        assert_eq!(witness.into_states(), vec![0, 1]);
        assert!(checker.discovery("below_six").is_none());
    }
}
