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
use h3o::{CellIndex, Resolution};
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
    /// H3 resolution-9 cell of the record's point (0 when it has none), for hexagon counts.
    cell: Vec<u64>,
}

impl Columns {
    fn with_capacity(n: u64) -> Columns {
        let n = usize::try_from(n).unwrap_or(0);
        Columns {
            leaf: Vec::with_capacity(n),
            from: Vec::with_capacity(n),
            to: Vec::with_capacity(n),
            cell: Vec::with_capacity(n),
        }
    }
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
        // Sized up front: growing by doubling would briefly hold a column twice, and at 10⁸
        // records the columns are ~1.8 GB.
        let mut counts: HashMap<Kind, u64> = HashMap::new();
        for (kind, n) in store.record_counts()? {
            *counts.entry(kind).or_default() += n;
        }
        for kind in Kind::ALL {
            let mut columns = Columns::with_capacity(counts.get(&kind).copied().unwrap_or(0));
            store.for_each_interval(kind, |county, from, to, cell| {
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
                columns.cell.push(cell);
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
        let bounds = Bounds::new(month, as_of);
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

/// Records of one kind counted in one H3 cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellCount {
    /// The cell, at the requested resolution.
    pub cell: CellIndex,
    /// Index of the kind in the request's list.
    pub kind: u8,
    /// Records counted (as of month end; events within the month).
    pub count: u32,
}

impl Snapshot {
    /// The month's count per H3 cell at `resolution` and kind (index into `kinds`), sorted by
    /// cell then kind. Records without a cell are left out; the counting rule is that of
    /// [`Snapshot::month_counts`]'s `count`.
    pub fn cell_counts(
        &self,
        kinds: &[Kind],
        month: Month,
        resolution: Resolution,
    ) -> Vec<CellCount> {
        self.cell_counts_where(kinds, month, resolution, |_| true)
    }

    /// [`Snapshot::cell_counts`] of the records whose leaf (county; `None` = outside every
    /// boundary) passes `keep`: a scope's hexagons hold only its own people.
    pub fn cell_counts_where(
        &self,
        kinds: &[Kind],
        month: Month,
        resolution: Resolution,
        keep: impl Fn(Option<DivisionCode>) -> bool,
    ) -> Vec<CellCount> {
        let kept: Vec<bool> = self.leaves.iter().map(|&l| keep(Some(l))).collect();
        let keep_unassigned = keep(None);
        let bounds = Bounds::new(month, None);
        // One kind at a time: the parents of its counted records, sorted and run-length
        // counted, so the transient memory is 8 bytes per counted record of one kind.
        let mut out: Vec<CellCount> = Vec::new();
        for (index, kind) in kinds.iter().enumerate() {
            let Some(columns) = self.by_kind.get(kind) else {
                continue;
            };
            let event = kind.unit() == Unit::Event;
            let mut parents: Vec<u64> = columns
                .cell
                .par_iter()
                .zip(columns.from.par_iter().zip(&columns.to))
                .zip(&columns.leaf)
                .with_min_len(1 << 14)
                .filter_map(|((&cell, (&from, &to)), &leaf)| {
                    if cell == 0 || !bounds.counts(from, to, event) {
                        return None;
                    }
                    let kept_leaf = match kept.get(usize::from(leaf)) {
                        Some(&k) => k,
                        None => keep_unassigned,
                    };
                    if !kept_leaf {
                        return None;
                    }
                    let parent = CellIndex::try_from(cell).ok()?.parent(resolution)?;
                    Some(u64::from(parent))
                })
                .collect();
            parents.par_sort_unstable();
            for cell in parents {
                match out.last_mut() {
                    Some(last)
                        if u64::from(last.cell) == cell && usize::from(last.kind) == index =>
                    {
                        last.count += 1
                    }
                    _ => out.push(CellCount {
                        cell: CellIndex::try_from(cell).expect("a parent of a valid cell"),
                        kind: index as u8,
                        count: 1,
                    }),
                }
            }
        }
        // By cell, then kind.
        out.par_sort_unstable_by_key(|c| (u64::from(c.cell), c.kind));
        out
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
    /// The month's days, as of its last day or of `as_of` within it.
    fn new(month: Month, as_of: Option<NaiveDate>) -> Bounds {
        let previous = month.plus_months(-1);
        let as_of = day(as_of.unwrap_or(month.last_day()));
        Bounds {
            as_of,
            first: day(month.first_day()),
            next: as_of + 1,
            prev_as_of: day(previous.last_day()),
            prev_first: day(previous.first_day()),
        }
    }

    /// Whether a record is in the month's `count`.
    #[inline]
    fn counts(&self, from: Day, to: Day, event: bool) -> bool {
        if event {
            from >= self.first && from < self.next
        } else {
            from <= self.as_of && to > self.as_of
        }
    }

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
