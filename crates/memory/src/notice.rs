//! The notice ledger: each email claimed once, under a lease, then marked sent or given back.

use std::time::Instant;

use jiff::Timestamp;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{NoticeClaim, NoticeLedger, PortError};
use pt4c_domain::ParentId;

use crate::state::{NoticeKey, NoticeRec, NoticeState};
use crate::{MemoryStore, Op};

fn key(parent: &ParentId, kind: NoticeKind, subject: &str) -> NoticeKey {
    (parent.clone(), kind.as_str(), subject.to_owned())
}

impl NoticeLedger for MemoryStore {
    async fn claim(&self, parent: &ParentId, kind: NoticeKind, subject: &str, _now: Timestamp) -> Result<NoticeClaim, PortError> {
        let lease = self.claim_lease;
        self.run(Op::Claim, |s| {
            let k = key(parent, kind, subject);
            // Free, or a claim whose lease ran out (its claimant is surely gone): ours.
            match s.notices.get(&k) {
                Some(n) if n.state == NoticeState::Sent => return Ok(NoticeClaim::AlreadySent),
                Some(n) if n.lease_until.is_none_or(|until| until > Instant::now()) => return Ok(NoticeClaim::InProgress),
                _ => {}
            }
            let claim_id = pt4c_domain::ClaimId::from_stored(uuid::Uuid::new_v4().to_string());
            s.notices.insert(
                k,
                NoticeRec {
                    kind,
                    state: NoticeState::Sending,
                    claim_id: claim_id.clone(),
                    sent_at: None,
                    message_id: None,
                    sent_order: 0,
                    lease_until: Some(Instant::now() + lease),
                },
            );
            Ok(NoticeClaim::Claimed { claim_id })
        })
    }

    async fn mark_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &pt4c_domain::ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            s.sent_counter += 1;
            let order = s.sent_counter;
            // Taken over after our lease ran out: the email went, the record says so already or will.
            if let Some(n) = s.notices.get_mut(&key(parent, kind, subject)).filter(|n| &n.claim_id == claim_id) {
                n.state = NoticeState::Sent;
                n.sent_at = Some(sent_at);
                n.message_id = Some(message_id.to_owned());
                n.sent_order = order;
                n.lease_until = None;
            }
            Ok(())
        })
    }

    async fn release(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &pt4c_domain::ClaimId) -> Result<(), PortError> {
        self.run(Op::ReleaseClaim, |s| {
            let k = key(parent, kind, subject);
            if s.notices.get(&k).is_some_and(|n| &n.claim_id == claim_id && n.state == NoticeState::Sending) {
                s.notices.remove(&k);
            }
            Ok(())
        })
    }
}
