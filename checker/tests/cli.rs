//! End-to-end tests of the `swb-check` binary: exit codes, the JSON summary, limits, Ctrl-C and
//! bad input, run on the hidden self-test models (`--model toy`, `toy-broken`, `toy-large`) so
//! they do not depend on the protocol model and finish in well under a second each.

use serde_json::Value;
use std::process::{Command, Output, Stdio};

const EXE: &str = env!("CARGO_BIN_EXE_swb-check");

/// Runs `swb-check` with the whitespace-separated words of `command_line`.
fn swb_check(command_line: &str) -> Output {
    Command::new(EXE)
        .args(command_line.split_whitespace())
        .stdin(Stdio::null())
        .output()
        .expect("swb-check starts")
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("swb-check exits, not killed")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON object ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

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

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
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

    // Goal: `--max-depth` short of the longest path cuts the run.
    #[test]
    fn max_depth_cut_exits_three() {
        assert_cut(
            "check --model toy --max-depth 5 --threads 1 --json",
            "max_depth",
        );
    }

    // Goal: `--memory-limit` stops the search (a timeout guards the test). Without symmetry the
    // large counters' deep DFS stack grows fast, so the limit is reached within milliseconds.
    #[test]
    fn memory_limit_cut_exits_three() {
        assert_cut(
            "check --model toy-large --no-symmetry --memory-limit 24 --timeout 30 --threads 1 \
             --json",
            "memory_limit",
        );
    }

    // Goal: Ctrl-C prints the partial summary and exits 3 (issue 7). The signal is sent once
    // the run has announced itself, after the handler is installed, so no sleep is needed.
    #[test]
    fn interrupt_prints_partial_summary_and_exits_three() {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(EXE)
            .args("check --model toy-large --threads 1 --json --timeout 30".split_whitespace())
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
        assert_eq!(exit_code(&output), 3);
        let summary = json(&output);
        assert_eq!(summary["limit_hit"], "interrupted");
        assert_eq!(summary["complete"], false);
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
