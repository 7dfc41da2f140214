//! As-of semantics on hand-built records with known intervals: a record counts in a month
//! when valid_from <= last day < valid_to (valid_to exclusive); events count in the month of
//! their date. Start, end and boundary days are all exercised, through the real server.

mod common;

use chrono::NaiveDate;
use common::{get_json, Server};
use shikong::bootstrap::{division_rows, SYNTHETIC_BATCH};
use shikong::datasets;
use shikong::domain::{Kind, ServiceObject};
use shikong::store::{Store, SCHEMA_VERSION};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn record(id: u64, kind: Kind, from: &str, to: Option<&str>) -> ServiceObject {
    ServiceObject {
        id,
        kind,
        // 东城区, Beijing.
        lon: 116.4166,
        lat: 39.9288,
        declared_code: 110_101,
        county_code: Some(110_101),
        h3: None,
        valid_from: day(from),
        valid_to: to.map(day),
        person_hash: None,
        person_masked: Some("1101**********0000".into()),
        credit_code: None,
        attrs: "{}".into(),
        batch_id: SYNTHETIC_BATCH,
    }
}

#[test]
fn month_figures_follow_validity_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let records = vec![
        record(1, Kind::Dibao, "2024-01-15", Some("2024-03-01")), // A: Jan, Feb
        record(2, Kind::Dibao, "2024-01-31", None), // B: Jan on (starts on a last day)
        record(3, Kind::Dibao, "2024-02-01", Some("2024-02-29")), // C: never at a month end
        record(4, Kind::Dibao, "2024-03-31", Some("2024-04-01")), // D: one day, Mar only
        record(5, Kind::Marriage, "2024-02-29", Some("2024-03-01")), // E: event in Feb
        record(6, Kind::Dibao, "2023-12-31", Some("2024-01-31")), // F: Dec only (ends on a last day)
    ];
    {
        let store = Store::open(&data.join("shikong.duckdb")).unwrap();
        let boundaries = datasets::load_embedded().unwrap();
        store.write_kinds().unwrap();
        store
            .write_divisions(&boundaries.registry, &division_rows(&boundaries))
            .unwrap();
        let mut loader = store.begin_load().unwrap();
        loader.append_objects(&records).unwrap();
        loader
            .commit(SYNTHETIC_BATCH, "hand-built", "as-of test", None)
            .unwrap();
        for (key, value) in [
            ("schema_version", SCHEMA_VERSION),
            ("records", "6"),
            ("seed", "1"),
            ("first_month", "2023-12"),
            ("last_month", "2024-04"),
            ("data_version", "as-of-test"),
            ("initialized", "1"),
        ] {
            store.set_meta(key, value).unwrap();
        }
        store.checkpoint().unwrap();
    }
    let key = dir.path().join("hmac.key");
    std::fs::write(&key, "00112233445566778899aabbccddeeff").unwrap();
    let server = Server::start_with(
        &data,
        &[
            "--records",
            "6",
            "--seed",
            "1",
            "--hmac-key-file",
            key.to_str().unwrap(),
        ],
    );
    let base = &server.base;

    let county = |kind: &str, month: &str| {
        let body = get_json(&format!(
            "{base}/api/v1/stats?level=county&parent=110100&kind={kind}&month={month}"
        ));
        let row = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "110101")
            .unwrap()
            .clone();
        (
            row["count"].as_u64().unwrap(),
            row["previous"].as_u64().unwrap(),
            row["entered"].as_u64().unwrap(),
            row["exited"].as_u64().unwrap(),
        )
    };
    // (count, previous, entered, exited)
    assert_eq!(
        county("dibao", "2023-12"),
        (1, 0, 1, 0),
        "F starts on Dec 31"
    );
    assert_eq!(
        county("dibao", "2024-01"),
        (2, 1, 2, 1),
        "A and B in, F out on Jan 31"
    );
    assert_eq!(
        county("dibao", "2024-02"),
        (2, 2, 1, 1),
        "C in and out within Feb"
    );
    assert_eq!(
        county("dibao", "2024-03"),
        (2, 2, 1, 1),
        "A out on Mar 1, D in on Mar 31"
    );
    assert_eq!(county("dibao", "2024-04"), (1, 2, 0, 1), "D out on Apr 1");
    assert_eq!(county("marriage", "2024-02").0, 1, "event dated Feb 29");
    assert_eq!(county("marriage", "2024-03").0, 0);
    // All kinds together: interval records at month end plus events in the month.
    assert_eq!(county("", "2024-02").0, 3);

    let series = get_json(&format!(
        "{base}/api/v1/stats/series?code=110101&kind=dibao"
    ));
    let counts: Vec<u64> = series["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 2, 2, 2, 1]);
    // The same figures at every level above.
    let province = get_json(&format!("{base}/api/v1/stats?kind=dibao&month=2024-03"));
    assert_eq!(province["total"], 2);
    // Objects in force on a boundary day: Jan 31 holds A and B but not F (its last day was Jan 30).
    let objects = get_json(&format!("{base}/api/v1/objects?date=2024-01-31&kind=dibao"));
    let ids: Vec<u64> = objects["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    let ended = get_json(&format!(
        "{base}/api/v1/objects?status=ended&date=2024-02-29&kind=dibao"
    ));
    let ids: Vec<u64> = ended["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [3, 6], "C ended on Feb 29 (its valid_to), F on Jan 31");
    let all = get_json(&format!("{base}/api/v1/objects?status=all&kind=dibao"));
    assert_eq!(all["count"], 5);
}
