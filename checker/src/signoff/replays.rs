//! The counterexamples of the report, judged exactly as `swb-check replay` judges them, and
//! drawn as message-sequence charts.
//!
//! Nothing here derives a verdict of its own:
//! - the corpus goes through `replay::corpus` (`replay --corpus DIR`): every trace's model
//!   check, engine verdict, rule and engine-side judgement (D28), compared with the corpus
//!   manifest `verdicts.json`, and the list of problems that command prints;
//! - the traces the report's own matrix saved go through `replay::replay_file` and
//!   `FileReplay::meets_rule` (`replay FILE`); they have no manifest.
//!
//! A corpus that cannot be read (a malformed trace, a missing or foreign manifest) is bad input,
//! as it is for `replay --corpus`: the report is not written. A trace the model no longer takes
//! is not bad input: it is listed with its `invalid-path` model check and counts as a problem.

use crate::counterexample::show;
use crate::replay::corpus::{self, ManifestCheck, VerdictEntry};
use crate::replay::{replay_file, FileReplay};
use std::path::{Path, PathBuf};
use swb_model::ProtocolVersion;

/// Where a trace file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The regression corpus (`counterexamples/`), with its manifest.
    Corpus,
    /// Saved by this report's comparison matrix (`DIR/counterexamples/`).
    Matrix,
}

impl Origin {
    /// The stable name used in the report and as the charts' subdirectory.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Corpus => "corpus",
            Origin::Matrix => "matrix",
        }
    }
}

/// Whether a trace meets the rule of its protocol (`FileReplay::meets_rule`, issue 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleCheck {
    Meets,
    /// Why it does not, in `replay`'s words.
    Breaks(String),
}

/// One trace file, as the report shows it.
pub struct TraceEntry {
    /// Its verdicts in the manifest's words; `path` is relative to the corpus root (corpus) or
    /// to the report directory (matrix).
    pub found: VerdictEntry,
    pub protocol: ProtocolVersion,
    /// The property the trace violates; `None` for a conformance trace.
    pub property: Option<&'static str>,
    /// The engine replay in a few words ([`FileReplay::verdict_detail`]).
    pub detail: String,
    /// The engine-side judgement in words, when there is one.
    pub judgement_detail: Option<String>,
    pub rule: RuleCheck,
    /// The comparison with the manifest; `None` for a matrix trace.
    pub manifest: Option<ManifestCheck>,
    /// The chart, when the model still takes the trace.
    pub chart: Option<Chart>,
}

/// A trace's message-sequence chart (`counterexample::svg`).
pub struct Chart {
    /// The file under the report directory, `charts/<origin>/<trace path>.svg`.
    pub file: String,
    pub svg: String,
    /// The scenario the trace was found in, and its minimality (`shortest`, `shrunk`, ...).
    pub scenario: String,
    pub minimality: String,
    pub steps: usize,
}

impl TraceEntry {
    /// True when the trace meets its protocol's rule and, for the corpus, its manifest entry.
    pub fn as_expected(&self) -> bool {
        self.rule == RuleCheck::Meets
            && matches!(self.manifest, None | Some(ManifestCheck::Matches))
    }
}

/// The replayed corpus.
pub struct CorpusReplay {
    pub root: PathBuf,
    /// In path order.
    pub traces: Vec<TraceEntry>,
    /// Every problem `replay --corpus` reports for it, in its order and words (empty: none).
    pub problems: Vec<String>,
}

/// Replays the corpus under `root` against its manifest, as `replay --corpus root` does.
pub fn replay_corpus(root: &Path) -> anyhow::Result<CorpusReplay> {
    let manifest = corpus::read_manifest(root)?;
    let found = corpus::verdicts(root)?;
    let problems = corpus::problems(root, &found, &manifest)?;
    let traces = found
        .into_iter()
        .map(|(entry, replayed)| {
            let file = root.join(&entry.path);
            let manifest = ManifestCheck::of(&entry, &manifest);
            entry_of(Origin::Corpus, &file, entry, &replayed, Some(manifest))
        })
        .collect();
    Ok(CorpusReplay {
        root: root.to_path_buf(),
        traces,
        problems,
    })
}

/// Replays the matrix's saved traces (`files`, under `report_dir`) as `replay FILE` does, in
/// path order.
pub fn replay_matrix_traces(
    report_dir: &Path,
    mut files: Vec<PathBuf>,
) -> anyhow::Result<Vec<TraceEntry>> {
    files.sort();
    files.dedup();
    files
        .iter()
        .map(|file| {
            let replayed = replay_file(file)?;
            let shown = relative_name(file.strip_prefix(report_dir).unwrap_or(file));
            let entry = VerdictEntry::of(shown, &replayed);
            Ok(entry_of(Origin::Matrix, file, entry, &replayed, None))
        })
        .collect()
}

fn entry_of(
    origin: Origin,
    file: &Path,
    found: VerdictEntry,
    replayed: &FileReplay,
    manifest: Option<ManifestCheck>,
) -> TraceEntry {
    // The chart needs the path in today's model; a trace the model no longer takes has none
    // (its model check says so).
    let chart = show::load(file).ok().map(|(document, _)| Chart {
        file: format!(
            "charts/{}/{}",
            origin.name(),
            found.path.trim_end_matches(".json").to_owned() + ".svg"
        ),
        svg: crate::counterexample::svg::chart(&document),
        scenario: document.scenario.clone(),
        minimality: document.minimality.name().to_owned(),
        steps: document.steps.len(),
    });
    TraceEntry {
        protocol: replayed.protocol,
        property: replayed.property,
        detail: replayed.verdict_detail(),
        judgement_detail: replayed.judgement().map(ToString::to_string),
        rule: match replayed.meets_rule() {
            Ok(()) => RuleCheck::Meets,
            Err(why) => RuleCheck::Breaks(why),
        },
        manifest,
        chart,
        found,
    }
}

/// A relative path, `/`-separated whatever the platform (as the manifest names files).
fn relative_name(path: &Path) -> String {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

impl RuleCheck {
    /// `meets`, or `breaks: why`.
    pub fn text(&self) -> String {
        match self {
            RuleCheck::Meets => "meets".to_owned(),
            RuleCheck::Breaks(why) => format!("breaks: {why}"),
        }
    }
}

/// The manifest comparison in a few words: `matches`, `not listed`, or what it records.
pub fn manifest_text(check: &ManifestCheck) -> String {
    match check {
        ManifestCheck::Matches => "matches".to_owned(),
        ManifestCheck::NotListed => "not listed".to_owned(),
        ManifestCheck::Changed(recorded) => format!(
            "changed: manifest {} / {} / {} / {}",
            recorded.model_check,
            recorded.verdict,
            recorded.rule.as_deref().unwrap_or("-"),
            recorded.judgement.as_deref().unwrap_or("-")
        ),
    }
}
