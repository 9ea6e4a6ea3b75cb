//! The daily sweep's Lambda: the scheduled event's time, then `pt4c_app::sweep::sweep`
//! (reminders, deadline warnings, not-completed notices, overdue follow-ups, closing and erasure),
//! then the coordinators' steps: arrangements still open close to their workshop
//! (`pt4c_app::arrangements::flag`) and the capacity forecast (`pt4c_app::forecast::run`).

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
    /// Open arrangement tasks flagged, and the coordinators emailed about them.
    pub arrangements: pt4c_app::arrangements::Flagged,
    /// The capacity forecast's run; `forecast_items_read`: the items DynamoDB read for it
    /// (the parents on the course and the workshops in its window).
    pub forecast: pt4c_app::forecast::ForecastRun,
    pub forecast_items_read: u64,
    /// The frequent run's texts to parents whose workshop starts within 2 hours.
    pub soon_reminded: pt4c_app::texting::SoonReminded,
}

/// The part of a scheduled event (EventBridge Scheduler's envelope, or a rule's) the sweep reads.
#[derive(Debug, Deserialize)]
pub struct ScheduledRun {
    time: Option<serde_json::Value>,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

impl ScheduledRun {
    pub fn time(&self) -> Result<Timestamp, SweepError> {
        match &self.time {
            Some(serde_json::Value::String(t)) => t.parse().map_err(|_| SweepError::BadEvent(format!("{t:?} is not an RFC 3339 time"))),
            _ => Err(SweepError::BadEvent("\"time\" is missing".into())),
        }
    }
}

impl ScheduledRun {
    /// The frequent run (`"detail": {"only": "holds"}`, every 15 minutes) gives back only the seats
    /// whose hold ended; the daily run does everything.
    pub fn holds_only(&self) -> bool {
        self.detail.as_ref().and_then(|d| d.get("only")).and_then(|o| o.as_str()) == Some("holds")
    }
}

/// Runs the sweep as of `at`. `stop_by`: stop taking new work at this instant (the invocation's deadline, less a margin).
pub async fn sweep(deps: &Deps, at: Timestamp, stop_by: Option<std::time::Instant>) -> Result<Report, SweepError> {
    let (store, cost) = deps.store.metered();
    let app = pt4c_app::App { store, ..deps.app.clone() };
    let summary = pt4c_app::sweep::sweep(&app, at, stop_by).await?;
    tracing::info!(items_read = cost.items_read(), read_capacity_units = cost.capacity_units(), "what finding the due cost");
    let arrangements = pt4c_app::arrangements::flag(&deps.app, &deps.mailer, summary.swept_at.unwrap_or(at), |t| {
        let url = format!("{}/console/parents/{}", deps.config.public_base_url, t.parent_id);
        pt4c_adapters::emails::arrangement_due(&pt4c_adapters::emails::ArrangementDue {
            to: &deps.config.coordinators_email,
            name: &t.name,
            what: &t.what(),
            starts_at: t.starts_at,
            console_url: &url,
        })
        .map_err(|e| e.to_string())
    })
    .await?;
    let (store, forecast_cost) = deps.store.metered();
    let forecast_app = pt4c_app::App { store, ..deps.app.clone() };
    let forecast = pt4c_app::forecast::run(&forecast_app, &deps.mailer, summary.swept_at.unwrap_or(at), |f| {
        let url = format!("{}/console/", deps.config.public_base_url);
        pt4c_adapters::emails::capacity_shortfall(&pt4c_adapters::emails::CapacityShortfall {
            to: &deps.config.coordinators_email,
            forecast: f,
            console_url: &url,
        })
        .map_err(|e| e.to_string())
    })
    .await?;
    // The parents' pages are metered; the workshops' query reads exactly the workshops in the window.
    let forecast_items_read = forecast_cost.items_read() + forecast.workshops_read as u64;
    Ok(Report {
        summary,
        items_read: cost.items_read(),
        read_capacity_units: cost.capacity_units(),
        arrangements,
        forecast,
        forecast_items_read,
        soon_reminded: Default::default(),
    })
}

/// The frequent run (every 15 minutes): gives back the seats whose hold ended by `at`, and texts
/// the 2-hour workshop reminders (`pt4c_app::texting::remind_soon`, each once).
pub async fn end_holds(deps: &Deps, at: Timestamp) -> Result<Report, SweepError> {
    let (store, cost) = deps.store.metered();
    let app = pt4c_app::App { store, ..deps.app.clone() };
    let holds_ended = pt4c_app::waiting::end_holds(&app, at).await?;
    let soon_reminded = pt4c_app::texting::remind_soon(&deps.app, &deps.texter, &deps.config.sms_kinds, at).await?;
    tracing::info!(
        workshops = soon_reminded.workshops,
        sent = soon_reminded.sent,
        already_sent = soon_reminded.already_sent,
        opted_out = soon_reminded.opted_out,
        "2-hour reminders texted"
    );
    let summary = Summary { swept_at: Some(at), holds_ended, finished: true, ..Summary::default() };
    Ok(Report {
        summary,
        items_read: cost.items_read(),
        read_capacity_units: cost.capacity_units(),
        arrangements: Default::default(),
        forecast: Default::default(),
        forecast_items_read: 0,
        soon_reminded,
    })
}
