//! The management information's summaries (`crate::reporting`): counted from events, read by month.

use std::future::Future;

use jiff::Timestamp;

use crate::reporting::{Add, Month, MonthFigures, SeatCount, Tally, WaitingGauge};
use crate::WorkshopId;

use super::PortError;

pub trait ReportingStore: Send + Sync {
    /// Counts `tally` once under `key`: a marker for the key (kept until `keep_until`), every
    /// month's additions and the waiting list's change, in one transaction conditioned on the
    /// marker being new. False (nothing changed) if the key was counted before.
    fn count_once(&self, key: &str, tally: &Tally, keep_until: Timestamp) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Notes on `month` the waiting list's length read now, as of `at`, unless a later one is noted.
    fn note_waiting_length(&self, month: Month, at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;

    /// What a workshop adds to the seat fill now, with its version.
    fn seat_count(&self, workshop: &WorkshopId) -> impl Future<Output = Result<Option<(SeatCount, u64)>, PortError>> + Send;

    /// Replaces a workshop's seat count and applies `adds`, in one transaction conditioned on the
    /// version read (`None`: none stored). False (nothing changed) if another change came first.
    fn reconcile_seats(
        &self,
        workshop: &WorkshopId,
        version: Option<u64>,
        after: &SeatCount,
        adds: &[Add],
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The summaries stored for `from` to `to` (months with none are absent), in order: one read.
    fn months(&self, from: Month, to: Month) -> impl Future<Output = Result<Vec<MonthFigures>, PortError>> + Send;

    fn waiting_gauge(&self) -> impl Future<Output = Result<WaitingGauge, PortError>> + Send;
}
