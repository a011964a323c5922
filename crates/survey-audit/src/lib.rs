//! # survey-audit
//!
//! Survey reports are typeset by hand from spreadsheets, and errors slip in. This crate checks a
//! publication (its transcription, `survey-published`):
//!
//! * **against itself**: each printed percentage against its count and base at the printed
//!   precision; single-choice counts against the base; each narrative claim against its table;
//! * **against the data**: each printed count and percentage against the counts computed from
//!   respondent data, and the claims the tables cannot check (province counts, the funnel);
//! * **for presentation defects**: ordinal scales printed out of order, repeated or doubled
//!   cross-references.
//!
//! Each finding carries its location, the printed value, the recomputed value and the likeliest
//! cause (rounding forced to total 100%, a count and percentage off by one, transposed digits,
//! a sum of rounded parts, another base, order). The crate is a side tool: it reads the
//! publication, the questionnaires and computed counts, and nothing in the flow depends on it.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_print::fmt::percent_number;
use survey_published::{ClaimKind, Claims, Published, PublishedTable};
use survey_schema::{Index, QuestionKind};

/// Which comparison found it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// The publication against itself.
    Publication,
    /// The publication against the respondent data.
    Data,
    /// How the publication presents its tables.
    Presentation,
}

/// The likeliest cause of a mismatch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// One percentage of a single-choice table nudged so that the column totals 100.00%.
    RoundingForcedToTotal,
    /// The percentage fits a count one more or one less than the count printed.
    OffByOne,
    /// Two adjacent digits swapped.
    TransposedDigits,
    /// A combined share written as the sum of the rounded parts, not computed from the counts.
    SumOfRoundedParts,
    /// The narrative repeats a table's printed value, which is itself wrong.
    RepeatsTableError,
    /// The percentage fits the count over a different base.
    OtherBase,
    /// An ordered scale printed out of its order.
    Order,
    /// The same table or figure named twice where two were meant.
    DuplicateReference,
    /// A word printed twice (表表).
    DoubledWord,
    /// Single-choice counts do not add up to the base.
    CountsDoNotSum,
    /// The options named as leading are not the leading ones.
    NotLeading,
    /// The respondent data give a different count.
    DataDiffer,
    /// No simple explanation fits.
    Unexplained,
}

impl Cause {
    /// The cause in words, for the report's appendix.
    pub fn zh(self) -> &'static str {
        match self {
            Cause::RoundingForcedToTotal => "为使合计为100%而调整了一项的舍入",
            Cause::OffByOne => "比例与相差1的人数相符（人数或比例录入差1）",
            Cause::TransposedDigits => "相邻数字颠倒",
            Cause::SumOfRoundedParts => "合计比例由各项舍入值相加得到，而非由合计人数计算",
            Cause::RepeatsTableError => "正文沿用了表中有误的比例",
            Cause::OtherBase => "比例按另一基数计算",
            Cause::Order => "有序量表未按量级顺序排列",
            Cause::DuplicateReference => "同一图表被引用两次（应为图与表各一）",
            Cause::DoubledWord => "文字重复",
            Cause::CountsDoNotSum => "单选题各项人数之和不等于基数",
            Cause::NotLeading => "所称前几位与表中排序不符",
            Cause::DataDiffer => "与答卷数据计算结果不一致",
            Cause::Unexplained => "原因不明",
        }
    }
}

/// One mismatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub area: Area,
    /// Where: `表3.5.3 «其他»`, or a claim's citation.
    pub location: String,
    /// What is compared, e.g. `percentage of 3 out of 176`.
    pub subject: String,
    pub published: String,
    pub recomputed: String,
    pub cause: Cause,
    /// The evidence for the cause, in words.
    pub explanation: String,
}

/// What was checked, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checked {
    pub tables: usize,
    pub rows: usize,
    pub claims: usize,
    /// Claims from outside the survey, listed but not checkable.
    pub external_claims: usize,
}

/// The result of an audit: `audit.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Audit {
    pub checked: Checked,
    pub findings: Vec<Finding>,
}

impl Audit {
    /// Findings per cause, in cause order.
    pub fn by_cause(&self) -> IndexMap<Cause, usize> {
        let mut m: IndexMap<Cause, usize> = IndexMap::new();
        for f in &self.findings {
            *m.entry(f.cause).or_insert(0) += 1;
        }
        m.sort_keys();
        m
    }

    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Audit)).expect("schema serialises")
    }
}

/// Counts computed from respondent data, for the comparison with the publication.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    /// (questionnaire, question) → (base, option code → count).
    pub tables: IndexMap<(String, String), (u64, IndexMap<String, u64>)>,
    /// questionnaire → (collected, valid).
    pub funnel: IndexMap<String, (u64, u64)>,
}

/// A printed percentage: its digits and its number of decimals. `55.42%` → ("55.42", 2).
fn parse_pct(s: &str) -> Option<(String, u32)> {
    let t = s.trim().trim_end_matches('%').trim();
    t.parse::<f64>().ok()?;
    let decimals = t.split_once('.').map(|(_, d)| d.len() as u32).unwrap_or(0);
    Some((t.to_owned(), decimals))
}

fn digits(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Whether `a` is `b` with two adjacent digits swapped.
fn transposed(a: &str, b: &str) -> bool {
    let (x, y) = (digits(a), digits(b));
    if x.len() != y.len() || x == y {
        return false;
    }
    let diff: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && x[diff[0]] == y[diff[1]]
        && x[diff[1]] == y[diff[0]]
}

fn as_f64(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

/// Explain why a printed percentage differs from `count / base`.
fn explain_pct(printed: &str, decimals: u32, count: u64, base: u64) -> (Cause, String) {
    for c in [count.saturating_sub(1), count + 1] {
        if c != count && percent_number(c, base, decimals).as_deref() == Some(printed) {
            return (
                Cause::OffByOne,
                format!("{printed}% is {c}/{base}, but the count printed is {count}"),
            );
        }
    }
    let right = percent_number(count, base, decimals).unwrap_or_default();
    if transposed(printed, &right) {
        return (
            Cause::TransposedDigits,
            format!("{printed} is {right} with two digits swapped"),
        );
    }
    let lo = (base as f64 * 0.85) as u64;
    let hi = (base as f64 * 1.15) as u64 + 1;
    let mut near: Vec<u64> = (lo.max(count.max(1))..=hi)
        .filter(|&b| b != base && percent_number(count, b, decimals).as_deref() == Some(printed))
        .collect();
    near.sort_by_key(|b| b.abs_diff(base));
    if let Some(&b) = near.first() {
        return (
            Cause::OtherBase,
            format!("{printed}% is {count}/{b}, not {count}/{base}"),
        );
    }
    (Cause::Unexplained, format!("{count}/{base} is {right}%"))
}

/// Audit a publication against itself and, when `computed` is given, against the data.
pub fn audit(
    published: &Published,
    claims: Option<&Claims>,
    questionnaires: &IndexMap<String, Index>,
    computed: Option<&Computed>,
) -> Audit {
    let mut out = Audit::default();
    for t in &published.tables {
        out.checked.tables += 1;
        out.checked.rows += t.rows.len();
        check_table(t, questionnaires, &mut out.findings);
        if let Some(c) = computed {
            check_table_against_data(
                t,
                c,
                is_single(questionnaires, t).unwrap_or(false),
                &mut out.findings,
            );
        }
    }
    if let Some(cl) = claims {
        for claim in &cl.claims {
            out.checked.claims += 1;
            if claim.kind == ClaimKind::External {
                out.checked.external_claims += 1;
                continue;
            }
            check_claim(
                claim,
                published,
                questionnaires,
                computed,
                &mut out.findings,
            );
        }
    }
    out
}

fn is_single(questionnaires: &IndexMap<String, Index>, t: &PublishedTable) -> Option<bool> {
    questionnaires
        .get(&t.questionnaire)?
        .get(&t.question)
        .map(|q| q.kind.is_single())
}

/// Explain a printed percentage of row `i` that differs from `count / base`, looking at the
/// whole table: a single-choice column that totals exactly 100.00% only because this one row
/// is nudged by one unit is rounding forced to the total.
fn explain_row(
    t: &PublishedTable,
    single: bool,
    i: usize,
    count: u64,
    base: u64,
) -> (Cause, String) {
    let (p, d) = parse_pct(&t.rows[i].percent).unwrap_or_default();
    let right = percent_number(count, base, d).unwrap_or_default();
    let wrong_rows = t
        .rows
        .iter()
        .filter(|r| {
            parse_pct(&r.percent)
                .is_some_and(|(x, dd)| Some(x) != percent_number(r.count, t.base, dd))
        })
        .count();
    let printed_total: f64 = t
        .rows
        .iter()
        .filter_map(|r| parse_pct(&r.percent))
        .map(|(x, _)| as_f64(&x))
        .sum();
    let right_total: f64 = t
        .rows
        .iter()
        .map(|r| as_f64(&percent_number(r.count, t.base, d).unwrap_or_default()))
        .sum();
    let unit = 10f64.powi(-(d as i32));
    if single
        && wrong_rows == 1
        && (printed_total - 100.0).abs() < 1e-6
        && (right_total - 100.0).abs() > 1e-6
        && (as_f64(&p) - as_f64(&right)).abs() < unit * 1.01
    {
        return (
            Cause::RoundingForcedToTotal,
            format!(
                "{right}% rounds correctly, but the column then totals {right_total:.2}%; printed {p}% makes it 100.00%"
            ),
        );
    }
    explain_pct(&p, d, count, base)
}

/// Sort key of a label as a spreadsheet sorts text: symbols, then digits and Latin letters
/// (character by character), then Chinese.
fn text_sort_key(label: &str) -> (u8, String) {
    let class = match label.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() => 1,
        Some(c) if (c as u32) >= 0x3400 => 2,
        _ => 0,
    };
    (class, label.to_owned())
}

fn check_table(
    t: &PublishedTable,
    questionnaires: &IndexMap<String, Index>,
    out: &mut Vec<Finding>,
) {
    let loc = |label: &str| format!("表{} «{label}»", t.number);
    let single = is_single(questionnaires, t).unwrap_or(false);
    // Counts against the base.
    let sum: u64 = t.rows.iter().map(|r| r.count).sum();
    if single && sum != t.base {
        out.push(Finding {
            area: Area::Publication,
            location: format!("表{}", t.number),
            subject: "sum of the counts of a single-choice table".into(),
            published: format!("N={}", t.base),
            recomputed: sum.to_string(),
            cause: Cause::CountsDoNotSum,
            explanation: format!("the counts add up to {sum}, the header says N={}", t.base),
        });
    }
    // Percentages against counts.
    for (i, r) in t.rows.iter().enumerate() {
        let Some((p, d)) = parse_pct(&r.percent) else {
            continue;
        };
        let right = percent_number(r.count, t.base, d).unwrap_or_default();
        if p != right {
            let (cause, explanation) = explain_row(t, single, i, r.count, t.base);
            out.push(Finding {
                area: Area::Publication,
                location: loc(&r.label),
                subject: format!("percentage of {} out of {}", r.count, t.base),
                published: r.percent.clone(),
                recomputed: format!("{right}%"),
                cause,
                explanation,
            });
        }
    }
    // An ordered scale printed out of order.
    if let Some(q) = questionnaires
        .get(&t.questionnaire)
        .and_then(|i| i.get(&t.question))
        && matches!(q.kind, QuestionKind::Ordinal { .. })
    {
        let printed: Vec<&str> = t.rows.iter().map(|r| r.option.as_str()).collect();
        let natural: Vec<&str> = q.kind.options().iter().map(|o| o.code.as_str()).collect();
        if printed != natural {
            let labels = |codes: &[&str]| {
                codes
                    .iter()
                    .map(|c| {
                        t.rows
                            .iter()
                            .find(|r| r.option == *c)
                            .map(|r| r.label.clone())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let sorted_as_text = {
                let mut l: Vec<&str> = t.rows.iter().map(|r| r.label.as_str()).collect();
                l.sort_by_key(|x| text_sort_key(x));
                l == t.rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>()
            };
            out.push(Finding {
                area: Area::Presentation,
                location: format!("表{}", t.number),
                subject: "row order of an ordered scale".into(),
                published: labels(&printed),
                recomputed: labels(&natural),
                cause: Cause::Order,
                explanation: if sorted_as_text {
                "the rows are sorted as text (symbols, then digits character by character, then Chinese), as a spreadsheet sorts labels".into()
            } else {
                "the rows are not in scale order".into()
            },
            });
        }
    }
}

fn check_table_against_data(
    t: &PublishedTable,
    c: &Computed,
    single: bool,
    out: &mut Vec<Finding>,
) {
    let Some((base, counts)) = c.tables.get(&(t.questionnaire.clone(), t.question.clone())) else {
        out.push(Finding {
            area: Area::Data,
            location: format!("表{}", t.number),
            subject: "table".into(),
            published: t.caption.clone(),
            recomputed: "(not computed)".into(),
            cause: Cause::DataDiffer,
            explanation: format!(
                "the data have no question `{}` in `{}`",
                t.question, t.questionnaire
            ),
        });
        return;
    };
    if *base != t.base {
        out.push(Finding {
            area: Area::Data,
            location: format!("表{}", t.number),
            subject: "base".into(),
            published: format!("N={}", t.base),
            recomputed: format!("N={base}"),
            cause: Cause::DataDiffer,
            explanation: "the data give a different number of respondents answering".into(),
        });
    }
    for (i, r) in t.rows.iter().enumerate() {
        let got = counts.get(&r.option).copied().unwrap_or(0);
        if got != r.count {
            out.push(Finding {
                area: Area::Data,
                location: format!("表{} «{}»", t.number, r.label),
                subject: "count".into(),
                published: r.count.to_string(),
                recomputed: got.to_string(),
                cause: Cause::DataDiffer,
                explanation: "the data give a different count".into(),
            });
            continue;
        }
        let Some((p, d)) = parse_pct(&r.percent) else {
            continue;
        };
        let right = percent_number(got, *base, d).unwrap_or_default();
        if p != right {
            let (cause, explanation) = explain_row(t, single, i, got, *base);
            out.push(Finding {
                area: Area::Data,
                location: format!("表{} «{}»", t.number, r.label),
                subject: format!("percentage computed from the data ({got}/{base})"),
                published: r.percent.clone(),
                recomputed: format!("{right}%"),
                cause,
                explanation,
            });
        }
    }
}

fn check_claim(
    claim: &survey_published::Claim,
    published: &Published,
    questionnaires: &IndexMap<String, Index>,
    computed: Option<&Computed>,
    out: &mut Vec<Finding>,
) {
    let loc = format!("{} «{}»", claim.cited_at, claim.text);
    let push = |out: &mut Vec<Finding>,
                area: Area,
                subject: String,
                recomputed: String,
                cause: Cause,
                explanation: String| {
        out.push(Finding {
            area,
            location: loc.clone(),
            subject,
            published: claim.value.clone(),
            recomputed,
            cause,
            explanation,
        });
    };
    let table = claim.table.as_deref().and_then(|n| published.table(n));
    fn chosen<'t>(
        t: &'t PublishedTable,
        options: &[String],
    ) -> Option<(u64, Vec<&'t survey_published::PublishedRow>)> {
        let rows: Vec<&survey_published::PublishedRow> = options
            .iter()
            .map(|o| t.rows.iter().find(|r| &r.option == o))
            .collect::<Option<_>>()?;
        Some((rows.iter().map(|r| r.count).sum(), rows))
    }
    match claim.kind {
        ClaimKind::Share
        | ClaimKind::Count
        | ClaimKind::ShareAbove
        | ClaimKind::Top
        | ClaimKind::Base => {
            let Some(t) = table else {
                push(
                    out,
                    Area::Publication,
                    "claim".into(),
                    "(no such table)".into(),
                    Cause::Unexplained,
                    format!(
                        "the claim names table {:?}, which the publication does not have",
                        claim.table
                    ),
                );
                return;
            };
            let Some((count, rows)) = chosen(t, &claim.options) else {
                push(
                    out,
                    Area::Publication,
                    "claim".into(),
                    "(no such option)".into(),
                    Cause::Unexplained,
                    format!(
                        "the claim names options {:?} not all in table {}",
                        claim.options, t.number
                    ),
                );
                return;
            };
            match claim.kind {
                ClaimKind::Count => {
                    if claim.value.trim() != count.to_string() {
                        push(
                            out,
                            Area::Publication,
                            format!("count in 表{}", t.number),
                            count.to_string(),
                            Cause::Unexplained,
                            format!("表{} gives {count}", t.number),
                        );
                    }
                }
                ClaimKind::Base => {
                    if claim.value.trim() != t.base.to_string() {
                        push(
                            out,
                            Area::Publication,
                            format!("base of 表{}", t.number),
                            t.base.to_string(),
                            Cause::Unexplained,
                            format!("表{} has N={}", t.number, t.base),
                        );
                    }
                }
                ClaimKind::ShareAbove => {
                    let limit = parse_pct(&claim.value)
                        .map(|(p, _)| as_f64(&p))
                        .unwrap_or(f64::NAN);
                    let share = count as f64 * 100.0 / t.base as f64;
                    if share.partial_cmp(&limit) != Some(std::cmp::Ordering::Greater) {
                        push(
                            out,
                            Area::Publication,
                            format!("share in 表{}", t.number),
                            format!("{share:.2}%"),
                            Cause::Unexplained,
                            format!("{count}/{} is not above {}", t.base, claim.value),
                        );
                    }
                }
                ClaimKind::Top => {
                    let pinned = |code: &str| {
                        questionnaires
                            .get(&t.questionnaire)
                            .and_then(|i| i.get(&t.question))
                            .and_then(|q| {
                                q.kind
                                    .options()
                                    .iter()
                                    .find(|o| o.code == code)
                                    .map(|o| o.is_pinned_last())
                            })
                            .unwrap_or(false)
                    };
                    let mut ranked: Vec<&survey_published::PublishedRow> =
                        t.rows.iter().filter(|r| !pinned(&r.option)).collect();
                    ranked.sort_by_key(|r| std::cmp::Reverse(r.count));
                    let leading: Vec<&str> = ranked
                        .iter()
                        .take(claim.options.len())
                        .map(|r| r.option.as_str())
                        .collect();
                    if leading != claim.options.iter().map(String::as_str).collect::<Vec<_>>() {
                        push(
                            out,
                            Area::Publication,
                            format!("leading options of 表{}", t.number),
                            leading.join(", "),
                            Cause::NotLeading,
                            format!("by count, 表{} leads with {}", t.number, leading.join(", ")),
                        );
                    }
                }
                _ => {
                    let Some((p, d)) = parse_pct(&claim.value) else {
                        return;
                    };
                    let right = percent_number(count, t.base, d).unwrap_or_default();
                    if p == right {
                        return;
                    }
                    let printed_parts: Vec<f64> = rows
                        .iter()
                        .filter_map(|r| parse_pct(&r.percent))
                        .map(|(x, _)| as_f64(&x))
                        .collect();
                    let parts_sum = printed_parts.iter().sum::<f64>();
                    let (cause, explanation) =
                        if rows.len() > 1 && (parts_sum - as_f64(&p)).abs() < 1e-6 {
                            (
                                Cause::SumOfRoundedParts,
                                format!(
                                    "{} = {p}%, but {count}/{} = {right}%",
                                    rows.iter()
                                        .map(|r| r.percent.clone())
                                        .collect::<Vec<_>>()
                                        .join(" + "),
                                    t.base
                                ),
                            )
                        } else if rows.len() == 1
                            && parse_pct(&rows[0].percent).map(|x| x.0) == Some(p.clone())
                        {
                            (
                                Cause::RepeatsTableError,
                                format!(
                                    "表{} prints {} for {}/{}, which is {right}%",
                                    t.number, rows[0].percent, count, t.base
                                ),
                            )
                        } else {
                            explain_pct(&p, d, count, t.base)
                        };
                    push(
                        out,
                        Area::Publication,
                        format!("share in 表{} ({count}/{})", t.number, t.base),
                        format!("{right}%"),
                        cause,
                        explanation,
                    );
                }
            }
        }
        ClaimKind::Collected | ClaimKind::Valid => {
            let q = claim.questionnaire.clone().unwrap_or_default();
            let map = if claim.kind == ClaimKind::Collected {
                &published.collected
            } else {
                &published.valid
            };
            if let Some(n) = map.get(&q)
                && claim.value.trim() != n.to_string()
            {
                push(
                    out,
                    Area::Publication,
                    format!("{:?} of {q}", claim.kind).to_lowercase(),
                    n.to_string(),
                    Cause::Unexplained,
                    "the publication states another figure elsewhere".into(),
                );
            }
            if let Some(c) = computed
                && let Some((col, val)) = c.funnel.get(&q)
            {
                let n = if claim.kind == ClaimKind::Collected {
                    col
                } else {
                    val
                };
                if claim.value.trim() != n.to_string() {
                    push(
                        out,
                        Area::Data,
                        format!("{:?} of {q}", claim.kind).to_lowercase(),
                        n.to_string(),
                        Cause::DataDiffer,
                        "the cleaning funnel of the data gives another figure".into(),
                    );
                }
            }
        }
        ClaimKind::OptionsAnswered | ClaimKind::OptionsWhere => {
            // Described only in words in the publication: checkable against the data alone.
            let (Some(c), Some(q), Some(qid)) = (
                computed,
                claim.questionnaire.as_ref(),
                claim.question.as_ref(),
            ) else {
                return;
            };
            let Some((_, counts)) = c.tables.get(&(q.clone(), qid.clone())) else {
                return;
            };
            let n = counts
                .values()
                .filter(|&&v| match claim.kind {
                    ClaimKind::OptionsAnswered => v > 0,
                    _ => claim.min.is_none_or(|m| v >= m) && claim.max.is_none_or(|m| v <= m),
                })
                .count();
            if claim.value.trim() != n.to_string() {
                push(
                    out,
                    Area::Data,
                    format!("options of `{qid}` in range"),
                    n.to_string(),
                    Cause::DataDiffer,
                    "the data give another number of options".into(),
                );
            }
        }
        ClaimKind::Reference => {
            let mut seen = Vec::new();
            for target in &claim.targets {
                let doubled = target
                    .chars()
                    .zip(target.chars().skip(1))
                    .any(|(a, b)| a == b && !a.is_ascii_digit() && a != '.' && a != '_');
                if doubled {
                    push(
                        out,
                        Area::Presentation,
                        "cross-reference".into(),
                        target.replacen("表表", "表", 1).replacen("图图", "图", 1),
                        Cause::DoubledWord,
                        format!("{target} repeats a character"),
                    );
                }
                if seen.contains(target) {
                    push(
                        out,
                        Area::Presentation,
                        "cross-reference".into(),
                        format!("{}，{}", target.replacen('表', "图", 1), target),
                        Cause::DuplicateReference,
                        format!("{target} is named twice; the figure beside it is likely meant"),
                    );
                }
                seen.push(target.clone());
            }
        }
        ClaimKind::External => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes() {
        assert!(transposed("18.74", "18.47"));
        assert!(!transposed("18.74", "18.74"));
        assert!(!transposed("18.74", "81.47"));
        assert_eq!(explain_pct("34.09", 2, 59, 176).0, Cause::OffByOne);
        assert_eq!(explain_pct("18.74", 2, 133, 720).0, Cause::TransposedDigits);
        let (c, why) = explain_pct("1.75", 2, 3, 176);
        assert_eq!(c, Cause::OtherBase, "{why}");
        assert!(why.contains("3/171"), "{why}");
        assert_eq!(parse_pct("57.5%"), Some(("57.5".into(), 1)));
        assert_eq!(parse_pct("60%"), Some(("60".into(), 0)));
    }
}
