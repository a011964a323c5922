//! # survey-schema
//!
//! The first step of the flow: the typed model of a survey questionnaire (metadata, sections,
//! questions of six kinds, options with stable codes, display conditions) and of respondent
//! records, plus the JSON Schemas of both. It knows nothing of files exported by survey
//! platforms, of cleaning, of tables or of reports; every later crate builds on it.
//!
//! * [`Questionnaire`] is what a questionnaire file holds; [`Index`] is a checked, indexed
//!   questionnaire that the rest of the flow uses.
//! * [`Response`] is one respondent keyed by question id (the JSON form); [`Record`] is the
//!   same respondent coded by position, which is what aggregation reads.
//! * [`Crosswalk`] links the questions and options of an earlier questionnaire to this one's,
//!   for comparing survey waves ([`check_crosswalk`] checks it against both).
//! * [`Index::response_schema`] generates the JSON Schema of a response record;
//!   [`questionnaire_schema`] is the schema of the questionnaire format itself.

mod crosswalk;
mod index;
mod load;
mod model;
pub mod packed;
mod record;
mod response_schema;
pub mod spool;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use crosswalk::{Crosswalk, CrosswalkError, Links, OptionLink, QuestionLink, check_crosswalk};
pub use index::{Index, MAX_MULTIPLE_OPTIONS, SchemaIssue};
pub use load::{
    LoadError, MAX_QUESTIONNAIRE_BYTES, load_questionnaire, parse_questionnaire, read_regular,
    read_regular_bytes,
};
pub use model::{
    ChoiceOption, Condition, Label, LabelRepr, Question, QuestionKind, Questionnaire, Section,
    title,
};
pub use record::{AnswerValue, EncodeIssue, OptionSet, Record, Response, Value};
pub use response_schema::{MAX_EXACT_INTEGER, questionnaire_schema};
