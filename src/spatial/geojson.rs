//! GeoJSON text for geometries, written directly (no intermediate tree) with a fixed
//! precision, since boundaries are served often and large.

use geo::{LineString, MultiPolygon};
use std::fmt::Write;

/// Writes a MultiPolygon as a GeoJSON geometry object with `decimals` digits.
pub fn multipolygon_to_geojson(geometry: &MultiPolygon<f64>, decimals: usize) -> String {
    let mut out = String::with_capacity(64 + geometry.0.len() * 256);
    out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, polygon) in geometry.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_ring(&mut out, polygon.exterior(), decimals);
        for ring in polygon.interiors() {
            out.push(',');
            write_ring(&mut out, ring, decimals);
        }
        out.push(']');
    }
    out.push_str("]}");
    out
}

fn write_ring(out: &mut String, ring: &LineString<f64>, decimals: usize) {
    out.push('[');
    for (i, c) in ring.coords().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "[{:.*},{:.*}]", decimals, c.x, decimals, c.y);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::boundaries::geometry_from_geojson;
    use geo::polygon;

    #[test]
    fn round_trips_through_the_parser() {
        let shape = MultiPolygon::new(vec![polygon![
            exterior: [(x: 116.0, y: 39.0), (x: 117.0, y: 39.0), (x: 117.0, y: 40.0)],
            interiors: [[(x: 116.6, y: 39.2), (x: 116.9, y: 39.2), (x: 116.9, y: 39.5)]],
        ]]);
        let text = multipolygon_to_geojson(&shape, 5);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(geometry_from_geojson(&value).unwrap(), shape);
    }
}
