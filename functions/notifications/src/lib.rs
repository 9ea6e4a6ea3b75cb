//! Every email other than the welcome: each sent at most once per (parent, kind, subject).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use pt4c_adapters::emails::{self, BookWorkshop};
use pt4c_adapters::Deps;
use pt4c_domain::events::{DomainEvent, ELearningCompleted};
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
