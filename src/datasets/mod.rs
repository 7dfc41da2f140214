//! Embedded default data: the real China boundaries, the population proxy, and the
//! deterministic synthetic service-object generator.

pub mod boundaries;
pub mod population;
pub mod synthetic;

pub use boundaries::{load_embedded, Boundaries};
pub use synthetic::{generate, SyntheticOptions};

/// The division code-change table shipped in `datasets/divisions/` (see its README).
pub fn code_changes() -> Result<Vec<crate::domain::CodeChange>, String> {
    crate::domain::code_change::parse_code_changes_csv(include_str!(
        "../../datasets/divisions/code_changes.csv"
    ))
}

#[cfg(test)]
mod tests {
    use crate::domain::{CodeChanges, DivisionCode};

    /// Every retired code of the shipped table is absent from today's boundaries, and its
    /// chain of successors (one row each: 江源县 → 江源区 220604 → 220605) ends in one of
    /// today's leaves.
    #[test]
    fn every_code_change_lands_in_one_of_todays_leaves() {
        let registry = super::load_embedded().unwrap().registry;
        let changes = super::code_changes().unwrap();
        assert!(changes.len() > 700, "{} rows", changes.len());
        let table = CodeChanges::new(changes.clone());
        for c in &changes {
            let old = DivisionCode::new(c.old).unwrap();
            assert!(registry.get(old).is_none(), "{} is still in use", c.old);
            let (now, _) = table.current(c.old).unwrap();
            let leaf = registry
                .get(DivisionCode::new(now).unwrap())
                .is_some_and(|d| d.is_leaf);
            assert!(leaf, "{} → … → {now}: not one of today's leaves", c.old);
        }
        // Renumbered with a new prefecture (寿县: 六安 → 淮南), 撤县设市 with a new code, and
        // a chain.
        assert_eq!(table.current(341521).unwrap().0, 340422);
        assert_eq!(table.current(231024).unwrap().0, 231086);
        assert_eq!(table.current(220625).unwrap().0, 220605);
    }
}
