//! Analytics over the store: statistics per division, kind and month. Knows nothing of HTTP.

pub mod county_coverage;
pub mod coverage;
mod error;
pub mod facilities;
pub mod governance;
pub mod report;
pub mod series;
pub mod snapshot;
pub mod stats;
pub mod suppression;

pub use error::AnalyticsError;
pub use series::{monthly_series, SeriesPoint};
pub use stats::{division_stats, rank, DivisionCount, Hidden, Measure, StatsRequest, StatsResult};
