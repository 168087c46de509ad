//! The report as a document: sections of paragraphs, tables, lists and charts, built once from
//! the evidence (`sections`) and written twice (`markdown`, `html`). The writers know the
//! formats and nothing of the evidence, so the two files say the same things by construction.

/// The whole report.
pub struct Document {
    pub title: &'static str,
    pub sections: Vec<Section>,
}

/// One section, with a stable id (`#matrix`) the browser check and the tests look for.
pub struct Section {
    pub id: &'static str,
    pub heading: Vec<Span>,
    pub blocks: Vec<Block>,
}

/// A piece of a section.
pub enum Block {
    Paragraph(Vec<Span>),
    /// A one-line verdict that stands out (coloured in HTML).
    Banner(Tone, String),
    Subheading(Vec<Span>),
    Table(Table),
    List(Vec<Vec<Span>>),
    /// Preformatted text (the configuration), folded in HTML under `summary`.
    Preformatted {
        summary: &'static str,
        text: String,
    },
    /// A message-sequence chart: a link to its file in Markdown, inline SVG in HTML.
    Chart(Chart),
}

/// A table; every row has one cell per header.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell.
pub struct Cell {
    pub spans: Vec<Span>,
    pub tone: Tone,
    pub align: Align,
}

/// How a cell's text is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Figures, right-aligned so digits line up.
    Number,
}

/// Whether a cell or banner is good news, bad news or worth a look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Ok,
    Bad,
    Warn,
}

impl Tone {
    /// `Ok` when `as_expected`, `Bad` otherwise.
    pub fn of(as_expected: bool) -> Tone {
        if as_expected {
            Tone::Ok
        } else {
            Tone::Bad
        }
    }
}

/// A run of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Code(String),
    Strong(String),
    /// Text in the design document's inline Markdown (`code` and **bold** only).
    Markdown(String),
    /// A line break inside a cell.
    Break,
}

/// A chart with its caption.
pub struct Chart {
    pub caption: String,
    /// The SVG file, relative to the report directory.
    pub file: String,
    pub svg: String,
}

/// Shorthands for building spans and cells.
pub fn text(value: impl Into<String>) -> Span {
    Span::Text(value.into())
}

pub fn code(value: impl Into<String>) -> Span {
    Span::Code(value.into())
}

impl Cell {
    /// Plain left-aligned text.
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::spans(vec![text(value)])
    }

    /// Code.
    pub fn code(value: impl Into<String>) -> Cell {
        Cell::spans(vec![code(value)])
    }

    /// A figure, right-aligned.
    pub fn number(value: impl ToString) -> Cell {
        Cell {
            align: Align::Number,
            ..Cell::text(value.to_string())
        }
    }

    /// Any spans.
    pub fn spans(spans: Vec<Span>) -> Cell {
        Cell {
            spans,
            tone: Tone::Plain,
            align: Align::Left,
        }
    }

    /// `yes` or `no`, toned.
    pub fn yes_no(as_expected: bool) -> Cell {
        Cell::text(if as_expected { "yes" } else { "no" }).toned(Tone::of(as_expected))
    }

    /// The same cell with `tone`.
    pub fn toned(self, tone: Tone) -> Cell {
        Cell { tone, ..self }
    }
}

/// `—` for an absent value.
pub const NONE: &str = "—";
