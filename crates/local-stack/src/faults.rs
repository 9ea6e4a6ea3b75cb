//! What the stack's AWS calls meet on the wire (`wire`): canned answers a test sets for the next
//! matching calls ([`Fault`]), AWS calls refused at random from a seed ([`Chaos`]), and the log of
//! calls made. Served on the control plane (`/_pt4c/faults`, `/_pt4c/chaos`, `/_pt4c/requests`).
//!
//! A call's *action* is its `X-Amz-Target` (`DynamoDB_20120810.TransactWriteItems`) or, for the
//! query protocol (SES, SNS), its `Action` form field (`SendRawEmail`); anything else is
//! `"<METHOD> <path>"`. Its *decoded body* is the body as UTF-8, a form URL-decoded, with SES's
//! `RawMessage.Data` decoded and appended: a match can name a table, a key, a recipient.

use std::collections::{BTreeMap, VecDeque};

use base64::Engine;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use serde_json::{json, Value};

const TRANSACT_WRITE: &str = "DynamoDB_20120810.TransactWriteItems";
const CHAOS_SERVICES: [&str; 3] = ["dynamodb", "events", "ses"];
const SES_SENDS: [&str; 4] = ["SendRawEmail", "SendEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail"];
/// The calls kept for `/_pt4c/requests` (the oldest forgotten first).
const LOG_KEPT: usize = 20_000;

/// One AWS call as the faults see it.
#[derive(Debug, Clone)]
pub struct Call {
    pub action: String,
    pub service: String,
    pub decoded: String,
}

impl Call {
    /// Classifies a request: its action, service and decoded body (`header` reads a header by its
    /// lower-case name, "" if absent).
    pub fn of<'h>(method: &str, path: &str, header: impl Fn(&str) -> &'h str, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body).into_owned();
        let target = header("x-amz-target").trim().to_owned();
        let is_form = header("content-type").to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
            || (target.is_empty() && text.starts_with("Action="));
        let mut decoded = text;
        let mut form_action = None;
        if is_form {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
            form_action = pairs.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone());
            let mut out: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            for (_, raw) in pairs.iter().filter(|(k, _)| k == "RawMessage.Data") {
                if let Ok(mime) = base64::engine::general_purpose::STANDARD.decode(raw) {
                    out.push(String::from_utf8_lossy(&mime).into_owned());
                }
            }
            decoded = out.join("&");
        }
        let action = if !target.is_empty() {
            target.clone()
        } else if let Some(a) = form_action {
            a
        } else {
            format!("{method} {path}")
        };
        let service = if let Some(prefix) = (!target.is_empty()).then(|| target.split('.').next().unwrap_or_default()) {
            match prefix {
                p if p.starts_with("DynamoDB_") => "dynamodb".to_owned(),
                "AWSEvents" => "events".to_owned(),
                p => p.to_owned(),
            }
        } else {
            // The query protocol and REST APIs: the service in the signature's credential scope.
            let scope = header("authorization").split("Credential=").nth(1).and_then(|c| c.split('/').nth(3)).unwrap_or_default();
            match scope {
                "ses" if action.contains(' ') => "sesv2".to_owned(),
                "" if SES_SENDS.contains(&action.as_str()) => "ses".to_owned(),
                s => s.to_owned(),
            }
        };
        Self { action, service, decoded }
    }

    /// Items the call names (a transaction's or a batch's; 1 for the rest).
    fn items(&self) -> u64 {
        if self.service != "dynamodb" {
            return 1;
        }
        let body: Value = serde_json::from_str(&self.decoded).unwrap_or(Value::Null);
        if let Some(items) = body["TransactItems"].as_array() {
            return items.len() as u64;
        }
        match body["RequestItems"].as_object() {
            Some(tables) => tables.values().map(|v| v["Keys"].as_array().or(v.as_array()).map_or(0, |a| a.len() as u64)).sum(),
            None => 1,
        }
    }
}

/// An answer given instead of AWS's.
#[derive(Debug, Clone, PartialEq)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    fn aws_json(version: &str, status: u16, payload: &Value) -> Self {
        let body = payload.to_string().into_bytes();
        Self { status, headers: vec![("content-type".into(), format!("application/x-amz-json-{version}"))], body }
    }

    /// DynamoDB's answer to a TransactWriteItems that met a concurrent transaction.
    fn transaction_conflict(decoded: &str, conflict_at: usize) -> Self {
        let count = count_in(decoded, "TransactItems");
        let at = conflict_at.min(count - 1);
        let reasons: Vec<Value> = (0..count)
            .map(|i| {
                if i == at {
                    json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                } else {
                    json!({"Code": "None"})
                }
            })
            .collect();
        let codes: Vec<&str> = reasons.iter().filter_map(|r| r["Code"].as_str()).collect();
        Self::aws_json(
            "1.0",
            400,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
                "CancellationReasons": reasons}),
        )
    }

    /// An SES (query protocol) error document.
    fn ses_error(status: u16, code: &str, message: &str) -> Self {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        let body = format!(
            "<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            uuid::Uuid::new_v4()
        );
        Self { status, headers: vec![("content-type".into(), "text/xml".into())], body: body.into_bytes() }
    }
}

/// `len(body[key])` of a JSON request body (TransactItems, Entries), at least 1.
fn count_in(decoded: &str, key: &str) -> usize {
    serde_json::from_str::<Value>(decoded).ok().and_then(|b| b[key].as_array().map(Vec::len)).filter(|n| *n > 0).unwrap_or(1)
}

/// A string, or a list of strings every one of which must be in the body.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum Needles {
    #[default]
    None,
    One(String),
    All(Vec<String>),
}

impl Needles {
    fn list(&self) -> Vec<&str> {
        match self {
            Self::None => vec![],
            Self::One(s) => vec![s.as_str()],
            Self::All(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// `{"action", "match", "times", "status", "body", "contentType"?, "headers"?}` answers the next
/// `times` calls whose action is `action` and whose decoded body holds every `match` with `status`
/// and `body` (a string as is, anything else as JSON); `{"transactionConflict": true,
/// "conflictAt"?: i}` answers a TransactWriteItems as DynamoDB does when a concurrent transaction
/// holds item `i`. A call a fault answers never reaches AWS: nothing is written.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default, rename = "match")]
    pub needles: Needles,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Value,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub transaction_conflict: bool,
    #[serde(default)]
    pub conflict_at: usize,
    /// Calls still to answer.
    #[serde(default, skip_deserializing)]
    pub remaining: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Checks a fault as a test sent it; the reason it is refused.
    pub fn checked(mut self) -> Result<Self, String> {
        if self.transaction_conflict {
            match self.action.as_deref() {
                None | Some(TRANSACT_WRITE) => self.action = Some(TRANSACT_WRITE.into()),
                Some(_) => return Err(format!("'transactionConflict' is for {TRANSACT_WRITE} only")),
            }
        }
        if self.action.as_deref().is_none_or(str::is_empty) {
            return Err("'action' must be a non-empty string".into());
        }
        if self.times < 1 {
            return Err("'times' must be an integer >= 1".into());
        }
        if !(100..=599).contains(&self.status.unwrap_or(500)) {
            return Err("'status' must be an HTTP status code".into());
        }
        self.remaining = self.times;
        Ok(self)
    }

    fn matches(&self, call: &Call) -> bool {
        self.remaining > 0 && self.action.as_deref() == Some(&call.action) && self.needles.list().iter().all(|n| call.decoded.contains(n))
    }

    fn answer(&self, call: &Call, request_content_type: &str) -> Canned {
        if self.transaction_conflict {
            return Canned::transaction_conflict(&call.decoded, self.conflict_at);
        }
        let (body, looks_xml) = match &self.body {
            Value::String(s) => (s.clone().into_bytes(), s.trim_start().starts_with('<')),
            other => (other.to_string().into_bytes(), false),
        };
        let content_type = self.content_type.clone().unwrap_or_else(|| match request_content_type {
            _ if looks_xml => "text/xml".into(),
            ct if ct.starts_with("application/x-amz-json") => ct.split(';').next().unwrap_or(ct).to_owned(),
            _ => "application/json".into(),
        });
        let mut headers = vec![("content-type".to_owned(), content_type)];
        headers.extend(self.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        Canned { status: self.status.unwrap_or(500), headers, body }
    }
}

/// `{"seed", "rate", "services"?, "match"?, "retryableShare"?}`: each later call to one of
/// `services` (default dynamodb, events, ses) whose body holds any of `match` (none: every call)
/// is refused with probability `rate`, with the service's own error; `retryableShare` (0.8) of the
/// refusals are ones a client should retry. One seed and one order of calls refuse the same calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChaosSpec {
    pub seed: u64,
    pub rate: f64,
    #[serde(default)]
    pub services: Option<Vec<String>>,
    #[serde(default, rename = "match")]
    pub needles: Needles,
    #[serde(default)]
    pub retryable_share: Option<f64>,
}

#[derive(Debug)]
pub struct Chaos {
    spec: ChaosSpec,
    services: Vec<String>,
    rng: StdRng,
    on: bool,
    /// Per service: seen, refused, retryable, and the codes given.
    figures: BTreeMap<String, (u64, u64, u64, BTreeMap<String, u64>)>,
}

impl Chaos {
    pub fn new(spec: ChaosSpec) -> Result<Self, String> {
        let services = spec.services.clone().unwrap_or_else(|| CHAOS_SERVICES.map(str::to_owned).to_vec());
        if services.is_empty() || !services.iter().all(|s| CHAOS_SERVICES.contains(&s.as_str())) {
            return Err(format!("'services' must be a non-empty list of {}", CHAOS_SERVICES.join(", ")));
        }
        for (name, v) in [("rate", Some(spec.rate)), ("retryableShare", spec.retryable_share)] {
            if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                return Err(format!("'{name}' must be a number from 0 to 1"));
            }
        }
        let figures = services.iter().map(|s| (s.clone(), (0, 0, 0, BTreeMap::new()))).collect();
        Ok(Self { rng: StdRng::seed_from_u64(spec.seed), spec, services, on: true, figures })
    }

    fn decide(&mut self, call: &Call) -> Option<Canned> {
        if !self.on || !self.figures.contains_key(&call.service) {
            return None;
        }
        let needles = self.spec.needles.list();
        if !needles.is_empty() && !needles.iter().any(|n| call.decoded.contains(n)) {
            return None;
        }
        let figures = self.figures.get_mut(&call.service)?;
        figures.0 += 1;
        if self.rng.random::<f64>() >= self.spec.rate {
            return None;
        }
        let retryable = self.rng.random::<f64>() < self.spec.retryable_share.unwrap_or(0.8);
        let codes = chaos_codes(&call.service, &call.action, retryable);
        let code = codes[self.rng.random_range(0..codes.len())];
        figures.1 += 1;
        figures.2 += u64::from(retryable);
        *figures.3.entry(code.to_owned()).or_default() += 1;
        let at = self.rng.random_range(0..count_in(&call.decoded, "TransactItems"));
        let mut answer = chaos_answer(&call.service, code, &call.decoded, at);
        answer.headers.push(("x-pt4c-chaos".into(), code.into()));
        Some(answer)
    }

    /// `{"on", "seed", "rate", "retryableShare", "services", "match", "seen", "refused",
    /// "byService": {service: {"seen", "refused", "retryable", "codes"}}}`.
    pub fn describe(&self) -> Value {
        let by_service: serde_json::Map<String, Value> = self
            .figures
            .iter()
            .map(|(s, (seen, refused, retryable, codes))| {
                (s.clone(), json!({"seen": seen, "refused": refused, "retryable": retryable, "codes": codes}))
            })
            .collect();
        json!({"on": self.on, "seed": self.spec.seed, "rate": self.spec.rate,
            "retryableShare": self.spec.retryable_share.unwrap_or(0.8), "services": self.services, "match": self.spec.needles.list(),
            "seen": self.figures.values().map(|f| f.0).sum::<u64>(), "refused": self.figures.values().map(|f| f.1).sum::<u64>(),
            "byService": by_service})
    }
}

fn chaos_codes(service: &str, action: &str, retryable: bool) -> &'static [&'static str] {
    match (service, retryable) {
        ("dynamodb", false) | ("events", false) => &["AccessDeniedException"],
        ("dynamodb", true) if action == TRANSACT_WRITE => {
            &["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError", "TransactionCanceledException"]
        }
        ("dynamodb", true) => &["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"],
        ("events", true) if action == "AWSEvents.PutEvents" => &["InternalFailure", "InternalException"],
        ("events", true) => &["InternalException"],
        (_, false) if SES_SENDS.contains(&action) => &["MessageRejected"],
        (_, false) => &["AccessDenied"],
        (_, true) => &["Throttling", "InternalFailure"],
    }
}

fn chaos_answer(service: &str, code: &str, decoded: &str, conflict_at: usize) -> Canned {
    match (service, code) {
        ("dynamodb", "TransactionCanceledException") => Canned::transaction_conflict(decoded, conflict_at),
        ("dynamodb", _) => {
            let (status, namespace, message) = match code {
                "ProvisionedThroughputExceededException" => (400, "com.amazonaws.dynamodb.v20120810#", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."),
                "ThrottlingException" => (400, "com.amazon.coral.availability#", "Rate of requests exceeds the allowed throughput."),
                "InternalServerError" => (500, "com.amazonaws.dynamodb.v20120810#", "Internal server error"),
                // A transient IAM or KMS refusal: a correct client reports it and does not retry it.
                _ => (400, "com.amazon.coral.service#", "User is not authorized to perform this operation on this resource (chaos)"),
            };
            Canned::aws_json("1.0", status, &json!({"__type": format!("{namespace}{code}"), "message": message}))
        }
        ("events", "InternalFailure") => {
            // PutEvents: HTTP 200, every entry failed
            let entries = count_in(decoded, "Entries");
            let failed = vec![json!({"ErrorCode": "InternalFailure", "ErrorMessage": "chaos"}); entries];
            Canned::aws_json("1.1", 200, &json!({"FailedEntryCount": entries, "Entries": failed}))
        }
        ("events", "InternalException") => {
            Canned::aws_json("1.1", 500, &json!({"__type": code, "message": "Internal service error (chaos)"}))
        }
        ("events", _) => {
            Canned::aws_json("1.1", 400, &json!({"__type": code, "message": "User is not authorized to perform this operation (chaos)"}))
        }
        (_, "Throttling") => Canned::ses_error(400, code, "Maximum sending rate exceeded."),
        (_, "InternalFailure") => Canned::ses_error(500, code, "An internal failure occurred (chaos)."),
        // no address in the message: it would be logged
        (_, "MessageRejected") => Canned::ses_error(400, code, "Email rejected (chaos)."),
        _ => Canned::ses_error(403, code, "User is not authorized to perform this operation (chaos)."),
    }
}

/// The faults, the chaos and the log of one stack's calls.
#[derive(Debug, Default)]
pub struct Wire {
    pub faults: Vec<Fault>,
    pub chaos: Option<Chaos>,
    log: VecDeque<Call>,
}

impl Wire {
    /// Logs a call and decides it: a canned answer, or `None` to let it through.
    /// Explicit faults come first (a call a fault answers does not draw).
    pub fn decide(&mut self, call: Call, request_content_type: &str) -> Option<Canned> {
        let answer = match self.faults.iter_mut().find(|f| f.matches(&call)) {
            Some(fault) => {
                fault.remaining -= 1;
                Some(fault.answer(&call, request_content_type))
            }
            None => self.chaos.as_mut().and_then(|c| c.decide(&call)),
        };
        self.faults.retain(|f| f.remaining > 0);
        if self.log.len() == LOG_KEPT {
            self.log.pop_front();
        }
        self.log.push_back(call);
        answer
    }

    /// Turns chaos off; its figures.
    pub fn chaos_off(&mut self) -> Value {
        match self.chaos.as_mut() {
            Some(c) => {
                c.on = false;
                c.describe()
            }
            None => json!({"on": false, "seed": null, "rate": 0.0, "seen": 0, "refused": 0, "byService": {}}),
        }
    }

    /// `{"count", "byAction", "items"}` of the calls logged with `action` (any if `None`) whose
    /// body holds `needle`.
    pub fn requests(&self, action: Option<&str>, needle: &str) -> Value {
        let mut by_action: BTreeMap<&str, u64> = BTreeMap::new();
        let mut items: BTreeMap<&str, u64> = BTreeMap::new();
        let mut count = 0;
        for call in self.log.iter().filter(|c| action.is_none_or(|a| a == c.action) && c.decoded.contains(needle)) {
            count += 1;
            *by_action.entry(&call.action).or_default() += 1;
            *items.entry(&call.action).or_default() += call.items();
        }
        json!({"count": count, "byAction": by_action, "items": items})
    }

    pub fn forget_requests(&mut self) {
        self.log.clear();
    }
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
