//! How the daily sweep scales with what is stored: items read, read capacity and time for
//! 1,000 / 10,000 / 100,000 stored referrals with 100 parents due (`PT4C_SWEEP_SIZES` to change).
//! A benchmark: it prints figures (and writes them to target/bench/sweep_scaling.md); it never fails on speed.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use pt4c_tests::{referral, spawn_app};

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("PT4C_SWEEP_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let app = spawn_app().await;
    let start: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
    let mut rows = Vec::new();
    for (round, size) in sizes.iter().enumerate() {
        // 50 fresh referrals (100 parents), due for their activation reminder 48 hours on...
        // Rounds 55 hours apart: each sweep (48 hours on) comes before an earlier round's next
        // reminder (the e-learning one, 7 days on), so exactly this round's 100 are due (up to 3 rounds).
        let t = start + SignedDuration::from_hours(55 * round as i64);
        app.stack.set_clock(Some(t));
        for i in 0..50 {
            let mut body = referral(&format!("CAF-S{round}-{i:03}"));
            body["caseNumber"] = format!("ZWS{round}{i:03}").into();
            assert_eq!(app.post_referral(&body).await.status, 201);
        }
        // ...among `size` stored referrals (the fill copies one of them; half due months later, half closed).
        let filled = std::time::Instant::now();
        let stored = pt4c_tests::fill_with_referrals_to(&app, &format!("CAF-S{round}-000"), *size, "2027-06-01T08:00:00Z").await;
        eprintln!("filled to {size} referrals ({stored} items) in {:.0?}", filled.elapsed());
        let at = t + SignedDuration::from_hours(48);
        let started = Instant::now();
        let (status, _, summary) = app.invoke_sweep(at).await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{summary}");
        rows.push(format!(
            "| {size} | {stored} | {} | {} | {} | {:.1} | {:.2} s |",
            summary["parentsDue"],
            summary["itemsRead"],
            summary["reminders"]["activation-reminder"],
            summary["readCapacityUnits"].as_f64().unwrap_or(0.0),
            took.as_secs_f64()
        ));
        println!("{}", rows.last().unwrap());
        // Written after every size, so a long run stopped part way keeps what it measured.
        write_report(&rows);
    }
}

fn write_report(rows: &[String]) {
    let mut out = String::from("## Sweep scaling\n\n100 parents due among the referrals stored (half of the others on the course and due months later, half closed).\n");
    out.push_str(
        "Items read and read capacity are DynamoDB's figures for the due-index queries (moto's ScannedCount and ConsumedCapacity); ",
    );
    out.push_str("the time is the whole sweep on the local stand-in (100 transactions, 100 reminders, events published), where moto's index query walks every stored item, so it grows with the table here where DynamoDB's would not.\n\n");
    out.push_str("| referrals stored | items stored | parents due | items read | reminders raised | read units | sweep time (local) |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    let dir = pt4c_tests::pt4c_local::workspace_file("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sweep_scaling.md"), out).unwrap();
}
