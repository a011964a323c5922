//! Blocks are plugins: a kind is a type implementing [`Block`] and `Deserialize` (its spec
//! parameters), registered under a name. The builder knows blocks only through this trait.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use survey_aggregate::CrossTabSpec;
use survey_export::files::{CrossTabEntry, TableEntry};
use survey_export::typst::Doc;

use crate::dataset::Dataset;
use crate::narrative::{Narrative, Para, Run};
use crate::refs::{Resolved, resolve};
use crate::spec::ReportSpec;

/// One block of a report.
pub trait Block {
    /// Cross-tabs this block needs accumulated during aggregation, as (dataset, spec).
    fn crosstabs(&self) -> Vec<(String, CrossTabSpec)> {
        Vec::new()
    }

    /// Table (`tbl`) and figure (`fig`) numbers this block prints, so that narrative earlier
    /// in the report may refer to them.
    fn declares(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Write the block into the document. An error is a plain sentence; the builder adds the
    /// file and the block.
    fn render(&self, cx: &mut Context) -> Result<(), String>;
}

/// What [`Block::declares`] returns for a block that prints one optionally numbered `tbl` or
/// `fig`.
pub fn declare(kind: &str, number: &Option<String>) -> Vec<(String, String)> {
    number
        .iter()
        .map(|n| (kind.to_owned(), n.clone()))
        .collect()
}

type Parser = Box<dyn Fn(toml::Table) -> Result<Box<dyn Block>, String>>;

/// Block kinds by name.
#[derive(Default)]
pub struct Registry {
    kinds: BTreeMap<String, Parser>,
}

impl Registry {
    /// A registry with no kinds.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// Register block type `B` under `kind`; its fields are the spec parameters.
    pub fn register<B: Block + DeserializeOwned + 'static>(&mut self, kind: &str) -> &mut Registry {
        self.kinds.insert(
            kind.to_owned(),
            Box::new(|params| {
                toml::Value::Table(params)
                    .try_into::<B>()
                    .map(|b| Box::new(b) as Box<dyn Block>)
                    .map_err(|e| e.message().to_owned())
            }),
        );
        self
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    pub(crate) fn parse(
        &self,
        kind: &str,
        params: toml::Table,
    ) -> Option<Result<Box<dyn Block>, String>> {
        self.kinds.get(kind).map(|p| p(params))
    }
}

/// Build-time facts for the provenance note.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub toolkit: String,
    pub typst: String,
    /// Every file of the report folder with its SHA-256, relative paths.
    pub files: Vec<(String, String)>,
}

/// What a block renders with.
pub struct Context<'a> {
    pub dir: &'a Path,
    pub spec: &'a ReportSpec,
    pub datasets: &'a IndexMap<String, Dataset>,
    pub provenance: &'a Provenance,
    /// Raked weights declared in the spec, by name.
    pub weights: &'a IndexMap<String, crate::weights::WeightSet>,
    pub doc: Doc,
    /// Tables as printed, for tables.json / CSV / XLSX.
    pub tables: Vec<TableEntry>,
    pub crosstabs: Vec<CrossTabEntry>,
    narratives: HashMap<PathBuf, Narrative>,
    used_numbers: HashSet<(String, String)>,
    auto: HashMap<String, u32>,
    forward: HashSet<(String, String)>,
    pub(crate) parts_seen: u32,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        dir: &'a Path,
        spec: &'a ReportSpec,
        datasets: &'a IndexMap<String, Dataset>,
        provenance: &'a Provenance,
        weights: &'a IndexMap<String, crate::weights::WeightSet>,
    ) -> Context<'a> {
        Context {
            dir,
            spec,
            datasets,
            provenance,
            weights,
            doc: Doc::new(),
            tables: Vec::new(),
            crosstabs: Vec::new(),
            narratives: HashMap::new(),
            used_numbers: HashSet::new(),
            auto: HashMap::new(),
            forward: HashSet::new(),
            parts_seen: 0,
        }
    }

    pub fn dataset(&self, name: &str) -> Result<&'a Dataset, String> {
        self.datasets.get(name).ok_or_else(|| {
            format!(
                "no dataset `{name}`; the spec declares {}",
                self.datasets
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// The number a table or figure prints: the one given, or the next of its kind. A number
    /// used twice is an error.
    pub fn number(&mut self, kind: &str, given: Option<&str>) -> Result<String, String> {
        let n = match given {
            Some(n) => {
                if !survey_export::blocks::valid_number(n) {
                    return Err(format!(
                        "number `{n}` may hold only letters, digits, `.`, `_` and `-`"
                    ));
                }
                n.to_owned()
            }
            None => loop {
                let c = self.auto.entry(kind.to_owned()).or_insert(0);
                *c += 1;
                let n = c.to_string();
                if !self.used_numbers.contains(&(kind.to_owned(), n.clone())) {
                    break n;
                }
            },
        };
        if !self.used_numbers.insert((kind.to_owned(), n.clone())) {
            return Err(format!(
                "{} number {n} is used twice",
                if kind == "tbl" { "table" } else { "figure" }
            ));
        }
        Ok(n)
    }

    /// A narrative file of the report folder, parsed once.
    pub fn narrative(&mut self, file: &str) -> Result<&Narrative, String> {
        let path = self.dir.join(file);
        if !self.narratives.contains_key(&path) {
            let n = Narrative::load(&path).map_err(|e| e.to_string())?;
            self.narratives.insert(path.clone(), n);
        }
        Ok(&self.narratives[&path])
    }

    /// Typst content for runs of narrative text, with every reference resolved.
    pub fn runs(&mut self, file: &Path, runs: &[Run]) -> Result<String, String> {
        let mut out = String::new();
        for r in runs {
            match r {
                Run::Text(t) => out.push_str(&format!("#{}", self.doc.str(t))),
                Run::Strong(inner) => {
                    let c = self.runs(file, inner)?;
                    out.push_str(&format!("#strong[{c}]"));
                }
                Run::Ref { expr, line, column } => match resolve(expr, self.datasets) {
                    Ok(Resolved::CrossRef { kind, number }) => {
                        if !self.used_numbers.contains(&(kind.clone(), number.clone()))
                            && !self.will_define(&kind, &number)
                        {
                            return Err(format!(
                                "{}:{line}:{column}: {{{expr}}}: the report has no {} {number}",
                                file.display(),
                                if kind == "tbl" { "table" } else { "figure" }
                            ));
                        }
                        self.doc.note_chars("表图");
                        out.push_str(&format!(
                            "#ref({})",
                            survey_export::blocks::label_for(&kind, &number)
                        ));
                    }
                    Ok(v) => out.push_str(&format!("#{}", self.doc.str(&v.text()))),
                    Err(e) => {
                        return Err(format!(
                            "{}:{line}:{column}: {{{expr}}}: {e}",
                            file.display()
                        ));
                    }
                },
            }
        }
        Ok(out)
    }

    /// Write paragraphs of narrative.
    pub fn paras(&mut self, file: &Path, paras: &[Para]) -> Result<(), String> {
        for p in paras {
            match p {
                Para::Para(runs) => {
                    let c = self.runs(file, runs)?;
                    self.doc.line(&format!("#par[{c}]\n"));
                }
                Para::List(items) => {
                    let mut parts = Vec::new();
                    for it in items {
                        parts.push(format!("[{}]", self.runs(file, it)?));
                    }
                    self.doc.line(&format!("#list({})\n", parts.join(", ")));
                }
            }
        }
        Ok(())
    }

    /// Numbers that later blocks will define (cross-references may point forward).
    fn will_define(&self, kind: &str, number: &str) -> bool {
        self.forward.contains(&(kind.to_owned(), number.to_owned()))
    }
}

/// Numbers every block declares, collected before rendering so that narrative can refer
/// forward. Filled by the builder.
impl Context<'_> {
    pub(crate) fn declare_forward(&mut self, set: HashSet<(String, String)>) {
        self.forward = set;
    }
}
