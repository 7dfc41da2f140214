//! Errors of the analytics layer.

use crate::store::StoreError;

/// What went wrong computing a result.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A coverage computation rejected its input.
    #[error(transparent)]
    Coverage(#[from] super::coverage::CoverageError),
}
