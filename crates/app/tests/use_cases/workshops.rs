//! Workshops: the roster, and cancelling one with every booking on it.

use pt4c_app::booking::{self, BookRefusal};
use pt4c_app::workshops::{self, WorkshopRefusal};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{SweepStore, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{BookingRefusal, Workshop, WorkshopStatus};
use pt4c_domain::ParentId;

use crate::harness::*;

/// Three parents of three families booked on one workshop, first booked first.
async fn given_three_booked(t: &TestApp) -> (Workshop, Vec<ParentId>) {
    let w = t.given_a_workshop(days(3), 6).await;
    let mut parents = Vec::new();
    for n in 1..=3 {
        let (a, _) = t.given_another_referral(n).await;
        t.given_booked(&a, &w).await;
        parents.push(a);
        t.advance(mins(1));
    }
    (w, parents)
}

/// The parents each `WorkshopCancelled` written for one parent names (the workshop's own names none).
fn told(t: &TestApp) -> Vec<ParentId> {
    t.written("WorkshopCancelled")
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::WorkshopCancelled(c) if !c.parent_ids.is_empty() => Some(c.parent_ids),
            _ => None,
        })
        .flatten()
        .collect()
}

async fn still_to_release(t: &TestApp) -> usize {
    t.store.cancelled_workshops(t.now(), None).await.expect("store answers").items.len()
}

#[tokio::test]
async fn given_booked_parents_when_the_trainer_reads_the_roster_then_each_is_listed_with_their_details() {
    let t = app().await;
    let (w, parents) = given_three_booked(&t).await;

    let (read, roster) = workshops::with_roster(&t, &w.workshop_id).await.expect("a roster");

    assert_eq!(read.seats_taken, 3);
    let ids: Vec<&ParentId> = roster.iter().map(|r| &r.parent_id).collect();
    assert_eq!(ids, parents.iter().collect::<Vec<_>>(), "first booked first");
    assert_eq!((roster[0].name.as_str(), roster[0].email.as_str(), roster[0].attended), ("Alex Smith", "alex1@example.com", None));
    assert!(matches!(workshops::with_roster(&t, &pt4c_app::workshops::new_id()).await, Err(WorkshopRefusal::NotFound)));
}

#[tokio::test]
async fn given_booked_parents_when_the_workshop_is_cancelled_then_every_booking_is_released_with_one_event_per_parent() {
    let t = app().await;
    let (w, parents) = given_three_booked(&t).await;

    let done = workshops::cancel(&t, &w.workshop_id, "trainer unwell").await.expect("cancelled");

    assert_eq!((done.left, done.workshop.status, done.workshop.seats_taken), (0, WorkshopStatus::Cancelled, 0));
    assert_eq!(told(&t), parents);
    assert_eq!(t.written("WorkshopCancelled").len(), 4, "the workshop's own event and one per parent");
    assert_eq!(t.published("WorkshopCancelled").len(), 4);
    for p in &parents {
        let p = t.parent(p).await;
        assert_eq!((p.status, p.booking), (ParentStatus::ElearningCompleted, None), "free to book again");
    }
    assert!(t.roster_places(&w.workshop_id).await.is_empty());
    assert_eq!(still_to_release(&t).await, 0);
    let (c, _) = t.given_another_referral(9).await;
    t.given_elearning_done(&c).await;
    let refused = booking::book(&t, &t.parent(&c).await, &w.workshop_id).await;
    assert!(matches!(refused, Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable))), "{refused:?}");
}

#[tokio::test]
async fn given_a_release_that_fails_part_way_when_the_cancellation_is_repeated_then_it_finishes_without_telling_anyone_twice() {
    let t = app().await;
    let (w, parents) = given_three_booked(&t).await;
    t.fail_next("TransactWriteItems", Some("CASE#"));

    let cut_short = workshops::cancel(&t, &w.workshop_id, "venue closed").await.expect("cancelled");

    assert_eq!((cut_short.left, cut_short.workshop.status), (1, WorkshopStatus::Cancelled));
    assert_eq!(t.parent(&parents[0]).await.status, ParentStatus::WorkshopBooked, "the first release failed");
    assert_eq!(still_to_release(&t).await, 1, "the sweep would finish it");

    let finished = workshops::cancel(&t, &w.workshop_id, "venue closed").await.expect("repeated");

    assert_eq!(finished.left, 0);
    assert_eq!(t.parent(&parents[0]).await.booking, None);
    let mut told = told(&t);
    told.sort();
    assert_eq!(told, parents, "each parent told once");
    assert_eq!(t.written("WorkshopCancelled").len(), 4, "the workshop's own event once");
    assert_eq!(still_to_release(&t).await, 0);
}

#[tokio::test]
async fn given_a_release_whose_reply_was_lost_when_the_cancellation_is_repeated_then_the_parent_is_not_told_twice() {
    let t = app().await;
    let (w, parents) = given_three_booked(&t).await;
    t.fail_after_commit("TransactWriteItems", Some("CASE#"));

    let first = workshops::cancel(&t, &w.workshop_id, "venue closed").await.expect("cancelled");
    let again = workshops::cancel(&t, &w.workshop_id, "venue closed").await.expect("repeated");

    assert_eq!((first.left, again.left), (1, 0));
    assert_eq!(told(&t).len(), 3);
    // The lost reply's event was written with the release; the relay publishes it.
    let pending: Vec<&str> = t.pending_events().await.iter().map(|e| e.event.detail_type()).collect();
    assert_eq!(pending, ["WorkshopCancelled"]);
    assert_eq!(t.store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 0);
    assert_eq!(t.parent(&parents[0]).await.status, ParentStatus::ElearningCompleted);
}

#[tokio::test]
async fn given_an_unknown_workshop_when_cancelled_then_it_is_not_found() {
    let t = app().await;

    let refused = workshops::cancel(&t, &pt4c_app::workshops::new_id(), "typo").await;

    assert!(matches!(refused, Err(WorkshopRefusal::NotFound)), "{refused:?}");
    assert!(t.events().is_empty());
}
