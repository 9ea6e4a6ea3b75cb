//! The Parent Hub: what a parent's link opens, setting up the account, and asking for a new link.

use pt4c_domain::events::{DomainEvent, LinkRequested};
use pt4c_domain::link::Purpose;
use pt4c_domain::ports::{EventPublisher, Outbox, ParentRecord, ParentStore};
use pt4c_domain::progress::{ElearningProgress, ParentStatus};
use pt4c_domain::workshop::Mode;
use pt4c_domain::{london_date, ParentId};
use serde::Serialize;

use crate::links::LinkRefusal;
use crate::App;
use pt4c_domain::WorkshopId;

/// The Parent Hub as a parent sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubView {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: jiff::civil::Date,
    pub elearning: ElearningProgress,
    pub workshop: Option<HubWorkshop>,
    pub booking_url: Option<String>,
    pub elearning_url: String,
    /// The account is not set up yet: the page offers the button that sets it up.
    #[serde(skip)]
    pub awaiting_activation: bool,
    #[serde(skip)]
    pub first_name: String,
    /// Every module of the catalogue: (id, title).
    #[serde(skip)]
    pub module_titles: Vec<(pt4c_domain::ModuleId, String)>,
}

/// The parent's own workshop, as their Hub shows it (the joining link is theirs to see).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubWorkshop {
    pub workshop_id: WorkshopId,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub mode: Mode,
    pub location: String,
    pub attended: Option<bool>,
}

/// A Hub link opens the Hub. Changes nothing (mail scanners fetch links).
pub async fn open<S: ParentStore, B>(app: &App<S, B>, token: &str) -> Result<HubView, LinkRefusal> {
    let parent_id = app.verify(token, Purpose::Hub)?;
    let parent = app.store.parent(&parent_id).await?.ok_or(LinkRefusal::NotFound)?;
    view(app, parent)
}

/// The parent sets up their account (once; a repeat changes nothing).
pub async fn activate<S: ParentStore + Outbox, B: EventPublisher>(app: &App<S, B>, token: &str) -> Result<HubView, LinkRefusal> {
    let parent_id = app.verify(token, Purpose::Hub)?;
    let mut parent = app.store.parent(&parent_id).await?.ok_or(LinkRefusal::NotFound)?;
    let now = app.now();
    if let Some(change) = parent.activate(now, app.timings()) {
        let event = app.event(change.event);
        if app.store.activate(&parent_id, now, change.due, &event).await? {
            tracing::info!(parent_id = %parent_id, "account activated");
            app.publish_committed(&event).await;
            parent = change.after;
        } else if let Some(fresh) = app.store.parent(&parent_id).await? {
            // Activated (or closed) by another request meanwhile.
            parent = fresh;
        }
    }
    view(app, parent)
}

fn view<S, B>(app: &App<S, B>, parent: ParentRecord) -> Result<HubView, LinkRefusal> {
    let elearning = parent.elearning();
    let booking_url = if parent.elearning_completed_at.is_some() && !parent.closed() {
        Some(app.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?.0)
    } else {
        None
    };
    let workshop = parent.booking.as_ref().or(parent.last_workshop.as_ref()).map(|b| HubWorkshop {
        workshop_id: b.workshop_id.clone(),
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        mode: b.mode,
        location: b.location.clone(),
        attended: parent.attended,
    });
    let module_titles = app.settings.catalogue.modules.iter().map(|m| (m.module_id.clone(), m.title.clone())).collect();
    Ok(HubView {
        awaiting_activation: parent.status == ParentStatus::Invited && !parent.closed(),
        parent_id: parent.parent_id,
        status: parent.status,
        complete_by: parent.complete_by,
        elearning,
        workshop,
        booking_url,
        elearning_url: app.settings.elearning_url.clone(),
        first_name: parent.first_name,
        module_titles,
    })
}

/// A fresh Hub link to the address on file. Any of the parent's own links may ask, expired or
/// not (an expired booking or cancel link offers the same button); the fresh link is the Hub's,
/// which leads everywhere else.
pub async fn ask_new_link<S: ParentStore + Outbox, B: EventPublisher>(app: &App<S, B>, token: &str) -> Result<(), LinkRefusal> {
    let links = app.links()?;
    let parent_id = [Purpose::Hub, Purpose::Booking, Purpose::Cancel]
        .into_iter()
        .find_map(|p| links.verify_signature(token, p).ok().map(|l| l.parent))
        .ok_or(LinkRefusal::InvalidLink)?;
    send_new_link(app, &parent_id).await
}

/// A fresh Hub link to the parent's address on file, as the parent asks for it or as a
/// coordinator sends it from the console: the same daily limit either way.
pub async fn send_new_link<S: ParentStore + Outbox, B: EventPublisher>(app: &App<S, B>, parent_id: &ParentId) -> Result<(), LinkRefusal> {
    let parent_id = parent_id.clone();
    let parent = app.store.parent(&parent_id).await?.ok_or(LinkRefusal::NotFound)?;
    if parent.closed() {
        // Nothing more is sent for a closed course; the answer does not say so.
        tracing::info!(parent_id = %parent_id, "new link asked for a closed course; nothing sent");
        return Ok(());
    }
    let now = app.now();
    let event = app.event(DomainEvent::LinkRequested(LinkRequested {
        parent_id: parent_id.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
        requested_at: now,
    }));
    if !app.store.count_link_request(&parent_id, london_date(now), app.settings.new_links_per_day, &event).await? {
        tracing::info!(parent_id = %parent_id, "new-link limit reached for today");
        return Err(LinkRefusal::TooManyLinks);
    }
    tracing::info!(parent_id = %parent_id, "new link requested");
    app.publish_committed(&event).await;
    Ok(())
}
