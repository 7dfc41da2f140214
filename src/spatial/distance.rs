//! Distance from a point to a division's boundary, for points that fall outside the division
//! they were declared in (is it a few metres over the line, or another town?). Each
//! division's boundary segments go into an R-tree on first use, so a query is a nearest
//! neighbour search instead of a scan of every vertex (county rings run to 10⁴ vertices).

use crate::domain::DivisionCode;
use geo::{Closest, ClosestPoint, Distance, Haversine, Line, MultiPolygon, Point};
use rstar::RTree;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A boundary and the R-tree of its segments, made on first use.
type Boundary = (MultiPolygon<f64>, OnceLock<RTree<Line<f64>>>);

/// Boundary segment trees per division, built lazily and shared across threads.
pub struct BoundaryDistance {
    trees: HashMap<DivisionCode, Boundary>,
}

impl BoundaryDistance {
    /// Over these boundaries.
    pub fn new(
        boundaries: impl IntoIterator<Item = (DivisionCode, MultiPolygon<f64>)>,
    ) -> BoundaryDistance {
        BoundaryDistance {
            trees: boundaries
                .into_iter()
                .map(|(code, g)| (code, (g, OnceLock::new())))
                .collect(),
        }
    }

    /// Metres from (lon, lat) to the nearest point of `code`'s boundary; the nearest point
    /// is sought in degrees (as `geo`'s closest point), its distance measured on the sphere.
    /// `None` when the division is unknown. Callers know the point is not inside.
    pub fn metres(&self, code: DivisionCode, lon: f64, lat: f64) -> Option<f64> {
        let (geometry, tree) = self.trees.get(&code)?;
        let tree = tree.get_or_init(|| {
            RTree::bulk_load(
                geometry
                    .iter()
                    .flat_map(|polygon| {
                        std::iter::once(polygon.exterior()).chain(polygon.interiors())
                    })
                    .flat_map(|ring| ring.lines())
                    .collect(),
            )
        });
        let point = Point::new(lon, lat);
        let segment = tree.nearest_neighbor(&point)?;
        match segment.closest_point(&point) {
            Closest::Intersection(_) => Some(0.0),
            Closest::SinglePoint(p) => Some(Haversine.distance(point, p)),
            Closest::Indeterminate => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn equals_the_closest_point_over_the_whole_boundary() {
        let square: MultiPolygon<f64> = polygon![
            (x: 120.0, y: 30.0), (x: 120.5, y: 30.0), (x: 120.5, y: 30.4), (x: 120.2, y: 30.45),
            (x: 120.0, y: 30.4), (x: 120.0, y: 30.0)
        ]
        .into();
        let code: DivisionCode = "330106".parse().unwrap();
        let d = BoundaryDistance::new([(code, square.clone())]);
        for (lon, lat) in [(120.7, 30.2), (119.9, 29.9), (120.25, 30.6), (121.5, 31.0)] {
            let point = Point::new(lon, lat);
            let want = match square.closest_point(&point) {
                Closest::SinglePoint(p) => Haversine.distance(point, p),
                other => panic!("{other:?}"),
            };
            let got = d.metres(code, lon, lat).unwrap();
            assert!((got - want).abs() < 1e-6, "{lon},{lat}: {got} vs {want}");
        }
        assert_eq!(d.metres("110101".parse().unwrap(), 120.0, 30.0), None);
    }
}
