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
    /// By text only: the workshop starts within 2 hours (the sweep's frequent run).
    #[serde(rename = "workshop-reminder-2h")]
    WorkshopReminder2h,
    WorkshopCancelled,
    DidNotAttend,
    DeadlineWarning,
    Completed,
    NotCompleted,
    ReferralCompleted,
    ConcernRaised,
    FollowUpOverdue,
    WorkshopChanged,
    BookingMoved,
    /// To a trainer: a workshop given to them, or taken from them.
    TrainerChanged,
    /// To the coordinators: an interpreter or adjustments still to arrange close to the workshop.
    ArrangementDue,
    /// To the coordinators: the capacity forecast's shortfall (once a day).
    CapacityShortfall,
    /// A seat held for a parent on the waiting list (subject: the offer).
    SeatOffered,
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
            Self::WorkshopReminder2h => "workshop-reminder-2h",
            Self::WorkshopCancelled => "workshop-cancelled",
            Self::DidNotAttend => "did-not-attend",
            Self::DeadlineWarning => "deadline-warning",
            Self::Completed => "completed",
            Self::NotCompleted => "not-completed",
            Self::ReferralCompleted => "referral-completed",
            Self::ConcernRaised => "concern-raised",
            Self::FollowUpOverdue => "follow-up-overdue",
            Self::WorkshopChanged => "workshop-changed",
            Self::BookingMoved => "booking-moved",
            Self::TrainerChanged => "trainer-changed",
            Self::SeatOffered => "seat-offered",
            Self::ArrangementDue => "arrangement-due",
            Self::CapacityShortfall => "capacity-shortfall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// Is this email written to the parent (not to the court, the adviser, a trainer or the coordinators)?
    pub fn to_parent(self) -> bool {
        !matches!(
            self,
            Self::NotCompleted
                | Self::ReferralCompleted
                | Self::ConcernRaised
                | Self::FollowUpOverdue
                | Self::TrainerChanged
                | Self::ArrangementDue
                | Self::CapacityShortfall
        )
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
        for k in [
            NoticeKind::Welcome,
            NoticeKind::NewLink,
            NoticeKind::FollowUpOverdue,
            NoticeKind::WorkshopChanged,
            NoticeKind::TrainerChanged,
            NoticeKind::SeatOffered,
            NoticeKind::WorkshopReminder2h,
        ] {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
    }
}
