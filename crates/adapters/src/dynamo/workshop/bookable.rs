//! The sparse `bookable-index`: open workshops with a seat left, by start time, so the booking
//! page reads what it shows, never the year.
//!
//! A workshop item carries `bookablePk` and `bookableAt` (the due key of its start) while it is
//! open and has a seat left, kept true by the writes that know it, in their own transaction:
//! publishing lists it; cancelling unlists it; an edit lists or unlists it from the capacity and
//! the seats it is conditioned on; a seat given back (a cancellation, a move away, a withdrawal, a
//! hold given back) lists it. Taking a seat does not (an exact seat-count condition would turn
//! contention into stale re-reads): after a booking, move or hold commits, [`DynamoStore::unlist_if_full`]
//! takes a full workshop off, conditioned on it being full. A workshop with a free seat is
//! therefore never missing; a full one may linger if that follow-up fails, costing a reader one
//! item, never an offer (readers skip workshops with no seat left).
//!
//! Workshop items written before the index existed carry neither attribute: they are not offered
//! until a write lists them (the local stack starts empty; a deployed table would need a backfill).

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use jiff::Timestamp;
use pt4c_domain::offering::{BookableCursor, BookablePage};
use pt4c_domain::ports::PortError;
use pt4c_domain::workshop::{Workshop, WorkshopStatus};
use pt4c_domain::WorkshopId;

use super::super::items::{from_item, WorkshopItem};
use super::super::keys::{due_key, workshop_pk, BOOKABLE_AT, BOOKABLE_INDEX, BOOKABLE_PK, BOOKABLE_PK_OPEN};
use super::super::{s, sdk_error, DynamoStore, Item};

/// Whether a workshop as written belongs in the index.
pub(in crate::dynamo) fn listed(w: &Workshop) -> bool {
    w.status == WorkshopStatus::Open && w.capacity > w.seats_taken
}

/// A new workshop item's index attributes, when it belongs there.
pub(in crate::dynamo) fn list_item(item: &mut Item, w: &Workshop) {
    if listed(w) {
        item.insert(BOOKABLE_PK.into(), s(BOOKABLE_PK_OPEN));
        item.insert(BOOKABLE_AT.into(), s(due_key(w.starts_at)));
    }
}

impl DynamoStore {
    /// Takes the workshop off the index if every seat is taken (or held); nothing if not, or if
    /// it is gone. Run after a booking, a move or a hold commits; a failure is logged, never the
    /// caller's: the entry then costs readers one item until a write corrects it.
    pub(in crate::dynamo) async fn unlist_if_full(&self, id: &WorkshopId) {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(workshop_pk(id)))
            .key("sk", s("WORKSHOP"))
            .update_expression("REMOVE bookablePk, bookableAt")
            .condition_expression("seatsTaken >= #capacity")
            .expression_attribute_names("#capacity", "capacity")
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
            Err(e) => tracing::warn!(workshop_id = %id, error = %sdk_error("UpdateItem", e), "a full workshop stays in the bookable index"),
        }
    }

    /// One Query of the index: open workshops with a seat left starting after `after`, from the
    /// cursor on, at most `limit`.
    pub(in crate::dynamo) async fn bookable_page(
        &self,
        after: Timestamp,
        from: Option<&BookableCursor>,
        limit: usize,
    ) -> Result<BookablePage, PortError> {
        let start = from.map(|c| {
            Item::from([
                (BOOKABLE_PK.to_owned(), s(BOOKABLE_PK_OPEN)),
                (BOOKABLE_AT.to_owned(), s(due_key(c.starts_at))),
                ("pk".to_owned(), s(workshop_pk(&c.workshop_id))),
                ("sk".to_owned(), s("WORKSHOP")),
            ])
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BOOKABLE_INDEX)
            .key_condition_expression("bookablePk = :open AND bookableAt > :after")
            .expression_attribute_values(":open", s(BOOKABLE_PK_OPEN))
            .expression_attribute_values(":after", s(due_key(after)))
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        if let Some(cost) = &self.read_cost {
            cost.add(out.scanned_count.max(0) as u64, out.consumed_capacity.as_ref().and_then(|c| c.capacity_units).unwrap_or(0.0));
        }
        let more = out.last_evaluated_key.as_ref().is_some_and(|k| !k.is_empty());
        let workshops = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|i| Ok(from_item::<WorkshopItem>(i)?.workshop()))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more { workshops.last().map(BookableCursor::at) } else { None };
        Ok(BookablePage { workshops, next })
    }
}
