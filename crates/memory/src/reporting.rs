//! The management information's summaries, with the DynamoDB adapter's rules: an event's marker
//! and its additions together or not at all; a workshop's seat count replaced only at the version read.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use pt4c_domain::ports::{PortError, ReportingStore};
use pt4c_domain::reporting::{Add, Month, MonthFigures, SeatCount, Tally, WaitingGauge};
use pt4c_domain::WorkshopId;

use crate::{MemoryStore, Op};

/// The summary items, as the table holds them.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Events counted (their markers; expiry is not modelled).
    pub counted: BTreeSet<String>,
    pub months: BTreeMap<Month, MonthFigures>,
    pub gauge: WaitingGauge,
    pub seats: BTreeMap<WorkshopId, (SeatCount, u64)>,
}

impl Ledger {
    fn apply(&mut self, adds: &[Add]) {
        for a in adds {
            self.months.entry(a.month).or_insert_with(|| MonthFigures::new(a.month)).apply(a);
        }
    }
}

impl MemoryStore {
    /// The summary of a month as stored (for tests).
    pub fn month_figures(&self, month: Month) -> Option<MonthFigures> {
        self.lock().reporting.months.get(&month).cloned()
    }
}

impl ReportingStore for MemoryStore {
    async fn count_once(&self, key: &str, tally: &Tally, _keep_until: Timestamp) -> Result<bool, PortError> {
        self.run(Op::Reporting, |s| {
            let r = &mut s.reporting;
            if !r.counted.insert(key.to_owned()) {
                return Ok(false);
            }
            r.apply(&tally.adds);
            if tally.waiting != 0 {
                r.gauge.length += tally.waiting;
                r.gauge.changed = tally.waiting_month.or(r.gauge.changed);
            }
            Ok(true)
        })
    }

    async fn note_waiting_length(&self, month: Month, at: Timestamp) -> Result<(), PortError> {
        self.run(Op::Reporting, |s| {
            let r = &mut s.reporting;
            let length = r.gauge.length;
            r.months.entry(month).or_insert_with(|| MonthFigures::new(month)).note_waiting_length(length, at);
            Ok(())
        })
    }

    async fn seat_count(&self, workshop: &WorkshopId) -> Result<Option<(SeatCount, u64)>, PortError> {
        self.run(Op::Reporting, |s| Ok(s.reporting.seats.get(workshop).copied()))
    }

    async fn reconcile_seats(
        &self,
        workshop: &WorkshopId,
        version: Option<u64>,
        after: &SeatCount,
        adds: &[Add],
    ) -> Result<bool, PortError> {
        self.run(Op::Reporting, |s| {
            let r = &mut s.reporting;
            if r.seats.get(workshop).map(|(_, v)| *v) != version {
                return Ok(false);
            }
            r.seats.insert(workshop.clone(), (*after, version.map_or(1, |v| v + 1)));
            r.apply(adds);
            Ok(true)
        })
    }

    async fn months(&self, from: Month, to: Month) -> Result<Vec<MonthFigures>, PortError> {
        self.run(Op::Reporting, |s| Ok(s.reporting.months.range(from..=to).map(|(_, f)| f.clone()).collect()))
    }

    async fn waiting_gauge(&self) -> Result<WaitingGauge, PortError> {
        self.run(Op::Reporting, |s| Ok(s.reporting.gauge))
    }
}
