//! Management information: what the course's events add up to, month by month (Europe/London).
//!
//! Events are counted into one summary per month as they arrive ([`tally`]): counters and, for the
//! durations, histograms of whole days (a day is 24 hours elapsed, rounded down; 365 and more share
//! the last bucket). A duration is reported in the month its milestone was reached: invitation
//! (the referral received) to activation, to the e-learning complete, and to the workshop attended
//! (its start; attendance and non-attendance are counted in the month the workshop started).
//! Percentiles are computed on read by nearest rank ([`Histogram::percentile`]).
//!
//! Seat fill of a month: the seats taken over the capacity of the workshops starting in it that are
//! not cancelled, each workshop as of the last event about it (bookings, cancellations, moves, edits;
//! its attendance, recorded after it started, settles it). Kept per workshop ([`SeatCount`]) so a
//! workshop moved to another month or cancelled takes its seats with it ([`seat_adds`]).
//!
//! The waiting list's length of a month is its length when the month's last join or leave was
//! counted; a month without any carries the length on ([`reports`]).

mod csv;
mod figures;
mod month;
#[cfg(test)]
mod tests;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::events::{DomainEvent, LeftBecause};
use crate::workshop::{Workshop, WorkshopStatus};
use crate::{ParentId, WorkshopId};

pub use csv::{csv, CSV_HEADER};
pub use figures::{reports, Histogram, MonthFigures, MonthReport, Rate, WaitingGauge};
pub use month::{Month, MonthError, MAX_MONTHS};

/// Durations of this many days or more share one bucket.
pub const MAX_DAYS: u32 = 365;

/// How long an event's marker is kept: longer than EventBridge's 24 hours of retries and Lambda's
/// 6 hours of async retries together, so a redelivered event is never counted twice.
pub const MARKER_DAYS: i64 = 35;

/// A counter of a month's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    ReferralsReceived,
    ReferralsCompleted,
    ReferralsWithdrawn,
    Activated,
    ELearningCompleted,
    Attended,
    Missed,
    ParentsCompleted,
    ParentsNotCompleted,
    SeatsTaken,
    SeatCapacity,
    WaitingJoined,
    WaitingLeft,
    /// Left the list because they booked (a seat offered, or one they found).
    WaitingBooked,
    OffersMade,
    OffersAccepted,
    OffersDeclined,
    OffersExpired,
}

impl Counter {
    pub const ALL: [Counter; 18] = [
        Self::ReferralsReceived,
        Self::ReferralsCompleted,
        Self::ReferralsWithdrawn,
        Self::Activated,
        Self::ELearningCompleted,
        Self::Attended,
        Self::Missed,
        Self::ParentsCompleted,
        Self::ParentsNotCompleted,
        Self::SeatsTaken,
        Self::SeatCapacity,
        Self::WaitingJoined,
        Self::WaitingLeft,
        Self::WaitingBooked,
        Self::OffersMade,
        Self::OffersAccepted,
        Self::OffersDeclined,
        Self::OffersExpired,
    ];

    /// Its attribute in the stored summary.
    pub fn attr(self) -> &'static str {
        match self {
            Self::ReferralsReceived => "referralsReceived",
            Self::ReferralsCompleted => "referralsCompleted",
            Self::ReferralsWithdrawn => "referralsWithdrawn",
            Self::Activated => "activated",
            Self::ELearningCompleted => "elearningCompleted",
            Self::Attended => "attended",
            Self::Missed => "missed",
            Self::ParentsCompleted => "parentsCompleted",
            Self::ParentsNotCompleted => "parentsNotCompleted",
            Self::SeatsTaken => "seatsTaken",
            Self::SeatCapacity => "seatCapacity",
            Self::WaitingJoined => "waitingJoined",
            Self::WaitingLeft => "waitingLeft",
            Self::WaitingBooked => "waitingBooked",
            Self::OffersMade => "offersMade",
            Self::OffersAccepted => "offersAccepted",
            Self::OffersDeclined => "offersDeclined",
            Self::OffersExpired => "offersExpired",
        }
    }
}

/// A duration measured from the parent's invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Activation,
    ELearning,
    Workshop,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Self::Activation, Self::ELearning, Self::Workshop];

    /// The prefix of its histogram's attributes (`daysToActivation_3`: three whole days, once per parent).
    pub fn attr(self) -> &'static str {
        match self {
            Self::Activation => "daysToActivation",
            Self::ELearning => "daysToELearning",
            Self::Workshop => "daysToWorkshop",
        }
    }

    pub fn day_attr(self, day: u32) -> String {
        format!("{}_{day}", self.attr())
    }
}

/// What one addition changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Figure {
    Count(Counter),
    /// One more parent took this many whole days to reach the stage.
    Days(Stage, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Add {
    pub month: Month,
    pub figure: Figure,
    pub by: i64,
}

/// What an event adds: to months' summaries, and to the waiting list's length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub adds: Vec<Add>,
    pub waiting: i64,
    /// The month the waiting list's length changed in (when `waiting` is not 0).
    pub waiting_month: Option<Month>,
}

impl Tally {
    /// Adds `by` to a figure, merged with an earlier addition to the same one (one attribute, one
    /// action in the store's update).
    pub fn add(&mut self, month: Month, figure: Figure, by: i64) {
        match self.adds.iter_mut().find(|a| a.month == month && a.figure == figure) {
            Some(a) => a.by += by,
            None => self.adds.push(Add { month, figure, by }),
        }
        self.adds.retain(|a| a.by != 0);
    }

    fn count(&mut self, at: Timestamp, counter: Counter) {
        self.add(Month::of(at), Figure::Count(counter), 1);
    }

    fn days(&mut self, at: Timestamp, stage: Stage, from: Option<Timestamp>) {
        if let Some(from) = from {
            self.add(Month::of(at), Figure::Days(stage, whole_days(from, at)), 1);
        }
    }

    fn waiting(&mut self, at: Timestamp, by: i64) {
        self.waiting += by;
        self.waiting_month = Some(Month::of(at));
    }

    /// The months it adds to, each once.
    pub fn months(&self) -> Vec<Month> {
        let mut months: Vec<Month> = self.adds.iter().map(|a| a.month).collect();
        months.sort();
        months.dedup();
        months
    }

    pub fn is_empty(&self) -> bool {
        self.adds.is_empty() && self.waiting == 0
    }
}

/// Whole days (24 hours) from `from` to `to`, rounded down, 0 if `to` is earlier, at most [`MAX_DAYS`].
pub fn whole_days(from: Timestamp, to: Timestamp) -> u32 {
    let days = (to.as_second() - from.as_second()).max(0) / 86_400;
    days.min(i64::from(MAX_DAYS)) as u32
}

/// What an event's count needs read first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The parent, for when they were invited.
    pub parent: Option<ParentId>,
    /// The workshop, for when it started.
    pub workshop: Option<WorkshopId>,
}

/// What was read for an event's count (`None`: not held any more, e.g. erased).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    pub invited_at: Option<Timestamp>,
    pub workshop_starts_at: Option<Timestamp>,
}

pub fn needs(event: &DomainEvent) -> Needs {
    use DomainEvent as E;
    match event {
        E::ParentActivated(e) => Needs { parent: Some(e.parent_id.clone()), workshop: None },
        E::ELearningCompleted(e) => Needs { parent: Some(e.parent_id.clone()), workshop: None },
        E::WorkshopAttended(e) => Needs { parent: Some(e.parent_id.clone()), workshop: Some(e.workshop_id.clone()) },
        E::WorkshopMissed(e) => Needs { parent: None, workshop: Some(e.workshop_id.clone()) },
        _ => Needs::default(),
    }
}

/// What an event adds to the summaries; `None` for an event this report does not count (its seats
/// may still change: [`seat_workshops`]).
pub fn tally(event: &DomainEvent, ctx: &Context) -> Option<Tally> {
    use DomainEvent as E;
    let mut t = Tally::default();
    match event {
        E::ReferralReceived(e) => t.count(e.received_at, Counter::ReferralsReceived),
        E::ReferralCompleted(e) => t.count(e.completed_at, Counter::ReferralsCompleted),
        E::ReferralWithdrawn(e) => t.count(e.withdrawn_at, Counter::ReferralsWithdrawn),
        E::ParentActivated(e) => {
            t.count(e.activated_at, Counter::Activated);
            t.days(e.activated_at, Stage::Activation, ctx.invited_at);
        }
        E::ELearningCompleted(e) => {
            t.count(e.completed_at, Counter::ELearningCompleted);
            t.days(e.completed_at, Stage::ELearning, ctx.invited_at);
        }
        E::WorkshopAttended(e) => {
            let ran = ctx.workshop_starts_at.unwrap_or(e.completed_at);
            t.count(ran, Counter::Attended);
            t.days(ran, Stage::Workshop, ctx.invited_at);
            t.count(e.completed_at, Counter::ParentsCompleted);
        }
        E::WorkshopMissed(e) => t.count(ctx.workshop_starts_at.unwrap_or(e.recorded_at), Counter::Missed),
        E::ParentNotCompleted(e) => t.count(e.recorded_at, Counter::ParentsNotCompleted),
        E::WaitingListJoined(e) => {
            t.count(e.joined_at, Counter::WaitingJoined);
            t.waiting(e.joined_at, 1);
        }
        E::WaitingListLeft(e) => {
            t.count(e.left_at, Counter::WaitingLeft);
            if e.reason == LeftBecause::Booked {
                t.count(e.left_at, Counter::WaitingBooked);
            }
            t.waiting(e.left_at, -1);
        }
        E::OfferMade(e) => t.count(e.offered_at, Counter::OffersMade),
        E::OfferAccepted(e) => t.count(e.accepted_at, Counter::OffersAccepted),
        E::OfferDeclined(e) => t.count(e.declined_at, Counter::OffersDeclined),
        E::OfferExpired(e) => t.count(e.expired_at, Counter::OffersExpired),
        _ => return None,
    }
    Some(t)
}

/// The workshops whose seats an event may have changed (read again and reconciled).
pub fn seat_workshops(event: &DomainEvent) -> Vec<WorkshopId> {
    use DomainEvent as E;
    match event {
        E::WorkshopPublished(e) => vec![e.workshop_id.clone()],
        E::WorkshopChanged(e) => vec![e.workshop_id.clone()],
        E::WorkshopCancelled(e) => vec![e.workshop_id.clone()],
        E::WorkshopBooked(e) => vec![e.workshop_id.clone()],
        E::BookingCancelled(e) => vec![e.workshop_id.clone()],
        E::BookingMoved(e) => vec![e.from_workshop_id.clone(), e.to_workshop_id.clone()],
        E::WorkshopAttended(e) => vec![e.workshop_id.clone()],
        E::WorkshopMissed(e) => vec![e.workshop_id.clone()],
        E::OfferAccepted(e) => vec![e.workshop_id.clone()],
        _ => Vec::new(),
    }
}

/// An event's key for counting it once: the SHA-256 of its type and detail, so a delivery retried,
/// redelivered, or published again by the outbox relay is the same key.
pub fn event_key(event: &DomainEvent) -> String {
    let mut h = Sha256::new();
    h.update(event.detail_type().as_bytes());
    h.update([0]);
    h.update(event.detail_json().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a workshop adds to its month's seat fill (a cancelled one nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatCount {
    pub month: Month,
    pub capacity: u32,
    pub seats: u32,
}

impl SeatCount {
    pub fn of(w: &Workshop) -> Self {
        let counted = w.status != WorkshopStatus::Cancelled;
        Self {
            month: Month::of(w.starts_at),
            capacity: if counted { w.capacity } else { 0 },
            seats: if counted { w.seats_taken.min(w.capacity) } else { 0 },
        }
    }
}

/// The additions that take the month summaries from counting `before` to counting `after`.
pub fn seat_adds(before: Option<&SeatCount>, after: &SeatCount) -> Vec<Add> {
    let mut t = Tally::default();
    if let Some(b) = before {
        t.add(b.month, Figure::Count(Counter::SeatCapacity), -i64::from(b.capacity));
        t.add(b.month, Figure::Count(Counter::SeatsTaken), -i64::from(b.seats));
    }
    t.add(after.month, Figure::Count(Counter::SeatCapacity), i64::from(after.capacity));
    t.add(after.month, Figure::Count(Counter::SeatsTaken), i64::from(after.seats));
    t.adds
}
