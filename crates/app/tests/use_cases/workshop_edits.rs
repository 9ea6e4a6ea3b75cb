//! A coordinator edits a workshop: booked parents' copies follow, with one event per edit.

use pt4c_app::workshops::{self, EditRefusal};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::WorkshopStore;
use pt4c_domain::workshop::{Trainer, WorkshopEdit};

use crate::harness::*;

fn new_start(t: &TestApp) -> WorkshopEdit {
    WorkshopEdit { starts_at: Some(t.now() + days(6)), duration_minutes: Some(120), ..Default::default() }
}

#[tokio::test]
async fn given_booked_parents_when_the_start_is_edited_then_their_bookings_follow_and_one_event_is_written() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let (a, _) = t.given_a_referral().await;
    let booked = t.given_booked(&a, &w).await;
    let rev = t.parent(&a).await.rev;

    let after = workshops::edit(&t, &w.workshop_id, &new_start(&t)).await.expect("edited");

    assert_eq!((after.starts_at, after.ends_at, after.sequence), (t.now() + days(6), t.now() + days(6) + mins(120), 1));
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap(), after);
    let p = t.parent(&a).await;
    let copy = p.booking.clone().expect("still booked");
    assert_eq!((copy.starts_at, copy.ends_at, copy.booked_at), (after.starts_at, after.ends_at, booked.booked_at));
    assert!(p.rev > rev, "the parent's change is a change");
    assert!(p.due_at.is_some_and(|d| d > w.starts_at), "the workshop reminder follows the new start: {:?}", p.due_at);
    let events = t.published("WorkshopChanged");
    assert!(matches!(&events[..], [DomainEvent::WorkshopChanged(e)]
        if e.workshop_id == w.workshop_id && e.sequence == 1 && !e.trainer_changed));
}

#[tokio::test]
async fn given_an_edit_replayed_when_it_changes_nothing_then_nothing_is_written() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let edit = new_start(&t);
    let first = workshops::edit(&t, &w.workshop_id, &edit).await.expect("edited");

    let again = workshops::edit(&t, &w.workshop_id, &edit).await.expect("answered");

    assert_eq!(again, first);
    assert_eq!(t.written("WorkshopChanged").len(), 1);
}

#[tokio::test]
async fn given_seats_taken_when_the_capacity_goes_below_them_then_it_is_refused_and_nothing_changed() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    for n in 1..=3 {
        let (a, _) = t.given_another_referral(n).await;
        t.given_booked(&a, &w).await;
    }
    let stored = t.store.workshop(&w.workshop_id).await.unwrap();

    let refused = workshops::edit(&t, &w.workshop_id, &WorkshopEdit { capacity: Some(2), ..Default::default() }).await;
    let at_seats = workshops::edit(&t, &w.workshop_id, &WorkshopEdit { capacity: Some(3), ..Default::default() }).await;

    assert!(matches!(refused, Err(EditRefusal::CapacityBelowSeatsTaken { seats_taken: 3 })), "{refused:?}");
    assert_eq!(at_seats.expect("down to the seats taken").seats_left(), 0);
    assert_eq!(t.written("WorkshopChanged").len(), 1);
    assert_eq!(stored.map(|s| s.capacity), Some(6));
}

#[tokio::test]
async fn given_a_cancelled_started_or_unknown_workshop_when_edited_then_it_is_refused() {
    let t = app().await;
    let cancelled = t.given_a_workshop(days(3), 6).await;
    workshops::cancel(&t, &cancelled.workshop_id, "Venue closed").await.expect("cancelled");
    let started = t.given_a_workshop(hours(1), 6).await;
    t.advance(hours(2));
    let edit = WorkshopEdit { location: Some("Room 2".into()), ..Default::default() };

    let results = [
        workshops::edit(&t, &cancelled.workshop_id, &edit).await,
        workshops::edit(&t, &started.workshop_id, &edit).await,
        workshops::edit(&t, &pt4c_app::workshops::new_id(), &edit).await,
    ];

    assert!(matches!(results, [Err(EditRefusal::NotOpen), Err(EditRefusal::NotOpen), Err(EditRefusal::NotFound)]), "{results:?}");
    assert!(t.written("WorkshopChanged").is_empty());
}

#[tokio::test]
async fn given_a_new_trainer_when_edited_then_the_event_says_so_and_the_one_replaced_is_kept() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let sam: Trainer = serde_json::from_value(serde_json::json!({"name": "Sam Trainer", "email": "sam@pt4c.test"})).unwrap();

    let after = workshops::edit(&t, &w.workshop_id, &WorkshopEdit { trainer: Some(sam.clone()), ..Default::default() }).await.unwrap();

    assert_eq!(after.trainer, sam);
    let stored = t.store.workshop(&w.workshop_id).await.unwrap().unwrap();
    assert_eq!(stored.trainer_changed_by(1), Some(&w.trainer));
    assert!(matches!(&t.written("WorkshopChanged")[..], [DomainEvent::WorkshopChanged(e)] if e.trainer_changed));
}

#[tokio::test]
async fn given_a_booking_read_before_an_edit_when_it_is_written_then_it_is_made_on_the_edited_workshop() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let (a, _) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;
    let p = t.parent(&a).await;
    let edit = WorkshopEdit { location: Some("https://meet.test/moved".into()), ..Default::default() };
    workshops::edit(&t, &w.workshop_id, &edit).await.expect("edited");

    // The store refuses the booking of the workshop as read before the edit...
    let change = match p.book(&w, t.now(), t.timings()).expect("bookable") {
        pt4c_domain::BookingDecision::Book(c) => c,
        other => panic!("{other:?}"),
    };
    let stale = t.store.book(&p, &w, t.now(), change.due, &t.event(change.event)).await.expect("store answers");
    assert_eq!(stale, pt4c_domain::ports::BookingOutcome::Stale);
    // ...and the use case reads it again.
    let (booking, _) = pt4c_app::booking::book(&t, &p, &w.workshop_id).await.expect("booked");
    assert_eq!(booking.location, "https://meet.test/moved");
}
