//! The test harness: spawns a whole local stack on free ports over the moto stand-in
//! (started by the README's test command, found through `PT4C_MOTO_ENDPOINT`), with resources
//! of its own, and drives it as its users do.

use std::time::Duration;

use aws_sdk_dynamodb::types::Select;
use pt4c_local::mailbox::Mail;
use pt4c_local::{SeenEvent, Stack, StackConfig};
use serde_json::{json, Value};

pub use pt4c_local;

/// The course's requests (workshops, bookings, e-learning, the sweep) and typed views of the answers.
pub mod console;
pub mod course;
pub mod views;

pub use course::NewWorkshop;

pub struct TestApp {
    pub stack: Stack,
    pub http: reqwest::Client,
    pub moto: String,
}

/// The stand-in of this test's nextest slot: `PT4C_MOTO_ENDPOINTS` lists one per slot (tests
/// running side by side never share one), else `PT4C_MOTO_ENDPOINT` serves every test.
pub fn moto_endpoint() -> String {
    let slot: usize = std::env::var("NEXTEST_TEST_GLOBAL_SLOT").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let per_slot: Vec<String> = std::env::var("PT4C_MOTO_ENDPOINTS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    if !per_slot.is_empty() {
        return per_slot[slot % per_slot.len()].clone();
    }
    std::env::var("PT4C_MOTO_ENDPOINT")
        .expect("PT4C_MOTO_ENDPOINT is not set: run the tests with scripts/test.sh, which starts the AWS stand-in")
}

/// Where every test stack's clock starts (it then runs on): `PT4C_TEST_NOW` (RFC 3339) or, by
/// default, 23:58 London time on the last day of a month, so a run crosses midnight and a month's
/// end. No test reads the real date: the fixtures' dates (referred 2026-11-20, to complete by
/// 2027-01-29) hold at any moment from 2026-11-21 to 2026-12-31.
pub fn test_now() -> jiff::Timestamp {
    match std::env::var("PT4C_TEST_NOW") {
        Ok(s) if !s.trim().is_empty() => {
            s.trim().parse().unwrap_or_else(|e| panic!("PT4C_TEST_NOW={s:?} is not an RFC 3339 timestamp: {e}"))
        }
        _ => DEFAULT_TEST_NOW.parse().expect("a literal timestamp"),
    }
}

/// How big a heavy test runs: `small` in the test command, `full` with `PT4C_FULL_SIZE=1`
/// (`scripts/bench.sh`'s `heavy` step runs the race, the sweep and the chaos run at full size).
pub fn sized(small: usize, full: usize) -> usize {
    if std::env::var("PT4C_FULL_SIZE").is_ok_and(|v| v == "1") {
        full
    } else {
        small
    }
}

pub const DEFAULT_TEST_NOW: &str = "2026-11-30T23:58:00Z";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut StackConfig)) -> TestApp {
    // PT4C_TEST_LOG=info shows the stack's logs while debugging a test.
    if let Ok(filter) = std::env::var("PT4C_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).try_init();
    }
    let moto = moto_endpoint();
    let mut cfg = StackConfig::new(&moto);
    cfg.clock_starts_at = Some(test_now());
    configure(&mut cfg);
    let stack = pt4c_local::start(cfg).await.expect("the local stack starts");
    // Redirects are answers to check (a form's 303), not to follow.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
    TestApp { stack, http, moto }
}

/// A valid referral with parents Alex (A) and Morgan (B).
pub fn referral(id: &str) -> Value {
    json!({
        "referralId": id,
        "caseNumber": "ZW26P00123",
        "court": {"name": "Central Family Court", "email": "cfc.private@court.example"},
        "familyCourtAdviser": {"name": "Sam Adviser", "email": "sam.adviser@cafcass.example", "phone": "+447700900001"},
        "referredOn": "2026-11-20",
        "completeBy": "2027-01-29",
        "safeguardingConcerns": false,
        "parents": [
            {"parentRef": "A", "firstName": "Alex", "lastName": "Hartley", "email": "alex.hartley@example.com",
             "phone": "+447700900123", "workshopMode": "online", "interpreterLanguage": null, "adjustments": null},
            {"parentRef": "B", "firstName": "Morgan", "lastName": "Quill", "email": "morgan.quill@example.com",
             "phone": "07700 900456"}
        ]
    })
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.stack.api_url)
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
        let mut req = self.http.request(method, self.api(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.expect("the API answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, headers, body }
    }

    pub async fn post_referral(&self, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, "/referrals", Some("application/json"), serde_json::to_vec(body).unwrap()).await
    }

    pub async fn get_referral(&self, id: &str) -> Answer {
        self.send(reqwest::Method::GET, &format!("/referrals/{id}"), None, vec![]).await
    }

    pub async fn withdraw(&self, id: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, &format!("/referrals/{id}/withdraw"), Some("application/json"), serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn mail(&self) -> Vec<Mail> {
        self.stack.mail().await.expect("the mailbox answers")
    }

    pub async fn mail_to(&self, address: &str) -> Vec<Mail> {
        self.mail().await.into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }

    /// Waits (20 s at most) until at least `count` emails have been sent.
    pub async fn wait_for_mail(&self, count: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let mail = self.mail().await;
            if mail.len() >= count || tokio::time::Instant::now() > deadline {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an asynchronous condition holds (20 s at most); false if it never did.
    pub async fn eventually<F, Fut>(&self, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Waits (60 s at most) until the stack is quiet: every event delivered, retries included,
    /// and nothing new for a poll's length after (a delivery may publish events of its own).
    pub async fn quiet(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut quiet_polls = 0;
        while quiet_polls < 3 {
            assert!(tokio::time::Instant::now() < deadline, "the local stack was still busy after 60 s");
            quiet_polls = if self.stack.is_quiet().await.expect("the stand-in answers") { quiet_polls + 1 } else { 0 };
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn events(&self, detail_type: &str) -> Vec<SeenEvent> {
        self.stack.events().into_iter().filter(|e| e.detail_type == detail_type).collect()
    }

    /// Items stored under a referral (its partition: the referral, parents, notices, follow-ups, concerns).
    pub async fn items_of_referral(&self, referral_id: &str) -> i32 {
        let out = aws_sdk_dynamodb::Client::new(&self.stack.shared.sdk)
            .query()
            .table_name(&self.stack.shared.created.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("REFERRAL#{referral_id}")))
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .expect("query");
        out.count
    }

    /// Items in this stack's table (a Scan, every page: tests only).
    pub async fn stored_items(&self) -> i32 {
        let dynamo = aws_sdk_dynamodb::Client::new(&self.stack.shared.sdk);
        let mut count = 0;
        let mut start = None;
        loop {
            let out = dynamo
                .scan()
                .table_name(&self.stack.shared.created.table)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            count += out.count;
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return count,
            }
        }
    }

    /// Makes the stack's wire answer the next `times` matching AWS calls with a canned response
    /// (`pt4c_local::faults`).
    pub async fn fault(&self, action: &str, matching: Value, times: u32, status: u16, body: Value, content_type: Option<&str>) {
        let mut spec = json!({"action": action, "match": matching, "times": times, "status": status, "body": body});
        if let Some(ct) = content_type {
            spec["contentType"] = ct.into();
        }
        let res =
            self.http.post(format!("{}/_pt4c/faults", self.stack.control_url)).json(&spec).send().await.expect("the control plane answers");
        assert!(res.status().is_success(), "fault not registered: {}", res.status());
    }

    /// The bus refuses the next `times` PutEvents to this stack's bus.
    pub async fn bus_refuses(&self, times: u32) {
        let bus = self.stack.shared.created.bus.clone();
        self.fault(
            "AWSEvents.PutEvents",
            json!(bus),
            times,
            200,
            json!({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}]}),
            Some("application/x-amz-json-1.1"),
        )
        .await;
    }

    /// SES refuses the next `times` emails from this stack to `address`.
    pub async fn ses_refuses(&self, address: &str, times: u32) {
        self.fault(
            "SendRawEmail",
            json!([self.stack.shared.created.sender, address]),
            times,
            400,
            Value::String(
                // As SES words it: the message names the address (so the log test sees it if logged).
                format!("<ErrorResponse><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified. The following identities failed the check in region EU-WEST-2: {address}</Message></Error><RequestId>x</RequestId></ErrorResponse>"),
            ),
            Some("text/xml"),
        )
        .await;
    }

    /// The messages waiting in a dead-letter queue (by its logical id in the template).
    pub async fn dead_letters(&self, queue: &str) -> Vec<Value> {
        let url = self.stack.shared.created.dead_letter_queues.get(queue).expect("a dead-letter queue of the template");
        let sqs = aws_sdk_sqs::Client::new(&self.stack.shared.sdk);
        let out = sqs.receive_message().queue_url(url).max_number_of_messages(10).visibility_timeout(0).send().await.expect("receive");
        out.messages.unwrap_or_default().iter().filter_map(|m| serde_json::from_str(m.body().unwrap_or_default()).ok()).collect()
    }

    /// The Lambda Invoke API of the control plane.
    /// Invokes the deadline sweep as EventBridge Scheduler does, for the moment `time` (the stack's clock
    /// set to it first); Lambda's (status, function error, payload).
    pub async fn invoke_sweep(&self, time: jiff::Timestamp) -> (u16, Option<String>, Value) {
        self.stack.set_clock(Some(time));
        let event = json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": "123456789012", "time": time.to_string(), "region": "eu-west-2", "resources": [], "detail": {}});
        self.invoke("DeadlineSweepFunction", &event).await
    }

    /// DynamoDB refuses the next `action` (e.g. "TransactWriteItems") on this stack's table whose request
    /// names every one of `naming`, once, as a validation error.
    pub async fn dynamo_refuses_once(&self, action: &str, naming: &[&str]) {
        let mut matching = vec![self.stack.shared.created.table.as_str()];
        matching.extend_from_slice(naming);
        self.fault(
            &format!("DynamoDB_20120810.{action}"),
            json!(matching),
            1,
            400,
            json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "injected"}),
            Some("application/x-amz-json-1.0"),
        )
        .await;
    }

    pub async fn invoke(&self, function: &str, payload: &Value) -> (u16, Option<String>, Value) {
        let res = self
            .http
            .post(format!("{}/2015-03-31/functions/{function}/invocations", self.stack.control_url))
            .json(payload)
            .send()
            .await
            .expect("control plane answers");
        let status = res.status().as_u16();
        let error = res.headers().get("x-amz-function-error").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (status, error, res.json().await.unwrap_or(Value::Null))
    }
}

/// An EventBridge event as Lambda receives it.
pub fn eventbridge(detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type, "source": "pt4c",
        "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "eu-west-2", "resources": [], "detail": detail
    })
}

/// The Parent Hub link in an email's text.
pub fn hub_link(mail: &Mail) -> String {
    let start = mail.text.find("http").expect("a link in the email");
    mail.text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Fills the table with `count` copies of a stored referral (its referral and parent items, under
/// new ids), written straight to DynamoDB: half still on the course and next due at `due_at`,
/// half closed and out of the due-index. Returns the items the table then holds.
pub async fn fill_with_referrals(app: &TestApp, template_id: &str, count: usize, due_at: &str) -> i32 {
    fill_range(app, template_id, 0..count, due_at).await
}

/// Fills the table up to `total` copied referrals, counting those a previous fill made.
pub async fn fill_with_referrals_to(app: &TestApp, template_id: &str, total: usize, due_at: &str) -> i32 {
    let done = FILLED.load(std::sync::atomic::Ordering::SeqCst);
    let stored = fill_range(app, template_id, done..total.max(done), due_at).await;
    FILLED.store(total.max(done), std::sync::atomic::Ordering::SeqCst);
    stored
}

static FILLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn fill_range(app: &TestApp, template_id: &str, range: std::ops::Range<usize>, due_at: &str) -> i32 {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    let dynamo = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk);
    let table = app.stack.shared.created.table.clone();
    let items = dynamo
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("REFERRAL#{template_id}")))
        .send()
        .await
        .expect("query the template referral")
        .items
        .unwrap_or_default();
    let templates: Vec<_> = items
        .into_iter()
        .filter(|i| matches!(i.get("itemType").and_then(|v| v.as_s().ok()).map(String::as_str), Some("referral" | "parent")))
        .collect();
    assert!(templates.len() >= 2, "the template referral is stored");
    let mut requests = Vec::new();
    for n in range {
        let id = format!("FILL-{n:06}");
        for t in &templates {
            let mut item = t.clone();
            item.insert("pk".into(), AttributeValue::S(format!("REFERRAL#{id}")));
            item.insert("referralId".into(), AttributeValue::S(id.clone()));
            item.insert("caseNumber".into(), AttributeValue::S(format!("FILL{n:06}")));
            if let Some(AttributeValue::S(pid)) = t.get("parentId") {
                let parent_ref = pid.rsplit('.').next().unwrap_or("A");
                item.insert("parentId".into(), AttributeValue::S(format!("{id}.{parent_ref}")));
                if n % 2 == 0 {
                    item.insert("dueAt".into(), AttributeValue::S(due_at.to_owned()));
                } else {
                    item.remove("duePk");
                    item.remove("dueAt");
                    item.insert("status".into(), AttributeValue::S("completed".into()));
                }
            }
            requests.push(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build().unwrap()).build());
        }
    }
    for chunk in requests.chunks(25) {
        let mut pending = std::collections::HashMap::from([(table.clone(), chunk.to_vec())]);
        loop {
            let out = dynamo.batch_write_item().set_request_items(Some(pending)).send().await.expect("batch write");
            match out.unprocessed_items {
                Some(left) if !left.is_empty() => pending = left,
                _ => break,
            }
        }
    }
    // The table's item count (a Scan of every page costs minutes at 300,000 items in moto).
    let described = dynamo.describe_table().table_name(&table).send().await.expect("describe table");
    described.table.and_then(|t| t.item_count).unwrap_or_default() as i32
}
