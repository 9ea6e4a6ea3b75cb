//! DynamoDB for the store's tests: the table `template.yaml` defines ([`table`]), created in
//! dynoxide running in process ([`Emulator`]), each test its own database, reached through the
//! real SDK over loopback. Faults are injected on the wire ([`Faults`]): a call refused before it
//! reaches the table, or one whose change is made and whose reply is lost.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use aws_sdk_dynamodb::config::interceptors::{AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef};
use aws_sdk_dynamodb::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};

pub mod inspect;
pub mod table;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The request never reaches the table (a refused connection): nothing changes.
    Before,
    /// The table makes the change, then the reply is lost on the way back.
    AfterCommit,
}

#[derive(Debug, Clone)]
struct Fault {
    operation: String,
    containing: Option<String>,
    when: When,
}

/// Faults for the next matching calls: by DynamoDB operation (`TransactWriteItems`) and, to pick
/// one call out of several, a piece of text its request body carries (a key, an attribute name).
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Fault>>>);

/// Marks an attempt whose reply is to be lost once the table has answered.
#[derive(Debug, Clone)]
struct LoseReply;

impl aws_smithy_types::config_bag::Storable for LoseReply {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl Faults {
    /// The next `operation` call whose body contains `containing` (any, if `None`) fails `when`.
    pub fn fail_next(&self, operation: &str, containing: Option<&str>, when: When) {
        let fault = Fault { operation: operation.to_owned(), containing: containing.map(str::to_owned), when };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(fault);
    }

    fn take(&self, operation: &str, body: &[u8]) -> Option<When> {
        let mut faults = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let body = String::from_utf8_lossy(body);
        let at = faults.iter().position(|f| f.operation == operation && f.containing.as_deref().is_none_or(|c| body.contains(c)))?;
        Some(faults.remove(at).when)
    }

    /// Faults set and not yet struck.
    pub fn pending(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "InjectedFaults"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        // `X-Amz-Target: DynamoDB_20120810.TransactWriteItems`
        let operation = request.headers().get("x-amz-target").and_then(|t| t.rsplit('.').next()).unwrap_or_default().to_owned();
        match self.take(&operation, request.body().bytes().unwrap_or_default()) {
            Some(When::Before) => Err(format!("injected fault: {operation} refused before it reached the table").into()),
            Some(When::AfterCommit) => {
                cfg.interceptor_state().store_put(LoseReply);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn read_after_deserialization(
        &self,
        _context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<LoseReply>() {
            Some(_) => Err("injected fault: the reply was lost after the table made the change".into()),
            None => Ok(()),
        }
    }
}

/// A client for the DynamoDB at `endpoint` (dynoxide's, or moto's): eu-west-2, static test
/// credentials, the SDK's own retries off so an injected fault reaches the code under test, and
/// the [`Faults`] it answers to.
pub fn client_for(endpoint: &str) -> (aws_sdk_dynamodb::Client, Faults) {
    let faults = Faults::default();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "emulator"))
        .endpoint_url(endpoint)
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .interceptor(faults.clone())
        .build();
    (aws_sdk_dynamodb::Client::from_conf(config), faults)
}

/// A fresh DynamoDB in memory, served on a loopback port of its own on the calling runtime: its
/// endpoint (`http://127.0.0.1:port`), the database, and the server's task (aborting it stops it).
pub async fn serve_in_memory() -> anyhow::Result<(String, dynoxide::Database, tokio::task::JoinHandle<()>)> {
    let db = dynoxide::Database::memory().context("dynoxide in memory")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("bind the emulator")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(dynoxide::server::serve_on(listener, db.clone()));
    Ok((endpoint, db, server))
}

/// One in-process DynamoDB with the project's table in it.
pub struct Emulator {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    pub faults: Faults,
    db: dynoxide::Database,
    stream_arn: String,
}

impl Emulator {
    /// A fresh database served on a loopback port of its own, on the calling runtime; the table
    /// keeps a stream of new images ([`Emulator::written`]). The SDK's own retries are off, so an
    /// injected fault reaches the code under test.
    pub async fn start() -> anyhow::Result<Self> {
        let (endpoint, db, _server) = serve_in_memory().await?;
        let (client, faults) = client_for(&endpoint);
        let table = "pt4c-test".to_owned();
        table::create(&client, &table, &table::TableSpec::project()?, true).await?;
        let stream_arn = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .context("describe the table")?
            .table
            .and_then(|t| t.latest_stream_arn)
            .context("the table has no stream")?;
        Ok(Self { client, table, faults, db, stream_arn })
    }

    /// The table, to read back what the store wrote.
    pub fn table(&self) -> inspect::Table {
        inspect::Table { client: self.client.clone(), name: self.table.clone() }
    }

    /// Every item image ever written to the table, in the order written (DynamoDB JSON, from
    /// the table's stream: items deleted since are still here).
    pub fn written(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        use dynoxide::actions::{describe_stream, get_records, get_shard_iterator};
        let stream: describe_stream::DescribeStreamResponse =
            self.db.describe_stream(serde_json::from_value(serde_json::json!({"StreamArn": self.stream_arn}))?)?;
        let stream = serde_json::to_value(stream)?;
        let mut images = Vec::new();
        for shard in stream["StreamDescription"]["Shards"].as_array().into_iter().flatten() {
            let iterator: get_shard_iterator::GetShardIteratorResponse =
                self.db.get_shard_iterator(serde_json::from_value(serde_json::json!({
                    "StreamArn": self.stream_arn,
                    "ShardId": shard["ShardId"],
                    "ShardIteratorType": "TRIM_HORIZON",
                }))?)?;
            let mut next = serde_json::to_value(iterator)?["ShardIterator"].as_str().map(str::to_owned);
            while let Some(it) = next.take() {
                let page: get_records::GetRecordsResponse =
                    self.db.get_records(serde_json::from_value(serde_json::json!({"ShardIterator": it, "Limit": 1000}))?)?;
                let page = serde_json::to_value(page)?;
                let records = page["Records"].as_array().cloned().unwrap_or_default();
                if records.is_empty() {
                    break;
                }
                images.extend(records.into_iter().filter_map(|r| r["dynamodb"]["NewImage"].as_object().cloned().map(Into::into)));
                next = page["NextShardIterator"].as_str().map(str::to_owned);
            }
        }
        Ok(images)
    }
}
