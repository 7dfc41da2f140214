//! Administrative division codes (行政区划代码, GB/T 2260) and levels.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 6-digit GB/T 2260 division code: province `PP0000`, prefecture `PPCC00`, county `PPCCDD`.
///
/// Stored as an integer (codes never start with 0) so joins over millions of rows stay cheap;
/// shown and parsed as the 6-digit string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode(u32);

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not exactly six ASCII digits.
    #[error("division code must be 6 digits, got {0:?}")]
    Format(String),
    /// Six digits, but no province starts with those two digits.
    #[error("division code {0} has no valid province prefix (11–82)")]
    Province(String),
}

impl DivisionCode {
    /// Builds a code from its integer form, checking the range.
    pub fn new(value: u32) -> Result<Self, CodeError> {
        Self::from_str(&format!("{value:06}"))
    }

    /// The integer form, as stored in the database.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The two-digit province prefix as a province code (`PP0000`).
    pub const fn province(self) -> DivisionCode {
        DivisionCode(self.0 / 10_000 * 10_000)
    }

    /// The four-digit prefecture prefix as a prefecture code (`PPCC00`).
    pub const fn prefecture_prefix(self) -> DivisionCode {
        DivisionCode(self.0 / 100 * 100)
    }

    /// Level implied by the code's shape alone. The real tree differs for 直辖市, 省直辖县级
    /// and prefecture-level cities without counties; the division registry knows the truth.
    pub const fn shape_level(self) -> Level {
        if self.0 % 10_000 == 0 {
            Level::Province
        } else if self.0 % 100 == 0 {
            Level::Prefecture
        } else {
            Level::County
        }
    }
}

impl FromStr for DivisionCode {
    type Err = CodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Format(s.chars().take(32).collect()));
        }
        let value: u32 = s.parse().map_err(|_| CodeError::Format(s.to_string()))?;
        // Province prefixes run from 11 (北京) to 82 (澳门).
        if !(110_000..830_000).contains(&value) {
            return Err(CodeError::Province(s.to_string()));
        }
        Ok(DivisionCode(value))
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl Serialize for DivisionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The three levels of the division tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省级: provinces, autonomous regions, 直辖市, SARs.
    Province,
    /// 地级: prefectures, prefecture-level cities, leagues.
    Prefecture,
    /// 县级: counties, districts, county-level cities, banners.
    County,
}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 3] = [Level::Province, Level::Prefecture, Level::County];

    /// Identifier used in the database and API.
    pub const fn id(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::County => "county",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::Prefecture => "地级",
            Level::County => "县级",
        }
    }

    /// Depth in the tree: province 1, prefecture 2, county 3.
    pub const fn depth(self) -> u8 {
        match self {
            Level::Province => 1,
            Level::Prefecture => 2,
            Level::County => 3,
        }
    }

    /// Parses [`Level::id`].
    pub fn from_id(id: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_codes() {
        let code: DivisionCode = "330102".parse().unwrap();
        assert_eq!(code.get(), 330_102);
        assert_eq!(code.to_string(), "330102");
        assert_eq!(code.province().to_string(), "330000");
        assert_eq!(code.prefecture_prefix().to_string(), "330100");
        assert_eq!(code.shape_level(), Level::County);
        assert_eq!(
            "110000".parse::<DivisionCode>().unwrap().shape_level(),
            Level::Province
        );
        assert_eq!(
            "441900".parse::<DivisionCode>().unwrap().shape_level(),
            Level::Prefecture
        );
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "11010",
            "1101011",
            "11010a",
            "０１２３４５",
            " 11010",
            "090000",
            "990000",
            "-11010",
        ] {
            assert!(
                bad.parse::<DivisionCode>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(DivisionCode::new(42).is_err());
    }

    #[test]
    fn levels_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::from_id(level.id()), Some(level));
        }
        assert_eq!(Level::from_id("County"), None);
    }
}
