//! Point → county assignment: an H3 cache for cells wholly inside one county, then an R-tree
//! over county bounding boxes and exact point-in-polygon on prepared geometry.

use super::prepared::PreparedPolygon;
use crate::domain::DivisionCode;
use geo::{coord, MultiPolygon, Rect};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use rustc_hash::FxHashMap;

/// Resolution at which every stored point is indexed (≈0.1 km² cells).
pub const POINT_RESOLUTION: Resolution = Resolution::Nine;
/// Resolution of the cell → county cache (≈5 km² cells): fine enough that most of a county's
/// area is covered by cells that do not touch its border.
pub const CACHE_RESOLUTION: Resolution = Resolution::Seven;

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
    rtree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    cache: FxHashMap<u64, u32>,
}

impl CountyIndex {
    /// Builds the index from leaf boundaries. Building the H3 cache tiles every county once
    /// (in parallel); cells claimed by two counties are left out and go the exact path.
    pub fn build<'a>(
        leaves: impl IntoIterator<Item = (DivisionCode, &'a MultiPolygon<f64>)>,
    ) -> CountyIndex {
        let leaves: Vec<(DivisionCode, &MultiPolygon<f64>)> = leaves.into_iter().collect();
        let cells: Vec<(DivisionCode, Vec<u64>)> = leaves
            .par_iter()
            .filter_map(|(code, geometry)| {
                Some((
                    *code,
                    interior_cells(geometry, &PreparedPolygon::new(geometry)?),
                ))
            })
            .collect();
        let mut cache: FxHashMap<u64, DivisionCode> = FxHashMap::default();
        let mut conflicts = Vec::new();
        for (code, cells) in cells {
            for cell in cells {
                if cache.insert(cell, code).is_some() {
                    conflicts.push(cell);
                }
            }
        }
        for cell in conflicts {
            cache.remove(&cell);
        }
        Self::assemble(leaves, cache)
    }

    /// Builds the index with a cache computed earlier (see [`CountyIndex::cache_entries`]);
    /// entries naming a county not in `leaves` are ignored.
    pub fn with_cache<'a>(
        leaves: impl IntoIterator<Item = (DivisionCode, &'a MultiPolygon<f64>)>,
        cache: impl IntoIterator<Item = (u64, u32)>,
    ) -> CountyIndex {
        let cache = cache
            .into_iter()
            .filter_map(|(cell, code)| Some((cell, DivisionCode::new(code).ok()?)))
            .collect();
        Self::assemble(leaves.into_iter().collect(), cache)
    }

    fn assemble(
        mut leaves: Vec<(DivisionCode, &MultiPolygon<f64>)>,
        cache: FxHashMap<u64, DivisionCode>,
    ) -> CountyIndex {
        leaves.sort_by_key(|(code, _)| *code);
        let prepared: Vec<(DivisionCode, PreparedPolygon)> = leaves
            .par_iter()
            .filter_map(|(code, geometry)| Some((*code, PreparedPolygon::new(geometry)?)))
            .collect();
        let (codes, polygons): (Vec<DivisionCode>, Vec<PreparedPolygon>) =
            prepared.into_iter().unzip();
        let cache = cache
            .into_iter()
            .filter_map(|(cell, code)| Some((cell, codes.binary_search(&code).ok()? as u32)))
            .collect();
        let rects = polygons
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (min, max) = (p.bbox().min(), p.bbox().max());
                GeomWithData::new(
                    Rectangle::from_corners([min.x, min.y], [max.x, max.y]),
                    i as u32,
                )
            })
            .collect();
        CountyIndex {
            codes,
            polygons,
            rtree: RTree::bulk_load(rects),
            cache,
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

    /// The cache as (cell, county code) pairs, to persist it.
    pub fn cache_entries(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.cache
            .iter()
            .map(|(&cell, &i)| (cell, self.codes[i as usize].get()))
    }

    /// Number of cached cells.
    pub fn cached_cells(&self) -> usize {
        self.cache.len()
    }

    /// Assigns one point given in longitude/latitude degrees.
    #[inline]
    pub fn assign(&self, lon: f64, lat: f64) -> Assignment {
        let Ok(latlng) = LatLng::new(lat, lon) else {
            return Assignment {
                county: None,
                cell: None,
            };
        };
        let cell = latlng.to_cell(POINT_RESOLUTION);
        // The cache cell is computed from the point itself, not as the parent of `cell`: H3
        // children stick out of their parent, so a parent can miss points of its children.
        let coarse = u64::from(latlng.to_cell(CACHE_RESOLUTION));
        let county = match self.cache.get(&coarse) {
            Some(&i) => Some(self.codes[i as usize]),
            None => self.locate_exact(lon, lat),
        };
        Assignment {
            county,
            cell: Some(cell),
        }
    }

    /// Exact assignment without the cache: R-tree candidates, then point-in-polygon.
    pub fn locate_exact(&self, lon: f64, lat: f64) -> Option<DivisionCode> {
        self.rtree
            .locate_all_at_point(&[lon, lat])
            .find(|candidate| self.polygons[candidate.data as usize].contains(lon, lat))
            .map(|candidate| self.codes[candidate.data as usize])
    }

    /// Whether the county `code` contains the point (exact test).
    pub fn county_contains(&self, code: DivisionCode, lon: f64, lat: f64) -> bool {
        self.codes
            .binary_search(&code)
            .map(|i| self.polygons[i].contains(lon, lat))
            .unwrap_or(false)
    }

    /// Assigns many points in parallel (rayon), preserving order.
    pub fn assign_all(&self, points: &[(f64, f64)]) -> Vec<Assignment> {
        points
            .par_iter()
            .with_min_len(4096)
            .map(|&(lon, lat)| self.assign(lon, lat))
            .collect()
    }
}

/// Cells at [`CACHE_RESOLUTION`] lying wholly inside the geometry. The tiler proposes cells
/// by centroid; each is kept only if no boundary edge comes near the cell (its bounding box
/// grown by ~1 m, covering the difference between the geodesic cell edges and straight
/// lines in degrees), so a cached answer always equals the exact one.
fn interior_cells(geometry: &MultiPolygon<f64>, prepared: &PreparedPolygon) -> Vec<u64> {
    const MARGIN_DEGREES: f64 = 1e-5;
    let mut tiler = TilerBuilder::new(CACHE_RESOLUTION)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .disable_transmeridian_heuristic()
        .build();
    for polygon in geometry {
        // An invalid ring only costs the cache; exact assignment still covers it.
        if tiler.add(polygon.clone()).is_err() {
            return Vec::new();
        }
    }
    tiler
        .into_coverage()
        .filter(|cell| {
            let center = LatLng::from(*cell);
            let mut rect = Rect::new(
                coord! { x: center.lng(), y: center.lat() },
                coord! { x: center.lng(), y: center.lat() },
            );
            for vertex in cell.boundary().iter() {
                rect = Rect::new(
                    coord! { x: rect.min().x.min(vertex.lng()), y: rect.min().y.min(vertex.lat()) },
                    coord! { x: rect.max().x.max(vertex.lng()), y: rect.max().y.max(vertex.lat()) },
                );
            }
            let grown = Rect::new(
                coord! { x: rect.min().x - MARGIN_DEGREES, y: rect.min().y - MARGIN_DEGREES },
                coord! { x: rect.max().x + MARGIN_DEGREES, y: rect.max().y + MARGIN_DEGREES },
            );
            prepared.contains(center.lng(), center.lat()) && !prepared.boundary_touches(grown)
        })
        .map(u64::from)
        .collect()
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
    fn cache_and_exact_path_agree() {
        let a = square(116.0, 39.0, 0.5);
        let b = square(116.5, 39.0, 0.5);
        let (ca, cb) = ("110101".parse().unwrap(), "110102".parse().unwrap());
        let index = CountyIndex::build([(ca, &a), (cb, &b)]);
        assert!(
            index.cached_cells() > 100,
            "cache should hold interior cells"
        );
        for i in 0..200 {
            let lon = 115.9 + 1.2 * (i as f64) / 200.0;
            for lat in [38.99, 39.01, 39.25, 39.49, 39.51] {
                let got = index.assign(lon, lat).county;
                assert_eq!(got, index.locate_exact(lon, lat), "({lon}, {lat})");
            }
        }
        assert_eq!(index.assign(116.25, 39.25).county, Some(ca));
        assert_eq!(index.assign(116.75, 39.25).county, Some(cb));
        assert_eq!(index.assign(100.0, 39.25).county, None);
        assert_eq!(
            index.assign(f64::NAN, 39.25),
            Assignment {
                county: None,
                cell: None
            }
        );
        assert_eq!(index.assign(200.0, 39.25).county, None);
    }

    #[test]
    fn an_enclave_smaller_than_a_cache_cell_is_never_cached_over() {
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
        assert_eq!(index.assign(116.2011, 39.2011).county, Some(ce));
        assert_eq!(index.assign(116.2030, 39.2011).county, Some(co));
        for i in 0..400 {
            let (lon, lat) = (
                116.195 + 0.012 * (i % 20) as f64 / 20.0,
                39.195 + 0.012 * (i / 20) as f64 / 20.0,
            );
            assert_eq!(
                index.assign(lon, lat).county,
                index.locate_exact(lon, lat),
                "({lon}, {lat})"
            );
        }
    }
}
