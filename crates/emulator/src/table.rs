//! The table as `template.yaml` defines it (keys, indexes, TTL), read from the template so no copy
//! of it can drift, and created in whatever DynamoDB a client points at.

use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use serde_yaml_ng::Value;

/// (attribute name, `HASH` | `RANGE`).
pub type KeyPair = (String, String);

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub attributes: Vec<(String, String)>,
    pub key: Vec<KeyPair>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IndexSpec {
    pub name: String,
    pub key: Vec<KeyPair>,
    pub projection: String,
}

/// The project's template, compiled in: the tests' tables are the one AWS gets.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn key_schema(v: &Value) -> Vec<KeyPair> {
    v.as_sequence().into_iter().flatten().filter_map(|k| Some((s(&k["AttributeName"])?, s(&k["KeyType"])?))).collect()
}

impl TableSpec {
    /// The template's one `AWS::DynamoDB::Table`.
    pub fn from_template(doc: &Value) -> anyhow::Result<Self> {
        let resources = doc["Resources"].as_mapping().ok_or_else(|| anyhow!("template has no Resources"))?;
        let table = resources
            .iter()
            .find(|(_, r)| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
            .map(|(_, r)| &r["Properties"])
            .ok_or_else(|| anyhow!("template has no DynamoDB table"))?;
        Ok(TableSpec {
            attributes: table["AttributeDefinitions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|a| Some((s(&a["AttributeName"])?, s(&a["AttributeType"])?)))
                .collect(),
            key: key_schema(&table["KeySchema"]),
            indexes: table["GlobalSecondaryIndexes"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    Some(IndexSpec {
                        name: s(&i["IndexName"])?,
                        key: key_schema(&i["KeySchema"]),
                        projection: s(&i["Projection"]["ProjectionType"]).unwrap_or_else(|| "ALL".into()),
                    })
                })
                .collect(),
            ttl_attribute: s(&table["TimeToLiveSpecification"]["AttributeName"]),
        })
    }

    /// The project's table.
    pub fn project() -> anyhow::Result<Self> {
        let doc: Value = serde_yaml_ng::from_str(TEMPLATE).context("template.yaml is not YAML")?;
        Self::from_template(&doc)
    }
}

fn key(k: &KeyPair) -> anyhow::Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder().attribute_name(&k.0).key_type(KeyType::from(k.1.as_str())).build()?)
}

/// Creates the table (an existing one is left as it is) and turns its TTL on. With `stream`, the
/// table keeps a stream of new images, so a test can read every item ever written.
pub async fn create(client: &aws_sdk_dynamodb::Client, name: &str, spec: &TableSpec, stream: bool) -> anyhow::Result<()> {
    let mut create = client.create_table().table_name(name).billing_mode(BillingMode::PayPerRequest);
    for (attr, ty) in &spec.attributes {
        create = create.attribute_definitions(
            AttributeDefinition::builder().attribute_name(attr).attribute_type(ScalarAttributeType::from(ty.as_str())).build()?,
        );
    }
    for k in &spec.key {
        create = create.key_schema(key(k)?);
    }
    for index in &spec.indexes {
        let mut gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .projection(Projection::builder().projection_type(ProjectionType::from(index.projection.as_str())).build());
        for k in &index.key {
            gsi = gsi.key_schema(key(k)?);
        }
        create = create.global_secondary_indexes(gsi.build()?);
    }
    if stream {
        create = create
            .stream_specification(StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::NewImage).build()?);
    }
    match create.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().map(|s| s.is_resource_in_use_exception()).unwrap_or(false) => {}
        Err(e) => return Err(anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e))).context("create table"),
    }
    if let Some(attr) = &spec.ttl_attribute {
        // Already on is not an error worth stopping for.
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(TimeToLiveSpecification::builder().attribute_name(attr).enabled(true).build()?)
            .send()
            .await
            .ok();
    }
    Ok(())
}
