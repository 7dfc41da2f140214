//! Data governance (数据治理) over the store: reconciliation of what each province declared
//! against what arrived (部省对账), a quality score per division and kind (数据质量), and
//! comparisons between datasets on hashed ID numbers (数据比对).

use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind, Level, Month, Registry};
use crate::ingest::contract;
use crate::store::{Declaration, MatchRow, QualityCounts, Received, Store};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// 部省对账

/// One province×kind line of a reconciliation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReconciliationRow {
    /// Province code.
    pub province_code: u32,
    /// Province name.
    pub province_name: String,
    /// Kind id.
    pub kind: String,
    /// Rows the province declared (`None`: no declaration).
    pub declared: Option<u64>,
    /// Rows the database holds (in force at month end; events in the month).
    pub received: u64,
    /// `received - declared`.
    pub difference: Option<i64>,
    /// Declared rows not received.
    pub missing: u64,
    /// Rows received beyond the declaration.
    pub extra: u64,
    /// Rows repeating an identity already counted in the province.
    pub duplicates: u64,
    /// Rows whose identity also appears under another province (跨省重复).
    pub in_other_provinces: u64,
    /// Declared identity checksum.
    pub checksum_declared: Option<String>,
    /// Identity checksum of the received rows.
    pub checksum_received: Option<String>,
    /// Whether the two checksums agree (`None`: none declared).
    pub checksum_match: Option<bool>,
    /// `matched` | `missing` | `extra` | `checksum_mismatch` | `undeclared`.
    pub status: &'static str,
    /// Who declared.
    pub declared_by: Option<String>,
    /// When.
    pub declared_at: Option<String>,
}

/// A month's reconciliation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reconciliation {
    /// `YYYY-MM`.
    pub month: String,
    /// Kind filter, if any.
    pub kind: Option<String>,
    /// Lines per status.
    pub summary: BTreeMap<&'static str, u64>,
    /// Province×kind lines, by province then kind.
    pub rows: Vec<ReconciliationRow>,
}

/// The status of a line: declarations first, then counts, then the checksum.
fn status(declared: Option<u64>, received: u64, checksum_match: Option<bool>) -> &'static str {
    match declared {
        None => "undeclared",
        Some(d) if received < d => "missing",
        Some(d) if received > d => "extra",
        Some(_) if checksum_match == Some(false) => "checksum_mismatch",
        Some(_) => "matched",
    }
}

/// Joins what arrived with what was declared (a line for every province×kind that has
/// either).
pub fn reconcile(
    registry: &Registry,
    month: Month,
    kind: Option<Kind>,
    received: Vec<Received>,
    declarations: Vec<Declaration>,
) -> Reconciliation {
    let mut lines: BTreeMap<(u32, String), (Option<Received>, Option<Declaration>)> =
        BTreeMap::new();
    for r in received {
        let key = (r.province_code, r.kind.clone());
        lines.entry(key).or_default().0 = Some(r);
    }
    for d in declarations {
        let key = (d.province_code, d.kind.clone());
        lines.entry(key).or_default().1 = Some(d);
    }
    let mut summary = BTreeMap::new();
    let rows: Vec<ReconciliationRow> = lines
        .into_iter()
        .map(|((province_code, kind), (r, d))| {
            let received = r.as_ref().map_or(0, |r| r.received);
            let declared = d.as_ref().map(|d| d.declared);
            let checksum_received = r.as_ref().and_then(|r| r.checksum.clone());
            let checksum_declared = d.as_ref().and_then(|d| d.checksum.clone());
            let checksum_match = checksum_declared.as_ref().map(|want| {
                // No rows hold a checksum of zero.
                let have = checksum_received.as_deref().unwrap_or("0000000000000000");
                want.eq_ignore_ascii_case(have)
            });
            let status = status(declared, received, checksum_match);
            *summary.entry(status).or_insert(0) += 1;
            ReconciliationRow {
                province_name: DivisionCode::new(province_code)
                    .ok()
                    .and_then(|c| registry.get(c))
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                province_code,
                kind,
                declared,
                received,
                difference: declared.map(|d| received as i64 - d as i64),
                missing: declared.map_or(0, |d| d.saturating_sub(received)),
                extra: declared.map_or(0, |d| received.saturating_sub(d)),
                duplicates: r.as_ref().map_or(0, |r| r.received - r.identities),
                in_other_provinces: r.as_ref().map_or(0, |r| r.in_other_provinces),
                checksum_declared,
                checksum_received,
                checksum_match,
                status,
                declared_by: d.as_ref().map(|d| d.declared_by.clone()),
                declared_at: d.as_ref().map(|d| d.declared_at.clone()),
            }
        })
        .collect();
    Reconciliation {
        month: month.to_string(),
        kind: kind.map(|k| k.id().to_string()),
        summary,
        rows,
    }
}

/// The reconciliation of `month` (one kind or all).
pub fn reconciliation(
    store: &Store,
    registry: &Registry,
    month: Month,
    kind: Option<Kind>,
) -> Result<Reconciliation, AnalyticsError> {
    let received = store.received(kind, month)?;
    let declarations = store.declarations(Some(month), kind)?;
    Ok(reconcile(registry, month, kind, received, declarations))
}

// ---------------------------------------------------------------------------------------
// 数据质量

/// Weights of the five dimensions in the score (a missing dimension's weight is shared out
/// among the others).
pub const QUALITY_WEIGHTS: [(&str, f64); 5] = [
    ("completeness", 0.20),
    ("validity", 0.25),
    ("uniqueness", 0.20),
    ("agreement", 0.20),
    ("timeliness", 0.15),
];

/// Days after a month's end by which its new records are due (by the end of the 15th of the
/// next month; `sql/quality.sql` applies it).
pub const DELIVERY_DAYS: u64 = 15;

/// A quality score and its parts, each a share in 0..=1 (`None`: nothing to measure).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QualityScore {
    /// Division (`None`: the total).
    pub code: Option<u32>,
    /// Its name.
    pub name: String,
    /// Kind (`None`: all kinds).
    pub kind: Option<String>,
    /// Optional fields filled.
    pub completeness: Option<f64>,
    /// Rows delivered in the month without an error.
    pub validity: Option<f64>,
    /// Rows whose identity is not held twice in the kind.
    pub uniqueness: Option<f64>,
    /// Rows whose point lies in the declared county.
    pub agreement: Option<f64>,
    /// New rows delivered by the deadline.
    pub timeliness: Option<f64>,
    /// Weighted score 0–100.
    pub score: Option<f64>,
    /// The counts behind it.
    pub counts: QualityCounts,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl QualityScore {
    /// The score of a set of counts.
    pub fn from_counts(
        code: Option<u32>,
        name: String,
        kind: Option<String>,
        c: QualityCounts,
    ) -> Self {
        let completeness = ratio(c.filled, c.expected);
        let validity = ratio(
            c.rows_total - c.rows_rejected.min(c.rows_total),
            c.rows_total,
        );
        let uniqueness = ratio(c.records - c.shared.min(c.records), c.records);
        let agreement = ratio(c.agreeing, c.records);
        let timeliness = ratio(c.timely, c.delivered);
        let parts = [completeness, validity, uniqueness, agreement, timeliness];
        let (sum, weight) = parts
            .iter()
            .zip(QUALITY_WEIGHTS)
            .filter_map(|(p, (_, w))| p.map(|p| (p * w, w)))
            .fold((0.0, 0.0), |(s, t), (p, w)| (s + p, t + w));
        QualityScore {
            code,
            name,
            kind,
            completeness,
            validity,
            uniqueness,
            agreement,
            timeliness,
            score: (weight > 0.0).then(|| (sum / weight * 1000.0).round() / 10.0),
            counts: c,
        }
    }
}

fn add(into: &mut QualityCounts, c: &QualityCounts) {
    into.records += c.records;
    into.filled += c.filled;
    into.expected += c.expected;
    into.shared += c.shared;
    into.agreeing += c.agreeing;
    into.delivered += c.delivered;
    into.timely += c.timely;
    into.rows_total += c.rows_total;
    into.rows_rejected += c.rows_rejected;
}

/// Quality of one month: per division (all kinds), per division×kind, and the total.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QualityReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Weights of the dimensions.
    pub weights: BTreeMap<&'static str, f64>,
    /// Over everything asked for.
    pub total: QualityScore,
    /// Per division, all (asked) kinds together, worst score first.
    pub divisions: Vec<QualityScore>,
    /// Per division and kind.
    pub rows: Vec<QualityScore>,
}

/// Each kind's attribute fields as the quality query takes them: `kind:required:optional,…`.
fn attribute_fields() -> String {
    Kind::ALL
        .iter()
        .map(|&k| {
            let cols = contract::columns(k);
            let required = cols.iter().filter(|c| c.attr && c.required).count();
            let optional = cols.iter().filter(|c| c.attr && !c.required).count();
            format!("{}:{required}:{optional}", k.id())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn division_name(registry: &Registry, code: u32) -> String {
    DivisionCode::new(code)
        .ok()
        .and_then(|c| registry.get(c))
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

fn area_name(registry: &Registry, parent: Option<DivisionCode>) -> String {
    parent
        .and_then(|p| registry.get(p))
        .map_or_else(|| "全国".to_string(), |d| d.name.clone())
}

/// The quality of `level`'s divisions under `parent` in `month` (one kind or all).
pub fn quality(
    store: &Store,
    registry: &Registry,
    level: Level,
    parent: Option<DivisionCode>,
    kind: Option<Kind>,
    month: Month,
) -> Result<QualityReport, AnalyticsError> {
    let counts: Vec<QualityCounts> = store
        .quality_counts(
            level,
            parent,
            kind,
            month,
            month,
            DELIVERY_DAYS,
            &attribute_fields(),
        )?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let kind_id = kind.map(|k| k.id().to_string());
    let mut total = QualityCounts::default();
    let mut per_division: BTreeMap<u32, QualityCounts> = BTreeMap::new();
    for c in &counts {
        add(&mut total, c);
        add(per_division.entry(c.code).or_default(), c);
    }
    let mut divisions: Vec<QualityScore> = per_division
        .into_iter()
        .map(|(code, mut c)| {
            c.code = code;
            c.kind = kind_id.clone().unwrap_or_default();
            QualityScore::from_counts(
                Some(code),
                division_name(registry, code),
                kind_id.clone(),
                c,
            )
        })
        .collect();
    divisions.sort_by(|a, b| {
        a.score
            .unwrap_or(f64::INFINITY)
            .total_cmp(&b.score.unwrap_or(f64::INFINITY))
            .then(a.code.cmp(&b.code))
    });
    total.code = parent.map_or(0, DivisionCode::get);
    total.kind = kind_id.clone().unwrap_or_default();
    Ok(QualityReport {
        month: month.to_string(),
        weights: QUALITY_WEIGHTS.into_iter().collect(),
        total: QualityScore::from_counts(
            parent.map(DivisionCode::get),
            area_name(registry, parent),
            kind_id,
            total,
        ),
        divisions,
        rows: counts
            .into_iter()
            .map(|c| {
                let kind = Some(c.kind.clone());
                QualityScore::from_counts(Some(c.code), division_name(registry, c.code), kind, c)
            })
            .collect(),
    })
}

/// The total quality score of a division (or the country) for each month from `first` to
/// `last`.
pub fn quality_trend(
    store: &Store,
    registry: &Registry,
    code: Option<DivisionCode>,
    kind: Option<Kind>,
    first: Month,
    last: Month,
) -> Result<Vec<(String, QualityScore)>, AnalyticsError> {
    let mut months: BTreeMap<String, QualityCounts> = BTreeMap::new();
    let mut m = first;
    while m <= last {
        months.insert(m.to_string(), QualityCounts::default());
        m = m.plus_months(1);
    }
    let rows = store.quality_counts(
        Level::Province,
        code,
        kind,
        first,
        last,
        DELIVERY_DAYS,
        &attribute_fields(),
    )?;
    for (month, c) in &rows {
        if let Some(total) = months.get_mut(month) {
            add(total, c);
        }
    }
    let name = area_name(registry, code);
    Ok(months
        .into_iter()
        .map(|(month, mut counts)| {
            counts.code = code.map_or(0, DivisionCode::get);
            counts.kind = kind.map(|k| k.id().to_string()).unwrap_or_default();
            let score = QualityScore::from_counts(
                code.map(DivisionCode::get),
                name.clone(),
                kind.map(|k| k.id().to_string()),
                counts,
            );
            (month, score)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// 数据比对

/// What to compare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// People of one kind also in another (e.g. 低保 ∩ 特困).
    Overlap {
        /// The kind listed.
        kind: Kind,
        /// The kind it is compared with.
        other: Kind,
    },
    /// People held more than once in a kind (same or another county or province).
    Duplicate {
        /// The kind.
        kind: Kind,
    },
    /// People on a reference list (e.g. deceased) still in force after the list's date.
    Reference {
        /// The list.
        list: u64,
        /// The kind (`None`: every person kind).
        kind: Option<Kind>,
    },
}

/// Matches in one division.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DivisionMatches {
    /// Division.
    pub code: u32,
    /// Name.
    pub name: String,
    /// Records matched.
    pub count: u64,
}

/// A comparison's result for a month.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    /// `YYYY-MM`.
    pub month: String,
    /// Records matched (within `parent`, if given).
    pub total: u64,
    /// For duplicates: matched records whose first other record is in the same county, in
    /// another county of the province, or in another province.
    pub scope: BTreeMap<&'static str, u64>,
    /// Matched records per division at the level, most first.
    pub by_division: Vec<DivisionMatches>,
    /// One page of the matched records (ID numbers masked), by record id.
    pub rows: Vec<MatchRow>,
}

/// Where a duplicate's other record is, seen from the record.
fn duplicate_scope(a: u32, b: u32) -> &'static str {
    if a == b {
        "same_county"
    } else if a / 10_000 == b / 10_000 {
        "other_county"
    } else {
        "other_province"
    }
}

/// Runs `check` for `month`, counting matches per division at `level` under `parent`, and
/// returns `limit` rows from `offset`.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    store: &Store,
    registry: &Registry,
    check: Check,
    month: Month,
    level: Level,
    parent: Option<DivisionCode>,
    limit: usize,
    offset: usize,
) -> Result<Comparison, AnalyticsError> {
    let matches = match check {
        Check::Overlap { kind, other } => store.compare_kinds(kind, other, month)?,
        Check::Duplicate { kind } => store.compare_kinds(kind, kind, month)?,
        Check::Reference { list, kind } => store.compare_reference(list, kind, month)?,
    };
    let within = |row: &MatchRow| match parent {
        None => true,
        Some(p) => DivisionCode::new(row.declared_code)
            .is_ok_and(|c| registry.lineage(c).iter().any(|d| d.code == p)),
    };
    let matched: Vec<MatchRow> = matches.into_iter().filter(within).collect();
    let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut scope = BTreeMap::new();
    for row in &matched {
        let code = DivisionCode::new(row.declared_code)
            .ok()
            .and_then(|c| registry.representative(c, level))
            .map_or(row.declared_code, DivisionCode::get);
        *counts.entry(code).or_insert(0) += 1;
        if let (Check::Duplicate { .. }, Some(other)) = (check, row.other_code) {
            *scope
                .entry(duplicate_scope(row.declared_code, other))
                .or_insert(0) += 1;
        }
    }
    let mut by_division: Vec<DivisionMatches> = counts
        .into_iter()
        .map(|(code, count)| DivisionMatches {
            name: DivisionCode::new(code)
                .ok()
                .and_then(|c| registry.get(c))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            code,
            count,
        })
        .collect();
    by_division.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    Ok(Comparison {
        month: month.to_string(),
        total: matched.len() as u64,
        scope,
        by_division,
        rows: matched.into_iter().skip(offset).take(limit).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(province: u32, kind: &str, n: u64, checksum: &str) -> Received {
        Received {
            province_code: province,
            kind: kind.into(),
            received: n,
            identities: n - 1,
            checksum: Some(checksum.into()),
            in_other_provinces: 2,
        }
    }

    fn declared(province: u32, kind: &str, n: u64, checksum: Option<&str>) -> Declaration {
        Declaration {
            province_code: province,
            kind: kind.into(),
            month: "2026-10".into(),
            declared: n,
            checksum: checksum.map(str::to_string),
            declared_by: "test".into(),
            declared_at: String::new(),
        }
    }

    #[test]
    fn reconciliation_statuses_follow_declared_then_counts_then_checksum() {
        let registry =
            Registry::build(Vec::<(DivisionCode, String, Level, Option<DivisionCode>)>::new())
                .unwrap();
        let month: Month = "2026-10".parse().unwrap();
        let r = reconcile(
            &registry,
            month,
            None,
            vec![
                received(110000, "dibao", 10, "00000000000000aa"),
                received(120000, "dibao", 10, "00000000000000aa"),
                received(130000, "dibao", 10, "00000000000000aa"),
                received(140000, "dibao", 10, "00000000000000aa"),
                received(150000, "dibao", 10, "00000000000000aa"),
            ],
            vec![
                declared(110000, "dibao", 10, Some("00000000000000AA")),
                declared(120000, "dibao", 12, None),
                declared(130000, "dibao", 8, Some("00000000000000aa")),
                declared(140000, "dibao", 10, Some("00000000000000ab")),
                declared(210000, "dibao", 5, None),
            ],
        );
        let by: BTreeMap<u32, &ReconciliationRow> =
            r.rows.iter().map(|row| (row.province_code, row)).collect();
        assert_eq!(by[&110000].status, "matched");
        assert_eq!(by[&120000].status, "missing");
        assert_eq!((by[&120000].missing, by[&120000].difference), (2, Some(-2)));
        assert_eq!(by[&130000].status, "extra");
        assert_eq!(by[&130000].extra, 2);
        assert_eq!(by[&140000].status, "checksum_mismatch");
        assert_eq!(by[&150000].status, "undeclared");
        assert_eq!((by[&210000].status, by[&210000].received), ("missing", 0));
        assert_eq!(by[&110000].duplicates, 1);
        assert_eq!(r.summary["missing"], 2);
        assert_eq!(r.summary.values().sum::<u64>(), 6);
    }

    #[test]
    fn score_shares_out_missing_weights_and_counts_add_up() {
        let c = QualityCounts {
            records: 100,
            filled: 150,
            expected: 300,
            shared: 10,
            agreeing: 90,
            ..Default::default()
        };
        let s = QualityScore::from_counts(None, String::new(), None, c);
        assert_eq!(s.completeness, Some(0.5));
        assert_eq!(s.uniqueness, Some(0.9));
        assert_eq!((s.validity, s.timeliness), (None, None));
        // (0.5·0.2 + 0.9·0.2 + 0.9·0.2) / 0.6
        assert_eq!(s.score, Some(76.7));
        let none = QualityScore::from_counts(None, String::new(), None, QualityCounts::default());
        assert_eq!(none.score, None);
    }

    #[test]
    fn duplicate_scope_by_code() {
        assert_eq!(duplicate_scope(110101, 110101), "same_county");
        assert_eq!(duplicate_scope(110101, 110102), "other_county");
        assert_eq!(duplicate_scope(110101, 120101), "other_province");
    }
}
