//! The daily sweep's Lambda: the scheduled event's time, then `pt4c_app::sweep::sweep`
//! (reminders, deadline warnings, not-completed notices, overdue follow-ups, closing and erasure).

use jiff::Timestamp;
use pt4c_adapters::Deps;
use serde::Deserialize;

pub use pt4c_app::sweep::{Summary, SweepError};

/// The part of a scheduled event (EventBridge Scheduler's envelope, or a rule's) the sweep reads.
#[derive(Debug, Deserialize)]
pub struct ScheduledRun {
    time: Option<serde_json::Value>,
}

impl ScheduledRun {
    pub fn time(&self) -> Result<Timestamp, SweepError> {
        match &self.time {
            Some(serde_json::Value::String(t)) => t.parse().map_err(|_| SweepError::BadEvent(format!("{t:?} is not an RFC 3339 time"))),
            _ => Err(SweepError::BadEvent("\"time\" is missing".into())),
        }
    }
}

/// Runs the sweep as of `at`. `stop_by`: stop taking new work at this instant (the invocation's deadline, less a margin).
pub async fn sweep(deps: &Deps, at: Timestamp, stop_by: Option<std::time::Instant>) -> Result<Summary, SweepError> {
    pt4c_app::sweep::sweep(&deps.app, at, stop_by).await
}
