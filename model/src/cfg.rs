//! Every bound of the model, validated before any search starts.
//!
//! The configuration is data: a serde struct with an embedded default, loadable from JSON or TOML.
//! Faults (crashes, address changes, partitions, lease expiries, slow-path timeouts, message loss
//! and duplication) are bounded here; the protocol's own recovery actions never are. They are
//! bounded only by the state they act on (a session exists per replica, a catch-up round per
//! frozen target), so the state space is finite without cutting recovery short.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use thiserror::Error;

/// The highest LSN any configuration may reach. A WAL is a fixed array of this many slots, so a
/// state stays `Copy`-friendly and small.
pub const WAL_CAPACITY: usize = 6;

/// The most storage nodes a configuration may have (one primary and up to four replicas).
pub const NODES_MAX: u8 = 5;

/// The most actors a model has: the coordinator and `NODES_MAX` nodes. Per-actor tables are
/// fixed arrays of this length, so states stay `Copy` and cloning one never allocates.
pub const ACTORS_MAX: usize = 1 + NODES_MAX as usize;

/// The protocol version whose policy hooks drive the model (PROTOCOL.md §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProtocolVersion {
    /// The original shipper: no catch-up window, control-plane-only rejoin.
    #[serde(rename = "v1")]
    V1,
    /// Retention-window catch-up without reservations; reconnects only to a stable address.
    #[serde(rename = "v1.5")]
    V1_5,
    /// Explicit recoverability with reservations, reassignment on address change, budgets.
    #[serde(rename = "v2")]
    V2,
}

impl ProtocolVersion {
    /// Every version, oldest first.
    pub const ALL: [ProtocolVersion; 3] = [
        ProtocolVersion::V1,
        ProtocolVersion::V1_5,
        ProtocolVersion::V2,
    ];

    /// The name used on the command line, in files and in reports.
    pub const fn name(self) -> &'static str {
        match self {
            ProtocolVersion::V1 => "v1",
            ProtocolVersion::V1_5 => "v1.5",
            ProtocolVersion::V2 => "v2",
        }
    }

    /// Parses a command-line or file name (`v1`, `v1.5`, `v2`).
    pub fn from_name(name: &str) -> Option<ProtocolVersion> {
        ProtocolVersion::ALL
            .into_iter()
            .find(|version| version.name() == name)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// When the primary may report a write as committed (PROTOCOL.md §2.3, A8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// Committed once durable on the primary alone.
    BestEffort,
    /// Committed once durable on a majority of all nodes (the primary counts).
    SyncQuorum,
    /// Committed once durable on every node.
    SyncAll,
}

impl CommitMode {
    /// How many nodes, the primary included, must hold a write durably before it commits.
    ///
    /// The quorum is ⌊nodes/2⌋ + 1 over the fixed membership (distsim's rule, PROTOCOL.md fact 18).
    pub const fn durable_copies_required(self, nodes: u8) -> u8 {
        match self {
            CommitMode::BestEffort => 1,
            CommitMode::SyncQuorum => nodes / 2 + 1,
            CommitMode::SyncAll => nodes,
        }
    }

    /// The name used in files and reports.
    pub const fn name(self) -> &'static str {
        match self {
            CommitMode::BestEffort => "best_effort",
            CommitMode::SyncQuorum => "sync_quorum",
            CommitMode::SyncAll => "sync_all",
        }
    }
}

/// Whether the network may lose messages (stateright's `LossyNetwork`, spelled as a choice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageLoss {
    /// Any in-flight message may be dropped.
    Lossy,
    /// Messages are delayed and reordered, never lost.
    Reliable,
}

/// Whether the network may deliver one message more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageDuplication {
    /// A delivered message may be delivered again.
    Duplicating,
    /// A message is delivered at most once.
    Exactly,
}

/// Whether the model delivers traffic its receiver can only fence in the step that makes it dead
/// (decision D35, `reduction.rs`): a sound reduction, on by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FencedTraffic {
    /// Delivered at once: the message leaves the network, as its eventual delivery would leave it.
    #[default]
    Discard,
    /// Left in flight until delivered (for cross-checking the reduction).
    Keep,
}

impl FencedTraffic {
    fn is_default(&self) -> bool {
        *self == FencedTraffic::default()
    }
}

/// The bounds of one model. Every field is validated by [`Config::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The protocol version whose policy hooks apply.
    pub protocol: ProtocolVersion,
    /// Storage nodes: the first is the initial primary, the rest replicas. 2 to `NODES_MAX`.
    pub nodes: u8,
    /// When a write commits.
    pub commit_mode: CommitMode,
    /// Client writes in the whole run, whichever primary takes them (a deposed primary that
    /// has not heard of the new epoch yet still takes writes). 1 to `WAL_CAPACITY`.
    pub writes_max: u8,
    /// Node crashes (each followed by a restart from durable storage) in the whole run.
    pub crashes_max: u8,
    /// Restarts of a replica at a new address (endpoint version + 1) in the whole run.
    pub address_changes_max: u8,
    /// Lease expiries at the coordinator; each bumps the epoch and elects a primary.
    pub lease_expiries_max: u8,
    /// Links cut in the whole run (a cut link holds its messages until it is healed).
    pub partitions_max: u8,
    /// Slow-path timeouts (barrier, catch-up) that may fire in the whole run. A timeout firing
    /// early is indistinguishable from a slow network, so it is a fault and bounded as one.
    pub timeouts_max: u8,
    /// Faults of any kind (crashes, address changes, lease expiries, partitions, timeouts) in the
    /// whole run, on top of each kind's own bound: every combination of up to this many faults is
    /// explored, at any point of the protocol.
    pub faults_max: u8,
    /// Catch-up rounds one session may spend chasing a moving head before it must escalate to
    /// NeedsRebuild (the catch-up budget, A5). 1 or more.
    pub catch_up_rounds_max: u8,
    /// WAL entries one catch-up message carries. 1 or more.
    pub catch_up_batch: u8,
    /// WAL entries the primary keeps behind its head when it recycles history (the retention
    /// window): a replica further behind than this, once recycled, needs a rebuild.
    pub retention_entries: u8,
    /// Whether the network loses messages.
    pub message_loss: MessageLoss,
    /// Whether the network duplicates messages.
    pub message_duplication: MessageDuplication,
    /// Whether traffic its receiver can only fence is delivered at once (D35). Omitted from files
    /// when it has its default, `discard`.
    #[serde(default, skip_serializing_if = "FencedTraffic::is_default")]
    pub fenced_traffic: FencedTraffic,
    /// A deliberately broken rule, for proving a property can fail. Never set by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<crate::policy::Mutant>,
    /// A second broken rule, set only together with `mutant`, to show that one guard masks
    /// another (`swb-check mutants`, issue 16): the pair is caught where `mutant` alone is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masking_mutant: Option<crate::policy::Mutant>,
    /// Scenario witnesses: ordered patterns of protocol events the ghost matches (`witness.rs`,
    /// `docs/scenarios.md`). None by default, which leaves the state space as it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<crate::witness::ScenarioWitness>,
}

impl Config {
    /// The configuration `swb-check check` runs when given none, the main job: the base bounds
    /// ([`Config::default`]) with every combination of two faults per run, each kind allowed up
    /// to twice (two crashes, two lease expiries, two moves, a partition and a timeout, ... any
    /// pair), on the reliable network. Loss adds no state a safety property can see (D34), and
    /// traffic its receiver can only fence is delivered at once (D35), which together make the
    /// two-fault space exhaustive in about half a minute on 2 cores (measured: `docs/design.md`,
    /// D36).
    pub fn embedded_default() -> Config {
        Config {
            crashes_max: 2,
            address_changes_max: 2,
            lease_expiries_max: 2,
            partitions_max: 2,
            timeouts_max: 2,
            faults_max: 2,
            ..Config::default()
        }
    }
}

impl Config {
    /// The bounds at which the main job judges the progress property (D49): a lossy network,
    /// one client write and any one fault (each kind at most once). The progress graph holds
    /// every state without symmetry reduction, so its bounds are the largest that stay small
    /// (measured: 218,249 states, 711 valid end states, about 0.8 GB); a lossy network because
    /// that is where recovery can stall (a lost probe, rebuild or acknowledgement) and where the
    /// recovery deadlines must fire (D40).
    pub fn embedded_progress() -> Config {
        Config {
            writes_max: 1,
            message_loss: MessageLoss::Lossy,
            ..Config::default()
        }
    }
}

impl Default for Config {
    /// The base bounds: 1 primary + 2 replicas, sync_quorum, V2, two client writes, and one
    /// fault of any kind (a crash, a move, a lease expiry, a timeout or a partition) at any point
    /// of the protocol, on a network that reorders and delays but never loses. Every `sometimes`
    /// witness is reached at these bounds in under a second. Scenarios restrict these bounds, and
    /// tests use them; the main job allows a second fault ([`Config::embedded_default`]).
    fn default() -> Config {
        Config {
            protocol: ProtocolVersion::V2,
            nodes: 3,
            commit_mode: CommitMode::SyncQuorum,
            writes_max: 2,
            crashes_max: 1,
            address_changes_max: 1,
            lease_expiries_max: 1,
            partitions_max: 1,
            timeouts_max: 1,
            faults_max: 1,
            catch_up_rounds_max: 1,
            catch_up_batch: 1,
            retention_entries: 1,
            message_loss: MessageLoss::Reliable,
            message_duplication: MessageDuplication::Exactly,
            fenced_traffic: FencedTraffic::Discard,
            mutant: None,
            masking_mutant: None,
            witnesses: Vec::new(),
        }
    }
}

impl fmt::Display for Config {
    /// Every bound on one line, as the summary of a check shows it: what exactly was checked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} nodes, {}, {} writes, {} fault(s) per run of: crashes {}, address changes {}, \
             lease expiries {}, partitions {}, timeouts {}; catch-up rounds {}, batch {}, \
             retention {}; network {}, {}",
            self.protocol,
            self.nodes,
            self.commit_mode.name(),
            self.writes_max,
            self.faults_max,
            self.crashes_max,
            self.address_changes_max,
            self.lease_expiries_max,
            self.partitions_max,
            self.timeouts_max,
            self.catch_up_rounds_max,
            self.catch_up_batch,
            self.retention_entries,
            match self.message_loss {
                MessageLoss::Lossy => "lossy",
                MessageLoss::Reliable => "reliable",
            },
            match self.message_duplication {
                MessageDuplication::Duplicating => "duplicating",
                MessageDuplication::Exactly => "exactly once",
            },
        )?;
        if self.fenced_traffic == FencedTraffic::Keep {
            write!(f, "; fenced traffic kept in flight")?;
        }
        if let Some(mutant) = self.mutant {
            write!(f, "; mutant {mutant:?}")?;
        }
        if let Some(mutant) = self.masking_mutant {
            write!(f, "; masking mutant {mutant:?}")?;
        }
        if !self.witnesses.is_empty() {
            let names: Vec<&str> = self.witnesses.iter().map(|w| w.name.as_str()).collect();
            write!(f, "; scenario witnesses {}", names.join(", "))?;
        }
        Ok(())
    }
}

/// Why a configuration was refused. Each names the field and the accepted values.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A bound outside its range.
    #[error("{field} = {value} is out of range: accepted {accepted}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The accepted values.
        accepted: &'static str,
    },
    /// A commit mode the topology cannot satisfy in a meaningful way.
    #[error("commit_mode = {mode} with {nodes} nodes: {reason}")]
    CommitModeUnsatisfiable {
        /// The mode.
        mode: &'static str,
        /// The node count.
        nodes: u8,
        /// Why.
        reason: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The file is not a valid configuration.
    #[error("{path}: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What the parser said (one line).
        reason: String,
    },
    /// A scenario witness that cannot be matched.
    #[error("{0}")]
    Witness(#[from] crate::witness::PatternError),
    /// The file's extension names no supported format.
    #[error("{path}: unknown configuration format: accepted .json or .toml")]
    UnknownFormat {
        /// The file.
        path: String,
    },
}

impl Config {
    /// Loads a configuration from a `.json` or `.toml` file; unknown fields are refused, and the
    /// result is validated.
    pub fn from_path(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Unreadable {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let config: Config = match extension {
            "json" => serde_json::from_str(&text).map_err(|error| ConfigError::Malformed {
                path: shown.clone(),
                reason: one_line(&error.to_string()),
            })?,
            "toml" => toml::from_str(&text).map_err(|error| ConfigError::Malformed {
                path: shown.clone(),
                reason: one_line(&error.to_string()),
            })?,
            _ => return Err(ConfigError::UnknownFormat { path: shown }),
        };
        config.validate()?;
        Ok(config)
    }

    /// Refuses bounds the model cannot work with, naming the field and the accepted values.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("nodes", self.nodes, 2, NODES_MAX, "2 to 5")?;
        check_range(
            "writes_max",
            self.writes_max,
            1,
            WAL_CAPACITY as u8,
            "1 to 6",
        )?;
        check_range("crashes_max", self.crashes_max, 0, 3, "0 to 3")?;
        check_range(
            "address_changes_max",
            self.address_changes_max,
            0,
            3,
            "0 to 3",
        )?;
        check_range(
            "lease_expiries_max",
            self.lease_expiries_max,
            0,
            3,
            "0 to 3",
        )?;
        check_range("partitions_max", self.partitions_max, 0, 3, "0 to 3")?;
        check_range("timeouts_max", self.timeouts_max, 0, 3, "0 to 3")?;
        check_range("faults_max", self.faults_max, 0, 12, "0 to 12")?;
        check_range(
            "catch_up_rounds_max",
            self.catch_up_rounds_max,
            1,
            4,
            "1 to 4",
        )?;
        check_range(
            "catch_up_batch",
            self.catch_up_batch,
            1,
            WAL_CAPACITY as u8,
            "1 to 6",
        )?;
        check_range(
            "retention_entries",
            self.retention_entries,
            0,
            WAL_CAPACITY as u8,
            "0 to 6",
        )?;
        // Upstream never defines an "invalid sync_quorum topology" (PROTOCOL.md §8.10). With the
        // distsim quorum ⌊n/2⌋+1, two nodes need both copies: sync_quorum would silently be
        // sync_all. We refuse it so a reviewer never reads a quorum result that is not one.
        if self.commit_mode == CommitMode::SyncQuorum && self.nodes < 3 {
            return Err(ConfigError::CommitModeUnsatisfiable {
                mode: self.commit_mode.name(),
                nodes: self.nodes,
                reason: "a quorum of 2 nodes is both nodes (sync_all in disguise); use 3 or more nodes or commit_mode = sync_all",
            });
        }
        crate::witness::Patterns::compile(&self.witnesses)?;
        Ok(())
    }

    /// The configuration as pretty JSON (for counterexample files and reports).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// How many nodes must hold a write durably before it commits.
    pub fn durable_copies_required(&self) -> u8 {
        self.commit_mode.durable_copies_required(self.nodes)
    }

    /// The faults the per-kind bounds allow together (crashes, moves, lease expiries,
    /// partitions, timeouts), before `faults_max` caps a run.
    pub fn fault_kinds_total(&self) -> u8 {
        self.crashes_max
            + self.address_changes_max
            + self.lease_expiries_max
            + self.partitions_max
            + self.timeouts_max
    }
}

fn check_range(
    field: &'static str,
    value: u8,
    low: u8,
    high: u8,
    accepted: &'static str,
) -> Result<(), ConfigError> {
    if value < low || value > high {
        return Err(ConfigError::OutOfRange {
            field,
            value: u64::from(value),
            accepted,
        });
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The deep profile shipped in the repository is the main job with a third fault of any kind.
    #[test]
    fn shipped_deep_profile_is_the_main_job_with_three_faults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/deep.toml");
        let deep = Config::from_path(&path).expect("configs/deep.toml loads");
        let main = Config::embedded_default();
        assert_eq!(
            deep,
            Config {
                crashes_max: 3,
                address_changes_max: 3,
                lease_expiries_max: 3,
                partitions_max: 3,
                timeouts_max: 3,
                faults_max: 3,
                ..main
            }
        );
    }

    #[test]
    fn default_config_is_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
        assert_eq!(Config::embedded_default().validate(), Ok(()));
        assert_eq!(Config::embedded_progress().validate(), Ok(()));
    }

    #[test]
    fn zero_nodes_refused_naming_the_field() {
        let config = Config {
            nodes: 0,
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "nodes",
                value: 0,
                accepted: "2 to 5"
            })
        );
    }

    #[test]
    fn sync_quorum_on_two_nodes_refused() {
        let config = Config {
            nodes: 2,
            ..Config::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::CommitModeUnsatisfiable { nodes: 2, .. })
        ));
        let config = Config {
            nodes: 2,
            commit_mode: CommitMode::SyncAll,
            ..Config::default()
        };
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn quorum_sizes_follow_distsim() {
        let table = [
            (3, CommitMode::SyncQuorum, 2),
            (5, CommitMode::SyncQuorum, 3),
            (3, CommitMode::SyncAll, 3),
            (3, CommitMode::BestEffort, 1),
        ];
        for (nodes, mode, copies) in table {
            assert_eq!(
                mode.durable_copies_required(nodes),
                copies,
                "{nodes} nodes, {mode:?}"
            );
        }
    }

    #[test]
    fn config_round_trips_through_json_and_toml() {
        let config = Config::default();
        let json = serde_json::to_string(&config).expect("serialise");
        assert_eq!(
            serde_json::from_str::<Config>(&json).expect("parse json"),
            config
        );
        let toml_text = toml::to_string(&config).expect("serialise toml");
        assert_eq!(
            toml::from_str::<Config>(&toml_text).expect("parse toml"),
            config
        );
    }

    #[test]
    fn unknown_field_refused() {
        let json = r#"{"protocol":"v2","nodes":3,"bogus":1}"#;
        assert!(serde_json::from_str::<Config>(json).is_err());
    }
}
