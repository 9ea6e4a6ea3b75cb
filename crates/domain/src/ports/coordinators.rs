//! The ports of the coordinators' work: arrangement tasks, the capacity forecast, and the ledger of
//! emails to the coordinators' shared address.

use std::future::Future;

use jiff::Timestamp;

use crate::arrangements::{Marking, Task};
use crate::forecast::{Candidate, Forecast};
use crate::notice::NoticeKind;
use crate::outcomes::{DuePage, NoticeClaim, PortError};
use crate::{ClaimId, ParentId, ReferralId};

pub trait ArrangementStore: Send + Sync {
    /// Opens the task, once: conditioned on no task of that id existing and on the parent still
    /// holding the booking it is for (workshop and `bookedAt`). False if either condition failed.
    fn open_task(&self, task: &Task) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Every task of the parent (open, done, closed), oldest first: one Query of their referral.
    fn tasks_of(&self, parent: &ParentId) -> impl Future<Output = Result<Vec<Task>, PortError>> + Send;

    /// Closes an open task (its booking was cancelled or moved); false if it was not open.
    fn close_task(&self, parent: &ParentId, task_id: &str, at: Timestamp) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Moves an open task to its workshop's new start (and its place in the due-index); false if
    /// it was not open.
    fn retime_task(&self, parent: &ParentId, task_id: &str, starts_at: Timestamp) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Marks an open task done by `by` (a staff account's id), conditioned on it being open.
    fn mark_task_done(
        &self,
        parent: &ParentId,
        task_id: &str,
        by: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Marking, PortError>> + Send;

    /// Open tasks for workshops starting at or before `until`, soonest first, at most `limit`
    /// (the due-index's `TASK` partition, keyed by the workshop's start: what it reads is what it shows).
    fn open_tasks(&self, until: Timestamp, limit: usize) -> impl Future<Output = Result<Vec<Task>, PortError>> + Send;
}

pub trait ForecastStore: Send + Sync {
    /// The parents on the course, a page at a time (the due-index's `PARENT` partition, whatever
    /// their due time): the forecast's reads grow with them, never with everything stored.
    fn forecast_candidates(&self, page: Option<String>) -> impl Future<Output = Result<DuePage<Candidate>, PortError>> + Send;

    /// Stores the forecast as the one current item (a later one replaces it).
    fn save_forecast(&self, forecast: &Forecast) -> impl Future<Output = Result<(), PortError>> + Send;

    fn forecast(&self) -> impl Future<Output = Result<Option<Forecast>, PortError>> + Send;
}

/// Emails to the coordinators, each at most once per (kind, subject): the same claim, send,
/// record as the parents' ledger. `about`: the referral the email concerns (its record is erased
/// with it), or `None` for the course as a whole (a day's forecast).
pub trait CoordinatorNoticeLedger: Send + Sync {
    fn claim_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send;

    #[allow(clippy::too_many_arguments)]
    fn mark_sent_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    fn release_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}
