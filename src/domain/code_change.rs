//! Division code changes (撤县设区, merges, renames): an old code maps to the code that
//! succeeded it, so a record declared under a retired code lands in today's county.

use chrono::NaiveDate;
use std::collections::HashMap;

/// One change: `old` was replaced by `new` from `effective`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChange {
    /// Retired code.
    pub old: u32,
    /// Successor code.
    pub new: u32,
    /// First day the new code applies.
    pub effective: NaiveDate,
    /// 撤县设区, 合并, …
    pub reason: String,
}

/// The code-change table, followed to the end of each chain (A → B → C gives A → C).
#[derive(Debug, Clone, Default)]
pub struct CodeChanges {
    next: HashMap<u32, (u32, NaiveDate)>,
}

impl CodeChanges {
    /// Builds the table; a later change of the same old code wins.
    pub fn new(changes: impl IntoIterator<Item = CodeChange>) -> CodeChanges {
        let mut next: HashMap<u32, (u32, NaiveDate)> = HashMap::new();
        for c in changes {
            match next.get(&c.old) {
                Some((_, date)) if *date > c.effective => {}
                _ => {
                    next.insert(c.old, (c.new, c.effective));
                }
            }
        }
        CodeChanges { next }
    }

    /// The current successor of `code` and the date of the last change on the way, or
    /// `None` when the code never changed. Cycles (bad data) stop after 16 steps.
    pub fn current(&self, code: u32) -> Option<(u32, NaiveDate)> {
        let mut at = *self.next.get(&code)?;
        for _ in 0..16 {
            match self.next.get(&at.0) {
                Some(&step) if step.0 != code => at = step,
                _ => break,
            }
        }
        Some(at)
    }

    /// Changes held.
    pub fn len(&self) -> usize {
        self.next.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }
}

/// Parses `old_code,old_name,new_code,new_name,effective_date,reason,…` rows (header first).
pub fn parse_code_changes_csv(text: &str) -> Result<Vec<CodeChange>, String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", i + 2))?;
        let field = |n: usize| record.get(n).unwrap_or("").trim();
        let code = |n: usize| {
            field(n)
                .parse::<u32>()
                .ok()
                .filter(|c| (100_000..=999_999).contains(c))
                .ok_or_else(|| format!("line {}: bad code {:?}", i + 2, field(n)))
        };
        let effective = NaiveDate::parse_from_str(field(4), "%Y-%m-%d")
            .map_err(|_| format!("line {}: bad date {:?}", i + 2, field(4)))?;
        out.push(CodeChange {
            old: code(0)?,
            new: code(2)?,
            effective,
            reason: field(5).to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(old: u32, new: u32, date: &str) -> CodeChange {
        CodeChange {
            old,
            new,
            effective: date.parse().unwrap(),
            reason: String::new(),
        }
    }

    #[test]
    fn follows_chains_and_stops_on_cycles() {
        let changes = CodeChanges::new([
            change(110228, 110118, "2015-11-13"),
            change(370100, 370200, "2019-01-01"),
            change(370200, 370300, "2020-01-01"),
            change(500001, 500002, "2020-01-01"),
            change(500002, 500001, "2021-01-01"),
        ]);
        assert_eq!(changes.current(110228).unwrap().0, 110118);
        assert_eq!(changes.current(370100).unwrap().0, 370300);
        assert_eq!(changes.current(110118), None);
        assert!(changes.current(500001).is_some());
    }
}
