//! Symmetry reduction: storage nodes are interchangeable, so states that differ only by a
//! renaming of nodes are explored once.
//!
//! stateright's `ActorModelState::representative` sorts actor states and renames every id it can
//! see, but it copies timers unchanged. Our per-replica timers name a replica, so the model
//! supplies its own representative (`representative` below), which renames timer ids too.

use stateright::actor::Id;
use stateright::RewritePlan;

/// Moves each per-actor value to its actor's new index: `out[plan(i)] = values[i]`.
pub fn permute<T: Clone, S>(plan: &RewritePlan<Id, S>, values: &[T]) -> Vec<T> {
    let mut out = values.to_vec();
    for (index, value) in values.iter().enumerate() {
        let renamed = usize::from(plan.rewrite(&Id::from(index)));
        out[renamed] = value.clone();
    }
    out
}

/// [`permute`] for a fixed per-actor array, which is longer than the actor count. Slots past the
/// last actor must hold `T::default()` (the plan cannot rename them), so only non-default values
/// move; every default slot is already where it belongs.
pub fn permute_array<T: Copy + Default + PartialEq, S, const N: usize>(
    plan: &RewritePlan<Id, S>,
    values: &[T; N],
) -> [T; N] {
    let mut out = [T::default(); N];
    for (index, value) in values.iter().enumerate() {
        if *value != T::default() {
            out[usize::from(plan.rewrite(&Id::from(index)))] = *value;
        }
    }
    out
}
