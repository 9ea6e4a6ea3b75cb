//! The course as its users drive it through the API, written once for every test: coordinators
//! publish and cancel workshops, the e-learning provider reports modules, parents book with their
//! signed links, trainers take attendance, Scheduler runs the sweep. Each answers a typed view.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::Clock;
use serde_json::{json, Value};

use crate::views::{Booked, Catalogue, FollowUpEntry, FollowUps, Mode, ProgressRecord, SweepSummary, WorkshopView};
use crate::{Answer, TestApp};

/// The trainer every published workshop names.
pub const TRAINER: &str = "tess.trainer@pt4c.example";

/// A workshop to publish: online, six seats (the default), starting ten days from the stack's clock.
#[derive(Debug, Clone)]
pub struct NewWorkshop {
    mode: Mode,
    capacity: Option<u32>,
    starts: Starts,
}

#[derive(Debug, Clone, Copy)]
enum Starts {
    InDays(i64),
    At(Timestamp),
}

impl NewWorkshop {
    pub fn online() -> Self {
        Self { mode: Mode::Online, capacity: None, starts: Starts::InDays(10) }
    }
    pub fn in_person() -> Self {
        Self { mode: Mode::InPerson, ..Self::online() }
    }
    pub fn capacity(self, seats: u32) -> Self {
        Self { capacity: Some(seats), ..self }
    }
    /// Starting `days` days after the stack's clock at publishing.
    pub fn in_days(self, days: i64) -> Self {
        Self { starts: Starts::InDays(days), ..self }
    }
    pub fn at(self, starts: Timestamp) -> Self {
        Self { starts: Starts::At(starts), ..self }
    }
}

impl TestApp {
    /// The stack's clock: running from `test_now()` unless a test set it.
    pub fn now(&self) -> Timestamp {
        self.stack.shared.clock.now()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some("application/json"), serde_json::to_vec(&body).expect("JSON")).await
    }

    /// A GET asking for JSON (pages a browser opens answer HTML otherwise).
    pub async fn get_json(&self, path: &str) -> Answer {
        Answer::read(self.http.get(self.api(path)).header("accept", "application/json").send().await.expect("the API answers")).await
    }

    /// A request as a real caller makes it (Cafcass's case system, the provider, a parent pressing
    /// again): tried again while the answer is a server error; `retries` counts the tries again.
    pub async fn send_until_answered(&self, method: reqwest::Method, path: &str, body: Option<&Value>, retries: &mut u64) -> Answer {
        for _ in 0..30 {
            let mut req = self.http.request(method.clone(), self.api(path)).header("accept", "application/json");
            if let Some(b) = body {
                req = req.header("content-type", "application/json").body(serde_json::to_vec(b).expect("JSON"));
            }
            let answer = Answer::read(req.send().await.expect("the API answers")).await;
            if answer.status < 500 {
                return answer;
            }
            *retries += 1;
            // A caller's pause before trying again.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{method} {path} kept failing");
    }

    /// The progress record Cafcass reads; the referral must exist.
    pub async fn progress(&self, referral_id: &str) -> ProgressRecord {
        let answer = self.get_referral(referral_id).await;
        assert_eq!(answer.status, 200, "{referral_id}: {:?}", answer.body);
        answer.json()
    }

    /// A parent's signed link for `purpose`, valid for 60 days from the stack's clock.
    pub fn link(&self, parent: &str, purpose: Purpose) -> String {
        let parent = pt4c_domain::ParentId::parse(parent).expect("a parent id");
        self.stack.links().sign(&parent, purpose, self.now() + SignedDuration::from_hours(24 * 60))
    }

    /// The e-learning modules, in the catalogue's order.
    pub async fn modules(&self) -> Vec<String> {
        let catalogue: Catalogue = self.get_json("/elearning/modules").await.json();
        catalogue.modules.into_iter().map(|m| m.module_id).collect()
    }

    /// The provider reports one module completed at `at`.
    pub async fn complete_module(&self, parent: &str, module: &str, at: &str) -> Answer {
        self.post_json("/elearning/completions", json!({"parentId": parent, "moduleId": module, "completedAt": at})).await
    }

    /// The provider reports every module of the catalogue completed, now on the stack's clock.
    pub async fn finish_elearning(&self, parent: &str) {
        let now = self.now().to_string();
        for module in self.modules().await {
            let answer = self.complete_module(parent, &module, &now).await;
            assert_eq!(answer.status, 200, "{parent} {module}: {:?}", answer.body);
        }
    }

    /// A coordinator publishes a workshop (Tess Trainer's, at the one joining link); its id.
    pub async fn publish_workshop(&self, workshop: NewWorkshop) -> String {
        let starts = match workshop.starts {
            Starts::InDays(days) => self.now() + SignedDuration::from_hours(24 * days),
            Starts::At(t) => t,
        };
        let mut body = json!({
            "startsAt": starts.to_string(), "mode": workshop.mode, "location": "https://meet.pt4c.example/w/1",
            "trainer": {"name": "Tess Trainer", "email": TRAINER}
        });
        if let Some(seats) = workshop.capacity {
            body["capacity"] = seats.into();
        }
        let answer = self.post_json("/workshops", body).await;
        assert_eq!(answer.status, 201, "{:?}", answer.body);
        answer.json::<WorkshopView>().workshop_id
    }

    /// A workshop with its roster; it must exist.
    pub async fn workshop(&self, workshop_id: &str) -> WorkshopView {
        let answer = self.get_json(&format!("/workshops/{workshop_id}")).await;
        assert_eq!(answer.status, 200, "{workshop_id}: {:?}", answer.body);
        answer.json()
    }

    pub async fn cancel_workshop(&self, workshop_id: &str, reason: &str) -> Answer {
        self.post_json(&format!("/workshops/{workshop_id}/cancel"), json!({"reason": reason})).await
    }

    /// The parent books the workshop with their booking link.
    pub async fn book(&self, parent: &str, workshop_id: &str) -> Answer {
        self.post_json(&format!("/book/{}", self.link(parent, Purpose::Booking)), json!({"workshopId": workshop_id})).await
    }

    /// The parent books, and must get the seat.
    pub async fn booked(&self, parent: &str, workshop_id: &str) -> Booked {
        let answer = self.book(parent, workshop_id).await;
        assert_eq!(answer.status, 201, "{parent}: {:?}", answer.body);
        answer.json()
    }

    /// The parent cancels their booking with a link of `purpose` (the cancel page takes either link).
    pub async fn cancel_booking(&self, parent: &str, purpose: Purpose) -> Answer {
        self.post_json(&format!("/book/{}/cancel", self.link(parent, purpose)), json!({})).await
    }

    /// The trainer records whether the parent attended.
    pub async fn attendance(&self, workshop_id: &str, parent: &str, attended: bool) -> Answer {
        self.post_json(&format!("/workshops/{workshop_id}/attendance"), json!({"parentId": parent, "attended": attended})).await
    }

    /// The follow-up calls listed under `status` (`due`, `overdue`, `done`).
    pub async fn follow_ups(&self, status: &str) -> Vec<FollowUpEntry> {
        let answer = self.get_json(&format!("/follow-ups?status={status}")).await;
        assert_eq!(answer.status, 200, "{status}: {:?}", answer.body);
        answer.json::<FollowUps>().follow_ups
    }

    /// Runs the sweep as Scheduler does, for the moment `time`; it must succeed.
    pub async fn sweep(&self, time: Timestamp) -> SweepSummary {
        let (status, error, summary) = self.invoke_sweep(time).await;
        assert_eq!((status, error), (200, None), "{summary}");
        serde_json::from_value(summary.clone()).unwrap_or_else(|e| panic!("not a sweep summary ({e}): {summary}"))
    }
}
