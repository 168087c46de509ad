//! End-to-end tests of counterexample files through the `swb-check` binary: `check` saves a
//! minimised violation atomically and lists it, `show` narrates and draws it, and bad input to
//! `show` is one error line, exit code 2 and no output file (issue 5; issue 7, fuzzing).
//!
//! The model is the stale-epoch mutant at tiny bounds (one lease expiry, one write, no other
//! faults): its whole state space is checked in about a second.

use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const EXE: &str = env!("CARGO_BIN_EXE_swb-check");

const STALE_EPOCH_CONFIG: &str = r#"{
  "protocol": "v2", "nodes": 3, "commit_mode": "sync_quorum", "writes_max": 1,
  "crashes_max": 0, "address_changes_max": 0, "lease_expiries_max": 1, "partitions_max": 0,
  "timeouts_max": 0, "faults_max": 2, "catch_up_rounds_max": 1, "catch_up_batch": 1, "retention_entries": 1,
  "message_loss": "reliable", "message_duplication": "exactly",
  "mutant": "replica_accepts_stale_epoch"
}"#;

const SAVED: &str = "stale/v2/stale_epoch_traffic_is_fenced.json";

fn swb_check(directory: &Path, args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .current_dir(directory)
        .stdin(Stdio::null())
        .output()
        .expect("swb-check starts")
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("swb-check exits, not killed")
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A fresh directory holding the mutant configuration as `stale.json`.
fn workspace(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("swb-cex-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("creates the workspace");
    std::fs::write(directory.join("stale.json"), STALE_EPOCH_CONFIG).expect("writes the config");
    directory
}

/// Every file under `directory`, relative, sorted.
fn files_under(directory: &Path) -> Vec<String> {
    fn walk(root: &Path, directory: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(directory).expect("lists").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(directory, directory, &mut out);
    out.sort();
    out
}

/// One saved counterexample, made once by `check` for the `show` tests.
fn saved_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let directory = workspace("fixture");
        let output = swb_check(
            &directory,
            &[
                "check",
                "--config",
                "stale.json",
                "--threads",
                "1",
                "--out-dir",
                "out",
            ],
        );
        assert_eq!(
            exit_code(&output),
            1,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        directory.join("out").join(SAVED)
    })
}

/// Saving from `check`.
mod saving {
    use super::*;

    // Goal: `check` saves the violation under counterexamples/<scenario>/<protocol>/ in the
    // current directory by default, lists it in `--json`, and leaves no temporary file.
    #[test]
    fn check_saves_violation_under_current_directory_and_lists_it() {
        let directory = workspace("default-dir");
        let output = swb_check(
            &directory,
            &[
                "check",
                "--config",
                "stale.json",
                "--threads",
                "1",
                "--json",
            ],
        );
        assert_eq!(exit_code(&output), 1);
        let summary: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
        let expected = format!("counterexamples/{SAVED}");
        assert_eq!(summary["counterexamples"], serde_json::json!([expected]));
        assert_eq!(
            files_under(&directory),
            vec![expected, "stale.json".to_owned()]
        );
    }

    // Goal: the saved file is the same bytes whichever thread count found the violation.
    #[test]
    fn saved_file_is_identical_for_one_and_two_threads() {
        let directory = workspace("threads");
        for threads in ["1", "2"] {
            let out = format!("out-{threads}");
            let output = swb_check(
                &directory,
                &[
                    "check",
                    "--config",
                    "stale.json",
                    "--threads",
                    threads,
                    "--out-dir",
                    &out,
                ],
            );
            assert_eq!(exit_code(&output), 1, "threads {threads}");
        }
        let read = |out: &str| std::fs::read(directory.join(out).join(SAVED)).expect("saved");
        assert!(read("out-1") == read("out-2"), "the files differ");
    }

    // Goal: `--no-save` writes nothing and lists nothing.
    #[test]
    fn no_save_writes_nothing() {
        let directory = workspace("no-save");
        let output = swb_check(
            &directory,
            &[
                "check",
                "--config",
                "stale.json",
                "--threads",
                "1",
                "--json",
                "--no-save",
            ],
        );
        assert_eq!(exit_code(&output), 1);
        let summary: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
        assert_eq!(summary["counterexamples"], serde_json::json!([]));
        assert_eq!(files_under(&directory), vec!["stale.json".to_owned()]);
    }
}

/// `show`.
mod show {
    use super::*;

    // Goal: `show` narrates the saved trace step by step and ends with the reason; `--svg`
    // writes a chart.
    #[test]
    fn show_narrates_and_draws_saved_trace() {
        let file = saved_file();
        let directory = workspace("show");
        let chart = directory.join("chart.svg");
        let output = swb_check(
            &directory,
            &[
                "show",
                file.to_str().expect("UTF-8 path"),
                "--svg",
                chart.to_str().expect("UTF-8 path"),
            ],
        );
        assert_eq!(
            exit_code(&output),
            0,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("1. [coordinator] coordinator: lease expires"),
            "{text}"
        );
        assert!(
            text.contains("4. [n2] n1 → n2: write(e1, lsn 1, to v1)"),
            "{text}"
        );
        assert!(text.contains("why it fails"), "{text}");
        let svg = std::fs::read_to_string(&chart).expect("chart written");
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches(r#"class="delivery""#).count(), 2);
    }

    /// Runs `show` on `bytes` with `--svg`, and checks the bad-input contract: exit 2, one
    /// stderr line naming the file, nothing on stdout, no chart and no other file written.
    fn assert_refused(name: &str, bytes: Option<&[u8]>) {
        let directory = workspace(&format!("bad-{name}"));
        std::fs::remove_file(directory.join("stale.json")).expect("clean workspace");
        if let Some(bytes) = bytes {
            std::fs::write(directory.join("input.json"), bytes).expect("writes the input");
        }
        let output = swb_check(&directory, &["show", "input.json", "--svg", "chart.svg"]);
        assert_eq!(exit_code(&output), 2, "{name}");
        let lines = stderr_lines(&output);
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert!(
            lines[0].starts_with("swb-check: error: input.json: "),
            "{name}: {lines:?}"
        );
        assert!(output.stdout.is_empty(), "{name}");
        let expected: Vec<String> = bytes.iter().map(|_| "input.json".to_owned()).collect();
        assert_eq!(files_under(&directory), expected, "{name}");
    }

    // Goal: each kind of bad input is refused by the contract above.
    #[test]
    fn bad_input_is_one_line_exit_two_and_writes_nothing() {
        let valid: Value =
            serde_json::from_slice(&std::fs::read(saved_file()).expect("saved")).expect("JSON");
        let mut future = valid.clone();
        future["format"] = serde_json::json!(2);
        let mut edited = valid.clone();
        edited["steps"][3]["action"]["deliver"]["from"] = serde_json::json!("n3");
        let mut other_config = valid;
        other_config["config"]["nodes"] = serde_json::json!(4);
        assert_refused("missing", None);
        assert_refused("malformed", Some(b"{ not json"));
        assert_refused("future-format", Some(future.to_string().as_bytes()));
        assert_refused("unknown-action", Some(edited.to_string().as_bytes()));
        assert_refused("other-config", Some(other_config.to_string().as_bytes()));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        // Goal (issue 7): arbitrary bytes never make `show` panic: they are refused.
        #[test]
        fn arbitrary_bytes_are_refused_not_panicked_on(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            assert_refused("fuzz", Some(&bytes));
        }
    }
}
