//! The e-learning: the provider reports each module a parent completes.

use pt4c_domain::events::{DomainEvent, ELearningModuleCompleted};
use pt4c_domain::ports::{EventPublisher, ModuleRecording, Outbox, ParentStore, PortError};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::ParentId;
use serde::Serialize;

use crate::App;

/// One module completed at a time (already parsed at the edge).
#[derive(Debug, Clone)]
pub struct Completion {
    pub parent_id: ParentId,
    pub module_id: pt4c_domain::ModuleId,
    pub completed_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentElearning {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub elearning: ElearningProgress,
}

#[derive(Debug)]
pub enum CompletionRefusal {
    NoParent,
    /// The completion time is before the parent was invited: not a fact, nothing stored.
    BeforeInvitation,
    Unavailable(PortError),
}

impl From<PortError> for CompletionRefusal {
    fn from(e: PortError) -> Self {
        CompletionRefusal::Unavailable(e)
    }
}

/// Records a module (its first time kept), and completes the e-learning when every module is done.
/// Safe to repeat and to receive out of order.
pub async fn record_completion<S: ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    c: &Completion,
) -> Result<ParentElearning, CompletionRefusal> {
    let event = app.event(DomainEvent::ELearningModuleCompleted(ELearningModuleCompleted {
        parent_id: c.parent_id.clone(),
        module_id: c.module_id.clone(),
        completed_at: c.completed_at,
    }));
    match app.store.record_module(&c.parent_id, &c.module_id, c.completed_at, &event).await? {
        ModuleRecording::NoParent => return Err(CompletionRefusal::NoParent),
        ModuleRecording::BeforeInvitation => return Err(CompletionRefusal::BeforeInvitation),
        ModuleRecording::Recorded => {
            tracing::info!(parent_id = %c.parent_id, module_id = %c.module_id, "module completed");
            app.publish_committed(&event).await;
        }
        ModuleRecording::AlreadyRecorded => tracing::info!(parent_id = %c.parent_id, module_id = %c.module_id, "module already recorded"),
    }
    let vanished = || PortError::Retryable("parent vanished".into());
    let mut parent = app.store.parent(&c.parent_id).await?.ok_or_else(vanished)?;
    if parent.starts_elearning() {
        app.store.mark_elearning_started(&c.parent_id).await?;
        parent.status = ParentStatus::ElearningStarted;
    }
    if let Some(change) = parent.complete_elearning(&app.settings.catalogue, app.now(), app.timings()) {
        let event = app.event(change.event);
        let at = change.after.elearning_completed_at.unwrap_or(c.completed_at);
        if app.store.complete_elearning(&c.parent_id, at, change.due, &event).await? {
            tracing::info!(parent_id = %c.parent_id, "e-learning completed");
            app.publish_committed(&event).await;
            parent = change.after;
        } else {
            parent = app.store.parent(&c.parent_id).await?.ok_or_else(vanished)?;
        }
    }
    Ok(ParentElearning { parent_id: parent.parent_id.clone(), status: parent.status, elearning: parent.elearning() })
}
