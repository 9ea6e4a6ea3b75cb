//! Concerns about a parent: stored, and the Family Court Adviser told at once. A safety concern
//! reaches the FCA whatever the referral's state.

use pt4c_domain::events::{ConcernRaised, DomainEvent};
use pt4c_domain::ports::{Concern, CourseStore, EventPublisher, Outbox, ParentStore, PortError};
use pt4c_domain::ParentId;

use crate::App;

#[derive(Debug)]
pub enum ConcernRefusal {
    NoParent,
    Unavailable(PortError),
}

impl From<PortError> for ConcernRefusal {
    fn from(e: PortError) -> Self {
        ConcernRefusal::Unavailable(e)
    }
}

/// The concern as stored, and whether this call raised it (false: the same concern was raised before).
pub async fn raise<S: ParentStore + CourseStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent_id: &ParentId,
    raised_by: String,
    summary: String,
) -> Result<(Concern, bool), ConcernRefusal> {
    if app.store.parent(parent_id).await?.is_none() {
        return Err(ConcernRefusal::NoParent);
    }
    let concern_id = pt4c_domain::ids::concern_id(parent_id, &raised_by, &summary);
    let now = app.now();
    let concern = Concern { concern_id: concern_id.clone(), parent_id: parent_id.clone(), raised_by, summary, raised_at: now };
    let event = app.event(DomainEvent::ConcernRaised(ConcernRaised {
        parent_id: parent_id.clone(),
        concern_id: concern_id.clone(),
        raised_at: now,
    }));
    if app.store.raise_concern(&concern, &event).await? {
        tracing::info!(parent_id = %parent_id, concern_id = %concern_id, "concern raised");
        app.publish_committed(&event).await;
        return Ok((concern, true));
    }
    let stored = app.store.concern(parent_id, &concern_id).await?.ok_or_else(|| PortError::Retryable("concern vanished".into()))?;
    Ok((stored, false))
}
