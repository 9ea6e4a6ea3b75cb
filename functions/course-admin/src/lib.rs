//! Course administration, the JSON API of the e-learning provider and of the staff who run the
//! course: the catalogue and completion reports, workshops, attendance, follow-up calls and
//! concerns. One module per resource, each with its router; the use cases are `pt4c_app`'s.

use axum::Router;
use pt4c_adapters::Deps;

mod attendance;
mod concerns;
mod elearning;
mod follow_ups;
mod workshops;

pub fn router(deps: Deps) -> Router {
    Router::new()
        .merge(elearning::router())
        .merge(workshops::router())
        .merge(attendance::router())
        .merge(follow_ups::router())
        .merge(concerns::router())
        .with_state(deps)
}
