//! Scale-out on Apache Spark: `shikong export parquet` writes Hive-partitioned GeoParquet, the
//! Spark job (datasets/scaleout/county_month.py, local mode) assigns every point to its county
//! and counts county × kind × month, `shikong import-stats` loads the result — and the
//! engine's assignment and every aggregate equal shikong's own, exactly (a point the two
//! place differently must lie on a county border, and is counted).
//!
//! Needs Java 17 and Python with pyspark, shapely and numpy: `SHIKONG_PYTHON` (set by
//! `.ci/run`), else `python3`.

mod common;

use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use shikong::domain::{DivisionCode, Month};
use shikong::store::Store;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

const RECORDS: u64 = 20_000;

fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out
}

/// A column of a batch by name.
fn column<'a>(batch: &'a arrow_array::RecordBatch, name: &str) -> &'a arrow_array::ArrayRef {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Every row of the Parquet files under `dir`, as (id, county code).
fn assignments(dir: &Path) -> HashMap<u64, Option<u32>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type};
    use arrow_array::Array;
    let mut out = HashMap::new();
    for file in parquet_files(dir) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let ids = column(&batch, "id").as_primitive::<Int64Type>();
            let codes = column(&batch, "county_code").as_primitive::<Int32Type>();
            for i in 0..batch.num_rows() {
                let code = (!codes.is_null(i)).then(|| codes.value(i) as u32);
                out.insert(ids.value(i) as u64, code);
            }
        }
    }
    out
}

#[test]
fn spark_assignment_and_aggregates_equal_shikong() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let records = RECORDS.to_string();
    common::run_ok(&["init", "--data-dir", data_arg, "--records", &records]);

    // 1. Export.
    let export = dir.path().join("export");
    let export_args = [
        "export",
        "parquet",
        "--out",
        export.to_str().unwrap(),
        "--data-dir",
        data_arg,
        "--records",
        &records,
    ];
    let summary: serde_json::Value = serde_json::from_str(&common::run_ok(&export_args)).unwrap();
    assert_eq!(summary["records"], RECORDS);
    // A second export into the same place is refused rather than mixed in.
    let again = Command::new(common::binary())
        .args(export_args)
        .output()
        .unwrap();
    assert!(!again.status.success());

    // Every file is GeoParquet 1.1 with WKB points equal to its lon/lat, in its partition.
    let files = parquet_files(&export.join("records"));
    assert_eq!(files.len() as u64, summary["files"].as_u64().unwrap());
    let mut rows_read = 0;
    for file in files.iter().step_by(files.len().div_ceil(40)) {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Date32Type, Float64Type, Int32Type};
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap();
        let geo = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
            .and_then(|k| k.value.clone())
            .expect("geo metadata");
        let geo: serde_json::Value = serde_json::from_str(&geo).unwrap();
        assert_eq!(geo["version"], "1.1.0");
        assert_eq!(geo["primary_column"], "geometry");
        assert_eq!(geo["columns"]["geometry"]["encoding"], "WKB");
        let bbox: Vec<f64> =
            serde_json::from_value(geo["columns"]["geometry"]["bbox"].clone()).unwrap();
        let path = file.to_str().unwrap();
        let province: u32 = path.split("province=").nth(1).unwrap()[..6]
            .parse()
            .unwrap();
        let month = &path.split("month=").nth(1).unwrap()[..7];
        for batch in builder.build().unwrap() {
            let batch = batch.unwrap();
            let lon = column(&batch, "lon").as_primitive::<Float64Type>();
            let lat = column(&batch, "lat").as_primitive::<Float64Type>();
            let declared = column(&batch, "declared_code").as_primitive::<Int32Type>();
            let from = column(&batch, "valid_from").as_primitive::<Date32Type>();
            let geometry = column(&batch, "geometry").as_binary::<i32>();
            for i in 0..batch.num_rows() {
                let (x, y) =
                    shikong::ingest::read::wkb_point(geometry.value(i)).expect("WKB point");
                assert_eq!((x, y), (lon.value(i), lat.value(i)));
                assert!(
                    bbox[0] <= x && x <= bbox[2] && bbox[1] <= y && y <= bbox[3],
                    "{path}: ({x}, {y}) outside {bbox:?}"
                );
                assert_eq!(
                    declared.value(i) as u32 / 10_000 * 10_000,
                    province,
                    "{path}"
                );
                let day = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                    + chrono::Days::new(from.value(i) as u64);
                assert_eq!(day.format("%Y-%m").to_string(), month, "{path}");
                rows_read += 1;
            }
        }
    }
    assert!(rows_read > 0);

    // 2. The Spark job, local mode.
    let (first, last) = {
        let store = Store::open(&data.join("shikong.duckdb")).unwrap();
        (
            store.meta("first_month").unwrap().unwrap(),
            store.meta("last_month").unwrap().unwrap(),
        )
    };
    let out = dir.path().join("spark");
    let python = std::env::var("SHIKONG_PYTHON").unwrap_or_else(|_| "python3".into());
    let run = Command::new(python)
        .arg(common::repo_root().join("datasets/scaleout/county_month.py"))
        .arg(&export)
        .arg(&out)
        .args(["--first-month", &first, "--last-month", &last])
        .output()
        .expect("run the Spark job");
    assert!(
        run.status.success(),
        "Spark job failed (pyspark and Java 17 are installed by `bash .ci/run`):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rates: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(rates["rows"], RECORDS);
    eprintln!("spark local: {rates}");

    // 3. Import the engine's aggregates.
    let imported: serde_json::Value = serde_json::from_str(&common::run_ok(&[
        "import-stats",
        out.join("county_kind_month").to_str().unwrap(),
        "--data-dir",
        data_arg,
        "--records",
        &records,
    ]))
    .unwrap();
    assert!(imported["rows"].as_u64().unwrap() > 0);

    // The server serves the imported figures beside its own.
    let served = {
        let server = common::Server::start(&data, RECORDS);
        common::get_json(&format!(
            "{}/api/v1/stats/imported?level=county&month={last}",
            server.base
        ))
    };
    let rows = served["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let unequal: Vec<_> = rows.iter().filter(|r| r["equal"] != true).collect();

    // 4. Assignment: the engine's county of every record against shikong's.
    let store = Store::open(&data.join("shikong.duckdb")).unwrap();
    let conn = store.connection().unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT o.id, o.kind, o.lon, o.lat, o.county_code, o.valid_from, o.valid_to, k.is_event \
             FROM (SELECT id, kind, lon, lat, county_code, valid_from, valid_to FROM service_objects \
                   UNION ALL SELECT id, kind, lon, lat, county_code, valid_from, valid_to FROM facilities) o \
             JOIN kinds k USING (kind)",
        )
        .unwrap();
    type Row = (
        u64,
        String,
        f64,
        f64,
        Option<u32>,
        NaiveDate,
        Option<NaiveDate>,
        bool,
    );
    let ours: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ours.len() as u64, RECORDS);
    let theirs = assignments(&out.join("assignments"));
    assert_eq!(theirs.len(), ours.len());
    let registry = store.load_registry().unwrap();
    let geometries =
        shikong::datasets::boundaries::parse_geometry_texts(store.load_geometries().unwrap())
            .unwrap();
    let borders = shikong::spatial::BoundaryDistance::new(
        registry
            .leaves()
            .filter_map(|d| Some((d.code, geometries.get(&d.code)?.clone()))),
    );
    let mut differ = Vec::new();
    for (id, _, lon, lat, county, ..) in &ours {
        let spark = theirs[id];
        if spark != *county {
            // Only a point on a border may be placed differently.
            let near = [spark, *county].into_iter().flatten().any(|c| {
                borders
                    .metres(DivisionCode::new(c).unwrap(), *lon, *lat)
                    .is_some_and(|m| m < 1.0)
            });
            assert!(
                near,
                "record {id} ({lon}, {lat}): shikong {county:?}, Spark {spark:?}, not on a border"
            );
            differ.push(*id);
        }
    }
    eprintln!(
        "assignment: {} of {} records placed differently (on borders)",
        differ.len(),
        ours.len()
    );
    assert!(
        differ.len() * 10_000 <= ours.len(),
        "too many border differences: {}",
        differ.len()
    );

    // 5. Aggregates: for every month, the imported counts equal those computed here from
    // the stored records, with the engine's county for each record.
    let months = {
        let (mut m, last): (Month, Month) = (first.parse().unwrap(), last.parse().unwrap());
        let mut all = Vec::new();
        while m <= last {
            all.push(m);
            m = m.plus_months(1);
        }
        all
    };
    let mut want: BTreeMap<(Option<u32>, String, String), u64> = BTreeMap::new();
    for (id, kind, _, _, _, from, to, is_event) in &ours {
        for m in &months {
            let inside = if *is_event {
                *from >= m.first_day() && *from <= m.last_day()
            } else {
                *from <= m.last_day() && to.is_none_or(|t| t > m.last_day())
            };
            if inside {
                *want
                    .entry((theirs[id], kind.clone(), m.to_string()))
                    .or_default() += 1;
            }
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT county_code, kind, month, records FROM imported_stats WHERE source = 'spark'",
        )
        .unwrap();
    let got: BTreeMap<(Option<u32>, String, String), u64> = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "imported aggregates differ from the records");
    // Where no record was placed differently, they equal shikong's own statistics.
    if differ.is_empty() {
        assert!(unequal.is_empty(), "{unequal:?}");
    }
}
