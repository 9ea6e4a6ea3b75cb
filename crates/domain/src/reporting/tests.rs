use std::collections::BTreeMap;

use jiff::Timestamp;

use super::*;
use crate::events::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn m(s: &str) -> Month {
    s.parse().unwrap()
}

fn hist(pairs: &[(u32, u64)]) -> Histogram {
    Histogram(pairs.iter().copied().collect())
}

#[test]
fn percentiles_are_nearest_rank_worked_by_hand() {
    // Ten parents: 1,1,2,3,3,3,5,8,13,40 days. Median: rank ⌈0.5×10⌉ = 5 → 3 days.
    // 90th: rank ⌈0.9×10⌉ = 9 → 13 days.
    let h = hist(&[(1, 2), (2, 1), (3, 3), (5, 1), (8, 1), (13, 1), (40, 1)]);
    assert_eq!(h.total(), 10);
    assert_eq!(h.percentile(50), Some(3));
    assert_eq!(h.percentile(90), Some(13));
    assert_eq!(h.percentile(100), Some(40));
    // Three parents: 0, 4, 9. Median rank 2 → 4; 90th rank ⌈2.7⌉ = 3 → 9.
    let h = hist(&[(0, 1), (4, 1), (9, 1)]);
    assert_eq!((h.percentile(50), h.percentile(90)), (Some(4), Some(9)));
    // One parent: every percentile is theirs; none: no percentile.
    assert_eq!(hist(&[(7, 1)]).percentile(50), Some(7));
    assert_eq!(hist(&[(7, 1)]).percentile(90), Some(7));
    assert_eq!(Histogram::default().percentile(50), None);
    // Buckets with nothing left in them are skipped.
    assert_eq!(hist(&[(1, 0), (2, 2)]).percentile(50), Some(2));
}

#[test]
fn rates_are_per_cent_to_one_decimal_and_absent_on_nothing() {
    assert_eq!(Rate::of(1, 8).unwrap().percent(), "12.5");
    assert_eq!(Rate::of(1, 3).unwrap().percent(), "33.3");
    assert_eq!(Rate::of(2, 3).unwrap().percent(), "66.7");
    assert_eq!(Rate::of(5, 5).unwrap().percent(), "100.0");
    assert_eq!(Rate::of(0, 6).unwrap().percent(), "0.0");
    assert_eq!(Rate::of(0, 0), None);
}

#[test]
fn whole_days_round_down_and_cap() {
    assert_eq!(whole_days(t("2026-11-01T10:00:00Z"), t("2026-11-02T09:59:59Z")), 0);
    assert_eq!(whole_days(t("2026-11-01T10:00:00Z"), t("2026-11-02T10:00:00Z")), 1);
    assert_eq!(whole_days(t("2026-11-02T10:00:00Z"), t("2026-11-01T10:00:00Z")), 0);
    assert_eq!(whole_days(t("2026-01-01T00:00:00Z"), t("2028-01-01T00:00:00Z")), MAX_DAYS);
}

#[test]
fn months_are_london_months_and_ranges_are_bounded() {
    // 23:30 UTC on 31 July is 00:30 on 1 August in London (BST).
    assert_eq!(Month::of(t("2026-07-31T23:30:00Z")), m("2026-08"));
    // In winter London is UTC.
    assert_eq!(Month::of(t("2026-11-30T23:30:00Z")), m("2026-11"));
    assert_eq!(m("2026-12").next(), m("2027-01"));
    assert_eq!(m("2027-01").previous(), m("2026-12"));
    assert_eq!(m("2026-11").label(), "November 2026");
    assert_eq!(Month::range(m("2026-11"), m("2027-02")).unwrap().len(), 4);
    assert_eq!(Month::range(m("2027-02"), m("2026-11")), Err(MonthError::Backwards));
    assert_eq!(Month::range(m("2024-01"), m("2026-12")).unwrap().len(), 36);
    assert_eq!(Month::range(m("2024-01"), m("2027-01")), Err(MonthError::TooMany));
    for bad in ["2026-13", "2026-1", "26-11", "=2026-11", "2026/11", "", "2026-00"] {
        assert!(bad.parse::<Month>().is_err(), "{bad}");
    }
}

#[test]
fn an_activation_counts_in_its_month_with_the_days_since_the_invitation() {
    let e = DomainEvent::ParentActivated(ParentActivated {
        parent_id: crate::ParentId::parse("CAF-1.A").unwrap(),
        activated_at: t("2026-12-01T09:00:00Z"),
    });
    assert!(needs(&e).parent.is_some());
    let ctx = Context { invited_at: Some(t("2026-11-28T10:00:00Z")), workshop_starts_at: None };
    let tally = tally(&e, &ctx).unwrap();
    assert_eq!(
        tally.adds,
        vec![
            Add { month: m("2026-12"), figure: Figure::Count(Counter::Activated), by: 1 },
            Add { month: m("2026-12"), figure: Figure::Days(Stage::Activation, 2), by: 1 },
        ]
    );
    // A parent no longer held (erased) is counted without a duration.
    assert_eq!(super::tally(&e, &Context::default()).unwrap().adds.len(), 1);
}

#[test]
fn attendance_counts_in_the_workshops_month_and_completion_in_its_own() {
    let e = DomainEvent::WorkshopAttended(WorkshopAttended {
        parent_id: crate::ParentId::parse("CAF-1.A").unwrap(),
        workshop_id: crate::WorkshopId::parse("3f6c2a8e-1b2c-4d5e-8f90-0a1b2c3d4e5f").unwrap(),
        completed_at: t("2027-02-01T00:30:00Z"),
        follow_up_due_by: t("2027-02-15T00:00:00Z"),
    });
    let ctx = Context { invited_at: Some(t("2026-11-01T00:00:00Z")), workshop_starts_at: Some(t("2027-01-31T21:00:00Z")) };
    let adds = tally(&e, &ctx).unwrap().adds;
    assert!(adds.contains(&Add { month: m("2027-01"), figure: Figure::Count(Counter::Attended), by: 1 }));
    assert!(adds.contains(&Add { month: m("2027-01"), figure: Figure::Days(Stage::Workshop, 91), by: 1 }));
    assert!(adds.contains(&Add { month: m("2027-02"), figure: Figure::Count(Counter::ParentsCompleted), by: 1 }));
    assert_eq!(seat_workshops(&e).len(), 1);
}

#[test]
fn waiting_list_changes_move_the_gauge_and_other_events_count_nothing() {
    let parent = crate::ParentId::parse("CAF-1.A").unwrap();
    let left = DomainEvent::WaitingListLeft(WaitingListLeft {
        parent_id: parent.clone(),
        left_at: t("2026-11-05T00:00:00Z"),
        reason: LeftBecause::Booked,
    });
    let tally_left = tally(&left, &Context::default()).unwrap();
    assert_eq!((tally_left.waiting, tally_left.waiting_month), (-1, Some(m("2026-11"))));
    assert_eq!(tally_left.adds.len(), 2, "left, and left because booked");
    let link =
        DomainEvent::LinkRequested(LinkRequested { parent_id: parent, request_id: "r".into(), requested_at: t("2026-11-05T00:00:00Z") });
    assert_eq!(tally(&link, &Context::default()), None);
    assert!(seat_workshops(&link).is_empty());
}

#[test]
fn an_event_has_one_key_however_often_it_comes() {
    let e = DomainEvent::ReferralReceived(ReferralReceived {
        referral_id: crate::ReferralId::parse("CAF-1").unwrap(),
        parent_ids: vec![],
        received_at: t("2026-11-05T00:00:00Z"),
    });
    let again = DomainEvent::from_parts("ReferralReceived", serde_json::from_str(&e.detail_json()).unwrap()).unwrap();
    assert_eq!(event_key(&e), event_key(&again));
    assert_eq!(event_key(&e).len(), 64);
    let other = DomainEvent::ReferralWithdrawn(ReferralWithdrawn {
        referral_id: crate::ReferralId::parse("CAF-1").unwrap(),
        parent_ids: vec![],
        withdrawn_at: t("2026-11-05T00:00:00Z"),
    });
    assert_ne!(event_key(&e), event_key(&other));
}

#[test]
fn a_workshop_moved_to_another_month_takes_its_seats_and_a_cancelled_one_gives_them_up() {
    let nov = SeatCount { month: m("2026-11"), capacity: 6, seats: 4 };
    let dec = SeatCount { month: m("2026-12"), capacity: 8, seats: 4 };
    let mut figures: BTreeMap<Month, MonthFigures> = BTreeMap::new();
    let mut apply = |adds: Vec<Add>| {
        for a in adds {
            figures.entry(a.month).or_insert_with(|| MonthFigures::new(a.month)).apply(&a);
        }
    };
    apply(seat_adds(None, &nov));
    apply(seat_adds(Some(&nov), &nov));
    apply(seat_adds(Some(&nov), &dec));
    let cancelled = SeatCount { month: m("2026-12"), capacity: 0, seats: 0 };
    let reports = reports(&[m("2026-11"), m("2026-12")], &figures.values().cloned().collect::<Vec<_>>(), WaitingGauge::default());
    assert_eq!((reports[0].seats_taken, reports[0].seat_capacity, reports[0].seat_fill), (0, 0, None));
    assert_eq!((reports[1].seats_taken, reports[1].seat_capacity), (4, 8));
    assert_eq!(reports[1].seat_fill.unwrap().percent(), "50.0");
    assert_eq!(seat_adds(Some(&dec), &cancelled).iter().map(|a| a.by).sum::<i64>(), -12);
}

#[test]
fn the_waiting_lists_length_is_carried_through_quiet_months() {
    let months = Month::range(m("2026-10"), m("2027-01")).unwrap();
    let mut nov = MonthFigures::new(m("2026-11"));
    nov.note_waiting_length(3, t("2026-11-20T00:00:00Z"));
    nov.note_waiting_length(5, t("2026-11-10T00:00:00Z")); // noted late: the later one stays
    let gauge = WaitingGauge { length: 3, changed: Some(m("2026-11")) };
    let r = reports(&months, &[nov], gauge);
    let lengths: Vec<Option<i64>> = r.iter().map(|r| r.waiting_length).collect();
    // October: the list changed later and nothing earlier is shown, so it is not known.
    assert_eq!(lengths, vec![None, Some(3), Some(3), Some(3)]);
    // A list that has not changed since before the months shown has the gauge's length.
    let r = reports(&months[..1], &[], WaitingGauge { length: 2, changed: Some(m("2026-09")) });
    assert_eq!(r[0].waiting_length, Some(2));
}

#[test]
fn the_csv_has_a_header_and_a_row_a_month_with_empty_cells_where_nothing_applies() {
    let mut f = MonthFigures::new(m("2026-11"));
    for a in [
        Add { month: m("2026-11"), figure: Figure::Count(Counter::ReferralsReceived), by: 2 },
        Add { month: m("2026-11"), figure: Figure::Count(Counter::Attended), by: 3 },
        Add { month: m("2026-11"), figure: Figure::Count(Counter::Missed), by: 1 },
        Add { month: m("2026-11"), figure: Figure::Days(Stage::Activation, 2), by: 1 },
    ] {
        f.apply(&a);
    }
    let rows = reports(&[m("2026-11"), m("2026-12")], &[f], WaitingGauge::default());
    let text = csv(&rows);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "header, two months, and the final line end");
    assert_eq!(lines[0].split(',').count(), CSV_HEADER.len());
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(cells.len(), CSV_HEADER.len());
    let at = |name: &str| cells[CSV_HEADER.iter().position(|h| *h == name).unwrap()];
    assert_eq!(at("month"), "2026-11");
    assert_eq!(at("referrals_received"), "2");
    assert_eq!(at("days_to_activation_median"), "2");
    assert_eq!(at("days_to_elearning_median"), "");
    assert_eq!(at("did_not_attend_percent"), "25.0");
    assert_eq!(at("seat_fill_percent"), "");
    assert_eq!(at("waiting_list_length"), "0");
    for line in &lines[1..3] {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
}
