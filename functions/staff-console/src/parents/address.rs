//! A coordinator corrects a parent's email address (after it bounced, or when the parent calls):
//! the new address is on file at once, the parent leaves the unreachable list, and a fresh link
//! goes to the new address once (`pt4c_app::delivery::correct_address`). Audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use pt4c_app::delivery::{correct_address, CorrectionRefusal};
use pt4c_app::staff::About;
use pt4c_domain::delivery::{Unreachable, UnreachableReason};
use pt4c_domain::referral::EmailAddress;

use super::{acting_on, done, render_parent, COORDINATOR};
use crate::pages::{self, FieldError};
use crate::session::{Fields, Staff};
use crate::Shared;

/// What the parent's page and the dashboard say of an address that failed.
pub(crate) fn describe(u: &Unreachable) -> String {
    let what = match u.reason {
        UnreachableReason::Bounced => "bounced",
        UnreachableReason::Complained => "was reported as unwanted by the recipient",
    };
    format!(
        "Emails to this address cannot be delivered: the {} email {what} on {}.",
        u.kind.as_str().replace('-', " "),
        pages::when(u.since)
    )
}

pub(super) async fn correct(
    State(c): State<Shared>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
    fields: Fields,
) -> Response {
    let p = match acting_on(&c, &staff, &id, "parent.email", COORDINATOR).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let invalid = |message: &str| FieldError::new("email", message);
    let address = match fields.opt("email").map(str::trim).filter(|e| !e.is_empty()) {
        None => Err(invalid("Enter the parent's email address")),
        Some(e) => EmailAddress::parse(e).map_err(|_| invalid("Enter an email address in the correct format, like name@example.com")),
    };
    let address = match address {
        Ok(a) => a,
        Err(e) => return render_parent(&c, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, vec![e], None).await,
    };
    let outcome = match correct_address(&c.deps.app, &p.record.parent_id, &address).await {
        Ok(()) => Ok(()),
        Err(CorrectionRefusal::Unchanged) => Err(invalid("This is the address on file already")),
        Err(CorrectionRefusal::Closed) => Err(invalid("This parent's course is closed: nothing more is sent")),
        Err(CorrectionRefusal::Stale) => Err(invalid("The address was changed by someone else just now: check it and try again")),
        Err(CorrectionRefusal::NotFound) => return crate::session::not_found(&staff, "Parent"),
        Err(CorrectionRefusal::Unavailable(e)) => {
            tracing::error!(error = %e, "address correction failed");
            return pages::unavailable();
        }
    };
    done(&c, &staff, "parent.email", About::parent(&p.record.parent_id), &id, outcome).await
}
