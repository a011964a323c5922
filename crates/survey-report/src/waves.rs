//! Earlier survey waves declared in the spec (`[[waves]]`): the crosswalk that links their
//! questions and options to this wave's, checked against both questionnaires, and the earlier
//! counts, read from the earlier wave's respondents (a dataset of this report) or from its
//! published tables alone (a transcription in the `survey-published` form, or a report's own
//! `tables.json`). Also the change of one option between the waves, which the `trend` block
//! prints and `{trend.…}` references quote.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_aggregate::RowOrder;
use survey_print::{CellValue, ColumnKind, TableKind, TablesFile};
use survey_schema::{Index, Links, OptionLink, check_crosswalk, parse_questionnaire};
use survey_stats::change::{Difference, newcombe_with, prop_test};

use crate::ReportError;
use crate::dataset::Dataset;
use crate::folder::Folder;

/// `[[waves]]` in `report.toml`: an earlier survey this one is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaveDecl {
    /// Name blocks and references use (`2025`).
    pub name: String,
    /// How the wave is printed in headers and charts (`2025年`).
    pub label: String,
    /// How this wave is printed; the report's year when absent.
    #[serde(default)]
    pub current_label: Option<String>,
    /// This wave's dataset; the report's default when absent.
    #[serde(default)]
    pub dataset: Option<String>,
    /// The crosswalk file linking the earlier questionnaire to this wave's.
    pub crosswalk: String,
    /// The earlier wave's respondents: a dataset declared in this spec.
    #[serde(default)]
    pub earlier_dataset: Option<String>,
    /// The earlier wave's published tables, when its respondents are not at hand.
    #[serde(default)]
    pub published: Option<String>,
    /// The earlier questionnaire (with `published`; a dataset brings its own).
    #[serde(default)]
    pub questionnaire: Option<String>,
    /// In a transcription of several questionnaires, the one this wave is (`main`).
    #[serde(default)]
    pub part: Option<String>,
}

/// An earlier wave's counts of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierCounts {
    /// Respondents the question was put to who answered it.
    pub base: u64,
    /// Per earlier option code.
    pub counts: IndexMap<String, u64>,
}

/// Where an earlier wave's counts come from.
#[derive(Debug, Clone)]
enum Source {
    /// A dataset of this report.
    Dataset(String),
    /// Published tables, by earlier question id.
    Published(IndexMap<String, EarlierCounts>),
}

/// An earlier wave, loaded and checked.
#[derive(Debug, Clone)]
pub struct Wave {
    pub name: String,
    pub label: String,
    pub current_label: String,
    /// This wave's dataset.
    pub dataset: String,
    pub earlier: Index,
    pub links: Links,
    source: Source,
    /// Where the earlier counts come from, for notes: `已公布的表格` or the dataset.
    pub source_note: String,
}

impl Wave {
    /// The dataset of this report the earlier wave is read from, if it is one.
    pub fn earlier_dataset(&self) -> Option<&str> {
        match &self.source {
            Source::Dataset(name) => Some(name),
            Source::Published(_) => None,
        }
    }

    /// The earlier counts of the question that `question` (of this wave) compares with.
    pub fn earlier_counts(
        &self,
        question: &str,
        datasets: &IndexMap<String, Dataset>,
    ) -> Result<EarlierCounts, String> {
        let from = self.links.earlier(question).ok_or_else(|| {
            format!(
                "`{question}` has no counterpart in wave `{}` (the crosswalk marks it new or does not list it)",
                self.name
            )
        })?;
        match &self.source {
            Source::Published(tables) => tables.get(from).cloned().ok_or_else(|| {
                format!(
                    "the published tables of wave `{}` have no table of `{from}`",
                    self.name
                )
            }),
            Source::Dataset(name) => {
                let d = &datasets[name];
                let t = d
                    .aggregate
                    .frequency(&d.index, from, RowOrder::Questionnaire)
                    .map_err(|e| e.to_string())?;
                Ok(EarlierCounts {
                    base: t.base,
                    counts: t.rows.iter().map(|r| (r.code.clone(), r.count)).collect(),
                })
            }
        }
    }

    /// Whether the earlier question `question` compares with is a multiple choice: its merged
    /// options stand for who chose any of them, not for their sum.
    pub fn earlier_is_multiple(&self, question: &str) -> bool {
        self.links
            .earlier(question)
            .and_then(|from| self.earlier.get(from))
            .is_some_and(|q| !q.kind.is_single())
    }

    /// How many earlier respondents chose what `option` of this wave's `question` compares
    /// with: `None` when it compares with nothing. One earlier option gives its count; several
    /// merged options of a single-choice question give their sum, and of a multiple-choice
    /// question the respondents who chose any of them (read from the earlier respondents: a
    /// hospital that ticked both counts once; [`load`] refuses such a merge from published
    /// tables, which hold each option's count alone).
    pub fn earlier_count(
        &self,
        question: &str,
        option: &str,
        then: &EarlierCounts,
        datasets: &IndexMap<String, Dataset>,
    ) -> Result<Option<u64>, String> {
        let OptionLink::Earlier(list) = self.links.option(question, option) else {
            return Ok(None);
        };
        if list.len() < 2 || !self.earlier_is_multiple(question) {
            return Ok(Some(
                list.iter()
                    .map(|c| then.counts.get(*c).copied().unwrap_or(0))
                    .sum(),
            ));
        }
        let from = self.links.earlier(question).unwrap_or_default();
        let Source::Dataset(name) = &self.source else {
            return Err(merge_from_tables(question, option, from, &list));
        };
        let d = &datasets[name];
        let any = d
            .aggregate
            .any_of(&d.index, from, &list)
            .map_err(|e| e.to_string())?;
        Ok(Some(any.count))
    }

    /// The change of one option of this wave's `question` (unweighted): `None` when the option
    /// has nothing to compare with.
    pub fn change(
        &self,
        question: &str,
        option: &str,
        datasets: &IndexMap<String, Dataset>,
        settings: ChangeSettings,
    ) -> Result<Option<OptionChange>, String> {
        let d = &datasets[&self.dataset];
        let t = d
            .aggregate
            .frequency(&d.index, question, RowOrder::Questionnaire)
            .map_err(|e| e.to_string())?;
        let row = t
            .rows
            .iter()
            .find(|r| r.code == option)
            .ok_or_else(|| format!("`{question}` has no option `{option}`"))?;
        let then = self.earlier_counts(question, datasets)?;
        let Some(x_then) = self.earlier_count(question, option, &then, datasets)? else {
            return Ok(None);
        };
        Ok(Some(OptionChange::unweighted(
            (row.count, t.base),
            (x_then, then.base),
            settings,
        )))
    }
}

/// How changes are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeSettings {
    pub level: f64,
    /// Yates' continuity correction in the two-sample test.
    pub correct: bool,
}

impl Default for ChangeSettings {
    fn default() -> Self {
        ChangeSettings {
            level: 0.95,
            correct: false,
        }
    }
}

/// One option's change between the waves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionChange {
    /// Share now and then (0–1).
    pub now: f64,
    pub then: f64,
    /// now − then with its interval (0–1 scale).
    pub difference: Difference,
    /// The test's p-value; `None` when both shares are 0% or both 100%, so there is nothing to
    /// test (printed «—», never significant).
    pub p_value: Option<f64>,
    pub level: f64,
}

impl OptionChange {
    /// From counts (x, n) now and then: Newcombe's interval and R's `prop.test`.
    pub fn unweighted(now: (u64, u64), then: (u64, u64), s: ChangeSettings) -> OptionChange {
        let difference =
            newcombe_with(now.0, now.1, then.0, then.1, s.level, s.correct).unwrap_or(Difference {
                estimate: f64::NAN,
                lower: f64::NAN,
                upper: f64::NAN,
                level: s.level,
            });
        OptionChange {
            now: now.0 as f64 / now.1 as f64,
            then: then.0 as f64 / then.1 as f64,
            difference,
            // Both shares 0 or both 1: no change to test.
            p_value: prop_test(now.0, now.1, then.0, then.1, s.correct).map(|t| t.p_value),
            level: s.level,
        }
    }

    /// Whether the change is significant at the interval's level.
    pub fn significant(&self) -> bool {
        self.p_value.is_some_and(|p| p < 1.0 - self.level)
    }

    /// 上升/下降 with the size, or 基本持平 when the change is not significant.
    pub fn wording(&self) -> String {
        let pp = survey_print::fmt::number_f64(self.difference.estimate.abs() * 100.0, 1);
        if !self.significant() {
            "基本持平".into()
        } else if self.difference.estimate > 0.0 {
            format!("上升{pp}个百分点")
        } else {
            format!("下降{pp}个百分点")
        }
    }
}

/// A change in percentage points with one decimal: `+3.2`, `−1.5`, `0.0`.
pub fn signed_pp(d: f64) -> String {
    survey_print::fmt::signed(d * 100.0, 1)
}

/// An interval of a change in percentage points: `[−1.2, +5.3]`.
pub fn signed_interval(lower: f64, upper: f64) -> String {
    survey_print::fmt::signed_interval(lower * 100.0, upper * 100.0, 1)
}

/// Why merged options of a multiple-choice question cannot be compared from published tables.
fn merge_from_tables(question: &str, option: &str, from: &str, list: &[&str]) -> String {
    format!(
        "`{question}` option `{option}` merges the earlier options {} of the multiple-choice `{from}`: published tables give each option's count, not how many respondents chose any of them (a hospital may have chosen both); compare with the earlier respondents (`earlier_dataset`), or link the option to one earlier option, or to `[]` (not compared)",
        list.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The counts of every question in a transcription or a report's `tables.json`.
fn published_counts(
    text: &str,
    shown: &str,
    part: Option<&str>,
    earlier: &Index,
) -> Result<IndexMap<String, EarlierCounts>, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{shown}: line {} column {}: {e}", e.line(), e.column()))?;
    let mut out: IndexMap<String, EarlierCounts> = IndexMap::new();
    let mut insert = |q: String, c: EarlierCounts| -> Result<(), String> {
        if out.contains_key(&q) {
            return Err(format!(
                "{shown}: two tables of `{q}`; name the questionnaire with `part`"
            ));
        }
        out.insert(q, c);
        Ok(())
    };
    if value.get("report").is_some() {
        // A report's own tables.json: its frequency tables.
        let t: TablesFile = serde_json::from_value(value).map_err(|e| format!("{shown}: {e}"))?;
        let mut seen = std::collections::HashSet::new();
        for table in t.tables.iter().filter(|t| t.kind == TableKind::Frequency) {
            let [q] = table.questions.as_slice() else {
                continue;
            };
            let (Some(base), Some(col)) = (
                &table.base,
                table
                    .columns
                    .iter()
                    .position(|c| c.kind == ColumnKind::Count),
            ) else {
                continue;
            };
            let mut counts = IndexMap::new();
            for row in &table.rows {
                if let (Some(code), CellValue::Count { count }) = (&row.code, &row.cells[col].value)
                {
                    counts.insert(code.clone(), *count);
                }
            }
            // A question printed twice (a chart and a table) has the same counts: take the first.
            if earlier.get(q).is_some() && seen.insert(q.clone()) {
                insert(
                    q.clone(),
                    EarlierCounts {
                        base: base.n,
                        counts,
                    },
                )?;
            }
        }
    } else {
        let p: survey_published::Published =
            serde_json::from_value(value).map_err(|e| format!("{shown}: {e}"))?;
        for t in &p.tables {
            if part.is_some_and(|x| x != t.questionnaire) {
                continue;
            }
            if earlier.get(&t.question).is_none() {
                if part.is_some() {
                    return Err(format!(
                        "{shown}: table {} is of `{}`, which the earlier questionnaire does not have",
                        t.number, t.question
                    ));
                }
                continue;
            }
            insert(
                t.question.clone(),
                EarlierCounts {
                    base: t.base,
                    counts: t.rows.iter().map(|r| (r.option.clone(), r.count)).collect(),
                },
            )?;
        }
    }
    Ok(out)
}

/// Load and check every declared wave.
pub fn load(
    folder: &Folder,
    decls: &[WaveDecl],
    default_dataset: Option<&str>,
    year: &str,
    datasets: &IndexMap<String, Dataset>,
) -> Result<IndexMap<String, Wave>, ReportError> {
    let mut out = IndexMap::new();
    for w in decls {
        let err = |m: String| ReportError::Input(format!("wave `{}`: {m}", w.name));
        let dataset = w
            .dataset
            .as_deref()
            .or(default_dataset)
            .ok_or_else(|| err("the report declares no dataset".into()))?
            .to_owned();
        let current = &datasets
            .get(&dataset)
            .ok_or_else(|| err(format!("no dataset `{dataset}`")))?
            .index;
        let (earlier, source, source_note) = match (&w.earlier_dataset, &w.published) {
            (Some(name), None) => {
                let d = datasets.get(name).ok_or_else(|| {
                    err(format!(
                        "`earlier_dataset` names `{name}`, which the spec does not declare"
                    ))
                })?;
                (
                    d.index.clone(),
                    Source::Dataset(name.clone()),
                    format!("{}的答卷", w.label),
                )
            }
            (None, Some(file)) => {
                let qfile = w.questionnaire.as_ref().ok_or_else(|| {
                    err(
                        "with `published`, name the earlier questionnaire in `questionnaire`"
                            .into(),
                    )
                })?;
                let qtext = folder.read_text(qfile).map_err(ReportError::Input)?;
                let earlier = parse_questionnaire(&qtext, &folder.shown(qfile))
                    .map_err(|e| ReportError::Input(e.to_string()))?;
                let text = folder.read_text(file).map_err(ReportError::Input)?;
                let shown = folder.shown(file).display().to_string();
                let counts = published_counts(&text, &shown, w.part.as_deref(), &earlier)
                    .map_err(ReportError::Input)?;
                (
                    earlier,
                    Source::Published(counts),
                    format!("{}已公布的表格", w.label),
                )
            }
            _ => {
                return Err(err(
                    "give exactly one of `earlier_dataset` (its respondents) and `published` (its tables)".into(),
                ));
            }
        };
        let text = folder.read_text(&w.crosswalk).map_err(ReportError::Input)?;
        let shown = folder.shown(&w.crosswalk);
        let links = check_crosswalk(&text, &earlier, current).map_err(|errs| {
            ReportError::Input(
                errs.iter()
                    .map(|e| format!("{}:{}: {}", shown.display(), e.line, e.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
        let wave = Wave {
            name: w.name.clone(),
            label: w.label.clone(),
            current_label: w
                .current_label
                .clone()
                .unwrap_or_else(|| format!("{year}年")),
            dataset,
            earlier,
            links,
            source,
            source_note,
        };
        // Merged options of a multiple choice need the earlier respondents: say so now, not at
        // the first table that compares them.
        if matches!(wave.source, Source::Published(_)) {
            for q in current
                .questions()
                .iter()
                .filter(|q| wave.earlier_is_multiple(&q.id))
            {
                for o in q.kind.options() {
                    if let OptionLink::Earlier(list) = wave.links.option(&q.id, &o.code)
                        && list.len() > 1
                    {
                        let from = wave.links.earlier(&q.id).unwrap_or_default();
                        return Err(ReportError::Input(format!(
                            "{}: {}",
                            shown.display(),
                            merge_from_tables(&q.id, &o.code, from, &list)
                        )));
                    }
                }
            }
        }
        out.insert(w.name.clone(), wave);
    }
    Ok(out)
}

/// A parsed trend reference: `{trend.<question>.<option>.<what>}`, or
/// `{trend.<wave>.<question>.<option>.<what>}` when the report declares several waves.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRef {
    pub wave: String,
    pub question: String,
    pub option: String,
    pub what: TrendFigure,
}

/// What a trend reference prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendFigure {
    /// +3.2 (percentage points).
    Diff,
    /// [−1.2, +5.3].
    Interval,
    P,
    /// 上升3.2个百分点 / 下降… / 基本持平.
    Change,
    Now,
    Then,
}

impl TrendFigure {
    fn parse(s: &str) -> Result<TrendFigure, String> {
        Ok(match s {
            "diff" => TrendFigure::Diff,
            "ci" => TrendFigure::Interval,
            "p" => TrendFigure::P,
            "change" => TrendFigure::Change,
            "now" => TrendFigure::Now,
            "then" => TrendFigure::Then,
            other => {
                return Err(format!(
                    "unknown trend figure `{other}`; use diff, ci, p, change, now or then"
                ));
            }
        })
    }

    /// The figure of one change, as printed.
    pub fn of(self, c: &OptionChange) -> String {
        match self {
            TrendFigure::Diff => signed_pp(c.difference.estimate),
            TrendFigure::Interval => signed_interval(c.difference.lower, c.difference.upper),
            TrendFigure::P => c
                .p_value
                .map_or_else(|| "—".to_owned(), survey_print::fmt::p_value),
            TrendFigure::Change => c.wording(),
            TrendFigure::Now => survey_print::fmt::percent_f64(c.now * 100.0, 1),
            TrendFigure::Then => survey_print::fmt::percent_f64(c.then * 100.0, 1),
        }
    }
}

/// Read a trend reference, checking the wave it names.
pub fn parse_trend(expr: &str, waves: &IndexMap<String, Wave>) -> Result<TrendRef, String> {
    let parts: Vec<&str> = expr.trim().split('.').collect();
    let (wave, rest) = match parts.as_slice() {
        [_, w, rest @ ..] if waves.contains_key(*w) && rest.len() == 3 => (&waves[*w], rest),
        [_, rest @ ..] if rest.len() == 3 => match waves.len() {
            0 => return Err("the spec declares no [[waves]] to compare with".into()),
            1 => (&waves[0], rest),
            _ => {
                return Err(format!(
                    "several waves are declared; name one: {{trend.<wave>.{}}}, wave one of {}",
                    rest.join("."),
                    waves
                        .keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        },
        _ => {
            return Err(
                "a trend reference is written {trend.<question>.<option>.<diff|ci|p|change|now|then>}"
                    .into(),
            );
        }
    };
    let [q, o, what] = rest else {
        unreachable!("three parts")
    };
    Ok(TrendRef {
        wave: wave.name.clone(),
        question: (*q).to_owned(),
        option: (*o).to_owned(),
        what: TrendFigure::parse(what)?,
    })
}

/// The change a trend reference names, computed unweighted with the default settings (95%,
/// no continuity correction): what the reference prints when the report has no `@trend`
/// block for its question and wave. With one, the builder prints the block's own figures.
pub fn resolve_trend(
    r: &TrendRef,
    waves: &IndexMap<String, Wave>,
    datasets: &IndexMap<String, Dataset>,
) -> Result<OptionChange, String> {
    let wave = &waves[&r.wave];
    wave.change(&r.question, &r.option, datasets, ChangeSettings::default())?
        .ok_or_else(|| {
            format!(
                "`{}`.`{}` has nothing to compare with in wave `{}` (new, or split from an earlier option); for its share now write `{{{}.{}.{}.pct1}}` (one decimal, as the comparison tables print it; `.pct` gives two)",
                r.question, r.option, wave.name, wave.dataset, r.question, r.option
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_test_when_both_waves_are_zero_or_all() {
        for (now, then) in [((0, 120), (0, 95)), ((120, 120), (95, 95))] {
            let c = OptionChange::unweighted(now, then, ChangeSettings::default());
            assert_eq!(c.p_value, None, "{now:?} against {then:?}");
            assert!(!c.significant());
            assert_eq!(c.wording(), "基本持平");
            assert_eq!(TrendFigure::P.of(&c), "—");
        }
        // One share apart from zero is tested as R's prop.test does: 5/120 against 0/95.
        let c = OptionChange::unweighted((5, 120), (0, 95), ChangeSettings::default());
        let p = c.p_value.expect("a test");
        assert!((p - 0.044_103_91).abs() < 1e-7, "{p}");
    }
}
