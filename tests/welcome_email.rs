//! The welcome-email function: content, signed links, exactly-once sending, retries, dead letters.

use jiff::SignedDuration;
use pt4c_domain::link::Purpose;
use pt4c_tests::{eventbridge, hub_link, referral, spawn_app};
use serde_json::json;

#[tokio::test]
async fn the_welcome_email_carries_the_name_the_stages_the_date_and_a_link_that_verifies() {
    let app = spawn_app().await;
    let before = app.now() - SignedDuration::from_secs(2);
    app.post_referral(&referral("CAF-CONTENT")).await;

    let mail = app.wait_for_mail(2).await;
    let alex = mail.iter().find(|m| m.to == vec!["alex.hartley@example.com"]).expect("Alex's welcome");

    assert!(alex.subject.contains("Welcome"));
    assert!(!alex.text.is_empty() && !alex.html.is_empty(), "text and HTML alternatives");
    for part in [&alex.text, &alex.html] {
        assert!(part.contains("Dear Alex"));
        assert!(part.contains("E-learning") && part.contains("workshop") && part.contains("parenting plan"));
        assert!(part.contains("Friday 29 January 2027"));
        assert!(!part.contains("Morgan") && !part.contains("Quill"), "never names the other parent");
    }
    let link = hub_link(alex);
    assert!(link.starts_with(&format!("{}/hub/", app.stack.api_url)));
    assert!(alex.html.contains(&link));
    let token = link.rsplit('/').next().unwrap();
    let verified = app.stack.links().verify(token, Purpose::Hub, app.now()).expect("the link verifies");
    assert_eq!(verified.parent.to_string(), "CAF-CONTENT.A");
    let validity = verified.expires_at.duration_since(before);
    assert!(validity >= SignedDuration::from_hours(72) && validity <= SignedDuration::from_hours(72) + SignedDuration::from_secs(30));
    assert!(app.stack.links().verify(token, Purpose::Booking, app.now()).is_err(), "a hub link books nothing");
    assert!(app.stack.links().verify(token, Purpose::Hub, verified.expires_at).is_err(), "expired after 72 hours");
}

#[tokio::test]
async fn an_event_delivered_again_sends_no_second_email() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-TWICE")).await;
    app.wait_for_mail(2).await;
    let event = eventbridge("ReferralReceived", app.events("ReferralReceived")[0].detail.clone());

    let (first, second) = tokio::join!(app.invoke("WelcomeEmailFunction", &event), app.invoke("WelcomeEmailFunction", &event));

    assert_eq!((first.1, second.1), (None, None));
    assert_eq!(first.2["alreadySent"].as_u64().unwrap() + second.2["alreadySent"].as_u64().unwrap(), 4);
    app.quiet().await;
    assert_eq!(app.mail().await.len(), 2);
}

#[tokio::test]
async fn a_failed_send_is_retried_and_sent_once() {
    let app = spawn_app().await;
    app.ses_refuses("alex.hartley@example.com", 1).await;

    app.post_referral(&referral("CAF-RETRY")).await;

    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 1 }).await);
    app.quiet().await;
    assert_eq!(app.mail_to("alex.hartley@example.com").await.len(), 1);
    assert_eq!(app.mail_to("morgan.quill@example.com").await.len(), 1, "the other parent's welcome is not sent again");
}

#[tokio::test]
async fn a_send_that_keeps_failing_ends_in_the_dead_letter_queue() {
    let app = spawn_app().await;
    app.ses_refuses("alex.hartley@example.com", 50).await;

    app.post_referral(&referral("CAF-DLQ")).await;

    assert!(
        app.eventually(|| async { !app.dead_letters("WelcomeEmailDeadLetterQueue").await.is_empty() }).await,
        "the event reaches the dead-letter queue"
    );
    let dead = app.dead_letters("WelcomeEmailDeadLetterQueue").await;
    assert_eq!(dead[0]["detail-type"], "ReferralReceived");
    assert_eq!(dead[0]["detail"]["referralId"], "CAF-DLQ");
    assert!(app.mail_to("alex.hartley@example.com").await.is_empty());
    assert_eq!(app.mail_to("morgan.quill@example.com").await.len(), 1, "the other parent is welcomed once");
    let record = app.get_referral("CAF-DLQ").await.body;
    assert_eq!(record["parents"][0]["notices"], json!([]), "no welcome recorded for a welcome never sent");
}

#[tokio::test]
async fn a_requested_link_is_sent_once_per_request() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-LINK")).await;
    app.wait_for_mail(2).await;
    let request =
        |id: &str| eventbridge("LinkRequested", json!({"parentId": "CAF-LINK.B", "requestId": id, "requestedAt": "2026-11-22T10:00:00Z"}));

    app.invoke("WelcomeEmailFunction", &request("req-1")).await;
    app.invoke("WelcomeEmailFunction", &request("req-1")).await;
    app.invoke("WelcomeEmailFunction", &request("req-2")).await;

    let links: Vec<_> =
        app.mail_to("morgan.quill@example.com").await.into_iter().filter(|m| m.subject.contains("new Parent Hub link")).collect();
    assert_eq!(links.len(), 2);
    let token = hub_link(&links[0]).rsplit('/').next().unwrap().to_owned();
    let verified = app.stack.links().verify(&token, Purpose::Hub, app.now()).unwrap();
    assert!(verified.expires_at > app.now() + SignedDuration::from_hours(29 * 24), "a fresh link lasts 30 days");
    let record = app.get_referral("CAF-LINK").await.body;
    let kinds: Vec<_> = record["parents"][1]["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["channel"] == "email")
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, vec!["welcome", "new-link", "new-link"], "the emails (the welcome went by text too)");
}

#[tokio::test]
async fn an_event_that_cannot_be_read_is_dead_lettered_with_its_reason_not_retried() {
    let app = spawn_app().await;
    let (status, error, body) = app.invoke("WelcomeEmailFunction", &eventbridge("ReferralReceived", json!({"referralId": 7}))).await;
    assert_eq!((status, error), (200, None), "{body}");
    let reason = body["deadLettered"].as_str().unwrap_or_default().to_owned();
    assert!(reason.starts_with("unreadable ReferralReceived event"), "{body}");
    let parked = parked(&app, "WelcomeEmailDeadLetterQueue").await;
    assert_eq!(parked.len(), 1);
    assert_eq!((parked[0].0["detail"]["referralId"].clone(), parked[0].1.as_str()), (json!(7), reason.as_str()));
}

/// The messages in a dead-letter queue, with their `reason` attribute.
async fn parked(app: &pt4c_tests::TestApp, queue: &str) -> Vec<(serde_json::Value, String)> {
    let url = app.stack.shared.created.dead_letter_queues.get(queue).expect("a dead-letter queue of the template");
    let out = aws_sdk_sqs::Client::new(&app.stack.shared.sdk)
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .message_attribute_names("All")
        .send()
        .await
        .expect("receive");
    out.messages
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let reason = m.message_attributes().and_then(|a| a.get("reason")).and_then(|v| v.string_value()).unwrap_or_default();
            (serde_json::from_str(m.body().unwrap_or_default()).unwrap_or_default(), reason.to_owned())
        })
        .collect()
}

/// Delivers an event as the bus does: into the queue of the function's rule, which the stack polls.
async fn deliver_from_the_bus(app: &pt4c_tests::TestApp, function: &str, event: &serde_json::Value) {
    let rule = app.stack.shared.created.rule_queues.iter().find(|r| r.function == function).expect("a rule of the function");
    aws_sdk_sqs::Client::new(&app.stack.shared.sdk)
        .send_message()
        .queue_url(&rule.queue_url)
        .message_body(event.to_string())
        .send()
        .await
        .expect("send");
}

/// DynamoDB Queries this stack made that name `text` (each delivery of a link request reads the
/// referral's partition once per try).
async fn queries_naming(app: &pt4c_tests::TestApp, text: &str) -> u64 {
    let url = format!("{}/_pt4c/requests", app.stack.control_url);
    let query = [("action", "DynamoDB_20120810.Query"), ("match", text)];
    let seen: serde_json::Value = app.http.get(url).query(&query).send().await.expect("stand-in").json().await.expect("json");
    seen["count"].as_u64().unwrap_or_default()
}

#[tokio::test]
async fn an_event_naming_an_unknown_parent_is_dead_lettered_at_once_and_delivered_once() {
    // Given a link request for a parent of a referral we never had, delivered by the bus
    let app = spawn_app().await;
    let unknown = format!("CAF-NOBODY-{}", app.stack.shared.created.table[..8].to_uppercase());
    let request =
        eventbridge("LinkRequested", json!({"parentId": format!("{unknown}.A"), "requestId": "r1", "requestedAt": "2026-11-22T10:00:00Z"}));
    deliver_from_the_bus(&app, "WelcomeEmailFunction", &request).await;

    // Then it is parked with its reason, after one delivery and one read: nothing retried it
    assert!(app.eventually(|| async { !parked(&app, "WelcomeEmailDeadLetterQueue").await.is_empty() }).await, "parked");
    app.quiet().await;
    let parked = parked(&app, "WelcomeEmailDeadLetterQueue").await;
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].0["detail"]["parentId"], format!("{unknown}.A"));
    assert_eq!(parked[0].1, format!("no referral for parent {unknown}.A"));
    assert_eq!(queries_naming(&app, &unknown).await, 1, "one delivery, one try");
}

#[tokio::test]
async fn a_transient_failure_is_retried_until_the_email_is_sent() {
    // Given a referral whose welcomes are sent
    let app = spawn_app().await;
    let id = format!("CAF-THROTTLED-{}", app.stack.shared.created.table[..8].to_uppercase());
    app.post_referral(&referral(&id)).await;
    app.wait_for_mail(2).await;
    app.quiet().await;
    let before = queries_naming(&app, &id).await;

    // When DynamoDB throttles more reads of it than one delivery tries (the SDK's three attempts,
    // each tried three times in place), and a link request for it arrives from the bus
    let table = app.stack.shared.created.table.clone();
    app.fault(
        "DynamoDB_20120810.Query",
        json!([table, id]),
        10,
        400,
        json!({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "injected"}),
        Some("application/x-amz-json-1.0"),
    )
    .await;
    let request =
        eventbridge("LinkRequested", json!({"parentId": format!("{id}.B"), "requestId": "r1", "requestedAt": "2026-11-22T10:00:00Z"}));
    deliver_from_the_bus(&app, "WelcomeEmailFunction", &request).await;

    // Then a later delivery sends the link, once, and nothing is parked
    let new_links = || async {
        app.mail_to("morgan.quill@example.com").await.into_iter().filter(|m| m.subject.contains("new Parent Hub link")).count()
    };
    // The SDK backs off between its own attempts: allow for it beyond `eventually`'s 20 s.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while new_links().await == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.quiet().await;
    assert_eq!(new_links().await, 1);
    assert!(parked(&app, "WelcomeEmailDeadLetterQueue").await.is_empty());
    assert!(queries_naming(&app, &id).await - before > 10, "delivered again after the first delivery's tries");
}

#[tokio::test]
async fn an_email_whose_claim_could_not_be_given_back_is_sent_once_by_a_retry() {
    // Given SES refuses Alex's welcome once, and DynamoDB refuses every attempt to give the claim back
    let app = spawn_app().await;
    app.ses_refuses("alex.hartley@example.com", 1).await;
    let table = app.stack.shared.created.table.clone();
    app.fault(
        "DynamoDB_20120810.DeleteItem",
        json!([table, "NOTICE#A#welcome"]),
        10,
        400,
        json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "injected"}),
        Some("application/x-amz-json-1.0"),
    )
    .await;

    app.post_referral(&referral("CAF-STUCK")).await;

    // Then the claim lapses before the retry comes, which sends the email, once: none is lost
    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 1 }).await, "the welcome was sent");
    app.quiet().await;
    assert_eq!(app.mail_to("alex.hartley@example.com").await.len(), 1);
    assert!(app.dead_letters("WelcomeEmailDeadLetterQueue").await.is_empty());
    let record = app.get_referral("CAF-STUCK").await.body;
    assert_eq!(record["parents"][0]["notices"][0]["kind"], "welcome");
}

#[tokio::test]
async fn the_relay_fails_while_the_bus_refuses_and_publishes_once_it_is_back() {
    // Given the bus refuses the referral's event and the relay's first try
    let app = pt4c_tests::spawn_app_with(|c| {
        c.relay_every = std::time::Duration::from_secs(3600);
        c.outbox_grace = SignedDuration::ZERO;
    })
    .await;
    app.bus_refuses(2).await;
    assert_eq!(app.post_referral(&referral("CAF-RELAY")).await.status, 201);

    // When the relay runs while the bus still refuses, the run fails (its alarm sees it)
    let (_, error, answer) = app.invoke("EventRelayFunction", &json!({})).await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{answer}");
    assert!(answer["errorMessage"].as_str().unwrap().contains("unpublished"), "{answer}");

    // Then the next run, with the bus back, publishes the event that was kept
    let (_, error, summary) = app.invoke("EventRelayFunction", &json!({})).await;
    assert_eq!((error, summary["published"].as_u64()), (None, Some(1)), "{summary}");
    assert!(app.eventually(|| async { app.mail().await.len() == 2 }).await, "both parents welcomed");
}
