//! Vector tiles: MVT 2.1 encoding and the layers served as XYZ Web-Mercator tiles.
//! Knows nothing of HTTP; `api` routes requests here.

pub mod cache;
pub mod coverage;
pub mod division;
pub mod error;
pub mod facility;
pub mod geometry;
pub mod hex;
pub mod mvt;
pub mod pmtiles;

pub use cache::{TileCache, TileKey};
pub use coverage::{coverage_tile, CoverageCell, LAYER as COVERAGE_LAYER};
pub use division::{
    division_tile, division_tile_marked, level_for_zoom, DivisionSource, LAYER as DIVISION_LAYER,
};
pub use error::TileError;
pub use facility::{facility_tile, LAYER as FACILITY_LAYER};
pub use geometry::{TileId, MAX_ZOOM};
pub use hex::{hex_tile, resolution_for_zoom, HexIndex, LAYER as HEX_LAYER};
