//! Booking a workshop: what a parent is offered, taking a seat, and giving it back.

use pt4c_domain::link::{LinkError, Purpose};
use pt4c_domain::offering::{BookableCursor, OfferFilter};
use pt4c_domain::parent::MoveDecision;
use pt4c_domain::ports::{BookingOutcome, EventPublisher, Outbox, ParentRecord, ParentStore, PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::{Booking, BookingRefusal, Mode, Workshop};
use pt4c_domain::{BookingDecision, ParentId};
use serde::Serialize;

use crate::links::{booking_key, LinkRefusal};
use crate::App;
use pt4c_domain::WorkshopId;

/// What a booking link shows: at most [`CHOICES_PER_SCREEN`] workshops that suit the parent,
/// soonest first, and where later dates begin.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingView {
    pub parent_id: ParentId,
    pub status: ParentStatus,
    pub complete_by: jiff::civil::Date,
    pub booking: Option<Booking>,
    pub workshops: Vec<OfferedWorkshop>,
    /// The cursor of the next screen ("later dates"), `None` at the end.
    pub next: Option<String>,
    /// The same page from that cursor, with the same filter.
    pub later_url: Option<String>,
    #[serde(skip)]
    pub first_name: String,
    /// What the parent asked for (the page shows the filter as chosen).
    #[serde(skip)]
    pub query: OfferQuery,
    /// Items the store read for this view (the bookable index's entries): for the benchmark.
    #[serde(skip)]
    pub items_read: usize,
    /// On the waiting list (api.md: `waitingList`).
    pub waiting_list: Option<pt4c_domain::offering::WaitingPlace>,
    /// A seat held for the parent from the waiting list, with the links that answer it.
    pub offer: Option<crate::held_seat::OfferView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedWorkshop {
    pub workshop_id: WorkshopId,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub mode: Mode,
    /// The address of an in-person workshop; an online one's joining link goes only to parents booked on it.
    pub location: Option<String>,
    pub language: String,
    pub seats_left: u32,
    /// Starts after the end (in London) of the date the court set.
    pub after_court_date: bool,
}

/// At most this many workshops to a screen.
pub const CHOICES_PER_SCREEN: usize = 10;
/// Items one view reads at most (a parent whose needs few workshops meet): then "later dates".
pub const MOST_READ_PER_VIEW: usize = 400;
/// Items one Query of the index reads at most.
const MOST_PER_PAGE: usize = 100;

/// What a parent asked the booking page for: times of day and days, and where "later dates" begin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferQuery {
    pub filter: OfferFilter,
    pub from: Option<BookableCursor>,
}

impl OfferQuery {
    /// The query string of this filter from `from` (what the page's links carry), `""` for none.
    pub fn query_string(&self, from: Option<&BookableCursor>) -> String {
        let times = self.filter.times.iter().map(|t| format!("time={}", t.as_str()));
        let days = self.filter.days.iter().map(|d| format!("days={}", d.as_str()));
        let after = from.map(|c| format!("after={}", c.token()));
        let params: Vec<String> = times.chain(days).chain(after).collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        }
    }
}

/// Why a booking or a cancellation was not made.
#[derive(Debug)]
pub enum BookRefusal {
    Link(LinkRefusal),
    /// A rule of the course. A parent is never told that a co-parent is booked on a workshop:
    /// to them it is unavailable (`CoParentBooked` never leaves this module).
    Rule(BookingRefusal),
    NoWorkshop,
    /// A cancel link for a booking the parent no longer holds.
    StaleCancelLink,
}

impl From<PortError> for BookRefusal {
    fn from(e: PortError) -> Self {
        BookRefusal::Link(LinkRefusal::Unavailable(e))
    }
}

impl From<LinkRefusal> for BookRefusal {
    fn from(r: LinkRefusal) -> Self {
        BookRefusal::Link(r)
    }
}

/// The parent a booking link is for.
pub async fn booking_parent<S: ParentStore, B>(app: &App<S, B>, token: &str) -> Result<ParentRecord, BookRefusal> {
    let id = app.verify(token, Purpose::Booking)?;
    app.store.parent(&id).await?.ok_or(BookRefusal::Link(LinkRefusal::NotFound))
}

/// The workshops this parent may book, soonest first: only those that suit them (mode,
/// language, never a co-parent's) and the filter, at most [`CHOICES_PER_SCREEN`], each marked
/// when it starts after the court's date. Reads pages of the bookable index sized to what is
/// still needed, from the query's cursor: what a view reads grows with what it shows.
pub async fn offer<S: ParentStore + WorkshopStore, B>(
    app: &App<S, B>,
    token: &str,
    query: &OfferQuery,
) -> Result<BookingView, BookRefusal> {
    let parent = booking_parent(app, token).await?;
    let now = app.now();
    let mut chosen = Choices::default();
    if parent.booking.is_none() && parent.elearning_completed_at.is_some() && !parent.closed() {
        let needs = parent.needs();
        let court_date_ends = pt4c_domain::sweep::deadline(parent.complete_by);
        let mut cursor = query.from.clone();
        loop {
            let limit = chosen.page_size();
            let page = app.store.bookable(now, cursor.as_ref(), limit).await?;
            chosen.read += page.workshops.len();
            let count = page.workshops.len();
            for (i, w) in page.workshops.into_iter().enumerate() {
                cursor = Some(BookableCursor::at(&w));
                // The index may hold a workshop that has just filled: never offered.
                if w.bookable(now) && needs.suits(&w) && query.filter.fits(&w) {
                    let after = court_date_ends.is_some_and(|end| w.starts_at >= end);
                    chosen.shown.push(offered(w, after));
                }
                if chosen.shown.len() == CHOICES_PER_SCREEN {
                    chosen.next = if i + 1 < count || page.next.is_some() { cursor.clone() } else { None };
                    break;
                }
            }
            if chosen.shown.len() == CHOICES_PER_SCREEN {
                break;
            }
            match page.next {
                None => break,
                // Enough read for one screen: the rest is later dates.
                Some(n) if chosen.read >= MOST_READ_PER_VIEW => {
                    chosen.next = Some(n);
                    break;
                }
                Some(n) => cursor = Some(n),
            }
        }
    }
    let later_url = chosen.next.as_ref().map(|c| format!("{}/book/{token}{}", app.settings.public_base_url, query.query_string(Some(c))));
    Ok(BookingView {
        parent_id: parent.parent_id.clone(),
        status: parent.status,
        complete_by: parent.complete_by,
        booking: parent.booking.clone(),
        workshops: chosen.shown,
        next: chosen.next.as_ref().map(BookableCursor::token),
        later_url,
        first_name: parent.first_name.clone(),
        query: query.clone(),
        items_read: chosen.read,
        waiting_list: parent.waiting.clone(),
        offer: crate::held_seat::offer_view(app, &parent)?,
    })
}

/// A screen's choices as they are gathered.
#[derive(Default)]
struct Choices {
    shown: Vec<OfferedWorkshop>,
    read: usize,
    next: Option<BookableCursor>,
}

impl Choices {
    /// The next Query's size: half as many again as still needed at first; then what is needed
    /// at the share of suitable workshops seen so far (twice what was read while none suited),
    /// within one Query's and one view's bounds.
    fn page_size(&self) -> usize {
        let needed = CHOICES_PER_SCREEN - self.shown.len();
        let size = match (self.read, self.shown.len()) {
            (0, _) => needed + needed.div_ceil(2),
            (read, 0) => read * 2,
            (read, shown) => (needed * read * 5).div_ceil(shown * 4),
        };
        size.clamp(needed, MOST_PER_PAGE).min(MOST_READ_PER_VIEW.saturating_sub(self.read).max(1))
    }
}

fn offered(w: Workshop, after_court_date: bool) -> OfferedWorkshop {
    OfferedWorkshop {
        seats_left: w.seats_left(),
        location: (w.mode == Mode::InPerson).then_some(w.location),
        workshop_id: w.workshop_id,
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        mode: w.mode,
        language: w.language,
        after_court_date,
    }
}

/// Takes a seat for the parent. Returns the booking and whether it is new (a replay of the same
/// booking is not). Seats, the co-parent rule and the parent's state are conditions of the store's
/// one transaction, not reads before it.
pub async fn book<S: WorkshopStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
    workshop_id: &WorkshopId,
) -> Result<(Booking, bool), BookRefusal> {
    // The parent's own state first: a parent who may not book learns why before any workshop is read.
    if let Some(held) = parent.may_book(workshop_id).map_err(BookRefusal::Rule)? {
        return Ok((held, false));
    }
    // A workshop edited between its read and the write is read again (its copy on the booking would be stale).
    for _ in 0..STALE_READS {
        let workshop = app.store.workshop(workshop_id).await?.ok_or(BookRefusal::NoWorkshop)?;
        let now = app.now();
        let change = match parent.book(&workshop, now, app.timings()).map_err(BookRefusal::Rule)? {
            BookingDecision::Held(b) => return Ok((b, false)),
            BookingDecision::Book(change) => change,
        };
        let event = app.event(change.event);
        match app.store.book(parent, &workshop, now, change.due, &event).await? {
            BookingOutcome::Booked(b) => {
                tracing::info!(parent_id = %parent.parent_id, workshop_id = %workshop_id, "workshop booked");
                app.publish_committed(&event).await;
                return Ok((b, true));
            }
            BookingOutcome::AlreadyHeld(b) => return Ok((b, false)),
            BookingOutcome::Refused(r) => {
                tracing::info!(parent_id = %parent.parent_id, workshop_id = %workshop_id, refusal = r.code(), "booking refused");
                let r = if r == BookingRefusal::CoParentBooked { BookingRefusal::WorkshopUnavailable } else { r };
                return Err(BookRefusal::Rule(r));
            }
            BookingOutcome::Stale => continue,
        }
    }
    Err(PortError::Retryable("the workshop kept changing while booking".into()).into())
}

/// Reads of what a write is conditioned on, before giving up on something that keeps changing.
const STALE_READS: usize = 3;

/// A coordinator moves a parent's booking to another workshop (a phone booking): one change that
/// gives the old seat back and takes the new one, with every rule of a booking (a co-parent on
/// the target is named as such: the coordinator may know). Moving to the workshop already held is
/// a replay; a parent with no booking is simply booked. Returns the booking and whether it is new.
pub async fn move_booking<S: ParentStore + WorkshopStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
    to: &WorkshopId,
) -> Result<(Booking, bool), BookRefusal> {
    let mut parent = parent.clone();
    for _ in 0..STALE_READS {
        let workshop = app.store.workshop(to).await?.ok_or(BookRefusal::NoWorkshop)?;
        let now = app.now();
        let (from, change) = match parent.move_to(&workshop, now, app.timings()).map_err(BookRefusal::Rule)? {
            MoveDecision::Held(b) => return Ok((b, false)),
            MoveDecision::Book => return book_as_coordinator(app, &parent, to).await,
            MoveDecision::Move { from, change } => (from, change),
        };
        let event = app.event(change.event);
        match app.store.move_booking(&parent, &workshop, now, change.due, &event).await? {
            BookingOutcome::Booked(b) => {
                tracing::info!(parent_id = %parent.parent_id, from = %from.workshop_id, to = %to, "booking moved");
                app.publish_committed(&event).await;
                return Ok((b, true));
            }
            BookingOutcome::AlreadyHeld(b) => return Ok((b, false)),
            BookingOutcome::Refused(r) => {
                tracing::info!(parent_id = %parent.parent_id, to = %to, refusal = r.code(), "move refused");
                return Err(BookRefusal::Rule(r));
            }
            // The parent or the workshop changed since read: decide again on what is stored now.
            BookingOutcome::Stale => {
                parent = app.store.parent(&parent.parent_id).await?.ok_or(BookRefusal::Link(LinkRefusal::NotFound))?;
            }
        }
    }
    Err(PortError::Retryable("the booking kept changing while moving it".into()).into())
}

/// `book`, but a coordinator is told when a co-parent holds the workshop.
async fn book_as_coordinator<S: WorkshopStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
    to: &WorkshopId,
) -> Result<(Booking, bool), BookRefusal> {
    match book(app, parent, to).await {
        Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable)) => {
            let workshop = app.store.workshop(to).await?.ok_or(BookRefusal::NoWorkshop)?;
            let co_parent = workshop.has_case(&parent.case_number) && workshop.bookable(app.now());
            Err(BookRefusal::Rule(if co_parent { BookingRefusal::CoParentBooked } else { BookingRefusal::WorkshopUnavailable }))
        }
        other => other,
    }
}

/// The parent a cancel (or booking) link is for, and the booking a cancel link names:
/// `None` for a booking link (the parent's own page acts on the booking it shows), `Some(None)`
/// for a cancel link sent before links named their booking.
pub async fn cancelling_parent<S: ParentStore, B>(
    app: &App<S, B>,
    token: &str,
) -> Result<(ParentRecord, Option<Option<String>>), BookRefusal> {
    let links = app.links()?;
    let mut last = LinkRefusal::InvalidLink;
    for purpose in [Purpose::Cancel, Purpose::Booking] {
        match links.verify(token, purpose, app.now()) {
            Ok(link) => {
                let parent = app.store.parent(&link.parent).await?.ok_or(BookRefusal::Link(LinkRefusal::NotFound))?;
                let bound = (purpose == Purpose::Cancel).then_some(link.bound_to);
                return Ok((parent, bound));
            }
            Err(LinkError::Invalid) => continue,
            Err(LinkError::Expired { .. }) => last = LinkRefusal::Expired { token: token.to_owned() },
        }
    }
    Err(BookRefusal::Link(last))
}

/// Whether a link may act on this booking.
pub fn link_fits(bound_to: &Option<Option<String>>, booking: &Booking) -> bool {
    match bound_to {
        None => true,
        Some(key) => key.as_deref() == Some(booking_key(&booking.workshop_id, booking.booked_at).as_str()),
    }
}

/// Gives the seat back, until the workshop starts. A cancel link acts only on the booking it was
/// sent for. Returns the parent as they were (their booking is what was cancelled).
pub async fn cancel<S: ParentStore + WorkshopStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    token: &str,
) -> Result<ParentRecord, BookRefusal> {
    let (parent, bound_to) = cancelling_parent(app, token).await?;
    let Some(booking) = parent.booking.clone() else { return Err(BookRefusal::Rule(BookingRefusal::NotBooked)) };
    if !link_fits(&bound_to, &booking) {
        return Err(BookRefusal::StaleCancelLink);
    }
    cancel_for(app, &parent).await
}

/// Gives the parent's seat back, as their cancel link does: for a coordinator acting for them.
pub async fn cancel_for<S: ParentStore + WorkshopStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    parent: &ParentRecord,
) -> Result<ParentRecord, BookRefusal> {
    let parent = parent.clone();
    let Some(booking) = parent.booking.clone() else { return Err(BookRefusal::Rule(BookingRefusal::NotBooked)) };
    let now = app.now();
    let change = parent.cancel_booking(now, app.timings()).map_err(BookRefusal::Rule)?;
    let event = app.event(change.event);
    if app.store.release(&parent, &booking.workshop_id, Some(now), Some(&event), true, change.due).await? {
        tracing::info!(parent_id = %parent.parent_id, workshop_id = %booking.workshop_id, "booking cancelled");
        app.publish_committed(&event).await;
        return Ok(parent);
    }
    // Cancelled or started meanwhile.
    match app.store.parent(&parent.parent_id).await?.and_then(|p| p.booking) {
        None => Err(BookRefusal::Rule(BookingRefusal::NotBooked)),
        Some(_) => Err(BookRefusal::Rule(BookingRefusal::WorkshopUnavailable)),
    }
}
