//! The staff console's records: sessions and the audit trail.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | console session | `SESSION#{sha256 of the cookie's id}` | `SESSION` (TTL at its absolute end) |
//! | audit entry, the day's trail | `AUDIT#{yyyy-mm-dd}` (UTC) | `{at}#{entryId}` |
//! | audit entry, the parent's copy | `REFERRAL#{referralId}` | `AUDIT#{parentRef}#{at}#{entryId}` (erased with the referral) |
//! | a staff account's sessions revoked (disabled) | `STAFF#{lower-cased email}` | `REVOKED` |

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use pt4c_domain::ports::{Concern, ParentHistory, PortError, StaffStore};
use pt4c_domain::staff::{AuditEntry, ConsoleSession, ParentDue};
use pt4c_domain::ParentId;
use serde::{Deserialize, Serialize};

use super::items::{from_item, to_item, ParentItem};
use super::keys::session_pk;
use super::keys::{due_key, referral_pk, CONCERN_DUE_PK, DUE_INDEX, PARENT_DUE_PK};
use super::{s, sdk_error, DynamoStore};

const SESSION_SK: &str = "SESSION";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionItem {
    pk: String,
    sk: String,
    item_type: String,
    session: ConsoleSession,
    /// The table's TTL attribute (epoch seconds).
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditItem {
    pk: String,
    sk: String,
    item_type: String,
    #[serde(flatten)]
    entry: AuditEntry,
    /// The day's copy only: a parent's goes when the referral is erased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

#[derive(Deserialize)]
struct ConcernRead {
    #[serde(flatten)]
    concern: Concern,
}

impl StaffStore for DynamoStore {
    async fn create_session(&self, key: &str, session: &ConsoleSession, expires_at: Timestamp) -> Result<(), PortError> {
        let item = to_item(&SessionItem {
            pk: session_pk(key),
            sk: SESSION_SK.into(),
            item_type: "session".into(),
            session: session.clone(),
            expires_at: expires_at.as_second(),
        })?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn session(&self, key: &str) -> Result<Option<ConsoleSession>, PortError> {
        match self.get(session_pk(key), SESSION_SK).await? {
            Some(item) => Ok(Some(from_item::<SessionItem>(item)?.session)),
            None => Ok(None),
        }
    }

    async fn touch_session(&self, key: &str, at: Timestamp) -> Result<(), PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(key)))
            .key("sk", s(SESSION_SK))
            .update_expression("SET #s.lastSeen = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#s", "session")
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // Signed out meanwhile: it stays gone.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn end_session(&self, key: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(key)))
            .key("sk", s(SESSION_SK))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }

    async fn record_audit(&self, entry: &AuditEntry, keep_until: Timestamp) -> Result<(), PortError> {
        let id = uuid::Uuid::new_v4();
        let at = due_key(entry.at);
        let day = entry.at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let item = |pk: String, sk: String, expires_at: Option<i64>| {
            to_item(&AuditItem { pk, sk, item_type: "audit".into(), entry: entry.clone(), expires_at })
        };
        let day_copy = item(format!("AUDIT#{day}"), format!("{at}#{id}"), Some(keep_until.as_second()))?;
        let mut writes = vec![self.put(day_copy, Some("attribute_not_exists(pk)"))?];
        if let Some(parent) = &entry.parent_id {
            let copy = item(referral_pk(parent.referral_id()), format!("AUDIT#{}#{at}#{id}", parent.parent_ref()), None)?;
            writes.push(self.put(copy, Some("attribute_not_exists(pk)"))?);
        }
        if self.transact_decided(writes).await? {
            Ok(())
        } else {
            Err(PortError::Retryable("audit entry id clash".into()))
        }
    }

    async fn audit_trail(&self, day: jiff::civil::Date) -> Result<Vec<AuditEntry>, PortError> {
        let mut items = self.partition(format!("AUDIT#{day}")).await?;
        items.reverse();
        items.into_iter().map(|i| from_item::<AuditItem>(i).map(|a| a.entry)).collect()
    }

    async fn recent_concerns(&self, since: Timestamp, limit: usize) -> Result<Vec<Concern>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("duePk = :pk AND dueAt >= :at")
            .expression_attribute_values(":pk", s(CONCERN_DUE_PK))
            .expression_attribute_values(":at", s(due_key(since)))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        out.items.unwrap_or_default().into_iter().map(|i| from_item::<ConcernRead>(i).map(|c| c.concern)).collect()
    }

    async fn revoke_sessions(&self, email: &str, at: Timestamp) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("STAFF#{}", email.trim().to_lowercase())))
            .item("sk", s("REVOKED"))
            .item("itemType", s("staff-revoked"))
            .item("revokedAt", s(at.to_string()))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn sessions_revoked(&self, email: &str) -> Result<Option<Timestamp>, PortError> {
        let item = self.get(format!("STAFF#{}", email.trim().to_lowercase()), "REVOKED").await?;
        Ok(item.and_then(|i| match i.get("revokedAt") {
            Some(AttributeValue::S(t)) => t.parse().ok(),
            _ => None,
        }))
    }

    async fn parents_due(&self, until: Timestamp, limit: usize) -> Result<Vec<ParentDue>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("duePk = :pk AND dueAt <= :at")
            .expression_attribute_values(":pk", s(PARENT_DUE_PK))
            .expression_attribute_values(":at", s(due_key(until)))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let mut due = Vec::new();
        for item in out.items.unwrap_or_default() {
            let p: ParentItem = from_item(item)?;
            let Some(due_at) = p.due_at.as_deref().and_then(|d| d.parse().ok()) else { continue };
            due.push(ParentDue {
                parent_id: p.parent_id,
                name: format!("{} {}", p.details.first_name, p.details.last_name),
                status: p.status,
                invited_at: p.received_at,
                complete_by: p.complete_by,
                due_at,
            });
        }
        Ok(due)
    }

    async fn parent_history(&self, parent: &ParentId) -> Result<ParentHistory, PortError> {
        let pk = referral_pk(parent.referral_id());
        let concerns_prefix = format!("CONCERN#{}#", parent.parent_ref());
        let audit_prefix = format!("AUDIT#{}#", parent.parent_ref());
        let mut history = ParentHistory::default();
        for item in self.partition(pk).await? {
            let Some(AttributeValue::S(sk)) = item.get("sk") else { continue };
            if sk.starts_with(&concerns_prefix) {
                history.concerns.push(from_item::<ConcernRead>(item)?.concern);
            } else if sk.starts_with(&audit_prefix) {
                history.audit.push(from_item::<AuditItem>(item)?.entry);
            }
        }
        history.concerns.sort_by_key(|c| c.raised_at);
        Ok(history)
    }
}
