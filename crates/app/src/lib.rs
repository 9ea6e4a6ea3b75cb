//! The application layer: one module per capability, one function per use case. Each takes the
//! ports it needs (through [`App`]) and returns a domain outcome: a typed answer or a typed
//! refusal, never HTTP. The front ends (JSON API, parents' pages, staff console, event consumers,
//! sweep) each map these outcomes to their answers in one place.

use std::sync::Arc;

use jiff::Timestamp;
use pt4c_domain::elearning::Catalogue;
use pt4c_domain::events::{DomainEvent, OutboxEvent};
use pt4c_domain::link::LinkSigner;
use pt4c_domain::ports::{EventPublisher, Outbox, PortError};
use pt4c_domain::timings::Timings;
use pt4c_domain::{Clock, EventId};

pub mod arrangements;
pub mod attendance;
pub mod booking;
pub mod concerns;
pub mod delivery;
pub mod elearning;
pub mod follow_ups;
pub mod forecast;
pub mod held_seat;
pub mod hub;
pub mod links;
pub mod new_link;
pub mod notices;
pub mod referrals;
pub mod reporting;
pub mod staff;
pub mod sweep;
pub mod texting;
pub mod waiting;
pub mod workshops;

/// What the use cases need to know about the deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timings: Timings,
    pub catalogue: Catalogue,
    /// Links in emails and pages are absolute, built on this.
    pub public_base_url: String,
    /// Where parents do the e-learning.
    pub elearning_url: String,
    /// Fresh links a parent may ask for in a day.
    pub new_links_per_day: u32,
}

/// The ports and settings the use cases run over: the AWS adapters in Lambda and the local stack,
/// the in-memory ones (`pt4c-memory`) in the use cases' own tests.
#[derive(Clone)]
pub struct App<S, B> {
    pub store: S,
    pub bus: B,
    /// Only the functions that sign or read parents' links load the key.
    pub links: Option<LinkSigner>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
}

impl<S, B> App<S, B> {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn timings(&self) -> &Timings {
        &self.settings.timings
    }

    pub fn links(&self) -> Result<&LinkSigner, PortError> {
        self.links.as_ref().ok_or_else(|| PortError::Permanent("this function has no link signing key".into()))
    }

    /// An event to write with the change it reports.
    pub fn event(&self, event: DomainEvent) -> OutboxEvent {
        OutboxEvent { event_id: EventId::from_stored(uuid::Uuid::new_v4().to_string()), created_at: self.now(), event }
    }
}

impl<S: Outbox, B: EventPublisher> App<S, B> {
    /// Publishes an event whose outbox item is already committed; a failure leaves it to the relay.
    pub async fn publish_committed(&self, event: &OutboxEvent) {
        self.publish_committed_all(std::slice::from_ref(event)).await;
    }

    /// Publishes events whose outbox items are committed, ten to a call; a failure leaves them to
    /// the relay. Returns how many were published.
    pub async fn publish_committed_all(&self, events: &[OutboxEvent]) -> usize {
        let mut published = 0;
        for chunk in events.chunks(10) {
            match self.bus.publish(chunk).await {
                Ok(()) => {
                    published += chunk.len();
                    let ids: Vec<&EventId> = chunk.iter().map(|e| &e.event_id).collect();
                    if let Err(e) = self.store.delivered_all(&ids).await {
                        tracing::warn!(error = %e, "published events left in the outbox");
                    }
                }
                Err(e) => {
                    tracing::warn!(events = chunk.len(), error = %e, "publish failed; the relay will publish the events from the outbox")
                }
            }
        }
        published
    }
}
