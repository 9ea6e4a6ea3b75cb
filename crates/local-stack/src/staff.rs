//! The staff user pool in the stand-in, made from the template's pool, app client and groups, and
//! the accounts seeded at start (permanent passwords, no MFA enrolment: local only).

use anyhow::Context;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, ExplicitAuthFlowsType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    SchemaAttributeType, SoftwareTokenMfaConfigType, TimeUnitsType, TokenValidityUnitsType, UserPoolMfaType, UserPoolPolicyType,
    UsernameAttributeType,
};
use aws_sdk_cognitoidentityprovider::Client;
use pt4c_adapters::cognito::{AdminError, Cognito, NewStaff};
use pt4c_domain::staff::StaffRole;

use crate::template::StaffPoolSpec;

pub struct PoolIds {
    pub user_pool_id: String,
    pub client_id: String,
}

/// A seeded account and its password (printed at start; tests sign in with it).
#[derive(Debug, Clone)]
pub struct SeededStaff {
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub password: String,
}

fn sdk_error<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug + Send + Sync + 'static>(
    e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
) -> anyhow::Error {
    anyhow::anyhow!("{}", aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e))
}

/// The pool named `{prefix}-staff`, made (or found, when the stack restarts over the same stand-in).
pub async fn create_pool(sdk: &aws_config::SdkConfig, spec: &StaffPoolSpec, prefix: &str) -> anyhow::Result<PoolIds> {
    let cognito = Client::new(sdk);
    let name = format!("{prefix}-staff");
    let user_pool_id = match existing_pool(&cognito, &name).await? {
        Some(id) => id,
        None => new_pool(&cognito, spec, &name).await?,
    };
    if spec.mfa != "OFF" && spec.enabled_mfas.iter().any(|m| m == "SOFTWARE_TOKEN_MFA") {
        cognito
            .set_user_pool_mfa_config()
            .user_pool_id(&user_pool_id)
            .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
            .mfa_configuration(UserPoolMfaType::from(spec.mfa.as_str()))
            .send()
            .await
            .map_err(sdk_error)
            .context("set the staff pool's MFA")?;
    }
    for group in &spec.groups {
        let created = cognito
            .create_group()
            .user_pool_id(&user_pool_id)
            .group_name(&group.name)
            .set_description(group.description.clone())
            .set_precedence(group.precedence)
            .send()
            .await;
        if let Err(e) = created {
            if !e.as_service_error().is_some_and(|s| s.is_group_exists_exception()) {
                return Err(sdk_error(e)).with_context(|| format!("create the group {}", group.name));
            }
        }
    }
    let client_id = match existing_client(&cognito, &user_pool_id, &spec.client.name).await? {
        Some(id) => id,
        None => new_client(&cognito, spec, &user_pool_id).await?,
    };
    Ok(PoolIds { user_pool_id, client_id })
}

async fn existing_pool(cognito: &Client, name: &str) -> anyhow::Result<Option<String>> {
    let pools = cognito.list_user_pools().max_results(60).into_paginator().items().send().collect::<Vec<_>>().await;
    for pool in pools {
        let pool = pool.map_err(sdk_error).context("list user pools")?;
        if pool.name() == Some(name) {
            return Ok(pool.id().map(str::to_owned));
        }
    }
    Ok(None)
}

async fn new_pool(cognito: &Client, spec: &StaffPoolSpec, name: &str) -> anyhow::Result<String> {
    let p = &spec.password_policy;
    let policy = PasswordPolicyType::builder()
        .minimum_length(p.min_length)
        .require_lowercase(p.lowercase)
        .require_uppercase(p.uppercase)
        .require_numbers(p.numbers)
        .require_symbols(p.symbols)
        .set_temporary_password_validity_days(p.temporary_days)
        .build();
    let mut create = cognito
        .create_user_pool()
        .pool_name(name)
        .policies(UserPoolPolicyType::builder().password_policy(policy).build())
        .admin_create_user_config(AdminCreateUserConfigType::builder().allow_admin_create_user_only(spec.admin_create_only).build());
    for attribute in &spec.username_attributes {
        create = create.username_attributes(UsernameAttributeType::from(attribute.as_str()));
    }
    for a in &spec.schema {
        create = create.schema(
            SchemaAttributeType::builder()
                .name(&a.name)
                .attribute_data_type(AttributeDataType::from(a.data_type.as_str()))
                .required(a.required)
                .mutable(a.mutable)
                .build(),
        );
    }
    let out = create.send().await.map_err(sdk_error).context("create the staff user pool")?;
    out.user_pool.and_then(|p| p.id).context("the new user pool has no id")
}

async fn existing_client(cognito: &Client, pool: &str, name: &str) -> anyhow::Result<Option<String>> {
    let clients = cognito.list_user_pool_clients().user_pool_id(pool).max_results(60).send().await.map_err(sdk_error)?;
    Ok(clients.user_pool_clients().iter().find(|c| c.client_name() == Some(name)).and_then(|c| c.client_id()).map(str::to_owned))
}

async fn new_client(cognito: &Client, spec: &StaffPoolSpec, pool: &str) -> anyhow::Result<String> {
    let c = &spec.client;
    let out = cognito
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(&c.name)
        .generate_secret(c.generate_secret)
        .set_explicit_auth_flows(Some(c.explicit_auth_flows.iter().map(|f| ExplicitAuthFlowsType::from(f.as_str())).collect()))
        .set_prevent_user_existence_errors(c.prevent_user_existence_errors.as_deref().map(PreventUserExistenceErrorTypes::from))
        .set_read_attributes(Some(c.read_attributes.clone()).filter(|a| !a.is_empty()))
        .set_write_attributes(Some(c.write_attributes.clone()).filter(|a| !a.is_empty()))
        .set_id_token_validity(c.id_token_minutes)
        .token_validity_units(TokenValidityUnitsType::builder().id_token(TimeUnitsType::Minutes).build())
        .set_auth_session_validity(c.auth_session_minutes)
        .send()
        .await
        .map_err(sdk_error)
        .context("create the staff pool's app client")?;
    out.user_pool_client.and_then(|c| c.client_id).context("the new app client has no id")
}

/// A password the template's policy accepts (every class, 21 characters), new at every start.
pub fn random_password() -> String {
    format!("Pt4c-{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

/// One coordinator and one trainer, with permanent passwords new at every start (an account left
/// by an earlier run over the same stand-in gets the new password).
pub async fn seed(cognito: &Cognito, sdk: &aws_config::SdkConfig) -> anyhow::Result<Vec<SeededStaff>> {
    let accounts = [
        ("coordinator@pt4c.local", "Casey Coordinator", StaffRole::Coordinator),
        ("trainer@pt4c.local", "Taylor Trainer", StaffRole::Trainer),
    ];
    let mut seeded = Vec::new();
    for (email, name, role) in accounts {
        let password = random_password();
        let new = NewStaff { email: email.into(), name: name.into(), role, password: Some(password.clone()), permanent: true };
        match cognito.create_staff(&new).await {
            Ok(()) => {}
            Err(AdminError::Exists) => {
                Client::new(sdk)
                    .admin_set_user_password()
                    .user_pool_id(&cognito.settings().user_pool_id)
                    .username(email)
                    .password(&password)
                    .permanent(true)
                    .send()
                    .await
                    .map_err(sdk_error)
                    .with_context(|| format!("reset the seeded {} account's password", role.as_str()))?;
            }
            Err(e) => return Err(anyhow::anyhow!("seed the {} account: {e}", role.as_str())),
        }
        seeded.push(SeededStaff { email: email.into(), name: name.into(), role, password });
    }
    Ok(seeded)
}
