use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, BookingOutcome, Concern, CourseStore, FollowUpList, FollowUpOutcome, FollowUpRecording, ParentStore,
    SweepStore, WorkshopStore,
};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};

use super::referrals::attended;
use super::*;

#[tokio::test]
async fn the_referral_closes_when_every_parent_has_attended_and_is_then_due_for_erasure() {
    let store = store().await;
    let w1 = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    let w2 = open_workshop(&store, "2027-01-11T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let a = attended(&store, "R-1.A", &w1).await;
    assert_eq!((a.status, a.completed_at, a.attended), (ParentStatus::Completed, Some(w1.ends_at), Some(true)));
    assert_eq!(store.referral_mark(&rid("R-1")).await.map(|m| m.0), Some("CLOSING"));
    let now = at("2027-01-12T09:00:00Z");
    assert_eq!(store.referrals_to_close(now, None).await.unwrap().items, vec![rid("R-1")]);
    // B is still on the course: nothing closes, and the mark goes (B's own closing comes back here).
    assert_eq!(store.close_referral_if_done(&rid("R-1"), now, now, |_| event(now)).await.unwrap(), None);
    assert_eq!(store.referral_mark(&rid("R-1")).await, None);
    attended(&store, "R-1.B", &w2).await;
    let erase_at = now + SignedDuration::from_hours(365 * 24);
    let closed = store
        .close_referral_if_done(&rid("R-1"), now, erase_at, |ids| {
            assert_eq!(ids, vec![pid("R-1.A"), pid("R-1.B")]);
            event(now)
        })
        .await;
    let (status, e) = closed.unwrap().unwrap();
    assert_eq!(status, ReferralStatus::Completed);
    let written = store.outbox_events().await;
    assert_eq!(store.close_referral_if_done(&rid("R-1"), now, erase_at, |_| event(now)).await.unwrap(), None, "closed once");
    assert!(store.referrals_to_erase(now, None).await.unwrap().items.is_empty());
    assert_eq!(store.referrals_to_erase(erase_at, None).await.unwrap().items, vec![rid("R-1")]);
    assert_eq!(store.roster(&w1.workshop_id).await.unwrap(), vec![(a.parent_id.clone(), Some(true))]);
    needs_history!(store);
    assert_eq!(written.last(), e.as_ref(), "the closing's event, written with it");
}

#[tokio::test]
async fn attendance_recorded_again_is_a_replay_and_the_other_way_a_conflict() {
    let store = store().await;
    let w = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    let w2 = open_workshop(&store, "2027-01-20T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let p = store.parent(&p.parent_id).await.unwrap().unwrap();
    let missed = Attendance {
        workshop_id: w.workshop_id.clone(),
        attended: false,
        recorded_at: w.ends_at,
        completed_at: None,
        follow_up: None,
        due: Some(at("2027-01-15T00:00:00Z")),
    };
    assert_eq!(store.record_attendance(&p, &missed, &event(w.ends_at)).await.unwrap(), AttendanceOutcome::Recorded);
    assert_eq!(store.record_attendance(&p, &missed, &event(w.ends_at)).await.unwrap(), AttendanceOutcome::AlreadyRecorded);
    let came = Attendance { attended: true, completed_at: Some(w.ends_at), ..missed.clone() };
    assert_eq!(store.record_attendance(&p, &came, &event(w.ends_at)).await.unwrap(), AttendanceOutcome::Conflict);
    let after = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert_eq!((after.status, after.booking.is_none(), after.attended), (ParentStatus::DidNotAttend, true, Some(false)));
    assert_eq!(after.last_workshop.map(|b| b.workshop_id), Some(w.workshop_id.clone()));
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 1, "a seat used is not given back");
    // A parent who missed their workshop may book another.
    let outcome = store.book(&store.parent(&p.parent_id).await.unwrap().unwrap(), &w2, w.ends_at, None, &event(w.ends_at)).await.unwrap();
    assert!(matches!(outcome, BookingOutcome::Booked(_)));
    let stranger = Attendance { workshop_id: super::new_workshop_id(), ..missed };
    assert_eq!(store.record_attendance(&p, &stranger, &event(w.ends_at)).await.unwrap(), AttendanceOutcome::NotBooked);
}

#[tokio::test]
async fn a_follow_up_falls_overdue_is_flagged_once_and_takes_one_outcome() {
    let store = store().await;
    let w = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let a = attended(&store, "R-1.A", &w).await;
    let due_by = w.ends_at + SignedDuration::from_hours(42 * 24);
    assert_eq!(store.follow_ups(FollowUpList::Due, w.ends_at).await.unwrap().len(), 1);
    assert!(store.overdue_follow_ups(due_by - SignedDuration::from_secs(1), None).await.unwrap().items.is_empty());
    let late = due_by + SignedDuration::from_hours(1);
    assert_eq!(store.overdue_follow_ups(late, None).await.unwrap().items.len(), 1);
    assert!(store.mark_follow_up_overdue(&a.parent_id, &event(late)).await.unwrap());
    assert!(!store.mark_follow_up_overdue(&a.parent_id, &event(late)).await.unwrap());
    assert!(store.overdue_follow_ups(late, None).await.unwrap().items.is_empty(), "flagged once");
    assert_eq!(store.follow_ups(FollowUpList::Overdue, late).await.unwrap().len(), 1, "still listed as overdue");
    let FollowUpRecording::Recorded(entry) =
        store.record_follow_up(&a.parent_id, FollowUpOutcome::Reached, Some("fine"), late).await.unwrap()
    else {
        panic!("not recorded")
    };
    assert_eq!((entry.outcome, entry.completed_at, entry.notes.as_deref()), (Some(FollowUpOutcome::Reached), Some(late), Some("fine")));
    let replay = store.record_follow_up(&a.parent_id, FollowUpOutcome::Reached, Some("fine"), late).await.unwrap();
    assert_eq!(replay, FollowUpRecording::AlreadyRecorded(entry.clone()));
    let other = store.record_follow_up(&a.parent_id, FollowUpOutcome::Declined, None, late).await.unwrap();
    assert_eq!(other, FollowUpRecording::Conflict);
    assert_eq!(store.follow_ups(FollowUpList::Done, late).await.unwrap(), vec![entry]);
    assert!(store.follow_ups(FollowUpList::Overdue, late).await.unwrap().is_empty());
    let none = store.record_follow_up(&pid("R-1.B"), FollowUpOutcome::Reached, None, late).await.unwrap();
    assert_eq!(none, FollowUpRecording::NotFound);
    let record = store.progress(&rid("R-1")).await.unwrap().unwrap();
    assert_eq!(record.parents[0].follow_up.as_ref().and_then(|f| f.outcome.as_deref()), Some("reached"));
}

#[tokio::test]
async fn a_concern_is_stored_once_and_the_case_file_names_the_parents() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let p = pid("R-1.A");
    let concern = Concern {
        concern_id: pt4c_domain::ids::concern_id(&p, "tess@example.org", "worried"),
        parent_id: p.clone(),
        raised_by: "tess@example.org".into(),
        summary: "worried".into(),
        raised_at: received(),
    };
    assert!(store.raise_concern(&concern, &event(received())).await.unwrap());
    assert!(!store.raise_concern(&concern, &event(received())).await.unwrap());
    assert_eq!(store.concern(&p, &concern.concern_id).await.unwrap(), Some(concern));
    let file = store.case_file(&rid("R-1")).await.unwrap().unwrap();
    assert_eq!(file.case_number, "C1");
    assert_eq!(file.names.get(&p).map(String::as_str), Some("FirstA Parent"));
    assert_eq!(file.record.parents.len(), 2);
    assert!(store.case_file(&rid("R-9")).await.unwrap().is_none());
}
