//! Model-based conformance testing (`swb-check conform`): the model as the engine's test oracle.
//!
//! Seeded random walks through the model (a splitmix64 generator implemented here, so the same
//! seed gives the same walks on every machine and toolchain), each replayed on the engine with
//! the per-step comparison of `replay`. `--exhaustive` instead replays every root-to-leaf path of
//! the breadth-first tree up to a small depth (each state is reached once, by its first path).
//!
//! Every walk that does not conform is a finding: an engine bug, a model bug, or a place where
//! the two describe the protocol differently. Findings are grouped by class (the refused rule or
//! the diverged field); for each class the shortest trace is shrunk (steps dropped while the
//! class stays the same) and saved as a trace file under the output folder, so a reviewer reads
//! one minimal example per class rather than hundreds of similar walks.

use crate::replay::derive::derive;
use crate::replay::digest::Fnv1a64;
use crate::replay::file::TraceFile;
use crate::replay::steps::Coverage;
use crate::replay::{replay_derived, replay_path, Verdict};
use anyhow::Context as _;
use serde::Serialize;
use stateright::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;
use swb_model::{Action, Config, State, SwbModel};
use swb_properties::build_model;

/// splitmix64 (Steele, Lea, Flood 2014): a tiny, fully specified generator, so a seed names
/// the same walks everywhere.
#[derive(Clone, Copy, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`). The modulo bias is below 2^-50 for the branching
    /// factors of the model and does not affect reproducibility.
    pub fn below(&mut self, bound: usize) -> usize {
        assert!(bound > 0, "a choice needs at least one option");
        (self.next_u64() % bound as u64) as usize
    }
}

/// How `conform` walks.
#[derive(Clone, Debug)]
pub struct ConformOptions {
    /// The model configuration.
    pub config: Config,
    /// Random walks (ignored with `exhaustive`).
    pub traces: usize,
    /// Steps per walk, or the depth of the breadth-first tree.
    pub depth: usize,
    /// The seed of the walks.
    pub seed: u64,
    /// Replay every path of the breadth-first tree instead of random walks.
    pub exhaustive: bool,
    /// Where to save one minimal trace per class of finding (`None`: nothing is written).
    pub out: Option<PathBuf>,
    /// Where to write every walk's engine step log (`None`: nothing is written).
    pub emit_steps: Option<PathBuf>,
}

/// One class of non-conformance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingClass {
    /// `engine-refused:<rule>` or `diverged:<field>`.
    pub class: String,
    /// Walks that ended in it.
    pub count: usize,
    /// The minimal trace's length in steps.
    pub steps: usize,
    /// The minimal trace's verdict, in words.
    pub example: String,
    /// Where the minimal trace was saved.
    pub file: Option<String>,
}

/// What a conformance run found. `steps_per_second` is the only field that depends on the
/// machine; everything else is a function of the options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConformReport {
    /// The seed.
    pub seed: u64,
    /// Walks replayed.
    pub traces: usize,
    /// Model steps replayed on the engine.
    pub steps: usize,
    /// Distinct model states visited by the walks.
    pub distinct_states: usize,
    /// Engine calls made.
    pub engine_calls: u64,
    /// Walks that did not conform.
    pub divergences: usize,
    /// Replay throughput.
    pub steps_per_second: f64,
    /// The findings by class, sorted by class.
    pub classes: Vec<FindingClass>,
    /// Engine entry points and refusal classes the walks exercised, and those never exercised.
    #[serde(flatten)]
    pub coverage: Coverage,
}

/// A non-conforming walk kept as its class's example.
struct Example {
    count: usize,
    actions: Vec<Action>,
    verdict: Verdict,
}

/// Runs the walks and replays them.
pub fn run(options: &ConformOptions) -> anyhow::Result<ConformReport> {
    let model = build_model(&options.config);
    let init = model
        .init_states()
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the model has no initial state"))?;
    let walks = if options.exhaustive {
        breadth_first_paths(&model, &init, options.depth)
    } else {
        random_walks(&model, &init, options)
    };
    let started = Instant::now();
    let mut distinct = BTreeSet::new();
    let mut steps = 0;
    let mut engine_calls = 0;
    let mut divergences = 0;
    let mut examples: BTreeMap<String, Example> = BTreeMap::new();
    let mut covered = Vec::with_capacity(walks.len());
    let protocol = options.config.protocol.name();
    for (walk, (states, actions)) in walks.iter().enumerate() {
        distinct.extend(states.iter().map(fingerprint));
        let source = format!("conform seed {} walk {walk}", options.seed);
        let log = derive(&source, protocol, states, actions, None);
        if let Some(folder) = &options.emit_steps {
            let path = folder.join(format!("walk-{walk:04}.jsonl"));
            crate::counterexample::write_atomically(&path, log.to_jsonl().as_bytes())
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        let outcome = replay_derived(&log, states, None);
        covered.push(outcome.coverage.clone());
        steps += outcome.steps;
        engine_calls += outcome.engine_calls;
        let Some(class) = outcome.verdict.class() else {
            continue;
        };
        divergences += 1;
        let decided = outcome.verdict.step().unwrap_or(actions.len());
        let prefix = actions[..decided].to_vec();
        let example = examples.entry(class).or_insert_with(|| Example {
            count: 0,
            actions: prefix.clone(),
            verdict: outcome.verdict.clone(),
        });
        example.count += 1;
        if prefix.len() < example.actions.len() {
            example.actions = prefix;
            example.verdict = outcome.verdict;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut classes = Vec::new();
    for (class, example) in examples {
        let (actions, verdict) = shrink(&model, &init, &class, example.actions, example.verdict);
        let file = match &options.out {
            None => None,
            Some(folder) => {
                let path = folder.join(format!("{}.json", class.replace([':', '/', '.'], "-")));
                let note = format!("conform --seed {}: {}", options.seed, describe(&verdict));
                TraceFile::new(&options.config, None, Some(note), &actions).save(&path)?;
                Some(path.display().to_string())
            }
        };
        classes.push(FindingClass {
            class,
            count: example.count,
            steps: actions.len(),
            example: describe(&verdict),
            file,
        });
    }
    Ok(ConformReport {
        seed: options.seed,
        traces: walks.len(),
        steps,
        distinct_states: distinct.len(),
        engine_calls,
        divergences,
        steps_per_second: if elapsed > 0.0 {
            steps as f64 / elapsed
        } else {
            0.0
        },
        classes,
        coverage: Coverage::of(&covered),
    })
}

/// A verdict in one line.
pub fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Conforms => "conforms".to_string(),
        Verdict::EngineRefused(refusal) => format!(
            "step {}: engine refused {} ({}): {}",
            refusal.step, refusal.call, refusal.rule, refusal.error
        ),
        Verdict::EngineAccepted(acceptance) => format!(
            "step {}: engine accepted {}, which must be refused ({})",
            acceptance.step, acceptance.call, acceptance.rule
        ),
        Verdict::Diverged(divergence) => format!(
            "step {}: {} differs: model {}, engine {}",
            divergence.step, divergence.field, divergence.model, divergence.engine
        ),
    }
}

pub(crate) fn fingerprint(state: &State) -> u64 {
    let mut hasher = Fnv1a64::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// `options.traces` walks of at most `options.depth` steps, each step chosen uniformly among the
/// enabled actions that lead somewhere (`next_steps`, in the model's sorted action order).
pub(crate) fn random_walks(
    model: &SwbModel,
    init: &State,
    options: &ConformOptions,
) -> Vec<(Vec<State>, Vec<Action>)> {
    let mut random = SplitMix64::new(options.seed);
    let mut walks = Vec::with_capacity(options.traces);
    for _ in 0..options.traces {
        let mut states = vec![init.clone()];
        let mut actions = Vec::new();
        for _ in 0..options.depth {
            let mut next = model.next_steps(states.last().expect("a walk has a state"));
            if next.is_empty() {
                break;
            }
            let (action, state) = next.swap_remove(random.below(next.len()));
            actions.push(action);
            states.push(state);
        }
        walks.push((states, actions));
    }
    walks
}

/// Every root-to-leaf path of the breadth-first tree of depth `depth` (a state belongs to the
/// first path that reaches it), leaves in discovery order.
fn breadth_first_paths(
    model: &SwbModel,
    init: &State,
    depth: usize,
) -> Vec<(Vec<State>, Vec<Action>)> {
    struct Node {
        parent: Option<usize>,
        action: Option<Action>,
        state: State,
        children: usize,
    }
    let mut nodes = vec![Node {
        parent: None,
        action: None,
        state: init.clone(),
        children: 0,
    }];
    let mut visited = BTreeSet::from([fingerprint(init)]);
    let mut frontier = vec![0];
    for _ in 0..depth {
        let mut next_frontier = Vec::new();
        for index in frontier {
            for (action, state) in model.next_steps(&nodes[index].state) {
                if visited.insert(fingerprint(&state)) {
                    nodes[index].children += 1;
                    next_frontier.push(nodes.len());
                    nodes.push(Node {
                        parent: Some(index),
                        action: Some(action),
                        state,
                        children: 0,
                    });
                }
            }
        }
        frontier = next_frontier;
    }
    let mut paths = Vec::new();
    for leaf in (0..nodes.len()).filter(|index| nodes[*index].children == 0) {
        let mut states = Vec::new();
        let mut actions = Vec::new();
        let mut cursor = Some(leaf);
        while let Some(index) = cursor {
            states.push(nodes[index].state.clone());
            actions.extend(nodes[index].action.clone());
            cursor = nodes[index].parent;
        }
        states.reverse();
        actions.reverse();
        paths.push((states, actions));
    }
    paths
}

/// The states of `actions` from `init`, or `None` when the model does not take one of them.
pub(crate) fn states_of(model: &SwbModel, init: &State, actions: &[Action]) -> Option<Vec<State>> {
    let mut states = vec![init.clone()];
    for action in actions {
        let last = states.last().expect("a path has a state");
        let mut enabled = Vec::new();
        model.actions(last, &mut enabled);
        // `next_state` panics on an action stateright's network cannot take: check first.
        if !enabled.contains(action) {
            return None;
        }
        let next = model.next_state(last, action.clone())?;
        states.push(next);
    }
    Some(states)
}

/// Drops steps, one at a time from the end backwards, while the path stays valid and its
/// verdict keeps `class`; then cuts it at the deciding step. Bounded: every pass either removes
/// a step or ends.
fn shrink(
    model: &SwbModel,
    init: &State,
    class: &str,
    mut actions: Vec<Action>,
    mut verdict: Verdict,
) -> (Vec<Action>, Verdict) {
    let passes_max = actions.len() + 1;
    for _ in 0..passes_max {
        let mut removed = false;
        for index in (0..actions.len()).rev() {
            let mut candidate = actions.clone();
            candidate.remove(index);
            let Some(states) = states_of(model, init, &candidate) else {
                continue;
            };
            let outcome = replay_path(&states, &candidate);
            if outcome.verdict.class().as_deref() == Some(class) {
                let decided = outcome.verdict.step().unwrap_or(candidate.len());
                candidate.truncate(decided);
                actions = candidate;
                verdict = outcome.verdict;
                removed = true;
                break;
            }
        }
        if !removed {
            break;
        }
    }
    (actions, verdict)
}

impl ConformReport {
    /// The summary as the text table.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "conform: seed {}, {} traces, {} steps, {} distinct states, {} engine calls, {} divergences, {:.0} steps/s\n",
            self.seed, self.traces, self.steps, self.distinct_states, self.engine_calls, self.divergences, self.steps_per_second
        );
        text += &format!(
            "  coverage: {} of {} engine entry points and refusal classes exercised; never: {}\n",
            self.coverage.coverage.len() - self.coverage.never_called.len(),
            self.coverage.coverage.len(),
            if self.coverage.never_called.is_empty() {
                "-".to_string()
            } else {
                self.coverage.never_called.join(", ")
            }
        );
        for class in &self.classes {
            text += &format!(
                "  {} ×{}: minimal trace {} steps: {}\n",
                class.class, class.count, class.steps, class.example
            );
            if let Some(file) = &class.file {
                text += &format!("    saved {file}\n");
            }
        }
        text
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// `swb-check conform`.
pub fn command(args: &crate::cli::ConformArgs) -> anyhow::Result<std::process::ExitCode> {
    let config = match &args.config {
        Some(path) => Config::from_path(path)?,
        None => Config::embedded_default(),
    };
    let options = ConformOptions {
        config,
        traces: args.traces,
        depth: args.depth.unwrap_or(if args.exhaustive { 5 } else { 40 }),
        seed: args.seed,
        exhaustive: args.exhaustive,
        out: Some(args.out.clone()),
        emit_steps: args.emit_steps.clone(),
    };
    let report = run(&options)?;
    if args.json {
        crate::output::write_stdout(&report.to_json())?;
    } else {
        crate::output::write_stdout(&report.to_text())?;
    }
    Ok(std::process::ExitCode::from(if report.divergences == 0 {
        0
    } else {
        1
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the generator follows the published splitmix64 sequence (seed 0), so a seed means
    // the same walks on every machine.
    #[test]
    fn splitmix64_matches_reference_sequence() {
        let mut random = SplitMix64::new(0);
        let first: Vec<u64> = (0..3).map(|_| random.next_u64()).collect();
        assert_eq!(
            first,
            vec![
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
    }
}
