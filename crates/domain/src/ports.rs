//! The ports the handlers use. Adapters (DynamoDB, SES, EventBridge) implement them.

use std::future::Future;

use jiff::Timestamp;

use crate::events::OutboxEvent;
use crate::notice::{Email, NoticeKind};
use crate::progress::ProgressRecord;
use crate::referral::NewReferral;
use crate::{ParentId, ReferralId};

/// What a store or gateway failure means to the caller: try again, or give up.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("temporarily unavailable: {0}")]
    Retryable(String),
    #[error("failed: {0}")]
    Permanent(String),
}

/// The outcome of taking a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Created,
    /// The same referralId was taken before, with this content digest.
    AlreadyTaken {
        content_hash: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    Withdrawn,
    AlreadyWithdrawn,
    NotFound,
    /// Completed or not completed: too late to withdraw.
    Closed,
}

/// The claim on sending one email: at most once per (parent, kind, subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeClaim {
    /// Ours to send; `claim_id` proves it when marking sent or releasing.
    Claimed {
        claim_id: String,
    },
    AlreadySent,
    /// Another delivery is sending it right now.
    InProgress,
}

/// A parent and what the welcome email needs about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentContact {
    pub parent_id: ParentId,
    pub first_name: String,
    pub email: String,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralContacts {
    pub referral_id: ReferralId,
    pub complete_by: jiff::civil::Date,
    pub withdrawn: bool,
    pub parents: Vec<ParentContact>,
}

pub trait ReferralStore: Send + Sync {
    /// Writes the referral, its parents and the outbox event in one transaction.
    /// `first_due`: when the new parents are first due to the sweep.
    fn create_referral(
        &self,
        referral: &NewReferral,
        content_hash: &str,
        now: Timestamp,
        first_due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<Intake, PortError>> + Send;

    fn progress(&self, id: &ReferralId) -> impl Future<Output = Result<Option<ProgressRecord>, PortError>> + Send;

    /// Withdraws an open referral; its personal data is erased at `erase_at` (the retention period after).
    fn withdraw(
        &self,
        id: &ReferralId,
        reason: &str,
        now: Timestamp,
        erase_at: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<Withdrawal, PortError>> + Send;

    fn contacts(&self, id: &ReferralId) -> impl Future<Output = Result<Option<ReferralContacts>, PortError>> + Send;
}

pub trait NoticeLedger: Send + Sync {
    fn claim(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send;

    fn mark_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &str,
        message_id: &str,
        sent_at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Gives a claim back after a failed send, so a retry may send.
    fn release(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait Outbox: Send + Sync {
    /// Events still waiting, created at or before `before`, oldest first.
    fn pending(&self, before: Timestamp, limit: i32) -> impl Future<Output = Result<Vec<OutboxEvent>, PortError>> + Send;
    fn delivered(&self, event_id: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait EventPublisher: Send + Sync {
    /// Publishes all, or fails: a partial failure is a failure.
    fn publish(&self, events: &[OutboxEvent]) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    fn send(&self, email: &Email) -> impl Future<Output = Result<String, PortError>> + Send;
}

/// A parent as the Parent Hub and the e-learning provider see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRecord {
    pub parent_id: ParentId,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub email: String,
    pub status: crate::progress::ParentStatus,
    pub activated_at: Option<Timestamp>,
    pub complete_by: jiff::civil::Date,
    pub referral_status: crate::progress::ReferralStatus,
    /// Each module's first completion time.
    pub modules: std::collections::BTreeMap<String, Timestamp>,
    pub elearning_completed_at: Option<Timestamp>,
    pub case_number: String,
    pub workshop_mode: crate::referral::WorkshopMode,
    pub booking: Option<crate::workshop::Booking>,
    /// When the referral was received and the welcome sent.
    pub invited_at: Timestamp,
    /// Where the parent sits in the due-index (`None`: nothing more can be owed).
    pub due_at: Option<Timestamp>,
    /// Bumped by every change that moves `due_at`, so a sweep never overwrites a newer change.
    pub rev: u64,
    /// The trainer's record for the last workshop booked (`booking` for one attended, `last_workshop` for one missed).
    pub attended: Option<bool>,
    pub last_workshop: Option<crate::workshop::Booking>,
    pub completed_at: Option<Timestamp>,
}

impl ParentRecord {
    /// Withdrawn, or the referral is closed: nothing more is sent or changed.
    pub fn closed(&self) -> bool {
        use crate::progress::{ParentStatus, ReferralStatus};
        self.referral_status != ReferralStatus::Open
            || matches!(self.status, ParentStatus::Withdrawn | ParentStatus::Completed | ParentStatus::NotCompleted)
    }

    /// The parent once a booking is given back and they may book again.
    pub fn released(&self) -> ParentRecord {
        let mut after = self.clone();
        after.booking = None;
        after.status = crate::progress::ParentStatus::ElearningCompleted;
        after
    }

    pub fn due_state(&self) -> crate::sweep::DueState {
        crate::sweep::DueState {
            status: if self.referral_status == crate::progress::ReferralStatus::Withdrawn {
                crate::progress::ParentStatus::Withdrawn
            } else {
                self.status
            },
            invited_at: self.invited_at,
            complete_by: self.complete_by,
            elearning_completed_at: self.elearning_completed_at,
            booking: self.booking.clone(),
        }
    }

    /// Where this parent (already changed to its new state) belongs in the due-index after a
    /// change at `now`: reminders still owed from before stay owed; ones the change made moot go.
    pub fn due_after_change(&self, now: Timestamp, t: &crate::timings::Timings) -> Option<Timestamp> {
        let from = self.due_at.map_or(now, |d| std::cmp::min(d, now));
        self.due_state().next_due(from, t)
    }

    pub fn elearning(&self) -> crate::progress::ElearningProgress {
        let mut modules: Vec<_> =
            self.modules.iter().map(|(id, at)| crate::progress::ModuleCompletion { module_id: id.clone(), completed_at: *at }).collect();
        modules.sort_by(|a, b| a.completed_at.cmp(&b.completed_at).then(a.module_id.cmp(&b.module_id)));
        crate::progress::ElearningProgress { modules, completed_at: self.elearning_completed_at }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleRecording {
    Recorded,
    AlreadyRecorded,
    NoParent,
    /// The completion time is before the parent was invited: not a fact, nothing stored.
    BeforeInvitation,
}

pub trait ParentStore: Send + Sync {
    fn parent(&self, id: &ParentId) -> impl Future<Output = Result<Option<ParentRecord>, PortError>> + Send;

    /// What the referral said about a parent (for rosters).
    fn parent_details(&self, id: &ParentId) -> impl Future<Output = Result<Option<crate::referral::ParentDetails>, PortError>> + Send;

    /// `invited` → `activated`, once, with its event. False if the parent was not `invited`.
    fn activate(
        &self,
        id: &ParentId,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Counts a request for a fresh link on `day`; false (nothing written) once `max` were made that day.
    fn count_link_request(
        &self,
        id: &ParentId,
        day: jiff::civil::Date,
        max: u32,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Records a module's first completion, with its event.
    fn record_module(
        &self,
        id: &ParentId,
        module_id: &str,
        at: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<ModuleRecording, PortError>> + Send;

    /// `invited`/`activated` → `elearning_started`.
    fn mark_elearning_started(&self, id: &ParentId) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Records the e-learning complete, once, with its event. False if it was already.
    fn complete_elearning(
        &self,
        id: &ParentId,
        at: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// What a booking attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked(crate::workshop::Booking),
    /// This parent already holds this very booking (a replay).
    AlreadyHeld(crate::workshop::Booking),
    Refused(crate::workshop::BookingRefusal),
}

pub trait WorkshopStore: Send + Sync {
    fn create_workshop(&self, w: &crate::workshop::Workshop) -> impl Future<Output = Result<(), PortError>> + Send;
    fn workshop(&self, id: &str) -> impl Future<Output = Result<Option<crate::workshop::Workshop>, PortError>> + Send;
    /// Workshops starting in [from, to), soonest first.
    fn workshops(&self, from: Timestamp, to: Timestamp) -> impl Future<Output = Result<Vec<crate::workshop::Workshop>, PortError>> + Send;
    /// The parents booked on a workshop, first booked first, with the trainer's attendance record.
    fn roster(&self, id: &str) -> impl Future<Output = Result<Vec<(ParentId, Option<bool>)>, PortError>> + Send;
    /// Takes a seat: the seat count, the co-parent rule and the parent's eligibility are
    /// conditions of the one transaction that takes it.
    fn book(
        &self,
        parent: &ParentRecord,
        workshop: &crate::workshop::Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<BookingOutcome, PortError>> + Send;
    /// Gives the seat back. Refused (not-booked) if the parent holds no booking on `workshop_id`;
    /// `before` guards the start (cancel until the workshop starts), `None` for a coordinator's release.
    /// `rebook`: the parent may book again (their status goes back to e-learning complete); false
    /// when the parent leaves the course (withdrawal) and keeps their status. `due`: where the
    /// parent sits in the due-index afterwards.
    fn release(
        &self,
        parent: &ParentRecord,
        workshop_id: &str,
        before: Option<Timestamp>,
        event: Option<&OutboxEvent>,
        rebook: bool,
        due: Option<Timestamp>,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Marks the workshop cancelled, with its event and a mark that its bookings are still to be
    /// released (due to the sweep from `now`); false if it already was cancelled.
    fn cancel_workshop(
        &self,
        id: &str,
        reason: &str,
        event: &OutboxEvent,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Every booking on the cancelled workshop is released: its mark goes.
    fn cancellation_released(&self, id: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What recording attendance came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceOutcome {
    Recorded,
    /// The same answer was recorded before (a replay).
    AlreadyRecorded,
    /// The parent holds no booking on the workshop.
    NotBooked,
    /// The parent left the course (not completed by the court's date, or withdrawn): no booking is held.
    ParentClosed(crate::progress::ParentStatus),
    /// Recorded the other way and no longer changeable (a parent who attended has completed).
    Conflict,
}

/// The trainer's answer for one parent at one workshop, with what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub workshop_id: String,
    pub attended: bool,
    pub recorded_at: Timestamp,
    /// For an attended parent: when they completed the course, and the follow-up call owed.
    pub completed_at: Option<Timestamp>,
    pub follow_up: Option<FollowUpDue>,
    pub due: Option<Timestamp>,
}

/// A follow-up call a trainer owes a parent who attended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpDue {
    pub parent_id: ParentId,
    pub workshop_id: String,
    pub due_by: Timestamp,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    Reached,
    NoAnswer,
    Declined,
}

/// A follow-up as trainers list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpEntry {
    pub parent_id: ParentId,
    pub referral_id: ReferralId,
    pub name: String,
    pub phone: Option<String>,
    pub workshop_id: String,
    pub due_by: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub outcome: Option<FollowUpOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpList {
    Due,
    Overdue,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpRecording {
    Recorded(FollowUpEntry),
    /// The same outcome was recorded before (a replay).
    AlreadyRecorded(FollowUpEntry),
    /// Recorded before with another outcome.
    Conflict,
    NotFound,
}

/// A concern a trainer raised about a parent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Concern {
    pub concern_id: String,
    pub parent_id: ParentId,
    pub raised_by: String,
    pub summary: String,
    pub raised_at: Timestamp,
}

/// A parent the sweep found due, as the index holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueParent {
    pub parent_id: ParentId,
    pub case_number: String,
    pub state: crate::sweep::DueState,
    pub due_at: Timestamp,
    pub rev: u64,
}

/// One page of what is due, and what reading it cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DuePage<T> {
    pub items: Vec<T>,
    /// Items DynamoDB read for the page.
    pub items_read: u64,
    pub capacity_units: f64,
    /// Where the next page starts; `None` on the last.
    pub next: Option<String>,
}

impl<T> DuePage<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> DuePage<U> {
        DuePage {
            items: self.items.into_iter().map(f).collect(),
            items_read: self.items_read,
            capacity_units: self.capacity_units,
            next: self.next,
        }
    }
}

/// The sweep's change to one parent, applied only if nothing changed the parent since it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepChange {
    pub parent_id: ParentId,
    pub rev: u64,
    pub next_due: Option<Timestamp>,
    /// The court's date passed: mark the parent not completed (releasing a seat not yet used).
    pub not_completed: bool,
    pub release: Option<(crate::workshop::Booking, String)>,
    pub now: Timestamp,
}

/// A referral's people and facts, for the notices to the FCA and the court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    pub case_number: String,
    pub court: crate::referral::Contact,
    pub family_court_adviser: crate::referral::Contact,
    pub record: ProgressRecord,
    /// Each parent's full name, by parent id.
    pub names: std::collections::BTreeMap<ParentId, String>,
}

pub trait CourseStore: Send + Sync {
    fn record_attendance(
        &self,
        parent: &ParentRecord,
        attendance: &Attendance,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<AttendanceOutcome, PortError>> + Send;

    /// Closes the referral (with `completed_event` when every parent completed) once every parent has
    /// closed, to be erased at `erase_at`; clears the mark a parent's closing left for the sweep.
    fn close_referral_if_done(
        &self,
        id: &ReferralId,
        now: Timestamp,
        erase_at: Timestamp,
        completed_event: impl Fn(Vec<ParentId>) -> OutboxEvent + Send,
    ) -> impl Future<Output = Result<Option<(crate::progress::ReferralStatus, Option<OutboxEvent>)>, PortError>> + Send;

    fn follow_ups(&self, list: FollowUpList, now: Timestamp) -> impl Future<Output = Result<Vec<FollowUpEntry>, PortError>> + Send;

    fn record_follow_up(
        &self,
        parent: &ParentId,
        outcome: FollowUpOutcome,
        notes: Option<&str>,
        now: Timestamp,
    ) -> impl Future<Output = Result<FollowUpRecording, PortError>> + Send;

    /// Stores the concern with its event; false if this very concern was stored before.
    fn raise_concern(&self, concern: &Concern, event: &OutboxEvent) -> impl Future<Output = Result<bool, PortError>> + Send;

    fn case_file(&self, id: &ReferralId) -> impl Future<Output = Result<Option<CaseFile>, PortError>> + Send;

    fn concern(&self, parent: &ParentId, concern_id: &str) -> impl Future<Output = Result<Option<Concern>, PortError>> + Send;
}

pub trait SweepStore: Send + Sync {
    /// Parents due at or before `now`, a page at a time.
    fn due_parents(&self, now: Timestamp, page: Option<String>) -> impl Future<Output = Result<DuePage<DueParent>, PortError>> + Send;

    /// Applies a sweep's change with its events, in one transaction; false if the parent changed since it was read.
    fn apply_sweep(&self, change: &SweepChange, events: &[OutboxEvent]) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Follow-ups past their date with no outcome and no overdue notice yet.
    fn overdue_follow_ups(
        &self,
        now: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<DuePage<FollowUpEntry>, PortError>> + Send;

    /// Marks the follow-up's overdue notice raised, with its event; false if it was already.
    fn mark_follow_up_overdue(&self, parent: &ParentId, event: &OutboxEvent) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Cancelled workshops whose bookings are not all released yet (a release cut short).
    fn cancelled_workshops(&self, now: Timestamp, page: Option<String>) -> impl Future<Output = Result<DuePage<String>, PortError>> + Send;

    /// Referrals a parent's closing (attended, not completed) marked for closing, still marked at `now`:
    /// those whose closing failed after the parent's change committed.
    fn referrals_to_close(
        &self,
        now: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<DuePage<ReferralId>, PortError>> + Send;

    /// Closed referrals whose retention period ended at or before `now`.
    fn referrals_to_erase(
        &self,
        now: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<DuePage<ReferralId>, PortError>> + Send;

    /// Deletes every item of a referral marked for erasure (the referral item last); the number deleted.
    fn erase_referral(&self, id: &ReferralId) -> impl Future<Output = Result<usize, PortError>> + Send;
}
