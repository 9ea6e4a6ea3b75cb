//! The progress record Cafcass reads (GET /referrals/{id}).

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::notice::NoticeKind;
use crate::{ParentId, ParentRef, ReferralId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Open,
    Completed,
    NotCompleted,
    Withdrawn,
}

impl ParentStatus {
    /// Where a parent may take a seat from (book, join the waiting list, be held one): e-learning
    /// done and no workshop yet, or absent from one (who books again). The store's conditions on
    /// every seat-taking write are built from this list (`dynamo::items::may_take_a_seat`).
    pub const MAY_BOOK: [ParentStatus; 2] = [ParentStatus::ElearningCompleted, ParentStatus::DidNotAttend];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentStatus {
    Invited,
    Activated,
    ElearningStarted,
    ElearningCompleted,
    WorkshopBooked,
    DidNotAttend,
    Completed,
    NotCompleted,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressRecord {
    pub referral_id: ReferralId,
    pub case_number: String,
    pub referred_on: Date,
    pub complete_by: Date,
    pub status: ReferralStatus,
    pub parents: Vec<ParentProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentProgress {
    pub parent_id: ParentId,
    pub parent_ref: ParentRef,
    pub status: ParentStatus,
    pub invited_at: Option<Timestamp>,
    pub activated_at: Option<Timestamp>,
    pub elearning: ElearningProgress,
    pub workshop: Option<WorkshopAttendance>,
    pub completed_at: Option<Timestamp>,
    pub follow_up: Option<FollowUp>,
    pub notices: Vec<NoticeSent>,
    /// False once an email to the address on file bounced permanently or was complained of,
    /// until a coordinator corrects the address.
    #[serde(default = "reachable_by_default")]
    pub reachable: bool,
}

fn reachable_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElearningProgress {
    pub modules: Vec<ModuleCompletion>,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleCompletion {
    pub module_id: crate::ModuleId,
    pub completed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopAttendance {
    pub workshop_id: crate::WorkshopId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub mode: String,
    pub attended: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    pub due_by: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeSent {
    pub kind: NoticeKind,
    pub sent_at: Timestamp,
    /// `email` or `sms`.
    #[serde(default)]
    pub channel: NoticeChannel,
    /// What became of it, from the provider's reports.
    #[serde(default)]
    pub status: crate::delivery::DeliveryStatus,
}

/// How a notice went: by email, or by text (its ledger subject ends in `sms::SMS_SUBJECT_SUFFIX`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeChannel {
    #[default]
    Email,
    Sms,
}

impl NoticeChannel {
    /// The channel of a notice from its ledger subject.
    pub fn of_subject(subject: &str) -> Self {
        if subject.ends_with(crate::sms::SMS_SUBJECT_SUFFIX) {
            Self::Sms
        } else {
            Self::Email
        }
    }
}
