//! Follow-up calls: the list trainers work from, and each call's outcome.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, query_params, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::follow_ups;
use pt4c_domain::ports::{FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording};
use pt4c_domain::{FieldError, ParentId};
use serde::Deserialize;

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/follow-ups", get(list_follow_ups)).route("/follow-ups/{parent_id}", post(post_follow_up))
}

/// GET /follow-ups?status: the calls due, overdue or done.
async fn list_follow_ups(State(deps): State<Deps>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let q = query_params(query.as_deref(), &["status"])?;
    let list = match q.get("status").map(String::as_str).unwrap_or("due") {
        "due" => FollowUpList::Due,
        "overdue" => FollowUpList::Overdue,
        "done" => FollowUpList::Done,
        _ => return Err(Problem::validation(vec![FieldError::new("status", "must be due, overdue or done")]).into()),
    };
    let entries = follow_ups::list(&deps.app, list).await?;
    Ok(Json(serde_json::json!({ "followUps": entries })).into_response())
}

#[derive(Debug, Deserialize)]
struct FollowUpRequest {
    outcome: Option<String>,
    notes: Option<String>,
}

async fn post_follow_up(
    State(deps): State<Deps>,
    Path(parent_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, &["outcome", "notes"]);
    let req: FollowUpRequest = typed(value)?;
    let parent_id = ParentId::parse(&parent_id).map_err(|_| Problem::not_found("follow-up"))?;
    let outcome = match req.outcome.as_deref() {
        Some("reached") => Some(FollowUpOutcome::Reached),
        Some("no_answer") => Some(FollowUpOutcome::NoAnswer),
        Some("declined") => Some(FollowUpOutcome::Declined),
        _ => {
            errors.push(FieldError::new("outcome", "must be reached, no_answer or declined"));
            None
        }
    };
    let notes = match req.notes.as_deref().filter(|n| !n.trim().is_empty()).map(|n| pt4c_domain::text::paragraphs(n, 2000)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(m)) => {
            errors.push(FieldError::new("notes", m));
            None
        }
    };
    let notes = notes.as_deref();
    let (Some(outcome), true) = (outcome, errors.is_empty()) else { return Err(Problem::validation(errors).into()) };
    match follow_ups::record(&deps.app, &parent_id, outcome, notes).await? {
        FollowUpRecording::Recorded(entry) | FollowUpRecording::AlreadyRecorded(entry) => Ok(Json(follow_up_json(entry)).into_response()),
        FollowUpRecording::Conflict => Err(Problem::conflict(
            "follow-up-recorded",
            "The follow-up is already recorded",
            "An outcome was already recorded for this follow-up.",
        )
        .into()),
        FollowUpRecording::NotFound => Err(Problem::not_found("follow-up").into()),
    }
}

fn follow_up_json(entry: FollowUpEntry) -> serde_json::Value {
    let notes = entry.notes.clone();
    let mut v = serde_json::to_value(entry).unwrap_or_default();
    v["notes"] = notes.map_or(serde_json::Value::Null, serde_json::Value::String);
    v
}
