//! The waiting list (rules.md, "Waiting list"): a parent joins or leaves it; a freed seat is held
//! for the waiting parent it suits with the earliest court date; the parent accepts or declines
//! it, or its hold ends and it goes to the next.

use jiff::Timestamp;
use pt4c_domain::events::{DomainEvent, LeftBecause, OfferMade};
use pt4c_domain::link::{LinkError, Purpose};
use pt4c_domain::offering::{hold_until, AcceptOutcome, HeldOffer, HoldOutcome, TimeSlot, WaitingPlace};
use pt4c_domain::parent::{AcceptDecision, OfferRefusal, OfferRelease, WaitingRefusal};
use pt4c_domain::ports::{EventPublisher, Outbox, ParentRecord, ParentStore, PortError, WaitingListStore, WorkshopStore};
use pt4c_domain::workshop::Booking;
use pt4c_domain::{OfferId, ParentId, WorkshopId};

use crate::booking::booking_parent;
use crate::links::LinkRefusal;
use crate::App;

/// Why a waiting-list request was not done.
#[derive(Debug)]
pub enum WaitingError {
    Link(LinkRefusal),
    Rule(WaitingRefusal),
}

impl From<PortError> for WaitingError {
    fn from(e: PortError) -> Self {
        WaitingError::Link(LinkRefusal::Unavailable(e))
    }
}

impl From<crate::booking::BookRefusal> for WaitingError {
    fn from(r: crate::booking::BookRefusal) -> Self {
        match r {
            crate::booking::BookRefusal::Link(l) => WaitingError::Link(l),
            _ => WaitingError::Link(LinkRefusal::NotFound),
        }
    }
}

/// Reads of a parent a write was conditioned on, before giving up on one that keeps changing.
const STALE_READS: usize = 3;

/// Joins the list from a booking link. Returns the place and whether it is new (a repeat is not).
pub async fn join<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    token: &str,
    times: Vec<TimeSlot>,
) -> Result<(WaitingPlace, bool), WaitingError> {
    let mut parent = booking_parent(app, token).await?;
    for _ in 0..STALE_READS {
        let Some((place, event)) = parent.join_waiting_list(times.clone(), app.now()).map_err(WaitingError::Rule)? else {
            let place = parent.waiting.clone().ok_or_else(|| PortError::Permanent("on the list without a place".into()))?;
            return Ok((place, false));
        };
        let event = app.event(event);
        if app.store.join_waiting_list(&parent, &place, &event).await? {
            tracing::info!(parent_id = %parent.parent_id, "joined the waiting list");
            app.publish_committed(&event).await;
            return Ok((place, true));
        }
        parent = app.store.parent(&parent.parent_id).await?.ok_or(WaitingError::Link(LinkRefusal::NotFound))?;
    }
    Err(PortError::Retryable("the parent kept changing while joining the waiting list".into()).into())
}

/// Leaves the list from a booking link, giving back any seat held. `false`: not on it.
pub async fn leave<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    token: &str,
) -> Result<bool, WaitingError> {
    let parent = booking_parent(app, token).await?;
    Ok(leave_for(app, &parent, LeftBecause::Left).await?)
}

/// Takes the parent off the list (asked, booked elsewhere, or off the course), giving back any
/// seat held for them. `false`: not on it.
pub async fn leave_for<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
    because: LeftBecause,
) -> Result<bool, PortError> {
    let mut parent = parent.clone();
    for _ in 0..STALE_READS {
        let Some(release) = parent.leave_waiting_list(because, app.now()) else { return Ok(false) };
        if release_and_publish(app, &parent, &release).await? {
            tracing::info!(parent_id = %parent.parent_id, reason = ?because, "left the waiting list");
            return Ok(true);
        }
        match app.store.parent(&parent.parent_id).await? {
            Some(p) => parent = p,
            None => return Ok(false),
        }
    }
    Err(PortError::Retryable("the parent kept changing while leaving the waiting list".into()))
}

async fn release_and_publish<S: WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
    release: &OfferRelease,
) -> Result<bool, PortError> {
    let events: Vec<_> = release.events.iter().cloned().map(|e| app.event(e)).collect();
    if app.store.release_offer(parent, release, &events).await? {
        app.publish_committed_all(&events).await;
        return Ok(true);
    }
    Ok(false)
}

/// After a parent is booked (or moved) by any path, or their course closed: off the list, any
/// held seat given back. Checked against the parent as stored when the event is delivered.
pub async fn parent_settled<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent_id: &ParentId,
) -> Result<bool, PortError> {
    let Some(parent) = app.store.parent(parent_id).await? else { return Ok(false) };
    let because = if parent.closed() {
        LeftBecause::Closed
    } else if parent.booking.is_some() {
        LeftBecause::Booked
    } else {
        return Ok(false);
    };
    leave_for(app, &parent, because).await
}

/// Offers the free seats of `workshop_id` to the waiting list, one seat and one parent at a
/// time, each held until `hold_until`. Returns how many were offered. Safe to run twice or at
/// once: each hold is conditioned on the seat being free and the parent still waiting as read.
pub async fn offer_seats<S: WorkshopStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    workshop_id: &WorkshopId,
) -> Result<usize, PortError> {
    let mut offered = 0;
    // Each pass holds at most one seat; a workshop has at most `MAX_CAPACITY` of them.
    'seats: for _ in 0..(pt4c_domain::workshop::MAX_CAPACITY as usize * 3) {
        let Some(w) = app.store.workshop(workshop_id).await? else { return Ok(offered) };
        let now = app.now();
        if !w.bookable(now) {
            return Ok(offered);
        }
        let Some(until) = hold_until(now, w.starts_at, app.timings()) else { return Ok(offered) };
        let until = pt4c_domain::clock::to_the_second(until);
        let mut page = None;
        loop {
            let entries = app.store.waiting_entries(page, 100).await?;
            for entry in entries.items.iter().filter(|e| e.may_be_offered(&w)) {
                let offer = HeldOffer {
                    offer_id: OfferId::from_stored(uuid::Uuid::new_v4().to_string()),
                    workshop_id: w.workshop_id.clone(),
                    starts_at: w.starts_at,
                    offered_at: now,
                    hold_until: until,
                };
                let event = app.event(DomainEvent::OfferMade(OfferMade {
                    offer_id: offer.offer_id.clone(),
                    parent_id: entry.parent_id.clone(),
                    workshop_id: w.workshop_id.clone(),
                    offered_at: now,
                    hold_until: until,
                }));
                match app.store.hold_seat(entry, &w, &offer, now, &event).await? {
                    HoldOutcome::Held => {
                        tracing::info!(parent_id = %entry.parent_id, workshop_id = %w.workshop_id, offer_id = %offer.offer_id, "seat held from the waiting list");
                        app.publish_committed(&event).await;
                        offered += 1;
                        continue 'seats;
                    }
                    // Read the workshop again: another hold or booking took the seat, or it changed.
                    HoldOutcome::SeatGone => continue 'seats,
                    HoldOutcome::NotThisParent => continue,
                }
            }
            match entries.next {
                Some(next) => page = Some(next),
                None => return Ok(offered),
            }
        }
    }
    Ok(offered)
}

/// Gives back the seats held on a cancelled workshop (as its bookings are released): each parent
/// stays on the list and is offered the next seat that suits them. Returns how many.
pub async fn release_holds_on<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    workshop_id: &WorkshopId,
) -> Result<usize, PortError> {
    let mut released = 0;
    for (parent_id, offer_id) in app.store.holds_on(workshop_id).await? {
        let Some(parent) = app.store.parent(&parent_id).await? else { continue };
        let Some(release) = parent.lapse_offer(&offer_id, app.now()) else { continue };
        if release_and_publish(app, &parent, &release).await? {
            tracing::info!(parent_id = %parent_id, offer_id = %offer_id, workshop_id = %workshop_id, "hold on a cancelled workshop given back");
            released += 1;
        }
    }
    Ok(released)
}

/// A parent's answer to a held seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

/// What an answer came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// Booked on the held seat (`true`: just now; `false`: a replay of the acceptance).
    Booked(Booking, bool),
    Declined,
}

/// Why an answer was not taken.
#[derive(Debug)]
pub enum AnswerRefusal {
    Link(LinkRefusal),
    Offer(OfferRefusal),
}

impl From<PortError> for AnswerRefusal {
    fn from(e: PortError) -> Self {
        AnswerRefusal::Link(LinkRefusal::Unavailable(e))
    }
}

/// The parent and the offer an offer link is for.
pub async fn offer_parent<S: ParentStore, B>(app: &App<S, B>, token: &str) -> Result<(ParentRecord, OfferId), AnswerRefusal> {
    let link = match app.links()?.verify(token, Purpose::Offer, app.now()) {
        Ok(link) => link,
        Err(LinkError::Invalid) => return Err(AnswerRefusal::Link(LinkRefusal::InvalidLink)),
        // An offer link lasts as long as its hold: past it, the seat has gone to someone else.
        Err(LinkError::Expired { .. }) => return Err(AnswerRefusal::Offer(OfferRefusal::Expired)),
    };
    let offer_id = link.bound_to.map(OfferId::from_stored).ok_or(AnswerRefusal::Link(LinkRefusal::InvalidLink))?;
    let parent = app.store.parent(&link.parent).await?.ok_or(AnswerRefusal::Link(LinkRefusal::NotFound))?;
    Ok((parent, offer_id))
}

/// Accepts or declines the seat an offer link holds.
pub async fn answer<S: ParentStore + WorkshopStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    token: &str,
    answer: Answer,
) -> Result<Answered, AnswerRefusal> {
    let (mut parent, offer_id) = offer_parent(app, token).await?;
    for _ in 0..STALE_READS {
        let now = app.now();
        if answer == Answer::Decline {
            let release = parent.decline_offer(&offer_id, now).map_err(AnswerRefusal::Offer)?;
            if release_and_publish(app, &parent, &release).await? {
                tracing::info!(parent_id = %parent.parent_id, offer_id = %offer_id, "offer declined");
                return Ok(Answered::Declined);
            }
        } else {
            let workshop_id =
                parent.offer.as_ref().map(|o| o.workshop_id.clone()).or(parent.booking.as_ref().map(|b| b.workshop_id.clone()));
            let Some(workshop_id) = workshop_id else { return Err(AnswerRefusal::Offer(OfferRefusal::Gone)) };
            let w = app.store.workshop(&workshop_id).await?.ok_or(AnswerRefusal::Offer(OfferRefusal::Gone))?;
            match parent.accept_offer(&offer_id, &w, now, app.timings()).map_err(AnswerRefusal::Offer)? {
                AcceptDecision::Held(b) => return Ok(Answered::Booked(b, false)),
                AcceptDecision::Book { change, offer, events } => {
                    let mut outbox = vec![app.event(change.event)];
                    outbox.extend(events.into_iter().map(|e| app.event(e)));
                    if let AcceptOutcome::Booked(b) = app.store.accept_offer(&parent, &offer, &w, now, change.due, &outbox).await? {
                        tracing::info!(parent_id = %parent.parent_id, offer_id = %offer_id, "offer accepted");
                        app.publish_committed_all(&outbox).await;
                        return Ok(Answered::Booked(b, true));
                    }
                }
            }
        }
        parent = app.store.parent(&parent.parent_id).await?.ok_or(AnswerRefusal::Link(LinkRefusal::NotFound))?;
    }
    Err(PortError::Retryable("the offer kept changing while answering it".into()).into())
}

/// Gives back every seat whose hold ended unanswered by `now` (each offered on by its event's
/// consumer). Returns how many.
pub async fn end_holds<S: ParentStore + WaitingListStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    now: Timestamp,
) -> Result<usize, PortError> {
    let mut ended = 0;
    let mut page = None;
    loop {
        let holds = app.store.ended_holds(now, page).await?;
        for (parent_id, offer_id) in &holds.items {
            let Some(parent) = app.store.parent(parent_id).await? else { continue };
            let Some(release) = parent.expire_offer(offer_id, now) else { continue };
            if release_and_publish(app, &parent, &release).await? {
                tracing::info!(parent_id = %parent_id, offer_id = %offer_id, "hold ended");
                ended += 1;
            }
        }
        match holds.next {
            Some(next) => page = Some(next),
            None => return Ok(ended),
        }
    }
}
