//! Building a report: spec → datasets → blocks → a computed document, then the PDF and the
//! table files drawn from it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use survey_aggregate::CrossTabSpec;
use survey_print::{DocMeta, Document, Element, TablesFile};

use crate::ReportError;
use crate::block::{Block, Context, Deferred, Env, Finished, InternalTable, Provenance, Registry};
use crate::blocks::notes::{orders_paragraph, provenance_rows};
use crate::dataset::Dataset;
use crate::folder::Folder;
use crate::spec::{RawBlock, ReportSpec, SpecError};

/// Time spent in each stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub import: Duration,
    pub clean: Duration,
    pub aggregate: Duration,
    /// Computing the blocks and drawing the Typst source.
    pub render: Duration,
    /// From starting typst to the PDF and chart images being written.
    pub typst: Duration,
    /// Writing the respondent-level data (`--data`), while typst runs.
    pub data: Duration,
    /// Datasets read by the parallel reader.
    pub parallel: Vec<String>,
    /// How the parallel reader read back each dataset's set-aside rows.
    pub read_back: Vec<(String, crate::dataset::ReadBack)>,
}

/// A built report before it is written: the computed document, its tables, its datasets.
pub struct Built {
    pub spec: ReportSpec,
    pub document: Document,
    pub tables: TablesFile,
    pub datasets: IndexMap<String, Dataset>,
    /// The audit of the publication named by `[audit]`, if any.
    pub audit: Option<survey_audit::Audit>,
    /// Unsuppressed counts of tables with suppressed cells: internal use only.
    pub internal: Vec<InternalTable>,
    /// The weights the spec declares, raked.
    pub weights: IndexMap<String, crate::weights::WeightSet>,
    pub timings: Timings,
}

/// Reading progress callback: (dataset, where its reading stands).
pub type RowsProgress<'a> = &'a dyn Fn(&str, crate::dataset::ReadProgress);

/// What a dataset was loaded from: its declaration, the cross-tabs it counts, whether it kept
/// its records, and the size and modification time of each file it read.
#[derive(Debug, Clone, PartialEq)]
struct DatasetInputs {
    decl: crate::DatasetDecl,
    crosstabs: Vec<CrossTabSpec>,
    keep_records: bool,
    stamps: Vec<Option<(u64, std::time::SystemTime)>>,
}

impl DatasetInputs {
    fn of(
        folder: &Folder,
        decl: &crate::DatasetDecl,
        crosstabs: &[CrossTabSpec],
        keep: bool,
    ) -> Self {
        DatasetInputs {
            decl: decl.clone(),
            crosstabs: crosstabs.to_vec(),
            keep_records: keep,
            stamps: vec![
                folder.stamp(&decl.questionnaire, false),
                folder.stamp(&decl.mapping, false),
                folder.stamp(&decl.cleaning, false),
                folder.stamp(&decl.data, true),
            ],
        }
    }
}

struct Kept {
    inputs: DatasetInputs,
    /// The files the load read, with their SHA-256, for the provenance note.
    reads: Vec<(String, String)>,
    dataset: Dataset,
}

/// Datasets kept from one build of a report folder to the next (the preview): a dataset whose
/// declaration, cross-tabs and files (size and modification time) are unchanged is reused, not
/// re-imported, cleaned and aggregated.
#[derive(Default)]
pub struct Reuse {
    kept: HashMap<String, Kept>,
    /// Per dataset of the last build: its inputs and reads, waiting for the dataset back.
    pending: HashMap<String, (DatasetInputs, Vec<(String, String)>)>,
    /// Datasets reused by the last build.
    pub reused: Vec<String>,
}

impl Reuse {
    /// Keep the datasets of a build that has been written, for the next build.
    pub fn keep(&mut self, datasets: IndexMap<String, Dataset>) {
        for (name, dataset) in datasets {
            if let Some((inputs, reads)) = self.pending.remove(&name) {
                self.kept.insert(
                    name,
                    Kept {
                        inputs,
                        reads,
                        dataset,
                    },
                );
            }
        }
    }
}

/// What the builder needs besides the report folder.
pub struct BuildOptions<'a> {
    pub toolkit_version: String,
    pub typst_version: String,
    pub progress: Option<&'a dyn Fn(&str)>,
    /// Called every few thousand rows (or every block) while a dataset is read.
    pub rows: Option<RowsProgress<'a>>,
    /// Keep every dataset's valid records (for the respondent-level data export).
    pub keep_records: bool,
    /// Datasets from an earlier build of the same folder, reused where their inputs are
    /// unchanged; the caller hands the built datasets back with [`Reuse::keep`].
    pub reuse: Option<&'a RefCell<Reuse>>,
}

/// A spec with its blocks parsed.
pub struct Parsed {
    pub folder: Folder,
    pub spec: ReportSpec,
    pub blocks: Vec<(RawBlock, Box<dyn Block>)>,
}

/// Read a report folder's spec and parse its blocks with the registry; every bad block is
/// reported.
pub fn parse(dir: &Path, registry: &Registry) -> Result<Parsed, ReportError> {
    let mut folder = Folder::open(dir).map_err(ReportError::Input)?;
    let spec_path = folder.shown("report.toml");
    let text = folder
        .read_text("report.toml")
        .map_err(ReportError::Input)?;
    let (spec, raw) = ReportSpec::parse(&text, &spec_path).map_err(ReportError::Spec)?;
    folder.allow_outside_data(spec.allow_outside_data);
    folder.keep_private(spec.datasets.iter().map(|d| d.data.as_str()));
    let mut blocks = Vec::new();
    let mut errors = Vec::new();
    for rb in raw {
        let loc = |field: Option<String>, message: String| SpecError {
            file: spec_path.clone(),
            line: Some(rb.line),
            block: Some(rb.describe()),
            field,
            message,
        };
        match registry.parse(&rb.kind, rb.params.clone()) {
            None => errors.push(loc(
                Some("kind".into()),
                format!(
                    "unknown block kind `{}`; known kinds: {}",
                    rb.kind,
                    registry.kinds().collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(Err(e)) => errors.push(loc(e.field, e.message)),
            Some(Ok(b)) => blocks.push((rb, b)),
        }
    }
    if !errors.is_empty() {
        return Err(ReportError::Specs(errors));
    }
    Ok(Parsed {
        folder,
        spec,
        blocks,
    })
}

/// Read a report folder's spec and load its datasets (no cross-tabs), e.g. for an audit.
pub fn load_datasets(
    dir: &Path,
) -> Result<(ReportSpec, Folder, IndexMap<String, Dataset>), ReportError> {
    load_datasets_with(dir, false)
}

/// As [`load_datasets`], keeping every dataset's valid records when `keep_records` (records
/// are always kept where weights need them, as a build keeps them).
pub fn load_datasets_with(
    dir: &Path,
    keep_records: bool,
) -> Result<(ReportSpec, Folder, IndexMap<String, Dataset>), ReportError> {
    let Parsed { folder, spec, .. } = parse(dir, &Registry::with_builtins())?;
    let mut datasets = IndexMap::new();
    for decl in &spec.datasets {
        let keep = keep_records || spec.weights.iter().any(|w| w.dataset == decl.name);
        let d = Dataset::load(&folder, decl, &[], keep, None)?;
        no_valid_submission(decl, &d)?;
        datasets.insert(decl.name.clone(), d);
    }
    Ok((spec, folder, datasets))
}

/// Nothing left to report or export: the cleaning rules set every submission aside, which
/// says a rule or the questionnaire does not fit the download.
fn no_valid_submission(decl: &crate::DatasetDecl, d: &Dataset) -> Result<(), ReportError> {
    let f = &d.cleaning.funnel;
    if f.valid > 0 || f.collected == 0 {
        return Ok(());
    }
    let first = d
        .cleaning
        .log()
        .ok()
        .and_then(|l| l.into_iter().next())
        .map(|e| format!("; the first, row {}: {}", e.row, e.evidence))
        .unwrap_or_default();
    Err(ReportError::Input(format!(
        "dataset `{}`: the cleaning rules set aside all {} submissions ({}){first}. Check the questionnaire's required questions and display conditions against the download, and the rules in {}",
        decl.name,
        f.collected,
        f.steps
            .iter()
            .filter(|s| s.excluded > 0)
            .map(|s| format!("«{}» {}", s.description, s.excluded))
            .collect::<Vec<_>>()
            .join("，"),
        decl.cleaning
    )))
}

/// Build a report folder into a computed document and its tables (no PDF yet).
pub fn build(dir: &Path, registry: &Registry, opts: &BuildOptions) -> Result<Built, ReportError> {
    let say = |s: &str| {
        if let Some(p) = opts.progress {
            p(s)
        }
    };
    if let Some(r) = opts.reuse {
        let mut r = r.borrow_mut();
        r.reused.clear();
        r.pending.clear();
    }
    let Parsed {
        folder,
        spec,
        blocks,
    } = parse(dir, registry)?;
    let spec_path = folder.shown("report.toml");
    let located = |rb: &RawBlock, message: String| located(&spec_path, rb, message);
    let narratives = RefCell::new(crate::block::Narratives::default());
    let env = Env {
        folder: &folder,
        registry,
        narratives: &narratives,
    };
    let mut needs: IndexMap<String, Vec<CrossTabSpec>> = IndexMap::new();
    let mut questionnaires: HashMap<String, Option<survey_schema::Index>> = HashMap::new();
    // Every printed cross-tab with its suppression threshold, for the protection pre-pass.
    let mut printed: Vec<Printed> = Vec::new();
    // The threshold each pair of questions is printed with, and where first: a cell hidden in
    // one table must not be printed by another (either way round).
    let mut thresholds: HashMap<(String, String, String), (u64, String)> = HashMap::new();
    for (rb, b) in &blocks {
        for need in b.crosstabs(&env).map_err(|m| located(rb, m))? {
            let ct = need.spec.clone();
            let ds = match need
                .dataset
                .or_else(|| spec.default_dataset().map(str::to_owned))
            {
                Some(d) => d,
                None => return Err(located(rb, "the report declares no dataset".into())),
            };
            let Some(decl) = spec.datasets.iter().find(|d| d.name == ds) else {
                return Err(located(
                    rb,
                    format!("a cross-tab names dataset `{ds}`, which the spec does not declare"),
                ));
            };
            // Its questions are checked here, where the block is known: aggregation, which
            // counts the cross-tab, could only name the dataset. (A questionnaire that does
            // not load is reported when its dataset is read.)
            let index = questionnaires.entry(ds.clone()).or_insert_with(|| {
                folder.read_text(&decl.questionnaire).ok().and_then(|t| {
                    survey_schema::parse_questionnaire(&t, &folder.shown(&decl.questionnaire)).ok()
                })
            });
            if let Some(index) = index {
                for qid in [&ct.row, &ct.col] {
                    let why = match index.get(qid) {
                        None => Some(format!("dataset `{ds}` has no question `{qid}`")),
                        Some(q) if q.identifying => Some(format!(
                            "`{qid}` identifies respondents; it is never tabulated"
                        )),
                        Some(q) if !q.kind.is_choice() => Some(format!(
                            "`{qid}` is no choice question (its kind is `{}`); a cross-tab's rows and columns are the options of choice questions",
                            q.kind.name()
                        )),
                        Some(_) => None,
                    };
                    if let Some(why) = why {
                        return Err(located(
                            rb,
                            match &need.at {
                                Some(at) => format!("{at}: {why}"),
                                None => why,
                            },
                        ));
                    }
                }
            }
            let (a, b) = if ct.row <= ct.col {
                (&ct.row, &ct.col)
            } else {
                (&ct.col, &ct.row)
            };
            let here = match &need.at {
                Some(at) => format!("{} ({at})", rb.describe()),
                None => rb.describe(),
            };
            let here_for_later = here.clone();
            match thresholds.entry((ds.clone(), a.clone(), b.clone())) {
                std::collections::hash_map::Entry::Occupied(first)
                    if first.get().0 != need.suppress =>
                {
                    let (t, there) = first.get();
                    let message = format!(
                        "{}{} × {} is printed with `suppress = {}` here and with `suppress = {t}` by {there}: a cell one table hides the other would print. Give both the same `suppress`.",
                        need.at
                            .as_ref()
                            .map(|a| format!("{a}: "))
                            .unwrap_or_default(),
                        ct.row,
                        ct.col,
                        need.suppress
                    );
                    return Err(located(rb, message));
                }
                std::collections::hash_map::Entry::Occupied(_) => {}
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((need.suppress, here));
                }
            }
            printed.push(Printed {
                dataset: ds.clone(),
                crosstab: ct.clone(),
                suppress: need.suppress,
                at: here_for_later,
            });
            let v = needs.entry(ds).or_default();
            if !v.contains(&ct) {
                v.push(ct);
            }
        }
    }
    let mut timings = Timings::default();
    let mut datasets = IndexMap::new();
    for decl in &spec.datasets {
        say(&format!("reading dataset {} ({})", decl.name, decl.data));
        let cts = needs.get(&decl.name).cloned().unwrap_or_default();
        let keep = opts.keep_records || spec.weights.iter().any(|w| w.dataset == decl.name);
        let name = decl.name.clone();
        let rows = opts
            .rows
            .map(|f| move |p: crate::dataset::ReadProgress| f(&name, p));
        let inputs = opts
            .reuse
            .map(|_| DatasetInputs::of(&folder, decl, &cts, keep));
        let kept = match (opts.reuse, &inputs) {
            (Some(r), Some(i)) => {
                let mut r = r.borrow_mut();
                match r.kept.remove(&decl.name) {
                    Some(k) if &k.inputs == i => {
                        r.reused.push(decl.name.clone());
                        Some(k)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let d = match kept {
            Some(k) => {
                folder.remember(&k.reads);
                if let Some(r) = opts.reuse {
                    r.borrow_mut()
                        .pending
                        .insert(decl.name.clone(), (k.inputs, k.reads));
                }
                let mut d = k.dataset;
                d.timings = Default::default();
                d
            }
            None => {
                let before = folder.reads();
                let d = Dataset::load(
                    &folder,
                    decl,
                    &cts,
                    keep,
                    rows.as_ref()
                        .map(|f| f as &dyn Fn(crate::dataset::ReadProgress)),
                )?;
                if let (Some(r), Some(i)) = (opts.reuse, inputs) {
                    let reads = folder
                        .reads()
                        .into_iter()
                        .filter(|x| !before.contains(x))
                        .collect();
                    r.borrow_mut().pending.insert(decl.name.clone(), (i, reads));
                }
                d
            }
        };
        for w in &d.source.wording {
            say(&format!("  check: {w}"));
        }
        // A rule that sets aside more than a twentieth of the submissions is worth a second
        // look (a drafted too-fast threshold on a long questionnaire, say).
        let f = &d.cleaning.funnel;
        for step in &f.steps {
            if step.excluded * 20 > f.collected {
                // The first of them, so that what the rule saw is on the console too (trial
                // 39: a fill-in that lost its display condition set 123 of 300 aside, and the
                // line did not say why).
                let first = d
                    .cleaning
                    .first_logged(step.rule)
                    .ok()
                    .flatten()
                    .map(|e| {
                        format!(
                            "; the first, row {}: {} (cleaning-log-{}.csv lists them all)",
                            e.row,
                            survey_import::shorten(&e.evidence, 200),
                            decl.name
                        )
                    })
                    .unwrap_or_default();
                say(&format!(
                    "  check: «{}» set aside {} of {} submissions ({}){first}; if that is more than expected, adjust the rule in {}",
                    step.description,
                    step.excluded,
                    f.collected,
                    survey_print::fmt::percent(step.excluded, f.collected, 1),
                    decl.cleaning
                ));
            }
        }
        no_valid_submission(decl, &d)?;
        timings.import += d.timings.import;
        timings.clean += d.timings.clean;
        timings.aggregate += d.timings.aggregate;
        if d.timings.parallel {
            timings.parallel.push(decl.name.clone());
        }
        if let Some(how) = d.timings.read_back {
            timings.read_back.push((decl.name.clone(), how));
        }
        datasets.insert(decl.name.clone(), d);
    }
    let composed = compose(
        &folder,
        &spec,
        &blocks,
        registry,
        &narratives,
        opts,
        &printed,
        &datasets,
        &mut timings,
    );
    let Composed {
        document,
        tables,
        audit,
        internal,
        weights,
    } = match composed {
        Ok(c) => c,
        Err(e) => {
            // A failed build (a bad reference, say) still hands its datasets back, so the
            // next attempt does not re-read unchanged data.
            if let Some(r) = opts.reuse {
                r.borrow_mut().keep(datasets);
            }
            return Err(e);
        }
    };
    drop(folder);
    Ok(Built {
        spec,
        document,
        tables,
        datasets,
        audit,
        internal,
        weights,
        timings,
    })
}

/// An error of one block of the spec, at its line.
fn located(spec_path: &Path, rb: &RawBlock, message: String) -> ReportError {
    ReportError::Spec(SpecError {
        file: spec_path.to_owned(),
        line: Some(rb.line),
        block: Some(rb.describe()),
        field: None,
        message,
    })
}

/// A cross-tab some block prints: of which dataset, with what suppression, and where.
pub(crate) struct Printed {
    pub dataset: String,
    pub crosstab: CrossTabSpec,
    pub suppress: u64,
    /// The block (and the place in it) that prints it, for messages.
    pub at: String,
}

/// Which datasets hold the same respondents, by the content of the files they read (their
/// digests, recorded as they were read): datasets reading one download with the same
/// questionnaire, mapping and cleaning are one set of respondents to disclosure control
/// (trial 38: a second dataset on the same download printed, with `suppress = 0`, the cells
/// the first one hid). Datasets reading one download otherwise (other cleaning, say) must
/// still print each pair of questions with the same `suppress`.
fn same_respondents(
    folder: &Folder,
    spec: &ReportSpec,
    printed: &[Printed],
) -> Result<crate::linked::Same, String> {
    let reads: HashMap<String, String> = folder.reads().into_iter().collect();
    let digest = |rel: &str| reads.get(rel).cloned().unwrap_or_else(|| format!("?{rel}"));
    let mut first_by_data: HashMap<String, String> = HashMap::new();
    let mut first_by_all: HashMap<[String; 4], String> = HashMap::new();
    let mut data_of: HashMap<String, String> = HashMap::new();
    let mut same: HashMap<String, String> = HashMap::new();
    for d in &spec.datasets {
        let data = digest(&d.data);
        let all = [
            data.clone(),
            digest(&d.questionnaire),
            digest(&d.mapping),
            digest(&d.cleaning),
        ];
        let first = first_by_all.entry(all).or_insert_with(|| d.name.clone());
        same.insert(d.name.clone(), first.clone());
        let first = first_by_data
            .entry(data)
            .or_insert_with(|| d.name.clone())
            .clone();
        data_of.insert(d.name.clone(), first);
    }
    // Each pair of questions, by download: the threshold it is printed with, and where.
    let mut seen: HashMap<(&str, &str, &str), &Printed> = HashMap::new();
    for p in printed {
        let Some(data) = data_of.get(&p.dataset) else {
            continue;
        };
        let (a, b) = if p.crosstab.row <= p.crosstab.col {
            (&p.crosstab.row, &p.crosstab.col)
        } else {
            (&p.crosstab.col, &p.crosstab.row)
        };
        match seen.entry((data.as_str(), a.as_str(), b.as_str())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(p);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let first = o.get();
                if first.suppress != p.suppress && first.dataset != p.dataset {
                    return Err(format!(
                        "{} × {} is printed from dataset `{}` with `suppress = {}` by {}, and from dataset `{}` with `suppress = {}` by {}; both datasets read the same download ({}), so a cell one table hides the other would print. Give both the same `suppress`.",
                        p.crosstab.row,
                        p.crosstab.col,
                        first.dataset,
                        first.suppress,
                        first.at,
                        p.dataset,
                        p.suppress,
                        p.at,
                        spec.datasets
                            .iter()
                            .find(|d| d.name == p.dataset)
                            .map_or("", |d| d.data.as_str()),
                    ));
                }
            }
        }
    }
    Ok(crate::linked::Same::new(same))
}

/// What the blocks made of the datasets.
struct Composed {
    document: Document,
    tables: TablesFile,
    audit: Option<survey_audit::Audit>,
    internal: Vec<InternalTable>,
    weights: IndexMap<String, crate::weights::WeightSet>,
}

/// Weights, earlier waves, the audit, then every block, the report-wide disclosure audit and
/// the tables file.
#[allow(clippy::too_many_arguments)]
fn compose(
    folder: &Folder,
    spec: &ReportSpec,
    blocks: &[(RawBlock, Box<dyn Block>)],
    registry: &Registry,
    narratives: &RefCell<crate::block::Narratives>,
    opts: &BuildOptions,
    printed: &[Printed],
    datasets: &IndexMap<String, Dataset>,
    timings: &mut Timings,
) -> Result<Composed, ReportError> {
    let spec_path = folder.shown("report.toml");
    let located = |rb: &RawBlock, message: String| located(&spec_path, rb, message);
    let same = same_respondents(folder, spec, printed)
        .map_err(|m| ReportError::Input(format!("{}: {m}", spec_path.display())))?;

    let weights = crate::weights::compute(folder, &spec.weights, datasets)?;
    let waves = crate::waves::load(
        folder,
        &spec.waves,
        spec.default_dataset(),
        spec.date.get(..4).unwrap_or(&spec.date),
        datasets,
    )?;
    let audit = match &spec.audit {
        Some(decl) => Some(
            crate::blocks::audit::run(folder, decl, datasets).map_err(|m| {
                ReportError::Spec(SpecError {
                    file: spec_path.clone(),
                    line: None,
                    block: None,
                    field: Some("audit".into()),
                    message: m,
                })
            })?,
        ),
        None => None,
    };
    let t0 = Instant::now();
    let provenance = Provenance {
        toolkit: opts.toolkit_version.clone(),
        typst: opts.typst_version.clone(),
    };
    let protected = crate::linked::protected(printed, datasets, &same)
        .map_err(|m| ReportError::Input(format!("{}: {m}", spec_path.display())))?;
    let mut cx = Context::new(
        folder,
        spec,
        datasets,
        &provenance,
        &weights,
        &waves,
        registry,
        audit.as_ref(),
        narratives,
        protected,
    );
    for (rb, b) in blocks {
        b.build(&mut cx).map_err(|m| located(rb, m))?;
    }
    let Finished {
        mut elements,
        deferred,
        orders,
        suppressed,
        facts,
    } = cx
        .finish()
        .map_err(|errs| ReportError::Input(errs.join("\n")))?;
    // The figures that draw a percent axis ending below 100%, for the note on axes.
    let mut short_axes: Vec<(String, f64)> = Vec::new();
    let mut look_at = |e: &Element| {
        if let Element::Figure(f) = e
            && f.style.draws_axis()
            && f.axis.unit == survey_print::AxisUnit::Percent
            && f.axis.max < 100.0
            && let Some(n) = &f.number
        {
            short_axes.push((format!("图{n}"), f.axis.max));
        }
    };
    for e in &elements {
        match e {
            Element::KeepTogether(inner) => inner.iter().for_each(&mut look_at),
            e => look_at(e),
        }
    }
    for (at, what) in deferred {
        match what {
            Deferred::Orders => elements[at] = orders_paragraph(&orders, &short_axes),
            Deferred::Provenance => {
                if let Element::Table(t) = &mut elements[at] {
                    t.rows = provenance_rows(&folder.reads());
                }
            }
        }
    }
    crate::linked::audit(&suppressed, &facts, datasets, &weights, &same).map_err(|errs| {
        ReportError::Input(format!(
            "{}: the disclosure audit of everything the report prints found hidden cells that can be worked out:\n{}",
            spec_path.display(),
            errs.join("\n")
        ))
    })?;
    let internal: Vec<InternalTable> = suppressed.into_iter().map(|s| s.internal).collect();
    let document = Document {
        meta: DocMeta {
            title: spec.title.clone(),
            author: spec.author.clone(),
            keywords: spec.keywords.clone(),
            language: "zh-CN".into(),
        },
        elements,
    };
    let tables = TablesFile {
        report: spec.id.clone(),
        tables: document
            .tables()
            .into_iter()
            .filter(|t| t.published())
            .cloned()
            .collect(),
        figures: document
            .figures()
            .into_iter()
            .filter(|f| f.number.is_some())
            .cloned()
            .collect(),
        weighting: weights
            .values()
            .map(|w| w.summary(&datasets[&w.dataset]))
            .collect(),
    };
    timings.render = t0.elapsed();
    Ok(Composed {
        document,
        tables,
        audit,
        internal,
        weights,
    })
}
