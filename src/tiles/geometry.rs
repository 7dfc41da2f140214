//! From lon/lat polygons to MVT tile coordinates: Web-Mercator projection into one tile,
//! simplification in pixel space, clipping to the buffered tile, quantisation and the
//! winding MVT 2.1 asks for.

use super::error::TileError;
use super::mvt::EXTENT;
use geo::{Coord, LineString, MultiPolygon, Polygon, Rect, Simplify};
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
pub fn tile_rings(geometry: &MultiPolygon<f64>, tile: &TileId) -> Vec<Vec<[i32; 2]>> {
    let project = |ring: &LineString<f64>| -> LineString<f64> {
        ring.coords().map(|c| tile.project(c.x, c.y)).collect()
    };
    let lo = -BUFFER;
    let hi = f64::from(EXTENT) + BUFFER;
    let mut out = Vec::new();
    for polygon in geometry {
        let projected = Polygon::new(
            project(polygon.exterior()),
            polygon.interiors().iter().map(project).collect(),
        );
        if !overlaps(&projected, lo, hi) {
            continue;
        }
        let simplified = projected.simplify(SIMPLIFY_UNITS);
        let Some(exterior) = finish_ring(clip_ring(simplified.exterior(), lo, hi), true) else {
            continue;
        };
        out.push(exterior);
        for hole in simplified.interiors() {
            out.extend(finish_ring(clip_ring(hole, lo, hi), false));
        }
    }
    out
}

/// Whether the polygon's bounding box meets the square `lo..hi`.
fn overlaps(polygon: &Polygon<f64>, lo: f64, hi: f64) -> bool {
    use geo::BoundingRect;
    polygon
        .bounding_rect()
        .is_some_and(|r| r.min().x <= hi && r.max().x >= lo && r.min().y <= hi && r.max().y >= lo)
}

/// Sutherland–Hodgman clipping of a closed ring to the square `lo..hi`; returns it open.
/// Exact for convex clip windows such as a rectangle; concave rings may keep zero-width
/// slivers along the edge, which render as nothing.
pub fn clip_ring(ring: &LineString<f64>, lo: f64, hi: f64) -> Vec<Coord<f64>> {
    let mut points: Vec<Coord<f64>> = ring.coords().copied().collect();
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
