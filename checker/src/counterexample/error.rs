//! Why a counterexample file could not be read, trusted or written.

use std::path::PathBuf;

/// Every failure names the file and renders as one line (the binary prints it and exits 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// The file does not exist or cannot be read.
    #[error("{}: cannot read the counterexample: {reason}", file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The bytes are not JSON, or not the shape of a counterexample.
    #[error("{}: not a counterexample file: {reason}", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// What the parser said (one line).
        reason: String,
    },
    /// The `format` version is not one this tool reads.
    #[error("{}: unknown counterexample format {found}: this swb-check reads format {supported}", file.display())]
    UnknownFormat {
        /// The file.
        file: PathBuf,
        /// The version found.
        found: u64,
        /// The version this tool reads.
        supported: u64,
    },
    /// The property is not in the catalog (renamed or removed).
    #[error("{}: unknown property {property:?}: not in this swb-check's catalog; accepted (the `always` properties): {}", file.display(), always_property_names())]
    UnknownProperty {
        /// The file.
        file: PathBuf,
        /// The name found.
        property: String,
    },
    /// The property exists but is an `eventually`: a trace of it means nothing here.
    #[error("{}: property {property:?} is a `{kind}` property; a trace file names an `always` or a `progress` (a counterexample) or a `sometimes` (a witness)", file.display())]
    NotAnInvariant {
        /// The file.
        file: PathBuf,
        /// The property.
        property: String,
        /// Its kind in the catalog.
        kind: &'static str,
    },
    /// The configuration is invalid, or disagrees with the file's other fields.
    #[error("{}: configuration refused: {reason}", file.display())]
    ConfigInvalid {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// The initial state differs from the model's: the trace was recorded under another
    /// configuration or model.
    #[error("{}: the initial state differs from the model's at {field}: recorded under a different configuration or model", file.display())]
    InitialStateMismatch {
        /// The file.
        file: PathBuf,
        /// The first field that differs.
        field: String,
    },
    /// No enabled action of the model matches the step.
    #[error("{}: step {step} ({description}) is not an action the model can take there: the model changed underneath this trace, or the file was edited", file.display())]
    UnknownStep {
        /// The file.
        file: PathBuf,
        /// The step number (1 is the first action).
        step: usize,
        /// The step's recorded description.
        description: String,
    },
    /// More than one enabled action matches the step.
    #[error("{}: step {step} ({description}) matches {matches} actions of the model: the trace is ambiguous", file.display())]
    AmbiguousStep {
        /// The file.
        file: PathBuf,
        /// The step number.
        step: usize,
        /// The step's recorded description.
        description: String,
        /// How many matched.
        matches: usize,
    },
    /// The state the model reaches differs from the recorded one.
    #[error("{}: after step {step} the model's state differs from the recorded one at {field}: the model changed underneath this trace, or the file was edited", file.display())]
    StateMismatch {
        /// The file.
        file: PathBuf,
        /// The step number.
        step: usize,
        /// The first field that differs.
        field: String,
    },
    /// A name that cannot be a path component (a scenario or property name).
    #[error("{name:?} cannot name a counterexample directory or file: use letters, digits, `-`, `_` and `.`")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Writing the file failed (nothing was left behind).
    #[error("{}: cannot write: {reason}", file.display())]
    Unwritable {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
}

/// The names a counterexample's property may take: every `always` property, sorted.
fn always_property_names() -> String {
    let names: Vec<&str> = swb_properties::catalog()
        .into_iter()
        .filter(|property| property.kind == swb_properties::PropertyKind::Always)
        .map(|property| property.name)
        .collect();
    names.join(", ")
}
