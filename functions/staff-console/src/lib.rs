//! The staff console: pages for coordinators, trainers and Family Court Advisers under
//! `/console/`. People sign in with the console's own pages against the Cognito user pool
//! (`sign_in`), then hold a server-side session (`session`). Every page checks the role on the
//! server and every refusal is audited; every form carries the session's CSRF token. The actions
//! are the same use cases the JSON API runs (`pt4c_app`), mapped to pages in one place per resource.

use std::sync::Arc;

use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pt4c_adapters::cognito::{Cognito, IdTokenVerifier, PoolSettings};
use pt4c_adapters::Deps;
use pt4c_domain::staff::SessionLimits;

mod accounts;
mod arrangements;
mod audit;
mod concerns;
mod dashboard;
mod follow_ups;
mod pages;
mod parents;
mod reports;
mod session;
mod sign_in;
mod workshops;

pub use session::{SESSION_COOKIE_LOCAL, SESSION_COOKIE_SECURE};

/// GOV.UK Frontend and MOJ Frontend stylesheets, bundled at build time (see build.rs).
static CONSOLE_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/console.css"));
/// Versioned so browsers may cache it for good: the frameworks' versions and our rules' (console.css).
pub const STYLESHEET: &str = "/console/assets/console-5.14.0-8.0.1-2.css";

/// What every console handler runs over.
pub struct Console {
    pub deps: Deps,
    pub cognito: Cognito,
    pub verifier: IdTokenVerifier,
    /// `Secure` cookies with the `__Host-` prefix (everywhere but the local stack, which is plain HTTP).
    pub secure_cookies: bool,
    pub limits: SessionLimits,
}

pub type Shared = Arc<Console>;

impl Console {
    pub fn new(deps: Deps, cognito: Cognito, secure_cookies: bool) -> Self {
        let verifier = IdTokenVerifier::new(cognito.settings(), reqwest_client());
        Self { deps, cognito, verifier, secure_cookies, limits: SessionLimits::default() }
    }

    /// In Lambda: the table, bus and pool from the environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config_from_env().await;
        let deps = Deps::from_sdk_env(&sdk, false).await?;
        let cognito = Cognito::new(&sdk, PoolSettings::from_env()?);
        Ok(Self::new(deps, cognito, true))
    }
}

async fn aws_config_from_env() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default()
}

pub fn router(console: Console) -> Router {
    let shared: Shared = Arc::new(console);
    let signed_in = Router::new()
        .merge(dashboard::router())
        .merge(arrangements::router())
        .merge(workshops::router())
        .merge(parents::router())
        .merge(follow_ups::router())
        .merge(concerns::router())
        .merge(audit::router())
        .merge(reports::router())
        .merge(accounts::router())
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), session::require_session));
    Router::new()
        .merge(sign_in::router())
        .merge(signed_in)
        .route("/console/assets/{*file}", get(asset))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(shared)
}

/// Every answer: no framing, no referrer, no sniffing, and no page kept in any cache.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/console/assets/");
    let mut res = next.run(req).await;
    pt4c_adapters::http::page_headers(&mut res, is_asset);
    res
}

async fn asset(Path(file): Path<String>) -> Response {
    if format!("/console/assets/{file}") == STYLESHEET {
        pt4c_adapters::http::stylesheet(CONSOLE_CSS)
    } else {
        (StatusCode::NOT_FOUND, "Not found").into_response()
    }
}
