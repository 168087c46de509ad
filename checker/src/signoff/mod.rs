//! `swb-check report --out DIR`: the gate-2 sign-off report.
//!
//! One run gathers the evidence a reviewer signs off on, then renders it twice from the same
//! values: `DIR/report.md` and a self-contained `DIR/index.html` (inline CSS and SVG, no script,
//! nothing fetched). The evidence:
//! 1. the default check (the configuration given, or the embedded default), exhaustive DFS with
//!    symmetry reduction, with every property's status;
//! 2. the version comparison matrix, at the quick bounds by default (`--full-matrix`: the default
//!    bounds and the whole catalog), its counterexamples saved under `DIR/counterexamples`;
//! 3. every counterexample of the corpus (`--counterexamples`, default `counterexamples/`) and of
//!    the matrix, re-checked in the model, replayed on the engine and drawn as a chart;
//! 4. per-action coverage of the checked configuration ([`coverage`]);
//! 5. the assumptions, parsed from `docs/design.md` ([`assumptions`]).
//!
//! Files are written whole (a temporary file, then a rename), the charts first and the two
//! reports last, so a reader never sees a half-written report. Exit codes follow `check`: 0 all
//! as expected, 1 something is not (a violation, an unreached witness, a cell that differs from
//! its expectation, a replay that does not give its expected verdict, an unreadable trace), 2 bad
//! input (nothing is written), 3 the check was interrupted.

pub mod assumptions;
pub mod coverage;
mod html;
mod markdown;
pub mod metadata;
mod replays;

#[cfg(test)]
pub(crate) mod tests;

use crate::check::{run_check, CheckOptions, Completion, Kind, Status, Strategy, Verdict};
use crate::compare::{run_matrix, Cell, CompareOptions};
use crate::progress::ProgressMode;
use crate::scenario::{catalog, Bounds, Cost, Scenario};
use anyhow::Context;
use assumptions::Assumption;
use coverage::Coverage;
use metadata::GitCommit;
use replays::TraceEntry;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swb_model::{Config, ProtocolVersion, SwbModel};

/// Everything the report shows, gathered once and rendered as Markdown and HTML.
pub struct SignoffReport {
    pub meta: RunMetadata,
    pub check: CheckSummary,
    pub matrix: MatrixSummary,
    pub traces: Vec<TraceEntry>,
    /// Where the corpus was read from, or why none was.
    pub corpus: CorpusSource,
    pub coverage: Coverage,
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
pub struct CheckSummary {
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
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
    /// Actions on the path the check found (a witness for `sometimes`).
    pub trace_len: Option<usize>,
}

/// The comparison matrix and the bounds it ran at.
pub struct MatrixSummary {
    pub bounds: Bounds,
    pub protocols: Vec<ProtocolVersion>,
    /// In catalog order, then version order.
    pub cells: Vec<Cell>,
    /// Catalog scenarios the chosen bounds leave out (heavy at quick bounds).
    pub skipped: Vec<Scenario>,
    pub seconds: f64,
}

/// Where the counterexample corpus came from.
pub enum CorpusSource {
    Directory(PathBuf),
    /// The default directory does not exist here.
    Absent(PathBuf),
}

impl SignoffReport {
    /// The exit code: 0 every part as expected, 3 the check was cut, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        if self.check.verdict == Verdict::Incomplete {
            return ExitCode::from(3);
        }
        let as_expected = self.check.verdict == Verdict::AllHold
            && self.matrix.cells.iter().all(Cell::matches_expected)
            && self.traces.iter().all(TraceEntry::as_expected);
        if as_expected {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }

    /// One line per part for stderr: what the report found.
    pub fn summary_lines(&self) -> Vec<String> {
        let matching = self
            .matrix
            .cells
            .iter()
            .filter(|cell| cell.matches_expected())
            .count();
        let traces_ok = self.traces.iter().filter(|t| t.as_expected()).count();
        vec![
            format!(
                "check: {} ({} unique states, {} total, {:.1} s)",
                verdict_text(self.check.verdict),
                self.check.unique_states,
                self.check.total_states,
                self.check.seconds
            ),
            format!(
                "matrix ({} bounds): {matching} of {} cells match their expectation",
                self.matrix.bounds.name(),
                self.matrix.cells.len()
            ),
            format!(
                "counterexamples: {traces_ok} of {} replay as expected",
                self.traces.len()
            ),
            format!(
                "coverage: {} action kinds, {} never fired",
                self.coverage.rows.len(),
                self.coverage.never_fired().len()
            ),
        ]
    }
}

/// The coverage pass against the check: both explore the same space, so their counts agree
/// unless the check's multi-threaded DFS met a different member of some symmetry class first
/// (its unique count then depends on timing) or a fingerprint collided.
pub fn cross_check(report: &SignoffReport) -> String {
    let coverage = &report.coverage;
    let check = &report.check;
    let same = coverage.unique_states == check.unique_states as u64
        && coverage.total_states == check.total_states as u64;
    if same {
        format!(
            "Cross-check: the check counted the same {} unique and {} total states.",
            check.unique_states, check.total_states
        )
    } else {
        format!(
            "Cross-check: the check ({} thread{}) counted {} unique and {} total states, this \
             single-threaded pass {} and {}. They differ when the check's threads reach a \
             different member of a symmetry class first and the model's successors of \
             symmetric states are not exactly symmetric; the pass's counts are reproducible.",
            report.meta.threads,
            if report.meta.threads.get() == 1 {
                ""
            } else {
                "s"
            },
            check.unique_states,
            check.total_states,
            coverage.unique_states,
            coverage.total_states
        )
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

/// What one `report` run covers, resolved from the command line.
pub struct ReportOptions {
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    pub full_matrix: bool,
    pub scenarios: Vec<Scenario>,
    pub protocols: Vec<ProtocolVersion>,
    pub corpus: Option<PathBuf>,
    pub threads: NonZeroUsize,
    pub progress: ProgressMode,
    pub interrupt: Option<&'static std::sync::atomic::AtomicBool>,
}

/// `swb-check report`.
pub fn command(args: &crate::cli::ReportArgs) -> anyhow::Result<ExitCode> {
    let mut scenarios = Vec::new();
    for name in &args.scenarios {
        let scenario = crate::scenario::find(name)?;
        if !scenarios
            .iter()
            .any(|known: &Scenario| known.name == scenario.name)
        {
            scenarios.push(scenario);
        }
    }
    let mut protocols: Vec<ProtocolVersion> = args
        .protocols
        .iter()
        .map(|protocol| protocol.version())
        .collect();
    protocols.sort_unstable();
    protocols.dedup();
    let options = ReportOptions {
        out: args.out.clone(),
        config: args.config.clone(),
        full_matrix: args.full_matrix,
        scenarios,
        protocols,
        corpus: args.counterexamples.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)),
        progress: ProgressMode::for_stderr(),
        interrupt: Some(crate::interrupt::install()?),
    };
    let report = gather(&options)?;
    write(&report, &options.out)?;
    for line in report.summary_lines() {
        eprintln!("swb-check: report: {line}");
    }
    println!("{}", options.out.join("index.html").display());
    println!("{}", options.out.join("report.md").display());
    Ok(report.exit_code())
}

/// Resolves and validates every input before anything long runs, so bad input costs nothing
/// and leaves nothing behind.
struct Inputs {
    config: Config,
    config_source: String,
    corpus: CorpusSource,
    assumptions_heading: String,
    assumptions: Vec<Assumption>,
}

fn resolve_inputs(options: &ReportOptions) -> anyhow::Result<Inputs> {
    let (config, config_source) = match &options.config {
        Some(path) => {
            let config = Config::from_path(path).context("reading the configuration")?;
            config
                .validate()
                .with_context(|| format!("checking the configuration {}", path.display()))?;
            (config, path.display().to_string())
        }
        None => {
            let config = Config::default();
            config
                .validate()
                .context("checking the embedded default configuration")?;
            (config, "embedded default".to_owned())
        }
    };
    let corpus = match &options.corpus {
        Some(path) => {
            anyhow::ensure!(
                path.is_dir(),
                "--counterexamples {}: not a directory",
                path.display()
            );
            CorpusSource::Directory(path.clone())
        }
        None => {
            let default = PathBuf::from("counterexamples");
            if default.is_dir() {
                CorpusSource::Directory(default)
            } else {
                CorpusSource::Absent(default)
            }
        }
    };
    anyhow::ensure!(
        !options.out.exists() || options.out.is_dir(),
        "--out {}: exists and is not a directory",
        options.out.display()
    );
    let (assumptions_heading, assumptions) =
        assumptions::assumptions().context("reading the assumptions")?;
    Ok(Inputs {
        config,
        config_source,
        corpus,
        assumptions_heading,
        assumptions,
    })
}

/// Runs the check, the matrix, the replays and the coverage pass.
pub fn gather(options: &ReportOptions) -> anyhow::Result<SignoffReport> {
    let inputs = resolve_inputs(options)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("creating {}", options.out.display()))?;
    let model = swb_properties::build_model(&inputs.config);

    eprintln!(
        "swb-check: report: 1/4 the check ({})",
        inputs.config_source
    );
    let check = run_default_check(&model, options)?;

    let bounds = if options.full_matrix {
        Bounds::Default
    } else {
        Bounds::Quick
    };
    eprintln!(
        "swb-check: report: 2/4 the comparison matrix ({} bounds)",
        bounds.name()
    );
    let matrix = run_comparison(bounds, options)?;

    eprintln!("swb-check: report: 3/4 replaying the counterexamples");
    let mut files = match &inputs.corpus {
        CorpusSource::Directory(dir) => replays::trace_files(dir)?
            .into_iter()
            .map(|file| (replays::Origin::Corpus, file))
            .collect(),
        CorpusSource::Absent(_) => Vec::new(),
    };
    // The matrix's own files, as its cells name them (not a directory listing, which could
    // hold files of an earlier run), sorted.
    let mut matrix_files: Vec<PathBuf> = matrix
        .cells
        .iter()
        .flat_map(|cell| cell.violated.iter())
        .filter_map(|violation| violation.file.clone())
        .collect();
    matrix_files.sort();
    matrix_files.dedup();
    files.extend(
        matrix_files
            .into_iter()
            .map(|file| (replays::Origin::Matrix, file)),
    );
    let traces: Vec<TraceEntry> = files
        .into_iter()
        .enumerate()
        .map(|(index, (origin, file))| replays::examine(index + 1, origin, &file, &options.out))
        .collect();

    eprintln!("swb-check: report: 4/4 per-action coverage");
    let coverage = coverage::measure(&model, true, options.interrupt)?;

    Ok(SignoffReport {
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
        traces,
        corpus: inputs.corpus,
        coverage,
        assumptions_heading: inputs.assumptions_heading,
        assumptions: inputs.assumptions,
    })
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
                trace_len: found.trace_len(),
            })
        })
        .collect();
    Ok(CheckSummary {
        unique_states: outcome.unique_states,
        total_states: outcome.total_states,
        max_depth: outcome.max_depth,
        seconds: outcome.elapsed.as_secs_f64(),
        completion: outcome.completion,
        verdict: outcome.verdict(),
        properties,
    })
}

/// The matrix at `bounds`: the scenarios and versions asked for, or the ones the bounds run.
fn run_comparison(bounds: Bounds, options: &ReportOptions) -> anyhow::Result<MatrixSummary> {
    let all = catalog();
    let scenarios: Vec<Scenario> = if options.scenarios.is_empty() {
        all.iter()
            .filter(|scenario| bounds == Bounds::Default || scenario.cost == Cost::Light)
            .copied()
            .collect()
    } else {
        let mut chosen = options.scenarios.clone();
        chosen.sort_by_key(|scenario| all.iter().position(|known| known.name == scenario.name));
        chosen
    };
    let skipped = all
        .iter()
        .filter(|scenario| !scenarios.iter().any(|run| run.name == scenario.name))
        .copied()
        .collect();
    let protocols = if options.protocols.is_empty() {
        ProtocolVersion::ALL.to_vec()
    } else {
        options.protocols.clone()
    };
    let compare_options = CompareOptions {
        scenarios,
        protocols: protocols.clone(),
        threads: options.threads,
        bounds,
        cell_timeout: None,
        counterexample_dir: Some(options.out.join("counterexamples")),
        interrupt: options.interrupt,
        progress: options.progress,
    };
    let started = std::time::Instant::now();
    let cells = run_matrix(&compare_options)?;
    Ok(MatrixSummary {
        bounds,
        protocols,
        cells,
        skipped,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the charts, then `report.md` and `index.html`, each whole.
pub fn write(report: &SignoffReport, out: &Path) -> anyhow::Result<()> {
    for trace in &report.traces {
        if let (Some(svg), Some(name)) = (&trace.svg, &trace.chart_file) {
            let file = out.join("charts").join(name);
            crate::counterexample::write_atomically(&file, svg.as_bytes())
                .with_context(|| format!("writing {}", file.display()))?;
        }
    }
    let files = [
        ("report.md", markdown::render(report)),
        ("index.html", html::render(report)),
    ];
    for (name, text) in files {
        let file = out.join(name);
        crate::counterexample::write_atomically(&file, text.as_bytes())
            .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}
