//! Point-in-polygon on a polygon prepared once and queried millions of times.
//!
//! Edges are bucketed into horizontal bands; a query casts a ray only against the edges of the
//! point's band (even-odd rule), so a county with 5,000 edges costs a handful of edge tests.

use geo::{BoundingRect, CoordsIter, MultiPolygon, Rect};

/// One boundary edge, stored for the crossing test.
#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    /// dx/dy, so a crossing costs one multiply (0 for horizontal edges, which the half-open
    /// crossing rule never evaluates).
    slope: f64,
}

/// A (multi)polygon prepared for fast containment queries.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    bbox: Rect<f64>,
    min_y: f64,
    bands_per_degree: f64,
    /// CSR offsets into `edges`, one per band plus one.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
}

impl PreparedPolygon {
    /// Prepares a multipolygon (exteriors and holes alike: the even-odd rule handles both).
    pub fn new(geometry: &MultiPolygon<f64>) -> Option<PreparedPolygon> {
        let bbox = geometry.bounding_rect()?;
        let mut raw = Vec::with_capacity(geometry.coords_count());
        for polygon in geometry {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    let (a, b) = (line.start, line.end);
                    if a == b {
                        continue;
                    }
                    let slope = if a.y == b.y {
                        0.0
                    } else {
                        (b.x - a.x) / (b.y - a.y)
                    };
                    raw.push(Edge {
                        x0: a.x,
                        y0: a.y,
                        x1: b.x,
                        y1: b.y,
                        slope,
                    });
                }
            }
        }
        let height = bbox.height().max(1e-9);
        // About four edges per band keeps bands short without duplicating long edges much.
        let bands = (raw.len() / 4).clamp(1, 1 << 16);
        let bands_per_degree = bands as f64 / height;
        let band_of = |y: f64| (((y - bbox.min().y) * bands_per_degree) as usize).min(bands - 1);
        let mut counts = vec![0u32; bands + 1];
        for e in &raw {
            let (lo, hi) = (band_of(e.y0.min(e.y1)), band_of(e.y0.max(e.y1)));
            for c in &mut counts[lo..=hi] {
                *c += 1;
            }
        }
        let mut band_start = Vec::with_capacity(bands + 1);
        let mut total = 0u32;
        for c in &counts[..bands] {
            band_start.push(total);
            total += c;
        }
        band_start.push(total);
        let mut fill = band_start.clone();
        let mut edges = vec![
            Edge {
                x0: 0.0,
                y0: 0.0,
                x1: 0.0,
                y1: 0.0,
                slope: 0.0
            };
            total as usize
        ];
        for e in &raw {
            let (lo, hi) = (band_of(e.y0.min(e.y1)), band_of(e.y0.max(e.y1)));
            for slot in &mut fill[lo..=hi] {
                edges[*slot as usize] = *e;
                *slot += 1;
            }
        }
        Some(PreparedPolygon {
            bbox,
            min_y: bbox.min().y,
            bands_per_degree,
            band_start,
            edges,
        })
    }

    /// Bounding box.
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Whether any boundary edge's bounding box overlaps `rect`: when none does, `rect` lies
    /// wholly inside or wholly outside (conservative: an edge near a corner also counts).
    pub fn boundary_touches(&self, rect: Rect<f64>) -> bool {
        let (min, max) = (rect.min(), rect.max());
        let (bmin, bmax) = (self.bbox.min(), self.bbox.max());
        if max.x < bmin.x || min.x > bmax.x || max.y < bmin.y || min.y > bmax.y {
            return false;
        }
        let bands = self.band_start.len() - 1;
        let band_of =
            |y: f64| (((y - self.min_y) * self.bands_per_degree).max(0.0) as usize).min(bands - 1);
        let range =
            self.band_start[band_of(min.y)] as usize..self.band_start[band_of(max.y) + 1] as usize;
        self.edges[range].iter().any(|e| {
            e.x0.max(e.x1) >= min.x
                && e.x0.min(e.x1) <= max.x
                && e.y0.max(e.y1) >= min.y
                && e.y0.min(e.y1) <= max.y
        })
    }

    /// Whether (x, y) lies inside. Points exactly on an edge fall on a consistent side
    /// (half-open rule), so two polygons sharing that edge never both claim the point.
    #[inline]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        if !(x >= min.x && x <= max.x && y >= min.y && y <= max.y) {
            return false;
        }
        let bands = self.band_start.len() - 1;
        let band = (((y - self.min_y) * self.bands_per_degree) as usize).min(bands - 1);
        let range = self.band_start[band] as usize..self.band_start[band + 1] as usize;
        let mut inside = false;
        for e in &self.edges[range] {
            if (e.y0 > y) != (e.y1 > y) && x < e.x0 + (y - e.y0) * e.slope {
                inside = !inside;
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Contains, Point};
    use rand::{Rng, SeedableRng};

    #[test]
    fn agrees_with_geo_contains_on_a_polygon_with_a_hole() {
        let shape = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 5.0, y: 4.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 2.0, y: 1.0), (x: 8.0, y: 1.0), (x: 8.0, y: 2.0), (x: 2.0, y: 2.0)]],
        ];
        let multi = MultiPolygon::new(vec![shape.clone()]);
        let prepared = PreparedPolygon::new(&multi).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20_000 {
            let (x, y) = (rng.random_range(-1.0..11.0), rng.random_range(-1.0..11.0));
            assert_eq!(
                prepared.contains(x, y),
                shape.contains(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
        assert!(!prepared.contains(f64::NAN, 5.0));
    }

    #[test]
    fn shared_edge_points_belong_to_exactly_one_side() {
        let left = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
        ]);
        let right = MultiPolygon::new(vec![
            polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)],
        ]);
        let (l, r) = (
            PreparedPolygon::new(&left).unwrap(),
            PreparedPolygon::new(&right).unwrap(),
        );
        for y in [0.1, 0.5, 0.9] {
            assert!(l.contains(1.0, y) ^ r.contains(1.0, y));
        }
    }
}
