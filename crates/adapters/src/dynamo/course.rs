//! The course after booking: attendance, follow-up calls, concerns, the closing of referrals and the case file.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, CaseFile, Concern, CourseStore, FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording,
    ParentRecord, ParentStore, PortError,
};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::sweep::referral_outcome;
use pt4c_domain::workshop::Booking;
use pt4c_domain::{ParentId, ReferralId, WorkshopId};
use serde::{Deserialize, Serialize};

use super::items::{from_item, outbox_item, record_from, status_name, to_item, FollowUpItem, ParentItem, ReferralItem, RosterItem};
use super::keys::{
    concern_sk, due_key, follow_up_sk, parent_sk, referral_pk, roster_sk, workshop_pk, CLOSING_DUE_PK, CONCERN_DUE_PK, ERASE_DUE_PK,
    FOLLOW_UP_DONE, FOLLOW_UP_DUE, FOLLOW_UP_LATE,
};
use super::update::parent_update;
use super::{s, sdk_error, Cancelled, DynamoStore};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcernItem {
    pk: String,
    sk: String,
    item_type: String,
    #[serde(flatten)]
    concern: Concern,
    /// In the due-index under `CONCERN` by when it was raised, so the console lists recent
    /// concerns without a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
}

impl DynamoStore {
    /// Marks the referral for closing, with a parent's closing change: if closing the referral
    /// fails after that change commits, the next sweep finds the mark and closes it.
    pub(super) fn mark_closing(&self, id: &ReferralId, now: Timestamp) -> Result<TransactWriteItem, PortError> {
        self.update(
            referral_pk(id),
            "REFERRAL".into(),
            "SET duePk = :closing, dueAt = :closingAt",
            // Never over a closed referral's erasure date.
            "attribute_exists(pk) AND (attribute_not_exists(duePk) OR duePk = :closing)",
            &[],
            vec![(":closing", s(CLOSING_DUE_PK)), (":closingAt", s(due_key(now)))],
        )
    }

    /// Clears the closing mark seen at `seen`, unless another parent's closing renewed it since.
    async fn clear_closing(&self, id: &ReferralId, seen: &str) -> Result<(), PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(referral_pk(id)))
            .key("sk", s("REFERRAL"))
            .update_expression("REMOVE duePk, dueAt")
            .condition_expression("duePk = :closing AND dueAt = :seen")
            .expression_attribute_values(":closing", s(CLOSING_DUE_PK))
            .expression_attribute_values(":seen", s(seen))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn all_follow_ups(
        &self,
        due_pk: &str,
        condition: &str,
        at: Option<Timestamp>,
        forward: bool,
    ) -> Result<Vec<FollowUpEntry>, PortError> {
        let mut out = Vec::new();
        let mut page = None;
        loop {
            let p = self.due_page(due_pk, condition, at, forward, page).await?;
            for item in p.items {
                out.push(from_item::<FollowUpItem>(item)?.entry());
            }
            match p.next {
                Some(n) => page = Some(n),
                None => return Ok(out),
            }
        }
    }
}

impl DynamoStore {
    /// What the trainer recorded for this parent at this workshop, from their roster place.
    async fn roster_record(&self, workshop_id: &WorkshopId, case_number: &str, parent: &ParentId) -> Result<Option<bool>, PortError> {
        let Some(item) = self.get(workshop_pk(workshop_id), &roster_sk(case_number)).await? else { return Ok(None) };
        let place: RosterItem = from_item(item)?;
        Ok(place.attended.filter(|_| &place.parent_id == parent))
    }
}

impl CourseStore for DynamoStore {
    async fn record_attendance(&self, parent: &ParentRecord, a: &Attendance, event: &OutboxEvent) -> Result<AttendanceOutcome, PortError> {
        let pid = &parent.parent_id;
        let (pk, sk) = (referral_pk(pid.referral_id()), parent_sk(pid.parent_ref()));
        let mut writes = Vec::new();
        if a.attended {
            let (expr, mut values) = parent_update(&["#status = :completed", "completedAt = :done", "attended = :true"], &[], a.due);
            values.extend([
                (":completed", s(status_name(ParentStatus::Completed))),
                (":done", s(a.completed_at.unwrap_or(a.recorded_at).to_string())),
                (":true", AttributeValue::Bool(true)),
                (":w", s(&a.workshop_id)),
                (":booked", s(status_name(ParentStatus::WorkshopBooked))),
            ]);
            writes.push(self.update(
                pk.clone(),
                sk,
                &expr,
                "booking.workshopId = :w AND #status = :booked",
                &[("#status", "status")],
                values,
            )?);
            if let Some(f) = &a.follow_up {
                writes.push(self.put(
                    to_item(&FollowUpItem {
                        pk: pk.clone(),
                        sk: follow_up_sk(pid.parent_ref()),
                        item_type: "follow-up".into(),
                        due_pk: FOLLOW_UP_DUE.into(),
                        due_at: due_key(f.due_by),
                        parent_id: pid.clone(),
                        referral_id: pid.referral_id().clone(),
                        workshop_id: f.workshop_id.clone(),
                        name: f.name.clone(),
                        phone: f.phone.clone(),
                        due_by: f.due_by,
                        completed_at: None,
                        outcome: None,
                        notes: None,
                    })?,
                    Some("attribute_not_exists(pk)"),
                )?);
            }
            writes.push(self.mark_closing(pid.referral_id(), a.recorded_at)?);
        } else {
            let (expr, mut values) = parent_update(&["#status = :dna", "lastWorkshop = booking", "attended = :false"], &["booking"], a.due);
            values.extend([
                (":dna", s(status_name(ParentStatus::DidNotAttend))),
                (":false", AttributeValue::Bool(false)),
                (":w", s(&a.workshop_id)),
                (":booked", s(status_name(ParentStatus::WorkshopBooked))),
            ]);
            writes.push(self.update(
                pk.clone(),
                sk,
                &expr,
                "booking.workshopId = :w AND #status = :booked",
                &[("#status", "status")],
                values,
            )?);
        }
        writes.push(self.update(
            workshop_pk(&a.workshop_id),
            roster_sk(&parent.case_number),
            "SET attended = :a",
            "parentId = :p",
            &[],
            vec![(":a", AttributeValue::Bool(a.attended)), (":p", s(pid.to_string()))],
        )?);
        writes.push(self.put(outbox_item(event)?, None)?);
        match self.transact(writes).await {
            Ok(()) => Ok(AttendanceOutcome::Recorded),
            Err(Cancelled::Condition(..)) => {
                // Decided; read only to say why.
                let Some(now) = self.parent(pid).await? else { return Ok(AttendanceOutcome::NotBooked) };
                let on_this = |b: &Option<Booking>| b.as_ref().is_some_and(|b| b.workshop_id == a.workshop_id);
                Ok(match (now.status, a.attended) {
                    (ParentStatus::Completed, true) if on_this(&now.booking) => AttendanceOutcome::AlreadyRecorded,
                    (ParentStatus::DidNotAttend, false) if on_this(&now.last_workshop) => AttendanceOutcome::AlreadyRecorded,
                    (ParentStatus::Completed, false) if on_this(&now.booking) => AttendanceOutcome::Conflict,
                    (ParentStatus::DidNotAttend, true) if on_this(&now.last_workshop) => AttendanceOutcome::Conflict,
                    (status @ (ParentStatus::NotCompleted | ParentStatus::Withdrawn), _) => AttendanceOutcome::ParentClosed(status),
                    // Booked again since: the roster place at this workshop still holds the record.
                    _ => match self.roster_record(&a.workshop_id, &parent.case_number, pid).await? {
                        Some(recorded) if recorded == a.attended => AttendanceOutcome::AlreadyRecorded,
                        Some(_) => AttendanceOutcome::Conflict,
                        None => AttendanceOutcome::NotBooked,
                    },
                })
            }
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn close_referral_if_done(
        &self,
        id: &ReferralId,
        now: Timestamp,
        erase_at: Timestamp,
        completed_event: impl Fn(Vec<ParentId>) -> OutboxEvent + Send,
    ) -> Result<Option<(ReferralStatus, Option<OutboxEvent>)>, PortError> {
        let mut referral: Option<ReferralItem> = None;
        let mut parents: Vec<ParentItem> = Vec::new();
        for item in self.partition(referral_pk(id)).await? {
            match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("referral") => referral = Some(from_item(item)?),
                Some("parent") => parents.push(from_item(item)?),
                _ => {}
            }
        }
        let Some(referral) = referral else { return Ok(None) };
        let closing_mark = referral.due_at.as_deref().filter(|_| referral.due_pk.as_deref() == Some(CLOSING_DUE_PK));
        let outcome = referral_outcome(&parents.iter().map(|p| p.status).collect::<Vec<_>>());
        let (ReferralStatus::Open, Some(outcome)) = (referral.status, outcome) else {
            // Closed already, or a parent still on the course (whose own closing will come back here).
            if let Some(seen) = closing_mark {
                self.clear_closing(id, seen).await?;
            }
            return Ok(None);
        };
        let update = self.update(
            referral_pk(id),
            "REFERRAL".into(),
            "SET #status = :outcome, closedAt = :now, duePk = :erase, dueAt = :eraseAt",
            "#status = :open",
            &[("#status", "status")],
            vec![
                (":outcome", s(if outcome == ReferralStatus::Completed { "completed" } else { "not_completed" })),
                (":open", s("open")),
                (":now", s(now.to_string())),
                (":erase", s(ERASE_DUE_PK)),
                (":eraseAt", s(due_key(erase_at))),
            ],
        )?;
        let event = (outcome == ReferralStatus::Completed)
            .then(|| completed_event(referral.parent_refs.iter().map(|r| ParentId::new(id.clone(), r.clone())).collect()));
        let mut writes = vec![update];
        if let Some(e) = &event {
            writes.push(self.put(outbox_item(e)?, None)?);
        }
        match self.transact(writes).await {
            Ok(()) => Ok(Some((outcome, event))),
            // Closed by a concurrent change that saw the same.
            Err(Cancelled::Condition(..)) => Ok(None),
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn follow_ups(&self, list: FollowUpList, now: Timestamp) -> Result<Vec<FollowUpEntry>, PortError> {
        match list {
            FollowUpList::Due => self.all_follow_ups(FOLLOW_UP_DUE, "duePk = :pk AND dueAt >= :at", Some(now), true).await,
            FollowUpList::Overdue => {
                let mut late = self.all_follow_ups(FOLLOW_UP_DUE, "duePk = :pk AND dueAt < :at", Some(now), true).await?;
                late.extend(self.all_follow_ups(FOLLOW_UP_LATE, "duePk = :pk", None, true).await?);
                late.sort_by_key(|f| f.due_by);
                Ok(late)
            }
            FollowUpList::Done => self.all_follow_ups(FOLLOW_UP_DONE, "duePk = :pk", None, false).await,
        }
    }

    async fn record_follow_up(
        &self,
        parent: &ParentId,
        outcome: FollowUpOutcome,
        notes: Option<&str>,
        now: Timestamp,
    ) -> Result<FollowUpRecording, PortError> {
        let (pk, sk) = (referral_pk(parent.referral_id()), follow_up_sk(parent.parent_ref()));
        let mut b = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .key("sk", s(sk.clone()))
            .update_expression(if notes.is_some() {
                "SET duePk = :done, dueAt = :at, completedAt = :now, outcome = :outcome, notes = :notes"
            } else {
                "SET duePk = :done, dueAt = :at, completedAt = :now, outcome = :outcome"
            })
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(outcome)")
            .expression_attribute_values(":done", s(FOLLOW_UP_DONE))
            .expression_attribute_values(":at", s(due_key(now)))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":outcome", s(outcome.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if let Some(n) = notes {
            b = b.expression_attribute_values(":notes", s(n));
        }
        match b.send().await {
            Ok(out) => Ok(FollowUpRecording::Recorded(from_item::<FollowUpItem>(out.attributes.unwrap_or_default())?.entry())),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => match self.get(pk, &sk).await? {
                None => Ok(FollowUpRecording::NotFound),
                Some(item) => {
                    let entry = from_item::<FollowUpItem>(item)?.entry();
                    Ok(if entry.outcome == Some(outcome) && entry.notes.as_deref() == notes {
                        FollowUpRecording::AlreadyRecorded(entry)
                    } else {
                        FollowUpRecording::Conflict
                    })
                }
            },
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn raise_concern(&self, concern: &Concern, event: &OutboxEvent) -> Result<bool, PortError> {
        let pid = &concern.parent_id;
        let item = to_item(&ConcernItem {
            pk: referral_pk(pid.referral_id()),
            sk: concern_sk(pid.parent_ref(), &concern.concern_id),
            item_type: "concern".into(),
            concern: concern.clone(),
            due_pk: Some(CONCERN_DUE_PK.into()),
            due_at: Some(due_key(concern.raised_at)),
        })?;
        self.transact_decided(vec![self.put(item, Some("attribute_not_exists(pk)"))?, self.put(outbox_item(event)?, None)?]).await
    }

    async fn concern(&self, parent: &ParentId, concern_id: &pt4c_domain::ConcernId) -> Result<Option<Concern>, PortError> {
        match self.get(referral_pk(parent.referral_id()), &concern_sk(parent.parent_ref(), concern_id)).await? {
            None => Ok(None),
            Some(item) => Ok(Some(from_item::<ConcernItem>(item)?.concern)),
        }
    }

    async fn case_file(&self, id: &ReferralId) -> Result<Option<CaseFile>, PortError> {
        let items = self.partition(referral_pk(id)).await?;
        let mut referral: Option<ReferralItem> = None;
        let mut names = BTreeMap::new();
        for item in &items {
            match item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("referral") => referral = Some(from_item(item.clone())?),
                Some("parent") => {
                    let p: ParentItem = from_item(item.clone())?;
                    names.insert(p.parent_id, format!("{} {}", p.details.first_name, p.details.last_name));
                }
                _ => {}
            }
        }
        let (Some(referral), Some(record)) = (referral, record_from(items)?) else { return Ok(None) };
        Ok(Some(CaseFile {
            case_number: referral.case_number,
            court: referral.court,
            family_court_adviser: referral.family_court_adviser,
            record,
            names,
        }))
    }
}
