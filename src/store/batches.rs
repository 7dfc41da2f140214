//! The batch ledger and problem reports: a batch is announced (`running`) in its own
//! transaction, then its rows, its problems and its final status land in one transaction.
//! A process killed in between leaves only the `running` row, marked `interrupted` on the
//! next open.

use super::{Loader, Store, StoreError};
use duckdb::{params, Connection, OptionalExt};

const INSERT_BATCH: &str = include_str!("../../sql/insert_batch.sql");
const BATCH_FINISH: &str = include_str!("../../sql/batch_finish.sql");
const BATCH_SLICE_REPLACE: &str = include_str!("../../sql/batch_slice_replace.sql");
const BATCHES_LIST: &str = include_str!("../../sql/batches_list.sql");
const BATCHES_EARLIEST_SLICE: &str = include_str!("../../sql/batches_earliest_slice.sql");
const BATCH_PROBLEMS_PAGE: &str = include_str!("../../sql/batch_problems_page.sql");
const BATCH_PROBLEM_SUMMARY: &str = include_str!("../../sql/batch_problem_summary.sql");

/// A row of the batch ledger.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BatchRow {
    /// Batch id.
    pub batch_id: u64,
    /// `synthetic`, `cli` or `api`.
    pub source: String,
    /// Free text.
    pub description: Option<String>,
    /// Kind of the records.
    pub kind: Option<String>,
    /// Declaring province.
    pub province_code: Option<u32>,
    /// Slice month, `YYYY-MM`.
    pub month: Option<String>,
    /// Name of the uploaded file.
    pub file_name: Option<String>,
    /// `csv`, `geojson` or `parquet`.
    pub format: Option<String>,
    /// Text encoding found or declared.
    pub encoding: Option<String>,
    /// Declared coordinate system.
    pub datum: Option<String>,
    /// Data rows read.
    pub rows_total: u64,
    /// Rows stored.
    pub rows_accepted: u64,
    /// Rows with an error.
    pub rows_rejected: u64,
    /// Rows stored with a finding.
    pub rows_flagged: u64,
    /// SHA-256 of the file.
    pub checksum: Option<String>,
    /// `running`, `committed`, `rejected`, `replaced` or `interrupted`.
    pub status: String,
    /// The batch that replaced this one's slice.
    pub replaced_by: Option<u64>,
    /// Who loaded it.
    pub created_by: String,
    /// When it started (UTC).
    pub created_at: String,
    /// When it ended (UTC).
    pub finished_at: Option<String>,
}

/// One problem as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProblemRow {
    /// Source line (0 = whole file).
    pub line: u64,
    /// Column.
    pub field: String,
    /// Value as given (masked when personal).
    pub value: String,
    /// Reason code.
    pub code: String,
    /// `error` or `finding`.
    pub severity: String,
    /// Detail text.
    pub detail: String,
    /// Declared division of the row.
    pub declared_code: Option<u32>,
}

fn insert_batch(conn: &Connection, b: &BatchRow) -> Result<(), StoreError> {
    conn.execute(
        INSERT_BATCH,
        params![
            b.batch_id,
            b.source,
            b.description,
            b.kind,
            b.province_code,
            b.month,
            b.file_name,
            b.format,
            b.encoding,
            b.datum,
            b.rows_total,
            b.rows_accepted,
            b.rows_rejected,
            b.rows_flagged,
            b.checksum,
            b.status,
            b.created_by,
        ],
    )?;
    Ok(())
}

fn finish_batch(conn: &Connection, b: &BatchRow) -> Result<(), StoreError> {
    conn.execute(
        BATCH_FINISH,
        params![
            b.batch_id,
            b.status,
            b.rows_total,
            b.rows_accepted,
            b.rows_rejected,
            b.rows_flagged,
            b.encoding
        ],
    )?;
    Ok(())
}

fn append_problems(
    conn: &Connection,
    batch_id: u64,
    rows: &[ProblemRow],
) -> Result<(), StoreError> {
    let mut appender = conn.appender("batch_problems")?;
    for p in rows {
        appender.append_row(params![
            batch_id,
            p.line,
            p.field,
            p.value,
            p.code,
            p.severity,
            p.detail,
            p.declared_code
        ])?;
    }
    appender.flush()?;
    Ok(())
}

impl Store {
    /// Announces a batch (status `running`) in its own transaction.
    pub fn announce_batch(&self, b: &BatchRow) -> Result<(), StoreError> {
        insert_batch(&self.connection()?, b)
    }

    /// Ends a batch that did not land (`rejected`, or `checked` only): its final counts and
    /// its problems. `divisions`: rows per declared division, `(code, rows, rows in error)`.
    pub fn finish_unlanded_batch(
        &self,
        b: &BatchRow,
        problems: &[ProblemRow],
        divisions: &[(u32, u64, u64)],
    ) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN TRANSACTION")?;
        finish_batch(&conn, b)?;
        append_problems(&conn, b.batch_id, problems)?;
        super::governance::append_division_rows(&conn, b.batch_id, divisions)?;
        conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Marks batches left `running` by a process that died as `interrupted`; returns them.
    pub fn mark_interrupted(&self) -> Result<Vec<u64>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(
            "UPDATE batches SET status = 'interrupted', finished_at = current_timestamp \
             WHERE status = 'running' RETURNING batch_id",
        )?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<u64>, _>>()?;
        Ok(ids)
    }

    /// The committed batch of `kind` holding a file with this checksum, if any.
    pub fn committed_batch_with_checksum(
        &self,
        kind: &str,
        checksum: &str,
    ) -> Result<Option<u64>, StoreError> {
        let conn = self.connection()?;
        Ok(conn
            .query_row(
                "SELECT batch_id FROM batches WHERE status = 'committed' AND kind = ? AND checksum = ? \
                 ORDER BY batch_id LIMIT 1",
                params![kind, checksum],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The earliest month slice of a committed batch, `YYYY-MM`.
    pub fn earliest_slice_month(&self) -> Result<Option<String>, StoreError> {
        let conn = self.connection()?;
        Ok(conn.query_row(BATCHES_EARLIEST_SLICE, [], |row| row.get(0))?)
    }

    /// The next free batch id and record id.
    pub fn next_ids(&self) -> Result<(u64, u64), StoreError> {
        let conn = self.connection()?;
        let batch: u64 = conn.query_row(
            "SELECT coalesce(max(batch_id), 0) + 1 FROM batches",
            [],
            |r| r.get(0),
        )?;
        let record: u64 = conn.query_row(
            "SELECT coalesce(max(id), 0) + 1 FROM (SELECT max(id) AS id FROM service_objects \
             UNION ALL SELECT max(id) FROM facilities)",
            [],
            |r| r.get(0),
        )?;
        Ok((batch, record))
    }

    /// Ledger rows, newest first (one batch, or one province's).
    pub fn batches(
        &self,
        batch: Option<u64>,
        province: Option<u32>,
        limit: u64,
    ) -> Result<Vec<BatchRow>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(BATCHES_LIST)?;
        let rows = stmt
            .query_map(params![batch, province, limit.min(i64::MAX as u64)], |r| {
                Ok(BatchRow {
                    batch_id: r.get(0)?,
                    source: r.get(1)?,
                    description: r.get(2)?,
                    kind: r.get(3)?,
                    province_code: r.get(4)?,
                    month: r.get(5)?,
                    file_name: r.get(6)?,
                    format: r.get(7)?,
                    encoding: r.get(8)?,
                    datum: r.get(9)?,
                    rows_total: r.get(10)?,
                    rows_accepted: r.get(11)?,
                    rows_rejected: r.get(12)?,
                    rows_flagged: r.get(13)?,
                    checksum: r.get(14)?,
                    status: r.get(15)?,
                    replaced_by: r.get(16)?,
                    created_by: r.get(17)?,
                    created_at: r.get(18)?,
                    finished_at: r.get(19)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A page of a batch's problems in line order (`severity`: `error` / `finding` / all).
    pub fn problems(
        &self,
        batch: u64,
        severity: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<ProblemRow>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(BATCH_PROBLEMS_PAGE)?;
        let rows = stmt
            .query_map(
                params![
                    batch,
                    severity,
                    limit.min(i64::MAX as u64),
                    offset.min(i64::MAX as u64)
                ],
                |r| {
                    Ok(ProblemRow {
                        line: r.get(0)?,
                        field: r.get(1)?,
                        value: r.get(2)?,
                        code: r.get(3)?,
                        severity: r.get(4)?,
                        detail: r.get(5)?,
                        declared_code: r.get(6)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Problems per reason code: `(code, severity, rows)`.
    pub fn problem_summary(&self, batch: u64) -> Result<Vec<(String, String, u64)>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(BATCH_PROBLEM_SUMMARY)?;
        let rows = stmt
            .query_map([batch], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Loader {
    /// Removes the records of the committed batches of a province×kind×month slice and marks
    /// those batches `replaced` by `by`; returns their ids.
    pub fn replace_slice(
        &mut self,
        province: u32,
        kind: &str,
        month: &str,
        by: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self.conn.prepare(BATCH_SLICE_REPLACE)?;
        let ids = stmt
            .query_map(params![province, kind, month, by], |r| r.get(0))?
            .collect::<Result<Vec<u64>, _>>()?;
        for id in &ids {
            self.conn
                .execute("DELETE FROM service_objects WHERE batch_id = ?", [id])?;
            self.conn
                .execute("DELETE FROM facilities WHERE batch_id = ?", [id])?;
        }
        Ok(ids)
    }

    /// Appends problem rows of the batch.
    pub fn append_problems(
        &mut self,
        batch_id: u64,
        rows: &[ProblemRow],
    ) -> Result<(), StoreError> {
        append_problems(&self.conn, batch_id, rows)
    }

    /// Gives the data a new version (caches and ETags keyed by it turn over).
    pub fn bump_data_version(&mut self, batch_id: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta SELECT 'data_version', \
             coalesce((SELECT split_part(value, '+', 1) FROM meta WHERE key = 'data_version'), 'db') || '+b' || ?",
            [batch_id],
        )?;
        Ok(())
    }

    /// Sets the announced batch's final row and commits everything.
    pub fn commit_batch(self, b: &BatchRow) -> Result<(), StoreError> {
        finish_batch(&self.conn, b)?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Records a new batch (not announced before) and commits everything.
    pub fn commit_new_batch(self, b: &BatchRow) -> Result<(), StoreError> {
        insert_batch(&self.conn, b)?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }
}
