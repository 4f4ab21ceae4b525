//! Calendar dates of acquisitions (proleptic Gregorian, no time zone).
//!
//! SAR time series need only whole days: the interval between two
//! acquisitions (offset tracking, thesis eq. 2.7), the month of a scene
//! (winter references, sect. 3.3.1) and the year (melt duration, sect. 3.4.2).

use std::fmt;
use std::str::FromStr;

use crate::error::{Result, SarError};

/// A calendar date, stored as days since 1970-01-01.
///
/// ```
/// use sar_core::Date;
/// let a: Date = "2017-01-10".parse()?;
/// let b = Date::from_ymd(2017, 1, 22)?;
/// assert_eq!(b.days_since(a), 12);
/// assert_eq!((b.year(), b.month(), b.day()), (2017, 1, 22));
/// assert_eq!(b.to_string(), "2017-01-22");
/// # Ok::<(), sar_core::SarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

impl Date {
    /// The date `year`-`month`-`day`; [`SarError::InvalidParameter`] if it does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(SarError::InvalidParameter {
                name: "date",
                reason: format!("{year:04}-{month:02}-{day:02} is not a calendar date"),
            });
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

    /// `(year, month, day)`.
    pub fn ymd(&self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// Year.
    pub fn year(&self) -> i32 {
        self.ymd().0
    }

    /// Month, 1–12.
    pub fn month(&self) -> u32 {
        self.ymd().1
    }

    /// Day of the month, 1–31.
    pub fn day(&self) -> u32 {
        self.ymd().2
    }

    /// Day of the year, 1–366.
    pub fn day_of_year(&self) -> u32 {
        let y = self.year();
        (self.days - days_from_civil(y as i64, 1, 1) + 1) as u32
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days in `month` of `year`.
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
    type Err = SarError;

    /// Parse `YYYY-MM-DD` (ISO 8601) or `YYYYMMDD` (as in Sentinel-1 file names).
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let bad = || SarError::InvalidParameter {
            name: "date",
            reason: format!("cannot parse {t:?}; write dates as YYYY-MM-DD or YYYYMMDD"),
        };
        let (y, m, d) = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            (&t[0..4], &t[4..6], &t[6..8])
        } else {
            let mut it = t.split('-');
            match (it.next(), it.next(), it.next(), it.next()) {
                (Some(y), Some(m), Some(d), None) => (y, m, d),
                _ => return Err(bad()),
            }
        };
        let y: i32 = y.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        let d: u32 = d.parse().map_err(|_| bad())?;
        Date::from_ymd(y, m, d)
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
    fn epoch_leap_years_and_roundtrip() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        // 30 years of 365 days + 7 leap days (72, 76, 80, 84, 88, 92, 96) + Jan + Feb 2000 (31 + 29).
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(),
            11_017
        );
        let a = Date::from_ymd(2016, 2, 28).unwrap();
        let b = Date::from_ymd(2016, 3, 1).unwrap();
        assert_eq!(b.days_since(a), 2);
        assert_eq!(b.day_of_year(), 61);
        assert_eq!(Date::from_ymd(2017, 12, 31).unwrap().day_of_year(), 365);
        assert!(Date::from_ymd(2017, 2, 29).is_err());
        assert!(Date::from_ymd(1900, 2, 29).is_err());
        assert!(Date::from_ymd(2000, 2, 29).is_ok());
        for days in [-100_000_i64, -1, 0, 17_000, 20_000, 60_000] {
            let d = Date::from_days_since_epoch(days);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd).unwrap(), d);
        }
    }

    #[test]
    fn parsing() {
        let d: Date = "2019-07-04".parse().unwrap();
        assert_eq!(d.ymd(), (2019, 7, 4));
        assert_eq!("20190704".parse::<Date>().unwrap(), d);
        for bad in [
            "2019-13-01",
            "2019-07",
            "garbage",
            "2019-07-04-1",
            "2019/07/04",
        ] {
            assert!(
                matches!(bad.parse::<Date>(), Err(SarError::InvalidParameter { .. })),
                "{bad}"
            );
        }
    }
}
