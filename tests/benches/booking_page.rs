//! The booking page with a national schedule stored: 5,000 future workshops (a year of them, one
//! in five in person), one eligible parent (online only). Prints the items one view reads (the
//! bookable index's entries, DynamoDB's ScannedCount) against the choices it shows, and the time
//! of one page view on the local stack (median, p90), unfiltered and narrowly filtered.
//! A benchmark: it prints figures (and writes target/bench/booking_page.md); it never fails on speed.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use jiff::SignedDuration;
use pt4c_app::booking::{self, OfferQuery};
use pt4c_app::App;
use pt4c_domain::link::Purpose;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

const WORKSHOPS: usize = 5_000;
const WARM_UP: usize = 10;
const REQUESTS: usize = 100;
/// London start hours: 14 workshops a day, mornings, afternoons and evenings.
const HOURS: [i8; 14] = [9, 9, 10, 10, 11, 13, 13, 14, 14, 15, 18, 18, 19, 19];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Copies one published workshop item `WORKSHOPS` times, straight into the table: new ids, a
/// year of start times, every fifth in person. Returns the seconds it took.
async fn fill(app: &TestApp, template: &str) -> f64 {
    let started = Instant::now();
    let dynamo = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk);
    let table = app.stack.shared.created.table.clone();
    let item = dynamo
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(format!("WORKSHOP#{template}")))
        .key("sk", AttributeValue::S("WORKSHOP".into()))
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the template workshop");
    let today = pt4c_domain::london_date(app.now());
    let mut requests = Vec::new();
    for n in 0..WORKSHOPS {
        let day = today + SignedDuration::from_hours(24 * (1 + (n / HOURS.len()) as i64));
        let starts = day.at(HOURS[n % HOURS.len()], 0, 0, 0).to_zoned(pt4c_domain::london()).unwrap().timestamp();
        let id = format!("00000000-0000-4000-8000-{n:012}");
        let key = pt4c_adapters::dynamo::due_key(starts);
        let mut w = item.clone();
        let s = |v: String| AttributeValue::S(v);
        w.insert("pk".into(), s(format!("WORKSHOP#{id}")));
        w.insert("workshopId".into(), s(id));
        w.insert("startsAt".into(), s(starts.to_string()));
        w.insert("endsAt".into(), s((starts + SignedDuration::from_mins(150)).to_string()));
        w.insert("dueAt".into(), s(key.clone()));
        w.insert("bookableAt".into(), s(key));
        if n % 5 == 4 {
            w.insert("mode".into(), s("in_person".into()));
            w.insert("location".into(), s("1 Court Street, Leeds".into()));
        }
        requests.push(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(w)).build().unwrap()).build());
    }
    for chunk in requests.chunks(25) {
        let mut pending = HashMap::from([(table.clone(), chunk.to_vec())]);
        loop {
            let out = dynamo.batch_write_item().set_request_items(Some(pending)).send().await.expect("batch write");
            match out.unprocessed_items {
                Some(left) if !left.is_empty() => pending = left,
                _ => break,
            }
        }
    }
    started.elapsed().as_secs_f64()
}

/// One view's items read (the use case's count and DynamoDB's ScannedCount) and choices shown.
async fn reads(app: &TestApp, token: &str, query: &OfferQuery) -> (usize, u64, f64, usize) {
    let deps = app.stack.deps();
    let (store, cost) = deps.app.store.metered();
    let metered = App { store, ..deps.app.clone() };
    let view = booking::offer(&metered, token, query).await.expect("a view");
    (view.items_read, cost.items_read(), cost.capacity_units(), view.workshops.len())
}

/// The page's time over HTTP: `REQUESTS` loads after `WARM_UP`, sorted, in ms.
async fn times(app: &TestApp, path: &str) -> Vec<f64> {
    for _ in 0..WARM_UP {
        app.http.get(app.api(path)).send().await.unwrap().bytes().await.unwrap();
    }
    let mut ms = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let res = app.http.get(app.api(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    ms
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("BENCH-BOOK")).await.status, 201);
    app.finish_elearning("BENCH-BOOK.A").await;
    let template = app
        .post_json(
            "/workshops",
            json!({"startsAt": (app.now() + SignedDuration::from_hours(12)).to_string(), "mode": "online",
                   "location": "https://meet.pt4c.example/w/1", "trainer": {"name": "Tess Trainer", "email": "tess.trainer@pt4c.example"}}),
        )
        .await;
    assert_eq!(template.status, 201, "{:?}", template.body);
    let filled = fill(&app, template.body["workshopId"].as_str().unwrap()).await;
    eprintln!("stored {WORKSHOPS} workshops in {filled:.1} s");
    let token = app.link("BENCH-BOOK.A", Purpose::Booking);

    let narrow = pt4c_domain::offering::OfferFilter {
        times: vec![pt4c_domain::offering::TimeOfDay::Evening],
        days: vec![pt4c_domain::offering::Days::Weekend],
    };
    let cases = [
        ("first screen, no filter", OfferQuery::default(), String::new()),
        ("evenings at weekends", OfferQuery { filter: narrow, from: None }, "?time=evening&days=weekend".to_owned()),
    ];
    let mut rows = Vec::new();
    for (name, query, qs) in cases {
        let (read, scanned, units, shown) = reads(&app, &token, &query).await;
        let ms = times(&app, &format!("/book/{token}{qs}")).await;
        rows.push(format!(
            "| {name} | {shown} | {read} | {scanned} | {units:.1} | {} | {:.1} ms | {:.1} ms |",
            if read <= 2 * shown.max(1) { "yes" } else { "no" },
            percentile(&ms, 0.5),
            percentile(&ms, 0.9)
        ));
        println!("{}", rows.last().unwrap());
    }
    let mut out = String::from("## Booking page with 5,000 future workshops (local stack)\n\n");
    out.push_str(&format!(
        "{WORKSHOPS} open workshops over the next year stored (14 a day, one in five in person), one parent (online only) viewing \
         `/book/{{token}}` (HTML). Items read: what the view took from the bookable index (the use case's count and DynamoDB's \
         ScannedCount with the read units, moto's figures); the page's time: {REQUESTS} loads after {WARM_UP} warm-up loads, on the \
         local stack (dev build, moto stand-in, whose index query walks every stored item, so the time grows with the table here \
         where DynamoDB's would not). Target: items read at most twice the choices shown.\n\n"
    ));
    out.push_str("| view | choices shown | items read | DynamoDB ScannedCount | read units | ≤ 2 × shown | median | p90 |\n|---|---|---|---|---|---|---|---|\n");
    for r in &rows {
        out.push_str(r);
        out.push('\n');
    }
    print!("{out}");
    let dir = pt4c_tests::pt4c_local::workspace_file("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("booking_page.md"), out).unwrap();
}
