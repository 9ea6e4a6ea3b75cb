//! Arrangements (rules.md, "Offering workshops"): a booked parent with an interpreter language or
//! adjustments gives the coordinators a task to arrange them before the workshop; a task still
//! open `task_flag` (72 h) before the start is flagged.
//!
//! One task per (parent, booking): its id is the booking's workshop and the second it was taken
//! (`{workshopId}@{bookedAt}`), so a delivery of the same event twice finds the same task, and a
//! parent who cancels and books the same workshop again gets a new one. A task is open while the
//! booking it was made for is the parent's; done when a coordinator says so; closed when the
//! booking is cancelled or moved (the move's new booking gets its own task). Pure rules: the
//! stores make them conditions of their writes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::parent::ParentRecord;
use crate::timings::Timings;
use crate::workshop::Booking;
use crate::{ParentId, WorkshopId};

/// What a task's booking is: the workshop and the moment the seat was taken.
pub fn task_id(workshop_id: &WorkshopId, booked_at: Timestamp) -> String {
    format!("{workshop_id}@{}", booked_at.as_second())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    /// A coordinator arranged it.
    Done,
    /// The booking it was for was cancelled or moved: nothing to arrange.
    Closed,
}

/// A coordinator's task to arrange what a booked parent needs. Holds personal data (the parent's
/// name and adjustments): kept under the parent's referral and erased with it, never put on an
/// event or a log line (those carry `parent_id` and `task_id` only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub parent_id: ParentId,
    pub task_id: String,
    pub workshop_id: WorkshopId,
    pub booked_at: Timestamp,
    pub starts_at: Timestamp,
    /// The parent's name, as the dashboard lists it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustments: Option<String>,
    pub status: TaskStatus,
    pub opened_at: Timestamp,
    /// When it was done or closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<Timestamp>,
    /// The staff account (Cognito `sub`) that marked it done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<String>,
}

impl Task {
    /// The task a booking calls for: `None` when the parent needs nothing arranged.
    pub fn for_booking(parent: &ParentRecord, booking: &Booking, now: Timestamp) -> Option<Task> {
        let interpreter_language = parent.interpreter_language.clone().filter(|l| !l.trim().is_empty());
        let adjustments = parent.adjustments.clone().filter(|a| !a.trim().is_empty());
        if interpreter_language.is_none() && adjustments.is_none() {
            return None;
        }
        Some(Task {
            parent_id: parent.parent_id.clone(),
            task_id: task_id(&booking.workshop_id, booking.booked_at),
            workshop_id: booking.workshop_id.clone(),
            booked_at: booking.booked_at,
            starts_at: booking.starts_at,
            name: format!("{} {}", parent.first_name, parent.last_name),
            interpreter_language,
            adjustments,
            status: TaskStatus::Open,
            opened_at: now,
            settled_at: None,
            done_by: None,
        })
    }

    /// The task for the parent's current booking, if they hold one and need something arranged.
    pub fn for_current_booking(parent: &ParentRecord, now: Timestamp) -> Option<Task> {
        if parent.closed() {
            return None;
        }
        Task::for_booking(parent, parent.booking.as_ref()?, now)
    }

    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }

    /// Open, and the workshop starts within `task_flag` of `now` (or has started).
    pub fn flagged(&self, now: Timestamp, t: &Timings) -> bool {
        self.is_open() && self.starts_at <= now + t.task_flag
    }

    /// An open task whose booking is no longer the parent's current one: to be closed.
    pub fn outdated(&self, parent: &ParentRecord) -> bool {
        self.is_open()
            && !parent
                .booking
                .as_ref()
                .is_some_and(|b| !parent.closed() && b.workshop_id == self.workshop_id && b.booked_at == self.booked_at)
    }

    /// The workshop's new start, when the booking is still this task's but its workshop was moved
    /// to another time (the flag and the dashboard's order follow the start).
    pub fn retimed(&self, parent: &ParentRecord) -> Option<Timestamp> {
        let b = parent.booking.as_ref()?;
        (self.is_open() && !self.outdated(parent) && b.starts_at != self.starts_at).then_some(b.starts_at)
    }

    /// What to arrange, as a coordinator reads it: "an interpreter for pl and adjustments".
    pub fn what(&self) -> String {
        match (&self.interpreter_language, &self.adjustments) {
            (Some(l), Some(_)) => format!("an interpreter for {l} and adjustments"),
            (Some(l), None) => format!("an interpreter for {l}"),
            (None, _) => "adjustments".into(),
        }
    }

    /// The change marking it done by `by` at `now`; `None` unless it is open.
    pub fn done(&self, by: &str, now: Timestamp) -> Option<Task> {
        self.is_open().then(|| Task { status: TaskStatus::Done, settled_at: Some(now), done_by: Some(by.to_owned()), ..self.clone() })
    }
}

/// Open tasks as the dashboard lists them: flagged first, then soonest workshop first.
pub fn dashboard_order(tasks: &mut [Task], now: Timestamp, t: &Timings) {
    tasks.sort_by(|a, b| b.flagged(now, t).cmp(&a.flagged(now, t)).then(a.starts_at.cmp(&b.starts_at)).then(a.parent_id.cmp(&b.parent_id)));
}

/// What marking a task done came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marking {
    Done(Task),
    /// Done before (a second click, a retried form): nothing changed.
    AlreadyDone(Task),
    /// Closed (its booking was cancelled or moved): nothing to arrange.
    Closed,
    NotFound,
}

#[cfg(test)]
mod tests;
