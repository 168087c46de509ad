//! `swb-check report` and `swb-check explore` end to end through the binary, at tiny bounds so
//! each run takes seconds. The browser half of the verification (rendering in headless
//! chromium, screenshots) is `scripts/browser-check`: CI has no browser.

mod common;

use common::{assert_one_error_line, command, exit_code, scratch_dir, stderr_lines, swb_check_in};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// The checked-in corpus.
fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../counterexamples")
}

/// One write, one lease expiry: a check of a few hundred states.
const TINY_CONFIG: &str = r#"{
  "protocol": "v2", "nodes": 3, "commit_mode": "sync_quorum", "writes_max": 1,
  "crashes_max": 0, "address_changes_max": 0, "lease_expiries_max": 1, "partitions_max": 0,
  "timeouts_max": 0, "faults_max": 1, "catch_up_rounds_max": 1, "catch_up_batch": 1,
  "retention_entries": 1, "message_loss": "reliable", "message_duplication": "exactly"
}"#;

/// The corpus files of the small corpus: one per engine-side judgement kind and a conformance
/// trace.
const SMALL_CORPUS: [&str; 4] = [
    "brief-disconnect/v1.5/catch_up_only_on_reserved_range.json",
    "brief-disconnect/v1.5/over_budget_catch_up_escalates.json",
    "conformance/head-boundary-catch-up.json",
    "s2-non-quorum-write-then-failover/v1/committed_data_survives_failover.json",
];

/// Copies [`SMALL_CORPUS`] under `dir/corpus` with the checked-in manifest's entries for them
/// (so the verdicts the report must reproduce are the pinned ones, not whatever it finds).
fn small_corpus(dir: &Path) -> PathBuf {
    let root = dir.join("corpus");
    for file in SMALL_CORPUS {
        let to = root.join(file);
        std::fs::create_dir_all(to.parent().expect("has a parent")).expect("creates");
        std::fs::copy(corpus_root().join(file), &to).expect("copies");
        // The files the corpus stores beside a trace (its step log; an action-only trace's
        // expansion) are part of it: `replay --corpus` checks them.
        for suffix in [".steps.jsonl", ".states.json"] {
            let beside =
                |path: &Path| PathBuf::from(path.to_string_lossy().replace(".json", "") + suffix);
            let from = beside(&corpus_root().join(file));
            if from.exists() {
                std::fs::copy(&from, beside(&to)).expect("copies");
            }
        }
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus_root().join("verdicts.json")).expect("reads"),
    )
    .expect("parses");
    let entries: Vec<Value> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|entry| SMALL_CORPUS.contains(&entry["path"].as_str().expect("path")))
        .cloned()
        .collect();
    assert_eq!(entries.len(), SMALL_CORPUS.len(), "all pinned");
    let small = serde_json::json!({"format": manifest["format"], "files": entries});
    std::fs::write(
        root.join("verdicts.json"),
        serde_json::to_string_pretty(&small).expect("serialises"),
    )
    .expect("writes");
    root
}

fn tiny_report(dir: &Path, corpus: &Path) -> Output {
    let config = dir.join("tiny.json");
    std::fs::write(&config, TINY_CONFIG).expect("config written");
    let out = dir.join("out");
    swb_check_in(
        dir,
        &[
            "report",
            "--out",
            out.to_str().expect("utf-8"),
            "--config",
            config.to_str().expect("utf-8"),
            "--scenarios",
            "s2-non-quorum-write-then-failover",
            "--protocols",
            "v1,v2",
            "--counterexamples",
            corpus.to_str().expect("utf-8"),
            "--threads",
            "2",
            "--mutants-only",
            "no_handshake_deadline",
        ],
    )
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

// Goal (issue 6): at tiny bounds the report writes report.md and a self-contained index.html
// (no script, no stylesheet link, nothing fetched) with every section; the corpus rows carry
// the engine verdict and the D28 judgement exactly as `replay --corpus` pins them; the matrix's
// traces are replayed and charted; nothing is left beside the report.
#[test]
fn report_at_tiny_bounds_is_complete_and_self_contained() {
    let dir = scratch_dir("report", "tiny");
    let corpus = small_corpus(&dir);
    let output = tiny_report(&dir, &corpus);
    // The tiny configuration leaves most `sometimes` witnesses unreached, which fails the check
    // (exit 1), while the matrix cells match and every trace replays as pinned.
    assert_eq!(exit_code(&output), 1, "{:?}", stderr_lines(&output));
    let log = stderr_lines(&output).join("\n");
    for expected in [
        "report: check: FAILED",
        "report: matrix: quick bounds: 2 of 2 cells match their expectation",
        "report: corpus: 4 trace(s) under",
        "report: matrix counterexamples: 3 of 3 meet their protocol's replay rule",
        "same state counts as the check",
        "report: guard mutants: 1 mutant(s): 1 killed, 0 equivalent, 0 survived",
    ] {
        assert!(log.contains(expected), "{expected}: {log}");
    }
    let out = dir.join("out");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "{}\n{}\n",
            out.join("index.html").display(),
            out.join("report.md").display()
        )
    );
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    let markdown = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    for id in [
        "summary",
        "metadata",
        "matrix",
        "properties",
        "end-states",
        "mutants",
        "counterexamples",
        "coverage",
        "sometimes",
        "assumptions",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    let lower = html.to_lowercase();
    for forbidden in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "<script",
        "<link",
        "@import",
        "url(http",
    ] {
        assert!(
            !lower.contains(forbidden),
            "index.html contains {forbidden}"
        );
    }
    // Each corpus trace with the judgement the manifest pins, in both files.
    for judgement in [
        "holds-in-engine:retention-pin",
        "holds-in-engine:frozen-target",
        "outside-engine:promotion",
    ] {
        assert!(html.contains(judgement), "{judgement} in index.html");
        assert!(markdown.contains(judgement), "{judgement} in report.md");
    }
    // Four corpus charts and V1's three s2 counterexamples (A1, A9 and an invalid end state),
    // inline and as files.
    assert_eq!(html.matches("<svg ").count(), 7, "seven inline charts");
    let charts = common::files_under(&out.join("charts"));
    assert_eq!(charts.len(), 7, "{charts:?}");
    assert!(markdown.contains("## Per-action coverage"));
    // The guard mutant's row: killed by the end-state check with its 8-step trace.
    assert!(
        markdown.contains("| `no_handshake_deadline` | killed | `end_states_are_valid` | 8 |"),
        "the mutants table"
    );
    assert!(markdown.contains("Never fired:"));
    assert!(
        markdown.contains("**Data is identity.**"),
        "assumptions from design.md"
    );
    assert!(markdown.contains("s2-non-quorum-write-then-failover"));
    assert_eq!(listing(&dir), vec!["corpus", "out", "tiny.json"]);
    assert_eq!(
        listing(&out),
        vec!["charts", "counterexamples", "index.html", "report.md"]
    );
}

// Goal: a corpus whose verdicts differ from its manifest is a problem, as `replay --corpus`
// says: the report is written, names it, and exits 1.
#[test]
fn report_lists_corpus_problems_and_exits_1() {
    let dir = scratch_dir("report", "problems");
    let corpus = small_corpus(&dir);
    let manifest = corpus.join("verdicts.json");
    let text = std::fs::read_to_string(&manifest).expect("reads");
    std::fs::write(
        &manifest,
        text.replace("holds-in-engine:frozen-target", "not-judged"),
    )
    .expect("writes");
    let output = tiny_report(&dir, &corpus);
    assert_eq!(exit_code(&output), 1, "{:?}", stderr_lines(&output));
    assert!(
        stderr_lines(&output)
            .iter()
            .any(|line| line.contains("4 trace(s) under") && line.ends_with(", 1 problem(s)")),
        "{:?}",
        stderr_lines(&output)
    );
    let markdown = std::fs::read_to_string(dir.join("out/report.md")).expect("report.md");
    assert!(
        markdown.contains("over_budget_catch_up_escalates.json: verdict changed"),
        "{markdown}"
    );
}

// Goal: bad input is one error line and exit 2, and nothing is written: not the report, not a
// staging directory beside it; a directory holding anything but a report is left untouched.
#[test]
fn report_bad_input_is_one_line_exit_2_and_writes_nothing() {
    let dir = scratch_dir("report", "bad-input");
    let out = dir.join("out");
    let out_text = out.to_str().expect("utf-8");
    let missing = dir.join("missing.json");
    let missing_text = missing.to_str().expect("utf-8");
    let no_manifest = dir.join("no-manifest");
    std::fs::create_dir_all(&no_manifest).expect("creates");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("file");
    let busy = dir.join("busy");
    std::fs::create_dir_all(&busy).expect("creates");
    std::fs::write(busy.join("notes.txt"), "keep me").expect("writes");
    let cases: Vec<Vec<&str>> = vec![
        vec!["report", "--out", out_text, "--config", missing_text],
        vec!["report", "--out", out_text, "--scenarios", "no-such"],
        vec!["report", "--out", out_text, "--protocols", "v3"],
        vec![
            "report",
            "--out",
            out_text,
            "--mutants-only",
            "no_such_guard",
        ],
        vec![
            "report",
            "--out",
            out_text,
            "--counterexamples",
            missing_text,
        ],
        vec![
            "report",
            "--out",
            out_text,
            "--counterexamples",
            no_manifest.to_str().expect("utf-8"),
        ],
        vec!["report", "--out", file.to_str().expect("utf-8")],
        vec!["report", "--out", busy.to_str().expect("utf-8")],
        vec!["report"],
    ];
    for args in cases {
        let output = command(&args).output().expect("swb-check starts");
        assert_one_error_line(&output, &format!("{args:?}"));
    }
    assert_eq!(listing(&dir), vec!["a-file", "busy", "no-manifest"]);
    assert_eq!(listing(&busy), vec!["notes.txt"]);
}

// Goal: Ctrl-C during the check ends the report with exit 3 and writes nothing (the staging
// directory is removed). The signal is sent once the check has announced itself, after the
// handler is installed, so no sleep is needed.
#[test]
fn report_interrupted_exits_3_and_writes_nothing() {
    let dir = scratch_dir("report", "interrupt");
    let out = dir.join("out");
    let mut child: Child = command(&[
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--counterexamples",
        corpus_root().to_str().expect("utf-8"),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("swb-check starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr piped"));
    let mut line = String::new();
    while !line.contains("checking with dfs") {
        line.clear();
        let read = stderr.read_line(&mut line).expect("reads stderr");
        assert!(read > 0, "the check never started");
    }
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    // SAFETY: sends SIGINT to the child this test started and still owns.
    assert_eq!(
        unsafe { libc::kill(pid, libc::SIGINT) },
        0,
        "SIGINT delivered"
    );
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("reads stderr");
    let output = child.wait_with_output().expect("swb-check ends");
    assert_eq!(exit_code(&output), 3, "{rest}");
    assert!(rest.contains("interrupted; nothing written"), "{rest}");
    assert!(output.stdout.is_empty());
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `explore` with `args` on a free port; returns the server and its first stdout lines
/// (up to the Explorer's address, printed once the port is known to be free).
fn start_explore(args: &[&str]) -> (Server, u16, Vec<String>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let port_text = port.to_string();
    let mut all = vec!["explore", "--port", &port_text];
    all.extend_from_slice(args);
    let mut child = command(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("explore starts");
    let stdout = BufReader::new(child.stdout.take().expect("stdout piped"));
    let lines: Vec<String> = stdout
        .lines()
        .map(|line| line.expect("reads stdout"))
        .take_while(|line| line != "stop with Ctrl-C")
        .collect();
    (Server(child), port, lines)
}

/// `GET path` over plain HTTP/1.0, retried until the server answers or 20 s pass.
fn get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut response = String::new();
                if stream.read_to_string(&mut response).is_ok() && !response.is_empty() {
                    return response;
                }
            }
        }
        assert!(Instant::now() < deadline, "no answer on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// Goal (issue 6): `explore` serves the Explorer: the page, the initial state, and the actions
// it offers; a port in use is one error line and exit 2.
#[test]
fn explore_serves_initial_state_and_actions() {
    let (_server, port, _) = start_explore(&["--scenario", "s2-non-quorum-write-then-failover"]);
    let page = get(port, "/");
    assert!(page.contains("Stateright Explorer"), "{page}");
    let initial = get(port, "/.states");
    assert!(initial.contains("\"fingerprint\""), "{initial}");
    assert!(initial.contains("ActorModelState"), "{initial}");
    let next = get(port, "/.states/0");
    assert!(next.contains("\"action\""), "{next}");

    let busy = command(&["explore", "--port", &port.to_string()])
        .output()
        .expect("swb-check starts");
    assert_one_error_line(&busy, "port in use");
}

// Goal (issue 6): a saved counterexample opens at its last state: the URL `explore` prints is a
// path of action indices the Explorer serves, and the state there is the trace's last one.
#[test]
fn explore_opens_a_counterexample_at_its_last_state() {
    let file = corpus_root()
        .join("s2-non-quorum-write-then-failover/v1/committed_data_survives_failover.json");
    let (_server, port, lines) =
        start_explore(&["--counterexample", file.to_str().expect("utf-8")]);
    let prefix = format!("counterexample's last state: http://127.0.0.1:{port}/#/steps/");
    let steps = lines
        .iter()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no counterexample URL in {lines:?}"));
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("reads")).expect("parses");
    let trace_length = document["steps"].as_array().expect("steps").len();
    // The initial state's index, then one action index per step.
    assert_eq!(steps.split('/').count(), trace_length + 1, "{steps}");
    // The Explorer answers for the state at the end of that path (its successors).
    let response = get(port, &format!("/.states/{steps}"));
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
}
