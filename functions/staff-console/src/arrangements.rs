//! Arrangement tasks in the console: the rows the dashboard and a parent's page list, and marking
//! one done (a coordinator's POST form, audited as `task.done`). The adjustments a parent asked
//! for are shown to coordinators here and nowhere else in logs or events.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};
use jiff::Timestamp;
use pt4c_app::staff::About;
use pt4c_domain::arrangements::{Marking, Task, TaskStatus};
use pt4c_domain::staff::{AuditOutcome, StaffRole};
use pt4c_domain::timings::Timings;
use pt4c_domain::{ParentId, WorkshopId};

use crate::pages;
use crate::session::{Fields, Staff};
use crate::Shared;

const COORDINATOR: &[StaffRole] = &[StaffRole::Coordinator];

pub fn router() -> Router<Shared> {
    Router::new().route("/console/parents/{id}/tasks/{task}/done", post(mark_done))
}

/// A task as the console lists it.
pub struct TaskRow {
    pub parent_id: String,
    pub task_id: String,
    pub name: String,
    /// "An interpreter for pl and adjustments".
    pub what: String,
    pub adjustments: Option<String>,
    pub workshop_id: String,
    pub when: String,
    /// Open and its workshop starts within the flag window.
    pub flagged: bool,
    /// "Arranged" or "No longer needed" once settled.
    pub settled: Option<&'static str>,
}

pub fn row(t: &Task, now: Timestamp, timings: &Timings) -> TaskRow {
    let mut what = t.what();
    if let Some(first) = what.get(0..1) {
        what = first.to_uppercase() + &what[1..];
    }
    TaskRow {
        parent_id: t.parent_id.to_string(),
        task_id: t.task_id.clone(),
        name: t.name.clone(),
        what,
        adjustments: t.adjustments.clone(),
        workshop_id: t.workshop_id.to_string(),
        when: pages::when(t.starts_at),
        flagged: t.flagged(now, timings),
        settled: match t.status {
            TaskStatus::Open => None,
            TaskStatus::Done => Some("Arranged"),
            TaskStatus::Closed => Some("No longer needed"),
        },
    }
}

/// The workshop a task id names (`{workshopId}@{bookedAt}`).
fn workshop_of(task_id: &str) -> Option<WorkshopId> {
    WorkshopId::parse(task_id.split('@').next()?).ok()
}

async fn mark_done(
    State(c): State<Shared>,
    Extension(staff): Extension<Staff>,
    Path((id, task)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let parsed = ParentId::parse(&id).ok();
    let about = match (&parsed, workshop_of(&task)) {
        (Some(p), Some(w)) => About::both(p, &w),
        (Some(p), None) => About::parent(p),
        _ => About::default(),
    };
    if let Err(r) = staff.allow(&c, "task.done", COORDINATOR, about.clone()).await {
        return r;
    }
    let Some(parent) = parsed else { return crate::session::not_found(&staff, "Task") };
    let marking = match pt4c_app::arrangements::mark_done(&c.deps.app, &parent, &task, &staff.member.sub).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "a task could not be marked done");
            return pages::unavailable();
        }
    };
    match marking {
        Marking::Done(_) | Marking::AlreadyDone(_) => staff.audited(&c, "task.done", AuditOutcome::Done, about).await,
        Marking::NotFound => {
            staff.audited(&c, "task.done", AuditOutcome::Refused, about).await;
            return crate::session::not_found(&staff, "Task");
        }
        Marking::Closed => {
            staff.audited(&c, "task.done", AuditOutcome::Refused, about).await;
            return pages::message(
                StatusCode::CONFLICT,
                Some(pages::Who::of(&staff, "dashboard")),
                "This task is no longer needed",
                vec!["The booking it was for was cancelled or moved. Nothing was changed."],
                Some(("/console/", "Go to the dashboard")),
            );
        }
    }
    let back = if fields.get("back") == "parent" {
        format!("/console/parents/{parent}?done=task.done")
    } else {
        "/console/?done=task.done".into()
    };
    Redirect::to(&back).into_response()
}
