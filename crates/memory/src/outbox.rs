//! The outbox: events written with their changes, pending until delivered.

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{Outbox, PortError};

use crate::state::due_key;
use crate::{MemoryStore, Op};

impl Outbox for MemoryStore {
    async fn pending(&self, before: Timestamp, limit: i32) -> Result<Vec<OutboxEvent>, PortError> {
        self.run(Op::Pending, |s| {
            // DynamoDB refuses a Limit below 1.
            let limit = usize::try_from(limit)
                .ok()
                .filter(|l| *l >= 1)
                .ok_or_else(|| PortError::Permanent("Query: limit must be at least 1".into()))?;
            let mut events: Vec<&OutboxEvent> = s.outbox.values().filter(|e| due_key(e.created_at) <= due_key(before)).collect();
            // The due-index orders by the second created, then by the item's key.
            events.sort_by(|a, b| (due_key(a.created_at), &a.event_id).cmp(&(due_key(b.created_at), &b.event_id)));
            Ok(events.into_iter().take(limit).cloned().collect())
        })
    }

    async fn delivered(&self, event_id: &pt4c_domain::EventId) -> Result<(), PortError> {
        self.run(Op::Delivered, |s| {
            s.outbox.remove(event_id);
            Ok(())
        })
    }
}
