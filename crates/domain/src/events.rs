//! Events on the bus. Details carry ids and times only, never personal data.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{ParentId, ReferralId};

pub const SOURCE: &str = "pt4c";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralReceived {
    pub referral_id: ReferralId,
    pub parent_ids: Vec<ParentId>,
    pub received_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequested {
    pub parent_id: ParentId,
    pub request_id: String,
    pub requested_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralWithdrawn {
    pub referral_id: ReferralId,
    pub parent_ids: Vec<ParentId>,
    pub withdrawn_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentActivated {
    pub parent_id: ParentId,
    pub activated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ELearningModuleCompleted {
    pub parent_id: ParentId,
    pub module_id: crate::ModuleId,
    pub completed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ELearningCompleted {
    pub parent_id: ParentId,
    pub completed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopBooked {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub booked_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingCancelled {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub cancelled_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopCancelled {
    pub workshop_id: crate::WorkshopId,
    pub parent_ids: Vec<ParentId>,
    pub cancelled_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopAttended {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    /// The parent completed the course when the workshop ended (or when attendance was recorded, if earlier).
    pub completed_at: Timestamp,
    pub follow_up_due_by: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopMissed {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub recorded_at: Timestamp,
}

/// A coordinator edited a workshop (its `sequence` after the edit): booked parents get an updated
/// invitation; when `trainer_changed`, the trainer replaced and the new one are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopChanged {
    pub workshop_id: crate::WorkshopId,
    pub sequence: u32,
    pub trainer_changed: bool,
}

/// A coordinator moved a parent's booking to another workshop (one change: the old seat given
/// back, the new one taken at `moved_at`, which is the new booking's `bookedAt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingMoved {
    pub parent_id: ParentId,
    pub from_workshop_id: crate::WorkshopId,
    pub to_workshop_id: crate::WorkshopId,
    pub moved_at: Timestamp,
}

/// A sweep found a reminder due for a parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderDue {
    pub parent_id: ParentId,
    pub reminder: crate::sweep::Reminder,
    pub due_at: Timestamp,
    /// The booking a workshop reminder is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop_id: Option<crate::WorkshopId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentNotCompleted {
    pub parent_id: ParentId,
    pub referral_id: ReferralId,
    pub complete_by: jiff::civil::Date,
    pub recorded_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralCompleted {
    pub referral_id: ReferralId,
    pub parent_ids: Vec<ParentId>,
    pub completed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpOverdue {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub due_by: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcernRaised {
    pub parent_id: ParentId,
    pub concern_id: crate::ConcernId,
    pub raised_at: Timestamp,
}

/// A coordinator published a workshop: its seats may be offered to the waiting list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopPublished {
    pub workshop_id: crate::WorkshopId,
    pub published_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingListJoined {
    pub parent_id: ParentId,
    pub joined_at: Timestamp,
}

/// Why a parent left the waiting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftBecause {
    Left,
    Booked,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingListLeft {
    pub parent_id: ParentId,
    pub left_at: Timestamp,
    pub reason: LeftBecause,
}

/// A freed seat held for a waiting parent until `hold_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferMade {
    pub offer_id: crate::OfferId,
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub offered_at: Timestamp,
    pub hold_until: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferAccepted {
    pub offer_id: crate::OfferId,
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub accepted_at: Timestamp,
}

/// Declined, or given up by booking elsewhere or leaving the list: the seat is offered on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferDeclined {
    pub offer_id: crate::OfferId,
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub declined_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferExpired {
    pub offer_id: crate::OfferId,
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub expired_at: Timestamp,
}

macro_rules! domain_events {
    ($($name:ident),+ $(,)?) => {
        /// Every event the domain raises, tagged by its detail-type.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "detailType", content = "detail")]
        pub enum DomainEvent {
            $($name($name),)+
        }

        impl DomainEvent {
            pub fn detail_type(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)+
                }
            }

            pub fn detail_json(&self) -> String {
                match self {
                    $(Self::$name(d) => serde_json::to_string(d),)+
                }
                .expect("event details always serialise")
            }
        }

        /// Every detail-type, for tests that check the samples and schemas in events/.
        pub const DETAIL_TYPES: &[&str] = &[$(stringify!($name)),+];
    };
}

domain_events!(
    ReferralReceived,
    LinkRequested,
    ReferralWithdrawn,
    ParentActivated,
    ELearningModuleCompleted,
    ELearningCompleted,
    WorkshopBooked,
    BookingCancelled,
    WorkshopCancelled,
    WorkshopAttended,
    WorkshopMissed,
    ReminderDue,
    ParentNotCompleted,
    ReferralCompleted,
    FollowUpOverdue,
    ConcernRaised,
    WorkshopChanged,
    BookingMoved,
    WorkshopPublished,
    WaitingListJoined,
    WaitingListLeft,
    OfferMade,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
);

impl DomainEvent {
    /// Rebuilds an event from what the bus delivered.
    pub fn from_parts(detail_type: &str, detail: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"detailType": detail_type, "detail": detail}))
    }
}

/// An event waiting in the outbox: written in the same transaction as the change it reports,
/// published straight after, and republished by the relay if that publish failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    pub event_id: crate::EventId,
    pub created_at: Timestamp,
    pub event: DomainEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples in events/ (checked against their JSON Schemas by tests/test_event_samples.py)
    /// are what the domain reads and writes.
    #[test]
    fn the_samples_in_events_are_the_domains_events() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
        for name in DETAIL_TYPES {
            let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap_or_else(|_| panic!("events/{name}.json"));
            let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(envelope["detail-type"], *name);
            let event = DomainEvent::from_parts(name, envelope["detail"].clone()).unwrap();
            assert_eq!(event.detail_type(), *name);
            let back: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
            assert_eq!(back, envelope["detail"], "{name} round-trips");
        }
    }
}
