//! Management information: each event counted once into its months' summaries, each workshop's
//! seats reconciled with what it holds now, and the report read back by month
//! (`pt4c_domain::reporting`).

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{ParentStore, PortError, ReportingStore, WorkshopStore};
use pt4c_domain::reporting::{self, Context, Month, MonthReport, SeatCount, MARKER_DAYS};
use pt4c_domain::WorkshopId;

use crate::App;

/// How often a workshop's seats are read again when another change reconciled them first.
const SEAT_ATTEMPTS: u32 = 5;

/// What counting one event did (ids and counts only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counting {
    /// Counted now.
    pub counted: bool,
    /// Counted by an earlier delivery of the same event.
    pub already_counted: bool,
    /// Workshops whose seat counts changed.
    pub seats_changed: usize,
}

/// Counts `event` once and reconciles the seats of the workshops it names. An event of a type this
/// report does not count counts nothing (`Counting::default()`).
pub async fn record<S, B>(app: &App<S, B>, event: &DomainEvent) -> Result<Counting, PortError>
where
    S: ReportingStore + ParentStore + WorkshopStore,
{
    let mut out = Counting::default();
    let needs = reporting::needs(event);
    let mut ctx = Context::default();
    if let Some(parent) = &needs.parent {
        ctx.invited_at = app.store.parent(parent).await?.map(|p| p.invited_at);
    }
    if let Some(workshop) = &needs.workshop {
        ctx.workshop_starts_at = app.store.workshop(workshop).await?.map(|w| w.starts_at);
    }
    if let Some(tally) = reporting::tally(event, &ctx).filter(|t| !t.is_empty()) {
        let keep_until = app.now() + SignedDuration::from_hours(24 * MARKER_DAYS);
        if app.store.count_once(&reporting::event_key(event), &tally, keep_until).await? {
            out.counted = true;
        } else {
            out.already_counted = true;
        }
        // Noted again on a redelivery too: an earlier delivery may have stopped before it.
        if let Some(month) = tally.waiting_month {
            app.store.note_waiting_length(month, app.now()).await?;
        }
    }
    for workshop in reporting::seat_workshops(event) {
        if reconcile_seats(app, &workshop).await? {
            out.seats_changed += 1;
        }
    }
    Ok(out)
}

/// Makes the workshop's share of its month's seat fill what the workshop holds now; true if it changed.
pub async fn reconcile_seats<S, B>(app: &App<S, B>, workshop: &WorkshopId) -> Result<bool, PortError>
where
    S: ReportingStore + WorkshopStore,
{
    for _ in 0..SEAT_ATTEMPTS {
        let stored = app.store.seat_count(workshop).await?;
        let Some(now) = app.store.workshop(workshop).await?.map(|w| SeatCount::of(&w)) else {
            // Not held (never, or erased): nothing to count.
            return Ok(false);
        };
        if stored.as_ref().is_some_and(|(before, _)| *before == now) {
            return Ok(false);
        }
        let adds = reporting::seat_adds(stored.as_ref().map(|(b, _)| b), &now);
        if app.store.reconcile_seats(workshop, stored.map(|(_, v)| v), &now, &adds).await? {
            return Ok(true);
        }
    }
    Err(PortError::Retryable(format!("seats of workshop {workshop} kept changing")))
}

/// The report of each month from `from` to `to`: one read of the summaries and one of the waiting
/// list's length.
pub async fn report<S, B>(app: &App<S, B>, from: Month, to: Month) -> Result<Result<Vec<MonthReport>, reporting::MonthError>, PortError>
where
    S: ReportingStore,
{
    let months = match Month::range(from, to) {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let stored = app.store.months(from, to).await?;
    let gauge = app.store.waiting_gauge().await?;
    Ok(Ok(reporting::reports(&months, &stored, gauge)))
}

/// The month in England now.
pub fn this_month(now: Timestamp) -> Month {
    Month::of(now)
}
