//! `shikong import-stats DIR`: aggregates a distributed engine wrote as Parquet (records per
//! leaf county, kind and month) loaded whole, or not at all, to be served beside shikong's
//! own figures.

use crate::domain::{DivisionCode, Kind, Month, Registry};
use crate::store::{Store, StoreError};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::Array;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

/// What an import loaded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    /// The source name the rows are kept under.
    pub source: String,
    /// Parquet files read.
    pub files: u64,
    /// Aggregate rows loaded.
    pub rows: u64,
    /// Sum of their counts.
    pub records: u64,
}

/// Why an import was refused (nothing is loaded).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or row is not what the import expects.
    #[error("{file}: {message}")]
    Invalid {
        /// The file (and row, when one is at fault).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(file: &Path, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        file: file.display().to_string(),
        message: message.into(),
    }
}

/// One aggregate row: county (or none), kind, month, records.
type Aggregate = (Option<u32>, String, String, u64);

fn read_file(path: &Path, registry: &Registry) -> Result<Vec<Aggregate>, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| invalid(path, e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| invalid(path, format!("not Parquet: {e}")))?
        .build()
        .map_err(|e| invalid(path, e.to_string()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| invalid(path, e.to_string()))?;
        let column = |name: &str, ty: &DataType| {
            let array = batch.column_by_name(name).ok_or_else(|| {
                invalid(
                    path,
                    format!("no column {name:?} (need county_code, kind, month, records)"),
                )
            })?;
            arrow_cast::cast(array, ty).map_err(|e| invalid(path, format!("column {name}: {e}")))
        };
        let county = column("county_code", &DataType::Int32)?;
        let kind = column("kind", &DataType::Utf8)?;
        let month = column("month", &DataType::Utf8)?;
        let records = column("records", &DataType::Int64)?;
        let (county, kind, month, records) = (
            county.as_primitive::<Int32Type>(),
            kind.as_string::<i32>(),
            month.as_string::<i32>(),
            records.as_primitive::<Int64Type>(),
        );
        for i in 0..batch.num_rows() {
            let at = |m: String| invalid(path, format!("row {}: {m}", out.len() + 1));
            let code = if county.is_null(i) {
                None
            } else {
                let c = county.value(i);
                let leaf = u32::try_from(c)
                    .ok()
                    .and_then(|c| DivisionCode::new(c).ok())
                    .and_then(|c| registry.get(c))
                    .is_some_and(|d| d.is_leaf);
                if !leaf {
                    return Err(at(format!(
                        "county_code {c} is not a county-level division"
                    )));
                }
                Some(c as u32)
            };
            if kind.is_null(i) || Kind::from_id(kind.value(i)).is_none() {
                return Err(at(format!("unknown kind {:?}", kind.value(i))));
            }
            if month.is_null(i) || month.value(i).parse::<Month>().is_err() {
                return Err(at(format!("month {:?} is not YYYY-MM", month.value(i))));
            }
            let n = u64::try_from(records.value(i))
                .ok()
                .filter(|_| !records.is_null(i))
                .ok_or_else(|| at(format!("records {} is not a count", records.value(i))))?;
            out.push((
                code,
                kind.value(i).to_string(),
                month.value(i).to_string(),
                n,
            ));
        }
    }
    Ok(out)
}

/// Loads every `*.parquet` file under `dir` as source `source`, replacing that source's
/// earlier rows, in one transaction.
pub fn import_stats(store: &Store, dir: &Path, source: &str) -> Result<ImportSummary, ImportError> {
    let registry = store.load_registry()?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| invalid(dir, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid(dir, "no .parquet files"));
    }
    let mut rows = Vec::new();
    for f in &files {
        rows.extend(read_file(f, &registry)?);
    }
    store.replace_imported_stats(source, &rows)?;
    Ok(ImportSummary {
        source: source.to_string(),
        files: files.len() as u64,
        records: rows.iter().map(|r| r.3).sum(),
        rows: rows.len() as u64,
    })
}
