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
use pt4c_domain::events::{
    ConcernRaised, DomainEvent, ELearningCompleted, ELearningModuleCompleted, WorkshopAttended, WorkshopCancelled, WorkshopMissed,
};
use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, Concern, CourseStore, FollowUpDue, FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording,
    ModuleRecording, ParentStore, PortError, WorkshopStore,
};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::workshop::{BookingRefusal, Workshop, WorkshopRequest, WorkshopStatus, WORKSHOP_FIELDS};
use pt4c_domain::{FieldError, ParentId};
use serde::{Deserialize, Serialize};

pub fn router(deps: Deps) -> Router {
    Router::new()
        .route("/elearning/modules", get(modules))
        .route("/elearning/completions", post(post_completion))
        .route("/workshops", post(post_workshop).get(list_workshops))
        .route("/workshops/{workshop_id}", get(get_workshop))
        .route("/workshops/{workshop_id}/cancel", post(cancel_workshop))
        .with_state(deps.clone())
        .merge(course_router(deps))
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
        // Judged to the second, as it is kept: "now" with milliseconds is not in the future.
        Some(Ok(t)) if pt4c_domain::clock::to_the_second(t) > deps.now() => {
            errors.push(FieldError::new("completedAt", "must not be in the future"));
            None
        }
        Some(Ok(t)) => Some(pt4c_domain::clock::to_the_second(t)),
    };
    match (parent_id, module_id, completed_at) {
        (Some(parent_id), Some(module_id), Some(completed_at)) if errors.is_empty() => {
            Ok(Completion { parent_id, module_id, completed_at })
        }
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
        ModuleRecording::BeforeInvitation => {
            return Err(Problem::validation(vec![FieldError::new("completedAt", "must not be before the parent was invited")]).into())
        }
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
        let mut after = parent.clone();
        after.status = ParentStatus::ElearningCompleted;
        after.elearning_completed_at = Some(at);
        let due = after.due_after_change(deps.now(), &deps.config.timings);
        if deps.store.complete_elearning(&c.parent_id, at, due, &event).await? {
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
    for (parent_id, attended) in deps.store.roster(&id).await? {
        if let Some(p) = deps.store.parent_details(&parent_id).await? {
            roster.push(RosterEntry {
                parent_id,
                name: format!("{} {}", p.first_name, p.last_name),
                email: p.email.as_str().to_owned(),
                phone: p.phone.map(|x| x.as_str().to_owned()),
                interpreter_language: p.interpreter_language,
                adjustments: p.adjustments,
                attended,
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
    let reason = pt4c_domain::text::required(req.reason.as_deref(), "reason", |r| pt4c_domain::text::paragraphs(r, 500), &mut errors);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let reason = reason.as_str();
    let Some(w) = deps.store.workshop(&id).await? else { return Err(Problem::not_found("workshop").into()) };
    if w.status == WorkshopStatus::Open {
        // The roster goes with each release's own event, so the cancellation's lists nobody.
        let event = deps.event(DomainEvent::WorkshopCancelled(WorkshopCancelled {
            workshop_id: id.clone(),
            parent_ids: vec![],
            cancelled_at: deps.now(),
        }));
        if deps.store.cancel_workshop(&id, reason, &event, deps.now()).await? {
            tracing::info!(workshop_id = %id, "workshop cancelled");
            deps.publish_committed(&event).await;
        }
    }
    let left = deps.release_cancelled_workshop(&id).await?;
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
    let w = deps.store.workshop(&id).await?.ok_or_else(|| PortError::Retryable("workshop vanished".into()))?;
    Ok(Json(view(w, None)).into_response())
}

pub fn course_router(deps: Deps) -> Router {
    Router::new()
        .route("/workshops/{workshop_id}/attendance", post(post_attendance))
        .route("/follow-ups", get(list_follow_ups))
        .route("/follow-ups/{parent_id}", post(post_follow_up))
        .route("/parents/{parent_id}/concerns", post(post_concern))
        .with_state(deps)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttendanceRequest {
    parent_id: Option<String>,
    attended: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceView {
    pub workshop_id: String,
    pub parent_id: ParentId,
    pub attended: bool,
    pub status: ParentStatus,
}

/// Records whether a booked parent attended. Attended: the parent has completed (and the referral
/// too once every parent has), a follow-up call is owed. Absent: the parent may book again.
pub async fn record_attendance(deps: &Deps, workshop_id: &str, parent_id: &ParentId, attended: bool) -> Result<AttendanceView, ApiError> {
    let now = deps.now();
    let Some(w) = deps.store.workshop(workshop_id).await? else { return Err(Problem::not_found("workshop").into()) };
    let Some(parent) = deps.store.parent(parent_id).await? else { return Err(Problem::not_found("parent").into()) };
    if w.status != WorkshopStatus::Open || w.starts_at > now {
        return Err(refusal(BookingRefusal::WorkshopUnavailable));
    }
    let t = &deps.config.timings;
    let (attendance, event) = if attended {
        let completed_at = std::cmp::min(w.ends_at, now);
        let due_by = w.starts_at + t.follow_up;
        let attendance = Attendance {
            workshop_id: workshop_id.to_owned(),
            attended,
            recorded_at: now,
            completed_at: Some(completed_at),
            follow_up: Some(FollowUpDue {
                parent_id: parent_id.clone(),
                workshop_id: workshop_id.to_owned(),
                due_by,
                name: format!("{} {}", parent.first_name, parent.last_name),
                phone: parent.phone.clone(),
            }),
            due: None,
        };
        let event = DomainEvent::WorkshopAttended(WorkshopAttended {
            parent_id: parent_id.clone(),
            workshop_id: workshop_id.to_owned(),
            completed_at,
            follow_up_due_by: due_by,
        });
        (attendance, event)
    } else {
        let mut after = parent.clone();
        after.status = ParentStatus::DidNotAttend;
        after.last_workshop = after.booking.take();
        let attendance = Attendance {
            workshop_id: workshop_id.to_owned(),
            attended,
            recorded_at: now,
            completed_at: None,
            follow_up: None,
            due: after.due_after_change(now, t),
        };
        let event = DomainEvent::WorkshopMissed(WorkshopMissed {
            parent_id: parent_id.clone(),
            workshop_id: workshop_id.to_owned(),
            recorded_at: now,
        });
        (attendance, event)
    };
    let event = deps.event(event);
    match deps.store.record_attendance(&parent, &attendance, &event).await? {
        AttendanceOutcome::Recorded => {
            tracing::info!(parent_id = %parent_id, workshop_id, attended, "attendance recorded");
            deps.publish_committed(&event).await;
        }
        AttendanceOutcome::AlreadyRecorded => {}
        AttendanceOutcome::NotBooked => return Err(refusal(BookingRefusal::NotBooked)),
        AttendanceOutcome::ParentClosed(status) => {
            // Same code as any parent with no booking, but saying why: the trainer may have recorded too late.
            let why = if status == ParentStatus::Withdrawn {
                "The referral was withdrawn, so this parent holds no booking."
            } else {
                "This parent was reported to the court as not completed by the court's date: they hold no booking, and attendance can no longer be recorded for them."
            };
            return Err(Problem::conflict(BookingRefusal::NotBooked.code(), "Refused", why).into());
        }
        AttendanceOutcome::Conflict => {
            return Err(Problem::conflict(
                "attendance-recorded",
                "Attendance is already recorded",
                "This parent's attendance was recorded the other way and can no longer change.",
            )
            .into())
        }
    }
    if attended {
        // Also on a replay: finishes a close cut off after the attendance was written.
        deps.close_referral(parent_id.referral_id()).await?;
    }
    Ok(AttendanceView {
        workshop_id: workshop_id.to_owned(),
        parent_id: parent_id.clone(),
        attended,
        status: if attended { ParentStatus::Completed } else { ParentStatus::DidNotAttend },
    })
}

fn refusal(r: BookingRefusal) -> ApiError {
    Problem::conflict(r.code(), "Refused", r.explanation()).into()
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
    Ok(Json(record_attendance(&deps, &workshop_id, &parent_id, attended).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct FollowUpQuery {
    status: Option<String>,
}

async fn list_follow_ups(State(deps): State<Deps>, Query(q): Query<FollowUpQuery>) -> Result<Response, ApiError> {
    let list = match q.status.as_deref().unwrap_or("due") {
        "due" => FollowUpList::Due,
        "overdue" => FollowUpList::Overdue,
        "done" => FollowUpList::Done,
        _ => return Err(Problem::validation(vec![FieldError::new("status", "must be due, overdue or done")]).into()),
    };
    let mut entries = deps.store.follow_ups(list, deps.now()).await?;
    // The list shows who to call; notes stay with the record.
    for e in &mut entries {
        e.notes = None;
    }
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
    match deps.store.record_follow_up(&parent_id, outcome, notes, deps.now()).await? {
        FollowUpRecording::Recorded(entry) => {
            tracing::info!(parent_id = %parent_id, "follow-up recorded");
            Ok(Json(follow_up_json(entry)).into_response())
        }
        FollowUpRecording::AlreadyRecorded(entry) => Ok(Json(follow_up_json(entry)).into_response()),
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcernRequest {
    raised_by: Option<String>,
    summary: Option<String>,
}

/// A trainer's concern about a parent: stored, and the Family Court Adviser emailed at once.
/// A safety concern reaches the FCA whatever the referral's state.
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
    if deps.store.parent(&parent_id).await?.is_none() {
        return Err(Problem::not_found("parent").into());
    }
    let concern_id = pt4c_domain::ids::concern_id(&parent_id, &raised_by, &summary);
    let now = deps.now();
    let concern = Concern { concern_id: concern_id.clone(), parent_id: parent_id.clone(), raised_by, summary, raised_at: now };
    let event = deps.event(DomainEvent::ConcernRaised(ConcernRaised {
        parent_id: parent_id.clone(),
        concern_id: concern_id.clone(),
        raised_at: now,
    }));
    let (status, raised_at) = if deps.store.raise_concern(&concern, &event).await? {
        tracing::info!(parent_id = %parent_id, concern_id = %concern_id, "concern raised");
        deps.publish_committed(&event).await;
        (axum::http::StatusCode::CREATED, now)
    } else {
        let stored = deps.store.concern(&parent_id, &concern_id).await?.ok_or_else(|| PortError::Retryable("concern vanished".into()))?;
        (axum::http::StatusCode::OK, stored.raised_at)
    };
    let location = format!("/parents/{parent_id}/concerns/{concern_id}");
    let mut res =
        (status, Json(serde_json::json!({"concernId": concern_id, "parentId": parent_id, "raisedAt": raised_at}))).into_response();
    if let Ok(v) = location.parse() {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}
