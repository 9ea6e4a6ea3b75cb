//! Parents in the console: finding one (by parent id, referral id, case number or name), their page
//! (progress as a timeline of everything that happened, emails included), and what staff do for
//! them: book or move a booking by phone, cancel it, send a fresh Hub link, raise a concern,
//! record a follow-up call. Who may see a parent is `pt4c_app::staff::parent_page`'s rule; every
//! view is audited.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::problem::explanation;
use pt4c_app::booking::{self, BookRefusal};
use pt4c_app::links::LinkRefusal;
use pt4c_app::staff::{parent_page, About, ParentPage};
use pt4c_app::{concerns, follow_ups, hub, workshops};
use pt4c_domain::ports::{FollowUpOutcome, FollowUpRecording};
use pt4c_domain::staff::{AuditOutcome, StaffRole};
use pt4c_domain::{ParentId, WorkshopId};

use crate::pages::{self, error_for, FieldError, Who};
use crate::session::{Fields, Staff};
use crate::workshops::access;
use crate::{Console, Shared};

mod address;
mod find;

pub(crate) use address::describe as describe_unreachable;

const EVERYONE: &[StaffRole] = &[StaffRole::Coordinator, StaffRole::Trainer, StaffRole::Cafcass];
const STAFF: &[StaffRole] = &[StaffRole::Coordinator, StaffRole::Trainer];
pub(crate) const COORDINATOR: &[StaffRole] = &[StaffRole::Coordinator];

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/console/parents", get(find::find))
        .route("/console/parents/{id}", get(show))
        .route("/console/parents/{id}/booking", post(book))
        .route("/console/parents/{id}/booking/cancel", post(cancel_booking))
        .route("/console/parents/{id}/new-link", post(new_link))
        .route("/console/parents/{id}/email", post(address::correct))
        .route("/console/parents/{id}/concerns", post(raise_concern))
        .route("/console/parents/{id}/follow-up", post(follow_up))
}

pub fn status_label(s: pt4c_domain::progress::ParentStatus) -> &'static str {
    use pt4c_domain::progress::ParentStatus::*;
    match s {
        Invited => "Invited",
        Activated => "Hub set up",
        ElearningStarted => "E-learning started",
        ElearningCompleted => "E-learning done",
        WorkshopBooked => "Workshop booked",
        DidNotAttend => "Did not attend",
        Completed => "Completed",
        NotCompleted => "Not completed",
        Withdrawn => "Withdrawn",
    }
}

/// One line of a parent's timeline.
pub struct Moment {
    pub at: Timestamp,
    pub when: String,
    pub title: String,
    pub by: Option<String>,
    pub detail: Option<String>,
}

fn moment(at: Timestamp, title: impl Into<String>, by: Option<String>, detail: Option<String>) -> Moment {
    Moment { at, when: pages::when(at), title: title.into(), by, detail }
}

/// Everything that happened to a parent, newest first.
fn timeline(p: &ParentPage) -> Vec<Moment> {
    let mut t = vec![moment(p.record.invited_at, "Referred and invited", None, None)];
    if let Some(at) = p.record.activated_at {
        t.push(moment(at, "Set up their Parent Hub", None, None));
    }
    for (module, at) in &p.record.modules {
        t.push(moment(*at, format!("E-learning module completed: {module}"), None, None));
    }
    if let Some(at) = p.record.elearning_completed_at {
        t.push(moment(at, "E-learning completed", None, None));
    }
    if let Some(b) = &p.record.booking {
        t.push(moment(b.booked_at, format!("Booked on the workshop of {}", pages::when(b.starts_at)), None, None));
    }
    if let Some(at) = p.record.completed_at {
        t.push(moment(at, "Completed the course", None, None));
    }
    if let Some(progress) = &p.progress {
        for n in &progress.notices {
            let how = match n.status {
                pt4c_domain::delivery::DeliveryStatus::Sent => String::new(),
                s => format!(" ({})", s.as_str()),
            };
            let what = match n.channel {
                pt4c_domain::progress::NoticeChannel::Email => "Email",
                pt4c_domain::progress::NoticeChannel::Sms => "Text",
            };
            t.push(moment(n.sent_at, format!("{what} sent: {}{how}", n.kind.as_str().replace('-', " ")), None, None));
        }
        if let Some(f) = &progress.follow_up {
            if let Some(at) = f.completed_at {
                t.push(moment(at, format!("Follow-up call: {}", f.outcome.as_deref().unwrap_or("recorded").replace('_', " ")), None, None));
            }
        }
    }
    for concern in &p.history.concerns {
        t.push(moment(concern.raised_at, "Concern raised", Some(concern.raised_by.clone()), Some(concern.summary.clone())));
    }
    for a in &p.history.audit {
        t.push(moment(
            a.at,
            format!("Staff: {} ({})", a.action.replace(['.', '_'], " "), a.outcome.as_str()),
            Some(format!("a {}", a.role.as_str())),
            None,
        ));
    }
    t.sort_by_key(|m| std::cmp::Reverse(m.at));
    t
}

#[derive(Template)]
#[template(path = "parent.html")]
struct ShowPage {
    who: Option<Who>,
    csrf: String,
    id: String,
    name: String,
    email: String,
    /// Why the address on file is no longer written to, and since when.
    unreachable: Option<String>,
    phone: String,
    status: &'static str,
    complete_by: String,
    case_number: String,
    court: String,
    adviser: String,
    booked: Option<String>,
    timeline: Vec<Moment>,
    /// (workshop id, label) a coordinator may book or move them to.
    choices: Vec<(String, String)>,
    /// Booking, moving, cancelling and fresh links: a coordinator, while the course is open.
    may_book: bool,
    /// Concerns (whatever the course's state: a safety concern always reaches the adviser) and
    /// follow-up calls: coordinators and trainers.
    may_act: bool,
    follow_up_due: bool,
    errors: Vec<FieldError>,
    notice: Option<String>,
    /// Interpreters and adjustments to arrange for their bookings (coordinators), for `tasks.html`.
    tasks: Vec<crate::arrangements::TaskRow>,
    back: &'static str,
    show_parent: bool,
}

impl ShowPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(serde::Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, Query(q): Query<ShowQuery>) -> Response {
    let notice = q.done.as_deref().and_then(done_notice).map(str::to_owned);
    render_parent(&c, &staff, &id, StatusCode::OK, vec![], notice).await
}

/// The parent's page, after `action` was checked (the view itself is audited as `parent.view`).
pub(crate) async fn render_parent(
    c: &Console,
    staff: &Staff,
    id: &str,
    status: StatusCode,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Response {
    if let Err(r) = staff.allow(c, "parent.view", EVERYONE, About::default()).await {
        return r;
    }
    let Ok(id) = ParentId::parse(id) else { return crate::session::not_found(staff, "Parent") };
    let p = match parent_page(&c.deps.app, &staff.member, &id, "parent.view").await {
        Ok(p) => p,
        Err(a) => return access(staff, a, "Parent"),
    };
    if let Err(r) = staff.audit(c, "parent.view", AuditOutcome::Done, About::parent(&id)).await {
        return r;
    }
    let is_coordinator = staff.member.role == StaffRole::Coordinator;
    let now = c.deps.now();
    let mut choices = Vec::new();
    if is_coordinator && !p.record.closed() {
        let until = now + SignedDuration::from_hours(24 * 7 * 12);
        match workshops::list(&c.deps.app, now, until).await {
            Ok(ws) => {
                for w in ws.iter().filter(|w| w.bookable(now) && w.mode.suits(p.record.workshop_mode)) {
                    if p.record.booking.as_ref().is_some_and(|b| b.workshop_id == w.workshop_id) {
                        continue;
                    }
                    let label = format!(
                        "{} ({}, {} of {} places left, trainer {})",
                        pages::when(w.starts_at),
                        mode_text(w.mode),
                        w.seats_left(),
                        w.capacity,
                        w.trainer.name
                    );
                    choices.push((w.workshop_id.to_string(), label));
                }
            }
            Err(_) => return pages::unavailable(),
        }
    }
    let tasks = if is_coordinator {
        match pt4c_domain::ports::ArrangementStore::tasks_of(&c.deps.store, &id).await {
            Ok(ts) => ts.iter().rev().map(|t| crate::arrangements::row(t, now, c.deps.timings())).collect(),
            Err(_) => return pages::unavailable(),
        }
    } else {
        vec![]
    };
    let follow_up_due = p.progress.as_ref().and_then(|pr| pr.follow_up.as_ref()).is_some_and(|f| f.completed_at.is_none());
    let page = ShowPage {
        who: Some(Who::of(staff, "parents")),
        csrf: staff.csrf.clone(),
        id: id.to_string(),
        name: format!("{} {}", p.record.first_name, p.record.last_name),
        email: p.record.email.as_str().to_owned(),
        unreachable: p.record.unreachable.as_ref().map(address::describe),
        phone: p.record.phone.clone().unwrap_or_else(|| "None given".into()),
        status: status_label(p.record.status),
        complete_by: pages::day(p.record.complete_by),
        case_number: p.case_number.clone(),
        court: p.court.clone(),
        adviser: format!("{} ({})", p.adviser_name, p.adviser_email),
        booked: p.record.booking.as_ref().map(|b| format!("{} ({})", pages::when(b.starts_at), mode_text(b.mode))),
        timeline: timeline(&p),
        choices,
        may_book: is_coordinator && !p.record.closed(),
        may_act: staff.member.role != StaffRole::Cafcass,
        follow_up_due,
        errors,
        notice,
        tasks,
        back: "parent",
        show_parent: false,
    };
    pages::render(status, page.render())
}

fn mode_text(m: pt4c_domain::workshop::Mode) -> &'static str {
    match m {
        pt4c_domain::workshop::Mode::Online => "online",
        pt4c_domain::workshop::Mode::InPerson => "in person",
    }
}

/// The parent an action is for, if this member may see them (else the answer to give).
pub(crate) async fn acting_on(c: &Console, staff: &Staff, id: &str, action: &str, roles: &[StaffRole]) -> Result<ParentPage, Response> {
    let parsed = ParentId::parse(id).ok();
    staff.allow(c, action, roles, parsed.as_ref().map(About::parent).unwrap_or_default()).await?;
    let Some(id) = parsed else { return Err(crate::session::not_found(staff, "Parent")) };
    parent_page(&c.deps.app, &staff.member, &id, action).await.map_err(|a| access(staff, a, "Parent"))
}

/// Audits an action's outcome; shows the refusal on the parent's page, or goes back to it (303)
/// saying what was done.
pub(crate) async fn done(c: &Console, staff: &Staff, action: &str, about: About, id: &str, outcome: Result<(), FieldError>) -> Response {
    let audited = if outcome.is_err() { AuditOutcome::Refused } else { AuditOutcome::Done };
    staff.audited(c, action, audited, about).await;
    match outcome {
        Err(e) => render_parent(c, staff, id, StatusCode::CONFLICT, vec![e], None).await,
        Ok(()) => Redirect::to(&format!("/console/parents/{id}?done={action}")).into_response(),
    }
}

/// What the page says after an action was done (the `done` of its address).
fn done_notice(action: &str) -> Option<&'static str> {
    Some(match action {
        "booking.book" => "Booked. The parent has been emailed a confirmation.",
        "booking.move" => "Booking moved. The parent has been emailed the new details.",
        "booking.cancel" => "Booking cancelled. The parent has been emailed and asked to book again.",
        "parent.new_link" => "A fresh Parent Hub link has been emailed to the parent.",
        "concern.raise" => "Concern raised. The Family Court Adviser has been emailed.",
        "follow_up.record" => "Follow-up call recorded.",
        "task.done" => "Marked as arranged.",
        "parent.email" => "Email address corrected. A fresh Parent Hub link has been sent to it.",
        _ => return None,
    })
}

/// Books a parent by phone, or moves their booking: the same rules as their own booking, in one transaction.
async fn book(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, fields: Fields) -> Response {
    let p = match acting_on(&c, &staff, &id, "booking.book", COORDINATOR).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(to) = WorkshopId::parse(fields.get("workshopId")) else {
        return render_parent(
            &c,
            &staff,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError::new("workshopId", "Choose a workshop")],
            None,
        )
        .await;
    };
    let moving = p.record.booking.is_some();
    let action = if moving { "booking.move" } else { "booking.book" };
    let result = if moving {
        booking::move_booking(&c.deps.app, &p.record, &to).await.map(|(b, _)| b)
    } else {
        booking::book(&c.deps.app, &p.record, &to).await.map(|(b, _)| b)
    };
    let error = match result {
        Ok(_) => None,
        Err(BookRefusal::Rule(r)) => Some(FieldError::new("workshopId", explanation(r))),
        Err(BookRefusal::NoWorkshop) => Some(FieldError::new("workshopId", "That workshop does not exist")),
        Err(BookRefusal::Link(LinkRefusal::Unavailable(e))) => {
            tracing::error!(error = %e, "booking by staff failed");
            return pages::unavailable();
        }
        // Link refusals carry tokens (an expired link's): never logged, and a staff booking has no link.
        Err(BookRefusal::Link(_)) | Err(BookRefusal::StaleCancelLink) => {
            tracing::error!("booking by staff refused as if by a link");
            return pages::unavailable();
        }
    };
    done(&c, &staff, action, About::both(&p.record.parent_id, &to), &id, error.map_or(Ok(()), Err)).await
}

async fn cancel_booking(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, _fields: Fields) -> Response {
    let p = match acting_on(&c, &staff, &id, "booking.cancel", COORDINATOR).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let about = p
        .record
        .booking
        .as_ref()
        .map(|b| About::both(&p.record.parent_id, &b.workshop_id))
        .unwrap_or_else(|| About::parent(&p.record.parent_id));
    let error = match booking::cancel_for(&c.deps.app, &p.record).await {
        Ok(_) => None,
        Err(BookRefusal::Rule(r)) => Some(FieldError::new("workshopId", explanation(r))),
        Err(_) => return pages::unavailable(),
    };
    done(&c, &staff, "booking.cancel", about, &id, error.map_or(Ok(()), Err)).await
}

async fn new_link(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, _fields: Fields) -> Response {
    let p = match acting_on(&c, &staff, &id, "parent.new_link", COORDINATOR).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let error = match hub::send_new_link(&c.deps.app, &p.record.parent_id).await {
        Ok(()) => None,
        Err(LinkRefusal::TooManyLinks) => {
            Some(FieldError::new("newLink", "This parent has been sent as many links as allowed today. Try again tomorrow."))
        }
        Err(_) => return pages::unavailable(),
    };
    done(&c, &staff, "parent.new_link", About::parent(&p.record.parent_id), &id, error.map_or(Ok(()), Err)).await
}

async fn raise_concern(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, fields: Fields) -> Response {
    let p = match acting_on(&c, &staff, &id, "concern.raise", STAFF).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let summary = pt4c_domain::text::required(fields.opt("summary"), "summary", |s| pt4c_domain::text::paragraphs(s, 2000), &mut errors);
    let Some(summary) = summary.filter(|_| errors.is_empty()) else {
        return render_parent(
            &c,
            &staff,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError::new("summary", "Describe the concern (up to 2,000 characters)")],
            None,
        )
        .await;
    };
    // Who raised it is the signed-in person, never a field of the form.
    if concerns::raise(&c.deps.app, &p.record.parent_id, staff.member.name.clone(), summary).await.is_err() {
        return pages::unavailable();
    }
    done(&c, &staff, "concern.raise", About::parent(&p.record.parent_id), &id, Ok(())).await
}

async fn follow_up(State(c): State<Shared>, Extension(staff): Extension<Staff>, Path(id): Path<String>, fields: Fields) -> Response {
    let p = match acting_on(&c, &staff, &id, "follow_up.record", STAFF).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = match fields.get("outcome") {
        "reached" => FollowUpOutcome::Reached,
        "no_answer" => FollowUpOutcome::NoAnswer,
        "declined" => FollowUpOutcome::Declined,
        _ => {
            return render_parent(
                &c,
                &staff,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![FieldError::new("outcome", "Choose how the call went")],
                None,
            )
            .await
        }
    };
    let notes = fields.opt("notes").map(|n| n.chars().take(2000).collect::<String>());
    let error = match follow_ups::record(&c.deps.app, &p.record.parent_id, outcome, notes.as_deref()).await {
        Ok(FollowUpRecording::Recorded(_)) | Ok(FollowUpRecording::AlreadyRecorded(_)) => None,
        Ok(_) => Some(FieldError::new("outcome", "No follow-up call is due for this parent")),
        Err(_) => return pages::unavailable(),
    };
    done(&c, &staff, "follow_up.record", About::parent(&p.record.parent_id), &id, error.map_or(Ok(()), Err)).await
}
