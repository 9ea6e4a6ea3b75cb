//! Course administration: the e-learning catalogue and the provider's completion reports.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use pt4c_adapters::http::{decode_json, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_domain::events::{DomainEvent, ELearningCompleted, ELearningModuleCompleted};
use pt4c_domain::ports::{ModuleRecording, ParentStore, PortError};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::{FieldError, ParentId};
use serde::{Deserialize, Serialize};

pub fn router(deps: Deps) -> Router {
    Router::new()
        .route("/elearning/modules", get(modules))
        .route("/elearning/completions", post(post_completion))
        .with_state(deps)
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

/// A completion report, parsed.
#[derive(Debug)]
pub struct Completion {
    pub parent_id: ParentId,
    pub module_id: String,
    pub completed_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentElearning {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub elearning: ElearningProgress,
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
    let module_id = match req.module_id {
        None => {
            errors.push(FieldError::new("moduleId", "is required"));
            None
        }
        Some(m) if !deps.config.catalogue.contains(&m) => {
            errors.push(FieldError::new("moduleId", "is not a module of the course"));
            None
        }
        Some(m) => Some(m),
    };
    let completed_at = match req.completed_at.as_deref().map(str::parse::<Timestamp>) {
        None => {
            errors.push(FieldError::new("completedAt", "is required"));
            None
        }
        Some(Err(_)) => {
            errors.push(FieldError::new("completedAt", "must be an RFC 3339 timestamp"));
            None
        }
        Some(Ok(t)) if t > deps.now() => {
            errors.push(FieldError::new("completedAt", "must not be in the future"));
            None
        }
        Some(Ok(t)) => Some(pt4c_domain::clock::to_the_second(t)),
    };
    match (parent_id, module_id, completed_at) {
        (Some(parent_id), Some(module_id), Some(completed_at)) if errors.is_empty() => Ok(Completion { parent_id, module_id, completed_at }),
        _ => Err(Problem::validation(errors)),
    }
}

/// Records a module (its first time kept), and completes the e-learning when every module is done.
/// Safe to repeat and to receive out of order.
pub async fn record_completion(deps: &Deps, c: &Completion) -> Result<ParentElearning, ApiError> {
    let event = deps.event(DomainEvent::ELearningModuleCompleted(ELearningModuleCompleted {
        parent_id: c.parent_id.clone(),
        module_id: c.module_id.clone(),
        completed_at: c.completed_at,
    }));
    match deps.store.record_module(&c.parent_id, &c.module_id, c.completed_at, &event).await? {
        ModuleRecording::NoParent => return Err(Problem::not_found("parent").into()),
        ModuleRecording::Recorded => {
            tracing::info!(parent_id = %c.parent_id, module_id = %c.module_id, "module completed");
            deps.publish_committed(&event).await;
        }
        ModuleRecording::AlreadyRecorded => tracing::info!(parent_id = %c.parent_id, module_id = %c.module_id, "module already recorded"),
    }
    let mut parent = deps.store.parent(&c.parent_id).await?.ok_or_else(|| PortError::Retryable("parent vanished".into()))?;
    if matches!(parent.status, ParentStatus::Invited | ParentStatus::Activated) {
        deps.store.mark_elearning_started(&c.parent_id).await?;
        parent.status = ParentStatus::ElearningStarted;
    }
    let all_done = deps.config.catalogue.complete(|id| parent.modules.contains_key(id));
    if all_done && parent.elearning_completed_at.is_none() {
        // The e-learning was completed when its last module was.
        let at = parent.modules.values().copied().max().unwrap_or(c.completed_at);
        let event = deps.event(DomainEvent::ELearningCompleted(ELearningCompleted { parent_id: c.parent_id.clone(), completed_at: at }));
        if deps.store.complete_elearning(&c.parent_id, at, &event).await? {
            tracing::info!(parent_id = %c.parent_id, "e-learning completed");
            deps.publish_committed(&event).await;
            parent.elearning_completed_at = Some(at);
            parent.status = ParentStatus::ElearningCompleted;
        } else {
            parent = deps.store.parent(&c.parent_id).await?.ok_or_else(|| PortError::Retryable("parent vanished".into()))?;
        }
    }
    Ok(ParentElearning { parent_id: parent.parent_id.clone(), status: parent.status, elearning: parent.elearning() })
}

async fn post_completion(State(deps): State<Deps>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    let completion = parse_completion(&deps, &headers, &body)?;
    Ok(Json(record_completion(&deps, &completion).await?).into_response())
}
