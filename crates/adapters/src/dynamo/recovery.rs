//! A new link by email address: parents found through the sparse `email-index` (parent items
//! carry `emailKey`, written with them), and the requests' counters (`NEWLINK#ADDRESS#<sha256>` /
//! `DAY#<date>`, `NEWLINK#CLIENT#<sha256>` / `HOUR#<n>`; never the address itself), which expire.

use aws_sdk_dynamodb::types::AttributeValue;
use pt4c_domain::ports::{LinkRecoveryStore, PortError};
use pt4c_domain::recovery::RateWindow;
use pt4c_domain::{ParentId, ParentRef, ReferralId};

use super::{s, sdk_error, DynamoStore, Item};

/// The sparse index of parents by the key of their address (`recovery::email_key`).
pub const EMAIL_INDEX: &str = "email-index";
/// The attribute a parent item carries for it.
pub const EMAIL_KEY: &str = "emailKey";

/// What a parent item adds for the email index: write it with the parent, and again (with
/// `recovery::email_key`) whenever the address on file changes.
pub fn email_key_attribute(email: &str) -> (String, AttributeValue) {
    (EMAIL_KEY.to_owned(), s(pt4c_domain::recovery::email_key(email)))
}

/// The parent a key-only index entry names (`REFERRAL#<id>` / `PARENT#<ref>`).
fn parent_of(item: &Item) -> Option<ParentId> {
    let referral = item.get("pk")?.as_s().ok()?.strip_prefix("REFERRAL#")?;
    let parent_ref = item.get("sk")?.as_s().ok()?.strip_prefix("PARENT#")?;
    Some(ParentId::new(ReferralId::parse(referral).ok()?, ParentRef::parse(parent_ref).ok()?))
}

impl LinkRecoveryStore for DynamoStore {
    async fn parents_by_email(&self, email_key: &str) -> Result<Vec<ParentId>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(EMAIL_INDEX)
            .key_condition_expression("#k = :k")
            .expression_attribute_names("#k", EMAIL_KEY)
            .expression_attribute_values(":k", s(email_key))
            // A handful at most: the few parents who share an address.
            .limit(25)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        Ok(out.items.unwrap_or_default().iter().filter_map(parent_of).collect())
    }

    async fn count_request(&self, window: &RateWindow) -> Result<bool, PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&window.key))
            .key("sk", s(&window.window))
            .update_expression("ADD requests :one SET itemType = :type, expiresAt = :exp")
            .condition_expression("attribute_not_exists(requests) OR requests < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(window.max.to_string()))
            .expression_attribute_values(":type", s("new-link-requests"))
            .expression_attribute_values(":exp", AttributeValue::N(window.expires_at.as_second().to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }
}
