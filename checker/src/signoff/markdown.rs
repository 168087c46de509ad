//! `DIR/report.md`: the [`Document`] as Markdown. Charts cannot be inlined in Markdown, so each
//! one is a link to its SVG under `charts/`. Tones have no Markdown form; a `Bad` cell is bold so
//! a problem still stands out in plain text.

use super::document::{Block, Cell, Document, Span, Tone};
use crate::output::outln;

pub fn render(document: &Document) -> String {
    let mut out = String::new();
    outln!(out, "# {}", document.title);
    for section in &document.sections {
        outln!(out, "\n## {}", spans(&section.heading));
        for block in &section.blocks {
            out.push('\n');
            block_text(block, &mut out);
        }
    }
    out
}

fn block_text(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph(paragraph) => outln!(out, "{}", spans(paragraph)),
        Block::Banner(tone, line) => match tone {
            Tone::Bad => outln!(out, "**{line}**"),
            Tone::Plain | Tone::Ok | Tone::Warn => outln!(out, "{line}"),
        },
        Block::Subheading(heading) => outln!(out, "### {}", spans(heading)),
        Block::Table(table) => {
            outln!(out, "| {} |", table.header.join(" | "));
            outln!(out, "|{}", "---|".repeat(table.header.len()));
            for row in &table.rows {
                let cells: Vec<String> = row.iter().map(cell).collect();
                outln!(out, "| {} |", cells.join(" | "));
            }
        }
        Block::List(items) => {
            for item in items {
                outln!(out, "- {}", spans(item));
            }
        }
        Block::Preformatted { summary, text } => {
            outln!(out, "{summary}:\n\n```\n{text}\n```");
        }
        Block::Chart(chart) => outln!(out, "- [{}]({})", chart.caption, chart.file),
    }
}

/// A table cell: its spans on one line, `|` escaped, bold when it is bad news.
fn cell(cell: &Cell) -> String {
    let text = spans(&cell.spans).replace('|', "\\|");
    match cell.tone {
        Tone::Bad => format!("**{text}**"),
        Tone::Plain | Tone::Ok | Tone::Warn => text,
    }
}

fn spans(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(text) | Span::Markdown(text) => text.replace('\n', " "),
            Span::Code(text) => format!("`{text}`"),
            Span::Strong(text) => format!("**{text}**"),
            Span::Break => "<br>".to_owned(),
        })
        .collect()
}
