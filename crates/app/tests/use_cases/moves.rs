//! A coordinator moves a parent's booking to another workshop: one change, every booking rule.

use pt4c_app::booking::{self, BookRefusal};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::WorkshopStore;
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::BookingRefusal;

use crate::harness::*;

async fn seats_taken(t: &TestApp, w: &pt4c_domain::workshop::Workshop) -> u32 {
    t.store.workshop(&w.workshop_id).await.expect("store answers").expect("stored").seats_taken
}

#[tokio::test]
async fn given_a_booked_parent_when_moved_then_the_old_seat_is_free_the_new_one_taken_with_one_event() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let (from, to) = (t.given_a_workshop(days(3), 6).await, t.given_a_workshop(days(5), 6).await);
    t.given_booked(&a, &from).await;
    t.advance(hours(1));

    let (booking, new) = booking::move_booking(&t, &t.parent(&a).await, &to.workshop_id).await.expect("moved");

    assert!(new);
    assert_eq!((booking.workshop_id.clone(), booking.booked_at), (to.workshop_id.clone(), t.now()));
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.booking), (ParentStatus::WorkshopBooked, Some(booking)));
    assert_eq!((seats_taken(&t, &from).await, seats_taken(&t, &to).await), (0, 1));
    assert!(t.roster_places(&from.workshop_id).await.is_empty());
    assert_eq!(t.roster_places(&to.workshop_id).await.len(), 1);
    let moved = t.published("BookingMoved");
    assert!(matches!(&moved[..], [DomainEvent::BookingMoved(e)]
        if e.parent_id == a && e.from_workshop_id == from.workshop_id && e.to_workshop_id == to.workshop_id && e.moved_at == t.now()));
    assert!(t.written("BookingCancelled").is_empty() && t.written("WorkshopBooked").len() == 1, "a move, not a cancel and a booking");
}

#[tokio::test]
async fn given_the_target_full_when_moved_then_it_is_refused_and_nothing_changed() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let from = t.given_a_workshop(days(3), 6).await;
    let full = t.given_a_workshop(days(5), 1).await;
    t.given_booked(&a, &from).await;
    let (other, _) = t.given_another_referral(1).await;
    t.given_booked(&other, &full).await;
    let before = t.parent(&a).await;
    let events = t.events().len();

    let moved = booking::move_booking(&t, &before, &full.workshop_id).await;

    assert!(matches!(moved, Err(BookRefusal::Rule(BookingRefusal::WorkshopFull))), "{moved:?}");
    assert_eq!(t.parent(&a).await, before, "still booked where they were");
    assert_eq!((seats_taken(&t, &from).await, seats_taken(&t, &full).await), (1, 1));
    assert_eq!(t.events().len(), events);
}

#[tokio::test]
async fn given_a_co_parent_on_the_target_when_moved_then_the_coordinator_is_told_and_nothing_changed() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let (from, to) = (t.given_a_workshop(days(3), 6).await, t.given_a_workshop(days(5), 6).await);
    t.given_booked(&a, &from).await;
    t.given_booked(&b, &to).await;
    let before = t.parent(&a).await;

    let moved = booking::move_booking(&t, &before, &to.workshop_id).await;

    assert!(matches!(moved, Err(BookRefusal::Rule(BookingRefusal::CoParentBooked))), "{moved:?}");
    assert_eq!(t.parent(&a).await, before);
    assert_eq!((seats_taken(&t, &from).await, seats_taken(&t, &to).await), (1, 1));
    assert!(t.written("BookingMoved").is_empty());
}

#[tokio::test]
async fn given_a_move_made_when_it_is_replayed_then_the_same_booking_is_answered_and_nothing_written() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let (from, to) = (t.given_a_workshop(days(3), 6).await, t.given_a_workshop(days(5), 6).await);
    t.given_booked(&a, &from).await;
    let stale = t.parent(&a).await;
    let (booking, _) = booking::move_booking(&t, &stale, &to.workshop_id).await.expect("moved");
    let events = t.events().len();

    // Replayed with the parent as read before the move (a retried request), and as stored now.
    let again = booking::move_booking(&t, &stale, &to.workshop_id).await.expect("a replay");
    let fresh = booking::move_booking(&t, &t.parent(&a).await, &to.workshop_id).await.expect("a replay");

    assert_eq!((again, fresh), ((booking.clone(), false), (booking, false)));
    assert_eq!(t.events().len(), events);
    assert_eq!(seats_taken(&t, &to).await, 1);
}

#[tokio::test]
async fn given_a_reply_lost_after_the_move_when_retried_then_it_is_moved_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let (from, to) = (t.given_a_workshop(days(3), 6).await, t.given_a_workshop(days(5), 6).await);
    t.given_booked(&a, &from).await;
    let p = t.parent(&a).await;
    t.fail_after_commit("TransactWriteItems", None);

    assert!(booking::move_booking(&t, &p, &to.workshop_id).await.is_err());
    let (_, new) = booking::move_booking(&t, &p, &to.workshop_id).await.expect("the retry answers");

    assert!(!new);
    assert_eq!(t.written("BookingMoved").len(), 1);
    assert_eq!((seats_taken(&t, &from).await, seats_taken(&t, &to).await), (0, 1));
}

#[tokio::test]
async fn given_no_booking_when_moved_then_the_parent_is_booked() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let to = t.given_a_workshop(days(5), 6).await;
    t.given_elearning_done(&a).await;

    let (booking, new) = booking::move_booking(&t, &t.parent(&a).await, &to.workshop_id).await.expect("booked");

    assert!(new);
    assert_eq!(booking.workshop_id, to.workshop_id);
    assert_eq!(t.written("WorkshopBooked").len(), 1);
    assert!(t.written("BookingMoved").is_empty());
}

#[tokio::test]
async fn given_the_old_workshop_started_when_moved_then_it_is_unavailable() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let from = t.given_a_workshop(hours(2), 6).await;
    let to = t.given_a_workshop(days(5), 6).await;
    t.given_booked(&a, &from).await;
    t.advance(hours(3));

    let moved = booking::move_booking(&t, &t.parent(&a).await, &to.workshop_id).await;

    assert!(matches!(moved, Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable))), "{moved:?}");
    assert_eq!(seats_taken(&t, &to).await, 0);
}

#[tokio::test]
async fn given_the_target_edited_after_it_was_read_when_moved_then_the_booking_copies_the_edit() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let (from, to) = (t.given_a_workshop(days(3), 6).await, t.given_a_workshop(days(5), 6).await);
    t.given_booked(&a, &from).await;
    let edit = pt4c_domain::workshop::WorkshopEdit { location: Some("https://meet.test/new".into()), ..Default::default() };
    pt4c_app::workshops::edit(&t, &to.workshop_id, &edit).await.expect("edited");
    let p = t.parent(&a).await;
    // The store refuses a move onto the workshop as first read (before the edit)...
    let event = t.event(DomainEvent::BookingMoved(pt4c_domain::events::BookingMoved {
        parent_id: a.clone(),
        from_workshop_id: from.workshop_id.clone(),
        to_workshop_id: to.workshop_id.clone(),
        moved_at: t.now(),
    }));
    let stale = t.store.move_booking(&p, &to, t.now(), None, &event).await.expect("store answers");
    assert_eq!(stale, pt4c_domain::ports::BookingOutcome::Stale);

    // ...and the use case reads it again.
    let (booking, _) = booking::move_booking(&t, &p, &to.workshop_id).await.expect("moved");
    assert_eq!(booking.location, "https://meet.test/new");
}
