//! Data governance through the real server: uploads over HTTP (raw body and multipart),
//! declarations and reconciliation (部省对账), reference lists and comparisons (数据比对), and
//! quality counts — every figure the API gives cross-checked against an independent SQL
//! query (and, for checksums, an independent sum) over the same DuckDB file.

mod common;

use chrono::NaiveDate;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shikong::domain::identity::make_id_number;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Command;

const RECORDS: u64 = 30_000;
const ZJ_POINT: &str = "330106,120.13,30.26";
const BJ_POINT: &str = "110101,116.41,39.92";

/// The `i`-th test person: born in the 1930s, outside the synthetic data's ID pool.
fn person(i: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap() + chrono::Days::new(u64::from(i));
    make_id_number(330106, birth, 999)
}

fn csv(header: &str, rows: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut out = format!("{header}\n");
    for r in rows {
        out.push_str(&r);
        out.push('\n');
    }
    out.into_bytes()
}

const DIBAO: &str =
    "division_code,lon,lat,valid_from,valid_to,id_number,area,household_size,monthly_amount";
const TEKUN: &str = "division_code,lon,lat,valid_from,valid_to,id_number,care";

fn json(status_body: (u16, String), want: u16, what: &str) -> Value {
    let (status, body) = status_body;
    assert_eq!(status, want, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
}

/// What one reconciliation line must hold: rows, distinct identities, checksum, rows whose
/// identity is also under another province.
type Expected = (u64, BTreeSet<String>, u64, u64);

/// Day bounds of a month: (first day, last day, first day of the next month).
fn window(month: &str) -> (String, String, String) {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let next = first + chrono::Months::new(1);
    let last = next.pred_opt().unwrap();
    (first.to_string(), last.to_string(), next.to_string())
}

#[test]
fn governance_results_equal_independent_sql() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::Server::start(&data, RECORDS);
    let api = format!("{}/api/v1", server.base);
    let month = common::get_json(&format!("{api}/meta"))["months"]["last"]
        .as_str()
        .unwrap()
        .to_string();
    let records_before = common::get_json(&format!("{}/api/v1/meta", server.base))["records"]
        .as_u64()
        .unwrap();

    // --- Uploads over HTTP -------------------------------------------------------------
    let dibao_zj = csv(
        DIBAO,
        (0..300).map(|i| format!("{ZJ_POINT},2025-01-01,,{},urban,2,800", person(i))),
    );
    let dibao_bj = csv(
        DIBAO,
        (290..310).map(|i| format!("{BJ_POINT},2025-01-01,,{},urban,1,900", person(i))),
    );
    let tekun = csv(
        TEKUN,
        (0..40)
            .chain(400..420)
            .map(|i| format!("{ZJ_POINT},2025-03-01,,{},dispersed", person(i))),
    );
    let slice = |kind: &str, province: &str| {
        format!("{api}/batches?kind={kind}&province={province}&month={month}")
    };
    // Uploads to the 浙江 低保 slice with more query parameters.
    let zj_dibao = |query: &str, body: &[u8], status: u16, what: &str| {
        let url = format!("{}{query}", slice("dibao", "330000"));
        json(common::post(&url, "text/csv", body), status, what)
    };
    // Check only (预检): every row validated, nothing stored, the real upload still lands.
    let checked = zj_dibao("&check=true", &dibao_zj, 200, "dibao 330000 check");
    assert_eq!(checked["batch"]["status"], "checked", "{checked}");
    assert_eq!(checked["batch"]["rows_accepted"], 300);
    // Windows browsers label every `.csv` `application/vnd.ms-excel`: still read as CSV.
    let labelled = json(
        common::post(
            &format!("{}&check=true", slice("dibao", "330000")),
            "application/vnd.ms-excel",
            &dibao_zj,
        ),
        200,
        "csv labelled as Excel",
    );
    assert_eq!(labelled["batch"]["format"], "csv", "{labelled}");
    assert_eq!(labelled["batch"]["rows_accepted"], 300);
    zj_dibao(
        "&check=true&replace=true",
        &dibao_zj,
        400,
        "check with replace",
    );
    zj_dibao("&check=yes", &dibao_zj, 400, "check=yes");
    let up = json(
        common::post(&slice("dibao", "330000"), "text/csv", &dibao_zj),
        201,
        "dibao 330000",
    );
    assert_eq!(up["batch"]["rows_accepted"], 300);
    json(
        common::post(&slice("dibao", "110000"), "text/csv", &dibao_bj),
        201,
        "dibao 110000",
    );
    // The same file again is loaded once.
    let again = json(
        common::post(&slice("dibao", "110000"), "text/csv", &dibao_bj),
        200,
        "dibao 110000 again",
    );
    assert!(again["duplicate_of"].is_u64(), "{again}");
    // An HTML form's upload (multipart), its file name kept in the ledger.
    let form = json(
        common::post_form_file(&slice("tekun", "330000"), "特困-2026.csv", &tekun),
        201,
        "tekun multipart",
    );
    assert_eq!(form["batch"]["file_name"], "特困-2026.csv");
    assert_eq!(form["batch"]["rows_accepted"], 60);
    // A batch with one bad check digit (line 4) lands nothing and says where.
    let mut bad_id = person(500);
    let last = bad_id.pop().unwrap();
    bad_id.push(if last == '0' { '1' } else { '0' });
    let bad = csv(
        DIBAO,
        (500..505).map(|i| {
            let id = if i == 502 { bad_id.clone() } else { person(i) };
            format!("{ZJ_POINT},2025-01-01,,{id},urban,2,800")
        }),
    );
    let rejected = json(
        common::post(&slice("dibao", "330000"), "text/csv", &bad),
        422,
        "bad batch",
    );
    let batch = rejected["batch"]["batch_id"].as_u64().unwrap();
    let problem_lines = |batch: u64| -> Vec<(u64, String)> {
        let problems = common::get_json(&format!("{api}/batches/{batch}/problems"));
        problems["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["line"].as_u64().unwrap(),
                    p["code"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(problem_lines(batch), [(4, "ID_CHECK_DIGIT".to_string())]);
    // Its check gives the same report.
    let checked = zj_dibao("&check=true", &bad, 422, "bad batch check");
    assert_eq!(checked["batch"]["status"], "checked", "{checked}");
    let checked = checked["batch"]["batch_id"].as_u64().unwrap();
    assert_eq!(problem_lines(checked), problem_lines(batch));
    let problems = common::get_json(&format!("{api}/batches/{batch}/problems"));
    assert!(
        !problems.to_string().contains(&bad_id),
        "raw ID in the report"
    );
    // Empty bodies and forms without a file are refused before any work.
    assert_eq!(
        common::post(&slice("dibao", "330000"), "text/csv", b"").0,
        400
    );
    let (status, body) = common::post(
        &slice("dibao", "330000"),
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--x--\r\n",
    );
    assert_eq!(status, 400, "{body}");
    // Marriages of March 2020: the only rows of that month, so their checksum is known.
    let marriages = csv(
        "division_code,lon,lat,valid_from,valid_to,id_number,type,cross_province",
        (0..50).map(|i| {
            let birth = NaiveDate::from_ymd_opt(1985, 1, 1).unwrap() + chrono::Days::new(i);
            let id = make_id_number(330106, birth, 998);
            format!("{ZJ_POINT},2020-03-{:02},,{id},marriage,false", 1 + i % 28)
        }),
    );
    json(
        common::post(
            &format!("{api}/batches?kind=marriage"),
            "text/csv",
            &marriages,
        ),
        201,
        "marriages",
    );
    let health = common::get_json(&format!("{}/api/v1/meta", server.base));
    assert_eq!(
        health["records"].as_u64().unwrap(),
        records_before + 300 + 20 + 60 + 50
    );

    // --- 部省对账 ----------------------------------------------------------------------
    let file = dir.path().join("marriages.csv");
    std::fs::write(&file, &marriages).unwrap();
    let output = Command::new(common::binary())
        .arg("--data-dir")
        .arg(&data)
        .args(["checksum", "--kind", "marriage"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let declared: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(declared["rows"], 50);
    let checksum = declared["checksum"].as_str().unwrap().to_string();
    let declarations = serde_json::json!([
        {"province": "330000", "kind": "marriage", "month": "2020-03", "declared": 50, "checksum": checksum},
        {"province": "110000", "kind": "marriage", "month": "2020-03", "declared": 7},
        {"province": "330000", "kind": "dibao", "month": month, "declared": 1},
        {"province": "110000", "kind": "dibao", "month": month, "declared": 1_000_000, "checksum": "00000000000000ff"},
    ]);
    json(
        common::post(
            &format!("{api}/declarations"),
            "application/json",
            declarations.to_string().as_bytes(),
        ),
        201,
        "declarations",
    );
    // A bad declaration names itself and stores nothing of its request.
    let (status, body) = common::post(
        &format!("{api}/declarations"),
        "application/json",
        br#"[{"province":"330000","kind":"tekun","month":"2026-01","declared":3},{"province":"330100","kind":"tekun","month":"2026-01","declared":3}]"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("body[1].province"), "{body}");
    let stored = common::get_json(&format!("{api}/declarations"));
    assert_eq!(stored["declarations"].as_array().unwrap().len(), 4);

    let march = common::get_json(&format!("{api}/reconciliation?month=2020-03&kind=marriage"));
    let line = |r: &Value, province: u64, kind: &str| -> Value {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["province_code"] == province && row["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no line {province} {kind}: {r}"))
    };
    let zj = line(&march, 330000, "marriage");
    assert_eq!(zj["status"], "matched", "{zj}");
    assert_eq!(zj["checksum_match"], true);
    assert_eq!(zj["received"], 50);
    let bj = line(&march, 110000, "marriage");
    assert_eq!(
        (bj["status"].as_str(), bj["missing"].as_u64()),
        (Some("missing"), Some(7))
    );
    let now = common::get_json(&format!("{api}/reconciliation?month={month}"));
    assert_eq!(line(&now, 330000, "dibao")["status"], "extra");
    assert_eq!(line(&now, 110000, "dibao")["status"], "missing");
    assert!(
        line(&now, 330000, "dibao")["in_other_provinces"]
            .as_u64()
            .unwrap()
            >= 10
    );
    let (status, csv_text) = common::get(&format!("{api}/reconciliation?month={month}&format=csv"));
    assert_eq!(status, 200);
    assert!(
        csv_text.contains("状态 status") && csv_text.contains(",extra"),
        "{csv_text}"
    );

    // --- Reference list and 数据比对 ------------------------------------------------------
    let deaths_bad = csv("身份证号,日期", [format!("{},2025-02-30", person(0))]);
    let rejected = json(
        common::post(
            &format!("{api}/reference-lists?name=death"),
            "text/csv",
            &deaths_bad,
        ),
        422,
        "bad list",
    );
    assert_eq!(rejected["problems"][0]["line"], 2);
    assert_eq!(rejected["problems"][0]["code"], "DATE_INVALID");
    let deaths = csv(
        "身份证号,日期",
        (0..5).map(|i| format!("{},2025-06-01", person(i))),
    );
    let list = json(
        common::post(
            &format!("{api}/reference-lists?name=death"),
            "text/csv",
            &deaths,
        ),
        201,
        "list",
    );
    let list_id = list["list"]["list_id"].as_u64().unwrap();
    json(
        common::post(
            &format!("{api}/reference-lists?name=death"),
            "text/csv",
            &deaths,
        ),
        200,
        "list again",
    );
    let dead = common::get_json(&format!(
        "{api}/compare?check=reference&list={list_id}&kind=dibao"
    ));
    assert_eq!(dead["total"], 5, "{dead}");
    let dead_all = common::get_json(&format!(
        "{api}/compare?check=reference&list={list_id}&limit=1000"
    ));
    assert_eq!(dead_all["total"], 10, "dibao and tekun: {dead_all}");
    let text = dead_all.to_string();
    for i in 0..5 {
        assert!(!text.contains(&person(i)), "raw ID in a comparison");
    }
    assert!(dead_all["rows"][0]["person_masked"]
        .as_str()
        .unwrap()
        .contains("**********"));
    let overlap = common::get_json(&format!(
        "{api}/compare?check=overlap&kind=dibao&other=tekun&limit=1000"
    ));
    assert!(overlap["total"].as_u64().unwrap() >= 40, "{overlap}");
    let duplicates = common::get_json(&format!(
        "{api}/compare?check=duplicate&kind=dibao&limit=1000"
    ));
    assert!(duplicates["scope"]["other_province"].as_u64().unwrap() >= 20);
    let county_dups = common::get_json(&format!(
        "{api}/compare?check=duplicate&kind=dibao&level=county&parent=330100&limit=1000"
    ));
    // Bad requests are 400/404, not 500.
    for (url, want) in [
        (format!("{api}/compare?check=reference"), 400),
        (format!("{api}/compare?check=reference&list=999"), 404),
        (format!("{api}/compare?check=maybe"), 400),
        (format!("{api}/compare?kind=elderly_care"), 400),
        (format!("{api}/quality?level=town"), 400),
        (format!("{api}/quality/trend?months=99"), 400),
        (format!("{api}/reconciliation?month=2026-13"), 400),
    ] {
        assert_eq!(common::get(&url).0, want, "{url}");
    }

    // --- 数据质量 ------------------------------------------------------------------------
    let quality = common::get_json(&format!(
        "{api}/quality?level=county&parent=330100&kind=dibao"
    ));
    let xihu = quality["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == 330106)
        .cloned()
        .expect("西湖区 dibao");
    // The month's batches delivered 300 + 5 rows declared in 西湖区; one had an error.
    assert_eq!(xihu["counts"]["rows_total"], 305, "{xihu}");
    assert_eq!(xihu["counts"]["rows_rejected"], 1);
    let trend = common::get_json(&format!(
        "{api}/quality/trend?code=330106&kind=dibao&months=3"
    ));
    let points = trend["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points[2]["month"], month.as_str());
    assert_eq!(points[2]["records"], xihu["counts"]["records"]);
    assert_eq!(points[2]["validity"], xihu["validity"]);
    drop(server);

    // --- The same figures, independently, from the database file ------------------------
    let conn = duckdb::Connection::open(data.join("shikong.duckdb")).unwrap();
    let (first, last, next) = window(&month);
    // Every record in force on the month's last day (events: dated in the month), with its
    // declaring province and identity.
    let in_month = |first: &str,
                    last: &str,
                    next: &str|
     -> Vec<(String, String, Option<String>, u32)> {
        let sql = format!(
            "SELECT kind, substr(lpad(declared_code::VARCHAR, 6, '0'), 1, 2) || '0000', person_hash, credit_code, declared_code \
             FROM (SELECT kind, declared_code, valid_from, valid_to, person_hash, credit_code FROM service_objects \
                   UNION ALL SELECT kind, declared_code, valid_from, valid_to, NULL, credit_code FROM facilities) \
             WHERE (kind = 'marriage' AND valid_from BETWEEN DATE '{first}' AND DATE '{next}' - 1) \
                OR (kind <> 'marriage' AND valid_from <= DATE '{last}' AND coalesce(valid_to, DATE '9999-01-01') > DATE '{last}')"
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        stmt.query_map([], |r| {
            let person: Option<String> = r.get(2)?;
            let credit: Option<String> = r.get(3)?;
            let identity =
                person.or_else(|| credit.map(|c| hex::encode(Sha256::digest(c.as_bytes()))));
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                identity,
                r.get::<_, u32>(4)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    for (api_result, (first, last, next)) in [
        (&now, (first.clone(), last.clone(), next.clone())),
        (&march, window("2020-03")),
    ] {
        let rows = in_month(&first, &last, &next);
        let mut provinces: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
        for (kind, province, identity, _) in &rows {
            if let Some(id) = identity {
                provinces
                    .entry((kind.clone(), id.clone()))
                    .or_default()
                    .insert(province.clone());
            }
        }
        // (received, distinct, checksum, in other provinces) per (province, kind).
        let mut want: BTreeMap<(u64, String), Expected> = BTreeMap::new();
        for (kind, province, identity, _) in &rows {
            let entry = want
                .entry((province.parse().unwrap(), kind.clone()))
                .or_insert_with(|| (0, BTreeSet::new(), 0, 0));
            entry.0 += 1;
            if let Some(id) = identity {
                entry.1.insert(id.clone());
                entry.2 = entry
                    .2
                    .wrapping_add(u64::from_str_radix(&id[..16], 16).unwrap());
                if provinces[&(kind.clone(), id.clone())].len() > 1 {
                    entry.3 += 1;
                }
            }
        }
        let kind_filter = api_result["kind"].as_str();
        let mut compared = 0;
        for ((province, kind), (received, ids, sum, other)) in &want {
            if kind_filter.is_some_and(|k| k != kind) {
                continue;
            }
            let got = line(api_result, *province, kind);
            assert_eq!(got["received"].as_u64(), Some(*received), "{got}");
            assert_eq!(
                got["duplicates"].as_u64(),
                Some(*received - ids.len() as u64),
                "{got}"
            );
            assert_eq!(
                got["checksum_received"].as_str(),
                Some(format!("{sum:016x}").as_str()),
                "{got}"
            );
            assert_eq!(got["in_other_provinces"].as_u64(), Some(*other), "{got}");
            compared += 1;
        }
        let lines_with_rows = api_result["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["received"].as_u64() > Some(0))
            .count();
        assert_eq!(compared, lines_with_rows, "the API has lines SQL has not");
        assert!(compared > 0);
    }

    // Comparisons: each record that has a partner, found with EXISTS instead of a join.
    let matched = |sql: &str| -> BTreeMap<u32, u64> {
        let mut stmt = conn.prepare(sql).unwrap();
        let mut counts = BTreeMap::new();
        for code in stmt.query_map([], |r| r.get::<_, u32>(0)).unwrap() {
            *counts.entry(code.unwrap()).or_insert(0) += 1;
        }
        counts
    };
    let in_force = |alias: &str| {
        format!("{alias}.valid_from <= DATE '{last}' AND ({alias}.valid_to IS NULL OR {alias}.valid_to > DATE '{last}')")
    };
    let by_province = |v: &Value| -> BTreeMap<u32, u64> {
        v["by_division"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_u64().unwrap() as u32,
                    d["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let province_of = |counts: BTreeMap<u32, u64>| -> BTreeMap<u32, u64> {
        let mut out = BTreeMap::new();
        for (code, n) in counts {
            *out.entry(code / 10_000 * 10_000).or_insert(0) += n;
        }
        out
    };
    let overlap_sql = matched(&format!(
        "SELECT a.declared_code FROM service_objects a WHERE a.kind = 'dibao' AND {} AND EXISTS \
         (SELECT 1 FROM service_objects b WHERE b.kind = 'tekun' AND b.person_hash = a.person_hash AND {})",
        in_force("a"),
        in_force("b")
    ));
    assert_eq!(by_province(&overlap), province_of(overlap_sql.clone()));
    assert_eq!(
        overlap["total"].as_u64().unwrap(),
        overlap_sql.values().sum::<u64>()
    );
    let duplicate_sql = matched(&format!(
        "SELECT a.declared_code FROM service_objects a WHERE a.kind = 'dibao' AND {} AND EXISTS \
         (SELECT 1 FROM service_objects b WHERE b.kind = 'dibao' AND b.id <> a.id AND b.person_hash = a.person_hash AND {})",
        in_force("a"),
        in_force("b")
    ));
    assert_eq!(by_province(&duplicates), province_of(duplicate_sql.clone()));
    let hangzhou: BTreeMap<u32, u64> = duplicate_sql
        .iter()
        .filter(|(c, _)| **c / 100 == 3301)
        .map(|(c, n)| (*c, *n))
        .collect();
    assert_eq!(by_province(&county_dups), hangzhou);
    let dead_sql = matched(&format!(
        "SELECT o.declared_code FROM service_objects o WHERE o.kind IN ('dibao', 'tekun') AND {} AND EXISTS \
         (SELECT 1 FROM reference_lists l WHERE l.list_id = {list_id} AND l.person_hash = o.person_hash AND l.event_date < DATE '{last}')",
        in_force("o")
    ));
    assert_eq!(dead_sql.values().sum::<u64>(), 10);
    assert_eq!(by_province(&dead_all), province_of(dead_sql));

    // Quality counts of 西湖区 dibao: records, shared identities, points in the county.
    let (records, shared, agreeing): (u64, u64, u64) = conn
        .query_row(
            &format!(
                "SELECT count(*), \
                        count(*) FILTER (WHERE (SELECT count(*) FROM service_objects b WHERE b.kind = 'dibao' AND b.person_hash = a.person_hash AND {}) > 1), \
                        count(*) FILTER (WHERE a.county_code = a.declared_code) \
                 FROM service_objects a WHERE a.kind = 'dibao' AND a.declared_code = 330106 AND {}",
                in_force("b"),
                in_force("a")
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(xihu["counts"]["records"].as_u64(), Some(records));
    assert_eq!(xihu["counts"]["shared"].as_u64(), Some(shared));
    assert_eq!(xihu["counts"]["agreeing"].as_u64(), Some(agreeing));
    assert!(shared >= 10, "people 290..299 are also in Beijing");
}
