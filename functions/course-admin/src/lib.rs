//! Course administration: the e-learning catalogue and the provider's completion reports.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use pt4c_adapters::http::{decode_json, read_body, typed, unknown_keys, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_domain::events::{DomainEvent, ELearningCompleted, ELearningModuleCompleted, WorkshopCancelled};
use pt4c_domain::ports::{ModuleRecording, ParentStore, PortError, WorkshopStore};
use pt4c_domain::workshop::{Workshop, WorkshopRequest, WorkshopStatus, WORKSHOP_FIELDS};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::{FieldError, ParentId};
use serde::{Deserialize, Serialize};

pub fn router(deps: Deps) -> Router {
    Router::new()
        .route("/elearning/modules", get(modules))
        .route("/elearning/completions", post(post_completion))
        .route("/workshops", post(post_workshop).get(list_workshops))
        .route("/workshops/{workshop_id}", get(get_workshop))
        .route("/workshops/{workshop_id}/cancel", post(cancel_workshop))
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterEntry {
    pub parent_id: ParentId,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub interpreter_language: Option<String>,
    pub adjustments: Option<String>,
    pub attended: Option<bool>,
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
    let workshop = match Workshop::parse(req, uuid::Uuid::new_v4().to_string(), deps.now()) {
        Ok(w) if errors.is_empty() => w,
        Ok(_) => return Err(Problem::validation(errors).into()),
        Err(more) => {
            errors.extend(more);
            return Err(Problem::validation(errors).into());
        }
    };
    deps.store.create_workshop(&workshop).await?;
    tracing::info!(workshop_id = %workshop.workshop_id, "workshop published");
    let location = format!("/workshops/{}", workshop.workshop_id);
    let mut res = (axum::http::StatusCode::CREATED, Json(view(workshop, None))).into_response();
    res.headers_mut().insert(axum::http::header::LOCATION, location.parse().expect("uuid paths are header-safe"));
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

async fn list_workshops(State(deps): State<Deps>, Query(window): Query<Window>) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let mut parse = |v: Option<String>, field: &str, default: Timestamp| match v.map(|s| s.parse::<Timestamp>()) {
        None => Some(default),
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            errors.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
            None
        }
    };
    let from = parse(window.from, "from", deps.now());
    let to = parse(window.to, "to", deps.now() + jiff::SignedDuration::from_hours(24 * 366));
    let (Some(from), Some(to)) = (from, to) else { return Err(Problem::validation(errors).into()) };
    let workshops = deps.store.workshops(from, to).await?;
    Ok(Json(serde_json::json!({"workshops": workshops.into_iter().map(|w| view(w, None)).collect::<Vec<_>>()})).into_response())
}

async fn get_workshop(State(deps): State<Deps>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let Some(w) = deps.store.workshop(&id).await? else { return Err(Problem::not_found("workshop").into()) };
    let mut roster = Vec::new();
    for parent_id in deps.store.roster(&id).await? {
        if let Some(p) = deps.store.parent_details(&parent_id).await? {
            roster.push(RosterEntry {
                parent_id,
                name: format!("{} {}", p.first_name, p.last_name),
                email: p.email.as_str().to_owned(),
                phone: p.phone.map(|x| x.as_str().to_owned()),
                interpreter_language: p.interpreter_language,
                adjustments: p.adjustments,
                attended: None,
            });
        }
    }
    Ok(Json(view(w, Some(roster))).into_response())
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
    let reason = req.reason.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "must be 1 to 500 characters"));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let Some(w) = deps.store.workshop(&id).await? else { return Err(Problem::not_found("workshop").into()) };
    let roster = deps.store.roster(&id).await?;
    if w.status == WorkshopStatus::Open {
        let event = deps.event(DomainEvent::WorkshopCancelled(WorkshopCancelled {
            workshop_id: id.clone(),
            parent_ids: roster.clone(),
            cancelled_at: deps.now(),
        }));
        if deps.store.cancel_workshop(&id, reason, &event).await? {
            tracing::info!(workshop_id = %id, bookings = roster.len(), "workshop cancelled");
            deps.publish_committed(&event).await;
        }
    }
    for parent_id in &roster {
        if let Some(parent) = deps.store.parent(parent_id).await? {
            deps.store.release(&parent, &id, None, None, true).await?;
        }
    }
    let w = deps.store.workshop(&id).await?.ok_or_else(|| PortError::Retryable("workshop vanished".into()))?;
    Ok(Json(view(w, None)).into_response())
}
