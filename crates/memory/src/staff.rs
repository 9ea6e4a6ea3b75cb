//! The console's sessions and audit trail.

use jiff::Timestamp;
use pt4c_domain::ports::{ParentHistory, PortError, StaffStore};
use pt4c_domain::staff::{AuditEntry, ConsoleSession};
use pt4c_domain::ParentId;

use crate::{MemoryStore, Op};

impl StaffStore for MemoryStore {
    async fn create_session(&self, key: &str, session: &ConsoleSession, _expires_at: Timestamp) -> Result<(), PortError> {
        self.run(Op::Staff, |s| {
            if s.sessions.contains_key(key) {
                return Err(PortError::Permanent("session id clash".into()));
            }
            s.sessions.insert(key.to_owned(), session.clone());
            Ok(())
        })
    }

    async fn session(&self, key: &str) -> Result<Option<ConsoleSession>, PortError> {
        self.run(Op::Staff, |s| Ok(s.sessions.get(key).cloned()))
    }

    async fn touch_session(&self, key: &str, at: Timestamp) -> Result<(), PortError> {
        self.run(Op::Staff, |s| {
            if let Some(session) = s.sessions.get_mut(key) {
                session.last_seen = at;
            }
            Ok(())
        })
    }

    async fn end_session(&self, key: &str) -> Result<(), PortError> {
        self.run(Op::Staff, |s| {
            s.sessions.remove(key);
            Ok(())
        })
    }

    async fn record_audit(&self, entry: &AuditEntry, _keep_until: Timestamp) -> Result<(), PortError> {
        self.run(Op::Staff, |s| {
            s.audit.push(entry.clone());
            Ok(())
        })
    }

    async fn audit_trail(&self, day: jiff::civil::Date) -> Result<Vec<AuditEntry>, PortError> {
        self.run(Op::Staff, |s| {
            let mut v: Vec<AuditEntry> = s.audit.iter().filter(|e| e.at.to_zoned(jiff::tz::TimeZone::UTC).date() == day).cloned().collect();
            v.reverse();
            Ok(v)
        })
    }

    async fn parent_history(&self, parent: &ParentId) -> Result<ParentHistory, PortError> {
        self.run(Op::Staff, |s| {
            let mut concerns: Vec<_> = s.concerns.iter().filter(|((p, _), _)| p == parent).map(|(_, c)| c.clone()).collect();
            concerns.sort_by_key(|c| c.raised_at);
            // A referral's erasure takes its parents' trail with it, as in DynamoDB.
            let audit = if s.referrals.contains_key(parent.referral_id()) {
                s.audit.iter().filter(|e| e.parent_id.as_ref() == Some(parent)).cloned().collect()
            } else {
                Vec::new()
            };
            Ok(ParentHistory { concerns, audit })
        })
    }
}
