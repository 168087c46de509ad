//! `swb-check merge DIR...`: the shard results of one sharded search combined into one verdict,
//! decided by the same rules as `check` (`CheckOutcome::verdict`) and printed in the same shape.
//!
//! 1. Every DIR/shard-*-of-*.json is read ([`ReadShard::read`]); an unreadable or corrupt file, a
//!    file named for another shard, two files for one shard, or shards whose run identity
//!    (version, shard count, frontier, configuration, properties) differs is bad input: one
//!    error line, exit 2, nothing printed or saved.
//! 2. A property is violated (an `always`) or reached (a `sometimes`) when any shard says so,
//!    with the shortest length any shard found; it holds or is unreached otherwise.
//! 3. The merge is complete only when every shard 0..N-1 is present and complete. A missing
//!    shard is a part of the state space nobody searched: the verdict is incomplete
//!    (`missing_shards`, exit 3, one stderr line naming them), unless a present shard found a
//!    violation, which stands (exit 1), as a violation stands in a cut `check`.
//! 4. For each violated `always`, the shortest counterexample any shard saved (ties: the lowest
//!    shard) is loaded back (which re-checks it against the model from the initial state),
//!    minimised again and saved under --out-dir exactly as `check` saves one.

use super::result::ReadShard;
use crate::check::{
    CheckOutcome, Completion, Kind, Limit, PropertyOutcome, Status, Strategy, Symmetry,
};
use crate::cli::MergeArgs;
use crate::counterexample;
use crate::report::{with_last_fields, CheckReport, ModelInfo};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use swb_model::{Action, State};

/// `swb-check merge`.
pub fn command(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let shards = read_shards(&args.dirs)?;
    let merged = Merged::of(&shards)?;
    let outcome = merged.outcome(&shards)?;

    let first = &shards[0].result;
    let info = ModelInfo::of_config(&first.config, first.scenario.clone());
    let saved = match (args.no_save, &args.out_dir) {
        (true, _) => Vec::new(),
        (false, out_dir) => {
            let dir = out_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(crate::cli::COUNTEREXAMPLES_DIR));
            counterexample::save_violations(
                &swb_properties::build_model(&first.config),
                &info.scenario,
                &outcome.properties,
                &dir,
                counterexample::SearchBudget {
                    states_max: counterexample::SearchBudget::DEFAULT_STATES_MAX,
                    interrupt: None,
                },
            )?
        }
    };
    let mut report = CheckReport::new(&info, &outcome);
    for property in &mut report.properties {
        property.trace_len = merged.trace_len.get(property.name).copied();
    }
    let text = if args.json {
        with_last_fields(
            &counterexample::report_json(&report.to_json(), &saved),
            &[
                (
                    "shards",
                    serde_json::to_string_pretty(&merged.rows).expect("plain fields serialise"),
                ),
                (
                    "missing_shards",
                    serde_json::to_string(&merged.missing).expect("numbers serialise"),
                ),
                (
                    "frontier",
                    serde_json::to_string_pretty(&merged.frontier).expect("plain fields serialise"),
                ),
            ],
        )
    } else {
        format!(
            "{}{}",
            counterexample::check_output(&report, Some(&saved), false),
            merged.table()
        )
    };
    if !merged.missing.is_empty() {
        eprintln!(
            "swb-check: warning: shard(s) {} of 0..{} missing: the merge is incomplete",
            join(&merged.missing),
            merged.count - 1
        );
    }
    crate::output::write_stdout(&text)?;
    Ok(outcome
        .verdict_in_scope(&info.out_of_scope_names())
        .exit_code())
}

/// Every shard result in `dirs`, sorted by shard, each shard once.
fn read_shards(dirs: &[PathBuf]) -> anyhow::Result<Vec<ReadShard>> {
    let mut files = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the shard directory {}", dir.display()))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot list the directory {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_shard_file_name(&name) && entry.path().is_file() {
                found.push(entry.path());
            }
        }
        anyhow::ensure!(
            !found.is_empty(),
            "{} holds no shard result (shard-I-of-N.json)",
            dir.display()
        );
        found.sort();
        files.extend(found);
    }
    let mut shards: Vec<ReadShard> = files
        .iter()
        .map(|file| ReadShard::read(file))
        .collect::<anyhow::Result<_>>()?;
    shards.sort_by_key(ReadShard::shard);
    for pair in shards.windows(2) {
        anyhow::ensure!(
            pair[0].shard() != pair[1].shard(),
            "shard {} of {} appears twice: {} and {}",
            pair[0].shard().index,
            pair[0].shard().count,
            pair[0].file.display(),
            pair[1].file.display()
        );
    }
    let reference = &shards[0];
    for other in &shards[1..] {
        let differing = reference
            .run_identity()
            .into_iter()
            .zip(other.run_identity())
            .find(|(ours, theirs)| ours != theirs);
        if let Some(((what, ours), (_, theirs))) = differing {
            anyhow::bail!(
                "{} and {} are shards of different runs: {what} {ours:?} against {theirs:?}",
                reference.file.display(),
                other.file.display()
            );
        }
    }
    Ok(shards)
}

/// `shard-I-of-N.json` with I and N digits.
fn is_shard_file_name(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix("shard-")
        .and_then(|rest| rest.strip_suffix(".json"))
    else {
        return false;
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    middle
        .split_once("-of-")
        .is_some_and(|(index, count)| digits(index) && digits(count))
}

/// What the shards say together.
struct Merged {
    count: u32,
    /// Shard indices with no result, ascending.
    missing: Vec<u32>,
    /// The status of every property, by name.
    statuses: BTreeMap<&'static str, (Kind, Status)>,
    /// The shortest length any shard found for a violation or a witness, by property.
    trace_len: BTreeMap<&'static str, usize>,
    /// The first limit (by shard) that cut a present shard.
    limit: Option<Limit>,
    rows: Vec<ShardRow>,
    frontier: FrontierRow,
}

/// One shard in the merged JSON (`shards`).
#[derive(Serialize)]
struct ShardRow {
    index: u32,
    complete: bool,
    limit_hit: Option<String>,
    unique_states: usize,
    total_states: usize,
    seconds: f64,
    frontier_share: usize,
    file: String,
}

/// The frontier in the merged JSON (`frontier`).
#[derive(Serialize)]
struct FrontierRow {
    depth: usize,
    states: usize,
    prefix_states: usize,
}

impl Merged {
    fn of(shards: &[ReadShard]) -> anyhow::Result<Merged> {
        let first = &shards[0].result;
        let count = first.shard.count;
        let present: Vec<u32> = shards.iter().map(|shard| shard.shard().index).collect();
        let missing = (0..count)
            .filter(|index| present.binary_search(index).is_err())
            .collect();
        let mut statuses = BTreeMap::new();
        let mut trace_len: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut limit = None;
        for shard in shards {
            let file = shard.file.display();
            if !shard.result.complete && limit.is_none() {
                let name = shard.result.limit_hit.as_deref().unwrap_or_default();
                limit = Some(Limit::from_name(name).with_context(|| {
                    format!("{file}: incomplete with an unknown limit {name:?}")
                })?);
            }
            for line in &shard.result.properties {
                let property = swb_properties::find(&line.name)
                    .with_context(|| format!("{file}: unknown property {:?}", line.name))?;
                let kind = match property.kind {
                    swb_properties::PropertyKind::Always => Kind::Always,
                    swb_properties::PropertyKind::Sometimes => Kind::Sometimes,
                    swb_properties::PropertyKind::Eventually => Kind::Eventually,
                    swb_properties::PropertyKind::Progress => Kind::Progress,
                };
                let discovered = match (kind, line.status.as_str()) {
                    (Kind::Always | Kind::Eventually, "violated")
                    | (Kind::Sometimes, "reached") => true,
                    // An out-of-scope witness is an unreached one the configuration rules out
                    // (D51); the merged report derives the scope again.
                    (Kind::Always | Kind::Eventually, "holds")
                    | (Kind::Sometimes, "unreached" | "out_of_scope") => false,
                    (_, status) => anyhow::bail!(
                        "{file}: {} is a {} property, which cannot be {status:?}",
                        line.name,
                        kind.name()
                    ),
                };
                let entry = statuses
                    .entry(property.name)
                    .or_insert((kind, Status::of(kind, false)));
                if discovered {
                    entry.1 = Status::of(kind, true);
                    if let Some(len) = line.trace_len {
                        let shortest = trace_len.entry(property.name).or_insert(len);
                        *shortest = (*shortest).min(len);
                    }
                }
            }
        }
        let rows = shards
            .iter()
            .map(|shard| ShardRow {
                index: shard.result.shard.index,
                complete: shard.result.complete,
                limit_hit: shard.result.limit_hit.clone(),
                unique_states: shard.result.unique_states,
                total_states: shard.result.total_states,
                seconds: shard.result.seconds,
                frontier_share: shard.result.shard.frontier_share,
                file: shard.file.display().to_string(),
            })
            .collect();
        let frontier = FrontierRow {
            depth: first.shard.frontier_depth,
            states: first.shard.frontier_states,
            prefix_states: first.shard.prefix_states,
        };
        Ok(Merged {
            count,
            missing,
            statuses,
            trace_len,
            limit,
            rows,
            frontier,
        })
    }

    /// The merged run as a `check` outcome: statuses, the shortest saved counterexample of each
    /// violated `always` as its discovery, counts summed over the shards, seconds of the slowest
    /// shard (the wall time of the shards run side by side).
    fn outcome(&self, shards: &[ReadShard]) -> anyhow::Result<CheckOutcome<State, Action>> {
        let counterexamples = shortest_counterexamples(shards)?;
        let mut properties = Vec::new();
        for (name, (kind, status)) in &self.statuses {
            let discovery = match status {
                Status::Violated => {
                    let path = counterexamples.get(name).cloned().with_context(|| {
                        format!(
                            "a shard reports {name} violated but saved no counterexample for it"
                        )
                    })?;
                    Some(path)
                }
                Status::Holds | Status::Reached | Status::Unreached => None,
            };
            properties.push(PropertyOutcome {
                name,
                kind: *kind,
                status: *status,
                discovery,
            });
        }
        let completion = match (self.missing.is_empty(), self.limit) {
            (false, _) => Completion::Incomplete(Limit::MissingShards),
            (true, Some(limit)) => Completion::Incomplete(limit),
            (true, None) => Completion::Complete,
        };
        let results = shards.iter().map(|shard| &shard.result);
        let seconds = results.clone().map(|r| r.seconds).fold(0.0, f64::max);
        Ok(CheckOutcome {
            properties,
            unique_states: results.clone().map(|r| r.unique_states).sum(),
            total_states: results.clone().map(|r| r.total_states).sum(),
            max_depth: results.clone().map(|r| r.max_depth).max().unwrap_or(0),
            elapsed: Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO),
            threads: results
                .clone()
                .map(|r| r.threads)
                .max()
                .and_then(NonZeroUsize::new)
                .unwrap_or(NonZeroUsize::MIN),
            strategy: Strategy::Dfs,
            symmetry: if shards[0].result.symmetry {
                Symmetry::On
            } else {
                Symmetry::Off
            },
            completion,
            // Summed as the counts are (D62): a state two shards both search is counted twice.
            end_states: results
                .clone()
                .map(|r| r.end_states)
                .reduce(|a, b| a.zip(b).map(|(a, b)| a + b))
                .flatten(),
            progress: None,
        })
    }

    /// The lines under the merged table: one per shard, then the frontier and what is missing.
    fn table(&self) -> String {
        let mut lines = String::from("\n");
        for row in &self.rows {
            let result = match &row.limit_hit {
                None => "complete".to_owned(),
                Some(limit) => format!("incomplete ({limit})"),
            };
            lines.push_str(&format!(
                "shard {} of 0..{}: {} unique states, {} total, {:.3} s, {} frontier states, {result}\n",
                row.index,
                self.count - 1,
                row.unique_states,
                row.total_states,
                row.seconds,
                row.frontier_share
            ));
        }
        lines.push_str(&format!(
            "frontier: {} states at depth {}, {} states before it (checked by every shard)\n",
            self.frontier.states, self.frontier.depth, self.frontier.prefix_states
        ));
        if !self.missing.is_empty() {
            lines.push_str(&format!("missing shards: {}\n", join(&self.missing)));
        }
        lines
    }
}

/// For each property some shard saved a counterexample of, the shortest one (ties: the lowest
/// shard, then the file name), loaded back and re-checked against its configuration.
fn shortest_counterexamples(
    shards: &[ReadShard],
) -> anyhow::Result<BTreeMap<&'static str, stateright::Path<State, Action>>> {
    let mut shortest: BTreeMap<&'static str, stateright::Path<State, Action>> = BTreeMap::new();
    for shard in shards {
        for file in shard.counterexample_files() {
            let loaded = counterexample::load(&file)?;
            anyhow::ensure!(
                loaded.config() == &shard.result.config,
                "{}: its configuration is not that of {}",
                file.display(),
                shard.file.display()
            );
            let len = loaded.path.clone().into_actions().len();
            let name = loaded.property.name;
            let shorter = shortest
                .get(name)
                .is_none_or(|known| len < known.clone().into_actions().len());
            if shorter {
                shortest.insert(name, loaded.path);
            }
        }
    }
    Ok(shortest)
}

fn join(indices: &[u32]) -> String {
    indices
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
