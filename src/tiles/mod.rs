//! Vector tiles: MVT 2.1 encoding and the layers served as XYZ Web-Mercator tiles.
//! Knows nothing of HTTP; `api` routes requests here.

pub mod cache;
pub mod division;
pub mod error;
pub mod facility;
pub mod geometry;
pub mod mvt;

pub use cache::{TileCache, TileKey};
pub use division::{division_tile, level_for_zoom, DivisionSource, LAYER as DIVISION_LAYER};
pub use error::TileError;
pub use facility::{facility_tile, LAYER as FACILITY_LAYER};
pub use geometry::{TileId, MAX_ZOOM};
