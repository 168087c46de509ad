//! The scenario catalog and the version comparison, end to end through the binary: `scenarios`,
//! `check --scenario --protocol`, and `compare` at the quick bounds, whose verdicts are pinned
//! here (PROTOCOL.md §5.2) and whose document must equal the checked-in `docs/comparison.md`.

mod common;

use common::{exit_code, scratch_dir, stderr_text, stdout_text, swb_check_args};
use serde_json::Value;
use std::path::Path;

/// A fresh, empty directory for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_dir("swb-compare-test", name)
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|name| name.as_str().expect("a name").to_owned())
        .collect()
}

// Goal: `scenarios` lists every scenario with its expectations, and `--markdown` prints the
// table `docs/scenarios.md` is made of.
#[test]
fn scenarios_lists_catalog_as_text_and_markdown() {
    let text = swb_check_args(&["scenarios"]);
    assert_eq!(exit_code(&text), 0, "{}", stderr_text(&text));
    for name in [
        "s1-ack-then-primary-crash",
        "changed-address-restart",
        "non-convergent-tail-chasing",
    ] {
        assert!(stdout_text(&text).contains(name), "{name} listed");
    }
    assert!(stdout_text(&text).contains("not expressible"));
    let markdown = swb_check_args(&["scenarios", "--markdown"]);
    assert_eq!(exit_code(&markdown), 0);
    assert!(stdout_text(&markdown).contains("| scenario | description | source |"));
}

// Goal: `docs/scenarios.md` is the output of `swb-check scenarios --markdown`, byte for byte,
// so the checked-in catalog never drifts from the code.
#[test]
fn scenarios_document_is_current() {
    let output = swb_check_args(&["scenarios", "--markdown"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr_text(&output));
    let checked_in =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios.md"))
            .unwrap_or_default();
    assert!(
        stdout_text(&output) == checked_in,
        "docs/scenarios.md is stale: regenerate it with `swb-check scenarios --markdown > docs/scenarios.md`"
    );
}

// Goal: an unknown scenario is one error line that lists the valid names, exit 2.
#[test]
fn check_unknown_scenario_is_one_line_listing_names() {
    let output = swb_check_args(&[
        "check",
        "--scenario",
        "no-such-scenario",
        "--protocol",
        "v1.5",
    ]);
    assert_eq!(exit_code(&output), 2);
    let error = stderr_text(&output);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.contains("unknown scenario") && error.contains("same-address-transient-outage"),
        "{error}"
    );
}

// Goal: A4 under V1 (§5.2): in the same-address transient outage V1 never completes a catch-up,
// while V2 does; `check --scenario --protocol` runs the scenario's restricted configuration.
#[test]
fn check_scenario_shows_v1_never_catches_up() {
    let status = |protocol: &str| {
        let output = swb_check_args(&[
            "check",
            "--scenario",
            "same-address-transient-outage",
            "--protocol",
            protocol,
            "--json",
            "--no-save",
            "--threads",
            "1",
        ]);
        let summary: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
        assert_eq!(summary["scenario"], "same-address-transient-outage");
        assert_eq!(summary["protocol"], protocol);
        summary["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .find(|property| property["name"] == "catch_up_completes")
            .map(|property| property["status"].as_str().expect("status").to_owned())
            .expect("catch_up_completes listed")
    };
    assert_eq!(status("v1"), "unreached");
    assert_eq!(status("v2"), "reached");
}

/// Runs the quick matrix once, writing its document to `doc` and counterexamples under
/// `counterexamples`; returns the JSON report.
fn quick_matrix(doc: &Path, counterexamples: &Path) -> Value {
    let output = swb_check_args(&[
        "compare",
        "--quick",
        "--json",
        "--threads",
        "2",
        "--write-doc",
        "--doc",
        doc.to_str().expect("utf-8 path"),
        "--counterexamples",
        counterexamples.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        exit_code(&output),
        0,
        "every cell matches its expectation:\n{}",
        stderr_text(&output)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

// Goal: the quick matrix pins §5.2 — V2 holds every `always` in every scenario; V1 fails A4
// (catch_up_completes unreached) and A10 (address_change_then_recovery unreached); V1.5 fails
// A10 and A5/A6 (over_budget_catch_up_escalates, catch_up_only_on_reserved_range violated),
// each violation saved as a counterexample file; the cells are sorted by scenario, then
// version; and the generated document equals the checked-in `docs/comparison.md`.
#[test]
fn quick_matrix_matches_section_5_2_and_checked_in_document() {
    let dir = scratch("quick-matrix");
    let doc = dir.join("comparison.md");
    let report = quick_matrix(&doc, &dir.join("counterexamples"));
    let cells = report["cells"].as_array().expect("cells");
    assert!(!cells.is_empty());

    let keys: Vec<(String, String)> = cells
        .iter()
        .map(|cell| {
            (
                cell["scenario"].as_str().unwrap_or("").to_owned(),
                cell["protocol"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "cells sorted by scenario, then protocol");

    let fails = |protocol: &str, field: &str, property: &str| {
        cells
            .iter()
            .filter(|cell| cell["protocol"] == protocol)
            .any(|cell| names(&cell[field]).iter().any(|name| name == property))
    };
    for cell in cells {
        assert_eq!(cell["matches_expected"], true, "{cell}");
        if cell["protocol"] == "v2" {
            assert_eq!(
                names(&cell["violated"]),
                Vec::<String>::new(),
                "V2 holds every always: {cell}"
            );
        }
        let violated = names(&cell["violated"]);
        let files = names(&cell["counterexamples"]);
        assert_eq!(
            files.len(),
            violated.len(),
            "one saved trace per violation: {cell}"
        );
        for file in files {
            assert!(Path::new(&file).is_file(), "{file} saved");
        }
    }
    assert!(
        fails("v1", "unreached", "catch_up_completes"),
        "V1 fails A4"
    );
    assert!(
        fails("v1", "unreached", "address_change_then_recovery"),
        "V1 fails A10"
    );
    assert!(
        fails("v1.5", "unreached", "address_change_then_recovery"),
        "V1.5 fails A10"
    );
    assert!(
        fails("v1.5", "violated", "over_budget_catch_up_escalates"),
        "V1.5 fails A5"
    );
    assert!(
        fails("v1.5", "violated", "catch_up_only_on_reserved_range"),
        "V1.5 fails A6"
    );
    assert!(
        !fails("v2", "unreached", "catch_up_completes"),
        "V2 reaches A4's witness"
    );

    let generated = std::fs::read_to_string(&doc).expect("document written");
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/comparison.md"),
    )
    .unwrap_or_default();
    assert!(
        generated == checked_in,
        "docs/comparison.md is stale: regenerate it with `swb-check compare --quick --write-doc --counterexamples <scratch dir>`"
    );
}

// Goal: `--write-doc` refuses anything but the whole catalog at the quick bounds, exit 2.
#[test]
fn write_doc_requires_quick_bounds() {
    let output = swb_check_args(&[
        "compare",
        "--write-doc",
        "--scenarios",
        "s2-non-quorum-write-then-failover",
    ]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        stderr_text(&output).contains("--quick"),
        "{}",
        stderr_text(&output)
    );
}
