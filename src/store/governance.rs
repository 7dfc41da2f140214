//! Governance queries (数据治理): what arrived per province against what was declared (部省对账),
//! the counts behind the quality score, cross-dataset comparison (数据比对), and uploaded
//! reference lists.

use super::{Loader, Store, StoreError};
use crate::domain::{DivisionCode, Kind, Level, Month};
use duckdb::{params, Connection, OptionalExt};

const RECONCILIATION_RECEIVED: &str = include_str!("../../sql/reconciliation_received.sql");
const DECLARATIONS_LIST: &str = include_str!("../../sql/declarations_list.sql");
const DECLARATION_UPSERT: &str = include_str!("../../sql/declaration_upsert.sql");
const QUALITY: &str = include_str!("../../sql/quality.sql");
const QUALITY_VALIDITY: &str = include_str!("../../sql/quality_validity.sql");
const COMPARE_KINDS: &str = include_str!("../../sql/compare_kinds.sql");
const COMPARE_REFERENCE: &str = include_str!("../../sql/compare_reference.sql");
const REFERENCE_LIST_LEDGER: &str = include_str!("../../sql/reference_list_ledger.sql");

/// What the database holds for one province and kind in a month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Received {
    /// Declaring province (first two digits of the declared code).
    pub province_code: u32,
    /// Kind.
    pub kind: String,
    /// Rows.
    pub received: u64,
    /// Distinct identities among them.
    pub identities: u64,
    /// Order-independent identity checksum (16 hex digits).
    pub checksum: Option<String>,
    /// Rows whose identity also appears under another province.
    pub in_other_provinces: u64,
}

/// A province's declared count for a kind and month.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Declaration {
    /// Province code.
    pub province_code: u32,
    /// Kind id.
    pub kind: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Rows the province says it holds.
    pub declared: u64,
    /// Its identity checksum, if given.
    pub checksum: Option<String>,
    /// Who declared.
    #[serde(default)]
    pub declared_by: String,
    /// When (UTC, ISO 8601).
    #[serde(default)]
    pub declared_at: String,
}

/// The counts behind one division×kind quality score.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QualityCounts {
    /// Division representative at the level.
    pub code: u32,
    /// Kind.
    pub kind: String,
    /// Records in the month.
    pub records: u64,
    /// Optional attribute fields filled.
    pub filled: u64,
    /// Optional attribute fields expected.
    pub expected: u64,
    /// Records sharing their identity with another of the kind.
    pub shared: u64,
    /// Records whose point lies in the declared county.
    pub agreeing: u64,
    /// Records new in the month, delivered by a batch.
    pub delivered: u64,
    /// Those delivered by the deadline.
    pub timely: u64,
    /// Rows the month's batches delivered for the division.
    pub rows_total: u64,
    /// Of those, rows in error.
    pub rows_rejected: u64,
}

/// A record found by a comparison, with what it matched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchRow {
    /// Record id.
    pub id: u64,
    /// Its kind.
    pub kind: String,
    /// Masked ID number.
    pub person_masked: Option<String>,
    /// Declared division.
    pub declared_code: u32,
    /// Geometric county.
    pub county_code: Option<u32>,
    /// In force from.
    pub valid_from: String,
    /// In force until (exclusive).
    pub valid_to: Option<String>,
    /// How many records or list entries it matched.
    pub matches: u64,
    /// The first matching record.
    pub other_id: Option<u64>,
    /// Its kind (or the reference list's name).
    pub other_kind: String,
    /// Its declared division.
    pub other_code: Option<u32>,
    /// Its start date (or the list's date, e.g. of death).
    pub other_date: Option<String>,
}

/// An uploaded reference list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReferenceList {
    /// Id.
    pub list_id: u64,
    /// Name (e.g. 死亡人员名单).
    pub name: String,
    /// People on it.
    pub rows_total: u64,
    /// SHA-256 of the uploaded file.
    pub checksum: String,
    /// Who uploaded it.
    pub created_by: String,
    /// When (UTC).
    pub created_at: String,
}

/// A person on a reference list (the ID number only hashed and masked).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePerson {
    /// HMAC-SHA256 of the ID number.
    pub person_hash: String,
    /// Masked ID number.
    pub person_masked: String,
    /// The list's date for the person (e.g. of death).
    pub date: chrono::NaiveDate,
}

/// The days that make a month's figure: last day, first day, first day of the next month.
fn window(month: Month) -> [String; 3] {
    [
        month.last_day().to_string(),
        month.first_day().to_string(),
        month.plus_months(1).first_day().to_string(),
    ]
}

fn match_rows(
    conn: &Connection,
    sql: &str,
    params: &[&dyn duckdb::ToSql],
) -> Result<Vec<MatchRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, |r| {
            Ok(MatchRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                person_masked: r.get(2)?,
                declared_code: r.get(3)?,
                county_code: r.get(4)?,
                valid_from: r.get(5)?,
                valid_to: r.get(6)?,
                matches: r.get(7)?,
                other_id: r.get(8)?,
                other_kind: r.get(9)?,
                other_code: r.get(10)?,
                other_date: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

impl Store {
    /// What the database holds per declaring province and kind for `month`.
    pub fn received(&self, kind: Option<Kind>, month: Month) -> Result<Vec<Received>, StoreError> {
        let conn = self.connection()?;
        let [as_of, first, next] = window(month);
        let mut stmt = conn.prepare_cached(RECONCILIATION_RECEIVED)?;
        let rows = stmt
            .query_map(params![kind.map(Kind::id), as_of, first, next], |r| {
                Ok(Received {
                    province_code: r.get(0)?,
                    kind: r.get(1)?,
                    received: r.get(2)?,
                    identities: r.get(3)?,
                    checksum: r.get(4)?,
                    in_other_provinces: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Declarations of a month (or all) and kind (or all).
    pub fn declarations(
        &self,
        month: Option<Month>,
        kind: Option<Kind>,
    ) -> Result<Vec<Declaration>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(DECLARATIONS_LIST)?;
        let rows = stmt
            .query_map(
                params![month.map(|m| m.to_string()), kind.map(Kind::id)],
                |r| {
                    Ok(Declaration {
                        province_code: r.get(0)?,
                        kind: r.get(1)?,
                        month: r.get(2)?,
                        declared: r.get(3)?,
                        checksum: r.get(4)?,
                        declared_by: r.get(5)?,
                        declared_at: r.get(6)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Stores declarations (each replaces an earlier one of its province, kind and month),
    /// all or none.
    pub fn declare(&self, declarations: &[Declaration]) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN TRANSACTION")?;
        let result = declarations.iter().try_for_each(|d| {
            conn.execute(
                DECLARATION_UPSERT,
                params![
                    d.province_code,
                    d.kind,
                    d.month,
                    d.declared,
                    d.checksum,
                    d.declared_by
                ],
            )
            .map(drop)
        });
        match result {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                conn.execute_batch("ROLLBACK")?;
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// The counts behind the quality scores of `level`'s divisions (under `parent`) per kind
    /// for each month from `first` to `last`, as `(YYYY-MM, counts)`. `fields` lists each
    /// kind's attribute fields as `kind:required:optional,…`; records new in a month are
    /// timely when delivered within `due_days` after its end.
    #[allow(clippy::too_many_arguments)]
    pub fn quality_counts(
        &self,
        level: Level,
        parent: Option<DivisionCode>,
        kind: Option<Kind>,
        first: Month,
        last: Month,
        due_days: u64,
        fields: &str,
    ) -> Result<Vec<(String, QualityCounts)>, StoreError> {
        let conn = self.connection()?;
        let parent = parent.map(DivisionCode::get);
        let kind = kind.map(Kind::id);
        let mut stmt = conn.prepare_cached(QUALITY)?;
        let mut rows = stmt
            .query_map(
                params![
                    level.id(),
                    parent,
                    kind,
                    first.first_day().to_string(),
                    last.first_day().to_string(),
                    fields,
                    due_days
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        QualityCounts {
                            code: r.get(1)?,
                            kind: r.get(2)?,
                            records: r.get(3)?,
                            filled: r.get(4)?,
                            expected: r.get(5)?,
                            shared: r.get(6)?,
                            agreeing: r.get(7)?,
                            delivered: r.get(8)?,
                            timely: r.get(9)?,
                            ..Default::default()
                        },
                    ))
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = conn.prepare_cached(QUALITY_VALIDITY)?;
        let validity = stmt
            .query_map(
                params![
                    level.id(),
                    parent,
                    kind,
                    first.to_string(),
                    last.to_string()
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, String>(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ))
                },
            )?
            .collect::<Result<Vec<(String, u32, String, u64, u64)>, _>>()?;
        for (month, code, kind, total, rejected) in validity {
            let found = rows
                .iter_mut()
                .find(|(m, q)| *m == month && q.code == code && q.kind == kind);
            match found {
                Some((_, q)) => {
                    q.rows_total = total;
                    q.rows_rejected = rejected;
                }
                None => rows.push((
                    month,
                    QualityCounts {
                        code,
                        kind,
                        rows_total: total,
                        rows_rejected: rejected,
                        ..Default::default()
                    },
                )),
            }
        }
        Ok(rows)
    }

    /// Records of kind `a` in force in `month` whose person is also in kind `b` (duplicates
    /// when `a == b`).
    pub fn compare_kinds(
        &self,
        a: Kind,
        b: Kind,
        month: Month,
    ) -> Result<Vec<MatchRow>, StoreError> {
        let [as_of, first, next] = window(month);
        match_rows(
            &self.connection()?,
            COMPARE_KINDS,
            params![a.id(), b.id(), as_of, first, next],
        )
    }

    /// Records (of `kind`, or any person kind) in force at the end of `month` whose person is
    /// on reference list `list` with an earlier date.
    pub fn compare_reference(
        &self,
        list: u64,
        kind: Option<Kind>,
        month: Month,
    ) -> Result<Vec<MatchRow>, StoreError> {
        let [as_of, ..] = window(month);
        match_rows(
            &self.connection()?,
            COMPARE_REFERENCE,
            params![list, kind.map(Kind::id), as_of],
        )
    }

    /// Uploaded reference lists (one or all), newest first.
    pub fn reference_lists(&self, list: Option<u64>) -> Result<Vec<ReferenceList>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(REFERENCE_LIST_LEDGER)?;
        let rows = stmt
            .query_map([list], |r| {
                Ok(ReferenceList {
                    list_id: r.get(0)?,
                    name: r.get(1)?,
                    rows_total: r.get(2)?,
                    checksum: r.get(3)?,
                    created_by: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Stores a reference list whole (one transaction) and returns its id; the same file
    /// under the same name is stored once.
    pub fn add_reference_list(
        &self,
        name: &str,
        checksum: &str,
        who: &str,
        people: &[ReferencePerson],
    ) -> Result<(u64, bool), StoreError> {
        let conn = self.connection()?;
        if let Some(existing) = conn
            .query_row(
                "SELECT list_id FROM reference_list_ledger WHERE name = ? AND checksum = ?",
                params![name, checksum],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok((existing, false));
        }
        conn.execute_batch("BEGIN TRANSACTION")?;
        let stored = (|| -> Result<u64, StoreError> {
            let id: u64 = conn.query_row(
                "SELECT coalesce(max(list_id), 0) + 1 FROM reference_list_ledger",
                [],
                |r| r.get(0),
            )?;
            let mut appender = conn.appender("reference_lists")?;
            for p in people {
                appender.append_row(params![
                    id,
                    name,
                    p.person_hash,
                    p.person_masked,
                    p.date.to_string()
                ])?;
            }
            appender.flush()?;
            drop(appender);
            conn.execute(
                "INSERT INTO reference_list_ledger VALUES (?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)",
                params![id, name, people.len() as u64, checksum, who],
            )?;
            Ok(id)
        })();
        match stored {
            Ok(id) => {
                conn.execute_batch("COMMIT")?;
                Ok((id, true))
            }
            Err(e) => {
                conn.execute_batch("ROLLBACK")?;
                Err(e)
            }
        }
    }
}

/// Rows per declared division of a batch: `(declared code, rows, rows in error)`.
pub(super) fn append_division_rows(
    conn: &Connection,
    batch_id: u64,
    rows: &[(u32, u64, u64)],
) -> Result<(), StoreError> {
    let mut appender = conn.appender("batch_division_rows")?;
    for (code, total, rejected) in rows {
        appender.append_row(params![batch_id, code, total, rejected])?;
    }
    appender.flush()?;
    Ok(())
}

impl Loader {
    /// Records the rows the batch delivered per declared division.
    pub fn append_division_rows(
        &mut self,
        batch_id: u64,
        rows: &[(u32, u64, u64)],
    ) -> Result<(), StoreError> {
        append_division_rows(&self.conn, batch_id, rows)
    }
}
