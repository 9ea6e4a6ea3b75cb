//! Workshops: publishing, the list, one workshop with its roster, and cancelling one.

use pt4c_domain::events::{DomainEvent, WorkshopCancelled, WorkshopChanged};
use pt4c_domain::ports::{BookingUpdate, EditOutcome, EventPublisher, Outbox, ParentStore, PortError, WorkshopStore};
use pt4c_domain::workshop::{Booking, Workshop, WorkshopEdit, WorkshopStatus};
use pt4c_domain::ParentId;
use serde::Serialize;

use crate::App;
use pt4c_domain::WorkshopId;

/// A parent on a workshop's roster, as the trainer sees them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterEntry {
    pub parent_id: ParentId,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub interpreter_language: Option<String>,
    pub adjustments: Option<String>,
    pub attended: Option<bool>,
}

#[derive(Debug)]
pub enum WorkshopRefusal {
    NotFound,
    Unavailable(PortError),
}

impl From<PortError> for WorkshopRefusal {
    fn from(e: PortError) -> Self {
        WorkshopRefusal::Unavailable(e)
    }
}

/// Why an edit was not made.
#[derive(Debug)]
pub enum EditRefusal {
    NotFound,
    /// Cancelled, or started.
    NotOpen,
    CapacityBelowSeatsTaken {
        seats_taken: u32,
    },
    Unavailable(PortError),
}

impl From<PortError> for EditRefusal {
    fn from(e: PortError) -> Self {
        EditRefusal::Unavailable(e)
    }
}

/// Reads of the workshop and its roster before giving up on one that keeps changing.
const STALE_READS: usize = 3;

/// Edits a workshop that is open and still to start. The workshop, each booked parent's copy of
/// it (and where they sit in the due-index: reminders follow the start) and the event are one
/// write, conditioned on what was read and on the capacity not going below the seats taken when
/// it commits. An edit that changes nothing writes nothing (so a replay is answered, not sent again).
pub async fn edit<S: WorkshopStore + ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    id: &WorkshopId,
    edit: &WorkshopEdit,
) -> Result<Workshop, EditRefusal> {
    for _ in 0..STALE_READS {
        let before = app.store.workshop(id).await?.ok_or(EditRefusal::NotFound)?;
        let now = app.now();
        if before.status != WorkshopStatus::Open || before.starts_at <= now {
            return Err(EditRefusal::NotOpen);
        }
        let Some(after) = edit.apply(&before) else { return Ok(before) };
        let booked = booked_copies(app, &after, now).await?;
        let event = app.event(DomainEvent::WorkshopChanged(WorkshopChanged {
            workshop_id: id.clone(),
            sequence: after.sequence,
            trainer_changed: after.trainer != before.trainer,
        }));
        match app.store.edit_workshop(&before, &after, &booked, now, &event).await? {
            EditOutcome::Edited => {
                tracing::info!(workshop_id = %id, sequence = after.sequence, bookings = booked.len(), "workshop edited");
                app.publish_committed(&event).await;
                return Ok(after);
            }
            EditOutcome::NotFound => return Err(EditRefusal::NotFound),
            EditOutcome::NotOpen => return Err(EditRefusal::NotOpen),
            EditOutcome::CapacityBelowSeatsTaken { seats_taken } => return Err(EditRefusal::CapacityBelowSeatsTaken { seats_taken }),
            EditOutcome::Stale => continue,
        }
    }
    Err(PortError::Retryable("the workshop kept changing while editing it".into()).into())
}

/// Each parent booked on the workshop, with their booking as the edit makes it.
async fn booked_copies<S: WorkshopStore + ParentStore, B>(
    app: &App<S, B>,
    after: &Workshop,
    now: jiff::Timestamp,
) -> Result<Vec<BookingUpdate>, PortError> {
    let mut booked = Vec::new();
    for (parent_id, _) in app.store.roster(&after.workshop_id).await? {
        let Some(mut parent) = app.store.parent(&parent_id).await? else { continue };
        let Some(held) = parent.booking.as_ref().filter(|b| b.workshop_id == after.workshop_id) else { continue };
        let booking = Booking { starts_at: after.starts_at, ends_at: after.ends_at, location: after.location.clone(), ..held.clone() };
        let rev = parent.rev;
        parent.booking = Some(booking.clone());
        let due = parent.due_after_change(now, app.timings());
        booked.push(BookingUpdate { parent_id, rev, booking, due });
    }
    Ok(booked)
}

/// A cancellation's outcome: the workshop, and how many bookings are still to be released (a
/// release cut short; the same request, or the next sweep, finishes it).
#[derive(Debug)]
pub struct Cancellation {
    pub workshop: Workshop,
    pub left: usize,
}

pub async fn publish<S: WorkshopStore + Outbox, B: EventPublisher>(app: &App<S, B>, workshop: &Workshop) -> Result<(), PortError> {
    let event = app.event(pt4c_domain::events::DomainEvent::WorkshopPublished(pt4c_domain::events::WorkshopPublished {
        workshop_id: workshop.workshop_id.clone(),
        published_at: app.now(),
    }));
    app.store.create_workshop(workshop, &event).await?;
    tracing::info!(workshop_id = %workshop.workshop_id, "workshop published");
    app.publish_committed(&event).await;
    Ok(())
}

/// Workshops starting in [from, to), soonest first.
pub async fn list<S: WorkshopStore, B>(app: &App<S, B>, from: jiff::Timestamp, to: jiff::Timestamp) -> Result<Vec<Workshop>, PortError> {
    app.store.workshops(from, to).await
}

/// One workshop and the parents booked on it.
pub async fn with_roster<S: WorkshopStore + ParentStore, B>(
    app: &App<S, B>,
    id: &WorkshopId,
) -> Result<(Workshop, Vec<RosterEntry>), WorkshopRefusal> {
    let workshop = app.store.workshop(id).await?.ok_or(WorkshopRefusal::NotFound)?;
    let mut roster = Vec::new();
    for (parent_id, attended) in app.store.roster(id).await? {
        if let Some(p) = app.store.parent_details(&parent_id).await? {
            roster.push(RosterEntry {
                parent_id,
                name: format!("{} {}", p.first_name, p.last_name),
                email: p.email.as_str().to_owned(),
                phone: p.phone.map(|x| x.as_str().to_owned()),
                interpreter_language: p.interpreter_language,
                adjustments: p.adjustments,
                attended,
            });
        }
    }
    Ok((workshop, roster))
}

/// Cancels a workshop and releases every booking on it, each with the event that emails its
/// parent once. Safe to repeat: it finishes a release that was cut short.
pub async fn cancel<S: WorkshopStore + ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    id: &WorkshopId,
    reason: &str,
) -> Result<Cancellation, WorkshopRefusal> {
    let workshop = app.store.workshop(id).await?.ok_or(WorkshopRefusal::NotFound)?;
    if workshop.status == WorkshopStatus::Open {
        // The roster goes with each release's own event, so the cancellation's lists nobody.
        let now = app.now();
        let event =
            app.event(DomainEvent::WorkshopCancelled(WorkshopCancelled { workshop_id: id.clone(), parent_ids: vec![], cancelled_at: now }));
        if app.store.cancel_workshop(id, reason, &event, now).await? {
            tracing::info!(workshop_id = %id, "workshop cancelled");
            app.publish_committed(&event).await;
        }
    }
    let left = release_cancelled(app, id).await?;
    let workshop = app.store.workshop(id).await?.ok_or_else(|| PortError::Retryable("workshop vanished".into()))?;
    Ok(Cancellation { workshop, left })
}

/// Releases every booking still held on a cancelled workshop; the workshop's mark goes when none
/// is left. Read after the cancellation: no booking commits on a cancelled workshop (a condition
/// of the booking's transaction), so this roster is every booking there will ever be on it.
/// Returns how many are left.
pub async fn release_cancelled<S: WorkshopStore + ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    workshop_id: &WorkshopId,
) -> Result<usize, PortError> {
    let mut left = 0;
    for (parent_id, _) in app.store.roster(workshop_id).await? {
        if let Err(e) = release_one(app, workshop_id, &parent_id).await {
            tracing::warn!(workshop_id = %workshop_id, parent_id = %parent_id, error = %e, "booking on a cancelled workshop not yet released");
            left += 1;
        }
    }
    if left == 0 {
        app.store.cancellation_released(workshop_id).await?;
    }
    Ok(left)
}

async fn release_one<S: WorkshopStore + ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    workshop_id: &WorkshopId,
    parent_id: &ParentId,
) -> Result<(), PortError> {
    let now = app.now();
    // A parent already recorded at the workshop, or released before, keeps their record.
    let Some(parent) = app.store.parent(parent_id).await? else { return Ok(()) };
    let Some(change) = parent.release_from_cancelled(workshop_id, now, app.timings()) else { return Ok(()) };
    let event = app.event(change.event);
    if app.store.release(&parent, workshop_id, None, Some(&event), true, change.due).await? {
        tracing::info!(workshop_id = %workshop_id, parent_id = %parent_id, "booking released: workshop cancelled");
        app.publish_committed(&event).await;
        return Ok(());
    }
    // Changed since the read (cancelled by the parent, released by a concurrent call): look again.
    match app.store.parent(parent_id).await? {
        Some(p) if p.release_from_cancelled(workshop_id, now, app.timings()).is_some() => {
            Err(PortError::Retryable("booking changed during the release".into()))
        }
        _ => Ok(()),
    }
}

/// A fresh id for a workshop about to be published.
pub fn new_id() -> WorkshopId {
    WorkshopId::parse(&uuid::Uuid::new_v4().to_string()).expect("a v4 UUID is a workshop id")
}
