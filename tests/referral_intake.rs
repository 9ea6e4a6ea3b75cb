//! Referral intake, through the local stack's API, against the AWS stand-in.

use pt4c_tests::views::{NoticeKind, ParentStatus, ProgressRecord, ReferralStatus};
use pt4c_tests::{referral, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_referral_is_taken_and_each_parent_is_welcomed() {
    let app = spawn_app().await;

    let answer = app.post_referral(&referral("CAF-2026-000123")).await;

    assert_eq!(answer.status, 201);
    assert_eq!(answer.headers["location"], "/referrals/CAF-2026-000123");
    let created: ProgressRecord = answer.json();
    assert_eq!(created.status, ReferralStatus::Open);
    assert_eq!(created.parents.len(), 2);
    assert_eq!(created.parents[0].parent_id.to_string(), "CAF-2026-000123.A");
    assert!(created.parents.iter().all(|p| p.status == ParentStatus::Invited));

    let mail = app.wait_for_mail(2).await;
    let mut to: Vec<_> = mail.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, vec!["alex.hartley@example.com", "morgan.quill@example.com"]);

    // The ledger records each send just after SES takes it: wait for both records.
    let recorded = app.eventually(|| async { app.progress("CAF-2026-000123").await.parents.iter().all(|p| !p.notices.is_empty()) }).await;
    assert!(recorded, "each welcome recorded");
    let record = app.progress("CAF-2026-000123").await;
    for p in &record.parents {
        assert_eq!(p.status, ParentStatus::Invited);
        assert_eq!(p.notices[0].kind, NoticeKind::Welcome);
        assert_eq!(p.invited_at, Some(p.notices[0].sent_at));
    }
    assert_eq!(app.events("ReferralReceived").len(), 1);
    // The event's wire shape, as events/ documents it (no typed view: consumers read it as JSON too).
    assert_eq!(app.events("ReferralReceived")[0].detail["parentIds"], json!(["CAF-2026-000123.A", "CAF-2026-000123.B"]));
}

#[tokio::test]
async fn every_bad_field_is_named_in_one_answer_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut body = referral("CAF-2026-BAD");
    body["parents"][0]["email"] = "not-an-email".into();
    body["parents"][1]["parentRef"] = "A".into();
    body["completeBy"] = "2026-11-01".into();
    body["parents"][1]["workshopMode"] = "by-carrier-pigeon".into();
    body["court"]["fax"] = "01234".into();

    let answer = app.post_referral(&body).await;

    assert_eq!(answer.status, 422);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    let problem = answer.problem();
    assert_eq!(problem.code(), "validation-failed");
    let named = problem.fields();
    for f in ["court.fax", "completeBy", "parents[0].email", "parents[1].parentRef", "parents[1].workshopMode"] {
        assert!(named.contains(&f), "{f} not named in {named:?}");
    }
    app.quiet().await;
    assert_eq!(app.stored_items().await, 0);
    assert_eq!(app.get_referral("CAF-2026-BAD").await.status, 404);
    assert!(app.mail().await.is_empty());
    assert!(app.stack.events().is_empty());
}

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies_are_refused_with_their_codes() {
    let app = spawn_app().await;
    use reqwest::Method;

    let malformed = app.send(Method::POST, "/referrals", Some("application/json"), b"{\"referralId\": ".to_vec()).await;
    assert_eq!((malformed.status, malformed.problem().code()), (400, "invalid-json"));

    let mut wrong_type = referral("CAF-X");
    wrong_type["parents"][1]["email"] = json!(42);
    let wrong_type = app.post_referral(&wrong_type).await;
    assert_eq!((wrong_type.status, wrong_type.problem().code()), (400, "invalid-json"));
    assert_eq!(wrong_type.problem().fields(), vec!["parents[1].email"]);

    let mut huge = referral("CAF-HUGE");
    huge["parents"][0]["adjustments"] = "x".repeat(70 * 1024).into();
    let huge = app.post_referral(&huge).await;
    assert_eq!((huge.status, huge.problem().code()), (413, "payload-too-large"));

    let text = app.send(Method::POST, "/referrals", Some("text/plain"), serde_json::to_vec(&referral("CAF-T")).unwrap()).await;
    assert_eq!((text.status, text.problem().code()), (415, "unsupported-media-type"));

    let mut unknown = referral("CAF-U");
    unknown["priority"] = "high".into();
    let unknown = app.post_referral(&unknown).await;
    assert_eq!((unknown.status, unknown.problem().code()), (422, "validation-failed"));
    assert_eq!(unknown.problem().fields(), vec!["priority"]);

    let mut concerns = referral("CAF-S");
    concerns["safeguardingConcerns"] = true.into();
    let concerns = app.post_referral(&concerns).await;
    assert_eq!((concerns.status, concerns.problem().code()), (422, "not-eligible"));

    app.quiet().await;
    assert_eq!(app.stored_items().await, 0, "a refused referral stores nothing");
    assert!(app.mail().await.is_empty(), "a refused referral sends nothing");
}

#[tokio::test]
async fn the_same_referral_posted_again_is_the_same_referral() {
    let app = spawn_app().await;
    let first = app.post_referral(&referral("CAF-REPLAY")).await;
    app.wait_for_mail(2).await;

    let again = app.post_referral(&referral("CAF-REPLAY")).await;

    assert_eq!((first.status, again.status), (201, 200));
    assert_eq!(again.headers["location"], "/referrals/CAF-REPLAY");
    assert_eq!(again.json::<ProgressRecord>().parents[0].parent_id, first.json::<ProgressRecord>().parents[0].parent_id);
    app.quiet().await;
    assert_eq!(app.mail().await.len(), 2, "one welcome per parent");
    assert_eq!(app.events("ReferralReceived").len(), 1);
}

#[tokio::test]
async fn twenty_concurrent_posts_make_one_referral() {
    let app = spawn_app().await;
    let body = referral("CAF-RACE");

    let answers = futures::future::join_all((0..20).map(|_| app.post_referral(&body))).await;

    let created = answers.iter().filter(|a| a.status == 201).count();
    let replayed = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!((created, replayed), (1, 19), "statuses: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    app.wait_for_mail(2).await;
    app.quiet().await;
    assert_eq!(app.mail().await.len(), 2, "one welcome per parent");
    assert_eq!(app.events("ReferralReceived").len(), 1);
    // one referral, two parents, its case lookup, the parents' two name lookups, two welcome notices
    // and their SES message-id lookups, two welcome texts' notices (both parents have UK mobiles), and
    // the management information's month and its mark that the event was counted (once)
    assert_eq!(app.stored_items().await, 14);
}

#[tokio::test]
async fn a_used_referral_id_with_other_content_is_a_conflict() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-CONFLICT")).await;
    let mut other = referral("CAF-CONFLICT");
    other["completeBy"] = "2027-02-26".into();

    let answer = app.post_referral(&other).await;

    assert_eq!((answer.status, answer.problem().code()), (409, "referral-conflict"));
    assert_eq!(app.progress("CAF-CONFLICT").await.complete_by, jiff::civil::date(2027, 1, 29));
}

#[tokio::test]
async fn an_event_the_bus_refused_is_delivered_later_from_the_outbox() {
    let app = spawn_app_with(|cfg| {
        cfg.outbox_grace = jiff::SignedDuration::ZERO;
        cfg.relay_every = std::time::Duration::from_millis(300);
    })
    .await;
    app.bus_refuses(1).await;

    let answer = app.post_referral(&referral("CAF-OUTBOX")).await;

    assert_eq!(answer.status, 201, "the referral is taken even though the bus refused its event");
    let mail = app.wait_for_mail(2).await;
    assert_eq!(mail.len(), 2, "the relay delivered the event, and each parent was welcomed");
    // (12 items, as above, and the management information's two)
    assert!(app.eventually(|| async { app.stored_items().await == 14 }).await, "the outbox item is gone once delivered");
    assert_eq!(app.events("ReferralReceived").len(), 1);
}

#[tokio::test]
async fn a_withdrawn_referral_sends_nothing_more() {
    let app = spawn_app().await;
    app.post_referral(&referral("CAF-WD")).await;
    app.wait_for_mail(2).await;

    let answer = app.withdraw("CAF-WD", &json!({"reason": "Case closed by the court"})).await;

    assert_eq!(answer.status, 200);
    let withdrawn: ProgressRecord = answer.json();
    assert_eq!(withdrawn.status, ReferralStatus::Withdrawn);
    assert!(withdrawn.parents.iter().all(|p| p.status == ParentStatus::Withdrawn));
    assert!(app.eventually(|| async { app.events("ReferralWithdrawn").len() == 1 }).await);

    // A late or replayed delivery of the referral's event, or a new-link request, sends nothing.
    let replay = pt4c_tests::eventbridge(
        "ReferralReceived",
        json!({"referralId": "CAF-WD", "parentIds": ["CAF-WD.A", "CAF-WD.B"], "receivedAt": "2026-11-22T10:00:00Z"}),
    );
    // The function's summary to its invoker, read as JSON: it is Lambda's answer, not the API's.
    let (status, error, summary) = app.invoke("WelcomeEmailFunction", &replay).await;
    assert_eq!((status, error), (200, None));
    assert_eq!(summary["sent"], 0);
    let link = pt4c_tests::eventbridge(
        "LinkRequested",
        json!({"parentId": "CAF-WD.A", "requestId": "r-1", "requestedAt": "2026-11-22T10:00:00Z"}),
    );
    assert_eq!(app.invoke("WelcomeEmailFunction", &link).await.2["sent"], 0);
    assert_eq!(app.mail().await.len(), 2);

    let again = app.withdraw("CAF-WD", &json!({"reason": "again"})).await;
    assert_eq!((again.status, again.json::<ProgressRecord>().status), (200, ReferralStatus::Withdrawn));
    assert_eq!(app.withdraw("CAF-NOPE", &json!({"reason": "x"})).await.status, 404);
    let bad = app.withdraw("CAF-WD", &json!({"why": "x"})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem().fields(), vec!["why", "reason"]);
}

#[tokio::test]
async fn an_unknown_referral_is_not_found() {
    let app = spawn_app().await;
    let answer = app.get_referral("CAF-NEVER").await;
    assert_eq!((answer.status, answer.problem().code()), (404, "not-found"));
    assert_eq!(app.get_referral("bad%20id").await.status, 404);
}

#[tokio::test]
async fn dates_beyond_the_bounds_and_control_characters_are_refused_by_name() {
    let app = spawn_app().await;
    // A court date at the end of the calendar, a referral from long ago, NUL in a name.
    let mut body = referral("CAF-BOUNDS");
    body["completeBy"] = "9999-12-31".into();
    body["parents"][1]["firstName"] = "Mor\u{0}gan".into();
    let answer = app.post_referral(&body).await;
    assert_eq!((answer.status, answer.problem().code()), (422, "validation-failed"));
    assert_eq!(answer.problem().fields(), vec!["completeBy", "parents[1].firstName"]);
    let mut body = referral("CAF-BOUNDS");
    body["referredOn"] = "2020-01-01".into();
    assert_eq!(app.post_referral(&body).await.problem().fields(), vec!["referredOn"]);
    assert_eq!(app.get_referral("CAF-BOUNDS").await.status, 404, "nothing stored");

    // Text fields elsewhere: a withdrawal's reason, a concern, a workshop's location.
    assert_eq!(app.post_referral(&referral("CAF-TEXT")).await.status, 201);
    let nul = app.withdraw("CAF-TEXT", &json!({"reason": "Closed\u{0}"})).await;
    assert_eq!((nul.status, nul.problem().fields()), (422, vec!["reason"]));
    let concern = app.post_json("/parents/CAF-TEXT.A/concerns", json!({"raisedBy": "Tess\u{7}", "summary": "Shouting\u{1b}[2J"})).await;
    assert_eq!((concern.status, concern.problem().fields()), (422, vec!["raisedBy", "summary"]));
    let trainer = json!({"name": "Tess Trainer", "email": "tess@pt4c.example"});
    let location = app
        .post_json(
            "/workshops",
            json!({"startsAt": "2027-01-10T10:00:00Z", "mode": "in_person", "location": "Room\u{0}4", "trainer": trainer}),
        )
        .await;
    assert_eq!((location.status, location.problem().fields()), (422, vec!["location"]));
    let end_of_time = app
        .post_json(
            "/workshops",
            json!({"startsAt": "9999-12-31T23:59:59Z", "mode": "online", "location": "https://meet.example/x", "trainer": trainer}),
        )
        .await;
    assert_eq!((end_of_time.status, end_of_time.problem().fields()), (422, vec!["startsAt"]));
    assert_eq!(app.progress("CAF-TEXT").await.status, ReferralStatus::Open, "nothing changed");
}
