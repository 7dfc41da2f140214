//! Counts per division for a month, computed from validity intervals at query time (no
//! precomputed table that could drift from the records).

use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind, Level, Month, Registry};
use crate::store::{StatsQuery, Store};
use serde::Serialize;
use std::collections::HashMap;

/// A validated statistics request.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    /// Partition level.
    pub level: Level,
    /// Only descendants of this division (must exist in the registry).
    pub parent: Option<DivisionCode>,
    /// One kind, or all kinds.
    pub kind: Option<Kind>,
    /// The month.
    pub month: Month,
}

/// One division's count.
#[derive(Debug, Clone, Serialize)]
pub struct DivisionCount {
    /// Division code.
    pub code: DivisionCode,
    /// Name.
    pub name: String,
    /// Official level.
    pub level: Level,
    /// Records in force at month end (events: dated within the month).
    pub count: u64,
}

/// Counts for every division of the partition, zero included.
#[derive(Debug, Clone, Serialize)]
pub struct StatsResult {
    /// Partition level.
    pub level: Level,
    /// Parent filter.
    pub parent: Option<DivisionCode>,
    /// Kind filter (`null` = all kinds).
    pub kind: Option<Kind>,
    /// The month.
    pub month: Month,
    /// As-of date used for interval records (last day of the month).
    pub as_of: String,
    /// Sum of `rows[].count`.
    pub total: u64,
    /// Records outside every boundary (only reported without a parent filter).
    pub unassigned: u64,
    /// One row per division of the partition, in code order.
    pub rows: Vec<DivisionCount>,
}

/// Computes counts per division of the partition at `request.level` under `request.parent`.
pub fn division_stats(
    store: &Store,
    registry: &Registry,
    request: &StatsRequest,
) -> Result<StatsResult, AnalyticsError> {
    let query = StatsQuery {
        level: request.level,
        parent: request.parent,
        kind: request.kind,
        as_of: request.month.last_day(),
        first_day: request.month.first_day(),
        next_first_day: request.month.next().first_day(),
    };
    let mut counts: HashMap<Option<DivisionCode>, u64> = HashMap::new();
    for (code, n) in store.counts_by_division(&query)? {
        *counts.entry(code).or_default() += n;
    }
    let rows: Vec<DivisionCount> = registry
        .partition(request.level, request.parent)
        .into_iter()
        .filter_map(|code| {
            let info = registry.get(code)?;
            Some(DivisionCount {
                code,
                name: info.name.clone(),
                level: info.level,
                count: counts.get(&Some(code)).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(StatsResult {
        level: request.level,
        parent: request.parent,
        kind: request.kind,
        month: request.month,
        as_of: query.as_of.to_string(),
        total: rows.iter().map(|r| r.count).sum(),
        unassigned: if request.parent.is_none() {
            counts.get(&None).copied().unwrap_or(0)
        } else {
            0
        },
        rows,
    })
}
