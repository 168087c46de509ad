//! `swb-check show --svg`: a counterexample as a message-sequence chart.
//!
//! One vertical lane per actor (the coordinator, then `n1`, `n2`, ...), one row per step. A
//! delivery is an arrow from the sender's lane to the receiver's, labelled with the message; a
//! drop is a dashed arrow that stops half way; timeouts, crashes, restarts and partitions are
//! boxes on the lane of the actor concerned. Plain, self-contained SVG text: no scripts, no
//! external fonts or styles.

use super::document::CounterexampleFile;
use super::view::StepView;
use std::fmt::Write as _;
use swb_model::trace::describe_msg;

const LANE_WIDTH: usize = 240;
const MARGIN_LEFT: usize = 56;
const HEADER_HEIGHT: usize = 48;
const ROW_HEIGHT: usize = 36;
const FOOTER_HEIGHT: usize = 24;
const BOX_WIDTH: usize = 200;
const BOX_HEIGHT: usize = 22;

/// The chart of a counterexample.
pub fn chart(document: &CounterexampleFile) -> String {
    let mut lanes: Vec<String> = vec!["coordinator".to_owned()];
    lanes.extend(document.initial.nodes.iter().map(|node| node.name.clone()));
    let width = MARGIN_LEFT + lanes.len() * LANE_WIDTH;
    let height = HEADER_HEIGHT + document.steps.len() * ROW_HEIGHT + FOOTER_HEIGHT;
    let lane_x = |name: &str| {
        lanes
            .iter()
            .position(|lane| lane == name)
            .map(|index| MARGIN_LEFT + index * LANE_WIDTH + LANE_WIDTH / 2)
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
    );
    let _ = writeln!(
        svg,
        "<title>{}</title>",
        escape(&format!(
            "{} violated ({} {}, scenario {})",
            document.property.name,
            document.protocol,
            document.minimality.name(),
            document.scenario
        ))
    );
    svg.push_str(concat!(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" ",
        "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">",
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#222\"/></marker></defs>\n",
        "<style>.lane{stroke:#bbb;stroke-width:1} .delivery{stroke:#222;stroke-width:1.2;fill:none} ",
        ".drop{stroke:#a33;stroke-dasharray:4 3} .timeout{fill:#fff6d5;stroke:#b8860b} ",
        ".crash{fill:#fbdcdc;stroke:#b22} .recover{fill:#dcf5dc;stroke:#282} ",
        ".partition{fill:#e4e4f7;stroke:#448} .head{font-weight:bold;font-size:13px}</style>\n",
    ));
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    for (index, name) in lanes.iter().enumerate() {
        let x = MARGIN_LEFT + index * LANE_WIDTH + LANE_WIDTH / 2;
        let _ = writeln!(
            svg,
            r#"<text class="head" x="{x}" y="24" text-anchor="middle">{}</text>"#,
            escape(name)
        );
        let _ = writeln!(
            svg,
            r#"<line class="lane" x1="{x}" y1="32" x2="{x}" y2="{}"/>"#,
            height - FOOTER_HEIGHT / 2
        );
    }

    for record in &document.steps {
        let y = HEADER_HEIGHT + record.step.saturating_sub(1) * ROW_HEIGHT + ROW_HEIGHT / 2;
        let _ = writeln!(svg, r#"<text x="8" y="{}">{}</text>"#, y + 4, record.step);
        let _ = writeln!(svg, "<g><title>{}</title>", escape(&record.description));
        match &record.action {
            StepView::Deliver { from, to, msg } => {
                let label = describe_msg(msg);
                match (lane_x(from), lane_x(to)) {
                    (Some(x1), Some(x2)) if x1 != x2 => {
                        arrow(&mut svg, "delivery", x1, x2, y, &label);
                    }
                    (Some(x), Some(_)) => {
                        let _ = writeln!(
                            svg,
                            r#"<path class="delivery" d="M {x} {} c 40 0 40 16 0 16" marker-end="url(#arrow)"/>"#,
                            y - 8
                        );
                        text(&mut svg, x + 44, y + 4, "start", &label);
                    }
                    _ => text(&mut svg, MARGIN_LEFT, y + 4, "start", &record.description),
                }
            }
            StepView::Drop { from, to, msg } => match (lane_x(from), lane_x(to)) {
                (Some(x1), Some(x2)) => {
                    let middle = (x1 + x2) / 2;
                    let _ = writeln!(
                        svg,
                        r#"<line class="drop" x1="{x1}" y1="{y}" x2="{middle}" y2="{y}"/>"#
                    );
                    text(
                        &mut svg,
                        middle,
                        y - 5,
                        "middle",
                        &format!("✕ dropped {}", describe_msg(msg)),
                    );
                }
                _ => text(&mut svg, MARGIN_LEFT, y + 4, "start", &record.description),
            },
            StepView::Timeout { actor, .. } | StepView::SelectRandom { actor, .. } => {
                let label = record
                    .description
                    .split_once(": ")
                    .map_or(record.description.as_str(), |(_, rest)| rest);
                lane_box(&mut svg, "timeout", lane_x(actor), y, label);
            }
            StepView::Crash(node) => lane_box(&mut svg, "crash", lane_x(node), y, "crashes"),
            StepView::Recover(node) => lane_box(&mut svg, "recover", lane_x(node), y, "restarts"),
            StepView::Isolate(node) => {
                lane_box(&mut svg, "partition", lane_x(node), y, "isolated");
            }
            StepView::Heal(node) => lane_box(&mut svg, "partition", lane_x(node), y, "healed"),
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

fn arrow(svg: &mut String, class: &str, x1: usize, x2: usize, y: usize, label: &str) {
    let _ = writeln!(
        svg,
        r#"<line class="{class}" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" marker-end="url(#arrow)"/>"#
    );
    text(svg, (x1 + x2) / 2, y - 5, "middle", label);
}

fn lane_box(svg: &mut String, class: &str, x: Option<usize>, y: usize, label: &str) {
    let x = x.unwrap_or(MARGIN_LEFT + LANE_WIDTH / 2);
    let _ = writeln!(
        svg,
        r#"<rect class="{class}" x="{}" y="{}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4"/>"#,
        x - BOX_WIDTH / 2,
        y - BOX_HEIGHT / 2
    );
    text(svg, x, y + 4, "middle", label);
}

fn text(svg: &mut String, x: usize, y: usize, anchor: &str, content: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x}" y="{y}" text-anchor="{anchor}">{}</text>"#,
        escape(content)
    );
}

/// Escapes text for XML content and attribute values; drops characters XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
