//! Finding parents: by parent id (their page), referral id, case number (the parents of the
//! case's referrals) or name (the surname last, a first name before it). A list shows only the
//! parents the person may open.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use pt4c_app::referrals;
use pt4c_app::staff::{parents_named, parents_of_referral, About, ListedParent};
use pt4c_domain::referral::CaseNumber;
use pt4c_domain::{ParentId, ReferralId};

use super::{status_label, EVERYONE};
use crate::pages::{self, Who};
use crate::session::Staff;
use crate::{Console, Shared};

#[derive(serde::Deserialize)]
pub(super) struct FindQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "parents.html")]
struct FindPage {
    who: Option<Who>,
    q: String,
    searched: bool,
    /// (parent id, name, status)
    found: Vec<(String, String, String)>,
}

pub(super) async fn find(State(c): State<Shared>, Extension(staff): Extension<Staff>, Query(q): Query<FindQuery>) -> Response {
    if let Err(r) = staff.allow(&c, "parent.find", EVERYONE, About::default()).await {
        return r;
    }
    let q = q.q.unwrap_or_default().trim().to_owned();
    if let Ok(id) = ParentId::parse(&q) {
        return Redirect::to(&format!("/console/parents/{id}")).into_response();
    }
    let mut found = Vec::new();
    if let Ok(referral) = ReferralId::parse(&q) {
        if let Err(r) = list_parents(&c, &staff, &referral, &mut found).await {
            return r;
        }
    }
    // Not a referral's id: a case number (normalised), its referrals found by lookup, never a scan.
    if found.is_empty() {
        if let Ok(case) = CaseNumber::parse(&q) {
            let Ok(referrals) = referrals::find_case(&c.deps.app, &case).await else { return pages::unavailable() };
            for referral in &referrals {
                if let Err(r) = list_parents(&c, &staff, referral, &mut found).await {
                    return r;
                }
            }
        }
    }
    // Nor a case's: a name, its last word the surname, its parents found by lookup too.
    if found.is_empty() {
        let Ok(parents) = parents_named(&c.deps.app, &staff.member, &q).await else { return pages::unavailable() };
        found.extend(parents.into_iter().map(row));
    }
    let page = FindPage { who: Some(Who::of(&staff, "parents")), searched: !q.is_empty(), q, found };
    pages::render(StatusCode::OK, page.render())
}

/// Adds a referral's parents to `found`, only those this person may open (`parents_of_referral`
/// holds `parent_page`'s rule; the page itself checks again).
async fn list_parents(
    c: &Console,
    staff: &Staff,
    referral: &ReferralId,
    found: &mut Vec<(String, String, String)>,
) -> Result<(), Response> {
    let parents = parents_of_referral(&c.deps.app, &staff.member, referral).await.map_err(|_| pages::unavailable())?;
    found.extend(parents.into_iter().map(row));
    Ok(())
}

/// A parent as the page lists them: (parent id, name, status).
fn row(p: ListedParent) -> (String, String, String) {
    (p.parent_id.to_string(), p.name, status_label(p.status).to_owned())
}
