//! Texts in the notice ledger: the same item as an email's notice (`NOTICE#{parentRef}#{kind}#{subject}#sms`,
//! erased with the referral), claimed in one transaction with a check that the number has not
//! opted out; the numbers that said STOP as `SMSOPTOUT#{sha256 of the number}` (no number kept,
//! never erased: a STOP outlives any one referral).

use aws_sdk_dynamodb::types::{ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{PortError, SmsLedger};
use pt4c_domain::sms::{SmsClaim, UkMobile};
use pt4c_domain::{ClaimId, ParentId, ParentRef};
use serde::Serialize;

use super::items::to_item;
use super::keys::opt_out_key;
use super::keys::{notice_sk, referral_pk};
use super::notice::{claim_condition_values, CLAIM_CONDITION};
use super::{cancellation, s, sdk_error, wall_clock_millis, Cancelled, DynamoStore};

/// A text's ledger item: read back as a notice (`itemType = notice`) by the progress record.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SmsNoticeItem {
    pk: String,
    sk: String,
    item_type: &'static str,
    parent_ref: ParentRef,
    kind: NoticeKind,
    subject: String,
    /// `sending`, `sent`, or `opted-out` (never sent, never tried again).
    state: &'static str,
    claim_id: String,
    claimed_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_until: Option<u64>,
}

impl DynamoStore {
    fn sms_item(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        state: &'static str,
        claim_id: &str,
        now: Timestamp,
    ) -> Result<super::Item, PortError> {
        to_item(&SmsNoticeItem {
            pk: referral_pk(parent.referral_id()),
            sk: notice_sk(parent.parent_ref(), kind, subject),
            item_type: "notice",
            parent_ref: parent.parent_ref().clone(),
            kind,
            subject: subject.to_owned(),
            state,
            claim_id: claim_id.to_owned(),
            claimed_at: now,
            lease_until: (state == "sending").then(|| wall_clock_millis() + self.claim_lease.as_millis() as u64),
        })
    }

    async fn sms_state(&self, parent: &ParentId, kind: NoticeKind, subject: &str) -> Result<Option<String>, PortError> {
        let item = self.get(referral_pk(parent.referral_id()), &notice_sk(parent.parent_ref(), kind, subject)).await?;
        Ok(item.and_then(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned()))
    }
}

impl SmsLedger for DynamoStore {
    async fn claim_sms(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        to: &UkMobile,
        now: Timestamp,
    ) -> Result<SmsClaim, PortError> {
        const CLAIM: usize = 0;
        let claim_id = uuid::Uuid::new_v4().to_string();
        let mut claim = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.sms_item(parent, kind, subject, "sending", &claim_id, now)?))
            .condition_expression(CLAIM_CONDITION)
            .expression_attribute_names("#state", "state")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in claim_condition_values(now) {
            claim = claim.expression_attribute_values(k, v);
        }
        let claim = TransactWriteItem::builder().put(claim.build().map_err(|e| PortError::Permanent(e.to_string()))?).build();
        let (opt_pk, opt_sk) = opt_out_key(to);
        let not_opted_out = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(opt_pk))
            .key("sk", s(opt_sk))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        let writes = vec![claim, TransactWriteItem::builder().condition_check(not_opted_out).build()];
        match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => Ok(SmsClaim::Claimed { claim_id: ClaimId::from_stored(claim_id) }),
            Err(e) => match cancellation("TransactWriteItems", e) {
                Cancelled::Condition(old, CLAIM) => {
                    let state = match old.and_then(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned()) {
                        Some(st) => Some(st),
                        None => self.sms_state(parent, kind, subject).await?,
                    };
                    Ok(match state.as_deref() {
                        Some("sent" | "opted-out") => SmsClaim::Done,
                        _ => SmsClaim::InProgress,
                    })
                }
                Cancelled::Condition(_, _) => {
                    // The number said STOP: recorded as not sent, unless the text is claimed or recorded already.
                    let out = self
                        .client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(self.sms_item(parent, kind, subject, "opted-out", &claim_id, now)?))
                        .condition_expression("attribute_not_exists(pk)")
                        .send()
                        .await;
                    match out {
                        Ok(_) => Ok(SmsClaim::OptedOut),
                        Err(aws_sdk_dynamodb::error::SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                            Ok(match self.sms_state(parent, kind, subject).await?.as_deref() {
                                Some("sent" | "opted-out") => SmsClaim::Done,
                                _ => SmsClaim::InProgress,
                            })
                        }
                        Err(e) => Err(sdk_error("PutItem", e)),
                    }
                }
                Cancelled::Conflict => Err(PortError::Retryable("text claim: transaction conflict".into())),
                Cancelled::Other(e) => Err(e),
            },
        }
    }

    async fn mark_sms_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> Result<(), PortError> {
        // As an email's record, without the SES message lookup (SNS reports nothing back to it).
        self.record_sent(referral_pk(parent.referral_id()), notice_sk(parent.parent_ref(), kind, subject), claim_id, message_id, at).await
    }

    async fn mark_sms_opted_out(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        to: &UkMobile,
        at: Timestamp,
    ) -> Result<(), PortError> {
        self.opt_out(to, at).await?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(notice_sk(parent.parent_ref(), kind, subject)))
            .update_expression("SET #state = :out REMOVE leaseUntil")
            .condition_expression("claimId = :claim AND #state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":out", s("opted-out"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":claim", s(claim_id))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(aws_sdk_dynamodb::error::SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn release_sms(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> Result<(), PortError> {
        self.release_item(referral_pk(parent.referral_id()), notice_sk(parent.parent_ref(), kind, subject), claim_id).await
    }

    async fn opt_out(&self, number: &UkMobile, at: Timestamp) -> Result<(), PortError> {
        let (pk, sk) = opt_out_key(number);
        // The first STOP's time is kept; another STOP changes nothing.
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET itemType = :type, optedOutAt = if_not_exists(optedOutAt, :at)")
            .expression_attribute_values(":type", s("sms-opt-out"))
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }
}
