//! Prints what the local stack sustains when 30 eligible parents (15 cases) race for one 6-seat
//! workshop, round after round: booking requests per second, seats taken per second, and the
//! latency of a booking request. A benchmark: it prints figures and never fails on speed.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

const ROUNDS: i64 = 10;

async fn post(app: &TestApp, path: &str, body: serde_json::Value) -> pt4c_tests::Answer {
    app.send(reqwest::Method::POST, path, Some("application/json"), serde_json::to_vec(&body).unwrap()).await
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let modules: serde_json::Value = app.http.get(app.api("/elearning/modules")).send().await.unwrap().json().await.unwrap();
    let mut parents = Vec::new();
    for i in 0..15 {
        let id = format!("BENCH-{i:02}");
        let mut body = referral(&id);
        body["caseNumber"] = format!("ZWB{i:03}").into();
        assert_eq!(app.post_referral(&body).await.status, 201);
        for p in ["A", "B"] {
            for m in modules["modules"].as_array().unwrap() {
                let r = post(
                    &app,
                    "/elearning/completions",
                    json!({"parentId": format!("{id}.{p}"), "moduleId": m["moduleId"], "completedAt": "2026-11-21T10:00:00Z"}),
                )
                .await;
                assert_eq!(r.status, 200);
            }
            parents.push(format!("{id}.{p}"));
        }
    }
    let far = Timestamp::now() + SignedDuration::from_hours(24 * 60);
    let tokens: Vec<String> = parents.iter().map(|p| app.stack.links().sign(&ParentId::parse(p).unwrap(), Purpose::Booking, far)).collect();

    let mut latencies = Vec::new();
    let mut requests = 0usize;
    let mut booked = 0usize;
    let mut racing = std::time::Duration::ZERO;
    for round in 0..ROUNDS {
        let starts = Timestamp::now() + SignedDuration::from_hours(24 * (10 + round));
        let w = post(
            &app,
            "/workshops",
            json!({"startsAt": starts.to_string(), "mode": "online", "location": "https://meet.pt4c.example/b",
            "capacity": 6, "trainer": {"name": "Tess Trainer", "email": "tess@pt4c.example"}}),
        )
        .await;
        let wid = w.body["workshopId"].as_str().unwrap().to_owned();
        let started = Instant::now();
        let answers = futures::future::join_all(tokens.iter().map(|t| {
            let wid = wid.clone();
            let app = &app;
            async move {
                let t0 = Instant::now();
                let a = post(app, &format!("/book/{t}"), json!({"workshopId": wid})).await;
                (a.status, t0.elapsed().as_secs_f64() * 1000.0)
            }
        }))
        .await;
        racing += started.elapsed();
        for (status, ms) in answers {
            requests += 1;
            latencies.push(ms);
            if status == 201 {
                booked += 1;
            }
        }
        post(&app, &format!("/workshops/{wid}/cancel"), json!({"reason": "next round"})).await;
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!("Booking under 6-seat contention, local stack (moto stand-in, one request at a time; dev build):");
    println!("  {ROUNDS} rounds x 30 parents (15 cases) racing for one 6-seat workshop");
    println!(
        "  booking requests: {requests} in {:.2} s = {:.1} requests/s; seats taken: {booked} = {:.1} bookings/s",
        racing.as_secs_f64(),
        requests as f64 / racing.as_secs_f64(),
        booked as f64 / racing.as_secs_f64()
    );
    println!(
        "  latency of a booking request: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
}
