//! The regression corpus (`swb-check replay --corpus DIR [--write-manifest]`): every trace file
//! under `counterexamples/`, replayed with the code of `replay FILE`, against a checked-in
//! manifest of verdicts.
//!
//! The manifest, `DIR/verdicts.json`, lists one entry per trace file, sorted by its path
//! relative to DIR (`/`-separated): the model check, the verdict, the rule it names (the
//! refused engine rule, or the diverged `nP/nR.field`) and the engine-side judgement of a
//! conforming counterexample (`holds-in-engine:<rule>`, `outside-engine:<decision>`,
//! `fails-in-engine:<breach>`, `not-judged`; see `judge`). A check fails with one line per
//! problem: a verdict that changed, a file the manifest does not list, an entry whose file is
//! gone, and a file whose verdict breaks the rule of its protocol ([`FileReplay::meets_rule`]: a
//! V2 trace must conform; a V1 / V1.5 counterexample must be refused by the engine, leave the
//! violating path, or conform with its property holding in the engine or outside it). The manifest is regenerated, never edited, with `--write-manifest`: the
//! whole file is written to a temporary file and renamed into place, and nothing is written when
//! a trace is bad input.
//!
//! Files are walked in sorted order and the manifest holds no map, so the same corpus always
//! gives the same bytes.

use super::{replay_file, FileReplay};
use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The manifest's file name, at the corpus root (it is not a trace).
pub const MANIFEST: &str = "verdicts.json";

/// The manifest's format tag.
pub const MANIFEST_FORMAT: &str = "swb-verdicts/2";

/// One trace file's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictEntry {
    /// The file, relative to the corpus root, `/`-separated.
    pub path: String,
    /// `still-violates`, `no-longer-violates`, `invalid-path` or `valid-path`.
    pub model_check: String,
    /// `conforms`, `engine-refused`, `diverged` or `not-replayed`.
    pub verdict: String,
    /// The refused engine rule, or the diverged `nP/nR.field`; `null` otherwise.
    pub rule: Option<String>,
    /// The engine-side judgement of a conforming counterexample (its key, e.g.
    /// `holds-in-engine:retention-pin`); `null` for a conformance trace or another verdict.
    pub judgement: Option<String>,
}

impl VerdictEntry {
    /// The entry of the file `path` (as the manifest names it) that replayed as `replayed`.
    pub fn of(path: String, replayed: &FileReplay) -> VerdictEntry {
        VerdictEntry {
            path,
            model_check: replayed.model_check.name().to_owned(),
            verdict: replayed.verdict_name().to_owned(),
            rule: replayed.rule(),
            judgement: replayed.judgement().map(|judgement| judgement.key()),
        }
    }
}

/// The whole manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// One entry per trace file, sorted by path.
    pub files: Vec<VerdictEntry>,
}

/// Every `*.json` trace under `root` (the manifest excepted), sorted by relative path.
pub fn trace_files(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("{}: cannot list", dir.display()))?
                .path();
            if path.is_dir() {
                walk(root, &path, found)?;
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let name: Vec<String> = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let name = name.join("/");
                if name != MANIFEST {
                    found.push((name, path));
                }
            }
        }
        Ok(())
    }
    if !root.is_dir() {
        bail!("{}: not a folder", root.display());
    }
    let mut found = Vec::new();
    walk(root, root, &mut found)?;
    found.sort();
    Ok(found)
}

/// Replays every trace under `root`: its manifest entry and the replay itself.
pub fn verdicts(root: &Path) -> anyhow::Result<Vec<(VerdictEntry, FileReplay)>> {
    trace_files(root)?
        .into_iter()
        .map(|(name, path)| {
            let replayed = replay_file(&path)?;
            Ok((VerdictEntry::of(name, &replayed), replayed))
        })
        .collect()
}

/// The manifest of `root` as found now.
pub fn manifest_of(found: &[(VerdictEntry, FileReplay)]) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        files: found.iter().map(|(entry, _)| entry.clone()).collect(),
    }
}

/// Reads `root/verdicts.json`.
pub fn read_manifest(root: &Path) -> anyhow::Result<Manifest> {
    let path = root.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: cannot read (write it with --write-manifest)",
            path.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a {MANIFEST_FORMAT} manifest", path.display()))?;
    if manifest.format != MANIFEST_FORMAT {
        bail!(
            "{}: unknown format {:?} (this build reads {MANIFEST_FORMAT:?})",
            path.display(),
            manifest.format
        );
    }
    Ok(manifest)
}

/// The bytes of a manifest: pretty JSON with a final newline.
pub fn manifest_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(manifest).expect("a manifest serialises: no maps");
    text.push('\n');
    text.into_bytes()
}

/// How one trace file's verdict compares with the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestCheck {
    /// The manifest records the same model check, verdict, rule and judgement.
    Matches,
    /// The manifest records something else (shown as recorded).
    Changed(VerdictEntry),
    /// The manifest has no entry for the file.
    NotListed,
}

impl ManifestCheck {
    /// `found` against the manifest's entry for the same path.
    pub fn of(found: &VerdictEntry, manifest: &Manifest) -> ManifestCheck {
        match manifest
            .files
            .iter()
            .find(|recorded| recorded.path == found.path)
        {
            None => ManifestCheck::NotListed,
            Some(recorded) if recorded != found => ManifestCheck::Changed(recorded.clone()),
            Some(_) => ManifestCheck::Matches,
        }
    }
}

/// Every problem of the corpus, one line each, in path order: verdicts that differ from the
/// manifest, files missing from it, entries without a file, and broken protocol rules.
pub fn problems(found: &[(VerdictEntry, FileReplay)], manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    for (entry, replayed) in found {
        match ManifestCheck::of(entry, manifest) {
            ManifestCheck::NotListed => problems.push(format!(
                "{}: not in {MANIFEST} (regenerate it with `swb-check replay --corpus DIR --write-manifest`)",
                entry.path
            )),
            ManifestCheck::Changed(recorded) => problems.push(format!(
                "{}: verdict changed: manifest {} / {} / {} / {}, now {} / {} / {} / {}",
                entry.path,
                recorded.model_check,
                recorded.verdict,
                recorded.rule.as_deref().unwrap_or("-"),
                recorded.judgement.as_deref().unwrap_or("-"),
                entry.model_check,
                entry.verdict,
                entry.rule.as_deref().unwrap_or("-"),
                entry.judgement.as_deref().unwrap_or("-"),
            )),
            ManifestCheck::Matches => {}
        }
        if let Err(broken) = replayed.meets_rule() {
            problems.push(format!("{}: {broken}", entry.path));
        }
    }
    for recorded in &manifest.files {
        if !found.iter().any(|(entry, _)| entry.path == recorded.path) {
            problems.push(format!(
                "{}: listed in {MANIFEST} but the file is gone",
                recorded.path
            ));
        }
    }
    problems
}

/// `swb-check replay --corpus DIR [--write-manifest] [--json]`.
pub fn command(root: &Path, write: bool, json: bool) -> anyhow::Result<ExitCode> {
    let found = verdicts(root)?;
    let current = manifest_of(&found);
    if write {
        let path = root.join(MANIFEST);
        crate::counterexample::write_atomically(&path, &manifest_bytes(&current))
            .with_context(|| format!("{}: cannot write", path.display()))?;
        let broken: Vec<String> = found
            .iter()
            .filter_map(|(entry, replayed)| {
                replayed
                    .meets_rule()
                    .err()
                    .map(|broken| format!("{}: {broken}", entry.path))
            })
            .collect();
        let mut out = String::new();
        crate::output::outln!(out, "{}: {} trace(s)", path.display(), current.files.len());
        for line in &broken {
            crate::output::outln!(out, "  {line}");
        }
        crate::output::write_stdout(&out)?;
        return Ok(ExitCode::from(if broken.is_empty() { 0 } else { 1 }));
    }
    let manifest = read_manifest(root)?;
    let mut out = String::new();
    let problems = problems(&found, &manifest);
    if json {
        let report = serde_json::json!({
            "corpus": root.display().to_string(),
            "files": current.files,
            "problems": problems,
        });
        crate::output::outln!(out, "{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::output::outln!(
            out,
            "{}: {} trace(s), {} problem(s)",
            root.display(),
            found.len(),
            problems.len()
        );
        for line in &problems {
            crate::output::outln!(out, "  {line}");
        }
    }
    crate::output::write_stdout(&out)?;
    Ok(ExitCode::from(if problems.is_empty() { 0 } else { 1 }))
}
