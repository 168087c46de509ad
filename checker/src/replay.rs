//! Replay of a model path against the real engine (`swb-check replay`), and the per-step
//! comparison that makes the model the engine's test oracle (`swb-check conform` builds on it).
//!
//! A replay has two halves:
//! 1. **Model check.** The trace is rebuilt in the current model with `Path::from_actions`
//!    (which refuses a step the model no longer allows) and its property is evaluated on the
//!    last state: `still-violates`, `no-longer-violates` or `invalid-path`.
//! 2. **Engine replay**, in two separate halves joined by the engine step log ([`steps`],
//!    `docs/step-log.md`): [`derive`] turns the model path into engine calls with the result
//!    each must have and the view of every replica ([`view`]) after each model step, reading
//!    model states only; [`interpret`] drives one Rust engine registry and storage per primary
//!    incarnation from that log alone and compares. The verdict is the first thing that went
//!    differently:
//!    - `conforms`: the engine followed the model to the end;
//!    - `engine-refused`: an engine call was refused (the rule and the engine's error are named);
//!    - `engine-accepted`: the engine accepted a call the log expected refused;
//!    - `diverged`: a field of a replica differs (step, field, model value, engine value).
//!
//! 3. **Engine-side judgement** ([`judge`]). For a counterexample, the violated property is
//!    also evaluated on the engine's own state after every conforming step (pins, budgets,
//!    frozen targets); a replay that conforms to the end gets a [`Judgement`]:
//!    `holds-in-engine`, `outside-engine` (a decision the engine does not make), or
//!    `fails-in-engine`. Issue 5's rule for V1 / V1.5 rests on it ([`FileReplay::meets_rule`]).
//!
//! Step 0 is the initial state; step `i` is the state after the `i`-th action.

pub mod corpus;
pub mod derive;
pub mod digest;
pub mod file;
pub mod interpret;
pub mod judge;
pub mod steps;
pub mod view;

use crate::replay::derive::{derive, model_views, MappingMutant};
use crate::replay::interpret::{Counts, Finding, Interpreter};
use crate::replay::judge::{Judge, JudgeCounts, Judgement};
use crate::replay::steps::StepLog;
use serde::Serialize;
use stateright::{Model, Path};
use swb_model::{Action, State, SwbModel};
use swb_properties::{PropertyInfo, PropertyKind};

/// The first field that differed between the model and the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The step after which the views differed.
    pub step: usize,
    /// `nP/nR.field`: the primary, the replica and the field.
    pub field: String,
    /// The model's value.
    pub model: String,
    /// The engine's value.
    pub engine: String,
}

/// An engine call the engine refused during a replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineRefusal {
    /// The step whose engine calls were refused.
    pub step: usize,
    /// The engine call.
    pub call: String,
    /// The rule (the engine error's variant, snake_case).
    pub rule: String,
    /// The engine's error message.
    pub error: String,
}

/// An engine call the step log expected refused, and the engine accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineAcceptance {
    /// The step whose engine call was accepted.
    pub step: usize,
    /// The engine call.
    pub call: String,
    /// The refusal class the log expected.
    pub rule: String,
}

/// How a replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The engine followed the model step by step.
    Conforms,
    /// The engine fenced a step.
    EngineRefused(EngineRefusal),
    /// The engine accepted a call the model fences (negative conformance).
    EngineAccepted(EngineAcceptance),
    /// A replica's state differs.
    Diverged(Divergence),
}

impl Verdict {
    /// The stable name used in output.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Conforms => "conforms",
            Verdict::EngineRefused(_) => "engine-refused",
            Verdict::EngineAccepted(_) => "engine-accepted",
            Verdict::Diverged(_) => "diverged",
        }
    }

    /// The step the verdict was decided at, when it is not `conforms`.
    pub fn step(&self) -> Option<usize> {
        match self {
            Verdict::Conforms => None,
            Verdict::EngineRefused(refusal) => Some(refusal.step),
            Verdict::EngineAccepted(acceptance) => Some(acceptance.step),
            Verdict::Diverged(divergence) => Some(divergence.step),
        }
    }

    /// A short key naming the kind of non-conformance: the refused rule or the diverged field
    /// (without the replica), e.g. `diverged:target`.
    pub fn class(&self) -> Option<String> {
        match self {
            Verdict::Conforms => None,
            Verdict::EngineRefused(refusal) => Some(format!("engine-refused:{}", refusal.rule)),
            Verdict::EngineAccepted(acceptance) => {
                Some(format!("engine-accepted:{}", acceptance.rule))
            }
            Verdict::Diverged(divergence) => {
                let field = divergence
                    .field
                    .rsplit('.')
                    .next()
                    .unwrap_or(&divergence.field);
                Some(format!("diverged:{field}"))
            }
        }
    }
}

/// What a replay did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOutcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Model steps replayed on the engine (the deciding step included).
    pub steps: usize,
    /// Engine calls made.
    pub engine_calls: u64,
    /// Storage changes the log expected refused under a pin (the engine keeps more history).
    pub storage_deferrals: u64,
    /// The model-side digest after every compared step (step 0 first).
    pub digests: Vec<u64>,
    /// The engine-side judgement of the property, when one was asked for and the replay
    /// conformed to the end.
    pub judgement: Option<Judgement>,
    /// Calls per entry point and expected refusals per class (`refused:<class>`).
    pub coverage: std::collections::BTreeMap<String, u64>,
}

/// Replays `states` (the initial state first) reached by `actions` on the engine.
///
/// Invariant: `states.len() == actions.len() + 1`.
pub fn replay_path(states: &[State], actions: &[Action]) -> ReplayOutcome {
    replay_judged(states, actions, None, None)
}

/// [`replay_path`], and when `judge` is given, the property judged on the engine's state after
/// every conforming step (the first breach decides); `mutant` breaks the derivation (tests).
pub fn replay_judged(
    states: &[State],
    actions: &[Action],
    judge: Option<Judge>,
    mutant: Option<MappingMutant>,
) -> ReplayOutcome {
    let log = derive("path", "", states, actions, mutant);
    replay_derived(&log, states, judge)
}

/// Interprets `log`, the step log derived from `states`, and adds the digests of the model's
/// typed views, one per compared step: every step before the deciding one, and the deciding
/// one when it got as far as the comparison.
pub fn replay_derived(log: &StepLog, states: &[State], judge: Option<Judge>) -> ReplayOutcome {
    let mut outcome = replay_log(log, judge);
    let compared = match outcome.verdict {
        Verdict::Conforms | Verdict::Diverged(_) => outcome.steps + 1,
        _ => outcome.steps,
    };
    outcome.digests = states[..compared.min(states.len())]
        .iter()
        .map(|state| digest::digest(&model_views(state)))
        .collect();
    outcome
}

/// Drives the Rust engine from a step log: each model step's calls, then its views compared;
/// the first finding decides.
pub fn replay_log(log: &StepLog, judge: Option<Judge>) -> ReplayOutcome {
    let mut interpreter = Interpreter::default();
    let mut verdict = Verdict::Conforms;
    let mut steps = 0;
    // The first step whose engine state breaks the judged property.
    let mut breach = None;
    for model_step in &log.steps {
        let step = model_step.step;
        steps = step;
        let finding = interpreter.run(model_step);
        verdict = match finding {
            Err(Finding::Refused { call, rule, error }) => Verdict::EngineRefused(EngineRefusal {
                step,
                call: call.to_string(),
                rule,
                error,
            }),
            Err(Finding::Accepted { call, expected }) => {
                Verdict::EngineAccepted(EngineAcceptance {
                    step,
                    call: call.to_string(),
                    rule: expected,
                })
            }
            Ok(()) | Err(Finding::Reported { .. }) => {
                match (interpreter.compare(&model_step.views), finding) {
                    (Some(difference), _) => Verdict::Diverged(Divergence {
                        step,
                        field: difference.field,
                        model: difference.expected,
                        engine: difference.found,
                    }),
                    (
                        None,
                        Err(Finding::Reported {
                            field,
                            expected,
                            found,
                        }),
                    ) => Verdict::Diverged(Divergence {
                        step,
                        field,
                        model: expected,
                        engine: found,
                    }),
                    (None, _) => Verdict::Conforms,
                }
            }
        };
        if verdict != Verdict::Conforms {
            break;
        }
        if let (Some(judge), None) = (judge, &breach) {
            if let Err(found) = judge.check(&judge::engine_snapshot(&interpreter)) {
                breach = Some((step, found));
            }
        }
    }
    let Counts {
        calls,
        storage_deferrals,
        outruns_confirmed,
        coverage,
    } = interpreter.counts;
    let judgement = match (&verdict, judge) {
        (Verdict::Conforms, Some(judge)) => Some(judge.conclude(
            breach,
            JudgeCounts {
                storage_deferrals,
                outruns_confirmed,
            },
        )),
        _ => None,
    };
    ReplayOutcome {
        verdict,
        steps,
        engine_calls: calls,
        storage_deferrals,
        digests: Vec::new(),
        judgement,
        coverage,
    }
}

/// What the current model says about a stored trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ModelCheck {
    /// The trace is a path of the model and its last state violates the property.
    #[serde(rename = "still-violates")]
    StillViolates,
    /// The trace is a path of the model, but the property holds at its end.
    #[serde(rename = "no-longer-violates")]
    NoLongerViolates,
    /// The model no longer takes one of the trace's steps.
    #[serde(rename = "invalid-path")]
    InvalidPath,
    /// The trace names no property (a conformance walk) and is still a path of the model.
    #[serde(rename = "valid-path")]
    ValidPath,
}

impl ModelCheck {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            ModelCheck::StillViolates => "still-violates",
            ModelCheck::NoLongerViolates => "no-longer-violates",
            ModelCheck::InvalidPath => "invalid-path",
            ModelCheck::ValidPath => "valid-path",
        }
    }
}

/// Rebuilds `actions` from the model's initial state and evaluates `property` on the last
/// state: an `always` is violated when its condition fails there, a `sometimes` is "violated"
/// (witnessed) when it holds. Returns the path's states when it is valid. A trace without a
/// property (a conformance walk) is `valid-path` when the model still takes every step.
pub fn recheck(
    model: &SwbModel,
    actions: &[Action],
    property: Option<&PropertyInfo>,
) -> (ModelCheck, Option<Vec<State>>) {
    let Some(init) = model.init_states().into_iter().next() else {
        return (ModelCheck::InvalidPath, None);
    };
    let Some(path) = Path::from_actions(model, init, actions.iter()) else {
        return (ModelCheck::InvalidPath, None);
    };
    let states = path.into_states();
    let last = states.last().expect("a path has a state");
    let check = match property {
        None => ModelCheck::ValidPath,
        Some(property) => {
            let violates = match property.kind {
                PropertyKind::Always | PropertyKind::Eventually | PropertyKind::Progress => {
                    !(property.condition)(model, last)
                }
                PropertyKind::Sometimes => (property.condition)(model, last),
            };
            if violates {
                ModelCheck::StillViolates
            } else {
                ModelCheck::NoLongerViolates
            }
        }
    };
    (check, Some(states))
}

/// A trace read for replay, whichever file format it came from.
pub struct TraceToReplay {
    /// The configuration it was recorded under.
    pub config: swb_model::Config,
    /// The property it violates, if any.
    pub property: Option<PropertyInfo>,
    /// Its actions, or the number of the first step the model no longer takes.
    pub actions: Result<Vec<Action>, usize>,
}

/// Reads a trace file. The one boundary between `replay` and the file formats: a
/// counterexample file (numeric `format`, read by `counterexample::load`, which checks every
/// step and state against today's model), or a conformance trace (`"format": "swb-replay/1"`,
/// read by [`file::load`]). A step or state the model no longer produces is not bad input here:
/// it is the `invalid-path` model check.
pub fn load_trace(path: &std::path::Path) -> anyhow::Result<TraceToReplay> {
    use crate::counterexample::TraceError;
    let text = std::fs::read_to_string(path)
        .map_err(|error| anyhow::anyhow!("{}: cannot read: {error}", path.display()))?;
    if file::is_conformance_trace(path) {
        let loaded = file::load(path)?;
        return Ok(TraceToReplay {
            config: loaded.config,
            property: loaded.property,
            actions: loaded.actions,
        });
    }
    match crate::counterexample::load(path) {
        Ok(loaded) => Ok(TraceToReplay {
            config: loaded.config().clone(),
            property: Some(loaded.property),
            actions: Ok(loaded.path.into_actions()),
        }),
        Err(TraceError::UnknownStep { step, .. } | TraceError::StateMismatch { step, .. }) => {
            let document: crate::counterexample::CounterexampleFile = serde_json::from_str(&text)?;
            let property = swb_properties::find_in(&document.config, &document.property.name);
            Ok(TraceToReplay {
                config: document.config,
                property,
                actions: Err(step),
            })
        }
        Err(error) => Err(error.into()),
    }
}

/// What replaying one trace file gave: the model check and, when the model still takes the
/// path, the engine replay. The one code path behind `replay FILE` and `replay --corpus`.
pub struct FileReplay {
    /// The protocol version the trace was recorded under.
    pub protocol: swb_model::ProtocolVersion,
    /// The property a counterexample violates; `None` for a conformance trace.
    pub property: Option<&'static str>,
    /// What the current model says about the trace.
    pub model_check: ModelCheck,
    /// The engine replay, when the model still takes every step.
    pub outcome: Option<ReplayOutcome>,
    /// The first step the model no longer takes, when it does not.
    pub not_taken: Option<usize>,
    /// The engine step log of the path, when the model still takes every step.
    pub step_log: Option<StepLog>,
}

/// Loads `path` (either format), re-checks it in the model and replays it on the engine.
pub fn replay_file(path: &std::path::Path) -> anyhow::Result<FileReplay> {
    let trace = load_trace(path)?;
    let model = swb_properties::build_model(&trace.config);
    let mut step_log = None;
    let (model_check, outcome) = match &trace.actions {
        Ok(actions) => match recheck(&model, actions, trace.property.as_ref()) {
            (check, Some(states)) => {
                // A counterexample's property is judged on the engine's state; one without an
                // engine-side judgement is `not-judged`. A conformance trace names none.
                let judge = trace.property.as_ref().and_then(Judge::of);
                let source = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |name| name.to_string_lossy().into_owned(),
                );
                let log = derive(
                    &source,
                    trace.config.protocol.name(),
                    &states,
                    actions,
                    None,
                );
                let mut outcome = replay_derived(&log, &states, judge);
                step_log = Some(log);
                if trace.property.is_some()
                    && judge.is_none()
                    && outcome.verdict == Verdict::Conforms
                {
                    outcome.judgement = Some(Judgement::NotJudged);
                }
                (check, Some(outcome))
            }
            (check, None) => (check, None),
        },
        Err(_) => (ModelCheck::InvalidPath, None),
    };
    Ok(FileReplay {
        protocol: trace.config.protocol,
        property: trace.property.as_ref().map(|property| property.name),
        model_check,
        outcome,
        not_taken: trace.actions.as_ref().err().copied(),
        step_log,
    })
}

impl FileReplay {
    /// The verdict's stable name (`not-replayed` when the model no longer takes the path).
    pub fn verdict_name(&self) -> &'static str {
        self.outcome
            .as_ref()
            .map_or("not-replayed", |outcome| outcome.verdict.name())
    }

    /// The engine-side judgement, when the trace names a property and conformed.
    pub fn judgement(&self) -> Option<&Judgement> {
        self.outcome
            .as_ref()
            .and_then(|outcome| outcome.judgement.as_ref())
    }

    /// The engine replay in a few words: the verdict, the step it was decided at and what it
    /// names (the refused call and rule, or the diverged field and both values).
    pub fn verdict_detail(&self) -> String {
        let Some(outcome) = &self.outcome else {
            return match self.not_taken {
                Some(step) => format!("not replayed: the model no longer takes step {step}"),
                None => "not replayed: the model has no initial state".to_owned(),
            };
        };
        match &outcome.verdict {
            Verdict::Conforms => format!("conforms ({} steps)", outcome.steps),
            Verdict::EngineRefused(refusal) => format!(
                "engine-refused at step {}: {} refused by rule {}",
                refusal.step, refusal.call, refusal.rule
            ),
            Verdict::EngineAccepted(acceptance) => format!(
                "engine-accepted at step {}: {} accepted, must be refused by rule {}",
                acceptance.step, acceptance.call, acceptance.rule
            ),
            Verdict::Diverged(divergence) => format!(
                "diverged at step {}: {} is {} in the model, {} in the engine",
                divergence.step, divergence.field, divergence.model, divergence.engine
            ),
        }
    }

    /// What the verdict names: the refused rule, or the diverged `nP/nR.field`.
    pub fn rule(&self) -> Option<String> {
        match self.outcome.as_ref().map(|outcome| &outcome.verdict) {
            Some(Verdict::EngineRefused(refusal)) => Some(refusal.rule.clone()),
            Some(Verdict::EngineAccepted(acceptance)) => Some(acceptance.rule.clone()),
            Some(Verdict::Diverged(divergence)) => Some(divergence.field.clone()),
            _ => None,
        }
    }

    /// The verdict a trace must have (issue 5), or why it does not:
    /// - the model must still take the path as recorded (`still-violates`, or `valid-path` for
    ///   a conformance trace): otherwise the file no longer shows what it was saved for;
    /// - a V2 trace must `conform`: the engine follows the protocol it implements;
    /// - a V1 / V1.5 counterexample must end `engine-refused` (the engine fenced the unsafe
    ///   step), `diverged` (the engine left the violating path), or `conforms` with an
    ///   engine-side judgement ([`judge`]) that accepts it: `holds-in-engine` (the property holds
    ///   on the engine's own state after every step, by a named engine rule) or
    ///   `outside-engine` (the property is about promotion, a decision the engine does not
    ///   make). A conforming trace that `fails-in-engine`, or whose property is `not-judged`,
    ///   breaks the rule: "the engine followed the model" alone says nothing about the property.
    pub fn meets_rule(&self) -> Result<(), String> {
        if !matches!(
            self.model_check,
            ModelCheck::StillViolates | ModelCheck::ValidPath
        ) {
            return Err(format!(
                "model check {}: the trace no longer shows what it was saved for",
                self.model_check.name()
            ));
        }
        let verdict = self.outcome.as_ref().map(|outcome| &outcome.verdict);
        let v2 = self.protocol == swb_model::ProtocolVersion::V2;
        match verdict {
            Some(Verdict::Conforms) if v2 => Ok(()),
            Some(Verdict::Conforms) => match self.judgement() {
                Some(judgement) if judgement.accepts() => Ok(()),
                judgement => Err(format!(
                    "a {} counterexample that conforms must hold its property in the engine; the engine-side judgement is {}",
                    self.protocol.name(),
                    judgement.map_or("missing".to_owned(), |judgement| judgement.to_string())
                )),
            },
            Some(_) if !v2 => Ok(()),
            _ if v2 => Err(format!(
                "a V2 trace must conform; it is {}{}",
                self.verdict_name(),
                self.rule()
                    .map_or(String::new(), |rule| format!(" ({rule})"))
            )),
            _ => Err(format!(
                "a {} counterexample must replay on the engine; it is {}",
                self.protocol.name(),
                self.verdict_name()
            )),
        }
    }
}

/// `swb-check replay FILE [--json]`, or `replay --corpus DIR [--write-manifest]`.
pub fn command(args: &crate::cli::ReplayArgs) -> anyhow::Result<std::process::ExitCode> {
    if let Some(dir) = &args.corpus {
        return corpus::command(dir, args.write_manifest, args.json);
    }
    let Some(file) = &args.file else {
        anyhow::bail!("replay needs a FILE or --corpus DIR");
    };
    if args.expand {
        return expand(file);
    }
    let replayed = replay_file(file)?;
    if let Some(out) = &args.emit_steps {
        let Some(log) = &replayed.step_log else {
            anyhow::bail!(
                "{}: no step log: the model no longer takes the path",
                file.display()
            );
        };
        crate::counterexample::write_atomically(out, log.to_jsonl().as_bytes())
            .map_err(|error| anyhow::anyhow!("{}: cannot write: {error}", out.display()))?;
    }
    let model_check = replayed.model_check;
    let outcome = &replayed.outcome;
    let shown = file.display().to_string();
    let mut out = String::new();
    if args.json {
        let error = match outcome.as_ref().map(|outcome| &outcome.verdict) {
            Some(Verdict::EngineRefused(refusal)) => Some(refusal.error.clone()),
            _ => None,
        };
        let rule = match outcome.as_ref().map(|outcome| &outcome.verdict) {
            Some(Verdict::EngineRefused(refusal)) => Some(refusal.rule.clone()),
            _ => None,
        };
        let divergence = match outcome.as_ref().map(|outcome| &outcome.verdict) {
            Some(Verdict::Diverged(divergence)) => Some(divergence.clone()),
            _ => None,
        };
        let steps = outcome.as_ref().map_or(0, |outcome| outcome.steps);
        let json = serde_json::json!({
            "file": shown,
            "model_check": model_check.name(),
            "verdict": replayed.verdict_name(),
            "steps": steps,
            "rule": rule,
            "error": error,
            "divergence": divergence,
            "engine_judgement": replayed.judgement(),
        });
        crate::output::outln!(out, "{}", serde_json::to_string_pretty(&json)?);
    } else {
        crate::output::outln!(out, "{shown}: model check: {}", model_check.name());
        match outcome {
            None => crate::output::outln!(
                out,
                "{shown}: not replayed: the model no longer takes step {}",
                replayed.not_taken.unwrap_or(0)
            ),
            Some(outcome) => {
                crate::output::outln!(
                    out,
                    "{shown}: {} after {} steps ({} engine calls)",
                    outcome.verdict.name(),
                    outcome.steps,
                    outcome.engine_calls
                );
                match &outcome.verdict {
                    Verdict::Conforms => {
                        if let Some(judgement) = &outcome.judgement {
                            crate::output::outln!(out, "  engine-side judgement: {judgement}");
                        }
                    }
                    Verdict::EngineRefused(refusal) => {
                        crate::output::outln!(
                            out,
                            "  step {}: {} refused by rule {}: {}",
                            refusal.step,
                            refusal.call,
                            refusal.rule,
                            refusal.error
                        )
                    }
                    Verdict::EngineAccepted(acceptance) => crate::output::outln!(
                        out,
                        "  step {}: {} accepted, must be refused by rule {}",
                        acceptance.step,
                        acceptance.call,
                        acceptance.rule
                    ),
                    Verdict::Diverged(divergence) => crate::output::outln!(
                        out,
                        "  step {}: {} differs: model {}, engine {}",
                        divergence.step,
                        divergence.field,
                        divergence.model,
                        divergence.engine
                    ),
                }
            }
        }
    }
    crate::output::write_stdout(&out)?;
    let code = if replayed.meets_rule().is_ok() { 0 } else { 1 };
    Ok(std::process::ExitCode::from(code))
}

/// The trace of `file` with every state: a counterexample file as it is, a conformance trace
/// (`swb-replay/1`, actions only) rebuilt in today's model into the format `show` reads.
pub fn expanded(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if !file::is_conformance_trace(file) {
        let loaded = crate::counterexample::load(file)?;
        return Ok(loaded.document.to_bytes());
    }
    let (config, note, path) = file::load_path(file)?;
    Ok(crate::counterexample::CounterexampleFile::conformance(&config, &note, &path).to_bytes())
}

/// `swb-check replay --expand FILE`: the expanded trace on stdout.
fn expand(file: &std::path::Path) -> anyhow::Result<std::process::ExitCode> {
    let bytes = expanded(file)?;
    crate::output::write_stdout(&String::from_utf8(bytes)?)?;
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod coverage_traces;
#[cfg(test)]
mod tests;
