//! What became of the emails sent (SES's reports), the parents whose address failed, and a
//! coordinator's correction of it.

use pt4c_domain::delivery::{DeliveryRecorded, DeliveryReport};
use pt4c_domain::events::{DomainEvent, LinkRequested};
use pt4c_domain::ports::{worth_retrying, DeliveryLedger, EventPublisher, Outbox, ParentStore, PortError};
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::ParentId;

use crate::App;

/// What one report came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Kept on the notice; `unreachable`: the parent's address was marked by it.
    Recorded { unreachable: bool },
    /// The notice already said as much (a duplicate or a straggler).
    AlreadyKnown { unreachable: bool },
    /// About an email this system has no record of, long enough ago to stop waiting for one.
    Ignored,
}

/// Keeps SES's report on its notice; a permanent bounce or a complaint at the parent's address
/// on file marks the parent unreachable. A report about a message whose record is not written
/// yet fails (retryably) for a while, so the retry finds it.
pub async fn record_report<S: DeliveryLedger + ParentStore, B>(
    app: &App<S, B>,
    report: &DeliveryReport,
) -> Result<ReportOutcome, PortError> {
    let (notice, recorded) = match app.store.record_delivery(report).await? {
        DeliveryRecorded::Recorded(n) => (n, true),
        DeliveryRecorded::AlreadyKnown(n) => (n, false),
        DeliveryRecorded::UnknownMessage if worth_retrying(report.at, app.now()) => {
            return Err(PortError::Retryable("no notice recorded for this message yet".into()))
        }
        DeliveryRecorded::UnknownMessage => {
            tracing::info!(status = report.status.as_str(), "report about an email with no notice; ignored");
            return Ok(ReportOutcome::Ignored);
        }
    };
    // A duplicate still tries the mark: the first delivery may have failed just after recording.
    let mut unreachable = false;
    if let (Some(parent_id), false) = (&notice.parent, report.unreachable.is_empty()) {
        if let Some(parent) = app.store.parent(parent_id).await? {
            if let Some(mark) = report.marks_unreachable(parent.email.as_str(), notice.kind) {
                unreachable = app.store.mark_unreachable(parent_id, &parent.email, &mark).await?;
                if unreachable {
                    tracing::info!(parent_id = %parent_id, reason = mark.reason.as_str(), kind = notice.kind.as_str(), "parent's address marked unreachable");
                }
            }
        }
    }
    Ok(if recorded { ReportOutcome::Recorded { unreachable } } else { ReportOutcome::AlreadyKnown { unreachable } })
}

/// Why a correction was not made.
#[derive(Debug)]
pub enum CorrectionRefusal {
    NotFound,
    /// The course is closed: nothing more is sent.
    Closed,
    /// The address given is the one on file.
    Unchanged,
    /// The address on file changed while this was asked (someone else corrected it): look again.
    Stale,
    Unavailable(PortError),
}

impl From<PortError> for CorrectionRefusal {
    fn from(e: PortError) -> Self {
        Self::Unavailable(e)
    }
}

/// A coordinator corrects a parent's address: it is on file at once, the parent is no longer
/// listed as unreachable, and a fresh Hub link goes to the new address, once (the welcome again
/// for a parent who never set up their Hub: see the welcome-email function).
pub async fn correct_address<S: DeliveryLedger + ParentStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent_id: &ParentId,
    address: &EmailAddress,
) -> Result<(), CorrectionRefusal> {
    let parent = app.store.parent(parent_id).await?.ok_or(CorrectionRefusal::NotFound)?;
    if parent.closed() {
        return Err(CorrectionRefusal::Closed);
    }
    if parent.email.as_str().eq_ignore_ascii_case(address.as_str()) && parent.unreachable.is_none() {
        return Err(CorrectionRefusal::Unchanged);
    }
    let now = app.now();
    let event = app.event(DomainEvent::LinkRequested(LinkRequested {
        parent_id: parent_id.clone(),
        request_id: format!("{ADDRESS_CORRECTED}{}", uuid::Uuid::new_v4()),
        requested_at: now,
    }));
    if !app.store.correct_address(parent_id, &parent.email, address, &event).await? {
        return Err(CorrectionRefusal::Stale);
    }
    tracing::info!(parent_id = %parent_id, "parent's address corrected; a fresh link follows");
    app.publish_committed(&event).await;
    Ok(())
}

/// The prefix of a link request made by an address correction.
pub const ADDRESS_CORRECTED: &str = "address-";

/// A parent the coordinators cannot reach, as the dashboard lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreachableView {
    pub parent_id: ParentId,
    pub name: String,
    /// The address on file, which failed.
    pub email: String,
    pub adviser: String,
    pub unreachable: pt4c_domain::delivery::Unreachable,
}

/// The parents whose address failed, longest first, with what a coordinator needs to reach them
/// another way (their adviser).
pub async fn unreachable<S: DeliveryLedger + ParentStore + pt4c_domain::ports::CourseStore, B>(
    app: &App<S, B>,
    limit: usize,
) -> Result<Vec<UnreachableView>, PortError> {
    let listed = app.store.unreachable_parents(limit).await?;
    let mut views = Vec::with_capacity(listed.len());
    for l in listed {
        let (Some(parent), Some(case)) = (app.store.parent(&l.parent_id).await?, app.store.case_file(l.parent_id.referral_id()).await?)
        else {
            continue;
        };
        views.push(UnreachableView {
            parent_id: l.parent_id,
            name: format!("{} {}", parent.first_name, parent.last_name),
            email: parent.email.as_str().to_owned(),
            adviser: case.family_court_adviser.name.clone(),
            unreachable: l.unreachable,
        });
    }
    Ok(views)
}
