//! The dashboard: this week's workshops with their seats, and the follow-up calls due and
//! overdue (a trainer sees their own). An adviser starts from finding their case. Coordinators
//! also see the capacity forecast's banner (from its one stored item) and the interpreters and
//! adjustments still to arrange (flagged first, then soonest workshop first).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use jiff::SignedDuration;
use pt4c_app::staff::About;
use pt4c_app::{arrangements, follow_ups, forecast};
use pt4c_domain::london;
use pt4c_domain::ports::{FollowUpList, StaffStore};
use pt4c_domain::staff::{Attention, StaffRole};

use crate::arrangements::TaskRow;
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
    /// (heading, parents) for coordinators: whose course needs a push, closest court dates first.
    attention: Vec<(&'static str, Vec<Waiting>)>,
    csrf: String,
    /// Open arrangement tasks (coordinators), and what `tasks.html` needs to list them.
    tasks: Vec<TaskRow>,
    back: &'static str,
    show_parent: bool,
    /// The capacity forecast's shortfall, when the latest forecast has one.
    forecast: Option<Banner>,
    /// Parents whose address failed (coordinators): correct it from their page.
    unreachable: Vec<Unreachable>,
    notice: Option<&'static str>,
}

/// A parent the coordinators cannot email, with who else knows them.
pub struct Unreachable {
    pub parent_id: String,
    pub name: String,
    pub email: String,
    pub adviser: String,
    pub why: String,
}

/// Unreachable parents the dashboard lists at most.
const UNREACHABLE_LIMIT: usize = 100;

/// The forecast's banner: which workshops to add, and when it was computed.
pub struct Banner {
    pub lines: Vec<String>,
    pub computed: String,
}

fn banner(f: &pt4c_domain::forecast::Forecast) -> Option<Banner> {
    f.alert().then(|| Banner {
        lines: f
            .to_add
            .iter()
            .map(|a| {
                format!(
                    "Add {} workshop{} {}, starting before {}: {} parent{} without a seat before their court date",
                    a.workshops,
                    if a.workshops == 1 { "" } else { "s" },
                    a.kind.describe(),
                    pages::day(a.add_by),
                    a.parents,
                    if a.parents == 1 { " is" } else { "s are" }
                )
            })
            .collect(),
        computed: pages::when(f.computed_at),
    })
}

/// Open tasks the dashboard lists at most (the rest are on the parents' pages).
const TASK_LIMIT: usize = 100;

#[derive(serde::Deserialize)]
pub struct DashboardQuery {
    done: Option<String>,
}

pub struct Waiting {
    pub parent_id: String,
    pub name: String,
    pub complete_by: String,
    pub days_left: i64,
}

/// How many parents the dashboard lists under "needs attention" (a longer list is a report).
const ATTENTION_LIMIT: usize = 100;

/// Parents with something due in the next 8 days (a weekly reminder is the longest wait) who are
/// stuck or waiting, by why.
async fn needing_attention(c: &crate::Console) -> Result<Vec<(&'static str, Vec<Waiting>)>, ()> {
    let now = c.deps.now();
    let due = c.deps.store.parents_due(now + SignedDuration::from_hours(24 * 8), ATTENTION_LIMIT).await.map_err(|_| ())?;
    let today = now.to_zoned(london()).date();
    let mut groups: Vec<(&'static str, Attention, Vec<Waiting>)> = vec![
        ("Waiting to book a workshop", Attention::WaitingToBook, vec![]),
        ("Parent Hub link never used", Attention::LinkNeverUsed, vec![]),
        ("E-learning not finished", Attention::ElearningStalled, vec![]),
    ];
    let mut sorted = due;
    sorted.sort_by_key(|p| p.complete_by);
    for p in sorted {
        let why = p.attention(now, c.deps.timings().activation_link);
        if let Some((_, _, list)) = groups.iter_mut().find(|(_, a, _)| *a == why) {
            list.push(Waiting {
                parent_id: p.parent_id.to_string(),
                name: p.name.clone(),
                complete_by: pages::day(p.complete_by),
                days_left: (p.complete_by - today).get_days() as i64,
            });
        }
    }
    Ok(groups.into_iter().filter(|(_, _, l)| !l.is_empty()).map(|(h, _, l)| (h, l)).collect())
}

async fn dashboard(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<DashboardQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "dashboard.view", &StaffRole::ALL, About::default()).await {
        return r;
    }
    let who = Some(Who::of(&staff, "dashboard"));
    if staff.member.role == StaffRole::Cafcass {
        let page = Page {
            who,
            is_cafcass: true,
            workshops: vec![],
            due: vec![],
            overdue: vec![],
            attention: vec![],
            csrf: staff.csrf.clone(),
            tasks: vec![],
            back: "dashboard",
            show_parent: true,
            forecast: None,
            unreachable: vec![],
            notice: None,
        };
        return pages::render(StatusCode::OK, page.render());
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
    let is_coordinator = staff.member.role == StaffRole::Coordinator;
    let attention = if is_coordinator {
        match needing_attention(&c).await {
            Ok(a) => a,
            Err(()) => return pages::unavailable(),
        }
    } else {
        vec![]
    };
    let (tasks, forecast) = if is_coordinator {
        match (arrangements::open(&c.deps.app, TASK_LIMIT).await, forecast::latest(&c.deps.app).await) {
            (Ok(tasks), Ok(f)) => {
                (tasks.iter().map(|t| crate::arrangements::row(t, now, c.deps.timings())).collect(), f.as_ref().and_then(banner))
            }
            _ => return pages::unavailable(),
        }
    } else {
        (vec![], None)
    };
    let unreachable = if is_coordinator {
        match pt4c_app::delivery::unreachable(&c.deps.app, UNREACHABLE_LIMIT).await {
            Ok(list) => list
                .into_iter()
                .map(|u| Unreachable {
                    parent_id: u.parent_id.to_string(),
                    name: u.name,
                    email: u.email,
                    adviser: u.adviser,
                    why: crate::parents::describe_unreachable(&u.unreachable),
                })
                .collect(),
            Err(_) => return pages::unavailable(),
        }
    } else {
        vec![]
    };
    let notice = (q.done.as_deref() == Some("task.done")).then_some("Marked as arranged.");
    let page = Page {
        who,
        is_cafcass: false,
        workshops,
        due,
        overdue,
        attention,
        csrf: staff.csrf.clone(),
        tasks,
        back: "dashboard",
        show_parent: true,
        forecast,
        unreachable,
        notice,
    };
    pages::render(StatusCode::OK, page.render())
}
