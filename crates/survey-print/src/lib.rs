//! # survey-print
//!
//! What a report prints, as data. Blocks of the report builder compute a [`Document`]: cover,
//! headings, paragraphs whose numbers are already resolved, and every table and figure as a
//! [`PrintedTable`] or [`PrintedFigure`] — rows and columns after ordering, rounding and
//! suppression, with intervals, tests, notes and bases. The exporter draws that model into
//! Typst and writes the very same tables into `tables.json`, CSV and XLSX, so what one output
//! hides, every output hides: a suppressed cell carries its marker and nothing else.
//!
//! [`fmt`] formats numbers as Chinese survey reports print them (half-up rounding, computed
//! exactly from counts), for the builder, the exporter and the audit alike.
//!
//! It depends on nothing of the flow: no questionnaire, no records, no files, no Typst.

pub mod fmt;
mod model;
mod table;

pub use model::{
    BackCover, Committee, CommitteeGroup, CommitteeMember, Cover, DocMeta, Document, Element,
    Image, ImageFormat, Inline, NumberKind, valid_number,
};
pub use table::{
    Axis, AxisUnit, Bar, Base, Category, Cell, CellValue, ChartStyle, Column, ColumnKind,
    IntervalNote, PBand, PrintedFigure, PrintedRow, PrintedTable, RowRole, SuppressionNote,
    SuppressionReason, TableKind, TablesFile, TestMethod, TestResult, WeightingCategory,
    WeightingSummary, WeightingVariable,
};
