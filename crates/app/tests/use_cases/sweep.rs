//! The daily sweep: reminders once, the court's date, overdue follow-ups, unfinished
//! cancellations and erasure, however often it runs.

use std::collections::BTreeMap;

use pt4c_app::sweep::{sweep, Summary};
use pt4c_app::{attendance, referrals, workshops};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{PortError, WorkshopStore};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::sweep::Reminder;

use crate::harness::*;

async fn sweep_now(t: &TestApp) -> Summary {
    sweep(t, t.now(), None).await.expect("the sweep runs")
}

fn reminders(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[tokio::test]
async fn given_parents_invited_long_ago_when_the_sweep_runs_twice_then_each_reminder_is_raised_once() {
    let t = app().await;
    t.given_a_referral().await;
    t.advance(days(8));

    let first = sweep_now(&t).await;
    let second = sweep_now(&t).await;

    assert_eq!(first.parents_due, 2);
    assert_eq!(first.reminders, reminders(&[("activation-reminder", 2), ("elearning-reminder", 2)]));
    assert_eq!(first.events_published, 4);
    assert_eq!((second.parents_due, second.reminders.len(), second.events_published), (0, 0, 0));
    assert_eq!(t.written("ReminderDue").len(), 4);
}

#[tokio::test]
async fn given_the_bus_down_when_the_sweep_raises_reminders_then_they_wait_in_the_outbox_and_are_not_raised_again() {
    let t = app().await;
    t.given_a_referral().await;
    t.advance(days(3));
    t.bus.fail_next(PortError::Retryable("EventBridge unavailable".into()));

    let first = sweep_now(&t).await;
    let second = sweep_now(&t).await;

    assert_eq!((first.reminders, first.events_published), (reminders(&[("activation-reminder", 2)]), 0));
    assert_eq!(second.parents_due, 0);
    let pending: Vec<&str> = t.pending_events().await.iter().map(|e| e.event.detail_type()).collect();
    assert_eq!(pending, ["ReminderDue", "ReminderDue"], "left for the relay");
}

#[tokio::test]
async fn given_a_booked_parent_when_the_workshop_is_two_days_off_then_the_reminder_names_their_booking() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(10), 6).await;
    let booked = t.given_booked(&a, &w).await;
    t.set_now(w.starts_at - t.timings().workshop_reminder);

    let summary = sweep_now(&t).await;

    assert_eq!(summary.reminders.get("workshop-reminder"), Some(&1));
    let theirs: Vec<_> = t
        .written("ReminderDue")
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::ReminderDue(r) if r.parent_id == a => Some(r),
            _ => None,
        })
        .collect();
    let [r] = &theirs[..] else { panic!("one reminder for A: {theirs:?}") };
    assert_eq!(
        (r.reminder, r.workshop_id.as_ref(), r.booked_at),
        (Reminder::WorkshopReminder, Some(&w.workshop_id), Some(booked.booked_at))
    );
}

#[tokio::test]
async fn given_parents_past_the_courts_date_when_swept_twice_then_each_is_reported_once_and_a_seat_still_to_come_is_released() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let after_the_date = t.given_a_workshop(at("2027-02-05T10:00:00Z").duration_since(start()), 6).await;
    t.given_booked(&a, &after_the_date).await;
    t.set_now(at("2027-01-30T09:00:00Z"));

    let first = sweep_now(&t).await;
    let second = sweep_now(&t).await;

    assert_eq!((first.not_completed, first.referrals_closed, first.reminders.len()), (2, 1, 0));
    assert_eq!((second.not_completed, second.referrals_closed, second.parents_due), (0, 0, 0));
    let mut reported: Vec<_> = t
        .written("ParentNotCompleted")
        .into_iter()
        .filter_map(|e| match e {
            DomainEvent::ParentNotCompleted(n) => Some(n.parent_id),
            _ => None,
        })
        .collect();
    reported.sort();
    assert_eq!(reported, [a.clone(), b.clone()]);
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.booking), (ParentStatus::NotCompleted, None));
    assert_eq!(t.store.workshop(&after_the_date.workshop_id).await.unwrap().unwrap().seats_taken, 0);
    assert!(t.roster_places(&after_the_date.workshop_id).await.is_empty());
    assert_eq!(referrals::progress(&t, &referral_id()).await.unwrap().status, ReferralStatus::NotCompleted);
    assert!(t.written("ReferralCompleted").is_empty(), "Cafcass hears of a completion only");
}

#[tokio::test]
async fn given_a_follow_up_call_past_its_date_when_swept_twice_then_the_trainer_is_told_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    t.set_now(w.ends_at);
    attendance::record(&t, &w.workshop_id, &a, true).await.expect("attended");
    t.set_now(w.starts_at + t.timings().follow_up + hours(1));

    let first = sweep_now(&t).await;
    let second = sweep_now(&t).await;

    assert_eq!((first.follow_ups_overdue, second.follow_ups_overdue), (1, 0));
    let overdue = t.written("FollowUpOverdue");
    let [DomainEvent::FollowUpOverdue(f)] = &overdue[..] else { panic!("one FollowUpOverdue: {overdue:?}") };
    assert_eq!((&f.parent_id, f.workshop_id.as_str()), (&a, w.workshop_id.as_str()));
}

#[tokio::test]
async fn given_a_cancellation_cut_short_when_swept_then_the_remaining_bookings_are_released() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(3), 6).await;
    t.given_booked(&a, &w).await;
    t.fail_next("TransactWriteItems", Some("CASE#"));
    assert_eq!(workshops::cancel(&t, &w.workshop_id, "trainer unwell").await.expect("cancelled").left, 1);

    let summary = sweep_now(&t).await;

    assert_eq!(summary.cancellations_finished, 1);
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.booking), (ParentStatus::ElearningCompleted, None));
    assert_eq!(t.written("WorkshopCancelled").len(), 2, "the workshop's own event and A's");
    assert_eq!(sweep_now(&t).await.cancellations_finished, 0);
}

#[tokio::test]
async fn given_a_completed_referral_when_its_retention_has_ended_then_the_sweep_erases_it() {
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    let wa = t.given_a_workshop(days(3), 6).await;
    let wb = t.given_a_workshop(days(4), 6).await;
    t.given_booked(&a, &wa).await;
    t.given_booked(&b, &wb).await;
    t.set_now(wb.ends_at);
    attendance::record(&t, &wa.workshop_id, &a, true).await.expect("attended");
    attendance::record(&t, &wb.workshop_id, &b, true).await.expect("attended");
    let closed_at = t.now();
    t.set_now(closed_at + t.timings().retention - hours(1));
    assert_eq!(sweep_now(&t).await.referrals_erased, 0, "kept until the retention ends");
    t.set_now(closed_at + t.timings().retention);

    let summary = sweep_now(&t).await;

    assert_eq!(summary.referrals_erased, 1);
    assert!(summary.items_erased >= 3, "the referral, its parents and more: {summary:?}");
    assert!(matches!(referrals::progress(&t, &referral_id()).await, Err(referrals::ReferralRefusal::NotFound)));
    assert_eq!(t.referral_items(&referral_id()).await, 0);
    assert!(t.roster_places(&wa.workshop_id).await.is_empty(), "the case number leaves the roster too");
}
