//! Vector tiles end to end: the real server's `division` tiles, decoded by an independent
//! MVT decoder (PyPI `mapbox-vector-tile`), must carry the same numbers as `/api/v1/stats`
//! and sane geometry. Needs Python with `mapbox_vector_tile`: `SHIKONG_PYTHON`, else `python3`.

mod common;

use common::{decode_mvt as decode, get, get_bytes, get_json, python, tile_of, Server};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

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
        Some("private, max-age=300")
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
    let bounds: Vec<f64> = tilejson["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(bounds, [73.0, 3.0, 136.0, 54.0]);
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
    let (x, y) = tile_of(10, lon, lat);
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

#[test]
fn hex_and_coverage_tiles_carry_the_apis_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), 60_000);
    let base = &server.base;

    // z0 holds every resolution-2 cell: the dibao counts add up to the national count
    // (assigned + unassigned) of /stats for the month.
    let (status, bytes) = get_bytes(&format!(
        "{base}/tiles/hex/0/0/0.mvt?kind=dibao,tekun&month=2025-06"
    ));
    assert_eq!(status, 200);
    let tile = decode(dir.path(), &bytes);
    let features = tile["hex"]["features"].as_array().expect("hex layer");
    let mut sums: HashMap<&str, f64> = HashMap::new();
    for f in features {
        let p = &f["properties"];
        let h3 = p["h3"].as_str().expect("h3");
        let cell: h3o::CellIndex = h3.parse().expect("an H3 cell");
        assert_eq!(cell.resolution(), h3o::Resolution::Two);
        assert_eq!(f["id"].as_u64(), Some(u64::from(cell)), "id is the cell");
        let (d, t) = (p["dibao"].as_f64().unwrap(), p["tekun"].as_f64().unwrap());
        assert_eq!(p["count"].as_f64().unwrap(), d + t);
        assert!(p.get("orphan").is_none(), "only the asked kinds");
        *sums.entry("dibao").or_default() += d;
        *sums.entry("tekun").or_default() += t;
        for ring in rings(&f["geometry"]) {
            assert_eq!(ring.first(), ring.last());
        }
    }
    for kind in ["dibao", "tekun"] {
        let stats = get_json(&format!(
            "{base}/api/v1/stats?level=province&kind={kind}&month=2025-06"
        ));
        let national = stats["total"].as_f64().unwrap() + stats["unassigned"].as_f64().unwrap();
        assert_eq!(sums[kind], national, "{kind}");
    }
    // A finer zoom: resolution 7 at z10 over Beijing, every count positive.
    let (x, y) = tile_of(10, 116.40, 39.91);
    let (status, bytes) = get_bytes(&format!("{base}/tiles/hex/10/{x}/{y}.mvt"));
    assert_eq!(status, 200);
    let tile = decode(dir.path(), &bytes);
    for f in tile["hex"]["features"].as_array().unwrap() {
        let cell: h3o::CellIndex = f["properties"]["h3"].as_str().unwrap().parse().unwrap();
        assert_eq!(cell.resolution(), h3o::Resolution::Seven);
        assert!(f["properties"]["count"].as_f64().unwrap() >= 1.0);
    }
    for (path, param) in [
        ("0/0/0.mvt?kind=elderly_care", "kind"),
        ("0/0/0.mvt?month=1999-01", "month"),
        ("0/0/0.mvt?measure=rate", "measure"),
    ] {
        let (status, body) = get(&format!("{base}/tiles/hex/{path}"));
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body.contains(&format!("\"param\":\"{param}\"")),
            "{path}: {body}"
        );
    }

    // Coverage at z10 over a county: each cell's figures are those of /api/v1/coverage.
    // The county with the most 低保 recipients, so that it has demand at any data size.
    let top = get_json(&format!(
        "{base}/api/v1/stats/top?level=county&kind=dibao&n=1"
    ));
    let county = top["rows"][0]["code"].as_str().unwrap().to_string();
    let county = county.as_str();
    let query = "kinds=dibao&radius_km=5";
    let api = get_json(&format!("{base}/api/v1/coverage/{county}?{query}"));
    let by_cell: HashMap<String, &Value> = api["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cell"].as_str().unwrap().to_string(), c))
        .collect();
    assert!(!by_cell.is_empty(), "demand in {county}");
    let first = api["cells"][0].clone();
    let (x, y) = tile_of(
        10,
        first["lon"].as_f64().unwrap(),
        first["lat"].as_f64().unwrap(),
    );
    let (status, bytes) = get_bytes(&format!("{base}/tiles/coverage/10/{x}/{y}.mvt?{query}"));
    assert_eq!(status, 200);
    let tile = decode(dir.path(), &bytes);
    let mut matched = 0;
    for f in tile["coverage"]["features"].as_array().unwrap() {
        let p = &f["properties"];
        if p["county"] != county {
            continue;
        }
        let api_cell = by_cell[p["h3"].as_str().unwrap()];
        assert_eq!(p["demand"].as_f64(), api_cell["demand"].as_f64());
        assert_eq!(
            p["covered_share"].as_f64(),
            api_cell["covered_share"].as_f64()
        );
        assert_eq!(
            p["accessibility"].as_f64(),
            api_cell["accessibility_mean"].as_f64()
        );
        assert!(p["desert"].is_boolean());
        matched += 1;
    }
    assert!(matched >= 1, "the county's cells are in its tile");
    // Below its minimum zoom the coverage set is empty; bad parameters are 400s.
    assert_eq!(
        get_bytes(&format!("{base}/tiles/coverage/5/26/12.mvt")).0,
        204
    );
    let (status, body) = get(&format!(
        "{base}/tiles/coverage/10/{x}/{y}.mvt?radius_km=-1"
    ));
    assert_eq!(status, 400, "{body}");
    assert_eq!(get(&format!("{base}/tiles/nope/0/0/0.mvt")).0, 404);

    // TileJSON for every set, and the style's sources and layers resolve against them.
    let style = get_json(&format!("{base}/tiles/styles/shikong.json"));
    assert_eq!(style["version"], 8);
    let mut layers_of: HashMap<String, Vec<String>> = HashMap::new();
    for (name, source) in style["sources"].as_object().unwrap() {
        let url = source["url"].as_str().unwrap();
        assert!(
            url.starts_with(base.as_str()),
            "absolute on this server: {url}"
        );
        let tilejson = get_json(url);
        assert_eq!(tilejson["tilejson"], "3.0.0");
        assert!(tilejson["tiles"][0]
            .as_str()
            .unwrap()
            .contains(&format!("/tiles/{name}/")));
        layers_of.insert(
            name.clone(),
            tilejson["vector_layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string())
                .collect(),
        );
    }
    for layer in style["layers"].as_array().unwrap() {
        if let Some(source) = layer["source"].as_str() {
            let source_layer = layer["source-layer"].as_str().unwrap();
            assert!(
                layers_of[source].iter().any(|l| l == source_layer),
                "{layer}"
            );
        }
    }
    assert!(
        style.get("glyphs").is_none() && style.get("sprite").is_none(),
        "no glyph or sprite server"
    );
}

/// Runs `ogrinfo` (GDAL's own MVT driver) on a tile file and returns its report.
fn ogrinfo(path: &std::path::Path) -> String {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("ogrinfo (Debian gdal-bin) runs");
    assert!(
        output.status.success(),
        "ogrinfo failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Reads a PMTiles archive with the PyPI `pmtiles` reader: header, metadata and every tile
/// (gunzipped, hex-encoded) by z/x/y.
const READ_PMTILES: &str = r#"
import gzip, json, sys
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    out = {
        "header": {k: (v.name if hasattr(v, "name") else v) for k, v in header.items()},
        "metadata": reader.metadata(),
        "tiles": {f"{z}/{x}/{y}": gzip.decompress(data).hex() for (z, x, y), data in all_tiles(source)},
    }
print(json.dumps(out))
"#;

#[test]
fn pmtiles_export_reads_back_identical_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let archive = dir.path().join("china.pmtiles");
    // `set.param` applies to one set only (facility tiles take a `kind` too).
    let export_query = "division.kind=dibao&month=2025-06";
    let query = "kind=dibao&month=2025-06";
    let data_arg = data.to_str().unwrap();
    let printed = common::run_ok(&[
        "--data-dir",
        data_arg,
        "tiles",
        "export",
        "--records",
        "60000",
        "--out",
        archive.to_str().unwrap(),
        "--set",
        "division,facility",
        "--maxzoom",
        "6",
        "--query",
        export_query,
    ]);
    assert!(printed.contains("wrote"), "{printed}");

    let output = Command::new(python())
        .args(["-c", READ_PMTILES])
        .arg(&archive)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "pmtiles reader: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    let header = &read["header"];
    assert_eq!(header["tile_type"], "MVT");
    assert_eq!(header["tile_compression"], "GZIP");
    assert_eq!(header["max_zoom"], 6);
    assert_eq!(header["min_lon_e7"], 730_000_000);
    let layers: Vec<&str> = read["metadata"]["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["division", "facility"]);
    let tiles = read["tiles"].as_object().unwrap();
    assert!(tiles.contains_key("0/0/0") && tiles.contains_key("3/6/3"));
    assert!(tiles.len() > 100, "{} tiles", tiles.len());
    assert_eq!(
        header["addressed_tiles_count"].as_u64(),
        Some(tiles.len() as u64)
    );

    // Served from the archive and computed by the server: the same bytes.
    let server = Server::start_with(
        &data,
        &["--records", "60000", "--pmtiles", archive.to_str().unwrap()],
    );
    let base = &server.base;
    for key in ["0/0/0", "3/6/3", "4/13/6", "6/52/24"] {
        let want = hex::decode(tiles[key].as_str().unwrap()).unwrap();
        let (status, served) = get_bytes(&format!("{base}/tiles/china/{key}.mvt"));
        assert_eq!(status, 200, "{key}");
        assert_eq!(served, want, "{key} from the archive");
        let (_, division) = get_bytes(&format!("{base}/tiles/division/{key}.mvt?{query}"));
        let (_, facility) = get_bytes(&format!("{base}/tiles/facility/{key}.mvt"));
        assert_eq!([division, facility].concat(), want, "{key} computed");
    }
    let tilejson = get_json(&format!("{base}/tiles/china.json"));
    assert_eq!(tilejson["maxzoom"], 6);
    assert!(tilejson["tiles"][0]
        .as_str()
        .unwrap()
        .ends_with("/tiles/china/{z}/{x}/{y}.mvt"));
    assert_eq!(
        get_bytes(&format!("{base}/tiles/china/7/104/48.mvt")).0,
        204,
        "beyond maxzoom"
    );
    assert_eq!(
        get(&format!("{base}/tiles/china/0/0/0.mvt?kind=dibao")).0,
        400
    );

    // GDAL reads a tile of the archive with its own MVT driver: both layers, every feature.
    let tile_dir = dir.path().join("gdal").join("3").join("6");
    std::fs::create_dir_all(&tile_dir).unwrap();
    let tile_path = tile_dir.join("3.pbf");
    std::fs::write(
        &tile_path,
        hex::decode(tiles["3/6/3"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let decoded = decode(dir.path(), &std::fs::read(&tile_path).unwrap());
    let report = ogrinfo(&tile_path);
    for layer in ["division", "facility"] {
        let n = decoded[layer]["features"].as_array().unwrap().len();
        assert!(report.contains(&format!("Layer name: {layer}")), "{report}");
        assert!(
            report.contains(&format!("Feature Count: {n}")),
            "{layer} {n}: {report}"
        );
    }
    for field in ["code: String", "name: String", "value: Real"] {
        assert!(report.contains(field), "{field}: {report}");
    }
}

/// Decoded county rings of a tile vs the stored boundary, in Python (shapely): the largest
/// distance from a tile vertex (not on the clip edge) to the boundary projected into the
/// tile, and from a boundary vertex inside the tile to the decoded rings, in tile units.
const COMPARE_GEOMETRY: &str = r#"
import json, math, sys
from shapely.geometry import shape, Point, MultiLineString
from shapely.ops import transform
tile, boundary, z, x, y = json.load(open(sys.argv[1]))
def project(lon, lat, *_):
    n = 2 ** z * 4096
    px = (lon + 180) / 360 * n - x * 4096
    phi = math.radians(lat)
    py = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n - y * 4096
    return px, py
proj = lambda xs, ys, zs=None: tuple(zip(*[project(a, b) for a, b in zip(xs, ys)]))
stored = transform(proj, shape(boundary)).boundary
drawn = MultiLineString([ring for ring in (
    [tuple(p) for p in r] for poly in (
        [tile["coordinates"]] if tile["type"] == "Polygon" else tile["coordinates"]) for r in poly)])
edge = lambda p: min(abs(p[0] + 64), abs(p[0] - 4160), abs(p[1] + 64), abs(p[1] - 4160)) < 1
worst_drawn = max((stored.distance(Point(p)) for line in drawn.geoms for p in line.coords if not edge(p)), default=0)
inside = lambda p: -64 < p[0] < 4160 and -64 < p[1] < 4160
coords = [p for line in getattr(stored, "geoms", [stored]) for p in line.coords if inside(p)]
worst_stored = max((drawn.distance(Point(p)) for p in coords), default=0)
print(json.dumps({"drawn": worst_drawn, "stored": worst_stored, "vertices": len(coords)}))
"#;

#[test]
fn county_tile_geometry_matches_the_boundary_within_a_pixel() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), 20_000);
    let base = &server.base;
    // 仙桃市 (a 省直辖县级 unit) and 东城区 at zooms where they are drawn as counties.
    for (code, z) in [("429004", 9u32), ("110101", 12), ("330106", 10)] {
        let detail = get_json(&format!("{base}/api/v1/divisions/{code}"));
        let centroid = &detail["centroid"];
        let (lon, lat) = (centroid[0].as_f64().unwrap(), centroid[1].as_f64().unwrap());
        let (x, y) = tile_of(z, lon, lat);
        let (status, bytes) = get_bytes(&format!("{base}/tiles/division/{z}/{x}/{y}.mvt"));
        assert_eq!(status, 200);
        let tile = decode(dir.path(), &bytes);
        let feature = tile["division"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {z}/{x}/{y}"))
            .clone();
        let boundary = get_json(&format!(
            "{base}/api/v1/divisions/{code}/boundary?tolerance=0"
        ));
        let geometry = boundary["geometry"].clone();
        let input = dir.path().join("compare.json");
        std::fs::write(
            &input,
            serde_json::to_vec(&serde_json::json!([feature["geometry"], geometry, z, x, y]))
                .unwrap(),
        )
        .unwrap();
        let output = Command::new(python())
            .args(["-c", COMPARE_GEOMETRY])
            .arg(&input)
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        // One pixel of a 512-px tile is 8 units (of 4096).
        let (drawn, stored) = (
            result["drawn"].as_f64().unwrap(),
            result["stored"].as_f64().unwrap(),
        );
        assert!(
            drawn <= 8.0,
            "{code} z{z}: a drawn vertex {drawn:.2} units off the boundary"
        );
        assert!(
            stored <= 8.0,
            "{code} z{z}: a boundary vertex {stored:.2} units off the drawing"
        );
        assert!(
            result["vertices"].as_u64().unwrap() > 10,
            "{code}: {result}"
        );
    }
}
