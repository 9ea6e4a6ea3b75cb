//! Arrangement tasks and the coordinators' email ledger.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | task | `REFERRAL#{referralId}` | `TASK#{parentRef}#{workshopId}@{bookedAt}` (due-index `TASK` by the workshop's start while open) |
//! | email to the coordinators about a referral | `REFERRAL#{referralId}` | `STAFFNOTICE#{kind}#{subject}` |
//! | email to the coordinators about the course | `COORDINATORS` | `STAFFNOTICE#{kind}#{subject}` |
//!
//! Tasks and their emails live in the referral's partition, so its erasure deletes them with it.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{ConditionCheck, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::arrangements::{Marking, Task, TaskStatus};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ArrangementStore, CoordinatorNoticeLedger, NoticeClaim, PortError};
use pt4c_domain::{ClaimId, ParentId, ReferralId};
use serde::{Deserialize, Serialize};

use super::items::{from_item, to_item};
use super::keys::{due_key, parent_sk, referral_pk, DUE_INDEX};
use super::keys::{ledger_key, task_sk};
use super::{s, sdk_error, wall_clock_millis, DynamoStore, Item};

/// Open tasks in the due-index, by their workshop's start.
const TASK_DUE_PK: &str = "TASK";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskItem {
    pk: String,
    sk: String,
    item_type: String,
    #[serde(flatten)]
    task: Task,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
}

fn status_name(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "open",
        TaskStatus::Done => "done",
        TaskStatus::Closed => "closed",
    }
}

fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some("ConditionalCheckFailedException"))
}

impl ArrangementStore for DynamoStore {
    async fn open_task(&self, task: &Task) -> Result<bool, PortError> {
        let pk = referral_pk(task.parent_id.referral_id());
        let item = to_item(&TaskItem {
            pk: pk.clone(),
            sk: task_sk(&task.parent_id, &task.task_id),
            item_type: "task".into(),
            task: task.clone(),
            due_pk: Some(TASK_DUE_PK.into()),
            due_at: Some(due_key(task.starts_at)),
        })?;
        // The parent still holds the booking the task is for: a delivery read before a
        // cancellation cannot open a task after it.
        let holds = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(parent_sk(task.parent_id.parent_ref())))
            .condition_expression("booking.workshopId = :w AND booking.bookedAt = :b")
            .expression_attribute_values(":w", s(task.workshop_id.as_str()))
            .expression_attribute_values(":b", s(task.booked_at.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        self.transact_decided(vec![
            self.put(item, Some("attribute_not_exists(pk)"))?,
            TransactWriteItem::builder().condition_check(holds).build(),
        ])
        .await
    }

    async fn tasks_of(&self, parent: &ParentId) -> Result<Vec<Task>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :task)")
            .expression_attribute_values(":pk", s(referral_pk(parent.referral_id())))
            .expression_attribute_values(":task", s(format!("TASK#{}#", parent.parent_ref())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let mut tasks =
            out.items.unwrap_or_default().into_iter().map(|i| from_item::<TaskItem>(i).map(|t| t.task)).collect::<Result<Vec<_>, _>>()?;
        tasks.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.task_id.cmp(&b.task_id)));
        Ok(tasks)
    }

    async fn close_task(&self, parent: &ParentId, task_id: &str, at: Timestamp) -> Result<bool, PortError> {
        match self.settle(parent, task_id, TaskStatus::Closed, at, None).await {
            Ok(_) => Ok(true),
            Err(Settled::NotOpen(_)) => Ok(false),
            Err(Settled::Failed(e)) => Err(e),
        }
    }

    async fn retime_task(&self, parent: &ParentId, task_id: &str, starts_at: Timestamp) -> Result<bool, PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(task_sk(parent, task_id)))
            .update_expression("SET startsAt = :starts, dueAt = :due")
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":open", s(status_name(TaskStatus::Open)))
            .expression_attribute_values(":starts", s(starts_at.to_string()))
            .expression_attribute_values(":due", s(due_key(starts_at)))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn mark_task_done(&self, parent: &ParentId, task_id: &str, by: &str, at: Timestamp) -> Result<Marking, PortError> {
        match self.settle(parent, task_id, TaskStatus::Done, at, Some(by)).await {
            Ok(task) => Ok(Marking::Done(task)),
            Err(Settled::NotOpen(None)) => Ok(Marking::NotFound),
            Err(Settled::NotOpen(Some(t))) if t.status == TaskStatus::Done => Ok(Marking::AlreadyDone(*t)),
            Err(Settled::NotOpen(Some(_))) => Ok(Marking::Closed),
            Err(Settled::Failed(e)) => Err(e),
        }
    }

    async fn open_tasks(&self, until: Timestamp, limit: usize) -> Result<Vec<Task>, PortError> {
        let mut tasks = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("duePk = :pk AND dueAt <= :until")
                .expression_attribute_values(":pk", s(TASK_DUE_PK))
                .expression_attribute_values(":until", s(due_key(until)))
                .limit(limit.saturating_sub(tasks.len()).clamp(1, 100) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for item in out.items.unwrap_or_default() {
                tasks.push(from_item::<TaskItem>(item)?.task);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && tasks.len() < limit => start = Some(k),
                _ => return Ok(tasks),
            }
        }
    }
}

enum Settled {
    /// The task as it was (none: there is no such task).
    NotOpen(Option<Box<Task>>),
    Failed(PortError),
}

impl DynamoStore {
    /// Done or closed, only while open: it leaves the due-index.
    async fn settle(&self, parent: &ParentId, task_id: &str, to: TaskStatus, at: Timestamp, by: Option<&str>) -> Result<Task, Settled> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(task_sk(parent, task_id)))
            .update_expression(if by.is_some() {
                "SET #status = :to, settledAt = :at, doneBy = :by REMOVE duePk, dueAt"
            } else {
                "SET #status = :to, settledAt = :at REMOVE duePk, dueAt"
            })
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(status_name(to)))
            .expression_attribute_values(":open", s(status_name(TaskStatus::Open)))
            .expression_attribute_values(":at", s(at.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(by) = by {
            update = update.expression_attribute_values(":by", s(by));
        }
        match update.send().await {
            Ok(out) => {
                let item: Item = out.attributes.unwrap_or_default();
                from_item::<TaskItem>(item).map(|t| t.task).map_err(Settled::Failed)
            }
            Err(e) if is_condition_failure(&e) => {
                let old = match &e {
                    SdkError::ServiceError(se) => match se.err() {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item().cloned(),
                        _ => None,
                    },
                    _ => None,
                };
                let old = match old {
                    Some(i) if !i.is_empty() => Some(i),
                    // Not every DynamoDB answers with the item: read it.
                    _ => self.get(referral_pk(parent.referral_id()), &task_sk(parent, task_id)).await.map_err(Settled::Failed)?,
                };
                Err(Settled::NotOpen(old.map(from_item::<TaskItem>).transpose().map_err(Settled::Failed)?.map(|t| Box::new(t.task))))
            }
            Err(e) => Err(Settled::Failed(sdk_error("UpdateItem", e))),
        }
    }
}

/// A claim on an email to the coordinators (no personal data: ids and a day).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CoordinatorNoticeItem {
    pk: String,
    sk: String,
    item_type: String,
    kind: NoticeKind,
    subject: String,
    state: String,
    claim_id: String,
    claimed_at: Timestamp,
    lease_until: u64,
}

impl CoordinatorNoticeLedger for DynamoStore {
    async fn claim_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        now: Timestamp,
    ) -> Result<NoticeClaim, PortError> {
        let (pk, sk) = ledger_key(about, kind, subject);
        let claim_id = uuid::Uuid::new_v4().to_string();
        let item = to_item(&CoordinatorNoticeItem {
            pk: pk.clone(),
            sk: sk.clone(),
            item_type: "staff-notice".into(),
            kind,
            subject: subject.to_owned(),
            state: "sending".into(),
            claim_id: claim_id.clone(),
            claimed_at: now,
            lease_until: wall_clock_millis() + self.claim_lease.as_millis() as u64,
        })?;
        self.claim_item(item, claim_id, pk, sk, now).await
    }

    async fn mark_sent_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        let (pk, sk) = ledger_key(about, kind, subject);
        self.mark_item_sent(pk, sk, claim_id, message_id, sent_at).await
    }

    async fn release_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> Result<(), PortError> {
        let (pk, sk) = ledger_key(about, kind, subject);
        self.release_item(pk, sk, claim_id).await
    }
}
