//! The DynamoDB store's rules, held by the memory store.

mod booking;
mod course;
mod notices;
mod parents;
mod referrals;
mod sweep;

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::events::{DomainEvent, OutboxEvent, ParentActivated};
use pt4c_domain::ports::{ParentRecord, ParentStore, ReferralStore, WorkshopStore};
use pt4c_domain::referral::NewReferral;
use pt4c_domain::workshop::{Mode, Trainer, Workshop, WorkshopStatus};
use pt4c_domain::{ParentId, ReferralId};

use crate::MemoryStore;

pub(crate) fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The moment the referrals of these tests arrive.
pub(crate) fn received() -> Timestamp {
    at("2026-11-20T10:00:00Z")
}

pub(crate) fn pid(s: &str) -> ParentId {
    ParentId::parse(s).unwrap()
}

pub(crate) fn rid(s: &str) -> ReferralId {
    ReferralId::parse(s).unwrap()
}

/// An event to write with a change (what it says does not matter to the store).
pub(crate) fn event(now: Timestamp) -> OutboxEvent {
    OutboxEvent {
        event_id: pt4c_domain::EventId::from_stored(uuid::Uuid::new_v4().to_string()),
        created_at: now,
        event: DomainEvent::ParentActivated(ParentActivated { parent_id: pid("R-0.A"), activated_at: now }),
    }
}

/// A referral `id` for case `case` with parents A and B.
pub(crate) fn referral(id: &str, case: &str) -> NewReferral {
    let parent = |r: &str| {
        serde_json::json!({
            "parentRef": r, "firstName": format!("First{r}"), "lastName": "Parent", "email": format!("{r}@{id}.example"),
            "phone": null, "workshopMode": "either", "interpreterLanguage": null, "adjustments": null
        })
    };
    serde_json::from_value(serde_json::json!({
        "referralId": id,
        "caseNumber": case,
        "court": {"name": "Court", "email": "court@example.org"},
        "familyCourtAdviser": {"name": "Adviser", "email": "fca@example.org"},
        "referredOn": "2026-11-19",
        "completeBy": "2027-01-29",
        "parents": [parent("A"), parent("B")],
    }))
    .unwrap()
}

pub(crate) fn workshop(starts: &str, capacity: u32) -> Workshop {
    let starts_at = at(starts);
    Workshop {
        workshop_id: new_workshop_id(),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(150),
        duration_minutes: 150,
        mode: Mode::Online,
        location: "https://meet.example/w".into(),
        capacity,
        language: "en".into(),
        interpreters: Vec::new(),
        trainer: serde_json::from_value::<Trainer>(serde_json::json!({"name": "Tess", "email": "tess@example.org"})).unwrap(),
        status: WorkshopStatus::Open,
        seats_taken: 0,
        sequence: 0,
        previous_trainer: None,
        booked_cases: Vec::new(),
    }
}

/// A store holding referral `id` (case `case`), due to the sweep from two days after it arrived.
pub(crate) async fn with_referral(store: &MemoryStore, id: &str, case: &str) {
    let r = referral(id, case);
    let first_due = received() + SignedDuration::from_hours(48);
    store.create_referral(&r, &r.content_hash(), received(), Some(first_due), &event(received())).await.unwrap();
}

/// Takes parent `id` through the e-learning, ready to book.
pub(crate) async fn ready_to_book(store: &MemoryStore, id: &str) -> ParentRecord {
    let p = pid(id);
    let done = at("2026-11-25T10:00:00Z");
    assert!(store.complete_elearning(&p, done, Some(at("2026-12-02T10:00:00Z")), &event(done)).await.unwrap());
    store.parent(&p).await.unwrap().unwrap()
}

/// A new open workshop, stored.
pub(crate) async fn open_workshop(store: &MemoryStore, starts: &str, capacity: u32) -> Workshop {
    let w = workshop(starts, capacity);
    store.create_workshop(&w, &published(&w)).await.unwrap();
    w
}

/// The moment bookings are made in these tests.
pub(crate) fn booking_time() -> Timestamp {
    at("2026-12-01T09:00:00Z")
}

pub(crate) fn new_workshop_id() -> pt4c_domain::WorkshopId {
    pt4c_domain::WorkshopId::parse(&uuid::Uuid::new_v4().to_string()).expect("a v4 UUID is a workshop id")
}

/// The event a workshop is published with.
pub(crate) fn published(w: &Workshop) -> pt4c_domain::events::OutboxEvent {
    pt4c_domain::events::OutboxEvent {
        event_id: pt4c_domain::EventId::from_stored(format!("published-{}", w.workshop_id)),
        created_at: w.starts_at,
        event: pt4c_domain::events::DomainEvent::WorkshopPublished(pt4c_domain::events::WorkshopPublished {
            workshop_id: w.workshop_id.clone(),
            published_at: w.starts_at,
        }),
    }
}
