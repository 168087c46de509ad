//! What the report shows: the evidence one run gathers ([`SignoffReport`]), each part's verdict
//! ([`SignoffReport::parts`]: as expected or not, which decides the exit code), and the few
//! texts both renderings share. Gathering it is `signoff`'s job, presenting it `sections`'.

use super::assumptions::Assumption;
use super::coverage::Coverage;
use super::metadata::GitCommit;
use super::replays::{CorpusReplay, TraceEntry};
use crate::check::{Completion, Kind, Status, Verdict};
use crate::compare::Cell;
use crate::mutants::{MutantResult, MutantStatus};
use crate::scenario::{Bounds, Scenario};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use swb_model::ProtocolVersion;

/// Everything the report shows, gathered once and rendered as Markdown and HTML.
pub struct SignoffReport {
    pub meta: RunMetadata,
    pub check: CheckSummary,
    pub matrix: MatrixSummary,
    pub corpus: CorpusSection,
    /// The traces the report's matrix saved, in path order.
    pub matrix_traces: Vec<TraceEntry>,
    pub coverage: Coverage,
    pub cross_check: CrossCheck,
    /// The guard mutants, as `swb-check mutants` judges them (`None`: `--no-mutants`).
    pub mutants: Option<MutantsSummary>,
    pub assumptions_heading: String,
    pub assumptions: Vec<Assumption>,
}

/// The guard mutants' results, in declaration order, and the time they took.
pub struct MutantsSummary {
    pub results: Vec<MutantResult>,
    pub seconds: f64,
}

impl MutantsSummary {
    /// How many mutants ended with `status`.
    fn count(&self, status: MutantStatus) -> usize {
        crate::mutants::count(&self.results, status)
    }

    /// True when every mutant was killed or is equivalent.
    pub fn none_survived(&self) -> bool {
        self.count(MutantStatus::Survived) == 0
    }

    /// The totals in one line: `N mutant(s): K killed, E equivalent, S survived (T s)`.
    pub fn line(&self) -> String {
        format!(
            "{} mutant(s): {} killed, {} equivalent, {} survived ({:.1} s)",
            self.results.len(),
            self.count(MutantStatus::Killed),
            self.count(MutantStatus::Equivalent),
            self.count(MutantStatus::Survived),
            self.seconds
        )
    }
}

/// Who made the report, from what, and when.
pub struct RunMetadata {
    pub tool_version: &'static str,
    pub commit: GitCommit,
    pub date: String,
    /// `embedded default` or the configuration file's path.
    pub config_source: String,
    /// The configuration as JSON.
    pub config_json: String,
    pub protocol: ProtocolVersion,
    pub threads: NonZeroUsize,
}

/// The default check's figures and property statuses.
///
/// The unique and total counts of a symmetric DFS do not depend on the thread count (D27), but
/// with more than one thread the deepest path and the path found for each property depend on
/// how the threads were scheduled. So that the same command gives the same report, those are
/// kept only for a one-thread check (`--threads 1`), and are `None` otherwise.
pub struct CheckSummary {
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: Option<usize>,
    pub seconds: f64,
    pub completion: Completion,
    pub verdict: Verdict,
    /// End states explored (D45).
    pub end_states: Option<crate::supervise::EndStateCount>,
    /// The progress graph, when the check judged progress (the main job does, D49).
    pub progress: Option<crate::liveness::ProgressSummary>,
    /// In catalogue order.
    pub properties: Vec<PropertyRow>,
}

/// One property with its catalogue entry and its status in the check.
pub struct PropertyRow {
    pub name: &'static str,
    pub kind: Kind,
    pub source: &'static str,
    pub meaning: &'static str,
    /// The mutant that proves an `always` can fail.
    pub mutant: Option<String>,
    pub status: Status,
    /// Actions on the path the check found (a witness for `sometimes`); `None` when there is
    /// none or the check ran on more than one thread (see [`CheckSummary`]).
    pub trace_len: Option<usize>,
}

/// The comparison matrix and the bounds it ran at.
pub struct MatrixSummary {
    pub bounds: Bounds,
    pub protocols: Vec<ProtocolVersion>,
    /// In catalog order, then version order.
    pub cells: Vec<Cell>,
    /// Catalog scenarios the chosen bounds or `--scenarios` leave out.
    pub skipped: Vec<Scenario>,
    pub seconds: f64,
}

/// The corpus part of the report.
pub enum CorpusSection {
    Replayed(CorpusReplay),
    /// No `--counterexamples` was given and the default directory does not exist here.
    Absent(PathBuf),
}

/// Whether the coverage pass counted the same states as the check. Since D27 the symmetric
/// check's counts do not depend on the thread count, and the pass mirrors stateright's DFS, so
/// the two must agree; a difference means the pass no longer mirrors the search (or the
/// symmetry reduction is unsound again) and fails the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossCheck {
    Agrees {
        unique_states: usize,
        total_states: usize,
    },
    Differs {
        check_unique: usize,
        check_total: usize,
        pass_unique: usize,
        pass_total: usize,
    },
}

impl CrossCheck {
    pub fn of(check: &CheckSummary, coverage: &Coverage) -> CrossCheck {
        if check.unique_states == coverage.unique_states
            && check.total_states == coverage.total_states
        {
            CrossCheck::Agrees {
                unique_states: check.unique_states,
                total_states: check.total_states,
            }
        } else {
            CrossCheck::Differs {
                check_unique: check.unique_states,
                check_total: check.total_states,
                pass_unique: coverage.unique_states,
                pass_total: coverage.total_states,
            }
        }
    }

    /// One sentence for the report.
    pub fn sentence(self) -> String {
        match self {
            CrossCheck::Agrees {
                unique_states,
                total_states,
            } => format!(
                "Cross-check: the check counted the same {unique_states} unique and \
                 {total_states} total states."
            ),
            CrossCheck::Differs {
                check_unique,
                check_total,
                pass_unique,
                pass_total,
            } => format!(
                "Cross-check FAILED: the check counted {check_unique} unique and {check_total} \
                 total states, this pass {pass_unique} and {pass_total}; the pass no longer \
                 mirrors the search, or the symmetry reduction depends on the order states are met \
                 (docs/design.md §6, D27)."
            ),
        }
    }
}

/// A part of the evidence, for the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Check,
    Matrix,
    Corpus,
    MatrixTraces,
    Coverage,
    Mutants,
}

impl Part {
    /// The part's name in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Part::Check => "check",
            Part::Matrix => "matrix",
            Part::Corpus => "corpus",
            Part::MatrixTraces => "matrix counterexamples",
            Part::Coverage => "coverage",
            Part::Mutants => "guard mutants",
        }
    }
}

/// One line of the summary: a part, whether it is as expected, and what it found.
pub struct PartSummary {
    pub part: Part,
    pub as_expected: bool,
    pub text: String,
}

impl SignoffReport {
    /// Each part of the evidence, with whether it is as expected, in report order.
    pub fn parts(&self) -> Vec<PartSummary> {
        let check = &self.check;
        let matching = self
            .matrix
            .cells
            .iter()
            .filter(|cell| cell.matches_expected())
            .count();
        let corpus = match &self.corpus {
            CorpusSection::Replayed(corpus) => PartSummary {
                part: Part::Corpus,
                as_expected: corpus.problems.is_empty(),
                text: format!(
                    "{} trace(s) under {}, {} problem(s)",
                    corpus.traces.len(),
                    corpus.root.display(),
                    corpus.problems.len()
                ),
            },
            CorpusSection::Absent(dir) => PartSummary {
                part: Part::Corpus,
                as_expected: true,
                text: format!("no {} here, nothing replayed", dir.display()),
            },
        };
        let matrix_traces_ok = self
            .matrix_traces
            .iter()
            .filter(|trace| trace.as_expected())
            .count();
        let mutants = match &self.mutants {
            Some(mutants) => PartSummary {
                part: Part::Mutants,
                as_expected: mutants.none_survived(),
                text: mutants.line(),
            },
            None => PartSummary {
                part: Part::Mutants,
                as_expected: true,
                text: "not run (--no-mutants)".to_owned(),
            },
        };
        vec![
            PartSummary {
                part: Part::Check,
                as_expected: check.verdict == Verdict::AllHold,
                text: format!(
                    "{} ({} unique states, {} total, {:.1} s)",
                    verdict_text(check.verdict),
                    check.unique_states,
                    check.total_states,
                    check.seconds
                ),
            },
            PartSummary {
                part: Part::Matrix,
                as_expected: matching == self.matrix.cells.len(),
                text: format!(
                    "{} bounds: {matching} of {} cells match their expectation",
                    self.matrix.bounds.name(),
                    self.matrix.cells.len()
                ),
            },
            corpus,
            PartSummary {
                part: Part::MatrixTraces,
                as_expected: matrix_traces_ok == self.matrix_traces.len(),
                text: format!(
                    "{matrix_traces_ok} of {} meet their protocol's replay rule",
                    self.matrix_traces.len()
                ),
            },
            PartSummary {
                part: Part::Coverage,
                as_expected: matches!(self.cross_check, CrossCheck::Agrees { .. }),
                text: format!(
                    "{} action kinds, {} never fired; {}",
                    self.coverage.rows.len(),
                    self.coverage.never_fired().len(),
                    match self.cross_check {
                        CrossCheck::Agrees { .. } => "same state counts as the check",
                        CrossCheck::Differs { .. } => "state counts DIFFER from the check",
                    }
                ),
            },
            mutants,
        ]
    }

    /// True when every part is as expected.
    pub fn as_expected(&self) -> bool {
        self.parts().iter().all(|part| part.as_expected)
    }

    /// The run metadata as (label, value) rows, shared by both renderings.
    pub fn metadata_rows(&self) -> Vec<(&'static str, String)> {
        let meta = &self.meta;
        let check = &self.check;
        let completion = match check.completion {
            Completion::Complete => "complete".to_owned(),
            Completion::Incomplete(limit) => format!("incomplete ({})", limit.name()),
        };
        vec![
            ("tool", format!("swb-check {}", meta.tool_version)),
            ("git commit", meta.commit.text()),
            ("date", meta.date.clone()),
            ("configuration", meta.config_source.clone()),
            ("protocol", meta.protocol.name().to_owned()),
            ("strategy", "dfs, symmetry on (exhaustive)".to_owned()),
            (
                "seed",
                "none: an exhaustive search samples nothing".to_owned(),
            ),
            ("threads", meta.threads.to_string()),
            ("unique states", check.unique_states.to_string()),
            ("total states", check.total_states.to_string()),
            (
                "max depth",
                check.max_depth.map_or_else(
                    || {
                        "not shown: it depends on the thread schedule (shown with --threads 1)"
                            .to_owned()
                    },
                    |depth| depth.to_string(),
                ),
            ),
            ("seconds (check)", format!("{:.2}", check.seconds)),
            ("result", completion),
            ("verdict", verdict_text(check.verdict).to_owned()),
        ]
    }
}

/// The check's verdict in words.
pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::AllHold => "every always holds, every sometimes is reached",
        Verdict::Failed => "FAILED: a violation or an unreached witness",
        Verdict::Incomplete => "INCOMPLETE: the run was cut",
    }
}

/// `holds`, `violated (n steps)`, `reached (n steps)`, `unreached`.
pub fn status_text(status: Status, trace_len: Option<usize>) -> String {
    match (status, trace_len) {
        (Status::Violated | Status::Reached, Some(len)) => {
            format!("{} ({len} steps)", status.name())
        }
        _ => status.name().to_owned(),
    }
}
