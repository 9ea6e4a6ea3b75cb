//! The Parent Hub and e-learning progress, through the local stack.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::{hub_link, referral, spawn_app, TestApp};
use serde_json::{json, Value};

const MODULES: [&str; 4] = ["going-to-court", "managing-emotions", "how-separation-affects-children", "childs-point-of-view"];

fn code(body: &Value) -> String {
    body["type"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned()
}

async fn open(app: &TestApp, path: &str, json: bool) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.http.get(app.api(path));
    if json {
        req = req.header("accept", "application/json");
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.headers().clone(), res.text().await.unwrap())
}

async fn complete(app: &TestApp, parent: &str, module: &str, at: &str) -> pt4c_tests::Answer {
    let body = json!({"parentId": parent, "moduleId": module, "completedAt": at});
    app.send(reqwest::Method::POST, "/elearning/completions", Some("application/json"), serde_json::to_vec(&body).unwrap()).await
}

/// Given a referral whose welcome emails went out, Alex's hub path.
async fn welcomed(app: &TestApp, id: &str) -> String {
    assert_eq!(app.post_referral(&referral(id)).await.status, 201);
    app.wait_for_mail(2).await;
    let mail = app.mail_to("alex.hartley@example.com").await;
    hub_link(&mail[0]).trim_start_matches(&app.stack.api_url).to_owned()
}

#[tokio::test]
async fn a_parent_walks_from_the_welcome_link_through_the_elearning_to_the_booking_email() {
    let app = spawn_app().await;
    app.stack.set_clock(Some("2026-11-21T08:00:00Z".parse().unwrap()));
    let hub = welcomed(&app, "CAF-HUB").await;

    // The welcome link opens the Hub; the parent sets the account up with its button, once.
    let (status, headers, html) = open(&app, &hub, false).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your Parent Hub") && html.contains("Alex"));
    assert!(html.contains(&format!("action=\"{hub}/activate\"")) && html.contains("Set up your Parent Hub"));
    assert!(!html.contains("Book a workshop"), "no booking before the e-learning");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // Fetching the link (as a mail scanner does) changes nothing.
    open(&app, &hub, true).await;
    let record = app.get_referral("CAF-HUB").await.body;
    assert_eq!((record["parents"][0]["status"].as_str(), &record["parents"][0]["activatedAt"]), (Some("invited"), &Value::Null));
    let set_up = app.send(reqwest::Method::POST, &format!("{hub}/activate"), None, vec![]).await;
    assert_eq!(set_up.status, 303);
    assert_eq!(set_up.headers["location"], hub.as_str());
    let (_, _, html) = open(&app, &hub, false).await;
    assert!(html.contains("Friday 29 January 2027") && !html.contains("/activate"), "set up: the course, no button");
    let again = app.send(reqwest::Method::POST, &format!("{hub}/activate"), None, vec![]).await;
    assert_eq!(again.status, 303, "setting up again changes nothing");
    let (_, _, again) = open(&app, &hub, true).await;
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["status"], "activated");
    assert_eq!(again["bookingUrl"], Value::Null);
    let record = app.get_referral("CAF-HUB").await.body;
    assert_eq!(record["parents"][0]["status"], "activated");
    assert!(record["parents"][0]["activatedAt"].is_string());
    assert!(app.eventually(|| async { app.events("ParentActivated").len() == 1 }).await);

    // The provider reports modules out of order, and some twice.
    app.stack.set_clock(Some("2026-11-21T13:00:00Z".parse().unwrap()));
    let first = complete(&app, "CAF-HUB.A", MODULES[2], "2026-11-21T10:00:00Z").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["status"], "elearning_started");
    complete(&app, "CAF-HUB.A", MODULES[2], "2026-11-21T12:00:00Z").await;
    complete(&app, "CAF-HUB.A", MODULES[0], "2026-11-21T09:00:00Z").await;
    complete(&app, "CAF-HUB.A", MODULES[3], "2026-11-21T11:00:00Z").await;
    let last = complete(&app, "CAF-HUB.A", MODULES[1], "2026-11-21T11:30:00Z").await;
    assert_eq!(last.body["status"], "elearning_completed");
    assert_eq!(last.body["elearning"]["completedAt"], "2026-11-21T11:30:00Z");
    let replay = complete(&app, "CAF-HUB.A", MODULES[1], "2026-11-21T11:45:00Z").await;
    assert_eq!(replay.status, 200);

    // One book-workshop email, with a booking link for this parent.
    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 2 }).await);
    app.quiet().await;
    let mail = app.mail_to("alex.hartley@example.com").await;
    assert_eq!(mail.len(), 2, "welcome and book-workshop, once each");
    let booking = mail.iter().find(|m| m.subject.contains("book your workshop")).expect("the book-workshop email");
    let link = hub_link(booking);
    assert!(link.contains("/book/"));
    let token = link.rsplit('/').next().unwrap();
    let verified = app.stack.links().verify(token, Purpose::Booking, Timestamp::now()).unwrap();
    assert_eq!(verified.parent.to_string(), "CAF-HUB.A");
    assert_eq!(app.events("ELearningCompleted").len(), 1);
    assert_eq!(app.events("ELearningModuleCompleted").len(), 4);

    // Cafcass sees each module with its first time.
    let record = app.get_referral("CAF-HUB").await.body;
    let p = &record["parents"][0];
    assert_eq!(p["status"], "elearning_completed");
    assert_eq!(p["elearning"]["completedAt"], "2026-11-21T11:30:00Z");
    let modules: Vec<(String, String)> = p["elearning"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["moduleId"].as_str().unwrap().to_owned(), m["completedAt"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        modules,
        vec![
            (MODULES[0].to_owned(), "2026-11-21T09:00:00Z".to_owned()),
            (MODULES[2].to_owned(), "2026-11-21T10:00:00Z".to_owned()),
            (MODULES[3].to_owned(), "2026-11-21T11:00:00Z".to_owned()),
            (MODULES[1].to_owned(), "2026-11-21T11:30:00Z".to_owned()),
        ]
    );
    let kinds: Vec<_> = p["notices"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, vec!["welcome", "book-workshop"]);

    // The Hub now offers the booking.
    let (_, _, hub_json) = open(&app, &hub, true).await;
    let hub_json: Value = serde_json::from_str(&hub_json).unwrap();
    assert!(hub_json["bookingUrl"].as_str().unwrap().contains("/book/"));
    let (_, _, html) = open(&app, &hub, false).await;
    assert!(html.contains("Book a workshop"));
}

#[tokio::test]
async fn links_that_are_forged_altered_misdirected_or_expired_are_refused() {
    let app = spawn_app().await;
    let hub = welcomed(&app, "CAF-LINKS").await;
    let token = hub.rsplit('/').next().unwrap().to_owned();
    let links = app.stack.links();
    let far = Timestamp::now() + SignedDuration::from_hours(24);

    let forger = pt4c_domain::link::LinkSigner::new(b"an-attacker-key-an-attacker-key-!!").unwrap();
    let forged = forger.sign(&ParentId::parse("CAF-LINKS.A").unwrap(), Purpose::Hub, far);
    let mut altered = token.clone();
    let flip = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., flip);
    let wrong_purpose = links.sign(&ParentId::parse("CAF-LINKS.A").unwrap(), Purpose::Booking, far);
    for bad in [forged, altered, wrong_purpose, "garbage".to_owned()] {
        let (status, _, body) = open(&app, &format!("/hub/{bad}"), true).await;
        assert_eq!((status, code(&serde_json::from_str(&body).unwrap())), (403, "invalid-link".to_owned()), "{bad}");
        let (status, _, html) = open(&app, &format!("/hub/{bad}"), false).await;
        assert_eq!(status, 403);
        assert!(html.contains("This link is not valid"));
    }

    // Another parent's link opens that parent's Hub, never Alex's.
    let morgan = links.sign(&ParentId::parse("CAF-LINKS.B").unwrap(), Purpose::Hub, far);
    let (_, _, body) = open(&app, &format!("/hub/{morgan}"), true).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["parentId"], "CAF-LINKS.B");
    // A genuine link to a parent who does not exist.
    let ghost = links.sign(&ParentId::parse("CAF-NONE.A").unwrap(), Purpose::Hub, far);
    assert_eq!(open(&app, &format!("/hub/{ghost}"), true).await.0, 404);

    // 72 hours after the welcome, the link has expired.
    app.stack.set_clock(Some(Timestamp::now() + SignedDuration::from_hours(73)));
    let (status, _, body) = open(&app, &hub, true).await;
    assert_eq!((status, code(&serde_json::from_str(&body).unwrap())), (410, "link-expired".to_owned()));
    let (status, _, html) = open(&app, &hub, false).await;
    assert_eq!(status, 410);
    assert!(html.contains("This link has expired") && html.contains(&format!("/hub/{token}/new-link")));
    assert_eq!(app.get_referral("CAF-LINKS").await.body["parents"][0]["status"], "invited", "an expired link activates nothing");
}

#[tokio::test]
async fn an_expired_link_asks_for_fresh_links_up_to_three_a_day() {
    let app = spawn_app().await;
    let hub = welcomed(&app, "CAF-NEW").await;
    app.stack.set_clock(Some(Timestamp::now() + SignedDuration::from_hours(80)));
    async fn ask(app: &TestApp, hub: &str) -> (u16, Value) {
        let res = app.http.post(app.api(&format!("{hub}/new-link"))).header("accept", "application/json").send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    for _ in 0..3 {
        assert_eq!(ask(&app, &hub).await.0, 202);
    }
    let (status, body) = ask(&app, &hub).await;
    assert_eq!((status, code(&body)), (429, "too-many-requests".to_owned()));

    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 4 }).await);
    app.quiet().await;
    let mail = app.mail_to("alex.hartley@example.com").await;
    assert_eq!(mail.len(), 4, "the welcome and three fresh links");
    let fresh = hub_link(mail.last().unwrap());
    let (status, _, body) = open(&app, fresh.trim_start_matches(&app.stack.api_url), true).await;
    assert_eq!(status, 200, "the fresh link works while the welcome link has expired");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["status"], "invited", "opening it set nothing up");
    let forged = app.send(reqwest::Method::POST, "/hub/not-a-token/new-link", None, vec![]).await;
    assert_eq!(forged.status, 403);

    // The next day in England, the parent may ask again.
    app.stack.set_clock(Some(Timestamp::now() + SignedDuration::from_hours(104)));
    assert_eq!(ask(&app, &hub).await.0, 202);
}

#[tokio::test]
async fn completion_reports_are_checked() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-EL")).await;

    let modules: Value = app.http.get(app.api("/elearning/modules")).send().await.unwrap().json().await.unwrap();
    let ids: Vec<_> = modules["modules"].as_array().unwrap().iter().map(|m| m["moduleId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, MODULES);

    let unknown_parent = complete(&app, "CAF-NOBODY.A", MODULES[0], "2026-11-21T10:00:00Z").await;
    assert_eq!((unknown_parent.status, code(&unknown_parent.body)), (404, "not-found".to_owned()));
    let bad = complete(&app, "CAF-EL.A", "juggling", "2099-01-01T00:00:00Z").await;
    assert_eq!((bad.status, code(&bad.body)), (422, "validation-failed".to_owned()));
    let fields: Vec<_> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, vec!["moduleId", "completedAt"]);
    // A completion before the parent was invited (the year 367 among them) is not a fact.
    for at in ["0367-05-01T10:00:00Z", "2026-01-01T00:00:00Z"] {
        let old = complete(&app, "CAF-EL.A", MODULES[0], at).await;
        assert_eq!((old.status, code(&old.body)), (422, "validation-failed".to_owned()), "{at}");
        assert_eq!(old.body["errors"][0]["field"], "completedAt");
    }
    let text = app.send(reqwest::Method::POST, "/elearning/completions", Some("text/plain"), b"{}".to_vec()).await;
    assert_eq!(text.status, 415);
    app.quiet().await;
    let record = app.get_referral("CAF-EL").await.body;
    assert_eq!(record["parents"][0]["elearning"]["modules"], json!([]), "a refused report records nothing");
}

#[tokio::test]
async fn an_expired_booking_or_cancel_link_offers_a_new_link_that_works() {
    // Given a parent whose booking and cancel links have expired
    let app = spawn_app().await;
    welcomed(&app, "CAF-EXPBOOK").await;
    let parent = ParentId::parse("CAF-EXPBOOK.A").unwrap();
    let past = Timestamp::now() - SignedDuration::from_hours(1);
    for purpose in [Purpose::Booking, Purpose::Cancel] {
        let token = app.stack.links().sign(&parent, purpose, past);
        let page = if purpose == Purpose::Booking { format!("/book/{token}") } else { format!("/book/{token}/cancel") };
        // When the parent opens it and presses the page's button
        let (status, _, html) = open(&app, &page, false).await;
        assert_eq!(status, 410);
        assert!(html.contains(&format!("action=\"/hub/{token}/new-link\"")), "{html}");
        let asked = app.send(reqwest::Method::POST, &format!("/hub/{token}/new-link"), None, vec![]).await;
        // Then a fresh link is on its way
        assert_eq!(asked.status, 202, "{purpose:?}");
    }
    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 3 }).await, "the welcome and two fresh links");
    let fresh = hub_link(app.mail_to("alex.hartley@example.com").await.last().unwrap());
    assert_eq!(open(&app, fresh.trim_start_matches(&app.stack.api_url), false).await.0, 200);
}
