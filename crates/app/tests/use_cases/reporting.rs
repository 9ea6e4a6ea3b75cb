//! Management information: a small course's events counted into monthly summaries, once each.

use pt4c_app::{attendance, hub, reporting};
use pt4c_domain::reporting::{Month, MonthReport};

use crate::harness::*;

fn m(s: &str) -> Month {
    s.parse().expect("a month")
}

/// Counts every event written so far, in order, `times` over (as an at-least-once bus may deliver them).
async fn count_every_event(t: &TestApp, times: usize) {
    for _ in 0..times {
        for e in t.events() {
            reporting::record(t, &e).await.expect("counted");
        }
    }
}

async fn report(t: &TestApp, from: &str, to: &str) -> Vec<MonthReport> {
    reporting::report(t, m(from), m(to)).await.expect("read").expect("a range")
}

#[tokio::test]
async fn given_a_small_course_when_every_event_is_delivered_twice_then_each_is_counted_once() {
    let t = app().await;
    let invited = t.now();
    let (a, b) = t.given_a_referral().await;
    t.advance(days(1) + hours(2));
    hub::activate(&t, &t.hub_token(&a)).await.expect("A activates");
    t.advance(days(4));
    t.given_elearning_done(&a).await;
    t.given_elearning_done(&b).await;
    // Two workshops of 6 seats on 2 December; A on one, B on the other (co-parents apart).
    let wa = t.given_a_workshop(days(5), 6).await;
    let wb = t.given_a_workshop(days(5), 6).await;
    t.given_booked(&a, &wa).await;
    t.given_booked(&b, &wb).await;
    t.set_now(wb.ends_at + hours(1));
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("A attended");
    attendance::record(&t, &wb.workshop_id, &b, false).await.expect("B missed");

    count_every_event(&t, 2).await;

    let r = report(&t, "2026-11", "2026-12").await;
    let (nov, dec) = (&r[0], &r[1]);
    assert_eq!(nov.month, m("2026-11"));
    assert_eq!(nov.referrals_received, 1);
    assert_eq!((nov.activated, nov.activation_days), (1, (Some(1), Some(1))));
    assert_eq!(nov.elearning_completed, 2);
    assert_eq!(nov.elearning_days, (Some(5), Some(5)), "both five whole days after the invitation");
    let workshop_days = reporting::report(&t, m("2026-12"), m("2026-12")).await.unwrap().unwrap()[0].workshop_days;
    let expected = pt4c_domain::reporting::whole_days(invited, wa.starts_at);
    assert_eq!(workshop_days, (Some(expected), Some(expected)));
    assert_eq!((dec.attended, dec.missed), (1, 1));
    assert_eq!(dec.did_not_attend.map(|r| r.percent()), Some("50.0".into()));
    assert_eq!((dec.parents_completed, dec.parents_not_completed), (1, 0));
    assert_eq!((dec.seats_taken, dec.seat_capacity), (2, 12));
    assert_eq!(dec.seat_fill.map(|r| r.percent()), Some("16.7".into()));
    assert_eq!(nov.seat_capacity, 0, "workshops count in the month they start");
}

#[tokio::test]
async fn given_a_workshop_cancelled_then_it_leaves_the_seat_fill() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    count_every_event(&t, 1).await;
    let before = report(&t, "2026-11", "2026-11").await;
    assert_eq!((before[0].seats_taken, before[0].seat_capacity), (1, 6));

    pt4c_app::workshops::cancel(&t, &w.workshop_id, "Trainer ill").await.expect("cancelled");
    count_every_event(&t, 1).await;

    let after = report(&t, "2026-11", "2026-11").await;
    assert_eq!((after[0].seats_taken, after[0].seat_capacity, after[0].seat_fill), (0, 0, None));
}

#[tokio::test]
async fn given_a_backwards_or_too_long_range_then_it_is_refused_without_reading() {
    let t = app().await;
    assert!(reporting::report(&t, m("2026-12"), m("2026-11")).await.unwrap().is_err());
    assert!(reporting::report(&t, m("2020-01"), m("2026-11")).await.unwrap().is_err());
}
