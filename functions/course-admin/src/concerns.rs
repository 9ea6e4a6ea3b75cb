//! Concerns a trainer raises about a parent.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::concerns::{self, ConcernRefusal};
use pt4c_domain::ParentId;
use serde::Deserialize;

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/parents/{parent_id}/concerns", post(post_concern))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcernRequest {
    raised_by: Option<String>,
    summary: Option<String>,
}

/// A trainer's concern about a parent: stored, and the Family Court Adviser emailed at once.
/// A safety concern reaches the FCA whatever the referral's state.
/// POST /parents/{parentId}/concerns: a trainer's concern about a parent, told to the FCA at once.
async fn post_concern(
    State(deps): State<Deps>,
    Path(parent_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let value = decode_json(&headers, &body)?;
    let mut errors = unknown_keys(&value, &["raisedBy", "summary"]);
    let req: ConcernRequest = typed(value)?;
    let parent_id = ParentId::parse(&parent_id).map_err(|_| Problem::not_found("parent"))?;
    let raised_by = pt4c_domain::text::required(req.raised_by.as_deref(), "raisedBy", |s| pt4c_domain::text::line(s, 200), &mut errors);
    let summary = pt4c_domain::text::required(req.summary.as_deref(), "summary", |s| pt4c_domain::text::paragraphs(s, 2000), &mut errors);
    let (Some(raised_by), Some(summary), true) = (raised_by, summary, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let (concern, created) = match concerns::raise(&deps.app, &parent_id, raised_by, summary).await {
        Ok(raised) => raised,
        Err(ConcernRefusal::NoParent) => return Err(Problem::not_found("parent").into()),
        Err(ConcernRefusal::Unavailable(e)) => return Err(e.into()),
    };
    let (status, concern_id, raised_at) =
        (if created { StatusCode::CREATED } else { StatusCode::OK }, concern.concern_id, concern.raised_at);
    let location = format!("/parents/{parent_id}/concerns/{concern_id}");
    let mut res =
        (status, Json(serde_json::json!({"concernId": concern_id, "parentId": parent_id, "raisedAt": raised_at}))).into_response();
    if let Ok(v) = location.parse() {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}
