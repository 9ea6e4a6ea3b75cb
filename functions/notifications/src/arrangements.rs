//! Arrangement tasks kept in step with bookings: every booking event (booked, moved, cancelled, a
//! workshop cancelled or changed) reconciles the parent's tasks with the booking they hold when it is
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

/// Reconciles the tasks of each parent the event names (a workshop's edit: each parent on its
/// roster, whose task follows the workshop's new start).
pub(crate) async fn reconcile(deps: &Deps, event: &DomainEvent) -> Result<(), ConsumerError> {
    let mut parents: Vec<ParentId> = parents_of(event).into_iter().cloned().collect();
    if let DomainEvent::WorkshopChanged(e) = event {
        use pt4c_domain::ports::WorkshopStore;
        parents.extend(deps.store.roster(&e.workshop_id).await?.into_iter().map(|(p, _)| p));
    }
    for parent_id in &parents {
        let done = pt4c_app::arrangements::reconcile(&deps.app, parent_id).await?;
        if done.opened + done.closed + done.retimed > 0 {
            tracing::info!(
                parent_id = %parent_id,
                opened = done.opened,
                closed = done.closed,
                retimed = done.retimed,
                "arrangement tasks reconciled"
            );
        }
    }
    Ok(())
}
