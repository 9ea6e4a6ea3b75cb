//! The capacity forecast (rules.md, "Capacity forecast"): for each of the next `forecast_weeks`
//! weeks, the parents who still need a workshop and must finish by that week's end, against the
//! seats left in workshops that suit them before their dates; a shortfall within
//! `forecast_alert_days` says which workshops to add and how many. Pure: the sweep reads the
//! parents on the course and the workshops in the window, and stores what this returns.
//!
//! The rule, exactly:
//! - **Today** is the sweep's date in England. Week k (1..=weeks) is the 7 days from
//!   `today + 7(k-1)` to `today + 7k - 1` (inclusive); it ends on that last day.
//! - **Who needs a workshop**: a parent on the course (not completed, not completed by the date,
//!   withdrawn), with no booking and no seat held for them, whose court date is today or later and
//!   on or before the last week's end. A parent whose date has passed is the sweep's not-completed
//!   notice, not a seat to find.
//! - **What suits them** is [`Needs`]'s rule of mode and language (`either` suits both modes; a
//!   parent with an interpreter language is suited by workshops in it or with an interpreter for it),
//!   starting after now and before the end of their court date in England ([`deadline`]). The
//!   co-parent rule is not modelled (unbooked parents of one case might both be counted into one
//!   workshop; at most one seat per case is optimistic).
//! - **Seats** are each bookable workshop's seats left (open, in the future; held seats are taken).
//! - **Matching is greedy**: parents in order of court date (then those with one mode before those
//!   with `either`, then by id), each taking a seat in the earliest-starting suitable workshop with
//!   one left. With the court dates nested this way, the parents of week k are matched before any
//!   later parent takes a seat, so week k's figures are those of its own parents. Greedy can, when
//!   `either` parents compete with one-mode parents across dates, report a shortfall a cleverer
//!   assignment would avoid: it errs toward telling coordinators to add a workshop.
//! - **Week k**: demand = parents needing a workshop with a court date on or before its end;
//!   shortfall = those of them left without a seat.
//! - **Alert**: the parents left without a seat whose court date is at most `alert_days` days after
//!   today (`complete_by - today <= 21`: a date 21 days ahead alerts, 22 days ahead does not).
//!   Grouped by kind (mode, language); an `either` parent joins the group of one mode in their
//!   language if there is one (online first), else is a group of "either mode". Each group asks for
//!   `ceil(parents / 6)` workshops, to start before the earliest court date in it.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::offering::{primary_language, Needs, COURSE_LANGUAGE};
use crate::progress::ParentStatus;
use crate::referral::WorkshopMode;
use crate::sweep::deadline;
use crate::timings::Timings;
use crate::workshop::{Workshop, MAX_CAPACITY};
use crate::ParentId;

/// A parent on the course as the forecast reads them (the due-index's `PARENT` partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: Date,
    pub workshop_mode: WorkshopMode,
    pub interpreter_language: Option<String>,
    /// Booked, or holding a seat offered from the waiting list.
    pub has_seat: bool,
}

impl Candidate {
    fn needs_workshop(&self, today: Date, last: Date) -> bool {
        use ParentStatus::*;
        !self.has_seat
            && !matches!(self.status, Completed | NotCompleted | Withdrawn)
            && self.complete_by >= today
            && self.complete_by <= last
    }

    fn kind(&self) -> Kind {
        Kind { mode: self.workshop_mode, language: primary_language(self.interpreter_language.as_deref().unwrap_or(COURSE_LANGUAGE)) }
    }

    fn needs(&self) -> Needs {
        // No case number: the co-parent rule is not modelled (see the module's rule).
        Needs { workshop_mode: self.workshop_mode, interpreter_language: self.interpreter_language.clone(), case_number: String::new() }
    }
}

/// A kind of workshop: its mode (`either`: any) and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kind {
    pub mode: WorkshopMode,
    pub language: String,
}

impl Kind {
    /// "online, in pl" / "in person, in en" / "online or in person, in en".
    pub fn describe(&self) -> String {
        let mode = match self.mode {
            WorkshopMode::Online => "online",
            WorkshopMode::InPerson => "in person",
            WorkshopMode::Either => "online or in person",
        };
        format!("{mode}, in {}", self.language)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Week {
    /// The week's last day.
    pub ends_on: Date,
    /// Parents needing a workshop who must finish by then.
    pub demand: u32,
    /// Of them, those left without a seat.
    pub shortfall: u32,
    /// Seats left in bookable workshops starting before the week ends (any kind).
    pub seats_left: u32,
}

/// Workshops to add: `workshops` of `kind`, starting before `add_by`, for `parents` without a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToAdd {
    pub kind: Kind,
    pub parents: u32,
    pub workshops: u32,
    pub add_by: Date,
}

/// The forecast as stored (one item) and shown on the dashboard. Counts only: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forecast {
    pub computed_at: Timestamp,
    pub today: Date,
    pub weeks: Vec<Week>,
    /// Shortfalls within the alert window: what to add. Empty: no alert.
    pub to_add: Vec<ToAdd>,
}

impl Forecast {
    pub fn alert(&self) -> bool {
        !self.to_add.is_empty()
    }
}

/// The window of workshops the forecast reads: from `now` to the end of its last week.
pub fn window(now: Timestamp, t: &Timings) -> (Timestamp, Timestamp) {
    let today = crate::london_date(now);
    let end =
        last_day(today, t).tomorrow().ok().and_then(deadline_of_day).unwrap_or(now + SignedDuration::from_hours(24 * 7 * t.forecast_weeks));
    (now, end)
}

fn deadline_of_day(d: Date) -> Option<Timestamp> {
    d.to_zoned(crate::london()).ok().map(|z| z.timestamp())
}

fn days_after(d: Date, days: i64) -> Date {
    d.checked_add(jiff::Span::new().days(days)).unwrap_or(d)
}

fn last_day(today: Date, t: &Timings) -> Date {
    days_after(today, 7 * t.forecast_weeks.max(1) - 1)
}

/// Computes the forecast at `now` over the parents on the course and the workshops in the window.
pub fn forecast(now: Timestamp, candidates: &[Candidate], workshops: &[Workshop], t: &Timings) -> Forecast {
    let today = crate::london_date(now);
    let last = last_day(today, t);
    let mut parents: Vec<&Candidate> = candidates.iter().filter(|c| c.needs_workshop(today, last)).collect();
    parents.sort_by(|a, b| {
        a.complete_by
            .cmp(&b.complete_by)
            .then((a.workshop_mode == WorkshopMode::Either).cmp(&(b.workshop_mode == WorkshopMode::Either)))
            .then(a.parent_id.cmp(&b.parent_id))
    });
    let mut open: Vec<(&Workshop, u32)> = workshops.iter().filter(|w| w.bookable(now)).map(|w| (w, w.seats_left())).collect();
    open.sort_by(|a, b| a.0.starts_at.cmp(&b.0.starts_at).then(a.0.workshop_id.cmp(&b.0.workshop_id)));
    let seats_before = |end: Date| -> u32 {
        let until = end.tomorrow().ok().and_then(deadline_of_day);
        open.iter().filter(|(w, _)| until.is_none_or(|u| w.starts_at < u)).map(|(_, s)| *s).sum()
    };
    let week_ends: Vec<Date> = (1..=t.forecast_weeks.max(1)).map(|k| days_after(today, 7 * k - 1)).collect();
    let weeks_seats: Vec<u32> = week_ends.iter().map(|e| seats_before(*e)).collect();

    let mut unmatched: Vec<&Candidate> = Vec::new();
    for p in &parents {
        let needs = p.needs();
        let until = deadline(p.complete_by);
        let seat = open.iter_mut().find(|(w, left)| *left > 0 && until.is_none_or(|u| w.starts_at < u) && needs.suits(w));
        match seat {
            Some((_, left)) => *left -= 1,
            None => unmatched.push(p),
        }
    }
    let weeks = week_ends
        .iter()
        .zip(weeks_seats)
        .map(|(end, seats_left)| Week {
            ends_on: *end,
            demand: parents.iter().filter(|p| p.complete_by <= *end).count() as u32,
            shortfall: unmatched.iter().filter(|p| p.complete_by <= *end).count() as u32,
            seats_left,
        })
        .collect();
    let alert_until = days_after(today, t.forecast_alert_days);
    Forecast { computed_at: now, today, weeks, to_add: to_add(unmatched.into_iter().filter(|p| p.complete_by <= alert_until)) }
}

/// Groups the parents left without a seat into workshops to add (the module's rule).
fn to_add<'a>(short: impl Iterator<Item = &'a Candidate>) -> Vec<ToAdd> {
    let short: Vec<&Candidate> = short.collect();
    let mut groups: Vec<(Kind, u32, Date)> = Vec::new();
    fn add(groups: &mut Vec<(Kind, u32, Date)>, k: Kind, by: Date) {
        match groups.iter_mut().find(|(g, _, _)| *g == k) {
            Some((_, n, at)) => {
                *n += 1;
                *at = (*at).min(by);
            }
            None => groups.push((k, 1, by)),
        }
    }
    for p in short.iter().filter(|p| p.workshop_mode != WorkshopMode::Either) {
        add(&mut groups, p.kind(), p.complete_by);
    }
    for p in short.iter().filter(|p| p.workshop_mode == WorkshopMode::Either) {
        let language = p.kind().language;
        let joined = [WorkshopMode::Online, WorkshopMode::InPerson]
            .into_iter()
            .map(|mode| Kind { mode, language: language.clone() })
            .find(|k| groups.iter().any(|(g, _, _)| g == k))
            .unwrap_or(Kind { mode: WorkshopMode::Either, language });
        add(&mut groups, joined, p.complete_by);
    }
    let rank = |m: WorkshopMode| match m {
        WorkshopMode::Online => 0,
        WorkshopMode::InPerson => 1,
        WorkshopMode::Either => 2,
    };
    let mut out: Vec<ToAdd> = groups
        .into_iter()
        .map(|(kind, parents, add_by)| ToAdd { kind, parents, workshops: parents.div_ceil(MAX_CAPACITY), add_by })
        .collect();
    out.sort_by(|a, b| a.add_by.cmp(&b.add_by).then(rank(a.kind.mode).cmp(&rank(b.kind.mode))).then(a.kind.language.cmp(&b.kind.language)));
    out
}

#[cfg(test)]
mod tests;
