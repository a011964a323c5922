//! The audit of a publication, run on the report's datasets, and the block that prints it as
//! an appendix (数据核对说明).

use indexmap::IndexMap;
use serde::Deserialize;
use survey_aggregate::RowOrder;
use survey_audit::{Area, Audit, Computed};
use survey_published::{Claims, Published};

use survey_print::{
    Cell, Column, ColumnKind, Element, Inline, PrintedRow, PrintedTable, TableKind,
};

use crate::block::{Block, Context};
use crate::dataset::Dataset;
use crate::folder::Folder;
use crate::spec::AuditDecl;

/// Counts and funnels of the loaded datasets, for the audit.
pub fn computed(datasets: &IndexMap<String, Dataset>) -> Computed {
    let mut c = Computed::default();
    for (name, d) in datasets {
        c.funnel.insert(
            name.clone(),
            (d.cleaning.funnel.collected, d.cleaning.funnel.valid),
        );
        for q in d
            .index
            .questions()
            .iter()
            .filter(|q| q.kind.is_choice() && !q.identifying)
        {
            if let Ok(t) = d
                .aggregate
                .frequency(&d.index, &q.id, RowOrder::Questionnaire)
            {
                c.tables.insert(
                    (name.clone(), q.id.clone()),
                    (
                        t.base,
                        t.rows.iter().map(|r| (r.code.clone(), r.count)).collect(),
                    ),
                );
            }
        }
    }
    c
}

/// Audit the publication the spec names (`[audit]`: its tables and, if given, its claims)
/// against itself and the datasets. Runs once per build; the `audit` block prints the result.
pub fn run(
    folder: &Folder,
    decl: &AuditDecl,
    datasets: &IndexMap<String, Dataset>,
) -> Result<Audit, String> {
    let real = folder.resolve(&decl.tables)?;
    folder.record(&decl.tables, &real)?;
    let published = Published::load(&real).map_err(|e| e.to_string())?;
    let claims = match &decl.claims {
        Some(c) => {
            let real = folder.resolve(c)?;
            folder.record(c, &real)?;
            Some(Claims::load(&real).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let questionnaires: IndexMap<String, survey_schema::Index> = datasets
        .iter()
        .map(|(n, d)| (n.clone(), d.index.clone()))
        .collect();
    let problems = published.check(&questionnaires);
    if !problems.is_empty() {
        return Err(format!(
            "{} does not fit the questionnaires:\n  - {}",
            folder.shown(&decl.tables).display(),
            problems.join("\n  - ")
        ));
    }
    Ok(survey_audit::audit(
        &published,
        claims.as_ref(),
        &questionnaires,
        Some(&computed(datasets)),
    ))
}

/// The audit as an appendix; the publication it audits is the spec's `[audit]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditBlock {}

impl Block for AuditBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let audit = cx
            .audit
            .ok_or("an `audit` block prints the audit of the publication named by `[audit]` in report.toml, and the spec has none")?;
        let ck = &audit.checked;
        let by_area = |a: Area| audit.findings.iter().filter(|f| f.area == a).count();
        let causes: Vec<String> = audit
            .by_cause()
            .iter()
            .map(|(c, n)| format!("{}{}处", c.zh(), n))
            .collect();
        let intro = format!(
            "本附录由工具包自动核对已发表报告：逐项复算{}张表共{}行的比例，核对正文中的{}处数字（其中{}处引自调查以外的资料，不作核对），并与本版根据答卷数据计算的结果比对。共发现{}处出入：发表版内部不一致{}处，与数据计算结果不一致{}处，排版问题{}处。按可能原因分：{}。本版各表的比例均由人数与基数直接计算，因此不重复这些出入。",
            ck.tables,
            ck.rows,
            ck.claims,
            ck.external_claims,
            audit.findings.len(),
            by_area(Area::Publication),
            by_area(Area::Data),
            by_area(Area::Presentation),
            if causes.is_empty() {
                "无".to_owned()
            } else {
                causes.join("，")
            }
        );
        cx.push(Element::Paragraph(vec![Inline::text(intro)]));
        // A cell the publication gets wrong against its own counts is wrong against the data
        // in the same way: list it once.
        let listed: std::collections::HashSet<&str> = audit
            .findings
            .iter()
            .filter(|f| f.area == Area::Publication)
            .map(|f| f.location.as_str())
            .collect();
        for (area, title) in [
            (Area::Publication, "发表版内部核对"),
            (Area::Data, "与答卷数据比对"),
            (Area::Presentation, "排版与引用"),
        ] {
            let all: Vec<&survey_audit::Finding> =
                audit.findings.iter().filter(|f| f.area == area).collect();
            let found: Vec<&survey_audit::Finding> = all
                .iter()
                .copied()
                .filter(|f| area != Area::Data || !listed.contains(f.location.as_str()))
                .collect();
            if all.is_empty() {
                continue;
            }
            cx.push(Element::Heading {
                level: 3,
                title: title.to_owned(),
                outlined: false,
                new_page: false,
            });
            let repeated = all.len() - found.len();
            if repeated > 0 {
                // «8处出入中，8处即…» reads awkwardly when they all are (editor's read).
                let which = if found.is_empty() {
                    format!("与答卷数据比对的{repeated}处出入均为")
                } else {
                    format!("与答卷数据比对的{}处出入中，{repeated}处为", all.len())
                };
                cx.push(Element::Paragraph(vec![Inline::text(format!(
                    "{which}上表所列发表版内部不一致的单元格，数据复算值与上表相同，不再重复列出{}",
                    if found.is_empty() {
                        "。"
                    } else {
                        "；其余如下。"
                    }
                ))]));
            }
            if found.is_empty() {
                continue;
            }
            let rows = found
                .iter()
                .map(|f| {
                    PrintedRow::new(vec![
                        Cell::text(printed_location(&f.location)),
                        Cell::text(&f.published),
                        Cell::text(&f.recomputed),
                        Cell::text(f.cause.zh()),
                    ])
                })
                .collect();
            let t = PrintedTable {
                rows,
                compact: true,
                ..PrintedTable::new(
                    TableKind::Audit,
                    vec![
                        Column::new("位置", ColumnKind::Label),
                        Column::new("发表值", ColumnKind::Text),
                        Column::new("复算值", ColumnKind::Text),
                        Column::new("可能原因", ColumnKind::Text),
                    ],
                )
            };
            cx.push(Element::Table(Box::new(t)));
        }
        Ok(())
    }
}

/// A location as a Chinese reader expects it: the publication's table, or the part of its text,
/// with quotations in “”. Transcription line numbers (`seed line 865`) refer to a file the
/// reader does not have and are left out: `seed line 865 (03 AI赋能…) «…»` → `“03 AI赋能…”部分：“…”`.
fn printed_location(loc: &str) -> String {
    let quoted = |s: &str| s.replace('«', "“").replace('»', "”");
    let Some(rest) = loc.strip_prefix("seed line ") else {
        return quoted(loc);
    };
    let rest = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((section, text)) => {
            let text = text.trim();
            if text.is_empty() {
                format!("“{section}”部分")
            } else {
                format!("“{section}”部分：{}", quoted(text))
            }
        }
        None if rest.is_empty() => "正文".into(),
        None => format!("正文：{}", quoted(rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::printed_location;

    #[test]
    fn locations_cite_parts_not_lines() {
        assert_eq!(
            printed_location("seed line 865 (03 AI赋能医院数据安全调查发现) «27.84%的医疗机构»"),
            "“03 AI赋能医院数据安全调查发现”部分：“27.84%的医疗机构”"
        );
        assert_eq!(printed_location("表3.5.3 «其他»"), "表3.5.3 “其他”");
    }
}
