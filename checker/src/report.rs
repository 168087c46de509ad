//! The summary of a check on stdout: an aligned table for people, or exactly one JSON object
//! for tools. Properties are listed by name in both.

use crate::check::{CheckOutcome, Completion, Symmetry};
use serde::Serialize;

/// What the model under check is, for the summary's first lines.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    /// The protocol version checked (`v1`, `v1.5`, `v2`), or a reference model's name.
    pub protocol: String,
    /// The configuration's scenario name.
    pub scenario: String,
    /// Every bound of the protocol model checked; `None` for a reference model.
    pub config: Option<swb_model::Config>,
}

/// The JSON summary. Field order is the documented order.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub protocol: String,
    pub scenario: String,
    /// Every bound of the protocol model checked; `null` for a reference model.
    pub config: Option<swb_model::Config>,
    pub complete: bool,
    /// `null`, or the limit that cut the run: max_states, max_depth, timeout, memory_limit,
    /// interrupted.
    pub limit_hit: Option<&'static str>,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub threads: usize,
    pub strategy: &'static str,
    pub symmetry: bool,
    /// The simulation seed; `null` for the exhaustive strategies.
    pub seed: Option<u64>,
    /// The end states explored (D45): states no protocol step moves on, and how many of them
    /// are invalid (each invalid one also violates `end_states_are_valid`). `null` for a model
    /// without an end-state property.
    pub end_states: Option<EndStatesReport>,
    /// Sorted by name.
    pub properties: Vec<PropertyReport>,
}

/// The end-state line of the summary.
#[derive(Debug, Serialize)]
pub struct EndStatesReport {
    pub total: usize,
    pub invalid: usize,
}

/// One property in the JSON summary.
#[derive(Debug, Serialize)]
pub struct PropertyReport {
    pub name: &'static str,
    /// always, sometimes or eventually.
    pub kind: &'static str,
    /// holds, violated, reached or unreached.
    pub status: &'static str,
    /// Actions on the discovered path; `null` without a discovery.
    pub trace_len: Option<usize>,
}

impl CheckReport {
    /// Builds the summary of `outcome` for `model`.
    pub fn new<State: Clone, Action: Clone>(
        model: &ModelInfo,
        outcome: &CheckOutcome<State, Action>,
    ) -> Self {
        let mut properties: Vec<PropertyReport> = outcome
            .properties
            .iter()
            .map(|property| PropertyReport {
                name: property.name,
                kind: property.kind.name(),
                status: property.status.name(),
                trace_len: property.trace_len(),
            })
            .collect();
        properties.sort_by_key(|property| property.name);
        let limit_hit = match outcome.completion {
            Completion::Complete => None,
            Completion::Incomplete(limit) => Some(limit.name()),
        };
        Self {
            protocol: model.protocol.clone(),
            scenario: model.scenario.clone(),
            config: model.config.clone(),
            complete: limit_hit.is_none(),
            limit_hit,
            unique_states: outcome.unique_states,
            total_states: outcome.total_states,
            max_depth: outcome.max_depth,
            seconds: round_to_milliseconds(outcome.elapsed.as_secs_f64()),
            threads: outcome.threads.get(),
            strategy: outcome.strategy.name(),
            symmetry: outcome.symmetry == Symmetry::On,
            seed: outcome.strategy.seed(),
            end_states: outcome.end_states.map(|count| EndStatesReport {
                total: count.total,
                invalid: count.invalid,
            }),
            properties,
        }
    }

    /// The JSON object, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self)
            .expect("the report serializes: no maps, no floats NaN");
        json.push('\n');
        json
    }

    /// The table: one row per property, then the run's figures.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<[String; 3]> = vec![[
            "property".to_owned(),
            "kind".to_owned(),
            "status".to_owned(),
        ]];
        for property in &self.properties {
            let status = match property.trace_len {
                Some(len) => format!("{} (trace length {len})", property.status),
                None => property.status.to_owned(),
            };
            rows.push([property.name.to_owned(), property.kind.to_owned(), status]);
        }
        let name_width = rows.iter().map(|row| row[0].len()).max().unwrap_or(0);
        let kind_width = rows.iter().map(|row| row[1].len()).max().unwrap_or(0);
        let mut table = String::new();
        for [name, kind, status] in &rows {
            table.push_str(&format!(
                "{name:<name_width$}  {kind:<kind_width$}  {status}\n"
            ));
        }
        table.push('\n');

        let result = match self.limit_hit {
            None => "complete".to_owned(),
            Some(limit) => format!("incomplete ({limit})"),
        };
        let seed = match self.seed {
            Some(seed) => seed.to_string(),
            None => "-".to_owned(),
        };
        let figures = [
            ("protocol", self.protocol.clone()),
            ("scenario", self.scenario.clone()),
            (
                "bounds",
                self.config
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string),
            ),
            ("unique states", self.unique_states.to_string()),
            ("total states", self.total_states.to_string()),
            ("max depth", self.max_depth.to_string()),
            ("seconds", format!("{:.3}", self.seconds)),
            ("threads", self.threads.to_string()),
            ("strategy", self.strategy.to_owned()),
            (
                "symmetry",
                if self.symmetry { "on" } else { "off" }.to_owned(),
            ),
            ("seed", seed),
            (
                "end states",
                self.end_states.as_ref().map_or_else(
                    || "-".to_owned(),
                    |count| format!("{} ({} invalid)", count.total, count.invalid),
                ),
            ),
            ("result", result),
        ];
        let label_width = figures
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        for (label, value) in figures {
            table.push_str(&format!("{label:<label_width$}  {value}\n"));
        }
        table
    }
}

fn round_to_milliseconds(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}
