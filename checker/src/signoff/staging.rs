//! The report directory, written whole.
//!
//! A report is several files (`report.md`, `index.html`, the charts and the matrix's
//! counterexamples), and a reader must never see some of them from one run and some from
//! another, or half of one. So everything is written into a staging directory beside the
//! target (`.<name>.partial-<pid>`, same parent, so a rename cannot cross file systems), and
//! only a finished report is moved into place:
//! 1. the previous report, if any, is renamed aside (`.<name>.previous-<pid>`);
//! 2. the staging directory is renamed to the target;
//! 3. the previous report is removed.
//!
//! At every moment the target is the old complete report, the new complete report, or (between
//! steps 1 and 2) absent. On an error or Ctrl-C the staging directory is removed when the
//! [`Staging`] is dropped, and the target is untouched. (A second Ctrl-C kills the process at
//! once, see `interrupt`; it can leave the staging directory behind, never a half report.)
//!
//! The target is replaced whole, so `--out` must not name a directory holding anything else: it
//! may be missing, empty, or an earlier report (only [`REPORT_ENTRIES`]). Anything else is bad
//! input, refused before the long runs start, so `--out .` cannot delete a checkout.

use anyhow::{bail, Context};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What a report directory holds; a directory holding only these is an earlier report.
pub const REPORT_ENTRIES: [&str; 4] = ["report.md", "index.html", "charts", "counterexamples"];

/// A staging directory for the report bound for `target`; removed on drop unless committed.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    /// `dir` has been renamed to `target`.
    committed: bool,
}

impl Staging {
    /// Checks that `target` may be replaced and creates the staging directory beside it.
    pub fn prepare(target: &Path) -> anyhow::Result<Staging> {
        let Some(name) = target.file_name() else {
            bail!(
                "--out {}: name a directory (not `.`, `..` or `/`)",
                target.display()
            );
        };
        if target.exists() {
            if !target.is_dir() {
                bail!("--out {}: exists and is not a directory", target.display());
            }
            let foreign = foreign_entries(target)?;
            if !foreign.is_empty() {
                bail!(
                    "--out {}: holds other files than a report ({}); the report replaces the whole directory, so name a new or empty one",
                    target.display(),
                    foreign.join(", ")
                );
            }
        }
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).with_context(|| {
            format!(
                "--out {}: cannot create {}",
                target.display(),
                parent.display()
            )
        })?;
        let dir = parent.join(sibling_name(name, "partial"));
        // A leftover of a killed run with the same process id is stale by definition.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).with_context(|| {
            format!(
                "--out {}: cannot create {}",
                target.display(),
                dir.display()
            )
        })?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// Where the report is written until it is committed.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the finished report into place (steps 1 to 3 of the module documentation).
    pub fn commit(mut self) -> anyhow::Result<()> {
        let previous = self.dir.with_file_name(sibling_name(
            self.target.file_name().expect("checked in prepare"),
            "previous",
        ));
        let had_previous = self.target.exists();
        if had_previous {
            let _ = std::fs::remove_dir_all(&previous);
            std::fs::rename(&self.target, &previous).with_context(|| {
                format!("moving the previous report {} aside", self.target.display())
            })?;
        }
        if let Err(error) = std::fs::rename(&self.dir, &self.target) {
            if had_previous {
                // Put the previous report back: the target must not stay missing.
                let _ = std::fs::rename(&previous, &self.target);
            }
            return Err(error)
                .with_context(|| format!("moving the report into {}", self.target.display()));
        }
        self.committed = true;
        if had_previous {
            std::fs::remove_dir_all(&previous)
                .with_context(|| format!("removing the previous report {}", previous.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: nothing to report to if removing a scratch directory fails.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `.<name>.<role>-<pid>`: hidden, beside the target, one per process.
fn sibling_name(name: &std::ffi::OsStr, role: &str) -> OsString {
    let mut sibling = OsString::from(".");
    sibling.push(name);
    sibling.push(format!(".{role}-{}", std::process::id()));
    sibling
}

/// The entries of `dir` that a report does not write, sorted.
fn foreign_entries(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut foreign = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("--out {}: cannot list", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("--out {}: cannot list", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !REPORT_ENTRIES.contains(&name.as_str()) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("swb-staging-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
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

    // Goal: a committed report replaces an earlier one whole and leaves no sibling behind; a
    // dropped (failed or interrupted) one leaves the target as it was.
    #[test]
    fn commit_replaces_whole_and_drop_leaves_target_untouched() {
        let parent = scratch("commit");
        let target = parent.join("signoff");
        let first = Staging::prepare(&target).expect("prepares");
        std::fs::write(first.dir().join("report.md"), "first").expect("writes");
        first.commit().expect("commits");
        let second = Staging::prepare(&target).expect("an earlier report may be replaced");
        std::fs::write(second.dir().join("index.html"), "second").expect("writes");
        drop(second);
        assert_eq!(listing(&target), vec!["report.md"]);
        assert_eq!(listing(&parent), vec!["signoff"]);
        let third = Staging::prepare(&target).expect("prepares");
        std::fs::write(third.dir().join("index.html"), "third").expect("writes");
        third.commit().expect("commits");
        assert_eq!(listing(&target), vec!["index.html"]);
        assert_eq!(listing(&parent), vec!["signoff"]);
        std::fs::remove_dir_all(&parent).expect("clean up");
    }

    // Goal: a file, a directory holding anything but a report, and a path naming no directory
    // are refused before anything is created.
    #[test]
    fn prepare_refuses_what_it_must_not_replace() {
        let parent = scratch("refuse");
        let file = parent.join("a-file");
        std::fs::write(&file, "x").expect("writes");
        let busy = parent.join("busy");
        std::fs::create_dir_all(busy.join("charts")).expect("creates");
        std::fs::write(busy.join("notes.txt"), "keep me").expect("writes");
        for target in [
            file.as_path(),
            busy.as_path(),
            Path::new("."),
            Path::new("/"),
        ] {
            assert!(Staging::prepare(target).is_err(), "{}", target.display());
        }
        assert_eq!(listing(&parent), vec!["a-file", "busy"]);
        assert_eq!(listing(&busy), vec!["charts", "notes.txt"]);
        std::fs::remove_dir_all(&parent).expect("clean up");
    }
}
