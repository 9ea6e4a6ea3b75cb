//! The capacity forecast, run by the daily sweep (`pt4c_domain::forecast` is the rule): it reads
//! the parents on the course (the due-index's `PARENT` partition) and the workshops in its window
//! (the due-index's `WORKSHOP` partition by start), so its reads grow with those, never with
//! everything stored; stores the result as one item for the dashboard; and emails the
//! coordinators once a day (a ledger keyed by the day) while there is a shortfall within
//! `forecast_alert_days`.

use jiff::Timestamp;
use pt4c_domain::forecast::{forecast, window, Forecast};
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::{CoordinatorNoticeLedger, ForecastStore, Mailer, PortError, WorkshopStore};
use serde::Serialize;

use crate::notices::{send_once_to_coordinators, Sending};
use crate::App;

/// What a run of the forecast did (counts only).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastRun {
    /// Parents on the course read, and workshops in the window read: the forecast's reads.
    pub parents_read: usize,
    pub workshops_read: usize,
    /// Workshops it says to add (within the alert window).
    pub workshops_to_add: u32,
    pub emailed: bool,
}

/// Runs the forecast as of `at` (the sweep's moment). `email`: the coordinators' email about it.
pub async fn run<S, B, M>(
    app: &App<S, B>,
    mailer: &M,
    at: Timestamp,
    email: impl Fn(&Forecast) -> Result<Email, String>,
) -> Result<ForecastRun, PortError>
where
    S: ForecastStore + WorkshopStore + CoordinatorNoticeLedger,
    M: Mailer,
{
    let mut candidates = Vec::new();
    let mut page = None;
    loop {
        let p = app.store.forecast_candidates(page).await?;
        candidates.extend(p.items);
        match p.next {
            Some(n) => page = Some(n),
            None => break,
        }
    }
    let (from, to) = window(at, app.timings());
    let workshops = app.store.workshops(from, to).await?;
    let f = forecast(at, &candidates, &workshops, app.timings());
    app.store.save_forecast(&f).await?;
    let mut run = ForecastRun {
        parents_read: candidates.len(),
        workshops_read: workshops.len(),
        workshops_to_add: f.to_add.iter().map(|a| a.workshops).sum(),
        emailed: false,
    };
    if f.alert() {
        let message = email(&f).map_err(|e| PortError::Permanent(format!("capacity-shortfall email: {e}")))?;
        let day = f.today.to_string();
        if let Sending::Sent { message_id } =
            send_once_to_coordinators(&app.store, mailer, None, NoticeKind::CapacityShortfall, &day, at, &message).await?
        {
            tracing::info!(day = %day, message_id = %message_id, "coordinators told of a capacity shortfall");
            run.emailed = true;
        }
    }
    tracing::info!(
        parents_read = run.parents_read,
        workshops_read = run.workshops_read,
        workshops_to_add = run.workshops_to_add,
        "capacity forecast done"
    );
    Ok(run)
}

/// The forecast as last stored, for the dashboard.
pub async fn latest<S: ForecastStore, B>(app: &App<S, B>) -> Result<Option<Forecast>, PortError> {
    app.store.forecast().await
}
