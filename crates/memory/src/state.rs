//! The store's state: one record per DynamoDB item kind, keyed as the table keys them.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{BookingOutcome, Concern, DuePage, FollowUpEntry, ParentRecord, PortError};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::referral::{Contact, ParentDetails};
use pt4c_domain::sweep::DueState;
use pt4c_domain::workshop::{Booking, BookingRefusal, Workshop, WorkshopStatus};
use pt4c_domain::WorkshopId;
use pt4c_domain::{ParentId, ParentRef, ReferralId};

use crate::{Op, When};

/// (parent, kind, subject): one email, at most once.
pub(crate) type NoticeKey = (ParentId, &'static str, String);

#[derive(Debug, Default)]
pub(crate) struct State {
    pub referrals: BTreeMap<ReferralId, ReferralRec>,
    pub parents: BTreeMap<ParentId, ParentRec>,
    pub notices: BTreeMap<NoticeKey, NoticeRec>,
    /// Emails to staff about a workshop, by (workshop, kind, subject).
    pub workshop_notices: BTreeMap<(WorkshopId, &'static str, String), NoticeRec>,
    /// Requests for a fresh link, per parent and day.
    pub link_requests: BTreeMap<(ParentId, Date), u32>,
    /// Requests for a new link by email address, per (counter key, window).
    pub rate_counters: BTreeMap<(String, String), u32>,
    pub follow_ups: BTreeMap<ParentId, FollowUpRec>,
    pub concerns: BTreeMap<(ParentId, pt4c_domain::ConcernId), Concern>,
    pub workshops: BTreeMap<WorkshopId, WorkshopRec>,
    /// The case lookups (`CASENO#` items): (normalised case number, referral).
    pub case_lookups: BTreeSet<(String, ReferralId)>,
    /// The name lookups (`PNAME#` items): (surname key, parent).
    pub name_lookups: BTreeSet<(String, ParentId)>,
    /// Roster places (the co-parent guard), by (workshop, case number).
    pub roster: BTreeMap<(WorkshopId, String), RosterRec>,
    /// Cancelled workshops whose bookings are still to be released, due from this moment.
    pub cancelling: BTreeMap<WorkshopId, Timestamp>,
    /// The outbox: events waiting to be delivered, by event id.
    pub outbox: BTreeMap<pt4c_domain::EventId, OutboxEvent>,
    /// Every event ever written with a change, for tests.
    pub written: Vec<OutboxEvent>,
    /// Orders notices marked sent (the domain's clock keeps whole seconds).
    pub sent_counter: u64,
    pub faults: Vec<(Op, When, PortError)>,
    /// The waiting list's entries (the list's order is the entries' own: court date, time joined).
    pub waiting: BTreeMap<ParentId, pt4c_domain::offering::WaitingEntry>,
    /// The console's sessions (by key) and audit trail (in the order written).
    pub sessions: BTreeMap<String, pt4c_domain::staff::ConsoleSession>,
    pub audit: Vec<pt4c_domain::staff::AuditEntry>,
    /// When each staff account's sessions were last revoked (by lower-cased email).
    pub revoked: BTreeMap<String, Timestamp>,
    /// The management information's summaries.
    pub reporting: crate::reporting::Ledger,
    /// Arrangement tasks, the coordinators' emails and the capacity forecast.
    pub coordination: crate::arrangements::Coordination,
    /// Texts' opt-outs (`crate::sms`).
    pub sms: crate::sms::SmsState,
}

impl State {
    pub fn take_fault(&mut self, op: Op, when: When) -> Option<PortError> {
        let at = self.faults.iter().position(|(o, w, _)| *o == op && *w == when)?;
        Some(self.faults.remove(at).2)
    }

    /// Writes an event into the outbox (a put without condition: the same id overwrites).
    pub fn put_event(&mut self, event: &OutboxEvent) {
        self.outbox.insert(event.event_id.clone(), event.clone());
        self.written.push(event.clone());
    }

    pub fn partition_size(&self, id: &ReferralId) -> usize {
        let mine = |p: &ParentId| p.referral_id() == id;
        usize::from(self.referrals.contains_key(id))
            + self.parents.keys().filter(|p| mine(p)).count()
            + self.notices.keys().filter(|(p, _, _)| mine(p)).count()
            + self.link_requests.keys().filter(|(p, _)| mine(p)).count()
            + self.follow_ups.keys().filter(|p| mine(p)).count()
            + self.concerns.keys().filter(|(p, _)| mine(p)).count()
            + self.waiting.keys().filter(|p| mine(p)).count()
            + self.coordination.partition_size(id)
    }

    /// The parent as the handlers see them; `None` unless both the referral and the parent exist.
    pub fn parent_record(&self, id: &ParentId) -> Option<ParentRecord> {
        let referral = self.referrals.get(id.referral_id())?;
        let p = self.parents.get(id)?;
        Some(ParentRecord {
            parent_id: p.parent_id.clone(),
            first_name: p.details.first_name.clone(),
            last_name: p.details.last_name.clone(),
            phone: p.details.phone.as_ref().map(|ph| ph.as_str().to_owned()),
            email: p.details.email.clone(),
            status: p.status,
            activated_at: p.activated_at,
            complete_by: referral.complete_by,
            referral_status: referral.status,
            modules: p.module_times.clone(),
            elearning_completed_at: p.elearning_completed_at,
            case_number: p.case_number.clone(),
            workshop_mode: p.details.workshop_mode,
            interpreter_language: p.details.interpreter_language.clone(),
            adjustments: p.details.adjustments.clone(),
            booking: p.booking.clone(),
            waiting: p.waiting.clone(),
            offer: p.offer.clone(),
            invited_at: p.received_at,
            due_at: p.due_at,
            rev: p.rev,
            attended: p.attended,
            last_workshop: p.last_workshop.clone(),
            completed_at: p.completed_at,
            unreachable: p.unreachable.clone(),
        })
    }

    /// The condition DynamoDB's closing mark carries: the referral exists and is not marked for erasure.
    pub fn can_mark_closing(&self, id: &ReferralId) -> bool {
        self.referrals.get(id).is_some_and(|r| matches!(r.mark, None | Some((Mark::Closing, _))))
    }

    pub fn mark_closing(&mut self, id: &ReferralId, now: Timestamp) {
        if let Some(r) = self.referrals.get_mut(id) {
            r.mark = Some((Mark::Closing, due_key(now)));
        }
    }

    /// Whether the seat a parent holds can be given back: the workshop has a seat taken (and
    /// starts after `before`), and the roster place for the case is this parent's.
    pub fn seat_can_be_given_back(&self, workshop_id: &WorkshopId, case: &str, parent: &ParentId, before: Option<Timestamp>) -> [bool; 2] {
        let seat = self.workshops.get(workshop_id).is_some_and(|w| w.w.seats_taken > 0 && before.is_none_or(|t| w.w.starts_at > t));
        let place = self.roster.get(&(workshop_id.to_owned(), case.to_owned())).is_some_and(|r| &r.parent_id == parent);
        [seat, place]
    }

    /// The condition a booking puts on the workshop it takes a seat on: open, still to start, a
    /// seat free, and not edited since `w` was read.
    pub fn seat_free(&self, w: &Workshop, now: Timestamp) -> bool {
        self.workshops.get(&w.workshop_id).is_some_and(|stored| {
            stored.w.status == WorkshopStatus::Open
                && stored.w.seats_taken < stored.w.capacity
                && stored.w.starts_at > now
                && stored.w.sequence == w.sequence
        })
    }

    /// Why `seat_free` failed, as the DynamoDB store reads it back.
    pub fn seat_refused(&self, w: &Workshop, now: Timestamp) -> BookingOutcome {
        match self.workshops.get(&w.workshop_id) {
            Some(c) if c.w.status == WorkshopStatus::Open && c.w.starts_at > now && c.w.sequence != w.sequence => BookingOutcome::Stale,
            Some(c) if c.w.status == WorkshopStatus::Open && c.w.starts_at > now => BookingOutcome::Refused(BookingRefusal::WorkshopFull),
            _ => BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable),
        }
    }

    /// Gives the seat back (once `seat_can_be_given_back` held).
    /// A seat taken on the workshop, and the case's roster place (the co-parent guard), as a
    /// booking and a move both take them once their conditions hold.
    pub fn take_seat(&mut self, workshop_id: &WorkshopId, case: &str, parent: &ParentId, now: Timestamp) {
        if let Some(stored) = self.workshops.get_mut(workshop_id) {
            stored.w.seats_taken += 1;
            stored.cases.insert(case.to_owned());
        }
        self.roster.insert(
            (workshop_id.clone(), case.to_owned()),
            RosterRec { parent_id: parent.clone(), booked_at: now, attended: None, held: None },
        );
    }

    pub fn give_seat_back(&mut self, workshop_id: &WorkshopId, case: &str) {
        if let Some(w) = self.workshops.get_mut(workshop_id) {
            w.w.seats_taken -= 1;
            w.cases.remove(case);
        }
        self.roster.remove(&(workshop_id.to_owned(), case.to_owned()));
    }
}

/// Where the due-index keeps a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A parent closed; the referral's own closing awaits.
    Closing,
    /// Closed: erased when the retention period ends.
    Erase,
}

impl Mark {
    pub fn name(self) -> &'static str {
        match self {
            Self::Closing => "CLOSING",
            Self::Erase => "ERASE",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ReferralRec {
    pub referral_id: ReferralId,
    pub case_number: String,
    pub court: Contact,
    pub family_court_adviser: Contact,
    pub referred_on: Date,
    pub complete_by: Date,
    pub status: ReferralStatus,
    pub content_hash: String,
    pub parent_refs: Vec<ParentRef>,
    pub mark: Option<(Mark, Timestamp)>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParentRec {
    pub parent_id: ParentId,
    pub case_number: String,
    pub details: ParentDetails,
    pub status: ParentStatus,
    pub activated_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub module_times: BTreeMap<pt4c_domain::ModuleId, Timestamp>,
    pub elearning_completed_at: Option<Timestamp>,
    pub booking: Option<Booking>,
    pub waiting: Option<pt4c_domain::offering::WaitingPlace>,
    pub offer: Option<pt4c_domain::offering::HeldOffer>,
    pub received_at: Timestamp,
    pub complete_by: Date,
    /// In the due-index (to the second, as DynamoDB's key keeps it) while something may be owed.
    pub due_at: Option<Timestamp>,
    pub rev: u64,
    pub attended: Option<bool>,
    /// Every workshop the parent was booked on: where erasure finds their roster places.
    pub rostered_on: BTreeSet<WorkshopId>,
    pub last_workshop: Option<Booking>,
    pub unreachable: Option<pt4c_domain::delivery::Unreachable>,
}

impl ParentRec {
    /// A change that moves the parent in the due-index (or takes it out) bumps its revision.
    pub fn moved(&mut self, due: Option<Timestamp>) {
        self.due_at = due.map(due_key);
        self.rev += 1;
    }

    pub fn due_state(&self) -> DueState {
        DueState {
            status: self.status,
            invited_at: self.received_at,
            complete_by: self.complete_by,
            elearning_completed_at: self.elearning_completed_at,
            booking: self.booking.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoticeState {
    Sending,
    Sent,
}

#[derive(Debug, Clone)]
pub(crate) struct NoticeRec {
    pub kind: NoticeKind,
    pub state: NoticeState,
    pub claim_id: pt4c_domain::ClaimId,
    pub sent_at: Option<Timestamp>,
    pub message_id: Option<String>,
    pub sent_order: u64,
    /// While sending: after this moment another delivery may take the claim over.
    pub lease_until: Option<std::time::Instant>,
    /// What the provider reported of it since.
    pub delivery: Option<pt4c_domain::delivery::DeliveryStatus>,
}

/// Where a follow-up call sits in the due-index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FollowUpState {
    Due,
    /// Past its date, the trainer told.
    Late,
    Done,
    /// No longer owed (the referral was withdrawn).
    Dropped,
}

#[derive(Debug, Clone)]
pub(crate) struct FollowUpRec {
    pub entry: FollowUpEntry,
    pub state: FollowUpState,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct WorkshopRec {
    pub w: Workshop,
    /// The case numbers booked on it (a string set in DynamoDB).
    pub cases: BTreeSet<String>,
}

impl WorkshopRec {
    pub fn workshop(&self) -> Workshop {
        Workshop { booked_cases: self.cases.iter().cloned().collect(), ..self.w.clone() }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RosterRec {
    pub parent_id: ParentId,
    pub booked_at: Timestamp,
    pub attended: Option<bool>,
    /// A seat held from the waiting list (not on the roster yet): the offer, until its hold ends.
    pub held: Option<(pt4c_domain::OfferId, Timestamp)>,
}

/// The due-index keeps whole seconds: a moment as its key holds it.
pub(crate) fn due_key(t: Timestamp) -> Timestamp {
    pt4c_domain::clock::to_the_second(t)
}

/// One page of a due-index partition. `entries` are (due, key, item) for every item of the
/// partition the query matches; the page starts after the one `page` names and holds at most
/// `size`. Like DynamoDB, a full page names the next even when nothing follows.
pub(crate) fn page_of<T>(mut entries: Vec<(Timestamp, String, T)>, page: Option<String>, size: usize) -> Result<DuePage<T>, PortError> {
    entries.sort_by(|a, b| (a.0.as_second(), &a.1).cmp(&(b.0.as_second(), &b.1)));
    if let Some(token) = page {
        let (due, key): (i64, String) = serde_json::from_str(&token).map_err(|_| PortError::Permanent("unreadable page token".into()))?;
        entries.retain(|(d, k, _)| (d.as_second(), k) > (due, &key));
    }
    entries.truncate(size);
    let next = if entries.len() == size { entries.last().map(|(d, k, _)| serde_json::json!([d.as_second(), k]).to_string()) } else { None };
    let items: Vec<T> = entries.into_iter().map(|(_, _, item)| item).collect();
    Ok(DuePage { next, items })
}

/// At or before `now`, as the due-index compares (whole seconds).
pub(crate) fn due_by(due: Timestamp, now: Timestamp) -> bool {
    due.as_second() <= now.as_second()
}
