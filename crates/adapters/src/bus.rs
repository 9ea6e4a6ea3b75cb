//! EventBridge publisher for the domain's events.

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use pt4c_domain::events::{OutboxEvent, SOURCE};
use pt4c_domain::ports::{EventPublisher, PortError};

#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self { client, bus_name: bus_name.into() }
    }
}

impl EventPublisher for EventBridgeBus {
    async fn publish(&self, events: &[OutboxEvent]) -> Result<(), PortError> {
        // PutEvents takes at most 10 entries a call.
        for chunk in events.chunks(10) {
            let entries = chunk
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(SOURCE)
                        .detail_type(e.event.detail_type())
                        .detail(e.event.detail_json())
                        .time(DateTime::from_secs(e.created_at.as_second()))
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| PortError::Retryable(format!("PutEvents: {}", aws_sdk_eventbridge::error::DisplayErrorContext(e))))?;
            if out.failed_entry_count > 0 {
                let codes: Vec<&str> = out.entries().iter().filter_map(|e| e.error_code()).collect();
                return Err(PortError::Retryable(format!(
                    "PutEvents: {} of {} entries failed ({})",
                    out.failed_entry_count,
                    chunk.len(),
                    codes.join(", ")
                )));
            }
        }
        Ok(())
    }
}
