//! Delivers events to functions as Lambda does, and runs the scheduled ones.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use futures::future::join_all;
use http_body_util::BodyExt;
use pt4c_adapters::consumer::DeadLetterQueue;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::resources::RuleQueue;
use crate::{SeenEvent, Shared};

/// A function's failure, as Lambda reports it to the invoker.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("no function {0} in the template")]
    UnknownFunction(String),
    #[error("the payload does not fit {0}: {1}")]
    BadPayload(String, String),
    #[error("{0}")]
    Failed(String),
}

/// Runs a function's handler with a payload, as the Lambda Invoke API does.
pub async fn invoke(shared: &Shared, function: &str, payload: serde_json::Value) -> Result<serde_json::Value, InvokeError> {
    let deps = &shared.deps;
    match function {
        "WelcomeEmailFunction" => {
            let event: EventBridgeEvent =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary = welcome_email::handle(deps, &dead_letters(shared, function)?, event)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "EventRelayFunction" => {
            let summary = event_relay::relay(deps).await.map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "NotificationsFunction" => {
            let event: EventBridgeEvent =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary = notifications::handle(deps, &dead_letters(shared, function)?, event)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "ReportingFunction" => {
            let event: EventBridgeEvent =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary =
                reporting::handle(deps, &dead_letters(shared, function)?, event).await.map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "DeliveryStatusFunction" => {
            let event: EventBridgeEvent =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary = delivery_status::handle(deps, &dead_letters(shared, function)?, event)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "DeadlineSweepFunction" => {
            let run: deadline_sweep::ScheduledRun =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let at = run.time().map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary =
                if run.holds_only() { deadline_sweep::end_holds(deps, at).await } else { deadline_sweep::sweep(deps, at, None).await };
            let summary = summary.map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "SmsInboundFunction" => {
            let event: sms_inbound::SnsEvent =
                serde_json::from_value(payload).map_err(|e| InvokeError::BadPayload(function.into(), e.to_string()))?;
            let summary = sms_inbound::handle(deps, event).await.map_err(|e| InvokeError::Failed(e.to_string()))?;
            Ok(serde_json::to_value(summary).unwrap_or_default())
        }
        "ReferralIntakeFunction" | "BookingFunction" | "CourseAdminFunction" | "StaffConsoleFunction" => {
            invoke_http(shared.api.clone(), payload).await
        }
        other => Err(InvokeError::UnknownFunction(other.to_owned())),
    }
}

/// A consumer's own dead-letter queue, where it parks an event it can never handle: in AWS its
/// `DEAD_LETTER_QUEUE_URL`, the queue of its `DeadLetterQueue` property; here that queue in moto.
fn dead_letters(shared: &Shared, function: &str) -> Result<DeadLetterQueue, InvokeError> {
    let url = shared
        .created
        .rule_queues
        .iter()
        .find(|r| r.function == function)
        .and_then(|r| r.dead_letter_queue.as_ref())
        .and_then(|id| shared.created.dead_letter_queues.get(id))
        .ok_or_else(|| InvokeError::Failed(format!("{function} has no dead-letter queue in the template")))?;
    Ok(DeadLetterQueue::new(shared.sqs.clone(), url))
}

/// One poller per rule's queue and one for the audit queue: each delivers what its queue holds,
/// then waits for the stack's bell (or `idle`).
pub fn spawn_pollers(shared: Arc<Shared>, idle: Duration) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for (i, _) in shared.created.rule_queues.iter().enumerate() {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            crate::wake::poll_forever(&shared.bell, idle, || async {
                let rule = &shared.created.rule_queues[i];
                deliver_batch(&shared, rule).await.unwrap_or_else(|e| {
                    tracing::warn!(function = %rule.function, error = %e, "event delivery poll failed");
                    0
                })
            })
            .await
        }));
    }
    tasks.push(tokio::spawn(async move {
        crate::wake::poll_forever(&shared.bell, idle, || async {
            audit(&shared).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "audit poll failed");
                0
            })
        })
        .await
    }));
    tasks
}

/// The outbox relay on its schedule.
pub fn spawn(shared: Arc<Shared>, relay_every: Duration) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    if shared.template.schedules.iter().any(|s| s.function == "EventRelayFunction") {
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(relay_every).await;
                if let Err(e) = event_relay::relay(&shared.deps).await {
                    tracing::warn!(error = %e, "outbox relay failed");
                }
            }
        }));
    }
    tasks
}

/// The daily sweep as EventBridge Scheduler runs it, on the stack's clock (which tests and the control
/// plane may move): when the clock passes the next scheduled moment, the sweep runs as of that moment,
/// with the scheduled time as the event's `time`. A clock moved forward by days runs it once, as of the
/// latest moment passed: the sweep owes everything that fell due since. A failed run is retried.
pub fn spawn_daily_sweep(shared: Arc<Shared>) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(spec) = shared.template.schedules.iter().find(|s| s.function == "DeadlineSweepFunction") else { return Ok(None) };
    let schedule = DailySchedule::parse(&spec.expression, spec.timezone.as_deref().unwrap_or("UTC"))?;
    Ok(Some(tokio::spawn(async move {
        // As Scheduler: nothing runs for moments before the schedule existed.
        let mut done = schedule.latest_at_or_before(shared.deps.now());
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let due = schedule.latest_at_or_before(shared.deps.now());
            if due <= done {
                continue;
            }
            let event =
                serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.scheduler", "time": due.to_string(), "detail": {}});
            match invoke(&shared, "DeadlineSweepFunction", event).await {
                Ok(summary) => {
                    tracing::info!(time = %due, %summary, "scheduled sweep ran");
                    done = due;
                }
                Err(e) => tracing::warn!(time = %due, error = %e, "scheduled sweep failed; retrying"),
            }
        }
    })))
}

/// A schedule of the form `cron(M H * * ? *)`: once a day at H:M in its time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct DailySchedule {
    hour: i8,
    minute: i8,
    zone: jiff::tz::TimeZone,
}

impl DailySchedule {
    pub fn parse(expression: &str, timezone: &str) -> anyhow::Result<Self> {
        let fields: Vec<&str> =
            expression.strip_prefix("cron(").and_then(|e| e.strip_suffix(')')).map(|e| e.split_whitespace().collect()).unwrap_or_default();
        let [minute, hour, "*", "*", "?", "*"] = fields[..] else {
            anyhow::bail!("the local stack runs only daily schedules, cron(M H * * ? *), not {expression:?}");
        };
        Ok(Self { minute: minute.parse()?, hour: hour.parse()?, zone: jiff::tz::TimeZone::get(timezone)? })
    }

    /// The last scheduled moment at or before `now`.
    pub fn latest_at_or_before(&self, now: jiff::Timestamp) -> jiff::Timestamp {
        let today = now.to_zoned(self.zone.clone()).date();
        let at = |d: jiff::civil::Date| d.at(self.hour, self.minute, 0, 0).to_zoned(self.zone.clone()).map(|z| z.timestamp());
        match at(today) {
            Ok(t) if t <= now => t,
            _ => today.yesterday().ok().and_then(|d| at(d).ok()).unwrap_or(now),
        }
    }
}

/// Delivers what the rule's queue holds (10 at most); how many messages it held.
async fn deliver_batch(shared: &Shared, rule: &RuleQueue) -> anyhow::Result<usize> {
    let sqs = &shared.sqs;
    let out = sqs
        .receive_message()
        .queue_url(&rule.queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await?;
    let messages = out.messages.unwrap_or_default();
    let held = messages.len();
    let deliveries = messages.into_iter().map(|m| {
        let sqs = sqs.clone();
        async move {
            let body = m.body.clone().unwrap_or_default();
            let receipt = m.receipt_handle.clone().unwrap_or_default();
            let attempts: u32 = m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            let payload: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
            match invoke(shared, &rule.function, payload).await {
                Ok(_) => {
                    sqs.delete_message().queue_url(&rule.queue_url).receipt_handle(&receipt).send().await.ok();
                }
                Err(e) if attempts > rule.max_retries => {
                    tracing::error!(function = %rule.function, attempts, error = %e, "delivery failed for good; event sent to the dead-letter queue");
                    if let Some(url) = rule.dead_letter_queue.as_ref().and_then(|d| shared.created.dead_letter_queues.get(d)) {
                        sqs.send_message().queue_url(url).message_body(&body).send().await.ok();
                    }
                    sqs.delete_message().queue_url(&rule.queue_url).receipt_handle(&receipt).send().await.ok();
                }
                Err(e) => {
                    // Left on the queue, back after 2 s, then 4 s: Lambda's async retries back
                    // off too, and a claim on an email (2 s locally) must lapse before the retry.
                    tracing::warn!(function = %rule.function, attempts, error = %e, "delivery failed; will retry");
                    let wait = 1i32 << attempts.min(4);
                    sqs.change_message_visibility().queue_url(&rule.queue_url).receipt_handle(&receipt).visibility_timeout(wait).send().await.ok();
                }
            }
        }
    });
    join_all(deliveries).await;
    Ok(held)
}

async fn audit(shared: &Shared) -> anyhow::Result<usize> {
    let sqs = &shared.sqs;
    let out = sqs.receive_message().queue_url(&shared.created.audit_queue).max_number_of_messages(10).send().await?;
    let messages = out.messages.unwrap_or_default();
    let held = messages.len();
    for m in messages {
        if let Ok(e) = serde_json::from_str::<EventBridgeEvent>(m.body().unwrap_or_default()) {
            shared.events.lock().unwrap_or_else(|e| e.into_inner()).push(SeenEvent {
                detail_type: e.detail_type,
                detail: e.detail,
                time: e.time.map(|t| t.to_rfc3339()),
            });
        }
        sqs.delete_message()
            .queue_url(&shared.created.audit_queue)
            .receipt_handle(m.receipt_handle().unwrap_or_default())
            .send()
            .await
            .ok();
    }
    Ok(held)
}

/// Invokes an HTTP function with an API Gateway HTTP API (v2) payload, answering as Lambda does.
pub async fn invoke_http(api: axum::Router, payload: serde_json::Value) -> Result<serde_json::Value, InvokeError> {
    let bad = |m: &str| InvokeError::BadPayload("an HTTP function".into(), m.to_owned());
    let method = payload["requestContext"]["http"]["method"].as_str().ok_or_else(|| bad("requestContext.http.method is missing"))?;
    let path = payload["rawPath"].as_str().ok_or_else(|| bad("rawPath is missing"))?;
    let query = payload["rawQueryString"].as_str().unwrap_or("");
    let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let body = match payload["body"].as_str() {
        None => Vec::new(),
        Some(b) if payload["isBase64Encoded"].as_bool() == Some(true) => {
            base64::engine::general_purpose::STANDARD.decode(b).map_err(|_| bad("body is not base64"))?
        }
        Some(b) => b.as_bytes().to_vec(),
    };
    let mut request = Request::builder().method(Method::from_bytes(method.as_bytes()).map_err(|_| bad("bad method"))?).uri(uri);
    for (k, v) in payload["headers"].as_object().into_iter().flatten() {
        if let Some(v) = v.as_str() {
            request = request.header(k.as_str(), v);
        }
    }
    let request = request.body(Body::from(body)).map_err(|e| bad(&e.to_string()))?;
    let response = api.oneshot(request).await.map_err(|e| InvokeError::Failed(e.to_string()))?;
    let status = response.status().as_u16();
    let headers: serde_json::Map<String, serde_json::Value> =
        response.headers().iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), serde_json::Value::from(v.to_str().ok()?)))).collect();
    let bytes = response.into_body().collect().await.map_err(|e| InvokeError::Failed(e.to_string()))?.to_bytes();
    Ok(match std::str::from_utf8(&bytes) {
        Ok(text) => serde_json::json!({"statusCode": status, "headers": headers, "body": text, "isBase64Encoded": false}),
        Err(_) => serde_json::json!({"statusCode": status, "headers": headers,
            "body": base64::engine::general_purpose::STANDARD.encode(&bytes), "isBase64Encoded": true}),
    })
}

#[cfg(test)]
mod tests {
    use super::DailySchedule;

    #[test]
    fn a_daily_schedule_falls_at_eight_in_london_in_winter_and_summer() {
        let s = DailySchedule::parse("cron(0 8 * * ? *)", "Europe/London").unwrap();
        let t = |x: &str| x.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(s.latest_at_or_before(t("2026-11-25T08:00:00Z")), t("2026-11-25T08:00:00Z"));
        assert_eq!(s.latest_at_or_before(t("2026-11-25T07:59:59Z")), t("2026-11-24T08:00:00Z"));
        assert_eq!(s.latest_at_or_before(t("2027-07-01T07:30:00Z")), t("2027-07-01T07:00:00Z"), "08:00 BST");
        assert!(DailySchedule::parse("rate(1 minute)", "UTC").is_err());
    }
}
