//! `swb-check report` and `swb-check explore` end to end through the binary, at tiny bounds.
//! The browser half of the verification (rendering in headless chromium, screenshots) is
//! `scripts/browser-check`: CI has no browser.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_swb-check");

fn swb_check(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("swb-check starts")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("swb-check exits, not killed")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// One write, one lease expiry: a check of a few hundred states.
const TINY_CONFIG: &str = r#"{
  "protocol": "v2", "nodes": 3, "commit_mode": "sync_quorum", "writes_max": 1,
  "crashes_max": 0, "address_changes_max": 0, "lease_expiries_max": 1, "partitions_max": 0,
  "timeouts_max": 0, "faults_max": 1, "catch_up_rounds_max": 1, "catch_up_batch": 1,
  "retention_entries": 1, "message_loss": "reliable", "message_duplication": "exactly"
}"#;

fn tiny_report(dir: &Path, corpus: &Path) -> Output {
    let config = dir.join("tiny.json");
    std::fs::write(&config, TINY_CONFIG).expect("config written");
    swb_check(&[
        "report",
        "--out",
        dir.join("out").to_str().expect("utf-8"),
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
    ])
}

// Goal: at tiny bounds the report runs and writes report.md and an index.html that is self-contained (no script, no
// stylesheet link, nothing fetched over http(s)) and has every section, one inline chart per
// counterexample, and no temporary file left behind.
#[test]
fn report_at_tiny_bounds_is_complete_and_self_contained() {
    let dir = scratch("tiny");
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).expect("empty corpus");
    let output = tiny_report(&dir, &corpus);
    // The tiny configuration leaves most `sometimes` witnesses unreached, which fails the check
    // (exit 1), while the matrix cells match and V1's traces replay as expected.
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("check: FAILED"), "{log}");
    assert!(
        log.contains("2 of 2 cells match their expectation"),
        "{log}"
    );
    assert!(
        log.contains("counterexamples: 2 of 2 replay as expected"),
        "{log}"
    );
    let out = dir.join("out");
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    let markdown = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    for id in [
        "summary",
        "metadata",
        "matrix",
        "properties",
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
    // V1 fails s2 with two counterexamples, each charted inline and replayed.
    assert_eq!(html.matches("<svg ").count(), 2, "two inline charts");
    assert!(html.contains("committed_data_survives_failover"));
    assert!(
        html.contains("unreached"),
        "the unreached witnesses are shown"
    );
    assert!(markdown.contains("## Per-action coverage"));
    assert!(markdown.contains("Never fired:"));
    assert!(
        markdown.contains("**Data is identity.**"),
        "assumptions from design.md"
    );
    assert!(markdown.contains("s2-non-quorum-write-then-failover"));
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

// Goal: bad input is one error line and exit 2, and nothing is written.
#[test]
fn report_bad_input_is_one_line_exit_2_and_writes_nothing() {
    let dir = scratch("bad-input");
    let out = dir.join("out");
    let out_text = out.to_str().expect("utf-8");
    let missing = dir.join("missing.json");
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "report",
            "--out",
            out_text,
            "--config",
            missing.to_str().expect("utf-8"),
        ],
        vec![
            "report",
            "--out",
            out_text,
            "--scenarios",
            "no-such-scenario",
        ],
        vec![
            "report",
            "--out",
            out_text,
            "--counterexamples",
            missing.to_str().expect("utf-8"),
        ],
        vec!["report"],
    ];
    for args in cases {
        let output = swb_check(&args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("file");
    let output = swb_check(&["report", "--out", file.to_str().expect("utf-8")]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
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

// Goal: `explore` serves the Explorer: the page, the initial state with its fingerprint, and the
// actions it offers; a port in use is one error line and exit 2.
#[test]
fn explore_serves_initial_state_and_actions() {
    let port = free_port();
    let port_text = port.to_string();
    let child = Command::new(EXE)
        .args([
            "explore",
            "--port",
            &port_text,
            "--scenario",
            "s2-non-quorum-write-then-failover",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("explore starts");
    let _server = Server(child);
    let page = get(port, "/");
    assert!(page.contains("Stateright Explorer"), "{page}");
    let initial = get(port, "/.states");
    assert!(initial.contains("\"fingerprint\""), "{initial}");
    assert!(initial.contains("ActorModelState"), "{initial}");
    let next = get(port, "/.states/0");
    assert!(next.contains("\"action\""), "{next}");
    assert!(
        next.contains("client write") || next.contains("→"),
        "{next}"
    );

    let busy = swb_check(&["explore", "--port", &port_text]);
    assert_eq!(code(&busy), 2, "{}", stderr(&busy));
    assert_eq!(stderr(&busy).lines().count(), 1, "{}", stderr(&busy));
}
