//! Unit tests of `parent.rs`.
use super::*;
use crate::parent::MoveDecision;
use crate::progress::ReferralStatus;
use crate::referral::{EmailAddress, WorkshopMode};
use crate::workshop::{Mode, Trainer};
use jiff::SignedDuration;

fn now() -> Timestamp {
    "2027-01-11T09:00:00Z".parse().unwrap()
}

fn parent(status: ParentStatus) -> ParentRecord {
    ParentRecord {
        parent_id: crate::ParentId::parse("CAF-2026.000123.A").unwrap(),
        first_name: "Sam".into(),
        last_name: "Jones".into(),
        phone: None,
        email: EmailAddress::parse("sam@example.org").unwrap(),
        status,
        activated_at: None,
        complete_by: "2027-03-01".parse().unwrap(),
        referral_status: ReferralStatus::Open,
        modules: Default::default(),
        elearning_completed_at: None,
        case_number: "ZW26C00123".into(),
        workshop_mode: WorkshopMode::Either,
        interpreter_language: None,
        adjustments: None,
        booking: None,
        waiting: None,
        offer: None,
        invited_at: now() - SignedDuration::from_hours(24 * 10),
        due_at: None,
        rev: 1,
        attended: None,
        last_workshop: None,
        completed_at: None,
        unreachable: None,
    }
}

fn elearning_done() -> ParentRecord {
    let mut p = parent(ParentStatus::ElearningCompleted);
    p.elearning_completed_at = Some(now() - SignedDuration::from_hours(24));
    p
}

fn w1() -> WorkshopId {
    WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap()
}

fn w2() -> WorkshopId {
    WorkshopId::parse("00000000-0000-4000-8000-000000000002").unwrap()
}

fn workshop(starts_in_hours: i64) -> Workshop {
    let starts_at = now() + SignedDuration::from_hours(starts_in_hours);
    Workshop {
        workshop_id: w1(),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(150),
        duration_minutes: 150,
        mode: Mode::Online,
        location: "https://meet.example/abc".into(),
        capacity: 6,
        language: "en".into(),
        interpreters: Vec::new(),
        trainer: Trainer { name: "Alex Trainer".into(), email: EmailAddress::parse("alex@example.org").unwrap() },
        status: WorkshopStatus::Open,
        seats_taken: 0,
        sequence: 0,
        previous_trainer: None,
        booked_cases: vec![],
    }
}

#[test]
fn an_invited_parent_is_activated_once_with_its_event() {
    let t = Timings::default();
    let change = parent(ParentStatus::Invited).activate(now(), &t).expect("an invited parent activates");
    assert_eq!(change.after.status, ParentStatus::Activated);
    assert_eq!(change.after.activated_at, Some(now()));
    assert!(matches!(change.event, DomainEvent::ParentActivated(ref e) if e.activated_at == now()));
    assert_eq!(change.after.activate(now(), &t), None, "a second activation changes nothing");
}

#[test]
fn a_withdrawn_parent_is_never_activated() {
    let mut p = parent(ParentStatus::Invited);
    p.referral_status = ReferralStatus::Withdrawn;
    assert_eq!(p.activate(now(), &Timings::default()), None);
}

#[test]
fn the_elearning_completes_at_the_time_of_the_last_module() {
    let catalogue = Catalogue::default();
    let mut p = parent(ParentStatus::ElearningStarted);
    let ids: Vec<_> = catalogue.modules.iter().map(|m| m.module_id.clone()).collect();
    for (i, id) in ids.iter().enumerate().skip(1) {
        p.modules.insert(id.clone(), now() - SignedDuration::from_mins(60 - i as i64));
    }
    assert_eq!(p.complete_elearning(&catalogue, now(), &Timings::default()), None, "one module is still to do");
    let last = now() - SignedDuration::from_mins(5);
    p.modules.insert(ids[0].clone(), last);
    let change = p.complete_elearning(&catalogue, now(), &Timings::default()).expect("every module done");
    assert_eq!(change.after.elearning_completed_at, Some(last));
    assert_eq!(change.after.status, ParentStatus::ElearningCompleted);
    assert_eq!(change.after.complete_elearning(&catalogue, now(), &Timings::default()), None, "completed once");
}

#[test]
fn a_parent_books_only_after_the_elearning() {
    let t = Timings::default();
    assert_eq!(parent(ParentStatus::Activated).book(&workshop(48), now(), &t), Err(BookingRefusal::ElearningIncomplete));
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    assert_eq!(change.after.status, ParentStatus::WorkshopBooked);
    assert_eq!(change.after.booking.as_ref().map(|b| b.workshop_id.clone()), Some(w1()));
    assert!(matches!(change.event, DomainEvent::WorkshopBooked(_)));
}

#[test]
fn booking_the_same_workshop_again_is_a_replay_and_another_is_refused() {
    let t = Timings::default();
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    let booked = change.after;
    assert!(matches!(booked.book(&workshop(48), now(), &t), Ok(BookingDecision::Held(_))));
    let mut other = workshop(72);
    other.workshop_id = w2();
    assert_eq!(booked.book(&other, now(), &t), Err(BookingRefusal::AlreadyBooked));
}

#[test]
fn a_started_cancelled_or_unsuitable_workshop_is_unavailable() {
    let t = Timings::default();
    let p = elearning_done();
    assert_eq!(p.book(&workshop(0), now(), &t), Err(BookingRefusal::WorkshopUnavailable), "starting now");
    let mut cancelled = workshop(48);
    cancelled.status = WorkshopStatus::Cancelled;
    assert_eq!(p.book(&cancelled, now(), &t), Err(BookingRefusal::WorkshopUnavailable));
    let mut in_person_only = p.clone();
    in_person_only.workshop_mode = WorkshopMode::InPerson;
    assert_eq!(in_person_only.book(&workshop(48), now(), &t), Err(BookingRefusal::WorkshopUnavailable));
}

#[test]
fn a_booking_is_cancelled_until_the_workshop_starts_and_the_parent_may_book_again() {
    let t = Timings::default();
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    let cancelled = change.after.cancel_booking(now(), &t).expect("cancellable before the start");
    assert_eq!(cancelled.after.status, ParentStatus::ElearningCompleted);
    assert_eq!(cancelled.after.booking, None);
    assert_eq!(change.after.cancel_booking(now() + SignedDuration::from_hours(48), &t), Err(BookingRefusal::WorkshopUnavailable));
    assert_eq!(elearning_done().cancel_booking(now(), &t), Err(BookingRefusal::NotBooked));
}

#[test]
fn a_cancelled_workshop_releases_only_the_parents_booked_on_it() {
    let t = Timings::default();
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    let released = change.after.release_from_cancelled(&w1(), now(), &t).expect("booked there");
    assert_eq!(released.after.booking, None);
    assert!(matches!(released.event, DomainEvent::WorkshopCancelled(ref e) if e.parent_ids == vec![change.after.parent_id.clone()]));
    assert_eq!(change.after.release_from_cancelled(&w2(), now(), &t), None);
}

#[test]
fn attending_completes_with_a_follow_up_and_missing_gives_the_booking_back() {
    let t = Timings::default();
    let w = workshop(48);
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&w, now(), &t) else { panic!("bookable") };
    let booked = change.after;
    assert_eq!(booked.attend(&w, true, now(), &t), Err(BookingRefusal::WorkshopUnavailable), "not started yet");
    let after_end = w.ends_at + SignedDuration::from_hours(1);
    let (attended, event) = booked.attend(&w, true, after_end, &t).expect("recordable after the start");
    assert_eq!(attended.completed_at, Some(w.ends_at));
    assert_eq!(attended.follow_up.map(|f| f.due_by), Some(w.starts_at + t.follow_up));
    assert!(matches!(event, DomainEvent::WorkshopAttended(_)));
    let (missed, event) = booked.attend(&w, false, after_end, &t).expect("recordable");
    assert_eq!(missed.completed_at, None);
    assert!(missed.due.is_some(), "a parent who missed it is reminded to book again");
    assert!(matches!(event, DomainEvent::WorkshopMissed(_)));
}

#[test]
fn given_a_booked_parent_when_moved_then_the_new_booking_replaces_the_old_with_one_event() {
    let t = Timings::default();
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    let booked = change.after;
    let to = Workshop { workshop_id: w2(), ..workshop(72) };
    let later = now() + SignedDuration::from_hours(1);

    let Ok(MoveDecision::Move { from, change }) = booked.move_to(&to, later, &t) else { panic!("movable") };

    assert_eq!(from.workshop_id, w1());
    let moved = change.after.booking.clone().expect("booked on the new workshop");
    assert_eq!((moved.workshop_id.clone(), moved.starts_at, moved.booked_at), (w2(), to.starts_at, later));
    assert_eq!(change.after.status, ParentStatus::WorkshopBooked);
    assert!(matches!(change.event, DomainEvent::BookingMoved(ref e)
        if e.from_workshop_id == w1() && e.to_workshop_id == w2() && e.moved_at == later));
    assert_eq!(change.after.move_to(&to, later, &t), Ok(MoveDecision::Held(moved)), "moved again: a replay");
}

#[test]
fn given_no_booking_when_moved_then_it_is_a_booking_and_the_booking_rules_still_apply() {
    let t = Timings::default();
    assert_eq!(elearning_done().move_to(&workshop(48), now(), &t), Ok(MoveDecision::Book));
    assert_eq!(parent(ParentStatus::Activated).move_to(&workshop(48), now(), &t), Err(BookingRefusal::ElearningIncomplete));
}

#[test]
fn given_a_started_or_unsuitable_workshop_when_moved_then_it_is_unavailable() {
    let t = Timings::default();
    let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
    let booked = change.after;
    let cancelled = Workshop { workshop_id: w2(), status: WorkshopStatus::Cancelled, ..workshop(72) };
    assert_eq!(booked.move_to(&cancelled, now(), &t), Err(BookingRefusal::WorkshopUnavailable));
    let to = Workshop { workshop_id: w2(), ..workshop(72) };
    let after_start = now() + SignedDuration::from_hours(49);
    assert_eq!(booked.move_to(&to, after_start, &t), Err(BookingRefusal::WorkshopUnavailable), "the old one started");
    let mut online_only = booked.clone();
    online_only.workshop_mode = WorkshopMode::Online;
    let in_person = Workshop { workshop_id: w2(), mode: Mode::InPerson, ..workshop(72) };
    assert_eq!(online_only.move_to(&in_person, now(), &t), Err(BookingRefusal::WorkshopUnavailable));
}
