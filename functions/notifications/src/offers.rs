//! The waiting list's side of the bus: a seat freed anywhere is offered to the waiting list; a
//! parent booked or off the course leaves it; a held seat is emailed to its parent. Each checked
//! against what is stored when the event is delivered.

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::Deps;
use pt4c_app::notices::send_once;
use pt4c_app::waiting;
use pt4c_domain::events::{DomainEvent, OfferMade};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::workshop::Mode;
use pt4c_domain::{ParentId, WorkshopId};

use crate::{counted, open_parent, skipped, workshop, Summary};

/// Whether this module is all an event is delivered here for.
pub(crate) fn only_for_offers(event: &DomainEvent) -> bool {
    matches!(
        event,
        DomainEvent::WorkshopPublished(_)
            | DomainEvent::OfferMade(_)
            | DomainEvent::OfferDeclined(_)
            | DomainEvent::OfferExpired(_)
            | DomainEvent::ReferralWithdrawn(_)
    )
}

/// What the waiting list does with an event: the workshops whose seats may have freed, and the
/// parents who may have settled.
fn concerns(event: &DomainEvent) -> (Vec<&WorkshopId>, Vec<&ParentId>) {
    match event {
        DomainEvent::BookingCancelled(e) => (vec![&e.workshop_id], vec![]),
        DomainEvent::WorkshopChanged(e) => (vec![&e.workshop_id], vec![]),
        DomainEvent::WorkshopPublished(e) => (vec![&e.workshop_id], vec![]),
        DomainEvent::OfferDeclined(e) => (vec![&e.workshop_id], vec![]),
        DomainEvent::OfferExpired(e) => (vec![&e.workshop_id], vec![]),
        DomainEvent::BookingMoved(e) => (vec![&e.from_workshop_id], vec![&e.parent_id]),
        DomainEvent::WorkshopBooked(e) => (vec![], vec![&e.parent_id]),
        DomainEvent::ParentNotCompleted(e) => (vec![], vec![&e.parent_id]),
        DomainEvent::ReferralWithdrawn(e) => (vec![], e.parent_ids.iter().collect()),
        _ => (vec![], vec![]),
    }
}

pub(crate) async fn handle(deps: &Deps, event: &DomainEvent) -> Result<Summary, ConsumerError> {
    let (workshops, parents) = concerns(event);
    // A cancelled workshop's held seats go back as its bookings do; each parent is offered on.
    if let DomainEvent::WorkshopCancelled(e) = event {
        waiting::release_holds_on(&deps.app, &e.workshop_id).await?;
    }
    // Parents first: a seat a settled parent held is given back, and its own event offers it on.
    for p in parents {
        waiting::parent_settled(&deps.app, p).await?;
    }
    for w in workshops {
        let offered = waiting::offer_seats(&deps.app, w).await?;
        if offered > 0 {
            tracing::info!(workshop_id = %w, offered, "seats offered to the waiting list");
        }
    }
    match event {
        DomainEvent::OfferMade(e) => seat_offered(deps, e).await,
        _ => Ok(Summary::default()),
    }
}

async fn seat_offered(deps: &Deps, event: &OfferMade) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    // Checked at delivery: an offer already answered, or ended, is not emailed.
    let Some(offer) = parent.offer.clone().filter(|o| o.offer_id == event.offer_id && !o.expired(deps.now())) else {
        tracing::info!(parent_id = %parent.parent_id, offer_id = %event.offer_id, "offer email moot: the offer is no longer held");
        return Ok(skipped());
    };
    let w = workshop(deps, &offer.workshop_id).await?;
    let (accept_url, decline_url) = deps.offer_links(&parent.parent_id, &offer)?;
    let email = emails::seat_offered(&emails::SeatOffered {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        mode: w.mode,
        address: (w.mode == Mode::InPerson).then_some(w.location.as_str()),
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        hold_until: offer.hold_until,
        accept_url: &accept_url,
        decline_url: &decline_url,
    })
    .map_err(ConsumerError::template("seat-offered"))?;
    let kind = NoticeKind::SeatOffered;
    counted(
        send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, offer.offer_id.as_str(), deps.now(), &email).await,
        &parent.parent_id,
        kind,
    )
}
