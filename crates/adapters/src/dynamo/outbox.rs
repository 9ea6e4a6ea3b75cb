//! The outbox: events written with the change they record, read and deleted by the relay.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{Outbox, PortError};

use super::items::{from_item, OutboxItem};
use super::keys::{due_key, outbox_pk, DUE_INDEX, OUTBOX_DUE_PK};
use super::{s, sdk_error, DynamoStore};

impl DynamoStore {
    /// Deletes items by key, 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed a few
    /// times with backoff; returns how many were still left.
    pub(super) async fn delete_batch(&self, keys: impl Iterator<Item = (String, String)>) -> Result<usize, PortError> {
        let mut requests = Vec::new();
        for (pk, sk) in keys {
            let delete =
                DeleteRequest::builder().key("pk", s(pk)).key("sk", s(sk)).build().map_err(|e| PortError::Permanent(e.to_string()))?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        let mut left = 0;
        for chunk in requests.chunks(25) {
            let mut pending = HashMap::from([(self.table.clone(), chunk.to_vec())]);
            for attempt in 0..4 {
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                pending = out.unprocessed_items.unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
            }
            left += pending.values().map(Vec::len).sum::<usize>();
        }
        Ok(left)
    }
}

impl Outbox for DynamoStore {
    async fn pending(&self, before: Timestamp, limit: i32) -> Result<Vec<OutboxEvent>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("duePk = :pk AND dueAt <= :before")
            .expression_attribute_values(":pk", s(OUTBOX_DUE_PK))
            .expression_attribute_values(":before", s(due_key(before)))
            .limit(limit)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let mut events = Vec::new();
        for item in out.items.unwrap_or_default() {
            let o: OutboxItem = from_item(item)?;
            match serde_json::from_str::<OutboxEvent>(&o.event) {
                Ok(e) => events.push(e),
                Err(e) => tracing::error!(item = %o.pk, error = %e, "outbox item is unreadable; left for inspection"),
            }
        }
        Ok(events)
    }

    /// Deletes published events' outbox items, 25 to a BatchWriteItem call.
    async fn delivered_all(&self, event_ids: &[&pt4c_domain::EventId]) -> Result<(), PortError> {
        // Any left unprocessed the relay finds and republishes (harmless).
        self.delete_batch(event_ids.iter().map(|id| (outbox_pk(id), "OUTBOX".to_owned()))).await.map(|_left| ())
    }

    async fn delivered(&self, event_id: &pt4c_domain::EventId) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(outbox_pk(event_id)))
            .key("sk", s("OUTBOX"))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}
