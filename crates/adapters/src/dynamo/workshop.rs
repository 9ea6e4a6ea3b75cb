//! Workshops: scheduling, the roster, booking a seat, giving it back, cancelling a workshop;
//! the bookable index they are kept in (`bookable`).

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::offering::{BookableCursor, BookablePage};
use pt4c_domain::ports::{BookingOutcome, BookingUpdate, EditOutcome, ParentRecord, ParentStore, PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{Booking, BookingRefusal, Workshop, WorkshopStatus};
use pt4c_domain::ParentId;
use pt4c_domain::WorkshopId;

use super::items::{from_item, may_take_a_seat, outbox_item, status_name, to_item, CancellingMark, RosterItem, WorkshopItem};
use super::keys::{due_key, parent_sk, referral_pk, roster_sk, workshop_pk, CANCELLING_DUE_PK, CANCELLING_SK, DUE_INDEX, WORKSHOP_DUE_PK};
use super::update::{parent_update, UpdateExpr};
use super::{jittered_backoff, s, sdk_error, DynamoStore, CONFLICT_RETRIES};

mod bookable;

impl DynamoStore {
    /// The writes that give a parent's seat back: the workshop's count and the roster place (the
    /// co-parent guard), only if that place is this parent's. The workshop is listed as bookable
    /// again, under its status (`keys::BOOKABLE_PK_OPEN`: a cancelled one's partition is never read).
    /// `before`: only if the workshop starts after that moment (a parent cancels until the start).
    pub(super) fn seat_given_back(
        &self,
        workshop_id: &WorkshopId,
        case_number: &str,
        parent: &ParentId,
        before: Option<Timestamp>,
    ) -> Result<[TransactWriteItem; 2], PortError> {
        let mut values = vec![
            (":one", AttributeValue::N("1".into())),
            (":zero", AttributeValue::N("0".into())),
            (":case", AttributeValue::Ss(vec![case_number.to_owned()])),
        ];
        let cond = match before {
            Some(t) => {
                values.push((":now", s(t.to_string())));
                "seatsTaken > :zero AND startsAt > :now"
            }
            None => "seatsTaken > :zero",
        };
        let seat = self.update(
            workshop_pk(workshop_id),
            "WORKSHOP".into(),
            "SET seatsTaken = seatsTaken - :one, bookablePk = #status, bookableAt = dueAt DELETE cases :case",
            cond,
            &[("#status", "status")],
            values,
        )?;
        Ok([seat, self.roster_place_delete(workshop_id, case_number, parent)?])
    }

    /// The writes that take a seat on `w` for the parent, as booking and moving both take it: the
    /// workshop's count (open, in the future, a seat free, as read) and the roster place (the
    /// co-parent guard); and the booking they make.
    pub(super) fn seat_taken(
        &self,
        parent: &ParentRecord,
        w: &Workshop,
        now: Timestamp,
    ) -> Result<(Booking, [TransactWriteItem; 2]), PortError> {
        let booking = w.booking(now);
        let seat = self.update(
            workshop_pk(&w.workshop_id),
            "WORKSHOP".into(),
            "SET seatsTaken = seatsTaken + :one ADD cases :case",
            &format!("#status = :open AND seatsTaken < #capacity AND startsAt > :now AND {}", as_read(w)),
            &[("#status", "status"), ("#capacity", "capacity"), ("#sequence", "sequence")],
            vec![
                (":one", AttributeValue::N("1".into())),
                (":open", s("open")),
                (":now", s(now.to_string())),
                (":case", AttributeValue::Ss(vec![parent.case_number.clone()])),
                (":sequence", AttributeValue::N(w.sequence.to_string())),
            ],
        )?;
        let guard = self.put(
            to_item(&RosterItem {
                pk: workshop_pk(&w.workshop_id),
                sk: roster_sk(&parent.case_number),
                item_type: "roster".into(),
                parent_id: parent.parent_id.clone(),
                booked_at: now,
                attended: None,
            })?,
            Some("attribute_not_exists(pk)"),
        )?;
        Ok((booking, [seat, guard]))
    }

    /// Deletes a parent's roster place (the co-parent guard) on a workshop, only if it is theirs.
    pub(super) fn roster_place_delete(
        &self,
        workshop_id: &WorkshopId,
        case_number: &str,
        parent: &ParentId,
    ) -> Result<TransactWriteItem, PortError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(workshop_pk(workshop_id)))
            .key("sk", s(roster_sk(case_number)))
            .condition_expression("parentId = :p")
            .expression_attribute_values(":p", s(parent.to_string()))
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

/// The condition that the workshop is still as `w` was read (not edited since): a booking's copy
/// of it is then true. Items written before edits were possible have no sequence.
pub(super) fn as_read(w: &Workshop) -> &'static str {
    if w.sequence == 0 {
        "(attribute_not_exists(#sequence) OR #sequence = :sequence)"
    } else {
        "#sequence = :sequence"
    }
}

impl DynamoStore {
    /// Why the seat's condition on `w` failed: read after the transaction decided.
    pub(super) async fn seat_refused(&self, w: &Workshop, now: Timestamp) -> Result<BookingOutcome, PortError> {
        Ok(match self.workshop(&w.workshop_id).await? {
            Some(c) if c.status == WorkshopStatus::Open && c.starts_at > now && c.sequence != w.sequence => BookingOutcome::Stale,
            Some(c) if c.status == WorkshopStatus::Open && c.starts_at > now => BookingOutcome::Refused(BookingRefusal::WorkshopFull),
            _ => BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable),
        })
    }
}

impl WorkshopStore for DynamoStore {
    async fn create_workshop(&self, w: &Workshop, event: &OutboxEvent) -> Result<(), PortError> {
        let mut item = to_item(&WorkshopItem::new(w))?;
        bookable::list_item(&mut item, w);
        let writes = vec![self.put(item, Some("attribute_not_exists(pk)"))?, self.put(outbox_item(event)?, None)?];
        if self.transact_decided(writes).await? {
            Ok(())
        } else {
            Err(PortError::Permanent("the workshop id is taken".into()))
        }
    }

    async fn workshop(&self, id: &WorkshopId) -> Result<Option<Workshop>, PortError> {
        match self.get(workshop_pk(id), "WORKSHOP").await? {
            None => Ok(None),
            Some(item) => Ok(Some(from_item::<WorkshopItem>(item)?.workshop())),
        }
    }

    async fn workshops(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Workshop>, PortError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("duePk = :pk AND dueAt BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(WORKSHOP_DUE_PK))
                .expression_attribute_values(":from", s(due_key(from)))
                .expression_attribute_values(":to", s(due_key(to)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for item in page.items.unwrap_or_default() {
                let w = from_item::<WorkshopItem>(item)?.workshop();
                if w.starts_at >= from && w.starts_at < to {
                    out.push(w);
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    async fn bookable(&self, after: Timestamp, from: Option<&BookableCursor>, limit: usize) -> Result<BookablePage, PortError> {
        self.bookable_page(after, from, limit).await
    }

    async fn roster(&self, id: &WorkshopId) -> Result<Vec<(ParentId, Option<bool>)>, PortError> {
        let mut roster: Vec<RosterItem> = Vec::new();
        for item in self.partition(workshop_pk(id)).await? {
            if item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("roster") {
                roster.push(from_item(item)?);
            }
        }
        roster.sort_by_key(|r| r.booked_at);
        Ok(roster.into_iter().map(|r| (r.parent_id, r.attended)).collect())
    }

    async fn book(
        &self,
        parent: &ParentRecord,
        w: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        let (booking, [seat, guard]) = self.seat_taken(parent, w, now)?;
        let booking_value = serde_dynamo::to_attribute_value(&booking).map_err(|e| PortError::Permanent(e.to_string()))?;
        let (expr, mut values) = UpdateExpr::parent(due)
            .set("booking = :booking")
            .set("#status = :booked")
            .remove("attended")
            .add("rosteredOn :rostered")
            .value(":rostered", AttributeValue::Ss(vec![w.workshop_id.to_string()]))
            .build();
        values.extend([(":booking", booking_value), (":booked", s(status_name(ParentStatus::WorkshopBooked)))]);
        let (may_book, may_book_values) = may_take_a_seat();
        values.extend(may_book_values);
        let hold = self.update(
            referral_pk(parent.parent_id.referral_id()),
            parent_sk(parent.parent_id.parent_ref()),
            &expr,
            &may_book,
            &[("#status", "status")],
            values,
        )?;
        // Positions in the transaction, read back from its cancellation reasons.
        const SEAT: usize = 0;
        const GUARD: usize = 1;
        const HOLD: usize = 2;
        let writes = vec![seat, guard, hold, self.put(outbox_item(event)?, None)?];
        // A rush on one workshop makes DynamoDB cancel concurrent transactions on its item with
        // TransactionConflict: tried again here, after a jittered pause, so the parent gets an answer.
        let mut attempt = 0;
        let reasons = loop {
            let reasons = match self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await {
                Ok(_) => {
                    self.unlist_if_full(&w.workshop_id).await;
                    return Ok(BookingOutcome::Booked(booking));
                }
                Err(SdkError::ServiceError(se)) => match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(tc) => tc.cancellation_reasons().to_vec(),
                    _ => return Err(sdk_error("TransactWriteItems", SdkError::ServiceError(se))),
                },
                Err(e) => return Err(sdk_error("TransactWriteItems", e)),
            };
            let conflict = reasons.iter().any(|r| r.code() == Some("TransactionConflict"));
            let refused = reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed"));
            if conflict && !refused && attempt < CONFLICT_RETRIES {
                attempt += 1;
                tokio::time::sleep(jittered_backoff(attempt)).await;
                continue;
            }
            break reasons;
        };
        let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) && ![SEAT, GUARD, HOLD].into_iter().any(failed) {
            return Err(PortError::Retryable("booking transaction conflict".into()));
        }
        // The transaction decided; reads now only say which rule refused it.
        if failed(HOLD) {
            let current = self.parent(&parent.parent_id).await?;
            return Ok(match current.and_then(|p| p.booking.map(|b| (p.elearning_completed_at, b))) {
                Some((_, b)) if b.workshop_id == w.workshop_id => BookingOutcome::AlreadyHeld(b),
                Some(_) => BookingOutcome::Refused(BookingRefusal::AlreadyBooked),
                None if parent.elearning_completed_at.is_none() => BookingOutcome::Refused(BookingRefusal::ElearningIncomplete),
                None => BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable),
            });
        }
        if failed(SEAT) {
            return self.seat_refused(w, now).await;
        }
        if failed(GUARD) {
            return Ok(BookingOutcome::Refused(BookingRefusal::CoParentBooked));
        }
        Err(PortError::Retryable(format!("booking cancelled: {:?}", reasons.iter().map(|r| r.code()).collect::<Vec<_>>())))
    }

    async fn release(
        &self,
        parent: &ParentRecord,
        workshop_id: &WorkshopId,
        before: Option<Timestamp>,
        event: Option<&OutboxEvent>,
        rebook: bool,
        due: Option<Timestamp>,
    ) -> Result<bool, PortError> {
        // The booking read is the one given back: the same workshop and the same moment it was
        // made (a cancel link for an earlier booking on this workshop must not release a later one).
        let mut condition = "booking.workshopId = :w".to_owned();
        let mut values = vec![(":w", s(workshop_id))];
        if let Some(b) = parent.booking.as_ref().filter(|b| &b.workshop_id == workshop_id) {
            condition.push_str(" AND booking.bookedAt = :bookedAt");
            values.push((":bookedAt", s(b.booked_at.to_string())));
        }
        let (sets, names): (&[&str], &[(&str, &str)]) = if rebook { (&["#status = :done"], &[("#status", "status")]) } else { (&[], &[]) };
        let (expr, more) = parent_update(sets, &["booking"], due);
        values.extend(more);
        if rebook {
            values.push((":done", s(status_name(ParentStatus::ElearningCompleted))));
        }
        let unhold = self.update(
            referral_pk(parent.parent_id.referral_id()),
            parent_sk(parent.parent_id.parent_ref()),
            &expr,
            &condition,
            names,
            values,
        )?;
        let [seat, unguard] = self.seat_given_back(workshop_id, &parent.case_number, &parent.parent_id, before)?;
        let mut writes = vec![unhold, seat, unguard];
        if let Some(e) = event {
            writes.push(self.put(outbox_item(e)?, None)?);
        }
        self.transact_decided(writes).await
    }

    async fn edit_workshop(
        &self,
        before: &Workshop,
        after: &Workshop,
        booked: &[BookingUpdate],
        now: Timestamp,
        event: &OutboxEvent,
    ) -> Result<EditOutcome, PortError> {
        self.write_edit(before, after, booked, now, event).await
    }

    async fn move_booking(
        &self,
        parent: &ParentRecord,
        to: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        self.write_move(parent, to, now, due, event).await
    }

    async fn cancel_workshop(&self, id: &WorkshopId, reason: &str, event: &OutboxEvent, now: Timestamp) -> Result<bool, PortError> {
        let update = self.update(
            workshop_pk(id),
            "WORKSHOP".into(),
            "SET #status = :cancelled, cancelReason = :reason REMOVE bookablePk, bookableAt",
            "#status = :open",
            &[("#status", "status")],
            vec![(":cancelled", s("cancelled")), (":open", s("open")), (":reason", s(reason))],
        )?;
        // The mark that its bookings are still to be released: taken off once they all are, so a
        // release cut short is finished by a retry of the request or by the next sweep.
        let mark = self.put(
            to_item(&CancellingMark {
                pk: workshop_pk(id),
                sk: CANCELLING_SK.into(),
                item_type: "cancelling".into(),
                workshop_id: id.to_owned(),
                due_pk: CANCELLING_DUE_PK.into(),
                due_at: due_key(now),
            })?,
            None,
        )?;
        self.transact_decided(vec![update, mark, self.put(outbox_item(event)?, None)?]).await
    }

    async fn cancellation_released(&self, id: &WorkshopId) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(workshop_pk(id)))
            .key("sk", s(CANCELLING_SK))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}
