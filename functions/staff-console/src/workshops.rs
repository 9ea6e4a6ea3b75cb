//! Workshops in the console: the week's list, publishing, one workshop with its roster and
//! attendance, editing and cancelling. Coordinators do everything; a trainer sees and takes
//! attendance on their own workshops; advisers have no workshop pages.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::Timestamp;
use pt4c_app::attendance::{self, AttendanceRefusal};
use pt4c_app::staff::{workshop_for, About, Access};
use pt4c_app::workshops::{self, EditRefusal, RosterEntry, WorkshopRefusal};
use pt4c_domain::ports::WorkshopStore;
use pt4c_domain::staff::{AuditOutcome, StaffRole};
use pt4c_domain::workshop::{Mode, TrainerRequest, Workshop, WorkshopEdit, WorkshopRequest, WorkshopStatus};
use pt4c_domain::{ParentId, WorkshopId};

use crate::pages::{self, error_for, FieldError, Who};
use crate::session::{Fields, Staff};
use crate::Shared;

mod list;

pub(crate) const STAFF: &[StaffRole] = &[StaffRole::Coordinator, StaffRole::Trainer];
const COORDINATOR: &[StaffRole] = &[StaffRole::Coordinator];

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/console/workshops", get(list::list).post(publish))
        .route("/console/workshops/new", get(new_form))
        .route("/console/workshops/{id}", get(show))
        .route("/console/workshops/{id}/edit", get(edit_form).post(edit))
        .route("/console/workshops/{id}/cancel", post(cancel))
        .route("/console/workshops/{id}/attendance", post(record_attendance))
}

/// A workshop as the list and its page show it.
pub struct Row {
    pub id: String,
    pub when: String,
    pub mode: &'static str,
    pub trainer: String,
    pub seats: String,
    pub cancelled: bool,
}

pub fn row(w: &Workshop) -> Row {
    Row {
        id: w.workshop_id.to_string(),
        when: pages::when(w.starts_at),
        mode: mode_label(w.mode),
        trainer: w.trainer.name.clone(),
        seats: format!("{} of {}", w.seats_taken, w.capacity),
        cancelled: w.status == WorkshopStatus::Cancelled,
    }
}

fn mode_label(m: Mode) -> &'static str {
    match m {
        Mode::Online => "Online",
        Mode::InPerson => "In person",
    }
}

/// The workshops this member sees starting in [from, to).
pub async fn visible(c: &crate::Console, staff: &Staff, from: Timestamp, to: Timestamp) -> Result<Vec<Workshop>, Response> {
    let all = workshops::list(&c.deps.app, from, to).await.map_err(|_| pages::unavailable())?;
    Ok(all.into_iter().filter(|w| pt4c_app::staff::may_see_workshop(&staff.member, w)).collect())
}

#[derive(Template)]
#[template(path = "workshop_form.html")]
struct FormPage {
    who: Option<Who>,
    /// None: publishing a new one.
    workshop_id: Option<String>,
    csrf: String,
    values: FormValues,
    errors: Vec<FieldError>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Default)]
struct FormValues {
    starts_at: String,
    duration: String,
    mode: String,
    location: String,
    capacity: String,
    language: String,
    trainer_name: String,
    trainer_email: String,
    /// Languages an interpreter is booked for, comma-separated.
    interpreters: String,
}

fn form(staff: &Staff, status: StatusCode, id: Option<&WorkshopId>, values: FormValues, errors: Vec<FieldError>) -> Response {
    let page = FormPage {
        who: Some(Who::of(staff, "workshops")),
        workshop_id: id.map(|i| i.to_string()),
        csrf: staff.csrf.clone(),
        values,
        errors,
    };
    pages::render(status, page.render())
}

async fn new_form(State(c): State<Shared>, Extension(staff): Extension<Staff>) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.publish", COORDINATOR, About::default()).await {
        return r;
    }
    let values =
        FormValues { duration: "150".into(), capacity: "6".into(), language: "en".into(), mode: "online".into(), ..Default::default() };
    form(&staff, StatusCode::OK, None, values, vec![])
}

fn values_of(f: &Fields) -> FormValues {
    FormValues {
        starts_at: f.get("startsAt").into(),
        duration: f.get("durationMinutes").into(),
        mode: f.get("mode").into(),
        location: f.get("location").into(),
        capacity: f.get("capacity").into(),
        language: f.get("language").into(),
        trainer_name: f.get("trainerName").into(),
        trainer_email: f.get("trainerEmail").into(),
        interpreters: f.get("interpreters").into(),
    }
}

/// The form as the JSON API's request, so both are parsed by the same domain rules.
fn request_of(f: &Fields, errors: &mut Vec<FieldError>) -> WorkshopRequest {
    let starts_at = f.opt("startsAt").map(|s| match pages::parse_local(s) {
        Some(t) => t.to_string(),
        None => {
            errors.push(FieldError::new("startsAt", "Enter the date and time the workshop starts"));
            String::new()
        }
    });
    let mut number = |field: &'static str, label: &str| {
        f.opt(field).and_then(|v| match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new(field, format!("{label} must be a whole number")));
                None
            }
        })
    };
    let duration_minutes = number("durationMinutes", "Length in minutes");
    let capacity = number("capacity", "Places");
    let trainer = (f.opt("trainerName").is_some() || f.opt("trainerEmail").is_some())
        .then(|| TrainerRequest { name: f.opt("trainerName").map(Into::into), email: f.opt("trainerEmail").map(Into::into) });
    WorkshopRequest {
        starts_at,
        duration_minutes,
        mode: f.opt("mode").map(Into::into),
        location: f.opt("location").map(Into::into),
        capacity,
        language: f.opt("language").map(Into::into),
        trainer,
        // Languages an interpreter is booked for, as typed: "pl, ar" or "pl ar".
        interpreters: f.opt("interpreters").map(|v| v.split([',', ' ']).filter(|t| !t.is_empty()).map(Into::into).collect()),
    }
}

/// Field names of the domain's errors (`trainer.email`) as the form's (`trainerEmail`).
fn form_errors(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let field = match e.field.as_str() {
                "trainer.name" => "trainerName".to_owned(),
                "trainer.email" | "trainer" => "trainerEmail".to_owned(),
                other => other.to_owned(),
            };
            FieldError::new(field, e.message)
        })
        .collect()
}

async fn publish(State(c): State<Shared>, Extension(staff): Extension<Staff>, fields: Fields) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.publish", COORDINATOR, About::default()).await {
        return r;
    }
    let mut errors = Vec::new();
    let req = request_of(&fields, &mut errors);
    let id = workshops::new_id();
    let parsed = Workshop::parse(req, id.clone(), c.deps.now());
    let workshop = match (parsed, errors.is_empty()) {
        (Ok(w), true) => w,
        (parsed, _) => {
            errors.extend(parsed.err().unwrap_or_default());
            return form(&staff, StatusCode::UNPROCESSABLE_ENTITY, None, values_of(&fields), form_errors(errors));
        }
    };
    if workshops::publish(&c.deps.app, &workshop).await.is_err() {
        return pages::unavailable();
    }
    staff.audited(&c, "workshop.publish", AuditOutcome::Done, About::workshop(&id)).await;
    Redirect::to(&format!("/console/workshops/{id}")).into_response()
}

#[derive(Template)]
#[template(path = "workshop.html")]
struct ShowPage {
    who: Option<Who>,
    csrf: String,
    w: Row,
    location: String,
    language: String,
    ends: String,
    started: bool,
    roster: Vec<RosterEntry>,
    may_manage: bool,
    errors: Vec<FieldError>,
    /// Languages an interpreter is booked for.
    interpreters: Vec<String>,
}

impl ShowPage {
    /// The workshop is in the parent's language or has an interpreter for it (the offering rule's).
    fn has_interpreter(&self, language: &str) -> bool {
        let wanted = pt4c_domain::offering::primary_language(language);
        pt4c_domain::offering::primary_language(&self.language) == wanted
            || self.interpreters.iter().any(|i| pt4c_domain::offering::primary_language(i) == wanted)
    }
}

async fn show(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>) -> Response {
    show_with(&c, &staff, &id, StatusCode::OK, vec![]).await
}

async fn show_with(c: &crate::Console, staff: &Staff, id: &str, status: StatusCode, errors: Vec<FieldError>) -> Response {
    if let Err(r) = staff.allow(c, "workshop.view", STAFF, About::default()).await {
        return r;
    }
    let Ok(id) = WorkshopId::parse(id) else { return crate::session::not_found(staff, "Workshop") };
    if let Err(a) = workshop_for(&c.deps.app, &staff.member, &id, "workshop.view").await {
        return access(staff, a, "Workshop");
    }
    let (w, roster) = match workshops::with_roster(&c.deps.app, &id).await {
        Ok(x) => x,
        Err(WorkshopRefusal::NotFound) => return crate::session::not_found(staff, "Workshop"),
        Err(WorkshopRefusal::Unavailable(_)) => return pages::unavailable(),
    };
    if let Err(r) = staff.audit(c, "workshop.view", AuditOutcome::Done, About::workshop(&id)).await {
        return r;
    }
    let page = ShowPage {
        who: Some(Who::of(staff, "workshops")),
        csrf: staff.csrf.clone(),
        w: row(&w),
        location: w.location.clone(),
        language: w.language.clone(),
        ends: pages::when(w.ends_at),
        started: c.deps.now() >= w.starts_at,
        roster,
        may_manage: staff.member.role == StaffRole::Coordinator,
        errors,
        interpreters: w.interpreters.clone(),
    };
    pages::render(status, page.render())
}

pub fn access(staff: &Staff, a: Access, what: &str) -> Response {
    match a {
        Access::NotFound => crate::session::not_found(staff, what),
        Access::Forbidden => crate::session::forbidden(staff),
        Access::Unavailable(e) => {
            tracing::error!(error = %e, "access could not be checked");
            pages::unavailable()
        }
    }
}

async fn edit_form(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.edit", COORDINATOR, About::default()).await {
        return r;
    }
    let Ok(id) = WorkshopId::parse(&id) else { return crate::session::not_found(&staff, "Workshop") };
    let w = match c.deps.store.workshop(&id).await {
        Ok(Some(w)) => w,
        Ok(None) => return crate::session::not_found(&staff, "Workshop"),
        Err(_) => return pages::unavailable(),
    };
    let values = FormValues {
        starts_at: pages::local_input(w.starts_at),
        duration: w.duration_minutes.to_string(),
        mode: match w.mode {
            Mode::Online => "online".into(),
            Mode::InPerson => "in_person".into(),
        },
        location: w.location.clone(),
        capacity: w.capacity.to_string(),
        language: w.language.clone(),
        trainer_name: w.trainer.name.clone(),
        trainer_email: w.trainer.email.as_str().to_owned(),
        interpreters: w.interpreters.join(", "),
    };
    form(&staff, StatusCode::OK, Some(&id), values, vec![])
}

async fn edit(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, fields: Fields) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.edit", COORDINATOR, About::default()).await {
        return r;
    }
    let Ok(id) = WorkshopId::parse(&id) else { return crate::session::not_found(&staff, "Workshop") };
    let mut errors = Vec::new();
    let mut req = request_of(&fields, &mut errors);
    // Mode and language are the workshop's for good: the form shows them, an edit keeps them.
    req.mode = None;
    req.language = None;
    // An emptied interpreters field takes every interpreter off.
    if req.interpreters.is_none() && fields.0.contains_key("interpreters") {
        req.interpreters = Some(Vec::new());
    }
    let parsed = WorkshopEdit::parse(req, c.deps.now());
    let change = match (parsed, errors.is_empty()) {
        (Ok(e), true) => e,
        (parsed, _) => {
            errors.extend(parsed.err().unwrap_or_default());
            return form(&staff, StatusCode::UNPROCESSABLE_ENTITY, Some(&id), values_of(&fields), form_errors(errors));
        }
    };
    let refusal = match workshops::edit(&c.deps.app, &id, &change).await {
        Ok(_) => None,
        Err(EditRefusal::NotFound) => return crate::session::not_found(&staff, "Workshop"),
        Err(EditRefusal::Unavailable(_)) => return pages::unavailable(),
        Err(EditRefusal::NotOpen) => {
            Some(FieldError::new("startsAt", "This workshop is cancelled or has started, so it cannot be changed"))
        }
        Err(EditRefusal::CapacityBelowSeatsTaken { seats_taken }) => {
            Some(FieldError::new("capacity", format!("Places cannot be fewer than the {seats_taken} already booked")))
        }
    };
    let outcome = if refusal.is_some() { AuditOutcome::Refused } else { AuditOutcome::Done };
    staff.audited(&c, "workshop.edit", outcome, About::workshop(&id)).await;
    match refusal {
        Some(e) => form(&staff, StatusCode::CONFLICT, Some(&id), values_of(&fields), vec![e]),
        None => Redirect::to(&format!("/console/workshops/{id}")).into_response(),
    }
}

async fn cancel(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, fields: Fields) -> Response {
    if let Err(r) = staff.allow(&c, "workshop.cancel", COORDINATOR, About::default()).await {
        return r;
    }
    let Ok(wid) = WorkshopId::parse(&id) else { return crate::session::not_found(&staff, "Workshop") };
    let mut errors = Vec::new();
    let reason = pt4c_domain::text::required(fields.opt("reason"), "reason", |r| pt4c_domain::text::paragraphs(r, 500), &mut errors);
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        let errors =
            errors.into_iter().map(|e| FieldError::new(e.field, "Enter why the workshop is cancelled (up to 500 characters)")).collect();
        return show_with(&c, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    };
    match workshops::cancel(&c.deps.app, &wid, &reason).await {
        Ok(_) => {}
        Err(WorkshopRefusal::NotFound) => return crate::session::not_found(&staff, "Workshop"),
        Err(WorkshopRefusal::Unavailable(_)) => return pages::unavailable(),
    }
    staff.audited(&c, "workshop.cancel", AuditOutcome::Done, About::workshop(&wid)).await;
    Redirect::to(&format!("/console/workshops/{wid}")).into_response()
}

async fn record_attendance(
    State(c): State<Shared>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
    fields: Fields,
) -> Response {
    if let Err(r) = staff.allow(&c, "attendance.record", STAFF, About::default()).await {
        return r;
    }
    let Ok(wid) = WorkshopId::parse(&id) else { return crate::session::not_found(&staff, "Workshop") };
    if let Err(a) = workshop_for(&c.deps.app, &staff.member, &wid, "attendance.record").await {
        return access(&staff, a, "Workshop");
    }
    let Ok(parent_id) = ParentId::parse(fields.get("parentId")) else { return crate::session::not_found(&staff, "Parent") };
    let attended = match fields.get("attended") {
        "yes" => true,
        "no" => false,
        _ => {
            return show_with(
                &c,
                &staff,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![FieldError::new("attended", "Choose whether the parent attended")],
            )
            .await
        }
    };
    let refusal = match attendance::record(&c.deps.app, &wid, &parent_id, attended).await {
        Ok(_) => None,
        Err(AttendanceRefusal::Unavailable(_)) => return pages::unavailable(),
        Err(AttendanceRefusal::NoWorkshop) => return crate::session::not_found(&staff, "Workshop"),
        Err(AttendanceRefusal::NoParent) => return crate::session::not_found(&staff, "Parent"),
        Err(_) => Some(FieldError::new(
            "attended",
            "Attendance cannot be recorded for this parent now (the workshop has not started, or they are not booked on it)",
        )),
    };
    let outcome = if refusal.is_some() { AuditOutcome::Refused } else { AuditOutcome::Done };
    staff.audited(&c, "attendance.record", outcome, About::both(&parent_id, &wid)).await;
    match refusal {
        Some(e) => show_with(&c, &staff, &id, StatusCode::CONFLICT, vec![e]).await,
        None => Redirect::to(&format!("/console/workshops/{wid}")).into_response(),
    }
}
