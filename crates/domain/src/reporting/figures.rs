//! A month's stored figures, and the report read from them.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{Add, Counter, Figure, Month, Stage};

/// Whole days → how many parents took that long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(pub BTreeMap<u32, u64>);

impl Histogram {
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The nearest-rank percentile: the smallest number of days `d` such that at least `p` per cent
    /// of the parents took `d` days or fewer (rank ⌈p/100 × n⌉ of the n durations in order).
    /// `None` for no durations. `p` in 1..=100.
    pub fn percentile(&self, p: u32) -> Option<u32> {
        let n = self.total();
        if n == 0 {
            return None;
        }
        let rank = (u64::from(p.clamp(1, 100)) * n).div_ceil(100).max(1);
        let mut seen = 0;
        for (&day, &count) in &self.0 {
            seen += count;
            if seen >= rank {
                return Some(day);
            }
        }
        self.0.keys().next_back().copied()
    }
}

/// A month's summary as stored: its counters, its histograms and the waiting list's length last
/// noted in it (with when).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    pub month: Month,
    pub counts: BTreeMap<Counter, i64>,
    pub days: BTreeMap<Stage, Histogram>,
    pub waiting_length: Option<(i64, Timestamp)>,
}

impl MonthFigures {
    pub fn new(month: Month) -> Self {
        Self { month, counts: BTreeMap::new(), days: BTreeMap::new(), waiting_length: None }
    }

    pub fn count(&self, c: Counter) -> i64 {
        self.counts.get(&c).copied().unwrap_or(0)
    }

    /// Applies an addition meant for this month (as the store's ADD does).
    pub fn apply(&mut self, add: &Add) {
        match add.figure {
            Figure::Count(c) => *self.counts.entry(c).or_default() += add.by,
            Figure::Days(stage, day) => {
                let h = self.days.entry(stage).or_default();
                let n = h.0.entry(day).or_default();
                *n = n.saturating_add_signed(add.by);
            }
        }
    }

    /// The waiting list's length as of `at`, unless a later one is noted.
    pub fn note_waiting_length(&mut self, length: i64, at: Timestamp) {
        if self.waiting_length.is_none_or(|(_, noted)| noted <= at) {
            self.waiting_length = Some((length, at));
        }
    }
}

/// The waiting list's length now, and the month it last changed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitingGauge {
    pub length: i64,
    pub changed: Option<Month>,
}

/// A part of a whole; `None` where the whole is nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub part: u64,
    pub whole: u64,
}

impl Rate {
    pub fn of(part: i64, whole: i64) -> Option<Self> {
        (whole > 0).then(|| Self { part: part.max(0) as u64, whole: whole as u64 })
    }

    /// Per cent with one decimal, rounded half up: "12.5".
    pub fn percent(&self) -> String {
        let tenths = (self.part * 2000 + self.whole) / (2 * self.whole);
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// One month of the report, as the console and the CSV show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthReport {
    pub month: Month,
    pub referrals_received: i64,
    pub referrals_completed: i64,
    pub referrals_withdrawn: i64,
    pub activated: i64,
    pub elearning_completed: i64,
    /// (median, 90th percentile) whole days from invitation, per stage; `None` when no parent reached it.
    pub activation_days: (Option<u32>, Option<u32>),
    pub elearning_days: (Option<u32>, Option<u32>),
    pub workshop_days: (Option<u32>, Option<u32>),
    pub attended: i64,
    pub missed: i64,
    /// Missed over attended and missed, at workshops that started in the month.
    pub did_not_attend: Option<Rate>,
    pub parents_completed: i64,
    pub parents_not_completed: i64,
    pub seats_taken: i64,
    pub seat_capacity: i64,
    pub seat_fill: Option<Rate>,
    pub waiting_joined: i64,
    pub waiting_left: i64,
    pub waiting_booked: i64,
    /// On the list at the end of the month (`None`: not known from the months read).
    pub waiting_length: Option<i64>,
    pub offers_made: i64,
    pub offers_accepted: i64,
    pub offers_declined: i64,
    pub offers_expired: i64,
}

impl MonthReport {
    pub fn of(f: &MonthFigures, waiting_length: Option<i64>) -> Self {
        let c = |counter| f.count(counter);
        let pcts = |stage| f.days.get(&stage).map(|h| (h.percentile(50), h.percentile(90))).unwrap_or((None, None));
        Self {
            month: f.month,
            referrals_received: c(Counter::ReferralsReceived),
            referrals_completed: c(Counter::ReferralsCompleted),
            referrals_withdrawn: c(Counter::ReferralsWithdrawn),
            activated: c(Counter::Activated),
            elearning_completed: c(Counter::ELearningCompleted),
            activation_days: pcts(Stage::Activation),
            elearning_days: pcts(Stage::ELearning),
            workshop_days: pcts(Stage::Workshop),
            attended: c(Counter::Attended),
            missed: c(Counter::Missed),
            did_not_attend: Rate::of(c(Counter::Missed), c(Counter::Attended) + c(Counter::Missed)),
            parents_completed: c(Counter::ParentsCompleted),
            parents_not_completed: c(Counter::ParentsNotCompleted),
            seats_taken: c(Counter::SeatsTaken),
            seat_capacity: c(Counter::SeatCapacity),
            seat_fill: Rate::of(c(Counter::SeatsTaken), c(Counter::SeatCapacity)),
            waiting_joined: c(Counter::WaitingJoined),
            waiting_left: c(Counter::WaitingLeft),
            waiting_booked: c(Counter::WaitingBooked),
            waiting_length,
            offers_made: c(Counter::OffersMade),
            offers_accepted: c(Counter::OffersAccepted),
            offers_declined: c(Counter::OffersDeclined),
            offers_expired: c(Counter::OffersExpired),
        }
    }
}

/// The report of each month of `months` (in order) from the summaries stored (a month with none
/// stored is all zeros). The waiting list's length at a month's end: the length noted in it, else
/// that of the latest earlier month shown that has one, else the gauge's if the list has not
/// changed since that month, else unknown.
pub fn reports(months: &[Month], stored: &[MonthFigures], gauge: WaitingGauge) -> Vec<MonthReport> {
    let mut carried: Option<i64> = None;
    months
        .iter()
        .map(|&m| {
            let f = stored.iter().find(|f| f.month == m).cloned().unwrap_or_else(|| MonthFigures::new(m));
            let length = match f.waiting_length {
                Some((n, _)) => Some(n),
                None => carried.or_else(|| gauge.changed.is_none_or(|c| c <= m).then_some(gauge.length)),
            };
            carried = length;
            MonthReport::of(&f, length)
        })
        .collect()
}
