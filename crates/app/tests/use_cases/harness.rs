//! The application over the DynamoDB store, on an emulator in process (each test its own
//! database), with a clock the tests move; the bus, mailer and texter in memory (they keep no
//! rules); and the steps every flow starts from: a referral taken, e-learning done, a workshop
//! published, a seat booked.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::dynamo::DynamoStore;
use pt4c_app::referrals::Taken;
use pt4c_app::{App, Settings};
use pt4c_domain::elearning::Catalogue;
use pt4c_domain::events::DomainEvent;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::link::{LinkSigner, Purpose};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ParentRecord, ParentStore};
use pt4c_domain::referral::{NewReferral, ReferralRequest};
use pt4c_domain::timings::Timings;
use pt4c_domain::workshop::{Booking, Mode, Trainer, Workshop, WorkshopStatus};
use pt4c_domain::{london_date, Clock, ParentId, ReferralId};
use pt4c_emulator::{inspect, Emulator, When};
use pt4c_memory::MemoryBus;

/// The sample referral: parents A (online only) and B (either mode) of case ZW26P00123,
/// referred on 2026-11-20, to complete by 2027-01-29.
const REFERRAL: &str = include_str!("../../../../events/referral.json");
const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
pub const BASE_URL: &str = "https://hub.test";
pub const NEW_LINKS_PER_DAY: u32 = 3;

/// When every test starts: two days after the sample referral was made.
pub fn start() -> Timestamp {
    at("2026-11-22T09:00:00Z")
}

pub fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

pub fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

pub fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

pub fn days(d: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * d)
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct SettableClock(Mutex<Timestamp>);

impl Clock for SettableClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct TestApp {
    pub app: App<DynamoStore, MemoryBus>,
    /// The emulator the store writes to: faults, and what was written.
    pub db: Emulator,
    clock: Arc<SettableClock>,
    signer: LinkSigner,
}

/// The use cases take `&App`: a `&TestApp` is one.
impl Deref for TestApp {
    type Target = App<DynamoStore, MemoryBus>;

    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

pub async fn app() -> TestApp {
    let db = Emulator::start().await.expect("the emulator starts");
    let clock = Arc::new(SettableClock(Mutex::new(start())));
    let signer = LinkSigner::new(KEY).expect("a 32-byte key");
    let settings = Settings {
        timings: Timings::default(),
        catalogue: Catalogue::default(),
        public_base_url: BASE_URL.into(),
        elearning_url: "https://learn.test".into(),
        new_links_per_day: NEW_LINKS_PER_DAY,
    };
    let app = App {
        store: DynamoStore::new(db.client.clone(), db.table.clone()),
        bus: MemoryBus::new(),
        links: Some(signer.clone()),
        clock: clock.clone(),
        settings: Arc::new(settings),
    };
    TestApp { app, db, clock, signer }
}

/// The sample referral, as Cafcass posts it.
pub fn referral_json() -> serde_json::Value {
    serde_json::from_str(REFERRAL).expect("events/referral.json is JSON")
}

/// Another family's referral (`n` > 0): its own referral id, case number and addresses.
pub fn other_referral_json(n: u32) -> serde_json::Value {
    let mut v = referral_json();
    v["referralId"] = format!("CAF-2026-9{n:05}").into();
    v["caseNumber"] = format!("ZW26P9{n:04}").into();
    v["parents"][0]["email"] = format!("alex{n}@example.com").into();
    v["parents"][1]["email"] = format!("jo{n}@example.com").into();
    v
}

impl TestApp {
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.clock.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    pub fn set_now(&self, to: Timestamp) {
        *self.clock.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    /// Parses a referral as intake does, on today's date in England.
    pub fn parse_referral(&self, json: serde_json::Value) -> NewReferral {
        let request: ReferralRequest = serde_json::from_value(json).expect("a referral request");
        NewReferral::parse(request, london_date(self.now())).expect("a valid referral")
    }

    /// Takes the sample referral; its parents (A, B).
    pub async fn given_a_referral(&self) -> (ParentId, ParentId) {
        self.given_referral(referral_json()).await
    }

    /// Takes another family's referral; its parents (A, B).
    pub async fn given_another_referral(&self, n: u32) -> (ParentId, ParentId) {
        self.given_referral(other_referral_json(n)).await
    }

    pub async fn given_referral(&self, json: serde_json::Value) -> (ParentId, ParentId) {
        let referral = self.parse_referral(json);
        let taken = pt4c_app::referrals::take(self, &referral).await.expect("referral taken");
        assert!(matches!(taken, Taken::Created(_)), "{taken:?}");
        let ids = referral.parent_ids();
        (ids[0].clone(), ids[1].clone())
    }

    /// Every module of the catalogue reported done, now.
    pub async fn given_elearning_done(&self, parent: &ParentId) {
        for m in &self.settings.catalogue.modules {
            let c = pt4c_app::elearning::Completion { parent_id: parent.clone(), module_id: m.module_id.clone(), completed_at: self.now() };
            pt4c_app::elearning::record_completion(self, &c).await.expect("module recorded");
        }
        assert!(self.parent(parent).await.elearning_completed_at.is_some(), "e-learning complete");
    }

    /// An online workshop, published.
    pub async fn given_a_workshop(&self, starts_in: SignedDuration, capacity: u32) -> Workshop {
        self.given_a_workshop_in(starts_in, capacity, Mode::Online).await
    }

    pub async fn given_a_workshop_in(&self, starts_in: SignedDuration, capacity: u32, mode: Mode) -> Workshop {
        let starts_at = self.now() + starts_in;
        let w = Workshop {
            workshop_id: pt4c_app::workshops::new_id(),
            starts_at,
            ends_at: starts_at + SignedDuration::from_mins(150),
            duration_minutes: 150,
            mode,
            location: match mode {
                Mode::Online => "https://meet.test/abc".into(),
                Mode::InPerson => "1 Court Street, Leeds".into(),
            },
            capacity,
            language: "en".into(),
            interpreters: Vec::new(),
            trainer: serde_json::from_value::<Trainer>(serde_json::json!({"name": "Tess Trainer", "email": "tess@pt4c.test"}))
                .expect("a trainer"),
            status: WorkshopStatus::Open,
            seats_taken: 0,
            sequence: 0,
            previous_trainer: None,
            booked_cases: Vec::new(),
        };
        pt4c_app::workshops::publish(self, &w).await.expect("workshop published");
        w
    }

    /// The parent, e-learning done, booked on the workshop.
    pub async fn given_booked(&self, parent: &ParentId, workshop: &Workshop) -> Booking {
        if self.parent(parent).await.elearning_completed_at.is_none() {
            self.given_elearning_done(parent).await;
        }
        let p = self.parent(parent).await;
        let (booking, new) = pt4c_app::booking::book(self, &p, &workshop.workshop_id).await.expect("booked");
        assert!(new);
        booking
    }

    /// The parent as stored now.
    pub async fn parent(&self, id: &ParentId) -> ParentRecord {
        self.store.parent(id).await.expect("store answers").expect("parent stored")
    }

    /// A welcome link, as the welcome email carries it.
    pub fn hub_token(&self, parent: &ParentId) -> String {
        self.signer.sign(parent, Purpose::Hub, self.now() + self.timings().activation_link)
    }

    pub fn booking_token(&self, parent: &ParentId) -> String {
        self.signer.sign(parent, Purpose::Booking, self.now() + self.timings().link_validity)
    }

    /// The cancel link the booking confirmation carries (bound to that booking).
    pub fn cancel_token(&self, parent: &ParentId, booking: &Booking) -> String {
        let url = self.cancel_link(parent, &booking.workshop_id, booking.booked_at, "2027-01-29".parse().expect("a date")).expect("signed");
        let token = url.strip_prefix(&format!("{BASE_URL}/book/")).and_then(|t| t.strip_suffix("/cancel"));
        token.expect("a cancel url").to_owned()
    }

    /// The events written with changes, of one detail-type, in order.
    pub fn written(&self, detail_type: &str) -> Vec<DomainEvent> {
        self.events().into_iter().filter(|e| e.detail_type() == detail_type).collect()
    }

    /// Every event written with a change, in the order written (published since or not): the
    /// outbox items in the table's stream.
    pub fn outbox_events(&self) -> Vec<OutboxEvent> {
        inspect::outbox_events(&self.db.written().expect("the table's stream"))
    }

    /// The domain events written with changes, in order.
    pub fn events(&self) -> Vec<DomainEvent> {
        self.outbox_events().into_iter().map(|e| e.event).collect()
    }

    /// Events in the outbox now (written, not yet published), oldest first.
    pub async fn pending_events(&self) -> Vec<OutboxEvent> {
        self.db.table().pending_events().await
    }

    /// Items stored under a referral (its partition).
    pub async fn referral_items(&self, id: &ReferralId) -> usize {
        self.db.table().referral_items(id).await
    }

    /// The roster places (co-parent guards) on a workshop: (case number, parent).
    pub async fn roster_places(&self, w: &pt4c_domain::WorkshopId) -> Vec<(String, ParentId)> {
        self.db.table().roster_places(w).await
    }

    /// Requests for a fresh link counted for the parent on `day`.
    pub async fn link_requests(&self, p: &ParentId, day: jiff::civil::Date) -> u32 {
        self.db.table().link_requests(p, day).await
    }

    /// The parent's arrangement tasks, as the store answers them.
    pub async fn tasks(&self, p: &ParentId) -> Vec<pt4c_domain::arrangements::Task> {
        pt4c_domain::ports::ArrangementStore::tasks_of(&self.store, p).await.expect("store answers")
    }

    /// The subjects of the emails of `kind` recorded sent to the coordinators, in the order sent.
    pub async fn coordinator_notices_sent(&self, kind: NoticeKind) -> Vec<String> {
        self.db.table().coordinator_notices_sent(kind).await
    }

    /// The texts to the parent not sent because the number said STOP: (kind, subject).
    pub async fn texts_opted_out(&self, p: &ParentId) -> Vec<(NoticeKind, String)> {
        self.db.table().texts_opted_out(p).await
    }

    /// The next `operation` whose request carries `containing` fails before it reaches the table.
    pub fn fail_next(&self, operation: &str, containing: Option<&str>) {
        self.db.faults.fail_next(operation, containing, When::Before);
    }

    /// The next `operation` whose request carries `containing` is made, and its reply lost.
    pub fn fail_after_commit(&self, operation: &str, containing: Option<&str>) {
        self.db.faults.fail_next(operation, containing, When::AfterCommit);
    }

    /// The events published on the bus, of one detail-type, in order.
    pub fn published(&self, detail_type: &str) -> Vec<DomainEvent> {
        self.bus.published_events().into_iter().filter(|e| e.detail_type() == detail_type).collect()
    }
}

pub fn referral_id() -> ReferralId {
    ReferralId::parse("CAF-2026-000123").expect("the sample's id")
}
