//! Every `always` property catches a real bug.
//!
//! Goal: a check that cannot fail is a defect, so each `always` property is paired (in
//! `swb_properties::catalog`) with a mutant, a deliberately broken protocol rule, caught at the
//! bounds `swb_properties::mutants::mutant_cases` lists with their shortest lengths. Method: for each
//! property, build the model with the mutant and only that property, search breadth-first with
//! iterative deepening (the first depth that shows a violation gives the shortest trace, which
//! stateright alone does not promise), and pin the shortest length. Then check the same bounds
//! without the mutant exhaustively and assert the property holds: the property fails because of
//! the mutant, not because of the bounds.

use stateright::{Checker, Expectation, Model, Property};
use swb_model::{Config, SwbModel};
use swb_properties::mutants::{
    follow, mutant_cases, MutantCase, ShortestEvidence, COUNTER_ONLY_PROMOTION,
};
use swb_properties::{catalog, find};

fn single_property_model(config: &Config, name: &str) -> SwbModel {
    let info = find(name).unwrap_or_else(|| panic!("no property {name}"));
    SwbModel::new(config).with_properties(vec![Property {
        expectation: Expectation::Always,
        name: info.name,
        condition: info.condition,
    }])
}

/// The shortest trace (as readable steps) that violates `name`, or `None` within `depth_max`.
fn shortest_violation(
    config: &Config,
    name: &'static str,
    depth_max: usize,
) -> Option<Vec<String>> {
    let model = single_property_model(config, name);
    (1..=depth_max + 1).find_map(|depth| {
        let checker = model
            .clone()
            .checker()
            .target_max_depth(depth)
            .spawn_bfs()
            .join();
        checker.discovery(name).map(|path| {
            path.into_actions()
                .iter()
                .map(|action| model.format_action(action))
                .collect()
        })
    })
}

/// The `always` properties violated anywhere in the reachable states of `config` (exhaustive
/// DFS with symmetry, every property attached).
fn violated_exhaustively(config: &Config) -> Vec<&'static str> {
    let checker = swb_properties::build_model(config)
        .checker()
        .threads(2)
        .symmetry_fn(SwbModel::representative)
        .spawn_dfs()
        .join();
    let discoveries = checker.discoveries();
    let mut violated: Vec<&'static str> = catalog()
        .iter()
        .filter(|property| {
            property.kind == swb_properties::PropertyKind::Always
                && discoveries.contains_key(property.name)
        })
        .map(|property| property.name)
        .collect();
    violated.sort_unstable();
    violated
}

/// The cases whose shortest length iterative deepening proves (every one but A1's).
fn cases() -> Vec<MutantCase> {
    mutant_cases()
        .into_iter()
        .filter(|case| case.evidence == ShortestEvidence::IterativeDeepening)
        .collect()
}

/// A1's case: its shortest length is the literal trace's below.
fn counter_only_promotion_case() -> MutantCase {
    mutant_cases()
        .into_iter()
        .find(|case| case.evidence == ShortestEvidence::LiteralTrace)
        .expect("A1's case is catalogued")
}

#[test]
fn every_always_property_has_a_mutant_case() {
    let mut covered: Vec<&str> = mutant_cases().iter().map(|case| case.property).collect();
    covered.sort_unstable();
    let mut always: Vec<&str> = catalog()
        .iter()
        .filter(|property| property.kind == swb_properties::PropertyKind::Always)
        .map(|property| property.name)
        .collect();
    always.sort_unstable();
    assert_eq!(covered, always);
    for case in mutant_cases() {
        assert_eq!(
            find(case.property).and_then(|property| property.mutant),
            Some(case.mutant),
            "{} is catalogued with another mutant",
            case.property
        );
    }
}

#[test]
fn each_mutant_is_caught_with_its_shortest_trace() {
    let mut measured = Vec::new();
    for case in cases() {
        let trace = shortest_violation(&case.config, case.property, 24).unwrap_or_else(|| {
            panic!(
                "{:?} was not caught by {} within 24 steps",
                case.mutant, case.property
            )
        });
        measured.push((
            case.property,
            case.mutant,
            trace.len(),
            case.shortest,
            trace,
        ));
    }
    let mismatches: Vec<String> = measured
        .iter()
        .filter(|(_, _, length, pinned, _)| length != pinned)
        .map(|(property, mutant, length, pinned, trace)| {
            format!("{property} under {mutant:?}: shortest trace has {length} steps, pinned {pinned}:\n  {}", trace.join("\n  "))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_property_holds_without_the_mutants_at_their_bounds() {
    let mut configs: Vec<Config> = Vec::new();
    for case in cases() {
        let unmutated = Config {
            mutant: None,
            ..case.config
        };
        if !configs.contains(&unmutated) {
            configs.push(unmutated);
        }
    }
    for config in configs {
        assert_eq!(
            violated_exhaustively(&config),
            Vec::<&str>::new(),
            "unmutated V2 at {config:?}"
        );
    }
}

#[test]
fn committed_data_survives_failover_catches_counter_only_promotion() {
    let case = counter_only_promotion_case();
    assert_eq!(case.property, "committed_data_survives_failover");
    assert_eq!(case.shortest, COUNTER_ONLY_PROMOTION.len());
    let model = single_property_model(&case.config, case.property);
    let last = follow(&model, &COUNTER_ONLY_PROMOTION)
        .unwrap_or_else(|step| panic!("step {step} is not offered"));
    let property = find("committed_data_survives_failover").expect("registered");
    assert!(
        !(property.condition)(&model, &last),
        "A1 must fail at the end of the trace"
    );

    // Under V2 the same election is refused: n1's answer names the wrong entry at C.
    let unmutated = Config {
        mutant: None,
        ..case.config
    };
    let v2 = single_property_model(&unmutated, case.property);
    assert_eq!(
        follow(&v2, &COUNTER_ONLY_PROMOTION).err(),
        Some(14),
        "V2 must refuse n1's epoch_ack"
    );
}

#[test]
fn properties_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/properties.md");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(checked_in == swb_properties::markdown(), "docs/properties.md is stale: regenerate it with `swb-check properties --markdown > docs/properties.md`");
}
