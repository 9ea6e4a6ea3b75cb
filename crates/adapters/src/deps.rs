//! What every handler needs, built once per cold start.

use std::sync::Arc;

use jiff::Timestamp;
use pt4c_domain::events::{DomainEvent, OutboxEvent};
use pt4c_domain::link::LinkSigner;
use pt4c_domain::link::Purpose;
use pt4c_domain::ports::{EventPublisher, PortError};
use pt4c_domain::ParentId;
use pt4c_domain::{Clock, SystemClock};

use crate::bus::EventBridgeBus;
use crate::config::{link_signer_from_env, Config, ConfigError};
use crate::dynamo::DynamoStore;
use crate::mailer::SesMailer;

#[derive(Clone)]
pub struct Deps {
    pub config: Arc<Config>,
    pub store: DynamoStore,
    pub bus: EventBridgeBus,
    pub mailer: SesMailer,
    /// Only the functions that sign or read parents' links load the key.
    pub links: Option<LinkSigner>,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// Builds the AWS clients from an SDK config (the region's in Lambda; moto's locally).
    pub fn new(sdk: &aws_config::SdkConfig, config: Config, links: Option<LinkSigner>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name).with_claim_lease(config.claim_lease),
            bus: EventBridgeBus::new(aws_sdk_eventbridge::Client::new(sdk), &config.event_bus_name),
            mailer: SesMailer::new(aws_sdk_ses::Client::new(sdk), &config.sender_email),
            links,
            clock,
            config: Arc::new(config),
        }
    }

    /// As in Lambda: configuration from the environment, the region's clients, the real clock.
    /// `with_links`: load the link signing key (only the functions allowed to read it).
    pub async fn from_env(with_links: bool) -> Result<Self, ConfigError> {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = Config::from_env()?;
        let links = if with_links { Some(link_signer_from_env(&sdk).await?) } else { None };
        Ok(Self::new(&sdk, config, links, Arc::new(SystemClock)))
    }

    pub fn links(&self) -> Result<&LinkSigner, PortError> {
        self.links.as_ref().ok_or_else(|| PortError::Permanent("this function has no link signing key".into()))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Publishes an event whose outbox item is already committed; a failure leaves it to the relay.
    pub async fn publish_committed(&self, event: &OutboxEvent) {
        self.publish_committed_all(std::slice::from_ref(event)).await;
    }

    /// Publishes events whose outbox items are committed, ten to a PutEvents call; a failure leaves them to the relay.
    pub async fn publish_committed_all(&self, events: &[OutboxEvent]) -> usize {
        let mut published = 0;
        for chunk in events.chunks(10) {
            match self.bus.publish(chunk).await {
                Ok(()) => {
                    published += chunk.len();
                    if let Err(e) = self.store.delivered_all(chunk.iter().map(|e| e.event_id.as_str())).await {
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

    /// Closes a referral whose parents have all closed; tells Cafcass when every parent completed.
    /// Closes the referral if every parent has closed; true if this call closed it.
    pub async fn close_referral(&self, id: &pt4c_domain::ReferralId) -> Result<bool, PortError> {
        use pt4c_domain::events::ReferralCompleted;
        use pt4c_domain::ports::CourseStore;
        let now = self.now();
        let closed = self
            .store
            .close_referral_if_done(id, now, now + self.config.timings.retention, |parent_ids| {
                self.event(DomainEvent::ReferralCompleted(ReferralCompleted { referral_id: id.clone(), parent_ids, completed_at: now }))
            })
            .await?;
        if let Some((status, event)) = closed {
            tracing::info!(referral_id = %id, status = ?status, "referral closed");
            if let Some(e) = event {
                self.publish_committed(&e).await;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Releases every booking still held on a cancelled workshop, each with the event that emails
    /// its parent once; the workshop's mark goes when none is left. Read after the cancellation:
    /// no booking commits on a cancelled workshop (a condition of the booking's transaction), so
    /// this roster is every booking there will ever be on it. Returns how many are left.
    pub async fn release_cancelled_workshop(&self, workshop_id: &str) -> Result<usize, PortError> {
        use pt4c_domain::ports::WorkshopStore;
        let mut left = 0;
        for (parent_id, _) in self.store.roster(workshop_id).await? {
            if let Err(e) = self.release_one(workshop_id, &parent_id).await {
                tracing::warn!(workshop_id, parent_id = %parent_id, error = %e, "booking on a cancelled workshop not yet released");
                left += 1;
            }
        }
        if left == 0 {
            self.store.cancellation_released(workshop_id).await?;
        }
        Ok(left)
    }

    async fn release_one(&self, workshop_id: &str, parent_id: &ParentId) -> Result<(), PortError> {
        use pt4c_domain::events::WorkshopCancelled;
        use pt4c_domain::ports::{ParentStore, WorkshopStore};
        use pt4c_domain::progress::ParentStatus;
        let held_here = |p: &pt4c_domain::ports::ParentRecord| {
            p.status == ParentStatus::WorkshopBooked && p.booking.as_ref().is_some_and(|b| b.workshop_id == workshop_id)
        };
        // A parent already recorded at the workshop keeps the record.
        let Some(parent) = self.store.parent(parent_id).await?.filter(held_here) else { return Ok(()) };
        let now = self.now();
        let event = self.event(DomainEvent::WorkshopCancelled(WorkshopCancelled {
            workshop_id: workshop_id.to_owned(),
            parent_ids: vec![parent_id.clone()],
            cancelled_at: now,
        }));
        let due = parent.released().due_after_change(now, &self.config.timings);
        if self.store.release(&parent, workshop_id, None, Some(&event), true, due).await? {
            tracing::info!(workshop_id, parent_id = %parent_id, "booking released: workshop cancelled");
            self.publish_committed(&event).await;
            return Ok(());
        }
        // Changed since the read (cancelled by the parent, released by a concurrent call): look again.
        match self.store.parent(parent_id).await?.filter(held_here) {
            Some(_) => Err(PortError::Retryable("booking changed during the release".into())),
            None => Ok(()),
        }
    }

    /// An event to write with the change it reports.
    pub fn event(&self, event: DomainEvent) -> OutboxEvent {
        OutboxEvent { event_id: uuid::Uuid::new_v4().to_string(), created_at: self.now(), event }
    }

    /// A cancel link that acts only on this booking (`workshopId@bookedAt`).
    pub fn cancel_link(
        &self,
        parent: &ParentId,
        workshop_id: &str,
        booked_at: Timestamp,
        complete_by: jiff::civil::Date,
    ) -> Result<String, PortError> {
        let token = self.links()?.sign_bound(parent, Purpose::Cancel, self.link_expiry(complete_by), &booking_key(workshop_id, booked_at));
        Ok(format!("{}/book/{token}/cancel", self.config.public_base_url))
    }

    /// Valid for the configured time, or until the end of the course's date if later.
    fn link_expiry(&self, complete_by: jiff::civil::Date) -> Timestamp {
        let validity = self.now() + self.config.timings.link_validity;
        match pt4c_domain::sweep::deadline(complete_by) {
            Some(end_of_course) => std::cmp::max(validity, end_of_course),
            None => validity,
        }
    }

    /// A link valid for the configured time, or until the end of the course's date if later.
    pub fn later_link(
        &self,
        parent: &ParentId,
        purpose: Purpose,
        complete_by: jiff::civil::Date,
    ) -> Result<(String, Timestamp), PortError> {
        let expires = self.link_expiry(complete_by);
        let token = self.links()?.sign(parent, purpose, expires);
        let path = match purpose {
            Purpose::Hub => "hub",
            Purpose::Booking => "book",
            Purpose::Cancel => "book",
        };
        let url = match purpose {
            Purpose::Cancel => format!("{}/{path}/{token}/cancel", self.config.public_base_url),
            _ => self.link_url(path, &token),
        };
        Ok((url, expires))
    }

    pub fn link_url(&self, path: &str, token: &str) -> String {
        format!("{}/{path}/{token}", self.config.public_base_url)
    }
}

/// What names one booking of a parent: the workshop and the second it was made.
pub fn booking_key(workshop_id: &str, booked_at: Timestamp) -> String {
    format!("{workshop_id}@{}", booked_at.as_second())
}
