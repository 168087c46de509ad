//! `DIR/index.html`: the [`Document`] as one self-contained page. Inline CSS, the charts as
//! inline SVG, no script and no reference to anything outside the file, so it renders the same
//! offline, from an archive or an e-mail attachment. Each section is a `<section id=...>` with
//! the document's stable id.

use super::document::{Align, Block, Document, Span, Tone};
use crate::counterexample::svg::escape;
use crate::output::outln;

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

/// The CSS class of a tone, if any.
fn class_of(tone: Tone) -> Option<&'static str> {
    match tone {
        Tone::Plain => None,
        Tone::Ok => Some("r-ok"),
        Tone::Bad => Some("r-bad"),
        Tone::Warn => Some("r-warn"),
    }
}

pub fn render(document: &Document) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n");
    outln!(out, "<title>{}</title>", escape(document.title));
    outln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    outln!(out, "<h1>{}</h1>\n<nav>", escape(document.title));
    for section in &document.sections {
        outln!(
            out,
            "<a href=\"#{}\">{}</a>",
            section.id,
            spans(&section.heading)
        );
    }
    out.push_str("</nav>\n");
    // Charts are numbered in page order, so each one's marker id is unique on the page.
    let mut chart_number = 0;
    for section in &document.sections {
        outln!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>",
            section.id,
            spans(&section.heading)
        );
        for block in &section.blocks {
            block_html(block, &mut chart_number, &mut out);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn block_html(block: &Block, chart_number: &mut usize, out: &mut String) {
    match block {
        Block::Paragraph(paragraph) => outln!(out, "<p>{}</p>", spans(paragraph)),
        Block::Banner(tone, line) => outln!(
            out,
            "<p class=\"r-banner {}\">{}</p>",
            class_of(*tone).unwrap_or_default(),
            escape(line)
        ),
        Block::Subheading(heading) => outln!(out, "<h3>{}</h3>", spans(heading)),
        Block::Table(table) => {
            out.push_str("<table>\n<tr>");
            for title in &table.header {
                out.push_str(&format!("<th>{}</th>", escape(title)));
            }
            out.push_str("</tr>\n");
            for row in &table.rows {
                out.push_str("<tr>");
                for cell in row {
                    let classes: Vec<&str> = class_of(cell.tone)
                        .into_iter()
                        .chain((cell.align == Align::Number).then_some("r-num"))
                        .collect();
                    let class = if classes.is_empty() {
                        String::new()
                    } else {
                        format!(" class=\"{}\"", classes.join(" "))
                    };
                    out.push_str(&format!("<td{class}>{}</td>", spans(&cell.spans)));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                outln!(out, "<li>{}</li>", spans(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Preformatted { summary, text } => outln!(
            out,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            escape(summary),
            // `escape` folds line breaks into spaces, so each line is escaped on its own.
            text.lines().map(escape).collect::<Vec<_>>().join("\n")
        ),
        Block::Chart(chart) => {
            *chart_number += 1;
            // The first chart is open, as an example; the rest are folded, since a long corpus
            // would otherwise bury the sections after it.
            outln!(
                out,
                "<details class=\"r-trace\"{}><summary>{}</summary><div class=\"r-chart\">{}</div></details>",
                if *chart_number == 1 { " open" } else { "" },
                escape(&chart.caption),
                unique_ids(&chart.svg, *chart_number)
            );
        }
    }
}

fn spans(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(text) => escape(text),
            // A break opportunity after each `/`, so a long trace path wraps at its folders
            // instead of widening its column or breaking inside a name.
            Span::Code(text) => format!("<code>{}</code>", escape(text).replace('/', "/<wbr>")),
            Span::Strong(text) => format!("<strong>{}</strong>", escape(text)),
            Span::Markdown(text) => inline(text),
            Span::Break => "<br>".to_owned(),
        })
        .collect()
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
