//! Creates the template's resources in the moto stand-in, under a name prefix of the stack's own.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::template::Template;

pub struct Created {
    pub table: String,
    pub bus: String,
    pub sender: String,
    /// The SES configuration set every email goes through (its events: `ses_events`).
    pub configuration_set: String,
    /// Per rule (function, event id): the queue its events arrive in.
    pub rule_queues: Vec<RuleQueue>,
    /// Dead-letter queue logical id → queue URL.
    pub dead_letter_queues: HashMap<String, String>,
    pub audit_queue: String,
    /// The staff user pool and the console's app client (template: StaffUserPool, StaffUserPoolClient).
    pub user_pool_id: String,
    pub user_pool_client_id: String,
}

pub struct RuleQueue {
    pub function: String,
    pub queue_url: String,
    pub dead_letter_queue: Option<String>,
    pub max_retries: u32,
}

async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> anyhow::Result<(String, String)> {
    let url = sqs
        .create_queue()
        .queue_name(name)
        // A failed delivery comes back after a second, as Lambda's async retries do (sooner).
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .with_context(|| format!("create queue {name}"))?
        .queue_url
        .context("queue has no url")?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .context("queue has no arn")?;
    Ok((url, arn))
}

pub async fn create(sdk: &aws_config::SdkConfig, template: &Template, prefix: &str) -> anyhow::Result<Created> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let ses = aws_sdk_ses::Client::new(sdk);

    let table = format!("{prefix}-table");
    pt4c_emulator::table::create(&dynamo, &table, &template.table, false).await?;

    let bus = format!("{prefix}-bus");
    if let Err(e) = events.create_event_bus().name(&bus).send().await {
        if !e.as_service_error().map(|s| s.is_resource_already_exists_exception()).unwrap_or(false) {
            return Err(anyhow::anyhow!(aws_sdk_eventbridge::error::DisplayErrorContext(e))).context("create bus");
        }
    }

    let mut dead_letter_queues = HashMap::new();
    let mut rule_queues = Vec::new();
    for rule in &template.rules {
        let name = format!("{prefix}-{}-{}", rule.function, rule.event_id);
        let (url, arn) = queue(&sqs, &name).await?;
        events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(rule.pattern.to_string())
            .send()
            .await
            .with_context(|| format!("put rule {name}"))?;
        events
            .put_targets()
            .rule(&name)
            .event_bus_name(&bus)
            .targets(aws_sdk_eventbridge::types::Target::builder().id("function").arn(arn).build()?)
            .send()
            .await
            .with_context(|| format!("put targets {name}"))?;
        if let Some(dlq) = &rule.dead_letter_queue {
            if !dead_letter_queues.contains_key(dlq) {
                let (dlq_url, _) = queue(&sqs, &format!("{prefix}-{dlq}")).await?;
                dead_letter_queues.insert(dlq.clone(), dlq_url);
            }
        }
        rule_queues.push(RuleQueue {
            function: rule.function.clone(),
            queue_url: url,
            dead_letter_queue: rule.dead_letter_queue.clone(),
            max_retries: rule.max_retries,
        });
    }

    // Local only: every event of ours, to show on the control plane and count in tests.
    let audit = format!("{prefix}-audit");
    let (audit_queue, audit_arn) = queue(&sqs, &audit).await?;
    events.put_rule().name(&audit).event_bus_name(&bus).event_pattern(serde_json::json!({"source": ["pt4c"]}).to_string()).send().await?;
    events
        .put_targets()
        .rule(&audit)
        .event_bus_name(&bus)
        .targets(aws_sdk_eventbridge::types::Target::builder().id("audit").arn(audit_arn).build()?)
        .send()
        .await?;

    let sender = format!("no-reply@{prefix}.pt4c.local");
    ses.verify_email_identity().email_address(&sender).send().await.context("verify the SES sender")?;
    let configuration_set = format!("{prefix}-delivery");
    if let Err(e) = ses
        .create_configuration_set()
        .configuration_set(aws_sdk_ses::types::ConfigurationSet::builder().name(&configuration_set).build()?)
        .send()
        .await
    {
        if !e.as_service_error().map(|s| s.is_configuration_set_already_exists_exception()).unwrap_or(false) {
            return Err(anyhow::anyhow!(aws_sdk_ses::error::DisplayErrorContext(e))).context("create the SES configuration set");
        }
    }

    let pool = crate::staff::create_pool(sdk, &template.staff_pool, prefix).await.context("create the staff user pool")?;

    Ok(Created {
        table,
        bus,
        sender,
        configuration_set,
        rule_queues,
        dead_letter_queues,
        audit_queue,
        user_pool_id: pool.user_pool_id,
        user_pool_client_id: pool.client_id,
    })
}
