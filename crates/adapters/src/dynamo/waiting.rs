//! The waiting list in the table. A parent's place is on their item (`waiting`, `offer`); the
//! list's order is an entry under the referral (`WAITING#{ref}`, in the due-index partition
//! `WAITING` sorted by court date, time joined, parent); a held seat is the workshop's count and a
//! roster place (the co-parent guard) of type `hold`, in the due-index partition `OFFER` by the
//! end of its hold. Each change is one transaction whose conditions decide.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::offering::{AcceptOutcome, HeldOffer, HoldOutcome, WaitingEntry, WaitingPlace};
use pt4c_domain::parent::OfferRelease;
use pt4c_domain::ports::{DuePage, ParentRecord, PortError, WaitingListStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::Workshop;
use pt4c_domain::{OfferId, ParentId};
use serde::{Deserialize, Serialize};

use super::items::{from_item, may_take_a_seat, outbox_item, status_name, to_item};
use super::keys::waiting_sk;
use super::keys::{due_key, parent_sk, referral_pk, roster_sk, workshop_pk};
use super::update::parent_update;
use super::{s, Cancelled, DynamoStore};

const WAITING_DUE_PK: &str = "WAITING";
const OFFER_DUE_PK: &str = "OFFER";

/// The list's sort key: the court's date, then the second they joined, then who (unique).
fn list_key(e: &WaitingEntry) -> String {
    format!("{}#{}#{}", e.complete_by, due_key(e.place.joined_at), e.parent_id)
}

fn value<T: Serialize>(v: &T) -> Result<AttributeValue, PortError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| PortError::Permanent(e.to_string()))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryItem {
    pk: String,
    sk: String,
    item_type: String,
    due_pk: String,
    due_at: String,
    entry: WaitingEntry,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldItem {
    pk: String,
    sk: String,
    item_type: String,
    parent_id: ParentId,
    offer_id: OfferId,
    hold_until: Timestamp,
    /// When the seat was held: the roster's order once accepted.
    booked_at: Timestamp,
    due_pk: String,
    due_at: String,
}

impl DynamoStore {
    fn entry_delete(&self, parent: &ParentId) -> Result<TransactWriteItem, PortError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(referral_pk(parent.referral_id())))
            .key("sk", s(waiting_sk(parent)))
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn with_events(&self, mut writes: Vec<TransactWriteItem>, events: &[OutboxEvent]) -> Result<Vec<TransactWriteItem>, PortError> {
        for e in events {
            writes.push(self.put(outbox_item(e)?, None)?);
        }
        Ok(writes)
    }
}

impl WaitingListStore for DynamoStore {
    async fn join_waiting_list(&self, parent: &ParentRecord, place: &WaitingPlace, event: &OutboxEvent) -> Result<bool, PortError> {
        let entry = WaitingEntry {
            parent_id: parent.parent_id.clone(),
            needs: parent.needs(),
            place: place.clone(),
            complete_by: parent.complete_by,
            offered: vec![],
            holding: None,
        };
        let pid = &parent.parent_id;
        let (may_book, mut values) = may_take_a_seat();
        values.push((":place", value(place)?));
        let join = self.update(
            referral_pk(pid.referral_id()),
            parent_sk(pid.parent_ref()),
            "SET waiting = :place",
            &format!("{may_book} AND attribute_not_exists(waiting)"),
            &[("#status", "status")],
            values,
        )?;
        let item = to_item(&EntryItem {
            pk: referral_pk(pid.referral_id()),
            sk: waiting_sk(pid),
            item_type: "waiting".into(),
            due_pk: WAITING_DUE_PK.into(),
            due_at: list_key(&entry),
            entry,
        })?;
        let writes = self.with_events(vec![join, self.put(item, None)?], std::slice::from_ref(event))?;
        self.transact_decided(writes).await
    }

    async fn waiting_entries(&self, page: Option<String>, size: usize) -> Result<DuePage<WaitingEntry>, PortError> {
        let p = self.due_page(WAITING_DUE_PK, "duePk = :pk", None, true, page).await?;
        let mut items = Vec::with_capacity(p.items.len().min(size));
        for item in p.items {
            items.push(from_item::<EntryItem>(item)?.entry);
        }
        Ok(DuePage { items, next: p.next })
    }

    async fn hold_seat(
        &self,
        entry: &WaitingEntry,
        w: &Workshop,
        offer: &HeldOffer,
        now: Timestamp,
        event: &OutboxEvent,
    ) -> Result<HoldOutcome, PortError> {
        let pid = &entry.parent_id;
        let case = &entry.needs.case_number;
        // The seat as a booking takes it (open, still to start, a seat free); the hold copies
        // nothing of the workshop, so an edit since it was read does not matter here.
        let seat = self.update(
            workshop_pk(&w.workshop_id),
            "WORKSHOP".into(),
            "SET seatsTaken = seatsTaken + :one ADD cases :case",
            "#status = :open AND seatsTaken < #capacity AND startsAt > :now",
            &[("#status", "status"), ("#capacity", "capacity")],
            vec![
                (":one", AttributeValue::N("1".into())),
                (":open", s("open")),
                (":now", s(now.to_string())),
                (":case", AttributeValue::Ss(vec![case.clone()])),
            ],
        )?;
        let guard = self.put(
            to_item(&HoldItem {
                pk: workshop_pk(&w.workshop_id),
                sk: roster_sk(case),
                item_type: "hold".into(),
                parent_id: pid.clone(),
                offer_id: offer.offer_id.clone(),
                hold_until: offer.hold_until,
                booked_at: now,
                due_pk: OFFER_DUE_PK.into(),
                due_at: due_key(offer.hold_until),
            })?,
            Some("attribute_not_exists(pk)"),
        )?;
        let (may_book, mut values) = may_take_a_seat();
        values.extend([(":offer", value(offer)?), (":rostered", AttributeValue::Ss(vec![w.workshop_id.to_string()]))]);
        let parent = self.update(
            referral_pk(pid.referral_id()),
            parent_sk(pid.parent_ref()),
            "SET offer = :offer ADD rosteredOn :rostered",
            &format!("{may_book} AND attribute_exists(waiting) AND attribute_not_exists(offer)"),
            &[("#status", "status")],
            values,
        )?;
        let listed = self.update(
            referral_pk(pid.referral_id()),
            waiting_sk(pid),
            "SET entry.holding = :offer, entry.offered = list_append(entry.offered, :w)",
            "attribute_exists(pk) AND attribute_not_exists(entry.holding)",
            &[],
            vec![(":offer", s(offer.offer_id.as_str())), (":w", AttributeValue::L(vec![s(w.workshop_id.to_string())]))],
        )?;
        const SEAT: usize = 0;
        let writes = self.with_events(vec![seat, guard, parent, listed], std::slice::from_ref(event))?;
        match self.transact(writes).await {
            Ok(()) => {
                self.unlist_if_full(&w.workshop_id).await;
                Ok(HoldOutcome::Held)
            }
            Err(Cancelled::Condition(_, SEAT)) => Ok(HoldOutcome::SeatGone),
            Err(Cancelled::Condition(..)) => Ok(HoldOutcome::NotThisParent),
            Err(Cancelled::Conflict) => Err(PortError::Retryable("hold transaction conflict".into())),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn accept_offer(
        &self,
        parent: &ParentRecord,
        offer: &HeldOffer,
        w: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        events: &[OutboxEvent],
    ) -> Result<AcceptOutcome, PortError> {
        let pid = &parent.parent_id;
        let booking = w.booking(now);
        let (expr, mut values) = parent_update(&["booking = :booking", "#status = :booked"], &["attended", "offer", "waiting"], due);
        values.extend([
            (":booking", value(&booking)?),
            (":booked", s(status_name(ParentStatus::WorkshopBooked))),
            (":offer", s(offer.offer_id.as_str())),
            (":now", s(now.to_string())),
        ]);
        let take = self.update(
            referral_pk(pid.referral_id()),
            parent_sk(pid.parent_ref()),
            &expr,
            "offer.offerId = :offer AND offer.holdUntil > :now AND attribute_not_exists(booking)",
            &[("#status", "status")],
            values,
        )?;
        // The hold becomes the roster place: the seat stays taken.
        let place = self.update(
            workshop_pk(&w.workshop_id),
            roster_sk(&parent.case_number),
            "SET itemType = :roster, bookedAt = :now REMOVE offerId, holdUntil, duePk, dueAt",
            "itemType = :hold AND offerId = :offer",
            &[],
            vec![(":roster", s("roster")), (":hold", s("hold")), (":now", s(now.to_string())), (":offer", s(offer.offer_id.as_str()))],
        )?;
        // The booking's copy of the workshop is true: open, still to start, not edited since read.
        let as_read = super::workshop::as_read(w);
        let workshop = self.update(
            workshop_pk(&w.workshop_id),
            "WORKSHOP".into(),
            "SET #status = #status",
            &format!("#status = :open AND startsAt > :now AND {as_read}"),
            &[("#status", "status"), ("#sequence", "sequence")],
            vec![(":open", s("open")), (":now", s(now.to_string())), (":sequence", AttributeValue::N(w.sequence.to_string()))],
        )?;
        let writes = self.with_events(vec![take, place, workshop, self.entry_delete(pid)?], events)?;
        Ok(if self.transact_decided(writes).await? { AcceptOutcome::Booked(booking) } else { AcceptOutcome::Stale })
    }

    async fn release_offer(&self, parent: &ParentRecord, release: &OfferRelease, events: &[OutboxEvent]) -> Result<bool, PortError> {
        let pid = &parent.parent_id;
        let mut removes = vec!["offer"];
        if release.leaves {
            removes.push("waiting");
        }
        let expr = format!("REMOVE {}", removes.join(", "));
        let (cond, values) = match &release.offer {
            Some(o) => ("attribute_exists(waiting) AND offer.offerId = :offer", vec![(":offer", s(o.offer_id.as_str()))]),
            None => ("attribute_exists(waiting) AND attribute_not_exists(offer)", vec![]),
        };
        let mut writes = vec![self.update(referral_pk(pid.referral_id()), parent_sk(pid.parent_ref()), &expr, cond, &[], values)?];
        if let Some(o) = &release.offer {
            let [seat, unguard] = self.seat_given_back(&o.workshop_id, &parent.case_number, pid, None)?;
            writes.extend([seat, unguard]);
        }
        if release.leaves {
            writes.push(self.entry_delete(pid)?);
        } else {
            writes.push(self.update(
                referral_pk(pid.referral_id()),
                waiting_sk(pid),
                "REMOVE entry.holding",
                "attribute_exists(pk)",
                &[],
                vec![],
            )?);
        }
        self.transact_decided(self.with_events(writes, events)?).await
    }

    async fn ended_holds(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<(ParentId, OfferId)>, PortError> {
        let p = self.due_by::<HoldItem>(OFFER_DUE_PK, now, page).await?;
        Ok(DuePage { items: p.items.into_iter().map(|h| (h.parent_id, h.offer_id)).collect(), next: p.next })
    }

    async fn holds_on(&self, workshop: &pt4c_domain::WorkshopId) -> Result<Vec<(ParentId, OfferId)>, PortError> {
        let mut holds = Vec::new();
        for item in self.partition(workshop_pk(workshop)).await? {
            if item.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("hold") {
                let h: HoldItem = from_item(item)?;
                holds.push((h.parent_id, h.offer_id));
            }
        }
        Ok(holds)
    }

    async fn drop_entry(&self, parent: &ParentId) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(HashMap::from([
                ("pk".to_owned(), s(referral_pk(parent.referral_id()))),
                ("sk".to_owned(), s(waiting_sk(parent))),
            ])))
            .send()
            .await
            .map_err(|e| super::sdk_error("DeleteItem", e))?;
        Ok(())
    }
}
