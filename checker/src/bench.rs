//! `swb-check bench`: the default exhaustive DFS check with 1 and then 2 threads, beside
//! stateright's paxos example (3 servers, 3 clients, DFS) on the same machine.
//!
//! Each run is measured in a child process (`swb-check bench --single ...`, hidden) because the
//! kernel's peak resident size (`VmHWM`) is process-wide and never decreases: in one process the
//! second run would inherit the first run's peak. A child reports its resident size just before
//! the search and its peak after it; bytes per unique state is their difference divided by the
//! unique states. A child also reports the CPU time its threads used during the search: CPU
//! seconds over wall seconds is how many cores the search kept busy, which tells a search that
//! scales badly because its threads wait for work from one that is slow on every core. The
//! targets are printed beside the figures, measured and never asserted.
//!
//! Every run is measured `--repeat` times (3 by default), the four runs interleaved so that a
//! slow spell of the machine falls on all of them alike, and the report shows the median run by
//! seconds with the fastest and slowest beside it: on this 2-core virtual machine one run's
//! seconds vary by several percent, enough to move the speed-up across its target. Bytes per
//! unique state is the worst of the repeats.
//!
//! Unique states per second is the product of two figures that the report also prints for the
//! one-thread runs: how many transitions (total states) the search computes per unique state it
//! finds, and how long one transition takes. The first is the model's branching, which says
//! nothing about the tool's speed (a model with more interleavings per state is not slower code),
//! so the paxos target compares the second: microseconds per transition, the model's over paxos's
//! in the same benchmark, at each thread count (issue 14). The cost of the model's code and
//! stateright's per-transition work together is what it measures.
//!
//! For the protocol model the report ends with where the transitions go: one deterministic
//! single-threaded pass over the same state space (`signoff::coverage`, the report's coverage
//! table) counts, per action kind, the transitions and how many of them reach no new state
//! (a state, up to symmetry, that the search had already seen): the work a reduction could save.

pub mod paxos;

use crate::check::{run_check, CheckOptions, Completion, Strategy, Symmetry};
use crate::cli::{BenchArgs, BenchTarget, ModelChoice};
use crate::memory;
use crate::models::{with_model, CheckableModel, ModelTask, SymmetryFn};
use crate::progress::ProgressMode;
use crate::report::ModelInfo;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// The thread counts compared, in the order they run.
const THREAD_COUNTS: [usize; 2] = [1, 2];

/// Target: the default exhaustive check (the main job, every combination of two faults) finishes
/// within this many seconds on 2 cores (issue 14).
const CHECK_SECONDS_MAX: f64 = 120.0;
/// Target: 2 threads explore at least this many times as fast as 1.
const SPEED_UP_MIN: f64 = 1.7;
/// Target: resident growth per unique state, in bytes.
const BYTES_PER_STATE_MAX: f64 = 32.0;
/// Target: microseconds per transition relative to the paxos reference, at most (issue 14).
const PAXOS_TRANSITION_COST_RATIO_MAX: f64 = 1.0;

/// One measured run, as a child prints it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchRun {
    /// `protocol/scenario` of the model measured.
    pub subject: String,
    pub threads: usize,
    pub unique_states: usize,
    pub total_states: usize,
    pub seconds: f64,
    pub symmetry: bool,
    pub complete: bool,
    /// Resident bytes just before the search started.
    pub resident_baseline_bytes: u64,
    /// Peak resident bytes of the child process.
    pub resident_peak_bytes: u64,
    /// CPU time (user and system, every thread) the search used.
    pub cpu_seconds: f64,
}

impl BenchRun {
    fn unique_states_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.unique_states as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Cores kept busy on average: CPU seconds per wall second.
    fn cores_busy(&self) -> f64 {
        if self.seconds > 0.0 {
            self.cpu_seconds / self.seconds
        } else {
            0.0
        }
    }

    /// Transitions computed per unique state found.
    fn total_per_unique_state(&self) -> f64 {
        self.total_states as f64 / self.unique_states.max(1) as f64
    }

    /// Wall microseconds per transition.
    fn microseconds_per_total_state(&self) -> f64 {
        self.seconds * 1e6 / self.total_states.max(1) as f64
    }

    fn bytes_per_unique_state(&self) -> f64 {
        let growth = self
            .resident_peak_bytes
            .saturating_sub(self.resident_baseline_bytes);
        growth as f64 / self.unique_states.max(1) as f64
    }
}

/// A figure beside its target.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub name: &'static str,
    pub figure: f64,
    /// `<=` or `>=`.
    pub relation: &'static str,
    pub target: f64,
    pub met: bool,
}

/// A run in the report (the median of its repeats by seconds), with the derived figures.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// `model` or `reference`.
    pub role: &'static str,
    /// How many times the run was measured.
    pub repeats: usize,
    /// The fastest and the slowest repeat.
    pub seconds_min: f64,
    pub seconds_max: f64,
    /// The worst bytes per unique state of the repeats, unrounded: the memory target compares
    /// it, and a figure rounded first could pass a target the measurement misses.
    pub bytes_per_unique_state_max: f64,
    #[serde(flatten)]
    pub run: BenchRun,
    pub unique_states_per_second: f64,
    pub resident_peak_mib: f64,
    pub bytes_per_unique_state: f64,
    pub cores_busy: f64,
}

/// A figure of the model's one-thread run beside the reference's: no target, an explanation.
#[derive(Debug, Serialize)]
pub struct ComparisonReport {
    pub name: &'static str,
    pub model: f64,
    pub reference: f64,
}

/// One action kind's transitions in the model's state space, and the share that reached no new
/// state.
#[derive(Debug, Serialize)]
pub struct KindShare {
    pub kind: String,
    pub transitions: usize,
    pub new_states: usize,
    /// `1 - new_states / transitions`.
    pub no_new_state_share: f64,
}

/// The whole benchmark: runs sorted by (role, threads), then the targets in a fixed order, then
/// the one-thread comparison figures, then (protocol model only) where the transitions go.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub runs: Vec<RunReport>,
    pub targets: Vec<TargetReport>,
    pub comparison: Vec<ComparisonReport>,
    /// Per action kind with at least one transition, in the coverage table's order.
    pub transitions_by_kind: Vec<KindShare>,
}

/// Runs `swb-check bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    match args.single {
        Some(target) => run_single(args, target),
        None => run_all(args),
    }
}

/// The child side: one run in this process, printed as one JSON line.
fn run_single(args: &BenchArgs, target: BenchTarget) -> anyhow::Result<ExitCode> {
    let threads = args
        .threads
        .context("a --single bench run needs --threads")?;
    let task = SingleRun {
        threads,
        timeout: args.timeout,
    };
    let run = match target {
        BenchTarget::Model => with_model(args.model, args.config.as_deref(), task)?,
        BenchTarget::Paxos => with_model(ModelChoice::Paxos, None, task)?,
    };
    crate::output::write_stdout(&format!("{}\n", serde_json::to_string(&run)?))?;
    Ok(ExitCode::SUCCESS)
}

struct SingleRun {
    threads: NonZeroUsize,
    timeout: Duration,
}

impl ModelTask for SingleRun {
    type Output = BenchRun;

    fn run<M: CheckableModel>(
        self,
        model: M,
        symmetry: SymmetryFn<M>,
        info: ModelInfo,
    ) -> anyhow::Result<BenchRun> {
        let options = CheckOptions {
            strategy: Strategy::Dfs,
            threads: self.threads,
            max_states: None,
            max_depth: None,
            timeout: Some(self.timeout),
            memory_limit_bytes: None,
            interrupt: None,
            progress: ProgressMode::Silent,
        };
        let unreadable = "bench needs /proc/self/status (Linux) to measure memory";
        let resident_baseline_bytes = memory::resident_bytes().context(unreadable)?;
        let cpu_before = process_cpu_seconds()?;
        let outcome = run_check(model, symmetry, &options)?;
        let cpu_seconds = process_cpu_seconds()? - cpu_before;
        let resident_peak_bytes = memory::resident_peak_bytes().context(unreadable)?;
        Ok(BenchRun {
            subject: format!("{}/{}", info.protocol, info.scenario),
            threads: self.threads.get(),
            unique_states: outcome.unique_states,
            total_states: outcome.total_states,
            seconds: outcome.elapsed.as_secs_f64(),
            symmetry: outcome.symmetry == Symmetry::On,
            complete: outcome.completion == Completion::Complete,
            resident_baseline_bytes,
            resident_peak_bytes,
            cpu_seconds,
        })
    }
}

/// CPU time (user and system) this process has used so far, every thread together.
fn process_cpu_seconds() -> anyhow::Result<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the whole `rusage` it is given, or returns -1 and fills nothing;
    // the zeroed value is read only after it reported success.
    let usage = unsafe {
        anyhow::ensure!(
            libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) == 0,
            "bench could not read its CPU time (getrusage)"
        );
        usage.assume_init()
    };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    Ok(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// The parent side: every run in its own child, then the report.
fn run_all(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let plan: Vec<(&'static str, BenchTarget, usize)> = [
        ("model", BenchTarget::Model),
        ("reference", BenchTarget::Paxos),
    ]
    .into_iter()
    .flat_map(|(role, target)| THREAD_COUNTS.map(|threads| (role, target, threads)))
    .collect();
    let mut repeats: Vec<Vec<BenchRun>> = vec![Vec::new(); plan.len()];
    for repeat in 1..=args.repeat {
        for ((role, target, threads), measured) in plan.iter().zip(&mut repeats) {
            eprintln!(
                "swb-check: bench: {role} with {threads} thread(s), {repeat} of {}",
                args.repeat
            );
            measured.push(measure_in_child(args, role, *target, *threads)?);
        }
    }
    let runs: Vec<RunReport> = plan
        .iter()
        .zip(repeats)
        .map(|((role, _, _), measured)| summarise(role, measured))
        .collect();
    let transitions_by_kind = match args.model {
        ModelChoice::SwBlock => {
            eprintln!("swb-check: bench: counting transitions by action kind (one thread)");
            transitions_by_kind(args)?
        }
        _ => Vec::new(),
    };
    let report = BenchReport {
        targets: targets(&runs),
        comparison: comparison(&runs),
        runs,
        transitions_by_kind,
    };
    if args.json {
        crate::output::write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        crate::output::write_stdout(&render_table(&report))?;
    }
    let all_complete = report.runs.iter().all(|run| run.run.complete);
    Ok(if all_complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// The protocol model's transitions by action kind, from one coverage pass (with symmetry, as the
/// timed runs search) over the configuration the runs measured.
fn transitions_by_kind(args: &BenchArgs) -> anyhow::Result<Vec<KindShare>> {
    let (config, _) = crate::scenario::scenario_config(args.config.as_deref(), None, None)?;
    let model = swb_properties::build_model(&config);
    let coverage = crate::signoff::coverage::measure(&model, Symmetry::On, None)
        .map_err(|_| anyhow::anyhow!("the transition count was interrupted"))?;
    Ok(coverage
        .rows
        .iter()
        .filter(|(_, counts)| counts.transitions > 0)
        .map(|(kind, counts)| KindShare {
            kind: kind.name(),
            transitions: counts.transitions,
            new_states: counts.new_states,
            no_new_state_share: round(
                1.0 - counts.new_states as f64 / counts.transitions as f64,
                3,
            ),
        })
        .collect())
}

/// Runs `swb-check bench --single ...` and reads the run it prints.
fn measure_in_child(
    args: &BenchArgs,
    role: &str,
    target: BenchTarget,
    threads: usize,
) -> anyhow::Result<BenchRun> {
    let exe = std::env::current_exe().context("finding the swb-check executable")?;
    let mut command = Command::new(&exe);
    command
        .arg("bench")
        .args(["--single", target_name(target)])
        .args(["--threads", &threads.to_string()])
        .args(["--timeout", &args.timeout.as_secs_f64().to_string()])
        .args(["--model", model_name(args.model)]);
    if let Some(config) = &args.config {
        command.arg("--config").arg(config);
    }
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("starting a bench run")?;
    anyhow::ensure!(
        output.status.success(),
        "the {role} run with {threads} thread(s) failed ({})",
        output.status
    );
    serde_json::from_slice(&output.stdout).context("reading the result of a bench run")
}

/// The median repeat by seconds (the lower one of an even count), with the range and the worst
/// memory figure of all repeats. `measured` is not empty (`--repeat` is at least 1).
fn summarise(role: &'static str, mut measured: Vec<BenchRun>) -> RunReport {
    measured.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let repeats = measured.len();
    let seconds_min = measured[0].seconds;
    let seconds_max = measured[repeats - 1].seconds;
    let bytes_per_unique_state_max = measured
        .iter()
        .map(BenchRun::bytes_per_unique_state)
        .fold(0.0, f64::max);
    // An incomplete repeat makes the whole run incomplete, whichever repeat is the median.
    let complete = measured.iter().all(|run| run.complete);
    let mut run = measured.swap_remove((repeats - 1) / 2);
    run.complete = complete;
    RunReport {
        role,
        repeats,
        seconds_min: round(seconds_min, 2),
        seconds_max: round(seconds_max, 2),
        bytes_per_unique_state_max,
        unique_states_per_second: round(run.unique_states_per_second(), 0),
        resident_peak_mib: round(run.resident_peak_bytes as f64 / (1024.0 * 1024.0), 1),
        bytes_per_unique_state: round(run.bytes_per_unique_state(), 1),
        cores_busy: round(run.cores_busy(), 2),
        run,
    }
}

fn target_name(target: BenchTarget) -> &'static str {
    match target {
        BenchTarget::Model => "model",
        BenchTarget::Paxos => "paxos",
    }
}

fn model_name(choice: ModelChoice) -> &'static str {
    match choice {
        ModelChoice::SwBlock => "sw-block",
        ModelChoice::Paxos => "paxos",
        ModelChoice::Toy => "toy",
        ModelChoice::ToyBroken => "toy-broken",
        ModelChoice::ToyLarge => "toy-large",
    }
}

fn find<'a>(runs: &'a [RunReport], role: &str, threads: usize) -> Option<&'a BenchRun> {
    runs.iter()
        .find(|run| run.role == role && run.run.threads == threads)
        .map(|run| &run.run)
}

/// The four targets (issues 2 and 14), each computed from the median runs conservatively: the
/// worse of the two thread counts where a figure exists for both, and the worst repeat for
/// memory.
fn targets(runs: &[RunReport]) -> Vec<TargetReport> {
    let (Some(model_1), Some(model_2), Some(paxos_1), Some(paxos_2)) = (
        find(runs, "model", 1),
        find(runs, "model", 2),
        find(runs, "reference", 1),
        find(runs, "reference", 2),
    ) else {
        return Vec::new();
    };
    let check_seconds = if model_2.complete {
        model_2.seconds
    } else {
        f64::INFINITY
    };
    let speed_up = model_2.unique_states_per_second() / model_1.unique_states_per_second();
    let bytes = runs
        .iter()
        .filter(|run| run.role == "model")
        .map(|run| run.bytes_per_unique_state_max)
        .fold(0.0, f64::max);
    let cost_ratio = (model_1.microseconds_per_total_state()
        / paxos_1.microseconds_per_total_state())
    .max(model_2.microseconds_per_total_state() / paxos_2.microseconds_per_total_state());
    vec![
        at_most(
            "default check seconds, 2 threads",
            check_seconds,
            CHECK_SECONDS_MAX,
        ),
        at_least("speed-up 1 -> 2 threads", speed_up, SPEED_UP_MIN),
        at_most(
            "bytes per unique state, worse run",
            bytes,
            BYTES_PER_STATE_MAX,
        ),
        at_most(
            "microseconds per transition, ratio to paxos, worse",
            cost_ratio,
            PAXOS_TRANSITION_COST_RATIO_MAX,
        ),
    ]
}

/// The one-thread figures whose product is unique states per second (see the module
/// documentation).
fn comparison(runs: &[RunReport]) -> Vec<ComparisonReport> {
    let (Some(model), Some(reference)) = (find(runs, "model", 1), find(runs, "reference", 1))
    else {
        return Vec::new();
    };
    let figure = |name, of: fn(&BenchRun) -> f64| ComparisonReport {
        name,
        model: round(of(model), 2),
        reference: round(of(reference), 2),
    };
    vec![
        figure(
            "total states per unique state",
            BenchRun::total_per_unique_state,
        ),
        figure(
            "microseconds per total state",
            BenchRun::microseconds_per_total_state,
        ),
    ]
}

fn at_most(name: &'static str, figure: f64, target: f64) -> TargetReport {
    TargetReport {
        name,
        figure: round(figure, 2),
        relation: "<=",
        target,
        met: figure <= target,
    }
}

fn at_least(name: &'static str, figure: f64, target: f64) -> TargetReport {
    TargetReport {
        name,
        figure: round(figure, 2),
        relation: ">=",
        target,
        met: figure >= target,
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

fn render_table(report: &BenchReport) -> String {
    let mut rows = vec![[
        "run",
        "subject",
        "threads",
        "unique states",
        "total states",
        "seconds",
        "min-max",
        "unique/s",
        "peak MiB",
        "bytes/state",
        "cores busy",
        "symmetry",
        "result",
    ]
    .map(str::to_owned)];
    for run in &report.runs {
        rows.push([
            run.role.to_owned(),
            run.run.subject.clone(),
            run.run.threads.to_string(),
            run.run.unique_states.to_string(),
            run.run.total_states.to_string(),
            format!("{:.2}", run.run.seconds),
            format!(
                "{:.2}-{:.2} ({})",
                run.seconds_min, run.seconds_max, run.repeats
            ),
            format!("{:.0}", run.unique_states_per_second),
            format!("{:.1}", run.resident_peak_mib),
            format!("{:.1}", run.bytes_per_unique_state),
            format!("{:.2}", run.cores_busy),
            if run.run.symmetry { "on" } else { "off" }.to_owned(),
            if run.run.complete {
                "complete"
            } else {
                "incomplete (timeout)"
            }
            .to_owned(),
        ]);
    }
    let mut table = align(&rows);
    table.push('\n');
    let mut target_rows = vec![["target", "figure", "wanted", "verdict"].map(str::to_owned)];
    for target in &report.targets {
        target_rows.push([
            target.name.to_owned(),
            format!("{:.2}", target.figure),
            format!("{} {}", target.relation, target.target),
            if target.met { "met" } else { "not met" }.to_owned(),
        ]);
    }
    table.push_str(&align(&target_rows));
    if !report.comparison.is_empty() {
        table.push('\n');
        let mut comparison_rows = vec![["1 thread", "model", "reference"].map(str::to_owned)];
        for figure in &report.comparison {
            comparison_rows.push([
                figure.name.to_owned(),
                format!("{:.2}", figure.model),
                format!("{:.2}", figure.reference),
            ]);
        }
        table.push_str(&align(&comparison_rows));
    }
    if !report.transitions_by_kind.is_empty() {
        table.push('\n');
        let mut kind_rows =
            vec![["action kind", "transitions", "new states", "no new state"].map(str::to_owned)];
        for share in &report.transitions_by_kind {
            kind_rows.push([
                share.kind.clone(),
                share.transitions.to_string(),
                share.new_states.to_string(),
                format!("{:.1}%", share.no_new_state_share * 100.0),
            ]);
        }
        table.push_str(&align(&kind_rows));
    }
    table
}

/// Left-aligned columns separated by two spaces.
fn align<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seconds: f64, resident_peak_bytes: u64, complete: bool) -> BenchRun {
        BenchRun {
            subject: String::from("v2/default"),
            threads: 1,
            unique_states: 100,
            total_states: 600,
            seconds,
            symmetry: true,
            complete,
            resident_baseline_bytes: 1_000,
            resident_peak_bytes,
            cpu_seconds: seconds,
        }
    }

    // Goal: the reported run is the median by seconds, the range spans every repeat, memory is
    // the worst repeat's, and one incomplete repeat makes the run incomplete.
    #[test]
    fn repeats_summarise_to_the_median_with_range_and_worst_memory() {
        let summary = summarise(
            "model",
            vec![
                run(5.0, 4_000, true),
                run(3.0, 2_000, true),
                run(4.0, 3_000, false),
            ],
        );
        assert_eq!(summary.repeats, 3);
        assert_eq!(summary.run.seconds, 4.0);
        assert_eq!((summary.seconds_min, summary.seconds_max), (3.0, 5.0));
        assert_eq!(summary.bytes_per_unique_state, 20.0);
        assert_eq!(summary.bytes_per_unique_state_max, 30.0);
        assert!(!summary.run.complete);

        let even = summarise("model", vec![run(2.0, 1_500, true), run(1.0, 1_500, true)]);
        assert_eq!(even.run.seconds, 1.0, "the lower median of an even count");
        assert!(even.run.complete);
    }
}
