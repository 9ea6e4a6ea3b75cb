//! A parent's side of the waiting list (rules.md, "Waiting list"): joining and leaving it, and
//! answering a seat held for them. The store's writes re-check each as a condition.

use jiff::Timestamp;

use super::{BookingDecision, Change, ParentRecord};
use crate::events::{DomainEvent, LeftBecause, OfferAccepted, OfferDeclined, OfferExpired, WaitingListJoined, WaitingListLeft};
use crate::offering::{HeldOffer, TimeSlot, WaitingPlace};
use crate::progress::ParentStatus;
use crate::timings::Timings;
use crate::workshop::{Booking, Workshop};
use crate::OfferId;

/// Why a parent may not join the waiting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingRefusal {
    /// The e-learning is not complete yet.
    NotReady,
    /// Booked on a workshop already.
    Booked,
    /// Off the course.
    Closed,
}

impl WaitingRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotReady => "elearning-incomplete",
            Self::Booked => "already-booked",
            Self::Closed => "not-on-course",
        }
    }
}

/// Why an answer to an offer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferRefusal {
    /// Not the offer the parent holds now (answered, expired and released, or replaced).
    Gone,
    /// Its hold has ended.
    Expired,
}

/// What accepting an offer comes to, before any store is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptDecision {
    /// Book the held seat: the booking's change (WorkshopBooked) and the offer's own events.
    Book { change: Box<Change>, offer: HeldOffer, events: Vec<DomainEvent> },
    /// Already booked on it through this offer: a replay.
    Held(Booking),
}

/// A seat given back from an offer (or a parent leaving the list, with or without one): the
/// offer, and the events that say why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRelease {
    pub offer: Option<HeldOffer>,
    pub events: Vec<DomainEvent>,
    /// The parent leaves the list too.
    pub leaves: bool,
}

impl ParentRecord {
    /// Joins the waiting list with the times that suit them (none: any). `None`: already on it.
    pub fn join_waiting_list(&self, times: Vec<TimeSlot>, now: Timestamp) -> Result<Option<(WaitingPlace, DomainEvent)>, WaitingRefusal> {
        if self.closed() {
            return Err(WaitingRefusal::Closed);
        }
        if self.booking.is_some() {
            return Err(WaitingRefusal::Booked);
        }
        if self.elearning_completed_at.is_none() || !matches!(self.status, ParentStatus::ElearningCompleted | ParentStatus::DidNotAttend) {
            return Err(WaitingRefusal::NotReady);
        }
        if self.waiting.is_some() {
            return Ok(None);
        }
        let mut times = times;
        times.sort();
        times.dedup();
        let place = WaitingPlace { joined_at: crate::clock::to_the_second(now), times };
        let event = DomainEvent::WaitingListJoined(WaitingListJoined { parent_id: self.parent_id.clone(), joined_at: place.joined_at });
        Ok(Some((place, event)))
    }

    /// Leaves the waiting list (asked, booked elsewhere, or off the course), giving back any seat
    /// held. `None`: not on it.
    pub fn leave_waiting_list(&self, because: LeftBecause, now: Timestamp) -> Option<OfferRelease> {
        let _ = self.waiting.as_ref()?;
        let left = DomainEvent::WaitingListLeft(WaitingListLeft { parent_id: self.parent_id.clone(), left_at: now, reason: because });
        let mut events = Vec::new();
        if let Some(offer) = &self.offer {
            events.push(self.declined(offer, now));
        }
        events.push(left);
        Some(OfferRelease { offer: self.offer.clone(), events, leaves: true })
    }

    fn declined(&self, offer: &HeldOffer, now: Timestamp) -> DomainEvent {
        DomainEvent::OfferDeclined(OfferDeclined {
            offer_id: offer.offer_id.clone(),
            parent_id: self.parent_id.clone(),
            workshop_id: offer.workshop_id.clone(),
            declined_at: now,
        })
    }

    fn holding(&self, offer_id: &OfferId) -> Result<&HeldOffer, OfferRefusal> {
        self.offer.as_ref().filter(|o| &o.offer_id == offer_id).ok_or(OfferRefusal::Gone)
    }

    /// Accepts the seat held by `offer_id` on `workshop` (as read now): booked, off the list.
    pub fn accept_offer(
        &self,
        offer_id: &OfferId,
        workshop: &Workshop,
        now: Timestamp,
        t: &Timings,
    ) -> Result<AcceptDecision, OfferRefusal> {
        if let Some(b) = self.booking.as_ref().filter(|b| b.workshop_id == workshop.workshop_id && self.offer.is_none()) {
            return Ok(AcceptDecision::Held(b.clone()));
        }
        let offer = self.holding(offer_id)?;
        if offer.expired(now) {
            return Err(OfferRefusal::Expired);
        }
        if offer.workshop_id != workshop.workshop_id {
            return Err(OfferRefusal::Gone);
        }
        // The booking's own rules (the seat is already this parent's: the store moves the hold to the roster).
        let change = match self.book(workshop, now, t) {
            Ok(BookingDecision::Book(change)) => change,
            _ => return Err(OfferRefusal::Gone),
        };
        let mut change = change;
        change.after.offer = None;
        change.after.waiting = None;
        let events = vec![
            DomainEvent::OfferAccepted(OfferAccepted {
                offer_id: offer.offer_id.clone(),
                parent_id: self.parent_id.clone(),
                workshop_id: offer.workshop_id.clone(),
                accepted_at: now,
            }),
            DomainEvent::WaitingListLeft(WaitingListLeft { parent_id: self.parent_id.clone(), left_at: now, reason: LeftBecause::Booked }),
        ];
        Ok(AcceptDecision::Book { change, offer: offer.clone(), events })
    }

    /// Declines the seat held by `offer_id`: given back, offered to the next; the parent stays on the list.
    pub fn decline_offer(&self, offer_id: &OfferId, now: Timestamp) -> Result<OfferRelease, OfferRefusal> {
        let offer = self.holding(offer_id)?;
        Ok(OfferRelease { offer: Some(offer.clone()), events: vec![self.declined(offer, now)], leaves: false })
    }

    /// The seat held by `offer_id` is on a workshop that was cancelled: given back at once (the
    /// hold ends now), the parent still on the list. `None`: not this parent's offer any more.
    pub fn lapse_offer(&self, offer_id: &OfferId, now: Timestamp) -> Option<OfferRelease> {
        let offer = self.holding(offer_id).ok()?;
        let event = DomainEvent::OfferExpired(OfferExpired {
            offer_id: offer.offer_id.clone(),
            parent_id: self.parent_id.clone(),
            workshop_id: offer.workshop_id.clone(),
            expired_at: now.min(offer.hold_until),
        });
        Some(OfferRelease { offer: Some(offer.clone()), events: vec![event], leaves: false })
    }

    /// The hold of `offer_id` has ended unanswered: given back, offered to the next. `None`: not
    /// this parent's offer any more, or not ended yet.
    pub fn expire_offer(&self, offer_id: &OfferId, now: Timestamp) -> Option<OfferRelease> {
        let offer = self.holding(offer_id).ok().filter(|o| o.expired(now))?;
        let event = DomainEvent::OfferExpired(OfferExpired {
            offer_id: offer.offer_id.clone(),
            parent_id: self.parent_id.clone(),
            workshop_id: offer.workshop_id.clone(),
            expired_at: offer.hold_until,
        });
        Some(OfferRelease { offer: Some(offer.clone()), events: vec![event], leaves: false })
    }
}
