use super::*;

fn json_call(target: &str, body: &str) -> Call {
    let header = |name: &str| match name {
        "x-amz-target" => target,
        "content-type" => "application/x-amz-json-1.0",
        _ => "",
    };
    Call::of("POST", "/", header, body.as_bytes())
}

fn fault(spec: Value) -> Fault {
    serde_json::from_value::<Fault>(spec).expect("a fault").checked().expect("a valid fault")
}

#[test]
fn a_form_call_is_named_by_its_action_and_its_raw_message_can_be_matched() {
    let mime = base64::engine::general_purpose::STANDARD.encode("To: alex@example.com\r\nSubject: Welcome\r\n\r\nhi");
    let body = format!("Action=SendRawEmail&Source=hub%40pt4c.example&RawMessage.Data={}", mime.replace('+', "%2B").replace('=', "%3D"));
    let header = |name: &str| match name {
        "content-type" => "application/x-www-form-urlencoded",
        "authorization" => "AWS4-HMAC-SHA256 Credential=testing/20261130/eu-west-2/ses/aws4_request, SignedHeaders=host",
        _ => "",
    };
    let call = Call::of("POST", "/", header, body.as_bytes());
    assert_eq!((call.action.as_str(), call.service.as_str()), ("SendRawEmail", "ses"));
    assert!(call.decoded.contains("hub@pt4c.example") && call.decoded.contains("alex@example.com"), "{}", call.decoded);
}

#[test]
fn a_fault_answers_only_calls_that_name_every_needle_and_only_so_many_times() {
    let mut wire = Wire::default();
    wire.faults.push(fault(json!({"action": "DynamoDB_20120810.PutItem", "match": ["t-table", "PARENT#B"], "times": 2, "status": 400,
        "body": {"__type": "ValidationException"}})));
    let other = json_call("DynamoDB_20120810.PutItem", r#"{"TableName":"t-table","Item":{"sk":{"S":"PARENT#A"}}}"#);
    assert_eq!(wire.decide(other, "application/x-amz-json-1.0"), None, "a call naming one needle passes");
    let named = || json_call("DynamoDB_20120810.PutItem", r#"{"TableName":"t-table","Item":{"sk":{"S":"PARENT#B"}}}"#);
    let answer = wire.decide(named(), "application/x-amz-json-1.0").expect("the fault answers");
    assert_eq!(answer.status, 400);
    assert_eq!(answer.headers[0], ("content-type".to_owned(), "application/x-amz-json-1.0".to_owned()));
    assert!(wire.decide(named(), "application/x-amz-json-1.0").is_some(), "twice");
    assert_eq!(wire.decide(named(), "application/x-amz-json-1.0"), None, "then no more");
    assert!(wire.faults.is_empty());
}

#[test]
fn a_transaction_conflict_names_one_reason_per_item() {
    let mut wire = Wire::default();
    wire.faults.push(fault(json!({"transactionConflict": true, "conflictAt": 5})));
    let body = r#"{"TransactItems":[{"Put":{}},{"Update":{}},{"ConditionCheck":{}}]}"#;
    let answer = wire.decide(json_call(TRANSACT_WRITE, body), "").expect("answered");
    let reply: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(reply["__type"], "com.amazonaws.dynamodb.v20120810#TransactionCanceledException");
    let codes: Vec<&str> = reply["CancellationReasons"].as_array().unwrap().iter().map(|r| r["Code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["None", "None", "TransactionConflict"], "past the end: the last item");
}

#[test]
fn faults_are_refused_when_they_could_never_answer() {
    let refused = |spec: Value| serde_json::from_value::<Fault>(spec).map_err(|e| e.to_string()).and_then(Fault::checked).unwrap_err();
    assert!(refused(json!({"match": "x"})).contains("'action'"));
    assert!(refused(json!({"action": "AWSEvents.PutEvents", "transactionConflict": true})).contains("TransactWriteItems only"));
    assert!(refused(json!({"action": "A", "times": 0})).contains("'times'"));
    assert!(refused(json!({"action": "A", "status": 99})).contains("'status'"));
    assert!(refused(json!({"action": "A", "tims": 2})).contains("unknown field"));
}

#[test]
fn one_seed_refuses_the_same_calls_and_counts_them() {
    let run = || {
        let spec: ChaosSpec = serde_json::from_value(json!({"seed": 7, "rate": 0.3, "services": ["dynamodb", "events"]})).unwrap();
        let mut wire = Wire { chaos: Some(Chaos::new(spec).unwrap()), ..Wire::default() };
        let refused: Vec<bool> = (0..200)
            .map(|i| {
                let target = if i % 2 == 0 { "DynamoDB_20120810.GetItem" } else { "AWSEvents.PutEvents" };
                wire.decide(json_call(target, r#"{"Entries":[{}]}"#), "").is_some()
            })
            .collect();
        let sqs_passes = wire.decide(json_call("AmazonSQS.SendMessage", "{}"), "").is_none();
        (refused, sqs_passes, wire.chaos_off())
    };
    let (first, sqs_passes, figures) = run();
    assert_eq!(first, run().0, "the same seed, the same refusals");
    assert!(sqs_passes, "services not named are never refused");
    let refused = first.iter().filter(|r| **r).count() as u64;
    assert!((30..=90).contains(&refused), "about 30 % of 200: {refused}");
    assert_eq!((figures["seen"].as_u64(), figures["refused"].as_u64(), figures["on"].as_bool()), (Some(200), Some(refused), Some(false)));
}

#[test]
fn the_log_counts_calls_and_the_items_they_name() {
    let mut wire = Wire::default();
    wire.decide(json_call("DynamoDB_20120810.BatchGetItem", r#"{"RequestItems":{"t-table":{"Keys":[{},{},{}]}}}"#), "");
    wire.decide(json_call("DynamoDB_20120810.Query", r#"{"TableName":"t-table"}"#), "");
    wire.decide(json_call("DynamoDB_20120810.Query", r#"{"TableName":"u-table"}"#), "");
    let seen = wire.requests(None, "t-table");
    assert_eq!(seen["count"], 2);
    assert_eq!(seen["items"]["DynamoDB_20120810.BatchGetItem"], 3);
    assert_eq!(wire.requests(Some("DynamoDB_20120810.Query"), "table")["count"], 2);
    wire.forget_requests();
    assert_eq!(wire.requests(None, "")["count"], 0);
}
