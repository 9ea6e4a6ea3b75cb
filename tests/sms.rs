//! Texts to parents through the local stack: SNS (moto) as the texter, the notice ledger in
//! DynamoDB, STOP through the inbound handler, the 2-hour reminder from the frequent run.
//! The stand-in is shared by every test: each test texts numbers of its own.

use jiff::{SignedDuration, Timestamp};
use pt4c_local::mailbox::Text;
use pt4c_tests::{eventbridge, referral, spawn_app, NewWorkshop, TestApp};
use serde_json::{json, Value};

/// A UK mobile no other test texts (never ending in 99: moto holds those as opted out).
fn fresh_mobile() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 90_000 + 10_000;
    let n = if n % 100 == 99 { n - 1 } else { n };
    format!("+4477009{n:05}")
}

/// A referral whose parents have these phones.
fn referral_with(id: &str, a: &str, b: Option<&str>) -> Value {
    let mut v = referral(id);
    v["parents"][0]["phone"] = a.into();
    v["parents"][1]["phone"] = b.map(Value::from).unwrap_or(Value::Null);
    v
}

async fn texts_to(app: &TestApp, number: &str) -> Vec<Text> {
    let res = app.http.get(format!("{}/sms", app.stack.control_url)).query(&[("to", number)]).send().await.expect("control plane answers");
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.expect("texts as JSON")
}

/// Waits until `number` has had `count` texts; the texts.
async fn wait_for_texts(app: &TestApp, number: &str, count: usize) -> Vec<Text> {
    assert!(app.eventually(|| async { texts_to(app, number).await.len() >= count }).await, "{count} texts to the number");
    texts_to(app, number).await
}

/// The `state` of a parent's text notices of `kind` in the ledger.
async fn text_states(app: &TestApp, referral_id: &str, parent_ref: &str, kind: &str) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk)
        .query()
        .table_name(&app.stack.shared.created.table)
        .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("REFERRAL#{referral_id}")))
        .expression_attribute_values(":sk", AttributeValue::S(format!("NOTICE#{parent_ref}#{kind}#")))
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    out.items()
        .iter()
        .filter(|i| i.get("sk").and_then(|v| v.as_s().ok()).is_some_and(|sk| sk.ends_with("#sms")))
        .filter_map(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned())
        .collect()
}

#[tokio::test]
async fn a_parent_with_a_uk_mobile_gets_the_welcome_text_once_even_when_the_event_comes_again() {
    let app = spawn_app().await;
    let (mobile, foreign) = (fresh_mobile(), "+33612345678");
    app.post_referral(&referral_with("CAF-SMS-WELCOME", &mobile, Some(foreign))).await;
    app.wait_for_mail(2).await;
    wait_for_texts(&app, &mobile, 1).await;
    let event = eventbridge("ReferralReceived", app.events("ReferralReceived")[0].detail.clone());

    let (first, second) = tokio::join!(app.invoke("WelcomeEmailFunction", &event), app.invoke("WelcomeEmailFunction", &event));

    assert_eq!((&first.1, &second.1), (&None, &None), "{first:?} {second:?}");
    app.quiet().await;
    let texts = texts_to(&app, &mobile).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].text.contains("Check your email") && texts[0].text.ends_with("Reply STOP to stop texts."), "{}", texts[0].text);
    assert!(!texts[0].text.contains("http") && !texts[0].text.contains("Alex"), "no link, no name: {}", texts[0].text);
    assert!(texts_to(&app, foreign).await.iter().all(|t| !t.text.contains("referred")), "no text abroad");
    assert_eq!(app.mail_to("morgan.quill@example.com").await.len(), 1, "the parent abroad still gets the email");
    let progress = app.get_referral("CAF-SMS-WELCOME").await.body;
    let notices = progress["parents"][0]["notices"].as_array().cloned().unwrap_or_default();
    assert_eq!(notices.iter().filter(|n| n["kind"] == "welcome" && n["channel"] == "sms").count(), 1, "{notices:?}");
    assert_eq!(notices.iter().filter(|n| n["kind"] == "welcome" && n["channel"] == "email").count(), 1, "{notices:?}");
    let page = app.http.get(format!("{}/mail", app.stack.control_url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Text messages") && page.contains(&mobile), "the mailbox page lists the texts");
}

#[tokio::test]
async fn a_number_sns_holds_as_opted_out_gets_no_text_and_the_ledger_says_so() {
    let app = spawn_app().await;
    // moto holds numbers ending in 99 as opted out (as SNS does a number that replied STOP to it)
    let opted_out = format!("{}99", &fresh_mobile()[..11]);
    app.post_referral(&referral_with("CAF-SMS-OPTEDOUT", &opted_out, None)).await;

    assert!(app.eventually(|| async { text_states(&app, "CAF-SMS-OPTEDOUT", "A", "welcome").await == ["opted-out"] }).await);
    app.quiet().await;
    assert_eq!(app.mail_to("alex.hartley@example.com").await.len(), 1, "the email still goes");
    assert!(texts_to(&app, &opted_out).await.is_empty());
}

#[tokio::test]
async fn a_landline_gets_the_email_and_no_text() {
    let app = spawn_app().await;
    let landline = "+441632960123";
    app.post_referral(&referral_with("CAF-SMS-LANDLINE", landline, None)).await;

    app.wait_for_mail(2).await;
    app.quiet().await;

    assert_eq!(app.mail_to("alex.hartley@example.com").await.len(), 1);
    assert!(text_states(&app, "CAF-SMS-LANDLINE", "A", "welcome").await.is_empty(), "no text claimed");
    let progress = app.get_referral("CAF-SMS-LANDLINE").await.body;
    assert!(progress["parents"][0]["notices"].as_array().unwrap().iter().all(|n| n["channel"] != "sms"));
}

/// The parent finishes the e-learning and books a workshop in ten days; the workshop's id.
async fn booked(app: &TestApp, parent: &str) -> String {
    app.finish_elearning(parent).await;
    let workshop = app.publish_workshop(NewWorkshop::online()).await;
    app.booked(parent, &workshop).await;
    workshop
}

#[tokio::test]
async fn a_booking_is_confirmed_by_text_once_with_the_workshop_time() {
    let app = spawn_app().await;
    let mobile = fresh_mobile();
    app.post_referral(&referral_with("CAF-SMS-BOOKED", &mobile, None)).await;
    wait_for_texts(&app, &mobile, 1).await;

    booked(&app, "CAF-SMS-BOOKED.A").await;

    let texts = wait_for_texts(&app, &mobile, 2).await;
    app.quiet().await;
    let texts_now = texts_to(&app, &mobile).await;
    assert_eq!(texts_now.len(), 2, "{texts_now:?}");
    assert!(texts[1].text.contains("your workshop is booked for"), "{}", texts[1].text);
    assert_eq!(text_states(&app, "CAF-SMS-BOOKED", "A", "booking-confirmed").await, vec!["sent"]);
}

#[tokio::test]
async fn after_stop_no_more_texts_go_and_the_ledger_records_the_text_as_opted_out() {
    let app = spawn_app().await;
    let mobile = fresh_mobile();
    app.post_referral(&referral_with("CAF-SMS-STOP", &mobile, None)).await;
    wait_for_texts(&app, &mobile, 1).await;

    let res = app
        .http
        .post(format!("{}/sms/inbound", app.stack.control_url))
        .json(&json!({"from": mobile.replacen("+44", "0", 1), "body": "Stop"}))
        .send()
        .await
        .expect("control plane answers");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["optedOut"], 1);
    booked(&app, "CAF-SMS-STOP.A").await;

    assert!(
        app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.iter().any(|m| m.subject.contains("booked")) }).await,
        "the confirmation email still goes"
    );
    app.quiet().await;
    assert_eq!(texts_to(&app, &mobile).await.len(), 1, "only the welcome, before the STOP");
    assert_eq!(text_states(&app, "CAF-SMS-STOP", "A", "booking-confirmed").await, vec!["opted-out"]);
}

#[tokio::test]
async fn the_frequent_run_texts_the_2_hour_reminder_once_when_run_twice() {
    let app = spawn_app().await;
    let mobile = fresh_mobile();
    app.post_referral(&referral_with("CAF-SMS-SOON", &mobile, None)).await;
    wait_for_texts(&app, &mobile, 1).await;
    let workshop_id = booked(&app, "CAF-SMS-SOON.A").await;
    wait_for_texts(&app, &mobile, 2).await;
    let starts = app.workshop(&workshop_id).await.starts_at;

    let mut summaries = Vec::new();
    for at in [starts - SignedDuration::from_mins(110), starts - SignedDuration::from_mins(95)] {
        summaries.push(frequent_run(&app, at).await);
    }

    assert_eq!(summaries[0]["soonReminded"]["sent"], 1, "{summaries:?}");
    assert_eq!(summaries[1]["soonReminded"]["alreadySent"], 1, "{summaries:?}");
    let texts = texts_to(&app, &mobile).await;
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[2].text.contains("starts today at"), "{}", texts[2].text);
}

/// The sweep's 15-minute run (`"detail": {"only": "holds"}`) as Scheduler invokes it, at `time`.
async fn frequent_run(app: &TestApp, time: Timestamp) -> Value {
    app.stack.set_clock(Some(time));
    let event = json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": time.to_string(), "region": "eu-west-2", "resources": [], "detail": {"only": "holds"}});
    let (status, error, summary) = app.invoke("DeadlineSweepFunction", &event).await;
    assert_eq!((status, error), (200, None), "{summary}");
    summary
}
