//! `swb-check compare`: every scenario × protocol version cell of the catalog, checked in
//! parallel, printed as a matrix with each cell marked where it differs from its expectation.
//!
//! 1. Cells run on a rayon pool of `--threads` workers, handed out longest first (an estimate
//!    from the scenario's configuration, `expected_cost`); each cell's search is one DFS thread
//!    with symmetry reduction and always runs to completion, so a cell's counts and its
//!    counterexample paths depend neither on the schedule nor on how many cells run beside it
//!    (STYLE: a reported counterexample must not depend on thread count).
//! 2. Results are collected, then sorted (matrix: catalog order, then version; JSON: scenario name,
//!    then version), never printed in completion order.
//! 3. Every violation is minimised and saved as a counterexample file by `counterexample::save_violations`
//!    (`<dir>/<scenario>/<protocol>/<property>.json`); the matrix and the document show the saved trace.
//! 4. `docs/comparison.md` is rendered from the cells and the catalog's explanations only, with
//!    no timings, so regenerating it at the same bounds gives the same bytes.

use crate::check::{run_check, CheckOptions, Completion, Kind, Status, Strategy};
use crate::counterexample::{self, SearchBudget};
use crate::progress::ProgressMode;
use crate::scenario::explain::explanation;
use crate::scenario::{catalog, describe_expected, Bounds, Cost, Scenario, INEXPRESSIBLE};
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use stateright::Model;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use swb_model::{ProtocolVersion, SwbModel};

#[cfg(test)]
mod corpus;

/// What one `compare` run covers and how.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Rows, in catalog order.
    pub scenarios: Vec<Scenario>,
    /// Columns, oldest first.
    pub protocols: Vec<ProtocolVersion>,
    /// Cells checked at once.
    pub threads: NonZeroUsize,
    /// The bound set scenarios restrict.
    pub bounds: Bounds,
    /// A cell still running after this long is cut (and reported incomplete).
    pub cell_timeout: Option<Duration>,
    /// Where counterexample files go; `None` saves none.
    pub counterexample_dir: Option<PathBuf>,
    /// Ctrl-C.
    pub interrupt: Option<&'static AtomicBool>,
    /// Progress display on stderr.
    pub progress: ProgressMode,
}

/// One violated `always` property of a cell, with its trace.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The property.
    pub property: &'static str,
    /// The trace, one described action per step.
    pub steps: Vec<String>,
    /// The saved counterexample file, if saving was on.
    pub file: Option<PathBuf>,
}

/// The measured verdict of one scenario under one protocol version.
#[derive(Clone, Debug)]
pub struct Cell {
    pub scenario: Scenario,
    pub bounds: Bounds,
    pub protocol: ProtocolVersion,
    /// Sorted by property name.
    pub violated: Vec<Violation>,
    /// Every unreached `sometimes`, sorted by name.
    pub unreached: Vec<&'static str>,
    pub unique_states: usize,
    pub seconds: f64,
    pub completion: Completion,
}

impl Cell {
    /// The violated property names, sorted.
    pub fn violated_names(&self) -> Vec<&'static str> {
        self.violated
            .iter()
            .map(|violation| violation.property)
            .collect()
    }

    /// True when the run was complete and its violated and unreached sets equal the expected.
    pub fn matches_expected(&self) -> bool {
        let expected = self.scenario.expected(self.bounds, self.protocol);
        self.completion == Completion::Complete
            && self.violated_names() == expected.violated
            && self.unreached == self.scenario.expected_unreached(self.bounds, self.protocol)
    }

    /// The unreached witnesses beyond the scenario's out-of-scope ones.
    fn unreached_in_scope(&self) -> Vec<&'static str> {
        self.unreached
            .iter()
            .filter(|name| {
                !self
                    .scenario
                    .verdicts(self.bounds)
                    .out_of_scope
                    .contains(name)
            })
            .copied()
            .collect()
    }

    /// The cell's verdict in a few words: `holds`, `✗ property (n)` per violation,
    /// `unreached: witness` for in-scope witnesses never reached, `incomplete (limit)`.
    pub fn verdict_text(&self) -> String {
        let mut parts: Vec<String> = self
            .violated
            .iter()
            .map(|violation| format!("✗ {} ({})", violation.property, violation.steps.len()))
            .collect();
        let unreached = self.unreached_in_scope();
        if !unreached.is_empty() {
            parts.push(format!("unreached: {}", unreached.join(", ")));
        }
        if let Completion::Incomplete(limit) = self.completion {
            parts.push(format!("incomplete ({})", limit.name()));
        }
        if parts.is_empty() {
            parts.push("holds".to_owned());
        }
        parts.join("; ")
    }

    /// The verdict with a `≠` mark where it differs from the expectation.
    pub fn marked_verdict(&self) -> String {
        if self.matches_expected() {
            self.verdict_text()
        } else {
            format!("≠ {}", self.verdict_text())
        }
    }
}

/// The shortest-trace search budget per violation: small, because a cell's violations recur
/// across scenarios and a shrunk trace is still a valid, deterministic one.
const MINIMISE_STATES_MAX: usize = 50_000;

/// Checks one cell: the scenario's configuration under `protocol`, one DFS thread, symmetry on.
pub fn run_cell(
    scenario: &Scenario,
    protocol: ProtocolVersion,
    options: &CompareOptions,
) -> anyhow::Result<Cell> {
    let config = scenario.config(&options.bounds.base(), protocol);
    config
        .validate()
        .with_context(|| format!("scenario {} under {protocol}", scenario.name))?;
    let model = swb_properties::build_model(&config);
    let check_options = CheckOptions {
        timeout: options.cell_timeout,
        interrupt: options.interrupt,
        ..CheckOptions::unlimited(Strategy::Dfs, NonZeroUsize::MIN)
    };
    let outcome = run_check(
        model.clone(),
        Some(SwbModel::representative),
        &check_options,
    )
    .with_context(|| format!("checking scenario {} under {protocol}", scenario.name))?;
    let saved = match &options.counterexample_dir {
        Some(dir) => {
            let budget = SearchBudget {
                states_max: MINIMISE_STATES_MAX,
                interrupt: options.interrupt,
            };
            counterexample::save_violations(&model, scenario.name, &outcome.properties, dir, budget)
                .with_context(|| {
                    format!(
                        "saving the counterexamples of {} under {protocol}",
                        scenario.name
                    )
                })?
        }
        None => Vec::new(),
    };
    let mut violated = Vec::new();
    let mut unreached = Vec::new();
    for property in &outcome.properties {
        match (property.kind, property.status) {
            (Kind::Always | Kind::Eventually, Status::Violated) => {
                let file = saved
                    .iter()
                    .find(|saved| saved.property == property.name)
                    .map(|saved| saved.file.clone());
                // The saved (minimised) trace when there is one, else the path the search found.
                let steps = match &file {
                    Some(file) => counterexample::load(file)
                        .with_context(|| format!("reading back {}", file.display()))?
                        .steps()
                        .into_iter()
                        .filter_map(|(_, action)| action)
                        .map(|action| model.format_action(&action))
                        .collect(),
                    None => property
                        .discovery
                        .clone()
                        .map(|path| path.into_actions())
                        .unwrap_or_default()
                        .iter()
                        .map(|action| model.format_action(action))
                        .collect(),
                };
                violated.push(Violation {
                    property: property.name,
                    steps,
                    file,
                });
            }
            (Kind::Sometimes, Status::Unreached) => unreached.push(property.name),
            _ => {}
        }
    }
    violated.sort_by_key(|violation| violation.property);
    unreached.sort_unstable();
    Ok(Cell {
        scenario: *scenario,
        bounds: options.bounds,
        protocol,
        violated,
        unreached,
        unique_states: outcome.unique_states,
        seconds: outcome.elapsed.as_secs_f64(),
        completion: outcome.completion,
    })
}

/// Checks every cell in parallel, with one progress line per running cell, and returns the cells
/// in catalog order, then version order.
pub fn run_matrix(options: &CompareOptions) -> anyhow::Result<Vec<Cell>> {
    let work: Vec<(usize, Scenario, ProtocolVersion)> = options
        .scenarios
        .iter()
        .enumerate()
        .flat_map(|(row, scenario)| {
            options
                .protocols
                .iter()
                .map(move |protocol| (row, *scenario, *protocol))
        })
        .collect();
    let mut work = work;
    // Longest cells first (a stable sort keeps catalog order among equals): workers take cells
    // from the front of this list as they free up, so the last cells to start are the short
    // ones and no worker is left alone with a heavy cell at the end.
    work.sort_by_key(|(_, scenario, protocol)| {
        std::cmp::Reverse(expected_cost(scenario, *protocol, options.bounds))
    });
    let display = Display::new(options.progress, work.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.get())
        .build()
        .context("starting the cell pool")?;
    let results: Vec<anyhow::Result<(usize, Cell)>> = pool.install(|| {
        // `par_bridge` hands the cells out one at a time in list order, which is the schedule;
        // `par_iter` would split the list in halves up front.
        work.iter()
            .par_bridge()
            .map(|(row, scenario, protocol)| {
                let running = display.start(scenario.name, *protocol);
                let cell = run_cell(scenario, *protocol, options);
                display.finish(running, cell.as_ref().ok());
                cell.map(|cell| (*row, cell))
            })
            .collect()
    });
    display.clear();
    let mut cells = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    cells.sort_by_key(|(row, cell)| (*row, cell.protocol));
    Ok(cells.into_iter().map(|(_, cell)| cell).collect())
}

/// A cell's expected cost, for the schedule only (never for a verdict), largest first in this
/// order: heavy scenarios; then any version but V1, whose cells are the smallest of their row
/// because it never recovers a replica; then the configuration's weight: writes plus faults
/// per run, with crashes and lease expiries counted twice, since a restarted node or a new
/// epoch starts the protocol over from a new state (measured with `compare --json`: the
/// largest light cells are the crash and lease-expiry ones); then the version, newest first.
fn expected_cost(
    scenario: &Scenario,
    protocol: ProtocolVersion,
    bounds: Bounds,
) -> (bool, bool, u8, ProtocolVersion) {
    let config = scenario.config(&bounds.base(), protocol);
    let weight =
        config.writes_max + config.faults_max + config.crashes_max + config.lease_expiries_max;
    (
        scenario.cost == Cost::Heavy,
        protocol != ProtocolVersion::V1,
        weight,
        protocol,
    )
}

/// The progress display: an indicatif `MultiProgress` with a spinner per running cell on a
/// terminal, one plain line per started and finished cell otherwise.
struct Display {
    mode: ProgressMode,
    multi: MultiProgress,
    total: usize,
    finished: std::sync::atomic::AtomicUsize,
}

impl Display {
    fn new(mode: ProgressMode, total: usize) -> Display {
        let target = match mode {
            ProgressMode::Terminal => ProgressDrawTarget::stderr(),
            ProgressMode::Lines { .. } | ProgressMode::Silent => ProgressDrawTarget::hidden(),
        };
        Display {
            mode,
            multi: MultiProgress::with_draw_target(target),
            total,
            finished: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn start(&self, scenario: &str, protocol: ProtocolVersion) -> Option<ProgressBar> {
        let label = format!("{scenario} × {protocol}");
        match self.mode {
            ProgressMode::Terminal => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                        .expect("the progress template is valid"),
                );
                bar.set_message(label);
                bar.enable_steady_tick(Duration::from_millis(100));
                Some(bar)
            }
            ProgressMode::Lines { .. } => {
                eprintln!("swb-check: compare: started {label}");
                None
            }
            ProgressMode::Silent => None,
        }
    }

    fn finish(&self, bar: Option<ProgressBar>, cell: Option<&Cell>) {
        let done = 1 + self
            .finished
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let line = match cell {
            Some(cell) => format!(
                "[{done}/{}] {} × {}: {} ({} states, {:.1} s)",
                self.total,
                cell.scenario.name,
                cell.protocol,
                cell.marked_verdict(),
                cell.unique_states,
                cell.seconds
            ),
            None => format!("[{done}/{}] a cell failed to run", self.total),
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
            self.multi.remove(&bar);
            // Printing above the bars can only fail on a closed stderr: nothing to report to.
            let _ = self.multi.println(line);
        } else if self.mode != ProgressMode::Silent {
            eprintln!("swb-check: compare: {line}");
        }
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

/// The matrix for people: rows scenarios, columns versions, `≠` where a cell differs from its
/// expectation, then one line per mismatch with what was expected.
pub fn render_matrix(cells: &[Cell], protocols: &[ProtocolVersion]) -> String {
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("scenario".to_owned())
        .chain(protocols.iter().map(|protocol| protocol.name().to_owned()))
        .collect()];
    for scenario_cells in rows_of(cells) {
        let mut row = vec![scenario_cells[0].scenario.name.to_owned()];
        for protocol in protocols {
            row.push(
                scenario_cells
                    .iter()
                    .find(|cell| cell.protocol == *protocol)
                    .map_or_else(|| "-".to_owned(), |cell| cell.marked_verdict()),
            );
        }
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(value, width)| format!("{value}{}", " ".repeat(width - value.chars().count())))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    let mismatches: Vec<&Cell> = cells
        .iter()
        .filter(|cell| !cell.matches_expected())
        .collect();
    text.push('\n');
    if mismatches.is_empty() {
        text.push_str(&format!(
            "every cell matches its expectation ({} cells)\n",
            cells.len()
        ));
    } else {
        text.push_str(&format!(
            "{} of {} cells differ from their expectation:\n",
            mismatches.len(),
            cells.len()
        ));
        for cell in mismatches {
            let expected = cell.scenario.expected(cell.bounds, cell.protocol);
            text.push_str(&format!(
                "  {} × {}: expected violated [{}], unreached [{}]; measured violated [{}], unreached [{}]{}\n",
                cell.scenario.name,
                cell.protocol,
                expected.violated.join(", "),
                cell.scenario.expected_unreached(cell.bounds, cell.protocol).join(", "),
                cell.violated_names().join(", "),
                cell.unreached.join(", "),
                match cell.completion {
                    Completion::Complete => String::new(),
                    Completion::Incomplete(limit) => format!(" (incomplete: {})", limit.name()),
                }
            ));
        }
    }
    let total: f64 = cells.iter().map(|cell| cell.seconds).sum();
    text.push_str(&format!("cell seconds, summed: {total:.1}\n"));
    text
}

/// The cells grouped by scenario, in the order given.
pub fn rows_of(cells: &[Cell]) -> Vec<Vec<&Cell>> {
    let mut rows: Vec<Vec<&Cell>> = Vec::new();
    for cell in cells {
        match rows.last_mut() {
            Some(row) if row[0].scenario.name == cell.scenario.name => row.push(cell),
            _ => rows.push(vec![cell]),
        }
    }
    rows
}

/// `--json`: one object with the cells, sorted by scenario name, then version.
#[derive(Debug, Serialize)]
pub struct CompareReport {
    pub bounds: &'static str,
    pub cells: Vec<CellReport>,
}

/// One cell in the JSON report.
#[derive(Debug, Serialize)]
pub struct CellReport {
    pub scenario: &'static str,
    pub protocol: &'static str,
    pub matches_expected: bool,
    pub complete: bool,
    pub violated: Vec<&'static str>,
    pub unreached: Vec<&'static str>,
    pub unique_states: usize,
    pub seconds: f64,
    pub counterexamples: Vec<String>,
}

impl CompareReport {
    /// The report of `cells`.
    pub fn new(bounds: Bounds, cells: &[Cell]) -> CompareReport {
        let mut cells: Vec<CellReport> = cells
            .iter()
            .map(|cell| CellReport {
                scenario: cell.scenario.name,
                protocol: cell.protocol.name(),
                matches_expected: cell.matches_expected(),
                complete: cell.completion == Completion::Complete,
                violated: cell.violated_names(),
                unreached: cell.unreached.clone(),
                unique_states: cell.unique_states,
                seconds: (cell.seconds * 1000.0).round() / 1000.0,
                counterexamples: cell
                    .violated
                    .iter()
                    .filter_map(|violation| violation.file.as_ref())
                    .map(|file| file.display().to_string())
                    .collect(),
            })
            .collect();
        // Version names sort oldest first as strings too ("v1" < "v1.5" < "v2").
        cells.sort_by(|a, b| (a.scenario, a.protocol).cmp(&(b.scenario, b.protocol)));
        CompareReport {
            bounds: bounds.name(),
            cells,
        }
    }

    /// The JSON object, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("the report serializes");
        json.push('\n');
        json
    }
}

/// The document `docs/comparison.md`: the bounds, the matrix, every older-version failure with
/// its shortest trace and the V2 rule that prevents it, the findings, and what the model cannot
/// express. Built from the cells and the catalog only, so it is reproducible.
pub fn render_doc(bounds: Bounds, cells: &[Cell], protocols: &[ProtocolVersion]) -> String {
    let mut doc = String::new();
    doc.push_str("# V1, V1.5 and V2 on one model: the comparison matrix\n\n");
    doc.push_str(&format!(
        "Generated by `swb-check compare --{} --write-doc`; do not edit. A test regenerates it and \
         fails when this file is stale. How each version is modelled: `docs/versions.md`. The \
         scenarios: `swb-check scenarios` (`docs/scenarios.md`).\n\n",
        bounds.name()
    ));
    doc.push_str(&format!(
        "Bounds: the `{}` base ({}, every fault off), with each scenario's faults as listed below. Each cell is an \
         exhaustive DFS with symmetry reduction, one thread.\n\n",
        bounds.name(),
        bounds.describe()
    ));

    doc.push_str("## The matrix\n\n");
    doc.push_str("Each cell: `holds` (every `always` holds and every in-scope `sometimes` is reached), `✗ property (n)` \
                  (violated, with the length of the trace found), `unreached: witness` (a situation the version never \
                  reaches). `≠` marks a cell that differs from its expectation.\n\n");
    doc.push_str("| scenario | faults |");
    for protocol in protocols {
        doc.push_str(&format!(" {protocol} |"));
    }
    doc.push_str("\n|---|---|");
    for _ in protocols {
        doc.push_str("---|");
    }
    doc.push('\n');
    for row in rows_of(cells) {
        let scenario = row[0].scenario;
        doc.push_str(&format!(
            "| `{}` | {} |",
            scenario.name,
            scenario.describe_faults(&bounds.base())
        ));
        for protocol in protocols {
            let text = row
                .iter()
                .find(|cell| cell.protocol == *protocol)
                .map_or_else(|| "-".to_owned(), |cell| cell.marked_verdict());
            doc.push_str(&format!(" {} |", text.replace('|', "\\|")));
        }
        doc.push('\n');
    }

    let skipped: Vec<Scenario> = catalog()
        .into_iter()
        .filter(|scenario| !cells.iter().any(|cell| cell.scenario.name == scenario.name))
        .collect();
    if !skipped.is_empty() {
        doc.push_str(&format!(
            "\nNot run at the `{}` bounds (heavy: hundreds of thousands of states per cell), with their expected \
             verdicts; `swb-check compare` at the default bounds checks them:\n\n",
            bounds.name()
        ));
        doc.push_str("| scenario | faults |");
        for protocol in protocols {
            doc.push_str(&format!(" {protocol} (expected) |"));
        }
        doc.push_str("\n|---|---|");
        for _ in protocols {
            doc.push_str("---|");
        }
        doc.push('\n');
        for scenario in &skipped {
            doc.push_str(&format!(
                "| `{}` | {} |",
                scenario.name,
                scenario.describe_faults(&bounds.base())
            ));
            for protocol in protocols {
                doc.push_str(&format!(
                    " {} |",
                    describe_expected(scenario.expected(Bounds::Default, *protocol))
                ));
            }
            doc.push('\n');
        }
    }

    doc.push_str("\n## Why the older versions fail\n\n");
    doc.push_str("One entry per (version, property) that fails anywhere in the matrix, with the shortest trace \
                  found among the scenarios where it fails.\n");
    let mut failures: BTreeMap<(ProtocolVersion, &'static str), Vec<&Cell>> = BTreeMap::new();
    for cell in cells
        .iter()
        .filter(|cell| cell.protocol != ProtocolVersion::V2)
    {
        for name in cell
            .violated_names()
            .into_iter()
            .chain(cell.unreached_in_scope())
        {
            failures
                .entry((cell.protocol, name))
                .or_default()
                .push(cell);
        }
    }
    for ((protocol, property), failing) in &failures {
        let kind = swb_properties::find(property).map_or("property", |info| info.kind.name());
        let verb = if kind == "always" {
            "violated"
        } else {
            "never reached"
        };
        doc.push_str(&format!("\n### {protocol}: `{property}` {verb}\n\n"));
        let names: Vec<String> = failing
            .iter()
            .map(|cell| format!("`{}`", cell.scenario.name))
            .collect();
        doc.push_str(&format!("Scenarios: {}.\n\n", names.join(", ")));
        match explanation(property, *protocol) {
            Some(explained) => {
                doc.push_str(&format!("- Criterion: {}.\n", explained.criterion));
                doc.push_str(&format!("- How {protocol} gets there: {}\n", explained.how));
                doc.push_str(&format!(
                    "- The V2 rule that prevents it: {}\n",
                    explained.v2_rule
                ));
            }
            None => doc.push_str(
                "- No explanation in the catalog yet (`checker/src/scenario/explain.rs`).\n",
            ),
        }
        let shortest = failing
            .iter()
            .filter_map(|cell| {
                cell.violated
                    .iter()
                    .find(|violation| violation.property == *property)
                    .map(|violation| (violation.steps.len(), cell.scenario.name, &violation.steps))
            })
            .min();
        if let Some((length, scenario, steps)) = shortest {
            doc.push_str(&format!(
                "\nShortest trace ({length} steps, `{scenario}`):\n\n"
            ));
            for (index, step) in steps.iter().enumerate() {
                doc.push_str(&format!("{}. {step}\n", index + 1));
            }
        }
    }

    let findings: Vec<&Scenario> = rows_of(cells)
        .into_iter()
        .map(|row| &row[0].scenario)
        .filter(|scenario| scenario.finding.is_some())
        .collect();
    doc.push_str("\n## Findings: where the model differs from upstream's expectation\n\n");
    if findings.is_empty() {
        doc.push_str("None.\n");
    }
    for scenario in findings {
        doc.push_str(&format!(
            "- `{}`: {}\n",
            scenario.name,
            scenario.finding.unwrap_or_default()
        ));
    }

    doc.push_str("\n## Backlog scenarios the model cannot express\n\n");
    for entry in INEXPRESSIBLE {
        doc.push_str(&format!(
            "- `{}` ({}): {}.\n",
            entry.name, entry.source, entry.reason
        ));
    }
    doc
}

/// The matrix's rows: the scenarios `names` (`--scenarios`), in catalog order whatever order
/// they were given in, or, when none are named, every scenario the bounds run (the quick matrix
/// leaves the heavy ones out; naming one runs it anyway). An unknown name is bad input.
pub fn select_scenarios(bounds: Bounds, names: &[String]) -> anyhow::Result<Vec<Scenario>> {
    let catalog = catalog();
    if names.is_empty() {
        return Ok(catalog
            .iter()
            .filter(|scenario| bounds == Bounds::Default || scenario.cost == Cost::Light)
            .copied()
            .collect());
    }
    let mut chosen = Vec::new();
    for name in names {
        let scenario = crate::scenario::find(name)?;
        if !chosen
            .iter()
            .any(|known: &Scenario| known.name == scenario.name)
        {
            chosen.push(scenario);
        }
    }
    chosen.sort_by_key(|scenario| catalog.iter().position(|known| known.name == scenario.name));
    Ok(chosen)
}

/// The matrix's columns: the versions asked for (`--protocols`), oldest first, or all three.
pub fn select_protocols(asked: &[crate::cli::ProtocolArg]) -> Vec<ProtocolVersion> {
    let mut protocols: Vec<ProtocolVersion> = if asked.is_empty() {
        ProtocolVersion::ALL.to_vec()
    } else {
        asked.iter().map(|protocol| protocol.version()).collect()
    };
    protocols.sort_unstable();
    protocols.dedup();
    protocols
}

/// `swb-check compare`: resolves the arguments, runs the matrix, prints it (or the JSON), writes
/// the document when asked. Exit 0 only when every cell matches its expectation.
pub fn command(args: &crate::cli::CompareArgs) -> anyhow::Result<std::process::ExitCode> {
    let bounds = if args.quick {
        Bounds::Quick
    } else {
        Bounds::Default
    };
    let scenarios = select_scenarios(bounds, &args.scenarios)?;
    let protocols = select_protocols(&args.protocols);
    if args.write_doc {
        anyhow::ensure!(
            bounds == Bounds::Quick,
            "--write-doc records the quick bounds the staleness test regenerates: add --quick"
        );
        anyhow::ensure!(
            args.scenarios.is_empty() && args.protocols.is_empty(),
            "--write-doc documents the whole catalog: drop --scenarios and --protocols"
        );
    }
    // A quick run's traces are minimised like any other (the document shows them) but kept only
    // when asked: the checked-in corpus holds the default-bounds traces, and a quick run must not
    // replace them. Unasked, they go to a scratch folder removed when the command ends.
    let scratch = match (&args.counterexamples, args.quick) {
        (None, true) => Some(ScratchDir::create()?),
        _ => None,
    };
    let counterexample_dir = match (&args.counterexamples, &scratch) {
        (Some(dir), _) => dir.clone(),
        (None, Some(scratch)) => scratch.0.clone(),
        (None, None) => PathBuf::from("counterexamples"),
    };
    let options = CompareOptions {
        scenarios,
        protocols: protocols.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)),
        bounds,
        cell_timeout: args.timeout,
        counterexample_dir: Some(counterexample_dir),
        interrupt: Some(crate::interrupt::install()?),
        progress: ProgressMode::for_stderr(),
    };
    let cells = run_matrix(&options)?;
    if args.json {
        crate::output::write_stdout(&CompareReport::new(bounds, &cells).to_json())?;
    } else {
        crate::output::write_stdout(&render_matrix(&cells, &protocols))?;
    }
    if args.write_doc {
        counterexample::write_atomically(
            &args.doc,
            render_doc(bounds, &cells, &protocols).as_bytes(),
        )
        .with_context(|| format!("{}: cannot write", args.doc.display()))?;
        eprintln!("swb-check: wrote {}", args.doc.display());
    }
    Ok(if cells.iter().all(Cell::matches_expected) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}

/// A folder for a quick run's counterexamples, removed with everything in it when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn create() -> anyhow::Result<ScratchDir> {
        let path = std::env::temp_dir().join(format!("swb-check-quick-{}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("{}: cannot create a scratch folder", path.display()))?;
        Ok(ScratchDir(path))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
