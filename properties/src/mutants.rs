//! Where each `always` property's mutant is caught: the bounds, and the pinned length of the
//! shortest violating trace.
//!
//! One table serves every search that must find the mutants: breadth-first iterative deepening
//! in this crate's tests (which proves the lengths), and the checker's DFS, simulation and
//! minimisation tests (which must find each violation and minimise it to the same length).
//! Bounds are the smallest that reach each violation: only the faults a mutant needs are
//! enabled, so every search finishes in seconds.

use stateright::Model;
use swb_model::{Config, Mutant, State, SwbModel};

/// How a case's shortest length is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortestEvidence {
    /// Breadth-first iterative deepening finds no violation with fewer steps
    /// (`properties/tests/mutants.rs`).
    IterativeDeepening,
    /// Too deep for a breadth-first proof in a test: the length is that of the literal trace
    /// pinned here ([`COUNTER_ONLY_PROMOTION`], followed in `properties/tests/mutants.rs`), which
    /// is also what shrinking a seeded simulation's path gives (no single step of it can be
    /// dropped; the checker's `mutant_search` tests). It is not proven shortest: the
    /// breadth-first proof runs past the minimiser's 150,000-state budget.
    LiteralTrace,
}

/// One mutant and where it is caught.
#[derive(Clone, Debug)]
pub struct MutantCase {
    /// The `always` property the mutant breaks.
    pub property: &'static str,
    /// The broken rule.
    pub mutant: Mutant,
    /// The bounds, with `mutant` set.
    pub config: Config,
    /// Actions on the shortest violating trace.
    pub shortest: usize,
    /// How `shortest` is known.
    pub evidence: ShortestEvidence,
}

/// V2 bounds with only the named faults enabled, at most 12 faults in all.
fn bounds(
    writes: u8,
    crashes: u8,
    moves: u8,
    lease_expiries: u8,
    timeouts: u8,
    mutant: Mutant,
) -> Config {
    Config {
        writes_max: writes,
        crashes_max: crashes,
        address_changes_max: moves,
        lease_expiries_max: lease_expiries,
        timeouts_max: timeouts,
        partitions_max: 0,
        faults_max: 12,
        mutant: Some(mutant),
        ..Config::default()
    }
}

/// Every `always` property's mutant case, sorted by property name.
pub fn mutant_cases() -> Vec<MutantCase> {
    use Mutant::*;
    use ShortestEvidence::*;
    let case = |property, mutant, config: fn(Mutant) -> Config, shortest, evidence| MutantCase {
        property,
        mutant,
        config: config(mutant),
        shortest,
        evidence,
    };
    // Columns of the bounds: writes, crashes, moves, lease expiries, timeouts.
    let one_lease = |m| bounds(1, 0, 0, 1, 0, m);
    let one_move = |m| bounds(1, 0, 1, 0, 0, m);
    let one_timeout = |m| bounds(1, 0, 0, 0, 1, m);
    let one_crash = |m| bounds(1, 1, 0, 0, 0, m);
    let two_writes_one_timeout = |m| bounds(2, 0, 0, 0, 1, m);
    let two_writes_one_lease = |m| bounds(2, 0, 0, 1, 0, m);
    let two_writes_two_leases = |m| bounds(2, 0, 0, 2, 0, m);
    // A lost message needs a lossy network; one timeout opens the session whose probe is lost.
    let lossy_one_timeout = |m| Config {
        message_loss: swb_model::MessageLoss::Lossy,
        ..bounds(1, 0, 0, 0, 1, m)
    };
    let two_writes_one_move = |m| bounds(2, 0, 1, 0, 0, m);
    // One write: two moves with two writes reach more than 22 M states.
    let one_write_two_moves = |m| bounds(1, 0, 2, 0, 0, m);
    let two_writes_two_timeouts = |m| bounds(2, 0, 0, 0, 2, m);
    let mut cases = vec![
        case(
            "end_states_are_valid",
            NoHandshakeDeadline,
            lossy_one_timeout,
            8,
            IterativeDeepening,
        ),
        case(
            "uncommitted_data_never_revived",
            KeepUncommittedTailOnPromotion,
            one_lease,
            10,
            IterativeDeepening,
        ),
        case(
            "stale_epoch_traffic_is_fenced",
            ReplicaAcceptsStaleEpoch,
            one_lease,
            4,
            IterativeDeepening,
        ),
        case(
            "promotion_picks_eligible_candidate",
            PromoteAnyResponder,
            one_lease,
            7,
            IterativeDeepening,
        ),
        case(
            "no_delivery_on_stale_endpoint",
            ReplicaIgnoresEndpointVersion,
            one_move,
            5,
            IterativeDeepening,
        ),
        case(
            "expired_barrier_ack_never_counted",
            CountLateBarrierAck,
            one_timeout,
            4,
            IterativeDeepening,
        ),
        case(
            "commit_needs_durable_copies",
            AckBeforeFlush,
            one_crash,
            4,
            IterativeDeepening,
        ),
        case(
            "in_sync_replica_reached_its_target",
            CompleteAtFirstChunk,
            two_writes_one_timeout,
            7,
            IterativeDeepening,
        ),
        case(
            "over_budget_catch_up_escalates",
            IgnoreCatchUpBudget,
            two_writes_one_timeout,
            7,
            IterativeDeepening,
        ),
        case(
            "catch_up_only_on_reserved_range",
            CatchUpWithoutReservation,
            two_writes_one_timeout,
            9,
            IterativeDeepening,
        ),
        case(
            "rebuild_base_is_exact_committed_cut",
            SnapshotFromCurrentLog,
            two_writes_one_timeout,
            12,
            IterativeDeepening,
        ),
        case(
            "in_sync_replicas_match_primary",
            HandshakeComparesLsnOnly,
            two_writes_one_lease,
            9,
            IterativeDeepening,
        ),
        case(
            "committed_prefix_is_lineage",
            HandshakeComparesLsnOnly,
            two_writes_one_lease,
            10,
            IterativeDeepening,
        ),
        case(
            "rejoin_sends_recovery_intent",
            RejoinControlPlaneOnly,
            two_writes_one_move,
            2,
            IterativeDeepening,
        ),
        case(
            "recovery_intent_endpoint_taken",
            ReassignKeepsOldEndpoint,
            two_writes_one_move,
            3,
            IterativeDeepening,
        ),
        case(
            "live_writes_only_to_live_stream",
            ShipWritesToAllSenders,
            two_writes_one_timeout,
            3,
            IterativeDeepening,
        ),
        case(
            "retention_window_kept",
            RecycleInsideRetentionWindow,
            two_writes_one_timeout,
            5,
            IterativeDeepening,
        ),
        case(
            "live_stream_admission_at_head",
            JoinBehindHead,
            two_writes_one_timeout,
            7,
            IterativeDeepening,
        ),
        case(
            "in_sync_replica_whole_log_agrees",
            ZeroGapIgnoresAheadTail,
            two_writes_one_lease,
            8,
            IterativeDeepening,
        ),
        case(
            "confirmed_boundary_never_decreases",
            CommitAckMayLower,
            two_writes_one_lease,
            10,
            IterativeDeepening,
        ),
        case(
            "timed_out_catch_up_escalates",
            IgnoreCatchUpTimeout,
            two_writes_two_timeouts,
            5,
            IterativeDeepening,
        ),
        case(
            "recovery_starts_new_session",
            ReconnectReusesSession,
            two_writes_two_timeouts,
            7,
            IterativeDeepening,
        ),
        case(
            "endpoint_cache_never_goes_back",
            EndpointCacheAcceptsOlder,
            one_write_two_moves,
            4,
            IterativeDeepening,
        ),
        case(
            "endpoint_change_invalidates_session",
            EndpointChangeKeepsSession,
            one_write_two_moves,
            6,
            IterativeDeepening,
        ),
        case(
            "node_epoch_never_decreases",
            ReapplyAssignment,
            two_writes_two_leases,
            6,
            IterativeDeepening,
        ),
        case(
            "no_entry_from_a_newer_epoch",
            AdoptOlderEpoch,
            two_writes_two_leases,
            7,
            IterativeDeepening,
        ),
        case(
            "committed_data_survives_failover",
            PromoteWithoutLineageCheck,
            two_writes_two_leases,
            16,
            LiteralTrace,
        ),
    ];
    cases.sort_by_key(|case| case.property);
    cases
}

/// Follows readable steps from the initial state; the index of the first step the model does not
/// offer is the error.
pub fn follow(model: &SwbModel, steps: &[&str]) -> Result<State, usize> {
    let mut state = model.init_states().remove(0);
    for (index, step) in steps.iter().enumerate() {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let next = actions
            .into_iter()
            .filter(|action| model.format_action(action) == *step)
            .find_map(|action| model.next_state(&state, action))
            .ok_or(index)?;
        state = next;
    }
    Ok(state)
}

/// A1's mutant case (`ShortestEvidence::LiteralTrace`) as readable steps: with the V1.5-style
/// counter-only eligibility, two epochs are needed to put a different entry at C on a candidate,
/// which is too deep for a breadth-first proof in a test, so the violating trace is pinned
/// literally (as stateright's paxos example pins its witness).
/// The lease expires while n1 still serves epoch 1 and takes a write at lsn 1; n2 wins epoch 2,
/// writes its own lsn 1, repairs n3 and commits C = 1 with it; at epoch 3 n1 answers with
/// recoverable 1 but the epoch-1 entry at C, and the counter alone promotes it.
/// (The shrinking of a seeded simulation found this 16-step trace once the fenced-traffic
/// reduction, D35, let it search deeper within its budget; the 17-step trace pinned before was
/// valid too, not shortest. Both are paths of the model with and without the reduction.)
pub const COUNTER_ONLY_PROMOTION: [&str; 16] = [
    "coordinator: lease expires",
    "coordinator → n3: new_epoch(e2, C=0)",
    "n1: client write",
    "coordinator → n2: new_epoch(e2, C=0)",
    "n2 → coordinator: epoch_ack(e2, recoverable=0, at_C=None)",
    "coordinator → n2: assign(e2, primary=n2, C=0)",
    "n2: client write",
    "n2 → n3: probe(e2, s1, to v1)",
    "n3 → n2: probe_reply(e2, s1, flushed 0)",
    "n2 → n3: catch_up(e2, s1, (0, 1])",
    "n3 → n2: catch_up_ack(e2, s1, 1)",
    "n2 → coordinator: commit_report(e2, 1)",
    "coordinator: lease expires",
    "coordinator → n1: new_epoch(e3, C=1)",
    "n1 → coordinator: epoch_ack(e3, recoverable=1, at_C=Some(Epoch(1)))",
    "coordinator → n1: assign(e3, primary=n1, C=1)",
];
