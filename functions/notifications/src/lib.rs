//! Every email other than the welcome: each sent at most once per (parent, kind, subject).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use pt4c_adapters::emails::{self, BookWorkshop};
use pt4c_adapters::Deps;
use pt4c_domain::events::{BookingCancelled, DomainEvent, ELearningCompleted, WorkshopBooked, WorkshopCancelled};
use pt4c_domain::notice::Attachment;
use pt4c_domain::ports::{ParentRecord, WorkshopStore};
use pt4c_domain::workshop::Mode;
use pt4c_domain::link::Purpose;
use pt4c_domain::notice::{send_once, NoticeKind, Sending};
use pt4c_domain::ports::{ParentStore, PortError};
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub sent: usize,
    pub already_sent: usize,
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("will retry: {0}")]
    Retry(String),
    #[error("event refused: {0}")]
    BadEvent(String),
}

impl From<PortError> for NotifyError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Retryable(m) | PortError::Permanent(m) => Self::Retry(m),
        }
    }
}

pub async fn handle(deps: &Deps, event: EventBridgeEvent) -> Result<Summary, NotifyError> {
    let detail_type = event.detail_type.clone();
    let domain = DomainEvent::from_parts(&detail_type, event.detail).map_err(|e| NotifyError::BadEvent(format!("{detail_type}: {e}")))?;
    let summary = match domain {
        DomainEvent::ELearningCompleted(e) => book_workshop(deps, &e).await?,
        DomainEvent::WorkshopBooked(e) => booking_confirmed(deps, &e).await?,
        DomainEvent::BookingCancelled(e) => booking_cancelled(deps, &e).await?,
        DomainEvent::WorkshopCancelled(e) => workshop_cancelled(deps, &e).await?,
        other => return Err(NotifyError::BadEvent(format!("not for this function: {}", other.detail_type()))),
    };
    tracing::info!(detail_type = %detail_type, sent = summary.sent, already_sent = summary.already_sent, skipped = summary.skipped, "delivery handled");
    Ok(summary)
}

fn counted(result: Result<Sending, PortError>, parent: &pt4c_domain::ParentId, kind: NoticeKind) -> Result<Summary, NotifyError> {
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

async fn book_workshop(deps: &Deps, event: &ELearningCompleted) -> Result<Summary, NotifyError> {
    let Some(parent) = deps.store.parent(&event.parent_id).await? else {
        return Err(NotifyError::BadEvent(format!("no parent {}", event.parent_id)));
    };
    if parent.closed() {
        return Ok(Summary { skipped: 1, ..Summary::default() });
    }
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::book_workshop(&BookWorkshop {
        to: &parent.email,
        first_name: &parent.first_name,
        booking_url: &booking_url,
        complete_by: parent.complete_by,
    })
    .map_err(|e| NotifyError::Retry(format!("book-workshop template: {e}")))?;
    let kind = NoticeKind::BookWorkshop;
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, "elearning", deps.now(), &email).await, &parent.parent_id, kind)
}

async fn open_parent(deps: &Deps, id: &pt4c_domain::ParentId) -> Result<Option<ParentRecord>, NotifyError> {
    match deps.store.parent(id).await? {
        None => Err(NotifyError::BadEvent(format!("no parent {id}"))),
        Some(p) if p.closed() => Ok(None),
        Some(p) => Ok(Some(p)),
    }
}

fn skipped() -> Summary {
    Summary { skipped: 1, ..Summary::default() }
}

async fn booking_confirmed(deps: &Deps, event: &WorkshopBooked) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let Some(w) = deps.store.workshop(&event.workshop_id).await? else {
        return Err(NotifyError::BadEvent(format!("no workshop {}", event.workshop_id)));
    };
    let (cancel_url, _) = deps.later_link(&parent.parent_id, Purpose::Cancel, parent.complete_by)?;
    let when = emails::when(w.starts_at, w.ends_at);
    let (how, place) = match w.mode {
        Mode::Online => ("online", format!("Join here at the start time: {}", w.location)),
        Mode::InPerson => ("in person", format!("The address is: {}", w.location)),
    };
    let ics = pt4c_adapters::ics::invitation(&pt4c_adapters::ics::Invitation {
        uid: &format!("{}-{}@pt4c", w.workshop_id, parent.parent_id),
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        summary: "Planning Together for Children workshop",
        location: &w.location,
        description: "Your Planning Together for Children workshop (2 and a half hours).",
        stamp: deps.now(),
    });
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "Your workshop is booked",
        first_name: &parent.first_name,
        paragraphs: vec![
            format!("You are booked on a Planning Together for Children workshop, {how}: {when}."),
            place,
            "The invitation attached adds it to your calendar.".into(),
            "If you cannot go, cancel your place so someone else can have it, then book another.".into(),
        ],
        action: Some(("Cancel this booking", &cancel_url)),
        attachments: vec![Attachment { filename: "workshop.ics".into(), content_type: "text/calendar".into(), content: ics.into_bytes() }],
    })
    .map_err(|e| NotifyError::Retry(format!("booking-confirmed template: {e}")))?;
    let kind = NoticeKind::BookingConfirmed;
    let subject = format!("{}@{}", event.workshop_id, event.booked_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

async fn booking_cancelled(deps: &Deps, event: &BookingCancelled) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "Your workshop booking is cancelled",
        first_name: &parent.first_name,
        paragraphs: vec![
            "Your workshop booking is cancelled, as you asked.".into(),
            format!("Please book another workshop: the court asked you to complete the course by {}.", emails::long_date(parent.complete_by)),
        ],
        action: Some(("Book a workshop", &booking_url)),
        attachments: vec![],
    })
    .map_err(|e| NotifyError::Retry(format!("booking-cancelled template: {e}")))?;
    let kind = NoticeKind::BookingCancelled;
    let subject = format!("{}@{}", event.workshop_id, event.cancelled_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

async fn workshop_cancelled(deps: &Deps, event: &WorkshopCancelled) -> Result<Summary, NotifyError> {
    let mut summary = Summary::default();
    let mut failure = None;
    for id in &event.parent_ids {
        let Some(parent) = open_parent(deps, id).await? else {
            summary.skipped += 1;
            continue;
        };
        let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
        let email = emails::notice(emails::Notice {
            to: &parent.email,
            subject: "Your workshop has been cancelled",
            first_name: &parent.first_name,
            paragraphs: vec![
                "We are sorry: the workshop you booked has been cancelled by the course team.".into(),
                "Please choose another workshop.".into(),
            ],
            action: Some(("Book another workshop", &booking_url)),
            attachments: vec![],
        })
        .map_err(|e| NotifyError::Retry(format!("workshop-cancelled template: {e}")))?;
        let kind = NoticeKind::WorkshopCancelled;
        match counted(send_once(&deps.store, &deps.mailer, id, kind, &event.workshop_id, deps.now(), &email).await, id, kind) {
            Ok(s) => {
                summary.sent += s.sent;
                summary.already_sent += s.already_sent;
            }
            Err(e) => failure = Some(e),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}
