//! The main job's two economies are sound for the properties (docs/design.md, D34 and D35).
//!
//! Goal: exhaustive safety runs use a reliable network (D34: message loss adds no behaviour any
//! property can see) and deliver traffic its receiver can only fence at once (D35: fenced-traffic
//! discarding). Either would be unsound if it hid a state a property or a `sometimes` witness
//! needs. Method: at small bounds that still exercise every fault kind (a lease expiry, a crash,
//! a move, a timeout, a partition; one or two writes), enumerate every reachable state
//! breadth-first without symmetry, project each to what the properties read (actor states,
//! timers, crash flags, saved disks and the ghost history: everything but the network), and
//! require the projected sets to be identical
//! - with and without message loss, exactly, and again with the reduction on, and
//! - with and without the reduction.
//!
//! The lossy models have the recovery deadlines on (D40-D42: a deadline re-sends a lost
//! request, a repeated request is answered again), so the first comparison also shows that the
//! deadlines add no state the properties can see. The ghost is compared without the
//! `FencedStaleMessage` witness: the reduction records it when a stale message dies instead of
//! when it is delivered (and a lossy network may drop the message first), and a re-sent write can
//! be fenced by a replica already in the next epoch (D42). That the witness is still reached is
//! part of the verdicts compared below.
//!
//! Then every shipped mutant must get the same verdict (the set of violated `always` properties
//! and reached `sometimes` properties, from an exhaustive search with every property) under all
//! four combinations (the two reliable ones past one write and one fault: see
//! [`lossy_verdict_compared`]), at
//! the bounds where each mutant is caught; A1's mutant, whose bounds are too
//! deep for an exhaustive search in a test, by its literal trace. The end-state properties read
//! whether any step is still enabled, which the network decides: they must agree with and
//! without the reduction on each network, not across networks (a lossy network has end states of
//! its own; D45).

use stateright::{Checker, Model};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use swb_model::history::Witness;
use swb_model::{Config, MessageLoss, State, SwbModel};
use swb_properties::mutants::{follow, mutant_cases, ShortestEvidence, COUNTER_ONLY_PROMOTION};
use swb_properties::PropertyKind;

/// A 64-bit digest of what the properties read of a state: everything but the network (actor
/// states, timers, crash flags, saved disks and the ghost). Sets of digests stand for sets of
/// projected states (a collision could only hide a difference, with odds of about 2^-40 here).
fn projection_digest(state: &State, forget_fenced_witness: bool) -> u64 {
    let mut ghost = state.history;
    if forget_fenced_witness {
        ghost.forget_witness(Witness::FencedStaleMessage);
    }
    let mut hasher = DefaultHasher::new();
    state.actor_states.hash(&mut hasher);
    state.timers_set.hash(&mut hasher);
    state.crashed.hash(&mut hasher);
    state.actor_storages.hash(&mut hasher);
    ghost.hash(&mut hasher);
    hasher.finish()
}

fn digest(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Every reachable state of `model` (depth first, without symmetry), as projection digests.
fn projected_reachable(model: &SwbModel, forget_fenced_witness: bool) -> HashSet<u64> {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<State> = model.init_states();
    let mut projected = HashSet::new();
    let mut actions = Vec::new();
    while let Some(state) = stack.pop() {
        if !seen.insert(digest(&state)) {
            continue;
        }
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            if let Some(next) = model.next_state(&state, action) {
                stack.push(next);
            }
        }
        projected.insert(projection_digest(&state, forget_fenced_witness));
    }
    projected
}

fn with_loss(config: &Config, loss: MessageLoss) -> Config {
    Config {
        message_loss: loss,
        ..config.clone()
    }
}

/// Small bounds that together exercise every fault kind, one or two per run: (name, bounds).
/// The largest has 164,595 reachable states on a lossy network without the reduction.
fn small_configurations() -> Vec<(&'static str, Config)> {
    let only = |writes, crashes, moves, leases, partitions, timeouts, faults| Config {
        writes_max: writes,
        crashes_max: crashes,
        address_changes_max: moves,
        lease_expiries_max: leases,
        partitions_max: partitions,
        timeouts_max: timeouts,
        faults_max: faults,
        ..Config::default()
    };
    vec![
        ("any one fault, 1 write", only(1, 1, 1, 1, 1, 1, 1)),
        ("one timeout, 2 writes", only(2, 0, 0, 0, 0, 1, 1)),
        (
            "a crash and a partition, 1 write",
            only(1, 1, 0, 0, 1, 0, 2),
        ),
        ("a move and a timeout, 1 write", only(1, 0, 1, 0, 0, 1, 2)),
    ]
}

fn model(config: &Config, reduced: bool) -> SwbModel {
    let model = SwbModel::new(config);
    if reduced {
        model
    } else {
        model.keeping_fenced_traffic()
    }
}

#[test]
fn loss_adds_no_state_the_properties_can_see() {
    for (name, config) in small_configurations() {
        for reduced in [false, true] {
            // Compared without the fenced-message witness: with the reduction it is recorded
            // when a stale message dies, which a lossy network can drop first; and on a lossy
            // network a recovery deadline re-sends a write that a replica already in the next
            // epoch fences (D42), a witness the reliable network reaches only in other states.
            let forget = true;
            let reliable = projected_reachable(
                &model(&with_loss(&config, MessageLoss::Reliable), reduced),
                forget,
            );
            let lossy = projected_reachable(
                &model(&with_loss(&config, MessageLoss::Lossy), reduced),
                forget,
            );
            assert!(reliable.len() > 100, "{name}: too small to mean anything");
            assert!(
                reliable == lossy,
                "{name} (reduction {reduced}): {} projected states reliable, {} lossy; {} only reliable, {} only lossy",
                reliable.len(),
                lossy.len(),
                reliable.difference(&lossy).count(),
                lossy.difference(&reliable).count(),
            );
        }
    }
}

#[test]
fn discarding_fenced_traffic_hides_no_state_the_properties_can_see() {
    for (name, config) in small_configurations() {
        let kept = projected_reachable(&model(&config, false), true);
        let discarded = projected_reachable(&model(&config, true), true);
        assert!(
            kept == discarded,
            "{name}: {} projected states kept, {} discarded; {} only kept, {} only discarded",
            kept.len(),
            discarded.len(),
            kept.difference(&discarded).count(),
            discarded.difference(&kept).count(),
        );
    }
}

/// The properties that read whether a step is still enabled, which depends on the network:
/// D34's argument (a lost message is one delayed forever) covers what the state shows, not
/// whether anything can still happen. A lossy network has end states a reliable one has not
/// (everything in flight lost), so these are compared between the reduction's two settings on
/// one network, not across networks (`swb_properties::progress`, D45).
const READS_ENABLED_STEPS: [&str; 2] = ["end_states_are_valid", "valid_end_state_reached"];

/// The verdict of an exhaustive search with every property: violated `always` properties and
/// reached `sometimes` properties, by name.
fn verdict(model: SwbModel) -> BTreeSet<&'static str> {
    let properties = model.properties();
    let checker = model
        .checker()
        .threads(1)
        .symmetry_fn(SwbModel::representative)
        .spawn_dfs()
        .join();
    let discoveries = checker.discoveries();
    properties
        .iter()
        .map(|property| property.name)
        .filter(|name| discoveries.contains_key(name))
        .collect()
}

/// Whether a mutant's bounds are also searched on a lossy network: at one write and one fault.
/// With the recovery deadlines (D40) a lossy network re-sends what it lost, and two writes with
/// a lease expiry reach 2.28 M states there (measured: 50 s on one thread, under load) against
/// tens of thousands at one write and one fault: too big for the test suite. Loss at larger
/// bounds is covered by the projected-state test above, which does not depend on a mutant.
fn lossy_verdict_compared(config: &Config) -> bool {
    config.writes_max <= 1 && faults_per_run(config) <= 1
}

/// The models of one configuration: (loss, reduction on) and the model; four combinations, or
/// the two reliable ones where [`lossy_verdict_compared`] says no.
fn combinations(config: &Config) -> Vec<((MessageLoss, bool), SwbModel)> {
    let mut models = Vec::new();
    let networks: &[MessageLoss] = if lossy_verdict_compared(config) {
        &[MessageLoss::Reliable, MessageLoss::Lossy]
    } else {
        &[MessageLoss::Reliable]
    };
    for &loss in networks {
        for reduced in [false, true] {
            let built = swb_properties::build_model(&with_loss(config, loss));
            let built = if reduced {
                built
            } else {
                built.keeping_fenced_traffic()
            };
            models.push(((loss, reduced), built));
        }
    }
    models
}

/// Faults one run of `config` may take.
fn faults_per_run(config: &Config) -> u8 {
    config.fault_kinds_total().min(config.faults_max)
}

#[test]
fn every_mutant_gets_the_same_verdict_with_and_without_loss_and_reduction() {
    let mut configs: Vec<Config> = Vec::new();
    for case in mutant_cases() {
        // The cases at two faults (the guard mutants' step rules, issue 16) are left out: 35 K
        // to 1.3 M states each, searched twice with and twice without the mutant, is minutes.
        // Their bounds hold no fault kind the one-fault cases lack.
        if case.evidence != ShortestEvidence::IterativeDeepening || faults_per_run(&case.config) > 1
        {
            continue;
        }
        // The unmutated model at the same bounds too: its verdict is every `sometimes` reached.
        let unmutated = Config {
            mutant: None,
            ..case.config.clone()
        };
        for config in [case.config, unmutated] {
            if !configs.contains(&config) {
                configs.push(config);
            }
        }
    }
    for config in configs {
        let verdicts: Vec<_> = combinations(&config)
            .into_iter()
            .map(|(combination, model)| (combination, verdict(model)))
            .collect();
        let first = &verdicts[0].1;
        let state_verdict = |verdict: &BTreeSet<&'static str>| -> BTreeSet<&'static str> {
            verdict
                .iter()
                .copied()
                .filter(|name| !READS_ENABLED_STEPS.contains(name))
                .collect()
        };
        for ((loss, reduced), found) in &verdicts {
            assert_eq!(
                state_verdict(found),
                state_verdict(first),
                "mutant {:?}: verdict under ({loss:?}, reduction {reduced}) differs from \
                 reliable, unreduced",
                config.mutant
            );
            let unreduced = &verdicts
                .iter()
                .find(|((other_loss, other_reduced), _)| other_loss == loss && !other_reduced)
                .expect("every network is run without the reduction")
                .1;
            assert_eq!(
                found, unreduced,
                "mutant {:?}: the reduction changes the verdict on a {loss:?} network",
                config.mutant
            );
        }
        if let Some(mutant) = config.mutant {
            // Caught on the network of its own bounds (a lost-message mutant only on a lossy one).
            let own = &verdicts
                .iter()
                .find(|((loss, reduced), _)| *loss == config.message_loss && !reduced)
                .expect("the bounds' own network is among the combinations")
                .1;
            assert!(
                own.iter().any(|name| swb_properties::find(name)
                    .is_some_and(|property| property.kind == PropertyKind::Always)),
                "mutant {mutant:?} is not caught at its bounds"
            );
        }
    }
}

/// A1's mutant is caught by a literal trace (too deep for an exhaustive search in a test,
/// `ShortestEvidence::LiteralTrace`): the trace must be offered, and violate A1 at its end, in all
/// four models (it loses no message, so the lossy network offers it too).
#[test]
fn the_literal_a1_trace_is_caught_with_and_without_loss_and_reduction() {
    let case = mutant_cases()
        .into_iter()
        .find(|case| case.evidence == ShortestEvidence::LiteralTrace)
        .expect("A1's case is catalogued");
    let property = swb_properties::find(case.property).expect("registered");
    for (combination, model) in combinations(&case.config) {
        let last = follow(&model, &COUNTER_ONLY_PROMOTION)
            .unwrap_or_else(|step| panic!("{combination:?}: step {step} is not offered"));
        assert!(
            !(property.condition)(&model, &last),
            "{combination:?}: A1 must fail at the end of the trace"
        );
    }
}

/// The reduction delivers a dead message at once; the `fenced` event a scenario witness's pattern
/// reads (docs/scenarios.md) must then still happen, with and without the reduction.
#[test]
fn a_fenced_event_still_reaches_scenario_witnesses() {
    let config = Config {
        writes_max: 1,
        crashes_max: 0,
        address_changes_max: 0,
        lease_expiries_max: 1,
        partitions_max: 0,
        timeouts_max: 0,
        witnesses: vec![swb_model::witness::ScenarioWitness {
            name: "a_stale_message_is_fenced".to_owned(),
            events: vec!["epoch_bump".to_owned(), "fenced(_)".to_owned()],
        }],
        ..Config::default()
    };
    for reduced in [false, true] {
        let built = swb_properties::build_model(&config);
        let built = if reduced {
            built
        } else {
            built.keeping_fenced_traffic()
        };
        assert!(
            verdict(built).contains("a_stale_message_is_fenced"),
            "reduction {reduced}: the fenced event never happened"
        );
    }
}
