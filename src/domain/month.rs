//! Calendar months, the time grain of civil-affairs statistics.

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar month such as `2025-06`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

/// Why a string is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("month must be YYYY-MM between 1949-10 and 2100-12, got {0:?}")]
pub struct MonthError(String);

impl Month {
    /// Builds a month, checking the range.
    pub fn new(year: i32, month: u32) -> Result<Self, MonthError> {
        if !(1..=12).contains(&month) || !(1949..=2100).contains(&year) {
            return Err(MonthError(format!("{year}-{month:02}")));
        }
        Ok(Month { year, month })
    }

    /// The month containing a date.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }

    /// Last day of the month: the as-of date of a monthly snapshot.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("validated month")
    }

    /// The following month.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month `n` months later (n may be negative).
    pub fn plus_months(self, n: i32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 + n;
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// Months from `self` to `other` (negative when other is earlier).
    pub fn months_until(self, other: Month) -> i32 {
        (other.year - self.year) * 12 + other.month as i32 - self.month as i32
    }
}

impl FromStr for Month {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let shaped = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit);
        if !shaped {
            return Err(MonthError(s.chars().take(32).collect()));
        }
        let year = s[..4].parse().map_err(|_| MonthError(s.to_string()))?;
        let month = s[5..].parse().map_err(|_| MonthError(s.to_string()))?;
        Month::new(year, month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds() {
        let m: Month = "2024-02".parse().unwrap();
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(
            "2023-12".parse::<Month>().unwrap().next().to_string(),
            "2024-01"
        );
        assert_eq!(m.plus_months(-14).to_string(), "2022-12");
        assert_eq!(m.plus_months(11).to_string(), "2025-01");
        assert_eq!(m.months_until("2025-02".parse().unwrap()), 12);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2024-13",
            "2024-00",
            "2024-1",
            "24-01",
            "2024/01",
            "2024-01-01",
            "1900-01",
            "２０２４-01",
            "2024-+1",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad:?} should be rejected");
        }
    }
}
