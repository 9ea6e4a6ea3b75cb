//! Counts the AWS calls each operation makes (as the stand-in sees them), estimates the DynamoDB
//! capacity they consume, and prices 1,000 referrals end to end at eu-west-2 prices.
//! A benchmark: it prints figures (and writes them to target/bench/aws_calls.md); it never fails on speed.
//!
//! The stack runs with its event pollers and outbox relay parked, and each function is invoked
//! directly, so every call counted belongs to the one operation measured.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::{eventbridge, referral, spawn_app_with, TestApp};
use serde_json::{json, Value};

const MODULES: [&str; 4] = ["going-to-court", "managing-emotions", "how-separation-affects-children", "childs-point-of-view"];

/// List prices in eu-west-2 (London), USD: AWS's published on-demand prices as last known to us
/// (DynamoDB's after its November 2024 on-demand reduction). This machine has no network to re-read
/// them: check the pricing pages before relying on the totals.
mod price {
    /// Lambda arm64: per GB-second, and per request.
    pub const LAMBDA_GB_S: f64 = 0.000_013_333_4;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// DynamoDB on demand (standard table class): per write and read request unit.
    pub const DDB_WRU: f64 = 0.7425 / 1e6;
    pub const DDB_RRU: f64 = 0.1485 / 1e6;
    /// EventBridge custom events (per 64 KB chunk), Scheduler invocations, SES emails.
    pub const EVENT: f64 = 1.00 / 1e6;
    pub const SCHEDULE: f64 = 1.00 / 1e6;
    pub const EMAIL: f64 = 0.10 / 1000.0;
    /// API Gateway HTTP API requests (first 300 million a month).
    pub const HTTP_REQUEST: f64 = 1.11 / 1e6;
    /// A transactional SMS (one message part: every text is under 160 GSM characters) to a UK
    /// mobile through SNS / AWS End User Messaging SMS, USD. AWS publishes it per country at
    /// https://aws.amazon.com/end-user-messaging/pricing/ and changes it often; the UK row could not
    /// be read from here on 2026-11-28 (no network; the search of stored AWS pages found none), so
    /// this is an estimate within the US$0.04-0.05 a UK part has cost: `PT4C_SMS_PRICE_USD` overrides it.
    pub const SMS_UK: f64 = 0.045;
}

/// The price of one text: `PT4C_SMS_PRICE_USD`, or `price::SMS_UK`.
fn sms_price() -> f64 {
    std::env::var("PT4C_SMS_PRICE_USD").ok().and_then(|v| v.parse().ok()).unwrap_or(price::SMS_UK)
}

/// Texts per referral (2 parents, each with a UK mobile) by notice kind, for a course run once:
/// (kind, texts, when). The rarer kinds are counted as if every parent got them: an upper bound.
const TEXTS_PER_REFERRAL: [(&str, f64, &str); 6] = [
    ("welcome", 2.0, "every parent"),
    ("booking-confirmed", 2.0, "every booking"),
    ("workshop-reminder", 2.0, "48 h before each workshop"),
    ("workshop-reminder-2h", 2.0, "2 h before each workshop (the 15-minute run)"),
    ("did-not-attend", 2.0, "only a parent who missed their workshop (upper bound)"),
    ("deadline-warning", 2.0, "only a parent not booked 14 days before the court's date (upper bound)"),
];

/// The SMS section of the cost: each kind's price per 1,000 referrals, and what `SMS_KINDS` (as
/// configured here, else the template's default) adds to the total.
fn sms_costs(aws_total: f64) -> String {
    let kinds = std::env::var("SMS_KINDS").unwrap_or_else(|_| pt4c_domain::sms::DEFAULT_SMS_KINDS.into());
    let chosen: Vec<&str> = kinds.split(',').map(str::trim).collect();
    let price = sms_price();
    let mut out = String::from("\n## Texts (SMS) per 1,000 referrals\n\n");
    out.push_str(&format!(
        "Each text is one message part (under 160 GSM characters) at US${price} to a UK mobile (transactional); every parent is assumed to have a UK mobile (landlines and foreign numbers get none). `SMS_KINDS` (template parameter `SmsKinds`) chooses the kinds.\n\n"
    ));
    out.push_str("| kind | texts per referral | USD per 1,000 referrals | in `SMS_KINDS` here |\n|---|---|---|---|\n");
    let mut chosen_total = 0.0;
    for (kind, texts, when) in TEXTS_PER_REFERRAL {
        let usd = texts * 1000.0 * price;
        let on = chosen.contains(&kind);
        if on {
            chosen_total += usd;
        }
        out.push_str(&format!("| {kind} ({when}) | {texts} | {usd:.2} | {} |\n", if on { "yes" } else { "no" }));
    }
    out.push_str(&format!(
        "| **the configured kinds** | | **{chosen_total:.2}** | |\n\nWith texts, 1,000 referrals cost about US${:.2} ({:.4} without): the texts are {:.1} % of it. The 2-hour reminder needs the sweep's 15-minute run, which already gives back ended seat holds: 96 invocations a day, about 2,900 a month (Lambda requests US$0.0006 and, at 128 MB and about 50 ms each, 18 GB-s or US$0.0002; Scheduler US$0.003 before its free tier), whatever the number of referrals.\n",
        aws_total + chosen_total,
        aws_total,
        100.0 * chosen_total / (aws_total + chosen_total).max(f64::MIN_POSITIVE)
    ));
    out
}

/// Calls by action, and the items they named (fractions once divided per parent).
#[derive(Debug, Default, Clone)]
struct Calls {
    by_action: BTreeMap<String, f64>,
    items: BTreeMap<String, f64>,
}

/// 2 decimals at most, none for whole numbers.
fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl Calls {
    fn total(&self) -> f64 {
        self.by_action.values().sum()
    }
    fn minus(&self, before: &Calls) -> Calls {
        let diff = |a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>| {
            a.iter()
                .filter_map(|(k, v)| {
                    let d = v - b.get(k).copied().unwrap_or(0.0);
                    (d > 0.0).then(|| (k.clone(), d))
                })
                .collect()
        };
        Calls { by_action: diff(&self.by_action, &before.by_action), items: diff(&self.items, &before.items) }
    }
    fn add(&mut self, other: &Calls, times: f64) {
        for (k, v) in &other.by_action {
            *self.by_action.entry(k.clone()).or_default() += v * times;
        }
        for (k, v) in &other.items {
            *self.items.entry(k.clone()).or_default() += v * times;
        }
    }
    fn n(&self, action: &str) -> f64 {
        self.by_action.get(&format!("DynamoDB_20120810.{action}")).copied().unwrap_or(0.0)
    }
    fn items_of(&self, action: &str) -> f64 {
        self.items.get(&format!("DynamoDB_20120810.{action}")).copied().unwrap_or(0.0)
    }
    /// Write request units, for items under 1 KB (transactions cost two per item).
    fn write_units(&self) -> f64 {
        2.0 * self.items_of("TransactWriteItems")
            + self.n("PutItem")
            + self.n("UpdateItem")
            + self.n("DeleteItem")
            + self.items_of("BatchWriteItem")
    }
    /// Read request units, for strongly consistent reads of items under 4 KB (a Query or a
    /// referral's partition reads as one unit per 4 KB; counted as one here).
    fn read_units(&self) -> f64 {
        self.n("GetItem") + self.items_of("BatchGetItem") + self.n("Query")
    }
    fn emails(&self) -> f64 {
        self.by_action.get("SendRawEmail").copied().unwrap_or(0.0)
    }
    fn events(&self) -> f64 {
        self.by_action.get("AWSEvents.PutEvents").copied().unwrap_or(0.0)
    }
    fn summary(&self) -> String {
        self.by_action
            .iter()
            .map(|(k, v)| {
                let name = k.rsplit('.').next().unwrap_or(k);
                let items = self.items.get(k).copied().unwrap_or(*v);
                if (items - v).abs() > 1e-9 {
                    format!("{} {name} ({} items)", num(*v), num(items))
                } else {
                    format!("{} {name}", num(*v))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The AWS calls this stack made so far (the stand-in's log, this stack's resources only; SQS is
/// the local runner's plumbing, not the product's).
async fn calls(app: &TestApp) -> Calls {
    let url = format!("{}/_pt4c/requests?match={}", app.stack.control_url, app.stack.shared.created.table.split('-').next().unwrap_or(""));
    let v: Value = app.http.get(url).send().await.unwrap().json().await.unwrap();
    let keep = |k: &str| !k.starts_with("AmazonSQS") && !k.contains("Action=ReceiveMessage");
    let map = |key: &str| {
        v[key]
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| keep(k)).map(|(k, n)| (k.clone(), n.as_f64().unwrap_or(0.0))).collect())
            .unwrap_or_default()
    };
    Calls { by_action: map("byAction"), items: map("items") }
}

async fn post(app: &TestApp, path: &str, body: Value) -> pt4c_tests::Answer {
    app.send(reqwest::Method::POST, path, Some("application/json"), serde_json::to_vec(&body).unwrap()).await
}

async fn measure<F, Fut>(app: &TestApp, f: F) -> Calls
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = calls(app).await;
    f().await;
    calls(app).await.minus(&before)
}

async fn invoke(app: &TestApp, function: &str, detail_type: &str, detail: Value) {
    let (status, error, body) = app.invoke(function, &eventbridge(detail_type, detail)).await;
    assert!(status == 200 && error.is_none(), "{function} {detail_type}: {body}");
}

fn token(app: &TestApp, parent: &str, purpose: Purpose, now: Timestamp) -> String {
    app.stack.links().sign(&ParentId::parse(parent).unwrap(), purpose, now + SignedDuration::from_hours(24 * 60))
}

#[tokio::main]
async fn main() {
    // Pollers and relay parked: nothing runs but what the bench invokes.
    let app = spawn_app_with(|c| {
        c.deliver_events = false;
        c.relay_every = Duration::from_secs(3600);
    })
    .await;
    let t0: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
    app.stack.set_clock(Some(t0));
    let mut rows: Vec<(&str, Calls, &str, &str)> = Vec::new();
    let (a, b) = ("CAF-CALLS-1.A", "CAF-CALLS-1.B");

    let intake = measure(&app, || async { assert_eq!(app.post_referral(&referral("CAF-CALLS-1")).await.status, 201) }).await;
    rows.push((
        "referral intake (2 parents)",
        intake.clone(),
        "1 TransactWriteItems, 1 PutEvents",
        "+1 BatchWriteItem: the outbox entry, cleared once published (the price of never losing an event)",
    ));

    let welcome = measure(&app, || {
        invoke(
            &app,
            "WelcomeEmailFunction",
            "ReferralReceived",
            json!({"referralId": "CAF-CALLS-1", "parentIds": [a, b], "receivedAt": t0.to_string()}),
        )
    })
    .await;
    rows.push((
        "welcome emails (2 parents)",
        welcome.clone(),
        "1 Query, 2 SendRawEmail, 2 ledger writes",
        "+2 writes: each email is claimed before sending and marked after, so a crash between never sends twice",
    ));

    let now = t0 + SignedDuration::from_hours(1);
    app.stack.set_clock(Some(now));
    let hub = measure(&app, || async {
        let t = token(&app, a, Purpose::Hub, now);
        assert_eq!(app.send(reqwest::Method::POST, &format!("/hub/{t}/activate"), None, vec![]).await.status, 303);
    })
    .await;
    rows.push((
        "Parent Hub set up (POST activate)",
        hub.clone(),
        "1 BatchGetItem, 1 TransactWriteItems, 1 PutEvents",
        "+1 BatchWriteItem (the outbox entry cleared)",
    ));

    let mut module = Calls::default();
    let mut last_module = Calls::default();
    for p in [a, b] {
        for (i, m) in MODULES.iter().enumerate() {
            let c = measure(&app, || async {
                let r = post(&app, "/elearning/completions", json!({"parentId": p, "moduleId": m, "completedAt": now.to_string()})).await;
                assert_eq!(r.status, 200);
            })
            .await;
            if i + 1 == MODULES.len() {
                last_module = c
            } else {
                module = c
            }
        }
    }
    rows.push((
        "e-learning module completed",
        module.clone(),
        "1 TransactWriteItems, 1 PutEvents, 1 read",
        "+1 UpdateItem on the first module (status e-learning started); +1 BatchWriteItem (the outbox entry cleared)",
    ));
    rows.push((
        "last module (e-learning complete)",
        last_module.clone(),
        "2 TransactWriteItems, 2 PutEvents, 1 read",
        "the module and the completion are two events, each with its outbox entry",
    ));

    let book_email = measure(&app, || {
        invoke(&app, "NotificationsFunction", "ELearningCompleted", json!({"parentId": a, "completedAt": now.to_string()}))
    })
    .await;
    rows.push(("book-workshop email", book_email.clone(), "1 BatchGetItem, 1 SendRawEmail, 2 ledger writes", "—"));

    let starts = t0 + SignedDuration::from_hours(24 * 10);
    let w = post(
        &app,
        "/workshops",
        json!({"startsAt": starts.to_string(), "mode": "online", "location": "https://meet.pt4c.example/c",
        "trainer": {"name": "Tess Trainer", "email": "tess@pt4c.example"}}),
    )
    .await;
    let wid = w.body["workshopId"].as_str().unwrap().to_owned();
    let booking = measure(&app, || async {
        let r = post(&app, &format!("/book/{}", token(&app, a, Purpose::Booking, now)), json!({"workshopId": wid})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    })
    .await;
    rows.push((
        "booking",
        booking.clone(),
        "1 BatchGetItem (parent), 1 GetItem (workshop), 1 TransactWriteItems (4 items), 1 PutEvents",
        "+1 BatchWriteItem (the outbox entry cleared); seats and the co-parent rule are conditions, not reads",
    ));
    let confirm = measure(&app, || {
        invoke(&app, "NotificationsFunction", "WorkshopBooked", json!({"parentId": a, "workshopId": wid, "bookedAt": now.to_string()}))
    })
    .await;
    rows.push(("booking-confirmed email (.ics)", confirm.clone(), "1 BatchGetItem, 1 GetItem, 1 SendRawEmail, 2 ledger writes", "—"));

    let cancel = measure(&app, || async {
        let r = post(&app, &format!("/book/{}/cancel", token(&app, a, Purpose::Booking, now)), json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    })
    .await;
    rows.push((
        "cancellation",
        cancel.clone(),
        "1 BatchGetItem, 1 TransactWriteItems (4 items), 1 PutEvents",
        "+1 BatchWriteItem (the outbox entry cleared)",
    ));

    let r = post(&app, &format!("/book/{}", token(&app, a, Purpose::Booking, now)), json!({"workshopId": wid})).await;
    assert_eq!(r.status, 201);
    app.stack.set_clock(Some(starts + SignedDuration::from_hours(3)));
    let attendance = measure(&app, || async {
        let r = post(&app, &format!("/workshops/{wid}/attendance"), json!({"parentId": a, "attended": true})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    })
    .await;
    rows.push(("attendance (attended)", attendance.clone(),
        "1 GetItem (workshop), 1 BatchGetItem (parent), 1 TransactWriteItems (4 items), 1 PutEvents, 1 Query (is the referral complete?)",
        "+1 BatchWriteItem (the outbox entry cleared); +1 transaction item and 1 UpdateItem: the referral is marked for closing and the mark cleared (the co-parent is still on the course), so a failed close is finished by the sweep; the workshop read could become a condition check, the booking on the parent has its times"));

    // The sweep: 10 referrals (20 parents) due for their activation reminder.
    app.stack.set_clock(Some(t0));
    for i in 0..10 {
        let mut body = referral(&format!("CAF-SWEEP-{i}"));
        body["caseNumber"] = format!("ZWS{i:03}").into();
        assert_eq!(app.post_referral(&body).await.status, 201);
    }
    let swept_at = t0 + SignedDuration::from_hours(48);
    app.stack.set_clock(Some(swept_at));
    let due = std::cell::Cell::new(0u64);
    let sweep = measure(&app, || async {
        let (status, _, summary) = app.invoke_sweep(swept_at).await;
        assert_eq!(status, 200, "{summary}");
        due.set(summary["parentsDue"].as_u64().unwrap());
    })
    .await;
    let mut per_parent = Calls::default();
    per_parent.add(&sweep, 1.0 / due.get().max(1) as f64);
    rows.push(("sweep, per due parent (20 due)", per_parent.clone(), "1 TransactWriteItems (2 items), 0.1 PutEvents, 0.01 Query (a page of 100)",
        "+0.04 BatchWriteItem: outbox entries cleared 25 at a time; +0.1 Query: the sweep also queries the referrals to close and to erase (one page each, once a run)"));
    let reminder = measure(&app, || {
        invoke(
            &app,
            "NotificationsFunction",
            "ReminderDue",
            json!({"parentId": "CAF-SWEEP-0.A", "reminder": "activation-reminder", "dueAt": swept_at.to_string()}),
        )
    })
    .await;
    rows.push(("reminder email (one parent)", reminder.clone(), "1 BatchGetItem, 1 SendRawEmail, 2 ledger writes", "—"));

    // One referral (2 parents) from intake to completion, built from the operations measured.
    let recipe: Vec<(&Calls, f64, &str)> = vec![
        (&intake, 1.0, "intake"),
        (&welcome, 1.0, "welcome"),
        (&hub, 2.0, "activation"),
        (&module, 6.0, "modules"),
        (&last_module, 2.0, "e-learning complete"),
        (&book_email, 2.0, "book-workshop email"),
        (&booking, 2.0, "booking"),
        (&confirm, 2.0, "confirmation"),
        (&per_parent, 2.0 * 3.0, "sweep visits (activation, e-learning, workshop reminders)"),
        (&reminder, 2.0 * 2.0, "reminder emails"),
        (&attendance, 2.0, "attendance"),
        (&reminder, 2.0 + 1.0, "completed emails and the FCA's"),
    ];
    let mut referral_calls = Calls::default();
    let mut invocations = 0.0;
    for (c, times, _) in &recipe {
        referral_calls.add(c, *times);
        invocations += times;
    }
    let http_requests = 1.0 + 2.0 + 8.0 + 2.0 + 2.0 + 2.0; // intake, hub, modules, booking pages and posts, attendance
    let per_1000 = |x: f64| x * 1000.0;
    // Lambda: 128 MB, 40 ms billed per invocation on average (handlers are I/O-bound; start-ups included).
    let lambda_gb_s = invocations * 0.040 * 0.125;
    let costs = [
        ("Lambda requests", per_1000(invocations) * price::LAMBDA_REQUEST),
        ("Lambda compute (128 MB, 40 ms each)", per_1000(lambda_gb_s) * price::LAMBDA_GB_S),
        ("DynamoDB writes", per_1000(referral_calls.write_units()) * price::DDB_WRU),
        ("DynamoDB reads", per_1000(referral_calls.read_units()) * price::DDB_RRU),
        ("EventBridge events", per_1000(referral_calls.events()) * price::EVENT),
        ("SES emails", per_1000(referral_calls.emails()) * price::EMAIL),
        ("HTTP API requests", per_1000(http_requests) * price::HTTP_REQUEST),
        ("Scheduler (daily sweep, shared)", 0.0 * price::SCHEDULE),
    ];
    let total: f64 = costs.iter().map(|(_, c)| c).sum();

    let mut out = String::new();
    out.push_str("## AWS calls per operation\n\n");
    out.push_str(
        "Counted by the AWS stand-in (every request it served for the operation; SQS is the local runner's plumbing and not counted). ",
    );
    out.push_str("Capacity is estimated from the calls: items under 1 KB written (2 units per transaction item), strongly consistent reads under 4 KB.\n\n");
    out.push_str("| operation | AWS calls | calls | DynamoDB WRU | RRU | the least it needs | gap |\n|---|---|---|---|---|---|---|\n");
    for (name, c, least, gap) in &rows {
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {least} | {gap} |\n",
            c.summary(),
            num(c.total()),
            num(c.write_units()),
            num(c.read_units())
        ));
    }
    out.push_str(&format!("\n## Cost per 1,000 referrals (2 parents each), intake to completion\n\nPer referral: {} AWS calls ({} DynamoDB write units, {} read units, {} PutEvents, {} emails), {} Lambda invocations, {} HTTP requests.\n\n",
        num(referral_calls.total()), num(referral_calls.write_units()), num(referral_calls.read_units()), num(referral_calls.events()), num(referral_calls.emails()), invocations, http_requests));
    out.push_str("| item | USD per 1,000 referrals |\n|---|---|\n");
    for (name, c) in &costs {
        out.push_str(&format!("| {name} | {c:.4} |\n"));
    }
    out.push_str(&format!("| **total** | **{total:.4}** |\n\n"));
    out.push_str("Prices (eu-west-2, USD; AWS's published list prices as last known to us, DynamoDB's after its November 2024 on-demand reduction; not re-read on 2026-11-22, this machine has no network, so check before relying on them): Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; ");
    out.push_str("DynamoDB on demand $0.7425 per million write units and $0.1485 per million read units; EventBridge custom events $1.00 per million; ");
    out.push_str("EventBridge Scheduler $1.00 per million invocations (one sweep a day, shared by every referral); SES $0.10 per 1,000 emails; API Gateway HTTP API $1.11 per million requests. ");
    out.push_str("Storage, logs and free tiers are left out.\n");
    out.push_str(&sms_costs(total));
    println!("{out}");
    let dir = pt4c_tests::pt4c_local::workspace_file("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("aws_calls.md"), out).unwrap();
}
