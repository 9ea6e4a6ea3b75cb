//! Arrangement tasks kept in step with bookings: every booking event (booked, moved, cancelled, a
//! workshop cancelled) reconciles the parent's tasks with the booking they hold when it is
//! delivered (`pt4c_app::arrangements::reconcile`): idempotent, in any order. Ids only in logs.

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::Deps;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ParentId;

/// The parents whose tasks an event may change.
fn parents_of(event: &DomainEvent) -> Vec<&ParentId> {
    match event {
        DomainEvent::WorkshopBooked(e) => vec![&e.parent_id],
        DomainEvent::BookingMoved(e) => vec![&e.parent_id],
        DomainEvent::BookingCancelled(e) => vec![&e.parent_id],
        DomainEvent::WorkshopCancelled(e) => e.parent_ids.iter().collect(),
        _ => vec![],
    }
}

/// Reconciles the tasks of each parent the event names.
pub(crate) async fn reconcile(deps: &Deps, event: &DomainEvent) -> Result<(), ConsumerError> {
    for parent_id in parents_of(event) {
        let done = pt4c_app::arrangements::reconcile(&deps.app, parent_id).await?;
        if done.opened + done.closed > 0 {
            tracing::info!(parent_id = %parent_id, opened = done.opened, closed = done.closed, "arrangement tasks reconciled");
        }
    }
    Ok(())
}
