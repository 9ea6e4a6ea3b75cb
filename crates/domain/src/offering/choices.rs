//! What a parent narrows the booking page to (time of day, weekdays or weekends), and where a
//! page of bookable workshops ends (the cursor of "later dates"). Pure: the stores and the
//! booking page use them.

use jiff::Timestamp;

use crate::workshop::Workshop;
use crate::WorkshopId;

/// The part of the day a workshop starts in, in London: morning before 12:00, afternoon before
/// 17:00, evening after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl TimeOfDay {
    pub const ALL: [TimeOfDay; 3] = [Self::Morning, Self::Afternoon, Self::Evening];

    pub fn of(t: Timestamp) -> Self {
        match t.to_zoned(crate::london()).hour() {
            h if h < 12 => Self::Morning,
            h if h < 17 => Self::Afternoon,
            _ => Self::Evening,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Morning => "morning",
            Self::Afternoon => "afternoon",
            Self::Evening => "evening",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Weekday (Monday to Friday) or weekend, in London.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Days {
    Weekday,
    Weekend,
}

impl Days {
    pub const ALL: [Days; 2] = [Self::Weekday, Self::Weekend];

    pub fn of(t: Timestamp) -> Self {
        match t.to_zoned(crate::london()).weekday() {
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday => Self::Weekend,
            _ => Self::Weekday,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Weekday => "weekday",
            Self::Weekend => "weekend",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The times a parent asked to see: an empty set is any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferFilter {
    pub times: Vec<TimeOfDay>,
    pub days: Vec<Days>,
}

impl OfferFilter {
    pub fn fits(&self, w: &Workshop) -> bool {
        (self.times.is_empty() || self.times.contains(&TimeOfDay::of(w.starts_at)))
            && (self.days.is_empty() || self.days.contains(&Days::of(w.starts_at)))
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty() && self.days.is_empty()
    }
}

/// Where a page of bookable workshops ended: the last workshop read, by start then id (the
/// bookable index's order). The next page starts after it, whatever has changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookableCursor {
    pub starts_at: Timestamp,
    pub workshop_id: WorkshopId,
}

impl BookableCursor {
    pub fn at(w: &Workshop) -> Self {
        Self { starts_at: w.starts_at, workshop_id: w.workshop_id.clone() }
    }

    /// As text for a link: `<unix seconds>.<workshop id>`.
    pub fn token(&self) -> String {
        format!("{}.{}", self.starts_at.as_second(), self.workshop_id)
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (secs, id) = s.split_once('.')?;
        let starts_at = Timestamp::from_second(secs.parse().ok()?).ok()?;
        Some(Self { starts_at, workshop_id: WorkshopId::parse(id).ok()? })
    }

    /// The order the bookable index keeps: the start to the whole second, then the id.
    pub fn key(&self) -> (i64, &str) {
        (self.starts_at.as_second(), self.workshop_id.as_str())
    }
}

/// One page of bookable workshops, soonest first, and where the next begins (`None`: the last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookablePage {
    pub workshops: Vec<Workshop>,
    pub next: Option<BookableCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn times_of_day_are_london_hours() {
        // Winter: London is UTC.
        assert_eq!(TimeOfDay::of(at("2026-12-01T11:59:00Z")), TimeOfDay::Morning);
        assert_eq!(TimeOfDay::of(at("2026-12-01T12:00:00Z")), TimeOfDay::Afternoon);
        assert_eq!(TimeOfDay::of(at("2026-12-01T16:59:00Z")), TimeOfDay::Afternoon);
        assert_eq!(TimeOfDay::of(at("2026-12-01T17:00:00Z")), TimeOfDay::Evening);
        // Summer: 11:30 UTC is 12:30 in London.
        assert_eq!(TimeOfDay::of(at("2027-07-01T11:30:00Z")), TimeOfDay::Afternoon);
        assert_eq!(TimeOfDay::of(at("2027-07-01T16:30:00Z")), TimeOfDay::Evening);
    }

    #[test]
    fn weekends_are_saturday_and_sunday_in_london() {
        assert_eq!(Days::of(at("2026-12-05T10:00:00Z")), Days::Weekend);
        assert_eq!(Days::of(at("2026-12-06T23:30:00Z")), Days::Weekend);
        // Sunday 23:30 UTC in summer is Monday 00:30 in London.
        assert_eq!(Days::of(at("2027-07-04T23:30:00Z")), Days::Weekday);
        assert_eq!(Days::of(at("2026-12-07T10:00:00Z")), Days::Weekday);
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for t in TimeOfDay::ALL {
            assert_eq!(TimeOfDay::parse(t.as_str()), Some(t));
        }
        for d in Days::ALL {
            assert_eq!(Days::parse(d.as_str()), Some(d));
        }
        assert_eq!(TimeOfDay::parse("night"), None);
        assert_eq!(Days::parse("Weekend"), None);
    }

    #[test]
    fn a_cursor_reads_back_and_a_mangled_one_is_refused() {
        let c = BookableCursor {
            starts_at: at("2026-12-01T10:00:00Z"),
            workshop_id: WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
        };
        assert_eq!(BookableCursor::parse(&c.token()), Some(c));
        for bad in ["", "x.y", "1796032800", "1796032800.not-an-id", "abc.00000000-0000-4000-8000-000000000001"] {
            assert_eq!(BookableCursor::parse(bad), None, "{bad}");
        }
    }
}
