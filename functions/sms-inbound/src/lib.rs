//! Texts parents send back: AWS End User Messaging two-way SMS publishes each inbound text to an
//! SNS topic, which invokes this function. A stop word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
//! QUIT) from a UK mobile records the number as opted out (`pt4c_app::texting::inbound`): no text
//! is claimed for it again. The number and the text never reach a log.

use pt4c_adapters::Deps;
use pt4c_app::texting::Inbound;
use pt4c_domain::ports::PortError;
use serde::{Deserialize, Serialize};

/// The SNS event (`Records[].Sns.Message`), read as far as needed.
#[derive(Debug, Deserialize)]
pub struct SnsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SnsRecord {
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    #[serde(rename = "Message")]
    pub message: String,
}

/// An inbound text as End User Messaging publishes it (other fields ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundText {
    pub origination_number: String,
    pub message_body: String,
}

/// What a delivery did (counts only).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub opted_out: usize,
    pub ignored: usize,
    /// Messages that were not an inbound text (dropped: a retry would not read them either).
    pub unreadable: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InboundError(#[from] PortError);

/// Each record's text; a store failure fails the delivery (SNS retries it; recording a STOP again changes nothing).
pub async fn handle(deps: &Deps, event: SnsEvent) -> Result<Summary, InboundError> {
    let mut summary = Summary::default();
    for record in event.records {
        match serde_json::from_str::<InboundText>(&record.sns.message) {
            Ok(text) => match receive(deps, &text).await? {
                Inbound::OptedOut => summary.opted_out += 1,
                Inbound::Ignored => summary.ignored += 1,
            },
            Err(_) => summary.unreadable += 1,
        }
    }
    tracing::info!(opted_out = summary.opted_out, ignored = summary.ignored, unreadable = summary.unreadable, "inbound texts handled");
    Ok(summary)
}

/// One inbound text.
pub async fn receive(deps: &Deps, text: &InboundText) -> Result<Inbound, PortError> {
    pt4c_app::texting::inbound(&deps.store, &text.origination_number, &text.message_body, deps.now()).await
}

/// The SNS event End User Messaging's topic delivers for one inbound text (the local stack's
/// `POST /sms/inbound` builds it, so the handler runs as in AWS).
pub fn sns_event(from: &str, to: &str, body: &str) -> serde_json::Value {
    let message = serde_json::json!({
        "originationNumber": from,
        "destinationNumber": to,
        "messageKeyword": "KEYWORD",
        "messageBody": body,
    });
    serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": message.to_string()}}]})
}
