//! The texts' ports: the texter (SNS), and the texts' part of the notice ledger with the numbers that said STOP.

use std::future::Future;

use jiff::Timestamp;

use super::PortError;
use crate::notice::NoticeKind;
use crate::{ClaimId, ParentId};

/// Sends text messages (`crate::sms`).
pub trait Texter: Send + Sync {
    /// Sends one text; a number the provider holds as opted out is `SmsSent::OptedOut`, not an error.
    fn send(&self, sms: &crate::sms::Sms) -> impl Future<Output = Result<crate::sms::SmsSent, PortError>> + Send;
}

/// Texts in the notice ledger (kept as the emails are, under `sms::sms_subject(subject)`), and the
/// numbers that said STOP. A claim is refused, in its own write, when the number opted out.
pub trait SmsLedger: Send + Sync {
    /// Claims the text (`subject`: the ledger subject, already `sms_subject`ed). A number that
    /// opted out is `OptedOut`, and the text is recorded as opted out (never tried again).
    fn claim_sms(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        to: &crate::sms::UkMobile,
        now: Timestamp,
    ) -> impl Future<Output = Result<crate::sms::SmsClaim, PortError>> + Send;
    fn mark_sms_sent(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// The provider said the number opted out: the claimed text is recorded as opted out, and so is the number.
    fn mark_sms_opted_out(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        to: &crate::sms::UkMobile,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn release_sms(
        &self,
        parent: &ParentId,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// The number said STOP: no text is claimed for it again.
    fn opt_out(&self, number: &crate::sms::UkMobile, at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;
}
