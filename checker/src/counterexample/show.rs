//! `swb-check show`: a counterexample as a numbered narrative.
//!
//! Each step gives its number, acting actor and description, then what changed in the state as
//! `field: old → new` lines computed from the stored states before and after it (messages sent
//! and consumed are listed as such), and the text ends with why the property fails.

use super::document::{CounterexampleFile, Loaded};
use super::view::{StateView, StepView};
use serde_json::Value;
use std::fmt::Write as _;

/// The narrative of a loaded counterexample.
pub fn narrative(loaded: &Loaded) -> String {
    let document = &loaded.document;
    let mut out = String::new();
    // A witness trace (`check --witness-dir`) names a `sometimes` its last state reaches.
    let (heading, verb) = match loaded.property.kind {
        swb_properties::PropertyKind::Sometimes => ("witness trace", "reaches"),
        _ => ("counterexample", "violates"),
    };
    let _ = writeln!(out, "{heading} {}", loaded.file.display());
    out.push_str(&steps_text(document, "why it fails"));
    let ending = if loaded.still_violates() {
        match document.steps.len() {
            0 => format!("The initial state already {verb} it."),
            last => format!("The state after step {last} {verb} it."),
        }
    } else {
        format!("Warning: under this swb-check's model the last state no longer {verb} it.")
    };
    let _ = writeln!(out, "    {ending}");
    out
}

/// The narrative of a conformance trace (`swb-replay/1`): the same numbered steps, ending with
/// the finding the trace was saved for.
pub fn conformance_narrative(file: &std::path::Path, document: &CounterexampleFile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "conformance trace {}", file.display());
    out.push_str(&steps_text(document, "why it was saved"));
    let _ = writeln!(
        out,
        "    Replay it against the engine with `swb-check replay {}`.",
        file.display()
    );
    out
}

/// The header, the initial state, every step with its changes, and `heading` with the
/// property's line (the caller adds the ending).
fn steps_text(document: &CounterexampleFile, heading: &str) -> String {
    let mut out = String::new();
    let mutant = match &document.config.mutant {
        Some(mutant) => serde_json::to_value(mutant)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .map_or_else(String::new, |name| format!(", mutant {name}")),
        None => String::new(),
    };
    let steps = document.steps.len();
    let _ = writeln!(
        out,
        "property {} ({}; {})",
        document.property.name, document.property.kind, document.property.source
    );
    let _ = writeln!(
        out,
        "protocol {}, scenario {}{mutant}; {steps} step{} ({})",
        document.protocol,
        document.scenario,
        if steps == 1 { "" } else { "s" },
        document.minimality.name()
    );
    out.push('\n');
    out.push_str("initial state\n");
    for line in summary(&document.initial) {
        let _ = writeln!(out, "    {line}");
    }
    out.push('\n');

    let number_width = steps.to_string().len();
    let mut before = &document.initial;
    for record in &document.steps {
        let _ = writeln!(
            out,
            "{:>number_width$}. [{}] {}",
            record.step, record.actor, record.description
        );
        let changes = changes(before, &record.state, &record.action);
        if changes.is_empty() {
            let _ = writeln!(out, "{:number_width$}    (no visible change)", "");
        }
        for change in changes {
            let _ = writeln!(out, "{:number_width$}    {change}", "");
        }
        before = &record.state;
    }
    out.push('\n');
    let _ = writeln!(out, "{heading}");
    let _ = writeln!(
        out,
        "    {} ({}): {}",
        document.property.name, document.property.source, document.property.meaning
    );
    out
}

/// One line per actor: the fields a reader needs first.
fn summary(state: &StateView) -> Vec<String> {
    let coordinator = &state.coordinator;
    let mut lines = vec![format!(
        "coordinator: epoch {}, primary {}, C={}",
        coordinator.epoch,
        coordinator.primary.as_deref().unwrap_or("none"),
        coordinator.committed
    )];
    for node in &state.nodes {
        let wal: Vec<String> = node
            .wal
            .entries
            .iter()
            .map(|entry| format!("{}@e{}", entry.lsn, entry.epoch))
            .collect();
        lines.push(format!(
            "{}: {}{}, epoch {}, endpoint {}, wal [{}], flushed {}",
            node.name,
            node.role,
            if node.crashed { " (crashed)" } else { "" },
            node.epoch,
            node.endpoint,
            wal.join(", "),
            node.wal.flushed
        ));
    }
    lines.push(format!("in flight: {} message(s)", state.network.len()));
    lines
}

/// What changed from `before` to `after`: field changes, then messages consumed and sent.
pub fn changes(before: &StateView, after: &StateView, action: &StepView) -> Vec<String> {
    let mut lines = field_changes(before, after);
    let mut consumed: Vec<String> = before.network.iter().map(envelope_line).collect();
    let mut sent: Vec<String> = Vec::new();
    for envelope in after.network.iter().map(envelope_line) {
        match consumed.iter().position(|line| *line == envelope) {
            Some(index) => {
                consumed.remove(index);
            }
            None => sent.push(envelope),
        }
    }
    // The delivered or dropped message is the step itself; list only other consumption.
    if let StepView::Deliver { from, to, msg } | StepView::Drop { from, to, msg } = action {
        let own = format!("{from} → {to}: {}", swb_model::trace::describe_msg(msg));
        if let Some(index) = consumed.iter().position(|line| *line == own) {
            consumed.remove(index);
        }
    }
    lines.extend(consumed.into_iter().map(|line| format!("consumed {line}")));
    lines.extend(sent.into_iter().map(|line| format!("sent {line}")));
    lines
}

fn envelope_line(envelope: &super::view::EnvelopeView) -> String {
    format!(
        "{} → {}: {}",
        envelope.from, envelope.to, envelope.description
    )
}

/// `field: old → new` for every leaf that differs (the network is left to [`changes`]).
fn field_changes(before: &StateView, after: &StateView) -> Vec<String> {
    let mut old = Vec::new();
    let mut new = Vec::new();
    flatten_state(before, &mut old);
    flatten_state(after, &mut new);
    // An empty keyed list (`[]`) or an absent object (`none`) is one leaf; filled, its fields
    // are leaves of their own. Its appearing or emptying is told by those, not by the leaf.
    let emptied_into = |field: &str, value: &str, other: &[(String, String)]| {
        (value == "[]" || value == "none")
            && other
                .iter()
                .any(|(name, _)| name.starts_with(&format!("{field}.")))
    };
    let mut lines = Vec::new();
    for (field, value) in &old {
        match new.iter().find(|(other, _)| other == field) {
            Some((_, changed)) if changed != value => {
                lines.push(format!("{field}: {value} → {changed}"));
            }
            Some(_) => {}
            None if emptied_into(field, value, &new) => {}
            None => lines.push(format!("{field}: {value} → (gone)")),
        }
    }
    for (field, value) in &new {
        if !old.iter().any(|(other, _)| other == field) && !emptied_into(field, value, &old) {
            lines.push(format!("{field}: (none) → {value}"));
        }
    }
    lines
}

fn flatten_state(state: &StateView, out: &mut Vec<(String, String)>) {
    let Ok(Value::Object(fields)) = serde_json::to_value(state) else {
        return;
    };
    for (key, value) in &fields {
        match key.as_str() {
            "network" => {}
            // Nodes are named at the top level: `n2.wal.flushed`, not `nodes.n2.wal.flushed`.
            "nodes" => flatten(value, "", out),
            _ => flatten(value, key, out),
        }
    }
}

/// Fields that name the element of a list they sit in.
const ELEMENT_KEYS: [&str; 3] = ["name", "replica", "node"];

fn element_key(value: &Value) -> Option<&str> {
    ELEMENT_KEYS
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_str))
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn flatten(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) if !is_variant(value) => {
            for (key, nested) in fields {
                flatten(nested, &join(at, key), out);
            }
        }
        Value::Array(elements)
            if !elements.is_empty() && elements.iter().all(|e| element_key(e).is_some()) =>
        {
            for element in elements {
                let key = element_key(element).unwrap_or("?");
                if let Value::Object(fields) = element {
                    for (field, nested) in fields {
                        if ELEMENT_KEYS.contains(&field.as_str()) {
                            continue;
                        }
                        flatten(nested, &join(&join(at, key), field), out);
                    }
                }
            }
        }
        _ => out.push((at.to_owned(), render(value))),
    }
}

/// A serde enum variant with data: `{"InSync": {...}}`, `{"Node": "ClientWrite"}`.
fn is_variant(value: &Value) -> bool {
    match value {
        Value::Object(fields) if fields.len() == 1 => fields
            .keys()
            .next()
            .is_some_and(|key| key.starts_with(|c: char| c.is_ascii_uppercase())),
        _ => false,
    }
}

/// A compact, readable rendering of a value.
pub fn render(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        Value::Array(elements) => {
            let parts: Vec<String> = elements.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(fields) => {
            if let (Some(lsn), Some(epoch), 2) =
                (fields.get("lsn"), fields.get("epoch"), fields.len())
            {
                return format!("{}@e{}", render(lsn), render(epoch));
            }
            if is_variant(value) {
                if let Some((name, inner)) = fields.iter().next() {
                    return match inner {
                        Value::Object(_) if !is_variant(inner) => {
                            format!("{name} {}", render(inner))
                        }
                        _ => format!("{name}({})", render(inner)),
                    };
                }
            }
            let parts: Vec<String> = fields
                .iter()
                .map(|(key, nested)| format!("{key}: {}", render(nested)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Reads a trace file of either format (a counterexample, or a conformance trace) as the
/// document `show` narrates and draws, and its narrative. A step or state the model no longer
/// produces is an error: there is no path left to show.
pub fn load(file: &std::path::Path) -> anyhow::Result<(CounterexampleFile, String)> {
    if crate::replay::file::is_conformance_trace(file) {
        let (config, note, path) = crate::replay::file::load_path(file)?;
        let document = CounterexampleFile::conformance(&config, &note, &path);
        let text = conformance_narrative(file, &document);
        Ok((document, text))
    } else {
        let loaded = super::load(file)?;
        let text = narrative(&loaded);
        Ok((loaded.document, text))
    }
}

/// `swb-check show FILE [--svg OUT]`: loads and checks the file first, so bad input prints one
/// error line and writes nothing.
pub fn command(args: &crate::cli::ShowArgs) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context;
    let (document, mut text) = load(&args.file)?;
    if let Some(out) = &args.svg {
        let chart = super::svg::chart(&document);
        super::write_atomically(out, chart.as_bytes())
            .with_context(|| format!("{}: cannot write the chart", out.display()))?;
        let _ = writeln!(text, "\nchart {}", out.display());
    }
    crate::output::write_stdout(&text)?;
    Ok(std::process::ExitCode::SUCCESS)
}
