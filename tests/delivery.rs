//! What became of each email, through SES's mailbox simulator: a bounce and a complaint reach
//! the progress record and the coordinators' dashboard, a corrected address gets one fresh link,
//! and the court's notice says plainly which emails bounced.

use jiff::Timestamp;
use pt4c_domain::delivery::DeliveryStatus;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::StaffStore;
use pt4c_domain::progress::NoticeChannel;
use pt4c_domain::staff::StaffRole;
use pt4c_tests::views::ParentProgress;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

const BOUNCE: &str = "bounce@simulator.amazonses.com";
const COMPLAINT: &str = "complaint@simulator.amazonses.com";
const SUCCESS: &str = "success@simulator.amazonses.com";
const FCA: &str = "sam.adviser@cafcass.example";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A referral whose parents' addresses are the simulator's.
async fn given_a_referral_to(app: &TestApp, id: &str, a: &str, b: &str) {
    let mut body = referral(id);
    body["parents"][0]["email"] = json!(a);
    body["parents"][1]["email"] = json!(b);
    assert_eq!(app.post_referral(&body).await.status, 201);
}

async fn parent(app: &TestApp, referral_id: &str, parent_ref: &str) -> ParentProgress {
    app.progress(referral_id).await.parents.into_iter().find(|p| p.parent_ref.to_string() == parent_ref).expect("the parent")
}

/// Waits until the parent's welcome says `status`.
async fn until_welcome_is(app: &TestApp, referral_id: &str, parent_ref: &str, status: DeliveryStatus) -> ParentProgress {
    // A failure's mark follows the status (the report is kept first): wait for both.
    let reached = app
        .eventually(|| async {
            let p = parent(app, referral_id, parent_ref).await;
            p.notices.iter().any(|n| n.kind == NoticeKind::Welcome && n.channel == NoticeChannel::Email && n.status == status)
                && p.reachable != status.failed()
        })
        .await;
    let p = parent(app, referral_id, parent_ref).await;
    assert!(reached, "welcome to {parent_ref} never {status:?}: {:?}", p.notices);
    p
}

#[tokio::test]
async fn a_bounced_welcome_marks_the_parent_unreachable_until_a_coordinator_corrects_the_address_and_the_court_is_told() {
    let app = spawn_app().await;
    // Given a referral whose parent A's address bounces and parent B's is delivered
    given_a_referral_to(&app, "CAF-2026-000801", BOUNCE, SUCCESS).await;

    // Then the progress record says what became of each welcome
    let a = until_welcome_is(&app, "CAF-2026-000801", "A", DeliveryStatus::Bounced).await;
    assert!(!a.reachable, "{a:?}");
    let b = until_welcome_is(&app, "CAF-2026-000801", "B", DeliveryStatus::Delivered).await;
    assert!(b.reachable);
    let json = app.get_referral("CAF-2026-000801").await.body;
    assert_eq!(json["parents"][0]["notices"][0]["status"], "bounced", "{json}");
    assert_eq!(json["parents"][0]["notices"][0]["channel"], "email", "{json}");
    assert_eq!(json["parents"][0]["reachable"], false, "{json}");

    // And the coordinators' dashboard lists parent A with the address on file and their adviser
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let dashboard = coordinator.get("/console/").await;
    assert!(dashboard.body.contains("Unreachable parents"), "{}", dashboard.body);
    assert!(dashboard.body.contains(BOUNCE) && dashboard.body.contains("Sam Adviser"), "{}", dashboard.body);
    assert!(!dashboard.body.contains(SUCCESS));

    // When the coordinator corrects the address (twice: the second changes nothing)
    let page = coordinator.get("/console/parents/CAF-2026-000801.A").await;
    assert!(page.body.contains("Emails to this address cannot be delivered"), "{}", page.body);
    // The timeline tells the email (and what became of it) from the text.
    assert!(page.body.contains("Email sent: welcome (bounced)") && page.body.contains("Text sent: welcome"), "{}", page.body);
    let bad = coordinator.post("/console/parents/CAF-2026-000801.A/email", &[("email", "not an address")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Enter an email address in the correct format"));
    let corrected = coordinator.post("/console/parents/CAF-2026-000801.A/email", &[("email", "alex.corrected@example.com")]).await;
    assert!(corrected.redirects_to("/console/parents/CAF-2026-000801.A?done=parent.email"), "{:?}", corrected.location);
    coordinator.get("/console/parents/CAF-2026-000801.A").await;
    let again = coordinator.post("/console/parents/CAF-2026-000801.A/email", &[("email", "alex.corrected@example.com")]).await;
    assert_eq!(again.status, 409);

    // Then the welcome goes to the corrected address once, and parent A is reachable and off the list
    assert!(
        app.eventually(|| async { !app.mail_to("alex.corrected@example.com").await.is_empty() }).await,
        "no welcome to the corrected address"
    );
    app.quiet().await;
    let resent = app.mail_to("alex.corrected@example.com").await;
    assert_eq!(resent.len(), 1, "{:?}", resent.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert!(resent[0].text.contains("/hub/"), "the welcome carries a Hub link");
    assert!(parent(&app, "CAF-2026-000801", "A").await.reachable);
    assert!(!coordinator.get("/console/").await.body.contains("Unreachable parents"));
    let trail = app.stack.shared.deps.store.audit_trail(app.now().to_zoned(jiff::tz::TimeZone::UTC).date()).await.unwrap();
    assert!(trail.iter().any(|e| e.action == "parent.email"), "the correction is audited");
    // And the parent is found by the corrected address when they ask for a new link
    let body = serde_json::to_vec(&json!({"email": "Alex.Corrected@example.com"})).unwrap();
    assert_eq!(app.send(reqwest::Method::POST, "/new-link", Some("application/json"), body).await.status, 202);
    assert!(
        app.eventually(|| async { app.mail_to("alex.corrected@example.com").await.len() == 2 }).await,
        "a new link by the corrected address"
    );

    // When the court's date passes with neither parent done
    app.stack.set_clock(Some(at("2027-01-30T08:00:00Z")));
    app.sweep(at("2027-01-30T08:00:00Z")).await;
    assert!(
        app.eventually(|| async { app.mail_to(FCA).await.iter().filter(|m| m.subject.contains("has not completed")).count() >= 2 }).await
    );

    // Then the notice about A says which email bounced and when; B's says nothing of the kind
    let notices: Vec<_> = app.mail_to(FCA).await.into_iter().filter(|m| m.subject.contains("has not completed")).collect();
    let about_a = notices.iter().find(|m| m.text.contains("Alex Hartley")).expect("a notice about A");
    assert!(
        about_a.text.contains("Emails to the parent's address did not reach them: the welcome email sent")
            && about_a.text.contains("(bounced)"),
        "{}",
        about_a.text
    );
    let about_b = notices.iter().find(|m| m.text.contains("Morgan Quill")).expect("a notice about B");
    assert!(!about_b.text.contains("did not reach them"), "{}", about_b.text);
}

#[tokio::test]
async fn a_complaint_after_delivery_marks_the_parent_unreachable_and_redelivered_reports_change_nothing() {
    let app = spawn_app().await;
    given_a_referral_to(&app, "CAF-2026-000802", COMPLAINT, SUCCESS).await;

    let a = until_welcome_is(&app, "CAF-2026-000802", "A", DeliveryStatus::Complained).await;
    assert!(!a.reachable);

    // When SES delivers the same report again, and a straggling delay after it
    let message_id = app.mail_to(COMPLAINT).await[0].message_id.clone();
    let mail = json!({"timestamp": "2026-11-28T10:00:00.000Z", "messageId": message_id, "destination": [COMPLAINT],
                      "tags": {"ses:configuration-set": [app.stack.shared.created.configuration_set.clone()]}});
    let complaint = json!({"eventType": "Complaint", "mail": mail, "complaint": {"complainedRecipients": [{"emailAddress": COMPLAINT}]}});
    let delay = json!({"eventType": "DeliveryDelay", "mail": mail, "deliveryDelay": {"timestamp": "2026-11-28T10:05:00.000Z"}});
    for (detail_type, detail) in [("Email Complaint Received", complaint), ("Email Delivery Delayed", delay)] {
        let event = json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type, "source": "aws.ses",
                           "account": "123456789012", "time": "2026-11-28T10:05:00Z", "region": "eu-west-2", "resources": [], "detail": detail});
        let (status, _, summary) = app.invoke("DeliveryStatusFunction", &event).await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["outcome"], "already-known", "{summary}");
    }

    // Then the record still says complained, once, and A is listed once
    let a = parent(&app, "CAF-2026-000802", "A").await;
    assert_eq!(
        a.notices
            .iter()
            .filter(|n| n.kind == NoticeKind::Welcome && n.channel == NoticeChannel::Email)
            .map(|n| n.status)
            .collect::<Vec<_>>(),
        [DeliveryStatus::Complained]
    );
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    assert_eq!(coordinator.get("/console/").await.body.matches(COMPLAINT).count(), 1);
}
