//! Statistics over a large database: county-level figures for one kind and month, all kinds
//! per province, a county's 36-month series and viewers' suppression mask — the queries
//! behind the map and dashboard.
//!
//! Builds (once) a database of `SHIKONG_BENCH_RECORDS` synthetic records (default 10,000,000)
//! under `SHIKONG_BENCH_DATA` (default `target/bench-data`), then times the analytics calls
//! (month figures from the in-memory interval snapshot; series from SQL; no HTTP).
//! Run: `cargo bench --bench stats`.

use criterion::{criterion_group, criterion_main, Criterion};
use shikong::analytics::snapshot::Snapshot;
use shikong::analytics::suppression::Disclosure;
use shikong::analytics::{division_stats, monthly_series, StatsRequest};
use shikong::bootstrap::ensure_database;
use shikong::config::{Config, FileConfig};
use shikong::domain::{Kind, Level, Month};
use std::hint::black_box;
use std::path::PathBuf;

fn bench_stats(c: &mut Criterion) {
    let records: u64 = std::env::var("SHIKONG_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let data_dir = std::env::var("SHIKONG_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
            PathBuf::from(target).join(format!("bench-data-{records}"))
        });
    let overrides = FileConfig {
        data_dir: Some(data_dir),
        records: Some(records),
        ..Default::default()
    };
    let config = Config::resolve(None, overrides).expect("config");
    let started = std::time::Instant::now();
    let store = ensure_database(&config).expect("database");
    eprintln!(
        "database with {records} records ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let registry = store.load_registry().expect("registry");
    let started = std::time::Instant::now();
    let snapshot = Snapshot::load(&store).expect("snapshot");
    eprintln!(
        "snapshot of {} records loaded in {:.1} s",
        snapshot.records(),
        started.elapsed().as_secs_f64()
    );
    let facts = store
        .load_division_facts()
        .expect("facts")
        .into_iter()
        .collect();
    let month: Month = "2025-06".parse().expect("month");

    let mut group = c.benchmark_group(format!("stats_{records}"));
    group.sample_size(20);
    let county = StatsRequest {
        level: Level::County,
        parent: None,
        kinds: vec![Kind::Dibao],
        month,
        as_of: None,
    };
    group.bench_function("county_level_one_kind_one_month", |b| {
        b.iter(|| black_box(division_stats(&snapshot, &registry, &facts, &county).expect("stats")))
    });
    let province = StatsRequest {
        level: Level::Province,
        parent: None,
        kinds: Vec::new(),
        month,
        as_of: None,
    };
    group.bench_function("province_level_all_kinds_one_month", |b| {
        b.iter(|| {
            black_box(division_stats(&snapshot, &registry, &facts, &province).expect("stats"))
        })
    });
    // What viewers may see: the month's small-count mask over the whole division tree
    // (primary and complementary suppression), from the per-county counts.
    let per_leaf = snapshot.month_counts(&[Kind::Tekun], month, None);
    group.bench_function("suppression_mask_whole_tree_one_kind", |b| {
        b.iter(|| black_box(Disclosure::new(&per_leaf, &registry, 5)))
    });
    // The most populous county of the month, over the 36 months of data.
    let busiest = division_stats(&snapshot, &registry, &facts, &county)
        .expect("stats")
        .rows
        .into_iter()
        .max_by_key(|r| r.count)
        .expect("a county");
    let to: Month = "2026-10".parse().expect("month");
    group.bench_function("series_one_county_36_months", |b| {
        b.iter(|| {
            black_box(
                monthly_series(
                    &store,
                    Some(busiest.code),
                    &[Kind::Dibao],
                    to.plus_months(-35),
                    to,
                )
                .expect("series"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_stats);
criterion_main!(benches);
