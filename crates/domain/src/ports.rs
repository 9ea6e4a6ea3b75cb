//! The ports: traits only. Adapters (DynamoDB, SES, EventBridge, and the in-memory ones) implement
//! them; what they answer lives in `outcomes`, `parent` and `course`, re-exported here.

use std::future::Future;

use jiff::Timestamp;

use crate::events::OutboxEvent;
use crate::notice::{Email, NoticeKind};
use crate::progress::ProgressRecord;
use crate::referral::{CaseNumber, NewReferral};
use crate::{ClaimId, ConcernId, EventId, ParentId, ReferralId, WorkshopId};

pub use crate::course::{
    Attendance, AttendanceOutcome, CaseFile, Concern, FollowUpDue, FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording,
};
pub use crate::outcomes::{
    BookingOutcome, BookingUpdate, DuePage, DueParent, EditOutcome, Intake, NoticeClaim, ParentContact, PortError, ReferralContacts,
    SweepChange, Withdrawal,
};
pub use crate::parent::{ModuleRecording, ParentRecord};

mod coordinators;
pub use coordinators::{ArrangementStore, CoordinatorNoticeLedger, ForecastStore};
mod texts;
pub use texts::{SmsLedger, Texter};
mod delivery;
pub use delivery::{worth_retrying, DeliveryLedger, UnreachableParent, UNKNOWN_MESSAGE_GRACE};

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

    /// The referrals taken under a case number (several may share one), from its lookup items:
    /// one Query, never a Scan.
    fn referrals_of_case(&self, case: &CaseNumber) -> impl Future<Output = Result<Vec<ReferralId>, PortError>> + Send;

    /// The parents of a surname (keyed by `referral::surname_key`, however it is typed), from their
    /// name lookup items: one Query, never a Scan, at most `referral::NAMED_AT_MOST`.
    fn parents_named(&self, surname: &str) -> impl Future<Output = Result<Vec<ParentId>, PortError>> + Send;
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
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Gives a claim back after a failed send, so a retry may send.
    fn release(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The ledger of emails to staff about a workshop (its trainers), each at most once per
/// (workshop, kind, subject): the same claim, send, record as [`NoticeLedger`], kept with the workshop.
pub trait WorkshopNoticeLedger: Send + Sync {
    fn claim_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send;

    fn mark_sent_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    fn release_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait Outbox: Send + Sync {
    /// Events still waiting, created at or before `before`, oldest first.
    fn pending(&self, before: Timestamp, limit: i32) -> impl Future<Output = Result<Vec<OutboxEvent>, PortError>> + Send;
    fn delivered(&self, event_id: &EventId) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Clears several published events; a store may do it in one call.
    fn delivered_all(&self, event_ids: &[&EventId]) -> impl Future<Output = Result<(), PortError>> + Send {
        async move {
            for id in event_ids {
                self.delivered(id).await?;
            }
            Ok(())
        }
    }
}

pub trait EventPublisher: Send + Sync {
    /// Publishes all, or fails: a partial failure is a failure.
    fn publish(&self, events: &[OutboxEvent]) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    fn send(&self, email: &Email) -> impl Future<Output = Result<String, PortError>> + Send;
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
        module_id: &crate::ModuleId,
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

pub trait WorkshopStore: Send + Sync {
    /// Publishes the workshop with its event (`WorkshopPublished`: its seats go to the waiting list).
    fn create_workshop(&self, w: &crate::workshop::Workshop, event: &OutboxEvent) -> impl Future<Output = Result<(), PortError>> + Send;
    fn workshop(&self, id: &WorkshopId) -> impl Future<Output = Result<Option<crate::workshop::Workshop>, PortError>> + Send;
    /// Workshops starting in [from, to), soonest first.
    fn workshops(&self, from: Timestamp, to: Timestamp) -> impl Future<Output = Result<Vec<crate::workshop::Workshop>, PortError>> + Send;
    /// Open workshops with a seat left starting after `after`, by start then id, from just after
    /// `from`, at most `limit`, and where the next page begins: one Query of the bookable index,
    /// never the year. A workshop that has just filled may still be returned (readers skip it);
    /// one with a free seat is never missing.
    fn bookable(
        &self,
        after: Timestamp,
        from: Option<&crate::offering::BookableCursor>,
        limit: usize,
    ) -> impl Future<Output = Result<crate::offering::BookablePage, PortError>> + Send;
    /// The parents booked on a workshop, first booked first, with the trainer's attendance record.
    fn roster(&self, id: &WorkshopId) -> impl Future<Output = Result<Vec<(ParentId, Option<bool>)>, PortError>> + Send;
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
    /// Writes an edit of `before` (as read) into `after` (its sequence bumped), each booked
    /// parent's copy of the booking, and the event, in one transaction conditioned on what was
    /// read: the workshop open, not started at `now`, at `before`'s sequence and seat count, the
    /// new capacity not below the seats taken, each parent at the `rev` read and still booked there.
    fn edit_workshop(
        &self,
        before: &crate::workshop::Workshop,
        after: &crate::workshop::Workshop,
        booked: &[BookingUpdate],
        now: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<EditOutcome, PortError>> + Send;
    /// Moves the parent's booking to `to` in one transaction: the old seat and roster place given
    /// back as a cancellation gives them (only before the old workshop starts), the new one taken
    /// with every condition of `book`, the parent conditioned on the booking and `rev` read.
    fn move_booking(
        &self,
        parent: &ParentRecord,
        to: &crate::workshop::Workshop,
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
        workshop_id: &WorkshopId,
        before: Option<Timestamp>,
        event: Option<&OutboxEvent>,
        rebook: bool,
        due: Option<Timestamp>,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Marks the workshop cancelled, with its event and a mark that its bookings are still to be
    /// released (due to the sweep from `now`); false if it already was cancelled.
    fn cancel_workshop(
        &self,
        id: &WorkshopId,
        reason: &str,
        event: &OutboxEvent,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Every booking on the cancelled workshop is released: its mark goes.
    fn cancellation_released(&self, id: &WorkshopId) -> impl Future<Output = Result<(), PortError>> + Send;
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

    fn concern(&self, parent: &ParentId, concern_id: &ConcernId) -> impl Future<Output = Result<Option<Concern>, PortError>> + Send;
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
    fn cancelled_workshops(
        &self,
        now: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<DuePage<WorkshopId>, PortError>> + Send;

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

/// The staff console's own records: its sessions (by the hash of the id the browser holds) and
/// the append-only audit trail.
pub trait StaffStore: Send + Sync {
    /// A new session; never overwrites one (ids are random, a clash is refused).
    fn create_session(
        &self,
        key: &str,
        session: &crate::staff::ConsoleSession,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn session(&self, key: &str) -> impl Future<Output = Result<Option<crate::staff::ConsoleSession>, PortError>> + Send;
    /// Notes the session was used at `at` (only if it still exists: a signed-out session stays gone).
    fn touch_session(&self, key: &str, at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;
    fn end_session(&self, key: &str) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Appends an entry: to the day's trail, and to the parent's own record when it names one
    /// (both or neither). Kept until `keep_until` (a parent's copy goes with the referral's erasure).
    fn record_audit(&self, entry: &crate::staff::AuditEntry, keep_until: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;
    /// A day's trail (UTC), newest first.
    fn audit_trail(&self, day: jiff::civil::Date) -> impl Future<Output = Result<Vec<crate::staff::AuditEntry>, PortError>> + Send;
    /// Concerns raised at or after `since`, newest first, at most `limit` (the due-index's
    /// `CONCERN` partition).
    fn recent_concerns(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<crate::course::Concern>, PortError>> + Send;
    /// A disabled staff account's sessions end: those started before `at` are refused from now on
    /// (`email` compared without case).
    fn revoke_sessions(&self, email: &str, at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;
    /// When the account's sessions were last revoked, if ever.
    fn sessions_revoked(&self, email: &str) -> impl Future<Output = Result<Option<Timestamp>, PortError>> + Send;
    /// Parents with something due at or before `until`, soonest first, at most `limit` (the
    /// due-index's `PARENT` partition: what it reads is what it shows).
    fn parents_due(&self, until: Timestamp, limit: usize) -> impl Future<Output = Result<Vec<crate::staff::ParentDue>, PortError>> + Send;
    /// What the console shows on a parent's page beyond their progress: concerns and the audit trail.
    fn parent_history(&self, parent: &ParentId) -> impl Future<Output = Result<ParentHistory, PortError>> + Send;
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParentHistory {
    pub concerns: Vec<crate::course::Concern>,
    pub audit: Vec<crate::staff::AuditEntry>,
}

/// The waiting list and the seats held from it (rules.md, "Waiting list"). A held seat is taken
/// as a booking's is (the workshop's count and the co-parent guard), so seats booked and held
/// never exceed capacity; each write is one transaction conditioned on what it was decided from.
pub trait WaitingListStore: Send + Sync {
    /// Puts the parent on the list (their place, and their entry in the list's order) if they
    /// are still as read: e-learning done, not booked, not on it. `false`: they were not.
    fn join_waiting_list(
        &self,
        parent: &ParentRecord,
        place: &crate::offering::WaitingPlace,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The list in its order (earliest court date, then time joined), a page at a time.
    fn waiting_entries(
        &self,
        page: Option<String>,
        size: usize,
    ) -> impl Future<Output = Result<DuePage<crate::offering::WaitingEntry>, PortError>> + Send;

    /// Holds a seat on `w` for the entry's parent until `offer.hold_until`.
    fn hold_seat(
        &self,
        entry: &crate::offering::WaitingEntry,
        w: &crate::workshop::Workshop,
        offer: &crate::offering::HeldOffer,
        now: Timestamp,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<crate::offering::HoldOutcome, PortError>> + Send;

    /// Makes the held seat the parent's booking (the seat stays taken), if the offer and the
    /// workshop are as read.
    fn accept_offer(
        &self,
        parent: &ParentRecord,
        offer: &crate::offering::HeldOffer,
        w: &crate::workshop::Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        events: &[OutboxEvent],
    ) -> impl Future<Output = Result<crate::offering::AcceptOutcome, PortError>> + Send;

    /// Gives back the seat of `release.offer` (if any) and, when the parent leaves, their place on
    /// the list, if the parent holds that offer as read. `false`: they did not.
    fn release_offer(
        &self,
        parent: &ParentRecord,
        release: &crate::parent::OfferRelease,
        events: &[OutboxEvent],
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Holds whose time ended at or before `now`: (parent, offer).
    fn ended_holds(
        &self,
        now: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<DuePage<(ParentId, crate::OfferId)>, PortError>> + Send;

    /// Drops a stale entry (the parent booked or left the course): the list's order only.
    fn drop_entry(&self, parent: &ParentId) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The seats held on a workshop: (parent, offer), from its partition (a cancelled workshop's
    /// holds are given back, as its bookings are).
    fn holds_on(&self, workshop: &WorkshopId) -> impl Future<Output = Result<Vec<(ParentId, crate::OfferId)>, PortError>> + Send;
}

mod reporting;
pub use reporting::ReportingStore;

mod recovery;
pub use recovery::LinkRecoveryStore;
