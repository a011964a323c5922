//! # survey-stats
//!
//! Inference on the tables the aggregation crate counts: how uncertain a figure is, whether two
//! groups differ, what the figures look like re-weighted to a population, and which cells must
//! not be published. Every method is checked against R (base R and the survey package) to 1e-9
//! where the method is the same; see `tests/r_reference.rs` at the workspace root.
//!
//! * [`intervals`]: Wilson (default), logit and Clopper–Pearson intervals, unweighted and weighted;
//! * [`hypothesis`]: Pearson's chi-square (with a small-expected warning), Fisher's exact 2×2,
//!   Rao–Scott corrections for weighted tables;
//! * [`rake`]: raking to population margins with convergence checks, trimming, Kish's n and deff;
//! * [`suppress`]: primary and secondary small-cell suppression;
//! * [`disclosure`]: what an intruder can work out about hidden cells from everything printed
//!   (integer linear programming).
//!
//! It takes counts, weights and category codes, and knows nothing of files or reports.

pub mod disclosure;
pub mod hypothesis;
pub mod intervals;
pub mod rake;
pub mod special;
pub mod suppress;
