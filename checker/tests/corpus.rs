//! The regression corpus (issue 5): every trace under `counterexamples/` is replayed with the
//! code of `swb-check replay` and its verdict compared with `counterexamples/verdicts.json`.
//!
//! Whatever files are present take part (other branches add V1 / V1.5 traces under
//! `counterexamples/<scenario>/<protocol>/<property>.json`; the manifest is regenerated with
//! `swb-check replay --corpus counterexamples --write-manifest` after a merge). The test fails
//! with one line per problem: a changed verdict, a file missing from the manifest, an entry
//! without a file, or a verdict that breaks its protocol's rule (a V2 trace must conform; a V1 /
//! V1.5 counterexample must be engine-refused, diverge from the violating path, or conform with
//! an engine-side judgement of holds-in-engine or outside-engine: docs/design.md D28).

mod common;

use common::{files_with_extension, scratch_dir, swb_check_args};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../counterexamples")
}

/// A fresh, empty folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    scratch_dir("swb-corpus-test", name)
}

// Goal: the checked-in corpus replays to the checked-in verdicts, and every verdict meets its
// protocol's rule.
#[test]
fn corpus_verdicts_match_the_manifest() {
    let root = corpus();
    let output = swb_check_args(&[
        "replay",
        "--corpus",
        root.to_str().expect("utf-8"),
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(0) {
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        let lines = report["problems"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&output.stdout).into_owned());
        panic!("the corpus does not match counterexamples/verdicts.json:\n{lines}\n{stderr}");
    }
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert!(report["problems"].as_array().is_some_and(Vec::is_empty));
}

// Goal: a changed verdict, a file missing from the manifest and an entry without a file are each
// reported by name (exit 1); the manifest is written whole and byte-for-byte reproducibly.
#[test]
fn corpus_check_names_each_kind_of_problem() {
    let folder = scratch("problems");
    let source = corpus().join("conformance");
    // Traces, not the expansions stored beside action-only ones.
    let traces: Vec<PathBuf> = files_with_extension(&source, "json")
        .into_iter()
        .filter(|path| !path.to_string_lossy().ends_with(".states.json"))
        .collect();
    assert!(traces.len() >= 2, "need two traces, found {traces:?}");
    std::fs::create_dir_all(folder.join("v2")).expect("folder");
    std::fs::copy(&traces[0], folder.join("v2/a.json")).expect("copy");
    std::fs::copy(&traces[1], folder.join("v2/b.json")).expect("copy");
    let dir = folder.to_str().expect("utf-8");
    let written = swb_check_args(&["replay", "--corpus", dir, "--write-manifest"]);
    assert_eq!(written.status.code(), Some(0), "{written:?}");
    let manifest = std::fs::read(folder.join("verdicts.json")).expect("manifest written");
    let again = swb_check_args(&["replay", "--corpus", dir, "--write-manifest"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::read(folder.join("verdicts.json")).expect("manifest"),
        manifest
    );
    assert_eq!(
        swb_check_args(&["replay", "--corpus", dir]).status.code(),
        Some(0)
    );

    // A changed verdict: the manifest says b diverged; a new file c; a's file is gone.
    let text = String::from_utf8(manifest).expect("utf-8");
    let mut value: Value = serde_json::from_str(&text).expect("JSON");
    value["files"][1]["verdict"] = Value::from("diverged");
    std::fs::write(folder.join("verdicts.json"), value.to_string()).expect("edit");
    std::fs::copy(&traces[0], folder.join("v2/c.json")).expect("copy");
    std::fs::remove_file(folder.join("v2/a.json")).expect("remove");
    let checked = swb_check_args(&["replay", "--corpus", dir]);
    assert_eq!(checked.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(stdout.contains("v2/b.json: verdict changed"), "{stdout}");
    assert!(
        stdout.contains("v2/c.json: not in verdicts.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("v2/a.json: listed in verdicts.json but the file is gone"),
        "{stdout}"
    );
}

// Goal: `show` reads the conformance traces the corpus holds (format "swb-replay/1").
#[test]
fn show_reads_a_conformance_trace() {
    let source = corpus().join("conformance");
    let mut traces: Vec<PathBuf> = std::fs::read_dir(&source)
        .expect("conformance regressions")
        .map(|entry| entry.expect("entry").path())
        .collect();
    traces.sort();
    let file = traces.first().expect("a trace");
    let folder = scratch("show");
    let chart = folder.join("chart.svg");
    let output = swb_check_args(&[
        "show",
        file.to_str().expect("utf-8"),
        "--svg",
        chart.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("conformance trace "), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.trim_start().starts_with("1. [")),
        "{stdout}"
    );
    assert!(stdout.contains("why it was saved"), "{stdout}");
    assert!(std::fs::read_to_string(&chart)
        .expect("chart")
        .contains("<svg"));
}

// Goal (issue 5): every V1 / V1.5 counterexample in the manifest carries the engine-side
// judgement of its property: promotion properties (A1, A9) are outside the engine, catch-up
// properties hold in it by their rule (A6: retention pin, A5: frozen target), a conforming
// invalid end state is the caller's recovery policy (D45); conformance traces (V2, no property)
// carry none.
#[test]
fn manifest_judges_every_old_protocol_counterexample() {
    let text = std::fs::read_to_string(corpus().join("verdicts.json")).expect("manifest");
    let manifest: Value = serde_json::from_str(&text).expect("JSON");
    let files = manifest["files"].as_array().expect("files");
    let mut judged = 0;
    for entry in files {
        let path = entry["path"].as_str().expect("path");
        let judgement = entry["judgement"].as_str();
        let property = path.rsplit('/').next().unwrap_or(path);
        let expected = match property {
            "committed_data_survives_failover.json" | "promotion_picks_eligible_candidate.json" => {
                Some("outside-engine:promotion")
            }
            "catch_up_only_on_reserved_range.json" => Some("holds-in-engine:retention-pin"),
            "over_budget_catch_up_escalates.json" => Some("holds-in-engine:frozen-target"),
            // D45: a conforming invalid end state is outside the engine; a diverging one has
            // no judgement.
            "end_states_are_valid.json" if entry["verdict"] == "conforms" => {
                Some("outside-engine:recovery-policy")
            }
            _ => None,
        };
        if path.starts_with("conformance/") {
            assert_eq!(judgement, None, "{path}");
            continue;
        }
        assert_eq!(judgement, expected, "{path}");
        judged += 1;
    }
    assert!(judged > 0, "the corpus holds V1 / V1.5 counterexamples");
}
