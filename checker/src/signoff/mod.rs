//! `swb-check report --out DIR`: the gate-2 sign-off report.
//!
//! One run gathers the evidence a reviewer signs off on, then renders it twice from the same
//! values: `DIR/report.md` and a self-contained `DIR/index.html` (inline CSS and SVG, no script,
//! nothing fetched). The evidence, in the order it is gathered:
//! 1. the counterexample corpus (`--counterexamples`, default `counterexamples/`), replayed as
//!    `replay --corpus` replays it: engine verdict, D28 judgement, manifest comparison
//!    ([`replays`]). It goes first, with the other inputs, because it is fast (well under a
//!    second) and a malformed corpus is bad input;
//! 2. the default check (the configuration given, or the embedded default): exhaustive DFS with
//!    symmetry reduction, as `swb-check check` runs it, with every property's status;
//! 3. the version comparison matrix, at the quick bounds unless [`MatrixBounds::Default`]
//!    (`--full-matrix`), its counterexamples saved under `DIR/counterexamples` and replayed as
//!    `replay FILE` replays them;
//! 4. per-action coverage of the checked configuration ([`coverage`]), a pass of its own whose
//!    state counts must equal the check's ([`CrossCheck`]);
//! 5. the assumptions, parsed from `docs/design.md` §3 ([`assumptions`]).
//!
//! No figure is fixed in the code: every count, time and verdict is measured by the run.
//! Everything is written into a staging directory and moved into place whole ([`staging`]):
//! `DIR` is never half-written, whether the run ends in an error or Ctrl-C.
//!
//! Exit codes follow the rest of the tool: 0 every part as expected; 1 some part is not (a
//! violation or unreached witness, a matrix cell that differs from its expectation, a corpus
//! problem as `replay --corpus` reports it, a matrix trace that breaks its protocol's rule, a
//! coverage pass that disagrees with the check); the report is written either way and says
//! which. 2 bad input (nothing is written); 3 interrupted by Ctrl-C (nothing is written).

pub mod assumptions;
pub mod coverage;
mod document;
mod html;
mod markdown;
pub mod metadata;
mod replays;
mod sections;
mod staging;

#[cfg(test)]
pub(crate) mod tests;

use crate::check::{
    run_check, CheckOptions, Completion, Kind, Status, Strategy, Symmetry, Verdict,
};
use crate::compare::{run_matrix, select_protocols, select_scenarios, Cell, CompareOptions};
use crate::progress::ProgressMode;
use crate::scenario::{catalog, Bounds, Scenario};
use anyhow::Context;
use assumptions::Assumption;
use coverage::Coverage;
use metadata::GitCommit;
use replays::{CorpusReplay, TraceEntry};
use staging::Staging;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use swb_model::{Config, ProtocolVersion, SwbModel};

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
    pub assumptions_heading: String,
    pub assumptions: Vec<Assumption>,
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
    fn of(check: &CheckSummary, coverage: &Coverage) -> CrossCheck {
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

/// Which bounds the report's comparison matrix runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixBounds {
    /// The quick bounds over the light scenarios (seconds; the test suite's matrix).
    Quick,
    /// The default bounds over the whole catalog (`--full-matrix`; minutes).
    Default,
}

impl MatrixBounds {
    fn bounds(self) -> Bounds {
        match self {
            MatrixBounds::Quick => Bounds::Quick,
            MatrixBounds::Default => Bounds::Default,
        }
    }
}

/// What one `report` run covers, resolved from the command line.
pub struct ReportOptions {
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    pub matrix_bounds: MatrixBounds,
    /// `--scenarios`, as named (resolved against the catalog before anything runs).
    pub scenario_names: Vec<String>,
    pub protocols: Vec<ProtocolVersion>,
    pub corpus: Option<PathBuf>,
    pub threads: NonZeroUsize,
    pub progress: ProgressMode,
    pub interrupt: Option<&'static AtomicBool>,
}

impl ReportOptions {
    fn interrupted(&self) -> bool {
        self.interrupt
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    }
}

/// How a gathering ended.
enum Gathered {
    Report(Box<SignoffReport>),
    /// Ctrl-C: nothing is written.
    Interrupted,
}

const EXIT_FAILED: u8 = 1;
const EXIT_INTERRUPTED: u8 = 3;

/// `swb-check report`.
pub fn command(args: &crate::cli::ReportArgs) -> anyhow::Result<ExitCode> {
    let options = ReportOptions {
        out: args.out.clone(),
        config: args.config.clone(),
        matrix_bounds: if args.full_matrix {
            MatrixBounds::Default
        } else {
            MatrixBounds::Quick
        },
        scenario_names: args.scenarios.clone(),
        protocols: select_protocols(&args.protocols),
        corpus: args.counterexamples.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)),
        progress: ProgressMode::for_stderr(),
        interrupt: Some(crate::interrupt::install()?),
    };
    let inputs = resolve_inputs(&options)?;
    let staging = Staging::prepare(&options.out)?;
    let report = match gather(&options, inputs, staging.dir())? {
        Gathered::Report(report) => report,
        Gathered::Interrupted => {
            // `staging` is dropped here, with everything written so far.
            eprintln!("swb-check: report: interrupted; nothing written");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    write(&report, staging.dir())?;
    staging.commit()?;
    for part in report.parts() {
        eprintln!("swb-check: report: {}: {}", part.part.name(), part.text);
    }
    let mut out = String::new();
    crate::output::outln!(out, "{}", options.out.join("index.html").display());
    crate::output::outln!(out, "{}", options.out.join("report.md").display());
    crate::output::write_stdout(&out)?;
    Ok(if report.as_expected() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// Every input, resolved and validated before anything long runs, so bad input costs nothing
/// and leaves nothing behind. The corpus is replayed here: it takes well under a second, and a
/// malformed trace or manifest is bad input, as it is for `replay --corpus`.
struct Inputs {
    config: Config,
    config_source: String,
    scenarios: Vec<Scenario>,
    /// The corpus, already replayed: a malformed trace or manifest is bad input.
    corpus: CorpusSection,
    assumptions_heading: String,
    assumptions: Vec<Assumption>,
}

fn resolve_inputs(options: &ReportOptions) -> anyhow::Result<Inputs> {
    let (config, config_source) = match &options.config {
        Some(path) => (
            Config::from_path(path).context("reading the configuration")?,
            path.display().to_string(),
        ),
        None => (Config::default(), "embedded default".to_owned()),
    };
    config
        .validate()
        .with_context(|| format!("checking the configuration ({config_source})"))?;
    let scenarios = select_scenarios(options.matrix_bounds.bounds(), &options.scenario_names)?;
    let corpus = match &options.corpus {
        Some(path) => {
            anyhow::ensure!(
                path.is_dir(),
                "--counterexamples {}: not a directory",
                path.display()
            );
            CorpusSection::Replayed(replays::replay_corpus(path)?)
        }
        None => {
            let default = PathBuf::from("counterexamples");
            if default.is_dir() {
                CorpusSection::Replayed(replays::replay_corpus(&default)?)
            } else {
                CorpusSection::Absent(default)
            }
        }
    };
    let (assumptions_heading, assumptions) =
        assumptions::assumptions().context("reading the assumptions")?;
    Ok(Inputs {
        config,
        config_source,
        scenarios,
        corpus,
        assumptions_heading,
        assumptions,
    })
}

/// Runs the check, the matrix, the matrix traces' replays and the coverage pass; the matrix
/// saves its counterexamples under `dir`.
fn gather(options: &ReportOptions, inputs: Inputs, dir: &Path) -> anyhow::Result<Gathered> {
    let model = swb_properties::build_model(&inputs.config);

    eprintln!(
        "swb-check: report: 1/4 the check ({})",
        inputs.config_source
    );
    let check = run_default_check(&model, options)?;
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

    let bounds = options.matrix_bounds.bounds();
    eprintln!(
        "swb-check: report: 2/4 the comparison matrix ({} bounds)",
        bounds.name()
    );
    let matrix = run_comparison(bounds, inputs.scenarios, options, dir)?;
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

    eprintln!("swb-check: report: 3/4 replaying the matrix's counterexamples");
    // The matrix's own files, as its cells name them (not a directory listing).
    let matrix_files = matrix
        .cells
        .iter()
        .flat_map(|cell| cell.violated.iter())
        .filter_map(|violation| violation.file.clone())
        .collect();
    let matrix_traces = replays::replay_matrix_traces(dir, matrix_files)?;

    eprintln!("swb-check: report: 4/4 per-action coverage");
    let Ok(coverage) = coverage::measure(&model, Symmetry::On, options.interrupt) else {
        return Ok(Gathered::Interrupted);
    };
    let cross_check = CrossCheck::of(&check, &coverage);

    Ok(Gathered::Report(Box::new(SignoffReport {
        meta: RunMetadata {
            tool_version: env!("CARGO_PKG_VERSION"),
            commit: GitCommit::of(Path::new(".")),
            date: metadata::utc_now(),
            config_source: inputs.config_source,
            config_json: inputs.config.to_json(),
            protocol: inputs.config.protocol,
            threads: options.threads,
        },
        check,
        matrix,
        corpus: inputs.corpus,
        matrix_traces,
        coverage,
        cross_check,
        assumptions_heading: inputs.assumptions_heading,
        assumptions: inputs.assumptions,
    })))
}

/// The check as `swb-check check` runs it by default: DFS, symmetry on, no limits, no files.
fn run_default_check(model: &SwbModel, options: &ReportOptions) -> anyhow::Result<CheckSummary> {
    let check_options = CheckOptions {
        strategy: Strategy::Dfs,
        threads: options.threads,
        max_states: None,
        max_depth: None,
        timeout: None,
        memory_limit_bytes: None,
        interrupt: options.interrupt,
        progress: options.progress,
    };
    let outcome = run_check(
        model.clone(),
        Some(SwbModel::representative),
        &check_options,
    )?;
    // Paths and depths are reproducible only on one thread (see `CheckSummary`).
    let one_thread = options.threads.get() == 1;
    let properties = swb_properties::catalog()
        .into_iter()
        .filter_map(|info| {
            let found = outcome.properties.iter().find(|p| p.name == info.name)?;
            Some(PropertyRow {
                name: info.name,
                kind: found.kind,
                source: info.source,
                meaning: info.meaning,
                mutant: info.mutant.map(swb_properties::mutant_name),
                status: found.status,
                trace_len: found.trace_len().filter(|_| one_thread),
            })
        })
        .collect();
    Ok(CheckSummary {
        unique_states: outcome.unique_states,
        total_states: outcome.total_states,
        max_depth: Some(outcome.max_depth).filter(|_| one_thread),
        seconds: outcome.elapsed.as_secs_f64(),
        completion: outcome.completion,
        verdict: outcome.verdict(),
        properties,
    })
}

/// The matrix of `scenarios` × the versions asked for at `bounds`, as `compare` runs it; its
/// counterexamples go to `dir/counterexamples`.
fn run_comparison(
    bounds: Bounds,
    scenarios: Vec<Scenario>,
    options: &ReportOptions,
    dir: &Path,
) -> anyhow::Result<MatrixSummary> {
    let skipped = catalog()
        .into_iter()
        .filter(|scenario| !scenarios.iter().any(|run| run.name == scenario.name))
        .collect();
    let compare_options = CompareOptions {
        scenarios,
        protocols: options.protocols.clone(),
        threads: options.threads,
        bounds,
        cell_timeout: None,
        counterexample_dir: Some(dir.join("counterexamples")),
        interrupt: options.interrupt,
        progress: options.progress,
    };
    let started = std::time::Instant::now();
    let cells = run_matrix(&compare_options)?;
    Ok(MatrixSummary {
        bounds,
        protocols: options.protocols.clone(),
        cells,
        skipped,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the charts, `report.md` and `index.html` into the staging directory `dir`.
fn write(report: &SignoffReport, dir: &Path) -> anyhow::Result<()> {
    let corpus_traces = match &report.corpus {
        CorpusSection::Replayed(corpus) => corpus.traces.as_slice(),
        CorpusSection::Absent(_) => &[],
    };
    for trace in corpus_traces.iter().chain(&report.matrix_traces) {
        if let Some(chart) = &trace.chart {
            let file = dir.join(&chart.file);
            crate::counterexample::write_atomically(&file, chart.svg.as_bytes())
                .with_context(|| format!("writing {}", file.display()))?;
        }
    }
    let document = sections::document(report);
    let files = [
        ("report.md", markdown::render(&document)),
        ("index.html", html::render(&document)),
    ];
    for (name, text) in files {
        let file = dir.join(name);
        crate::counterexample::write_atomically(&file, text.as_bytes())
            .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}
