//! A calendar month in England (`YYYY-MM`).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

/// The most months one report or export covers.
pub const MAX_MONTHS: usize = 36;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i16,
    month: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("a month is written YYYY-MM, for example 2026-11")]
    Unreadable,
    #[error("the first month must not be after the last")]
    Backwards,
    #[error("at most {MAX_MONTHS} months at a time")]
    TooMany,
}

impl Month {
    pub fn new(year: i16, month: i8) -> Option<Self> {
        ((2000..=9998).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month in England at `t`.
    pub fn of(t: Timestamp) -> Self {
        let d = crate::london_date(t);
        Self { year: d.year(), month: d.month() }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { month: self.month + 1, ..self }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { month: self.month - 1, ..self }
        }
    }

    /// `n` months earlier.
    pub fn back(self, n: usize) -> Self {
        (0..n).fold(self, |m, _| m.previous())
    }

    /// "November 2026".
    pub fn label(self) -> String {
        const NAMES: [&str; 12] =
            ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        format!("{} {}", NAMES[(self.month - 1) as usize], self.year)
    }

    /// Every month from `from` to `to`, both included; at most [`MAX_MONTHS`].
    pub fn range(from: Month, to: Month) -> Result<Vec<Month>, MonthError> {
        if from > to {
            return Err(MonthError::Backwards);
        }
        let mut months = vec![from];
        while let Some(&last) = months.last().filter(|m| **m < to) {
            if months.len() == MAX_MONTHS {
                return Err(MonthError::TooMany);
            }
            months.push(last.next());
        }
        Ok(months)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, MonthError> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
            return Err(MonthError::Unreadable);
        }
        let year = s[..4].parse().map_err(|_| MonthError::Unreadable)?;
        let month = s[5..].parse().map_err(|_| MonthError::Unreadable)?;
        Self::new(year, month).ok_or(MonthError::Unreadable)
    }
}
