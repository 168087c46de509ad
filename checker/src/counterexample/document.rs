//! The counterexample file, format 1, and its loader.
//!
//! The file holds everything needed to read the trace without the tool and to rebuild it with
//! the tool: the tool's version, the full model configuration, the protocol version, the
//! scenario, the property (name, kind, source criterion, meaning), how minimal the trace is,
//! the initial state, and every step with its acting actor, its structured action, its
//! description and the full abstract state after it. Full states rather than diffs: a reader (or
//! a diff tool) sees each state whole, and the loader can check every one of them; `show`
//! computes the per-step changes.
//!
//! Loading never trusts the file: the model is rebuilt from the file's configuration, each step
//! is found again as the one enabled action whose [`StepView`] equals the stored one, the state
//! the model reaches must equal the stored state, and the action sequence is re-validated with
//! stateright's `Path::from_actions`.

use super::error::TraceError;
use super::minimise::Minimality;
use super::view::{StateView, StepView};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stateright::{Model, Path as ModelPath};
use std::path::{Path, PathBuf};
use swb_model::trace::describe_action;
use swb_model::{Action, Config, Params, State, SwbModel};
use swb_properties::{PropertyInfo, PropertyKind};

/// The format version this tool writes and reads.
pub const FORMAT: u64 = 1;

/// The tool that wrote the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolView {
    /// Always `swb-check`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The property a counterexample violates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyView {
    /// The stable name.
    pub name: String,
    /// Always `always`.
    pub kind: String,
    /// The acceptance criterion or protocol truth it enforces.
    pub source: String,
    /// What it means.
    pub meaning: String,
}

/// One step of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    /// 1 for the first action.
    pub step: usize,
    /// The acting actor (see [`StepView::actor`]).
    pub actor: String,
    /// What happened.
    pub action: StepView,
    /// The same in words.
    pub description: String,
    /// The whole state after the step.
    pub state: StateView,
}

/// The file, field by field in the order written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterexampleFile {
    /// [`FORMAT`].
    pub format: u64,
    /// The tool that wrote it.
    pub tool: ToolView,
    /// `v1`, `v1.5` or `v2` (the configuration's protocol, repeated for readers).
    pub protocol: String,
    /// The scenario name (`default` unless given).
    pub scenario: String,
    /// The property violated.
    pub property: PropertyView,
    /// How minimal the trace is: `shortest` or `shrunk`.
    pub minimality: Minimality,
    /// The full model configuration.
    pub config: Config,
    /// The initial state.
    pub initial: StateView,
    /// Every step; the state after the last one violates the property.
    pub steps: Vec<StepRecord>,
}

impl CounterexampleFile {
    /// The file of a trace.
    pub fn new(
        config: &Config,
        scenario: &str,
        property: &PropertyInfo,
        minimality: Minimality,
        path: &ModelPath<State, Action>,
    ) -> CounterexampleFile {
        let property = PropertyView {
            name: property.name.to_owned(),
            kind: property.kind.name().to_owned(),
            source: property.source.to_owned(),
            meaning: property.meaning.to_owned(),
        };
        CounterexampleFile::of_path(config, scenario, property, minimality, path)
    }

    /// The document `show` renders for a conformance trace (`swb-replay/1`): the same steps
    /// and states, with the finding in place of a property. Never written to disk.
    pub fn conformance(
        config: &Config,
        note: &str,
        path: &ModelPath<State, Action>,
    ) -> CounterexampleFile {
        let property = PropertyView {
            name: "conformance".to_owned(),
            kind: "conformance".to_owned(),
            source: "swb-check conform (issue 5)".to_owned(),
            meaning: note.to_owned(),
        };
        CounterexampleFile::of_path(config, "conformance", property, Minimality::Shrunk, path)
    }

    fn of_path(
        config: &Config,
        scenario: &str,
        property: PropertyView,
        minimality: Minimality,
        path: &ModelPath<State, Action>,
    ) -> CounterexampleFile {
        let pairs = path.clone().into_vec();
        let params = Params::from_config(config);
        let initial = StateView::of(&params, &pairs[0].0);
        let steps = pairs
            .windows(2)
            .enumerate()
            .map(|(index, window)| {
                let action = window[0]
                    .1
                    .as_ref()
                    .expect("every state but the last carries its action");
                let view = StepView::of(action);
                StepRecord {
                    step: index + 1,
                    actor: view.actor().to_owned(),
                    action: view,
                    description: describe_action(action),
                    state: StateView::of(&params, &window[1].0),
                }
            })
            .collect();
        CounterexampleFile {
            format: FORMAT,
            tool: ToolView {
                name: "swb-check".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            protocol: config.protocol.name().to_owned(),
            scenario: scenario.to_owned(),
            property,
            minimality,
            config: config.clone(),
            initial,
            steps,
        }
    }

    /// The bytes written: pretty JSON with a final newline. No maps, no clocks: the same trace
    /// always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut json =
            serde_json::to_string_pretty(self).expect("a counterexample serialises: no maps");
        json.push('\n');
        json.into_bytes()
    }
}

/// A counterexample file, checked against the model and rebuilt as a model path.
#[derive(Clone)]
pub struct Loaded {
    /// The file it came from.
    pub file: PathBuf,
    /// The file's contents.
    pub document: CounterexampleFile,
    /// The property, from the catalog.
    pub property: PropertyInfo,
    /// The model built from the file's configuration.
    pub model: SwbModel,
    /// The rebuilt trace: every state with the action taken from it (`None` for the last).
    pub path: ModelPath<State, Action>,
}

#[allow(dead_code)] // API for `replay` and `compare`.
impl Loaded {
    /// The file's configuration.
    pub fn config(&self) -> &Config {
        &self.document.config
    }

    /// The scenario name.
    pub fn scenario(&self) -> &str {
        &self.document.scenario
    }

    /// The rebuilt trace as stateright's pairs.
    pub fn steps(&self) -> Vec<(State, Option<Action>)> {
        self.path.clone().into_vec()
    }

    /// True when the last state still violates the property under today's model (for a
    /// witness trace: still reaches the witness).
    pub fn still_violates(&self) -> bool {
        let holds = (self.property.condition)(&self.model, self.path.last_state());
        match self.property.kind {
            PropertyKind::Sometimes => holds,
            PropertyKind::Always | PropertyKind::Eventually | PropertyKind::Progress => !holds,
        }
    }
}

/// Reads and checks a counterexample file (see the module documentation).
pub fn load(file: &Path) -> Result<Loaded, TraceError> {
    let bytes = std::fs::read(file).map_err(|error| TraceError::Unreadable {
        file: file.to_path_buf(),
        reason: error.to_string(),
    })?;
    parse(file, &bytes)
}

/// Checks the bytes of a counterexample file named `file` (the name is only used in errors).
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Loaded, TraceError> {
    let malformed = |reason: String| TraceError::Malformed {
        file: file.to_path_buf(),
        reason: one_line(&reason),
    };
    // The version first, so a future format is reported as such rather than as a shape error.
    let value: Value =
        serde_json::from_slice(bytes).map_err(|error| malformed(error.to_string()))?;
    let format = value
        .get("format")
        .ok_or_else(|| malformed("no `format` field".to_owned()))?;
    let format = format
        .as_u64()
        .ok_or_else(|| malformed(format!("`format` is {format}, not a version number")))?;
    if format != FORMAT {
        return Err(TraceError::UnknownFormat {
            file: file.to_path_buf(),
            found: format,
            supported: FORMAT,
        });
    }
    let document: CounterexampleFile =
        serde_json::from_value(value).map_err(|error| malformed(error.to_string()))?;

    // A standard property, or one of the configuration's scenario witnesses; a witness trace
    // (`check --witness-dir`) names a `sometimes` its last state reaches. A `progress` trace
    // ends in a state from which no valid end state is reachable (D47): like an `always`, its
    // last state alone shows the violation.
    let property =
        swb_properties::find_in(&document.config, &document.property.name).ok_or_else(|| {
            TraceError::UnknownProperty {
                file: file.to_path_buf(),
                property: document.property.name.clone(),
            }
        })?;
    if property.kind == PropertyKind::Eventually {
        return Err(TraceError::NotAnInvariant {
            file: file.to_path_buf(),
            property: document.property.name.clone(),
            kind: property.kind.name(),
        });
    }
    let config_invalid = |reason: String| TraceError::ConfigInvalid {
        file: file.to_path_buf(),
        reason,
    };
    document
        .config
        .validate()
        .map_err(|error| config_invalid(error.to_string()))?;
    if document.protocol != document.config.protocol.name() {
        return Err(config_invalid(format!(
            "protocol {:?} disagrees with the configuration's {:?}",
            document.protocol,
            document.config.protocol.name()
        )));
    }
    let model = swb_properties::build_model(&document.config);
    let path = rebuild(file, &model, &document)?;
    Ok(Loaded {
        file: file.to_path_buf(),
        document,
        property,
        model,
        path,
    })
}

/// Finds every stored step among the model's enabled actions and checks every state.
fn rebuild(
    file: &Path,
    model: &SwbModel,
    document: &CounterexampleFile,
) -> Result<ModelPath<State, Action>, TraceError> {
    let initial_states = model.init_states();
    let initial = initial_states
        .iter()
        .find(|state| StateView::of(&model.params, state) == document.initial)
        .ok_or_else(|| {
            let field = initial_states.first().map_or_else(
                || "(the model has no initial state)".to_owned(),
                |state| first_difference(&StateView::of(&model.params, state), &document.initial),
            );
            TraceError::InitialStateMismatch {
                file: file.to_path_buf(),
                field,
            }
        })?
        .clone();
    let mut state = initial.clone();
    let mut actions = Vec::with_capacity(document.steps.len());
    for (index, record) in document.steps.iter().enumerate() {
        let step = index + 1;
        if record.step != step {
            return Err(TraceError::Malformed {
                file: file.to_path_buf(),
                reason: format!("step {step} is numbered {}", record.step),
            });
        }
        // The description is the file's text: keep the error on one line and short.
        let describe = || {
            record
                .description
                .chars()
                .take(200)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
        };
        let mut matches: Vec<(Action, State)> = model
            .next_steps(&state)
            .into_iter()
            .filter(|(action, _)| StepView::of(action) == record.action)
            .collect();
        let (action, next) = match matches.len() {
            0 => {
                return Err(TraceError::UnknownStep {
                    file: file.to_path_buf(),
                    step,
                    description: describe(),
                })
            }
            1 => matches.remove(0),
            count => {
                return Err(TraceError::AmbiguousStep {
                    file: file.to_path_buf(),
                    step,
                    description: describe(),
                    matches: count,
                })
            }
        };
        if record.actor != record.action.actor() {
            return Err(TraceError::Malformed {
                file: file.to_path_buf(),
                reason: format!(
                    "step {step} names actor {:?}, but its action is taken by {:?}",
                    record.actor.chars().take(40).collect::<String>(),
                    record.action.actor()
                ),
            });
        }
        let view = StateView::of(&model.params, &next);
        if view != record.state {
            return Err(TraceError::StateMismatch {
                file: file.to_path_buf(),
                step,
                field: first_difference(&view, &record.state),
            });
        }
        actions.push(action);
        state = next;
    }
    let path = ModelPath::from_actions(model, initial, &actions);
    let path = path.expect("stateright accepts the actions the loader found one by one");
    Ok(path)
}

/// The first field (as a dotted path) where two views differ.
fn first_difference(model: &StateView, recorded: &StateView) -> String {
    let model = serde_json::to_value(model).unwrap_or(Value::Null);
    let recorded = serde_json::to_value(recorded).unwrap_or(Value::Null);
    first_difference_in(&model, &recorded, String::new()).unwrap_or_else(|| "(state)".to_owned())
}

fn first_difference_in(model: &Value, recorded: &Value, at: String) -> Option<String> {
    match (model, recorded) {
        (Value::Object(left), Value::Object(right)) => {
            for (key, value) in left {
                let nested = join(&at, key);
                match right.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference_in(value, other, nested) {
                            return Some(found);
                        }
                    }
                    None => return Some(nested),
                }
            }
            None
        }
        (Value::Array(left), Value::Array(right)) if left.len() == right.len() => left
            .iter()
            .zip(right)
            .enumerate()
            .find_map(|(index, (a, b))| first_difference_in(a, b, format!("{at}[{index}]"))),
        _ if model == recorded => None,
        _ => Some(if at.is_empty() {
            "(state)".to_owned()
        } else {
            at
        }),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// Joins a possibly multi-line message into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
