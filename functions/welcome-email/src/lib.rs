//! Welcome emails: each parent of a new referral is invited to the Parent Hub, once;
//! and a parent who asked for a fresh link gets one.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use futures::future::join_all;
use pt4c_adapters::consumer::{self, ConsumerError, DeadLetterQueue, Delivered};
use pt4c_adapters::emails::{self, NewLink, Welcome};
use pt4c_adapters::Deps;
use pt4c_app::notices::{send_once, Sending};
use pt4c_domain::events::{DomainEvent, LinkRequested, ReferralReceived};
use pt4c_domain::link::Purpose;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ParentStore, PortError, ReferralStore};
use pt4c_domain::{london_date, ParentId};
use serde::Serialize;

/// What one delivery did; returned to the caller (and logged), ids and counts only.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub sent: usize,
    pub already_sent: usize,
    pub skipped: usize,
}

/// Each delivery, tried again in place while it fails for a transient cause; an event that can
/// never be handled goes to `dead_letters` at once (`consumer::deliver` decides which is which).
pub async fn handle(deps: &Deps, dead_letters: &DeadLetterQueue, event: EventBridgeEvent) -> Result<Delivered<Summary>, ConsumerError> {
    consumer::deliver(dead_letters, &event, || handle_once(deps, &event)).await
}

async fn handle_once(deps: &Deps, event: &EventBridgeEvent) -> Result<Summary, ConsumerError> {
    let detail_type = event.detail_type.as_str();
    let summary = match consumer::read_event(detail_type, event.detail.clone())? {
        DomainEvent::ReferralReceived(e) => welcome(deps, &e).await?,
        DomainEvent::LinkRequested(e) => new_link(deps, &e).await?,
        other => return Err(ConsumerError::permanent(format!("not for this function: {}", other.detail_type()))),
    };
    tracing::info!(detail_type = %detail_type, sent = summary.sent, already_sent = summary.already_sent,
        skipped = summary.skipped, "delivery handled");
    Ok(summary)
}

async fn welcome(deps: &Deps, event: &ReferralReceived) -> Result<Summary, ConsumerError> {
    let Some(referral) = deps.store.contacts(&event.referral_id).await? else {
        return Err(ConsumerError::permanent(format!("no referral {}", event.referral_id)));
    };
    let mut summary = Summary::default();
    if referral.withdrawn {
        tracing::info!(referral_id = %event.referral_id, "referral withdrawn; no welcome sent");
        summary.skipped = referral.parents.len();
        return Ok(summary);
    }
    let now = deps.now();
    let link_hours = deps.config.timings.activation_link.as_hours();
    let expires = now + deps.config.timings.activation_link;
    let links = deps.links()?;
    let sends = referral.parents.iter().filter(|p| !p.withdrawn).map(|parent| async move {
        let token = links.sign(&parent.parent_id, Purpose::Hub, expires);
        let hub_url = deps.link_url("hub", &token);
        let email = emails::welcome(&Welcome {
            to: parent.email.as_str(),
            first_name: &parent.first_name,
            hub_url: &hub_url,
            complete_by: referral.complete_by,
            link_hours,
        })
        .map_err(|e| PortError::Permanent(format!("welcome template: {e}")))?;
        let result = send_once(&deps.store, &deps.mailer, &parent.parent_id, NoticeKind::Welcome, "referral", now, &email).await;
        log_sending(&parent.parent_id, NoticeKind::Welcome, &result);
        let sending = result?;
        welcome_text(deps, parent).await?;
        Ok::<_, PortError>(sending)
    });
    summary.skipped = referral.parents.iter().filter(|p| p.withdrawn).count();
    let mut failure = None;
    for result in join_all(sends).await {
        match result {
            Ok(Sending::Sent { .. }) => summary.sent += 1,
            Ok(Sending::AlreadySent) => summary.already_sent += 1,
            // A transient failure wins: its retry may still welcome that parent.
            Err(e) if !matches!(failure, Some(PortError::Retryable(_))) => failure = Some(e),
            Err(_) => {}
        }
    }
    match failure {
        // The parents already welcomed are recorded; the retry welcomes only the rest.
        Some(e) => Err(e.into()),
        None => Ok(summary),
    }
}

/// After the welcome email, its text to the parent's UK mobile, once (a separate claim: a failed
/// text fails the delivery, whose retry finds the email sent and sends only the text).
async fn welcome_text(deps: &Deps, parent: &pt4c_domain::ports::ParentContact) -> Result<(), PortError> {
    let text = pt4c_app::texting::Text {
        parent: &parent.parent_id,
        phone: parent.phone.as_deref(),
        kind: NoticeKind::Welcome,
        subject: "referral",
        text: pt4c_domain::sms::texts::welcome(),
    };
    deps.text(text).await.map(|_| ())
}

async fn new_link(deps: &Deps, event: &LinkRequested) -> Result<Summary, ConsumerError> {
    let Some(referral) = deps.store.contacts(event.parent_id.referral_id()).await? else {
        return Err(ConsumerError::permanent(format!("no referral for parent {}", event.parent_id)));
    };
    let Some(parent) = referral.parents.iter().find(|p| p.parent_id == event.parent_id) else {
        return Err(ConsumerError::permanent(format!("no parent {}", event.parent_id)));
    };
    let mut summary = Summary::default();
    if referral.withdrawn || parent.withdrawn {
        summary.skipped = 1;
        return Ok(summary);
    }
    let now = deps.now();
    if event.request_id.starts_with(pt4c_app::delivery::ADDRESS_CORRECTED) {
        // A corrected address: a parent who never set up their Hub gets the welcome again there.
        let record = deps.store.parent(&parent.parent_id).await?;
        if record.is_some_and(|r| r.activated_at.is_none()) {
            return welcome_again(deps, parent, referral.complete_by, &event.request_id).await;
        }
    }
    let expires = now + deps.config.timings.link_validity;
    let token = deps.links()?.sign(&parent.parent_id, Purpose::Hub, expires);
    let hub_url = deps.link_url("hub", &token);
    let email = emails::new_link(&NewLink {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        hub_url: &hub_url,
        valid_until: london_date(expires),
    })
    .map_err(ConsumerError::template("new-link"))?;
    let result = send_once(&deps.store, &deps.mailer, &parent.parent_id, NoticeKind::NewLink, &event.request_id, now, &email).await;
    log_sending(&parent.parent_id, NoticeKind::NewLink, &result);
    match result? {
        Sending::Sent { .. } => summary.sent = 1,
        Sending::AlreadySent => summary.already_sent = 1,
    }
    Ok(summary)
}

/// The welcome, sent again to a corrected address (once per correction).
async fn welcome_again(
    deps: &Deps,
    parent: &pt4c_domain::ports::ParentContact,
    complete_by: jiff::civil::Date,
    correction: &str,
) -> Result<Summary, ConsumerError> {
    let now = deps.now();
    let expires = now + deps.config.timings.activation_link;
    let token = deps.links()?.sign(&parent.parent_id, Purpose::Hub, expires);
    let hub_url = deps.link_url("hub", &token);
    let email = emails::welcome(&Welcome {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        hub_url: &hub_url,
        complete_by,
        link_hours: deps.config.timings.activation_link.as_hours(),
    })
    .map_err(ConsumerError::template("welcome"))?;
    let result = send_once(&deps.store, &deps.mailer, &parent.parent_id, NoticeKind::Welcome, correction, now, &email).await;
    log_sending(&parent.parent_id, NoticeKind::Welcome, &result);
    let mut summary = Summary::default();
    match result? {
        Sending::Sent { .. } => summary.sent = 1,
        Sending::AlreadySent => summary.already_sent = 1,
    }
    Ok(summary)
}

fn log_sending(parent: &ParentId, kind: NoticeKind, result: &Result<Sending, PortError>) {
    match result {
        Ok(Sending::Sent { message_id }) => {
            tracing::info!(parent_id = %parent, kind = kind.as_str(), message_id = %message_id, "email sent")
        }
        Ok(Sending::AlreadySent) => tracing::info!(parent_id = %parent, kind = kind.as_str(), "email already sent"),
        Err(e) => tracing::warn!(parent_id = %parent, kind = kind.as_str(), error = %e, "email not sent"),
    }
}
