//! A dataset: one questionnaire's export, imported, cleaned and aggregated.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_aggregate::{Aggregate, CrossTabSpec};
use survey_clean::{Cleaner, Cleaning, Rules};
use survey_import::{Mapping, SourceInfo};
use survey_schema::Index;

use crate::ReportError;

/// A dataset as the report spec declares it; paths are relative to the report folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetDecl {
    /// Short name used in references (`main`, `ai`).
    pub name: String,
    pub questionnaire: String,
    /// The raw export.
    pub data: String,
    /// How the export's columns tie to the questionnaire.
    pub mapping: String,
    /// Cleaning rules.
    pub cleaning: String,
}

/// A loaded dataset.
pub struct Dataset {
    pub name: String,
    pub index: Index,
    pub source: SourceInfo,
    pub cleaning: Cleaning,
    pub aggregate: Aggregate,
    /// Every input file with its SHA-256, for provenance.
    pub inputs: Vec<(PathBuf, String)>,
}

/// Called with (bytes of the file, rows read so far) as rows are read.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

impl Dataset {
    /// Import the export twice, streaming: the first pass decides which rows are valid, the
    /// second aggregates them. No pass holds every record in memory.
    pub fn load(
        dir: &Path,
        decl: &DatasetDecl,
        crosstabs: &[CrossTabSpec],
        progress: Option<Progress>,
    ) -> Result<Dataset, ReportError> {
        let qpath = dir.join(&decl.questionnaire);
        let index = survey_schema::load_questionnaire(&qpath)
            .map_err(|e| ReportError::Input(e.to_string()))?;
        let mpath = dir.join(&decl.mapping);
        let mapping = Mapping::load(&mpath).map_err(|e| ReportError::Input(e.to_string()))?;
        let rpath = dir.join(&decl.cleaning);
        let rules = Rules::load(&rpath, &index).map_err(|e| ReportError::Input(e.to_string()))?;
        let dpath = dir.join(&decl.data);
        let mut cleaner = Cleaner::new(&index, &rules);
        let importer = survey_import::open(&index, &mapping, &mpath, &dpath)
            .map_err(|e| ReportError::Input(e.to_string()))?;
        let source = importer.info.clone();
        let mut n = 0u64;
        for item in importer {
            let item = item.map_err(|e| ReportError::Input(e.to_string()))?;
            cleaner.add(&item);
            n += 1;
            if let Some(p) = progress
                && n.is_multiple_of(4096)
            {
                p(source.bytes, n);
            }
        }
        let cleaning = cleaner
            .finish()
            .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
        let mut aggregate = Aggregate::new(&index, crosstabs)
            .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        for item in survey_import::open(&index, &mapping, &mpath, &dpath)
            .map_err(|e| ReportError::Input(e.to_string()))?
        {
            let item = item.map_err(|e| ReportError::Input(e.to_string()))?;
            if cleaning.is_kept(item.meta.row) {
                aggregate
                    .add(&item.record)
                    .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
            }
        }
        let inputs = [qpath, mpath, rpath, dpath]
            .into_iter()
            .map(|p| {
                let digest = sha256_file(&p)?;
                Ok((p, digest))
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        Ok(Dataset {
            name: decl.name.clone(),
            index,
            source,
            cleaning,
            aggregate,
            inputs,
        })
    }
}

/// Hex SHA-256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> Result<String, ReportError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| ReportError::Input(format!("{}: cannot read: {e}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = f
            .read(&mut buf)
            .map_err(|e| ReportError::Input(format!("{}: cannot read: {e}", path.display())))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
