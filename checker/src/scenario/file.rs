//! The scenario file: one scenario as TOML or JSON, the format of the catalog (`scenarios/`,
//! embedded in the binary) and of a reviewer's own scenarios (`check --scenario-file`).
//!
//! A scenario is the base bounds with every fault off, plus what its `[bounds]` table sets; per
//! protocol version the verdict expected; the standard witnesses out of scope (derived from the
//! faults it leaves off when it lists none); its own scenario witnesses (ordered patterns of
//! protocol events); and optionally a script, events the search drives the model through before
//! it starts (`check --from`). The format is documented in `docs/scenarios.md`.

use super::{Cost, Expected, FaultsPerRun, Scenario, Verdicts};
use serde::{Deserialize, Serialize};
use std::path::Path;
use swb_model::witness::ScenarioWitness;
use swb_model::{CommitMode, Config, MessageDuplication, MessageLoss, ProtocolVersion};

/// The file, as written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The stable name, kebab-case.
    pub name: String,
    /// What happens, in one line.
    pub description: String,
    /// Where it comes from (a PROTOCOL.md section, an issue).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// The §4.4 simulator goals it demonstrates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// `light` (the quick matrix runs it) or `heavy`.
    #[serde(default, skip_serializing_if = "is_light")]
    pub cost: CostSpec,
    /// How many of the enabled faults one run may combine: `"all"` or a number.
    #[serde(default, skip_serializing_if = "is_all")]
    pub faults_per_run: FaultsPerRunSpec,
    /// The bounds it sets over the quiet base.
    #[serde(default)]
    pub bounds: BoundsSpec,
    /// Expected verdicts at the quick bounds, and at the default ones unless
    /// `default_verdicts` is given.
    #[serde(default)]
    pub verdicts: VerdictsSpec,
    /// Expected verdicts at the default bounds, when they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_verdicts: Option<VerdictsSpec>,
    /// Where the model differs from upstream's expectation, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// The scenario's own witnesses.
    #[serde(default, rename = "witness", skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<ScenarioWitness>,
    /// Events the model is driven through, in order, before an exhaustive search from where
    /// they leave it (`check --scenario-file F --from script`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<String>,
}

fn is_light(cost: &CostSpec) -> bool {
    *cost == CostSpec::Light
}

fn is_all(faults: &FaultsPerRunSpec) -> bool {
    *faults == FaultsPerRunSpec::All
}

/// `cost`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSpec {
    /// Seconds at most.
    #[default]
    Light,
    /// Only the default matrix runs it.
    Heavy,
}

/// `faults_per_run`: `"all"` or a number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FaultsPerRunSpec {
    /// `"all"`.
    #[default]
    #[serde(with = "all_keyword")]
    All,
    /// At most this many.
    AtMost(u8),
}

mod all_keyword {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("all")
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "all" {
            Ok(())
        } else {
            Err(serde::de::Error::custom(format!(
                "faults_per_run = {text:?}: accepted \"all\" or a number"
            )))
        }
    }
}

/// `writes_max`: a number, `{ at_most = N }` (the base's writes, at most N) or
/// `{ base_plus = N }`; the base's writes when absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WritesSpec {
    /// Exactly this many.
    Exactly(u8),
    /// The base's writes, at most this many.
    AtMost {
        /// The cap.
        at_most: u8,
    },
    /// The base's writes plus this many.
    BasePlus {
        /// How many more.
        base_plus: u8,
    },
}

impl WritesSpec {
    fn apply(self, base: u8) -> u8 {
        match self {
            WritesSpec::Exactly(writes) => writes,
            WritesSpec::AtMost { at_most } => base.min(at_most),
            WritesSpec::BasePlus { base_plus } => base.saturating_add(base_plus),
        }
    }
}

/// `[bounds]`: what the scenario sets over the quiet base (every fault off). Absent fields keep
/// the base's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_mode: Option<CommitMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_max: Option<WritesSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crashes_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_changes_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expiries_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up_rounds_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up_batch: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_entries: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_loss: Option<MessageLoss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_duplication: Option<MessageDuplication>,
}

impl BoundsSpec {
    /// The scenario's configuration over `base`: every fault off, then these bounds.
    pub fn apply(&self, base: &Config) -> Config {
        Config {
            nodes: self.nodes.unwrap_or(base.nodes),
            commit_mode: self.commit_mode.unwrap_or(base.commit_mode),
            writes_max: self
                .writes_max
                .map_or(base.writes_max, |writes| writes.apply(base.writes_max)),
            crashes_max: self.crashes_max.unwrap_or(0),
            address_changes_max: self.address_changes_max.unwrap_or(0),
            lease_expiries_max: self.lease_expiries_max.unwrap_or(0),
            partitions_max: self.partitions_max.unwrap_or(0),
            timeouts_max: self.timeouts_max.unwrap_or(0),
            catch_up_rounds_max: self.catch_up_rounds_max.unwrap_or(base.catch_up_rounds_max),
            catch_up_batch: self.catch_up_batch.unwrap_or(base.catch_up_batch),
            retention_entries: self.retention_entries.unwrap_or(base.retention_entries),
            message_loss: self.message_loss.unwrap_or(base.message_loss),
            message_duplication: self.message_duplication.unwrap_or(base.message_duplication),
            ..base.clone()
        }
    }
}

/// `[verdicts]`: the standard witnesses out of scope and the expectation per version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictsSpec {
    /// Witnesses no version reaches under the scenario's faults: a list of names, or a table
    /// of name = reason. Derived from the faults left off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<OutOfScopeSpec>,
    #[serde(default, skip_serializing_if = "ExpectedSpec::holds")]
    pub v1: ExpectedSpec,
    #[serde(default, rename = "v1.5", skip_serializing_if = "ExpectedSpec::holds")]
    pub v1_5: ExpectedSpec,
    #[serde(default, skip_serializing_if = "ExpectedSpec::holds")]
    pub v2: ExpectedSpec,
}

/// `out_of_scope`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutOfScopeSpec {
    /// Names only.
    Names(Vec<String>),
    /// Names with the reason each is out of scope.
    Reasons(std::collections::BTreeMap<String, String>),
}

/// One version's expectation: what it must get wrong (everything else holds or is reached).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violated: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreached: Vec<String>,
}

impl ExpectedSpec {
    fn holds(&self) -> bool {
        self.violated.is_empty() && self.unreached.is_empty()
    }
}

/// Why a scenario file was refused (one line each).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioFileError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{path}: unknown scenario file format: accepted .toml or .json")]
    UnknownFormat { path: String },
}

impl ScenarioFile {
    /// Reads a `.toml` or `.json` scenario file and checks it ([`ScenarioFile::check`]).
    pub fn from_path(path: &Path) -> Result<ScenarioFile, ScenarioFileError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|error| ScenarioFileError::Unreadable {
                path: shown.clone(),
                reason: error.to_string(),
            })?;
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Format::Toml,
            Some("json") => Format::Json,
            _ => return Err(ScenarioFileError::UnknownFormat { path: shown }),
        };
        ScenarioFile::parse(&text, format).map_err(|reason| ScenarioFileError::Malformed {
            path: shown,
            reason,
        })
    }

    /// Parses and checks the text of a scenario file.
    pub fn parse(text: &str, format: Format) -> Result<ScenarioFile, String> {
        let one_line = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let file: ScenarioFile = match format {
            Format::Toml => toml::from_str(text).map_err(|error| one_line(error.to_string()))?,
            Format::Json => {
                serde_json::from_str(text).map_err(|error| one_line(error.to_string()))?
            }
        };
        file.check()?;
        Ok(file)
    }

    /// Refuses what the checker cannot run: a bad name, a property that does not exist or has
    /// the wrong kind, a scenario witness that does not compile or takes a standard name, a
    /// configuration out of range, a script event that does not parse.
    pub fn check(&self) -> Result<(), String> {
        let kebab = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            return Err(format!(
                "name {:?}: use kebab-case (a-z, 0-9, -)",
                self.name
            ));
        }
        let config = self.config(&Config::default(), ProtocolVersion::V2);
        config.validate().map_err(|error| error.to_string())?;
        for witness in &self.witnesses {
            if swb_properties::find(&witness.name).is_some() {
                return Err(format!(
                    "scenario witness {:?} takes the name of a standard property",
                    witness.name
                ));
            }
        }
        let sometimes = swb_properties::PropertyKind::Sometimes;
        let always = swb_properties::PropertyKind::Always;
        for verdicts in std::iter::once(&self.verdicts).chain(&self.default_verdicts) {
            if let Some(out_of_scope) = &verdicts.out_of_scope {
                for name in out_of_scope.names() {
                    check_kind(&config, name, sometimes)?;
                }
            }
            for expected in [&verdicts.v1, &verdicts.v1_5, &verdicts.v2] {
                for name in &expected.violated {
                    check_kind(&config, name, always)?;
                }
                for name in &expected.unreached {
                    check_kind(&config, name, sometimes)?;
                }
            }
        }
        super::script::Script::compile(&self.script).map_err(|error| error.to_string())?;
        Ok(())
    }

    /// The scenario's configuration over `base`, under `protocol`.
    pub fn config(&self, base: &Config, protocol: ProtocolVersion) -> Config {
        configure(
            &self.bounds,
            self.faults_per_run(),
            &self.witnesses,
            base,
            protocol,
        )
    }

    fn faults_per_run(&self) -> FaultsPerRun {
        match self.faults_per_run {
            FaultsPerRunSpec::All => FaultsPerRun::All,
            FaultsPerRunSpec::AtMost(most) => FaultsPerRun::AtMost(most),
        }
    }

    /// The scenario as the catalog holds it: every text made `'static` (a process reads each
    /// file once), out-of-scope witnesses derived where the file lists none.
    pub fn into_scenario(self) -> Scenario {
        let restriction = Restriction {
            bounds: self.bounds,
            faults_per_run: self.faults_per_run(),
            witnesses: leak_slice(self.witnesses.clone()),
        };
        let quick = Verdicts::of_spec(&self.verdicts, &restriction, super::Bounds::Quick);
        let default_verdicts = self
            .default_verdicts
            .as_ref()
            .map(|spec| Verdicts::of_spec(spec, &restriction, super::Bounds::Default));
        Scenario {
            name: leak(self.name),
            description: leak(self.description),
            source: leak(self.source),
            targets: leak_slice(self.targets.into_iter().map(leak).collect()),
            cost: match self.cost {
                CostSpec::Light => Cost::Light,
                CostSpec::Heavy => Cost::Heavy,
            },
            restriction,
            verdicts: quick,
            default_verdicts,
            finding: self.finding.map(leak),
        }
    }
}

impl OutOfScopeSpec {
    /// The names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = match self {
            OutOfScopeSpec::Names(names) => names.iter().map(String::as_str).collect(),
            OutOfScopeSpec::Reasons(reasons) => reasons.keys().map(String::as_str).collect(),
        };
        names.sort_unstable();
        names
    }

    fn reason(&self, name: &str) -> Option<&str> {
        match self {
            OutOfScopeSpec::Names(_) => None,
            OutOfScopeSpec::Reasons(reasons) => reasons.get(name).map(String::as_str),
        }
    }
}

fn check_kind(
    config: &Config,
    name: &str,
    kind: swb_properties::PropertyKind,
) -> Result<(), String> {
    match swb_properties::find_in(config, name) {
        Some(property) if property.kind == kind => Ok(()),
        Some(property) => Err(format!(
            "{name} is an `{}` property, listed where a `{}` one belongs",
            property.kind.name(),
            kind.name()
        )),
        None => Err(format!(
            "unknown property {name:?} (see `swb-check properties`)"
        )),
    }
}

/// The scenario's configuration as data: its bounds over the quiet base, how many faults one
/// run combines, and its own witnesses.
#[derive(Clone, Copy, Debug)]
pub struct Restriction {
    /// The bounds it sets.
    pub bounds: BoundsSpec,
    /// How many faults one run combines.
    pub faults_per_run: FaultsPerRun,
    /// Its scenario witnesses.
    pub witnesses: &'static [ScenarioWitness],
}

impl Restriction {
    /// The restricted bounds over `base`, for describing them (protocol and total budget as
    /// the base has them).
    pub fn restrict(&self, base: &Config) -> Config {
        self.bounds.apply(base)
    }

    /// The scenario's configuration for `protocol` over `base`.
    pub fn config(&self, base: &Config, protocol: ProtocolVersion) -> Config {
        configure(
            &self.bounds,
            self.faults_per_run,
            self.witnesses,
            base,
            protocol,
        )
    }
}

/// A scenario's configuration for `protocol` over `base`. The per-kind budgets are the story;
/// the model's total budget is their sum, so that it never cuts one of them short, unless the
/// story is about either fault alone.
fn configure(
    bounds: &BoundsSpec,
    faults_per_run: FaultsPerRun,
    witnesses: &[ScenarioWitness],
    base: &Config,
    protocol: ProtocolVersion,
) -> Config {
    let restricted = bounds.apply(base);
    let every_fault = restricted.fault_kinds_total();
    let faults_max = match faults_per_run {
        FaultsPerRun::All => every_fault,
        FaultsPerRun::AtMost(most) => every_fault.min(most),
    };
    Config {
        protocol,
        faults_max,
        witnesses: witnesses.to_vec(),
        ..restricted
    }
}

impl Verdicts {
    fn of_spec(spec: &VerdictsSpec, restriction: &Restriction, bounds: super::Bounds) -> Verdicts {
        let expected = |spec: &ExpectedSpec| Expected {
            violated: leak_sorted(&spec.violated),
            unreached: leak_sorted(&spec.unreached),
        };
        let out_of_scope: Vec<(&'static str, &'static str)> = match &spec.out_of_scope {
            Some(listed) => listed
                .names()
                .into_iter()
                .map(|name| {
                    (
                        leak(name.to_owned()),
                        leak(listed.reason(name).unwrap_or("").to_owned()),
                    )
                })
                .collect(),
            None => {
                let config = restriction.config(&bounds.base(), ProtocolVersion::V2);
                super::scope::derived_out_of_scope(&config)
            }
        };
        Verdicts {
            out_of_scope: leak_slice(out_of_scope.iter().map(|(name, _)| *name).collect()),
            out_of_scope_reasons: leak_slice(out_of_scope.iter().map(|(_, why)| *why).collect()),
            out_of_scope_listed: spec.out_of_scope.is_some(),
            expected: [expected(&spec.v1), expected(&spec.v1_5), expected(&spec.v2)],
        }
    }
}

/// The file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_slice<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

fn leak_sorted(names: &[String]) -> &'static [&'static str] {
    let mut names: Vec<&'static str> = names.iter().cloned().map(leak).collect();
    names.sort_unstable();
    leak_slice(names)
}
