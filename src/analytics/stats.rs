//! Counts per division for a month, computed from validity intervals at query time (no
//! precomputed table that could drift from the records), with the month-over-month change,
//! the flows in and out, and the rate per 10,000 residents.

use super::snapshot::Snapshot;
use super::AnalyticsError;
use crate::domain::{CodeChanges, DivisionCode, Kind, Level, Month, PastDivision, Registry};
use crate::store::{DivisionFacts, MonthCounts};
use serde::Serialize;
use std::collections::HashMap;

/// A validated statistics request.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    /// Partition level.
    pub level: Level,
    /// Only descendants of this division (must exist in the registry).
    pub parent: Option<DivisionCode>,
    /// Kinds to count together; empty = all kinds.
    pub kinds: Vec<Kind>,
    /// The month.
    pub month: Month,
    /// An as-of date within the month instead of its last day (month to date).
    pub as_of: Option<chrono::NaiveDate>,
}

/// Figures of a row hidden from viewers (small-count suppression, see
/// [`super::suppression`]); all shown for everyone else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hidden {
    /// The count (and with it the rate and the change).
    pub count: bool,
    /// The previous month's count (and the change).
    pub previous: bool,
    /// Entered, exited and the change.
    pub flows: bool,
}

impl Hidden {
    /// Whether anything is hidden.
    pub fn any(self) -> bool {
        self.count || self.previous || self.flows
    }
}

/// One division's figures for the month.
#[derive(Debug, Clone, Serialize)]
#[serde(into = "DivisionCountJson")]
pub struct DivisionCount {
    /// Division code.
    pub code: DivisionCode,
    /// Name.
    pub name: String,
    /// Official level.
    pub level: Level,
    /// Records in force at month end (events: dated within the month).
    pub count: u64,
    /// The same for the previous month.
    pub previous: u64,
    /// `count - previous`.
    pub change: i64,
    /// Change in percent of `previous` (`null` when previous is 0).
    pub change_pct: Option<f64>,
    /// Interval records that started in the month (新增).
    pub entered: u64,
    /// Interval records that ended in the month (退出).
    pub exited: u64,
    /// Estimated residents (`null` outside the census provinces).
    pub population: Option<u64>,
    /// `count` per 10,000 residents.
    pub rate_per_10k: Option<f64>,
    /// What viewers may not see of it.
    pub hidden: Hidden,
    /// Today's code of a division of the month renamed since (撤县设区 …), when the row is
    /// by the divisions of its month.
    pub current_code: Option<DivisionCode>,
    /// The divisions of the month merged since into this row's (合并, 并入): their figures are
    /// together, as no boundary of the month splits them.
    pub parts: Vec<PastDivision>,
}

impl DivisionCount {
    /// The count, unless hidden.
    pub fn shown_count(&self) -> Option<u64> {
        (!self.hidden.count).then_some(self.count)
    }

    /// The previous month's count, unless hidden.
    pub fn shown_previous(&self) -> Option<u64> {
        (!self.hidden.previous).then_some(self.previous)
    }

    /// The change (and its percentage), unless any part of it is hidden.
    pub fn shown_change(&self) -> Option<(i64, Option<f64>)> {
        (!self.hidden.any()).then_some((self.change, self.change_pct))
    }

    /// Entered and exited, unless hidden.
    pub fn shown_flows(&self) -> Option<(u64, u64)> {
        (!self.hidden.flows && !self.hidden.count && !self.hidden.previous)
            .then_some((self.entered, self.exited))
    }

    /// The rate per 10,000, unless the count is hidden.
    pub fn shown_rate(&self) -> Option<f64> {
        self.rate_per_10k.filter(|_| !self.hidden.count)
    }
}

/// A row as sent: hidden figures are `null` and the row says `"suppressed": true`.
#[derive(Serialize)]
struct DivisionCountJson {
    code: DivisionCode,
    name: String,
    level: Level,
    count: Option<u64>,
    previous: Option<u64>,
    change: Option<i64>,
    change_pct: Option<f64>,
    entered: Option<u64>,
    exited: Option<u64>,
    population: Option<u64>,
    rate_per_10k: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    suppressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_code: Option<DivisionCode>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parts: Vec<PastDivision>,
}

impl From<DivisionCount> for DivisionCountJson {
    fn from(r: DivisionCount) -> DivisionCountJson {
        let change = r.shown_change();
        let flows = r.shown_flows();
        DivisionCountJson {
            count: r.shown_count(),
            previous: r.shown_previous(),
            change: change.map(|c| c.0),
            change_pct: change.and_then(|c| c.1),
            entered: flows.map(|f| f.0),
            exited: flows.map(|f| f.1),
            rate_per_10k: r.shown_rate(),
            suppressed: r.hidden.any(),
            code: r.code,
            name: r.name,
            level: r.level,
            population: r.population,
            current_code: r.current_code,
            parts: r.parts,
        }
    }
}

/// Figures for every division of the partition, zero included.
#[derive(Debug, Clone, Serialize)]
pub struct StatsResult {
    /// Partition level.
    pub level: Level,
    /// Parent filter.
    pub parent: Option<DivisionCode>,
    /// The kind, when exactly one was asked for (`null` otherwise).
    pub kind: Option<Kind>,
    /// Kinds counted (empty = all kinds).
    pub kinds: Vec<Kind>,
    /// The month.
    pub month: Month,
    /// As-of date used for interval records (last day of the month).
    pub as_of: String,
    /// Sum of `rows[].count` (`null`: suppressed).
    pub total: Option<u64>,
    /// Sum of `rows[].previous` (`null`: suppressed).
    pub total_previous: Option<u64>,
    /// Records outside every boundary (only reported without a parent filter; `null`:
    /// suppressed).
    pub unassigned: Option<u64>,
    /// Whether any figure is suppressed (viewers).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// `current`: today's divisions (comparable across months); `month`: the divisions in
    /// force in the month ([`StatsResult::by_divisions_of`]).
    pub boundaries: &'static str,
    /// One row per division of the partition, in code order.
    pub rows: Vec<DivisionCount>,
}

impl StatsResult {
    /// Relabels the rows by the divisions in force on `day` (统计口径: 当期区划): a county
    /// renamed since shows under its code and name of then; one that absorbed others since
    /// lists them as its parts. Rows keep today's territory, which the 1:1 change table
    /// guarantees is the same land. Call after [`Self::suppress`], which goes by code.
    pub fn by_divisions_of(&mut self, changes: &CodeChanges, day: chrono::NaiveDate) {
        for r in &mut self.rows {
            let mut parts = changes.on_day(r.code.get(), day);
            match parts.as_slice() {
                [only] if only.code == r.code.get() => {}
                [only] => {
                    if let Ok(code) = DivisionCode::new(only.code) {
                        r.current_code = Some(r.code);
                        r.code = code;
                        if !only.name.is_empty() {
                            r.name = only.name.clone();
                        }
                    }
                }
                _ => {
                    for p in parts.iter_mut().filter(|p| p.name.is_empty()) {
                        p.name = if p.retired.is_none() {
                            r.name.clone()
                        } else {
                            format!("{:06}", p.code)
                        };
                    }
                    r.name = parts
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、");
                    r.parts = parts;
                }
            }
        }
        self.rows.sort_by_key(|r| r.code);
        self.boundaries = "month";
    }

    /// Hides what viewers may not see, by the month's mask over the whole tree.
    pub fn suppress(&mut self, mask: &super::suppression::Disclosure) {
        for r in &mut self.rows {
            let code = Some(r.code);
            r.hidden = Hidden {
                count: mask.count_hidden(code),
                previous: mask.previous_hidden(code),
                flows: mask.flows_hidden(code),
            };
        }
        // Without a parent the total is the country less the unassigned records: hidden
        // when either is.
        let outside = self.parent.is_none() && mask.unassigned_hidden();
        if mask.count_hidden(self.parent) || outside {
            self.total = None;
        }
        if mask.previous_hidden(self.parent) || outside {
            self.total_previous = None;
        }
        if outside {
            self.unassigned = None;
        }
        self.suppressed = self.total.is_none()
            || self.total_previous.is_none()
            || self.rows.iter().any(|r| r.hidden.any());
    }
}

/// Computes the figures per division of the partition at `request.level` under
/// `request.parent`, from the records' intervals.
pub fn division_stats(
    snapshot: &Snapshot,
    registry: &Registry,
    facts: &HashMap<DivisionCode, DivisionFacts>,
    request: &StatsRequest,
) -> Result<StatsResult, AnalyticsError> {
    let per_leaf = snapshot.month_counts(&request.kinds, request.month, request.as_of);
    // A parent at or below the level stands for itself (the partition is just the parent).
    let parent_stands_alone = request
        .parent
        .and_then(|p| registry.get(p))
        .is_some_and(|p| p.depth >= request.level.depth());
    // Leaves roll up to their representative at the level, within the parent.
    let mut counts: HashMap<Option<DivisionCode>, MonthCounts> = HashMap::new();
    for (leaf, c) in per_leaf {
        let key = match leaf {
            None => None,
            Some(leaf) => {
                let lineage = registry.lineage(leaf);
                if request
                    .parent
                    .is_some_and(|p| !lineage.iter().any(|d| d.code == p))
                {
                    continue;
                }
                if parent_stands_alone {
                    request.parent
                } else {
                    registry.representative(leaf, request.level)
                }
            }
        };
        *counts.entry(key).or_default() += c;
    }
    let rows: Vec<DivisionCount> = registry
        .partition(request.level, request.parent)
        .into_iter()
        .filter_map(|code| {
            let info = registry.get(code)?;
            let c = counts.get(&Some(code)).copied().unwrap_or_default();
            let population = facts
                .get(&code)
                .and_then(|f| f.population)
                .filter(|&p| p > 0);
            Some(DivisionCount {
                code,
                name: info.name.clone(),
                level: info.level,
                count: c.count,
                previous: c.previous,
                change: c.count as i64 - c.previous as i64,
                change_pct: (c.previous > 0).then(|| {
                    round2(100.0 * (c.count as f64 - c.previous as f64) / c.previous as f64)
                }),
                entered: c.entered,
                exited: c.exited,
                population,
                rate_per_10k: population.map(|p| round2(c.count as f64 * 10_000.0 / p as f64)),
                hidden: Hidden::default(),
                current_code: None,
                parts: Vec::new(),
            })
        })
        .collect();
    Ok(StatsResult {
        level: request.level,
        parent: request.parent,
        kind: match request.kinds[..] {
            [one] => Some(one),
            _ => None,
        },
        kinds: request.kinds.clone(),
        month: request.month,
        as_of: request
            .as_of
            .unwrap_or(request.month.last_day())
            .to_string(),
        total: Some(rows.iter().map(|r| r.count).sum()),
        total_previous: Some(rows.iter().map(|r| r.previous).sum()),
        unassigned: Some(if request.parent.is_none() {
            counts.get(&None).map(|c| c.count).unwrap_or(0)
        } else {
            0
        }),
        suppressed: false,
        boundaries: "current",
        rows,
    })
}

/// Which figure ranks divisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Records.
    Count,
    /// Records per 10,000 residents.
    Rate,
    /// Change from the previous month.
    Change,
}

impl Measure {
    /// Parses `count`, `rate` or `change`.
    pub fn from_id(id: &str) -> Option<Measure> {
        match id {
            "count" => Some(Measure::Count),
            "rate" => Some(Measure::Rate),
            "change" => Some(Measure::Change),
            _ => None,
        }
    }

    /// The value of a row (`None` when the row has no such figure, e.g. no population).
    pub fn value(self, row: &DivisionCount) -> Option<f64> {
        match self {
            Measure::Count => row.shown_count().map(|c| c as f64),
            Measure::Rate => row.shown_rate(),
            Measure::Change => row.shown_change().map(|c| c.0 as f64),
        }
    }
}

/// The `n` highest (or lowest) rows by `measure`; rows without the figure are left out,
/// ties broken by code so the order is stable.
pub fn rank(
    rows: &[DivisionCount],
    measure: Measure,
    ascending: bool,
    n: usize,
) -> Vec<DivisionCount> {
    let mut ranked: Vec<(f64, &DivisionCount)> = rows
        .iter()
        .filter_map(|r| Some((measure.value(r)?, r)))
        .collect();
    ranked.sort_by(|a, b| {
        let order = a.0.total_cmp(&b.0);
        let order = if ascending { order } else { order.reverse() };
        order.then(a.1.code.cmp(&b.1.code))
    });
    ranked.into_iter().take(n).map(|(_, r)| r.clone()).collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, count: u64, previous: u64, population: Option<u64>) -> DivisionCount {
        DivisionCount {
            code: code.parse().unwrap(),
            name: code.into(),
            level: Level::County,
            count,
            previous,
            change: count as i64 - previous as i64,
            change_pct: None,
            entered: 0,
            exited: 0,
            population,
            rate_per_10k: population.map(|p| count as f64 * 10_000.0 / p as f64),
            hidden: Hidden::default(),
            current_code: None,
            parts: Vec::new(),
        }
    }

    #[test]
    fn ranking_orders_skips_missing_figures_and_breaks_ties_by_code() {
        let rows = [
            row("110101", 10, 5, Some(1_000)),
            row("110102", 30, 40, None),
            row("110105", 10, 0, Some(100)),
        ];
        let codes =
            |v: Vec<DivisionCount>| v.iter().map(|r| r.code.to_string()).collect::<Vec<_>>();
        assert_eq!(
            codes(rank(&rows, Measure::Count, false, 2)),
            ["110102", "110101"]
        );
        assert_eq!(
            codes(rank(&rows, Measure::Rate, false, 5)),
            ["110105", "110101"]
        );
        assert_eq!(codes(rank(&rows, Measure::Change, true, 1)), ["110102"]);
        assert_eq!(Measure::from_id("rate"), Some(Measure::Rate));
        assert_eq!(Measure::from_id("sum"), None);
    }
}
