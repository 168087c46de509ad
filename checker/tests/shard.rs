//! End-to-end tests of the sharded search (issue 19, `docs/distributed.md`): `check --shard I/N`
//! run as N separate processes of the binary, then `merge`, against the single run of the same
//! configuration.
//!
//! The configuration is tiny (one write, one crash and one lease expiry, at most one fault per
//! run: about 4,300 states), so a shard takes a fraction of a second; a frontier at depth 6 has
//! about 140 states to split.

mod common;

use common::{assert_one_error_line, exit_code, json, stderr_lines};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

const SOUND_CONFIG: &str = r#"{
  "protocol": "v2", "nodes": 3, "commit_mode": "sync_quorum", "writes_max": 1,
  "crashes_max": 1, "address_changes_max": 0, "lease_expiries_max": 1, "partitions_max": 0,
  "timeouts_max": 0, "faults_max": 1, "catch_up_rounds_max": 1, "catch_up_batch": 1, "retention_entries": 1,
  "message_loss": "reliable", "message_duplication": "exactly"
}"#;

/// The same bounds with the coordinator promoting any node that answered (breaks A9).
fn mutant_config() -> String {
    SOUND_CONFIG.replace(
        r#""exactly""#,
        r#""exactly", "mutant": "promote_any_responder""#,
    )
}

const SHARDS: u32 = 4;
const FRONTIER_DEPTH: &str = "6";

/// A fresh directory holding `sound.json` and `mutant.json`.
fn workspace(name: &str) -> PathBuf {
    let directory = common::scratch_dir("swb-shard", name);
    std::fs::write(directory.join("sound.json"), SOUND_CONFIG).expect("writes the config");
    std::fs::write(directory.join("mutant.json"), mutant_config()).expect("writes the config");
    directory
}

fn swb_check(directory: &Path, args: &[&str]) -> Output {
    common::swb_check_in(directory, args)
}

/// Runs the `SHARDS` shards of `config` at once, as separate processes, into `out_dir`; returns
/// each one's output, by index.
fn run_shards(directory: &Path, config: &str, out_dir: &str) -> Vec<Output> {
    let children: Vec<_> = (0..SHARDS)
        .map(|index| {
            let shard = format!("{index}/{SHARDS}");
            common::command(&[
                "check",
                "--config",
                config,
                "--threads",
                "1",
                "--shard",
                &shard,
                "--frontier-depth",
                FRONTIER_DEPTH,
                "--out-dir",
                out_dir,
                "--json",
            ])
            .current_dir(directory)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("swb-check starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("the shard ends"))
        .collect()
}

/// (name, status) of every property, as listed (sorted by name).
fn statuses(summary: &Value) -> Vec<(String, String)> {
    summary["properties"]
        .as_array()
        .expect("properties is a list")
        .iter()
        .map(|property| {
            (
                property["name"].as_str().expect("name").to_owned(),
                property["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

fn count(value: &Value) -> u64 {
    value.as_u64().expect("a count")
}

/// The sound configuration's single run and its four shards, made once for the tests that only
/// read them (each test copies the shard files it changes).
struct SoundRun {
    directory: PathBuf,
    single: Output,
    shards: Vec<Output>,
}

fn sound_run() -> &'static SoundRun {
    static RUN: OnceLock<SoundRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let directory = workspace("sound");
        let single = swb_check(
            &directory,
            &[
                "check",
                "--config",
                "sound.json",
                "--threads",
                "1",
                "--no-save",
                "--json",
            ],
        );
        let shards = run_shards(&directory, "sound.json", "shards");
        SoundRun {
            directory,
            single,
            shards,
        }
    })
}

/// A copy of the sound run's shard files in a fresh directory `name` under the run's directory.
fn copy_of_shards(name: &str) -> PathBuf {
    let run = sound_run();
    let copy = run.directory.join(name);
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).expect("creates the copy");
    for index in 0..SHARDS {
        let file = format!("shard-{index}-of-{SHARDS}.json");
        std::fs::copy(run.directory.join("shards").join(&file), copy.join(&file))
            .expect("copies a shard file");
    }
    copy
}

fn merge(directory: &Path, dirs: &[&str]) -> Output {
    let mut args = vec!["merge", "--json", "--no-save"];
    args.extend(dirs);
    swb_check(directory, &args)
}

// Goal (issue 19 §2): four shards of a small configuration, run as separate processes, merge
// into the single run's verdicts and exit code, complete, and their states together cover the
// single run's (duplicated work is allowed, missed states are not).
#[test]
fn four_shards_merge_into_the_single_run_verdicts_and_cover_its_states() {
    let run = sound_run();
    let single = json(&run.single);
    for (index, shard) in run.shards.iter().enumerate() {
        assert_eq!(
            exit_code(shard),
            exit_code(&run.single),
            "shard {index}: {}",
            String::from_utf8_lossy(&shard.stderr)
        );
        let result = json(shard);
        assert_eq!(result["shard"]["index"], index);
        assert_eq!(result["complete"], true, "shard {index}");
    }
    let merged_output = merge(&run.directory, &["shards"]);
    assert_eq!(exit_code(&merged_output), exit_code(&run.single));
    let merged = json(&merged_output);
    assert_eq!(statuses(&merged), statuses(&single));
    assert_eq!(merged["complete"], true);
    assert_eq!(merged["missing_shards"], serde_json::json!([]));
    assert_eq!(merged["config"], single["config"]);
    let shard_states: Vec<u64> = run
        .shards
        .iter()
        .map(|shard| count(&json(shard)["unique_states"]))
        .collect();
    let sum: u64 = shard_states.iter().sum();
    assert_eq!(count(&merged["unique_states"]), sum);
    assert!(
        sum >= count(&single["unique_states"]),
        "shards {shard_states:?} against the single run's {}",
        single["unique_states"]
    );
}

// Goal: every shard computes the same frontier, and the shares partition it.
#[test]
fn shards_agree_on_the_frontier_and_split_it() {
    let run = sound_run();
    let results: Vec<Value> = run.shards.iter().map(json).collect();
    let frontier = count(&results[0]["shard"]["frontier_states"]);
    assert!(frontier > SHARDS as u64, "frontier of {frontier} states");
    for result in &results {
        assert_eq!(count(&result["shard"]["frontier_states"]), frontier);
        assert_eq!(
            result["shard"]["prefix_states"],
            results[0]["shard"]["prefix_states"]
        );
    }
    let shares: u64 = results
        .iter()
        .map(|result| count(&result["shard"]["frontier_share"]))
        .sum();
    assert_eq!(shares, frontier);
}

// Goal (issue 19 §1): a missing shard makes the merge incomplete: `missing_shards`, exit 3 (no
// violation), and one stderr line naming the shard.
#[test]
fn missing_shard_makes_the_merge_incomplete() {
    let copy = copy_of_shards("missing");
    std::fs::remove_file(copy.join("shard-2-of-4.json")).expect("removes shard 2");
    let output = merge(&copy, &["."]);
    assert_eq!(exit_code(&output), 3);
    let merged = json(&output);
    assert_eq!(merged["complete"], false);
    assert_eq!(merged["limit_hit"], "missing_shards");
    assert_eq!(merged["missing_shards"], serde_json::json!([2]));
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("shard(s) 2 of 0..3 missing"), "{lines:?}");
}

// Goal (issue 19 §1, bad input): corrupt, misnamed, duplicated and mismatched shard files, and
// directories without any, are one error line and exit 2 with nothing on stdout.
#[test]
fn bad_shard_files_are_one_error_line_and_exit_two() {
    let run = sound_run();
    let corrupt = copy_of_shards("corrupt");
    std::fs::write(corrupt.join("shard-1-of-4.json"), "{\"protocol\": ").expect("writes");

    let misnamed = copy_of_shards("misnamed");
    std::fs::rename(
        misnamed.join("shard-1-of-4.json"),
        misnamed.join("shard-9-of-10.json"),
    )
    .expect("renames");

    let duplicate = copy_of_shards("duplicate");
    let duplicate_other = run.directory.join("duplicate-other");
    let _ = std::fs::remove_dir_all(&duplicate_other);
    std::fs::create_dir_all(&duplicate_other).expect("creates");
    std::fs::copy(
        duplicate.join("shard-0-of-4.json"),
        duplicate_other.join("shard-0-of-4.json"),
    )
    .expect("copies");

    let mismatched = copy_of_shards("mismatched");
    let text = std::fs::read_to_string(mismatched.join("shard-3-of-4.json")).expect("reads");
    std::fs::write(
        mismatched.join("shard-3-of-4.json"),
        text.replace("\"writes_max\": 1", "\"writes_max\": 2"),
    )
    .expect("writes");

    let empty = run.directory.join("empty");
    let _ = std::fs::remove_dir_all(&empty);
    std::fs::create_dir_all(&empty).expect("creates");

    let cases: [(&str, Vec<&str>, &str); 6] = [
        ("corrupt", vec!["corrupt"], "not a shard result"),
        (
            "misnamed",
            vec!["misnamed"],
            "holds the result of shard 1 of 4",
        ),
        (
            "duplicate",
            vec!["duplicate", "duplicate-other"],
            "shard 0 of 4 appears twice",
        ),
        ("mismatched", vec!["mismatched"], "shards of different runs"),
        ("empty", vec!["empty"], "holds no shard result"),
        (
            "absent",
            vec!["no-such-directory"],
            "cannot read the shard directory",
        ),
    ];
    for (case, dirs, expected) in cases {
        let output = merge(&run.directory, &dirs);
        let line = assert_one_error_line(&output, case);
        assert!(line.contains(expected), "{case}: {line}");
    }
}

// Goal (issue 19 §1): a mutant's violation is found by some shard, and `merge` reports it with
// exit 1 and saves the same minimised counterexample a single `check` saves.
#[test]
fn mutant_violation_found_by_a_shard_is_reported_and_saved_by_merge() {
    let directory = workspace("mutant");
    let shards = run_shards(&directory, "mutant.json", "shards");
    let violated_somewhere = shards.iter().any(|shard| {
        statuses(&json(shard)).contains(&(
            "promotion_picks_eligible_candidate".into(),
            "violated".into(),
        ))
    });
    assert!(violated_somewhere);
    let output = swb_check(
        &directory,
        &["merge", "shards", "--out-dir", "merged", "--json"],
    );
    assert_eq!(exit_code(&output), 1);
    let merged = json(&output);
    assert!(statuses(&merged).contains(&(
        "promotion_picks_eligible_candidate".into(),
        "violated".into()
    )));

    let single = swb_check(
        &directory,
        &[
            "check",
            "--config",
            "mutant.json",
            "--threads",
            "1",
            "--out-dir",
            "single",
        ],
    );
    assert_eq!(exit_code(&single), 1);
    let saved = "mutant/v2/promotion_picks_eligible_candidate.json";
    let from_merge = std::fs::read(directory.join("merged").join(saved)).expect("merge saved it");
    let from_check = std::fs::read(directory.join("single").join(saved)).expect("check saved it");
    assert_eq!(from_merge, from_check);
}

// Goal (issue 19 §2): `--shard auto/N` takes the index from JOB_COMPLETION_INDEX (Kubernetes)
// or SLURM_ARRAY_TASK_ID (Slurm); without either, or out of range, it is one error line.
#[test]
fn shard_auto_reads_the_scheduler_index() {
    let directory = workspace("auto");
    let run = |variables: &[(&str, &str)]| {
        let mut command = common::command(&[
            "check",
            "--config",
            "sound.json",
            "--threads",
            "1",
            "--shard",
            "auto/4",
            "--frontier-depth",
            "2",
            "--out-dir",
            "out",
            "--json",
        ]);
        command
            .current_dir(&directory)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_ARRAY_TASK_ID");
        for (name, value) in variables {
            command.env(name, value);
        }
        command.output().expect("swb-check starts")
    };
    let kubernetes = run(&[("JOB_COMPLETION_INDEX", "2")]);
    assert_eq!(json(&kubernetes)["shard"]["index"], 2);
    let slurm = run(&[("SLURM_ARRAY_TASK_ID", "1")]);
    assert_eq!(json(&slurm)["shard"]["index"], 1);
    assert!(directory.join("out/shard-2-of-4.json").is_file());
    assert!(directory.join("out/shard-1-of-4.json").is_file());

    let line = assert_one_error_line(&run(&[]), "no index");
    assert!(line.contains("JOB_COMPLETION_INDEX"), "{line}");
    let line = assert_one_error_line(&run(&[("SLURM_ARRAY_TASK_ID", "4")]), "out of range");
    assert!(line.contains("from 0 to 3"), "{line}");
}

// Goal: `--shard` without its companions, or with options it cannot honour, is a usage error.
#[test]
fn shard_usage_errors_are_one_line() {
    let directory = workspace("usage");
    let cases = [
        "check --shard 0/4 --out-dir out",
        "check --shard 0/4 --frontier-depth 3",
        "check --shard 4/4 --frontier-depth 3 --out-dir out",
        "check --shard 0/4 --frontier-depth 3 --out-dir out --max-states 10",
        "check --config sound.json --shard 0/4 --frontier-depth 3 --out-dir out --strategy bfs",
    ];
    for command_line in cases {
        let args: Vec<&str> = command_line.split_whitespace().collect();
        assert_one_error_line(&swb_check(&directory, &args), command_line);
    }
    assert!(!directory.join("out").exists(), "nothing written");
}

// Goal (issue 19 §2): the Slurm scripts in deploy/ run as a job array would run them: each
// task's SLURM_ARRAY_TASK_ID picks its shard, and the merge script decides the same verdict as
// the single run.
#[test]
fn slurm_array_scripts_shard_and_merge_like_the_single_run() {
    let run = sound_run();
    let directory = workspace("slurm");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/slurm");
    let results = directory.join("results");
    let script = |name: &str, task: Option<u32>| {
        let mut command = std::process::Command::new("bash");
        command
            .arg(scripts.join(name))
            .current_dir(&directory)
            .env("SWB_CHECK", common::EXE)
            .env("SWB_CONFIG", directory.join("sound.json"))
            .env("SWB_RESULTS", &results)
            .env("SWB_SHARDS", SHARDS.to_string())
            .env("SWB_FRONTIER_DEPTH", FRONTIER_DEPTH)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_CPUS_PER_TASK");
        if let Some(task) = task {
            command.env("SLURM_ARRAY_TASK_ID", task.to_string());
        }
        command.output().expect("bash runs the script")
    };
    for task in 0..SHARDS {
        let output = script("shards.sbatch", Some(task));
        assert_eq!(exit_code(&output), exit_code(&run.single), "task {task}");
    }
    let merged = script("merge.sbatch", None);
    assert_eq!(exit_code(&merged), exit_code(&run.single));
    let table = String::from_utf8_lossy(&merged.stdout);
    assert!(table.contains("result         complete"), "{table}");
}
