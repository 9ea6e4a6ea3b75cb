//! The store under test: a `DynamoStore` over a fresh table (dynoxide in process, or the DynamoDB
//! `PT4C_STORE_ENDPOINT` names), what the table holds read back for the cases to check, and the
//! data every case starts from: referrals, parents ready to book, open workshops.

use std::ops::Deref;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::dynamo::DynamoStore;
use pt4c_domain::events::{DomainEvent, OutboxEvent, ParentActivated};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ParentRecord, ParentStore, ReferralStore, WorkshopStore};
use pt4c_domain::referral::NewReferral;
use pt4c_domain::workshop::{Mode, Trainer, Workshop, WorkshopStatus};
use pt4c_domain::{ParentId, ReferralId};
use pt4c_emulator::table::TableSpec;
use pt4c_emulator::{inspect, Emulator, Faults, When};

/// The DynamoDB to run the suite against instead of dynoxide in process (`http://127.0.0.1:5055`).
pub(crate) const ENDPOINT_VAR: &str = "PT4C_STORE_ENDPOINT";

/// The lease of the cases that let claims run out ([`Harness::expire_claims`]): long enough for
/// the few calls made while a claim must hold, short enough to wait out.
const SHORT_LEASE: Duration = Duration::from_millis(400);

/// Returns from the case, with a note, when the table's stream is not there to read: the rest of
/// the case checks the history of what was written (order, or items deleted since).
macro_rules! needs_history {
    ($h:expr) => {
        if !$h.has_history() {
            eprintln!("{}: no stream on this DynamoDB; the rest of this case needs the history of writes", module_path!());
            return;
        }
    };
}

/// A `DynamoStore` over a table of its own (the port methods are the store's, through `Deref`).
pub(crate) struct Harness {
    pub(crate) store: DynamoStore,
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) faults: Faults,
    /// dynoxide in process, whose stream holds every image written; `None` on another endpoint.
    emulator: Option<Emulator>,
    lease: Option<Duration>,
}

impl Deref for Harness {
    type Target = DynamoStore;

    fn deref(&self) -> &DynamoStore {
        &self.store
    }
}

/// A fresh store.
pub(crate) async fn store() -> Harness {
    Harness::start(None).await
}

/// A fresh store whose email claims last `lease`.
pub(crate) async fn store_with_claim_lease(lease: Duration) -> Harness {
    Harness::start(Some(lease)).await
}

/// A fresh store whose claims run out soon ([`Harness::expire_claims`] waits for that).
pub(crate) async fn store_with_short_lease() -> Harness {
    Harness::start(Some(SHORT_LEASE)).await
}

impl Harness {
    async fn start(lease: Option<Duration>) -> Harness {
        let (client, table, faults, emulator) = match std::env::var(ENDPOINT_VAR) {
            Ok(endpoint) if !endpoint.is_empty() => {
                let (client, faults) = pt4c_emulator::client_for(&endpoint);
                let table = format!("pt4c-store-{}", uuid::Uuid::new_v4().simple());
                let spec = TableSpec::project().expect("the template's table");
                pt4c_emulator::table::create(&client, &table, &spec, false).await.expect("the table created");
                (client, table, faults, None)
            }
            _ => {
                let db = Emulator::start().await.expect("the emulator starts");
                (db.client.clone(), db.table.clone(), db.faults.clone(), Some(db))
            }
        };
        let mut store = DynamoStore::new(client.clone(), table.clone());
        if let Some(lease) = lease {
            store = store.with_claim_lease(lease);
        }
        Harness { store, client, table, faults, emulator, lease }
    }

    /// Whether every image ever written can be read back (the emulator's stream).
    pub(crate) fn has_history(&self) -> bool {
        self.emulator.is_some()
    }

    /// Every event written with a change, in the order written (delivered or not): the outbox
    /// items in the table's stream. Without a stream, the outbox items still in the table, oldest
    /// first (cases that need more say so with `needs_history!`).
    pub(crate) async fn outbox_events(&self) -> Vec<OutboxEvent> {
        match &self.emulator {
            Some(db) => inspect::outbox_events(&db.written().expect("the table's stream")),
            None => self.pending_events().await,
        }
    }

    /// Events in the outbox now (written, not yet delivered), oldest first.
    pub(crate) async fn pending_events(&self) -> Vec<OutboxEvent> {
        self.table().pending_events().await
    }

    /// The (kind, subject) of every notice recorded sent to the parent, in the order sent.
    pub(crate) async fn notices_sent(&self, p: &ParentId) -> Vec<(NoticeKind, String)> {
        self.table().notices_sent(p).await
    }

    /// The provider's message id recorded for a notice sent.
    pub(crate) async fn notice_message_id(&self, p: &ParentId, kind: NoticeKind, subject: &str) -> Option<String> {
        self.table().notice_message_id(p, kind, subject).await
    }

    /// Waits until every claim taken so far has run out of lease (the store has a short one).
    pub(crate) async fn expire_claims(&self) {
        let lease = self.lease.filter(|l| *l <= SHORT_LEASE).expect("a store with a short claim lease");
        // The store compares whole milliseconds of the wall clock: strictly after the lease's end.
        tokio::time::sleep(lease + Duration::from_millis(20)).await;
    }

    /// Requests for a fresh link counted for the parent on `day`.
    pub(crate) async fn link_requests(&self, p: &ParentId, day: jiff::civil::Date) -> u32 {
        self.table().link_requests(p, day).await
    }

    /// The roster places (co-parent guards) on a workshop: (case number, parent).
    pub(crate) async fn roster_places(&self, w: &pt4c_domain::WorkshopId) -> Vec<(String, ParentId)> {
        self.table().roster_places(w).await
    }

    /// Items stored under a referral (its partition): the referral, parents, notices, link counts,
    /// follow-ups and concerns.
    pub(crate) async fn referral_items(&self, id: &ReferralId) -> usize {
        self.table().referral_items(id).await
    }

    /// The workshop as stored.
    pub(crate) async fn stored_workshop(&self, id: &pt4c_domain::WorkshopId) -> Option<Workshop> {
        self.store.workshop(id).await.expect("store answers")
    }

    /// The referral's mark in the due-index: `("CLOSING" | "ERASE", due)`.
    pub(crate) async fn referral_mark(&self, id: &ReferralId) -> Option<(&'static str, Timestamp)> {
        self.table().referral_mark(id).await
    }

    /// The next `operation` whose request carries `containing` fails before it reaches the table.
    pub(crate) fn fail_next(&self, operation: &str, containing: Option<&str>) {
        self.faults.fail_next(operation, containing, When::Before);
    }

    /// The next `operation` whose request carries `containing` is made, and its reply lost.
    pub(crate) fn fail_after_commit(&self, operation: &str, containing: Option<&str>) {
        self.faults.fail_next(operation, containing, When::AfterCommit);
    }

    fn table(&self) -> inspect::Table {
        inspect::Table { client: self.client.clone(), name: self.table.clone() }
    }
}

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
pub(crate) async fn with_referral(store: &DynamoStore, id: &str, case: &str) {
    let r = referral(id, case);
    let first_due = received() + SignedDuration::from_hours(48);
    store.create_referral(&r, &r.content_hash(), received(), Some(first_due), &event(received())).await.unwrap();
}

/// Takes parent `id` through the e-learning, ready to book.
pub(crate) async fn ready_to_book(store: &DynamoStore, id: &str) -> ParentRecord {
    let p = pid(id);
    let done = at("2026-11-25T10:00:00Z");
    assert!(store.complete_elearning(&p, done, Some(at("2026-12-02T10:00:00Z")), &event(done)).await.unwrap());
    store.parent(&p).await.unwrap().unwrap()
}

/// A new open workshop, stored.
pub(crate) async fn open_workshop(store: &DynamoStore, starts: &str, capacity: u32) -> Workshop {
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
