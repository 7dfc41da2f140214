//! Scale-out (数据外送): shikong's records and boundaries as Hive-partitioned GeoParquet for a
//! distributed engine (Spark), and that engine's aggregates loaded back to be served. The
//! heavy batch work over 10⁹+ records runs there; shikong stays the serving front.

pub mod export;
pub mod import;
pub mod wkb;

pub use export::{export_parquet, ExportSummary};
pub use import::{import_stats, ImportSummary};
