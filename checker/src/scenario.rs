//! The scenario catalog: named, restricted configurations of the one protocol model, each with
//! the verdict every protocol version is expected to reach (PROTOCOL.md §4 and §5.2).
//!
//! A scenario is data, never a code path: a name, a one-line description, its source, the faults
//! it enables (a function from the base [`Config`] to the scenario's smaller configuration), and
//! per version the `always` properties that must be violated and the `sometimes` witnesses that
//! must stay unreached; every other property must hold or be reached. Witnesses that no version
//! can reach under the scenario's faults (a promotion without a lease expiry) are listed once as
//! `out_of_scope`, so each version's expectation lists only what that version gets wrong.
//!
//! The decision a reviewer will question: expectations are exact sets, not "at least". A cell
//! matches only when its violated and unreached sets equal the expectation, so a model change that
//! makes an older version fail somewhere new, or stop failing, shows up as a mismatch in
//! `swb-check compare` rather than passing silently. Where the model shows an older version
//! failing somewhere upstream did not expect, the expectation records what the model shows and
//! the scenario's `finding` says why (`docs/comparison.md`).
//!
//! `catalog` holds the scenarios the model can express; `INEXPRESSIBLE` the ones of the backlog it
//! cannot, each with the reason; `explain` the per-property explanation of an older version's
//! failure and the V2 rule that prevents it.

pub mod catalog;
pub mod explain;
pub mod file;
pub mod scope;
pub mod script;

use swb_model::{Config, ProtocolVersion};

pub use catalog::{catalog, INEXPRESSIBLE};

/// What one protocol version is expected to show in a scenario, beyond the scenario's
/// out-of-scope witnesses. Both lists are sorted by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// `always` properties that must be violated.
    pub violated: &'static [&'static str],
    /// `sometimes` witnesses that must stay unreached (besides the out-of-scope ones).
    pub unreached: &'static [&'static str],
}

/// A scenario's expected verdicts at one bound set.
#[derive(Clone, Copy, Debug)]
pub struct Verdicts {
    /// `sometimes` witnesses no version can reach under these faults, sorted.
    pub out_of_scope: &'static [&'static str],
    /// Why each of `out_of_scope` is, in the same order (empty where the file gives no reason).
    pub out_of_scope_reasons: &'static [&'static str],
    /// True when the file lists `out_of_scope`; false when it was derived from the faults the
    /// scenario leaves off (`scope.rs`).
    pub out_of_scope_listed: bool,
    /// The expected verdict of V1, V1.5 and V2, in that order.
    pub expected: [Expected; 3],
}

/// One named scenario.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// The stable name (command line, JSON, reports), kebab-case.
    pub name: &'static str,
    /// What happens, in one line.
    pub description: &'static str,
    /// Where it comes from: an S-number, a §4.3 row, a §4.6 group of PROTOCOL.md.
    pub source: &'static str,
    /// The §4.4 simulator goals (V1-F*, V15-F*, V2-S*) this scenario demonstrates.
    pub targets: &'static [&'static str],
    /// Whether the quick bound set (tests, `docs/comparison.md`) runs it.
    pub cost: Cost,
    /// The scenario's configuration, derived from the base bounds: which faults it enables and
    /// how far, the writes its story needs, how many of the enabled faults one run may combine
    /// ([`FaultsPerRun::All`] for a story that needs them together, [`FaultsPerRun::AtMost`]
    /// for one that is about either) and its own witnesses. It never changes the protocol
    /// version (the matrix sets that).
    pub restriction: file::Restriction,
    /// The expected verdicts at the quick bounds (and at the default ones, unless overridden).
    pub verdicts: Verdicts,
    /// The expected verdicts at the default bounds, where more writes reach more behaviour
    /// (a second write makes tail chasing possible); `None` when they equal `verdicts`.
    pub default_verdicts: Option<Verdicts>,
    /// Where the model differs from upstream's expectation for this scenario, why; `None` when
    /// the verdicts are the ones upstream predicts.
    pub finding: Option<&'static str>,
}

impl Scenario {
    /// The scenario's configuration for `protocol`, from the base bounds `base`.
    pub fn config(&self, base: &Config, protocol: ProtocolVersion) -> Config {
        self.restriction.config(base, protocol)
    }

    /// The expected verdicts at `bounds`.
    pub fn verdicts(&self, bounds: Bounds) -> Verdicts {
        match bounds {
            Bounds::Quick => self.verdicts,
            Bounds::Default => self.default_verdicts.unwrap_or(self.verdicts),
        }
    }

    /// The expected verdict of `protocol` at `bounds`.
    pub fn expected(&self, bounds: Bounds, protocol: ProtocolVersion) -> Expected {
        let expected = self.verdicts(bounds).expected;
        match protocol {
            ProtocolVersion::V1 => expected[0],
            ProtocolVersion::V1_5 => expected[1],
            ProtocolVersion::V2 => expected[2],
        }
    }

    /// Every witness `protocol` is expected to leave unreached at `bounds`, out-of-scope ones
    /// included, sorted by name.
    pub fn expected_unreached(
        &self,
        bounds: Bounds,
        protocol: ProtocolVersion,
    ) -> Vec<&'static str> {
        let mut unreached: Vec<&'static str> = self
            .verdicts(bounds)
            .out_of_scope
            .iter()
            .chain(self.expected(bounds, protocol).unreached)
            .copied()
            .collect();
        unreached.sort_unstable();
        unreached.dedup();
        unreached
    }

    /// The faults and bounds the scenario sets, as `field value` words, in `Config` field order
    /// (with `at most N faults per run` when the story limits how many combine).
    pub fn describe_faults(&self, base: &Config) -> String {
        let described = describe_config(&self.restriction.restrict(base));
        match self.restriction.faults_per_run {
            FaultsPerRun::All => described,
            FaultsPerRun::AtMost(most) => {
                let plural = if most == 1 { "" } else { "s" };
                format!("{described}, at most {most} fault{plural} per run")
            }
        }
    }
}

/// How many of a scenario's enabled faults one run may combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultsPerRun {
    /// Every enabled fault, up to its own budget, in the same run.
    All,
    /// At most this many faults in one run, whichever kinds: a story about a restart at the same
    /// *or* a changed address is the union of the two runs, not a run with both.
    AtMost(u8),
}

/// How expensive a scenario is to check, which decides whether the quick matrix runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Seconds at most at either bound set: in the quick matrix.
    Light,
    /// A lease expiry combined with a crash, or with two other faults: hundreds of thousands of
    /// states even at one write, so only the default matrix runs it (and runs it first).
    Heavy,
}

/// A backlog scenario the model cannot express, and why.
#[derive(Clone, Copy, Debug)]
pub struct Inexpressible {
    /// The backlog's name for it.
    pub name: &'static str,
    /// Where it comes from in PROTOCOL.md.
    pub source: &'static str,
    /// What the model lacks.
    pub reason: &'static str,
}

/// The bound sets a scenario is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounds {
    /// The model's base bounds (`Config::default()`, the embedded default without message loss):
    /// the full matrix in under a minute.
    Default,
    /// Smaller bounds that keep every expected verdict: the test suite and `docs/comparison.md`.
    Quick,
}

impl Bounds {
    /// The base configuration scenarios restrict.
    pub fn base(self) -> Config {
        match self {
            Bounds::Default => Config::default(),
            Bounds::Quick => Config {
                writes_max: 1,
                ..Config::default()
            },
        }
    }

    /// The base's bounds that scenarios keep (writes, rounds, retention), every fault off: what
    /// a scenario's own faults are added to.
    pub fn describe(self) -> String {
        describe_config(&Config {
            crashes_max: 0,
            address_changes_max: 0,
            lease_expiries_max: 0,
            partitions_max: 0,
            timeouts_max: 0,
            ..self.base()
        })
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Bounds::Default => "default",
            Bounds::Quick => "quick",
        }
    }
}

/// Looks a scenario up by name; the error lists every valid name.
pub fn find(name: &str) -> anyhow::Result<Scenario> {
    let all = catalog();
    all.iter()
        .find(|scenario| scenario.name == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|scenario| scenario.name).collect();
            anyhow::anyhow!(
                "unknown scenario {name:?}; valid names: {}",
                names.join(", ")
            )
        })
}

/// A configuration's fault budgets and bounds as `field value` words (faults that are off are
/// left out; the commit mode, network and node count only when they differ from the default).
pub fn describe_config(config: &Config) -> String {
    let defaults = Config::default();
    let mut words = Vec::new();
    if config.nodes != defaults.nodes {
        words.push(format!("nodes {}", config.nodes));
    }
    if config.commit_mode != defaults.commit_mode {
        words.push(format!("commit_mode {}", config.commit_mode.name()));
    }
    words.push(format!("writes {}", config.writes_max));
    let faults = [
        ("crashes", config.crashes_max),
        ("address_changes", config.address_changes_max),
        ("lease_expiries", config.lease_expiries_max),
        ("partitions", config.partitions_max),
        ("timeouts", config.timeouts_max),
    ];
    for (name, value) in faults {
        if value > 0 {
            words.push(format!("{name} {value}"));
        }
    }
    words.push(format!("rounds {}", config.catch_up_rounds_max));
    words.push(format!("retention {}", config.retention_entries));
    if config.message_loss != defaults.message_loss {
        words.push("lossy".to_owned());
    }
    if config.message_duplication != defaults.message_duplication {
        words.push("duplicating".to_owned());
    }
    words.join(", ")
}

/// An expectation in a few words: `holds`, `✗ property` per expected violation,
/// `unreached: witness` for expected in-scope unreached witnesses.
pub fn describe_expected(expected: Expected) -> String {
    let mut parts: Vec<String> = expected
        .violated
        .iter()
        .map(|name| format!("✗ {name}"))
        .collect();
    if !expected.unreached.is_empty() {
        parts.push(format!("unreached: {}", expected.unreached.join(", ")));
    }
    if parts.is_empty() {
        parts.push("holds".to_owned());
    }
    parts.join("; ")
}

/// The scenario-file format and the event vocabulary, the last section of `docs/scenarios.md`.
const FORMAT_DOC: &str = include_str!("scenario/format.md");

/// `swb-check scenarios`: every scenario with its description, source, faults (at `bounds`) and
/// expected verdicts, as plain text or as a Markdown table (`docs/scenarios.md`), followed by
/// the backlog entries the model cannot express.
pub fn render_list(bounds: Bounds, markdown: bool) -> String {
    let base = bounds.base();
    let mut text = String::new();
    if markdown {
        text.push_str("# Scenario catalog\n\n");
        text.push_str(&format!(
            "Generated by `swb-check scenarios --markdown`; do not edit. Faults at the `{}` bounds ({}). \
             An expectation lists what the version must get wrong; everything else must hold or be reached. \
             Witnesses out of scope are unreachable for every version under the scenario's faults.\n\n",
            bounds.name(),
            bounds.describe()
        ));
        text.push_str("| scenario | description | source | targets | faults | out of scope | v1 | v1.5 | v2 |\n");
        text.push_str("|---|---|---|---|---|---|---|---|---|\n");
        for scenario in catalog() {
            let cells = [
                format!("`{}`", scenario.name),
                scenario.description.to_owned(),
                scenario.source.to_owned(),
                scenario.targets.join(", "),
                scenario.describe_faults(&base),
                scenario.verdicts(bounds).out_of_scope.join(", "),
                describe_expected(scenario.expected(bounds, ProtocolVersion::V1)),
                describe_expected(scenario.expected(bounds, ProtocolVersion::V1_5)),
                describe_expected(scenario.expected(bounds, ProtocolVersion::V2)),
            ];
            let cells: Vec<String> = cells.iter().map(|cell| cell.replace('|', "\\|")).collect();
            text.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        text.push_str("\n## Not expressible in the model\n\n");
        for entry in INEXPRESSIBLE {
            text.push_str(&format!(
                "- `{}` ({}): {}.\n",
                entry.name, entry.source, entry.reason
            ));
        }
        text.push('\n');
        text.push_str(FORMAT_DOC);
    } else {
        for scenario in catalog() {
            text.push_str(&format!("{}\n", scenario.name));
            text.push_str(&format!("  {}\n", scenario.description));
            text.push_str(&format!("  source:   {}\n", scenario.source));
            if !scenario.targets.is_empty() {
                text.push_str(&format!("  targets:  {}\n", scenario.targets.join(", ")));
            }
            text.push_str(&format!(
                "  faults:   {}\n",
                scenario.describe_faults(&base)
            ));
            let verdicts = scenario.verdicts(bounds);
            if !verdicts.out_of_scope.is_empty() {
                text.push_str(&format!(
                    "  out of scope: {}\n",
                    verdicts.out_of_scope.join(", ")
                ));
            }
            for protocol in ProtocolVersion::ALL {
                let expected = describe_expected(scenario.expected(bounds, protocol));
                text.push_str(&format!("  {:<9} {expected}\n", format!("{protocol}:")));
            }
            text.push('\n');
        }
        text.push_str("not expressible in the model:\n");
        for entry in INEXPRESSIBLE {
            text.push_str(&format!(
                "  {} ({}): {}\n",
                entry.name, entry.source, entry.reason
            ));
        }
    }
    text
}

/// `swb-check scenarios`.
pub fn command(args: &crate::cli::ScenariosArgs) -> anyhow::Result<std::process::ExitCode> {
    let bounds = if args.quick {
        Bounds::Quick
    } else {
        Bounds::Default
    };
    crate::output::write_stdout(&render_list(bounds, args.markdown))?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// The configuration `check` and `explore` run for `--config FILE`, `--scenario NAME` and
/// `--protocol V`, validated, with its name: the configuration is `--config`, else the base
/// bounds for a scenario (the matrix's, so a cell can be re-checked alone) and the embedded
/// default without one (the main job, possibly under another version); restricted to the
/// scenario's faults (if one is named), under the chosen version (default: the configuration's).
/// The name is the scenario's, else the file's stem, else `default`.
pub fn scenario_config(
    config: Option<&std::path::Path>,
    scenario: Option<&str>,
    protocol: Option<crate::cli::ProtocolArg>,
) -> anyhow::Result<(Config, String)> {
    use anyhow::Context;
    let (base, base_name) = match config {
        Some(path) => (
            Config::from_path(path).context("reading the configuration")?,
            crate::models::config_name(path),
        ),
        None if scenario.is_some() => (Config::default(), "base".to_owned()),
        None => (Config::embedded_default(), "default".to_owned()),
    };
    let protocol = protocol.map_or(base.protocol, |protocol| protocol.version());
    let (config, name) = match scenario {
        Some(name) => {
            let scenario = find(name)?;
            (scenario.config(&base, protocol), scenario.name.to_owned())
        }
        None => (Config { protocol, ..base }, base_name),
    };
    config
        .validate()
        .with_context(|| format!("checking the configuration of scenario {name}"))?;
    Ok((config, name))
}

/// Symmetry reduction for a protocol configuration: on, unless a scenario witness names a node
/// (`promote(n2)`), which a renaming of nodes would change.
pub fn symmetry_for(config: &Config) -> crate::models::SymmetryFn<swb_model::SwbModel> {
    let names_nodes = swb_model::witness::Patterns::compile(&config.witnesses)
        .is_ok_and(|patterns| patterns.names_nodes());
    if names_nodes {
        eprintln!("swb-check: note: a scenario witness names a node, so symmetry reduction is off");
        return None;
    }
    Some(swb_model::SwbModel::representative)
}

/// The standard witnesses `config` puts out of scope, with why: those the faults it leaves off
/// make unreachable (`scope.rs`), and those a scenario lists (its reason, where it gives one,
/// wins). Sorted by name.
fn out_of_scope(config: &Config, listed: Option<&Verdicts>) -> Vec<(String, String)> {
    let mut scope: std::collections::BTreeMap<String, String> = scope::derived_out_of_scope(config)
        .into_iter()
        .map(|(name, why)| (name.to_owned(), why.to_owned()))
        .collect();
    if let Some(verdicts) = listed.filter(|verdicts| verdicts.out_of_scope_listed) {
        for (name, why) in verdicts
            .out_of_scope
            .iter()
            .zip(verdicts.out_of_scope_reasons)
        {
            let why = match (why.is_empty(), scope.get(*name)) {
                (false, _) => (*why).to_owned(),
                (true, Some(derived)) => derived.clone(),
                (true, None) => "listed out of scope by the scenario".to_owned(),
            };
            scope.insert((*name).to_owned(), why);
        }
    }
    scope.into_iter().collect()
}

/// The standard witnesses out of scope for a configuration checked with no scenario.
pub fn derived_out_of_scope(config: &Config) -> Vec<(String, String)> {
    out_of_scope(config, None)
}

/// `swb-check check` on the protocol model with `--scenario NAME`, `--scenario-file FILE`,
/// `--protocol V`, `--from FILE` or `--from-script`: the configuration (of
/// [`scenario_config`], or the scenario file's over the base bounds), its out-of-scope
/// witnesses, and the prefix the search starts past, handed to `task` as the protocol model.
pub fn with_scenario_model<T: crate::models::ModelTask>(
    args: &crate::cli::CheckArgs,
    task: T,
) -> anyhow::Result<T::Output> {
    use anyhow::Context;
    anyhow::ensure!(
        args.model == crate::cli::ModelChoice::SwBlock,
        "--scenario, --scenario-file, --protocol and --from apply only to the sw-block protocol model"
    );
    let (config, name, out_of_scope, script, expected) = match &args.scenario_file {
        Some(path) => {
            let file = file::ScenarioFile::from_path(path)?;
            let protocol = args
                .protocol
                .map_or(ProtocolVersion::V2, |protocol| protocol.version());
            let config = file.config(&Bounds::Default.base(), protocol);
            config
                .validate()
                .with_context(|| format!("checking the configuration of {}", path.display()))?;
            let script = script::Script::compile(&file.script)?;
            let scenario = file.into_scenario();
            let scope = out_of_scope(&config, Some(&scenario.verdicts(Bounds::Default)));
            // An older version's expectation decides its exit code; V2's is "all holds".
            let expected = scenario.expected(Bounds::Default, protocol);
            let expected = (!expected.violated.is_empty() || !expected.unreached.is_empty())
                .then_some(expected);
            (
                config,
                scenario.name.to_owned(),
                scope,
                Some((script, path.clone())),
                expected,
            )
        }
        None => {
            let (config, name) = scenario_config(
                args.config.as_deref(),
                args.scenario.as_deref(),
                args.protocol,
            )?;
            let listed = match &args.scenario {
                Some(scenario) => Some(find(scenario)?.verdicts(Bounds::Default)),
                None => None,
            };
            let scope = out_of_scope(&config, listed.as_ref());
            (config, name, scope, None, None)
        }
    };
    let model = swb_properties::build_model(&config);
    let prefix = match (&args.from, args.from_script, script) {
        (Some(trace), _, _) => Some(prefix_of_trace(&model, trace)?),
        (None, true, Some((script, path))) => {
            anyhow::ensure!(
                !script.is_empty(),
                "{} has no script for --from-script",
                path.display()
            );
            let actions = script
                .drive(&model)
                .with_context(|| format!("driving the script of {}", path.display()))?;
            Some(crate::report::Prefix {
                source: format!("script of {}", path.display()),
                actions,
            })
        }
        _ => None,
    };
    let model = match &prefix {
        Some(prefix) => {
            let start = last_state(&model, &prefix.actions).ok_or_else(|| {
                anyhow::anyhow!("{}: not a path of this configuration", prefix.source)
            })?;
            model.starting_from(start)
        }
        None => model,
    };
    let info = crate::report::ModelInfo {
        out_of_scope,
        prefix,
        expected,
        ..crate::report::ModelInfo::new(
            config.protocol.name().to_owned(),
            name,
            Some(config.clone()),
        )
    };
    let symmetry = symmetry_for(&config);
    task.run(model, symmetry, info)
}

/// The prefix a saved trace gives: its actions, which must be a path of `model` (the trace may
/// have been recorded under another configuration, as long as the model takes every step).
fn prefix_of_trace(
    model: &swb_model::SwbModel,
    trace: &std::path::Path,
) -> anyhow::Result<crate::report::Prefix> {
    let loaded = crate::counterexample::load(trace)?;
    let actions = loaded.path.into_actions();
    anyhow::ensure!(
        last_state(model, &actions).is_some(),
        "{}: its steps are not a path of the configuration checked (a step it records is not \
         enabled there)",
        trace.display()
    );
    Ok(crate::report::Prefix {
        source: trace.display().to_string(),
        actions,
    })
}

/// The state `actions` lead to from time zero, if the model takes them all.
fn last_state(
    model: &swb_model::SwbModel,
    actions: &[swb_model::Action],
) -> Option<swb_model::State> {
    use stateright::Model;
    let init = model.init_states().into_iter().next()?;
    stateright::Path::from_actions(model, init, actions.iter())
        .map(|path| path.last_state().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    // Goal: every scenario name is unique and kebab-case, every configuration it derives is valid
    // at both bound sets, and every property it names exists with the right kind (an expected
    // violation is an `always`, an expected unreached is a `sometimes`).
    #[test]
    fn catalog_is_well_formed() {
        let mut names = BTreeSet::new();
        for scenario in catalog() {
            assert!(
                names.insert(scenario.name),
                "{} listed twice",
                scenario.name
            );
            assert!(
                scenario
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                scenario.name
            );
            for bounds in [Bounds::Default, Bounds::Quick] {
                for protocol in ProtocolVersion::ALL {
                    let config = scenario.config(&bounds.base(), protocol);
                    assert_eq!(config.validate(), Ok(()), "{} {protocol}", scenario.name);
                    assert_eq!(config.protocol, protocol);
                    assert_eq!(config.mutant, None, "{}", scenario.name);
                }
            }
            let kinds = |names: &[&str], kind: swb_properties::PropertyKind| {
                for name in names {
                    let property = swb_properties::find(name)
                        .unwrap_or_else(|| panic!("{}: no property {name}", scenario.name));
                    assert_eq!(property.kind, kind, "{}: {name}", scenario.name);
                }
                assert!(
                    names.windows(2).all(|pair| pair[0] < pair[1]),
                    "{}: {names:?} not sorted",
                    scenario.name
                );
            };
            for bounds in [Bounds::Default, Bounds::Quick] {
                let verdicts = scenario.verdicts(bounds);
                kinds(
                    verdicts.out_of_scope,
                    swb_properties::PropertyKind::Sometimes,
                );
                for expected in verdicts.expected {
                    kinds(expected.violated, swb_properties::PropertyKind::Always);
                    kinds(expected.unreached, swb_properties::PropertyKind::Sometimes);
                }
            }
        }
    }

    // Goal: §5.2 — V2 holds every `always` in every scenario.
    #[test]
    fn v2_expects_every_always_to_hold_everywhere() {
        for scenario in catalog() {
            for bounds in [Bounds::Default, Bounds::Quick] {
                let expected = scenario.expected(bounds, ProtocolVersion::V2);
                assert_eq!(
                    expected.violated,
                    &[] as &[&str],
                    "{} at {bounds:?}",
                    scenario.name
                );
            }
        }
    }

    // Goal: the documented vocabulary lists every event the model extracts.
    #[test]
    fn format_doc_lists_every_event() {
        for kind in swb_model::events::EventKind::ALL {
            assert!(
                FORMAT_DOC.contains(&format!("| `{}` |", kind.name())),
                "{} missing from scenario/format.md",
                kind.name()
            );
        }
    }

    // Goal: an unknown name is refused with every valid name in the message.
    #[test]
    fn unknown_scenario_lists_valid_names() {
        let error = find("no-such-scenario").expect_err("refused").to_string();
        for scenario in catalog() {
            assert!(error.contains(scenario.name), "{error}");
        }
    }
}
