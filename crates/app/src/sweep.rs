//! The daily sweep: reminds parents who stall, warns those near the court's date, reports those
//! who did not complete by it, and tells trainers of follow-up calls gone overdue.
//!
//! It reads only what is due (the sparse due-index), as of the scheduled event's `time`. Each
//! parent's change and its events are one transaction, conditioned on the parent not having
//! changed since it was read: a sweep run twice, at once, or again after being cut off, raises
//! each reminder once, and each email is sent once by `notifications` (the notice ledger).
//!
//! Then it closes the referrals whose last parent just closed (a parent's closing marks its
//! referral, so a closing cut off is finished by the next run), and erases closed referrals whose
//! retention period has ended: every item of the referral, the referral item (holding the mark) last.

use std::collections::BTreeMap;

use jiff::Timestamp;
use pt4c_domain::events::{DomainEvent, FollowUpOverdue, OutboxEvent, ParentNotCompleted, ReminderDue};
use pt4c_domain::ports::{
    CourseStore, DuePage, DueParent, EventPublisher, Outbox, ParentStore, PortError, SweepChange, SweepStore, WaitingListStore,
    WorkshopStore,
};
use pt4c_domain::sweep::{after_sweep, Owed, Reminder};
use serde::Serialize;

use crate::App;

/// What a sweep did: returned to the invoker and logged (ids and counts only).
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub swept_at: Option<Timestamp>,
    /// Parents found due.
    pub parents_due: usize,
    /// Reminders raised, by kind.
    pub reminders: BTreeMap<String, usize>,
    pub not_completed: usize,
    /// Cancelled workshops whose bookings this run finished releasing.
    pub cancellations_finished: usize,
    /// Referrals closed because their last parent closed (completed or not).
    pub referrals_closed: usize,
    pub follow_ups_overdue: usize,
    /// Closed referrals whose retention ended, erased with every item they had.
    pub referrals_erased: usize,
    pub items_erased: usize,
    /// Parents another run (or a change by the parent) got to first: left to them.
    pub skipped: usize,
    pub events_published: usize,
    /// Seats held from the waiting list whose hold ended unanswered, given back (each offered on).
    pub holds_ended: usize,
    /// False when the run stopped early (near its time limit); the retry finishes it.
    pub finished: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("the scheduled event has no valid time: {0}")]
    BadEvent(String),
    #[error("sweep failed, will retry: {0}")]
    Retry(String),
    #[error("sweep stopped before its time limit; the retry finishes it ({0} parents done)")]
    Unfinished(usize),
}

impl From<PortError> for SweepError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Retryable(m) | PortError::Permanent(m) => Self::Retry(m),
        }
    }
}

/// Where the next read of a due-index partition starts; `None` once its last page was read.
struct Cursor(Option<Option<String>>);

impl Cursor {
    fn start() -> Self {
        Self(Some(None))
    }

    fn next(&mut self) -> Option<Option<String>> {
        self.0.take()
    }
}

impl Summary {
    /// Counts what reading a page cost and moves the cursor past it; the page's items.
    fn read<T>(&mut self, cursor: &mut Cursor, due: DuePage<T>) -> Vec<T> {
        cursor.0 = due.next.map(Some);
        due.items
    }
}

/// Runs the sweep as of `at`. `stop_by`: stop taking new work at this instant (the invocation's deadline, less a margin).
pub async fn sweep<S, B>(app: &App<S, B>, at: Timestamp, stop_by: Option<std::time::Instant>) -> Result<Summary, SweepError>
where
    S: SweepStore + WorkshopStore + ParentStore + CourseStore + WaitingListStore + Outbox,
    B: EventPublisher,
{
    let at = pt4c_domain::clock::to_the_second(at);
    // Seats held past their hold go back first, so each is offered on while there is time.
    let holds_ended = crate::waiting::end_holds(app, at).await?;
    let mut summary = Summary { swept_at: Some(at), finished: true, holds_ended, ..Summary::default() };
    let out_of_time = || stop_by.is_some_and(|s| std::time::Instant::now() >= s);
    // First the bookings a workshop's cancellation did not finish releasing: their parents are
    // then swept as free to book, never reminded of (or reported for) a workshop that will not run.
    let mut pages = Cursor::start();
    while let Some(page) = pages.next() {
        for id in summary.read(&mut pages, app.store.cancelled_workshops(at, page).await?) {
            let left = crate::workshops::release_cancelled(app, &id).await?;
            if left > 0 {
                return Err(SweepError::Retry(format!("{left} booking(s) on cancelled workshop {id} not yet released")));
            }
            summary.cancellations_finished += 1;
        }
    }
    let mut pages = Cursor::start();
    while let Some(page) = pages.next() {
        let parents = summary.read(&mut pages, app.store.due_parents(at, page).await?);
        let mut raised = Vec::new();
        for parent in &parents {
            if out_of_time() {
                summary.events_published += app.publish_committed_all(&raised).await;
                summary.finished = false;
                return Err(SweepError::Unfinished(summary.parents_due));
            }
            summary.parents_due += 1;
            raised.extend(sweep_parent(app, parent, at, &mut summary).await?);
        }
        summary.events_published += app.publish_committed_all(&raised).await;
    }
    // After the parents: their closings marked the referrals (and a closing cut off before is still marked).
    let mut pages = Cursor::start();
    while let Some(page) = pages.next() {
        let referrals = summary.read(&mut pages, app.store.referrals_to_close(at, page).await?);
        for id in &referrals {
            if crate::referrals::close(app, id).await? {
                summary.referrals_closed += 1;
            }
        }
    }
    let mut pages = Cursor::start();
    while let Some(page) = pages.next() {
        let follow_ups = summary.read(&mut pages, app.store.overdue_follow_ups(at, page).await?);
        let mut raised = Vec::new();
        for f in &follow_ups {
            let event = app.event(DomainEvent::FollowUpOverdue(FollowUpOverdue {
                parent_id: f.parent_id.clone(),
                workshop_id: f.workshop_id.clone(),
                due_by: f.due_by,
            }));
            if app.store.mark_follow_up_overdue(&f.parent_id, &event).await? {
                summary.follow_ups_overdue += 1;
                raised.push(event);
            } else {
                summary.skipped += 1;
            }
        }
        summary.events_published += app.publish_committed_all(&raised).await;
    }
    // Personal data is kept for the retention period after a referral closes, then erased.
    let mut pages = Cursor::start();
    while let Some(page) = pages.next() {
        if out_of_time() {
            summary.finished = false;
            return Err(SweepError::Unfinished(summary.parents_due));
        }
        let referrals = summary.read(&mut pages, app.store.referrals_to_erase(at, page).await?);
        for id in &referrals {
            let erased = app.store.erase_referral(id).await?;
            tracing::info!(referral_id = %id, items = erased, "referral erased at the end of its retention");
            summary.referrals_erased += 1;
            summary.items_erased += erased;
        }
    }
    tracing::info!(
        swept_at = %at,
        parents_due = summary.parents_due,
        not_completed = summary.not_completed,
        follow_ups_overdue = summary.follow_ups_overdue,
        referrals_closed = summary.referrals_closed,
        referrals_erased = summary.referrals_erased,
        skipped = summary.skipped,
        "sweep done"
    );
    Ok(summary)
}

/// Raises what one parent is owed and moves them on in the index; returns the events to publish.
async fn sweep_parent<S: SweepStore, B>(
    app: &App<S, B>,
    parent: &DueParent,
    at: Timestamp,
    summary: &mut Summary,
) -> Result<Vec<OutboxEvent>, SweepError> {
    let t = app.timings();
    let owed = parent.state.owed(parent.due_at, at, t);
    let not_completed = owed.iter().any(|o| matches!(o, Owed::NotCompleted { .. }));
    let mut events = Vec::new();
    let mut reminders = Vec::new();
    for o in &owed {
        let event = match o {
            Owed::Remind { reminder, at: due_at } => {
                let booking = parent.state.booking.as_ref().filter(|_| *reminder == Reminder::WorkshopReminder);
                reminders.push(*reminder);
                DomainEvent::ReminderDue(ReminderDue {
                    parent_id: parent.parent_id.clone(),
                    reminder: *reminder,
                    due_at: *due_at,
                    workshop_id: booking.map(|b| b.workshop_id.clone()),
                    booked_at: booking.map(|b| b.booked_at),
                })
            }
            Owed::NotCompleted { .. } => DomainEvent::ParentNotCompleted(ParentNotCompleted {
                parent_id: parent.parent_id.clone(),
                referral_id: parent.parent_id.referral_id().clone(),
                complete_by: parent.state.complete_by,
                recorded_at: at,
            }),
        };
        events.push(app.event(event));
    }
    let change = SweepChange {
        parent_id: parent.parent_id.clone(),
        rev: parent.rev,
        next_due: if not_completed { None } else { parent.state.next_due(after_sweep(at), t) },
        not_completed,
        // A seat on a workshop still to come goes back to others.
        release: parent.state.booking.clone().filter(|b| not_completed && b.starts_at > at).map(|b| (b, parent.case_number.clone())),
        now: at,
    };
    if !app.store.apply_sweep(&change, &events).await? {
        tracing::info!(parent_id = %parent.parent_id, "parent changed since read; left to the next run");
        summary.skipped += 1;
        return Ok(Vec::new());
    }
    for r in reminders {
        *summary.reminders.entry(r.kind().as_str().to_owned()).or_default() += 1;
    }
    if not_completed {
        summary.not_completed += 1;
        // The referral is closed after this page, from the mark the change left on it.
        tracing::info!(parent_id = %parent.parent_id, "parent did not complete by the court's date");
    }
    Ok(events)
}
