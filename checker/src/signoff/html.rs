//! `DIR/index.html`: the sign-off report as one self-contained page. Inline CSS, the charts as
//! inline SVG, no script and no reference to anything outside the file, so it renders the same
//! offline, from an archive or an e-mail attachment.
//!
//! Every section has a stable id (`summary`, `metadata`, `matrix`, `properties`,
//! `counterexamples`, `coverage`, `sometimes`, `assumptions`): the browser check and the tests
//! look for them.

use super::markdown::{rows_of, status_text};
use super::{verdict_text, CorpusSource, SignoffReport};
use crate::check::{Completion, Kind, Status, Verdict};
use crate::counterexample::svg::escape;
use std::fmt::Write as _;

/// The section ids, in page order.
pub const SECTION_IDS: [&str; 8] = [
    "summary",
    "metadata",
    "matrix",
    "properties",
    "counterexamples",
    "coverage",
    "sometimes",
    "assumptions",
];

/// Class names are prefixed `r-` so they cannot meet the class names the inline charts style
/// (`lane`, `delivery`, `drop`, ...): CSS inside an inline SVG applies to the whole page.
const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6em;margin:.4em 0}
h2{font-size:1.25em;margin-top:1.8em;border-bottom:2px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em;background:#fff}
th,td{border:1px solid #d0d0d0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.r-num{text-align:right;font-variant-numeric:tabular-nums}
td.r-file{word-break:break-all;max-width:340px}
td.r-why{min-width:260px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow-x:auto}
.r-ok{background:#e5f6e5}
.r-bad{background:#fbe0e0}
.r-warn{background:#fff4d6}
.r-banner{padding:10px 14px;border-radius:6px;margin:10px 0;font-weight:600}
.r-chart{overflow-x:auto;background:#fff;border:1px solid #ddd;margin:6px 0 14px}
details{margin:6px 0}
summary{cursor:pointer}
nav a{margin-right:12px}
";

/// Escapes text and renders the two inline Markdown forms the design document uses: `code`
/// and **bold**.
fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::new();
    for (index, part) in escaped.split('`').enumerate() {
        if index % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (bold_index, piece) in part.split("**").enumerate() {
                if bold_index % 2 == 1 {
                    let _ = write!(out, "<strong>{piece}</strong>");
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

/// Makes a chart's ids unique on the page (each chart defines its arrow marker).
fn unique_ids(svg: &str, index: usize) -> String {
    svg.replace("id=\"arrow\"", &format!("id=\"arrow-{index}\""))
        .replace("url(#arrow)", &format!("url(#arrow-{index})"))
}

pub fn render(report: &SignoffReport) -> String {
    let mut out = String::new();
    let meta = &report.meta;
    let check = &report.check;
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n");
    out.push_str("<title>swb-check sign-off report</title>\n");
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    out.push_str("<h1>swb-check sign-off report</h1>\n<nav>");
    for id in SECTION_IDS {
        let _ = write!(out, "<a href=\"#{id}\">{id}</a>");
    }
    out.push_str("</nav>\n");

    // Summary.
    let overall_ok = report.exit_code() == std::process::ExitCode::SUCCESS;
    let _ = writeln!(out, "<section id=\"summary\">\n<h2>Summary</h2>");
    let _ = writeln!(
        out,
        "<div class=\"r-banner {}\">{}</div>\n<ul>",
        if overall_ok { "r-ok" } else { "r-bad" },
        if overall_ok {
            "Every part of the evidence is as expected."
        } else {
            "Some part of the evidence is not as expected: see the marked rows."
        }
    );
    for line in report.summary_lines() {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul>\n</section>\n");

    // Metadata.
    let completion = match check.completion {
        Completion::Complete => "complete".to_owned(),
        Completion::Incomplete(limit) => format!("incomplete ({})", limit.name()),
    };
    let rows = [
        ("tool", format!("swb-check {}", meta.tool_version)),
        ("git commit", meta.commit.text()),
        ("date", meta.date.clone()),
        ("configuration", meta.config_source.clone()),
        ("protocol", meta.protocol.name().to_owned()),
        ("strategy", "dfs, symmetry on".to_owned()),
        ("seed", "none (exhaustive search)".to_owned()),
        ("threads", meta.threads.to_string()),
        ("unique states", check.unique_states.to_string()),
        ("total states", check.total_states.to_string()),
        ("max depth", check.max_depth.to_string()),
        ("seconds (check)", format!("{:.2}", check.seconds)),
        ("result", completion),
        ("verdict", verdict_text(check.verdict).to_owned()),
    ];
    let _ = writeln!(
        out,
        "<section id=\"metadata\">\n<h2>Run metadata</h2>\n<table>"
    );
    for (label, value) in rows {
        let _ = writeln!(out, "<tr><th>{label}</th><td>{}</td></tr>", escape(&value));
    }
    let _ = writeln!(
        out,
        "</table>\n<details><summary>Configuration (JSON)</summary><pre>{}</pre></details>\n</section>",
        // `escape` folds line breaks into spaces, so each line is escaped on its own.
        meta.config_json
            .trim_end()
            .lines()
            .map(escape)
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Matrix.
    let matrix = &report.matrix;
    let _ = writeln!(
        out,
        "<section id=\"matrix\">\n<h2>Verdict matrix</h2>\n<p>Bounds: <code>{}</code> ({}; each \
         scenario adds its own faults). Each cell is an exhaustive DFS with symmetry reduction; \
         <strong>≠</strong> marks a cell that differs from the catalog's expectation. {:.1} s for \
         the matrix.</p>\n<table>\n<tr><th>scenario</th>",
        matrix.bounds.name(),
        escape(&matrix.bounds.describe()),
        matrix.seconds
    );
    for protocol in &matrix.protocols {
        let _ = write!(out, "<th>{protocol}</th>");
    }
    out.push_str("</tr>\n");
    for row in rows_of(&matrix.cells) {
        let _ = write!(out, "<tr><td><code>{}</code></td>", row[0].scenario.name);
        for protocol in &matrix.protocols {
            match row.iter().find(|c| c.protocol == *protocol) {
                Some(cell) => {
                    let class = match (cell.matches_expected(), cell.verdict_text() == "holds") {
                        (false, _) => "r-bad",
                        (true, true) => "r-ok",
                        (true, false) => "r-warn",
                    };
                    let _ = write!(
                        out,
                        "<td class=\"{class}\">{}</td>",
                        escape(&cell.marked_verdict())
                    );
                }
                None => out.push_str("<td>-</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<p>Green: holds. Yellow: fails (an older version) exactly as the catalog expects. Red: differs from the expectation.</p>\n");
    if !matrix.skipped.is_empty() {
        out.push_str(
            "<p>Not run at these bounds (heavy; <code>--full-matrix</code> runs them):</p>\n<ul>\n",
        );
        for scenario in &matrix.skipped {
            let _ = writeln!(out, "<li><code>{}</code></li>", scenario.name);
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    // Properties.
    out.push_str("<section id=\"properties\">\n<h2>Properties</h2>\n<table>\n<tr><th>property</th><th>kind</th><th>status</th><th>source criterion</th><th>mutant it catches</th><th>meaning</th></tr>\n");
    for property in &check.properties {
        let class = match property.status {
            Status::Holds | Status::Reached => "r-ok",
            Status::Violated | Status::Unreached => "r-bad",
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            property.name,
            property.kind.name(),
            status_text(property.status, property.trace_len),
            escape(property.source),
            property
                .mutant
                .as_deref()
                .map_or("—".to_owned(), |mutant| format!("<code>{}</code>", escape(mutant))),
            escape(property.meaning)
        );
    }
    out.push_str("</table>\n</section>\n");

    // Counterexamples.
    out.push_str("<section id=\"counterexamples\">\n<h2>Counterexamples</h2>\n");
    match &report.corpus {
        CorpusSource::Directory(dir) => {
            let _ = writeln!(
                out,
                "<p>Corpus: <code>{}</code>.",
                escape(&dir.display().to_string())
            );
        }
        CorpusSource::Absent(dir) => {
            let _ = writeln!(
                out,
                "<p>Corpus: <code>{}</code> does not exist here.",
                escape(&dir.display().to_string())
            );
        }
    }
    out.push_str(" Each trace is re-checked in today's model and replayed on the engine. As expected: the model still takes it and it still violates its property, and the engine conforms (or refuses a V1 / V1.5 trace).</p>\n");
    if report.traces.is_empty() {
        out.push_str("<p>No counterexample files.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>#</th><th>file</th><th>origin</th><th>property</th><th>protocol</th><th>steps</th><th>model check</th><th>engine replay</th><th>as expected</th></tr>\n");
        for (index, trace) in report.traces.iter().enumerate() {
            let (property, protocol, steps, model_check) = match &trace.result {
                Ok(replayed) => (
                    replayed.property.unwrap_or("-").to_owned(),
                    replayed.protocol.name().to_owned(),
                    replayed.steps.to_string(),
                    replayed.model_check.name().to_owned(),
                ),
                Err(_) => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let ok = trace.as_expected();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"r-file\"><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"r-num\">{}</td><td>{}</td><td class=\"r-why\">{}</td><td class=\"{}\">{}</td></tr>",
                index + 1,
                escape(&trace.shown),
                trace.origin.name(),
                escape(&property),
                protocol,
                steps,
                model_check,
                escape(&trace.verdict_text()),
                if ok { "r-ok" } else { "r-bad" },
                if ok { "yes" } else { "no" }
            );
        }
        out.push_str("</table>\n");
        let charted: Vec<(usize, &super::replays::TraceEntry)> = report
            .traces
            .iter()
            .enumerate()
            .filter(|(_, trace)| trace.svg.is_some())
            .collect();
        // A few charts are shown open; a long list starts folded to keep the page readable.
        let open = charted.len() <= 3;
        for (index, trace) in charted {
            let title = match &trace.result {
                Ok(replayed) => format!(
                    "#{} {} — {} under {}, scenario {} ({} steps{})",
                    index + 1,
                    replayed.property.unwrap_or("-"),
                    trace.verdict_text(),
                    replayed.protocol,
                    replayed.scenario,
                    replayed.steps,
                    replayed
                        .minimality
                        .as_deref()
                        .map_or(String::new(), |m| format!(", {m}"))
                ),
                Err(_) => format!("#{} {}", index + 1, trace.shown),
            };
            let _ = writeln!(
                out,
                "<details class=\"r-trace\"{}><summary>{}</summary><div class=\"r-chart\">{}</div></details>",
                if open { " open" } else { "" },
                escape(&title),
                unique_ids(trace.svg.as_deref().unwrap_or_default(), index + 1)
            );
        }
    }
    out.push_str("</section>\n");

    // Coverage.
    let coverage = &report.coverage;
    let _ = writeln!(
        out,
        "<section id=\"coverage\">\n<h2>Per-action coverage</h2>\n<p>Every reachable state of the checked \
         configuration, expanded once (DFS, symmetry {}): {} unique states, {} generated, {:.1} s. \
         Offered: the model listed the action; transitions: it produced a state; new states: one not seen before.</p>",
        if coverage.symmetry { "on" } else { "off" },
        coverage.unique_states,
        coverage.total_states,
        coverage.elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "<p>{}</p>", escape(&super::cross_check(report)));
    out.push_str("<table>\n<tr><th>action kind</th><th>offered</th><th>transitions</th><th>new states</th></tr>\n");
    for (kind, counts) in &coverage.rows {
        let class = if counts.transitions == 0 {
            " class=\"r-warn\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td></tr>",
            escape(&kind.name()),
            counts.offered,
            counts.transitions,
            counts.new_states
        );
    }
    let never: Vec<String> = coverage
        .never_fired()
        .iter()
        .map(|kind| format!("<code>{}</code>", escape(&kind.name())))
        .collect();
    let _ = writeln!(
        out,
        "</table>\n<p id=\"never-fired\">Never fired: {}.</p>\n</section>",
        if never.is_empty() {
            "none".to_owned()
        } else {
            never.join(", ")
        }
    );

    // Sometimes.
    out.push_str("<section id=\"sometimes\">\n<h2><code>sometimes</code> reachability</h2>\n<table>\n<tr><th>witness</th><th>status</th><th>steps to the first example found</th></tr>\n");
    for property in check
        .properties
        .iter()
        .filter(|p| p.kind == Kind::Sometimes)
    {
        let class = if property.status == Status::Reached {
            "r-ok"
        } else {
            "r-bad"
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"{class}\">{}</td><td class=\"r-num\">{}</td></tr>",
            property.name,
            property.status.name(),
            property
                .trace_len
                .map_or("—".to_owned(), |len| len.to_string())
        );
    }
    out.push_str("</table>\n</section>\n");

    // Assumptions.
    let _ = writeln!(
        out,
        "<section id=\"assumptions\">\n<h2>Assumptions</h2>\n<p>From <code>docs/design.md</code>, “{}”.</p>\n<ul>",
        escape(&report.assumptions_heading)
    );
    for assumption in &report.assumptions {
        let _ = writeln!(
            out,
            "<li><strong>{}.</strong> {}</li>",
            escape(&assumption.title),
            inline(&assumption.text)
        );
    }
    out.push_str("</ul>\n</section>\n");
    let _ = writeln!(
        out,
        "<footer><p>{}</p></footer>\n</main>\n</body>\n</html>",
        escape(&format!(
            "swb-check {}, {}, check verdict: {}",
            meta.tool_version,
            meta.date,
            match check.verdict {
                Verdict::AllHold => "all hold",
                Verdict::Failed => "failed",
                Verdict::Incomplete => "incomplete",
            }
        ))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: inline Markdown becomes code and bold, and everything is escaped first.
    #[test]
    fn inline_renders_code_and_bold_after_escaping() {
        assert_eq!(
            inline("a `b<c>` **d** & e"),
            "a <code>b&lt;c&gt;</code> <strong>d</strong> &amp; e"
        );
    }

    // Goal: each chart's marker id is made unique.
    #[test]
    fn chart_ids_are_numbered() {
        let svg = "<marker id=\"arrow\"/><line marker-end=\"url(#arrow)\"/>";
        assert_eq!(
            unique_ids(svg, 7),
            "<marker id=\"arrow-7\"/><line marker-end=\"url(#arrow-7)\"/>"
        );
    }
}
