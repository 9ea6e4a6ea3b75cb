//! SES's reports on the notices, and the parents whose address failed.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a sent email's message id (written just before the notice is marked sent; expires after 30 days) | `MESSAGE#{messageId}` | `MESSAGE` |
//! | a parent listed as unreachable (due-index partition `UNREACHABLE`, by when) | `REFERRAL#{referralId}` | `UNREACHABLE#{parentRef}` |
//!
//! A notice keeps `deliveryStatus`, `deliveryRank` and `deliveryAt`; the parent keeps `unreachable`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use pt4c_domain::delivery::{DeliveryRecorded, DeliveryReport, ReportedNotice, Unreachable};
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{DeliveryLedger, PortError, UnreachableParent};
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::{ParentId, ParentRef, ReferralId};
use serde::{Deserialize, Serialize};

use super::items::{from_item, outbox_item, to_item};
use super::keys::{due_key, parent_sk, referral_pk};
use super::keys::{message_pk, unreachable_sk};
use super::{s, sdk_error, DynamoStore, Item};

const UNREACHABLE_DUE_PK: &str = "UNREACHABLE";
/// SES reports within days; the lookup is kept a month.
const MESSAGE_KEPT_SECS: i64 = 30 * 24 * 3600;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageItem {
    pk: String,
    sk: String,
    item_type: String,
    notice_pk: String,
    notice_sk: String,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnreachableItem {
    pk: String,
    sk: String,
    item_type: String,
    due_pk: String,
    due_at: String,
    parent_id: ParentId,
    unreachable: Unreachable,
}

impl DynamoStore {
    /// Where SES's reports about `message_id` find the notice (pk, sk): written before the notice
    /// is marked sent, so a notice marked sent can always be found from its reports.
    pub(super) async fn remember_message(&self, message_id: &str, notice_pk: &str, notice_sk: &str) -> Result<(), PortError> {
        let expires_at = jiff::Timestamp::now().as_second() + MESSAGE_KEPT_SECS;
        let item = to_item(&MessageItem {
            pk: message_pk(message_id),
            sk: "MESSAGE".into(),
            item_type: "message".into(),
            notice_pk: notice_pk.to_owned(),
            notice_sk: notice_sk.to_owned(),
            expires_at,
        })?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }
}

/// The notice a report is about, from the notice item's own attributes.
fn reported(item: &Item) -> Option<ReportedNotice> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str);
    let kind = NoticeKind::parse(text("kind")?)?;
    let parent = match (text("itemType"), text("pk").and_then(|pk| pk.strip_prefix("REFERRAL#")), text("parentRef")) {
        (Some("notice"), Some(referral), Some(r)) => match (ReferralId::parse(referral), ParentRef::parse(r)) {
            (Ok(referral), Ok(r)) => Some(ParentId::new(referral, r)),
            _ => None,
        },
        _ => None,
    };
    Some(ReportedNotice { parent, kind })
}

impl DeliveryLedger for DynamoStore {
    async fn record_delivery(&self, report: &DeliveryReport) -> Result<DeliveryRecorded, PortError> {
        let Some(lookup) = self.get(message_pk(&report.message_id), "MESSAGE").await? else {
            return Ok(DeliveryRecorded::UnknownMessage);
        };
        let lookup: MessageItem = from_item(lookup)?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(lookup.notice_pk))
            .key("sk", s(lookup.notice_sk))
            .update_expression("SET deliveryStatus = :status, deliveryRank = :rank, deliveryAt = :at")
            // Only news that says more: a duplicate or a straggler changes nothing.
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(deliveryRank) OR deliveryRank < :rank)")
            .expression_attribute_values(":status", s(report.status.as_str()))
            .expression_attribute_values(":rank", AttributeValue::N(report.status.rank().to_string()))
            .expression_attribute_values(":at", s(report.at.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(o) => {
                Ok(o.attributes.as_ref().and_then(reported).map(DeliveryRecorded::Recorded).unwrap_or(DeliveryRecorded::UnknownMessage))
            }
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                let old = match se.err() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => {
                        c.item().and_then(reported)
                    }
                    _ => None,
                };
                // No item: the notice was erased with its referral.
                Ok(old.map(DeliveryRecorded::AlreadyKnown).unwrap_or(DeliveryRecorded::UnknownMessage))
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn mark_unreachable(&self, parent: &ParentId, address: &EmailAddress, unreachable: &Unreachable) -> Result<bool, PortError> {
        let pk = referral_pk(parent.referral_id());
        let mark = to_item(unreachable)?;
        let update = self.update(
            pk.clone(),
            parent_sk(parent.parent_ref()),
            "SET unreachable = :u",
            "details.email = :address AND attribute_not_exists(unreachable)",
            &[],
            vec![(":u", AttributeValue::M(mark)), (":address", s(address.as_str()))],
        )?;
        let listed = to_item(&UnreachableItem {
            pk,
            sk: unreachable_sk(parent.parent_ref()),
            item_type: "unreachable".into(),
            due_pk: UNREACHABLE_DUE_PK.into(),
            due_at: format!("{}#{parent}", due_key(unreachable.since)),
            parent_id: parent.clone(),
            unreachable: unreachable.clone(),
        })?;
        self.transact_decided(vec![update, self.put(listed, None)?]).await
    }

    async fn correct_address(
        &self,
        parent: &ParentId,
        was: &EmailAddress,
        address: &EmailAddress,
        event: &OutboxEvent,
    ) -> Result<bool, PortError> {
        let pk = referral_pk(parent.referral_id());
        let update = self.update(
            pk.clone(),
            parent_sk(parent.parent_ref()),
            // The address-lookup key too, so the parent is found by the new address (`/new-link`).
            "SET details.email = :address, emailKey = :key REMOVE unreachable",
            "details.email = :was",
            &[],
            vec![
                (":address", s(address.as_str())),
                (":key", s(pt4c_domain::recovery::email_key(address.as_str()))),
                (":was", s(was.as_str())),
            ],
        )?;
        let delist = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(unreachable_sk(parent.parent_ref())))
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        self.transact_decided(vec![update, TransactWriteItem::builder().delete(delist).build(), self.put(outbox_item(event)?, None)?]).await
    }

    async fn unreachable_parents(&self, limit: usize) -> Result<Vec<UnreachableParent>, PortError> {
        let mut found = Vec::new();
        let mut page = None;
        loop {
            let p = self.due_page(UNREACHABLE_DUE_PK, "duePk = :pk", None, true, page).await?;
            for item in p.items {
                let listed: UnreachableItem = from_item(item)?;
                found.push(UnreachableParent { parent_id: listed.parent_id, unreachable: listed.unreachable });
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            match p.next {
                Some(next) => page = Some(next),
                None => return Ok(found),
            }
        }
    }
}
