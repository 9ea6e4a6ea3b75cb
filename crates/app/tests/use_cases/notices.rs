//! Notices: each email at most once per (parent, kind, subject), and never lost to a failed send.

use pt4c_app::notices::{send_once, Sending};
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::PortError;
use pt4c_memory::MemoryMailer;

use crate::harness::app;

fn email() -> Email {
    Email {
        to: vec!["parent@example.org".into()],
        subject: "Your workshop".into(),
        text: "t".into(),
        html: "h".into(),
        attachments: vec![],
    }
}

#[tokio::test]
async fn given_an_email_sent_when_the_same_notice_is_delivered_again_then_nothing_more_is_sent() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let mailer = MemoryMailer::new();

    let first = send_once(&t.store, &mailer, &a, NoticeKind::Welcome, "referral", t.now(), &email()).await.unwrap();
    let again = send_once(&t.store, &mailer, &a, NoticeKind::Welcome, "referral", t.now(), &email()).await.unwrap();

    assert!(matches!(first, Sending::Sent { .. }), "{first:?}");
    assert_eq!(again, Sending::AlreadySent);
    assert_eq!(mailer.sent().len(), 1);
}

#[tokio::test]
async fn given_the_mailer_refuses_when_the_delivery_is_retried_then_the_email_is_sent_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let mailer = MemoryMailer::new();
    mailer.fail_next(PortError::Retryable("Throttling".into()));

    let refused = send_once(&t.store, &mailer, &a, NoticeKind::Welcome, "referral", t.now(), &email()).await;
    let retried = send_once(&t.store, &mailer, &a, NoticeKind::Welcome, "referral", t.now(), &email()).await.unwrap();

    assert!(refused.is_err(), "the failure is the delivery's, to be retried");
    assert!(matches!(retried, Sending::Sent { .. }), "the claim was given back: {retried:?}");
    assert_eq!(mailer.sent().len(), 1);
}

#[tokio::test]
async fn given_another_subject_of_the_same_kind_then_it_is_its_own_email() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let mailer = MemoryMailer::new();

    send_once(&t.store, &mailer, &a, NoticeKind::NewLink, "request-1", t.now(), &email()).await.unwrap();
    send_once(&t.store, &mailer, &a, NoticeKind::NewLink, "request-2", t.now(), &email()).await.unwrap();

    assert_eq!(mailer.sent().len(), 2);
}
