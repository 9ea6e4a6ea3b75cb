//! Arrangement tasks and the coordinators' email ledger, with the DynamoDB adapter's rules: a
//! task opened once, only while the parent holds its booking; closed or done only while open;
//! open tasks listed by their workshop's start (the due-index's `TASK` partition).

use std::collections::BTreeMap;

use jiff::Timestamp;
use pt4c_domain::arrangements::{Marking, Task, TaskStatus};
use pt4c_domain::forecast::Forecast;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ArrangementStore, CoordinatorNoticeLedger, NoticeClaim, PortError};
use pt4c_domain::{ClaimId, ParentId, ReferralId};

use crate::notice::{claim_in, mark_sent_in, release_in};
use crate::state::NoticeRec;
use crate::{MemoryStore, Op};

/// The coordinators' records: tasks (by parent and task id), their emails (by the referral they
/// are about, kind and subject) and the latest forecast.
#[derive(Debug, Default)]
pub(crate) struct Coordination {
    pub tasks: BTreeMap<(ParentId, String), Task>,
    pub notices: BTreeMap<(Option<ReferralId>, &'static str, String), NoticeRec>,
    pub forecast: Option<Forecast>,
}

impl Coordination {
    /// Items kept in the referral's partition (tasks and emails about them).
    pub fn partition_size(&self, id: &ReferralId) -> usize {
        self.tasks.keys().filter(|(p, _)| p.referral_id() == id).count()
            + self.notices.keys().filter(|(r, _, _)| r.as_ref() == Some(id)).count()
    }

    /// Erases what the referral's partition holds of these.
    pub fn erase(&mut self, id: &ReferralId) {
        self.tasks.retain(|(p, _), _| p.referral_id() != id);
        self.notices.retain(|(r, _, _), _| r.as_ref() != Some(id));
    }
}

impl MemoryStore {
    /// Every task stored for a parent, whatever its state (for tests).
    pub fn tasks(&self, parent: &ParentId) -> Vec<Task> {
        self.lock().coordination.tasks.iter().filter(|((p, _), _)| p == parent).map(|(_, t)| t.clone()).collect()
    }

    /// The subjects of the emails of `kind` recorded sent to the coordinators.
    pub fn coordinator_notices_sent(&self, kind: NoticeKind) -> Vec<String> {
        let s = self.lock();
        let mut sent: Vec<_> = s
            .coordination
            .notices
            .iter()
            .filter(|((_, k, _), n)| *k == kind.as_str() && n.sent_at.is_some())
            .map(|((_, _, subject), n)| (n.sent_order, subject.clone()))
            .collect();
        sent.sort();
        sent.into_iter().map(|(_, subject)| subject).collect()
    }
}

impl ArrangementStore for MemoryStore {
    async fn open_task(&self, task: &Task) -> Result<bool, PortError> {
        self.run(Op::Arrangements, |s| {
            let key = (task.parent_id.clone(), task.task_id.clone());
            let holds = s
                .parent_record(&task.parent_id)
                .and_then(|p| p.booking)
                .is_some_and(|b| b.workshop_id == task.workshop_id && b.booked_at == task.booked_at);
            if !holds || s.coordination.tasks.contains_key(&key) {
                return Ok(false);
            }
            s.coordination.tasks.insert(key, task.clone());
            Ok(true)
        })
    }

    async fn tasks_of(&self, parent: &ParentId) -> Result<Vec<Task>, PortError> {
        self.run(Op::Arrangements, |s| {
            let mut tasks: Vec<Task> = s.coordination.tasks.iter().filter(|((p, _), _)| p == parent).map(|(_, t)| t.clone()).collect();
            tasks.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.task_id.cmp(&b.task_id)));
            Ok(tasks)
        })
    }

    async fn close_task(&self, parent: &ParentId, task_id: &str, at: Timestamp) -> Result<bool, PortError> {
        self.run(Op::Arrangements, |s| match s.coordination.tasks.get_mut(&(parent.clone(), task_id.to_owned())) {
            Some(t) if t.is_open() => {
                t.status = TaskStatus::Closed;
                t.settled_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    async fn retime_task(&self, parent: &ParentId, task_id: &str, starts_at: Timestamp) -> Result<bool, PortError> {
        self.run(Op::Arrangements, |s| match s.coordination.tasks.get_mut(&(parent.clone(), task_id.to_owned())) {
            Some(t) if t.is_open() => {
                t.starts_at = starts_at;
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    async fn mark_task_done(&self, parent: &ParentId, task_id: &str, by: &str, at: Timestamp) -> Result<Marking, PortError> {
        self.run(Op::Arrangements, |s| {
            let Some(t) = s.coordination.tasks.get_mut(&(parent.clone(), task_id.to_owned())) else { return Ok(Marking::NotFound) };
            Ok(match t.done(by, at) {
                Some(done) => {
                    *t = done.clone();
                    Marking::Done(done)
                }
                None if t.status == TaskStatus::Done => Marking::AlreadyDone(t.clone()),
                None => Marking::Closed,
            })
        })
    }

    async fn open_tasks(&self, until: Timestamp, limit: usize) -> Result<Vec<Task>, PortError> {
        self.run(Op::Arrangements, |s| {
            let mut open: Vec<Task> =
                s.coordination.tasks.values().filter(|t| t.is_open() && t.starts_at.as_second() <= until.as_second()).cloned().collect();
            open.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.parent_id.cmp(&b.parent_id)));
            open.truncate(limit);
            Ok(open)
        })
    }
}

fn key(about: Option<&ReferralId>, kind: NoticeKind, subject: &str) -> (Option<ReferralId>, &'static str, String) {
    (about.cloned(), kind.as_str(), subject.to_owned())
}

impl CoordinatorNoticeLedger for MemoryStore {
    async fn claim_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        _now: Timestamp,
    ) -> Result<NoticeClaim, PortError> {
        let lease = self.claim_lease;
        self.run(Op::Claim, |s| Ok(claim_in(&mut s.coordination.notices, key(about, kind, subject), kind, lease)))
    }

    async fn mark_sent_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), PortError> {
        self.run(Op::MarkSent, |s| {
            s.sent_counter += 1;
            let order = s.sent_counter;
            mark_sent_in(&mut s.coordination.notices, &key(about, kind, subject), claim_id, message_id, sent_at, order);
            Ok(())
        })
    }

    async fn release_for_coordinators(
        &self,
        about: Option<&ReferralId>,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> Result<(), PortError> {
        self.run(Op::ReleaseClaim, |s| {
            release_in(&mut s.coordination.notices, &key(about, kind, subject), claim_id);
            Ok(())
        })
    }
}
