//! The audit of a publication, run on the report's datasets, and the block that prints it as
//! an appendix (数据核对说明).

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use survey_aggregate::RowOrder;
use survey_audit::{Area, Audit, Computed};
use survey_published::{Claims, Published};

use crate::block::{Block, Context};
use crate::dataset::Dataset;

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

/// Audit the publication transcribed in a report folder (`published/tables.json` and, if
/// present, `published/claims.json`) against itself and the datasets.
pub fn run(
    dir: &Path,
    tables: &str,
    claims: Option<&str>,
    datasets: &IndexMap<String, Dataset>,
) -> Result<Audit, String> {
    let published = Published::load(&dir.join(tables)).map_err(|e| e.to_string())?;
    let claims = match claims {
        Some(c) => Some(Claims::load(&dir.join(c)).map_err(|e| e.to_string())?),
        None => None,
    };
    let questionnaires: IndexMap<String, survey_schema::Index> = datasets
        .iter()
        .map(|(n, d)| (n.clone(), d.index.clone()))
        .collect();
    let problems = published.check(&questionnaires);
    if !problems.is_empty() {
        return Err(format!(
            "{tables} does not fit the questionnaires:\n  - {}",
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

fn default_tables() -> String {
    "published/tables.json".into()
}

/// The audit as an appendix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditBlock {
    #[serde(default = "default_tables")]
    pub tables: String,
    #[serde(default)]
    pub claims: Option<String>,
}

impl Block for AuditBlock {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let audit = run(cx.dir, &self.tables, self.claims.as_deref(), cx.datasets)?;
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
        let t = cx.doc.str(&intro);
        cx.doc.line(&format!("#par({t})"));
        for (area, title) in [
            (Area::Publication, "发表版内部核对"),
            (Area::Data, "与答卷数据比对"),
            (Area::Presentation, "排版与引用"),
        ] {
            let rows: Vec<&survey_audit::Finding> =
                audit.findings.iter().filter(|f| f.area == area).collect();
            if rows.is_empty() {
                continue;
            }
            let h = cx.doc.str(title);
            cx.doc
                .line(&format!("#heading(level: 3, outlined: false, {h})"));
            let mut cells = Vec::new();
            for f in rows {
                let location = printed_location(&f.location);
                for v in [
                    location.as_str(),
                    f.published.as_str(),
                    f.recomputed.as_str(),
                    f.cause.zh(),
                ] {
                    cells.push(format!("[#{}]", cx.doc.str(v)));
                }
            }
            let hh: Vec<String> = ["位置", "发表值", "复算值", "可能原因"]
                .iter()
                .map(|x| format!("[#{}]", cx.doc.str(x)))
                .collect();
            cx.doc.line(&format!(
                "#block(breakable: true, {{ set text(size: 7.5pt); table(columns: (34%, 1fr, 1fr, 24%), align: (left + horizon, right + horizon, right + horizon, left + horizon), table.header({}), {}) }})",
                hh.join(", "),
                cells.join(", ")
            ));
        }
        Ok(())
    }
}

/// A transcription citation as a Chinese reader expects it: `seed line 865 (03 …) «…»` →
/// `原文第865行（03 …）«…»`.
fn printed_location(loc: &str) -> String {
    let Some(rest) = loc.strip_prefix("seed line ") else {
        return loc.to_owned();
    };
    let (line, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let rest = rest.replacen('(', "（", 1).replacen(')', "）", 1);
    format!("原文第{line}行{rest}")
}
