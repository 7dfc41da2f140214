//! Analytics over the store: statistics per division, kind and month. Knows nothing of HTTP.

mod error;
pub mod stats;

pub use error::AnalyticsError;
pub use stats::{division_stats, DivisionCount, StatsRequest, StatsResult};
