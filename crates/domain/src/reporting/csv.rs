//! The report as CSV (RFC 4180): a header row, then one row a month. Every cell is a month or a
//! number (rates in per cent with one decimal), empty where a figure does not apply; no cell can
//! start with `=`, `+`, `-` or `@`, so a spreadsheet never reads one as a formula.

use std::fmt::Write;

use super::{MonthReport, Rate};

pub const CSV_HEADER: [&str; 28] = [
    "month",
    "referrals_received",
    "referrals_completed",
    "referrals_withdrawn",
    "parents_activated",
    "days_to_activation_median",
    "days_to_activation_p90",
    "elearning_completed",
    "days_to_elearning_median",
    "days_to_elearning_p90",
    "workshop_attended",
    "workshop_missed",
    "days_to_workshop_median",
    "days_to_workshop_p90",
    "did_not_attend_percent",
    "parents_completed",
    "parents_not_completed",
    "seats_taken",
    "seat_capacity",
    "seat_fill_percent",
    "waiting_list_joined",
    "waiting_list_left",
    "waiting_list_left_booked",
    "waiting_list_length",
    "offers_made",
    "offers_accepted",
    "offers_declined",
    "offers_expired",
];

fn cells(r: &MonthReport) -> Vec<String> {
    let n = |v: i64| v.max(0).to_string();
    let opt = |v: Option<u32>| v.map(|d| d.to_string()).unwrap_or_default();
    let rate = |v: Option<Rate>| v.map(|r| r.percent()).unwrap_or_default();
    vec![
        r.month.to_string(),
        n(r.referrals_received),
        n(r.referrals_completed),
        n(r.referrals_withdrawn),
        n(r.activated),
        opt(r.activation_days.0),
        opt(r.activation_days.1),
        n(r.elearning_completed),
        opt(r.elearning_days.0),
        opt(r.elearning_days.1),
        n(r.attended),
        n(r.missed),
        opt(r.workshop_days.0),
        opt(r.workshop_days.1),
        rate(r.did_not_attend),
        n(r.parents_completed),
        n(r.parents_not_completed),
        n(r.seats_taken),
        n(r.seat_capacity),
        rate(r.seat_fill),
        n(r.waiting_joined),
        n(r.waiting_left),
        n(r.waiting_booked),
        r.waiting_length.map(n).unwrap_or_default(),
        n(r.offers_made),
        n(r.offers_accepted),
        n(r.offers_declined),
        n(r.offers_expired),
    ]
}

/// A cell is safe if it holds only digits, '.' and (inside a month) '-' after a digit.
fn is_safe(cell: &str) -> bool {
    cell.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') && !cell.starts_with(['=', '+', '-', '@'])
}

/// The CSV of `rows`, lines ending CRLF.
pub fn csv(rows: &[MonthReport]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for r in rows {
        let cells = cells(r);
        debug_assert_eq!(cells.len(), CSV_HEADER.len());
        // Every cell is a month or a number: assert it, so no value from data can ever become a formula.
        let safe: Vec<&str> = cells
            .iter()
            .map(|c| {
                debug_assert!(is_safe(c), "a CSV cell that is not a month or a number");
                if is_safe(c) {
                    c.as_str()
                } else {
                    ""
                }
            })
            .collect();
        let _ = write!(out, "{}\r\n", safe.join(","));
    }
    out
}
