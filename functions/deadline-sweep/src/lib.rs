//! The daily sweep's Lambda: the scheduled event's time, then `pt4c_app::sweep::sweep`
//! (reminders, deadline warnings, not-completed notices, overdue follow-ups, closing and erasure).

use jiff::Timestamp;
use pt4c_adapters::Deps;
use serde::{Deserialize, Serialize};

pub use pt4c_app::sweep::{Summary, SweepError};

/// What a run did, and what finding it cost in DynamoDB reads (ids and counts only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    #[serde(flatten)]
    pub summary: Summary,
    /// Items DynamoDB read to find what was due, and the read capacity that cost.
    pub items_read: u64,
    pub read_capacity_units: f64,
}

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
pub async fn sweep(deps: &Deps, at: Timestamp, stop_by: Option<std::time::Instant>) -> Result<Report, SweepError> {
    let (store, cost) = deps.store.metered();
    let app = pt4c_app::App { store, ..deps.app.clone() };
    let summary = pt4c_app::sweep::sweep(&app, at, stop_by).await?;
    tracing::info!(items_read = cost.items_read(), read_capacity_units = cost.capacity_units(), "what finding the due cost");
    Ok(Report { summary, items_read: cost.items_read(), read_capacity_units: cost.capacity_units() })
}
