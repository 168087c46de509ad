//! Findings of the checker kept as regressions: each pins the literal trace that broke a
//! property and asserts the property now holds along it and in every successor of its end.

use stateright::Model;
use swb_model::Config;
use swb_properties::mutants::follow;

/// The three-fault deep profile's A6 finding (docs/design.md D37): n1 restarts, moves while it
/// joins (two assignments at C = 0 are in flight), takes office from the first, commits C = 2 and
/// recycles LSN 1, crashes, restarts and takes office from the second, stale, assignment. At
/// C = 0 it chose a full base cut at 0 for n3's rebuild, below the history it had recycled.
const STALE_ASSIGNMENT: [&str; 24] = [
    "n1 crashes",
    "n1 restarts",
    "n1: restarts at a new address",
    "n1 → coordinator: heartbeat(e1, v2)",
    "n1 → coordinator: heartbeat(e1, v1)",
    "coordinator → n1: assign(e1, primary=n1, C=0)",
    "n1 → n2: probe(e1, s1, to v1)",
    "n2 → n1: probe_reply(e1, s1, flushed 0)",
    "n1 → n3: probe(e1, s1, to v1)",
    "n3 → n1: probe_reply(e1, s1, flushed 0)",
    "n1: client write",
    "n1: client write",
    "n1 → n2: write(e1, lsn 1, to v1)",
    "n1 → n2: write(e1, lsn 2, to v1)",
    "n2 → n1: barrier_ack(e1, 2)",
    "n1 → coordinator: commit_report(e1, 2)",
    "coordinator → n1: commit_ack(e1, C=2)",
    "n1 crashes",
    "n1 restarts",
    "coordinator → n1: assign(e1, primary=n1, C=0)",
    "n1 → n3: probe(e1, s2, to v1)",
    "n3 → n1: probe_reply(e1, s2, flushed 0)",
    "n1 → coordinator: needs_rebuild(e1, n3)",
    "coordinator → n1: reassign(e1, n3 at v1, Rebuild)",
];

#[test]
fn a_stale_assignment_never_cuts_a_rebuild_below_recycled_history() {
    let config = Config {
        writes_max: 2,
        crashes_max: 2,
        address_changes_max: 1,
        lease_expiries_max: 0,
        partitions_max: 0,
        timeouts_max: 0,
        faults_max: 3,
        ..Config::default()
    };
    let model = swb_properties::build_model(&config);
    let property =
        swb_properties::find("catch_up_only_on_reserved_range").expect("A6 is catalogued");
    for length in 1..=STALE_ASSIGNMENT.len() {
        let state = follow(&model, &STALE_ASSIGNMENT[..length])
            .unwrap_or_else(|step| panic!("step {step} is not offered"));
        assert!(
            (property.condition)(&model, &state),
            "A6 fails after step {length}"
        );
    }
    let last = follow(&model, &STALE_ASSIGNMENT).expect("offered");
    let mut actions = Vec::new();
    model.actions(&last, &mut actions);
    for action in actions {
        if let Some(next) = model.next_state(&last, action) {
            assert!((property.condition)(&model, &next), "A6 fails one step on");
        }
    }
}

/// The two-fault main job's end-state finding (docs/design.md D38): n2 moves twice (v2, then
/// v3) and its heartbeats reach the coordinator newest first, so the coordinator's second
/// recovery intent names the older endpoint v2. The primary followed it: its sender went back
/// from v3 to v2 and probed n2 where it no longer listens, forever, on a reliable network (an
/// invalid end state).
const CROSSED_MOVES: [&str; 13] = [
    "n1: client write",
    "n2: restarts at a new address",
    "n2: restarts at a new address",
    "n2 → coordinator: heartbeat(e1, v3)",
    "n2 → coordinator: heartbeat(e1, v2)",
    "n1 → n3: write(e1, lsn 1, to v1)",
    "n3 → n1: barrier_ack(e1, 1)",
    "n1 → coordinator: commit_report(e1, 1)",
    "coordinator → n2: assign(e1, primary=n1, C=0)",
    "coordinator → n1: commit_ack(e1, C=1)",
    "coordinator → n1: reassign(e1, n2 at v3, CatchUp)",
    "n1 → n2: probe(e1, s1, to v3)",
    "n2 → n1: probe_reply(e1, s1, flushed 0)",
];

/// The stale intent of [`CROSSED_MOVES`], still in flight at its end.
const STALE_REASSIGN: &str = "coordinator → n1: reassign(e1, n2 at v2, CatchUp)";

#[test]
fn a_stale_recovery_intent_never_moves_a_sender_back() {
    let config = Config {
        writes_max: 1,
        crashes_max: 0,
        address_changes_max: 2,
        lease_expiries_max: 0,
        partitions_max: 0,
        timeouts_max: 0,
        faults_max: 2,
        ..Config::default()
    };
    let model = swb_properties::build_model(&config);
    let state =
        follow(&model, &CROSSED_MOVES).unwrap_or_else(|step| panic!("step {step} is not offered"));
    let in_flight = CROSSED_MOVES
        .iter()
        .copied()
        .chain([STALE_REASSIGN])
        .collect::<Vec<_>>();
    assert_eq!(
        follow(&model, &in_flight).err(),
        Some(CROSSED_MOVES.len()),
        "the stale intent must change nothing when delivered"
    );
    assert!(
        swb_properties::progress::valid_end_state_stays_reachable(&model, &state),
        "n2 must still be able to rejoin"
    );
}
