//! `swb-check mutants`: every guard mutant, run up its ladder of bounds (issue 16, D71-D73).
//!
//! 1. The unmutated model is checked once at every rung any ladder uses (its counts are what
//!    "equivalent" is judged against).
//! 2. Each mutant climbs its ladder (`swb_properties::guards::ladder`) with the search `check`
//!    runs ([`run_check`]: DFS, one thread, symmetry on). At the first rung where an `always`
//!    property is violated it is killed: of the violated properties the one with the shortest
//!    path found (then by name) is reported, its path minimised as `check` minimises.
//! 3. A rung without a violation is equivalent when its unique and total counts equal the
//!    unmutated model's there (the mutant changed no reachable transition that the search can
//!    tell apart). A mutant equivalent at every rung is equivalent; one that changed the graph
//!    somewhere and was never caught survives.
//!    A complete run that misses a `sometimes` the unmutated model reaches at the same rung
//!    also kills the mutant (it would fail `check`), and a survivor whose guard is masked by
//!    another (`guards::masked_by`) is equivalent when the pair is caught (D72).
//! 4. Mutants run in parallel on a rayon pool, each search on one thread; results are sorted by
//!    the mutant's declaration order, so the output does not depend on the schedule.

use crate::check::{run_check, CheckOptions, CheckOutcome, Completion, Kind, Status, Strategy};
use crate::cli::MutantsArgs;
use crate::counterexample::{minimise, Minimality, SearchBudget};
use crate::output::{outln, write_stdout};
use anyhow::Context;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;
use swb_model::{Action, Config, Mutant, State, SwbModel};
use swb_properties::guards::{ladder, masked_by, Bounds};

/// A search that generates more states than this is cut, and its rung counts as not decided.
const STATES_MAX: usize = 20_000_000;

/// What became of a mutant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MutantStatus {
    /// An `always` property failed.
    Killed,
    /// Every rung's reachable graph equals the unmutated model's.
    Equivalent,
    /// The graph changed somewhere and no property failed.
    Survived,
}

impl MutantStatus {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            MutantStatus::Killed => "killed",
            MutantStatus::Equivalent => "equivalent",
            MutantStatus::Survived => "survived",
        }
    }
}

/// One mutant's result.
#[derive(Clone, Debug, Serialize)]
pub struct MutantResult {
    /// The mutant's snake_case name.
    pub name: String,
    /// The guard it breaks: `file (handler): rule`.
    pub guard: String,
    pub status: MutantStatus,
    /// The killing property.
    pub property: Option<&'static str>,
    /// Actions on the minimised killing trace.
    pub trace_len: Option<usize>,
    /// Unique states of the deciding rung (the killing one, else the last).
    pub unique_states: usize,
    /// Seconds over every rung climbed, minimisation included.
    pub seconds: f64,
    /// The deciding rung's bounds (text output only).
    #[serde(skip)]
    pub bounds: String,
    /// Whether the killing trace is proven shortest (text output only).
    #[serde(skip)]
    pub minimality: Option<Minimality>,
    /// For a mutant equivalent by masking: the masking guard's mutant, and the property that
    /// kills the pair (text output only).
    #[serde(skip)]
    pub masked_by: Option<(Mutant, &'static str)>,
}

impl MutantResult {
    /// The status, with the masking guard and the property that fails the pair when the mutant
    /// is equivalent by masking.
    pub fn status_text(&self) -> String {
        match self.masked_by {
            Some((mask, property)) => format!(
                "{} (masked by {}; the pair fails {property})",
                self.status.name(),
                swb_properties::mutant_name(mask)
            ),
            None => self.status.name().to_string(),
        }
    }
}

/// The `--json` document.
#[derive(Serialize)]
struct MutantsDocument<'a> {
    mutants: &'a [MutantResult],
    killed: usize,
    equivalent: usize,
    survived: usize,
}

/// The unmutated model's counts at one rung, and the `sometimes` properties it reaches there.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Baseline {
    unique: usize,
    total: usize,
    reached: Vec<&'static str>,
}

impl Baseline {
    fn of(outcome: &CheckOutcome<State, Action>) -> Baseline {
        Baseline {
            unique: outcome.unique_states,
            total: outcome.total_states,
            reached: outcome
                .properties
                .iter()
                .filter(|property| property.status == Status::Reached)
                .map(|property| property.name)
                .collect(),
        }
    }
}

fn options() -> CheckOptions {
    CheckOptions {
        max_states: NonZeroUsize::new(STATES_MAX),
        ..CheckOptions::unlimited(Strategy::Dfs, NonZeroUsize::MIN)
    }
}

/// The search of `check` (DFS, one thread, symmetry on) on `config`.
fn search(config: &Config) -> anyhow::Result<CheckOutcome<State, Action>> {
    config
        .validate()
        .with_context(|| format!("the bounds {config}"))?;
    run_check(
        swb_properties::build_model(config),
        Some(SwbModel::representative),
        &options(),
    )
}

/// Runs `mutants`, at most `rungs_max` rungs each, on `threads` workers.
pub fn run_mutants(
    mutants: &[Mutant],
    rungs_max: usize,
    threads: NonZeroUsize,
) -> anyhow::Result<Vec<MutantResult>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .build()
        .context("starting the mutant pool")?;
    let rungs =
        |mutant: Mutant| -> Vec<Bounds> { ladder(mutant).into_iter().take(rungs_max).collect() };
    let mut all_rungs: Vec<Bounds> = mutants.iter().flat_map(|mutant| rungs(*mutant)).collect();
    all_rungs.sort();
    all_rungs.dedup();
    pool.install(|| {
        let baselines: BTreeMap<Bounds, Baseline> = all_rungs
            .par_iter()
            .map(|bounds| {
                let outcome = search(&bounds.config(None))?;
                anyhow::ensure!(
                    outcome.completion == Completion::Complete,
                    "the unmutated model at {} is larger than {STATES_MAX} states",
                    bounds.describe()
                );
                let violated = outcome
                    .properties
                    .iter()
                    .find(|property| property.status == Status::Violated);
                if let Some(property) = violated {
                    anyhow::bail!(
                        "the unmutated model violates {} at {}: no mutant can be judged there",
                        property.name,
                        bounds.describe()
                    );
                }
                anyhow::ensure!(
                    progress_lasso(*bounds, None).is_none(),
                    "the unmutated model violates {} at {}: no mutant can be judged there",
                    crate::liveness::PROGRESS_PROPERTY,
                    bounds.describe()
                );
                Ok((*bounds, Baseline::of(&outcome)))
            })
            .collect::<anyhow::Result<_>>()?;
        mutants
            .par_iter()
            .map(|mutant| climb(*mutant, &rungs(*mutant), &baselines))
            .collect()
    })
}

/// Climbs one mutant's ladder (steps 2 and 3 of the module documentation).
fn climb(
    mutant: Mutant,
    rungs: &[Bounds],
    baselines: &BTreeMap<Bounds, Baseline>,
) -> anyhow::Result<MutantResult> {
    let started = Instant::now();
    let mut result = MutantResult {
        name: swb_properties::mutant_name(mutant),
        guard: mutant.guard().to_string(),
        status: MutantStatus::Equivalent,
        property: None,
        trace_len: None,
        unique_states: 0,
        seconds: 0.0,
        bounds: String::new(),
        minimality: None,
        masked_by: None,
    };
    for bounds in rungs {
        let outcome = search(&bounds.config(Some(mutant)))?;
        result.unique_states = outcome.unique_states;
        result.bounds = bounds.describe();
        if let Some((property, trace_len, minimality)) = killing_property(*bounds, mutant, &outcome)
        {
            result.status = MutantStatus::Killed;
            result.property = Some(property);
            result.trace_len = Some(trace_len);
            result.minimality = Some(minimality);
            break;
        }
        if let Some(steps) = progress_lasso(*bounds, Some(mutant)) {
            result.status = MutantStatus::Killed;
            result.property = Some(crate::liveness::PROGRESS_PROPERTY);
            result.trace_len = Some(steps);
            result.minimality = Some(Minimality::Shortest);
            break;
        }
        let complete = outcome.completion == Completion::Complete;
        let baseline = baselines.get(bounds);
        // A complete run that misses a witness the unmutated model reaches fails `check`
        // (exit 1) as surely as a violation does: the mutant lost a behaviour the protocol has.
        let lost_witness = baseline
            .into_iter()
            .flat_map(|baseline| baseline.reached.iter())
            .find(|name| {
                complete
                    && outcome.properties.iter().any(|property| {
                        property.name == **name && property.status == Status::Unreached
                    })
            });
        if let Some(witness) = lost_witness {
            result.status = MutantStatus::Killed;
            result.property = Some(witness);
            break;
        }
        let same_graph = complete
            && baseline.is_some_and(|baseline| {
                (baseline.unique, baseline.total) == (outcome.unique_states, outcome.total_states)
            });
        if !same_graph {
            result.status = MutantStatus::Survived;
        }
    }
    if result.status == MutantStatus::Survived {
        if let Some(mask) = masked_by(mutant) {
            if let Some(property) = pair_killed(mutant, mask, rungs)? {
                result.status = MutantStatus::Equivalent;
                result.masked_by = Some((mask, property));
            }
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

/// On a lossy rung, the steps of the progress property's counterexample (D47), if it fails: a
/// session that retries forever reaches no end state, so only the progress graph sees it. The
/// graph's search is breadth first, so its path into the stuck region is a shortest one. `None`
/// on a reliable rung, where no deadline acts.
fn progress_lasso(bounds: Bounds, mutant: Option<Mutant>) -> Option<usize> {
    if !bounds.lossy {
        return None;
    }
    let model = swb_properties::build_model(&bounds.config(mutant));
    crate::liveness::check_progress(&model, crate::liveness::STATES_MAX_DEFAULT)
        .counterexample
        .map(|path| path.into_actions().len())
}

/// The property that kills `mutant` together with its masking guard's mutant, at the first
/// rung where the pair fails an `always`; `None` when the pair is never caught (then the mask
/// is not what hides the mutant, and it survives).
fn pair_killed(
    mutant: Mutant,
    mask: Mutant,
    rungs: &[Bounds],
) -> anyhow::Result<Option<&'static str>> {
    for bounds in rungs {
        let outcome = search(&Config {
            masking_mutant: Some(mask),
            ..bounds.config(Some(mutant))
        })?;
        let violated = outcome
            .properties
            .iter()
            .find(|property| property.kind == Kind::Always && property.status == Status::Violated);
        if let Some(property) = violated {
            return Ok(Some(property.name));
        }
    }
    Ok(None)
}

/// The violated `always` property with the shortest path found (then the first by name), and
/// the length of that path minimised as `check` minimises it.
fn killing_property(
    bounds: Bounds,
    mutant: Mutant,
    outcome: &CheckOutcome<State, Action>,
) -> Option<(&'static str, usize, Minimality)> {
    let (found, path) = outcome
        .properties
        .iter()
        .filter(|property| property.kind == Kind::Always && property.status == Status::Violated)
        .filter_map(|property| Some((property, property.discovery.clone()?)))
        .min_by_key(|(property, path)| (path.clone().into_actions().len(), property.name))?;
    let model = swb_properties::build_model(&bounds.config(Some(mutant)));
    let info = swb_properties::find(found.name)?;
    let budget = SearchBudget {
        states_max: SearchBudget::DEFAULT_STATES_MAX,
        interrupt: None,
    };
    match minimise(&model, &info, &path, budget, None) {
        Some(minimised) => Some((
            found.name,
            minimised.path.into_actions().len(),
            minimised.minimality,
        )),
        None => Some((found.name, path.into_actions().len(), Minimality::AsFound)),
    }
}

/// The mutants `--only` names, in declaration order; every mutant when it names none.
pub fn selected(only: &[String]) -> anyhow::Result<Vec<Mutant>> {
    if only.is_empty() {
        return Ok(Mutant::ALL.to_vec());
    }
    for name in only {
        anyhow::ensure!(
            Mutant::ALL
                .iter()
                .any(|mutant| swb_properties::mutant_name(*mutant) == *name),
            "unknown mutant {name:?} (see `swb-check mutants --help`)"
        );
    }
    Ok(Mutant::ALL
        .into_iter()
        .filter(|mutant| only.contains(&swb_properties::mutant_name(*mutant)))
        .collect())
}

/// How many results have `status`.
pub fn count(results: &[MutantResult], status: MutantStatus) -> usize {
    results
        .iter()
        .filter(|result| result.status == status)
        .count()
}

/// The results as a table, one mutant per line, then the totals.
pub fn table(results: &[MutantResult]) -> String {
    let mut out = String::new();
    outln!(
        out,
        "{:<34} {:<10} {:<36} {:>5} {:>9} {:>7}  {:<40} guard",
        "mutant",
        "status",
        "property",
        "trace",
        "states",
        "seconds",
        "bounds"
    );
    for result in results {
        let status = result.status_text();
        let trace = match (result.trace_len, result.minimality) {
            (Some(length), Some(Minimality::Shortest)) => length.to_string(),
            (Some(length), _) => format!("{length}*"),
            (None, _) => String::from("-"),
        };
        outln!(
            out,
            "{:<34} {:<10} {:<36} {:>5} {:>9} {:>7.2}  {:<40} {}",
            result.name,
            status,
            result.property.unwrap_or("-"),
            trace,
            result.unique_states,
            result.seconds,
            result.bounds,
            result.guard
        );
    }
    outln!(
        out,
        "\n{} mutants: {} killed, {} equivalent, {} survived (* = shrunk, not proven shortest)",
        results.len(),
        count(results, MutantStatus::Killed),
        count(results, MutantStatus::Equivalent),
        count(results, MutantStatus::Survived)
    );
    out
}

/// `swb-check mutants`.
pub fn command(args: &MutantsArgs) -> anyhow::Result<ExitCode> {
    let mutants = selected(&args.only)?;
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(NonZeroUsize::MIN);
    let rungs_max = args.rungs_max.map_or(usize::MAX, NonZeroUsize::get);
    let results = run_mutants(&mutants, rungs_max, threads)?;
    if args.json {
        let document = MutantsDocument {
            mutants: &results,
            killed: count(&results, MutantStatus::Killed),
            equivalent: count(&results, MutantStatus::Equivalent),
            survived: count(&results, MutantStatus::Survived),
        };
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&document)?))?;
    } else {
        write_stdout(&table(&results))?;
    }
    Ok(if count(&results, MutantStatus::Survived) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
