//! After the workshop: attendance, follow-up calls, concerns, and the case file the notices to
//! the Family Court Adviser and the court are written from.

use jiff::Timestamp;

use crate::progress::ProgressRecord;
use crate::{ParentId, ReferralId};

/// What recording attendance came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceOutcome {
    Recorded,
    /// The same answer was recorded before (a replay).
    AlreadyRecorded,
    /// The parent holds no booking on the workshop.
    NotBooked,
    /// The parent left the course (not completed by the court's date, or withdrawn): no booking is held.
    ParentClosed(crate::progress::ParentStatus),
    /// Recorded the other way and no longer changeable (a parent who attended has completed).
    Conflict,
}

/// The trainer's answer for one parent at one workshop, with what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub workshop_id: crate::WorkshopId,
    pub attended: bool,
    pub recorded_at: Timestamp,
    /// For an attended parent: when they completed the course, and the follow-up call owed.
    pub completed_at: Option<Timestamp>,
    pub follow_up: Option<FollowUpDue>,
    pub due: Option<Timestamp>,
}

/// A follow-up call a trainer owes a parent who attended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpDue {
    pub parent_id: ParentId,
    pub workshop_id: crate::WorkshopId,
    pub due_by: Timestamp,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    Reached,
    NoAnswer,
    Declined,
}

impl FollowUpOutcome {
    /// The outcome's name, as the API and the progress record show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reached => "reached",
            Self::NoAnswer => "no_answer",
            Self::Declined => "declined",
        }
    }
}

/// A follow-up as trainers list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpEntry {
    pub parent_id: ParentId,
    pub referral_id: ReferralId,
    pub name: String,
    pub phone: Option<String>,
    pub workshop_id: crate::WorkshopId,
    pub due_by: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub outcome: Option<FollowUpOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpList {
    Due,
    Overdue,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpRecording {
    Recorded(FollowUpEntry),
    /// The same outcome was recorded before (a replay).
    AlreadyRecorded(FollowUpEntry),
    /// Recorded before with another outcome.
    Conflict,
    NotFound,
}

/// A concern a trainer raised about a parent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Concern {
    pub concern_id: crate::ConcernId,
    pub parent_id: ParentId,
    pub raised_by: String,
    pub summary: String,
    pub raised_at: Timestamp,
}

/// A referral's people and facts, for the notices to the FCA and the court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    pub case_number: String,
    pub court: crate::referral::Contact,
    pub family_court_adviser: crate::referral::Contact,
    pub record: ProgressRecord,
    /// Each parent's full name, by parent id.
    pub names: std::collections::BTreeMap<ParentId, String>,
}
