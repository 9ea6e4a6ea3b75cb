//! Prints the staff console's response times on the local stack: the dashboard (`/console/`) and
//! a workshop's roster page, each 200 sequential requests after 10 warm-up requests, for a signed-in
//! coordinator over a realistic week (40 workshops in the next 7 days, 60 referrals, 5 parents
//! booked on the roster's workshop), and the DynamoDB calls one page makes.
//! A benchmark, not a test: it prints figures and never fails on speed.

use std::collections::BTreeMap;
use std::time::Instant;

use jiff::SignedDuration;
use pt4c_domain::staff::StaffRole;
use pt4c_tests::console::Browser;
use pt4c_tests::course::TRAINER;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::{json, Value};

const WORKSHOPS: usize = 40;
const REFERRALS: usize = 60;
const BOOKED: usize = 5;
const WARM_UP: usize = 10;
const REQUESTS: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The DynamoDB calls on this stack's table since the stand-in's request log was last cleared, by action.
async fn dynamo_calls(app: &TestApp) -> BTreeMap<String, u64> {
    let url = format!("{}/_pt4c/requests?match={}", app.stack.control_url, app.stack.shared.created.table);
    let v: Value = app.http.get(url).send().await.unwrap().json().await.unwrap();
    v["byAction"]
        .as_object()
        .map(|m| m.iter().filter_map(|(k, n)| Some((k.strip_prefix("DynamoDB_20120810.")?.to_owned(), n.as_u64().unwrap_or(0)))).collect())
        .unwrap_or_default()
}

/// The DynamoDB calls one load of `path` makes: the fewest of 5 loads (the outbox relay polls the
/// table twice a second, and a load it falls in counts its query too).
async fn calls_per_page(app: &TestApp, browser: &mut Browser<'_>, path: &str) -> BTreeMap<String, u64> {
    let mut fewest: Option<BTreeMap<String, u64>> = None;
    for _ in 0..5 {
        app.http.delete(format!("{}/_pt4c/requests", app.stack.control_url)).send().await.unwrap();
        assert_eq!(browser.get(path).await.status, 200, "{path}");
        let calls = dynamo_calls(app).await;
        if fewest.as_ref().is_none_or(|f| calls.values().sum::<u64>() < f.values().sum::<u64>()) {
            fewest = Some(calls);
        }
    }
    fewest.unwrap_or_default()
}

fn describe(calls: &BTreeMap<String, u64>) -> String {
    let by = calls.iter().map(|(a, n)| format!("{a} {n}")).collect::<Vec<_>>().join(", ");
    format!("{} ({by})", calls.values().sum::<u64>())
}

/// Times `REQUESTS` sequential loads of `path` after `WARM_UP`; the sorted times (ms) and the last page.
async fn time_page(browser: &mut Browser<'_>, path: &str) -> (Vec<f64>, String) {
    for _ in 0..WARM_UP {
        assert_eq!(browser.get(path).await.status, 200, "{path}");
    }
    let mut ms = Vec::with_capacity(REQUESTS);
    let mut html = String::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let page = browser.get(path).await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.status, 200, "{path}");
        html = page.body;
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms, html)
}

/// The links a page holds to pages under `prefix` (what it lists).
fn links(html: &str, prefix: &str) -> usize {
    html.matches(&format!("href=\"{prefix}")).count()
}

fn print_figures(title: &str, ms: &[f64], html: &str, lists: &str, calls: &BTreeMap<String, u64>) {
    println!("{title}, {REQUESTS} requests after {WARM_UP} warm-up:");
    println!(
        "  median {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(ms, 0.5),
        percentile(ms, 0.9),
        percentile(ms, 0.99),
        ms[ms.len() - 1]
    );
    println!("  HTML {} B, {lists}; DynamoDB calls per page: {}", html.len(), describe(calls));
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let now = app.now();

    // The week: 40 workshops over the next 7 days, one every 4 hours from 3 hours ahead; every
    // third is Tess Trainer's; one in four in person; six seats (four for one in five).
    let trainers = [("Tess Trainer", TRAINER), ("Ravi Trainer", "ravi.trainer@pt4c.example"), ("Jo Trainer", "jo.trainer@pt4c.example")];
    let mut workshops = Vec::with_capacity(WORKSHOPS);
    for i in 0..WORKSHOPS {
        let (name, email) = trainers[i % trainers.len()];
        let in_person = i % 4 == 3;
        let body = json!({
            "startsAt": (now + SignedDuration::from_hours(3 + 4 * i as i64)).to_string(),
            "mode": if in_person { "in_person" } else { "online" },
            "location": if in_person { "Family Hub, 12 High Street, Leeds LS1 4AB".to_owned() } else { format!("https://meet.pt4c.example/w/{i}") },
            "capacity": if i % 5 == 4 { 4 } else { 6 },
            "trainer": {"name": name, "email": email}
        });
        let answer = app.post_json("/workshops", body).await;
        assert_eq!(answer.status, 201, "workshop {i}: {:?}", answer.body);
        workshops.push(answer.body["workshopId"].as_str().expect("a workshop id").to_owned());
    }
    // The roster: an online workshop two days ahead (i = 12: 51 hours), 6 seats.
    let roster = workshops[12].clone();

    // 60 referrals (120 parents), each its own case and parents.
    for n in 0..REFERRALS {
        let mut r = referral(&format!("CAF-BENCH-{n:04}"));
        r["caseNumber"] = json!(format!("ZW26P{:05}", 20000 + n));
        r["parents"][0]["email"] = json!(format!("parent.{n}.a@example.com"));
        r["parents"][1]["email"] = json!(format!("parent.{n}.b@example.com"));
        let answer = app.post_referral(&r).await;
        assert_eq!(answer.status, 201, "referral {n}: {:?}", answer.body);
    }
    // Five parents finish their e-learning and book the roster's workshop.
    for n in 0..BOOKED {
        let parent = format!("CAF-BENCH-{n:04}.A");
        app.finish_elearning(&parent).await;
        app.booked(&parent, &roster).await;
    }
    app.quiet().await;
    assert_eq!(app.workshop(&roster).await.roster().len(), BOOKED, "the roster's parents");

    let email = "cora.coordinator@pt4c.example";
    let password = app.staff_account(email, "Cora Coordinator", StaffRole::Coordinator).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(email, &password).await;

    let dashboard = "/console/";
    let roster_page = format!("/console/workshops/{roster}");
    let (dash_ms, dash_html) = time_page(&mut browser, dashboard).await;
    let (roster_ms, roster_html) = time_page(&mut browser, &roster_page).await;
    let dash_calls = calls_per_page(&app, &mut browser, dashboard).await;
    let roster_calls = calls_per_page(&app, &mut browser, &roster_page).await;

    println!(
        "Seeded: {WORKSHOPS} workshops over the next 7 days ({} Tess Trainer's), {REFERRALS} referrals ({} parents), {BOOKED} parents booked on the roster's workshop",
        WORKSHOPS.div_ceil(trainers.len()),
        REFERRALS * 2
    );
    print_figures(
        "Staff console dashboard (/console/), coordinator, local stack (moto stand-in, dev build)",
        &dash_ms,
        &dash_html,
        &format!("{} workshops listed", links(&dash_html, "/console/workshops/")),
        &dash_calls,
    );
    print_figures(
        &format!("Staff console workshop roster (/console/workshops/{{id}}, {BOOKED} parents), coordinator, local stack (moto stand-in, dev build)"),
        &roster_ms,
        &roster_html,
        &format!("{} parents listed", links(&roster_html, "/console/parents/")),
        &roster_calls,
    );
}
