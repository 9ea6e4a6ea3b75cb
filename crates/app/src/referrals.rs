//! Referrals: taking one from Cafcass, reading its progress, withdrawing it, and closing it once
//! every parent has closed.

use pt4c_domain::events::{DomainEvent, ReferralCompleted, ReferralReceived, ReferralWithdrawn};
use pt4c_domain::ports::{CourseStore, EventPublisher, Intake, Outbox, PortError, ReferralStore, Withdrawal};
use pt4c_domain::progress::{ElearningProgress, ParentProgress, ParentStatus, ProgressRecord, ReferralStatus};
use pt4c_domain::referral::{CaseNumber, NewReferral};
use pt4c_domain::ReferralId;

use crate::App;

/// What taking a referral came to.
#[derive(Debug)]
pub enum Taken {
    /// New: its parents are invited (the welcome emails follow from the event).
    Created(ProgressRecord),
    /// The same referral was taken before: its record as it is now.
    Replayed(ProgressRecord),
}

#[derive(Debug)]
pub enum ReferralRefusal {
    NotFound,
    /// The referralId was taken before for different content; nothing changed.
    Conflict,
    /// Completed or not completed: too late to withdraw.
    Closed,
    Unavailable(PortError),
}

impl From<PortError> for ReferralRefusal {
    fn from(e: PortError) -> Self {
        ReferralRefusal::Unavailable(e)
    }
}

/// The referrals taken under a case number, however it was typed (the number is normalised when
/// parsed): one lookup, never a scan. Who may see their parents is `staff::parents_of_referral`'s rule.
pub async fn find_case<S: ReferralStore, B>(app: &App<S, B>, case: &CaseNumber) -> Result<Vec<ReferralId>, PortError> {
    app.store.referrals_of_case(case).await
}

/// Takes a referral (parsed at the edge): the referral, its parents and its event in one write.
/// Safe to repeat with the same content.
pub async fn take<S: ReferralStore + Outbox, B: EventPublisher>(app: &App<S, B>, referral: &NewReferral) -> Result<Taken, ReferralRefusal> {
    let now = app.now();
    let hash = referral.content_hash();
    let event = app.event(DomainEvent::ReferralReceived(ReferralReceived {
        referral_id: referral.referral_id.clone(),
        parent_ids: referral.parent_ids(),
        received_at: now,
    }));
    let first_due = pt4c_domain::sweep::DueState {
        status: ParentStatus::Invited,
        invited_at: now,
        complete_by: referral.complete_by,
        elearning_completed_at: None,
        booking: None,
    }
    .next_due(now, app.timings());
    match app.store.create_referral(referral, &hash, now, first_due, &event).await? {
        Intake::Created => {
            tracing::info!(referral_id = %referral.referral_id, parents = referral.parents.len(), "referral taken");
            app.publish_committed(&event).await;
            Ok(Taken::Created(fresh_record(referral)))
        }
        Intake::AlreadyTaken { content_hash } if content_hash == hash => {
            tracing::info!(referral_id = %referral.referral_id, "referral replayed; nothing new");
            let record = app
                .store
                .progress(&referral.referral_id)
                .await?
                .ok_or_else(|| PortError::Retryable("replayed referral not readable yet".into()))?;
            Ok(Taken::Replayed(record))
        }
        Intake::AlreadyTaken { .. } => {
            tracing::info!(referral_id = %referral.referral_id, "referralId reused for other content");
            Err(ReferralRefusal::Conflict)
        }
    }
}

/// The record of a referral just taken: parents invited, nothing sent yet.
fn fresh_record(r: &NewReferral) -> ProgressRecord {
    ProgressRecord {
        referral_id: r.referral_id.clone(),
        case_number: r.case_number.to_string(),
        referred_on: r.referred_on,
        complete_by: r.complete_by,
        status: ReferralStatus::Open,
        parents: r
            .parents
            .iter()
            .zip(r.parent_ids())
            .map(|(p, id)| ParentProgress {
                parent_id: id,
                parent_ref: p.parent_ref.clone(),
                status: ParentStatus::Invited,
                invited_at: None,
                activated_at: None,
                elearning: ElearningProgress::default(),
                workshop: None,
                completed_at: None,
                follow_up: None,
                notices: vec![],
                reachable: true,
            })
            .collect(),
    }
}

pub async fn progress<S: ReferralStore, B>(app: &App<S, B>, id: &ReferralId) -> Result<ProgressRecord, ReferralRefusal> {
    app.store.progress(id).await?.ok_or(ReferralRefusal::NotFound)
}

/// Withdraws an open referral: every parent still on the course leaves it, seats are released,
/// and personal data is erased at the end of retention. Safe to repeat.
pub async fn withdraw<S: ReferralStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    id: &ReferralId,
    reason: &str,
) -> Result<ProgressRecord, ReferralRefusal> {
    let now = app.now();
    let record = app.store.progress(id).await?.ok_or(ReferralRefusal::NotFound)?;
    let event = app.event(DomainEvent::ReferralWithdrawn(ReferralWithdrawn {
        referral_id: id.clone(),
        parent_ids: record.parents.iter().map(|p| p.parent_id.clone()).collect(),
        withdrawn_at: now,
    }));
    match app.store.withdraw(id, reason, now, now + app.timings().retention, &event).await? {
        Withdrawal::Withdrawn => {
            tracing::info!(referral_id = %id, "referral withdrawn");
            app.publish_committed(&event).await;
        }
        Withdrawal::AlreadyWithdrawn => tracing::info!(referral_id = %id, "referral already withdrawn"),
        Withdrawal::NotFound => return Err(ReferralRefusal::NotFound),
        Withdrawal::Closed => return Err(ReferralRefusal::Closed),
    }
    Ok(app.store.progress(id).await?.ok_or_else(|| PortError::Retryable("withdrawn referral not readable".into()))?)
}

/// Closes the referral if every parent has closed, telling Cafcass when every parent completed.
/// True if this call closed it.
pub async fn close<S: CourseStore + Outbox, B: EventPublisher>(app: &App<S, B>, id: &ReferralId) -> Result<bool, PortError> {
    let now = app.now();
    let closed = app
        .store
        .close_referral_if_done(id, now, now + app.timings().retention, |parent_ids| {
            app.event(DomainEvent::ReferralCompleted(ReferralCompleted { referral_id: id.clone(), parent_ids, completed_at: now }))
        })
        .await?;
    let Some((status, event)) = closed else { return Ok(false) };
    tracing::info!(referral_id = %id, status = ?status, "referral closed");
    if let Some(e) = event {
        app.publish_committed(&e).await;
    }
    Ok(true)
}
