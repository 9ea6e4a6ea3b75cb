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
    AlreadyTaken { content_hash: String },
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
    Claimed { claim_id: String },
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
    fn create_referral(
        &self,
        referral: &NewReferral,
        content_hash: &str,
        now: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<Intake, PortError>> + Send;

    fn progress(&self, id: &ReferralId) -> impl Future<Output = Result<Option<ProgressRecord>, PortError>> + Send;

    fn withdraw(
        &self,
        id: &ReferralId,
        reason: &str,
        now: Timestamp,
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
}

impl ParentRecord {
    /// Withdrawn, or the referral is closed: nothing more is sent or changed.
    pub fn closed(&self) -> bool {
        use crate::progress::{ParentStatus, ReferralStatus};
        self.referral_status != ReferralStatus::Open
            || matches!(self.status, ParentStatus::Withdrawn | ParentStatus::Completed | ParentStatus::NotCompleted)
    }

    pub fn elearning(&self) -> crate::progress::ElearningProgress {
        let mut modules: Vec<_> = self
            .modules
            .iter()
            .map(|(id, at)| crate::progress::ModuleCompletion { module_id: id.clone(), completed_at: *at })
            .collect();
        modules.sort_by(|a, b| a.completed_at.cmp(&b.completed_at).then(a.module_id.cmp(&b.module_id)));
        crate::progress::ElearningProgress { modules, completed_at: self.elearning_completed_at }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleRecording {
    Recorded,
    AlreadyRecorded,
    NoParent,
}

pub trait ParentStore: Send + Sync {
    fn parent(&self, id: &ParentId) -> impl Future<Output = Result<Option<ParentRecord>, PortError>> + Send;

    /// What the referral said about a parent (for rosters).
    fn parent_details(&self, id: &ParentId) -> impl Future<Output = Result<Option<crate::referral::ParentDetails>, PortError>> + Send;

    /// `invited` → `activated`, once, with its event. False if the parent was not `invited`.
    fn activate(&self, id: &ParentId, now: Timestamp, event: &OutboxEvent) -> impl Future<Output = Result<bool, PortError>> + Send;

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
    fn complete_elearning(&self, id: &ParentId, at: Timestamp, event: &OutboxEvent) -> impl Future<Output = Result<bool, PortError>> + Send;
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
    fn roster(&self, id: &str) -> impl Future<Output = Result<Vec<ParentId>, PortError>> + Send;
    /// Takes a seat: the seat count, the co-parent rule and the parent's eligibility are
    /// conditions of the one transaction that takes it.
    fn book(
        &self,
        parent: &ParentRecord,
        workshop: &crate::workshop::Workshop,
        now: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<BookingOutcome, PortError>> + Send;
    /// Gives the seat back. Refused (not-booked) if the parent holds no booking on `workshop_id`;
    /// `before` guards the start (cancel until the workshop starts), `None` for a coordinator's release.
    /// `rebook`: the parent may book again (their status goes back to e-learning complete); false
    /// when the parent leaves the course (withdrawal) and keeps their status.
    fn release(
        &self,
        parent: &ParentRecord,
        workshop_id: &str,
        before: Option<Timestamp>,
        event: Option<&OutboxEvent>,
        rebook: bool,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Marks the workshop cancelled, with its event; false if it already was.
    fn cancel_workshop(&self, id: &str, reason: &str, event: &OutboxEvent) -> impl Future<Output = Result<bool, PortError>> + Send;
}
