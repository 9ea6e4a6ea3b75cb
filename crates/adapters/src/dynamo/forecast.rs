//! The capacity forecast's reads and its one stored item.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | the latest forecast (counts only) | `FORECAST` | `LATEST` |
//!
//! Its parents are the due-index's `PARENT` partition, read whole a page at a time (every parent
//! on the course sits there, whenever they are next due): the reads grow with the parents on the
//! course and are counted when the store is metered.

use pt4c_domain::forecast::{Candidate, Forecast};
use pt4c_domain::ports::{DuePage, ForecastStore, PortError};
use serde::{Deserialize, Serialize};

use super::items::{from_item, to_item, ParentItem};
use super::keys::PARENT_DUE_PK;
use super::DynamoStore;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForecastItem {
    pk: String,
    sk: String,
    item_type: String,
    forecast: Forecast,
}

impl ForecastStore for DynamoStore {
    async fn forecast_candidates(&self, page: Option<String>) -> Result<DuePage<Candidate>, PortError> {
        let p = self.due_page(PARENT_DUE_PK, "duePk = :pk", None, true, page).await?;
        let mut out = Vec::with_capacity(p.items.len());
        for item in p.items {
            let parent: ParentItem = from_item(item)?;
            out.push(Candidate {
                has_seat: parent.booking.is_some() || parent.offer.is_some(),
                parent_id: parent.parent_id,
                status: parent.status,
                complete_by: parent.complete_by,
                workshop_mode: parent.details.workshop_mode,
                interpreter_language: parent.details.interpreter_language,
            });
        }
        Ok(DuePage { items: out, next: p.next })
    }

    async fn save_forecast(&self, forecast: &Forecast) -> Result<(), PortError> {
        let item = to_item(&ForecastItem {
            pk: "FORECAST".into(),
            sk: "LATEST".into(),
            item_type: "forecast".into(),
            forecast: forecast.clone(),
        })?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(|e| super::sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn forecast(&self) -> Result<Option<Forecast>, PortError> {
        match self.get("FORECAST".into(), "LATEST").await? {
            Some(item) => Ok(Some(from_item::<ForecastItem>(item)?.forecast)),
            None => Ok(None),
        }
    }
}
