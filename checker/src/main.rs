//! `swb-check`: verifies the sw-block V2 WAL-replication recovery protocol by exhaustive model
//! checking on top of stateright 0.31.
//!
//! `main` parses the command line, runs the command and turns the result into the exit code:
//! 0 every property as expected on a complete run, 1 a violation or an unreached `sometimes`,
//! 2 bad usage or configuration (one `swb-check: error: ...` line on stderr), 3 cut by a limit.
//! Progress goes to stderr, results to stdout.
//!
//! Modules: `cli` (the command line as values), `check` (the generic search with honest
//! completeness), `supervise` (the stop flag stateright lacks), `progress`, `report` (table and
//! JSON), `bench` (performance against stateright's paxos example), `models` (the model a
//! command runs on: the protocol model from `swb_properties::build_model`, or a reference
//! model), `memory`, `interrupt`, `output` (stdout that a closed pipe does not break), `toy`
//! (the self-test model), `signoff` (the sign-off report, `swb-check report`), `explore`
//! (stateright's Explorer), `shard`
//! (`check --shard I/N` and `merge`: one check split over N processes, `docs/distributed.md`).

mod bench;
mod check;
mod cli;
mod compare;
mod conform;
mod counterexample;
mod explore;
mod interrupt;
mod liveness;
mod memory;
mod models;
#[cfg(test)]
mod mutant_search;
mod mutants;
mod output;
mod progress;
mod replay;
mod report;
mod scenario;
mod shard;
mod signoff;
mod supervise;
mod toy;

use crate::check::{run_check, CheckOptions, Strategy};
use crate::cli::{CheckArgs, Cli, Command, ModelChoice, StrategyArg};
use crate::liveness::ProgressRun;
use crate::models::{with_model, CheckableModel, ModelTask, SymmetryFn};
use crate::progress::ProgressMode;
use crate::report::{CheckReport, ModelInfo};
use clap::Parser;
use std::num::NonZeroUsize;
use std::process::ExitCode;

// mimalloc, because with glibc malloc a second stateright thread gave no speed-up (measured).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("swb-check: error: {}", one_line(&format!("{error:#}")));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return Ok(usage_error(error)),
    };
    match cli.command {
        Command::Check(args) => check_command(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Replay(args) => replay::command(&args),
        Command::Conform(args) => conform::command(&args),
        Command::Show(args) => counterexample::show::command(&args),
        Command::Scenarios(args) => scenario::command(&args),
        Command::Compare(args) => compare::command(&args),
        Command::Merge(args) => shard::merge::command(&args),
        Command::Properties(args) => properties_command(&args),
        Command::Report(args) => signoff::command(&args),
        Command::Explore(args) => explore::command(&args),
        Command::Mutants(args) => mutants::command(&args),
    }
}

/// Help and version go to stdout with exit 0; a usage error becomes one line and exit 2.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Printing help can only fail on a closed stdout, which leaves nothing to report to.
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("swb-check: error: a subcommand is required (check, bench); see --help");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        _ => {
            eprintln!("swb-check: error: {}; see --help", usage_message(&error));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// clap's report in one line: its first line, plus the accepted values clap lists on a line of
/// their own for a value outside a fixed set (`--protocol v3`), which the first line omits.
fn usage_message(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let mut lines = rendered.lines().map(str::trim);
    let first = lines.next().unwrap_or("invalid usage");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    if let Some(accepted) = lines.find(|line| line.starts_with("[possible values: ")) {
        message.push(' ');
        message.push_str(accepted);
    }
    message
}

/// Joins a possibly multi-line message (a parser's report, say) into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `swb-check check`: resolves the arguments, runs the search, prints the summary.
fn check_command(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let strategy = match (args.strategy, args.seed) {
        (StrategyArg::Dfs, None) => Strategy::Dfs,
        (StrategyArg::Bfs, None) => Strategy::Bfs,
        (StrategyArg::Simulate, seed) => Strategy::Simulate {
            seed: seed.unwrap_or(0),
        },
        (StrategyArg::Dfs | StrategyArg::Bfs, Some(_)) => {
            anyhow::bail!("--seed applies only to --strategy simulate")
        }
    };
    let threads = match args.threads {
        Some(threads) => threads,
        None => std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
    };
    let options = CheckOptions {
        strategy,
        threads,
        max_states: args.max_states,
        max_depth: args.max_depth,
        timeout: args.timeout,
        memory_limit_bytes: args
            .memory_limit
            .map(|mebibytes| mebibytes.get().saturating_mul(1024 * 1024)),
        interrupt: Some(interrupt::install()?),
        progress: ProgressMode::for_stderr(),
    };
    if let (Some(shard), Some(out_dir)) = (args.shard, args.out_dir.as_deref()) {
        return shard::command(args, shard, options, out_dir);
    }
    let task = CheckTask {
        options,
        symmetry_requested: !args.no_symmetry,
        json: args.json,
        out_dir: (!args.no_save).then(|| {
            args.out_dir
                .clone()
                .unwrap_or_else(|| cli::COUNTEREXAMPLES_DIR.into())
        }),
        witness_dir: args.witness_dir.clone(),
        progress: args.progress.then_some(ProgressRun {
            config: None,
            states_max: args.progress_states_max,
        }),
    };
    if args.scenario.is_some()
        || args.protocol.is_some()
        || args.scenario_file.is_some()
        || args.from.is_some()
    {
        return scenario::with_scenario_model(args, task);
    }
    // The main job judges progress at its own, smaller bounds (D49): its two-fault graph is far
    // too big to hold whole.
    let main_job = args.model == ModelChoice::SwBlock && args.config.is_none();
    let task = if main_job && !args.no_progress {
        CheckTask {
            progress: Some(ProgressRun::main_job(args.progress_states_max)),
            ..task
        }
    } else {
        task
    };
    with_model(args.model, args.config.as_deref(), task)
}

struct CheckTask {
    options: CheckOptions,
    symmetry_requested: bool,
    json: bool,
    /// Where violations are saved; `None` with `--no-save`.
    out_dir: Option<std::path::PathBuf>,
    /// Where reached witnesses' traces are saved (`--witness-dir`).
    witness_dir: Option<std::path::PathBuf>,
    /// The progress check to add, if any (`--progress`, or the main job's).
    progress: Option<ProgressRun>,
}

impl ModelTask for CheckTask {
    type Output = ExitCode;

    fn run<M: CheckableModel>(
        self,
        model: M,
        symmetry: SymmetryFn<M>,
        info: ModelInfo,
    ) -> anyhow::Result<ExitCode> {
        let symmetry = symmetry.filter(|_| self.symmetry_requested);
        // Counterexamples are saved for the protocol model only (not the reference models).
        let protocol_model = (&model as &dyn std::any::Any)
            .downcast_ref::<swb_model::SwbModel>()
            .cloned();
        let mut outcome = run_check(model, symmetry, &self.options)?;
        // A progress trace of the main job's progress bounds is saved with those bounds.
        let mut progress_saved = Vec::new();
        if let Some(run) = &self.progress {
            let Some(protocol_model) = &protocol_model else {
                anyhow::bail!("--progress applies only to the protocol model");
            };
            anyhow::ensure!(
                info.prefix.is_none(),
                "--progress judges the whole graph from time zero; it cannot start past --from"
            );
            let (progress_model, found) =
                liveness::add_progress_outcome(protocol_model, run, &mut outcome);
            if let (Some(_), Some(path), Some(dir)) = (&run.config, found, &self.out_dir) {
                progress_saved.push(counterexample::save_progress(
                    &progress_model,
                    "progress",
                    &path,
                    dir,
                )?);
            }
        }
        // Traces are saved from time zero: past a `--from` prefix, the model without its start
        // state replays the prefix first.
        let prefix: &[swb_model::Action] = info
            .prefix
            .as_ref()
            .map_or(&[], |prefix| prefix.actions.as_slice());
        let from_time_zero = protocol_model
            .as_ref()
            .map(|model| swb_properties::build_model(&model.config));
        // `None` for a reference model, which has no counterexample files at all.
        let saved = match (&self.out_dir, &protocol_model, &from_time_zero) {
            (Some(dir), Some(_), Some(model)) if info.prefix.is_some() => {
                Some(counterexample::save_as_found(
                    model,
                    prefix,
                    &info.scenario,
                    &outcome.properties,
                    check::Status::Violated,
                    dir,
                )?)
            }
            (Some(dir), Some(protocol_model), _) => Some(counterexample::save_violations_within(
                protocol_model,
                &info.scenario,
                &outcome.properties,
                dir,
                counterexample::SearchBudget {
                    states_max: counterexample::SearchBudget::DEFAULT_STATES_MAX,
                    interrupt: self.options.interrupt,
                },
                self.options.memory_limit(),
            )?),
            (None, Some(_), _) => Some(Vec::new()),
            (_, None, _) => None,
        };
        let saved = saved.map(|mut saved| {
            saved.extend(progress_saved);
            saved.sort_by_key(|saved| saved.property);
            saved
        });
        let witnesses = match (&self.witness_dir, &from_time_zero) {
            (Some(dir), Some(model)) => counterexample::save_as_found(
                model,
                prefix,
                &info.scenario,
                &outcome.properties,
                check::Status::Reached,
                dir,
            )?,
            (Some(_), None) => {
                anyhow::bail!("--witness-dir applies only to the sw-block protocol model")
            }
            (None, _) => Vec::new(),
        };
        let report = CheckReport::new(&info, &outcome);
        let text = match (self.json, &saved) {
            (true, Some(saved)) => counterexample::witness_json(
                &counterexample::report_json(&report.to_json(), saved),
                &witnesses,
                self.witness_dir.is_some(),
            ),
            (json, saved) => format!(
                "{}{}",
                counterexample::check_output(&report, saved.as_deref(), json),
                if json {
                    String::new()
                } else {
                    counterexample::witness_lines(&witnesses)
                }
            ),
        };
        output::write_stdout(&text)?;
        let out_of_scope = info.out_of_scope_names();
        let verdict = match &info.expected {
            Some(expected) => outcome.verdict_as_expected(&out_of_scope, expected),
            None => outcome.verdict_in_scope(&out_of_scope),
        };
        Ok(verdict.exit_code())
    }
}

/// `swb-check properties`: the catalogue, as a table or as `docs/properties.md`.
fn properties_command(args: &cli::PropertiesArgs) -> anyhow::Result<ExitCode> {
    if args.markdown {
        output::write_stdout(&swb_properties::markdown())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = String::new();
    for property in swb_properties::catalog() {
        let mutant = property
            .mutant
            .map_or(String::from("-"), swb_properties::mutant_name);
        table.push_str(&format!(
            "{:<38} {:<9} {:<26} {}\n",
            property.name,
            property.kind.name(),
            property.source,
            mutant
        ));
    }
    output::write_stdout(&table)?;
    Ok(ExitCode::SUCCESS)
}
