//! # survey-export
//!
//! The last step of the flow: a computed report out, as Typst, PDF and table files.
//!
//! * [`draw`]: a [`survey_print::Document`] as Typst — one general drawer for every printed
//!   table, one per chart style, and the page furniture (cover, parts, contents, back cover);
//! * [`typst`]: writing Typst source where every outside string is an escaped string literal;
//! * [`template`]: the page style (A4, serif body, sans headings, running headers);
//! * [`files`]: `tables.json`, one CSV per table and `tables.xlsx`, from the same printed tables;
//! * [`compile`]: the typst CLI run offline with only the project's fonts and a fixed timestamp,
//!   and a check that those fonts cover every character printed.
//!
//! It draws what it is given: it computes no statistic, reads no questionnaire, spec or data,
//! and decides nothing about what is hidden — suppressed cells arrive as markers.

pub mod compile;
pub mod draw;
pub mod files;
pub mod template;
pub mod typst;
