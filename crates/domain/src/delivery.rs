//! What became of an email after SES took it: delivered, bounced, complained, rejected, delayed.
//! SES reports each email's fate in events that may arrive late, twice or out of order; a notice
//! keeps the most telling status, and a permanent failure at the parent's address marks the
//! parent unreachable until a coordinator corrects it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::notice::NoticeKind;

/// A notice's status, as the progress record shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// With the provider; nothing heard since.
    #[default]
    Sent,
    Delayed,
    Delivered,
    Rejected,
    Bounced,
    Complained,
}

impl DeliveryStatus {
    /// Later news replaces earlier only when it says more: a delay is overtaken by the delivery,
    /// a delivery by a later complaint; a failure is final but for a complaint (which SES sends
    /// only after a delivery). Duplicates and stragglers rank no higher, so they change nothing.
    pub fn rank(self) -> u8 {
        match self {
            Self::Sent => 0,
            Self::Delayed => 1,
            Self::Delivered => 2,
            Self::Rejected => 3,
            Self::Bounced => 4,
            Self::Complained => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delayed => "delayed",
            Self::Delivered => "delivered",
            Self::Rejected => "rejected",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// Did the email fail to reach its reader?
    pub fn failed(self) -> bool {
        matches!(self, Self::Rejected | Self::Bounced | Self::Complained)
    }
}

/// One report from the provider about one email it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub message_id: String,
    pub status: DeliveryStatus,
    pub at: Timestamp,
    /// The addresses that must not be written to again: permanently bounced or complaining
    /// (lower case). Empty for a delivery, a delay, a rejection or a transient bounce.
    pub unreachable: Vec<String>,
}

/// Why an address is no longer written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreachableReason {
    Bounced,
    Complained,
}

impl UnreachableReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }
}

/// A parent whose address on file failed: what failed, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreachable {
    pub reason: UnreachableReason,
    pub since: Timestamp,
    /// The email whose report marked the address.
    pub kind: NoticeKind,
}

impl DeliveryReport {
    /// Does this report about a `kind` email make `address` (the parent's address on file)
    /// unreachable, and why?
    pub fn marks_unreachable(&self, address: &str, kind: NoticeKind) -> Option<Unreachable> {
        let address = address.trim().to_lowercase();
        if !self.unreachable.contains(&address) {
            return None;
        }
        let reason = match self.status {
            DeliveryStatus::Complained => UnreachableReason::Complained,
            DeliveryStatus::Bounced => UnreachableReason::Bounced,
            _ => return None,
        };
        Some(Unreachable { reason, since: self.at, kind })
    }
}

/// The notice a report is about, as the ledger found it by the provider's message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedNotice {
    /// The parent the notice is kept for; `None` for notices kept for a workshop or the coordinators.
    pub parent: Option<crate::ParentId>,
    pub kind: NoticeKind,
}

/// What recording a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryRecorded {
    /// The notice's status is now the report's.
    Recorded(ReportedNotice),
    /// The notice already says as much or more (a duplicate or a straggler): nothing changed.
    AlreadyKnown(ReportedNotice),
    /// No notice was sent with this message id (or not yet recorded as sent).
    UnknownMessage,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: DeliveryStatus, unreachable: &[&str]) -> DeliveryReport {
        DeliveryReport {
            message_id: "m-1".into(),
            status,
            at: "2026-11-20T10:00:00Z".parse().unwrap(),
            unreachable: unreachable.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn later_news_replaces_earlier_only_when_it_says_more() {
        use DeliveryStatus::*;
        assert!(Delivered.rank() > Delayed.rank());
        assert!(Complained.rank() > Delivered.rank());
        assert!(Bounced.rank() > Delivered.rank());
        assert!(Delayed.rank() > Sent.rank());
        for s in [Sent, Delayed, Delivered, Rejected, Bounced, Complained] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert!(Bounced.failed() && Complained.failed() && Rejected.failed());
        assert!(!Delivered.failed() && !Delayed.failed());
    }

    #[test]
    fn a_permanent_bounce_at_the_address_on_file_marks_it_unreachable() {
        let r = report(DeliveryStatus::Bounced, &["alex@example.com"]);
        let u = r.marks_unreachable(" Alex@Example.com ", NoticeKind::Welcome).expect("unreachable");
        assert_eq!(u.reason, UnreachableReason::Bounced);
        assert_eq!(u.since, r.at);
    }

    #[test]
    fn a_bounce_at_another_address_or_a_transient_one_does_not() {
        // The court's address bounced, not the parent's.
        assert_eq!(
            report(DeliveryStatus::Bounced, &["court@example.com"]).marks_unreachable("alex@example.com", NoticeKind::Welcome),
            None
        );
        // A transient bounce names no address to give up on.
        assert_eq!(report(DeliveryStatus::Bounced, &[]).marks_unreachable("alex@example.com", NoticeKind::Welcome), None);
        assert_eq!(report(DeliveryStatus::Delivered, &[]).marks_unreachable("alex@example.com", NoticeKind::Welcome), None);
    }

    #[test]
    fn a_complaint_marks_the_address_unreachable_as_complained() {
        let u =
            report(DeliveryStatus::Complained, &["alex@example.com"]).marks_unreachable("alex@example.com", NoticeKind::Welcome).unwrap();
        assert_eq!(u.reason, UnreachableReason::Complained);
    }
}
