//! A small calendar date (proleptic Gregorian), enough to select winter
//! acquisitions and to group a time series by year.

use std::fmt;
use std::str::FromStr;

use crate::error::{Result, SnowError};

/// A calendar date `(year, month 1–12, day 1–31)`, validated on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(year) {
                29
            } else {
                28
            }
        }
    }
}

impl Date {
    /// A date; [`SnowError::InvalidParameter`] if the month or day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self> {
        if !(1..=12).contains(&month) {
            return Err(SnowError::InvalidParameter {
                name: "month",
                reason: format!("month must be 1–12, got {month}"),
            });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(SnowError::InvalidParameter {
                name: "day",
                reason: format!("{year}-{month:02} has no day {day}"),
            });
        }
        Ok(Date { year, month, day })
    }

    /// Year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Month 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Day of month 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Day of year, 1 on 1 January.
    pub fn day_of_year(&self) -> u16 {
        let before: u16 = (1..self.month)
            .map(|m| u16::from(days_in_month(self.year, m)))
            .sum();
        before + u16::from(self.day)
    }

    /// Days since 1970-01-01 (negative before), for date differences.
    pub fn days_since_epoch(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = SnowError;

    /// Parse `YYYY-MM-DD` (also `YYYYMMDD`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || SnowError::InvalidParameter {
            name: "date",
            reason: format!("expected YYYY-MM-DD or YYYYMMDD, got {s:?}"),
        };
        let s = s.trim();
        let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            (&s[0..4], &s[4..6], &s[6..8])
        } else {
            let mut it = s.split('-');
            let y = it.next().ok_or_else(bad)?;
            let m = it.next().ok_or_else(bad)?;
            let d = it.next().ok_or_else(bad)?;
            if it.next().is_some() {
                return Err(bad());
            }
            (y, m, d)
        };
        Date::new(
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_year_and_epoch() {
        assert_eq!(Date::new(2020, 3, 1).unwrap().day_of_year(), 61); // leap year
        assert_eq!(Date::new(2019, 12, 31).unwrap().day_of_year(), 365);
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(
            "2020-07-31".parse::<Date>().unwrap(),
            Date::new(2020, 7, 31).unwrap()
        );
        assert_eq!(
            "20190806".parse::<Date>().unwrap().to_string(),
            "2019-08-06"
        );
        assert!(matches!(
            Date::new(2019, 2, 29),
            Err(SnowError::InvalidParameter { name: "day", .. })
        ));
        assert!("2019-13-01".parse::<Date>().is_err());
    }
}
