//! What each CLI subcommand does, as library functions (testable without a process).

use crate::api::params::Params;
use crate::api::tile_sets::{self, TileQuery, TileSet};
use crate::api::{self, AppState, ServeOptions};
use crate::bootstrap;
use crate::config::Config;
use crate::spatial::CountyIndex;
use crate::store::Store;
use crate::tiles::pmtiles::{self, Archive};
use crate::tiles::{self, TileId, MAX_ZOOM};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

/// `shikong serve`: builds the database if missing, then serves API, tiles and web.
pub fn serve(config: &Config) -> Result<()> {
    let mut archives = std::collections::HashMap::new();
    for path in &config.pmtiles {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .with_context(|| {
                format!(
                    "{}: an archive's file name (letters, digits, - and _) names its tile set",
                    path.display()
                )
            })?
            .to_string();
        if TileSet::from_id(&name).is_some() || archives.contains_key(&name) {
            bail!(
                "{}: tile set {name:?} is already served; rename the file",
                path.display()
            );
        }
        let archive = Archive::open(path).with_context(|| format!("opening {}", path.display()))?;
        tracing::info!(set = %name, tiles = archive.tiles(), "serving PMTiles archive");
        archives.insert(name, archive);
    }
    let options = ServeOptions {
        tile_cache_bytes: usize::try_from(config.tile_cache_mb << 20).unwrap_or(usize::MAX),
        archives,
        hasher: Some(bootstrap::load_or_create_key(&config.hmac_key_file)?),
        auth: config.auth.clone(),
    };
    if !config.web_dir.join("index.html").is_file() {
        tracing::warn!(dir = %config.web_dir.display(), "web front end not built; serving the API only");
    }
    let state = open_state(config, options)?;
    let token_file = config.admin_token_path();
    if api::auth::ensure_first_admin(state.store(), state.registry(), &token_file)? {
        // The token itself goes to an owner-only file, never to the log.
        println!(
            "first administrator \"admin\" created; its access token is in {} (sign in at /login; add users with `shikong user add`)",
            token_file.display()
        );
    }
    // Boundaries simplified per zoom are made once; make them now, in the background, rather
    // than on the first request at each zoom (≈0.5 s each).
    let warm = state.clone();
    std::thread::spawn(move || {
        for z in 0..=tiles::division::PRESIMPLIFY_MAX_ZOOM + 1 {
            warm.geometries_for_zoom(z);
        }
        tracing::debug!("boundaries simplified for every zoom band");
        api::warm_governance(&warm);
        tracing::debug!("governance results computed for the dashboard");
    });
    let addr = SocketAddr::new(config.bind, config.port);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(api::serve(state, addr))
}

/// The database as it is (users belong to a built database; never rebuild it for them).
fn existing_store(config: &Config) -> Result<Store> {
    let path = config.database_path();
    if !path.exists() {
        bail!(
            "no database at {}; run `shikong serve` or `shikong init` first",
            path.display()
        );
    }
    config
        .open_store(&path)
        .with_context(|| format!("opening {}", path.display()))
}

/// `shikong user add`: a new user; prints its token once.
pub fn user_add(config: &Config, name: &str, scope: &str, role: &str) -> Result<()> {
    let store = existing_store(config)?;
    let registry = store.load_registry()?;
    let (user, token) = api::auth::create_user(&store, &registry, name, role, scope, "cli")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "user {} added: role {}, scope {} ({}). Its access token (shown once; keep it secret):",
        user.name,
        user.role,
        user.scope,
        crate::domain::Scope::parse(&user.scope, &registry)
            .map(|s| s.name(&registry))
            .unwrap_or_default()
    );
    println!("{token}");
    Ok(())
}

/// `shikong user list`: users, never their tokens.
pub fn user_list(config: &Config) -> Result<()> {
    let store = existing_store(config)?;
    println!("name\trole\tscope\ttoken_id\tcreated_at\trevoked_at");
    for u in store.users()? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            u.name,
            u.role,
            u.scope,
            u.token_id,
            u.created_at,
            u.revoked_at.unwrap_or_default()
        );
    }
    Ok(())
}

/// `shikong user revoke`: the user's token stops working.
pub fn user_revoke(config: &Config, name: &str) -> Result<()> {
    let store = existing_store(config)?;
    if !store.revoke_user(name)? {
        bail!("no active user {name:?}");
    }
    println!("revoked {name}");
    Ok(())
}

/// The server state over the database (built first if missing).
fn open_state(config: &Config, options: ServeOptions) -> Result<AppState> {
    let store = bootstrap::ensure_database(config)?;
    Ok(AppState::new(store, config.web_dir.clone(), options)?)
}

/// `shikong tiles export`: the computed tile sets over China's bounds, zoom 0 to `maxzoom`,
/// into one PMTiles archive; each tile holds one layer per set. `query` is the tile URL's
/// query string; each set takes the parameters it knows, and every parameter must be known
/// to some set.
pub fn tiles_export(
    config: &Config,
    out: &Path,
    sets: &[String],
    maxzoom: u8,
    query: Option<&str>,
) -> Result<()> {
    if maxzoom > MAX_ZOOM {
        bail!("--maxzoom must be 0..={MAX_ZOOM}, got {maxzoom}");
    }
    let sets: Vec<TileSet> = sets
        .iter()
        .map(|s| {
            TileSet::from_id(s.trim()).with_context(|| {
                format!("unknown tile set {s:?}; sets: division, hex, facility, coverage")
            })
        })
        .collect::<Result<_>>()?;
    if sets.is_empty() {
        bail!("--set names no tile set");
    }
    // (set it is limited to, key, value): `set.key=value` applies to that set only.
    let mut pairs: Vec<(Option<TileSet>, String, String)> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (only, key) = match key.split_once('.') {
            Some((set, key)) => (
                Some(
                    TileSet::from_id(set)
                        .with_context(|| format!("{pair:?}: no tile set {set:?}"))?,
                ),
                key,
            ),
            None => (None, key),
        };
        let takers = sets
            .iter()
            .filter(|s| only.is_none_or(|o| o == **s) && s.params().contains(&key))
            .count();
        if takers == 0 {
            bail!("query parameter {pair:?} is not taken by any of the chosen sets");
        }
        pairs.push((only, key.to_string(), value.to_string()));
    }
    let state = open_state(config, ServeOptions::default())?;
    let queries: Vec<TileQuery> = sets
        .iter()
        .map(|&set| {
            let own: Vec<String> = pairs
                .iter()
                .filter(|(only, key, _)| {
                    only.is_none_or(|o| o == set) && set.params().contains(&key.as_str())
                })
                .map(|(_, key, value)| format!("{key}={value}"))
                .collect();
            let query = Params::parse(Some(&own.join("&")), set.params())
                .and_then(|params| tile_sets::parse(&state, set, &params))
                .map_err(|e| anyhow::anyhow!("{}: {e}", set.id()))?;
            Ok(query)
        })
        .collect::<Result<_>>()?;
    let [w, s, e, n] = tile_sets::CHINA_BOUNDS;
    let mut addresses = Vec::new();
    for z in 0..=maxzoom {
        let origin = TileId::new(u32::from(z), 0, 0)?;
        let last = (1u32 << z) - 1;
        let extent = f64::from(tiles::mvt::EXTENT);
        let column = |lon: f64| ((origin.project(lon, 0.0).x / extent).max(0.0) as u32).min(last);
        let row = |lat: f64| ((origin.project(0.0, lat).y / extent).max(0.0) as u32).min(last);
        for x in column(w)..=column(e) {
            for y in row(n)..=row(s) {
                addresses.push(TileId::new(u32::from(z), x, y)?);
            }
        }
    }
    let bar = indicatif::ProgressBar::new(addresses.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tiles ({eta})")
            .expect("valid template"),
    );
    bar.set_message("rendering");
    let started = Instant::now();
    let rendered: Vec<(TileId, Vec<u8>)> = addresses
        .par_iter()
        .map(|&tile| {
            let mut bytes = Vec::new();
            for query in &queries {
                // Encoded tiles are protobuf messages of repeated layers: concatenated, they
                // are one tile holding every layer.
                if let Some(layer) =
                    tile_sets::render(&state, query, tile_sets::Audience::FULL, tile).map_err(
                        |e| anyhow::anyhow!("tile {}/{}/{}: {e}", tile.z, tile.x, tile.y),
                    )?
                {
                    bytes.extend_from_slice(&layer);
                }
            }
            bar.inc(1);
            Ok((tile, bytes))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, bytes)| !bytes.is_empty())
        .collect();
    bar.finish_and_clear();
    let min_zoom = rendered.iter().map(|(t, _)| t.z).min().unwrap_or(0);
    let mut metadata = tile_sets::tilejson(
        &sets.iter().map(|s| s.id()).collect::<Vec<_>>().join("+"),
        &sets,
        String::new(),
    );
    if let Some(doc) = metadata.as_object_mut() {
        doc.remove("tiles");
        doc.insert(
            "generator".into(),
            format!("shikong {}", env!("CARGO_PKG_VERSION")).into(),
        );
        doc.insert("query".into(), query.unwrap_or("").into());
        doc.insert(
            "data_version".into(),
            state.data().data_version.clone().into(),
        );
    }
    let stats = pmtiles::write_archive(
        out,
        rendered,
        &metadata,
        &pmtiles::Bounds {
            min_zoom,
            max_zoom: maxzoom,
            bbox: tile_sets::CHINA_BOUNDS,
            center: tile_sets::CHINA_CENTER,
        },
    )?;
    println!(
        "wrote {}: {} tiles ({} distinct), {} bytes, zoom {min_zoom}–{maxzoom}, in {:.1} s",
        out.display(),
        stats.addressed_tiles,
        stats.tile_contents,
        stats.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
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

/// Points assigned at a time by `assign`: enough to keep every core busy, little enough
/// that memory stays flat however large the file or table (≈50 MB per chunk).
const ASSIGN_CHUNK: usize = 1 << 20;

/// `shikong assign --input FILE --output FILE`: assigns the points of a CSV file
/// (header with `lon` and `lat` columns, any others passed through) to counties.
/// Every row is validated; a bad row is reported with its line and nothing is written. The
/// file streams through in chunks into `OUTPUT.partial`, renamed to OUTPUT once all is well.
pub fn assign_file(config: &Config, input: &Path, output: &Path) -> Result<()> {
    let mut reader = PointReader::open(input)?;
    let index = assignment_index(config)?;
    let partial = output.with_file_name(format!(
        "{}.partial",
        output
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("assigned")
    ));
    let written = write_assigned(&mut reader, &index, &partial);
    let totals = match written {
        Ok(totals) if reader.problems.is_empty() => totals,
        other => {
            let _ = std::fs::remove_file(&partial);
            other?;
            let shown: Vec<_> = reader.problems.iter().take(20).cloned().collect();
            bail!(
                "{} bad rows, nothing written:\n{}",
                reader.problem_count,
                shown.join("\n")
            );
        }
    };
    std::fs::rename(&partial, output)
        .with_context(|| format!("renaming {} to {}", partial.display(), output.display()))?;
    let rate = |secs: f64| totals.points as f64 / secs.max(1e-9) / 1e6;
    eprintln!(
        "assigned {} points in {:.3} s ({:.1} M points/s), {} unassigned; H3 cells in {:.3} s ({:.1} M points/s)",
        totals.points,
        totals.county_secs,
        rate(totals.county_secs),
        totals.unassigned,
        totals.h3_secs,
        rate(totals.h3_secs),
    );
    Ok(())
}

/// What [`write_assigned`] did, for its report.
#[derive(Default)]
struct AssignTotals {
    points: usize,
    unassigned: usize,
    /// Seconds in the county assignment proper and in the H3 binning (timed apart: the peers
    /// compare the first; the second is storage indexing).
    county_secs: f64,
    h3_secs: f64,
}

/// Assigns chunk after chunk of `reader` into `path`; once a bad row is seen it only goes on
/// validating (the file is thrown away, the report lists every bad row).
fn write_assigned(
    reader: &mut PointReader,
    index: &CountyIndex,
    path: &Path,
) -> Result<AssignTotals> {
    let mut out = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "{},county_code,h3", reader.header)?;
    let mut totals = AssignTotals::default();
    let (mut rows, mut points) = (Vec::new(), Vec::new());
    while reader.next_chunk(&mut rows, &mut points)? {
        if !reader.problems.is_empty() {
            continue;
        }
        let started = Instant::now();
        let counties = index.locate_all(&points);
        totals.county_secs += started.elapsed().as_secs_f64();
        let started = Instant::now();
        let cells = crate::spatial::assign::h3_cells(&points);
        totals.h3_secs += started.elapsed().as_secs_f64();
        for ((row, county), cell) in rows.iter().zip(&counties).zip(&cells) {
            totals.unassigned += usize::from(county.is_none());
            let county = county.map(|c| c.to_string()).unwrap_or_default();
            let cell = cell.map(|c| c.to_string()).unwrap_or_default();
            writeln!(out, "{row},{county},{cell}")?;
        }
        totals.points += points.len();
    }
    out.flush()?;
    Ok(totals)
}

/// The index from the database when there is one, else from the embedded boundaries
/// (assigning a file needs no service-object data).
fn assignment_index(config: &Config) -> Result<CountyIndex> {
    let path = config.database_path();
    if path.exists() {
        return bootstrap::county_index(&config.open_store(&path)?);
    }
    let boundaries = crate::datasets::load_embedded()?;
    Ok(CountyIndex::build(bootstrap::leaf_geometries(
        &boundaries.registry,
        &boundaries.geometries,
    )))
}

/// `shikong assign` without input: re-assigns every stored record (after a boundary change).
/// The database as it is: re-assigning never rebuilds it, whatever `--records` says.
///
/// Chunks are committed as they go (one transaction over 10⁸ updated rows would hold
/// gigabytes); the database is marked meanwhile, and a server refuses to start on a marked
/// database until `shikong assign` has run to the end: an interrupted run is finished by
/// running it again, and no figure is ever computed from a half re-assigned table.
pub fn assign_stored(config: &Config) -> Result<()> {
    let store = existing_store(config)?;
    let index = bootstrap::county_index(&store)?;
    store.set_meta(bootstrap::REASSIGN_MARK, "running")?;
    for table in ["service_objects", "facilities"] {
        let started = Instant::now();
        let updated = reassign_table(&store, &index, table, ASSIGN_CHUNK)?;
        eprintln!(
            "{table}: re-assigned {updated} rows in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    store.set_meta(bootstrap::REASSIGN_MARK, "done")?;
    Ok(())
}

/// Re-assigns every row of `table`, streaming: rows are read in chunks of `chunk`
/// ([`ASSIGN_CHUNK`]), assigned in parallel and applied chunk by chunk, each in its own
/// transaction, so memory stays flat however many rows there are.
fn reassign_table(store: &Store, index: &CountyIndex, table: &str, chunk: usize) -> Result<u64> {
    // Table names come from the fixed list above, never from input.
    let select = match table {
        "service_objects" => include_str!("../sql/points_service_objects.sql"),
        _ => include_str!("../sql/points_facilities.sql"),
    };
    let update = match table {
        "service_objects" => include_str!("../sql/reassign_service_objects.sql"),
        _ => include_str!("../sql/reassign_facilities.sql"),
    };
    // One connection reads, the other writes (a DuckDB connection streams one result at a
    // time).
    let reader = store.connection()?;
    let writer = store.connection()?;
    writer.execute_batch(
        "CREATE OR REPLACE TEMP TABLE reassigned (id UBIGINT, county_code INTEGER, h3 UBIGINT);",
    )?;
    let apply = |ids: &[u64], points: &[(f64, f64)]| -> Result<()> {
        let assignments = index.assign_all(points);
        writer.execute_batch("BEGIN TRANSACTION")?;
        let applied = (|| -> Result<()> {
            {
                let mut appender = writer.appender("reassigned")?;
                for (id, a) in ids.iter().zip(&assignments) {
                    appender.append_row(duckdb::params![
                        id,
                        a.county.map(|c| c.get()),
                        a.cell.map(u64::from)
                    ])?;
                }
                appender.flush()?;
            }
            // The chunk's id range lets DuckDB skip the row groups outside it.
            let (lo, hi) = ids
                .iter()
                .fold((u64::MAX, 0), |(lo, hi), &id| (lo.min(id), hi.max(id)));
            writer.execute(update, duckdb::params![lo, hi])?;
            writer.execute_batch("DELETE FROM reassigned; COMMIT")?;
            Ok(())
        })();
        if applied.is_err() {
            let _ = writer.execute_batch("ROLLBACK");
        }
        applied
    };
    let mut stmt = reader.prepare(select)?;
    let mut rows = stmt.query([])?;
    let (mut ids, mut points) = (Vec::new(), Vec::new());
    let mut total = 0u64;
    while let Some(row) = rows.next()? {
        ids.push(row.get::<_, u64>(0)?);
        points.push((row.get(1)?, row.get(2)?));
        if ids.len() == chunk {
            apply(&ids, &points)?;
            total += ids.len() as u64;
            ids.clear();
            points.clear();
        }
    }
    if !ids.is_empty() {
        apply(&ids, &points)?;
        total += ids.len() as u64;
    }
    writer.execute_batch("DROP TABLE reassigned")?;
    Ok(total)
}

/// A points CSV read in chunks: the header names `lon` and `lat` (any other columns pass
/// through); each row is checked as it is read and bad ones are kept as problems with their
/// line number.
struct PointReader {
    lines: std::io::Lines<BufReader<std::fs::File>>,
    header: String,
    columns: usize,
    lon_at: usize,
    lat_at: usize,
    line_no: usize,
    /// The first problems (for the report) and how many there are.
    problems: Vec<String>,
    problem_count: usize,
}

impl PointReader {
    /// Problems kept for the report; the rest are counted.
    const SHOWN: usize = 20;

    fn open(input: &Path) -> Result<PointReader> {
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
        Ok(PointReader {
            columns: columns.len(),
            lines,
            header,
            lon_at,
            lat_at,
            line_no: 1,
            problems: Vec::new(),
            problem_count: 0,
        })
    }

    /// Refills `rows` and `points` with up to [`ASSIGN_CHUNK`] good rows; `false` at the end.
    fn next_chunk(&mut self, rows: &mut Vec<String>, points: &mut Vec<(f64, f64)>) -> Result<bool> {
        rows.clear();
        points.clear();
        let mut read_any = false;
        while rows.len() < ASSIGN_CHUNK {
            let Some(line) = self.lines.next() else { break };
            read_any = true;
            self.line_no += 1;
            let line_no = self.line_no;
            let line = line.with_context(|| format!("line {line_no}: not valid UTF-8 text"))?;
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            match self.parse(line) {
                Ok(point) => {
                    points.push(point);
                    rows.push(line.to_string());
                }
                Err(problem) => {
                    self.problem_count += 1;
                    if self.problems.len() < Self::SHOWN {
                        self.problems.push(problem);
                    }
                }
            }
        }
        Ok(read_any)
    }

    fn parse(&self, line: &str) -> Result<(f64, f64), String> {
        let line_no = self.line_no;
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != self.columns {
            return Err(format!(
                "line {line_no}: expected {} fields, got {}",
                self.columns,
                fields.len()
            ));
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
        Ok((
            parse(self.lon_at, "lon", -180.0..=180.0)?,
            parse(self.lat_at, "lat", -90.0..=90.0)?,
        ))
    }
}

/// `shikong ingest FILE`: validates a file and lands it as one batch, or nothing (always
/// nothing with `check`); writes the problem report (CSV or XLSX by the file extension) when
/// there are problems.
pub fn ingest(
    config: &Config,
    file: &Path,
    request: crate::ingest::IngestRequest,
    report: Option<&Path>,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let store = bootstrap::ensure_database(config)?;
    let refs = crate::ingest::References::load(
        &store,
        bootstrap::load_or_create_key(&config.hmac_key_file)?,
    )?;
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} rows ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message("校验入库 validating");
    eprintln!("ingest: reading {} ({} bytes)", file.display(), bytes.len());
    // Without a terminal (logs, scripts) progress is one line per chunk of rows.
    let lines = bar.is_hidden();
    let outcome = crate::ingest::ingest(&refs.context(&store), &bytes, &request, &|n| {
        if lines {
            eprintln!("ingest: {n} rows validated");
        } else {
            bar.set_position(n);
        }
    })?;
    bar.finish_and_clear();
    let b = &outcome.batch;
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    let problems = if outcome.duplicate_of.is_none() && !outcome.summary.is_empty() {
        store.problems(b.batch_id, None, u64::MAX, 0)?
    } else {
        Vec::new()
    };
    if !problems.is_empty() {
        let path = report.map(Path::to_path_buf).unwrap_or_else(|| {
            config
                .data_dir
                .join("reports")
                .join(format!("batch-{}-problems.csv", b.batch_id))
        });
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        {
            std::fs::write(
                &path,
                crate::ingest::report::xlsx(&problems, &outcome.summary)?,
            )?;
        } else {
            let mut out = BufWriter::new(std::fs::File::create(&path)?);
            crate::ingest::report::write_csv(&problems, &mut out)?;
            out.flush()?;
        }
        eprintln!("problem report 问题数据反馈: {}", path.display());
    }
    match (outcome.duplicate_of, b.status.as_str()) {
        (Some(id), _) => {
            eprintln!("same file already committed as batch {id}: nothing loaded again")
        }
        (None, "committed") => eprintln!(
            "batch {} committed: {} rows ({} flagged) in {:.2} s ({:.0} rows/s)",
            b.batch_id,
            b.rows_accepted,
            b.rows_flagged,
            outcome.seconds,
            b.rows_total as f64 / outcome.seconds.max(1e-9)
        ),
        (None, "checked") if outcome.passed() => eprintln!(
            "batch {} checked: {} rows would land ({} flagged), nothing stored; {:.2} s ({:.0} rows/s)",
            b.batch_id,
            b.rows_accepted,
            b.rows_flagged,
            outcome.seconds,
            b.rows_total as f64 / outcome.seconds.max(1e-9)
        ),
        _ => anyhow::bail!(
            "batch {} {}: {} of {} rows in error, nothing loaded (see the problem report)",
            b.batch_id,
            b.status,
            b.rows_rejected,
            b.rows_total
        ),
    }
    Ok(())
}

/// Stores a province's declaration after checking it names a province, a kind and a month.
pub fn declare(config: &Config, mut d: crate::store::Declaration) -> Result<()> {
    let store = bootstrap::ensure_database(config)?;
    let registry = store.load_registry()?;
    let province = crate::domain::DivisionCode::new(d.province_code)
        .ok()
        .filter(|c| registry.get(*c).map(|i| i.depth) == Some(1))
        .ok_or_else(|| anyhow::anyhow!("--province {} is not a province code", d.province_code))?;
    let kind = crate::domain::Kind::from_id(&d.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown kind {:?}", d.kind))?;
    let month: crate::domain::Month = d
        .month
        .parse()
        .map_err(|e| anyhow::anyhow!("--month: {e}"))?;
    if let Some(c) = &d.checksum {
        anyhow::ensure!(
            c.len() == 16 && c.bytes().all(|b| b.is_ascii_hexdigit()),
            "--checksum {c:?} is not 16 hex digits"
        );
    }
    d.province_code = province.get();
    d.kind = kind.id().to_string();
    d.month = month.to_string();
    d.checksum = d.checksum.map(|c| c.to_ascii_lowercase());
    store.declare(std::slice::from_ref(&d))?;
    let result =
        crate::analytics::governance::reconciliation(&store, &registry, month, Some(kind))?;
    let line = result
        .rows
        .iter()
        .find(|r| r.province_code == d.province_code);
    println!("{}", serde_json::to_string_pretty(&line)?);
    Ok(())
}

/// Prints a CSV file's rows and identity checksum (部省对账) as JSON.
pub fn checksum(config: &Config, file: &Path, kind: &str, encoding: &str) -> Result<()> {
    let kind = crate::domain::Kind::from_id(kind)
        .ok_or_else(|| anyhow::anyhow!("unknown kind {kind:?}"))?;
    let encoding = crate::ingest::Encoding::from_id(encoding)
        .ok_or_else(|| anyhow::anyhow!("unknown encoding {encoding:?}"))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let hasher = bootstrap::load_or_create_key(&config.hmac_key_file)?;
    match crate::ingest::reference::file_checksum(&bytes, kind, encoding, &hasher) {
        Ok((rows, checksum)) => {
            println!(
                "{}",
                serde_json::json!({"rows": rows, "checksum": checksum})
            );
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("line {}: {} {}", p.line, p.reason.message_zh(), p.detail);
            }
            anyhow::bail!("cannot read {}", file.display())
        }
    }
}

/// Loads a reference list; fails (after printing every problem) when a row is wrong.
pub fn reference(
    config: &Config,
    file: &Path,
    name: &str,
    encoding: &str,
    who: &str,
) -> Result<()> {
    let encoding = crate::ingest::Encoding::from_id(encoding)
        .ok_or_else(|| anyhow::anyhow!("unknown encoding {encoding:?}"))?;
    anyhow::ensure!(!name.trim().is_empty(), "--name is empty");
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let store = bootstrap::ensure_database(config)?;
    let hasher = bootstrap::load_or_create_key(&config.hmac_key_file)?;
    let report =
        crate::ingest::reference::load(&store, &hasher, name.trim(), &bytes, encoding, who)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    anyhow::ensure!(
        report.list.is_some(),
        "reference list rejected: {} problem(s), nothing stored",
        report.problems.len()
    );
    Ok(())
}

/// Writes the partitioned GeoParquet export, with a line per province on stderr.
pub fn export_parquet(config: &Config, out: &Path) -> Result<()> {
    let store = bootstrap::ensure_database(config)?;
    let bar = indicatif::ProgressBar::new(34).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} provinces {msg}")
            .expect("valid template"),
    );
    let lines = bar.is_hidden();
    let summary = crate::scaleout::export_parquet(&store, out, &|province, rows| {
        if lines {
            eprintln!("export: {province} {rows} records");
        } else {
            bar.inc(1);
            bar.set_message(format!("{province}: {rows}"));
        }
    })?;
    bar.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// Loads an engine's aggregates (all or nothing) and prints what was loaded.
pub fn import_stats(config: &Config, dir: &Path, source: &str) -> Result<()> {
    anyhow::ensure!(
        !source.is_empty()
            && source.len() <= 64
            && source
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "--source must be 1–64 letters, digits, _ or -"
    );
    let store = bootstrap::ensure_database(config)?;
    let summary = crate::scaleout::import_stats(&store, dir, source)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileConfig;

    type Assigned = Vec<(u64, Option<i32>, Option<u64>)>;

    /// Settings for a synthetic database of `records` in `dir`.
    fn config_in(dir: &Path, records: u64) -> Config {
        Config::resolve(
            None,
            FileConfig {
                data_dir: Some(dir.to_path_buf()),
                records: Some(records),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn assigned(store: &Store, table: &str) -> Assigned {
        let conn = store.connection().unwrap();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, county_code, h3 FROM {table} ORDER BY id"
            ))
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn reassigning_in_chunks_restores_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path(), 20_000);
        let store = bootstrap::ensure_database(&config).unwrap();
        let index = bootstrap::county_index(&store).unwrap();
        for table in ["service_objects", "facilities"] {
            let before = assigned(&store, table);
            assert!(before.iter().filter(|r| r.1.is_some()).count() > before.len() / 2);
            store
                .connection()
                .unwrap()
                .execute_batch(&format!("UPDATE {table} SET county_code = NULL, h3 = NULL"))
                .unwrap();
            // Chunks far smaller than the table: many chunks, the last one partial.
            let n = reassign_table(&store, &index, table, 997).unwrap();
            assert_eq!(n, before.len() as u64, "{table}");
            assert_eq!(assigned(&store, table), before, "{table}");
        }
    }

    #[test]
    fn an_interrupted_reassignment_keeps_the_server_from_starting_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path(), 5_000);
        let store = bootstrap::ensure_database(&config).unwrap();
        // As a killed `shikong assign` leaves it.
        store.set_meta(bootstrap::REASSIGN_MARK, "running").unwrap();
        drop(store);
        let refused = bootstrap::ensure_database(&config).err().unwrap();
        assert!(refused.to_string().contains("shikong assign"), "{refused}");
        assign_stored(&config).unwrap();
        bootstrap::ensure_database(&config).unwrap();
    }
}
