//! The stack's network: every AWS call of the stack (and of its tests) goes through one HTTP
//! client, which
//! - sends DynamoDB calls to the stack's own DynamoDB (dynoxide, in process: `pt4c_emulator`) and
//!   every other call to the stand-in (SQS, EventBridge, SES, SNS, Cognito, SSM);
//! - answers a call itself when a fault or chaos says so (`faults`): nothing reaches AWS;
//! - wakes the stack's pollers (`wake`) after a call that can put a message on a polled queue
//!   (PutEvents: the bus's rules fill the queues; SendMessage) or an email the SES simulator
//!   answers (SendRawEmail).

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use tokio::sync::Notify;

use crate::faults::{Call, Canned};

/// What the wire of one stack carries.
#[derive(Debug, Clone)]
pub struct Wiring {
    pub bell: Arc<Notify>,
    /// The stack's DynamoDB (`http://127.0.0.1:port`).
    pub dynamodb: String,
    pub faults: Arc<Mutex<crate::faults::Wire>>,
}

/// `sdk` with every call going through the stack's wire.
pub fn wired(sdk: aws_config::SdkConfig, wiring: Wiring) -> aws_config::SdkConfig {
    let inner = sdk.http_client().unwrap_or_else(|| {
        use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc)).build_https()
    });
    sdk.into_builder().http_client(Wired { inner, wiring }).build()
}

#[derive(Debug, Clone)]
struct Wired {
    inner: SharedHttpClient,
    wiring: Wiring,
}

impl HttpClient for Wired {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(WiredConnector { inner: self.inner.http_connector(settings, components), wiring: self.wiring.clone() })
    }
}

#[derive(Debug)]
struct WiredConnector {
    inner: SharedHttpConnector,
    wiring: Wiring,
}

impl HttpConnector for WiredConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let header = |name: &str| request.headers().get(name).unwrap_or_default();
        let path = request.uri().split_once("://").map_or(request.uri(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        let call = Call::of(request.method(), path, header, request.body().bytes().unwrap_or_default());
        let content_type = header("content-type").to_owned();
        let (rings, to_dynamodb) = (may_fill_a_queue(&call), call.service == "dynamodb");
        let decided = self.wiring.faults.lock().unwrap_or_else(|p| p.into_inner()).decide(call, &content_type);
        if let Some(canned) = decided {
            return HttpConnectorFuture::ready(Ok(response(canned)));
        }
        if to_dynamodb {
            let uri = format!("{}/", self.wiring.dynamodb.trim_end_matches('/'));
            if let Err(e) = request.set_uri(uri) {
                return HttpConnectorFuture::ready(Err(aws_smithy_runtime_api::client::result::ConnectorError::other(e.into(), None)));
            }
        }
        let answer = self.inner.call(request);
        let bell = self.wiring.bell.clone();
        HttpConnectorFuture::new(async move {
            let out = answer.await;
            if rings {
                bell.notify_waiters();
            }
            out
        })
    }
}

fn response(canned: Canned) -> HttpResponse {
    let status = canned.status.try_into().unwrap_or_else(|_| 500u16.try_into().expect("a status code"));
    let mut out = HttpResponse::new(status, SdkBody::from(canned.body));
    out.headers_mut().insert("x-amzn-requestid", uuid::Uuid::new_v4().to_string());
    for (name, value) in canned.headers {
        out.headers_mut().insert(name, value);
    }
    out
}

fn may_fill_a_queue(call: &Call) -> bool {
    matches!(call.action.as_str(), "AWSEvents.PutEvents" | "AmazonSQS.SendMessage" | "AmazonSQS.SendMessageBatch" | "SendRawEmail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(target: &str, body: &str) -> Call {
        let header = |name: &str| match name {
            "x-amz-target" => target,
            "content-type" if target.is_empty() => "application/x-www-form-urlencoded",
            _ => "",
        };
        Call::of("POST", "/", header, body.as_bytes())
    }

    #[test]
    fn calls_that_fill_a_queue_ring_and_reads_do_not() {
        assert!(may_fill_a_queue(&call("AWSEvents.PutEvents", "{}")));
        assert!(may_fill_a_queue(&call("AmazonSQS.SendMessage", "{}")));
        assert!(may_fill_a_queue(&call("", "Action=SendRawEmail&Version=2010-12-01")));
        assert!(!may_fill_a_queue(&call("AmazonSQS.ReceiveMessage", "{}")));
        assert!(!may_fill_a_queue(&call("DynamoDB_20120810.Query", "{}")));
        assert!(!may_fill_a_queue(&call("", "Action=GetSendQuota")));
    }

    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

    /// A DynamoDB client over a wire whose other services would go to an address nothing serves.
    async fn wired_dynamodb() -> (aws_sdk_dynamodb::Client, Arc<Mutex<crate::faults::Wire>>, tokio::task::JoinHandle<()>) {
        let (dynamodb, _db, server) = pt4c_emulator::serve_in_memory().await.expect("dynoxide");
        let faults = Arc::new(Mutex::new(crate::faults::Wire::default()));
        let wiring = Wiring { bell: Arc::new(Notify::new()), dynamodb, faults: faults.clone() };
        let sdk = wired(crate::moto_sdk("http://127.0.0.1:9").await, wiring);
        let config =
            aws_sdk_dynamodb::config::Builder::from(&sdk).retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()).build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let spec = pt4c_emulator::table::TableSpec::project().expect("the template's table");
        pt4c_emulator::table::create(&client, "t-table", &spec, false).await.expect("the table, in the stack's own DynamoDB");
        (client, faults, server)
    }

    fn put(sk: &str) -> TransactWriteItem {
        let item = Put::builder()
            .table_name("t-table")
            .item("pk", AttributeValue::S("REFERRAL#R1".into()))
            .item("sk", AttributeValue::S(sk.into()))
            .build()
            .expect("a put");
        TransactWriteItem::builder().put(item).build()
    }

    async fn stored(client: &aws_sdk_dynamodb::Client) -> i32 {
        let out = client.scan().table_name("t-table").send().await.expect("a scan");
        out.count
    }

    #[tokio::test]
    async fn dynamodb_calls_reach_the_stacks_own_database_and_canned_answers_reach_the_sdk_as_aws_errors() {
        // Given the stack's wire (DynamoDB in process; the stand-in's address serves nothing)
        let (client, faults, server) = wired_dynamodb().await;
        let lock = || faults.lock().unwrap();

        // When a transaction meets a conflict the wire was told of
        let conflict: crate::faults::Fault =
            serde_json::from_value(serde_json::json!({"transactionConflict": true, "conflictAt": 1})).unwrap();
        lock().faults.push(conflict.checked().unwrap());
        let err = client.transact_write_items().transact_items(put("PARENT#A")).transact_items(put("PARENT#B")).send().await.unwrap_err();
        // Then the SDK reads DynamoDB's own error, a reason per item, and nothing was written
        let err = err.into_service_error();
        assert_eq!(err.code(), Some("TransactionCanceledException"));
        let reasons: Vec<_> = match &err {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
                e.cancellation_reasons().iter().map(|r| r.code().unwrap_or_default().to_owned()).collect()
            }
            other => panic!("not a cancellation: {other:?}"),
        };
        assert_eq!(reasons, ["None", "TransactionConflict"]);
        assert_eq!(stored(&client).await, 0);

        // When chaos refuses every DynamoDB call, retryable ones only
        let spec =
            serde_json::from_value(serde_json::json!({"seed": 1, "rate": 1.0, "retryableShare": 1.0, "services": ["dynamodb"]})).unwrap();
        lock().chaos = Some(crate::faults::Chaos::new(spec).unwrap());
        let err = client
            .get_item()
            .table_name("t-table")
            .key("pk", AttributeValue::S("x".into()))
            .key("sk", AttributeValue::S("y".into()))
            .send()
            .await
            .unwrap_err();
        let code = err.into_service_error().code().map(str::to_owned);
        assert!(
            matches!(code.as_deref(), Some("ProvisionedThroughputExceededException" | "ThrottlingException" | "InternalServerError")),
            "{code:?}"
        );
        // and a fault set then comes first
        let refusal: crate::faults::Fault = serde_json::from_value(serde_json::json!({"action": "DynamoDB_20120810.Scan", "status": 400,
            "body": {"__type": "com.amazon.coral.validate#ValidationException", "message": "injected"}}))
        .unwrap();
        lock().faults.push(refusal.checked().unwrap());
        let err = client.scan().table_name("t-table").send().await.unwrap_err();
        assert_eq!(err.into_service_error().code(), Some("ValidationException"));

        // When chaos stops, the transaction goes through to the stack's database
        lock().chaos_off();
        client.transact_write_items().transact_items(put("PARENT#A")).transact_items(put("PARENT#B")).send().await.expect("written");
        assert_eq!(stored(&client).await, 2);
        server.abort();
    }
}
