//! Small-count suppression (小数抑制) for viewers and the public view: a count of 1..k−1
//! people is not shown (primary suppression), and where a published total would give a
//! hidden cell back by subtraction, a second cell of the same total is hidden too
//! (complementary suppression). Zero is shown: it reveals no one.
//!
//! The division tree is one table of totals: the country is the sum of its provinces (and
//! the records outside every boundary), each division the sum of its children. A viewer may
//! ask any level, so every level is suppressed together and every answer uses the same mask.

use crate::domain::{DivisionCode, Registry};
use crate::store::MonthCounts;
use std::collections::{HashMap, HashSet};

/// Counts whose sum is published as `total` (indexes into a values slice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The published total.
    pub total: usize,
    /// The cells it sums.
    pub cells: Vec<usize>,
}

/// Which of `values` must be hidden: primary (1..k−1), then, until nothing changes, in every
/// group whose total is shown, a lone hidden cell gets a partner — the smallest shown
/// non-zero cell (a zero partner when there is none), so no subtraction recovers it.
pub fn suppress(values: &[u64], groups: &[Group], k: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| v > 0 && v < k).collect();
    loop {
        let mut changed = false;
        for group in groups {
            if hidden[group.total] {
                continue;
            }
            let lone = group.cells.iter().filter(|&&c| hidden[c]).count() == 1;
            if !lone {
                continue;
            }
            let partner = group
                .cells
                .iter()
                .copied()
                .filter(|&c| !hidden[c])
                .min_by_key(|&c| (values[c] == 0, values[c]));
            if let Some(partner) = partner {
                hidden[partner] = true;
                changed = true;
            } else {
                // The total is the only other shown figure; it must go.
                hidden[group.total] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

/// What a viewer may not see of one month's figures, per division and for the country.
#[derive(Debug, Clone, Default)]
pub struct Disclosure {
    /// Divisions whose count is hidden (`None`: the country).
    count: HashSet<Option<DivisionCode>>,
    /// Divisions whose previous month's count is hidden.
    previous: HashSet<Option<DivisionCode>>,
    /// Divisions whose flows (entered, exited, change) are hidden.
    flows: HashSet<Option<DivisionCode>>,
    /// Whether the count of records outside every boundary is hidden.
    unassigned: bool,
}

impl Disclosure {
    /// The mask for per-leaf counts (as [`crate::analytics::snapshot::Snapshot::month_counts`]
    /// gives them; `None` = outside every boundary), rolled up over the whole tree.
    pub fn new(
        per_leaf: &HashMap<Option<DivisionCode>, MonthCounts>,
        registry: &Registry,
        k: u64,
    ) -> Disclosure {
        // Node 0 is the country, node 1 the unassigned records, then every division.
        let mut index: HashMap<DivisionCode, usize> = HashMap::new();
        for (i, d) in registry.all().iter().enumerate() {
            index.insert(d.code, i + 2);
        }
        let n = registry.len() + 2;
        let mut sums = vec![MonthCounts::default(); n];
        for (leaf, c) in per_leaf {
            match leaf {
                None => {
                    sums[1] += *c;
                    sums[0] += *c;
                }
                Some(leaf) => {
                    sums[0] += *c;
                    for d in registry.lineage(*leaf) {
                        if let Some(&i) = index.get(&d.code) {
                            sums[i] += *c;
                        }
                    }
                }
            }
        }
        let mut groups = vec![Group {
            total: 0,
            cells: std::iter::once(1)
                .chain(
                    registry
                        .all()
                        .iter()
                        .filter(|d| d.parent.is_none())
                        .map(|d| index[&d.code]),
                )
                .collect(),
        }];
        for d in registry.all() {
            let children = registry.children(d.code);
            if !children.is_empty() {
                groups.push(Group {
                    total: index[&d.code],
                    cells: children.iter().map(|c| index[c]).collect(),
                });
            }
        }
        let counts: Vec<u64> = sums.iter().map(|s| s.count).collect();
        let previous: Vec<u64> = sums.iter().map(|s| s.previous).collect();
        let count_hidden = suppress(&counts, &groups, k);
        let previous_hidden = suppress(&previous, &groups, k);
        let small = |v: u64| v > 0 && v < k;
        let node =
            |i: usize| -> Option<DivisionCode> { (i >= 2).then(|| registry.all()[i - 2].code) };
        let mut out = Disclosure {
            unassigned: count_hidden[1],
            ..Disclosure::default()
        };
        for i in (0..n).filter(|&i| i != 1) {
            let code = node(i);
            if count_hidden[i] {
                out.count.insert(code);
            }
            if previous_hidden[i] {
                out.previous.insert(code);
            }
            // count − previous = entered − exited: any hidden part hides all the flows.
            if count_hidden[i]
                || previous_hidden[i]
                || small(sums[i].entered)
                || small(sums[i].exited)
            {
                out.flows.insert(code);
            }
        }
        out
    }

    /// Whether a division's (or, for `None`, the country's) count is hidden.
    pub fn count_hidden(&self, code: Option<DivisionCode>) -> bool {
        self.count.contains(&code)
    }

    /// Whether its previous month's count is hidden.
    pub fn previous_hidden(&self, code: Option<DivisionCode>) -> bool {
        self.previous.contains(&code)
    }

    /// Whether its flows (entered, exited, change) are hidden.
    pub fn flows_hidden(&self, code: Option<DivisionCode>) -> bool {
        self.flows.contains(&code)
    }

    /// Whether the count outside every boundary is hidden.
    pub fn unassigned_hidden(&self) -> bool {
        self.unassigned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn group(total: usize, cells: &[usize]) -> Group {
        Group {
            total,
            cells: cells.to_vec(),
        }
    }

    #[test]
    fn small_counts_are_hidden_and_zero_and_large_are_not() {
        // total, then cells 3, 0, 12, 9
        let hidden = suppress(&[24, 3, 0, 12, 9], &[group(0, &[1, 2, 3, 4])], 5);
        // 3 is primary; alone in a shown total it takes the smallest non-zero partner (9).
        assert_eq!(hidden, vec![false, true, false, false, true]);
    }

    #[test]
    fn two_hidden_cells_need_no_partner() {
        let hidden = suppress(&[20, 2, 4, 14], &[group(0, &[1, 2, 3])], 5);
        assert_eq!(hidden, vec![false, true, true, false]);
    }

    #[test]
    fn a_lone_cell_beside_zeros_takes_a_zero_partner() {
        let hidden = suppress(&[3, 3, 0, 0], &[group(0, &[1, 2, 3])], 5);
        // The total itself is small, so it is hidden and nothing needs a partner.
        assert_eq!(hidden, vec![true, true, false, false]);
        let hidden = suppress(&[9, 3, 0, 6], &[group(0, &[1, 2, 3])], 5);
        assert_eq!(hidden, vec![false, true, false, true]);
    }

    #[test]
    fn complementary_suppression_runs_through_a_two_way_table() {
        // Rows r1 = 2 + 10 = 12 and r2 = 8 + 7 = 15; columns c1 = 10, c2 = 17; grand 27.
        // 0:grand 1:r1 2:r2 3:c1 4:c2 5:r1c1 6:r1c2 7:r2c1 8:r2c2
        let values = [27, 12, 15, 10, 17, 2, 10, 8, 7];
        let groups = [
            group(1, &[5, 6]),
            group(2, &[7, 8]),
            group(3, &[5, 7]),
            group(4, &[6, 8]),
            group(0, &[1, 2]),
            group(0, &[3, 4]),
        ];
        let hidden = suppress(&values, &groups, 5);
        // r1c1 = 2 is primary; row r1 hides r1c2, column c1 hides r2c1, then row r2 and
        // column c2 are already paired: every hidden cell has a hidden partner in each line.
        assert!(hidden[5] && hidden[6] && hidden[7] && hidden[8]);
        for g in &groups {
            if !hidden[g.total] {
                assert_ne!(g.cells.iter().filter(|&&c| hidden[c]).count(), 1, "{g:?}");
            }
        }
    }

    fn code(s: &str) -> DivisionCode {
        s.parse().unwrap()
    }

    fn counts(count: u64, previous: u64, entered: u64, exited: u64) -> MonthCounts {
        MonthCounts {
            count,
            previous,
            entered,
            exited,
        }
    }

    #[test]
    fn the_division_tree_is_suppressed_as_one_table() {
        let rows = [
            ("330000", "浙江省", Level::Province, None),
            ("330100", "杭州市", Level::Prefecture, Some("330000")),
            ("330102", "上城区", Level::County, Some("330100")),
            ("330106", "西湖区", Level::County, Some("330100")),
            ("330108", "滨江区", Level::County, Some("330100")),
            ("330200", "宁波市", Level::Prefecture, Some("330000")),
            ("330203", "海曙区", Level::County, Some("330200")),
        ];
        let registry = Registry::build(
            rows.iter()
                .map(|(c, n, l, p)| (code(c), n.to_string(), *l, p.map(code))),
        )
        .unwrap();
        let per_leaf: HashMap<Option<DivisionCode>, MonthCounts> = [
            (Some(code("330102")), counts(2, 2, 0, 0)),
            (Some(code("330106")), counts(40, 38, 3, 1)),
            (Some(code("330108")), counts(30, 30, 0, 0)),
            (Some(code("330203")), counts(50, 50, 5, 5)),
            (None, counts(0, 0, 0, 0)),
        ]
        .into_iter()
        .collect();
        let mask = Disclosure::new(&per_leaf, &registry, 5);
        // 上城 (2) is primary; 杭州 = 72 is shown, so the smallest other county (滨江 30)
        // is hidden with it; 西湖 stays.
        assert!(mask.count_hidden(Some(code("330102"))));
        assert!(mask.count_hidden(Some(code("330108"))));
        assert!(!mask.count_hidden(Some(code("330106"))));
        assert!(!mask.count_hidden(Some(code("330100"))));
        assert!(!mask.count_hidden(None));
        // 西湖 entered 3 (small): its flows are hidden, its count is not.
        assert!(mask.flows_hidden(Some(code("330106"))));
        assert!(!mask.flows_hidden(Some(code("330203"))));
        // 宁波 has one county: the same count in both, both shown (50).
        assert!(!mask.count_hidden(Some(code("330200"))));
        assert!(mask.previous_hidden(Some(code("330102"))));
        assert!(!mask.unassigned_hidden());
    }
}
