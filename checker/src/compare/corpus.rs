//! The checked-in counterexample corpus (`counterexamples/`) against today's model and catalog.
//!
//! `swb-check compare` (default bounds) saves one minimised trace per violated `always` of every
//! cell under `counterexamples/<scenario>/<protocol>/<property>.json`. These tests pin that set
//! and each trace's length, and re-check every file in the model: every step is still enabled
//! where it is taken, the last state still violates the property, the trace is the proven
//! shortest one, and saving it again gives the same bytes. A model change that moves a verdict
//! or a trace therefore fails here, and the corpus is regenerated with `swb-check compare`.
//!
//! Only violations leave traces. The §5.2 failures that are *unreached* witnesses (V1's A4 and
//! A10, V1.5's A10) have no trace to save: a complete search that never reaches them is the
//! evidence, pinned by `tests/compare.rs` (the quick matrix) and by [`CORPUS`]'s scenarios'
//! expectations below.

use crate::counterexample::{self, Counterexample, Minimality};
use crate::scenario::{catalog, find, Bounds};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use swb_model::ProtocolVersion;

/// Every file of the corpus: scenario, protocol, property, and the number of steps of its
/// shortest trace, sorted by path.
const CORPUS: &[(&str, &str, &str, usize)] = &[
    (
        "brief-disconnect",
        "v1.5",
        "catch_up_only_on_reserved_range",
        8,
    ),
    ("brief-disconnect", "v1.5", "end_states_are_valid", 12),
    (
        "brief-disconnect",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    ("brief-disconnect", "v1", "end_states_are_valid", 9),
    (
        "changed-address-restart",
        "v1.5",
        "end_states_are_valid",
        10,
    ),
    ("changed-address-restart", "v1", "end_states_are_valid", 10),
    (
        "duplicated-delivery",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "duplicated-delivery",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    ("duplicated-delivery", "v1", "end_states_are_valid", 9),
    (
        "endpoint-change-during-catch-up",
        "v1.5",
        "end_states_are_valid",
        7,
    ),
    (
        "endpoint-change-during-catch-up",
        "v1",
        "end_states_are_valid",
        6,
    ),
    (
        "lost-messages",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    ("lost-messages", "v1.5", "end_states_are_valid", 12),
    ("lost-messages", "v1.5", "over_budget_catch_up_escalates", 7),
    ("lost-messages", "v1", "end_states_are_valid", 9),
    (
        "non-convergent-tail-chasing",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "non-convergent-tail-chasing",
        "v1.5",
        "end_states_are_valid",
        14,
    ),
    (
        "non-convergent-tail-chasing",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "non-convergent-tail-chasing",
        "v1",
        "end_states_are_valid",
        11,
    ),
    (
        "restart-rejoin",
        "v1.5",
        "catch_up_only_on_reserved_range",
        12,
    ),
    ("restart-rejoin", "v1.5", "end_states_are_valid", 10),
    (
        "restart-rejoin",
        "v1.5",
        "over_budget_catch_up_escalates",
        10,
    ),
    ("restart-rejoin", "v1", "end_states_are_valid", 10),
    (
        "s1-ack-then-primary-crash",
        "v1",
        "committed_data_survives_failover",
        8,
    ),
    ("s1-ack-then-primary-crash", "v1", "end_states_are_valid", 9),
    (
        "s1-ack-then-primary-crash",
        "v1",
        "promotion_picks_eligible_candidate",
        7,
    ),
    (
        "s10-mixed-states-sync-quorum",
        "v1.5",
        "catch_up_only_on_reserved_range",
        8,
    ),
    (
        "s10-mixed-states-sync-quorum",
        "v1.5",
        "end_states_are_valid",
        12,
    ),
    (
        "s10-mixed-states-sync-quorum",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "s10-mixed-states-sync-quorum",
        "v1",
        "end_states_are_valid",
        6,
    ),
    (
        "s11-mixed-states-sync-all",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    ("s11-mixed-states-sync-all", "v1", "end_states_are_valid", 7),
    (
        "s12-promotion-chooses-valid-lineage",
        "v1",
        "committed_data_survives_failover",
        8,
    ),
    (
        "s12-promotion-chooses-valid-lineage",
        "v1",
        "end_states_are_valid",
        7,
    ),
    (
        "s12-promotion-chooses-valid-lineage",
        "v1",
        "promotion_picks_eligible_candidate",
        7,
    ),
    (
        "s16-replica-restarts-during-catch-up",
        "v1",
        "end_states_are_valid",
        7,
    ),
    (
        "s17-replica-restarts-during-rebuild",
        "v1.5",
        "catch_up_only_on_reserved_range",
        8,
    ),
    (
        "s17-replica-restarts-during-rebuild",
        "v1.5",
        "end_states_are_valid",
        12,
    ),
    (
        "s17-replica-restarts-during-rebuild",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "s17-replica-restarts-during-rebuild",
        "v1",
        "end_states_are_valid",
        9,
    ),
    (
        "s18-primary-restart-without-failover",
        "v1.5",
        "catch_up_only_on_reserved_range",
        12,
    ),
    (
        "s18-primary-restart-without-failover",
        "v1.5",
        "over_budget_catch_up_escalates",
        10,
    ),
    (
        "s18-primary-restart-without-failover",
        "v1",
        "end_states_are_valid",
        10,
    ),
    (
        "s2-non-quorum-write-then-failover",
        "v1",
        "committed_data_survives_failover",
        8,
    ),
    (
        "s2-non-quorum-write-then-failover",
        "v1",
        "end_states_are_valid",
        11,
    ),
    (
        "s2-non-quorum-write-then-failover",
        "v1",
        "promotion_picks_eligible_candidate",
        7,
    ),
    (
        "s20-partition-with-concurrent-writes",
        "v1",
        "committed_data_survives_failover",
        8,
    ),
    (
        "s20-partition-with-concurrent-writes",
        "v1",
        "end_states_are_valid",
        7,
    ),
    (
        "s20-partition-with-concurrent-writes",
        "v1",
        "promotion_picks_eligible_candidate",
        7,
    ),
    (
        "s3-zombie-old-primary-fenced",
        "v1",
        "committed_data_survives_failover",
        8,
    ),
    (
        "s3-zombie-old-primary-fenced",
        "v1",
        "end_states_are_valid",
        11,
    ),
    (
        "s3-zombie-old-primary-fenced",
        "v1",
        "promotion_picks_eligible_candidate",
        7,
    ),
    (
        "s4-brief-disconnect-catch-up",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "s4-brief-disconnect-catch-up",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "s4-brief-disconnect-catch-up",
        "v1",
        "end_states_are_valid",
        9,
    ),
    (
        "s5-flapping-replica",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "s5-flapping-replica",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    ("s5-flapping-replica", "v1", "end_states_are_valid", 6),
    (
        "s6-tail-chasing-under-load",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "s6-tail-chasing-under-load",
        "v1.5",
        "end_states_are_valid",
        14,
    ),
    (
        "s6-tail-chasing-under-load",
        "v1.5",
        "over_budget_catch_up_escalates",
        10,
    ),
    (
        "s6-tail-chasing-under-load",
        "v1",
        "end_states_are_valid",
        11,
    ),
    (
        "s7-retention-pressure-mid-catch-up",
        "v1.5",
        "catch_up_only_on_reserved_range",
        8,
    ),
    (
        "s7-retention-pressure-mid-catch-up",
        "v1.5",
        "end_states_are_valid",
        14,
    ),
    (
        "s7-retention-pressure-mid-catch-up",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "s7-retention-pressure-mid-catch-up",
        "v1",
        "end_states_are_valid",
        11,
    ),
    (
        "s9-snapshot-tail-rebuild",
        "v1.5",
        "catch_up_only_on_reserved_range",
        8,
    ),
    (
        "s9-snapshot-tail-rebuild",
        "v1.5",
        "end_states_are_valid",
        12,
    ),
    (
        "s9-snapshot-tail-rebuild",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    ("s9-snapshot-tail-rebuild", "v1", "end_states_are_valid", 9),
    (
        "same-address-transient-outage",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "same-address-transient-outage",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "same-address-transient-outage",
        "v1",
        "end_states_are_valid",
        9,
    ),
    (
        "slow-control-plane-recovery",
        "v1.5",
        "catch_up_only_on_reserved_range",
        9,
    ),
    (
        "slow-control-plane-recovery",
        "v1.5",
        "over_budget_catch_up_escalates",
        7,
    ),
    (
        "slow-control-plane-recovery",
        "v1",
        "end_states_are_valid",
        9,
    ),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../counterexamples")
}

fn file_of(scenario: &str, protocol: &str, property: &str) -> PathBuf {
    corpus_dir()
        .join(scenario)
        .join(protocol)
        .join(format!("{property}.json"))
}

/// Every counterexample file `<scenario>/<protocol>/<property>.json` under `dir`, relative to
/// it, sorted. The conformance regressions (`conformance/`) and the replay manifest
/// (`verdicts.json`) live beside them and belong to `checker/tests/corpus.rs`.
fn json_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("the corpus directory is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let relative = path.strip_prefix(dir).expect("under the corpus");
                if relative.components().count() == 3 && !relative.starts_with("conformance") {
                    found.insert(relative.to_path_buf());
                }
            }
        }
    }
    found
}

// Goal: the corpus holds exactly one file per violation the default matrix expects (every
// scenario, every version), and nothing else.
#[test]
fn corpus_is_exactly_the_default_matrix_violations() {
    let pinned: BTreeSet<PathBuf> = CORPUS
        .iter()
        .map(|(scenario, protocol, property, _)| {
            Path::new(scenario)
                .join(protocol)
                .join(format!("{property}.json"))
        })
        .collect();
    assert_eq!(pinned.len(), CORPUS.len(), "CORPUS lists a file twice");
    assert_eq!(json_files(&corpus_dir()), pinned, "the files on disk");
    let mut expected = BTreeSet::new();
    for scenario in catalog() {
        for protocol in ProtocolVersion::ALL {
            for property in scenario.expected(Bounds::Default, protocol).violated {
                expected.insert(
                    Path::new(scenario.name)
                        .join(protocol.name())
                        .join(format!("{property}.json")),
                );
            }
        }
    }
    assert_eq!(pinned, expected, "the catalog's expected violations");
}

// Goal: every saved trace still replays in today's model under the scenario's default-bounds
// configuration, still violates its property, is the proven shortest trace of the pinned
// length, and is saved canonically (saving the loaded trace again gives the same bytes).
#[test]
fn every_saved_trace_still_violates_with_its_pinned_length() {
    for (scenario_name, protocol, property, length) in CORPUS {
        let file = file_of(scenario_name, protocol, property);
        let shown = file.display();
        let loaded = counterexample::load(&file).unwrap_or_else(|error| panic!("{error}"));
        assert!(loaded.still_violates(), "{shown} no longer violates");
        assert_eq!(loaded.property.name, *property, "{shown}");
        assert_eq!(loaded.scenario(), *scenario_name, "{shown}");
        assert_eq!(loaded.document.minimality, Minimality::Shortest, "{shown}");
        assert_eq!(loaded.document.steps.len(), *length, "{shown}: steps");
        let version = ProtocolVersion::from_name(protocol).expect("a version name");
        let scenario = find(scenario_name).expect("a catalog scenario");
        assert_eq!(
            loaded.config(),
            &scenario.config(&Bounds::Default.base(), version),
            "{shown}: the scenario's default-bounds configuration"
        );
        let again = Counterexample {
            config: loaded.config().clone(),
            scenario: loaded.scenario().to_owned(),
            property: loaded.property,
            minimality: loaded.document.minimality,
            path: loaded.path.clone(),
        };
        let bytes = std::fs::read(&file).expect("readable");
        assert!(
            again.document().to_bytes() == bytes,
            "{shown}: saving it again changes the bytes"
        );
    }
}

// Goal: the corpus shows the older versions failing where PROTOCOL.md §5.2 says, with
// traces: V1.5 breaks A5 (over_budget_catch_up_escalates) and A6
// (catch_up_only_on_reserved_range) in the tail-chasing and retention scenarios; V1 breaks A1
// and A9 in every failover (the finding of `docs/comparison.md`). V1's A4 and A10 and V1.5's
// A10 are unreached witnesses, with no trace: the catalog expects them, and the quick matrix
// test measures them.
#[test]
fn corpus_shows_section_5_2_failures() {
    let has = |scenario: &str, protocol: &str, property: &str| {
        CORPUS
            .iter()
            .any(|entry| (entry.0, entry.1, entry.2) == (scenario, protocol, property))
    };
    let tail_chasing: &[&str] = &[
        "non-convergent-tail-chasing",
        "s6-tail-chasing-under-load",
        "s7-retention-pressure-mid-catch-up",
    ];
    let failovers: &[&str] = &[
        "s1-ack-then-primary-crash",
        "s2-non-quorum-write-then-failover",
        "s3-zombie-old-primary-fenced",
        "s12-promotion-chooses-valid-lineage",
        "s20-partition-with-concurrent-writes",
    ];
    let failures = [
        ("A5", "v1.5", "over_budget_catch_up_escalates", tail_chasing),
        (
            "A6",
            "v1.5",
            "catch_up_only_on_reserved_range",
            tail_chasing,
        ),
        ("A1", "v1", "committed_data_survives_failover", failovers),
        ("A9", "v1", "promotion_picks_eligible_candidate", failovers),
    ];
    for (criterion, protocol, property, scenarios) in failures {
        for scenario in scenarios {
            assert!(
                has(scenario, protocol, property),
                "{criterion} under {protocol} in {scenario}"
            );
        }
    }
    assert!(
        CORPUS.iter().all(|entry| entry.1 != "v2"),
        "V2 violates nothing"
    );
    let unreached = |scenario: &str, protocol: ProtocolVersion| {
        find(scenario)
            .expect("a catalog scenario")
            .expected_unreached(Bounds::Default, protocol)
    };
    for scenario in [
        "same-address-transient-outage",
        "slow-control-plane-recovery",
    ] {
        assert!(unreached(scenario, ProtocolVersion::V1).contains(&"catch_up_completes"));
    }
    for protocol in [ProtocolVersion::V1, ProtocolVersion::V1_5] {
        assert!(unreached("changed-address-restart", protocol)
            .contains(&"address_change_then_recovery"));
    }
}

// Goal: every trace `docs/comparison.md` prints under an older version's failure (found by the
// quick matrix) is, step for step, the saved corpus trace of the same scenario, version and
// property, so the document's explanation describes a trace a reader can open and replay.
#[test]
fn document_traces_are_the_saved_traces() {
    use stateright::Model;
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/comparison.md"),
    )
    .expect("docs/comparison.md is readable");
    let mut shown = 0;
    let mut heading: Option<(String, String)> = None;
    let mut lines = doc.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("### ") {
            // `### v1.5: `property` violated`
            let (protocol, rest) = rest.split_once(": `").expect("a failure heading");
            let property = rest.split('`').next().expect("a property name");
            heading = Some((protocol.to_owned(), property.to_owned()));
            continue;
        }
        let Some(rest) = line.strip_prefix("Shortest trace (") else {
            continue;
        };
        let scenario = rest.split('`').nth(1).expect("a scenario name");
        let (protocol, property) = heading.clone().expect("a trace under a heading");
        let steps: Vec<String> = lines
            .by_ref()
            .skip_while(|line| line.is_empty())
            .take_while(|line| !line.is_empty())
            .map(|line| line.split_once(". ").expect("a numbered step").1.to_owned())
            .collect();
        // The document's traces come from the quick bounds, the corpus's from the default ones.
        // A safety trace is the same at both, but an invalid end state needs every client write
        // spent (D45), so where the default bounds allow a second write its trace is longer.
        let version = ProtocolVersion::from_name(&protocol).expect("a version heading");
        let scenario_entry = find(scenario).expect("a catalog scenario");
        if property == "end_states_are_valid"
            && scenario_entry.config(&Bounds::Quick.base(), version)
                != scenario_entry.config(&Bounds::Default.base(), version)
        {
            continue;
        }
        let loaded = counterexample::load(&file_of(scenario, &protocol, &property))
            .unwrap_or_else(|error| panic!("{error}"));
        let saved: Vec<String> = loaded
            .steps()
            .into_iter()
            .filter_map(|(_, action)| action)
            .map(|action| loaded.model.format_action(&action))
            .collect();
        assert_eq!(steps, saved, "{scenario} {protocol} {property}");
        shown += 1;
    }
    assert!(
        shown >= 4,
        "the document shows the V1 and V1.5 traces ({shown})"
    );
}
