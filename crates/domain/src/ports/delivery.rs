//! What became of the emails sent: SES's reports kept on the notices, and the parents whose
//! address failed.

use std::future::Future;

use jiff::Timestamp;

use super::PortError;
use crate::delivery::{DeliveryRecorded, DeliveryReport, Unreachable};
use crate::events::OutboxEvent;
use crate::referral::EmailAddress;
use crate::ParentId;

/// A parent listed for the coordinators because their address failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreachableParent {
    pub parent_id: ParentId,
    pub unreachable: Unreachable,
}

pub trait DeliveryLedger: Send + Sync {
    /// Keeps the report on the notice sent with its message id, if it says more than the notice
    /// already does (the condition is in the write, so duplicates and stragglers change nothing).
    fn record_delivery(&self, report: &DeliveryReport) -> impl Future<Output = Result<DeliveryRecorded, PortError>> + Send;

    /// Marks the parent unreachable and lists them for the coordinators, in one write conditioned
    /// on the address on file still being `address` and not already marked. False: nothing done.
    fn mark_unreachable(
        &self,
        parent: &ParentId,
        address: &EmailAddress,
        unreachable: &Unreachable,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// A coordinator's correction: the new address on file, the mark and the listing gone, and
    /// `event` (the fresh link it sends) in the outbox, in one write conditioned on the address
    /// still being `was` (so a correction made twice, or crossed by another, sends once).
    /// False: the address on file is no longer `was`, or the parent is gone.
    fn correct_address(
        &self,
        parent: &ParentId,
        was: &EmailAddress,
        address: &EmailAddress,
        event: &OutboxEvent,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The parents listed as unreachable, longest first (at most `limit`).
    fn unreachable_parents(&self, limit: usize) -> impl Future<Output = Result<Vec<UnreachableParent>, PortError>> + Send;
}

/// When a report for a message the ledger does not know is given up on: the notice's record is
/// written just after SES answers, so only a report about an email sent by something else (or
/// whose record failed) is still unknown after this.
pub const UNKNOWN_MESSAGE_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// Is an unknown message's report still worth retrying (its notice may not be recorded yet)?
pub fn worth_retrying(report_at: Timestamp, now: Timestamp) -> bool {
    now.duration_since(report_at) < UNKNOWN_MESSAGE_GRACE
}
