//! Spatial kernels: plain functions over `geo` types and slices, free of I/O, parallelised
//! with rayon at the call site.

pub mod assign;
pub mod distance;
pub mod geojson;
pub mod prepared;

pub use assign::{h3_cell, h3_cells, Assignment, CountyIndex, POINT_RESOLUTION};
pub use distance::BoundaryDistance;
pub use prepared::PreparedPolygon;
