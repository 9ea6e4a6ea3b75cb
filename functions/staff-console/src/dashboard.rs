//! The dashboard: this week's workshops with their seats, and the follow-up calls due and
//! overdue (a trainer sees their own). An adviser starts from finding their case.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use jiff::SignedDuration;
use pt4c_app::follow_ups;
use pt4c_app::staff::About;
use pt4c_domain::ports::FollowUpList;
use pt4c_domain::staff::StaffRole;

use crate::follow_ups::{mine, Call};
use crate::pages::{self, Who};
use crate::session::Staff;
use crate::workshops::{row, visible, Row};
use crate::Shared;

pub fn router() -> Router<Shared> {
    Router::new().route("/console/", get(dashboard)).route("/console", get(dashboard))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    who: Option<Who>,
    is_cafcass: bool,
    workshops: Vec<Row>,
    due: Vec<Call>,
    overdue: Vec<Call>,
}

async fn dashboard(State(c): State<Shared>, Extension(staff): Extension<Staff>) -> Response {
    if let Err(r) = staff.allow(&c, "dashboard.view", &StaffRole::ALL, About::default()).await {
        return r;
    }
    let who = Some(Who::of(&staff, "dashboard"));
    if staff.member.role == StaffRole::Cafcass {
        return pages::render(StatusCode::OK, Page { who, is_cafcass: true, workshops: vec![], due: vec![], overdue: vec![] }.render());
    }
    let now = c.deps.now();
    let workshops = match visible(&c, &staff, now - SignedDuration::from_hours(12), now + SignedDuration::from_hours(24 * 7)).await {
        Ok(ws) => ws.iter().map(row).collect(),
        Err(r) => return r,
    };
    let (Ok(due), Ok(overdue)) =
        (follow_ups::list(&c.deps.app, FollowUpList::Due).await, follow_ups::list(&c.deps.app, FollowUpList::Overdue).await)
    else {
        return pages::unavailable();
    };
    let (due, overdue) = match (mine(&c, &staff, due).await, mine(&c, &staff, overdue).await) {
        (Ok(d), Ok(o)) => (d, o),
        _ => return pages::unavailable(),
    };
    pages::render(StatusCode::OK, Page { who, is_cafcass: false, workshops, due, overdue }.render())
}
