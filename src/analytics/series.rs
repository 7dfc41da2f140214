//! Monthly time series of one division, from the flows of records in and out.

use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind, Month};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// One month of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// The month.
    pub month: Month,
    /// Records in force at month end (events: dated in the month).
    pub count: u64,
    /// Interval records that started in the month.
    pub entered: u64,
    /// Interval records that ended in the month.
    pub exited: u64,
    /// Change from the previous month.
    pub change: i64,
}

/// The series of `code` (or the whole country) for `kinds` together (empty = all kinds),
/// `from..=to`.
pub fn monthly_series(
    store: &Store,
    code: Option<DivisionCode>,
    kinds: &[Kind],
    from: Month,
    to: Month,
) -> Result<Vec<SeriesPoint>, AnalyticsError> {
    let mut flows = Vec::new();
    if kinds.is_empty() {
        flows = store.monthly_flows(code, None)?;
    } else {
        for &kind in kinds {
            flows.extend(store.monthly_flows(code, Some(kind))?);
        }
    }
    Ok(accumulate(&flows, from, to))
}

/// Turns per-month starts/ends into counts: an interval record is in force at the end of M
/// when it started in M or before and did not end by M's end (valid_to is exclusive, so a
/// valid_to inside M means it was last in force in M − 1 or M).
pub fn accumulate(flows: &[(bool, String, u64, u64)], from: Month, to: Month) -> Vec<SeriesPoint> {
    // Interval kinds: month → (starts, ends); events: month → count.
    let mut interval: BTreeMap<Month, (u64, u64)> = BTreeMap::new();
    let mut events: BTreeMap<Month, u64> = BTreeMap::new();
    for (is_event, month, starts, ends) in flows {
        let Ok(month) = month.parse::<Month>() else {
            continue;
        };
        if *is_event {
            *events.entry(month).or_default() += starts;
        } else {
            let slot = interval.entry(month).or_default();
            slot.0 += starts;
            slot.1 += ends;
        }
    }
    let in_force = |m: Month| -> u64 {
        let (starts, ends) = interval
            .range(..=m)
            .fold((0u64, 0u64), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1));
        starts.saturating_sub(ends)
    };
    let count = |m: Month| in_force(m) + events.get(&m).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut month = from;
    let mut previous = count(from.plus_months(-1));
    while month <= to {
        let (entered, exited) = interval.get(&month).copied().unwrap_or_default();
        let n = count(month);
        out.push(SeriesPoint {
            month,
            count: n,
            entered,
            exited,
            change: n as i64 - previous as i64,
        });
        previous = n;
        month = month.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    #[test]
    fn accumulates_intervals_and_events() {
        // Interval A: 2024-01-15 .. 2024-03-01 (last in force 2024-02-29): counts Jan, Feb.
        // Interval B: 2023-12-31 .. open: counts from Dec 2023 on.
        // Interval C: 2024-02-10 .. 2024-02-20: never in force at a month end.
        // Event: 2024-02-05.
        let flows = vec![
            (false, "2024-01".to_string(), 1, 0),
            (false, "2024-03".to_string(), 0, 1),
            (false, "2023-12".to_string(), 1, 0),
            (false, "2024-02".to_string(), 1, 1),
            (true, "2024-02".to_string(), 1, 0),
        ];
        let series = accumulate(&flows, m("2023-12"), m("2024-04"));
        let counts: Vec<u64> = series.iter().map(|p| p.count).collect();
        assert_eq!(counts, [1, 2, 3, 1, 1]);
        assert_eq!(series[2].entered, 1);
        assert_eq!(series[2].exited, 1);
        assert_eq!(series[3].change, -2);
    }
}
