//! Helpers shared by the end-to-end tests of the `swb-check` binary: run it, read its exit
//! code, stderr lines and JSON summary, and make scratch directories.
//!
//! Each test file includes this module with `mod common;`, so a helper one file does not use is
//! not dead code there.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const EXE: &str = env!("CARGO_BIN_EXE_swb-check");

/// A `swb-check` command with `args`, stdin closed.
pub fn command<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(EXE);
    command.args(args).stdin(Stdio::null());
    command
}

/// Runs `swb-check` with the whitespace-separated words of `command_line`.
pub fn swb_check(command_line: &str) -> Output {
    let words: Vec<&str> = command_line.split_whitespace().collect();
    swb_check_args(&words)
}

/// Runs `swb-check` with `args` as given, one word each (for paths that may hold spaces).
pub fn swb_check_args(args: &[&str]) -> Output {
    command(args).output().expect("swb-check starts")
}

/// Runs `swb-check` with `args` in `directory`.
pub fn swb_check_in(directory: &Path, args: &[&str]) -> Output {
    command(args)
        .current_dir(directory)
        .output()
        .expect("swb-check starts")
}

/// The exit code; a test fails if the process was killed by a signal.
pub fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("swb-check exits, not killed")
}

/// stdout as text.
pub fn stdout_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// stderr, one string per line.
pub fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// stdout as the one JSON object `--json` promises.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON object ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Asserts the bad-input contract: exit 2, exactly one `swb-check: error: ` line on stderr,
/// nothing on stdout. Returns the line.
pub fn assert_one_error_line(output: &Output, case: &str) -> String {
    assert_eq!(
        exit_code(output),
        2,
        "{case}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = stderr_lines(output);
    assert_eq!(lines.len(), 1, "{case}: {lines:?}");
    assert!(
        lines[0].starts_with("swb-check: error: "),
        "{case}: {lines:?}"
    );
    assert!(output.stdout.is_empty(), "{case}");
    lines[0].clone()
}

/// A fresh, empty scratch directory named after the test file (`prefix`), the process and `name`.
pub fn scratch_dir(prefix: &str, name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("creates the scratch directory");
    directory
}

/// The files directly in `directory` whose name ends in `.extension`, sorted by path.
pub fn files_with_extension(directory: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("lists {}: {error}", directory.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .collect();
    files.sort();
    files
}

/// Every file under `directory`, relative, sorted.
pub fn files_under(directory: &Path) -> Vec<String> {
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
