//! Workshops as coordinators publish, list, read (with the roster) and cancel them.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use pt4c_adapters::http::{decode_json, query_params, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::workshops::{self, Cancellation, EditRefusal, RosterEntry, WorkshopRefusal};
use pt4c_domain::workshop::{Workshop, WorkshopEdit, WorkshopRequest, EDIT_FIELDS, WORKSHOP_FIELDS};
use pt4c_domain::{FieldError, WorkshopId};
use serde::{Deserialize, Serialize};

pub(crate) fn router() -> Router<Deps> {
    Router::new()
        .route("/workshops", post(post_workshop).get(list_workshops))
        .route("/workshops/{workshop_id}", get(get_workshop).patch(patch_workshop))
        .route("/workshops/{workshop_id}/cancel", post(cancel_workshop))
}

/// A workshop as coordinators see it, with the seats left.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopView {
    #[serde(flatten)]
    pub workshop: Workshop,
    pub seats_left: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roster: Option<Vec<RosterEntry>>,
}

fn view(w: Workshop, roster: Option<Vec<RosterEntry>>) -> WorkshopView {
    WorkshopView { seats_left: w.seats_left(), workshop: w, roster }
}

async fn post_workshop(State(deps): State<Deps>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, WORKSHOP_FIELDS);
    if let Some(t) = value.get("trainer") {
        errors.extend(unknown_keys(t, &["name", "email"]).into_iter().map(|e| FieldError::new(format!("trainer.{}", e.field), e.message)));
    }
    let req: WorkshopRequest = typed(value)?;
    let workshop = match Workshop::parse(req, workshops::new_id(), deps.now()) {
        Ok(w) if errors.is_empty() => w,
        Ok(_) => return Err(Problem::validation(errors).into()),
        Err(more) => {
            errors.extend(more);
            return Err(Problem::validation(errors).into());
        }
    };
    workshops::publish(&deps.app, &workshop).await?;
    let location = format!("/workshops/{}", workshop.workshop_id);
    let mut res = (axum::http::StatusCode::CREATED, Json(view(workshop, None))).into_response();
    res.headers_mut().insert(axum::http::header::LOCATION, location.parse().expect("uuid paths are header-safe"));
    Ok(res)
}

/// GET /workshops?from&to: the workshops starting in [from, to), soonest first.
async fn list_workshops(State(deps): State<Deps>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let mut window = query_params(query.as_deref(), &["from", "to"])?;
    let mut errors = Vec::new();
    let mut parse = |v: Option<String>, field: &str, default: Timestamp| match v.map(|s| s.parse::<Timestamp>()) {
        None => Some(default),
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            errors.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
            None
        }
    };
    let from = parse(window.remove("from"), "from", deps.now());
    let to = parse(window.remove("to"), "to", deps.now() + jiff::SignedDuration::from_hours(24 * 366));
    let (Some(from), Some(to)) = (from, to) else { return Err(Problem::validation(errors).into()) };
    if to <= from {
        return Err(Problem::validation(vec![FieldError::new("to", "must be after from")]).into());
    }
    let workshops = workshops::list(&deps.app, from, to).await?;
    Ok(Json(serde_json::json!({"workshops": workshops.into_iter().map(|w| view(w, None)).collect::<Vec<_>>()})).into_response())
}

async fn get_workshop(State(deps): State<Deps>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = WorkshopId::parse(&id).map_err(|_| Problem::not_found("workshop"))?;
    let (w, roster) = workshops::with_roster(&deps.app, &id).await.map_err(refused)?;
    Ok(Json(view(w, Some(roster))).into_response())
}

/// PATCH /workshops/{workshopId}: changes the fields named (start, duration, location, capacity,
/// trainer); booked parents are sent the updated invitation. Every bad field is named at once.
async fn patch_workshop(State(deps): State<Deps>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, EDIT_FIELDS);
    if let Some(t) = value.get("trainer").filter(|t| !t.is_null()) {
        errors.extend(unknown_keys(t, &["name", "email"]).into_iter().map(|e| FieldError::new(format!("trainer.{}", e.field), e.message)));
    }
    let req: WorkshopRequest = typed(value)?;
    let edit = match WorkshopEdit::parse(req, deps.now()) {
        Ok(e) if errors.is_empty() => e,
        Ok(_) => return Err(Problem::validation(errors).into()),
        Err(more) => {
            errors.extend(more);
            return Err(Problem::validation(errors).into());
        }
    };
    let id = WorkshopId::parse(&id).map_err(|_| Problem::not_found("workshop"))?;
    let workshop = workshops::edit(&deps.app, &id, &edit).await.map_err(|r| match r {
        EditRefusal::NotFound => ApiError::from(Problem::not_found("workshop")),
        EditRefusal::NotOpen => Problem::conflict(
            "workshop-unavailable",
            "Workshop unavailable",
            "The workshop is cancelled or has started: it can no longer be changed.",
        )
        .into(),
        EditRefusal::CapacityBelowSeatsTaken { seats_taken } => Problem::conflict(
            "capacity-below-seats-taken",
            "Capacity below the seats taken",
            format!("{seats_taken} seat(s) are taken: the capacity cannot be set below that."),
        )
        .into(),
        EditRefusal::Unavailable(e) => e.into(),
    })?;
    Ok(Json(view(workshop, None)).into_response())
}

#[derive(Debug, Deserialize)]
struct CancelRequest {
    reason: Option<String>,
}

/// Cancels a workshop and releases every booking on it; safe to repeat (it finishes a release
/// that was cut off).
async fn cancel_workshop(State(deps): State<Deps>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, &["reason"]);
    let req: CancelRequest = typed(value)?;
    let reason = pt4c_domain::text::required(req.reason.as_deref(), "reason", |r| pt4c_domain::text::paragraphs(r, 500), &mut errors);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let id = WorkshopId::parse(&id).map_err(|_| Problem::not_found("workshop"))?;
    let Cancellation { workshop, left } = workshops::cancel(&deps.app, &id, &reason).await.map_err(refused)?;
    if left > 0 {
        // The truth: the workshop is cancelled, some seats are still held; the same request (or
        // the next sweep) finishes.
        let mut res = Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "service-unavailable",
            "The workshop is cancelled; some bookings are not yet released",
            format!("The workshop is cancelled. {left} booking(s) are still to be released: send the same request again to finish (the daily sweep also does)."),
        )
        .into_response();
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        return Ok(res);
    }
    Ok(Json(view(workshop, None)).into_response())
}

/// One place where a workshop's refusal becomes problem details.
fn refused(r: WorkshopRefusal) -> ApiError {
    match r {
        WorkshopRefusal::NotFound => Problem::not_found("workshop").into(),
        WorkshopRefusal::Unavailable(e) => e.into(),
    }
}
