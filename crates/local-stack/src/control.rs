//! The control plane: Lambda Invoke API, mailbox, clock, staff accounts, and (local only) the events seen.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use pt4c_adapters::cognito::{AdminError, NewStaff};
use pt4c_adapters::problem::Problem;
use pt4c_domain::staff::StaffRole;
use pt4c_domain::FieldError;

use crate::faults::{Chaos, ChaosSpec, Fault};
use crate::runner::{invoke, InvokeError};
use crate::{mailbox, Shared};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke_function))
        .route("/mail", get(mail))
        .route("/sms", get(sms))
        .route("/sms/inbound", post(sms_inbound))
        .route("/clock", put(set_clock).delete(reset_clock).get(read_clock))
        .route("/events", get(events))
        .route("/staff-users", post(create_staff_user))
        .route("/_pt4c/faults", post(add_fault).get(list_faults).delete(clear_faults))
        .route("/_pt4c/chaos", post(chaos_on).get(chaos_figures).delete(chaos_off))
        .route("/_pt4c/requests", get(requests).delete(forget_requests))
        .with_state(shared)
}

async fn invoke_function(State(shared): State<Arc<Shared>>, Path(function): Path<String>, body: axum::body::Bytes) -> Response {
    let payload: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"Type": "User", "message": "InvalidRequestContentException"})))
                    .into_response()
            }
        }
    };
    match invoke(&shared, &function, payload).await {
        Ok(v) => (StatusCode::OK, [("x-amz-executed-version", "$LATEST")], Json(v)).into_response(),
        Err(InvokeError::UnknownFunction(f)) => (
            StatusCode::NOT_FOUND,
            [("x-amzn-errortype", "ResourceNotFoundException")],
            Json(serde_json::json!({"Type": "User", "message": format!("Function not found: {f}")})),
        )
            .into_response(),
        Err(e) => (
            StatusCode::OK,
            [("x-amz-function-error", "Unhandled")],
            Json(serde_json::json!({"errorType": "HandlerError", "errorMessage": e.to_string()})),
        )
            .into_response(),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("application/json")).unwrap_or(false)
}

async fn mail(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match mailbox::fetch(&shared.http, &shared.moto_endpoint, &shared.created.sender).await {
        Ok(mails) if wants_json(&headers) => Json(mails).into_response(),
        Ok(mails) => {
            let texts = mailbox::fetch_texts(&shared.http, &shared.moto_endpoint, None).await.unwrap_or_default();
            Html(mailbox::page_with_texts(&mails, &texts)).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct SmsQuery {
    to: Option<String>,
}

/// The texts SNS accepted (`?to=+447…`: only those to that number), oldest first.
async fn sms(State(shared): State<Arc<Shared>>, axum::extract::Query(q): axum::extract::Query<SmsQuery>) -> Response {
    match mailbox::fetch_texts(&shared.http, &shared.moto_endpoint, q.to.as_deref()).await {
        Ok(texts) => Json(texts).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct InboundBody {
    from: String,
    body: String,
}

/// A parent's reply by text, as End User Messaging's topic would deliver it to `SmsInboundFunction`.
async fn sms_inbound(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(InboundBody { from, body }) = serde_json::from_slice(&body) else {
        return (StatusCode::BAD_REQUEST, "expected {\"from\": \"+447…\", \"body\": \"STOP\"}").into_response();
    };
    match invoke(&shared, "SmsInboundFunction", sms_inbound::sns_event(&from, "+447700900000", &body)).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ClockBody {
    now: String,
    /// true: the clock runs on from `now`; false (default): it stands still there.
    #[serde(default)]
    running: bool,
}

async fn set_clock(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(ClockBody { now, running }) = serde_json::from_slice(&body) else {
        return (StatusCode::BAD_REQUEST, "expected {\"now\": \"<RFC 3339 timestamp>\", \"running\"?: true}").into_response();
    };
    match now.parse::<jiff::Timestamp>() {
        Ok(t) => {
            if running {
                shared.clock.run_from(t);
            } else {
                shared.clock.set(Some(t));
            }
            read_clock(State(shared)).await
        }
        Err(_) => (StatusCode::BAD_REQUEST, "now must be an RFC 3339 timestamp").into_response(),
    }
}

async fn reset_clock(State(shared): State<Arc<Shared>>) -> Response {
    shared.clock.set(None);
    StatusCode::NO_CONTENT.into_response()
}

async fn read_clock(State(shared): State<Arc<Shared>>) -> Response {
    use pt4c_domain::Clock;
    Json(serde_json::json!({"now": shared.clock.now().to_string()})).into_response()
}

async fn events(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.events.lock().unwrap_or_else(|e| e.into_inner()).clone()).into_response()
}

#[derive(serde::Deserialize)]
struct StaffUserBody {
    email: Option<String>,
    name: Option<String>,
    role: Option<String>,
    password: Option<String>,
    /// A temporary password: the first sign-in asks for a new one and sets up an authenticator
    /// app, as for an account a coordinator makes in the console.
    #[serde(default)]
    temporary: bool,
}

/// What the template's password policy says of a password, if anything.
fn password_problem(password: &str, policy: &crate::template::PasswordPolicySpec) -> Option<String> {
    let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
    let short = password.chars().count() < usize::try_from(policy.min_length).unwrap_or(0);
    let missing = (policy.lowercase && !has(char::is_ascii_lowercase))
        || (policy.uppercase && !has(char::is_ascii_uppercase))
        || (policy.numbers && !has(char::is_ascii_digit))
        || (policy.symbols && !has(|c| c.is_ascii_punctuation() || *c == ' '));
    (short || missing)
        .then(|| format!("Use at least {} characters, with lower and upper case letters, a number and a symbol.", policy.min_length))
}

/// `POST /staff-users {"email", "name", "role", "password"}`: an account that signs in at once with
/// that password (permanent; no MFA enrolment on the stand-in). With `"temporary": true` the
/// password is temporary and the first sign-in takes the whole path (new password, authenticator).
async fn create_staff_user(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let body: StaffUserBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_json(e.to_string(), Vec::new()).into_response(),
    };
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (email, name, password) = (text(body.email), text(body.name), body.password.filter(|p| !p.is_empty()));
    let role = body.role.as_deref().and_then(|r| StaffRole::parse(r.trim()));
    let email_ok =
        email.as_deref().is_some_and(|e| e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !e.contains(' ')));
    let name_ok = name.as_deref().is_some_and(|n| n.chars().count() <= 256);
    let mut errors = Vec::new();
    if !email_ok {
        errors.push(FieldError::new("email", "Enter an email address, like name@example.org."));
    }
    if !name_ok {
        errors.push(FieldError::new("name", "Enter the person's name (at most 256 characters)."));
    }
    if role.is_none() {
        errors.push(FieldError::new("role", "Must be one of coordinator, trainer, cafcass."));
    }
    match password.as_deref().map(|p| password_problem(p, &shared.template.staff_pool.password_policy)) {
        None => errors.push(FieldError::new("password", "Enter a password.")),
        Some(Some(problem)) => errors.push(FieldError::new("password", problem)),
        Some(None) => {}
    }
    let (Some(email), Some(name), Some(role), true) = (email, name, role, errors.is_empty()) else {
        return Problem::validation(errors).into_response();
    };
    let new = NewStaff { email: email.clone(), name, role, password, permanent: !body.temporary };
    match shared.cognito.create_staff(&new).await {
        Ok(()) => (StatusCode::CREATED, Json(serde_json::json!({"email": email, "role": role.as_str()}))).into_response(),
        Err(AdminError::Exists) => {
            Problem::conflict("staff-user-exists", "The account exists", "A staff account with that email address exists.").into_response()
        }
        Err(AdminError::Invalid(message)) => Problem::validation(vec![FieldError::new("email", message)]).into_response(),
        Err(AdminError::NotFound) => Problem::internal().into_response(),
        Err(AdminError::Unavailable(e)) => {
            tracing::error!(error = %e, "a staff account could not be made");
            Problem::unavailable().into_response()
        }
    }
}

fn wire(shared: &Shared) -> std::sync::MutexGuard<'_, crate::faults::Wire> {
    shared.wire.lock().unwrap_or_else(|p| p.into_inner())
}

fn refused(reason: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": reason.to_string()}))).into_response()
}

/// A canned answer for the next matching AWS calls of this stack (`faults::Fault`).
async fn add_fault(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body).map_err(|e| e.to_string()).and_then(Fault::checked) {
        Ok(fault) => {
            wire(&shared).faults.push(fault);
            (StatusCode::CREATED, Json(serde_json::json!({"ok": true}))).into_response()
        }
        Err(e) => refused(e),
    }
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(wire(&shared).faults.clone()).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    wire(&shared).faults.clear();
    Json(serde_json::json!({"ok": true})).into_response()
}

/// Refuses AWS calls at random from a seed (`faults::ChaosSpec`); answers its figures.
async fn chaos_on(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ChaosSpec>(&body).map_err(|e| e.to_string()).and_then(Chaos::new) {
        Ok(chaos) => {
            let figures = chaos.describe();
            wire(&shared).chaos = Some(chaos);
            (StatusCode::CREATED, Json(figures)).into_response()
        }
        Err(e) => refused(e),
    }
}

async fn chaos_figures(State(shared): State<Arc<Shared>>) -> Response {
    let w = wire(&shared);
    Json(w.chaos.as_ref().map(Chaos::describe).unwrap_or_else(|| serde_json::json!({"on": false}))).into_response()
}

async fn chaos_off(State(shared): State<Arc<Shared>>) -> Response {
    Json(wire(&shared).chaos_off()).into_response()
}

#[derive(serde::Deserialize)]
struct RequestsQuery {
    action: Option<String>,
    #[serde(rename = "match", default)]
    needle: String,
}

/// The AWS calls this stack made: `{"count", "byAction", "items"}` (`?action=&match=`).
async fn requests(State(shared): State<Arc<Shared>>, axum::extract::Query(q): axum::extract::Query<RequestsQuery>) -> Response {
    Json(wire(&shared).requests(q.action.as_deref(), &q.needle)).into_response()
}

async fn forget_requests(State(shared): State<Arc<Shared>>) -> Response {
    wire(&shared).forget_requests();
    Json(serde_json::json!({"ok": true})).into_response()
}
