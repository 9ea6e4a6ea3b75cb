//! Changes that move what bookings hold: a workshop's edit (with each booked parent's copy of it)
//! and a parent's booking moved to another workshop. Each is one transaction whose conditions decide.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{BookingOutcome, BookingUpdate, EditOutcome, ParentRecord, ParentStore, PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{BookingRefusal, Workshop, WorkshopStatus};

use super::items::{outbox_item, status_name};
use super::keys::{due_key, parent_sk, referral_pk, workshop_pk, BOOKABLE_PK_OPEN};
use super::update::{parent_update, UpdateExpr};
use super::workshop::as_read;
use super::{jittered_backoff, s, sdk_error, Cancelled, DynamoStore, CONFLICT_RETRIES};

fn value<T: serde::Serialize>(v: &T) -> Result<AttributeValue, PortError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| PortError::Permanent(e.to_string()))
}

impl DynamoStore {
    pub(super) async fn write_edit(
        &self,
        before: &Workshop,
        after: &Workshop,
        booked: &[BookingUpdate],
        now: Timestamp,
        event: &OutboxEvent,
    ) -> Result<EditOutcome, PortError> {
        let mut sets = vec![
            "startsAt = :startsAt",
            "endsAt = :endsAt",
            "durationMinutes = :duration",
            "#location = :location",
            "#capacity = :capacity",
            "trainer = :trainer",
            "interpreters = :interpreters",
            "dueAt = :dueAt",
            "#sequence = :next",
        ];
        let mut values = vec![
            (":startsAt", s(after.starts_at.to_string())),
            (":endsAt", s(after.ends_at.to_string())),
            (":duration", AttributeValue::N(after.duration_minutes.to_string())),
            (":location", s(after.location.clone())),
            (":capacity", AttributeValue::N(after.capacity.to_string())),
            (":trainer", value(&after.trainer)?),
            (":interpreters", value(&after.interpreters)?),
            (":dueAt", s(due_key(after.starts_at))),
            (":next", AttributeValue::N(after.sequence.to_string())),
            (":open", s("open")),
            (":now", s(now.to_string())),
            (":seats", AttributeValue::N(before.seats_taken.to_string())),
            (":sequence", AttributeValue::N(before.sequence.to_string())),
        ];
        if let Some(p) = after.previous_trainer.as_ref().filter(|_| after.previous_trainer != before.previous_trainer) {
            sets.push("previousTrainer = :previous");
            values.push((":previous", value(p)?));
        }
        // The bookable index, from the new capacity and the seats the write is conditioned on.
        let listed = after.capacity > before.seats_taken;
        if listed {
            sets.extend(["bookablePk = :bookable", "bookableAt = :dueAt"]);
            values.push((":bookable", s(BOOKABLE_PK_OPEN)));
        }
        let unlist = if listed { "" } else { " REMOVE bookablePk, bookableAt" };
        // The capacity is a condition of the write, against the seats taken when it commits.
        let workshop = self.update(
            workshop_pk(&before.workshop_id),
            "WORKSHOP".into(),
            &format!("SET {}{unlist}", sets.join(", ")),
            &format!("#status = :open AND startsAt > :now AND :capacity >= seatsTaken AND seatsTaken = :seats AND {}", as_read(before)),
            &[("#status", "status"), ("#location", "location"), ("#capacity", "capacity"), ("#sequence", "sequence")],
            values,
        )?;
        let mut writes = vec![workshop];
        for u in booked {
            let (expr, mut values) = parent_update(&["booking = :booking"], &[], u.due);
            values.extend([
                (":booking", value(&u.booking)?),
                (":rev", AttributeValue::N(u.rev.to_string())),
                (":w", s(before.workshop_id.to_string())),
            ]);
            writes.push(self.update(
                referral_pk(u.parent_id.referral_id()),
                parent_sk(u.parent_id.parent_ref()),
                &expr,
                "rev = :rev AND booking.workshopId = :w",
                &[],
                values,
            )?);
        }
        writes.push(self.put(outbox_item(event)?, None)?);
        match self.transact(writes).await {
            Ok(()) => Ok(EditOutcome::Edited),
            // The transaction decided; the read only says which condition refused it.
            Err(Cancelled::Condition(..)) => Ok(match self.workshop(&before.workshop_id).await? {
                None => EditOutcome::NotFound,
                Some(c) if c.status != WorkshopStatus::Open || c.starts_at <= now => EditOutcome::NotOpen,
                Some(c) if after.capacity < c.seats_taken => EditOutcome::CapacityBelowSeatsTaken { seats_taken: c.seats_taken },
                Some(_) => EditOutcome::Stale,
            }),
            Err(Cancelled::Conflict) => Err(PortError::Retryable("transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    pub(super) async fn write_move(
        &self,
        parent: &ParentRecord,
        to: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        let Some(from) = parent.booking.as_ref() else { return Ok(BookingOutcome::Refused(BookingRefusal::NotBooked)) };
        // The new seat and roster place, as `book` takes them.
        let (booking, [seat, guard]) = self.seat_taken(parent, to, now)?;
        // The parent: still holding the booking read, at the rev read.
        let (expr, mut values) = UpdateExpr::parent(due)
            .set("booking = :booking")
            .add("rosteredOn :rostered")
            .value(":rostered", AttributeValue::Ss(vec![to.workshop_id.to_string()]))
            .build();
        values.extend([
            (":booking", value(&booking)?),
            (":booked", s(status_name(ParentStatus::WorkshopBooked))),
            (":from", s(from.workshop_id.to_string())),
            (":fromAt", s(from.booked_at.to_string())),
            (":rev", AttributeValue::N(parent.rev.to_string())),
        ]);
        let hold = self.update(
            referral_pk(parent.parent_id.referral_id()),
            parent_sk(parent.parent_id.parent_ref()),
            &expr,
            "#status = :booked AND booking.workshopId = :from AND booking.bookedAt = :fromAt AND rev = :rev",
            &[("#status", "status")],
            values,
        )?;
        // The old seat and roster place, as a parent's cancellation gives them back.
        let [old_seat, old_guard] = self.seat_given_back(&from.workshop_id, &parent.case_number, &parent.parent_id, Some(now))?;
        const SEAT: usize = 0;
        const GUARD: usize = 1;
        const HOLD: usize = 2;
        const OLD_SEAT: usize = 3;
        let writes = vec![seat, guard, hold, old_seat, old_guard, self.put(outbox_item(event)?, None)?];
        let Some(reasons) = self.transact_reasons(writes).await? else {
            self.unlist_if_full(&to.workshop_id).await;
            return Ok(BookingOutcome::Booked(booking));
        };
        let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        if !(0..reasons.len()).any(failed) {
            return Err(PortError::Retryable(format!("move cancelled: {:?}", reasons.iter().map(|r| r.code()).collect::<Vec<_>>())));
        }
        // The transaction decided; reads now only say which rule refused it.
        if failed(HOLD) {
            return Ok(match self.parent(&parent.parent_id).await?.and_then(|p| p.booking) {
                Some(b) if b.workshop_id == to.workshop_id => BookingOutcome::AlreadyHeld(b),
                _ => BookingOutcome::Stale,
            });
        }
        if failed(OLD_SEAT) {
            return Ok(BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable));
        }
        if failed(SEAT) {
            return self.seat_refused(to, now).await;
        }
        if failed(GUARD) {
            return Ok(BookingOutcome::Refused(BookingRefusal::CoParentBooked));
        }
        // The old roster place was not this parent's: what was read is not what is stored.
        Ok(BookingOutcome::Stale)
    }

    /// Runs a transaction whose refusal the caller reads position by position: `None` once written,
    /// else the cancellation reasons. A conflict with a concurrent transaction is tried again.
    async fn transact_reasons(&self, writes: Vec<TransactWriteItem>) -> Result<Option<Vec<CancellationReason>>, PortError> {
        let mut attempt = 0;
        loop {
            let reasons = match self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await {
                Ok(_) => return Ok(None),
                Err(SdkError::ServiceError(se)) => match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(tc) => tc.cancellation_reasons().to_vec(),
                    _ => return Err(sdk_error("TransactWriteItems", SdkError::ServiceError(se))),
                },
                Err(e) => return Err(sdk_error("TransactWriteItems", e)),
            };
            let conflict = reasons.iter().any(|r| r.code() == Some("TransactionConflict"));
            let refused = reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed"));
            if conflict && !refused {
                if attempt >= CONFLICT_RETRIES {
                    return Err(PortError::Retryable("move transaction conflict".into()));
                }
                attempt += 1;
                tokio::time::sleep(jittered_backoff(attempt)).await;
                continue;
            }
            return Ok(Some(reasons));
        }
    }
}
