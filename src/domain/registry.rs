//! The division tree (区划树): parents, children, levels, and the partition of China at each
//! level, with the GB/T 2260 special cases resolved once here.
//!
//! Every level is a partition of the country, so statistics at any level sum to the total:
//! - `province`: the 34 province-level divisions;
//! - `prefecture`: the children of provinces (prefectures, plus 省直辖县级 cities such as
//!   仙桃 429004 and 重庆's districts, which have no prefecture layer), and any province without
//!   children in the boundary data (台湾);
//! - `county`: the leaves (counties, plus prefecture-level cities without counties such as
//!   东莞 441900, and the childless provinces).

use super::division::{DivisionCode, Level};
use serde::Serialize;
use std::collections::HashMap;

/// One division's place in the tree.
#[derive(Debug, Clone, Serialize)]
pub struct DivisionInfo {
    /// Its code.
    pub code: DivisionCode,
    /// Official Chinese name.
    pub name: String,
    /// Official level (GB/T 2260), independent of where it sits in the tree.
    pub level: Level,
    /// Parent division; `None` for provinces.
    pub parent: Option<DivisionCode>,
    /// Depth in the tree: 1 for provinces; a 省直辖县级 city has depth 2.
    pub depth: u8,
    /// Whether it has no children (a unit points are assigned to).
    pub is_leaf: bool,
}

/// Why a list of divisions does not form a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The same code appears twice.
    #[error("division {0} appears twice")]
    Duplicate(DivisionCode),
    /// A parent code is not in the list.
    #[error("division {0} has unknown parent {1}")]
    MissingParent(DivisionCode, DivisionCode),
    /// Parents do not lead to a province within three steps.
    #[error("division {0} is not under a province within three levels")]
    TooDeep(DivisionCode),
}

/// The tree of divisions, indexed by code.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    divisions: Vec<DivisionInfo>,
    by_code: HashMap<DivisionCode, usize>,
    children: HashMap<DivisionCode, Vec<DivisionCode>>,
}

impl Registry {
    /// Builds the tree from (code, name, level, parent) rows in any order.
    pub fn build(
        rows: impl IntoIterator<Item = (DivisionCode, String, Level, Option<DivisionCode>)>,
    ) -> Result<Registry, RegistryError> {
        let mut divisions: Vec<DivisionInfo> = rows
            .into_iter()
            .map(|(code, name, level, parent)| DivisionInfo {
                code,
                name,
                level,
                parent,
                depth: 0,
                is_leaf: true,
            })
            .collect();
        divisions.sort_by_key(|d| d.code);
        let mut by_code = HashMap::with_capacity(divisions.len());
        for (i, d) in divisions.iter().enumerate() {
            if by_code.insert(d.code, i).is_some() {
                return Err(RegistryError::Duplicate(d.code));
            }
        }
        let mut children: HashMap<DivisionCode, Vec<DivisionCode>> = HashMap::new();
        for d in &divisions {
            if let Some(parent) = d.parent {
                if !by_code.contains_key(&parent) {
                    return Err(RegistryError::MissingParent(d.code, parent));
                }
                children.entry(parent).or_default().push(d.code);
            }
        }
        for i in 0..divisions.len() {
            let mut depth = 1u8;
            let mut cursor = divisions[i].parent;
            while let Some(parent) = cursor {
                depth += 1;
                if depth > 3 {
                    return Err(RegistryError::TooDeep(divisions[i].code));
                }
                cursor = divisions[by_code[&parent]].parent;
            }
            let code = divisions[i].code;
            divisions[i].depth = depth;
            divisions[i].is_leaf = !children.contains_key(&code);
        }
        Ok(Registry {
            divisions,
            by_code,
            children,
        })
    }

    /// All divisions, sorted by code.
    pub fn all(&self) -> &[DivisionInfo] {
        &self.divisions
    }

    /// Number of divisions.
    pub fn len(&self) -> usize {
        self.divisions.len()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.divisions.is_empty()
    }

    /// One division.
    pub fn get(&self, code: DivisionCode) -> Option<&DivisionInfo> {
        self.by_code.get(&code).map(|&i| &self.divisions[i])
    }

    /// Direct children, sorted by code.
    pub fn children(&self, code: DivisionCode) -> &[DivisionCode] {
        self.children.get(&code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The chain from the province down to `code` (inclusive).
    pub fn lineage(&self, code: DivisionCode) -> Vec<&DivisionInfo> {
        let mut chain = Vec::with_capacity(3);
        let mut cursor = self.get(code);
        while let Some(d) = cursor {
            chain.push(d);
            cursor = d.parent.and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }

    /// The division that stands for `code` in the partition at `level`: its ancestor at that
    /// depth, or itself when it is a leaf above that depth.
    pub fn representative(&self, code: DivisionCode, level: Level) -> Option<DivisionCode> {
        let lineage = self.lineage(code);
        let index = (level.depth() as usize).min(lineage.len()).checked_sub(1)?;
        Some(lineage[index].code)
    }

    /// The partition at `level`, restricted to descendants of `parent` (or the whole country).
    /// A parent below the level yields just the parent's own representative.
    pub fn partition(&self, level: Level, parent: Option<DivisionCode>) -> Vec<DivisionCode> {
        let in_level =
            |d: &DivisionInfo| d.depth == level.depth() || (d.is_leaf && d.depth < level.depth());
        let mut out: Vec<DivisionCode> = match parent {
            None => self
                .divisions
                .iter()
                .filter(|d| in_level(d))
                .map(|d| d.code)
                .collect(),
            Some(root) => {
                let mut out = Vec::new();
                let mut stack = vec![root];
                while let Some(code) = stack.pop() {
                    let Some(d) = self.get(code) else { continue };
                    if in_level(d) || d.depth > level.depth() {
                        out.push(code);
                    } else {
                        stack.extend_from_slice(self.children(code));
                    }
                }
                out
            }
        };
        out.sort();
        out
    }

    /// Leaves (units that points are assigned to), sorted by code.
    pub fn leaves(&self) -> impl Iterator<Item = &DivisionInfo> {
        self.divisions.iter().filter(|d| d.is_leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        s.parse().unwrap()
    }

    /// A miniature of the real special cases.
    fn sample() -> Registry {
        let rows = [
            ("110000", "北京市", Level::Province, None),
            ("110100", "北京市", Level::Prefecture, Some("110000")),
            ("110101", "东城区", Level::County, Some("110100")),
            ("420000", "湖北省", Level::Province, None),
            ("420100", "武汉市", Level::Prefecture, Some("420000")),
            ("420102", "江岸区", Level::County, Some("420100")),
            ("429004", "仙桃市", Level::County, Some("420000")),
            ("440000", "广东省", Level::Province, None),
            ("441900", "东莞市", Level::Prefecture, Some("440000")),
            ("500000", "重庆市", Level::Province, None),
            ("500101", "万州区", Level::County, Some("500000")),
            ("710000", "台湾省", Level::Province, None),
        ];
        Registry::build(rows.map(|(c, n, l, p)| (code(c), n.to_string(), l, p.map(code)))).unwrap()
    }

    #[test]
    fn depth_and_leaves_follow_the_special_cases() {
        let r = sample();
        assert_eq!(r.get(code("429004")).unwrap().depth, 2);
        assert!(r.get(code("441900")).unwrap().is_leaf);
        assert!(r.get(code("710000")).unwrap().is_leaf);
        assert!(!r.get(code("110100")).unwrap().is_leaf);
        let leaves: Vec<_> = r.leaves().map(|d| d.code.to_string()).collect();
        assert_eq!(
            leaves,
            ["110101", "420102", "429004", "441900", "500101", "710000"]
        );
    }

    #[test]
    fn every_level_partitions_the_country() {
        let r = sample();
        let names = |v: Vec<DivisionCode>| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(r.partition(Level::Province, None)),
            ["110000", "420000", "440000", "500000", "710000"]
        );
        assert_eq!(
            names(r.partition(Level::Prefecture, None)),
            ["110100", "420100", "429004", "441900", "500101", "710000"]
        );
        assert_eq!(
            names(r.partition(Level::County, None)).len(),
            r.leaves().count()
        );
        assert_eq!(
            names(r.partition(Level::County, Some(code("420000")))),
            ["420102", "429004"]
        );
        assert_eq!(
            names(r.partition(Level::Prefecture, Some(code("420000")))),
            ["420100", "429004"]
        );
        // A parent below the requested level stands for itself.
        assert_eq!(
            names(r.partition(Level::Province, Some(code("420102")))),
            ["420102"]
        );
        // Every leaf's representative is a member of each level's partition.
        for level in Level::ALL {
            let part = r.partition(level, None);
            for leaf in r.leaves() {
                assert!(part.contains(&r.representative(leaf.code, level).unwrap()));
            }
        }
    }

    #[test]
    fn rejects_broken_trees() {
        let dup = [
            (code("110000"), "a".into(), Level::Province, None),
            (code("110000"), "b".into(), Level::Province, None),
        ];
        assert!(matches!(
            Registry::build(dup),
            Err(RegistryError::Duplicate(_))
        ));
        let orphan = [(
            code("110101"),
            "a".into(),
            Level::County,
            Some(code("110100")),
        )];
        assert!(matches!(
            Registry::build(orphan),
            Err(RegistryError::MissingParent(..))
        ));
    }
}
