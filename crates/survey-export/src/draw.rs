//! Drawing a computed [`Document`] as Typst: one general table drawer for every printed table,
//! one drawer per chart style, and the page furniture (cover, parts, contents, back cover).
//! Every string enters as an escaped literal through [`Doc::str`].

use survey_print::{
    AxisUnit, BackCover, Cell, ChartStyle, ColumnKind, Committee, Cover, Document, Element, Image,
    Inline, NumberKind, PrintedFigure, PrintedTable, RowRole,
};

use crate::template::{BAR, Meta, PALETTE, preamble};
use crate::typst::Doc;

/// The Typst source of a document, the characters it prints, and the files it includes.
pub struct Source {
    pub text: String,
    pub chars: std::collections::BTreeSet<char>,
    /// Images to write beside the source, as (path relative to the source, bytes).
    pub assets: Vec<(String, Vec<u8>)>,
}

/// The `<tbl-…>` / `<fig-…>` label of a table or figure number. Numbers hold only letters,
/// digits, `.`, `_` and `-` (checked when they are given), so the label is valid Typst.
pub fn label_for(kind: NumberKind, number: &str) -> String {
    debug_assert!(survey_print::valid_number(number));
    format!("<{}-{number}>", kind.short())
}

/// Draw a whole document.
pub fn document(d: &Document) -> Source {
    let mut doc = Doc::new();
    preamble(
        &mut doc,
        &Meta {
            title: &d.meta.title,
            author: &d.meta.author,
            keywords: &d.meta.keywords,
        },
    );
    let mut st = State::default();
    let mut skip = 0usize;
    for (i, e) in d.elements.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        // A heading right before a table that checks its room is placed after the check, and
        // the check counts it: the heading then moves on with the table's start, never left
        // alone at a page's foot (it sticks to what follows, which would be the check). So
        // does a paragraph announcing the table («…校验值如下：»), its room measured, with the
        // heading before it if there is one (trial 46: the heading and the sentence ended a
        // page, the table began the next).
        let heading_first = match e {
            Element::Heading {
                level,
                title,
                outlined,
                new_page: false,
            } => Some((level, title, outlined)),
            _ => None,
        };
        let at = i + usize::from(heading_first.is_some());
        let announcing = match d.elements.get(at) {
            Some(Element::Paragraph(inl)) if ends_announcing(inl) => Some(inl),
            _ => None,
        };
        let table_at = at + usize::from(announcing.is_some());
        if (heading_first.is_some() || announcing.is_some())
            && let Some(Element::Table(t)) = d.elements.get(table_at)
            && starts_where_it_fits(t)
        {
            let mut parts: Vec<Before> = Vec::new();
            if let Some((level, title, outlined)) = heading_first {
                let t_str = doc.str(title);
                parts.push(Before {
                    source: format!("#heading(level: {level}, outlined: {outlined}, {t_str})"),
                    room: format!("{HEADING_ROOM}pt"),
                });
            }
            if let Some(inl) = announcing {
                let c = inlines(&mut doc, inl);
                // Content: the check measures it (with the spacing after it).
                parts.push(Before {
                    source: format!("#par[{c}]\n"),
                    room: format!("[#par[{c}]]"),
                });
            }
            let before = match parts.len() {
                1 => parts.remove(0),
                _ => Before {
                    source: parts
                        .iter()
                        .map(|b| b.source.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    room: format!(
                        "({})",
                        parts
                            .iter()
                            .map(|b| b.room.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            };
            table_after(&mut doc, t, true, Some(&before));
            skip = table_at - i;
            continue;
        }
        // A one-line lead between a heading and its chart (or short table) goes on with it, so that
        // the heading and its sentence are not left at the foot of a page (the heading
        // itself keeps to what follows it).
        let lead = matches!(e, Element::Paragraph(inl) if plain_len(inl) <= LEAD_CHARS)
            && i > 0
            && matches!(d.elements[i - 1], Element::Heading { .. })
            && match d.elements.get(i + 1) {
                Some(Element::KeepTogether(_) | Element::Figure(_)) => true,
                // A short table too (a long one decides for itself where it starts).
                Some(Element::Table(t)) => !starts_where_it_fits(t),
                _ => false,
            }
            // A tall chart (31 provinces) right under a part's title may not fit there; they
            // then stay under the title, rather than leave it alone on its page. Elsewhere
            // they go on with the chart (trial 47: a heading and its sentence ended a page,
            // the 4 × 5 matrix chart they introduce began the next).
            && !(d.elements.get(i + 1).is_some_and(tall_chart)
                && i >= 2
                && matches!(d.elements[i - 2], Element::Part { .. }));
        // A paragraph announcing a short table («…如下：») goes on with it too.
        let announces = matches!(e, Element::Paragraph(inl) if ends_announcing(inl))
            && matches!(d.elements.get(i + 1), Some(Element::Table(t)) if !starts_where_it_fits(t));
        if lead || announces {
            doc.line("#block(sticky: true, width: 100%)[");
            element(&mut doc, &mut st, e);
            doc.line("]");
        } else {
            element(&mut doc, &mut st, e);
        }
    }
    Source {
        text: doc.source().to_owned(),
        chars: doc.chars().clone(),
        assets: st.assets,
    }
}

/// Whether a paragraph ends with a colon, introducing what follows it.
fn ends_announcing(inl: &[survey_print::Inline]) -> bool {
    inl.last().is_some_and(|last| match last {
        survey_print::Inline::Text { text, .. } => text.trim_end().ends_with(['：', ':']),
        _ => false,
    })
}

/// How many bars' height a chart takes: its bars, one per category (grouped bars by the height
/// they are drawn, thinner); a stacked chart's series share their category's bar (a matrix of 4 rows on a 5-step scale
/// is 4 bars high, not 20); a donut and columns are about 8 bars high whatever they show.
fn chart_rows(f: &PrintedFigure) -> usize {
    match f.style {
        ChartStyle::Donut | ChartStyle::Columns => 8,
        // Grouped bars are drawn thinner than a chart's one bar a row (16 pt with its gap):
        // counted by the height they take (trial 46: a 4 × 4 矩阵多选 chart, counted 16 bars,
        // left its heading and sentence at a page's foot).
        ChartStyle::GroupedBars => {
            let (c, s) = (f.categories.len(), f.series.len().max(1));
            (GroupedLook::fitting(c, s).height(c, s) / 16.0).ceil() as usize
        }
        ChartStyle::Bars
        | ChartStyle::StackedBars
        | ChartStyle::StackedScale
        | ChartStyle::StackedScaleDown => f.categories.len(),
    }
}

/// A chart of more than a dozen bars, which takes most of a page.
fn tall_chart(e: &Element) -> bool {
    let figure = match e {
        Element::Figure(f) => Some(f.as_ref()),
        Element::KeepTogether(inner) => inner.iter().find_map(|e| match e {
            Element::Figure(f) => Some(f.as_ref()),
            _ => None,
        }),
        _ => None,
    };
    figure.is_some_and(|f| chart_rows(f) > 12)
}

/// Whether a chart and the table after it take most of a page together: their bars and rows
/// (about 16 pt each, with captions and axes) more than 26.
fn fill_a_page(f: &PrintedFigure, t: &PrintedTable) -> bool {
    chart_rows(f) + t.rows.len() > 26
}

/// Every numbered figure of a document, each on a page of its own size, for charts as images:
/// compiled to SVG and PNG with one page per figure. Returns the source and the figures'
/// numbers in page order. The charts are drawn by the same code as in the PDF.
pub fn charts(d: &Document) -> Option<(Source, Vec<String>)> {
    let figures: Vec<&PrintedFigure> = d
        .figures()
        .into_iter()
        .filter(|f| f.number.is_some())
        .collect();
    if figures.is_empty() {
        return None;
    }
    let mut doc = Doc::new();
    preamble(
        &mut doc,
        &Meta {
            title: &d.meta.title,
            author: &d.meta.author,
            keywords: &d.meta.keywords,
        },
    );
    doc.line("#set page(width: 16cm, height: auto, margin: 0.4cm, header: none, footer: none, numbering: none)");
    let mut numbers = Vec::new();
    for (i, f) in figures.iter().enumerate() {
        if i > 0 {
            doc.line("#pagebreak()");
        }
        figure(&mut doc, f);
        numbers.push(f.number.clone().expect("numbered"));
    }
    Some((
        Source {
            text: doc.source().to_owned(),
            chars: doc.chars().clone(),
            assets: Vec::new(),
        },
        numbers,
    ))
}

/// The longest lead (in characters) that goes on with its chart: about two lines of body text.
const LEAD_CHARS: usize = 90;

/// Characters of a paragraph as printed (a reference counts as its number, about 6).
fn plain_len(inl: &[survey_print::Inline]) -> usize {
    inl.iter()
        .map(|i| match i {
            survey_print::Inline::Text { text } => text.chars().count(),
            survey_print::Inline::Strong { inlines } => plain_len(inlines),
            survey_print::Inline::Ref { number, .. } => number.chars().count() + 1,
        })
        .sum()
}

#[derive(Default)]
struct State {
    parts_seen: u32,
    assets: Vec<(String, Vec<u8>)>,
}

fn element(doc: &mut Doc, st: &mut State, e: &Element) {
    match e {
        Element::Cover(c) => cover(doc, st, c),
        Element::BackCover(b) => back_cover(doc, st, b),
        Element::Part { number, title } => {
            if st.parts_seen == 0 {
                doc.line("#set page(numbering: \"1\")");
                doc.line("#counter(page).update(1)");
            }
            st.parts_seen += 1;
            doc.note_chars("PART");
            let n = doc.str(number);
            let t = doc.str(title);
            doc.line(&format!("#part({n}, {t})\n"));
        }
        Element::Heading {
            level,
            title,
            outlined,
            new_page,
        } => {
            if *new_page {
                doc.line("#pagebreak(weak: true)");
            }
            let t = doc.str(title);
            doc.line(&format!(
                "#heading(level: {level}, outlined: {outlined}, {t})"
            ));
        }
        Element::Paragraph(inl) => {
            let c = inlines(doc, inl);
            doc.line(&format!("#par[{c}]\n"));
        }
        Element::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|it| format!("[{}]", inlines(doc, it)))
                .collect();
            doc.line(&format!("#list({})\n", parts.join(", ")));
        }
        Element::Toc { title, depth } => {
            let t = doc.str(title);
            doc.line("#pagebreak(weak: true)");
            doc.line(&format!(
                "#outline(title: {t}, depth: {depth}, indent: 2em)"
            ));
        }
        Element::PageBreak => doc.line("#pagebreak(weak: true)"),
        Element::Table(t) => table(doc, t, true),
        Element::Figure(f) => figure(doc, f),
        Element::KeepTogether(inner) => {
            // Each element but the last sticks to the next: if the next does not fit on the
            // page, they move on together. A group taller than a page breaks as it must.
            let n = inner.len();
            // The last table of a group keeps its note: when the group cannot share a page,
            // the chart stays and the table moves on with its note.
            // An element does not stick to a table that decides for itself where it starts
            // (see `starts_where_it_fits`): the decision reads where the table would start,
            // and a sticky element before it would move with the decision, so typst's layout
            // would never settle (page numbers and running heads then go wrong).
            // Nor does a chart stick to a table when the two fill most of a page (15
            // provinces, say): moved on together, they would leave most of this page empty
            // (trial 42: a part's title and one sentence, alone on a page). The chart stays,
            // and the table follows it, here or at the top of the next page.
            for (i, e) in inner.iter().enumerate() {
                let sticky = inner.get(i + 1).is_some_and(|next| {
                    !matches!(next, Element::Table(t) if starts_where_it_fits(t))
                        && !matches!((e, next), (Element::Figure(f), Element::Table(t)) if fill_a_page(f, t))
                });
                if sticky {
                    doc.line("#block(sticky: true, width: 100%)[");
                }
                match e {
                    Element::Table(t) => table(doc, t, i + 1 == n),
                    e => element(doc, st, e),
                }
                if sticky {
                    doc.line("]");
                }
            }
        }
        Element::Committee(c) => committee(doc, c),
        Element::Image(i) => {
            let img = image(doc, st, i);
            match &i.caption {
                Some(c) => {
                    let c = doc.str(c);
                    doc.line(&format!(
                        "#align(center, stack(dir: ttb, spacing: 0.5em, {img}, text(font: sans, size: 8pt, fill: luma(90), {c})))"
                    ));
                }
                None => doc.line(&format!("#align(center, {img})")),
            }
        }
    }
}

/// Typst content for runs of text.
fn inlines(doc: &mut Doc, runs: &[Inline]) -> String {
    let mut out = String::new();
    for r in runs {
        match r {
            Inline::Text { text } => out.push_str(&format!("#{}", doc.str(text))),
            Inline::Strong { inlines: inner } => {
                let c = inlines(doc, inner);
                out.push_str(&format!("#strong[{c}]"));
            }
            Inline::Ref { kind, number } => {
                doc.note_chars(kind.zh());
                doc.note_chars(number);
                out.push_str(&format!("#ref({})", label_for(*kind, number)));
            }
        }
    }
    out
}

/// A string whose last characters cannot be split from each other across lines, so that a
/// caption or header never ends with one character alone on its last line.
fn unbroken_end(doc: &mut Doc, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let tail = 3;
    let cjk = |c: char| matches!(c as u32, 0x3000..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF);
    if chars.len() <= tail + 2 || !chars[chars.len() - tail..].iter().all(|&c| cjk(c)) {
        return format!("#{}", doc.str(s));
    }
    // A line may break before the box: so the box never starts with a mark no line may
    // start with (`：药品` after `（合计100%）`, trial 42), nor follows one no line may end
    // with (`（`); it takes in the characters before it instead.
    let no_start = |c: char| "，。、；：！？）」』】〕〉》”’％・…,.;:!?)]}%".contains(c);
    let no_end = |c: char| "（「『【〔〈《“‘([{".contains(c);
    let mut start = chars.len() - tail;
    // (Nor starts inside a number or a word: `100%` stays whole.)
    let word = |a: char, b: char| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
    while start > 1
        && (no_start(chars[start])
            || no_end(chars[start - 1])
            || word(chars[start - 1], chars[start]))
    {
        start -= 1;
    }
    if chars.len() - start > 8 {
        return format!("#{}", doc.str(s));
    }
    let head: String = chars[..start].iter().collect();
    let end: String = chars[start..].iter().collect();
    // Typst puts a quarter em between Latin and CJK (`500-999 张`) but not across a box's
    // edge: the gap is given by hand where the box starts after a letter or digit.
    let gap = if chars[start - 1].is_ascii_alphanumeric() {
        "#h(0.25em, weak: true)"
    } else {
        ""
    };
    format!("#{}{gap}#box({})", doc.str(&head), doc.str(&end))
}

fn cell_content(doc: &mut Doc, c: &Cell, total: bool) -> String {
    let v = doc.str(&c.text);
    let v = if total { format!("strong({v})") } else { v };
    match &c.interval {
        Some(iv) => {
            let iv = doc.str(&iv.text);
            format!("[#{v}\\ #text(size: 6.5pt, fill: luma(100), {iv})]")
        }
        None => format!("[#{v}]"),
    }
}

/// Any printed table: numbered tables as captioned figures, lists as compact small print.
/// Tables with more rows than this may break across pages.
const LONG_TABLE_ROWS: usize = 24;
/// The rows a long table's start keeps together with its caption and header.
const LONG_TABLE_START_ROWS: usize = 5;
/// The rows an unnumbered table's start keeps together with its header.
const UNNUMBERED_START_ROWS: usize = 3;

/// What goes just before a table and with it: a heading, or a paragraph announcing it. Its
/// Typst, and the room it takes: a Typst length, or content that the check measures.
struct Before {
    source: String,
    room: String,
}

/// The room check before a table (`start`: its first rows, as Typst), and what goes with the
/// table, after the check, which counts its room.
fn room_check(doc: &mut Doc, marker: &str, start: &str, before: Option<&Before>) {
    doc.line(&format!(
        "#room-for({marker}, {TEXT_WIDTH}pt, {start}, extra: {})",
        before.map_or("0pt", |b| b.room.as_str())
    ));
    if let Some(b) = before {
        doc.line(&b.source);
    }
}

/// Whether a table's rows might wrap to more than most of a page: each row counted by its
/// longest cell, a column holding about 40 characters a line shared among the columns (a
/// label twice its share), a line about 13 pt. Generous, so that no table it passes runs over
/// the page's foot.
fn may_outgrow_page(t: &PrintedTable) -> bool {
    let share = (40 / t.columns.len().max(1)).max(6);
    let lines: usize = t
        .rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .zip(&t.columns)
                .map(|(c, col)| {
                    let per_line = if col.kind == ColumnKind::Label {
                        2 * share
                    } else {
                        share
                    };
                    c.text.chars().count().div_ceil(per_line).max(1)
                })
                .max()
                .unwrap_or(1)
        })
        .sum();
    lines * 13 > 480
}

/// Whether a table is preceded by a check of the room left on the page (`room-for`): a
/// numbered table that may break, or an unnumbered one of more than a few rows.
fn starts_where_it_fits(t: &PrintedTable) -> bool {
    match t.number {
        Some(_) => t.rows.len() > LONG_TABLE_ROWS,
        None => t.rows.len() > UNNUMBERED_START_ROWS + 1,
    }
}

/// A table with its number, caption and note. `keep_note`: a short table sticks to its note,
/// so that the two move on together (not for a table kept with a chart).
pub fn table(doc: &mut Doc, t: &PrintedTable, keep_note: bool) {
    table_after(doc, t, keep_note, None)
}

/// The room a heading takes above a table: a section heading (13.5 pt) with its spacing.
const HEADING_ROOM: f64 = 40.0;

/// [`table`], with a heading or paragraph printed just before it, after its room check when it
/// has one (which then counts its room too).
fn table_after(doc: &mut Doc, t: &PrintedTable, keep_note: bool, heading: Option<&Before>) {
    if !starts_where_it_fits(t)
        && let Some(h) = heading
    {
        doc.line(&h.source);
    }
    // Labels take most of the width; running text shares the rest; numbers and codes are as
    // wide as they need.
    let columns: Vec<&str> = t
        .columns
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Label => "2fr",
            ColumnKind::Text => "1fr",
            _ => "auto",
        })
        .collect();
    let align: Vec<&str> = t
        .columns
        .iter()
        .map(|c| {
            if c.kind.numeric() {
                "right + horizon"
            } else {
                "left + horizon"
            }
        })
        .collect();
    let headers: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("[{}]", unbroken_end(doc, &c.header)))
        .collect();
    let mut lines: Vec<String> = Vec::with_capacity(t.rows.len());
    // Where a table's rows begin and end, marked in its first and last cells (which lie on
    // the pages its first and last rows do): a page that a table's rows began before and end
    // on or after is headed 续表 and the table's number, if it has one (see the template's
    // page header). The marks are the table's own (`t-<k>`), numbered or not.
    let id = doc.marker_name("t");
    let number = doc.str(t.number.as_deref().unwrap_or_default());
    let mark = |at: &str| format!("#metadata((id: \"{id}\", number: {number}))<table-{at}>");
    let last = t.rows.len().saturating_sub(1);
    for (ri, r) in t.rows.iter().enumerate() {
        let mut cells = String::from("    ");
        for (i, c) in r.cells.iter().enumerate() {
            let kind = t.columns.get(i).map(|k| k.kind);
            let small = kind == Some(ColumnKind::Code);
            let content = if kind == Some(ColumnKind::Label) && c.interval.is_none() {
                // A label never leaves its last characters alone on a line.
                let v = unbroken_end(doc, &c.text);
                if r.role == RowRole::Total {
                    format!("[#strong[{v}]]")
                } else {
                    format!("[{v}]")
                }
            } else {
                cell_content(doc, c, r.role == RowRole::Total)
            };
            let content = if small {
                format!("text(size: {CODE_SIZE}pt, {content})")
            } else {
                content
            };
            let mut marks = String::new();
            if ri == 0 && i == 0 {
                marks.push_str(&mark("start"));
            }
            if ri == last && i + 1 == r.cells.len() {
                marks.push_str(&mark("end"));
            }
            if marks.is_empty() {
                cells.push_str(&format!("{content}, "));
            } else {
                cells.push_str(&format!("[#({content}){marks}], "));
            }
        }
        cells.push('\n');
        lines.push(cells);
    }
    // The table of the rows given. Numbers too wide for the page beside a readable label
    // print smaller, not the label squeezed to a character a line.
    let grid_of = |rows: &[String]| {
        let grid = format!(
            "table(\n  columns: ({}),\n  align: ({}),\n  table.header({}),\n{})",
            columns.join(", ") + if columns.len() == 1 { "," } else { "" },
            align.join(", ") + if align.len() == 1 { "," } else { "" },
            headers.join(", "),
            rows.concat()
        );
        match fitted_size(t) {
            Some(size) => format!("{{ show table: set text(size: {size:.1}pt); {grid} }}"),
            None => grid,
        }
    };
    let grid = grid_of(&lines);
    match (&t.number, t.compact) {
        (Some(number), _) => {
            let n = doc.str(number);
            let caption = unbroken_end(doc, t.caption.as_deref().unwrap_or_default());
            // A table longer than a page may break, its header repeated; a shorter one moves
            // whole to the next page rather than leave a few rows behind.
            let (open, close) = if starts_where_it_fits(t) {
                // It starts on the next page unless its caption, header and first rows fit
                // on this one: never a caption and two rows at a page's foot.
                room_check(
                    doc,
                    &format!("label(\"room-\" + {n})"),
                    &grid_of(&lines[..LONG_TABLE_START_ROWS]),
                    heading,
                );
                ("#[#show figure: set block(breakable: true)\n", "\n]")
            } else {
                ("", "")
            };
            // A short table and its note are one unbreakable block: they move on together,
            // never the note alone at the top of the next page. Short in rows, that is: one
            // whose rows wrap to a page's height (a codebook) breaks as a long one does.
            let short = !starts_where_it_fits(t);
            let keep = keep_note && short && t.note_text().is_some();
            // Typst measures the table to decide, which costs a layout: only for tables whose
            // rows may wrap to a page; the others are kept whole as they are.
            let measured = short && may_outgrow_page(t);
            if measured {
                doc.line("#whole-or-broken[");
            } else if keep {
                doc.line("#block(breakable: false, width: 100%)[");
            }
            doc.line(&format!(
                "{open}#numbered(table, [#\"表\"], {n}, [{caption}], {grid}){}{close}",
                label_for(NumberKind::Table, number)
            ));
            if keep && let Some(n) = t.note_text() {
                note(doc, &n);
            }
            if measured || keep {
                doc.line("]");
            }
            if keep {
                return;
            }
        }
        (None, compact) => {
            let size = if compact {
                "set text(size: 7.5pt); "
            } else {
                ""
            };
            // A table that may break starts where its header and first rows fit.
            if starts_where_it_fits(t) {
                let marker = doc.marker("room-u");
                let start = format!("{{ {size}{} }}", grid_of(&lines[..UNNUMBERED_START_ROWS]));
                room_check(doc, &marker, &start, heading);
            }
            if compact {
                doc.line(&format!(
                    "#block(above: 1em, breakable: true, {{ {size}{grid} }})"
                ));
            } else {
                doc.line(&format!("#block(above: 1em, below: 1.2em, {grid})"));
            }
        }
    }
    if let Some(n) = t.note_text() {
        note(doc, &n);
    }
}

/// The width of the page's text (A4, 2.6 cm margins) and a table's type size and cell inset
/// (the template's), in points.
const TEXT_WIDTH: f64 = 447.9;
const TABLE_SIZE: f64 = 8.8;
const CELL_INSET: f64 = 12.0;
/// The smallest share of the width a label column keeps, and the smallest type a table
/// shrinks to.
const LABEL_SHARE: f64 = 0.25;
const SMALLEST_SIZE: f64 = 6.5;
/// The type size of code columns (hashes, identifiers), which do not shrink.
const CODE_SIZE: f64 = 6.5;

/// A type size for a table whose number and code columns (which do not break) would leave a
/// label column less than [`LABEL_SHARE`] of the width at the template's size; None when they
/// fit. Widths are estimated from the characters: digits and Latin about 0.56 em, Chinese 1 em.
fn fitted_size(t: &PrintedTable) -> Option<f64> {
    if !t.columns.iter().any(|c| c.kind == ColumnKind::Label) {
        return None;
    }
    let ems = |s: &str| -> f64 {
        s.chars()
            .map(|c| if c.is_ascii() { 0.56 } else { 1.0 })
            .sum()
    };
    // Per column that does not break: its widest cell in ems (a header breaks between its
    // characters, two of them stay on a line), and whether it prints in code's small type.
    let fixed: Vec<(f64, bool)> = t
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.kind, ColumnKind::Label | ColumnKind::Text))
        .map(|(i, c)| {
            let widest = t
                .rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .map(|c| ems(&c.text))
                .fold(2.0, f64::max);
            (widest, c.kind == ColumnKind::Code)
        })
        .collect();
    let code: f64 = fixed.iter().filter(|f| f.1).map(|f| f.0 * CODE_SIZE).sum();
    let scaled: f64 = fixed.iter().filter(|f| !f.1).map(|f| f.0).sum();
    let room = TEXT_WIDTH * (1.0 - LABEL_SHARE) - CELL_INSET * fixed.len() as f64 - code;
    (scaled * TABLE_SIZE > room).then(|| (room / scaled).clamp(SMALLEST_SIZE, TABLE_SIZE))
}

/// A note under a table: a short one sits under the numbers, a longer one reads from the left.
/// A table's note, under it, flush left as every note is, long or short.
fn note(doc: &mut Doc, n: &str) {
    let n = doc.str(n);
    doc.line(&format!("#block(above: -0.9em, below: 1.2em, width: 100%, align(left, text(font: sans, size: 7.5pt, fill: luma(110), {n})))"));
}

fn axis_label(v: f64, unit: AxisUnit) -> String {
    // Quarters of the axis: whole, or up to two decimals (1.25, 2.5, 3.75), none rounded off.
    let s = if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}").trim_end_matches('0').to_owned()
    };
    match unit {
        AxisUnit::Percent => format!("{s}%"),
        AxisUnit::Count | AxisUnit::Score => s,
    }
}

/// A numbered chart with its caption below.
pub fn figure(doc: &mut Doc, f: &PrintedFigure) {
    let body = match f.style {
        ChartStyle::Bars => bars(doc, f),
        ChartStyle::GroupedBars => grouped_bars(doc, f),
        ChartStyle::StackedBars | ChartStyle::StackedScale | ChartStyle::StackedScaleDown => {
            stacked_bars(doc, f)
        }
        ChartStyle::Columns => columns(doc, f),
        ChartStyle::Donut => donut(doc, f),
    };
    let title = match &f.title {
        Some(t) => {
            let t = doc.str(t);
            format!(
                "align(center, block(below: 0.8em, text(font: sans, size: 9.5pt, weight: \"bold\", {t}))),"
            )
        }
        None => String::new(),
    };
    let note = match &f.note {
        Some(n) => {
            let n = doc.str(n);
            format!("align(right, text(font: sans, size: 7.5pt, fill: luma(110), {n})),")
        }
        None => String::new(),
    };
    let caption = unbroken_end(doc, &f.caption);
    // The text alternative is not printed; it is read out by assistive technology.
    let alt = crate::typst::lit(&f.alt);
    let chart = format!(
        "block(width: 100%, inset: (x: 4pt, y: 8pt), stroke: 0.4pt + luma(215), radius: 2pt, {{\n  set text(font: sans, size: 8pt)\n  stack(dir: ttb, spacing: 0.5em, {title}\n{body},\n{note})\n}})"
    );
    match &f.number {
        Some(number) => {
            let n = doc.str(number);
            doc.line(&format!(
                "#numbered(image, [#\"图\"], {n}, [{caption}], {chart}, alt: {alt}){}",
                label_for(NumberKind::Figure, number)
            ));
        }
        None => doc.line(&format!(
            "#figure(kind: image, supplement: none, numbering: none, caption: [{caption}], alt: {alt}, {chart})"
        )),
    }
}

/// Bars beyond which a one-series chart is drawn closer: 31 provinces at the usual spacing
/// take three quarters of a page, and so could not follow a part's title and a heading; drawn
/// closer they take about half, and their labels stay apart.
const MANY_BARS: usize = 16;

fn bars(doc: &mut Doc, f: &PrintedFigure) -> String {
    let max = f.axis.max;
    let (bar, gutter) = if f.categories.len() > MANY_BARS {
        (7.5, 2.5)
    } else {
        (9.0, 7.0)
    };
    let mut cells = String::new();
    for c in &f.categories {
        let l = doc.str(&c.label);
        let (value, text) = c
            .bars
            .first()
            .map(|b| (b.value.unwrap_or(0.0), b.text.as_str()))
            .unwrap_or((0.0, "—"));
        let v = doc.str(text);
        // Bars take the left 84% of their column, leaving room for the value after the longest.
        let w = (value / max * 84.0).clamp(0.0, 84.0);
        let _ = l;
        let l = unbroken_end(doc, &c.label);
        cells.push_str(&format!(
            "    bar-label[{l}], [#box(width: {w:.3}%, height: {bar:.1}pt, fill: rgb(\"{BAR}\"), baseline: 1.5pt)#h(3pt)#text(size: 7.5pt, {v})],\n"
        ));
    }
    format!(
        "  grid(columns: (34%, 1fr), column-gutter: 8pt, row-gutter: {gutter:.1}pt, align: (right + horizon, left + horizon),\n{cells}    [], {}\n  )",
        ticks(doc, f.axis.max, f.axis.unit)
    )
}

fn ticks(doc: &mut Doc, max: f64, unit: AxisUnit) -> String {
    // A score out of a few points is marked at each point (0 1 2 3 4 5); other axes at their
    // quarters.
    let whole_points = unit == AxisUnit::Score && max.fract() == 0.0 && (2.0..=10.0).contains(&max);
    let at: Vec<f64> = if whole_points {
        (0..=max as u32).map(|p| f64::from(p) / max).collect()
    } else {
        vec![0.0, 0.25, 0.5, 0.75, 1.0]
    };
    let ticks: Vec<String> = at
        .iter()
        .map(|k| {
            let s = doc.str(&axis_label(max * k, unit));
            format!("place(dx: {:.1}%, dy: 0pt, move(dx: -1em, box(width: 2em, align(center, text(size: 6.5pt, fill: luma(110), {s})))))", k * 84.0)
        })
        .collect();
    format!(
        "block(width: 100%, height: 1.1em, {{ place(line(length: 84%, stroke: 0.4pt + luma(160))); {} }})",
        ticks.join("; ")
    )
}

fn grouped_bars(doc: &mut Doc, f: &PrintedFigure) -> String {
    let max = f.axis.max;
    let look = GroupedLook::fitting(f.categories.len(), f.series.len());
    let mut cells = String::new();
    for c in &f.categories {
        let l = unbroken_end(doc, &c.label);
        let mut stack = Vec::new();
        for (i, b) in c.bars.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let w = (b.value.unwrap_or(0.0) / max * 84.0).clamp(0.0, 84.0);
            let bar = format!(
                "box(width: {w:.3}%, height: {:.1}pt, fill: rgb(\"{colour}\"), baseline: 1pt)",
                look.bar
            );
            stack.push(match look.values {
                Some(size) => {
                    let v = doc.str(&b.text);
                    format!("[#{bar}#h(3pt)#text(size: {size:.1}pt, {v})]")
                }
                None => format!("[#{bar}]"),
            });
        }
        cells.push_str(&format!(
            "    bar-label[{l}], stack(dir: ttb, spacing: {:.1}pt, {}),\n",
            look.spacing,
            stack.join(", ")
        ));
    }
    let colours: Vec<&str> = (0..f.series.len())
        .map(|i| PALETTE[i % PALETTE.len()])
        .collect();
    let legend = legend(doc, &f.series, &colours, 8.0);
    format!(
        "  align(center, grid(columns: {}, column-gutter: 6pt, align: horizon, {})),\n  grid(columns: (34%, 1fr), column-gutter: 8pt, row-gutter: {:.1}pt, align: (right + horizon, left + horizon),\n{cells}    [], {}\n  )",
        f.series.len() * 2,
        legend.join(", "),
        look.gutter,
        ticks(doc, max, f.axis.unit)
    )
}

/// How a grouped bar chart is drawn so that it fits on one page (a chart does not break):
/// its bars, the type size of their values (none when even small type would not fit; the
/// table beside the chart prints them), and the space within and between categories.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GroupedLook {
    bar: f64,
    values: Option<f64>,
    spacing: f64,
    gutter: f64,
}

impl GroupedLook {
    /// The height in points the bars of all categories may take: a page of text (A4 less
    /// the template's margins, 691 pt) less the caption, legend, axis, note and frame.
    const ROOM: f64 = 560.0;
    /// A line of values beside a bar, as a share of their type size.
    const LINE: f64 = 1.2;

    fn height(&self, categories: usize, series: usize) -> f64 {
        let row = self
            .values
            .map_or(self.bar, |t| self.bar.max(t * Self::LINE));
        categories as f64
            * (series as f64 * row + series.saturating_sub(1) as f64 * self.spacing + self.gutter)
    }

    fn fitting(categories: usize, series: usize) -> GroupedLook {
        let looks = [
            GroupedLook {
                bar: 7.0,
                values: Some(7.0),
                spacing: 2.0,
                gutter: 8.0,
            },
            GroupedLook {
                bar: 5.0,
                values: Some(5.5),
                spacing: 1.0,
                gutter: 3.0,
            },
            GroupedLook {
                bar: 5.0,
                values: None,
                spacing: 1.0,
                gutter: 3.0,
            },
        ];
        if let Some(l) = looks
            .iter()
            .find(|l| l.height(categories, series) <= Self::ROOM)
        {
            return *l;
        }
        // Still too tall: bars and spaces shrink together.
        let last = looks[2];
        let k = Self::ROOM / last.height(categories, series);
        GroupedLook {
            bar: last.bar * k,
            values: None,
            spacing: last.spacing * k,
            gutter: last.gutter * k,
        }
    }
}

/// `k` colours running from a muted red through grey to the accent blue: the options of a
/// scale from its least to its most, told apart in print and in grey.
fn scale_colours(k: usize) -> Vec<String> {
    const ENDS: [(f64, f64, f64); 3] = [
        (199.0, 81.0, 70.0),
        (200.0, 200.0, 200.0),
        (29.0, 78.0, 137.0),
    ];
    (0..k)
        .map(|i| {
            let t = if k > 1 {
                i as f64 / (k - 1) as f64
            } else {
                1.0
            };
            let (a, b, u) = if t <= 0.5 {
                (ENDS[0], ENDS[1], t * 2.0)
            } else {
                (ENDS[1], ENDS[2], t * 2.0 - 1.0)
            };
            let mix = |x: f64, y: f64| (x + (y - x) * u).round() as u8;
            format!(
                "#{:02x}{:02x}{:02x}",
                mix(a.0, b.0),
                mix(a.1, b.1),
                mix(a.2, b.2)
            )
        })
        .collect()
}

/// A chart's legend: a swatch and a name per series, as grid cells.
fn legend(doc: &mut Doc, series: &[String], colours: &[&str], size: f64) -> Vec<String> {
    series
        .iter()
        .zip(colours)
        .map(|(s, colour)| {
            let s = doc.str(s);
            format!(
                "box(width: 8pt, height: 8pt, fill: rgb(\"{colour}\")), text(size: {size}pt, {s})"
            )
        })
        .collect()
}

fn stacked_bars(doc: &mut Doc, f: &PrintedFigure) -> String {
    let colours = match f.style {
        ChartStyle::StackedScale => scale_colours(f.series.len()),
        ChartStyle::StackedScaleDown => {
            let mut c = scale_colours(f.series.len());
            c.reverse();
            c
        }
        _ => (0..f.series.len())
            .map(|i| PALETTE[i % PALETTE.len()].to_owned())
            .collect(),
    };
    // Light segments carry dark figures, dark ones white.
    let ink = |c: &str| {
        let v = |k: usize| u8::from_str_radix(&c[k..k + 2], 16).unwrap_or(0) as f64;
        if 0.299 * v(1) + 0.587 * v(3) + 0.114 * v(5) > 150.0 {
            "black"
        } else {
            "white"
        }
    };
    let mut cells = String::new();
    for c in &f.categories {
        let l = unbroken_end(doc, &c.label);
        let mut segments = Vec::new();
        for (i, b) in c.bars.iter().enumerate() {
            let share = b.value.unwrap_or(0.0).clamp(0.0, 100.0);
            if share <= 0.0 {
                continue;
            }
            let colour = &colours[i % colours.len().max(1)];
            // The segments fill 98% of the row, so that rounding never wraps the last one.
            let w = share * 0.98;
            let text = if share >= 7.0 {
                let v = doc.str(&b.text);
                format!("text(size: 6.5pt, fill: {}, {v})", ink(colour))
            } else {
                "[]".into()
            };
            segments.push(format!(
                "box(width: {w:.3}%, height: 11pt, fill: rgb(\"{colour}\"), align(center + horizon, {text}))"
            ));
        }
        // Side by side from the top: boxes with and without figures stay level.
        cells.push_str(&format!(
            "    bar-label[{l}], stack(dir: ltr, {}),\n",
            segments.join(", ")
        ));
    }
    let colours: Vec<&str> = colours.iter().map(String::as_str).collect();
    let legend = legend(doc, &f.series, &colours, 7.5);
    format!(
        "  align(center, grid(columns: {}, column-gutter: 5pt, row-gutter: 4pt, align: horizon, {})),\n  grid(columns: (30%, 1fr), column-gutter: 8pt, row-gutter: 6pt, align: (right + horizon, left + horizon),\n{cells}  )",
        (f.series.len() * 2).min(12),
        legend.join(", "),
    )
}

fn columns(doc: &mut Doc, f: &PrintedFigure) -> String {
    let max = f.axis.max;
    let n = f.categories.len().max(1);
    let mut bars = String::new();
    let mut labels = String::new();
    for c in &f.categories {
        let (value, text) = c
            .bars
            .first()
            .map(|b| (b.value.unwrap_or(0.0), b.text.as_str()))
            .unwrap_or((0.0, "—"));
        let v = doc.str(text);
        let h = (value / max * 100.0).clamp(0.0, 100.0);
        bars.push_str(&format!(
            "    align(center + bottom, stack(dir: ttb, spacing: 3pt, text(size: 7.5pt, {v}), box(width: 60%, height: {h:.3}% * 3.6cm, fill: rgb(\"{BAR}\")))),\n"
        ));
        let l = doc.str(&c.label);
        labels.push_str(&format!(
            "    align(center + top, text(size: 7.5pt, {l})),\n"
        ));
    }
    // Columns keep their scale (a share's height is the same in every chart), and the
    // chart is as tall as its tallest column: none of 46% leaves no box half empty above it
    // (trial 44).
    let tallest = f
        .categories
        .iter()
        .filter_map(|c| c.bars.first().and_then(|b| b.value))
        .fold(0.0f64, f64::max);
    let room = (tallest / max).clamp(0.3, 1.0) * 3.6 + 0.7;
    format!(
        "  grid(columns: ({}), rows: ({room:.2}cm, auto), row-gutter: 4pt, column-gutter: 4pt,\n{bars}{labels}  )",
        vec!["1fr"; n].join(", ")
    )
}

/// Points of an annulus sector from angle a0 to a1 (radians, clockwise from 12 o'clock).
fn sector(cx: f64, cy: f64, r_out: f64, r_in: f64, a0: f64, a1: f64) -> Vec<(f64, f64)> {
    let steps = (((a1 - a0) / (2.0f64.to_radians())).ceil() as usize).max(1);
    let pt = |r: f64, a: f64| (cx + r * a.sin(), cy - r * a.cos());
    let mut pts: Vec<(f64, f64)> = (0..=steps)
        .map(|k| pt(r_out, a0 + (a1 - a0) * k as f64 / steps as f64))
        .collect();
    pts.extend(
        (0..=steps)
            .rev()
            .map(|k| pt(r_in, a0 + (a1 - a0) * k as f64 / steps as f64)),
    );
    pts
}

fn donut(doc: &mut Doc, f: &PrintedFigure) -> String {
    let value = |c: &survey_print::Category| c.bars.first().and_then(|b| b.value).unwrap_or(0.0);
    let total: f64 = f.categories.iter().map(value).sum();
    let (size, r_out, r_in) = (120.0, 58.0, 34.0);
    let mut shapes = String::new();
    let mut a = 0.0f64;
    for (i, c) in f.categories.iter().enumerate() {
        let v = value(c);
        if total <= 0.0 || v <= 0.0 {
            continue;
        }
        let sweep = v / total * std::f64::consts::TAU;
        let pts = sector(size / 2.0, size / 2.0, r_out, r_in, a, a + sweep);
        let mut path = format!("curve.move(({:.2}pt, {:.2}pt))", pts[0].0, pts[0].1);
        for p in &pts[1..] {
            path.push_str(&format!(", curve.line(({:.2}pt, {:.2}pt))", p.0, p.1));
        }
        shapes.push_str(&format!(
            "      place(curve(fill: rgb(\"{}\"), stroke: 0.8pt + white, {path}, curve.close()))\n",
            PALETTE[i % PALETTE.len()]
        ));
        a += sweep;
    }
    let mut legend = String::new();
    for (i, c) in f.categories.iter().enumerate() {
        let l = doc.str(&c.label);
        let v = doc.str(c.bars.first().map(|b| b.text.as_str()).unwrap_or("—"));
        legend.push_str(&format!(
            "      box(width: 8pt, height: 8pt, fill: rgb(\"{}\")), text(size: 8pt, {l}), text(size: 8pt, {v}),\n",
            PALETTE[i % PALETTE.len()]
        ));
    }
    // Values stand a character clear of the longest label (trial 46: at 6 pt apart,
    // «与第三方企业合作共建» nearly touched «189（41.91%）»).
    format!(
        "  align(center, grid(columns: (auto, auto), column-gutter: 1.2cm, align: horizon,\n    box(width: {size}pt, height: {size}pt, {{\n{shapes}    }}),\n    grid(columns: (auto, auto, auto), column-gutter: (6pt, 12pt), row-gutter: 6pt, align: (horizon, left + horizon, right + horizon),\n{legend}    )\n  ))"
    )
}

/// Where a cover title too long for one line reads best broken: after a joining word or mark
/// (与, 及, 、, ：) or before a closing word (调查, 情况), the two lines each fitting
/// `per_line` full-width characters and as even as they can be; failing those, before a word
/// that starts a title's last part (使用, 满意度, 建设, 管理: 医务人员对医院信息系统 / 使用满意度
/// 调查报告); `None` when it fits or no such place exists (the line then breaks where it
/// fills, inside a word if it must).
fn title_break(title: &str, per_line: f64) -> Option<usize> {
    let width = |s: &str| -> f64 {
        s.chars()
            .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
            .sum()
    };
    let total = width(title);
    if total <= per_line {
        return None;
    }
    let best_of = |places: &dyn Fn(usize, char) -> [Option<usize>; 2]| {
        let mut best: Option<(f64, usize)> = None;
        for (i, c) in title.char_indices() {
            for at in places(i, c).into_iter().flatten() {
                let (a, b) = (width(&title[..at]), width(&title[at..]));
                if at > 0 && at < title.len() && a <= per_line && b <= per_line {
                    let off = (a - b).abs();
                    if best.is_none_or(|(o, _)| off < o) {
                        best = Some((off, at));
                    }
                }
            }
        }
        best.map(|(_, at)| at)
    };
    let before = |i: usize, words: &[&str]| words.iter().any(|w| title[i..].starts_with(w));
    best_of(&|i, c| {
        [
            ("与及和暨、：:，".contains(c)).then_some(i + c.len_utf8()),
            before(i, &["调查", "情况", "现状", "报告"]).then_some(i),
        ]
    })
    .or_else(|| {
        best_of(&|i, _| {
            [
                before(
                    i,
                    &[
                        "使用",
                        "满意度",
                        "建设",
                        "应用",
                        "发展",
                        "工作",
                        "服务",
                        "管理",
                        "评估",
                        "研究",
                        "能力",
                        // Words a title is made of: a break before one never splits a word
                        // (等级保护测/评 is what typst's own break did).
                        "等级",
                        "测评",
                        "网络",
                        "数据",
                        "信息",
                        "安全",
                        "智慧",
                        "互联网",
                        "医院",
                    ],
                )
                .then_some(i),
                None,
            ]
        })
    })
}

fn cover(doc: &mut Doc, st: &mut State, c: &Cover) {
    // 15.5 cm at 30 pt holds about 15 full-width characters.
    let title = match title_break(&c.title, 15.0) {
        Some(at) => format!(
            "{{ {}; linebreak(); {} }}",
            doc.str(&c.title[..at]),
            doc.str(&c.title[at..])
        ),
        None => doc.str(&c.title),
    };
    let org = doc.str(&c.organisation);
    let sub = c.subtitle.as_deref().map(|s| doc.str(s));
    let edition = c.edition.as_deref().map(|s| doc.str(s));
    let note = c.note.as_deref().map(|s| doc.str(s));
    doc.line("#set page(numbering: none)");
    doc.line("#page(margin: 0pt, header: none, footer: none, {");
    doc.line("  place(top + left, rect(width: 100%, height: 42%, fill: accent))");
    doc.line("  place(top + left, dx: 2.6cm, dy: 4.2cm, block(width: 15.5cm, {");
    doc.line("    set par(first-line-indent: 0em, justify: false)");
    doc.line(&format!(
        "    text(font: sans, size: 30pt, weight: \"bold\", fill: white, {title})"
    ));
    if let Some(s) = sub {
        doc.line(&format!(
            "    v(0.6em); text(font: sans, size: 14pt, fill: white, {s})"
        ));
    }
    doc.line("    v(0.8em); line(length: 5cm, stroke: 2pt + white)");
    doc.line("  }))");
    doc.line("  place(top + left, dx: 2.6cm, dy: 17.5cm, block(width: 15.5cm, {");
    doc.line("    set par(first-line-indent: 0em, justify: false)");
    doc.line(&format!(
        "    text(font: sans, size: 14pt, weight: \"bold\", fill: accent, {org})"
    ));
    if let Some(e) = edition {
        doc.line(&format!(
            "    v(0.5em); text(font: sans, size: 12pt, fill: luma(80), {e})"
        ));
    }
    doc.line("  }))");
    if let Some(logo) = &c.logo {
        let img = image(doc, st, logo);
        doc.line(&format!(
            "  place(top + right, dx: -2.6cm, dy: 17.3cm, {img})"
        ));
    }
    if let Some(n) = note {
        doc.line(&format!(
            "  place(bottom + left, dx: 2.6cm, dy: -2.2cm, block(width: 15.8cm, inset: 8pt, stroke: 0.6pt + rgb(\"#c75146\"), radius: 2pt, {{ set par(first-line-indent: 0em); text(font: sans, size: 8.5pt, fill: rgb(\"#8a2f26\"), {n}) }}))"
        ));
    }
    doc.line("})");
    doc.line("#set page(numbering: \"I\")");
    doc.line("#counter(page).update(1)");
}

fn back_cover(doc: &mut Doc, st: &mut State, b: &BackCover) {
    let org = doc.str(&b.organisation);
    let lines: Vec<String> = b.lines.iter().map(|l| doc.str(l)).collect();
    let images: Vec<String> = b.images.iter().map(|i| image(doc, st, i)).collect();
    let captions: Vec<String> = b
        .images
        .iter()
        .map(|i| {
            let c = doc.str(i.caption.as_deref().unwrap_or_default());
            format!("text(size: 8pt, fill: white, {c})")
        })
        .collect();
    doc.line("#pagebreak(weak: true, to: \"even\")");
    doc.line("#page(margin: 0pt, header: none, footer: none, numbering: none, fill: accent, {");
    doc.line("  set par(first-line-indent: 0em, justify: false)");
    doc.line("  place(bottom + left, dx: 2.6cm, dy: -3cm, block(width: 15.8cm, {");
    if !images.is_empty() {
        let cells: Vec<String> = images
            .iter()
            .zip(&captions)
            .map(|(i, c)| {
                format!("stack(dir: ttb, spacing: 0.4em, box(fill: white, inset: 3pt, {i}), {c})")
            })
            .collect();
        doc.line(&format!(
            "    stack(dir: ltr, spacing: 1cm, {})",
            cells.join(", ")
        ));
        doc.line("    v(1.2em)");
    }
    doc.line(&format!(
        "    text(font: sans, size: 13pt, weight: \"bold\", fill: white, {org})"
    ));
    for l in lines {
        doc.line(&format!(
            "    linebreak(); text(font: sans, size: 9pt, fill: white, {l})"
        ));
    }
    doc.line("  }))");
    doc.line("})");
}

/// An image as Typst; its bytes are written beside the source.
fn image(doc: &mut Doc, st: &mut State, i: &Image) -> String {
    let path = format!("assets/{}", i.name);
    if !st.assets.iter().any(|(p, _)| *p == path) {
        st.assets.push((path.clone(), i.bytes.clone()));
    }
    let p = crate::typst::lit(&path);
    let alt = doc.str(&i.alt);
    format!("image({p}, width: {:.2}cm, alt: {alt})", i.width_cm)
}

fn committee(doc: &mut Doc, c: &Committee) {
    doc.line("#block(inset: (left: 2em), {");
    doc.line("  set par(first-line-indent: 0em, spacing: 0.7em)");
    for g in &c.groups {
        let role = doc.str(&g.role);
        doc.line(&format!("  block(above: 1.1em, below: 0.6em, text(font: sans, weight: \"bold\", fill: accent, {role}))"));
        for m in &g.members {
            let names = doc.str(&m.names.join("、"));
            match &m.organisation {
                Some(o) => {
                    let o = doc.str(o);
                    doc.line(&format!(
                        "  par(hanging-indent: 2em, [#{o}#h(1em)#{names}])"
                    ));
                }
                None => doc.line(&format!("  par([#{names}])")),
            }
        }
    }
    for n in &c.notes {
        let n = doc.str(n);
        doc.line(&format!(
            "  block(above: 1.2em, text(size: 9.5pt, fill: luma(80), {n}))"
        ));
    }
    doc.line("})");
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_print::{Axis, Bar, Category, Column, PrintedRow, TableKind};

    /// A numbered one-series bar chart of these (label, share %) bars.
    fn bars(caption: &str, alt: &str, bars: &[(String, f64)]) -> PrintedFigure {
        PrintedFigure {
            number: Some("1".into()),
            caption: caption.into(),
            title: None,
            style: ChartStyle::Bars,
            axis: Axis {
                unit: AxisUnit::Percent,
                max: 100.0,
            },
            series: vec!["".into()],
            categories: bars
                .iter()
                .map(|(label, v)| Category {
                    label: label.clone(),
                    code: None,
                    bars: vec![Bar {
                        value: Some(*v),
                        text: format!("{v}%"),
                    }],
                })
                .collect(),
            note: None,
            alt: alt.into(),
            dataset: None,
            questions: vec![],
        }
    }

    #[test]
    fn a_kept_together_end_never_starts_a_line_with_a_closing_mark() {
        let mut doc = Doc::new();
        // Trial 42: «：药品» was boxed, so a line could break before the colon.
        assert_eq!(
            unbroken_end(&mut doc, "互联网医院收入构成（合计100%）：药品"),
            format!(
                "#{}#box({})",
                doc.str("互联网医院收入构成（合计"),
                doc.str("100%）：药品")
            )
        );
        // Nor leaves an opening bracket at a line's end.
        assert_eq!(
            unbroken_end(&mut doc, "医院信息化投入（万元）"),
            format!(
                "#{}#box({})",
                doc.str("医院信息化投入"),
                doc.str("（万元）")
            )
        );
        // Plain ends keep their three characters.
        assert_eq!(
            unbroken_end(&mut doc, "医院所在省份"),
            format!("#{}#box({})", doc.str("医院所"), doc.str("在省份"))
        );
    }

    #[test]
    fn a_long_cover_title_breaks_between_words() {
        let t = "医院电子病历系统应用水平与互联互通建设调查";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(
            (&t[..at], &t[at..]),
            ("医院电子病历系统应用水平与", "互联互通建设调查")
        );
        let t = "2026年医院智慧服务建设情况调查报告";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(&t[at..], "情况调查报告");
        assert_eq!(title_break("医院数据安全调查报告", 15.0), None);
        // No joining word: before a word that starts the title's last part.
        let t = "医务人员对医院信息系统使用满意度调查报告";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(&t[..at], "医务人员对医院信息系统");
        let t = "医院数据安全能力建设成熟度评估指标体系研究";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(&t[..at], "医院数据安全能力");
        // No place to break well: the line breaks where it fills.
        assert_eq!(
            title_break("医院数据安全成熟度评价指标体系及其验证研究报告书", 15.0),
            None
        );
        // Before a word the title is made of, not inside one (测/评).
        let t = "2026年医院网络安全等级保护测评情况调查";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(&t[at..], "等级保护测评情况调查");
        // Never one character alone on the second line.
        let t = "医院 AI 应用数据安全治理跟踪调查";
        let at = title_break(t, 15.0).unwrap();
        assert_eq!(&t[at..], "调查");
    }

    #[test]
    fn donut_sectors_close_on_themselves() {
        let pts = sector(60.0, 60.0, 58.0, 34.0, 0.0, std::f64::consts::PI);
        let first = pts[0];
        assert!(
            (first.0 - 60.0).abs() < 1e-9 && (first.1 - 2.0).abs() < 1e-9,
            "starts at 12 o'clock"
        );
        let last = pts.last().unwrap();
        assert!(
            (last.0 - 60.0).abs() < 1e-9 && (last.1 - 26.0).abs() < 1e-9,
            "ends on the inner ring at 12 o'clock"
        );
    }

    /// A summary of seven numbers a row: wide numbers print smaller so the label keeps its
    /// share of the width; ordinary ones, and hashes in code type, keep the template's size.
    #[test]
    fn wide_numbers_shrink_the_type_not_the_label() {
        let summary = |v: &str| {
            let mut cols = vec![Column::new("题目", ColumnKind::Label)];
            cols.extend((0..7).map(|_| Column::new("均值", ColumnKind::Number)));
            let mut t = PrintedTable::new(TableKind::NumericSummary, cols);
            let mut cells = vec![Cell::text("医院实际开放床位数（张）")];
            cells.extend((0..7).map(|_| Cell::text(v)));
            t.rows.push(PrintedRow::new(cells));
            t
        };
        assert_eq!(fitted_size(&summary("809.87")), None);
        let size = fitted_size(&summary("18493.06")).expect("shrunk");
        assert!(size > SMALLEST_SIZE && size < TABLE_SIZE, "{size}");
        // 7 columns of 8 characters at `size` and the insets leave the label its share.
        let numbers = 7.0 * (8.0 * 0.56 * size + CELL_INSET);
        assert!(
            (numbers - TEXT_WIDTH * (1.0 - LABEL_SHARE)).abs() < 1e-6,
            "{numbers}"
        );
        // Never below the smallest type.
        assert_eq!(fitted_size(&summary("16626881092.27")), Some(SMALLEST_SIZE));
        let mut hashes = PrintedTable::new(
            TableKind::Frequency,
            vec![
                Column::new("文件", ColumnKind::Label),
                Column::new("SHA-256", ColumnKind::Code),
            ],
        );
        hashes.rows.push(PrintedRow::new(vec![
            Cell::text("cleaning/main.rules.json"),
            Cell::text("0a".repeat(32)),
        ]));
        assert_eq!(fitted_size(&hashes), None);
    }

    #[test]
    fn a_heading_and_a_sentence_announcing_a_table_go_on_with_its_start() {
        // Trial 46: «来源与可复现性» and «…校验值如下：» ended a page; the table began the next.
        let mut hashes = PrintedTable::new(
            TableKind::Provenance,
            vec![
                Column::new("文件", ColumnKind::Label),
                Column::new("SHA-256", ColumnKind::Code),
            ],
        );
        for k in 0..6 {
            hashes.rows.push(PrintedRow::new(vec![
                Cell::text(format!("file{k}.json")),
                Cell::text("0a".repeat(32)),
            ]));
        }
        assert!(starts_where_it_fits(&hashes));
        let source = |said: &str| {
            let d = Document {
                meta: Default::default(),
                elements: vec![
                    Element::Heading {
                        level: 2,
                        title: "来源与可复现性".into(),
                        outlined: false,
                        new_page: false,
                    },
                    Element::Paragraph(vec![survey_print::Inline::Text { text: said.into() }]),
                    Element::Table(Box::new(hashes.clone())),
                ],
            };
            document(&d).text
        };
        let s = source("各输入文件及其校验值如下：");
        let check = s.find("#room-for(").expect("a room check");
        let heading = s.find("#heading(level: 2").unwrap();
        let sentence = s.rfind("#par[#\"各输入文件").unwrap();
        assert!(check < heading && heading < sentence, "{s}");
        assert!(
            s.contains(&format!("extra: ({HEADING_ROOM}pt, [#par[#\"各输入文件")),
            "{s}"
        );
        // A sentence that announces nothing stays before the check, which counts nothing.
        let s = source("各输入文件均有校验值。");
        assert!(
            s.find("#par[").unwrap() < s.find("#room-for(").unwrap(),
            "{s}"
        );
        assert!(s.contains("extra: 0pt"), "{s}");
    }

    #[test]
    fn a_chart_sticks_to_its_table_unless_the_two_fill_a_page() {
        // Trial 42: 15 provinces as a chart and a table moved on together, leaving a part's
        // title alone on a page.
        let pair = |n: usize| {
            let mut t = PrintedTable::new(
                TableKind::Frequency,
                vec![
                    Column::new("省份", ColumnKind::Label),
                    Column::new("数量", ColumnKind::Count),
                ],
            );
            t.number = Some("2.1.1".into());
            t.caption = Some("医院所在省份".into());
            for i in 0..n {
                t.rows.push(PrintedRow::new(vec![
                    Cell::text(format!("省{i}")),
                    Cell::count(1),
                ]));
            }
            let names: Vec<(String, f64)> = (0..n).map(|i| (format!("省{i}"), 1.0)).collect();
            let f = bars("医院所在省份", "条形图", &names);
            let d = Document {
                meta: Default::default(),
                elements: vec![Element::KeepTogether(vec![
                    Element::Figure(Box::new(f)),
                    Element::Table(Box::new(t)),
                ])],
            };
            document(&d).text
        };
        assert!(pair(10).contains("#block(sticky: true"));
        assert!(!pair(15).contains("#block(sticky: true"));
        // 31 provinces are drawn closer than a dozen bars, so that they fit under a part's
        // title and a heading (trial 44: the title and a sentence alone on a page).
        let drawn = |n: usize| {
            let names: Vec<(String, f64)> = (0..n).map(|i| (format!("省{i}"), 1.0)).collect();
            let mut doc = Doc::default();
            super::bars(&mut doc, &bars("医院所在省份", "条形图", &names))
        };
        assert!(drawn(12).contains("row-gutter: 7.0pt") && drawn(12).contains("height: 9.0pt"));
        assert!(drawn(31).contains("row-gutter: 2.5pt") && drawn(31).contains("height: 7.5pt"));
    }

    #[test]
    fn a_matrix_chart_is_as_tall_as_its_rows_so_its_heading_goes_on_with_it() {
        // 4 rows on a 5-step scale: 4 bars high (stacked), not 20; the heading's sentence
        // goes on with the chart. 14 provinces are tall: right under a part's title their
        // sentence stays where it is; elsewhere it goes on with them (trial 47).
        let sticks_after = |style: ChartStyle, categories: usize, series: usize, part: bool| {
            let names: Vec<(String, f64)> =
                (0..categories).map(|i| (format!("行{i}"), 20.0)).collect();
            let mut f = bars("满意度", "图", &names);
            f.style = style;
            f.series = (0..series).map(|k| format!("档{k}")).collect();
            for c in &mut f.categories {
                c.bars = (0..series)
                    .map(|_| Bar {
                        value: Some(20.0),
                        text: "20%".into(),
                    })
                    .collect();
            }
            let mut elements = vec![
                Element::Heading {
                    level: 2,
                    title: "满意度".into(),
                    outlined: true,
                    new_page: false,
                },
                Element::Paragraph(vec![survey_print::Inline::Text {
                    text: "本题为矩阵题。".into(),
                }]),
                Element::Figure(Box::new(f)),
            ];
            if part {
                elements.insert(
                    0,
                    Element::Part {
                        number: "02".into(),
                        title: "调查结果".into(),
                    },
                );
            }
            let d = Document {
                meta: Default::default(),
                elements,
            };
            document(&d)
                .text
                .contains("#block(sticky: true, width: 100%)[")
        };
        let lead_sticks = |style, categories, series| sticks_after(style, categories, series, true);
        assert!(lead_sticks(ChartStyle::StackedScale, 4, 5));
        assert!(lead_sticks(ChartStyle::Bars, 12, 1));
        assert!(!lead_sticks(ChartStyle::Bars, 14, 1));
        assert!(sticks_after(ChartStyle::Bars, 14, 1, false));
        // Grouped bars by the height they are drawn: 4 rows of 4 options (trial 46's 矩阵多选)
        // about 12 bars' height, 10 rows of 3 about 23; 4 rows of 5 (trial 47) about 15, which
        // go on with their sentence unless they open a part.
        assert!(lead_sticks(ChartStyle::GroupedBars, 4, 4));
        assert!(!lead_sticks(ChartStyle::GroupedBars, 10, 3));
        assert!(sticks_after(ChartStyle::GroupedBars, 4, 5, false));
    }

    #[test]
    fn columns_keep_their_scale_and_their_box_is_as_tall_as_the_tallest() {
        let drawn = |shares: &[f64]| {
            let names: Vec<(String, f64)> = shares
                .iter()
                .enumerate()
                .map(|(i, &v)| (format!("档{i}"), v))
                .collect();
            let mut f = bars("满意度", "柱形图", &names);
            f.style = ChartStyle::Columns;
            let mut doc = Doc::default();
            columns(&mut doc, &f)
        };
        // 46% of a 0–100% scale: 46% of 3.6 cm, and the labels' 0.7 cm.
        let half = drawn(&[2.4, 7.9, 25.3, 46.4, 18.1]);
        assert!(half.contains("rows: (2.37cm, auto)"), "{half}");
        assert!(half.contains("height: 46.400% * 3.6cm"), "{half}");
        assert!(drawn(&[92.0, 8.0]).contains("rows: (4.01cm, auto)"));
        // Never lower than a third of the full box.
        assert!(drawn(&[3.0, 2.0]).contains("rows: (1.78cm, auto)"));
    }

    #[test]
    fn outside_strings_only_enter_as_literals() {
        let mut t = PrintedTable::new(
            TableKind::Frequency,
            vec![
                Column::new("a", ColumnKind::Label),
                Column::new("95%置信区间", ColumnKind::Interval),
            ],
        );
        t.number = Some("1".into());
        t.caption = Some("]#panic()[".into());
        t.rows.push(PrintedRow::new(vec![
            Cell::text("#read(\"/etc/passwd\")"),
            Cell::text("#sys.exit()"),
        ]));
        let f = bars(
            "#read(\"/etc/passwd\")",
            "\")#panic(\"",
            &[("$x$ <l> @r".into(), 10.0)],
        );
        let d = Document {
            meta: Default::default(),
            elements: vec![Element::Table(Box::new(t)), Element::Figure(Box::new(f))],
        };
        let src = document(&d).text;
        assert!(src.contains(r##"[#"#sys.exit()"]"##), "{src}");
        assert!(src.contains(r##"[#"#read(\"/etc/passwd\")"]"##), "{src}");
        assert!(src.contains(r##"#"]#panic()["##), "{src}");
        assert!(src.contains(r##""\")#panic(\"""##), "{src}");
        assert!(src.contains(r##""$x$ <l> @r""##), "{src}");
    }
}
