//! The boundary of an event consumer (welcome-email, notifications): what a failed delivery
//! means, decided in one place ([`deliver`]).
//!
//! - Transient (a store or SES refusing for a moment): tried again in place, then returned as the
//!   invocation's error, so EventBridge and Lambda deliver the event again, then park it.
//! - Permanent (an event that cannot be read or names nothing we hold, a template that does not
//!   render): a fault of the event itself, which every retry would meet alike, so the event goes
//!   at once to the function's dead-letter queue, the reason in its `reason` attribute, and the
//!   delivery succeeds. Reasons name ids and causes only, never personal data.
//! - An AWS service refusing a call for good (access denied, a message rejected) says nothing
//!   about the event: it is the platform's, retried like a transient failure (the fix, such as a
//!   corrected policy, is deployed while the retries run) and parked by Lambda once they run out.

use std::future::Future;

use aws_sdk_sqs::types::MessageAttributeValue;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::PortError;
use serde::Serialize;

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// Worth another delivery.
    #[error("will retry: {0}")]
    Transient(String),
    /// The same every time: dead-lettered at once.
    #[error("event refused: {reason}")]
    Permanent { reason: String },
}

impl ConsumerError {
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent { reason: reason.into() }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// A template that does not render will not render on a retry either.
    pub fn template(name: &'static str) -> impl FnOnce(askama::Error) -> Self {
        move |e| Self::permanent(format!("{name} template: {e}"))
    }
}

/// A port's failure is never the event's fault (see the module's doc): retried.
impl From<PortError> for ConsumerError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Retryable(m) | PortError::Permanent(m) => Self::Transient(m),
        }
    }
}

/// Reads an event's detail as the domain event its type names. The reason names the detail type
/// and the path of the field that does not fit, never the value (it may be personal data).
pub fn read_event(detail_type: &str, detail: serde_json::Value) -> Result<DomainEvent, ConsumerError> {
    let envelope = serde_json::json!({"detailType": detail_type, "detail": detail});
    serde_path_to_error::deserialize(envelope).map_err(|e| {
        let path = e.path().to_string();
        let kind = if e.inner().to_string().starts_with("missing field") { "a field is missing under" } else { "does not fit at" };
        ConsumerError::permanent(format!("unreadable {detail_type} event: {kind} {path}"))
    })
}

/// What a delivery came to; as Lambda answers it, a summary or `{"deadLettered": reason}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Delivered<T> {
    Handled(T),
    DeadLettered {
        #[serde(rename = "deadLettered")]
        reason: String,
    },
}

/// A consumer's own dead-letter queue (the one its rule and its async invocations park events in).
#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// SQS allows 256 KiB per attribute; a reason is a line.
const REASON_CHARS: usize = 1000;

impl DeadLetterQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    /// The queue named by `DEAD_LETTER_QUEUE_URL`, through the function's own SDK config (its
    /// HTTPS client is shared, not built a second time at start-up).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let url = std::env::var("DEAD_LETTER_QUEUE_URL").map_err(|_| ConfigError::Missing("DEAD_LETTER_QUEUE_URL"))?;
        Ok(Self::new(aws_sdk_sqs::Client::new(sdk), url))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends the event (as it was delivered) with the reason it can never be handled.
    pub async fn park(&self, body: String, reason: &str) -> Result<(), PortError> {
        let reason: String = reason.chars().take(REASON_CHARS).collect();
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason)
            .build()
            .map_err(|e| PortError::Permanent(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_attributes("reason", attribute)
            .send()
            .await
            .map_err(|e| PortError::Retryable(format!("SendMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(e))))?;
        Ok(())
    }
}

/// Runs one delivery of `event`: transient failures are tried again in place (`retry::in_place`)
/// and then returned; a permanent one parks the event in `dead_letters` and the delivery succeeds.
/// If even the queue refuses, the failure is returned as transient: the retry parks it.
pub async fn deliver<T, E, F, Fut>(dead_letters: &DeadLetterQueue, event: &E, attempt: F) -> Result<Delivered<T>, ConsumerError>
where
    E: Serialize,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ConsumerError>>,
{
    match crate::retry::in_place(ConsumerError::is_transient, attempt).await {
        Ok(done) => Ok(Delivered::Handled(done)),
        Err(ConsumerError::Permanent { reason }) => {
            let body = serde_json::to_string(event).map_err(|e| ConsumerError::Transient(format!("event not serialised: {e}")))?;
            dead_letters.park(body, &reason).await.map_err(|e| ConsumerError::Transient(format!("dead-letter queue: {e}")))?;
            tracing::error!(reason = %reason, "event refused for good; sent to the dead-letter queue");
            Ok(Delivered::DeadLettered { reason })
        }
        Err(transient) => Err(transient),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_failure_is_never_the_events_fault_so_it_is_retried() {
        assert!(ConsumerError::from(PortError::Retryable("GetItem: ThrottlingException".into())).is_transient());
        assert!(ConsumerError::from(PortError::Permanent("GetItem: AccessDeniedException".into())).is_transient());
    }

    #[test]
    fn an_unreadable_event_is_permanent_and_its_reason_names_no_value() {
        let Err(ConsumerError::Permanent { reason }) =
            read_event("ReferralReceived", serde_json::json!({"referralId": "alex@example.com"}))
                .and_then(|_| read_event("ReferralReceived", serde_json::json!({"referralId": ["alex@example.com"]})))
        else {
            panic!("an unreadable event is permanent")
        };
        assert!(reason.starts_with("unreadable ReferralReceived event"), "{reason}");
        assert!(!reason.contains("alex"), "{reason}");
    }
}
