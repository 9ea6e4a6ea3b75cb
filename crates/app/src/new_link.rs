//! A new Hub link by email address (`/new-link`): the way back in for a parent who has lost
//! every link. The answer is the same whether or not the address is known, and so is its time.

use pt4c_domain::ports::{EventPublisher, LinkRecoveryStore, Outbox, ParentStore, PortError, StaffStore};
use pt4c_domain::recovery::{email_key, ClientKey, RateWindow, NEW_LINK_ACTION, PUBLIC_ACTOR};
use pt4c_domain::referral::EmailAddress;
use pt4c_domain::staff::{AuditEntry, AuditOutcome, StaffRole};
use pt4c_domain::ParentId;

use crate::links::LinkRefusal;
use crate::App;

/// Why a request for a new link was not taken. Nothing here says whether the address is known.
#[derive(Debug)]
pub enum NewLinkRefusal {
    /// This address or this client asked too often (the same answer for either, known or not).
    TooManyRequests,
    Unavailable(PortError),
}

impl From<PortError> for NewLinkRefusal {
    fn from(e: PortError) -> Self {
        NewLinkRefusal::Unavailable(e)
    }
}

/// Counts the request (per client, then per address, known or not), then emails a fresh Hub
/// link to each parent on the course whose address on file is this one (the Hub's own daily
/// limit applies, silently), and audits it with ids only. The answer comes no sooner than the
/// configured floor after the request began, whatever was found.
pub async fn request_new_link<S, B>(app: &App<S, B>, email: &EmailAddress, client: &ClientKey) -> Result<(), NewLinkRefusal>
where
    S: LinkRecoveryStore + ParentStore + Outbox + StaffStore,
    B: EventPublisher,
{
    let floor = app.timings().new_link_answer_floor.unsigned_abs();
    let answer_at = tokio::time::Instant::now() + floor;
    let outcome = counted_and_sent(app, email, client).await;
    tokio::time::sleep_until(answer_at).await;
    outcome
}

async fn counted_and_sent<S, B>(app: &App<S, B>, email: &EmailAddress, client: &ClientKey) -> Result<(), NewLinkRefusal>
where
    S: LinkRecoveryStore + ParentStore + Outbox + StaffStore,
    B: EventPublisher,
{
    let now = app.now();
    let timings = app.timings();
    // The client first: one client trying many addresses does not use up their owners' allowance.
    let allowed = app.store.count_request(&RateWindow::client(client, now, timings.new_link_requests_per_client)).await?
        && app.store.count_request(&RateWindow::address(email, now, timings.new_link_requests_per_address)).await?;
    if !allowed {
        tracing::info!("new link by email address refused: too many requests");
        audit(app, AuditOutcome::Refused, None).await;
        return Err(NewLinkRefusal::TooManyRequests);
    }
    let found = app.store.parents_by_email(&email_key(email.as_str())).await?;
    if found.is_empty() {
        tracing::info!(parents = 0, "new link by email address asked");
        audit(app, AuditOutcome::Done, None).await;
        return Ok(());
    }
    tracing::info!(parents = found.len(), "new link by email address asked");
    for parent_id in &found {
        // `send_new_link` sends nothing for a closed course and refuses past the parent's own
        // daily limit; neither changes the answer.
        let outcome = match crate::hub::send_new_link(app, parent_id).await {
            Ok(()) => AuditOutcome::Done,
            Err(LinkRefusal::Unavailable(e)) => return Err(e.into()),
            Err(_) => AuditOutcome::Refused,
        };
        audit(app, outcome, Some(parent_id)).await;
    }
    Ok(())
}

/// Appends the request to the audit trail: no account, no address, no client address; the
/// parent when one was found. A trail that cannot be written is logged, and the answer stays.
async fn audit<S: StaffStore, B>(app: &App<S, B>, outcome: AuditOutcome, parent: Option<&ParentId>) {
    let entry = AuditEntry {
        at: app.now(),
        actor: PUBLIC_ACTOR.to_owned(),
        role: StaffRole::Public,
        action: NEW_LINK_ACTION.to_owned(),
        outcome,
        parent_id: parent.cloned(),
        workshop_id: None,
    };
    let keep_until = entry.at + app.timings().retention;
    if let Err(e) = app.store.record_audit(&entry, keep_until).await {
        tracing::error!(action = NEW_LINK_ACTION, outcome = outcome.as_str(), error = %e, "audit entry not written");
    }
}
