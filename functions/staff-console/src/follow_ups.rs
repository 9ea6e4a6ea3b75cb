//! Follow-up calls: due, overdue and done. A trainer sees the calls for their own workshops;
//! the outcome is recorded on the parent's page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use pt4c_app::follow_ups;
use pt4c_app::staff::{may_see_workshop, About};
use pt4c_domain::ports::{FollowUpEntry, FollowUpList, WorkshopStore};
use pt4c_domain::staff::StaffRole;

use crate::pages::{self, Who};
use crate::session::Staff;
use crate::{Console, Shared};

pub fn router() -> Router<Shared> {
    Router::new().route("/console/follow-ups", get(list))
}

pub struct Call {
    pub parent_id: String,
    pub name: String,
    pub phone: String,
    pub due_by: String,
    pub outcome: Option<String>,
}

/// The calls this member may see, as the pages show them.
pub async fn mine(c: &Console, staff: &Staff, entries: Vec<FollowUpEntry>) -> Result<Vec<Call>, ()> {
    let mut trainer_of: HashMap<String, bool> = HashMap::new();
    let mut calls = Vec::new();
    for e in entries {
        if staff.member.role != StaffRole::Coordinator {
            let key = e.workshop_id.to_string();
            let allowed = match trainer_of.get(&key) {
                Some(a) => *a,
                None => {
                    let w = c.deps.store.workshop(&e.workshop_id).await.map_err(|_| ())?;
                    let a = w.is_some_and(|w| may_see_workshop(&staff.member, &w));
                    trainer_of.insert(key, a);
                    a
                }
            };
            if !allowed {
                continue;
            }
        }
        calls.push(Call {
            parent_id: e.parent_id.to_string(),
            name: e.name,
            phone: e.phone.unwrap_or_else(|| "None given".into()),
            due_by: pages::when(e.due_by),
            outcome: e.outcome.map(|o| o.as_str().replace('_', " ")),
        });
    }
    Ok(calls)
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "follow_ups.html")]
struct Page {
    who: Option<Who>,
    status: &'static str,
    calls: Vec<Call>,
}

async fn list(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "follow_up.list", &[StaffRole::Coordinator, StaffRole::Trainer], About::default()).await {
        return r;
    }
    let (list, status) = match q.status.as_deref() {
        Some("overdue") => (FollowUpList::Overdue, "overdue"),
        Some("done") => (FollowUpList::Done, "done"),
        _ => (FollowUpList::Due, "due"),
    };
    let Ok(entries) = follow_ups::list(&c.deps.app, list).await else { return pages::unavailable() };
    let Ok(calls) = mine(&c, &staff, entries).await else { return pages::unavailable() };
    pages::render(StatusCode::OK, Page { who: Some(Who::of(&staff, "follow-ups")), status, calls }.render())
}
