//! Referrals: taking one from Cafcass (safe to repeat), withdrawing one, and finding a case's
//! referrals and the parents staff may open.

use pt4c_app::referrals::{self, ReferralRefusal, Taken};
use pt4c_app::{attendance, follow_ups, staff};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{FollowUpList, WorkshopStore};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::referral::CaseNumber;
use pt4c_domain::staff::{StaffMember, StaffRole};
use pt4c_domain::ReferralId;

use crate::harness::*;

#[tokio::test]
async fn given_a_new_referral_when_taken_then_its_parents_are_invited_with_one_event() {
    let t = app().await;
    let referral = t.parse_referral(referral_json());

    let taken = referrals::take(&t, &referral).await.expect("taken");

    let Taken::Created(record) = taken else { panic!("created: {taken:?}") };
    assert_eq!(record.parents.iter().map(|p| p.status).collect::<Vec<_>>(), [ParentStatus::Invited; 2]);
    let received = t.written("ReferralReceived");
    let [DomainEvent::ReferralReceived(e)] = &received[..] else { panic!("one ReferralReceived: {received:?}") };
    assert_eq!((e.parent_ids.clone(), e.received_at), (referral.parent_ids(), start()));
    assert_eq!(t.published("ReferralReceived").len(), 1);
    let a = t.parent(&referral.parent_ids()[0]).await;
    assert_eq!(
        (a.invited_at, a.due_at),
        (start(), Some(start() + t.timings().activation_reminder)),
        "first due for the activation reminder"
    );
}

#[tokio::test]
async fn given_a_referral_taken_when_the_same_content_comes_again_then_it_is_a_replay_of_the_record_as_it_is_now() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;
    let mut same = referral_json();
    same["caseNumber"] = " zw26p 00123 ".into();

    let replayed = referrals::take(&t, &t.parse_referral(same)).await.expect("a replay");

    let Taken::Replayed(record) = replayed else { panic!("replayed: {replayed:?}") };
    assert_eq!(record, referrals::progress(&t, &referral_id()).await.expect("the record"));
    assert_eq!(record.parents[0].status, ParentStatus::ElearningCompleted, "progress since is kept");
    assert_eq!(t.written("ReferralReceived").len(), 1);
}

#[tokio::test]
async fn given_a_referral_taken_when_its_id_comes_with_other_content_then_it_is_a_conflict_and_nothing_changes() {
    let t = app().await;
    t.given_a_referral().await;
    let mut other = referral_json();
    other["completeBy"] = "2027-02-26".into();

    let refused = referrals::take(&t, &t.parse_referral(other)).await;

    assert!(matches!(refused, Err(ReferralRefusal::Conflict)), "{refused:?}");
    assert_eq!(referrals::progress(&t, &referral_id()).await.unwrap().complete_by, "2027-01-29".parse().unwrap());
    assert_eq!(t.written("ReferralReceived").len(), 1);
}

#[tokio::test]
async fn given_one_parent_completed_when_the_referral_is_withdrawn_then_they_stay_completed_and_the_other_leaves_with_their_seat() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let wa = t.given_a_workshop(days(3), 6).await;
    let wb = t.given_a_workshop(days(20), 6).await;
    t.given_booked(&a, &wa).await;
    t.given_booked(&b, &wb).await;
    t.set_now(wa.ends_at);
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("attended");

    let record = referrals::withdraw(&t, &referral_id(), "court order varied").await.expect("withdrawn");
    let again = referrals::withdraw(&t, &referral_id(), "court order varied").await.expect("safe to repeat");

    assert_eq!(record.status, ReferralStatus::Withdrawn);
    assert_eq!(record.parents.iter().map(|p| p.status).collect::<Vec<_>>(), [ParentStatus::Completed, ParentStatus::Withdrawn]);
    assert_eq!(again, record);
    assert_eq!((t.parent(&b).await.booking, t.store.workshop(&wb.workshop_id).await.unwrap().unwrap().seats_taken), (None, 0));
    assert_eq!(t.roster_places(&wa.workshop_id).await.len(), 1, "the completed parent keeps their place on the roster");
    assert_eq!(t.written("ReferralWithdrawn").len(), 1);
    assert!(follow_ups::list(&t, FollowUpList::Due).await.unwrap().is_empty(), "nothing more is owed after a withdrawal");
}

#[tokio::test]
async fn given_a_closed_or_unknown_referral_when_withdrawn_then_it_is_refused() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let wa = t.given_a_workshop(days(3), 6).await;
    let wb = t.given_a_workshop(days(4), 6).await;
    t.given_booked(&a, &wa).await;
    t.given_booked(&b, &wb).await;
    t.set_now(wb.ends_at);
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("attended");
    attendance::record(&t, &wb.workshop_id, &b, true).await.expect("attended");

    let closed = referrals::withdraw(&t, &referral_id(), "too late").await;
    let unknown = referrals::withdraw(&t, &ReferralId::parse("CAF-2025-000001").unwrap(), "typo").await;

    assert!(matches!(closed, Err(ReferralRefusal::Closed)), "{closed:?}");
    assert!(matches!(unknown, Err(ReferralRefusal::NotFound)), "{unknown:?}");
    assert!(t.written("ReferralWithdrawn").is_empty());
}

#[tokio::test]
async fn given_two_referrals_of_one_case_when_its_number_is_typed_loosely_then_both_are_found_and_no_other() {
    let t = app().await;
    t.given_a_referral().await;
    let mut same_case = other_referral_json(1);
    same_case["caseNumber"] = "ZW26P00123".into();
    referrals::take(&t, &t.parse_referral(same_case)).await.expect("taken");
    t.given_another_referral(2).await;

    let found = referrals::find_case(&t, &CaseNumber::parse(" zw26p 00123").expect("a case number")).await.expect("found");

    assert_eq!(found, vec![referral_id(), ReferralId::parse("CAF-2026-900001").unwrap()]);
    let none = referrals::find_case(&t, &CaseNumber::parse("ZW26P00000").unwrap()).await.expect("answered");
    assert!(none.is_empty());
}

#[tokio::test]
async fn given_a_referral_when_each_role_lists_its_parents_then_only_those_they_may_open_are_listed() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&a, &w).await;
    let member = |email: &str, role| StaffMember { sub: "s-1".into(), email: email.into(), name: "Pat".into(), role };
    let listed = |m: StaffMember| {
        let t = &t;
        async move {
            let parents = staff::parents_of_referral(t, &m, &referral_id()).await.expect("listed");
            parents.into_iter().map(|p| p.parent_id).collect::<Vec<_>>()
        }
    };

    let coordinator = listed(member("cora@pt4c.test", StaffRole::Coordinator)).await;
    let adviser = listed(member("Sam.Adviser@cafcass.example", StaffRole::Cafcass)).await;
    let other_adviser = listed(member("other@cafcass.example", StaffRole::Cafcass)).await;
    let trainer = listed(member("tess@pt4c.test", StaffRole::Trainer)).await;
    let other_trainer = listed(member("toby@pt4c.test", StaffRole::Trainer)).await;

    assert_eq!(coordinator, vec![a.clone(), b.clone()]);
    assert_eq!(adviser, vec![a.clone(), b], "the adviser on the case");
    assert_eq!(trainer, vec![a], "only the parent on the trainer's roster");
    assert!(other_adviser.is_empty() && other_trainer.is_empty(), "{other_adviser:?} {other_trainer:?}");
}

#[tokio::test]
async fn given_two_families_named_smith_when_staff_search_by_name_then_each_finds_only_those_they_may_open() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let mut json = other_referral_json(1);
    json["familyCourtAdviser"] = serde_json::json!({"name": "Other Adviser", "email": "other@cafcass.example"});
    let other = t.parse_referral(json);
    referrals::take(&t, &other).await.expect("taken");
    let (c, d) = (other.parent_ids()[0].clone(), other.parent_ids()[1].clone());
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&c, &w).await;
    let member = |email: &str, role| StaffMember { sub: "s-1".into(), email: email.into(), name: "Pat".into(), role };
    let (coordinator, adviser, trainer) = (
        member("cora@pt4c.test", StaffRole::Coordinator),
        member("Sam.Adviser@cafcass.example", StaffRole::Cafcass),
        member("tess@pt4c.test", StaffRole::Trainer),
    );
    let found = |m: &StaffMember, q: &str| {
        let (t, m, q) = (&t, m.clone(), q.to_owned());
        async move { staff::parents_named(t, &m, &q).await.expect("found").into_iter().map(|p| p.parent_id).collect::<Vec<_>>() }
    };

    let everyone = found(&coordinator, "smith").await;
    let alexes = found(&coordinator, "  ALEX   smith ").await;
    let advised = found(&adviser, "Smith").await;
    let rostered = (found(&trainer, "alex smith").await, found(&trainer, "Jo Smith").await);
    let nobody = (found(&coordinator, "Robin Smith").await, found(&coordinator, "Smithson").await, found(&coordinator, " ").await);

    assert_eq!(everyone, vec![a.clone(), b.clone(), c.clone(), d]);
    assert_eq!(alexes, vec![a.clone(), c.clone()], "the first name must match too");
    assert_eq!(advised, vec![a, b], "the adviser's case only");
    assert_eq!(rostered, (vec![c], vec![]), "the trainer's roster only");
    assert_eq!(nobody, (vec![], vec![], vec![]));
}
