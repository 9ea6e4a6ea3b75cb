//! Booking a workshop: the booking page, taking a seat, and the cancel page.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, unknown_keys, wants_json};
use pt4c_adapters::problem::{explanation as explain, Problem};
use pt4c_adapters::Deps;
use pt4c_app::booking::{self, BookRefusal, OfferQuery};
use pt4c_domain::link::Purpose;
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::{FieldError, WorkshopId};

use crate::pages::{link_refused, message, message_with, page};

mod screen;

pub(crate) fn router() -> Router<Deps> {
    Router::new()
        .route("/book/{token}", get(booking_page).post(post_booking))
        .route("/book/{token}/cancel", get(cancel_page).post(post_cancel))
}

/// What a booking or cancel request may be refused for: the use case's answer, or a body the
/// route does not take.
#[derive(Debug)]
enum Refused {
    App(BookRefusal),
    Invalid(Vec<FieldError>),
    /// The body is not what the route takes (415, 400): answered as problem details, or a page to a form.
    Body(Problem),
}

impl From<BookRefusal> for Refused {
    fn from(r: BookRefusal) -> Self {
        Refused::App(r)
    }
}

/// One place where a refused booking or cancellation becomes a page or problem details.
fn refused(json: bool, token: &str, r: Refused) -> Response {
    match r {
        Refused::App(BookRefusal::Link(l)) => link_refused(json, l),
        Refused::Invalid(errors) => {
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
        Refused::Body(p) if json => p.into_response(),
        Refused::Body(p) => message_with(
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            "Choose a workshop",
            vec!["Select the workshop you want to book."],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
        Refused::App(BookRefusal::StaleCancelLink) if json => Problem::conflict(
            "not-booked",
            "This link is for an earlier booking",
            "The booking this link was sent for is no longer held; your current booking is unchanged.",
        )
        .into_response(),
        Refused::App(BookRefusal::StaleCancelLink) => message_with(
            StatusCode::CONFLICT,
            "This link is for an earlier booking",
            vec![
                "The booking this cancel link was sent for has already been cancelled or changed.",
                "Your current booking has not been cancelled. To cancel it, use the link in the email that confirmed it.",
            ],
            None,
            None,
        ),
        Refused::App(BookRefusal::NoWorkshop) if json => Problem::not_found("workshop").into_response(),
        Refused::App(BookRefusal::NoWorkshop) => message_with(
            StatusCode::NOT_FOUND,
            "We cannot find that workshop",
            vec!["Choose another workshop."],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
        Refused::App(BookRefusal::Rule(rule)) if json => {
            Problem::conflict(rule.code(), "The booking cannot be made", explain(rule)).into_response()
        }
        Refused::App(BookRefusal::Rule(rule)) => message_with(
            StatusCode::CONFLICT,
            "The booking could not be made",
            vec![explain(rule)],
            None,
            Some(("Back to the workshops".into(), format!("/book/{token}"))),
        ),
    }
}

/// GET /book/{token}: the workshops that suit this parent, soonest first, a screen at a time,
/// narrowed by the query's filter (`time`, `days`) from its cursor (`after`). A filter the page
/// does not take: 400 problem details naming the field, or the first screen with an error summary.
async fn booking_page(State(deps): State<Deps>, Path(token): Path<String>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let json = wants_json(&headers);
    let (query, errors) = match screen::parse_query(raw.as_deref()) {
        Ok(q) => (q, Vec::new()),
        Err(errors) if json => {
            // The link is judged first, as on every route.
            if let Err(r) = booking::booking_parent(&deps.app, &token).await {
                return refused(json, &token, r.into());
            }
            return Problem {
                errors,
                ..Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    "The query is not one this page takes",
                    "Use time=morning|afternoon|evening, days=weekday|weekend and the later-dates link as given.",
                )
            }
            .into_response();
        }
        Err(errors) => (OfferQuery::default(), errors),
    };
    match booking::offer(&deps.app, &token, &query).await {
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
            tracing::info!(parent_id = %view.parent_id, shown = view.workshops.len(), items_read = view.items_read, "booking page");
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
            let errors = screen::page_errors(&errors);
            page(status, screen::book_page(&view, &token, errors).render())
        }
        Err(r) => refused(json, &token, r.into()),
    }
}

/// The workshop chosen: JSON `{"workshopId"}` or the form field `workshopId`.
fn chosen_workshop(headers: &HeaderMap, body: &[u8]) -> Result<WorkshopId, Refused> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let missing = || Refused::Invalid(vec![FieldError::new("workshopId", "is required")]);
    // Workshop ids are UUIDs we issue: anything else is a bad field, not an unknown workshop.
    let workshop_id = |w: &str| WorkshopId::parse(w).map_err(|m| FieldError::new("workshopId", m));
    if content_type.starts_with("application/x-www-form-urlencoded") {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Form {
            workshop_id: Option<String>,
        }
        let form: Form = serde_urlencoded_form(body).ok_or_else(missing)?;
        let w = form.workshop_id.filter(|w| !w.is_empty()).ok_or_else(missing)?;
        return workshop_id(&w).map_err(|e| Refused::Invalid(vec![e]));
    }
    let value = decode_json(headers, body).map_err(Refused::Body)?;
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
            return Err(Refused::Body(Problem::invalid_json(
                "The field workshopId has the wrong JSON type.",
                vec![FieldError::new("workshopId", "has the wrong JSON type")],
            )))
        }
    }
    Err(Refused::Invalid(errors))
}

fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_urlencoded::from_bytes(body).ok()
}

/// POST /book/{token}: takes a seat for the parent the link is for.
async fn post_booking(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap, body: axum::body::Body) -> Response {
    let json = wants_json(&headers) || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    // The link first (403, 410), then the body (413, 415, 400, 422), as api.md orders them.
    let parent = match booking::booking_parent(&deps.app, &token).await {
        Ok(p) => p,
        Err(r) => return refused(json, &token, r.into()),
    };
    let body = match pt4c_adapters::http::read_body(body).await {
        Ok(b) => b,
        Err(p) => return refused(json, &token, Refused::Body(p)),
    };
    let workshop_id = match chosen_workshop(&headers, &body) {
        Ok(w) => w,
        Err(r) => return refused(json, &token, r),
    };
    match booking::book(&deps.app, &parent, &workshop_id).await {
        Ok((booking, fresh)) if json => {
            let cancel_url = match deps.cancel_link(&parent.parent_id, &booking.workshop_id, booking.booked_at, parent.complete_by) {
                Ok(u) => u,
                Err(e) => return refused(json, &token, BookRefusal::from(e).into()),
            };
            let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(serde_json::json!({"booking": booking, "cancelUrl": cancel_url}))).into_response()
        }
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/book/{token}"))]).into_response(),
        Err(r) => refused(json, &token, r.into()),
    }
}

async fn cancel_page(State(deps): State<Deps>, Path(token): Path<String>) -> Response {
    match booking::cancelling_parent(&deps.app, &token).await {
        Ok((parent, bound)) => match parent.booking {
            Some(b) if !booking::link_fits(&bound, &b) => refused(false, &token, BookRefusal::StaleCancelLink.into()),
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
        Err(r) => refused(false, &token, r.into()),
    }
}

/// POST /book/{token}/cancel: frees the seat (a cancel link acts only on the booking it was sent for).
async fn post_cancel(State(deps): State<Deps>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let json = wants_json(&headers) || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    match booking::cancel(&deps.app, &token).await {
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
        Err(r) => refused(json, &token, r.into()),
    }
}
