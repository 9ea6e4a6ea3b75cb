//! In-memory adapters for every port of the domain: the use cases' rules tested in milliseconds,
//! without AWS.
//!
//! [`MemoryStore`] keeps the DynamoDB adapter's rules: every condition its transactions carry is
//! checked here against one locked state before anything changes, and a write that carries an
//! outbox event stores it with the change or not at all. What DynamoDB reads cost is not modelled
//!
//!
//! For tests: inspection helpers ([`MemoryStore::outbox_events`], [`MemoryMailer::sent`],
//! [`MemoryBus::published`]) and fault injection ([`MemoryStore::fail_next`],
//! [`MemoryStore::fail_after_commit`]) to check a use case that fails part way.

use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use pt4c_domain::events::{DomainEvent, OutboxEvent};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::PortError;
use pt4c_domain::workshop::Workshop;
use pt4c_domain::ParentId;
use pt4c_domain::WorkshopId;

mod arrangements;
mod course;
mod delivery;
mod forecast;
mod gateways;
mod notice;
mod outbox;
mod parent;
mod recovery;
mod referral;
mod reporting;
mod sms;
mod staff;
mod state;
mod sweep;
mod waiting;
mod workshop;

#[cfg(test)]
mod tests;

pub use gateways::{MemoryBus, MemoryMailer};
pub use sms::MemoryTexter;

use state::State;

/// Every port method of the store, to name the one a fault is injected into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    CreateReferral,
    Progress,
    Withdraw,
    Contacts,
    ReferralsOfCase,
    ParentsNamed,
    Claim,
    MarkSent,
    /// `NoticeLedger::release`.
    ReleaseClaim,
    Pending,
    Delivered,
    Parent,
    ParentDetails,
    Activate,
    CountLinkRequest,
    RecordModule,
    MarkElearningStarted,
    CompleteElearning,
    CreateWorkshop,
    Workshop,
    Workshops,
    Roster,
    Book,
    /// `WorkshopStore::release`.
    Release,
    EditWorkshop,
    MoveBooking,
    CancelWorkshop,
    CancellationReleased,
    RecordAttendance,
    CloseReferralIfDone,
    FollowUps,
    RecordFollowUp,
    RaiseConcern,
    CaseFile,
    Concern,
    DueParents,
    ApplySweep,
    OverdueFollowUps,
    MarkFollowUpOverdue,
    CancelledWorkshops,
    ReferralsToClose,
    ReferralsToErase,
    /// Every `StaffStore` call.
    Staff,
    /// The waiting list's writes (`WaitingListStore`).
    Waiting,
    EraseReferral,
    /// Every `ArrangementStore` call.
    Arrangements,
    /// Every `ForecastStore` call.
    Forecast,
    /// Every `ReportingStore` call.
    Reporting,
    /// Every `LinkRecoveryStore` call (parents by email address, request counters).
    Recovery,
    /// Every `DeliveryLedger` call.
    Delivery,
}

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Nothing is read or written: the call fails.
    Before,
    /// The change is made, then the call fails (a reply lost on the way back).
    AfterCommit,
}

/// The DynamoDB store's rules over one locked state. Clones share the state.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// How long a claim on sending an email holds (the DynamoDB store's default: 30 s).
    claim_lease: std::time::Duration,
    /// Items per page of the due-index (DynamoDB's sweep reads 100).
    page_size: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self { state: Arc::default(), claim_lease: std::time::Duration::from_secs(30), page_size: 100 }
    }

    pub fn with_claim_lease(mut self, lease: std::time::Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// Smaller pages, so a test can walk the due-index a page at a time.
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked with the lock held leaves a state still worth reading.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one port call as one transaction over the state, with any fault injected into `op`.
    pub(crate) fn run<T>(&self, op: Op, f: impl FnOnce(&mut State) -> Result<T, PortError>) -> Result<T, PortError> {
        let mut s = self.lock();
        if let Some(e) = s.take_fault(op, When::Before) {
            return Err(e);
        }
        let out = f(&mut s)?;
        match s.take_fault(op, When::AfterCommit) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The next call of `op` fails with `error`, changing nothing.
    pub fn fail_next(&self, op: Op, error: PortError) {
        self.lock().faults.push((op, When::Before, error));
    }

    /// The next call of `op` makes its change, then fails with `error` (the reply was lost).
    pub fn fail_after_commit(&self, op: Op, error: PortError) {
        self.lock().faults.push((op, When::AfterCommit, error));
    }

    /// Every event written with a change, in the order written (delivered or not).
    pub fn outbox_events(&self) -> Vec<OutboxEvent> {
        self.lock().written.clone()
    }

    /// The domain events written with changes, in order.
    pub fn events(&self) -> Vec<DomainEvent> {
        self.lock().written.iter().map(|e| e.event.clone()).collect()
    }

    /// Events written and not yet marked delivered, oldest first.
    pub fn pending_events(&self) -> Vec<OutboxEvent> {
        let s = self.lock();
        let mut pending: Vec<OutboxEvent> = s.outbox.values().cloned().collect();
        pending.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.event_id.cmp(&b.event_id)));
        pending
    }

    /// The (kind, subject) of every notice recorded sent to the parent, in the order sent.
    pub fn notices_sent(&self, parent: &ParentId) -> Vec<(NoticeKind, String)> {
        let s = self.lock();
        let mut sent: Vec<_> = s
            .notices
            .iter()
            .filter(|((p, _, _), n)| p == parent && n.sent_at.is_some())
            .map(|((_, _, subject), n)| (n.sent_order, n.kind, subject.clone()))
            .collect();
        sent.sort_by_key(|(order, _, _)| *order);
        sent.into_iter().map(|(_, kind, subject)| (kind, subject)).collect()
    }

    /// The (kind, subject) of every email to staff recorded sent about a workshop, in the order sent.
    pub fn workshop_notices_sent(&self, workshop: &WorkshopId) -> Vec<(NoticeKind, String)> {
        let s = self.lock();
        let mut sent: Vec<_> = s
            .workshop_notices
            .iter()
            .filter(|((w, _, _), n)| w == workshop && n.sent_at.is_some())
            .map(|((_, _, subject), n)| (n.sent_order, n.kind, subject.clone()))
            .collect();
        sent.sort_by_key(|(order, _, _)| *order);
        sent.into_iter().map(|(_, kind, subject)| (kind, subject)).collect()
    }

    /// The provider's message id recorded for a notice sent.
    pub fn notice_message_id(&self, parent: &ParentId, kind: NoticeKind, subject: &str) -> Option<String> {
        self.lock().notices.get(&(parent.clone(), kind.as_str(), subject.to_owned())).and_then(|n| n.message_id.clone())
    }

    /// Every claim still sending is taken over by the next claim, as if its lease had run out.
    pub fn expire_claims(&self) {
        for n in self.lock().notices.values_mut() {
            n.lease_until = n.lease_until.map(|_| std::time::Instant::now());
        }
    }

    /// Requests for a fresh link counted for the parent on `day`.
    pub fn link_requests(&self, parent: &ParentId, day: jiff::civil::Date) -> u32 {
        self.lock().link_requests.get(&(parent.clone(), day)).copied().unwrap_or(0)
    }

    /// The workshop as stored, whatever its id looks like.
    pub fn stored_workshop(&self, id: &WorkshopId) -> Option<Workshop> {
        self.lock().workshops.get(id).map(state::WorkshopRec::workshop)
    }

    /// The roster places (co-parent guards) on a workshop: (case number, parent).
    pub fn roster_places(&self, workshop_id: &WorkshopId) -> Vec<(String, ParentId)> {
        let s = self.lock();
        s.roster.iter().filter(|((w, _), _)| w == workshop_id).map(|((_, case), r)| (case.clone(), r.parent_id.clone())).collect()
    }

    /// Items stored under a referral (its partition in DynamoDB): the referral, parents, notices,
    /// link counts, follow-ups and concerns.
    pub fn referral_items(&self, id: &pt4c_domain::ReferralId) -> usize {
        self.lock().partition_size(id)
    }

    /// The referral's mark in the due-index: `("CLOSING" | "ERASE", due)`.
    pub fn referral_mark(&self, id: &pt4c_domain::ReferralId) -> Option<(&'static str, Timestamp)> {
        self.lock().referrals.get(id).and_then(|r| r.mark.map(|(m, at)| (m.name(), at)))
    }
}
