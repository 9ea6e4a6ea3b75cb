//! The Parent Hub: opening it, setting up the account, asking for a fresh link.

use pt4c_app::hub;
use pt4c_app::links::LinkRefusal;
use pt4c_domain::link::Purpose;
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::{london_date, ParentId};

use crate::harness::*;

#[tokio::test]
async fn given_a_welcome_link_when_the_parent_opens_the_hub_then_nothing_changes() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let before = (t.parent(&a).await, t.outbox_events());

    let view = hub::open(&t, &t.hub_token(&a)).await.expect("the hub opens");

    assert_eq!((view.status, view.awaiting_activation, view.first_name.as_str()), (ParentStatus::Invited, true, "Alex"));
    assert_eq!(view.booking_url, None, "no booking before the e-learning");
    assert_eq!(view.module_titles.len(), 4);
    assert_eq!((t.parent(&a).await, t.outbox_events()), before, "a mail scanner fetching the link changes nothing");
}

#[tokio::test]
async fn given_an_invited_parent_when_they_activate_twice_then_one_activation_is_written_and_published() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let token = t.hub_token(&a);

    let first = hub::activate(&t, &token).await.expect("activated");
    t.advance(hours(1));
    let second = hub::activate(&t, &token).await.expect("a repeat answers the hub");

    assert_eq!((first.status, first.awaiting_activation), (ParentStatus::Activated, false));
    assert_eq!(second.status, ParentStatus::Activated);
    assert_eq!(t.parent(&a).await.activated_at, Some(start()), "the first activation's time is kept");
    assert_eq!(t.written("ParentActivated").len(), 1);
    assert_eq!(t.published("ParentActivated").len(), 1);
    assert!(t.pending_events().await.is_empty(), "published events leave the outbox");
}

#[tokio::test]
async fn given_a_welcome_link_past_its_expiry_when_opened_then_it_is_refused_as_expired() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let token = t.hub_token(&a);
    t.advance(t.timings().activation_link);

    let opened = hub::open(&t, &token).await;
    let activated = hub::activate(&t, &token).await;

    assert!(matches!(opened, Err(LinkRefusal::Expired { token: ref back }) if *back == token), "{opened:?}");
    assert!(matches!(activated, Err(LinkRefusal::Expired { .. })), "{activated:?}");
    assert_eq!(t.parent(&a).await.status, ParentStatus::Invited);
}

#[tokio::test]
async fn given_a_link_for_another_purpose_or_a_parent_no_longer_stored_when_opened_then_it_leads_nowhere() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let erased = ParentId::parse("CAF-2025-000001.A").expect("a parent id");

    assert!(matches!(hub::open(&t, &t.booking_token(&a)).await, Err(LinkRefusal::InvalidLink)));
    assert!(matches!(hub::open(&t, "not-a-token").await, Err(LinkRefusal::InvalidLink)));
    assert!(matches!(hub::open(&t, &t.hub_token(&erased)).await, Err(LinkRefusal::NotFound)));
}

#[tokio::test]
async fn given_the_elearning_is_done_when_the_hub_opens_then_it_offers_a_booking_link_that_verifies() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;

    let view = hub::open(&t, &t.hub_token(&a)).await.expect("the hub opens");

    assert_eq!(view.status, ParentStatus::ElearningCompleted);
    let url = view.booking_url.expect("a booking link");
    let token = url.strip_prefix(&format!("{BASE_URL}/book/")).expect("a booking url");
    assert_eq!(t.verify(token, Purpose::Booking).expect("valid for booking"), a);
    assert_eq!(view.elearning.modules.len(), 4);
}

#[tokio::test]
async fn given_a_parent_when_they_ask_for_new_links_then_a_few_a_day_are_sent_and_more_refused() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let token = t.hub_token(&a);

    for _ in 0..NEW_LINKS_PER_DAY {
        hub::ask_new_link(&t, &token).await.expect("a fresh link");
    }
    let one_more = hub::ask_new_link(&t, &token).await;

    assert!(matches!(one_more, Err(LinkRefusal::TooManyLinks)), "{one_more:?}");
    assert_eq!(t.written("LinkRequested").len(), NEW_LINKS_PER_DAY as usize);
    assert_eq!(t.published("LinkRequested").len(), NEW_LINKS_PER_DAY as usize);
    assert_eq!(t.link_requests(&a, london_date(t.now())).await, NEW_LINKS_PER_DAY);

    t.advance(days(1));
    hub::ask_new_link(&t, &token).await.expect("a new day, a new allowance");
}

#[tokio::test]
async fn given_an_expired_booking_link_when_the_parent_asks_for_a_new_one_then_it_is_sent() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let token = t.booking_token(&a);
    t.advance(t.timings().link_validity + hours(1));

    hub::ask_new_link(&t, &token).await.expect("an expired link may ask");

    let [pt4c_domain::events::DomainEvent::LinkRequested(asked)] = &t.written("LinkRequested")[..] else { panic!("one request") };
    assert_eq!(asked.parent_id, a);
    assert!(matches!(hub::ask_new_link(&t, "forged.token").await, Err(LinkRefusal::InvalidLink)));
}

#[tokio::test]
async fn given_a_withdrawn_referral_when_a_parent_asks_for_a_new_link_then_nothing_is_sent_and_the_answer_does_not_say_so() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    pt4c_app::referrals::withdraw(&t, &referral_id(), "family moved abroad").await.expect("withdrawn");

    hub::ask_new_link(&t, &t.hub_token(&a)).await.expect("the same answer as for an open course");

    assert!(t.written("LinkRequested").is_empty());
    assert_eq!(t.link_requests(&a, london_date(t.now())).await, 0);
    let view = hub::open(&t, &t.hub_token(&a)).await.expect("the hub still opens");
    assert_eq!((view.status, view.awaiting_activation), (ParentStatus::Withdrawn, false));
}
