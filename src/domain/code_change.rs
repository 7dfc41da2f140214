//! Division code changes (撤县设区, merges, renames): an old code maps to the code that
//! succeeded it, so a record declared under a retired code lands in today's county.

use chrono::NaiveDate;
use std::collections::HashMap;

/// One change: `old` was replaced by `new` from `effective`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChange {
    /// Retired code.
    pub old: u32,
    /// Its name while in force (empty when unknown).
    pub old_name: String,
    /// Successor code.
    pub new: u32,
    /// First day the new code applies.
    pub effective: NaiveDate,
    /// 撤县设区, 撤市设区, 撤区设县, 代码调整, 合并 (into a new code), 并入 (into a code that
    /// existed before and keeps it).
    pub reason: String,
}

/// The code-change table, followed to the end of each chain (A → B → C gives A → C).
#[derive(Debug, Clone, Default)]
pub struct CodeChanges {
    next: HashMap<u32, (u32, NaiveDate)>,
    /// The changes into each code, to go back in time.
    into: HashMap<u32, Vec<CodeChange>>,
}

/// A division as it was on a past day, covering (part of) today's division.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PastDivision {
    /// Its code then.
    pub code: u32,
    /// Its name then (empty when unknown).
    pub name: String,
    /// The day its code was retired (`None`: still today's code).
    #[serde(serialize_with = "iso_day")]
    pub retired: Option<NaiveDate>,
}

fn iso_day<S: serde::Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

impl CodeChanges {
    /// Builds the table; a later change of the same old code wins.
    pub fn new(changes: impl IntoIterator<Item = CodeChange>) -> CodeChanges {
        let mut next: HashMap<u32, (u32, NaiveDate)> = HashMap::new();
        let mut into: HashMap<u32, Vec<CodeChange>> = HashMap::new();
        for c in changes {
            into.entry(c.new).or_default().push(c.clone());
            match next.get(&c.old) {
                Some((_, date)) if *date > c.effective => {}
                _ => {
                    next.insert(c.old, (c.new, c.effective));
                }
            }
        }
        CodeChanges { next, into }
    }

    /// The divisions in force on `day` that today's division `code` is made of: `code` alone
    /// when nothing changed since, the retired code of a rename (撤县设区 …), or the parts
    /// of a merger (合并 into a new code: the merged ones; 并入 an existing code: that code
    /// too).
    /// The table is 1:1 (every retired code went wholly into one code), so the parts tile
    /// today's territory; `name` of today's own code is left empty for the caller.
    pub fn on_day(&self, code: u32, day: NaiveDate) -> Vec<PastDivision> {
        let mut parts = Vec::new();
        let mut stack = vec![(code, None)];
        // A cycle (bad data) cannot loop: each code is visited once.
        let mut seen = std::collections::HashSet::new();
        while let Some((at, retired)) = stack.pop() {
            if !seen.insert(at) {
                continue;
            }
            let later: Vec<&CodeChange> = self
                .into
                .get(&at)
                .map(|v| v.iter().filter(|c| c.effective > day).collect())
                .unwrap_or_default();
            // A code made after `day` (by a rename or a merger into a new code) did not exist
            // yet; one that absorbed others (并入) did.
            let created_later = later.iter().any(|c| c.reason != "并入");
            if !created_later {
                parts.push((at, retired));
            }
            for c in later {
                stack.push((c.old, Some(c)));
            }
        }
        let mut out: Vec<PastDivision> = parts
            .into_iter()
            .map(|(at, retired): (u32, Option<&CodeChange>)| PastDivision {
                code: at,
                name: retired.map(|c| c.old_name.clone()).unwrap_or_default(),
                retired: retired.map(|c| c.effective),
            })
            .collect();
        out.sort_by_key(|p| p.code);
        out
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
            old_name: field(1).to_string(),
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
            old_name: format!("旧{old}"),
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

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn goes_back_to_the_divisions_of_a_day() {
        let changes = CodeChanges::new(crate::datasets::code_changes().unwrap());
        let now = |code| PastDivision {
            code,
            name: String::new(),
            retired: None,
        };
        // 宁河县 became 宁河区 (120117) on 2015-07-01: a rename.
        assert_eq!(
            changes.on_day(120117, day("2015-06-30")),
            vec![PastDivision {
                code: 120221,
                name: "宁河县".into(),
                retired: Some(day("2015-07-01")),
            }]
        );
        assert_eq!(changes.on_day(120117, day("2015-07-01")), vec![now(120117)]);
        // 崇文区 merged into 东城区 (110101 kept) on 2010-06-28: both existed before.
        let before = changes.on_day(110101, day("2010-06-27"));
        assert_eq!(before.len(), 2);
        assert_eq!(before[0], now(110101));
        assert_eq!(
            (before[1].code, before[1].name.as_str()),
            (110103, "崇文区")
        );
        // 清河区 and 清浦区 merged into the new 清江浦区 (320812) on 2016-07-07.
        let codes: Vec<u32> = changes
            .on_day(320812, day("2016-07-06"))
            .iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(codes, vec![320802, 320811]);
        // An unchanged county is itself on any day.
        assert_eq!(changes.on_day(330106, day("2001-01-01")), vec![now(330106)]);
        // A chain: 江源县 became 江源区 (220604), renumbered 220605 a year later.
        let then = |day_text| -> Vec<(u32, String)> {
            changes
                .on_day(220605, day(day_text))
                .into_iter()
                .map(|p| (p.code, p.name))
                .collect()
        };
        assert_eq!(then("2005-06-01"), vec![(220625, "江源县".to_string())]);
        assert_eq!(then("2006-06-01"), vec![(220604, "江源区".to_string())]);
        assert_eq!(then("2007-06-01"), vec![(220605, String::new())]);
    }

    #[test]
    fn follows_renames_then_mergers_back() {
        let with = |old, new, date: &str, reason: &str| CodeChange {
            reason: reason.into(),
            ..change(old, new, date)
        };
        // A became B (rename, 2015); B and D went into C, which kept its code (2020).
        let changes = CodeChanges::new([
            with(1, 2, "2015-01-01", "撤县设区"),
            with(2, 3, "2020-01-01", "并入"),
            with(4, 3, "2020-01-01", "并入"),
        ]);
        let codes =
            |d: &str| -> Vec<u32> { changes.on_day(3, day(d)).iter().map(|p| p.code).collect() };
        assert_eq!(codes("2014-12-31"), vec![1, 3, 4]);
        assert_eq!(codes("2015-01-01"), vec![2, 3, 4]);
        assert_eq!(codes("2020-01-01"), vec![3]);
    }
}
