//! `/new-link`: "Get a new link to your Parent Hub", the public page for a parent who has no link
//! that works. The parent gives an email address; the answer (202, the same page or body) never
//! tells whether it belongs to a parent on the course (`pt4c_app::new_link`).
//!
//! Like the other parents' forms it carries no CSRF token: there is no session or cookie to ride
//! on, and what it does (a link emailed to the address on file, counted) is what anyone may ask.

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pt4c_adapters::http::{decode_json, read_body, unknown_keys, wants_json, ApiError};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::new_link::{request_new_link, NewLinkRefusal};
use pt4c_domain::recovery::ClientKey;
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::FieldError;

use crate::pages::{message, page};

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/new-link", get(form).post(ask))
}

/// The one JSON answer to a request taken, whatever was found.
const ACCEPTED_JSON: &str = r#"{"status":"accepted"}"#;

#[derive(Template)]
#[template(path = "new_link.html")]
struct NewLinkPage<'a> {
    /// What is wrong with the address given, if anything.
    error: Option<&'a str>,
    value: &'a str,
}

/// GET /new-link: the form.
async fn form() -> Response {
    page(StatusCode::OK, NewLinkPage { error: None, value: "" }.render())
}

/// What the request said, and how it wants its answer.
struct Asked {
    json: bool,
    email: Result<EmailAddress, &'static str>,
    /// As typed, to show again in the form.
    typed: String,
}

/// POST /new-link: `application/x-www-form-urlencoded` (a page) or `application/json` (JSON).
async fn ask(State(deps): State<Deps>, req: Request) -> Response {
    let client = ClientKey::of(source_ip(&req).as_deref());
    let (parts, body) = req.into_parts();
    let asked = match read(&parts.headers, body).await {
        Ok(asked) => asked,
        Err(problem) => return problem.into_response(),
    };
    let email = match asked.email {
        Ok(email) => email,
        // Nothing is counted for an address that is not one.
        Err(why) if asked.json => return Problem::validation(vec![FieldError::new("email", why)]).into_response(),
        Err(_) => {
            let message = if asked.typed.trim().is_empty() {
                "Enter your email address"
            } else {
                "Enter an email address in the correct format, like name@example.com"
            };
            return page(StatusCode::UNPROCESSABLE_ENTITY, NewLinkPage { error: Some(message), value: &asked.typed }.render());
        }
    };
    match request_new_link(&deps.app, &email, &client).await {
        Ok(()) if asked.json => (StatusCode::ACCEPTED, [(header::CONTENT_TYPE, "application/json")], ACCEPTED_JSON).into_response(),
        Ok(()) => {
            let days = deps.config.timings.link_validity.as_hours() / 24;
            let validity = format!("The link works for {days} days. It may take a few minutes to arrive.");
            message(
                StatusCode::ACCEPTED,
                "Check your email",
                vec!["If this address belongs to a parent on the course, we have sent a new link to it.", validity.as_str()],
                None,
            )
        }
        Err(NewLinkRefusal::TooManyRequests) => {
            let mut res = if asked.json {
                Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    "Too many requests for a new link",
                    "Try again later: each address may ask a few times a day.",
                )
                .into_response()
            } else {
                message(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have asked for a new link too many times",
                    vec!["Check your email for the links we have already sent. You can ask again tomorrow."],
                    None,
                )
            };
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
            res
        }
        Err(NewLinkRefusal::Unavailable(e)) if asked.json => ApiError::Port(e).into_response(),
        Err(NewLinkRefusal::Unavailable(e)) => {
            tracing::warn!(error = %e, "new link by email address not taken");
            let mut res = message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, there is a problem with the service",
                vec!["Please go back and try again in a few minutes."],
                None,
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            res
        }
    }
}

/// The body as a form or as JSON (by its content type); anything else is a 415.
async fn read(headers: &HeaderMap, body: Body) -> Result<Asked, Problem> {
    let bytes = read_body(body).await?;
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| Problem::validation(vec![FieldError::new("email", "is not a valid form field")]))?;
        let typed = pairs.into_iter().find(|(k, _)| k == "email").map(|(_, v)| v).unwrap_or_default();
        let email = parse(&typed);
        return Ok(Asked { json: wants_json(headers), email, typed });
    }
    let value = decode_json(headers, &bytes)?;
    let mut errors = unknown_keys(&value, &["email"]);
    let email = match value.get("email") {
        None | Some(serde_json::Value::Null) => Err("is required"),
        Some(serde_json::Value::String(s)) => parse(s),
        Some(_) => Err("must be a string"),
    };
    if let Err(why) = email {
        errors.insert(0, FieldError::new("email", why));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok(Asked { json: true, email, typed: String::new() })
}

fn parse(typed: &str) -> Result<EmailAddress, &'static str> {
    if typed.trim().is_empty() {
        return Err("is required");
    }
    EmailAddress::parse(typed)
}

/// The client's address as API Gateway saw it (its request context); none locally.
fn source_ip(req: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match req.extensions().get::<RequestContext>() {
        #[allow(unreachable_patterns)]
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
}
