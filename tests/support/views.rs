//! Typed views of the API's answers, so tests assert on fields and enums rather than on indexed
//! JSON. The domain's own serde types where the API answers with them (the progress record, a
//! booking, follow-ups); small test-side structs for the views the functions only serialise.
//! Unknown fields are ignored: the shape of the wire is openapi.yaml's business (and the few tests
//! that check it exactly), not these views'.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub use pt4c_domain::course::{FollowUpEntry, FollowUpOutcome};
pub use pt4c_domain::notice::NoticeKind;
pub use pt4c_domain::progress::{ElearningProgress, ParentProgress, ParentStatus, ProgressRecord, ReferralStatus};
pub use pt4c_domain::sweep::Reminder;
pub use pt4c_domain::workshop::{Booking, Mode, WorkshopStatus};
pub use pt4c_domain::ParentId;

use crate::Answer;

impl Answer {
    /// Reads a response the test sent itself (a link followed, a form posted).
    pub async fn read(res: reqwest::Response) -> Answer {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("a body");
        Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null) }
    }

    /// The body as `T`; a body that is not one fails the test, naming the answer.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not a {} ({e}): {} {}", std::any::type_name::<T>(), self.status, self.body))
    }

    /// The body as problem details (every error answer's shape).
    pub fn problem(&self) -> Problem {
        self.json()
    }
}

/// RFC 9457 problem details; `type` ends with `/problems/{code}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn code(&self) -> &str {
        self.kind.rsplit('/').next().unwrap_or("")
    }

    /// The bad fields named, in the answer's order.
    pub fn fields(&self) -> Vec<&str> {
        self.errors.iter().map(|e| e.field.as_str()).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A workshop as coordinators see it (`GET /workshops/{id}` adds its roster).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopView {
    pub workshop_id: String,
    pub starts_at: Timestamp,
    pub mode: Mode,
    pub location: String,
    pub capacity: u32,
    pub status: WorkshopStatus,
    pub seats_taken: u32,
    pub seats_left: u32,
    roster: Option<Vec<RosterEntry>>,
}

impl WorkshopView {
    pub fn roster(&self) -> &[RosterEntry] {
        self.roster.as_deref().expect("this view of the workshop has its roster")
    }

    /// The parents on the roster, by id, sorted.
    pub fn roster_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.roster().iter().map(|r| r.parent_id.to_string()).collect();
        ids.sort();
        ids
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterEntry {
    pub parent_id: ParentId,
    pub name: String,
    pub attended: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkshopList {
    pub workshops: Vec<WorkshopView>,
}

/// A booking made (`POST /book/{token}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    pub booking: Booking,
    pub cancel_url: String,
}

/// What a booking link offers (`GET /book/{token}` as JSON).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub booking: Option<Booking>,
    pub workshops: Vec<OfferedWorkshop>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedWorkshop {
    pub workshop_id: String,
    pub mode: Mode,
    /// An in-person workshop's address; none for an online one (its link is for those booked).
    pub location: Option<String>,
    pub seats_left: u32,
}

/// The Parent Hub as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubView {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: Date,
    pub elearning: ElearningProgress,
    pub workshop: Option<HubWorkshop>,
    pub booking_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubWorkshop {
    pub workshop_id: String,
    pub mode: Mode,
    pub location: Option<String>,
    pub attended: Option<bool>,
}

/// The provider's completion report, answered (`POST /elearning/completions`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub elearning: ElearningProgress,
}

/// A trainer's attendance record, answered.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceResult {
    pub parent_id: ParentId,
    pub attended: bool,
    pub status: ParentStatus,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUps {
    pub follow_ups: Vec<FollowUpEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcernResult {
    pub concern_id: String,
    pub parent_id: ParentId,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    pub modules: Vec<CatalogueModule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueModule {
    pub module_id: String,
    pub title: String,
}

/// What a deadline sweep did, as it answers its invoker.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    pub parents_due: u64,
    pub reminders: HashMap<Reminder, u64>,
    pub not_completed: u64,
    pub cancellations_finished: u64,
    pub referrals_closed: u64,
    pub follow_ups_overdue: u64,
    pub referrals_erased: u64,
    pub items_erased: u64,
    pub items_read: u64,
}

impl SweepSummary {
    /// Reminders of one kind raised.
    pub fn reminded(&self, kind: Reminder) -> u64 {
        self.reminders.get(&kind).copied().unwrap_or(0)
    }

    /// Everything the run raised for parents: reminders, reports of not completing, overdue follow-ups.
    pub fn raised(&self) -> u64 {
        self.reminders.values().sum::<u64>() + self.not_completed + self.follow_ups_overdue
    }
}

impl std::fmt::Display for SweepSummary {
    // Assertion messages show the summary as it was answered.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// A parent's id, for comparing with the ids the API answers.
pub fn parent_id(id: &str) -> ParentId {
    ParentId::parse(id).expect("a parent id")
}
