//! The items the table holds, as serde structs, and the progress record read from a referral's partition.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::civil::Date;
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{FollowUpEntry, FollowUpOutcome, ParentRecord, PortError};
use pt4c_domain::progress::{FollowUp, NoticeSent, ParentProgress, ParentStatus, ProgressRecord, ReferralStatus};
use pt4c_domain::referral::{Contact, ParentDetails};
use pt4c_domain::workshop::{Booking, Mode, Workshop, WorkshopStatus};
use pt4c_domain::WorkshopId;
use pt4c_domain::{ParentId, ParentRef, ReferralId};
use serde::{Deserialize, Serialize};

use super::keys::{due_key, outbox_pk, workshop_pk, OUTBOX_DUE_PK, WORKSHOP_DUE_PK};
use super::Item;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReferralItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) referral_id: ReferralId,
    pub(super) case_number: String,
    pub(super) court: Contact,
    pub(super) family_court_adviser: Contact,
    pub(super) referred_on: Date,
    pub(super) complete_by: Date,
    pub(super) status: ReferralStatus,
    pub(super) content_hash: String,
    pub(super) received_at: Timestamp,
    pub(super) parent_refs: Vec<ParentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) withdrawn_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) withdraw_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    /// `CLOSING` while a parent's closing awaits the referral's; `ERASE` once closed, at the end of retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) due_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ParentItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) parent_id: ParentId,
    pub(super) case_number: String,
    pub(super) details: ParentDetails,
    pub(super) status: ParentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) activated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) completed_at: Option<Timestamp>,
    /// Each e-learning module's first completion time (an empty map from the start, so
    /// `moduleTimes.#m` can be set in one conditional update).
    #[serde(default)]
    pub(super) module_times: BTreeMap<pt4c_domain::ModuleId, Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) elearning_completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) booking: Option<Booking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) waiting: Option<pt4c_domain::offering::WaitingPlace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) offer: Option<pt4c_domain::offering::HeldOffer>,
    /// When the referral was received (the welcome goes out then).
    pub(super) received_at: Timestamp,
    /// The court's date, copied from the referral so a sweep reads the parent alone.
    pub(super) complete_by: Date,
    /// In the due-index while something may still be owed to the parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) due_at: Option<String>,
    #[serde(default)]
    pub(super) rev: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) attended: Option<bool>,
    /// Every workshop the parent was booked on (a string set, ADDed by each booking): where
    /// erasure finds the roster places that name them.
    #[serde(default, skip_serializing)]
    pub(super) rostered_on: Vec<WorkshopId>,
    /// A workshop the parent missed (kept for the record once the booking is given up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_workshop: Option<Booking>,
    /// Set when the address on file failed; removed when a coordinator corrects it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) unreachable: Option<pt4c_domain::delivery::Unreachable>,
}

impl ParentItem {
    pub(super) fn due_state(&self) -> pt4c_domain::sweep::DueState {
        pt4c_domain::sweep::DueState {
            status: self.status,
            invited_at: self.received_at,
            complete_by: self.complete_by,
            elearning_completed_at: self.elearning_completed_at,
            booking: self.booking.clone(),
        }
    }
}

/// A parent's status as the table spells it.
pub(super) fn status_name(s: ParentStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The placeholders of [`ParentStatus::MAY_BOOK`] (one per status: the array types tie the two).
const MAY_BOOK_VALUES: [&str; ParentStatus::MAY_BOOK.len()] = [":mayBook0", ":mayBook1"];

/// The condition on a parent item that any write taking a seat carries (a booking, a place on the
/// waiting list, a seat held, a held seat accepted): e-learning done, no booking, a status of
/// [`ParentStatus::MAY_BOOK`] (so a withdrawn or closed parent never takes one). Names `#status`.
pub(super) fn may_take_a_seat() -> (String, Vec<(&'static str, AttributeValue)>) {
    let cond =
        format!("attribute_exists(elearningCompletedAt) AND attribute_not_exists(booking) AND #status IN ({})", MAY_BOOK_VALUES.join(", "));
    let values = MAY_BOOK_VALUES.iter().zip(ParentStatus::MAY_BOOK).map(|(k, st)| (*k, AttributeValue::S(status_name(st)))).collect();
    (cond, values)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WorkshopItem {
    pk: String,
    sk: String,
    item_type: String,
    /// Listed in the due-index by start time.
    due_pk: String,
    due_at: String,
    // The workshop's own fields, at the top level where conditions name them
    // (serde's flatten does not round-trip DynamoDB numbers).
    workshop_id: WorkshopId,
    starts_at: Timestamp,
    ends_at: Timestamp,
    duration_minutes: i64,
    mode: Mode,
    location: String,
    capacity: u32,
    language: String,
    #[serde(default)]
    interpreters: Vec<String>,
    trainer: pt4c_domain::workshop::Trainer,
    status: WorkshopStatus,
    seats_taken: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancel_reason: Option<String>,
    /// Bumped by each edit (absent from items written before edits were possible: 0).
    #[serde(default)]
    sequence: u32,
    /// The trainer the last trainer change replaced, for that change's consumer to tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_trainer: Option<pt4c_domain::workshop::PreviousTrainer>,
    /// A string set of the case numbers booked (ADDed by a booking, DELETEd by a release);
    /// never written whole.
    #[serde(default, skip_serializing)]
    cases: Vec<String>,
}

impl WorkshopItem {
    pub(super) fn new(w: &Workshop) -> Self {
        Self {
            pk: workshop_pk(&w.workshop_id),
            sk: "WORKSHOP".into(),
            item_type: "workshop".into(),
            due_pk: WORKSHOP_DUE_PK.into(),
            due_at: due_key(w.starts_at),
            workshop_id: w.workshop_id.clone(),
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            duration_minutes: w.duration_minutes,
            mode: w.mode,
            location: w.location.clone(),
            capacity: w.capacity,
            language: w.language.clone(),
            interpreters: w.interpreters.clone(),
            trainer: w.trainer.clone(),
            status: w.status,
            seats_taken: w.seats_taken,
            cancel_reason: None,
            sequence: w.sequence,
            previous_trainer: w.previous_trainer.clone(),
            cases: Vec::new(),
        }
    }
    pub(super) fn workshop(self) -> Workshop {
        Workshop {
            workshop_id: self.workshop_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            duration_minutes: self.duration_minutes,
            mode: self.mode,
            location: self.location,
            capacity: self.capacity,
            language: self.language,
            interpreters: self.interpreters,
            trainer: self.trainer,
            status: self.status,
            seats_taken: self.seats_taken,
            sequence: self.sequence,
            previous_trainer: self.previous_trainer,
            booked_cases: self.cases,
        }
    }
}

/// One per booked case on a workshop: the co-parent guard, and the roster.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RosterItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) parent_id: ParentId,
    pub(super) booked_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) attended: Option<bool>,
}

/// A cancelled workshop's mark in the due-index, until its bookings are all released.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancellingMark {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) workshop_id: WorkshopId,
    pub(super) due_pk: String,
    pub(super) due_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NoticeItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) parent_ref: ParentRef,
    pub(super) kind: NoticeKind,
    pub(super) subject: String,
    pub(super) state: String,
    pub(super) claim_id: String,
    pub(super) claimed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sent_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) message_id: Option<String>,
    /// Orders notices sent within the same second (the domain's clock keeps whole seconds).
    #[serde(default)]
    pub(super) sent_order: u64,
    /// While `sending`: the wall-clock moment (ms since the epoch) after which the claimant is
    /// surely gone and another delivery may send. Wall time, not the course's clock: it is about
    /// the process, and the local stack's clock may stand still.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) lease_until: Option<u64>,
    /// What the provider reported of it since (SES's events); absent: nothing heard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) delivery_status: Option<pt4c_domain::delivery::DeliveryStatus>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutboxItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) due_pk: String,
    pub(super) due_at: String,
    /// The event as JSON text: its shape is the domain's, not the table's. No expiry: an event
    /// stays until it is published (the relay fails, and alarms, while any is left).
    pub(super) event: String,
}

pub(super) fn to_item<T: Serialize>(v: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(v).map_err(|e| PortError::Permanent(format!("item encoding: {e}")))
}
pub(super) fn from_item<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::Permanent(format!("item decoding: {e}")))
}

pub(super) fn outbox_item(event: &OutboxEvent) -> Result<Item, PortError> {
    to_item(&OutboxItem {
        pk: outbox_pk(&event.event_id),
        sk: "OUTBOX".into(),
        item_type: "outbox".into(),
        due_pk: OUTBOX_DUE_PK.into(),
        due_at: due_key(event.created_at),
        event: serde_json::to_string(event).map_err(|e| PortError::Permanent(e.to_string()))?,
    })
}

/// The parent as the handlers see them, from their item and their referral's.
pub(super) fn parent_record(parent: ParentItem, referral: &ReferralItem) -> ParentRecord {
    ParentRecord {
        parent_id: parent.parent_id,
        first_name: parent.details.first_name,
        last_name: parent.details.last_name,
        phone: parent.details.phone.map(|p| p.as_str().to_owned()),
        email: parent.details.email,
        status: parent.status,
        activated_at: parent.activated_at,
        complete_by: referral.complete_by,
        referral_status: referral.status,
        modules: parent.module_times,
        elearning_completed_at: parent.elearning_completed_at,
        case_number: parent.case_number,
        workshop_mode: parent.details.workshop_mode,
        interpreter_language: parent.details.interpreter_language,
        adjustments: parent.details.adjustments,
        booking: parent.booking,
        waiting: parent.waiting,
        offer: parent.offer,
        invited_at: parent.received_at,
        due_at: parent.due_at.as_deref().and_then(|d| d.parse().ok()),
        rev: parent.rev,
        attended: parent.attended,
        last_workshop: parent.last_workshop,
        completed_at: parent.completed_at,
        unreachable: parent.unreachable,
    }
}

/// Reads a partition's items into the progress record (`ParentProgress::of` says how each parent reads).
pub(super) fn record_from(items: Vec<Item>) -> Result<Option<ProgressRecord>, PortError> {
    let mut referral: Option<ReferralItem> = None;
    let mut parents: Vec<ParentItem> = Vec::new();
    let mut notices: Vec<NoticeItem> = Vec::new();
    let mut follow_ups: Vec<FollowUpItem> = Vec::new();
    for item in items {
        match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
            Some("referral") => referral = Some(from_item(item)?),
            Some("parent") => parents.push(from_item(item)?),
            Some("notice") => notices.push(from_item(item)?),
            Some("follow-up") => follow_ups.push(from_item(item)?),
            _ => {}
        }
    }
    let Some(referral) = referral else { return Ok(None) };
    let mut by_ref: Vec<(ParentRef, ParentItem)> = parents.into_iter().map(|p| (p.details.parent_ref.clone(), p)).collect();
    let parents = referral
        .parent_refs
        .iter()
        .filter_map(|r| by_ref.iter().position(|(pr, _)| pr == r).map(|i| by_ref.swap_remove(i)))
        .map(|(parent_ref, p)| {
            let mut mine: Vec<&NoticeItem> = notices.iter().filter(|n| n.parent_ref == parent_ref && n.state == "sent").collect();
            mine.sort_by_key(|n| (n.sent_at, n.sent_order));
            let sent: Vec<NoticeSent> = mine
                .iter()
                .filter_map(|n| {
                    n.sent_at.map(|at| NoticeSent {
                        kind: n.kind,
                        sent_at: at,
                        status: n.delivery_status.unwrap_or_default(),
                        channel: pt4c_domain::progress::NoticeChannel::of_subject(&n.subject),
                    })
                })
                .collect();
            let follow_up = follow_ups.iter().find(|f| f.parent_id == p.parent_id).map(|f| FollowUp {
                due_by: f.due_by,
                completed_at: f.completed_at,
                outcome: f.outcome.map(|o| o.as_str().to_owned()),
            });
            ParentProgress::of(&parent_record(p, &referral), sent, follow_up)
        })
        .collect();
    Ok(Some(ProgressRecord {
        referral_id: referral.referral_id,
        case_number: referral.case_number,
        referred_on: referral.referred_on,
        complete_by: referral.complete_by,
        status: referral.status,
        parents,
    }))
}

/// A follow-up call owed to a parent after their workshop (`course`, `sweep`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FollowUpItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) item_type: String,
    pub(super) due_pk: String,
    pub(super) due_at: String,
    pub(super) parent_id: ParentId,
    pub(super) referral_id: ReferralId,
    pub(super) workshop_id: WorkshopId,
    pub(super) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) phone: Option<String>,
    pub(super) due_by: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) outcome: Option<FollowUpOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) notes: Option<String>,
}

impl FollowUpItem {
    pub(super) fn entry(self) -> FollowUpEntry {
        FollowUpEntry {
            parent_id: self.parent_id,
            referral_id: self.referral_id,
            name: self.name,
            phone: self.phone,
            workshop_id: self.workshop_id,
            due_by: self.due_by,
            completed_at: self.completed_at,
            outcome: self.outcome,
            notes: self.notes,
        }
    }
}
