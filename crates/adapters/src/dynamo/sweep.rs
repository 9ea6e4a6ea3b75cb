//! The sweep's reads of the due-index and its writes: parents falling due, overdue follow-ups,
//! cancelled workshops, referrals to close, and erasure at the end of retention.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{DuePage, DueParent, FollowUpEntry, PortError, SweepChange, SweepStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::referral::{surname_key, CaseNumber};
use pt4c_domain::WorkshopId;
use pt4c_domain::{ParentId, ReferralId};
use serde::Deserialize;

use super::items::FollowUpItem;
use super::items::{from_item, outbox_item, status_name, CancellingMark, ParentItem};
use super::keys::{
    case_pk, follow_up_sk, name_pk, named_parent_sk, parent_sk, referral_pk, workshop_pk, CANCELLING_DUE_PK, CLOSING_DUE_PK, ERASE_DUE_PK,
    FOLLOW_UP_DUE, FOLLOW_UP_LATE, PARENT_DUE_PK,
};
use super::update::parent_update;
use super::{s, sdk_error, Cancelled, DynamoStore};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferralKey {
    referral_id: ReferralId,
}

impl SweepStore for DynamoStore {
    async fn due_parents(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<DueParent>, PortError> {
        let p = self.due_page(PARENT_DUE_PK, "duePk = :pk AND dueAt <= :at", Some(now), true, page).await?;
        let mut parents = Vec::with_capacity(p.items.len());
        for item in p.items {
            let parent: ParentItem = from_item(item)?;
            let Some(due_at) = parent.due_at.as_deref().and_then(|d| d.parse().ok()) else { continue };
            parents.push(DueParent {
                state: parent.due_state(),
                parent_id: parent.parent_id,
                case_number: parent.case_number,
                due_at,
                rev: parent.rev,
            });
        }
        Ok(DuePage { items: parents, next: p.next })
    }

    async fn apply_sweep(&self, change: &SweepChange, events: &[OutboxEvent]) -> Result<bool, PortError> {
        let pid = &change.parent_id;
        // Positions in the transaction: the seat and the roster place come after the parent's own update.
        const SEAT: usize = 1;
        const ROSTER_PLACE: usize = 2;
        let build = |release: bool| -> Result<Vec<TransactWriteItem>, PortError> {
            let mut sets = Vec::new();
            let mut removes = Vec::new();
            if change.not_completed {
                sets.push("#status = :nc");
            }
            if release {
                removes.push("booking");
            }
            let (expr, mut values) = parent_update(&sets, &removes, change.next_due);
            values.push((":rev", AttributeValue::N(change.rev.to_string())));
            if change.not_completed {
                values.push((":nc", s(status_name(ParentStatus::NotCompleted))));
            }
            let names: &[(&str, &str)] = if change.not_completed { &[("#status", "status")] } else { &[] };
            let mut writes = vec![self.update(
                referral_pk(pid.referral_id()),
                parent_sk(pid.parent_ref()),
                &expr,
                "attribute_exists(pk) AND rev = :rev",
                names,
                values,
            )?];
            if let (true, Some((booking, case_number))) = (release, &change.release) {
                writes.extend(self.seat_given_back(&booking.workshop_id, case_number, pid, None)?);
            }
            if change.not_completed {
                writes.push(self.mark_closing(pid.referral_id(), change.now)?);
            }
            for e in events {
                writes.push(self.put(outbox_item(e)?, None)?);
            }
            Ok(writes)
        };
        let release = change.release.is_some();
        match self.transact(build(release)?).await {
            Ok(()) => Ok(true),
            Err(Cancelled::Condition(_, SEAT | ROSTER_PLACE)) if release => {
                // The seat was already given back some other way: close the parent without it.
                self.transact_decided(build(false)?).await
            }
            Err(Cancelled::Condition(..)) => Ok(false),
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn overdue_follow_ups(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<FollowUpEntry>, PortError> {
        Ok(self.due_by(FOLLOW_UP_DUE, now, page).await?.map(FollowUpItem::entry))
    }

    async fn mark_follow_up_overdue(&self, parent: &ParentId, event: &OutboxEvent) -> Result<bool, PortError> {
        let update = self.update(
            referral_pk(parent.referral_id()),
            follow_up_sk(parent.parent_ref()),
            "SET duePk = :late",
            "duePk = :due",
            &[],
            vec![(":late", s(FOLLOW_UP_LATE)), (":due", s(FOLLOW_UP_DUE))],
        )?;
        self.update_with_event(update, event).await
    }

    async fn cancelled_workshops(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<WorkshopId>, PortError> {
        Ok(self.due_by(CANCELLING_DUE_PK, now, page).await?.map(|m: CancellingMark| m.workshop_id))
    }

    async fn referrals_to_close(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<ReferralId>, PortError> {
        Ok(self.due_by(CLOSING_DUE_PK, now, page).await?.map(|r: ReferralKey| r.referral_id))
    }

    async fn referrals_to_erase(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<ReferralId>, PortError> {
        Ok(self.due_by(ERASE_DUE_PK, now, page).await?.map(|r: ReferralKey| r.referral_id))
    }

    async fn erase_referral(&self, id: &ReferralId) -> Result<usize, PortError> {
        let pk = referral_pk(id);
        let items = self.partition(pk.clone()).await?;
        // First the places outside the partition that name the referral's people or case: its case
        // lookup (found from the referral item, which goes last), the parents' name lookups and
        // roster places (found from the parents, so these go before the parents do).
        let mut erased_elsewhere = 0;
        for item in &items {
            match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("parent") => {}
                Some("referral") => {
                    if let Some(case) = item.get("caseNumber").and_then(|v| v.as_s().ok()) {
                        erased_elsewhere += usize::from(self.erase_case_lookup(case, id).await?);
                    }
                    continue;
                }
                _ => continue,
            }
            let parent: ParentItem = from_item(item.clone())?;
            if let Some(surname) = surname_key(&parent.details.last_name) {
                erased_elsewhere += usize::from(self.erase_lookup(name_pk(&surname), named_parent_sk(&parent.parent_id)).await?);
            }
            let mut workshops: Vec<WorkshopId> = parent.rostered_on.clone();
            workshops.extend(parent.booking.iter().chain(parent.last_workshop.iter()).map(|b| b.workshop_id.clone()));
            workshops.sort();
            workshops.dedup();
            for workshop_id in workshops {
                if self.erase_roster_place(&workshop_id, &parent.case_number, &parent.parent_id).await? {
                    erased_elsewhere += 1;
                }
            }
        }
        // The referral item goes last: it carries the erasure mark, so a run cut off part way is finished by the next.
        let keys: Vec<(String, String)> = items
            .into_iter()
            .filter_map(|item| item.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .filter(|sk| sk != "REFERRAL")
            .map(|sk| (pk.clone(), sk))
            .collect();
        let deleted = keys.len() + erased_elsewhere;
        if self.delete_batch(keys.into_iter()).await? > 0 {
            return Err(PortError::Retryable("BatchWriteItem left items unprocessed".into()));
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s("REFERRAL"))
            .condition_expression("duePk = :erase")
            .expression_attribute_values(":erase", s(ERASE_DUE_PK))
            .send()
            .await;
        match result {
            Ok(_) => Ok(deleted + 1),
            // Erased by a run at the same time.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(deleted),
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
    }
}

impl DynamoStore {
    /// Deletes the referral's item under its case number; false if there was none (erased before).
    async fn erase_case_lookup(&self, case: &str, id: &ReferralId) -> Result<bool, PortError> {
        let case = CaseNumber::parse(case).map_err(|m| PortError::Permanent(format!("stored case number {m}")))?;
        self.erase_lookup(case_pk(&case), referral_pk(id)).await
    }

    /// Deletes a lookup item (a case's referral, a surname's parent); false if there was none (erased before).
    async fn erase_lookup(&self, pk: String, sk: String) -> Result<bool, PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Deletes a parent's roster place on a workshop and takes their case off the workshop's
    /// booked cases, in one transaction; false if the place was not theirs (or is gone).
    async fn erase_roster_place(&self, workshop_id: &WorkshopId, case_number: &str, parent: &ParentId) -> Result<bool, PortError> {
        let cases = self.update(
            workshop_pk(workshop_id),
            "WORKSHOP".into(),
            "DELETE cases :case",
            "attribute_exists(pk)",
            &[],
            vec![(":case", AttributeValue::Ss(vec![case_number.to_owned()]))],
        )?;
        self.transact_decided(vec![self.roster_place_delete(workshop_id, case_number, parent)?, cases]).await
    }
}
