//! The `hex` layer: H3 hexagons with the month's count of people per kind — aggregates only,
//! never a person. The resolution follows the zoom so a hexagon stays roughly 10–30 px wide.
//!
//! A [`HexIndex`] holds one month's counts at one resolution, its cells sorted by Web-Mercator
//! x, so a tile is a binary search for its column band and a filter on y.

use super::geometry::{mercator, tile_rings, TileId, BUFFER};
use super::mvt::{encode_tile, polygon_commands, Layer, Value, EXTENT};
use crate::analytics::snapshot::CellCount;
use crate::domain::Kind;
use geo::{LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

/// Name of the layer in the tile and in TileJSON.
pub const LAYER: &str = "hex";

/// H3 resolution drawn at zoom `z`: res 2 to z2, then about two resolutions per three zooms
/// (z3→3 … z12→9), res 9 beyond (the finest stored).
pub fn resolution_for_zoom(z: u8) -> Resolution {
    match z {
        0..=2 => Resolution::Two,
        3..=4 => Resolution::Three,
        5 => Resolution::Four,
        6..=7 => Resolution::Five,
        8 => Resolution::Six,
        9..=10 => Resolution::Seven,
        11 => Resolution::Eight,
        _ => Resolution::Nine,
    }
}

/// One cell with its counts.
struct HexCell {
    cell: CellIndex,
    /// Web-Mercator position of the centre, world = 0..1.
    mx: f64,
    my: f64,
    /// Offset of its counts in [`HexIndex::counts`].
    offset: usize,
}

/// One month's counts at one resolution, ready to cut into tiles.
pub struct HexIndex {
    kinds: Vec<Kind>,
    cells: Vec<HexCell>,
    /// `kinds.len()` counts per cell.
    counts: Vec<u32>,
    /// Farthest a hexagon's vertex lies from its centre, in world Mercator units (at the
    /// northernmost cell, where Mercator stretches most).
    reach: f64,
    /// For viewers: only the total per cell, hidden when 1..k−1 (per-kind counts left out,
    /// so no kind can be recovered by subtraction).
    suppress_below: Option<u32>,
}

impl HexIndex {
    /// The same index as viewers see it: one total per cell, hidden when it is 1..k−1.
    pub fn suppressed(mut self, k: u32) -> HexIndex {
        self.suppress_below = Some(k);
        self
    }

    /// Builds the index from per-cell, per-kind counts (sorted by cell, as
    /// `Snapshot::cell_counts` returns them) for `kinds`.
    pub fn new(kinds: Vec<Kind>, counts: &[CellCount]) -> HexIndex {
        let stride = kinds.len().max(1);
        let mut cells: Vec<CellIndex> = Vec::new();
        let mut table: Vec<u32> = Vec::new();
        for c in counts {
            if cells.last() != Some(&c.cell) {
                cells.push(c.cell);
                table.resize(table.len() + stride, 0);
            }
            let base = table.len() - stride;
            table[base + usize::from(c.kind).min(stride - 1)] += c.count;
        }
        let mut cells: Vec<HexCell> = cells
            .into_par_iter()
            .enumerate()
            .map(|(i, cell)| {
                let centre = LatLng::from(cell);
                let (mx, my) = mercator(centre.lng(), centre.lat());
                HexCell {
                    cell,
                    mx,
                    my,
                    offset: i * stride,
                }
            })
            .collect();
        cells.par_sort_unstable_by(|a, b| a.mx.total_cmp(&b.mx));
        // The northernmost cell is where Mercator stretches a hexagon most.
        let reach = cells
            .iter()
            .min_by(|a, b| a.my.total_cmp(&b.my))
            .map(|c| {
                c.cell
                    .boundary()
                    .iter()
                    .map(|v| {
                        let (x, y) = mercator(v.lng(), v.lat());
                        (x - c.mx).abs().max((y - c.my).abs())
                    })
                    .fold(0.0, f64::max)
            })
            .unwrap_or(0.0);
        HexIndex {
            kinds,
            cells,
            counts: table,
            // Cells vary in size within a resolution (up to ~2× near pentagons): keep a margin.
            reach: reach * 2.0,
            suppress_below: None,
        }
    }

    /// Cells held.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether no cell has a count.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Approximate bytes held, for cache accounting.
    pub fn bytes(&self) -> usize {
        self.cells.len() * std::mem::size_of::<HexCell>() + self.counts.len() * 4
    }
}

/// MVT polygon commands of an H3 cell's hexagon in `tile`, or `None` when it misses it.
pub(super) fn hexagon_commands(cell: CellIndex, tile: &TileId) -> Option<Vec<u32>> {
    let ring: LineString<f64> = cell.boundary().iter().map(|v| (v.lng(), v.lat())).collect();
    let hexagon = MultiPolygon(vec![Polygon::new(ring, Vec::new())]);
    let commands = polygon_commands(&tile_rings(&hexagon, tile));
    (!commands.is_empty()).then_some(commands)
}

/// World Mercator band (x0, y0, x1, y1) of `tile` grown by the tile buffer and `reach`.
pub(super) fn tile_band(tile: &TileId, reach: f64) -> [f64; 4] {
    let scale = f64::from(1u32 << tile.z);
    let pad = BUFFER / f64::from(EXTENT) / scale + reach;
    [
        f64::from(tile.x) / scale - pad,
        f64::from(tile.y) / scale - pad,
        f64::from(tile.x + 1) / scale + pad,
        f64::from(tile.y + 1) / scale + pad,
    ]
}

/// The encoded tile with the `hex` layer, or `None` when no counted cell meets it. Each
/// feature is a hexagon with `h3` (the cell as hex), `count` (all kinds) and one count per
/// kind under the kind's id; its id is the H3 index.
pub fn hex_tile(index: &HexIndex, tile: TileId) -> Option<Vec<u8>> {
    let [x0, y0, x1, y1] = tile_band(&tile, index.reach);
    let start = index.cells.partition_point(|c| c.mx < x0);
    let end = index.cells.partition_point(|c| c.mx <= x1);
    let stride = index.kinds.len().max(1);
    let features: Vec<(&HexCell, Vec<u32>)> = index.cells[start..end]
        .par_iter()
        .filter(|c| c.my >= y0 && c.my <= y1)
        .filter_map(|c| Some((c, hexagon_commands(c.cell, &tile)?)))
        .collect();
    let mut layer = Layer::new(LAYER);
    for (c, commands) in features {
        let counts = &index.counts[c.offset..c.offset + stride];
        let total: u32 = counts.iter().sum();
        let mut properties = vec![("h3", Value::String(c.cell.to_string()))];
        match index.suppress_below {
            Some(k) if total > 0 && total < k => {
                properties.push(("suppressed", Value::Bool(true)));
            }
            Some(_) => properties.push(("count", Value::Double(f64::from(total)))),
            None => {
                properties.push(("count", Value::Double(f64::from(total))));
                for (kind, &n) in index.kinds.iter().zip(counts) {
                    properties.push((kind.id(), Value::Double(f64::from(n))));
                }
            }
        }
        layer.add_polygon(Some(u64::from(c.cell)), &properties, &commands);
    }
    (!layer.is_empty()).then(|| encode_tile(&[layer]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(cell: CellIndex, kind: u8, count: u32) -> CellCount {
        CellCount { cell, kind, count }
    }

    #[test]
    fn zoom_picks_a_resolution_that_grows() {
        assert_eq!(resolution_for_zoom(3), Resolution::Three);
        assert_eq!(resolution_for_zoom(12), Resolution::Nine);
        assert_eq!(resolution_for_zoom(14), Resolution::Nine);
        for z in 1..=14 {
            assert!(resolution_for_zoom(z) >= resolution_for_zoom(z - 1));
        }
    }

    #[test]
    fn a_cell_lands_in_the_tile_under_its_centre_with_its_counts() {
        // Tiananmen at res 7 and zoom 10.
        let cell = LatLng::new(39.9087, 116.3975)
            .unwrap()
            .to_cell(Resolution::Seven);
        let index = HexIndex::new(
            vec![Kind::Dibao, Kind::Tekun],
            &[count(cell, 0, 3), count(cell, 1, 4)],
        );
        assert_eq!(index.len(), 1);
        let z = 10u32;
        let n = f64::from(1u32 << z);
        let x = ((116.3975 + 180.0) / 360.0 * n) as u32;
        let (_, my) = mercator(116.3975, 39.9087);
        let y = (my * n) as u32;
        let tile = hex_tile(&index, TileId::new(z, x, y).unwrap()).expect("a feature");
        let text = String::from_utf8_lossy(&tile);
        assert!(text.contains(&cell.to_string()));
        assert!(text.contains("dibao") && text.contains("tekun") && text.contains("count"));
        // Far away: nothing.
        assert!(hex_tile(&index, TileId::new(z, x + 20, y).unwrap()).is_none());
    }
}
