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
//! * [`weighting`]: bounded raking to population margins (R's `calibrate(calfun = "raking")`),
//!   with the shares reached, Kish's n and deff, or an error naming what could not be met;
//! * [`design`]: weighted proportions over domains with their design covariance, plain or
//!   calibration-aware (R's `svymean`/`svyciprop` on `svydesign`, `calibrate` or `rake` designs);
//! * [`change`]: change between two waves: Newcombe's interval, R's `prop.test`, homogeneity,
//!   design-based differences;
//! * [`suppress`]: primary and secondary small-cell suppression;
//! * [`disclosure`]: what an intruder can work out about hidden cells from everything printed
//!   (integer linear programming).
//!
//! It takes counts, weights and category codes, and knows nothing of files or reports.

pub mod change;
pub mod design;
pub mod disclosure;
pub mod hypothesis;
pub mod intervals;
pub mod linalg;
pub mod special;
pub mod suppress;
pub mod weighting;
