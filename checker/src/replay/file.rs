//! A minimal trace file of the replay harness's own, used for conformance divergences and read
//! by `replay` when the file is not a counterexample file.
//!
//! `{"format": "swb-replay/1", "config": {..}, "property": null | "name", "steps": [{"action":
//! "<Debug of the model action>", "describe": "<readable line>"}]}`. A step is found again as
//! the one enabled action whose `Debug` rendering equals the stored one, never by stateright's
//! action index. Written whole to a temporary file, then renamed into place.

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use stateright::Model;
use std::path::Path;
use swb_model::trace::describe_action;
use swb_model::{Action, Config};
use swb_properties::{build_model, PropertyInfo};

/// The format tag of this file.
pub const FORMAT: &str = "swb-replay/1";

/// One stored step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    /// The model action, as its `Debug` rendering (what the loader matches).
    pub action: String,
    /// The action in the protocol's words (for a reader).
    pub describe: String,
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The model configuration the trace was recorded under.
    pub config: Config,
    /// The property the trace violates, if any.
    pub property: Option<String>,
    /// Why the trace was saved (a conformance verdict), for a reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The steps from the initial state.
    pub steps: Vec<StepRecord>,
}

/// A trace read back: its configuration, property and the model actions found again.
pub struct LoadedTrace {
    /// The configuration.
    pub config: Config,
    /// The property, if the file names one.
    pub property: Option<PropertyInfo>,
    /// The actions, or the number of the first stored step the model no longer takes.
    pub actions: Result<Vec<Action>, usize>,
}

impl TraceFile {
    /// The file of `actions` taken from the initial state of `config`'s model.
    pub fn new(
        config: &Config,
        property: Option<&str>,
        note: Option<String>,
        actions: &[Action],
    ) -> TraceFile {
        TraceFile {
            format: FORMAT.to_string(),
            config: config.clone(),
            property: property.map(str::to_string),
            note,
            steps: actions
                .iter()
                .map(|action| StepRecord {
                    action: format!("{action:?}"),
                    describe: describe_action(action),
                })
                .collect(),
        }
    }

    /// Writes the file whole to `path` (temporary file, then rename).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self).context("serialising the trace")? + "\n";
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text)
            .with_context(|| format!("writing {}", temporary.display()))?;
        std::fs::rename(&temporary, path)
            .with_context(|| format!("renaming {} into place", temporary.display()))
    }
}

/// True when `path` holds JSON whose `format` is a string (this file's family); a counterexample
/// file has a numeric `format`. Unreadable or malformed files are not conformance traces: the
/// counterexample loader then reports them.
pub fn is_conformance_trace(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|value| value.get("format").map(serde_json::Value::is_string))
        .unwrap_or(false)
}

/// Reads a conformance trace as a model path for `show`: its configuration, its note and the
/// rebuilt path. A step the model no longer takes is an error here (there is nothing to show).
pub fn load_path(
    path: &Path,
) -> anyhow::Result<(Config, String, stateright::Path<swb_model::State, Action>)> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let note = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|value| {
            value
                .get("note")
                .and_then(|note| note.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "no note".to_owned());
    let loaded = load(path)?;
    let actions = match loaded.actions {
        Ok(actions) => actions,
        Err(step) => bail!("{shown}: the model no longer takes step {step}"),
    };
    let model = build_model(&loaded.config);
    let init = model
        .init_states()
        .into_iter()
        .next()
        .context("the model has no initial state")?;
    let rebuilt = stateright::Path::from_actions(&model, init, actions.iter())
        .with_context(|| format!("{shown}: the model refuses the stored path"))?;
    Ok((loaded.config, note, rebuilt))
}

/// Reads a trace file: bad input (unreadable, malformed, unknown format or property, invalid
/// configuration) is an error naming the file; a step the model no longer takes is not.
pub fn load(path: &Path) -> anyhow::Result<LoadedTrace> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{shown}: malformed JSON"))?;
    match value.get("format").and_then(serde_json::Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => bail!("{shown}: unknown format {other:?} (this build reads {FORMAT:?})"),
        None => bail!("{shown}: no \"format\" field"),
    }
    let file: TraceFile =
        serde_json::from_value(value).with_context(|| format!("{shown}: not a {FORMAT} trace"))?;
    file.config
        .validate()
        .with_context(|| format!("{shown}: invalid configuration"))?;
    let property = match &file.property {
        None => None,
        Some(name) => Some(
            swb_properties::find(name)
                .with_context(|| format!("{shown}: unknown property {name:?}"))?,
        ),
    };
    let model = build_model(&file.config);
    let mut state = model
        .init_states()
        .into_iter()
        .next()
        .context("the model has no initial state")?;
    let mut actions = Vec::with_capacity(file.steps.len());
    for (index, record) in file.steps.iter().enumerate() {
        let found = model
            .next_steps(&state)
            .into_iter()
            .find(|(action, _)| format!("{action:?}") == record.action);
        let Some((action, next)) = found else {
            return Ok(LoadedTrace {
                config: file.config,
                property,
                actions: Err(index + 1),
            });
        };
        actions.push(action);
        state = next;
    }
    Ok(LoadedTrace {
        config: file.config,
        property,
        actions: Ok(actions),
    })
}
