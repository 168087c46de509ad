//! End-to-end tests of `swb-check replay` and `swb-check conform`: bad input, reproducible
//! conformance runs, and saved findings that replay to the same verdict.

mod common;

use common::{exit_code, files_with_extension, json, scratch_dir, swb_check_args};
use std::path::PathBuf;

/// A fresh, empty folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    scratch_dir("swb-replay-test", name)
}

// Goal: a missing trace file is bad input: exit 2, one stderr line naming the file, no stdout
// (issue 5, "Bad input").
#[test]
fn replay_of_missing_file_exits_two_with_one_line() {
    let output = swb_check_args(&["replay", "/nonexistent/trace.json", "--json"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(
        stderr.contains("/nonexistent/trace.json"),
        "stderr: {stderr}"
    );
    assert!(output.stdout.is_empty());
}

// Goal: malformed JSON and an unknown format are bad input too (exit 2, one line).
#[test]
fn replay_of_malformed_or_unknown_format_exits_two() {
    let folder = scratch("malformed");
    let rows = [
        ("malformed.json", "{not json"),
        ("unknown.json", r#"{"format": "swb-replay/99"}"#),
    ];
    for (name, text) in rows {
        let path = folder.join(name);
        std::fs::write(&path, text).expect("write input");
        let output = swb_check_args(&["replay", path.to_str().expect("utf-8 path")]);
        assert_eq!(exit_code(&output), 2, "{name}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr).lines().count(),
            1,
            "{name}"
        );
    }
}

// Goal: the same seed gives the same conformance report, field for field, except the
// machine-dependent throughput (issue 5: "the same seed gives the same walks on every machine").
#[test]
fn conform_with_fixed_seed_is_reproducible() {
    let folder = scratch("reproducible");
    let out = folder.to_str().expect("utf-8 path");
    let run = || {
        let output = swb_check_args(&[
            "conform", "--traces", "30", "--depth", "25", "--seed", "7", "--json", "--out", out,
        ]);
        assert!(
            matches!(exit_code(&output), 0 | 1),
            "stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut report = json(&output);
        report
            .as_object_mut()
            .expect("an object")
            .remove("steps_per_second");
        report
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(first["seed"], 7);
    assert_eq!(first["traces"], 30);
}

// Goal: every finding `conform` saves replays, through `replay`, to the verdict it was saved
// for (so the saved corpus is a regression suite).
#[test]
fn saved_conformance_findings_replay_to_their_verdict() {
    let folder = scratch("findings");
    let out = folder.to_str().expect("utf-8 path");
    let output = swb_check_args(&[
        "conform", "--traces", "40", "--depth", "25", "--seed", "2", "--json", "--out", out,
    ]);
    let report = json(&output);
    for class in report["classes"].as_array().expect("classes") {
        let file = class["file"].as_str().expect("saved file");
        let replayed = json(&swb_check_args(&["replay", file, "--json"]));
        assert_eq!(replayed["model_check"], "valid-path", "{file}");
        let expected = class["class"]
            .as_str()
            .expect("class")
            .split(':')
            .next()
            .expect("verdict");
        assert_eq!(replayed["verdict"], expected, "{file}");
    }
}

// Goal: the engine conforms to the V2 model (issue 5: "zero divergences is the goal"): seeded
// walks and the breadth-first tree at small bounds, every walk replayed, none diverging.
#[test]
fn conform_finds_no_divergence_at_small_bounds() {
    let folder = scratch("zero");
    let out = folder.to_str().expect("utf-8 path");
    let runs: [&[&str]; 2] = [
        &["--traces", "200", "--depth", "40", "--seed", "0"],
        &["--exhaustive", "--depth", "4"],
    ];
    for run in runs {
        let mut args = vec!["conform", "--json", "--out", out];
        args.extend_from_slice(run);
        let output = swb_check_args(&args);
        let report = json(&output);
        assert_eq!(report["divergences"], 0, "{run:?}: {report}");
        assert_eq!(exit_code(&output), 0, "{run:?}");
        assert!(report["steps"].as_u64().is_some_and(|steps| steps > 0));
    }
    assert_eq!(std::fs::read_dir(&folder).expect("folder").count(), 0);
}

/// The regression corpus of the workspace.
fn corpus_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../counterexamples")
        .join(relative)
}

// Goal (issue 17): `replay FILE --emit-steps OUT` writes the trace's step log, the same bytes
// the corpus stores beside it.
#[test]
fn replay_emit_steps_writes_the_stored_step_log() {
    let folder = scratch("emit-steps");
    let out = folder.join("trace.steps.jsonl");
    let trace = corpus_file("conformance/outrun-catch-up.json");
    let output = swb_check_args(&[
        "replay",
        trace.to_str().expect("utf-8 path"),
        "--emit-steps",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(exit_code(&output), 0);
    let written = std::fs::read(&out).expect("the step log is written");
    let stored = std::fs::read(corpus_file("conformance/outrun-catch-up.steps.jsonl"))
        .expect("the corpus stores the step log");
    assert_eq!(written, stored);
}

// Goal (issue 17, bad input): a trace that cannot be read exits 2 with one line and writes no
// step log.
#[test]
fn replay_emit_steps_of_bad_input_writes_nothing() {
    let folder = scratch("emit-steps-bad");
    let trace = folder.join("malformed.json");
    std::fs::write(&trace, "{not json").expect("write input");
    let out = folder.join("out.jsonl");
    let output = swb_check_args(&[
        "replay",
        trace.to_str().expect("utf-8 path"),
        "--emit-steps",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(exit_code(&output), 2);
    assert_eq!(String::from_utf8_lossy(&output.stderr).lines().count(), 1);
    assert!(!out.exists());
}

// Goal (issue 17): `replay --expand` gives an action-only trace every state, in the format
// `show` and `replay` read (format 1), and the expansion replays to the same verdict.
#[test]
fn replay_expand_gives_every_state() {
    let trace = corpus_file("conformance/second-round-new-session.json");
    let output = swb_check_args(&["replay", "--expand", trace.to_str().expect("utf-8 path")]);
    assert_eq!(exit_code(&output), 0);
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the expansion is JSON");
    assert_eq!(document["format"], 1);
    let steps = document["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    assert!(steps.iter().all(|step| step["state"].is_object()));
}

// Goal (issue 17): `conform --emit-steps DIR` writes one step log per walk, and `--json`
// reports coverage with every entry point and refusal class and the ones never exercised.
#[test]
fn conform_emits_one_step_log_per_walk_and_reports_coverage() {
    let folder = scratch("conform-emit");
    let logs = folder.join("logs");
    let output = swb_check_args(&[
        "conform",
        "--seed",
        "1",
        "--traces",
        "3",
        "--json",
        "--out",
        folder.join("out").to_str().expect("utf-8 path"),
        "--emit-steps",
        logs.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(exit_code(&output), 0);
    let report = json(&output);
    let coverage = report["coverage"].as_object().expect("coverage");
    assert!(coverage.contains_key("handshake"));
    assert!(coverage.contains_key("refused:stale_session"));
    assert!(report["never_called"].is_array());
    let written = common::files_under(&logs);
    assert_eq!(
        written,
        ["walk-0000.jsonl", "walk-0001.jsonl", "walk-0002.jsonl"]
    );
}

// Goal: the engine conforms to the V2 model beyond the embedded default (issue 16 §2: "conform
// walks under more than the embedded default"). Every file of `configs/conform/` (a lossy and
// duplicating network, three faults, long writes with tail chasing and rebuilds, four nodes
// under sync_all) is walked with a fixed seed; none may diverge. The walks finish in about a
// second each in release.
#[test]
fn conform_finds_no_divergence_under_the_conform_configs() {
    let configs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/conform");
    let files = files_with_extension(&configs, "toml");
    assert!(files.len() >= 4, "{files:?}");
    let folder = scratch("configs");
    let out = folder.to_str().expect("utf-8 path");
    for file in &files {
        let config = file.to_str().expect("utf-8 path");
        let output = swb_check_args(&[
            "conform", "--config", config, "--traces", "1000", "--depth", "60", "--seed", "1",
            "--json", "--out", out,
        ]);
        let report = json(&output);
        assert_eq!(report["divergences"], 0, "{config}: {report}");
        assert_eq!(exit_code(&output), 0, "{config}");
        assert!(report["steps"].as_u64().is_some_and(|steps| steps > 1000));
    }
    assert_eq!(std::fs::read_dir(&folder).expect("folder").count(), 0);
}
