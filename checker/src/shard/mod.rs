//! Sharded exhaustive search: one check split over N processes (N machines of a cluster
//! scheduler), each complete by construction, merged into one verdict (`docs/distributed.md`).
//!
//! `check --shard I/N --frontier-depth K --out-dir DIR`:
//! 1. computes the [`Frontier`] at depth K (the same in every shard: breadth-first, deterministic,
//!    one state per symmetry class, every property checked on the states before it);
//! 2. keeps the frontier states whose class digest mod N is I: its *share*;
//! 3. runs the usual supervised DFS (symmetry as asked, its own visited set) starting from the
//!    share instead of the initial state (`check::run_check_from`);
//! 4. turns every path the DFS found into a path from the real initial state (the share state's
//!    breadth-first path, then the DFS path), adds the prefix's discoveries and counts, saves
//!    the violations minimised under DIR/shard-I-of-N/ as `check` does, and writes
//!    DIR/shard-I-of-N.json (the `check --json` object plus a `shard` object) atomically.
//!
//! Every reachable state is checked by some shard: the prefix by all of them, each frontier
//! state by its owner, everything deeper is reached from some frontier state. Shards do not talk
//! to each other, so a state reachable from frontier states of two shards is searched by both:
//! that duplicated work is the price of needing nothing but a shared directory, and it is
//! measured (`docs/distributed.md`). The decision a reviewer will question, the numbering, is
//! 0..N-1 because that is what a Kubernetes Indexed Job's JOB_COMPLETION_INDEX gives.
//!
//! `swb-check merge DIR...` ([`merge`]) reads the N files back and decides the verdict.

pub mod frontier;
pub mod merge;
mod result;

use crate::check::{run_check_from, CheckOptions, CheckOutcome, Completion, Start, Strategy};
use crate::cli::{CheckArgs, ShardArg, ShardIndexArg};
use crate::counterexample;
use crate::report::{with_last_fields, CheckReport, ModelInfo};
use anyhow::Context;
use frontier::{Frontier, Identity};
use result::ShardInfo;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swb_model::{Action, State, SwbModel};

/// The environment variables `--shard auto/N` reads the index from, in the order tried: a
/// Kubernetes Indexed Job's, then a Slurm job array's.
pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

/// Which part of a sharded search a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// Invariant: below `count`.
    pub index: u32,
    /// Invariant: at least 1.
    pub count: u32,
}

impl Shard {
    /// Resolves `--shard`, reading the index from the first of [`INDEX_VARIABLES`] that
    /// `variable` finds for `auto/N`.
    pub fn resolve(
        arg: ShardArg,
        variable: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Shard> {
        let index = match arg.index {
            ShardIndexArg::Given(index) => index,
            ShardIndexArg::FromScheduler => {
                let (name, value) = INDEX_VARIABLES
                    .iter()
                    .find_map(|name| variable(name).map(|value| (*name, value)))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--shard auto/{} needs {} or {} in the environment",
                            arg.count,
                            INDEX_VARIABLES[0],
                            INDEX_VARIABLES[1]
                        )
                    })?;
                value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|index| *index < arg.count)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--shard auto/{}: {name}={value:?} is not a shard index from 0 to {}",
                            arg.count,
                            arg.count - 1
                        )
                    })?
            }
        };
        Ok(Shard {
            index,
            count: arg.count,
        })
    }

    /// Whether the frontier state with share key `key` is this shard's.
    pub fn owns(self, key: u64) -> bool {
        key % u64::from(self.count) == u64::from(self.index)
    }

    /// `shard-I-of-N`: the result file's stem and the directory of its counterexamples.
    pub fn name(self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// The result file in `dir`.
    pub fn result_file(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.json", self.name()))
    }
}

/// `swb-check check --shard I/N --frontier-depth K --out-dir DIR`.
pub fn command(
    args: &CheckArgs,
    arg: ShardArg,
    options: CheckOptions,
    out_dir: &Path,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.model == crate::cli::ModelChoice::SwBlock,
        "--shard applies only to the sw-block protocol model"
    );
    anyhow::ensure!(
        options.strategy == Strategy::Dfs,
        "--shard searches depth-first from its frontier: --strategy must be dfs"
    );
    let shard = Shard::resolve(arg, |name| std::env::var(name).ok())?;
    let depth = args
        .frontier_depth
        .context("--shard needs --frontier-depth")?;
    let (config, scenario) = crate::scenario::scenario_config(
        args.config.as_deref(),
        args.scenario.as_deref(),
        args.protocol,
    )?;
    let info = ModelInfo::of_config(&config, scenario);
    let model = swb_properties::build_model(&config);
    let (identity, symmetry): (Identity, crate::check::SymmetryFn<SwbModel>) = if args.no_symmetry {
        (Identity::State, None)
    } else {
        (Identity::Class, Some(SwbModel::representative))
    };

    // Before the search, so that an unusable directory costs one line, not a whole shard's run.
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the results directory {}", out_dir.display()))?;
    let frontier = Frontier::explore(&model, identity, depth, &options, |key| shard.owns(key))?;
    let outcome = search_share(&model, symmetry, &options, &frontier)?;

    let saved = counterexample::save_violations_within(
        &model,
        &info.scenario,
        &outcome.properties,
        &out_dir.join(shard.name()),
        counterexample::SearchBudget {
            states_max: counterexample::SearchBudget::DEFAULT_STATES_MAX,
            interrupt: options.interrupt,
        },
        options.memory_limit(),
    )?;
    let report = CheckReport::new(&info, &outcome);
    let shard_info = ShardInfo::new(shard, &frontier, &saved, out_dir);
    let document = with_last_fields(
        &counterexample::report_json(&report.to_json(), &saved),
        &[("shard", shard_info.to_json())],
    );
    let file = shard.result_file(out_dir);
    counterexample::write_atomically(&file, document.as_bytes())
        .with_context(|| format!("writing the shard result {}", file.display()))?;

    let text = if args.json {
        document
    } else {
        format!(
            "{}{}",
            counterexample::check_output(&report, Some(&saved), false),
            shard_info.summary_line(&file)
        )
    };
    crate::output::write_stdout(&text)?;
    Ok(outcome
        .verdict_in_scope(&info.out_of_scope_names())
        .exit_code())
}

/// The DFS from `share`, as one outcome of the whole shard: discoveries rebuilt from the initial
/// state (the prefix's own first), counts including the prefix, depth counted from the initial
/// state, time including the frontier's.
fn search_share(
    model: &SwbModel,
    symmetry: crate::check::SymmetryFn<SwbModel>,
    options: &CheckOptions,
    frontier: &Frontier,
) -> anyhow::Result<CheckOutcome<State, Action>> {
    let share = &frontier.states;
    // A stopped frontier has no states: the search then starts from none and ends at once,
    // which still gives every property its (undiscovered) outcome.
    let start: Vec<State> = share.iter().map(|state| state.state.clone()).collect();
    let mut outcome = run_check_from(model.clone(), symmetry, options, Start::States(start))?;
    if let Completion::Incomplete(limit) = frontier.completion {
        outcome.completion = Completion::Incomplete(limit);
    }
    for property in &mut outcome.properties {
        let from_prefix = frontier.discoveries.get(property.name).cloned();
        let from_share = property.discovery.take().map(|path| {
            let steps = path.into_vec();
            let origin = share
                .iter()
                .find(|state| state.state == steps[0].0)
                .expect("a DFS path starts at one of the states it was started from");
            let actions: Vec<Action> = steps.into_iter().filter_map(|(_, action)| action).collect();
            frontier.full_path(model, origin, &actions)
        });
        property.discovery = from_prefix.or(from_share);
        property.status = crate::check::Status::of(property.kind, property.discovery.is_some());
    }
    let dfs_unique = outcome.unique_states;
    outcome.unique_states = frontier.prefix_unique + dfs_unique;
    outcome.total_states += frontier.prefix_total;
    outcome.end_states = outcome
        .end_states
        .map(|count| count + frontier.prefix_end_states);
    outcome.max_depth = if share.is_empty() {
        frontier.deepest
    } else {
        frontier.depth + outcome.max_depth
    };
    outcome.elapsed += frontier.elapsed;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Strategy;
    use stateright::Model;
    use std::num::NonZeroUsize;
    use swb_model::Config;

    // Goal: `--shard auto/N` reads JOB_COMPLETION_INDEX first, then SLURM_ARRAY_TASK_ID, and
    // refuses a missing, malformed or out-of-range index; a given index is taken as it is.
    #[test]
    fn shard_index_comes_from_the_command_line_or_the_scheduler() {
        let auto = ShardArg {
            index: ShardIndexArg::FromScheduler,
            count: 4,
        };
        let given = ShardArg {
            index: ShardIndexArg::Given(3),
            count: 4,
        };
        let shard = |index| Some(Shard { index, count: 4 });
        // (name, value) pairs of the environment.
        type Variables = &'static [(&'static str, &'static str)];
        let cases: [(ShardArg, Variables, Option<Shard>); 7] = [
            (given, &[("JOB_COMPLETION_INDEX", "1")], shard(3)),
            (auto, &[("JOB_COMPLETION_INDEX", "1")], shard(1)),
            (auto, &[("SLURM_ARRAY_TASK_ID", "2")], shard(2)),
            (
                auto,
                &[("SLURM_ARRAY_TASK_ID", "2"), ("JOB_COMPLETION_INDEX", "0")],
                shard(0),
            ),
            (auto, &[], None),
            (auto, &[("JOB_COMPLETION_INDEX", "4")], None),
            (auto, &[("SLURM_ARRAY_TASK_ID", "two")], None),
        ];
        for (arg, variables, expected) in cases {
            let lookup = |name: &str| {
                variables
                    .iter()
                    .find(|(variable, _)| *variable == name)
                    .map(|(_, value)| (*value).to_owned())
            };
            assert_eq!(
                Shard::resolve(arg, lookup).ok(),
                expected,
                "{arg:?} {variables:?}"
            );
        }
    }

    // Goal: every key is owned by exactly one shard of a split.
    #[test]
    fn every_key_has_exactly_one_owner() {
        for count in [1, 2, 3, 4, 7] {
            for key in [0, 1, 5, 42, u64::MAX - 1, u64::MAX] {
                let owners = (0..count)
                    .filter(|index| {
                        Shard {
                            index: *index,
                            count,
                        }
                        .owns(key)
                    })
                    .count();
                assert_eq!(owners, 1, "key {key} of {count} shards");
            }
        }
    }

    fn tiny_model() -> SwbModel {
        swb_properties::build_model(&Config {
            writes_max: 1,
            address_changes_max: 0,
            partitions_max: 0,
            timeouts_max: 0,
            ..Config::default()
        })
    }

    fn options() -> CheckOptions {
        CheckOptions::unlimited(Strategy::Dfs, NonZeroUsize::MIN)
    }

    // Goal: the frontier is the same on every computation (every shard computes its own), holds
    // one state per symmetry class, and depth 0 is the initial state alone.
    #[test]
    fn frontier_is_deterministic_and_one_state_per_class() {
        let model = tiny_model();
        let digests = |frontier: &Frontier| -> Vec<u64> {
            frontier.states.iter().map(frontier::share_key).collect()
        };
        let first =
            Frontier::explore(&model, Identity::Class, 6, &options(), |_| true).expect("explores");
        let second =
            Frontier::explore(&model, Identity::Class, 6, &options(), |_| true).expect("explores");
        assert_eq!(digests(&first), digests(&second));
        assert_eq!(first.prefix_unique, second.prefix_unique);
        let mut unique = digests(&first);
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), first.states.len());
        assert!(
            first.states.len() > 4,
            "{} frontier states",
            first.states.len()
        );

        let start =
            Frontier::explore(&model, Identity::Class, 0, &options(), |_| true).expect("explores");
        assert_eq!(start.states.len(), 1);
        assert_eq!(start.prefix_unique, 0);
    }

    // Goal: a frontier state's path leads from the initial state to that very state in
    // exactly `depth` actions.
    #[test]
    fn frontier_paths_start_at_the_initial_state() {
        let model = tiny_model();
        let frontier =
            Frontier::explore(&model, Identity::Class, 5, &options(), |_| true).expect("explores");
        for state in &frontier.states {
            let path = frontier.full_path(&model, state, &[]);
            assert_eq!(path.last_state(), &state.state);
            assert_eq!(path.clone().into_actions().len(), 5);
            assert_eq!(path.into_states()[0], model.init_states()[0]);
        }
    }
}
