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
//! 3. the version comparison matrix, at the quick bounds unless [`Bounds::Default`]
//!    (`--full-matrix`), its counterexamples saved under `DIR/counterexamples` and replayed as
//!    `replay FILE` replays them;
//! 4. per-action coverage of the checked configuration ([`coverage`]), a pass of its own whose
//!    state counts must equal the check's ([`evidence::CrossCheck`]);
//! 5. the guard mutants, as `swb-check mutants` runs them (`--mutants-only`, `--no-mutants`):
//!    each killed or equivalent, none surviving (issue 16);
//! 6. the assumptions, parsed from `docs/design.md` §3 ([`assumptions`]).
//!
//! Modules: `evidence` (what was found, and which parts are as expected), `replays`, `coverage`,
//! `assumptions`, `metadata` (commit, date); `sections` (what the report says, as a
//! `document`), `markdown` and `html` (the two writers); `staging` (the directory written whole).
//! This module resolves the inputs, gathers the evidence, writes it and picks the exit code.
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
mod evidence;
mod html;
mod markdown;
pub mod metadata;
mod replays;
mod sections;
mod staging;

#[cfg(test)]
pub(crate) mod tests;

use crate::check::{run_check, CheckOptions, Strategy, Symmetry};
use crate::compare::{run_matrix, select_protocols, select_scenarios, CompareOptions};
use crate::liveness::ProgressRun;
use crate::progress::ProgressMode;
use crate::scenario::{catalog, Bounds, Scenario};
use anyhow::Context;
use assumptions::Assumption;
use evidence::{
    CheckSummary, CorpusSection, CrossCheck, MatrixSummary, MutantsSummary, PropertyRow,
    RunMetadata, SignoffReport,
};
use metadata::GitCommit;
use staging::Staging;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use swb_model::{Config, Mutant, ProtocolVersion, SwbModel};

/// What one `report` run covers, resolved from the command line.
pub struct ReportOptions {
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    /// The matrix's bounds: quick over the light scenarios, or default over the whole catalog
    /// (`--full-matrix`).
    pub matrix_bounds: Bounds,
    /// `--scenarios`, as named (resolved against the catalog before anything runs).
    pub scenario_names: Vec<String>,
    pub protocols: Vec<ProtocolVersion>,
    pub corpus: Option<PathBuf>,
    pub threads: NonZeroUsize,
    pub progress: ProgressMode,
    pub interrupt: Option<&'static AtomicBool>,
    /// The guard mutants to run (`None`: `--no-mutants`).
    pub mutants: Option<Vec<Mutant>>,
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
            Bounds::Default
        } else {
            Bounds::Quick
        },
        scenario_names: args.scenarios.clone(),
        protocols: select_protocols(&args.protocols),
        corpus: args.counterexamples.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)),
        progress: ProgressMode::for_stderr(),
        interrupt: Some(crate::interrupt::install()?),
        // Unknown names are bad input, refused before anything runs.
        mutants: if args.no_mutants {
            None
        } else {
            Some(crate::mutants::selected(&args.mutants_only)?)
        },
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
        // The main job's configuration, as `swb-check check` runs it given none.
        None => (Config::embedded_default(), "embedded default".to_owned()),
    };
    config
        .validate()
        .with_context(|| format!("checking the configuration ({config_source})"))?;
    let scenarios = select_scenarios(options.matrix_bounds, &options.scenario_names)?;
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
        "swb-check: report: 1/5 the check ({})",
        inputs.config_source
    );
    // The main job judges progress at its progress bounds (D49); a given configuration is
    // judged as `check --config` judges it, without.
    let progress = options
        .config
        .is_none()
        .then(|| ProgressRun::main_job(crate::liveness::STATES_MAX_DEFAULT));
    let check = run_default_check(&model, progress.as_ref(), options)?;
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

    let bounds = options.matrix_bounds;
    eprintln!(
        "swb-check: report: 2/5 the comparison matrix ({} bounds)",
        bounds.name()
    );
    let matrix = run_comparison(bounds, inputs.scenarios, options, dir)?;
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

    eprintln!("swb-check: report: 3/5 replaying the matrix's counterexamples");
    // The matrix's own files, as its cells name them (not a directory listing).
    let matrix_files = matrix
        .cells
        .iter()
        .flat_map(|cell| cell.violated.iter())
        .filter_map(|violation| violation.file.clone())
        .collect();
    let matrix_traces = replays::replay_matrix_traces(dir, matrix_files)?;

    eprintln!("swb-check: report: 4/5 per-action coverage");
    let Ok(coverage) = coverage::measure(&model, Symmetry::On, options.interrupt) else {
        return Ok(Gathered::Interrupted);
    };
    let cross_check = CrossCheck::of(&check, &coverage);
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

    let mutants = match &options.mutants {
        Some(selection) => {
            eprintln!("swb-check: report: 5/5 {} guard mutant(s)", selection.len());
            let started = std::time::Instant::now();
            let results = crate::mutants::run_mutants(selection, usize::MAX, options.threads)?;
            Some(MutantsSummary {
                results,
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        None => None,
    };
    if options.interrupted() {
        return Ok(Gathered::Interrupted);
    }

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
        mutants,
        assumptions_heading: inputs.assumptions_heading,
        assumptions: inputs.assumptions,
    })))
}

/// The check as `swb-check check` runs it by default: DFS, symmetry on, no limits, no files.
fn run_default_check(
    model: &SwbModel,
    progress: Option<&ProgressRun>,
    options: &ReportOptions,
) -> anyhow::Result<CheckSummary> {
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
    let mut outcome = run_check(
        model.clone(),
        Some(SwbModel::representative),
        &check_options,
    )?;
    if let Some(run) = progress {
        crate::liveness::add_progress_outcome(model, run, &mut outcome);
    }
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
        end_states: outcome.end_states,
        progress: outcome.progress,
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
