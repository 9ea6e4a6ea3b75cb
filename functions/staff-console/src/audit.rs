//! The audit trail, a day at a time (coordinators only). Entries name the staff member by their
//! account id and what they acted on by id: no names or contact details.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use jiff::ToSpan;
use pt4c_app::staff::About;
use pt4c_domain::ports::StaffStore;
use pt4c_domain::staff::{AuditEntry, StaffRole};

use crate::pages::{self, Who};
use crate::session::Staff;
use crate::Shared;

pub fn router() -> Router<Shared> {
    Router::new().route("/console/audit", get(trail))
}

#[derive(serde::Deserialize)]
struct DayQuery {
    day: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Page {
    who: Option<Who>,
    day: String,
    previous: String,
    next: String,
    entries: Vec<(String, AuditEntry)>,
}

async fn trail(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<DayQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "audit.view", &[StaffRole::Coordinator], About::default()).await {
        return r;
    }
    let today = c.deps.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let day = q.day.as_deref().and_then(|d| d.parse().ok()).unwrap_or(today);
    let Ok(entries) = c.deps.store.audit_trail(day).await else { return pages::unavailable() };
    let entries = entries.into_iter().map(|e| (pages::when(e.at), e)).collect();
    let shift = |n: i64| day.checked_add(n.days()).map(|d| d.to_string()).unwrap_or_default();
    let page = Page { who: Some(Who::of(&staff, "audit")), day: pages::day(day), previous: shift(-1), next: shift(1), entries };
    pages::render(StatusCode::OK, page.render())
}
