//! Vector tiles end to end: the real server's `division` tiles, decoded by an independent
//! MVT decoder (PyPI `mapbox-vector-tile`), must carry the same numbers as `/api/v1/stats`
//! and sane geometry. Needs Python with `mapbox_vector_tile`: `SHIKONG_PYTHON`, else `python3`.

mod common;

use common::{get, get_bytes, get_json, Server};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

/// Decodes an MVT file to JSON: layer → features with id, properties and GeoJSON geometry in
/// tile coordinates (y down, as encoded).
const DECODE: &str = r#"
import json, sys
import mapbox_vector_tile
with open(sys.argv[1], "rb") as f:
    tile = mapbox_vector_tile.decode(f.read(), default_options={"y_coord_down": True})
print(json.dumps(tile))
"#;

fn python() -> String {
    std::env::var("SHIKONG_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn decode(dir: &std::path::Path, bytes: &[u8]) -> Value {
    let path = dir.join("tile.mvt");
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new(python())
        .args(["-c", DECODE])
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "decoder failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("decoder JSON")
}

/// Every ring of a Polygon or MultiPolygon geometry.
fn rings(geometry: &Value) -> Vec<&Vec<Value>> {
    let coords = &geometry["coordinates"];
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords.as_array().unwrap().iter().collect(),
        other => panic!("not a polygon: {other:?}"),
    };
    polygons
        .into_iter()
        .flat_map(|p| p.as_array().unwrap())
        .map(|r| r.as_array().unwrap())
        .collect()
}

/// Checks the layer's features and returns (code → value) of those with a value.
fn check_layer(tile: &Value, expected_level: &str) -> HashMap<String, f64> {
    let layer = &tile["division"];
    assert!(layer.is_object(), "layer division present: {tile}");
    let features = layer["features"].as_array().expect("features");
    assert!(!features.is_empty(), "features in the tile");
    let mut values = HashMap::new();
    for f in features {
        let p = &f["properties"];
        let code = p["code"].as_str().expect("code");
        assert_eq!(code.len(), 6);
        assert_eq!(f["id"].as_u64(), code.parse::<u64>().ok(), "id is the code");
        assert!(!p["name"].as_str().expect("name").is_empty());
        let level = p["level"].as_str().expect("level");
        if expected_level == "province" {
            assert_eq!(level, "province");
        } else {
            assert!(["prefecture", "county"].contains(&level), "{level}");
        }
        for ring in rings(&f["geometry"]) {
            assert!(ring.len() >= 4, "ring of {code} has {} points", ring.len());
            assert_eq!(ring.first(), ring.last(), "ring of {code} closed");
            for point in ring {
                for c in point.as_array().unwrap() {
                    let c = c.as_f64().unwrap();
                    assert!((-64.0..=4160.0).contains(&c), "{code}: {c} outside buffer");
                }
            }
        }
        if let Some(v) = p["value"].as_f64() {
            values.insert(code.to_string(), v);
        }
    }
    values
}

#[test]
fn division_tiles_decode_and_agree_with_stats() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), 60_000);
    let base = &server.base;
    let query = "kind=dibao&month=2025-06";

    // z3 over most of China: every province's value is its count in /stats.
    let (status, bytes) = get_bytes(&format!("{base}/tiles/division/3/6/3.mvt?{query}"));
    assert_eq!(status, 200);
    let values = check_layer(&decode(dir.path(), &bytes), "province");
    let stats = get_json(&format!("{base}/api/v1/stats?level=province&{query}"));
    let counts: HashMap<String, f64> = stats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["count"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        values.len() >= 20,
        "most provinces meet 3/6/3: {}",
        values.len()
    );
    assert!(values.contains_key("110000") && values.contains_key("440000"));
    for (code, v) in &values {
        assert_eq!(Some(v), counts.get(code), "province {code}");
    }
    assert!(values.values().sum::<f64>() > 0.0);

    // The same tile again (from the tile cache) is byte-identical; it carries a strong ETag
    // and a Cache-Control, revalidates with 304, and is gzipped when the client accepts it.
    let url = format!("{base}/tiles/division/3/6/3.mvt?{query}");
    assert_eq!(get_bytes(&url).1, bytes);
    let (status, tag, _) = common::get_with(&url, &[], "etag");
    assert_eq!(status, 200);
    let tag = tag.expect("ETag on tiles");
    assert_eq!(
        common::get_with(&url, &[], "cache-control").1.as_deref(),
        Some("public, max-age=300")
    );
    assert_eq!(
        common::get_with(&url, &[("If-None-Match", &tag)], "etag").0,
        304
    );
    let encoding = common::get_with(&url, &[("Accept-Encoding", "gzip")], "content-encoding").1;
    assert_eq!(encoding.as_deref(), Some("gzip"));

    // z8 over Beijing: counties (and county-level units) of 北京 and its neighbours.
    let (status, bytes) = get_bytes(&format!("{base}/tiles/division/8/210/97.mvt"));
    assert_eq!(status, 200);
    let values = check_layer(&decode(dir.path(), &bytes), "county");
    assert!(
        values.keys().any(|c| c.starts_with("11")),
        "Beijing districts"
    );
    assert!(
        values.keys().all(|c| !c.ends_with("0000")),
        "no provinces at z8"
    );

    // A rate tile parses too (values only where a population is known).
    let (status, _) = get_bytes(&format!("{base}/tiles/division/5/25/12.mvt?measure=rate"));
    assert!(status == 200 || status == 204, "{status}");

    // The open Pacific: no content.
    let (status, bytes) = get_bytes(&format!("{base}/tiles/division/5/31/12.mvt"));
    assert_eq!(status, 204);
    assert!(bytes.is_empty());

    // Bad addresses and parameters: 400 with the JSON error naming the parameter.
    for (path, param) in [
        ("15/0/0.mvt", "z"),
        ("3/8/0.mvt", "x"),
        ("3/0/8.mvt", "y"),
        ("3/0/0.png", "y"),
        ("3/0/0", "y"),
        ("a/0/0.mvt", "z"),
        ("3/-1/0.mvt", "x"),
        ("3/6/3.mvt?measure=mean", "measure"),
        ("3/6/3.mvt?month=1999-01", "month"),
        ("3/6/3.mvt?kind=nope", "kind"),
        ("3/6/3.mvt?zoom=3", "zoom"),
    ] {
        let (status, body) = get(&format!("{base}/tiles/division/{path}"));
        assert_eq!(status, 400, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(body["error"]["param"], param, "{path}");
    }

    // TileJSON.
    let tilejson = get_json(&format!("{base}/tiles/division.json?{query}"));
    assert_eq!(tilejson["tilejson"], "3.0.0");
    assert_eq!(tilejson["minzoom"], 0);
    assert_eq!(tilejson["maxzoom"], 14);
    assert_eq!(tilejson["bounds"], serde_json::json!([73, 3, 136, 54]));
    let url = tilejson["tiles"][0].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.contains("/tiles/division/{z}/{x}/{y}.mvt?"), "{url}");
    let layer = &tilejson["vector_layers"][0];
    assert_eq!(layer["id"], "division");
    for field in ["code", "name", "level", "value"] {
        assert!(layer["fields"][field].is_string(), "field {field}");
    }
    // The template resolves to a tile the server serves.
    let first = url
        .replace("{z}", "3")
        .replace("{x}", "6")
        .replace("{y}", "3");
    assert_eq!(get_bytes(&first).0, 200);
    assert_eq!(get(&format!("{base}/tiles/division.json?measure=x")).0, 400);
}

/// Longitude/latitude bounds of tile z/x/y (Web Mercator).
fn tile_bounds(z: u32, x: u32, y: u32) -> [f64; 4] {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    [
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    ]
}

#[test]
fn facility_tiles_hold_the_open_facilities() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), 60_000);
    let base = &server.base;
    // z10 tile around a real facility: one point per facility, with its properties.
    let some = get_json(&format!(
        "{base}/api/v1/facilities?kind=elderly_care&code=330000&date=2026-10-31&limit=1"
    ));
    let facility = &some["facilities"][0];
    let (lon, lat) = (
        facility["lon"].as_f64().unwrap(),
        facility["lat"].as_f64().unwrap(),
    );
    let n = 1024.0;
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat_rad = lat.to_radians();
    let y = ((1.0 - (lat_rad.tan() + 1.0 / lat_rad.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
        .floor() as u32;
    let (status, bytes) = get_bytes(&format!(
        "{base}/tiles/facility/10/{x}/{y}.mvt?kind=elderly_care"
    ));
    assert_eq!(status, 200);
    let tile = decode(dir.path(), &bytes);
    let features = tile["facility"]["features"]
        .as_array()
        .expect("facility layer");
    assert!(
        features.iter().any(|f| f["id"] == facility["id"]),
        "facility {} drawn",
        facility["id"]
    );
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(f["properties"]["kind"], "elderly_care");
        assert!(f["properties"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
        assert_eq!(f["properties"]["count"], 1.0);
    }
    // Every open facility strictly inside the tile is drawn (the buffer may add a few more).
    let [w, s, e, n] = tile_bounds(10, x, y);
    let listed = get_json(&format!(
        "{base}/api/v1/facilities?kind=elderly_care&date=2026-10-31&bbox={w},{s},{e},{n}&limit=1000"
    ));
    let inside = listed["count"].as_u64().unwrap() as usize;
    assert!(
        features.len() >= inside,
        "{} drawn, {inside} inside",
        features.len()
    );
    // z4 over eastern China: clusters whose counts add up to at least the facilities inside.
    let (status, bytes) = get_bytes(&format!(
        "{base}/tiles/facility/4/13/6.mvt?kind=elderly_care"
    ));
    assert_eq!(status, 200);
    let clusters = decode(dir.path(), &bytes);
    let total: f64 = clusters["facility"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_f64().unwrap())
        .sum();
    assert!(total >= 1.0);
    // Bad requests.
    for (path, param) in [
        ("4/13/6.mvt?kind=dibao", "kind"),
        ("4/16/6.mvt", "x"),
        ("4/13/6.png", "y"),
    ] {
        let (status, body) = get(&format!("{base}/tiles/facility/{path}"));
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body.contains(&format!("\"param\":\"{param}\"")),
            "{path}: {body}"
        );
    }
}
