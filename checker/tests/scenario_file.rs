//! End-to-end tests of reviewers' own scenarios (issue 18): a scenario file is checked with one
//! command, its unreachable standard witnesses are out of scope rather than failures, its own
//! witness is reached and its trace saved in the counterexample format, and a search can start
//! past a prefix (a saved trace or the file's script). Only the small example scenarios run here
//! (under two seconds each); the five-node and chain-of-custody examples are in the note's
//! measurements.

mod common;

use common::{exit_code, json, scratch_dir, stdout_text, swb_check_args};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/scenarios")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

fn status(summary: &Value, name: &str) -> String {
    summary["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .find(|property| property["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

// Goal: each small example exits 0 under V2 with its own witness reached, every unreachable
// standard witness reported out of scope with a reason, and the witness's trace saved where
// `show` reads it as a witness trace.
#[test]
fn example_scenarios_exit_zero_with_their_witness_reached_and_saved() {
    let cases = [
        ("replica-ahead-of-committed-zero", "ahead_replica_truncated"),
        ("epoch-bump-in-barrier-window", "bump_inside_barrier_window"),
        ("rebuild-then-epoch-bump", "rebuild_then_bump_then_in_sync"),
    ];
    for (scenario, witness) in cases {
        let directory = scratch_dir("scenario-file", scenario);
        let witnesses = directory.join("witnesses");
        let file = example(scenario);
        let output = swb_check_args(&[
            "check",
            "--scenario-file",
            &file,
            "--threads",
            "1",
            "--json",
            "--no-save",
            "--witness-dir",
            &witnesses.display().to_string(),
        ]);
        assert_eq!(
            exit_code(&output),
            0,
            "{scenario}: {}",
            stdout_text(&output)
        );
        let summary = json(&output);
        assert_eq!(summary["complete"], true, "{scenario}");
        assert_eq!(status(&summary, witness), "reached", "{scenario}");
        assert_eq!(
            status(&summary, "address_change_then_recovery"),
            "out_of_scope"
        );
        let reasons = summary["out_of_scope"].as_array().expect("out_of_scope");
        assert!(
            reasons
                .iter()
                .all(|entry| !entry["reason"].as_str().unwrap_or("").is_empty()),
            "{scenario}: {reasons:?}"
        );
        let saved: PathBuf = witnesses
            .join(scenario)
            .join("v2")
            .join(format!("{witness}.json"));
        let traces = summary["witness_traces"]
            .as_array()
            .expect("witness_traces");
        assert!(
            traces
                .iter()
                .any(|trace| trace["file"] == saved.display().to_string()),
            "{scenario}: {traces:?}"
        );
        let shown = swb_check_args(&["show", &saved.display().to_string()]);
        assert_eq!(exit_code(&shown), 0, "{scenario}");
        let text = stdout_text(&shown);
        assert!(text.starts_with("witness trace"), "{text}");
        assert!(text.contains("reaches it."), "{text}");
        let _ = std::fs::remove_dir_all(&directory);
    }
}

// Goal: a search from a prefix says so, in the table and the JSON, and still reaches the
// witness: from the file's script, and from a saved trace (the script's own witness trace).
#[test]
fn search_from_a_prefix_is_reported_relative_to_it() {
    let directory = scratch_dir("scenario-file", "from");
    let file = directory.join("ahead.toml");
    let text = std::fs::read_to_string(example("replica-ahead-of-committed-zero"))
        .expect("reads the example");
    std::fs::write(&file, format!("script = [\"append(r, lsn=1)\"]\n{text}"))
        .expect("writes the scenario");
    let file = file.display().to_string();
    let witnesses = directory.join("witnesses").display().to_string();
    let output = swb_check_args(&[
        "check",
        "--scenario-file",
        &file,
        "--from-script",
        "--threads",
        "1",
        "--json",
        "--no-save",
        "--witness-dir",
        &witnesses,
    ]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_text(&output));
    let summary = json(&output);
    assert_eq!(summary["from"]["scope"], "relative to the prefix");
    let steps = summary["from"]["steps"].as_u64().expect("steps");
    assert!(steps > 0);
    assert_eq!(status(&summary, "ahead_replica_truncated"), "reached");

    let saved = Path::new(&witnesses)
        .join("replica-ahead-of-committed-zero/v2/ahead_replica_truncated.json")
        .display()
        .to_string();
    // From the end of the witness's own trace the witness holds at once; standard witnesses
    // that nothing after that state can reach (the one write is spent) are unreached relative
    // to the prefix, which is why this run exits 1 while the whole configuration passes.
    let output = swb_check_args(&[
        "check",
        "--scenario-file",
        &file,
        "--from",
        &saved,
        "--threads",
        "1",
        "--no-save",
        "--json",
    ]);
    let summary = json(&output);
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["from"]["source"], saved.as_str());
    assert_eq!(status(&summary, "ahead_replica_truncated"), "reached");
    assert_eq!(status(&summary, "commit_happens"), "unreached");
    assert_eq!(exit_code(&output), 1);
    let _ = std::fs::remove_dir_all(&directory);
}

// Goal: bad scenario files are one error line and exit 2 (unknown event, out-of-range bound,
// a standard property's name taken by a scenario witness, a property of the wrong kind).
#[test]
fn bad_scenario_files_are_refused_with_one_line() {
    let directory = scratch_dir("scenario-file", "bad");
    let cases = [
        (
            "[[witness]]\nname = \"w\"\nevents = [\"epoch_bumps\"]\n",
            "unknown event",
        ),
        ("[bounds]\nnodes = 9\n", "nodes = 9 is out of range"),
        (
            "[[witness]]\nname = \"commit_happens\"\nevents = [\"commit\"]\n",
            "standard property",
        ),
        (
            "[verdicts]\nout_of_scope = [\"commit_needs_durable_copies\"]\n",
            "`always` property",
        ),
    ];
    for (index, (body, reason)) in cases.iter().enumerate() {
        let file = directory.join(format!("bad{index}.toml"));
        std::fs::write(
            &file,
            format!("name = \"bad\"\ndescription = \"d\"\n{body}"),
        )
        .expect("writes");
        let output = swb_check_args(&["check", "--scenario-file", &file.display().to_string()]);
        let line = common::assert_one_error_line(&output, reason);
        assert!(line.contains(reason), "{line}");
    }
    let _ = std::fs::remove_dir_all(&directory);
}

// Goal: a scenario file's expectation for an older version decides that version's exit code: a
// catalog file checked directly matches it under V1 (exit 0, the expectation shown), and the
// same file without its V1 expectation fails under V1 (exit 1: V1 breaks A1 and A9 there).
#[test]
fn an_older_versions_expectation_decides_its_exit_code() {
    let catalog_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/s2-non-quorum-write-then-failover.toml");
    let catalog_file = catalog_file.display().to_string();
    let run = |file: &str| {
        swb_check_args(&[
            "check",
            "--scenario-file",
            file,
            "--protocol",
            "v1",
            "--threads",
            "1",
            "--no-save",
            "--json",
        ])
    };
    let output = run(&catalog_file);
    assert_eq!(exit_code(&output), 0, "{}", stdout_text(&output));
    let summary = json(&output);
    assert!(summary["expected"]
        .as_str()
        .expect("expected shown")
        .contains("committed_data_survives_failover"));

    let directory = scratch_dir("scenario-file", "expected");
    let text = std::fs::read_to_string(&catalog_file).expect("reads");
    let without_v1: String = text
        .lines()
        .filter(|line| !line.starts_with("v1 ="))
        .map(|line| format!("{line}\n"))
        .collect();
    let file = directory.join("s2-without-v1.toml");
    std::fs::write(&file, without_v1).expect("writes");
    let output = run(&file.display().to_string());
    assert_eq!(exit_code(&output), 1, "{}", stdout_text(&output));
    let _ = std::fs::remove_dir_all(&directory);
}
