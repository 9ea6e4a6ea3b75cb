//! Attendance, follow-ups, concerns, the closing of referrals and the sweep's reads and writes.

use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, TransactWriteItem};

use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, CaseFile, Concern, CourseStore, DuePage, DueParent, FollowUpEntry, FollowUpList, FollowUpOutcome,
    FollowUpRecording, SweepChange, SweepStore,
};
use pt4c_domain::sweep::referral_outcome;

use super::*;

const FOLLOW_UP_DUE: &str = "FOLLOWUP";
/// Past its date, the trainer told.
const FOLLOW_UP_LATE: &str = "FOLLOWUP_LATE";
const FOLLOW_UP_DONE: &str = "FOLLOWUP_DONE";
/// Items a sweep reads per page of the due-index.
const PAGE: i32 = 100;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferralKey {
    referral_id: ReferralId,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FollowUpItem {
    pk: String,
    sk: String,
    item_type: String,
    due_pk: String,
    due_at: String,
    pub(super) parent_id: ParentId,
    referral_id: ReferralId,
    workshop_id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    pub(super) due_by: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) outcome: Option<FollowUpOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
}

impl FollowUpItem {
    fn entry(self) -> FollowUpEntry {
        FollowUpEntry {
            parent_id: self.parent_id,
            referral_id: self.referral_id,
            name: self.name,
            phone: self.phone,
            workshop_id: self.workshop_id,
            due_by: self.due_by,
            completed_at: self.completed_at,
            outcome: self.outcome,
            notes: self.notes,
        }
    }
}

pub(super) fn follow_up_outcome_name(o: FollowUpOutcome) -> &'static str {
    match o {
        FollowUpOutcome::Reached => "reached",
        FollowUpOutcome::NoAnswer => "no_answer",
        FollowUpOutcome::Declined => "declined",
    }
}

fn follow_up_sk(r: &ParentRef) -> String {
    format!("FOLLOWUP#{r}")
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcernItem {
    pk: String,
    sk: String,
    item_type: String,
    #[serde(flatten)]
    concern: Concern,
}

fn concern_sk(r: &ParentRef, id: &str) -> String {
    format!("CONCERN#{r}#{id}")
}

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
    /// One page of the due-index under `due_pk`, with the items read and the capacity it cost.
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
        Ok(DuePage {
            items_read: out.scanned_count.max(0) as u64,
            capacity_units: out.consumed_capacity.as_ref().and_then(|c| c.capacity_units).unwrap_or(0.0),
            next: encode_page(out.last_evaluated_key),
            items: out.items.unwrap_or_default(),
        })
    }

    /// Marks the referral for closing, with a parent's closing change: if closing the referral
    /// fails after that change commits, the next sweep finds the mark and closes it.
    fn mark_closing(&self, id: &ReferralId, now: Timestamp) -> Result<TransactWriteItem, PortError> {
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

    /// What a partition of the due-index holds that fell due at or before `now`, a page at a time, as `T`.
    async fn due_by<T: for<'de> Deserialize<'de>>(
        &self,
        due_pk: &str,
        now: Timestamp,
        page: Option<String>,
    ) -> Result<DuePage<T>, PortError> {
        let p = self.due_page(due_pk, "duePk = :pk AND dueAt <= :at", Some(now), true, page).await?;
        let items = p.items.into_iter().map(from_item).collect::<Result<Vec<T>, _>>()?;
        Ok(DuePage { items, items_read: p.items_read, capacity_units: p.capacity_units, next: p.next })
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
                    _ => AttendanceOutcome::NotBooked,
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
            .expression_attribute_values(":outcome", s(follow_up_outcome_name(outcome)))
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
        })?;
        self.transact_decided(vec![self.put(item, Some("attribute_not_exists(pk)"))?, self.put(outbox_item(event)?, None)?]).await
    }

    async fn concern(&self, parent: &ParentId, concern_id: &str) -> Result<Option<Concern>, PortError> {
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
        Ok(DuePage { items: parents, items_read: p.items_read, capacity_units: p.capacity_units, next: p.next })
    }

    async fn apply_sweep(&self, change: &SweepChange, events: &[OutboxEvent]) -> Result<bool, PortError> {
        let pid = &change.parent_id;
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
            // Positions 1 and 2 are the seat and the roster place (after the parent's own update).
            Err(Cancelled::Condition(_, 1 | 2)) if release => {
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

    async fn cancelled_workshops(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<String>, PortError> {
        Ok(self.due_by(CANCELLING_DUE_PK, now, page).await?.map(|m: super::CancellingMark| m.workshop_id))
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
        // First the places outside the partition that name the referral's people or case: their
        // roster places (found from the parents, so these go before the parents do).
        let mut erased_elsewhere = 0;
        for item in &items {
            if item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) != Some("parent") {
                continue;
            }
            let parent: ParentItem = from_item(item.clone())?;
            let mut workshops: Vec<String> = parent.rostered_on.clone();
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
    /// Deletes a parent's roster place on a workshop and takes their case off the workshop's
    /// booked cases, in one transaction; false if the place was not theirs (or is gone).
    async fn erase_roster_place(&self, workshop_id: &str, case_number: &str, parent: &ParentId) -> Result<bool, PortError> {
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
