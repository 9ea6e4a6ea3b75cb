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
    pub module_id: String,
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
    pub workshop_id: String,
    pub booked_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingCancelled {
    pub parent_id: ParentId,
    pub workshop_id: String,
    pub cancelled_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopCancelled {
    pub workshop_id: String,
    pub parent_ids: Vec<ParentId>,
    pub cancelled_at: Timestamp,
}

/// Every event the domain raises, tagged by its detail-type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "detailType", content = "detail")]
pub enum DomainEvent {
    ReferralReceived(ReferralReceived),
    LinkRequested(LinkRequested),
    ReferralWithdrawn(ReferralWithdrawn),
    ParentActivated(ParentActivated),
    ELearningModuleCompleted(ELearningModuleCompleted),
    ELearningCompleted(ELearningCompleted),
    WorkshopBooked(WorkshopBooked),
    BookingCancelled(BookingCancelled),
    WorkshopCancelled(WorkshopCancelled),
}

impl DomainEvent {
    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::ReferralReceived(_) => "ReferralReceived",
            Self::LinkRequested(_) => "LinkRequested",
            Self::ReferralWithdrawn(_) => "ReferralWithdrawn",
            Self::ParentActivated(_) => "ParentActivated",
            Self::ELearningModuleCompleted(_) => "ELearningModuleCompleted",
            Self::ELearningCompleted(_) => "ELearningCompleted",
            Self::WorkshopBooked(_) => "WorkshopBooked",
            Self::BookingCancelled(_) => "BookingCancelled",
            Self::WorkshopCancelled(_) => "WorkshopCancelled",
        }
    }

    pub fn detail_json(&self) -> String {
        match self {
            Self::ReferralReceived(d) => serde_json::to_string(d),
            Self::LinkRequested(d) => serde_json::to_string(d),
            Self::ReferralWithdrawn(d) => serde_json::to_string(d),
            Self::ParentActivated(d) => serde_json::to_string(d),
            Self::ELearningModuleCompleted(d) => serde_json::to_string(d),
            Self::ELearningCompleted(d) => serde_json::to_string(d),
            Self::WorkshopBooked(d) => serde_json::to_string(d),
            Self::BookingCancelled(d) => serde_json::to_string(d),
            Self::WorkshopCancelled(d) => serde_json::to_string(d),
        }
        .expect("event details always serialise")
    }

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
    pub event_id: String,
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
        for (name, text) in [
            ("ReferralReceived", include_str!("../../../events/ReferralReceived.json")),
            ("LinkRequested", include_str!("../../../events/LinkRequested.json")),
            ("ReferralWithdrawn", include_str!("../../../events/ReferralWithdrawn.json")),
            ("ParentActivated", include_str!("../../../events/ParentActivated.json")),
            ("ELearningModuleCompleted", include_str!("../../../events/ELearningModuleCompleted.json")),
            ("ELearningCompleted", include_str!("../../../events/ELearningCompleted.json")),
        ] {
            let envelope: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(envelope["detail-type"], name);
            let event = DomainEvent::from_parts(name, envelope["detail"].clone()).unwrap();
            assert_eq!(event.detail_type(), name);
            let back: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
            assert_eq!(back, envelope["detail"], "{name} round-trips");
        }
    }
}
