//! Ingest through the real binary and server: a malformed-input corpus gives exactly the
//! expected problem reports and writes nothing; a batch killed mid-way leaves nothing; a
//! million-row file with one bad row lands nothing; uploads over HTTP reach the statistics.

mod common;

use shikong::domain::identity::make_id_number;
use shikong::store::Store;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const RECORDS: u64 = 20_000;

fn corpus() -> PathBuf {
    common::repo_root().join("tests/ingest/corpus")
}

/// Runs `shikong ingest`; returns (success, stdout JSON, stderr).
fn ingest(
    data: &Path,
    file: &Path,
    args: &[&str],
    report: &Path,
) -> (bool, serde_json::Value, String) {
    let output = Command::new(common::binary())
        .arg("--data-dir")
        .arg(data)
        .args(["ingest", "--records", &RECORDS.to_string()])
        .arg(file)
        .args(args)
        .arg("--report")
        .arg(report)
        .output()
        .expect("run shikong ingest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{file:?}: not JSON ({e}): {stdout}\n{stderr}"));
    (output.status.success(), json, stderr)
}

/// A fresh data directory with the default dataset built (`RECORDS` synthetic records).
fn initialized() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::run_ok(&[
        "--data-dir",
        data.to_str().unwrap(),
        "init",
        "--records",
        &RECORDS.to_string(),
    ]);
    (dir, data)
}

/// `(rows, committed batches)` in the database.
fn counts(data: &Path) -> (u64, u64) {
    let store = Store::open(&data.join("shikong.duckdb")).unwrap();
    let conn = store.connection().unwrap();
    let rows: u64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM service_objects) + (SELECT count(*) FROM facilities)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let batches: u64 = conn
        .query_row(
            "SELECT count(*) FROM batches WHERE status = 'committed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (rows, batches)
}

/// `line,field,code` rows of a problem report CSV.
fn report_rows(path: &Path) -> Vec<String> {
    if !path.exists() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            format!("{},{},{}", &r[0], &r[1], &r[3])
        })
        .collect()
}

#[test]
fn corpus_gives_the_expected_reports_and_rejected_files_write_nothing() {
    let (dir, data) = initialized();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expected" && e != "py"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "corpus has {} files", cases.len());
    for file in cases {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let expected = std::fs::read_to_string(file.with_extension("expected")).unwrap();
        let mut lines = expected.lines();
        let status = lines.next().unwrap();
        let want: Vec<String> = lines.map(str::to_string).collect();
        let kind = match name.as_str() {
            "orphan_age.csv" => "orphan",
            "facility.csv" => "elderly_care",
            _ => "dibao",
        };
        let before = counts(&data);
        // Check only (预检) first: the same report, nothing stored, exit status as the load's.
        let checked = dir.path().join(format!("{name}.checked.csv"));
        let (ok, json, stderr) = ingest(&data, &file, &["--kind", kind, "--check"], &checked);
        assert_eq!(
            json["batch"]["status"], "checked",
            "{name}: {json}\n{stderr}"
        );
        assert_eq!(
            ok,
            status == "committed",
            "{name}: check exit status\n{stderr}"
        );
        assert_eq!(report_rows(&checked), want, "{name}: check report");
        assert_eq!(
            counts(&data),
            before,
            "{name}: a check changed the database"
        );
        let report = dir.path().join(format!("{name}.problems.csv"));
        let (ok, json, stderr) = ingest(&data, &file, &["--kind", kind], &report);
        assert_eq!(json["batch"]["status"], status, "{name}: {json}\n{stderr}");
        assert_eq!(ok, status == "committed", "{name}: exit status\n{stderr}");
        assert_eq!(report_rows(&report), want, "{name}: problem report");
        if name == "blank_rows.csv" {
            assert_eq!(
                json["batch"]["rows_total"], 2,
                "blank rows are not rows: {json}"
            );
        }
        if name == "swapped.csv" {
            let text = std::fs::read_to_string(&report).unwrap();
            assert_eq!(
                text.matches("经纬度可能填反").count(),
                2,
                "both swapped rows say so: {text}"
            );
        }
        let after = counts(&data);
        if status == "committed" {
            assert_eq!(
                after.0,
                before.0 + json["batch"]["rows_accepted"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(after.1, before.1 + 1, "{name}");
        } else {
            assert_eq!(
                after, before,
                "{name}: a rejected file changed the database"
            );
            // The report names the file's line and a Chinese reason for every problem.
            if report.exists() {
                let text = std::fs::read_to_string(&report).unwrap();
                assert!(
                    text.starts_with('\u{feff}') && text.contains("问题说明"),
                    "{name}"
                );
            }
        }
    }
    // Re-uploading a committed file is idempotent.
    let before = counts(&data);
    let (ok, json, _) = ingest(
        &data,
        &corpus().join("valid.csv"),
        &["--kind", "dibao"],
        &dir.path().join("again.csv"),
    );
    assert!(ok);
    assert!(json["duplicate_of"].is_u64(), "{json}");
    assert_eq!(counts(&data), before);
    // Values of personal fields are masked in reports; raw numbers reach neither the report
    // nor the database.
    let report = std::fs::read_to_string(dir.path().join("check_digit.csv.problems.csv")).unwrap();
    assert!(report.contains("3301**********"), "{report}");
    let raw = std::fs::read_to_string(corpus().join("valid.csv")).unwrap();
    let first_id = raw
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(5)
        .unwrap()
        .to_string();
    drop(raw);
    let db = std::fs::read(data.join("shikong.duckdb")).unwrap();
    assert!(
        !db.windows(first_id.len()).any(|w| w == first_id.as_bytes()),
        "raw ID number stored"
    );
}

/// A CSV of `n` valid 低保 rows in 西湖区 (line `bad_line`, if any, has a wrong check digit).
fn big_csv(path: &Path, n: u64, bad_line: Option<u64>) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "division_code,lon,lat,valid_from,id_number,monthly_amount"
    )
    .unwrap();
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    for i in 0..n {
        let day = birth + chrono::Days::new(i / 1000);
        let mut id = make_id_number(330106, day, (i % 1000) as u16);
        if Some(i + 2) == bad_line {
            let last = id.pop().unwrap();
            id.push(if last == '0' { '1' } else { '0' });
        }
        let lon = 120.10 + (i % 100) as f64 * 0.0004;
        let lat = 30.24 + (i / 100 % 100) as f64 * 0.0003;
        writeln!(
            out,
            "330106,{lon:.5},{lat:.5},2025-01-01,{id},{}",
            500 + i % 400
        )
        .unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn a_million_rows_with_one_bad_row_land_nothing_and_a_killed_batch_leaves_nothing() {
    let (dir, data) = initialized();
    let before = counts(&data);

    // 10⁶ rows, one wrong check digit at line 777,777: exactly that row reported.
    let file = dir.path().join("million.csv");
    big_csv(&file, 1_000_000, Some(777_777));
    let report = dir.path().join("million.problems.csv");
    let (ok, json, stderr) = ingest(&data, &file, &["--kind", "dibao"], &report);
    assert!(!ok);
    assert_eq!(json["batch"]["rows_total"], 1_000_000, "{stderr}");
    assert_eq!(json["batch"]["rows_rejected"], 1);
    assert_eq!(
        report_rows(&report),
        vec!["777777,id_number,ID_CHECK_DIGIT".to_string()]
    );
    assert_eq!(counts(&data), before);
    eprintln!("10⁶ rows rejected in {} s", json["seconds"]);

    // SIGKILL after the first chunk was appended inside the batch's transaction.
    big_csv(&file, 1_000_000, None);
    let mut child = Command::new(common::binary())
        .arg("--data-dir")
        .arg(&data)
        .args([
            "ingest",
            "--records",
            &RECORDS.to_string(),
            "--kind",
            "dibao",
        ])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        seen.push(line.clone());
        if line.contains("rows validated") {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.contains("rows validated")),
        "{seen:?}"
    );
    // Restart: the server opens the database, the batch is marked interrupted, none of its
    // rows are there.
    let server = common::Server::start(&data, RECORDS);
    let health = common::get_json(&format!("{}/api/v1/meta", server.base));
    assert_eq!(health["records"], before.0, "{health}");
    let ledger = common::get_json(&format!("{}/api/v1/batches", server.base));
    let last = &ledger["batches"][0];
    assert_eq!(last["status"], "interrupted", "{ledger}");
    drop(server);
    assert_eq!(counts(&data), before);
    // The same file then lands whole.
    let (ok, json, stderr) = ingest(
        &data,
        &file,
        &["--kind", "dibao"],
        &dir.path().join("r.csv"),
    );
    assert!(ok, "{stderr}");
    assert_eq!(counts(&data).0, before.0 + 1_000_000);
    eprintln!("10⁶ rows committed in {} s", json["seconds"]);
}

/// An Excel workbook as clerks keep it: a title above the header, numbers and date cells,
/// a blank row; lines are Excel's row numbers, and an ID number typed as a number (which
/// Excel keeps to 15 digits) is an error, not a silently wrong person.
#[test]
fn xlsx_workbooks_are_read_like_csv() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let (dir, data) = initialized();
    let birth = chrono::NaiveDate::from_ymd_opt(1958, 8, 8).unwrap();
    let id = |i: u16| make_id_number(330106, birth, i);
    let book = |name: &str, id_as_number: bool| -> PathBuf {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let day = Format::new().set_num_format("yyyy-mm-dd");
        sheet
            .write_string(0, 0, "2025年1月西湖区城乡低保对象名册")
            .unwrap();
        for (col, header) in [
            "区划代码",
            "经度",
            "纬度",
            "开始日期",
            "身份证号*",
            "月保障金额",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(1, col as u16, *header).unwrap();
        }
        let row = |sheet: &mut rust_xlsxwriter::Worksheet, r: u32, i: u16, number: bool| {
            sheet.write_number(r, 0, 330106).unwrap();
            sheet.write_number(r, 1, 120.13).unwrap();
            sheet.write_number(r, 2, 30.26).unwrap();
            let date = ExcelDateTime::from_ymd(2025, 1, 5).unwrap();
            sheet.write_datetime_with_format(r, 3, &date, &day).unwrap();
            if number {
                sheet
                    .write_number(r, 4, id(i).parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(r, 4, id(i)).unwrap();
            }
            sheet.write_number(r, 5, 800).unwrap();
        };
        row(sheet, 2, 1, false);
        // Row 4 is left blank.
        row(sheet, 4, 3, id_as_number);
        let path = dir.path().join(name);
        workbook.save(&path).unwrap();
        path
    };
    let before = counts(&data);
    let numbers = book("numbers.xlsx", true);
    let report = dir.path().join("numbers.problems.csv");
    let (ok, json, stderr) = ingest(&data, &numbers, &["--kind", "dibao"], &report);
    assert!(!ok, "{stderr}");
    assert_eq!(json["batch"]["format"], "xlsx", "{json}");
    assert_eq!(json["batch"]["rows_total"], 2, "{json}");
    assert_eq!(report_rows(&report), ["5,id_number,ID_FORMAT"]);
    assert_eq!(counts(&data), before);

    let clean = book("clean.xlsx", false);
    let (ok, json, stderr) = ingest(&data, &clean, &["--kind", "dibao"], &report);
    assert!(ok, "{json} {stderr}");
    assert_eq!(json["batch"]["rows_accepted"], 2, "{json}");
    let store = Store::open(&data.join("shikong.duckdb")).unwrap();
    let landed = workbook_rows_landed(&store, &json);
    let stored: Vec<String> = store
        .connection()
        .unwrap()
        .prepare("SELECT concat_ws(' ', valid_from, declared_code, attrs) FROM service_objects WHERE batch_id = ?")
        .unwrap()
        .query_map([json["batch"]["batch_id"].as_u64().unwrap()], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(landed, 2, "{stored:?}");
}

/// Rows of the batch in `json` stored as the test workbooks hold them: 西湖区, from
/// 2025-01-05 (a date cell), 800 a month (a number cell).
fn workbook_rows_landed(store: &Store, json: &serde_json::Value) -> u64 {
    store
        .connection()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM service_objects WHERE batch_id = ? AND declared_code = 330106 \
             AND valid_from = DATE '2025-01-05' AND attrs = '{\"monthly_amount\":800.0}'",
            [json["batch"]["batch_id"].as_u64().unwrap()],
            |r| r.get(0),
        )
        .unwrap()
}

/// A legacy `.xls` workbook (BIFF8, what many offices still save), written by an independent
/// writer (PyPI xlwt): a title row, a date cell, numbers; read like `.xlsx`, lines are Excel's
/// row numbers, and a bad check digit rejects the file.
#[test]
fn legacy_xls_workbooks_are_read_like_xlsx() {
    let (dir, data) = initialized();
    let birth = chrono::NaiveDate::from_ymd_opt(1959, 9, 9).unwrap();
    let good = make_id_number(330106, birth, 1);
    let mut bad = make_id_number(330106, birth, 3);
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    const WRITE: &str = r#"
import sys, datetime, xlwt
path, ids = sys.argv[1], sys.argv[2:]
book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("低保")
sheet.write(0, 0, "2025年1月西湖区城乡低保对象名册")
for col, name in enumerate(["区划代码", "经度", "纬度", "开始日期", "身份证号", "月保障金额"]):
    sheet.write(1, col, name)
day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
for row, id_number in enumerate(ids, start=2):
    sheet.write(row, 0, 330106)
    sheet.write(row, 1, 120.13)
    sheet.write(row, 2, 30.26)
    sheet.write(row, 3, datetime.date(2025, 1, 5), day)
    sheet.write(row, 4, id_number)
    sheet.write(row, 5, 800)
book.save(path)
"#;
    let book = |name: &str, ids: &[&str]| -> PathBuf {
        let path = dir.path().join(name);
        let out = Command::new(common::python())
            .arg("-c")
            .arg(WRITE)
            .arg(&path)
            .args(ids)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let before = counts(&data);
    let report = dir.path().join("legacy.problems.csv");
    let rejected = book("rejected.xls", &[&good, &bad]);
    let (ok, json, stderr) = ingest(&data, &rejected, &["--kind", "dibao"], &report);
    assert!(!ok, "{stderr}");
    assert_eq!(json["batch"]["format"], "xls", "{json}");
    assert_eq!(json["batch"]["rows_total"], 2, "{json}");
    assert_eq!(report_rows(&report), ["4,id_number,ID_CHECK_DIGIT"]);
    assert_eq!(counts(&data), before);

    let clean = book("clean.xls", &[&good]);
    let (ok, json, stderr) = ingest(&data, &clean, &["--kind", "dibao"], &report);
    assert!(ok, "{json} {stderr}");
    let store = Store::open(&data.join("shikong.duckdb")).unwrap();
    let landed = workbook_rows_landed(&store, &json);
    assert_eq!(landed, 1, "{json}");
}

/// A province loads its history under the codes of then: the records land in today's
/// counties, the months open, and `boundaries=month` counts them by the divisions of their
/// month (宁河县 before it became 宁河区; 东城区 with 崇文区 before they merged).
#[test]
fn history_counts_by_the_divisions_of_its_month() {
    let (dir, data) = initialized();
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 3, 1).unwrap();
    let slice = |name: &str, rows: &[(u32, f64, f64)], from: &str| {
        let mut text = String::from(
            "division_code,lon,lat,valid_from,id_number,area,household_size,monthly_amount\n",
        );
        for (i, (code, lon, lat)) in rows.iter().enumerate() {
            let id = make_id_number(*code, birth, i as u16 * 2 + 1);
            text.push_str(&format!("{code},{lon},{lat},{from},{id},rural,2,600\n"));
        }
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // 宁河县 (120221) became 宁河区 (120117) on 2015-07-01.
    let ninghe = slice("ninghe.csv", &[(120221, 117.826, 39.329); 5], "2015-01-01");
    // 崇文区 (110103) merged into 东城区 (110101) on 2010-06-28.
    let mut dongcheng = vec![(110103, 116.4166, 39.9288); 3];
    dongcheng.extend([(110101, 116.4166, 39.9288); 2]);
    let dongcheng = slice("dongcheng.csv", &dongcheng, "2010-01-01");
    for (file, province, month) in [
        (&ninghe, "120000", "2015-06"),
        (&dongcheng, "110000", "2010-05"),
    ] {
        let (ok, json, stderr) = ingest(
            &data,
            file,
            &["--kind", "dibao", "--province", province, "--month", month],
            &file.with_extension("problems.csv"),
        );
        assert!(ok, "{file:?}: {json} {stderr}");
    }

    let server = common::Server::start(&data, RECORDS);
    let api = format!("{}/api/v1", server.base);
    let meta = common::get_json(&format!("{api}/meta"));
    assert_eq!(meta["months"]["first"], "2010-05", "{meta}");
    let rows = |query: &str| -> Vec<serde_json::Value> {
        let body = common::get_json(&format!("{api}/stats?level=county&kind=dibao&{query}"));
        body["rows"].as_array().unwrap().clone()
    };
    let row =
        |rows: &[serde_json::Value], code: &str| rows.iter().find(|r| r["code"] == code).cloned();
    // Today's divisions: the records are in 宁河区.
    let now = rows("parent=120000&month=2015-06");
    assert_eq!(row(&now, "120117").unwrap()["count"], 5);
    assert!(row(&now, "120221").is_none());
    // The month's divisions: 宁河县, whose code today is 120117.
    let then = rows("parent=120000&month=2015-06&boundaries=month");
    let ninghe = row(&then, "120221").expect("宁河县 in 2015-06");
    assert_eq!(ninghe["name"], "宁河县");
    assert_eq!(ninghe["current_code"], "120117");
    assert_eq!(ninghe["count"], 5);
    assert!(row(&then, "120117").is_none());
    assert_eq!(then.len(), now.len());
    // After the change the two views agree.
    let later = rows("parent=120000&month=2015-07&boundaries=month");
    assert_eq!(row(&later, "120117").unwrap()["count"], 5);
    // Before the merger 东城区 and 崇文区 are one row: no boundary of the month splits them.
    let merged = rows("parent=110000&month=2010-05&boundaries=month");
    let dongcheng = row(&merged, "110101").unwrap();
    assert_eq!(dongcheng["count"], 5);
    assert_eq!(dongcheng["name"], "东城区、崇文区");
    let parts: Vec<_> = dongcheng["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_u64().unwrap())
        .collect();
    assert_eq!(parts, vec![110101, 110103]);
    let (status, body) = common::get(&format!("{api}/stats?boundaries=then"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("boundaries"), "{body}");
}

/// `datasets/contracts/README.md` shows each kind's column contract exactly as the code
/// checks it (regenerate with `SHIKONG_WRITE_CONTRACTS=1 cargo test --release --test ingest contracts`).
#[test]
fn contracts_doc_matches_the_code() {
    use shikong::domain::Kind;
    use shikong::ingest::contract::{columns, markdown_table, REFERENCE_LIST};
    let path = common::repo_root().join("datasets/contracts/README.md");
    let mut want = String::from(
        "# Column contracts of ingested files (入库字段约定)\n\n\
         Generated from `src/ingest/contract.rs` (a test keeps this file equal to it). One table per\n\
         kind: the header may use the column name or any of its Chinese names, in any order (a `*`\n\
         mark or a note in brackets, as in `身份证号（必填）`, is ignored); other columns are reported\n\
         as ignored and not stored (e.g. names: personal data shikong does not keep). Delimited text\n\
         in UTF-8, GB18030 or UTF-16 (Excel's \"Unicode text\"), separated by commas, tabs,\n\
         semicolons or `|` (detected); Excel `.xlsx`, legacy `.xls`, `.xlsb` or OpenDocument `.ods`\n\
         (the first sheet; an ID number must be a text cell, a number cell keeps only 15 digits);\n\
         GeoJSON point features (properties = columns, lon/lat from the\n\
         geometry); Parquet, or GeoParquet whose primary WKB point column gives lon/lat. Dates\n\
         `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/M/D`, `YYYY.M.D` or `YYYY年M月D日` (a time after them is\n\
         ignored). ID numbers are checked (format, birth date, MOD 11-2; a 15-digit one is upgraded\n\
         to 18 digits, a finding), then stored only as an HMAC-SHA256 and a masked form. Events\n\
         (marriage) last their day. Rows with nothing in them (empty cells or spaces only) are skipped, and so\n\
         are rows above the header (a title) within the first 10 (in a workbook too). Full-width\n\
         digits and letters (`３３０１０６`, `Ｘ`, typed with a Chinese input method) read as ASCII.\n",
    );
    for kind in Kind::ALL {
        want.push_str(&format!(
            "\n## `{}` {} ({})\n\n",
            kind.id(),
            kind.name_zh(),
            kind.name_en()
        ));
        want.push_str(&markdown_table(&columns(kind)));
    }
    want.push_str(
        "\n## Reference lists (比对名单, e.g. 死亡人员名单)\n\n\
         Uploaded with `shikong reference FILE --name NAME` or `POST /api/v1/reference-lists`, and\n\
         compared with `GET /api/v1/compare?check=reference`. Same encodings and checks as above.\n\n",
    );
    want.push_str(&markdown_table(&REFERENCE_LIST));
    want.push_str(
        "\n## Identity checksum (部省对账)\n\n\
         A declaration may carry an order-independent checksum of the rows it counts: for each row\n\
         take the identity (persons: HMAC-SHA256 of the upper-case ID number with the platform key,\n\
         hex; organizations and facilities: SHA-256 of the upper-case credit code, hex), read its\n\
         first 16 hex digits as an unsigned 64-bit number, and add them all modulo 2^64; write the\n\
         sum as 16 lower-case hex digits. `shikong checksum FILE --kind KIND` computes it for a file.\n",
    );
    if std::env::var_os("SHIKONG_WRITE_CONTRACTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(have, want, "datasets/contracts/README.md is out of date");
}
