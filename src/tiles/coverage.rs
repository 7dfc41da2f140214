//! The `coverage` layer: a county's H3 cells (resolution 8) where its people live, with the
//! share of them within the catchment radius of a facility, their mean E2SFCA
//! accessibility, and whether the cell is a service desert (demand and no capacity in reach).

use super::geometry::{mercator, TileId};
use super::hex::{hexagon_commands, tile_band};
use super::mvt::{encode_tile, Layer, Value};
use crate::domain::DivisionCode;
use h3o::{CellIndex, LatLng};
use rayon::prelude::*;

/// Name of the layer in the tile and in TileJSON.
pub const LAYER: &str = "coverage";
/// First zoom drawn: below it a resolution-8 hexagon (≈1 km) is under two pixels.
pub const MIN_ZOOM: u8 = 8;

/// One cell's coverage figures.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageCell {
    /// The H3 cell.
    pub cell: CellIndex,
    /// The county whose people these are.
    pub county: DivisionCode,
    /// People in the cell.
    pub demand: f64,
    /// Share of them within the radius of a facility.
    pub covered_share: f64,
    /// Mean E2SFCA accessibility.
    pub accessibility: f64,
    /// Demand at or above the threshold and no capacity within the radius.
    pub desert: bool,
}

/// The encoded tile with the `coverage` layer for the cells of the counties meeting `tile`,
/// or `None` when none of their cells meets it (or the zoom is below [`MIN_ZOOM`]).
pub fn coverage_tile(cells: &[CoverageCell], tile: TileId) -> Option<Vec<u8>> {
    if tile.z < MIN_ZOOM {
        return None;
    }
    // A resolution-8 hexagon is < 1 km across: 0.02° of margin covers it anywhere in China.
    let [x0, y0, x1, y1] = tile_band(&tile, 0.02 / 360.0 * 2.0);
    let features: Vec<(&CoverageCell, Vec<u32>)> = cells
        .par_iter()
        .filter(|c| {
            let centre = LatLng::from(c.cell);
            let (mx, my) = mercator(centre.lng(), centre.lat());
            mx >= x0 && mx <= x1 && my >= y0 && my <= y1
        })
        .filter_map(|c| Some((c, hexagon_commands(c.cell, &tile)?)))
        .collect();
    let mut layer = Layer::new(LAYER);
    for (c, commands) in features {
        let properties = [
            ("h3", Value::String(c.cell.to_string())),
            ("county", Value::String(c.county.to_string())),
            ("demand", Value::Double(c.demand)),
            ("covered_share", Value::Double(c.covered_share)),
            ("accessibility", Value::Double(c.accessibility)),
            ("desert", Value::Bool(c.desert)),
        ];
        layer.add_polygon(Some(u64::from(c.cell)), &properties, &commands);
    }
    (!layer.is_empty()).then(|| encode_tile(&[layer]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use h3o::Resolution;

    #[test]
    fn draws_cells_in_the_tile_from_zoom_eight() {
        let cell = LatLng::new(39.9087, 116.3975)
            .unwrap()
            .to_cell(Resolution::Eight);
        let cells = [CoverageCell {
            cell,
            county: "110101".parse().unwrap(),
            demand: 12.0,
            covered_share: 0.5,
            accessibility: 0.01,
            desert: true,
        }];
        let (mx, my) = mercator(116.3975, 39.9087);
        let at = |z: u32| {
            let n = f64::from(1u32 << z);
            TileId::new(z, (mx * n) as u32, (my * n) as u32).unwrap()
        };
        let tile = coverage_tile(&cells, at(10)).expect("a feature");
        let text = String::from_utf8_lossy(&tile);
        assert!(text.contains("110101") && text.contains("desert"));
        assert!(coverage_tile(&cells, at(7)).is_none());
    }
}
