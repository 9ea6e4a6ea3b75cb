//! Reads what the local stack needs from `template.yaml`, so local and AWS cannot drift.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context};
use serde_yaml_ng::Value;

pub use crate::template_pool::{PasswordPolicySpec, PoolClientSpec, PoolGroupSpec, SchemaAttributeSpec, StaffPoolSpec};

pub use pt4c_emulator::table::{IndexSpec, KeyPair, TableSpec};

/// An EventBridge rule with its target function.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub function: String,
    pub event_id: String,
    pub pattern: serde_json::Value,
    /// Logical id of the function's dead-letter queue.
    pub dead_letter_queue: Option<String>,
    /// Retries after the first attempt before the dead-letter queue (the function's async retries).
    pub max_retries: u32,
}

#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    pub function: String,
    pub expression: String,
    /// `ScheduleExpressionTimezone` (EventBridge Scheduler); UTC when absent.
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteSpec {
    pub function: String,
    pub method: String,
    pub path: String,
    pub auth: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub table: TableSpec,
    pub rules: Vec<RuleSpec>,
    pub schedules: Vec<ScheduleSpec>,
    pub routes: Vec<RouteSpec>,
    pub functions: BTreeMap<String, String>,
    pub staff_pool: StaffPoolSpec,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// `!GetAtt Queue.Arn` → `Queue`.
fn get_att_resource(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "GetAtt" => {
            let target = t.value.as_str()?;
            Some(target.split('.').next()?.to_owned())
        }
        _ => None,
    }
}

impl Template {
    pub fn parse(yaml: &str) -> anyhow::Result<Self> {
        let doc: Value = serde_yaml_ng::from_str(yaml).context("template.yaml is not YAML")?;
        let resources = doc["Resources"].as_mapping().ok_or_else(|| anyhow!("template has no Resources"))?;
        let globals = &doc["Globals"]["Function"];

        let table = TableSpec::from_template(&doc)?;

        let mut rules = Vec::new();
        let mut schedules = Vec::new();
        let mut routes = Vec::new();
        let mut functions = BTreeMap::new();
        for (id, r) in resources {
            if r["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let id = s(id).ok_or_else(|| anyhow!("a resource id is not text"))?;
            let props = &r["Properties"];
            let binary = s(&r["Metadata"]["BuildProperties"]["Binary"]).unwrap_or_default();
            functions.insert(id.clone(), binary);
            let dlq = get_att_resource(&props["DeadLetterQueue"]["TargetArn"]);
            let max_retries = props["EventInvokeConfig"]["MaximumRetryAttempts"]
                .as_u64()
                .or_else(|| globals["EventInvokeConfig"]["MaximumRetryAttempts"].as_u64())
                .unwrap_or(2) as u32;
            for (event_id, ev) in props["Events"].as_mapping().into_iter().flatten() {
                let event_id = s(event_id).unwrap_or_default();
                let ep = &ev["Properties"];
                match ev["Type"].as_str() {
                    Some("EventBridgeRule") => rules.push(RuleSpec {
                        function: id.clone(),
                        event_id,
                        pattern: serde_json::to_value(&ep["Pattern"]).context("rule pattern")?,
                        dead_letter_queue: dlq.clone(),
                        max_retries,
                    }),
                    Some("Schedule") | Some("ScheduleV2") => schedules.push(ScheduleSpec {
                        function: id.clone(),
                        expression: s(&ep["ScheduleExpression"]).or_else(|| s(&ep["Schedule"])).unwrap_or_default(),
                        timezone: s(&ep["ScheduleExpressionTimezone"]),
                    }),
                    Some("HttpApi") => routes.push(RouteSpec {
                        function: id.clone(),
                        method: s(&ep["Method"]).unwrap_or_default().to_ascii_uppercase(),
                        path: s(&ep["Path"]).unwrap_or_default(),
                        auth: s(&ep["Auth"]["Authorizer"]),
                    }),
                    _ => {}
                }
            }
        }
        routes.sort();
        let staff_pool = crate::template_pool::parse(&doc, resources)?;
        Ok(Self { table, rules, schedules, routes, functions, staff_pool })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_template_describes_table_rules_and_routes() {
        let t = Template::parse(include_str!("../../../template.yaml")).unwrap();
        assert_eq!(t.table.key, vec![("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]);
        assert!(t.table.indexes.iter().any(|i| i.name == "due-index"));
        assert_eq!(t.table.ttl_attribute.as_deref(), Some("expiresAt"));
        let welcome = t.rules.iter().find(|r| r.function == "WelcomeEmailFunction").unwrap();
        assert_eq!(welcome.pattern["detail-type"], serde_json::json!(["ReferralReceived", "LinkRequested"]));
        assert!(welcome.dead_letter_queue.is_some());
        assert!(t.routes.iter().any(|r| r.method == "POST" && r.path == "/referrals" && r.auth.as_deref() == Some("AWS_IAM")));
        assert!(t.schedules.iter().any(|s| s.function == "EventRelayFunction"));
        assert!(t.routes.iter().any(|r| r.method == "ANY" && r.path == "/console/{proxy+}" && r.auth.as_deref() == Some("NONE")));
        // The parameter's default (MFA required) decides the pool's MfaConfiguration.
        assert_eq!(t.staff_pool.mfa, "ON");
        assert_eq!(t.staff_pool.enabled_mfas, ["SOFTWARE_TOKEN_MFA"]);
        assert_eq!(t.staff_pool.username_attributes, ["email"]);
        assert_eq!(t.staff_pool.password_policy.min_length, 12);
        assert!(t.staff_pool.client.explicit_auth_flows.contains(&"ALLOW_USER_PASSWORD_AUTH".to_owned()));
        let groups: Vec<&str> = t.staff_pool.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(groups, ["coordinator", "trainer", "cafcass"]);
    }

    /// Every route of openapi.yaml reaches a function through API Gateway (the local stack routes
    /// by the functions' routers, so a route missing here would only show in AWS: the activation
    /// POST, the waiting list's and the offers' routes were).
    #[test]
    fn every_route_of_the_contract_is_a_route_of_the_template() {
        let t = Template::parse(include_str!("../../../template.yaml")).unwrap();
        let api: serde_yaml_ng::Value = serde_yaml_ng::from_str(include_str!("../../../openapi.yaml")).unwrap();
        let mut missing = Vec::new();
        for (path, ops) in api["paths"].as_mapping().unwrap() {
            let path = path.as_str().unwrap();
            for method in ops.as_mapping().unwrap().keys().filter_map(|m| m.as_str()) {
                if !["get", "post", "put", "patch", "delete"].contains(&method) {
                    continue;
                }
                let method = method.to_ascii_uppercase();
                let routed = t.routes.iter().any(|r| {
                    (r.method == method || r.method == "ANY")
                        && (r.path == path || r.path.strip_suffix("{proxy+}").is_some_and(|prefix| path.starts_with(prefix)))
                });
                if !routed {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(missing.is_empty(), "routes of openapi.yaml with no HttpApi event in template.yaml: {missing:?}");
    }
}
