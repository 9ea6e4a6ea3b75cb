//! Parents: the record, activation, fresh links and e-learning.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{ModuleRecording, ParentRecord, ParentStore, PortError};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::referral::ParentDetails;
use pt4c_domain::ParentId;

use crate::{MemoryStore, Op};

impl ParentStore for MemoryStore {
    async fn parent(&self, id: &ParentId) -> Result<Option<ParentRecord>, PortError> {
        self.run(Op::Parent, |s| Ok(s.parent_record(id)))
    }

    async fn parent_details(&self, id: &ParentId) -> Result<Option<ParentDetails>, PortError> {
        self.run(Op::ParentDetails, |s| Ok(s.parents.get(id).map(|p| p.details.clone())))
    }

    async fn activate(&self, id: &ParentId, now: Timestamp, due: Option<Timestamp>, event: &OutboxEvent) -> Result<bool, PortError> {
        self.run(Op::Activate, |s| {
            let Some(p) = s.parents.get_mut(id).filter(|p| p.status == ParentStatus::Invited) else { return Ok(false) };
            p.status = ParentStatus::Activated;
            p.activated_at = Some(now);
            p.moved(due);
            s.put_event(event);
            Ok(true)
        })
    }

    async fn count_link_request(&self, id: &ParentId, day: Date, max: u32, event: &OutboxEvent) -> Result<bool, PortError> {
        self.run(Op::CountLinkRequest, |s| {
            // As DynamoDB's update: the first request of the day is always counted (even with `max` 0),
            // and the count is kept whether or not the parent exists.
            let count = s.link_requests.entry((id.clone(), day)).or_insert(0);
            if *count > 0 && *count >= max {
                return Ok(false);
            }
            *count += 1;
            s.put_event(event);
            Ok(true)
        })
    }

    async fn record_module(
        &self,
        id: &ParentId,
        module_id: &pt4c_domain::ModuleId,
        at: Timestamp,
        event: &OutboxEvent,
    ) -> Result<ModuleRecording, PortError> {
        self.run(Op::RecordModule, |s| {
            let Some(p) = s.parents.get_mut(id) else { return Ok(ModuleRecording::NoParent) };
            if p.module_times.contains_key(module_id) {
                return Ok(ModuleRecording::AlreadyRecorded);
            }
            // Completion times are whole seconds; the invitation's may have a fraction of one.
            if p.received_at >= at + SignedDuration::from_secs(1) {
                return Ok(ModuleRecording::BeforeInvitation);
            }
            p.module_times.insert(module_id.clone(), at);
            s.put_event(event);
            Ok(ModuleRecording::Recorded)
        })
    }

    async fn mark_elearning_started(&self, id: &ParentId) -> Result<(), PortError> {
        self.run(Op::MarkElearningStarted, |s| {
            // No revision bump: nothing owed moves.
            if let Some(p) = s.parents.get_mut(id).filter(|p| matches!(p.status, ParentStatus::Invited | ParentStatus::Activated)) {
                p.status = ParentStatus::ElearningStarted;
            }
            Ok(())
        })
    }

    async fn complete_elearning(
        &self,
        id: &ParentId,
        at: Timestamp,
        due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<bool, PortError> {
        self.run(Op::CompleteElearning, |s| {
            let open = |st: ParentStatus| matches!(st, ParentStatus::Invited | ParentStatus::Activated | ParentStatus::ElearningStarted);
            let Some(p) = s.parents.get_mut(id).filter(|p| p.elearning_completed_at.is_none() && open(p.status)) else {
                return Ok(false);
            };
            p.elearning_completed_at = Some(at);
            p.status = ParentStatus::ElearningCompleted;
            p.moved(due);
            s.put_event(event);
            Ok(true)
        })
    }
}
