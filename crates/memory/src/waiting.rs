//! The waiting list over memory: each write checks what DynamoDB's transaction conditions on.

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::offering::{list_order, AcceptOutcome, HeldOffer, HoldOutcome, WaitingEntry, WaitingPlace};
use pt4c_domain::parent::OfferRelease;
use pt4c_domain::ports::{DuePage, ParentRecord, PortError, WaitingListStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{Workshop, WorkshopStatus};
use pt4c_domain::{OfferId, ParentId};

use crate::state::{page_of, State};
use crate::{MemoryStore, Op};

/// The parent free to be offered a seat: waiting, holding none, not booked, on the course.
fn waiting_free(s: &State, parent: &ParentId) -> bool {
    s.parents.get(parent).is_some_and(|p| {
        p.waiting.is_some()
            && p.offer.is_none()
            && p.booking.is_none()
            && matches!(p.status, ParentStatus::ElearningCompleted | ParentStatus::DidNotAttend)
    })
}

impl WaitingListStore for MemoryStore {
    async fn join_waiting_list(&self, parent: &ParentRecord, place: &WaitingPlace, event: &OutboxEvent) -> Result<bool, PortError> {
        self.run(Op::Waiting, |s| {
            let pid = &parent.parent_id;
            let free = s.parents.get(pid).is_some_and(|p| {
                p.elearning_completed_at.is_some()
                    && p.booking.is_none()
                    && p.waiting.is_none()
                    && matches!(p.status, ParentStatus::ElearningCompleted | ParentStatus::DidNotAttend)
            });
            if !free {
                return Ok(false);
            }
            if let Some(p) = s.parents.get_mut(pid) {
                p.waiting = Some(place.clone());
            }
            s.waiting.insert(
                pid.clone(),
                WaitingEntry {
                    parent_id: pid.clone(),
                    needs: parent.needs(),
                    place: place.clone(),
                    complete_by: parent.complete_by,
                    offered: vec![],
                    holding: None,
                },
            );
            s.put_event(event);
            Ok(true)
        })
    }

    async fn waiting_entries(&self, page: Option<String>, size: usize) -> Result<DuePage<WaitingEntry>, PortError> {
        self.run(Op::Waiting, |s| {
            let mut entries: Vec<WaitingEntry> = s.waiting.values().cloned().collect();
            entries.sort_by(list_order);
            // The page token is the position after the last entry given (the list's sort key in DynamoDB).
            let key = |e: &WaitingEntry| format!("{}#{}#{}", e.complete_by, e.place.joined_at.as_second(), e.parent_id);
            let keyed = entries.into_iter().map(|e| (Timestamp::UNIX_EPOCH, key(&e), e)).collect();
            page_of(keyed, page, size)
        })
    }

    async fn hold_seat(
        &self,
        entry: &WaitingEntry,
        w: &Workshop,
        offer: &HeldOffer,
        now: Timestamp,
        event: &OutboxEvent,
    ) -> Result<HoldOutcome, PortError> {
        self.run(Op::Waiting, |s| {
            let seat = s.workshops.get(&w.workshop_id).is_some_and(|stored| {
                stored.w.status == WorkshopStatus::Open && stored.w.seats_taken < stored.w.capacity && stored.w.starts_at > now
            });
            if !seat {
                return Ok(HoldOutcome::SeatGone);
            }
            let case = entry.needs.case_number.clone();
            let pid = &entry.parent_id;
            if s.roster.contains_key(&(w.workshop_id.clone(), case.clone())) || !waiting_free(s, pid) || !s.waiting.contains_key(pid) {
                return Ok(HoldOutcome::NotThisParent);
            }
            s.take_seat(&w.workshop_id, &case, pid, now);
            if let Some(place) = s.roster.get_mut(&(w.workshop_id.clone(), case)) {
                place.held = Some((offer.offer_id.clone(), offer.hold_until));
            }
            if let Some(p) = s.parents.get_mut(pid) {
                p.offer = Some(offer.clone());
                p.rostered_on.insert(w.workshop_id.clone());
            }
            if let Some(e) = s.waiting.get_mut(pid) {
                e.holding = Some(offer.offer_id.clone());
                e.offered.push(w.workshop_id.clone());
            }
            s.put_event(event);
            Ok(HoldOutcome::Held)
        })
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
        self.run(Op::Waiting, |s| {
            let pid = &parent.parent_id;
            let place = (w.workshop_id.clone(), parent.case_number.clone());
            let theirs = s.parents.get(pid).is_some_and(|p| {
                p.booking.is_none() && p.offer.as_ref().is_some_and(|o| o.offer_id == offer.offer_id && o.hold_until > now)
            });
            let held = s.roster.get(&place).is_some_and(|r| r.held.as_ref().is_some_and(|(o, _)| o == &offer.offer_id));
            let as_read = s.workshops.get(&w.workshop_id).is_some_and(|stored| {
                stored.w.status == WorkshopStatus::Open && stored.w.starts_at > now && stored.w.sequence == w.sequence
            });
            if !(theirs && held && as_read) {
                return Ok(AcceptOutcome::Stale);
            }
            let booking = w.booking(now);
            if let Some(r) = s.roster.get_mut(&place) {
                r.held = None;
                r.booked_at = now;
            }
            if let Some(p) = s.parents.get_mut(pid) {
                p.booking = Some(booking.clone());
                p.status = ParentStatus::WorkshopBooked;
                p.attended = None;
                p.offer = None;
                p.waiting = None;
                p.moved(due);
            }
            s.waiting.remove(pid);
            for e in events {
                s.put_event(e);
            }
            Ok(AcceptOutcome::Booked(booking))
        })
    }

    async fn release_offer(&self, parent: &ParentRecord, release: &OfferRelease, events: &[OutboxEvent]) -> Result<bool, PortError> {
        self.run(Op::Waiting, |s| {
            let pid = &parent.parent_id;
            let read = release.offer.as_ref().map(|o| &o.offer_id);
            let as_read = s.parents.get(pid).is_some_and(|p| p.waiting.is_some() && p.offer.as_ref().map(|o| &o.offer_id) == read);
            if !as_read {
                return Ok(false);
            }
            if let Some(offer) = &release.offer {
                let place = (offer.workshop_id.clone(), parent.case_number.clone());
                let held = s.roster.get(&place).is_some_and(|r| r.parent_id == *pid && r.held.is_some());
                let seat = s.workshops.get(&offer.workshop_id).is_some_and(|w| w.w.seats_taken > 0);
                if !(held && seat) {
                    return Ok(false);
                }
                s.give_seat_back(&offer.workshop_id, &parent.case_number);
            }
            if let Some(p) = s.parents.get_mut(pid) {
                p.offer = None;
                if release.leaves {
                    p.waiting = None;
                }
            }
            if release.leaves {
                s.waiting.remove(pid);
            } else if let Some(e) = s.waiting.get_mut(pid) {
                e.holding = None;
            }
            for e in events {
                s.put_event(e);
            }
            Ok(true)
        })
    }

    async fn ended_holds(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<(ParentId, OfferId)>, PortError> {
        let size = self.page_size;
        self.run(Op::Waiting, |s| {
            let ended = s
                .roster
                .values()
                .filter_map(|r| {
                    r.held
                        .as_ref()
                        .filter(|(_, until)| *until <= now)
                        .map(|(o, until)| (*until, o.to_string(), (r.parent_id.clone(), o.clone())))
                })
                .collect();
            page_of(ended, page, size)
        })
    }

    async fn holds_on(&self, workshop: &pt4c_domain::WorkshopId) -> Result<Vec<(ParentId, OfferId)>, PortError> {
        self.run(Op::Waiting, |s| {
            Ok(s.roster
                .iter()
                .filter(|((w, _), _)| w == workshop)
                .filter_map(|(_, r)| r.held.as_ref().map(|(o, _)| (r.parent_id.clone(), o.clone())))
                .collect())
        })
    }

    async fn drop_entry(&self, parent: &ParentId) -> Result<(), PortError> {
        self.run(Op::Waiting, |s| {
            s.waiting.remove(parent);
            Ok(())
        })
    }
}
