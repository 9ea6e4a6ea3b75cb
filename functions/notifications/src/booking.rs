//! Bookings: the invitation to book once the e-learning is done, a booking confirmed, a booking
//! cancelled by the parent, and a workshop cancelled by the course team.

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::Deps;
use pt4c_app::notices::send_once;
use pt4c_domain::events::{BookingCancelled, ELearningCompleted, WorkshopBooked, WorkshopCancelled};
use pt4c_domain::link::Purpose;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::ParentRecord;
use pt4c_domain::workshop::WorkshopStatus;

use crate::{and_text, calendar, counted, open_parent, parent, skipped, workshop, Summary};
use pt4c_adapters::ics::Method;

pub(crate) async fn book_workshop(deps: &Deps, event: &ELearningCompleted) -> Result<Summary, ConsumerError> {
    let parent = parent(deps, &event.parent_id).await?;
    if parent.closed() {
        return Ok(skipped());
    }
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::book_workshop(&emails::BookWorkshop {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        booking_url: &booking_url,
        complete_by: parent.complete_by,
    })
    .map_err(ConsumerError::template("book-workshop"))?;
    let kind = NoticeKind::BookWorkshop;
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, "elearning", deps.now(), &email).await, &parent.parent_id, kind)
}

pub(crate) async fn booking_confirmed(deps: &Deps, event: &WorkshopBooked) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let w = workshop(deps, &event.workshop_id).await?;
    // Checked at delivery: a confirmation delivered late must not contradict a cancellation
    // (the parent's, or the workshop's) that came first.
    let still_held = parent.booking.as_ref().is_some_and(|b| b.workshop_id == event.workshop_id && b.booked_at == event.booked_at);
    if !still_held || w.status != WorkshopStatus::Open {
        tracing::info!(parent_id = %parent.parent_id, workshop_id = %event.workshop_id, "booking confirmation moot: the booking is no longer held");
        return Ok(skipped());
    }
    let cancel_url = deps.cancel_link(&parent.parent_id, &event.workshop_id, event.booked_at, parent.complete_by)?;
    let invitation = calendar(deps, &w, &parent.parent_id, Method::Publish);
    let email = emails::booking_confirmed(
        &emails::BookingConfirmed {
            to: parent.email.as_str(),
            first_name: &parent.first_name,
            mode: w.mode,
            location: &w.location,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            cancel_url: &cancel_url,
        },
        invitation,
    )
    .map_err(ConsumerError::template("booking-confirmed"))?;
    let kind = NoticeKind::BookingConfirmed;
    let subject = format!("{}@{}", event.workshop_id, event.booked_at.as_second());
    let emailed =
        counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind);
    and_text(deps, emailed, &parent, kind, &subject, pt4c_domain::sms::texts::booking_confirmed(w.starts_at)).await
}

pub(crate) async fn booking_cancelled(deps: &Deps, event: &BookingCancelled) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    // Checked at delivery: a parent who booked again since is not asked to book (it would
    // contradict the booking they hold); they are told what they hold.
    let email = emails::booking_cancelled(&emails::BookingCancelled {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        rebooked: rebooked_since(&parent, event.cancelled_at).map(|b| (b.starts_at, b.ends_at)),
        complete_by: parent.complete_by,
        booking_url: &booking_url,
    })
    .map_err(ConsumerError::template("booking-cancelled"))?;
    let kind = NoticeKind::BookingCancelled;
    let subject = format!("{}@{}", event.workshop_id, event.cancelled_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

/// The booking a parent made at or after `t`, if they hold one.
fn rebooked_since(parent: &ParentRecord, t: jiff::Timestamp) -> Option<&pt4c_domain::workshop::Booking> {
    parent.booking.as_ref().filter(|b| b.booked_at >= t)
}

/// Every parent who held a seat on a cancelled workshop is told, once (each release carries its
/// own event); one who booked another since is told what they hold rather than asked to book.
pub(crate) async fn workshop_cancelled(deps: &Deps, event: &WorkshopCancelled) -> Result<Summary, ConsumerError> {
    let mut summary = Summary::default();
    if event.parent_ids.is_empty() {
        return Ok(summary);
    }
    let w = workshop(deps, &event.workshop_id).await?;
    let mut failure: Option<ConsumerError> = None;
    for id in &event.parent_ids {
        let Some(parent) = open_parent(deps, id).await? else {
            summary.skipped += 1;
            continue;
        };
        if parent.booking.as_ref().is_some_and(|b| b.workshop_id == event.workshop_id) {
            // Not released yet: nothing is true to say until it is (the release's own event tells them).
            summary.skipped += 1;
            continue;
        }
        let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
        // The invitation sent for the booking is taken out of the parent's calendar (same UID).
        let email = emails::workshop_cancelled(
            &emails::WorkshopCancelled {
                to: parent.email.as_str(),
                first_name: &parent.first_name,
                rebooked: parent.booking.as_ref().map(|b| (b.starts_at, b.ends_at)),
                booking_url: &booking_url,
            },
            calendar(deps, &w, id, Method::Cancel),
        )
        .map_err(ConsumerError::template("workshop-cancelled"))?;
        let kind = NoticeKind::WorkshopCancelled;
        match counted(send_once(&deps.store, &deps.mailer, id, kind, event.workshop_id.as_str(), deps.now(), &email).await, id, kind) {
            Ok(s) => {
                summary.sent += s.sent;
                summary.already_sent += s.already_sent;
            }
            // A transient failure wins: its retry may still tell that parent.
            Err(e) if !failure.as_ref().is_some_and(ConsumerError::is_transient) => failure = Some(e),
            Err(_) => {}
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}
