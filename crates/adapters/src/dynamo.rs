//! The single-table DynamoDB store.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | referral | `REFERRAL#{referralId}` | `REFERRAL` (due-index: `CLOSING` while a parent's closing awaits it, `ERASE` at the end of retention once closed) |
//! | parent | `REFERRAL#{referralId}` | `PARENT#{parentRef}` |
//! | notice (an email, once) | `REFERRAL#{referralId}` | `NOTICE#{parentRef}#{kind}#{subject}` |
//! | outbox event | `OUTBOX#{eventId}` | `OUTBOX` (in the due-index under `duePk = OUTBOX`) |
//! | follow-up call | `REFERRAL#{referralId}` | `FOLLOWUP#{parentRef}` (due-index: `FOLLOWUP`, `FOLLOWUP_LATE`, `FOLLOWUP_DONE`) |
//! | concern | `REFERRAL#{referralId}` | `CONCERN#{parentRef}#{concernId}` |
//! | workshop | `WORKSHOP#{workshopId}` | `WORKSHOP` (due-index `WORKSHOP` by start) |
//! | roster place (co-parent guard) | `WORKSHOP#{workshopId}` | `CASE#{caseNumber}` |
//!
//! Parents open on the course sit in the due-index under `duePk = PARENT` at the moment
//! something may next be owed to them (`pt4c_domain::sweep`); the sweep reads only those due.
//!
//! One Query of the referral's partition reads its whole progress record.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{
    BookingOutcome, Intake, ModuleRecording, NoticeClaim, NoticeLedger, Outbox, ParentContact, ParentRecord, ParentStore, PortError,
    ReferralContacts, ReferralStore, Withdrawal, WorkshopStore,
};
use pt4c_domain::progress::{
    ElearningProgress, ModuleCompletion, NoticeSent, ParentProgress, ParentStatus, ProgressRecord, ReferralStatus, WorkshopAttendance,
};
use pt4c_domain::referral::{Contact, NewReferral, ParentDetails};
use pt4c_domain::workshop::{Booking, BookingRefusal, Mode, Workshop, WorkshopStatus};
use pt4c_domain::{ParentId, ParentRef, ReferralId};
use serde::{Deserialize, Serialize};

type Item = HashMap<String, AttributeValue>;

mod course;
use course::{follow_up_outcome_name, FollowUpItem};

/// Claims written before leases were timed by `leaseUntil`: taken over after this.
const LEGACY_CLAIM_LEASE: SignedDuration = SignedDuration::from_secs(300);
const OUTBOX_DUE_PK: &str = "OUTBOX";
pub const DUE_INDEX: &str = "due-index";

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long a claim on sending an email holds (see `Config::claim_lease`).
    claim_lease: std::time::Duration,
}

fn referral_pk(id: &ReferralId) -> String {
    format!("REFERRAL#{id}")
}
fn parent_sk(r: &ParentRef) -> String {
    format!("PARENT#{r}")
}
fn notice_sk(r: &ParentRef, kind: NoticeKind, subject: &str) -> String {
    format!("NOTICE#{r}#{}#{subject}", kind.as_str())
}
fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferralItem {
    pk: String,
    sk: String,
    item_type: String,
    referral_id: ReferralId,
    case_number: String,
    court: Contact,
    family_court_adviser: Contact,
    referred_on: Date,
    complete_by: Date,
    status: ReferralStatus,
    content_hash: String,
    received_at: Timestamp,
    parent_refs: Vec<ParentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    withdrawn_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    withdraw_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    /// `CLOSING` while a parent's closing awaits the referral's; `ERASE` once closed, at the end of retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentItem {
    pk: String,
    sk: String,
    item_type: String,
    parent_id: ParentId,
    case_number: String,
    details: ParentDetails,
    status: ParentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    completed_at: Option<Timestamp>,
    /// Each e-learning module's first completion time (an empty map from the start, so
    /// `moduleTimes.#m` can be set in one conditional update).
    #[serde(default)]
    module_times: BTreeMap<String, Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    elearning_completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    booking: Option<Booking>,
    /// When the referral was received (the welcome goes out then).
    received_at: Timestamp,
    /// The court's date, copied from the referral so a sweep reads the parent alone.
    complete_by: Date,
    /// In the due-index while something may still be owed to the parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(default)]
    rev: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attended: Option<bool>,
    /// Every workshop the parent was booked on (a string set, ADDed by each booking): where
    /// erasure finds the roster places that name them.
    #[serde(default, skip_serializing)]
    pub(crate) rostered_on: Vec<String>,
    /// A workshop the parent missed (kept for the record once the booking is given up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_workshop: Option<Booking>,
}

impl ParentItem {
    fn due_state(&self) -> pt4c_domain::sweep::DueState {
        pt4c_domain::sweep::DueState {
            status: self.status,
            invited_at: self.received_at,
            complete_by: self.complete_by,
            elearning_completed_at: self.elearning_completed_at,
            booking: self.booking.clone(),
        }
    }
}

const PARENT_DUE_PK: &str = "PARENT";
/// A referral whose parent just closed, until the referral's own closing is done (the sweep finishes it).
const CLOSING_DUE_PK: &str = "CLOSING";
/// A closed referral, due for erasure when its retention period ends.
const ERASE_DUE_PK: &str = "ERASE";
/// A withdrawal re-read this many times when its parents change under it.
const WITHDRAW_ATTEMPTS: usize = 5;

/// The update-expression clauses that move a parent in the due-index (or take it out) and bump
/// its revision, merged with a change's own SET and REMOVE clauses.
fn parent_update(sets: &[&str], removes: &[&str], due: Option<Timestamp>) -> (String, Vec<(&'static str, AttributeValue)>) {
    let mut sets: Vec<String> = sets.iter().map(|x| x.to_string()).collect();
    let mut removes: Vec<String> = removes.iter().map(|x| x.to_string()).collect();
    let mut values = vec![(":revOne", AttributeValue::N("1".into()))];
    match due {
        Some(at) => {
            sets.push("duePk = :duePk".into());
            sets.push("dueAt = :dueAt".into());
            values.push((":duePk", s(PARENT_DUE_PK)));
            values.push((":dueAt", s(due_key(at))));
        }
        None => removes.extend(["duePk".to_string(), "dueAt".to_string()]),
    }
    let mut expr = String::new();
    if !sets.is_empty() {
        expr.push_str(&format!("SET {} ", sets.join(", ")));
    }
    if !removes.is_empty() {
        expr.push_str(&format!("REMOVE {} ", removes.join(", ")));
    }
    expr.push_str("ADD rev :revOne");
    (expr, values)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkshopItem {
    pk: String,
    sk: String,
    item_type: String,
    /// Listed in the due-index by start time.
    due_pk: String,
    due_at: String,
    // The workshop's own fields, at the top level where conditions name them
    // (serde's flatten does not round-trip DynamoDB numbers).
    workshop_id: String,
    starts_at: Timestamp,
    ends_at: Timestamp,
    duration_minutes: i64,
    mode: Mode,
    location: String,
    capacity: u32,
    language: String,
    trainer: pt4c_domain::workshop::Trainer,
    status: WorkshopStatus,
    seats_taken: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancel_reason: Option<String>,
    /// A string set of the case numbers booked (ADDed by a booking, DELETEd by a release);
    /// never written whole.
    #[serde(default, skip_serializing)]
    cases: Vec<String>,
}

impl WorkshopItem {
    fn new(w: &Workshop) -> Self {
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
            trainer: w.trainer.clone(),
            status: w.status,
            seats_taken: w.seats_taken,
            cancel_reason: None,
            cases: Vec::new(),
        }
    }
    fn workshop(self) -> Workshop {
        Workshop {
            workshop_id: self.workshop_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            duration_minutes: self.duration_minutes,
            mode: self.mode,
            location: self.location,
            capacity: self.capacity,
            language: self.language,
            trainer: self.trainer,
            status: self.status,
            seats_taken: self.seats_taken,
            booked_cases: self.cases,
        }
    }
}

/// One per booked case on a workshop: the co-parent guard, and the roster.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RosterItem {
    pk: String,
    sk: String,
    item_type: String,
    parent_id: ParentId,
    booked_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attended: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoticeItem {
    pk: String,
    sk: String,
    item_type: String,
    parent_ref: ParentRef,
    kind: NoticeKind,
    subject: String,
    state: String,
    claim_id: String,
    claimed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    /// Orders notices sent within the same second (the domain's clock keeps whole seconds).
    #[serde(default)]
    sent_order: u64,
    /// While `sending`: the wall-clock moment (ms since the epoch) after which the claimant is
    /// surely gone and another delivery may send. Wall time, not the course's clock: it is about
    /// the process, and the local stack's clock may stand still.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutboxItem {
    pk: String,
    sk: String,
    item_type: String,
    due_pk: String,
    due_at: String,
    /// The event as JSON text: its shape is the domain's, not the table's. No expiry: an event
    /// stays until it is published (the relay fails, and alarms, while any is left).
    event: String,
}

fn to_item<T: Serialize>(v: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(v).map_err(|e| PortError::Permanent(format!("item encoding: {e}")))
}
fn from_item<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::Permanent(format!("item decoding: {e}")))
}

/// Throttling, timeouts and 5xx are worth retrying; everything else is a defect or a refusal.
fn sdk_error<E, R>(op: &str, e: SdkError<E, R>) -> PortError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let retryable = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(se) => matches!(
            se.err().code(),
            Some(
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "TransactionConflictException"
                    | "TransactionInProgressException"
            )
        ),
        _ => false,
    };
    // Code and message only: the raw response can carry items (ReturnValuesOnConditionCheckFailure),
    // and items carry names and addresses, which must never reach a log.
    let msg = match &e {
        SdkError::ServiceError(se) => {
            format!("{op}: {} ({})", se.err().code().unwrap_or("service error"), se.err().message().unwrap_or("no message"))
        }
        SdkError::TimeoutError(_) => format!("{op}: timed out"),
        SdkError::DispatchFailure(_) => format!("{op}: could not reach DynamoDB"),
        _ => format!("{op}: {e}"),
    };
    if retryable {
        PortError::Retryable(msg)
    } else {
        PortError::Permanent(msg)
    }
}

/// How many times a transaction cancelled by a conflicting one is tried again.
const CONFLICT_RETRIES: u32 = 5;

/// "Full jitter" (AWS Architecture Blog): a random pause up to 25 ms × 2^attempt, so the
/// transactions that conflicted do not meet again.
fn jittered_backoff(attempt: u32) -> std::time::Duration {
    let cap = 25u64 << attempt.min(6);
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    std::time::Duration::from_millis(random % (cap + 1))
}

fn wall_clock_millis() -> u64 {
    wall_clock_nanos() / 1_000_000
}

fn wall_clock_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// Key an item in the due-index sorts on: whole seconds, so the text sorts as the time does.
pub fn due_key(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn outbox_item(event: &OutboxEvent) -> Result<Item, PortError> {
    to_item(&OutboxItem {
        pk: format!("OUTBOX#{}", event.event_id),
        sk: "OUTBOX".into(),
        item_type: "outbox".into(),
        due_pk: OUTBOX_DUE_PK.into(),
        due_at: due_key(event.created_at),
        event: serde_json::to_string(event).map_err(|e| PortError::Permanent(e.to_string()))?,
    })
}

enum Cancelled {
    /// The condition on the item at this position of the transaction failed (the item as it was).
    Condition(Option<Item>, usize),
    Conflict,
    Other(PortError),
}

fn cancellation(op: &str, e: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>) -> Cancelled {
    if let SdkError::ServiceError(se) = &e {
        if let TransactWriteItemsError::TransactionCanceledException(tc) = se.err() {
            let reasons: &[CancellationReason] = tc.cancellation_reasons();
            if let Some((at, r)) = reasons.iter().enumerate().find(|(_, r)| r.code() == Some("ConditionalCheckFailed")) {
                return Cancelled::Condition(r.item().cloned(), at);
            }
            if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                return Cancelled::Conflict;
            }
        }
    }
    Cancelled::Other(sdk_error(op, e))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), claim_lease: std::time::Duration::from_secs(30) }
    }

    pub fn with_claim_lease(mut self, lease: std::time::Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item)
    }

    async fn partition(&self, pk: String) -> Result<Vec<Item>, PortError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Cancelled> {
        // Conflicts with a concurrent transaction on the same items are retried a few times.
        let mut attempt = 0;
        loop {
            match self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await {
                Ok(_) => return Ok(()),
                Err(e) => match cancellation("TransactWriteItems", e) {
                    Cancelled::Conflict if attempt < CONFLICT_RETRIES => {
                        attempt += 1;
                        tokio::time::sleep(jittered_backoff(attempt)).await;
                    }
                    Cancelled::Conflict => return Err(Cancelled::Other(PortError::Retryable("transaction conflict".into()))),
                    other => return Err(other),
                },
            }
        }
    }

    /// A transaction whose conditions decide: true if it was written, false if a condition refused it.
    async fn transact_decided(&self, items: Vec<TransactWriteItem>) -> Result<bool, PortError> {
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(Cancelled::Condition(..)) => Ok(false),
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    /// Deletes a parent's roster place (the co-parent guard) on a workshop, only if it is theirs.
    fn roster_place_delete(&self, workshop_id: &str, case_number: &str, parent: &ParentId) -> Result<TransactWriteItem, PortError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key("pk", s(workshop_pk(workshop_id)))
            .key("sk", s(roster_sk(case_number)))
            .condition_expression("parentId = :p")
            .expression_attribute_values(":p", s(parent.to_string()))
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, PortError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn elearning_of(p: &ParentItem) -> ElearningProgress {
    let mut modules: Vec<ModuleCompletion> =
        p.module_times.iter().map(|(id, at)| ModuleCompletion { module_id: id.clone(), completed_at: *at }).collect();
    modules.sort_by(|a, b| a.completed_at.cmp(&b.completed_at).then(a.module_id.cmp(&b.module_id)));
    ElearningProgress { modules, completed_at: p.elearning_completed_at }
}

/// Reads a partition's items into the progress record.
fn record_from(items: Vec<Item>) -> Result<Option<ProgressRecord>, PortError> {
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
    let parents = referral
        .parent_refs
        .iter()
        .filter_map(|r| parents.iter().find(|p| &p.details.parent_ref == r))
        .map(|p| {
            let mut mine: Vec<&NoticeItem> = notices.iter().filter(|n| n.parent_ref == p.details.parent_ref && n.state == "sent").collect();
            mine.sort_by_key(|n| (n.sent_at, n.sent_order));
            let sent: Vec<NoticeSent> = mine.iter().filter_map(|n| n.sent_at.map(|at| NoticeSent { kind: n.kind, sent_at: at })).collect();
            let invited_at = sent.iter().find(|n| n.kind == NoticeKind::Welcome).map(|n| n.sent_at);
            ParentProgress {
                parent_id: p.parent_id.clone(),
                parent_ref: p.details.parent_ref.clone(),
                status: p.status,
                invited_at,
                activated_at: p.activated_at,
                elearning: elearning_of(p),
                workshop: p.booking.as_ref().or(p.last_workshop.as_ref()).map(|b| WorkshopAttendance {
                    workshop_id: b.workshop_id.clone(),
                    starts_at: b.starts_at,
                    ends_at: b.ends_at,
                    mode: match b.mode {
                        Mode::Online => "online".into(),
                        Mode::InPerson => "in_person".into(),
                    },
                    attended: if p.booking.is_some() { p.attended.filter(|a| *a) } else { Some(false) },
                }),
                completed_at: p.completed_at,
                follow_up: follow_ups.iter().find(|f| f.parent_id == p.parent_id).map(|f| pt4c_domain::progress::FollowUp {
                    due_by: f.due_by,
                    completed_at: f.completed_at,
                    outcome: f.outcome.map(|o| follow_up_outcome_name(o).to_owned()),
                }),
                notices: sent,
            }
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

impl ReferralStore for DynamoStore {
    async fn create_referral(
        &self,
        referral: &NewReferral,
        content_hash: &str,
        now: Timestamp,
        first_due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<Intake, PortError> {
        let pk = referral_pk(&referral.referral_id);
        let mut writes = vec![self.put(
            to_item(&ReferralItem {
                pk: pk.clone(),
                sk: "REFERRAL".into(),
                item_type: "referral".into(),
                referral_id: referral.referral_id.clone(),
                case_number: referral.case_number.to_string(),
                court: referral.court.clone(),
                family_court_adviser: referral.family_court_adviser.clone(),
                referred_on: referral.referred_on,
                complete_by: referral.complete_by,
                status: ReferralStatus::Open,
                content_hash: content_hash.to_owned(),
                received_at: now,
                parent_refs: referral.parents.iter().map(|p| p.parent_ref.clone()).collect(),
                withdrawn_at: None,
                withdraw_reason: None,
                expires_at: None,
                due_pk: None,
                due_at: None,
            })?,
            Some("attribute_not_exists(pk)"),
        )?];
        for (details, parent_id) in referral.parents.iter().zip(referral.parent_ids()) {
            writes.push(self.put(
                to_item(&ParentItem {
                    pk: pk.clone(),
                    sk: parent_sk(&details.parent_ref),
                    item_type: "parent".into(),
                    parent_id,
                    case_number: referral.case_number.to_string(),
                    details: details.clone(),
                    status: ParentStatus::Invited,
                    activated_at: None,
                    completed_at: None,
                    module_times: BTreeMap::new(),
                    elearning_completed_at: None,
                    booking: None,
                    received_at: now,
                    complete_by: referral.complete_by,
                    due_pk: first_due.map(|_| PARENT_DUE_PK.to_owned()),
                    due_at: first_due.map(due_key),
                    rev: 0,
                    attended: None,
                    rostered_on: Vec::new(),
                    last_workshop: None,
                })?,
                Some("attribute_not_exists(pk)"),
            )?);
        }
        writes.push(self.put(outbox_item(event)?, None)?);

        match self.transact(writes).await {
            Ok(()) => Ok(Intake::Created),
            Err(Cancelled::Condition(old, _)) => {
                let item = match old {
                    Some(item) if item.contains_key("contentHash") => Some(item),
                    _ => self.get(pk, "REFERRAL").await?,
                };
                let hash = item
                    .as_ref()
                    .and_then(|i| i.get("contentHash"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .ok_or_else(|| PortError::Retryable("referral condition failed but no referral found".into()))?;
                Ok(Intake::AlreadyTaken { content_hash: hash })
            }
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn progress(&self, id: &ReferralId) -> Result<Option<ProgressRecord>, PortError> {
        record_from(self.partition(referral_pk(id)).await?)
    }

    async fn withdraw(
        &self,
        id: &ReferralId,
        reason: &str,
        now: Timestamp,
        erase_at: Timestamp,
        event: &OutboxEvent,
    ) -> Result<Withdrawal, PortError> {
        // One transaction closes the referral and every parent still on the course, giving back
        // the seats they hold; a parent who completed keeps their record (and their roster place),
        // only their follow-up call is dropped. Each parent's write is conditioned on the state
        // read, so a booking or an attendance committed in between cancels it and it is made again
        // from a fresh read: no seat is held by a withdrawn parent, no completed parent is withdrawn.
        for _ in 0..WITHDRAW_ATTEMPTS {
            let mut referral: Option<ReferralItem> = None;
            let mut parents: Vec<ParentItem> = Vec::new();
            let mut follow_ups: Vec<String> = Vec::new();
            for item in self.partition(referral_pk(id)).await? {
                match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                    Some("referral") => referral = Some(from_item(item)?),
                    Some("parent") => parents.push(from_item(item)?),
                    Some("follow-up") => {
                        let open = item.get("duePk").and_then(|v| v.as_s().ok()).is_some_and(|d| d == "FOLLOWUP" || d == "FOLLOWUP_LATE");
                        if let (true, Some(sk)) = (open, item.get("sk").and_then(|v| v.as_s().ok())) {
                            follow_ups.push(sk.clone());
                        }
                    }
                    _ => {}
                }
            }
            let Some(referral) = referral else { return Ok(Withdrawal::NotFound) };
            match referral.status {
                ReferralStatus::Open => {}
                ReferralStatus::Withdrawn => return Ok(Withdrawal::AlreadyWithdrawn),
                _ => return Ok(Withdrawal::Closed),
            }
            let pk = referral_pk(id);
            let mut writes = vec![self.update(
                pk.clone(),
                "REFERRAL".into(),
                "SET #status = :withdrawn, withdrawnAt = :now, withdrawReason = :reason, duePk = :erase, dueAt = :eraseAt",
                "#status = :open",
                &[("#status", "status")],
                vec![
                    (":withdrawn", s("withdrawn")),
                    (":open", s("open")),
                    (":now", s(now.to_string())),
                    (":reason", s(reason)),
                    (":erase", s(ERASE_DUE_PK)),
                    (":eraseAt", s(due_key(erase_at))),
                ],
            )?];
            for p in &parents {
                if matches!(p.status, ParentStatus::Completed | ParentStatus::NotCompleted | ParentStatus::Withdrawn) {
                    continue;
                }
                let (expr, mut values) = parent_update(&["#status = :withdrawn"], &["booking"], None);
                values.extend([
                    (":withdrawn", s("withdrawn")),
                    (":seen", s(status_name(p.status))),
                    (":rev", AttributeValue::N(p.rev.to_string())),
                ]);
                writes.push(self.update(
                    pk.clone(),
                    p.sk.clone(),
                    &expr,
                    "#status = :seen AND rev = :rev",
                    &[("#status", "status")],
                    values,
                )?);
                if let Some(b) = &p.booking {
                    writes.extend(self.seat_given_back(&b.workshop_id, &p.case_number, &p.parent_id, None)?);
                }
            }
            for sk in &follow_ups {
                // Nothing more is sent after a withdrawal: the call is no longer owed.
                writes.push(self.update(
                    pk.clone(),
                    sk.clone(),
                    "SET duePk = :dropped",
                    "duePk IN (:due, :late)",
                    &[],
                    vec![(":dropped", s("FOLLOWUP_DROPPED")), (":due", s("FOLLOWUP")), (":late", s("FOLLOWUP_LATE"))],
                )?);
            }
            writes.push(self.put(outbox_item(event)?, None)?);
            match self.transact(writes).await {
                Ok(()) => return Ok(Withdrawal::Withdrawn),
                // Something changed between the read and the write: read again and decide again.
                Err(Cancelled::Condition(..)) => continue,
                Err(Cancelled::Conflict) => return Err(PortError::Retryable("transaction conflict".into())),
                Err(Cancelled::Other(e)) => return Err(e),
            }
        }
        Err(PortError::Retryable("the referral kept changing during the withdrawal".into()))
    }

    async fn contacts(&self, id: &ReferralId) -> Result<Option<ReferralContacts>, PortError> {
        let mut referral: Option<ReferralItem> = None;
        let mut parents = Vec::new();
        for item in self.partition(referral_pk(id)).await? {
            match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("referral") => referral = Some(from_item(item)?),
                Some("parent") => {
                    let p: ParentItem = from_item(item)?;
                    parents.push(ParentContact {
                        parent_id: p.parent_id,
                        first_name: p.details.first_name,
                        email: p.details.email.as_str().to_owned(),
                        withdrawn: p.status == ParentStatus::Withdrawn,
                    })
                }
                _ => {}
            }
        }
        Ok(referral.map(|r| ReferralContacts {
            referral_id: r.referral_id,
            complete_by: r.complete_by,
            withdrawn: r.status == ReferralStatus::Withdrawn,
            parents,
        }))
    }
}

impl NoticeLedger for DynamoStore {
    async fn claim(&self, parent: &ParentId, kind: NoticeKind, subject: &str, now: Timestamp) -> Result<NoticeClaim, PortError> {
        let claim_id = uuid::Uuid::new_v4().to_string();
        let item = to_item(&NoticeItem {
            pk: referral_pk(parent.referral_id()),
            sk: notice_sk(parent.parent_ref(), kind, subject),
            item_type: "notice".into(),
            parent_ref: parent.parent_ref().clone(),
            kind,
            subject: subject.to_owned(),
            state: "sending".into(),
            claim_id: claim_id.clone(),
            claimed_at: now,
            sent_at: None,
            message_id: None,
            sent_order: 0,
            lease_until: Some(wall_clock_millis() + self.claim_lease.as_millis() as u64),
        })?;
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :sending AND (leaseUntil < :wall OR (attribute_not_exists(leaseUntil) AND claimedAt < :stale)))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":wall", AttributeValue::N(wall_clock_millis().to_string()))
            .expression_attribute_values(":stale", s((now - LEGACY_CLAIM_LEASE).to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(_) => Ok(NoticeClaim::Claimed { claim_id }),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                let state = match se.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                        c.item().and_then(|i| i.get("state")).and_then(|v| v.as_s().ok()).cloned()
                    }
                    _ => None,
                };
                let state = match state {
                    Some(st) => Some(st),
                    None => self
                        .get(referral_pk(parent.referral_id()), &notice_sk(parent.parent_ref(), kind, subject))
                        .await?
                        .and_then(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned()),
                };
                Ok(match state.as_deref() {
                    Some("sent") => NoticeClaim::AlreadySent,
                    _ => NoticeClaim::InProgress,
                })
            }
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn mark_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &str,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(notice_sk(parent.parent_ref(), kind, subject)))
            .update_expression("SET #state = :sent, sentAt = :at, messageId = :mid, sentOrder = :order REMOVE leaseUntil")
            .expression_attribute_values(":order", AttributeValue::N(wall_clock_nanos().to_string()))
            .condition_expression("claimId = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":at", s(sent_at.to_string()))
            .expression_attribute_values(":mid", s(message_id))
            .expression_attribute_values(":claim", s(claim_id))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // Taken over after our lease ran out: the email went, the record says so already or will.
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn release(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &str) -> Result<(), PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(notice_sk(parent.parent_ref(), kind, subject)))
            .condition_expression("claimId = :claim AND #state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claim", s(claim_id))
            .expression_attribute_values(":sending", s("sending"))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
    }
}

impl DynamoStore {
    /// Deletes published events' outbox items, 25 to a BatchWriteItem call.
    pub async fn delivered_all<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Result<(), PortError> {
        // Any left unprocessed the relay finds and republishes (harmless).
        self.delete_batch(ids.map(|id| (format!("OUTBOX#{id}"), "OUTBOX".to_owned()))).await.map(|_left| ())
    }

    /// Deletes items by key, 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed a few
    /// times with backoff; returns how many were still left.
    async fn delete_batch(&self, keys: impl Iterator<Item = (String, String)>) -> Result<usize, PortError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let mut requests = Vec::new();
        for (pk, sk) in keys {
            let delete =
                DeleteRequest::builder().key("pk", s(pk)).key("sk", s(sk)).build().map_err(|e| PortError::Permanent(e.to_string()))?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        let mut left = 0;
        for chunk in requests.chunks(25) {
            let mut pending = HashMap::from([(self.table.clone(), chunk.to_vec())]);
            for attempt in 0..4 {
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                pending = out.unprocessed_items.unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
            }
            left += pending.values().map(Vec::len).sum::<usize>();
        }
        Ok(left)
    }
}

impl Outbox for DynamoStore {
    async fn pending(&self, before: Timestamp, limit: i32) -> Result<Vec<OutboxEvent>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("duePk = :pk AND dueAt <= :before")
            .expression_attribute_values(":pk", s(OUTBOX_DUE_PK))
            .expression_attribute_values(":before", s(due_key(before)))
            .limit(limit)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let mut events = Vec::new();
        for item in out.items.unwrap_or_default() {
            let o: OutboxItem = from_item(item)?;
            match serde_json::from_str::<OutboxEvent>(&o.event) {
                Ok(e) => events.push(e),
                Err(e) => tracing::error!(item = %o.pk, error = %e, "outbox item is unreadable; left for inspection"),
            }
        }
        Ok(events)
    }

    async fn delivered(&self, event_id: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("OUTBOX#{event_id}")))
            .key("sk", s("OUTBOX"))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}

fn status_name(s: ParentStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl DynamoStore {
    fn update(
        &self,
        pk: String,
        sk: String,
        expr: &str,
        cond: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem, PortError> {
        let mut b = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expr)
            .condition_expression(cond)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in names {
            b = b.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
        b.build().map(|u| TransactWriteItem::builder().update(u).build()).map_err(|e| PortError::Permanent(e.to_string()))
    }

    /// A conditional update with its outbox event, in one transaction. False if the condition failed.
    async fn update_with_event(&self, update: TransactWriteItem, event: &OutboxEvent) -> Result<bool, PortError> {
        self.transact_decided(vec![update, self.put(outbox_item(event)?, None)?]).await
    }
}

impl ParentStore for DynamoStore {
    async fn parent(&self, id: &ParentId) -> Result<Option<ParentRecord>, PortError> {
        let out = self
            .client
            .batch_get_item()
            .request_items(
                &self.table,
                aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .keys(HashMap::from([("pk".into(), s(referral_pk(id.referral_id()))), ("sk".into(), s("REFERRAL"))]))
                    .keys(HashMap::from([("pk".into(), s(referral_pk(id.referral_id()))), ("sk".into(), s(parent_sk(id.parent_ref())))]))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| PortError::Permanent(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("BatchGetItem", e))?;
        if out.unprocessed_keys.as_ref().map(|u| !u.is_empty()).unwrap_or(false) {
            return Err(PortError::Retryable("BatchGetItem left keys unprocessed".into()));
        }
        let mut referral: Option<ReferralItem> = None;
        let mut parent: Option<ParentItem> = None;
        for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
            match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("referral") => referral = Some(from_item(item)?),
                Some("parent") => parent = Some(from_item(item)?),
                _ => {}
            }
        }
        let (Some(referral), Some(parent)) = (referral, parent) else { return Ok(None) };
        Ok(Some(ParentRecord {
            parent_id: parent.parent_id,
            first_name: parent.details.first_name,
            last_name: parent.details.last_name,
            phone: parent.details.phone.map(|p| p.as_str().to_owned()),
            email: parent.details.email.as_str().to_owned(),
            status: parent.status,
            activated_at: parent.activated_at,
            complete_by: referral.complete_by,
            referral_status: referral.status,
            modules: parent.module_times,
            elearning_completed_at: parent.elearning_completed_at,
            case_number: parent.case_number,
            workshop_mode: parent.details.workshop_mode,
            booking: parent.booking,
            invited_at: parent.received_at,
            due_at: parent.due_at.as_deref().and_then(|d| d.parse().ok()),
            rev: parent.rev,
            attended: parent.attended,
            last_workshop: parent.last_workshop,
            completed_at: parent.completed_at,
        }))
    }

    async fn parent_details(&self, id: &ParentId) -> Result<Option<ParentDetails>, PortError> {
        match self.get(referral_pk(id.referral_id()), &parent_sk(id.parent_ref())).await? {
            None => Ok(None),
            Some(item) => Ok(Some(from_item::<ParentItem>(item)?.details)),
        }
    }

    async fn activate(&self, id: &ParentId, now: Timestamp, due: Option<Timestamp>, event: &OutboxEvent) -> Result<bool, PortError> {
        let (expr, mut values) = parent_update(&["#status = :activated", "activatedAt = :now"], &[], due);
        values.extend([(":activated", s("activated")), (":invited", s("invited")), (":now", s(now.to_string()))]);
        let update = self.update(
            referral_pk(id.referral_id()),
            parent_sk(id.parent_ref()),
            &expr,
            "#status = :invited",
            &[("#status", "status")],
            values,
        )?;
        self.update_with_event(update, event).await
    }

    async fn count_link_request(&self, id: &ParentId, day: Date, max: u32, event: &OutboxEvent) -> Result<bool, PortError> {
        let expires = event.created_at + SignedDuration::from_hours(72);
        let update = self.update(
            referral_pk(id.referral_id()),
            format!("LINKS#{}#{day}", id.parent_ref()),
            "ADD requests :one SET itemType = :type, expiresAt = :exp",
            "attribute_not_exists(requests) OR requests < :max",
            &[],
            vec![
                (":one", AttributeValue::N("1".into())),
                (":max", AttributeValue::N(max.to_string())),
                (":type", s("link-requests")),
                (":exp", AttributeValue::N(expires.as_second().to_string())),
            ],
        )?;
        self.update_with_event(update, event).await
    }

    async fn record_module(
        &self,
        id: &ParentId,
        module_id: &str,
        at: Timestamp,
        event: &OutboxEvent,
    ) -> Result<ModuleRecording, PortError> {
        // A completion before the parent was invited is not a fact: the write refuses it.
        let update = self.update(
            referral_pk(id.referral_id()),
            parent_sk(id.parent_ref()),
            "SET moduleTimes.#m = :at",
            "attribute_exists(pk) AND attribute_not_exists(moduleTimes.#m) AND receivedAt < :endOfSecond",
            &[("#m", module_id)],
            // Completion times are whole seconds; the invitation's may have a fraction of one.
            vec![(":at", s(at.to_string())), (":endOfSecond", s((at + SignedDuration::from_secs(1)).to_string()))],
        )?;
        match self.transact(vec![update, self.put(outbox_item(event)?, None)?]).await {
            Ok(()) => Ok(ModuleRecording::Recorded),
            Err(Cancelled::Condition(..)) => {
                // The transaction decided; the read only says which condition refused it.
                let Some(item) = self.get(referral_pk(id.referral_id()), &parent_sk(id.parent_ref())).await? else {
                    return Ok(ModuleRecording::NoParent);
                };
                let parent: ParentItem = from_item(item)?;
                if parent.module_times.contains_key(module_id) {
                    Ok(ModuleRecording::AlreadyRecorded)
                } else {
                    Ok(ModuleRecording::BeforeInvitation)
                }
            }
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn mark_elearning_started(&self, id: &ParentId) -> Result<(), PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(id.referral_id())))
            .key("sk", s(parent_sk(id.parent_ref())))
            .update_expression("SET #status = :started")
            .condition_expression("#status IN (:invited, :activated)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":started", s(status_name(ParentStatus::ElearningStarted)))
            .expression_attribute_values(":invited", s("invited"))
            .expression_attribute_values(":activated", s("activated"))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn complete_elearning(
        &self,
        id: &ParentId,
        at: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<bool, PortError> {
        let (expr, mut values) = parent_update(&["elearningCompletedAt = :at", "#status = :done"], &[], due);
        values.extend([
            (":at", s(at.to_string())),
            (":done", s(status_name(ParentStatus::ElearningCompleted))),
            (":invited", s("invited")),
            (":activated", s("activated")),
            (":started", s(status_name(ParentStatus::ElearningStarted))),
        ]);
        let update = self.update(
            referral_pk(id.referral_id()),
            parent_sk(id.parent_ref()),
            &expr,
            "attribute_not_exists(elearningCompletedAt) AND #status IN (:invited, :activated, :started)",
            &[("#status", "status")],
            values,
        )?;
        self.update_with_event(update, event).await
    }
}

fn workshop_pk(id: &str) -> String {
    format!("WORKSHOP#{id}")
}
fn roster_sk(case_number: &str) -> String {
    format!("CASE#{case_number}")
}
const WORKSHOP_DUE_PK: &str = "WORKSHOP";
/// A cancelled workshop whose bookings are not all released yet (the sweep finishes them).
pub(crate) const CANCELLING_DUE_PK: &str = "CANCELLING";
const CANCELLING_SK: &str = "CANCELLING";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CancellingMark {
    pk: String,
    sk: String,
    item_type: String,
    pub(crate) workshop_id: String,
    due_pk: String,
    due_at: String,
}

impl DynamoStore {
    /// The writes that give a parent's seat back: the workshop's count and the roster place (the
    /// co-parent guard), only if that place is this parent's.
    /// `before`: only if the workshop starts after that moment (a parent cancels until the start).
    pub(crate) fn seat_given_back(
        &self,
        workshop_id: &str,
        case_number: &str,
        parent: &ParentId,
        before: Option<Timestamp>,
    ) -> Result<[TransactWriteItem; 2], PortError> {
        let mut values = vec![
            (":one", AttributeValue::N("1".into())),
            (":zero", AttributeValue::N("0".into())),
            (":case", AttributeValue::Ss(vec![case_number.to_owned()])),
        ];
        let cond = match before {
            Some(t) => {
                values.push((":now", s(t.to_string())));
                "seatsTaken > :zero AND startsAt > :now"
            }
            None => "seatsTaken > :zero",
        };
        let seat = self.update(
            workshop_pk(workshop_id),
            "WORKSHOP".into(),
            "SET seatsTaken = seatsTaken - :one DELETE cases :case",
            cond,
            &[],
            values,
        )?;
        Ok([seat, self.roster_place_delete(workshop_id, case_number, parent)?])
    }
}

impl WorkshopStore for DynamoStore {
    async fn create_workshop(&self, w: &Workshop) -> Result<(), PortError> {
        let item = to_item(&WorkshopItem::new(w))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn workshop(&self, id: &str) -> Result<Option<Workshop>, PortError> {
        // Workshop ids are UUIDs we issue: anything else names no workshop (and a long one
        // would be refused by DynamoDB as a key, a 500 for a caller's typo).
        if uuid::Uuid::parse_str(id).is_err() {
            return Ok(None);
        }
        match self.get(workshop_pk(id), "WORKSHOP").await? {
            None => Ok(None),
            Some(item) => Ok(Some(from_item::<WorkshopItem>(item)?.workshop())),
        }
    }

    async fn workshops(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Workshop>, PortError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("duePk = :pk AND dueAt BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(WORKSHOP_DUE_PK))
                .expression_attribute_values(":from", s(due_key(from)))
                .expression_attribute_values(":to", s(due_key(to)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for item in page.items.unwrap_or_default() {
                let w = from_item::<WorkshopItem>(item)?.workshop();
                if w.starts_at >= from && w.starts_at < to {
                    out.push(w);
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    async fn roster(&self, id: &str) -> Result<Vec<(ParentId, Option<bool>)>, PortError> {
        let mut roster: Vec<RosterItem> = Vec::new();
        for item in self.partition(workshop_pk(id)).await? {
            if item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("roster") {
                roster.push(from_item(item)?);
            }
        }
        roster.sort_by_key(|r| r.booked_at);
        Ok(roster.into_iter().map(|r| (r.parent_id, r.attended)).collect())
    }

    async fn book(
        &self,
        parent: &ParentRecord,
        w: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        let booking = Booking {
            workshop_id: w.workshop_id.clone(),
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            mode: w.mode,
            location: w.location.clone(),
            booked_at: now,
        };
        let booking_value = serde_dynamo::to_attribute_value(&booking).map_err(|e| PortError::Permanent(e.to_string()))?;
        let seat = self.update(
            workshop_pk(&w.workshop_id),
            "WORKSHOP".into(),
            "SET seatsTaken = seatsTaken + :one ADD cases :case",
            "#status = :open AND seatsTaken < #capacity AND startsAt > :now",
            &[("#status", "status"), ("#capacity", "capacity")],
            vec![
                (":one", AttributeValue::N("1".into())),
                (":open", s("open")),
                (":now", s(now.to_string())),
                (":case", AttributeValue::Ss(vec![parent.case_number.clone()])),
            ],
        )?;
        let guard = self.put(
            to_item(&RosterItem {
                pk: workshop_pk(&w.workshop_id),
                sk: roster_sk(&parent.case_number),
                item_type: "roster".into(),
                parent_id: parent.parent_id.clone(),
                booked_at: now,
                attended: None,
            })?,
            Some("attribute_not_exists(pk)"),
        )?;
        let (expr, mut values) = parent_update(&["booking = :booking", "#status = :booked"], &["attended"], due);
        let expr = expr.replace("ADD rev :revOne", "ADD rev :revOne, rosteredOn :rostered");
        values.push((":rostered", AttributeValue::Ss(vec![w.workshop_id.clone()])));
        values.extend([
            (":booking", booking_value),
            (":booked", s(status_name(ParentStatus::WorkshopBooked))),
            (":done", s(status_name(ParentStatus::ElearningCompleted))),
            (":dna", s(status_name(ParentStatus::DidNotAttend))),
        ]);
        let hold = self.update(
            referral_pk(parent.parent_id.referral_id()),
            parent_sk(parent.parent_id.parent_ref()),
            &expr,
            "attribute_exists(elearningCompletedAt) AND attribute_not_exists(booking) AND #status IN (:done, :dna)",
            &[("#status", "status")],
            values,
        )?;
        let writes = vec![seat, guard, hold, self.put(outbox_item(event)?, None)?];
        // A rush on one workshop makes DynamoDB cancel concurrent transactions on its item with
        // TransactionConflict: tried again here, after a jittered pause, so the parent gets an answer.
        let mut attempt = 0;
        let reasons = loop {
            let reasons = match self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await {
                Ok(_) => return Ok(BookingOutcome::Booked(booking)),
                Err(SdkError::ServiceError(se)) => match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(tc) => tc.cancellation_reasons().to_vec(),
                    _ => return Err(sdk_error("TransactWriteItems", SdkError::ServiceError(se))),
                },
                Err(e) => return Err(sdk_error("TransactWriteItems", e)),
            };
            let conflict = reasons.iter().any(|r| r.code() == Some("TransactionConflict"));
            let refused = reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed"));
            if conflict && !refused && attempt < CONFLICT_RETRIES {
                attempt += 1;
                tokio::time::sleep(jittered_backoff(attempt)).await;
                continue;
            }
            break reasons;
        };
        let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) && !(0..3).any(failed) {
            return Err(PortError::Retryable("booking transaction conflict".into()));
        }
        // The transaction decided; reads now only say which rule refused it.
        if failed(2) {
            let current = self.parent(&parent.parent_id).await?;
            return Ok(match current.and_then(|p| p.booking.map(|b| (p.elearning_completed_at, b))) {
                Some((_, b)) if b.workshop_id == w.workshop_id => BookingOutcome::AlreadyHeld(b),
                Some(_) => BookingOutcome::Refused(BookingRefusal::AlreadyBooked),
                None if parent.elearning_completed_at.is_none() => BookingOutcome::Refused(BookingRefusal::ElearningIncomplete),
                None => BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable),
            });
        }
        if failed(0) {
            let current = self.workshop(&w.workshop_id).await?;
            return Ok(BookingOutcome::Refused(match current {
                Some(c) if c.status == WorkshopStatus::Open && c.starts_at > now => BookingRefusal::WorkshopFull,
                _ => BookingRefusal::WorkshopUnavailable,
            }));
        }
        if failed(1) {
            return Ok(BookingOutcome::Refused(BookingRefusal::CoParentBooked));
        }
        Err(PortError::Retryable(format!("booking cancelled: {:?}", reasons.iter().map(|r| r.code()).collect::<Vec<_>>())))
    }

    async fn release(
        &self,
        parent: &ParentRecord,
        workshop_id: &str,
        before: Option<Timestamp>,
        event: Option<&OutboxEvent>,
        rebook: bool,
        due: Option<Timestamp>,
    ) -> Result<bool, PortError> {
        // The booking read is the one given back: the same workshop and the same moment it was
        // made (a cancel link for an earlier booking on this workshop must not release a later one).
        let mut condition = "booking.workshopId = :w".to_owned();
        let mut values = vec![(":w", s(workshop_id))];
        if let Some(b) = parent.booking.as_ref().filter(|b| b.workshop_id == workshop_id) {
            condition.push_str(" AND booking.bookedAt = :bookedAt");
            values.push((":bookedAt", s(b.booked_at.to_string())));
        }
        let (sets, names): (&[&str], &[(&str, &str)]) = if rebook { (&["#status = :done"], &[("#status", "status")]) } else { (&[], &[]) };
        let (expr, more) = parent_update(sets, &["booking"], due);
        values.extend(more);
        if rebook {
            values.push((":done", s(status_name(ParentStatus::ElearningCompleted))));
        }
        let unhold = self.update(
            referral_pk(parent.parent_id.referral_id()),
            parent_sk(parent.parent_id.parent_ref()),
            &expr,
            &condition,
            names,
            values,
        )?;
        let [seat, unguard] = self.seat_given_back(workshop_id, &parent.case_number, &parent.parent_id, before)?;
        let mut writes = vec![unhold, seat, unguard];
        if let Some(e) = event {
            writes.push(self.put(outbox_item(e)?, None)?);
        }
        self.transact_decided(writes).await
    }

    async fn cancel_workshop(&self, id: &str, reason: &str, event: &OutboxEvent, now: Timestamp) -> Result<bool, PortError> {
        let update = self.update(
            workshop_pk(id),
            "WORKSHOP".into(),
            "SET #status = :cancelled, cancelReason = :reason",
            "#status = :open",
            &[("#status", "status")],
            vec![(":cancelled", s("cancelled")), (":open", s("open")), (":reason", s(reason))],
        )?;
        // The mark that its bookings are still to be released: taken off once they all are, so a
        // release cut short is finished by a retry of the request or by the next sweep.
        let mark = self.put(
            to_item(&CancellingMark {
                pk: workshop_pk(id),
                sk: CANCELLING_SK.into(),
                item_type: "cancelling".into(),
                workshop_id: id.to_owned(),
                due_pk: CANCELLING_DUE_PK.into(),
                due_at: due_key(now),
            })?,
            None,
        )?;
        self.transact_decided(vec![update, mark, self.put(outbox_item(event)?, None)?]).await
    }

    async fn cancellation_released(&self, id: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(workshop_pk(id)))
            .key("sk", s(CANCELLING_SK))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}
