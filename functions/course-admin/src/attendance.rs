//! Attendance: the trainer records whether each booked parent came.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::{refusal, Problem};
use pt4c_adapters::Deps;
use pt4c_app::attendance::{self, AttendanceRefusal};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::BookingRefusal;
use pt4c_domain::{FieldError, ParentId, WorkshopId};
use serde::Deserialize;

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/workshops/{workshop_id}/attendance", post(post_attendance))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttendanceRequest {
    parent_id: Option<String>,
    attended: Option<bool>,
}

fn required_parent_id(value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<ParentId> {
    match value {
        None => {
            errors.push(FieldError::new("parentId", "is required"));
            None
        }
        Some(s) => match ParentId::parse(s) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError::new("parentId", "is not a parent id"));
                None
            }
        },
    }
}

async fn post_attendance(
    State(deps): State<Deps>,
    Path(workshop_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, &["parentId", "attended"]);
    let req: AttendanceRequest = typed(value)?;
    let parent_id = required_parent_id(req.parent_id.as_deref(), &mut errors);
    if req.attended.is_none() {
        errors.push(FieldError::new("attended", "is required (true or false)"));
    }
    let (Some(parent_id), Some(attended), true) = (parent_id, req.attended, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let workshop_id = WorkshopId::parse(&workshop_id).map_err(|_| Problem::not_found("workshop"))?;
    match attendance::record(&deps.app, &workshop_id, &parent_id, attended).await {
        Ok(view) => Ok(Json(view).into_response()),
        Err(r) => Err(refused(r)),
    }
}

/// One place where attendance's refusals become problem details.
fn refused(r: AttendanceRefusal) -> ApiError {
    match r {
        AttendanceRefusal::NoWorkshop => Problem::not_found("workshop").into(),
        AttendanceRefusal::NoParent => Problem::not_found("parent").into(),
        AttendanceRefusal::Rule(rule) => refusal(rule).into(),
        AttendanceRefusal::ParentClosed(status) => {
            // Same code as any parent with no booking, but saying why: the trainer may have recorded too late.
            let why = if status == ParentStatus::Withdrawn {
                "The referral was withdrawn, so this parent holds no booking."
            } else {
                "This parent was reported to the court as not completed by the court's date: they hold no booking, and attendance can no longer be recorded for them."
            };
            Problem::conflict(BookingRefusal::NotBooked.code(), "Refused", why).into()
        }
        AttendanceRefusal::Conflict => Problem::conflict(
            "attendance-recorded",
            "Attendance is already recorded",
            "This parent's attendance was recorded the other way and can no longer change.",
        )
        .into(),
        AttendanceRefusal::Unavailable(e) => e.into(),
    }
}
