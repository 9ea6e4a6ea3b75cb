//! The management information's summary items (no personal data: counts, months and ids only).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a month's summary (counters `referralsReceived`…, histograms `daysToActivation_<days>`…, `waitingLength`) | `REPORT#MONTHS` | `MONTH#YYYY-MM` |
//! | an event counted (marker, `expiresAt` after `MARKER_DAYS`) | `REPORTED#{sha256 of the event}` | `REPORTED` |
//! | the waiting list's length now (`length`, `changedMonth`) | `REPORT#WAITING` | `WAITING` |
//! | what a workshop adds to the seat fill (`month`, `capacity`, `seats`, `version`) | `REPORT#SEATS#{workshopId}` | `SEATS` |
//!
//! A histogram is a number attribute per day (`daysToActivation_3`) rather than a map: an `ADD`
//! into a map that does not exist yet is refused, and this way every addition is one `ADD`.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use jiff::Timestamp;
use pt4c_domain::ports::{PortError, ReportingStore};
use pt4c_domain::reporting::{Add, Counter, Figure, Histogram, Month, MonthFigures, SeatCount, Stage, Tally, WaitingGauge};
use pt4c_domain::WorkshopId;

use super::keys::{month_sk, seats_pk};
use super::{s, sdk_error, DynamoStore, Item};

const MONTHS_PK: &str = "REPORT#MONTHS";
const WAITING_PK: &str = "REPORT#WAITING";
const WAITING_SK: &str = "WAITING";

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn num(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}
fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}
fn unreadable(what: &str) -> PortError {
    PortError::Permanent(format!("unreadable {what} item"))
}

fn attr(figure: Figure) -> String {
    match figure {
        Figure::Count(c) => c.attr().to_owned(),
        Figure::Days(stage, day) => stage.day_attr(day),
    }
}

fn figures_of(item: &Item) -> Result<MonthFigures, PortError> {
    let month: Month =
        text(item, "sk").and_then(|sk| sk.strip_prefix("MONTH#")).and_then(|m| m.parse().ok()).ok_or_else(|| unreadable("month"))?;
    let mut f = MonthFigures::new(month);
    for c in Counter::ALL {
        if let Some(v) = num(item, c.attr()) {
            f.counts.insert(c, v);
        }
    }
    for stage in Stage::ALL {
        let prefix = format!("{}_", stage.attr());
        let days: BTreeMap<u32, u64> = item
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.parse().ok()?, v.as_n().ok()?.parse::<i64>().ok()?.max(0) as u64)))
            .collect();
        if !days.is_empty() {
            f.days.insert(stage, Histogram(days));
        }
    }
    if let (Some(length), Some(at)) = (num(item, "waitingLength"), text(item, "waitingLengthAt").and_then(|t| t.parse().ok())) {
        f.waiting_length = Some((length, at));
    }
    Ok(f)
}

impl DynamoStore {
    /// `ADD` each of a month's additions to its summary (created by the first).
    fn month_adds(&self, month: Month, adds: &[&Add]) -> Result<TransactWriteItem, PortError> {
        let mut b = Update::builder().table_name(&self.table).key("pk", s(MONTHS_PK)).key("sk", s(month_sk(month)));
        let mut actions = Vec::new();
        for (i, a) in adds.iter().enumerate() {
            actions.push(format!("#a{i} :v{i}"));
            b = b.expression_attribute_names(format!("#a{i}"), attr(a.figure)).expression_attribute_values(format!(":v{i}"), n(a.by));
        }
        b.update_expression(format!("ADD {}", actions.join(", ")))
            .build()
            .map(|u| TransactWriteItem::builder().update(u).build())
            .map_err(|e| PortError::Permanent(e.to_string()))
    }

    fn all_month_adds(&self, adds: &[Add]) -> Result<Vec<TransactWriteItem>, PortError> {
        let mut months: Vec<Month> = adds.iter().map(|a| a.month).collect();
        months.sort();
        months.dedup();
        months.into_iter().map(|m| self.month_adds(m, &adds.iter().filter(|a| a.month == m).collect::<Vec<_>>())).collect()
    }
}

impl ReportingStore for DynamoStore {
    async fn count_once(&self, key: &str, tally: &Tally, keep_until: Timestamp) -> Result<bool, PortError> {
        let marker: Item = [
            ("pk".to_owned(), s(format!("REPORTED#{key}"))),
            ("sk".to_owned(), s("REPORTED")),
            ("itemType".to_owned(), s("reported")),
            ("expiresAt".to_owned(), n(keep_until.as_second())),
        ]
        .into();
        let mut items = vec![self.put(marker, Some("attribute_not_exists(pk)"))?];
        items.extend(self.all_month_adds(&tally.adds)?);
        if tally.waiting != 0 {
            let mut b = Update::builder()
                .table_name(&self.table)
                .key("pk", s(WAITING_PK))
                .key("sk", s(WAITING_SK))
                .update_expression("ADD #length :by SET changedMonth = :month")
                .expression_attribute_names("#length", "length")
                .expression_attribute_values(":by", n(tally.waiting));
            b = b.expression_attribute_values(":month", s(tally.waiting_month.map(|m| m.to_string()).unwrap_or_default()));
            items.push(TransactWriteItem::builder().update(b.build().map_err(|e| PortError::Permanent(e.to_string()))?).build());
        }
        self.transact_decided(items).await
    }

    async fn note_waiting_length(&self, month: Month, at: Timestamp) -> Result<(), PortError> {
        let length = self.waiting_gauge().await?.length;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(MONTHS_PK))
            .key("sk", s(month_sk(month)))
            .update_expression("SET waitingLength = :length, waitingLengthAt = :at")
            .condition_expression("attribute_not_exists(waitingLengthAt) OR waitingLengthAt <= :at")
            .expression_attribute_values(":length", n(length))
            .expression_attribute_values(":at", s(super::due_key(at)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later length is noted already.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn seat_count(&self, workshop: &WorkshopId) -> Result<Option<(SeatCount, u64)>, PortError> {
        let Some(item) = self.get(seats_pk(workshop), "SEATS").await? else { return Ok(None) };
        let read = || -> Option<(SeatCount, u64)> {
            let count = SeatCount {
                month: text(&item, "month")?.parse().ok()?,
                capacity: u32::try_from(num(&item, "capacity")?).ok()?,
                seats: u32::try_from(num(&item, "seats")?).ok()?,
            };
            Some((count, u64::try_from(num(&item, "version")?).ok()?))
        };
        read().map(Some).ok_or_else(|| unreadable("seat count"))
    }

    async fn reconcile_seats(
        &self,
        workshop: &WorkshopId,
        version: Option<u64>,
        after: &SeatCount,
        adds: &[Add],
    ) -> Result<bool, PortError> {
        let item: Item = [
            ("pk".to_owned(), s(seats_pk(workshop))),
            ("sk".to_owned(), s("SEATS")),
            ("itemType".to_owned(), s("seat-count")),
            ("month".to_owned(), s(after.month.to_string())),
            ("capacity".to_owned(), n(after.capacity)),
            ("seats".to_owned(), n(after.seats)),
            ("version".to_owned(), n(version.map_or(1, |v| v + 1))),
        ]
        .into();
        let mut put = self.put(item, Some(if version.is_some() { "version = :version" } else { "attribute_not_exists(pk)" }))?;
        if let (Some(v), Some(p)) = (version, put.put.as_mut()) {
            p.expression_attribute_values = Some([(":version".to_owned(), n(v))].into());
        }
        let mut items = vec![put];
        items.extend(self.all_month_adds(adds)?);
        self.transact_decided(items).await
    }

    async fn months(&self, from: Month, to: Month) -> Result<Vec<MonthFigures>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(MONTHS_PK))
            .expression_attribute_values(":from", s(month_sk(from)))
            .expression_attribute_values(":to", s(month_sk(to)))
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        // A summary is a few kilobytes: a year's months fit one page of 1 MB many times over.
        out.items.unwrap_or_default().iter().map(figures_of).collect()
    }

    async fn waiting_gauge(&self) -> Result<WaitingGauge, PortError> {
        let Some(item) = self.get(WAITING_PK.to_owned(), WAITING_SK).await? else { return Ok(WaitingGauge::default()) };
        Ok(WaitingGauge { length: num(&item, "length").unwrap_or(0), changed: text(&item, "changedMonth").and_then(|m| m.parse().ok()) })
    }
}
