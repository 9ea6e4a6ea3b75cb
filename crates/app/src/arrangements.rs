//! Arrangements: a booked parent's interpreter or adjustments become a coordinator's task
//! (`pt4c_domain::arrangements`). The consumer of every booking event calls [`reconcile`], which
//! makes the parent's tasks agree with the booking they hold when it is delivered: the task for
//! their current booking opened (once: a conditional put, itself conditioned on the parent still
//! holding that booking), any other open task closed. Deliveries in any order, twice, or late
//! converge on the same tasks. A workshop moved to another time moves its open tasks with it. Coordinators mark tasks done; the sweep emails the coordinators
//! once per task still open `task_flag` before its workshop.

use jiff::Timestamp;
use pt4c_domain::arrangements::{Marking, Task};
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::{ArrangementStore, CoordinatorNoticeLedger, Mailer, ParentStore, PortError};
use pt4c_domain::ParentId;
use serde::Serialize;

use crate::notices::{send_once_to_coordinators, Sending};
use crate::App;

/// What reconciling a parent's tasks did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub opened: usize,
    pub closed: usize,
    /// Open tasks whose workshop was moved to another time.
    pub retimed: usize,
    /// The parent is not (or no longer) held: nothing to do.
    pub no_parent: bool,
}

/// Makes the parent's tasks agree with the booking they hold now.
pub async fn reconcile<S, B>(app: &App<S, B>, parent_id: &ParentId) -> Result<Reconciled, PortError>
where
    S: ArrangementStore + ParentStore,
{
    let Some(parent) = app.store.parent(parent_id).await? else {
        return Ok(Reconciled { no_parent: true, ..Reconciled::default() });
    };
    let now = app.now();
    let mut done = Reconciled::default();
    let tasks = app.store.tasks_of(parent_id).await?;
    for t in tasks.iter().filter(|t| t.outdated(&parent)) {
        if app.store.close_task(parent_id, &t.task_id, now).await? {
            tracing::info!(parent_id = %parent_id, task_id = %t.task_id, "arrangement task closed: its booking is no longer held");
            done.closed += 1;
        }
    }
    for t in &tasks {
        if let Some(starts_at) = t.retimed(&parent) {
            if app.store.retime_task(parent_id, &t.task_id, starts_at).await? {
                tracing::info!(parent_id = %parent_id, task_id = %t.task_id, "arrangement task moved to its workshop's new start");
                done.retimed += 1;
            }
        }
    }
    if let Some(task) = Task::for_current_booking(&parent, now) {
        if !tasks.iter().any(|t| t.task_id == task.task_id) && app.store.open_task(&task).await? {
            tracing::info!(parent_id = %parent_id, task_id = %task.task_id, "arrangement task opened");
            done.opened += 1;
        }
    }
    Ok(done)
}

/// The open tasks the dashboard shows: flagged first, then soonest workshop first.
pub async fn open<S: ArrangementStore, B>(app: &App<S, B>, limit: usize) -> Result<Vec<Task>, PortError> {
    let now = app.now();
    let mut tasks = app.store.open_tasks(now + jiff::SignedDuration::from_hours(24 * 366 * 2), limit).await?;
    pt4c_domain::arrangements::dashboard_order(&mut tasks, now, app.timings());
    Ok(tasks)
}

/// A coordinator (by their account id) marks a task done.
pub async fn mark_done<S: ArrangementStore, B>(app: &App<S, B>, parent: &ParentId, task_id: &str, by: &str) -> Result<Marking, PortError> {
    let marking = app.store.mark_task_done(parent, task_id, by, app.now()).await?;
    if let Marking::Done(_) = &marking {
        tracing::info!(parent_id = %parent, task_id = %task_id, "arrangement task done");
    }
    Ok(marking)
}

/// What the sweep's flagging did (counts only).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flagged {
    /// Open tasks for workshops starting within `task_flag`.
    pub flagged: usize,
    pub emailed: usize,
    pub already_emailed: usize,
}

/// Most flagged tasks a sweep emails about (a longer list is on the dashboard anyway).
const FLAG_LIMIT: usize = 1000;

/// Emails the coordinators once per task still open `task_flag` before its workshop (at `at`,
/// the sweep's moment). `email`: the email about one task.
pub async fn flag<S, B, M>(
    app: &App<S, B>,
    mailer: &M,
    at: Timestamp,
    email: impl Fn(&Task) -> Result<Email, String>,
) -> Result<Flagged, PortError>
where
    S: ArrangementStore + CoordinatorNoticeLedger,
    M: Mailer,
{
    let mut out = Flagged::default();
    let tasks = app.store.open_tasks(at + app.timings().task_flag, FLAG_LIMIT).await?;
    for t in tasks.iter().filter(|t| t.flagged(at, app.timings()) && t.starts_at > at) {
        out.flagged += 1;
        let message = email(t).map_err(|e| PortError::Permanent(format!("arrangement-due email: {e}")))?;
        let subject = format!("{}#{}", t.parent_id.parent_ref(), t.task_id);
        let about = Some(t.parent_id.referral_id());
        match send_once_to_coordinators(&app.store, mailer, about, NoticeKind::ArrangementDue, &subject, at, &message).await? {
            Sending::Sent { message_id } => {
                tracing::info!(parent_id = %t.parent_id, task_id = %t.task_id, message_id = %message_id, "coordinators told of an arrangement due");
                out.emailed += 1;
            }
            Sending::AlreadySent => out.already_emailed += 1,
        }
    }
    Ok(out)
}
