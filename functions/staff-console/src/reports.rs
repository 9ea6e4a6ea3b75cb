//! Management information (coordinators only): a month's figures on a page, and months as CSV.
//! Both read the stored monthly summaries (one Query for the months shown, one GetItem for the
//! waiting list's length), never the course's own items. Every view and export is audited.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use pt4c_app::reporting;
use pt4c_app::staff::About;
use pt4c_domain::reporting::{csv, Month, MonthError, MonthReport, Rate};
use pt4c_domain::staff::{AuditOutcome, StaffRole};

use crate::pages::{self, Who};
use crate::session::Staff;
use crate::Shared;

/// Months offered in the pickers, counting back from this one.
const PICKER_MONTHS: usize = 24;
/// Months the page's download link covers, ending at the month shown.
const DOWNLOAD_MONTHS: usize = 12;

pub fn router() -> Router<Shared> {
    Router::new().route("/console/reports", get(page)).route("/console/reports.csv", get(export))
}

#[derive(serde::Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

#[derive(serde::Deserialize)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// (label, value, hint) of one row of a summary list.
type Line = (&'static str, String, &'static str);

#[derive(Template)]
#[template(path = "reports.html")]
struct Page {
    who: Option<Who>,
    month: String,
    label: String,
    previous: String,
    next: Option<String>,
    /// (value, label) of the months offered, newest first.
    choices: Vec<(String, String)>,
    sections: Vec<(&'static str, Vec<Line>)>,
    download_from: String,
}

fn days(v: Option<u32>) -> String {
    match v {
        Some(1) => "1 day".into(),
        Some(d) => format!("{d} days"),
        None => "None reached this stage".into(),
    }
}

fn rate(r: Option<Rate>, of: &str) -> String {
    match r {
        Some(r) => format!("{}% ({} of {} {of})", r.percent(), r.part, r.whole),
        None => "Not applicable".into(),
    }
}

fn sections(r: &MonthReport) -> Vec<(&'static str, Vec<Line>)> {
    let n = |v: i64| v.to_string();
    vec![
        (
            "Referrals",
            vec![
                ("Referrals received", n(r.referrals_received), ""),
                ("Referrals completed", n(r.referrals_completed), "every parent of the referral finished the course"),
                ("Referrals withdrawn", n(r.referrals_withdrawn), ""),
            ],
        ),
        (
            "Days from invitation",
            vec![
                ("To activation: median", days(r.activation_days.0), ""),
                ("To activation: 90th percentile", days(r.activation_days.1), ""),
                ("To e-learning complete: median", days(r.elearning_days.0), ""),
                ("To e-learning complete: 90th percentile", days(r.elearning_days.1), ""),
                ("To the workshop attended: median", days(r.workshop_days.0), ""),
                ("To the workshop attended: 90th percentile", days(r.workshop_days.1), ""),
                ("Parents activated", n(r.activated), ""),
                ("Parents who completed the e-learning", n(r.elearning_completed), ""),
            ],
        ),
        (
            "Workshops and outcomes",
            vec![
                ("Attended", n(r.attended), "at workshops that started this month"),
                ("Did not attend", n(r.missed), "at workshops that started this month"),
                ("Did-not-attend rate", rate(r.did_not_attend, "recorded"), ""),
                ("Parents completed", n(r.parents_completed), ""),
                ("Parents not completed", n(r.parents_not_completed), "the court was told"),
                ("Seat fill", rate(r.seat_fill, "seats"), "workshops starting this month, not cancelled"),
            ],
        ),
        (
            "Waiting list",
            vec![
                ("On the list at the end of the month", r.waiting_length.map(n).unwrap_or_else(|| "Not known".into()), ""),
                ("Joined", n(r.waiting_joined), ""),
                ("Left", n(r.waiting_left), ""),
                ("Left because they booked", n(r.waiting_booked), ""),
                ("Offers made", n(r.offers_made), ""),
                ("Offers accepted", n(r.offers_accepted), ""),
                ("Offers declined", n(r.offers_declined), ""),
                ("Offers expired", n(r.offers_expired), ""),
            ],
        ),
    ]
}

fn bad_request(who: Option<Who>, e: &MonthError) -> Response {
    let reason = e.to_string();
    pages::message(StatusCode::BAD_REQUEST, who, "Check the months", vec![reason.as_str()], Some(("/console/reports", "Back to reports")))
}

async fn page(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<MonthQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "report.view", &[StaffRole::Coordinator], About::default()).await {
        return r;
    }
    let who = Some(Who::of(&staff, "reports"));
    let this_month = Month::of(c.deps.now());
    let month = match q.month.as_deref().filter(|m| !m.is_empty()).map(str::parse::<Month>).transpose() {
        Ok(m) => m.unwrap_or(this_month),
        Err(e) => return bad_request(who, &e),
    };
    if let Err(r) = staff.audit(&c, "report.view", AuditOutcome::Done, About::default()).await {
        return r;
    }
    let report = match reporting::report(&c.deps.app, month, month).await {
        Ok(Ok(mut r)) if !r.is_empty() => r.remove(0),
        Ok(_) => return pages::unavailable(),
        Err(e) => {
            tracing::error!(error = %e, "report unreadable");
            return pages::unavailable();
        }
    };
    let mut choices: Vec<(String, String)> = (0..PICKER_MONTHS).map(|i| this_month.back(i)).map(|m| (m.to_string(), m.label())).collect();
    if !choices.iter().any(|(v, _)| *v == month.to_string()) {
        choices.push((month.to_string(), month.label()));
    }
    let page = Page {
        who,
        month: month.to_string(),
        label: month.label(),
        previous: month.previous().to_string(),
        next: (month < this_month).then(|| month.next().to_string()),
        choices,
        sections: sections(&report),
        download_from: month.back(DOWNLOAD_MONTHS - 1).to_string(),
    };
    pages::render(StatusCode::OK, page.render())
}

async fn export(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<RangeQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "report.export", &[StaffRole::Coordinator], About::default()).await {
        return r;
    }
    let this_month = Month::of(c.deps.now());
    let parse = |v: Option<&String>| v.filter(|m| !m.is_empty()).map(|m| m.parse::<Month>()).transpose();
    let (from, to) = match (parse(q.from.as_ref()), parse(q.to.as_ref())) {
        (Ok(from), Ok(to)) => {
            let to = to.unwrap_or(this_month);
            (from.unwrap_or_else(|| to.back(DOWNLOAD_MONTHS - 1)), to)
        }
        (Err(e), _) | (_, Err(e)) => return bad_request(Some(Who::of(&staff, "reports")), &e),
    };
    if let Err(r) = staff.audit(&c, "report.export", AuditOutcome::Done, About::default()).await {
        return r;
    }
    let rows = match reporting::report(&c.deps.app, from, to).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => return bad_request(Some(Who::of(&staff, "reports")), &e),
        Err(e) => {
            tracing::error!(error = %e, "report unreadable");
            return pages::unavailable();
        }
    };
    let disposition = format!("attachment; filename=\"pt4c-report-{from}-to-{to}.csv\"");
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], csv(&rows))
        .into_response()
}
