//! A booking's workshop changed: a workshop edited (each booked parent gets the updated invitation,
//! the trainers are told when it changes hands) and a booking moved to another workshop.

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::ics::Method;
use pt4c_adapters::Deps;
use pt4c_app::notices::{send_once, send_once_for_workshop};
use pt4c_domain::events::{BookingMoved, WorkshopChanged};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::WorkshopStore;
use pt4c_domain::workshop::{Trainer, Workshop, WorkshopStatus};

use crate::{calendar, counted, open_parent, skipped, workshop, Summary};

/// Adds one email's outcome to a delivery's; a transient failure wins (its retry may still send).
fn tally(summary: &mut Summary, failure: &mut Option<ConsumerError>, outcome: Result<Summary, ConsumerError>) {
    match outcome {
        Ok(s) => {
            summary.sent += s.sent;
            summary.already_sent += s.already_sent;
            summary.skipped += s.skipped;
        }
        Err(e) if !failure.as_ref().is_some_and(ConsumerError::is_transient) => *failure = Some(e),
        Err(_) => {}
    }
}

pub(crate) async fn workshop_changed(deps: &Deps, event: &WorkshopChanged) -> Result<Summary, ConsumerError> {
    let w = workshop(deps, &event.workshop_id).await?;
    if w.status != WorkshopStatus::Open {
        // Cancelled since: the cancellation tells everyone what is true.
        return Ok(skipped());
    }
    let (mut summary, mut failure) = (Summary::default(), None);
    // A later edit's own event tells the parents what is true then; this one would say it twice.
    if w.sequence == event.sequence {
        for (parent_id, _) in deps.store.roster(&w.workshop_id).await? {
            let outcome = tell_parent(deps, &w, &parent_id, event.sequence).await;
            tally(&mut summary, &mut failure, outcome);
        }
    } else {
        summary.skipped += 1;
    }
    // The trainer this edit replaced is kept with the edit's sequence (a later change replaces it).
    if let Some(previous) = w.trainer_changed_by(event.sequence).filter(|_| event.trainer_changed).cloned() {
        for (trainer, assigned) in [(&previous, false), (&w.trainer, true)] {
            let outcome = tell_trainer(deps, &w, trainer, assigned, event.sequence).await;
            tally(&mut summary, &mut failure, outcome);
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

async fn tell_parent(deps: &Deps, w: &Workshop, parent_id: &pt4c_domain::ParentId, sequence: u32) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, parent_id).await? else { return Ok(skipped()) };
    // Checked at delivery: only a parent still booked there is sent the change.
    let Some(held) = parent.booking.as_ref().filter(|b| b.workshop_id == w.workshop_id) else { return Ok(skipped()) };
    let cancel_url = deps.cancel_link(&parent.parent_id, &w.workshop_id, held.booked_at, parent.complete_by)?;
    let email = emails::workshop_changed(
        &emails::HeldWorkshop {
            to: parent.email.as_str(),
            first_name: &parent.first_name,
            mode: w.mode,
            location: &w.location,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            cancel_url: &cancel_url,
        },
        calendar(deps, w, &parent.parent_id, Method::Request),
    )
    .map_err(ConsumerError::template("workshop-changed"))?;
    let kind = NoticeKind::WorkshopChanged;
    let subject = format!("{}@{sequence}", w.workshop_id);
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

async fn tell_trainer(deps: &Deps, w: &Workshop, trainer: &Trainer, assigned: bool, sequence: u32) -> Result<Summary, ConsumerError> {
    let kind = NoticeKind::TrainerChanged;
    let email = emails::trainer_changed(&emails::TrainerChanged {
        to: trainer.email.as_str(),
        trainer_name: &trainer.name,
        assigned,
        mode: w.mode,
        location: &w.location,
        starts_at: w.starts_at,
        ends_at: w.ends_at,
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    let subject = format!("{}@{sequence}", if assigned { "new" } else { "previous" });
    let sent = send_once_for_workshop(&deps.store, &deps.mailer, &w.workshop_id, kind, &subject, deps.now(), &email).await;
    match sent {
        Ok(pt4c_app::notices::Sending::Sent { message_id }) => {
            tracing::info!(workshop_id = %w.workshop_id, kind = kind.as_str(), assigned, message_id = %message_id, "email sent");
            Ok(Summary { sent: 1, ..Summary::default() })
        }
        Ok(pt4c_app::notices::Sending::AlreadySent) => Ok(Summary { already_sent: 1, ..Summary::default() }),
        Err(e) => {
            tracing::warn!(workshop_id = %w.workshop_id, kind = kind.as_str(), error = %e, "email not sent");
            Err(e.into())
        }
    }
}

/// One email: the new workshop with its invitation, and the old invitation cancelled.
pub(crate) async fn booking_moved(deps: &Deps, event: &BookingMoved) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    // Checked at delivery: a move cancelled or moved again since must not be confirmed.
    let still_held = parent.booking.as_ref().is_some_and(|b| b.workshop_id == event.to_workshop_id && b.booked_at == event.moved_at);
    let to = workshop(deps, &event.to_workshop_id).await?;
    if !still_held || to.status != WorkshopStatus::Open {
        tracing::info!(parent_id = %parent.parent_id, workshop_id = %event.to_workshop_id, "move confirmation moot: the booking is no longer held");
        return Ok(skipped());
    }
    let from = workshop(deps, &event.from_workshop_id).await?;
    let cancel_url = deps.cancel_link(&parent.parent_id, &to.workshop_id, event.moved_at, parent.complete_by)?;
    let email = emails::booking_moved(
        &emails::HeldWorkshop {
            to: parent.email.as_str(),
            first_name: &parent.first_name,
            mode: to.mode,
            location: &to.location,
            starts_at: to.starts_at,
            ends_at: to.ends_at,
            cancel_url: &cancel_url,
        },
        vec![calendar(deps, &to, &parent.parent_id, Method::Publish), calendar(deps, &from, &parent.parent_id, Method::Cancel)],
    )
    .map_err(ConsumerError::template("booking-moved"))?;
    let kind = NoticeKind::BookingMoved;
    let subject = format!("{}@{}", event.to_workshop_id, event.moved_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}
