//! What each CLI subcommand does, as library functions (testable without a process).

use crate::api::{self, AppState, DataInfo};
use crate::bootstrap;
use crate::config::Config;
use crate::domain::Month;
use crate::spatial::CountyIndex;
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

/// `shikong serve`: builds the database if missing, then serves API, tiles and web.
pub fn serve(config: &Config) -> Result<()> {
    let store = bootstrap::ensure_database(config)?;
    let meta_month = |key: &str| -> Result<Month> {
        let value = store
            .meta(key)?
            .with_context(|| format!("database has no {key}"))?;
        Ok(value.parse()?)
    };
    let data = DataInfo {
        first_month: meta_month("first_month")?,
        last_month: meta_month("last_month")?,
        data_version: store.meta("data_version")?.unwrap_or_default(),
        records: store.record_counts()?.iter().map(|(_, n)| n).sum(),
    };
    if !config.web_dir.join("index.html").is_file() {
        tracing::warn!(dir = %config.web_dir.display(), "web front end not built; serving the API only");
    }
    let state = AppState::new(store, data, config.web_dir.clone())?;
    let addr = SocketAddr::new(config.bind, config.port);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(api::serve(state, addr))
}

/// `shikong init` / `shikong generate`: (re)builds the database.
pub fn init(config: &Config, force: bool) -> Result<()> {
    if force {
        bootstrap::build_database(config, &config.database_path())?;
    } else {
        bootstrap::ensure_database(config)?;
    }
    println!("database ready: {}", config.database_path().display());
    Ok(())
}

/// `shikong assign --input FILE --output FILE`: assigns the points of a CSV file
/// (header with `lon` and `lat` columns, any others passed through) to counties.
/// Every row is validated first; a bad row is reported with its line and nothing is written.
pub fn assign_file(config: &Config, input: &Path, output: &Path) -> Result<()> {
    let (header, rows, points) = read_points(input)?;
    let index = assignment_index(config)?;
    let started = Instant::now();
    let assignments = index.assign_all(&points);
    let elapsed = started.elapsed();
    let mut out = BufWriter::new(
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?,
    );
    writeln!(out, "{header},county_code,h3")?;
    let mut unassigned = 0usize;
    for (row, a) in rows.iter().zip(&assignments) {
        let county = a.county.map(|c| c.to_string()).unwrap_or_default();
        unassigned += usize::from(a.county.is_none());
        let cell = a.cell.map(|c| c.to_string()).unwrap_or_default();
        writeln!(out, "{row},{county},{cell}")?;
    }
    out.flush()?;
    eprintln!(
        "assigned {} points in {:.3} s ({:.1} M points/s), {} unassigned",
        points.len(),
        elapsed.as_secs_f64(),
        points.len() as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6,
        unassigned
    );
    Ok(())
}

/// The index from the database when there is one, else from the embedded boundaries
/// (assigning a file needs no service-object data).
fn assignment_index(config: &Config) -> Result<CountyIndex> {
    let path = config.database_path();
    if path.exists() {
        return bootstrap::county_index(&Store::open(&path)?);
    }
    let boundaries = crate::datasets::load_embedded()?;
    Ok(CountyIndex::build(bootstrap::leaf_geometries(
        &boundaries.registry,
        &boundaries.geometries,
    )))
}

/// `shikong assign` without input: re-assigns every stored record (after a boundary change).
pub fn assign_stored(config: &Config) -> Result<()> {
    let store = bootstrap::ensure_database(config)?;
    let index = bootstrap::county_index(&store)?;
    let conn = store.connection()?;
    for table in ["service_objects", "facilities"] {
        let started = Instant::now();
        let updated = reassign_table(&conn, &index, table)?;
        eprintln!(
            "{table}: re-assigned {updated} rows in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn reassign_table(conn: &duckdb::Connection, index: &CountyIndex, table: &str) -> Result<u64> {
    // Table names come from the fixed list above, never from input.
    let select = match table {
        "service_objects" => include_str!("../sql/points_service_objects.sql"),
        _ => include_str!("../sql/points_facilities.sql"),
    };
    let update = match table {
        "service_objects" => include_str!("../sql/reassign_service_objects.sql"),
        _ => include_str!("../sql/reassign_facilities.sql"),
    };
    let mut stmt = conn.prepare(select)?;
    let rows: Vec<(u64, f64, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let points: Vec<(f64, f64)> = rows.iter().map(|&(_, lon, lat)| (lon, lat)).collect();
    let assignments = index.assign_all(&points);
    conn.execute_batch("BEGIN; CREATE OR REPLACE TEMP TABLE reassigned (id UBIGINT, county_code INTEGER, h3 UBIGINT);")?;
    {
        let mut appender = conn.appender("reassigned")?;
        for ((id, _, _), a) in rows.iter().zip(&assignments) {
            appender.append_row(duckdb::params![
                id,
                a.county.map(|c| c.get()),
                a.cell.map(u64::from)
            ])?;
        }
        appender.flush()?;
    }
    conn.execute_batch(update)?;
    conn.execute_batch("COMMIT")?;
    Ok(rows.len() as u64)
}

type PointRows = (String, Vec<String>, Vec<(f64, f64)>);

fn read_points(input: &Path) -> Result<PointRows> {
    let file =
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let mut lines = BufReader::new(file).lines();
    let header = lines
        .next()
        .context("empty input: expected a header with lon,lat")??;
    let header = header.trim_start_matches('\u{feff}').trim_end().to_string();
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let position = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(lon_at), Some(lat_at)) = (position("lon"), position("lat")) else {
        bail!("line 1: header must name lon and lat columns, got {header:?}");
    };
    let mut rows = Vec::new();
    let mut points = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        let line = line.with_context(|| format!("line {line_no}: not valid UTF-8 text"))?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != columns.len() {
            problems.push(format!(
                "line {line_no}: expected {} fields, got {}",
                columns.len(),
                fields.len()
            ));
            continue;
        }
        let parse = |at: usize, name: &str, range: std::ops::RangeInclusive<f64>| {
            fields[at]
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| {
                    format!(
                        "line {line_no}: {name} {:?} is not a number in {range:?}",
                        fields[at]
                    )
                })
        };
        match (
            parse(lon_at, "lon", -180.0..=180.0),
            parse(lat_at, "lat", -90.0..=90.0),
        ) {
            (Ok(lon), Ok(lat)) => {
                points.push((lon, lat));
                rows.push(line);
            }
            (Err(e), _) | (_, Err(e)) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        let shown: Vec<_> = problems.iter().take(20).cloned().collect();
        bail!(
            "{} bad rows, nothing written:\n{}",
            problems.len(),
            shown.join("\n")
        );
    }
    Ok((header, rows, points))
}
