//! What the console's pages share: the frame (header, navigation by role, sign-out), the
//! answers every page may give (403, 503, a refused form), and how times read.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pt4c_domain::london;
use pt4c_domain::staff::StaffRole;

/// The signed-in person as the frame shows them.
#[derive(Clone, Debug)]
pub struct Who {
    pub name: String,
    pub role: StaffRole,
    pub csrf: String,
    /// The navigation item of the page shown.
    pub section: &'static str,
}

impl Who {
    pub fn role_label(&self) -> &'static str {
        match self.role {
            StaffRole::Coordinator => "Coordinator",
            StaffRole::Trainer => "Trainer",
            StaffRole::Cafcass => "Family Court Adviser",
            StaffRole::Public => "Member of the public",
        }
    }
    /// (href, label, section) of the navigation this role has.
    pub fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut items = vec![("/console/", "Dashboard", "dashboard")];
        if self.role != StaffRole::Cafcass {
            items.push(("/console/workshops", "Workshops", "workshops"));
        }
        items.push(("/console/parents", "Parents", "parents"));
        if self.role != StaffRole::Cafcass {
            items.push(("/console/follow-ups", "Follow-up calls", "follow-ups"));
        }
        items.push(("/console/concerns", "Concerns", "concerns"));
        if self.role == StaffRole::Coordinator {
            items.push(("/console/reports", "Reports", "reports"));
            items.push(("/console/audit", "Audit", "audit"));
            items.push(("/console/staff", "Staff accounts", "staff"));
        }
        items
    }
}

pub use pt4c_domain::FieldError;

pub fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    who: Option<Who>,
    title: &'a str,
    paragraphs: Vec<&'a str>,
    link: Option<(&'a str, &'a str)>,
}

pub fn render(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service").into_response()
        }
    }
}

pub fn message(status: StatusCode, who: Option<Who>, title: &str, paragraphs: Vec<&str>, link: Option<(&str, &str)>) -> Response {
    render(status, MessagePage { who, title, paragraphs, link }.render())
}

pub fn unavailable() -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Sorry, there is a problem with the service",
        vec!["Nothing was changed. Try again in a few minutes."],
        None,
    )
}

pub fn csrf_refused() -> Response {
    message(
        StatusCode::FORBIDDEN,
        None,
        "This form has expired",
        vec!["Nothing was changed. Go back, reload the page and try again."],
        Some(("/console/", "Go to the dashboard")),
    )
}

/// "Monday 30 November 2026, 10:00am" in Europe/London.
pub fn when(t: jiff::Timestamp) -> String {
    t.to_zoned(london()).strftime("%A %-d %B %Y, %-I:%M%P").to_string()
}

pub fn day(d: jiff::civil::Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// `YYYY-MM-DDTHH:MM` in Europe/London, for a `datetime-local` field.
pub fn local_input(t: jiff::Timestamp) -> String {
    t.to_zoned(london()).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` value read as Europe/London time.
pub fn parse_local(s: &str) -> Option<jiff::Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    dt.to_zoned(london()).ok().map(|z| z.timestamp())
}
