//! Texts in the notice ledger (under their `#sms` subjects), the numbers that said STOP, and a
//! texter that records what it was given, with the DynamoDB adapter's rules.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{NoticeClaim, PortError, SmsLedger, Texter};
use pt4c_domain::sms::{Sms, SmsClaim, SmsSent, UkMobile};
use pt4c_domain::{ClaimId, ParentId};

use crate::notice::{claim_in, key, mark_sent_in, release_in};
use crate::state::NoticeKey;
use crate::{MemoryStore, Op};

/// The store's part: numbers opted out, and texts recorded as opted out.
#[derive(Debug, Default)]
pub(crate) struct SmsState {
    opted_out: BTreeSet<UkMobile>,
    not_sent: BTreeSet<NoticeKey>,
}

impl SmsLedger for MemoryStore {
    async fn claim_sms(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        to: &UkMobile,
        _now: Timestamp,
    ) -> Result<SmsClaim, PortError> {
        let lease = self.claim_lease;
        self.run(Op::Claim, |s| {
            let k = key(parent, kind, subject);
            if s.sms.not_sent.contains(&k) {
                return Ok(SmsClaim::Done);
            }
            // One write: the claim, conditioned on the number not having opted out.
            if s.sms.opted_out.contains(to) && !s.notices.contains_key(&k) {
                s.sms.not_sent.insert(k);
                return Ok(SmsClaim::OptedOut);
            }
            Ok(match claim_in(&mut s.notices, k, kind, lease) {
                NoticeClaim::Claimed { claim_id } => SmsClaim::Claimed { claim_id },
                NoticeClaim::AlreadySent => SmsClaim::Done,
                NoticeClaim::InProgress => SmsClaim::InProgress,
            })
        })
    }

    async fn mark_sms_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            s.sent_counter += 1;
            let order = s.sent_counter;
            mark_sent_in(&mut s.notices, &key(parent, kind, subject), claim_id, message_id, at, order);
            Ok(())
        })
    }

    async fn mark_sms_opted_out(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        to: &UkMobile,
        _at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            let k = key(parent, kind, subject);
            if s.notices.get(&k).is_some_and(|n| &n.claim_id == claim_id) {
                s.notices.remove(&k);
                s.sms.not_sent.insert(k);
            }
            s.sms.opted_out.insert(to.clone());
            Ok(())
        })
    }

    async fn release_sms(&self, parent: &ParentId, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> Result<(), PortError> {
        self.run(Op::ReleaseClaim, |s| {
            release_in(&mut s.notices, &key(parent, kind, subject), claim_id);
            Ok(())
        })
    }

    async fn opt_out(&self, number: &UkMobile, _at: Timestamp) -> Result<(), PortError> {
        self.run(Op::Claim, |s| {
            s.sms.opted_out.insert(number.clone());
            Ok(())
        })
    }
}

impl MemoryStore {
    /// The texts recorded as not sent because the number opted out, as (kind, subject).
    pub fn texts_opted_out(&self, parent: &ParentId) -> Vec<(NoticeKind, String)> {
        let s = self.lock();
        s.sms
            .not_sent
            .iter()
            .filter(|(p, _, _)| p == parent)
            .filter_map(|(_, k, subj)| NoticeKind::parse(k).map(|k| (k, subj.clone())))
            .collect()
    }
}

#[derive(Debug, Default)]
struct TexterState {
    sent: Vec<(String, Sms)>,
    opted_out: BTreeSet<UkMobile>,
    faults: VecDeque<PortError>,
}

/// Records every text sent (`sms-1`, `sms-2`, …); a number marked opted out gets `OptedOut`, as
/// the provider answers. Clones share the record.
#[derive(Clone, Debug, Default)]
pub struct MemoryTexter {
    state: Arc<Mutex<TexterState>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryTexter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The texts sent, in order.
    pub fn sent(&self) -> Vec<Sms> {
        lock(&self.state).sent.iter().map(|(_, s)| s.clone()).collect()
    }

    /// The provider holds `number` as opted out (it replied STOP to the provider directly).
    pub fn opted_out_at_provider(&self, number: &UkMobile) {
        lock(&self.state).opted_out.insert(number.clone());
    }

    /// The next send fails with `error`; nothing is recorded.
    pub fn fail_next(&self, error: PortError) {
        lock(&self.state).faults.push_back(error);
    }
}

impl Texter for MemoryTexter {
    async fn send(&self, sms: &Sms) -> Result<SmsSent, PortError> {
        let mut s = lock(&self.state);
        if let Some(e) = s.faults.pop_front() {
            return Err(e);
        }
        if s.opted_out.contains(&sms.to) {
            return Ok(SmsSent::OptedOut);
        }
        let id = format!("sms-{}", s.sent.len() + 1);
        s.sent.push((id.clone(), sms.clone()));
        Ok(SmsSent::Sent { message_id: id })
    }
}
