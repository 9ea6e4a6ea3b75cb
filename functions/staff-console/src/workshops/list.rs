//! The week's workshops: filtered by mode and by places left, sorted by start, trainer or places
//! (on the server: links, no script), a week at a time.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use jiff::{Timestamp, ToSpan};
use pt4c_app::staff::About;
use pt4c_domain::london;
use pt4c_domain::staff::StaffRole;
use pt4c_domain::workshop::{Mode, WorkshopStatus};

use super::{row, visible, Row, STAFF};
use crate::pages::{self, Who};
use crate::session::Staff;
use crate::Shared;

#[derive(serde::Deserialize)]
pub(super) struct WeekQuery {
    week: Option<String>,
    /// Filters: `online` or `in_person`; `free` = only workshops with places left.
    mode: Option<String>,
    free: Option<String>,
    /// `starts` (the default), `trainer` or `seats`: sorted on the server, so it works without script.
    sort: Option<String>,
}

/// The Monday (Europe/London) of the week a date falls in.
fn monday_of(d: jiff::civil::Date) -> jiff::civil::Date {
    d.checked_sub((d.weekday().to_monday_zero_offset() as i64).days()).unwrap_or(d)
}

fn week_bounds(monday: jiff::civil::Date) -> (Timestamp, Timestamp) {
    let start = monday.to_zoned(london()).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH);
    let end = monday.checked_add(7.days()).ok().and_then(|d| d.to_zoned(london()).ok()).map(|z| z.timestamp()).unwrap_or(start);
    (start, end)
}

#[derive(Template)]
#[template(path = "workshops.html")]
struct ListPage {
    who: Option<Who>,
    week: String,
    previous: String,
    next: String,
    rows: Vec<Row>,
    may_publish: bool,
    filters: Filters,
}

pub(super) async fn list(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<WeekQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.list", STAFF, About::default()).await {
        return r;
    }
    let today = c.deps.now().to_zoned(london()).date();
    let monday = monday_of(q.week.as_deref().and_then(|w| w.parse().ok()).unwrap_or(today));
    let (from, to) = week_bounds(monday);
    let mut workshops = match visible(&c, &staff, from, to).await {
        Ok(ws) => ws,
        Err(r) => return r,
    };
    let mode = q.mode.as_deref().filter(|m| matches!(*m, "online" | "in_person"));
    workshops.retain(|w| mode.is_none_or(|m| (m == "online") == (w.mode == Mode::Online)));
    let free = q.free.as_deref() == Some("yes");
    workshops.retain(|w| !free || (w.status == WorkshopStatus::Open && w.seats_left() > 0));
    let sort = match q.sort.as_deref() {
        Some("trainer") => "trainer",
        Some("seats") => "seats",
        _ => "starts",
    };
    match sort {
        "trainer" => workshops.sort_by(|a, b| (&a.trainer.name, a.starts_at).cmp(&(&b.trainer.name, b.starts_at))),
        "seats" => workshops.sort_by_key(|w| (std::cmp::Reverse(w.seats_left()), w.starts_at)),
        _ => workshops.sort_by_key(|w| w.starts_at),
    }
    let shift = |days: i64| monday.checked_add(days.days()).map(|d| d.to_string()).unwrap_or_default();
    let filters = Filters { week: monday.to_string(), mode: mode.unwrap_or("").to_owned(), free, sort };
    pages::render(
        StatusCode::OK,
        ListPage {
            who: Some(Who::of(&staff, "workshops")),
            week: pages::day(monday),
            previous: shift(-7),
            next: shift(7),
            rows: workshops.iter().map(row).collect(),
            may_publish: staff.member.role == StaffRole::Coordinator,
            filters,
        }
        .render(),
    )
}

/// The list's filters and sort, kept in every link so a week's page keeps them.
pub struct Filters {
    pub week: String,
    pub mode: String,
    pub free: bool,
    pub sort: &'static str,
}

impl Filters {
    /// The list's address with this sort (and the same week and filters).
    pub fn sorted_by(&self, sort: &str) -> String {
        format!("/console/workshops?week={}&mode={}&free={}&sort={sort}", self.week, self.mode, if self.free { "yes" } else { "" })
    }
    pub fn aria_sort(&self, column: &str) -> &'static str {
        match (self.sort == column, column) {
            (true, "seats") => "descending",
            (true, _) => "ascending",
            (false, _) => "none",
        }
    }
}
