//! Embedded default data: the real China boundaries, the population proxy, and the
//! deterministic synthetic service-object generator.

pub mod boundaries;
pub mod population;
pub mod synthetic;

pub use boundaries::{load_embedded, Boundaries};
pub use synthetic::{generate, SyntheticOptions};

/// The division code-change table shipped in `datasets/divisions/` (see its README).
pub fn code_changes() -> Result<Vec<crate::domain::CodeChange>, String> {
    crate::domain::code_change::parse_code_changes_csv(include_str!(
        "../../datasets/divisions/code_changes.csv"
    ))
}
