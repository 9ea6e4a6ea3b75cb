//! The waiting list and held offers (rules.md, "Waiting list"): joining and leaving the list
//! from the booking page, and the offer email's accept and decline pages. Each answer is mapped
//! from the use case's outcome here, in one place (`refused`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, unknown_keys, wants_json};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::booking::BookingView;
use pt4c_app::waiting::{self, Answer, AnswerRefusal, Answered, WaitingError};
use pt4c_domain::offering::{TimeSlot, WaitingPlace};
use pt4c_domain::parent::{OfferRefusal, WaitingRefusal};
use pt4c_domain::FieldError;

use crate::pages::{link_refused, london_time, message_with, page};

pub(crate) fn router() -> Router<Deps> {
    Router::new()
        .route("/book/{token}/waiting-list", post(join).delete(leave))
        .route("/book/{token}/waiting-list/leave", post(leave))
        .route("/offer/{token}/accept", get(accept_page).post(accept))
        .route("/offer/{token}/decline", get(decline_page).post(decline))
}

/// The booking page's waiting-list section (templates/waiting.html, included by book.html).
pub struct WaitingSection {
    /// The parent may join: not booked, not on the list.
    pub may_join: bool,
    pub join_action: String,
    pub leave_action: String,
    /// (joined, the times that suit them, as words) when on the list.
    pub on_list: Option<(String, String)>,
    /// A seat held: (when it is, held until, accept page, decline page).
    pub held: Option<(String, String, String, String)>,
    pub slots: Vec<(&'static str, &'static str)>,
}

impl WaitingSection {
    pub fn of(view: &BookingView, token: &str) -> Self {
        Self {
            may_join: view.booking.is_none() && view.waiting_list.is_none(),
            join_action: format!("/book/{token}/waiting-list"),
            leave_action: format!("/book/{token}/waiting-list/leave"),
            on_list: view.waiting_list.as_ref().map(|w| (london_time(w.joined_at), times_in_words(w))),
            held: view
                .offer
                .as_ref()
                .map(|o| (london_time(o.starts_at), london_time(o.hold_until), o.accept_url.clone(), o.decline_url.clone())),
            slots: TimeSlot::ALL.iter().map(|t| (t.as_str(), slot_label(*t))).collect(),
        }
    }
}

fn slot_label(t: TimeSlot) -> &'static str {
    match t {
        TimeSlot::WeekdayMorning => "Weekday mornings",
        TimeSlot::WeekdayAfternoon => "Weekday afternoons",
        TimeSlot::WeekdayEvening => "Weekday evenings",
        TimeSlot::Weekend => "Weekends",
    }
}

fn times_in_words(w: &WaitingPlace) -> String {
    if w.times.is_empty() {
        return "any time".into();
    }
    w.times.iter().map(|t| slot_label(*t).to_lowercase()).collect::<Vec<_>>().join(", ")
}

/// The times a parent said suit them: the form's `times` fields, or JSON `{"times": [...]}`, or
/// nothing (any time). An unknown time names the field.
fn stated_times(headers: &HeaderMap, body: &[u8]) -> Result<Vec<TimeSlot>, Problem> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let bad =
        || Problem::validation(vec![FieldError::new("times", "must be weekday-morning, weekday-afternoon, weekday-evening or weekend")]);
    if body.is_empty() {
        return Ok(vec![]);
    }
    let raw: Vec<String> = if content_type.starts_with("application/x-www-form-urlencoded") {
        // Each ticked box is its own `times` field.
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| bad())?;
        pairs.into_iter().filter(|(k, _)| k == "times").map(|(_, v)| v).collect()
    } else {
        let value = decode_json(headers, body)?;
        let unknown = unknown_keys(&value, &["times"]);
        if !unknown.is_empty() {
            return Err(Problem::validation(unknown));
        }
        match value.get("times") {
            None | Some(serde_json::Value::Null) => vec![],
            Some(serde_json::Value::Array(a)) if a.iter().all(|v| v.is_string()) => {
                a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            Some(_) => return Err(bad()),
        }
    };
    raw.iter().map(|t| TimeSlot::parse(t).ok_or(())).collect::<Result<_, _>>().map_err(|_| bad())
}

fn json_asked(headers: &HeaderMap) -> bool {
    wants_json(headers) || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"))
}

/// One place where a refused waiting-list request becomes a page or problem details.
fn waiting_refused(json: bool, token: &str, e: WaitingError) -> Response {
    match e {
        WaitingError::Link(l) => link_refused(json, l),
        WaitingError::Rule(r) => {
            let detail = match r {
                WaitingRefusal::NotReady => "You can join the waiting list once you have finished the e-learning.",
                WaitingRefusal::Booked => "You are booked on a workshop, so you do not need the waiting list.",
                WaitingRefusal::Closed => "Your place on the course has ended.",
            };
            if json {
                Problem::conflict(r.code(), "You cannot join the waiting list", detail).into_response()
            } else {
                message_with(StatusCode::CONFLICT, "You cannot join the waiting list", vec![detail], None, Some(back(token)))
            }
        }
    }
}

fn back(token: &str) -> (String, String) {
    ("Back to the workshops".into(), format!("/book/{token}"))
}

/// POST /book/{token}/waiting-list: 201 on joining, 200 when already on it.
async fn join(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let json = json_asked(&headers);
    // The link first (403, 410), then the body.
    if let Err(r) = pt4c_app::booking::booking_parent(&deps.app, &token).await {
        return waiting_refused(json, &token, r.into());
    }
    let times = match stated_times(&headers, &body) {
        Ok(t) => t,
        Err(problem) if json => return problem.into_response(),
        Err(_) => {
            return message_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose the times that suit you",
                vec!["Choose from the times listed."],
                None,
                Some(back(&token)),
            )
        }
    };
    match waiting::join(&deps.app, &token, times).await {
        Ok((place, new)) if json => {
            let status = if new { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(serde_json::json!({ "waitingList": place }))).into_response()
        }
        Ok(_) => Redirect::to(&format!("/book/{token}")).into_response(),
        Err(e) => waiting_refused(json, &token, e),
    }
}

/// DELETE /book/{token}/waiting-list, POST /book/{token}/waiting-list/leave: 200, on it or not.
async fn leave(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = json_asked(&headers);
    match waiting::leave(&deps.app, &token).await {
        Ok(_) if json => Json(serde_json::json!({ "waitingList": null })).into_response(),
        Ok(_) => Redirect::to(&format!("/book/{token}")).into_response(),
        Err(e) => waiting_refused(json, &token, e),
    }
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    heading: &'static str,
    when: String,
    until: String,
    action: String,
    button: &'static str,
    note: &'static str,
}

/// One place where a refused answer to an offer becomes a page or problem details.
fn answer_refused(json: bool, r: AnswerRefusal) -> Response {
    let (status, code, title, detail) = match r {
        AnswerRefusal::Link(l) => return link_refused(json, l),
        AnswerRefusal::Offer(OfferRefusal::Expired) => (
            StatusCode::GONE,
            "offer-expired",
            "This place is no longer held for you",
            "The time to answer has passed and the place has gone to someone else. You are still on the waiting list.",
        ),
        AnswerRefusal::Offer(OfferRefusal::Gone) => (
            StatusCode::CONFLICT,
            "offer-gone",
            "This place is no longer held for you",
            "This offer has already been answered, or has ended. Use the latest email we sent you.",
        ),
    };
    if json {
        Problem::new(status, code, title, detail).into_response()
    } else {
        message_with(status, title, vec![detail], None, None)
    }
}

/// GET /offer/{token}/accept and /decline: the page with one button (a GET changes nothing).
async fn offer_page(deps: &Deps, token: &str, answer: Answer) -> Response {
    let (parent, offer_id) = match waiting::offer_parent(&deps.app, token).await {
        Ok(p) => p,
        Err(r) => return answer_refused(false, r),
    };
    let Some(offer) = parent.offer.filter(|o| o.offer_id == offer_id) else {
        return answer_refused(false, AnswerRefusal::Offer(OfferRefusal::Gone));
    };
    let (heading, action, button, note) = match answer {
        Answer::Accept => (
            "Take the workshop place held for you",
            "accept",
            "Take this place",
            "We will email you to confirm, with a calendar invitation.",
        ),
        Answer::Decline => (
            "Let the place go to someone else",
            "decline",
            "Let the place go",
            "You will stay on the waiting list, and we will email you if another place comes up.",
        ),
    };
    let when = crate::pages::london_time(offer.starts_at);
    page(
        StatusCode::OK,
        OfferPage { heading, when, until: london_time(offer.hold_until), action: format!("/offer/{token}/{action}"), button, note }
            .render(),
    )
}

async fn accept_page(State(deps): State<Deps>, Path(token): Path<String>) -> Response {
    offer_page(&deps, &token, Answer::Accept).await
}

async fn decline_page(State(deps): State<Deps>, Path(token): Path<String>) -> Response {
    offer_page(&deps, &token, Answer::Decline).await
}

/// POST /offer/{token}/accept: 201 with the booking (200 for a replay).
async fn accept(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = json_asked(&headers);
    match waiting::answer(&deps.app, &token, Answer::Accept).await {
        Ok(Answered::Booked(b, new)) if json => {
            let status = if new { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(serde_json::json!({ "booking": b }))).into_response()
        }
        Ok(Answered::Booked(b, _)) => message_with(
            StatusCode::OK,
            "You are booked on the workshop",
            vec![
                &format!("Your workshop: {}.", london_time(b.starts_at)),
                "We have emailed you to confirm, with a calendar invitation and how to cancel.",
            ],
            None,
            None,
        ),
        Ok(Answered::Declined) => answer_refused(json, AnswerRefusal::Offer(OfferRefusal::Gone)),
        Err(r) => answer_refused(json, r),
    }
}

/// POST /offer/{token}/decline: 200; the place goes to the next parent waiting.
async fn decline(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = json_asked(&headers);
    match waiting::answer(&deps.app, &token, Answer::Decline).await {
        Ok(_) if json => Json(serde_json::json!({ "declined": true })).into_response(),
        Ok(_) => message_with(
            StatusCode::OK,
            "The place will go to someone else",
            vec!["You are still on the waiting list. We will email you if another place comes up."],
            None,
            None,
        ),
        Err(r) => answer_refused(json, r),
    }
}
