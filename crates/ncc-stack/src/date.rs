//! A minimal calendar date (proleptic Gregorian) for acquisition times.

use std::fmt;
use std::str::FromStr;

use crate::error::NccError;

/// A calendar date, stored as days since 1970-01-01.
///
/// ```
/// use ncc_stack::Date;
/// let a: Date = "2017-01-10".parse()?;
/// let b = Date::from_ymd(2017, 1, 21)?;
/// assert_eq!(b.days_since(a), 11);
/// assert_eq!(b.to_string(), "2017-01-21");
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

impl Date {
    /// The date of `year`-`month`-`day`; an error if the day does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self, NccError> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(NccError::BadDate(format!("{year:04}-{month:02}-{day:02}")));
        }
        Ok(Date {
            days: days_from_civil(year as i64, month as i64, day as i64),
        })
    }

    /// A date from days since 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        Date { days }
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(&self) -> i64 {
        self.days
    }

    /// Days from `earlier` to `self` (positive if `self` is later).
    pub fn days_since(&self, earlier: Date) -> i64 {
        self.days - earlier.days
    }

    /// (year, month, day).
    pub fn ymd(&self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    ((if m <= 2 { y + 1 } else { y }) as i32, m as u32, d as u32)
}

impl FromStr for Date {
    type Err = NccError;
    fn from_str(s: &str) -> Result<Self, NccError> {
        let bad = || NccError::BadDate(s.to_string());
        let t = s.trim();
        let parts: Vec<&str> = t.split('-').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let y: i32 = parts[0].parse().map_err(|_| bad())?;
        let m: u32 = parts[1].parse().map_err(|_| bad())?;
        let d: u32 = parts[2].parse().map_err(|_| bad())?;
        Date::from_ymd(y, m, d).map_err(|_| bad())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_leap_years() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        let a = Date::from_ymd(2016, 2, 28).unwrap();
        let b = Date::from_ymd(2016, 3, 1).unwrap();
        assert_eq!(b.days_since(a), 2);
        assert!(Date::from_ymd(2017, 2, 29).is_err());
        assert!(matches!("2017-13-01".parse::<Date>(), Err(NccError::BadDate(_))));
        assert!("garbage".parse::<Date>().is_err());
        for days in [-1000_i64, 0, 17_000, 20_000] {
            let d = Date::from_days_since_epoch(days);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd).unwrap(), d);
        }
    }
}
