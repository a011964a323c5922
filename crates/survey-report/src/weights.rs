//! Weights declared in the spec: raking of a dataset's valid respondents to population margins.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::Value;
use survey_stats::rake::{MarginsSpec, Raked, Variable, rake};

use crate::ReportError;
use crate::dataset::Dataset;
use crate::folder::Folder;

/// `[[weights]]` in `report.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsDecl {
    /// Name blocks use to ask for these weights.
    pub name: String,
    pub dataset: String,
    /// The margins file, e.g. `weights/national.margins.json`.
    pub margins: String,
}

/// Raked weights of one dataset's valid respondents, in record order.
#[derive(Debug, Clone)]
pub struct WeightSet {
    pub name: String,
    pub dataset: String,
    pub spec: MarginsSpec,
    pub raked: Raked,
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
        let mut vars = Vec::new();
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
            vars.push(Variable {
                name: qid.clone(),
                categories: opts.iter().map(|o| o.code.clone()).collect(),
                of_respondent: d
                    .records
                    .iter()
                    .map(|r| match r.values[p] {
                        Value::Choice(c) => Some(c as usize),
                        _ => None,
                    })
                    .collect(),
                targets: opts.iter().map(|o| targets.get(&o.code).copied()).collect(),
            });
        }
        let raked = rake(
            &vars,
            &vec![1.0; d.records.len()],
            spec.epsilon,
            spec.max_iterations,
            spec.bounds,
        )
        .map_err(|e| err(e.to_string()))?;
        out.insert(
            decl.name.clone(),
            WeightSet {
                name: decl.name.clone(),
                dataset: decl.dataset.clone(),
                spec,
                raked,
            },
        );
    }
    Ok(out)
}
