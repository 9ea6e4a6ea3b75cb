use super::*;
use crate::workshop::{Mode, Trainer, WorkshopStatus};

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

fn workshop(starts: &str, mode: Mode, language: &str, interpreters: &[&str]) -> Workshop {
    let starts_at = at(starts);
    Workshop {
        workshop_id: crate::WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
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
        seats_taken: 0,
        sequence: 0,
        previous_trainer: None,
        booked_cases: vec![],
    }
}

fn needs(mode: WorkshopMode, interpreter: Option<&str>) -> Needs {
    Needs { workshop_mode: mode, interpreter_language: interpreter.map(str::to_owned), case_number: "ZW26C00123".into() }
}

#[test]
fn a_parent_is_offered_workshops_in_their_language_or_with_an_interpreter_for_it() {
    let english = workshop("2026-12-01T10:00:00Z", Mode::Online, "en-GB", &[]);
    let polish = workshop("2026-12-01T10:00:00Z", Mode::Online, "pl", &[]);
    let english_with_polish = workshop("2026-12-01T10:00:00Z", Mode::Online, "en", &["PL"]);
    let needs_polish = needs(WorkshopMode::Either, Some("pl"));
    let no_interpreter = needs(WorkshopMode::Either, None);
    assert!(!needs_polish.suits(&english) && needs_polish.suits(&polish) && needs_polish.suits(&english_with_polish));
    assert!(no_interpreter.suits(&english) && !no_interpreter.suits(&polish) && no_interpreter.suits(&english_with_polish));
}

#[test]
fn never_a_co_parents_workshop_nor_one_of_the_wrong_mode() {
    let mut w = workshop("2026-12-01T10:00:00Z", Mode::InPerson, "en", &[]);
    assert!(needs(WorkshopMode::Either, None).suits(&w));
    assert!(!needs(WorkshopMode::Online, None).suits(&w));
    w.booked_cases.push("ZW26C00123".into());
    assert!(!needs(WorkshopMode::Either, None).suits(&w));
}

#[test]
fn time_slots_are_read_in_london_time() {
    // 11:30 UTC in June is 12:30 in London: afternoon.
    assert_eq!(TimeSlot::of(at("2027-06-02T11:30:00Z")), TimeSlot::WeekdayAfternoon);
    // 11:30 UTC in December is 11:30 in London: morning.
    assert_eq!(TimeSlot::of(at("2026-12-02T11:30:00Z")), TimeSlot::WeekdayMorning);
    assert_eq!(TimeSlot::of(at("2026-12-02T18:00:00Z")), TimeSlot::WeekdayEvening);
    assert_eq!(TimeSlot::of(at("2026-12-05T09:00:00Z")), TimeSlot::Weekend);
    for t in TimeSlot::ALL {
        assert_eq!(TimeSlot::parse(t.as_str()), Some(t));
    }
    let place = WaitingPlace { joined_at: at("2026-11-28T09:00:00Z"), times: vec![TimeSlot::Weekend] };
    assert!(place.time_suits(&workshop("2026-12-05T09:00:00Z", Mode::Online, "en", &[])));
    assert!(!place.time_suits(&workshop("2026-12-02T09:00:00Z", Mode::Online, "en", &[])));
}

#[test]
fn a_hold_lasts_a_day_but_never_past_twelve_hours_before_the_start() {
    let t = Timings::default();
    let now = at("2026-11-28T09:00:00Z");
    assert_eq!(hold_until(now, at("2026-12-10T09:00:00Z"), &t), Some(at("2026-11-29T09:00:00Z")));
    assert_eq!(hold_until(now, at("2026-11-29T09:00:00Z"), &t), Some(at("2026-11-28T21:00:00Z")));
    assert_eq!(hold_until(now, at("2026-11-28T21:00:00Z"), &t), None);
    assert_eq!(hold_until(now, at("2026-11-28T20:00:00Z"), &t), None);
}

#[test]
fn weeks_start_on_monday_in_london() {
    assert_eq!(week_of(at("2026-12-06T23:30:00Z")).to_string(), "2026-11-30");
    assert_eq!(week_of(at("2026-11-30T00:30:00Z")).to_string(), "2026-11-30");
}
