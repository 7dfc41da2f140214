//! Well-Known Binary (ISO 19125, little endian) for the two geometry types the export
//! writes: points and multipolygons.

use geo::{LineString, MultiPolygon};

const LITTLE_ENDIAN: u8 = 1;
const POINT: u32 = 1;
const POLYGON: u32 = 3;
const MULTI_POLYGON: u32 = 6;

/// A point as WKB (21 bytes).
pub fn point(lon: f64, lat: f64) -> [u8; 21] {
    let mut out = [0u8; 21];
    out[0] = LITTLE_ENDIAN;
    out[1..5].copy_from_slice(&POINT.to_le_bytes());
    out[5..13].copy_from_slice(&lon.to_le_bytes());
    out[13..21].copy_from_slice(&lat.to_le_bytes());
    out
}

fn ring(out: &mut Vec<u8>, ring: &LineString<f64>) {
    out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
    for c in &ring.0 {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
}

/// A multipolygon as WKB.
pub fn multi_polygon(geometry: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(LITTLE_ENDIAN);
    out.extend_from_slice(&MULTI_POLYGON.to_le_bytes());
    out.extend_from_slice(&(geometry.0.len() as u32).to_le_bytes());
    for polygon in &geometry.0 {
        out.push(LITTLE_ENDIAN);
        out.extend_from_slice(&POLYGON.to_le_bytes());
        out.extend_from_slice(&(1 + polygon.interiors().len() as u32).to_le_bytes());
        ring(&mut out, polygon.exterior());
        for interior in polygon.interiors() {
            ring(&mut out, interior);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn point_matches_the_wkb_the_ingest_reads() {
        let bytes = point(120.5, 30.25);
        assert_eq!(crate::ingest::read::wkb_point(&bytes), Some((120.5, 30.25)));
    }

    #[test]
    fn multipolygon_layout() {
        let square: MultiPolygon<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)].into();
        let bytes = multi_polygon(&square);
        // header 9, polygon header 9, ring count 4 + 4 points × 16
        assert_eq!(bytes.len(), 9 + 9 + 4 + 4 * 16);
        assert_eq!(&bytes[1..5], &6u32.to_le_bytes());
        assert_eq!(&bytes[14..18], &1u32.to_le_bytes());
    }
}
