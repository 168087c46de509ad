//! `sometimes` witnesses: each reaches a situation an `always` property guards.

use stateright::actor::Id;
use swb_engine::types::{EndpointVersion, Epoch, Lsn};
use swb_model::history::Witness;
use swb_model::node::SenderPhase;
use swb_model::system::{coordinator_of, current_primary, node_of};
use swb_model::{State, SwbModel};

/// Some write is committed.
pub fn commit_happens(_: &SwbModel, state: &State) -> bool {
    coordinator_of(state).committed > Lsn::ZERO
}

/// A new primary is elected and serves.
pub fn promotion_happens(_: &SwbModel, state: &State) -> bool {
    coordinator_of(state).epoch > Epoch::FIRST && current_primary(state).is_some()
}

/// A message from an ended epoch is fenced.
pub fn stale_message_fenced(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::FencedStaleMessage)
}

/// A catch-up brings a replica back to the live stream.
pub fn catch_up_completes(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::CatchUpCompleted)
}

/// A replica is rebuilt from a snapshot plus the WAL tail.
pub fn snapshot_tail_rebuild_happens(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::SnapshotTailRebuild)
}

/// A replica is rebuilt from a full base.
pub fn full_base_rebuild_happens(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::FullBaseRebuild)
}

/// A replica's divergent or ahead tail is truncated.
pub fn truncation_happens(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::Truncation)
}

/// A catch-up over its round budget escalates to NeedsRebuild.
pub fn budget_escalation_happens(_: &SwbModel, state: &State) -> bool {
    state.history.has_witnessed(Witness::BudgetEscalation)
}

/// A replica that moved is back in the live stream at its new endpoint.
pub fn address_change_then_recovery(_: &SwbModel, state: &State) -> bool {
    current_primary(state).is_some_and(|(_, primary)| {
        primary.primary().is_some_and(|office| {
            office.senders.iter().enumerate().any(|(index, sender)| {
                sender.is_some_and(|sender| {
                    let replica = node_of(state, Id::from(index));
                    matches!(sender.phase, SenderPhase::InSync { .. })
                        && sender.endpoint > EndpointVersion::FIRST
                        && sender.endpoint == replica.disk.endpoint
                })
            })
        })
    })
}

/// A barrier times out at the primary.
pub fn barrier_expires(_: &SwbModel, state: &State) -> bool {
    state.history.expired_barriers.iter().any(|lsns| *lsns != 0)
}

/// A running catch-up needs history that the flusher would otherwise recycle: the primary's
/// checkpoint is past the session's progress.
pub fn reservation_holds_back_recycling(_: &SwbModel, state: &State) -> bool {
    current_primary(state).is_some_and(|(_, primary)| {
        let checkpoint = primary.disk.wal.checkpoint();
        primary.primary().is_some_and(|office| {
            office
                .senders
                .iter()
                .flatten()
                .any(|sender| matches!(sender.phase, SenderPhase::CatchingUp(catch_up) if catch_up.progress < checkpoint))
        })
    })
}
