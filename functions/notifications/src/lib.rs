//! Every email other than the welcome: each sent at most once per (parent, kind, subject).
//! One module per kind of event handled: bookings, reminders, outcomes, and emails to staff.

mod arrangements;
mod booking;
mod changes;
mod offers;
mod outcomes;
mod reminders;
mod staff;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use pt4c_adapters::consumer::{self, ConsumerError, DeadLetterQueue, Delivered};
use pt4c_adapters::Deps;
use pt4c_app::notices::Sending;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{CaseFile, CourseStore, ParentRecord, ParentStore, PortError};
use pt4c_domain::ParentId;
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub sent: usize,
    pub already_sent: usize,
    pub skipped: usize,
}

/// Each delivery, tried again in place while it fails for a transient cause; an event that can
/// never be handled goes to `dead_letters` at once (`consumer::deliver` decides which is which).
pub async fn handle(deps: &Deps, dead_letters: &DeadLetterQueue, event: EventBridgeEvent) -> Result<Delivered<Summary>, ConsumerError> {
    consumer::deliver(dead_letters, &event, || handle_once(deps, &event)).await
}

async fn handle_once(deps: &Deps, event: &EventBridgeEvent) -> Result<Summary, ConsumerError> {
    let detail_type = event.detail_type.as_str();
    let domain_event = consumer::read_event(detail_type, event.detail.clone())?;
    // The waiting list first: seats freed are offered on, parents settled leave it.
    let offered = offers::handle(deps, &domain_event).await?;
    // Interpreters and adjustments to arrange follow the booking the parent holds.
    arrangements::reconcile(deps, &domain_event).await?;
    let summary = match domain_event {
        DomainEvent::ELearningCompleted(e) => booking::book_workshop(deps, &e).await?,
        DomainEvent::WorkshopBooked(e) => booking::booking_confirmed(deps, &e).await?,
        DomainEvent::BookingCancelled(e) => booking::booking_cancelled(deps, &e).await?,
        DomainEvent::WorkshopCancelled(e) => booking::workshop_cancelled(deps, &e).await?,
        DomainEvent::WorkshopChanged(e) => changes::workshop_changed(deps, &e).await?,
        DomainEvent::BookingMoved(e) => changes::booking_moved(deps, &e).await?,
        DomainEvent::ReminderDue(e) => reminders::reminder(deps, &e).await?,
        DomainEvent::WorkshopAttended(e) => outcomes::completed(deps, &e).await?,
        DomainEvent::WorkshopMissed(e) => outcomes::did_not_attend(deps, &e).await?,
        DomainEvent::ParentNotCompleted(e) => outcomes::not_completed(deps, &e).await?,
        DomainEvent::ReferralCompleted(e) => outcomes::referral_completed(deps, &e).await?,
        DomainEvent::FollowUpOverdue(e) => staff::follow_up_overdue(deps, &e).await?,
        DomainEvent::ConcernRaised(e) => staff::concern_raised(deps, &e).await?,
        other if offers::only_for_offers(&other) => offered,
        other => return Err(ConsumerError::permanent(format!("not for this function: {}", other.detail_type()))),
    };
    tracing::info!(detail_type = %detail_type, sent = summary.sent, already_sent = summary.already_sent, skipped = summary.skipped, "delivery handled");
    Ok(summary)
}

/// One email's outcome as a summary, logged by ids.
fn counted(result: Result<Sending, PortError>, parent: &ParentId, kind: NoticeKind) -> Result<Summary, ConsumerError> {
    match result {
        Ok(Sending::Sent { message_id }) => {
            tracing::info!(parent_id = %parent, kind = kind.as_str(), message_id = %message_id, "email sent");
            Ok(Summary { sent: 1, ..Summary::default() })
        }
        Ok(Sending::AlreadySent) => Ok(Summary { already_sent: 1, ..Summary::default() }),
        Err(e) => {
            tracing::warn!(parent_id = %parent, kind = kind.as_str(), error = %e, "email not sent");
            Err(e.into())
        }
    }
}

/// After its email went (or had gone), the notice's text, once: a failed text fails the delivery,
/// whose retry finds the email sent and sends only the text.
async fn and_text(
    deps: &Deps,
    emailed: Result<Summary, ConsumerError>,
    parent: &ParentRecord,
    kind: NoticeKind,
    subject: &str,
    text: String,
) -> Result<Summary, ConsumerError> {
    let summary = emailed?;
    let t = pt4c_app::texting::Text { parent: &parent.parent_id, phone: parent.phone.as_deref(), kind, subject, text };
    deps.text(t).await?;
    Ok(summary)
}

fn skipped() -> Summary {
    Summary { skipped: 1, ..Summary::default() }
}

/// The parent an event names; an event naming no parent we hold can never be handled.
async fn parent(deps: &Deps, id: &ParentId) -> Result<ParentRecord, ConsumerError> {
    deps.store.parent(id).await?.ok_or_else(|| ConsumerError::permanent(format!("no parent {id}")))
}

/// The parent, unless they left the course (then nothing is sent).
async fn open_parent(deps: &Deps, id: &ParentId) -> Result<Option<ParentRecord>, ConsumerError> {
    let p = parent(deps, id).await?;
    Ok((!p.closed()).then_some(p))
}

async fn case_file(deps: &Deps, id: &pt4c_domain::ReferralId) -> Result<CaseFile, ConsumerError> {
    deps.store.case_file(id).await?.ok_or_else(|| ConsumerError::permanent(format!("no referral {id}")))
}

/// The workshop an event names; one we do not hold can never be handled.
async fn workshop(deps: &Deps, id: &pt4c_domain::WorkshopId) -> Result<pt4c_domain::workshop::Workshop, ConsumerError> {
    use pt4c_domain::ports::WorkshopStore;
    deps.store.workshop(id).await?.ok_or_else(|| ConsumerError::permanent(format!("no workshop {id}")))
}

/// A parent's calendar event for their booking on `w`: the same UID in every invitation about it,
/// the workshop's edit count as its SEQUENCE.
fn calendar(
    deps: &Deps,
    w: &pt4c_domain::workshop::Workshop,
    parent: &ParentId,
    method: pt4c_adapters::ics::Method,
) -> pt4c_domain::notice::Attachment {
    let ics = pt4c_adapters::ics::invitation(&pt4c_adapters::ics::Invitation {
        method,
        uid: &pt4c_adapters::ics::booking_uid(&w.workshop_id, parent),
        sequence: w.sequence,
        organizer: &deps.config.sender_email,
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        summary: "Planning Together for Children workshop",
        location: &w.location,
        description: "Your Planning Together for Children workshop (2 and a half hours).",
        stamp: deps.now(),
    });
    let filename = if method == pt4c_adapters::ics::Method::Cancel { "cancelled-workshop.ics" } else { "workshop.ics" };
    pt4c_domain::notice::Attachment { filename: filename.into(), content_type: "text/calendar".into(), content: ics.into_bytes() }
}
