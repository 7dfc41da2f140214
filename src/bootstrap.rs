//! Builds what is missing: the DuckDB file from the embedded boundaries and the synthetic
//! default dataset, with progress bars. A database is built under a temporary name and
//! renamed into place only when complete, so an interrupted build never looks finished.

use crate::config::Config;
use crate::datasets::{self, boundaries::Boundaries, SyntheticOptions};
use crate::domain::identity::PersonHasher;
use crate::domain::{DivisionCode, Level, Registry};
use crate::spatial::geojson::multipolygon_to_geojson;
use crate::spatial::CountyIndex;
use crate::store::{DivisionRow, Store, SCHEMA_VERSION};
use anyhow::{Context, Result};
use geo::{BoundingRect, Centroid, ChamberlainDuquetteArea, MultiPolygon};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Meta key set to `running` while `shikong assign` re-assigns the stored records chunk by
/// chunk (each chunk committed), `done` once every row is re-assigned.
pub const REASSIGN_MARK: &str = "reassign";

/// Rows of the synthetic dataset appended per transaction while the database is built.
const COMMIT_EVERY_ROWS: u64 = 5_000_000;

/// Batch id of the embedded synthetic dataset.
pub const SYNTHETIC_BATCH: u64 = 1;

/// Opens the database, building it first when it is missing, incomplete, or was built with
/// other settings (schema version, record count, seed).
pub fn ensure_database(config: &Config) -> Result<Store> {
    let path = config.database_path();
    if path.exists() {
        let store = config.open_store(&path)?;
        let wanted = [
            ("initialized", "1".to_string()),
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("records", config.records.to_string()),
            ("seed", config.seed.to_string()),
        ];
        let mut current = true;
        for (key, value) in &wanted {
            current &= store.meta(key)?.as_deref() == Some(value.as_str());
        }
        if current {
            anyhow::ensure!(
                store.meta(REASSIGN_MARK)?.as_deref() != Some("running"),
                "database {}: an interrupted `shikong assign` left the records partly re-assigned \
                 to the current boundaries; run `shikong assign` again to finish it (every record \
                 keeps its point, nothing is lost) before serving",
                path.display()
            );
            // The shipped code-change table, which a newer release may have corrected or
            // completed (its names and 并入/合并 came later than some databases).
            store.write_code_changes(&datasets::code_changes().map_err(anyhow::Error::msg)?)?;
            let interrupted = store.mark_interrupted()?;
            if !interrupted.is_empty() {
                tracing::warn!(
                    ?interrupted,
                    "batches interrupted by a stopped process: none of their rows landed"
                );
            }
            return Ok(store);
        }
        let ingested = store
            .batches(None, None, u64::MAX)
            .unwrap_or_default()
            .into_iter()
            .filter(|b| b.source != "synthetic" && b.status == "committed")
            .count();
        anyhow::ensure!(
            ingested == 0,
            "database {} holds {ingested} ingested batches but was built with other settings \
             (records/seed/schema); refusing to rebuild it over them. Use the settings it was built \
             with, another --data-dir, or `shikong init --force` to discard it.",
            path.display()
        );
        tracing::warn!(path = %path.display(), "database was built with other settings; rebuilding");
        drop(store);
    }
    build_database(config, &path)?;
    Ok(config.open_store(&path)?)
}

/// Builds the database at `path` from scratch.
pub fn build_database(config: &Config, path: &Path) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let building = path.with_extension("duckdb.building");
    remove_database_files(&building)?;
    let hasher = load_or_create_key(&config.hmac_key_file)?;

    let step = spinner("读取边界 loading boundaries");
    let boundaries = datasets::load_embedded()?;
    let rows = division_rows(&boundaries);
    step.finish_with_message(format!("边界 boundaries: {} divisions", rows.len()));

    let store = config.open_store(&building)?;
    store.write_kinds()?;
    store.write_divisions(&boundaries.registry, &rows)?;
    store.write_code_changes(&datasets::code_changes().map_err(anyhow::Error::msg)?)?;

    let step = spinner("建立空间索引 building the county index");
    let index = CountyIndex::build(leaf_geometries(
        &boundaries.registry,
        &boundaries.geometries,
    ));
    step.finish_with_message(format!(
        "空间索引 county index: {} counties, {:.1}% of grid cells answer without a polygon test",
        index.len(),
        100.0 * index.cache_ratio()
    ));

    let options = SyntheticOptions {
        records: config.records,
        seed: config.seed,
        ..Default::default()
    };
    let bar = ProgressBar::new(options.records).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("生成合成数据 generating synthetic records");
    let mut loader = store.begin_load()?;
    let mut since_commit = 0u64;
    datasets::generate(
        &options,
        &boundaries.registry,
        &boundaries.geometries,
        &index,
        &hasher,
        SYNTHETIC_BATCH,
        |chunk| {
            loader.append_objects(&chunk.objects)?;
            loader.append_facilities(&chunk.facilities)?;
            let rows = (chunk.objects.len() + chunk.facilities.len()) as u64;
            bar.inc(rows);
            // The file is built aside and renamed when complete: committing along the way
            // keeps memory flat at any size.
            since_commit += rows;
            if since_commit >= COMMIT_EVERY_ROWS {
                loader.commit_so_far()?;
                since_commit = 0;
            }
            Ok(())
        },
    )?;
    let (objects, facilities) = loader.appended();
    loader.commit(
        SYNTHETIC_BATCH,
        "synthetic",
        &format!("seed {} records {}", options.seed, options.records),
        None,
    )?;
    bar.finish_with_message(format!(
        "合成数据 synthetic: {objects} service objects, {facilities} facilities"
    ));

    for (key, value) in [
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("records", config.records.to_string()),
        ("seed", config.seed.to_string()),
        ("first_month", options.first_month().to_string()),
        ("last_month", options.last_month.to_string()),
        (
            "data_version",
            format!("{}-{}", SYNTHETIC_BATCH, options.seed),
        ),
        ("initialized", "1".to_string()),
    ] {
        store.set_meta(key, &value)?;
    }
    store.checkpoint()?;
    drop(store);
    remove_database_files(path)?;
    std::fs::rename(&building, path)
        .with_context(|| format!("moving {} into place", building.display()))?;
    tracing::info!(path = %path.display(), seconds = started.elapsed().as_secs_f64(), "database built");
    Ok(())
}

/// Builds the assignment index from the boundaries stored in the database.
pub fn county_index(store: &Store) -> Result<CountyIndex> {
    let registry = store.load_registry()?;
    let geometries = datasets::boundaries::parse_geometry_texts(store.load_geometries()?)?;
    Ok(CountyIndex::build(leaf_geometries(&registry, &geometries)))
}

/// The leaves' boundaries, in code order.
pub fn leaf_geometries<'a>(
    registry: &'a Registry,
    geometries: &'a HashMap<DivisionCode, MultiPolygon<f64>>,
) -> impl Iterator<Item = (DivisionCode, &'a MultiPolygon<f64>)> + 'a {
    registry
        .leaves()
        .filter_map(|d| Some((d.code, geometries.get(&d.code)?)))
}

/// Derived facts for every division: representatives, centroid, bbox, area, estimated
/// population, GeoJSON.
pub fn division_rows(boundaries: &Boundaries) -> Vec<DivisionRow> {
    let registry = &boundaries.registry;
    let areas: HashMap<DivisionCode, f64> = boundaries
        .geometries
        .par_iter()
        .map(|(code, g)| (*code, g.chamberlain_duquette_unsigned_area() / 1e6))
        .collect();
    let population = datasets::population::estimate_populations(registry, &areas);
    registry
        .all()
        .par_iter()
        .filter_map(|d| {
            let geometry = boundaries.geometries.get(&d.code)?;
            let bbox = geometry.bounding_rect()?;
            let centroid = geometry.centroid()?;
            let representatives =
                Level::ALL.map(|level| registry.representative(d.code, level).unwrap_or(d.code));
            Some(DivisionRow {
                code: d.code,
                representatives,
                centroid: (centroid.x(), centroid.y()),
                bbox: [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y],
                area_km2: areas.get(&d.code).copied().unwrap_or_default(),
                population: population.get(&d.code).copied(),
                geometry: multipolygon_to_geojson(geometry, 5),
            })
        })
        .collect()
}

/// Reads the HMAC key, creating a random one (readable by the owner only) if missing.
pub fn load_or_create_key(path: &Path) -> Result<PersonHasher> {
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let key: [u8; 32] = rand::random();
        write_private(path, hex::encode(key).as_bytes())?;
        tracing::info!(path = %path.display(), "created a new HMAC key for person identifiers");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading HMAC key {}", path.display()))?;
    let key = hex::decode(text.trim()).unwrap_or_else(|_| text.trim().as_bytes().to_vec());
    PersonHasher::new(&key).map_err(|e| anyhow::anyhow!("HMAC key {}: {e}", path.display()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)?;
    Ok(())
}

fn remove_database_files(path: &Path) -> Result<()> {
    for file in [
        path.to_path_buf(),
        PathBuf::from(format!("{}.wal", path.display())),
    ] {
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    Ok(())
}

fn spinner(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
