//! The command line, as plain values: parsing has no side effects, and `main` resolves these
//! values into the options the search runs on.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;

/// swb-check: explores the sw-block V2 WAL-replication recovery protocol model exhaustively
/// and reports, per named property, whether it holds.
#[derive(Debug, Parser)]
#[command(name = "swb-check", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, each its own variant and module.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explore the state space and report every property.
    Check(CheckArgs),
    /// Measure the default check with 1 and 2 threads against stateright's paxos example.
    Bench(BenchArgs),
    /// Print a counterexample file as a numbered narrative (and draw it with --svg).
    Show(ShowArgs),
    /// Re-check a saved trace in the model and replay it against the real engine.
    Replay(ReplayArgs),
    /// Random walks (or every shallow path) through the model, each replayed on the engine.
    Conform(ConformArgs),
    /// List the named scenarios: description, source, faults, expected verdict per version.
    Scenarios(ScenariosArgs),
    /// Check every scenario under every protocol version and print the matrix.
    Compare(CompareArgs),
    /// Combine the results of `check --shard I/N` runs into one verdict.
    Merge(MergeArgs),
    /// List the named properties: kind, source criterion, meaning, and the mutant each catches.
    Properties(PropertiesArgs),
    /// Write the sign-off report (report.md and a self-contained index.html) into a directory.
    Report(ReportArgs),
    /// Serve stateright's Explorer on 127.0.0.1 to step through the model in a browser.
    Explore(ExploreArgs),
    /// Run every guard mutant (one broken guard each) and say which property kills it.
    Mutants(MutantsArgs),
}

const REPORT_AFTER_HELP: &str = "\
Replays the counterexample corpus as `replay --corpus` does (engine verdict, engine-side \
judgement, manifest), runs the default check (exhaustive DFS, symmetry on), the comparison matrix \
(quick bounds unless --full-matrix) and replays the traces it saves as `replay FILE` does, measures \
per-action coverage with a pass of its own (its state counts must equal the check's), runs every \
guard mutant as `swb-check mutants` does (--mutants-only to choose, --no-mutants to skip), and \
writes DIR/report.md, a self-contained DIR/index.html, the charts under DIR/charts and the \
matrix's counterexamples under DIR/counterexamples. Everything is written beside DIR first and \
moved into place whole, so DIR is never half-written; DIR must be missing, empty or an earlier \
report. See docs/report.md.

Exit codes:
  0  every part as expected: the check holds and every witness is reached, every matrix cell \
matches its expectation, the corpus has no problem, every matrix trace meets its protocol's rule, \
the coverage pass counts the check's states, and no guard mutant survives
  1  some part is not (the report is still written and says which)
  2  bad usage or input (nothing is written)
  3  interrupted by Ctrl-C (nothing is written)";

/// `swb-check report`.
#[derive(Debug, Args)]
#[command(after_help = REPORT_AFTER_HELP)]
pub struct ReportArgs {
    /// The directory the report is written into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Model configuration of the check and the coverage pass (JSON or TOML); the embedded
    /// default when absent.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run the comparison matrix at the default bounds over the whole catalog (minutes) instead
    /// of the quick bounds over the light scenarios.
    #[arg(long)]
    pub full_matrix: bool,

    /// Only these matrix rows (comma-separated scenario names) [default: as the bounds choose].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub scenarios: Vec<String>,

    /// Only these matrix columns (comma-separated) [default: v1,v1.5,v2].
    #[arg(long, value_enum, value_name = "V,...", value_delimiter = ',')]
    pub protocols: Vec<ProtocolArg>,

    /// The counterexample corpus to replay, with its manifest verdicts.json [default:
    /// counterexamples, when it exists].
    #[arg(long, value_name = "DIR")]
    pub counterexamples: Option<PathBuf>,

    /// Worker threads for the check and the matrix [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,

    /// Only these guard mutants in the report's mutants section (snake_case names,
    /// comma-separated); every mutant when absent.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        conflicts_with = "no_mutants"
    )]
    pub mutants_only: Vec<String>,

    /// Leave the guard mutants out of the report (their section says so).
    #[arg(long)]
    pub no_mutants: bool,
}

const EXPLORE_AFTER_HELP: &str = "\
Serves stateright's Explorer (its own web page, which needs JavaScript) on 127.0.0.1 until the \
process is stopped. With --counterexample the model is the file's configuration, and the URL of \
the trace's last state is printed: the Explorer's addresses are #/steps/<initial state \
index>/<action index>/..., the index of each action among those the model offers in that state.

Exit codes: 2 bad usage or input (an unreadable configuration or trace, a port in use); the \
server otherwise runs until it is stopped.";

/// `swb-check explore`.
#[derive(Debug, Args)]
#[command(after_help = EXPLORE_AFTER_HELP)]
pub struct ExploreArgs {
    /// Model configuration (JSON or TOML); the embedded default when absent.
    #[arg(long, value_name = "FILE", conflicts_with = "counterexample")]
    pub config: Option<PathBuf>,

    /// A named scenario of the catalog, restricting the configuration to its faults.
    #[arg(long, value_name = "NAME", conflicts_with = "counterexample")]
    pub scenario: Option<String>,

    /// The protocol version whose policy the model runs, overriding the configuration's.
    #[arg(
        long,
        value_enum,
        value_name = "VERSION",
        conflicts_with = "counterexample"
    )]
    pub protocol: Option<ProtocolArg>,

    /// The TCP port on 127.0.0.1.
    #[arg(long, value_name = "PORT", default_value_t = 3000, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    /// A saved counterexample: explore its configuration and print the URL of its last state.
    #[arg(long, value_name = "FILE")]
    pub counterexample: Option<PathBuf>,
}

const CHECK_AFTER_HELP: &str = "\
Statuses: an `always` or `eventually` property holds or is violated (with the length of the \
path found); a `sometimes` property is reached or unreached. A run cut by a limit keeps these \
statuses, says `incomplete` and which limit, and exits 3 unless it found a violation.

Out of scope: a standard witness the configuration's faults make unreachable (a promotion without \
a lease expiry; the rules are in docs/scenarios.md), or one a scenario file lists, is reported as \
`out of scope: why` when unreached and never fails the run. Scenario witnesses (a scenario \
file's ordered patterns of protocol events) are `sometimes` properties like the others.

Shallow or deep: --strategy bfs --max-depth D answers `within D steps of time zero` exhaustively \
(no symmetry); DFS (the default) covers the whole configuration when it finishes; --from FILE or \
--from-script covers everything after a given prefix, for scenarios too deep to finish from time \
zero (docs/scenarios.md).

With --scenario-file, a version the file expects to get something wrong exits 0 when the run \
shows exactly that expectation (the `expected` line), 1 otherwise.

Exit codes:
  0  complete, every always/eventually holds and every in-scope sometimes is reached
  1  a violation (even in an incomplete run), or an unreached in-scope sometimes in a complete run
  2  bad usage or bad configuration
  3  cut by a limit (--max-states, --max-depth, --timeout, --memory-limit, Ctrl-C) with no violation

Determinism: the same model, bounds and seed give the same unique and total counts and the same \
verdicts for a complete DFS or BFS run, with any number of threads (max depth and the path found \
may differ between thread counts). A simulation with --threads 1 and --max-states is \
reproducible; with more threads, or with --timeout, the paths sampled depend on timing.

Symmetry reduction (one state per class of states equal up to replica renaming) is applied by DFS \
only; BFS and simulate explore unreduced states, and the summary says which. A simulation does \
not track uniqueness: its unique states equal its total states, and it is never complete.";

/// `swb-check check`.
#[derive(Debug, Args)]
#[command(after_help = CHECK_AFTER_HELP)]
pub struct CheckArgs {
    /// Model configuration (JSON or TOML); the embedded default when absent.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,

    /// How the state space is traversed. DFS keeps only fingerprints and applies symmetry
    /// reduction; BFS queues whole states and ignores symmetry; simulate samples random paths.
    #[arg(long, value_enum, default_value_t = StrategyArg::Dfs)]
    pub strategy: StrategyArg,

    /// Check every state within D actions of the start, nothing deeper (for simulate: the path
    /// length cap).
    #[arg(long, value_name = "D")]
    pub max_depth: Option<usize>,

    /// Stop after about N generated states (counting repeats; threads finish their block).
    #[arg(long, value_name = "N")]
    pub max_states: Option<NonZeroUsize>,

    /// Stop after SECS seconds (decimals allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Stop when resident memory reaches 90% of MIB mebibytes (checked every 20 ms; a burst of
    /// allocation between two checks can still overshoot). Minimising the counterexamples
    /// obeys it too: a trace it stops is saved as found or partly shrunk, marked `partial`.
    #[arg(long, value_name = "MIB")]
    pub memory_limit: Option<NonZeroU64>,

    /// Seed of the random walks (simulate only) [default: 0].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Explore every state rather than one per class of states equal up to replica renaming.
    #[arg(long)]
    pub no_symmetry: bool,

    /// Also judge the progress property (from every reachable state a valid end state stays
    /// reachable) on the explicit state graph of the checked configuration. It holds every
    /// state, so it is for small bounds: past --progress-states-max it stops, incomplete. The
    /// main job (no configuration given) always judges it, at its own progress bounds (a lossy
    /// network, one write, any one fault: docs/design.md D49).
    #[arg(long, conflicts_with = "no_progress")]
    pub progress: bool,

    /// Skip the main job's progress check.
    #[arg(long)]
    pub no_progress: bool,

    /// The most states the progress graph may hold.
    #[arg(long, value_name = "N", default_value_t = crate::liveness::STATES_MAX_DEFAULT)]
    pub progress_states_max: NonZeroUsize,

    /// Check a named scenario of the catalog (see `swb-check scenarios`), restricting the
    /// configuration (`--config`, or the base bounds: the embedded default without message loss)
    /// to its faults.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,

    /// The protocol version whose policy the model runs, overriding the configuration's.
    #[arg(long, value_enum, value_name = "VERSION")]
    pub protocol: Option<ProtocolArg>,

    /// The model to check: the protocol, or a reference and self-test model for the tool's own
    /// tests and benchmark.
    #[arg(long, value_enum, default_value_t = ModelChoice::SwBlock, hide = true)]
    pub model: ModelChoice,

    /// Where violations are saved, minimised, as DIR/<scenario>/<protocol>/<property>.json
    /// [default: counterexamples]. With --shard (required there): the shared directory that
    /// receives DIR/shard-I-of-N.json and the shard's counterexamples under DIR/shard-I-of-N/.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Do not save counterexample files.
    #[arg(long, conflicts_with = "out_dir")]
    pub no_save: bool,

    /// Run as shard I of N (I from 0 to N-1) of a sharded exhaustive search, or `auto/N` to take
    /// I from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array).
    /// Every shard computes the same breadth-first frontier at --frontier-depth, keeps the
    /// frontier states whose class digest mod N is I, and searches depth-first from them; `swb-check
    /// merge DIR` combines the N results (docs/distributed.md).
    #[arg(
        long,
        value_name = "I/N",
        value_parser = parse_shard,
        requires_all = ["frontier_depth", "out_dir"],
        conflicts_with_all = ["max_depth", "max_states", "seed"]
    )]
    pub shard: Option<ShardArg>,

    /// With --shard: the depth (in actions) of the frontier the shards split.
    #[arg(long, value_name = "K", requires = "shard")]
    pub frontier_depth: Option<usize>,

    /// Check a scenario file (TOML or JSON, the catalog's format; see docs/scenarios.md): its
    /// bounds over the base, its own witnesses, and the standard witnesses out of scope (derived
    /// from the faults it leaves off unless it lists them).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "config"])]
    pub scenario_file: Option<PathBuf>,

    /// Save the trace of every reached witness (standard and scenario) as
    /// DIR/<scenario>/<protocol>/<witness>.json, in the counterexample format (`show`, `show
    /// --svg` and `replay` read it).
    #[arg(long, value_name = "DIR")]
    pub witness_dir: Option<PathBuf>,

    /// Search exhaustively from the last state of this saved trace (a counterexample or witness
    /// file) instead of time zero; every result is then relative to that prefix.
    #[arg(long, value_name = "FILE", conflicts_with = "from_script")]
    pub from: Option<PathBuf>,

    /// Search exhaustively from where the scenario file's script leaves the model; every result
    /// is then relative to that prefix.
    #[arg(long, requires = "scenario_file")]
    pub from_script: bool,
}

/// The most shards one search may be split into.
pub const SHARD_COUNT_MAX: u32 = 65_536;

/// `--shard I/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardArg {
    /// Which shard this run is.
    pub index: ShardIndexArg,
    /// How many shards the search is split into. Invariant: 1 to [`SHARD_COUNT_MAX`].
    pub count: u32,
}

/// The `I` of `--shard I/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardIndexArg {
    /// Given on the command line. Invariant: below the shard count.
    Given(u32),
    /// `auto`: read from the scheduler's environment when the run starts.
    FromScheduler,
}

fn parse_shard(text: &str) -> Result<ShardArg, String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not I/N (for example 0/4 or auto/4)"))?;
    let count: u32 = count
        .parse()
        .ok()
        .filter(|count| (1..=SHARD_COUNT_MAX).contains(count))
        .ok_or_else(|| format!("{text:?}: N must be a whole number from 1 to {SHARD_COUNT_MAX}"))?;
    let index = match index {
        "auto" => ShardIndexArg::FromScheduler,
        given => ShardIndexArg::Given(
            given
                .parse()
                .ok()
                .filter(|index| *index < count)
                .ok_or_else(|| {
                    format!("{text:?}: I must be a whole number from 0 to {}", count - 1)
                })?,
        ),
    };
    Ok(ShardArg { index, count })
}

const MERGE_AFTER_HELP: &str = "\
Reads every DIR/shard-I-of-N.json written by `check --shard I/N --out-dir DIR` (several DIRs may \
hold parts of one run) and prints the combined verdict as `check` does (--json: the `check --json` \
object plus `shards`, `missing_shards` and `frontier`). A property is violated or reached when any shard says so; \
unique and total states are the sums over the shards (duplicated work included). The result is \
complete only if every shard 0..N-1 is present and complete; every shard must come from the same \
configuration, scenario, frontier depth, shard count and swb-check version. The shortest \
counterexample any shard saved for a property is minimised again from the initial state and saved \
under --out-dir, as `check` saves one.

Exit codes:
  0  every shard present and complete, every always holds and every sometimes is reached
  1  a violation (in any shard), or an unreached sometimes in a complete merge
  2  bad input: no shard file, a corrupt or unreadable one, two files for one shard, shards of \
different runs (one error line, nothing on stdout)
  3  incomplete with no violation: a shard is missing (named on one stderr line) or was cut by a limit";

/// `swb-check merge`.
#[derive(Debug, Args)]
#[command(after_help = MERGE_AFTER_HELP)]
pub struct MergeArgs {
    /// Directories holding the shard results.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Where the merged counterexamples are saved, as DIR/<scenario>/<protocol>/<property>.json
    /// [default: counterexamples].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Do not save counterexample files.
    #[arg(long, conflicts_with = "out_dir")]
    pub no_save: bool,
}

/// Where `check` and `merge` save counterexamples when `--out-dir` is not given.
pub const COUNTEREXAMPLES_DIR: &str = "counterexamples";

/// `swb-check show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The counterexample file (JSON, as saved by `check`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Also draw the trace as a message-sequence chart into this SVG file.
    #[arg(long, value_name = "OUT")]
    pub svg: Option<PathBuf>,
}

/// `swb-check bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Model configuration (JSON or TOML); the embedded default when absent.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Give up on a run after SECS seconds (it is then reported incomplete).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "600")]
    pub timeout: Duration,

    /// Measure every run N times (interleaved) and report the median by seconds, with the range.
    #[arg(long, value_name = "N", default_value = "3", value_parser = clap::value_parser!(u8).range(1..=20))]
    pub repeat: u8,

    /// The model measured against the paxos reference (self-test).
    #[arg(long, value_enum, default_value_t = ModelChoice::SwBlock, hide = true)]
    pub model: ModelChoice,

    /// Internal: measure one run in this process and print it as one JSON line.
    #[arg(long, value_enum, hide = true)]
    pub single: Option<BenchTarget>,

    /// Internal: the thread count of a `--single` run.
    #[arg(long, value_name = "N", hide = true, requires = "single")]
    pub threads: Option<NonZeroUsize>,
}

const REPLAY_AFTER_HELP: &str = "\
Verdicts: conforms (the engine followed the model step by step), engine-refused (an engine call \
was refused: the rule and the error are named), diverged (the first replica field that differs: \
step, field, model value, engine value). The model check says whether the trace is still a path \
of the model that violates its property: still-violates, no-longer-violates or invalid-path \
(valid-path for a conformance trace, which names no property).

A counterexample that conforms is also judged on the engine's own state after every step (pins, \
budgets, frozen targets; docs/design.md D28): holds-in-engine (by a named engine rule: \
retention-pin for A6, frozen-target for A5), outside-engine (A1, A9: promotion, a decision the \
engine does not make), fails-in-engine (the first step and breach) or not-judged (the property \
has no engine-side judgement). --json prints {file, model_check, verdict, steps, rule, error, \
divergence, engine_judgement}, engine_judgement null or {judgement, rule | decision, evidence} \
or {judgement: \"fails-in-engine\", step, breach: {kind, replica, session, ...}}.

--corpus DIR replays every *.json under DIR (sorted by path) and compares each file's model check, \
verdict and rule with DIR/verdicts.json; --write-manifest rewrites that manifest instead \
(atomically). Both also check the rule below for every file.

Exit codes:
  0  the trace has the verdict its protocol requires: a V2 trace conforms; a V1 / V1.5 trace is
     engine-refused (the engine fences what the old protocol allowed), diverges from the
     violating path, or conforms with its property holding in the engine or outside it
     (holds-in-engine, outside-engine); and the model still takes it as recorded. With
     --corpus: every file does and every verdict and judgement matches the manifest
  1  otherwise
  2  bad input (missing or malformed file, unknown format, property or configuration)";

/// `swb-check replay`.
#[derive(Debug, Args)]
#[command(after_help = REPLAY_AFTER_HELP)]
pub struct ReplayArgs {
    /// The trace file (a counterexample or a conformance trace).
    #[arg(
        value_name = "FILE",
        required_unless_present = "corpus",
        conflicts_with = "corpus"
    )]
    pub file: Option<PathBuf>,

    /// Replay every trace under DIR and compare the verdicts with DIR/verdicts.json.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,

    /// With --corpus: write DIR/verdicts.json (and every trace's step log and expansion) from
    /// what was found instead of comparing.
    #[arg(long, requires = "corpus")]
    pub write_manifest: bool,

    /// Also write the trace's engine step log (`swb-steps/1`, JSON lines, docs/step-log.md).
    #[arg(long, value_name = "OUT", conflicts_with = "corpus")]
    pub emit_steps: Option<PathBuf>,

    /// Print the trace with every state (format 1, as `show` reads it) instead of replaying it:
    /// expands an action-only conformance trace (`swb-replay/1`).
    #[arg(long, conflicts_with_all = ["corpus", "emit_steps", "json"])]
    pub expand: bool,

    /// Print one JSON object instead of the text.
    #[arg(long)]
    pub json: bool,
}

const CONFORM_AFTER_HELP: &str = "\
Each walk is replayed on the engine and compared after every step (see `replay --help`). The same \
seed gives the same walks and the same report on every machine, except steps_per_second. One \
minimal trace per class of finding (refused rule or diverged field) is saved under --out.

Exit codes: 0 every walk conforms, 1 at least one does not, 2 bad input.";

/// `swb-check conform`.
#[derive(Debug, Args)]
#[command(after_help = CONFORM_AFTER_HELP)]
pub struct ConformArgs {
    /// Model configuration (JSON or TOML); the embedded default (V2) when absent.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Random walks to replay (ignored with --exhaustive).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub traces: usize,

    /// Steps per walk; with --exhaustive, the depth of the breadth-first tree.
    #[arg(long, value_name = "D")]
    pub depth: Option<usize>,

    /// Seed of the walks.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,

    /// Replay every path of the breadth-first tree up to --depth [default depth: 5].
    #[arg(long)]
    pub exhaustive: bool,

    /// Where one minimal trace per class of finding is saved.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "counterexamples/conformance"
    )]
    pub out: PathBuf,

    /// Also write every walk's engine step log to DIR (`walk-NNNN.jsonl`, docs/step-log.md).
    #[arg(long, value_name = "DIR")]
    pub emit_steps: Option<PathBuf>,

    /// Print one JSON object instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// `swb-check scenarios`.
#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Print a Markdown table (`docs/scenarios.md`) instead of the text listing.
    #[arg(long)]
    pub markdown: bool,

    /// Describe the faults at the quick bounds rather than the default ones.
    #[arg(long)]
    pub quick: bool,
}

const COMPARE_AFTER_HELP: &str = "\
Each cell is one scenario under one version: an exhaustive DFS (one thread, symmetry on) of the \
scenario's configuration. A cell reads `holds`, `✗ property (n)` for a violated property with its \
trace length, or `unreached: witness`; `≠` marks a cell that differs from the catalog's \
expectation. Violations are minimised and saved under --counterexamples (by default \
counterexamples/; with --quick, a scratch folder removed at the end).

Exit codes: 0 every cell matches its expectation, 1 some cell differs (or was cut), 2 bad input.";

/// `swb-check compare`.
#[derive(Debug, Args)]
#[command(after_help = COMPARE_AFTER_HELP)]
pub struct CompareArgs {
    /// Only these scenarios (comma-separated names) [default: all].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub scenarios: Vec<String>,

    /// Only these versions (comma-separated) [default: v1,v1.5,v2].
    #[arg(long, value_enum, value_name = "V,...", value_delimiter = ',')]
    pub protocols: Vec<ProtocolArg>,

    /// Cells checked at once [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,

    /// Use the quick bound set (the test suite's and `docs/comparison.md`'s) instead of the
    /// default bounds.
    #[arg(long)]
    pub quick: bool,

    /// Cut a cell after SECS seconds (it is then reported incomplete and does not match).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Print one JSON object instead of the matrix.
    #[arg(long)]
    pub json: bool,

    /// Also write the comparison document (requires --quick and the whole catalog).
    #[arg(long)]
    pub write_doc: bool,

    /// Where --write-doc writes.
    #[arg(long, value_name = "FILE", default_value = "docs/comparison.md")]
    pub doc: PathBuf,

    /// Where counterexample files are saved [default: counterexamples; with --quick, a scratch
    /// folder removed at the end: the checked-in corpus holds the default-bounds traces, and a
    /// quick run must not replace them with its own]
    #[arg(long, value_name = "DIR")]
    pub counterexamples: Option<PathBuf>,
}

/// `--protocol`, `--protocols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    #[value(name = "v1")]
    V1,
    #[value(name = "v1.5")]
    V1_5,
    #[value(name = "v2")]
    V2,
}

impl ProtocolArg {
    /// The model's version.
    pub fn version(self) -> swb_model::ProtocolVersion {
        match self {
            ProtocolArg::V1 => swb_model::ProtocolVersion::V1,
            ProtocolArg::V1_5 => swb_model::ProtocolVersion::V1_5,
            ProtocolArg::V2 => swb_model::ProtocolVersion::V2,
        }
    }
}

/// `--strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Dfs,
    Bfs,
    Simulate,
}

/// `--model` (hidden).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelChoice {
    /// The sw-block protocol model built from the configuration.
    SwBlock,
    /// stateright's paxos example: 3 servers, 3 clients.
    Paxos,
    /// Three counters; every property holds or is reached.
    Toy,
    /// Three counters with a failing `always` and an unreachable `sometimes`.
    ToyBroken,
    /// Six counters, far too many states to finish (limits and interrupts).
    ToyLarge,
}

/// What a `bench --single` run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchTarget {
    /// The model chosen by `--model` (the protocol by default).
    Model,
    /// stateright's paxos example.
    Paxos,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{text:?} is not a positive number of seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

const MUTANTS_AFTER_HELP: &str = "\
Each mutant removes or weakens one guard of the protocol handlers (`Mutant::guard`). It is run by \
exhaustive DFS (one thread per mutant, symmetry on) up a ladder of bounds, smallest first \
(`swb_properties::guards::ladder`): killed at the first rung where an `always` property fails \
(the trace is then minimised, as `check` does) or where a witness the unmutated model reaches is \
lost; equivalent when every rung's reachable graph has the unmutated model's unique and total \
counts, or when the guard that masks it (docs/properties.md) is removed too and the pair is caught; \
survived otherwise. See docs/design.md D70-D79.

Exit codes:
  0  every mutant killed or equivalent
  1  some mutant survived
  2  bad usage";

/// `swb-check mutants`.
#[derive(Debug, Args)]
#[command(after_help = MUTANTS_AFTER_HELP)]
pub struct MutantsArgs {
    /// Mutants run at once (each search has one thread) [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,

    /// Only these mutants (snake_case names, comma-separated); all when absent.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Climb at most this many rungs of each ladder (1 = reduced bounds only).
    #[arg(long, value_name = "K")]
    pub rungs_max: Option<NonZeroUsize>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the seconds parser takes positive decimals and refuses everything else with a reason.
    #[test]
    fn seconds_accept_positive_decimals_and_refuse_the_rest() {
        let cases = [
            ("1", Some(Duration::from_secs(1))),
            ("0.25", Some(Duration::from_millis(250))),
            ("0", None),
            ("-1", None),
            ("inf", None),
            ("NaN", None),
            ("soon", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_seconds(text).ok(), expected, "input {text:?}");
        }
    }

    // Goal: `--shard` takes I/N with I below N, and auto/N; everything else is refused.
    #[test]
    fn shard_accepts_index_below_count_and_auto() {
        let given = |index, count| {
            Some(ShardArg {
                index: ShardIndexArg::Given(index),
                count,
            })
        };
        let cases = [
            ("0/4", given(0, 4)),
            ("3/4", given(3, 4)),
            ("0/1", given(0, 1)),
            (
                "auto/8",
                Some(ShardArg {
                    index: ShardIndexArg::FromScheduler,
                    count: 8,
                }),
            ),
            ("4/4", None),
            ("0/0", None),
            ("-1/4", None),
            ("1", None),
            ("a/4", None),
            ("0/65537", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_shard(text).ok(), expected, "input {text:?}");
        }
    }

    // Goal: the derive is consistent (clap's own debug assertions).
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

/// `swb-check properties`.
#[derive(Debug, Args)]
pub struct PropertiesArgs {
    /// Print the catalogue as the Markdown table `docs/properties.md` holds.
    #[arg(long)]
    pub markdown: bool,
}
