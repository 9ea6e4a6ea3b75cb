//! Concerns raised in the last 90 days, newest first, about the parents this person may open
//! (an adviser, their own cases; a trainer, the parents on their rosters). Each is raised, and the
//! adviser emailed, from the parent's page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use jiff::SignedDuration;
use pt4c_app::staff::{recent_concerns, About, ListedConcern};
use pt4c_domain::staff::{AuditOutcome, StaffRole};

use crate::pages::{self, Who};
use crate::session::Staff;
use crate::Shared;

pub fn router() -> Router<Shared> {
    Router::new().route("/console/concerns", get(list))
}

#[derive(Template)]
#[template(path = "concerns.html")]
struct Page {
    who: Option<Who>,
    /// (when, concern)
    concerns: Vec<(String, ListedConcern)>,
}

async fn list(State(c): State<Shared>, Extension(staff): Extension<Staff>) -> Response {
    if let Err(r) = staff.allow(&c, "concern.list", &StaffRole::ALL, About::default()).await {
        return r;
    }
    let since = c.deps.now() - SignedDuration::from_hours(24 * 90);
    let Ok(concerns) = recent_concerns(&c.deps.app, &staff.member, since).await else { return pages::unavailable() };
    // The list shows what each concern says about a parent: a view, audited as such.
    if let Err(r) = staff.audit(&c, "concern.list", AuditOutcome::Done, About::default()).await {
        return r;
    }
    let concerns = concerns.into_iter().map(|l| (pages::when(l.concern.raised_at), l)).collect();
    pages::render(StatusCode::OK, Page { who: Some(Who::of(&staff, "concerns")), concerns }.render())
}
