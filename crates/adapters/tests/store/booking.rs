use pt4c_domain::ports::{BookingOutcome, ParentStore, SweepStore, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::BookingRefusal;

use super::*;

const STARTS: &str = "2027-01-10T10:00:00Z";

#[tokio::test]
async fn a_seventh_booking_is_refused_when_six_seats_are_taken() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    for i in 0..6 {
        with_referral(&store, &format!("R-{i}"), &format!("CASE{i}")).await;
        let p = ready_to_book(&store, &format!("R-{i}.A")).await;
        assert!(matches!(store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap(), BookingOutcome::Booked(_)));
    }
    with_referral(&store, "R-6", "CASE6").await;
    let seventh = ready_to_book(&store, "R-6.A").await;
    let outcome = store.book(&seventh, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    assert_eq!(outcome, BookingOutcome::Refused(BookingRefusal::WorkshopFull));
    let stored = store.workshop(&w.workshop_id).await.unwrap().unwrap();
    assert_eq!((stored.seats_taken, stored.booked_cases.len()), (6, 6));
    assert_eq!(store.parent(&seventh.parent_id).await.unwrap().unwrap().status, ParentStatus::ElearningCompleted);
}

#[tokio::test]
async fn parents_of_the_same_case_never_share_a_workshop() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    // Two referrals of one case: the roster place is per case, not per referral.
    with_referral(&store, "R-1", "ZW26P00123").await;
    with_referral(&store, "R-2", "ZW26P00123").await;
    let a = ready_to_book(&store, "R-1.A").await;
    let b = ready_to_book(&store, "R-1.B").await;
    let other = ready_to_book(&store, "R-2.A").await;
    assert!(matches!(store.book(&a, &w, booking_time(), None, &event(booking_time())).await.unwrap(), BookingOutcome::Booked(_)));
    for p in [&b, &other] {
        let outcome = store.book(p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
        assert_eq!(outcome, BookingOutcome::Refused(BookingRefusal::CoParentBooked));
    }
    assert_eq!(store.roster(&w.workshop_id).await.unwrap(), vec![(a.parent_id.clone(), None)]);
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 1);
}

#[tokio::test]
async fn a_booking_takes_a_seat_holds_the_parent_and_writes_its_event_together() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    let due = at("2027-01-08T10:00:00Z");
    let e = event(booking_time());
    let BookingOutcome::Booked(b) = store.book(&p, &w, booking_time(), Some(due), &e).await.unwrap() else { panic!("not booked") };
    assert_eq!((b.workshop_id.as_str(), b.booked_at), (w.workshop_id.as_str(), booking_time()));
    let after = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert_eq!((after.status, after.booking, after.due_at, after.rev), (ParentStatus::WorkshopBooked, Some(b), Some(due), p.rev + 1));
    assert_eq!(store.roster_places(&w.workshop_id).await, vec![("C1".to_owned(), p.parent_id.clone())]);
    needs_history!(store);
    assert_eq!(store.outbox_events().await.last(), Some(&e));
}

#[tokio::test]
async fn a_parent_holds_one_booking_at_a_time_and_a_replay_is_already_held() {
    let store = store().await;
    let w1 = open_workshop(&store, STARTS, 6).await;
    let w2 = open_workshop(&store, "2027-01-12T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    let BookingOutcome::Booked(b) = store.book(&p, &w1, booking_time(), None, &event(booking_time())).await.unwrap() else { panic!() };
    let events = store.outbox_events().await.len();
    // The caller's read is stale (no booking yet): the stored parent decides.
    let later = booking_time() + SignedDuration::from_mins(5);
    assert_eq!(store.book(&p, &w1, later, None, &event(later)).await.unwrap(), BookingOutcome::AlreadyHeld(b));
    assert_eq!(store.book(&p, &w2, later, None, &event(later)).await.unwrap(), BookingOutcome::Refused(BookingRefusal::AlreadyBooked));
    assert_eq!(store.outbox_events().await.len(), events, "a refusal writes no event");
    assert_eq!(store.workshop(&w1.workshop_id).await.unwrap().unwrap().seats_taken, 1);
}

#[tokio::test]
async fn a_parent_who_has_not_finished_the_elearning_cannot_book() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = store.parent(&pid("R-1.A")).await.unwrap().unwrap();
    let outcome = store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    assert_eq!(outcome, BookingOutcome::Refused(BookingRefusal::ElearningIncomplete));
}

#[tokio::test]
async fn a_cancelled_or_started_workshop_is_unavailable() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    let after_start = at(STARTS);
    let outcome = store.book(&p, &w, after_start, None, &event(after_start)).await.unwrap();
    assert_eq!(outcome, BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable));
    assert!(store.cancel_workshop(&w.workshop_id, "trainer ill", &event(booking_time()), booking_time()).await.unwrap());
    let outcome = store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    assert_eq!(outcome, BookingOutcome::Refused(BookingRefusal::WorkshopUnavailable));
}

#[tokio::test]
async fn a_release_for_an_older_booking_changes_nothing() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let first = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert!(store.release(&first, &w.workshop_id, Some(booking_time()), None, true, None).await.unwrap());
    // Booked again on the same workshop; the cancel link of the first booking comes late.
    let rebooked_at = booking_time() + SignedDuration::from_hours(1);
    let again = store.parent(&p.parent_id).await.unwrap().unwrap();
    store.book(&again, &w, rebooked_at, None, &event(rebooked_at)).await.unwrap();
    assert!(!store.release(&first, &w.workshop_id, Some(rebooked_at), None, true, None).await.unwrap());
    let now = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert_eq!(now.booking.map(|b| b.booked_at), Some(rebooked_at));
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 1);
}

#[tokio::test]
async fn a_release_gives_the_seat_and_the_case_place_back_so_a_co_parent_may_book() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let a = ready_to_book(&store, "R-1.A").await;
    let b = ready_to_book(&store, "R-1.B").await;
    store.book(&a, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let a = store.parent(&a.parent_id).await.unwrap().unwrap();
    let e = event(booking_time());
    let due = at("2026-12-08T10:00:00Z");
    assert!(store.release(&a, &w.workshop_id, Some(booking_time()), Some(&e), true, Some(due)).await.unwrap());
    let after = store.parent(&a.parent_id).await.unwrap().unwrap();
    assert_eq!((after.status, after.booking, after.due_at), (ParentStatus::ElearningCompleted, None, Some(due)));
    let written = store.outbox_events().await;
    let stored = store.workshop(&w.workshop_id).await.unwrap().unwrap();
    assert_eq!((stored.seats_taken, stored.booked_cases.len()), (0, 0));
    assert!(matches!(store.book(&b, &w, booking_time(), None, &event(booking_time())).await.unwrap(), BookingOutcome::Booked(_)));
    // Released twice: nothing more to give back.
    assert!(!store.release(&a, &w.workshop_id, Some(booking_time()), None, true, None).await.unwrap());
    needs_history!(store);
    assert_eq!(written.last(), Some(&e), "the release's event, written with it");
}

#[tokio::test]
async fn a_cancel_once_the_workshop_started_changes_nothing_but_a_coordinator_may_release() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let p = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert!(!store.release(&p, &w.workshop_id, Some(at(STARTS)), None, true, None).await.unwrap());
    assert_eq!(store.parent(&p.parent_id).await.unwrap().unwrap().status, ParentStatus::WorkshopBooked);
    assert!(store.release(&p, &w.workshop_id, None, None, false, None).await.unwrap());
    let after = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert_eq!((after.status, after.booking), (ParentStatus::WorkshopBooked, None), "rebook false keeps the status");
}

#[tokio::test]
async fn a_cancelled_workshop_is_listed_for_the_sweep_until_its_bookings_are_released() {
    let store = store().await;
    let w = open_workshop(&store, STARTS, 6).await;
    let now = booking_time();
    assert!(store.cancel_workshop(&w.workshop_id, "room flooded", &event(now), now).await.unwrap());
    assert!(!store.cancel_workshop(&w.workshop_id, "room flooded", &event(now), now).await.unwrap(), "cancelled once");
    assert_eq!(store.cancelled_workshops(now, None).await.unwrap().items, vec![w.workshop_id.clone()]);
    store.cancellation_released(&w.workshop_id).await.unwrap();
    assert!(store.cancelled_workshops(now, None).await.unwrap().items.is_empty());
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().status, WorkshopStatus::Cancelled);
}

#[tokio::test]
async fn workshops_are_listed_soonest_first_and_only_uuids_name_one() {
    let store = store().await;
    let later = open_workshop(&store, "2027-01-12T10:00:00Z", 6).await;
    let sooner = open_workshop(&store, STARTS, 6).await;
    let _outside = open_workshop(&store, "2027-02-12T10:00:00Z", 6).await;
    let listed = store.workshops(at("2027-01-01T00:00:00Z"), at("2027-02-01T00:00:00Z")).await.unwrap();
    assert_eq!(listed.iter().map(|w| &w.workshop_id).collect::<Vec<_>>(), vec![&sooner.workshop_id, &later.workshop_id]);
    assert!(store.workshop(&super::new_workshop_id()).await.unwrap().is_none(), "an id we never issued names nothing");
    assert!(store.create_workshop(&sooner, &super::published(&sooner)).await.is_err(), "a workshop id is taken once");
}
