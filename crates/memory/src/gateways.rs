//! The mailer and the bus, recording what they were given.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use pt4c_domain::events::{DomainEvent, OutboxEvent};
use pt4c_domain::notice::Email;
use pt4c_domain::ports::{EventPublisher, Mailer, PortError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Default)]
struct MailerState {
    sent: Vec<(String, Email)>,
    faults: VecDeque<PortError>,
}

/// Records every email sent and returns a message id (`memory-1`, `memory-2`, …). Clones share the record.
#[derive(Clone, Debug, Default)]
pub struct MemoryMailer {
    state: Arc<Mutex<MailerState>>,
}

impl MemoryMailer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The emails sent, with their message ids, in order.
    pub fn sent(&self) -> Vec<(String, Email)> {
        lock(&self.state).sent.clone()
    }

    /// The emails sent, in order.
    pub fn sent_emails(&self) -> Vec<Email> {
        lock(&self.state).sent.iter().map(|(_, e)| e.clone()).collect()
    }

    /// The emails sent to `address`.
    pub fn sent_to(&self, address: &str) -> Vec<Email> {
        lock(&self.state).sent.iter().filter(|(_, e)| e.to.iter().any(|t| t == address)).map(|(_, e)| e.clone()).collect()
    }

    /// The next send fails with `error` (queued: each call takes one); nothing is recorded.
    pub fn fail_next(&self, error: PortError) {
        lock(&self.state).faults.push_back(error);
    }
}

impl Mailer for MemoryMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let mut s = lock(&self.state);
        if let Some(e) = s.faults.pop_front() {
            return Err(e);
        }
        let id = format!("memory-{}", s.sent.len() + 1);
        s.sent.push((id.clone(), email.clone()));
        Ok(id)
    }
}

#[derive(Debug, Default)]
struct BusState {
    published: Vec<OutboxEvent>,
    faults: VecDeque<PortError>,
}

/// Records every event published. Clones share the record.
#[derive(Clone, Debug, Default)]
pub struct MemoryBus {
    state: Arc<Mutex<BusState>>,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// The events published, in order (an event published twice appears twice).
    pub fn published(&self) -> Vec<OutboxEvent> {
        lock(&self.state).published.clone()
    }

    /// The domain events published, in order.
    pub fn published_events(&self) -> Vec<DomainEvent> {
        lock(&self.state).published.iter().map(|e| e.event.clone()).collect()
    }

    /// The next publish fails with `error` (queued: each call takes one); nothing is published.
    pub fn fail_next(&self, error: PortError) {
        lock(&self.state).faults.push_back(error);
    }
}

impl EventPublisher for MemoryBus {
    async fn publish(&self, events: &[OutboxEvent]) -> Result<(), PortError> {
        let mut s = lock(&self.state);
        // A failure here publishes none (EventBridge, 10 to a call, may have published some: the
        // relay publishes again, and consumers take events at least once).
        if let Some(e) = s.faults.pop_front() {
            return Err(e);
        }
        s.published.extend_from_slice(events);
        Ok(())
    }
}
