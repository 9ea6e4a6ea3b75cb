//! Staff accounts: coordinators manage them from the console; the local control plane seeds them.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType, UserType};
use pt4c_domain::staff::StaffRole;

use super::{AdminError, Cognito, Failure, NewStaff, StaffAccount};

fn admin_error(f: Failure) -> AdminError {
    match f.code.as_deref() {
        Some("UsernameExistsException" | "AliasExistsException") => AdminError::Exists,
        Some("UserNotFoundException") => AdminError::NotFound,
        Some("InvalidParameterException" | "InvalidPasswordException") => {
            AdminError::Invalid(f.message.unwrap_or_else(|| "Cognito refused a value.".into()))
        }
        _ => AdminError::Unavailable(f.unavailable()),
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, AdminError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| AdminError::Invalid(e.to_string()))
}

fn account(user: &UserType, role: StaffRole) -> StaffAccount {
    let attr = |name: &str| user.attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned);
    let email = attr("email").unwrap_or_else(|| user.username().unwrap_or_default().to_owned());
    StaffAccount {
        name: attr("name").unwrap_or_else(|| email.clone()),
        email,
        role,
        enabled: user.enabled(),
        status: user.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
    }
}

impl Cognito {
    /// AdminCreateUser (the email as username; email, email_verified and name), then
    /// AdminAddUserToGroup(role). With `password` and `permanent`, AdminSetUserPassword makes it the
    /// account's own (seeded and local accounts sign in at once); with `password` alone it is a
    /// temporary password the maker hands over (no email); with none, Cognito emails an invitation
    /// with a temporary password.
    pub async fn create_staff(&self, new: &NewStaff) -> Result<(), AdminError> {
        let email = new.email.trim();
        let name = new.name.trim();
        if email.is_empty() || name.is_empty() {
            return Err(AdminError::Invalid("An email address and a name are needed.".into()));
        }
        let pool = &self.settings.user_pool_id;
        let mut create = self
            .client
            .admin_create_user()
            .user_pool_id(pool)
            .username(email)
            .user_attributes(attribute("email", email)?)
            .user_attributes(attribute("email_verified", "true")?)
            .user_attributes(attribute("name", name)?);
        if let Some(password) = &new.password {
            create = create.temporary_password(password).message_action(MessageActionType::Suppress);
        }
        create.send().await.map_err(|e| admin_error(Failure::of("AdminCreateUser", &e)))?;

        if let Err(e) = self.finish_account(email, new).await {
            // Half an account (no role, or a password still temporary) would block a retry with the same email.
            if let Err(undo) = self.client.admin_delete_user().user_pool_id(pool).username(email).send().await {
                tracing::warn!(error = %Failure::of("AdminDeleteUser", &undo).summary, "a half-made staff account was left behind");
            }
            return Err(e);
        }
        Ok(())
    }

    async fn finish_account(&self, email: &str, new: &NewStaff) -> Result<(), AdminError> {
        let pool = &self.settings.user_pool_id;
        if let (Some(password), true) = (&new.password, new.permanent) {
            self.client
                .admin_set_user_password()
                .user_pool_id(pool)
                .username(email)
                .password(password)
                .permanent(true)
                .send()
                .await
                .map_err(|e| admin_error(Failure::of("AdminSetUserPassword", &e)))?;
        }
        self.client
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(email)
            .group_name(new.role.as_str())
            .send()
            .await
            .map_err(|e| admin_error(Failure::of("AdminAddUserToGroup", &e)))?;
        Ok(())
    }

    /// Every member of a role group, with their strongest role, by email address.
    pub async fn list_staff(&self) -> Result<Vec<StaffAccount>, AdminError> {
        let mut by_user: BTreeMap<String, StaffAccount> = BTreeMap::new();
        // Strongest role first, so a person in two groups is listed with the stronger.
        for role in StaffRole::ALL {
            let mut next: Option<String> = None;
            loop {
                let out = self
                    .client
                    .list_users_in_group()
                    .user_pool_id(&self.settings.user_pool_id)
                    .group_name(role.as_str())
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(|e| admin_error(Failure::of("ListUsersInGroup", &e)))?;
                for user in out.users() {
                    let key = user.username().unwrap_or_default().to_owned();
                    by_user.entry(key).or_insert_with(|| account(user, role));
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => next = Some(t.to_owned()),
                    _ => break,
                }
            }
        }
        let mut accounts: Vec<StaffAccount> = by_user.into_values().collect();
        accounts.sort_by_key(|a| a.email.to_ascii_lowercase());
        Ok(accounts)
    }

    /// AdminEnableUser, or AdminDisableUser then AdminUserGlobalSignOut (its refresh tokens stop working).
    pub async fn set_enabled(&self, email: &str, enabled: bool) -> Result<(), AdminError> {
        let pool = &self.settings.user_pool_id;
        let email = email.trim();
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(pool)
                .username(email)
                .send()
                .await
                .map_err(|e| admin_error(Failure::of("AdminEnableUser", &e)))?;
            return Ok(());
        }
        self.client
            .admin_disable_user()
            .user_pool_id(pool)
            .username(email)
            .send()
            .await
            .map_err(|e| admin_error(Failure::of("AdminDisableUser", &e)))?;
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(pool)
            .username(email)
            .send()
            .await
            .map_err(|e| admin_error(Failure::of("AdminUserGlobalSignOut", &e)))?;
        Ok(())
    }
}
