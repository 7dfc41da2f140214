//! Ingest throughput from CSV: parse + validate (ID check digit, HMAC, division, dates) +
//! assign (county, H3) + append into DuckDB inside the batch transaction, on all cores.
//!
//! - `check`: the same rows read, validated and assigned without storing them (预检,
//!   `shikong ingest --check`): the CPU part of the pipeline on its own;
//! - `commit`: 200,000 valid 低保 rows land as one batch;
//! - `reject_at_end`: the same with a bad check digit on the last row, so every row is
//!   validated and appended, then the batch rolls back;
//! - `land_only`: the storage part alone: the same number of already-validated records
//!   appended to `service_objects` and committed (DuckDB's columnar write, one core), the
//!   ceiling for the whole pipeline;
//! - `duckdb_insert`: DuckDB on its own, no Rust in the loop: the same number of rows of the
//!   same shape (64-hex person hash, masked ID, JSON attributes), generated inside DuckDB once,
//!   inserted into `service_objects` by `INSERT … SELECT` and committed: the floor of any
//!   pipeline that stores this table (compressing the columns is most of it).
//!
//! Run: `cargo bench --bench ingest` (criterion reports rows/s).

use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shikong::config::{Config, FileConfig};
use shikong::domain::identity::{make_id_number, mask_id_number};
use shikong::domain::{Kind, ServiceObject};
use shikong::ingest::{self, IngestRequest, References};
use shikong::store::Store;
use std::fmt::Write;

const ROWS: u64 = 200_000;

/// Rows spread over Zhejiang's counties' surroundings (points around 杭州, 宁波, 温州 …).
fn csv(variant: u64, bad_last: bool) -> Vec<u8> {
    let counties = [
        (330106, 120.13, 30.26),
        (330102, 120.17, 30.24),
        (330203, 121.55, 29.87),
        (330302, 120.65, 28.02),
        (330402, 120.76, 30.75),
    ];
    let mut out = String::with_capacity(ROWS as usize * 80);
    out.push_str("division_code,lon,lat,valid_from,id_number,area,household_size,monthly_amount\n");
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    for i in 0..ROWS {
        let (code, lon, lat) = counties[(i % 5) as usize];
        let mut id = make_id_number(
            code,
            birth + Days::new(i / 1000 + variant * 400),
            (i % 1000) as u16,
        );
        if bad_last && i == ROWS - 1 {
            let last = id.pop().unwrap();
            id.push(if last == '0' { '1' } else { '0' });
        }
        let dx = (i % 97) as f64 * 0.0002;
        let dy = (i % 89) as f64 * 0.0002;
        let _ = writeln!(
            out,
            "{code},{:.5},{:.5},2025-01-01,{id},urban,{},{}",
            lon + dx,
            lat + dy,
            1 + i % 4,
            500 + i % 500
        );
    }
    out.into_bytes()
}

fn bench_ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::resolve(
        None,
        FileConfig {
            data_dir: Some(dir.path().to_path_buf()),
            records: Some(10_000),
            ..Default::default()
        },
    )
    .unwrap();
    shikong::bootstrap::build_database(&config, &config.database_path()).unwrap();
    let store = Store::open(&config.database_path()).unwrap();
    let hasher = shikong::bootstrap::load_or_create_key(&config.hmac_key_file).unwrap();
    let refs = References::load(&store, hasher).unwrap();
    let ctx = refs.context(&store);
    let mut group = c.benchmark_group("ingest_csv");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS));
    let mut variant = 0;
    for (name, bad_last, check, status) in [
        ("check", false, true, "checked"),
        ("commit", false, false, "committed"),
        ("reject_at_end", true, false, "rejected"),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    variant += 1;
                    csv(variant, bad_last)
                },
                |bytes| {
                    let mut request = IngestRequest::new(Kind::Dibao, "bench.csv");
                    request.check = check;
                    let report = ingest::ingest(&ctx, &bytes, &request, &|_| {}).unwrap();
                    assert_eq!(report.batch.status, status);
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    // The same records as a batch of valid rows would produce, straight into the store.
    let hasher = shikong::bootstrap::load_or_create_key(&config.hmac_key_file).unwrap();
    let mut batch_id = 1_000_000;
    group.bench_function("land_only", |b| {
        b.iter_batched(
            || {
                batch_id += 1;
                records(&hasher, batch_id)
            },
            |rows| {
                let mut loader = store.begin_load().unwrap();
                loader.append_objects(&rows).unwrap();
                loader
                    .commit(rows[0].batch_id, "bench", "land_only", None)
                    .unwrap();
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // The same rows made by DuckDB itself: what storing them costs with nothing else around.
    let conn = store.connection().unwrap();
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE generated_rows AS
         SELECT i AS n, 120.13 + (i % 97) * 0.0002 AS lon, 30.26 + (i % 89) * 0.0002 AS lat,
                sha256(i::VARCHAR) AS person_hash,
                '330106********' || lpad((i % 10000)::VARCHAR, 4, '0') AS person_masked,
                '{{\"area\":\"urban\",\"household_size\":' || (1 + i % 4) ||
                ',\"monthly_amount\":' || (500 + i % 500) || '}}' AS attrs
         FROM range({ROWS}) t(i)"
    ))
    .unwrap();
    let mut round = 0u64;
    group.bench_function("duckdb_insert", |b| {
        b.iter(|| {
            round += 1;
            let first = 2_000_000_000 + round * ROWS;
            conn.execute_batch(&format!(
                "BEGIN;
                 INSERT INTO service_objects
                 SELECT {first} + n, 'dibao', lon, lat, 330106, 330106,
                        617700169958293503 + n * 64, DATE '2025-01-01', NULL,
                        person_hash, person_masked, NULL, attrs, {round} + 3000000
                 FROM generated_rows;
                 COMMIT"
            ))
            .unwrap();
        })
    });
    group.finish();
}

/// Validated 低保 records as [`csv`] rows become: hashed and masked ID, county, H3 cell.
fn records(hasher: &shikong::domain::identity::PersonHasher, batch_id: u64) -> Vec<ServiceObject> {
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    (0..ROWS)
        .map(|i| {
            let id = make_id_number(
                330106,
                birth + Days::new(i / 1000 + batch_id),
                (i % 1000) as u16,
            );
            let (lon, lat) = (
                120.13 + (i % 97) as f64 * 0.0002,
                30.26 + (i % 89) as f64 * 0.0002,
            );
            ServiceObject {
                id: batch_id * ROWS + i,
                kind: Kind::Dibao,
                lon,
                lat,
                declared_code: 330106,
                county_code: Some(330106),
                h3: shikong::spatial::h3_cell(lon, lat).map(u64::from),
                valid_from: from,
                valid_to: None,
                person_hash: Some(hasher.hash_id_number(&id)),
                person_masked: Some(mask_id_number(&id)),
                credit_code: None,
                attrs: format!(
                    r#"{{"area":"urban","household_size":{},"monthly_amount":{}}}"#,
                    1 + i % 4,
                    500 + i % 500
                ),
                batch_id,
            }
        })
        .collect()
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
