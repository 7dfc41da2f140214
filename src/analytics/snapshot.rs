//! The records' validity intervals held in memory as columns, one set per kind, so that a
//! month's figures for every county are one parallel pass over plain arrays (≈10 ns per
//! record) instead of a SQL scan. It is a copy of the records' intervals — not of any
//! statistic — loaded for one data version; figures are still computed per request from the
//! intervals, with exactly the SQL's semantics (see `sql/stats_by_division.sql`, which the
//! tests hold it against).

use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind, Month, Unit};
use crate::store::{MonthCounts, Store};
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::HashMap;

/// Days since 1970-01-01 (`i32::MAX` as `valid_to` of a record still in force).
type Day = i32;

/// Intervals of one kind's records, column-wise.
#[derive(Default)]
struct Columns {
    /// Leaf index into [`Snapshot::leaves`], or `unassigned` for points outside every leaf.
    leaf: Vec<u16>,
    from: Vec<Day>,
    to: Vec<Day>,
}

/// Every record's kind, leaf and interval.
pub struct Snapshot {
    leaves: Vec<DivisionCode>,
    by_kind: HashMap<Kind, Columns>,
    records: u64,
}

/// Days since 1970-01-01, as the SQL computes them.
fn day(date: NaiveDate) -> Day {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as Day
}

impl Snapshot {
    /// Loads the intervals of every record.
    pub fn load(store: &Store) -> Result<Snapshot, AnalyticsError> {
        let mut leaves: Vec<DivisionCode> = Vec::new();
        let mut leaf_index: HashMap<u32, u16> = HashMap::new();
        let mut by_kind: HashMap<Kind, Columns> = HashMap::new();
        let mut records = 0u64;
        for kind in Kind::ALL {
            let mut columns = Columns::default();
            store.for_each_interval(kind, |county, from, to| {
                let leaf = match county.and_then(|c| DivisionCode::new(c).ok()) {
                    None => u16::MAX,
                    Some(code) => *leaf_index.entry(code.get()).or_insert_with(|| {
                        leaves.push(code);
                        (leaves.len() - 1) as u16
                    }),
                };
                columns.leaf.push(leaf);
                columns.from.push(from);
                columns.to.push(to);
            })?;
            records += columns.leaf.len() as u64;
            by_kind.insert(kind, columns);
        }
        Ok(Snapshot {
            leaves,
            by_kind,
            records,
        })
    }

    /// Records held.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The month's figures per leaf (`None` = unassigned) for `kinds` together (empty = all),
    /// as of the month's last day or of `as_of` within the month (month to date).
    pub fn month_counts(
        &self,
        kinds: &[Kind],
        month: Month,
        as_of: Option<NaiveDate>,
    ) -> HashMap<Option<DivisionCode>, MonthCounts> {
        let previous = month.plus_months(-1);
        let as_of = day(as_of.unwrap_or(month.last_day()));
        let bounds = Bounds {
            as_of,
            first: day(month.first_day()),
            next: as_of + 1,
            prev_as_of: day(previous.last_day()),
            prev_first: day(previous.first_day()),
        };
        let slots = self.leaves.len() + 1;
        let mut totals = vec![MonthCounts::default(); slots];
        for (k, columns) in &self.by_kind {
            if !kinds.is_empty() && !kinds.contains(k) {
                continue;
            }
            let event = k.unit() == Unit::Event;
            let partial = columns
                .leaf
                .par_chunks(1 << 16)
                .zip(columns.from.par_chunks(1 << 16))
                .zip(columns.to.par_chunks(1 << 16))
                .fold(
                    || vec![MonthCounts::default(); slots],
                    |mut acc, ((leaf, from), to)| {
                        for i in 0..leaf.len() {
                            let slot = if leaf[i] == u16::MAX {
                                slots - 1
                            } else {
                                leaf[i] as usize
                            };
                            bounds.add(&mut acc[slot], from[i], to[i], event);
                        }
                        acc
                    },
                )
                .reduce(
                    || vec![MonthCounts::default(); slots],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(b) {
                            *x += y;
                        }
                        a
                    },
                );
            for (x, y) in totals.iter_mut().zip(partial) {
                *x += y;
            }
        }
        totals
            .into_iter()
            .enumerate()
            .filter(|(_, c)| *c != MonthCounts::default())
            .map(|(i, c)| (self.leaves.get(i).copied(), c))
            .collect()
    }
}

/// The days that decide a month's figures.
struct Bounds {
    as_of: Day,
    first: Day,
    next: Day,
    prev_as_of: Day,
    prev_first: Day,
}

impl Bounds {
    /// Adds one record: the same rules as `sql/stats_by_division.sql`.
    #[inline]
    fn add(&self, c: &mut MonthCounts, from: Day, to: Day, event: bool) {
        if event {
            c.count += u64::from(from >= self.first && from < self.next);
            c.previous += u64::from(from >= self.prev_first && from < self.first);
        } else {
            c.count += u64::from(from <= self.as_of && to > self.as_of);
            c.previous += u64::from(from <= self.prev_as_of && to > self.prev_as_of);
            c.entered += u64::from(from >= self.first && from <= self.as_of);
            c.exited += u64::from(to >= self.first && to <= self.as_of);
        }
    }
}
