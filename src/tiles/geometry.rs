//! From lon/lat polygons to MVT tile coordinates: Web-Mercator projection into one tile,
//! simplification in pixel space, clipping to the buffered tile, quantisation and the
//! winding MVT 2.1 asks for.

use super::error::TileError;
use super::mvt::EXTENT;
use geo::{Coord, LineString, MapCoords, MultiPolygon, Rect};
use std::f64::consts::PI;

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 14;

/// Pixels (tile units) kept around the tile so that strokes do not end at its edge.
pub const BUFFER: f64 = 64.0;

/// Latitude limit of Web Mercator.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// An XYZ tile address, y counted from the north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column, from the antimeridian eastwards.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

impl TileId {
    /// A checked tile address: zoom 0..=[`MAX_ZOOM`], x and y within 0..2^z.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileError::Zoom(z));
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(TileError::OutOfRange { z, x, y });
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// Projects lon/lat degrees into this tile's coordinates (0..4096, y down).
    pub fn project(&self, lon: f64, lat: f64) -> Coord<f64> {
        let world = f64::from(EXTENT) * f64::from(1u32 << self.z);
        let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        let mx = (lon + 180.0) / 360.0;
        let my = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0;
        Coord {
            x: mx * world - f64::from(self.x) * f64::from(EXTENT),
            y: my * world - f64::from(self.y) * f64::from(EXTENT),
        }
    }

    /// Lon/lat degrees of a point in this tile's coordinates (the inverse of [`Self::project`]).
    pub fn unproject(&self, px: f64, py: f64) -> Coord<f64> {
        let world = f64::from(EXTENT) * f64::from(1u32 << self.z);
        let mx = (px + f64::from(self.x) * f64::from(EXTENT)) / world;
        let my = (py + f64::from(self.y) * f64::from(EXTENT)) / world;
        Coord {
            x: mx * 360.0 - 180.0,
            y: (PI * (1.0 - 2.0 * my)).sinh().atan().to_degrees(),
        }
    }

    /// The tile grown by `buffer` tile units, in lon/lat degrees (for picking candidates).
    pub fn bounds_lonlat(&self, buffer: f64) -> Rect<f64> {
        let extent = f64::from(EXTENT);
        Rect::new(
            self.unproject(-buffer, extent + buffer),
            self.unproject(extent + buffer, -buffer),
        )
    }
}

/// Whether a lon/lat bounding box `[west, south, east, north]` meets `bounds`.
pub fn bbox_meets(bbox: [f64; 4], bounds: &Rect<f64>) -> bool {
    let [x0, y0, x1, y1] = bbox;
    x0 <= bounds.max().x && x1 >= bounds.min().x && y0 <= bounds.max().y && y1 >= bounds.min().y
}

/// Tolerance of Douglas–Peucker simplification, in tile units: below one screen pixel
/// (a 512 px tile shows 8 units per pixel), so shapes keep their look at every zoom.
const SIMPLIFY_UNITS: f64 = 4.0;

/// A multipolygon in lon/lat as MVT polygon rings for `tile`: each exterior ring followed by
/// its holes, open (first point not repeated), integer, clipped to the tile grown by
/// [`BUFFER`], exterior rings with positive and holes with negative shoelace area (y down).
///
/// Parts whose bounding box misses the tile are skipped before any projection; a ring is
/// clipped before it is simplified, so the work follows what the tile shows, not the size of
/// the boundary.
pub fn tile_rings(geometry: &MultiPolygon<f64>, tile: &TileId) -> Vec<Vec<[i32; 2]>> {
    rings_in_tile(geometry, &tile.bounds_lonlat(BUFFER), |c| {
        tile.project(c.x, c.y)
    })
}

/// [`tile_rings`] of a multipolygon already in world Web-Mercator units (see [`to_world`]):
/// projecting into the tile is a scale and a shift, no trigonometry per vertex.
pub fn tile_rings_world(geometry: &MultiPolygon<f64>, tile: &TileId) -> Vec<Vec<[i32; 2]>> {
    let tiles = f64::from(1u32 << tile.z);
    let pad = BUFFER / f64::from(EXTENT);
    let bounds = Rect::new(
        Coord {
            x: (f64::from(tile.x) - pad) / tiles,
            y: (f64::from(tile.y) - pad) / tiles,
        },
        Coord {
            x: (f64::from(tile.x + 1) + pad) / tiles,
            y: (f64::from(tile.y + 1) + pad) / tiles,
        },
    );
    let scale = f64::from(EXTENT) * tiles;
    let (dx, dy) = (
        f64::from(tile.x) * f64::from(EXTENT),
        f64::from(tile.y) * f64::from(EXTENT),
    );
    rings_in_tile(geometry, &bounds, |c| Coord {
        x: c.x * scale - dx,
        y: c.y * scale - dy,
    })
}

/// World Web-Mercator units of a lon/lat multipolygon: x east and y south, 0..1 over the
/// world (y clamped at ±85.05°), the coordinates every tile is a scaled window of.
pub fn to_world(geometry: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    geometry.map_coords(|c| {
        let (x, y) = mercator(c.x, c.y);
        Coord { x, y }
    })
}

/// World Mercator (0..1, y down) of lon/lat degrees.
pub fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    const WORLD: TileId = TileId { z: 0, x: 0, y: 0 };
    let p = WORLD.project(lon, lat);
    (p.x / f64::from(EXTENT), p.y / f64::from(EXTENT))
}

/// The rings of the parts of `geometry` whose bounding box meets `bounds` (in the
/// geometry's own coordinates), each through `project` into tile units.
fn rings_in_tile(
    geometry: &MultiPolygon<f64>,
    bounds: &Rect<f64>,
    project: impl Fn(Coord<f64>) -> Coord<f64>,
) -> Vec<Vec<[i32; 2]>> {
    use geo::BoundingRect;
    let mut out = Vec::new();
    for polygon in geometry {
        let meets = polygon
            .exterior()
            .bounding_rect()
            .is_some_and(|r| bbox_meets([r.min().x, r.min().y, r.max().x, r.max().y], bounds));
        if !meets {
            continue;
        }
        let Some(exterior) = tile_ring(polygon.exterior(), &project, true) else {
            continue;
        };
        out.push(exterior);
        for hole in polygon.interiors() {
            out.extend(tile_ring(hole, &project, false));
        }
    }
    out
}

/// One ring projected into the tile, clipped, simplified and finished; `None` when nothing
/// of it is left.
fn tile_ring(
    ring: &LineString<f64>,
    project: impl Fn(Coord<f64>) -> Coord<f64>,
    exterior: bool,
) -> Option<Vec<[i32; 2]>> {
    let projected: Vec<Coord<f64>> = ring.coords().map(|&c| project(c)).collect();
    let clipped = clip_points(projected, -BUFFER, f64::from(EXTENT) + BUFFER);
    if clipped.len() < 3 {
        return None;
    }
    finish_ring(simplify_ring(&clipped, SIMPLIFY_UNITS), exterior)
}

/// Douglas–Peucker simplification of an open ring (closed implicitly) with `tolerance`: the
/// first point anchors both ends. Squared distances, no square roots: this is the hot loop
/// of rendering boundaries.
pub fn simplify_ring(points: &[Coord<f64>], tolerance: f64) -> Vec<Coord<f64>> {
    let n = points.len();
    if n < 4 {
        return points.to_vec();
    }
    // The ring as a closed polyline: index n stands for the first point again.
    let at = |i: usize| points[i % n];
    let tolerance2 = tolerance * tolerance;
    let mut keep = vec![false; n + 1];
    keep[0] = true;
    keep[n] = true;
    let mut stack = vec![(0usize, n)];
    while let Some((first, last)) = stack.pop() {
        if last - first < 2 {
            continue;
        }
        let (a, b) = (at(first), at(last));
        let mut farthest = (first, 0.0f64);
        for i in first + 1..last {
            let d2 = segment_distance2(at(i), a, b);
            if d2 > farthest.1 {
                farthest = (i, d2);
            }
        }
        if farthest.1 > tolerance2 {
            keep[farthest.0] = true;
            stack.push((first, farthest.0));
            stack.push((farthest.0, last));
        }
    }
    (0..n).filter(|&i| keep[i]).map(|i| points[i]).collect()
}

/// Squared distance from `p` to the segment `a`–`b`.
#[inline]
fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / length2).clamp(0.0, 1.0)
    };
    let (ex, ey) = (p.x - (a.x + t * dx), p.y - (a.y + t * dy));
    ex * ex + ey * ey
}

/// Sutherland–Hodgman clipping of a closed ring to the square `lo..hi`; returns it open.
/// Exact for convex clip windows such as a rectangle; concave rings may keep zero-width
/// slivers along the edge, which render as nothing.
pub fn clip_ring(ring: &LineString<f64>, lo: f64, hi: f64) -> Vec<Coord<f64>> {
    clip_points(ring.coords().copied().collect(), lo, hi)
}

/// [`clip_ring`] of a ring's points (closed or open).
fn clip_points(mut points: Vec<Coord<f64>>, lo: f64, hi: f64) -> Vec<Coord<f64>> {
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    // Each edge: is a point inside, and where does a segment cross it.
    type Inside = fn(Coord<f64>, f64) -> bool;
    type Cross = fn(Coord<f64>, Coord<f64>, f64) -> Coord<f64>;
    let at_x: Cross = |a, b, x| Coord {
        x,
        y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x),
    };
    let at_y: Cross = |a, b, y| Coord {
        x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y),
        y,
    };
    let edges: [(Inside, Cross, f64); 4] = [
        (|p, v| p.x >= v, at_x, lo),
        (|p, v| p.x <= v, at_x, hi),
        (|p, v| p.y >= v, at_y, lo),
        (|p, v| p.y <= v, at_y, hi),
    ];
    for (inside, cross, value) in edges {
        if points.is_empty() {
            break;
        }
        let mut next = Vec::with_capacity(points.len() + 4);
        let mut prev = *points.last().expect("non-empty");
        for &p in &points {
            match (inside(prev, value), inside(p, value)) {
                (true, true) => next.push(p),
                (true, false) => next.push(cross(prev, p, value)),
                (false, true) => {
                    next.push(cross(prev, p, value));
                    next.push(p);
                }
                (false, false) => {}
            }
            prev = p;
        }
        points = next;
    }
    points
}

/// Rounds an open ring to integers, drops repeated points, and orients it (exterior:
/// positive shoelace area in y-down tile coordinates); `None` when it degenerates.
pub fn finish_ring(points: Vec<Coord<f64>>, exterior: bool) -> Option<Vec<[i32; 2]>> {
    let mut ring: Vec<[i32; 2]> = Vec::with_capacity(points.len());
    for p in points {
        let q = [p.x.round() as i32, p.y.round() as i32];
        if ring.last() != Some(&q) {
            ring.push(q);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    // Three distinct points, four with the implied closing one.
    if ring.len() < 3 {
        return None;
    }
    let area = shoelace(&ring);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        ring.reverse();
    }
    Some(ring)
}

/// Twice the signed area of an open ring by the surveyor's formula (MVT 2.1 §4.3.4.4).
pub fn shoelace(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn ring_simplification_matches_geo_douglas_peucker() {
        use geo::Simplify;
        // Wobbly star-shaped rings, deterministic pseudo-random radii.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 10_000) as f64 / 10_000.0
        };
        for round in 0..50 {
            let n = 20 + round * 7;
            let ring: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    let angle = i as f64 / n as f64 * std::f64::consts::TAU;
                    let r = 1000.0 + 300.0 * next();
                    Coord {
                        x: 2048.0 + r * angle.cos(),
                        y: 2048.0 + r * angle.sin(),
                    }
                })
                .collect();
            for tolerance in [0.5, 4.0, 40.0] {
                let mut closed = ring.clone();
                closed.push(ring[0]);
                let mut expected: Vec<Coord<f64>> = LineString::new(closed).simplify(tolerance).0;
                expected.pop();
                assert_eq!(
                    simplify_ring(&ring, tolerance),
                    expected,
                    "n {n} tol {tolerance}"
                );
            }
        }
    }

    #[test]
    fn tile_ids_are_checked() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert!(TileId::new(14, 16383, 16383).is_ok());
        assert!(TileId::new(15, 0, 0).is_err());
        assert!(TileId::new(3, 8, 0).is_err());
        assert!(TileId::new(3, 0, 8).is_err());
    }

    #[test]
    fn projection_round_trips_and_lands_in_the_right_tile() {
        let tile = TileId::new(8, 210, 97).unwrap();
        // Tiananmen lies in z8 tile 210/97.
        let p = tile.project(116.397, 39.909);
        assert!(
            (0.0..4096.0).contains(&p.x) && (0.0..4096.0).contains(&p.y),
            "{p:?}"
        );
        let back = tile.unproject(p.x, p.y);
        assert!((back.x - 116.397).abs() < 1e-9 && (back.y - 39.909).abs() < 1e-9);
        let world = TileId::new(0, 0, 0).unwrap();
        let origin = world.project(0.0, 0.0);
        assert!((origin.x - 2048.0).abs() < 1e-9 && (origin.y - 2048.0).abs() < 1e-9);
        let b = tile.bounds_lonlat(0.0);
        assert!(b.min().x < 116.397 && b.max().x > 116.397 && b.min().y < 39.909);
    }

    #[test]
    fn square_is_clipped_at_the_tile_edge_with_buffer() {
        let ring = LineString::from(vec![
            (4000.0, 100.0),
            (5000.0, 100.0),
            (5000.0, 200.0),
            (4000.0, 200.0),
            (4000.0, 100.0),
        ]);
        let clipped = finish_ring(clip_ring(&ring, -BUFFER, 4096.0 + BUFFER), true).unwrap();
        let xs: Vec<i32> = clipped.iter().map(|p| p[0]).collect();
        assert_eq!(xs.iter().max(), Some(&4160));
        assert_eq!(xs.iter().min(), Some(&4000));
        assert_eq!(clipped.len(), 4);
        // Entirely outside: nothing left.
        let away = LineString::from(vec![
            (5000.0, 0.0),
            (6000.0, 0.0),
            (6000.0, 9.0),
            (5000.0, 0.0),
        ]);
        assert!(clip_ring(&away, -BUFFER, 4096.0 + BUFFER).is_empty());
    }

    #[test]
    fn exterior_is_positive_and_hole_negative() {
        // Drawn the "wrong" way round: exterior counter-clockwise on screen, hole clockwise.
        let exterior = vec![
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 0.0, y: 100.0 },
            Coord { x: 100.0, y: 100.0 },
            Coord { x: 100.0, y: 0.0 },
        ];
        let hole = vec![
            Coord { x: 10.0, y: 10.0 },
            Coord { x: 20.0, y: 10.0 },
            Coord { x: 20.0, y: 20.0 },
            Coord { x: 10.0, y: 20.0 },
        ];
        assert!(shoelace(&finish_ring(exterior, true).unwrap()) > 0);
        assert!(shoelace(&finish_ring(hole, false).unwrap()) < 0);

        // End to end from lon/lat, where the input winding says nothing about the output.
        let tile = TileId::new(0, 0, 0).unwrap();
        let donut = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 40.0, y: 0.0), (x: 40.0, y: 40.0), (x: 0.0, y: 40.0)],
            interiors: [[(x: 10.0, y: 10.0), (x: 10.0, y: 30.0), (x: 30.0, y: 30.0), (x: 30.0, y: 10.0)]],
        )]);
        let rings = tile_rings(&donut, &tile);
        assert_eq!(rings.len(), 2);
        assert!(shoelace(&rings[0]) > 0);
        assert!(shoelace(&rings[1]) < 0);
    }

    #[test]
    fn degenerate_rings_are_dropped() {
        let c = |x: f64, y: f64| Coord { x, y };
        // Collapses to two points after rounding.
        assert_eq!(
            finish_ring(vec![c(0.1, 0.1), c(0.2, 0.2), c(5.0, 5.0)], true),
            None
        );
        // Collinear: zero area.
        assert_eq!(
            finish_ring(vec![c(0.0, 0.0), c(5.0, 5.0), c(9.0, 9.0)], true),
            None
        );
        // Repeated closing point is removed, leaving a valid triangle.
        let t = finish_ring(
            vec![c(0.0, 0.0), c(9.0, 0.0), c(9.0, 9.0), c(0.0, 0.0)],
            true,
        );
        assert_eq!(t.map(|r| r.len()), Some(3));
        // A far-away county at z14 contributes nothing.
        let tile = TileId::new(14, 0, 0).unwrap();
        let far = MultiPolygon(vec![
            polygon![(x: 116.0, y: 39.0), (x: 117.0, y: 39.0), (x: 117.0, y: 40.0)],
        ]);
        assert!(tile_rings(&far, &tile).is_empty());
    }
}
