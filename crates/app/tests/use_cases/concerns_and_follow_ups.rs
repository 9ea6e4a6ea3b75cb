//! Concerns a trainer raises about a parent, and the follow-up calls owed after a workshop.

use pt4c_app::concerns::{self, ConcernRefusal};
use pt4c_app::{attendance, follow_ups, referrals};
use pt4c_domain::ports::{FollowUpList, FollowUpOutcome, FollowUpRecording};
use pt4c_domain::ParentId;

use crate::harness::*;

const TRAINER: &str = "tess@pt4c.test";

#[tokio::test]
async fn given_a_concern_raised_when_the_same_concern_is_raised_again_then_it_is_stored_and_told_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let summary = "Said the children are being kept from school";

    let (first, raised) = concerns::raise(&t, &a, TRAINER.into(), summary.into()).await.expect("raised");
    t.advance(hours(1));
    let (again, raised_again) = concerns::raise(&t, &a, TRAINER.into(), summary.into()).await.expect("a replay");

    assert!(raised && !raised_again);
    assert_eq!(again, first, "the concern as first stored, at its first time");
    assert_eq!(t.written("ConcernRaised").len(), 1);
    assert_eq!(t.published("ConcernRaised").len(), 1);
    let (_, other) = concerns::raise(&t, &a, TRAINER.into(), "Another matter".into()).await.expect("raised");
    assert!(other, "another summary is another concern");
}

#[tokio::test]
async fn given_a_withdrawn_referral_when_a_concern_is_raised_then_it_still_reaches_the_adviser() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    referrals::withdraw(&t, &referral_id(), "withdrawn").await.expect("withdrawn");
    let stranger = ParentId::parse("CAF-2025-000001.A").expect("a parent id");

    let (_, raised) = concerns::raise(&t, &a, TRAINER.into(), "Threats made at the workshop".into()).await.expect("raised");
    let nobody = concerns::raise(&t, &stranger, TRAINER.into(), "Who?".into()).await;

    assert!(raised);
    assert_eq!(t.published("ConcernRaised").len(), 1);
    assert!(matches!(nobody, Err(ConcernRefusal::NoParent)), "{nobody:?}");
}

#[tokio::test]
async fn given_a_follow_up_owed_when_its_outcome_is_recorded_then_it_is_done_once_and_another_outcome_conflicts() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    t.set_now(w.ends_at);
    attendance::record(&t, &w.workshop_id, &a, true).await.expect("attended");
    t.advance(days(10));

    let recorded = follow_ups::record(&t, &a, FollowUpOutcome::Reached, Some("Going well")).await.expect("recorded");
    let replay = follow_ups::record(&t, &a, FollowUpOutcome::Reached, Some("Going well")).await.expect("a replay");
    let other = follow_ups::record(&t, &a, FollowUpOutcome::NoAnswer, None).await.expect("answered");
    let none_owed = follow_ups::record(&t, &b, FollowUpOutcome::Reached, None).await.expect("answered");

    let FollowUpRecording::Recorded(entry) = recorded else { panic!("recorded: {recorded:?}") };
    assert_eq!((entry.outcome, entry.completed_at), (Some(FollowUpOutcome::Reached), Some(t.now())));
    assert_eq!(replay, FollowUpRecording::AlreadyRecorded(entry.clone()));
    assert_eq!((other, none_owed), (FollowUpRecording::Conflict, FollowUpRecording::NotFound));
    let done = follow_ups::list(&t, FollowUpList::Done).await.expect("the list");
    assert_eq!(done.iter().map(|f| (&f.parent_id, f.notes.as_deref())).collect::<Vec<_>>(), [(&a, None)], "the notes stay with the record");
    assert!(follow_ups::list(&t, FollowUpList::Due).await.unwrap().is_empty());
}
