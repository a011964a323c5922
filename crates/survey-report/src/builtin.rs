//! The registry of built-in block kinds. The blocks themselves live in [`crate::blocks`].

use crate::block::Registry;
use crate::blocks::{audit, front, inference, matrix, notes, ranking, tables, trend};

impl Registry {
    /// Every built-in kind. Kinds with a main field may give it bare in a narrative
    /// directive: `@question law_awareness`, `@part 03 {title = "…"}`.
    pub fn with_builtins() -> Registry {
        let mut r = Registry::empty();
        r.register::<front::Cover>("cover")
            .register::<front::BackCover>("back_cover")
            .register_positional::<front::Part>("part", "number")
            .register_positional::<front::Heading>("heading", "title")
            .register_positional::<front::NarrativeBlock>("narrative", "file")
            .register_positional::<front::Committee>("committee", "file")
            .register::<front::Toc>("toc")
            .register_positional::<front::ImageBlock>("image", "file")
            .register::<front::PageBreak>("page_break")
            .register_positional::<tables::QuestionBlock>("question", "question")
            .register_positional::<tables::TableBlock>("table", "question")
            .register_positional::<tables::ChartBlock>("chart", "question")
            .register::<tables::NumericSummary>("numeric_summary")
            .register::<matrix::MatrixBlock>("matrix")
            .register::<ranking::RankingBlock>("ranking")
            .register::<inference::CrossTabBlock>("crosstab")
            .register_positional::<inference::WeightedTable>("weighted_table", "question")
            .register_positional::<inference::WeightingSummaryBlock>("weighting_summary", "weights")
            .register_positional::<trend::TrendBlock>("trend", "question")
            .register_positional::<notes::Funnel>("funnel", "dataset")
            .register::<notes::Methodology>("methodology")
            .register::<notes::DataAppendix>("data_appendix")
            .register::<notes::CodebookBlock>("codebook")
            .register::<audit::AuditBlock>("audit");
        r
    }
}
