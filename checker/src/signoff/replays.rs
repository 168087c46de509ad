//! The counterexamples of the report: every trace file of the corpus and of the matrix,
//! re-checked in today's model, replayed on the engine (`crate::replay`, as `swb-check replay`
//! does) and drawn as a message-sequence chart (`counterexample::svg`).
//!
//! A file that cannot be read is listed with the reason and counts as not as expected; it does
//! not stop the report, whose point is to show the state of the corpus.

use crate::counterexample::{svg, CounterexampleFile};
use crate::replay::{load_trace, recheck, replay_path, ModelCheck, Verdict};
use anyhow::Context;
use std::path::{Path, PathBuf};
use swb_model::ProtocolVersion;

/// Where a trace file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The regression corpus (`counterexamples/`).
    Corpus,
    /// Saved by this report's comparison matrix.
    Matrix,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Corpus => "corpus",
            Origin::Matrix => "matrix",
        }
    }
}

/// What the report says about one trace file.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    pub origin: Origin,
    /// The file as the report names it: a matrix file relative to the report's directory.
    pub shown: String,
    /// Read and replayed, or why not.
    pub result: Result<Replayed, String>,
    /// The chart, for a counterexample file (a conformance trace has none).
    pub svg: Option<String>,
    /// The chart's file name under `DIR/charts/`.
    pub chart_file: Option<String>,
}

/// A trace that was read.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub property: Option<&'static str>,
    pub protocol: ProtocolVersion,
    pub scenario: String,
    pub steps: usize,
    /// `shortest`, `shrunk` ... for a counterexample file.
    pub minimality: Option<String>,
    pub model_check: ModelCheck,
    /// `None` when the model no longer takes a step (nothing to replay).
    pub verdict: Option<Verdict>,
    /// Model steps replayed on the engine.
    pub replayed_steps: usize,
}

impl TraceEntry {
    /// The rule `swb-check replay` exits 0 on: the model still takes the trace (and it still
    /// violates its property), and the engine conforms, or refuses a V1 / V1.5 trace (the engine
    /// fences what the old protocol allowed).
    pub fn as_expected(&self) -> bool {
        let Ok(replayed) = &self.result else {
            return false;
        };
        let engine_ok = match &replayed.verdict {
            Some(Verdict::Conforms) => true,
            Some(Verdict::EngineRefused(_)) => replayed.protocol != ProtocolVersion::V2,
            Some(Verdict::Diverged(_)) | None => false,
        };
        engine_ok
            && matches!(
                replayed.model_check,
                ModelCheck::StillViolates | ModelCheck::ValidPath
            )
    }

    /// The engine verdict in a few words, with its step and rule or field.
    pub fn verdict_text(&self) -> String {
        match &self.result {
            Err(reason) => format!("unreadable: {reason}"),
            Ok(replayed) => match &replayed.verdict {
                None => "not replayed: the model no longer takes a step".to_owned(),
                Some(Verdict::Conforms) => {
                    format!("conforms ({} steps)", replayed.replayed_steps)
                }
                Some(Verdict::EngineRefused(refusal)) => format!(
                    "engine-refused at step {}: {} by rule {}",
                    refusal.step, refusal.call, refusal.rule
                ),
                Some(Verdict::Diverged(divergence)) => format!(
                    "diverged at step {}: {} model {} engine {}",
                    divergence.step, divergence.field, divergence.model, divergence.engine
                ),
            },
        }
    }
}

/// Every `.json` file under `dir`, recursively, sorted by path; hidden files (temporaries) are
/// left out. A missing directory has none.
pub fn trace_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("listing {}", current.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", current.display()))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Reads, re-checks, replays and draws one file; `index` numbers its chart file.
pub fn examine(index: usize, origin: Origin, file: &Path, out: &Path) -> TraceEntry {
    let document = std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CounterexampleFile>(&bytes).ok());
    let svg = document.as_ref().map(svg::chart);
    let chart_file = document
        .as_ref()
        .map(|document| format!("{index:03}-{}.svg", document.property.name));
    let result = replay_file(file, document.as_ref());
    let shown = match origin {
        Origin::Matrix => file.strip_prefix(out).unwrap_or(file),
        Origin::Corpus => file,
    }
    .display()
    .to_string();
    TraceEntry {
        origin,
        shown,
        result,
        svg,
        chart_file,
    }
}

fn replay_file(file: &Path, document: Option<&CounterexampleFile>) -> Result<Replayed, String> {
    let trace = load_trace(file).map_err(|error| crate::one_line(&format!("{error:#}")))?;
    let model = swb_properties::build_model(&trace.config);
    let (model_check, outcome, steps) = match &trace.actions {
        Ok(actions) => match recheck(&model, actions, trace.property.as_ref()) {
            (check, Some(states)) => (check, Some(replay_path(&states, actions)), actions.len()),
            (check, None) => (check, None, actions.len()),
        },
        Err(step) => (ModelCheck::InvalidPath, None, *step),
    };
    Ok(Replayed {
        property: trace.property.as_ref().map(|property| property.name),
        protocol: trace.config.protocol,
        scenario: document.map_or_else(|| "-".to_owned(), |d| d.scenario.clone()),
        steps,
        minimality: document.map(|d| d.minimality.name().to_owned()),
        model_check,
        replayed_steps: outcome.as_ref().map_or(0, |outcome| outcome.steps),
        verdict: outcome.map(|outcome| outcome.verdict),
    })
}
