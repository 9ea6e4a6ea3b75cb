//! The console's sessions and audit trail.

use jiff::Timestamp;
use pt4c_domain::ports::{ParentHistory, PortError, StaffStore};
use pt4c_domain::staff::{AuditEntry, ConsoleSession, ParentDue};
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

    async fn recent_concerns(&self, since: Timestamp, limit: usize) -> Result<Vec<pt4c_domain::ports::Concern>, PortError> {
        self.run(Op::Staff, |s| {
            let mut v: Vec<_> = s.concerns.values().filter(|c| c.raised_at >= since).cloned().collect();
            v.sort_by_key(|c| std::cmp::Reverse(c.raised_at));
            v.truncate(limit);
            Ok(v)
        })
    }

    async fn revoke_sessions(&self, email: &str, at: Timestamp) -> Result<(), PortError> {
        self.run(Op::Staff, |s| {
            s.revoked.insert(email.trim().to_lowercase(), at);
            Ok(())
        })
    }

    async fn sessions_revoked(&self, email: &str) -> Result<Option<Timestamp>, PortError> {
        self.run(Op::Staff, |s| Ok(s.revoked.get(&email.trim().to_lowercase()).copied()))
    }

    async fn parents_due(&self, until: Timestamp, limit: usize) -> Result<Vec<ParentDue>, PortError> {
        self.run(Op::Staff, |s| {
            let mut due: Vec<ParentDue> = s
                .parents
                .values()
                .filter_map(|p| {
                    let due_at = p.due_at.filter(|d| *d <= until)?;
                    Some(ParentDue {
                        parent_id: p.parent_id.clone(),
                        name: format!("{} {}", p.details.first_name, p.details.last_name),
                        status: p.status,
                        invited_at: p.received_at,
                        complete_by: p.complete_by,
                        due_at,
                    })
                })
                .collect();
            due.sort_by(|a, b| (a.due_at, &a.parent_id).cmp(&(b.due_at, &b.parent_id)));
            due.truncate(limit);
            Ok(due)
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
