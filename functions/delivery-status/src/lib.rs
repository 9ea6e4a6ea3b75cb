//! What became of each email: SES publishes its configuration set's events (delivered, bounced,
//! complained, rejected, delayed) to EventBridge's default bus; each is kept on its notice, and a
//! permanent bounce or a complaint at a parent's address marks the parent unreachable
//! (`pt4c_app::delivery`). The events name addresses: none is ever logged.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use jiff::Timestamp;
use pt4c_adapters::consumer::{self, ConsumerError, DeadLetterQueue, Delivered};
use pt4c_adapters::Deps;
use pt4c_app::delivery::{self, ReportOutcome};
use pt4c_domain::delivery::{DeliveryReport, DeliveryStatus};
use serde::Deserialize;
use serde_json::Value;

/// What one delivery did, returned to the caller (and logged): no addresses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// `recorded`, `already-known`, `ignored` (an email with no notice, or an event of no interest).
    pub outcome: &'static str,
    pub unreachable: bool,
}

pub async fn handle(deps: &Deps, dead_letters: &DeadLetterQueue, event: EventBridgeEvent) -> Result<Delivered<Summary>, ConsumerError> {
    consumer::deliver(dead_letters, &event, || handle_once(deps, &event)).await
}

async fn handle_once(deps: &Deps, event: &EventBridgeEvent) -> Result<Summary, ConsumerError> {
    let Some(report) = read_report(event.detail.clone(), deps.config.ses_configuration_set.as_deref())? else {
        return Ok(Summary { outcome: "ignored", unreachable: false });
    };
    let summary = match delivery::record_report(&deps.app, &report).await? {
        ReportOutcome::Recorded { unreachable } => Summary { outcome: "recorded", unreachable },
        ReportOutcome::AlreadyKnown { unreachable } => Summary { outcome: "already-known", unreachable },
        ReportOutcome::Ignored => Summary { outcome: "ignored", unreachable: false },
    };
    tracing::info!(
        status = report.status.as_str(),
        outcome = summary.outcome,
        unreachable = summary.unreachable,
        "delivery report handled"
    );
    Ok(summary)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    event_type: String,
    mail: Mail,
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    complaint: Option<Complaint>,
    #[serde(default)]
    delivery: Option<Stamped>,
    #[serde(default)]
    delivery_delay: Option<Stamped>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    timestamp: Timestamp,
    #[serde(default)]
    tags: std::collections::HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

#[derive(Deserialize)]
struct Stamped {
    timestamp: Option<Timestamp>,
}

/// SES's event as a report; `None` for events of no interest (sends, opens, clicks, ...) and for
/// another configuration set's. An unreadable event is refused for good (it names no value).
pub fn read_report(detail: Value, configuration_set: Option<&str>) -> Result<Option<DeliveryReport>, ConsumerError> {
    let detail: Detail = serde_json::from_value(detail).map_err(|e| {
        // serde's messages can quote values; only where it failed is kept.
        let at = format!("line {} column {}", e.line(), e.column());
        ConsumerError::permanent(format!("unreadable SES event ({at})"))
    })?;
    if let Some(ours) = configuration_set {
        let set = detail.mail.tags.get("ses:configuration-set");
        if set.is_some_and(|names| !names.iter().any(|n| n == ours)) {
            return Ok(None);
        }
    }
    let addresses = |rs: &[Recipient]| rs.iter().map(|r| r.email_address.trim().to_lowercase()).collect::<Vec<_>>();
    let (status, at, unreachable) = match detail.event_type.as_str() {
        "Delivery" => (DeliveryStatus::Delivered, detail.delivery.and_then(|d| d.timestamp), vec![]),
        "DeliveryDelay" => (DeliveryStatus::Delayed, detail.delivery_delay.and_then(|d| d.timestamp), vec![]),
        "Reject" => (DeliveryStatus::Rejected, None, vec![]),
        "Bounce" => {
            let b = detail.bounce.ok_or_else(|| ConsumerError::permanent("SES bounce event without its bounce"))?;
            // Only a permanent bounce says the address is no good; a transient one may pass.
            let gone = if b.bounce_type == "Permanent" { addresses(&b.bounced_recipients) } else { vec![] };
            (DeliveryStatus::Bounced, b.timestamp, gone)
        }
        "Complaint" => {
            let c = detail.complaint.ok_or_else(|| ConsumerError::permanent("SES complaint event without its complaint"))?;
            (DeliveryStatus::Complained, c.timestamp, addresses(&c.complained_recipients))
        }
        _ => return Ok(None),
    };
    Ok(Some(DeliveryReport { message_id: detail.mail.message_id, status, at: at.unwrap_or(detail.mail.timestamp), unreachable }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mail() -> Value {
        json!({"timestamp": "2026-11-20T10:00:00.000Z", "source": "no-reply@pt4c.example", "messageId": "0100-abc",
               "destination": ["alex@example.com"], "tags": {"ses:configuration-set": ["pt4c-delivery"]}})
    }

    #[test]
    fn a_permanent_bounce_names_the_addresses_given_up_on() {
        let detail = json!({"eventType": "Bounce", "mail": mail(), "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "Alex@Example.com", "action": "failed"}], "timestamp": "2026-11-20T10:00:02.000Z"}});
        let r = read_report(detail, Some("pt4c-delivery")).unwrap().unwrap();
        assert_eq!(r.status, DeliveryStatus::Bounced);
        assert_eq!(r.message_id, "0100-abc");
        assert_eq!(r.unreachable, vec!["alex@example.com".to_string()]);
        assert_eq!(r.at, "2026-11-20T10:00:02Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn a_transient_bounce_gives_up_on_no_address() {
        let detail = json!({"eventType": "Bounce", "mail": mail(), "bounce": {"bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "alex@example.com"}]}});
        let r = read_report(detail, None).unwrap().unwrap();
        assert_eq!(r.status, DeliveryStatus::Bounced);
        assert!(r.unreachable.is_empty());
        assert_eq!(r.at, "2026-11-20T10:00:00Z".parse::<Timestamp>().unwrap(), "the send's time when the bounce has none");
    }

    #[test]
    fn deliveries_delays_complaints_and_rejections_are_read() {
        let read = |v: Value| read_report(v, Some("pt4c-delivery")).unwrap().unwrap();
        assert_eq!(
            read(json!({"eventType": "Delivery", "mail": mail(), "delivery": {"timestamp": "2026-11-20T10:00:01Z"}})).status,
            DeliveryStatus::Delivered
        );
        assert_eq!(
            read(json!({"eventType": "DeliveryDelay", "mail": mail(), "deliveryDelay": {"timestamp": "2026-11-20T10:05:00Z"}})).status,
            DeliveryStatus::Delayed
        );
        assert_eq!(
            read(json!({"eventType": "Reject", "mail": mail(), "reject": {"reason": "Bad content"}})).status,
            DeliveryStatus::Rejected
        );
        let c = read(
            json!({"eventType": "Complaint", "mail": mail(), "complaint": {"complainedRecipients": [{"emailAddress": "alex@example.com"}]}}),
        );
        assert_eq!((c.status, c.unreachable), (DeliveryStatus::Complained, vec!["alex@example.com".to_string()]));
    }

    #[test]
    fn opens_clicks_and_other_configuration_sets_are_of_no_interest() {
        assert_eq!(read_report(json!({"eventType": "Open", "mail": mail(), "open": {}}), None).unwrap(), None);
        assert_eq!(read_report(json!({"eventType": "Delivery", "mail": mail(), "delivery": {}}), Some("another-set")).unwrap(), None);
    }

    #[test]
    fn an_unreadable_event_is_refused_for_good_without_quoting_it() {
        let Err(ConsumerError::Permanent { reason }) =
            read_report(json!({"eventType": "Bounce", "mail": {"messageId": ["alex@example.com"]}}), None)
        else {
            panic!("refused for good")
        };
        assert!(!reason.contains("alex"), "{reason}");
    }
}
