//! Seats raced for, as a property: eight families (co-parents, e-learning done, court dates
//! apart) join the waiting list, book, cancel, accept and decline held seats while holds end on
//! the clock, workshops are published and, now and then, cancelled, in thousands of random orders.
//! After every step: booked and held seats never above capacity, the workshop's seats left the
//! rest; co-parents never on one workshop, booked or held; nobody offered a workshop twice while
//! on the list; nobody both booked and holding a seat. `tests/booking/waiting.rs`
//! (`thirty_waiting_parents_race_...`) checks the same rules end to end on the real stack.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use pt4c_app::booking::{self, BookRefusal};
use pt4c_app::waiting::{self, Answer, AnswerRefusal, WaitingError};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::ports::{ParentRecord, WorkshopStore};
use pt4c_domain::workshop::Workshop;
use pt4c_domain::{ParentId, WorkshopId};

use crate::harness::*;

const CAPACITY: u32 = 6;
const FAMILIES: usize = 8;
const PARENTS: usize = FAMILIES * 2;
const MAX_WORKSHOPS: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    Join(usize),
    /// A parent books the n-th workshop published (modulo how many there are).
    Book(usize, usize),
    Cancel(usize),
    /// The n-th parent (modulo how many) sent an offer link answers with the last one (it may be stale).
    Accept(usize),
    Decline(usize),
    /// The clock moves on this many hours; the holds that ended are given back.
    Tick(i64),
    Publish,
    CancelWorkshop(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => (0..PARENTS).prop_map(Step::Join),
        20 => (0..PARENTS, 0..MAX_WORKSHOPS).prop_map(|(p, w)| Step::Book(p, w)),
        8 => (0..PARENTS).prop_map(Step::Cancel),
        10 => (0..PARENTS).prop_map(Step::Accept),
        6 => (0..PARENTS).prop_map(Step::Decline),
        5 => (1i64..=30).prop_map(Step::Tick),
        2 => Just(Step::Publish),
        1 => (0..MAX_WORKSHOPS).prop_map(Step::CancelWorkshop),
    ]
}

/// The waiting list's consumer as `functions/notifications/src/offers.rs` runs it, fed every event
/// published since `seen`, in order, until it publishes nothing more.
async fn deliver(t: &TestApp, seen: &mut usize) {
    loop {
        let events = t.bus.published_events();
        if *seen == events.len() {
            return;
        }
        for event in &events[*seen..] {
            let (workshops, parents): (Vec<&WorkshopId>, Vec<&ParentId>) = match event {
                DomainEvent::BookingCancelled(e) => (vec![&e.workshop_id], vec![]),
                DomainEvent::WorkshopPublished(e) => (vec![&e.workshop_id], vec![]),
                DomainEvent::OfferDeclined(e) => (vec![&e.workshop_id], vec![]),
                DomainEvent::OfferExpired(e) => (vec![&e.workshop_id], vec![]),
                DomainEvent::WorkshopBooked(e) => (vec![], vec![&e.parent_id]),
                _ => (vec![], vec![]),
            };
            if let DomainEvent::WorkshopCancelled(e) = event {
                waiting::release_holds_on(t, &e.workshop_id).await.expect("holds released");
            }
            for p in parents {
                waiting::parent_settled(t, p).await.expect("parent settled");
            }
            for w in workshops {
                waiting::offer_seats(t, w).await.expect("seats offered");
            }
        }
        *seen = events.len();
    }
}

/// What the run has seen so far: the offer links sent, and the workshops offered to each parent
/// since they last joined the list (a new place on it starts afresh, in both stores).
#[derive(Default)]
struct Seen {
    published: usize,
    written: usize,
    offer_links: BTreeMap<usize, String>,
    offered: BTreeMap<ParentId, BTreeSet<WorkshopId>>,
}

struct World {
    t: TestApp,
    parents: Vec<ParentId>,
    workshops: Vec<Workshop>,
}

impl World {
    async fn new() -> World {
        let t = app().await;
        let mut parents = Vec::new();
        for n in 1..=FAMILIES as u32 {
            let mut json = other_referral_json(n);
            json["completeBy"] = format!("2027-02-{:02}", n * 3).into();
            let (a, b) = t.given_referral(json).await;
            t.given_elearning_done(&a).await;
            t.given_elearning_done(&b).await;
            parents.extend([a, b]);
        }
        let first = t.given_a_workshop(days(20), CAPACITY).await;
        World { t, parents, workshops: vec![first] }
    }

    async fn records(&self) -> Vec<ParentRecord> {
        let mut all = Vec::new();
        for p in &self.parents {
            all.push(self.t.parent(p).await);
        }
        all
    }

    async fn run(&mut self, step: &Step, seen: &mut Seen) -> Result<(), TestCaseError> {
        let t = &self.t;
        match *step {
            Step::Join(p) => {
                let joined = waiting::join(t, &t.booking_token(&self.parents[p]), vec![]).await;
                prop_assert!(!matches!(joined, Err(WaitingError::Link(_))), "{joined:?}");
            }
            Step::Book(p, w) => {
                let w = &self.workshops[w % self.workshops.len()].workshop_id;
                let booked = booking::book(t, &t.parent(&self.parents[p]).await, w).await;
                prop_assert!(matches!(booked, Ok(_) | Err(BookRefusal::Rule(_))), "{booked:?}");
            }
            Step::Cancel(p) => {
                let cancelled = booking::cancel(t, &t.booking_token(&self.parents[p])).await;
                prop_assert!(matches!(cancelled, Ok(_) | Err(BookRefusal::Rule(_))), "{cancelled:?}");
            }
            Step::Accept(p) | Step::Decline(p) => {
                let Some(token) = seen.offer_links.values().cycle().nth(p) else { return Ok(()) };
                let answer = if matches!(step, Step::Accept(_)) { Answer::Accept } else { Answer::Decline };
                let answered = waiting::answer(t, token, answer).await;
                prop_assert!(matches!(answered, Ok(_) | Err(AnswerRefusal::Offer(_))), "{answered:?}");
            }
            Step::Tick(h) => {
                t.advance(hours(h));
                waiting::end_holds(t, t.now()).await.expect("holds ended");
            }
            Step::Publish if self.workshops.len() < MAX_WORKSHOPS => {
                let starts_in = days(20 + self.workshops.len() as i64);
                self.workshops.push(t.given_a_workshop(starts_in, CAPACITY).await);
            }
            Step::Publish => {}
            Step::CancelWorkshop(w) => {
                let w = &self.workshops[w % self.workshops.len()].workshop_id;
                pt4c_app::workshops::cancel(t, w, "Trainer unwell").await.expect("cancelled");
            }
        }
        // As the step left it, before the consumer runs: seats and co-parents already hold.
        self.check(seen, false).await?;
        deliver(t, &mut seen.published).await;
        self.check(seen, true).await
    }

    /// The invariants. `settled`: the consumer has run (a parent booked elsewhere has given back
    /// the seat held for them).
    async fn check(&self, seen: &mut Seen, settled: bool) -> Result<(), TestCaseError> {
        let t = &self.t;
        let records = self.records().await;
        for w in &self.workshops {
            let stored = t.store.workshop(&w.workshop_id).await.expect("store answers").expect("stored");
            let on = |p: &ParentRecord| {
                let booked = p.booking.as_ref().is_some_and(|b| b.workshop_id == w.workshop_id);
                let held = p.offer.as_ref().is_some_and(|o| o.workshop_id == w.workshop_id);
                (booked, held)
            };
            let booked: BTreeSet<ParentId> = records.iter().filter(|p| on(p).0).map(|p| p.parent_id.clone()).collect();
            let held = records.iter().filter(|p| on(p).1).count() as u32;
            let taken = booked.len() as u32 + held;
            prop_assert!(taken <= CAPACITY, "{} booked and {held} held of {CAPACITY}", booked.len());
            prop_assert_eq!(stored.seats_left(), CAPACITY - taken, "seats left, with {} booked and {} held", booked.len(), held);
            let roster: BTreeSet<ParentId> = t.store.roster(&w.workshop_id).await.expect("roster").into_iter().map(|(p, _)| p).collect();
            prop_assert_eq!(&roster, &booked, "the roster is the parents booked");
            for family in records.chunks(2) {
                let ((a_booked, a_held), (b_booked, b_held)) = (on(&family[0]), on(&family[1]));
                prop_assert!(
                    !((a_booked || a_held) && (b_booked || b_held)),
                    "co-parents {} and {} both on it",
                    family[0].parent_id,
                    family[1].parent_id
                );
            }
        }
        let events = t.events();
        for e in events.iter().skip(seen.written) {
            match e {
                DomainEvent::WaitingListJoined(j) => {
                    seen.offered.remove(&j.parent_id);
                }
                DomainEvent::OfferMade(o) => {
                    let again = !seen.offered.entry(o.parent_id.clone()).or_default().insert(o.workshop_id.clone());
                    prop_assert!(!again, "{} offered {} twice", o.parent_id, o.workshop_id);
                }
                _ => {}
            }
        }
        seen.written = events.len();
        for (i, p) in records.iter().enumerate() {
            if settled {
                prop_assert!(p.booking.is_none() || p.offer.is_none(), "{} booked and holding a seat", p.parent_id);
            }
            if let Some(offer) = &p.offer {
                let (accept, _) = t.offer_links(&p.parent_id, offer).expect("signed");
                seen.offer_links.insert(i, accept.rsplit('/').nth(1).expect("a token").to_owned());
            }
        }
        Ok(())
    }
}

async fn race(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut world = World::new().await;
    let mut seen = Seen::default();
    deliver(&world.t, &mut seen.published).await;
    world.check(&mut seen, true).await?;
    for step in &steps {
        world.run(step, &mut seen).await?;
    }
    Ok(())
}

fn cases() -> u32 {
    if std::env::var_os("PT4C_FULL_SIZE").is_some() {
        256
    } else {
        4
    }
}

proptest! {
    // Each order runs on a database of its own through the real SDK (about 5 s): the test
    // command tries 4, `PT4C_FULL_SIZE=1` (the bench's `heavy` step) 256.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn seats_booked_and_held_stay_within_capacity_and_apart_from_co_parents_whatever_the_order(steps in prop::collection::vec(step(), 1..=60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(race(steps))?;
    }
}
