//! The notice ledger: each email claimed once, under a lease, then marked sent or given back.

use std::time::Instant;

use jiff::Timestamp;
use pt4c_domain::notice::NoticeKind;
use std::collections::BTreeMap;

use pt4c_domain::ports::{NoticeClaim, NoticeLedger, PortError, WorkshopNoticeLedger};
use pt4c_domain::{ClaimId, ParentId, WorkshopId};

use crate::state::{NoticeKey, NoticeRec, NoticeState};
use crate::{MemoryStore, Op};

pub(crate) fn key(parent: &ParentId, kind: NoticeKind, subject: &str) -> NoticeKey {
    (parent.clone(), kind.as_str(), subject.to_owned())
}

// One ledger's rules over any map of notices: a parent's (by parent) or a workshop's (by workshop).

pub(crate) fn claim_in<K: Ord>(notices: &mut BTreeMap<K, NoticeRec>, k: K, kind: NoticeKind, lease: std::time::Duration) -> NoticeClaim {
    // Free, or a claim whose lease ran out (its claimant is surely gone): ours.
    match notices.get(&k) {
        Some(n) if n.state == NoticeState::Sent => return NoticeClaim::AlreadySent,
        Some(n) if n.lease_until.is_none_or(|until| until > Instant::now()) => return NoticeClaim::InProgress,
        _ => {}
    }
    let claim_id = pt4c_domain::ClaimId::from_stored(uuid::Uuid::new_v4().to_string());
    notices.insert(
        k,
        NoticeRec {
            kind,
            state: NoticeState::Sending,
            claim_id: claim_id.clone(),
            sent_at: None,
            message_id: None,
            sent_order: 0,
            lease_until: Some(Instant::now() + lease),
            delivery: None,
        },
    );
    NoticeClaim::Claimed { claim_id }
}

pub(crate) fn mark_sent_in<K: Ord>(
    notices: &mut BTreeMap<K, NoticeRec>,
    k: &K,
    claim_id: &ClaimId,
    message_id: &str,
    at: Timestamp,
    order: u64,
) {
    // Taken over after our lease ran out: the email went, the record says so already or will.
    if let Some(n) = notices.get_mut(k).filter(|n| &n.claim_id == claim_id) {
        n.state = NoticeState::Sent;
        n.sent_at = Some(at);
        n.message_id = Some(message_id.to_owned());
        n.sent_order = order;
        n.lease_until = None;
    }
}

pub(crate) fn release_in<K: Ord>(notices: &mut BTreeMap<K, NoticeRec>, k: &K, claim_id: &ClaimId) {
    if notices.get(k).is_some_and(|n| &n.claim_id == claim_id && n.state == NoticeState::Sending) {
        notices.remove(k);
    }
}

impl NoticeLedger for MemoryStore {
    async fn claim(&self, parent: &ParentId, kind: NoticeKind, subject: &str, _now: Timestamp) -> Result<NoticeClaim, PortError> {
        let lease = self.claim_lease;
        self.run(Op::Claim, |s| Ok(claim_in(&mut s.notices, key(parent, kind, subject), kind, lease)))
    }

    async fn mark_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            s.sent_counter += 1;
            let order = s.sent_counter;
            mark_sent_in(&mut s.notices, &key(parent, kind, subject), claim_id, message_id, sent_at, order);
            Ok(())
        })
    }

    async fn release(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> Result<(), PortError> {
        self.run(Op::ReleaseClaim, |s| {
            release_in(&mut s.notices, &key(parent, kind, subject), claim_id);
            Ok(())
        })
    }
}

fn workshop_key(workshop: &WorkshopId, kind: NoticeKind, subject: &str) -> (WorkshopId, &'static str, String) {
    (workshop.clone(), kind.as_str(), subject.to_owned())
}

impl WorkshopNoticeLedger for MemoryStore {
    async fn claim_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        _now: Timestamp,
    ) -> Result<NoticeClaim, PortError> {
        let lease = self.claim_lease;
        self.run(Op::Claim, |s| Ok(claim_in(&mut s.workshop_notices, workshop_key(workshop, kind, subject), kind, lease)))
    }

    async fn mark_sent_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            s.sent_counter += 1;
            let order = s.sent_counter;
            mark_sent_in(&mut s.workshop_notices, &workshop_key(workshop, kind, subject), claim_id, message_id, sent_at, order);
            Ok(())
        })
    }

    async fn release_for_workshop(
        &self,
        workshop: &WorkshopId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> Result<(), PortError> {
        self.run(Op::ReleaseClaim, |s| {
            release_in(&mut s.workshop_notices, &workshop_key(workshop, kind, subject), claim_id);
            Ok(())
        })
    }
}
