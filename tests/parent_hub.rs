//! The Parent Hub and e-learning progress, through the local stack.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::views::{Catalogue, Completion, HubView, NoticeKind, ParentStatus};
use pt4c_tests::{hub_link, referral, spawn_app, Answer, TestApp};

mod new_link;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A page as a browser opens it: status, headers, HTML (JSON answers are read with `get_json`).
async fn open(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = app.http.get(app.api(path)).send().await.unwrap();
    (res.status().as_u16(), res.headers().clone(), res.text().await.unwrap())
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
    let (status, headers, html) = open(&app, &hub).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your Parent Hub") && html.contains("Alex"));
    assert!(html.contains(&format!("action=\"{hub}/activate\"")) && html.contains("Set up your Parent Hub"));
    assert!(!html.contains("Book a workshop"), "no booking before the e-learning");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // Fetching the link (as a mail scanner does) changes nothing.
    app.get_json(&hub).await;
    let record = app.progress("CAF-HUB").await;
    assert_eq!((record.parents[0].status, record.parents[0].activated_at), (ParentStatus::Invited, None));
    let set_up = app.send(reqwest::Method::POST, &format!("{hub}/activate"), None, vec![]).await;
    assert_eq!(set_up.status, 303);
    assert_eq!(set_up.headers["location"], hub.as_str());
    let (_, _, html) = open(&app, &hub).await;
    assert!(html.contains("Friday 29 January 2027") && !html.contains("/activate"), "set up: the course, no button");
    let again = app.send(reqwest::Method::POST, &format!("{hub}/activate"), None, vec![]).await;
    assert_eq!(again.status, 303, "setting up again changes nothing");
    let again: HubView = app.get_json(&hub).await.json();
    assert_eq!((again.status, again.booking_url), (ParentStatus::Activated, None));
    let record = app.progress("CAF-HUB").await;
    assert_eq!(record.parents[0].status, ParentStatus::Activated);
    assert!(record.parents[0].activated_at.is_some());
    assert!(app.eventually(|| async { app.events("ParentActivated").len() == 1 }).await);

    // The provider reports modules out of order, and some twice.
    app.stack.set_clock(Some("2026-11-21T13:00:00Z".parse().unwrap()));
    let modules = app.modules().await;
    let first = app.complete_module("CAF-HUB.A", &modules[2], "2026-11-21T10:00:00Z").await;
    assert_eq!((first.status, first.json::<Completion>().status), (200, ParentStatus::ElearningStarted));
    app.complete_module("CAF-HUB.A", &modules[2], "2026-11-21T12:00:00Z").await;
    app.complete_module("CAF-HUB.A", &modules[0], "2026-11-21T09:00:00Z").await;
    app.complete_module("CAF-HUB.A", &modules[3], "2026-11-21T11:00:00Z").await;
    let last: Completion = app.complete_module("CAF-HUB.A", &modules[1], "2026-11-21T11:30:00Z").await.json();
    assert_eq!((last.status, last.elearning.completed_at), (ParentStatus::ElearningCompleted, Some(at("2026-11-21T11:30:00Z"))));
    let replay = app.complete_module("CAF-HUB.A", &modules[1], "2026-11-21T11:45:00Z").await;
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
    let verified = app.stack.links().verify(token, Purpose::Booking, app.now()).unwrap();
    assert_eq!(verified.parent.to_string(), "CAF-HUB.A");
    assert_eq!(app.events("ELearningCompleted").len(), 1);
    assert_eq!(app.events("ELearningModuleCompleted").len(), 4);

    // Cafcass sees each module with its first time.
    let record = app.progress("CAF-HUB").await;
    let p = &record.parents[0];
    assert_eq!((p.status, p.elearning.completed_at), (ParentStatus::ElearningCompleted, Some(at("2026-11-21T11:30:00Z"))));
    let seen: Vec<(&str, Timestamp)> = p.elearning.modules.iter().map(|m| (m.module_id.as_str(), m.completed_at)).collect();
    assert_eq!(
        seen,
        vec![
            (modules[0].as_str(), at("2026-11-21T09:00:00Z")),
            (modules[2].as_str(), at("2026-11-21T10:00:00Z")),
            (modules[3].as_str(), at("2026-11-21T11:00:00Z")),
            (modules[1].as_str(), at("2026-11-21T11:30:00Z")),
        ]
    );
    let emailed = p.notices.iter().filter(|n| n.channel == pt4c_domain::progress::NoticeChannel::Email);
    let kinds: Vec<NoticeKind> = emailed.map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoticeKind::Welcome, NoticeKind::BookWorkshop], "the emails (the welcome went by text too)");

    // The Hub now offers the booking.
    let offered: HubView = app.get_json(&hub).await.json();
    assert!(offered.booking_url.is_some_and(|url| url.contains("/book/")));
    let (_, _, html) = open(&app, &hub).await;
    assert!(html.contains("Book a workshop"));
}

#[tokio::test]
async fn links_that_are_forged_altered_misdirected_or_expired_are_refused() {
    let app = spawn_app().await;
    let hub = welcomed(&app, "CAF-LINKS").await;
    let token = hub.rsplit('/').next().unwrap().to_owned();
    let links = app.stack.links();
    let far = app.now() + SignedDuration::from_hours(24);

    let forger = pt4c_domain::link::LinkSigner::new(b"an-attacker-key-an-attacker-key-!!").unwrap();
    let forged = forger.sign(&ParentId::parse("CAF-LINKS.A").unwrap(), Purpose::Hub, far);
    let mut altered = token.clone();
    let flip = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., flip);
    let wrong_purpose = links.sign(&ParentId::parse("CAF-LINKS.A").unwrap(), Purpose::Booking, far);
    for bad in [forged, altered, wrong_purpose, "garbage".to_owned()] {
        let refused = app.get_json(&format!("/hub/{bad}")).await;
        assert_eq!((refused.status, refused.problem().code()), (403, "invalid-link"), "{bad}");
        let (status, _, html) = open(&app, &format!("/hub/{bad}")).await;
        assert_eq!(status, 403);
        assert!(html.contains("This link is not valid"));
    }

    // Another parent's link opens that parent's Hub, never Alex's.
    let morgan = links.sign(&ParentId::parse("CAF-LINKS.B").unwrap(), Purpose::Hub, far);
    let opened: HubView = app.get_json(&format!("/hub/{morgan}")).await.json();
    assert_eq!(opened.parent_id.to_string(), "CAF-LINKS.B");
    // A genuine link to a parent who does not exist.
    let ghost = links.sign(&ParentId::parse("CAF-NONE.A").unwrap(), Purpose::Hub, far);
    assert_eq!(app.get_json(&format!("/hub/{ghost}")).await.status, 404);

    // 72 hours after the welcome, the link has expired.
    app.stack.set_clock(Some(app.now() + SignedDuration::from_hours(73)));
    let expired = app.get_json(&hub).await;
    assert_eq!((expired.status, expired.problem().code()), (410, "link-expired"));
    let (status, _, html) = open(&app, &hub).await;
    assert_eq!(status, 410);
    assert!(html.contains("This link has expired") && html.contains(&format!("/hub/{token}/new-link")));
    assert_eq!(app.progress("CAF-LINKS").await.parents[0].status, ParentStatus::Invited, "an expired link activates nothing");
}

#[tokio::test]
async fn an_expired_link_asks_for_fresh_links_up_to_three_a_day() {
    let app = spawn_app().await;
    let hub = welcomed(&app, "CAF-NEW").await;
    let welcomed_at = app.now();
    app.stack.set_clock(Some(welcomed_at + SignedDuration::from_hours(80)));
    async fn ask(app: &TestApp, hub: &str) -> Answer {
        Answer::read(app.http.post(app.api(&format!("{hub}/new-link"))).header("accept", "application/json").send().await.unwrap()).await
    }

    for _ in 0..3 {
        assert_eq!(ask(&app, &hub).await.status, 202);
    }
    let refused = ask(&app, &hub).await;
    assert_eq!((refused.status, refused.problem().code()), (429, "too-many-requests"));

    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 4 }).await);
    app.quiet().await;
    let mail = app.mail_to("alex.hartley@example.com").await;
    assert_eq!(mail.len(), 4, "the welcome and three fresh links");
    let fresh = hub_link(mail.last().unwrap());
    let opened = app.get_json(fresh.trim_start_matches(&app.stack.api_url)).await;
    assert_eq!(opened.status, 200, "the fresh link works while the welcome link has expired");
    assert_eq!(opened.json::<HubView>().status, ParentStatus::Invited, "opening it set nothing up");
    let forged = app.send(reqwest::Method::POST, "/hub/not-a-token/new-link", None, vec![]).await;
    assert_eq!(forged.status, 403);

    // The next day in England, the parent may ask again.
    app.stack.set_clock(Some(welcomed_at + SignedDuration::from_hours(104)));
    assert_eq!(ask(&app, &hub).await.status, 202);
}

#[tokio::test]
async fn completion_reports_are_checked() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-EL")).await;

    let catalogue: Catalogue = app.get_json("/elearning/modules").await.json();
    let ids: Vec<&str> = catalogue.modules.iter().map(|m| m.module_id.as_str()).collect();
    assert_eq!(ids, ["going-to-court", "managing-emotions", "how-separation-affects-children", "childs-point-of-view"]);

    let unknown_parent = app.complete_module("CAF-NOBODY.A", ids[0], "2026-11-21T10:00:00Z").await;
    assert_eq!((unknown_parent.status, unknown_parent.problem().code()), (404, "not-found"));
    let bad = app.complete_module("CAF-EL.A", "juggling", "2099-01-01T00:00:00Z").await;
    let problem = bad.problem();
    assert_eq!((bad.status, problem.code(), problem.fields()), (422, "validation-failed", vec!["moduleId", "completedAt"]));
    // A completion before the parent was invited (the year 367 among them) is not a fact.
    for at in ["0367-05-01T10:00:00Z", "2026-01-01T00:00:00Z"] {
        let old = app.complete_module("CAF-EL.A", ids[0], at).await;
        let problem = old.problem();
        assert_eq!(
            (old.status, problem.code(), problem.fields().first().copied()),
            (422, "validation-failed", Some("completedAt")),
            "{at}"
        );
    }
    let text = app.send(reqwest::Method::POST, "/elearning/completions", Some("text/plain"), b"{}".to_vec()).await;
    assert_eq!(text.status, 415);
    app.quiet().await;
    assert!(app.progress("CAF-EL").await.parents[0].elearning.modules.is_empty(), "a refused report records nothing");
}

#[tokio::test]
async fn an_expired_booking_or_cancel_link_offers_a_new_link_that_works() {
    // Given a parent whose booking and cancel links have expired
    let app = spawn_app().await;
    welcomed(&app, "CAF-EXPBOOK").await;
    let parent = ParentId::parse("CAF-EXPBOOK.A").unwrap();
    let past = app.now() - SignedDuration::from_hours(1);
    for purpose in [Purpose::Booking, Purpose::Cancel] {
        let token = app.stack.links().sign(&parent, purpose, past);
        let page = if purpose == Purpose::Booking { format!("/book/{token}") } else { format!("/book/{token}/cancel") };
        // When the parent opens it and presses the page's button
        let (status, _, html) = open(&app, &page).await;
        assert_eq!(status, 410);
        assert!(html.contains(&format!("action=\"/hub/{token}/new-link\"")), "{html}");
        let asked = app.send(reqwest::Method::POST, &format!("/hub/{token}/new-link"), None, vec![]).await;
        // Then a fresh link is on its way
        assert_eq!(asked.status, 202, "{purpose:?}");
    }
    assert!(app.eventually(|| async { app.mail_to("alex.hartley@example.com").await.len() == 3 }).await, "the welcome and two fresh links");
    let fresh = hub_link(app.mail_to("alex.hartley@example.com").await.last().unwrap());
    assert_eq!(open(&app, fresh.trim_start_matches(&app.stack.api_url)).await.0, 200);
}

#[tokio::test]
async fn every_parent_page_links_the_accessibility_statement_privacy_notice_and_contact_page_which_name_the_configured_service() {
    // Given a parent's Hub
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("CAF-LEGAL")).await.status, 201);
    let hub = format!("/hub/{}", app.link("CAF-LEGAL.A", Purpose::Hub));

    // Then its footer links the three pages, each public and naming who runs the service
    let (status, _, html) = open(&app, &hub).await;
    assert_eq!(status, 200);
    for path in ["/accessibility", "/privacy", "/contact"] {
        assert!(html.contains(&format!("href=\"{path}\"")), "the Hub's footer links {path}");
        let (status, headers, page) = open(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(headers.get("content-security-policy").is_some(), "{path} has the pages' headers");
        assert!(page.contains("Action for Children") && page.contains("pt4c@pt4c.example"), "{path} names the configured service");
    }
    let (_, _, privacy) = open(&app, "/privacy").await;
    assert!(privacy.contains("for 1 year after it closes"), "the retention period is the configured one");
}
