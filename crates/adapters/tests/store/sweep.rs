use pt4c_domain::ports::{ParentStore, ReferralStore, SweepChange, SweepStore, Withdrawal, WorkshopStore};
use pt4c_domain::progress::ParentStatus;

use super::referrals::attended;
use super::*;

fn first_due() -> Timestamp {
    received() + SignedDuration::from_hours(48)
}

/// Parents the sweep reads to a page of the due-index (the store's `PAGE`; it has no smaller).
const PAGE: usize = 100;

#[tokio::test]
async fn the_sweep_reads_the_parents_due_by_now_a_page_at_a_time() {
    // Two pages and one more parent: 101 referrals of two parents, one parent moved out.
    let store = store().await;
    let referrals = PAGE + 1;
    for i in 0..referrals {
        with_referral(&store, &format!("R-{i:03}"), &format!("C{i}")).await;
    }
    // One parent moved later: not due yet.
    let moved = pid("R-001.B");
    store.activate(&moved, received(), Some(first_due() + SignedDuration::from_hours(1)), &event(received())).await.unwrap();
    assert!(store.due_parents(first_due() - SignedDuration::from_secs(1), None).await.unwrap().items.is_empty());
    let mut seen = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let p = store.due_parents(first_due(), page).await.unwrap();
        pages += 1;
        seen.extend(p.items.iter().map(|d| (d.parent_id.to_string(), d.due_at, d.rev)));
        match p.next {
            Some(n) => page = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let ids: Vec<_> = seen.iter().map(|s| s.0.as_str()).collect();
    let due: Vec<_> = (0..referrals).flat_map(|i| [format!("R-{i:03}.A"), format!("R-{i:03}.B")]).filter(|p| *p != "R-001.B").collect();
    assert_eq!(ids, due.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(seen.iter().all(|s| s.1 == first_due() && s.2 == 0));
    assert!(store.due_parents(first_due(), Some("garbage".into())).await.is_err());
}

#[tokio::test]
async fn a_sweep_change_is_refused_when_the_parent_changed_since_it_was_read() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let read = store.due_parents(first_due(), None).await.unwrap().items.remove(0);
    store.activate(&read.parent_id, first_due(), Some(first_due()), &event(first_due())).await.unwrap();
    let next = first_due() + SignedDuration::from_hours(120);
    let change = SweepChange {
        parent_id: read.parent_id.clone(),
        rev: read.rev,
        next_due: Some(next),
        not_completed: false,
        release: None,
        now: first_due(),
    };
    let events_before = store.outbox_events().await.len();
    assert!(!store.apply_sweep(&change, &[event(first_due())]).await.unwrap());
    assert_eq!(store.outbox_events().await.len(), events_before, "nothing written");
    let current = store.parent(&read.parent_id).await.unwrap().unwrap();
    let change = SweepChange { rev: current.rev, ..change };
    let reminder = event(first_due());
    assert!(store.apply_sweep(&change, std::slice::from_ref(&reminder)).await.unwrap());
    let after = store.parent(&read.parent_id).await.unwrap().unwrap();
    assert_eq!((after.due_at, after.rev), (Some(next), current.rev + 1));
    needs_history!(store);
    assert_eq!(store.outbox_events().await.last(), Some(&reminder));
}

#[tokio::test]
async fn a_parent_not_completed_gives_up_their_seat_and_marks_the_referral_for_closing() {
    let store = store().await;
    let w = open_workshop(&store, "2027-02-10T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let p = store.parent(&p.parent_id).await.unwrap().unwrap();
    let now = at("2027-01-30T08:00:00Z");
    let booking = p.booking.clone().unwrap();
    let change = SweepChange {
        parent_id: p.parent_id.clone(),
        rev: p.rev,
        next_due: None,
        not_completed: true,
        release: Some((booking, "C1".into())),
        now,
    };
    assert!(store.apply_sweep(&change, &[event(now)]).await.unwrap());
    let after = store.parent(&p.parent_id).await.unwrap().unwrap();
    assert_eq!((after.status, after.booking, after.due_at), (ParentStatus::NotCompleted, None, None));
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 0);
    assert_eq!(store.referral_mark(&rid("R-1")).await, Some(("CLOSING", now)));
    assert_eq!(store.referrals_to_close(now, None).await.unwrap().items, vec![rid("R-1")]);
}

#[tokio::test]
async fn a_seat_already_given_back_does_not_stop_the_parent_closing() {
    let store = store().await;
    let w = open_workshop(&store, "2027-02-10T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    let p = ready_to_book(&store, "R-1.A").await;
    store.book(&p, &w, booking_time(), None, &event(booking_time())).await.unwrap();
    let p = store.parent(&p.parent_id).await.unwrap().unwrap();
    let booking = p.booking.clone().unwrap();
    // A coordinator's release that left the parent as read (its change raced the sweep's read).
    assert!(store.release(&p, &w.workshop_id, None, None, false, None).await.unwrap());
    let now = at("2027-01-30T08:00:00Z");
    let current = store.parent(&p.parent_id).await.unwrap().unwrap();
    let change = SweepChange {
        parent_id: p.parent_id.clone(),
        rev: current.rev,
        next_due: None,
        not_completed: true,
        release: Some((booking, "C1".into())),
        now,
    };
    assert!(store.apply_sweep(&change, &[]).await.unwrap());
    assert_eq!(store.parent(&p.parent_id).await.unwrap().unwrap().status, ParentStatus::NotCompleted);
    assert_eq!(store.workshop(&w.workshop_id).await.unwrap().unwrap().seats_taken, 0, "not given back twice");
}

#[tokio::test]
async fn a_referral_is_erased_with_its_roster_places_once_marked_for_erasure() {
    let store = store().await;
    let w = open_workshop(&store, "2027-01-10T10:00:00Z", 6).await;
    with_referral(&store, "R-1", "C1").await;
    with_referral(&store, "R-2", "C2").await;
    attended(&store, "R-1.A", &w).await;
    let now = at("2027-01-12T09:00:00Z");
    // Withdrawn: due for erasure at the end of retention (here, at once).
    assert_eq!(store.withdraw(&rid("R-1"), "closed", now, now, &event(now)).await.unwrap(), Withdrawal::Withdrawn);
    let items = store.referral_items(&rid("R-1")).await;
    assert_eq!(items, 4, "referral, two parents, a follow-up");
    assert_eq!(store.referrals_to_erase(now, None).await.unwrap().items, vec![rid("R-1")]);
    assert_eq!(store.erase_referral(&rid("R-1")).await.unwrap(), items + 4, "and the roster place, the case and two name lookups");
    assert!(store.progress(&rid("R-1")).await.unwrap().is_none());
    assert!(store.roster_places(&w.workshop_id).await.is_empty());
    assert!(store.stored_workshop(&w.workshop_id).await.unwrap().booked_cases.is_empty());
    assert_eq!(store.erase_referral(&rid("R-1")).await.unwrap(), 0);
    assert!(store.progress(&rid("R-2")).await.unwrap().is_some(), "other referrals untouched");
}

#[tokio::test]
async fn erasing_a_referral_not_marked_for_erasure_keeps_the_referral_item() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    // As DynamoDB's erasure: the other items (parents, case and name lookups) go first; the referral only with its mark.
    assert_eq!(store.erase_referral(&rid("R-1")).await.unwrap(), 5);
    assert_eq!(store.referral_items(&rid("R-1")).await, 1);
    assert!(store.parent(&pid("R-1.A")).await.unwrap().is_none());
}

#[tokio::test]
async fn a_parent_is_not_closed_by_the_sweep_once_their_referral_awaits_erasure() {
    let store = store().await;
    with_referral(&store, "R-1", "C1").await;
    let now = at("2027-01-30T08:00:00Z");
    // A referral withdrawn after the sweep read its parent: the parent's rev moved too.
    let read = store.parent(&pid("R-1.A")).await.unwrap().unwrap();
    store.withdraw(&rid("R-1"), "closed", now, now, &event(now)).await.unwrap();
    let change = SweepChange { parent_id: read.parent_id.clone(), rev: read.rev, next_due: None, not_completed: true, release: None, now };
    assert!(!store.apply_sweep(&change, &[]).await.unwrap());
    // Even at the parent's current revision, the erasure mark refuses the closing mark.
    let current = store.parent(&pid("R-1.A")).await.unwrap().unwrap();
    assert!(!store.apply_sweep(&SweepChange { rev: current.rev, ..change }, &[]).await.unwrap());
    assert_eq!(store.referral_mark(&rid("R-1")).await, Some(("ERASE", now)));
}
