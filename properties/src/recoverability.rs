//! Recoverability: catch-up and rebuild end where they claim, on history that really exists.

use stateright::actor::Id;
use swb_engine::types::Lsn;
use swb_model::history::Breach;
use swb_model::node::{NodeState, SenderPhase};
use swb_model::system::{coordinator_of, current_primary, node_of, nodes_of};
use swb_model::{State, SwbModel};

/// Every replica the serving primary counts as in sync, with the LSN it is counted for.
fn in_sync_replicas(state: &State) -> impl Iterator<Item = (&NodeState, &NodeState, Lsn)> {
    current_primary(state)
        .into_iter()
        .flat_map(move |(_, primary)| {
            primary.primary().into_iter().flat_map(move |office| {
                office.senders.iter().enumerate().filter_map(
                    move |(index, sender)| match (*sender)?.phase {
                        SenderPhase::InSync { acked, .. } => {
                            Some((primary, node_of(state, Id::from(index)), acked))
                        }
                        _ => None,
                    },
                )
            })
        })
}

/// The serving primary with the phase of each of its senders; none when no primary serves.
fn serving_sender_phases(state: &State) -> impl Iterator<Item = (&NodeState, SenderPhase)> {
    current_primary(state)
        .into_iter()
        .flat_map(move |(_, primary)| {
            primary.primary().into_iter().flat_map(move |office| {
                office
                    .senders
                    .iter()
                    .flatten()
                    .map(move |sender| (primary, sender.phase))
            })
        })
}

/// A4 as bounded response: a replica counted in sync reached its target. A replica the serving
/// primary counts as in sync has durably flushed every LSN it is counted for, because a catch-up
/// reported complete before its frozen target would be a fake InSync.
pub fn in_sync_replica_reached_its_target(_: &SwbModel, state: &State) -> bool {
    in_sync_replicas(state).all(|(_, replica, acked)| replica.disk.wal.flushed() >= acked)
}

/// A5 as bounded response: a catch-up over budget escalates. No session of the serving primary is
/// still catching up after starting more rounds than the budget allows, because chasing a moving
/// head forever must end in an explicit NeedsRebuild.
pub fn over_budget_catch_up_escalates(model: &SwbModel, state: &State) -> bool {
    let budget = model.params.catch_up_rounds_max;
    serving_sender_phases(state).all(|(_, phase)| match phase {
        SenderPhase::CatchingUp(catch_up) => catch_up.rounds <= budget,
        _ => true,
    })
}

/// A6: catch-up runs only on a reserved range. The serving primary never recycles history a
/// running catch-up (from its progress) or rebuild (from its base) still needs, because a replay
/// whose range vanished mid-recovery could only stall or fake success.
pub fn catch_up_only_on_reserved_range(_: &SwbModel, state: &State) -> bool {
    serving_sender_phases(state).all(|(primary, phase)| {
        let recycled = primary.disk.wal.recycled_through();
        match phase {
            SenderPhase::CatchingUp(catch_up) => recycled <= catch_up.progress,
            SenderPhase::Rebuilding { source, .. } => recycled <= source.base(),
            _ => true,
        }
    })
}

/// A7: recovered data matches. A replica counted in sync holds exactly the primary's entries
/// through the LSN it is counted for, because recovery to T must reproduce the history at T, not
/// a log of the same length with other writes in it.
pub fn in_sync_replicas_match_primary(_: &SwbModel, state: &State) -> bool {
    in_sync_replicas(state).all(|(primary, replica, acked)| {
        replica
            .disk
            .wal
            .slots()
            .agrees_through(primary.disk.wal.slots(), acked)
    })
}

/// The WAL prefix rule: every in-sync replica's log through C (or through what it is counted
/// for, if less) is the committed lineage.
pub fn committed_prefix_is_lineage(_: &SwbModel, state: &State) -> bool {
    let committed = coordinator_of(state).committed;
    in_sync_replicas(state).all(|(_, replica, acked)| {
        replica
            .disk
            .wal
            .slots()
            .agrees_through(&state.history.lineage, acked.min(committed))
    })
}

/// A base image is an exact committed cut: every node's base (a checkpoint or an installed
/// rebuild base) lies at or below the highest C, equals the committed lineage through it, and the
/// log resumes right after it with no hole, because a base taken from a later or uncommitted
/// state would make history at the base LSN unreconstructable.
pub fn rebuild_base_is_exact_committed_cut(_: &SwbModel, state: &State) -> bool {
    let ghost = &state.history;
    nodes_of(state).all(|(_, node)| {
        let wal = &node.disk.wal;
        let base = wal.checkpoint();
        base <= ghost.committed_high
            && wal.slots().agrees_through(&ghost.lineage, base)
            && wal.slots().is_complete(base, wal.flushed())
    })
}

/// A7, T9 (whole log): an in-sync replica's whole log agrees with the serving primary's. Every
/// entry the replica holds, at any LSN, is the primary's entry there, and it holds nothing beyond
/// the primary's head, because a divergent or ahead tail above the acknowledged point would be
/// served after the next promotion or counted by the next ack.
pub fn in_sync_replica_whole_log_agrees(_: &SwbModel, state: &State) -> bool {
    in_sync_replicas(state).all(|(primary, replica, _)| {
        let log = &replica.disk.wal;
        log.received() <= primary.disk.wal.received()
            && log
                .slots()
                .agrees_through(primary.disk.wal.slots(), log.received())
    })
}

/// T3, T9 (step rule): a replica enters the live stream only at the primary's head, holding no
/// entry the primary does not, because a completion below the target is a fake InSync and one
/// before the divergent tail's truncation keeps that tail.
pub fn live_stream_admission_at_head(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::AdmittedBehindOrAhead)
}

/// A5, T4 (step rule): a catch-up that timed out escalates. When a catch-up timeout fires, the
/// session is no longer catching up afterwards (V2 escalates to NeedsRebuild), because a
/// catch-up that cannot converge in time must end explicitly instead of chasing forever.
pub fn timed_out_catch_up_escalates(_: &SwbModel, state: &State) -> bool {
    !state
        .history
        .has_breached(Breach::TimedOutCatchUpKeptChasing)
}

/// §6.5 (step rule): the flusher keeps the retention window. A primary never recycles history
/// inside the last `retention_entries` entries behind its head, because those are the entries a
/// briefly lagging replica catches up from without a rebuild.
pub fn retention_window_kept(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::RecycledInsideWindow)
}
