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
    /// Standard witnesses out of scope for this configuration, each with why (sorted); an
    /// unreached one is reported as out of scope, never as a failure.
    pub out_of_scope: Vec<(String, String)>,
    /// The prefix a `check --from` search started past, if any.
    pub prefix: Option<Prefix>,
    /// What a scenario file expects of the version checked, when it expects it to get
    /// something wrong (an older version); `None` means: everything in scope holds.
    pub expected: Option<crate::scenario::Expected>,
}

impl ModelInfo {
    /// A model checked from time zero with every witness in scope.
    pub fn new(protocol: String, scenario: String, config: Option<swb_model::Config>) -> Self {
        ModelInfo {
            protocol,
            scenario,
            config,
            out_of_scope: Vec::new(),
            prefix: None,
            expected: None,
        }
    }

    /// The protocol model checked from time zero under `config`: the standard witnesses its
    /// disabled faults make unreachable are out of scope (D51), for `check`, a shard and `merge`
    /// alike.
    pub fn of_config(config: &swb_model::Config, scenario: String) -> Self {
        ModelInfo {
            out_of_scope: crate::scenario::derived_out_of_scope(config),
            ..ModelInfo::new(
                config.protocol.name().to_owned(),
                scenario,
                Some(config.clone()),
            )
        }
    }

    /// The names of the out-of-scope witnesses.
    pub fn out_of_scope_names(&self) -> Vec<&str> {
        self.out_of_scope
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// The steps a `check --from` search starts after.
#[derive(Clone, Debug)]
pub struct Prefix {
    /// Where they come from: a trace file, or a scenario file's script.
    pub source: String,
    /// The actions from time zero.
    pub actions: Vec<swb_model::Action>,
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
    pub end_states: Option<crate::supervise::EndStateCount>,
    /// The progress graph (D47): absent unless the run judged the progress property (the main
    /// job does, at its progress bounds, D49; `--progress` on the checked bounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::liveness::ProgressSummary>,
    /// Sorted by name.
    pub properties: Vec<PropertyReport>,
    /// Standard witnesses out of scope, with why (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub out_of_scope: Vec<OutOfScopeReport>,
    /// What the scenario file expects of this version (absent when everything in scope must
    /// hold): the exit code says whether the run matched it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The prefix the search started past (absent for a search from time zero): every result
    /// is relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<FromReport>,
}

/// One out-of-scope witness in the JSON summary.
#[derive(Debug, Serialize)]
pub struct OutOfScopeReport {
    pub name: String,
    pub reason: String,
}

/// The prefix of a `check --from` run in the JSON summary.
#[derive(Debug, Serialize)]
pub struct FromReport {
    /// The trace file, or `script of FILE`.
    pub source: String,
    /// Actions on the prefix.
    pub steps: usize,
    /// Always `relative to the prefix`: the search covered every state reachable after it,
    /// not every state of the configuration.
    pub scope: &'static str,
}

/// One property in the JSON summary.
#[derive(Debug, Serialize)]
pub struct PropertyReport {
    pub name: &'static str,
    /// always, sometimes or eventually.
    pub kind: &'static str,
    /// holds, violated, reached, unreached or out_of_scope (an unreached witness the
    /// configuration's faults put out of scope).
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
        let out_of_scope = model.out_of_scope_names();
        let mut properties: Vec<PropertyReport> = outcome
            .properties
            .iter()
            .map(|property| PropertyReport {
                name: property.name,
                kind: property.kind.name(),
                status: if property.status == crate::check::Status::Unreached
                    && out_of_scope.contains(&property.name)
                {
                    "out_of_scope"
                } else {
                    property.status.name()
                },
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
            end_states: outcome.end_states,
            progress: outcome.progress.clone(),
            properties,
            out_of_scope: model
                .out_of_scope
                .iter()
                .map(|(name, reason)| OutOfScopeReport {
                    name: name.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            expected: model.expected.map(crate::scenario::describe_expected),
            from: model.prefix.as_ref().map(|prefix| FromReport {
                source: prefix.source.clone(),
                steps: prefix.actions.len(),
                scope: "relative to the prefix",
            }),
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
            let reason = self
                .out_of_scope
                .iter()
                .find(|out| out.name == property.name)
                .map(|out| out.reason.as_str());
            let status = match (property.trace_len, reason) {
                (Some(len), _) => format!("{} (trace length {len})", property.status),
                (None, Some(reason)) if property.status == "out_of_scope" => {
                    format!("out of scope: {reason}")
                }
                (None, _) => property.status.to_owned(),
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
        let progress = self
            .progress
            .as_ref()
            .map(|progress| ("progress", progress.line()));
        let from = self.from.as_ref().map(|from| {
            (
                "from",
                format!(
                    "{} ({} steps): every result is relative to this prefix",
                    from.source, from.steps
                ),
            )
        });
        let expected = self.expected.as_ref().map(|expected| {
            (
                "expected",
                format!("{expected} (the scenario file's, for this version)"),
            )
        });
        let figures: Vec<(&str, String)> = figures
            .into_iter()
            .chain(progress)
            .chain(expected)
            .chain(from)
            .collect();
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

/// `object` (a pretty-printed JSON object ending in `}`, as [`CheckReport::to_json`] gives it)
/// with `fields` added last, in the given order, each value a JSON text (pretty or not). The
/// report's own fields keep their documented order, which a round trip through
/// `serde_json::Value` would sort away.
pub fn with_last_fields(object: &str, fields: &[(&str, String)]) -> String {
    let Some(body) = object.trim_end().strip_suffix('}') else {
        // Not an object: leave it as it is rather than emit broken JSON.
        return object.to_owned();
    };
    let mut json = body.trim_end().to_owned();
    for (name, value) in fields {
        let value = value.trim_end().replace('\n', "\n  ");
        json.push_str(&format!(",\n  {name:?}: {value}"));
    }
    json.push_str("\n}\n");
    json
}

fn round_to_milliseconds(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}
