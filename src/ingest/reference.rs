//! Reference lists for 数据比对 (e.g. a death register from the public-security or health
//! side): ID numbers with a date, validated row by row like a batch and stored whole or not
//! at all, the ID numbers only hashed and masked.

use super::contract::{self, REFERENCE_LIST};
use super::problem::{Problem, Reason};
use super::read::{self, Encoding};
use super::validate::parse_date;
use crate::domain::identity::{
    eighteen_digit_id, mask_id_number, validate_id_number, IdNumberError, PersonHasher,
};
use crate::store::{ReferenceList, ReferencePerson, Store, StoreError};
use chrono::NaiveDate;
use std::collections::HashMap;

/// The outcome of a reference-list upload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceReport {
    /// The stored list (`None` when rejected).
    pub list: Option<ReferenceList>,
    /// Set when the same file was already stored under the name.
    pub duplicate_of: Option<u64>,
    /// Data rows read.
    pub rows_total: u64,
    /// Every problem, in line order (any error rejects the list).
    pub problems: Vec<ReferenceProblem>,
}

/// One problem of a reference list row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceProblem {
    /// Source line (1 = header).
    pub line: u64,
    /// Column.
    pub field: String,
    /// Value (ID numbers masked).
    pub value: String,
    /// Reason code.
    pub code: String,
    /// Chinese message.
    pub message_zh: String,
    /// Detail.
    pub detail: String,
}

impl From<&Problem> for ReferenceProblem {
    fn from(p: &Problem) -> Self {
        ReferenceProblem {
            line: p.line,
            field: p.field.to_string(),
            value: p.value.clone(),
            code: p.reason.code().to_string(),
            message_zh: p.reason.message_zh().to_string(),
            detail: p.detail.clone(),
        }
    }
}

/// Reads and checks a reference list (CSV, UTF-8 or GB18030, columns `id_number`/身份证号 and
/// `date`/日期). Returns the people, or every problem found.
pub fn parse(
    bytes: &[u8],
    encoding: Encoding,
    hasher: &PersonHasher,
    today: NaiveDate,
) -> (u64, Result<Vec<ReferencePerson>, Vec<Problem>>) {
    let text = match read::decode(bytes, encoding) {
        Ok((text, _)) => text,
        Err(p) => return (0, Err(vec![p])),
    };
    let mut reader = read::csv_reader(&text);
    let mut lines = read::LineCounter::new(&text);
    let mut records = reader.records();
    let header = match records.next() {
        None => return (0, Err(vec![Problem::new(0, "", "", Reason::EmptyFile)])),
        Some(Err(e)) => {
            return (
                0,
                Err(vec![
                    Problem::new(1, "", "", Reason::FileFormat).detail(e.to_string())
                ]),
            )
        }
        Some(Ok(h)) => h,
    };
    let cells: Vec<&str> = header.iter().collect();
    let map = match read::map_header(&REFERENCE_LIST, &cells, false) {
        Ok(map) => map,
        Err(problems) => return (0, Err(problems)),
    };
    let (id_col, date_col) = (map.source[0], map.source[1]);
    let mut people = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = 0;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.line(e.position());
                problems.push(Problem::new(line, "", "", Reason::FileFormat).detail(e.to_string()));
                break;
            }
        };
        rows += 1;
        let line = lines.line(record.position());
        if record.len() != map.width {
            problems.push(
                Problem::new(line, "", "", Reason::ColumnCount).detail(format!(
                    "表头 {} 列，本行 {} 列",
                    map.width,
                    record.len()
                )),
            );
            continue;
        }
        let cell = |c: Option<usize>| {
            c.and_then(|i| record.get(i))
                .map(read::normalize_cell)
                .filter(|s| !s.is_empty())
        };
        let person = match cell(id_col) {
            None => {
                problems.push(Problem::new(line, "id_number", "", Reason::Required));
                None
            }
            Some(raw) => {
                let id = eighteen_digit_id(&raw);
                match validate_id_number(&id, today) {
                    Ok(_) => Some((hasher.hash_id_number(&id), mask_id_number(&id))),
                    Err(e) => {
                        let reason = match e {
                            IdNumberError::Format => Reason::IdFormat,
                            IdNumberError::BirthDate => Reason::IdBirthDate,
                            IdNumberError::CheckDigit => Reason::IdCheckDigit,
                        };
                        problems.push(Problem::new(
                            line,
                            "id_number",
                            mask_id_number(&raw),
                            reason,
                        ));
                        None
                    }
                }
            }
        };
        let date = match cell(date_col) {
            None => {
                problems.push(Problem::new(line, "date", "", Reason::Required));
                None
            }
            Some(v) => match parse_date(&v) {
                Some(d) if d > today => {
                    problems.push(Problem::new(line, "date", v, Reason::DateFuture));
                    None
                }
                Some(d) => Some(d),
                None => {
                    problems.push(Problem::new(line, "date", v, Reason::DateInvalid));
                    None
                }
            },
        };
        if let (Some((hash, masked)), Some(date)) = (person, date) {
            if let Some(first) = seen.get(&hash) {
                problems.push(
                    Problem::new(line, "id_number", masked, Reason::DuplicateInBatch)
                        .detail(format!("与第 {first} 行重复")),
                );
                continue;
            }
            seen.insert(hash.clone(), line);
            people.push(ReferencePerson {
                person_hash: hash,
                person_masked: masked,
                date,
            });
        }
    }
    if problems.is_empty() && people.is_empty() {
        problems.push(Problem::new(0, "", "", Reason::EmptyFile));
    }
    if problems.is_empty() {
        (rows, Ok(people))
    } else {
        (rows, Err(problems))
    }
}

/// Checks a reference list and stores it whole under `name`, or reports why not.
pub fn load(
    store: &Store,
    hasher: &PersonHasher,
    name: &str,
    bytes: &[u8],
    encoding: Encoding,
    who: &str,
) -> Result<ReferenceReport, StoreError> {
    let today = chrono::Local::now().date_naive();
    let (rows_total, parsed) = parse(bytes, encoding, hasher, today);
    let people = match parsed {
        Ok(people) => people,
        Err(problems) => {
            return Ok(ReferenceReport {
                list: None,
                duplicate_of: None,
                rows_total,
                problems: problems.iter().map(ReferenceProblem::from).collect(),
            })
        }
    };
    let (id, fresh) = store.add_reference_list(name, &super::checksum(bytes), who, &people)?;
    Ok(ReferenceReport {
        list: store.reference_lists(Some(id))?.pop(),
        duplicate_of: (!fresh).then_some(id),
        rows_total,
        problems: Vec::new(),
    })
}

/// The identity checksum (部省对账) of a CSV file of `kind`, as a province would declare it:
/// `(rows with an identity, checksum)`. Identities are read as given (upper-cased), valid
/// or not: the declaration counts what the province sends.
pub fn file_checksum(
    bytes: &[u8],
    kind: crate::domain::Kind,
    encoding: Encoding,
    hasher: &PersonHasher,
) -> Result<(u64, String), Vec<Problem>> {
    let (text, _) = read::decode(bytes, encoding).map_err(|p| vec![p])?;
    let mut reader = read::csv_reader(&text);
    let mut lines = read::LineCounter::new(&text);
    let mut records = reader.records();
    let columns = contract::columns(kind);
    let key = columns
        .iter()
        .position(|c| matches!(c.name, "id_number" | "credit_code"))
        .expect("every contract has an identity column");
    // The header is the first of the rows ingest searches that names the identity column (a
    // title may stand above it).
    let mut index = None;
    for record in records.by_ref().take(read::HEADER_SEARCH_ROWS) {
        let Ok(header) = record else { break };
        index = header
            .iter()
            .position(|h| contract::match_header(&columns, h).map(|(i, _)| i) == Some(key));
        if index.is_some() {
            break;
        }
    }
    let index = index.ok_or_else(|| {
        vec![
            Problem::new(1, columns[key].name, "", Reason::MissingColumn)
                .detail(format!("{} / {}", columns[key].name, columns[key].name_zh)),
        ]
    })?;
    let person = columns[key].name == "id_number";
    let mut identities = Vec::new();
    for record in records {
        let record = record.map_err(|e| {
            let line = lines.line(e.position());
            vec![Problem::new(line, "", "", Reason::FileFormat).detail(e.to_string())]
        })?;
        if let Some(v) = record
            .get(index)
            .map(read::normalize_cell)
            .filter(|v| !v.is_empty())
        {
            identities.push(if person {
                hasher.hash_id_number(&eighteen_digit_id(&v))
            } else {
                crate::domain::identity::credit_identity(&v)
            });
        }
    }
    let sum = crate::domain::identity::identity_checksum(identities.iter().map(String::as_str));
    Ok((identities.len() as u64, sum))
}
