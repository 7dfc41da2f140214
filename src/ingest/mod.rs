//! Ingest: files of service objects (CSV · GeoJSON · Parquet) validated row by row, assigned
//! to counties and landed as one all-or-nothing batch with a ledger row and a problem report
//! (问题数据反馈). A batch with any row in error lands nothing; findings (e.g. a point outside
//! its declared county) are reported and the rows land.

pub mod contract;
pub mod problem;
pub mod read;
pub mod reference;
pub mod report;
pub mod validate;

pub use problem::{Problem, Reason, Severity};
pub use read::{Encoding, Format};

use crate::domain::identity::PersonHasher;
use crate::domain::{CodeChanges, Datum, DivisionCode, Kind, Month, Registry};
use crate::spatial::{BoundaryDistance, CountyIndex};
use crate::store::{BatchRow, ProblemRow, RowsToAppend, Store, StoreError};
use chrono::Datelike;
use geo::MultiPolygon;
use rayon::prelude::*;
use read::{HeaderMap, OwnedRow};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::Instant;
use validate::{Accepted, RowResult, Validator};

/// Rows validated together (in parallel) before they are appended.
const CHUNK_ROWS: usize = 65_536;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Kind of every row.
    pub kind: Kind,
    /// The declaring province: rows of other provinces are rejected.
    pub province: Option<DivisionCode>,
    /// The month the file reports (a province×kind×month slice).
    pub month: Option<Month>,
    /// Replace the slice's previously committed batches.
    pub replace: bool,
    /// Format (`None`: from the first bytes).
    pub format: Option<Format>,
    /// Text encoding of a CSV file.
    pub encoding: Encoding,
    /// Coordinate system of the points.
    pub datum: Datum,
    /// Metres a point may lie outside its declared county without a finding.
    pub tolerance_m: f64,
    /// File name, for the ledger.
    pub file_name: String,
    /// `cli` or `api`.
    pub source: String,
    /// Who loads it.
    pub who: String,
    /// Check only (预检): every row is validated and the problem report written, but no
    /// record is stored; the ledger row says `checked`.
    pub check: bool,
}

impl IngestRequest {
    /// A request with defaults: auto format and encoding, WGS84, 1 km tolerance.
    pub fn new(kind: Kind, file_name: &str) -> IngestRequest {
        IngestRequest {
            kind,
            province: None,
            month: None,
            replace: false,
            format: None,
            encoding: Encoding::Auto,
            datum: Datum::Wgs84,
            tolerance_m: 1_000.0,
            file_name: file_name.to_string(),
            source: "cli".into(),
            who: "cli".into(),
            check: false,
        }
    }
}

/// The reference data a batch is checked against.
pub struct Context<'a> {
    /// The database.
    pub store: &'a Store,
    /// Division tree.
    pub registry: &'a Registry,
    /// Assignment index.
    pub index: &'a CountyIndex,
    /// Distances to leaf boundaries.
    pub boundaries: &'a BoundaryDistance,
    /// Division code changes.
    pub changes: &'a CodeChanges,
    /// Keyed hash of ID numbers.
    pub hasher: &'a PersonHasher,
}

/// What a batch is checked against, owned: loaded once from the database (the assignment
/// index takes a few seconds) and shared by every batch.
pub struct References {
    /// Division tree.
    pub registry: Registry,
    /// Assignment index over the leaves.
    pub index: CountyIndex,
    /// Distances to leaf boundaries.
    pub boundaries: BoundaryDistance,
    /// Code changes.
    pub changes: CodeChanges,
    /// Keyed hash of ID numbers.
    pub hasher: PersonHasher,
}

impl References {
    /// Loads them from the database.
    pub fn load(store: &Store, hasher: PersonHasher) -> Result<References, StoreError> {
        let registry = store.load_registry()?;
        let geometries =
            crate::datasets::boundaries::parse_geometry_texts(store.load_geometries()?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let leaf_geometries: HashMap<DivisionCode, MultiPolygon<f64>> = registry
            .leaves()
            .filter_map(|d| Some((d.code, geometries.get(&d.code)?.clone())))
            .collect();
        let index = CountyIndex::build(leaf_geometries.iter().map(|(c, g)| (*c, g)));
        Ok(References {
            changes: store.load_code_changes()?,
            hasher,
            registry,
            index,
            boundaries: BoundaryDistance::new(leaf_geometries),
        })
    }

    /// The ingest context over `store`.
    pub fn context<'a>(&'a self, store: &'a Store) -> Context<'a> {
        Context {
            store,
            registry: &self.registry,
            index: &self.index,
            boundaries: &self.boundaries,
            changes: &self.changes,
            hasher: &self.hasher,
        }
    }
}

/// Rows per reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReasonCount {
    /// Reason code.
    pub code: String,
    /// `error` or `finding`.
    pub severity: String,
    /// Problems with this reason.
    pub count: u64,
    /// Chinese message.
    pub message_zh: String,
    /// English message.
    pub message_en: String,
}

/// The outcome of a batch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchReport {
    /// The ledger row (for a duplicate upload: the batch that already holds the file).
    pub batch: BatchRow,
    /// Set when the same file was already committed: nothing was loaded again.
    pub duplicate_of: Option<u64>,
    /// Batches whose slice this one replaced.
    pub replaced: Vec<u64>,
    /// Problems per reason.
    pub summary: Vec<ReasonCount>,
    /// Header columns not in the contract (not stored).
    pub ignored_columns: Vec<String>,
    /// Wall time.
    pub seconds: f64,
}

impl BatchReport {
    /// Whether the file has no error (findings allowed): a check (预检) that passed.
    pub fn passed(&self) -> bool {
        self.summary.iter().all(|r| r.severity != "error")
    }
}

/// Why a batch could not be processed at all (not a data problem: those are in the report).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The request is inconsistent.
    #[error("{0}")]
    Request(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Per-reason counts of problem rows.
pub fn summarize(problems: impl IntoIterator<Item = (String, String, u64)>) -> Vec<ReasonCount> {
    problems
        .into_iter()
        .map(|(code, severity, count)| {
            let reason = Reason::from_code(&code);
            ReasonCount {
                message_zh: reason
                    .map(|r| r.message_zh())
                    .unwrap_or_default()
                    .to_string(),
                message_en: reason
                    .map(|r| r.message_en())
                    .unwrap_or_default()
                    .to_string(),
                code,
                severity,
                count,
            }
        })
        .collect()
}

/// SHA-256 of a file, hex.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Validates `bytes` and lands the batch whole, or reports why not. `progress` is told the
/// rows read so far.
pub fn ingest(
    ctx: &Context,
    bytes: &[u8],
    req: &IngestRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<BatchReport, IngestError> {
    let started = Instant::now();
    if req.replace && (req.province.is_none() || req.month.is_none()) {
        return Err(IngestError::Request(
            "replace needs the slice: province and month".into(),
        ));
    }
    if let Some(p) = req.province {
        if ctx.registry.get(p).map(|d| d.depth) != Some(1) {
            return Err(IngestError::Request(format!("{p} is not a province code")));
        }
    }
    let sum = checksum(bytes);
    if let Some(existing) = ctx
        .store
        .committed_batch_with_checksum(req.kind.id(), &sum)?
    {
        let batch = ctx
            .store
            .batches(Some(existing), None, 1)?
            .pop()
            .ok_or_else(|| StoreError::Corrupt(format!("batch {existing} vanished")))?;
        return Ok(BatchReport {
            summary: summarize(ctx.store.problem_summary(existing)?),
            batch,
            duplicate_of: Some(existing),
            replaced: Vec::new(),
            ignored_columns: Vec::new(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let (batch_id, first_record) = ctx.store.next_ids()?;
    let format = req.format.unwrap_or_else(|| Format::sniff(bytes));
    let mut ledger = BatchRow {
        batch_id,
        source: req.source.clone(),
        kind: Some(req.kind.id().to_string()),
        province_code: req.province.map(DivisionCode::get),
        month: req.month.map(|m| m.to_string()),
        file_name: Some(req.file_name.clone()),
        format: Some(format.id().to_string()),
        datum: Some(req.datum.id().to_string()),
        checksum: Some(sum),
        status: "running".into(),
        created_by: req.who.clone(),
        ..Default::default()
    };
    ctx.store.announce_batch(&ledger)?;

    let validator = Validator {
        kind: req.kind,
        province: req.province,
        month: req.month,
        today: chrono::Local::now().date_naive(),
        datum: req.datum,
        tolerance_m: req.tolerance_m,
        registry: ctx.registry,
        index: ctx.index,
        boundaries: ctx.boundaries,
        changes: ctx.changes,
        hasher: ctx.hasher,
        columns: contract::columns(req.kind),
    };
    let mut state = BatchState::new(ctx.store, batch_id, first_record, req.check)?;
    let mut ignored = Vec::new();
    let read = match format {
        Format::Csv => match read::decode(bytes, req.encoding) {
            Ok((text, encoding)) => {
                ledger.encoding = Some(encoding.to_string());
                csv_batch(&validator, &text, &mut state, progress).map(|i| ignored = i)
            }
            Err(p) => Err(vec![p]),
        },
        Format::GeoJson | Format::Parquet | Format::Xlsx | Format::Xls => {
            let rows = match format {
                Format::GeoJson => read::geojson_rows(bytes, &validator.columns),
                Format::Parquet => read::parquet_rows(bytes, &validator.columns),
                _ => read::workbook_rows(bytes, &validator.columns),
            };
            rows.and_then(|(rows, i)| {
                ignored = i;
                owned_batch(&validator, rows, &mut state, progress)
            })
        }
    };
    if let Err(file_problems) = read {
        state.file_problems(file_problems);
    }
    if state.rows == 0 && state.errors == 0 {
        state.file_problems(vec![Problem::new(0, "", "", Reason::EmptyFile)]);
    }
    state.flush();
    let mut loader = state.finish_appending()?;
    ledger.rows_total = state.rows;
    ledger.rows_rejected = state.rejected_rows;
    ledger.rows_flagged = state.flagged_rows;
    let mut replaced = Vec::new();
    if state.errors > 0 || req.check {
        if req.check {
            ledger.status = "checked".into();
            ledger.rows_accepted = state.rows - state.rejected_rows;
        } else {
            ledger.status = "rejected".into();
        }
        let divisions = state.division_rows();
        drop(loader); // rolls back every appended row
        let problems = state.problems;
        ctx.store
            .finish_unlanded_batch(&ledger, &problems, &divisions)?;
    } else {
        ledger.status = "committed".into();
        ledger.rows_accepted = state.accepted;
        let divisions = state.division_rows();
        let problems = state.problems;
        if req.replace {
            if let (Some(p), Some(m)) = (req.province, req.month) {
                replaced =
                    loader.replace_slice(p.get(), req.kind.id(), &m.to_string(), batch_id)?;
            }
        }
        loader.append_problems(batch_id, &problems)?;
        loader.append_division_rows(batch_id, &divisions)?;
        loader.bump_data_version(batch_id)?;
        loader.commit_batch(&ledger)?;
    }
    let batch = ctx
        .store
        .batches(Some(batch_id), None, 1)?
        .pop()
        .ok_or_else(|| StoreError::Corrupt(format!("batch {batch_id} vanished")))?;
    Ok(BatchReport {
        summary: summarize(ctx.store.problem_summary(batch_id)?),
        batch,
        duplicate_of: None,
        replaced,
        ignored_columns: ignored,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Rows of a batch as they are validated: appended while the batch is clean, problems
/// collected for all of them.
struct BatchState {
    /// Stores accepted rows on a thread of its own; `None` once finished.
    appender: Option<crate::store::BackgroundAppender>,
    batch_id: u64,
    next_record: u64,
    rows: u64,
    accepted: u64,
    errors: u64,
    rejected_rows: u64,
    flagged_rows: u64,
    problems: Vec<ProblemRow>,
    /// Rows and rows in error per declared division (current code).
    divisions: FxHashMap<u32, (u64, u64)>,
    /// The first interval and line of each identity seen, to find duplicates in the batch.
    seen: FxHashMap<u128, (i32, i32, u64)>,
    /// Further intervals of identities seen more than once (few: one map entry per row
    /// stays allocation-free).
    seen_again: FxHashMap<u128, Vec<(i32, i32, u64)>>,
    objects: Vec<crate::domain::ServiceObject>,
    facilities: Vec<crate::domain::Facility>,
    /// Validate only: nothing is appended.
    check: bool,
}

impl BatchState {
    fn new(
        store: &Store,
        batch_id: u64,
        next_record: u64,
        check: bool,
    ) -> Result<BatchState, StoreError> {
        Ok(BatchState {
            appender: Some(store.begin_load()?.in_background()),
            batch_id,
            next_record,
            rows: 0,
            accepted: 0,
            errors: 0,
            rejected_rows: 0,
            flagged_rows: 0,
            problems: Vec::new(),
            divisions: FxHashMap::default(),
            seen: FxHashMap::default(),
            seen_again: FxHashMap::default(),
            objects: Vec::new(),
            facilities: Vec::new(),
            check,
        })
    }

    fn push_problem(&mut self, p: &Problem) {
        if p.reason.severity() == Severity::Error {
            self.errors += 1;
        }
        self.problems.push(ProblemRow {
            line: p.line,
            field: p.field.to_string(),
            value: p.value.clone(),
            code: p.reason.code().to_string(),
            severity: match p.reason.severity() {
                Severity::Error => "error",
                Severity::Finding => "finding",
            }
            .to_string(),
            detail: p.detail.clone(),
            declared_code: p.declared_code,
        });
    }

    /// `(declared code, rows, rows in error)` in code order.
    fn division_rows(&self) -> Vec<(u32, u64, u64)> {
        let mut rows: Vec<_> = self
            .divisions
            .iter()
            .map(|(&code, &(total, rejected))| (code, total, rejected))
            .collect();
        rows.sort_unstable();
        rows
    }

    fn file_problems(&mut self, problems: Vec<Problem>) {
        for p in &problems {
            self.push_problem(p);
        }
    }

    /// Takes a chunk of validated rows in file order, queues the accepted ones for storing
    /// and tells `progress` the rows so far. A database error ends the batch when it finishes
    /// ([`Self::finish_appending`]).
    fn take(&mut self, results: Vec<(u64, RowResult)>, progress: &(dyn Fn(u64) + Sync)) {
        self.seen.reserve(results.len());
        for (line, mut result) in results {
            self.rows += 1;
            if let (Some(record), Some(key)) = (&result.record, result.identity_key) {
                if let Some(first) = self.duplicate(line, key, record) {
                    let field = if matches!(record, Accepted::Object(o) if o.person_hash.is_some())
                    {
                        "id_number"
                    } else {
                        "credit_code"
                    };
                    let value = match record {
                        Accepted::Object(o) => o.person_masked.clone().or(o.credit_code.clone()),
                        Accepted::Facility(f) => Some(f.credit_code.clone()),
                    };
                    let mut p = Problem::new(
                        line,
                        field,
                        value.unwrap_or_default(),
                        Reason::DuplicateInBatch,
                    )
                    .detail(format!("与第 {first} 行重复"));
                    p.declared_code = match record {
                        Accepted::Object(o) => Some(o.declared_code),
                        Accepted::Facility(f) => Some(f.declared_code),
                    };
                    result.problems.push(p);
                    result.record = None;
                }
            }
            let has_error = result
                .problems
                .iter()
                .any(|p| p.reason.severity() == Severity::Error);
            if has_error {
                self.rejected_rows += 1;
            } else if !result.problems.is_empty() {
                self.flagged_rows += 1;
            }
            let declared = match &result.record {
                Some(Accepted::Object(o)) => Some(o.declared_code),
                Some(Accepted::Facility(f)) => Some(f.declared_code),
                None => result.problems.iter().find_map(|p| p.declared_code),
            };
            if let Some(code) = declared {
                let entry = self.divisions.entry(code).or_default();
                entry.0 += 1;
                entry.1 += u64::from(has_error);
            }
            for p in &result.problems {
                self.push_problem(p);
            }
            // Once the batch has an error nothing more is appended: it will roll back.
            if let (Some(record), 0, false) = (result.record, self.errors, self.check) {
                self.accepted += 1;
                let id = self.next_record;
                self.next_record += 1;
                match record {
                    Accepted::Object(mut o) => {
                        o.id = id;
                        o.batch_id = self.batch_id;
                        self.objects.push(o);
                    }
                    Accepted::Facility(mut f) => {
                        f.id = id;
                        f.batch_id = self.batch_id;
                        self.facilities.push(f);
                    }
                }
            }
        }
        self.flush();
        progress(self.rows);
    }

    /// The line of an earlier row of the same identity whose interval overlaps this one.
    fn duplicate(&mut self, line: u64, key: u128, record: &Accepted) -> Option<u64> {
        let (from, to) = match record {
            Accepted::Object(o) => (o.valid_from, o.valid_to),
            Accepted::Facility(f) => (f.valid_from, f.valid_to),
        };
        let day = |d: chrono::NaiveDate| d.num_days_from_ce();
        let (from, to) = (day(from), to.map_or(i32::MAX, day));
        let overlaps = |&(f, t, _): &(i32, i32, u64)| f < to && from < t;
        let first = match self.seen.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert((from, to, line));
                return None;
            }
            Entry::Occupied(slot) => *slot.get(),
        };
        if overlaps(&first) {
            return Some(first.2);
        }
        let more = self.seen_again.entry(key).or_default();
        if let Some(&(_, _, earlier)) = more.iter().find(|e| overlaps(e)) {
            return Some(earlier);
        }
        more.push((from, to, line));
        None
    }

    /// Queues the accepted rows for storing; drops them once the batch has an error.
    fn flush(&mut self) {
        if self.errors > 0 {
            self.objects.clear();
            self.facilities.clear();
            return;
        }
        let Some(appender) = &self.appender else {
            return;
        };
        if !self.objects.is_empty() {
            let capacity = self.objects.len();
            let rows = std::mem::replace(&mut self.objects, Vec::with_capacity(capacity));
            appender.send(RowsToAppend::Objects(rows));
        }
        if !self.facilities.is_empty() {
            let rows = std::mem::take(&mut self.facilities);
            appender.send(RowsToAppend::Facilities(rows));
        }
    }

    /// Waits for the appender: the loader, its transaction open, with every accepted row, or
    /// the database error that stopped it (the loader then dropped: nothing lands).
    fn finish_appending(&mut self) -> Result<crate::store::Loader, StoreError> {
        let appender = self.appender.take().expect("finished once");
        let (loader, appended) = appender.finish();
        appended.map(|()| loader)
    }
}

fn csv_batch(
    validator: &Validator,
    text: &[u8],
    state: &mut BatchState,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<String>, Vec<Problem>> {
    let mut reader = read::csv_reader(text);
    let mut lines = read::LineCounter::new(text);
    let mut header = csv::StringRecord::new();
    let header_rows = std::iter::from_fn(|| match reader.read_record(&mut header) {
        Ok(true) => {
            let line = lines.line(header.position());
            Some(Ok((line, header.iter().map(str::to_string).collect())))
        }
        Ok(false) => None,
        Err(e) => {
            let line = lines.line(e.position());
            Some(Err(vec![
                Problem::new(line, "", "", Reason::FileFormat).detail(e.to_string())
            ]))
        }
    });
    let map = read::find_header(&validator.columns, header_rows)?;
    let mut read_chunk =
        |reader: &mut csv::Reader<&[u8]>| -> Result<Vec<csv::ByteRecord>, Problem> {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let mut record = csv::ByteRecord::new();
            while chunk.len() < CHUNK_ROWS {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {
                        if let Some(mut position) = record.position().cloned() {
                            position.set_line(lines.line(Some(&position)));
                            record.set_position(Some(position));
                        }
                        chunk.push(std::mem::take(&mut record));
                    }
                    Ok(false) => break,
                    Err(e) => {
                        let line = lines.line(e.position());
                        return Err(
                            Problem::new(line, "", "", Reason::FileFormat).detail(e.to_string())
                        );
                    }
                }
            }
            Ok(chunk)
        };
    let mut chunk = read_chunk(&mut reader).map_err(|p| vec![p])?;
    let mut validated: Option<Vec<(u64, RowResult)>> = None;
    let broken = loop {
        if chunk.is_empty() {
            break None;
        }
        // Three stages at once: the next chunk is read and the previous one appended (serial,
        // one core) while this one is validated (on every core that is free).
        let ((next, ()), results) = rayon::join(
            || {
                rayon::join(
                    || read_chunk(&mut reader),
                    || {
                        if let Some(results) = validated.take() {
                            state.take(results, progress);
                        }
                    },
                )
            },
            || {
                chunk
                    .par_iter()
                    .with_min_len(1024)
                    .filter_map(|record| csv_row(validator, &map, record))
                    .collect::<Vec<_>>()
            },
        );
        validated = Some(results);
        match next {
            Ok(next) => chunk = next,
            Err(p) => break Some(p),
        }
    };
    // The last chunk, or the rows before a broken one (still reported).
    if let Some(results) = validated {
        state.take(results, progress);
    }
    match broken {
        Some(p) => Err(vec![p]),
        None => Ok(map.ignored),
    }
}

/// Validates one CSV record; `None` for a row with nothing in it (`,,,,` or spaces: what a
/// spreadsheet leaves below its data), which carries no record to lose.
fn csv_row(
    validator: &Validator,
    map: &HeaderMap,
    record: &csv::ByteRecord,
) -> Option<(u64, RowResult)> {
    if record
        .iter()
        .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
    {
        return None;
    }
    let line = record.position().map_or(0, |p| p.line());
    if record.len() != map.width {
        let problem = Problem::new(line, "", "", Reason::ColumnCount).detail(format!(
            "表头 {} 列，本行 {} 列",
            map.width,
            record.len()
        ));
        return Some((
            line,
            RowResult {
                record: None,
                problems: vec![problem],
                identity_key: None,
            },
        ));
    }
    let mut cells: [Option<std::borrow::Cow<str>>; 16] = Default::default();
    for (slot, source) in cells.iter_mut().zip(&map.source) {
        *slot = source
            .and_then(|s| record.get(s))
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(read::normalize_cell)
            .filter(|s| !s.is_empty());
    }
    let fields: [Option<&str>; 16] = std::array::from_fn(|i| cells[i].as_deref());
    Some((line, validator.row(line, &fields[..map.source.len()])))
}

fn owned_batch(
    validator: &Validator,
    rows: Vec<OwnedRow>,
    state: &mut BatchState,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(), Vec<Problem>> {
    for chunk in rows.chunks(CHUNK_ROWS) {
        let results: Vec<(u64, RowResult)> = chunk
            .par_iter()
            .map(|row| {
                let cells: Vec<Option<std::borrow::Cow<str>>> = row
                    .fields
                    .iter()
                    .map(|f| {
                        f.as_deref()
                            .map(read::normalize_cell)
                            .filter(|s| !s.is_empty())
                    })
                    .collect();
                let fields: Vec<Option<&str>> = cells.iter().map(|f| f.as_deref()).collect();
                let mut result = validator.row(row.line, &fields);
                if let Some(p) = &row.problem {
                    // The geometry's own problem replaces "lon/lat empty".
                    result.record = None;
                    result.problems.retain(|q| {
                        !(q.reason == Reason::Required && matches!(q.field, "lon" | "lat"))
                    });
                    result.problems.insert(0, p.clone());
                }
                (row.line, result)
            })
            .collect();
        state.take(results, progress);
    }
    Ok(())
}
