//! The pages the law asks for, linked from every parent page's footer: the accessibility
//! statement, the privacy notice and how to contact the service. Public (no link token); the
//! organisations and addresses they name are configuration (`config::ServiceInfo`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use pt4c_adapters::config::ServiceInfo;
use pt4c_adapters::Deps;

use crate::pages::page;

pub(crate) fn router() -> Router<Deps> {
    Router::new().route("/accessibility", get(accessibility)).route("/privacy", get(privacy)).route("/contact", get(contact))
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage<'a> {
    service: &'a ServiceInfo,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    service: &'a ServiceInfo,
    /// How long personal data is kept after a referral closes, in words.
    retention: String,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage<'a> {
    service: &'a ServiceInfo,
}

async fn accessibility(State(deps): State<Deps>) -> Response {
    page(StatusCode::OK, AccessibilityPage { service: &deps.config.service }.render())
}

async fn privacy(State(deps): State<Deps>) -> Response {
    let days = deps.config.timings.retention.as_hours() / 24;
    let retention = if days % 365 == 0 && days > 0 {
        let years = days / 365;
        format!("{years} year{}", if years == 1 { "" } else { "s" })
    } else {
        format!("{days} days")
    };
    page(StatusCode::OK, PrivacyPage { service: &deps.config.service, retention }.render())
}

async fn contact(State(deps): State<Deps>) -> Response {
    page(StatusCode::OK, ContactPage { service: &deps.config.service }.render())
}
