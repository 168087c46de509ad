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
