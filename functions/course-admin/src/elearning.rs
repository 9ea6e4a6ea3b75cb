//! The e-learning provider's side: the catalogue and the completion reports.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::http::{decode_json, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::elearning::{self, Completion, CompletionRefusal};
use pt4c_domain::{FieldError, ModuleId, ParentId};
use serde::Deserialize;

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/elearning/modules", get(modules)).route("/elearning/completions", post(post_completion))
}

async fn modules(State(deps): State<Deps>) -> Response {
    Json(serde_json::json!({"modules": deps.config.catalogue.modules})).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletionRequest {
    parent_id: Option<String>,
    module_id: Option<String>,
    completed_at: Option<String>,
}

fn parse_completion(deps: &Deps, headers: &HeaderMap, body: &[u8]) -> Result<Completion, Problem> {
    let value = decode_json(headers, body)?;
    let mut errors = unknown_keys(&value, &["parentId", "moduleId", "completedAt"]);
    let req: CompletionRequest = typed(value)?;
    let parent_id = match req.parent_id.as_deref() {
        None => {
            errors.push(FieldError::new("parentId", "is required"));
            None
        }
        // An id that cannot exist names no parent we know.
        Some(s) => Some(ParentId::parse(s).map_err(|_| Problem::not_found("parent"))?),
    };
    let module_id = match req.module_id.as_deref().map(ModuleId::parse) {
        None => {
            errors.push(FieldError::new("moduleId", "is required"));
            None
        }
        Some(Ok(m)) if deps.config.catalogue.contains(&m) => Some(m),
        Some(_) => {
            errors.push(FieldError::new("moduleId", "is not a module of the course"));
            None
        }
    };
    // A completion is a plausible moment (from 2020, not in the future); after the invitation is the store's to say.
    let completed_at = match req.completed_at.as_deref().map(|t| pt4c_domain::elearning::completion_time(t, deps.now())) {
        None => {
            errors.push(FieldError::new("completedAt", "is required"));
            None
        }
        Some(Err(m)) => {
            errors.push(FieldError::new("completedAt", m));
            None
        }
        Some(Ok(t)) => Some(t),
    };
    match (parent_id, module_id, completed_at) {
        (Some(parent_id), Some(module_id), Some(completed_at)) if errors.is_empty() => {
            Ok(Completion { parent_id, module_id, completed_at })
        }
        _ => Err(Problem::validation(errors)),
    }
}

async fn post_completion(State(deps): State<Deps>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let completion = parse_completion(&deps, &headers, &body)?;
    match elearning::record_completion(&deps.app, &completion).await {
        Ok(progress) => Ok(Json(progress).into_response()),
        Err(CompletionRefusal::NoParent) => Err(Problem::not_found("parent").into()),
        Err(CompletionRefusal::BeforeInvitation) => {
            Err(Problem::validation(vec![FieldError::new("completedAt", "must not be before the parent was invited")]).into())
        }
        Err(CompletionRefusal::Unavailable(e)) => Err(e.into()),
    }
}
