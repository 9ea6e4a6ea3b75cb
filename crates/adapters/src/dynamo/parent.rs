//! Parents: their record, activation, link requests and e-learning.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{ModuleRecording, ParentRecord, ParentStore, PortError};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::referral::ParentDetails;
use pt4c_domain::ParentId;

use super::items::{from_item, outbox_item, parent_record, status_name, ParentItem, ReferralItem};
use super::keys::{link_requests_sk, parent_sk, referral_pk};
use super::update::parent_update;
use super::{s, sdk_error, Cancelled, DynamoStore};

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
        Ok(Some(parent_record(parent, &referral)))
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
            link_requests_sk(id.parent_ref(), day),
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
        module_id: &pt4c_domain::ModuleId,
        at: Timestamp,
        event: &OutboxEvent,
    ) -> Result<ModuleRecording, PortError> {
        // A completion before the parent was invited is not a fact: the write refuses it.
        let update = self.update(
            referral_pk(id.referral_id()),
            parent_sk(id.parent_ref()),
            "SET moduleTimes.#m = :at",
            "attribute_exists(pk) AND attribute_not_exists(moduleTimes.#m) AND receivedAt < :endOfSecond",
            &[("#m", module_id.as_str())],
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
