//! Unit tests of `arrangements.rs`.
use super::*;
use crate::progress::{ParentStatus, ReferralStatus};
use crate::referral::{EmailAddress, WorkshopMode};
use crate::workshop::Mode;
use jiff::SignedDuration;

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

fn w(n: u8) -> WorkshopId {
    WorkshopId::parse(&format!("00000000-0000-4000-8000-00000000000{n}")).unwrap()
}

fn booking(workshop: u8, starts: &str, booked: &str) -> Booking {
    let starts_at = at(starts);
    Booking {
        workshop_id: w(workshop),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(150),
        mode: Mode::Online,
        location: "https://meet.example/w".into(),
        booked_at: at(booked),
    }
}

fn parent(interpreter: Option<&str>, adjustments: Option<&str>) -> ParentRecord {
    ParentRecord {
        parent_id: crate::ParentId::parse("CAF-2026.000123.A").unwrap(),
        first_name: "Sam".into(),
        last_name: "Jones".into(),
        phone: None,
        email: EmailAddress::parse("sam@example.org").unwrap(),
        status: ParentStatus::WorkshopBooked,
        activated_at: None,
        complete_by: "2027-03-01".parse().unwrap(),
        referral_status: ReferralStatus::Open,
        modules: Default::default(),
        elearning_completed_at: None,
        case_number: "ZW26C00123".into(),
        workshop_mode: WorkshopMode::Either,
        interpreter_language: interpreter.map(Into::into),
        adjustments: adjustments.map(Into::into),
        booking: Some(booking(1, "2027-01-20T10:00:00Z", "2027-01-02T09:00:00Z")),
        waiting: None,
        offer: None,
        invited_at: at("2026-12-01T09:00:00Z"),
        due_at: None,
        rev: 1,
        attended: None,
        last_workshop: None,
        completed_at: None,
        unreachable: None,
    }
}

#[test]
fn a_booked_parent_with_an_interpreter_language_or_adjustments_gives_one_task_for_that_booking() {
    // Given a parent booked on workshop 1 who needs a Polish interpreter and step-free access
    let p = parent(Some("pl"), Some("Step-free access"));
    // When the task for their booking is made
    let t = Task::for_current_booking(&p, at("2027-01-02T09:00:05Z")).expect("a task");
    // Then it names the booking (workshop and second booked) and both needs
    assert_eq!(t.task_id, format!("{}@{}", w(1), at("2027-01-02T09:00:00Z").as_second()));
    assert_eq!(t.what(), "an interpreter for pl and adjustments");
    assert_eq!(t.status, TaskStatus::Open);
    assert_eq!(t.name, "Sam Jones");
    assert_eq!(Task::for_current_booking(&parent(None, Some("Large print")), at("2027-01-02T09:00:05Z")).unwrap().what(), "adjustments");
    assert_eq!(Task::for_current_booking(&parent(Some("ar"), None), at("2027-01-02T09:00:05Z")).unwrap().what(), "an interpreter for ar");
}

#[test]
fn a_parent_who_needs_nothing_or_holds_no_booking_gives_no_task() {
    assert_eq!(Task::for_current_booking(&parent(None, None), at("2027-01-02T09:00:05Z")), None);
    assert_eq!(Task::for_current_booking(&parent(None, Some("  ")), at("2027-01-02T09:00:05Z")), None, "blank adjustments are none");
    let mut unbooked = parent(Some("pl"), None);
    unbooked.booking = None;
    assert_eq!(Task::for_current_booking(&unbooked, at("2027-01-02T09:00:05Z")), None);
    let mut withdrawn = parent(Some("pl"), None);
    withdrawn.referral_status = ReferralStatus::Withdrawn;
    assert_eq!(Task::for_current_booking(&withdrawn, at("2027-01-02T09:00:05Z")), None);
}

#[test]
fn a_task_is_outdated_once_its_booking_is_cancelled_moved_or_taken_again() {
    let p = parent(Some("pl"), None);
    let t = Task::for_current_booking(&p, at("2027-01-02T09:00:05Z")).unwrap();
    assert!(!t.outdated(&p), "still the parent's booking");
    let mut cancelled = p.clone();
    cancelled.booking = None;
    assert!(t.outdated(&cancelled));
    let mut moved = p.clone();
    moved.booking = Some(booking(2, "2027-01-22T10:00:00Z", "2027-01-03T09:00:00Z"));
    assert!(t.outdated(&moved));
    let mut rebooked_same_workshop = p.clone();
    rebooked_same_workshop.booking = Some(booking(1, "2027-01-20T10:00:00Z", "2027-01-04T09:00:00Z"));
    assert!(t.outdated(&rebooked_same_workshop), "a new booking of the same workshop is another task");
    assert!(!t.done("sub-1", at("2027-01-05T09:00:00Z")).unwrap().outdated(&cancelled), "a done task stays done");
}

#[test]
fn an_open_task_is_flagged_from_72_hours_before_the_workshop_starts() {
    // Given a task for a workshop starting 2027-01-20 10:00 UTC and the default 72 hours
    let t = Task::for_current_booking(&parent(Some("pl"), None), at("2027-01-02T09:00:05Z")).unwrap();
    let timings = Timings::default();
    // Then it is flagged at 72 h before the start exactly, not a second earlier
    assert!(!t.flagged(at("2027-01-17T09:59:59Z"), &timings));
    assert!(t.flagged(at("2027-01-17T10:00:00Z"), &timings));
    // And a done task is never flagged
    assert!(!t.done("sub-1", at("2027-01-18T09:00:00Z")).unwrap().flagged(at("2027-01-18T09:00:00Z"), &timings));
}

#[test]
fn marking_done_changes_only_an_open_task() {
    let t = Task::for_current_booking(&parent(Some("pl"), None), at("2027-01-02T09:00:05Z")).unwrap();
    let done = t.done("sub-1", at("2027-01-05T09:00:00Z")).unwrap();
    assert_eq!(
        (done.status, done.done_by.as_deref(), done.settled_at),
        (TaskStatus::Done, Some("sub-1"), Some(at("2027-01-05T09:00:00Z")))
    );
    assert_eq!(done.done("sub-2", at("2027-01-06T09:00:00Z")), None);
}

#[test]
fn the_dashboard_lists_flagged_tasks_first_then_the_soonest_workshop() {
    let p = parent(Some("pl"), None);
    let make = |workshop: u8, starts: &str| {
        let mut q = p.clone();
        q.booking = Some(booking(workshop, starts, "2027-01-02T09:00:00Z"));
        Task::for_current_booking(&q, at("2027-01-02T09:00:05Z")).unwrap()
    };
    let now = at("2027-01-10T09:00:00Z");
    let mut tasks = vec![make(3, "2027-01-25T10:00:00Z"), make(2, "2027-01-12T10:00:00Z"), make(1, "2027-01-11T10:00:00Z")];
    // A flagged task always comes first, whatever its start; the rest soonest first.
    dashboard_order(&mut tasks, now, &Timings::default());
    let order: Vec<WorkshopId> = tasks.iter().map(|t| t.workshop_id.clone()).collect();
    assert_eq!(order, vec![w(1), w(2), w(3)]);
    assert!(tasks[0].flagged(now, &Timings::default()) && tasks[1].flagged(now, &Timings::default()));
    assert!(!tasks[2].flagged(now, &Timings::default()));
}

#[test]
fn an_open_task_follows_its_workshop_to_a_new_start_and_nothing_else_does() {
    let p = parent(Some("pl"), None);
    let t = Task::for_current_booking(&p, at("2027-01-02T09:00:05Z")).unwrap();
    assert_eq!(t.retimed(&p), None, "unchanged");
    let mut moved_start = p.clone();
    moved_start.booking.as_mut().unwrap().starts_at = at("2027-01-21T18:00:00Z");
    assert_eq!(t.retimed(&moved_start), Some(at("2027-01-21T18:00:00Z")));
    let mut other_booking = p.clone();
    other_booking.booking = Some(booking(2, "2027-01-22T10:00:00Z", "2027-01-03T09:00:00Z"));
    assert_eq!(t.retimed(&other_booking), None, "another booking closes it instead");
    assert_eq!(t.done("sub-1", at("2027-01-05T09:00:00Z")).unwrap().retimed(&moved_start), None, "a done task stays as it was");
}
