//! Weights declared in the spec: bounded raking of a dataset's valid respondents to population
//! margins, the estimates made with them, and the summary every weighted report prints.

use std::collections::HashMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_print::{WeightingCategory, WeightingSummary, WeightingVariable};
use survey_schema::{Record, Value};
use survey_stats::design::{Class, Estimates, Flag, VarianceModel, ratios};
use survey_stats::weighting::{Calibration, MarginsSpec, Patterns, Settings, Variable, calibrate};

use crate::ReportError;
use crate::dataset::{Dataset, Records};

/// The most Newton steps raking may be asked for: it converges in tens.
const MAX_ITERATIONS: u32 = 10_000;

/// The largest population count a margin may give (far above any country's hospitals or
/// people, far below where sums overflow).
const MAX_MARGIN: f64 = 1e12;
use crate::folder::Folder;

/// `[[weights]]` in `report.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsDecl {
    /// Name blocks use to ask for these weights.
    pub name: String,
    /// What the report's notes call these weights (`全国医院级别结构`); `name` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub dataset: String,
    /// The margins file, e.g. `weights/national.margins.json`.
    pub margins: String,
    /// The variance weighted estimates get: `calibrated` (default; accounts for the raking, as
    /// R does for `calibrate()` and `rake()` designs) or `weighted` (the weights taken as fixed).
    #[serde(default)]
    pub variance: VarianceModel,
    /// Build the report with the weights reached even when raking cannot meet the margins
    /// within the bounds; the report then says so wherever the weights are used. Without it
    /// such a build fails.
    #[serde(default)]
    pub allow_unconverged: bool,
}

/// Raked weights of one dataset's valid respondents.
#[derive(Debug, Clone)]
pub struct WeightSet {
    pub name: String,
    /// As the notes print it: the declaration's `label`, else its name.
    pub label: String,
    pub dataset: String,
    pub spec: MarginsSpec,
    pub variance: VarianceModel,
    /// Positions of the raking questions in the dataset's index.
    pub positions: Vec<usize>,
    pub patterns: Patterns,
    pub calibration: Calibration,
}

impl WeightSet {
    /// The respondents weighted and what their weights add up to: their number when the
    /// margins are shares (weights average 1), the population when they are counts.
    pub fn total(&self) -> (u64, f64) {
        self.patterns
            .counts
            .iter()
            .enumerate()
            .fold((0u64, 0.0), |(n, t), (p, &c)| {
                (n + c, t + c as f64 * self.calibration.weight(p))
            })
    }

    /// Whether the weights average 1 (margins given as shares).
    pub fn average_one(&self) -> bool {
        let (n, total) = self.total();
        n == 0 || (total - n as f64).abs() <= 1e-6 * n as f64
    }

    /// The weight pattern of a respondent.
    pub fn pattern(&self, r: &Record) -> Option<usize> {
        let cats: Option<Vec<usize>> = self
            .positions
            .iter()
            .map(|&p| match r.values[p] {
                Value::Choice(c) => Some(c as usize),
                _ => None,
            })
            .collect();
        self.patterns.find(&cats?)
    }

    /// Ratio estimates over the dataset's respondents: `flags` says where a respondent stands
    /// for each of the `k` estimates. Respondents alike are grouped, so the work after the
    /// grouping does not grow with the number of records.
    pub fn estimates(
        &self,
        records: &Records,
        k: usize,
        flags: impl Fn(&Record) -> Vec<Flag>,
    ) -> Result<Estimates, String> {
        let mut groups: HashMap<(usize, Vec<Flag>), u64> = HashMap::new();
        let mut order: Vec<(usize, Vec<Flag>)> = Vec::new();
        records.each(|r| {
            let p = self
                .pattern(r)
                .expect("every raked respondent has a pattern");
            let key = (p, flags(r));
            let e = groups.entry(key.clone()).or_insert(0);
            if *e == 0 {
                order.push(key);
            }
            *e += 1;
        })?;
        let classes: Vec<Class> = order
            .into_iter()
            .map(|key| Class {
                count: groups[&key],
                weight: self.calibration.weight(key.0),
                pattern: key.0,
                flags: key.1,
            })
            .collect();
        Ok(ratios(&classes, k, self.variance, Some(&self.calibration)))
    }

    /// The weight pattern of each cell of a table of row question `ri` by column question `ci`,
    /// when the weights depend on those two questions alone (so every respondent of a cell
    /// has the same weight); `None` when they vary within cells. Cells no respondent has are
    /// `None`.
    pub fn per_cell(
        &self,
        ri: usize,
        ci: usize,
        nr: usize,
        nc: usize,
    ) -> Option<Vec<Vec<Option<usize>>>> {
        if !self.positions.iter().all(|&p| p == ri || p == ci) {
            return None;
        }
        Some(
            (0..nr)
                .map(|r| {
                    (0..nc)
                        .map(|c| {
                            let key: Vec<usize> = self
                                .positions
                                .iter()
                                .map(|&p| if p == ri { r } else { c })
                                .collect();
                            self.patterns.find(&key)
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// The summary printed in the report and written to `tables.json`.
    pub fn summary(&self, d: &Dataset) -> WeightingSummary {
        let c = &self.calibration;
        WeightingSummary {
            name: self.name.clone(),
            dataset: self.dataset.clone(),
            variables: c
                .shares
                .iter()
                .map(|m| {
                    let q = d.index.get(&m.variable);
                    WeightingVariable {
                        question: m.variable.clone(),
                        categories: m
                            .categories
                            .iter()
                            .map(|k| WeightingCategory {
                                code: k.code.clone(),
                                label: q
                                    .and_then(|q| {
                                        q.kind
                                            .options()
                                            .iter()
                                            .find(|o| o.code == k.code)
                                            .map(|o| o.label.zh.clone())
                                    })
                                    .unwrap_or_else(|| k.code.clone()),
                                target_share: k.target,
                                achieved_share: k.achieved,
                                sample_share: k.sample,
                            })
                            .collect(),
                    }
                })
                .collect(),
            kish_n: c.kish_n,
            deff: c.deff,
            trimmed: c.trimmed as usize,
            converged: c.converged,
            iterations: c.iterations as usize,
            bounds: self.spec.bounds.map(|[a, b]| (a, b)),
        }
    }
}

/// Rake every declared weight set.
pub fn compute(
    folder: &Folder,
    decls: &[WeightsDecl],
    datasets: &IndexMap<String, Dataset>,
) -> Result<IndexMap<String, WeightSet>, ReportError> {
    let mut out = IndexMap::new();
    for decl in decls {
        let path = folder.shown(&decl.margins);
        let err = |m: String| ReportError::Input(format!("{}: {m}", path.display()));
        let d = datasets.get(&decl.dataset).ok_or_else(|| {
            err(format!(
                "weights `{}` name dataset `{}`, which the spec does not declare",
                decl.name, decl.dataset
            ))
        })?;
        let text = folder
            .read_text(&decl.margins)
            .map_err(ReportError::Input)?;
        let spec: MarginsSpec = serde_json::from_str(&text)
            .map_err(|e| err(format!("line {} column {}: {e}", e.line(), e.column())))?;
        // Figures raking can work with (trial 38: shares of 7e307 overflowed and the build
        // spun for ever; max_iterations of 4e9 with epsilon 0 would run for hours).
        if !(spec.epsilon.is_finite() && spec.epsilon >= 0.0 && spec.epsilon <= 1.0) {
            return Err(err(format!(
                "`epsilon` is {}; give a tolerance from 0 to 1 (default 1e-7)",
                spec.epsilon
            )));
        }
        if !(1..=MAX_ITERATIONS).contains(&spec.max_iterations) {
            return Err(err(format!(
                "`max_iterations` is {}; give 1 to {MAX_ITERATIONS} (default 50)",
                spec.max_iterations
            )));
        }
        if let Some([lo, hi]) = spec.bounds
            && !(lo.is_finite() && hi.is_finite() && (0.0..1.0).contains(&lo) && hi > 1.0)
        {
            return Err(err(format!(
                "`bounds` are [{lo}, {hi}]; give a lower bound from 0 to below 1 and an upper bound above 1 (multiples of the mean weight, e.g. [0.3, 3.0])"
            )));
        }
        for (qid, targets) in &spec.margins {
            let total: f64 = targets.values().sum();
            if let Some((code, x)) = targets
                .iter()
                .find(|(_, x)| !(x.is_finite() && **x >= 0.0 && **x <= MAX_MARGIN))
            {
                return Err(err(format!(
                    "margin of `{qid}`: `{code}` is {}; give a share or a population count from 0 to {MAX_MARGIN:e}",
                    if x.abs() >= 1e6 {
                        format!("{x:e}")
                    } else {
                        x.to_string()
                    }
                )));
            }
            if !(total.is_finite() && total > 0.0) {
                return Err(err(format!(
                    "margin of `{qid}` adds up to {total:e}; give shares or population counts above 0"
                )));
            }
        }
        let mut vars = Vec::new();
        let mut positions = Vec::new();
        for (qid, targets) in &spec.margins {
            let p = d.index.position(qid).ok_or_else(|| {
                err(format!(
                    "`{qid}` is not a question of dataset `{}`",
                    decl.dataset
                ))
            })?;
            let q = d.index.question(p);
            if !q.kind.is_single() {
                return Err(err(format!(
                    "`{qid}` is {}; raking needs a single-choice question",
                    q.kind.name()
                )));
            }
            for code in targets.keys() {
                if q.option_index(code).is_none() {
                    return Err(err(format!(
                        "margin of `{qid}` names `{code}`, which is not one of its options"
                    )));
                }
            }
            let opts = q.kind.options();
            positions.push(p);
            vars.push(Variable {
                name: qid.clone(),
                categories: opts.iter().map(|o| o.code.clone()).collect(),
                targets: opts.iter().map(|o| targets.get(&o.code).copied()).collect(),
            });
        }
        let mut patterns = Patterns::new(vars.len());
        d.records
            .each(|r| {
                let cats: Vec<Option<usize>> = positions
                    .iter()
                    .map(|&p| match r.values[p] {
                        Value::Choice(c) => Some(c as usize),
                        _ => None,
                    })
                    .collect();
                patterns.add(&cats);
            })
            .map_err(err)?;
        let calibration = calibrate(
            &vars,
            &patterns,
            Settings::of(&spec, decl.allow_unconverged),
        )
        .map_err(|e| {
            err(format!(
                "weights `{}`: {e}{}",
                decl.name,
                if matches!(e, survey_stats::weighting::RakeError::NotConverged { .. }) {
                    "; or set `allow_unconverged = true` in this [[weights]] of report.toml to build with a warning"
                } else {
                    ""
                }
            ))
        })?;
        out.insert(
            decl.name.clone(),
            WeightSet {
                name: decl.name.clone(),
                label: decl.label.clone().unwrap_or_else(|| decl.name.clone()),
                dataset: decl.dataset.clone(),
                spec,
                variance: decl.variance,
                positions,
                patterns,
                calibration,
            },
        );
    }
    Ok(out)
}
