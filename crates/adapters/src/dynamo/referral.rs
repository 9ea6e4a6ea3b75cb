//! Referrals: taking one in with its parents, reading its progress and contacts, withdrawing it.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{Intake, ParentContact, PortError, ReferralContacts, ReferralStore, Withdrawal};
use pt4c_domain::progress::{ParentStatus, ProgressRecord, ReferralStatus};
use pt4c_domain::referral::{surname_key, CaseNumber, NewReferral, NAMED_AT_MOST};
use pt4c_domain::{ParentId, ReferralId};

use super::items::{from_item, outbox_item, record_from, status_name, to_item, ParentItem, ReferralItem};
use super::keys::{case_pk, due_key, name_pk, named_parent_sk, parent_sk, referral_pk, ERASE_DUE_PK, PARENT_DUE_PK};
use super::update::parent_update;
use super::{s, sdk_error, Cancelled, DynamoStore, Item};

/// A withdrawal re-read this many times when its parents change under it.
const WITHDRAW_ATTEMPTS: usize = 5;

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
            let mut parent_item = to_item(&ParentItem {
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
                waiting: None,
                offer: None,
                received_at: now,
                complete_by: referral.complete_by,
                due_pk: first_due.map(|_| PARENT_DUE_PK.to_owned()),
                due_at: first_due.map(due_key),
                rev: 0,
                attended: None,
                rostered_on: Vec::new(),
                last_workshop: None,
                unreachable: None,
            })?;
            // In the sparse email index, so `/new-link` finds the parent by the address they type.
            let (name, value) = super::email_key_attribute(details.email.as_str());
            parent_item.insert(name, value);
            writes.push(self.put(parent_item, Some("attribute_not_exists(pk)"))?);
        }
        // The case's lookup: the referral id only (the case number is its key), so staff find a
        // case's referrals with one Query. Unconditional: the referral's own condition decides.
        writes.push(self.put(
            Item::from([
                ("pk".to_owned(), s(case_pk(&referral.case_number))),
                ("sk".to_owned(), s(pk.clone())),
                ("referralId".to_owned(), s(referral.referral_id.as_str())),
            ]),
            None,
        )?);
        // Each parent's name lookup: the parent id only (the surname's key is its key), so staff
        // find parents by name with one Query. Unconditional too.
        for (details, parent_id) in referral.parents.iter().zip(referral.parent_ids()) {
            let Some(surname) = surname_key(&details.last_name) else { continue };
            writes.push(self.put(
                Item::from([
                    ("pk".to_owned(), s(name_pk(&surname))),
                    ("sk".to_owned(), s(named_parent_sk(&parent_id))),
                    ("parentId".to_owned(), s(parent_id.to_string())),
                ]),
                None,
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

    async fn referrals_of_case(&self, case: &CaseNumber) -> Result<Vec<ReferralId>, PortError> {
        let items = self.partition(case_pk(case)).await?;
        let ids = items.iter().filter_map(|i| i.get("referralId").and_then(|v| v.as_s().ok()));
        ids.map(|id| ReferralId::parse(id).map_err(|m| PortError::Permanent(format!("case lookup: referral id {m}")))).collect()
    }

    async fn parents_named(&self, surname: &str) -> Result<Vec<ParentId>, PortError> {
        let Some(surname) = surname_key(surname) else { return Ok(Vec::new()) };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(name_pk(&surname)))
            .limit(NAMED_AT_MOST as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let ids = out.items().iter().filter_map(|i| i.get("parentId").and_then(|v| v.as_s().ok()));
        ids.map(|id| ParentId::parse(id).map_err(|m| PortError::Permanent(format!("name lookup: parent id {m}")))).collect()
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
                        email: p.details.email.clone(),
                        phone: p.details.phone.map(|ph| ph.as_str().to_owned()),
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
