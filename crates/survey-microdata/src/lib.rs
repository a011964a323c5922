//! # survey-microdata
//!
//! Respondent-level data for statistical packages: a dataset's cleaned, valid respondents with
//! their labels, written as SPSS `.sav`, Stata `.dta` (format 118, UTF-8) and Parquet, with a
//! codebook. One variable name serves every format ([`naming`]: valid in SPSS and Stata alike).
//! "Not shown" and "not answered" stay apart in each: user-missing codes -3 and -2 in `.sav`,
//! `.a` and `.b` in `.dta`, null plus a `__status` column in Parquet. Multiple-choice questions
//! are 0/1 dichotomies grouped in a multiple-response set. Identifying questions are left out
//! unless asked for.
//!
//! It takes a questionnaire index and a source of records and writes into any seekable writer,
//! a chunk of rows at a time; it knows nothing of file names, reports or how tables are
//! printed.

pub mod codebook;
pub mod dta;
pub mod model;
pub mod naming;
pub mod parquet_out;
pub mod sav;

use std::io::{Read, Seek, Write};
use std::sync::mpsc;

pub use codebook::{Codebook, codebook};
pub use model::{
    Chunk, Export, Measure, RecordSource, Role, WeightColumn, flatten, flatten_ranked,
};
use survey_schema::Index;

/// Why a dataset could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{format}: {message}")]
pub struct ExportError {
    pub format: &'static str,
    pub message: String,
}

/// Where one dataset's files go.
pub struct Targets<W> {
    pub sav: W,
    pub dta: W,
    pub parquet: W,
}

/// Write one dataset's `.sav`, `.dta` and Parquet files and return its codebook, with the
/// variables whose longest texts the `.dta` had to cut ([`dta::STR_MAX`]) and how many. The records
/// are read twice: once to learn what the headers need (text widths, number ranges, counts),
/// once to write, a [`Chunk`] of rows at a time into all three files, so memory does not grow
/// with the number of respondents. `created` (`YYYY-MM-DD HH:MM:SS`) is the date the `.sav`
/// header records. `rankings` are the export's ranking questions (排序题), each the number
/// questions holding its options' places ([`model::flatten_ranked`]).
pub fn export<W: Read + Write + Seek + Send, R: RecordSource + ?Sized>(
    index: &Index,
    records: &R,
    identifying: bool,
    weights: Vec<WeightColumn<'_>>,
    rankings: &[Vec<String>],
    created: &str,
    to: Targets<W>,
) -> Result<(Codebook, Vec<(String, u64)>), ExportError> {
    let ds =
        flatten_ranked(index, records, identifying, weights, rankings).map_err(err("records"))?;
    write(&ds, records, created, to)?;
    let cut = ds
        .vars
        .iter()
        .zip(&ds.stats)
        .filter(|(_, s)| s.cut_in_dta > 0)
        .map(|(v, s)| (v.name.clone(), s.cut_in_dta))
        .collect();
    Ok((codebook_of(index, &ds), cut))
}

fn err(format: &'static str) -> impl Fn(String) -> ExportError {
    move |message| ExportError { format, message }
}

/// The codebook of an export of `index`'s questions.
fn codebook_of(index: &Index, ds: &Export) -> Codebook {
    codebook(ds, |q| {
        index
            .get(q)
            .map(|q| q.kind.options().iter().map(|o| o.code.clone()).collect())
            .unwrap_or_default()
    })
}

/// Write the three files of a flattened export, [`Export::chunk_rows`] rows at a time (a
/// test may lower it: the files do not change), reading `records` again; returns the writers.
pub fn write<W: Read + Write + Seek + Send, R: RecordSource + ?Sized>(
    ds: &Export,
    records: &R,
    created: &str,
    to: Targets<W>,
) -> Result<Targets<W>, ExportError> {
    let mut sav = sav::Writer::new(to.sav, ds, created).map_err(err("SPSS .sav"))?;
    let mut dta = dta::Writer::new(to.dta, ds).map_err(err("Stata .dta"))?;
    let mut parquet = parquet_out::Writer::new(to.parquet, ds).map_err(err("Parquet"))?;
    // Two chunks take turns: while the writers take one, the records fill the other.
    let (full_tx, full_rx) = mpsc::sync_channel::<Chunk>(1);
    let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
    std::thread::scope(|scope| {
        let writing = scope.spawn(move || -> Result<_, ExportError> {
            for mut chunk in full_rx {
                // The three files are written side by side, each from the same chunk.
                let (s, d, p) = std::thread::scope(|scope| {
                    let chunk = &chunk;
                    let s = scope.spawn(|| sav.write(chunk));
                    let d = scope.spawn(|| dta.write(chunk));
                    let p = parquet.write(chunk);
                    let joined = |r: std::thread::Result<Result<(), String>>| {
                        r.unwrap_or_else(|_| Err("the writer stopped unexpectedly".into()))
                    };
                    (joined(s.join()), joined(d.join()), p)
                });
                s.map_err(err("SPSS .sav"))?;
                d.map_err(err("Stata .dta"))?;
                p.map_err(err("Parquet"))?;
                chunk.rows = 0;
                chunk.columns.iter_mut().for_each(Vec::clear);
                // The reader may have stopped already; the chunk is then not needed.
                let _ = empty_tx.send(chunk);
            }
            Ok(Targets {
                sav: sav.finish().map_err(err("SPSS .sav"))?,
                dta: dta.finish().map_err(err("Stata .dta"))?,
                parquet: parquet.finish().map_err(err("Parquet"))?,
            })
        });
        // Stopped writers drop their end: the reading stops at the next full chunk, and the
        // writers' error is the one reported (unless the records failed first).
        const STOPPED: &str = "the writers stopped";
        let mut spare = Some(ds.chunk());
        let mut chunk = ds.chunk();
        let read = records.each_record(&mut |r| {
            ds.push(&mut chunk, r)?;
            if chunk.rows == ds.chunk_rows {
                let next = match spare.take() {
                    Some(c) => c,
                    None => empty_rx.recv().map_err(|_| STOPPED.to_owned())?,
                };
                full_tx
                    .send(std::mem::replace(&mut chunk, next))
                    .map_err(|_| STOPPED.to_owned())?;
            }
            Ok(())
        });
        let read = read.and_then(|()| full_tx.send(chunk).map_err(|_| STOPPED.to_owned()));
        drop(full_tx);
        let written = writing
            .join()
            .unwrap_or_else(|_| Err(err("export")("a writer stopped unexpectedly".into())));
        // Records that failed come first: the writers then only lack the rows.
        match read {
            Err(e) if e != STOPPED => Err(err("records")(e)),
            _ => written,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use arrow::array::{Array, ArrayRef};
    use arrow::compute::cast;
    use arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use proptest::prelude::*;
    use survey_schema::Record;
    use survey_schema::testing::{arb_index, valid_record};

    use super::*;

    /// The files of one dataset, in memory.
    struct Files {
        sav: Vec<u8>,
        dta: Vec<u8>,
        parquet: Vec<u8>,
        codebook: Codebook,
    }

    fn records(index: &Index, n: usize, seed: u64, numeric_ids: bool) -> Vec<Record> {
        (0..n)
            .map(|i| {
                let id = if numeric_ids {
                    (1000 + i).to_string()
                } else {
                    format!("R{i}")
                };
                valid_record(index, &id, seed.wrapping_add(i as u64))
            })
            .collect()
    }

    fn write(index: &Index, recs: &[Record], chunk_rows: Option<usize>) -> (Files, usize) {
        let to = Targets {
            sav: Cursor::new(Vec::new()),
            dta: Cursor::new(Vec::new()),
            parquet: Cursor::new(Vec::new()),
        };
        let weights = vec![WeightColumn {
            name: "w".into(),
            label: "权重".into(),
            weight: Box::new(|r: &Record| 0.5 + r.id.len() as f64 / 7.0),
        }];
        let mut ds = flatten(index, recs, false, weights).expect("flatten");
        if let Some(n) = chunk_rows {
            ds.chunk_rows = n;
        }
        let to = super::write(&ds, recs, "2025-06-01 00:00:00", to).expect("export");
        let codebook = codebook_of(index, &ds);
        let pf = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(
            to.parquet.get_ref().clone(),
        ))
        .expect("parquet reads back");
        let groups = pf.metadata().num_row_groups();
        let files = Files {
            sav: to.sav.into_inner(),
            dta: to.dta.into_inner(),
            parquet: to.parquet.into_inner(),
            codebook,
        };
        (files, groups)
    }

    /// Every column of a Parquet file as text, dictionaries decoded, row groups joined.
    fn parquet_values(bytes: &[u8]) -> Vec<Vec<Option<String>>> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.to_vec()))
            .expect("parquet reads back")
            .build()
            .expect("reader");
        let mut columns: Vec<Vec<Option<String>>> = Vec::new();
        for batch in reader {
            let batch = batch.expect("batch");
            columns.resize(batch.num_columns(), Vec::new());
            for (c, col) in batch.columns().iter().enumerate() {
                let text: ArrayRef = cast(col, &DataType::Utf8).expect("cast to text");
                let text = text
                    .as_any()
                    .downcast_ref::<arrow::array::StringArray>()
                    .expect("text");
                columns[c].extend(
                    (0..text.len()).map(|i| (!text.is_null(i)).then(|| text.value(i).to_owned())),
                );
            }
        }
        columns
    }

    /// The `.sav` `ambers` writes from all rows at once (how the export was written before
    /// it streamed).
    fn sav_at_once(index: &Index, recs: &[Record]) -> Vec<u8> {
        let weights = vec![WeightColumn {
            name: "w".into(),
            label: "权重".into(),
            weight: Box::new(|r: &Record| 0.5 + r.id.len() as f64 / 7.0),
        }];
        let mut ds = flatten(index, recs, false, weights).expect("flatten");
        ds.chunk_rows = recs.len().max(1);
        let mut chunk = ds.chunk();
        for r in recs {
            ds.push(&mut chunk, r).expect("push");
        }
        sav::at_once(&ds, &chunk, "2025-06-01 00:00:00")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// However the rows are handed to the writers, the `.sav` and `.dta` are the same
        /// bytes, the `.sav` is the one `ambers` writes from every row at once, and the
        /// Parquet file holds the same values.
        #[test]
        fn files_do_not_depend_on_the_chunks(
            index in arb_index(),
            n in 0usize..40,
            seed in any::<u64>(),
            numeric_ids in any::<bool>(),
            chunk in 1usize..7,
        ) {
            let recs = records(&index, n, seed, numeric_ids);
            let (whole, _) = write(&index, &recs, None);
            let (chunked, _) = write(&index, &recs, Some(chunk));
            prop_assert_eq!(&chunked.sav, &whole.sav);
            prop_assert_eq!(&chunked.sav, &sav_at_once(&index, &recs));
            prop_assert_eq!(&chunked.dta, &whole.dta);
            prop_assert_eq!(parquet_values(&chunked.parquet), parquet_values(&whole.parquet));
            prop_assert_eq!(&chunked.codebook, &whole.codebook);
            prop_assert_eq!(chunked.codebook.respondents, n as u64);
        }
    }

    /// A questionnaire of one question.
    fn one_question(question: serde_json::Value) -> Index {
        Index::new(
            serde_json::from_value(serde_json::json!({
                "id": "t", "title": "测试", "organisation": "CHIMA", "year": 2025,
                "language": "zh-CN",
                "sections": [{"id": "s", "title": "S", "questions": [question]}]
            }))
            .expect("questionnaire"),
        )
        .expect("index")
    }

    /// A text longer than a `.dta` string is cut there in the `.dta` alone, and counted; ids
    /// that a number would merge (`0002` and `2`) or round stay texts.
    #[test]
    fn long_texts_and_odd_ids_are_kept() {
        let index = one_question(serde_json::json!({"id": "note", "text": "意见", "kind": "text"}));
        let long = "医".repeat(700);
        let mut recs = Vec::new();
        for (id, text) in [
            ("0002", long.as_str()),
            ("2", "短"),
            ("9007199254740993", ""),
        ] {
            let mut r = Record::blank(id, 1);
            r.values[0] = survey_schema::Value::Text(text.to_owned());
            recs.push(r);
        }
        let ds = flatten(&index, recs.as_slice(), false, Vec::new()).expect("flatten");
        assert_eq!(ds.vars[0].vtype, model::VarType::Text { width_bytes: 16 });
        assert_eq!(ds.stats[1].cut_in_dta, 1);
        let to = Targets {
            sav: Cursor::new(Vec::new()),
            dta: Cursor::new(Vec::new()),
            parquet: Cursor::new(Vec::new()),
        };
        let to = super::write(&ds, recs.as_slice(), "2025-06-01 00:00:00", to).expect("export");
        let (sav, dta) = (to.sav.into_inner(), to.dta.into_inner());
        assert!(!sav.is_empty());
        let find = |h: &[u8], n: &[u8]| h.windows(n.len()).any(|w| w == n);
        // 2,045 bytes hold 681 characters of three bytes; the .sav keeps all 700.
        assert!(find(&dta, "医".repeat(681).as_bytes()));
        assert!(!find(&dta, "医".repeat(682).as_bytes()));
        let (batch, _) = ambers::read_sav_from_reader(Cursor::new(sav)).expect("reads back");
        let note = cast(batch.column(1), &DataType::Utf8).expect("text");
        let note = note
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .expect("text");
        assert_eq!(note.value(0).trim_end(), long);
        assert!(find(&dta, b"0002") && find(&dta, b"9007199254740993"));
        let values = parquet_values(&to.parquet.into_inner());
        assert_eq!(
            values[0],
            ["0002", "2", "9007199254740993"].map(|s| Some(s.to_owned()))
        );
        assert_eq!(values[1][0].as_deref(), Some(long.as_str()));
    }

    /// A scale labelled 0…10 holds its scores (option 0 is 0, not 1) in every file, with its
    /// labels on the scores; a scale in words holds its options' positions from 1.
    #[test]
    fn a_scale_labelled_with_numbers_holds_its_scores() {
        let options: Vec<serde_json::Value> = (0..=10)
            .map(|k| serde_json::json!({"code": format!("s{k}"), "label": k.to_string()}))
            .collect();
        let index = Index::new(
            serde_json::from_value(serde_json::json!({
                "id": "t", "title": "测试", "organisation": "CHIMA", "year": 2025,
                "language": "zh-CN",
                "sections": [{"id": "s", "title": "S", "questions": [
                    {"id": "nps", "text": "推荐", "kind": "ordinal", "options": options},
                    {"id": "sat", "text": "满意", "kind": "ordinal", "options": [
                        {"code": "a", "label": "不满意"}, {"code": "b", "label": "满意"}]}
                ]}]
            }))
            .expect("questionnaire"),
        )
        .expect("index");
        let recs: Vec<Record> = [(0u16, 0u16), (10, 1), (7, 1)]
            .iter()
            .enumerate()
            .map(|(k, &(nps, sat))| {
                let mut r = Record::blank((k + 1).to_string(), 2);
                r.values[0] = survey_schema::Value::Choice(nps);
                r.values[1] = survey_schema::Value::Choice(sat);
                r
            })
            .collect();
        let (files, _) = write(&index, &recs, None);
        let nps = files
            .codebook
            .variables
            .iter()
            .find(|v| v.name == "nps")
            .expect("nps");
        assert_eq!(
            nps.values.first().map(|v| (v.code, v.label.as_str())),
            Some((0, "0"))
        );
        assert_eq!(nps.values.last().map(|v| (v.code, v.count)), Some((10, 1)));
        let (batch, _) = ambers::read_sav_from_reader(Cursor::new(files.sav)).expect("reads back");
        let column = |name: &str| {
            let at = batch.schema().index_of(name).expect("column");
            let col = cast(batch.column(at), &DataType::Float64).expect("numbers");
            let col = col
                .as_any()
                .downcast_ref::<arrow::array::Float64Array>()
                .expect("numbers")
                .clone();
            col.values().to_vec()
        };
        assert_eq!(column("nps"), [0.0, 10.0, 7.0]);
        assert_eq!(column("sat"), [1.0, 2.0, 2.0]);
    }

    /// Rows past one Parquet row group go into more: the writer never buffers the whole file.
    #[test]
    fn a_long_export_is_cut_into_row_groups() {
        let index = one_question(serde_json::json!({
            "id": "q1", "text": "规模", "kind": "single_choice", "options": [
                {"code": "a", "label": "小"}, {"code": "b", "label": "大"}]}));
        let n = parquet_out::MAX_GROUP_ROWS + 10;
        let recs = records(&index, n, 7, true);
        let (files, groups) = write(&index, &recs, Some(4093));
        assert_eq!(groups, 2);
        let values = parquet_values(&files.parquet);
        assert_eq!(values[0].len(), n);
        assert_eq!(values[0][0].as_deref(), Some("1000"));
        assert_eq!(values[0][n - 1], Some((999 + n).to_string()));
    }

    /// A file that takes `room` bytes and refuses the rest, as a full disk does.
    struct Full {
        inner: Cursor<Vec<u8>>,
        room: usize,
    }

    impl Read for Full {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.inner.read(buf)
        }
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.inner.get_ref().len() + buf.len() > self.room {
                return Err(std::io::Error::other("no space left on device"));
            }
            self.inner.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Full {
        fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    /// Records that fail after `ok` of them, as a file changed mid-read does.
    struct Failing<'a> {
        recs: &'a [Record],
        ok: usize,
    }

    impl RecordSource for Failing<'_> {
        fn each_record(
            &self,
            f: &mut dyn FnMut(&Record) -> Result<(), String>,
        ) -> Result<(), String> {
            for (i, r) in self.recs.iter().enumerate() {
                if i == self.ok {
                    return Err(format!("row {} could not be read again", i + 2));
                }
                f(r)?;
            }
            Ok(())
        }
    }

    /// Chunks are written while the next is filled: a writer that fails part-way, or records
    /// that fail part-way, stop the export with that error (neither side waits for ever).
    #[test]
    fn a_failure_on_either_side_stops_the_export() {
        let index = one_question(serde_json::json!({
            "id": "q1", "text": "备注", "kind": "text"}));
        let recs = records(&index, 400, 3, true);
        let ds = |n: usize| {
            let mut ds = flatten(&index, &recs[..], false, Vec::new()).expect("flatten");
            ds.chunk_rows = n;
            ds
        };
        let full = |room| Full {
            inner: Cursor::new(Vec::new()),
            room,
        };
        // The .dta takes half of what it needs, then the disk is full.
        let whole = {
            let to = Targets {
                sav: full(usize::MAX),
                dta: full(usize::MAX),
                parquet: full(usize::MAX),
            };
            let to = super::write(&ds(7), &recs[..], "2025-06-01 00:00:00", to).expect("export");
            to.dta.inner.into_inner().len()
        };
        let to = Targets {
            sav: full(usize::MAX),
            dta: full(whole / 2),
            parquet: full(usize::MAX),
        };
        let e = super::write(&ds(7), &recs[..], "2025-06-01 00:00:00", to)
            .err()
            .expect("the .dta cannot be written whole");
        assert_eq!(e.format, "Stata .dta", "{e}");
        assert!(e.message.contains("no space left"), "{e}");

        let to = Targets {
            sav: full(usize::MAX),
            dta: full(usize::MAX),
            parquet: full(usize::MAX),
        };
        let failing = Failing {
            recs: &recs,
            ok: 100,
        };
        let e = super::write(&ds(7), &failing, "2025-06-01 00:00:00", to)
            .err()
            .expect("the records fail");
        assert_eq!(e.format, "records", "{e}");
        assert!(e.message.contains("row 102"), "{e}");
    }
}
