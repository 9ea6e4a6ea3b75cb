//! SES's mailbox simulator, locally: an email this stack sends to `bounce@`, `complaint@`,
//! `success@`, `ooto@` or `suppressionlist@simulator.amazonses.com` produces the events SES
//! publishes through the configuration set to EventBridge (source `aws.ses`), put on the stack's
//! bus, where the template's rule for them takes them as in AWS. Other addresses produce none,
//! as nothing is known of them locally.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::Shared;

pub const SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    message_id: String,
    #[serde(default)]
    destinations: Vec<String>,
    sent_at: String,
}

/// The events SES would publish for one email (detail-type, detail), in the order it would.
pub fn simulate(message_id: &str, source: &str, destinations: &[String], sent_at: &str, configuration_set: &str) -> Vec<(String, Value)> {
    let mail = json!({
        "timestamp": sent_at,
        "source": source,
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": destinations,
        "tags": {"ses:configuration-set": [configuration_set]},
    });
    // As SES's simulator does, `bounce+label@…` is `bounce@…` (so one test can use several).
    let at_simulator = |local: &str| -> Vec<&String> {
        destinations
            .iter()
            .filter(|d| {
                let d = d.to_lowercase();
                let Some((user, domain)) = d.split_once('@') else { return false };
                domain == SIMULATOR_DOMAIN && user.split('+').next() == Some(local)
            })
            .collect()
    };
    let recipients = |rs: &[&String]| rs.iter().map(|r| json!({"emailAddress": r})).collect::<Vec<_>>();
    let mut events = Vec::new();
    let delivered: Vec<&String> = ["success", "ooto", "complaint"].iter().flat_map(|l| at_simulator(l)).collect();
    if !delivered.is_empty() {
        events.push((
            "Email Delivered".to_owned(),
            json!({"eventType": "Delivery", "mail": mail, "delivery": {"timestamp": sent_at, "processingTimeMillis": 120,
                   "recipients": delivered, "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-1.smtp-out.amazonses.com"}}),
        ));
    }
    let bounced = at_simulator("bounce");
    if !bounced.is_empty() {
        events.push((
            "Email Bounced".to_owned(),
            json!({"eventType": "Bounce", "mail": mail, "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                   "bouncedRecipients": bounced.iter().map(|r| json!({"emailAddress": r, "action": "failed", "status": "5.1.1",
                       "diagnosticCode": "smtp; 550 5.1.1 user unknown"})).collect::<Vec<_>>(),
                   "timestamp": sent_at, "feedbackId": format!("{message_id}-bounce"), "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com"}}),
        ));
    }
    let suppressed = at_simulator("suppressionlist");
    if !suppressed.is_empty() {
        events.push((
            "Email Bounced".to_owned(),
            json!({"eventType": "Bounce", "mail": mail, "bounce": {"bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList",
                   "bouncedRecipients": recipients(&suppressed), "timestamp": sent_at, "feedbackId": format!("{message_id}-suppressed")}}),
        ));
    }
    let complained = at_simulator("complaint");
    if !complained.is_empty() {
        events.push((
            "Email Complaint Received".to_owned(),
            json!({"eventType": "Complaint", "mail": mail, "complaint": {"complainedRecipients": recipients(&complained),
                   "timestamp": sent_at, "feedbackId": format!("{message_id}-complaint"), "complaintFeedbackType": "abuse"}}),
        ));
    }
    events
}

/// Emits the simulator's events for each email to it that this stack sent, once each; woken by
/// the stack's bell when an email goes out.
pub fn spawn(shared: Arc<Shared>, idle: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let seen = tokio::sync::Mutex::new(HashSet::new());
        crate::wake::poll_forever(&shared.bell, idle, || async {
            if let Err(e) = emit_new(&shared, &mut *seen.lock().await).await {
                tracing::warn!(error = %e, "the SES simulator's events could not be emitted");
            }
            // Its own PutEvents rings the bell: no need to report work found.
            0
        })
        .await
    })
}

async fn emit_new(shared: &Shared, seen: &mut HashSet<String>) -> anyhow::Result<()> {
    let sender = &shared.created.sender;
    let accepted: Vec<Accepted> = shared
        .http
        .get(format!("{}/_pt4c/ses/messages", shared.moto_endpoint))
        .query(&[("source", sender.as_str()), ("recipientDomain", SIMULATOR_DOMAIN)])
        .send()
        .await
        .context("the AWS stand-in did not answer")?
        .error_for_status()?
        .json()
        .await?;
    let events = aws_sdk_eventbridge::Client::new(&shared.sdk);
    for m in accepted {
        if seen.contains(&m.message_id) {
            continue;
        }
        for (detail_type, detail) in simulate(&m.message_id, sender, &m.destinations, &m.sent_at, &shared.created.configuration_set) {
            let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(&shared.created.bus)
                .source("aws.ses")
                .detail_type(detail_type)
                .detail(detail.to_string())
                .build();
            let out = events.put_events().entries(entry).send().await.context("put the simulator's event")?;
            if out.failed_entry_count > 0 {
                anyhow::bail!("the bus refused the simulator's event");
            }
        }
        seen.insert(m.message_id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(to: &str) -> Vec<(String, Value)> {
        simulate("m-1", "no-reply@x.pt4c.local", &[to.to_owned()], "2026-11-20T10:00:00.000Z", "x-delivery")
    }

    #[test]
    fn the_simulators_addresses_give_the_events_ses_gives() {
        let types = |to: &str| sim(to).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(types("success@simulator.amazonses.com"), ["Email Delivered"]);
        assert_eq!(types("bounce@simulator.amazonses.com"), ["Email Bounced"]);
        assert_eq!(types("complaint@simulator.amazonses.com"), ["Email Delivered", "Email Complaint Received"]);
        assert_eq!(types("suppressionlist@simulator.amazonses.com"), ["Email Bounced"]);
        assert!(types("alex@example.com").is_empty());
        assert_eq!(types("bounce+parent-a@simulator.amazonses.com"), ["Email Bounced"], "a label is allowed");
        assert!(types("bouncer@simulator.amazonses.com").is_empty());
    }

    #[test]
    fn a_bounce_is_permanent_and_names_the_configuration_set() {
        let (_, detail) = sim("bounce@simulator.amazonses.com").remove(0);
        assert_eq!(detail["bounce"]["bounceType"], "Permanent");
        assert_eq!(detail["bounce"]["bouncedRecipients"][0]["emailAddress"], "bounce@simulator.amazonses.com");
        assert_eq!(detail["mail"]["tags"]["ses:configuration-set"][0], "x-delivery");
        assert_eq!(detail["mail"]["messageId"], "m-1");
    }
}
