//! The DuckDB store: one database file, schema and queries from `sql/*.sql`, bulk loads
//! through the Appender.

mod access;
mod batches;
mod error;
mod governance;

pub use access::{AuditEntry, AuditFilter, UserRow};
pub use batches::{BatchRow, ProblemRow};
pub use governance::{
    Declaration, MatchRow, QualityCounts, Received, ReferenceList, ReferencePerson,
};

pub use error::StoreError;

use crate::domain::{DivisionCode, Facility, Kind, Level, Registry, ServiceObject};
use chrono::NaiveDate;
use duckdb::types::Value;
use duckdb::{params, Connection, OptionalExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const SCHEMA: &str = include_str!("../../sql/schema.sql");
const INSERT_DIVISION: &str = include_str!("../../sql/insert_division.sql");
const DIVISIONS_CURRENT: &str = include_str!("../../sql/divisions_current.sql");
const DIVISION_GEOMETRIES: &str = include_str!("../../sql/division_geometries.sql");
const STATS_BY_DIVISION: &str = include_str!("../../sql/stats_by_division.sql");
const RECORD_COUNTS: &str = include_str!("../../sql/record_counts.sql");
const DIVISION_FACTS: &str = include_str!("../../sql/division_facts.sql");
const STATS_SERIES_FLOWS: &str = include_str!("../../sql/stats_series_flows.sql");
const OBJECTS_PAGE: &str = include_str!("../../sql/objects_page.sql");
const FACILITIES_ALL: &str = include_str!("../../sql/facilities_all.sql");
const COUNTY_TABLE: &str = include_str!("../../sql/county_table.sql");
const DEMAND_POINTS: &str = include_str!("../../sql/demand_points.sql");
const INTERVALS_BY_KIND: &str = include_str!("../../sql/intervals_by_kind.sql");
const IMPORTED_STATS: &str = include_str!("../../sql/imported_stats.sql");

/// Version of `sql/schema.sql`; a database built by another version is rebuilt.
pub const SCHEMA_VERSION: &str = "3";

/// A division row to write, with its derived facts.
#[derive(Debug, Clone)]
pub struct DivisionRow {
    /// Code.
    pub code: DivisionCode,
    /// Representatives at province, prefecture and county level.
    pub representatives: [DivisionCode; 3],
    /// Centroid (lon, lat).
    pub centroid: (f64, f64),
    /// Bounding box (min lon, min lat, max lon, max lat).
    pub bbox: [f64; 4],
    /// Geodesic area in km².
    pub area_km2: f64,
    /// Estimated resident population (census provinces only).
    pub population: Option<u64>,
    /// GeoJSON geometry text.
    pub geometry: String,
}

/// Geometry facts of a division, as stored.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct DivisionFacts {
    /// Centroid `[lon, lat]`.
    pub centroid: [f64; 2],
    /// Bounding box `[min lon, min lat, max lon, max lat]`.
    pub bbox: [f64; 4],
    /// Area in km².
    pub area_km2: f64,
    /// Estimated resident population (see `datasets::population`).
    pub population: Option<u64>,
}

/// Filters of a page of service objects, already validated.
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    /// Within this division (any level).
    pub division: Option<DivisionCode>,
    /// Of this kind.
    pub kind: Option<Kind>,
    /// In force on this date (or, with `ended`, ended on or before it).
    pub as_of: Option<NaiveDate>,
    /// Records that ended by `as_of` instead of those in force on it.
    pub ended: bool,
    /// Inside `[min lon, min lat, max lon, max lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Within `radius_km` of `(lon, lat)`: `(lon, lat, radius_km)`.
    pub near: Option<(f64, f64, f64)>,
    /// Ids greater than this (keyset pagination).
    pub after: u64,
    /// Page size.
    pub limit: u32,
}

/// A service object as served: person numbers only masked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectRow {
    /// Id.
    pub id: u64,
    /// Kind id.
    pub kind: String,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Declared division code.
    pub declared_code: String,
    /// Geometric leaf division (`null` = outside every boundary).
    pub county_code: Option<String>,
    /// H3 cell (resolution 9) as hex.
    pub h3: Option<String>,
    /// First day in force.
    pub valid_from: String,
    /// First day no longer in force.
    pub valid_to: Option<String>,
    /// Masked ID number.
    pub person_masked: Option<String>,
    /// 统一社会信用代码 of an organization.
    pub credit_code: Option<String>,
    /// Kind-specific attributes.
    pub attrs: serde_json::Value,
}

/// One month's statistic request, already validated.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// Partition level.
    pub level: Level,
    /// Restrict to descendants of this division.
    pub parent: Option<DivisionCode>,
    /// One kind, or all kinds.
    pub kind: Option<Kind>,
    /// As-of date for interval records (last day of the month).
    pub as_of: NaiveDate,
    /// First day of the month (events).
    pub first_day: NaiveDate,
    /// First day of the next month (events).
    pub next_first_day: NaiveDate,
    /// Last day of the previous month.
    pub previous_as_of: NaiveDate,
    /// First day of the previous month.
    pub previous_first_day: NaiveDate,
}

impl StatsQuery {
    /// The query for `month`, as of its last day or of `as_of` within it (month to date).
    pub fn new(
        level: Level,
        parent: Option<DivisionCode>,
        kind: Option<Kind>,
        month: crate::domain::Month,
        as_of: Option<NaiveDate>,
    ) -> StatsQuery {
        let previous = month.plus_months(-1);
        let as_of = as_of.unwrap_or(month.last_day());
        StatsQuery {
            level,
            parent,
            kind,
            as_of,
            first_day: month.first_day(),
            next_first_day: as_of.succ_opt().unwrap_or(as_of),
            previous_as_of: previous.last_day(),
            previous_first_day: previous.first_day(),
        }
    }
}

/// Counts of one division representative for a month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthCounts {
    /// In force at month end (events: dated in the month).
    pub count: u64,
    /// The same for the previous month.
    pub previous: u64,
    /// Interval records starting in the month.
    pub entered: u64,
    /// Interval records ending in the month.
    pub exited: u64,
}

impl std::ops::AddAssign for MonthCounts {
    fn add_assign(&mut self, other: MonthCounts) {
        self.count += other.count;
        self.previous += other.previous;
        self.entered += other.entered;
        self.exited += other.exited;
    }
}

/// A handle on the database file. Each caller gets its own connection to the same database
/// instance (DuckDB connections are not shared between threads).
pub struct Store {
    path: PathBuf,
    root: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database file and applies the schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_memory(path, None)
    }

    /// [`Store::open`] with DuckDB's working memory limited to `memory_mb` MiB (DuckDB's
    /// default when `None`: 80% of the machine's memory).
    pub fn open_with_memory(path: &Path, memory_mb: Option<u64>) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::open(path, e))?;
        if let Some(mb) = memory_mb {
            conn.execute_batch(&format!("SET memory_limit = '{mb}MiB'"))?;
        }
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            path: path.to_path_buf(),
            root: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new connection to the same database.
    pub fn connection(&self) -> Result<Connection, StoreError> {
        let root = self.root.lock().map_err(|_| StoreError::Poisoned)?;
        Ok(root.try_clone()?)
    }

    /// Reads a meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.connection()?;
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Writes a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])?;
        Ok(())
    }

    /// Writes the kinds table.
    pub fn write_kinds(&self) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN; DELETE FROM kinds;")?;
        for kind in Kind::ALL {
            let unit = serde_json::to_value(kind.unit())?
                .as_str()
                .unwrap_or_default()
                .to_string();
            conn.execute(
                "INSERT INTO kinds VALUES (?, ?, ?, ?, ?)",
                params![
                    kind.id(),
                    unit,
                    kind.name_zh(),
                    kind.name_en(),
                    unit == "event"
                ],
            )?;
        }
        conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Replaces all divisions in one transaction.
    pub fn write_divisions(
        &self,
        registry: &Registry,
        rows: &[DivisionRow],
    ) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM divisions", [])?;
        {
            let mut insert = tx.prepare(INSERT_DIVISION)?;
            for row in rows {
                let info = registry
                    .get(row.code)
                    .ok_or(StoreError::UnknownDivision(row.code))?;
                insert.execute(params![
                    row.code.get(),
                    info.name,
                    info.level.id(),
                    info.parent.map(|p| p.get()),
                    info.depth,
                    info.is_leaf,
                    row.representatives[0].get(),
                    row.representatives[1].get(),
                    row.representatives[2].get(),
                    row.centroid.0,
                    row.centroid.1,
                    row.bbox[0],
                    row.bbox[1],
                    row.bbox[2],
                    row.bbox[3],
                    row.area_km2,
                    row.population,
                    row.geometry,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the division code-change table.
    pub fn write_code_changes(
        &self,
        changes: &[crate::domain::CodeChange],
    ) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM division_code_changes", [])?;
        {
            let mut insert =
                tx.prepare("INSERT OR REPLACE INTO division_code_changes (old_code, new_code, effective_date, reason, old_name) VALUES (?, ?, ?, ?, ?)")?;
            for c in changes {
                insert.execute(params![
                    c.old,
                    c.new,
                    c.effective.to_string(),
                    c.reason,
                    c.old_name
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The division code-change table.
    pub fn load_code_changes(&self) -> Result<crate::domain::CodeChanges, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(
            "SELECT old_code, new_code, effective_date::VARCHAR, coalesce(reason, ''), coalesce(old_name, '') FROM division_code_changes",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let changes = rows
            .into_iter()
            .map(|(old, new, date, reason, old_name)| {
                Ok(crate::domain::CodeChange {
                    old,
                    old_name,
                    new,
                    effective: date
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("date {date}")))?,
                    reason,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(crate::domain::CodeChanges::new(changes))
    }

    /// Loads the current division tree.
    pub fn load_registry(&self) -> Result<Registry, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(DIVISIONS_CURRENT)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, u32>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<u32>>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut parsed = Vec::with_capacity(rows.len());
        for (code, name, level, parent) in rows {
            let code = DivisionCode::new(code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let level = Level::from_id(&level)
                .ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?;
            let parent = parent
                .map(DivisionCode::new)
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            parsed.push((code, name, level, parent));
        }
        Registry::build(parsed).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Centroid, bounding box and area of every current division.
    pub fn load_division_facts(&self) -> Result<Vec<(DivisionCode, DivisionFacts)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(DIVISION_FACTS)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    DivisionFacts {
                        centroid: [r.get(1)?, r.get(2)?],
                        bbox: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                        area_km2: r.get(7)?,
                        population: r.get(8)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(code, facts)| {
                Ok((
                    DivisionCode::new(code).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    facts,
                ))
            })
            .collect()
    }

    /// Current boundaries as GeoJSON geometry text, by code.
    pub fn load_geometries(&self) -> Result<Vec<(DivisionCode, String)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(DIVISION_GEOMETRIES)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, u32>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(code, geometry)| {
                Ok((
                    DivisionCode::new(code).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    geometry,
                ))
            })
            .collect()
    }

    /// Starts a bulk load: a transaction that lands whole or not at all.
    pub fn begin_load(&self) -> Result<Loader, StoreError> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN TRANSACTION")?;
        Ok(Loader {
            conn,
            objects: 0,
            facilities: 0,
        })
    }

    /// Rows per kind.
    pub fn record_counts(&self) -> Result<Vec<(Kind, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(RECORD_COUNTS)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, u64>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(kind, n)| {
                Ok((
                    Kind::from_id(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
                    n,
                ))
            })
            .collect()
    }

    /// Counts per division representative for one month (`None` = unassigned records).
    pub fn counts_by_division(
        &self,
        q: &StatsQuery,
    ) -> Result<Vec<(Option<DivisionCode>, MonthCounts)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(STATS_BY_DIVISION)?;
        let rows = stmt
            .query_map(
                params![
                    q.level.id(),
                    q.parent.map(|p| p.get()),
                    q.kind.map(|k| k.id()),
                    // Statement parameters take dates as ISO text (cast in the SQL).
                    q.as_of.to_string(),
                    q.first_day.to_string(),
                    q.next_first_day.to_string(),
                    q.previous_as_of.to_string(),
                    q.previous_first_day.to_string(),
                ],
                |row| {
                    Ok((
                        row.get::<_, Option<u32>>(0)?,
                        MonthCounts {
                            count: row.get(1)?,
                            previous: row.get(2)?,
                            entered: row.get(3)?,
                            exited: row.get(4)?,
                        },
                    ))
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(code, counts)| {
                let code = code
                    .map(DivisionCode::new)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((code, counts))
            })
            .collect()
    }

    /// Imported aggregates of `source` per division representative for one month (`None` =
    /// records the engine placed outside every boundary).
    pub fn imported_counts(
        &self,
        source: &str,
        level: Level,
        parent: Option<DivisionCode>,
        kind: Option<Kind>,
        month: crate::domain::Month,
    ) -> Result<Vec<(Option<u32>, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(IMPORTED_STATS)?;
        let rows = stmt
            .query_map(
                params![
                    source,
                    level.id(),
                    parent.map(|p| p.get()),
                    kind.map(|k| k.id()),
                    month.to_string()
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Replaces the imported aggregates of `source` with `rows` — `(county, kind, month,
    /// records)` — in one transaction.
    pub fn replace_imported_stats(
        &self,
        source: &str,
        rows: &[(Option<u32>, String, String, u64)],
    ) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM imported_stats WHERE source = ?", [source])?;
        {
            let mut appender = tx.appender("imported_stats")?;
            let now = chrono::Utc::now().naive_utc();
            for (code, kind, month, n) in rows {
                appender.append_row(params![source, code, kind, month, n, now])?;
            }
            appender.flush()?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sources of imported aggregates, with their rows.
    pub fn imported_sources(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(
            "SELECT source, count(*) FROM imported_stats GROUP BY source ORDER BY source",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records starting and ending per month (`"YYYY-MM"`) for a division (or all), as
    /// `(is_event, month, starts, ends)`.
    pub fn monthly_flows(
        &self,
        code: Option<DivisionCode>,
        kind: Option<Kind>,
    ) -> Result<Vec<(bool, String, u64, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(STATS_SERIES_FLOWS)?;
        let rows = stmt
            .query_map(
                params![code.map(|c| c.get()), kind.map(|k| k.id())],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The month's figure per leaf division and kind: `(leaf code, kind, count)`.
    pub fn county_kind_counts(
        &self,
        parent: Option<DivisionCode>,
        month: crate::domain::Month,
    ) -> Result<Vec<(DivisionCode, Kind, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(COUNTY_TABLE)?;
        let rows = stmt
            .query_map(
                params![
                    parent.map(|p| p.get()),
                    month.last_day().to_string(),
                    month.first_day().to_string(),
                    month.next().first_day().to_string(),
                ],
                |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u64>(2)?,
                    ))
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(code, kind, n)| {
                let code =
                    DivisionCode::new(code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let kind = Kind::from_id(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?;
                Ok((code, kind, n))
            })
            .collect()
    }

    /// Locations of the service objects of `kind` in force on `as_of` within `division`.
    pub fn demand_points(
        &self,
        division: DivisionCode,
        kind: Kind,
        as_of: NaiveDate,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(DEMAND_POINTS)?;
        let rows = stmt
            .query_map(params![division.get(), kind.id(), as_of.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Calls `f(leaf code, from, to)` for every record of `kind`, dates as days since
    /// 1970-01-01 (`to` = `i32::MAX` while in force).
    pub fn for_each_interval(
        &self,
        kind: Kind,
        mut f: impl FnMut(Option<u32>, i32, i32, u64),
    ) -> Result<(), StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(INTERVALS_BY_KIND)?;
        let mut rows = stmt.query([kind.id()])?;
        while let Some(row) = rows.next()? {
            f(row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        }
        Ok(())
    }

    /// Every facility.
    pub fn load_facilities(&self) -> Result<Vec<Facility>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(FACILITIES_ALL)?;
        let rows = stmt
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                let kind = Kind::from_id(&kind).ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        1,
                        duckdb::types::Type::Text,
                        format!("kind {kind}").into(),
                    )
                })?;
                Ok(Facility {
                    id: r.get(0)?,
                    kind,
                    name: r.get(2)?,
                    credit_code: r.get(3)?,
                    lon: r.get(4)?,
                    lat: r.get(5)?,
                    declared_code: r.get(6)?,
                    county_code: r.get(7)?,
                    h3: r.get(8)?,
                    capacity: r.get(9)?,
                    occupied: r.get(10)?,
                    valid_from: r.get(11)?,
                    valid_to: r.get(12)?,
                    batch_id: 0,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One page of service objects in id order.
    pub fn objects_page(&self, f: &ObjectFilter) -> Result<Vec<ObjectRow>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(OBJECTS_PAGE)?;
        let bbox = f.bbox.map(|b| b.map(Some)).unwrap_or([None; 4]);
        let rows = stmt
            .query_map(
                params![
                    f.division.map(|c| c.get()),
                    f.kind.map(|k| k.id()),
                    f.as_of.map(|d| d.to_string()),
                    bbox[0],
                    bbox[1],
                    bbox[2],
                    bbox[3],
                    f.near.map(|n| n.0),
                    f.near.map(|n| n.1),
                    f.near.map(|n| n.2),
                    f.after,
                    f.limit,
                    f.ended,
                ],
                |r| {
                    let attrs: String = r.get(11)?;
                    Ok(ObjectRow {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        lon: r.get(2)?,
                        lat: r.get(3)?,
                        declared_code: format!("{:06}", r.get::<_, u32>(4)?),
                        county_code: r.get::<_, Option<u32>>(5)?.map(|c| format!("{c:06}")),
                        h3: r.get::<_, Option<u64>>(6)?.map(|c| format!("{c:x}")),
                        valid_from: r.get(7)?,
                        valid_to: r.get(8)?,
                        person_masked: r.get(9)?,
                        credit_code: r.get(10)?,
                        attrs: serde_json::from_str(&attrs).unwrap_or(serde_json::Value::Null),
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Flushes the write-ahead log into the database file.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.connection()?.execute_batch("CHECKPOINT")?;
        Ok(())
    }
}

/// A bulk load in progress. Dropped without [`Loader::commit`], it rolls back.
pub struct Loader {
    conn: Connection,
    objects: u64,
    facilities: u64,
}

/// Rows for [`BackgroundAppender`].
pub enum RowsToAppend {
    /// Service objects.
    Objects(Vec<ServiceObject>),
    /// Facilities.
    Facilities(Vec<Facility>),
}

/// A [`Loader`] appending on a thread of its own, so that DuckDB stores one chunk while the
/// next is validated (storing is single-threaded, about as long as validating on one core).
/// [`BackgroundAppender::finish`] gives the loader back, its transaction still open.
pub struct BackgroundAppender {
    sender: std::sync::mpsc::SyncSender<RowsToAppend>,
    worker: std::thread::JoinHandle<(Loader, Result<(), StoreError>)>,
}

impl BackgroundAppender {
    /// Queues rows (dropped when the appender stopped at a database error: `finish` says it).
    pub fn send(&self, rows: RowsToAppend) {
        let _stopped_at_an_error = self.sender.send(rows).is_err();
    }

    /// Waits for every queued row, and returns the loader with the first error, if any.
    pub fn finish(self) -> (Loader, Result<(), StoreError>) {
        let BackgroundAppender { sender, worker } = self;
        drop(sender); // ends the worker's queue
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl Loader {
    /// Commits what is appended so far and goes on in a new transaction. Only for a database
    /// being built aside (it becomes the database by a rename once complete, so a crash leaves
    /// no half-built one in use): DuckDB holds a transaction's appended rows in memory beyond
    /// its limit, which at 10⁸ rows is gigabytes.
    pub fn commit_so_far(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT; BEGIN TRANSACTION")?;
        Ok(())
    }

    /// Moves the loader to a thread of its own; up to two chunks wait in its queue.
    pub fn in_background(mut self) -> BackgroundAppender {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<RowsToAppend>(2);
        let worker = std::thread::spawn(move || {
            for rows in receiver {
                let appended = match &rows {
                    RowsToAppend::Objects(rows) => self.append_objects(rows),
                    RowsToAppend::Facilities(rows) => self.append_facilities(rows),
                };
                if let Err(e) = appended {
                    return (self, Err(e));
                }
            }
            (self, Ok(()))
        });
        BackgroundAppender { sender, worker }
    }

    /// Appends service objects, column by column (one Arrow batch per call).
    pub fn append_objects(&mut self, rows: &[ServiceObject]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let batch = objects_batch(rows)?;
        let mut appender = self.conn.appender("service_objects")?;
        appender.append_record_batch(batch)?;
        appender.flush()?;
        self.objects += rows.len() as u64;
        Ok(())
    }

    /// Appends facilities.
    pub fn append_facilities(&mut self, rows: &[Facility]) -> Result<(), StoreError> {
        let mut appender = self.conn.appender("facilities")?;
        for r in rows {
            appender.append_row(params![
                r.id,
                r.kind.id(),
                r.name.as_str(),
                r.credit_code.as_str(),
                r.lon,
                r.lat,
                r.declared_code,
                r.county_code,
                r.h3,
                r.capacity,
                r.occupied,
                date_value(r.valid_from),
                r.valid_to.map(date_value).unwrap_or(Value::Null),
                r.batch_id,
            ])?;
        }
        appender.flush()?;
        self.facilities += rows.len() as u64;
        Ok(())
    }

    /// Rows appended so far (objects, facilities).
    pub fn appended(&self) -> (u64, u64) {
        (self.objects, self.facilities)
    }

    /// Records the batch in the ledger as committed and commits everything.
    pub fn commit(
        self,
        batch_id: u64,
        source: &str,
        description: &str,
        checksum: Option<&str>,
    ) -> Result<(), StoreError> {
        let rows = self.objects + self.facilities;
        self.commit_new_batch(&BatchRow {
            batch_id,
            source: source.to_string(),
            description: Some(description.to_string()),
            rows_total: rows,
            rows_accepted: rows,
            checksum: checksum.map(str::to_string),
            status: "committed".into(),
            created_by: "system".into(),
            ..Default::default()
        })
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        // After a successful COMMIT there is no transaction and this is a harmless no-op error.
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

/// Service objects as an Arrow batch in the column order of `service_objects`.
fn objects_batch(rows: &[ServiceObject]) -> Result<arrow_array::RecordBatch, StoreError> {
    use arrow_array::{ArrayRef, Date32Array, Float64Array, Int32Array, StringArray, UInt64Array};
    use std::sync::Arc;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days = |d: NaiveDate| (d - epoch).num_days() as i32;
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id))),
        ),
        (
            "kind",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.kind.id()),
            )),
        ),
        (
            "lon",
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lon))),
        ),
        (
            "lat",
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lat))),
        ),
        (
            "declared_code",
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|r| r.declared_code as i32),
            )),
        ),
        (
            "county_code",
            Arc::new(
                rows.iter()
                    .map(|r| r.county_code.map(|c| c as i32))
                    .collect::<Int32Array>(),
            ),
        ),
        (
            "h3",
            Arc::new(rows.iter().map(|r| r.h3).collect::<UInt64Array>()),
        ),
        (
            "valid_from",
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| days(r.valid_from)),
            )),
        ),
        (
            "valid_to",
            Arc::new(
                rows.iter()
                    .map(|r| r.valid_to.map(days))
                    .collect::<Date32Array>(),
            ),
        ),
        (
            "person_hash",
            Arc::new(
                rows.iter()
                    .map(|r| r.person_hash.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "person_masked",
            Arc::new(
                rows.iter()
                    .map(|r| r.person_masked.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "credit_code",
            Arc::new(
                rows.iter()
                    .map(|r| r.credit_code.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "attrs",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.attrs.as_str()),
            )),
        ),
        (
            "batch_id",
            Arc::new(UInt64Array::from_iter_values(
                rows.iter().map(|r| r.batch_id),
            )),
        ),
    ];
    arrow_array::RecordBatch::try_from_iter(columns)
        .map_err(|e| StoreError::Corrupt(format!("arrow batch: {e}")))
}

/// A date as DuckDB's native DATE value (days since 1970-01-01), for the Appender.
fn date_value(date: NaiveDate) -> Value {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    Value::Date32((date - epoch).num_days() as i32)
}
