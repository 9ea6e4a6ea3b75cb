//! `/new-link`: a parent with no link that works asks for one by email address. The answer is the
//! same for a known and an unknown address; the link goes to the address on file; the requests are
//! counted (3 a day per address) and audited with ids only.

use std::time::{Duration, Instant};

use pt4c_domain::ports::StaffStore;
use pt4c_tests::views::{HubView, ParentStatus};
use pt4c_tests::{hub_link, referral, spawn_app, Answer, TestApp};

const ALEX: &str = "alex.hartley@example.com";
const FLOOR: Duration = Duration::from_millis(300);

/// (status, content type, body bytes, how long it took).
async fn ask(app: &TestApp, content_type: &str, body: String) -> (u16, String, Vec<u8>, Duration) {
    let began = Instant::now();
    let res = app.http.post(app.api("/new-link")).header("content-type", content_type).body(body).send().await.expect("the API answers");
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let bytes = res.bytes().await.expect("a body").to_vec();
    (status, ct, bytes, began.elapsed())
}

async fn ask_json(app: &TestApp, email: &str) -> (u16, String, Vec<u8>, Duration) {
    ask(app, "application/json", serde_json::json!({ "email": email }).to_string()).await
}

async fn ask_form(app: &TestApp, email: &str) -> (u16, String, Vec<u8>, Duration) {
    ask(app, "application/x-www-form-urlencoded", serde_urlencoded::to_string([("email", email)]).expect("a form")).await
}

#[tokio::test]
async fn a_known_and_an_unknown_address_get_the_same_answer_and_only_the_parent_on_the_course_gets_a_link() {
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("CAF-NEWLINK")).await.status, 201);
    assert!(app.eventually(|| async { app.mail_to(ALEX).await.len() == 1 }).await, "the welcome");

    // The form, then the address typed loosely, as JSON and through the form.
    let form = app.http.get(app.api("/new-link")).send().await.expect("the form");
    assert_eq!(form.status().as_u16(), 200);
    let html = form.text().await.expect("a page");
    assert!(
        html.contains("Get a new link to your Parent Hub")
            && html.contains("autocomplete=\"email\"")
            && html.contains("Send me a new link")
    );
    let known_json = ask_json(&app, "  Alex.Hartley@EXAMPLE.com ").await;
    let unknown_json = ask_json(&app, "nobody.here@example.com").await;
    let known_form = ask_form(&app, " ALEX.HARTLEY@example.com").await;
    let unknown_form = ask_form(&app, "nobody.here@example.com").await;

    assert_eq!((known_json.0, known_json.1.as_str()), (202, "application/json"));
    assert_eq!((known_json.0, &known_json.2), (unknown_json.0, &unknown_json.2), "the same status and body, byte for byte");
    assert_eq!(known_form.0, 202);
    assert!(known_form.1.starts_with("text/html"));
    assert_eq!((known_form.0, &known_form.2), (unknown_form.0, &unknown_form.2), "the same page, byte for byte");
    let page = String::from_utf8(known_form.2.clone()).expect("a page");
    assert!(page.contains("Check your email") && page.contains("If this address belongs to a parent on the course"));
    for (what, answer) in [("known", &known_json), ("unknown", &unknown_json), ("known", &known_form), ("unknown", &unknown_form)] {
        assert!(answer.3 >= FLOOR, "a {what} address answered after {:?}", answer.3);
    }

    // Two fresh links reach Alex's address on file; nothing goes to the unknown one.
    assert!(app.eventually(|| async { app.mail_to(ALEX).await.len() == 3 }).await, "two fresh links");
    app.quiet().await;
    assert!(app.mail_to("nobody.here@example.com").await.is_empty());
    assert!(app.mail_to("morgan.quill@example.com").await.len() == 1, "the co-parent got their welcome only");
    let mail = app.mail_to(ALEX).await;
    let fresh = hub_link(mail.last().expect("a fresh link"));
    let opened = app.get_json(fresh.trim_start_matches(&app.stack.api_url)).await;
    assert_eq!(opened.status, 200, "the fresh link opens the Hub");
    assert_eq!(opened.json::<HubView>().status, ParentStatus::Invited);

    // A third request for each address today is taken; a fourth is refused, known or not.
    for email in [ALEX, "nobody.here@example.com"] {
        assert_eq!(ask_json(&app, email).await.0, 202, "{email}: the third");
        let fourth = Answer::read(
            app.http
                .post(app.api("/new-link"))
                .header("content-type", "application/json")
                .body(serde_json::json!({ "email": email.to_uppercase() }).to_string())
                .send()
                .await
                .expect("the API answers"),
        )
        .await;
        assert_eq!((fourth.status, fourth.problem().code()), (429, "too-many-requests"), "{email}: the fourth");
        assert!(fourth.headers.contains_key("retry-after"));
    }

    // Every request is in the day's trail, by the public, with the parent's id at most.
    let today = app.stack.shared.deps.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let trail = app.stack.shared.deps.store.audit_trail(today).await.expect("the audit trail");
    let mine: Vec<_> = trail.iter().filter(|e| e.action == pt4c_domain::recovery::NEW_LINK_ACTION).collect();
    assert_eq!(mine.len(), 8, "four taken and found or not, two more taken, two refused");
    assert_eq!(mine.iter().filter(|e| e.parent_id.as_ref().map(|p| p.to_string()) == Some("CAF-NEWLINK.A".into())).count(), 3);
    let shown = serde_json::to_string(&mine).expect("the trail serialises");
    assert!(!shown.contains('@') && !shown.to_lowercase().contains("hartley") && !shown.contains("nobody"), "ids only: {shown}");
}

#[tokio::test]
async fn a_bad_or_missing_address_is_refused_naming_email_and_counts_nothing() {
    let app = spawn_app().await;

    for body in [serde_json::json!({}), serde_json::json!({"email": "not an address"}), serde_json::json!({"email": 7})] {
        let refused = app.send(reqwest::Method::POST, "/new-link", Some("application/json"), body.to_string().into_bytes()).await;
        assert_eq!(refused.status, 422, "{body}");
        assert_eq!(refused.body["errors"][0]["field"], "email", "{body}: {}", refused.body);
    }
    let extra =
        app.send(reqwest::Method::POST, "/new-link", Some("application/json"), br#"{"email":"a@example.com","name":"x"}"#.to_vec()).await;
    assert_eq!(extra.status, 422);
    let (status, _, page, _) = ask_form(&app, "").await;
    let page = String::from_utf8(page).expect("a page");
    assert_eq!(status, 422);
    assert!(
        page.contains("govuk-error-summary") && page.contains("href=\"#email\"") && page.contains("Enter your email address"),
        "{page}"
    );
    let (status, _, page, _) = ask_form(&app, "alex@").await;
    assert_eq!(status, 422);
    assert!(String::from_utf8(page).expect("a page").contains("value=\"alex@\""), "what was typed is shown again");
    let text = app.send(reqwest::Method::POST, "/new-link", Some("text/plain"), b"alex@example.com".to_vec()).await;
    assert_eq!(text.status, 415);

    // Nothing was counted: an address still has its three requests today.
    for _ in 0..3 {
        assert_eq!(ask_json(&app, "a@example.com").await.0, 202);
    }
    let today = app.stack.shared.deps.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let trail = app.stack.shared.deps.store.audit_trail(today).await.expect("the audit trail");
    assert_eq!(trail.iter().filter(|e| e.action == pt4c_domain::recovery::NEW_LINK_ACTION).count(), 3, "only the good requests");
}
