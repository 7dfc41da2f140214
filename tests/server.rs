//! End-to-end: `shikong init` builds a real DuckDB file, the test reads it with its own SQL
//! (not the server's code path), then `shikong serve` on an ephemeral port must agree.

mod common;

use common::{get, get_json, run_ok, Server};
use duckdb::Connection;
use serde_json::Value;
use std::collections::HashMap;

const RECORDS: u64 = 150_000;
const KIND: &str = "dibao";
const MONTH: &str = "2025-06";
const AS_OF: &str = "2025-06-30";

/// Province → count straight from the file: interval contains the month's last day.
fn expected_by_province(db: &Connection, kind: Option<&str>, as_of: &str) -> HashMap<String, u64> {
    let sql = "SELECT printf('%06d', county_code // 10000 * 10000), count(*) FROM (
                   SELECT kind, county_code, valid_from, valid_to FROM service_objects
                   UNION ALL SELECT kind, county_code, valid_from, valid_to FROM facilities)
               WHERE (kind = ? OR ? IS NULL) AND kind <> 'marriage'
                 AND valid_from <= CAST(? AS DATE) AND (valid_to IS NULL OR valid_to > CAST(? AS DATE))
                 AND county_code IS NOT NULL
               GROUP BY 1";
    let mut stmt = db.prepare(sql).unwrap();
    let rows = stmt
        .query_map(duckdb::params![kind, kind, as_of, as_of], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap();
    rows.map(|r| r.unwrap())
        .map(|(c, n)| (c, n as u64))
        .collect()
}

fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().asin()
}

fn rows(body: &Value) -> &Vec<Value> {
    body["rows"].as_array().expect("rows array")
}

fn count_of(body: &Value, code: &str) -> u64 {
    rows(body)
        .iter()
        .find(|r| r["code"] == code)
        .map(|r| r["count"].as_u64().unwrap())
        .unwrap_or(0)
}

#[test]
fn server_answers_and_agrees_with_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    run_ok(&[
        "init",
        "--data-dir",
        data_arg,
        "--records",
        &RECORDS.to_string(),
    ]);

    // Independent numbers, read before the server holds the file.
    let (expected, expected_all, marriages, total_rows) = {
        let db = Connection::open(data.join("shikong.duckdb")).unwrap();
        let marriages: i64 = db
            .query_row(
                "SELECT count(*) FROM service_objects WHERE kind = 'marriage'
                 AND valid_from >= DATE '2025-06-01' AND valid_from < DATE '2025-07-01'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let total: i64 = db
            .query_row(
                "SELECT (SELECT count(*) FROM service_objects) + (SELECT count(*) FROM facilities)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (
            expected_by_province(&db, Some(KIND), AS_OF),
            expected_by_province(&db, None, AS_OF),
            marriages as u64,
            total as u64,
        )
    };
    let expected_previous = {
        let db = Connection::open(data.join("shikong.duckdb")).unwrap();
        expected_by_province(&db, Some(KIND), "2025-05-31")
    };
    assert_eq!(total_rows, RECORDS, "generate --records is exact");
    assert!(
        expected.values().sum::<u64>() > 1_000,
        "the month should have dibao records"
    );

    let mut server = Server::start(&data, RECORDS);
    let base = &server.base.clone();

    let health = get_json(&format!("{base}/health"));
    assert_eq!(health["status"], "ok");
    assert_eq!(get_json(&format!("{base}/api/v1/meta"))["records"], RECORDS);

    // Province level: every province-level division, counts equal to the file's.
    let body = get_json(&format!(
        "{base}/api/v1/stats?level=province&kind={KIND}&month={MONTH}"
    ));
    assert_eq!(rows(&body).len(), 34, "34 province-level divisions");
    for (code, n) in &expected {
        assert_eq!(count_of(&body, code), *n, "province {code}");
    }
    let total = body["total"].as_u64().unwrap();
    assert_eq!(total, expected.values().sum::<u64>());
    assert_eq!(
        rows(&body)
            .iter()
            .map(|r| r["count"].as_u64().unwrap())
            .sum::<u64>(),
        total
    );
    assert_eq!(
        body["unassigned"], 0,
        "synthetic points all lie inside China"
    );
    assert_eq!(count_of(&body, "810000"), 0, "no synthetic records in 香港");

    // All kinds at once: interval kinds as of month end plus marriages within the month.
    let all = get_json(&format!("{base}/api/v1/stats?level=province&month={MONTH}"));
    assert_eq!(
        all["total"].as_u64().unwrap(),
        expected_all.values().sum::<u64>() + marriages
    );
    let events = get_json(&format!("{base}/api/v1/stats?kind=marriage&month={MONTH}"));
    assert_eq!(events["total"].as_u64().unwrap(), marriages);

    // Every level partitions the country: the same total at each.
    for level in ["prefecture", "county"] {
        let body = get_json(&format!(
            "{base}/api/v1/stats?level={level}&kind={KIND}&month={MONTH}"
        ));
        assert_eq!(body["total"].as_u64().unwrap(), total, "{level} total");
    }
    // Drill-down under 湖北: prefectures plus 省直辖县级 (仙桃 429004) sum to the province.
    let hubei = get_json(&format!(
        "{base}/api/v1/stats?level=prefecture&parent=420000&kind={KIND}&month={MONTH}"
    ));
    assert!(rows(&hubei)
        .iter()
        .any(|r| r["code"] == "429004" && r["name"] == "仙桃市"));
    assert_eq!(hubei["total"].as_u64().unwrap(), count_of(&body, "420000"));
    // 重庆 has no prefecture layer: its districts are its prefecture-level partition.
    let chongqing = get_json(&format!(
        "{base}/api/v1/stats?level=county&parent=500000&kind={KIND}&month={MONTH}"
    ));
    assert!(rows(&chongqing).len() >= 38);
    assert_eq!(
        chongqing["total"].as_u64().unwrap(),
        count_of(&body, "500000")
    );

    // Divisions and boundaries.
    let provinces = get_json(&format!("{base}/api/v1/divisions?level=province"));
    assert_eq!(provinces["count"], 34);
    // 北京: 16,410 km², centroid inside its bounding box.
    let bj = &provinces["divisions"][0];
    assert_eq!(bj["code"], "110000");
    let area = bj["area_km2"].as_f64().unwrap();
    assert!((15_500.0..17_500.0).contains(&area), "北京 area {area} km²");
    let (c, b) = (&bj["centroid"], &bj["bbox"]);
    for (axis, (lo, hi)) in [(0, (0, 2)), (1, (1, 3))] {
        let v = c[axis].as_f64().unwrap();
        assert!(
            b[lo].as_f64().unwrap() < v && v < b[hi].as_f64().unwrap(),
            "centroid in bbox"
        );
    }
    let beijing = get_json(&format!("{base}/api/v1/divisions?parent=110000"));
    assert_eq!(beijing["divisions"][0]["code"], "110100");
    let counties = get_json(&format!("{base}/api/v1/divisions?level=county"));
    let leaves = counties["count"].as_u64().unwrap();
    assert!(
        (2_800..2_900).contains(&leaves),
        "{leaves} county-level units"
    );
    let shapes = get_json(&format!("{base}/api/v1/boundaries?level=province"));
    assert_eq!(shapes["type"], "FeatureCollection");
    assert_eq!(shapes["features"].as_array().unwrap().len(), 34);
    assert!(shapes["features"][0]["geometry"]["coordinates"].is_array());

    // Flows: count = previous + entered - exited for every division; previous equals the
    // file's count for the month before; rate = count per 10,000 estimated residents.
    let expected_prev = &expected_previous;
    for r in rows(&body) {
        let (count, previous) = (
            r["count"].as_i64().unwrap(),
            r["previous"].as_i64().unwrap(),
        );
        let (entered, exited) = (
            r["entered"].as_i64().unwrap(),
            r["exited"].as_i64().unwrap(),
        );
        assert_eq!(count, previous + entered - exited, "{r}");
        assert_eq!(r["change"].as_i64().unwrap(), count - previous);
        let code = r["code"].as_str().unwrap();
        assert_eq!(
            previous as u64,
            expected_prev.get(code).copied().unwrap_or(0),
            "previous of {code}"
        );
        if let Some(population) = r["population"].as_f64() {
            let rate = r["rate_per_10k"].as_f64().unwrap();
            assert!((rate - count as f64 * 1e4 / population).abs() < 0.01, "{r}");
        }
    }
    assert!(rows(&body).iter().find(|r| r["code"] == "710000").unwrap()["population"].is_null());

    // Several kinds together; an as-of date inside the month (month to date).
    let both = get_json(&format!(
        "{base}/api/v1/stats?kind=dibao,tekun&month={MONTH}"
    ));
    let tekun = get_json(&format!("{base}/api/v1/stats?kind=tekun&month={MONTH}"));
    assert_eq!(
        both["total"].as_u64().unwrap(),
        total + tekun["total"].as_u64().unwrap()
    );
    assert_eq!(both["kinds"], serde_json::json!(["dibao", "tekun"]));
    let mid = get_json(&format!("{base}/api/v1/stats?kind={KIND}&date=2025-06-15"));
    assert_eq!(mid["as_of"], "2025-06-15");
    assert_eq!(mid["month"], MONTH);

    // Ranking.
    let top = get_json(&format!(
        "{base}/api/v1/stats/top?kind={KIND}&month={MONTH}&n=5"
    ));
    let top_counts: Vec<u64> = top["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert_eq!(top_counts.len(), 5);
    assert!(
        top_counts.windows(2).all(|w| w[0] >= w[1]),
        "{top_counts:?}"
    );
    assert_eq!(
        top_counts[0],
        rows(&body)
            .iter()
            .map(|r| r["count"].as_u64().unwrap())
            .max()
            .unwrap()
    );
    let bottom = get_json(&format!("{base}/api/v1/stats/top?level=county&parent=330000&kind={KIND}&month={MONTH}&measure=rate&order=asc&n=3"));
    let rates: Vec<f64> = bottom["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rate_per_10k"].as_f64().unwrap())
        .collect();
    assert!(
        rates.len() == 3 && rates.windows(2).all(|w| w[0] <= w[1]),
        "{rates:?}"
    );

    // Series: each month equals that month's statistic, for a province and for a county.
    let zhejiang = get_json(&format!(
        "{base}/api/v1/stats/series?code=330000&kind={KIND}&from=2025-01&to={MONTH}"
    ));
    let months = zhejiang["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    assert_eq!(
        months[5]["count"].as_u64().unwrap(),
        count_of(&body, "330000")
    );
    let county_code = rows(&get_json(&format!(
        "{base}/api/v1/stats?level=county&parent=330100&kind={KIND}&month=2025-03"
    )))
    .iter()
    .max_by_key(|r| r["count"].as_u64().unwrap())
    .map(|r| {
        (
            r["code"].as_str().unwrap().to_string(),
            r["count"].as_u64().unwrap(),
        )
    })
    .unwrap();
    let series = get_json(&format!(
        "{base}/api/v1/stats/series?code={}&kind={KIND}",
        county_code.0
    ));
    let march = series["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2025-03")
        .unwrap();
    assert_eq!(
        march["count"].as_u64().unwrap(),
        county_code.1,
        "series and stats agree for {}",
        county_code.0
    );
    assert_eq!(series["months"].as_array().unwrap().len(), 36);
    let national = get_json(&format!(
        "{base}/api/v1/stats/series?kind=marriage&from={MONTH}&to={MONTH}"
    ));
    assert_eq!(national["months"][0]["count"].as_u64().unwrap(), marriages);

    // One division with its lineage and children.
    let xiantao = get_json(&format!("{base}/api/v1/divisions/429004"));
    let lineage: Vec<&str> = xiantao["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(lineage, ["420000", "429004"]);
    let feature = get_json(&format!("{base}/api/v1/divisions/110101/boundary?zoom=8"));
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["properties"]["name"], "东城区");
    let full = get_json(&format!("{base}/api/v1/divisions/110101/boundary"));
    let points = |f: &Value| f["geometry"]["coordinates"][0][0].as_array().unwrap().len();
    assert!(points(&feature) < points(&full), "zoom 8 simplifies");
    let dongcheng = get_json(&format!("{base}/api/v1/divisions/110101"));
    assert_eq!(dongcheng["lineage"].as_array().unwrap().len(), 3);
    assert!(
        get_json(&format!("{base}/api/v1/divisions/330000"))["children"]
            .as_array()
            .unwrap()
            .len()
            >= 11
    );

    // XLSX of the same table.
    let (status, xlsx) = common::get_bytes(&format!(
        "{base}/api/v1/stats?kind={KIND}&month={MONTH}&format=xlsx"
    ));
    assert_eq!(status, 200);
    assert_eq!(&xlsx[..2], b"PK", "an XLSX file is a zip archive");

    // CSV of the same table.
    let (status, csv) = get(&format!(
        "{base}/api/v1/stats?kind={KIND}&month={MONTH}&format=csv"
    ));
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("\u{feff}code,name,level,count"));
    assert_eq!(lines.len(), 35);
    assert!(lines.iter().any(|l| l.starts_with(&format!(
        "330000,浙江省,province,{},",
        count_of(&body, "330000")
    ))));

    // Service objects: a county's persons in force on the month's last day, page by page,
    // number exactly what the statistic counts; person numbers only masked.
    let smallest = rows(&get_json(&format!(
        "{base}/api/v1/stats?level=county&parent=330100&kind={KIND}&month={MONTH}"
    )))
    .iter()
    .filter(|r| r["count"].as_u64().unwrap() > 0)
    .min_by_key(|r| r["count"].as_u64().unwrap())
    .map(|r| {
        (
            r["code"].as_str().unwrap().to_string(),
            r["count"].as_u64().unwrap(),
        )
    })
    .unwrap();
    let (mut after, mut seen) = (0u64, 0u64);
    loop {
        let page = get_json(&format!(
            "{base}/api/v1/objects?code={}&kind={KIND}&date={AS_OF}&limit=7&after={after}",
            smallest.0
        ));
        for o in page["objects"].as_array().unwrap() {
            assert!(o["id"].as_u64().unwrap() > after, "keyset order");
            after = o["id"].as_u64().unwrap();
            assert_eq!(o["county_code"], smallest.0.as_str());
            let masked = o["person_masked"].as_str().unwrap();
            assert!(
                masked.len() == 18 && masked[4..14].chars().all(|c| c == '*'),
                "{masked}"
            );
            seen += 1;
        }
        if page["next_after"].is_null() {
            break;
        }
    }
    assert_eq!(
        seen, smallest.1,
        "objects listed = objects counted in {}",
        smallest.0
    );
    let near = get_json(&format!(
        "{base}/api/v1/objects?near=120.16,30.25&radius_km=5&limit=200"
    ));
    for o in near["objects"].as_array().unwrap() {
        let d = haversine_km(
            120.16,
            30.25,
            o["lon"].as_f64().unwrap(),
            o["lat"].as_f64().unwrap(),
        );
        assert!(d <= 5.0001, "{d} km");
    }
    assert!(
        near["count"].as_u64().unwrap() > 0,
        "杭州 city centre has records within 5 km"
    );

    // Facilities and nearest search.
    let homes = get_json(&format!(
        "{base}/api/v1/facilities?kind=elderly_care&code=330000&limit=5"
    ));
    assert_eq!(homes["count"], 5);
    assert!(homes["facilities"][0]["county_code"]
        .as_str()
        .unwrap()
        .starts_with("33"));
    let nearest = get_json(&format!(
        "{base}/api/v1/facilities/nearest?lon=116.40&lat=39.90&k=4"
    ));
    let d: Vec<f64> = nearest["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["distance_km"].as_f64().unwrap())
        .collect();
    assert!(d.len() == 4 && d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    let within = get_json(&format!(
        "{base}/api/v1/facilities/nearest?lon=116.40&lat=39.90&k=100&radius_km={}",
        d[1]
    ));
    assert!(within["count"].as_u64().unwrap() >= 2);

    // Caching: a strong ETag per URL and data version; If-None-Match answers 304.
    let url = format!("{base}/api/v1/stats?kind={KIND}&month={MONTH}");
    let (status, etag, _) = common::get_with(&url, &[], "etag");
    assert_eq!(status, 200);
    let etag = etag.expect("ETag on API responses");
    assert_eq!(
        common::get_with(&url, &[], "cache-control").1.as_deref(),
        Some("no-cache")
    );
    let (status, again, body) = common::get_with(&url, &[("If-None-Match", &etag)], "etag");
    assert_eq!(
        (status, again.as_deref(), body.as_str()),
        (304, Some(etag.as_str()), "")
    );
    let other = common::get_with(
        &format!("{url}&level=county"),
        &[("If-None-Match", &etag)],
        "etag",
    );
    assert_eq!(other.0, 200, "another URL has another ETag");
    assert_ne!(other.1.as_deref(), Some(etag.as_str()));
    let (status, error_tag, _) =
        common::get_with(&format!("{base}/api/v1/stats?kind=x"), &[], "etag");
    assert_eq!(
        (status, error_tag),
        (400, None),
        "errors carry no ETag, so they are never revalidated"
    );

    // 只报一次 county table: the county rows under 浙江 equal the county statistic per kind.
    let table = get_json(&format!(
        "{base}/api/v1/reports/county-table?parent=330000&month={MONTH}"
    ));
    let kinds: Vec<&str> = table["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let dibao_col = kinds.iter().position(|k| *k == KIND).unwrap();
    let county_stats = get_json(&format!(
        "{base}/api/v1/stats?level=county&parent=330000&kind={KIND}&month={MONTH}"
    ));
    let table_rows = table["rows"].as_array().unwrap();
    assert_eq!(table_rows.len(), rows(&county_stats).len());
    for (t, s) in table_rows.iter().zip(rows(&county_stats)) {
        assert_eq!(t["code"], s["code"]);
        assert_eq!(t["counts"][dibao_col], s["count"], "{}", t["code"]);
    }
    let (status, xlsx) = common::get_bytes(&format!(
        "{base}/api/v1/reports/county-table?parent=330000&month={MONTH}&format=xlsx"
    ));
    assert_eq!(status, 200);
    assert_eq!(&xlsx[..2], b"PK", "an XLSX file is a zip archive");
    let (status, csv) = get(&format!(
        "{base}/api/v1/reports/county-table?month={MONTH}&format=csv"
    ));
    assert_eq!(status, 200);
    assert_eq!(
        csv.lines().count(),
        1 + leaves as usize,
        "one row per county-level unit"
    );

    // County coverage: demand is the county's 特困 in force on the date; wider radius never
    // covers less; deserts and suggested sites are consistent with the radius.
    let last_day = "2026-10-31";
    let busiest = rows(&get_json(&format!(
        "{base}/api/v1/stats?level=county&parent=330100&kind=tekun"
    )))
    .iter()
    .max_by_key(|r| r["count"].as_u64().unwrap())
    .map(|r| {
        (
            r["code"].as_str().unwrap().to_string(),
            r["count"].as_u64().unwrap(),
        )
    })
    .unwrap();
    let cov = |radius: f64| {
        get_json(&format!(
            "{base}/api/v1/coverage/{}?radius_km={radius}&date={last_day}",
            busiest.0
        ))
    };
    let (near, far) = (cov(2.0), cov(50.0));
    assert_eq!(
        near["summary"]["demand"].as_u64().unwrap(),
        busiest.1,
        "demand = the county's 特困 count"
    );
    let share = |v: &Value, k: &str| v["summary"][k].as_f64().unwrap();
    assert!(share(&near, "radius_coverage") <= share(&far, "radius_coverage"));
    for v in [&near, &far] {
        for k in ["radius_coverage", "capacity_coverage", "no_access_share"] {
            assert!((0.0..=1.0).contains(&share(v, k)), "{k}: {v}");
        }
    }
    let deserts = get_json(&format!(
        "{base}/api/v1/coverage/{}/deserts?radius_km=2&min_demand=1",
        busiest.0
    ));
    for f in deserts["features"].as_array().unwrap() {
        assert!(f["properties"]["demand"].as_f64().unwrap() >= 1.0);
        assert!(
            f["properties"]["nearest_km"]
                .as_f64()
                .is_none_or(|d| d > 2.0),
            "{f}"
        );
        assert_eq!(
            f["geometry"]["coordinates"][0].as_array().unwrap().len(),
            7,
            "a closed hexagon"
        );
    }
    assert!(!near["cells"].as_array().unwrap().is_empty());
    let cell_demand: u64 = near["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["demand"].as_u64().unwrap())
        .sum();
    assert_eq!(cell_demand, busiest.1, "cells hold all the demand");
    let over = get_json(&format!(
        "{base}/api/v1/coverage?parent=330100&radius_km=2&date={last_day}"
    ));
    let row = over["counties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == busiest.0.as_str())
        .unwrap();
    assert_eq!(
        row["summary"], near["summary"],
        "the county's row equals its own summary"
    );
    let plan = get_json(&format!(
        "{base}/api/v1/coverage/{}/suggest?radius_km=2&k=3",
        busiest.0
    ));
    // User-proposed sites: the plan picks among them only.
    let first = &plan["plan"]["chosen"][0];
    let proposed = format!("{},{};121.0,31.0", first["lon"], first["lat"]);
    let own = get_json(&format!(
        "{base}/api/v1/coverage/{}/suggest?radius_km=2&k=1&candidates={proposed}",
        busiest.0
    ));
    for site in own["plan"]["chosen"].as_array().unwrap() {
        let lon = site["lon"].as_f64().unwrap();
        assert!(
            lon == first["lon"].as_f64().unwrap() || lon == 121.0,
            "{site}"
        );
    }
    let gains: Vec<f64> = plan["plan"]["chosen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["gain"].as_f64().unwrap())
        .collect();
    assert!(
        gains.len() <= 3 && gains.windows(2).all(|w| w[0] >= w[1]),
        "{gains:?}"
    );
    assert!(
        plan["plan"]["share_after"].as_f64().unwrap()
            >= plan["plan"]["share_before"].as_f64().unwrap()
    );

    let meta = get_json(&format!("{base}/api/v1/meta"));
    assert_eq!(meta["kinds"].as_array().unwrap().len(), 12);
    assert_eq!(meta["months"]["last"], "2026-10");

    // Bad input: a clear 4xx naming the parameter, never a 500, and the server stays up.
    let bad: &[(&str, u16, Option<&str>)] = &[
        ("/api/v1/stats?level=state", 400, Some("level")),
        ("/api/v1/stats?level=", 200, None),
        ("/api/v1/stats?kind=pension", 400, Some("kind")),
        ("/api/v1/stats?kind=DIBAO", 400, Some("kind")),
        ("/api/v1/stats?month=2025-13", 400, Some("month")),
        ("/api/v1/stats?month=2025-6", 400, Some("month")),
        ("/api/v1/stats?month=june", 400, Some("month")),
        ("/api/v1/stats?month=2025-06-01", 400, Some("month")),
        ("/api/v1/stats?parent=999999", 400, Some("parent")),
        ("/api/v1/stats?parent=110199", 404, Some("parent")),
        ("/api/v1/stats?parent=11010", 400, Some("parent")),
        (
            "/api/v1/stats?parent=110000%27%20OR%201=1--",
            400,
            Some("parent"),
        ),
        (
            "/api/v1/stats?kind=dibao%27;DROP%20TABLE%20service_objects;--",
            400,
            Some("kind"),
        ),
        (
            "/api/v1/stats?level=province&level=county",
            400,
            Some("level"),
        ),
        ("/api/v1/stats?lvl=province", 400, Some("lvl")),
        ("/api/v1/stats?kind=%FF%FE", 400, Some("kind")),
        ("/api/v1/divisions?level=town", 400, Some("level")),
        ("/api/v1/divisions?parent=abcdef", 400, Some("parent")),
        ("/api/v1/boundaries?tolerance=-1", 400, Some("tolerance")),
        ("/api/v1/boundaries?tolerance=NaN", 400, Some("tolerance")),
        ("/api/v1/boundaries?tolerance=1e309", 400, Some("tolerance")),
        ("/api/v1/nothing", 404, None),
        ("/api/v1/stats?format=xml", 400, Some("format")),
        ("/api/v1/stats?month=1999-01", 400, Some("month")),
        ("/api/v1/stats?month=2030-01", 400, Some("month")),
        ("/api/v1/stats/top?measure=max", 400, Some("measure")),
        ("/api/v1/stats/top?order=up", 400, Some("order")),
        ("/api/v1/stats/top?n=0", 400, Some("n")),
        ("/api/v1/stats/top?n=1.5", 400, Some("n")),
        ("/api/v1/stats/top?n=100000", 400, Some("n")),
        ("/api/v1/stats/top?n=-3", 400, Some("n")),
        (
            "/api/v1/stats/series?from=2026-01&to=2025-01",
            400,
            Some("from"),
        ),
        (
            "/api/v1/stats/series?code=330000&from=2020-01",
            400,
            Some("from"),
        ),
        ("/api/v1/stats/series?code=33", 400, Some("code")),
        (
            "/api/v1/stats/series?code=330000&kind=dibao&limit=5",
            400,
            Some("limit"),
        ),
        ("/api/v1/divisions/abc", 400, Some("code")),
        ("/api/v1/divisions/110199", 404, Some("code")),
        ("/api/v1/divisions/110101?x=1", 400, Some("x")),
        (
            "/api/v1/divisions/110101/boundary?zoom=30",
            400,
            Some("zoom"),
        ),
        (
            "/api/v1/divisions/110101/boundary?zoom=5&tolerance=0.1",
            400,
            Some("zoom"),
        ),
        ("/api/v1/meta?x=1", 400, Some("x")),
        ("/api/v1/coverage/330000", 400, Some("code")),
        ("/api/v1/coverage", 400, Some("parent")),
        (
            "/api/v1/coverage/330106/suggest?candidates=120,30;abc",
            400,
            Some("candidates"),
        ),
        (
            "/api/v1/coverage/330106/suggest?candidates=;",
            400,
            Some("candidates"),
        ),
        ("/api/v1/coverage?parent=330106", 400, Some("parent")),
        ("/api/v1/coverage/330106?kinds=foo", 400, Some("kinds")),
        (
            "/api/v1/coverage/330106?kinds=elderly_care",
            400,
            Some("kinds"),
        ),
        (
            "/api/v1/coverage/330106?facility_kind=dibao",
            400,
            Some("facility_kind"),
        ),
        (
            "/api/v1/coverage/330106?radius_km=0",
            400,
            Some("radius_km"),
        ),
        (
            "/api/v1/coverage/330106?radius_km=1000",
            400,
            Some("radius_km"),
        ),
        ("/api/v1/coverage/330106/suggest?k=0", 400, Some("k")),
        (
            "/api/v1/coverage/330106/deserts?min_demand=-1",
            400,
            Some("min_demand"),
        ),
        ("/api/v1/coverage/339999", 404, Some("code")),
        (
            "/api/v1/reports/county-table?format=pdf",
            400,
            Some("format"),
        ),
        (
            "/api/v1/reports/county-table?parent=999",
            400,
            Some("parent"),
        ),
        ("/api/v1/objects?kind=elderly_care", 400, Some("kind")),
        ("/api/v1/objects?status=closed", 400, Some("status")),
        (
            "/api/v1/stats?month=2025-06&date=2025-06-15",
            400,
            Some("date"),
        ),
        ("/api/v1/stats?date=2019-06-15", 400, Some("date")),
        ("/api/v1/stats?kind=dibao,pension", 400, Some("kind")),
        ("/api/v1/objects?near=120,30", 400, Some("radius_km")),
        ("/api/v1/objects?radius_km=3", 400, Some("near")),
        ("/api/v1/objects?near=120&radius_km=3", 400, Some("near")),
        (
            "/api/v1/objects?near=120,30&radius_km=9999",
            400,
            Some("radius_km"),
        ),
        ("/api/v1/objects?bbox=1,2,3", 400, Some("bbox")),
        ("/api/v1/objects?bbox=121,31,120,30", 400, Some("bbox")),
        ("/api/v1/objects?limit=0", 400, Some("limit")),
        ("/api/v1/objects?limit=5000", 400, Some("limit")),
        ("/api/v1/objects?after=-1", 400, Some("after")),
        ("/api/v1/objects?date=2025-02-30", 400, Some("date")),
        ("/api/v1/objects?date=20250201", 400, Some("date")),
        ("/api/v1/facilities?kind=dibao", 400, Some("kind")),
        ("/api/v1/facilities?code=000000", 400, Some("code")),
        ("/api/v1/facilities/nearest?lat=30", 400, Some("lon")),
        (
            "/api/v1/facilities/nearest?lon=120&lat=95",
            400,
            Some("lat"),
        ),
        (
            "/api/v1/facilities/nearest?lon=120&lat=30&k=0",
            400,
            Some("k"),
        ),
        (
            "/api/v1/facilities/nearest?lon=120&lat=30&radius_km=-1",
            400,
            Some("radius_km"),
        ),
    ];
    for (path, status, param) in bad {
        let (got, body) = get(&format!("{base}{path}"));
        assert_eq!(got, *status, "{path}: {body}");
        if *status >= 400 {
            let json: Value =
                serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: not JSON: {body}"));
            assert!(
                json["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{path}: {body}"
            );
            if let Some(param) = param {
                assert_eq!(json["error"]["param"], *param, "{path}: {body}");
            }
        }
    }
    let long = format!("{base}/api/v1/stats?kind={}", "a".repeat(5000));
    let (status, body) = get(&long);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too_large"));
    // A declared 2 MiB body is refused from its headers alone, before any byte of it is read.
    let status_line = {
        use std::io::{Read, Write};
        let addr = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(stream, "POST /api/v1/stats HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", server.token, 2 << 20).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.lines().next().unwrap_or_default().to_string()
    };
    assert!(status_line.contains(" 413 "), "{status_line}");
    assert!(server.is_running(), "server survived bad input");
    assert_eq!(get_json(&format!("{base}/health"))["status"], "ok");
}

#[test]
fn assign_reports_bad_rows_with_line_numbers_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("points.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(
        &input,
        "id,lon,lat\n1,116.4,39.9\n2,abc,39.9\n3,116.4\n4,116.4,95\n",
    )
    .unwrap();
    let result = std::process::Command::new(common::binary())
        .args(["assign", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    for expected in ["3 bad rows", "line 3", "line 4", "line 5"] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    assert!(!output.exists(), "nothing written on a bad batch");
    assert!(
        !dir.path().join("out.csv.partial").exists(),
        "the partial output is removed"
    );

    std::fs::write(
        &input,
        "id,lon,lat\n1,116.397,39.909\n2,121.47,31.23\n3,160.0,10.0\n",
    )
    .unwrap();
    run_ok(&[
        "assign",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    let out = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "id,lon,lat,county_code,h3");
    assert!(
        lines[1].contains(",110101,") || lines[1].contains(",110102,"),
        "天安门 is in 东城/西城: {}",
        lines[1]
    );
    assert!(lines[2].contains(",3101"), "上海 city centre: {}", lines[2]);
    assert!(
        lines[3].contains("160.0,10.0,,"),
        "Pacific point unassigned: {}",
        lines[3]
    );
}
