//! `DIR/index.html`: the sign-off report as one self-contained page. Inline CSS, the charts as
//! inline SVG, no script and no reference to anything outside the file, so it renders the same
//! offline, from an archive or an e-mail attachment.
//!
//! Every section has a stable id (`summary`, `metadata`, `matrix`, `properties`,
//! `counterexamples`, `coverage`, `sometimes`, `assumptions`): the browser check and the tests
//! look for them.

use super::replays::{manifest_text, TraceEntry};
use super::{status_text, CorpusSection, CrossCheck, SignoffReport};
use crate::check::{Kind, Status};
use crate::compare::rows_of;
use crate::counterexample::svg::escape;
use crate::output::outln;

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
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            for (bold_index, piece) in part.split("**").enumerate() {
                if bold_index % 2 == 1 {
                    out.push_str(&format!("<strong>{piece}</strong>"));
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

/// `r-ok` or `r-bad`.
fn class_of(as_expected: bool) -> &'static str {
    if as_expected {
        "r-ok"
    } else {
        "r-bad"
    }
}

pub fn render(report: &SignoffReport) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n");
    out.push_str("<title>swb-check sign-off report</title>\n");
    outln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    out.push_str("<h1>swb-check sign-off report</h1>\n<nav>");
    for id in SECTION_IDS {
        outln!(out, "<a href=\"#{id}\">{id}</a>");
    }
    out.push_str("</nav>\n");

    let as_expected = report.as_expected();
    outln!(out, "<section id=\"summary\">\n<h2>Summary</h2>");
    outln!(
        out,
        "<div class=\"r-banner {}\">{}</div>\n<table>\n<tr><th>part</th><th>as expected</th><th>found</th></tr>",
        class_of(as_expected),
        if as_expected {
            "Every part of the evidence is as expected."
        } else {
            "Some part of the evidence is not as expected: see the marked rows."
        }
    );
    for part in report.parts() {
        outln!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            part.part.name(),
            class_of(part.as_expected),
            if part.as_expected { "yes" } else { "no" },
            escape(&part.text)
        );
    }
    out.push_str("</table>\n</section>\n");

    outln!(
        out,
        "<section id=\"metadata\">\n<h2>Run metadata</h2>\n<table>"
    );
    for (label, value) in report.metadata_rows() {
        outln!(out, "<tr><th>{label}</th><td>{}</td></tr>", escape(&value));
    }
    outln!(
        out,
        "</table>\n<details><summary>Configuration (JSON)</summary><pre>{}</pre></details>\n</section>",
        // `escape` folds line breaks into spaces, so each line is escaped on its own.
        report
            .meta
            .config_json
            .trim_end()
            .lines()
            .map(escape)
            .collect::<Vec<_>>()
            .join("\n")
    );

    render_matrix(report, &mut out);
    render_properties(report, &mut out);
    render_counterexamples(report, &mut out);
    render_coverage(report, &mut out);

    out.push_str("<section id=\"sometimes\">\n<h2><code>sometimes</code> reachability</h2>\n<table>\n<tr><th>witness</th><th>status</th><th>steps to the first example found</th></tr>\n");
    for property in report
        .check
        .properties
        .iter()
        .filter(|p| p.kind == Kind::Sometimes)
    {
        outln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td class=\"r-num\">{}</td></tr>",
            property.name,
            class_of(property.status == Status::Reached),
            property.status.name(),
            property
                .trace_len
                .map_or("—".to_owned(), |len| len.to_string())
        );
    }
    out.push_str("</table>\n</section>\n");

    outln!(
        out,
        "<section id=\"assumptions\">\n<h2>Assumptions</h2>\n<p>From <code>docs/design.md</code>, “{}”.</p>\n<ul>",
        escape(&report.assumptions_heading)
    );
    for assumption in &report.assumptions {
        outln!(
            out,
            "<li><strong>{}.</strong> {}</li>",
            escape(&assumption.title),
            inline(&assumption.text)
        );
    }
    out.push_str("</ul>\n</section>\n");
    outln!(
        out,
        "<footer><p>{}</p></footer>\n</main>\n</body>\n</html>",
        escape(&format!(
            "swb-check {}, {}",
            report.meta.tool_version, report.meta.date
        ))
    );
    out
}

fn render_matrix(report: &SignoffReport, out: &mut String) {
    let matrix = &report.matrix;
    outln!(
        out,
        "<section id=\"matrix\">\n<h2>Verdict matrix</h2>\n<p>Bounds: <code>{}</code> ({}; each \
         scenario adds its own faults). Each cell is an exhaustive DFS with symmetry reduction, as \
         <code>swb-check compare</code> runs it; <strong>≠</strong> marks a cell that differs from \
         the catalog's expectation. {:.1} s for the matrix.</p>\n<table>\n<tr><th>scenario</th>",
        matrix.bounds.name(),
        escape(&matrix.bounds.describe()),
        matrix.seconds
    );
    for protocol in &matrix.protocols {
        outln!(out, "<th>{protocol}</th>");
    }
    out.push_str("</tr>\n");
    for row in rows_of(&matrix.cells) {
        outln!(out, "<tr><td><code>{}</code></td>", row[0].scenario.name);
        for protocol in &matrix.protocols {
            match row.iter().find(|c| c.protocol == *protocol) {
                Some(cell) => {
                    // Green: holds as expected; yellow: fails (an older version) exactly as
                    // the catalog expects; red: differs from the expectation.
                    let class = match (cell.matches_expected(), cell.violated.is_empty()) {
                        (false, _) => "r-bad",
                        (true, true) => "r-ok",
                        (true, false) => "r-warn",
                    };
                    outln!(
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
    out.push_str("</table>\n<p>Green: holds as expected. Yellow: violated exactly as the catalog expects (an older version). Red: differs from the expectation.</p>\n");
    if !matrix.skipped.is_empty() {
        out.push_str(
            "<p>Not run by this report (<code>--full-matrix</code> runs the whole catalog at the default bounds):</p>\n<ul>\n",
        );
        for scenario in &matrix.skipped {
            outln!(out, "<li><code>{}</code></li>", scenario.name);
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn render_properties(report: &SignoffReport, out: &mut String) {
    out.push_str("<section id=\"properties\">\n<h2>Properties</h2>\n<table>\n<tr><th>property</th><th>kind</th><th>status</th><th>source criterion</th><th>mutant it catches</th><th>meaning</th></tr>\n");
    for property in &report.check.properties {
        let class = class_of(matches!(property.status, Status::Holds | Status::Reached));
        outln!(
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
}

fn render_counterexamples(report: &SignoffReport, out: &mut String) {
    out.push_str("<section id=\"counterexamples\">\n<h2>Counterexamples</h2>\n");
    out.push_str("<p>Each trace is re-checked in today's model and replayed on the engine exactly as <code>swb-check replay</code> does. A V2 trace must conform; a V1 / V1.5 counterexample must be refused by the engine, diverge from the violating path, or conform with its property judged on the engine's own state as holding (<code>holds-in-engine:&lt;rule&gt;</code>) or outside the engine (<code>outside-engine:&lt;decision&gt;</code>; docs/design.md D28).</p>\n");
    // Charts are numbered across both tables, in page order, so each has its own marker id.
    let mut chart_number = 0;
    match &report.corpus {
        CorpusSection::Replayed(corpus) => {
            outln!(
                out,
                "<h3>Corpus <code>{}</code> (as <code>replay --corpus</code> replays it)</h3>",
                escape(&corpus.root.display().to_string())
            );
            trace_table(&corpus.traces, out);
            if corpus.problems.is_empty() {
                out.push_str("<p class=\"r-ok r-banner\">Problems: none.</p>\n");
            } else {
                out.push_str("<p class=\"r-bad r-banner\">Problems:</p>\n<ul>\n");
                for problem in &corpus.problems {
                    outln!(out, "<li>{}</li>", escape(problem));
                }
                out.push_str("</ul>\n");
            }
            charts(&corpus.traces, &mut chart_number, out);
        }
        CorpusSection::Absent(dir) => {
            outln!(
                out,
                "<h3>Corpus</h3>\n<p><code>{}</code> does not exist here: nothing replayed.</p>",
                escape(&dir.display().to_string())
            );
        }
    }
    out.push_str("<h3>Saved by this report's matrix</h3>\n");
    trace_table(&report.matrix_traces, out);
    charts(&report.matrix_traces, &mut chart_number, out);
    out.push_str("</section>\n");
}

fn trace_table(traces: &[TraceEntry], out: &mut String) {
    if traces.is_empty() {
        out.push_str("<p>No trace files.</p>\n");
        return;
    }
    out.push_str("<table>\n<tr><th>file</th><th>protocol</th><th>property</th><th>model check</th><th>engine replay</th><th>engine-side judgement</th><th>rule</th><th>manifest</th><th>as expected</th></tr>\n");
    for trace in traces {
        let judgement = match (&trace.found.judgement, &trace.judgement_detail) {
            (Some(key), Some(detail)) => format!(
                "<code>{}</code><br><small>{}</small>",
                escape(key),
                escape(detail)
            ),
            _ => "—".to_owned(),
        };
        outln!(
            out,
            "<tr><td class=\"r-file\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"r-why\">{}</td><td class=\"r-why\">{judgement}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&trace.found.path),
            trace.protocol,
            trace
                .property
                .map_or("—".to_owned(), |name| format!("<code>{}</code>", escape(name))),
            trace.found.model_check,
            escape(&trace.detail),
            escape(&trace.rule.text()),
            trace
                .manifest
                .as_ref()
                .map_or("—".to_owned(), |check| escape(&manifest_text(check))),
            class_of(trace.as_expected()),
            if trace.as_expected() { "yes" } else { "no" }
        );
    }
    out.push_str("</table>\n");
}

/// The traces' charts, folded (a long list would bury the rest of the page).
fn charts(traces: &[TraceEntry], chart_number: &mut usize, out: &mut String) {
    for trace in traces {
        let Some(chart) = &trace.chart else {
            continue;
        };
        *chart_number += 1;
        let title = format!(
            "{} — {} under {}, scenario {} ({} steps, {}): {}",
            trace.found.path,
            trace.property.unwrap_or("conformance walk"),
            trace.protocol,
            chart.scenario,
            chart.steps,
            chart.minimality,
            trace.detail
        );
        outln!(
            out,
            "<details class=\"r-trace\"><summary>{}</summary><div class=\"r-chart\">{}</div></details>",
            escape(&title),
            unique_ids(&chart.svg, *chart_number)
        );
    }
}

fn render_coverage(report: &SignoffReport, out: &mut String) {
    let coverage = &report.coverage;
    outln!(
        out,
        "<section id=\"coverage\">\n<h2>Per-action coverage</h2>\n<p>Every reachable state of the checked \
         configuration, expanded once by a single-threaded DFS (symmetry {}): {} unique states, {} \
         generated, {:.1} s. Offered: the model listed the action; transitions: it produced a state; \
         new states: one not seen before.</p>",
        coverage.symmetry.name(),
        coverage.unique_states,
        coverage.total_states,
        coverage.elapsed.as_secs_f64()
    );
    outln!(
        out,
        "<p class=\"r-banner {}\">{}</p>",
        class_of(report.cross_check == CrossCheck::Agrees),
        escape(&report.cross_check.sentence())
    );
    out.push_str("<table>\n<tr><th>action kind</th><th>offered</th><th>transitions</th><th>new states</th></tr>\n");
    for (kind, counts) in &coverage.rows {
        let class = if counts.transitions == 0 {
            " class=\"r-warn\""
        } else {
            ""
        };
        outln!(
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
    outln!(
        out,
        "</table>\n<p id=\"never-fired\">Never fired: {}.</p>\n</section>",
        if never.is_empty() {
            "none".to_owned()
        } else {
            never.join(", ")
        }
    );
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
