//! A new Hub link by email address (`/new-link`): sent to a parent on the course with that
//! address, never said; counted per address and per client, known or not; audited by id.

use std::sync::Arc;
use std::time::Duration;

use pt4c_adapters::dynamo::DynamoStore;
use pt4c_app::new_link::{request_new_link, NewLinkRefusal};
use pt4c_app::App;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::StaffStore;
use pt4c_domain::recovery::ClientKey;
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::staff::{AuditOutcome, StaffRole};
use pt4c_domain::{london_date, ParentId};
use pt4c_memory::MemoryBus;

use crate::harness::*;

/// The app with the answer's floor set (zero: the tests run in milliseconds).
fn with_floor(t: &TestApp, floor: Duration) -> App<DynamoStore, MemoryBus> {
    let mut settings = (*t.app.settings).clone();
    settings.timings.new_link_answer_floor = jiff::SignedDuration::try_from(floor).expect("a short floor");
    App { settings: Arc::new(settings), ..t.app.clone() }
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("an email address")
}

fn client(ip: &str) -> ClientKey {
    ClientKey::of(Some(ip))
}

/// The parents a LinkRequested was written for, in order.
fn links_requested(t: &TestApp) -> Vec<ParentId> {
    t.written("LinkRequested")
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::LinkRequested(r) => Some(r.parent_id),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn given_a_parent_on_the_course_when_their_address_is_given_in_another_case_then_a_link_is_requested_for_them_and_audited() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let app = with_floor(&t, Duration::ZERO);

    let answer = request_new_link(&app, &email("  ALEX@Example.com "), &client("203.0.113.7")).await;

    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(links_requested(&t), vec![a.clone()]);
    assert_eq!(t.published("LinkRequested").len(), 1);
    let trail = t.store.audit_trail(london_date(t.now())).await.expect("the trail");
    assert_eq!(trail.len(), 1);
    let entry = &trail[0];
    assert_eq!((entry.actor.as_str(), entry.role, entry.outcome), ("public", StaffRole::Public, AuditOutcome::Done));
    assert_eq!(entry.parent_id.as_ref(), Some(&a));
    let shown = serde_json::to_string(entry).expect("an entry serialises");
    assert!(!shown.contains("alex") && !shown.contains("203.0.113"), "no address in the trail: {shown}");
}

#[tokio::test]
async fn given_an_unknown_address_when_given_then_the_answer_is_the_same_and_nothing_is_requested() {
    let t = app().await;
    t.given_a_referral().await;
    let app = with_floor(&t, Duration::ZERO);

    let answer = request_new_link(&app, &email("nobody@example.com"), &client("203.0.113.7")).await;

    assert!(answer.is_ok(), "{answer:?}");
    assert!(links_requested(&t).is_empty());
    let trail = t.store.audit_trail(london_date(t.now())).await.expect("the trail");
    assert_eq!(trail.iter().map(|e| (e.outcome, e.parent_id.clone())).collect::<Vec<_>>(), vec![(AuditOutcome::Done, None)]);
}

#[tokio::test]
async fn given_a_withdrawn_referral_when_a_parents_address_is_given_then_nothing_is_requested_and_the_answer_does_not_say_so() {
    let t = app().await;
    t.given_a_referral().await;
    pt4c_app::referrals::withdraw(&t, &referral_id(), "family moved abroad").await.expect("withdrawn");
    let app = with_floor(&t, Duration::ZERO);

    let answer = request_new_link(&app, &email("alex@example.com"), &client("203.0.113.7")).await;

    assert!(answer.is_ok(), "{answer:?}");
    assert!(links_requested(&t).is_empty(), "a closed course gets nothing");
}

#[tokio::test]
async fn given_three_requests_today_for_an_address_when_a_fourth_comes_then_it_is_refused_known_or_not() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let app = with_floor(&t, Duration::ZERO);

    for address in ["alex@example.com", "nobody@example.com"] {
        for n in 0..3 {
            let answer = request_new_link(&app, &email(address), &client(&format!("198.51.100.{n}"))).await;
            assert!(answer.is_ok(), "{address} #{n}: {answer:?}");
        }
        let fourth = request_new_link(&app, &email(&address.to_uppercase()), &client("198.51.100.99")).await;
        assert!(matches!(fourth, Err(NewLinkRefusal::TooManyRequests)), "{address}: {fourth:?}");
    }

    assert_eq!(links_requested(&t), vec![a.clone(), a.clone(), a.clone()], "three links, none for the refused");
    // The next day in England, the address may ask again.
    t.advance(days(1));
    assert!(request_new_link(&app, &email("alex@example.com"), &client("198.51.100.1")).await.is_ok());
    assert_eq!(links_requested(&t).len(), 4);
}

#[tokio::test]
async fn given_a_client_that_asked_its_hourly_allowance_when_it_asks_again_then_it_is_refused_until_the_next_hour() {
    let t = app().await;
    t.given_a_referral().await;
    let app = with_floor(&t, Duration::ZERO);
    let max = t.timings().new_link_requests_per_client;
    let one = client("192.0.2.1");

    for n in 0..max {
        let answer = request_new_link(&app, &email(&format!("someone{n}@example.com")), &one).await;
        assert!(answer.is_ok(), "#{n}: {answer:?}");
    }
    let refused = request_new_link(&app, &email("alex@example.com"), &one).await;
    let other_client = request_new_link(&app, &email("alex@example.com"), &client("192.0.2.2")).await;

    assert!(matches!(refused, Err(NewLinkRefusal::TooManyRequests)), "{refused:?}");
    assert!(other_client.is_ok(), "another client is not held back: {other_client:?}");
    assert_eq!(links_requested(&t).len(), 1, "the refused request sent nothing, and used none of the address's allowance");
    t.advance(hours(1));
    assert!(request_new_link(&app, &email("jo@example.com"), &one).await.is_ok(), "the next hour");
}

#[tokio::test]
async fn given_the_parents_own_daily_limit_is_reached_when_their_address_is_given_then_the_answer_is_still_the_same() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let app = with_floor(&t, Duration::ZERO);
    for _ in 0..NEW_LINKS_PER_DAY {
        pt4c_app::hub::send_new_link(&t, &a).await.expect("a link sent from the Hub");
    }

    let answer = request_new_link(&app, &email("alex@example.com"), &client("203.0.113.7")).await;

    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(links_requested(&t).len(), NEW_LINKS_PER_DAY as usize, "no link past the parent's own limit");
    let trail = t.store.audit_trail(london_date(t.now())).await.expect("the trail");
    assert_eq!((trail[0].outcome, trail[0].parent_id.as_ref()), (AuditOutcome::Refused, Some(&a)));
}

#[tokio::test]
async fn given_a_floor_when_a_known_and_an_unknown_address_are_given_then_neither_answers_sooner() {
    let t = app().await;
    t.given_a_referral().await;
    let floor = Duration::from_millis(40);
    let app = with_floor(&t, floor);

    for address in ["alex@example.com", "nobody@example.com"] {
        let began = std::time::Instant::now();
        request_new_link(&app, &email(address), &client("203.0.113.7")).await.expect("taken");
        assert!(began.elapsed() >= floor, "{address} answered after {:?}", began.elapsed());
    }
}
