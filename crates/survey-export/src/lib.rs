//! # survey-export
//!
//! The last step of the flow: computed tables out.
//!
//! * [`typst`]: writing Typst source where every outside string is an escaped string literal;
//! * [`template`]: the page style (A4, serif body, sans headings, running headers);
//! * [`blocks`]: numbered tables and charts drawn with Typst's own primitives (no packages);
//! * [`fmt`]: percentages rounded half up, exactly, as reports print them;
//! * [`files`]: `tables.json` (with its JSON Schema), one CSV per table, `tables.xlsx`;
//! * [`compile`]: the typst CLI run offline with only the project's fonts and a fixed timestamp,
//!   and a check that those fonts cover every character printed.
//!
//! It reads `survey-aggregate`'s result types and knows nothing of report specs or narratives.

pub mod blocks;
pub mod compile;
pub mod files;
pub mod fmt;
pub mod template;
pub mod typst;
