//! What the parents' pages share: the page frame, plain messages, and the answers to a link
//! that leads nowhere.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use pt4c_adapters::problem::Problem;
use pt4c_app::links::LinkRefusal;
use pt4c_domain::london;
use pt4c_domain::ports::PortError;
use pt4c_domain::workshop::Mode;

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    heading: &'a str,
    paragraphs: Vec<&'a str>,
    /// (action, button label)
    form: Option<(String, String)>,
    /// (label, url)
    link: Option<(String, String)>,
}

pub(crate) fn london_time(t: jiff::Timestamp) -> String {
    t.to_zoned(london()).strftime("%-d %B %Y at %-I:%M%P").to_string()
}

pub(crate) fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            Problem::internal().into_response()
        }
    }
}

pub(crate) fn message(status: StatusCode, heading: &str, paragraphs: Vec<&str>, new_link_action: Option<String>) -> Response {
    let form = new_link_action.map(|a| (a, "Email me a new link".to_owned()));
    page(status, MessagePage { heading, paragraphs, form, link: None }.render())
}

pub(crate) fn message_with(
    status: StatusCode,
    heading: &str,
    paragraphs: Vec<&str>,
    form: Option<(String, String)>,
    link: Option<(String, String)>,
) -> Response {
    page(status, MessagePage { heading, paragraphs, form, link }.render())
}

pub(crate) fn place(mode: Mode, location: Option<&str>) -> String {
    match (mode, location) {
        (Mode::InPerson, Some(address)) => format!("In person, at {address}."),
        (Mode::InPerson, None) => "In person.".to_owned(),
        (Mode::Online, _) => "Online. We will email you the joining link.".to_owned(),
    }
}

pub(crate) fn booked_place(mode: Mode, location: &str) -> String {
    match mode {
        Mode::Online => format!("Online: {location}"),
        Mode::InPerson => format!("In person, at {location}"),
    }
}

/// Where a parent with no link that works asks for one by email address: (label, url).
fn new_link_page() -> (String, String) {
    ("Get a new link to your Parent Hub".to_owned(), "/new-link".to_owned())
}

/// One place where a link that leads nowhere becomes a page or problem details.
pub(crate) fn link_refused(json: bool, r: LinkRefusal) -> Response {
    match r {
        LinkRefusal::InvalidLink if json => {
            Problem::new(StatusCode::FORBIDDEN, "invalid-link", "This link is not valid", "Use the latest link we emailed you.")
                .into_response()
        }
        LinkRefusal::InvalidLink => message_with(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            vec!["Check that you copied the whole link from your email, or use the latest email we sent you."],
            None,
            Some(new_link_page()),
        ),
        LinkRefusal::Expired { .. } if json => {
            Problem::new(StatusCode::GONE, "link-expired", "This link has expired", "Ask for a new link with POST /hub/{token}/new-link.")
                .into_response()
        }
        LinkRefusal::Expired { token } => message_with(
            StatusCode::GONE,
            "This link has expired",
            vec![
                "Links to your Parent Hub only work for a limited time, to keep your information safe.",
                "We can email you a new link. We will send it to the email address the court gave us for you.",
            ],
            Some((format!("/hub/{token}/new-link"), "Email me a new link".to_owned())),
            Some(new_link_page()),
        ),
        LinkRefusal::NotFound if json => Problem::not_found("parent").into_response(),
        LinkRefusal::NotFound => {
            message(StatusCode::NOT_FOUND, "We cannot find your details", vec!["Contact your Family Court Adviser."], None)
        }
        LinkRefusal::TooManyLinks => {
            let mut res = if json {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "Too many new links today", "Try again tomorrow.")
                    .into_response()
            } else {
                message(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have asked for too many new links today",
                    vec!["Check your email for the links we have already sent. You can ask for another link tomorrow."],
                    None,
                )
            };
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("86400"));
            res
        }
        LinkRefusal::Unavailable(e) if json => pt4c_adapters::http::ApiError::Port(e).into_response(),
        LinkRefusal::Unavailable(e) => {
            // A person gets a page, never problem details; the cause is logged, never shown.
            let status = match &e {
                PortError::Retryable(m) => {
                    tracing::warn!(error = %m, "a dependency is unavailable");
                    StatusCode::SERVICE_UNAVAILABLE
                }
                PortError::Permanent(m) => {
                    tracing::error!(error = %m, "request failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let mut res = message(
                status,
                "Sorry, there is a problem with the service",
                vec!["Nothing has been changed. Please go back and try again in a few minutes."],
                None,
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            res
        }
    }
}
