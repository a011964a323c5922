//! Tables and charts as Typst, drawn with Typst's own primitives (grid, box, curve).

use crate::template::{BAR, PALETTE};
use crate::typst::Doc;

/// One row of a printed table or chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub count: u64,
    /// Percentage as printed, e.g. `29.17%`.
    pub percent: String,
    /// The unrounded value the chart draws (a percent, or a count for count charts).
    pub value: f64,
}

/// A numbered table with its caption above.
pub struct Table<'a> {
    pub number: &'a str,
    pub caption: &'a str,
    /// Headers: label column, count column, percent column (`比例[N=720]`).
    pub headers: [&'a str; 3],
    pub rows: &'a [Row],
    /// A note printed under the table (bases, not shown, skipped).
    pub note: Option<&'a str>,
    /// An optional fourth column (e.g. a confidence interval): its header and one cell per row.
    pub extra: Option<(&'a str, &'a [String])>,
}

/// The `<tbl-…>` / `<fig-…>` label of a table or figure number. Numbers are checked by the
/// spec to hold only letters, digits, `.`, `_` and `-`, so the label is valid Typst syntax.
pub fn label_for(kind: &str, number: &str) -> String {
    debug_assert!(valid_number(number));
    format!("<{kind}-{number}>")
}

/// Whether a table or figure number can stand in a label.
pub fn valid_number(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Write a numbered frequency table.
pub fn table(doc: &mut Doc, t: &Table) {
    let number = doc.str(t.number);
    let caption = doc.str(t.caption);
    let mut headers: Vec<String> = t
        .headers
        .iter()
        .map(|h| format!("[#{}]", doc.str(h)))
        .collect();
    if let Some((h, _)) = t.extra {
        headers.push(format!("[#{}]", doc.str(h)));
    }
    let mut cells = String::new();
    for (i, r) in t.rows.iter().enumerate() {
        let l = doc.str(&r.label);
        let c = doc.str(&r.count.to_string());
        let p = doc.str(&r.percent);
        cells.push_str(&format!("    [#{l}], [#{c}], [#{p}],"));
        if let Some((_, extra)) = t.extra {
            let e = doc.str(extra.get(i).map(String::as_str).unwrap_or("—"));
            cells.push_str(&format!(" [#{e}],"));
        }
        cells.push('\n');
    }
    let (columns, align) = if t.extra.is_some() {
        (
            "(1fr, auto, auto, auto)",
            "(left + horizon, right + horizon, right + horizon, right + horizon)",
        )
    } else {
        (
            "(1fr, auto, auto)",
            "(left + horizon, right + horizon, right + horizon)",
        )
    };
    doc.line(&format!(
        "#numbered(table, [#\"表\"], {number}, [#{caption}], table(\n  columns: {columns},\n  align: {align},\n  table.header({}),\n{cells})){}",
        headers.join(", "),
        label_for("tbl", t.number)
    ));
    if let Some(n) = t.note {
        // A short base note sits under the numbers; one that runs past a line reads from the left.
        let side = if n.chars().count() > 50 {
            "left"
        } else {
            "right"
        };
        let n = doc.str(n);
        doc.line(&format!("#block(above: -0.9em, below: 1.2em, width: 100%, align({side}, text(font: sans, size: 7.5pt, fill: luma(110), {n})))"));
    }
}

/// Chart styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartStyle {
    /// Horizontal bars with labels on the left: multiple choice and long labels.
    Bars,
    /// Vertical columns: short ordered scales.
    Columns,
    /// A ring divided by share: short single choice.
    Donut,
}

/// A numbered chart with its caption below.
pub struct Chart<'a> {
    pub number: &'a str,
    pub caption: &'a str,
    /// Title printed above the chart (the question), optional.
    pub title: Option<&'a str>,
    pub style: ChartStyle,
    pub rows: &'a [Row],
    /// The values are percentages (axis in %) rather than counts.
    pub percent_axis: bool,
    /// A note under the chart (base).
    pub note: Option<&'a str>,
}

/// A round axis maximum at or above `max`: 1, 2, 2.5, 5 × 10^k.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= max - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

fn axis_label(v: f64, percent: bool) -> String {
    let s = if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    };
    if percent { format!("{s}%") } else { s }
}

/// Write a numbered chart.
pub fn chart(doc: &mut Doc, c: &Chart) {
    let number = doc.str(c.number);
    let caption = doc.str(c.caption);
    let body = match c.style {
        ChartStyle::Bars => bars(doc, c),
        ChartStyle::Columns => columns(doc, c),
        ChartStyle::Donut => donut(doc, c),
    };
    let title = match c.title {
        Some(t) => {
            let t = doc.str(t);
            format!(
                "align(center, block(below: 0.8em, text(font: sans, size: 9.5pt, weight: \"bold\", {t}))),"
            )
        }
        None => String::new(),
    };
    let note = match c.note {
        Some(n) => {
            let n = doc.str(n);
            format!("align(right, text(font: sans, size: 7.5pt, fill: luma(110), {n})),")
        }
        None => String::new(),
    };
    doc.line(&format!(
        "#numbered(image, [#\"图\"], {number}, [#{caption}], block(width: 100%, inset: (x: 4pt, y: 8pt), stroke: 0.4pt + luma(215), radius: 2pt, {{\n  set text(font: sans, size: 8pt)\n  stack(dir: ttb, spacing: 0.5em, {title}\n{body},\n{note})\n}})){}",
        label_for("fig", c.number)
    ));
}

fn bars(doc: &mut Doc, c: &Chart) -> String {
    let max = nice_max(c.rows.iter().map(|r| r.value).fold(0.0, f64::max));
    let mut cells = String::new();
    for r in c.rows {
        let l = doc.str(&r.label);
        let shown = if c.percent_axis {
            r.percent.clone()
        } else {
            r.count.to_string()
        };
        let v = doc.str(&shown);
        // Bars take the left 84% of their column, leaving room for the value after the longest.
        let w = (r.value / max * 84.0).clamp(0.0, 84.0);
        cells.push_str(&format!(
            "    text(size: 8pt, {l}), [#box(width: {w:.3}%, height: 9pt, fill: rgb(\"{BAR}\"), baseline: 1.5pt)#h(3pt)#text(size: 7.5pt, {v})],\n"
        ));
    }
    let ticks: Vec<String> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|f| {
            let s = doc.str(&axis_label(max * f, c.percent_axis));
            format!("place(dx: {:.1}%, dy: 0pt, move(dx: -1em, box(width: 2em, align(center, text(size: 6.5pt, fill: luma(110), {s})))))", f * 84.0)
        })
        .collect();
    format!(
        "  grid(columns: (34%, 1fr), column-gutter: 8pt, row-gutter: 4.5pt, align: (right + horizon, left + horizon),\n{cells}    [], block(width: 100%, height: 1.1em, {{ place(line(length: 84%, stroke: 0.4pt + luma(160))); {} }})\n  )",
        ticks.join("; ")
    )
}

fn columns(doc: &mut Doc, c: &Chart) -> String {
    let max = nice_max(c.rows.iter().map(|r| r.value).fold(0.0, f64::max));
    let n = c.rows.len().max(1);
    let mut bars = String::new();
    let mut labels = String::new();
    for r in c.rows {
        let shown = if c.percent_axis {
            r.percent.clone()
        } else {
            r.count.to_string()
        };
        let v = doc.str(&shown);
        let h = (r.value / max * 100.0).clamp(0.0, 100.0);
        bars.push_str(&format!(
            "    align(center + bottom, stack(dir: ttb, spacing: 3pt, text(size: 7.5pt, {v}), box(width: 60%, height: {h:.3}% * 3.6cm, fill: rgb(\"{BAR}\")))),\n"
        ));
        let l = doc.str(&r.label);
        labels.push_str(&format!(
            "    align(center + top, text(size: 7.5pt, {l})),\n"
        ));
    }
    format!(
        "  grid(columns: ({}), rows: (4.3cm, auto), row-gutter: 4pt, column-gutter: 4pt,\n{bars}{labels}  )",
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

fn donut(doc: &mut Doc, c: &Chart) -> String {
    let total: f64 = c.rows.iter().map(|r| r.value).sum();
    let (size, r_out, r_in) = (120.0, 58.0, 34.0);
    let mut shapes = String::new();
    let mut a = 0.0f64;
    for (i, r) in c.rows.iter().enumerate() {
        if total <= 0.0 || r.value <= 0.0 {
            continue;
        }
        let sweep = r.value / total * std::f64::consts::TAU;
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
    for (i, r) in c.rows.iter().enumerate() {
        let l = doc.str(&r.label);
        let v = doc.str(&format!("{}（{}）", r.count, r.percent));
        legend.push_str(&format!(
            "      box(width: 8pt, height: 8pt, fill: rgb(\"{}\")), text(size: 8pt, {l}), text(size: 8pt, {v}),\n",
            PALETTE[i % PALETTE.len()]
        ));
    }
    format!(
        "  align(center, grid(columns: (auto, auto), column-gutter: 1.2cm, align: horizon,\n    box(width: {size}pt, height: {size}pt, {{\n{shapes}    }}),\n    grid(columns: (auto, auto, auto), column-gutter: 6pt, row-gutter: 6pt, align: (horizon, left + horizon, right + horizon),\n{legend}    )\n  ))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(86.53), 100.0);
        assert_eq!(nice_max(47.16), 50.0);
        assert_eq!(nice_max(22.0), 25.0);
        assert_eq!(nice_max(98.0), 100.0);
        assert_eq!(nice_max(0.0), 1.0);
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

    #[test]
    fn outside_strings_only_enter_as_literals() {
        let mut doc = Doc::new();
        let rows = vec![Row {
            label: "#read(\"/etc/passwd\")".into(),
            count: 1,
            percent: "100.00%".into(),
            value: 100.0,
        }];
        table(
            &mut doc,
            &Table {
                number: "1",
                caption: "]#panic()[",
                headers: ["a", "b", "c"],
                rows: &rows,
                note: None,
                extra: Some(("95%置信区间", &["#sys.exit()".to_owned()])),
            },
        );
        let src = doc.source();
        assert!(src.contains(r##"[#"#sys.exit()"]"##), "{src}");
        assert!(src.contains(r##"[#"#read(\"/etc/passwd\")"]"##), "{src}");
        assert!(src.contains(r##"[#"]#panic()["]"##), "{src}");
    }
}
