use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::{EventPublisher, Mailer, NoticeClaim, NoticeLedger, Outbox, PortError};
use pt4c_memory::{MemoryBus, MemoryMailer};

use super::*;

async fn claimed(store: &DynamoStore, p: &ParentId, kind: NoticeKind) -> pt4c_domain::ClaimId {
    match store.claim(p, kind, "course", received()).await.unwrap() {
        NoticeClaim::Claimed { claim_id } => claim_id,
        other => panic!("not claimed: {other:?}"),
    }
}

#[tokio::test]
async fn a_notice_is_claimed_once_until_its_lease_ends() {
    let store = store_with_short_lease().await;
    let p = pid("R-1.A");
    let first = claimed(&store, &p, NoticeKind::Welcome).await;
    assert_eq!(store.claim(&p, NoticeKind::Welcome, "course", received()).await.unwrap(), NoticeClaim::InProgress);
    // Another kind, or another subject, is another email.
    claimed(&store, &p, NoticeKind::NewLink).await;
    assert!(matches!(store.claim(&p, NoticeKind::Welcome, "w1@1", received()).await.unwrap(), NoticeClaim::Claimed { .. }));
    store.expire_claims().await;
    let second = claimed(&store, &p, NoticeKind::Welcome).await;
    assert_ne!(first, second);
    // The first claimant, back late, neither records nor gives back the new claim.
    store.mark_sent(&p, NoticeKind::Welcome, "course", &first, "m-1", received()).await.unwrap();
    NoticeLedger::release(&*store, &p, NoticeKind::Welcome, "course", &first).await.unwrap();
    assert_eq!(store.claim(&p, NoticeKind::Welcome, "course", received()).await.unwrap(), NoticeClaim::InProgress);
    store.mark_sent(&p, NoticeKind::Welcome, "course", &second, "m-2", received()).await.unwrap();
    assert_eq!(store.notice_message_id(&p, NoticeKind::Welcome, "course").await.as_deref(), Some("m-2"));
}

#[tokio::test]
async fn a_lease_of_nothing_is_taken_over_at_once() {
    let store = store_with_claim_lease(std::time::Duration::ZERO).await;
    let p = pid("R-1.A");
    let first = claimed(&store, &p, NoticeKind::Welcome).await;
    let second = claimed(&store, &p, NoticeKind::Welcome).await;
    assert_ne!(first, second, "the second delivery takes the claim over with a claim of its own");
}

#[tokio::test]
async fn a_sent_notice_is_never_claimed_again_and_a_released_one_is_claimed_at_once() {
    let store = store_with_short_lease().await;
    let p = pid("R-1.A");
    let c = claimed(&store, &p, NoticeKind::Welcome).await;
    NoticeLedger::release(&*store, &p, NoticeKind::Welcome, "course", &c).await.unwrap();
    let c = claimed(&store, &p, NoticeKind::Welcome).await;
    store.mark_sent(&p, NoticeKind::Welcome, "course", &c, "m-1", received()).await.unwrap();
    store.expire_claims().await;
    assert_eq!(store.claim(&p, NoticeKind::Welcome, "course", received()).await.unwrap(), NoticeClaim::AlreadySent);
    NoticeLedger::release(&*store, &p, NoticeKind::Welcome, "course", &c).await.unwrap();
    assert_eq!(store.claim(&p, NoticeKind::Welcome, "course", received()).await.unwrap(), NoticeClaim::AlreadySent, "sent stays sent");
}

#[tokio::test]
async fn the_progress_record_lists_the_notices_sent_in_order_and_the_welcome_is_the_invitation() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let p = pid("R-1.A");
    for (kind, sent) in
        [(NoticeKind::Welcome, received()), (NoticeKind::NewLink, received()), (NoticeKind::ActivationReminder, at("2026-11-22T10:00:00Z"))]
    {
        let c = claimed(&store, &p, kind).await;
        store.mark_sent(&p, kind, "course", &c, "m", sent).await.unwrap();
    }
    claimed(&store, &p, NoticeKind::ElearningReminder).await;
    let record = store.progress(&rid("R-1")).await.unwrap().unwrap();
    let a = &record.parents[0];
    let kinds: Vec<_> = a.notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoticeKind::Welcome, NoticeKind::NewLink, NoticeKind::ActivationReminder], "only those sent");
    assert_eq!(a.invited_at, Some(received()));
    assert_eq!(record.parents[1].invited_at, None);
    assert_eq!(store.notices_sent(&p).await.len(), 3);
}

#[tokio::test]
async fn the_outbox_holds_each_event_until_it_is_delivered() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let first = store.outbox_events().await[0].clone();
    assert_eq!(store.pending(received(), 10).await.unwrap(), vec![first.clone()]);
    assert!(store.pending(received() - SignedDuration::from_secs(1), 10).await.unwrap().is_empty(), "created after");
    assert!(store.pending(received(), 0).await.is_err());
    store.delivered(&first.event_id).await.unwrap();
    assert!(store.pending(received(), 10).await.unwrap().is_empty());
    needs_history!(store);
    assert_eq!(store.outbox_events().await, vec![first], "the log keeps what was written");
}

#[tokio::test]
async fn a_fault_before_changes_nothing_and_one_after_the_commit_keeps_the_change() {
    let store = store().await;
    let r = referral("R-1", "C1");
    let e = event(received());
    // CreateReferral is one TransactWriteItems carrying the referral's key.
    store.fail_next("TransactWriteItems", Some("REFERRAL#R-1"));
    assert!(matches!(store.create_referral(&r, "h", received(), None, &e).await, Err(PortError::Retryable(_))));
    assert!(store.progress(&r.referral_id).await.unwrap().is_none());
    assert!(store.outbox_events().await.is_empty());
    store.fail_after_commit("TransactWriteItems", Some("REFERRAL#R-1"));
    assert!(store.create_referral(&r, "h", received(), None, &e).await.is_err());
    assert!(store.progress(&r.referral_id).await.unwrap().is_some(), "committed before the reply was lost");
    assert_eq!(store.pending_events().await, vec![e]);
}

#[tokio::test]
async fn the_mailer_and_the_bus_record_what_they_were_given_and_fail_when_told() {
    let mailer = MemoryMailer::new();
    let email = Email { to: vec!["a@example.org".into()], subject: "Hi".into(), text: "t".into(), html: "h".into(), attachments: vec![] };
    mailer.fail_next(PortError::Retryable("throttled".into()));
    assert!(mailer.send(&email).await.is_err());
    assert_eq!(mailer.send(&email).await.unwrap(), "memory-1");
    assert_eq!(mailer.sent_to("a@example.org"), vec![email.clone()]);
    assert_eq!(mailer.sent_emails().len(), 1);

    let bus = MemoryBus::new();
    let events = vec![event(received()), event(received())];
    bus.fail_next(PortError::Retryable("down".into()));
    assert!(bus.publish(&events).await.is_err());
    assert!(bus.published().is_empty());
    bus.publish(&events).await.unwrap();
    assert_eq!(bus.published(), events);
}
