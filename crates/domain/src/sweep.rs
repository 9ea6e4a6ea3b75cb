//! What the daily sweep owes each parent, and when (rules.md "Emails" and timings).
//!
//! A parent open on the course sits in the due-index at `dueAt`: the earliest moment something
//! may be owed to them. Everything owed before `dueAt` has been dealt with (sent, or made moot by
//! the parent's own progress), so a sweep at `now` owes exactly the candidates in
//! `[dueAt, now]`, then moves `dueAt` to the next candidate after `now`. A parent leaves the
//! index when nothing more can be owed (completed, not completed, withdrawn).

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::notice::NoticeKind;
use crate::progress::{ParentStatus, ReferralStatus};
use crate::timings::Timings;
use crate::workshop::Booking;

/// The reminders a sweep raises for a parent (each once; the workshop's once per booking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reminder {
    ActivationReminder,
    ElearningReminder,
    BookingReminder,
    WorkshopReminder,
    DeadlineWarning,
}

impl Reminder {
    pub fn kind(self) -> NoticeKind {
        match self {
            Self::ActivationReminder => NoticeKind::ActivationReminder,
            Self::ElearningReminder => NoticeKind::ElearningReminder,
            Self::BookingReminder => NoticeKind::BookingReminder,
            Self::WorkshopReminder => NoticeKind::WorkshopReminder,
            Self::DeadlineWarning => NoticeKind::DeadlineWarning,
        }
    }

    /// What makes this reminder's email unique in the notice ledger: the parent's one, or the booking's.
    pub fn subject(self, booking: Option<(&str, Timestamp)>) -> String {
        match (self, booking) {
            (Self::WorkshopReminder, Some((workshop_id, booked_at))) => format!("{workshop_id}@{}", booked_at.as_second()),
            _ => "course".into(),
        }
    }
}

/// The facts about a parent that decide what is owed to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueState {
    pub status: ParentStatus,
    /// When the referral was received (the welcome goes out then).
    pub invited_at: Timestamp,
    pub complete_by: Date,
    pub elearning_completed_at: Option<Timestamp>,
    pub booking: Option<Booking>,
}

/// One thing owed to a parent, at its moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owed {
    Remind {
        reminder: Reminder,
        at: Timestamp,
    },
    /// The court's date passed (end of that day, Europe/London) and the parent has not completed.
    NotCompleted {
        at: Timestamp,
    },
}

impl Owed {
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Remind { at, .. } | Self::NotCompleted { at } => *at,
        }
    }
}

/// The end of the court's date in England: the moment a parent who has not completed is late.
/// `None` only for a date at the end of the calendar, a moment that never comes (intake bounds
/// dates, so none is stored; nothing falls back to another moment).
pub fn deadline(complete_by: Date) -> Option<Timestamp> {
    start_of_day(complete_by.tomorrow().ok()?)
}

/// The start (in England) of the day `days` before the court's date.
pub fn deadline_warning_at(complete_by: Date, days: i64) -> Option<Timestamp> {
    start_of_day(complete_by.checked_sub(jiff::Span::new().days(days)).ok()?)
}

fn start_of_day(d: Date) -> Option<Timestamp> {
    // Midnight exists in Europe/London every day (clocks change at 01:00/02:00).
    d.to_zoned(crate::london()).ok().map(|z| z.timestamp())
}

/// `t + d`, or `None` past the end of time.
fn after(t: Timestamp, d: SignedDuration) -> Option<Timestamp> {
    t.checked_add(d).ok()
}

impl DueState {
    pub fn closed(&self) -> bool {
        matches!(self.status, ParentStatus::Completed | ParentStatus::NotCompleted | ParentStatus::Withdrawn)
    }

    /// Everything that can still be owed under the current state, each at its moment.
    fn candidates(&self, t: &Timings) -> Vec<Owed> {
        use ParentStatus::*;
        if self.closed() {
            return Vec::new();
        }
        let mut owed = Vec::new();
        let mut remind = |reminder, at: Option<Timestamp>| {
            if let Some(at) = at {
                owed.push(Owed::Remind { reminder, at });
            }
        };
        if self.status == Invited {
            remind(Reminder::ActivationReminder, after(self.invited_at, t.activation_reminder));
        }
        if self.elearning_completed_at.is_none() {
            remind(Reminder::ElearningReminder, after(self.invited_at, t.elearning_reminder));
        }
        if let (Some(done), None, ElearningCompleted) = (self.elearning_completed_at, &self.booking, self.status) {
            remind(Reminder::BookingReminder, after(done, t.booking_reminder));
        }
        match &self.booking {
            Some(b) => remind(Reminder::WorkshopReminder, b.starts_at.checked_sub(t.workshop_reminder).ok()),
            None => remind(Reminder::DeadlineWarning, deadline_warning_at(self.complete_by, t.deadline_warning_days)),
        }
        // A court's date at the end of the calendar is never reached: nothing is owed for it.
        let Some(late) = deadline(self.complete_by) else { return owed };
        // Booked on a workshop before the date: wait for the trainer to record attendance.
        let late = match &self.booking {
            Some(b) if b.starts_at < late => std::cmp::max(late, after(b.ends_at, t.attendance_grace).unwrap_or(late)),
            _ => late,
        };
        owed.push(Owed::NotCompleted { at: late });
        owed
    }

    /// The moment the parent is next due: the earliest candidate at or after `from`. Reminders
    /// before `from` are behind us; not completing never is (a late one is due at `from`).
    /// A change to the parent passes `min(current dueAt, now)`; a sweep at `now` passes `now + 1s`.
    pub fn next_due(&self, from: Timestamp, t: &Timings) -> Option<Timestamp> {
        self.candidates(t)
            .into_iter()
            .filter_map(|o| match o {
                Owed::Remind { at, .. } if at >= from => Some(at),
                Owed::Remind { .. } => None,
                Owed::NotCompleted { at } => Some(std::cmp::max(at, from)),
            })
            .min()
    }

    /// What a sweep at `now` owes a parent last due at `since`: the reminders whose moment is in
    /// `[since, now]`, oldest first; or, once the court's date has passed, only the not-completed notice.
    pub fn owed(&self, since: Timestamp, now: Timestamp, t: &Timings) -> Vec<Owed> {
        let candidates = self.candidates(t);
        if let Some(late) = candidates.iter().find(|o| matches!(o, Owed::NotCompleted { at } if *at <= now)) {
            return vec![late.clone()];
        }
        let mut owed: Vec<Owed> = candidates.into_iter().filter(|o| o.at() >= since && o.at() <= now).collect();
        owed.sort_by_key(Owed::at);
        owed
    }
}

/// The moment after a sweep at `now` from which the next candidates count.
pub fn after_sweep(now: Timestamp) -> Timestamp {
    now + SignedDuration::from_secs(1)
}

/// A referral closes when every parent has: completed when all completed, not completed when
/// any did not. `None` while any parent is still on the course.
pub fn referral_outcome(parents: &[ParentStatus]) -> Option<ReferralStatus> {
    use ParentStatus::*;
    if parents.is_empty() || parents.iter().any(|p| !matches!(p, Completed | NotCompleted)) {
        return None;
    }
    Some(if parents.iter().all(|p| *p == Completed) { ReferralStatus::Completed } else { ReferralStatus::NotCompleted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::Mode;
    use jiff::civil::date;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn invited() -> DueState {
        DueState {
            status: ParentStatus::Invited,
            invited_at: at("2026-11-20T10:00:00Z"),
            complete_by: date(2027, 1, 29),
            elearning_completed_at: None,
            booking: None,
        }
    }

    fn booking(starts: &str) -> Booking {
        let starts_at = at(starts);
        Booking {
            workshop_id: crate::WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
            starts_at,
            ends_at: starts_at + SignedDuration::from_mins(150),
            mode: Mode::Online,
            location: "https://meet.example/w1".into(),
            booked_at: at("2026-12-01T09:00:00Z"),
        }
    }

    #[test]
    fn a_new_parent_is_first_due_for_the_activation_reminder_48_hours_after_the_welcome() {
        let s = invited();
        let t = Timings::default();
        assert_eq!(s.next_due(s.invited_at, &t), Some(at("2026-11-22T10:00:00Z")));
        assert!(s.owed(s.invited_at, at("2026-11-22T09:59:59Z"), &t).is_empty(), "not a second before");
        assert_eq!(
            s.owed(s.invited_at, at("2026-11-22T10:00:00Z"), &t),
            vec![Owed::Remind { reminder: Reminder::ActivationReminder, at: at("2026-11-22T10:00:00Z") }]
        );
        assert_eq!(s.next_due(after_sweep(at("2026-11-22T10:00:00Z")), &t), Some(at("2026-11-27T10:00:00Z")));
    }

    #[test]
    fn a_sweep_owes_only_what_fell_due_since_the_parent_was_last_due() {
        let mut s = invited();
        s.status = ParentStatus::Activated;
        let t = Timings::default();
        // Activated: the activation reminder is moot; the e-learning one is next.
        assert_eq!(
            s.owed(at("2026-11-22T10:00:00Z"), at("2026-11-28T08:00:00Z"), &t),
            vec![Owed::Remind { reminder: Reminder::ElearningReminder, at: at("2026-11-27T10:00:00Z") }]
        );
        assert!(s.owed(at("2026-11-28T08:00:01Z"), at("2026-12-20T08:00:00Z"), &t).is_empty());
    }

    #[test]
    fn the_deadline_warning_is_due_at_the_start_of_the_day_14_days_before_the_court_date_in_england() {
        assert_eq!(deadline_warning_at(date(2027, 1, 29), 14), Some(at("2027-01-15T00:00:00Z")));
        // Summer time: midnight in London is 23:00 UTC.
        assert_eq!(deadline_warning_at(date(2027, 7, 29), 14), Some(at("2027-07-14T23:00:00Z")));
        assert_eq!(deadline(date(2027, 1, 29)), Some(at("2027-01-30T00:00:00Z")));
    }

    #[test]
    fn a_booked_parent_is_reminded_48_hours_before_and_not_warned_about_the_deadline() {
        let mut s = invited();
        s.status = ParentStatus::WorkshopBooked;
        s.elearning_completed_at = Some(at("2026-11-25T10:00:00Z"));
        s.booking = Some(booking("2027-01-10T10:00:00Z"));
        let t = Timings::default();
        assert_eq!(s.next_due(at("2026-12-01T09:00:00Z"), &t), Some(at("2027-01-08T10:00:00Z")));
        let owed = s.owed(at("2027-01-08T10:00:00Z"), at("2027-01-20T08:00:00Z"), &t);
        assert_eq!(owed, vec![Owed::Remind { reminder: Reminder::WorkshopReminder, at: at("2027-01-08T10:00:00Z") }]);
    }

    #[test]
    fn after_the_court_date_only_the_not_completed_notice_is_owed() {
        let s = invited();
        let t = Timings::default();
        assert_eq!(s.owed(s.invited_at, at("2027-01-30T08:00:00Z"), &t), vec![Owed::NotCompleted { at: at("2027-01-30T00:00:00Z") }]);
        // A change after the date keeps it due at once.
        assert_eq!(s.next_due(at("2027-02-02T12:00:00Z"), &t), Some(at("2027-02-02T12:00:00Z")));
    }

    #[test]
    fn a_workshop_on_the_court_date_leaves_time_to_record_attendance() {
        let mut s = invited();
        s.status = ParentStatus::WorkshopBooked;
        s.elearning_completed_at = Some(at("2026-11-25T10:00:00Z"));
        s.booking = Some(booking("2027-01-29T10:00:00Z"));
        let t = Timings::default();
        assert!(s.owed(at("2027-01-28T00:00:00Z"), at("2027-01-30T08:00:00Z"), &t).is_empty());
        assert_eq!(
            s.owed(at("2027-01-28T00:00:00Z"), at("2027-02-01T12:30:00Z"), &t),
            vec![Owed::NotCompleted { at: at("2027-02-01T12:30:00Z") }]
        );
    }

    #[test]
    fn a_court_date_at_the_end_of_the_calendar_is_never_reported_as_passed() {
        let mut s = invited();
        s.complete_by = date(9999, 12, 31);
        let t = Timings::default();
        assert_eq!(deadline(s.complete_by), None);
        let owed = s.owed(s.invited_at, at("2026-11-29T08:00:00Z"), &t);
        assert!(!owed.iter().any(|o| matches!(o, Owed::NotCompleted { .. })), "{owed:?}");
    }

    #[test]
    fn closed_parents_are_owed_nothing() {
        for status in [ParentStatus::Completed, ParentStatus::NotCompleted, ParentStatus::Withdrawn] {
            let mut s = invited();
            s.status = status;
            assert_eq!(s.next_due(s.invited_at, &Timings::default()), None);
        }
    }

    #[test]
    fn a_referral_closes_when_every_parent_has() {
        use ParentStatus::*;
        assert_eq!(referral_outcome(&[Completed, Completed]), Some(ReferralStatus::Completed));
        assert_eq!(referral_outcome(&[Completed, NotCompleted]), Some(ReferralStatus::NotCompleted));
        assert_eq!(referral_outcome(&[Completed, WorkshopBooked]), None);
    }
}
