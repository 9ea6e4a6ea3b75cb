//! The outbox relay: publishes events whose first publish failed after their change committed.
//! Runs every minute; consumers are idempotent, so publishing twice is harmless.

use pt4c_adapters::Deps;
use pt4c_domain::ports::{EventPublisher, Outbox, PortError};
use serde::Serialize;

/// Events taken per run; the next run takes the rest.
const BATCH: i32 = 100;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub published: usize,
    pub failed: usize,
}

pub async fn relay(deps: &Deps) -> Result<Summary, PortError> {
    // Younger events may still be on their way from the function that wrote them.
    let before = deps.now() - deps.config.outbox_grace;
    let pending = deps.store.pending(before, BATCH).await?;
    let mut summary = Summary::default();
    for event in &pending {
        match deps.bus.publish(std::slice::from_ref(event)).await {
            Ok(()) => {
                deps.store.delivered(&event.event_id).await?;
                summary.published += 1;
            }
            Err(e) => {
                tracing::warn!(event_id = %event.event_id, error = %e, "relay publish failed; next run retries");
                summary.failed += 1;
            }
        }
    }
    if !pending.is_empty() {
        tracing::info!(published = summary.published, failed = summary.failed, "outbox relayed");
    }
    if summary.failed > 0 {
        // A bus that refuses must be seen: the run fails, so its errors alarm fires; the events
        // stay in the outbox (they never expire) and the next run tries them again.
        return Err(PortError::Retryable(format!("{} of {} events left unpublished", summary.failed, pending.len())));
    }
    Ok(summary)
}
