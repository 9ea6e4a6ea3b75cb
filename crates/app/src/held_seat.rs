//! The seat held for a parent from the waiting list, as their booking page shows it: the booking
//! page reads it, the waiting list makes it (`waiting`), so it belongs to neither.

use pt4c_domain::ports::{ParentRecord, PortError};
use pt4c_domain::WorkshopId;

use crate::App;

/// A held seat as the booking page shows it (api.md: `offer`).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    pub workshop_id: WorkshopId,
    pub starts_at: jiff::Timestamp,
    pub hold_until: jiff::Timestamp,
    pub accept_url: String,
    pub decline_url: String,
}

/// The seat held for the parent now, if any (one whose hold has ended is not shown).
pub fn offer_view<S, B>(app: &App<S, B>, parent: &ParentRecord) -> Result<Option<OfferView>, PortError> {
    let Some(offer) = parent.offer.as_ref().filter(|o| !o.expired(app.now())) else { return Ok(None) };
    let (accept_url, decline_url) = app.offer_links(&parent.parent_id, offer)?;
    Ok(Some(OfferView {
        workshop_id: offer.workshop_id.clone(),
        starts_at: offer.starts_at,
        hold_until: offer.hold_until,
        accept_url,
        decline_url,
    }))
}
