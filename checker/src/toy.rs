//! Counters: a small self-test model with exactly known state counts and verdicts.
//!
//! `counter_count` counters start at zero; each step increments one counter that is below
//! `counter_max`. The reachable states are all vectors in `0..=counter_max`, so a complete run
//! without symmetry has `(counter_max + 1)^counter_count` unique states, and with symmetry (the
//! counters are interchangeable, the representative sorts them) as many as there are multisets.
//! The checker's own tests and the hidden `--model toy*` choices use it, so exit codes, limits and
//! thread counts can be tested end to end without the protocol model.

use stateright::{Model, Property, Representative};

/// Which set of properties the model carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Every `always` and `eventually` holds and every `sometimes` is reached.
    Sound,
    /// Adds an `always` that fails and a `sometimes` that is never reached.
    Broken,
}

/// The counters model. See the module documentation.
#[derive(Clone, Debug)]
pub struct Counters {
    pub counter_count: usize,
    pub counter_max: u8,
    pub variant: Variant,
}

/// One counter value per counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountersState {
    pub counters: Vec<u8>,
}

/// Increment the counter at this index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Increment(pub usize);

impl Counters {
    /// Three counters up to 4: 125 unique states (35 with symmetry), checked in milliseconds.
    pub fn small(variant: Variant) -> Self {
        Self {
            counter_count: 3,
            counter_max: 4,
            variant,
        }
    }

    /// Six counters up to 250: about 4 * 10^11 unique states even with symmetry, far more than any
    /// run finishes, so it exercises the limits and the interrupt.
    pub fn large() -> Self {
        Self {
            counter_count: 6,
            counter_max: 250,
            variant: Variant::Sound,
        }
    }
}

impl Representative for CountersState {
    fn representative(&self) -> Self {
        let mut counters = self.counters.clone();
        counters.sort_unstable();
        Self { counters }
    }
}

/// Every counter stays within its bound.
fn counters_within_max(model: &Counters, state: &CountersState) -> bool {
    state.counters.iter().all(|&c| c <= model.counter_max)
}

/// Every counter reaches its bound at the same time.
fn all_counters_at_max(model: &Counters, state: &CountersState) -> bool {
    state.counters.iter().all(|&c| c == model.counter_max)
}

/// Deliberately false: counters do drift apart by more than two.
fn counter_spread_at_most_two(_: &Counters, state: &CountersState) -> bool {
    let high = state.counters.iter().max().copied().unwrap_or(0);
    let low = state.counters.iter().min().copied().unwrap_or(0);
    high - low <= 2
}

/// Deliberately unreachable: a counter above its bound.
fn counter_above_max(model: &Counters, state: &CountersState) -> bool {
    !counters_within_max(model, state)
}

impl Model for Counters {
    type State = CountersState;
    type Action = Increment;

    fn init_states(&self) -> Vec<Self::State> {
        vec![CountersState {
            counters: vec![0; self.counter_count],
        }]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        for (index, &counter) in state.counters.iter().enumerate() {
            if counter < self.counter_max {
                actions.push(Increment(index));
            }
        }
    }

    fn next_state(&self, last_state: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut next = last_state.clone();
        next.counters[action.0] += 1;
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut properties = vec![
            Property::always("counters_within_max", counters_within_max),
            Property::sometimes("all_counters_at_max", all_counters_at_max),
            Property::eventually("all_counters_reach_max", all_counters_at_max),
        ];
        if self.variant == Variant::Broken {
            properties.push(Property::always(
                "counter_spread_at_most_two",
                counter_spread_at_most_two,
            ));
            properties.push(Property::sometimes("counter_above_max", counter_above_max));
        }
        properties
    }
}
