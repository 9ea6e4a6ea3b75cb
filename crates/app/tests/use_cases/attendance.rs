//! Attendance: the trainer records whether each booked parent came.

use pt4c_app::attendance::{self, AttendanceRefusal};
use pt4c_app::{booking, follow_ups, referrals};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::FollowUpList;
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::workshop::{BookingRefusal, Workshop};
use pt4c_domain::ParentId;

use crate::harness::*;

/// Parents A and B booked on two workshops (never the same one), both now over.
async fn given_both_parents_went_to_workshops(t: &TestApp) -> (ParentId, Workshop, ParentId, Workshop) {
    let (a, b) = t.given_a_referral().await;
    let wa = t.given_a_workshop(days(3), 6).await;
    let wb = t.given_a_workshop(days(4), 6).await;
    t.given_booked(&a, &wa).await;
    t.given_booked(&b, &wb).await;
    t.set_now(wb.ends_at + hours(1));
    (a, wa, b, wb)
}

#[tokio::test]
async fn given_a_parent_who_attended_when_recorded_then_they_complete_at_the_end_and_a_follow_up_call_is_owed() {
    let t = app().await;
    let (a, wa, _, _) = given_both_parents_went_to_workshops(&t).await;

    let view = attendance::record(&t, &wa.workshop_id, &a, true).await.expect("recorded");

    assert_eq!(view.status, ParentStatus::Completed);
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.completed_at, p.attended), (ParentStatus::Completed, Some(wa.ends_at), Some(true)));
    let due = follow_ups::list(&t, FollowUpList::Due).await.expect("the list");
    assert_eq!(due.iter().map(|f| &f.parent_id).collect::<Vec<_>>(), [&a]);
    assert_eq!(due[0].due_by, wa.starts_at + t.timings().follow_up);
    assert_eq!(referrals::progress(&t, &referral_id()).await.unwrap().status, ReferralStatus::Open, "B has not finished");
    assert!(t.written("ReferralCompleted").is_empty());
}

#[tokio::test]
async fn given_both_parents_attended_when_the_second_is_recorded_then_the_referral_completes_once() {
    let t = app().await;
    let (a, wa, b, wb) = given_both_parents_went_to_workshops(&t).await;
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("recorded");

    attendance::record(&t, &wb.workshop_id, &b, true).await.expect("recorded");
    attendance::record(&t, &wb.workshop_id, &b, true).await.expect("a replay");

    assert_eq!(referrals::progress(&t, &referral_id()).await.unwrap().status, ReferralStatus::Completed);
    let completed = t.written("ReferralCompleted");
    let [DomainEvent::ReferralCompleted(e)] = &completed[..] else { panic!("one ReferralCompleted: {completed:?}") };
    assert_eq!(e.parent_ids, [a, b]);
    assert_eq!(t.published("ReferralCompleted").len(), 1);
    assert_eq!(t.written("WorkshopAttended").len(), 2, "the replay wrote nothing");
}

#[tokio::test]
async fn given_a_parent_who_was_absent_when_recorded_then_they_may_book_again() {
    let t = app().await;
    let (a, wa, _, _) = given_both_parents_went_to_workshops(&t).await;
    let next = t.given_a_workshop(days(7), 6).await;

    let view = attendance::record(&t, &wa.workshop_id, &a, false).await.expect("recorded");

    assert_eq!(view.status, ParentStatus::DidNotAttend);
    let p = t.parent(&a).await;
    assert_eq!((p.booking, p.last_workshop.map(|b| b.workshop_id)), (None, Some(wa.workshop_id.clone())));
    assert_eq!(t.written("WorkshopMissed").len(), 1);
    let offered = booking::offer(&t, &t.booking_token(&a), &Default::default()).await.expect("an offer");
    assert_eq!(offered.workshops.iter().map(|w| w.workshop_id.as_str()).collect::<Vec<_>>(), [next.workshop_id.as_str()]);
    let (_, new) = booking::book(&t, &t.parent(&a).await, &next.workshop_id).await.expect("booked again");
    assert!(new);
}

#[tokio::test]
async fn given_attendance_recorded_when_it_is_recorded_the_other_way_later_then_it_is_a_conflict() {
    let t = app().await;
    let (a, wa, b, wb) = given_both_parents_went_to_workshops(&t).await;
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("attended");
    attendance::record(&t, &wb.workshop_id, &b, false).await.expect("absent");

    let a_absent = attendance::record(&t, &wa.workshop_id, &a, false).await;
    let b_attended = attendance::record(&t, &wb.workshop_id, &b, true).await;

    assert!(matches!(a_absent, Err(AttendanceRefusal::Conflict)), "{a_absent:?}");
    assert!(matches!(b_attended, Err(AttendanceRefusal::Conflict)), "{b_attended:?}");
    assert_eq!((t.parent(&a).await.status, t.parent(&b).await.status), (ParentStatus::Completed, ParentStatus::DidNotAttend));
    // A replay of what was recorded is accepted.
    attendance::record(&t, &wb.workshop_id, &b, false).await.expect("a replay");
    assert_eq!(t.written("WorkshopMissed").len(), 1);
}

#[tokio::test]
async fn given_a_withdrawn_parent_when_attendance_is_recorded_then_they_are_closed() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    referrals::withdraw(&t, &referral_id(), "withdrawn by the court").await.expect("withdrawn");
    t.set_now(w.ends_at);

    let refused = attendance::record(&t, &w.workshop_id, &a, true).await;
    let never_booked = attendance::record(&t, &w.workshop_id, &b, true).await;

    assert!(matches!(refused, Err(AttendanceRefusal::ParentClosed(ParentStatus::Withdrawn))), "{refused:?}");
    assert!(matches!(never_booked, Err(AttendanceRefusal::ParentClosed(ParentStatus::Withdrawn))), "{never_booked:?}");
    assert!(t.written("WorkshopAttended").is_empty());
}

#[tokio::test]
async fn given_a_workshop_not_started_or_unknown_when_attendance_is_recorded_then_it_is_refused() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    let stranger = ParentId::parse("CAF-2025-000001.A").expect("a parent id");

    let early = attendance::record(&t, &w.workshop_id, &a, true).await;
    let no_workshop = attendance::record(&t, &pt4c_app::workshops::new_id(), &a, true).await;
    let no_parent = attendance::record(&t, &w.workshop_id, &stranger, true).await;

    assert!(matches!(early, Err(AttendanceRefusal::Rule(BookingRefusal::WorkshopUnavailable))), "{early:?}");
    assert!(matches!(no_workshop, Err(AttendanceRefusal::NoWorkshop)), "{no_workshop:?}");
    assert!(matches!(no_parent, Err(AttendanceRefusal::NoParent)), "{no_parent:?}");
    assert_eq!(t.parent(&a).await.status, ParentStatus::WorkshopBooked);
}

/// The port's `AlreadyRecorded` is "the same answer was recorded before"; both stores decide it
/// from the parent's status, which rebooking has moved on, so a replay is refused as not booked.
#[tokio::test]
async fn given_an_absent_parent_who_rebooked_when_the_trainer_replays_absent_then_it_is_accepted_as_a_replay() {
    let t = app().await;
    let (a, wa, _, _) = given_both_parents_went_to_workshops(&t).await;
    let next = t.given_a_workshop(days(7), 6).await;
    attendance::record(&t, &wa.workshop_id, &a, false).await.expect("absent");
    booking::book(&t, &t.parent(&a).await, &next.workshop_id).await.expect("booked again");

    let replay = attendance::record(&t, &wa.workshop_id, &a, false).await;

    assert!(matches!(replay, Ok(ref v) if v.status == ParentStatus::DidNotAttend), "{replay:?}");
    assert_eq!(t.written("WorkshopMissed").len(), 1);
}
