//! Staff accounts (coordinators only): add a trainer, coordinator or adviser (Cognito emails them
//! a temporary password; at first sign-in they choose their own and set up their authenticator
//! app), disable and re-enable an account.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use pt4c_adapters::cognito::{AdminError, NewStaff, StaffAccount};
use pt4c_app::staff::About;
use pt4c_domain::ports::StaffStore;
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::staff::{AuditOutcome, StaffRole};

use crate::pages::{self, error_for, FieldError, Who};
use crate::session::{Fields, Staff};
use crate::Shared;

const COORDINATOR: &[StaffRole] = &[StaffRole::Coordinator];

pub fn router() -> Router<Shared> {
    Router::new().route("/console/staff", get(list).post(add)).route("/console/staff/enabled", post(set_enabled))
}

#[derive(Template)]
#[template(path = "staff.html")]
struct Page {
    who: Option<Who>,
    csrf: String,
    accounts: Vec<StaffAccount>,
    values: (String, String, String),
    errors: Vec<FieldError>,
}

impl Page {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn page(
    c: &crate::Console,
    staff: &Staff,
    status: StatusCode,
    values: (String, String, String),
    errors: Vec<FieldError>,
) -> Response {
    let Ok(mut accounts) = c.cognito.list_staff().await else { return pages::unavailable() };
    accounts.sort_by(|a, b| a.email.cmp(&b.email));
    pages::render(status, Page { who: Some(Who::of(staff, "staff")), csrf: staff.csrf.clone(), accounts, values, errors }.render())
}

async fn list(State(c): State<Shared>, Extension(staff): Extension<Staff>) -> Response {
    if let Err(r) = staff.allow(&c, "staff.list", COORDINATOR, About::default()).await {
        return r;
    }
    page(&c, &staff, StatusCode::OK, Default::default(), vec![]).await
}

async fn add(State(c): State<Shared>, Extension(staff): Extension<Staff>, fields: Fields) -> Response {
    if let Err(r) = staff.allow(&c, "staff.add", COORDINATOR, About::default()).await {
        return r;
    }
    let values = (fields.get("name").to_owned(), fields.get("email").to_owned(), fields.get("role").to_owned());
    let mut errors = Vec::new();
    if values.0.is_empty() || values.0.chars().count() > 100 {
        errors.push(FieldError::new("name", "Enter their name (up to 100 characters)"));
    }
    let email = EmailAddress::parse(&values.1).ok();
    if email.is_none() {
        errors.push(FieldError::new("email", "Enter an email address in the correct format, like name@example.org"));
    }
    let role = StaffRole::parse(&values.2);
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose their role"));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return page(&c, &staff, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    };
    let new = NewStaff { email: email.as_str().to_owned(), name: values.0.clone(), role, password: None, permanent: false };
    let error = match c.cognito.create_staff(&new).await {
        Ok(()) => None,
        Err(AdminError::Exists) => Some(FieldError::new("email", "There is already an account with this email address")),
        Err(AdminError::Invalid(why)) => Some(FieldError::new("email", why)),
        Err(_) => return pages::unavailable(),
    };
    let outcome = if error.is_some() { AuditOutcome::Refused } else { AuditOutcome::Done };
    staff.audited(&c, &format!("staff.add.{}", role.as_str()), outcome, About::default()).await;
    match error {
        Some(e) => page(&c, &staff, StatusCode::CONFLICT, values, vec![e]).await,
        None => Redirect::to("/console/staff").into_response(),
    }
}

async fn set_enabled(State(c): State<Shared>, Extension(staff): Extension<Staff>, fields: Fields) -> Response {
    let enable = fields.get("enabled") == "true";
    let action = if enable { "staff.enable" } else { "staff.disable" };
    if let Err(r) = staff.allow(&c, action, COORDINATOR, About::default()).await {
        return r;
    }
    if !enable && staff.member.is(fields.get("email")) {
        return page(
            &c,
            &staff,
            StatusCode::CONFLICT,
            Default::default(),
            vec![FieldError::new("email", "You cannot disable your own account")],
        )
        .await;
    }
    match c.cognito.set_enabled(fields.get("email"), enable).await {
        Ok(()) => {}
        Err(AdminError::NotFound) => return crate::session::not_found(&staff, "Account"),
        Err(_) => return pages::unavailable(),
    }
    // Cognito's sign-out ends its tokens, not the console's sessions: those end here (within a
    // minute: sessions check when they are next touched).
    if !enable && c.deps.store.revoke_sessions(fields.get("email"), c.deps.now()).await.is_err() {
        return pages::unavailable();
    }
    staff.audited(&c, action, AuditOutcome::Done, About::default()).await;
    Redirect::to("/console/staff").into_response()
}
