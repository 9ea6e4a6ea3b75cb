//! The parent-facing pages. Every route carries a signed link; it is verified, in constant
//! time, before anything is read. Pages are GOV.UK Design System HTML; `Accept: application/json`
//! gets JSON.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::emails::long_date;
use pt4c_adapters::http::wants_json;
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_domain::events::{DomainEvent, LinkRequested, ParentActivated};
use pt4c_domain::link::{LinkError, Purpose};
use pt4c_domain::ports::{ParentRecord, ParentStore, PortError};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::{london, london_date, ParentId};
use serde::Serialize;

/// GOV.UK Frontend's stylesheet without the GDS Transport font (see build.rs).
static HUB_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/hub.css"));
/// Versioned so browsers may cache it for good.
pub const STYLESHEET: &str = "/assets/hub-5.14.0.css";

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

pub fn router(deps: Deps) -> Router {
    Router::new()
        .route("/hub/{token}", get(hub))
        .route("/hub/{token}/new-link", post(new_link))
        .route("/assets/{*file}", get(asset))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(deps)
}

/// Every answer: no framing, no referrer (links carry tokens), no sniffing, no caching of pages.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

async fn asset(Path(file): Path<String>) -> Response {
    if format!("/assets/{file}") == STYLESHEET {
        (
            [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
            HUB_CSS,
        )
            .into_response()
    } else {
        Problem::not_found("asset").into_response()
    }
}

/// What a parent's link led to, as a page or as JSON.
#[derive(Debug)]
pub enum Answer {
    Hub(HubView),
    NewLinkSent,
    Refused(Refusal),
}

#[derive(Debug)]
pub enum Refusal {
    InvalidLink,
    Expired { token: String },
    NotFound,
    TooManyLinks,
    Unavailable(PortError),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubView {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: jiff::civil::Date,
    pub elearning: ElearningProgress,
    pub workshop: Option<serde_json::Value>,
    pub booking_url: Option<String>,
    pub elearning_url: String,
    #[serde(skip)]
    pub first_name: String,
    #[serde(skip)]
    pub module_titles: Vec<(String, String)>,
}

impl From<PortError> for Refusal {
    fn from(e: PortError) -> Self {
        Refusal::Unavailable(e)
    }
}

fn verify(deps: &Deps, token: &str, purpose: Purpose) -> Result<ParentId, Refusal> {
    match deps.links()?.verify(token, purpose, deps.now()) {
        Ok(link) => Ok(link.parent),
        Err(LinkError::Invalid) => Err(Refusal::InvalidLink),
        Err(LinkError::Expired { .. }) => Err(Refusal::Expired { token: token.to_owned() }),
    }
}

/// GET /hub/{token}: the Parent Hub. The first visit with a valid link activates the account.
pub async fn open_hub(deps: &Deps, token: &str) -> Result<HubView, Refusal> {
    let parent_id = verify(deps, token, Purpose::Hub)?;
    let Some(mut parent) = deps.store.parent(&parent_id).await? else {
        return Err(Refusal::NotFound);
    };
    if parent.status == ParentStatus::Invited && !parent.closed() {
        let now = deps.now();
        let event = deps.event(DomainEvent::ParentActivated(ParentActivated { parent_id: parent_id.clone(), activated_at: now }));
        if deps.store.activate(&parent_id, now, &event).await? {
            tracing::info!(parent_id = %parent_id, "account activated");
            deps.publish_committed(&event).await;
            parent.status = ParentStatus::Activated;
            parent.activated_at = Some(now);
        }
    }
    hub_view(deps, parent)
}

fn hub_view(deps: &Deps, parent: ParentRecord) -> Result<HubView, Refusal> {
    let elearning = parent.elearning();
    let booking_url = if parent.elearning_completed_at.is_some() && !parent.closed() {
        Some(deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?.0)
    } else {
        None
    };
    let module_titles = deps.config.catalogue.modules.iter().map(|m| (m.module_id.clone(), m.title.clone())).collect();
    Ok(HubView {
        parent_id: parent.parent_id.clone(),
        status: parent.status,
        complete_by: parent.complete_by,
        elearning,
        workshop: None,
        booking_url,
        elearning_url: deps.config.elearning_url.clone(),
        first_name: parent.first_name.clone(),
        module_titles,
    })
}

/// POST /hub/{token}/new-link: a fresh link to the address on file. Expired links may ask.
pub async fn ask_new_link(deps: &Deps, token: &str) -> Result<(), Refusal> {
    let parent_id = match deps.links()?.verify_signature(token, Purpose::Hub) {
        Ok(link) => link.parent,
        Err(_) => return Err(Refusal::InvalidLink),
    };
    let Some(parent) = deps.store.parent(&parent_id).await? else {
        return Err(Refusal::NotFound);
    };
    if parent.closed() {
        // Nothing more is sent for a closed course; the answer does not say so.
        tracing::info!(parent_id = %parent_id, "new link asked for a closed course; nothing sent");
        return Ok(());
    }
    let now = deps.now();
    let event = deps.event(DomainEvent::LinkRequested(LinkRequested {
        parent_id: parent_id.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
        requested_at: now,
    }));
    if !deps.store.count_link_request(&parent_id, london_date(now), deps.config.new_links_per_day, &event).await? {
        tracing::info!(parent_id = %parent_id, "new-link limit reached for today");
        return Err(Refusal::TooManyLinks);
    }
    tracing::info!(parent_id = %parent_id, "new link requested");
    deps.publish_committed(&event).await;
    Ok(())
}

async fn hub(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let answer = match open_hub(&deps, &token).await {
        Ok(view) => Answer::Hub(view),
        Err(r) => Answer::Refused(r),
    };
    respond(wants_json(&headers), answer)
}

async fn new_link(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let answer = match ask_new_link(&deps, &token).await {
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

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    heading: &'a str,
    paragraphs: Vec<&'a str>,
    new_link_action: Option<String>,
}

fn london_time(t: jiff::Timestamp) -> String {
    t.to_zoned(london()).strftime("%-d %B %Y at %-I:%M%P").to_string()
}

fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            Problem::internal().into_response()
        }
    }
}

fn message(status: StatusCode, heading: &str, paragraphs: Vec<&str>, new_link_action: Option<String>) -> Response {
    page(status, MessagePage { heading, paragraphs, new_link_action }.render())
}

/// One place where every answer becomes a page or JSON.
pub fn respond(json: bool, answer: Answer) -> Response {
    match answer {
        Answer::Hub(view) if json => Json(view).into_response(),
        Answer::Hub(view) => {
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
        Answer::Refused(r) => refused(json, r),
    }
}

fn refused(json: bool, r: Refusal) -> Response {
    match r {
        Refusal::InvalidLink if json => Problem::new(StatusCode::FORBIDDEN, "invalid-link", "This link is not valid", "Use the latest link we emailed you.").into_response(),
        Refusal::InvalidLink => message(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            vec!["Check that you copied the whole link from your email, or use the latest email we sent you."],
            None,
        ),
        Refusal::Expired { .. } if json => {
            Problem::new(StatusCode::GONE, "link-expired", "This link has expired", "Ask for a new link with POST /hub/{token}/new-link.").into_response()
        }
        Refusal::Expired { token } => message(
            StatusCode::GONE,
            "This link has expired",
            vec![
                "Links to your Parent Hub only work for a limited time, to keep your information safe.",
                "We can email you a new link. We will send it to the email address the court gave us for you.",
            ],
            Some(format!("/hub/{token}/new-link")),
        ),
        Refusal::NotFound if json => Problem::not_found("parent").into_response(),
        Refusal::NotFound => message(StatusCode::NOT_FOUND, "We cannot find your details", vec!["Contact your Family Court Adviser."], None),
        Refusal::TooManyLinks => {
            let mut res = if json {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "Too many new links today", "Try again tomorrow.").into_response()
            } else {
                message(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have asked for too many new links today",
                    vec!["Check your email for the links we have already sent. You can ask for another link tomorrow."],
                    None,
                )
            };
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("86400"));
            res
        }
        Refusal::Unavailable(e) => pt4c_adapters::http::ApiError::Port(e).into_response(),
    }
}
