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

/// A trace's step log is stored beside it as `<trace>.steps.jsonl` (docs/step-log.md).
pub const STEP_LOG_SUFFIX: &str = ".steps.jsonl";

/// An action-only trace's expansion (every state, format 1) is stored beside it as
/// `<trace>.states.json`; it is derived, not a trace of its own.
pub const EXPANSION_SUFFIX: &str = ".states.json";

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
                if name != MANIFEST && !name.ends_with(EXPANSION_SUFFIX) {
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

/// The files derived from one trace and stored beside it: its step log and, for an action-only
/// trace, its expansion. (path, bytes), in that order.
pub fn derived_files(
    path: &Path,
    replayed: &FileReplay,
) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let stem = path.with_extension("");
    let beside = |suffix: &str| {
        let mut name = stem.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    let mut files = Vec::new();
    if let Some(log) = &replayed.step_log {
        files.push((beside(STEP_LOG_SUFFIX), log.to_jsonl().into_bytes()));
    }
    if super::file::is_conformance_trace(path) {
        files.push((beside(EXPANSION_SUFFIX), super::expanded(path)?));
    }
    Ok(files)
}

/// The problems of the files stored beside one trace: a derived file missing or stale, and a
/// stored step log that, interpreted on the engine, does not give the trace's own verdict.
fn derived_problems(
    name: &str,
    path: &Path,
    replayed: &FileReplay,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for (derived, bytes) in derived_files(path, replayed)? {
        let shown = derived
            .file_name()
            .map_or_else(String::new, |file| file.to_string_lossy().into_owned());
        match std::fs::read(&derived) {
            Ok(stored) if stored == bytes => {}
            Ok(_) => problems.push(format!(
                "{name}: {shown} is stale (regenerate with `swb-check replay --corpus DIR --write-manifest`)"
            )),
            Err(_) => problems.push(format!(
                "{name}: {shown} is missing (write it with `swb-check replay --corpus DIR --write-manifest`)"
            )),
        }
    }
    let (Some(outcome), Some(log_path)) = (
        &replayed.outcome,
        replayed.step_log.as_ref().map(|_| {
            let mut name = path.with_extension("").into_os_string();
            name.push(STEP_LOG_SUFFIX);
            PathBuf::from(name)
        }),
    ) else {
        return Ok(());
    };
    let Ok(text) = std::fs::read_to_string(&log_path) else {
        return Ok(());
    };
    let log = super::steps::StepLog::from_jsonl(&text)
        .with_context(|| format!("{}: not a step log", log_path.display()))?;
    let judge = replayed.property.and_then(super::judge::Judge::of_name);
    let interpreted = super::replay_log(&log, judge);
    if interpreted.verdict != outcome.verdict
        || interpreted
            .judgement
            .as_ref()
            .map(super::judge::Judgement::key)
            != outcome.judgement.as_ref().map(super::judge::Judgement::key)
            && judge.is_some()
    {
        problems.push(format!(
            "{name}: its stored step log interprets as {}, the trace replays as {}",
            interpreted.verdict.name(),
            outcome.verdict.name()
        ));
    }
    Ok(())
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
pub fn problems(
    root: &Path,
    found: &[(VerdictEntry, FileReplay)],
    manifest: &Manifest,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (entry, replayed) in found {
        derived_problems(
            &entry.path,
            &root.join(&entry.path),
            replayed,
            &mut problems,
        )?;
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
    Ok(problems)
}

/// `swb-check replay --corpus DIR [--write-manifest] [--json]`.
pub fn command(root: &Path, write: bool, json: bool) -> anyhow::Result<ExitCode> {
    let found = verdicts(root)?;
    let current = manifest_of(&found);
    if write {
        // Every derived file is computed before anything is written: a bad trace writes nothing.
        let mut derived = Vec::new();
        for (entry, replayed) in &found {
            derived.extend(derived_files(&root.join(&entry.path), replayed)?);
        }
        for (path, bytes) in &derived {
            crate::counterexample::write_atomically(path, bytes)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
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
    let problems = problems(root, &found, &manifest)?;
    let coverage = super::steps::Coverage::of(
        found
            .iter()
            .filter_map(|(_, replayed)| replayed.outcome.as_ref())
            .map(|outcome| &outcome.coverage),
    );
    if json {
        let report = serde_json::json!({
            "corpus": root.display().to_string(),
            "files": current.files,
            "problems": problems,
            "coverage": coverage.coverage,
            "never_called": coverage.never_called,
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
        crate::output::outln!(
            out,
            "  engine coverage: never exercised: {}",
            if coverage.never_called.is_empty() {
                "-".to_string()
            } else {
                coverage.never_called.join(", ")
            }
        );
    }
    crate::output::write_stdout(&out)?;
    Ok(ExitCode::from(if problems.is_empty() { 0 } else { 1 }))
}
