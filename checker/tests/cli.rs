//! End-to-end tests of the `swb-check` binary: exit codes, the JSON summary, limits, Ctrl-C and
//! bad input, run on the hidden self-test models (`--model toy`, `toy-broken`, `toy-large`) so
//! they do not depend on the protocol model and finish in well under a second each.

mod common;

use common::{exit_code, json, stderr_lines, swb_check, EXE};
use serde_json::Value;
use std::process::{Command, Stdio};

fn property_status(summary: &Value, name: &str) -> (String, Value) {
    let property = summary["properties"]
        .as_array()
        .expect("properties is a list")
        .iter()
        .find(|property| property["name"] == name)
        .unwrap_or_else(|| panic!("property {name} listed"));
    (
        property["status"].as_str().expect("status").to_owned(),
        property["trace_len"].clone(),
    )
}

/// Verdicts and exit codes on complete runs.
mod verdicts {
    use super::*;

    // Goal: a complete run where everything holds exits 0 (docs: exit codes, issue 2).
    #[test]
    fn sound_model_complete_run_exits_zero() {
        let output = swb_check("check --model toy --threads 1 --json");
        assert_eq!(exit_code(&output), 0);
        let summary = json(&output);
        assert_eq!(summary["complete"], true);
        assert_eq!(summary["limit_hit"], Value::Null);
    }

    // Goal: a failing `always` is `violated` with a trace length, an impossible `sometimes` is
    // `unreached`, and the exit code is 1.
    #[test]
    fn broken_model_reports_violation_and_unreached_with_exit_one() {
        let output = swb_check("check --model toy-broken --threads 1 --json");
        assert_eq!(exit_code(&output), 1);
        let summary = json(&output);
        let (status, trace_len) = property_status(&summary, "counter_spread_at_most_two");
        assert_eq!(status, "violated");
        assert!(
            trace_len.as_u64().is_some_and(|len| len >= 3),
            "{trace_len}"
        );
        assert_eq!(
            property_status(&summary, "counter_above_max"),
            ("unreached".to_owned(), Value::Null)
        );
    }

    // Goal: the table names every property with its status, and the run's figures.
    #[test]
    fn table_lists_properties_and_figures() {
        let output = swb_check("check --model toy-broken --threads 1");
        assert_eq!(exit_code(&output), 1);
        let table = String::from_utf8_lossy(&output.stdout);
        for expected in [
            "counter_spread_at_most_two",
            "violated (trace length ",
            "unreached",
            "unique states",
            "total states",
            "max depth",
            "seconds",
            "threads",
            "strategy",
            "symmetry       on",
            "result         complete",
        ] {
            assert!(
                table.contains(expected),
                "missing {expected:?} in:\n{table}"
            );
        }
    }
}

/// The JSON summary's shape.
mod json_summary {
    use super::*;

    // Goal: exactly the documented fields, in order, and properties sorted by name.
    #[test]
    fn json_has_documented_fields_and_sorted_properties() {
        let output = swb_check("check --model toy-broken --threads 2 --json");
        let summary = json(&output);
        let mut keys: Vec<&str> = summary
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let expected = [
            "protocol",
            "scenario",
            "config",
            "complete",
            "limit_hit",
            "unique_states",
            "total_states",
            "max_depth",
            "seconds",
            "threads",
            "strategy",
            "symmetry",
            "seed",
            "end_states",
            "properties",
        ];
        // The parsed map sorts its keys, so the order is checked on the text.
        let text = String::from_utf8_lossy(&output.stdout);
        let positions: Vec<usize> = expected
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).expect("key present"))
            .collect();
        assert!(positions.is_sorted(), "fields out of order: {text}");
        keys.sort_unstable();
        let mut expected_sorted = expected.to_vec();
        expected_sorted.sort_unstable();
        assert_eq!(keys, expected_sorted);
        let names: Vec<&str> = summary["properties"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|property| property["name"].as_str().expect("a name"))
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for property in summary["properties"].as_array().expect("a list") {
            let kind = property["kind"].as_str().expect("a kind");
            assert!(
                ["always", "sometimes", "eventually"].contains(&kind),
                "{kind}"
            );
        }
        assert_eq!(summary["threads"], 2);
        assert_eq!(summary["strategy"], "dfs");
        assert_eq!(summary["symmetry"], true);
        assert_eq!(summary["seed"], Value::Null);
    }
}

/// Same bounds, same counts.
mod determinism {
    use super::*;

    fn counts(command_line: &str) -> (Value, Value, Vec<(Value, Value)>) {
        let summary = json(&swb_check(command_line));
        let statuses = summary["properties"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|property| (property["name"].clone(), property["status"].clone()))
            .collect();
        (
            summary["unique_states"].clone(),
            summary["total_states"].clone(),
            statuses,
        )
    }

    // Goal: one and two threads give identical unique and total counts and verdicts on a
    // complete run, with and without symmetry, for DFS and BFS (issue 7, "the checker checked").
    #[test]
    fn one_and_two_threads_give_identical_counts_and_verdicts() {
        for options in ["", "--no-symmetry", "--strategy bfs"] {
            let run = |threads: u32| {
                counts(&format!(
                    "check --model toy-broken --json --threads {threads} {options}"
                ))
            };
            assert_eq!(run(1), run(2), "options {options:?}");
        }
    }

    // Goal: a seeded one-thread simulation with a state budget prints the same summary twice
    // (apart from the seconds).
    #[test]
    fn seeded_simulation_is_reproducible() {
        let run = || {
            let mut summary = json(&swb_check(
                "check --model toy-broken --strategy simulate --seed 42 --max-states 400 \
                 --threads 1 --json",
            ));
            summary["seconds"] = Value::Null;
            summary
        };
        let first = run();
        assert_eq!(first, run());
        assert_eq!(first["seed"], 42);
        assert_eq!(first["complete"], false);
    }
}

/// Limits end the search cleanly: incomplete, the limit named, exit 3.
mod limits {
    use super::*;

    fn assert_cut(command_line: &str, limit: &str) {
        let output = swb_check(command_line);
        assert_eq!(exit_code(&output), 3, "{command_line}");
        let summary = json(&output);
        assert_eq!(summary["complete"], false, "{command_line}");
        assert_eq!(summary["limit_hit"], limit, "{command_line}");
    }

    // Goal: `--max-states` cuts a run with one and with two threads.
    #[test]
    fn max_states_cut_exits_three() {
        for threads in [1, 2] {
            assert_cut(
                &format!("check --model toy-large --max-states 2000 --threads {threads} --json"),
                "max_states",
            );
        }
    }

    // Goal: `--timeout` stops a one-thread run too (stateright alone ignores it there).
    #[test]
    fn timeout_cut_exits_three_with_one_and_two_threads() {
        for threads in [1, 2] {
            assert_cut(
                &format!("check --model toy-large --timeout 0.3 --threads {threads} --json"),
                "timeout",
            );
        }
    }

    // Goal: `--max-depth` short of the longest path cuts the run, with one and two threads.
    #[test]
    fn max_depth_cut_exits_three_with_one_and_two_threads() {
        for threads in [1, 2] {
            assert_cut(
                &format!("check --model toy --max-depth 5 --threads {threads} --json"),
                "max_depth",
            );
        }
    }

    // Goal: `--memory-limit` stops the search with one and two threads (a timeout guards the
    // test). Without symmetry the large counters' deep DFS stack grows fast, so the limit is
    // reached within milliseconds.
    #[test]
    fn memory_limit_cut_exits_three_with_one_and_two_threads() {
        for threads in [1, 2] {
            assert_cut(
                &format!(
                    "check --model toy-large --no-symmetry --memory-limit 24 --timeout 30 \
                     --threads {threads} --json"
                ),
                "memory_limit",
            );
        }
    }

    // Goal: Ctrl-C prints the partial summary and exits 3, with one and two threads (issue 7).
    // The signal is sent once the run has announced itself, after the handler is installed, so
    // no sleep is needed.
    #[test]
    fn interrupt_prints_partial_summary_and_exits_three_with_one_and_two_threads() {
        use std::io::{BufRead, BufReader};
        for threads in [1, 2] {
            let command_line =
                format!("check --model toy-large --threads {threads} --json --timeout 30");
            let mut child = Command::new(EXE)
                .args(command_line.split_whitespace())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("swb-check starts");
            let stderr = child.stderr.take().expect("stderr piped");
            let mut first_line = String::new();
            BufReader::new(stderr)
                .read_line(&mut first_line)
                .expect("reads the announcement");
            assert!(first_line.contains("checking with dfs"), "{first_line}");
            let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
            // SAFETY: sends SIGINT to the child this test started and still owns.
            let sent = unsafe { libc::kill(pid, libc::SIGINT) };
            assert_eq!(sent, 0, "SIGINT delivered");
            let output = child.wait_with_output().expect("swb-check ends");
            assert_eq!(exit_code(&output), 3, "threads {threads}");
            let summary = json(&output);
            assert_eq!(summary["limit_hit"], "interrupted", "threads {threads}");
            assert_eq!(summary["complete"], false, "threads {threads}");
            assert_eq!(summary["threads"], threads, "threads {threads}");
        }
    }
}

/// A reader that stops early: stdout closed before `swb-check` writes to it.
mod closed_stdout {
    use super::*;

    /// Runs `command_line` with a stdout pipe whose reading end is closed at once, so every write
    /// fails with a broken pipe; returns the exit code and stderr.
    fn run_with_closed_stdout(command_line: &str) -> (i32, String) {
        let mut child = Command::new(EXE)
            .args(command_line.split_whitespace())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("swb-check starts");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("swb-check ends");
        (
            exit_code(&output),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    // Goal (issue 7): `swb-check check | head -1` does not panic. With stdout closed, `check`
    // ends quietly with its own verdict's exit code (1: the broken counters fail), and the other
    // commands that print results end with exit 0, no panic and no error on stderr.
    #[test]
    fn closed_stdout_is_a_quiet_end_not_a_panic() {
        let cases = [
            ("check --model toy-broken --threads 1", 1),
            ("check --model toy-broken --threads 1 --json", 1),
            ("properties", 0),
            ("properties --markdown", 0),
            ("scenarios", 0),
            ("scenarios --markdown", 0),
            ("bench --single model --model toy --threads 1", 0),
        ];
        for (command_line, expected) in cases {
            let (code, stderr) = run_with_closed_stdout(command_line);
            assert_eq!(code, expected, "{command_line}: {stderr}");
            // `check` announces itself on stderr; nothing there may be a panic or an error.
            assert!(!stderr.contains("panicked"), "{command_line}: {stderr}");
            assert!(!stderr.contains("error"), "{command_line}: {stderr}");
        }
    }
}

/// Bad usage: one error line on stderr, exit 2.
mod bad_input {
    use super::*;

    // Goal: each kind of bad usage is one `swb-check: error:` line and exit 2.
    #[test]
    fn bad_usage_is_one_error_line_and_exit_two() {
        let cases = [
            "check --model toy --seed 1",
            "check --model toy --strategy sideways",
            "check --model toy --threads 0",
            "check --model toy --timeout -1",
            "check --model toy --strategy simulate",
            "check --model toy --config missing.toml",
            "check --model toy --memory-limit 1",
            "check --model toy --no-such-flag",
        ];
        for command_line in cases {
            let output = swb_check(command_line);
            assert_eq!(exit_code(&output), 2, "{command_line}");
            let lines = stderr_lines(&output);
            assert_eq!(lines.len(), 1, "{command_line}: {lines:?}");
            assert!(lines[0].starts_with("swb-check: error: "), "{lines:?}");
            assert!(output.stdout.is_empty(), "{command_line}");
        }
    }

    /// A valid configuration file's fields (the embedded default), to edit one field at a time.
    const DEFAULT_CONFIG: &str = r#""protocol": "v2", "nodes": 3, "commit_mode": "sync_quorum",
        "writes_max": 2, "crashes_max": 1, "address_changes_max": 1, "lease_expiries_max": 1,
        "partitions_max": 1, "timeouts_max": 1, "faults_max": 1, "catch_up_rounds_max": 1,
        "catch_up_batch": 1, "retention_entries": 1, "message_loss": "reliable",
        "message_duplication": "exactly""#;

    /// The default configuration with `field` set to `value` (a JSON value), or with an extra
    /// field when `field` is not one of the configuration's.
    fn config_with(field: &str, value: &str) -> String {
        let mut config: serde_json::Map<String, Value> =
            serde_json::from_str(&format!("{{{DEFAULT_CONFIG}}}")).expect("valid JSON");
        config.insert(
            field.to_owned(),
            serde_json::from_str(value).expect("a JSON value"),
        );
        Value::Object(config).to_string()
    }

    // Goal (issue 7, bad input): every kind of bad configuration is one error line that names
    // the field or value at fault and the accepted values, exit 2, nothing on stdout. Cases:
    // unknown field (JSON and TOML), impossible bounds, a commit mode the topology cannot
    // satisfy, unknown protocol / commit mode / mutant names, unknown scenario and protocol on
    // the command line. The embedded default is valid (the baseline row).
    #[test]
    fn bad_configuration_is_one_line_naming_field_and_accepted_values() {
        let directory = common::scratch_dir("swb-cli", "bad-config");
        let default_path = directory.join("default.json");
        std::fs::write(&default_path, config_with("nodes", "3")).expect("writes");
        let baseline = swb_check(&format!(
            "check --config {} --max-states 50 --no-save --json",
            default_path.display()
        ));
        assert_eq!(
            exit_code(&baseline),
            3,
            "the unedited configuration is valid"
        );
        // The summary names every bound it checked: the file's, field for field.
        let checked = json(&baseline)["config"].clone();
        let given: Value = serde_json::from_str(&config_with("nodes", "3")).expect("valid JSON");
        assert_eq!(
            checked, given,
            "the summary shows the configuration checked"
        );

        let files = [
            (
                "unknown-field.json",
                config_with("nodez", "3"),
                &["nodez", "writes_max", "faults_max"][..],
            ),
            (
                "too-many-nodes.json",
                config_with("nodes", "9"),
                &["nodes = 9", "2 to 5"],
            ),
            (
                "no-writes.json",
                config_with("writes_max", "0"),
                &["writes_max = 0", "1 to 6"],
            ),
            (
                "too-many-faults.json",
                config_with("faults_max", "13"),
                &["faults_max = 13", "0 to 12"],
            ),
            (
                "quorum-of-two.json",
                config_with("nodes", "2"),
                &["commit_mode = sync_quorum with 2 nodes", "sync_all"],
            ),
            (
                "unknown-protocol.json",
                config_with("protocol", r#""v3""#),
                &["v3", "v1", "v1.5", "v2"],
            ),
            (
                "unknown-commit-mode.json",
                config_with("commit_mode", r#""majority""#),
                &["majority", "best_effort", "sync_quorum", "sync_all"],
            ),
            (
                "unknown-mutant.json",
                config_with("mutant", r#""flip_bits""#),
                &["flip_bits", "ack_before_flush"],
            ),
            (
                "negative-bound.json",
                config_with("crashes_max", "-1"),
                &["-1", "u8"],
            ),
            (
                "unknown-field.toml",
                "nodez = 3\n".to_owned(),
                &["nodez", "protocol"],
            ),
            (
                "config.yaml",
                String::new(),
                &["config.yaml", ".json or .toml"],
            ),
        ];
        for (name, contents, expected) in files {
            let path = directory.join(name);
            std::fs::write(&path, contents).expect("writes the configuration");
            let command_line = format!("check --config {} --no-save", path.display());
            let line = common::assert_one_error_line(&swb_check(&command_line), name);
            for word in expected {
                assert!(line.contains(word), "{name}: {word:?} missing in {line}");
            }
        }

        let command_lines = [
            (
                "check --scenario no-such-scenario --no-save",
                &[
                    "no-such-scenario",
                    "valid names",
                    "same-address-transient-outage",
                ][..],
            ),
            (
                "check --protocol v3 --no-save",
                &["v3", "--protocol", "v1, v1.5, v2"],
            ),
            (
                "check --strategy sideways --no-save",
                &["sideways", "dfs, bfs, simulate"],
            ),
            ("check --max-states 0 --no-save", &["--max-states", "0"]),
            (
                "compare --scenarios no-such-scenario --protocols v2",
                &["no-such-scenario", "valid names"],
            ),
        ];
        for (command_line, expected) in command_lines {
            let line = common::assert_one_error_line(&swb_check(command_line), command_line);
            for word in expected {
                assert!(
                    line.contains(word),
                    "{command_line}: {word:?} missing in {line}"
                );
            }
        }
        std::fs::remove_dir_all(&directory).expect("cleans up");
    }

    // Goal: help is not an error.
    #[test]
    fn help_exits_zero_and_documents_exit_codes() {
        let output = swb_check("check --help");
        assert_eq!(exit_code(&output), 0);
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Exit codes:"), "{help}");
    }
}

/// The benchmark's measuring child.
mod bench {
    use super::*;

    // Goal: a single bench run reports the exact counts of a complete DFS run and a peak resident
    // size no smaller than the size before the search (the full benchmark runs paxos, which
    // takes too long for a test).
    #[test]
    fn single_bench_run_prints_counts_and_memory() {
        let output = swb_check("bench --single model --model toy --threads 1");
        assert_eq!(exit_code(&output), 0);
        let run = json(&output);
        assert_eq!(run["unique_states"], 35);
        assert_eq!(run["total_states"], 85);
        assert_eq!(run["complete"], true);
        assert_eq!(run["symmetry"], true);
        let baseline = run["resident_baseline_bytes"].as_u64().expect("baseline");
        let peak = run["resident_peak_bytes"].as_u64().expect("peak");
        assert!(peak >= baseline, "peak {peak} below baseline {baseline}");
    }
}

/// `swb-check mutants` (issue 16): the documented JSON and exit codes, on the cheapest rung.
mod mutants {
    use super::*;
    use common::assert_one_error_line;

    // Goal: `--json` has exactly the documented fields, a killed mutant names its property and
    // minimal trace, and all killed or equivalent exits 0. Method: two mutants at their reduced
    // bounds (a few thousand states each): one caught, one whose graph is the unmutated one's.
    #[test]
    fn json_lists_each_mutant_with_documented_fields_and_exits_0() {
        let output = swb_check(
            "mutants --json --threads 1 --rungs-max 1 --only count_late_barrier_ack,barrier_ack_beyond_outstanding",
        );
        assert_eq!(exit_code(&output), 0);
        let document = json(&output);
        // The parsed map sorts its keys, so both sides are compared sorted.
        let sorted_keys = |value: &Value| {
            let mut keys: Vec<String> = value
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect();
            keys.sort_unstable();
            keys
        };
        let sorted = |names: &[&str]| {
            let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
            names.sort_unstable();
            names
        };
        assert_eq!(
            sorted_keys(&document),
            sorted(&["mutants", "killed", "equivalent", "survived"])
        );
        let mutants = document["mutants"].as_array().expect("a list");
        assert_eq!(
            sorted_keys(&mutants[0]),
            sorted(&[
                "name",
                "guard",
                "status",
                "property",
                "trace_len",
                "unique_states",
                "seconds"
            ])
        );
        assert_eq!(mutants[0]["name"], "count_late_barrier_ack");
        assert_eq!(mutants[0]["status"], "killed");
        assert_eq!(mutants[0]["property"], "expired_barrier_ack_never_counted");
        assert_eq!(mutants[0]["trace_len"], 4);
        assert_eq!(mutants[1]["name"], "barrier_ack_beyond_outstanding");
        assert_eq!(mutants[1]["status"], "equivalent");
        assert_eq!(mutants[1]["property"], Value::Null);
        assert_eq!(
            (
                &document["killed"],
                &document["equivalent"],
                &document["survived"]
            ),
            (&Value::from(1), &Value::from(1), &Value::from(0))
        );
    }

    // Goal: an unknown mutant name is bad input: one error line, exit 2.
    #[test]
    fn unknown_mutant_is_refused() {
        let output = swb_check("mutants --only no_such_mutant");
        assert_eq!(exit_code(&output), 2);
        assert_one_error_line(&output, "unknown mutant");
    }
}
