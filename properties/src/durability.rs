//! Durability: committed data survives, uncommitted data stays uncommitted, commits are real.

use swb_engine::types::Lsn;
use swb_model::history::Breach;
use swb_model::system::{coordinator_of, current_primary, nodes_of};
use swb_model::wal::lsns;
use swb_model::{State, SwbModel};

/// A1: committed data survives failover. The serving primary's recoverable log holds `Ref(C)`
/// through C, and C never decreases, because a promotion that lost an acknowledged write would
/// silently break the one promise the volume makes.
pub fn committed_data_survives_failover(_: &SwbModel, state: &State) -> bool {
    let committed = coordinator_of(state).committed;
    let ghost = &state.history;
    let never_decreased = committed == ghost.committed_high;
    let primary_holds_reference = current_primary(state).is_none_or(|(_, primary)| {
        primary.disk.wal.recoverable() >= committed
            && primary
                .disk
                .wal
                .slots()
                .agrees_through(&ghost.lineage, committed)
    });
    never_decreased && primary_holds_reference
}

/// A2: uncommitted data is never revived. A write that was not committed when its epoch ended
/// is never part of the committed lineage, because clients were never told it succeeded.
pub fn uncommitted_data_never_revived(_: &SwbModel, state: &State) -> bool {
    let ghost = &state.history;
    ghost
        .orphaned
        .iter()
        .all(|(lsn, epoch)| lsn > ghost.committed_high || ghost.reference_at(lsn) != Some(epoch))
}

/// A8: commit-mode semantics. Every LSN through C is durable, holding its committed entry, on at
/// least as many nodes as the mode requires (1, a quorum, or all), because a commit is counted
/// from acknowledged flushes only, never from sends or receipt.
pub fn commit_needs_durable_copies(model: &SwbModel, state: &State) -> bool {
    let required = usize::from(model.params.durable_copies_required);
    let committed = coordinator_of(state).committed;
    lsns(Lsn::ZERO, committed).all(|lsn| {
        let reference = state.history.reference_at(lsn);
        let copies = nodes_of(state)
            .filter(|(_, node)| {
                node.disk.wal.flushed() >= lsn && node.disk.wal.epoch_at(lsn) == reference
            })
            .count();
        copies >= required
    })
}

/// A1, T1 (step rule): a primary's confirmed boundary never decreases while it holds office.
/// The primary checkpoints and recycles through the boundary the coordinator confirmed, so a
/// confirmation taken back would make it act on a promise that was never made.
pub fn confirmed_boundary_never_decreases(_: &SwbModel, state: &State) -> bool {
    !state
        .history
        .has_breached(Breach::ConfirmedBoundaryRegressed)
}
