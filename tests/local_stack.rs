//! The local stack itself: the template's routes and functions, the control plane, and the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use pt4c_tests::pt4c_local::template::Template;
use pt4c_tests::{referral, spawn_app};
use serde_json::json;

#[tokio::test]
async fn every_route_in_the_template_is_served_and_every_function_can_be_invoked() {
    let app = spawn_app().await;
    let template = Template::parse(&std::fs::read_to_string(pt4c_tests::pt4c_local::workspace_file("template.yaml")).unwrap()).unwrap();
    assert!(!template.routes.is_empty());
    for route in &template.routes {
        // The console's catch-all route is the console's: its sign-in page stands for it.
        let path = route.path.replace("{referralId}", "CAF-ROUTE").replace("{proxy+}", "sign-in");
        let method =
            if route.method == "ANY" { reqwest::Method::GET } else { reqwest::Method::from_bytes(route.method.as_bytes()).unwrap() };
        let answer = app.send(method, &path, Some("application/json"), b"{}".to_vec()).await;
        // Read as JSON, not as problem details: a served route may answer anything but the router's own 404.
        let unrouted = answer.status == 404 && answer.body["detail"] == "No such route." || answer.status == 405;
        assert!(!unrouted, "{} {} is not served locally", route.method, route.path);
    }
    for function in template.functions.keys() {
        let (status, _, _) = app.invoke(function, &json!({})).await;
        assert_ne!(status, 404, "{function} cannot be invoked locally");
    }
    let (status, _, _) = app.invoke("NoSuchFunction", &json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_http_function_answers_the_invoke_api_as_lambda_does() {
    let app = spawn_app().await;
    let payload = json!({
        "version": "2.0", "routeKey": "POST /referrals", "rawPath": "/referrals", "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/referrals"}},
        "body": serde_json::to_string(&referral("CAF-INVOKE")).unwrap(), "isBase64Encoded": false
    });
    let (status, error, body) = app.invoke("ReferralIntakeFunction", &payload).await;
    assert_eq!((status, error), (200, None));
    // Lambda's wire shape for an HTTP function, exactly.
    assert_eq!(body["statusCode"], 201);
    assert_eq!(body["headers"]["location"], "/referrals/CAF-INVOKE");
}

#[tokio::test]
async fn the_mailbox_answers_html_and_json_and_the_clock_can_be_set() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-MAILBOX")).await;
    app.wait_for_mail(2).await;

    let json_mail: serde_json::Value = app
        .http
        .get(format!("{}/mail", app.stack.control_url))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &json_mail[0];
    for key in ["messageId", "from", "to", "subject", "text", "html", "attachments", "sentAt"] {
        assert!(first.get(key).is_some(), "mail JSON lacks {key}");
    }
    let page = app.http.get(format!("{}/mail", app.stack.control_url)).send().await.unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Welcome to Planning Together for Children"));

    let set = app.http.put(format!("{}/clock", app.stack.control_url)).json(&json!({"now": "2026-12-01T08:00:00Z"})).send().await.unwrap();
    assert_eq!(set.status(), 200);
    let later = app.post_referral(&referral("CAF-CLOCK")).await;
    assert_eq!(later.status, 201);
    assert!(
        app.eventually(|| async { app.progress("CAF-CLOCK").await.parents[0].invited_at == Some("2026-12-01T08:00:00Z".parse().unwrap()) })
            .await
    );
    let reset = app.http.delete(format!("{}/clock", app.stack.control_url)).send().await.unwrap();
    assert_eq!(reset.status(), 204);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_whole_referral_leaves_no_personal_data_in_the_logs() {
    // nextest runs each test in its own process, so this subscriber sees only this test.
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(pt4c_adapters::telemetry::DEFAULT_FILTER))
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .init();

    let app = spawn_app().await;
    let mut body = referral("CAF-LOGS");
    body["parents"][0]["adjustments"] = "Needs step-free access".into();
    assert_eq!(app.post_referral(&body).await.status, 201);
    app.post_referral(&body).await;
    let mut bad = body.clone();
    bad["parents"][1]["email"] = "morgan.quill@@example".into();
    bad["referralId"] = "CAF-LOGS-2".into();
    app.post_referral(&bad).await;
    app.ses_refuses("morgan.quill@example.com", 1).await;
    app.wait_for_mail(2).await;
    app.get_referral("CAF-LOGS").await;
    // Parents' links are capabilities: following one, and asking for a fresh one, logs no token.
    let welcome = app.mail_to("alex.hartley@example.com").await;
    let link = pt4c_tests::hub_link(&welcome[0]);
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.http.get(&link).send().await.unwrap().status(), 200);
    assert_eq!(app.http.post(format!("{link}/activate")).send().await.unwrap().status(), 303);
    assert_eq!(app.http.post(format!("{link}/new-link")).send().await.unwrap().status(), 202);
    // Staff sign in and act in the console: their names, addresses and passwords stay out too.
    let password = app.staff_account("cora.console@pt4c.example", "Cora Console", pt4c_domain::staff::StaffRole::Coordinator).await;
    let mut console = pt4c_tests::console::Browser::new(&app);
    console.sign_in("cora.console@pt4c.example", &password).await;
    assert_eq!(console.get("/console/parents?q=alex hartley").await.status, 200);
    assert_eq!(console.get("/console/parents/CAF-LOGS.A").await.status, 200);
    let raised = console.post("/console/parents/CAF-LOGS.A/concerns", &[("summary", "Mentioned a worrying incident")]).await;
    assert_eq!(raised.status, 303);
    let refused = pt4c_tests::console::Browser::new(&app).sign_in_answer("cora.console@pt4c.example", "Wrong-password-1!").await;
    assert_eq!(refused.status, 401);
    app.withdraw("CAF-LOGS", &json!({"reason": "Parents reconciled"})).await;
    app.quiet().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 5, "the run logged");
    assert!(logs.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "every line is JSON");
    assert!(logs.contains("request_id"), "requests are logged with their id");
    let personal = [
        "Alex",
        "Hartley",
        "Morgan",
        "Quill",
        "alex.hartley",
        "morgan.quill",
        "example.com",
        "7700900123",
        "900456",
        "Sam Adviser",
        "sam.adviser",
        "cfc.private",
        "Central Family Court",
        "step-free",
        "reconciled",
        "cora.console",
        "Cora Console",
        "worrying",
        "Wrong-password",
    ];
    for p in personal {
        let line = logs.lines().find(|l| l.contains(p));
        assert!(line.is_none(), "the logs contain {p:?}: {line:?}");
    }
    assert!(!logs.contains(&password), "the logs contain a staff password");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!logs.contains(&token) && !logs.contains(signature), "the logs contain a link token");
    assert!(logs.contains("account activated"), "the hub visit was logged, by id");
}

#[tokio::test]
async fn the_local_stack_runs_the_daily_sweep_at_eight_in_london_on_its_clock() {
    // Given the stack as `pt4c-local` runs it (the sweep on its schedule), and a referral on Monday at 09:00
    let app = pt4c_tests::spawn_app_with(|c| c.scheduled_sweep = true).await;
    let t0: jiff::Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-SCHEDULED")).await.status, 201);
    let reminders = || async { app.mail().await.into_iter().filter(|m| m.subject.starts_with("Reminder: set up your Parent Hub")).count() };
    // When Wednesday's 08:00 passes (the reminders fall due at 09:00 that day), nothing is owed yet...
    app.stack.set_clock(Some("2026-11-25T08:30:00Z".parse().unwrap()));
    app.quiet().await;
    app.quiet().await;
    assert_eq!(reminders().await, 0);
    // ...then Thursday's 08:00 passes: the scheduled sweep reminds both parents, once.
    app.stack.set_clock(Some("2026-11-26T08:00:00Z".parse().unwrap()));
    assert!(app.eventually(|| async { reminders().await == 2 }).await, "two activation reminders");
    assert!(app.eventually(|| async { app.events("ReminderDue").len() == 2 }).await, "two ReminderDue events");
    app.quiet().await;
    assert_eq!((reminders().await, app.events("ReminderDue").len()), (2, 2), "once each");
}
