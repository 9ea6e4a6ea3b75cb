//! The notice ledger: each email claimed before it is sent, marked once sent, so it goes once.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use jiff::{SignedDuration, Timestamp};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{NoticeClaim, NoticeLedger, PortError, WorkshopNoticeLedger};
use pt4c_domain::{ParentId, WorkshopId};
use serde::{Deserialize, Serialize};

use super::items::{to_item, NoticeItem};
use super::keys::workshop_notice_sk;
use super::keys::{notice_sk, referral_pk, workshop_pk};
use super::{s, sdk_error, wall_clock_millis, wall_clock_nanos, DynamoStore};

/// Claims written before leases were timed by `leaseUntil`: taken over after this.
const LEGACY_CLAIM_LEASE: SignedDuration = SignedDuration::from_secs(300);

/// A notice may be claimed when it is new, or when its claimant's lease ran out (it is surely gone).
pub(super) const CLAIM_CONDITION: &str =
    "attribute_not_exists(pk) OR (#state = :sending AND (leaseUntil < :wall OR (attribute_not_exists(leaseUntil) AND claimedAt < :stale)))";

/// The names and values [`CLAIM_CONDITION`] uses, as of `now`.
pub(super) fn claim_condition_values(now: Timestamp) -> [(&'static str, AttributeValue); 3] {
    [
        (":sending", s("sending")),
        (":wall", AttributeValue::N(wall_clock_millis().to_string())),
        (":stale", s((now - LEGACY_CLAIM_LEASE).to_string())),
    ]
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
            delivery_status: None,
        })?;
        self.claim_item(item, claim_id, referral_pk(parent.referral_id()), notice_sk(parent.parent_ref(), kind, subject), now).await
    }

    async fn mark_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &pt4c_domain::ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        let (pk, sk) = (referral_pk(parent.referral_id()), notice_sk(parent.parent_ref(), kind, subject));
        self.mark_item_sent(pk, sk, claim_id, message_id, sent_at).await
    }

    async fn release(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &pt4c_domain::ClaimId) -> Result<(), PortError> {
        self.release_item(referral_pk(parent.referral_id()), notice_sk(parent.parent_ref(), kind, subject), claim_id).await
    }
}

/// Emails to a workshop's trainers, kept in the workshop's partition (`NOTICE#{kind}#{subject}`).
impl WorkshopNoticeLedger for DynamoStore {
    async fn claim_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        now: Timestamp,
    ) -> Result<NoticeClaim, PortError> {
        let claim_id = uuid::Uuid::new_v4().to_string();
        let item = to_item(&WorkshopNoticeItem {
            pk: workshop_pk(workshop),
            sk: workshop_notice_sk(kind, subject),
            item_type: "workshop-notice".into(),
            kind,
            subject: subject.to_owned(),
            state: "sending".into(),
            claim_id: claim_id.clone(),
            claimed_at: now,
            lease_until: Some(wall_clock_millis() + self.claim_lease.as_millis() as u64),
        })?;
        self.claim_item(item, claim_id, workshop_pk(workshop), workshop_notice_sk(kind, subject), now).await
    }

    async fn mark_sent_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &pt4c_domain::ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        self.mark_item_sent(workshop_pk(workshop), workshop_notice_sk(kind, subject), claim_id, message_id, sent_at).await
    }

    async fn release_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &pt4c_domain::ClaimId,
    ) -> Result<(), PortError> {
        self.release_item(workshop_pk(workshop), workshop_notice_sk(kind, subject), claim_id).await
    }
}

/// A claim on an email to staff about a workshop (no personal data: the trainer is read at sending).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkshopNoticeItem {
    pk: String,
    sk: String,
    item_type: String,
    kind: NoticeKind,
    subject: String,
    state: String,
    claim_id: String,
    claimed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<u64>,
}

// The ledger's rules on one notice item, whatever partition keeps it.
impl DynamoStore {
    pub(super) async fn claim_item(
        &self,
        item: super::Item,
        claim_id: String,
        pk: String,
        sk: String,
        now: Timestamp,
    ) -> Result<NoticeClaim, PortError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(CLAIM_CONDITION)
            .expression_attribute_names("#state", "state")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in claim_condition_values(now) {
            put = put.expression_attribute_values(k, v);
        }
        let out = put.send().await;
        match out {
            Ok(_) => Ok(NoticeClaim::Claimed { claim_id: pt4c_domain::ClaimId::from_stored(claim_id) }),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                let state = match se.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                        c.item().and_then(|i| i.get("state")).and_then(|v| v.as_s().ok()).cloned()
                    }
                    _ => None,
                };
                let state = match state {
                    Some(st) => Some(st),
                    None => self.get(pk, &sk).await?.and_then(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned()),
                };
                Ok(match state.as_deref() {
                    Some("sent") => NoticeClaim::AlreadySent,
                    _ => NoticeClaim::InProgress,
                })
            }
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    pub(super) async fn mark_item_sent(
        &self,
        pk: String,
        sk: String,
        claim_id: &pt4c_domain::ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        // First where SES's reports will find the notice, so a notice marked sent can be.
        self.remember_message(message_id, &pk, &sk).await?;
        self.record_sent(pk, sk, claim_id, message_id, sent_at).await
    }

    /// The notice (an email's or a text's) marked sent by the claim that sent it.
    pub(super) async fn record_sent(
        &self,
        pk: String,
        sk: String,
        claim_id: &pt4c_domain::ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
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

    pub(super) async fn release_item(&self, pk: String, sk: String, claim_id: &pt4c_domain::ClaimId) -> Result<(), PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
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
