//! Workshops: seats, the co-parent guard, bookings and their release, cancellation.

use std::collections::BTreeSet;

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::offering::{BookableCursor, BookablePage};
use pt4c_domain::ports::{BookingOutcome, BookingUpdate, EditOutcome, ParentRecord, PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{BookingRefusal, Workshop, WorkshopStatus};
use pt4c_domain::ParentId;
use pt4c_domain::WorkshopId;

use crate::state::{due_key, RosterRec, WorkshopRec};
use crate::{MemoryStore, Op};

impl WorkshopStore for MemoryStore {
    async fn create_workshop(&self, w: &Workshop, event: &OutboxEvent) -> Result<(), PortError> {
        self.run(Op::CreateWorkshop, |s| {
            if s.workshops.contains_key(&w.workshop_id) {
                return Err(PortError::Permanent("PutItem: ConditionalCheckFailedException (The conditional request failed)".into()));
            }
            // As stored by DynamoDB: the booked cases start empty whatever `w` says.
            let stored = WorkshopRec { w: Workshop { booked_cases: Vec::new(), ..w.clone() }, cases: BTreeSet::new() };
            s.workshops.insert(w.workshop_id.clone(), stored);
            s.put_event(event);
            Ok(())
        })
    }

    async fn workshop(&self, id: &WorkshopId) -> Result<Option<Workshop>, PortError> {
        self.run(Op::Workshop, |s| Ok(s.workshops.get(id).map(WorkshopRec::workshop)))
    }

    async fn workshops(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Workshop>, PortError> {
        self.run(Op::Workshops, |s| {
            let mut out: Vec<Workshop> =
                s.workshops.values().filter(|w| w.w.starts_at >= from && w.w.starts_at < to).map(WorkshopRec::workshop).collect();
            out.sort_by(|a, b| (due_key(a.starts_at), &a.workshop_id).cmp(&(due_key(b.starts_at), &b.workshop_id)));
            Ok(out)
        })
    }

    /// As the DynamoDB store's bookable index reads: open, a seat left, starting after `after` (to
    /// the whole second), by start then id, from after the cursor (what was read is never read again).
    async fn bookable(&self, after: Timestamp, from: Option<&BookableCursor>, limit: usize) -> Result<BookablePage, PortError> {
        self.run(Op::Workshops, |s| {
            let order = |w: &Workshop| (w.starts_at.as_second(), w.workshop_id.to_string());
            let mut open: Vec<Workshop> = s
                .workshops
                .values()
                .filter(|w| w.w.status == WorkshopStatus::Open && w.w.capacity > w.w.seats_taken)
                .filter(|w| w.w.starts_at.as_second() > after.as_second())
                .filter(|w| from.is_none_or(|c| order(&w.w) > (c.starts_at.as_second(), c.workshop_id.to_string())))
                .map(WorkshopRec::workshop)
                .collect();
            open.sort_by_key(order);
            let more = open.len() > limit.max(1);
            open.truncate(limit.max(1));
            let next = if more { open.last().map(BookableCursor::at) } else { None };
            Ok(BookablePage { workshops: open, next })
        })
    }

    async fn roster(&self, id: &WorkshopId) -> Result<Vec<(ParentId, Option<bool>)>, PortError> {
        self.run(Op::Roster, |s| {
            // A held seat is not on the roster until it is accepted.
            let mut places: Vec<&RosterRec> = s.roster.iter().filter(|((w, _), r)| w == id && r.held.is_none()).map(|(_, r)| r).collect();
            places.sort_by_key(|r| r.booked_at);
            Ok(places.into_iter().map(|r| (r.parent_id.clone(), r.attended)).collect())
        })
    }

    async fn book(
        &self,
        parent: &ParentRecord,
        w: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        self.run(Op::Book, |s| {
            let booking = w.booking(now);
            let pid = &parent.parent_id;
            let place = (w.workshop_id.clone(), parent.case_number.clone());
            // The transaction's three conditions, on the stored items: a seat on an open workshop
            // still to start (as read: an edit since makes the booking's copy stale), the case's
            // roster place free, the parent free to book.
            let seat = s.seat_free(w, now);
            let guard = !s.roster.contains_key(&place);
            let current = s.parents.get(pid);
            let hold = current.is_some_and(|p| {
                p.elearning_completed_at.is_some()
                    && p.booking.is_none()
                    && matches!(p.status, ParentStatus::ElearningCompleted | ParentStatus::DidNotAttend)
            });
            // Which rule refused it, in the order the DynamoDB store asks.
            if !hold {
                return Ok(match current.and_then(|p| p.booking.clone()) {
                    Some(b) if b.workshop_id == w.workshop_id => BookingOutcome::AlreadyHeld(b),
                    Some(_) => BookingOutcome::Refused(BookingRefusal::AlreadyBooked),
                    None if parent.elearning_completed_at.is_none() => BookingOutcome::Refused(BookingRefusal::ElearningIncomplete),
                    None => BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable),
                });
            }
            if !seat {
                return Ok(s.seat_refused(w, now));
            }
            if !guard {
                return Ok(BookingOutcome::Refused(BookingRefusal::CoParentBooked));
            }
            s.take_seat(&w.workshop_id, &parent.case_number, pid, now);
            if let Some(p) = s.parents.get_mut(pid) {
                p.booking = Some(booking.clone());
                p.status = ParentStatus::WorkshopBooked;
                p.attended = None;
                p.rostered_on.insert(w.workshop_id.clone());
                p.moved(due);
            }
            s.put_event(event);
            Ok(BookingOutcome::Booked(booking))
        })
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
        self.run(Op::Release, |s| {
            let pid = &parent.parent_id;
            // The booking read is the one given back: the same workshop and the same moment it was
            // made (a cancel link for an earlier booking on this workshop must not release a later one).
            let read_at = parent.booking.as_ref().filter(|b| &b.workshop_id == workshop_id).map(|b| b.booked_at);
            let unhold = s
                .parents
                .get(pid)
                .and_then(|p| p.booking.as_ref())
                .is_some_and(|b| &b.workshop_id == workshop_id && read_at.is_none_or(|at| b.booked_at == at));
            let [seat, unguard] = s.seat_can_be_given_back(workshop_id, &parent.case_number, pid, before);
            if !(unhold && seat && unguard) {
                return Ok(false);
            }
            if let Some(p) = s.parents.get_mut(pid) {
                p.booking = None;
                if rebook {
                    p.status = ParentStatus::ElearningCompleted;
                }
                p.moved(due);
            }
            s.give_seat_back(workshop_id, &parent.case_number);
            if let Some(e) = event {
                s.put_event(e);
            }
            Ok(true)
        })
    }

    async fn edit_workshop(
        &self,
        before: &Workshop,
        after: &Workshop,
        booked: &[BookingUpdate],
        now: Timestamp,
        event: &OutboxEvent,
    ) -> Result<EditOutcome, PortError> {
        self.run(Op::EditWorkshop, |s| {
            let Some(stored) = s.workshops.get(&before.workshop_id) else { return Ok(EditOutcome::NotFound) };
            // The workshop's condition, then which part of it failed (as the DynamoDB store reads it back).
            if stored.w.status != WorkshopStatus::Open || stored.w.starts_at <= now {
                return Ok(EditOutcome::NotOpen);
            }
            if after.capacity < stored.w.seats_taken {
                return Ok(EditOutcome::CapacityBelowSeatsTaken { seats_taken: stored.w.seats_taken });
            }
            if stored.w.sequence != before.sequence || stored.w.seats_taken != before.seats_taken {
                return Ok(EditOutcome::Stale);
            }
            let held = |u: &BookingUpdate| {
                s.parents
                    .get(&u.parent_id)
                    .is_some_and(|p| p.rev == u.rev && p.booking.as_ref().is_some_and(|b| b.workshop_id == before.workshop_id))
            };
            if !booked.iter().all(held) {
                return Ok(EditOutcome::Stale);
            }
            if let Some(stored) = s.workshops.get_mut(&before.workshop_id) {
                let (seats_taken, status) = (stored.w.seats_taken, stored.w.status);
                stored.w = Workshop { seats_taken, status, booked_cases: Vec::new(), ..after.clone() };
            }
            for u in booked {
                if let Some(p) = s.parents.get_mut(&u.parent_id) {
                    p.booking = Some(u.booking.clone());
                    p.moved(u.due);
                }
            }
            s.put_event(event);
            Ok(EditOutcome::Edited)
        })
    }

    async fn move_booking(
        &self,
        parent: &ParentRecord,
        to: &Workshop,
        now: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<BookingOutcome, PortError> {
        self.run(Op::MoveBooking, |s| {
            let Some(from) = parent.booking.as_ref() else { return Ok(BookingOutcome::Refused(BookingRefusal::NotBooked)) };
            let pid = &parent.parent_id;
            let booking = to.booking(now);
            // The transaction's conditions: the parent still holds the booking read, at the rev
            // read; the old seat given back as a cancellation gives it; the new one as `book` takes it.
            let current = s.parents.get(pid);
            let hold = current
                .is_some_and(|p| p.rev == parent.rev && p.status == ParentStatus::WorkshopBooked && p.booking.as_ref() == Some(from));
            let [old_seat, old_place] = s.seat_can_be_given_back(&from.workshop_id, &parent.case_number, pid, Some(now));
            let seat = s.seat_free(to, now);
            let guard = !s.roster.contains_key(&(to.workshop_id.clone(), parent.case_number.clone()));
            if !hold {
                return Ok(match current.and_then(|p| p.booking.clone()) {
                    Some(b) if b.workshop_id == to.workshop_id => BookingOutcome::AlreadyHeld(b),
                    _ => BookingOutcome::Stale,
                });
            }
            if !old_seat {
                return Ok(BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable));
            }
            if !old_place {
                return Ok(BookingOutcome::Stale);
            }
            if !seat {
                return Ok(s.seat_refused(to, now));
            }
            if !guard {
                return Ok(BookingOutcome::Refused(BookingRefusal::CoParentBooked));
            }
            s.give_seat_back(&from.workshop_id, &parent.case_number);
            s.take_seat(&to.workshop_id, &parent.case_number, pid, now);
            if let Some(p) = s.parents.get_mut(pid) {
                p.booking = Some(booking.clone());
                p.rostered_on.insert(to.workshop_id.clone());
                p.moved(due);
            }
            s.put_event(event);
            Ok(BookingOutcome::Booked(booking))
        })
    }

    async fn cancel_workshop(&self, id: &WorkshopId, _reason: &str, event: &OutboxEvent, now: Timestamp) -> Result<bool, PortError> {
        self.run(Op::CancelWorkshop, |s| {
            let Some(w) = s.workshops.get_mut(id).filter(|w| w.w.status == WorkshopStatus::Open) else { return Ok(false) };
            w.w.status = WorkshopStatus::Cancelled;
            // The mark that its bookings are still to be released, due to the sweep from now.
            s.cancelling.insert(id.to_owned(), due_key(now));
            s.put_event(event);
            Ok(true)
        })
    }

    async fn cancellation_released(&self, id: &WorkshopId) -> Result<(), PortError> {
        self.run(Op::CancellationReleased, |s| {
            s.cancelling.remove(id);
            Ok(())
        })
    }
}
