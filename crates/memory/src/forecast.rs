//! The capacity forecast's reads and its one stored item: the parents in the due-index (every
//! parent on the course, a page at a time) and the latest forecast.

use pt4c_domain::forecast::{Candidate, Forecast};
use pt4c_domain::ports::{DuePage, ForecastStore, PortError};

use crate::state::page_of;
use crate::{MemoryStore, Op};

impl ForecastStore for MemoryStore {
    async fn forecast_candidates(&self, page: Option<String>) -> Result<DuePage<Candidate>, PortError> {
        self.run(Op::Forecast, |s| {
            let entries = s
                .parents
                .values()
                .filter_map(|p| p.due_at.map(|at| (at, p.parent_id.clone())))
                .filter_map(|(at, id)| s.parent_record(&id).map(|r| (at, r)))
                .map(|(at, r)| {
                    let c = Candidate {
                        parent_id: r.parent_id.clone(),
                        status: r.status,
                        complete_by: r.complete_by,
                        workshop_mode: r.workshop_mode,
                        interpreter_language: r.interpreter_language.clone(),
                        has_seat: r.booking.is_some() || r.offer.is_some(),
                    };
                    (at, r.parent_id.to_string(), c)
                })
                .collect();
            page_of(entries, page, self.page_size)
        })
    }

    async fn save_forecast(&self, forecast: &Forecast) -> Result<(), PortError> {
        self.run(Op::Forecast, |s| {
            s.coordination.forecast = Some(forecast.clone());
            Ok(())
        })
    }

    async fn forecast(&self) -> Result<Option<Forecast>, PortError> {
        self.run(Op::Forecast, |s| Ok(s.coordination.forecast.clone()))
    }
}
