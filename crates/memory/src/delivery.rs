//! `DeliveryLedger` in memory: the DynamoDB store's rules (a report kept only when it says more;
//! the mark and the correction conditioned on the address on file).

use pt4c_domain::delivery::{DeliveryRecorded, DeliveryReport, ReportedNotice, Unreachable};
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{DeliveryLedger, PortError, UnreachableParent};
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::ParentId;

use crate::{MemoryStore, Op};

impl DeliveryLedger for MemoryStore {
    async fn record_delivery(&self, report: &DeliveryReport) -> Result<DeliveryRecorded, PortError> {
        self.run(Op::Delivery, |s| {
            let Some(((parent, kind, _), notice)) =
                s.notices.iter_mut().find(|(_, n)| n.message_id.as_deref() == Some(report.message_id.as_str()))
            else {
                return Ok(DeliveryRecorded::UnknownMessage);
            };
            let found = ReportedNotice { parent: Some(parent.clone()), kind: NoticeKind::parse(kind).unwrap_or(notice.kind) };
            if notice.delivery.is_some_and(|d| d.rank() >= report.status.rank()) {
                return Ok(DeliveryRecorded::AlreadyKnown(found));
            }
            notice.delivery = Some(report.status);
            Ok(DeliveryRecorded::Recorded(found))
        })
    }

    async fn mark_unreachable(&self, parent: &ParentId, address: &EmailAddress, unreachable: &Unreachable) -> Result<bool, PortError> {
        self.run(Op::Delivery, |s| {
            let Some(p) = s.parents.get_mut(parent) else { return Ok(false) };
            if p.details.email != *address || p.unreachable.is_some() {
                return Ok(false);
            }
            p.unreachable = Some(unreachable.clone());
            Ok(true)
        })
    }

    async fn correct_address(
        &self,
        parent: &ParentId,
        was: &EmailAddress,
        address: &EmailAddress,
        event: &OutboxEvent,
    ) -> Result<bool, PortError> {
        self.run(Op::Delivery, |s| {
            let Some(p) = s.parents.get_mut(parent) else { return Ok(false) };
            if p.details.email != *was {
                return Ok(false);
            }
            p.details.email = address.clone();
            p.unreachable = None;
            s.put_event(event);
            Ok(true)
        })
    }

    async fn unreachable_parents(&self, limit: usize) -> Result<Vec<UnreachableParent>, PortError> {
        self.run(Op::Delivery, |s| {
            let mut listed: Vec<UnreachableParent> = s
                .parents
                .values()
                .filter_map(|p| p.unreachable.clone().map(|unreachable| UnreachableParent { parent_id: p.parent_id.clone(), unreachable }))
                .collect();
            listed.sort_by_key(|u| (u.unreachable.since, u.parent_id.to_string()));
            listed.truncate(limit);
            Ok(listed)
        })
    }
}
