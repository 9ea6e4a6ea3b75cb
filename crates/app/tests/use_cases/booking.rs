//! Booking a workshop: what a parent is offered, taking a seat, giving it back.

use pt4c_app::booking::{self, BookRefusal};
use pt4c_app::links::LinkRefusal;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{BookingRefusal, Mode};

use crate::harness::*;

#[tokio::test]
async fn given_a_coparent_booked_when_a_parent_is_offered_workshops_then_the_coparents_and_unsuitable_modes_are_left_out() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let coparents = t.given_a_workshop(days(3), 6).await;
    let in_person = t.given_a_workshop_in(days(4), 6, Mode::InPerson).await;
    let later = t.given_a_workshop(days(5), 6).await;
    t.given_booked(&b, &coparents).await;
    t.given_elearning_done(&a).await;

    let offer = booking::offer(&t, &t.booking_token(&a), &Default::default()).await.expect("an offer");

    let ids: Vec<&str> = offer.workshops.iter().map(|w| w.workshop_id.as_str()).collect();
    assert_eq!(ids, [later.workshop_id.as_str()], "A wants online only and never meets B");
    assert_eq!(offer.workshops[0].location, None, "an online workshop's joining link goes only to those booked");
    // B (either mode) is booked: nothing more is offered.
    assert!(booking::offer(&t, &t.booking_token(&b), &Default::default()).await.expect("an offer").workshops.is_empty());
    let (_, other) = t.given_another_referral(1).await;
    t.given_elearning_done(&other).await;
    let offer = booking::offer(&t, &t.booking_token(&other), &Default::default()).await.expect("an offer");
    assert_eq!(offer.workshops.len(), 3, "another family may book any");
    assert_eq!(offer.workshops[1].location.as_deref(), Some(in_person.location.as_str()));
}

#[tokio::test]
async fn given_the_elearning_not_done_when_offered_or_booking_then_nothing_is_offered_and_the_booking_refused() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;

    let offer = booking::offer(&t, &t.booking_token(&a), &Default::default()).await.expect("an offer");
    let booked = booking::book(&t, &t.parent(&a).await, &w.workshop_id).await;

    assert!(offer.workshops.is_empty());
    assert!(matches!(booked, Err(BookRefusal::Rule(BookingRefusal::ElearningIncomplete))), "{booked:?}");
    assert!(t.written("WorkshopBooked").is_empty());
}

#[tokio::test]
async fn given_six_seats_taken_when_a_seventh_parent_books_then_the_workshop_is_full() {
    let t = app().await;
    let w = t.given_a_workshop(days(3), 6).await;
    for n in 1..=6 {
        let (a, _) = t.given_another_referral(n).await;
        t.given_booked(&a, &w).await;
    }
    let (seventh, _) = t.given_another_referral(7).await;
    t.given_elearning_done(&seventh).await;

    let refused = booking::book(&t, &t.parent(&seventh).await, &w.workshop_id).await;

    assert!(matches!(refused, Err(BookRefusal::Rule(BookingRefusal::WorkshopFull))), "{refused:?}");
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 6);
    assert_eq!(t.parent(&seventh).await.status, ParentStatus::ElearningCompleted);
    assert!(
        booking::offer(&t, &t.booking_token(&seventh), &Default::default()).await.unwrap().workshops.is_empty(),
        "a full workshop is not offered"
    );
}

#[tokio::test]
async fn given_a_parent_booked_when_the_coparent_books_the_same_workshop_then_it_is_unavailable_never_coparent_booked() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&b, &w).await;
    t.given_elearning_done(&a).await;

    let refused = booking::book(&t, &t.parent(&a).await, &w.workshop_id).await;

    assert!(matches!(refused, Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable))), "{refused:?}");
    assert_eq!(t.roster_places(&w.workshop_id).await, vec![("ZW26P00123".to_owned(), b)]);
}

#[tokio::test]
async fn given_a_booking_when_the_same_request_comes_again_then_the_same_booking_is_returned_not_new() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_elearning_done(&a).await;
    let stale = t.parent(&a).await;
    let (first, new) = booking::book(&t, &stale, &w.workshop_id).await.expect("booked");
    t.advance(mins(5));

    let from_a_fresh_read = booking::book(&t, &t.parent(&a).await, &w.workshop_id).await.expect("a replay");
    let from_a_stale_read = booking::book(&t, &stale, &w.workshop_id).await.expect("a replay");

    assert!(new);
    assert_eq!(from_a_fresh_read, (first.clone(), false));
    assert_eq!(from_a_stale_read, (first, false), "the stored parent decides, not the caller's read");
    assert_eq!(t.written("WorkshopBooked").len(), 1);
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 1);
}

#[tokio::test]
async fn given_a_booking_when_the_parent_books_another_workshop_or_one_that_does_not_exist_then_it_is_refused() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let other = t.given_a_workshop(days(4), 6).await;
    t.given_booked(&a, &w).await;

    let again = booking::book(&t, &t.parent(&a).await, &other.workshop_id).await;
    let (c, _) = t.given_another_referral(1).await;
    t.given_elearning_done(&c).await;
    let unknown = booking::book(&t, &t.parent(&c).await, &pt4c_app::workshops::new_id()).await;

    assert!(matches!(again, Err(BookRefusal::Rule(BookingRefusal::AlreadyBooked))), "{again:?}");
    assert!(matches!(unknown, Err(BookRefusal::NoWorkshop)), "{unknown:?}");
}

#[tokio::test]
async fn given_a_booking_made_then_one_workshop_booked_event_is_written_published_and_cleared_from_the_outbox() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;

    let booked = t.given_booked(&a, &w).await;

    let written = t.written("WorkshopBooked");
    let [DomainEvent::WorkshopBooked(e)] = &written[..] else { panic!("one WorkshopBooked: {written:?}") };
    assert_eq!((&e.parent_id, e.workshop_id.as_str(), e.booked_at), (&a, w.workshop_id.as_str(), booked.booked_at));
    assert_eq!(t.published("WorkshopBooked"), written);
    assert!(t.pending_events().await.is_empty());
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.booking), (ParentStatus::WorkshopBooked, Some(booked)));
}

#[tokio::test]
async fn given_the_bus_down_when_a_parent_books_then_the_booking_stands_and_its_event_waits_in_the_outbox() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_elearning_done(&a).await;
    t.bus.fail_next(PortError::Retryable("EventBridge throttled".into()));

    let (booked, new) = booking::book(&t, &t.parent(&a).await, &w.workshop_id).await.expect("booked regardless");

    assert!(new);
    assert_eq!(t.parent(&a).await.booking, Some(booked));
    assert!(t.published("WorkshopBooked").is_empty());
    let pending: Vec<&str> = t.pending_events().await.iter().map(|e| e.event.detail_type()).collect();
    assert_eq!(pending, ["WorkshopBooked"], "left for the relay");
}

#[tokio::test]
async fn given_a_booking_when_cancelled_with_its_cancel_link_then_the_seat_goes_back_and_the_parent_may_book_again() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let booked = t.given_booked(&a, &w).await;

    let as_it_was = booking::cancel(&t, &t.cancel_token(&a, &booked)).await.expect("cancelled");

    assert_eq!(as_it_was.booking, Some(booked));
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.booking), (ParentStatus::ElearningCompleted, None));
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 0);
    assert!(t.roster_places(&w.workshop_id).await.is_empty());
    assert_eq!(t.written("BookingCancelled").len(), 1);
    assert_eq!(t.published("BookingCancelled").len(), 1);
    assert_eq!(booking::offer(&t, &t.booking_token(&a), &Default::default()).await.unwrap().workshops.len(), 1, "free to book again");
}

#[tokio::test]
async fn given_a_cancel_link_for_an_earlier_booking_when_used_on_the_current_one_then_it_is_stale() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let first = t.given_booked(&a, &w).await;
    let old_link = t.cancel_token(&a, &first);
    booking::cancel(&t, &old_link).await.expect("cancelled");
    t.advance(mins(1));
    let again = t.given_booked(&a, &w).await;

    let stale = booking::cancel(&t, &old_link).await;

    assert!(matches!(stale, Err(BookRefusal::StaleCancelLink)), "{stale:?}");
    assert_eq!(t.parent(&a).await.booking, Some(again.clone()));
    // The booking page's own link acts on the booking it shows.
    booking::cancel(&t, &t.booking_token(&a)).await.expect("cancelled from the booking page");
    let nothing = booking::cancel(&t, &t.cancel_token(&a, &again)).await;
    assert!(matches!(nothing, Err(BookRefusal::Rule(BookingRefusal::NotBooked))), "{nothing:?}");
}

#[tokio::test]
async fn given_the_workshop_started_when_the_parent_cancels_then_it_is_refused_and_the_seat_kept() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    let booked = t.given_booked(&a, &w).await;
    let link = t.cancel_token(&a, &booked);
    t.set_now(w.starts_at);

    let refused = booking::cancel(&t, &link).await;

    assert!(matches!(refused, Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable))), "{refused:?}");
    assert_eq!(t.parent(&a).await.booking, Some(booked));
    assert!(t.written("BookingCancelled").is_empty());
}

#[tokio::test]
async fn given_an_expired_booking_link_when_opened_then_it_is_refused_as_expired() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let token = t.booking_token(&a);
    t.set_now(at("2027-02-01T00:00:00Z"));

    let refused = booking::offer(&t, &token, &Default::default()).await;

    assert!(matches!(refused, Err(BookRefusal::Link(LinkRefusal::Expired { .. }))), "{refused:?}");
}
