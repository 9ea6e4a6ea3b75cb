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
//! | case lookup (its referrals; `referralId` only, erased with the referral) | `CASENO#{normalised caseNumber}` | `REFERRAL#{referralId}` |
//! | name lookup (a surname's parents; `parentId` only, erased with the referral) | `PNAME#{referral::surname_key(lastName)}` | `PARENT#{parentId}` |
//! | new-link request counter (`/new-link`; expires) | `NEWLINK#ADDRESS#{sha256(email_key)}`, `NEWLINK#CLIENT#{sha256(ip)}` | `DAY#{date}`, `HOUR#{n}` |
//! | text notice (a text, once; `state` sent or opted-out) | `REFERRAL#{referralId}` | `NOTICE#{parentRef}#{kind}#{subject}#sms` |
//! | a number that said STOP (no number kept) | `SMSOPTOUT#{sha256 of the E.164 number}` | `SMSOPTOUT` |
//! | management information (month summaries, counted-event markers, seat counts; see `reporting`) | `REPORT#…`, `REPORTED#…` | |
//!
//! Parent items carry `emailKey` (`recovery::email_key` of the address on file): the sparse
//! `email-index` (keys only) finds a parent by the address they type, with one Query.
//!
//! Parents open on the course sit in the due-index under `duePk = PARENT` at the moment
//! something may next be owed to them (`pt4c_domain::sweep`); the sweep reads only those due.
//!
//! One Query of the referral's partition reads its whole progress record.
//!
//! The store's ports are implemented one aggregate to a file: `referral`, `parent`, `workshop`
//! (with `moves`: a workshop's edit and a booking moved), `notice`, `outbox`, `course` and `sweep`;
//! `keys` builds the keys and `items` the items.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{DuePage, PortError};
use serde::Deserialize;

mod arrangements;
mod course;
mod delivery;
mod forecast;
mod items;
pub mod keys;
mod moves;
mod notice;
mod outbox;
mod parent;
mod recovery;
mod referral;
mod reporting;
mod sms;
mod staff;
mod sweep;
mod update;
mod waiting;
mod workshop;

pub use keys::{due_key, DUE_INDEX};
pub use recovery::{email_key_attribute, EMAIL_INDEX, EMAIL_KEY};

use items::{from_item, outbox_item};

type Item = HashMap<String, AttributeValue>;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long a claim on sending an email holds (see `Config::claim_lease`).
    claim_lease: std::time::Duration,
    /// What reading the due-index cost, when a caller measures it (see [`DynamoStore::metered`]).
    read_cost: Option<std::sync::Arc<ReadCost>>,
}

/// Items the due-index queries read and the read capacity they consumed, since a metered store
/// was made: DynamoDB's figures, so they stay in this adapter (the sweep's Lambda reports them).
#[derive(Debug, Default)]
pub struct ReadCost {
    items: std::sync::atomic::AtomicU64,
    /// Thousandths of a read capacity unit.
    milli_units: std::sync::atomic::AtomicU64,
}

impl ReadCost {
    pub fn items_read(&self) -> u64 {
        self.items.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn capacity_units(&self) -> f64 {
        self.milli_units.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
    }

    fn add(&self, items: u64, units: f64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.items.fetch_add(items, Relaxed);
        self.milli_units.fetch_add((units * 1000.0).round().max(0.0) as u64, Relaxed);
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
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

/// Items a sweep reads per page of the due-index.
const PAGE: i32 = 100;

fn encode_page(key: Option<Item>) -> Option<String> {
    let key = key.filter(|k| !k.is_empty())?;
    let plain: BTreeMap<String, String> = key.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|s| (k, s.clone()))).collect();
    serde_json::to_string(&plain).ok()
}

fn decode_page(page: Option<String>) -> Result<Option<Item>, PortError> {
    let Some(text) = page else { return Ok(None) };
    let plain: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|_| PortError::Permanent("unreadable page token".into()))?;
    Ok(Some(plain.into_iter().map(|(k, v)| (k, s(v))).collect()))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), claim_lease: std::time::Duration::from_secs(30), read_cost: None }
    }

    /// The same store, counting what its due-index reads cost from now on (only its own calls,
    /// so figures are exact even while other handlers share the client).
    pub fn metered(&self) -> (Self, std::sync::Arc<ReadCost>) {
        let cost = std::sync::Arc::new(ReadCost::default());
        (Self { read_cost: Some(cost.clone()), ..self.clone() }, cost)
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

    /// One page of the due-index under `due_pk` (its cost counted when the store is metered).
    async fn due_page(
        &self,
        due_pk: &str,
        condition: &str,
        at: Option<Timestamp>,
        forward: bool,
        page: Option<String>,
    ) -> Result<DuePage<Item>, PortError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression(condition)
            .expression_attribute_values(":pk", s(due_pk))
            .scan_index_forward(forward)
            .limit(PAGE)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_exclusive_start_key(decode_page(page)?);
        if let Some(at) = at {
            q = q.expression_attribute_values(":at", s(due_key(at)));
        }
        let out = q.send().await.map_err(|e| sdk_error("Query", e))?;
        if let Some(cost) = &self.read_cost {
            cost.add(out.scanned_count.max(0) as u64, out.consumed_capacity.as_ref().and_then(|c| c.capacity_units).unwrap_or(0.0));
        }
        Ok(DuePage { next: encode_page(out.last_evaluated_key), items: out.items.unwrap_or_default() })
    }

    /// What a partition of the due-index holds that fell due at or before `now`, a page at a time, as `T`.
    async fn due_by<T: for<'de> Deserialize<'de>>(
        &self,
        due_pk: &str,
        now: Timestamp,
        page: Option<String>,
    ) -> Result<DuePage<T>, PortError> {
        let p = self.due_page(due_pk, "duePk = :pk AND dueAt <= :at", Some(now), true, page).await?;
        let items = p.items.into_iter().map(from_item).collect::<Result<Vec<T>, _>>()?;
        Ok(DuePage { items, next: p.next })
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
