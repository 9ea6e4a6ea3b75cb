//! The waiting list through the local stack: joining it from the booking page, a freed seat held
//! and emailed, accepted or declined through the email's links, holds ended on the local clock,
//! and seats racing holds.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_tests::{NewWorkshop, TestApp};
use serde_json::{json, Value};

use super::eligible_case;

const HELD: &str = "A workshop place is held for you until";

async fn join(app: &TestApp, parent: &str, body: Value) -> pt4c_tests::Answer {
    app.post_json(&format!("/book/{}/waiting-list", app.link(parent, Purpose::Booking)), body).await
}

async fn booking_view(app: &TestApp, parent: &str) -> Value {
    app.get_json(&format!("/book/{}", app.link(parent, Purpose::Booking))).await.body
}

/// The link ending `ends_with` in the latest offer email to `address` (waiting for it).
async fn offer_link(app: &TestApp, address: &str, ends_with: &str) -> String {
    assert!(app.eventually(|| async { app.mail_to(address).await.iter().any(|m| m.subject.starts_with(HELD)) }).await, "an offer email");
    let mail = app.mail_to(address).await.into_iter().rev().find(|m| m.subject.starts_with(HELD)).expect("an offer email");
    mail.text.split_whitespace().find(|w| w.starts_with("http") && w.ends_with(ends_with)).expect("the link").to_owned()
}

/// Gives back holds that ended by `at`, as the 15-minute run does.
async fn end_holds(app: &TestApp, at: Timestamp) -> Value {
    app.stack.set_clock(Some(at));
    let event = json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": at.to_string(), "region": "eu-west-2", "resources": [], "detail": {"only": "holds"}});
    let (status, error, summary) = app.invoke("DeadlineSweepFunction", &event).await;
    assert_eq!((status, error), (200, None), "{summary}");
    summary
}

#[tokio::test]
async fn a_parent_on_the_waiting_list_is_held_a_freed_seat_emailed_and_books_it_with_the_emails_link() {
    // Given a one-seat workshop taken, and a parent who joins the waiting list
    let app = pt4c_tests::spawn_app().await;
    eligible_case(&app, "CAF-WL1", "ZW26W001").await;
    eligible_case(&app, "CAF-WL2", "ZW26W002").await;
    let w = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(10)).await;
    assert_eq!(app.book("CAF-WL1.A", &w).await.status, 201);
    let bad = join(&app, "CAF-WL2.A", json!({"times": ["midnight"]})).await;
    assert_eq!((bad.status, bad.problem().fields()), (422, vec!["times"]));
    let joined = join(&app, "CAF-WL2.A", json!({"times": ["weekday-morning", "weekday-afternoon", "weekday-evening", "weekend"]})).await;
    assert_eq!(joined.status, 201, "{:?}", joined.body);
    assert_eq!(join(&app, "CAF-WL2.A", json!({})).await.status, 200, "once");
    assert!(booking_view(&app, "CAF-WL2.A").await["waitingList"]["joinedAt"].is_string());

    // When the booked parent cancels
    assert_eq!(app.cancel_booking("CAF-WL1.A", Purpose::Booking).await.status, 200);

    // Then the seat is held for the waiting parent, and they are emailed its two links
    assert!(app.eventually(|| async { app.mail_to("a.caf-wl2@example.com").await.iter().any(|m| m.subject.starts_with(HELD)) }).await);
    let view = booking_view(&app, "CAF-WL2.A").await;
    assert_eq!(view["offer"]["workshopId"], w.as_str(), "{view}");
    assert_eq!(app.workshop(&w).await.seats_left, 0, "a held seat counts as taken");
    let r = app.book("CAF-WL1.A", &w).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-full"), "nobody else books a held seat");
    let accept = offer_link(&app, "a.caf-wl2@example.com", "/accept").await;
    let page = app.http.get(&accept).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Take this place"), "a GET changes nothing: the page has the button");
    assert_eq!(app.workshop(&w).await.roster().len(), 0);

    // And the link's button books it, once
    let taken = app.http.post(&accept).header("accept", "application/json").send().await.unwrap();
    assert_eq!(taken.status(), 201);
    let again = app.http.post(&accept).header("accept", "application/json").send().await.unwrap();
    assert_eq!(again.status(), 200, "a replay is the same booking");
    let detail = app.workshop(&w).await;
    assert_eq!((detail.seats_left, detail.roster_ids()), (0, vec!["CAF-WL2.A".to_owned()]));
    let view = booking_view(&app, "CAF-WL2.A").await;
    assert!(view["waitingList"].is_null() && view["offer"].is_null(), "{view}");
    assert!(
        app.eventually(|| async { app.mail_to("a.caf-wl2@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") })
            .await
    );
    app.quiet().await;
    let offers = app.mail_to("a.caf-wl2@example.com").await.into_iter().filter(|m| m.subject.starts_with(HELD)).count();
    assert_eq!(offers, 1, "offered once");
    let decline = offer_link(&app, "a.caf-wl2@example.com", "/decline").await;
    let late = app.http.post(&decline).header("accept", "application/json").send().await.unwrap();
    assert_eq!(late.status(), 409, "an answered offer is not declined afterwards");
}

#[tokio::test]
async fn a_declined_seat_and_an_ended_hold_go_to_the_next_parent_and_the_list_order_is_the_court_date() {
    // Given three waiting parents, court dates in the order B, C, A, and a one-seat workshop published
    let app = pt4c_tests::spawn_app().await;
    for (id, case, complete_by) in
        [("CAF-WLA", "ZW26W010", "2027-03-01"), ("CAF-WLB", "ZW26W011", "2027-01-20"), ("CAF-WLC", "ZW26W012", "2027-02-01")]
    {
        let mut body = pt4c_tests::referral(id);
        body["caseNumber"] = case.into();
        body["completeBy"] = complete_by.into();
        body["parents"][0]["email"] = format!("a.{}@example.com", id.to_lowercase()).into();
        body["parents"][1]["email"] = format!("b.{}@example.com", id.to_lowercase()).into();
        assert_eq!(app.post_referral(&body).await.status, 201);
        app.finish_elearning(&format!("{id}.A")).await;
        assert_eq!(join(&app, &format!("{id}.A"), json!({})).await.status, 201);
    }
    let w = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(10)).await;
    let held_for = |parent: &'static str| {
        let app = &app;
        async move { booking_view(app, parent).await["offer"]["workshopId"].as_str().map(str::to_owned) }
    };

    // Then the seat of the new workshop is held for the earliest court date
    assert!(app.eventually(|| async { held_for("CAF-WLB.A").await.is_some() }).await);
    // When B declines, C is held it; when C lets the hold end, A is
    let decline = offer_link(&app, "a.caf-wlb@example.com", "/decline").await;
    assert_eq!(app.http.post(&decline).header("accept", "application/json").send().await.unwrap().status(), 200);
    assert!(app.eventually(|| async { held_for("CAF-WLC.A").await.is_some() }).await);
    assert!(booking_view(&app, "CAF-WLB.A").await["waitingList"].is_object(), "a parent who declines stays on the list");
    // (C is emailed at once; an offer email delivered after its hold ended is not sent.)
    let accept_c = offer_link(&app, "a.caf-wlc@example.com", "/accept").await;
    let before = end_holds(&app, app.now() + SignedDuration::from_hours(23)).await;
    assert_eq!(before["holdsEnded"], 0, "{before}");
    let ended = end_holds(&app, app.now() + SignedDuration::from_hours(2)).await;
    assert_eq!(ended["holdsEnded"], 1, "{ended}");
    assert!(app.eventually(|| async { held_for("CAF-WLA.A").await.is_some() }).await);
    app.quiet().await;
    // Never back to B or C, and the seat was never held twice at once
    assert_eq!(held_for("CAF-WLB.A").await, None);
    assert_eq!(held_for("CAF-WLC.A").await, None);
    assert_eq!(app.workshop(&w).await.seats_left, 0);
    let made = app.events("OfferMade");
    assert_eq!(made.len(), 3, "one offer each");
    assert_eq!(app.events("OfferExpired").len(), 1);
    assert_eq!(app.events("OfferDeclined").len(), 1);
    // An ended hold's link says so
    let late = app.http.post(&accept_c).header("accept", "application/json").send().await.unwrap();
    assert_eq!(late.status(), 410);
}

#[tokio::test]
async fn a_seat_held_on_a_workshop_that_is_cancelled_is_given_back_and_the_parent_stays_on_the_list() {
    // Given a parent held a seat on a workshop
    let app = pt4c_tests::spawn_app().await;
    eligible_case(&app, "CAF-WLX", "ZW26W020").await;
    assert_eq!(join(&app, "CAF-WLX.A", json!({})).await.status, 201);
    let w = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(10)).await;
    assert!(app.eventually(|| async { booking_view(&app, "CAF-WLX.A").await["offer"]["workshopId"] == w.as_str() }).await);

    // When a coordinator cancels the workshop
    assert_eq!(app.cancel_workshop(&w, "Trainer unwell").await.status, 200);

    // Then the hold is given back, and the parent is still waiting for the next seat
    assert!(app.eventually(|| async { booking_view(&app, "CAF-WLX.A").await["offer"].is_null() }).await);
    assert!(booking_view(&app, "CAF-WLX.A").await["waitingList"].is_object());
    assert_eq!(app.workshop(&w).await.seats_left, 1);
    let next = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(11)).await;
    assert!(app.eventually(|| async { booking_view(&app, "CAF-WLX.A").await["offer"]["workshopId"] == next.as_str() }).await);
}

#[tokio::test]
async fn thirty_waiting_parents_race_for_seats_freed_one_at_a_time_while_holds_are_accepted_declined_and_ended() {
    let app = pt4c_tests::spawn_app().await;
    let cases: Vec<String> = (0..15).map(|i| format!("CAF-WRACE{i:02}")).collect();
    for (i, id) in cases.iter().enumerate() {
        eligible_case(&app, id, &format!("ZW26WR{i:03}")).await;
    }
    let parents: Vec<String> = cases.iter().flat_map(|c| [format!("{c}.A"), format!("{c}.B")]).collect();
    // 3 rounds in the test command, 20 from scripts/bench.sh (PT4C_FULL_SIZE=1).
    let rounds = pt4c_tests::sized(3, 20) as i64;
    for round in 0..rounds {
        // Every parent not booked is on the list; a full workshop of six frees its seats one at a time.
        let w = app.publish_workshop(NewWorkshop::online().capacity(6).in_days(10 + round)).await;
        for p in &parents {
            let r = join(&app, p, json!({})).await;
            assert!(matches!(r.status, 200 | 201 | 409), "round {round} {p}: {:?}", r.body);
        }
        app.quiet().await;
        let mut answered: Vec<String> = Vec::new();
        for step in 0..3 {
            // Those held a seat (their OfferMade events) answer at once, in turn: accept, decline, or let it run out.
            let offers: Vec<String> = app
                .events("OfferMade")
                .iter()
                .filter(|e| e.detail["workshopId"] == w.as_str())
                .map(|e| e.detail["offerId"].as_str().unwrap_or_default().to_owned())
                .filter(|o| !answered.contains(o))
                .collect();
            answered.extend(offers.iter().cloned());
            let mut held: Vec<(String, Value)> = Vec::new();
            for e in app.events("OfferMade").iter().filter(|e| offers.iter().any(|o| e.detail["offerId"] == o.as_str())) {
                let parent = e.detail["parentId"].as_str().unwrap_or_default().to_owned();
                let view = booking_view(&app, &parent).await;
                if view["offer"]["workshopId"] == w.as_str() {
                    held.push((parent, view));
                }
            }
            let answers = held.iter().enumerate().map(|(i, (_, v))| {
                let url = match (i + step) % 3 {
                    0 => v["offer"]["acceptUrl"].as_str(),
                    1 => v["offer"]["declineUrl"].as_str(),
                    _ => None,
                }
                .map(str::to_owned);
                let http = app.http.clone();
                async move {
                    if let Some(u) = url {
                        let s = http.post(&u).header("accept", "application/json").send().await.unwrap().status().as_u16();
                        assert!(matches!(s, 200 | 201 | 409 | 410), "answer {s}");
                    }
                }
            });
            // ...while everyone else tries to book the workshop directly.
            let direct = parents.iter().filter(|p| !held.iter().any(|(h, _)| h == *p)).map(|p| app.book(p, &w));
            let (_, booked) = tokio::join!(futures::future::join_all(answers), futures::future::join_all(direct));
            // 200: a parent booked already on it replays their booking.
            for b in booked.iter().filter(|b| b.status != 201) {
                assert!(matches!(b.status, 200 | 409), "round {round}: {:?}", b.body);
            }
            let detail = app.workshop(&w).await;
            assert!(detail.seats_left <= 6, "round {round}");
            let mut cases_on: Vec<String> = detail.roster_ids().iter().map(|p| p.rsplit_once('.').unwrap().0.to_owned()).collect();
            let n = cases_on.len();
            cases_on.sort();
            cases_on.dedup();
            assert_eq!(cases_on.len(), n, "round {round}: co-parents together");
            // Holds left unanswered end on the local clock; and one seat frees.
            end_holds(&app, app.now() + SignedDuration::from_hours(25)).await;
            if let Some(first) = detail.roster_ids().first() {
                assert_eq!(app.cancel_booking(first, Purpose::Booking).await.status, 200);
            }
            app.quiet().await;
        }
        // Invariants over the round: booked and held never above six, no parent offered this workshop twice.
        let detail = app.workshop(&w).await;
        let offered: Vec<String> = app
            .events("OfferMade")
            .iter()
            .filter(|e| e.detail["workshopId"] == w.as_str())
            .map(|e| e.detail["parentId"].to_string())
            .collect();
        let mut distinct = offered.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), offered.len(), "round {round}: a parent offered the same workshop twice");
        assert!(6 - detail.seats_left as usize >= detail.roster_ids().len(), "round {round}: roster above seats taken");
        assert_eq!(app.cancel_workshop(&w, "next round").await.status, 200);
        app.quiet().await;
    }
}
