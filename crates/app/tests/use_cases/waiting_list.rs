//! The waiting list: joining and leaving it, seats held for the waiting parent with the earliest
//! court date, accepted, declined or left to expire.

use pt4c_app::waiting::{self, Answer, AnswerRefusal, Answered, WaitingError};
use pt4c_domain::events::{DomainEvent, LeftBecause};
use pt4c_domain::offering::TimeSlot;
use pt4c_domain::parent::{OfferRefusal, WaitingRefusal};
use pt4c_domain::ports::WorkshopStore;
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::ParentId;

use crate::harness::*;

/// Another family whose court date is `complete_by`; its parents (A online only, B either), e-learning done.
async fn given_a_family(t: &TestApp, n: u32, complete_by: &str) -> (ParentId, ParentId) {
    let mut json = other_referral_json(n);
    json["completeBy"] = complete_by.into();
    let (a, b) = t.given_referral(json).await;
    t.given_elearning_done(&a).await;
    t.given_elearning_done(&b).await;
    (a, b)
}

async fn given_waiting(t: &TestApp, parent: &ParentId) {
    let (_, new) = waiting::join(t, &t.booking_token(parent), vec![]).await.expect("joined");
    assert!(new);
}

/// The offer link's token, as the offer email carries it.
fn offer_token(t: &TestApp, parent: &pt4c_domain::ports::ParentRecord) -> String {
    let offer = parent.offer.as_ref().expect("a seat held");
    let (accept, _) = t.offer_links(&parent.parent_id, offer).expect("signed");
    accept.rsplit('/').nth(1).expect("a token").to_owned()
}

#[tokio::test]
async fn given_a_parent_with_e_learning_done_when_they_join_twice_and_leave_then_one_place_and_one_event_each() {
    let t = app().await;
    let (a, _) = given_a_family(&t, 1, "2027-02-01").await;

    let (place, new) = waiting::join(&t, &t.booking_token(&a), vec![TimeSlot::Weekend, TimeSlot::Weekend]).await.expect("joined");
    assert!(new);
    assert_eq!(place.times, vec![TimeSlot::Weekend]);
    let (_, again) = waiting::join(&t, &t.booking_token(&a), vec![]).await.expect("a repeat");
    assert!(!again, "a repeat changes nothing");
    assert_eq!(t.written("WaitingListJoined").len(), 1);

    assert!(waiting::leave(&t, &t.booking_token(&a)).await.expect("left"));
    assert!(!waiting::leave(&t, &t.booking_token(&a)).await.expect("a repeat"));
    assert!(t.parent(&a).await.waiting.is_none());
    assert_eq!(t.written("WaitingListLeft").len(), 1);
}

#[tokio::test]
async fn given_the_e_learning_not_done_or_a_booking_when_joining_then_refused() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let err = waiting::join(&t, &t.booking_token(&a), vec![]).await.unwrap_err();
    assert!(matches!(err, WaitingError::Rule(WaitingRefusal::NotReady)), "{err:?}");
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&b, &w).await;
    let err = waiting::join(&t, &t.booking_token(&b), vec![]).await.unwrap_err();
    assert!(matches!(err, WaitingError::Rule(WaitingRefusal::Booked)), "{err:?}");
}

#[tokio::test]
async fn given_three_waiting_when_a_seat_frees_then_it_is_held_for_the_earliest_court_date_that_fits_and_counts_as_taken() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 1).await;
    let (booked, _) = given_a_family(&t, 9, "2027-03-01").await;
    let (later, _) = given_a_family(&t, 1, "2027-04-01").await;
    let (sooner, _) = given_a_family(&t, 2, "2027-02-01").await;
    let (_, weekend_only) = given_a_family(&t, 3, "2027-01-15").await;
    let booking = t.given_booked(&booked, &w).await;
    given_waiting(&t, &later).await;
    given_waiting(&t, &sooner).await;
    waiting::join(&t, &t.booking_token(&weekend_only), vec![TimeSlot::Weekend]).await.expect("joined");
    assert_ne!(TimeSlot::of(w.starts_at), TimeSlot::Weekend, "the workshop is on a weekday");

    // When the booked parent cancels, the seat is offered.
    pt4c_app::booking::cancel(&t, &t.cancel_token(&booked, &booking)).await.expect("cancelled");
    assert_eq!(waiting::offer_seats(&t, &w.workshop_id).await.expect("offered"), 1);

    let held = t.parent(&sooner).await.offer.expect("held for the earliest court date whose times fit");
    assert_eq!(held.workshop_id, w.workshop_id);
    assert_eq!(held.hold_until, pt4c_domain::clock::to_the_second(t.now() + hours(24)));
    assert!(t.parent(&later).await.offer.is_none() && t.parent(&weekend_only).await.offer.is_none());
    let stored = t.store.workshop(&w.workshop_id).await.unwrap().unwrap();
    assert_eq!(stored.seats_left(), 0, "a held seat counts as taken");
    assert!(t.store.roster(&w.workshop_id).await.unwrap().is_empty(), "a held seat is not on the roster");
    // Nobody else books it, and it is never offered twice.
    let err = pt4c_app::booking::book(&t, &t.parent(&booked).await, &w.workshop_id).await.unwrap_err();
    assert!(format!("{err:?}").contains("WorkshopFull"), "{err:?}");
    assert_eq!(waiting::offer_seats(&t, &w.workshop_id).await.expect("nothing to offer"), 0);
    assert_eq!(t.written("OfferMade").len(), 1);
}

#[tokio::test]
async fn given_a_held_seat_when_accepted_then_booked_and_off_the_list_and_a_replay_is_the_same_booking() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 1).await;
    let (a, _) = given_a_family(&t, 1, "2027-02-01").await;
    given_waiting(&t, &a).await;
    waiting::offer_seats(&t, &w.workshop_id).await.expect("offered");
    let token = offer_token(&t, &t.parent(&a).await);

    let Answered::Booked(booking, true) = waiting::answer(&t, &token, Answer::Accept).await.expect("accepted") else { panic!("booked") };
    assert_eq!(booking.workshop_id, w.workshop_id);
    let parent = t.parent(&a).await;
    assert_eq!(parent.status, ParentStatus::WorkshopBooked);
    assert!(parent.waiting.is_none() && parent.offer.is_none());
    assert_eq!(t.store.roster(&w.workshop_id).await.unwrap(), vec![(a.clone(), None)]);
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 1, "the held seat became the booking");
    assert!(matches!(waiting::answer(&t, &token, Answer::Accept).await, Ok(Answered::Booked(_, false))), "a replay");
    assert_eq!(t.written("WorkshopBooked").len(), 1);
    assert_eq!(t.written("OfferAccepted").len(), 1);
    // Declining it afterwards changes nothing.
    assert!(matches!(waiting::answer(&t, &token, Answer::Decline).await, Err(AnswerRefusal::Offer(OfferRefusal::Gone))));
}

#[tokio::test]
async fn given_a_held_seat_when_declined_or_left_to_expire_then_it_goes_to_the_next_and_never_back() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 1).await;
    let (first, _) = given_a_family(&t, 1, "2027-02-01").await;
    let (second, _) = given_a_family(&t, 2, "2027-02-02").await;
    let (third, _) = given_a_family(&t, 3, "2027-02-03").await;
    for p in [&first, &second, &third] {
        given_waiting(&t, p).await;
    }
    waiting::offer_seats(&t, &w.workshop_id).await.expect("offered");
    let token = offer_token(&t, &t.parent(&first).await);

    assert_eq!(waiting::answer(&t, &token, Answer::Decline).await.expect("declined"), Answered::Declined);
    assert!(t.parent(&first).await.waiting.is_some(), "a parent who declines stays on the list");
    assert_eq!(waiting::offer_seats(&t, &w.workshop_id).await.expect("offered on"), 1);
    assert!(t.parent(&second).await.offer.is_some(), "the next in order, not the one who declined");

    // The second lets the hold run out.
    t.advance(hours(23));
    assert_eq!(waiting::end_holds(&t, t.now()).await.expect("swept"), 0, "not ended yet");
    t.advance(hours(1));
    assert_eq!(waiting::end_holds(&t, t.now()).await.expect("swept"), 1);
    assert_eq!(waiting::end_holds(&t, t.now()).await.expect("swept again"), 0, "once");
    assert!(t.parent(&second).await.offer.is_none());
    let expired = t.written("OfferExpired");
    assert!(matches!(&expired[..], [DomainEvent::OfferExpired(e)] if e.parent_id == second));
    waiting::offer_seats(&t, &w.workshop_id).await.expect("offered on");
    assert!(t.parent(&third).await.offer.is_some(), "then the third");
    let token = offer_token(&t, &t.parent(&third).await);
    // Past its hold, the link answers that it has expired.
    t.advance(hours(25));
    assert!(matches!(waiting::answer(&t, &token, Answer::Accept).await, Err(AnswerRefusal::Offer(OfferRefusal::Expired))));
}

#[tokio::test]
async fn given_a_seat_close_to_the_start_then_it_is_held_only_until_twelve_hours_before_and_not_at_all_later() {
    let t = app().await;
    let soon = t.given_a_workshop(hours(20), 1).await;
    let too_soon = t.given_a_workshop(hours(12), 1).await;
    let (a, _) = given_a_family(&t, 1, "2027-02-01").await;
    given_waiting(&t, &a).await;
    assert_eq!(waiting::offer_seats(&t, &too_soon.workshop_id).await.expect("nothing"), 0);
    assert_eq!(waiting::offer_seats(&t, &soon.workshop_id).await.expect("held"), 1);
    assert_eq!(t.parent(&a).await.offer.expect("held").hold_until, pt4c_domain::clock::to_the_second(t.now() + hours(8)));
}

#[tokio::test]
async fn given_co_parents_both_waiting_when_two_seats_free_then_only_one_of_them_is_held_a_seat_there() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 2).await;
    let (a, b) = given_a_family(&t, 1, "2027-02-01").await;
    let (other, _) = given_a_family(&t, 2, "2027-03-01").await;
    for p in [&a, &b, &other] {
        given_waiting(&t, p).await;
    }
    assert_eq!(waiting::offer_seats(&t, &w.workshop_id).await.expect("offered"), 2);
    let mut held = Vec::new();
    for p in [&a, &b, &other] {
        held.push(t.parent(p).await.offer.is_some());
    }
    assert_eq!(held.iter().filter(|h| **h).count(), 2);
    assert!(!(held[0] && held[1]), "co-parents never share a workshop, held or booked");
    assert!(held[2]);
}

#[tokio::test]
async fn given_a_parent_holding_a_seat_when_they_book_elsewhere_then_the_hold_is_given_back_and_they_leave_the_list() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 1).await;
    let elsewhere = t.given_a_workshop(days(12), 6).await;
    let (a, _) = given_a_family(&t, 1, "2027-02-01").await;
    given_waiting(&t, &a).await;
    waiting::offer_seats(&t, &w.workshop_id).await.expect("offered");

    pt4c_app::booking::book(&t, &t.parent(&a).await, &elsewhere.workshop_id).await.expect("booked elsewhere");
    assert!(waiting::parent_settled(&t, &a).await.expect("settled"));
    assert!(!waiting::parent_settled(&t, &a).await.expect("a redelivery"), "once");

    let parent = t.parent(&a).await;
    assert!(parent.offer.is_none() && parent.waiting.is_none());
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_left(), 1, "the held seat is free again");
    assert!(matches!(&t.written("WaitingListLeft")[..], [DomainEvent::WaitingListLeft(l)] if l.reason == LeftBecause::Booked));
    assert_eq!(t.written("OfferDeclined").len(), 1);
}

#[tokio::test]
async fn given_a_seat_held_on_a_workshop_when_it_is_cancelled_then_the_hold_is_given_back_and_the_parent_offered_the_next() {
    let t = app().await;
    let w = t.given_a_workshop(days(10), 1).await;
    let other = t.given_a_workshop(days(11), 1).await;
    let (a, _) = given_a_family(&t, 1, "2027-02-01").await;
    let (b, _) = given_a_family(&t, 2, "2027-03-01").await;
    given_waiting(&t, &a).await;
    given_waiting(&t, &b).await;
    waiting::offer_seats(&t, &w.workshop_id).await.expect("offered");
    waiting::offer_seats(&t, &other.workshop_id).await.expect("offered");
    assert_eq!(t.parent(&a).await.offer.expect("held").workshop_id, w.workshop_id);
    assert_eq!(t.parent(&b).await.offer.expect("held").workshop_id, other.workshop_id);

    pt4c_app::workshops::cancel(&t, &w.workshop_id, "Trainer unwell").await.expect("cancelled");
    assert_eq!(waiting::release_holds_on(&t, &w.workshop_id).await.expect("released"), 1);
    assert_eq!(waiting::release_holds_on(&t, &w.workshop_id).await.expect("again"), 0, "once");

    let parent = t.parent(&a).await;
    assert!(parent.offer.is_none() && parent.waiting.is_some(), "still waiting, holding nothing");
    assert!(matches!(&t.written("OfferExpired")[..], [DomainEvent::OfferExpired(e)] if e.parent_id == a));
    // When B declines the other workshop, A (the earlier court date) is offered it.
    let token = offer_token(&t, &t.parent(&b).await);
    waiting::answer(&t, &token, Answer::Decline).await.expect("declined");
    waiting::offer_seats(&t, &other.workshop_id).await.expect("offered on");
    assert_eq!(t.parent(&a).await.offer.expect("held").workshop_id, other.workshop_id);
}
