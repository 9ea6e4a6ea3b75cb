//! The Parent Hub's routes: the page a Hub link opens, setting up the account, a new link.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::emails::long_date;
use pt4c_adapters::http::wants_json;
use pt4c_adapters::Deps;
use pt4c_app::hub::{self, HubView};
use pt4c_app::links::LinkRefusal;
use pt4c_domain::progress::ParentStatus;

use crate::pages::{booked_place, link_refused, london_time, message, page};

pub(crate) fn router() -> Router<Deps> {
    Router::new()
        .route("/hub/{token}", get(open))
        .route("/hub/{token}/activate", post(activate))
        .route("/hub/{token}/new-link", post(new_link))
}

/// What a parent's Hub link led to, as a page or as JSON.
#[derive(Debug)]
enum Answer {
    /// The Hub, and the link it was opened with (its forms post back to it).
    Hub(Box<HubView>, String),
    NewLinkSent,
    Refused(LinkRefusal),
}

/// GET /hub/{token}: the Parent Hub. A GET changes nothing (mail scanners fetch links).
async fn open(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let answer = match hub::open(&deps.app, &token).await {
        Ok(view) => Answer::Hub(Box::new(view), token),
        Err(r) => Answer::Refused(r),
    };
    respond(wants_json(&headers), answer)
}

/// POST /hub/{token}/activate: the parent sets up their account.
async fn activate(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match hub::activate(&deps.app, &token).await {
        Ok(view) if wants_json(&headers) => Json(view).into_response(),
        // Post, redirect, get: a reload does not post again.
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/hub/{token}"))]).into_response(),
        Err(r) => respond(wants_json(&headers), Answer::Refused(r)),
    }
}

/// POST /hub/{token}/new-link: a fresh link to the address on file. Expired links may ask.
async fn new_link(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let answer = match hub::ask_new_link(&deps.app, &token).await {
        Ok(()) => Answer::NewLinkSent,
        Err(r) => Answer::Refused(r),
    };
    respond(wants_json(&headers), answer)
}

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage<'a> {
    first_name: &'a str,
    withdrawn: bool,
    /// Completed, not completed or withdrawn: the course is over for this parent.
    /// (workshop status, parenting plan status)
    finished: Option<(&'a str, &'a str)>,
    activate_action: Option<&'a str>,
    /// The parent's booked workshop: (when, where).
    booked: Option<(String, String)>,
    complete_by: String,
    elearning_url: &'a str,
    elearning_done: bool,
    elearning_status: String,
    booking_url: Option<&'a str>,
    modules: Vec<ModuleRow>,
}

struct ModuleRow {
    title: String,
    completed: Option<String>,
}

/// One place where every answer becomes a page or JSON.
fn respond(json: bool, answer: Answer) -> Response {
    match answer {
        Answer::Hub(view, _) if json => Json(view).into_response(),
        Answer::Hub(view, token) => {
            // While the account is not set up, the page offers the button that sets it up.
            let activate_action = view.awaiting_activation.then(|| format!("/hub/{token}/activate"));
            let done = view.elearning.completed_at.is_some();
            let count = view.elearning.modules.len();
            let total = view.module_titles.len();
            let modules = view
                .module_titles
                .iter()
                .map(|(id, title)| ModuleRow {
                    title: title.clone(),
                    completed: view.elearning.modules.iter().find(|m| &m.module_id == id).map(|m| london_time(m.completed_at)),
                })
                .collect();
            page(
                StatusCode::OK,
                HubPage {
                    first_name: &view.first_name,
                    withdrawn: view.status == ParentStatus::Withdrawn,
                    finished: match view.status {
                        ParentStatus::Completed => Some(("Completed", "You can start it now")),
                        ParentStatus::NotCompleted => Some(("Not completed", "Not available")),
                        ParentStatus::Withdrawn => Some(("Ended", "Not available")),
                        _ => None,
                    },
                    activate_action: activate_action.as_deref(),
                    booked: view
                        .workshop
                        .as_ref()
                        .filter(|_| view.status == ParentStatus::WorkshopBooked)
                        .map(|w| (pt4c_adapters::emails::when(w.starts_at, w.ends_at), booked_place(w.mode, &w.location))),
                    complete_by: long_date(view.complete_by),
                    elearning_url: &view.elearning_url,
                    elearning_done: done,
                    elearning_status: if count == 0 { "Not yet started".into() } else { format!("In progress: {count} of {total} done") },
                    booking_url: view.booking_url.as_deref(),
                    modules,
                }
                .render(),
            )
        }
        Answer::NewLinkSent if json => (StatusCode::ACCEPTED, Json(serde_json::json!({"status": "sent"}))).into_response(),
        Answer::NewLinkSent => message(
            StatusCode::ACCEPTED,
            "Check your email",
            vec!["We have sent a new link to the email address the court gave us for you.", "It may take a few minutes to arrive."],
            None,
        ),
        Answer::Refused(r) => link_refused(json, r),
    }
}
