//! Errors of the store layer.

use crate::domain::DivisionCode;
use std::path::Path;

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// DuckDB's reason.
        source: duckdb::Error,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Db(#[from] duckdb::Error),
    /// The database holds something the code cannot read.
    #[error("database content is inconsistent: {0}")]
    Corrupt(String),
    /// A division row refers to a code not in the registry.
    #[error("division {0} is not in the registry")]
    UnknownDivision(DivisionCode),
    /// A lock was poisoned by a panicking thread.
    #[error("database handle poisoned")]
    Poisoned,
    /// Serialising a value failed.
    #[error("serialisation: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    pub(crate) fn open(path: &Path, source: duckdb::Error) -> Self {
        StoreError::Open {
            path: path.display().to_string(),
            source,
        }
    }
}
