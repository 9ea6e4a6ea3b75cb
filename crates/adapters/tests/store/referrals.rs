use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, BookingOutcome, CourseStore, FollowUpDue, FollowUpList, ParentStore, ReferralStore, SweepStore,
    Withdrawal, WorkshopStore,
};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};

use super::*;

/// Parent `id`, booked on `w`, recorded as having attended it.
pub(crate) async fn attended(store: &DynamoStore, id: &str, w: &Workshop) -> ParentRecord {
    let p = ready_to_book(store, id).await;
    assert!(matches!(store.book(&p, w, booking_time(), None, &event(booking_time())).await.unwrap(), BookingOutcome::Booked(_)));
    let p = store.parent(&p.parent_id).await.unwrap().unwrap();
    let a = Attendance {
        workshop_id: w.workshop_id.clone(),
        attended: true,
        recorded_at: w.ends_at,
        completed_at: Some(w.ends_at),
        follow_up: Some(FollowUpDue {
            parent_id: p.parent_id.clone(),
            workshop_id: w.workshop_id.clone(),
            due_by: w.ends_at + SignedDuration::from_hours(42 * 24),
            name: "FirstA Parent".into(),
            phone: None,
        }),
        due: None,
    };
    assert_eq!(store.record_attendance(&p, &a, &event(w.ends_at)).await.unwrap(), AttendanceOutcome::Recorded);
    store.parent(&p.parent_id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_withdrawal_releases_seats_keeps_completed_parents_and_drops_follow_ups() {
    let store = store().await;
    let w1 = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    let w2 = open_workshop(&store, "2027-01-20T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let a = attended(&store, "R-1.A", &w1).await;
    let b = ready_to_book(&store, "R-1.B").await;
    store.book(&b, &w2, booking_time(), Some(at("2027-01-18T10:00:00Z")), &event(booking_time())).await.unwrap();
    let now = at("2027-01-12T09:00:00Z");
    let erase_at = now + SignedDuration::from_hours(365 * 24);
    let e = event(now);
    assert_eq!(store.withdraw(&rid("R-1"), "case closed", now, erase_at, &e).await.unwrap(), Withdrawal::Withdrawn);
    let b_after = store.parent(&b.parent_id).await.unwrap().unwrap();
    assert_eq!((b_after.status, b_after.booking, b_after.due_at), (ParentStatus::Withdrawn, None, None));
    assert_eq!(b_after.referral_status, ReferralStatus::Withdrawn);
    assert_eq!(store.workshop(&w2.workshop_id).await.unwrap().unwrap().seats_taken, 0);
    assert!(store.roster_places(&w2.workshop_id).await.is_empty());
    let a_after = store.parent(&a.parent_id).await.unwrap().unwrap();
    assert_eq!((a_after.status, a_after.rev), (ParentStatus::Completed, a.rev), "a completed parent is kept as they were");
    assert_eq!(store.roster_places(&w1.workshop_id).await.len(), 1);
    for list in [FollowUpList::Due, FollowUpList::Overdue] {
        assert!(store.follow_ups(list, now).await.unwrap().is_empty(), "{list:?}");
    }
    let written = store.outbox_events().await;
    assert_eq!(store.referral_mark(&rid("R-1")).await, Some(("ERASE", erase_at)));
    assert_eq!(store.withdraw(&rid("R-1"), "again", now, erase_at, &event(now)).await.unwrap(), Withdrawal::AlreadyWithdrawn);
    assert_eq!(store.withdraw(&rid("R-9"), "none", now, erase_at, &event(now)).await.unwrap(), Withdrawal::NotFound);
    needs_history!(store);
    assert_eq!(written.last(), Some(&e), "the withdrawal's event, written with it");
}

#[tokio::test]
async fn a_closed_referral_cannot_be_withdrawn() {
    let store = store().await;
    let w1 = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    let w2 = open_workshop(&store, "2027-01-11T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    attended(&store, "R-1.A", &w1).await;
    attended(&store, "R-1.B", &w2).await;
    let now = at("2027-01-12T09:00:00Z");
    let closed = store.close_referral_if_done(&rid("R-1"), now, now, |_| event(now)).await.unwrap();
    assert!(matches!(closed, Some((ReferralStatus::Completed, Some(_)))));
    assert_eq!(store.withdraw(&rid("R-1"), "late", now, now, &event(now)).await.unwrap(), Withdrawal::Closed);
}

#[tokio::test]
async fn a_cases_referrals_are_found_by_its_case_number_until_each_is_erased() {
    // Given two referrals under one case and a third under another
    let store = store().await;
    with_referral(&store, "R-1", "ZW26P00123").await;
    with_referral(&store, "R-2", "ZW26P00123").await;
    with_referral(&store, "R-3", "ZW26P00999").await;
    let case = |c: &str| pt4c_domain::referral::CaseNumber::parse(c).unwrap();
    // Taken again: the same lookup, not a second one.
    with_referral(&store, "R-1", "ZW26P00123").await;

    // When one of the case's referrals is erased
    let before = store.referrals_of_case(&case("zw26p 00123")).await.unwrap();
    let now = at("2027-01-12T09:00:00Z");
    store.withdraw(&rid("R-1"), "closed", now, now, &event(now)).await.unwrap();
    let items = store.referral_items(&rid("R-1")).await;
    let erased = store.erase_referral(&rid("R-1")).await.unwrap();

    // Then the case finds both before, only the other after; the lookup went with the referral
    assert_eq!(before, vec![rid("R-1"), rid("R-2")]);
    assert_eq!(erased, items + 3, "the referral's items, its case lookup and its parents' name lookups");
    assert_eq!(store.referrals_of_case(&case("ZW26P00123")).await.unwrap(), vec![rid("R-2")]);
    assert_eq!(store.referrals_of_case(&case("ZW26P00999")).await.unwrap(), vec![rid("R-3")]);
    assert!(store.referrals_of_case(&case("ZW26P00000")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_surnames_parents_are_found_however_it_is_typed_until_their_referral_is_erased() {
    // Given two referrals whose parents are all "Parent", and a third whose parent A is "van der Berg"
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    with_referral(&store, "R-2", "C2").await;
    let mut third = referral("R-3", "C3");
    third.parents[0].last_name = "van der Berg".into();
    store.create_referral(&third, &third.content_hash(), received(), None, &event(received())).await.unwrap();
    // Taken again: the same lookups, not second ones.
    with_referral(&store, "R-1", "C1").await;

    // When one referral is erased
    let before = store.parents_named(" PARENT ").await.unwrap();
    let now = at("2027-01-12T09:00:00Z");
    store.withdraw(&rid("R-1"), "closed", now, now, &event(now)).await.unwrap();
    store.erase_referral(&rid("R-1")).await.unwrap();

    // Then the surname found its parents before, only the other referrals' after; names match whole
    assert_eq!(before, ["R-1.A", "R-1.B", "R-2.A", "R-2.B", "R-3.B"].map(pid));
    assert_eq!(store.parents_named("parent").await.unwrap(), ["R-2.A", "R-2.B", "R-3.B"].map(pid));
    assert_eq!(store.parents_named("Van  der BERG").await.unwrap(), [pid("R-3.A")]);
    assert!(store.parents_named("Berg").await.unwrap().is_empty() && store.parents_named(" ").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_surname_finds_at_most_fifty_parents() {
    // Given 52 parents named "Parent"
    let store = store().await;
    for n in 0..26 {
        with_referral(&store, &format!("R-{n}"), "C1").await;
    }

    // When the surname is looked up
    let found = store.parents_named("Parent").await.unwrap();

    // Then one Query's worth is found
    assert_eq!(found.len(), pt4c_domain::referral::NAMED_AT_MOST);
}
