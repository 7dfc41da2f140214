//! Why a tile cannot be made.

/// A tile error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// Zoom beyond what is served.
    #[error("zoom {0} is out of range 0..={max}", max = super::geometry::MAX_ZOOM)]
    Zoom(u32),
    /// Column or row outside the zoom's grid.
    #[error("tile {z}/{x}/{y} is outside the grid: x and y must be below 2^{z}")]
    OutOfRange {
        /// Zoom.
        z: u32,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
}
