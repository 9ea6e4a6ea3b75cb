//! The staff user pool of `template.yaml` (pool, app client, groups), with its `!If`s resolved
//! as a deployment with every parameter at its default would resolve them.

use anyhow::{anyhow, bail, Context};
use serde_yaml_ng::{Mapping, Value};

#[derive(Debug, Clone)]
pub struct PasswordPolicySpec {
    pub min_length: i32,
    pub lowercase: bool,
    pub uppercase: bool,
    pub numbers: bool,
    pub symbols: bool,
    pub temporary_days: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct SchemaAttributeSpec {
    pub name: String,
    pub data_type: String,
    pub required: bool,
    pub mutable: bool,
}

#[derive(Debug, Clone)]
pub struct PoolClientSpec {
    pub name: String,
    pub generate_secret: bool,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: Option<String>,
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
    pub id_token_minutes: Option<i32>,
    pub auth_session_minutes: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct PoolGroupSpec {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct StaffPoolSpec {
    pub username_attributes: Vec<String>,
    pub admin_create_only: bool,
    pub password_policy: PasswordPolicySpec,
    /// `ON`, `OPTIONAL` or `OFF`.
    pub mfa: String,
    pub enabled_mfas: Vec<String>,
    pub schema: Vec<SchemaAttributeSpec>,
    pub client: PoolClientSpec,
    /// By precedence.
    pub groups: Vec<PoolGroupSpec>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn texts(v: &Value) -> Vec<String> {
    v.as_sequence().into_iter().flatten().filter_map(text).collect()
}

fn number(v: &Value) -> Option<i32> {
    v.as_i64().and_then(|n| i32::try_from(n).ok())
}

/// `!Ref X` → X.
fn reference(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str(),
        _ => None,
    }
}

/// A scalar: a literal, or a parameter's default.
fn scalar(v: &Value, doc: &Value) -> anyhow::Result<String> {
    if let Some(name) = reference(v) {
        return text(&doc["Parameters"][name]["Default"]).ok_or_else(|| anyhow!("parameter {name} has no default"));
    }
    text(v).ok_or_else(|| anyhow!("cannot read {v:?} as a value"))
}

fn condition(v: &Value, doc: &Value) -> anyhow::Result<bool> {
    let Value::Tagged(t) = v else { bail!("a condition is not an intrinsic function: {v:?}") };
    let args = t.value.as_sequence();
    let arg = |i: usize| args.and_then(|a| a.get(i)).ok_or_else(|| anyhow!("{} lacks an argument", t.tag));
    if t.tag == "Equals" {
        Ok(scalar(arg(0)?, doc)? == scalar(arg(1)?, doc)?)
    } else if t.tag == "Not" {
        Ok(!condition(arg(0)?, doc)?)
    } else if t.tag == "Condition" {
        named_condition(t.value.as_str().unwrap_or_default(), doc)
    } else {
        bail!("condition function {} is not supported locally", t.tag)
    }
}

fn named_condition(name: &str, doc: &Value) -> anyhow::Result<bool> {
    condition(&doc["Conditions"][name], doc).with_context(|| format!("condition {name}"))
}

/// `!If [Condition, then, else]` resolved (nested ones too); anything else as it is.
fn resolve<'a>(v: &'a Value, doc: &Value) -> anyhow::Result<&'a Value> {
    match v {
        Value::Tagged(t) if t.tag == "If" => {
            let args = t.value.as_sequence().filter(|a| a.len() == 3).ok_or_else(|| anyhow!("!If takes three arguments"))?;
            let name = args[0].as_str().ok_or_else(|| anyhow!("!If names its condition"))?;
            resolve(if named_condition(name, doc)? { &args[1] } else { &args[2] }, doc)
        }
        other => Ok(other),
    }
}

/// The resource of `kind` whose `UserPoolId` is `!Ref pool`.
fn of_pool<'a>(resources: &'a Mapping, kind: &str, pool: &str) -> impl Iterator<Item = &'a Value> {
    let kind = kind.to_owned();
    let pool = pool.to_owned();
    resources
        .values()
        .filter(move |r| r["Type"].as_str() == Some(kind.as_str()) && reference(&r["Properties"]["UserPoolId"]) == Some(&pool))
}

pub fn parse(doc: &Value, resources: &Mapping) -> anyhow::Result<StaffPoolSpec> {
    let (pool_id, pool) = resources
        .iter()
        .find(|(_, r)| r["Type"].as_str() == Some("AWS::Cognito::UserPool"))
        .ok_or_else(|| anyhow!("template has no Cognito user pool"))?;
    let pool_id = pool_id.as_str().ok_or_else(|| anyhow!("a resource id is not text"))?;
    let props = &pool["Properties"];
    let policy = &props["Policies"]["PasswordPolicy"];
    let flag = |v: &Value| v.as_bool().unwrap_or(false);

    let client = of_pool(resources, "AWS::Cognito::UserPoolClient", pool_id)
        .next()
        .map(|c| &c["Properties"])
        .ok_or_else(|| anyhow!("the user pool {pool_id} has no app client"))?;
    let units = text(&client["TokenValidityUnits"]["IdToken"]).unwrap_or_else(|| "hours".into());
    let id_token_minutes = number(&client["IdTokenValidity"]).map(|n| if units == "hours" { n * 60 } else { n });

    let mut groups: Vec<PoolGroupSpec> = of_pool(resources, "AWS::Cognito::UserPoolGroup", pool_id)
        .filter_map(|g| {
            let p = &g["Properties"];
            Some(PoolGroupSpec { name: text(&p["GroupName"])?, description: text(&p["Description"]), precedence: number(&p["Precedence"]) })
        })
        .collect();
    groups.sort_by_key(|g| g.precedence.unwrap_or(i32::MAX));

    Ok(StaffPoolSpec {
        username_attributes: texts(&props["UsernameAttributes"]),
        admin_create_only: flag(&props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]),
        password_policy: PasswordPolicySpec {
            min_length: number(&policy["MinimumLength"]).unwrap_or(8),
            lowercase: flag(&policy["RequireLowercase"]),
            uppercase: flag(&policy["RequireUppercase"]),
            numbers: flag(&policy["RequireNumbers"]),
            symbols: flag(&policy["RequireSymbols"]),
            temporary_days: number(&policy["TemporaryPasswordValidityDays"]),
        },
        mfa: text(resolve(&props["MfaConfiguration"], doc)?).unwrap_or_else(|| "OFF".into()),
        enabled_mfas: texts(resolve(&props["EnabledMfas"], doc)?),
        schema: props["Schema"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some(SchemaAttributeSpec {
                    name: text(&a["Name"])?,
                    data_type: text(&a["AttributeDataType"]).unwrap_or_else(|| "String".into()),
                    required: flag(&a["Required"]),
                    mutable: a["Mutable"].as_bool().unwrap_or(true),
                })
            })
            .collect(),
        client: PoolClientSpec {
            name: text(&client["ClientName"]).unwrap_or_else(|| "client".into()),
            generate_secret: flag(&client["GenerateSecret"]),
            explicit_auth_flows: texts(&client["ExplicitAuthFlows"]),
            prevent_user_existence_errors: text(&client["PreventUserExistenceErrors"]),
            read_attributes: texts(&client["ReadAttributes"]),
            write_attributes: texts(&client["WriteAttributes"]),
            id_token_minutes,
            auth_session_minutes: number(&client["AuthSessionValidity"]),
        },
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(mfa_default: &str) -> Value {
        serde_yaml_ng::from_str(&format!(
            r#"
Parameters:
  Mfa: {{Type: String, Default: "{mfa_default}"}}
Conditions:
  MfaOn: !Equals [!Ref Mfa, "true"]
  MfaOff: !Not [!Condition MfaOn]
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      MfaConfiguration: !If [MfaOff, OPTIONAL, "ON"]
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {{UserPoolId: !Ref Pool, IdTokenValidity: 1}}
"#
        ))
        .unwrap()
    }

    #[test]
    fn conditions_follow_the_parameters_defaults() {
        for (default, mfa) in [("true", "ON"), ("false", "OPTIONAL")] {
            let d = doc(default);
            let spec = parse(&d, d["Resources"].as_mapping().unwrap()).unwrap();
            assert_eq!(spec.mfa, mfa);
            assert_eq!(spec.client.id_token_minutes, Some(60));
        }
    }
}
