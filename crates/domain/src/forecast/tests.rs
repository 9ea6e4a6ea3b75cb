//! Unit tests of `forecast.rs`: a hand-worked example, and the alert's 21-day boundary.
use super::*;
use crate::workshop::{Mode, Trainer, WorkshopStatus};
use jiff::civil::date;

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

/// Monday 4 January 2027, 08:00 in London (GMT): the sweep's moment.
fn now() -> Timestamp {
    at("2027-01-04T08:00:00Z")
}

fn workshop(n: u8, starts: &str, mode: Mode, language: &str, interpreters: &[&str], seats_left: u32) -> Workshop {
    let starts_at = at(starts);
    Workshop {
        workshop_id: crate::WorkshopId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap(),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(150),
        duration_minutes: 150,
        mode,
        location: "https://meet.example/x".into(),
        capacity: 6,
        language: language.into(),
        interpreters: interpreters.iter().map(|s| s.to_string()).collect(),
        trainer: Trainer { name: "Tess".into(), email: crate::referral::EmailAddress::parse("tess@pt4c.example").unwrap() },
        status: WorkshopStatus::Open,
        seats_taken: 6 - seats_left,
        sequence: 0,
        previous_trainer: None,
        booked_cases: vec![],
    }
}

fn parent(n: u32, complete_by: Date, mode: WorkshopMode, interpreter: Option<&str>) -> Candidate {
    Candidate {
        parent_id: ParentId::parse(&format!("REF-{n:03}.A")).unwrap(),
        status: ParentStatus::ElearningCompleted,
        complete_by,
        workshop_mode: mode,
        interpreter_language: interpreter.map(Into::into),
        has_seat: false,
    }
}

fn kind(mode: WorkshopMode, language: &str) -> Kind {
    Kind { mode, language: language.into() }
}

#[test]
fn the_forecast_matches_a_hand_worked_example() {
    use WorkshopMode::{Either, InPerson, Online};
    // Given these workshops (seats left):
    // | workshop | starts            | mode      | language | interpreters | seats left |
    // |----------|-------------------|-----------|----------|--------------|------------|
    // | A        | Wed 6 Jan 10:00   | online    | en       |              | 2          |
    // | B        | Wed 13 Jan 10:00  | in person | en       |              | 1          |
    // | C        | Wed 20 Jan 10:00  | online    | en       | pl           | 1          |
    // | D        | Wed 10 Feb 10:00  | online    | en       |              | 6          |
    // | E        | Thu 7 Jan 10:00   | online    | en       | (cancelled)  | 6          |
    let mut cancelled = workshop(5, "2027-01-07T10:00:00Z", Mode::Online, "en", &[], 6);
    cancelled.status = WorkshopStatus::Cancelled;
    let workshops = vec![
        workshop(1, "2027-01-06T10:00:00Z", Mode::Online, "en", &[], 2),
        workshop(2, "2027-01-13T10:00:00Z", Mode::InPerson, "en", &[], 1),
        workshop(3, "2027-01-20T10:00:00Z", Mode::Online, "en", &["pl"], 1),
        workshop(4, "2027-02-10T10:00:00Z", Mode::Online, "en", &[], 6),
        cancelled,
    ];
    // And these parents (in the greedy's order), with the seat each takes:
    // | parent | complete by | mode      | interpreter | seat                                   |
    // |--------|-------------|-----------|-------------|----------------------------------------|
    // | 1      | Fri 8 Jan   | online    |             | A                                      |
    // | 2      | Sat 9 Jan   | either    |             | A (its last)                           |
    // | 3      | Sun 10 Jan  | online    |             | none: A full, B in person, C too late  |
    // | 4      | Fri 15 Jan  | in person |             | B                                      |
    // | 5      | Sat 16 Jan  | either    |             | none: A and B full, C after 16 Jan     |
    // | 6      | Fri 22 Jan  | online    | pl          | C (interpreter for pl)                 |
    // | 7      | Sun 24 Jan  | online    | pl          | none: C full, D after their date       |
    // | 8      | Fri 12 Feb  | online    |             | D                                      |
    // | 9      | Tue 30 Mar  | online    |             | (after the 8 weeks: not counted)       |
    // | 10     | Sat 2 Jan   | online    |             | (date passed: not counted)             |
    // | 11     | Fri 8 Jan   | online    |             | (booked: not counted)                  |
    // | 12     | Fri 8 Jan   | online    |             | (withdrawn: not counted)               |
    let mut booked = parent(11, date(2027, 1, 8), Online, None);
    booked.has_seat = true;
    let mut withdrawn = parent(12, date(2027, 1, 8), Online, None);
    withdrawn.status = ParentStatus::Withdrawn;
    let parents = vec![
        parent(8, date(2027, 2, 12), Online, None),
        parent(5, date(2027, 1, 16), Either, None),
        parent(1, date(2027, 1, 8), Online, None),
        parent(3, date(2027, 1, 10), Online, None),
        parent(2, date(2027, 1, 9), Either, None),
        parent(4, date(2027, 1, 15), InPerson, None),
        parent(6, date(2027, 1, 22), Online, Some("pl")),
        parent(7, date(2027, 1, 24), Online, Some("pl-PL")),
        parent(9, date(2027, 3, 30), Online, None),
        parent(10, date(2027, 1, 2), Online, None),
        booked,
        withdrawn,
    ];
    // When the forecast runs on Monday 4 January
    let f = forecast(now(), &parents, &workshops, &Timings::default());
    // Then week by week:
    // | week | ends        | demand | shortfall | seats left before its end |
    // |------|-------------|--------|-----------|---------------------------|
    // | 1    | Sun 10 Jan  | 3      | 1         | 2 (A)                     |
    // | 2    | Sun 17 Jan  | 5      | 2         | 3 (A, B)                  |
    // | 3    | Sun 24 Jan  | 7      | 3         | 4 (A, B, C)               |
    // | 4    | Sun 31 Jan  | 7      | 3         | 4                         |
    // | 5    | Sun 7 Feb   | 7      | 3         | 4                         |
    // | 6    | Sun 14 Feb  | 8      | 3         | 10 (A to D)               |
    // | 7    | Sun 21 Feb  | 8      | 3         | 10                        |
    // | 8    | Sun 28 Feb  | 8      | 3         | 10                        |
    let table = [
        (date(2027, 1, 10), 3, 1, 2),
        (date(2027, 1, 17), 5, 2, 3),
        (date(2027, 1, 24), 7, 3, 4),
        (date(2027, 1, 31), 7, 3, 4),
        (date(2027, 2, 7), 7, 3, 4),
        (date(2027, 2, 14), 8, 3, 10),
        (date(2027, 2, 21), 8, 3, 10),
        (date(2027, 2, 28), 8, 3, 10),
    ];
    let got: Vec<(Date, u32, u32, u32)> = f.weeks.iter().map(|w| (w.ends_on, w.demand, w.shortfall, w.seats_left)).collect();
    assert_eq!(got, table);
    // And within 21 days (court dates up to Mon 25 Jan) three parents have no seat:
    // | add                | parents     | workshops | to start before |
    // |--------------------|-------------|-----------|-----------------|
    // | online, in en      | 3 and 5     | 1         | 10 Jan          |
    // | online, in pl      | 7           | 1         | 24 Jan          |
    // (parent 5, either mode, joins the online English group)
    assert_eq!(
        f.to_add,
        vec![
            ToAdd { kind: kind(Online, "en"), parents: 2, workshops: 1, add_by: date(2027, 1, 10) },
            ToAdd { kind: kind(Online, "pl"), parents: 1, workshops: 1, add_by: date(2027, 1, 24) },
        ]
    );
    assert!(f.alert());
    assert_eq!(f.to_add[0].kind.describe(), "online, in en");
}

#[test]
fn a_shortfall_21_days_ahead_alerts_and_22_days_ahead_does_not() {
    // Given no workshops, and one parent whose court date is exactly 21 days after today (Mon 25 Jan)
    let t = Timings::default();
    let on_day_21 = forecast(now(), &[parent(1, date(2027, 1, 25), WorkshopMode::Online, None)], &[], &t);
    // Then the coordinators are alerted: one online English workshop, before 25 January
    assert_eq!(
        on_day_21.to_add,
        vec![ToAdd { kind: kind(WorkshopMode::Online, "en"), parents: 1, workshops: 1, add_by: date(2027, 1, 25) }]
    );
    // Given instead a court date 22 days after today (Tue 26 Jan)
    let on_day_22 = forecast(now(), &[parent(1, date(2027, 1, 26), WorkshopMode::Online, None)], &[], &t);
    // Then there is no alert, though week 4 still shows the shortfall
    assert!(!on_day_22.alert());
    assert_eq!((on_day_22.weeks[3].demand, on_day_22.weeks[3].shortfall), (1, 1));
    assert_eq!(on_day_22.weeks[2].demand, 0);
}

#[test]
fn seven_parents_short_ask_for_two_workshops_and_either_mode_alone_asks_for_either() {
    let t = Timings::default();
    let mut parents: Vec<Candidate> = (1..=7).map(|n| parent(n, date(2027, 1, 12), WorkshopMode::InPerson, Some("ar"))).collect();
    parents.push(parent(8, date(2027, 1, 14), WorkshopMode::Either, Some("so")));
    let f = forecast(now(), &parents, &[], &t);
    assert_eq!(
        f.to_add,
        vec![
            ToAdd { kind: kind(WorkshopMode::InPerson, "ar"), parents: 7, workshops: 2, add_by: date(2027, 1, 12) },
            ToAdd { kind: kind(WorkshopMode::Either, "so"), parents: 1, workshops: 1, add_by: date(2027, 1, 14) },
        ]
    );
    assert_eq!(f.to_add[1].kind.describe(), "online or in person, in so");
}

#[test]
fn a_workshop_on_the_court_date_counts_and_one_the_day_after_does_not() {
    let t = Timings::default();
    let p = [parent(1, date(2027, 1, 8), WorkshopMode::Online, None)];
    // 8 January, 18:00 in London: before the end of the court's date.
    let same_day = forecast(now(), &p, &[workshop(1, "2027-01-08T18:00:00Z", Mode::Online, "en", &[], 1)], &t);
    assert!(!same_day.alert());
    let next_day = forecast(now(), &p, &[workshop(1, "2027-01-09T09:00:00Z", Mode::Online, "en", &[], 1)], &t);
    assert!(next_day.alert());
}

#[test]
fn the_window_runs_from_now_to_the_end_of_the_eighth_week() {
    let (from, to) = window(now(), &Timings::default());
    assert_eq!(from, now());
    // The eighth week ends on Sunday 28 February; the window ends at midnight after it (GMT).
    assert_eq!(to, at("2027-03-01T00:00:00Z"));
}
