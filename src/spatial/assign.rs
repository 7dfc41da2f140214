//! Point → county assignment: a uniform grid cache answers points in cells wholly inside one
//! county with one array read; cells crossed by a border keep the short list of counties
//! whose boundary touches them, tested exactly on prepared geometry.
//!
//! Why a lat/lon grid rather than an H3-cell cache: indexing a point into H3 costs ~435 ns
//! (h3o `LatLng::to_cell`, measured in `benches/assign.rs`), more than the whole budget of a
//! 5 M points/s assignment on 2 cores; a grid cell is two multiplies. H3 cells are still
//! computed for storage and binning ([`h3_cells`]), as a separate step.

use super::prepared::PreparedPolygon;
use crate::domain::DivisionCode;
use geo::{coord, MultiPolygon, Rect};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Resolution at which every stored point is indexed (≈0.1 km² cells).
pub const POINT_RESOLUTION: Resolution = Resolution::Nine;

/// Grid cells per degree: 1/64° is ≈1.7 km north–south.
const CELLS_PER_DEGREE: f64 = 64.0;
/// Cell state: outside every county.
const EMPTY: u32 = u32::MAX;
/// Cell states at or above this point into the candidate lists.
const MIXED: u32 = 1 << 31;

/// Where a point falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The leaf division containing the point, or `None` outside every boundary (unassigned).
    pub county: Option<DivisionCode>,
    /// The point's H3 cell at [`POINT_RESOLUTION`], or `None` for an invalid coordinate.
    pub cell: Option<CellIndex>,
}

/// Index over the leaf divisions for assignment.
pub struct CountyIndex {
    codes: Vec<DivisionCode>,
    polygons: Vec<PreparedPolygon>,
    origin: (f64, f64),
    width: usize,
    height: usize,
    /// Per grid cell: a county index, [`EMPTY`], or `MIXED + start` into `candidates`.
    cells: Vec<u32>,
    /// Candidate lists of mixed cells: a count followed by that many county indices.
    candidates: Vec<u32>,
}

impl CountyIndex {
    /// Builds the index from leaf boundaries (in parallel over counties).
    pub fn build<'a>(
        leaves: impl IntoIterator<Item = (DivisionCode, &'a MultiPolygon<f64>)>,
    ) -> CountyIndex {
        let mut leaves: Vec<(DivisionCode, &MultiPolygon<f64>)> = leaves.into_iter().collect();
        leaves.sort_by_key(|(code, _)| *code);
        leaves.dedup_by_key(|(code, _)| *code);
        let prepared: Vec<(DivisionCode, PreparedPolygon)> = leaves
            .par_iter()
            .filter_map(|(code, geometry)| Some((*code, PreparedPolygon::new(geometry)?)))
            .collect();
        let (codes, polygons): (Vec<DivisionCode>, Vec<PreparedPolygon>) =
            prepared.into_iter().unzip();
        let bounds = polygons.iter().map(|p| p.bbox()).reduce(|a, b| {
            Rect::new(
                coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        });
        let Some(bounds) = bounds else {
            return CountyIndex {
                codes,
                polygons,
                origin: (0.0, 0.0),
                width: 0,
                height: 0,
                cells: Vec::new(),
                candidates: Vec::new(),
            };
        };
        let origin = (bounds.min().x, bounds.min().y);
        let width = (bounds.width() * CELLS_PER_DEGREE).ceil() as usize + 1;
        let height = (bounds.height() * CELLS_PER_DEGREE).ceil() as usize + 1;
        let grid = Grid {
            origin,
            width,
            height,
        };

        // Per county: cells wholly inside, and cells its boundary comes near.
        let classified: Vec<(Vec<u32>, Vec<u32>)> =
            polygons.par_iter().map(|p| grid.classify(p)).collect();
        let mut cells = vec![EMPTY; width * height];
        let mut mixed: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (county, (inside, touched)) in classified.iter().enumerate() {
            let county = county as u32;
            for &cell in inside {
                let slot = &mut cells[cell as usize];
                if *slot == EMPTY {
                    *slot = county;
                } else {
                    // Claimed twice (overlapping data): resolve exactly at query time.
                    let previous = *slot;
                    *slot = MIXED;
                    let list = mixed.entry(cell).or_default();
                    if previous != MIXED {
                        list.push(previous);
                    }
                    list.push(county);
                }
            }
            for &cell in touched {
                let slot = &mut cells[cell as usize];
                let list = mixed.entry(cell).or_default();
                if *slot != EMPTY && *slot != MIXED {
                    list.push(*slot);
                }
                *slot = MIXED;
                list.push(county);
            }
        }
        let mut candidates = Vec::new();
        let mut mixed: Vec<(u32, Vec<u32>)> = mixed.into_iter().collect();
        mixed.sort_unstable_by_key(|(cell, _)| *cell);
        for (cell, mut list) in mixed {
            list.sort_unstable();
            list.dedup();
            cells[cell as usize] = MIXED + candidates.len() as u32;
            candidates.push(list.len() as u32);
            candidates.extend(list);
        }
        CountyIndex {
            codes,
            polygons,
            origin,
            width,
            height,
            cells,
            candidates,
        }
    }

    /// Number of counties indexed.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether no county is indexed.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Share of grid cells that answer without a polygon test, among cells touching land.
    pub fn cache_ratio(&self) -> f64 {
        let land = self.cells.iter().filter(|&&c| c != EMPTY).count();
        let direct = self.cells.iter().filter(|&&c| c < MIXED).count();
        direct as f64 / land.max(1) as f64
    }

    /// The leaf division containing a point given in longitude/latitude degrees.
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> Option<DivisionCode> {
        let gx = (lon - self.origin.0) * CELLS_PER_DEGREE;
        let gy = (lat - self.origin.1) * CELLS_PER_DEGREE;
        // Also rejects NaN: comparisons with NaN are false.
        if !(gx >= 0.0 && gy >= 0.0 && (gx as usize) < self.width && (gy as usize) < self.height) {
            return None;
        }
        let state = self.cells[gy as usize * self.width + gx as usize];
        if state < MIXED {
            return Some(self.codes[state as usize]);
        }
        if state == EMPTY {
            return None;
        }
        let start = (state - MIXED) as usize;
        let count = self.candidates[start] as usize;
        self.candidates[start + 1..start + 1 + count]
            .iter()
            .find(|&&i| self.polygons[i as usize].contains(lon, lat))
            .map(|&i| self.codes[i as usize])
    }

    /// Exact assignment without the grid: every county whose bounding box holds the point.
    /// Slow; the reference the grid must equal.
    pub fn locate_exact(&self, lon: f64, lat: f64) -> Option<DivisionCode> {
        self.polygons
            .iter()
            .position(|p| p.contains(lon, lat))
            .map(|i| self.codes[i])
    }

    /// Whether the county `code` contains the point (exact test).
    pub fn county_contains(&self, code: DivisionCode, lon: f64, lat: f64) -> bool {
        self.codes
            .binary_search(&code)
            .map(|i| self.polygons[i].contains(lon, lat))
            .unwrap_or(false)
    }

    /// Assigns one point and computes its H3 cell.
    pub fn assign(&self, lon: f64, lat: f64) -> Assignment {
        Assignment {
            county: self.locate(lon, lat),
            cell: h3_cell(lon, lat),
        }
    }

    /// Counties of many points in parallel (rayon), preserving order.
    pub fn locate_all(&self, points: &[(f64, f64)]) -> Vec<Option<DivisionCode>> {
        points
            .par_iter()
            .with_min_len(4096)
            .map(|&(lon, lat)| self.locate(lon, lat))
            .collect()
    }

    /// Counties and H3 cells of many points in parallel, preserving order.
    pub fn assign_all(&self, points: &[(f64, f64)]) -> Vec<Assignment> {
        points
            .par_iter()
            .with_min_len(4096)
            .map(|&(lon, lat)| self.assign(lon, lat))
            .collect()
    }
}

/// The H3 cell at [`POINT_RESOLUTION`] of a point, `None` for a non-finite coordinate.
#[inline]
pub fn h3_cell(lon: f64, lat: f64) -> Option<CellIndex> {
    LatLng::new(lat, lon)
        .ok()
        .map(|ll| ll.to_cell(POINT_RESOLUTION))
}

/// H3 cells of many points in parallel, preserving order.
pub fn h3_cells(points: &[(f64, f64)]) -> Vec<Option<CellIndex>> {
    points
        .par_iter()
        .with_min_len(4096)
        .map(|&(lon, lat)| h3_cell(lon, lat))
        .collect()
}

/// Geometry of the grid.
struct Grid {
    origin: (f64, f64),
    width: usize,
    height: usize,
}

impl Grid {
    /// Cells wholly inside `polygon`, and cells its boundary comes near (edge bounding boxes
    /// overlapping the cell grown by ~1 m, so rounding can never hide a crossing).
    fn classify(&self, polygon: &PreparedPolygon) -> (Vec<u32>, Vec<u32>) {
        const MARGIN: f64 = 1e-5;
        let bbox = polygon.bbox();
        let size = 1.0 / CELLS_PER_DEGREE;
        let x0 = ((bbox.min().x - self.origin.0) * CELLS_PER_DEGREE)
            .floor()
            .max(0.0) as usize;
        let y0 = ((bbox.min().y - self.origin.1) * CELLS_PER_DEGREE)
            .floor()
            .max(0.0) as usize;
        let x1 = (((bbox.max().x - self.origin.0) * CELLS_PER_DEGREE).floor() as usize)
            .min(self.width - 1);
        let y1 = (((bbox.max().y - self.origin.1) * CELLS_PER_DEGREE).floor() as usize)
            .min(self.height - 1);
        let mut inside = Vec::new();
        let mut touched = Vec::new();
        for gy in y0..=y1 {
            for gx in x0..=x1 {
                let min_x = self.origin.0 + gx as f64 * size;
                let min_y = self.origin.1 + gy as f64 * size;
                let rect = Rect::new(
                    coord! { x: min_x - MARGIN, y: min_y - MARGIN },
                    coord! { x: min_x + size + MARGIN, y: min_y + size + MARGIN },
                );
                let cell = (gy * self.width + gx) as u32;
                if polygon.boundary_touches(rect) {
                    touched.push(cell);
                } else if polygon.contains(min_x + size / 2.0, min_y + size / 2.0) {
                    inside.push(cell);
                }
            }
        }
        (inside, touched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x0: f64, y0: f64, size: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: x0, y: y0), (x: x0 + size, y: y0), (x: x0 + size, y: y0 + size), (x: x0, y: y0 + size)
        ]])
    }

    #[test]
    fn grid_and_exact_path_agree() {
        let a = square(116.0, 39.0, 0.5);
        let b = square(116.5, 39.0, 0.5);
        let (ca, cb) = ("110101".parse().unwrap(), "110102".parse().unwrap());
        let index = CountyIndex::build([(ca, &a), (cb, &b)]);
        assert!(
            index.cache_ratio() > 0.8,
            "most cells answer directly: {}",
            index.cache_ratio()
        );
        for i in 0..200 {
            let lon = 115.9 + 1.2 * (i as f64) / 200.0;
            for lat in [38.99, 39.01, 39.25, 39.49, 39.51] {
                assert_eq!(
                    index.locate(lon, lat),
                    index.locate_exact(lon, lat),
                    "({lon}, {lat})"
                );
            }
        }
        assert_eq!(index.locate(116.25, 39.25), Some(ca));
        assert_eq!(index.locate(116.75, 39.25), Some(cb));
        assert_eq!(index.locate(100.0, 39.25), None);
        assert_eq!(
            index.assign(f64::NAN, 39.25),
            Assignment {
                county: None,
                cell: None
            }
        );
        assert_eq!(index.locate(200.0, 39.25), None);
        assert!(index.assign(116.25, 39.25).cell.is_some());
    }

    #[test]
    fn an_enclave_smaller_than_a_grid_cell_is_never_cached_over() {
        // A county with a 200 m hole holding another county (an enclave, as 飞地 are).
        let hole = [
            (116.2001, 39.2001),
            (116.2021, 39.2001),
            (116.2021, 39.2021),
            (116.2001, 39.2021),
            (116.2001, 39.2001),
        ];
        let outer = MultiPolygon::new(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (116.0, 39.0),
                (116.5, 39.0),
                (116.5, 39.5),
                (116.0, 39.5),
                (116.0, 39.0),
            ]),
            vec![geo::LineString::from(hole.to_vec())],
        )]);
        let enclave = MultiPolygon::new(vec![geo::Polygon::new(
            geo::LineString::from(hole.to_vec()),
            vec![],
        )]);
        let (co, ce) = ("110101".parse().unwrap(), "110102".parse().unwrap());
        let index = CountyIndex::build([(co, &outer), (ce, &enclave)]);
        assert_eq!(index.locate(116.2011, 39.2011), Some(ce));
        assert_eq!(index.locate(116.2030, 39.2011), Some(co));
        for i in 0..400 {
            let (lon, lat) = (
                116.195 + 0.012 * (i % 20) as f64 / 20.0,
                39.195 + 0.012 * (i / 20) as f64 / 20.0,
            );
            assert_eq!(
                index.locate(lon, lat),
                index.locate_exact(lon, lat),
                "({lon}, {lat})"
            );
        }
    }
}
