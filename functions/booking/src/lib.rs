//! The parent-facing pages. Every route carries a signed link; it is verified, in constant
//! time, before anything is read. Pages are GOV.UK Design System HTML; `Accept: application/json`
//! gets JSON. The use cases are `pt4c_app::hub` and `pt4c_app::booking`; this crate maps their
//! outcomes to pages and JSON, each in one place (`pages::link_refused`, `book::refused`).

use axum::extract::{Path, Request};

use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;

mod about;
mod book;
mod hub;
mod new_link;
mod offers;
mod pages;

/// GOV.UK Frontend's stylesheet without the GDS Transport font (see build.rs).
static HUB_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/hub.css"));
/// Versioned so browsers may cache it for good.
pub const STYLESHEET: &str = "/assets/hub-5.14.0.css";

pub fn router(deps: Deps) -> Router {
    Router::new()
        .merge(hub::router())
        .merge(book::router())
        .merge(offers::router())
        .merge(about::router())
        .merge(new_link::router())
        .route("/assets/{*file}", get(asset))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(deps)
}

/// Every answer: no framing, no referrer (links carry tokens), no sniffing, no caching of pages.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    pt4c_adapters::http::page_headers(&mut res, is_asset);
    res
}

async fn asset(Path(file): Path<String>) -> Response {
    if format!("/assets/{file}") == STYLESHEET {
        pt4c_adapters::http::stylesheet(HUB_CSS)
    } else {
        Problem::not_found("asset").into_response()
    }
}
