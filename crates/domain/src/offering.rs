//! Which workshops suit a parent (rules.md, "Offering workshops"), the waiting list and the seats
//! held for it ("Waiting list"). Rules only: the stores make them conditions of their writes.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::referral::WorkshopMode;
use crate::timings::Timings;
use crate::workshop::Workshop;

mod choices;
pub use choices::{BookableCursor, BookablePage, Days, OfferFilter, TimeOfDay};

/// When a workshop runs, in the course's time zone: what a parent filters by and states on the
/// waiting list. Morning before 12:00, afternoon before 17:00, evening after; Saturday and Sunday
/// are the weekend whatever the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSlot {
    WeekdayMorning,
    WeekdayAfternoon,
    WeekdayEvening,
    Weekend,
}

impl TimeSlot {
    pub const ALL: [TimeSlot; 4] = [Self::WeekdayMorning, Self::WeekdayAfternoon, Self::WeekdayEvening, Self::Weekend];

    pub fn of(t: Timestamp) -> Self {
        let local = t.to_zoned(crate::london());
        if matches!(local.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
            return Self::Weekend;
        }
        match local.hour() {
            h if h < 12 => Self::WeekdayMorning,
            h if h < 17 => Self::WeekdayAfternoon,
            _ => Self::WeekdayEvening,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WeekdayMorning => "weekday-morning",
            Self::WeekdayAfternoon => "weekday-afternoon",
            Self::WeekdayEvening => "weekday-evening",
            Self::Weekend => "weekend",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a workshop must suit: the parent's mode, the language they need, and their case (never
/// a co-parent's workshop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Needs {
    pub workshop_mode: WorkshopMode,
    /// A language an interpreter is needed for; `None`: the course's language, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter_language: Option<String>,
    pub case_number: String,
}

/// The course's own language: a parent without an interpreter language is offered workshops in it.
pub const COURSE_LANGUAGE: &str = "en";

/// The primary subtag, lower-cased: `en-GB` is English, `PL` is Polish.
pub fn primary_language(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

impl Needs {
    /// The workshop's language is the parent's, or an interpreter for it is recorded.
    pub fn language_suits(&self, w: &Workshop) -> bool {
        let wanted = primary_language(self.interpreter_language.as_deref().unwrap_or(COURSE_LANGUAGE));
        primary_language(&w.language) == wanted || w.interpreters.iter().any(|i| primary_language(i) == wanted)
    }

    /// Mode, language, and never the workshop a co-parent is booked on (or holds a seat on).
    pub fn suits(&self, w: &Workshop) -> bool {
        w.mode.suits(self.workshop_mode) && self.language_suits(w) && !w.has_case(&self.case_number)
    }
}

/// A parent's place on the waiting list: when they joined and the times that suit them (empty: any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingPlace {
    pub joined_at: Timestamp,
    #[serde(default)]
    pub times: Vec<TimeSlot>,
}

impl WaitingPlace {
    pub fn time_suits(&self, w: &Workshop) -> bool {
        self.times.is_empty() || self.times.contains(&TimeSlot::of(w.starts_at))
    }
}

/// A seat held for a waiting parent until `hold_until`: it counts as taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldOffer {
    pub offer_id: crate::OfferId,
    pub workshop_id: crate::WorkshopId,
    pub starts_at: Timestamp,
    pub offered_at: Timestamp,
    pub hold_until: Timestamp,
}

impl HeldOffer {
    pub fn expired(&self, now: Timestamp) -> bool {
        now >= self.hold_until
    }
}

/// How long a seat offered at `now` is held: the hold window, never past the cutoff before the
/// start. `None`: too late to offer it at all.
pub fn hold_until(now: Timestamp, starts_at: Timestamp, timings: &Timings) -> Option<Timestamp> {
    let until = (now + timings.offer_hold).min(starts_at - timings.offer_cutoff);
    (until > now).then_some(until)
}

/// The Monday (Europe/London) of the week a moment falls in: the booking page groups by it.
pub fn week_of(t: Timestamp) -> jiff::civil::Date {
    let d = t.to_zoned(crate::london()).date();
    d - SignedDuration::from_hours(24 * i64::from(d.weekday().to_monday_zero_offset()))
}

#[cfg(test)]
mod tests;

/// A parent's entry on the waiting list as the offering reads it: what a workshop must suit,
/// their place, and the workshops offered to them before (never offered the same one twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingEntry {
    pub parent_id: crate::ParentId,
    pub needs: Needs,
    pub place: WaitingPlace,
    pub complete_by: jiff::civil::Date,
    #[serde(default)]
    pub offered: Vec<crate::WorkshopId>,
    /// The offer they hold now, if any (one at a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holding: Option<crate::OfferId>,
}

impl WaitingEntry {
    /// Whether a free seat on `w` may be held for this parent: they hold none now, were never
    /// offered this workshop, and it suits them (mode, language, co-parent, their times).
    pub fn may_be_offered(&self, w: &Workshop) -> bool {
        self.holding.is_none() && !self.offered.contains(&w.workshop_id) && self.needs.suits(w) && self.place.time_suits(w)
    }
}

/// The order of the list: the earliest court date first, ties by time joined.
pub fn list_order(a: &WaitingEntry, b: &WaitingEntry) -> std::cmp::Ordering {
    (a.complete_by, a.place.joined_at, &a.parent_id).cmp(&(b.complete_by, b.place.joined_at, &b.parent_id))
}

/// What holding a seat for a waiting parent came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// No seat left (or the workshop closed, started or changed): read it again.
    SeatGone,
    /// Not this parent: a co-parent holds or booked a seat on it, or the parent is no longer
    /// waiting as read (left, booked, closed, or holding another offer).
    NotThisParent,
}

/// What accepting a held seat came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    Booked(crate::workshop::Booking),
    /// The offer is no longer the parent's as read, or the workshop changed: decide again.
    Stale,
}
