//! Follow-up calls a trainer owes the parents who attended.

use pt4c_domain::ports::{CourseStore, FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording, PortError};
use pt4c_domain::ParentId;

use crate::App;

/// Who to call: the notes stay with the record.
pub async fn list<S: CourseStore, B>(app: &App<S, B>, list: FollowUpList) -> Result<Vec<FollowUpEntry>, PortError> {
    let mut entries = app.store.follow_ups(list, app.now()).await?;
    for e in &mut entries {
        e.notes = None;
    }
    Ok(entries)
}

/// Records a call's outcome, once (a replay of the same outcome answers the record).
pub async fn record<S: CourseStore, B>(
    app: &App<S, B>,
    parent_id: &ParentId,
    outcome: FollowUpOutcome,
    notes: Option<&str>,
) -> Result<FollowUpRecording, PortError> {
    let recording = app.store.record_follow_up(parent_id, outcome, notes, app.now()).await?;
    if matches!(recording, FollowUpRecording::Recorded(_)) {
        tracing::info!(parent_id = %parent_id, "follow-up recorded");
    }
    Ok(recording)
}
