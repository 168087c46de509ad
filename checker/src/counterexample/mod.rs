//! Counterexamples as files: minimised, saved atomically, loaded back as model paths, shown as
//! a narrative or a message-sequence chart.
//!
//! The API other commands use:
//! - [`Counterexample`] (configuration, scenario, property, trace) → [`save`] writes it to
//!   `<dir>/<scenario>/<protocol>/<property>.json` and returns that path;
//! - [`minimise`] turns any violating path into the smallest shortest one (or a shrunk one when
//!   the search budget runs out); [`save_violations`] does both for a `check` outcome;
//! - [`load`] reads a file back as a [`Loaded`]: the configuration, the property, the model and
//!   the rebuilt `stateright::Path`, every step checked against the model, or a [`TraceError`];
//! - [`show`] renders a loaded file as text, [`svg`] as a chart.
//!
//! The file format is described in `document.rs`; its step and state types in `view.rs`.

mod atomic;
mod document;
mod error;
mod minimise;
pub mod show;
pub mod svg;
mod view;

#[cfg(test)]
mod tests;

// The API `replay`, `conform`, `scenarios` and `compare` call: not every item is used by
// every command, so unused ones are allowed here rather than removed.
#[allow(unused_imports)]
pub use atomic::write_atomically;
#[allow(unused_imports)]
pub use document::{load, parse, CounterexampleFile, Loaded, FORMAT};
#[allow(unused_imports)]
pub use error::TraceError;
#[allow(unused_imports)]
pub use minimise::{
    minimise, replay, shortest_violations, Minimality, MinimiseStop, Minimised, SearchBudget,
};
#[allow(unused_imports)]
pub use view::{StateView, StepView};

use crate::check::{Kind, PropertyOutcome, Status};
use crate::memory::MemoryLimit;
use stateright::Path as ModelPath;
use std::any::Any;
use std::path::{Path, PathBuf};
use swb_model::{Action, Config, State, SwbModel};
use swb_properties::PropertyInfo;

/// A trace that violates an `always` property, ready to be saved.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The model configuration the trace runs under.
    pub config: Config,
    /// The scenario name (`default` unless given).
    pub scenario: String,
    /// The property violated.
    pub property: PropertyInfo,
    /// How minimal the trace is.
    pub minimality: Minimality,
    /// The trace. Invariant: its last state violates the property.
    pub path: ModelPath<State, Action>,
}

impl Counterexample {
    /// Minimises `found` (a path violating `property` under `model`) and wraps it. `None` when
    /// `found` does not violate the property and no violation was found by the search either.
    pub fn minimised(
        model: &SwbModel,
        scenario: &str,
        property: PropertyInfo,
        found: &ModelPath<State, Action>,
        budget: SearchBudget,
        memory_limit: Option<MemoryLimit>,
    ) -> Option<(Counterexample, Minimised)> {
        let minimised = minimise(model, &property, found, budget, memory_limit)?;
        let counterexample = Counterexample {
            config: model.config.clone(),
            scenario: scenario.to_owned(),
            property,
            minimality: minimised.minimality,
            path: minimised.path.clone(),
        };
        Some((counterexample, minimised))
    }

    /// The file's contents.
    pub fn document(&self) -> CounterexampleFile {
        CounterexampleFile::new(
            &self.config,
            &self.scenario,
            &self.property,
            self.minimality,
            &self.path,
        )
    }

    /// Where it is saved under `dir`: `<dir>/<scenario>/<protocol>/<property>.json`.
    pub fn file_in(&self, dir: &Path) -> Result<PathBuf, TraceError> {
        let scenario = path_component(&self.scenario)?;
        let property = path_component(self.property.name)?;
        Ok(dir
            .join(scenario)
            .join(self.config.protocol.name())
            .join(format!("{property}.json")))
    }

    /// The number of actions on the trace.
    #[allow(dead_code)] // API for other commands.
    pub fn action_count(&self) -> usize {
        self.path.clone().into_actions().len()
    }
}

/// Refuses names that would escape the directory or be awkward on disk.
fn path_component(name: &str) -> Result<&str, TraceError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(TraceError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(name)
}

/// Writes `counterexample` under `dir` atomically and returns the file's path.
pub fn save(counterexample: &Counterexample, dir: &Path) -> Result<PathBuf, TraceError> {
    let file = counterexample.file_in(dir)?;
    write_atomically(&file, &counterexample.document().to_bytes()).map_err(|error| {
        TraceError::Unwritable {
            file: file.clone(),
            reason: error.to_string(),
        }
    })?;
    Ok(file)
}

/// One counterexample saved by [`save_violations`].
#[derive(Clone, Debug)]
pub struct Saved {
    /// The property.
    pub property: &'static str,
    /// The file written.
    pub file: PathBuf,
    /// Actions on the trace stateright found.
    pub found_len: usize,
    /// Actions on the saved trace.
    pub saved_len: usize,
    /// How minimal the saved trace is.
    pub minimality: Minimality,
    /// Unique states the shortest-trace search visited.
    pub states_searched: usize,
    /// Why the saved trace is not proven shortest; `None` when it is.
    pub stopped_by: Option<MinimiseStop>,
}

/// Minimises and saves every violated `always` property of a `check` run on the protocol
/// model, sorted by property name. The outcome is generic because `check` is; its paths are
/// used only when they are the protocol model's (`Any` tells), so a run on a reference model
/// saves nothing.
pub fn save_violations<S: 'static, A: 'static>(
    model: &SwbModel,
    scenario: &str,
    properties: &[PropertyOutcome<S, A>],
    dir: &Path,
    budget: SearchBudget,
) -> Result<Vec<Saved>, TraceError> {
    save_violations_within(model, scenario, properties, dir, budget, None)
}

/// [`save_violations`] under a memory limit: a minimisation that reaches it stops, and the
/// trace it got to (at worst the found one) is saved as [`Minimality::Partial`].
pub fn save_violations_within<S: 'static, A: 'static>(
    model: &SwbModel,
    scenario: &str,
    properties: &[PropertyOutcome<S, A>],
    dir: &Path,
    budget: SearchBudget,
    memory_limit: Option<MemoryLimit>,
) -> Result<Vec<Saved>, TraceError> {
    let mut saved = Vec::new();
    for outcome in properties {
        if !matches!(outcome.kind, Kind::Always | Kind::Progress)
            || outcome.status != Status::Violated
        {
            continue;
        }
        let Some((found, property)) = protocol_discovery(outcome, &model.config) else {
            continue;
        };
        // A progress trace comes from a breadth-first search of the whole graph: it is already
        // a shortest path to a state from which no valid end state is reachable (`liveness`).
        let minimised = match outcome.kind {
            Kind::Progress => Some(shortest_as_found(model, scenario, property, found)),
            _ => Counterexample::minimised(model, scenario, property, found, budget, memory_limit),
        };
        let Some((counterexample, minimised)) = minimised else {
            eprintln!(
                "swb-check: warning: the path found for {:?} does not replay as a violation; \
                 no counterexample saved",
                outcome.name
            );
            continue;
        };
        let file = save(&counterexample, dir)?;
        saved.push(Saved {
            property: property.name,
            file,
            found_len: found.clone().into_actions().len(),
            saved_len: minimised.path.clone().into_actions().len(),
            minimality: minimised.minimality,
            states_searched: minimised.states_visited,
            stopped_by: minimised.stopped_by,
        });
    }
    saved.sort_by_key(|saved| saved.property);
    Ok(saved)
}

/// `found`, a path of a search that started past `prefix` (`check --from`), as a path of
/// `model` from time zero: the prefix's actions, then the found ones. `None` when the model
/// does not take them (the prefix was not recorded under this configuration).
pub fn from_time_zero(
    model: &SwbModel,
    prefix: &[Action],
    found: &ModelPath<State, Action>,
) -> Option<ModelPath<State, Action>> {
    use stateright::Model;
    let init = model.init_states().into_iter().next()?;
    let actions: Vec<Action> = prefix
        .iter()
        .cloned()
        .chain(found.clone().into_actions())
        .collect();
    ModelPath::from_actions(model, init, actions.iter())
}

/// Saves every property of a `check` run with `status` as the path the search found, from
/// time zero (`prefix` first, for a `check --from` run), sorted by property name. `model` is the
/// model from time zero. With [`Status::Reached`]: every reached witness (standard and scenario),
/// so a reviewer can read that the situation happened (`check --witness-dir`). With
/// [`Status::Violated`]: the violations of a `check --from` run (minimising them would search
/// from time zero and lose the prefix).
pub fn save_as_found<S: 'static, A: 'static>(
    model: &SwbModel,
    prefix: &[Action],
    scenario: &str,
    properties: &[PropertyOutcome<S, A>],
    status: Status,
    dir: &Path,
) -> Result<Vec<Saved>, TraceError> {
    let mut saved = Vec::new();
    for outcome in properties.iter().filter(|outcome| outcome.status == status) {
        let Some((found, property)) = protocol_discovery(outcome, &model.config) else {
            continue;
        };
        let Some(path) = from_time_zero(model, prefix, found) else {
            eprintln!(
                "swb-check: warning: the path found for {:?} does not replay from time zero; \
                 not saved",
                outcome.name
            );
            continue;
        };
        let steps = path.clone().into_actions().len();
        let trace = Counterexample {
            config: model.config.clone(),
            scenario: scenario.to_owned(),
            property,
            minimality: Minimality::AsFound,
            path,
        };
        let file = save(&trace, dir)?;
        saved.push(Saved {
            property: property.name,
            file,
            found_len: steps,
            saved_len: steps,
            minimality: Minimality::AsFound,
            states_searched: 0,
            stopped_by: None,
        });
    }
    saved.sort_by_key(|saved| saved.property);
    Ok(saved)
}

/// The `check --json` object with one more last field under `--witness-dir`,
/// `witness_traces`: every saved witness trace as {property, file, steps}, sorted by property.
pub fn witness_json(report_json: &str, saved: &[Saved], wanted: bool) -> String {
    if !wanted {
        return report_json.to_owned();
    }
    let traces: Vec<serde_json::Value> = saved
        .iter()
        .map(|saved| {
            serde_json::json!({
                "property": saved.property,
                "file": saved.file.display().to_string(),
                "steps": saved.saved_len,
            })
        })
        .collect();
    let traces = serde_json::to_string_pretty(&traces).expect("plain values serialise");
    crate::report::with_last_fields(report_json, &[("witness_traces", traces)])
}

/// The lines `check --witness-dir` prints, one per saved witness trace.
pub fn witness_lines(saved: &[Saved]) -> String {
    let mut lines = String::new();
    if !saved.is_empty() {
        lines.push('\n');
    }
    for saved in saved {
        lines.push_str(&format!(
            "witness {} reached: {} ({} steps; `swb-check show` reads it)\n",
            saved.property,
            saved.file.display(),
            saved.saved_len
        ));
    }
    lines
}

/// An outcome's discovered path, when it is the protocol model's (`Any` tells: a reference
/// model's paths are not), with its property (standard or one of `config`'s scenario witnesses).
fn protocol_discovery<'a, S: 'static, A: 'static>(
    outcome: &'a PropertyOutcome<S, A>,
    config: &Config,
) -> Option<(&'a ModelPath<State, Action>, PropertyInfo)> {
    let found = outcome
        .discovery
        .as_ref()
        .and_then(|path| (path as &dyn Any).downcast_ref::<ModelPath<State, Action>>())?;
    Some((found, swb_properties::find_in(config, outcome.name)?))
}

/// Saves `found`, a progress counterexample of `model` (already a shortest path: it comes from a
/// breadth-first search of the whole graph, `liveness`), as it was found.
pub fn save_progress(
    model: &SwbModel,
    scenario: &str,
    found: &ModelPath<State, Action>,
    dir: &Path,
) -> Result<Saved, TraceError> {
    let property = swb_properties::find(crate::liveness::PROGRESS_PROPERTY)
        .expect("the progress property is catalogued");
    let (counterexample, _) = shortest_as_found(model, scenario, property, found);
    let file = save(&counterexample, dir)?;
    let steps = found.clone().into_actions().len();
    Ok(Saved {
        property: property.name,
        file,
        found_len: steps,
        saved_len: steps,
        minimality: Minimality::Shortest,
        states_searched: 0,
        stopped_by: None,
    })
}

/// A trace already proven shortest, wrapped as it was found.
fn shortest_as_found(
    model: &SwbModel,
    scenario: &str,
    property: PropertyInfo,
    found: &ModelPath<State, Action>,
) -> (Counterexample, Minimised) {
    let counterexample = Counterexample {
        config: model.config.clone(),
        scenario: scenario.to_owned(),
        property,
        minimality: Minimality::Shortest,
        path: found.clone(),
    };
    let minimised = Minimised {
        path: found.clone(),
        minimality: Minimality::Shortest,
        states_visited: 0,
        stopped_by: None,
    };
    (counterexample, minimised)
}

/// How one saved trace was minimised, in the `check --json` object.
#[derive(serde::Serialize)]
struct MinimisationReport<'a> {
    property: &'static str,
    file: String,
    steps: usize,
    found_steps: usize,
    /// shortest, shrunk or partial.
    minimality: &'static str,
    /// `null` when proven shortest; else states_max, memory_limit or interrupted.
    stopped_by: Option<&'a str>,
    states_searched: usize,
}

/// The `check --json` object: the report's own JSON (`CheckReport::to_json`, a pretty object
/// ending in `}`) with two more last fields, both sorted by property: `counterexamples`, the
/// saved paths, and `minimisation`, how minimal each saved trace is and what stopped its
/// minimisation.
pub fn report_json(report_json: &str, saved: &[Saved]) -> String {
    let files: Vec<String> = saved
        .iter()
        .map(|saved| saved.file.display().to_string())
        .collect();
    let minimisation: Vec<MinimisationReport> = saved
        .iter()
        .map(|saved| MinimisationReport {
            property: saved.property,
            file: saved.file.display().to_string(),
            steps: saved.saved_len,
            found_steps: saved.found_len,
            minimality: saved.minimality.name(),
            stopped_by: saved.stopped_by.map(MinimiseStop::name),
            states_searched: saved.states_searched,
        })
        .collect();
    crate::report::with_last_fields(
        report_json,
        &[
            (
                "counterexamples",
                serde_json::to_string_pretty(&files).expect("a list of strings serialises"),
            ),
            (
                "minimisation",
                serde_json::to_string_pretty(&minimisation).expect("plain fields serialise"),
            ),
        ],
    )
}

/// What `check` prints for `report`: the JSON object (with the saved counterexamples when
/// `saved` is `Some`, that is for the protocol model) or the table followed by one line per
/// saved counterexample.
pub fn check_output(
    report: &crate::report::CheckReport,
    saved: Option<&[Saved]>,
    json: bool,
) -> String {
    match (json, saved) {
        (true, Some(saved)) => report_json(&report.to_json(), saved),
        (true, None) => report.to_json(),
        (false, saved) => format!(
            "{}{}",
            report.to_table(),
            saved_lines(saved.unwrap_or_default())
        ),
    }
}

/// The lines `check` prints under its table, one per saved counterexample.
pub fn saved_lines(saved: &[Saved]) -> String {
    let mut lines = String::new();
    if !saved.is_empty() {
        lines.push('\n');
    }
    for saved in saved {
        let stopped = match saved.stopped_by {
            Some(stop) => format!(", minimisation stopped by {}", stop.name()),
            None => String::new(),
        };
        lines.push_str(&format!(
            "counterexample {} ({} steps, {}{stopped}; found with {} steps; {} states searched)\n",
            saved.file.display(),
            saved.saved_len,
            saved.minimality.name(),
            saved.found_len,
            saved.states_searched
        ));
    }
    lines
}
