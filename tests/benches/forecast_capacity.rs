//! The capacity forecast's reads: items read and time of the daily sweep's forecast step with
//! 1,000 and 10,000 parents on the course (`PT4C_FORECAST_SIZES` to change), as many again closed
//! and 20 workshops in its window. A benchmark: it prints figures (and writes them to
//! target/bench/forecast.md); it never fails on speed.

use jiff::{SignedDuration, Timestamp};
use pt4c_tests::course::NewWorkshop;
use pt4c_tests::{referral, spawn_app};

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("PT4C_FORECAST_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let app = spawn_app().await;
    // 20 days before the parents' court date (29 January): their shortfall is within the alert window.
    let start: Timestamp = "2027-01-09T08:00:00Z".parse().unwrap();
    app.stack.set_clock(Some(start - SignedDuration::from_hours(24)));
    assert_eq!(app.post_referral(&referral("CAF-FORECAST")).await.status, 201);
    for day in 1..=20 {
        app.publish_workshop(NewWorkshop::online().at(start + SignedDuration::from_hours(24 * day + 10))).await;
    }
    let mut rows = Vec::new();
    for (round, size) in sizes.iter().enumerate() {
        // Each filled referral has two parents: every other referral on the course (both parents in
        // the due-index), the rest closed. `size` referrals: `size` parents on the course.
        let filled = std::time::Instant::now();
        let stored = pt4c_tests::fill_with_referrals_to(&app, "CAF-FORECAST", *size, "2027-06-01T08:00:00Z").await;
        eprintln!("filled to {size} referrals ({stored} items) in {:.0?}", filled.elapsed());
        let at = start + SignedDuration::from_hours(24 * round as i64);
        let started = std::time::Instant::now();
        let (status, _, report) = app.invoke_sweep(at).await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{report}");
        rows.push(format!(
            "| {} | {stored} | {} | {} | {} | {} | {:.2} s |",
            report["forecast"]["parentsRead"],
            report["forecast"]["workshopsRead"],
            report["forecastItemsRead"],
            report["itemsRead"],
            report["forecast"]["workshopsToAdd"],
            took.as_secs_f64()
        ));
        println!("{}", rows.last().unwrap());
        write_report(&rows);
    }
}

fn write_report(rows: &[String]) {
    let mut out = String::from("## Capacity forecast\n\nThe daily sweep's forecast step with parents on the course (as many again closed, out of the due-index) and 20 workshops in its 8-week window. ");
    out.push_str("Items read: the due-index's `PARENT` partition read whole (moto's ScannedCount, 100 a page) plus the workshops in the window (the `WORKSHOP` partition by start); ");
    out.push_str("they grow with the parents on the course and the workshops in the window, not with the items stored. The time is the whole sweep on the local stand-in (dev build), where moto's index query walks every stored item.\n\n");
    out.push_str("| parents on the course (read) | items stored | workshops read | forecast items read | rest of the sweep's items read | workshops to add | sweep time (local) |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    let dir = pt4c_tests::pt4c_local::workspace_file("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("forecast.md"), out).unwrap();
}
