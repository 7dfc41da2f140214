//! `shikong export parquet`: records and boundaries as Hive-partitioned GeoParquet 1.1.
//!
//! ```text
//! OUT/records/province=330000/month=2025-06/part-0.parquet   one file per partition
//! OUT/divisions/divisions.parquet                            every division, WKB multipolygon
//! ```
//! Records stream from DuckDB one province at a time in partition order, in row groups of
//! [`ROW_GROUP_ROWS`]: memory stays bounded whatever the data's size.

use super::wkb;
use crate::domain::{DivisionCode, Registry};
use crate::store::{Store, StoreError};
use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use geo::{BoundingRect, MultiPolygon};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::format::KeyValue;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const EXPORT_RECORDS: &str = include_str!("../../sql/export_records.sql");

/// Rows per Parquet row group (and per Arrow batch held in memory).
pub const ROW_GROUP_ROWS: usize = 65_536;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    /// Records written.
    pub records: u64,
    /// Partition files written.
    pub files: u64,
    /// Divisions written.
    pub divisions: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a file failed.
    #[error("writing {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

impl From<duckdb::Error> for ExportError {
    fn from(e: duckdb::Error) -> Self {
        ExportError::Store(StoreError::Db(e))
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn records_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("lon", DataType::Float64, false),
        Field::new("lat", DataType::Float64, false),
        Field::new("declared_code", DataType::Int32, false),
        Field::new("county_code", DataType::Int32, true),
        Field::new("h3", DataType::Utf8, true),
        Field::new("valid_from", DataType::Date32, false),
        Field::new("valid_to", DataType::Date32, true),
        Field::new("person_hash", DataType::Utf8, true),
        Field::new("geometry", DataType::Binary, false),
    ]))
}

/// The GeoParquet 1.1 file metadata for a WKB column of `types` within `bbox`.
fn geo_metadata(types: &[&str], bbox: [f64; 4]) -> KeyValue {
    // One step outward on each side: a reader whose decimal parsing is off by the last
    // bit still finds every point inside.
    let bbox = [
        bbox[0].next_down(),
        bbox[1].next_down(),
        bbox[2].next_up(),
        bbox[3].next_up(),
    ];
    let value = serde_json::json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB",
            "geometry_types": types,
            "bbox": bbox,
            // Longitude/latitude on WGS84 (OGC:CRS84), GeoParquet's default: no crs key.
        }},
    });
    KeyValue::new("geo".to_string(), value.to_string())
}

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build()
}

/// Rows of one partition file being written.
struct Partition {
    path: PathBuf,
    writer: ArrowWriter<File>,
    bbox: [f64; 4],
    buffer: RecordsBuilder,
}

#[derive(Default)]
struct RecordsBuilder {
    id: Int64Builder,
    kind: StringBuilder,
    lon: Float64Builder,
    lat: Float64Builder,
    declared: Int32Builder,
    county: Int32Builder,
    h3: StringBuilder,
    from: Date32Builder,
    to: Date32Builder,
    person: StringBuilder,
    geometry: BinaryBuilder,
    rows: usize,
}

impl RecordsBuilder {
    fn finish(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        vec![
            Arc::new(self.id.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.lon.finish()),
            Arc::new(self.lat.finish()),
            Arc::new(self.declared.finish()),
            Arc::new(self.county.finish()),
            Arc::new(self.h3.finish()),
            Arc::new(self.from.finish()),
            Arc::new(self.to.finish()),
            Arc::new(self.person.finish()),
            Arc::new(self.geometry.finish()),
        ]
    }
}

impl Partition {
    fn create(dir: &Path) -> Result<Partition, ExportError> {
        std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
        let path = dir.join("part-0.parquet");
        let file = File::create(&path).map_err(|e| write_error(&path, e))?;
        let writer = ArrowWriter::try_new(file, records_schema(), Some(properties()))
            .map_err(|e| write_error(&path, e))?;
        Ok(Partition {
            path,
            writer,
            bbox: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            buffer: RecordsBuilder::default(),
        })
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        if self.buffer.rows == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new(records_schema(), self.buffer.finish())
            .map_err(|e| write_error(&self.path, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| write_error(&self.path, e))
    }

    fn close(mut self) -> Result<(), ExportError> {
        self.flush()?;
        self.writer
            .append_key_value_metadata(geo_metadata(&["Point"], self.bbox));
        self.writer
            .close()
            .map_err(|e| write_error(&self.path, e))?;
        Ok(())
    }
}

fn days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as i32
}

/// Writes the divisions file: code, name, level, parent, representatives, leaf flag and the
/// boundary as WKB.
fn export_divisions(
    registry: &Registry,
    geometries: &HashMap<DivisionCode, MultiPolygon<f64>>,
    dir: &Path,
) -> Result<u64, ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let path = dir.join("divisions.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("code", DataType::Int32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("level", DataType::Utf8, false),
        Field::new("parent_code", DataType::Int32, true),
        Field::new("province_code", DataType::Int32, false),
        Field::new("is_leaf", DataType::Boolean, false),
        Field::new("geometry", DataType::Binary, false),
    ]));
    let (mut code, mut name, mut level, mut parent, mut province, mut leaf, mut geometry) = (
        Int32Builder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        Int32Builder::new(),
        Int32Builder::new(),
        BooleanBuilder::new(),
        BinaryBuilder::new(),
    );
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut written = 0;
    for d in registry.all() {
        let Some(g) = geometries.get(&d.code) else {
            continue;
        };
        if let Some(r) = g.bounding_rect() {
            bbox = [
                bbox[0].min(r.min().x),
                bbox[1].min(r.min().y),
                bbox[2].max(r.max().x),
                bbox[3].max(r.max().y),
            ];
        }
        code.append_value(d.code.get() as i32);
        name.append_value(&d.name);
        level.append_value(d.level.id());
        parent.append_option(d.parent.map(|p| p.get() as i32));
        province.append_value(registry.lineage(d.code)[0].code.get() as i32);
        leaf.append_value(d.is_leaf);
        geometry.append_value(wkb::multi_polygon(g));
        written += 1;
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(code.finish()),
        Arc::new(name.finish()),
        Arc::new(level.finish()),
        Arc::new(parent.finish()),
        Arc::new(province.finish()),
        Arc::new(leaf.finish()),
        Arc::new(geometry.finish()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| write_error(&path, e))?;
    let file = File::create(&path).map_err(|e| write_error(&path, e))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(properties()))
        .map_err(|e| write_error(&path, e))?;
    writer.write(&batch).map_err(|e| write_error(&path, e))?;
    writer.append_key_value_metadata(geo_metadata(&["MultiPolygon"], bbox));
    writer.close().map_err(|e| write_error(&path, e))?;
    Ok(written)
}

/// Exports every record and every division under `out` (which must not hold an earlier
/// export). `progress` is told each province when it is done, with its rows.
pub fn export_parquet(
    store: &Store,
    out: &Path,
    progress: &dyn Fn(DivisionCode, u64),
) -> Result<ExportSummary, ExportError> {
    let started = Instant::now();
    let records_dir = out.join("records");
    if records_dir.exists() {
        return Err(write_error(
            &records_dir,
            "already exists: export into an empty directory",
        ));
    }
    let registry = store.load_registry()?;
    let geometries = crate::datasets::boundaries::parse_geometry_texts(store.load_geometries()?)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let divisions = export_divisions(&registry, &geometries, &out.join("divisions"))?;
    drop(geometries);

    let conn = store.connection()?;
    let mut stmt = conn.prepare(EXPORT_RECORDS)?;
    let (mut records, mut files) = (0u64, 0u64);
    let provinces: Vec<DivisionCode> = registry
        .all()
        .iter()
        .filter(|d| d.depth == 1)
        .map(|d| d.code)
        .collect();
    for province in provinces {
        let mut rows = stmt.query([province.get()])?;
        let mut current: Option<(String, Partition)> = None;
        let mut in_province = 0u64;
        while let Some(row) = rows.next()? {
            let month: String = row.get(10)?;
            if current.as_ref().is_none_or(|(m, _)| *m != month) {
                if let Some((_, done)) = current.take() {
                    done.close()?;
                }
                let dir = records_dir
                    .join(format!("province={}", province.get()))
                    .join(format!("month={month}"));
                current = Some((month, Partition::create(&dir)?));
                files += 1;
            }
            let (_, part) = current.as_mut().expect("a partition is open");
            let lon: f64 = row.get(2)?;
            let lat: f64 = row.get(3)?;
            let b = &mut part.buffer;
            b.id.append_value(row.get::<_, u64>(0)? as i64);
            b.kind.append_value(row.get::<_, String>(1)?);
            b.lon.append_value(lon);
            b.lat.append_value(lat);
            b.declared.append_value(row.get::<_, u32>(4)? as i32);
            b.county
                .append_option(row.get::<_, Option<u32>>(5)?.map(|c| c as i32));
            b.h3.append_option(row.get::<_, Option<u64>>(6)?.map(|c| format!("{c:x}")));
            b.from.append_value(days(row.get::<_, NaiveDate>(7)?));
            b.to.append_option(row.get::<_, Option<NaiveDate>>(8)?.map(days));
            b.person.append_option(row.get::<_, Option<String>>(9)?);
            b.geometry.append_value(wkb::point(lon, lat));
            b.rows += 1;
            part.bbox = [
                part.bbox[0].min(lon),
                part.bbox[1].min(lat),
                part.bbox[2].max(lon),
                part.bbox[3].max(lat),
            ];
            if b.rows >= ROW_GROUP_ROWS {
                part.flush()?;
            }
            in_province += 1;
        }
        if let Some((_, done)) = current.take() {
            done.close()?;
        }
        records += in_province;
        progress(province, in_province);
    }
    Ok(ExportSummary {
        records,
        files,
        divisions,
        seconds: started.elapsed().as_secs_f64(),
    })
}
