//! The in-memory interval snapshot that answers month figures must agree exactly with the
//! SQL formulation of the same semantics (`sql/stats_by_division.sql`), for every level,
//! parent, kind (interval, event, facility, all) and month, on a real generated database.

use shikong::analytics::snapshot::Snapshot;
use shikong::analytics::{division_stats, StatsRequest};
use shikong::bootstrap::ensure_database;
use shikong::config::{Config, FileConfig};
use shikong::domain::{DivisionCode, Kind, Level, Month};
use shikong::store::StatsQuery;
use std::collections::HashMap;

#[test]
fn snapshot_figures_equal_sql_figures() {
    let dir = tempfile::tempdir().unwrap();
    let overrides = FileConfig {
        data_dir: Some(dir.path().to_path_buf()),
        records: Some(80_000),
        ..Default::default()
    };
    let config = Config::resolve(None, overrides).unwrap();
    let store = ensure_database(&config).unwrap();
    let registry = store.load_registry().unwrap();
    let facts = store.load_division_facts().unwrap().into_iter().collect();
    let snapshot = Snapshot::load(&store).unwrap();
    assert_eq!(snapshot.records(), 80_000);

    let parents: [Option<DivisionCode>; 3] = [
        None,
        Some("420000".parse().unwrap()),
        Some("330100".parse().unwrap()),
    ];
    let kinds = [
        None,
        Some(Kind::Dibao),
        Some(Kind::Marriage),
        Some(Kind::ElderlyCare),
    ];
    let months: Vec<Month> = ["2023-11", "2024-02", "2025-06", "2026-10"]
        .iter()
        .map(|m| m.parse().unwrap())
        .collect();
    let mut compared = 0;
    for level in Level::ALL {
        for parent in parents {
            for kind in kinds {
                for &month in &months {
                    let query = StatsQuery::new(level, parent, kind, month, None);
                    let sql: HashMap<Option<DivisionCode>, _> = store
                        .counts_by_division(&query)
                        .unwrap()
                        .into_iter()
                        .collect();
                    let request = StatsRequest {
                        level,
                        parent,
                        kinds: kind.into_iter().collect(),
                        month,
                        as_of: None,
                    };
                    let result = division_stats(&snapshot, &registry, &facts, &request).unwrap();
                    let sql_total: u64 = sql
                        .iter()
                        .filter(|(k, _)| k.is_some())
                        .map(|(_, c)| c.count)
                        .sum();
                    assert_eq!(
                        result.total,
                        Some(sql_total),
                        "{level:?} {parent:?} {kind:?} {month}"
                    );
                    if parent.is_some_and(|p| registry.get(p).unwrap().depth >= level.depth()) {
                        // The parent stands for itself: one row holding everything under it.
                        assert_eq!(result.rows.len(), 1);
                        continue;
                    }
                    for row in &result.rows {
                        let want = sql.get(&Some(row.code)).copied().unwrap_or_default();
                        let got = (row.count, row.previous, row.entered, row.exited);
                        assert_eq!(
                            got,
                            (want.count, want.previous, want.entered, want.exited),
                            "{level:?} {parent:?} {kind:?} {month} {}",
                            row.code
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 10_000, "{compared} rows compared");

    // As-of dates inside a month (month to date), against the SQL with the same bounds.
    for date in ["2024-02-29", "2025-06-15", "2026-10-01"] {
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let month = Month::of(date);
        for kind in kinds {
            let query = StatsQuery::new(Level::County, None, kind, month, Some(date));
            let sql: HashMap<Option<DivisionCode>, _> = store
                .counts_by_division(&query)
                .unwrap()
                .into_iter()
                .collect();
            let request = StatsRequest {
                level: Level::County,
                parent: None,
                kinds: kind.into_iter().collect(),
                month,
                as_of: Some(date),
            };
            for row in division_stats(&snapshot, &registry, &facts, &request)
                .unwrap()
                .rows
            {
                let want = sql.get(&Some(row.code)).copied().unwrap_or_default();
                assert_eq!(
                    (row.count, row.previous, row.entered, row.exited),
                    (want.count, want.previous, want.entered, want.exited),
                    "{date} {kind:?} {}",
                    row.code
                );
            }
        }
    }

    // Several kinds together are the sum of each.
    let month: Month = "2025-06".parse().unwrap();
    let together = StatsRequest {
        level: Level::Province,
        parent: None,
        kinds: vec![Kind::Dibao, Kind::Tekun, Kind::Marriage],
        month,
        as_of: None,
    };
    let together = division_stats(&snapshot, &registry, &facts, &together).unwrap();
    let single = |kind| {
        let request = StatsRequest {
            level: Level::Province,
            parent: None,
            kinds: vec![kind],
            month,
            as_of: None,
        };
        division_stats(&snapshot, &registry, &facts, &request).unwrap()
    };
    let parts = [
        single(Kind::Dibao),
        single(Kind::Tekun),
        single(Kind::Marriage),
    ];
    for (i, row) in together.rows.iter().enumerate() {
        assert_eq!(
            row.count,
            parts.iter().map(|p| p.rows[i].count).sum::<u64>()
        );
        assert_eq!(
            row.previous,
            parts.iter().map(|p| p.rows[i].previous).sum::<u64>()
        );
    }

    // Hexagon counts (the `hex` tile layer) against SQL that finds each record's parent cell
    // with the H3 bit layout: resolution in bits 52–55, unused digits set to 7.
    let conn = store.connection().unwrap();
    for (kinds, month, res) in [
        (vec![Kind::Dibao], "2025-06", 9u8),
        (vec![Kind::Dibao, Kind::Tekun, Kind::Orphan], "2026-10", 5),
        (vec![Kind::Marriage], "2024-02", 7),
        (vec![Kind::Tekun], "2023-11", 2),
    ] {
        let month: Month = month.parse().unwrap();
        let resolution = h3o::Resolution::try_from(res).unwrap();
        let got: HashMap<(u64, String), u64> = snapshot
            .cell_counts(&kinds, month, resolution)
            .into_iter()
            .map(|c| {
                (
                    (
                        u64::from(c.cell),
                        kinds[usize::from(c.kind)].id().to_string(),
                    ),
                    u64::from(c.count),
                )
            })
            .collect();
        let last_day = month.last_day().to_string();
        let first_day = month.first_day().to_string();
        let mut want: HashMap<(u64, String), u64> = HashMap::new();
        for kind in &kinds {
            let active = if kind.unit() == shikong::domain::Unit::Event {
                format!("valid_from >= DATE '{first_day}' AND valid_from <= DATE '{last_day}'")
            } else {
                format!("valid_from <= DATE '{last_day}' AND (valid_to IS NULL OR valid_to > DATE '{last_day}')")
            };
            let sql = format!(
                "SELECT ((h3 & ~(CAST(15 AS UBIGINT) << 52)) | (CAST({res} AS UBIGINT) << 52)
                        | ((CAST(1 AS UBIGINT) << (3 * (15 - {res}))) - 1)) AS parent, count(*)
                 FROM service_objects WHERE kind = ?1 AND h3 IS NOT NULL AND {active}
                 GROUP BY parent"
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            let rows = stmt
                .query_map([kind.id()], |r| {
                    Ok((r.get::<_, u64>(0)?, r.get::<_, i64>(1)?))
                })
                .unwrap();
            for row in rows {
                let (cell, n) = row.unwrap();
                want.insert((cell, kind.id().to_string()), n as u64);
            }
        }
        assert!(!want.is_empty(), "{kinds:?} {month}: records in cells");
        assert_eq!(got, want, "{kinds:?} {month} res {res}");
    }
}
