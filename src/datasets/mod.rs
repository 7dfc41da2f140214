//! Embedded default data: the real China boundaries, the population proxy, and the
//! deterministic synthetic service-object generator.

pub mod boundaries;
pub mod population;
pub mod synthetic;

pub use boundaries::{load_embedded, Boundaries};
pub use synthetic::{generate, SyntheticOptions};
