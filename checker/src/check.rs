//! The search: runs stateright's checker on any model with a chosen strategy and limits, shows
//! progress, and decides honestly whether the run was complete.
//!
//! stateright 0.31 reports a run cut by a state-count target or a timeout as done, and ignores
//! `.timeout()` with one thread, so completeness is decided here and never read from
//! `Checker::is_done`:
//! 1. Time, memory and Ctrl-C are watched by the polling loop in [`run_check`], which sets the
//!    stop flag of the [`Supervised`] wrapper. A discovery of [`STOP_PROPERTY`] after the run
//!    proves the flag ended it; a stop requested after the threads finished changes nothing.
//! 2. `--max-states` is stateright's `target_state_count` (total generated states). Threads stop
//!    after a block once the total reaches it, so a run whose total reached the target is
//!    reported cut, even in the rare case where the space ran out in that very block.
//! 3. `--max-depth` is stateright's `target_max_depth`, whose states at the target depth are
//!    generated but neither checked nor expanded. A run whose deepest generated state lies beyond
//!    the bound therefore left states unexplored and is reported cut.
//! 4. A simulation samples paths and is never complete.

use crate::memory::MemoryLimit;
use crate::progress::{Progress, ProgressMode, Snapshot};
use crate::supervise::{EndStateCount, EndStates, Supervised, STOP_PROPERTY};
use stateright::{Checker, Expectation, Model, Path, UniformChooser};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the polling loop looks at the threads, the clock, memory and Ctrl-C.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// How the state space is traversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Depth-first: keeps only state fingerprints, applies symmetry reduction. The default.
    Dfs,
    /// Breadth-first: queues whole states; stateright 0.31 ignores symmetry reduction here.
    Bfs,
    /// Random walks from the initial states with a seeded uniform chooser.
    Simulate { seed: u64 },
}

impl Strategy {
    /// The stable name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Dfs => "dfs",
            Strategy::Bfs => "bfs",
            Strategy::Simulate { .. } => "simulate",
        }
    }

    /// The seed of a simulation, `None` for the exhaustive strategies.
    pub fn seed(self) -> Option<u64> {
        match self {
            Strategy::Simulate { seed } => Some(seed),
            Strategy::Dfs | Strategy::Bfs => None,
        }
    }

    /// stateright's `target_max_depth` for "check every state within `actions_max` actions".
    /// DFS and BFS count the initial state as depth 1 and skip states at the target depth;
    /// a simulation counts actions on its path and stops past the target.
    fn stateright_depth_target(self, actions_max: usize) -> usize {
        match self {
            Strategy::Dfs | Strategy::Bfs => actions_max.saturating_add(2),
            Strategy::Simulate { .. } => actions_max.saturating_add(1),
        }
    }

    /// stateright's reported depth converted to actions on the path.
    fn depth_in_actions(self, stateright_depth: usize) -> usize {
        match self {
            Strategy::Dfs | Strategy::Bfs => stateright_depth.saturating_sub(1),
            Strategy::Simulate { .. } => stateright_depth,
        }
    }
}

/// What ended an incomplete run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    MaxStates,
    MaxDepth,
    Timeout,
    Memory,
    Interrupted,
    /// A merge of shard results lacked some shard (`swb-check merge`): part of the state space
    /// was never searched.
    MissingShards,
}

impl Limit {
    /// Every limit, in declaration order.
    pub const ALL: [Limit; 6] = [
        Limit::MaxStates,
        Limit::MaxDepth,
        Limit::Timeout,
        Limit::Memory,
        Limit::Interrupted,
        Limit::MissingShards,
    ];

    /// The stable snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxStates => "max_states",
            Limit::MaxDepth => "max_depth",
            Limit::Timeout => "timeout",
            Limit::Memory => "memory_limit",
            Limit::Interrupted => "interrupted",
            Limit::MissingShards => "missing_shards",
        }
    }

    /// The limit named `name` (as [`Limit::name`] spells it), if any.
    pub fn from_name(name: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|limit| limit.name() == name)
    }
}

/// Whether the run explored the whole state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Every reachable state (within the model's boundary) was checked.
    Complete,
    /// A limit ended the run first.
    Incomplete(Limit),
}

/// Whether symmetry reduction was applied to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symmetry {
    On,
    Off,
}

impl Symmetry {
    /// The stable name used in output: `on` or `off`.
    pub fn name(self) -> &'static str {
        match self {
            Symmetry::On => "on",
            Symmetry::Off => "off",
        }
    }
}

/// The bounds and display of one run.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    pub strategy: Strategy,
    pub threads: NonZeroUsize,
    /// Stop once this many states (counting repeats) were generated.
    pub max_states: Option<NonZeroUsize>,
    /// Check every state within this many actions of an initial state, and nothing deeper.
    pub max_depth: Option<usize>,
    pub timeout: Option<Duration>,
    pub memory_limit_bytes: Option<u64>,
    /// A flag set from outside (Ctrl-C) to stop the run.
    pub interrupt: Option<&'static AtomicBool>,
    pub progress: ProgressMode,
}

impl CheckOptions {
    /// A run with no state, depth, time or memory limit, no stop flag and no progress display:
    /// it ends only when the search does, so what it finds depends on the model, the strategy
    /// and the thread count alone. Callers add the limits they need with struct update syntax.
    pub fn unlimited(strategy: Strategy, threads: NonZeroUsize) -> Self {
        CheckOptions {
            strategy,
            threads,
            max_states: None,
            max_depth: None,
            timeout: None,
            memory_limit_bytes: None,
            interrupt: None,
            progress: ProgressMode::Silent,
        }
    }

    /// `memory_limit_bytes` as a limit.
    pub fn memory_limit(&self) -> Option<MemoryLimit> {
        self.memory_limit_bytes.map(MemoryLimit::from_bytes)
    }
}

/// How a property's expectation reads in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Always,
    Sometimes,
    Eventually,
    /// AG EF over the explored graph (`liveness`), never judged by stateright.
    Progress,
}

impl Kind {
    pub fn of(expectation: &Expectation) -> Self {
        match expectation {
            Expectation::Always => Kind::Always,
            Expectation::Sometimes => Kind::Sometimes,
            Expectation::Eventually => Kind::Eventually,
        }
    }

    /// The stable name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Sometimes => "sometimes",
            Kind::Eventually => "eventually",
            Kind::Progress => "progress",
        }
    }
}

/// A property's verdict. An incomplete run still uses these four; `complete: false` and exit
/// code 3 carry the incompleteness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// An `always` or `eventually` property without a counterexample.
    Holds,
    /// An `always` or `eventually` property with a counterexample.
    Violated,
    /// A `sometimes` property with an example.
    Reached,
    /// A `sometimes` property without an example.
    Unreached,
}

impl Status {
    pub fn of(kind: Kind, discovered: bool) -> Self {
        match (kind, discovered) {
            (Kind::Always | Kind::Eventually | Kind::Progress, true) => Status::Violated,
            (Kind::Always | Kind::Eventually | Kind::Progress, false) => Status::Holds,
            (Kind::Sometimes, true) => Status::Reached,
            (Kind::Sometimes, false) => Status::Unreached,
        }
    }

    /// The stable name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Violated => "violated",
            Status::Reached => "reached",
            Status::Unreached => "unreached",
        }
    }
}

/// One property's result, with the path stateright found (not necessarily the shortest).
#[derive(Clone, Debug)]
pub struct PropertyOutcome<State, Action> {
    pub name: &'static str,
    pub kind: Kind,
    pub status: Status,
    pub discovery: Option<Path<State, Action>>,
}

impl<State: Clone, Action: Clone> PropertyOutcome<State, Action> {
    /// The number of actions on the discovered path.
    pub fn trace_len(&self) -> Option<usize> {
        self.discovery
            .as_ref()
            .map(|path| path.clone().into_actions().len())
    }
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct CheckOutcome<State, Action> {
    /// Sorted by name.
    pub properties: Vec<PropertyOutcome<State, Action>>,
    pub unique_states: usize,
    pub total_states: usize,
    /// The most actions on a generated path (for DFS with several threads this depends on the
    /// order in which threads reach states; unique and total counts do not).
    pub max_depth: usize,
    pub elapsed: Duration,
    pub threads: NonZeroUsize,
    pub strategy: Strategy,
    pub symmetry: Symmetry,
    pub completion: Completion,
    /// The end states explored (D45), for a model with an end-state property; `None` otherwise.
    pub end_states: Option<EndStateCount>,
    /// The progress graph's figures, when the run judged the progress property (D47, D49).
    pub progress: Option<crate::liveness::ProgressSummary>,
}

/// The overall result, which decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Complete, every `always`/`eventually` holds and every `sometimes` is reached.
    AllHold,
    /// A violation (complete or not), or an unreached `sometimes` on a complete run.
    Failed,
    /// Cut by a limit before anything failed.
    Incomplete,
}

impl<State, Action> CheckOutcome<State, Action> {
    /// Decides the verdict: a violation wins over incompleteness, which wins over an unreached
    /// `sometimes` (an incomplete run may simply not have got there yet).
    pub fn verdict(&self) -> Verdict {
        self.verdict_in_scope(&[])
    }

    /// The verdict against a scenario file's expectation for an older version: all hold when
    /// the violated `always` properties and the unreached in-scope witnesses are exactly the
    /// expected ones (a cut run that found no unexpected violation is incomplete).
    pub fn verdict_as_expected(
        &self,
        out_of_scope: &[&str],
        expected: &crate::scenario::Expected,
    ) -> Verdict {
        let names = |status: Status| -> Vec<&str> {
            self.properties
                .iter()
                .filter(|p| p.status == status && !out_of_scope.contains(&p.name))
                .map(|p| p.name)
                .collect()
        };
        let violated = names(Status::Violated);
        let unexpected_violation = violated
            .iter()
            .any(|name| !expected.violated.contains(name));
        match self.completion {
            _ if unexpected_violation => Verdict::Failed,
            Completion::Incomplete(_) => Verdict::Incomplete,
            Completion::Complete
                if violated == expected.violated
                    && names(Status::Unreached) == expected.unreached =>
            {
                Verdict::AllHold
            }
            Completion::Complete => Verdict::Failed,
        }
    }

    /// [`CheckOutcome::verdict`] with the witnesses `out_of_scope` left out: unreachable under
    /// the configuration's faults, they are reported as such and never fail a run.
    pub fn verdict_in_scope(&self, out_of_scope: &[&str]) -> Verdict {
        let violated = self.properties.iter().any(|p| p.status == Status::Violated);
        let unreached = self
            .properties
            .iter()
            .any(|p| p.status == Status::Unreached && !out_of_scope.contains(&p.name));
        match (violated, self.completion, unreached) {
            (true, _, _) => Verdict::Failed,
            (false, Completion::Incomplete(_), _) => Verdict::Incomplete,
            (false, Completion::Complete, true) => Verdict::Failed,
            (false, Completion::Complete, false) => Verdict::AllHold,
        }
    }
}

impl Verdict {
    /// The process exit code of a `check` (or `merge`) with this verdict: 0, 1 or 3.
    pub fn exit_code(self) -> std::process::ExitCode {
        match self {
            Verdict::AllHold => std::process::ExitCode::SUCCESS,
            Verdict::Failed => std::process::ExitCode::from(1),
            Verdict::Incomplete => std::process::ExitCode::from(3),
        }
    }
}

/// A model's symmetry reduction: its representative function, or `None` without one.
pub type SymmetryFn<M> = Option<fn(&<M as Model>::State) -> <M as Model>::State>;

/// Checks `model` under `options`. `symmetry` is the model's representative function, applied
/// only by DFS (stateright 0.31's BFS ignores it: a warning says so; simulation does not use it).
pub fn run_check<M>(
    model: M,
    symmetry: SymmetryFn<M>,
    options: &CheckOptions,
) -> anyhow::Result<CheckOutcome<M::State, M::Action>>
where
    M: EndStates + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    run_check_from(model, symmetry, options, Start::InitialStates)
}

/// Where a search starts.
#[derive(Clone, Debug)]
pub enum Start<State> {
    /// The model's own initial states.
    InitialStates,
    /// These states (a shard's share of the frontier): discovered paths begin at one of them.
    States(Vec<State>),
}

/// [`run_check`] from `start`.
pub fn run_check_from<M>(
    model: M,
    symmetry: SymmetryFn<M>,
    options: &CheckOptions,
    start: Start<M::State>,
) -> anyhow::Result<CheckOutcome<M::State, M::Action>>
where
    M: EndStates + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    if let Strategy::Simulate { .. } = options.strategy {
        anyhow::ensure!(
            options.max_states.is_some() || options.timeout.is_some(),
            "a simulation never runs out of paths: give --max-states or --timeout"
        );
    }
    if let Some(limit) = options.memory_limit() {
        let resident = crate::memory::resident_bytes()
            .ok_or_else(|| anyhow::anyhow!("--memory-limit needs /proc/self/status (Linux)"))?;
        anyhow::ensure!(
            !limit.is_reached_at(resident),
            "--memory-limit {} MiB leaves no room: {} MiB are resident before the search starts",
            limit.bytes() / MIB,
            resident / MIB
        );
    }

    if model.properties().is_empty() {
        eprintln!(
            "swb-check: warning: the model has no properties; only the state space is explored"
        );
    }
    let applied_symmetry = match (options.strategy, symmetry) {
        (Strategy::Dfs, Some(representative)) => Some(representative),
        (Strategy::Bfs, Some(_)) => {
            eprintln!(
                "swb-check: warning: BFS does not apply symmetry reduction (stateright 0.31 \
                 ignores it); counts are of the unreduced state space"
            );
            None
        }
        (Strategy::Simulate { .. }, _) | (_, None) => None,
    };
    let symmetry_state = match applied_symmetry {
        Some(_) => Symmetry::On,
        None => Symmetry::Off,
    };

    let stop = Arc::new(AtomicBool::new(false));
    let supervised = match options.strategy {
        // A simulation records its paths by action index, which a refused action corrupts.
        Strategy::Simulate { .. } => {
            Supervised::new(model, Arc::clone(&stop))?.hiding_refused_actions()
        }
        Strategy::Dfs | Strategy::Bfs => Supervised::new(model, Arc::clone(&stop))?,
    };
    let supervised = match start {
        Start::InitialStates => supervised,
        Start::States(states) => supervised.starting_from(states),
    };
    let mut builder = supervised
        .checker()
        .threads(options.threads.get())
        .finish_when(Supervised::<M>::finish_when());
    if let Some(max_states) = options.max_states {
        builder = builder.target_state_count(max_states.get());
    }
    if let Some(max_depth) = options.max_depth {
        builder = builder.target_max_depth(options.strategy.stateright_depth_target(max_depth));
    }
    if let Some(representative) = applied_symmetry {
        builder = builder.symmetry_fn(representative);
    }

    let headline = format!(
        "checking with {}, {} thread{}, symmetry {}",
        options.strategy.name(),
        options.threads,
        if options.threads.get() == 1 { "" } else { "s" },
        if symmetry_state == Symmetry::On {
            "on"
        } else {
            "off"
        },
    );
    let progress = Progress::start(options.progress, &headline);
    let started = Instant::now();
    let run = match options.strategy {
        Strategy::Dfs => supervise(builder.spawn_dfs(), &stop, options, started, progress),
        Strategy::Bfs => supervise(builder.spawn_bfs(), &stop, options, started, progress),
        Strategy::Simulate { seed } => supervise(
            builder.spawn_simulation(seed, UniformChooser),
            &stop,
            options,
            started,
            progress,
        ),
    };

    let completion = decide_completion(&run, options);
    Ok(CheckOutcome {
        properties: run.properties,
        unique_states: run.unique_states,
        total_states: run.total_states,
        max_depth: options.strategy.depth_in_actions(run.stateright_depth),
        elapsed: run.elapsed,
        threads: options.threads,
        strategy: options.strategy,
        symmetry: symmetry_state,
        completion,
        end_states: run.end_states,
        progress: None,
    })
}

const MIB: u64 = 1024 * 1024;

/// What the supervising loop observed about a finished run.
struct FinishedRun<State, Action> {
    /// The model's own properties (the stop property left out), sorted by name.
    properties: Vec<PropertyOutcome<State, Action>>,
    /// The stop property was discovered: the flag, not exhaustion, ended the run.
    stopped_by_flag: bool,
    /// Why the flag was set, if it was.
    stop_reason: Option<Limit>,
    unique_states: usize,
    total_states: usize,
    stateright_depth: usize,
    elapsed: Duration,
    end_states: Option<EndStateCount>,
}

/// Polls the running checker until its threads finish, showing progress and setting the stop
/// flag when time, memory or Ctrl-C say so.
fn supervise<M, C>(
    mut checker: C,
    stop: &AtomicBool,
    options: &CheckOptions,
    started: Instant,
    mut progress: Progress,
) -> FinishedRun<M::State, M::Action>
where
    M: EndStates + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
    C: Checker<Supervised<M>>,
{
    let handles = checker.handles();
    let mut stop_reason = None;
    while !handles.iter().all(|handle| handle.is_finished()) {
        if stop_reason.is_none() {
            stop_reason = requested_stop(options, started.elapsed());
            if stop_reason.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        progress.update(&Snapshot {
            unique_states: checker.unique_state_count(),
            total_states: checker.state_count(),
            max_depth: options.strategy.depth_in_actions(checker.max_depth()),
            elapsed: started.elapsed(),
        });
        std::thread::sleep(POLL_INTERVAL);
    }
    let elapsed = started.elapsed();
    progress.finish();
    for handle in handles {
        if let Err(panic) = handle.join() {
            // A panic in a checker thread is a broken invariant of the model: stop the program.
            std::panic::resume_unwind(panic);
        }
    }

    let mut discoveries = checker.discoveries();
    let stopped_by_flag = discoveries.remove(STOP_PROPERTY).is_some();
    FinishedRun {
        properties: property_outcomes(checker.model(), discoveries),
        stopped_by_flag,
        stop_reason,
        unique_states: checker.unique_state_count(),
        total_states: checker.state_count(),
        stateright_depth: checker.max_depth(),
        elapsed,
        end_states: checker.model().end_states(),
    }
}

/// A stop the polling loop must request now, if any. Ctrl-C is looked at first so that an
/// interrupted run says so even when another limit is due in the same poll.
pub fn requested_stop(options: &CheckOptions, elapsed: Duration) -> Option<Limit> {
    if options
        .interrupt
        .is_some_and(|flag| flag.load(Ordering::SeqCst))
    {
        return Some(Limit::Interrupted);
    }
    if options.timeout.is_some_and(|timeout| elapsed >= timeout) {
        return Some(Limit::Timeout);
    }
    if options.memory_limit().is_some_and(MemoryLimit::is_reached) {
        return Some(Limit::Memory);
    }
    None
}

/// Decides completeness from what was observed (see the module documentation for the rules).
fn decide_completion<State, Action>(
    run: &FinishedRun<State, Action>,
    options: &CheckOptions,
) -> Completion {
    if run.stopped_by_flag {
        let reason = run
            .stop_reason
            .expect("the stop property is discovered only after the loop set the flag");
        return Completion::Incomplete(reason);
    }
    if options
        .max_states
        .is_some_and(|max_states| run.total_states >= max_states.get())
    {
        return Completion::Incomplete(Limit::MaxStates);
    }
    match options.strategy {
        Strategy::Dfs | Strategy::Bfs => {
            let depth = options.strategy.depth_in_actions(run.stateright_depth);
            if options.max_depth.is_some_and(|max_depth| depth > max_depth) {
                Completion::Incomplete(Limit::MaxDepth)
            } else {
                Completion::Complete
            }
        }
        Strategy::Simulate { .. } => {
            // Simulation threads end only at the state target or the stop flag, both handled
            // above; reaching this line means stateright changed how simulations end.
            unreachable!("a simulation ended without reaching --max-states or a stop")
        }
    }
}

/// Pairs every property of the model with its discovery, sorted by name. A discovered path
/// whose last state does not show the verdict again is reported with a warning: stateright
/// 0.31's simulation records action indices after removing refused actions, so its paths can
/// be wrong for models whose `next_state` refuses actions.
fn property_outcomes<M>(
    model: &Supervised<M>,
    mut discoveries: HashMap<&'static str, Path<M::State, M::Action>>,
) -> Vec<PropertyOutcome<M::State, M::Action>>
where
    M: EndStates,
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let mut outcomes: Vec<_> = model
        .inner_properties()
        .iter()
        .map(|property| {
            let kind = Kind::of(&property.expectation);
            let discovery = discoveries.remove(property.name);
            if let Some(path) = &discovery {
                let shown = (property.condition)(model.inner(), path.last_state());
                let reproduces = match kind {
                    Kind::Always => !shown,
                    Kind::Sometimes => shown,
                    // An `eventually` counterexample is a whole path; its last state alone
                    // proves nothing. A `progress` property never comes from stateright.
                    Kind::Eventually | Kind::Progress => true,
                };
                if !reproduces {
                    eprintln!(
                        "swb-check: warning: the path recorded for {:?} does not end in a state \
                         that shows it; rerun with --strategy dfs or bfs for a reliable trace",
                        property.name
                    );
                }
            }
            PropertyOutcome {
                name: property.name,
                kind,
                status: Status::of(kind, discovery.is_some()),
                discovery,
            }
        })
        .collect();
    outcomes.sort_by_key(|outcome| outcome.name);
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy::{Counters, CountersState, Variant};
    use stateright::Representative;

    fn options(strategy: Strategy, threads: usize) -> CheckOptions {
        CheckOptions::unlimited(
            strategy,
            NonZeroUsize::new(threads).expect("nonzero thread count"),
        )
    }

    fn counters_symmetry() -> Option<fn(&CountersState) -> CountersState> {
        Some(CountersState::representative)
    }

    fn statuses<S, A>(outcome: &CheckOutcome<S, A>) -> Vec<(&'static str, Status)> {
        outcome
            .properties
            .iter()
            .map(|p| (p.name, p.status))
            .collect()
    }

    // Goal: exact state counts pin the search: 5^3 = 125 states and 301 generated (the initial
    // state plus one per increment) without symmetry; 35 multisets with it (DFS only); BFS ignores
    // symmetry; and every thread count gives the same unique and total counts.
    #[test]
    fn counters_state_counts_match_arithmetic_for_every_strategy_and_thread_count() {
        let cases = [
            (Strategy::Dfs, true, Symmetry::On, 35, 85),
            (Strategy::Dfs, false, Symmetry::Off, 125, 301),
            (Strategy::Bfs, true, Symmetry::Off, 125, 301),
            (Strategy::Bfs, false, Symmetry::Off, 125, 301),
        ];
        for (strategy, with_symmetry, symmetry, unique, total) in cases {
            for threads in [1, 2] {
                let representative = counters_symmetry().filter(|_| with_symmetry);
                let outcome = run_check(
                    Counters::small(Variant::Sound),
                    representative,
                    &options(strategy, threads),
                )
                .expect("runs");
                let row = format!("{strategy:?} symmetry {with_symmetry} threads {threads}");
                assert_eq!(outcome.completion, Completion::Complete, "{row}");
                assert_eq!(outcome.symmetry, symmetry, "{row}");
                assert_eq!(outcome.unique_states, unique, "{row}");
                assert_eq!(outcome.total_states, total, "{row}");
                assert_eq!(outcome.verdict(), Verdict::AllHold, "{row}");
            }
        }
    }

    // Goal: the broken variant's failing `always` is violated with a path whose last state
    // breaks it, and its impossible `sometimes` is unreached; the verdict is a failure.
    #[test]
    fn broken_counters_report_violation_and_unreached_sometimes() {
        let model = Counters::small(Variant::Broken);
        let outcome = run_check(
            model.clone(),
            counters_symmetry(),
            &options(Strategy::Dfs, 1),
        )
        .expect("runs");
        assert_eq!(
            statuses(&outcome),
            vec![
                ("all_counters_at_max", Status::Reached),
                ("all_counters_reach_max", Status::Holds),
                ("counter_above_max", Status::Unreached),
                ("counter_spread_at_most_two", Status::Violated),
                ("counters_within_max", Status::Holds),
            ]
        );
        let violated = &outcome.properties[3];
        let path = violated.discovery.clone().expect("a counterexample path");
        let last = path.last_state();
        let spread = last.counters.iter().max().copied().unwrap_or(0)
            - last.counters.iter().min().copied().unwrap_or(0);
        assert!(
            spread > 2,
            "last state {last:?} does not break the property"
        );
        assert_eq!(outcome.verdict(), Verdict::Failed);
    }

    // Goal: stateright ignores `.timeout()` with one thread and calls a cut run done; the
    // checker's own stop must end a one-thread and a two-thread run and call it incomplete.
    #[test]
    fn timeout_stops_one_and_two_thread_runs_as_incomplete() {
        for threads in [1, 2] {
            let mut options = options(Strategy::Dfs, threads);
            options.timeout = Some(Duration::from_millis(200));
            let outcome =
                run_check(Counters::large(), counters_symmetry(), &options).expect("runs");
            assert_eq!(
                outcome.completion,
                Completion::Incomplete(Limit::Timeout),
                "threads {threads}"
            );
            assert_eq!(outcome.verdict(), Verdict::Incomplete, "threads {threads}");
        }
    }

    // Goal: an interrupt already raised stops the run at once and is reported as such.
    #[test]
    fn raised_interrupt_stops_run_as_interrupted() {
        static RAISED: AtomicBool = AtomicBool::new(true);
        let mut options = options(Strategy::Dfs, 1);
        options.interrupt = Some(&RAISED);
        let outcome = run_check(Counters::large(), counters_symmetry(), &options).expect("runs");
        assert_eq!(
            outcome.completion,
            Completion::Incomplete(Limit::Interrupted)
        );
    }

    // Goal: `--max-depth D` checks every state within D actions: D = 12 (the longest path of
    // the small counters) is complete, D = 11 is cut.
    #[test]
    fn max_depth_bound_is_complete_exactly_at_the_longest_path() {
        let cases = [
            (12, Completion::Complete),
            (11, Completion::Incomplete(Limit::MaxDepth)),
        ];
        for strategy in [Strategy::Dfs, Strategy::Bfs] {
            for (max_depth, completion) in cases {
                let mut options = options(strategy, 1);
                options.max_depth = Some(max_depth);
                let outcome =
                    run_check(Counters::small(Variant::Sound), None, &options).expect("runs");
                assert_eq!(
                    outcome.completion, completion,
                    "{strategy:?} depth {max_depth}"
                );
            }
        }
    }

    // Goal: a state-count cut is incomplete, and a cut run that found nothing wrong exits as
    // incomplete rather than as a failure, even though a `sometimes` may be unreached.
    #[test]
    fn max_states_cut_is_incomplete_not_failed() {
        let mut options = options(Strategy::Dfs, 1);
        options.max_states = NonZeroUsize::new(10);
        let outcome = run_check(Counters::large(), None, &options).expect("runs");
        assert_eq!(outcome.completion, Completion::Incomplete(Limit::MaxStates));
        assert_eq!(outcome.verdict(), Verdict::Incomplete);
    }

    // Goal: a one-thread simulation with a seed and a state budget is reproducible.
    #[test]
    fn seeded_single_thread_simulation_is_reproducible() {
        let run = || {
            let mut options = options(Strategy::Simulate { seed: 11 }, 1);
            options.max_states = NonZeroUsize::new(300);
            run_check(Counters::small(Variant::Broken), None, &options).expect("runs")
        };
        let (first, second) = (run(), run());
        assert_eq!(first.total_states, second.total_states);
        assert_eq!(statuses(&first), statuses(&second));
        let traces = |outcome: &CheckOutcome<_, _>| -> Vec<_> {
            outcome
                .properties
                .iter()
                .map(|p| p.discovery.clone())
                .collect()
        };
        assert_eq!(traces(&first), traces(&second));
        assert_eq!(first.completion, Completion::Incomplete(Limit::MaxStates));
    }

    // Goal: the verdict table, row by row: a violation wins, then incompleteness, then an
    // unreached `sometimes`.
    #[test]
    fn verdict_orders_violation_then_incompleteness_then_unreached() {
        let cut = Completion::Incomplete(Limit::Timeout);
        let cases = [
            (Status::Violated, Completion::Complete, Verdict::Failed),
            (Status::Violated, cut, Verdict::Failed),
            (Status::Unreached, Completion::Complete, Verdict::Failed),
            (Status::Unreached, cut, Verdict::Incomplete),
            (Status::Holds, cut, Verdict::Incomplete),
            (Status::Holds, Completion::Complete, Verdict::AllHold),
            (Status::Reached, Completion::Complete, Verdict::AllHold),
        ];
        for (status, completion, verdict) in cases {
            let outcome: CheckOutcome<(), ()> = CheckOutcome {
                properties: vec![PropertyOutcome {
                    name: "p",
                    kind: Kind::Always,
                    status,
                    discovery: None,
                }],
                unique_states: 0,
                total_states: 0,
                max_depth: 0,
                elapsed: Duration::ZERO,
                threads: NonZeroUsize::MIN,
                strategy: Strategy::Dfs,
                symmetry: Symmetry::Off,
                completion,
                end_states: None,
                progress: None,
            };
            assert_eq!(outcome.verdict(), verdict, "{status:?} {completion:?}");
        }
    }
}
