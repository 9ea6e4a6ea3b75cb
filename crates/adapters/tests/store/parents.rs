use jiff::civil::date;
use pt4c_domain::ports::{Intake, ModuleRecording, ParentStore, ReferralStore};
use pt4c_domain::progress::ParentStatus;

use super::*;

#[tokio::test]
async fn a_referral_taken_twice_answers_with_the_first_content_hash() {
    let store = store().await;
    let r = referral("R-1", "C1");
    assert_eq!(store.create_referral(&r, "first", received(), None, &event(received())).await.unwrap(), Intake::Created);
    let again = store.create_referral(&r, "second", received(), None, &event(received())).await.unwrap();
    assert_eq!(again, Intake::AlreadyTaken { content_hash: "first".into() });
    assert_eq!(store.outbox_events().await.len(), 1, "no event for a replay");
    let contacts = store.contacts(&r.referral_id).await.unwrap().unwrap();
    assert_eq!(contacts.parents.iter().map(|p| p.parent_id.to_string()).collect::<Vec<_>>(), vec!["R-1.A", "R-1.B"]);
    let a = store.parent(&pid("R-1.A")).await.unwrap().unwrap();
    assert_eq!((a.status, a.invited_at, a.due_at, a.rev), (ParentStatus::Invited, received(), None, 0));
}

#[tokio::test]
async fn a_parent_is_activated_once() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let p = pid("R-1.A");
    let now = at("2026-11-21T08:00:00.600Z");
    let due = at("2026-11-27T10:00:00.750Z");
    assert!(store.activate(&p, now, Some(due), &event(now)).await.unwrap());
    assert!(!store.activate(&p, now, Some(due), &event(now)).await.unwrap());
    assert!(!store.activate(&pid("R-9.A"), now, None, &event(now)).await.unwrap(), "no such parent");
    let after = store.parent(&p).await.unwrap().unwrap();
    // The due-index keeps whole seconds, as DynamoDB's key does.
    assert_eq!(
        (after.status, after.activated_at, after.due_at, after.rev),
        (ParentStatus::Activated, Some(now), Some(at("2026-11-27T10:00:00Z")), 1)
    );
    assert_eq!(store.outbox_events().await.len(), 2, "the referral's and the one activation's");
}

#[tokio::test]
async fn fresh_links_are_counted_up_to_the_daily_limit() {
    let store = store().await;
    let p = pid("R-1.A");
    let day = date(2026, 11, 21);
    for _ in 0..3 {
        assert!(store.count_link_request(&p, day, 3, &event(received())).await.unwrap());
    }
    assert!(!store.count_link_request(&p, day, 3, &event(received())).await.unwrap());
    assert!(store.count_link_request(&p, date(2026, 11, 22), 3, &event(received())).await.unwrap(), "a new day");
    assert_eq!(store.link_requests(&p, day).await, 3);
    assert_eq!(store.outbox_events().await.len(), 4);
}

#[tokio::test]
async fn a_module_is_recorded_once_and_never_before_the_invitation() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let p = pid("R-1.A");
    let done = at("2026-11-21T10:00:00Z");
    assert_eq!(store.record_module(&p, &module("going-to-court"), done, &event(done)).await.unwrap(), ModuleRecording::Recorded);
    let later = done + SignedDuration::from_hours(1);
    assert_eq!(store.record_module(&p, &module("going-to-court"), later, &event(later)).await.unwrap(), ModuleRecording::AlreadyRecorded);
    let early = received() - SignedDuration::from_secs(1);
    assert_eq!(
        store.record_module(&p, &module("managing-emotions"), early, &event(early)).await.unwrap(),
        ModuleRecording::BeforeInvitation
    );
    // The same second as the invitation is not before it.
    assert_eq!(
        store.record_module(&p, &module("managing-emotions"), received(), &event(received())).await.unwrap(),
        ModuleRecording::Recorded
    );
    assert_eq!(store.record_module(&pid("R-9.A"), &module("x"), done, &event(done)).await.unwrap(), ModuleRecording::NoParent);
    let after = store.parent(&p).await.unwrap().unwrap();
    assert_eq!(after.modules.get(&module("going-to-court")), Some(&done));
    assert_eq!(after.rev, 0, "a module moves nothing in the due-index");
    assert_eq!(store.outbox_events().await.len(), 3);
}

#[tokio::test]
async fn the_elearning_starts_and_completes_once() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let p = pid("R-1.A");
    store.mark_elearning_started(&p).await.unwrap();
    assert_eq!(store.parent(&p).await.unwrap().unwrap().status, ParentStatus::ElearningStarted);
    let done = at("2026-11-25T10:00:00Z");
    let due = at("2026-12-02T10:00:00Z");
    assert!(store.complete_elearning(&p, done, Some(due), &event(done)).await.unwrap());
    assert!(!store.complete_elearning(&p, done, Some(due), &event(done)).await.unwrap());
    store.mark_elearning_started(&p).await.unwrap();
    let after = store.parent(&p).await.unwrap().unwrap();
    assert_eq!(
        (after.status, after.elearning_completed_at, after.due_at, after.rev),
        (ParentStatus::ElearningCompleted, Some(done), Some(due), 1)
    );
}

fn module(id: &str) -> pt4c_domain::ModuleId {
    pt4c_domain::ModuleId::parse(id).expect("a module id")
}
