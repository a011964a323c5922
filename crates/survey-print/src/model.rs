//! The document: an ordered list of elements, each already computed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::table::{PrintedFigure, PrintedTable};

/// What a number labels: a table (表) or a figure (图).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    Table,
    Figure,
}

impl NumberKind {
    /// How a reference prints it: 表 or 图.
    pub fn zh(self) -> &'static str {
        match self {
            NumberKind::Table => "表",
            NumberKind::Figure => "图",
        }
    }

    /// The word used in narrative references (`{ref:tbl:…}`, `{ref:fig:…}`).
    pub fn short(self) -> &'static str {
        match self {
            NumberKind::Table => "tbl",
            NumberKind::Figure => "fig",
        }
    }

    /// `tbl` / `fig` → the kind.
    pub fn from_short(s: &str) -> Option<NumberKind> {
        match s {
            "tbl" => Some(NumberKind::Table),
            "fig" => Some(NumberKind::Figure),
            _ => None,
        }
    }

    /// In English, for messages: `table` / `figure`.
    pub fn en(self) -> &'static str {
        match self {
            NumberKind::Table => "table",
            NumberKind::Figure => "figure",
        }
    }
}

/// Whether a table or figure number can stand in a label: letters, digits, `.`, `_`, `-`.
pub fn valid_number(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
    },
    Strong {
        inlines: Vec<Inline>,
    },
    /// A cross-reference to a numbered table or figure of the document (printed 表3.1.1).
    Ref {
        kind: NumberKind,
        number: String,
    },
}

impl Inline {
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text { text: s.into() }
    }

    /// The visible text of a run of inlines (references as 表3.1.1).
    pub fn plain(inlines: &[Inline]) -> String {
        let mut s = String::new();
        for i in inlines {
            match i {
                Inline::Text { text } => s.push_str(text),
                Inline::Strong { inlines } => s.push_str(&Inline::plain(inlines)),
                Inline::Ref { kind, number } => {
                    s.push_str(kind.zh());
                    s.push_str(number);
                }
            }
        }
        s
    }
}

/// The front cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cover {
    pub title: String,
    pub subtitle: Option<String>,
    pub organisation: String,
    pub edition: Option<String>,
    /// A notice on the cover (e.g. that the data are synthetic).
    pub note: Option<String>,
    pub logo: Option<Image>,
}

/// The back cover: who published the report and how to reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BackCover {
    pub organisation: String,
    pub lines: Vec<String>,
    pub images: Vec<Image>,
}

/// Raster or vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Png,
    Svg,
}

/// An image from the report folder, copied beside the Typst source under `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Image {
    /// File name the exporter writes the bytes under (`assets/<name>`); letters, digits, `-`,
    /// `_`, `.` only.
    pub name: String,
    pub format: ImageFormat,
    /// The text alternative.
    pub alt: String,
    /// Width in centimetres.
    pub width_cm: f64,
    pub caption: Option<String>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The committee list (课题组织架构).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Committee {
    pub groups: Vec<CommitteeGroup>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommitteeGroup {
    pub role: String,
    pub members: Vec<CommitteeMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommitteeMember {
    pub organisation: Option<String>,
    pub names: Vec<String>,
}

/// One element of the document, in print order.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Cover(Cover),
    BackCover(BackCover),
    /// A part opens a new page with its number and title (01 PART 调查研究背景); the first
    /// part starts the arabic page numbers.
    Part {
        number: String,
        title: String,
    },
    Heading {
        level: u8,
        title: String,
        outlined: bool,
        new_page: bool,
    },
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Toc {
        title: String,
        depth: u8,
    },
    PageBreak,
    Table(Box<PrintedTable>),
    Figure(Box<PrintedFigure>),
    /// Elements printed on one page when they fit (a figure with its table).
    KeepTogether(Vec<Element>),
    Committee(Committee),
    Image(Image),
}

/// Document metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocMeta {
    pub title: String,
    pub author: String,
    pub keywords: Vec<String>,
    /// BCP 47 language of the text, e.g. `zh-CN`.
    pub language: String,
}

/// A whole report, computed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub meta: DocMeta,
    pub elements: Vec<Element>,
}

impl Document {
    /// Every table, in print order (inside kept-together groups too).
    pub fn tables(&self) -> Vec<&PrintedTable> {
        fn walk<'a>(els: &'a [Element], out: &mut Vec<&'a PrintedTable>) {
            for e in els {
                match e {
                    Element::Table(t) => out.push(t),
                    Element::KeepTogether(inner) => walk(inner, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.elements, &mut out);
        out
    }

    /// Every figure, in print order.
    pub fn figures(&self) -> Vec<&PrintedFigure> {
        fn walk<'a>(els: &'a [Element], out: &mut Vec<&'a PrintedFigure>) {
            for e in els {
                match e {
                    Element::Figure(f) => out.push(f),
                    Element::KeepTogether(inner) => walk(inner, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.elements, &mut out);
        out
    }
}
