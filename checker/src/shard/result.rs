//! The shard result file, DIR/shard-I-of-N.json: the `check --json` object of the shard (its
//! counts include the frontier's prefix, its paths start at the initial state) with one more last
//! field, `shard`, and how `merge` reads it back without trusting it.

use super::frontier::Frontier;
use super::Shard;
use crate::counterexample::Saved;
use crate::supervise::EndStateCount;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use swb_model::Config;

/// The `shard` object of a result file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardInfo {
    /// I, from 0.
    pub index: u32,
    /// N.
    pub count: u32,
    /// The swb-check version that wrote it: shards of different versions are never merged.
    pub version: String,
    /// K, in actions from the initial state.
    pub frontier_depth: usize,
    /// States at depth K (one per symmetry class with symmetry on), over every shard.
    pub frontier_states: usize,
    /// The frontier states this shard searched from.
    pub frontier_share: usize,
    /// Unique states at depths below K: checked by every shard, counted in every shard's
    /// `unique_states`.
    pub prefix_states: usize,
    /// Seconds of the breadth-first frontier (included in `seconds`).
    pub frontier_seconds: f64,
    /// The counterexample files this shard saved, relative to the result file's directory,
    /// sorted by property.
    pub counterexample_files: Vec<String>,
}

impl ShardInfo {
    /// The `shard` object of `shard`, whose counterexamples were saved under `out_dir`.
    pub fn new(shard: Shard, frontier: &Frontier, saved: &[Saved], out_dir: &Path) -> ShardInfo {
        let counterexample_files = saved
            .iter()
            .map(|saved| {
                let relative = saved.file.strip_prefix(out_dir).unwrap_or(&saved.file);
                // Forward slashes, so a file written on one system reads on another.
                relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        ShardInfo {
            index: shard.index,
            count: shard.count,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            frontier_depth: frontier.depth,
            frontier_states: frontier.states_total,
            frontier_share: frontier.states.len(),
            prefix_states: frontier.prefix_unique,
            frontier_seconds: (frontier.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            counterexample_files,
        }
    }

    /// The object as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain fields serialise")
    }

    /// The line `check --shard` prints under its table.
    pub fn summary_line(&self, file: &Path) -> String {
        format!(
            "\nshard {} of 0..{}: {} of {} frontier states at depth {} ({} states before it, {:.3} s); result {}\n",
            self.index,
            self.count - 1,
            self.frontier_share,
            self.frontier_states,
            self.frontier_depth,
            self.prefix_states,
            self.frontier_seconds,
            file.display()
        )
    }
}

/// One property line of a result file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyLine {
    pub name: String,
    pub kind: String,
    pub status: String,
    pub trace_len: Option<usize>,
}

/// A result file as `merge` reads it: the fields it uses (the rest of the `check --json` object
/// is allowed and ignored).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ShardFile {
    pub protocol: String,
    pub scenario: String,
    pub config: Config,
    pub complete: bool,
    pub limit_hit: Option<String>,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub threads: usize,
    pub strategy: String,
    pub symmetry: bool,
    /// `null` for a model without an end-state property.
    pub end_states: Option<EndStateCount>,
    pub properties: Vec<PropertyLine>,
    pub shard: ShardInfo,
}

/// A result file read from disk, with where it came from.
#[derive(Clone, Debug)]
pub struct ReadShard {
    pub file: PathBuf,
    pub result: ShardFile,
}

impl ReadShard {
    /// Reads and parses `file`; any failure is one error naming the file.
    pub fn read(file: &Path) -> anyhow::Result<ReadShard> {
        let bytes = std::fs::read(file)
            .with_context(|| format!("cannot read the shard result {}", file.display()))?;
        let result: ShardFile = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a shard result of `check --shard`",
                file.display()
            )
        })?;
        anyhow::ensure!(
            result.shard.count >= 1 && result.shard.index < result.shard.count,
            "{}: shard index {} is not below the shard count {}",
            file.display(),
            result.shard.index,
            result.shard.count
        );
        let named = Shard {
            index: result.shard.index,
            count: result.shard.count,
        };
        anyhow::ensure!(
            file.file_name() == named.result_file(Path::new("")).file_name(),
            "{} holds the result of shard {} of {}, which is written as {}",
            file.display(),
            named.index,
            named.count,
            named.result_file(Path::new("")).display()
        );
        Ok(ReadShard {
            file: file.to_path_buf(),
            result,
        })
    }

    /// The shard it is the result of.
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.result.shard.index,
            count: self.result.shard.count,
        }
    }

    /// The counterexample files it names, resolved against its own directory.
    pub fn counterexample_files(&self) -> Vec<PathBuf> {
        let directory = self.file.parent().unwrap_or(Path::new("."));
        self.result
            .shard
            .counterexample_files
            .iter()
            .map(|relative| directory.join(relative))
            .collect()
    }

    /// What must be equal in every shard of one run, as (what, value) pairs: the first pair that
    /// differs between two shards names the mismatch.
    pub fn run_identity(&self) -> Vec<(&'static str, String)> {
        let result = &self.result;
        let mut names: Vec<&str> = result.properties.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        vec![
            ("swb-check version", result.shard.version.clone()),
            ("shard count", result.shard.count.to_string()),
            ("frontier depth", result.shard.frontier_depth.to_string()),
            ("frontier states", result.shard.frontier_states.to_string()),
            ("protocol", result.protocol.clone()),
            ("scenario", result.scenario.clone()),
            ("configuration", result.config.to_string()),
            ("strategy", result.strategy.clone()),
            ("symmetry", result.symmetry.to_string()),
            ("properties", names.join(",")),
        ]
    }
}
