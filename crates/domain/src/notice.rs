//! The emails the course sends, each at most once per (recipient, kind, subject).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    Welcome,
    NewLink,
    ActivationReminder,
    ElearningReminder,
    BookWorkshop,
    BookingReminder,
    BookingConfirmed,
    BookingCancelled,
    WorkshopReminder,
    WorkshopCancelled,
    DidNotAttend,
    DeadlineWarning,
    Completed,
    NotCompleted,
    ReferralCompleted,
    ConcernRaised,
    FollowUpOverdue,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::NewLink => "new-link",
            Self::ActivationReminder => "activation-reminder",
            Self::ElearningReminder => "elearning-reminder",
            Self::BookWorkshop => "book-workshop",
            Self::BookingReminder => "booking-reminder",
            Self::BookingConfirmed => "booking-confirmed",
            Self::BookingCancelled => "booking-cancelled",
            Self::WorkshopReminder => "workshop-reminder",
            Self::WorkshopCancelled => "workshop-cancelled",
            Self::DidNotAttend => "did-not-attend",
            Self::DeadlineWarning => "deadline-warning",
            Self::Completed => "completed",
            Self::NotCompleted => "not-completed",
            Self::ReferralCompleted => "referral-completed",
            Self::ConcernRaised => "concern-raised",
            Self::FollowUpOverdue => "follow-up-overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

/// An outgoing email, ready for the mailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in [NoticeKind::Welcome, NoticeKind::NewLink, NoticeKind::FollowUpOverdue] {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
    }
}

/// How one email went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sending {
    Sent { message_id: String },
    /// Sent before: nothing done.
    AlreadySent,
}

/// Sends an email at most once per (parent, kind, subject): claim, send, record.
/// A failed send gives the claim back and fails, so the caller's retry sends it.
pub async fn send_once<L, M>(
    ledger: &L,
    mailer: &M,
    parent: &crate::ParentId,
    kind: NoticeKind,
    subject: &str,
    now: jiff::Timestamp,
    email: &Email,
) -> Result<Sending, crate::ports::PortError>
where
    L: crate::ports::NoticeLedger,
    M: crate::ports::Mailer,
{
    use crate::ports::{NoticeClaim, PortError};
    let claim_id = match ledger.claim(parent, kind, subject, now).await? {
        NoticeClaim::AlreadySent => return Ok(Sending::AlreadySent),
        NoticeClaim::InProgress => {
            return Err(PortError::Retryable(format!("{} for {parent} is being sent by another delivery", kind.as_str())))
        }
        NoticeClaim::Claimed { claim_id } => claim_id,
    };
    match mailer.send(email).await {
        Ok(message_id) => {
            ledger.mark_sent(parent, kind, subject, &claim_id, &message_id, now).await?;
            Ok(Sending::Sent { message_id })
        }
        Err(e) => {
            ledger.release(parent, kind, subject, &claim_id).await?;
            Err(e)
        }
    }
}
