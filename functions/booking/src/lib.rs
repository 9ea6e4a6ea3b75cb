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
use pt4c_adapters::http::{decode_json, unknown_keys};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_domain::events::{BookingCancelled, DomainEvent, LinkRequested, ParentActivated, WorkshopBooked};
use pt4c_domain::link::{LinkError, Purpose};
use pt4c_domain::ports::{BookingOutcome, WorkshopStore};
use pt4c_domain::ports::{ParentRecord, ParentStore, PortError};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::workshop::{Booking, BookingRefusal, Mode, WorkshopStatus};
use pt4c_domain::FieldError;
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
        .route("/hub/{token}/activate", post(activate))
        .route("/hub/{token}/new-link", post(new_link))
        .route("/book/{token}", get(booking_page).post(post_booking))
        .route("/book/{token}/cancel", get(cancel_page).post(post_cancel))
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
        ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], HUB_CSS)
            .into_response()
    } else {
        Problem::not_found("asset").into_response()
    }
}

/// What a parent's link led to, as a page or as JSON.
#[derive(Debug)]
pub enum Answer {
    Hub(Box<HubView>),
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
    pub workshop: Option<HubWorkshop>,
    pub booking_url: Option<String>,
    pub elearning_url: String,
    /// Where the set-up button posts, while the account is not set up.
    #[serde(skip)]
    pub activate_action: Option<String>,
    #[serde(skip)]
    pub first_name: String,
    #[serde(skip)]
    pub module_titles: Vec<(String, String)>,
}

/// The parent's own workshop, as their Hub shows it (the joining link is theirs to see).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubWorkshop {
    pub workshop_id: String,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub mode: Mode,
    pub location: String,
    pub attended: Option<bool>,
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

/// GET /hub/{token}: the Parent Hub. A GET changes nothing (mail scanners fetch links): before
/// the account is set up, the page offers the button that sets it up.
pub async fn open_hub(deps: &Deps, token: &str) -> Result<HubView, Refusal> {
    let parent_id = verify(deps, token, Purpose::Hub)?;
    let Some(parent) = deps.store.parent(&parent_id).await? else {
        return Err(Refusal::NotFound);
    };
    hub_view(deps, parent, token)
}

/// POST /hub/{token}/activate: the parent sets up their account (once; a repeat changes nothing).
pub async fn activate_hub(deps: &Deps, token: &str) -> Result<HubView, Refusal> {
    let parent_id = verify(deps, token, Purpose::Hub)?;
    let Some(mut parent) = deps.store.parent(&parent_id).await? else {
        return Err(Refusal::NotFound);
    };
    if parent.status == ParentStatus::Invited && !parent.closed() {
        let now = deps.now();
        let event = deps.event(DomainEvent::ParentActivated(ParentActivated { parent_id: parent_id.clone(), activated_at: now }));
        let mut after = parent.clone();
        after.status = ParentStatus::Activated;
        let due = after.due_after_change(now, &deps.config.timings);
        if deps.store.activate(&parent_id, now, due, &event).await? {
            tracing::info!(parent_id = %parent_id, "account activated");
            deps.publish_committed(&event).await;
            parent.status = ParentStatus::Activated;
            parent.activated_at = Some(now);
        } else if let Some(fresh) = deps.store.parent(&parent_id).await? {
            parent = fresh;
        }
    }
    hub_view(deps, parent, token)
}

fn hub_view(deps: &Deps, parent: ParentRecord, token: &str) -> Result<HubView, Refusal> {
    let elearning = parent.elearning();
    let booking_url = if parent.elearning_completed_at.is_some() && !parent.closed() {
        Some(deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?.0)
    } else {
        None
    };
    let workshop = parent.booking.as_ref().or(parent.last_workshop.as_ref()).map(|b| HubWorkshop {
        workshop_id: b.workshop_id.clone(),
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        mode: b.mode,
        location: b.location.clone(),
        attended: parent.attended,
    });
    let activate_action = (parent.status == ParentStatus::Invited && !parent.closed()).then(|| format!("/hub/{token}/activate"));
    let module_titles = deps.config.catalogue.modules.iter().map(|m| (m.module_id.clone(), m.title.clone())).collect();
    Ok(HubView {
        parent_id: parent.parent_id.clone(),
        status: parent.status,
        complete_by: parent.complete_by,
        elearning,
        workshop,
        booking_url,
        elearning_url: deps.config.elearning_url.clone(),
        activate_action,
        first_name: parent.first_name.clone(),
        module_titles,
    })
}

/// POST /hub/{token}/new-link: a fresh link to the address on file. Expired links may ask.
pub async fn ask_new_link(deps: &Deps, token: &str) -> Result<(), Refusal> {
    // Any of the parent's own links may ask (an expired booking or cancel link offers the same
    // button); the fresh link is the Hub's, which leads everywhere else.
    let links = deps.links()?;
    let Some(parent_id) =
        [Purpose::Hub, Purpose::Booking, Purpose::Cancel].into_iter().find_map(|p| links.verify_signature(token, p).ok().map(|l| l.parent))
    else {
        return Err(Refusal::InvalidLink);
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
        Ok(view) => Answer::Hub(Box::new(view)),
        Err(r) => Answer::Refused(r),
    };
    respond(wants_json(&headers), answer)
}

async fn activate(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match activate_hub(&deps, &token).await {
        Ok(view) if wants_json(&headers) => Json(view).into_response(),
        // Post, redirect, get: a reload does not post again.
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/hub/{token}"))]).into_response(),
        Err(r) => respond(wants_json(&headers), Answer::Refused(r)),
    }
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

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    heading: &'a str,
    paragraphs: Vec<&'a str>,
    /// (action, button label)
    form: Option<(String, String)>,
    /// (label, url)
    link: Option<(String, String)>,
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
    let form = new_link_action.map(|a| (a, "Email me a new link".to_owned()));
    page(status, MessagePage { heading, paragraphs, form, link: None }.render())
}

fn message_with(
    status: StatusCode,
    heading: &str,
    paragraphs: Vec<&str>,
    form: Option<(String, String)>,
    link: Option<(String, String)>,
) -> Response {
    page(status, MessagePage { heading, paragraphs, form, link }.render())
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
                    finished: match view.status {
                        ParentStatus::Completed => Some(("Completed", "You can start it now")),
                        ParentStatus::NotCompleted => Some(("Not completed", "Not available")),
                        ParentStatus::Withdrawn => Some(("Ended", "Not available")),
                        _ => None,
                    },
                    activate_action: view.activate_action.as_deref(),
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
        Answer::Refused(r) => refused(json, r),
    }
}

fn refused(json: bool, r: Refusal) -> Response {
    match r {
        Refusal::InvalidLink if json => {
            Problem::new(StatusCode::FORBIDDEN, "invalid-link", "This link is not valid", "Use the latest link we emailed you.")
                .into_response()
        }
        Refusal::InvalidLink => message(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            vec!["Check that you copied the whole link from your email, or use the latest email we sent you."],
            None,
        ),
        Refusal::Expired { .. } if json => {
            Problem::new(StatusCode::GONE, "link-expired", "This link has expired", "Ask for a new link with POST /hub/{token}/new-link.")
                .into_response()
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
        Refusal::NotFound => {
            message(StatusCode::NOT_FOUND, "We cannot find your details", vec!["Contact your Family Court Adviser."], None)
        }
        Refusal::TooManyLinks => {
            let mut res = if json {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "Too many new links today", "Try again tomorrow.")
                    .into_response()
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
        Refusal::Unavailable(e) if json => pt4c_adapters::http::ApiError::Port(e).into_response(),
        Refusal::Unavailable(e) => {
            // A person gets a page, never problem details; the cause is logged, never shown.
            let status = match &e {
                PortError::Retryable(m) => {
                    tracing::warn!(error = %m, "a dependency is unavailable");
                    StatusCode::SERVICE_UNAVAILABLE
                }
                PortError::Permanent(m) => {
                    tracing::error!(error = %m, "request failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let mut res = message(
                status,
                "Sorry, there is a problem with the service",
                vec!["Nothing has been changed. Please go back and try again in a few minutes."],
                None,
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            res
        }
    }
}

// ---------------------------------------------------------------- workshop booking

/// What a booking link shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingView {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: jiff::civil::Date,
    pub booking: Option<Booking>,
    pub workshops: Vec<OfferedWorkshop>,
    #[serde(skip)]
    pub first_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedWorkshop {
    pub workshop_id: String,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub mode: Mode,
    /// The address of an in-person workshop; an online one's joining link goes only to parents booked on it.
    pub location: Option<String>,
    pub language: String,
    pub seats_left: u32,
}

#[derive(Debug)]
pub enum BookRefusal {
    Link(Refusal),
    Rule(BookingRefusal),
    NoWorkshop,
    Invalid(Vec<FieldError>),
    /// The body is not what the route takes (415, 400): answered as problem details, or a page to a form.
    Body(Problem),
    /// A cancel link for a booking the parent no longer holds.
    StaleCancelLink,
}

impl From<PortError> for BookRefusal {
    fn from(e: PortError) -> Self {
        BookRefusal::Link(Refusal::Unavailable(e))
    }
}
impl From<Refusal> for BookRefusal {
    fn from(r: Refusal) -> Self {
        BookRefusal::Link(r)
    }
}

async fn booking_parent(deps: &Deps, token: &str, purposes: &[Purpose]) -> Result<ParentRecord, BookRefusal> {
    let mut last = Refusal::InvalidLink;
    for purpose in purposes {
        match verify(deps, token, *purpose) {
            Ok(id) => return deps.store.parent(&id).await?.ok_or(BookRefusal::Link(Refusal::NotFound)),
            Err(Refusal::InvalidLink) => continue,
            Err(other) => last = other,
        }
    }
    Err(BookRefusal::Link(last))
}

/// GET /book/{token}: the workshops this parent may book, soonest first.
pub async fn offer(deps: &Deps, token: &str) -> Result<BookingView, BookRefusal> {
    let parent = booking_parent(deps, token, &[Purpose::Booking]).await?;
    let now = deps.now();
    let workshops = if parent.booking.is_none() && parent.elearning_completed_at.is_some() && !parent.closed() {
        deps.store
            .workshops(now, now + jiff::SignedDuration::from_hours(24 * 366))
            .await?
            .into_iter()
            // Never the workshop a co-parent is booked on (the booking's condition refuses it anyway).
            .filter(|w| w.bookable(now) && w.mode.suits(parent.workshop_mode) && !w.has_case(&parent.case_number))
            .map(|w| OfferedWorkshop {
                seats_left: w.seats_left(),
                location: (w.mode == Mode::InPerson).then_some(w.location),
                workshop_id: w.workshop_id,
                starts_at: w.starts_at,
                ends_at: w.ends_at,
                mode: w.mode,
                language: w.language,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(BookingView {
        parent_id: parent.parent_id.clone(),
        status: parent.status,
        complete_by: parent.complete_by,
        booking: parent.booking.clone(),
        workshops,
        first_name: parent.first_name,
    })
}

/// POST /book/{token}: takes a seat for the parent the link is for. Returns the booking and whether it is new.
pub async fn book(deps: &Deps, parent: &ParentRecord, workshop_id: &str) -> Result<(Booking, bool), BookRefusal> {
    if parent.closed() {
        return Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable));
    }
    if parent.elearning_completed_at.is_none() {
        return Err(BookRefusal::Rule(BookingRefusal::ElearningIncomplete));
    }
    match &parent.booking {
        Some(b) if b.workshop_id == workshop_id => return Ok((b.clone(), false)),
        Some(_) => return Err(BookRefusal::Rule(BookingRefusal::AlreadyBooked)),
        None => {}
    }
    let Some(workshop) = deps.store.workshop(workshop_id).await? else { return Err(BookRefusal::NoWorkshop) };
    let now = deps.now();
    if !workshop.mode.suits(parent.workshop_mode) || workshop.status != WorkshopStatus::Open || workshop.starts_at <= now {
        return Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable));
    }
    let event = deps.event(DomainEvent::WorkshopBooked(WorkshopBooked {
        parent_id: parent.parent_id.clone(),
        workshop_id: workshop_id.to_owned(),
        booked_at: now,
    }));
    let mut after = parent.clone();
    after.status = ParentStatus::WorkshopBooked;
    after.booking = Some(pt4c_domain::workshop::Booking {
        workshop_id: workshop.workshop_id.clone(),
        starts_at: workshop.starts_at,
        ends_at: workshop.ends_at,
        mode: workshop.mode,
        location: workshop.location.clone(),
        booked_at: now,
    });
    let due = after.due_after_change(now, &deps.config.timings);
    match deps.store.book(parent, &workshop, now, due, &event).await? {
        BookingOutcome::Booked(b) => {
            tracing::info!(parent_id = %parent.parent_id, workshop_id, "workshop booked");
            deps.publish_committed(&event).await;
            Ok((b, true))
        }
        BookingOutcome::AlreadyHeld(b) => Ok((b, false)),
        BookingOutcome::Refused(r) => {
            tracing::info!(parent_id = %parent.parent_id, workshop_id, refusal = r.code(), "booking refused");
            // A parent is never told which workshop their co-parent is on: to them it is just unavailable.
            let r = if r == BookingRefusal::CoParentBooked { BookingRefusal::WorkshopUnavailable } else { r };
            Err(BookRefusal::Rule(r))
        }
    }
}

/// POST /book/{token}/cancel: frees the seat. A cancel link acts only on the booking it was sent
/// for; the booking page's own form acts on the booking it shows.
pub async fn cancel(deps: &Deps, token: &str) -> Result<ParentRecord, BookRefusal> {
    let (parent, bound_to) = cancelling_parent(deps, token).await?;
    let Some(booking) = parent.booking.clone() else { return Err(BookRefusal::Rule(BookingRefusal::NotBooked)) };
    if !link_fits(&bound_to, &booking) {
        return Err(BookRefusal::StaleCancelLink);
    }
    let now = deps.now();
    if booking.starts_at <= now {
        return Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable));
    }
    let event = deps.event(DomainEvent::BookingCancelled(BookingCancelled {
        parent_id: parent.parent_id.clone(),
        workshop_id: booking.workshop_id.clone(),
        cancelled_at: now,
    }));
    let due = parent.released().due_after_change(now, &deps.config.timings);
    if deps.store.release(&parent, &booking.workshop_id, Some(now), Some(&event), true, due).await? {
        tracing::info!(parent_id = %parent.parent_id, workshop_id = %booking.workshop_id, "booking cancelled");
        deps.publish_committed(&event).await;
        Ok(parent)
    } else {
        // Cancelled or started meanwhile.
        match deps.store.parent(&parent.parent_id).await?.and_then(|p| p.booking) {
            None => Err(BookRefusal::Rule(BookingRefusal::NotBooked)),
            Some(_) => Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable)),
        }
    }
}

/// The parent a cancel (or booking) link is for, and the booking a cancel link names.
async fn cancelling_parent(deps: &Deps, token: &str) -> Result<(ParentRecord, Option<Option<String>>), BookRefusal> {
    let links = deps.links()?;
    let now = deps.now();
    let mut last = Refusal::InvalidLink;
    for purpose in [Purpose::Cancel, Purpose::Booking] {
        match links.verify(token, purpose, now) {
            Ok(link) => {
                let parent = deps.store.parent(&link.parent).await?.ok_or(BookRefusal::Link(Refusal::NotFound))?;
                // A booking link is the parent's own page: no binding. A cancel link always has one
                // (`Some(None)`: one sent before bindings, which names no booking).
                let bound = (purpose == Purpose::Cancel).then_some(link.bound_to);
                return Ok((parent, bound));
            }
            Err(LinkError::Invalid) => continue,
            Err(LinkError::Expired { .. }) => last = Refusal::Expired { token: token.to_owned() },
        }
    }
    Err(BookRefusal::Link(last))
}

fn link_fits(bound_to: &Option<Option<String>>, booking: &Booking) -> bool {
    match bound_to {
        None => true,
        Some(key) => key.as_deref() == Some(pt4c_adapters::deps::booking_key(&booking.workshop_id, booking.booked_at).as_str()),
    }
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage<'a> {
    first_name: &'a str,
    complete_by: String,
    booked: Option<BookedRow>,
    workshops: Vec<WorkshopRow>,
    book_action: String,
    cancel_action: String,
}

struct BookedRow {
    when: String,
    place: String,
}

struct WorkshopRow {
    id: String,
    when: String,
    detail: String,
}

fn place(mode: Mode, location: Option<&str>) -> String {
    match (mode, location) {
        (Mode::InPerson, Some(address)) => format!("In person, at {address}."),
        (Mode::InPerson, None) => "In person.".to_owned(),
        (Mode::Online, _) => "Online. We will email you the joining link.".to_owned(),
    }
}

fn booked_place(mode: Mode, location: &str) -> String {
    match mode {
        Mode::Online => format!("Online: {location}"),
        Mode::InPerson => format!("In person, at {location}"),
    }
}

fn book_refused(json: bool, token: &str, r: BookRefusal) -> Response {
    match r {
        BookRefusal::Link(l) => refused(json, l),
        BookRefusal::Invalid(errors) => {
            if json {
                Problem::validation(errors).into_response()
            } else {
                message_with(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Choose a workshop",
                    vec!["Select the workshop you want to book."],
                    None,
                    Some(("Back to the workshops".into(), format!("/book/{token}"))),
                )
            }
        }
        BookRefusal::Body(p) if json => p.into_response(),
        BookRefusal::Body(p) => message_with(
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            "Choose a workshop",
            vec!["Select the workshop you want to book."],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
        BookRefusal::StaleCancelLink if json => Problem::conflict(
            "not-booked",
            "This link is for an earlier booking",
            "The booking this link was sent for is no longer held; your current booking is unchanged.",
        )
        .into_response(),
        BookRefusal::StaleCancelLink => message_with(
            StatusCode::CONFLICT,
            "This link is for an earlier booking",
            vec![
                "The booking this cancel link was sent for has already been cancelled or changed.",
                "Your current booking has not been cancelled. To cancel it, use the link in the email that confirmed it.",
            ],
            None,
            None,
        ),
        BookRefusal::NoWorkshop if json => Problem::not_found("workshop").into_response(),
        BookRefusal::NoWorkshop => message_with(
            StatusCode::NOT_FOUND,
            "We cannot find that workshop",
            vec!["Choose another workshop."],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
        BookRefusal::Rule(rule) if json => Problem::conflict(rule.code(), "The booking cannot be made", rule.explanation()).into_response(),
        BookRefusal::Rule(rule) => message_with(
            StatusCode::CONFLICT,
            "The booking could not be made",
            vec![rule.explanation()],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
    }
}

async fn booking_page(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = wants_json(&headers);
    match offer(&deps, &token).await {
        Ok(view) if json => Json(view).into_response(),
        Ok(view)
            if view.booking.is_none() && view.status != ParentStatus::ElearningCompleted && view.status != ParentStatus::DidNotAttend =>
        {
            message_with(
                StatusCode::OK,
                "You cannot book a workshop yet",
                vec![if view.status == ParentStatus::Withdrawn {
                    "Your place on the course has ended."
                } else {
                    "You can book a workshop once you have finished the e-learning."
                }],
                None,
                None,
            )
        }
        Ok(view) => {
            let rows = view
                .workshops
                .iter()
                .map(|w| WorkshopRow {
                    id: w.workshop_id.clone(),
                    when: pt4c_adapters::emails::when(w.starts_at, w.ends_at),
                    detail: format!(
                        "{} {} {} left.",
                        place(w.mode, w.location.as_deref()),
                        w.seats_left,
                        if w.seats_left == 1 { "place" } else { "places" }
                    ),
                })
                .collect();
            page(
                StatusCode::OK,
                BookPage {
                    first_name: &view.first_name,
                    complete_by: long_date(view.complete_by),
                    booked: view.booking.as_ref().map(|b| BookedRow {
                        when: pt4c_adapters::emails::when(b.starts_at, b.ends_at),
                        place: booked_place(b.mode, &b.location),
                    }),
                    workshops: rows,
                    book_action: format!("/book/{token}"),
                    cancel_action: format!("/book/{token}/cancel"),
                }
                .render(),
            )
        }
        Err(r) => book_refused(json, &token, r),
    }
}

/// The workshop chosen: JSON `{"workshopId"}` or the form field `workshopId`.
fn chosen_workshop(headers: &HeaderMap, body: &[u8]) -> Result<String, BookRefusal> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let missing = || BookRefusal::Invalid(vec![FieldError::new("workshopId", "is required")]);
    let workshop_id = |w: &str| -> Result<String, FieldError> {
        // Workshop ids are UUIDs we issue: anything else is a bad field, not an unknown workshop.
        uuid::Uuid::parse_str(w).map(|_| w.to_owned()).map_err(|_| FieldError::new("workshopId", "must be a workshop id"))
    };
    if content_type.starts_with("application/x-www-form-urlencoded") {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Form {
            workshop_id: Option<String>,
        }
        let form: Form = serde_urlencoded_form(body).ok_or_else(missing)?;
        let w = form.workshop_id.filter(|w| !w.is_empty()).ok_or_else(missing)?;
        return workshop_id(&w).map_err(|e| BookRefusal::Invalid(vec![e]));
    }
    let value = decode_json(headers, body).map_err(BookRefusal::Body)?;
    let mut errors = unknown_keys(&value, &["workshopId"]);
    match value.get("workshopId") {
        Some(serde_json::Value::String(w)) if !w.is_empty() => match workshop_id(w) {
            Ok(w) if errors.is_empty() => return Ok(w),
            Ok(_) => {}
            Err(e) => errors.push(e),
        },
        Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
            errors.push(FieldError::new("workshopId", "is required"))
        }
        Some(_) => {
            return Err(BookRefusal::Body(Problem::invalid_json(
                "The field workshopId has the wrong JSON type.",
                vec![FieldError::new("workshopId", "has the wrong JSON type")],
            )))
        }
    }
    Err(BookRefusal::Invalid(errors))
}

fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_urlencoded::from_bytes(body).ok()
}

async fn post_booking(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap, body: axum::body::Body) -> Response {
    let json = wants_json(&headers) || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    // The link first (403, 410), then the body (413, 415, 400, 422), as api.md orders them.
    let parent = match booking_parent(&deps, &token, &[Purpose::Booking]).await {
        Ok(p) => p,
        Err(r) => return book_refused(json, &token, r),
    };
    let body = match pt4c_adapters::http::read_body(body).await {
        Ok(b) => b,
        Err(p) => return book_refused(json, &token, BookRefusal::Body(p)),
    };
    let workshop_id = match chosen_workshop(&headers, &body) {
        Ok(w) => w,
        Err(r) => return book_refused(json, &token, r),
    };
    match book(&deps, &parent, &workshop_id).await {
        Ok((booking, fresh)) if json => {
            let cancel_url = match deps.cancel_link(&parent.parent_id, &booking.workshop_id, booking.booked_at, parent.complete_by) {
                Ok(u) => u,
                Err(e) => return book_refused(json, &token, BookRefusal::Link(Refusal::Unavailable(e))),
            };
            let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(serde_json::json!({"booking": booking, "cancelUrl": cancel_url}))).into_response()
        }
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/book/{token}"))]).into_response(),
        Err(r) => book_refused(json, &token, r),
    }
}

async fn cancel_page(State(deps): State<Deps>, Path(token): Path<String>) -> Response {
    match cancelling_parent(&deps, &token).await {
        Ok((parent, bound)) => match parent.booking {
            Some(b) if !link_fits(&bound, &b) => book_refused(false, &token, BookRefusal::StaleCancelLink),
            Some(b) => message_with(
                StatusCode::OK,
                "Cancel your workshop booking",
                vec![
                    &format!("You are booked on: {}.", pt4c_adapters::emails::when(b.starts_at, b.ends_at)),
                    "If you cancel, you will need to book another workshop.",
                ],
                Some((format!("/book/{token}/cancel"), "Cancel this booking".into())),
                None,
            ),
            None => message(StatusCode::OK, "You have no workshop booked", vec!["There is nothing to cancel."], None),
        },
        Err(r) => book_refused(false, &token, r),
    }
}

async fn post_cancel(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = wants_json(&headers) || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    match cancel(&deps, &token).await {
        Ok(_) if json => Json(serde_json::json!({"status": "cancelled"})).into_response(),
        Ok(parent) => {
            let again = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by).map(|(u, _)| u).ok();
            message_with(
                StatusCode::OK,
                "Your booking is cancelled",
                vec!["Your place has been given back. Please book another workshop."],
                None,
                again.map(|u| ("Book another workshop".to_owned(), u)),
            )
        }
        Err(r) => book_refused(json, &token, r),
    }
}
