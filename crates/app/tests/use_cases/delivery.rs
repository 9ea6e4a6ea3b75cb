//! What became of each email: SES's reports kept on the notices, a failed address marking the
//! parent unreachable, and a coordinator's correction sending a fresh link once.

use pt4c_app::delivery::{correct_address, record_report, unreachable, CorrectionRefusal, ReportOutcome};
use pt4c_app::notices::{send_once, Sending};
use pt4c_app::referrals::progress;
use pt4c_domain::delivery::{DeliveryReport, DeliveryStatus, UnreachableReason};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::PortError;
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::ParentId;
use pt4c_memory::MemoryMailer;

use crate::harness::{app, mins, referral_id, TestApp};

fn welcome_to(address: &str) -> Email {
    Email { to: vec![address.into()], subject: "Welcome".into(), text: "t".into(), html: "h".into(), attachments: vec![] }
}

/// The parent's welcome sent; its SES message id.
async fn given_the_welcome_sent(t: &TestApp, parent: &ParentId) -> String {
    let address = t.parent(parent).await.email.as_str().to_owned();
    let mailer = MemoryMailer::new();
    let Sending::Sent { message_id } =
        send_once(&t.store, &mailer, parent, NoticeKind::Welcome, "referral", t.now(), &welcome_to(&address)).await.unwrap()
    else {
        panic!("sent")
    };
    message_id
}

fn report(message_id: &str, status: DeliveryStatus, t: &TestApp, unreachable: &[&str]) -> DeliveryReport {
    DeliveryReport {
        message_id: message_id.into(),
        status,
        at: t.now(),
        unreachable: unreachable.iter().map(|a| a.to_lowercase()).collect(),
    }
}

async fn status_of(t: &TestApp, parent: &ParentId) -> (Vec<DeliveryStatus>, bool) {
    let record = progress(t, &referral_id()).await.unwrap();
    let p = record.parents.iter().find(|p| &p.parent_id == parent).unwrap();
    (p.notices.iter().map(|n| n.status).collect(), p.reachable)
}

#[tokio::test]
async fn given_a_welcome_delivered_then_the_notice_says_so_and_a_late_delay_changes_nothing() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let id = given_the_welcome_sent(&t, &a).await;

    let delivered = record_report(&t, &report(&id, DeliveryStatus::Delivered, &t, &[])).await.unwrap();
    let late_delay = record_report(&t, &report(&id, DeliveryStatus::Delayed, &t, &[])).await.unwrap();

    assert_eq!(delivered, ReportOutcome::Recorded { unreachable: false });
    assert_eq!(late_delay, ReportOutcome::AlreadyKnown { unreachable: false });
    assert_eq!(status_of(&t, &a).await, (vec![DeliveryStatus::Delivered], true));
}

#[tokio::test]
async fn given_a_permanent_bounce_at_the_parents_address_then_they_are_unreachable_and_listed_once() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let id = given_the_welcome_sent(&t, &a).await;
    let address = t.parent(&a).await.email.as_str().to_owned();

    let first = record_report(&t, &report(&id, DeliveryStatus::Bounced, &t, &[&address])).await.unwrap();
    let again = record_report(&t, &report(&id, DeliveryStatus::Bounced, &t, &[&address])).await.unwrap();

    assert_eq!(first, ReportOutcome::Recorded { unreachable: true });
    assert_eq!(again, ReportOutcome::AlreadyKnown { unreachable: false }, "a redelivery marks nothing twice");
    assert_eq!(status_of(&t, &a).await, (vec![DeliveryStatus::Bounced], false));
    assert!(status_of(&t, &b).await.1, "the other parent is still reachable");
    let listed = unreachable(&t, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].parent_id.clone(), listed[0].unreachable.reason, listed[0].unreachable.kind),
        (a, UnreachableReason::Bounced, NoticeKind::Welcome)
    );
}

#[tokio::test]
async fn given_a_bounce_at_another_recipient_then_the_parent_stays_reachable() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let id = given_the_welcome_sent(&t, &a).await;

    record_report(&t, &report(&id, DeliveryStatus::Bounced, &t, &["court@example.org"])).await.unwrap();

    assert_eq!(status_of(&t, &a).await, (vec![DeliveryStatus::Bounced], true));
    assert!(unreachable(&t, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn given_a_report_before_its_notice_is_recorded_then_it_is_retried_and_at_last_ignored() {
    let t = app().await;
    t.given_a_referral().await;

    let early = record_report(&t, &report("not-yet", DeliveryStatus::Delivered, &t, &[])).await;
    assert!(matches!(early, Err(PortError::Retryable(_))), "{early:?}");

    let old = DeliveryReport { at: t.now() - mins(16), ..report("never-ours", DeliveryStatus::Delivered, &t, &[]) };
    assert_eq!(record_report(&t, &old).await.unwrap(), ReportOutcome::Ignored);
}

#[tokio::test]
async fn given_an_unreachable_parent_when_a_coordinator_corrects_the_address_then_one_fresh_link_follows() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let id = given_the_welcome_sent(&t, &a).await;
    let address = t.parent(&a).await.email.as_str().to_owned();
    record_report(&t, &report(&id, DeliveryStatus::Complained, &t, &[&address])).await.unwrap();
    let corrected = EmailAddress::parse("alex.smith@example.net").unwrap();

    correct_address(&t, &a, &corrected).await.unwrap();
    let twice = correct_address(&t, &a, &corrected).await;

    assert!(matches!(twice, Err(CorrectionRefusal::Unchanged)), "{twice:?}");
    assert_eq!(t.parent(&a).await.email, corrected);
    assert!(t.parent(&a).await.unreachable.is_none());
    assert!(unreachable(&t, 10).await.unwrap().is_empty());
    let links: Vec<_> = t
        .written("LinkRequested")
        .into_iter()
        .filter(|e| matches!(e, DomainEvent::LinkRequested(l) if l.parent_id == a && l.request_id.starts_with(pt4c_app::delivery::ADDRESS_CORRECTED)))
        .collect();
    assert_eq!(links.len(), 1, "one fresh link for one correction");
}
