//! Blocks are plugins: a kind is a type implementing [`Block`] and `Deserialize` (its spec
//! parameters), registered under a name. The builder knows blocks only through this trait.
//!
//! A block computes; it never draws. It pushes computed [`Element`]s — printed tables and
//! figures, paragraphs with their numbers resolved — into the [`Context`], and `survey-export`
//! draws them.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use survey_aggregate::CrossTabSpec;
use survey_print::{Element, Inline, NumberKind};

use crate::dataset::Dataset;
use crate::folder::Folder;
use crate::narrative::{Narrative, Para, Run};
use crate::refs::{Resolved, resolve};
use crate::spec::ReportSpec;

/// What a block can look at before any data is read.
pub struct Env<'a> {
    pub folder: &'a Folder,
    pub registry: &'a Registry,
    pub(crate) narratives: &'a std::cell::RefCell<Narratives>,
}

/// The narrative files of a report, each parsed once, and the inclusions (`@narrative`) being
/// walked: a file that includes itself, however indirectly, is an error, and so are
/// inclusions nested too deep or too many (each doubling the next would never end).
#[derive(Default)]
pub struct Narratives {
    /// Each file parsed, with the length of its text.
    parsed: HashMap<String, (Narrative, usize)>,
    open: Vec<String>,
    walked: usize,
    /// Bytes of narrative text walked so far, every inclusion counted.
    walked_bytes: usize,
}

/// How deep `@narrative` inclusions may nest, and how many a report may walk in all.
const MAX_INCLUSION_DEPTH: usize = 8;
const MAX_INCLUSIONS: usize = 1000;
/// How much narrative text a report may walk in all, every inclusion counted: 32 MiB in each
/// of the build's two passes (the cross-tabs it needs, then the blocks). A 5 MB file included
/// 400 times took 3.2 GB before (trial 40).
const MAX_WALKED_BYTES: usize = 64 << 20;

impl Narratives {
    /// Enter an inclusion of `what` (a file, or `file#passage`); `leave` when done.
    pub(crate) fn enter(&mut self, what: &str) -> Result<(), String> {
        if let Some(i) = self.open.iter().position(|o| o == what) {
            let mut chain: Vec<&str> = self.open[i..].iter().map(String::as_str).collect();
            chain.push(what);
            return Err(format!(
                "`@narrative` includes itself: {}",
                chain.join(" → ")
            ));
        }
        if self.open.len() >= MAX_INCLUSION_DEPTH {
            return Err(format!(
                "`@narrative` inclusions nest more than {MAX_INCLUSION_DEPTH} deep: {} → {what}",
                self.open.join(" → ")
            ));
        }
        self.walked += 1;
        if self.walked > MAX_INCLUSIONS {
            return Err(format!(
                "more than {MAX_INCLUSIONS} `@narrative` inclusions in one report (a file included by several others is walked each time)"
            ));
        }
        self.open.push(what.to_owned());
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.open.pop();
    }
}

impl Env<'_> {
    /// A narrative file of the report folder, parsed once.
    pub fn narrative(&self, file: &str) -> Result<Narrative, String> {
        let known = self.narratives.borrow().parsed.get(file).cloned();
        let (n, len) = match known {
            Some(k) => k,
            None => {
                let text = self.folder.read_printable(file)?;
                let n =
                    Narrative::parse(&text, &self.folder.shown(file)).map_err(|e| e.to_string())?;
                self.narratives
                    .borrow_mut()
                    .parsed
                    .insert(file.to_owned(), (n.clone(), text.len()));
                (n, text.len())
            }
        };
        let mut all = self.narratives.borrow_mut();
        all.walked_bytes += len;
        if all.walked_bytes > MAX_WALKED_BYTES {
            return Err(format!(
                "{file}: the report's narratives come to more than {} MiB of text, every inclusion counted (a file included by several others is walked each time)",
                MAX_WALKED_BYTES >> 21
            ));
        }
        Ok(n)
    }

    /// Walk an inclusion of `what` with `f`, guarded against cycles and runaway nesting.
    pub(crate) fn including<T>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        self.narratives.borrow_mut().enter(what)?;
        let r = f();
        self.narratives.borrow_mut().leave();
        r
    }
}

/// A cross-tab a block prints: accumulated during aggregation, and suppressed before any
/// block is built so that every table knows which options have hidden cells.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossTabNeed {
    /// `None` for the report's default dataset.
    pub dataset: Option<String>,
    pub spec: CrossTabSpec,
    /// The suppression threshold the block applies (0: none).
    pub suppress: u64,
    /// Where a narrative holds the block (`narrative/report.md:12: @crosstab`), for errors.
    pub at: Option<String>,
}

/// One block of a report.
pub trait Block {
    /// Cross-tabs this block prints.
    fn crosstabs(&self, _env: &Env) -> Result<Vec<CrossTabNeed>, String> {
        Ok(Vec::new())
    }

    /// Compute the block's elements and push them into the context. An error is a plain
    /// sentence; the builder adds the file and the block.
    fn build(&self, cx: &mut Context) -> Result<(), String>;
}

/// Why a block's parameters do not parse: the field concerned, if any, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(x) => write!(f, "field `{x}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

type Parser = Box<dyn Fn(toml::Table) -> Result<Box<dyn Block>, ParamError>>;

/// Block kinds by name.
#[derive(Default)]
pub struct Registry {
    kinds: BTreeMap<String, (Parser, Option<&'static str>)>,
}

impl Registry {
    /// A registry with no kinds.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// Register block type `B` under `kind`; its fields are the spec parameters.
    pub fn register<B: Block + DeserializeOwned + 'static>(&mut self, kind: &str) -> &mut Registry {
        self.insert::<B>(kind, None)
    }

    /// As [`Registry::register`], with the field a narrative directive may give without its
    /// name (`@question law_awareness` sets `question`).
    pub fn register_positional<B: Block + DeserializeOwned + 'static>(
        &mut self,
        kind: &str,
        field: &'static str,
    ) -> &mut Registry {
        self.insert::<B>(kind, Some(field))
    }

    fn insert<B: Block + DeserializeOwned + 'static>(
        &mut self,
        kind: &str,
        positional: Option<&'static str>,
    ) -> &mut Registry {
        self.kinds.insert(
            kind.to_owned(),
            (
                Box::new(|params| {
                    serde_path_to_error::deserialize::<_, B>(toml::Value::Table(params))
                        .map(|b| Box::new(b) as Box<dyn Block>)
                        .map_err(|e| {
                            let path = e.path().to_string();
                            let message = e.into_inner().message().to_owned();
                            let (named, message) = crate::field_of(&message);
                            ParamError {
                                field: named.or((path != "." && !path.is_empty()).then_some(path)),
                                message,
                            }
                        })
                }),
                positional,
            ),
        );
        self
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// The field a directive of `kind` may give positionally.
    pub fn positional(&self, kind: &str) -> Option<&'static str> {
        self.kinds.get(kind).and_then(|(_, p)| *p)
    }

    /// Parse a block of `kind`; `None` if no such kind is registered.
    pub fn parse(
        &self,
        kind: &str,
        params: toml::Table,
    ) -> Option<Result<Box<dyn Block>, ParamError>> {
        self.kinds.get(kind).map(|(p, _)| p(params))
    }

    /// The block a narrative directive stands for.
    pub fn directive(&self, d: &crate::narrative::Directive) -> Result<Box<dyn Block>, String> {
        let mut params = d.params.clone();
        if let Some(value) = &d.positional {
            if !self.kinds().any(|k| k == d.kind) {
                return self.parse_known(&d.kind, params);
            }
            let field = self.positional(&d.kind).ok_or_else(|| {
                format!(
                    "`{value}`: a `{}` directive takes its fields in braces, e.g. {{field = \"…\"}}",
                    d.kind
                )
            })?;
            if params.contains_key(field) {
                return Err(format!("`{field}` is given twice"));
            }
            params.insert(field.to_owned(), toml::Value::String(value.clone()));
        }
        self.parse_known(&d.kind, params)
    }

    /// Parse a kind or say which kinds exist.
    pub fn parse_known(&self, kind: &str, params: toml::Table) -> Result<Box<dyn Block>, String> {
        match self.parse(kind, params) {
            Some(r) => r.map_err(|e| e.to_string()),
            None => Err(format!(
                "unknown block kind `{kind}`; known kinds: {}",
                self.kinds().collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// Build-time facts for the provenance note.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub toolkit: String,
    pub typst: String,
}

/// A cross-reference waiting for every number of the document to be known.
struct PendingRef {
    kind: NumberKind,
    target: String,
    at: String,
}

/// Structure-aware automatic numbers: `3.1.2` is the second numbered item of section 1 of
/// part 03; appendix parts count A, B, …
#[derive(Default)]
struct Numbering {
    part: Option<String>,
    appendices: u32,
    section: u32,
    item: u32,
    /// Every number used, by kind.
    used: HashMap<(NumberKind, String), ()>,
    /// Keys (question ids) of numbered elements → their numbers, by kind.
    keys: HashMap<(NumberKind, String), Vec<String>>,
    /// The same for elements of one question alone (its table or chart, not a cross-table of
    /// it with another): what a key means when it names several.
    own: HashMap<(NumberKind, String), Vec<String>>,
}

impl Numbering {
    fn part(&mut self, number: &str) {
        let n = number.trim_start_matches('0');
        self.part = Some(
            if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
                if n.is_empty() { "0".into() } else { n.into() }
            } else {
                self.appendices += 1;
                char::from(b'A' + ((self.appendices - 1) % 26) as u8).to_string()
            },
        );
        self.section = 0;
        self.item = 0;
    }

    fn section(&mut self) {
        self.section += 1;
        self.item = 0;
    }

    fn candidate(&self, item: u32) -> String {
        match (&self.part, self.section) {
            (Some(p), 0) => format!("{p}.{item}"),
            (Some(p), s) => format!("{p}.{s}.{item}"),
            (None, _) => item.to_string(),
        }
    }
}

/// What a block builds with.
pub struct Context<'a> {
    pub folder: &'a Folder,
    pub spec: &'a ReportSpec,
    pub datasets: &'a IndexMap<String, Dataset>,
    pub provenance: &'a Provenance,
    /// Raked weights declared in the spec, by name.
    pub weights: &'a IndexMap<String, crate::weights::WeightSet>,
    /// Earlier waves declared in the spec, by name.
    pub waves: &'a IndexMap<String, crate::waves::Wave>,
    pub registry: &'a Registry,
    /// The audit of the publication the spec names, computed once by the builder.
    pub audit: Option<&'a survey_audit::Audit>,
    elements: Vec<Element>,
    numbering: Numbering,
    refs: Vec<PendingRef>,
    narratives: &'a std::cell::RefCell<Narratives>,
    /// Where the block being built stands, for messages (`file:line`).
    pub(crate) location: Vec<String>,
    /// The row order of every numbered table and figure, for the methodology note.
    pub(crate) orders: Vec<(crate::blocks::Listed, NumberKind, String)>,
    /// Elements completed once the whole document is built: (position, what).
    pub(crate) deferred: Vec<(usize, Deferred)>,
    /// Tables with hidden cells, for the internal file and the report-wide audit.
    pub(crate) suppressed: Vec<SuppressedTable>,
    /// Options with a hidden cell in some cross-tab: (dataset, question, option code).
    pub(crate) protected: crate::linked::Protected,
    /// Figures printed that the disclosure audit links to hidden cells.
    pub(crate) facts: Vec<Fact>,
    /// Every option change a `@trend` block printed: (wave, question, table number, option,
    /// change), for the trend references of the narrative.
    trends: Vec<(String, String, String, String, crate::waves::OptionChange)>,
    /// Trend references printed as a placeholder until every block is built: they print the
    /// figures of their question's `@trend` table when the report has one.
    pending_trends: Vec<PendingTrend>,
    /// Weighted references, printed as a placeholder until every block is built.
    pending_weighted: Vec<PendingWeighted>,
}

/// A weighted reference (`{weighted.<weights>.<question>.<option>.pct}`) waiting for the whole
/// document: it prints the share a `@weighted_table` printed, so that a share hidden there is
/// never printed here.
struct PendingWeighted {
    placeholder: String,
    weights: String,
    question: String,
    option: String,
    decimals: u32,
    at: String,
}

/// A trend reference waiting for the whole document: its placeholder text, what it names, what
/// it prints without a `@trend` block, and where it stands (for messages).
struct PendingTrend {
    placeholder: String,
    r: crate::waves::TrendRef,
    default: crate::waves::OptionChange,
    at: String,
}

/// A table some of whose cells are hidden: its counts and how it prints them, for the audit of
/// everything printed together (`crate::linked`).
#[derive(Debug, Clone)]
pub struct SuppressedTable {
    pub internal: InternalTable,
    pub suppression: survey_stats::suppress::Suppression,
    pub rows_add_up: bool,
    pub cols_add_up: bool,
    pub grand_hidden: bool,
    /// The test printed under it, as a band of its p-value.
    pub test: Option<TestCheck>,
}

/// A test printed under a table with hidden cells, which the audit recomputes for every
/// completion of the table it tries.
#[derive(Debug, Clone, PartialEq)]
pub enum TestCheck {
    /// Fisher's exact test (2×2) or Pearson's chi-square, unweighted.
    Unweighted { band: survey_print::PBand },
    /// The Rao–Scott F test with the named weights (constant within cells).
    RaoScott {
        weights: String,
        band: survey_print::PBand,
    },
}

/// A printed figure the disclosure audit links to the cells of cross-tabs.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// A weighted share of one option among the respondents who answered the question.
    WeightedShare {
        dataset: String,
        weights: String,
        question: String,
        option: String,
        /// As printed, in percent, rounded to `decimals`.
        percent: f64,
        decimals: u32,
    },
    /// The N printed over each column of an unweighted cross-tab (`None` where hidden): the
    /// respondents who answered the row question, by the column question's options.
    ColumnBases {
        dataset: String,
        row_question: String,
        col_question: String,
        bases: Vec<(String, Option<u64>)>,
    },
}

/// The counts behind a table some of whose cells are suppressed. Never published: written
/// only to `internal/unsuppressed.json`, and only when asked for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InternalTable {
    pub number: String,
    pub dataset: String,
    pub crosstab: survey_aggregate::CrossTab,
}

/// What the builder takes from a context once every block is built.
pub(crate) struct Finished {
    pub elements: Vec<Element>,
    pub deferred: Vec<(usize, Deferred)>,
    pub orders: Vec<(crate::blocks::Listed, NumberKind, String)>,
    pub suppressed: Vec<SuppressedTable>,
    pub facts: Vec<Fact>,
}

/// An element filled in once every block has been built, because it describes the whole
/// report (which orders the tables use, which files were read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deferred {
    /// The paragraph stating how table rows are ordered.
    Orders,
    /// The table of input files and their checksums.
    Provenance,
}

impl<'a> Context<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        folder: &'a Folder,
        spec: &'a ReportSpec,
        datasets: &'a IndexMap<String, Dataset>,
        provenance: &'a Provenance,
        weights: &'a IndexMap<String, crate::weights::WeightSet>,
        waves: &'a IndexMap<String, crate::waves::Wave>,
        registry: &'a Registry,
        audit: Option<&'a survey_audit::Audit>,
        narratives: &'a std::cell::RefCell<Narratives>,
        protected: crate::linked::Protected,
    ) -> Context<'a> {
        Context {
            folder,
            spec,
            datasets,
            provenance,
            weights,
            waves,
            registry,
            audit,
            elements: Vec::new(),
            numbering: Numbering::default(),
            refs: Vec::new(),
            narratives,
            location: Vec::new(),
            orders: Vec::new(),
            deferred: Vec::new(),
            suppressed: Vec::new(),
            protected,
            facts: Vec::new(),
            trends: Vec::new(),
            pending_trends: Vec::new(),
            pending_weighted: Vec::new(),
        }
    }

    /// Record the changes a `@trend` table printed (table `number`), for the narrative's
    /// trend references to the same question and wave.
    pub(crate) fn trend_printed(
        &mut self,
        wave: &str,
        question: &str,
        number: &str,
        changes: impl IntoIterator<Item = (String, crate::waves::OptionChange)>,
    ) {
        for (code, c) in changes {
            self.trends.push((
                wave.to_owned(),
                question.to_owned(),
                number.to_owned(),
                code,
                c,
            ));
        }
    }

    /// Keep a table with hidden cells for the internal file and the audit.
    pub fn keep_suppressed(&mut self, t: SuppressedTable) {
        self.suppressed.push(t);
    }

    /// Whether an option has a hidden cell in some cross-tab of the report.
    pub fn is_protected(&self, dataset: &str, question: &str, option: &str) -> bool {
        self.protected.contains(dataset, question, option)
    }

    /// Record a printed figure for the disclosure audit.
    pub fn fact(&mut self, f: Fact) {
        self.facts.push(f);
    }

    /// Record the row order a numbered table or figure uses.
    pub fn note_order(
        &mut self,
        order: impl Into<crate::blocks::Listed>,
        kind: NumberKind,
        number: &str,
    ) {
        self.orders.push((order.into(), kind, number.to_owned()));
    }

    /// Push an element that is completed after the whole document is built.
    pub(crate) fn push_deferred(&mut self, what: Deferred, placeholder: Element) {
        self.deferred.push((self.elements.len(), what));
        self.elements.push(placeholder);
    }

    /// The dataset a block names, or the report's default dataset (the spec's
    /// `default_dataset`, else the first declared).
    pub fn dataset(&self, name: Option<&str>) -> Result<(&'a str, &'a Dataset), String> {
        let name = match name {
            Some(n) => n,
            None => self
                .spec
                .default_dataset()
                .ok_or("the report declares no dataset")?,
        };
        self.datasets
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| {
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

    /// Add an element to the document.
    pub fn push(&mut self, e: Element) {
        match &e {
            Element::Part { number, .. } => self.numbering.part(number),
            Element::Heading { level: 2, .. } => self.numbering.section(),
            _ => {}
        }
        self.elements.push(e);
    }

    /// The number a table and/or figure prints: the one given, or the next automatic number
    /// of where the block stands (shared by a figure and its table). `keys` (question ids)
    /// let narrative refer to it before its number is known. A number used twice is an error.
    pub fn number(
        &mut self,
        given: Option<&str>,
        kinds: &[NumberKind],
        keys: &[&str],
    ) -> Result<String, String> {
        let n = match given {
            Some(n) => {
                if !survey_print::valid_number(n) {
                    return Err(format!(
                        "number `{n}` may hold only letters, digits, `.`, `_` and `-`"
                    ));
                }
                n.to_owned()
            }
            None => loop {
                self.numbering.item += 1;
                let n = self.numbering.candidate(self.numbering.item);
                if !kinds
                    .iter()
                    .any(|k| self.numbering.used.contains_key(&(*k, n.clone())))
                {
                    break n;
                }
            },
        };
        for k in kinds {
            if self.numbering.used.insert((*k, n.clone()), ()).is_some() {
                return Err(format!("{} number {n} is used twice", k.en()));
            }
            for key in keys {
                self.numbering
                    .keys
                    .entry((*k, (*key).to_owned()))
                    .or_default()
                    .push(n.clone());
                if keys.len() == 1 {
                    self.numbering
                        .own
                        .entry((*k, (*key).to_owned()))
                        .or_default()
                        .push(n.clone());
                }
            }
        }
        Ok(n)
    }

    /// Build an inclusion of `what` with `f`, guarded as [`Env::including`] is.
    pub(crate) fn including(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.narratives.borrow_mut().enter(what)?;
        let r = f(self);
        self.narratives.borrow_mut().leave();
        r
    }

    /// A narrative file of the report folder, parsed once.
    pub fn narrative(&mut self, file: &str) -> Result<Narrative, String> {
        Env {
            folder: self.folder,
            registry: self.registry,
            narratives: self.narratives,
        }
        .narrative(file)
    }

    /// Runs of narrative text with every data reference resolved; cross-references are
    /// checked once the whole document is built.
    pub fn inlines(&mut self, file: &std::path::Path, runs: &[Run]) -> Result<Vec<Inline>, String> {
        let mut out = Vec::new();
        for (i, r) in runs.iter().enumerate() {
            // A difference of two percentages is a number of percentage points, which the
            // sentence must say: «高28.41个百分点», never «高28.41» (read as a count) or «28.41%».
            if let Run::Ref { expr, line, column } = r
                && let Some((a, _)) = expr.split_once(" - ")
                && matches!(
                    resolve(a, self.datasets),
                    Ok(Resolved::Number { percent: true, .. })
                )
                && !matches!(runs.get(i + 1), Some(Run::Text(t))
                    if ["个百分点", "百分点"].iter().any(|u| t.trim_start().starts_with(u)))
            {
                return Err(format!(
                    "{}:{line}:{column}: {{{expr}}}: a difference of two percentages is in percentage points; write 个百分点 right after it",
                    file.display()
                ));
            }
            match r {
                Run::Text(t) => out.push(Inline::text(t.clone())),
                Run::Strong(inner) => out.push(Inline::Strong {
                    inlines: self.inlines(file, inner)?,
                }),
                Run::Ref { expr, line, column } if expr.trim().starts_with("trend.") => {
                    let at = format!("{}:{line}:{column}: {{{expr}}}", file.display());
                    let (r, default) = crate::waves::parse_trend(expr, self.waves)
                        .and_then(|r| {
                            crate::waves::resolve_trend(&r, self.waves, self.datasets)
                                .map(|c| (r, c))
                        })
                        .map_err(|e| format!("{at}: {e}"))?;
                    // Private-use characters: no narrative text is taken for one.
                    let placeholder = format!("\u{F8F0}{}\u{F8F1}", self.pending_trends.len());
                    out.push(Inline::text(placeholder.clone()));
                    self.pending_trends.push(PendingTrend {
                        placeholder,
                        r,
                        default,
                        at,
                    });
                }
                Run::Ref { expr, line, column } if expr.trim().starts_with("weighted.") => {
                    let at = format!("{}:{line}:{column}: {{{expr}}}", file.display());
                    let p = self
                        .weighted_ref(expr.trim(), at.clone())
                        .map_err(|e| format!("{at}: {e}"))?;
                    out.push(Inline::text(p.placeholder.clone()));
                    self.pending_weighted.push(p);
                }
                Run::Ref { expr, line, column } => match resolve(expr, self.datasets) {
                    Ok(Resolved::CrossRef { kind, target }) => {
                        self.refs.push(PendingRef {
                            kind,
                            target: target.clone(),
                            at: format!("{}:{line}:{column}: {{{expr}}}", file.display()),
                        });
                        out.push(Inline::Ref {
                            kind,
                            number: target,
                        });
                    }
                    Ok(v) => out.push(Inline::text(v.text())),
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

    /// Read `weighted.<weights>.<question>.<option>.pct` (or `pct1`, `pct0`), checking what it
    /// names.
    fn weighted_ref(&self, expr: &str, at: String) -> Result<PendingWeighted, String> {
        let form =
            "a weighted reference reads weighted.<weights>.<question>.<option>.pct (or pct1, pct0)";
        let parts: Vec<&str> = expr.split('.').collect();
        let [_, weights, question, option, stat] = parts.as_slice() else {
            return Err(form.into());
        };
        let ws = self.weights.get(*weights).ok_or_else(|| {
            format!(
                "unknown weights `{weights}`; the report's weights are {}",
                if self.weights.is_empty() {
                    "none ([[weights]] in report.toml)".to_owned()
                } else {
                    self.weights
                        .keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        })?;
        let d = &self.datasets[&ws.dataset];
        let q = d
            .index
            .get(question)
            .ok_or_else(|| format!("dataset `{}` has no question `{question}`", ws.dataset))?;
        if q.option_index(option).is_none() {
            return Err(format!("`{question}` has no option `{option}`"));
        }
        let decimals = match *stat {
            "pct" => 2,
            "pct1" => 1,
            "pct0" => 0,
            other => return Err(format!("unknown statistic `{other}`; {form}")),
        };
        Ok(PendingWeighted {
            // Private-use characters: no narrative text is taken for one.
            placeholder: format!("\u{F8F2}{}\u{F8F3}", self.pending_weighted.len()),
            weights: (*weights).to_owned(),
            question: (*question).to_owned(),
            option: (*option).to_owned(),
            decimals,
            at,
        })
    }

    /// Write narrative: paragraphs, lists, headings, and directives (blocks written in the
    /// text, `@question law_awareness {chart = "donut"}`).
    pub fn paras(&mut self, file: &std::path::Path, paras: &[Para]) -> Result<(), String> {
        for p in paras {
            match p {
                Para::Para(runs) => {
                    let inl = self.inlines(file, runs)?;
                    self.push(Element::Paragraph(inl));
                }
                Para::List(items) => {
                    let mut parts = Vec::new();
                    for it in items {
                        parts.push(self.inlines(file, it)?);
                    }
                    self.push(Element::List(parts));
                }
                Para::Heading { level, title, .. } => self.push(Element::Heading {
                    level: *level,
                    title: title.clone(),
                    outlined: true,
                    new_page: false,
                }),
                Para::Directive(d) => {
                    let at = format!("{}:{}", file.display(), d.line);
                    let block = self
                        .registry
                        .directive(d)
                        .map_err(|e| format!("{at}: @{}: {e}", d.kind))?;
                    self.location.push(at.clone());
                    let r = block.build(self);
                    self.location.pop();
                    r.map_err(|e| format!("{at}: @{}: {e}", d.kind))?;
                }
            }
        }
        Ok(())
    }

    /// Resolve cross-references by number or key, and hand over the elements with the
    /// deferred ones and the recorded orders.
    pub(crate) fn finish(mut self) -> Result<Finished, Vec<String>> {
        let mut errors = Vec::new();
        let mut map: HashMap<(NumberKind, String), String> = HashMap::new();
        for r in &self.refs {
            if self
                .numbering
                .used
                .contains_key(&(r.kind, r.target.clone()))
            {
                continue;
            }
            let key = (r.kind, r.target.clone());
            // Its own table: keyed by it alone, or, when it has none, its one weighted table.
            let own = match self.numbering.own.get(&key) {
                Some(ns) => Some(ns).filter(|ns| ns.len() == 1),
                None => self
                    .numbering
                    .keys
                    .get(&(r.kind, format!("weighted.{}", r.target)))
                    .filter(|ns| ns.len() == 1),
            };
            match (self.numbering.keys.get(&key), own) {
                (Some(ns), _) if ns.len() == 1 => {
                    map.insert(key, ns[0].clone());
                }
                // A question with its own table and a cross-table: its own.
                (Some(_), Some(own)) => {
                    map.insert(key.clone(), own[0].clone());
                }
                // A question shown in one table (a matrix, say) and compared with an earlier
                // wave: the table, the comparison being `trend.<question>`.
                (Some(ns), None)
                    if let Some(trend) = self
                        .numbering
                        .keys
                        .get(&(r.kind, format!("trend.{}", r.target)))
                        && let [one] = ns
                            .iter()
                            .filter(|n| !trend.contains(n))
                            .collect::<Vec<_>>()
                            .as_slice() =>
                {
                    map.insert(key.clone(), (*one).clone());
                }
                (Some(ns), None) => errors.push(format!(
                    "{}: `{}` names {} {}s ({}); refer to one by its number",
                    r.at,
                    r.target,
                    ns.len(),
                    r.kind.en(),
                    ns.join(", ")
                )),
                (None, _) => {
                    // `crosstab.q3`, `表2.3.2`: the key or number it likely means.
                    let near: Vec<String> = r
                        .target
                        .rsplit(['.', ':'])
                        .next()
                        .into_iter()
                        .chain([r.target.trim_start_matches(['表', '图']).trim()])
                        .filter(|k| *k != r.target)
                        .filter_map(|k| {
                            let ns = self.numbering.keys.get(&(r.kind, k.to_owned()));
                            let numbered =
                                self.numbering.used.contains_key(&(r.kind, k.to_owned()));
                            match (ns, numbered) {
                                (Some(ns), _) => Some(format!("`{k}` ({})", ns.join(", "))),
                                (None, true) => Some(format!("`{k}`")),
                                (None, false) => None,
                            }
                        })
                        .collect();
                    let hint = if near.is_empty() {
                        format!(
                            "; a {} is named by its number (`2.3.1`) or by a question id it shows",
                            r.kind.en()
                        )
                    } else {
                        format!("; did you mean {}?", near.join(" or "))
                    };
                    errors.push(format!(
                        "{}: the report has no {} numbered or keyed `{}`{hint}",
                        r.at,
                        r.kind.en(),
                        r.target
                    ))
                }
            }
        }
        // A trend reference prints what its question's comparison table prints (its level,
        // continuity correction, weights), or the default comparison when there is none.
        let mut texts: HashMap<String, String> = HashMap::new();
        for p in &self.pending_trends {
            let printed: Vec<(&str, &crate::waves::OptionChange)> = self
                .trends
                .iter()
                .filter(|(w, q, _, o, _)| *w == p.r.wave && *q == p.r.question && *o == p.r.option)
                .map(|(_, _, n, _, c)| (n.as_str(), c))
                .collect();
            let mut shown: Vec<(String, &str)> =
                printed.iter().map(|(n, c)| (p.r.what.of(c), *n)).collect();
            shown.sort();
            shown.dedup_by(|a, b| a.0 == b.0);
            match shown.as_slice() {
                [] => {
                    texts.insert(p.placeholder.clone(), p.r.what.of(&p.default));
                }
                [(one, _)] => {
                    texts.insert(p.placeholder.clone(), one.clone());
                }
                several => errors.push(format!(
                    "{}: tables {} compare `{}` with wave `{}` and print this figure differently ({}); give the tables the same settings, or refer to one table's figure in words",
                    p.at,
                    several.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
                    p.r.question,
                    p.r.wave,
                    several
                        .iter()
                        .map(|(t, n)| format!("{n}: {t}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            }
        }
        // A weighted reference prints the share its question's weighted table printed.
        for p in &self.pending_weighted {
            let printed = self.facts.iter().find_map(|f| match f {
                Fact::WeightedShare {
                    weights,
                    question,
                    option,
                    percent,
                    ..
                } if *weights == p.weights && *question == p.question && *option == p.option => {
                    Some(*percent)
                }
                _ => None,
            });
            match printed {
                Some(x) => {
                    texts.insert(
                        p.placeholder.clone(),
                        survey_print::fmt::percent_f64(x, p.decimals),
                    );
                }
                None if self.protected.contains(
                    &self.weights[&p.weights].dataset,
                    &p.question,
                    &p.option,
                ) =>
                {
                    errors.push(format!(
                        "{}: this weighted share is hidden («×») to protect small cells of a cross-table, so it cannot be printed here either",
                        p.at
                    ))
                }
                None => errors.push(format!(
                    "{}: the report prints no weighted share of `{}` with weights `{}`; add `@weighted_table {} {{weights = \"{}\"}}` for the narrative to cite",
                    p.at, p.question, p.weights, p.question, p.weights
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        type Refs = HashMap<(NumberKind, String), String>;
        fn fix(els: &mut [Element], map: &Refs, texts: &HashMap<String, String>) {
            fn inl(v: &mut [Inline], map: &Refs, texts: &HashMap<String, String>) {
                for i in v {
                    match i {
                        Inline::Ref { kind, number } => {
                            if let Some(n) = map.get(&(*kind, number.clone())) {
                                *number = n.clone();
                            }
                        }
                        Inline::Strong { inlines } => inl(inlines, map, texts),
                        Inline::Text { text } => {
                            if let Some(t) = texts.get(text.as_str()) {
                                *text = t.clone();
                            }
                        }
                    }
                }
            }
            for e in els {
                match e {
                    Element::Paragraph(v) => inl(v, map, texts),
                    Element::List(items) => items.iter_mut().for_each(|v| inl(v, map, texts)),
                    Element::KeepTogether(inner) => fix(inner, map, texts),
                    _ => {}
                }
            }
        }
        fix(&mut self.elements, &map, &texts);
        Ok(Finished {
            elements: self.elements,
            deferred: self.deferred,
            orders: self.orders,
            suppressed: self.suppressed,
            facts: self.facts,
        })
    }

    /// Where the current block stands, for messages.
    pub fn location(&self) -> Option<&str> {
        self.location.last().map(String::as_str)
    }

    /// A file path as shown in messages.
    pub fn shown(&self, rel: &str) -> PathBuf {
        self.folder.shown(rel)
    }
}

/// "no weights `x`; the spec declares `a`, `b`" (or "none"): a name the spec does not declare.
pub(crate) fn undeclared<'k>(
    what: &str,
    name: &str,
    keys: impl Iterator<Item = &'k String>,
) -> String {
    let keys: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
    format!(
        "no {what} `{name}`; the spec declares {}",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.join(", ")
        }
    )
}
